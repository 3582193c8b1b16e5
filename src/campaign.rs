//! A differential fuzzing campaign without libFuzzer: seeded random
//! programs, run in lockstep until a time or count limit or the first
//! divergence.
//!
//! Program `i` of seed `s` is decoded from the bytes of ChaCha8 stream `i`
//! under key `s` — by [`Program::generate`] for the `ops` target, by
//! [`Program::from_der_fuzz_bytes`] for the `der` target — so any program
//! of a campaign can be regenerated on its own, on any machine.

use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::backend::Backend;
use crate::lockstep::{self, Divergence};
use crate::program::Program;

/// Random bytes drawn per op of a program (generation retries illegal ops).
const BYTES_PER_OP: usize = 64;

/// What a campaign's programs exercise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Random call programs over the whole call language.
    #[default]
    Ops,
    /// Mostly-valid session DER through every decode path: decode, decode
    /// into a session, dup (each input is a `Program::der_probe`).
    Der,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Target::Ops => "ops",
            Target::Der => "der",
        })
    }
}

/// Program `index` of the `ops` campaign with `seed`, of at most `ops` ops.
pub fn program(seed: u64, index: u64, ops: usize) -> Program {
    program_for(Target::Ops, seed, index, ops)
}

/// Program `index` of the campaign on `target` with `seed`; `ops` bounds
/// the length of `ops` programs.
pub fn program_for(target: Target, seed: u64, index: u64, ops: usize) -> Program {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    let mut bytes = vec![0u8; ops * BYTES_PER_OP];
    rng.fill_bytes(&mut bytes);
    match target {
        Target::Ops => Program::generate(&mut Unstructured::new(&bytes), ops).unwrap_or_default(),
        Target::Der => {
            bytes[0] = 1; // the structure-aware mode
            Program::from_der_fuzz_bytes(&bytes)
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The campaign's seed.
    pub seed: u64,
    /// What the programs exercise.
    pub target: Target,
    /// Ops per program.
    pub ops: usize,
    /// Stop after this long, if set.
    pub duration: Option<Duration>,
    /// Stop after this many programs, if set.
    pub programs: Option<u64>,
}

/// Counters of a campaign so far.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Programs run.
    pub programs: u64,
    /// Ops run on both sides (legal program ops plus drain steps).
    pub ops: u64,
    /// Program ops skipped as illegal.
    pub skipped: u64,
    /// Program ops refused because the library has a documented bug they
    /// would hit ([`crate::backend::Backend::hazard`]).
    pub refused: u64,
    /// Time spent.
    pub elapsed: Duration,
}

impl Stats {
    /// Programs per second.
    pub fn programs_per_sec(&self) -> f64 {
        self.programs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    /// Ops per second.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A divergent program and where it came from.
#[derive(Debug)]
pub struct Found {
    /// The program's index in the campaign.
    pub index: u64,
    /// The program.
    pub program: Program,
    /// What differed.
    pub divergence: Box<Divergence>,
}

/// Runs programs on fresh backend pairs from `make` until a limit or the
/// first divergence. `progress` is called about every 100 ms.
pub fn run<L, R>(
    config: &Config,
    mut make: impl FnMut() -> (L, R),
    mut progress: impl FnMut(&Stats),
) -> (Stats, Option<Found>)
where
    L: Backend,
    R: Backend,
{
    let start = Instant::now();
    let mut stats = Stats::default();
    let mut last_report = start;
    for index in 0.. {
        stats.elapsed = start.elapsed();
        if config.programs.is_some_and(|n| index >= n)
            || config.duration.is_some_and(|d| stats.elapsed >= d)
        {
            break;
        }
        let program = program_for(config.target, config.seed, index, config.ops);
        let (mut left, mut right) = make();
        let result = lockstep::run(&program, &mut left, &mut right);
        stats.programs += 1;
        match result {
            Ok(trace) => {
                stats.ops += trace.steps.iter().filter(|s| s.ret.is_some()).count() as u64;
                stats.skipped += trace.skipped() as u64;
                stats.refused += trace.refused() as u64;
            }
            Err(divergence) => {
                stats.elapsed = start.elapsed();
                progress(&stats);
                return (
                    stats,
                    Some(Found {
                        index,
                        program,
                        divergence,
                    }),
                );
            }
        }
        if last_report.elapsed() >= Duration::from_millis(100) {
            last_report = Instant::now();
            stats.elapsed = start.elapsed();
            progress(&stats);
        }
    }
    stats.elapsed = start.elapsed();
    progress(&stats);
    (stats, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_reproducible_per_index() {
        assert_eq!(program(7, 3, 32), program(7, 3, 32));
        assert_ne!(program(7, 3, 32), program(7, 4, 32));
        assert_ne!(program(7, 3, 32), program(8, 3, 32));
        assert_eq!(program(7, 3, 32).ops.len(), 32);
    }

    #[test]
    fn the_counts_are_the_traces_sums_and_progress_is_paced() {
        use crate::backend::NativeBackend;
        // 3.0.0's profile refuses the ops that would hit its dup bug, so
        // some programs have refused ops as well as skipped ones.
        let p = crate::native::Profile::named("3.0.0").unwrap().interned();
        let make = || {
            (
                NativeBackend::with_profile(p),
                NativeBackend::with_profile(p),
            )
        };
        let config = Config {
            seed: 5,
            target: Target::Ops,
            ops: 32,
            duration: None,
            programs: Some(300),
        };
        let mut calls = 0;
        let (stats, found) = run(&config, make, |_| calls += 1);
        assert!(found.is_none());
        let (mut ops, mut skipped, mut refused) = (0, 0, 0);
        for i in 0..300 {
            let (mut l, mut r) = make();
            let t = lockstep::run(&program(5, i, 32), &mut l, &mut r).unwrap();
            // Every step that ran, the drain's included.
            ops += t.steps.iter().filter(|s| s.ret.is_some()).count() as u64;
            skipped += t.skipped() as u64;
            refused += t.refused() as u64;
        }
        assert!(skipped > 0 && refused > 0, "{skipped} {refused}");
        assert_eq!(
            (stats.programs, stats.ops, stats.skipped, stats.refused),
            (300, ops, skipped, refused)
        );
        // Progress about every 100 ms and once at the end, not per program.
        let most = 2 + (stats.elapsed.as_millis() / 100) as u32;
        assert!(
            calls <= most && calls < 150,
            "{calls} calls in {:?}",
            stats.elapsed
        );
    }
}
