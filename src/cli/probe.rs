//! `sessdiff probe`: measure which behaviour of each profile switch the
//! linked libssl shows ([`sessdiff::survey::probe`]).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;

use sessdiff::survey::probe::{self, Verdict};
use sessdiff::survey::worker::WorkerCommand;

/// Measure, switch by switch, which behaviour the linked libssl shows: each
/// switch's probe programs (the upgrade reproducers that name it) run under
/// each behaviour the measured releases have. Exits 1 when a switch shows
/// no measured behaviour, the model's guess is wrong, or the measures do
/// not settle.
#[derive(Args)]
pub struct ProbeArgs {
    /// The probe programs (files or folders): programs whose `# switch:`
    /// header names the switch they tell apart; the upgrade reproducers and
    /// `corpora/probes`.
    #[arg(long, num_args = 1.., default_values = probe::PROBE_DIRS)]
    probes: Vec<PathBuf>,
    /// Write the report here: `probe.md` and `probe.tsv` (one line a
    /// switch, for scripts/matrix.sh).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The model's guess to start from (default: the linked release's
    /// profile).
    #[command(flatten)]
    model: super::ModelArgs,
}

pub fn run(args: ProbeArgs) -> Result<ExitCode> {
    let probes = probe::read_probes(&args.probes).context("reading the probes")?;
    args.model.apply();
    let base = match &args.model.model.0 {
        Some((_, spec)) => spec.clone(),
        None => sessdiff::backend::library_profile().to_string(),
    };
    let library = sessdiff::backend::library_described();
    eprintln!(
        "sessdiff probe: {} switches, {} probe programs, against {library}, from the {} model",
        probes.len(),
        probes.iter().map(|p| p.programs.len()).sum::<usize>(),
        args.model.name()
    );
    let worker = WorkerCommand::process(
        std::env::current_exe()?,
        ["survey-worker", "--target", "ops", "--ops", "32"]
            .map(String::from)
            .to_vec(),
    );
    let report = probe::measure(&worker, &base, &probes, Duration::from_secs(10), &mut |l| {
        eprintln!("{l}")
    })?;
    let md = report.markdown(&library);
    print!("{md}");
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(dir.join("probe.md"), &md)?;
        std::fs::write(dir.join("probe.tsv"), report.lines())?;
        eprintln!("written to {}", dir.join("probe.md").display());
    }
    let wrong = report
        .switches
        .iter()
        .filter(|m| m.verdict == Verdict::NoCandidate || m.guess_agrees == Some(false))
        .count();
    if !report.settled {
        eprintln!(
            "sessdiff probe: the measures did not settle in {} rounds",
            probe::MAX_ROUNDS
        );
    }
    if wrong > 0 {
        eprintln!(
            "sessdiff probe: {wrong} of {} switches: the model's guess is wrong or no measured behaviour fits",
            report.switches.len()
        );
    }
    Ok(if wrong == 0 && report.settled {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::DIVERGED)
    })
}
