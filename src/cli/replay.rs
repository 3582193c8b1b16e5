//! `sessdiff replay`: run text programs against libssl.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use sessdiff::corpus;
use sessdiff::lockstep;
use sessdiff::survey::worker::{RunOutcome, Worker, WorkerCommand};

/// Replay program files (or every *.txt under folders) in lockstep against
/// libssl; report PASS, DIVERGE or (with --isolate) CRASH per file, with
/// the signature.
#[derive(Args)]
pub struct ReplayArgs {
    /// Program files or folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print the agreed trace of each program.
    #[arg(short, long)]
    verbose: bool,
    /// Run each program in a worker process, so that a program that
    /// crashes or hangs the library is reported as CRASH and the replay
    /// goes on (for a survey's classes).
    #[arg(long)]
    isolate: bool,
    /// Invert the check: every program must diverge (or crash), with the
    /// signature its `# signature:` header line names, if it has one (and
    /// it is not marked `# isolated: yes`). For upgrade reproducers run
    /// under the release they upgrade from.
    #[arg(long)]
    expect_divergence: bool,
    #[command(flatten)]
    model: super::ModelArgs,
    #[command(flatten)]
    planted: super::survey::Planted,
}

pub fn run(args: ReplayArgs) -> Result<ExitCode> {
    // Read everything first: bad input is reported before anything runs.
    let programs = corpus::read_programs(&args.paths)?;
    super::limit_memory(super::PROCESS_MEMORY)?;
    args.model.apply();
    eprintln!(
        "sessdiff replay: {}, the {} model against {}",
        super::count(programs.len() as u64, "program"),
        args.model.name(),
        sessdiff::backend::library_described()
    );
    let mut worker = if args.isolate || args.planted.any() {
        let mut a = vec![
            "survey-worker".into(),
            "--target".into(),
            "ops".into(),
            "--ops".into(),
            "32".into(),
        ];
        a.extend(args.model.args());
        a.extend(args.planted.args());
        Some(Worker::new(WorkerCommand::process(
            std::env::current_exe()?,
            a,
        ))?)
    } else {
        None
    };
    let mut failed = 0;
    for (f, program) in &programs {
        // What the program showed: `None` if it passed.
        let found = if let Some(w) = &mut worker {
            match w.classify(program)? {
                RunOutcome::Clean => {
                    println!("PASS     {}", f.display());
                    None
                }
                RunOutcome::Diverged(s) => {
                    println!("DIVERGE  {}  {}", f.display(), s.signature);
                    for l in s.report.lines() {
                        println!("    {l}");
                    }
                    Some(s.signature.clone())
                }
                died @ RunOutcome::Died(..) => {
                    let sig = died.signature().unwrap_or_default();
                    println!("CRASH    {}  {sig}", f.display());
                    for l in w.last_stderr.lines() {
                        println!("    {l}");
                    }
                    Some(sig)
                }
            }
        } else {
            match lockstep::run_against_libssl(program) {
                Ok(trace) => {
                    let refused = if trace.refused() > 0 {
                        format!(", {} refused", trace.refused())
                    } else {
                        String::new()
                    };
                    println!(
                        "PASS     {}  ({} ops, {} skipped{refused})",
                        f.display(),
                        trace.executed(),
                        trace.skipped()
                    );
                    if args.verbose {
                        print!("{trace}");
                    }
                    None
                }
                Err(d) => {
                    println!("DIVERGE  {}  {}", f.display(), d.signature());
                    if args.verbose {
                        print!("{}", d.trace);
                    }
                    for l in d.to_string().lines() {
                        println!("    {l}");
                    }
                    Some(d.signature())
                }
            }
        };
        let ok = if args.expect_divergence {
            // An isolated upgrade reproducer may show another switch's
            // difference first under the full profile: any divergence does.
            let isolated = corpus::header_value(f, "isolated")?.is_some_and(|v| v == "yes");
            let expected = corpus::header_value(f, "signature")?.filter(|_| !isolated);
            match (&found, &expected) {
                (None, _) => {
                    println!("    expected a divergence, but it passed");
                    false
                }
                (Some(got), Some(want)) if got != want => {
                    println!("    expected {want}");
                    false
                }
                _ => true,
            }
        } else {
            found.is_none()
        };
        if !ok {
            failed += 1;
        }
    }
    let verdict = if args.expect_divergence {
        "diverged as expected"
    } else {
        "passed"
    };
    println!("{} {verdict}, {} failed", programs.len() - failed, failed);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::DIVERGED)
    })
}
