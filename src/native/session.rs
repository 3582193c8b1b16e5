//! `SSL_SESSION`: a reference-counted session object.

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use super::Error;
use super::data::{Buf, SessionData, SessionId};
use super::der::DecodeError;
use super::exdata::{ExClass, ExIndex, ExValue};
use super::profile::Profile;
use super::time::session_clock as now;

struct Inner {
    data: Mutex<SessionData>,
    /// `None` for sessions made without ex_data indexes: no callback to
    /// run, no registry to count references to.
    class: Option<Arc<ExClass>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The final release: free callbacks see every field intact.
        let data = self.data.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(class) = &self.class {
            class.run_free(data);
        }
    }
}

/// One owned reference to a session, as an `SSL_SESSION *` that you must
/// free: `Clone` is `SSL_SESSION_up_ref`, `Drop` is `SSL_SESSION_free`, and
/// the session dies (its ex_data free callbacks run) with its last
/// reference.
///
/// Cost: cloning and dropping are one atomic operation each, as in libssl,
/// the last drop too (the count is `triomphe`'s `Arc`, which has no weak
/// count to release after it); no lock is taken. Reading and setting fields
/// takes the session's own uncontended mutex.
///
/// Sessions are shared and mutable, as in C: a setter called through one
/// reference is seen through every other. [`Session::dup`] makes an
/// independent copy.
#[derive(Clone)]
pub struct Session {
    inner: triomphe::Arc<Inner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Session").field(&*self.read()).finish()
    }
}

#[cfg(test)]
fn empty_class() -> &'static Arc<ExClass> {
    static EMPTY: std::sync::OnceLock<Arc<ExClass>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Arc::new(ExClass::new()))
}

impl Session {
    /// `SSL_SESSION_new`: a session made now, with no ex_data indexes.
    pub fn new() -> Session {
        Session::from_data(None, SessionData::new(now(), &Profile::V3_0))
    }

    /// A session made at `time` whose ex_data follows `class`; its new
    /// callbacks run here. Equivalent to `SSL_SESSION_new` followed by
    /// `SSL_SESSION_set_time(time)`, without reading the clock.
    pub fn new_in(class: &Arc<ExClass>, time: i64) -> Session {
        Session::new_as(&Profile::V3_0, class, time)
    }

    /// [`Session::new_in`] for a session that behaves as `profile`'s
    /// release does.
    pub fn new_as(profile: &'static Profile, class: &Arc<ExClass>, time: i64) -> Session {
        let s = Session::from_data(Some(class), SessionData::new(time, profile));
        class.run_new(&mut s.lock());
        s
    }

    #[inline(always)]
    fn from_data(class: Option<&Arc<ExClass>>, data: SessionData) -> Session {
        Session {
            inner: triomphe::Arc::new(Inner {
                data: Mutex::new(data),
                class: class.cloned(),
            }),
        }
    }

    /// Read access to the fields. Holds the session's lock until dropped:
    /// do not call a setter of the same session meanwhile.
    pub fn read(&self) -> MutexGuard<'_, SessionData> {
        self.lock()
    }

    /// The object's address, the same through every reference to it (for
    /// telling objects apart without taking their locks).
    pub(crate) fn addr(&self) -> usize {
        triomphe::Arc::as_ptr(&self.inner) as usize
    }

    /// Reads the session's lock word and nothing else (no lock is taken):
    /// brings the start of the session into the processor's cache ahead of
    /// its use.
    pub(crate) fn touch(&self) {
        #[cfg(test)]
        TOUCHES.with(|n| n.set(n.get() + 1));
        std::hint::black_box(self.inner.data.is_poisoned());
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionData> {
        self.inner.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `d2i_SSL_SESSION(NULL, ...)`: a new session from DER, timed by the
    /// wall clock where the input carries no time. Returns the session and
    /// the bytes used (trailing bytes are ignored, as in libssl).
    pub fn decode(der: &[u8]) -> Result<(Session, usize), DecodeError> {
        let parsed = super::der::parse(der, &Profile::V3_0)?;
        let now = now();
        let mut data = SessionData::new(now, &Profile::V3_0);
        parsed.apply(&mut data, now)?;
        Ok((Session::from_data(None, data), parsed.consumed))
    }

    /// `d2i_SSL_SESSION(NULL, ...)` with ex_data following `class`, where
    /// `now` stands for the clock. If the parse fails nothing is made; if
    /// a later check fails the new session's callbacks run and then, as it
    /// dies, its free callbacks.
    pub fn decode_in(
        class: &Arc<ExClass>,
        der: &[u8],
        now: i64,
    ) -> Result<(Session, usize), DecodeError> {
        Session::decode_as(&Profile::V3_0, class, der, now)
    }

    /// [`Session::decode_in`] for a session that behaves as `profile`'s
    /// release does.
    pub fn decode_as(
        profile: &'static Profile,
        class: &Arc<ExClass>,
        der: &[u8],
        now: i64,
    ) -> Result<(Session, usize), DecodeError> {
        let parsed = super::der::parse(der, profile)?;
        let s = Session::from_data(Some(class), SessionData::new(now, profile));
        let result = {
            let mut data = s.lock();
            class.run_new(&mut data);
            parsed.apply(&mut data, now)
        };
        result.map(|()| (s, parsed.consumed))
    }

    /// `d2i_SSL_SESSION(&s, ...)`: decodes into this session in place (no
    /// callbacks run; the cache links, ex_data and `not_resumable` stay).
    /// A check that fails after the parse leaves the session partly
    /// overwritten, as libssl does. `now` stands for the clock.
    ///
    /// Never call it on a cached session: like `set1_id`, it changes the
    /// key and the time without the cache knowing.
    pub fn decode_into(&self, der: &[u8], now: i64) -> Result<usize, DecodeError> {
        let profile = self.lock().profile;
        let parsed = super::der::parse(der, profile)?;
        parsed.apply(&mut self.lock(), now)?;
        Ok(parsed.consumed)
    }

    /// `SSL_SESSION_free`: releases one reference (the same as `drop`);
    /// `None`, NULL, is allowed and does nothing.
    pub fn free(session: Option<Session>) {
        drop(session);
    }

    /// `SSL_SESSION_up_ref`: another owned reference (the same as `clone`).
    pub fn up_ref(&self) -> Session {
        self.clone()
    }

    /// True if both references name the same object.
    pub fn ptr_eq(a: &Session, b: &Session) -> bool {
        triomphe::Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// `SSL_SESSION_dup`: an independent copy with one reference, in no
    /// cache but with the same key. The copy's new callbacks run first,
    /// then the dup callbacks (§9 of SEMANTICS.md).
    ///
    /// Fails, after the half-built copy has died (its free callbacks run),
    /// if a dup callback refuses or if the ALPN or ticket appdata buffer of
    /// the source is present but empty (libssl's memdup of 0 bytes fails).
    ///
    /// Cost: one allocation; the byte strings (master key, host name, ALPN,
    /// tickets, ...) are not copied but shared, with one atomic increment,
    /// until either session sets one of them.
    pub fn dup(&self) -> Result<Session, Error> {
        let src = self.lock();
        let stale = src.profile.dup_keeps_owner && (src.owner().is_some() || src.stale_owner);
        let class = self.inner.class.as_ref();
        // Built in place: the fields are copied once, into the new session
        // (a fix-up on a local copy first would move them twice more).
        let copy = Session::from_data(class, src.dup_fields(stale));
        if src.rare().ticket.is_none() && src.bufs().rare.is_some() {
            let mut d = copy.lock();
            let mut rare = d.rare().clone();
            rare.ticklen = 0;
            rare.tick_lifetime_hint = 0;
            d.set_rare(rare);
        }
        let dup_ok = class.is_none_or(|class| {
            let mut to = copy.lock();
            class.run_new(&mut to);
            class.run_dup(&mut to.ex, &src)
        });
        let empty = |b: &Option<Buf>| b.as_ref().is_some_and(|b| b.is_empty());
        let bufs = src.bufs();
        let buffers_ok = !(empty(&src.rare().ticket)
            || empty(&bufs.alpn_selected)
            || empty(&bufs.ticket_appdata));
        drop(src);
        match (dup_ok, buffers_ok) {
            (true, true) => Ok(copy),
            (false, _) => Err(Error::DupCallbackFailed),
            (true, false) => Err(Error::DupFailed),
        }
    }

    /// `SSL_SESSION_set1_id`. Changes the cache key: never call it on a
    /// cached session (libssl's table would lose track of it).
    pub fn set1_id(&self, id: &[u8]) -> Result<(), Error> {
        let id = SessionId::new(id).ok_or(Error::IdTooLong)?;
        self.lock().id = id;
        Ok(())
    }

    /// `SSL_SESSION_set1_id_context`.
    pub fn set1_id_context(&self, sid_ctx: &[u8]) -> Result<(), Error> {
        let sid_ctx = SessionId::new(sid_ctx).ok_or(Error::IdContextTooLong)?;
        self.lock().sid_ctx = sid_ctx;
        Ok(())
    }

    /// `SSL_SESSION_set1_master_key`: at most 512 bytes (256 in 1.1.1).
    pub fn set1_master_key(&self, key: &[u8]) -> Result<(), Error> {
        let mut d = self.lock();
        if key.len() > d.profile.master_key_max {
            return Err(Error::MasterKeyTooLong);
        }
        d.set_bufs(|b| b.master_key = (!key.is_empty()).then(|| Buf::from(key)));
        Ok(())
    }

    /// `SSL_SESSION_set1_hostname`; `None` clears it.
    pub fn set1_hostname(&self, hostname: Option<&[u8]>) {
        self.lock()
            .set_bufs(|b| b.hostname = hostname.map(Buf::from));
    }

    /// `SSL_SESSION_set1_alpn_selected`; `None` or empty clears it.
    pub fn set1_alpn_selected(&self, alpn: Option<&[u8]>) {
        let alpn = alpn.filter(|a| !a.is_empty()).map(Buf::from);
        self.lock().set_bufs(|b| b.alpn_selected = alpn);
    }

    /// `SSL_SESSION_set1_ticket_appdata`; `None` or empty clears it.
    pub fn set1_ticket_appdata(&self, data: Option<&[u8]>) {
        let data = data.filter(|a| !a.is_empty()).map(Buf::from);
        self.lock().set_bufs(|b| b.ticket_appdata = data);
    }

    /// `SSL_SESSION_set_protocol_version`. Changes the cache key: never call
    /// it on a cached session.
    pub fn set_protocol_version(&self, version: i32) {
        self.lock().ssl_version = version;
    }

    /// `SSL_SESSION_set_cipher` with the suite libssl knows by `code`;
    /// `None` or an unknown code stores NULL. `cipher_id` is untouched.
    pub fn set_cipher(&self, code: Option<u16>) {
        let mut d = self.lock();
        d.cipher = code.filter(|&c| d.profile.cipher_known(c));
    }

    /// `SSL_SESSION_set_max_early_data`.
    pub fn set_max_early_data(&self, max: u32) {
        self.lock().max_early_data = max;
    }

    /// Sets the value at `index` of the session's ex_data.
    pub fn set_ex_data(&self, index: ExIndex, value: ExValue) {
        self.lock().ex.set(index.0, value);
    }

    /// Whether this session is a dup that a release with
    /// [`Profile::dup_keeps_owner`](super::Profile::dup_keeps_owner) left
    /// believing it is cached: `set_time` and `set_timeout` on it would
    /// corrupt that release's cache. The native model itself is not
    /// affected.
    pub fn has_stale_owner(&self) -> bool {
        self.read().stale_owner
    }

    /// `SSL_SESSION_set_time`: any time; a cached session moves to its new
    /// place in its cache's expiry list. Returns `time`.
    pub fn set_time(&self, time: i64) -> i64 {
        self.update_times(|d| (d.profile.time.store(time), d.timeout));
        time
    }

    /// `SSL_SESSION_set_timeout`: a negative timeout is refused and changes
    /// nothing (1.1.1 takes it); otherwise as [`Session::set_time`].
    pub fn set_timeout(&self, timeout: i64) -> Result<(), Error> {
        if timeout < 0 && !self.read().profile.time.accepts_negative_timeout() {
            return Err(Error::NegativeTimeout);
        }
        self.update_times(|d| (d.time, d.profile.time.store_timeout(timeout)));
        Ok(())
    }

    fn update_times(&self, new: impl Fn(&SessionData) -> (i64, i64)) {
        // Like libssl, `owner` is read before the owner's lock is taken.
        let owner = self.lock().owner().and_then(Weak::upgrade);
        match owner {
            Some(cache) => cache.retime(self, new),
            None => {
                let mut d = self.lock();
                let (time, timeout) = new(&d);
                d.set_time_fields(time, timeout);
            }
        }
    }
}

#[cfg(test)]
thread_local! {
    /// How many times [`Session::touch`] ran on this thread.
    pub(crate) static TOUCHES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

/// References to a session for one thread, counted without atomics: biased
/// reference counting (Choi, Shull and Torrellas, PACT 2018), where the
/// owner thread's references are counted in a plain counter that holds one
/// reference in the shared atomic count.
///
/// Here the plain counter is a [`std::rc::Rc`] around one [`Session`]:
/// `Clone` (`up_ref`) and `Drop` (`free`) of a `LocalSession` are a plain
/// increment and decrement; the last one drops the `Session` it holds, one
/// atomic decrement, and the session dies when no other reference (from
/// any thread, a cache or an `SSL`) is left. `LocalSession` is neither
/// `Send` nor `Sync`, so the compiler keeps the plain counter on its
/// thread; other threads take [`LocalSession::to_shared`] references. No
/// `unsafe` code is involved.
///
/// Deref gives the [`Session`] API (setters, `read`, `dup`, ...).
///
/// ```
/// use sessdiff::native::{LocalSession, Session};
///
/// let local = LocalSession::new(Session::new());
/// let again = local.up_ref(); // no atomic operation
/// let for_a_cache = local.to_shared(); // one atomic increment
/// drop((local, again));
/// assert!(for_a_cache.read().id().is_empty());
/// ```
#[derive(Clone)]
pub struct LocalSession(std::rc::Rc<Session>);

impl LocalSession {
    /// Takes `session` (one shared reference) as the first local one.
    pub fn new(session: Session) -> LocalSession {
        LocalSession(std::rc::Rc::new(session))
    }

    /// `SSL_SESSION_up_ref` on this thread: another local reference (the
    /// same as `clone`).
    pub fn up_ref(&self) -> LocalSession {
        self.clone()
    }

    /// A reference that may go to another thread (or a cache, an `SSL`).
    pub fn to_shared(&self) -> Session {
        self.0.up_ref()
    }

    /// How many local references this thread holds.
    pub fn local_count(this: &LocalSession) -> usize {
        std::rc::Rc::strong_count(&this.0)
    }
}

impl std::ops::Deref for LocalSession {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.0
    }
}

impl std::fmt::Debug for LocalSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LocalSession").field(&*self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::ExCallbacks;

    fn logging_class(log: &Arc<Mutex<Vec<String>>>) -> (Arc<ExClass>, ExIndex) {
        let mut class = ExClass::new();
        let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
        let idx = class.register(ExCallbacks {
            new: Some(Box::new(move |_| {
                l1.lock().unwrap().push("new".into());
                None
            })),
            dup: Some(Box::new(move |_, v| {
                l2.lock().unwrap().push(format!("dup {v:?}"));
                Some(v.map(|v| v + 100))
            })),
            free: Some(Box::new(move |d, v| {
                l3.lock()
                    .unwrap()
                    .push(format!("free {:?} {:02x?}", v, d.id()));
            })),
        });
        (Arc::new(class), idx)
    }

    #[test]
    fn defaults_of_new() {
        let s = Session::new_in(empty_class(), 42);
        let d = s.read();
        assert_eq!(d.protocol_version(), 0);
        assert_eq!(d.verify_result(), 1);
        assert_eq!(d.timeout(), 304);
        assert_eq!(d.time(), 42);
        assert_eq!(d.max_fragment_length(), 0);
        assert!(!d.is_resumable());
        assert!(!d.has_ticket());
    }

    #[test]
    fn last_release_runs_free_callbacks_with_fields_intact() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (class, idx) = logging_class(&log);
        let s = Session::new_in(&class, 0);
        s.set_ex_data(idx, Some(7));
        s.set1_id(&[1, 2]).unwrap();
        let t = s.up_ref();
        drop(s);
        assert_eq!(log.lock().unwrap().len(), 1, "one reference is left");
        drop(t);
        assert_eq!(*log.lock().unwrap(), ["new", "free Some(7) [01, 02]"]);
    }

    #[test]
    fn dup_is_independent_and_runs_new_before_dup() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (class, idx) = logging_class(&log);
        let s = Session::new_in(&class, 0);
        s.set_ex_data(idx, Some(1));
        let c = s.dup().unwrap();
        assert_eq!(c.read().ex_data(idx), Some(101));
        c.set1_id(&[9]).unwrap();
        assert!(s.read().id().is_empty());
        assert_eq!(*log.lock().unwrap(), ["new", "new", "dup Some(1)"]);
    }

    /// A dup shares its source's byte strings (one reference to one block)
    /// until either side sets one; then each has its own, and neither sees
    /// the other's change.
    #[test]
    fn a_dup_shares_byte_strings_until_either_side_sets_one() {
        let s = Session::new_in(empty_class(), 0);
        assert!(!s.read().has_bufs(), "a new session has no block");
        s.set1_master_key(&[1; 48]).unwrap();
        s.set1_hostname(Some(b"a.example"));
        let c = s.dup().unwrap();
        assert!(c.read().shares_bufs_with(&s.read()));
        c.set1_hostname(Some(b"b.example"));
        assert!(!c.read().shares_bufs_with(&s.read()));
        assert_eq!(s.read().hostname(), Some(&b"a.example"[..]));
        assert_eq!(c.read().master_key(), [1; 48]);
        let d = s.dup().unwrap();
        s.set1_master_key(&[]).unwrap();
        s.set1_hostname(None);
        assert_eq!(d.read().master_key(), [1; 48]);
        assert_eq!(d.read().hostname(), Some(&b"a.example"[..]));
        assert!(!s.read().has_bufs(), "no byte string left, no block");
        assert!(d.read().has_bufs() && !s.read().shares_bufs_with(&d.read()));
    }

    #[test]
    fn dup_without_data_runs_no_dup_callback() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (class, _) = logging_class(&log);
        let s = Session::new_in(&class, 0);
        drop(s.dup().unwrap());
        assert_eq!(*log.lock().unwrap(), ["new", "new", "free None []"]);
    }

    #[test]
    fn setter_limits() {
        let s = Session::new_in(empty_class(), 0);
        assert_eq!(s.set1_id(&[0; 33]), Err(Error::IdTooLong));
        assert_eq!(s.set1_id_context(&[0; 33]), Err(Error::IdContextTooLong));
        assert_eq!(s.set1_master_key(&[0; 513]), Err(Error::MasterKeyTooLong));
        assert_eq!(s.set_timeout(-1), Err(Error::NegativeTimeout));
        assert!(s.set1_id(&[0; 32]).is_ok());
        assert!(s.read().is_resumable());
        s.set1_alpn_selected(Some(b""));
        assert_eq!(s.read().alpn_selected(), None);
        s.set1_hostname(Some(b""));
        assert_eq!(s.read().hostname(), Some(&b""[..]));
    }
}
