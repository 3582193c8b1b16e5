//! The session slot of an `SSL` object, without handshakes.

use super::session::Session;

/// `X509_V_OK`: the verify result of a new `SSL`.
const X509_V_OK: i64 = 0;

/// An `SSL` as far as sessions go: the session it would resume and the
/// verify result copied from it.
///
/// Without handshakes libssl's `ssl_clear_bad_session` never acts, so
/// nothing here touches a cache.
#[derive(Debug)]
pub struct Ssl {
    session: Option<Session>,
    verify_result: i64,
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
        let s = from.get1_session();
        self.set_session(s.as_ref());
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
}
