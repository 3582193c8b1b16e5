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

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Appends the element `tag` with `content`, in DER's minimal length form.
pub(crate) fn tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    push_len(out, content.len());
    out.extend_from_slice(content);
}

/// The minimal two's-complement content octets of `v`.
fn int_content(v: i128) -> Vec<u8> {
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
    bytes[start..].to_vec()
}

fn integer(out: &mut Vec<u8>, v: i128) {
    tlv(out, 0x02, &int_content(v));
}

fn octets(out: &mut Vec<u8>, b: &[u8]) {
    tlv(out, 0x04, b);
}

/// `[n] EXPLICIT` around what `inner` writes.
fn explicit(out: &mut Vec<u8>, n: u8, inner: impl FnOnce(&mut Vec<u8>)) {
    let mut body = Vec::new();
    inner(&mut body);
    tlv(out, 0xa0 | n, &body);
}

/// The encoding of `d`, or `None` where `i2d_SSL_SESSION` returns 0 (no
/// cipher and no cipher id).
pub(crate) fn encode(d: &SessionData) -> Option<Vec<u8>> {
    let code = match d.cipher {
        Some(c) => c,
        None if d.cipher_id != 0 => (d.cipher_id & 0xffff) as u16,
        None => return None,
    };
    let mut b = Vec::with_capacity(128 + d.master_key().len());
    integer(&mut b, 1); // version: UINT32, always 1
    integer(&mut b, d.ssl_version.into()); // INT32
    octets(&mut b, &code.to_be_bytes());
    octets(&mut b, d.id());
    octets(&mut b, d.master_key());
    if d.time() != 0 {
        explicit(&mut b, 1, |o| integer(o, d.time().into())); // ZINT64
    }
    if d.timeout() != 0 {
        explicit(&mut b, 2, |o| integer(o, d.timeout().into()));
    }
    explicit(&mut b, 4, |o| octets(o, d.id_context())); // always, even empty
    let verify = d.verify_result as i32; // ZINT32: the long is truncated
    if verify != 0 {
        explicit(&mut b, 5, |o| integer(o, verify.into()));
    }
    let strings = [
        (6, d.hostname()),
        (7, d.psk_identity_hint()),
        (8, d.psk_identity()),
    ];
    for (n, s) in strings {
        if let Some(s) = s {
            explicit(&mut b, n, |o| octets(o, s));
        }
    }
    let rare = d.rare();
    if rare.tick_lifetime_hint != 0 {
        explicit(&mut b, 9, |o| integer(o, rare.tick_lifetime_hint.into())); // ZUINT64
    }
    if let Some(t) = &rare.ticket {
        explicit(&mut b, 10, |o| octets(o, t));
    }
    if d.compress_id != 0 {
        explicit(&mut b, 11, |o| octets(o, &[d.compress_id as u8]));
    }
    if let Some(s) = d.srp_username() {
        explicit(&mut b, 12, |o| octets(o, s));
    }
    if d.flags != 0 {
        explicit(&mut b, 13, |o| integer(o, d.flags.into())); // ZUINT64
    }
    if rare.tick_age_add != 0 {
        explicit(&mut b, 14, |o| integer(o, rare.tick_age_add.into())); // ZUINT32
    }
    if d.max_early_data != 0 {
        explicit(&mut b, 15, |o| integer(o, d.max_early_data.into())); // ZUINT32
    }
    if let Some(a) = d.alpn_selected() {
        explicit(&mut b, 16, |o| octets(o, a));
    }
    if d.max_fragment_len_mode != 0 {
        explicit(&mut b, 17, |o| integer(o, d.max_fragment_len_mode.into()));
    }
    if let Some(a) = d.ticket_appdata() {
        explicit(&mut b, 18, |o| octets(o, a));
    }
    if d.profile.kex_group {
        explicit(&mut b, 19, |o| integer(o, d.kex_group.into())); // UINT32, always
    }
    let mut out = Vec::with_capacity(b.len() + 4);
    tlv(&mut out, 0x30, &b);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_minimal_twos_complement() {
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
}
