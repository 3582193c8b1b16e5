//! Target `ops_faulty`: as `ops`, but against a native backend with a
//! planted bug (`SESSDIFF_FAULT`: get1-leaks (default), or any name of
//! `sessdiff::faults::Fault`, e.g. copy-session-id-keeps-old). It must
//! crash quickly: it shows that the fuzzer and the oracle catch refcount
//! and codec bugs. With `libssl-releases-twice` the bug is on the libssl
//! side: AddressSanitizer, not the oracle, must report it.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sessdiff::backend::OsslBackend;
use sessdiff::faults::{Fault, FaultyBackend};
use sessdiff::lockstep;
use sessdiff::program::Program;
use sessdiff::shrink;

fn fault() -> Fault {
    static FAULT: OnceLock<Fault> = OnceLock::new();
    *FAULT.get_or_init(|| {
        let name = std::env::var("SESSDIFF_FAULT").unwrap_or_else(|_| "get1-leaks".into());
        name.parse().unwrap_or_else(|e| panic!("SESSDIFF_FAULT: {e}"))
    })
}

/// The backends: the native one with the fault, or, for a fault on the
/// libssl side (libssl-releases-twice), libssl with it.
fn backends() -> (FaultyBackend, OsslBackend) {
    let mut libssl = OsslBackend::new().expect("SSL_CTX_new failed");
    if fault().in_libssl() {
        libssl.plant_extra_release();
    }
    (FaultyBackend::new(fault()), libssl)
}

fn run(p: &Program) -> Option<String> {
    let (mut native, mut libssl) = backends();
    lockstep::run(p, &mut native, &mut libssl).err().map(|d| d.kind())
}

fuzz_target!(|data: &[u8]| {
    let program = Program::from_fuzz_bytes(data);
    if let Some(kind) = run(&program) {
        let min = shrink::shrink(&program, &kind, &mut |p| run(p));
        let (mut native, mut libssl) = backends();
        let sig = lockstep::run(&min, &mut native, &mut libssl).err().map_or(kind, |d| d.signature());
        panic!("{sig}\nminimal program ({} ops):\n{min}", min.ops.len());
    }
});
