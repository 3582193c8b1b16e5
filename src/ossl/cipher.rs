//! Cipher suites by their two-byte code, looked up through an `SSL` kept
//! per thread.

use super::ffi::{self, SSL, SSL_CTX};

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
pub(super) fn find_cipher(code: u16) -> *const ffi::SSL_CIPHER {
    let bytes = code.to_be_bytes();
    // SAFETY: a valid SSL and a two-byte buffer.
    LOOKUP.with(|l| unsafe { ffi::SSL_CIPHER_find(l.ssl, bytes.as_ptr()) })
}

/// Whether libssl knows a cipher suite by the two-byte `code`.
pub fn cipher_known(code: u16) -> bool {
    !find_cipher(code).is_null()
}
