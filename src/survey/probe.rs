//! Probes: which behaviour of each profile switch the linked library shows,
//! measured by the switch's own programs rather than inferred from the
//! release's place between measured ones.
//!
//! A switch's *probes* are the upgrade reproducers that name it (their
//! `# switch:` header): each shows a difference between two behaviours of
//! that switch. Its *candidates* are its behaviours among the measured
//! releases, each named by the releases that show it. A candidate is run
//! as the model's profile with only that switch changed; the library shows
//! the candidate under which every probe of the switch runs clean.
//!
//! Switches are measured from a base profile (the release's own, as
//! `--model` names it) and then again from the base with every switch that
//! was measured unambiguously set as measured, until nothing changes: a
//! probe of one switch may need another switch right.
//!
//! Every probe runs in a [worker](super::worker) process, so that a probe
//! that crashes or hangs the library (a documented bug of some releases)
//! counts against the candidate it ran under and the measure goes on.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use super::upgrade::with_model;
use super::worker::{Worker, WorkerCommand};
use crate::corpus;
use crate::native::{Profile, SWITCHES, Switch, releases, switch};
use crate::program::Program;

/// Where the probe programs live, from the project's root: the upgrade
/// reproducers and the programs written as probes.
pub const PROBE_DIRS: [&str; 2] = ["corpora/upgrades", "corpora/probes"];

/// The probe programs of one switch.
pub struct Probes {
    /// The switch.
    pub switch: &'static Switch,
    /// Its programs, with their files.
    pub programs: Vec<(PathBuf, Program)>,
}

/// Reads the probes of every switch from the programs under `dirs` (the
/// upgrade reproducers, `corpora/probes`): each `# switch:` header names
/// one; every switch gets an entry, with no program if none names it.
/// Malformed files are errors.
pub fn read_probes(dirs: &[PathBuf]) -> Result<Vec<Probes>> {
    let programs = corpus::read_programs(dirs)?;
    let mut all: Vec<Probes> = SWITCHES
        .iter()
        .map(|s| Probes {
            switch: s,
            programs: Vec::new(),
        })
        .collect();
    for (path, program) in programs {
        let Some(name) = corpus::header_value(&path, "switch")? else {
            continue;
        };
        // An upgrade reproducer no single switch explains (`unexplained`,
        // two switches each, or two together: `a+b`) tells no one
        // switch's behaviours apart.
        if name == "unexplained" || name.contains(' ') || name.contains('+') {
            continue;
        }
        let Some(sw) = switch(&name) else {
            let text = std::fs::read_to_string(&path)?;
            let line = 1 + text
                .lines()
                .position(|l| l.starts_with("# switch:"))
                .unwrap_or(0);
            anyhow::bail!("{}:{line}: `{name}` is not a switch", path.display());
        };
        let entry = all
            .iter_mut()
            .find(|p| p.switch.name == sw.name)
            .expect("every switch has an entry");
        entry.programs.push((path, program));
    }
    Ok(all)
}

/// One behaviour of a switch: the measured releases that show it (the
/// first names it in a `--model` spec).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The measured releases with this behaviour, oldest first.
    pub releases: Vec<&'static str>,
}

impl Candidate {
    /// The profile of the candidate's first release.
    pub fn profile(&self) -> Profile {
        releases::lookup(self.releases[0])
            .expect("a measured release")
            .profile()
    }
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.releases.join(" "))
    }
}

/// The behaviours of `sw` among the measured releases.
pub fn candidates(sw: &Switch) -> Vec<Candidate> {
    let mut out: Vec<(Profile, Candidate)> = Vec::new();
    for r in releases::measured() {
        let p = releases::lookup(r).expect("a measured release").profile();
        match out.iter_mut().find(|(q, _)| !sw.differs(q, &p)) {
            Some((_, c)) => c.releases.push(r),
            None => out.push((p, Candidate { releases: vec![r] })),
        }
    }
    out.into_iter().map(|(_, c)| c).collect()
}

/// What the probes of one switch showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Exactly one candidate ran every probe clean.
    Like(Candidate),
    /// Several did: the probes do not tell them apart.
    Ambiguous(Vec<Candidate>),
    /// None did: a behaviour no measured release has, or a probe that
    /// needs another switch the base has wrong.
    NoCandidate,
    /// The switch has no probe program.
    NoProbe,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Like(c) => write!(f, "like {c}"),
            Verdict::Ambiguous(cs) => {
                let cs: Vec<String> = cs.iter().map(|c| c.to_string()).collect();
                write!(f, "ambiguous: {}", cs.join(" | "))
            }
            Verdict::NoCandidate => f.write_str("no measured behaviour"),
            Verdict::NoProbe => f.write_str("no probe"),
        }
    }
}

/// The switch that is a library bug, not a behaviour
/// ([`Profile::dup_keeps_owner`]).
pub const BUG_SWITCH: &str = "dup_keeps_owner";

/// How one candidate fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trial {
    /// The candidate.
    pub candidate: Candidate,
    /// Whether the candidate is the bug of [`BUG_SWITCH`] (its ops are
    /// refused, not run).
    pub candidate_has_bug: bool,
    /// How many probes ran clean under it.
    pub clean: usize,
    /// The first probe that did not, with what it showed.
    pub first_failure: Option<(PathBuf, String)>,
}

/// The measure of one switch.
#[derive(Debug, Clone)]
pub struct Measure {
    /// The switch.
    pub switch: &'static Switch,
    /// Its verdict.
    pub verdict: Verdict,
    /// Every candidate's trial.
    pub trials: Vec<Trial>,
    /// How many probes the switch has.
    pub probes: usize,
    /// Whether the base profile (the model's guess) has the measured
    /// behaviour: `None` unless the verdict is [`Verdict::Like`].
    pub guess_agrees: Option<bool>,
}

/// A whole measure: every switch, and the profile it arrived at.
#[derive(Debug, Clone)]
pub struct Report {
    /// The base profile's spec (`3.0.2`).
    pub base: String,
    /// The spec of the base with every unambiguous measure applied
    /// (`3.0.2,time=3.0.19`).
    pub measured: String,
    /// How many rounds it took to settle.
    pub rounds: usize,
    /// Whether the measures settled (the last round changed nothing); if
    /// not, after [`MAX_ROUNDS`], the report is of the last round.
    pub settled: bool,
    /// One measure a switch, in [`SWITCHES`] order.
    pub switches: Vec<Measure>,
}

/// The most rounds [`measure`] runs before it reports measures that did
/// not settle: one a switch. A switch's probes may pass only once other
/// switches are right, so each round can settle one more; from 3.0.19's
/// guess, a library with 4.0.3's behaviour takes five rounds (`removals`
/// and `dup_failure` first, then `time` and `re_add`, `peer_rpk`,
/// `long_length_quirk`, and a round that changes nothing).
pub const MAX_ROUNDS: usize = SWITCHES.len();

/// The spec of `base` with each (switch, release) override.
fn spec(base: &str, overrides: &[(&'static str, &'static str)]) -> String {
    let mut s = base.to_string();
    for (name, release) in overrides {
        s.push_str(&format!(",{name}={release}"));
    }
    s
}

/// Measures every switch against the library the `worker` command runs
/// on, starting from the profile `base` (a `--model` spec). `progress`
/// gets a line as each switch is measured.
pub fn measure(
    worker: &WorkerCommand,
    base: &str,
    probes: &[Probes],
    hang_after: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<Report> {
    let base_profile = Profile::parse(base).map_err(anyhow::Error::msg)?;
    let mut overrides: Vec<(&'static str, &'static str)> = Vec::new();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let from = spec(base, &overrides);
        progress(&format!("round {rounds}, from the profile {from}"));
        let mut measures = Vec::new();
        for p in probes {
            let m = measure_switch(worker, &from, p, hang_after)?;
            let n = p.programs.len();
            progress(&format!(
                "  {:<20} {} ({n} probe{})",
                p.switch.name,
                m.verdict,
                if n == 1 { "" } else { "s" }
            ));
            measures.push(m);
        }
        // Every unambiguous measure that differs from the base's behaviour.
        let next: Vec<(&'static str, &'static str)> = measures
            .iter()
            .filter_map(|m| match &m.verdict {
                Verdict::Like(c) => {
                    let p = c.profile();
                    m.switch
                        .differs(&base_profile, &p)
                        .then_some((m.switch.name, c.releases[0]))
                }
                _ => None,
            })
            .collect();
        let settled = next == overrides;
        if settled || rounds == MAX_ROUNDS {
            let measures = measures
                .into_iter()
                .map(|mut m| {
                    m.guess_agrees = guess_agrees(m.switch, &base_profile, &m.verdict);
                    m
                })
                .collect();
            return Ok(Report {
                base: base.to_string(),
                measured: spec(base, &overrides),
                rounds,
                settled,
                switches: measures,
            });
        }
        overrides = next;
    }
}

/// Whether the guess `base` has the behaviour of `sw` that `verdict`
/// measured: for one candidate, whether it is the guess's; for several,
/// wrong if none of them is the guess's, else unknown; else unknown.
fn guess_agrees(sw: &Switch, base: &Profile, verdict: &Verdict) -> Option<bool> {
    match verdict {
        Verdict::Like(c) => Some(!sw.differs(base, &c.profile())),
        Verdict::Ambiguous(cs) => cs
            .iter()
            .all(|c| sw.differs(base, &c.profile()))
            .then_some(false),
        _ => None,
    }
}

/// Runs one switch's probes under each of its candidates.
fn measure_switch(
    worker: &WorkerCommand,
    from: &str,
    probes: &Probes,
    hang_after: Duration,
) -> Result<Measure> {
    let sw = probes.switch;
    let mut trials = Vec::new();
    if !probes.programs.is_empty() {
        for c in candidates(sw) {
            let mut w = Worker::new(with_model(
                worker,
                &format!("{from},{}={}", sw.name, c.releases[0]),
            ))?;
            w.hang_after = hang_after;
            let mut clean = 0;
            let mut first_failure = None;
            for (path, program) in &probes.programs {
                match w.classify(program)?.signature() {
                    None => clean += 1,
                    Some(sig) => {
                        first_failure.get_or_insert((path.clone(), sig));
                    }
                }
            }
            let has_bug = Profile::named(c.releases[0]).is_some_and(|p| p.dup_keeps_owner);
            trials.push(Trial {
                candidate: c,
                candidate_has_bug: has_bug,
                clean,
                first_failure,
            });
        }
    }
    let passing: Vec<Candidate> = trials
        .iter()
        .filter(|t| t.first_failure.is_none())
        .map(|t| t.candidate.clone())
        .collect();
    // A library bug's switch refuses the ops that would hit the bug, so its
    // buggy candidate runs every probe clean, whatever the library: only
    // the candidate that ran them is evidence, when it passes.
    let ran = |t: &&Trial| !(sw.name == BUG_SWITCH && t.candidate_has_bug);
    let passing_that_ran: Vec<Candidate> = trials
        .iter()
        .filter(ran)
        .filter(|t| t.first_failure.is_none())
        .map(|t| t.candidate.clone())
        .collect();
    let verdict = if probes.programs.is_empty() {
        Verdict::NoProbe
    } else if sw.name == BUG_SWITCH && passing_that_ran.len() == 1 {
        Verdict::Like(passing_that_ran[0].clone())
    } else {
        match passing.len() {
            0 => Verdict::NoCandidate,
            1 => Verdict::Like(passing[0].clone()),
            _ => Verdict::Ambiguous(passing),
        }
    };
    Ok(Measure {
        switch: sw,
        verdict,
        trials,
        probes: probes.programs.len(),
        guess_agrees: None,
    })
}

impl Report {
    /// The report as Markdown: one row a switch, then each candidate that
    /// failed with its first failing probe.
    pub fn markdown(&self, library: &str) -> String {
        let mut s = format!(
            "# Switches measured against {library}\n\n\
             The model's guess: `--model {}`. Measured: `--model {}` ({} rounds{}).\n\n\
             | switch | measured | behaviour (like) | probes | the guess |\n|---|---|---|---:|---|\n",
            self.base,
            self.measured,
            self.rounds,
            if self.settled {
                ""
            } else {
                "; **did not settle**: the last round's measures"
            }
        );
        for m in &self.switches {
            let guess = match m.guess_agrees {
                Some(true) => "agrees",
                Some(false) => "**differs**",
                None => "-",
            };
            let value = match &m.verdict {
                Verdict::Like(c) => format!("`{}`", m.switch.value(&c.profile())),
                _ => "-".to_string(),
            };
            s.push_str(&format!(
                "| `{}` | {value} | {} | {} | {guess} |\n",
                m.switch.name, m.verdict, m.probes
            ));
        }
        s.push_str("\nEach candidate's probes:\n\n");
        for m in &self.switches {
            for t in &m.trials {
                s.push_str(&format!(
                    "- `{}` like {}: {}/{} clean",
                    m.switch.name, t.candidate, t.clean, m.probes
                ));
                if let Some((path, sig)) = &t.first_failure {
                    s.push_str(&format!("; first failure `{}`: `{sig}`", path.display()));
                }
                s.push('\n');
            }
        }
        s
    }

    /// One line a switch, for scripts:
    /// `SWITCH<TAB>VERDICT<TAB>RELEASES<TAB>VALUE<TAB>GUESS`, where VERDICT
    /// is `like`, `ambiguous`, `none` or `no-probe`, RELEASES the
    /// candidates' releases (candidates separated by `|`), VALUE how the
    /// code names the measured behaviour (`Nanoseconds`; empty unless
    /// `like`), and GUESS whether the model's guess had it: `agrees`,
    /// `differs` or `-`.
    pub fn lines(&self) -> String {
        let mut s = String::new();
        for m in &self.switches {
            let (verdict, releases, value) = match &m.verdict {
                Verdict::Like(c) => ("like", c.to_string(), m.switch.value(&c.profile())),
                Verdict::Ambiguous(cs) => {
                    let cs: Vec<String> = cs.iter().map(|c| c.to_string()).collect();
                    ("ambiguous", cs.join("|"), String::new())
                }
                Verdict::NoCandidate => ("none", String::new(), String::new()),
                Verdict::NoProbe => ("no-probe", String::new(), String::new()),
            };
            let guess = match m.guess_agrees {
                Some(true) => "agrees",
                Some(false) => "differs",
                None => "-",
            };
            s.push_str(&format!(
                "{}\t{verdict}\t{releases}\t{value}\t{guess}\n",
                m.switch.name
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_switch_has_a_candidate_per_behaviour_among_the_measured_releases() {
        for sw in SWITCHES {
            let cs = candidates(sw);
            let all: Vec<&str> = cs.iter().flat_map(|c| c.releases.clone()).collect();
            assert_eq!(all.len(), releases::measured().len(), "{}", sw.name);
            // Candidates differ pairwise; releases within one agree.
            for (i, a) in cs.iter().enumerate() {
                let pa = Profile::named(a.releases[0]).unwrap();
                for r in &a.releases {
                    assert!(!sw.differs(&pa, &Profile::named(r).unwrap()), "{}", sw.name);
                }
                for b in &cs[i + 1..] {
                    assert!(sw.differs(&pa, &Profile::named(b.releases[0]).unwrap()));
                }
            }
        }
        // time has four behaviours: 1.1.1w; 3.0.0 to 3.0.8; 3.0.19; 3.2.1 on.
        let time = candidates(switch("time").unwrap());
        assert_eq!(time.len(), 4, "{time:?}");
        assert_eq!(time[1].releases[0], "3.0.0");
        assert!(time[1].releases.contains(&"3.0.8"));
    }

    #[test]
    fn the_upgrade_corpus_gives_probes_to_the_switches_it_names() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let probes = read_probes(&PROBE_DIRS.map(|d| root.join(d))).unwrap();
        assert_eq!(probes.len(), SWITCHES.len());
        let count = |name: &str| {
            probes
                .iter()
                .find(|p| p.switch.name == name)
                .unwrap()
                .programs
                .len()
        };
        assert!(count("time") >= 10);
        assert!(count("re_add") >= 1);
        assert_eq!(count("dup_keeps_owner"), 1);
    }

    #[test]
    fn a_header_naming_no_switch_is_an_error_with_its_file() {
        let d = std::env::temp_dir().join(format!("sessdiff-probe-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let f = d.join("bad.txt");
        std::fs::write(
            &f,
            "# upgrade: a -> b\n# signature: x\n# switch: nope\nnew s0\n",
        )
        .unwrap();
        let e = read_probes(std::slice::from_ref(&d))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("bad.txt:3: `nope` is not a switch"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn lines_and_markdown_name_each_verdict() {
        let sw = switch("re_add").unwrap();
        let like = Candidate {
            releases: vec!["3.0.19"],
        };
        let report = Report {
            base: "3.0.2".into(),
            measured: "3.0.2".into(),
            rounds: 1,
            settled: true,
            switches: vec![
                Measure {
                    switch: sw,
                    verdict: Verdict::Like(like.clone()),
                    trials: vec![Trial {
                        candidate: like.clone(),
                        candidate_has_bug: false,
                        clean: 1,
                        first_failure: None,
                    }],
                    probes: 1,
                    guess_agrees: Some(false),
                },
                Measure {
                    switch: switch("time").unwrap(),
                    verdict: Verdict::Ambiguous(vec![like.clone(), like]),
                    trials: vec![],
                    probes: 2,
                    guess_agrees: None,
                },
            ],
        };
        assert_eq!(
            report.lines(),
            "re_add\tlike\t3.0.19\tMovesToHead\tdiffers\ntime\tambiguous\t3.0.19|3.0.19\t\t-\n"
        );
        let md = report.markdown("OpenSSL 3.0.2");
        assert!(
            md.contains("| `re_add` | `MovesToHead` | like 3.0.19 | 1 | **differs** |"),
            "{md}"
        );
        assert!(md.contains("- `re_add` like 3.0.19: 1/1 clean\n"), "{md}");
    }

    #[test]
    fn a_guess_is_wrong_when_no_candidate_measured_has_it() {
        let time = switch("time").unwrap();
        let cs = candidates(time);
        let base = Profile::named("3.0.0").unwrap();
        // cs[1] is 3.0.0's behaviour.
        let like = |i: usize| Verdict::Like(cs[i].clone());
        assert_eq!(guess_agrees(time, &base, &like(1)), Some(true));
        assert_eq!(guess_agrees(time, &base, &like(2)), Some(false));
        let both = |a: usize, b: usize| Verdict::Ambiguous(vec![cs[a].clone(), cs[b].clone()]);
        assert_eq!(guess_agrees(time, &base, &both(2, 3)), Some(false));
        assert_eq!(guess_agrees(time, &base, &both(1, 3)), None);
        assert_eq!(guess_agrees(time, &base, &Verdict::NoCandidate), None);
        assert_eq!(guess_agrees(time, &base, &Verdict::NoProbe), None);
    }

    #[test]
    fn probes_come_from_the_headers_that_name_one_switch() {
        let dir = std::env::temp_dir().join(format!("sessdiff-probes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, switch) in [
            ("a.txt", "time"),
            ("b.txt", "unexplained"),
            ("c.txt", "time re_add"),
            ("d.txt", "removals+re_add"),
        ] {
            std::fs::write(dir.join(name), format!("# switch: {switch}\nnew s0\n")).unwrap();
        }
        std::fs::write(dir.join("e.txt"), "# no switch here\nnew s0\n").unwrap();
        let probes = read_probes(std::slice::from_ref(&dir)).unwrap();
        assert_eq!(probes.len(), SWITCHES.len());
        for p in &probes {
            let files: Vec<_> = p.programs.iter().map(|(f, _)| f.clone()).collect();
            if p.switch.name == "time" {
                assert_eq!(files, [dir.join("a.txt")]);
            } else {
                assert!(files.is_empty(), "{}: {files:?}", p.switch.name);
            }
        }
        std::fs::write(
            dir.join("f.txt"),
            "# signature: x\n# switch: nope\nnew s0\n",
        )
        .unwrap();
        let e = read_probes(std::slice::from_ref(&dir))
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            e,
            format!("{}:2: `nope` is not a switch", dir.join("f.txt").display())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
