//! libssl's error queue.

use super::ffi;
use crate::errcode;

/// Empties libssl's error queue on this thread. An empty queue is left
/// alone: `ERR_clear_error` resets all sixteen entries of the queue every
/// time, and the harness clears before each of its calls, most of which
/// queue nothing.
pub fn clear_errors() {
    // SAFETY: no arguments.
    unsafe {
        if ffi::ERR_peek_error() != 0 {
            ffi::ERR_clear_error();
        }
    }
}

/// The newest queued error as OpenSSL 3's `ERR_PACK(lib, 0, reason)`
/// packs it (library in bits 23–30, reason below), whatever the release
/// (1.1.1's codes are repacked), or 0.
pub fn last_error() -> u32 {
    // SAFETY: no arguments.
    let e = unsafe { ffi::ERR_peek_last_error() };
    if e == 0 {
        0
    } else if version_num() < 0x3000_0000 {
        // `c_ulong` is 32 bits wide on some platforms.
        #[allow(clippy::useless_conversion)]
        errcode::from_1_1(u64::from(e))
    } else {
        // The top bit (system errors) is dropped.
        errcode::pack(errcode::lib(e as u32), e as u32)
    }
}

/// `OpenSSL_version_num`: `0xMNN00PP0` for release M.NN.PP.
pub fn version_num() -> u64 {
    // SAFETY: no arguments.
    #[allow(clippy::useless_conversion)]
    u64::from(unsafe { ffi::OpenSSL_version_num() })
}
