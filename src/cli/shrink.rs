//! `sessdiff shrink`: minimise a divergent program.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

use sessdiff::{corpus, lockstep, shrink};

/// Shrink a program that diverges against libssl to a minimal one with the
/// same divergence signature.
#[derive(Args)]
pub struct ShrinkArgs {
    /// The divergent program.
    file: PathBuf,
    /// Where to write the result (default: FILE with `.min.txt`).
    #[arg(short, long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    model: super::ModelArgs,
}

pub fn run(args: ShrinkArgs) -> Result<ExitCode> {
    super::limit_memory(super::PROCESS_MEMORY)?;
    args.model.apply();
    let program = corpus::read_program(&args.file)?;
    let Err(d) = lockstep::run_against_libssl(&program) else {
        bail!(
            "{}: the program does not diverge; nothing to shrink",
            args.file.display()
        );
    };
    let sig = d.signature();
    let min = shrink::shrink_against_libssl(&program).unwrap_or_else(|| program.clone());
    let out = args
        .out
        .unwrap_or_else(|| args.file.with_extension("min.txt"));
    let header = format!(
        "{sig}\nshrunk from {} ({} ops)\ncommand: {}",
        args.file.display(),
        program.ops.len(),
        super::command_line()
    );
    corpus::write_program(&out, &header, &min)?;
    println!("{sig}: {} ops -> {} ops", program.ops.len(), min.ops.len());
    print!("{min}");
    println!("written to {}", out.display());
    println!(
        "reproduce: {}",
        super::replay_command(&args.model, &[], &out)
    );
    Ok(ExitCode::from(super::DIVERGED))
}
