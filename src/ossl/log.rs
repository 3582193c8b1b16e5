//! The observation channels, all recorded in a per-thread log:
//! * the harness's own ex_data index, whose callbacks count births and
//!   deaths and know each session's tag (its birth step) by its address;
//! * a pool of [`EX_POOL`] ex_data indexes that programs register (see
//!   [`ex_register`]), whose callbacks do what the program asked and
//!   record each call;
//! * the cache's remove callback.
//!
//! The tag is not kept in ex_data: a session whose ex_data was never set
//! must stay so, or libssl's dup rule for such sessions (no dup callback
//! runs) could never be observed.

use crate::addr_map::AddrMap;
use std::cell::RefCell;
use std::ffi::{c_int, c_long, c_void};
use std::ptr;
use std::sync::OnceLock;

use super::ffi::{self, SSL_CTX, SSL_SESSION};

/// How many ex_data indexes programs can register.
pub const EX_POOL: usize = 4;

/// Which ex_data callback ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExCallback {
    /// `new_func`.
    New,
    /// `dup_func`.
    Dup,
    /// `free_func`.
    Free,
}

/// An event seen through libssl's callbacks, with the session's tag
/// (`None` for a session that never got one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// The cache's remove callback was called with the session.
    Removed(Option<u64>),
    /// The session's last reference went away (ex_data free callback).
    Died(Option<u64>),
    /// A callback of the pool's index (1-based) ran for the session (the
    /// one being made, copied or freed) with this value.
    Ex(ExCallback, Option<u64>, u8, usize),
}

/// What a pool index's dup callback does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExDupHook {
    /// Records the call; the value is copied as it is.
    Keep,
    /// Records the call and returns 0: the dup fails.
    Fail,
    /// Records the call and gives the copy this value.
    Set(usize),
}

/// What the callbacks of one of the pool's indexes do on this thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExHooks {
    /// Whether a new callback records the call, and the value it then
    /// stores with `CRYPTO_set_ex_data` (`Some(0)` stores NULL).
    pub new: Option<Option<usize>>,
    /// The dup callback, if any.
    pub dup: Option<ExDupHook>,
    /// Whether a free callback records the call.
    pub free: bool,
}

#[derive(Default)]
struct Log {
    events: Vec<Observed>,
    born: u64,
    died: u64,
    /// The tag of the session being made by the current call.
    birth: Option<u64>,
    /// The address the last call to make a session (`with_birth`) tagged.
    made: Option<usize>,
    /// The tag of the session the current call copies.
    dup_source: Option<u64>,
    /// Sessions by address, with their tags.
    tags: AddrMap<u64>,
    /// The hooks of the pool's indexes the current program registered.
    hooks: [Option<ExHooks>; EX_POOL],
}

thread_local! {
    static LOG: RefCell<Log> = RefCell::default();
    /// The caches alive on this thread, for the hazard checks.
    pub(super) static CTXS: RefCell<Vec<*mut SSL_CTX>> = const { RefCell::new(Vec::new()) };
}

fn push(e: Observed) {
    LOG.with_borrow_mut(|l| l.events.push(e));
}

fn tag_of_addr(p: usize) -> Option<u64> {
    LOG.with_borrow(|l| l.tags.get(&p).copied())
}

/// The tag of a session, if the harness made it.
pub(super) fn tag_of(s: *const SSL_SESSION) -> Option<u64> {
    tag_of_addr(s as usize)
}

fn hooks(argl: c_long) -> Option<(u8, ExHooks)> {
    let k = u8::try_from(argl).ok()?;
    let h = LOG.with_borrow(|l| {
        l.hooks
            .get(usize::from(k).checked_sub(1)?)
            .copied()
            .flatten()
    })?;
    Some((k, h))
}

unsafe extern "C" fn tag_new(
    parent: *mut c_void,
    _ptr: *mut c_void,
    _ad: *mut ffi::CRYPTO_EX_DATA,
    _idx: c_int,
    _argl: c_long,
    _argp: *mut c_void,
) -> ffi::ExNewRet {
    LOG.with_borrow_mut(|l| {
        l.born += 1;
        if let Some(t) = l.birth {
            l.tags.insert(parent as usize, t);
            l.made = Some(parent as usize);
        }
    });
    ffi::EX_NEW_OK
}

unsafe extern "C" fn tag_free(
    parent: *mut c_void,
    _ptr: *mut c_void,
    _ad: *mut ffi::CRYPTO_EX_DATA,
    _idx: c_int,
    _argl: c_long,
    _argp: *mut c_void,
) {
    // LibreSSL's CRYPTO_dup_ex_data first frees the copy's ex_data (what
    // the new callbacks stored) with no parent: no object dies there (and
    // a failed dup's copy dies unseen: `bury_stillborn`).
    if parent.is_null() {
        return;
    }
    LOG.with_borrow_mut(|l| {
        l.died += 1;
        let tag = l.tags.remove(&(parent as usize));
        l.events.push(Observed::Died(tag));
    });
}

unsafe extern "C" fn pool_new(
    _parent: *mut c_void,
    ptr: *mut c_void,
    ad: *mut ffi::CRYPTO_EX_DATA,
    idx: c_int,
    argl: c_long,
    _argp: *mut c_void,
) -> ffi::ExNewRet {
    let Some((
        k,
        ExHooks {
            new: Some(store), ..
        },
    )) = hooks(argl)
    else {
        return ffi::EX_NEW_OK;
    };
    let birth = LOG.with_borrow(|l| l.birth);
    push(Observed::Ex(ExCallback::New, birth, k, ptr as usize));
    if let Some(v) = store {
        // SAFETY: `ad` is the ex_data of the object being made, which
        // libssl hands to its new callbacks for this purpose.
        unsafe { ffi::CRYPTO_set_ex_data(ad, idx, v as *mut c_void) };
    }
    ffi::EX_NEW_OK
}

unsafe extern "C" fn pool_dup(
    _to: *mut ffi::CRYPTO_EX_DATA,
    _from: *const ffi::CRYPTO_EX_DATA,
    from_d: *mut *mut c_void,
    _idx: c_int,
    argl: c_long,
    _argp: *mut c_void,
) -> c_int {
    let Some((
        k,
        ExHooks {
            dup: Some(hook), ..
        },
    )) = hooks(argl)
    else {
        return 1;
    };
    let source = LOG.with_borrow(|l| l.dup_source);
    // SAFETY: libssl passes a valid pointer to the value being copied.
    let seen = unsafe { *from_d } as usize;
    push(Observed::Ex(ExCallback::Dup, source, k, seen));
    match hook {
        ExDupHook::Keep => 1,
        ExDupHook::Fail => 0,
        ExDupHook::Set(v) => {
            // SAFETY: as above; the value is stored in the copy.
            unsafe { *from_d = v as *mut c_void };
            1
        }
    }
}

unsafe extern "C" fn pool_free(
    parent: *mut c_void,
    ptr: *mut c_void,
    _ad: *mut ffi::CRYPTO_EX_DATA,
    _idx: c_int,
    argl: c_long,
    _argp: *mut c_void,
) {
    if let Some((k, ExHooks { free: true, .. })) = hooks(argl) {
        let tag = tag_of_addr(parent as usize);
        push(Observed::Ex(ExCallback::Free, tag, k, ptr as usize));
    }
}

pub(super) unsafe extern "C" fn on_remove(_ctx: *mut SSL_CTX, sess: *mut SSL_SESSION) {
    push(Observed::Removed(tag_of(sess)));
}

/// The ex_data indexes: the pool's, then the harness's own, registered
/// once per process in that order, ahead of any session the harness makes.
struct Indexes {
    pool: [c_int; EX_POOL],
}

static INDEXES: OnceLock<Indexes> = OnceLock::new();

fn register(argl: c_long, new: ffi::ExNew, dup: Option<ffi::ExDup>, free: ffi::ExFree) -> c_int {
    // SAFETY: registers static callbacks; libssl initialises itself.
    let idx = unsafe {
        ffi::CRYPTO_get_ex_new_index(
            ffi::CRYPTO_EX_INDEX_SSL_SESSION,
            argl,
            ptr::null_mut(),
            Some(new),
            dup,
            Some(free),
        )
    };
    assert!(idx > 0, "CRYPTO_get_ex_new_index failed");
    idx
}

fn indexes() -> &'static Indexes {
    INDEXES.get_or_init(|| {
        let pool =
            std::array::from_fn(|i| register(i as c_long + 1, pool_new, Some(pool_dup), pool_free));
        register(0, tag_new, None, tag_free);
        Indexes { pool }
    })
}

/// Registers the ex_data indexes (once per process). Sessions made before
/// this have no tag and run no callback.
pub(super) fn ensure_registered() {
    indexes();
}

/// libssl's ex_data index for the program's index `k`: 0 is app_data,
/// 1..=[`EX_POOL`] the pool's.
pub(super) fn ex_index(k: u8) -> c_int {
    match usize::from(k).checked_sub(1) {
        None => 0,
        // The slot table allows only 1..=EX_POOL; past it is a harness bug.
        Some(i) => indexes().pool[i],
    }
}

/// Gives the pool's index `k` (1-based) these hooks on this thread, as a
/// program's `CRYPTO_get_ex_new_index` would register them.
pub fn ex_register(k: u8, hooks: ExHooks) {
    ensure_registered();
    let i = usize::from(k).checked_sub(1).filter(|&i| i < EX_POOL);
    let i = i.unwrap_or_else(|| panic!("ex_register: index {k} outside 1..={EX_POOL}"));
    LOG.with_borrow_mut(|l| l.hooks[i] = Some(hooks));
}

/// Forgets every index the previous program registered on this thread:
/// their callbacks do nothing again.
pub fn ex_reset() {
    LOG.with_borrow_mut(|l| l.hooks = [None; EX_POOL]);
}

/// Runs `make` (a call that makes one session) so that the session it
/// makes gets the tag `tag`, and its dup callbacks see `source` as the
/// object copied.
pub(super) fn with_birth<T>(tag: u64, source: Option<u64>, make: impl FnOnce() -> T) -> T {
    ensure_registered();
    LOG.with_borrow_mut(|l| {
        l.birth = Some(tag);
        l.dup_source = source;
        l.made = None;
    });
    let r = make();
    LOG.with_borrow_mut(|l| {
        l.birth = None;
        l.dup_source = None;
    });
    r
}

/// After a call that was to make the session tagged `tag` and returned
/// NULL: if the session it began is still known (its new callback ran,
/// its free callback never did), it died without a word. LibreSSL's failed
/// `SSL_SESSION_dup` clears the copy's ex_data with no parent before
/// freeing the copy, so no free callback names it; OpenSSL's names it, and
/// then this finds nothing.
/// Only the session the last such call tagged is considered (tags are
/// step numbers, so an abandoned world's sessions may carry the same).
pub(super) fn bury_stillborn(tag: u64) {
    LOG.with_borrow_mut(|l| {
        let Some(a) = l.made.take() else { return };
        if l.tags.get(&a) == Some(&tag) {
            l.tags.remove(&a);
            l.died += 1;
            l.events.push(Observed::Died(Some(tag)));
        }
    });
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
