//! Every regression program under `corpora/` (the `ops` and `der`
//! targets' seeds) replays against the system libssl without divergence;
//! a faulty backend makes the replay fail and name the file.

use std::path::{Path, PathBuf};

use sessdiff::backend::{Backend, NativeBackend, OsslBackend};
use sessdiff::corpus;
use sessdiff::faults::{Fault, FaultyBackend};
use sessdiff::lockstep;

fn ops_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/ops")
}

/// Replays every program of `dir` on `make()` against libssl; the first
/// failure names the file.
fn replay<B: Backend>(dir: &Path, make: impl Fn() -> B) -> Result<usize, String> {
    let files = corpus::program_files(dir).map_err(|e| e.to_string())?;
    for f in &files {
        let program = corpus::read_program(f).map_err(|e| e.to_string())?;
        let mut libssl = OsslBackend::new().unwrap();
        if let Err(d) = lockstep::run(&program, &mut make(), &mut libssl) {
            return Err(format!("{}: {}\n{d}", f.display(), d.signature()));
        }
    }
    Ok(files.len())
}

#[test]
fn the_ops_corpus_replays_cleanly() {
    let n = replay(&ops_corpus(), NativeBackend::new).unwrap_or_else(|e| panic!("{e}"));
    assert!(n >= 30, "only {n} programs in corpora/ops");
}

#[test]
fn the_der_corpus_replays_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/der");
    let n = replay(&dir, NativeBackend::new).unwrap_or_else(|e| panic!("{e}"));
    assert!(n >= 60, "only {n} programs in corpora/der");
}

#[test]
fn a_faulty_backend_fails_naming_a_file() {
    // A fault that kills the process is the survey's to catch (tests/survey.rs).
    for fault in Fault::ALL.into_iter().filter(|f| !f.kills_the_process()) {
        let target = if fault.in_codec() { "der" } else { "ops" };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpora")
            .join(target);
        let err = replay(&dir, || FaultyBackend::new(fault)).expect_err("the fault is caught");
        let first = err.lines().next().unwrap();
        assert!(
            first.contains(&format!("corpora/{target}/")) && first.contains(".txt: divergence:"),
            "{fault:?}: {first}"
        );
    }
}
