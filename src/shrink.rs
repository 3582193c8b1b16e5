//! Minimising a divergent program while it keeps diverging in the same
//! way (the same [`Divergence::kind`](crate::lockstep::Divergence::kind):
//! what differed first; the op where it shows may move).
//!
//! Three passes, repeated until none changes anything:
//! 1. **delete ops**, delta-debugging style: chunks of half the program,
//!    then quarters, down to single ops;
//! 2. **simplify arguments**: ids and byte strings shorter (empty, one
//!    byte), numbers smaller (0, 1, the birth time), `none` for optional
//!    values, DER without its trailing bytes or without one field of its
//!    SEQUENCE at a time;
//! 3. **renumber slots**: move every use of a slot to a lower one (merging
//!    two slots when the divergence survives it).
//!
//! Each candidate is kept only if `reproduces` still reports the same
//! signature, so the result diverges exactly as the input did.

use crate::program::{C, Program, S, SESSION_SLOTS, SSL_SLOTS};

/// The most candidates one shrink tries.
const BUDGET: usize = 20_000;

struct Shrinker<'f> {
    signature: String,
    reproduces: &'f mut dyn FnMut(&Program) -> Option<String>,
    tries: usize,
}

impl Shrinker<'_> {
    fn keeps(&mut self, p: &Program) -> bool {
        if self.tries >= BUDGET {
            return false;
        }
        self.tries += 1;
        (self.reproduces)(p).as_deref() == Some(self.signature.as_str())
    }

    fn delete_ops(&mut self, p: &mut Program) -> bool {
        let mut changed = false;
        let mut chunk = p.ops.len().div_ceil(2).max(1);
        loop {
            let mut i = 0;
            while i < p.ops.len() {
                let mut cand = p.clone();
                let end = (i + chunk).min(cand.ops.len());
                cand.ops.drain(i..end);
                if self.keeps(&cand) {
                    *p = cand;
                    changed = true;
                } else {
                    i += chunk;
                }
            }
            if chunk == 1 {
                return changed;
            }
            chunk /= 2;
        }
    }

    fn simplify_args(&mut self, p: &mut Program) -> bool {
        let mut changed = false;
        for i in 0..p.ops.len() {
            for cand_op in p.ops[i].simpler() {
                let mut cand = p.clone();
                cand.ops[i] = cand_op;
                if self.keeps(&cand) {
                    *p = cand;
                    changed = true;
                    break;
                }
            }
        }
        changed
    }

    fn renumber(&mut self, p: &mut Program) -> bool {
        let mut changed = false;
        // First the canonical renaming: slots numbered in order of first use.
        let canon = canonical(p);
        if canon != *p && self.keeps(&canon) {
            *p = canon;
            changed = true;
        }
        for hi in (1..SESSION_SLOTS as u8).rev() {
            for lo in 0..hi {
                if !uses_s(p, S(hi)) {
                    continue;
                }
                let cand = Program {
                    ops: p
                        .ops
                        .iter()
                        .map(|o| o.renamed(|s| if s == S(hi) { S(lo) } else { s }, |c| c))
                        .collect(),
                };
                if self.keeps(&cand) {
                    *p = cand;
                    changed = true;
                    break;
                }
            }
        }
        for hi in (1..SSL_SLOTS as u8).rev() {
            for lo in 0..hi {
                if !uses_c(p, C(hi)) {
                    continue;
                }
                let cand = Program {
                    ops: p
                        .ops
                        .iter()
                        .map(|o| o.renamed(|s| s, |c| if c == C(hi) { C(lo) } else { c }))
                        .collect(),
                };
                if self.keeps(&cand) {
                    *p = cand;
                    changed = true;
                    break;
                }
            }
        }
        changed
    }
}

/// `p` with its slots renamed in order of first use: `s0`, `s1`, … and
/// `c0`, `c1`, …
fn canonical(p: &Program) -> Program {
    let mut s_map = [None::<u8>; SESSION_SLOTS];
    let mut c_map = [None::<u8>; SSL_SLOTS];
    let (mut ns, mut nc) = (0u8, 0u8);
    for op in &p.ops {
        let e = op.effects();
        for s in e.session_slots() {
            s_map[s.index()].get_or_insert_with(|| {
                ns += 1;
                ns - 1
            });
        }
        for c in e.ssl_slots() {
            c_map[c.index()].get_or_insert_with(|| {
                nc += 1;
                nc - 1
            });
        }
    }
    Program {
        ops: p
            .ops
            .iter()
            .map(|o| {
                o.renamed(
                    |s| S(s_map[s.index()].unwrap_or(s.0)),
                    |c| C(c_map[c.index()].unwrap_or(c.0)),
                )
            })
            .collect(),
    }
}

fn uses_s(p: &Program, s: S) -> bool {
    p.ops
        .iter()
        .any(|o| o.effects().session_slots().any(|x| x == s))
}

fn uses_c(p: &Program, c: C) -> bool {
    p.ops
        .iter()
        .any(|o| o.effects().ssl_slots().any(|x| x == c))
}

/// Shrinks `program`, whose divergence is of kind `signature` (usually
/// [`Divergence::kind`](crate::lockstep::Divergence::kind)), calling
/// `reproduces` (which runs a candidate and returns its kind, or `None` if
/// it does not diverge) on each candidate.
pub fn shrink(
    program: &Program,
    signature: &str,
    reproduces: &mut dyn FnMut(&Program) -> Option<String>,
) -> Program {
    let mut s = Shrinker {
        signature: signature.to_string(),
        reproduces,
        tries: 0,
    };
    let mut p = program.clone();
    loop {
        let a = s.delete_ops(&mut p);
        let b = s.simplify_args(&mut p);
        let c = s.renumber(&mut p);
        if !(a || b || c) || s.tries >= BUDGET {
            return p;
        }
    }
}

/// Shrinks a program that diverges between the native implementation and
/// the system libssl. `None` if it does not diverge.
pub fn shrink_against_libssl(program: &Program) -> Option<Program> {
    let run = |p: &Program| {
        crate::lockstep::run_against_libssl(p)
            .err()
            .map(|d| d.kind())
    };
    let signature = run(program)?;
    Some(shrink(program, &signature, &mut |p| run(p)))
}

/// What a fuzz target does with one program: runs it against the system
/// libssl and, if it diverges, prints the full report and panics with the
/// one-line signature `divergence:<op>:<what differed>` followed by the
/// shrunk program in text form.
pub fn check_for_fuzzer(program: &Program) {
    if let Err(d) = crate::lockstep::check_against_libssl(program) {
        let min = shrink_against_libssl(program).unwrap_or_else(|| program.clone());
        eprintln!("{d}");
        panic!("{}\nminimal program:\n{min}", d.signature());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Op;

    /// A pretend divergence: any program that adds a session whose id was
    /// set to something containing 0x07.
    fn oracle(p: &Program) -> Option<String> {
        let has_id = p
            .ops
            .iter()
            .any(|o| matches!(o, Op::SetId(_, b) if b.contains(&7)));
        let adds = p.ops.iter().any(|o| matches!(o, Op::CacheAdd(_)));
        (has_id && adds).then(|| "sig".to_string())
    }

    #[test]
    fn deletes_ops_and_simplifies_arguments() {
        let p = Program::parse(
            "new s3\nset_time s3 12345\nset_id s3 0707070707\nssl_new c2\nssl_set c2 s3\nnew s5\ncache_add s5\nfree s3\n",
        )
        .unwrap();
        let min = shrink(&p, "sig", &mut oracle);
        assert_eq!(min.to_string(), "set_id s0 07\ncache_add s0\n");
    }

    #[test]
    fn der_loses_trailing_bytes_and_fields_that_do_not_matter() {
        // A pretend divergence: a decode whose input holds a [6] element.
        let mut oracle = |p: &Program| {
            p.ops
                .iter()
                .any(|o| matches!(o, Op::Decode(b, _) if b.windows(2).any(|w| w == [0xa6, 0x03])))
                .then(|| "sig".to_string())
        };
        let p = Program::parse("decode 300c02010102020304a603040161ffff -> s2\n").unwrap();
        let min = shrink(&p, "sig", &mut oracle);
        assert_eq!(min.to_string(), "decode 3005a603040161 -> s0\n");
    }

    #[test]
    fn a_program_that_stops_diverging_is_left_alone() {
        let p = Program::parse("new s0\n").unwrap();
        assert_eq!(shrink(&p, "sig", &mut oracle), p);
    }

    #[test]
    fn a_shrink_stops_at_its_budget() {
        // Thousands of ops none of which can go: more candidates than the
        // budget, each refused.
        let text: String = (0..4500)
            .map(|i| format!("set_time s{} {}\n", i % 8, 1000 + i))
            .collect();
        let p = Program::parse(&text).unwrap();
        let mut calls = 0;
        let min = shrink(&p, "sig", &mut |_| {
            calls += 1;
            None
        });
        assert_eq!(min, p);
        assert_eq!(calls, BUDGET);
    }

    #[test]
    fn ssl_slots_are_renumbered_and_merged_in_few_tries() {
        // A pretend divergence: an `ssl_new` and an `ssl_set` of a session,
        // any slots.
        let mut calls = 0;
        let mut oracle = |p: &Program| {
            calls += 1;
            let text = p.to_string();
            let set = text
                .lines()
                .any(|l| l.starts_with("ssl_set") && !l.ends_with("none"));
            (text.contains("ssl_new") && set).then(|| "sig".to_string())
        };
        // Only c2 is made and only c3 is set: the two must be merged.
        let p = Program::parse("new s5\nssl_new c2\nnew s6\nssl_set c3 s6\nssl_free c2\n").unwrap();
        let min = shrink(&p, "sig", &mut oracle);
        assert_eq!(min.to_string(), "ssl_new c0\nssl_set c0 s0\n");
        // Renaming a slot nothing uses changes nothing, and is not tried.
        assert!(calls < 100, "{calls} tries");
    }
}
