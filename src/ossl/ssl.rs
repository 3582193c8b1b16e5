//! [`Ssl`], an `SSL` made from a [`Ctx`].

use std::ffi::{c_int, c_uint};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::rc::Rc;

use super::Hazard;
use super::ctx::{Ctx, CtxInner};
use super::ffi::{self, SSL};
use super::session::data_ptr;
use super::session::{Session, View};

/// An `SSL` made from a [`Ctx`]; dropping it is `SSL_free`.
pub struct Ssl {
    ptr: NonNull<SSL>,
    _ctx: Rc<CtxInner>,
}

impl Drop for Ssl {
    fn drop(&mut self) {
        // SAFETY: we own the SSL.
        unsafe { ffi::SSL_free(self.ptr.as_ptr()) }
    }
}

impl Ssl {
    /// `SSL_new(ctx)`.
    pub fn new(ctx: &Ctx) -> Result<Ssl, Hazard> {
        // SAFETY: valid ctx; NULL is checked.
        let ptr = NonNull::new(unsafe { ffi::SSL_new(ctx.raw()) }).ok_or(Hazard::Allocation)?;
        Ok(Ssl {
            ptr,
            _ctx: Rc::clone(&ctx.inner),
        })
    }

    fn raw(&self) -> *mut SSL {
        self.ptr.as_ptr()
    }

    /// `SSL_set_session`; `None` passes NULL.
    pub fn set_session(&mut self, s: Option<&Session>) -> c_int {
        let p = s.map_or(ptr::null_mut(), Session::raw);
        // SAFETY: valid SSL; NULL or a live session.
        unsafe { ffi::SSL_set_session(self.raw(), p) }
    }

    /// `SSL_get0_session`.
    pub fn session(&self) -> Option<View<'_>> {
        // SAFETY: valid SSL; the session lives while the SSL holds it.
        NonNull::new(unsafe { ffi::SSL_get_session(self.raw()) }).map(|ptr| View {
            ptr,
            _life: PhantomData,
        })
    }

    /// `SSL_get1_session`.
    pub fn get1_session(&self) -> Option<Session> {
        // SAFETY: valid SSL; the result is a new reference or NULL.
        Session::adopt(unsafe { ffi::SSL_get1_session(self.raw()) })
    }

    /// `SSL_copy_session_id(self, from)`.
    pub fn copy_session_id(&mut self, from: &Ssl) -> c_int {
        // SAFETY: both valid.
        unsafe { ffi::SSL_copy_session_id(self.raw(), from.raw()) }
    }

    /// `SSL_copy_session_id(self, self)`.
    pub fn copy_own_session_id(&mut self) -> c_int {
        // SAFETY: valid SSL; libssl handles `to == from`.
        unsafe { ffi::SSL_copy_session_id(self.raw(), self.raw()) }
    }

    /// `SSL_has_matching_session_id(self, id)`; ids longer than a `c_uint`
    /// can count are cut, which libssl refuses anyway (over 32 bytes).
    pub fn has_matching_session_id(&self, id: &[u8]) -> c_int {
        let len = c_uint::try_from(id.len()).unwrap_or(c_uint::MAX);
        // SAFETY: valid SSL, whose ctx lives while it does; libssl reads
        // `len` bytes only when `len` is at most 32, and `id` holds them.
        unsafe { ffi::SSL_has_matching_session_id(self.raw(), data_ptr(id), len) }
    }

    /// `SSL_version`: the protocol version that keys the `SSL`'s cache
    /// lookups.
    pub fn version(&self) -> i32 {
        // SAFETY: valid SSL.
        unsafe { ffi::SSL_version(self.raw()) }
    }

    /// `SSL_clear`.
    pub fn clear(&mut self) -> c_int {
        // SAFETY: valid SSL.
        unsafe { ffi::SSL_clear(self.raw()) }
    }

    /// `SSL_get_verify_result`.
    pub fn verify_result(&self) -> i64 {
        // SAFETY: valid SSL.
        unsafe { ffi::SSL_get_verify_result(self.raw()) as i64 }
    }
}
