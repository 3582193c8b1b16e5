//! `SSL_SESSION_ASN1`, the template of a session's encoding: its fields
//! in order with their tags and kinds, and [`elements`], which names the
//! elements of an encoding by it.

use std::fmt;

use super::ber::{self, IntType};

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
    /// `[20]`, the peer's raw public key (3.2 and later).
    PeerRpk,
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
            Field::PeerRpk => "peer_rpk",
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

/// How a template entry is tagged.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Tagging {
    /// Universal, required.
    Plain,
    /// `[n] IMPLICIT`, optional.
    Implicit(u32),
    /// `[n] EXPLICIT`, optional.
    Explicit(u32),
}

/// What a template entry holds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Int(IntType),
    Octets,
    X509,
}

/// `SSL_SESSION_ASN1` as Debian builds it (with PSK, SRP and compression),
/// with the `[20]` that 3.2 added last (see [`template_len`]).
pub(super) const FIELDS: [(Field, Tagging, Kind); 26] = {
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
        (Field::PeerRpk, Explicit(20), Octets),
    ]
};

/// How many of [`FIELDS`] the template of `profile`'s release has.
pub(super) fn template_len(profile: &crate::native::Profile) -> usize {
    FIELDS.len() - usize::from(!profile.peer_rpk) - usize::from(!profile.kex_group)
}

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
    let outer = ber::header(der, false).ok()?;
    if !outer.is(0, 16) || outer.indefinite {
        return None;
    }
    let end = outer.hdr_len.checked_add(outer.len)?;
    let mut at = outer.hdr_len;
    let mut untagged = FIELDS.iter().filter(|f| f.1 == Tagging::Plain);
    let mut out = Vec::new();
    while at < end {
        let h = ber::header(&der[at..end], false).ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// version 1, protocol 0x0304, cipher 13 01, then [1] time 5.
    const DER: [u8; 18] = [
        0x30, 0x10, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04, 0x04, 0x02, 0x13, 0x01, 0xa1, 0x03,
        0x02, 0x01, 0x05,
    ];

    #[test]
    fn elements_are_named_by_the_template() {
        let e = elements(&DER).expect("a definite-length SEQUENCE");
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                Some(Field::Version),
                Some(Field::SslVersion),
                Some(Field::Cipher),
                Some(Field::Time)
            ]
        );
        assert_eq!((e[1].offset, e[1].len), (5, 4));
        assert_eq!((e[3].offset, e[3].len), (13, 5));
    }

    #[test]
    fn only_a_definite_length_sequence_has_elements() {
        let mut indefinite = DER.to_vec();
        indefinite[1] = 0x80;
        indefinite.extend([0, 0]);
        assert_eq!(elements(&indefinite), None);
        let mut set = DER.to_vec();
        set[0] = 0x31;
        assert_eq!(elements(&set), None);
    }
}
