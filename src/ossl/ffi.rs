//! Raw declarations of the libssl 3.0 calls the harness makes, in one
//! place. openssl-sys provides the opaque types and the link; most session
//! calls are missing from it, so every call used is declared here with the
//! prototype of OpenSSL 3.0's headers (`long` and `time_t` are 64-bit on the
//! supported platforms).
//!
//! A function some library lacks (`src/ossl/capabilities.txt`) is declared
//! in [`lackable!`]: against that library it is a Rust function that
//! panics, never called, since the ops that need it are refused before they
//! run and the getters that need it are not read (`backend::caps`). A
//! function a library has under another name with the same signature is
//! linked by that name (`sessdiff_alias`).
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

/// What a `CRYPTO_EX_new` returns: nothing in OpenSSL; in LibreSSL an
/// `int`, 0 failing the allocation of the object (crypto_ex_data.c).
#[cfg(not(sessdiff_lib = "libressl"))]
pub type ExNewRet = ();
/// What a `CRYPTO_EX_new` returns (LibreSSL: 0 fails the allocation).
#[cfg(sessdiff_lib = "libressl")]
pub type ExNewRet = c_int;
/// The success of a `CRYPTO_EX_new`.
#[cfg(not(sessdiff_lib = "libressl"))]
pub const EX_NEW_OK: ExNewRet = ();
/// The success of a `CRYPTO_EX_new`.
#[cfg(sessdiff_lib = "libressl")]
pub const EX_NEW_OK: ExNewRet = 1;

/// The ex_data new and free callbacks' type: one shape, two returns.
macro_rules! ex_callback {
    ($(#[$doc:meta])* $name:ident -> $ret:ty) => {
        $(#[$doc])*
        pub type $name = unsafe extern "C" fn(
            parent: *mut c_void,
            ptr: *mut c_void,
            ad: *mut CRYPTO_EX_DATA,
            idx: c_int,
            argl: c_long,
            argp: *mut c_void,
        ) -> $ret;
    };
}
ex_callback!(
    /// `CRYPTO_EX_new`.
    ExNew -> ExNewRet
);
ex_callback!(
    /// `CRYPTO_EX_free`.
    ExFree -> ()
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
    pub fn SSL_SESSION_get_master_key(
        s: *const SSL_SESSION,
        out: *mut c_uchar,
        outlen: usize,
    ) -> usize;
    pub fn SSL_SESSION_set_time(s: *mut SSL_SESSION, t: c_long) -> c_long;
    pub fn SSL_SESSION_get_time(s: *const SSL_SESSION) -> c_long;
    pub fn SSL_SESSION_set_timeout(s: *mut SSL_SESSION, t: c_long) -> c_long;
    pub fn SSL_SESSION_get_timeout(s: *const SSL_SESSION) -> c_long;
    pub fn SSL_SESSION_get_protocol_version(s: *const SSL_SESSION) -> c_int;
    pub fn SSL_SESSION_set_max_early_data(s: *mut SSL_SESSION, max: u32) -> c_int;
    pub fn SSL_SESSION_get_max_early_data(s: *const SSL_SESSION) -> u32;
    pub fn SSL_SESSION_get_ticket_lifetime_hint(s: *const SSL_SESSION) -> c_ulong;
    pub fn SSL_SESSION_get_compress_id(s: *const SSL_SESSION) -> c_uint;
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
    #[cfg_attr(sessdiff_alias = "OPENSSL_LH_doall_arg", link_name = "lh_doall_arg")]
    pub fn OPENSSL_LH_doall_arg(lh: *mut OPENSSL_LHASH, func: DoallArg, arg: *mut c_void);
    #[cfg_attr(sessdiff_alias = "OPENSSL_LH_retrieve", link_name = "lh_retrieve")]
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
    #[cfg_attr(
        sessdiff_alias = "SSL_CIPHER_get_protocol_id",
        link_name = "SSL_CIPHER_get_value"
    )]
    pub fn SSL_CIPHER_get_protocol_id(c: *const SSL_CIPHER) -> u16;
    pub fn SSL_SESSION_get0_cipher(s: *const SSL_SESSION) -> *const SSL_CIPHER;
    pub fn i2d_SSL_SESSION(s: *const SSL_SESSION, pp: *mut *mut c_uchar) -> c_int;
    pub fn d2i_SSL_SESSION(
        a: *mut *mut SSL_SESSION,
        pp: *mut *const c_uchar,
        length: c_long,
    ) -> *mut SSL_SESSION;
}

/// Declares functions some library lacks: each `"NAME" => fn NAME(...)`
/// is the C function, or, where build.rs set `sessdiff_lacks = "NAME"`, a
/// Rust function that says so and panics.
macro_rules! lackable {
    ($($lit:literal => pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?;)*) => {
        $(
            #[cfg(not(sessdiff_lacks = $lit))]
            unsafe extern "C" {
                pub fn $name($($arg: $ty),*) $(-> $ret)?;
            }
            /// Not in the linked library (`src/ossl/capabilities.txt`).
            ///
            /// # Safety
            /// None needed: it panics.
            #[cfg(sessdiff_lacks = $lit)]
            #[allow(unused_variables, non_snake_case)]
            pub unsafe fn $name($($arg: $ty),*) $(-> $ret)? {
                super::lacking($lit)
            }
        )*
    };
}

lackable! {
    "SSL_SESSION_set1_master_key" =>
    pub fn SSL_SESSION_set1_master_key(
        s: *mut SSL_SESSION,
        key: *const c_uchar,
        len: usize,
    ) -> c_int;
    "SSL_SESSION_set1_hostname" =>
    pub fn SSL_SESSION_set1_hostname(s: *mut SSL_SESSION, hostname: *const c_char) -> c_int;
    "SSL_SESSION_get0_hostname" =>
    pub fn SSL_SESSION_get0_hostname(s: *const SSL_SESSION) -> *const c_char;
    "SSL_SESSION_set1_alpn_selected" =>
    pub fn SSL_SESSION_set1_alpn_selected(
        s: *mut SSL_SESSION,
        alpn: *const c_uchar,
        len: usize,
    ) -> c_int;
    "SSL_SESSION_get0_alpn_selected" =>
    pub fn SSL_SESSION_get0_alpn_selected(
        s: *const SSL_SESSION,
        alpn: *mut *const c_uchar,
        len: *mut usize,
    );
    "SSL_SESSION_set1_ticket_appdata" =>
    pub fn SSL_SESSION_set1_ticket_appdata(
        s: *mut SSL_SESSION,
        data: *const c_void,
        len: usize,
    ) -> c_int;
    "SSL_SESSION_get0_ticket_appdata" =>
    pub fn SSL_SESSION_get0_ticket_appdata(
        s: *mut SSL_SESSION,
        data: *mut *mut c_void,
        len: *mut usize,
    ) -> c_int;
    "SSL_SESSION_set_protocol_version" =>
    pub fn SSL_SESSION_set_protocol_version(s: *mut SSL_SESSION, version: c_int) -> c_int;
    "SSL_SESSION_get_max_fragment_length" =>
    pub fn SSL_SESSION_get_max_fragment_length(s: *const SSL_SESSION) -> u8;
    "SSL_SESSION_set_cipher" =>
    pub fn SSL_SESSION_set_cipher(s: *mut SSL_SESSION, c: *const SSL_CIPHER) -> c_int;
    "SSL_SESSION_get0_ticket" =>
    pub fn SSL_SESSION_get0_ticket(
        s: *const SSL_SESSION,
        tick: *mut *const c_uchar,
        len: *mut usize,
    );
}
