//! The [`Backend`] trait — apply one [`Op`] to a world of handles — and its
//! two implementations: [`NativeBackend`] over [`crate::native`] and
//! [`OsslBackend`] over libssl ([`crate::ossl`]).
//!
//! Both report the same things in the same normalised form: the call's
//! [`Ret`] (pointers as "which object"), the libssl error reason the call
//! queued, the [`Event`]s (deaths and remove callbacks) it caused, and a
//! [`State`] snapshot of everything reachable. Deaths come from each side's
//! own release path (ex_data free callbacks), never from bookkeeping here,
//! so a reference-count bug in either shows.

use std::fmt;
use std::sync::{Arc, Mutex};

use crate::native::{self, ExCallbacks, ExClass, ExIndex, SessionId, wall_clock};
use crate::ossl;
use crate::program::{BIRTH_TIME, C, Op, S, SESSION_SLOTS, SSL_SLOTS, Tag};

/// The tag reported for a session that never got one.
pub const UNTAGGED: Tag = Tag::MAX;

/// What a call returned, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ret {
    /// A `void` call.
    Void,
    /// An integer result (`int`, `long`, a boolean as 0/1).
    Int(i64),
    /// A session pointer: which object, or NULL.
    Obj(Option<Tag>),
    /// What `d2i_SSL_SESSION` returned (which object, or NULL) and how far
    /// it moved `*pp` (0 when it returned NULL).
    Decoded(Option<Tag>, usize),
    /// The backend refused the call (a harness bug or a guarded hazard).
    Refused(String),
}

impl fmt::Display for Ret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ret::Void => f.write_str("void"),
            Ret::Int(i) => write!(f, "{i}"),
            Ret::Obj(None) => f.write_str("NULL"),
            Ret::Obj(Some(t)) => write!(f, "#{t}"),
            Ret::Decoded(None, _) => f.write_str("NULL"),
            Ret::Decoded(Some(t), used) => write!(f, "#{t} ({used} bytes used)"),
            Ret::Refused(why) => write!(f, "refused ({why})"),
        }
    }
}

/// Something observed through a callback during a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    /// The cache's remove callback ran with this object.
    Removed(Tag),
    /// This object's last reference went away.
    Died(Tag),
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Removed(UNTAGGED) => f.write_str("rm(#?)"),
            Event::Died(UNTAGGED) => f.write_str("free(#?)"),
            Event::Removed(t) => write!(f, "rm(#{t})"),
            Event::Died(t) => write!(f, "free(#{t})"),
        }
    }
}

/// Every field of a session that the API can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSnapshot {
    /// `get_id`.
    pub id: SessionId,
    /// `get0_id_context`.
    pub sid_ctx: SessionId,
    /// `get_master_key`.
    pub master_key: Vec<u8>,
    /// `get_time`.
    pub time: i64,
    /// `get_timeout`.
    pub timeout: i64,
    /// `get_protocol_version`.
    pub protocol_version: i32,
    /// `get0_hostname`.
    pub hostname: Option<Vec<u8>>,
    /// `get0_alpn_selected`.
    pub alpn_selected: Option<Vec<u8>>,
    /// `get0_ticket_appdata`.
    pub ticket_appdata: Option<Vec<u8>>,
    /// `get_max_early_data`.
    pub max_early_data: u32,
    /// `get_ticket_lifetime_hint`.
    pub ticket_lifetime_hint: u64,
    /// `get_compress_id`.
    pub compress_id: u32,
    /// `get_max_fragment_length`.
    pub max_fragment_length: u8,
    /// `is_resumable`.
    pub is_resumable: bool,
    /// `has_ticket`.
    pub has_ticket: bool,
    /// `get0_cipher`'s protocol id.
    pub cipher: Option<u16>,
    /// `get0_ticket`: the buffer, if not NULL, and the recorded length.
    pub ticket: (Option<Vec<u8>>, usize),
    /// `i2d_SSL_SESSION`, empty when nothing is written.
    pub encoding: Vec<u8>,
}

/// What an `SSL` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SslSnapshot {
    /// `SSL_get0_session`.
    pub session: Option<Tag>,
    /// `SSL_get_verify_result`.
    pub verify_result: i64,
}

/// What the cache shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSnapshot {
    /// `SSL_CTX_sess_number`.
    pub number: i64,
    /// `SSL_CTX_sess_cache_full`.
    pub cache_full: i64,
    /// `SSL_CTX_sess_get_cache_size`.
    pub size: i64,
    /// The cached objects, sorted.
    pub members: Vec<Tag>,
}

/// A snapshot of a world after a call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// Sessions made and not yet dead.
    pub live: i64,
    /// Every session reachable from a slot, an `SSL` or the cache, sorted
    /// by tag.
    pub sessions: Vec<(Tag, SessionSnapshot)>,
    /// The `SSL` slots.
    pub ssls: [Option<SslSnapshot>; SSL_SLOTS],
    /// The cache, if the ctx exists.
    pub cache: Option<CacheSnapshot>,
}

/// Applies calls to one world of sessions, `SSL`s and a cache.
///
/// The caller (the lockstep runner) guarantees that every op is legal for
/// the harness's slot table; a backend that finds a slot empty anyway
/// returns [`Ret::Refused`] rather than touching anything.
pub trait Backend {
    /// A short name for reports ("native", "libssl").
    fn name(&self) -> &'static str;
    /// Applies `op`; objects it makes are tagged `step`. Returns the result
    /// and the libssl error reason queued by the call (0 for none).
    fn apply(&mut self, step: Tag, op: &Op) -> (Ret, u32);
    /// The events recorded since the last call.
    fn take_events(&mut self) -> Vec<Event>;
    /// Overwrites `out` with a snapshot of everything reachable, reusing
    /// its buffers (the lockstep runner calls this after every call).
    fn fill_state(&self, out: &mut State);
    /// Overwrites `out` with the cheap part of a snapshot: the live count
    /// and the cache (counters and members); no session or `SSL` is listed.
    fn fill_summary(&self, out: &mut State);
    /// A new snapshot of everything reachable.
    fn state(&self) -> State {
        let mut s = State::default();
        self.fill_state(&mut s);
        s
    }
    /// Gives the world up without releasing anything the backend can no
    /// longer vouch for (called after a divergence).
    fn abandon(&mut self);
}

/// The error libssl queues for a native error, packed as
/// `ERR_PACK(ERR_LIB_SSL, 0, reason)`.
fn reason(e: native::Error) -> u32 {
    const SSL: u32 = 20 << 23;
    match e {
        native::Error::IdTooLong => SSL | 408,
        native::Error::IdContextTooLong => SSL | 273,
        // ERR_R_MALLOC_FAILURE, with its fatal and common flags: every
        // failure of ssl_session_dup_intern raises it.
        native::Error::DupFailed => SSL | 256 | (3 << 18),
        _ => 0,
    }
}

/// An error code as `ERR_PACK` packs it, for people: `SSL:408`,
/// `ASN1:266` (the reason without its flags), or `0` for none.
pub fn error_text(code: u32) -> String {
    if code == 0 {
        return "0".into();
    }
    let reason = code & 0x3_FFFF;
    match code >> 23 {
        13 => format!("ASN1:{reason}"),
        20 => format!("SSL:{reason}"),
        lib => format!("lib{lib}:{reason}"),
    }
}

/// Keeps runs deterministic where `d2i_SSL_SESSION` reads the clock (a
/// time absent or 0 becomes "now"): after a decode that started at `t0`,
/// a session whose time lies between `t0 - 1` and now gets [`BIRTH_TIME`]
/// instead, through `pin`. (`time(NULL)` reads a coarse clock that can lag
/// a second behind at a boundary, hence the `- 1`.) Both backends apply
/// the same rule to their own result, so a side that took its time from
/// the input while the other took the clock still shows as a difference.
fn pin_clock_time(t0: i64, time: i64, pin: impl FnOnce() -> i64) {
    if (t0 - 1..=wall_clock()).contains(&time) {
        pin();
    }
}

/// Sorts snapshots (one per object) by tag.
fn sorted(mut v: Vec<(Tag, SessionSnapshot)>) -> Vec<(Tag, SessionSnapshot)> {
    v.sort_unstable_by_key(|(t, _)| *t);
    v
}

fn int(ok: bool) -> Ret {
    Ret::Int(ok as i64)
}

fn refused_empty(what: impl fmt::Display) -> Ret {
    Ret::Refused(format!("{what} is empty"))
}

// ---------------------------------------------------------------------------
// native
// ---------------------------------------------------------------------------

#[derive(Default)]
struct NativeLog {
    events: Vec<Event>,
    live: i64,
    dup_tag: Tag,
}

/// The native implementation as a backend. Its events come from an ex_data
/// index whose callbacks log deaths and give dups their tag, and from the
/// cache's remove callback.
pub struct NativeBackend {
    log: Arc<Mutex<NativeLog>>,
    class: Arc<ExClass>,
    idx: ExIndex,
    sessions: [Option<native::Session>; SESSION_SLOTS],
    ssls: [Option<native::Ssl>; SSL_SLOTS],
    cache: Option<native::Cache>,
}

impl Default for NativeBackend {
    fn default() -> Self {
        NativeBackend::new()
    }
}

fn lock(log: &Mutex<NativeLog>) -> std::sync::MutexGuard<'_, NativeLog> {
    log.lock().unwrap_or_else(|e| e.into_inner())
}

impl NativeBackend {
    /// A world with a cache and nothing else.
    pub fn new() -> NativeBackend {
        let log = Arc::new(Mutex::new(NativeLog::default()));
        let mut class = ExClass::new();
        let (l_new, l_dup, l_free) = (log.clone(), log.clone(), log.clone());
        let idx = class.register(ExCallbacks {
            new: Some(Box::new(move || {
                lock(&l_new).live += 1;
                None
            })),
            dup: Some(Box::new(move |_| Some(Some(lock(&l_dup).dup_tag)))),
            free: Some(Box::new(move |_, tag| {
                let mut l = lock(&l_free);
                l.live -= 1;
                l.events.push(Event::Died(tag.unwrap_or(UNTAGGED)));
            })),
        });
        let mut b = NativeBackend {
            log,
            class: Arc::new(class),
            idx,
            sessions: Default::default(),
            ssls: Default::default(),
            cache: None,
        };
        b.cache = Some(b.new_cache());
        b
    }

    fn new_cache(&self) -> native::Cache {
        let (log, idx) = (self.log.clone(), self.idx);
        native::Cache::with_remove_callback(Box::new(move |s| {
            let tag = s.read().ex_data(idx).unwrap_or(UNTAGGED);
            lock(&log).events.push(Event::Removed(tag));
        }))
    }

    /// The session's tag (its birth step), or [`UNTAGGED`].
    pub fn tag(&self, s: &native::Session) -> Tag {
        s.read().ex_data(self.idx).unwrap_or(UNTAGGED)
    }

    fn snapshot(s: &native::Session) -> SessionSnapshot {
        let d = s.read();
        SessionSnapshot {
            id: SessionId::new(d.id()).unwrap_or_default(),
            sid_ctx: SessionId::new(d.id_context()).unwrap_or_default(),
            master_key: d.master_key().to_vec(),
            time: d.time(),
            timeout: d.timeout(),
            protocol_version: d.protocol_version(),
            hostname: d.hostname().map(<[u8]>::to_vec),
            alpn_selected: d.alpn_selected().map(<[u8]>::to_vec),
            ticket_appdata: d.ticket_appdata().map(<[u8]>::to_vec),
            max_early_data: d.max_early_data(),
            ticket_lifetime_hint: d.ticket_lifetime_hint(),
            compress_id: d.compress_id(),
            max_fragment_length: d.max_fragment_length(),
            is_resumable: d.is_resumable(),
            has_ticket: d.has_ticket(),
            cipher: d.cipher(),
            ticket: {
                let (t, n) = d.ticket();
                (t.map(<[u8]>::to_vec), n)
            },
            encoding: d.encode().unwrap_or_default(),
        }
    }

    /// The session in slot `s`, if any.
    pub fn session(&self, s: S) -> Option<&native::Session> {
        self.sessions[s.index()].as_ref()
    }

    /// Puts `session` in slot `s` (what a faulty test backend may need).
    pub fn put_session(&mut self, s: S, session: Option<native::Session>) {
        self.sessions[s.index()] = session;
    }

    /// The `SSL` in slot `c`, if any.
    pub fn ssl(&self, c: C) -> Option<&native::Ssl> {
        self.ssls[c.index()].as_ref()
    }

    fn apply_session_op(&mut self, step: Tag, op: &Op) -> Result<(Ret, u32), Ret> {
        let slot = op.session().expect("a session op");
        let s = self.sessions[slot.index()]
            .clone()
            .ok_or_else(|| refused_empty(slot))?;
        let res = |r: Result<(), native::Error>| match r {
            Ok(()) => (Ret::Int(1), 0),
            Err(e) => (Ret::Int(0), reason(e)),
        };
        let cache = || self.cache.as_ref().ok_or_else(|| refused_empty("the ctx"));
        Ok(match op {
            Op::Dup(_, d) => {
                lock(&self.log).dup_tag = step;
                let (copy, error) = match s.dup() {
                    Ok(c) => (Some(c), 0),
                    Err(e) => (None, reason(e)),
                };
                let ret = Ret::Obj(copy.as_ref().map(|c| self.tag(c)));
                self.sessions[d.index()] = copy;
                (ret, error)
            }
            Op::UpRef(_, d) => {
                self.sessions[d.index()] = Some(s.up_ref());
                (Ret::Int(1), 0)
            }
            Op::Free(_) => {
                drop(s);
                self.sessions[slot.index()] = None;
                (Ret::Void, 0)
            }
            Op::CacheAdd(_) => (int(cache()?.add(&s)), 0),
            Op::CacheRemove(_) => (int(cache()?.remove(&s)), 0),
            Op::SetId(_, id) => res(s.set1_id(id)),
            Op::SetSidCtx(_, v) => res(s.set1_id_context(v)),
            Op::SetMasterKey(_, v) => res(s.set1_master_key(v)),
            Op::SetTime(_, t) => (Ret::Int(s.set_time(*t)), 0),
            Op::SetTimeout(_, t) => res(s.set_timeout(*t)),
            Op::SetHostname(_, h) => {
                s.set1_hostname(h.as_deref());
                (Ret::Int(1), 0)
            }
            Op::SetAlpn(_, v) => {
                s.set1_alpn_selected(v.as_deref());
                (Ret::Int(1), 0)
            }
            Op::SetTicketAppdata(_, v) => {
                s.set1_ticket_appdata(v.as_deref());
                (Ret::Int(1), 0)
            }
            Op::SetProtocolVersion(_, v) => {
                s.set_protocol_version(*v);
                (Ret::Int(1), 0)
            }
            Op::SetMaxEarlyData(_, v) => {
                s.set_max_early_data(*v);
                (Ret::Int(1), 0)
            }
            Op::SetCipher(_, c) => {
                s.set_cipher(*c);
                (Ret::Int(1), 0)
            }
            Op::Encode(_) => (Ret::Int(s.read().encode().map_or(0, |e| e.len() as i64)), 0),
            Op::DecodeInto(_, der) => {
                let t0 = wall_clock();
                let r = s.decode_into(der, t0);
                let time = s.read().time();
                pin_clock_time(t0, time, || s.set_time(BIRTH_TIME));
                match r {
                    Ok(used) => (Ret::Decoded(Some(self.tag(&s)), used), 0),
                    Err(e) => (Ret::Decoded(None, 0), e.kind.libssl_error()),
                }
            }
            Op::IsResumable(_) => (int(s.read().is_resumable()), 0),
            Op::HasTicket(_) => (int(s.read().has_ticket()), 0),
            other => unreachable!("{other} is not a session op"),
        })
    }

    fn decode(&mut self, step: Tag, der: &[u8], d: S) -> (Ret, u32) {
        if self.sessions[d.index()].is_some() {
            return (Ret::Refused(format!("{d} is full")), 0);
        }
        let t0 = wall_clock();
        match native::Session::decode_in(&self.class, der, t0) {
            Ok((s, used)) => {
                s.set_ex_data(self.idx, Some(step));
                let time = s.read().time();
                pin_clock_time(t0, time, || s.set_time(BIRTH_TIME));
                self.sessions[d.index()] = Some(s);
                (Ret::Decoded(Some(step), used), 0)
            }
            Err(e) => (Ret::Decoded(None, 0), e.kind.libssl_error()),
        }
    }

    fn apply_other(&mut self, step: Tag, op: &Op) -> Result<Ret, Ret> {
        Ok(match *op {
            Op::New(d) => {
                let s = native::Session::new_in(&self.class, BIRTH_TIME);
                s.set_ex_data(self.idx, Some(step));
                self.sessions[d.index()] = Some(s);
                Ret::Obj(Some(step))
            }
            Op::FreeNull => Ret::Void,
            Op::SslNew(c) => {
                self.cache
                    .as_ref()
                    .ok_or_else(|| refused_empty("the ctx"))?;
                self.ssls[c.index()] = Some(native::Ssl::new());
                Ret::Void
            }
            Op::SslFree(c) => {
                self.ssls[c.index()]
                    .take()
                    .ok_or_else(|| refused_empty(c))?;
                Ret::Void
            }
            Op::SslSet(c, s) => {
                let sess = match s {
                    Some(s) => Some(
                        self.sessions[s.index()]
                            .clone()
                            .ok_or_else(|| refused_empty(s))?,
                    ),
                    None => None,
                };
                let ssl = self.ssls[c.index()]
                    .as_mut()
                    .ok_or_else(|| refused_empty(c))?;
                ssl.set_session(sess.as_ref());
                Ret::Int(1)
            }
            Op::SslGet0(c) => {
                let ssl = self.ssls[c.index()]
                    .as_ref()
                    .ok_or_else(|| refused_empty(c))?;
                Ret::Obj(ssl.session().map(|s| self.tag(s)))
            }
            Op::SslGet1(c, d) => {
                let ssl = self.ssls[c.index()]
                    .as_ref()
                    .ok_or_else(|| refused_empty(c))?;
                let got = ssl.get1_session();
                let ret = Ret::Obj(got.as_ref().map(|s| self.tag(s)));
                self.sessions[d.index()] = got;
                ret
            }
            Op::SslCopySessionId(t, f) => {
                let from = self.ssls[f.index()]
                    .as_ref()
                    .ok_or_else(|| refused_empty(f))?;
                let s = from.get1_session();
                let to = self.ssls[t.index()]
                    .as_mut()
                    .ok_or_else(|| refused_empty(t))?;
                to.set_session(s.as_ref());
                Ret::Int(1)
            }
            Op::SslClear(c) => {
                self.ssls[c.index()]
                    .as_mut()
                    .ok_or_else(|| refused_empty(c))?
                    .clear();
                Ret::Int(1)
            }
            Op::CacheFlush(t) => {
                self.cache
                    .as_ref()
                    .ok_or_else(|| refused_empty("the ctx"))?
                    .flush(t);
                Ret::Void
            }
            Op::CacheSize(n) => Ret::Int(
                self.cache
                    .as_ref()
                    .ok_or_else(|| refused_empty("the ctx"))?
                    .set_size(n),
            ),
            Op::CtxFree => {
                self.cache.take().ok_or_else(|| refused_empty("the ctx"))?;
                Ret::Void
            }
            Op::CtxNew => {
                self.cache = Some(self.new_cache());
                Ret::Void
            }
            ref other => unreachable!("{other} is a session op"),
        })
    }
}

impl Backend for NativeBackend {
    fn name(&self) -> &'static str {
        "native"
    }

    fn apply(&mut self, step: Tag, op: &Op) -> (Ret, u32) {
        match op {
            Op::Decode(der, d) => return self.decode(step, der, *d),
            Op::Reencode(s, d) => {
                let Some(src) = &self.sessions[s.index()] else {
                    return (refused_empty(s), 0);
                };
                let der = src.read().encode().unwrap_or_default();
                return self.decode(step, &der, *d);
            }
            _ => {}
        }
        let r = if op.session().is_some() && !matches!(op, Op::SslSet(..)) {
            self.apply_session_op(step, op)
        } else {
            self.apply_other(step, op).map(|r| (r, 0))
        };
        r.unwrap_or_else(|refused| (refused, 0))
    }

    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut lock(&self.log).events)
    }

    fn fill_summary(&self, out: &mut State) {
        out.live = lock(&self.log).live;
        out.sessions.clear();
        out.ssls = Default::default();
        let mut members = out.cache.take().map(|c| c.members).unwrap_or_default();
        members.clear();
        out.cache = self.cache.as_ref().map(|c| {
            c.for_each(|s| members.push(self.tag(s)));
            members.sort_unstable();
            CacheSnapshot {
                number: c.len() as i64,
                cache_full: c.cache_full() as i64,
                size: c.size(),
                members,
            }
        });
    }

    fn fill_state(&self, out: &mut State) {
        self.fill_summary(out);
        let mut sessions = std::mem::take(&mut out.sessions);
        let mut add = |s: &native::Session| {
            let tag = self.tag(s);
            // An object reachable several ways is read once.
            if !sessions.iter().any(|(t, _)| *t == tag) {
                sessions.push((tag, Self::snapshot(s)));
            }
        };
        self.sessions.iter().flatten().for_each(&mut add);
        for (slot, ssl) in out.ssls.iter_mut().zip(&self.ssls) {
            *slot = ssl.as_ref().map(|ssl| {
                ssl.session().into_iter().for_each(&mut add);
                SslSnapshot {
                    session: ssl.session().map(|s| self.tag(s)),
                    verify_result: ssl.verify_result(),
                }
            });
        }
        if let Some(c) = &self.cache {
            c.for_each(add);
        }
        out.sessions = sorted(sessions);
    }

    fn abandon(&mut self) {
        // Native objects are memory-safe to release; dropping the world
        // only runs callbacks into a log nobody reads.
        self.sessions = Default::default();
        self.ssls = Default::default();
        self.cache = None;
    }
}

// ---------------------------------------------------------------------------
// libssl
// ---------------------------------------------------------------------------

/// The system libssl as a backend. Its events come from [`ossl`]'s
/// per-thread log; one world per thread at a time.
pub struct OsslBackend {
    sessions: [Option<ossl::Session>; SESSION_SLOTS],
    ssls: [Option<ossl::Ssl>; SSL_SLOTS],
    ctx: Option<ossl::Ctx>,
    live_base: i64,
}

impl OsslBackend {
    /// A world with a ctx and nothing else.
    pub fn new() -> Result<OsslBackend, ossl::Hazard> {
        let ctx = ossl::Ctx::new()?;
        ossl::take_events();
        Ok(OsslBackend {
            sessions: Default::default(),
            ssls: Default::default(),
            ctx: Some(ctx),
            live_base: ossl::live_sessions(),
        })
    }

    fn snapshot(v: &ossl::View<'_>) -> SessionSnapshot {
        SessionSnapshot {
            id: SessionId::new(v.id().as_bytes()).unwrap_or_default(),
            sid_ctx: SessionId::new(v.id_context().as_bytes()).unwrap_or_default(),
            master_key: v.master_key(),
            time: v.time(),
            timeout: v.timeout(),
            protocol_version: v.protocol_version(),
            hostname: v.hostname(),
            alpn_selected: v.alpn_selected(),
            ticket_appdata: v.ticket_appdata(),
            max_early_data: v.max_early_data(),
            ticket_lifetime_hint: v.ticket_lifetime_hint(),
            compress_id: v.compress_id(),
            max_fragment_length: v.max_fragment_length(),
            is_resumable: v.is_resumable(),
            has_ticket: v.has_ticket(),
            cipher: v.cipher(),
            ticket: v.ticket(),
            encoding: v.encoding(),
        }
    }

    fn decode(&mut self, step: Tag, der: &[u8], d: S) -> Ret {
        let t0 = wall_clock();
        match ossl::Session::decode(step, der) {
            Some((s, used)) => {
                pin_clock_time(t0, s.view().time(), || s.set_time(BIRTH_TIME));
                self.sessions[d.index()] = Some(s);
                Ret::Decoded(Some(step), used)
            }
            None => Ret::Decoded(None, 0),
        }
    }

    fn call(&mut self, step: Tag, op: &Op) -> Result<Ret, Ret> {
        fn hz(h: ossl::Hazard) -> Ret {
            Ret::Refused(h.to_string())
        }
        let tag = |v: ossl::View<'_>| v.tag().unwrap_or(UNTAGGED);
        let sess = |sessions: &[Option<ossl::Session>; SESSION_SLOTS], s: S| {
            sessions[s.index()].clone().ok_or_else(|| refused_empty(s))
        };
        Ok(match op {
            Op::New(d) => {
                let s = ossl::Session::new(step, BIRTH_TIME).map_err(hz)?;
                self.sessions[d.index()] = Some(s);
                Ret::Obj(Some(step))
            }
            Op::Dup(s, d) => {
                let copy = sess(&self.sessions, *s)?.dup(step);
                let ret = Ret::Obj(copy.as_ref().map(|c| tag(c.view())));
                self.sessions[d.index()] = copy;
                ret
            }
            Op::UpRef(s, d) => {
                self.sessions[d.index()] = Some(sess(&self.sessions, *s)?);
                Ret::Int(1)
            }
            Op::Free(s) => {
                self.sessions[s.index()]
                    .take()
                    .ok_or_else(|| refused_empty(s))?;
                Ret::Void
            }
            Op::FreeNull => Ret::Void, // SSL_SESSION_free(NULL) is a no-op; nothing to call.
            Op::SslNew(c) => {
                let ctx = self.ctx.as_ref().ok_or_else(|| refused_empty("the ctx"))?;
                self.ssls[c.index()] = Some(ossl::Ssl::new(ctx).map_err(hz)?);
                Ret::Void
            }
            Op::SslFree(c) => {
                self.ssls[c.index()]
                    .take()
                    .ok_or_else(|| refused_empty(c))?;
                Ret::Void
            }
            Op::SslSet(c, s) => {
                let s = s.map(|s| sess(&self.sessions, s)).transpose()?;
                let ssl = self.ssls[c.index()]
                    .as_mut()
                    .ok_or_else(|| refused_empty(c))?;
                Ret::Int(ssl.set_session(s.as_ref()) as i64)
            }
            Op::SslGet0(c) => {
                let ssl = self.ssls[c.index()]
                    .as_ref()
                    .ok_or_else(|| refused_empty(c))?;
                Ret::Obj(ssl.session().map(tag))
            }
            Op::SslGet1(c, d) => {
                let ssl = self.ssls[c.index()]
                    .as_ref()
                    .ok_or_else(|| refused_empty(c))?;
                let got = ssl.get1_session();
                let ret = Ret::Obj(got.as_ref().map(|s| tag(s.view())));
                self.sessions[d.index()] = got;
                ret
            }
            Op::SslCopySessionId(t, f) => {
                if self.ssls[f.index()].is_none() {
                    return Err(refused_empty(f));
                }
                if t == f {
                    let ssl = self.ssls[t.index()]
                        .as_mut()
                        .ok_or_else(|| refused_empty(t))?;
                    Ret::Int(ssl.copy_own_session_id() as i64)
                } else {
                    let [to, from] = self
                        .ssls
                        .get_disjoint_mut([t.index(), f.index()])
                        .expect("distinct slots");
                    let (to, from) = (to.as_mut(), from.as_ref());
                    let to = to.ok_or_else(|| refused_empty(t))?;
                    Ret::Int(to.copy_session_id(from.expect("checked")) as i64)
                }
            }
            Op::SslClear(c) => {
                let ssl = self.ssls[c.index()]
                    .as_mut()
                    .ok_or_else(|| refused_empty(c))?;
                Ret::Int(ssl.clear() as i64)
            }
            Op::CacheAdd(s) => {
                let s = sess(&self.sessions, *s)?;
                let ctx = self.ctx.as_mut().ok_or_else(|| refused_empty("the ctx"))?;
                Ret::Int(ctx.add(&s).map_err(hz)? as i64)
            }
            Op::CacheRemove(s) => {
                let s = sess(&self.sessions, *s)?;
                let ctx = self.ctx.as_mut().ok_or_else(|| refused_empty("the ctx"))?;
                Ret::Int(ctx.remove(&s) as i64)
            }
            Op::CacheFlush(t) => {
                self.ctx
                    .as_mut()
                    .ok_or_else(|| refused_empty("the ctx"))?
                    .flush(*t);
                Ret::Void
            }
            Op::CacheSize(n) => Ret::Int(
                self.ctx
                    .as_mut()
                    .ok_or_else(|| refused_empty("the ctx"))?
                    .set_cache_size(*n),
            ),
            Op::CtxFree => {
                self.ctx.take().ok_or_else(|| refused_empty("the ctx"))?;
                Ret::Void
            }
            Op::CtxNew => {
                self.ctx = Some(ossl::Ctx::new().map_err(hz)?);
                Ret::Void
            }
            Op::SetId(s, id) => Ret::Int(sess(&self.sessions, *s)?.set1_id(id).map_err(hz)? as i64),
            Op::SetSidCtx(s, v) => Ret::Int(sess(&self.sessions, *s)?.set1_id_context(v) as i64),
            Op::SetMasterKey(s, v) => Ret::Int(sess(&self.sessions, *s)?.set1_master_key(v) as i64),
            Op::SetTime(s, t) => Ret::Int(sess(&self.sessions, *s)?.set_time(*t)),
            Op::SetTimeout(s, t) => Ret::Int(sess(&self.sessions, *s)?.set_timeout(*t)),
            Op::SetHostname(s, h) => Ret::Int(
                sess(&self.sessions, *s)?
                    .set1_hostname(h.as_deref())
                    .map_err(hz)? as i64,
            ),
            Op::SetAlpn(s, v) => {
                Ret::Int(sess(&self.sessions, *s)?.set1_alpn_selected(v.as_deref()) as i64)
            }
            Op::SetTicketAppdata(s, v) => {
                Ret::Int(sess(&self.sessions, *s)?.set1_ticket_appdata(v.as_deref()) as i64)
            }
            Op::SetProtocolVersion(s, v) => Ret::Int(
                sess(&self.sessions, *s)?
                    .set_protocol_version(*v)
                    .map_err(hz)? as i64,
            ),
            Op::SetMaxEarlyData(s, v) => {
                Ret::Int(sess(&self.sessions, *s)?.set_max_early_data(*v) as i64)
            }
            Op::SetCipher(s, c) => Ret::Int(sess(&self.sessions, *s)?.set_cipher(*c) as i64),
            Op::Encode(s) => Ret::Int(sess(&self.sessions, *s)?.view().encoding().len() as i64),
            Op::Decode(der, d) => self.decode(step, der, *d),
            Op::Reencode(s, d) => {
                let der = sess(&self.sessions, *s)?.view().encoding();
                self.decode(step, &der, *d)
            }
            Op::DecodeInto(s, der) => {
                let s = sess(&self.sessions, *s)?;
                let t0 = wall_clock();
                let used = s.decode_into(der).map_err(hz)?;
                // The clock check must not queue errors: set_time queues none.
                pin_clock_time(t0, s.view().time(), || s.set_time(BIRTH_TIME));
                Ret::Decoded(used.map(|_| tag(s.view())), used.unwrap_or(0))
            }
            Op::IsResumable(s) => int(sess(&self.sessions, *s)?.view().is_resumable()),
            Op::HasTicket(s) => int(sess(&self.sessions, *s)?.view().has_ticket()),
        })
    }
}

impl Backend for OsslBackend {
    fn name(&self) -> &'static str {
        "libssl"
    }

    fn apply(&mut self, step: Tag, op: &Op) -> (Ret, u32) {
        ossl::clear_errors();
        let ret = self.call(step, op).unwrap_or_else(|r| r);
        (ret, ossl::last_error())
    }

    fn take_events(&mut self) -> Vec<Event> {
        ossl::take_events()
            .into_iter()
            .map(|e| match e {
                ossl::Observed::Removed(t) => Event::Removed(t.unwrap_or(UNTAGGED)),
                ossl::Observed::Died(t) => Event::Died(t.unwrap_or(UNTAGGED)),
            })
            .collect()
    }

    fn fill_summary(&self, out: &mut State) {
        out.live = ossl::live_sessions() - self.live_base;
        out.sessions.clear();
        out.ssls = Default::default();
        let mut members = out.cache.take().map(|c| c.members).unwrap_or_default();
        members.clear();
        out.cache = self.ctx.as_ref().map(|ctx| {
            ctx.for_each_member(|v| members.push(v.tag().unwrap_or(UNTAGGED)));
            members.sort_unstable();
            CacheSnapshot {
                number: ctx.sess_number(),
                cache_full: ctx.cache_full(),
                size: ctx.cache_size(),
                members,
            }
        });
    }

    fn fill_state(&self, out: &mut State) {
        self.fill_summary(out);
        let mut sessions = std::mem::take(&mut out.sessions);
        let mut add = |v: ossl::View<'_>| {
            let tag = v.tag().unwrap_or(UNTAGGED);
            // An object reachable several ways is read once.
            if !sessions.iter().any(|(t, _)| *t == tag) {
                sessions.push((tag, Self::snapshot(&v)));
            }
        };
        self.sessions.iter().flatten().for_each(|s| add(s.view()));
        for (slot, ssl) in out.ssls.iter_mut().zip(&self.ssls) {
            *slot = ssl.as_ref().map(|ssl| {
                ssl.session().into_iter().for_each(&mut add);
                SslSnapshot {
                    session: ssl.session().map(|v| v.tag().unwrap_or(UNTAGGED)),
                    verify_result: ssl.verify_result(),
                }
            });
        }
        if let Some(ctx) = &self.ctx {
            ctx.for_each_member(add);
        }
        out.sessions = sorted(sessions);
    }

    fn abandon(&mut self) {
        // After a divergence nothing here can be vouched for: leak it all.
        std::mem::forget(std::mem::take(&mut self.sessions));
        std::mem::forget(std::mem::take(&mut self.ssls));
        std::mem::forget(self.ctx.take());
    }
}

impl Drop for OsslBackend {
    /// A world that was not drained is leaked, never freed.
    fn drop(&mut self) {
        self.abandon();
    }
}
