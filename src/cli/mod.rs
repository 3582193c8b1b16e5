//! One module per subcommand.

pub mod encodings;
pub mod fuzz;
pub mod generate;
pub mod import;
pub mod matrix;
pub mod probe;
pub mod replay;
pub mod report;
pub mod shrink;
pub mod survey;

use clap::Args;
use sessdiff::campaign::Target;

/// Which programs a seeded campaign makes (`fuzz`, `survey` and
/// `generate`).
#[derive(Args, Clone, Copy)]
pub struct CampaignArgs {
    /// The campaign's seed; the same seed gives the same programs. Without
    /// it a random seed is chosen and printed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// What to exercise: `ops`, random call programs; `der`, mostly-valid
    /// session DER through every decode path.
    #[arg(long, value_enum, default_value_t = Target::Ops)]
    pub target: Target,
    /// Ops per program (for `--target ops`).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub ops: u16,
}

impl CampaignArgs {
    /// The seed: the one given, or a random one, announced on standard
    /// error so that the run can be repeated.
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or_else(|| {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            let seed = h.finish() >> 16;
            eprintln!("sessdiff: random seed {seed} (--seed {seed} repeats this run)");
            seed
        })
    }

    /// The flags that make the same programs: `--target T --seed S --ops N`.
    pub fn flags(&self, seed: u64) -> String {
        format!("--target {} --seed {seed} --ops {}", self.target, self.ops)
    }
}

/// How long a campaign runs (`fuzz` and `survey`).
#[derive(Args, Clone, Copy)]
pub struct LimitArgs {
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 60.0, value_parser = positive)]
    pub seconds: f64,
    /// Stop after this many programs (whichever limit comes first).
    #[arg(long)]
    pub programs: Option<u64>,
}

/// A positive, finite number of seconds.
pub fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("`{s}` is not a positive number of seconds")),
    }
}

/// Which release's behaviour the native model follows.
#[derive(Args, Clone)]
pub struct ModelArgs {
    /// The release whose behaviour the native model follows: `auto` (the
    /// linked libssl's release), a release such as `3.0.19` or `4.0.3`, or
    /// a release with switches of another: `4.0.3,re_add=3.0.19`.
    #[arg(long, default_value = "auto", value_parser = parse_model)]
    pub model: Model,
}

/// A `--model` value: a profile and the text that named it, or `None` for
/// `auto`.
#[derive(Clone, Debug)]
pub struct Model(pub Option<(sessdiff::native::Profile, String)>);

fn parse_model(s: &str) -> Result<Model, String> {
    if s == "auto" {
        return Ok(Model(None));
    }
    sessdiff::native::Profile::parse(s).map(|p| Model(Some((p, s.to_string()))))
}

impl ModelArgs {
    /// Makes the native model follow this profile in this process and
    /// returns it.
    pub fn apply(&self) -> &'static sessdiff::native::Profile {
        sessdiff::backend::set_model(self.model.0.as_ref().map(|(p, _)| *p));
        sessdiff::backend::model()
    }

    /// The flags a user passes to select the same profile: none for `auto`.
    pub fn flags(&self) -> Vec<String> {
        match self.model.0 {
            Some(_) => self.args(),
            None => Vec::new(),
        }
    }

    /// The flag that selects the same profile in a worker.
    pub fn args(&self) -> Vec<String> {
        let value = self
            .model
            .0
            .as_ref()
            .map_or_else(|| "auto".to_string(), |(_, spec)| spec.clone());
        vec!["--model".into(), value]
    }

    /// The name of the profile for people: `3.0.19`, `4.0.3,re_add=3.0.19`,
    /// or the linked release for `auto`; a release that was not measured is
    /// said to be one: `3.0.10 (3.0.10: not measured, follows 3.0.8)`.
    pub fn name(&self) -> String {
        match &self.model.0 {
            Some((_, spec)) => {
                let notes: Vec<String> = spec
                    .split(',')
                    .map(|part| part.rsplit('=').next().unwrap_or(part))
                    .filter_map(|r| sessdiff::native::releases::lookup(r).ok()?.note())
                    .collect();
                if notes.is_empty() {
                    spec.clone()
                } else {
                    format!("{spec} ({})", notes.join("; "))
                }
            }
            None => {
                let m = sessdiff::backend::model().to_string();
                match sessdiff::backend::linked_release_note() {
                    Some(note) => format!("{m} ({note})"),
                    None => m,
                }
            }
        }
    }
}

/// The command line as typed, in the form that runs it again
/// ([`sessdiff::rerun::command`]: `sessdiff …`, or through
/// `scripts/against.sh`), for report and program headers.
pub fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    sessdiff::rerun::command(&args)
}

/// The command that replays `path` as this process ran: the same model
/// (its `--model` flag, if one was given), the same library, and `extra`
/// flags (`--isolate`, planted faults) before the path.
pub fn replay_command(model: &ModelArgs, extra: &[String], path: &std::path::Path) -> String {
    let mut args = vec!["replay".to_string()];
    args.extend(extra.iter().cloned());
    args.extend(model.flags());
    args.push(path.display().to_string());
    sessdiff::rerun::command(&args)
}

/// A progress bar over `seconds` on standard error, drawn only on a
/// terminal; the second value says whether it is drawn (else the caller
/// prints a line now and then).
pub fn progress_bar(seconds: f64) -> (indicatif::ProgressBar, bool) {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    let tty = std::io::stderr().is_terminal();
    let bar =
        ProgressBar::with_draw_target(Some((seconds * 10.0) as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    if !tty {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    (bar, tty)
}

/// Limits this process's address space to `bytes`, so that a library
/// that corrupts its heap and loops allocating (3.0.0 and 3.0.8 can, see
/// the README) ends this process instead of exhausting the machine.
pub fn limit_memory(bytes: u64) -> anyhow::Result<()> {
    rlimit::Resource::AS
        .set(bytes, bytes)
        .map_err(|e| anyhow::anyhow!("cannot limit the address space to {bytes} bytes: {e}"))
}

/// The address space of a command that runs libssl in this process.
pub const PROCESS_MEMORY: u64 = 4 << 30;

/// `n` and a noun in the number that fits: `1 program`, `2 programs`.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Exit code for a divergence.
pub const DIVERGED: u8 = 1;
