//! Why an input was not decoded: typed errors with offsets, and the error
//! libssl queues for each.

use std::fmt;

use super::template::Field;
use crate::errcode::{LIB_ASN1, LIB_SSL, RFLAG_COMMON, pack as packed};
use crate::native::Profile;

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
    /// `[20]`: a peer's raw public key, outside the model (3.2 and later;
    /// libssl refuses what `d2i_PUBKEY` cannot read).
    PeerRawPublicKey,
}

/// `ERR_R_NESTED_ASN1_ERROR` (266 with the common-reason flag).
const NESTED: u32 = 266 | RFLAG_COMMON;
/// `ERR_R_NESTED_ASN1_ERROR` in 1.1.1.
const NESTED_1_1: u32 = 58;

impl DecodeErrorKind {
    /// The newest error libssl's `d2i_SSL_SESSION` leaves queued for the
    /// same input in `profile`'s release, packed as `ERR_PACK(lib, 0,
    /// reason)`; 0 for none.
    pub fn libssl_error(&self, profile: &Profile) -> u32 {
        use DecodeErrorKind::*;
        let nested = if profile.legacy_errors {
            NESTED_1_1
        } else {
            NESTED
        };
        match *self {
            // 1.1.1 reads the empty input's header and fails inside.
            Empty if profile.legacy_errors => packed(LIB_ASN1, nested),
            Empty => packed(LIB_ASN1, 224), // ASN1_R_TOO_SMALL
            // d2i_PUBKEY's failure on what the model cannot hold also
            // reaches the queue as a nested ASN.1 error (measured: 4.0.3).
            NotASequence(_) | Field(..) | PeerCertificate | PeerRawPublicKey => {
                packed(LIB_ASN1, nested)
            }
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
            SequenceLengthMismatch => write!(f, "bytes left in the SEQUENCE after its last field"),
            FieldMissing(field) => write!(f, "SEQUENCE ends before required field {field}"),
            PeerCertificate => write!(f, "[3] peer certificate: X.509 is outside the model"),
            PeerRawPublicKey => write!(f, "[20] peer raw public key: keys are outside the model"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_read_as_sentences() {
        assert_eq!(Asn1Problem::WrongTag.to_string(), "wrong tag");
        assert_eq!(
            Asn1Problem::UnexpectedEoc.to_string(),
            "end-of-contents inside a definite length"
        );
    }
}
