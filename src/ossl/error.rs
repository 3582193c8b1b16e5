//! libssl's error queue.

use super::ffi;

/// Empties libssl's error queue on this thread.
pub fn clear_errors() {
    // SAFETY: no arguments.
    unsafe { ffi::ERR_clear_error() }
}

/// The newest queued error as `ERR_PACK(lib, 0, reason)` (library in
/// bits 23–30, reason below), or 0.
pub fn last_error() -> u32 {
    // SAFETY: no arguments.
    let e = unsafe { ffi::ERR_peek_last_error() };
    // OpenSSL 3 packs the library above the reason; the top bit (system
    // errors) is dropped.
    crate::errcode::pack(crate::errcode::lib(e as u32), e as u32)
}
