//! `sessdiff replay`: run text programs against libssl.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use sessdiff::corpus;
use sessdiff::lockstep;

/// Replay program files (or every *.txt under folders) in lockstep against
/// libssl; report PASS or DIVERGE per file.
#[derive(Args)]
pub struct ReplayArgs {
    /// Program files or folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print the agreed trace of each program.
    #[arg(short, long)]
    verbose: bool,
}

pub fn run(args: ReplayArgs) -> Result<ExitCode> {
    // Read everything first: bad input is reported before anything runs.
    let mut programs = Vec::new();
    for p in &args.paths {
        for f in corpus::program_files(p)? {
            let program = corpus::read_program(&f)?;
            programs.push((f, program));
        }
    }
    let mut diverged = 0;
    for (f, program) in &programs {
        match lockstep::run_against_libssl(program) {
            Ok(trace) => {
                println!(
                    "PASS     {}  ({} ops, {} skipped)",
                    f.display(),
                    trace.executed(),
                    trace.skipped()
                );
                if args.verbose {
                    print!("{trace}");
                }
            }
            Err(d) => {
                diverged += 1;
                println!("DIVERGE  {}", f.display());
                if args.verbose {
                    print!("{}", d.trace);
                }
                for l in d.to_string().lines() {
                    println!("    {l}");
                }
            }
        }
    }
    println!(
        "{} passed, {} diverged",
        programs.len() - diverged,
        diverged
    );
    Ok(if diverged == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::DIVERGED)
    })
}
