//! Helpers shared by the integration tests.
#![allow(dead_code)]

use sessdiff::errcode;
use sessdiff::lockstep::{self, Phase, Trace};
use sessdiff::program::Program;

/// Runs an annotated program against libssl in lockstep, panics on a
/// divergence, and checks every annotation.
///
/// Each line is an op, optionally followed by `=> RET` or
/// `=> RET | EVENTS`: the result both sides must return and the exact
/// events (deaths `free(#N)` and remove callbacks `rm(#N)`, where `N` is
/// the step that made the object, `#?` for an object never tagged) the
/// call must cause; no `|` means no events. A queued error follows the
/// result as `err LIB:REASON` (e.g. `NULL err SSL:254`); none means none
/// was queued. `=> skipped` expects the op to be illegal. A last line
/// `drain => EVENTS` checks the events of the whole drain.
pub fn check(annotated: &str) -> Trace {
    let mut text = String::new();
    let mut expect = Vec::new();
    let mut drain = None;
    for line in annotated.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (op, exp) = match line.split_once("=>") {
            Some((o, e)) => (o.trim(), Some(e.trim().to_string())),
            None => (line, None),
        };
        if op == "drain" {
            drain = exp;
            continue;
        }
        text.push_str(op);
        text.push('\n');
        expect.push(exp);
    }
    let program = Program::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let trace =
        lockstep::run_against_libssl(&program).unwrap_or_else(|d| panic!("{d}\n{}", d.trace));
    for (i, exp) in expect.iter().enumerate() {
        let Some(exp) = exp else { continue };
        let step = &trace.steps[i];
        let got = match &step.ret {
            None => "skipped".to_string(),
            Some(r) => {
                let mut got = r.to_string();
                if step.error != 0 {
                    got = format!("{got} err {}", errcode::text(step.error));
                }
                let ev: Vec<String> = step.events.iter().map(|e| e.to_string()).collect();
                if !ev.is_empty() {
                    got = format!("{got} | {}", ev.join(" "));
                }
                got
            }
        };
        assert_eq!(&got, exp, "step {i}: {}\n{trace}", step.op);
    }
    if let Some(exp) = drain {
        let ev: Vec<String> = trace
            .steps
            .iter()
            .filter(|s| s.phase == Phase::Drain)
            .flat_map(|s| s.events.iter().map(|e| e.to_string()))
            .collect();
        assert_eq!(ev.join(" "), exp, "drain\n{trace}");
    }
    trace
}
