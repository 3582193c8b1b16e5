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
    #[command(flatten)]
    campaign: super::CampaignArgs,
    /// The folder to write `seed<S>-program<I>.txt` files into.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: GenerateArgs) -> Result<ExitCode> {
    let seed = args.campaign.seed();
    let super::CampaignArgs { target, ops, .. } = args.campaign;
    for i in 0..args.count {
        let p = campaign::program_for(target, seed, i, ops as usize);
        let path = args.out.join(format!("seed{seed}-program{i}.txt"));
        let header = format!(
            "sessdiff generate {} (program {i})\ncommand: {}",
            args.campaign.flags(seed),
            super::command_line()
        );
        corpus::write_program(&path, &header, &p)?;
    }
    println!("wrote {} programs to {}", args.count, args.out.display());
    Ok(ExitCode::SUCCESS)
}
