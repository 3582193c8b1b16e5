//! The `SSL_CTX` session cache: a table keyed by `(protocol version, id)`
//! and a list in expiry order, with libssl 3.0's exact insertion, eviction,
//! removal and flush rules (SEMANTICS.md §8).

mod list;
mod table;

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use super::data::{ListPos, SessionData, SessionId};
use super::lhash::{LinearHash, session_hash};
use super::profile::{CacheList, Profile, ReAdd, Removals};
use super::session::Session;
use super::time::Expiry;
use list::List;
use table::Table;

/// Called with each session that leaves the cache by remove, eviction or
/// flush (`SSL_CTX_sess_set_remove_cb`). It runs while the cache is locked
/// for evictions and flushes: calling back into the same cache deadlocks,
/// exactly as in libssl.
pub type RemoveCallback = Box<dyn Fn(&Session) + Send + Sync>;

/// The cache size a new `SSL_CTX` has.
pub const DEFAULT_CACHE_SIZE: i64 = 20480;

type Key = (i32, SessionId);

/// How far a flush of a large cache reads ahead ([`warm_ahead`]).
const WARM_AHEAD: usize = 32;

/// The part of a cache that its sessions point back to (their `owner`).
pub(crate) struct CacheShared {
    state: Mutex<CacheState>,
    on_remove: Option<RemoveCallback>,
    profile: Profile,
}

struct CacheState {
    /// The cache's references, one per entry.
    table: Table,
    /// The expiry list, ascending: the first entry is libssl's tail (expires
    /// first), the last its head. Ties are broken by insertion sequence, so
    /// the most recently inserted of equal expiry sits nearest the head, as
    /// `SSL_SESSION_list_add` places it on a sorted list.
    list: List<ListPos, Key>,
    /// 1.1.1's hash table order ([`CacheList::ByAdding`] only).
    lhash: Option<LinearHash<Key>>,
    seq: u64,
    size: i64,
    cache_full: u64,
}

/// A session cache, as the one inside an `SSL_CTX`.
///
/// Costs: add and remove are `O(log n)` (a hash insert plus a B-tree insert,
/// or a binary search in a short vector while the cache is small), where
/// libssl's sorted-list insert walks the list; 3.0's flush of `k` sessions
/// is `O(k + log n)` (the walked entries leave the list in one cut). One
/// mutex guards the cache, as libssl's `ctx->lock` does; reference
/// counting never takes it.
pub struct Cache {
    shared: Arc<CacheShared>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache::new()
    }
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.shared.lock();
        f.debug_struct("Cache")
            .field("len", &st.table.len())
            .field("size", &st.size)
            .field("cache_full", &st.cache_full)
            .finish()
    }
}

impl CacheShared {
    fn lock(&self) -> MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `owner` points at this cache.
    fn is(&self, owner: &Weak<CacheShared>) -> bool {
        std::ptr::eq(owner.as_ptr(), self)
    }

    fn removed(&self, s: &Session) {
        if let Some(cb) = &self.on_remove {
            cb(s);
        }
    }

    /// Changes a cached session's time or timeout and re-inserts it, under
    /// the cache's lock (`SSL_SESSION_set_time` with an owner).
    pub(crate) fn retime(self: &Arc<Self>, s: &Session, new: impl Fn(&SessionData) -> (i64, i64)) {
        let mut st = self.lock();
        let mut d = s.lock();
        let (time, timeout) = new(&d);
        let ours = d.owner().is_some_and(|o| self.is(o));
        if !ours || self.profile.cache_list == CacheList::ByAdding {
            d.set_time_fields(time, timeout);
            return;
        }
        st.unlink(&mut d);
        d.set_time_fields(time, timeout);
        st.link(self, &mut d);
    }
}

/// Clears a session's list fields (the list entry is the caller's to
/// remove); returns where it was listed.
fn unlist(d: &mut SessionData) -> Option<ListPos> {
    d.stale_owner = false;
    d.list_pos.take()
}

/// Reads ahead of a walk: looks up the table entries of the next
/// [`WARM_AHEAD`] of `entries` and touches their sessions. Changes nothing;
/// returns how many entries it read. In a large cache the list's nodes, the
/// table entries and the sessions lie anywhere in memory: read here, in
/// three tight loops that take no lock (the keys, their table entries,
/// their sessions), their cache misses overlap, where the walk would meet
/// them one by one, each behind a session's lock. (One loop doing all
/// three overlapped them far less: measured.)
fn warm_ahead(table: &Table, entries: &mut impl Iterator<Item = (ListPos, Key)>) -> usize {
    let mut keys = [Key::default(); WARM_AHEAD];
    let read = keys
        .iter_mut()
        .zip(entries)
        .map(|(k, (_, key))| *k = key)
        .count();
    let mut found = [None; WARM_AHEAD];
    for (s, key) in found.iter_mut().zip(&keys[..read]) {
        *s = table.get(key);
    }
    found.iter().flatten().for_each(|s: &&Session| s.touch());
    read
}

impl CacheState {
    /// `SSL_SESSION_list_remove`.
    fn unlink(&mut self, d: &mut SessionData) {
        if let Some(pos) = unlist(d) {
            self.list.remove(&pos);
        }
    }

    /// `SSL_SESSION_list_add`: unlinks a linked session first, then places
    /// it nearest the head among equal expiries (or at the head, when the
    /// list is in order of adding).
    fn link(&mut self, shared: &Arc<CacheShared>, d: &mut SessionData) {
        self.unlink(d);
        self.seq += 1;
        let expiry = match shared.profile.cache_list {
            CacheList::ByExpiry => d.expiry,
            CacheList::ByAdding => Expiry::default(),
        };
        let pos = (expiry, self.seq);
        self.list.insert(pos, d.key());
        d.list_pos = Some(pos);
        if !d.last_owner.as_ref().is_some_and(|o| shared.is(o)) {
            d.last_owner = Some(Arc::downgrade(shared));
        }
    }

    /// Deletes the entry under `key` from table and list; `contract` as
    /// for [`LinearHash::delete`].
    fn take(&mut self, key: &Key, contract: bool) -> Option<Session> {
        let s = self.table.remove(key)?;
        self.lhash_delete(key, contract);
        self.unlink(&mut s.lock());
        Some(s)
    }

    fn lhash_delete(&mut self, key: &Key, contract: bool) {
        if let Some(lh) = &mut self.lhash {
            lh.delete(*key, session_hash(key.1.as_bytes()), contract);
        }
    }

    fn tail_key(&self) -> Option<Key> {
        self.list.first().map(|(_, k)| k)
    }

    /// 3.0's flush walk: takes out, from the tail, each session whose
    /// expiry `expired` accepts and passes it to `gone`, in list order,
    /// stopping at the first survivor. An entry whose key finds no session
    /// (its session's id changed while cached) stops the walk; so does one
    /// whose key finds a session listed elsewhere, after taking that
    /// session out, since the entry then stays at the tail with its key
    /// gone.
    ///
    /// The walk does not edit the list: the entries it walked are cut off
    /// in one go at the end, where taking each out of a large list moved
    /// its neighbours and rebalanced the tree's edge again and again.
    /// Nothing can see the difference: the cache stays locked, and its
    /// remove callback cannot call into it. A large cache is read ahead
    /// ([`warm_ahead`]).
    fn take_expired(&mut self, expired: impl Fn(Expiry) -> bool, mut gone: impl FnMut(Session)) {
        let CacheState { table, list, .. } = self;
        let mut ahead = list.iter();
        let mut warm = 0;
        let mut walked = 0;
        let mut listed_elsewhere = None;
        for (pos, key) in list.iter() {
            if !expired(pos.0) {
                break;
            }
            if warm == 0 && list.is_large() {
                warm = warm_ahead(table, &mut ahead);
            }
            warm = warm.saturating_sub(1);
            let Some(s) = table.remove(&key) else { break };
            let mut d = s.lock();
            let at = unlist(&mut d);
            d.not_resumable = true;
            drop(d);
            if at != Some(pos) {
                listed_elsewhere = Some((s, at));
                break;
            }
            walked += 1;
            gone(s);
        }
        drop(ahead);
        list.remove_first(walked);
        if let Some((s, at)) = listed_elsewhere {
            if let Some(at) = at {
                list.remove(&at);
            }
            gone(s);
        }
    }
}

impl Cache {
    /// An empty cache of size 20480.
    pub fn new() -> Cache {
        Cache::build(None, Profile::V3_0)
    }

    /// An empty cache that calls `on_remove` for every session leaving it.
    pub fn with_remove_callback(on_remove: RemoveCallback) -> Cache {
        Cache::build(Some(on_remove), Profile::V3_0)
    }

    /// An empty cache that behaves as `profile`'s release does and calls
    /// `on_remove`, if any, for every session leaving it.
    pub fn with_profile(profile: Profile, on_remove: Option<RemoveCallback>) -> Cache {
        Cache::build(on_remove, profile)
    }

    /// The profile the cache follows.
    pub fn profile(&self) -> Profile {
        self.shared.profile
    }

    fn build(on_remove: Option<RemoveCallback>, profile: Profile) -> Cache {
        Cache {
            shared: Arc::new(CacheShared {
                state: Mutex::new(CacheState {
                    table: Table::new(),
                    list: List::new(),
                    lhash: (profile.cache_list == CacheList::ByAdding).then(LinearHash::new),
                    seq: 0,
                    size: DEFAULT_CACHE_SIZE,
                    cache_full: 0,
                }),
                on_remove,
                profile,
            }),
        }
    }

    /// `SSL_CTX_add_session`. Returns true if `s` became a new entry, false
    /// if it was already cached (it still moves to the head end of its
    /// expiry group, except where re-adding leaves it in place).
    ///
    /// A cached session with the same key is replaced: it leaves silently
    /// (no remove callback). In 3.0, before a new entry is listed, the tail
    /// is evicted while the cache holds at least `size` entries (counting
    /// the new one), so the effective capacity is `size - 1` for sizes of 2
    /// and more; 1.1.1 lists the new entry first and evicts while the cache
    /// holds more than `size`. An empty list or a tail with an empty id
    /// stops the eviction.
    pub fn add(&self, s: &Session) -> bool {
        let shared = &self.shared;
        let mut st = shared.lock();
        // Held until `s` is listed: everything that locks another session
        // meanwhile (a replaced entry, an evicted tail) does so under the
        // cache lock, so no two threads can take two session locks in
        // opposite orders.
        let d = s.lock();
        let key = d.key();
        if let Some(lh) = &mut st.lhash {
            lh.insert(key, session_hash(key.1.as_bytes()));
        }
        let old = st.table.insert(key, s.up_ref());
        let existing = match old {
            Some(old) if Session::ptr_eq(&old, s) => Some(old),
            Some(replaced) => {
                st.unlink(&mut replaced.lock());
                drop(replaced);
                None
            }
            None => None,
        };
        let listed_first = shared.profile.evict_after_listing;
        let relist = existing.is_none() || shared.profile.re_add == ReAdd::MovesToHead;
        let mut d = Some(d);
        if listed_first {
            if relist {
                st.link(shared, d.as_mut().expect("held"));
            }
            // The tail may be `s` itself, evicted as soon as it is listed.
            d = None;
        }
        let mut evicted = Vec::new();
        if existing.is_none() && st.size > 0 {
            // 3.0 evicts to make room; 1.1.1 trims after listing.
            let over = |st: &CacheState| {
                let n = st.table.len() as i64;
                if listed_first {
                    n > st.size
                } else {
                    n >= st.size
                }
            };
            while over(&st) {
                let Some(tail) = st.tail_key() else { break };
                if tail.1.is_empty() {
                    break;
                }
                let Some(t) = st.take(&tail, true) else { break };
                t.lock().not_resumable = true;
                st.cache_full += 1;
                match shared.profile.removals {
                    Removals::UnderLock | Removals::EachInTurn => {
                        shared.removed(&t);
                        drop(t);
                    }
                    Removals::AfterUnlockNewestFirst => evicted.push(t),
                }
            }
        }
        if let Some(d) = &mut d
            && relist
        {
            st.link(shared, d);
        }
        drop(d);
        drop(st);
        for t in evicted.into_iter().rev() {
            shared.removed(&t);
            drop(t);
        }
        // An existing entry: the reference taken above replaced the cache's
        // own, which is dropped here.
        existing.is_none()
    }

    /// `SSL_CTX_remove_session`. Removes the entry with `s`'s key, which may
    /// be another object (a dup of `s`). An empty id does nothing. Otherwise
    /// `s` is marked not resumable and passed to the remove callback, found
    /// or not. Returns true if an entry was removed.
    pub fn remove(&self, s: &Session) -> bool {
        let mut st = self.shared.lock();
        let mut d = s.lock();
        let key = d.key();
        if key.1.is_empty() {
            return false;
        }
        let found = st.table.remove(&key);
        if found.is_some() {
            st.lhash_delete(&key, true);
        }
        match &found {
            Some(r) if Session::ptr_eq(r, s) => st.unlink(&mut d),
            Some(r) => st.unlink(&mut r.lock()),
            None => {}
        }
        d.not_resumable = true;
        drop(d);
        drop(st);
        // The callback sees `s`; the cache's reference to the removed entry
        // is dropped after it.
        self.shared.removed(s);
        found.is_some()
    }

    /// `SSL_CTX_flush_sessions(t)`: removes every session expired at `t`
    /// (everything when `t` is 0). 3.0 walks from the tail and stops at the
    /// first survivor; 1.1.1 tests every session, in hash table order. How
    /// the removed sessions are called back and released follows
    /// [`Removals`].
    pub fn flush(&self, t: i64) {
        let shared = &self.shared;
        let removals = shared.profile.removals;
        let expired = |e: Expiry| t == 0 || shared.profile.time.expired(e, t);
        let mut removed = Vec::new();
        {
            let mut st = shared.lock();
            let mut gone = |s: Session| match removals {
                Removals::UnderLock => {
                    shared.removed(&s);
                    removed.push(s);
                }
                Removals::EachInTurn => {
                    shared.removed(&s);
                    drop(s);
                }
                Removals::AfterUnlockNewestFirst => removed.push(s),
            };
            match &st.lhash {
                Some(lh) => {
                    for key in lh.doall_order() {
                        let e = st.table.get(&key).map(|s| s.lock().expiry);
                        if e.is_some_and(expired)
                            && let Some(s) = st.take(&key, false)
                        {
                            s.lock().not_resumable = true;
                            gone(s);
                        }
                    }
                }
                None => st.take_expired(expired, gone),
            }
        }
        match removals {
            Removals::UnderLock | Removals::EachInTurn => drop(removed),
            Removals::AfterUnlockNewestFirst => {
                for s in removed.into_iter().rev() {
                    shared.removed(&s);
                    drop(s);
                }
            }
        }
    }

    /// `SSL_CTX_sess_set_cache_size`: returns the old size. A negative size
    /// is refused (returns 0, changes nothing); 0 means unlimited. Lowering
    /// the size evicts nothing until the next new entry.
    pub fn set_size(&self, size: i64) -> i64 {
        if size < 0 {
            return 0;
        }
        std::mem::replace(&mut self.shared.lock().size, size)
    }

    /// `SSL_CTX_sess_get_cache_size`.
    pub fn size(&self) -> i64 {
        self.view(|v| v.size())
    }

    /// `SSL_CTX_sess_number`: the number of entries.
    pub fn len(&self) -> usize {
        self.view(|v| v.len())
    }

    /// True when the cache holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `SSL_CTX_sess_cache_full`: how many sessions eviction has removed.
    pub fn cache_full(&self) -> u64 {
        self.view(|v| v.cache_full())
    }

    /// Calls `f` with each cached session, from the list's tail (first to
    /// expire) to its head, under the cache's lock: `f` must not call into
    /// this cache.
    pub fn for_each(&self, f: impl FnMut(&Session)) {
        self.view(|v| v.for_each(f));
    }

    /// Calls `f` with a view of the cache under one hold of its lock: its
    /// counters and sessions as one consistent state. `f` must not call
    /// into this cache.
    pub fn view<R>(&self, f: impl FnOnce(&CacheView<'_>) -> R) -> R {
        f(&CacheView(&self.shared.lock()))
    }

    /// Whether an entry is keyed by `version` and `id`: the lookup of
    /// `SSL_has_matching_session_id`, under the cache's lock. An id over 32
    /// bytes matches nothing.
    pub fn has_key(&self, version: i32, id: &[u8]) -> bool {
        SessionId::new(id).is_some_and(|id| self.shared.lock().table.get(&(version, id)).is_some())
    }
}

/// A cache under its lock ([`Cache::view`]).
pub struct CacheView<'a>(&'a CacheState);

impl CacheView<'_> {
    /// [`Cache::len`].
    pub fn len(&self) -> usize {
        self.0.table.len()
    }

    /// [`Cache::is_empty`].
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [`Cache::size`].
    pub fn size(&self) -> i64 {
        self.0.size
    }

    /// [`Cache::cache_full`].
    pub fn cache_full(&self) -> u64 {
        self.0.cache_full
    }

    /// [`Cache::for_each`].
    pub fn for_each(&self, mut f: impl FnMut(&Session)) {
        let st = self.0;
        for (_, key) in st.list.iter() {
            if let Some(s) = st.table.get(&key) {
                f(s);
            }
        }
    }
}

impl Drop for Cache {
    /// `SSL_CTX_free` at its last reference: `flush(0)`.
    fn drop(&mut self) {
        self.flush(0);
    }
}

#[cfg(test)]
mod tests;
