//! The survey's report: `survey.md`, `survey.html` (rendered from the
//! Markdown by pulldown-cmark), `survey.json` for tools, and one program
//! file per class under `classes/`, which `sessdiff replay --isolate
//! DIR/classes` re-checks.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::json;

use super::{Class, Survey};
use crate::corpus;

/// A class's program file, relative to the report folder:
/// `classes/03-divergence-set_time-session.timeout.txt`.
pub fn class_file(n: usize, c: &Class) -> PathBuf {
    let slug: String = c
        .signature
        .chars()
        .map(|ch| match ch {
            ':' => '-',
            c if c.is_ascii_alphanumeric() || c == '_' || c == '.' => c,
            _ => '_',
        })
        .collect();
    Path::new("classes").join(format!("{:02}-{slug}.txt", n + 1))
}

/// The command that replays `path` (with `--isolate` when `isolate`) as
/// the survey ran it: same model, same planted faults, same library.
pub fn replay_command(s: &Survey, isolate: bool, path: &Path) -> String {
    let mut args = vec!["replay".to_string()];
    if isolate {
        args.push("--isolate".into());
    }
    args.extend(s.config.replay_flags.iter().cloned());
    args.push(path.display().to_string());
    crate::rerun::command(&args)
}

fn class_replay_command(s: &Survey, n: usize, c: &Class) -> String {
    replay_command(s, c.is_death(), &s.config.out.join(class_file(n, c)))
}

pub(super) fn fenced(out: &mut String, lang: &str, text: &str) {
    let _ = writeln!(out, "```{lang}\n{}\n```\n", text.trim_end());
}

/// A table cell: no pipes, no line breaks.
pub(super) fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report in Markdown.
pub fn markdown(s: &Survey) -> String {
    let st = &s.stats;
    let mut md = String::new();
    let _ = writeln!(md, "# sessdiff survey\n");
    let _ = writeln!(md, "- library: {}", s.libssl);
    let _ = writeln!(
        md,
        "- model: the native implementation with the {} profile",
        s.config.model
    );
    let _ = writeln!(md, "- command: `{}`", s.config.command);
    let _ = writeln!(
        md,
        "- {} programs ({} target, seed {}) in {:.1} s ({:.0}/s); {} divergent; {} worker deaths",
        st.programs,
        s.config.campaign.target,
        s.config.campaign.seed,
        st.elapsed.as_secs_f64(),
        st.programs_per_sec(),
        st.divergent,
        st.deaths
    );
    if st.refused > 0 {
        let _ = writeln!(
            md,
            "- {} ops refused: the {} profile has a documented library bug (`dup_keeps_owner`: {})",
            st.refused,
            s.config.model,
            crate::native::switch("dup_keeps_owner").map_or("", |w| w.what)
        );
    }
    if let Some(up) = &s.config.upgrade {
        let _ = writeln!(
            md,
            "- an upgrade from {} to {}: see `upgrade.md`, each class explained by switch",
            up.from, up.to
        );
    }
    let unexpected = s.unexpected().count();
    let _ = writeln!(
        md,
        "- **{} classes**: {unexpected} unexpected, {} expected\n",
        s.classes.len(),
        s.classes.len() - unexpected
    );
    if s.classes.is_empty() {
        let _ = writeln!(md, "No difference found.");
        return md;
    }
    for (title, expected) in [("New differences", false), ("Expected differences", true)] {
        let rows: Vec<(usize, &Class)> = s
            .classes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.expected == expected)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(md, "{title}:\n");
        let _ = writeln!(md, "| # | signature | programs | reproducer |");
        let _ = writeln!(md, "|---:|---|---:|---:|");
        for (n, c) in rows {
            let _ = writeln!(
                md,
                "| [{}](#{}) | `{}` | {} | {} ops |",
                n + 1,
                n + 1,
                c.signature,
                c.count,
                c.reproducer.ops.len(),
            );
        }
        let _ = writeln!(md);
    }
    let pairs = s.maybe_same();
    for (n, c) in s.classes.iter().enumerate() {
        let _ = writeln!(
            md,
            "\n<a id=\"{}\"></a>\n\n## {}. `{}`\n",
            n + 1,
            n + 1,
            c.signature
        );
        let _ = writeln!(
            md,
            "- {} programs (the first: program {} of the campaign){}",
            c.count,
            c.first,
            if c.expected { "; expected" } else { "" }
        );
        if !c.aliases.is_empty() {
            let aliases: Vec<String> = c.aliases.iter().map(|a| format!("`{a}`")).collect();
            let _ = writeln!(
                md,
                "- also seen as {} (the same difference, surfacing at another op)",
                aliases.join(", ")
            );
        }
        let twins: Vec<String> = pairs
            .iter()
            .filter_map(|&(a, b)| match (a == n, b == n) {
                (true, _) => Some(b + 1),
                (_, true) => Some(a + 1),
                _ => None,
            })
            .map(|k| k.to_string())
            .collect();
        if !twins.is_empty() {
            let _ = writeln!(
                md,
                "- might be the same difference as class {} (same field, `{}`)",
                twins.join(", "),
                c.field()
            );
        }
        let _ = writeln!(
            md,
            "- reproducer, shrunk from {} ops (`{}`):\n",
            c.shrunk_from,
            class_file(n, c).display()
        );
        fenced(&mut md, "text", &c.reproducer.to_string());
        if let Some(e) = &c.explained {
            let _ = writeln!(
                md,
                "Explained by: {}\n",
                if !e.passes_with_target {
                    "nothing (the reproducer fails with the library's own profile too)".to_string()
                } else if e.switches.is_empty() {
                    "no single switch".to_string()
                } else {
                    e.switches
                        .iter()
                        .map(|w| format!("`{w}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
        }
        match &c.summary {
            Some(sum) => {
                let _ = writeln!(md, "At step {} (`{}`):\n", sum.step, sum.op);
                let _ = writeln!(md, "| field | native | {} |", cell(&s.libssl));
                let _ = writeln!(md, "|---|---|---|");
                for (field, _, l, r) in &sum.differences {
                    let _ = writeln!(md, "| {} | `{}` | `{}` |", cell(field), cell(l), cell(r));
                }
                let _ = writeln!(md);
            }
            None => {
                let _ = writeln!(md, "The worker process died: the library crashed or hung.");
                if !c.stderr.is_empty() {
                    let _ = writeln!(md, "Its last words on standard error:\n");
                    fenced(&mut md, "text", &c.stderr);
                }
            }
        }
        let _ = writeln!(md, "Replay: `{}`", class_replay_command(s, n, c));
        if !c.witnesses.is_empty() {
            let lens: Vec<String> = c
                .witnesses
                .iter()
                .map(|w| w.ops.len().to_string())
                .collect();
            let _ = writeln!(
                md,
                "\nOther witnesses (unshrunk, in `survey.json`): {} ops",
                lens.join(", ")
            );
        }
    }
    if !s.classes.is_empty() {
        let _ = writeln!(
            md,
            "\nReplay every class: `{}`",
            replay_command(s, true, &s.config.out.join("classes"))
        );
    }
    md
}

/// The report as JSON.
pub fn json(s: &Survey) -> serde_json::Value {
    let st = &s.stats;
    json!({
        "library": s.libssl,
        "model": s.config.model,
        "command": s.config.command,
        "seed": s.config.campaign.seed,
        "target": s.config.campaign.target.to_string(),
        "ops": s.config.campaign.ops,
        "seconds": st.elapsed.as_secs_f64(),
        "programs": st.programs,
        "divergent": st.divergent,
        "deaths": st.deaths,
        "refused": st.refused,
        "classes": s.classes.iter().enumerate().map(|(n, c)| json!({
            "signature": c.signature,
            "aliases": c.aliases,
            "kind": if c.is_death() { c.field() } else { "divergence" },
            "programs": c.count,
            "first": c.first,
            "expected": c.expected,
            "file": class_file(n, c),
            "reproducer": c.reproducer.to_string(),
            "shrunk_from": c.shrunk_from,
            "divergence": c.summary.as_ref().map(|x| x.to_json()),
            "stderr": c.stderr,
            "witnesses": c.witnesses.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
            "explained_by": c.explained.as_ref().map(|e| json!({
                "passes_with_target": e.passes_with_target,
                "switches": e.switches,
            })),
        })).collect::<Vec<_>>(),
        "maybe_same": s.maybe_same().iter().map(|&(a, b)| [a + 1, b + 1]).collect::<Vec<_>>(),
    })
}

/// Removes the class files an earlier survey left in `dir/classes`, so
/// that the folder holds this survey's classes only.
pub fn clear(dir: &Path) -> Result<()> {
    let classes = dir.join("classes");
    let Ok(entries) = std::fs::read_dir(&classes) else {
        return Ok(());
    };
    for e in entries {
        let p = e?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let ours = name.ends_with(".txt")
            && name.as_bytes()[..2].iter().all(u8::is_ascii_digit)
            && name.as_bytes()[2] == b'-';
        if ours {
            std::fs::remove_file(&p)?;
        }
    }
    Ok(())
}

/// Writes every file of the report into the survey's output folder.
pub fn write(s: &Survey) -> Result<()> {
    let dir = &s.config.out;
    std::fs::create_dir_all(dir.join("classes"))?;
    for (n, c) in s.classes.iter().enumerate() {
        let header = format!(
            "{}\nfound by: {} (program {} of the campaign)\nagainst: {}\nshrunk from {} ops\nreplay: {}",
            c.signature,
            s.config.command,
            c.first,
            s.libssl,
            c.shrunk_from,
            class_replay_command(s, n, c)
        );
        corpus::write_program(&dir.join(class_file(n, c)), &header, &c.reproducer)?;
    }
    let md = markdown(s);
    std::fs::write(dir.join("survey.md"), &md)?;
    std::fs::write(
        dir.join("survey.html"),
        crate::report::html_page("sessdiff survey", &md),
    )?;
    std::fs::write(
        dir.join("survey.json"),
        serde_json::to_string_pretty(&json(s))? + "\n",
    )?;
    Ok(())
}
