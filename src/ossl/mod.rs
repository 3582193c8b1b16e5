//! The system's libssl, behind small safe types. All of the crate's
//! `unsafe` code lives in this module.
//!
//! * [`Session`] owns one reference to an `SSL_SESSION` (`Clone` is
//!   `SSL_SESSION_up_ref`, `Drop` is `SSL_SESSION_free`); [`View`] borrows
//!   one for reading.
//! * [`Ssl`] owns an `SSL`; [`Ctx`] owns an `SSL_CTX` and its session cache.
//! * Every session carries a *tag* (a `u64`) in one ex_data index. The
//!   index's callbacks and the cache's remove callback record
//!   [`Observed`] events in a per-thread log, read with [`take_events`];
//!   [`live_sessions`] counts the sessions made and not yet freed on this
//!   thread.
//!
//! The types are neither `Send` nor `Sync`: one thread owns a world.
//! Calls that would be undefined behaviour in libssl (SEMANTICS.md §14.3)
//! are refused with [`Hazard`] rather than made.

pub mod ffi;

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_int, c_long, c_uint, c_void};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::rc::Rc;
use std::sync::OnceLock;

use ffi::{SSL, SSL_CTX, SSL_SESSION};

/// An event seen through libssl's callbacks, with the session's tag
/// (`None` for a session that never got one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// The cache's remove callback was called with the session.
    Removed(Option<u64>),
    /// The session's last reference went away (ex_data free callback).
    Died(Option<u64>),
}

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
    static CTXS: RefCell<Vec<*mut SSL_CTX>> = const { RefCell::new(Vec::new()) };
}

fn encode_tag(tag: Option<u64>) -> *mut c_void {
    tag.map_or(0, |t| t as usize + 1) as *mut c_void
}

fn decode_tag(p: *mut c_void) -> Option<u64> {
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

unsafe extern "C" fn on_remove(_ctx: *mut SSL_CTX, sess: *mut SSL_SESSION) {
    // SAFETY: the callback's session is valid for the call (§8.8).
    let tag = decode_tag(unsafe { ffi::SSL_SESSION_get_ex_data(sess, tag_index()) });
    LOG.with_borrow_mut(|l| l.events.push(Observed::Removed(tag)));
}

/// The ex_data index that holds tags, registered once per process.
static INDEX: OnceLock<c_int> = OnceLock::new();

fn tag_index() -> c_int {
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

/// Takes the events recorded on this thread since the last call.
pub fn take_events() -> Vec<Observed> {
    LOG.with_borrow_mut(|l| std::mem::take(&mut l.events))
}

/// Sessions made on this thread (new, dup or decode, counted by the
/// ex_data new callback) minus those that died.
pub fn live_sessions() -> i64 {
    LOG.with_borrow(|l| l.born as i64 - l.died as i64)
}

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
    (e & 0x7FFF_FFFF) as u32
}

/// The version string of the libssl in use, e.g. "OpenSSL 3.0.19 27 Jan 2026".
pub fn version() -> String {
    // SAFETY: OpenSSL_version returns a static C string.
    unsafe { CStr::from_ptr(ffi::OpenSSL_version(ffi::OPENSSL_VERSION)) }
        .to_string_lossy()
        .into_owned()
}

/// An `SSL` kept per thread to look ciphers up by code.
struct CipherLookup {
    ctx: *mut SSL_CTX,
    ssl: *mut SSL,
}

impl Drop for CipherLookup {
    fn drop(&mut self) {
        // SAFETY: both were made below and are used by nothing else.
        unsafe {
            ffi::SSL_free(self.ssl);
            ffi::SSL_CTX_free(self.ctx);
        }
    }
}

thread_local! {
    static LOOKUP: CipherLookup = {
        // SAFETY: plain constructors; NULL is checked before use.
        let ctx = unsafe { ffi::SSL_CTX_new(ffi::TLS_method()) };
        assert!(!ctx.is_null(), "SSL_CTX_new failed");
        // SAFETY: a valid ctx.
        let ssl = unsafe { ffi::SSL_new(ctx) };
        assert!(!ssl.is_null(), "SSL_new failed");
        CipherLookup { ctx, ssl }
    };
}

/// The cipher libssl knows by the two-byte `code` (`SSL_CIPHER_find`, which
/// is `ssl3_get_cipher_by_id`), or NULL.
fn find_cipher(code: u16) -> *const ffi::SSL_CIPHER {
    let bytes = code.to_be_bytes();
    // SAFETY: a valid SSL and a two-byte buffer.
    LOOKUP.with(|l| unsafe { ffi::SSL_CIPHER_find(l.ssl, bytes.as_ptr()) })
}

/// Whether libssl knows a cipher suite by the two-byte `code`.
pub fn cipher_known(code: u16) -> bool {
    !find_cipher(code).is_null()
}

/// Any pointer for `bytes` that libssl may read `bytes.len()` bytes from;
/// never NULL, even for an empty slice (NULL is dereferenced, §14.3).
fn data_ptr(bytes: &[u8]) -> *const u8 {
    static ZERO: u8 = 0;
    if bytes.is_empty() {
        &ZERO
    } else {
        bytes.as_ptr()
    }
}

fn cached_in(ctx: *mut SSL_CTX, s: *mut SSL_SESSION) -> bool {
    // SAFETY: `ctx` is alive (registered in CTXS) and `s` is a valid session.
    unsafe {
        let lh = ffi::SSL_CTX_sessions(ctx);
        !lh.is_null() && ffi::OPENSSL_LH_retrieve(lh, s as *const c_void) == s as *mut c_void
    }
}

fn cached_anywhere(s: *mut SSL_SESSION) -> bool {
    CTXS.with_borrow(|ctxs| ctxs.iter().any(|&c| cached_in(c, s)))
}

/// One owned reference to an `SSL_SESSION`.
pub struct Session {
    ptr: NonNull<SSL_SESSION>,
}

impl Clone for Session {
    /// `SSL_SESSION_up_ref`.
    fn clone(&self) -> Session {
        // SAFETY: we own a reference, so the object is alive.
        let ok = unsafe { ffi::SSL_SESSION_up_ref(self.ptr.as_ptr()) };
        assert_eq!(ok, 1, "SSL_SESSION_up_ref failed");
        Session { ptr: self.ptr }
    }
}

impl Drop for Session {
    /// `SSL_SESSION_free`: releases this reference.
    fn drop(&mut self) {
        // SAFETY: we own exactly this reference.
        unsafe { ffi::SSL_SESSION_free(self.ptr.as_ptr()) }
    }
}

impl Session {
    /// `SSL_SESSION_new`, tagged `tag`, with its time set to `time` before
    /// anything can observe the clock's value.
    pub fn new(tag: u64, time: i64) -> Result<Session, Hazard> {
        let idx = tag_index();
        // SAFETY: plain constructor; NULL is checked.
        let ptr = NonNull::new(unsafe { ffi::SSL_SESSION_new() }).ok_or(Hazard::Allocation)?;
        // SAFETY: `ptr` is a fresh session we own.
        unsafe {
            ffi::SSL_SESSION_set_ex_data(ptr.as_ptr(), idx, encode_tag(Some(tag)));
            ffi::SSL_SESSION_set_time(ptr.as_ptr(), time as c_long);
        }
        Ok(Session { ptr })
    }

    /// A bare `SSL_SESSION_new` (time from the clock, no tag). Until the
    /// tag index is registered by [`Session::new`] or [`Ctx::new`], no
    /// ex_data callback runs either: this is libssl's own cost, for
    /// benchmarks.
    pub fn plain() -> Result<Session, Hazard> {
        // SAFETY: plain constructor; NULL is checked.
        NonNull::new(unsafe { ffi::SSL_SESSION_new() })
            .map(|ptr| Session { ptr })
            .ok_or(Hazard::Allocation)
    }

    /// `d2i_SSL_SESSION(NULL, ...)`: a new session from `der`, tagged
    /// `tag`, and the bytes libssl used; `None` if libssl refused it.
    pub fn decode(tag: u64, der: &[u8]) -> Option<(Session, usize)> {
        let idx = tag_index();
        let (s, used) = Session::decode_plain(der)?;
        // SAFETY: a fresh session we own.
        unsafe { ffi::SSL_SESSION_set_ex_data(s.raw(), idx, encode_tag(Some(tag))) };
        Some((s, used))
    }

    /// A bare `d2i_SSL_SESSION(NULL, ...)`, with no tag (and, as with
    /// [`Session::plain`], no callbacks until the tag index is registered):
    /// libssl's own cost, for benchmarks.
    pub fn decode_plain(der: &[u8]) -> Option<(Session, usize)> {
        let mut p = der.as_ptr();
        let len = c_long::try_from(der.len()).unwrap_or(c_long::MAX);
        // SAFETY: `p` and `len` describe `der`; a NULL `a` makes libssl
        // allocate the result, which we then own.
        let s = Session::adopt(unsafe { ffi::d2i_SSL_SESSION(ptr::null_mut(), &mut p, len) })?;
        let used = p as usize - der.as_ptr() as usize;
        Some((s, used))
    }

    /// `d2i_SSL_SESSION(&s, ...)`: decodes `der` into this session in
    /// place. Returns the bytes used, or `None` if libssl refused the input
    /// (the session may be left partly overwritten). Refused for a cached
    /// session: it would change the key behind the cache's back.
    pub fn decode_into(&self, der: &[u8]) -> Result<Option<usize>, Hazard> {
        if cached_anywhere(self.raw()) {
            return Err(Hazard::KeyOfCachedSession);
        }
        let mut a = self.raw();
        let mut p = der.as_ptr();
        let len = c_long::try_from(der.len()).unwrap_or(c_long::MAX);
        // SAFETY: `a` is our live session, which libssl reuses and never
        // frees (on failure `*a` is still the object it worked on); `p` and
        // `len` describe `der`.
        let r = unsafe { ffi::d2i_SSL_SESSION(&mut a, &mut p, len) };
        debug_assert!(r.is_null() || r == self.raw());
        Ok((!r.is_null()).then(|| p as usize - der.as_ptr() as usize))
    }

    /// Makes this reference shareable between threads for reference
    /// counting only (see [`SharedSession`]).
    pub fn into_shared(self) -> SharedSession {
        SharedSession(self)
    }

    /// Adopts a reference returned by libssl, if not NULL.
    fn adopt(p: *mut SSL_SESSION) -> Option<Session> {
        NonNull::new(p).map(|ptr| Session { ptr })
    }

    fn raw(&self) -> *mut SSL_SESSION {
        self.ptr.as_ptr()
    }

    /// A borrowed view for reading.
    pub fn view(&self) -> View<'_> {
        View {
            ptr: self.ptr,
            _life: PhantomData,
        }
    }

    /// `SSL_SESSION_dup`; the copy is tagged `tag`. `None` if libssl failed.
    pub fn dup(&self, tag: u64) -> Option<Session> {
        let tagged = INDEX.get().is_some();
        if tagged {
            LOG.with_borrow_mut(|l| l.dup_tag = Some(tag));
        }
        // SAFETY: the source is alive.
        let copy = unsafe { ffi::SSL_SESSION_dup(self.raw()) };
        if tagged {
            LOG.with_borrow_mut(|l| l.dup_tag = None);
        }
        Session::adopt(copy)
    }

    /// `SSL_SESSION_set1_id`; refused for a cached session.
    pub fn set1_id(&self, id: &[u8]) -> Result<c_int, Hazard> {
        if cached_anywhere(self.raw()) {
            return Err(Hazard::KeyOfCachedSession);
        }
        let len = c_uint::try_from(id.len()).unwrap_or(c_uint::MAX);
        // SAFETY: valid session and buffer; libssl checks the length.
        Ok(unsafe { ffi::SSL_SESSION_set1_id(self.raw(), data_ptr(id), len) })
    }

    /// `SSL_SESSION_set_protocol_version`; refused for a cached session.
    pub fn set_protocol_version(&self, version: i32) -> Result<c_int, Hazard> {
        if cached_anywhere(self.raw()) {
            return Err(Hazard::KeyOfCachedSession);
        }
        // SAFETY: valid session.
        Ok(unsafe { ffi::SSL_SESSION_set_protocol_version(self.raw(), version) })
    }

    /// `SSL_SESSION_set1_id_context`.
    pub fn set1_id_context(&self, sid_ctx: &[u8]) -> c_int {
        let len = c_uint::try_from(sid_ctx.len()).unwrap_or(c_uint::MAX);
        // SAFETY: valid session and buffer; libssl checks the length.
        unsafe { ffi::SSL_SESSION_set1_id_context(self.raw(), data_ptr(sid_ctx), len) }
    }

    /// `SSL_SESSION_set1_master_key`.
    pub fn set1_master_key(&self, key: &[u8]) -> c_int {
        // SAFETY: valid session and buffer; libssl checks the length.
        unsafe { ffi::SSL_SESSION_set1_master_key(self.raw(), data_ptr(key), key.len()) }
    }

    /// `SSL_SESSION_set_time`.
    pub fn set_time(&self, t: i64) -> i64 {
        // SAFETY: valid session; a cached one is re-sorted under its owner's lock.
        unsafe { ffi::SSL_SESSION_set_time(self.raw(), t as c_long) as i64 }
    }

    /// `SSL_SESSION_set_timeout`.
    pub fn set_timeout(&self, t: i64) -> i64 {
        // SAFETY: as set_time.
        unsafe { ffi::SSL_SESSION_set_timeout(self.raw(), t as c_long) as i64 }
    }

    /// `SSL_SESSION_set1_hostname`; `None` passes NULL.
    pub fn set1_hostname(&self, hostname: Option<&[u8]>) -> Result<c_int, Hazard> {
        let c = hostname
            .map(|h| CString::new(h).map_err(|_| Hazard::NulInHostname))
            .transpose()?;
        let p = c.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        // SAFETY: valid session; NULL or a C string.
        Ok(unsafe { ffi::SSL_SESSION_set1_hostname(self.raw(), p) })
    }

    /// `SSL_SESSION_set1_alpn_selected`; `None` passes NULL and length 0.
    pub fn set1_alpn_selected(&self, alpn: Option<&[u8]>) -> c_int {
        let (p, n) = alpn.map_or((ptr::null(), 0), |a| (data_ptr(a), a.len()));
        // SAFETY: valid session; NULL is allowed here.
        unsafe { ffi::SSL_SESSION_set1_alpn_selected(self.raw(), p, n) }
    }

    /// `SSL_SESSION_set1_ticket_appdata`; `None` passes NULL and length 0.
    pub fn set1_ticket_appdata(&self, data: Option<&[u8]>) -> c_int {
        let (p, n) = data.map_or((ptr::null(), 0), |a| (data_ptr(a), a.len()));
        // SAFETY: valid session; NULL is allowed here.
        unsafe { ffi::SSL_SESSION_set1_ticket_appdata(self.raw(), p.cast(), n) }
    }

    /// `SSL_SESSION_set_cipher` with the cipher libssl knows by `code`:
    /// NULL for `None` or an unknown code.
    pub fn set_cipher(&self, code: Option<u16>) -> c_int {
        let c = code.map_or(ptr::null(), find_cipher);
        // SAFETY: valid session; NULL or a static cipher.
        unsafe { ffi::SSL_SESSION_set_cipher(self.raw(), c) }
    }

    /// `SSL_SESSION_set_max_early_data`.
    pub fn set_max_early_data(&self, v: u32) -> c_int {
        // SAFETY: valid session.
        unsafe { ffi::SSL_SESSION_set_max_early_data(self.raw(), v) }
    }
}

/// A session reference that may cross threads, offering only what libssl
/// makes thread-safe for a shared session: taking and releasing references
/// (atomic counts). No setter or getter, so no data race.
pub struct SharedSession(Session);

// SAFETY: only `SSL_SESSION_up_ref` and `SSL_SESSION_free` are reachable,
// and both are thread-safe (atomic reference counting, §11).
unsafe impl Send for SharedSession {}
// SAFETY: as above; `&SharedSession` allows only `up_ref_release`.
unsafe impl Sync for SharedSession {}

impl SharedSession {
    /// `SSL_SESSION_up_ref` then `SSL_SESSION_free`.
    pub fn up_ref_release(&self) {
        drop(self.0.clone());
    }
}

/// A borrowed `SSL_SESSION`, valid while what lent it is not changed.
#[derive(Clone, Copy)]
pub struct View<'a> {
    ptr: NonNull<SSL_SESSION>,
    _life: PhantomData<&'a ()>,
}

/// Copies `len` bytes at `p`, or `None` for NULL.
///
/// # Safety
/// `p` must be NULL or valid for reading `len` bytes.
unsafe fn copy_bytes(p: *const u8, len: usize) -> Option<Vec<u8>> {
    if p.is_null() {
        None
    } else {
        // SAFETY: per the contract.
        Some(unsafe { std::slice::from_raw_parts(p, len) }.to_vec())
    }
}

/// A session id or id context (at most 32 bytes), copied out of a session.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IdBuf {
    len: u8,
    bytes: [u8; 32],
}

impl IdBuf {
    /// # Safety
    /// `p` must be NULL or valid for reading `len` bytes.
    unsafe fn copy(p: *const u8, len: c_uint) -> IdBuf {
        let mut b = IdBuf {
            len: 0,
            bytes: [0; 32],
        };
        let n = (len as usize).min(32);
        if !p.is_null() && n > 0 {
            // SAFETY: per the contract.
            b.bytes[..n].copy_from_slice(unsafe { std::slice::from_raw_parts(p, n) });
            b.len = n as u8;
        }
        b
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl View<'_> {
    fn raw(&self) -> *mut SSL_SESSION {
        self.ptr.as_ptr()
    }

    /// The tag in ex_data, if any.
    pub fn tag(&self) -> Option<u64> {
        // SAFETY: the view's session is alive.
        decode_tag(unsafe { ffi::SSL_SESSION_get_ex_data(self.raw(), tag_index()) })
    }

    /// True if both name the same object.
    pub fn same(&self, other: &View<'_>) -> bool {
        self.ptr == other.ptr
    }

    /// `SSL_SESSION_get_id`, copied without allocating.
    pub fn id(&self) -> IdBuf {
        let mut len: c_uint = 0;
        // SAFETY: alive session; the buffer is inside it.
        unsafe { IdBuf::copy(ffi::SSL_SESSION_get_id(self.raw(), &mut len), len) }
    }

    /// `SSL_SESSION_get0_id_context`, copied without allocating.
    pub fn id_context(&self) -> IdBuf {
        let mut len: c_uint = 0;
        // SAFETY: as id.
        unsafe { IdBuf::copy(ffi::SSL_SESSION_get0_id_context(self.raw(), &mut len), len) }
    }

    /// `SSL_SESSION_get_master_key` (allocates only for a non-empty key).
    pub fn master_key(&self) -> Vec<u8> {
        // SAFETY: with `outlen` 0 only the length is returned.
        let n = unsafe { ffi::SSL_SESSION_get_master_key(self.raw(), ptr::null_mut(), 0) };
        let mut buf = vec![0u8; n];
        if n > 0 {
            // SAFETY: the buffer has room for the whole key.
            let got = unsafe { ffi::SSL_SESSION_get_master_key(self.raw(), buf.as_mut_ptr(), n) };
            buf.truncate(got);
        }
        buf
    }

    /// `SSL_SESSION_get_time`.
    pub fn time(&self) -> i64 {
        // SAFETY: alive session.
        unsafe { ffi::SSL_SESSION_get_time(self.raw()) as i64 }
    }

    /// `SSL_SESSION_get_timeout`.
    pub fn timeout(&self) -> i64 {
        // SAFETY: alive session.
        unsafe { ffi::SSL_SESSION_get_timeout(self.raw()) as i64 }
    }

    /// `SSL_SESSION_get_protocol_version`.
    pub fn protocol_version(&self) -> i32 {
        // SAFETY: alive session.
        unsafe { ffi::SSL_SESSION_get_protocol_version(self.raw()) }
    }

    /// `SSL_SESSION_get0_hostname`.
    pub fn hostname(&self) -> Option<Vec<u8>> {
        // SAFETY: NULL or a C string owned by the session.
        unsafe {
            let p = ffi::SSL_SESSION_get0_hostname(self.raw());
            (!p.is_null()).then(|| CStr::from_ptr(p).to_bytes().to_vec())
        }
    }

    /// `SSL_SESSION_get0_alpn_selected`.
    pub fn alpn_selected(&self) -> Option<Vec<u8>> {
        let (mut p, mut n) = (ptr::null(), 0usize);
        // SAFETY: both out-pointers are valid; the buffer is the session's.
        unsafe {
            ffi::SSL_SESSION_get0_alpn_selected(self.raw(), &mut p, &mut n);
            copy_bytes(p, n)
        }
    }

    /// `SSL_SESSION_get0_ticket`: the buffer, if not NULL, and the length
    /// libssl records (which d2i can leave set with a NULL buffer).
    pub fn ticket(&self) -> (Option<Vec<u8>>, usize) {
        let (mut p, mut n) = (ptr::null(), 0usize);
        // SAFETY: valid out-pointers. A non-NULL ticket holds `n` bytes:
        // every path that sets the buffer sets its length with it.
        unsafe {
            ffi::SSL_SESSION_get0_ticket(self.raw(), &mut p, &mut n);
            let bytes = (!p.is_null()).then(|| std::slice::from_raw_parts(p, n).to_vec());
            (bytes, n)
        }
    }

    /// `SSL_SESSION_get0_ticket_appdata`.
    pub fn ticket_appdata(&self) -> Option<Vec<u8>> {
        let (mut p, mut n) = (ptr::null_mut(), 0usize);
        // SAFETY: as alpn_selected.
        unsafe {
            ffi::SSL_SESSION_get0_ticket_appdata(self.raw(), &mut p, &mut n);
            copy_bytes(p as *const u8, n)
        }
    }

    /// The protocol id of `SSL_SESSION_get0_cipher`, or `None` for NULL.
    pub fn cipher(&self) -> Option<u16> {
        // SAFETY: alive session; ciphers are static.
        unsafe {
            let c = ffi::SSL_SESSION_get0_cipher(self.raw());
            (!c.is_null()).then(|| ffi::SSL_CIPHER_get_protocol_id(c))
        }
    }

    /// `i2d_SSL_SESSION`: the DER encoding, empty when libssl writes
    /// nothing (no cipher).
    pub fn encoding(&self) -> Vec<u8> {
        // SAFETY: with a NULL out-pointer only the length is returned.
        let n = unsafe { ffi::i2d_SSL_SESSION(self.raw(), ptr::null_mut()) };
        if n <= 0 {
            return Vec::new();
        }
        let mut buf = vec![0u8; n as usize];
        let mut p = buf.as_mut_ptr();
        // SAFETY: the buffer holds the `n` bytes i2d writes.
        let written = unsafe { ffi::i2d_SSL_SESSION(self.raw(), &mut p) };
        buf.truncate(written.max(0) as usize);
        buf
    }

    /// `SSL_SESSION_get_max_early_data`.
    pub fn max_early_data(&self) -> u32 {
        // SAFETY: alive session.
        unsafe { ffi::SSL_SESSION_get_max_early_data(self.raw()) }
    }

    /// `SSL_SESSION_get_ticket_lifetime_hint`.
    pub fn ticket_lifetime_hint(&self) -> u64 {
        // SAFETY: alive session.
        unsafe { ffi::SSL_SESSION_get_ticket_lifetime_hint(self.raw()) as u64 }
    }

    /// `SSL_SESSION_get_compress_id`.
    pub fn compress_id(&self) -> u32 {
        // SAFETY: alive session.
        unsafe { ffi::SSL_SESSION_get_compress_id(self.raw()) }
    }

    /// `SSL_SESSION_get_max_fragment_length`.
    pub fn max_fragment_length(&self) -> u8 {
        // SAFETY: alive session.
        unsafe { ffi::SSL_SESSION_get_max_fragment_length(self.raw()) }
    }

    /// `SSL_SESSION_is_resumable`.
    pub fn is_resumable(&self) -> bool {
        // SAFETY: alive session.
        unsafe { ffi::SSL_SESSION_is_resumable(self.raw()) != 0 }
    }

    /// `SSL_SESSION_has_ticket`.
    pub fn has_ticket(&self) -> bool {
        // SAFETY: alive session.
        unsafe { ffi::SSL_SESSION_has_ticket(self.raw()) != 0 }
    }
}

/// Emptied contexts kept for reuse, at most this many per thread.
const POOL_SIZE: usize = 4;

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

struct CtxInner {
    ptr: NonNull<SSL_CTX>,
    /// `cache_full` when this context was handed out.
    full_base: i64,
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
        let pooled = POOL.with_borrow_mut(|pool| {
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
/// callback records [`Observed::Removed`]. While [`Ssl`]s made from it
/// live, the cache lives on with them.
///
/// Dropping the last handle has the session effects of `SSL_CTX_free`
/// (a `flush(0)`); the emptied context is then kept for reuse, since
/// creating one is expensive. A reused context is indistinguishable through
/// this type: its cache is empty, its size is 20480 and [`Ctx::cache_full`]
/// counts from 0.
pub struct Ctx {
    inner: Rc<CtxInner>,
}

impl Ctx {
    /// `SSL_CTX_new(TLS_method())` with the remove callback installed (or
    /// a recycled context in the same state).
    pub fn new() -> Result<Ctx, Hazard> {
        tag_index();
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
            inner: Rc::new(CtxInner { ptr, full_base }),
        })
    }

    fn raw(&self) -> *mut SSL_CTX {
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

#[cfg(test)]
mod tests {
    //! Each declaration links and behaves as SEMANTICS.md says.
    use super::*;

    #[test]
    fn version_is_3_0() {
        assert!(version().starts_with("OpenSSL 3."), "{}", version());
    }

    #[test]
    fn session_lifecycle_is_observed() {
        take_events();
        let base = live_sessions();
        let s = Session::new(7, 1000).unwrap();
        assert_eq!(live_sessions(), base + 1);
        let v = s.view();
        assert_eq!(
            (v.tag(), v.time(), v.timeout(), v.protocol_version()),
            (Some(7), 1000, 304, 0)
        );
        let t = s.clone();
        let d = s.dup(8).unwrap();
        assert_eq!(d.view().tag(), Some(8));
        drop(s);
        drop(t);
        drop(d);
        assert_eq!(
            take_events(),
            [Observed::Died(Some(7)), Observed::Died(Some(8))]
        );
        assert_eq!(live_sessions(), base);
    }

    #[test]
    fn setters_and_getters() {
        let s = Session::new(1, 5).unwrap();
        clear_errors();
        assert_eq!(s.set1_id(&[0; 33]), Ok(0));
        assert_eq!(last_error(), (20 << 23) | 408);
        assert_eq!(s.set1_id(b"ab"), Ok(1));
        assert_eq!(s.set1_id_context(b"ctx"), 1);
        assert_eq!(s.set1_master_key(&[0; 513]), 0);
        assert_eq!(s.set1_master_key(&[3; 48]), 1);
        assert_eq!(s.set_timeout(-1), 0);
        assert_eq!(s.set_time(-9), -9);
        assert_eq!(s.set1_hostname(Some(b"h")), Ok(1));
        assert_eq!(s.set1_hostname(Some(b"a\0b")), Err(Hazard::NulInHostname));
        assert_eq!(s.set1_alpn_selected(Some(b"h2")), 1);
        assert_eq!(s.set1_ticket_appdata(Some(b"")), 1);
        assert_eq!(s.set_max_early_data(9), 1);
        let v = s.view();
        assert_eq!(v.id().as_bytes(), b"ab");
        assert_eq!(v.id_context().as_bytes(), b"ctx");
        assert_eq!(v.master_key(), [3; 48]);
        assert_eq!(v.time(), -9);
        assert_eq!(v.hostname().as_deref(), Some(&b"h"[..]));
        assert_eq!(v.alpn_selected().as_deref(), Some(&b"h2"[..]));
        assert_eq!(v.ticket_appdata(), None);
        assert_eq!(v.max_early_data(), 9);
        assert!(v.is_resumable());
        assert!(!v.has_ticket());
        assert_eq!(
            (
                v.ticket_lifetime_hint(),
                v.compress_id(),
                v.max_fragment_length()
            ),
            (0, 0, 0)
        );
    }

    #[test]
    fn cache_and_ssl_calls() {
        take_events();
        let mut ctx = Ctx::new().unwrap();
        assert_eq!(ctx.cache_size(), 20480);
        assert_eq!(ctx.set_cache_size(-1), 0);
        let s = Session::new(1, 100).unwrap();
        s.set1_id(b"x").unwrap();
        assert_eq!(ctx.add(&s), Ok(1));
        assert_eq!(ctx.add(&s), Ok(0));
        assert_eq!(s.set1_id(b"y"), Err(Hazard::KeyOfCachedSession));
        assert_eq!(ctx.sess_number(), 1);
        assert_eq!(ctx.members()[0].tag(), Some(1));
        let mut ssl = Ssl::new(&ctx).unwrap();
        assert_eq!(ssl.set_session(Some(&s)), 1);
        assert_eq!(ssl.verify_result(), 1);
        let g = ssl.get1_session().unwrap();
        assert!(g.view().same(&ssl.session().unwrap()));
        assert_eq!(ctx.remove(&g), 1);
        assert_eq!(take_events(), [Observed::Removed(Some(1))]);
        drop((s, g, ssl));
        assert_eq!(take_events(), [Observed::Died(Some(1))]);
        ctx.flush(0);
        assert_eq!(ctx.cache_full(), 0);
    }

    #[test]
    fn a_recycled_ctx_is_like_a_new_one() {
        take_events();
        let mut ctx = Ctx::new().unwrap();
        ctx.set_cache_size(1);
        for tag in 0..3 {
            let s = Session::new(tag, 100).unwrap();
            s.set1_id(&[tag as u8 + 1]).unwrap();
            ctx.add(&s).unwrap();
        }
        assert_eq!(ctx.cache_full(), 2);
        drop(ctx);
        assert_eq!(
            take_events(),
            [
                Observed::Removed(Some(0)),
                Observed::Died(Some(0)),
                Observed::Removed(Some(1)),
                Observed::Died(Some(1)),
                Observed::Removed(Some(2)),
                Observed::Died(Some(2)),
            ]
        );
        let again = Ctx::new().unwrap();
        assert_eq!(
            (again.cache_full(), again.cache_size(), again.sess_number()),
            (0, 20480, 0)
        );
        assert!(again.members().is_empty());
    }
}
