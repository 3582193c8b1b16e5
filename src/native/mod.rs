//! A native, safe-Rust implementation of libssl 3.0's session objects:
//! [`Session`] (`SSL_SESSION`, with its DER codec), [`Ssl`] (an `SSL`'s
//! session slot) and [`Cache`] (an `SSL_CTX`'s session cache).
//!
//! It reproduces the behaviour described in `SEMANTICS.md` exactly —
//! reference counts, object deaths, ex_data callbacks, the cache's key,
//! expiry order, eviction, removal and flush rules — and is checked against
//! the real library by this crate's lockstep harness. It knows nothing of
//! the harness or of OpenSSL, and can be used on its own:
//!
//! ```
//! use sessdiff::native::{Cache, Session};
//!
//! let cache = Cache::new();
//! let s = Session::new();
//! s.set1_id(b"abcd").unwrap();
//! s.set_protocol_version(0x0304);
//! assert!(cache.add(&s));
//! assert!(!cache.add(&s)); // already cached
//! assert!(cache.remove(&s));
//! assert!(!s.read().is_resumable()); // remove marks its argument
//! ```
//!
//! Sessions encode and decode as libssl's `i2d_SSL_SESSION` and
//! `d2i_SSL_SESSION` do, with typed errors:
//!
//! ```
//! use sessdiff::native::{DecodeErrorKind, Session};
//!
//! let s = Session::new();
//! s.set_cipher(Some(0x1301));
//! s.set_protocol_version(0x0304);
//! let der = s.read().encode().unwrap();
//! let (copy, used) = Session::decode(&der).unwrap();
//! assert_eq!((used, copy.read().cipher()), (der.len(), Some(0x1301)));
//! let e = Session::decode(&der[..der.len() - 1]).unwrap_err();
//! assert!(matches!(e.kind, DecodeErrorKind::NotASequence(_)));
//! ```
#![forbid(unsafe_code)]

mod cache;
mod ciphers;
mod data;
mod der;
mod exdata;
pub mod lhash;
#[cfg(feature = "faults")]
pub mod planted;
mod profile;
pub mod releases;
mod session;
mod ssl;
mod time;

pub use cache::{Cache, CacheView, DEFAULT_CACHE_SIZE, RemoveCallback};
pub use ciphers::{KNOWN_CIPHERS, cipher_known};
pub use data::{DEFAULT_TIMEOUT, SessionData, SessionId};
#[cfg(feature = "faults")]
pub(crate) use der::tlv as der_tlv;
pub use der::{Asn1Problem, DecodeError, DecodeErrorKind, Element, Field, elements};
pub use exdata::{DupCallback, ExCallbacks, ExClass, ExIndex, ExValue, FreeCallback, NewCallback};
pub use profile::{CacheList, DupFailure, Profile, ReAdd, Removals, SWITCHES, Switch, switch};
pub use session::{LocalSession, Session};
pub use ssl::{LocalSsl, NEW_SSL_VERSION, SessionRef, Ssl, SslOf};
pub use time::{Expiry, TimeRepr, session_clock, wall_clock};

/// The longest session id or id context, in bytes.
pub const MAX_ID_LENGTH: usize = 32;
/// The longest master key, in bytes.
pub const MAX_MASTER_KEY_LENGTH: usize = 512;

/// Why a native session call failed. Each case names the libssl failure it
/// stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `SSL_R_SSL_SESSION_ID_TOO_LONG`: an id over 32 bytes.
    #[error("session id longer than 32 bytes")]
    IdTooLong,
    /// `SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG`: an id context over 32 bytes.
    #[error("session id context longer than 32 bytes")]
    IdContextTooLong,
    /// A master key over 512 bytes (libssl queues no error).
    #[error("master key longer than 512 bytes")]
    MasterKeyTooLong,
    /// `SSL_SESSION_set_timeout` with a negative timeout.
    #[error("negative timeout")]
    NegativeTimeout,
    /// `SSL_SESSION_dup` failed: the source has an empty buffer that libssl
    /// cannot copy.
    #[error("session could not be duplicated")]
    DupFailed,
    /// `SSL_SESSION_dup` failed: an ex_data dup callback refused (libssl
    /// 3.2 and later queue `ERR_R_CRYPTO_LIB` for it, where an empty buffer
    /// queues nothing).
    #[error("an ex_data dup callback refused the copy")]
    DupCallbackFailed,
}
