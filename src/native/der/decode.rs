//! `d2i_SSL_SESSION` (SEMANTICS.md §10.3): the template parse of
//! `SSL_SESSION_ASN1`, then the checks and writes of `ssl/ssl_asn1.c`,
//! in libssl's order, so that a failure leaves a reused session exactly as
//! partly overwritten as libssl leaves it.

use std::borrow::Cow;

use super::ber::{self, CONTEXT, Header, UNIVERSAL};
use super::error::{Asn1Problem, DecodeError, DecodeErrorKind};
use super::template::{FIELDS, Field, Kind, Tagging, template_len};
use crate::native::MAX_ID_LENGTH;
use crate::native::Profile;
use crate::native::data::{Buf, Rare, SessionData, SessionId};

/// The fields of a parsed `SSL_SESSION_ASN1` (libssl's `as`), with the
/// offset of each element the later checks can reject.
#[derive(Debug, Default)]
pub(crate) struct Parsed<'a> {
    version: u32,
    ssl_version: i32,
    cipher: Cow<'a, [u8]>,
    session_id: Cow<'a, [u8]>,
    master_key: Cow<'a, [u8]>,
    time: i64,
    timeout: i64,
    sid_ctx: Option<Cow<'a, [u8]>>,
    verify_result: i32,
    hostname: Option<Cow<'a, [u8]>>,
    psk_identity_hint: Option<Cow<'a, [u8]>>,
    psk_identity: Option<Cow<'a, [u8]>>,
    tick_lifetime_hint: u64,
    ticket: Option<Cow<'a, [u8]>>,
    comp_id: Option<Cow<'a, [u8]>>,
    peer_rpk: Option<Cow<'a, [u8]>>,
    srp_username: Option<Cow<'a, [u8]>>,
    flags: u64,
    tick_age_add: u32,
    max_early_data: u32,
    alpn_selected: Option<Cow<'a, [u8]>>,
    max_fragment_len_mode: u32,
    ticket_appdata: Option<Cow<'a, [u8]>>,
    kex_group: u32,
    /// Offsets of the elements checked after the parse.
    at: [usize; FIELDS.len()],
    /// The bytes the SEQUENCE used (what `*pp` advances by).
    pub(crate) consumed: usize,
}

/// A decoded value.
enum Value<'a> {
    Int(u64),
    Octets(Cow<'a, [u8]>),
}

type Res<T> = Result<T, DecodeError>;

fn err(kind: DecodeErrorKind, offset: usize) -> DecodeError {
    DecodeError { kind, offset }
}

/// How an item is read: whether it may be absent, and whether long-form
/// lengths follow 3.0's quirk ([`ber::header`]).
#[derive(Clone, Copy)]
struct How {
    optional: bool,
    quirk: bool,
}

/// Reads one universal (or IMPLICIT-tagged) primitive item at `base` in
/// `input`, within `avail` bytes. `Ok(None)`: an optional item is absent.
fn item<'a>(
    input: &'a [u8],
    base: usize,
    avail: usize,
    field: Field,
    expect: (u8, u32),
    kind: Kind,
    How { optional, quirk }: How,
) -> Res<Option<(Value<'a>, usize)>> {
    let data = &input[base..base + avail];
    let bad = |p: Asn1Problem, at: usize| err(DecodeErrorKind::Field(field, p), base + at);
    let h = ber::header(data, quirk).map_err(|p| bad(p, 0))?;
    if !h.is(expect.0, expect.1) {
        return if optional {
            Ok(None)
        } else {
            Err(bad(Asn1Problem::WrongTag, 0))
        };
    }
    Ok(Some(match kind {
        Kind::Int(ty) => {
            if h.constructed {
                return Err(bad(Asn1Problem::NotPrimitive, 0));
            }
            let c = &data[h.hdr_len..h.hdr_len + h.len];
            let v = ber::int_value(c, ty).map_err(|p| bad(p, 0))?;
            (Value::Int(v), h.hdr_len + h.len)
        }
        Kind::Octets => {
            let (v, used) = ber::octets(data, h, quirk).map_err(|(p, at)| bad(p, at))?;
            (Value::Octets(v), used)
        }
        Kind::X509 => unreachable!("[3] is read as EXPLICIT only"),
    }))
}

/// Reads template entry `i` at `base`, within `avail` bytes.
fn entry<'a>(
    input: &'a [u8],
    base: usize,
    avail: usize,
    i: usize,
    optional: bool,
    quirk: bool,
) -> Res<Option<(Value<'a>, usize)>> {
    let (field, tagging, kind) = FIELDS[i];
    let n = match tagging {
        Tagging::Plain => {
            let tag = if kind == Kind::Octets { 4 } else { 2 };
            return item(
                input,
                base,
                avail,
                field,
                (UNIVERSAL, tag),
                kind,
                How { optional, quirk },
            );
        }
        Tagging::Implicit(n) => {
            return item(
                input,
                base,
                avail,
                field,
                (CONTEXT, n),
                kind,
                How { optional, quirk },
            );
        }
        Tagging::Explicit(n) => n,
    };
    let data = &input[base..base + avail];
    let h: Header =
        ber::header(data, quirk).map_err(|p| err(DecodeErrorKind::Field(field, p), base))?;
    if !h.is(CONTEXT, n) {
        return if optional {
            Ok(None)
        } else {
            Err(err(
                DecodeErrorKind::Field(field, Asn1Problem::WrongTag),
                base,
            ))
        };
    }
    if !h.constructed {
        return Err(err(DecodeErrorKind::ExplicitNotConstructed(field), base));
    }
    if kind == Kind::X509 {
        return Err(err(DecodeErrorKind::PeerCertificate, base));
    }
    let inner = base + h.hdr_len;
    if h.len == 0 {
        return Err(err(
            DecodeErrorKind::Field(field, Asn1Problem::NoData),
            inner,
        ));
    }
    let inner_kind = if kind == Kind::Octets { 4 } else { 2 };
    let (v, used) = item(
        input,
        inner,
        h.len,
        field,
        (UNIVERSAL, inner_kind),
        kind,
        How {
            optional: false,
            quirk,
        },
    )?
    .expect("a required item is present or an error");
    let rest = h.len - used;
    let total = if h.indefinite {
        if !ber::is_eoc(&input[inner + used..inner + used + rest]) {
            return Err(err(
                DecodeErrorKind::ExplicitMissingEoc(field),
                inner + used,
            ));
        }
        h.hdr_len + used + 2
    } else {
        if rest != 0 {
            return Err(err(DecodeErrorKind::ExplicitLengthMismatch(field), base));
        }
        h.hdr_len + h.len
    };
    Ok(Some((v, total)))
}

/// The template parse (`ASN1_item_d2i` of `SSL_SESSION_ASN1`), with the
/// template of `profile`'s release.
pub(crate) fn parse<'a>(input: &'a [u8], profile: &Profile) -> Res<Parsed<'a>> {
    let n = template_len(profile);
    if input.is_empty() {
        return Err(err(DecodeErrorKind::Empty, 0));
    }
    let quirk = profile.long_length_quirk;
    let h = ber::header(input, quirk).map_err(|p| err(DecodeErrorKind::NotASequence(p), 0))?;
    if !h.is(UNIVERSAL, 16) {
        return Err(err(DecodeErrorKind::NotASequence(Asn1Problem::WrongTag), 0));
    }
    if !h.constructed {
        return Err(err(DecodeErrorKind::SequenceNotConstructed, 0));
    }
    let mut out = Parsed::default();
    let mut p = h.hdr_len;
    let mut len = h.len;
    let mut open_eoc = h.indefinite;
    let mut next = 0;
    while next < n {
        if len == 0 {
            break;
        }
        if ber::is_eoc(&input[p..p + len]) {
            if !open_eoc {
                return Err(err(DecodeErrorKind::UnexpectedEoc, p));
            }
            p += 2;
            len -= 2;
            open_eoc = false;
            break;
        }
        // The last field cannot be omitted while data remains.
        let optional = next != n - 1 && FIELDS[next].1 != Tagging::Plain;
        if let Some((v, used)) = entry(input, p, len, next, optional, quirk)? {
            out.store(next, v, p);
            p += used;
            len -= used;
        }
        next += 1;
    }
    if open_eoc {
        if !ber::is_eoc(&input[p..p + len]) {
            return Err(err(DecodeErrorKind::MissingEoc, p));
        }
        p += 2;
    } else if !h.indefinite && len != 0 {
        return Err(err(DecodeErrorKind::SequenceLengthMismatch, p));
    }
    if let Some(&(field, _, _)) = FIELDS[next..n].iter().find(|f| f.1 == Tagging::Plain) {
        return Err(err(DecodeErrorKind::FieldMissing(field), p));
    }
    out.consumed = p;
    Ok(out)
}

impl<'a> Parsed<'a> {
    fn store(&mut self, i: usize, v: Value<'a>, at: usize) {
        self.at[i] = at;
        let (int, bytes) = match v {
            Value::Int(n) => (n, Cow::Borrowed(&[][..])),
            Value::Octets(b) => (0, b),
        };
        match FIELDS[i].0 {
            Field::Version => self.version = int as u32,
            Field::SslVersion => self.ssl_version = int as i32,
            Field::Cipher => self.cipher = bytes,
            Field::SessionId => self.session_id = bytes,
            Field::MasterKey => self.master_key = bytes,
            Field::KeyArg | Field::Peer => {}
            Field::Time => self.time = int as i64,
            Field::Timeout => self.timeout = int as i64,
            Field::SidCtx => self.sid_ctx = Some(bytes),
            Field::VerifyResult => self.verify_result = int as i32,
            Field::Hostname => self.hostname = Some(bytes),
            Field::PskIdentityHint => self.psk_identity_hint = Some(bytes),
            Field::PskIdentity => self.psk_identity = Some(bytes),
            Field::TicketLifetimeHint => self.tick_lifetime_hint = int,
            Field::Ticket => self.ticket = Some(bytes),
            Field::CompId => self.comp_id = Some(bytes),
            Field::SrpUsername => self.srp_username = Some(bytes),
            Field::Flags => self.flags = int,
            Field::TicketAgeAdd => self.tick_age_add = int as u32,
            Field::MaxEarlyData => self.max_early_data = int as u32,
            Field::AlpnSelected => self.alpn_selected = Some(bytes),
            Field::MaxFragmentLenMode => self.max_fragment_len_mode = int as u32,
            Field::TicketAppdata => self.ticket_appdata = Some(bytes),
            Field::KexGroup => self.kex_group = int as u32,
            Field::PeerRpk => self.peer_rpk = Some(bytes),
        }
    }

    fn offset(&self, field: Field) -> usize {
        let i = FIELDS.iter().position(|f| f.0 == field).unwrap_or(0);
        self.at[i]
    }

    /// The checks and writes of `d2i_SSL_SESSION` after the parse, in
    /// libssl's order, onto `d`. A failure stops at that point and leaves
    /// what was written so far. `now` stands for `time(NULL)`.
    pub(crate) fn apply(&self, d: &mut SessionData, now: i64) -> Res<()> {
        use DecodeErrorKind::{
            CipherCodeWrongLength, CompIdBadLength, IdContextTooLong, IdTooLong, MasterKeyTooLong,
            PeerRawPublicKey, UnknownCipher, UnknownVersion, UnsupportedProtocolVersion,
        };
        let fail = |kind, field| Err(err(kind, self.offset(field)));
        if self.version != 1 {
            return fail(UnknownVersion(self.version), Field::Version);
        }
        let v = self.ssl_version;
        if v >> 8 != 0x03 && v >> 8 != 0xfe && v != 0x0100 {
            return fail(UnsupportedProtocolVersion(v), Field::SslVersion);
        }
        d.ssl_version = v;
        d.kex_group = self.kex_group;
        let [hi, lo] = match *self.cipher {
            [hi, lo] => [hi, lo],
            ref c => return fail(CipherCodeWrongLength(c.len()), Field::Cipher),
        };
        let code = u16::from_be_bytes([hi, lo]);
        d.cipher_id = 0x0300_0000 | u32::from(code);
        d.cipher = d.profile.cipher_known(code).then_some(code);
        if d.cipher.is_none() {
            return fail(UnknownCipher(code), Field::Cipher);
        }
        d.id = SessionId::new(&self.session_id).ok_or(err(
            IdTooLong(self.session_id.len()),
            self.offset(Field::SessionId),
        ))?;
        if self.master_key.len() > d.profile.master_key_max {
            return fail(MasterKeyTooLong(self.master_key.len()), Field::MasterKey);
        }
        let master_key = (!self.master_key.is_empty()).then(|| Buf::from(&*self.master_key));
        d.set_bufs(|b| b.master_key = master_key);
        let time = if self.time != 0 { self.time } else { now };
        let timeout = if self.timeout != 0 { self.timeout } else { 3 };
        d.set_time_fields(
            d.profile.time.store(time),
            d.profile.time.store_timeout(timeout),
        );
        // The model holds no public key (as it holds no certificate).
        if self.peer_rpk.is_some() {
            return fail(PeerRawPublicKey, Field::PeerRpk);
        }
        let sid_ctx = self.sid_ctx.as_deref().unwrap_or_default();
        if sid_ctx.len() > MAX_ID_LENGTH {
            return fail(IdContextTooLong(sid_ctx.len()), Field::SidCtx);
        }
        d.sid_ctx = SessionId::new(sid_ctx).expect("checked");
        d.verify_result = i64::from(self.verify_result);
        d.set_bufs(|b| b.hostname = c_string(&self.hostname));
        // An absent ticket clears the buffer but not its length.
        let ticklen = self.ticket.as_ref().map_or(d.rare().ticklen, |t| t.len());
        d.set_rare(Rare {
            ticket: buffer(&self.ticket),
            ticklen,
            tick_lifetime_hint: self.tick_lifetime_hint,
            tick_age_add: self.tick_age_add,
            psk_identity_hint: c_string(&self.psk_identity_hint),
            psk_identity: c_string(&self.psk_identity),
            // Set below, after a check that can fail: libssl leaves the
            // old one in a session decoded into in place.
            srp_username: d.rare().srp_username.clone(),
        });
        // Without compression (`no-comp`) the field is read and ignored.
        if d.profile.compression {
            d.compress_id = match self.comp_id.as_deref() {
                None => 0,
                Some([c]) => u32::from(*c),
                Some(c) => return fail(CompIdBadLength(c.len()), Field::CompId),
            };
        }
        let srp_username = c_string(&self.srp_username);
        if srp_username != d.rare().srp_username {
            let mut rare = d.rare().clone();
            rare.srp_username = srp_username;
            d.set_rare(rare);
        }
        d.flags = self.flags as u32;
        d.max_early_data = self.max_early_data;
        d.set_bufs(|b| b.alpn_selected = buffer(&self.alpn_selected));
        d.max_fragment_len_mode = self.max_fragment_len_mode as u8;
        d.set_bufs(|b| b.ticket_appdata = buffer(&self.ticket_appdata));
        Ok(())
    }
}

/// `ssl_session_strndup`: the bytes up to the first NUL.
fn c_string(b: &Option<Cow<'_, [u8]>>) -> Option<Buf> {
    b.as_deref().map(|b| {
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        Buf::from(&b[..end])
    })
}

/// A buffer whose ownership d2i takes over: present even when empty.
fn buffer(b: &Option<Cow<'_, [u8]>>) -> Option<Buf> {
    b.as_deref().map(Buf::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::Session;
    use proptest::prelude::*;

    /// A valid encoding to mutate.
    fn valid() -> Vec<u8> {
        let s = Session::new();
        s.set_cipher(Some(0x1301));
        s.set_protocol_version(0x0304);
        s.set1_id(&[1, 2, 3, 4]).unwrap();
        s.set1_hostname(Some(b"a.example"));
        s.read().encode().unwrap()
    }

    #[test]
    fn fields_are_in_template_order() {
        let tags: Vec<u32> = FIELDS
            .iter()
            .filter_map(|f| match f.1 {
                Tagging::Explicit(n) | Tagging::Implicit(n) => Some(n),
                Tagging::Plain => None,
            })
            .collect();
        assert_eq!(tags, (0..=20).collect::<Vec<_>>());
        assert_eq!(Field::KexGroup.to_string(), "[19] kex_group");
        assert_eq!(template_len(&Profile::V3_0), 25);
        assert_eq!(template_len(&Profile::V4_0), 26);
    }

    #[test]
    fn library_codes() {
        assert_eq!(
            DecodeErrorKind::UnknownVersion(2).libssl_error(&Profile::V3_0),
            (20 << 23) | 254
        );
        assert_eq!(
            DecodeErrorKind::UnknownCipher(0x1306).libssl_error(&Profile::V3_0),
            0
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// Any bytes: no panic; an accepted input used at most its length
        /// and its re-encoding decodes again.
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok((s, used)) = Session::decode(&bytes) {
                prop_assert!(used <= bytes.len());
                let der = s.read().encode().expect("a decoded session has a cipher");
                prop_assert!(Session::decode(&der).is_ok());
            }
        }

        /// A valid encoding with bytes flipped, cut or inserted.
        #[test]
        fn never_panics_on_mutated_encodings(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0..3u8), 1..6),
        ) {
            let mut der = valid();
            for (at, byte, how) in edits {
                let at = at % (der.len() + 1);
                match how {
                    0 if at < der.len() => der[at] = byte,
                    1 => der.insert(at, byte),
                    _ => der.truncate(at),
                }
            }
            if let Ok((_, used)) = Session::decode(&der) {
                prop_assert!(used <= der.len());
            }
        }
    }
}
