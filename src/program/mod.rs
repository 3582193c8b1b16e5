//! The call language: [`Op`], [`Program`], the harness's [`SlotTable`], the
//! text format and random generation.
//!
//! A program names up to 8 session references `s0`…`s7`, up to 4 `SSL`
//! objects `c0`…`c3` and one cache (the `SSL_CTX`, present at the start).
//! Text form, one op per line, `#` starting a comment:
//!
//! ```text
//! new s0
//! set_id s0 0a0b0c0d
//! up_ref s0 -> s1
//! dup s1 -> s2
//! cache_add s2
//! ssl_new c0
//! ssl_set c0 s1
//! cache_flush 1700000400
//! ```
//!
//! Byte strings are hex, `""` for the empty string; a host name is a quoted
//! string with `\\`, `\"` and `\xNN` escapes; `none` passes NULL.

use std::fmt;

use arbitrary::{Arbitrary, Unstructured};

mod der_gen;
mod ex;
mod generate;
mod op;
mod operand;
mod slots;
mod text;

pub use ex::{EX_INDEXES, ExDup, ExNew, ExSpec, ExVal, write_val};
pub use op::{CtxUse, Effects, Fill, Op, OpKind};
pub use slots::SlotTable;
pub use text::ParseError;

/// Number of session slots.
pub const SESSION_SLOTS: usize = 8;
/// Number of `SSL` slots.
pub const SSL_SLOTS: usize = 4;
/// The time every session is born with: `new` pins it, so no op reads the
/// wall clock.
pub const BIRTH_TIME: i64 = 1_700_000_000;

/// A session slot, `s0`…`s7`: holds one owned reference or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S(pub u8);

/// An `SSL` slot, `c0`…`c3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct C(pub u8);

impl S {
    /// Every session slot, in the canonical order.
    pub fn all() -> impl Iterator<Item = S> {
        (0..SESSION_SLOTS as u8).map(S)
    }
    /// The slot's index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl C {
    /// Every `SSL` slot, in the canonical order.
    pub fn all() -> impl Iterator<Item = C> {
        (0..SSL_SLOTS as u8).map(C)
    }
    /// The slot's index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for S {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

impl fmt::Display for C {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

/// An object's identity in a run: the index of the step that made it.
pub type Tag = u64;

/// A sequence of calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Program {
    /// The calls, in order.
    pub ops: Vec<Op>,
}

impl Program {
    /// A fuzzer's input read as a text program, if it is one with at least
    /// one op (so text corpora can seed libFuzzer).
    fn from_text_bytes(data: &[u8]) -> Option<Program> {
        let p = Program::parse(std::str::from_utf8(data).ok()?).ok()?;
        (!p.ops.is_empty()).then_some(p)
    }

    /// The program a fuzzer's input stands for: the input itself if it is
    /// a text program (so text corpora can seed libFuzzer), otherwise the
    /// program [`Arbitrary`] decodes from the bytes.
    pub fn from_fuzz_bytes(data: &[u8]) -> Program {
        if let Some(p) = Program::from_text_bytes(data) {
            return p;
        }
        Program::generate(&mut Unstructured::new(data), ARBITRARY_MAX_OPS).unwrap_or_default()
    }
}

impl Program {
    /// The program that puts `der` through both decoders every way the call
    /// language allows: into a new session, into a fresh `new` session
    /// (reused in place), and — with `second`, or `der` again — into the
    /// decoded session itself; each result is duplicated. Every step
    /// compares the outcome, the events and every field, encoding included.
    pub fn der_probe(der: Vec<u8>, second: Option<Vec<u8>>) -> Program {
        let again = second.unwrap_or_else(|| der.clone());
        Program {
            ops: vec![
                Op::Decode(der.clone(), S(0)),
                Op::Dup(S(0), S(1)),
                Op::New(S(2)),
                Op::DecodeInto(S(2), der),
                Op::Dup(S(2), S(3)),
                Op::DecodeInto(S(0), again),
                Op::Dup(S(0), S(4)),
            ],
        }
    }

    /// The program a `der` fuzzer's input stands for: a text program if
    /// the input is one (so corpora can be readable); otherwise the first
    /// byte picks the mode — even: the rest is raw DER; odd: the rest
    /// builds two mostly-valid encodings through `arbitrary` — and the
    /// result goes through [`Program::der_probe`].
    pub fn from_der_fuzz_bytes(data: &[u8]) -> Program {
        if let Some(p) = Program::from_text_bytes(data) {
            return p;
        }
        let Some((&mode, rest)) = data.split_first() else {
            return Program::default();
        };
        if mode & 1 == 0 {
            return Program::der_probe(rest.to_vec(), None);
        }
        let mut u = Unstructured::new(rest);
        let mut g = generate::Gen { u: &mut u };
        let first = g.session_der().unwrap_or_default();
        let second = g.session_der().ok();
        Program::der_probe(first, second)
    }
}

/// The longest program [`Arbitrary`] decodes.
pub const ARBITRARY_MAX_OPS: usize = 32;

impl<'a> Arbitrary<'a> for Program {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Program::generate(u, ARBITRARY_MAX_OPS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn program_from(bytes: &[u8], n: usize) -> Program {
        Program::generate(&mut Unstructured::new(bytes), n).unwrap()
    }

    #[test]
    fn a_program_that_registers_every_index_prints_and_parses_back() {
        // Found by print_then_parse_is_identity: all four indexes
        // registered, then an op on a fifth that the text cannot name.
        let bytes: &[u8] = &[
            28, 128, 74, 178, 114, 250, 177, 189, 225, 80, 9, 37, 61, 134, 228, 170, 94, 137, 149,
            28, 60, 11, 73, 106, 53, 214, 237, 201, 219, 35, 126, 9, 203, 120, 90, 91, 211, 69,
            131, 76, 201, 48, 190, 238, 173, 93, 151, 253, 238, 247, 20, 11, 72, 164, 105, 153, 69,
            85, 242, 153, 120, 47, 30, 108, 246, 225, 86, 143, 160, 31, 189, 218, 170, 86, 237, 76,
            180, 94, 223, 246, 62, 79, 250, 117, 69, 130, 153, 217, 149, 238, 11, 236, 189, 53,
            103, 145, 95, 33, 255, 95, 154, 194, 255, 220, 152, 241, 77, 14, 209, 5, 180, 7, 241,
            137, 110, 61, 88, 149, 39, 126, 115, 166, 136, 97, 139, 188, 22, 176, 40, 55, 0, 94,
            43, 123, 165, 104, 203, 211, 69, 191, 167, 127, 9, 16, 211, 192, 225, 251, 162, 218,
            94, 223, 142, 217, 38, 215, 62, 233, 250, 138, 139, 41, 80, 133, 7, 111, 14, 235, 42,
            228, 58, 186, 10, 179, 212, 190, 83, 144, 213, 178, 153, 246, 79, 246, 198, 124, 190,
            252, 198, 219, 99, 40, 134, 18, 174, 53, 114, 68, 192, 159, 161, 1, 31, 172, 188, 62,
            188, 74, 71, 92, 255, 251, 12, 7, 173, 107, 92, 156, 33, 79, 89, 40, 2, 206, 93, 15,
            113, 41, 77, 144, 247, 130, 139, 251, 11, 134, 126, 44, 47, 49, 1, 75, 196, 30, 43,
            239, 130, 131, 9, 232, 198, 13, 173, 239, 155, 207, 241, 65, 218, 126, 137, 96, 192,
            236, 7, 117, 110, 89, 163, 46, 164, 46, 247, 164, 198, 127, 32, 147, 141, 166, 89, 142,
            155, 4, 153, 34, 114, 232, 68, 111, 72, 64, 226, 34, 250, 225, 202, 182, 15, 113, 55,
            69, 105, 252, 82, 159, 245, 160, 184, 189, 139, 18, 154, 163, 243, 83, 145, 236, 203,
            148, 140, 127, 203, 144, 218, 232, 27, 4, 28, 219, 132, 191, 16, 120, 18, 75, 50, 104,
            22, 197, 48, 245, 78, 185, 176, 109, 253, 132, 213, 174, 132, 183, 231, 235, 240, 98,
            10, 217, 229, 6, 23, 108, 107, 123, 14, 36, 35, 186, 254, 143, 133, 24, 143, 149, 17,
            93, 12, 6, 138, 249, 178, 62, 53, 69, 122, 16, 247, 178, 5, 47, 157, 98, 191, 233, 174,
            220, 109, 244, 34, 27, 253, 60, 0, 202, 199, 166, 74, 13, 78, 155, 34, 81, 8, 250, 245,
            119, 175, 241, 128, 64, 80, 245, 194, 240, 144, 132, 19, 10, 198, 166, 192, 102, 73,
            94, 78, 250, 155, 17, 173, 17, 170, 112, 127, 255, 1, 104, 32, 166, 173, 101, 152, 99,
            79, 44, 85, 9, 88, 93, 93, 40, 181, 145, 148, 3, 73, 238, 60, 192, 163, 197, 52, 112,
            32, 22, 87, 183, 163, 227, 240, 132, 239, 104, 255, 23, 48, 97, 216, 26, 47, 113, 59,
            172, 216, 108, 202, 6, 95, 189, 237, 209, 95, 1, 192, 204, 177, 4, 243, 67, 2, 237,
            111, 220, 203, 193, 205, 188, 195, 68, 240, 207, 172, 199, 104, 214, 42, 12, 251, 208,
            103, 95, 108, 65, 84, 243, 223, 248, 28, 199, 206, 17, 251, 83, 168, 73, 226, 130, 249,
            155, 231, 198, 68, 65, 208, 120, 210, 59, 111, 174, 43, 189, 234, 44, 218, 178, 195,
            166, 173, 202, 214, 72, 189, 39, 66, 248, 13, 39, 22, 86, 132, 214, 45, 45, 243, 239,
            74, 106, 203, 37, 114, 93, 50, 167, 174, 192, 24, 74, 164, 87, 236, 139, 140, 215, 159,
            102, 106, 213, 154, 120, 182, 106, 62, 82, 250, 243, 199, 45, 67, 229, 164, 204, 171,
            212, 220, 96, 48, 252, 184, 84, 151, 121, 46, 76, 151, 115, 33, 171, 221, 89, 203, 33,
            255, 250, 129, 174, 189, 208, 8, 185, 154, 149, 247, 162, 166, 102, 118, 86, 76, 26,
            21, 223, 59, 148, 245, 201, 95, 91, 204, 104, 167, 248, 78, 79, 241, 147, 172, 101, 7,
            211, 246, 220, 216, 246, 172, 244, 17, 189, 132, 51, 46, 135, 3, 196, 199, 75, 14, 67,
            183, 245, 117, 10, 65, 252, 46, 100, 250, 99, 233, 210, 183, 179, 159, 185, 168, 6,
            195, 80, 102, 76, 22, 111, 210, 42, 44, 236, 230, 221, 216, 15, 229, 46, 187, 255, 21,
            77, 161, 157, 31, 80, 204, 197, 213, 237, 246, 172, 18, 208, 6, 222, 161, 190, 12, 200,
            169, 204, 6, 22, 102, 181, 120, 231, 229, 102, 196, 249, 130, 94, 166, 214, 8, 183,
            200, 26, 244, 61, 129, 133, 80, 162, 214, 228, 193, 111, 73, 245, 63, 130, 47, 91, 250,
            189, 34, 24, 147, 18, 54, 246, 198, 252, 83, 92, 20, 217, 120, 118, 92, 39, 158, 208,
            26, 110, 162, 144, 169, 110, 84, 117, 74, 142, 44, 106, 22, 77, 251, 77, 233, 239, 100,
            202, 36, 186, 211, 133, 72, 151, 51, 70, 214, 90, 133, 128, 170, 212, 246, 41, 30, 74,
            39, 95, 78, 212, 161, 236, 87, 184, 48, 92, 199, 224, 202, 172, 119, 45, 237, 241, 180,
            0, 144, 43, 112, 207, 0, 93, 74, 248, 239, 119, 94, 199, 203, 135, 76, 35, 58, 51, 112,
            54, 180, 1, 186, 79, 80, 126, 29, 162, 21, 50, 188, 6, 1, 163, 93, 41, 73, 54, 23, 218,
            141, 192, 147, 233, 79, 89, 62, 66, 203, 177, 116, 253, 169, 77, 225, 220, 93, 42, 130,
            178, 120, 115, 75, 166, 80, 86, 217, 255, 79, 85, 254, 223, 33, 192, 254, 174, 12, 249,
            62, 184, 165, 182, 49, 46, 73, 19, 243, 93, 230, 132, 170, 209, 102, 124, 141, 255,
            200, 30, 165, 37, 235, 32, 28, 166, 80, 57, 222,
        ];
        let p = program_from(bytes, 200);
        assert!(p.ops.iter().filter(|o| o.name() == "ex_new_index").count() >= 4);
        assert_eq!(Program::parse(&p.to_string()).unwrap(), p);
    }

    #[test]
    fn design_example_parses_and_prints_back() {
        let text = "new s0\nset_id s0 0a0b0c0d\nset_time s0 1700000000\nup_ref s0 -> s1\ndup s1 -> s2\n\
                    cache_add s2\nfree s0\nssl_new c0\nssl_set c0 s1\nssl_get1 c0 -> s3\ncache_flush 1700000400\n";
        let p = Program::parse(text).unwrap();
        assert_eq!(p.ops.len(), 11);
        assert_eq!(p.to_string(), text);
    }

    #[test]
    fn comments_blank_lines_and_special_values() {
        let p = Program::parse(
            "# a comment\n\n  new s7   # trailing\nset_hostname s7 \"a \\\"b\\\"\\x01\"\nset_id s7 \"\"\n\
             set_alpn s7 none\nset_protocol_version s7 -1\ncache_flush -9223372036854775808\n",
        )
        .unwrap();
        assert_eq!(
            p.ops,
            [
                Op::New(S(7)),
                Op::SetHostname(S(7), Some(b"a \"b\"\x01".to_vec())),
                Op::SetId(S(7), vec![]),
                Op::SetAlpn(S(7), None),
                Op::SetProtocolVersion(S(7), -1),
                Op::CacheFlush(i64::MIN),
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("new s0\nnew s8\n", 2, "expected a slot s0..s7"),
            ("bogus\n", 1, "unknown op `bogus`"),
            ("new s0 extra", 1, "unexpected `extra`"),
            ("dup s0 s1", 1, "expected `->`"),
            ("set_id s0 abc", 1, "hex"),
            ("set_hostname s0 \"a\\x00\"", 1, "NUL"),
            ("set_max_early_data s0 -1", 1, "out of range"),
            ("\n\nset_hostname s0 \"open", 3, "unterminated"),
            ("cache_size", 1, "missing a size"),
        ];
        for (text, line, needle) in cases {
            let e = Program::parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(needle), "{text:?}: {e}");
            assert!(e.to_string().starts_with(&format!("line {line}: ")));
        }
    }

    #[test]
    fn generated_programs_are_mostly_legal() {
        let bytes: Vec<u8> = (0..20_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let p = program_from(&bytes, 500);
        let mut t = SlotTable::default();
        let legal = p
            .ops
            .iter()
            .enumerate()
            .filter(|(i, op)| {
                let ok = t.is_legal(op);
                if ok {
                    t.after(op, op.destination().map(|_| *i as Tag));
                }
                ok
            })
            .count();
        assert!(legal * 10 >= p.ops.len() * 8, "{legal} of {}", p.ops.len());
    }

    #[test]
    fn fuzz_bytes_are_text_programs_or_arbitrary_input() {
        let text = "new s0\ncache_add s0\n";
        assert_eq!(
            Program::from_fuzz_bytes(text.as_bytes()),
            Program::parse(text).unwrap()
        );
        let bytes = [0x80u8, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(
            Program::from_fuzz_bytes(&bytes),
            program_from(&bytes, ARBITRARY_MAX_OPS)
        );
        assert_eq!(Program::from_fuzz_bytes(b""), Program::default());
    }

    proptest! {
        #[test]
        fn print_then_parse_is_identity(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let p = program_from(&bytes, 200);
            let text = p.to_string();
            prop_assert_eq!(Program::parse(&text).unwrap(), p);
        }

        #[test]
        fn every_generated_ex_index_is_printable(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            for op in program_from(&bytes, 200).ops {
                if let Op::ExSet(_, i, _) | Op::ExGet(_, i) = op {
                    prop_assert!(i <= EX_INDEXES);
                }
            }
        }

        #[test]
        fn parse_never_panics_on_random_text(text in "(?s).{0,300}") {
            let _ = Program::parse(&text);
        }

        #[test]
        fn parse_never_panics_on_near_programs(
            lines in proptest::collection::vec(
                "(new|dup|set_id|set_hostname|cache_flush|ssl_set|ssl_get1|set_protocol_version) ?(s[0-9]{1,2}|c[0-9]|-?[0-9]{1,25}|0x[0-9a-f]{0,20}|\"[^\"]{0,5}\"?|->|none| )*",
                0..10)
        ) {
            let _ = Program::parse(&lines.join("\n"));
        }
    }
}
