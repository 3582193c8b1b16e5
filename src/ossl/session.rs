//! [`Session`], one owned reference to an `SSL_SESSION`, and [`View`], a
//! borrowed one for reading.
//!
//! One job, kept in one file on purpose: the safe face of the
//! `SSL_SESSION_*` calls, each with the `unsafe` block and the SAFETY
//! argument it needs, beside the hazard checks (a cached session's key) and
//! the encoding bound that make those arguments hold. Splitting the setters
//! ([`Session`]) from the getters ([`View`]) would part the bound in
//! `View::encoding_bound` from the setters whose lengths it counts.

use std::ffi::{CStr, CString, c_int, c_long, c_uint, c_void};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Hazard;
use super::cipher::find_cipher;
use super::ffi::{self, SSL_CTX, SSL_SESSION};
use super::log::{CTXS, bury_stillborn, ex_index, tag_of, with_birth};
use crate::bytes::refill_opt;

/// Any pointer for `bytes` that libssl may read `bytes.len()` bytes from;
/// never NULL, even for an empty slice (NULL is dereferenced, §14.3).
pub(super) fn data_ptr(bytes: &[u8]) -> *const u8 {
    static ZERO: u8 = 0;
    if bytes.is_empty() {
        &ZERO
    } else {
        bytes.as_ptr()
    }
}

/// The longest input any `d2i_SSL_SESSION` of this process was given:
/// what bounds the fields only decoding sets ([`View::encoding_bound`]).
static LONGEST_DECODED: AtomicUsize = AtomicUsize::new(0);

/// Records that `der` goes to `d2i_SSL_SESSION`: every call of it passes
/// here first.
fn note_decoded(der: &[u8]) {
    LONGEST_DECODED.fetch_max(der.len(), Ordering::Relaxed);
}

pub(super) fn cached_in(ctx: *mut SSL_CTX, s: *mut SSL_SESSION) -> bool {
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
    /// A planted memory error, for the harness's own tests (`faults`
    /// builds only): `SSL_SESSION_free` once more than this handle owns.
    /// When this handle holds the last reference, libssl frees the object
    /// here and the handle's own release is a use-after-free inside
    /// libssl, which AddressSanitizer reports (`scripts/check-libssl-asan.sh`).
    #[cfg(feature = "faults")]
    pub fn release_one_too_many(&self) {
        // SAFETY: deliberately unsound: this is the planted bug. Nothing
        // but that fault's test build calls it.
        unsafe { ffi::SSL_SESSION_free(self.ptr.as_ptr()) }
    }

    /// `SSL_SESSION_free(NULL)`, which libssl allows and ignores.
    pub fn free_null() {
        // SAFETY: NULL is documented to be a no-op.
        unsafe { ffi::SSL_SESSION_free(ptr::null_mut()) }
    }

    /// `SSL_SESSION_new`, tagged `tag`, with its time set to `time` before
    /// anything can observe the clock's value.
    pub fn new(tag: u64, time: i64) -> Result<Session, Hazard> {
        // SAFETY: plain constructor; NULL is checked.
        let ptr = with_birth(tag, None, || unsafe { ffi::SSL_SESSION_new() });
        let ptr = NonNull::new(ptr).ok_or(Hazard::Allocation)?;
        // SAFETY: `ptr` is a fresh session we own.
        unsafe { ffi::SSL_SESSION_set_time(ptr.as_ptr(), time as c_long) };
        Ok(Session { ptr })
    }

    /// A bare `SSL_SESSION_new` (time from the clock, no tag). Until the
    /// tag index is registered by [`Session::new`] or
    /// [`Ctx::new`](super::Ctx::new), no ex_data callback runs either: this
    /// is libssl's own cost, for benchmarks.
    pub fn plain() -> Result<Session, Hazard> {
        // SAFETY: plain constructor; NULL is checked.
        NonNull::new(unsafe { ffi::SSL_SESSION_new() })
            .map(|ptr| Session { ptr })
            .ok_or(Hazard::Allocation)
    }

    /// `d2i_SSL_SESSION(NULL, ...)`: a new session from `der`, tagged
    /// `tag`, and the bytes libssl used; `None` if libssl refused it.
    pub fn decode(tag: u64, der: &[u8]) -> Option<(Session, usize)> {
        with_birth(tag, None, || Session::decode_plain(der))
    }

    /// A bare `d2i_SSL_SESSION(NULL, ...)`, with no tag (and, as with
    /// [`Session::plain`], no callbacks until the tag index is registered):
    /// libssl's own cost, for benchmarks.
    pub fn decode_plain(der: &[u8]) -> Option<(Session, usize)> {
        note_decoded(der);
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
        note_decoded(der);
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
    pub(super) fn adopt(p: *mut SSL_SESSION) -> Option<Session> {
        NonNull::new(p).map(|ptr| Session { ptr })
    }

    pub(super) fn raw(&self) -> *mut SSL_SESSION {
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
        let source = tag_of(self.raw());
        // SAFETY: the source is alive.
        let copy = with_birth(tag, source, || unsafe { ffi::SSL_SESSION_dup(self.raw()) });
        if copy.is_null() {
            bury_stillborn(tag);
        }
        Session::adopt(copy)
    }

    /// A bare `SSL_SESSION_dup` (no tag; as with [`Session::plain`], no
    /// callbacks unless the harness registered its indexes): libssl's own
    /// cost, for benchmarks.
    pub fn dup_plain(&self) -> Option<Session> {
        // SAFETY: the source is alive.
        Session::adopt(unsafe { ffi::SSL_SESSION_dup(self.raw()) })
    }

    /// `SSL_SESSION_set_ex_data` at the program's ex_data index `k` (0 is
    /// app_data; 1.. are the pool's, see [`super::ex_register`]); the value
    /// is an opaque pointer, never dereferenced.
    pub fn set_ex_data(&self, k: u8, value: usize) -> c_int {
        // SAFETY: valid session; the index is registered.
        unsafe { ffi::SSL_SESSION_set_ex_data(self.raw(), ex_index(k), value as *mut c_void) }
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
    pub(super) ptr: NonNull<SSL_SESSION>,
    pub(super) _life: PhantomData<&'a ()>,
}

/// The `len` bytes at `p`, or `None` for NULL.
///
/// # Safety
/// `p` must be NULL or valid for reading `len` bytes for `'a`.
unsafe fn borrow_bytes<'a>(p: *const u8, len: usize) -> Option<&'a [u8]> {
    // SAFETY: per the contract.
    (!p.is_null()).then(|| unsafe { std::slice::from_raw_parts(p, len) })
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

    /// The session's tag (the step that made it), if the harness made it.
    pub fn tag(&self) -> Option<u64> {
        tag_of(self.raw())
    }

    /// `SSL_SESSION_get_ex_data` at the program's ex_data index `k`, as a
    /// number (0 for NULL).
    pub fn ex_data(&self, k: u8) -> usize {
        // SAFETY: valid session; the index is registered.
        unsafe { ffi::SSL_SESSION_get_ex_data(self.raw(), ex_index(k)) as usize }
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
        let mut buf = Vec::new();
        self.master_key_into(&mut buf);
        buf
    }

    /// [`View::master_key`] into `out`'s buffer.
    pub fn master_key_into(&self, out: &mut Vec<u8>) {
        // SAFETY: with `outlen` 0 only the length is returned.
        let n = unsafe { ffi::SSL_SESSION_get_master_key(self.raw(), ptr::null_mut(), 0) };
        out.clear();
        out.resize(n, 0);
        if n > 0 {
            // SAFETY: the buffer has room for the whole key.
            let got = unsafe { ffi::SSL_SESSION_get_master_key(self.raw(), out.as_mut_ptr(), n) };
            out.truncate(got);
        }
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
        let mut out = None;
        self.hostname_into(&mut out);
        out
    }

    /// [`View::hostname`] into `out`'s buffer.
    pub fn hostname_into(&self, out: &mut Option<Vec<u8>>) {
        // SAFETY: NULL or a C string owned by the session, copied before
        // anything can change the session.
        unsafe {
            let p = ffi::SSL_SESSION_get0_hostname(self.raw());
            refill_opt(out, (!p.is_null()).then(|| CStr::from_ptr(p).to_bytes()));
        }
    }

    /// `SSL_SESSION_get0_alpn_selected`.
    pub fn alpn_selected(&self) -> Option<Vec<u8>> {
        let mut out = None;
        self.alpn_selected_into(&mut out);
        out
    }

    /// [`View::alpn_selected`] into `out`'s buffer.
    pub fn alpn_selected_into(&self, out: &mut Option<Vec<u8>>) {
        let (mut p, mut n) = (ptr::null(), 0usize);
        // SAFETY: both out-pointers are valid; the buffer is the session's.
        unsafe {
            ffi::SSL_SESSION_get0_alpn_selected(self.raw(), &mut p, &mut n);
            refill_opt(out, borrow_bytes(p, n));
        }
    }

    /// `SSL_SESSION_get0_ticket`: the buffer, if not NULL, and the length
    /// libssl records (which d2i can leave set with a NULL buffer).
    pub fn ticket(&self) -> (Option<Vec<u8>>, usize) {
        let mut out = (None, 0);
        self.ticket_into(&mut out);
        out
    }

    /// [`View::ticket`] into `out`'s buffer.
    pub fn ticket_into(&self, out: &mut (Option<Vec<u8>>, usize)) {
        let (mut p, mut n) = (ptr::null(), 0usize);
        // SAFETY: valid out-pointers. A non-NULL ticket holds `n` bytes:
        // every path that sets the buffer sets its length with it.
        unsafe {
            ffi::SSL_SESSION_get0_ticket(self.raw(), &mut p, &mut n);
            refill_opt(&mut out.0, borrow_bytes(p, n));
        }
        out.1 = n;
    }

    /// `SSL_SESSION_get0_ticket_appdata`.
    pub fn ticket_appdata(&self) -> Option<Vec<u8>> {
        let mut out = None;
        self.ticket_appdata_into(&mut out);
        out
    }

    /// [`View::ticket_appdata`] into `out`'s buffer.
    pub fn ticket_appdata_into(&self, out: &mut Option<Vec<u8>>) {
        let (mut p, mut n) = (ptr::null_mut(), 0usize);
        // SAFETY: as alpn_selected.
        unsafe {
            ffi::SSL_SESSION_get0_ticket_appdata(self.raw(), &mut p, &mut n);
            refill_opt(out, borrow_bytes(p as *const u8, n));
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
        let mut buf = Vec::new();
        self.encoding_into(&mut buf);
        buf
    }

    /// `i2d_SSL_SESSION` as most callers use it: once with a NULL
    /// out-pointer for the length, then into a buffer of that length. What
    /// the benchmarks time as libssl's cost; the same bytes as
    /// [`View::encoding`].
    pub fn encoding_measured_first(&self) -> Vec<u8> {
        let mut out = vec![0; self.encoding_len()];
        if !out.is_empty() {
            let mut p = out.as_mut_ptr();
            // SAFETY: the buffer holds the `n` bytes i2d writes.
            let written = unsafe { ffi::i2d_SSL_SESSION(self.raw(), &mut p) };
            out.truncate(usize::try_from(written).unwrap_or(0));
        }
        out
    }

    /// [`View::encoding`] into `out`'s buffer, in one call of i2d: written
    /// into room for [`View::encoding_bound`] bytes, not after a call that
    /// only measures (which walks the session's template once more than
    /// writing does: 5 to 9 % of the differential loop, measured).
    pub fn encoding_into(&self, out: &mut Vec<u8>) {
        out.clear();
        // LibreSSL's d2i into an existing session keeps what a failed
        // decode already set, so one session's strings can come from
        // several inputs and the bound's argument does not hold: measure.
        let room = if cfg!(sessdiff_lib = "libressl") {
            self.encoding_len()
        } else {
            self.encoding_bound()
        };
        if out.capacity() < room {
            // A new buffer, not a grown one (which copies the old bytes),
            // and a size that the next sessions' bounds mostly fit in.
            *out = Vec::with_capacity(room.next_power_of_two());
        }
        // Builds with debug assertions (the tests, the libFuzzer targets)
        // check the bound against the length before every write.
        debug_assert!(
            self.encoding_len() <= room,
            "i2d_SSL_SESSION would write past its bound of {room}"
        );
        let mut p = out.as_mut_ptr();
        // SAFETY: `out` has room for `room` bytes, more than i2d writes for
        // this session (see `encoding_bound`).
        let written = unsafe { ffi::i2d_SSL_SESSION(self.raw(), &mut p) };
        let n = usize::try_from(written).unwrap_or(0);
        if n > room {
            // The bound's argument is wrong for this libssl, and memory past
            // the buffer is already overwritten: nothing can be trusted.
            eprintln!("sessdiff: i2d_SSL_SESSION wrote {n} bytes, past its bound of {room}");
            std::process::abort();
        }
        // SAFETY: i2d wrote the first `n` bytes, within the capacity.
        unsafe { out.set_len(n) };
    }

    /// What `i2d_SSL_SESSION` would write, asked with a NULL out-pointer
    /// (0 when it writes nothing).
    fn encoding_len(&self) -> usize {
        // SAFETY: with a NULL out-pointer only the length is returned.
        usize::try_from(unsafe { ffi::i2d_SSL_SESSION(self.raw(), ptr::null_mut()) }).unwrap_or(0)
    }

    /// More than `i2d_SSL_SESSION` can write for this session, from its
    /// own getters. Every field of `SSL_SESSION_ASN1` (1.1.1 to 4.0) is
    /// one of:
    /// - a byte string whose length a getter gives: master key, host name
    ///   (i2d writes its `strlen` too), ALPN, ticket, ticket appdata, and
    ///   the two ids (at most 32 bytes each; set1 and d2i refuse more);
    /// - an integer or a short fixed string (version, cipher, time, flags,
    ///   ...): under 20 fields, at most 21 bytes each with their tags;
    /// - a byte string that only decoding sets (the peer certificate, PSK
    ///   identity and hint, SRP user name, peer raw public key: the
    ///   harness never handshakes). Those of one session all come from one
    ///   d2i input, each copied or re-encoded from disjoint parts of it, so
    ///   together they hold fewer bytes than the longest input any d2i of
    ///   this process was given (noted before each call).
    ///
    /// Each string's tags and lengths take at most 12 bytes, the outer
    /// SEQUENCE's 6. The sum is doubled, for margin; the buffer is only
    /// reserved, never filled.
    pub fn encoding_bound(&self) -> usize {
        let (mut p, mut n) = (ptr::null(), 0usize);
        let mut strings = 2 * 32;
        // SAFETY: alive session, valid out-pointers; only lengths are read
        // (with `outlen` 0 the master key's length is returned).
        unsafe {
            strings += ffi::SSL_SESSION_get_master_key(self.raw(), ptr::null_mut(), 0);
            // A library without these getters (LibreSSL) measures its
            // encodings instead (`encoding_into`).
            if !cfg!(sessdiff_lacks = "SSL_SESSION_get0_hostname") {
                let host = ffi::SSL_SESSION_get0_hostname(self.raw());
                if !host.is_null() {
                    strings += CStr::from_ptr(host).to_bytes().len();
                }
            }
            if !cfg!(sessdiff_lacks = "SSL_SESSION_get0_alpn_selected") {
                ffi::SSL_SESSION_get0_alpn_selected(self.raw(), &mut p, &mut n);
                strings += n;
            }
            if !cfg!(sessdiff_lacks = "SSL_SESSION_get0_ticket") {
                ffi::SSL_SESSION_get0_ticket(self.raw(), &mut p, &mut n);
                strings += n;
            }
            if !cfg!(sessdiff_lacks = "SSL_SESSION_get0_ticket_appdata") {
                let mut q = ptr::null_mut();
                ffi::SSL_SESSION_get0_ticket_appdata(self.raw(), &mut q, &mut n);
                strings += n;
            }
        }
        let decoded_only = LONGEST_DECODED.load(Ordering::Relaxed) + 5 * 12;
        2 * (6 + strings + 7 * 12 + 20 * 21 + decoded_only)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `tag` `len` `content` in DER, through the native encoder's writer.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        crate::native::der_tlv(&mut out, tag, content);
        out
    }

    #[test]
    fn one_call_encodings_are_whole_and_within_their_bound() {
        // A session with every string the setters reach, long ones.
        let s = Session::plain().unwrap();
        s.set1_id(&[7; 32]).unwrap();
        assert_eq!(s.set_cipher(Some(0x1301)), 1);
        assert_eq!(s.set1_master_key(&[0x4d; 48]), 1);
        s.set1_hostname(Some(&[b'h'; 300])).unwrap();
        assert_eq!(s.set1_alpn_selected(Some(&[b'a'; 200])), 1);
        assert_eq!(s.set1_ticket_appdata(Some(&[b't'; 500])), 1);
        let v = s.view();
        let der = v.encoding();
        assert!(der.len() > 1000, "{}", der.len());
        assert_eq!(der, v.encoding_measured_first());
        assert!(v.encoding_bound() >= der.len());

        // Strings only decoding sets: PSK identity hint and identity, 3000
        // bytes each, after the required fields (version 1, TLS 1.2,
        // cipher 0x002f, a 4-byte id, a 48-byte master key).
        let mut fields = [
            tlv(0x02, &[1]),
            tlv(0x02, &[3, 3]),
            tlv(0x04, &[0, 0x2f]),
            tlv(0x04, &[1, 2, 3, 4]),
            tlv(0x04, &[0x4d; 48]),
        ]
        .concat();
        fields.extend(tlv(0xa7, &tlv(0x04, &[b'h'; 3000])));
        fields.extend(tlv(0xa8, &tlv(0x04, &[b'i'; 3000])));
        let input = tlv(0x30, &fields);
        let (d, used) = Session::decode_plain(&input).expect("libssl decodes it");
        assert_eq!(used, input.len());
        let v = d.view();
        let der = v.encoding();
        assert!(der.len() > 6000, "{}", der.len());
        assert_eq!(der, v.encoding_measured_first());
        assert!(der.windows(3000).any(|w| w == [b'i'; 3000]));
        assert!(v.encoding_bound() >= der.len());
        // The input is the longest decoded so far, or a longer one was.
        assert!(LONGEST_DECODED.load(Ordering::Relaxed) >= input.len());
    }
}
