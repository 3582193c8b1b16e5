//! Upgrade reports: a survey of one release's model (`from`) against
//! another release's library (`to`) lists what changes on upgrading, and
//! each class is explained by the profile switch that accounts for it.
//!
//! A switch explains a class when the class's reproducer passes against
//! the library with the `to` release's own profile, and shows the class's
//! signature again with only that switch set back as in `from`. A class no
//! single switch brings back is tried with each pair of switches set back
//! together (a DER field one release lacks and another reads in a later
//! place: `kex_group` with `peer_rpk`); a class no pair brings back either
//! is flagged: the model lacks a switch.
//!
//! The report (`upgrade.md`) is for people deciding what to test before
//! upgrading; the reproducers (`upgrade/NN-….txt`) carry their signature
//! and switch in their header, so `cargo test` can replay them between the
//! two native profiles, and `sessdiff replay --expect-divergence` against
//! the `to` library.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use super::report::{cell, fenced};
use super::worker::{Worker, WorkerCommand};
use super::{Class, Survey};
use crate::corpus;
use crate::native::{Profile, SWITCHES, Switch, switch};

/// Which upgrade a survey measures.
#[derive(Debug, Clone)]
pub struct Upgrade {
    /// The release the model follows (`3.0.19`).
    pub from: String,
    /// The release of the linked library (`4.0.3`).
    pub to: String,
}

impl Upgrade {
    /// The upgrade from the release named `from` to the library's release
    /// `to`, if both are releases and they differ in at least one switch.
    pub fn new(from: &str, to: &str) -> Option<Upgrade> {
        let (a, b) = (Profile::named(from)?, Profile::named(to)?);
        SWITCHES.iter().any(|s| s.differs(&a, &b)).then(|| Upgrade {
            from: from.to_string(),
            to: to.to_string(),
        })
    }

    /// The switches the two releases set differently.
    pub fn switches(&self) -> Vec<&'static Switch> {
        let (a, b) = self.profiles();
        SWITCHES.iter().filter(|s| s.differs(&a, &b)).collect()
    }

    fn profiles(&self) -> (Profile, Profile) {
        let p = |n: &str| Profile::named(n).expect("checked in new");
        (p(&self.from), p(&self.to))
    }

    /// `from-to-to`, the name of the report and of its reproducer folder.
    pub fn slug(&self) -> String {
        format!("{}-to-{}", self.from, self.to)
    }
}

/// What explains a class of an upgrade survey.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Explanation {
    /// Whether the reproducer passes against the library with the target
    /// release's own profile.
    pub passes_with_target: bool,
    /// The switches that, set back alone, show the class again (or, with
    /// `together`, the two that do when set back at once).
    pub switches: Vec<&'static str>,
    /// Whether the class needs its switches set back together: neither
    /// alone shows it.
    pub together: bool,
    /// Whether the class was found by a survey with only its switch set
    /// back (`isolate`): in the full model another switch's difference
    /// shows first wherever this one acts.
    pub isolated: bool,
}

impl Explanation {
    /// Whether exactly what the report promises holds: the target profile
    /// passes and at least one switch brings the class back.
    pub fn explained(&self) -> bool {
        self.passes_with_target && !self.switches.is_empty()
    }
}

/// The worker command of `base` with its `--model` replaced by `spec`.
pub(crate) fn with_model(base: &WorkerCommand, spec: &str) -> WorkerCommand {
    let mut args = Vec::with_capacity(base.args.len() + 2);
    let mut it = base.args.iter();
    while let Some(a) = it.next() {
        if a == "--model" {
            it.next();
        } else {
            args.push(a.clone());
        }
    }
    args.push("--model".into());
    args.push(spec.into());
    WorkerCommand {
        args,
        ..base.clone()
    }
}

/// Runs every class's reproducer with the target profile and with each
/// differing switch set back, in fresh workers, and records what explains
/// each class.
pub fn explain(s: &mut Survey, up: &Upgrade) -> Result<()> {
    if s.classes.is_empty() {
        return Ok(());
    }
    let (worker, hang_after) = (s.config.worker.clone(), s.config.hang_after);
    let run_all = |spec: &str, classes: &[Class]| -> Result<Vec<Option<String>>> {
        let mut w = Worker::new(with_model(&worker, spec))?;
        w.hang_after = hang_after;
        classes
            .iter()
            .map(|c| Ok(w.classify(&c.reproducer)?.signature()))
            .collect()
    };
    let target = run_all(&up.to, &s.classes)?;
    let mut found: Vec<Vec<&'static str>> = vec![Vec::new(); s.classes.len()];
    for sw in up.switches() {
        let spec = format!("{},{}={}", up.to, sw.name, up.from);
        for (i, sig) in run_all(&spec, &s.classes)?.into_iter().enumerate() {
            if sig.is_some_and(|sig| s.classes[i].signatures().any(|c| *c == sig)) {
                found[i].push(sw.name);
            }
        }
    }
    // What no single switch brings back: each pair of switches, set back
    // together, on those classes only.
    let alone: Vec<usize> = (0..s.classes.len())
        .filter(|&i| target[i].is_none() && found[i].is_empty())
        .collect();
    let mut pairs: Vec<Option<[&'static str; 2]>> = vec![None; s.classes.len()];
    let switches = up.switches();
    'pairs: for (k, a) in switches.iter().enumerate() {
        for b in &switches[k + 1..] {
            let open: Vec<usize> = alone
                .iter()
                .copied()
                .filter(|&i| pairs[i].is_none())
                .collect();
            if open.is_empty() {
                break 'pairs;
            }
            let spec = format!("{},{}={},{}={}", up.to, a.name, up.from, b.name, up.from);
            let classes: Vec<Class> = open.iter().map(|&i| s.classes[i].clone()).collect();
            for (&i, sig) in open.iter().zip(run_all(&spec, &classes)?) {
                if sig.is_some_and(|sig| s.classes[i].signatures().any(|c| *c == sig)) {
                    pairs[i] = Some([a.name, b.name]);
                }
            }
        }
    }
    for (((c, t), switches), pair) in s.classes.iter_mut().zip(target).zip(found).zip(pairs) {
        c.explained = Some(Explanation {
            passes_with_target: t.is_none(),
            together: pair.is_some(),
            switches: pair.map_or(switches, |p| p.to_vec()),
            isolated: false,
        });
    }
    let known = s.classes.len();
    isolate(s, up)?;
    // An isolated class counts only if the full upgrade shows it too: two
    // switches can cancel out (4.0's newest-first callbacks undo, for some
    // programs, what 3.6's re-add rule changes).
    let target = run_all(&up.to, &s.classes[known..])?;
    let full = run_all(&up.from, &s.classes[known..])?;
    let isolated = s.classes.split_off(known);
    for ((mut c, t), f) in isolated.into_iter().zip(target).zip(full) {
        let Some(e) = &mut c.explained else { continue };
        e.passes_with_target = t.is_none();
        if f.is_some() {
            s.classes.push(c);
        } else {
            s.cancelled.push((e.switches[0], c.signature));
        }
    }
    Ok(())
}

/// For every differing switch that explains no class (another switch's
/// difference showed first wherever it acts), a short survey with only
/// that switch set back: its classes join the report, marked isolated, if
/// the full upgrade shows them too.
/// It runs a tenth of the survey's time or programs ([`isolated_campaign`]).
pub(super) fn isolate(s: &mut Survey, up: &Upgrade) -> Result<()> {
    for sw in up.switches() {
        // A library bug is refused, not compared.
        if sw.name == "dup_keeps_owner" {
            continue;
        }
        let explains = s.classes.iter().any(|c| {
            c.explained
                .as_ref()
                .is_some_and(|e| e.explained() && e.switches.contains(&sw.name))
        });
        if explains {
            continue;
        }
        let spec = format!("{},{}={}", up.to, sw.name, up.from);
        let mut config = s.config.clone();
        config.upgrade = None;
        config.expect = Default::default();
        config.worker = with_model(&s.config.worker, &spec);
        config.out = s.config.out.join("isolated").join(sw.name);
        config.model = spec;
        config.campaign = isolated_campaign(&s.config.campaign);
        let mut sub = Survey::new(config)?;
        sub.run(|_| {})?;
        for mut c in sub.classes {
            c.explained = Some(Explanation {
                passes_with_target: false,
                switches: vec![sw.name],
                together: false,
                isolated: true,
            });
            s.classes.push(c);
        }
    }
    Ok(())
}

/// The campaign of a survey with one switch set back, from the upgrade
/// survey's: a tenth of its time (10 to 60 s) or of its programs (at
/// least 100), the same programs otherwise.
pub(super) fn isolated_campaign(c: &crate::campaign::Config) -> crate::campaign::Config {
    crate::campaign::Config {
        duration: c
            .duration
            .map(|d| (d / 10).clamp(Duration::from_secs(10), Duration::from_secs(60))),
        programs: c.programs.map(|n| (n / 10).max(100)),
        ..c.clone()
    }
}

/// A reproducer's file under `upgrade/`: `upgrade/03-re_add-divergence-cache_add-events.txt`.
pub fn reproducer_file(n: usize, c: &Class) -> PathBuf {
    let file = super::report::class_file(n, c);
    let name = file.file_name().expect("a file").to_string_lossy();
    let switch = c
        .explained
        .as_ref()
        .map_or("unexplained".to_string(), header_switches);
    let (num, rest) = name.split_at(3);
    let switch = switch.split(' ').next().unwrap_or_default();
    Path::new("upgrade").join(format!("{num}{switch}-{rest}"))
}

/// The `# switch:` header of an explained class's reproducer: the
/// switches that each explain it, space-separated, or two joined by `+`
/// when only together they do (`unexplained` otherwise).
fn header_switches(e: &Explanation) -> String {
    if !e.explained() {
        "unexplained".to_string()
    } else if e.together {
        e.switches.join("+")
    } else {
        e.switches.join(" ")
    }
}

/// The upgrade report in Markdown.
pub fn markdown(s: &Survey, up: &Upgrade) -> String {
    let mut md = String::new();
    let (from, to) = (&up.from, &up.to);
    let _ = writeln!(
        md,
        "# Upgrading OpenSSL from {from} to {to}: what changes for sessions\n"
    );
    let _ = writeln!(
        md,
        "sessdiff ran random programs of session calls (new, dup, up_ref, free, the `SSL` \
         session slot, the `SSL_CTX` cache, DER encoding) against **{}**, with its native \
         model following **{from}**. Every difference it found is below, shrunk to a small \
         program, with the switch of the model that explains it: the program passes with \
         {to}'s own profile, and shows the difference again with only that switch set back \
         to {from}.\n",
        s.libssl
    );
    let st = &s.stats;
    let _ = writeln!(
        md,
        "- measured: {} programs ({} target, seed {}) in {:.0} s; {} differed\n- command: `{}`\n- \
         build options (cipher table, compression) are the library's on both sides: only \
         release behaviour is compared\n",
        st.programs,
        s.config.campaign.target,
        s.config.campaign.seed,
        st.elapsed.as_secs_f64(),
        st.divergent,
        s.config.command,
    );
    let switches = up.switches();
    let explained = s
        .classes
        .iter()
        .filter(|c| c.explained.as_ref().is_some_and(Explanation::explained))
        .count();
    let _ = writeln!(
        md,
        "**{} differences**: {explained} explained by the model's switches, {} not. Each \
         reproducer is a program file in `corpora/upgrades/{}/` (in a survey's output folder: \
         `upgrade/`); replay one against a library with `sessdiff replay --model {from} FILE`.\n",
        s.classes.len(),
        s.classes.len() - explained,
        up.slug()
    );
    let classes_of = |name: &str| -> Vec<usize> {
        s.classes
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.explained
                    .as_ref()
                    .is_some_and(|e| e.passes_with_target && e.switches.contains(&name))
            })
            .map(|(i, _)| i + 1)
            .collect()
    };
    let _ = writeln!(md, "## What to test before upgrading\n");
    let mut any = false;
    for sw in &switches {
        let seen = classes_of(sw.name);
        if seen.is_empty() {
            continue;
        }
        any = true;
        let refs: Vec<String> = seen.iter().map(|n| format!("[{n}](#{n})")).collect();
        let _ = writeln!(
            md,
            "- **`{}`** — {} ({}). Seen in {}.",
            sw.name,
            sw.what,
            sw.releases,
            refs.join(", ")
        );
    }
    if !any {
        let _ = writeln!(md, "No difference found in this run.");
    }
    let unexplained: Vec<(usize, &Class)> = s
        .classes
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.explained.as_ref().is_some_and(Explanation::explained))
        .collect();
    if !unexplained.is_empty() {
        let refs: Vec<String> = unexplained
            .iter()
            .map(|(n, _)| format!("[{}](#{})", n + 1, n + 1))
            .collect();
        let _ = writeln!(
            md,
            "- **Not explained by the model** (look at these first): {}.",
            refs.join(", ")
        );
    }
    let _ = writeln!(md, "\n## The switches\n");
    let _ = writeln!(md, "| switch | releases | differences seen |");
    let _ = writeln!(md, "|---|---|---|");
    for sw in &switches {
        let seen = classes_of(sw.name);
        let seen = if sw.name == "dup_keeps_owner" {
            "refused, not compared: a library bug (below)".to_string()
        } else if seen.is_empty() {
            let alone: Vec<String> = s
                .cancelled
                .iter()
                .filter(|(w, _)| *w == sw.name)
                .map(|(_, sig)| format!("`{sig}`"))
                .collect();
            if alone.is_empty() {
                "none in this run, even with only this switch set back (`tests/profiles.rs` \
                 checks it alone)"
                    .to_string()
            } else {
                format!(
                    "none the full upgrade shows: alone it shows {}, which the other switches' \
                     changes cancel for the programs found (see `isolated/{}/` in the survey's \
                     output)",
                    alone.join(", "),
                    sw.name
                )
            }
        } else {
            seen.iter()
                .map(|n| format!("[{n}](#{n})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(md, "| `{}` | {} | {seen} |", sw.name, cell(sw.releases));
    }
    let bugs: Vec<&str> = [from, to]
        .iter()
        .filter(|r| Profile::named(r).is_some_and(|p| p.dup_keeps_owner))
        .map(|r| r.as_str())
        .collect();
    // Only a release with the bug: refusals have other causes too (an op
    // the library lacks).
    if !bugs.is_empty() {
        let sw = switch("dup_keeps_owner").expect("a switch");
        let _ = writeln!(
            md,
            "\n**Known library bug** in {}: {} The harness refuses those calls under a profile \
             that has the bug ({} ops refused in this run); against the library without the \
             profile, they crash it.",
            bugs.join(" and "),
            sw.what,
            st.refused
        );
    }
    let _ = writeln!(md, "\n## The differences\n");
    if s.classes.is_empty() {
        let _ = writeln!(md, "None found.");
    }
    // Grouped by the switch that explains them, in the switches' order;
    // the unexplained last.
    let rank = |c: &Class| {
        c.explained
            .as_ref()
            .filter(|e| e.explained())
            .and_then(|e| SWITCHES.iter().position(|w| w.name == e.switches[0]))
            .unwrap_or(SWITCHES.len())
    };
    let mut order: Vec<(usize, &Class)> = s.classes.iter().enumerate().collect();
    order.sort_by_key(|&(n, c)| (rank(c), n));
    for (n, c) in order {
        let e = c.explained.clone().unwrap_or_default();
        let why = if e.isolated && e.explained() {
            format!(
                "explained by `{}`, found with only that switch set back (in the full model \
                 another difference shows first)",
                e.switches[0]
            )
        } else if !e.passes_with_target {
            format!("**not explained**: the reproducer fails with {to}'s own profile too")
        } else if e.switches.is_empty() {
            "**not explained** by any switch or pair of switches".to_string()
        } else if e.together {
            format!(
                "explained by `{}` and `{}` together (neither alone brings it back)",
                e.switches[0], e.switches[1]
            )
        } else {
            let names: Vec<String> = e.switches.iter().map(|w| format!("`{w}`")).collect();
            format!("explained by {}", names.join(", "))
        };
        let _ = writeln!(
            md,
            "<a id=\"{}\"></a>\n\n### {}. `{}` — {why}\n",
            n + 1,
            n + 1,
            c.signature
        );
        let file = reproducer_file(n, c);
        let file = file.file_name().unwrap_or_default().to_string_lossy();
        if e.isolated {
            let _ = writeln!(
                md,
                "{} programs of the isolated survey; reproducer `{file}`:\n",
                c.count
            );
        } else {
            let _ = writeln!(
                md,
                "{} of {} programs; reproducer `{file}`:\n",
                c.count, st.programs
            );
        }
        fenced(&mut md, "text", &c.reproducer.to_string());
        match &c.summary {
            Some(sum) => {
                let _ = writeln!(md, "At step {} (`{}`):\n", sum.step, cell(&sum.op));
                let left = match (e.isolated, e.switches.first()) {
                    (true, Some(w)) => format!("{to} with `{w}` as in {from}"),
                    _ => from.to_string(),
                };
                let _ = writeln!(md, "| | {left} | {to} |");
                let _ = writeln!(md, "|---|---|---|");
                for (field, _, l, r) in &sum.differences {
                    let _ = writeln!(md, "| {} | `{}` | `{}` |", cell(field), cell(l), cell(r));
                }
                let _ = writeln!(md);
            }
            None => {
                let _ = writeln!(md, "The library crashed or hung on this program.\n");
            }
        }
    }
    let _ = writeln!(
        md,
        "Produce this report again (about 15 minutes with the library build): \
         `scripts/upgrade-report.sh {from} {to}`. See `docs/upgrades/README.md`."
    );
    md
}

/// Writes `upgrade.md` and the reproducers under `upgrade/` into the
/// survey's output folder.
pub fn write(s: &Survey, up: &Upgrade) -> Result<()> {
    let dir = &s.config.out;
    let folder = dir.join("upgrade");
    if let Ok(entries) = std::fs::read_dir(&folder) {
        for e in entries {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "txt") {
                std::fs::remove_file(p)?;
            }
        }
    }
    for (n, c) in s.classes.iter().enumerate() {
        let e = c.explained.clone().unwrap_or_default();
        let header = format!(
            "upgrade: {} -> {}\nsignature: {}\nswitch: {}\nisolated: {}\nfound by: {}",
            up.from,
            up.to,
            c.signature,
            header_switches(&e),
            if e.isolated { "yes" } else { "no" },
            s.config.command
        );
        corpus::write_program(&dir.join(reproducer_file(n, c)), &header, &c.reproducer)?;
    }
    let md = markdown(s, up);
    std::fs::write(dir.join("upgrade.md"), &md)?;
    std::fs::write(
        dir.join("upgrade.html"),
        crate::report::html_page(&format!("Upgrading from {} to {}", up.from, up.to), &md),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upgrade_needs_two_releases_that_differ() {
        assert!(Upgrade::new("3.0.19", "3.0.19").is_none());
        assert!(Upgrade::new("3.0.19,re_add=4.0.3", "4.0.3").is_none());
        let up = Upgrade::new("3.0.19", "4.0.3").unwrap();
        let names: Vec<_> = up.switches().iter().map(|s| s.name).collect();
        assert!(names.contains(&"removals") && names.contains(&"re_add"));
        assert!(!names.contains(&"cache_list"));
        assert_eq!(up.slug(), "3.0.19-to-4.0.3");
    }

    #[test]
    fn a_pair_is_named_with_a_plus_and_each_alone_with_a_space() {
        let e = |switches: Vec<&'static str>, together, passes| Explanation {
            passes_with_target: passes,
            switches,
            together,
            isolated: false,
        };
        assert_eq!(
            header_switches(&e(vec!["kex_group", "peer_rpk"], true, true)),
            "kex_group+peer_rpk"
        );
        assert_eq!(
            header_switches(&e(vec!["time", "re_add"], false, true)),
            "time re_add"
        );
        assert_eq!(header_switches(&e(vec![], false, true)), "unexplained");
        assert_eq!(
            header_switches(&e(vec!["time"], false, false)),
            "unexplained"
        );
    }

    #[test]
    fn a_worker_command_gets_its_model_replaced() {
        let base = WorkerCommand::process(
            "sessdiff".into(),
            ["survey-worker", "--model", "3.0.19", "--ops", "32"]
                .map(String::from)
                .to_vec(),
        );
        let w = with_model(&base, "4.0.3,re_add=3.0.19");
        assert_eq!(
            w.args,
            [
                "survey-worker",
                "--ops",
                "32",
                "--model",
                "4.0.3,re_add=3.0.19"
            ]
        );
    }
}
