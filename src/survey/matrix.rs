//! The compatibility page: releases down, switches across, each cell the
//! behaviour that release showed to `sessdiff probe` (collected by
//! `scripts/matrix.sh` into `switches.tsv`). A cell whose behaviour differs
//! from the last measured above it is marked and linked to the switch's section,
//! which names the change, what an application sees, and the probe
//! programs that tell the behaviours apart. Below the switches, each
//! release's survey against its own profile (`surveys.tsv`): how many
//! programs ran and how many classes of divergence they found.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::native::releases::order_key;
use crate::native::{Profile, SWITCHES, Switch};
use crate::survey::probe::Probes;

/// The library's own changes behind the switches' changes, where its
/// source history names one: (switch, the first release with the new
/// behaviour, the commit, its title). Read from OpenSSL's git history
/// (`git log openssl-3.0.5..openssl-3.0.6 -- ssl/ssl_sess.c`, …).
pub const SOURCE_CHANGES: &[(&str, &str, &str, &str)] = &[
    (
        "evict_after_listing",
        "3.0.6 (withdrawn; 3.0.7 is the first kept)",
        "2db226ce01be",
        "Free up space in the session cache before adding.",
    ),
    (
        "dup_keeps_owner",
        "3.0.9",
        "98be1f56352e",
        "Clear ownership when duplicating sessions",
    ),
    (
        "time",
        "3.0.15",
        "eb9790f7ad36",
        "fix undefined behavior on 3.1",
    ),
    (
        "mfl_unspecified",
        "3.0.15",
        "6f4e5d81224b",
        "Fix handling of max_fragment_length extension for PSK",
    ),
];

/// One probe line of one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// `like`, `ambiguous`, `none` or `no-probe`.
    pub verdict: String,
    /// The candidates' releases.
    pub releases: String,
    /// The measured value (`Nanoseconds`), empty unless `like`.
    pub value: String,
    /// Whether the model's guess for the release had it: `agrees`,
    /// `differs` or `-`.
    pub guess: String,
}

impl Cell {
    /// For an ambiguous measure, the value of `sw` in each candidate the
    /// probes could not tell apart (as the code names it); a candidate whose
    /// release does not parse is named by that release.
    pub fn candidate_values(&self, sw: &Switch) -> Vec<String> {
        self.releases
            .split('|')
            .map(|c| {
                let first = c.split(' ').next().unwrap_or_default();
                Profile::named(first).map_or_else(|| first.to_string(), |p| sw.value(&p))
            })
            .collect()
    }

    /// What the page shows: the value, or what stood in its way (for an
    /// ambiguous measure, the values the probes could not tell apart).
    fn shown(&self, sw: &Switch) -> String {
        match self.verdict.as_str() {
            "like" => format!("`{}`", self.value),
            "ambiguous" => {
                let values: Vec<String> = self
                    .candidate_values(sw)
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect();
                format!("{}?", values.join(" or "))
            }
            "none" => "**no measured behaviour**".to_string(),
            _ => "no probe".to_string(),
        }
    }
}

/// One survey of a release against the native model (`sessdiff survey
/// --seed 1`, the model `auto` picks for the release), as `scripts/matrix.sh`
/// collects it into `surveys.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyRun {
    /// The release surveyed.
    pub release: String,
    /// The model's profile, by the release it is named after.
    pub model: String,
    /// How long the survey ran.
    pub seconds: u64,
    /// Programs run.
    pub programs: u64,
    /// Classes of divergence found (0: nothing differs).
    pub classes: u64,
    /// Ops refused, not run: a documented bug of the release
    /// (`dup_keeps_owner`), or an op the library lacks.
    pub refused: u64,
    /// When it ran (`YYYY-MM-DD`).
    pub date: String,
}

/// The `n` tab-separated fields of a line; `at` names the line for the
/// error.
fn fields<'a>(line: &'a str, n: usize, at: &dyn Fn() -> String) -> Result<Vec<&'a str>> {
    let f: Vec<&str> = line.split('\t').collect();
    if f.len() != n {
        bail!(
            "{}: expected {n} tab-separated fields, found {}",
            at(),
            f.len()
        );
    }
    Ok(f)
}

/// Reads `surveys.tsv` (`RELEASE<TAB>MODEL<TAB>SECONDS<TAB>PROGRAMS<TAB>CLASSES<TAB>REFUSED<TAB>DATE`
/// lines); a malformed line is an error naming its file and line.
pub fn read_surveys(path: &Path) -> Result<Vec<SurveyRun>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    parse_surveys(&text, path)
}

/// [`read_surveys`] of `text`, with `path` for the errors. Runs come out
/// in version order of their releases.
pub fn parse_surveys(text: &str, path: &Path) -> Result<Vec<SurveyRun>> {
    let mut runs: BTreeMap<Vec<(u64, String)>, SurveyRun> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let at = || format!("{}:{}", path.display(), n + 1);
        let f = fields(line, 7, &at)?;
        for r in &f[..2] {
            if Profile::named(r).is_none() {
                bail!("{}: `{r}` is not a release", at());
            }
        }
        let number = |i: usize, what: &str| -> Result<u64> {
            f[i].parse()
                .map_err(|_| anyhow::anyhow!("{}: {what} `{}` is not a number", at(), f[i]))
        };
        let run = SurveyRun {
            release: f[0].to_string(),
            model: f[1].to_string(),
            seconds: number(2, "seconds")?,
            programs: number(3, "programs")?,
            classes: number(4, "classes")?,
            refused: number(5, "refused ops")?,
            date: f[6].to_string(),
        };
        if runs.insert(order_key(f[0]), run).is_some() {
            bail!("{}: {} surveyed twice", at(), f[0]);
        }
    }
    Ok(runs.into_values().collect())
}

/// Each switch's probe programs as the page links them: paths from the
/// page's folder (`prefix` climbs from it to the project's root).
pub fn probe_links(probes: &[Probes], prefix: &str) -> BTreeMap<String, Vec<PathBuf>> {
    probes
        .iter()
        .map(|p| {
            let files = p
                .programs
                .iter()
                .map(|(f, _)| PathBuf::from(prefix).join(f))
                .collect();
            (p.switch.name.to_string(), files)
        })
        .collect()
}

/// A release's cells, by switch name.
pub type Row = BTreeMap<String, Cell>;

/// Every release's cells: release → switch → cell, releases in version
/// order.
#[derive(Debug, Default)]
pub struct Matrix {
    /// (release, its cells by switch name), oldest first.
    pub rows: Vec<(String, Row)>,
}

impl Matrix {
    /// Reads `switches.tsv` (`RELEASE<TAB>SWITCH<TAB>VERDICT<TAB>RELEASES<TAB>VALUE<TAB>GUESS`
    /// lines); a malformed line is an error naming its file and line.
    pub fn read(path: &Path) -> Result<Matrix> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Matrix::parse(&text, path)
    }

    /// [`Matrix::read`] of `text`, with `path` for the errors.
    pub fn parse(text: &str, path: &Path) -> Result<Matrix> {
        let mut rows: BTreeMap<Vec<(u64, String)>, (String, Row)> = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let at = || format!("{}:{}", path.display(), n + 1);
            let f = fields(line, 6, &at)?;
            if Profile::named(f[0]).is_none() {
                bail!("{}: `{}` is not a release", at(), f[0]);
            }
            if !SWITCHES.iter().any(|s| s.name == f[1]) {
                bail!("{}: `{}` is not a switch", at(), f[1]);
            }
            if !["like", "ambiguous", "none", "no-probe"].contains(&f[2]) {
                bail!("{}: `{}` is not a verdict", at(), f[2]);
            }
            let row = rows
                .entry(order_key(f[0]))
                .or_insert_with(|| (f[0].to_string(), BTreeMap::new()));
            if row.1.contains_key(f[1]) {
                bail!("{}: {} {} measured twice", at(), f[0], f[1]);
            }
            row.1.insert(
                f[1].to_string(),
                Cell {
                    verdict: f[2].to_string(),
                    releases: f[3].to_string(),
                    value: f[4].to_string(),
                    guess: f[5].to_string(),
                },
            );
        }
        Ok(Matrix {
            rows: rows.into_values().collect(),
        })
    }

    /// The surveys' section: one row a release of the matrix (or of the
    /// surveys), in version order.
    fn surveys_markdown(&self, surveys: &[SurveyRun]) -> String {
        let mut md = String::from(
            "\n## The surveys\n\nEach release against the native model with its own profile \
             (`sessdiff survey --seed 1`, `--model auto`): random programs run on both, and a \
             class is a kind of divergence the profile does not explain. Refused ops are calls \
             applied to neither side: the release has a documented bug there \
             (`dup_keeps_owner`).\n\n\
             | release | model | seconds | programs | classes | refused ops | date |\n\
             |---|---|---:|---:|---:|---:|---|\n",
        );
        let mut releases: BTreeMap<Vec<(u64, String)>, &str> = self
            .rows
            .iter()
            .map(|(r, _)| (order_key(r), r.as_str()))
            .collect();
        for s in surveys {
            releases.insert(order_key(&s.release), &s.release);
        }
        for r in releases.values() {
            match surveys.iter().find(|s| s.release == *r) {
                None => {
                    let _ = writeln!(md, "| {r} | | | | not surveyed | | |");
                }
                Some(s) => {
                    let classes = if s.classes == 0 {
                        "0".to_string()
                    } else {
                        format!("**{}**", s.classes)
                    };
                    let _ = writeln!(
                        md,
                        "| {r} | {} | {} | {} | {classes} | {} | {} |",
                        s.model, s.seconds, s.programs, s.refused, s.date
                    );
                }
            }
        }
        md
    }

    /// The changes of `sw` between neighbouring releases: (from release,
    /// to release, from value, to value), measured values only.
    pub fn changes(&self, sw: &Switch) -> Vec<(String, String, String, String)> {
        let mut out = Vec::new();
        let mut last: Option<(&str, &str)> = None;
        for (r, cells) in &self.rows {
            let Some(c) = cells.get(sw.name).filter(|c| c.verdict == "like") else {
                continue;
            };
            if let Some((lr, lv)) = last
                && lv != c.value
            {
                out.push((lr.to_string(), r.clone(), lv.to_string(), c.value.clone()));
            }
            last = Some((r, &c.value));
        }
        out
    }

    /// The page as Markdown. `probes` lists each switch's probe programs
    /// (paths as links from the page's folder, see [`probe_links`]);
    /// `surveys` are the releases' surveys.
    pub fn markdown(
        &self,
        probes: &BTreeMap<String, Vec<PathBuf>>,
        surveys: &[SurveyRun],
    ) -> String {
        let mut md = String::from("# Session behaviour across OpenSSL releases\n\n");
        md.push_str(
            "Each cell is the behaviour a release showed to `sessdiff probe`: the switch's \
             probe programs run against the release under each behaviour the measured releases \
             have, and the one under which they all run clean is the release's. A cell that \
             differs from the last one measured above it is marked ▲ and links to the switch's section \
             below: what changed, what an application sees, and the programs that show it. \
             A release's row also says how many switches the model's guess for it (the \
             profile of the measured release it follows) had wrong.\n\n",
        );
        let _ = write!(md, "| release | guess wrong |");
        for sw in SWITCHES {
            let _ = write!(md, " [{0}](#{0}) |", sw.name);
        }
        md.push_str("\n|---|---:|");
        md.push_str(&"---|".repeat(SWITCHES.len()));
        md.push('\n');
        // The last measured value of each switch, above the current row.
        let mut last: BTreeMap<&str, &str> = BTreeMap::new();
        for (r, cells) in &self.rows {
            let wrong = cells.values().filter(|c| c.guess == "differs").count();
            let _ = write!(
                md,
                "| {r} | {} |",
                if wrong == 0 {
                    "-".to_string()
                } else {
                    format!("**{wrong}**")
                }
            );
            for sw in SWITCHES {
                let shown = match cells.get(sw.name) {
                    None => "not run".to_string(),
                    Some(c) => {
                        let changed =
                            c.verdict == "like" && last.get(sw.name).is_some_and(|v| *v != c.value);
                        if c.verdict == "like" {
                            last.insert(sw.name, &c.value);
                        }
                        if changed {
                            format!("**▲ [{}](#{})**", c.value, sw.name)
                        } else {
                            c.shown(sw)
                        }
                    }
                };
                let _ = write!(md, " {shown} |");
            }
            md.push('\n');
        }
        md.push_str(&self.surveys_markdown(surveys));
        md.push_str("\n## The switches\n");
        for sw in SWITCHES {
            let _ = write!(
                md,
                "\n<a id=\"{0}\"></a>\n### {0}\n\n{1}\n\nAs the model's source has it: {2}.\n\n",
                sw.name, sw.what, sw.releases
            );
            for (_, first, commit, title) in SOURCE_CHANGES.iter().filter(|c| c.0 == sw.name) {
                let _ = writeln!(
                    md,
                    "In OpenSSL's source: changed in {first}, commit \
                     [{commit}](https://github.com/openssl/openssl/commit/{commit}) \"{title}\".\n"
                );
            }
            let changes = self.changes(sw);
            if changes.is_empty() {
                md.push_str("No change between the releases measured.\n");
            } else {
                md.push_str("Measured changes:\n\n");
                for (a, b, va, vb) in changes {
                    let _ = writeln!(md, "- {a} → {b}: `{va}` → `{vb}`");
                }
            }
            match probes.get(sw.name).filter(|p| !p.is_empty()) {
                None => md.push_str("\nNo probe program: the switch is not measured.\n"),
                Some(ps) => {
                    md.push_str("\nProbe programs (each passes under one behaviour and diverges under another):\n\n");
                    for p in ps {
                        // Named from corpora/ on, linked by the whole path.
                        let path = p.display().to_string();
                        let name = path
                            .rsplit_once("corpora/")
                            .map_or(path.as_str(), |(_, n)| n);
                        let _ = writeln!(md, "- [{name}]({path})");
                    }
                }
            }
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(release: &str, switch: &str, value: &str, guess: &str) -> String {
        format!("{release}\t{switch}\tlike\t{release}\t{value}\t{guess}\n")
    }

    #[test]
    fn rows_sort_by_version_and_changes_are_marked_and_linked() {
        let text = [
            line("3.2.0", "time", "Nanoseconds", "agrees"),
            line("3.0.10", "time", "Seconds", "differs"),
            line("3.0.2", "time", "SecondsClamped", "agrees"),
            line("1.1.1w", "time", "Long", "agrees"),
            "3.0.2\tre_add\tnone\t\t\t-\n".to_string(),
        ]
        .concat();
        let m = Matrix::parse(&text, Path::new("s.tsv")).unwrap();
        let order: Vec<&str> = m.rows.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(order, ["1.1.1w", "3.0.2", "3.0.10", "3.2.0"]);
        let time = crate::native::switch("time").unwrap();
        assert_eq!(
            m.changes(time),
            [
                (
                    "1.1.1w".into(),
                    "3.0.2".into(),
                    "Long".into(),
                    "SecondsClamped".into()
                ),
                (
                    "3.0.2".into(),
                    "3.0.10".into(),
                    "SecondsClamped".into(),
                    "Seconds".into()
                ),
                (
                    "3.0.10".into(),
                    "3.2.0".into(),
                    "Seconds".into(),
                    "Nanoseconds".into()
                ),
            ]
        );
        let md = m.markdown(&BTreeMap::new(), &[]);
        assert!(md.contains("| 1.1.1w | - | `Long` |"), "{md}");
        assert!(
            md.contains("| 3.0.10 | **1** | **▲ [Seconds](#time)** |"),
            "{md}"
        );
        assert!(md.contains("**no measured behaviour**"), "{md}");
        let amb = "3.0.2\ttime\tambiguous\t1.1.1w|3.0.19 3.0.20\t\t-\n";
        let amb_md = Matrix::parse(amb, Path::new("s.tsv"))
            .unwrap()
            .markdown(&BTreeMap::new(), &[]);
        assert!(
            amb_md.contains("| 3.0.2 | - | `Long` or `Seconds`? |"),
            "{amb_md}"
        );
        assert!(
            md.contains("- 3.0.2 → 3.0.10: `SecondsClamped` → `Seconds`"),
            "{md}"
        );
    }

    #[test]
    fn a_change_across_an_unmeasured_row_is_marked_where_it_shows() {
        let text = [
            line("3.0.5", "evict_after_listing", "true", "agrees"),
            "3.0.6\tevict_after_listing\tambiguous\ta|b\t\t-\n".to_string(),
            line("3.0.7", "evict_after_listing", "false", "agrees"),
        ]
        .concat();
        let md = Matrix::parse(&text, Path::new("s.tsv"))
            .unwrap()
            .markdown(&BTreeMap::new(), &[]);
        assert!(
            md.contains("| 3.0.7 | - | not run | not run | **▲ [false](#evict_after_listing)** |"),
            "{md}"
        );
        assert!(md.contains("- 3.0.5 → 3.0.7: `true` → `false`"), "{md}");
    }

    #[test]
    fn a_malformed_line_names_its_file_and_line() {
        let bad = [
            (
                "3.0.2\ttime\tlike\n",
                "s.tsv:1: expected 6 tab-separated fields, found 3",
            ),
            (
                "3.0.2\tnope\tlike\ta\tb\tc\n",
                "s.tsv:1: `nope` is not a switch",
            ),
            (
                "3.0.2\ttime\tmaybe\ta\tb\tc\n",
                "s.tsv:1: `maybe` is not a verdict",
            ),
        ];
        for (text, want) in bad {
            let e = Matrix::parse(text, Path::new("s.tsv"))
                .unwrap_err()
                .to_string();
            assert_eq!(e, want);
        }
    }

    #[test]
    fn surveys_show_one_row_a_release_and_name_what_is_missing() {
        let m = Matrix::parse(
            &line("3.0.2", "time", "SecondsClamped", "agrees"),
            Path::new("s"),
        )
        .unwrap();
        let runs = parse_surveys(
            "4.0.3\t4.0.3\t120\t400000\t2\t0\t2026-12-07\n",
            Path::new("v.tsv"),
        )
        .unwrap();
        let md = m.markdown(&BTreeMap::new(), &runs);
        let at = md.find("## The surveys").unwrap();
        let rows: Vec<&str> = md[at..]
            .lines()
            .filter(|l| l.starts_with("| 3") || l.starts_with("| 4"))
            .collect();
        assert_eq!(
            rows,
            [
                "| 3.0.2 | | | | not surveyed | | |",
                "| 4.0.3 | 4.0.3 | 120 | 400000 | **2** | 0 | 2026-12-07 |"
            ]
        );
    }

    #[test]
    fn a_malformed_survey_line_names_its_file_and_line() {
        let bad = [
            (
                "3.0.2\t3.0.2\t120\n",
                "v.tsv:1: expected 7 tab-separated fields, found 3",
            ),
            (
                "3.0.2\tnope\t120\t1\t0\t0\td\n",
                "v.tsv:1: `nope` is not a release",
            ),
            (
                "3.0.2\t3.0.2\t120\tmany\t0\t0\td\n",
                "v.tsv:1: programs `many` is not a number",
            ),
            (
                "3.0.2\t3.0.2\t1\t1\t0\t0\td\n3.0.2\t3.0.2\t1\t1\t0\t0\td\n",
                "v.tsv:2: 3.0.2 surveyed twice",
            ),
        ];
        for (text, want) in bad {
            let e = parse_surveys(text, Path::new("v.tsv"))
                .unwrap_err()
                .to_string();
            assert_eq!(e, want);
        }
    }

    #[test]
    fn the_page_is_read_from_its_files_with_each_switchs_sources_and_probes() {
        let dir = std::env::temp_dir().join(format!("sessdiff-matrix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (switches, surveys) = (dir.join("switches.tsv"), dir.join("surveys.tsv"));
        std::fs::write(
            &switches,
            line("3.0.2", "time", "SecondsClamped", "agrees")
                + &line("3.5.5", "time", "Nanoseconds", "differs"),
        )
        .unwrap();
        std::fs::write(&surveys, "3.5.5\t3.5.5\t60\t1000\t0\t0\t2026-12-07\n").unwrap();
        let m = Matrix::read(&switches).unwrap();
        assert_eq!(m.rows.len(), 2);
        let runs = read_surveys(&surveys).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].programs, 1000);
        let e = read_surveys(&dir.join("none.tsv")).unwrap_err().to_string();
        assert!(e.contains("none.tsv"), "{e}");
        let e = Matrix::read(&dir.join("none.tsv")).unwrap_err().to_string();
        assert!(e.contains("none.tsv"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();

        let program = crate::program::Program::parse("new s0\n").unwrap();
        let probes: Vec<Probes> = SWITCHES
            .iter()
            .map(|sw| Probes {
                switch: sw,
                programs: if sw.name == "time" {
                    vec![("corpora/probes/time-1.txt".into(), program.clone())]
                } else {
                    Vec::new()
                },
            })
            .collect();
        let links = probe_links(&probes, "..");
        assert_eq!(links.len(), SWITCHES.len());
        assert_eq!(
            links["time"],
            [PathBuf::from("../corpora/probes/time-1.txt")]
        );
        assert!(links["re_add"].is_empty());
        let md = m.markdown(&links, &runs);
        let section = |name: &str| {
            let at = md.find(&format!("### {name}\n")).unwrap();
            let end = md[at + 4..].find("### ").map_or(md.len(), |e| at + 4 + e);
            md[at..end].to_string()
        };
        let time = section("time");
        assert!(
            time.contains("- [probes/time-1.txt](../corpora/probes/time-1.txt)"),
            "{time}"
        );
        assert!(time.contains("commit [eb9790f7ad36]"), "{time}");
        assert!(
            time.contains("- 3.0.2 → 3.5.5: `SecondsClamped` → `Nanoseconds`"),
            "{time}"
        );
        let re_add = section("re_add");
        assert!(
            re_add.contains("No probe program: the switch is not measured."),
            "{re_add}"
        );
        assert!(!re_add.contains("commit ["), "{re_add}");
        assert!(
            re_add.contains("No change between the releases measured."),
            "{re_add}"
        );
        assert!(md.contains("| 3.5.5 | **1** |"), "{md}");
    }
}
