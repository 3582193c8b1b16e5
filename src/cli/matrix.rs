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
    /// Also write docs/matrix.md, the committed copy.
    #[arg(long)]
    publish: bool,
}

pub fn run(args: MatrixArgs) -> Result<ExitCode> {
    let m = Matrix::read(&args.dir.join("switches.tsv"))?;
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
    let depth = args.dir.components().count();
    let md = m.markdown(&links(&"../".repeat(depth)));
    std::fs::write(args.dir.join("index.md"), &md)?;
    let html =
        sessdiff::report::html_page("sessdiff: session behaviour across OpenSSL releases", &md);
    std::fs::write(args.dir.join("index.html"), html)?;
    println!(
        "{}: {} releases",
        args.dir.join("index.html").display(),
        m.rows.len()
    );
    if args.publish {
        std::fs::write("docs/matrix.md", m.markdown(&links("../")))?;
        println!("docs/matrix.md");
    }
    Ok(ExitCode::SUCCESS)
}
