//! `sessdiff fuzz`: a seeded campaign against the system libssl.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;

use sessdiff::campaign::{self, Config, Stats};
use sessdiff::{corpus, lockstep, shrink};

/// Run random programs on the native implementation and libssl in
/// lockstep until the time is up or they diverge.
#[derive(Args)]
pub struct FuzzArgs {
    #[command(flatten)]
    limits: super::LimitArgs,
    #[command(flatten)]
    campaign: super::CampaignArgs,
    #[command(flatten)]
    model: super::ModelArgs,
    /// Where to write a divergent program.
    #[arg(long, default_value = "divergences")]
    out: PathBuf,
}

fn line(s: &Stats) -> String {
    let refused = if s.refused > 0 {
        format!(", {} refused (a documented library bug)", s.refused)
    } else {
        String::new()
    };
    format!(
        "{} programs ({:.0}/s), {} ops ({:.0}/s), {} skipped (illegal where they stand: run on neither side){refused}, 0 divergences",
        s.programs,
        s.programs_per_sec(),
        s.ops,
        s.ops_per_sec(),
        s.skipped
    )
}

pub fn run(args: FuzzArgs) -> Result<ExitCode> {
    super::limit_memory(super::PROCESS_MEMORY)?;
    args.model.apply();
    let seed = args.campaign.seed();
    let config = Config {
        seed,
        target: args.campaign.target,
        ops: args.campaign.ops as usize,
        duration: Some(Duration::from_secs_f64(args.limits.seconds)),
        programs: args.limits.programs,
    };
    let version = sessdiff::backend::library_described();
    let what = match config.target {
        campaign::Target::Ops => format!("{} ops per program", config.ops),
        campaign::Target::Der => "DER probes".to_string(),
    };
    eprintln!(
        "sessdiff fuzz: seed {}, {what}, {} s, the {} model against {version}",
        config.seed,
        args.limits.seconds,
        args.model.name()
    );
    let (bar, tty) = super::progress_bar(args.limits.seconds);
    let mut last_line = Instant::now();
    let (stats, found) = campaign::run(&config, lockstep::against_libssl, |s| {
        bar.set_position((s.elapsed.as_secs_f64() * 10.0) as u64);
        bar.set_message(line(s));
        if !tty && last_line.elapsed() >= Duration::from_secs(10) {
            last_line = Instant::now();
            eprintln!("[{:>5.0}s] {}", s.elapsed.as_secs_f64(), line(s));
        }
    });
    bar.finish_and_clear();
    let Some(found) = found else {
        println!(
            "{} in {:.1} s: no divergence",
            line(&stats),
            stats.elapsed.as_secs_f64()
        );
        return Ok(ExitCode::SUCCESS);
    };
    let d = &found.divergence;
    let stem = format!("seed{}-program{}", config.seed, found.index);
    let mut found_by: Vec<String> = vec!["fuzz".into()];
    found_by.extend(args.campaign.flags(seed).split(' ').map(String::from));
    found_by.extend(args.model.flags());
    let header = format!(
        "{}\nfound by: {} (program {})\ncommand: {}\nagainst: {}",
        d.signature(),
        sessdiff::rerun::command(&found_by),
        found.index,
        super::command_line(),
        d.libssl_version
    );
    corpus::write_program(
        &args.out.join(format!("{stem}.orig")),
        &header,
        &found.program,
    )?;
    eprintln!("shrinking the {}-op program...", found.program.ops.len());
    let min =
        shrink::shrink_against_libssl(&found.program).unwrap_or_else(|| found.program.clone());
    let path = args.out.join(format!("{stem}.txt"));
    corpus::write_program(
        &path,
        &format!("{header}\nshrunk from {} ops", found.program.ops.len()),
        &min,
    )?;
    // Report the divergence of the minimal program.
    let report = lockstep::run_against_libssl(&min)
        .err()
        .unwrap_or_else(|| found.divergence.clone());
    println!("{report}");
    println!(
        "minimal program ({} ops, from {}):",
        min.ops.len(),
        found.program.ops.len()
    );
    for l in min.to_string().lines() {
        println!("  {l}");
    }
    println!();
    println!(
        "after {} programs and {} ops in {:.1} s",
        stats.programs,
        stats.ops,
        stats.elapsed.as_secs_f64()
    );
    println!("written to {}", path.display());
    println!(
        "reproduce: {}",
        super::replay_command(&args.model, &[], &path)
    );
    Ok(ExitCode::from(super::DIVERGED))
}
