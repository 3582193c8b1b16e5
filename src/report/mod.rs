//! The performance comparison report: criterion's medians of the hot paths,
//! native against libssl, judged against the [targets](targets::PATHS),
//! with the cache curve as a chart and the differential loop's rate.
//!
//! [`criterion::read_estimates`] reads a `cargo bench` run;
//! [`Report::build`] makes the rows; [`Report::write`] writes
//! `index.md`, `index.html` (rendered by pulldown-cmark) and `cache.svg`.

pub mod criterion;
mod render;
pub mod targets;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

pub use render::{
    SUMMARY_BEGIN, SUMMARY_END, html, html_page, html_page_of_width, markdown, summary,
    with_summary,
};

use crate::campaign::{self, Config};

/// The differential loop's rate, measured on one thread.
#[derive(Debug, Clone, PartialEq)]
pub struct FuzzRate {
    /// How long it ran.
    pub seconds: f64,
    /// Programs run.
    pub programs: u64,
    /// Programs per second.
    pub programs_per_sec: f64,
    /// Ops per second.
    pub ops_per_sec: f64,
    /// Divergences found (0 or 1: the campaign stops at the first).
    pub divergences: usize,
}

/// Runs `sessdiff fuzz --seed 1 --ops 32` against the linked libssl for
/// `seconds` and returns its rate.
pub fn measure_fuzz_rate(seconds: u64) -> FuzzRate {
    let (stats, found) = campaign::run(
        &Config {
            seed: 1,
            target: campaign::Target::Ops,
            ops: 32,
            duration: Some(Duration::from_secs(seconds)),
            programs: None,
        },
        crate::lockstep::against_libssl,
        |_| {},
    );
    FuzzRate {
        seconds: stats.elapsed.as_secs_f64(),
        programs: stats.programs,
        programs_per_sec: stats.programs_per_sec(),
        ops_per_sec: stats.ops_per_sec(),
        divergences: usize::from(found.is_some()),
    }
}

/// A report, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The machine it ran on.
    pub machine: String,
    /// When it ran: `2026-12-07 06:40 UTC`.
    pub measured: String,
    /// The libssl version string.
    pub libssl: String,
    /// One row per compared path.
    pub rows: Vec<targets::Row>,
    /// The differential loop's rate, if measured.
    pub fuzz: Option<FuzzRate>,
    /// The libssl medians of other releases (`scripts/bench-releases.sh`),
    /// by release, in release order.
    pub releases: Vec<(String, BTreeMap<String, f64>)>,
    /// The differential loop's medians, one per run (the main run's and
    /// one per copy of the benchmark binary), when its row is their median
    /// ([`loop_runs`]).
    pub loop_runs: Vec<f64>,
}

/// The id of the differential loop's benchmark.
pub const LOOP_ID: &str = "differential_loop/ops_32";

/// With `copies` > 0, sets the differential loop's median in `est` to the
/// median of its `new` run and of the baselines `copy-1` … `copy-<copies>`
/// below `criterion` (each run from its own copy of the benchmark binary:
/// where the kernel puts a binary's pages moves that benchmark by several
/// percent, byte-identical copies included), and returns the runs, sorted.
pub fn loop_runs(
    criterion: &Path,
    est: &mut BTreeMap<String, f64>,
    copies: u32,
) -> Result<Vec<f64>> {
    if copies == 0 {
        return Ok(Vec::new());
    }
    let Some(&new) = est.get(LOOP_ID) else {
        anyhow::bail!("{}: no {LOOP_ID} results", criterion.display());
    };
    let mut runs = vec![new];
    for k in 1..=copies {
        runs.push(criterion::read_baseline(
            criterion,
            LOOP_ID,
            &format!("copy-{k}"),
        )?);
    }
    runs.sort_by(f64::total_cmp);
    let mid = runs.len() / 2;
    let median = if runs.len() % 2 == 1 {
        runs[mid]
    } else {
        (runs[mid - 1] + runs[mid]) / 2.0
    };
    est.insert(LOOP_ID.to_string(), median);
    Ok(runs)
}

/// Reads the per-release results under `dir` (`RELEASE/criterion/…`, as
/// `scripts/bench-releases.sh` leaves them); none if `dir` does not exist.
pub fn read_releases(dir: &Path) -> Result<Vec<(String, BTreeMap<String, f64>)>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let e = e?;
        let criterion = e.path().join("criterion");
        if criterion.is_dir() {
            let est = criterion::read_estimates(&criterion)?;
            out.push((e.file_name().to_string_lossy().into_owned(), est));
        }
    }
    out.sort_by_key(|(r, _)| release_order(r));
    Ok(out)
}

/// `1.1.1w` < `3.0.0` < `3.0.8` < `3.10.0`: numeric parts, then letters.
fn release_order(r: &str) -> Vec<(u64, String)> {
    r.split('.')
        .map(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            (
                digits.parse().unwrap_or(0),
                part[digits.len()..].to_string(),
            )
        })
        .collect()
}

impl Report {
    /// The report of the medians `est`, on this machine and the linked
    /// libssl.
    pub fn build(est: &BTreeMap<String, f64>, fuzz: Option<FuzzRate>) -> Report {
        Report {
            machine: machine(),
            measured: utc_minute(std::time::SystemTime::now()),
            libssl: crate::ossl::version(),
            rows: targets::rows(est),
            fuzz,
            releases: Vec::new(),
            loop_runs: Vec::new(),
        }
    }

    /// Writes `index.md`, `index.html` and `cache.svg` (from `est`) into
    /// `dir`; returns the Markdown.
    pub fn write(&self, est: &BTreeMap<String, f64>, dir: &Path) -> Result<String> {
        std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
        render::chart(&dir.join("cache.svg"), est)?;
        let md = markdown(self);
        std::fs::write(dir.join("index.md"), &md)?;
        std::fs::write(dir.join("index.html"), html(&md))?;
        Ok(md)
    }
}

/// `time` as `YYYY-MM-DD HH:MM UTC` (the civil calendar from the days
/// since 1970, as in Howard Hinnant's `civil_from_days`).
fn utc_minute(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// The CPU, core count, OS and architecture.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{cpu}, {cores} cores, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        let at = |s: u64| utc_minute(std::time::UNIX_EPOCH + std::time::Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01 00:00 UTC");
        assert_eq!(at(1_700_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(at(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(
            at(1_796_601_600 + 6 * 3600 + 40 * 60),
            "2026-12-07 06:40 UTC"
        );
    }

    #[test]
    fn releases_sort_by_number() {
        let mut r = vec!["3.10.0", "4.0.3", "1.1.1w", "3.0.8", "3.0.0"];
        r.sort_by_key(|r| release_order(r));
        assert_eq!(r, ["1.1.1w", "3.0.0", "3.0.8", "3.10.0", "4.0.3"]);
    }

    #[test]
    fn no_release_folder_is_no_release() {
        assert!(
            read_releases(Path::new("/nonexistent/sessdiff"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_loop_row_is_the_median_of_its_copies() {
        let root = std::env::temp_dir().join(format!("sessdiff-loop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (k, v) in [(1, 52_000.0), (2, 49_000.0), (3, 51_000.0), (4, 60_000.0)] {
            let dir = root.join(LOOP_ID).join(format!("copy-{k}"));
            std::fs::create_dir_all(&dir).unwrap();
            let json = format!(r#"{{"median":{{"point_estimate":{v}}}}}"#);
            std::fs::write(dir.join("estimates.json"), json).unwrap();
        }
        let fresh = || BTreeMap::from([(LOOP_ID.to_string(), 50_000.0), ("x".to_string(), 1.0)]);

        // No copies: nothing read, nothing changed.
        let mut est = fresh();
        assert!(loop_runs(&root, &mut est, 0).unwrap().is_empty());
        assert_eq!(est, fresh());
        // new and four copies: the middle of five.
        let mut est = fresh();
        let runs = loop_runs(&root, &mut est, 4).unwrap();
        assert_eq!(runs, [49_000.0, 50_000.0, 51_000.0, 52_000.0, 60_000.0]);
        assert_eq!(est[LOOP_ID], 51_000.0);
        assert_eq!(est["x"], 1.0);
        // new and three: the mean of the middle two.
        let mut est = fresh();
        loop_runs(&root, &mut est, 3).unwrap();
        assert_eq!(est[LOOP_ID], 50_500.0);
        // A copy asked for and not run is an error, not a shorter median.
        let e = loop_runs(&root, &mut fresh(), 5).unwrap_err().to_string();
        assert!(e.contains("copy-5"), "{e}");
        std::fs::remove_dir_all(root).unwrap();
    }
}
