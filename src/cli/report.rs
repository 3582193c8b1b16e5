//! `sessdiff report`: the performance comparison report (see
//! [`sessdiff::report`]).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

use sessdiff::report::{self, Report};

/// Write target/report/index.md and index.html from `cargo bench`'s
/// results (run `scripts/report.sh` to do both).
#[derive(Args)]
pub struct ReportArgs {
    /// criterion's output folder.
    #[arg(long, default_value = "target/criterion")]
    criterion: PathBuf,
    /// Per-release libssl results (`scripts/bench-releases.sh`), read if
    /// the folder exists.
    #[arg(long, default_value = "target/bench-releases")]
    releases: PathBuf,
    /// Where to write the report.
    #[arg(long, default_value = "target/report")]
    out: PathBuf,
    /// Seconds of differential fuzzing to measure programs/s (seed 1,
    /// 32-op programs, this thread); 0 skips it.
    #[arg(long, default_value_t = 10)]
    fuzz_seconds: u64,
    /// The differential loop's row is the median of its `new` run and of
    /// runs saved as baselines `copy-1` … `copy-K`, each from its own copy
    /// of the benchmark binary (`scripts/report.sh` makes them): where the
    /// kernel places a binary's pages moves that benchmark by several
    /// percent.
    #[arg(long, default_value_t = 0)]
    loop_copies: u32,
    /// Also commit-ready copies: the report as docs/performance.md (its
    /// chart as docs/performance-cache.svg), and its summary (machine,
    /// date, table, fuzzing rate) into README.md between its markers.
    #[arg(long)]
    publish: bool,
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    if !args.criterion.is_dir() {
        bail!(
            "{}: no criterion results: run `cargo bench` first (or scripts/report.sh)",
            args.criterion.display()
        );
    }
    let mut est = report::criterion::read_estimates(&args.criterion)?;
    if est.is_empty() {
        bail!("{}: no estimates found", args.criterion.display());
    }
    let loop_runs = report::loop_runs(&args.criterion, &mut est, args.loop_copies)?;
    let fuzz = (args.fuzz_seconds > 0).then(|| {
        eprintln!(
            "measuring the differential fuzzing rate for {} s...",
            args.fuzz_seconds
        );
        report::measure_fuzz_rate(args.fuzz_seconds)
    });
    let mut report = Report::build(&est, fuzz);
    report.loop_runs = loop_runs;
    report.releases = report::read_releases(&args.releases)?;
    let md = report.write(&est, &args.out)?;
    println!("{md}");
    println!("written to {}", args.out.join("index.md").display());
    if args.publish {
        publish(&md, &args.out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes docs/performance.md (+ its chart) and the README's summary.
fn publish(md: &str, out: &std::path::Path) -> Result<()> {
    let docs = std::path::Path::new("docs");
    std::fs::create_dir_all(docs)?;
    std::fs::write(
        docs.join("performance.md"),
        md.replace("](cache.svg)", "](performance-cache.svg)"),
    )?;
    std::fs::copy(out.join("cache.svg"), docs.join("performance-cache.svg"))?;
    let readme = std::fs::read_to_string("README.md")?;
    let Some(updated) = report::with_summary(&readme, md) else {
        bail!(
            "README.md: no performance summary markers ({} ... {})",
            report::SUMMARY_BEGIN,
            report::SUMMARY_END
        );
    };
    std::fs::write("README.md", updated)?;
    println!("published: docs/performance.md, docs/performance-cache.svg, README.md's summary");
    Ok(())
}
