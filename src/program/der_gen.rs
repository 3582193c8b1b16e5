//! Mostly-valid session DER from fuzzer bytes: the structure-aware half of
//! the `der` fuzz target, and the inputs of generated `decode` ops.
//!
//! The fields follow the `SSL_SESSION_ASN1` template (SEMANTICS.md §10.1)
//! with values at the decoder's boundaries — bad versions, unknown ciphers,
//! 33-byte ids, 513-byte keys, zero and wrapping times, empty buffers,
//! strings with NUL. The encoding varies the way BER allows and libssl
//! accepts (long-form lengths, indefinite lengths, constructed strings,
//! high-tag form, zero-length INTEGERs), and now and then breaks a rule
//! (INTEGER padding, reordered or repeated fields, truncation, a flipped
//! byte, trailing bytes) so that every rejection path is reached too.

use super::BIRTH_TIME;
use super::generate::{Gen, R};

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;

/// Identifier or length octets (at most ten), kept on the stack: the
/// generator runs for every generated `decode`, under ASan in the fuzz
/// targets, where each allocation costs a stack trace.
#[derive(Clone, Copy)]
struct Octets {
    buf: [u8; 10],
    len: u8,
}

impl Octets {
    fn one(b: u8) -> Octets {
        Octets::from(&[b])
    }

    fn from(bytes: &[u8]) -> Octets {
        let mut buf = [0; 10];
        buf[..bytes.len()].copy_from_slice(bytes);
        Octets {
            buf,
            len: bytes.len() as u8,
        }
    }

    fn push(&mut self, b: u8) {
        self.buf[usize::from(self.len)] = b;
        self.len += 1;
    }

    fn as_slice(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

/// An element: its identifier, its length octets and its content, in one
/// allocation.
fn element(ident: Octets, len: &[u8], content: &[u8], end: &[u8]) -> Vec<u8> {
    let ident = ident.as_slice();
    let mut v = Vec::with_capacity(ident.len() + len.len() + content.len() + end.len());
    v.extend_from_slice(ident);
    v.extend_from_slice(len);
    v.extend_from_slice(content);
    v.extend_from_slice(end);
    v
}

impl Gen<'_, '_> {
    /// Identifier octets for `tag` of `class`, now and then in high-tag
    /// form (which libssl reads for low tags too).
    fn ident(&mut self, class_cons: u8, tag: u8) -> R<Octets> {
        Ok(if tag < 31 && !self.one_in(24)? {
            Octets::one(class_cons | tag)
        } else {
            Octets::from(&[class_cons | 0x1f, tag])
        })
    }

    /// Length octets for `n`: short form, or now and then long form with a
    /// redundant leading zero.
    fn length(&mut self, n: usize) -> R<Octets> {
        let bytes = (n as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        Ok(if n < 0x80 && !self.one_in(16)? {
            Octets::one(n as u8)
        } else {
            let zeros = usize::from(self.one_in(8)?);
            let mut v = Octets::one(0x80 | (8 - skip + zeros) as u8);
            if zeros == 1 {
                v.push(0);
            }
            for &b in &bytes[skip..] {
                v.push(b);
            }
            v
        })
    }

    /// A constructed element, now and then with an indefinite length.
    fn constructed(&mut self, ident: Octets, content: &[u8]) -> R<Vec<u8>> {
        Ok(if self.one_in(10)? {
            element(ident, &[0x80], content, &[0, 0])
        } else {
            let len = self.length(content.len())?;
            element(ident, len.as_slice(), content, &[])
        })
    }

    fn primitive(&mut self, ident: Octets, content: &[u8]) -> R<Vec<u8>> {
        let len = self.length(content.len())?;
        Ok(element(ident, len.as_slice(), content, &[]))
    }

    /// An OCTET STRING, now and then in constructed form, split in pieces.
    fn octet_string(&mut self, tag: u8, bytes: &[u8]) -> R<Vec<u8>> {
        if !self.one_in(10)? {
            let ident = self.ident(tag & 0xc0, tag & 0x1f)?;
            return self.primitive(ident, bytes);
        }
        let cut = self.u.int_in_range(0..=bytes.len())?;
        let mut pieces = Vec::with_capacity(bytes.len() + 24);
        for part in [&bytes[..cut], &bytes[cut..]] {
            pieces.extend(self.primitive(Octets::one(OCTET_STRING), part)?);
        }
        let ident = self.ident((tag & 0xc0) | 0x20, tag & 0x1f)?;
        self.constructed(ident, &pieces)
    }

    /// An INTEGER: minimal two's complement, now and then with a redundant
    /// leading octet (rejected), or empty for 0 (accepted).
    fn integer(&mut self, v: i128) -> R<Vec<u8>> {
        let bytes = v.to_be_bytes();
        let mut start = 0;
        while start < 15 {
            let (b, next) = (bytes[start], bytes[start + 1]);
            let redundant = (b == 0x00 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0);
            if !redundant {
                break;
            }
            start += 1;
        }
        let mut content = [0u8; 17];
        let mut n = 0;
        if v == 0 && self.one_in(8)? {
            // Empty.
        } else {
            if self.one_in(128)? {
                content[0] = if v < 0 { 0xff } else { 0x00 };
                n = 1;
            }
            let minimal = &bytes[start..];
            content[n..n + minimal.len()].copy_from_slice(minimal);
            n += minimal.len();
        }
        self.primitive(Octets::one(INTEGER), &content[..n])
    }

    /// `[n] EXPLICIT` around `inner`.
    fn explicit(&mut self, n: u8, inner: &[u8]) -> R<Vec<u8>> {
        let ident = self.ident(0xa0, n)?;
        self.constructed(ident, inner)
    }

    fn der_bytes(&mut self, lens: &[usize], fill: &[u8]) -> R<Vec<u8>> {
        let n = self.pick(lens)?;
        let b = self.pick(fill)?;
        let mut v = vec![b; n];
        if n > 0 && self.one_in(4)? {
            v[0] = self.u.arbitrary()?;
        }
        Ok(v)
    }

    fn der_time(&mut self) -> R<i128> {
        Ok(match self.u.int_in_range(0..=5u8)? {
            0 => self.pick(&[0, 1, -1, i64::MAX.into(), i64::MIN.into()])?,
            // A negative magnitude past 2^63: libssl wraps it.
            1 if self.one_in(4)? => -(i128::from(i64::MAX) + 2),
            _ => (BIRTH_TIME + self.u.int_in_range(-2..=2i64)?).into(),
        })
    }

    /// The fields of a session, in template order, each as its element.
    fn session_fields(&mut self) -> R<Vec<Vec<u8>>> {
        let mut f = Vec::new();
        let version = if self.one_in(16)? {
            self.pick(&[0, 2, -1, 256])?
        } else {
            1
        };
        f.push(self.integer(version)?);
        let ssl_version = if self.one_in(4)? {
            self.pick(&[
                0x0303, 0xfefd, 0x0100, 0x0377, 0x0300, 0, -1, 0x0200, 0xfeff,
            ])?
        } else {
            0x0304
        };
        f.push(self.integer(ssl_version)?);
        let cipher = if self.one_in(32)? {
            self.der_bytes(&[0, 1, 3], &[0x13])?
        } else if self.one_in(16)? {
            self.u.arbitrary::<[u8; 2]>()?.to_vec()
        } else {
            let c: u16 = self.pick(&[0x1301, 0x1302, 0xc02f, 0x00ff, 0x5600, 0x1306, 0x0001])?;
            c.to_be_bytes().to_vec()
        };
        f.push(self.octet_string(OCTET_STRING, &cipher)?);
        let id = self.der_bytes(&[0, 1, 4, 4, 4, 32, 32, 33], &[1, 2, 0xff])?;
        f.push(self.octet_string(OCTET_STRING, &id)?);
        let key = self.der_bytes(&[0, 48, 48, 48, 48, 512, 513], &[0x4d])?;
        f.push(self.octet_string(OCTET_STRING, &key)?);
        if self.one_in(16)? {
            let arg = self.der_bytes(&[0, 8], &[0x4b])?;
            f.push(self.octet_string(0x80, &arg)?); // [0] IMPLICIT
        }
        for tag in [1u8, 2] {
            if !self.one_in(8)? {
                let v = if tag == 1 {
                    self.der_time()?
                } else {
                    self.pick(&[0, 3, 304, 7200, -1, i64::MAX.into(), i64::MIN.into()])?
                };
                let i = self.integer(v)?;
                f.push(self.explicit(tag, &i)?);
            }
        }
        if self.one_in(64)? {
            // Not a certificate: libssl rejects it while parsing X.509.
            let junk = self.primitive(Octets::one(SEQUENCE), &[0x02, 0x01, 0x00])?;
            f.push(self.explicit(3, &junk)?);
        }
        if !self.one_in(8)? {
            let ctx = self.der_bytes(&[0, 4, 4, 4, 32, 33], &[0x63])?;
            let s = self.octet_string(OCTET_STRING, &ctx)?;
            f.push(self.explicit(4, &s)?);
        }
        if self.one_in(2)? {
            let v = self.pick(&[0, 1, -1, 20, i32::MIN.into()])?;
            let i = self.integer(v)?;
            f.push(self.explicit(5, &i)?);
        }
        let strings: [(u8, &[&[u8]]); 3] = [
            (6, &[b"a.example", b"", b"a\0b"]),
            (7, &[b"hint", b""]),
            (8, &[b"identity", b"\0"]),
        ];
        for (tag, choices) in strings {
            if self.one_in(if tag == 6 { 3 } else { 8 })? {
                let v = self.pick(choices)?;
                let s = self.octet_string(OCTET_STRING, v)?;
                f.push(self.explicit(tag, &s)?);
            }
        }
        if self.one_in(4)? {
            let v = self.pick(&[0, 1, 7200, u64::MAX.into()])?;
            let i = self.integer(v)?;
            f.push(self.explicit(9, &i)?);
        }
        if self.one_in(3)? {
            let t = self.der_bytes(&[0, 5, 32], &[0x74])?;
            let s = self.octet_string(OCTET_STRING, &t)?;
            f.push(self.explicit(10, &s)?);
        }
        if self.one_in(8)? {
            let c = self.der_bytes(&[1, 1, 1, 0, 2], &[0, 1, 0xff])?;
            let s = self.octet_string(OCTET_STRING, &c)?;
            f.push(self.explicit(11, &s)?);
        }
        if self.one_in(8)? {
            let s = self.octet_string(OCTET_STRING, b"user")?;
            f.push(self.explicit(12, &s)?);
        }
        let ints: [(u8, &[i128]); 3] = [
            (13, &[1, 1, 0xffff_ffff, 0x1_0000_0001, 0x1_0000_0001, -1]),
            (14, &[1, 1, 0xffff_ffff, 0xffff_ffff, 0x1_0000_0000]),
            (15, &[0, 16384, 0xffff_ffff]),
        ];
        for (tag, choices) in ints {
            if self.one_in(if tag == 15 { 4 } else { 8 })? {
                let v = self.pick(choices)?;
                let i = self.integer(v)?;
                f.push(self.explicit(tag, &i)?);
            }
        }
        if self.one_in(4)? {
            let a: &[u8] = self.pick(&[&b"h2"[..], b"", b"http/1.1"])?;
            let s = self.octet_string(OCTET_STRING, a)?;
            f.push(self.explicit(16, &s)?);
        }
        if self.one_in(2)? {
            let v = self.pick(&[0, 1, 2, 4, 255, 256, 0xffff_ffff])?;
            let i = self.integer(v)?;
            f.push(self.explicit(17, &i)?);
        }
        if self.one_in(4)? {
            let a = self.der_bytes(&[0, 3], &[0x61])?;
            let s = self.octet_string(OCTET_STRING, &a)?;
            f.push(self.explicit(18, &s)?);
        }
        if !self.one_in(8)? {
            let v = if self.one_in(32)? {
                0x1_0000_0000
            } else {
                self.pick(&[0, 23, 29, 0xffff_ffff])?
            };
            let i = self.integer(v)?;
            f.push(self.explicit(19, &i)?);
        }
        Ok(f)
    }

    /// A session's DER, mostly valid (see the module docs).
    pub(super) fn session_der(&mut self) -> R<Vec<u8>> {
        let mut fields = self.session_fields()?;
        if self.one_in(16)? && fields.len() > 1 {
            let i = self.u.choose_index(fields.len())?;
            let j = self.u.choose_index(fields.len())?;
            fields.swap(i, j);
        }
        if self.one_in(16)? {
            let i = self.u.choose_index(fields.len())?;
            fields.insert(i, fields[i].clone());
        }
        if self.one_in(24)? {
            // A later release's [20]: 3.2 and later read an OCTET STRING
            // there (a peer's raw public key); anything else is refused.
            let extra = if self.one_in(2)? {
                self.integer(1)?
            } else {
                self.octet_string(4, &[0xaa])?
            };
            fields.push(self.explicit(20, &extra)?);
        }
        let body = fields.concat();
        let ident = if self.one_in(64)? { 0x10 } else { SEQUENCE };
        let mut der = self.constructed(Octets::one(ident), &body)?;
        if self.one_in(12)? {
            let n = self.u.int_in_range(1..=4usize)?;
            der.extend(self.u.bytes(n.min(self.u.len()))?);
        }
        if self.one_in(24)? {
            der.truncate(self.u.choose_index(der.len())?);
        }
        if self.one_in(24)? && !der.is_empty() {
            let i = self.u.choose_index(der.len())?;
            der[i] ^= 1 << self.u.int_in_range(0..=7u8)?;
        }
        Ok(der)
    }
}
