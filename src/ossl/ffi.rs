//! Raw declarations of the libssl 3.0 calls the harness makes, in one
//! place. openssl-sys provides the opaque types and the link; most session
//! calls are missing from it, so every call used is declared here with the
//! prototype of OpenSSL 3.0's headers (`long` and `time_t` are 64-bit on the
//! supported platforms).
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_long, c_uchar, c_uint, c_ulong, c_void};

pub use openssl_sys::{SSL, SSL_CIPHER, SSL_CTX, SSL_METHOD, SSL_SESSION};

/// `CRYPTO_EX_DATA`, opaque.
pub enum CRYPTO_EX_DATA {}
/// `OPENSSL_LHASH`, opaque.
pub enum OPENSSL_LHASH {}

/// `CRYPTO_EX_INDEX_SSL_SESSION`.
pub const CRYPTO_EX_INDEX_SSL_SESSION: c_int = 2;
/// `SSL_CTRL_SESS_NUMBER`.
pub const SSL_CTRL_SESS_NUMBER: c_int = 20;
/// `SSL_CTRL_SESS_CACHE_FULL`.
pub const SSL_CTRL_SESS_CACHE_FULL: c_int = 31;
/// `SSL_CTRL_SET_SESS_CACHE_SIZE`.
pub const SSL_CTRL_SET_SESS_CACHE_SIZE: c_int = 42;
/// `SSL_CTRL_GET_SESS_CACHE_SIZE`.
pub const SSL_CTRL_GET_SESS_CACHE_SIZE: c_int = 43;
/// `OPENSSL_VERSION`, for `OpenSSL_version`.
pub const OPENSSL_VERSION: c_int = 0;

/// `CRYPTO_EX_new` (returns void in 3.0).
pub type ExNew = unsafe extern "C" fn(
    parent: *mut c_void,
    ptr: *mut c_void,
    ad: *mut CRYPTO_EX_DATA,
    idx: c_int,
    argl: c_long,
    argp: *mut c_void,
);
/// `CRYPTO_EX_dup`: `from_d` points at the value to be stored in the copy.
pub type ExDup = unsafe extern "C" fn(
    to: *mut CRYPTO_EX_DATA,
    from: *const CRYPTO_EX_DATA,
    from_d: *mut *mut c_void,
    idx: c_int,
    argl: c_long,
    argp: *mut c_void,
) -> c_int;
/// `CRYPTO_EX_free`.
pub type ExFree = ExNew;
/// The remove-session callback of `SSL_CTX_sess_set_remove_cb`.
pub type RemoveCb = unsafe extern "C" fn(ctx: *mut SSL_CTX, sess: *mut SSL_SESSION);
/// `OPENSSL_LH_DOALL_FUNCARG`.
pub type DoallArg = unsafe extern "C" fn(item: *mut c_void, arg: *mut c_void);

/// `CRYPTO_malloc_fn`.
pub type MallocFn = unsafe extern "C" fn(n: usize, file: *const c_char, line: c_int) -> *mut c_void;
/// `CRYPTO_realloc_fn`.
pub type ReallocFn =
    unsafe extern "C" fn(p: *mut c_void, n: usize, file: *const c_char, line: c_int) -> *mut c_void;
/// `CRYPTO_free_fn`.
pub type FreeFn = unsafe extern "C" fn(p: *mut c_void, file: *const c_char, line: c_int);

unsafe extern "C" {
    pub fn CRYPTO_set_mem_functions(
        m: Option<MallocFn>,
        r: Option<ReallocFn>,
        f: Option<FreeFn>,
    ) -> c_int;
    pub fn OpenSSL_version(t: c_int) -> *const c_char;
    pub fn OpenSSL_version_num() -> c_ulong;
    pub fn ERR_clear_error();
    pub fn ERR_peek_error() -> c_ulong;
    pub fn ERR_peek_last_error() -> c_ulong;
    pub fn CRYPTO_get_ex_new_index(
        class_index: c_int,
        argl: c_long,
        argp: *mut c_void,
        new_func: Option<ExNew>,
        dup_func: Option<ExDup>,
        free_func: Option<ExFree>,
    ) -> c_int;

    pub fn CRYPTO_set_ex_data(ad: *mut CRYPTO_EX_DATA, idx: c_int, val: *mut c_void) -> c_int;

    pub fn SSL_SESSION_new() -> *mut SSL_SESSION;
    pub fn SSL_SESSION_dup(src: *const SSL_SESSION) -> *mut SSL_SESSION;
    pub fn SSL_SESSION_up_ref(s: *mut SSL_SESSION) -> c_int;
    pub fn SSL_SESSION_free(s: *mut SSL_SESSION);
    pub fn SSL_SESSION_set_ex_data(s: *mut SSL_SESSION, idx: c_int, arg: *mut c_void) -> c_int;
    pub fn SSL_SESSION_get_ex_data(s: *const SSL_SESSION, idx: c_int) -> *mut c_void;

    pub fn SSL_SESSION_set1_id(s: *mut SSL_SESSION, sid: *const c_uchar, len: c_uint) -> c_int;
    pub fn SSL_SESSION_get_id(s: *const SSL_SESSION, len: *mut c_uint) -> *const c_uchar;
    pub fn SSL_SESSION_set1_id_context(
        s: *mut SSL_SESSION,
        sid_ctx: *const c_uchar,
        len: c_uint,
    ) -> c_int;
    pub fn SSL_SESSION_get0_id_context(s: *const SSL_SESSION, len: *mut c_uint) -> *const c_uchar;
    pub fn SSL_SESSION_set1_master_key(
        s: *mut SSL_SESSION,
        key: *const c_uchar,
        len: usize,
    ) -> c_int;
    pub fn SSL_SESSION_get_master_key(
        s: *const SSL_SESSION,
        out: *mut c_uchar,
        outlen: usize,
    ) -> usize;
    pub fn SSL_SESSION_set_time(s: *mut SSL_SESSION, t: c_long) -> c_long;
    pub fn SSL_SESSION_get_time(s: *const SSL_SESSION) -> c_long;
    pub fn SSL_SESSION_set_timeout(s: *mut SSL_SESSION, t: c_long) -> c_long;
    pub fn SSL_SESSION_get_timeout(s: *const SSL_SESSION) -> c_long;
    pub fn SSL_SESSION_set1_hostname(s: *mut SSL_SESSION, hostname: *const c_char) -> c_int;
    pub fn SSL_SESSION_get0_hostname(s: *const SSL_SESSION) -> *const c_char;
    pub fn SSL_SESSION_set1_alpn_selected(
        s: *mut SSL_SESSION,
        alpn: *const c_uchar,
        len: usize,
    ) -> c_int;
    pub fn SSL_SESSION_get0_alpn_selected(
        s: *const SSL_SESSION,
        alpn: *mut *const c_uchar,
        len: *mut usize,
    );
    pub fn SSL_SESSION_set1_ticket_appdata(
        s: *mut SSL_SESSION,
        data: *const c_void,
        len: usize,
    ) -> c_int;
    pub fn SSL_SESSION_get0_ticket_appdata(
        s: *mut SSL_SESSION,
        data: *mut *mut c_void,
        len: *mut usize,
    ) -> c_int;
    pub fn SSL_SESSION_set_protocol_version(s: *mut SSL_SESSION, version: c_int) -> c_int;
    pub fn SSL_SESSION_get_protocol_version(s: *const SSL_SESSION) -> c_int;
    pub fn SSL_SESSION_set_max_early_data(s: *mut SSL_SESSION, max: u32) -> c_int;
    pub fn SSL_SESSION_get_max_early_data(s: *const SSL_SESSION) -> u32;
    pub fn SSL_SESSION_get_ticket_lifetime_hint(s: *const SSL_SESSION) -> c_ulong;
    pub fn SSL_SESSION_get_compress_id(s: *const SSL_SESSION) -> c_uint;
    pub fn SSL_SESSION_get_max_fragment_length(s: *const SSL_SESSION) -> u8;
    pub fn SSL_SESSION_is_resumable(s: *const SSL_SESSION) -> c_int;
    pub fn SSL_SESSION_has_ticket(s: *const SSL_SESSION) -> c_int;

    pub fn TLS_method() -> *const SSL_METHOD;
    pub fn SSL_CTX_new(method: *const SSL_METHOD) -> *mut SSL_CTX;
    pub fn SSL_CTX_free(ctx: *mut SSL_CTX);
    pub fn SSL_CTX_ctrl(ctx: *mut SSL_CTX, cmd: c_int, larg: c_long, parg: *mut c_void) -> c_long;
    pub fn SSL_CTX_add_session(ctx: *mut SSL_CTX, s: *mut SSL_SESSION) -> c_int;
    pub fn SSL_CTX_remove_session(ctx: *mut SSL_CTX, s: *mut SSL_SESSION) -> c_int;
    pub fn SSL_CTX_flush_sessions(ctx: *mut SSL_CTX, t: c_long);
    pub fn SSL_CTX_sess_set_remove_cb(ctx: *mut SSL_CTX, cb: Option<RemoveCb>);
    pub fn SSL_CTX_sessions(ctx: *mut SSL_CTX) -> *mut OPENSSL_LHASH;
    pub fn OPENSSL_LH_doall_arg(lh: *mut OPENSSL_LHASH, func: DoallArg, arg: *mut c_void);
    pub fn OPENSSL_LH_retrieve(lh: *mut OPENSSL_LHASH, data: *const c_void) -> *mut c_void;

    pub fn SSL_new(ctx: *mut SSL_CTX) -> *mut SSL;
    pub fn SSL_free(ssl: *mut SSL);
    pub fn SSL_set_session(ssl: *mut SSL, s: *mut SSL_SESSION) -> c_int;
    pub fn SSL_get_session(ssl: *const SSL) -> *mut SSL_SESSION;
    pub fn SSL_get1_session(ssl: *mut SSL) -> *mut SSL_SESSION;
    pub fn SSL_copy_session_id(to: *mut SSL, from: *const SSL) -> c_int;
    pub fn SSL_has_matching_session_id(
        ssl: *const SSL,
        id: *const c_uchar,
        id_len: c_uint,
    ) -> c_int;
    pub fn SSL_version(ssl: *const SSL) -> c_int;
    pub fn SSL_clear(ssl: *mut SSL) -> c_int;
    pub fn SSL_get_verify_result(ssl: *const SSL) -> c_long;

    pub fn SSL_CIPHER_find(ssl: *mut SSL, code: *const c_uchar) -> *const SSL_CIPHER;
    pub fn SSL_CIPHER_get_protocol_id(c: *const SSL_CIPHER) -> u16;
    pub fn SSL_SESSION_set_cipher(s: *mut SSL_SESSION, c: *const SSL_CIPHER) -> c_int;
    pub fn SSL_SESSION_get0_cipher(s: *const SSL_SESSION) -> *const SSL_CIPHER;
    pub fn i2d_SSL_SESSION(s: *const SSL_SESSION, pp: *mut *mut c_uchar) -> c_int;
    pub fn d2i_SSL_SESSION(
        a: *mut *mut SSL_SESSION,
        pp: *mut *const c_uchar,
        length: c_long,
    ) -> *mut SSL_SESSION;
    pub fn SSL_SESSION_get0_ticket(
        s: *const SSL_SESSION,
        tick: *mut *const c_uchar,
        len: *mut usize,
    );
}
