//! `sessdiff generate`: write a campaign's programs as text files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use sessdiff::{campaign, corpus};

/// Write the first COUNT programs of a seeded campaign as text files (to
/// replay them elsewhere, e.g. under valgrind, or to seed a corpus).
#[derive(Args)]
pub struct GenerateArgs {
    /// How many programs.
    #[arg(long, default_value_t = 100)]
    count: u64,
    /// The campaign's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// What the programs exercise: `ops` or `der`.
    #[arg(long, value_enum, default_value_t = campaign::Target::Ops)]
    target: campaign::Target,
    /// Ops per program (for `--target ops`).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    ops: u16,
    /// The folder to write `seed<S>-program<I>.txt` files into.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: GenerateArgs) -> Result<ExitCode> {
    for i in 0..args.count {
        let p = campaign::program_for(args.target, args.seed, i, args.ops as usize);
        let path = args.out.join(format!("seed{}-program{i}.txt", args.seed));
        let header = format!(
            "sessdiff generate --target {} --seed {} --ops {} (program {i})",
            args.target, args.seed, args.ops
        );
        corpus::write_program(&path, &header, &p)?;
    }
    println!("wrote {} programs to {}", args.count, args.out.display());
    Ok(ExitCode::SUCCESS)
}
