//! SEMANTICS.md §10.3, rule by rule: every rejection and every leniency of
//! `d2i_SSL_SESSION`, run through the lockstep harness against the system
//! libssl (so the native decoder must agree on the outcome, the queued
//! error, the bytes used, the events and every field), with the outcome
//! pinned here as libssl 3.0.19 gives it.

mod common;

use common::check;
use sessdiff::native::{self, DecodeErrorKind, Field};

// --- a small DER writer for the tests ------------------------------------

/// A TLV with the minimal (DER) length form.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let n = content.len();
    let mut v = vec![tag];
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let len = (n as u16).to_be_bytes();
        let len = if len[0] == 0 { &len[1..] } else { &len[..] };
        v.push(0x80 | len.len() as u8);
        v.extend_from_slice(len);
    }
    v.extend_from_slice(content);
    v
}

/// A minimal two's-complement INTEGER.
fn int(v: i64) -> Vec<u8> {
    let b = v.to_be_bytes();
    let mut s = 0;
    while s < 7 && ((b[s] == 0 && b[s + 1] < 0x80) || (b[s] == 0xff && b[s + 1] >= 0x80)) {
        s += 1;
    }
    tlv(0x02, &b[s..])
}

fn oct(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

fn exp(n: u8, inner: Vec<u8>) -> Vec<u8> {
    tlv(0xa0 | n, &inner)
}

fn seq(fields: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &fields.concat())
}

/// The fields of a valid session, in template order: version, protocol,
/// cipher, id, master key, [1] time, [2] timeout, [4] id context, [19].
fn fields() -> Vec<Vec<u8>> {
    vec![
        int(1),
        int(0x0304),
        oct(&[0x13, 0x01]),
        oct(&[1, 2, 3, 4]),
        oct(&[0x4d; 48]),
        exp(1, int(1_700_000_000)),
        exp(2, int(304)),
        exp(4, oct(b"")),
        exp(19, int(0)),
    ]
}

fn with(edit: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    let mut f = fields();
    edit(&mut f);
    seq(&f)
}

fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "\"\"".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `decode DER -> s0` must give `expect` on both sides.
fn decode(der: &[u8], expect: &str) {
    check(&format!("decode {} -> s0 => {expect}", hex(der)));
}

/// The native decoder's verdict, for the typed-error checks.
fn native_kind(der: &[u8]) -> Option<DecodeErrorKind> {
    native::Session::decode(der).err().map(|e| e.kind)
}

/// Accepted, all bytes used.
fn accepted(der: &[u8]) {
    decode(der, &format!("#0 ({} bytes used)", der.len()));
    assert_eq!(native_kind(der), None);
}

// --- the baseline ----------------------------------------------------------

#[test]
fn a_valid_session_decodes_and_re_encodes_to_the_same_bytes() {
    let der = seq(&fields());
    accepted(&der);
    let (s, used) = native::Session::decode(&der).unwrap();
    assert_eq!(used, der.len());
    assert_eq!(
        s.read().encode().unwrap(),
        der,
        "already normalized: a fixed point"
    );
}

// --- rejections in the parse: nothing is made, no callback runs -------------

#[test]
fn empty_input() {
    decode(b"", "NULL err ASN1:224");
    assert_eq!(native_kind(b""), Some(DecodeErrorKind::Empty));
}

#[test]
fn not_a_sequence() {
    let mut der = seq(&fields());
    der[0] = 0x31; // a SET
    decode(&der, "NULL err ASN1:266");
}

#[test]
fn a_primitive_sequence() {
    let mut der = seq(&fields());
    der[0] = 0x10;
    decode(&der, "NULL err ASN1:149");
    assert_eq!(
        native_kind(&der),
        Some(DecodeErrorKind::SequenceNotConstructed)
    );
}

#[test]
fn a_length_past_the_end() {
    let der = seq(&fields());
    decode(&der[..der.len() - 1], "NULL err ASN1:266");
}

#[test]
fn a_required_field_missing() {
    let der = seq(&fields()[..3]);
    decode(&der, "NULL err ASN1:121");
    assert_eq!(
        native_kind(&der),
        Some(DecodeErrorKind::FieldMissing(Field::SessionId))
    );
}

#[test]
fn bytes_after_the_last_field_inside_the_sequence() {
    decode(&with(|f| f.push(int(7))), "NULL err ASN1:148");
}

#[test]
fn an_unknown_tag_where_kex_group_must_be() {
    // [20] exists only in later releases: 3.0 reads it where [19] must be.
    let der = with(|f| {
        f.pop();
        f.push(exp(20, int(1)));
    });
    decode(&der, "NULL err ASN1:266");
    assert_eq!(
        native_kind(&der),
        Some(DecodeErrorKind::Field(
            Field::KexGroup,
            native::Asn1Problem::WrongTag
        ))
    );
}

#[test]
fn fields_out_of_order() {
    decode(&with(|f| f.swap(5, 6)), "NULL err ASN1:266");
}

#[test]
fn integer_padding() {
    // 1 written as 00 01.
    decode(&with(|f| f[0] = tlv(0x02, &[0, 1])), "NULL err ASN1:266");
}

#[test]
fn a_negative_unsigned_value() {
    decode(&with(|f| f[8] = exp(19, int(-1))), "NULL err ASN1:266");
}

#[test]
fn a_value_out_of_range() {
    decode(&with(|f| f[8] = exp(19, int(1 << 32))), "NULL err ASN1:266");
    decode(&with(|f| f[1] = int(1 << 31)), "NULL err ASN1:266");
}

#[test]
fn an_integer_in_constructed_form() {
    decode(&with(|f| f[0] = tlv(0x22, &int(1))), "NULL err ASN1:266");
}

#[test]
fn an_explicit_tag_in_primitive_form() {
    decode(&with(|f| f[6] = tlv(0x82, &int(304))), "NULL err ASN1:120");
}

#[test]
fn an_explicit_length_longer_than_its_content() {
    let mut inner = int(304);
    inner.push(0x05);
    decode(&with(|f| f[6] = tlv(0xa2, &inner)), "NULL err ASN1:119");
}

#[test]
fn end_of_contents_inside_a_definite_length() {
    decode(&with(|f| f.insert(5, vec![0, 0])), "NULL err ASN1:159");
}

#[test]
fn an_indefinite_sequence_without_its_end() {
    let mut der = vec![0x30, 0x80];
    der.extend(fields().concat());
    decode(&der, "NULL err ASN1:137");
    assert_eq!(native_kind(&der), Some(DecodeErrorKind::MissingEoc));
}

#[test]
fn constructed_strings_nested_too_deep() {
    let mut s = oct(&[0x13, 0x01]);
    for _ in 0..7 {
        s = tlv(0x24, &s);
    }
    decode(&with(|f| f[2] = s), "NULL err ASN1:266");
}

#[test]
fn a_long_form_length_with_nothing_after_it() {
    // libssl 3.0.19 wants one byte past the length octets, even for an
    // empty string (3.0.22's source does not): [4] holding 04 81 00.
    decode(
        &with(|f| f[7] = exp(4, vec![0x04, 0x81, 0x00])),
        "NULL err ASN1:266",
    );
    // With a byte after the length octets, the same form is accepted.
    accepted(&with(|f| f[7] = exp(4, vec![0x04, 0x81, 0x01, 0x63])));
}

#[test]
fn a_peer_certificate_that_is_not_one() {
    let der = with(|f| f.insert(7, exp(3, seq(&[int(0)]))));
    decode(&der, "NULL err ASN1:266");
    assert_eq!(native_kind(&der), Some(DecodeErrorKind::PeerCertificate));
}

// --- rejections after the parse: new then free callbacks run ----------------

#[test]
fn a_format_version_other_than_1() {
    decode(&with(|f| f[0] = int(2)), "NULL err SSL:254 | free(#0)");
    // A zero-length INTEGER reads as 0.
    decode(
        &with(|f| f[0] = tlv(0x02, &[])),
        "NULL err SSL:254 | free(#0)",
    );
}

#[test]
fn unsupported_protocol_versions() {
    // i32::MIN is a valid INT32 (the lowest): refused as a version, not
    // as an integer out of range.
    for v in [0, -1, 0x0200, 0x0400, 0xfd00, i32::MIN.into()] {
        decode(&with(|f| f[1] = int(v)), "NULL err SSL:259 | free(#0)");
    }
    assert_eq!(
        native_kind(&with(|f| f[1] = int(0))),
        Some(DecodeErrorKind::UnsupportedProtocolVersion(0))
    );
}

#[test]
fn accepted_protocol_versions() {
    for v in [0x0300, 0x0377, 0xfefd, 0xfeff, 0x0100] {
        accepted(&with(|f| f[1] = int(v)));
    }
}

#[test]
fn a_cipher_code_not_of_two_bytes() {
    for code in [&[][..], &[0x13], &[0, 0x13, 0x01]] {
        decode(&with(|f| f[2] = oct(code)), "NULL err SSL:137 | free(#0)");
    }
}

#[test]
fn an_unknown_cipher_queues_nothing() {
    decode(&with(|f| f[2] = oct(&[0x13, 0x06])), "NULL | free(#0)");
    // The signalling suites are known.
    accepted(&with(|f| f[2] = oct(&[0x00, 0xff])));
    accepted(&with(|f| f[2] = oct(&[0x56, 0x00])));
}

#[test]
fn length_limits_queue_nothing() {
    decode(&with(|f| f[3] = oct(&[1; 33])), "NULL | free(#0)");
    decode(&with(|f| f[4] = oct(&[0x4d; 513])), "NULL | free(#0)");
    decode(
        &with(|f| f[7] = exp(4, oct(&[0x63; 33]))),
        "NULL | free(#0)",
    );
    accepted(&with(|f| f[3] = oct(&[1; 32])));
    accepted(&with(|f| f[4] = oct(&[0x4d; 512])));
    accepted(&with(|f| f[7] = exp(4, oct(&[0x63; 32]))));
}

#[test]
fn a_compression_id_not_of_one_byte() {
    decode(
        &with(|f| f.insert(8, exp(11, oct(&[1, 2])))),
        "NULL err SSL:271 | free(#0)",
    );
    accepted(&with(|f| f.insert(8, exp(11, oct(&[1])))));
}

// --- leniency ----------------------------------------------------------------

#[test]
fn trailing_bytes_are_ignored_and_not_used() {
    let der = seq(&fields());
    let mut input = der.clone();
    input.extend_from_slice(&[0xde, 0xad]);
    decode(&input, &format!("#0 ({} bytes used)", der.len()));
}

#[test]
fn indefinite_lengths() {
    // The SEQUENCE, an EXPLICIT tag and a constructed string, each with an
    // indefinite length and its end-of-contents marker.
    let mut der = vec![0x30, 0x80];
    let mut f = fields();
    f[6] = [&[0xa2, 0x80][..], &int(304), &[0, 0]].concat();
    f[3] = [&[0x24, 0x80][..], &oct(&[1, 2]), &oct(&[3, 4]), &[0, 0]].concat();
    der.extend(f.concat());
    der.extend([0, 0]);
    der.extend([0xff]); // after the end: not used
    decode(&der, &format!("#0 ({} bytes used)", der.len() - 1));
}

#[test]
fn non_minimal_lengths_and_high_tag_form() {
    accepted(&with(|f| {
        f[3] = [&[0x04, 0x82, 0x00, 0x04][..], &[1, 2, 3, 4]].concat();
        f[8] = [&[0xbf, 0x13, 0x03][..], &int(0)].concat(); // [19] as bf 13
    }));
}

#[test]
fn constructed_strings_whose_pieces_carry_any_tag() {
    // The cipher code in two pieces, the second tagged [5] in a private
    // class: libssl checks neither tag nor class of the pieces.
    accepted(&with(|f| {
        f[2] = tlv(0x24, &[oct(&[0x13]), tlv(0xc5, &[0x01])].concat());
    }));
}

#[test]
fn explicit_zeros_take_the_defaults() {
    // [2] 0 gives a timeout of 3; [1] 0 gives "now", which the harness
    // pins to the birth time on both sides.
    accepted(&with(|f| f[6] = exp(2, int(0))));
    accepted(&with(|f| f[5] = exp(1, int(0))));
    accepted(&with(|f| {
        f.remove(6);
        f.remove(5);
    }));
    let (s, _) = native::Session::decode(&with(|f| f[6] = exp(2, int(0)))).unwrap();
    assert_eq!(s.read().timeout(), 3);
}

#[test]
fn absent_fields_take_their_defaults() {
    // No [4], [5], [17]: id context empty, verify result 0 (a new session
    // has 1), fragment mode 0 (a new session has 255).
    let der = seq(&fields()[..5]);
    accepted(&der);
    let (s, _) = native::Session::decode(&der).unwrap();
    let d = s.read();
    assert_eq!((d.verify_result(), d.id_context()), (0, &[][..]));
    // The minimal encoding gains [1], [2], [4] and [19] on re-encoding.
    assert!(d.encode().unwrap().len() > der.len());
}

#[test]
fn sixty_four_bit_integers_wrap_past_the_negative_range() {
    // -(2^63 + 1) as a time: libssl wraps it to 2^63 - 1.
    let t = [0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    let der = with(|f| f[5] = exp(1, tlv(0x02, &t)));
    accepted(&der);
    let (s, _) = native::Session::decode(&der).unwrap();
    assert_eq!(s.read().time(), i64::MAX);
}

#[test]
fn strings_stop_at_an_embedded_nul() {
    let der = with(|f| f.insert(8, exp(6, oct(b"a\0b"))));
    accepted(&der);
    let (s, _) = native::Session::decode(&der).unwrap();
    assert_eq!(s.read().hostname(), Some(&b"a"[..]));
}

#[test]
fn empty_buffers_are_present_and_make_dup_fail() {
    for tag in [10, 16, 18] {
        check(&format!(
            "decode {} -> s0 => #0 ({} bytes used)
             dup s0 -> s1 => NULL err SSL:256 | free(#1)
             has_ticket s0 => 0",
            hex(&with(|f| f.insert(8, exp(tag, oct(b""))))),
            seq(&fields()).len() + 4,
        ));
    }
}

// --- decoding into a session in place ---------------------------------------

#[test]
fn a_failed_decode_into_leaves_partial_writes() {
    // An unknown cipher fails after the protocol version was written.
    let bad = with(|f| {
        f[1] = int(0x0303);
        f[2] = oct(&[0x13, 0x06]);
    });
    let s = native::Session::new();
    s.set_cipher(Some(0x1301));
    assert!(s.decode_into(&bad, 0).is_err());
    let d = s.read();
    assert_eq!((d.protocol_version(), d.cipher()), (0x0303, None));
    // The lockstep run compares every field after each step, including
    // the encoding, which now comes from the cipher id the failure left.
    check(&format!(
        "new s0
         set_cipher s0 0x1301
         decode_into s0 {} => NULL
         encode s0",
        hex(&bad)
    ));
}

#[test]
fn an_absent_ticket_clears_the_buffer_but_not_its_length() {
    let with_ticket = with(|f| f.insert(8, exp(10, oct(&[0x74; 5]))));
    let without = seq(&fields());
    check(&format!(
        "decode {} -> s0
         has_ticket s0 => 1
         decode_into s0 {} => #0 ({} bytes used)
         has_ticket s0 => 1",
        hex(&with_ticket),
        hex(&without),
        without.len()
    ));
    let (s, _) = native::Session::decode(&with_ticket).unwrap();
    s.decode_into(&without, 0).unwrap();
    assert_eq!(s.read().ticket(), (None, 5));
}

#[test]
fn decode_into_a_cached_session_is_never_called() {
    check(&format!(
        "decode {} -> s0
         cache_add s0 => 1
         decode_into s0 {} => skipped",
        hex(&seq(&fields())),
        hex(&seq(&fields()))
    ));
}

// --- the native codec on its own ----------------------------------------------

#[test]
fn errors_name_the_rule_and_the_offset() {
    let der = with(|f| f[3] = oct(&[1; 33]));
    let e = native::Session::decode(&der).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::IdTooLong(33));
    // The id's element starts after the SEQUENCE header, the version (3),
    // the protocol version (4) and the cipher (4).
    assert_eq!(e.offset, 2 + 3 + 4 + 4);
    assert_eq!(
        e.to_string(),
        "offset 13: session id of 33 bytes (at most 32)"
    );
}

#[test]
fn reencode_decodes_what_each_side_encoded() {
    // A session built through setters: libssl's bytes through libssl's
    // decoder, the native bytes through the native decoder.
    check(
        "new s0
         reencode s0 -> s1 => NULL err ASN1:224
         set_cipher s0 0x1301
         reencode s0 -> s1 => NULL err SSL:259 | free(#3)
         set_protocol_version s0 0x0304
         set_hostname s0 \"a.example\"
         set_alpn s0 6832
         reencode s0 -> s1 => #7 (70 bytes used)
         dup s1 -> s2 => #8
         encode s2 => 70",
    );
}

/// `[1] time` in the high-tag-number form: `0xbf` then the tag number in
/// base-128 octets (`more` continuation octets before `last`).
fn high_tag_time(more: &[u8], last: u8) -> Vec<u8> {
    let inner = int(1_700_000_000);
    let mut v = vec![0xbf];
    v.extend_from_slice(more);
    v.push(last);
    v.push(inner.len() as u8);
    v.extend_from_slice(&inner);
    v
}

/// The valid session with its SEQUENCE length written in `octets` long-form
/// length octets (after the count byte), value first padded with zeros.
fn long_length(octets: &[u8]) -> Vec<u8> {
    let body = fields().concat();
    let mut v = vec![0x30, 0x80 | octets.len() as u8];
    v.extend_from_slice(octets);
    v.extend_from_slice(&body);
    v
}

#[test]
fn tags_in_the_high_tag_number_form_agree_with_libssl() {
    // libssl reads a tag number in base-128 octets, non-minimal forms
    // included, and refuses one past INT_MAX >> 7 before its last octet.
    // Each input goes through every decode path (`Program::der_probe`);
    // the native decoder must give libssl's outcome, error and fields.
    let cases = [
        (vec![], 0x01, true),                        // [1], one octet: the time field
        (vec![0x80], 0x01, true),                    // [1], non-minimal: still the time field
        (vec![0x80, 0x80], 0x01, true),              // [1], two leading zero octets
        (vec![0x81], 0x01, false),                   // [129]: no such field
        (vec![0x81, 0x80], 0x01, false),             // [16385]
        (vec![0x87, 0xff, 0xff, 0xff], 0x01, false), // 2^24 - 1 before the last octet: allowed
        (vec![0x88, 0x80, 0x80, 0x80], 0x01, false), // 2^24: past INT_MAX >> 7
    ];
    for (more, last, is_time) in cases {
        let der = with(|f| f[5] = high_tag_time(&more, last));
        if is_time {
            decode(&der, &format!("#0 ({} bytes used)", der.len()));
        }
        let probe = sessdiff::program::Program::der_probe(der.clone(), None);
        if let Err(d) = sessdiff::lockstep::run_against_libssl(&probe) {
            panic!("{}: {d}", hex(&der));
        }
    }
}

#[test]
fn long_form_lengths_agree_with_libssl() {
    // Leading zero octets are skipped before the eight-octet limit; a
    // value past LONG_MAX is a bad header, one within it but past the
    // input is too long.
    let n = fields().concat().len() as u8;
    let cases: [Vec<u8>; 8] = [
        vec![n],                                              // one octet
        vec![0, n],                                           // a leading zero
        vec![0, 0, 0, 0, 0, 0, 0, 0, n],                      // eight leading zeros: nine octets
        vec![0; 9],                                           // nine zeros: length 0
        vec![1, 0, 0, 0, 0, 0, 0, 0], // 2^56: within LONG_MAX, past the input
        vec![0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // LONG_MAX
        vec![0x80, 0, 0, 0, 0, 0, 0, 0], // LONG_MAX + 1
        vec![1, 0, 0, 0, 0, 0, 0, 0, 0], // nine significant octets
    ];
    for octets in cases {
        let der = long_length(&octets);
        let probe = sessdiff::program::Program::der_probe(der.clone(), None);
        if let Err(d) = sessdiff::lockstep::run_against_libssl(&probe) {
            panic!("{}: {d}", hex(&der));
        }
    }
    let der = long_length(&[0, 0, 0, 0, 0, 0, 0, 0, n]);
    decode(&der, &format!("#0 ({} bytes used)", der.len()));
}

/// Decodes `der` natively, expecting an error; also checks that libssl
/// agrees on every path (`Program::der_probe`).
fn native_error(der: &[u8]) -> native::DecodeError {
    let probe = sessdiff::program::Program::der_probe(der.to_vec(), None);
    if let Err(d) = sessdiff::lockstep::run_against_libssl(&probe) {
        panic!("{}: {d}", hex(der));
    }
    native::Session::decode(der).expect_err("refused")
}

#[test]
fn error_offsets_point_at_the_offending_element() {
    // A required field with the wrong tag: where the field starts (after
    // the SEQUENCE header and the version).
    let e = native_error(&with(|f| f[1] = oct(&[3, 4])));
    assert_eq!(e.offset, 2 + 3, "{e}");

    // An EXPLICIT [1] of indefinite length whose content is not followed
    // by an end-of-contents: where the end-of-contents should be.
    let time = int(1_700_000_000);
    let mut bad_eoc = vec![0xa1, 0x80];
    bad_eoc.extend(&time);
    bad_eoc.extend([0x05, 0x00]);
    let e = native_error(&with(|f| f[5] = bad_eoc));
    let field_5 = 2 + 3 + 4 + 4 + 6 + 50;
    assert_eq!(e.offset, field_5 + 2 + time.len(), "{e}");

    // An end-of-contents inside a definite-length piece of a constructed
    // string, two levels down: the offset of the end-of-contents itself.
    let id = [0x24, 0x07, 0x24, 0x05, 0x04, 0x01, 0x01, 0x00, 0x00];
    let e = native_error(&with(|f| f[3] = id.to_vec()));
    let field_3 = 2 + 3 + 4 + 4;
    assert_eq!(e.offset, field_3 + 7, "{e}");
}

#[test]
fn header_problems_are_told_apart_from_lengths_past_the_data() {
    // libssl queues ASN1_R_BAD_OBJECT_HEADER last either way; the native
    // typed error says which rule it was (and libssl's queue has
    // HEADER_TOO_LONG or TOO_LONG under it).
    use native::Asn1Problem::{BadHeader, TooLong};
    let outer = |p| Some(DecodeErrorKind::NotASequence(p));
    // Eight significant length octets, within LONG_MAX: past the data.
    assert_eq!(
        native_kind(&long_length(&[1, 0, 0, 0, 0, 0, 0, 0])),
        outer(TooLong)
    );
    // LONG_MAX itself: past the data; one more: an unreadable header.
    let max = [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(native_kind(&long_length(&max)), outer(TooLong));
    assert_eq!(
        native_kind(&long_length(&[0x80, 0, 0, 0, 0, 0, 0, 0])),
        outer(BadHeader)
    );
    // A tag number of 2^24 - 1 before its last octet is still readable
    // (INT_MAX >> 7 is allowed); 2^24 is not.
    let at_limit = with(|f| f[5] = high_tag_time(&[0x87, 0xff, 0xff, 0xff], 0x01));
    let past = with(|f| f[5] = high_tag_time(&[0x88, 0x80, 0x80, 0x80], 0x01));
    let header_problem =
        |k: Option<DecodeErrorKind>| matches!(k, Some(DecodeErrorKind::Field(_, BadHeader)));
    assert!(
        !header_problem(native_kind(&at_limit)),
        "{:?}",
        native_kind(&at_limit)
    );
    assert!(
        header_problem(native_kind(&past)),
        "{:?}",
        native_kind(&past)
    );
}
