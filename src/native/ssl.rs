//! The session slot of an `SSL` object, without handshakes.

use super::cache::Cache;
use super::session::Session;

/// `X509_V_OK`: the verify result of a new `SSL`.
const X509_V_OK: i64 = 0;

/// The version of an `SSL` made with `TLS_method`, before a handshake:
/// `TLS1_3_VERSION`, since `tls1_clear` starts a `TLS_ANY_VERSION` method
/// at `TLS_MAX_VERSION`.
pub const NEW_SSL_VERSION: i32 = 0x0304;

/// An `SSL` as far as sessions go: the session it would resume, the
/// verify result copied from it, and the protocol version that keys its
/// cache lookups.
///
/// Without handshakes libssl's `ssl_clear_bad_session` never acts, so
/// nothing here touches a cache.
#[derive(Debug)]
pub struct Ssl {
    session: Option<Session>,
    verify_result: i64,
    version: i32,
}

impl Default for Ssl {
    fn default() -> Self {
        Ssl::new()
    }
}

impl Ssl {
    /// `SSL_new`: no session.
    pub fn new() -> Ssl {
        Ssl {
            session: None,
            verify_result: X509_V_OK,
            version: NEW_SSL_VERSION,
        }
    }

    /// `SSL_set_session`: takes a new reference to `session` (copying its
    /// verify result), then releases the old one. `None` just releases.
    pub fn set_session(&mut self, session: Option<&Session>) {
        let new = session.map(|s| {
            self.verify_result = s.read().verify_result();
            s.up_ref()
        });
        self.session = new;
    }

    /// `SSL_get0_session`: the session, borrowed.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// `SSL_get1_session`: a new reference to the session. No lock is
    /// needed: `set_session` takes `&mut self`.
    pub fn get1_session(&self) -> Option<Session> {
        self.session.clone()
    }

    /// `SSL_copy_session_id(self, from)`'s effect on sessions:
    /// `set_session(from.session())`.
    pub fn copy_session_id(&mut self, from: &Ssl) {
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
