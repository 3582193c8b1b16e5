//! [`NativeBackend`]: the native model as a backend. Every op is a call
//! into [`crate::native`]; nothing here re-implements a rule of the model.
//! What its callbacks observe (births, deaths, ex_data calls) is kept in
//! its log (`log.rs`).

mod log;

use log::{ExSpecs, NativeLog, ex_value, lock, register_harness_index, register_pool_index};

use std::sync::{Arc, Mutex};

use crate::bytes::{refill, refill_opt};

use super::{Backend, Event, Getters, Ret, State, UNTAGGED, Walk, int, pin_clock_time};
use crate::errcode::{LIB_SSL, RFLAG_COMMON, RFLAG_FATAL, pack};
use crate::native::{
    self, DupFailure, ExClass, ExIndex, Profile, SessionData, SessionId, wall_clock,
};
use crate::program::{BIRTH_TIME, C, EX_INDEXES, Op, S, SESSION_SLOTS, SSL_SLOTS, Tag};

/// The error libssl queues for a native error, in the release of
/// `profile`.
fn queued(e: native::Error, profile: &Profile) -> u32 {
    match e {
        native::Error::IdTooLong => pack(LIB_SSL, 408),
        native::Error::IdContextTooLong => pack(LIB_SSL, 273),
        native::Error::DupFailed | native::Error::DupCallbackFailed => {
            match profile.dup_failure {
                // ERR_R_MALLOC_FAILURE: 1.1.1's (1 | ERR_R_FATAL), or 3.0's
                // with its fatal and common flags.
                DupFailure::MallocFailure if profile.release < 0x3000_0000 => pack(LIB_SSL, 65),
                DupFailure::MallocFailure => pack(LIB_SSL, 256 | RFLAG_COMMON | RFLAG_FATAL),
                // ERR_R_CRYPTO_LIB: ERR_LIB_CRYPTO as a common reason.
                DupFailure::Silent if e == native::Error::DupCallbackFailed => {
                    pack(LIB_SSL, 15 | RFLAG_COMMON)
                }
                DupFailure::Silent => 0,
            }
        }
        native::Error::MasterKeyTooLong | native::Error::NegativeTimeout => 0,
    }
}

/// A native session's fields as the snapshot reads them.
struct NativeGetters<'a>(&'a SessionData);

impl Getters for NativeGetters<'_> {
    fn id(&self) -> SessionId {
        self.0.id
    }
    fn sid_ctx(&self) -> SessionId {
        self.0.sid_ctx
    }
    fn master_key(&self, out: &mut Vec<u8>) {
        refill(out, self.0.master_key());
    }
    fn time(&self) -> i64 {
        self.0.time()
    }
    fn timeout(&self) -> i64 {
        self.0.timeout()
    }
    fn protocol_version(&self) -> i32 {
        self.0.protocol_version()
    }
    fn hostname(&self, out: &mut Option<Vec<u8>>) {
        refill_opt(out, self.0.hostname());
    }
    fn alpn_selected(&self, out: &mut Option<Vec<u8>>) {
        refill_opt(out, self.0.alpn_selected());
    }
    fn ticket_appdata(&self, out: &mut Option<Vec<u8>>) {
        refill_opt(out, self.0.ticket_appdata());
    }
    fn max_early_data(&self) -> u32 {
        self.0.max_early_data()
    }
    fn ticket_lifetime_hint(&self) -> u64 {
        self.0.ticket_lifetime_hint()
    }
    fn compress_id(&self) -> u32 {
        self.0.compress_id()
    }
    fn max_fragment_length(&self) -> u8 {
        self.0.max_fragment_length()
    }
    fn is_resumable(&self) -> bool {
        self.0.is_resumable()
    }
    fn has_ticket(&self) -> bool {
        self.0.has_ticket()
    }
    fn cipher(&self) -> Option<u16> {
        self.0.cipher()
    }
    fn ticket(&self, out: &mut (Option<Vec<u8>>, usize)) {
        let (t, n) = self.0.ticket();
        refill_opt(&mut out.0, t);
        out.1 = n;
    }
    fn encoding(&self, out: &mut Vec<u8>) {
        self.0.encode_into(out);
    }
}

/// The native implementation as a backend. Its events come from ex_data
/// callbacks (the harness's own index, which counts births and logs deaths,
/// and the indexes programs register) and from the cache's remove
/// callback.
pub struct NativeBackend {
    profile: &'static Profile,
    log: Arc<Mutex<NativeLog>>,
    class: Arc<ExClass>,
    /// The program's ex_data indexes: app_data (0), then the pool's.
    ex_indexes: [ExIndex; EX_INDEXES as usize + 1],
    /// What the indexes the program registered do, in order of
    /// registration.
    ex_specs: ExSpecs,
    sessions: [Option<native::Session>; SESSION_SLOTS],
    ssls: [Option<native::Ssl>; SSL_SLOTS],
    cache: Option<native::Cache>,
}

impl Default for NativeBackend {
    fn default() -> Self {
        NativeBackend::new()
    }
}

impl NativeBackend {
    /// A world with a cache and nothing else, following the process's
    /// [model](super::model).
    pub fn new() -> NativeBackend {
        NativeBackend::with_profile(super::model())
    }

    /// A world with a cache and nothing else, following `profile`.
    pub fn with_profile(profile: &'static Profile) -> NativeBackend {
        let log = Arc::new(Mutex::new(NativeLog::default()));
        let ex_specs = ExSpecs::default();
        let mut class = ExClass::new();
        // As in libssl: the pool first, then the harness's own index, so
        // that its free callback (the death event) runs last.
        let mut ex_indexes = [ExIndex(0); EX_INDEXES as usize + 1];
        for k in 1..=EX_INDEXES {
            ex_indexes[usize::from(k)] = register_pool_index(&mut class, &log, &ex_specs, k);
        }
        register_harness_index(&mut class, &log);
        let mut b = NativeBackend {
            profile,
            log,
            class: Arc::new(class),
            ex_indexes,
            ex_specs,
            sessions: Default::default(),
            ssls: Default::default(),
            cache: None,
        };
        b.cache = Some(b.new_cache());
        b
    }

    fn new_cache(&self) -> native::Cache {
        let log = self.log.clone();
        let on_remove: native::RemoveCallback = Box::new(move |s| {
            let d = s.read();
            let mut l = lock(&log);
            let tag = l.tag(&d);
            l.events.push(Event::Removed(tag));
        });
        native::Cache::with_profile(*self.profile, Some(on_remove))
    }

    /// The session's tag (its birth step), or [`UNTAGGED`].
    pub fn tag(&self, s: &native::Session) -> Tag {
        let d = s.read();
        lock(&self.log).tag(&d)
    }

    /// Runs `make`, a call that makes one session, so that the session gets
    /// the tag `step`.
    fn born<T>(&self, step: Tag, make: impl FnOnce() -> T) -> T {
        lock(&self.log).birth = Some(step);
        let r = make();
        lock(&self.log).birth = None;
        r
    }

    /// The session in slot `s`, if any.
    pub fn session(&self, s: S) -> Option<&native::Session> {
        self.sessions[s.index()].as_ref()
    }

    /// Puts `session` in slot `s` (what a faulty test backend may need).
    pub fn put_session(&mut self, s: S, session: Option<native::Session>) {
        self.sessions[s.index()] = session;
    }

    fn sess(&self, s: S) -> Result<&native::Session, Ret> {
        self.sessions[s.index()]
            .as_ref()
            .ok_or_else(|| super::refused_empty(s))
    }

    fn ssl(&self, c: C) -> Result<&native::Ssl, Ret> {
        self.ssls[c.index()]
            .as_ref()
            .ok_or_else(|| super::refused_empty(c))
    }

    fn ssl_mut(&mut self, c: C) -> Result<&mut native::Ssl, Ret> {
        self.ssls[c.index()]
            .as_mut()
            .ok_or_else(|| super::refused_empty(c))
    }

    fn cache(&self) -> Result<&native::Cache, Ret> {
        self.cache
            .as_ref()
            .ok_or_else(|| super::refused_empty("the ctx"))
    }

    /// `d2i_SSL_SESSION(NULL, ...)` of `der` into slot `d`.
    fn decode(&mut self, step: Tag, der: &[u8], d: S) -> (Ret, u32) {
        let t0 = wall_clock();
        match self.born(step, || {
            native::Session::decode_as(self.profile, &self.class, der, t0)
        }) {
            Ok((s, used)) => {
                let time = s.read().time();
                pin_clock_time(t0, time, || s.set_time(BIRTH_TIME));
                self.sessions[d.index()] = Some(s);
                (Ret::Decoded(Some(step), used), 0)
            }
            Err(e) => (Ret::Decoded(None, 0), e.kind.libssl_error(self.profile)),
        }
    }

    fn call(&mut self, step: Tag, op: &Op) -> Result<(Ret, u32), Ret> {
        let profile = self.profile;
        let done = |r: Result<(), native::Error>| match r {
            Ok(()) => (Ret::Int(1), 0),
            Err(e) => (Ret::Int(0), queued(e, profile)),
        };
        let one = (Ret::Int(1), 0);
        Ok(match op {
            Op::New(d) => {
                let s = self.born(step, || {
                    native::Session::new_as(self.profile, &self.class, BIRTH_TIME)
                });
                self.sessions[d.index()] = Some(s);
                (Ret::Obj(Some(step)), 0)
            }
            Op::Dup(s, d) => {
                let src = self.sess(*s)?;
                let (copy, error) = match self.born(step, || src.dup()) {
                    Ok(c) => (Some(c), 0),
                    Err(e) => (None, queued(e, profile)),
                };
                let ret = Ret::Obj(copy.as_ref().map(|c| self.tag(c)));
                self.sessions[d.index()] = copy;
                (ret, error)
            }
            Op::UpRef(s, d) => {
                self.sessions[d.index()] = Some(self.sess(*s)?.up_ref());
                one
            }
            Op::Free(s) => {
                self.sess(*s)?;
                native::Session::free(self.sessions[s.index()].take());
                (Ret::Void, 0)
            }
            Op::FreeNull => {
                native::Session::free(None);
                (Ret::Void, 0)
            }
            Op::SslNew(c) => {
                self.cache()?;
                self.ssls[c.index()] = Some(native::Ssl::new());
                (Ret::Void, 0)
            }
            Op::SslFree(c) => {
                self.ssl(*c)?;
                self.ssls[c.index()] = None;
                (Ret::Void, 0)
            }
            Op::SslSet(c, s) => {
                let session = s.map(|s| self.sess(s).cloned()).transpose()?;
                self.ssl_mut(*c)?.set_session(session.as_ref());
                one
            }
            Op::SslGet0(c) => (Ret::Obj(self.ssl(*c)?.session().map(|s| self.tag(s))), 0),
            Op::SslGet1(c, d) => {
                let got = self.ssl(*c)?.get1_session();
                let ret = Ret::Obj(got.as_ref().map(|s| self.tag(s)));
                self.sessions[d.index()] = got;
                (ret, 0)
            }
            Op::SslCopySessionId(t, f) if t == f => {
                self.ssl_mut(*t)?.copy_own_session_id();
                one
            }
            Op::SslCopySessionId(t, f) => {
                self.ssl(*f)?;
                self.ssl(*t)?;
                let [to, from] = self
                    .ssls
                    .get_disjoint_mut([t.index(), f.index()])
                    .expect("distinct slots");
                let (Some(to), Some(from)) = (to, from) else {
                    unreachable!("both checked above")
                };
                to.copy_session_id(from);
                one
            }
            Op::SslClear(c) => {
                self.ssl_mut(*c)?.clear();
                one
            }
            Op::SslHasMatchingId(c, id) => {
                let found = self.ssl(*c)?.has_matching_session_id(self.cache()?, id);
                (int(found), 0)
            }
            Op::CacheAdd(s) => (int(self.cache()?.add(self.sess(*s)?)), 0),
            Op::CacheRemove(s) => (int(self.cache()?.remove(self.sess(*s)?)), 0),
            Op::CacheFlush(t) => {
                self.cache()?.flush(*t);
                (Ret::Void, 0)
            }
            Op::CacheSize(n) => (Ret::Int(self.cache()?.set_size(*n)), 0),
            Op::CtxFree => {
                self.cache()?;
                self.cache = None;
                (Ret::Void, 0)
            }
            Op::CtxNew => {
                self.cache = Some(self.new_cache());
                (Ret::Void, 0)
            }
            Op::SetId(s, id) => done(self.sess(*s)?.set1_id(id)),
            Op::SetSidCtx(s, v) => done(self.sess(*s)?.set1_id_context(v)),
            Op::SetMasterKey(s, v) => done(self.sess(*s)?.set1_master_key(v)),
            Op::SetTime(s, t) => (Ret::Int(self.sess(*s)?.set_time(*t)), 0),
            Op::SetTimeout(s, t) => done(self.sess(*s)?.set_timeout(*t)),
            Op::SetHostname(s, h) => {
                self.sess(*s)?.set1_hostname(h.as_deref());
                one
            }
            Op::SetAlpn(s, v) => {
                self.sess(*s)?.set1_alpn_selected(v.as_deref());
                one
            }
            Op::SetTicketAppdata(s, v) => {
                self.sess(*s)?.set1_ticket_appdata(v.as_deref());
                one
            }
            Op::SetProtocolVersion(s, v) => {
                self.sess(*s)?.set_protocol_version(*v);
                one
            }
            Op::SetMaxEarlyData(s, v) => {
                self.sess(*s)?.set_max_early_data(*v);
                one
            }
            Op::SetCipher(s, c) => {
                self.sess(*s)?.set_cipher(*c);
                one
            }
            Op::Encode(s) => {
                let len = self.sess(*s)?.read().encode().map_or(0, |e| e.len());
                (Ret::Int(len as i64), 0)
            }
            Op::Decode(der, d) => self.decode(step, der, *d),
            Op::DecodeInto(s, der) => {
                let s = self.sess(*s)?;
                let t0 = wall_clock();
                let r = s.decode_into(der, t0);
                let time = s.read().time();
                pin_clock_time(t0, time, || s.set_time(BIRTH_TIME));
                match r {
                    Ok(used) => (Ret::Decoded(Some(self.tag(s)), used), 0),
                    Err(e) => (Ret::Decoded(None, 0), e.kind.libssl_error(self.profile)),
                }
            }
            Op::Reencode(s, d) => {
                let der = self.sess(*s)?.read().encode().unwrap_or_default();
                self.decode(step, &der, *d)
            }
            Op::ExNewIndex(spec) => {
                // The program's next index: the first not registered yet.
                let next = self.ex_specs.iter().find(|slot| slot.get().is_none());
                if next.is_none_or(|slot| slot.set(*spec).is_err()) {
                    return Err(Ret::Refused("every ex_data index is registered".into()));
                }
                (Ret::Void, 0)
            }
            Op::ExSet(s, i, v) => {
                let index = self.ex_indexes[usize::from(*i)];
                self.sess(*s)?.set_ex_data(index, ex_value(*v));
                one
            }
            Op::ExGet(s, i) => {
                let index = self.ex_indexes[usize::from(*i)];
                let v = self.sess(*s)?.read().ex_data(index).unwrap_or(0);
                (Ret::Int(v as i64), 0)
            }
            Op::IsResumable(s) => (int(self.sess(*s)?.read().is_resumable()), 0),
            Op::HasTicket(s) => (int(self.sess(*s)?.read().has_ticket()), 0),
        })
    }
}

impl Backend for NativeBackend {
    fn name(&self) -> &'static str {
        "native"
    }

    fn apply(&mut self, step: Tag, op: &Op) -> (Ret, u32) {
        self.call(step, op).unwrap_or_else(|refused| (refused, 0))
    }

    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut lock(&self.log).events)
    }

    fn hazard(&self, op: &Op) -> Option<&'static str> {
        let s = match *op {
            Op::SetTime(s, _) => s,
            Op::SetTimeout(s, t) if t >= 0 => s,
            // After a decode that read the clock, both backends pin the
            // session's time with `set_time`.
            Op::DecodeInto(s, _) => s,
            _ => return None,
        };
        let stale = self.sessions[s.index()]
            .as_ref()
            .is_some_and(native::Session::has_stale_owner);
        stale.then_some("dup_keeps_owner")
    }

    fn fill(&self, out: &mut State, full: bool) {
        self.fill_logged(&lock(&self.log), out, full);
    }

    fn take_events_and_fill(&mut self, out: &mut State, full: bool) -> Vec<Event> {
        let mut log = lock(&self.log);
        let events = std::mem::take(&mut log.events);
        self.fill_logged(&log, out, full);
        events
    }

    fn abandon(&mut self) {
        // Native objects are memory-safe to release; dropping the world
        // only runs callbacks into a log nobody reads.
        self.sessions = Default::default();
        self.ssls = Default::default();
        self.cache = None;
    }
}

impl NativeBackend {
    /// [`Backend::fill`] with the log locked by the caller (once for the
    /// walk and what comes with it: nothing below runs a callback, and
    /// every tag is looked up in the log). The cache is locked once too.
    fn fill_logged(&self, log: &NativeLog, out: &mut State, full: bool) {
        // The sessions of the slots and `SSL`s met so far, with their tags:
        // met again (in an `SSL` or the cache), a session is known by its
        // pointer, without taking its lock.
        let mut met = [(0, UNTAGGED); SESSION_SLOTS + SSL_SLOTS];
        let mut met_count = 0;
        // Snapshots a session the first time the walk meets it, under one
        // lock of the session; its tag.
        let mut visit = |w: &mut Walk<'_>, s: &native::Session, remember: bool| {
            if let Some(&(_, tag)) = met[..met_count].iter().find(|(a, _)| *a == s.addr()) {
                return tag;
            }
            let d = s.read();
            let tag = log.tag(&d);
            w.session(tag, |out| out.fill(&NativeGetters(&d)));
            if remember {
                met[met_count] = (s.addr(), tag);
                met_count += 1;
            }
            tag
        };
        let mut walk = |cache: Option<&native::CacheView<'_>>| {
            let counters = cache.map(|c| (c.len() as i64, c.cache_full() as i64, c.size()));
            let mut w = Walk::start(out, log.live, counters, full);
            if w.full() {
                for s in self.sessions.iter().flatten() {
                    visit(&mut w, s, true);
                }
                for (c, ssl) in C::all().zip(&self.ssls) {
                    let Some(ssl) = ssl else { continue };
                    let session = ssl.session().map(|s| visit(&mut w, s, true));
                    w.ssl(c, session, ssl.verify_result());
                }
            }
            if let Some(cache) = cache {
                cache.for_each(|s| {
                    let tag = visit(&mut w, s, false);
                    w.member(tag);
                });
            }
            w.finish();
        };
        match &self.cache {
            Some(cache) => cache.view(|v| walk(Some(v))),
            None => walk(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::backend::apply_text as apply;
    use crate::backend::{ExCall, ExCallback};

    /// Under a profile with the `dup_keeps_owner` bug, the calls that
    /// would link a stale dup into the cache's list (`set_time`,
    /// `set_timeout` of a timeout the library keeps, `decode_into`, which
    /// pins the time) are refused on that dup, and only there.
    #[test]
    fn the_dup_keeps_owner_hazard_is_each_relinking_call_on_a_stale_dup() {
        let program = ["new s0", "set_id s0 01", "cache_add s0", "dup s0 -> s1"];
        let hazards = |release: &str| {
            let mut b = NativeBackend::with_profile(Profile::named(release).unwrap().interned());
            for (step, op) in program.iter().enumerate() {
                apply(&mut b, step as Tag, op);
            }
            let hazard = |text: &str| {
                let op = crate::program::Program::parse(text).unwrap().ops.remove(0);
                b.hazard(&op)
            };
            [
                "set_time s1 5",
                "set_timeout s1 10",
                "set_timeout s1 0",
                "set_timeout s1 -1",
                "decode_into s1 3000",
                "set_time s0 5",
                "up_ref s1 -> s2",
            ]
            .map(hazard)
        };
        let bug = Some("dup_keeps_owner");
        assert_eq!(hazards("3.0.0"), [bug, bug, bug, None, bug, None, None]);
        assert_eq!(hazards("3.0.19"), [None; 7]);
    }

    /// The error a failed dup queues, release by release (the profiles'
    /// `dup_failure` and 1.1.1's reason numbers): 1.1.1's
    /// `ERR_R_MALLOC_FAILURE` is reason 65 (1 with `ERR_R_FATAL`), 3.0's
    /// is 256 (with the common and fatal flags, which the text leaves
    /// out); 3.2 on queue nothing, except `ERR_R_CRYPTO_LIB` (15) for a
    /// refusing ex_data dup callback.
    #[test]
    fn a_failed_dup_queues_each_releases_error() {
        use crate::errcode::text;
        let named = |r: &str| Profile::named(r).unwrap();
        let cases = [
            ("1.1.1w", native::Error::DupFailed, "SSL:65"),
            ("1.1.1w", native::Error::DupCallbackFailed, "SSL:65"),
            ("3.0.0", native::Error::DupFailed, "SSL:256"),
            ("3.0.19", native::Error::DupFailed, "SSL:256"),
            ("3.0.19", native::Error::DupCallbackFailed, "SSL:256"),
            ("3.5.5", native::Error::DupFailed, "none"),
            ("3.5.5", native::Error::DupCallbackFailed, "SSL:15"),
        ];
        for (release, e, want) in cases {
            let got = match queued(e, &named(release)) {
                0 => "none".to_string(),
                c => text(c),
            };
            assert_eq!(got, want, "{release} {e:?}");
        }
    }

    #[test]
    fn dup_failures_queue_the_profiles_error() {
        let dup = native::Error::DupFailed;
        assert_eq!(crate::errcode::text(queued(dup, &Profile::V3_0)), "SSL:256");
        assert_eq!(queued(dup, &Profile::V4_0), 0);
        assert_eq!(
            crate::errcode::text(queued(dup, Profile::named("1.1.1w").unwrap().interned())),
            "SSL:65"
        );
    }

    #[test]
    fn copying_a_session_id_goes_through_the_model() {
        let mut b = NativeBackend::with_profile(&Profile::V3_0);
        apply(&mut b, 0, "new s0");
        apply(&mut b, 1, "ssl_new c0");
        apply(&mut b, 2, "ssl_new c1");
        apply(&mut b, 3, "ssl_set c0 s0");
        assert_eq!(apply(&mut b, 4, "ssl_copy_session_id c1 c0").0, Ret::Int(1));
        assert_eq!(apply(&mut b, 5, "ssl_get0 c1").0, Ret::Obj(Some(0)));
        // The model's fault shows: the backend called native::Ssl.
        native::planted::plant(Some(native::planted::ModelFault::CopySessionIdKeepsOld));
        apply(&mut b, 6, "ssl_set c0 none");
        apply(&mut b, 7, "ssl_copy_session_id c1 c0");
        native::planted::plant(None);
        assert_eq!(apply(&mut b, 8, "ssl_get0 c1").0, Ret::Obj(Some(0)));
        assert_eq!(apply(&mut b, 9, "ssl_copy_session_id c1 c1").0, Ret::Int(1));
        assert!(b.take_events().is_empty());
    }

    #[test]
    fn free_null_is_a_call_that_changes_nothing() {
        let mut b = NativeBackend::with_profile(&Profile::V3_0);
        assert_eq!(apply(&mut b, 0, "free_null"), (Ret::Void, 0));
        assert!(b.take_events().is_empty());
        assert_eq!(b.state().live, 0);
    }

    /// An index's callbacks act from its `ex_new_index` on, and only for
    /// the births after it; a fifth index is refused (the harness never
    /// sends one: the slot table stops at four).
    #[test]
    fn ex_indexes_act_once_registered_and_stop_at_four() {
        let mut b = NativeBackend::with_profile(&Profile::V3_0);
        apply(&mut b, 0, "new s0");
        assert!(
            b.take_events().is_empty(),
            "nothing registered, nothing logged"
        );
        for step in 1..=EX_INDEXES {
            let op = "ex_new_index new=log dup=none free=none";
            assert_eq!(apply(&mut b, step.into(), op).0, Ret::Void);
        }
        let op = "ex_new_index new=log dup=none free=none";
        assert!(matches!(apply(&mut b, 9, op).0, Ret::Refused(_)));
        apply(&mut b, 10, "new s1");
        let news = b.take_events();
        assert_eq!(
            news.len(),
            usize::from(EX_INDEXES),
            "one new callback per index"
        );
        assert!(news.iter().all(|e| matches!(
            e,
            Event::Ex(ExCall {
                callback: ExCallback::New,
                object: 10,
                ..
            })
        )));
    }

    #[test]
    fn an_empty_slot_is_refused_not_touched() {
        let mut b = NativeBackend::with_profile(&Profile::V3_0);
        assert!(matches!(apply(&mut b, 0, "free s3").0, Ret::Refused(_)));
        assert!(matches!(
            apply(&mut b, 0, "ssl_clear c2").0,
            Ret::Refused(_)
        ));
    }
}
