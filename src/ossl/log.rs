//! The observation channels: the ex_data index whose callbacks tag
//! sessions and log their births and deaths, and the cache's remove
//! callback, all recorded in a per-thread log.

use std::cell::RefCell;
use std::ffi::{c_int, c_long, c_void};
use std::ptr;
use std::sync::OnceLock;

use super::ffi::{self, SSL_CTX, SSL_SESSION};

/// An event seen through libssl's callbacks, with the session's tag
/// (`None` for a session that never got one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// The cache's remove callback was called with the session.
    Removed(Option<u64>),
    /// The session's last reference went away (ex_data free callback).
    Died(Option<u64>),
}

#[derive(Default)]
struct Log {
    events: Vec<Observed>,
    born: u64,
    died: u64,
    dup_tag: Option<u64>,
}

thread_local! {
    static LOG: RefCell<Log> = RefCell::default();
    /// The caches alive on this thread, for the hazard checks.
    pub(super) static CTXS: RefCell<Vec<*mut SSL_CTX>> = const { RefCell::new(Vec::new()) };
}

pub(super) fn encode_tag(tag: Option<u64>) -> *mut c_void {
    tag.map_or(0, |t| t as usize + 1) as *mut c_void
}

pub(super) fn decode_tag(p: *mut c_void) -> Option<u64> {
    (p as usize).checked_sub(1).map(|t| t as u64)
}

unsafe extern "C" fn on_new(
    _parent: *mut c_void,
    _ptr: *mut c_void,
    _ad: *mut ffi::CRYPTO_EX_DATA,
    _idx: c_int,
    _argl: c_long,
    _argp: *mut c_void,
) {
    LOG.with_borrow_mut(|l| l.born += 1);
}

unsafe extern "C" fn on_dup(
    _to: *mut ffi::CRYPTO_EX_DATA,
    _from: *const ffi::CRYPTO_EX_DATA,
    from_d: *mut *mut c_void,
    _idx: c_int,
    _argl: c_long,
    _argp: *mut c_void,
) -> c_int {
    // The copy gets its own tag: the one `Session::dup` announced.
    let tag = LOG.with_borrow(|l| l.dup_tag);
    // SAFETY: libssl passes a valid pointer to the value being copied.
    unsafe { *from_d = encode_tag(tag) };
    1
}

unsafe extern "C" fn on_free(
    _parent: *mut c_void,
    ptr: *mut c_void,
    _ad: *mut ffi::CRYPTO_EX_DATA,
    _idx: c_int,
    _argl: c_long,
    _argp: *mut c_void,
) {
    LOG.with_borrow_mut(|l| {
        l.died += 1;
        l.events.push(Observed::Died(decode_tag(ptr)));
    });
}

pub(super) unsafe extern "C" fn on_remove(_ctx: *mut SSL_CTX, sess: *mut SSL_SESSION) {
    // SAFETY: the callback's session is valid for the call (§8.8).
    let tag = decode_tag(unsafe { ffi::SSL_SESSION_get_ex_data(sess, tag_index()) });
    LOG.with_borrow_mut(|l| l.events.push(Observed::Removed(tag)));
}

/// The ex_data index that holds tags, registered once per process.
static INDEX: OnceLock<c_int> = OnceLock::new();

pub(super) fn tag_index() -> c_int {
    *INDEX.get_or_init(|| {
        // SAFETY: registers static callbacks; libssl initialises itself.
        let idx = unsafe {
            ffi::CRYPTO_get_ex_new_index(
                ffi::CRYPTO_EX_INDEX_SSL_SESSION,
                0,
                ptr::null_mut(),
                Some(on_new),
                Some(on_dup),
                Some(on_free),
            )
        };
        assert!(idx > 0, "CRYPTO_get_ex_new_index failed");
        idx
    })
}

/// Runs `dup` (an `SSL_SESSION_dup`) so that the copy's dup callback tags
/// it `tag`.
pub(super) fn with_dup_tag<T>(tag: u64, dup: impl FnOnce() -> T) -> T {
    let tagged = INDEX.get().is_some();
    if tagged {
        LOG.with_borrow_mut(|l| l.dup_tag = Some(tag));
    }
    let r = dup();
    if tagged {
        LOG.with_borrow_mut(|l| l.dup_tag = None);
    }
    r
}

/// Runs `f` without leaving a trace in this thread's log: events it causes
/// are dropped, those recorded before are kept. (For probes of the library
/// that make and free sessions of their own.)
pub(super) fn quietly<T>(f: impl FnOnce() -> T) -> T {
    let before = take_events();
    let r = f();
    LOG.with_borrow_mut(|l| l.events = before);
    r
}

/// Takes the events recorded on this thread since the last call.
pub fn take_events() -> Vec<Observed> {
    LOG.with_borrow_mut(|l| std::mem::take(&mut l.events))
}

/// Sessions made on this thread (new, dup or decode, counted by the
/// ex_data new callback) minus those that died.
pub fn live_sessions() -> i64 {
    LOG.with_borrow(|l| l.born as i64 - l.died as i64)
}
