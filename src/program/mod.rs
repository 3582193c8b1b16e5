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
pub use generate::lacking_kinds;
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
        let mut g = generate::Gen {
            u: &mut u,
            skip: &[],
        };
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

    /// An op the library lacks is refused by its line, with the library's
    /// name and the function it lacks; the same text parses for OpenSSL.
    #[test]
    fn the_parser_refuses_an_op_the_library_lacks() {
        use crate::caps::Library;
        let text = "# set_hostname in a comment is no op\nnew s0\nset_hostname s0 \"h\"\n";
        let e = Program::parse_for(text, Library::LibreSsl, "LibreSSL 4.3.2").unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(
            e.message,
            "op set_hostname is not in LibreSSL 4.3.2 (it has no SSL_SESSION_set1_hostname)"
        );
        assert_eq!(
            Program::parse_for(text, Library::OpenSsl, "OpenSSL")
                .unwrap()
                .ops
                .len(),
            2
        );
    }

    fn program_from(bytes: &[u8], n: usize) -> Program {
        Program::generate(&mut Unstructured::new(bytes), n).unwrap()
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
