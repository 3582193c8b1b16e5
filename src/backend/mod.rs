//! The [`Backend`] trait — apply one [`Op`] to a world of handles — and its
//! two implementations: [`NativeBackend`] over [`crate::native`]
//! (`native/`) and [`OsslBackend`] over libssl ([`crate::ossl`],
//! `libssl.rs`). Both build their snapshots through one walk, `Walk`.
//!
//! Both report the same things in the same normalised form: the call's
//! [`Ret`] (pointers as "which object"), the libssl error reason the call
//! queued, the [`Event`]s (deaths and remove callbacks) it caused, and a
//! [`State`] snapshot of everything reachable. Deaths come from each side's
//! own release path (ex_data free callbacks), never from bookkeeping here,
//! so a reference-count bug in either shows.

use std::fmt;
use std::sync::{Mutex, OnceLock};

use crate::native::{Profile, wall_clock};
use crate::program::{C, Op, SSL_SLOTS, Tag};

mod libssl;
mod native;
mod snapshot;

pub use libssl::OsslBackend;
pub use native::NativeBackend;
pub use snapshot::SessionSnapshot;
pub(crate) use snapshot::{FieldPairs, Getters, Value, hex};
#[cfg(test)]
pub(crate) use snapshot::{blank, filled};

/// The profile [`NativeBackend::new`] follows; `None` for the linked
/// libssl's.
static MODEL: Mutex<Option<&'static Profile>> = Mutex::new(None);

/// Sets the profile the native model follows in this process (the CLI's
/// `--model`); `None` is `auto`, the linked libssl's release. Build options
/// (the cipher table, compression) are the linked library's either way:
/// they follow how the library was configured, not its release.
pub fn set_model(profile: Option<Profile>) {
    let p = profile.map(|p| {
        let l = linked();
        p.with_ciphers(l.ciphers)
            .with_compression(l.compression)
            .interned()
    });
    *MODEL.lock().unwrap_or_else(|e| e.into_inner()) = p;
}

/// The profile the native model follows in this process: the one
/// [`set_model`] set, or the linked libssl's (`auto`). The profile of the
/// linked release carries the cipher table read from the library itself.
pub fn model() -> &'static Profile {
    let set = *MODEL.lock().unwrap_or_else(|e| e.into_inner());
    set.unwrap_or_else(linked)
}

/// The profile of the linked libssl's release and build.
pub fn library_profile() -> &'static Profile {
    linked()
}

/// `3.0.10: not measured, follows 3.0.8` when the linked libssl's release
/// was not measured (its profile is that of the release it follows), or
/// `4.1.0: not a release sessdiff knows` when the table does not know it
/// (its profile then comes from [`Profile::for_release`]'s ranges); `None`
/// for a measured release.
pub fn linked_release_note() -> Option<String> {
    if let Some(note) = other_library_note(crate::caps::LINKED, crate::caps::LIBRARY_NAME) {
        return Some(note);
    }
    let name = linked_release_name();
    match crate::native::releases::lookup(&name) {
        Ok(r) => r.note(),
        Err(_) => Some(format!("{name}: not a release sessdiff knows")),
    }
}

/// The linked library for banners and reports: its version string and,
/// where it lacks something ([`crate::caps`]), what: `LibreSSL 4.3.2
/// (lacks the ops set_master_key, …: not generated, refused in programs;
/// not observed: hostname, …)`.
pub fn library_described() -> String {
    let version = crate::ossl::version();
    match crate::caps::lacks() {
        Some(lacks) => format!("{version} ({lacks})"),
        None => version,
    }
}

/// The OpenSSL release whose profile the linked library's model starts
/// from: the linked release; for a library that is not OpenSSL and has no
/// profile of its own yet, [`OTHER_LIBRARY_FOLLOWS`].
fn linked_release_name() -> String {
    match crate::caps::LINKED {
        crate::caps::Library::OpenSsl => {
            Profile::for_release(crate::ossl::version_num()).to_string()
        }
        _ => OTHER_LIBRARY_FOLLOWS.to_string(),
    }
}

/// The release the model follows against a library that has no profile
/// of its own yet (LibreSSL, whose API follows OpenSSL 1.1.1's): the
/// banner says so, and a survey lists every difference as a class.
pub const OTHER_LIBRARY_FOLLOWS: &str = "1.1.1w";

/// For a library that is not OpenSSL (`library`, called `name`), what
/// its model is: `LibreSSL 4.3.2 has no profile of its own yet: the model
/// follows OpenSSL 1.1.1w`.
fn other_library_note(library: crate::caps::Library, name: &str) -> Option<String> {
    (library != crate::caps::Library::OpenSsl).then(|| {
        format!("{name} has no profile of its own yet: the model follows OpenSSL {OTHER_LIBRARY_FOLLOWS}")
    })
}

/// The profile of the linked libssl, measured once per process.
fn linked() -> &'static Profile {
    static LINKED: OnceLock<&'static Profile> = OnceLock::new();
    LINKED.get_or_init(|| {
        let ciphers: Vec<u16> = (0..=u16::MAX)
            .filter(|&c| crate::ossl::cipher_known(c))
            .collect();
        let ciphers: &'static [u16] = if ciphers == crate::native::KNOWN_CIPHERS {
            &crate::native::KNOWN_CIPHERS
        } else {
            Box::leak(ciphers.into_boxed_slice())
        };
        // A release the table measured has its own profile; another one
        // follows a measured release, as `--model` with its name does
        // (the banner says so: `linked_release_note`).
        let own = Profile::for_release(crate::ossl::version_num());
        crate::native::releases::lookup(&linked_release_name())
            .map_or(own, |r| r.profile())
            .with_ciphers(ciphers)
            .with_compression(crate::ossl::compression_built())
            .interned()
    })
}

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
    /// An ex_data callback of one of the program's indexes ran.
    Ex(ExCall),
}

/// Which ex_data callback ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExCallback {
    /// The new callback, for an object being made.
    New,
    /// The dup callback, for the object being copied.
    Dup,
    /// The free callback, for an object dying.
    Free,
}

/// One call of an ex_data callback: which callback, of which program
/// index, for which object, and the value it was given (0 for NULL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExCall {
    /// Which callback.
    pub callback: ExCallback,
    /// The object: being made (new), copied (dup) or dying (free).
    pub object: Tag,
    /// The program's index (1, 2, …).
    pub index: u8,
    /// The value the callback saw.
    pub value: u64,
}

fn write_tag(f: &mut fmt::Formatter<'_>, t: Tag) -> fmt::Result {
    if t == UNTAGGED {
        f.write_str("#?")
    } else {
        write!(f, "#{t}")
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Removed(t) => {
                f.write_str("rm(")?;
                write_tag(f, *t)?;
                f.write_str(")")
            }
            Event::Died(t) => {
                f.write_str("free(")?;
                write_tag(f, *t)?;
                f.write_str(")")
            }
            Event::Ex(c) => {
                f.write_str(match c.callback {
                    ExCallback::New => "ex_new(",
                    ExCallback::Dup => "ex_dup(",
                    ExCallback::Free => "ex_free(",
                })?;
                write_tag(f, c.object)?;
                write!(f, ", {}, ", c.index)?;
                crate::program::write_val(f, c.value)?;
                f.write_str(")")
            }
        }
    }
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
#[derive(Debug, Clone, Eq)]
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

/// Field by field, the members one by one: a derived comparison calls
/// `memcmp` for them (see `crate::bytes::same_bytes` for why that is
/// slow here).
impl PartialEq for CacheSnapshot {
    fn eq(&self, other: &Self) -> bool {
        let CacheSnapshot {
            number,
            cache_full,
            size,
            members,
        } = self;
        *number == other.number
            && *cache_full == other.cache_full
            && *size == other.size
            && members.len() == other.members.len()
            && members.iter().zip(&other.members).all(|(a, b)| a == b)
    }
}

/// A snapshot of a world after a call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// Sessions made and not yet dead.
    pub live: i64,
    /// Every session reachable from a slot, an `SSL` or the cache, sorted
    /// by tag. Boxed: sorting moves pointers, not snapshots.
    pub sessions: Vec<(Tag, Box<SessionSnapshot>)>,
    /// The `SSL` slots.
    pub ssls: [Option<SslSnapshot>; SSL_SLOTS],
    /// The cache, if the ctx exists.
    pub cache: Option<CacheSnapshot>,
    /// The session fields not compared: those one of the two backends'
    /// libraries cannot read ([`Backend::unobserved`], set by the lockstep
    /// runner on both sides); each session's are left at their defaults.
    pub unobserved: &'static [&'static str],
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
    /// and the libssl error the call queued (packed as
    /// [`crate::errcode`] says; 0 for none).
    fn apply(&mut self, step: Tag, op: &Op) -> (Ret, u32);
    /// The events recorded since the last call.
    fn take_events(&mut self) -> Vec<Event>;
    /// Why this backend's library must not run `op`, if it must not: a
    /// documented bug that `op` would hit (a crash or a corrupted heap:
    /// see [`crate::native::Profile::dup_keeps_owner`]), or a function the
    /// library lacks ([`crate::caps`]). The lockstep runner then applies
    /// `op` to neither side and counts it as refused.
    fn hazard(&self, op: &Op) -> Option<&'static str> {
        let _ = op;
        None
    }
    /// Overwrites `out` with a snapshot of everything reachable, reusing
    /// its buffers (the lockstep runner calls this after every call). With
    /// `full` false only the cheap part is taken: the live count and the
    /// cache (counters and members); no session or `SSL` is listed.
    fn fill(&self, out: &mut State, full: bool);
    /// [`Backend::take_events`], then [`Backend::fill`]: what the lockstep
    /// runner asks after every call, in one call for a backend that does
    /// both at once more cheaply.
    fn take_events_and_fill(&mut self, out: &mut State, full: bool) -> Vec<Event> {
        let events = self.take_events();
        self.fill(out, full);
        events
    }
    /// A new snapshot of everything reachable.
    fn state(&self) -> State {
        let mut s = State::default();
        self.fill(&mut s, true);
        s
    }
    /// Gives the world up without releasing anything the backend can no
    /// longer vouch for (called after a divergence).
    fn abandon(&mut self);
    /// The session fields this backend's library gives no getter for
    /// ([`crate::caps`]): a run against it compares them on neither side.
    fn unobserved(&self) -> &'static [&'static str] {
        &[]
    }
}

impl<B: Backend + ?Sized> Backend for Box<B> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn apply(&mut self, step: Tag, op: &Op) -> (Ret, u32) {
        (**self).apply(step, op)
    }
    fn take_events(&mut self) -> Vec<Event> {
        (**self).take_events()
    }
    fn hazard(&self, op: &Op) -> Option<&'static str> {
        (**self).hazard(op)
    }
    fn fill(&self, out: &mut State, full: bool) {
        (**self).fill(out, full)
    }
    fn take_events_and_fill(&mut self, out: &mut State, full: bool) -> Vec<Event> {
        (**self).take_events_and_fill(out, full)
    }
    fn abandon(&mut self) {
        (**self).abandon()
    }
    fn unobserved(&self) -> &'static [&'static str] {
        (**self).unobserved()
    }
}

/// Keeps runs deterministic where `d2i_SSL_SESSION` reads the clock (a
/// time absent or 0 becomes "now"): after a decode that started at `t0`,
/// a session whose time lies between `t0 - 1` and now gets
/// [`BIRTH_TIME`](crate::program::BIRTH_TIME)
/// instead, through `pin`. (`time(NULL)` reads a coarse clock that can lag
/// a second behind at a boundary, hence the `- 1`.) Both backends apply
/// the same rule to their own result, so a side that took its time from
/// the input while the other took the clock still shows as a difference.
fn pin_clock_time(t0: i64, time: i64, pin: impl FnOnce() -> i64) {
    if (t0 - 1..=wall_clock()).contains(&time) {
        pin();
    }
}

fn int(ok: bool) -> Ret {
    Ret::Int(ok as i64)
}

fn refused_empty(what: impl fmt::Display) -> Ret {
    Ret::Refused(format!("{what} is empty"))
}

/// The one snapshot walk both backends share: each feeds it what it can
/// reach — slot sessions, then each `SSL`, then the cache's members — and
/// the walk reads every object once, in any number of places, and sorts
/// what it gathered. Buffers of the previous snapshot in `out` are reused.
pub(crate) struct Walk<'o> {
    out: &'o mut State,
    /// How many of `out.sessions` this walk has filled; the rest are the
    /// previous walk's, kept for their buffers.
    filled: usize,
    full: bool,
}

impl<'o> Walk<'o> {
    /// Starts a snapshot into `out`: `live` sessions, the cache's counters
    /// (`number`, `cache_full`, `size`) if the ctx exists. With `full`
    /// false only the summary is taken: the live count and the cache.
    pub(crate) fn start(
        out: &'o mut State,
        live: i64,
        cache: Option<(i64, i64, i64)>,
        full: bool,
    ) -> Walk<'o> {
        out.live = live;
        out.ssls = Default::default();
        let mut members = out.cache.take().map(|c| c.members).unwrap_or_default();
        members.clear();
        out.cache = cache.map(|(number, cache_full, size)| CacheSnapshot {
            number,
            cache_full,
            size,
            members,
        });
        Walk {
            out,
            filled: 0,
            full,
        }
    }

    /// Whether session snapshots are taken (a full walk).
    pub(crate) fn full(&self) -> bool {
        self.full
    }

    /// A reachable session with `tag`; `read` fills its snapshot (every
    /// field: the snapshot is a previous one's, for its buffers). It is
    /// called only the first time a tag is met, and only in a full walk.
    pub(crate) fn session(&mut self, tag: Tag, read: impl FnOnce(&mut SessionSnapshot)) {
        let sessions = &mut self.out.sessions;
        if !self.full || sessions[..self.filled].iter().any(|(t, _)| *t == tag) {
            return;
        }
        if self.filled == sessions.len() {
            sessions.push((tag, Box::default()));
        }
        let slot = &mut sessions[self.filled];
        slot.0 = tag;
        read(&mut slot.1);
        slot.1.blank(self.out.unobserved);
        self.filled += 1;
    }

    /// `SSL` slot `c` and the tag of its session, if any.
    pub(crate) fn ssl(&mut self, c: C, session: Option<Tag>, verify_result: i64) {
        if self.full {
            self.out.ssls[c.index()] = Some(SslSnapshot {
                session,
                verify_result,
            });
        }
    }

    /// A session the cache holds.
    pub(crate) fn member(&mut self, tag: Tag) {
        if let Some(c) = &mut self.out.cache {
            c.members.push(tag);
        }
    }

    /// Sorts what was gathered into `out`.
    pub(crate) fn finish(self) {
        let out = self.out;
        out.sessions.truncate(self.filled);
        // Mostly in order already (slots are met in order, and tags are
        // birth steps): checking is cheaper than sorting.
        if !out.sessions.is_sorted_by_key(|(t, _)| *t) {
            out.sessions.sort_unstable_by_key(|(t, _)| *t);
        }
        if let Some(c) = &mut out.cache
            && !c.members.is_sorted()
        {
            c.members.sort_unstable();
        }
    }
}

/// Applies the op written as `text` (for the backends' unit tests).
#[cfg(test)]
pub(crate) fn apply_text(b: &mut dyn Backend, step: Tag, text: &str) -> (Ret, u32) {
    let op = crate::program::Program::parse(text).unwrap().ops.remove(0);
    b.apply(step, &op)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a library that is not OpenSSL the banner says which
    /// OpenSSL release the model follows; against OpenSSL it says nothing.
    #[test]
    fn another_library_is_said_to_follow_an_openssl_release() {
        use crate::caps::Library;
        assert_eq!(
            other_library_note(Library::LibreSsl, "LibreSSL 4.3.2").as_deref(),
            Some("LibreSSL 4.3.2 has no profile of its own yet: the model follows OpenSSL 1.1.1w")
        );
        assert_eq!(other_library_note(Library::OpenSsl, "OpenSSL 3.0.19"), None);
    }

    /// Every op of the capability table is an op of the language, and
    /// every getter a field the snapshot can blank (or the cache's
    /// members, read under another name).
    #[test]
    fn the_capability_table_names_ops_and_fields_that_exist() {
        for c in crate::caps::table() {
            match c.kind {
                "op" => assert!(
                    crate::program::OpKind::from_name(c.name).is_some(),
                    "{}: no op {}",
                    c.function,
                    c.name
                ),
                "getter" => assert!(
                    c.name == "cache_members" || SessionSnapshot::default().blank_field(c.name),
                    "{}: the snapshot cannot blank {}",
                    c.function,
                    c.name
                ),
                k => panic!("{}: `{k}` is neither op nor getter", c.function),
            }
        }
    }

    /// The clock pin applies to a time from a second before the call's
    /// start up to now, and to nothing else.
    #[test]
    fn the_clock_pin_applies_from_a_second_before_the_call_to_now() {
        let t0 = wall_clock();
        let pinned = |time: i64| {
            let mut n = 0;
            pin_clock_time(t0, time, || {
                n += 1;
                0
            });
            n
        };
        assert_eq!(pinned(t0 - 1), 1, "a coarse clock a second behind");
        assert_eq!(pinned(t0), 1);
        assert_eq!(pinned(t0 - 2), 0, "a time from the input");
        assert_eq!(pinned(t0 + 3600), 0, "a time from the input, in the future");
        assert_eq!(pinned(0), 0);
    }

    /// A field one side cannot read is compared on neither: two snapshots
    /// that differ only there are equal once blanked.
    #[test]
    fn blanked_fields_compare_equal() {
        let mut a = SessionSnapshot {
            hostname: Some(b"h".to_vec()),
            ticket: (Some(vec![1]), 1),
            ..SessionSnapshot::default()
        };
        let mut b = SessionSnapshot::default();
        assert_ne!(a, b);
        a.blank(&["hostname", "ticket"]);
        b.blank(&["hostname", "ticket"]);
        assert_eq!(a, b);
    }

    #[test]
    fn the_walk_reads_each_object_once_and_sorts() {
        let mut state = State::default();
        let mut reads = 0;
        let mut w = Walk::start(&mut state, 3, Some((2, 0, 20480)), true);
        for (tag, t) in [(9, 1), (4, 2), (9, 3)] {
            w.session(tag, |s| {
                reads += 1;
                *s = snapshot::blank(t);
            });
        }
        w.ssl(C(1), Some(9), 0);
        w.member(9);
        w.member(4);
        w.finish();
        assert_eq!(reads, 2);
        let tags: Vec<_> = state.sessions.iter().map(|(t, s)| (*t, s.time)).collect();
        assert_eq!(tags, [(4, 2), (9, 1)]);
        assert_eq!(state.cache.as_ref().unwrap().members, [4, 9]);
        assert_eq!(state.ssls[1].as_ref().unwrap().session, Some(9));
        assert_eq!(state.live, 3);
    }

    #[test]
    fn caches_differ_in_every_field() {
        let c = CacheSnapshot {
            number: 2,
            cache_full: 1,
            size: 20480,
            members: vec![3, 7],
        };
        assert_eq!(c, c.clone());
        let changes: [fn(&mut CacheSnapshot); 6] = [
            |c| c.number += 1,
            |c| c.cache_full += 1,
            |c| c.size += 1,
            |c| c.members[1] = 8,
            |c| c.members.push(9),
            |c| c.members.clear(),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut other = c.clone();
            change(&mut other);
            assert_ne!(c, other, "change {i}");
        }
    }

    #[test]
    fn a_later_walk_keeps_only_what_it_met() {
        let mut state = State::default();
        let mut w = Walk::start(&mut state, 2, None, true);
        w.session(1, |s| *s = snapshot::blank(10));
        w.session(2, |s| *s = snapshot::blank(20));
        w.finish();
        let mut w = Walk::start(&mut state, 1, None, true);
        w.session(3, |s| {
            assert_eq!(s.time, 10, "the first walk's snapshot, for its buffers");
            s.time = 30;
        });
        w.finish();
        let got: Vec<_> = state.sessions.iter().map(|(t, s)| (*t, s.time)).collect();
        assert_eq!(got, [(3, 30)]);
    }

    #[test]
    fn a_summary_lists_no_session_and_no_ssl() {
        let mut state = State::default();
        let mut w = Walk::start(&mut state, 1, None, false);
        w.session(1, |_| panic!("a summary reads no session"));
        w.ssl(C(0), None, 0);
        w.member(1);
        w.finish();
        assert!(state.sessions.is_empty() && state.ssls.iter().all(Option::is_none));
        assert!(state.cache.is_none());
    }
}
