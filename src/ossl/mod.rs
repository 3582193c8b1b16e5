//! The system's libssl, behind small safe types. All of the crate's
//! `unsafe` code lives in this module.
//!
//! * [`Session`] owns one reference to an `SSL_SESSION` (`Clone` is
//!   `SSL_SESSION_up_ref`, `Drop` is `SSL_SESSION_free`); [`View`] borrows
//!   one for reading.
//! * [`Ssl`] owns an `SSL`; [`Ctx`] owns an `SSL_CTX` and its session cache.
//! * Every session the harness makes has a *tag* (a `u64`), known by its
//!   address. The harness's ex_data index, the indexes programs register
//!   ([`ex_register`]) and the cache's remove callback record [`Observed`]
//!   events in a per-thread log, read with [`take_events`];
//!   [`live_sessions`] counts the sessions made and not yet freed on this
//!   thread.
//! * [`mem`] counts libcrypto's heap bytes, for the memory comparison.
//!
//! The types are neither `Send` nor `Sync`: one thread owns a world.
//! Calls that would be undefined behaviour in libssl (SEMANTICS.md §14.3)
//! are refused with [`Hazard`] rather than made.

mod cipher;
mod ctx;
mod error;
pub(crate) mod ffi;
mod log;
pub mod mem;
mod session;
mod ssl;
#[cfg(test)]
mod tests;

use std::ffi::CStr;

pub use cipher::cipher_known;
pub use ctx::Ctx;
pub use error::{clear_errors, last_error, version_num};
pub use log::{
    EX_POOL, ExCallback, ExDupHook, ExHooks, Observed, ex_register, ex_reset, live_sessions,
    take_events,
};
pub use session::{IdBuf, Session, SharedSession, View};
pub use ssl::Ssl;

/// A call refused because libssl would have undefined behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Hazard {
    /// Changing the key of a session while a cache holds it.
    #[error("the session is cached: changing its key would corrupt the cache")]
    KeyOfCachedSession,
    /// Adding a session that another cache holds.
    #[error("the session is held by another cache")]
    CachedElsewhere,
    /// A host name with an embedded NUL cannot be passed as a C string.
    #[error("host name contains a NUL byte")]
    NulInHostname,
    /// libssl failed to allocate an object.
    #[error("libssl could not allocate the object")]
    Allocation,
}

/// Whether the linked libssl was built with compression: `d2i_SSL_SESSION`
/// refuses a two-byte `[11] comp_id` then, and ignores it otherwise.
pub fn compression_built() -> bool {
    // SEQUENCE { 1, 0x0304, 13 01, "", "", [11] { 00 00 } }
    const DER: [u8; 23] = [
        0x30, 0x15, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04, 0x04, 0x02, 0x13, 0x01, 0x04, 0x00,
        0x04, 0x00, 0xab, 0x04, 0x04, 0x02, 0x00, 0x00,
    ];
    // The probe's session is born and dies here: its events must not
    // show in a run that happens to resolve `auto` first.
    log::quietly(|| {
        clear_errors();
        let refused = Session::decode_plain(&DER).is_none();
        clear_errors();
        refused
    })
}

/// Called in place of a function the linked library lacks
/// (`src/ossl/capabilities.txt`): never, since the harness refuses the ops
/// that need one and reads no getter that needs one.
#[allow(dead_code)] // only with a library that lacks something
pub(crate) fn lacking(function: &str) -> ! {
    panic!(
        "{function} is not in the linked library ({}): the harness should not have called it",
        version()
    )
}

/// The version string of the libssl in use, e.g. "OpenSSL 3.0.19 27 Jan 2026".
pub fn version() -> String {
    // SAFETY: OpenSSL_version returns a static C string.
    unsafe { CStr::from_ptr(ffi::OpenSSL_version(ffi::OPENSSL_VERSION)) }
        .to_string_lossy()
        .into_owned()
}
