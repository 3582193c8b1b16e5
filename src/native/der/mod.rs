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
    let end = out.len();
    let (octets, n) = len_octets(end - at);
    out.extend_from_slice(&octets[..n]);
    out.copy_within(at..end, at + n);
    out[at..at + n].copy_from_slice(&octets[..n]);
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

/// `[n] EXPLICIT` around the one element `tag` with `content`: its length
/// is known before it is written.
fn explicit_tlv(out: &mut Vec<u8>, n: u8, tag: u8, content: &[u8]) {
    let (_, len_len) = len_octets(content.len());
    out.push(0xa0 | n);
    push_len(out, 1 + len_len + content.len());
    tlv(out, tag, content);
}

/// `[n] EXPLICIT INTEGER`.
fn explicit_integer(out: &mut Vec<u8>, n: u8, v: i128) {
    let (bytes, start) = int_content(v);
    explicit_tlv(out, n, 0x02, &bytes[start..]);
}

/// `[n] EXPLICIT OCTET STRING`.
fn explicit_octets(out: &mut Vec<u8>, n: u8, b: &[u8]) {
    explicit_tlv(out, n, 0x04, b);
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
        explicit_integer(b, 1, d.time().into()); // ZINT64
    }
    if d.timeout() != 0 {
        explicit_integer(b, 2, d.timeout().into());
    }
    explicit_octets(b, 4, d.id_context()); // always, even empty
    let verify = d.verify_result as i32; // ZINT32: the long is truncated
    if verify != 0 {
        explicit_integer(b, 5, verify.into());
    }
    let strings = [
        (6, d.hostname()),
        (7, d.psk_identity_hint()),
        (8, d.psk_identity()),
    ];
    for (n, s) in strings {
        if let Some(s) = s {
            explicit_octets(b, n, s);
        }
    }
    let rare = d.rare();
    if rare.tick_lifetime_hint != 0 {
        explicit_integer(b, 9, rare.tick_lifetime_hint.into()); // ZUINT64
    }
    if let Some(t) = &rare.ticket {
        explicit_octets(b, 10, t);
    }
    if d.compress_id != 0 {
        explicit_octets(b, 11, &[d.compress_id as u8]);
    }
    if let Some(s) = d.srp_username() {
        explicit_octets(b, 12, s);
    }
    if d.flags != 0 {
        explicit_integer(b, 13, d.flags.into()); // ZUINT64
    }
    if rare.tick_age_add != 0 {
        explicit_integer(b, 14, rare.tick_age_add.into()); // ZUINT32
    }
    if d.max_early_data != 0 {
        explicit_integer(b, 15, d.max_early_data.into()); // ZUINT32
    }
    if let Some(a) = d.alpn_selected() {
        explicit_octets(b, 16, a);
    }
    if d.max_fragment_len_mode != 0 {
        explicit_integer(b, 17, d.max_fragment_len_mode.into());
    }
    if let Some(a) = d.ticket_appdata() {
        explicit_octets(b, 18, a);
    }
    if d.profile.kex_group {
        explicit_integer(b, 19, d.kex_group.into()); // UINT32, always
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

    /// An explicit tag's length, written before its element, is the
    /// element's whole length: tag, length octets (short and long form)
    /// and content.
    #[test]
    fn explicit_wrappers_count_the_whole_inner_element() {
        for len in [0, 1, 125, 126, 127, 128, 255, 256, 70_000] {
            let content: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut inner = Vec::new();
            tlv(&mut inner, 0x04, &content);
            let mut expected = vec![0xa3];
            push_len(&mut expected, inner.len());
            expected.extend_from_slice(&inner);
            let mut got = Vec::new();
            explicit_octets(&mut got, 3, &content);
            assert_eq!(got, expected, "length {len}");
        }
        let mut got = Vec::new();
        explicit_integer(&mut got, 9, 300);
        assert_eq!(got, [0xa9, 4, 0x02, 2, 0x01, 0x2c]);
    }
}
