//! Target `ops`: a call program, decoded from the input (a text program,
//! or bytes through `arbitrary`), runs on the native implementation and the
//! system libssl in lockstep. A divergence panics; the panic message starts
//! with the one-line signature `divergence:<op>:<what differed>` and ends
//! with the shrunk program in text form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessdiff::program::Program;
use sessdiff::shrink;

fuzz_target!(|data: &[u8]| shrink::check_for_fuzzer(&Program::from_fuzz_bytes(data)));
