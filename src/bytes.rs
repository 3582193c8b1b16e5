//! Byte strings of the snapshots, taken after every step of every run:
//! copied into buffers kept from the previous step, and compared without
//! `memcmp`. A leaf every layer may use.

/// Makes `dst` a copy of `src`, in the buffer `dst` already has.
pub(crate) fn refill(dst: &mut Vec<u8>, src: &[u8]) {
    dst.clear();
    dst.extend_from_slice(src);
}

/// Makes `dst` a copy of `src` (`None` for NULL), reusing `dst`'s buffer.
pub(crate) fn refill_opt(dst: &mut Option<Vec<u8>>, src: Option<&[u8]>) {
    match src {
        Some(src) => refill(dst.get_or_insert_with(Vec::new), src),
        None => *dst = None,
    }
}

/// Whether two byte strings are equal, compared eight bytes at a time.
///
/// The snapshots compared after every step were just written, and glibc's
/// `memcmp` reads short strings with masked vector loads, which cannot take
/// their data from the store buffer on this project's machines (AMD EPYC):
/// each call stalled until the stores drained. `memcmp` was a third of the
/// differential loop's time for about a hundred bytes a step.
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (words_a, tail_a) = a.as_chunks::<8>();
    let (words_b, tail_b) = b.as_chunks::<8>();
    let word = |w: &[u8; 8]| u64::from_ne_bytes(*w);
    words_a.iter().zip(words_b).all(|(x, y)| word(x) == word(y))
        && tail_a.iter().zip(tail_b).all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_is_slice_equality() {
        let base: Vec<u8> = (0..40u8).collect();
        for len in 0..=base.len() {
            let a = &base[..len];
            assert!(same_bytes(a, a));
            if len > 0 {
                assert!(!same_bytes(a, &a[..len - 1]), "length {len}, one shorter");
            }
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 0x80;
                assert!(!same_bytes(a, &b), "length {len}, byte {at}");
            }
        }
    }

    #[test]
    fn refills_copy_and_keep_the_buffer() {
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(b"old contents");
        let buffer = v.as_ptr();
        refill(&mut v, b"new");
        assert_eq!((v.as_slice(), v.as_ptr()), (&b"new"[..], buffer));
        let mut o = Some(v);
        refill_opt(&mut o, Some(b"again"));
        assert_eq!(o.as_deref(), Some(&b"again"[..]));
        assert_eq!(o.as_ref().unwrap().as_ptr(), buffer);
        refill_opt(&mut o, None);
        assert_eq!(o, None);
        refill_opt(&mut o, Some(b""));
        assert_eq!(o.as_deref(), Some(&b""[..]));
    }
}
