//! The BER reading rules of libssl 3.0's template decoder
//! (`crypto/asn1/asn1_lib.c` and `tasn_dec.c`), reduced to what the
//! session template uses: headers, end-of-contents markers, OCTET STRINGs
//! in primitive or constructed form, and the fixed-width INTEGER types of
//! `x_int64.c`.
//!
//! The rules are lenient in the same places as libssl: long-form and
//! non-minimal lengths, high-tag-number form for low tags, indefinite
//! lengths on constructed elements, constructed strings whose pieces may
//! carry any tag, and zero-length INTEGERs (read as 0). They are strict
//! where libssl is: INTEGER padding, value ranges, and lengths that run
//! past the data.

use std::borrow::Cow;

use super::error::Asn1Problem;

/// Universal class.
pub(super) const UNIVERSAL: u8 = 0x00;
/// Context-specific class.
pub(super) const CONTEXT: u8 = 0x80;

/// How deeply constructed string pieces may nest (`ASN1_MAX_STRING_NEST`).
const MAX_STRING_NEST: u32 = 5;

/// One element's identifier and length octets.
#[derive(Debug, Clone, Copy)]
pub(super) struct Header {
    /// The class bits (0x00, 0x40, 0x80 or 0xc0).
    pub class: u8,
    /// The tag number.
    pub tag: u32,
    /// The constructed bit.
    pub constructed: bool,
    /// Indefinite length (constructed only).
    pub indefinite: bool,
    /// The identifier and length octets.
    pub hdr_len: usize,
    /// The content length; for an indefinite length, every byte after the
    /// header that is available (libssl's upper bound).
    pub len: usize,
}

impl Header {
    /// Whether this is the element with `tag` in `class` (the constructed
    /// bit is not compared, as in libssl).
    pub fn is(&self, class: u8, tag: u32) -> bool {
        self.class == class && self.tag == tag
    }
}

/// `ASN1_get_object` on `data` (every byte available to the element).
/// With `quirk`, a long-form length needs a byte after its length octets,
/// as `asn1_get_length` wanted until 3.6 (and 3.0.22).
pub(super) fn header(data: &[u8], quirk: bool) -> Result<Header, Asn1Problem> {
    let Some(&first) = data.first() else {
        return Err(Asn1Problem::NoData);
    };
    let bad = Asn1Problem::BadHeader;
    let constructed = first & 0x20 != 0;
    let class = first & 0xc0;
    // `max` counts the bytes left, as libssl does; reaching 0 early fails.
    let mut max = data.len();
    let mut p = 1;
    let tag = if first & 0x1f == 0x1f {
        max -= 1;
        if max == 0 {
            return Err(bad);
        }
        let mut t: u32 = 0;
        while data[p] & 0x80 != 0 {
            t = (t << 7) | u32::from(data[p] & 0x7f);
            p += 1;
            max -= 1;
            if max == 0 || t > (i32::MAX as u32 >> 7) {
                return Err(bad);
            }
        }
        t = (t << 7) | u32::from(data[p] & 0x7f);
        p += 1;
        t
    } else {
        u32::from(first & 0x1f)
    };
    max -= 1;
    if max == 0 {
        return Err(bad);
    }
    // asn1_get_length
    let l0 = data[p];
    p += 1;
    max -= 1;
    let (indefinite, len) = if l0 == 0x80 {
        (true, 0)
    } else if l0 & 0x80 == 0 {
        (false, usize::from(l0))
    } else {
        let mut n = usize::from(l0 & 0x7f);
        // libssl 3.0.19 wants a byte beyond the length octets, even for a
        // zero length (3.0.22's and 3.6's sources ask only for the octets).
        if max < n + usize::from(quirk) {
            return Err(bad);
        }
        while n > 0 && data[p] == 0 {
            p += 1;
            n -= 1;
        }
        if n > 8 {
            return Err(bad);
        }
        let mut v: u64 = 0;
        for &b in &data[p..p + n] {
            v = (v << 8) | u64::from(b);
        }
        p += n;
        if v > i64::MAX as u64 {
            return Err(bad);
        }
        (false, usize::try_from(v).unwrap_or(usize::MAX))
    };
    if indefinite && !constructed {
        return Err(bad);
    }
    let avail = data.len() - p;
    if !indefinite && len > avail {
        return Err(Asn1Problem::TooLong);
    }
    Ok(Header {
        class,
        tag,
        constructed,
        indefinite,
        hdr_len: p,
        len: if indefinite { avail } else { len },
    })
}

/// `asn1_check_eoc`: whether `data` starts with an end-of-contents marker.
pub(super) fn is_eoc(data: &[u8]) -> bool {
    data.len() >= 2 && data[0] == 0 && data[1] == 0
}

/// A problem and the offset where it was found.
pub(super) type Located = (Asn1Problem, usize);

/// Reads an OCTET STRING's content from `data`, whose header `h` was
/// read already. Returns the content and the bytes the element used.
pub(super) fn octets(
    data: &[u8],
    h: Header,
    quirk: bool,
) -> Result<(Cow<'_, [u8]>, usize), Located> {
    let body = &data[h.hdr_len..h.hdr_len + h.len];
    if !h.constructed {
        return Ok((Cow::Borrowed(body), h.hdr_len + h.len));
    }
    let mut out = Vec::new();
    let used =
        collect(body, h.indefinite, 0, quirk, &mut out).map_err(|(p, at)| (p, h.hdr_len + at))?;
    Ok((Cow::Owned(out), h.hdr_len + used))
}

/// `asn1_collect`: concatenates the pieces of a constructed string. The
/// pieces may have any tag and class. Returns the bytes used; an error
/// carries the offset in `data` where it was found.
fn collect(
    data: &[u8],
    indefinite: bool,
    depth: u32,
    quirk: bool,
    out: &mut Vec<u8>,
) -> Result<usize, Located> {
    let mut p = 0;
    let mut open = indefinite;
    while p < data.len() {
        if is_eoc(&data[p..]) {
            if !open {
                return Err((Asn1Problem::UnexpectedEoc, p));
            }
            p += 2;
            open = false;
            break;
        }
        let h = header(&data[p..], quirk).map_err(|e| (e, p))?;
        let body = p + h.hdr_len;
        if h.constructed {
            if depth >= MAX_STRING_NEST {
                return Err((Asn1Problem::StringNestedTooDeep, p));
            }
            let used = collect(
                &data[body..body + h.len],
                h.indefinite,
                depth + 1,
                quirk,
                out,
            )
            .map_err(|(e, at)| (e, body + at))?;
            p = body + used;
        } else {
            out.extend_from_slice(&data[body..body + h.len]);
            p = body + h.len;
        }
    }
    if open {
        return Err((Asn1Problem::MissingEoc, p));
    }
    Ok(p)
}

/// The fixed-width INTEGER types of `x_int64.c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IntType {
    /// `INT32` / `ZINT32`.
    I32,
    /// `UINT32` / `ZUINT32`.
    U32,
    /// `ZINT64`.
    I64,
    /// `ZUINT64`.
    U64,
}

/// `c2i_ibuf` followed by `asn1_get_uint64`: the magnitude and sign of
/// the INTEGER content `c` (not empty).
fn magnitude(c: &[u8]) -> Result<(u64, bool), Asn1Problem> {
    let neg = c[0] & 0x80 != 0;
    if c.len() == 1 {
        let m = if neg { (c[0] ^ 0xff) + 1 } else { c[0] };
        return Ok((u64::from(m), neg));
    }
    let pad = match c[0] {
        0x00 => true,
        0xff => c[1..].iter().any(|&b| b != 0),
        _ => false,
    };
    if pad && neg == (c[1] & 0x80 != 0) {
        return Err(Asn1Problem::IllegalPadding);
    }
    let body = &c[usize::from(pad)..];
    if body.len() > 8 {
        return Err(Asn1Problem::TooLarge);
    }
    let v = body.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
    let m = if neg {
        // Two's complement within the body's width.
        let bits = body.len() as u32 * 8;
        let mask = if bits == 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        (!v).wrapping_add(1) & mask
    } else {
        v
    };
    Ok((m, neg))
}

/// `uint32_c2i` / `uint64_c2i`: the value of INTEGER content `c` as the
/// type's bits (sign-extended for the signed types). Empty content is 0.
pub(super) fn int_value(c: &[u8], ty: IntType) -> Result<u64, Asn1Problem> {
    if c.is_empty() {
        return Ok(0);
    }
    let (m, neg) = magnitude(c)?;
    let signed = matches!(ty, IntType::I32 | IntType::I64);
    if neg && !signed {
        return Err(Asn1Problem::NegativeValue);
    }
    match ty {
        IntType::I64 | IntType::U64 => {
            if signed && !neg && m > i64::MAX as u64 {
                return Err(Asn1Problem::TooLarge);
            }
            // A negative magnitude up to 2^64 - 1 is accepted and wraps.
            Ok(if neg { m.wrapping_neg() } else { m })
        }
        IntType::I32 | IntType::U32 => {
            if neg {
                if m > 1 << 31 {
                    return Err(Asn1Problem::TooSmall);
                }
                Ok(i64::from(m.wrapping_neg() as u32 as i32) as u64)
            } else if (signed && m > i32::MAX as u64) || (!signed && m > u64::from(u32::MAX)) {
                Err(Asn1Problem::TooLarge)
            } else {
                Ok(m)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let h = header(&[0x30, 0x03, 1, 2, 3], true).unwrap();
        assert!(h.is(UNIVERSAL, 16) && h.constructed && h.hdr_len == 2 && h.len == 3);
        // Long form with leading zeros, and high-tag form for tag 19.
        let h = header(&[0xbf, 0x13, 0x82, 0x00, 0x01, 9], true).unwrap();
        assert!(h.is(CONTEXT, 19) && h.hdr_len == 5 && h.len == 1);
        // Indefinite: the rest of the data.
        let h = header(&[0x30, 0x80, 0, 0, 7], true).unwrap();
        assert!(h.indefinite && h.len == 3);
        assert_eq!(
            header(&[0x04, 0x80, 0, 0], true).unwrap_err(),
            Asn1Problem::BadHeader
        );
        assert_eq!(
            header(&[0x04, 0x02, 0], true).unwrap_err(),
            Asn1Problem::TooLong
        );
        assert_eq!(header(&[0x04], true).unwrap_err(), Asn1Problem::BadHeader);
        assert_eq!(header(&[], true).unwrap_err(), Asn1Problem::NoData);
        // A long-form length needs its octets and one more byte present.
        assert_eq!(
            header(&[0x04, 0x81], true).unwrap_err(),
            Asn1Problem::BadHeader
        );
        assert_eq!(
            header(&[0x04, 0x81, 0x00], true).unwrap_err(),
            Asn1Problem::BadHeader
        );
        assert!(header(&[0x04, 0x81, 0x00, 0x30], true).is_ok());
    }

    #[test]
    fn constructed_strings_nest_up_to_five() {
        // 24 80 [04 01 61] [24 03 [04 01 62]] 00 00
        let der = [
            0x24, 0x80, 0x04, 0x01, 0x61, 0x24, 0x03, 0x04, 0x01, 0x62, 0, 0,
        ];
        let (v, used) = octets(&der, header(&der, true).unwrap(), true).unwrap();
        assert_eq!((&*v, used), (&b"ab"[..], der.len()));
        // The outer string plus six constructed levels inside: one too many.
        let mut deep = vec![0x04, 0x00];
        for _ in 0..7 {
            let mut outer = vec![0x24, deep.len() as u8];
            outer.extend_from_slice(&deep);
            deep = outer;
        }
        let h = header(&deep, true).unwrap();
        assert_eq!(
            octets(&deep, h, true).unwrap_err().0,
            Asn1Problem::StringNestedTooDeep
        );
        let five = &deep[2..];
        let (v, _) = octets(five, header(five, true).unwrap(), true).unwrap();
        assert!(v.is_empty());
    }

    #[test]
    fn integer_rules() {
        use IntType::*;
        assert_eq!(int_value(&[], U32), Ok(0));
        assert_eq!(int_value(&[0x7f], I32), Ok(127));
        assert_eq!(int_value(&[0x80], I32), Ok((-128i64) as u64));
        assert_eq!(int_value(&[0x00, 0x80], U32), Ok(128));
        assert_eq!(
            int_value(&[0x00, 0x7f], U32),
            Err(Asn1Problem::IllegalPadding)
        );
        assert_eq!(
            int_value(&[0xff, 0x80], I32),
            Err(Asn1Problem::IllegalPadding)
        );
        assert_eq!(int_value(&[0xff, 0x00], I32), Ok((-256i64) as u64));
        assert_eq!(int_value(&[0xff], U32), Err(Asn1Problem::NegativeValue));
        assert_eq!(
            int_value(&[0x00, 0xff, 0xff, 0xff, 0xff], U32),
            Ok(u64::from(u32::MAX))
        );
        assert_eq!(
            int_value(&[0x01, 0, 0, 0, 0], U32),
            Err(Asn1Problem::TooLarge)
        );
        assert_eq!(
            int_value(&[0x80, 0, 0, 0], I32),
            Ok(i64::from(i32::MIN) as u64)
        );
        assert_eq!(
            int_value(&[0xff, 0x7f, 0xff, 0xff, 0xff], I32),
            Err(Asn1Problem::TooSmall)
        );
        // 64-bit: a negative magnitude past 2^63 wraps instead of failing.
        let nine = [0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(
            int_value(&nine, I64),
            Ok(0x8000_0000_0000_0001u64.wrapping_neg())
        );
        assert_eq!(
            int_value(&[0x00, 0x80, 0, 0, 0, 0, 0, 0, 0], I64),
            Err(Asn1Problem::TooLarge)
        );
        assert_eq!(
            int_value(&[0x00, 0x80, 0, 0, 0, 0, 0, 0, 0], U64),
            Ok(1 << 63)
        );
        assert_eq!(
            int_value(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0], U64),
            Err(Asn1Problem::TooLarge)
        );
    }
}
