//! The survey: every distinct difference between the model and a library
//! in one run, grouped into classes, shrunk and reported.
//!
//! Where `fuzz` stops at the first divergence, a survey runs campaign
//! programs past them, in batches, in a [worker process](worker) that a
//! crash or a hang in the library may kill without ending the survey.
//!
//! * **Classes.** A divergent program belongs to the class of its
//!   [signature](crate::lockstep::Divergence::signature); a dead worker
//!   gives `crash:<signal>:<op>` or `hang:<op>`, found by running the
//!   batch's programs one at a time in fresh workers. The first program of
//!   a class is shrunk (keeping the signature); later ones are counted, and
//!   the three smallest are kept as other witnesses.
//! * **Masking.** A difference that most programs show would hide the
//!   others behind it: each divergent program is run again with the op
//!   where it diverged removed, up to [`serve::MAX_MASKS`] times, and every
//!   signature on the way counts.
//! * **One difference, one class.** Two classes on the same field are
//!   merged when deleting one op of either's reproducer gives the other's
//!   signature: the same leaked reference seen at the drain's `free`, at
//!   its `ssl_free` or at its `ctx_free`, or the same reordering seen at
//!   `cache_flush` and at `ctx_free`. The later signature is kept as an
//!   alias. Classes that differ on the same field and are not merged are
//!   flagged as possibly the same.
//! * **Expected classes.** Signatures listed in an `--expect` file (or a
//!   previous `survey.json`) are reported but do not fail the survey.
//!
//! The report ([`report`]) is rewritten whenever a class is found, so what
//! a survey found is on disk even if it is stopped.

pub mod matrix;
pub mod probe;
pub mod report;
pub mod serve;
pub mod summary;
pub mod upgrade;
pub mod worker;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::campaign;
use crate::program::Program;
use crate::shrink;
use serve::without;
use summary::Summary;
use worker::{Death, RunOutcome, Worker, WorkerCommand};

/// What to survey.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which programs, and the limits.
    pub campaign: campaign::Config,
    /// Where the report goes.
    pub out: PathBuf,
    /// Signatures that are expected (reported, but not failures).
    pub expect: BTreeSet<String>,
    /// The command line, for the report and program headers.
    pub command: String,
    /// How to start a worker.
    pub worker: WorkerCommand,
    /// Programs per batch.
    pub batch: u64,
    /// How long one program may run before it counts as a hang.
    pub hang_after: Duration,
    /// The model's profile, for the report (`4.0.3`).
    pub model: String,
    /// The flags that select the same model and faults in `replay`
    /// (`--model`, `3.0.19`), or none for the defaults.
    pub replay_flags: Vec<String>,
    /// The upgrade this survey measures, when the model follows another
    /// release than the library's: classes are then explained by switch
    /// and `upgrade.md` is written.
    pub upgrade: Option<upgrade::Upgrade>,
}

/// The least time a new class's shrinking gets.
const MIN_SHRINK: Duration = Duration::from_secs(5);

/// How long a candidate may stall while a class that is not a hang is
/// shrunk.
const SHRINK_HANG: Duration = Duration::from_secs(1);

/// How long a candidate may stall, while a class of `signature` is
/// shrunk, before it counts as a hang: a hang's class waits as the survey
/// does (`hang_after`); for any other, a candidate that stalls is not a
/// divergence or a crash like it, and a short wait tells enough.
fn shrink_wait(signature: &str, hang_after: Duration) -> Duration {
    if signature.starts_with("hang:") {
        hang_after
    } else {
        hang_after.min(SHRINK_HANG)
    }
}

/// How many other witnesses a class keeps.
const WITNESSES: usize = 3;

/// One class of differences.
#[derive(Debug, Clone)]
pub struct Class {
    /// The signature.
    pub signature: String,
    /// Other signatures merged into this class.
    pub aliases: Vec<String>,
    /// Programs that showed it (each program counts once per class).
    pub count: u64,
    /// The campaign index of the first program that showed it.
    pub first: u64,
    /// The shrunk reproducer.
    pub reproducer: Program,
    /// The length of the program it was shrunk from.
    pub shrunk_from: usize,
    /// The smallest other programs that showed it.
    pub witnesses: Vec<Program>,
    /// The divergence of the reproducer; `None` for a crash or a hang.
    pub summary: Option<Summary>,
    /// For a crash or hang: the worker's last words on standard error.
    pub stderr: String,
    /// The signatures the reproducer shows with one op deleted: how merges
    /// are decided.
    pub neighbours: BTreeSet<String>,
    /// Whether an `--expect` list names it.
    pub expected: bool,
    /// In an upgrade survey, what explains it (see [`upgrade::explain`]).
    pub explained: Option<upgrade::Explanation>,
}

impl Class {
    /// The field key of a divergence signature (after its last `:`), or the
    /// kind of a crash or hang.
    pub fn field(&self) -> &str {
        field_of(&self.signature)
    }

    /// The signature and its aliases.
    pub fn signatures(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.signature).chain(&self.aliases)
    }

    /// Whether a crash or a hang.
    pub fn is_death(&self) -> bool {
        self.summary.is_none()
    }

    /// Counts another program that shows this class, and keeps it as a
    /// witness if it is among the [`WITNESSES`] smallest.
    fn witnessed(&mut self, program: Program) {
        self.count += 1;
        if self.witnesses.len() < WITNESSES
            || self
                .witnesses
                .iter()
                .any(|w| w.ops.len() > program.ops.len())
        {
            self.witnesses.push(program);
            self.witnesses.sort_by_key(|w| w.ops.len());
            self.witnesses.truncate(WITNESSES);
        }
    }

    /// Takes in `other`, a class found to be the same difference: its
    /// signature becomes an alias, and it counts as one more program.
    fn merge(&mut self, other: Class) {
        self.aliases.push(other.signature);
        self.neighbours.extend(other.neighbours);
        self.count += 1;
        self.expected |= other.expected;
    }
}

fn field_of(signature: &str) -> &str {
    if signature.starts_with("divergence:") {
        signature.rsplit(':').next().unwrap_or(signature)
    } else {
        signature.split(':').next().unwrap_or(signature)
    }
}

/// Counters of a survey so far.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Programs run.
    pub programs: u64,
    /// Programs that diverged or killed a worker.
    pub divergent: u64,
    /// Workers that died (crashes and hangs, in batches and shrinking).
    pub deaths: u64,
    /// Ops refused as a documented library bug (see
    /// [`crate::backend::Backend::hazard`]).
    pub refused: u64,
    /// Time spent.
    pub elapsed: Duration,
}

impl Stats {
    /// Programs per second.
    pub fn programs_per_sec(&self) -> f64 {
        self.programs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A survey in progress or done.
pub struct Survey {
    /// What it runs.
    pub config: Config,
    /// The classes found, in order of discovery.
    pub classes: Vec<Class>,
    /// Counters.
    pub stats: Stats,
    /// The library's version string.
    pub libssl: String,
    /// In an upgrade survey: differences a switch shows alone that the full
    /// upgrade does not, because other switches cancel them (the switch and
    /// the signature; see [`upgrade::explain`]).
    pub cancelled: Vec<(&'static str, String)>,
    by_signature: HashMap<String, usize>,
    worker: Worker,
    start: Instant,
}

impl Survey {
    /// Starts a worker; fails if it cannot.
    pub fn new(config: Config) -> Result<Survey> {
        let mut worker = Worker::new(config.worker.clone())?;
        worker.hang_after = config.hang_after;
        Ok(Survey {
            libssl: worker.version().to_string(),
            config,
            classes: Vec::new(),
            stats: Stats::default(),
            cancelled: Vec::new(),
            by_signature: HashMap::new(),
            worker,
            start: Instant::now(),
        })
    }

    /// The classes no `--expect` entry names.
    pub fn unexpected(&self) -> impl Iterator<Item = &Class> {
        self.classes.iter().filter(|c| !c.expected)
    }

    /// Runs until the time or program limit; `progress` is called after
    /// every batch. Writes the report whenever a class is found, and at the
    /// end.
    pub fn run(&mut self, mut progress: impl FnMut(&Survey)) -> Result<()> {
        self.start = Instant::now();
        report::clear(&self.config.out)?;
        self.write()?;
        let mut next = 0u64;
        loop {
            self.stats.elapsed = self.start.elapsed();
            let c = &self.config.campaign;
            let limit = c.programs.unwrap_or(u64::MAX);
            if next >= limit || c.duration.is_some_and(|d| self.stats.elapsed >= d) {
                break;
            }
            let to = (next + self.config.batch).min(limit);
            let ran_to = self.batch(next, to)?;
            self.stats.programs += ran_to - next;
            self.stats.refused = self.worker.refused;
            next = ran_to;
            self.stats.elapsed = self.start.elapsed();
            progress(self);
        }
        if let Some(up) = self.config.upgrade.clone() {
            upgrade::explain(self, &up)?;
        }
        self.write()
    }

    /// Runs programs `from..to`. When a program kills the worker, its
    /// class is found by running it alone in a fresh worker, and the batch
    /// goes on after it, unless the survey's time is up. Returns the index
    /// of the first program not run.
    fn batch(&mut self, mut from: u64, to: u64) -> Result<u64> {
        while from < to {
            let (divs, died) = match self.worker.batch(self.config.campaign.seed, from, to)? {
                Ok(divs) => (divs, None),
                Err(d) => (d.divs.clone(), Some(d)),
            };
            if !divs.is_empty() {
                self.worker.recycle();
            }
            for (index, chain) in divs {
                self.stats.divergent += 1;
                let program = self.program(index);
                let mut counted = BTreeSet::new();
                for (signature, masked) in chain {
                    if counted.insert(signature.clone()) {
                        self.found(index, &signature, without(&program, &masked), None)?;
                    }
                }
            }
            let Some(d) = died else { return Ok(to) };
            self.stats.deaths += 1;
            self.stats.divergent += 1;
            let program = without(&self.program(d.index), &d.masked);
            match self.worker.run(&program, true)? {
                RunOutcome::Died(death, step) => {
                    self.stats.deaths += 1;
                    let sig = death.signature(step.as_deref().unwrap_or("unknown"));
                    self.found(d.index, &sig, program, Some(death))?;
                }
                // Alone it does not die: what killed the worker depends on
                // what ran before it in the same process.
                _ => self.found(
                    d.index,
                    "crash:state-dependent:unknown",
                    program,
                    Some(d.death),
                )?,
            }
            from = d.index + 1;
            let over = self
                .config
                .campaign
                .duration
                .is_some_and(|t| self.start.elapsed() >= t);
            if over {
                break;
            }
        }
        Ok(from)
    }

    /// When shrinking a class found now must stop: the survey's deadline,
    /// but at least [`MIN_SHRINK`] from now.
    fn shrink_deadline(&self) -> Instant {
        let now = Instant::now();
        let end = self
            .config
            .campaign
            .duration
            .map_or(now + Duration::from_secs(3600), |d| self.start + d);
        end.max(now + MIN_SHRINK)
    }

    fn program(&self, index: u64) -> Program {
        let c = &self.config.campaign;
        campaign::program_for(c.target, c.seed, index, c.ops)
    }

    /// Counts `program` (campaign program `index`, masked) in the class of
    /// `signature`, making the class if it is new.
    fn found(
        &mut self,
        index: u64,
        signature: &str,
        program: Program,
        death: Option<Death>,
    ) -> Result<()> {
        if let Some(&i) = self.by_signature.get(signature) {
            self.classes[i].witnessed(program);
            return Ok(());
        }
        let class = self.new_class(index, signature, program, death)?;
        match twin(&self.classes, &class) {
            Some(i) => {
                self.by_signature.insert(class.signature.clone(), i);
                self.classes[i].merge(class);
            }
            None => {
                self.by_signature
                    .insert(class.signature.clone(), self.classes.len());
                self.classes.push(class);
            }
        }
        self.write()
    }

    fn new_class(
        &mut self,
        index: u64,
        signature: &str,
        program: Program,
        death: Option<Death>,
    ) -> Result<Class> {
        let shrunk_from = program.ops.len();
        let trace = death.is_some();
        // Shrinking stops at the survey's deadline (a class found late
        // still gets a few seconds): a crash costs a new worker and a hang
        // its whole timeout, candidate after candidate.
        let deadline = self.shrink_deadline();
        let hang_after = self.worker.hang_after;
        self.worker.hang_after = shrink_wait(signature, hang_after);
        let worker = &mut self.worker;
        let mut deaths = 0;
        let reproducer = shrink::shrink(&program, signature, &mut |p| {
            if Instant::now() >= deadline {
                return None;
            }
            let r = worker.run(p, trace).ok()?;
            deaths += u64::from(matches!(r, RunOutcome::Died(..)));
            r.signature()
        });
        self.stats.deaths += deaths;
        self.worker.hang_after = hang_after;
        self.worker.recycle();
        let outcome = self.worker.classify(&reproducer)?;
        let (summary, stderr) = match (trace, outcome) {
            (false, RunOutcome::Diverged(s)) => (Some(*s), String::new()),
            _ => (None, self.worker.last_stderr.clone()),
        };
        let mut neighbours = BTreeSet::new();
        if summary.is_some() {
            for i in 0..reproducer.ops.len() {
                let r = self.worker.classify(&without(&reproducer, &[i]))?;
                neighbours.extend(r.signature().filter(|s| s != signature));
            }
        }
        let expected = self.config.expect.contains(signature);
        Ok(Class {
            signature: signature.to_string(),
            aliases: Vec::new(),
            count: 1,
            first: index,
            reproducer,
            shrunk_from,
            witnesses: Vec::new(),
            summary,
            stderr,
            neighbours,
            expected,
            explained: None,
        })
    }

    /// Writes the report into the output folder.
    pub fn write(&self) -> Result<()> {
        report::write(self)
            .and_then(|()| match &self.config.upgrade {
                Some(up) => upgrade::write(self, up),
                None => Ok(()),
            })
            .with_context(|| format!("writing the report to {}", self.config.out.display()))
    }

    /// Pairs of classes (indexes) that differ on the same field and were
    /// not merged: possibly the same difference.
    pub fn maybe_same(&self) -> Vec<(usize, usize)> {
        maybe_same(&self.classes)
    }
}

/// One difference, one class: the existing class that `class` merges
/// into, the first on the same field where either one's reproducer, with
/// one op deleted, shows the other's signature (or an alias of it).
fn twin(classes: &[Class], class: &Class) -> Option<usize> {
    classes.iter().position(|c| {
        c.field() == class.field()
            && (c.signatures().any(|s| class.neighbours.contains(s))
                || c.neighbours.contains(&class.signature))
    })
}

/// Pairs of classes (indexes, the earlier first) that are divergences on
/// the same field: possibly the same difference.
fn maybe_same(classes: &[Class]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in 0..classes.len() {
        for j in i + 1..classes.len() {
            let (a, b) = (&classes[i], &classes[j]);
            if !a.is_death() && !b.is_death() && a.field() == b.field() {
                out.push((i, j));
            }
        }
    }
    out
}

/// Reads an `--expect` file: one signature per line (`#` comments), or a
/// previous `survey.json` (its classes' signatures and aliases).
pub fn read_expect(path: &std::path::Path) -> Result<BTreeSet<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    if text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not valid JSON", path.display()))?;
        let classes = v["classes"]
            .as_array()
            .with_context(|| format!("{}: no `classes` list: not a survey.json", path.display()))?;
        let mut out = BTreeSet::new();
        for c in classes {
            out.extend(c["signature"].as_str().map(str::to_string));
            for a in c["aliases"].as_array().into_iter().flatten() {
                out.extend(a.as_str().map(str::to_string));
            }
        }
        return Ok(out);
    }
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if !(line.starts_with("divergence:")
            || line.starts_with("crash:")
            || line.starts_with("hang:"))
            || line.contains(char::is_whitespace)
        {
            anyhow::bail!(
                "{}:{}: expected a signature (divergence:…, crash:… or hang:…), found `{line}`",
                path.display(),
                i + 1
            );
        }
        out.insert(line.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
