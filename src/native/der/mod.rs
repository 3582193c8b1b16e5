//! The DER codec of a session: the encoder writes byte for byte what
//! libssl 3.0's `i2d_SSL_SESSION` writes (the `SSL_SESSION_ASN1` template
//! of `ssl/ssl_asn1.c`; SEMANTICS.md §10.1–§10.2), and the decoder accepts,
//! rejects and writes exactly as `d2i_SSL_SESSION` does (§10.3).
//!
//! The one field outside the model is the peer certificate (`[3]`): the
//! native session holds none, so it never writes one, and an input that
//! carries one is refused with [`DecodeErrorKind::PeerCertificate`].

mod ber;
mod decode;
mod error;
mod template;

pub(crate) use decode::parse;
pub use error::{Asn1Problem, DecodeError, DecodeErrorKind};
pub use template::{Element, Field, elements};

use super::data::SessionData;

/// DER's minimal length octets for `len`: the octets and how many.
fn len_octets(len: usize) -> ([u8; 9], usize) {
    let mut octets = [0; 9];
    if len < 0x80 {
        octets[0] = len as u8;
        return (octets, 1);
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let n = bytes.len() - skip;
    octets[0] = 0x80 | n as u8;
    octets[1..=n].copy_from_slice(&bytes[skip..]);
    (octets, n + 1)
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    let (octets, n) = len_octets(len);
    out.extend_from_slice(&octets[..n]);
}

/// Inserts at `at` the length octets of everything `out` holds past `at`:
/// an element's content is written first and its length put before it.
fn insert_len(out: &mut Vec<u8>, at: usize) {
    let (octets, n) = len_octets(out.len() - at);
    out.splice(at..at, octets[..n].iter().copied());
}

/// Appends the element `tag` with `content`, in DER's minimal length form.
pub(crate) fn tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    push_len(out, content.len());
    out.extend_from_slice(content);
}

/// The minimal two's-complement content octets of `v`: `bytes[start..]`.
fn int_content(v: i128) -> ([u8; 16], usize) {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < bytes.len() - 1 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0x00 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    (bytes, start)
}

fn integer(out: &mut Vec<u8>, v: i128) {
    let (bytes, start) = int_content(v);
    tlv(out, 0x02, &bytes[start..]);
}

fn octets(out: &mut Vec<u8>, b: &[u8]) {
    tlv(out, 0x04, b);
}

/// `[n] EXPLICIT` around what `inner` writes.
fn explicit(out: &mut Vec<u8>, n: u8, inner: impl FnOnce(&mut Vec<u8>)) {
    out.push(0xa0 | n);
    let at = out.len();
    inner(out);
    insert_len(out, at);
}

/// The encoding of `d`, or `None` where `i2d_SSL_SESSION` returns 0 (no
/// cipher and no cipher id).
pub(crate) fn encode(d: &SessionData) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(128 + d.master_key().len());
    encode_into(d, &mut out).then_some(out)
}

/// Writes the encoding of `d` into `out` (emptied first), written in place
/// without other allocations; false, with `out` empty, where
/// `i2d_SSL_SESSION` returns 0.
pub(crate) fn encode_into(d: &SessionData, out: &mut Vec<u8>) -> bool {
    out.clear();
    let code = match d.cipher {
        Some(c) => c,
        None if d.cipher_id != 0 => (d.cipher_id & 0xffff) as u16,
        None => return false,
    };
    out.push(0x30);
    let b = out;
    integer(b, 1); // version: UINT32, always 1
    integer(b, d.ssl_version.into()); // INT32
    octets(b, &code.to_be_bytes());
    octets(b, d.id());
    octets(b, d.master_key());
    if d.time() != 0 {
        explicit(b, 1, |o| integer(o, d.time().into())); // ZINT64
    }
    if d.timeout() != 0 {
        explicit(b, 2, |o| integer(o, d.timeout().into()));
    }
    explicit(b, 4, |o| octets(o, d.id_context())); // always, even empty
    let verify = d.verify_result as i32; // ZINT32: the long is truncated
    if verify != 0 {
        explicit(b, 5, |o| integer(o, verify.into()));
    }
    let strings = [
        (6, d.hostname()),
        (7, d.psk_identity_hint()),
        (8, d.psk_identity()),
    ];
    for (n, s) in strings {
        if let Some(s) = s {
            explicit(b, n, |o| octets(o, s));
        }
    }
    let rare = d.rare();
    if rare.tick_lifetime_hint != 0 {
        explicit(b, 9, |o| integer(o, rare.tick_lifetime_hint.into())); // ZUINT64
    }
    if let Some(t) = &rare.ticket {
        explicit(b, 10, |o| octets(o, t));
    }
    if d.compress_id != 0 {
        explicit(b, 11, |o| octets(o, &[d.compress_id as u8]));
    }
    if let Some(s) = d.srp_username() {
        explicit(b, 12, |o| octets(o, s));
    }
    if d.flags != 0 {
        explicit(b, 13, |o| integer(o, d.flags.into())); // ZUINT64
    }
    if rare.tick_age_add != 0 {
        explicit(b, 14, |o| integer(o, rare.tick_age_add.into())); // ZUINT32
    }
    if d.max_early_data != 0 {
        explicit(b, 15, |o| integer(o, d.max_early_data.into())); // ZUINT32
    }
    if let Some(a) = d.alpn_selected() {
        explicit(b, 16, |o| octets(o, a));
    }
    if d.max_fragment_len_mode != 0 {
        explicit(b, 17, |o| integer(o, d.max_fragment_len_mode.into()));
    }
    if let Some(a) = d.ticket_appdata() {
        explicit(b, 18, |o| octets(o, a));
    }
    if d.profile.kex_group {
        explicit(b, 19, |o| integer(o, d.kex_group.into())); // UINT32, always
    }
    insert_len(b, 1);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_minimal_twos_complement() {
        let int_content = |v: i128| {
            let (bytes, start) = int_content(v);
            bytes[start..].to_vec()
        };
        assert_eq!(int_content(0), [0x00]);
        assert_eq!(int_content(127), [0x7f]);
        assert_eq!(int_content(128), [0x00, 0x80]);
        assert_eq!(int_content(255), [0x00, 0xff]);
        assert_eq!(int_content(-1), [0xff]);
        assert_eq!(int_content(-128), [0x80]);
        assert_eq!(int_content(-129), [0xff, 0x7f]);
        assert_eq!(int_content(0x0304), [0x03, 0x04]);
        assert_eq!(int_content(i64::MIN.into()), [0x80, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn long_lengths() {
        let mut v = Vec::new();
        push_len(&mut v, 512);
        assert_eq!(v, [0x82, 0x02, 0x00]);
        v.clear();
        push_len(&mut v, 200);
        assert_eq!(v, [0x81, 200]);
    }

    /// An element's length put in front of its content afterwards is the
    /// length `tlv` writes, short and long form.
    #[test]
    fn lengths_inserted_after_the_content_match_tlv() {
        for len in [0, 1, 127, 128, 255, 256, 70_000] {
            let content: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut direct = vec![9];
            tlv(&mut direct, 0x04, &content);
            let mut after = vec![9, 0x04];
            after.extend_from_slice(&content);
            insert_len(&mut after, 2);
            assert_eq!(after, direct, "length {len}");
        }
    }
}
