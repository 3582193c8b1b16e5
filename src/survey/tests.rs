//! The survey's unit tests: classes, merging and witnesses on hand-made
//! classes, and whole surveys whose worker is a thread of the test
//! ([`Worker::in_thread`]) serving the native model against the native
//! model with a fault planted: no library and no process, so every
//! counter can be checked against a count made here.

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

#[test]
fn a_leak_seen_at_two_drain_steps_is_one_class_with_an_alias() {
    let faults = [Fault::Get1Leaks];
    let (s, _) = survey("leaks", &faults, 300, 256);
    assert_eq!(s.classes.len(), 1, "{:?}", s.classes);
    let c = &s.classes[0];
    let names: Vec<&String> = c.signatures().collect();
    assert_eq!(
        names,
        [
            "divergence:drain_ctx_free:events",
            "divergence:drain_ssl_free:events"
        ]
    );
    // Each program counts once for each of the two signatures it shows.
    let shown: usize = chains(&faults, 300)
        .iter()
        .map(|c| c.iter().filter(|s| names.contains(s)).count())
        .sum();
    assert_eq!(c.count, shown as u64);
    assert!(s.maybe_same().is_empty());
}

#[test]
fn a_survey_counts_every_program_and_every_class_as_counted_alone() {
    let faults = [Fault::DupShares, Fault::Get1Leaks];
    let (s, progress) = survey("counts", &faults, 150, 64);
    let chains = chains(&faults, 150);
    // Three batches (64, 64, 22), each reported.
    assert_eq!(progress, 3);
    assert_eq!(s.stats.programs, 150);
    let divergent = chains.iter().filter(|c| !c.is_empty()).count() as u64;
    assert!(divergent > 10, "the faults show: {divergent}");
    assert_eq!(s.stats.divergent, divergent);
    assert_eq!(s.stats.deaths, 0);
    // Every signature the programs show is a class's or an alias.
    let mut shown = BTreeSet::new();
    for c in &chains {
        shown.extend(c.iter().cloned());
    }
    let known: BTreeSet<String> = s
        .classes
        .iter()
        .flat_map(|c| c.signatures().cloned())
        .collect();
    assert_eq!(known, shown);
    assert!(
        s.classes
            .iter()
            .any(|c| c.signature == "divergence:dup:ret")
    );
    assert!(
        s.classes.iter().any(|c| c.field() == "events"),
        "the rare leak is not masked"
    );
    // A class that merged nothing counts the programs showing it, and was
    // first shown by the first of them.
    for c in s.classes.iter().filter(|c| c.aliases.is_empty()) {
        let showing: Vec<u64> = (0..150u64)
            .filter(|&i| chains[i as usize].contains(&c.signature))
            .collect();
        assert_eq!(c.count, showing.len() as u64, "{}", c.signature);
        assert_eq!(c.first, showing[0], "{}", c.signature);
    }
}

#[test]
fn each_class_is_shrunk_with_its_smallest_witnesses_and_both_sides_summary() {
    let faults = [Fault::DupShares];
    let (s, _) = survey("shrunk", &faults, 60, 256);
    let dup = s
        .classes
        .iter()
        .find(|c| c.signature == "divergence:dup:ret")
        .expect("dup's class");
    assert_eq!(dup.reproducer.to_string(), "new s0\ndup s0 -> s1\n");
    assert!(dup.shrunk_from > 2);
    let summary = dup.summary.as_ref().expect("a divergence, not a death");
    assert_eq!(summary.signature, dup.signature);
    assert_eq!(summary.op, "dup s0 -> s1");
    assert!(dup.stderr.is_empty());
    assert!(!dup.is_death() && !dup.expected);
    assert!(dup.count > 3, "{}", dup.count);
    assert_eq!(dup.witnesses.len(), 3);
    for w in dup.witnesses.windows(2) {
        assert!(w[0].ops.len() <= w[1].ops.len());
    }
    for w in &dup.witnesses {
        let d = lockstep::check_with(w, || pair(&faults)).unwrap_err();
        assert_eq!(d.signature(), dup.signature, "a witness shows its class");
    }
    // The report is on disk, one file a class.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.config.out.join("survey.json")).unwrap())
            .unwrap();
    assert_eq!(json["programs"], 60);
    assert_eq!(json["classes"].as_array().unwrap().len(), s.classes.len());
    for (n, c) in s.classes.iter().enumerate() {
        let file = s.config.out.join(report::class_file(n, c));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.ends_with(&c.reproducer.to_string()), "{file:?}");
        let header = |k| crate::corpus::header_value(&file, k).unwrap().unwrap();
        assert_eq!(text.lines().next().unwrap(), format!("# {}", c.signature));
        assert_eq!(header("against"), s.libssl);
        assert!(header("replay").ends_with(&format!("--fault dup-shares {}", file.display())));
        assert!(text.contains(&format!("program {} of the campaign", c.first)));
    }
    std::fs::remove_dir_all(&s.config.out).unwrap();
}

#[test]
fn a_clean_model_finds_nothing_and_an_expected_class_does_not_count_as_unexpected() {
    let (s, progress) = survey("clean", &[], 40, 16);
    assert_eq!((s.stats.programs, s.stats.divergent, progress), (40, 0, 3));
    assert!(s.classes.is_empty());
    let mut c = config("expected", 30, 256, worker(&[Fault::DupShares]));
    c.expect.insert("divergence:dup:ret".into());
    let mut s = Survey::new(c).unwrap();
    s.run(|_| ()).unwrap();
    let unexpected: Vec<&str> = s.unexpected().map(|c| c.signature.as_str()).collect();
    assert!(
        !unexpected.contains(&"divergence:dup:ret"),
        "{unexpected:?}"
    );
    assert!(s.classes.iter().any(|c| c.expected));
    assert_eq!(
        unexpected.len(),
        s.classes.iter().filter(|c| !c.expected).count()
    );
}

#[test]
fn a_survey_stops_at_its_time_limit() {
    let mut c = config("time", 1_000_000, 8, worker(&[]));
    c.campaign.duration = Some(Duration::from_millis(300));
    let mut s = Survey::new(c).unwrap();
    s.run(|_| ()).unwrap();
    assert!(s.stats.programs > 0 && s.stats.programs < 1_000_000);
    assert_eq!(s.stats.programs % 8, 0, "whole batches");
    assert!(s.stats.elapsed >= Duration::from_millis(300));
}

#[test]
fn a_worker_that_dies_is_a_class_of_its_own_and_the_survey_goes_on() {
    let w = in_thread(&[], |_| {
        || {
            (
                FaultyBackend::with(&[Fault::DupShares]),
                DiesOnSslClear(NativeBackend::new()),
            )
        }
    });
    let mut s = Survey::new(config("dies", 120, 64, w)).unwrap();
    s.run(|_| ()).unwrap();
    // Every program ran: the batches went on after each death.
    assert_eq!(s.stats.programs, 120);
    let crash = s
        .classes
        .iter()
        .find(|c| c.signature == "crash:exit101:ssl_clear")
        .unwrap_or_else(|| {
            panic!(
                "{:?}",
                s.classes.iter().map(|c| &c.signature).collect::<Vec<_>>()
            )
        });
    assert!(crash.is_death() && crash.summary.is_none());
    assert_eq!(crash.reproducer.to_string(), "ssl_new c0\nssl_clear c0\n");
    assert!(
        crash.neighbours.is_empty(),
        "a death is not merged by neighbours"
    );
    // The programs that held an ssl_clear: each killed a worker, and again
    // alone; shrinking killed more.
    let killers = (0..120)
        .filter(|&i| {
            campaign::program_for(Target::Ops, 3, i, 32)
                .ops
                .iter()
                .any(|op| op.name() == "ssl_clear")
        })
        .count() as u64;
    assert!(killers > 0);
    assert!(crash.count <= killers, "{} > {killers}", crash.count);
    assert!(
        s.stats.deaths >= 2 * crash.count,
        "{} deaths",
        s.stats.deaths
    );
    assert!(s.stats.divergent >= crash.count);
    assert!(
        s.classes
            .iter()
            .any(|c| c.signature == "divergence:dup:ret")
    );
    assert_eq!(s.maybe_same(), [], "deaths are never possibly the same");
}

/// A survey as the report sees it, made by hand: an upgrade survey with
/// refused ops, four classes: one with an alias, witnesses and an
/// explanation; an expected one; a crash; one on the first one's field.
fn reported() -> Survey {
    let mut c = config("report", 1000, 256, worker(&[]));
    c.model = "3.0.0".into();
    c.upgrade = Some(upgrade::Upgrade {
        from: "3.0.0".into(),
        to: "3.0.19".into(),
    });
    let mut s = Survey::new(c).unwrap();
    s.libssl = "LibSSL 9.9 | built today".into();
    s.stats = Stats {
        programs: 1000,
        divergent: 40,
        deaths: 2,
        refused: 3,
        elapsed: Duration::from_millis(4000),
    };
    let summary = |sig: &str, op: &str, diffs: &[(&str, &str, &str)]| Summary {
        signature: sig.into(),
        step: 1,
        op: op.into(),
        phase: "program".into(),
        differences: diffs
            .iter()
            .map(|(f, l, r)| (f.to_string(), f.to_string(), l.to_string(), r.to_string()))
            .collect(),
        report: String::new(),
    };
    let mut dup = class("divergence:dup:ret", &[]);
    dup.aliases.push("divergence:up_ref:ret".into());
    dup.count = 30;
    dup.first = 7;
    dup.reproducer = Program::parse("new s0\ndup s0 -> s1\n").unwrap();
    dup.shrunk_from = 32;
    dup.witnesses = vec![program(4), program(5)];
    dup.summary = Some(summary(
        "divergence:dup:ret",
        "dup s0 -> s1",
        &[("ret", "#1", "#0 | shared")],
    ));
    dup.explained = Some(upgrade::Explanation {
        passes_with_target: true,
        switches: vec!["time", "re_add"],
        ..Default::default()
    });
    let mut leak = class("divergence:free:events", &[]);
    leak.expected = true;
    leak.count = 8;
    leak.first = 40;
    leak.summary = Some(summary(
        "divergence:free:events",
        "free s0",
        &[("events", "free #0", "(none)")],
    ));
    leak.explained = Some(upgrade::Explanation::default());
    let mut crash = class("crash:SIGSEGV:ssl_clear", &[]);
    crash.count = 2;
    crash.first = 99;
    crash.stderr = "AddressSanitizer: SEGV\nin ssl_clear".into();
    crash.explained = Some(upgrade::Explanation {
        passes_with_target: true,
        ..Default::default()
    });
    let mut free = class("divergence:free:ret", &[]);
    free.summary = Some(summary(
        "divergence:free:ret",
        "free s0",
        &[("ret", "1", "0")],
    ));
    s.classes = vec![dup, leak, crash, free];
    s
}

#[test]
fn the_report_shows_every_class_with_what_a_reader_needs() {
    let s = reported();
    let what = crate::native::switch("dup_keeps_owner").unwrap().what;
    let md = report::markdown(&s)
        .replace(&s.config.out.display().to_string(), "OUT")
        .replace(what, "WHAT");
    let expected = r#"# sessdiff survey

- library: LibSSL 9.9 | built today
- model: the native implementation with the 3.0.0 profile
- command: `sessdiff survey --seed 3`
- 1000 programs (ops target, seed 3) in 4.0 s (250/s); 40 divergent; 2 worker deaths
- 3 ops refused: the 3.0.0 profile has a documented library bug (`dup_keeps_owner`: WHAT)
- an upgrade from 3.0.0 to 3.0.19: see `upgrade.md`, each class explained by switch
- **4 classes**: 3 unexpected, 1 expected

New differences:

| # | signature | programs | reproducer |
|---:|---|---:|---:|
| [1](#1) | `divergence:dup:ret` | 30 | 2 ops |
| [3](#3) | `crash:SIGSEGV:ssl_clear` | 2 | 1 ops |
| [4](#4) | `divergence:free:ret` | 1 | 1 ops |

Expected differences:

| # | signature | programs | reproducer |
|---:|---|---:|---:|
| [2](#2) | `divergence:free:events` | 8 | 1 ops |


<a id="1"></a>

## 1. `divergence:dup:ret`

- 30 programs (the first: program 7 of the campaign)
- also seen as `divergence:up_ref:ret` (the same difference, surfacing at another op)
- might be the same difference as class 4 (same field, `ret`)
- reproducer, shrunk from 32 ops (`classes/01-divergence-dup-ret.txt`):

```text
new s0
dup s0 -> s1
```

Explained by: `time`, `re_add`

At step 1 (`dup s0 -> s1`):

| field | native | LibSSL 9.9 \| built today |
|---|---|---|
| ret | `#1` | `#0 \| shared` |

Replay: `sessdiff replay --fault dup-shares OUT/classes/01-divergence-dup-ret.txt`

Other witnesses (unshrunk, in `survey.json`): 4, 5 ops

<a id="2"></a>

## 2. `divergence:free:events`

- 8 programs (the first: program 40 of the campaign); expected
- reproducer, shrunk from 1 ops (`classes/02-divergence-free-events.txt`):

```text
new s0
```

Explained by: nothing (the reproducer fails with the library's own profile too)

At step 1 (`free s0`):

| field | native | LibSSL 9.9 \| built today |
|---|---|---|
| events | `free #0` | `(none)` |

Replay: `sessdiff replay --fault dup-shares OUT/classes/02-divergence-free-events.txt`

<a id="3"></a>

## 3. `crash:SIGSEGV:ssl_clear`

- 2 programs (the first: program 99 of the campaign)
- reproducer, shrunk from 1 ops (`classes/03-crash-SIGSEGV-ssl_clear.txt`):

```text
new s0
```

Explained by: no single switch

The worker process died: the library crashed or hung.
Its last words on standard error:

```text
AddressSanitizer: SEGV
in ssl_clear
```

Replay: `sessdiff replay --isolate --fault dup-shares OUT/classes/03-crash-SIGSEGV-ssl_clear.txt`

<a id="4"></a>

## 4. `divergence:free:ret`

- 1 programs (the first: program 0 of the campaign)
- might be the same difference as class 1 (same field, `ret`)
- reproducer, shrunk from 1 ops (`classes/04-divergence-free-ret.txt`):

```text
new s0
```

At step 1 (`free s0`):

| field | native | LibSSL 9.9 \| built today |
|---|---|---|
| ret | `1` | `0` |

Replay: `sessdiff replay --fault dup-shares OUT/classes/04-divergence-free-ret.txt`

Replay every class: `sessdiff replay --isolate --fault dup-shares OUT/classes`
"#;
    // Under scripts/against.sh the replay lines go through the script.
    let expected = expected.replace(
        "`sessdiff ",
        &format!("`{} ", crate::rerun::prefix().join(" ")),
    );
    assert_eq!(md, expected);
}

#[test]
fn the_reports_json_holds_each_class_as_it_was_found() {
    let s = reported();
    let v = report::json(&s);
    assert_eq!(v["library"], "LibSSL 9.9 | built today");
    assert_eq!(v["model"], "3.0.0");
    assert_eq!(v["command"], "sessdiff survey --seed 3");
    assert_eq!((v["seed"].as_u64(), v["ops"].as_u64()), (Some(3), Some(32)));
    assert_eq!(v["target"], "ops");
    assert_eq!(v["seconds"], 4.0);
    let counts = ["programs", "divergent", "deaths", "refused"].map(|k| v[k].as_u64().unwrap());
    assert_eq!(counts, [1000, 40, 2, 3]);
    assert_eq!(v["maybe_same"], serde_json::json!([[1, 4]]));
    let classes = v["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 4);
    for (n, (j, c)) in classes.iter().zip(&s.classes).enumerate() {
        assert_eq!(j["signature"], c.signature.as_str());
        assert_eq!(j["aliases"], serde_json::json!(c.aliases));
        assert_eq!(j["programs"], c.count);
        assert_eq!(j["first"], c.first);
        assert_eq!(j["expected"], c.expected);
        assert_eq!(j["file"], report::class_file(n, c).to_str().unwrap());
        assert_eq!(j["reproducer"], c.reproducer.to_string());
        assert_eq!(j["shrunk_from"], c.shrunk_from);
        assert_eq!(j["stderr"], c.stderr.as_str());
        let witnesses: Vec<String> = c.witnesses.iter().map(|w| w.to_string()).collect();
        assert_eq!(j["witnesses"], serde_json::json!(witnesses));
        match &c.summary {
            Some(sum) => assert_eq!(j["divergence"], sum.to_json()),
            None => assert!(j["divergence"].is_null()),
        }
        match &c.explained {
            Some(e) => {
                assert_eq!(
                    j["explained_by"]["passes_with_target"],
                    e.passes_with_target
                );
                assert_eq!(j["explained_by"]["switches"], serde_json::json!(e.switches));
            }
            None => assert!(j["explained_by"].is_null()),
        }
    }
    let kinds: Vec<&str> = classes
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["divergence", "divergence", "crash", "divergence"]);
    assert_eq!(classes[1]["expected"], true);
    assert_eq!(classes[2]["stderr"], "AddressSanitizer: SEGV\nin ssl_clear");
}

#[test]
fn an_empty_survey_says_so() {
    let mut s = reported();
    s.classes.clear();
    s.stats.refused = 0;
    s.config.upgrade = None;
    let md = report::markdown(&s);
    assert!(
        md.contains("- **0 classes**: 0 unexpected, 0 expected\n\nNo difference found.\n"),
        "{md}"
    );
    assert!(!md.contains("refused") && !md.contains("upgrade"), "{md}");
    assert!(!md.contains("Replay"), "{md}");
}

#[test]
fn clearing_a_report_folder_removes_only_class_files() {
    let dir = std::env::temp_dir().join(format!("sessdiff-clear-{}", std::process::id()));
    let classes = dir.join("classes");
    std::fs::create_dir_all(&classes).unwrap();
    let names = [
        "01-divergence-dup-ret.txt",
        "12-x.txt",
        "notes.txt",
        "01-a.md",
        "0a-x.txt",
        "012-x.txt",
        "01.txt",
    ];
    for n in names {
        std::fs::write(classes.join(n), "new s0\n").unwrap();
    }
    report::clear(&dir).unwrap();
    let mut left: Vec<String> = std::fs::read_dir(&classes)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["01-a.md", "01.txt", "012-x.txt", "0a-x.txt", "notes.txt"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
    // A folder without classes is nothing to clear.
    report::clear(&dir).unwrap();
}

#[test]
fn probes_measure_a_library_that_is_a_releases_model_as_that_release() {
    // The library is the 4.0.3 model; the guess starts from 3.0.19's.
    let dirs: Vec<std::path::PathBuf> = probe::PROBE_DIRS.iter().map(Into::into).collect();
    let probes = probe::read_probes(&dirs).unwrap();
    let w = native_worker(Some("4.0.3"), &["survey-worker"]);
    let mut lines = Vec::new();
    let r = probe::measure(&w, "3.0.19", &probes, Duration::from_secs(30), &mut |l| {
        lines.push(l.to_string())
    })
    .unwrap();
    assert!(r.settled, "{lines:?}");
    assert_eq!(r.base, "3.0.19");
    assert_eq!(lines[0], "round 1, from the profile 3.0.19");
    let (base, library) = (
        Profile::named("3.0.19").unwrap(),
        Profile::named("4.0.3").unwrap(),
    );
    let measured = Profile::parse(&r.measured).unwrap();
    let mut like = 0;
    for m in &r.switches {
        let has = |c: &probe::Candidate| !m.switch.differs(&c.profile(), &library);
        match &m.verdict {
            probe::Verdict::Like(c) => {
                like += 1;
                assert!(has(c), "{}: measured {c}", m.switch.name);
                assert!(!m.switch.differs(&measured, &library), "{}", m.switch.name);
                assert_eq!(m.guess_agrees, Some(!m.switch.differs(&base, &library)));
            }
            probe::Verdict::Ambiguous(cs) => assert!(cs.iter().any(has), "{}", m.switch.name),
            probe::Verdict::NoProbe => assert_eq!(m.probes, 0),
            probe::Verdict::NoCandidate => panic!("{}: no candidate: {lines:?}", m.switch.name),
        }
    }
    assert!(like >= 5, "{lines:?}");
    // Five rounds: `removals` and `dup_failure` pass their probes first,
    // then `time` and `re_add`, `peer_rpk`, `long_length_quirk`, and a
    // round that changes nothing (four rounds, the old bound, left the
    // measure unsettled).
    assert_eq!(r.rounds, 5, "{lines:?}");
}

#[test]
fn an_upgrade_survey_explains_each_class_by_the_switch_that_brings_it_back() {
    let up = upgrade::Upgrade::new("3.0.19", "4.0.3").unwrap();
    let w = native_worker(Some("4.0.3"), &["survey-worker", "--model", "3.0.19"]);
    let mut c = config("upgrade", 600, 256, w);
    c.upgrade = Some(up.clone());
    c.replay_flags = vec!["--model".into(), "3.0.19".into()];
    let mut s = Survey::new(c).unwrap();
    s.run(|_| ()).unwrap();
    assert!(s.classes.len() >= 3, "{:?}", s.classes);
    let library = Profile::named("4.0.3").unwrap().interned();
    for c in &s.classes {
        let e = c.explained.as_ref().expect("every class is explained");
        assert!(
            e.passes_with_target && e.explained(),
            "{}: {e:?}",
            c.signature
        );
        // Each named switch, set back alone, brings the class back.
        if !e.together {
            for sw in &e.switches {
                let spec = format!("4.0.3,{sw}=3.0.19");
                let model = Profile::parse(&spec).unwrap().interned();
                let d = lockstep::check_with(&c.reproducer, || {
                    (
                        NativeBackend::with_profile(model),
                        NativeBackend::with_profile(library),
                    )
                })
                .expect_err(&spec);
                assert!(
                    c.signatures().any(|s| *s == d.signature()),
                    "{spec}: {}",
                    d.signature()
                );
            }
        }
    }
    let md = std::fs::read_to_string(s.config.out.join("upgrade.md")).unwrap();
    assert!(
        md.starts_with("# Upgrading OpenSSL from 3.0.19 to 4.0.3"),
        "{md}"
    );
    std::fs::remove_dir_all(&s.config.out).unwrap();
}
