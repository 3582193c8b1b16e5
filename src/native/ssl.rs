//! The session slot of an `SSL` object, without handshakes.

use super::cache::Cache;
use super::session::{LocalSession, Session};

/// `X509_V_OK`: the verify result of a new `SSL`.
const X509_V_OK: i64 = 0;

/// The version of an `SSL` made with `TLS_method`, before a handshake:
/// `TLS1_3_VERSION`, since `tls1_clear` starts a `TLS_ANY_VERSION` method
/// at `TLS_MAX_VERSION`.
pub const NEW_SSL_VERSION: i32 = 0x0304;

/// A reference to a session that an `SSL` can hold: the atomically
/// counted [`Session`] or the biased [`LocalSession`].
pub trait SessionRef: Clone {
    /// The session referred to.
    fn session(&self) -> &Session;
}

impl SessionRef for Session {
    fn session(&self) -> &Session {
        self
    }
}

impl SessionRef for LocalSession {
    fn session(&self) -> &Session {
        self
    }
}

/// An `SSL` as far as sessions go: the session it would resume, the
/// verify result copied from it, and the protocol version that keys its
/// cache lookups. `H` is how it holds its session: [`Ssl`] holds a
/// [`Session`], [`LocalSsl`] a [`LocalSession`].
///
/// Without handshakes libssl's `ssl_clear_bad_session` never acts, so
/// nothing here touches a cache.
#[derive(Debug)]
pub struct SslOf<H> {
    session: Option<H>,
    verify_result: i64,
    version: i32,
}

/// An `SSL` that may move between threads; its references to its session
/// are atomically counted.
pub type Ssl = SslOf<Session>;

/// An `SSL` that stays on its thread (one connection's thread, as most
/// are): `set_session`, `get1_session` and their frees count the thread's
/// references without atomics (biased counting, see [`LocalSession`]).
/// Neither `Send` nor `Sync`.
///
/// ```
/// use sessdiff::native::{LocalSession, LocalSsl, Session};
///
/// let mut ssl = LocalSsl::new();
/// ssl.set_session(Some(&LocalSession::new(Session::new())));
/// let resumed = ssl.get1_session().unwrap(); // no atomic operation
/// assert_eq!(LocalSession::local_count(&resumed), 2);
/// ```
pub type LocalSsl = SslOf<LocalSession>;

impl<H: SessionRef> Default for SslOf<H> {
    fn default() -> Self {
        SslOf::new()
    }
}

impl<H: SessionRef> SslOf<H> {
    /// `SSL_new`: no session.
    pub fn new() -> SslOf<H> {
        SslOf {
            session: None,
            verify_result: X509_V_OK,
            version: NEW_SSL_VERSION,
        }
    }

    /// `SSL_set_session`: takes a new reference to `session` (copying its
    /// verify result), then releases the old one. `None` just releases.
    pub fn set_session(&mut self, session: Option<&H>) {
        let new = session.map(|s| {
            self.verify_result = s.session().read().verify_result();
            s.clone()
        });
        self.session = new;
    }

    /// `SSL_get0_session`: the session, borrowed.
    pub fn session(&self) -> Option<&H> {
        self.session.as_ref()
    }

    /// `SSL_get1_session`: a new reference to the session. No lock is
    /// needed: `set_session` takes `&mut self`.
    pub fn get1_session(&self) -> Option<H> {
        self.session.clone()
    }

    /// `SSL_copy_session_id(self, from)`'s effect on sessions:
    /// `set_session(from.session())`.
    pub fn copy_session_id(&mut self, from: &SslOf<H>) {
        #[cfg(feature = "faults")]
        if super::planted::is(super::planted::ModelFault::CopySessionIdKeepsOld)
            && from.session.is_none()
        {
            return;
        }
        self.set_session(from.session());
    }

    /// `SSL_copy_session_id(ssl, ssl)`: an `SSL` copying from itself sets
    /// its own session again (a new reference taken, the old released, the
    /// verify result copied), which changes no count.
    pub fn copy_own_session_id(&mut self) {
        let own = self.session.take();
        self.set_session(own.as_ref());
    }

    /// `SSL_has_matching_session_id(self, id)`: whether `cache` (the one of
    /// the ctx this `SSL` was made from) holds a session keyed by this
    /// `SSL`'s version and `id`. Changes nothing.
    pub fn has_matching_session_id(&self, cache: &Cache, id: &[u8]) -> bool {
        cache.has_key(self.version, id)
    }

    /// The protocol version (`SSL_version`): [`NEW_SSL_VERSION`] without a
    /// handshake.
    pub fn version(&self) -> i32 {
        self.version
    }

    /// `SSL_clear` without a handshake: keeps the session and, as libssl
    /// 3.0.19 does, the verify result.
    pub fn clear(&mut self) {}

    /// `SSL_get_verify_result`.
    pub fn verify_result(&self) -> i64 {
        self.verify_result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_same_session_twice_is_neutral() {
        let s = Session::new();
        let mut ssl = Ssl::new();
        ssl.set_session(Some(&s));
        let same = ssl.get1_session().unwrap();
        ssl.set_session(Some(&same));
        assert!(Session::ptr_eq(ssl.session().unwrap(), &s));
        assert_eq!(ssl.verify_result(), 1);
        ssl.set_session(None);
        assert!(ssl.session().is_none());
    }

    #[test]
    fn a_local_ssl_counts_its_references_on_its_thread() {
        let local = LocalSession::new(Session::new());
        local.set1_id(b"abc").unwrap();
        local.lock().verify_result = 9;
        let shared = local.to_shared();
        let mut ssl = LocalSsl::new();
        ssl.set_session(Some(&local));
        assert_eq!(ssl.verify_result(), 9, "copied from the session");
        assert_eq!(LocalSession::local_count(&local), 2);
        let got = ssl.get1_session().unwrap();
        assert_eq!(LocalSession::local_count(&local), 3);
        assert!(Session::ptr_eq(&got, &shared));
        drop(got);
        ssl.set_session(None);
        assert_eq!(LocalSession::local_count(&local), 1);
        drop(local);
        assert_eq!(shared.read().id(), b"abc", "the shared reference lives on");
    }

    #[test]
    fn copying_its_own_session_changes_nothing() {
        let s = Session::new();
        let mut ssl = Ssl::new();
        ssl.set_session(Some(&s));
        ssl.copy_own_session_id();
        assert!(Session::ptr_eq(ssl.session().unwrap(), &s));
        let mut empty = Ssl::new();
        empty.copy_own_session_id();
        assert!(empty.session().is_none());
        ssl.copy_session_id(&empty);
        assert!(ssl.session().is_none());
    }

    #[test]
    fn matching_ids_are_keyed_by_the_ssl_version() {
        let cache = Cache::new();
        let ssl = Ssl::new();
        let s = Session::new();
        s.set1_id(b"abcd").unwrap();
        s.set_protocol_version(0x0303);
        assert!(cache.add(&s));
        assert!(!ssl.has_matching_session_id(&cache, b"abcd"));
        assert!(cache.remove(&s));
        s.set_protocol_version(ssl.version());
        assert!(cache.add(&s));
        assert!(ssl.has_matching_session_id(&cache, b"abcd"));
        assert!(!ssl.has_matching_session_id(&cache, b"abc"));
        assert!(!ssl.has_matching_session_id(&cache, &[0; 33]));
    }
}
