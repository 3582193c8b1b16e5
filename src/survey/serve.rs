//! The worker process's side of the protocol (see [`super::worker`]):
//! [`serve`] answers requests, running programs with [`chain`] masking.

use std::io::{BufRead, Write};

use anyhow::{Result, anyhow, bail};

use super::summary::Summary;
use crate::backend::Backend;
use crate::campaign::{self, Target};
use crate::lockstep::{self, Divergence, Phase, Snapshots};
use crate::program::{Op, Program};

/// How many times a divergent program is run again with more ops removed.
pub const MAX_MASKS: usize = 6;

/// The divergences one program shows as the ops where it diverges are
/// removed: after each divergence at a program op, every op of that op's
/// kind goes (a program with five `set_time`s that all diverge alike needs
/// one more run, not five), and the rest runs again. Each signature comes
/// with the indexes of the ops removed before it showed. Stops when the
/// program runs clean, diverges in the drain, or after [`MAX_MASKS`] runs
/// with removals.
pub fn chain(
    program: &Program,
    mut check: impl FnMut(&Program, &[usize]) -> Option<Box<Divergence>>,
) -> Vec<(String, Vec<usize>)> {
    let mut masked: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    loop {
        let p = without(program, &masked);
        let Some(d) = check(&p, &masked) else { break };
        out.push((d.signature(), masked.clone()));
        if d.phase != Phase::Program || out.len() > MAX_MASKS {
            break;
        }
        let kind = d.op.kind();
        masked.extend((0..program.ops.len()).filter(|&i| program.ops[i].kind() == kind));
        masked.sort_unstable();
        masked.dedup();
    }
    out
}

/// `program` without the ops at the indexes `masked`.
pub fn without(program: &Program, masked: &[usize]) -> Program {
    Program {
        ops: program
            .ops
            .iter()
            .enumerate()
            .filter(|(i, _)| !masked.contains(i))
            .map(|(_, op)| op.clone())
            .collect(),
    }
}

/// What the worker runs programs with.
pub struct Setup<F> {
    /// The campaign target of `batch` requests.
    pub target: Target,
    /// Ops per program.
    pub ops: usize,
    /// A fresh pair of backends: left (the model) and right (the library).
    pub make: F,
}

/// The worker's loop: reads requests from `input` and answers on `output`
/// until `input` ends.
pub fn serve<L, R, F>(setup: Setup<F>, input: impl BufRead, mut output: impl Write) -> Result<()>
where
    L: Backend,
    R: Backend,
    F: Fn() -> (L, R),
{
    writeln!(output, "hello {}", crate::backend::library_described())?;
    output.flush()?;
    let mut lines = input.lines();
    while let Some(line) = lines.next() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["batch", seed, from, to] => {
                let (seed, from, to): (u64, u64, u64) = (seed.parse()?, from.parse()?, to.parse()?);
                let mut refused = 0;
                for index in from..to {
                    let program = campaign::program_for(setup.target, seed, index, setup.ops);
                    writeln!(output, "start {index}")?;
                    output.flush()?;
                    let found = chain(&program, |p, masked| {
                        if !masked.is_empty() {
                            let _ = writeln!(output, "mask {}", masks(masked));
                            let _ = output.flush();
                        }
                        match lockstep::check_with(p, &setup.make) {
                            Ok(trace) => {
                                refused += trace.refused();
                                None
                            }
                            Err(d) => Some(d),
                        }
                    });
                    if found.is_empty() {
                        continue;
                    }
                    let mut msg = format!("div {index}");
                    for (sig, masked) in found {
                        msg.push_str(&format!(" {sig} {}", masks(&masked)));
                    }
                    writeln!(output, "{msg}")?;
                }
                writeln!(output, "done {refused}")?;
            }
            [mode @ ("run" | "trace")] => {
                let mut text = String::new();
                for l in lines.by_ref() {
                    let l = l?;
                    if l == "." {
                        break;
                    }
                    text.push_str(&l);
                    text.push('\n');
                }
                let program = Program::parse(&text).map_err(|e| anyhow!("run: {e}"))?;
                let (mut l, mut r) = (setup.make)();
                let trace = *mode == "trace";
                let mut report_step = |phase: Phase, op: &Op| {
                    if trace {
                        let prefix = match phase {
                            Phase::Program => "",
                            Phase::Drain => "drain_",
                            Phase::End => "end_",
                        };
                        let _ = writeln!(output, "step {prefix}{}", op.name());
                        let _ = output.flush();
                    }
                };
                let result = lockstep::run_observed(
                    &program,
                    &mut l,
                    &mut r,
                    Snapshots::EveryStep,
                    &mut report_step,
                );
                match result {
                    Ok(_) => writeln!(output, "clean")?,
                    Err(d) => writeln!(output, "diverged {}", Summary::of(&d).to_json())?,
                }
            }
            _ => bail!("survey-worker: unknown request `{line}`"),
        }
        output.flush()?;
    }
    Ok(())
}

/// Masked op indexes in a request line: `3,9`, or `-` for none.
pub(super) fn masks(masked: &[usize]) -> String {
    if masked.is_empty() {
        "-".to_string()
    } else {
        masked
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::NativeBackend;
    use crate::program::OpKind;

    #[test]
    fn masking_removes_every_op_of_the_diverging_kind() {
        // A pretend oracle: every set_time and every cache_add diverges.
        let p = Program::parse("new s0\nset_time s0 1\ncache_add s0\nset_time s0 2\n").unwrap();
        let sig = |p: &Program| {
            p.ops
                .iter()
                .position(|o| matches!(o.kind(), OpKind::SetTime | OpKind::CacheAdd))
        };
        let mut seen = Vec::new();
        let found = chain(&p, |q, _| {
            let step = sig(q)?;
            seen.push(q.ops.len());
            let mut d = crate::lockstep::run(
                &Program::parse("new s0\ncache_size 1\n").unwrap(),
                &mut NativeBackend::new(),
                &mut Twisted,
            )
            .unwrap_err();
            d.step = step;
            d.op = q.ops[step].clone();
            Some(d)
        });
        let sigs: Vec<_> = found.iter().map(|(s, m)| (s.as_str(), m.clone())).collect();
        assert_eq!(
            sigs,
            [
                ("divergence:set_time:ret", vec![]),
                ("divergence:cache_add:ret", vec![1, 3]),
            ]
        );
        assert_eq!(seen, [4, 2]);
    }

    /// Serves `requests` with the model against the model with `faults`
    /// planted; returns the answers' lines and how serving ended.
    fn served(requests: &str, faults: &[crate::faults::Fault]) -> (Vec<String>, Result<()>) {
        served_by(requests, || {
            (
                crate::faults::FaultyBackend::with(faults),
                NativeBackend::new(),
            )
        })
    }

    /// Serves `requests` with the pairs `make` makes.
    fn served_by<L: Backend, R: Backend>(
        requests: &str,
        make: impl Fn() -> (L, R),
    ) -> (Vec<String>, Result<()>) {
        let setup = Setup {
            target: Target::Ops,
            ops: 32,
            make,
        };
        let mut out = Vec::new();
        let r = serve(setup, requests.as_bytes(), &mut out);
        let text = String::from_utf8(out).unwrap();
        (text.lines().map(str::to_string).collect(), r)
    }

    #[test]
    fn the_worker_answers_each_request_as_the_protocol_says() {
        use crate::faults::Fault;
        let (lines, r) = served(
            "run\nnew s0\ndup s0 -> s1\n.\ntrace\nnew s0\nfree s0\n.\nrun\nnew s0\n.\n",
            &[Fault::DupShares],
        );
        r.unwrap();
        assert_eq!(
            lines[0],
            format!("hello {}", crate::backend::library_described())
        );
        let s = lines[1].strip_prefix("diverged ").expect("a divergence");
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        assert_eq!(v["signature"], "divergence:dup:ret");
        assert_eq!(v["step"], 1);
        // A trace names each step before it runs: the program's, then the
        // drain's.
        assert_eq!(lines[2..4], ["step new", "step free"]);
        assert!(
            lines[4..]
                .iter()
                .take_while(|l| l.starts_with("step "))
                .all(|l| l.starts_with("step drain_") || l.starts_with("step end_")),
            "{lines:?}"
        );
        assert_eq!(lines.last().unwrap(), "clean");
        assert_eq!(lines.iter().filter(|l| *l == "clean").count(), 2);
    }

    #[test]
    fn a_batch_announces_each_program_and_each_masked_run() {
        use crate::faults::Fault;
        let (lines, r) = served("batch 3 0 40\n", &[Fault::DupShares]);
        r.unwrap();
        let starts: Vec<&String> = lines.iter().filter(|l| l.starts_with("start ")).collect();
        assert_eq!(starts.len(), 40);
        assert_eq!(starts[0], "start 0");
        assert_eq!(lines.last().unwrap(), "done 0");
        // Each program that diverges: its chain, each signature after
        // the ops masked before it showed; a masked run is announced.
        let divs: Vec<&String> = lines.iter().filter(|l| l.starts_with("div ")).collect();
        assert!(!divs.is_empty());
        for d in &divs {
            let index: u64 = d.split(' ').nth(1).unwrap().parse().unwrap();
            let p = campaign::program_for(Target::Ops, 3, index, 32);
            let want: Vec<String> = chain(&p, |q, _| {
                lockstep::check_with(q, || {
                    (
                        crate::faults::FaultyBackend::with(&[Fault::DupShares]),
                        NativeBackend::new(),
                    )
                })
                .err()
            })
            .into_iter()
            .map(|(s, m)| format!("{s} {}", masks(&m)))
            .collect();
            assert_eq!(**d, format!("div {index} {}", want.join(" ")));
        }
        assert!(lines.iter().any(|l| l.starts_with("mask ")), "{lines:?}");
        // Only a masked run is announced.
        assert!(!lines.iter().any(|l| l == "mask -"), "{lines:?}");
    }

    #[test]
    fn a_batch_counts_the_ops_refused_as_a_library_bug() {
        // 3.0.0's dup_keeps_owner: relinking calls on a stale dup are
        // refused, on both sides alike.
        let p = crate::native::Profile::named("3.0.0").unwrap().interned();
        let make = || {
            (
                NativeBackend::with_profile(p),
                NativeBackend::with_profile(p),
            )
        };
        let (lines, r) = served_by("batch 1 0 300\n", make);
        r.unwrap();
        let refused: usize = (0..300)
            .map(|i| {
                let program = campaign::program_for(Target::Ops, 1, i, 32);
                lockstep::check_with(&program, make).unwrap().refused()
            })
            .sum();
        assert!(refused > 0, "the programs hit the bug");
        assert_eq!(lines.last().unwrap(), &format!("done {refused}"));
    }

    #[test]
    fn a_chain_stops_in_the_drain_or_after_its_last_mask() {
        let p = Program::parse("new s0\nset_time s0 1\ncache_add s0\nfree s0\n").unwrap();
        let diverged = |phase: Phase| {
            let mut d = crate::lockstep::run(
                &Program::parse("new s0\ncache_size 1\n").unwrap(),
                &mut NativeBackend::new(),
                &mut Twisted,
            )
            .unwrap_err();
            d.phase = phase;
            Some(d)
        };
        // A divergence in the drain: no op to mask, one signature.
        let mut runs = 0;
        let found = chain(&p, |_, _| {
            runs += 1;
            diverged(Phase::Drain)
        });
        assert_eq!((found.len(), runs), (1, 1));
        // A program op that diverges on every run: masked again and
        // again, up to MAX_MASKS runs with removals after the first.
        let mut runs = 0;
        let found = chain(&p, |_, _| {
            runs += 1;
            diverged(Phase::Program)
        });
        assert_eq!(found.len(), MAX_MASKS + 1);
        assert_eq!(runs, MAX_MASKS + 1);
    }

    #[test]
    fn an_unknown_request_ends_the_worker_with_an_error() {
        let (lines, r) = served("batch 3 0\n", &[]);
        assert_eq!(lines.len(), 1, "only the hello");
        assert_eq!(
            r.unwrap_err().to_string(),
            "survey-worker: unknown request `batch 3 0`"
        );
        let (_, r) = served("run\nfrobnicate s0\n.\n", &[]);
        assert!(r.unwrap_err().to_string().starts_with("run: "));
    }

    /// Diverges on cache_size.
    struct Twisted;
    impl Backend for Twisted {
        fn name(&self) -> &'static str {
            "twisted"
        }
        fn apply(&mut self, _: crate::program::Tag, _: &Op) -> (crate::backend::Ret, u32) {
            (crate::backend::Ret::Int(7), 0)
        }
        fn take_events(&mut self) -> Vec<crate::backend::Event> {
            vec![]
        }
        fn fill(&self, out: &mut crate::backend::State, full: bool) {
            NativeBackend::new().fill(out, full)
        }
        fn abandon(&mut self) {}
    }
}
