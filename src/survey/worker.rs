//! Programs run in a worker process, so that a library that crashes or
//! hangs takes only the worker with it.
//!
//! The worker is `sessdiff survey-worker` (a hidden subcommand) reading
//! requests from its standard input, one per line, and answering on its
//! standard output:
//!
//! | request | answer |
//! |---|---|
//! | (start) | `hello <libssl version>` |
//! | `batch SEED FROM TO` | `start INDEX` before each program, `mask MASKED` before each masked re-run, `div INDEX SIG MASKED [SIG MASKED]…` per divergent program, then `done REFUSED` (ops refused as a documented library bug, see [`crate::backend::Backend::hazard`]) |
//! | `run` or `trace`, program lines, `.` | (`trace` only: `step <op>` before each step) then `clean` or `diverged <JSON>` |
//!
//! A batch runs campaign programs `FROM..TO` and, for each that diverges,
//! [masks](super::serve::chain) the op where it diverged and runs it again, so a
//! divergence that most programs show does not hide the ones behind it.
//! `MASKED` lists the program's op indexes removed before that signature
//! showed (`-` for none). `start` and `mask` lines are written before the
//! run they announce, so a worker that dies has said which program (and
//! which masked form of it) killed it. [`Worker`] is the parent's side: it
//! spawns the process, enforces time limits, and turns a death into a
//! [`Death`].

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use super::summary::Summary;
use crate::program::Program;

/// How a worker died.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Death {
    /// Killed by a signal (`SIGSEGV`, `SIGABRT`, …).
    Signal(String),
    /// Exited with a status (a panic in the harness exits with 101).
    Exit(i32),
    /// Did not answer in time and was killed.
    Hang,
}

impl Death {
    /// The class signature of a death at `op`: `crash:SIGABRT:ssl_clear`,
    /// `crash:exit101:free`, `hang:cache_flush`.
    pub fn signature(&self, op: &str) -> String {
        match self {
            Death::Signal(s) => format!("crash:{s}:{op}"),
            Death::Exit(c) => format!("crash:exit{c}:{op}"),
            Death::Hang => format!("hang:{op}"),
        }
    }
}

/// A divergent program of a batch: its index and its
/// [`chain`](super::serve::chain).
pub type Div = (u64, Vec<(String, Vec<usize>)>);

/// A batch that killed its worker: the divergent programs before the one
/// that did, that program's index and the ops masked in the run that died,
/// and how it died.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchDeath {
    /// Divergent programs that completed.
    pub divs: Vec<Div>,
    /// The program that was running.
    pub index: u64,
    /// The ops masked in the run that died.
    pub masked: Vec<usize>,
    /// How.
    pub death: Death,
}

/// What a `run` or `trace` request gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// No divergence.
    Clean,
    /// A divergence.
    Diverged(Box<Summary>),
    /// The worker died; with `trace`, the last step it began.
    Died(Death, Option<String>),
}

impl RunOutcome {
    /// The class signature, if the run found one (a death without a known
    /// step is placed at `unknown`).
    pub fn signature(&self) -> Option<String> {
        match self {
            RunOutcome::Clean => None,
            RunOutcome::Diverged(s) => Some(s.signature.clone()),
            RunOutcome::Died(d, step) => Some(d.signature(step.as_deref().unwrap_or("unknown"))),
        }
    }
}

/// How to start a worker: the `sessdiff` executable and the worker's
/// arguments, or a function of this process that serves them in a thread.
#[derive(Clone)]
pub struct WorkerCommand {
    /// The executable.
    pub program: std::path::PathBuf,
    /// Its arguments (`survey-worker --target ops --ops 32 …`).
    pub args: Vec<String>,
    /// Where set, the worker is a thread of this process running this
    /// function with the arguments instead of the executable: the
    /// survey's unit tests, which serve native backends (see
    /// [`ServeInThread`]).
    pub in_thread: Option<ServeInThread>,
}

impl WorkerCommand {
    /// The worker process `program ARGS`.
    pub fn process(program: std::path::PathBuf, args: Vec<String>) -> WorkerCommand {
        WorkerCommand {
            program,
            args,
            in_thread: None,
        }
    }
}

impl std::fmt::Debug for WorkerCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerCommand")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("in_thread", &self.in_thread.is_some())
            .finish()
    }
}

/// A worker served by a thread of this process: the function answers the
/// requests read from its second argument on its third, as the worker
/// process would with the arguments in its first (it is
/// [`super::serve::serve`] with backends of the caller's choosing). Such a
/// worker dies only by a panic in that thread, which shows as a process's
/// panic does: `Death::Exit(101)`.
pub type ServeInThread =
    Arc<dyn Fn(&[String], Box<dyn BufRead + Send>, Box<dyn Write + Send>) + Send + Sync>;

struct Running {
    /// The worker process; `None` for a worker in a thread.
    child: Option<Child>,
    stdin: Box<dyn Write + Send>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

/// The parent's side of a worker process, spawned on first use and again
/// after each death.
pub struct Worker {
    command: WorkerCommand,
    running: Option<Running>,
    version: String,
    /// How long one program (or one step, when traced) may take before
    /// it counts as a hang.
    pub hang_after: Duration,
    /// The last lines the last dead worker wrote to its standard error.
    pub last_stderr: String,
    /// Ops the worker's batches refused as documented library bugs.
    pub refused: u64,
}

impl Worker {
    /// A worker started with `command`; fails if it does not say hello.
    pub fn new(command: WorkerCommand) -> Result<Worker> {
        let mut w = Worker {
            command,
            running: None,
            version: String::new(),
            hang_after: Duration::from_secs(10),
            last_stderr: String::new(),
            refused: 0,
        };
        w.start()?;
        Ok(w)
    }

    /// The libssl version the worker runs against.
    pub fn version(&self) -> &str {
        &self.version
    }

    fn start(&mut self) -> Result<()> {
        let command = &self.command;
        let (child, stdin, stdout, mut err): (_, Box<dyn Write + Send>, Box<dyn Read + Send>, _) =
            match &command.in_thread {
                None => {
                    let mut child = Command::new(&command.program)
                        .args(&command.args)
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .with_context(|| format!("starting {}", command.program.display()))?;
                    let stdin = child.stdin.take().expect("piped");
                    let stdout = child.stdout.take().expect("piped");
                    let err: Box<dyn Read + Send> = Box::new(child.stderr.take().expect("piped"));
                    (Some(child), Box::new(stdin), Box::new(stdout), err)
                }
                Some(serve) => {
                    let (requests, stdin) = std::io::pipe()?;
                    let (stdout, answers) = std::io::pipe()?;
                    let (serve, args) = (serve.clone(), command.args.clone());
                    thread::spawn(move || {
                        serve(&args, Box::new(BufReader::new(requests)), Box::new(answers))
                    });
                    let err: Box<dyn Read + Send> = Box::new(std::io::empty());
                    (None, Box::new(stdin), Box::new(stdout), err)
                }
            };
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                s.extend_from_slice(&buf[..n]);
                let excess = s.len().saturating_sub(4096);
                s.drain(..excess);
            }
        });
        let r = Running {
            child,
            stdin,
            lines,
            stderr,
        };
        let hello = r
            .lines
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| anyhow!("the survey worker did not start"))?;
        self.version = hello
            .strip_prefix("hello ")
            .ok_or_else(|| anyhow!("the survey worker said `{hello}`"))?
            .to_string();
        self.running = Some(r);
        Ok(())
    }

    fn running(&mut self) -> Result<&mut Running> {
        if self.running.is_none() {
            self.start()?;
        }
        Ok(self.running.as_mut().expect("started"))
    }

    /// Ends the worker after `why` (a timeout kills it first) and says how
    /// it died.
    fn bury(&mut self, hung: bool) -> Death {
        let Some(r) = self.running.take() else {
            return Death::Exit(0);
        };
        let Some(mut child) = r.child else {
            // A thread cannot be killed (dropping its input ends it once it
            // reads again); one that stopped answering panicked, which a
            // worker process shows as its exit status 101.
            return if hung { Death::Hang } else { Death::Exit(101) };
        };
        if hung {
            let _ = child.kill();
        }
        let status = child.wait();
        // Give the stderr reader a moment to drain what the worker wrote.
        thread::sleep(Duration::from_millis(20));
        let err = r.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone();
        self.last_stderr = String::from_utf8_lossy(&err).trim().to_string();
        if hung {
            return Death::Hang;
        }
        use std::os::unix::process::ExitStatusExt;
        match status {
            Ok(s) => match (s.signal(), s.code()) {
                (Some(sig), _) => Death::Signal(signal_name(sig)),
                (None, Some(code)) => Death::Exit(code),
                (None, None) => Death::Exit(-1),
            },
            Err(_) => Death::Exit(-1),
        }
    }

    fn send(&mut self, text: &str) -> Result<()> {
        let r = self.running()?;
        // A worker that died already shows as a closed pipe here; the
        // caller learns how it died from the next read.
        let _ = r.stdin.write_all(text.as_bytes());
        let _ = r.stdin.flush();
        Ok(())
    }

    /// The next line, or how the worker ended (`Err`) if it dies or says
    /// nothing for [`Worker::hang_after`].
    fn line(&mut self) -> Result<String, Death> {
        let wait = self.hang_after;
        let got = match &self.running {
            Some(r) => r.lines.recv_timeout(wait),
            None => Err(RecvTimeoutError::Disconnected),
        };
        match got {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => Err(self.bury(true)),
            Err(RecvTimeoutError::Disconnected) => Err(self.bury(false)),
        }
    }

    /// Runs campaign programs `from..to` of `seed`: every divergent one
    /// with its chain, or where and how the worker died.
    pub fn batch(&mut self, seed: u64, from: u64, to: u64) -> Result<Result<Vec<Div>, BatchDeath>> {
        self.send(&format!("batch {seed} {from} {to}\n"))?;
        let mut divs = Vec::new();
        let (mut index, mut masked) = (from, Vec::new());
        loop {
            let line = match self.line() {
                Ok(l) => l,
                Err(death) => {
                    return Ok(Err(BatchDeath {
                        divs,
                        index,
                        masked,
                        death,
                    }));
                }
            };
            if let Some(n) = line.strip_prefix("done") {
                // `done REFUSED`: ops refused as documented library bugs.
                self.refused += n.trim().parse::<u64>().unwrap_or(0);
                return Ok(Ok(divs));
            } else if let Some(i) = line.strip_prefix("start ") {
                index = i
                    .parse()
                    .with_context(|| format!("the survey worker said `{line}`"))?;
                masked.clear();
            } else if let Some(m) = line.strip_prefix("mask ") {
                masked =
                    parse_masks(m).ok_or_else(|| anyhow!("the survey worker said `{line}`"))?;
            } else {
                divs.push(parse_div(&line)?);
            }
        }
    }

    /// Runs `program` once; with `trace`, a death names the step it died in.
    pub fn run(&mut self, program: &Program, trace: bool) -> Result<RunOutcome> {
        let mode = if trace { "trace" } else { "run" };
        self.send(&format!("{mode}\n{program}.\n"))?;
        let mut step = None;
        loop {
            match self.line() {
                Err(death) => return Ok(RunOutcome::Died(death, step)),
                Ok(l) if l == "clean" => return Ok(RunOutcome::Clean),
                Ok(l) => {
                    if let Some(s) = l.strip_prefix("step ") {
                        step = Some(s.to_string());
                    } else if let Some(j) = l.strip_prefix("diverged ") {
                        let v: Value = serde_json::from_str(j).context("worker summary")?;
                        let s =
                            Summary::from_json(&v).ok_or_else(|| anyhow!("bad worker summary"))?;
                        return Ok(RunOutcome::Diverged(Box::new(s)));
                    } else {
                        bail!("the survey worker said `{l}`");
                    }
                }
            }
        }
    }

    /// Runs `program`, and again with `trace` if the worker dies, so that a
    /// death names its step.
    pub fn classify(&mut self, program: &Program) -> Result<RunOutcome> {
        match self.run(program, false)? {
            RunOutcome::Died(..) => self.run(program, true),
            other => Ok(other),
        }
    }
}

impl Worker {
    /// Ends the worker; the next request starts a fresh one. Every
    /// divergent run leaks its libssl world (nothing can be vouched for
    /// after a divergence), so a worker slows down as divergences pile up:
    /// the survey recycles it after each batch that had some.
    pub fn recycle(&mut self) {
        if let Some(r) = self.running.take() {
            drop(r.stdin);
            if let Some(mut child) = r.child {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.recycle();
    }
}

fn parse_div(line: &str) -> Result<Div> {
    let bad = || anyhow!("the survey worker said `{line}`");
    let mut words = line.split_whitespace();
    if words.next() != Some("div") {
        return Err(bad());
    }
    let index = words.next().ok_or_else(bad)?.parse()?;
    let rest: Vec<&str> = words.collect();
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Err(bad());
    }
    let chain = rest
        .chunks(2)
        .map(|c| Some((c[0].to_string(), parse_masks(c[1])?)))
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    Ok((index, chain))
}

fn parse_masks(m: &str) -> Option<Vec<usize>> {
    if m == "-" {
        return Some(vec![]);
    }
    m.split(',').map(|x| x.parse().ok()).collect()
}

/// `SIGSEGV` for 11, …
fn signal_name(sig: i32) -> String {
    match sig {
        4 => "SIGILL".into(),
        6 => "SIGABRT".into(),
        7 => "SIGBUS".into(),
        8 => "SIGFPE".into(),
        9 => "SIGKILL".into(),
        11 => "SIGSEGV".into(),
        n => format!("SIG{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn div_lines_round_trip() {
        let (i, c) =
            parse_div("div 17 divergence:dup:ret - divergence:drain_free:events 3,9").unwrap();
        assert_eq!(i, 17);
        assert_eq!(
            c,
            [
                ("divergence:dup:ret".to_string(), vec![]),
                ("divergence:drain_free:events".to_string(), vec![3, 9])
            ]
        );
        assert!(parse_div("div 1 sig").is_err());
        assert!(parse_div("nope").is_err());
    }

    #[test]
    fn deaths_have_signatures() {
        assert_eq!(
            Death::Signal("SIGABRT".into()).signature("ssl_clear"),
            "crash:SIGABRT:ssl_clear"
        );
        assert_eq!(Death::Hang.signature("drain_free"), "hang:drain_free");
        assert_eq!(Death::Exit(101).signature("dup"), "crash:exit101:dup");
    }

    /// A worker process that is a shell script: it says hello, then does
    /// `then` on the first request.
    fn scripted(then: &str) -> Worker {
        let script = format!("echo 'hello Fake 1.0'; read line; {then}");
        let mut w = Worker::new(WorkerCommand::process(
            "sh".into(),
            vec!["-c".into(), script],
        ))
        .unwrap();
        w.hang_after = Duration::from_millis(300);
        w
    }

    fn program() -> Program {
        Program::parse("new s0\n").unwrap()
    }

    #[test]
    fn a_worker_process_dies_by_a_signal_an_exit_or_a_hang_with_its_last_words() {
        let mut w = scripted("echo 'heap corrupted' >&2; kill -SEGV $$");
        assert_eq!(w.version(), "Fake 1.0");
        assert_eq!(
            w.run(&program(), false).unwrap(),
            RunOutcome::Died(Death::Signal("SIGSEGV".into()), None)
        );
        assert_eq!(w.last_stderr, "heap corrupted");
        let mut w = scripted("echo 'step ssl_clear'; exit 3");
        assert_eq!(
            w.run(&program(), true).unwrap(),
            RunOutcome::Died(Death::Exit(3), Some("ssl_clear".into()))
        );
        let mut w = scripted("echo 'start 5'; echo 'mask 1,2'; sleep 5");
        let d = w.batch(1, 5, 9).unwrap().unwrap_err();
        assert_eq!(
            d,
            BatchDeath {
                divs: vec![],
                index: 5,
                masked: vec![1, 2],
                death: Death::Hang
            }
        );
        // The next request starts a fresh worker (whose script answers a
        // run with a batch's line).
        let e = w.run(&program(), false).unwrap_err().to_string();
        assert_eq!(e, "the survey worker said `start 5`");
    }

    #[test]
    fn a_dropped_worker_leaves_no_process_behind() {
        let pid_file =
            std::env::temp_dir().join(format!("sessdiff-worker-pid-{}", std::process::id()));
        // A worker that, once its input ends, sleeps on.
        let script = format!(
            "echo $$ > {}; echo 'hello Fake 1.0'; read line; exec sleep 30",
            pid_file.display()
        );
        let w = Worker::new(WorkerCommand::process(
            "sh".into(),
            vec!["-c".into(), script],
        ))
        .unwrap();
        assert_eq!(w.version(), "Fake 1.0");
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let alive = || {
            std::process::Command::new("kill")
                .args(["-0", pid.trim()])
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap()
                .success()
        };
        assert!(alive());
        drop(w);
        assert!(!alive(), "worker {} left running", pid.trim());
        std::fs::remove_file(pid_file).unwrap();
    }

    #[test]
    fn a_worker_command_shows_its_program_and_arguments() {
        let c = WorkerCommand::process("sh".into(), vec!["-c".into(), "exit".into()]);
        assert_eq!(
            format!("{c:?}"),
            r#"WorkerCommand { program: "sh", args: ["-c", "exit"], in_thread: false }"#
        );
    }

    #[test]
    fn a_batch_reads_its_divergences_and_refusals() {
        let mut w = scripted(
            "echo 'start 0'; echo 'div 0 divergence:dup:ret -'; echo 'start 1'; echo 'done 2'; \
             read line; echo 'start 2'; echo 'done 3'; read line",
        );
        let divs = w.batch(1, 0, 2).unwrap().unwrap();
        assert_eq!(
            divs,
            [(0, vec![("divergence:dup:ret".to_string(), vec![])])]
        );
        assert_eq!(w.refused, 2);
        assert!(w.batch(1, 2, 3).unwrap().is_ok());
        assert_eq!(w.refused, 5, "refusals add up");
    }

    #[test]
    fn a_worker_that_talks_nonsense_is_an_error_not_a_death() {
        let mut w = scripted("echo 'what?'; read line");
        let e = w.run(&program(), false).unwrap_err().to_string();
        assert_eq!(e, "the survey worker said `what?`");
        let mut w = scripted("echo 'start x'");
        let e = w.batch(1, 0, 1).unwrap_err().to_string();
        assert_eq!(e, "the survey worker said `start x`");
        let e = Worker::new(WorkerCommand::process(
            "sh".into(),
            vec!["-c".into(), "echo bonjour".into()],
        ))
        .err()
        .unwrap()
        .to_string();
        assert_eq!(e, "the survey worker said `bonjour`");
        let e = Worker::new(WorkerCommand::process("/no/such/worker".into(), vec![]))
            .err()
            .unwrap()
            .to_string();
        assert_eq!(e, "starting /no/such/worker");
    }

    #[test]
    fn signals_are_named() {
        let names: Vec<String> = [4, 6, 7, 8, 9, 11, 42].map(signal_name).to_vec();
        assert_eq!(
            names,
            [
                "SIGILL", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGSEGV", "SIG42"
            ]
        );
    }
}
