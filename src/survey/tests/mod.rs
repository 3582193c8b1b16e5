//! The survey's unit tests: classes, merging and witnesses on hand-made
//! classes (here), whole surveys, probes and upgrade surveys ([`runs`])
//! and the report ([`reports`]). Their workers are threads of the test
//! ([`WorkerCommand::in_thread`]) serving the native model against the
//! native model, with a fault planted or another release's profile: no
//! library and no process, so every counter can be checked against a
//! count made here.

mod reports;
mod runs;

use std::sync::Arc;

use super::serve::{Setup, chain, serve};
use super::*;
use crate::backend::{Backend, NativeBackend, Ret};
use crate::campaign::Target;
use crate::faults::{Fault, FaultyBackend};
use crate::lockstep;
use crate::native::Profile;

#[test]
fn fields_of_signatures() {
    assert_eq!(field_of("divergence:drain_ctx_free:events"), "events");
    assert_eq!(
        field_of("divergence:set_time:session.timeout"),
        "session.timeout"
    );
    assert_eq!(field_of("crash:SIGABRT:ssl_clear"), "crash");
    assert_eq!(field_of("hang:free"), "hang");
}

/// A class of `signature` whose reproducer, one op deleted at a time,
/// shows `neighbours`; a divergence unless the signature is a crash's
/// or a hang's.
fn class(signature: &str, neighbours: &[&str]) -> Class {
    let summary = signature.starts_with("divergence:").then(|| Summary {
        signature: signature.into(),
        step: 0,
        op: "new s0".into(),
        phase: "program".into(),
        differences: Vec::new(),
        report: String::new(),
    });
    Class {
        signature: signature.into(),
        aliases: Vec::new(),
        count: 1,
        first: 0,
        reproducer: program(1),
        shrunk_from: 1,
        witnesses: Vec::new(),
        summary,
        stderr: String::new(),
        neighbours: neighbours.iter().map(|s| s.to_string()).collect(),
        expected: false,
        explained: None,
    }
}

/// A program of `n` ops.
fn program(n: usize) -> Program {
    Program::parse(&"new s0\n".repeat(n)).unwrap()
}

#[test]
fn classes_know_their_field_signatures_and_kind() {
    let mut c = class("divergence:free:events", &[]);
    c.aliases.push("divergence:ssl_free:events".into());
    assert_eq!(c.field(), "events");
    assert_eq!(
        c.signatures().collect::<Vec<_>>(),
        ["divergence:free:events", "divergence:ssl_free:events"]
    );
    assert!(!c.is_death());
    let crash = class("crash:SIGSEGV:dup", &[]);
    assert_eq!(crash.field(), "crash");
    assert!(crash.is_death());
}

#[test]
fn a_class_keeps_its_three_smallest_witnesses_and_counts_all() {
    let mut c = class("divergence:dup:ret", &[]);
    for n in [5, 4, 6, 2, 7, 3] {
        c.witnessed(program(n));
    }
    assert_eq!(c.count, 7);
    let lens: Vec<usize> = c.witnesses.iter().map(|w| w.ops.len()).collect();
    assert_eq!(lens, [2, 3, 4]);
}

#[test]
fn classes_merge_on_the_same_field_when_one_op_turns_one_into_the_other() {
    let classes = vec![
        class("divergence:dup:ret", &[]),
        class("divergence:free:events", &["divergence:dup:ret"]),
        class("divergence:ctx_free:events", &[]),
    ];
    // A new class whose reproducer shows an existing class: the first
    // on its field, found by its neighbours.
    let new = class(
        "divergence:ssl_free:events",
        &["divergence:ctx_free:events"],
    );
    assert_eq!(twin(&classes, &new), Some(2));
    // An existing class whose reproducer shows the new one.
    let new = class("divergence:drain_free:events", &[]);
    let mut with = classes.clone();
    with[1]
        .neighbours
        .insert("divergence:drain_free:events".into());
    assert_eq!(twin(&with, &new), Some(1));
    // Through an alias of the existing class.
    let mut aliased = classes.clone();
    aliased[0].aliases.push("divergence:up_ref:ret".into());
    let new = class("divergence:get1:ret", &["divergence:up_ref:ret"]);
    assert_eq!(twin(&aliased, &new), Some(0));
    // Not on another field, even when a neighbour names it.
    let new = class("divergence:free:ret", &["divergence:free:events"]);
    assert_eq!(twin(&classes, &new), None);
    // Not without a neighbour either way.
    let new = class("divergence:cache_flush:events", &[]);
    assert_eq!(twin(&classes, &new), None);
}

#[test]
fn a_merged_class_counts_once_more_and_keeps_the_signature_as_an_alias() {
    let mut c = class("divergence:free:events", &["a"]);
    let mut other = class("divergence:ssl_free:events", &["b"]);
    other.expected = true;
    c.merge(other);
    assert_eq!(c.count, 2);
    assert_eq!(c.aliases, ["divergence:ssl_free:events"]);
    assert_eq!(c.neighbours.iter().collect::<Vec<_>>(), ["a", "b"]);
    assert!(c.expected, "an expected alias makes the class expected");
    c.merge(class("divergence:ctx_free:events", &[]));
    assert!(c.expected, "an unexpected one does not undo it");
}

#[test]
fn divergences_on_one_field_may_be_the_same_deaths_never() {
    let classes = vec![
        class("divergence:dup:ret", &[]),
        class("crash:SIGSEGV:dup", &[]),
        class("divergence:free:ret", &[]),
        class("crash:SIGABRT:free", &[]),
        class("divergence:free:events", &[]),
        class("divergence:get1:ret", &[]),
    ];
    assert_eq!(maybe_same(&classes), [(0, 2), (0, 5), (2, 5)]);
}

#[test]
fn a_hang_is_shrunk_with_the_surveys_wait_any_other_class_with_a_short_one() {
    let long = Duration::from_secs(30);
    let short = Duration::from_millis(300);
    assert_eq!(shrink_wait("hang:cache_flush", long), long);
    assert_eq!(shrink_wait("divergence:dup:ret", long), SHRINK_HANG);
    assert_eq!(shrink_wait("crash:SIGSEGV:dup", long), SHRINK_HANG);
    // Never longer than the survey's own wait.
    assert_eq!(shrink_wait("divergence:dup:ret", short), short);
}

#[test]
fn the_rate_is_programs_over_seconds() {
    let s = Stats {
        programs: 10,
        elapsed: Duration::from_millis(4000),
        ..Stats::default()
    };
    assert_eq!(s.programs_per_sec(), 2.5);
    // No time yet: a finite rate, not a division by zero.
    let s = Stats {
        programs: 3,
        ..Stats::default()
    };
    assert!(s.programs_per_sec().is_finite() && s.programs_per_sec() > 1e6);
}

#[test]
fn expect_files_name_their_bad_lines() {
    let dir = std::env::temp_dir().join(format!("sessdiff-expect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("expect.txt");
    std::fs::write(
        &f,
        "# accepted\ndivergence:dup:ret  # dup\n\ncrash:SIGABRT:ssl_clear\n",
    )
    .unwrap();
    let got = read_expect(&f).unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.contains("divergence:dup:ret"));
    std::fs::write(&f, "divergence:dup:ret\nnot a signature\n").unwrap();
    let e = read_expect(&f).unwrap_err().to_string();
    assert!(e.ends_with("expect.txt:2: expected a signature (divergence:…, crash:… or hang:…), found `not a signature`"), "{e}");
    // Neither a word that is not a signature, nor a signature with more
    // after it.
    for bad in ["nonsense", "divergence:dup:ret and more"] {
        std::fs::write(&f, format!("hang:free\n{bad}\n")).unwrap();
        let e = read_expect(&f).unwrap_err().to_string();
        assert!(e.ends_with(&format!("expect.txt:2: expected a signature (divergence:…, crash:… or hang:…), found `{bad}`")), "{e}");
    }
    std::fs::write(
        &f,
        r#"{"classes":[{"signature":"divergence:a:ret","aliases":["divergence:b:ret"]}]}"#,
    )
    .unwrap();
    let got = read_expect(&f).unwrap();
    assert_eq!(
        got.into_iter().collect::<Vec<_>>(),
        ["divergence:a:ret", "divergence:b:ret"]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A survey of `programs` campaign programs (seed 3, 32 ops), `batch` a
/// batch, reported into a fresh folder named after `name`, run by
/// `worker`.
fn config(name: &str, programs: u64, batch: u64, worker: WorkerCommand) -> Config {
    let out = std::env::temp_dir().join(format!("sessdiff-survey-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    Config {
        campaign: campaign::Config {
            seed: 3,
            target: Target::Ops,
            ops: 32,
            duration: Some(Duration::from_secs(300)),
            programs: Some(programs),
        },
        out,
        expect: BTreeSet::new(),
        command: "sessdiff survey --seed 3".into(),
        worker,
        batch,
        hang_after: Duration::from_secs(30),
        model: "3.0.19".into(),
        replay_flags: vec!["--fault".into(), "dup-shares".into()],
        upgrade: None,
    }
}

/// A fresh pair: the model with `faults` planted, against the model.
fn pair(faults: &[Fault]) -> (FaultyBackend, NativeBackend) {
    (FaultyBackend::with(faults), NativeBackend::new())
}

/// A worker in a thread that runs [`pair`].
fn worker(faults: &[Fault]) -> WorkerCommand {
    let mut args = Vec::new();
    for f in faults {
        args.extend(["--fault", f.name()]);
    }
    native_worker(None, &args)
}

/// A worker in a thread, its arguments `args` as a worker process's: the
/// left side is the model with the `--fault`s planted, or with the
/// `--model` profile; the right side, standing for the library, is the
/// model with the profile `library` (the default one if `None`).
fn native_worker(library: Option<&'static str>, args: &[&str]) -> WorkerCommand {
    in_thread(args, move |args| {
        let value = |flag: &str| -> Vec<String> {
            args.windows(2)
                .filter(|w| w[0] == flag)
                .map(|w| w[1].clone())
                .collect()
        };
        let faults: Vec<Fault> = value("--fault")
            .iter()
            .map(|f| f.parse().unwrap())
            .collect();
        let model = value("--model")
            .pop()
            .map(|m| Profile::parse(&m).unwrap().interned());
        let library = library.map(|l| Profile::parse(l).unwrap().interned());
        move || {
            let left: Box<dyn Backend> = match model {
                Some(p) if faults.is_empty() => Box::new(NativeBackend::with_profile(p)),
                _ => Box::new(FaultyBackend::with(&faults)),
            };
            let right = library.map_or_else(NativeBackend::new, NativeBackend::with_profile);
            (left, right)
        }
    })
}

/// A worker in a thread with the arguments `args`, serving the pairs that
/// `make` (given the arguments) makes.
fn in_thread<L, R, F>(
    args: &[&str],
    make: impl Fn(&[String]) -> F + Send + Sync + 'static,
) -> WorkerCommand
where
    L: Backend,
    R: Backend,
    F: Fn() -> (L, R),
{
    WorkerCommand {
        program: "/no/worker/process".into(),
        args: args.iter().map(|a| a.to_string()).collect(),
        in_thread: Some(Arc::new(move |args, input, output| {
            let setup = Setup {
                target: Target::Ops,
                ops: 32,
                make: make(args),
            };
            // A planted panic ends the thread: the worker's death.
            let _ = serve(setup, input, output);
        })),
    }
}

/// The model, except that `ssl_clear` panics: in a worker thread, a
/// library that crashes there.
struct DiesOnSslClear(NativeBackend);

impl Backend for DiesOnSslClear {
    fn name(&self) -> &'static str {
        "dies-on-ssl-clear"
    }
    fn apply(&mut self, step: crate::program::Tag, op: &crate::program::Op) -> (Ret, u32) {
        assert!(op.name() != "ssl_clear", "a planted crash in ssl_clear");
        self.0.apply(step, op)
    }
    fn take_events(&mut self) -> Vec<crate::backend::Event> {
        self.0.take_events()
    }
    fn fill(&self, out: &mut crate::backend::State, full: bool) {
        self.0.fill(out, full)
    }
    fn abandon(&mut self) {
        self.0.abandon()
    }
}

/// What each campaign program `0..programs` shows, counted here, without
/// the survey: its chain of signatures, masked as the worker masks.
fn chains(faults: &[Fault], programs: u64) -> Vec<Vec<String>> {
    (0..programs)
        .map(|i| {
            let p = campaign::program_for(Target::Ops, 3, i, 32);
            chain(&p, |p, _| lockstep::check_with(p, || pair(faults)).err())
                .into_iter()
                .map(|(sig, _)| sig)
                .collect()
        })
        .collect()
}

/// Runs a survey of `programs` programs with `faults` planted; returns it
/// and the number of times it reported progress.
fn survey(name: &str, faults: &[Fault], programs: u64, batch: u64) -> (Survey, u64) {
    let mut s = Survey::new(config(name, programs, batch, worker(faults))).unwrap();
    let mut calls = 0;
    s.run(|_| calls += 1).unwrap();
    (s, calls)
}
