//! `sessdiff survey`: every distinct difference in one run (see
//! [`sessdiff::survey`]), and the hidden `survey-worker` it runs programs in.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::Args;

use sessdiff::backend::{Backend, NativeBackend, OsslBackend};
use sessdiff::campaign::Target;
use sessdiff::survey::serve::{self, Setup};
use sessdiff::survey::worker::WorkerCommand;
use sessdiff::survey::{self, Config, Survey};

/// Run random programs past divergences and report every distinct class of
/// difference, each shrunk to a reproducer; a crash or hang in the library
/// is a class too. Exits 1 if a class is found that `--expect` does not
/// name.
#[derive(Args)]
pub struct SurveyArgs {
    #[command(flatten)]
    limits: super::LimitArgs,
    #[command(flatten)]
    campaign: super::CampaignArgs,
    #[command(flatten)]
    model: super::ModelArgs,
    /// Where to write survey.md, survey.html, survey.json and classes/.
    #[arg(long, default_value = "survey")]
    out: PathBuf,
    /// Known differences: a file of signatures, one per line (`#`
    /// comments), or a previous survey.json. Only classes it does not name
    /// fail the survey.
    #[arg(long)]
    expect: Option<PathBuf>,
    /// Seconds one program may run before it counts as a hang (`hang:<op>`).
    #[arg(long, default_value_t = 10.0, value_parser = super::positive)]
    hang_after: f64,
    #[command(flatten)]
    planted: Planted,
}

/// Faults planted in the model, for the harness's own tests (only in builds
/// with the `faults` feature).
#[derive(Args, Clone)]
pub struct Planted {
    /// A fault to plant in the native backend (repeatable).
    #[cfg(feature = "faults")]
    #[arg(long = "fault", hide = true)]
    faults: Vec<String>,
}

impl Planted {
    /// Whether any fault is planted.
    pub fn any(&self) -> bool {
        !self.args().is_empty()
    }

    /// The flags that plant the same faults in a worker.
    pub fn args(&self) -> Vec<String> {
        #[cfg(feature = "faults")]
        {
            self.faults
                .iter()
                .flat_map(|f| ["--fault".to_string(), f.clone()])
                .collect()
        }
        #[cfg(not(feature = "faults"))]
        {
            Vec::new()
        }
    }
}

/// Serve a survey: read requests on standard input (internal).
#[derive(Args)]
pub struct WorkerArgs {
    #[arg(long, value_enum)]
    target: Target,
    #[arg(long)]
    ops: usize,
    #[command(flatten)]
    model: super::ModelArgs,
    #[command(flatten)]
    planted: Planted,
}

fn line(s: &Survey) -> String {
    format!(
        "{} programs ({:.0}/s), {} divergent, {} classes, {} worker deaths",
        s.stats.programs,
        s.stats.programs_per_sec(),
        s.stats.divergent,
        s.classes.len(),
        s.stats.deaths
    )
}

pub fn run(args: SurveyArgs) -> Result<ExitCode> {
    let expect = match &args.expect {
        Some(f) => survey::read_expect(f)?,
        None => Default::default(),
    };
    let seed = args.campaign.seed();
    let ops = usize::from(args.campaign.ops);
    let mut worker_args = vec![
        "survey-worker".to_string(),
        "--target".into(),
        args.campaign.target.to_string(),
        "--ops".into(),
        ops.to_string(),
    ];
    worker_args.extend(args.model.args());
    worker_args.extend(args.planted.args());
    args.model.apply();
    let config = Config {
        campaign: sessdiff::campaign::Config {
            seed,
            target: args.campaign.target,
            ops,
            duration: Some(Duration::from_secs_f64(args.limits.seconds)),
            programs: args.limits.programs,
        },
        out: args.out.clone(),
        expect,
        command: format!(
            "{} {}",
            super::command_line(),
            if args.campaign.seed.is_none() {
                format!("--seed {seed}")
            } else {
                String::new()
            }
        )
        .trim_end()
        .to_string(),
        worker: WorkerCommand::process(std::env::current_exe()?, worker_args),
        batch: 256,
        hang_after: Duration::from_secs_f64(args.hang_after),
        model: args.model.name(),
        upgrade: args.model.model.0.as_ref().and_then(|(_, spec)| {
            survey::upgrade::Upgrade::new(spec, &sessdiff::backend::library_profile().to_string())
        }),
        replay_flags: args
            .model
            .flags()
            .into_iter()
            .chain(args.planted.args())
            .collect(),
    };
    let mut survey = Survey::new(config)?;
    eprintln!(
        "sessdiff survey: {}, {} s, the {} model against {}; report in {}",
        args.campaign.flags(seed),
        args.limits.seconds,
        args.model.name(),
        survey.libssl,
        args.out.display()
    );
    let (bar, tty) = super::progress_bar(args.limits.seconds);
    let mut last_line = Instant::now();
    let mut known = 0;
    survey.run(|s| {
        bar.set_position((s.stats.elapsed.as_secs_f64() * 10.0) as u64);
        bar.set_message(line(s));
        for c in &s.classes[known..] {
            bar.println(format!(
                "new class: {} ({} ops)",
                c.signature,
                c.reproducer.ops.len()
            ));
        }
        known = s.classes.len();
        if !tty && last_line.elapsed() >= Duration::from_secs(10) {
            last_line = Instant::now();
            eprintln!("[{:>5.0}s] {}", s.stats.elapsed.as_secs_f64(), line(s));
        }
    })?;
    bar.finish_and_clear();
    println!(
        "{} in {:.1} s",
        line(&survey),
        survey.stats.elapsed.as_secs_f64()
    );
    // What is new, class by class; expected classes in one line.
    for (n, c) in survey
        .classes
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.expected)
    {
        let aliases = if c.aliases.is_empty() {
            String::new()
        } else {
            format!(" (also {})", c.aliases.join(", "))
        };
        println!(
            "  {:>2}. {}{aliases}: {}, reproducer {} ops",
            n + 1,
            c.signature,
            super::count(c.count, "program"),
            c.reproducer.ops.len(),
        );
    }
    let expected: Vec<&str> = survey
        .classes
        .iter()
        .filter(|c| c.expected)
        .map(|c| c.signature.as_str())
        .collect();
    if !expected.is_empty() {
        println!("  expected, seen again: {}", expected.join(", "));
    }
    println!("report: {}", args.out.join("survey.md").display());
    if survey.classes.is_empty() {
        println!("no class: nothing differs, so there is nothing to replay");
    } else {
        println!(
            "replay: {}",
            sessdiff::survey::report::replay_command(&survey, true, &args.out.join("classes"))
        );
    }
    let unexpected = survey.unexpected().count();
    Ok(if unexpected == 0 {
        ExitCode::SUCCESS
    } else {
        println!("{unexpected} unexpected classes");
        ExitCode::from(super::DIVERGED)
    })
}

/// The worker's backends: the native model (with any planted faults) and
/// the linked libssl.
fn make(planted: &Planted) -> Result<impl Fn() -> (Box<dyn Backend>, OsslBackend)> {
    #[cfg(feature = "faults")]
    let faults: Vec<sessdiff::faults::Fault> = planted
        .faults
        .iter()
        .map(|f| f.parse().map_err(anyhow::Error::msg))
        .collect::<Result<_>>()?;
    #[cfg(not(feature = "faults"))]
    let _ = planted;
    Ok(move || {
        let left: Box<dyn Backend> = {
            #[cfg(feature = "faults")]
            {
                if faults.is_empty() {
                    Box::new(NativeBackend::new())
                } else {
                    Box::new(sessdiff::faults::FaultyBackend::with(&faults))
                }
            }
            #[cfg(not(feature = "faults"))]
            {
                Box::new(NativeBackend::new())
            }
        };
        #[allow(unused_mut)]
        let mut libssl = OsslBackend::new().expect("SSL_CTX_new failed");
        #[cfg(feature = "faults")]
        if faults.iter().any(|f| f.in_libssl()) {
            libssl.plant_extra_release();
        }
        (left, libssl)
    })
}

/// The address space a worker may use: a library that corrupts its heap
/// can loop allocating, and must fail (a class) before the machine does.
const WORKER_MEMORY: u64 = 1 << 30;

pub fn serve(args: WorkerArgs) -> Result<ExitCode> {
    if std::io::stdin().is_terminal() {
        bail!("survey-worker is run by `sessdiff survey`, not by hand");
    }
    super::limit_memory(WORKER_MEMORY)?;
    args.model.apply();
    let setup = Setup {
        target: args.target,
        ops: args.ops,
        make: make(&args.planted)?,
    };
    serve::serve(setup, std::io::stdin().lock(), std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
