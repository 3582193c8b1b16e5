//! `sessdiff import`: turn a libFuzzer byte corpus into text programs.

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use sessdiff::campaign::Target;
use sessdiff::corpus;
use sessdiff::program::Program;

/// Decode every file of a libFuzzer corpus (as the fuzz target does) and
/// write the programs as deduplicated text files, named by a hash of their
/// text, so a campaign's finds can be reviewed and kept.
#[derive(Args)]
pub struct ImportArgs {
    /// The fuzz target whose inputs these are: `ops` or `der`.
    #[arg(long, value_enum, default_value_t = Target::Ops)]
    target: Target,
    /// libFuzzer corpus folders or files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Where to write the text programs (e.g. corpora/ops).
    #[arg(long)]
    out: PathBuf,
}

fn stable_hash(text: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    text.hash(&mut h);
    h.finish()
}

pub fn run(args: ImportArgs) -> Result<ExitCode> {
    let mut seen = BTreeSet::new();
    let (mut read, mut written) = (0, 0);
    for input in &args.inputs {
        let files = if input.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(input)
                .with_context(|| format!("{}", input.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            v.sort();
            v
        } else {
            vec![input.clone()]
        };
        for f in files {
            let data = std::fs::read(&f).with_context(|| format!("{}", f.display()))?;
            read += 1;
            let program = match args.target {
                Target::Ops => Program::from_fuzz_bytes(&data),
                Target::Der => Program::from_der_fuzz_bytes(&data),
            };
            if program.ops.is_empty() {
                continue;
            }
            let text = program.to_string();
            let hash = stable_hash(&text);
            if !seen.insert(hash) {
                continue;
            }
            let path = args.out.join(format!("imported-{hash:016x}.txt"));
            if !path.exists() {
                corpus::write_program(
                    &path,
                    &format!(
                        "imported from {}\ncommand: {}",
                        f.display(),
                        super::command_line()
                    ),
                    &program,
                )?;
                written += 1;
            }
        }
    }
    println!(
        "{read} inputs, {} distinct programs, {written} new files in {}",
        seen.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
