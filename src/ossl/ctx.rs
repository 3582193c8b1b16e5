//! [`Ctx`], an `SSL_CTX` and its session cache, and the pool of emptied
//! contexts kept for reuse.

use std::cell::RefCell;
use std::ffi::{c_int, c_long, c_void};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::rc::Rc;

use super::Hazard;
use super::ffi::{self, SSL_CTX, SSL_SESSION};
use super::log::{CTXS, ensure_registered, on_remove};
use super::session::{Session, View, cached_in};

/// Emptied contexts kept for reuse, at most this many per thread.
const POOL_SIZE: usize = 4;

/// A context that took more adds than this is freed, not pooled: its
/// session hash table may have grown to as many buckets, and a flush never
/// shrinks it (`SSL_CTX_flush_sessions` sets the table's down-load to 0),
/// so every later walk of the cache would visit them all. Harness programs
/// add a few dozen sessions; a benchmark's 100,000-session cache left in
/// the pool made each step of the differential loop walk 100,000 empty
/// buckets.
const POOL_MAX_ADDS: usize = 256;

/// Emptied contexts; freed when the thread ends.
struct Pool(Vec<NonNull<SSL_CTX>>);

impl Drop for Pool {
    fn drop(&mut self) {
        for p in self.0.drain(..) {
            // SAFETY: pooled contexts are empty and referenced by nothing.
            unsafe { ffi::SSL_CTX_free(p.as_ptr()) }
        }
    }
}

thread_local! {
    /// `SSL_CTX_new` costs tens of microseconds (it fetches every
    /// algorithm), two thirds of a harness run: contexts are recycled.
    static POOL: RefCell<Pool> = const { RefCell::new(Pool(Vec::new())) };
}

/// The cache size of a new `SSL_CTX`.
const DEFAULT_CACHE_SIZE: i64 = 20480;

pub(super) struct CtxInner {
    ptr: NonNull<SSL_CTX>,
    /// `cache_full` when this context was handed out.
    full_base: i64,
    /// How many `SSL_CTX_add_session` calls it took since.
    adds: std::cell::Cell<usize>,
}

impl Drop for CtxInner {
    /// What `SSL_CTX_free` does at the last reference as far as sessions go
    /// — `SSL_CTX_flush_sessions(ctx, 0)` (SEMANTICS.md §8.6) — then the
    /// emptied context goes back to the pool with its cache size reset.
    fn drop(&mut self) {
        let p = self.ptr.as_ptr();
        CTXS.with_borrow_mut(|c| c.retain(|&x| x != p));
        // SAFETY: the last Rust handle; each SSL released its own references,
        // so the context holds no SSL and, after the flush, no session.
        unsafe {
            ffi::SSL_CTX_flush_sessions(p, 0);
            ffi::SSL_CTX_ctrl(
                p,
                ffi::SSL_CTRL_SET_SESS_CACHE_SIZE,
                DEFAULT_CACHE_SIZE as c_long,
                ptr::null_mut(),
            );
        }
        let small = self.adds.get() <= POOL_MAX_ADDS;
        let pooled = small
            && POOL.with_borrow_mut(|pool| {
                let room = pool.0.len() < POOL_SIZE;
                if room {
                    pool.0.push(self.ptr);
                }
                room
            });
        if !pooled {
            // SAFETY: as above; nothing else refers to it.
            unsafe { ffi::SSL_CTX_free(p) }
        }
    }
}

/// An `SSL_CTX` (with `TLS_method`) and its session cache, whose remove
/// callback records [`Observed::Removed`](super::Observed::Removed). While
/// [`Ssl`](super::Ssl)s made from it live, the cache lives on with them.
///
/// Dropping the last handle has the session effects of `SSL_CTX_free`
/// (a `flush(0)`); the emptied context is then kept for reuse, since
/// creating one is expensive. A reused context is indistinguishable through
/// this type: its cache is empty, its size is 20480 and [`Ctx::cache_full`]
/// counts from 0.
pub struct Ctx {
    pub(super) inner: Rc<CtxInner>,
}

impl Ctx {
    /// `SSL_CTX_new(TLS_method())` with the remove callback installed (or
    /// a recycled context in the same state).
    pub fn new() -> Result<Ctx, Hazard> {
        ensure_registered();
        let ctx = Ctx::acquire()?;
        // SAFETY: a valid ctx we own.
        unsafe { ffi::SSL_CTX_sess_set_remove_cb(ctx.raw(), Some(on_remove)) };
        Ok(ctx)
    }

    /// A context like [`Ctx::new`]'s without registering the tag index, so
    /// sessions made with [`Session::plain`] run no callback: libssl's own
    /// cost, for benchmarks.
    pub fn plain() -> Result<Ctx, Hazard> {
        let ctx = Ctx::acquire()?;
        // SAFETY: a valid ctx we own.
        unsafe { ffi::SSL_CTX_sess_set_remove_cb(ctx.raw(), None) };
        Ok(ctx)
    }

    fn acquire() -> Result<Ctx, Hazard> {
        let ptr = match POOL.with_borrow_mut(|p| p.0.pop()) {
            Some(p) => p,
            None => {
                // SAFETY: plain constructor; NULL is checked.
                NonNull::new(unsafe { ffi::SSL_CTX_new(ffi::TLS_method()) })
                    .ok_or(Hazard::Allocation)?
            }
        };
        CTXS.with_borrow_mut(|c| c.push(ptr.as_ptr()));
        // SAFETY: a statistics control on a valid ctx.
        let full_base = unsafe {
            ffi::SSL_CTX_ctrl(
                ptr.as_ptr(),
                ffi::SSL_CTRL_SESS_CACHE_FULL,
                0,
                ptr::null_mut(),
            ) as i64
        };
        Ok(Ctx {
            inner: Rc::new(CtxInner {
                ptr,
                full_base,
                adds: std::cell::Cell::new(0),
            }),
        })
    }

    pub(super) fn raw(&self) -> *mut SSL_CTX {
        self.inner.ptr.as_ptr()
    }

    fn ctrl(&self, cmd: c_int, larg: i64) -> i64 {
        // SAFETY: statistics and size controls take no pointer.
        unsafe { ffi::SSL_CTX_ctrl(self.raw(), cmd, larg as c_long, ptr::null_mut()) as i64 }
    }

    /// `SSL_CTX_add_session`; refused for a session another cache holds.
    pub fn add(&mut self, s: &Session) -> Result<c_int, Hazard> {
        let me = self.raw();
        let elsewhere = CTXS.with_borrow(|c| c.iter().any(|&x| x != me && cached_in(x, s.raw())));
        if elsewhere {
            return Err(Hazard::CachedElsewhere);
        }
        self.inner.adds.set(self.inner.adds.get() + 1);
        // SAFETY: valid ctx and session.
        Ok(unsafe { ffi::SSL_CTX_add_session(me, s.raw()) })
    }

    /// `SSL_CTX_remove_session`.
    pub fn remove(&mut self, s: &Session) -> c_int {
        // SAFETY: valid ctx and session.
        unsafe { ffi::SSL_CTX_remove_session(self.raw(), s.raw()) }
    }

    /// `SSL_CTX_flush_sessions`.
    pub fn flush(&mut self, t: i64) {
        // SAFETY: valid ctx.
        unsafe { ffi::SSL_CTX_flush_sessions(self.raw(), t as c_long) }
    }

    /// `SSL_CTX_sess_set_cache_size`: returns the old size.
    pub fn set_cache_size(&mut self, n: i64) -> i64 {
        self.ctrl(ffi::SSL_CTRL_SET_SESS_CACHE_SIZE, n)
    }

    /// `SSL_CTX_sess_get_cache_size`.
    pub fn cache_size(&self) -> i64 {
        self.ctrl(ffi::SSL_CTRL_GET_SESS_CACHE_SIZE, 0)
    }

    /// `SSL_CTX_sess_number`.
    pub fn sess_number(&self) -> i64 {
        self.ctrl(ffi::SSL_CTRL_SESS_NUMBER, 0)
    }

    /// `SSL_CTX_sess_cache_full`, counted from when this handle was made.
    pub fn cache_full(&self) -> i64 {
        self.ctrl(ffi::SSL_CTRL_SESS_CACHE_FULL, 0) - self.inner.full_base
    }

    /// Calls `f` with each cached session, in the hash table's order.
    pub fn for_each_member<'a>(&'a self, mut f: impl FnMut(View<'a>)) {
        unsafe extern "C" fn visit(item: *mut c_void, arg: *mut c_void) {
            // SAFETY: `arg` is the `&mut dyn FnMut` below, alive for the
            // call; items are cached sessions.
            let f = unsafe { &mut *(arg as *mut &mut dyn FnMut(NonNull<SSL_SESSION>)) };
            if let Some(p) = NonNull::new(item as *mut SSL_SESSION) {
                f(p);
            }
        }
        let mut g = |ptr: NonNull<SSL_SESSION>| {
            f(View {
                ptr,
                _life: PhantomData,
            })
        };
        let mut dynf: &mut dyn FnMut(NonNull<SSL_SESSION>) = &mut g;
        // SAFETY: valid ctx; the callback only reads the sessions.
        unsafe {
            let lh = ffi::SSL_CTX_sessions(self.raw());
            if !lh.is_null() {
                ffi::OPENSSL_LH_doall_arg(lh, visit, (&mut dynf as *mut &mut dyn FnMut(_)).cast());
            }
        }
    }

    /// The cached sessions, in the hash table's order.
    pub fn members(&self) -> Vec<View<'_>> {
        let mut out = Vec::new();
        self.for_each_member(|v| out.push(v));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pooled() -> Vec<NonNull<SSL_CTX>> {
        POOL.with_borrow(|p| p.0.clone())
    }

    #[test]
    fn a_context_that_took_many_adds_is_freed_not_pooled() {
        let small = Ctx::plain().unwrap();
        let mut big = Ctx::plain().unwrap();
        let (small_ptr, big_ptr) = (small.inner.ptr, big.inner.ptr);
        for i in 0..=POOL_MAX_ADDS {
            let s = Session::plain().unwrap();
            s.set1_id(&(i as u64).to_le_bytes()).unwrap();
            assert_eq!(big.add(&s).unwrap(), 1);
        }
        drop((small, big));
        let pool = pooled();
        assert!(
            pool.contains(&small_ptr),
            "an emptied small context is reused"
        );
        assert!(
            !pool.contains(&big_ptr),
            "one that held {POOL_MAX_ADDS}+ sessions is not"
        );
    }
}
