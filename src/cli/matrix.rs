//! `sessdiff matrix`: the compatibility page from `scripts/matrix.sh`'s
//! measures ([`sessdiff::survey::matrix`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use sessdiff::survey::matrix::{Matrix, probe_links, read_surveys};
use sessdiff::survey::probe;

/// Write the compatibility page (releases down, switches across) from the
/// probes `scripts/matrix.sh` ran: DIR/index.md and DIR/index.html, and
/// with --publish docs/matrix.md. Run from the project's root.
#[derive(Args)]
pub struct MatrixArgs {
    /// The matrix's folder (with switches.tsv).
    #[arg(long, default_value = "target/matrix")]
    dir: PathBuf,
    /// The measures to read (default: DIR/switches.tsv, as
    /// scripts/matrix.sh writes it; docs/matrix.tsv is the committed copy).
    #[arg(long)]
    tsv: Option<PathBuf>,
    /// The surveys to show (default: DIR/surveys.tsv, as scripts/matrix.sh
    /// writes it, if it exists, else the committed copy,
    /// docs/matrix-surveys.tsv).
    #[arg(long)]
    surveys: Option<PathBuf>,
    /// Also write docs/matrix.md, docs/matrix.tsv and
    /// docs/matrix-surveys.tsv, the committed copies.
    #[arg(long)]
    publish: bool,
}

/// The committed copies of the measures.
const COMMITTED_SWITCHES: &str = "docs/matrix.tsv";
const COMMITTED_SURVEYS: &str = "docs/matrix-surveys.tsv";

/// Copies `from` to the committed `to`, unless it is that file.
fn publish(from: &Path, to: &Path) -> Result<()> {
    if to.exists() && from.canonicalize()? == to.canonicalize()? {
        return Ok(());
    }
    std::fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

pub fn run(args: MatrixArgs) -> Result<ExitCode> {
    let tsv = args
        .tsv
        .clone()
        .unwrap_or_else(|| args.dir.join("switches.tsv"));
    let m = Matrix::read(&tsv)?;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let dirs = probe::PROBE_DIRS.map(PathBuf::from);
    let probes = probe::read_probes(&dirs)
        .context("reading the probe programs (run from the project's root)")?;
    // The surveys: as given, else DIR/surveys.tsv, else the committed copy.
    let surveys_path = args.surveys.clone().unwrap_or_else(|| {
        let gathered = args.dir.join("surveys.tsv");
        if gathered.exists() {
            gathered
        } else {
            PathBuf::from(COMMITTED_SURVEYS)
        }
    });
    let surveys = read_surveys(&surveys_path)?;
    // The page's folder, relative to the root (the current folder): its
    // links climb back up; elsewhere they are absolute.
    let cwd = std::env::current_dir()?.canonicalize()?;
    let dir = args.dir.canonicalize()?;
    let prefix = match dir.strip_prefix(&cwd) {
        Ok(rel) => "../".repeat(rel.components().count()),
        Err(_) => format!("{}/", cwd.display()),
    };
    let md = m.markdown(&probe_links(&probes, &prefix), &surveys);
    std::fs::write(args.dir.join("index.md"), &md)?;
    let html = sessdiff::report::html_page_of_width(
        "sessdiff: session behaviour across OpenSSL releases",
        &md,
        1800,
    );
    std::fs::write(args.dir.join("index.html"), html)?;
    println!(
        "{}: {} releases",
        args.dir.join("index.html").display(),
        m.rows.len()
    );
    if args.publish {
        std::fs::write(
            "docs/matrix.md",
            m.markdown(&probe_links(&probes, "../"), &surveys),
        )?;
        publish(&tsv, Path::new(COMMITTED_SWITCHES))?;
        publish(&surveys_path, Path::new(COMMITTED_SURVEYS))?;
        println!("docs/matrix.md, {COMMITTED_SWITCHES}, {COMMITTED_SURVEYS}");
    }
    Ok(ExitCode::SUCCESS)
}
