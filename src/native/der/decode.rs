//! `d2i_SSL_SESSION` (SEMANTICS.md §10.3): the template parse of
//! `SSL_SESSION_ASN1`, then the checks and writes of `ssl/ssl_asn1.c`,
//! in libssl's order, so that a failure leaves a reused session exactly as
//! partly overwritten as libssl leaves it.

use std::borrow::Cow;
use std::fmt;

use super::ber::{self, CONTEXT, Header, IntType, UNIVERSAL};
use crate::native::data::{Buf, SessionData, SessionId};
use crate::native::{MAX_ID_LENGTH, MAX_MASTER_KEY_LENGTH, cipher_known};

/// A field of the `SSL_SESSION_ASN1` SEQUENCE, in template order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The format version (must be 1).
    Version,
    /// The protocol version.
    SslVersion,
    /// The two-byte cipher code.
    Cipher,
    /// The session id.
    SessionId,
    /// The master key.
    MasterKey,
    /// `[0]`, ignored.
    KeyArg,
    /// `[1]`.
    Time,
    /// `[2]`.
    Timeout,
    /// `[3]`, the peer certificate.
    Peer,
    /// `[4]`.
    SidCtx,
    /// `[5]`.
    VerifyResult,
    /// `[6]`.
    Hostname,
    /// `[7]`.
    PskIdentityHint,
    /// `[8]`.
    PskIdentity,
    /// `[9]`.
    TicketLifetimeHint,
    /// `[10]`.
    Ticket,
    /// `[11]`.
    CompId,
    /// `[12]`.
    SrpUsername,
    /// `[13]`.
    Flags,
    /// `[14]`.
    TicketAgeAdd,
    /// `[15]`.
    MaxEarlyData,
    /// `[16]`.
    AlpnSelected,
    /// `[17]`.
    MaxFragmentLenMode,
    /// `[18]`.
    TicketAppdata,
    /// `[19]`.
    KexGroup,
}

impl Field {
    /// The context tag of the field's `[n]`, or `None` for the five
    /// untagged fields at the start.
    pub fn tag(self) -> Option<u8> {
        FIELDS.iter().find(|f| f.0 == self).and_then(|f| match f.1 {
            Tagging::Plain => None,
            Tagging::Implicit(n) | Tagging::Explicit(n) => u8::try_from(n).ok(),
        })
    }

    /// The field's name in `SSL_SESSION_ASN1` (`hostname`, `time`, …).
    pub fn name(self) -> &'static str {
        match self {
            Field::Version => "version",
            Field::SslVersion => "ssl_version",
            Field::Cipher => "cipher",
            Field::SessionId => "session_id",
            Field::MasterKey => "master_key",
            Field::KeyArg => "key_arg",
            Field::Time => "time",
            Field::Timeout => "timeout",
            Field::Peer => "peer",
            Field::SidCtx => "session_id_context",
            Field::VerifyResult => "verify_result",
            Field::Hostname => "hostname",
            Field::PskIdentityHint => "psk_identity_hint",
            Field::PskIdentity => "psk_identity",
            Field::TicketLifetimeHint => "tick_lifetime_hint",
            Field::Ticket => "ticket",
            Field::CompId => "comp_id",
            Field::SrpUsername => "srp_username",
            Field::Flags => "flags",
            Field::TicketAgeAdd => "tick_age_add",
            Field::MaxEarlyData => "max_early_data",
            Field::AlpnSelected => "alpn_selected",
            Field::MaxFragmentLenMode => "max_fragment_len_mode",
            Field::TicketAppdata => "ticket_appdata",
            Field::KexGroup => "kex_group",
        }
    }

    /// The field's place in the template (0 for `version`).
    pub fn position(self) -> usize {
        FIELDS
            .iter()
            .position(|f| f.0 == self)
            .unwrap_or(usize::MAX)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tag() {
            Some(t) => write!(f, "[{t}] {}", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

/// What is wrong with an element inside the SEQUENCE. libssl reports all
/// of these as `ERR_R_NESTED_ASN1_ERROR` once they reach the SEQUENCE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Asn1Problem {
    /// No bytes left where an element must start.
    NoData,
    /// Identifier or length octets that cannot be read.
    BadHeader,
    /// A length that runs past the data.
    TooLong,
    /// Another element where this one is required.
    WrongTag,
    /// An INTEGER in constructed form.
    NotPrimitive,
    /// An INTEGER with a redundant leading octet.
    IllegalPadding,
    /// A value above the type's range.
    TooLarge,
    /// A negative value below the type's range.
    TooSmall,
    /// A negative value for an unsigned type.
    NegativeValue,
    /// Constructed string pieces nested more than five deep.
    StringNestedTooDeep,
    /// An end-of-contents marker inside a definite length.
    UnexpectedEoc,
    /// An indefinite length with no end-of-contents marker.
    MissingEoc,
}

impl fmt::Display for Asn1Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Asn1Problem::NoData => "no data",
            Asn1Problem::BadHeader => "unreadable identifier or length octets",
            Asn1Problem::TooLong => "length runs past the data",
            Asn1Problem::WrongTag => "wrong tag",
            Asn1Problem::NotPrimitive => "INTEGER in constructed form",
            Asn1Problem::IllegalPadding => "INTEGER with a redundant leading octet",
            Asn1Problem::TooLarge => "value too large for its type",
            Asn1Problem::TooSmall => "value too small for its type",
            Asn1Problem::NegativeValue => "negative value for an unsigned type",
            Asn1Problem::StringNestedTooDeep => "constructed string nested too deep",
            Asn1Problem::UnexpectedEoc => "end-of-contents inside a definite length",
            Asn1Problem::MissingEoc => "missing end-of-contents",
        })
    }
}

/// Which rule rejected an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecodeErrorKind {
    /// The input is empty.
    Empty,
    /// The outer element is unreadable or not a SEQUENCE.
    NotASequence(Asn1Problem),
    /// The outer SEQUENCE is in primitive form.
    SequenceNotConstructed,
    /// A field's element is malformed.
    Field(Field, Asn1Problem),
    /// An EXPLICIT tag in primitive form.
    ExplicitNotConstructed(Field),
    /// An EXPLICIT tag whose length disagrees with its content.
    ExplicitLengthMismatch(Field),
    /// An indefinite EXPLICIT tag with no end-of-contents marker.
    ExplicitMissingEoc(Field),
    /// An end-of-contents marker inside the definite-length SEQUENCE.
    UnexpectedEoc,
    /// The indefinite-length SEQUENCE has no end-of-contents marker.
    MissingEoc,
    /// Bytes left inside the SEQUENCE after its last field.
    SequenceLengthMismatch,
    /// The SEQUENCE ends before this required field.
    FieldMissing(Field),
    /// A peer certificate (`[3]`): decoding X.509 is outside this model,
    /// so the input is neither accepted nor rejected as libssl would.
    PeerCertificate,
    /// `SSL_R_UNKNOWN_SSL_VERSION`: a format version other than 1.
    UnknownVersion(u32),
    /// `SSL_R_UNSUPPORTED_SSL_VERSION`: a protocol version that is not
    /// TLS, DTLS or DTLS1_BAD_VER.
    UnsupportedProtocolVersion(i32),
    /// `SSL_R_CIPHER_CODE_WRONG_LENGTH`: a cipher code not of 2 bytes.
    CipherCodeWrongLength(usize),
    /// A cipher code libssl does not know (no error queued).
    UnknownCipher(u16),
    /// A session id over 32 bytes (no error queued).
    IdTooLong(usize),
    /// A master key over 512 bytes (no error queued).
    MasterKeyTooLong(usize),
    /// An id context over 32 bytes (no error queued).
    IdContextTooLong(usize),
    /// `SSL_R_BAD_LENGTH`: a compression id not of 1 byte.
    CompIdBadLength(usize),
}

use crate::errcode::{LIB_ASN1, LIB_SSL, RFLAG_COMMON, pack as packed};

/// `ERR_R_NESTED_ASN1_ERROR` (266 with the common-reason flag).
const NESTED: u32 = 266 | RFLAG_COMMON;

impl DecodeErrorKind {
    /// The newest error libssl's `d2i_SSL_SESSION` leaves queued for the
    /// same input, packed as `ERR_PACK(lib, 0, reason)`; 0 for none.
    pub fn libssl_error(&self) -> u32 {
        use DecodeErrorKind::*;
        match *self {
            Empty => packed(LIB_ASN1, 224), // ASN1_R_TOO_SMALL
            NotASequence(_) | Field(..) | PeerCertificate => packed(LIB_ASN1, NESTED),
            SequenceNotConstructed => packed(LIB_ASN1, 149),
            ExplicitNotConstructed(_) => packed(LIB_ASN1, 120),
            ExplicitLengthMismatch(_) => packed(LIB_ASN1, 119),
            ExplicitMissingEoc(_) | MissingEoc => packed(LIB_ASN1, 137),
            UnexpectedEoc => packed(LIB_ASN1, 159),
            SequenceLengthMismatch => packed(LIB_ASN1, 148),
            FieldMissing(_) => packed(LIB_ASN1, 121),
            UnknownVersion(_) => packed(LIB_SSL, 254),
            UnsupportedProtocolVersion(_) => packed(LIB_SSL, 259),
            CipherCodeWrongLength(_) => packed(LIB_SSL, 137),
            CompIdBadLength(_) => packed(LIB_SSL, 271),
            UnknownCipher(_) | IdTooLong(_) | MasterKeyTooLong(_) | IdContextTooLong(_) => 0,
        }
    }

    /// Whether the template parse rejected the input (before any session
    /// was made or touched), as opposed to a check after it.
    pub fn is_parse_error(&self) -> bool {
        use DecodeErrorKind::*;
        !matches!(
            self,
            UnknownVersion(_)
                | UnsupportedProtocolVersion(_)
                | CipherCodeWrongLength(_)
                | UnknownCipher(_)
                | IdTooLong(_)
                | MasterKeyTooLong(_)
                | IdContextTooLong(_)
                | CompIdBadLength(_)
        )
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeErrorKind::*;
        match self {
            Empty => write!(f, "empty input"),
            NotASequence(p) => write!(f, "not a SEQUENCE: {p}"),
            SequenceNotConstructed => write!(f, "SEQUENCE in primitive form"),
            Field(field, p) => write!(f, "{field}: {p}"),
            ExplicitNotConstructed(field) => write!(f, "{field}: EXPLICIT tag in primitive form"),
            ExplicitLengthMismatch(field) => {
                write!(f, "{field}: EXPLICIT length disagrees with its content")
            }
            ExplicitMissingEoc(field) => write!(f, "{field}: missing end-of-contents"),
            UnexpectedEoc => write!(f, "end-of-contents inside the definite-length SEQUENCE"),
            MissingEoc => write!(f, "SEQUENCE without its end-of-contents"),
            SequenceLengthMismatch => write!(f, "bytes left in the SEQUENCE after kex_group"),
            FieldMissing(field) => write!(f, "SEQUENCE ends before required field {field}"),
            PeerCertificate => write!(f, "[3] peer certificate: X.509 is outside the model"),
            UnknownVersion(v) => write!(f, "format version {v}, not 1"),
            UnsupportedProtocolVersion(v) => write!(f, "unsupported protocol version {v:#x}"),
            CipherCodeWrongLength(n) => write!(f, "cipher code of {n} bytes, not 2"),
            UnknownCipher(c) => write!(f, "unknown cipher code {c:#06x}"),
            IdTooLong(n) => write!(f, "session id of {n} bytes (at most 32)"),
            MasterKeyTooLong(n) => write!(f, "master key of {n} bytes (at most 512)"),
            IdContextTooLong(n) => write!(f, "id context of {n} bytes (at most 32)"),
            CompIdBadLength(n) => write!(f, "compression id of {n} bytes, not 1"),
        }
    }
}

/// Why an input was not decoded: the rule, and the byte offset of the
/// element that broke it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("offset {offset}: {kind}")]
pub struct DecodeError {
    /// The rule that rejected the input.
    pub kind: DecodeErrorKind,
    /// Where in the input the offending element starts.
    pub offset: usize,
}

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

/// How a template entry is tagged.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tagging {
    /// Universal, required.
    Plain,
    /// `[n] IMPLICIT`, optional.
    Implicit(u32),
    /// `[n] EXPLICIT`, optional.
    Explicit(u32),
}

/// What a template entry holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int(IntType),
    Octets,
    X509,
}

/// `SSL_SESSION_ASN1` as Debian builds it (with PSK, SRP and compression).
const FIELDS: [(Field, Tagging, Kind); 25] = {
    use IntType::*;
    use Kind::*;
    use Tagging::*;
    [
        (Field::Version, Plain, Int(U32)),
        (Field::SslVersion, Plain, Int(I32)),
        (Field::Cipher, Plain, Octets),
        (Field::SessionId, Plain, Octets),
        (Field::MasterKey, Plain, Octets),
        (Field::KeyArg, Implicit(0), Octets),
        (Field::Time, Explicit(1), Int(I64)),
        (Field::Timeout, Explicit(2), Int(I64)),
        (Field::Peer, Explicit(3), X509),
        (Field::SidCtx, Explicit(4), Octets),
        (Field::VerifyResult, Explicit(5), Int(I32)),
        (Field::Hostname, Explicit(6), Octets),
        (Field::PskIdentityHint, Explicit(7), Octets),
        (Field::PskIdentity, Explicit(8), Octets),
        (Field::TicketLifetimeHint, Explicit(9), Int(U64)),
        (Field::Ticket, Explicit(10), Octets),
        (Field::CompId, Explicit(11), Octets),
        (Field::SrpUsername, Explicit(12), Octets),
        (Field::Flags, Explicit(13), Int(U64)),
        (Field::TicketAgeAdd, Explicit(14), Int(U32)),
        (Field::MaxEarlyData, Explicit(15), Int(U32)),
        (Field::AlpnSelected, Explicit(16), Octets),
        (Field::MaxFragmentLenMode, Explicit(17), Int(U32)),
        (Field::TicketAppdata, Explicit(18), Octets),
        (Field::KexGroup, Explicit(19), Int(U32)),
    ]
};

/// One element of a session encoding's outer SEQUENCE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The template field it is, if the template has one with its tag.
    pub field: Option<Field>,
    /// Where the element starts in the encoding.
    pub offset: usize,
    /// The element, header included.
    pub len: usize,
}

/// The elements of `der`'s outer SEQUENCE, named by the template: the
/// `n`-th untagged element is the `n`-th untagged field, `[n]` is the field
/// tagged `n`. `None` unless `der` is a definite-length SEQUENCE whose
/// content is whole definite-length elements (what `i2d` writes).
pub fn elements(der: &[u8]) -> Option<Vec<Element>> {
    let outer = ber::header(der).ok()?;
    if !outer.is(0, 16) || outer.indefinite {
        return None;
    }
    let end = outer.hdr_len.checked_add(outer.len)?;
    let mut at = outer.hdr_len;
    let mut untagged = FIELDS.iter().filter(|f| f.1 == Tagging::Plain);
    let mut out = Vec::new();
    while at < end {
        let h = ber::header(&der[at..end]).ok()?;
        if h.indefinite {
            return None;
        }
        let field = if h.class == ber::CONTEXT {
            FIELDS
                .iter()
                .find(|f| matches!(f.1, Tagging::Implicit(n) | Tagging::Explicit(n) if n == h.tag))
                .map(|f| f.0)
        } else {
            untagged.next().map(|f| f.0)
        };
        let len = h.hdr_len + h.len;
        out.push(Element {
            field,
            offset: at,
            len,
        });
        at += len;
    }
    Some(out)
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

/// Reads one universal (or IMPLICIT-tagged) primitive item at `base` in
/// `input`, within `avail` bytes. `Ok(None)`: an optional item is absent.
fn item<'a>(
    input: &'a [u8],
    base: usize,
    avail: usize,
    field: Field,
    expect: (u8, u32),
    kind: Kind,
    optional: bool,
) -> Res<Option<(Value<'a>, usize)>> {
    let data = &input[base..base + avail];
    let bad = |p: Asn1Problem, at: usize| err(DecodeErrorKind::Field(field, p), base + at);
    let h = ber::header(data).map_err(|p| bad(p, 0))?;
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
            let (v, used) = ber::octets(data, h).map_err(|(p, at)| bad(p, at))?;
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
) -> Res<Option<(Value<'a>, usize)>> {
    let (field, tagging, kind) = FIELDS[i];
    let n = match tagging {
        Tagging::Plain => {
            let tag = if kind == Kind::Octets { 4 } else { 2 };
            return item(input, base, avail, field, (UNIVERSAL, tag), kind, optional);
        }
        Tagging::Implicit(n) => {
            return item(input, base, avail, field, (CONTEXT, n), kind, optional);
        }
        Tagging::Explicit(n) => n,
    };
    let data = &input[base..base + avail];
    let h: Header = ber::header(data).map_err(|p| err(DecodeErrorKind::Field(field, p), base))?;
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
        false,
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

/// The template parse (`ASN1_item_d2i` of `SSL_SESSION_ASN1`).
pub(crate) fn parse(input: &[u8]) -> Res<Parsed<'_>> {
    if input.is_empty() {
        return Err(err(DecodeErrorKind::Empty, 0));
    }
    let h = ber::header(input).map_err(|p| err(DecodeErrorKind::NotASequence(p), 0))?;
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
    while next < FIELDS.len() {
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
        let optional = next != FIELDS.len() - 1 && FIELDS[next].1 != Tagging::Plain;
        if let Some((v, used)) = entry(input, p, len, next, optional)? {
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
    if let Some(&(field, _, _)) = FIELDS[next..].iter().find(|f| f.1 == Tagging::Plain) {
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
            UnknownCipher, UnknownVersion, UnsupportedProtocolVersion,
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
        d.cipher = cipher_known(code).then_some(code);
        if d.cipher.is_none() {
            return fail(UnknownCipher(code), Field::Cipher);
        }
        d.id = SessionId::new(&self.session_id).ok_or(err(
            IdTooLong(self.session_id.len()),
            self.offset(Field::SessionId),
        ))?;
        if self.master_key.len() > MAX_MASTER_KEY_LENGTH {
            return fail(MasterKeyTooLong(self.master_key.len()), Field::MasterKey);
        }
        d.master_key = (!self.master_key.is_empty()).then(|| Buf::from(&*self.master_key));
        let time = if self.time != 0 { self.time } else { now };
        let timeout = if self.timeout != 0 { self.timeout } else { 3 };
        d.set_time_fields(time, timeout);
        let sid_ctx = self.sid_ctx.as_deref().unwrap_or_default();
        if sid_ctx.len() > MAX_ID_LENGTH {
            return fail(IdContextTooLong(sid_ctx.len()), Field::SidCtx);
        }
        d.sid_ctx = SessionId::new(sid_ctx).expect("checked");
        d.verify_result = i64::from(self.verify_result);
        d.hostname = c_string(&self.hostname);
        d.psk_identity_hint = c_string(&self.psk_identity_hint);
        d.psk_identity = c_string(&self.psk_identity);
        d.tick_lifetime_hint = self.tick_lifetime_hint;
        d.tick_age_add = self.tick_age_add;
        // An absent ticket clears the buffer but not its length.
        d.ticket = buffer(&self.ticket);
        if let Some(t) = &self.ticket {
            d.ticklen = t.len();
        }
        d.compress_id = match self.comp_id.as_deref() {
            None => 0,
            Some([c]) => u32::from(*c),
            Some(c) => return fail(CompIdBadLength(c.len()), Field::CompId),
        };
        d.srp_username = c_string(&self.srp_username);
        d.flags = self.flags as u32;
        d.max_early_data = self.max_early_data;
        d.alpn_selected = buffer(&self.alpn_selected);
        d.max_fragment_len_mode = self.max_fragment_len_mode as u8;
        d.ticket_appdata = buffer(&self.ticket_appdata);
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
        assert_eq!(tags, (0..=19).collect::<Vec<_>>());
        assert_eq!(Field::KexGroup.to_string(), "[19] kex_group");
    }

    #[test]
    fn library_codes() {
        assert_eq!(
            DecodeErrorKind::UnknownVersion(2).libssl_error(),
            (20 << 23) | 254
        );
        assert_eq!(DecodeErrorKind::UnknownCipher(0x1306).libssl_error(), 0);
        assert!(!DecodeErrorKind::UnknownCipher(0x1306).is_parse_error());
        assert!(DecodeErrorKind::MissingEoc.is_parse_error());
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
