//! Whole surveys, probes and upgrade surveys against a native "library".

use super::*;

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

/// The pair of a survey whose library panics in `ssl_clear`.
fn dying_pair() -> (FaultyBackend, DiesOnSslClear) {
    (
        FaultyBackend::with(&[Fault::DupShares]),
        DiesOnSslClear(NativeBackend::new()),
    )
}

/// A survey of `programs` programs whose library panics in `ssl_clear`;
/// returns it and the number of times it reported progress.
fn dying_survey(name: &str, programs: u64) -> (Survey, u64) {
    let w = in_thread(&[], |_| dying_pair);
    let mut s = Survey::new(config(name, programs, 64, w)).unwrap();
    let mut progress = 0;
    s.run(|_| progress += 1).unwrap();
    (s, progress)
}

/// Whether campaign program `index` kills a worker of [`dying_survey`]:
/// the ops masked in the run that panics, if one of its runs, masked as
/// the worker masks, does.
fn kills(index: u64) -> Option<Vec<usize>> {
    let p = campaign::program_for(Target::Ops, 3, index, 32);
    let mut died = None;
    chain(&p, |q, masked| {
        let run = std::panic::AssertUnwindSafe(|| lockstep::check_with(q, dying_pair));
        match std::panic::catch_unwind(run) {
            Ok(r) => r.err(),
            Err(_) => {
                died = Some(masked.to_vec());
                None
            }
        }
    });
    died
}

/// How many of the candidates that shrinking `program` (a death at
/// `ssl_clear`) tries kill a worker, as the survey shrinks it: traced, a
/// death named by the step it died in.
fn shrink_deaths(program: &Program) -> u64 {
    let mut deaths = 0;
    shrink::shrink(program, "crash:exit101:ssl_clear", &mut |p| {
        let mut last = String::from("unknown");
        let run = std::panic::AssertUnwindSafe(|| {
            let (mut l, mut r) = dying_pair();
            let mut step = |phase: lockstep::Phase, op: &crate::program::Op| {
                let prefix = match phase {
                    lockstep::Phase::Program => "",
                    lockstep::Phase::Drain => "drain_",
                    lockstep::Phase::End => "end_",
                };
                last = format!("{prefix}{}", op.name());
            };
            lockstep::run_observed(p, &mut l, &mut r, lockstep::Snapshots::EveryStep, &mut step)
                .err()
                .map(|d| d.signature())
        });
        match std::panic::catch_unwind(run) {
            Ok(sig) => sig,
            Err(_) => {
                deaths += 1;
                Some(format!("crash:exit101:{last}"))
            }
        }
    });
    deaths
}

#[test]
fn a_worker_that_dies_is_a_class_of_its_own_and_the_survey_goes_on() {
    let (s, progress) = dying_survey("dies", 120);
    // Two batches: a death ends no batch early while time is left.
    assert_eq!(progress, 2);
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
    // Each program that kills a worker is counted in the class.
    let killers: Vec<(u64, Vec<usize>)> =
        (0..120).filter_map(|i| kills(i).map(|m| (i, m))).collect();
    assert!(killers.len() > 1, "{killers:?}");
    assert_eq!(crash.count, killers.len() as u64);
    assert_eq!(crash.first, killers[0].0);
    // A divergent program counts once: one that kills a worker, as that
    // death; any other whose chain shows a signature, as that.
    let diverging = (0..120u64)
        .filter(|i| !killers.iter().any(|(k, _)| k == i))
        .filter(|&i| {
            let p = campaign::program_for(Target::Ops, 3, i, 32);
            !chain(&p, |q, _| lockstep::check_with(q, dying_pair).err()).is_empty()
        })
        .count();
    assert_eq!(s.stats.divergent, (diverging + killers.len()) as u64);
    assert!(
        s.classes
            .iter()
            .any(|c| c.signature == "divergence:dup:ret")
    );
    assert_eq!(s.maybe_same(), [], "deaths are never possibly the same");
    // Each such program kills two workers: in its batch, and again alone;
    // and shrinking the first kills one for each candidate that dies.
    let (first, masked) = &killers[0];
    let shrunk = shrink_deaths(&without(
        &campaign::program_for(Target::Ops, 3, *first, 32),
        masked,
    ));
    assert!(shrunk > 0);
    assert_eq!(s.stats.deaths, 2 * killers.len() as u64 + shrunk);
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
    // In the first round no behaviour of `time` passes all its probes:
    // they pass once `removals` and `dup_failure` are 4.0.3's.
    let time = lines.iter().find(|l| l.starts_with("  time ")).unwrap();
    assert!(time.contains(" no measured behaviour ("), "{time}");
    let (base, library) = (
        Profile::named("3.0.19").unwrap(),
        Profile::named("4.0.3").unwrap(),
    );
    let measured = Profile::parse(&r.measured).unwrap();
    let mut like = 0;
    for m in &r.switches {
        // A trial counts its clean probes: all of them, or fewer and the
        // first that failed.
        for t in &m.trials {
            assert_eq!(t.clean == m.probes, t.first_failure.is_none(), "{t:?}");
            assert!(t.clean <= m.probes);
        }
        let has = |c: &probe::Candidate| !m.switch.differs(&c.profile(), &library);
        match &m.verdict {
            probe::Verdict::Like(c) => {
                like += 1;
                assert!(has(c), "{}: measured {c}", m.switch.name);
                assert!(!m.switch.differs(&measured, &library), "{}", m.switch.name);
                assert_eq!(m.guess_agrees, Some(!m.switch.differs(&base, &library)));
            }
            // The probes tell every behaviour of 4.0.3 apart, the library
            // bug's too (its buggy candidate refuses what would show it).
            probe::Verdict::Ambiguous(_) => panic!("{}: {}", m.switch.name, m.verdict),
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
                let d = signature_between(&c.reproducer, &spec, "4.0.3").expect(&spec);
                assert!(c.signatures().any(|s| *s == d), "{spec}: {d}");
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

#[test]
fn a_new_class_is_shrunk_until_the_surveys_end_but_for_five_seconds_at_least() {
    let mut s = Survey::new(config("deadline", 1, 1, worker(&[]))).unwrap();
    let close = |a: Instant, b: Instant| a.max(b) - a.min(b) < Duration::from_millis(500);
    // 300 s from a start just now.
    s.start = Instant::now();
    let end = s.start + Duration::from_secs(300);
    assert!(close(s.shrink_deadline(), end));
    // Past the survey's end: five seconds.
    s.config.campaign.duration = Some(Duration::from_millis(1));
    std::thread::sleep(Duration::from_millis(5));
    assert!(close(s.shrink_deadline(), Instant::now() + MIN_SHRINK));
    // No time limit: an hour.
    s.config.campaign.duration = None;
    assert!(close(
        s.shrink_deadline(),
        Instant::now() + Duration::from_secs(3600)
    ));
}

#[test]
fn an_isolated_survey_runs_a_tenth_of_the_upgrade_surveys_time_or_programs() {
    let c = config("budget", 5000, 256, worker(&[])).campaign;
    let sub = upgrade::isolated_campaign(&c);
    assert_eq!(sub.duration, Some(Duration::from_secs(30)));
    assert_eq!(sub.programs, Some(500));
    assert_eq!((sub.seed, sub.ops, sub.target), (c.seed, c.ops, c.target));
    // Ten to sixty seconds, at least 100 programs; no bound stays none.
    let bounded = |secs: Option<u64>, programs: Option<u64>| {
        let mut c = c.clone();
        c.duration = secs.map(Duration::from_secs);
        c.programs = programs;
        let sub = upgrade::isolated_campaign(&c);
        (sub.duration.map(|d| d.as_secs()), sub.programs)
    };
    assert_eq!(bounded(Some(50), Some(300)), (Some(10), Some(100)));
    assert_eq!(bounded(Some(1000), None), (Some(60), None));
    assert_eq!(bounded(None, Some(2000)), (None, Some(200)));
}

#[test]
fn a_switch_that_explains_no_class_is_surveyed_alone_and_its_classes_marked_isolated() {
    let up = upgrade::Upgrade::new("3.0.19", "4.0.3").unwrap();
    let w = native_worker(Some("4.0.3"), &["survey-worker", "--model", "3.0.19"]);
    let mut c = config("isolate", 1000, 256, w);
    c.upgrade = Some(up.clone());
    let mut s = Survey::new(c).unwrap();
    // A class found before, that `time` explains: `time` is not surveyed
    // alone; every other differing switch is.
    let mut found = class("divergence:set_time:session.time", &[]);
    found.explained = Some(upgrade::Explanation {
        passes_with_target: true,
        switches: vec!["time"],
        together: false,
        isolated: false,
    });
    s.classes.push(found);
    upgrade::isolate(&mut s, &up).unwrap();
    let mut switches = BTreeSet::new();
    for c in &s.classes[1..] {
        let e = c.explained.as_ref().unwrap();
        assert!(e.isolated && !e.together, "{e:?}");
        let [sw] = e.switches[..] else {
            panic!("{e:?}")
        };
        assert_ne!(sw, "time");
        switches.insert(sw);
        // Found with that switch alone set back: its reproducer shows the
        // class there, and passes with the target's profile.
        let spec = format!("4.0.3,{sw}=3.0.19");
        assert_eq!(
            signature_between(&c.reproducer, &spec, "4.0.3"),
            Some(c.signature.clone()),
            "{spec}"
        );
        assert_eq!(signature_between(&c.reproducer, "4.0.3", "4.0.3"), None);
    }
    // Switches that act alone in a hundred programs (seed 3: `removals`,
    // `dup_failure`, `peer_rpk`), each one the upgrade changes.
    assert!(
        switches.contains("removals") && switches.contains("dup_failure"),
        "{switches:?}"
    );
    let differing: BTreeSet<_> = up.switches().iter().map(|sw| sw.name).collect();
    assert!(switches.is_subset(&differing), "{switches:?}");
    std::fs::remove_dir_all(&s.config.out).unwrap();
}

/// `w`, counting the workers it starts.
fn counted(w: WorkerCommand) -> (WorkerCommand, Arc<std::sync::atomic::AtomicUsize>) {
    let starts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let serve = w.in_thread.clone().expect("a worker in a thread");
    let n = starts.clone();
    let w = WorkerCommand {
        in_thread: Some(Arc::new(move |args, input, output| {
            n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            serve(args, input, output)
        })),
        ..w
    };
    (w, starts)
}

#[test]
fn a_worker_serves_clean_batches_on_and_is_replaced_after_one_with_divergences() {
    use std::sync::atomic::Ordering::SeqCst;
    // Three clean batches: one worker.
    let (w, starts) = counted(worker(&[]));
    let mut s = Survey::new(config("one-worker", 40, 16, w)).unwrap();
    s.run(|_| ()).unwrap();
    assert_eq!(starts.load(SeqCst), 1);
    // A batch with a divergent program leaks its world: the next batch
    // gets a fresh worker (and shrinking a class one more).
    let faults = [Fault::DupShares];
    let (w, starts) = counted(worker(&faults));
    let mut s = Survey::new(config("recycled", 40, 8, w)).unwrap();
    s.run(|_| ()).unwrap();
    let chains = chains(&faults, 40);
    let divergent_batches = chains[..32]
        .chunks(8)
        .filter(|b| b.iter().any(|c| !c.is_empty()))
        .count();
    assert!(divergent_batches > 0);
    assert!(
        starts.load(SeqCst) > divergent_batches,
        "{} starts, {divergent_batches} divergent batches before the last",
        starts.load(SeqCst)
    );
    std::fs::remove_dir_all(&s.config.out).unwrap();
}

#[test]
fn a_class_is_explained_by_each_switch_that_brings_it_back_alone_else_by_a_pair() {
    let up = upgrade::Upgrade::new("1.1.1w", "3.5.5").unwrap();
    let w = native_worker(Some("3.5.5"), &["survey-worker", "--model", "1.1.1w"]);
    let mut c = config("explain", 1000, 256, w);
    c.upgrade = Some(up.clone());
    let mut s = Survey::new(c).unwrap();
    // Two committed reproducers of this upgrade: one that `removals`
    // brings back alone, one that needs `peer_rpk` and `kex_group` at once.
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/upgrades/1.1.1w-to-3.5.5");
    let files = [
        "08-removals-divergence-drain_ctx_free-events.txt",
        "05-peer_rpk+kex_group-divergence-decode_into-ret.txt",
    ];
    for f in files {
        let path = dir.join(f);
        let signature = crate::corpus::header_value(&path, "signature")
            .unwrap()
            .unwrap();
        let mut c = class(&signature, &[]);
        c.reproducer = crate::corpus::read_program(&path).unwrap();
        s.classes.push(c);
    }
    upgrade::explain(&mut s, &up).unwrap();
    let explained = |i: usize| s.classes[i].explained.clone().unwrap();
    assert_eq!(
        explained(0),
        upgrade::Explanation {
            passes_with_target: true,
            switches: vec!["removals"],
            together: false,
            isolated: false,
        }
    );
    assert_eq!(
        explained(1),
        upgrade::Explanation {
            passes_with_target: true,
            switches: vec!["peer_rpk", "kex_group"],
            together: true,
            isolated: false,
        }
    );
    // The classes that surveys with one switch set back found: isolated,
    // each of a switch that explains neither class above.
    for c in &s.classes[2..] {
        let e = c.explained.as_ref().unwrap();
        assert!(e.isolated, "{e:?}");
        assert!(
            !["removals", "kex_group", "peer_rpk"].contains(&e.switches[0]),
            "{e:?}"
        );
    }
    std::fs::remove_dir_all(&s.config.out).unwrap();
}

/// The signature of `program`'s divergence between the model with the
/// profile `spec` and the model with `library`'s profile, if it diverges.
fn signature_between(program: &Program, spec: &str, library: &str) -> Option<String> {
    let model = Profile::parse(spec).unwrap().interned();
    let library = Profile::parse(library).unwrap().interned();
    lockstep::check_with(program, || {
        (
            NativeBackend::with_profile(model),
            NativeBackend::with_profile(library),
        )
    })
    .err()
    .map(|d| d.signature())
}
