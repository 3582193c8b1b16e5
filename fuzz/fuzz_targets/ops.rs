//! Target `ops`: a call program, decoded from the input (a text program,
//! or bytes through `arbitrary`), runs on the native implementation and the
//! system libssl in lockstep. A divergence panics; the panic message starts
//! with the one-line signature `divergence:<op>:<what differed>` and ends
//! with the shrunk program in text form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessdiff::lockstep;
use sessdiff::program::Program;
use sessdiff::shrink;

fuzz_target!(|data: &[u8]| {
    let program = Program::from_fuzz_bytes(data);
    if let Err(d) = lockstep::check_against_libssl(&program) {
        let min = shrink::shrink_against_libssl(&program).unwrap_or(program);
        eprintln!("{d}");
        panic!("{}\nminimal program:\n{min}", d.signature());
    }
});
