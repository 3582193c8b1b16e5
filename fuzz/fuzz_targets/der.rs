//! Target `der`: session DER through both decoders. The input is a text
//! program if it is one (the readable seeds of `corpora/der`); otherwise
//! its first byte picks raw mode (even: the rest is the DER) or
//! structure-aware mode (odd: the rest builds two mostly-valid encodings
//! through `arbitrary`). Either way the bytes go through every decode path
//! of the call language (`Program::der_probe`) on the native implementation
//! and the system libssl in lockstep, comparing accept or reject, the error
//! queued, the bytes used, the events, every field and the re-encoding. A
//! divergence panics as in `ops`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessdiff::program::Program;
use sessdiff::shrink;

fuzz_target!(|data: &[u8]| shrink::check_for_fuzzer(&Program::from_der_fuzz_bytes(data)));
