//! `sessdiff matrix`: the compatibility page from `scripts/matrix.sh`'s
//! measures ([`sessdiff::survey::matrix`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use sessdiff::survey::matrix::Matrix;
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
    /// Also write docs/matrix.md and docs/matrix.tsv, the committed copies.
    #[arg(long)]
    publish: bool,
}

pub fn run(args: MatrixArgs) -> Result<ExitCode> {
    let tsv = args
        .tsv
        .clone()
        .unwrap_or_else(|| args.dir.join("switches.tsv"));
    let m = Matrix::read(&tsv)?;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let dirs = [
        PathBuf::from("corpora/upgrades"),
        PathBuf::from("corpora/probes"),
    ];
    let probes = probe::read_probes(&dirs)
        .context("reading the probe programs (run from the project's root)")?;
    // Links to the probe programs, relative to the page's folder.
    let links = |prefix: &str| -> BTreeMap<String, Vec<PathBuf>> {
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
    };
    // The page's folder, relative to the root (the current folder): its
    // links climb back up; elsewhere they are absolute.
    let cwd = std::env::current_dir()?.canonicalize()?;
    let dir = args.dir.canonicalize()?;
    let prefix = match dir.strip_prefix(&cwd) {
        Ok(rel) => "../".repeat(rel.components().count()),
        Err(_) => format!("{}/", cwd.display()),
    };
    let md = m.markdown(&links(&prefix));
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
        std::fs::write("docs/matrix.md", m.markdown(&links("../")))?;
        let committed = std::path::Path::new("docs/matrix.tsv");
        let same = committed.exists() && tsv.canonicalize()? == committed.canonicalize()?;
        if !same {
            std::fs::copy(&tsv, "docs/matrix.tsv")
                .with_context(|| format!("copying {} to docs/matrix.tsv", tsv.display()))?;
        }
        println!("docs/matrix.md, docs/matrix.tsv");
    }
    Ok(ExitCode::SUCCESS)
}
