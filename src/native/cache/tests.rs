//! The cache's behaviour, call by call (SEMANTICS.md §8).

use super::*;
use crate::native::{ExCallbacks, ExClass, ExIndex};

/// A cache and session class that log `rm N` and `free N` by the tag in
/// ex_data index 1.
struct Fixture {
    log: Arc<Mutex<Vec<String>>>,
    class: Arc<ExClass>,
    idx: ExIndex,
    cache: Cache,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(Profile::V3_0)
    }

    /// A fixture whose cache follows `profile`.
    fn with(profile: Profile) -> Fixture {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut class = ExClass::new();
        let l = log.clone();
        let idx = class.register(ExCallbacks {
            free: Some(Box::new(move |_, v| {
                l.lock().unwrap().push(format!("free {}", v.unwrap()))
            })),
            ..Default::default()
        });
        let l = log.clone();
        let cache = Cache::with_profile(
            profile,
            Some(Box::new(move |s| {
                let tag = s.read().ex_data(idx).unwrap();
                l.lock().unwrap().push(format!("rm {tag}"));
            })),
        );
        Fixture {
            log,
            class: Arc::new(class),
            idx,
            cache,
        }
    }

    /// A session tagged `tag` with id `[tag]`, version 0x0304, time `time`.
    fn session(&self, tag: u64, time: i64) -> Session {
        let s = Session::new_in(&self.class, time);
        s.set_ex_data(self.idx, Some(tag));
        s.set1_id(&[tag as u8]).unwrap();
        s.set_protocol_version(0x0304);
        s
    }

    fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

#[test]
fn effective_capacity_is_size_minus_one() {
    let f = Fixture::new();
    f.cache.set_size(3);
    assert_eq!(f.cache.cache_full(), 0);
    let ss: Vec<_> = (1..=3).map(|t| f.session(t, 1000)).collect();
    for s in &ss {
        assert!(f.cache.add(s));
    }
    assert_eq!(f.cache.len(), 2);
    assert_eq!(f.cache.cache_full(), 1);
    f.cache.view(|v| {
        assert_eq!((v.len(), v.cache_full(), v.size()), (2, 1, 3));
        assert!(!v.is_empty());
    });
    assert_eq!(f.take_log(), ["rm 1"]);
    assert!(!ss[0].read().is_resumable());
    f.cache.flush(0);
    f.cache
        .view(|v| assert_eq!((v.is_empty(), v.len()), (true, 0)));
}

#[test]
fn re_add_returns_false_and_moves_to_head_of_ties() {
    let f = Fixture::new();
    let a = f.session(1, 1000);
    let b = f.session(2, 1000);
    f.cache.add(&a);
    f.cache.add(&b);
    assert!(!f.cache.add(&a));
    // Now `b` is the tail: the first to go.
    f.cache.set_size(3);
    let c = f.session(3, 1000);
    f.cache.add(&c);
    assert_eq!(f.take_log(), ["rm 2"]);
}

#[test]
fn flush_removes_under_lock_then_frees_in_order() {
    let f = Fixture::new();
    for t in 1..=3 {
        let s = f.session(t, 1000 + t as i64);
        f.cache.add(&s);
    }
    f.cache.flush(1000 + 2 + 304 + 1);
    assert_eq!(f.take_log(), ["rm 1", "rm 2", "free 1", "free 2"]);
    f.cache.flush(0);
    assert_eq!(f.take_log(), ["rm 3", "free 3"]);
}

/// A flush of a large cache reads [`WARM_AHEAD`] entries ahead whenever
/// it has walked past what it read (so it may read up to `WARM_AHEAD - 1`
/// survivors); a small cache is not read ahead. Either way the flush
/// removes and frees in list order.
#[test]
fn a_large_flush_reads_ahead_and_removes_in_order() {
    use crate::native::session::TOUCHES;
    let touches = |f: &Fixture, t| {
        TOUCHES.with(|n| n.set(0));
        f.cache.flush(t);
        TOUCHES.with(|n| n.get())
    };
    // (cached, expired, sessions read ahead)
    for (n, expired, read) in [
        (100, 40, 2 * WARM_AHEAD),
        (100, 64, 2 * WARM_AHEAD),
        (100, 1, WARM_AHEAD),
        (100, 0, 0),
        (100, 100, 100),
        (20, 10, 0),
    ] {
        let f = Fixture::new();
        for tag in 1..=n {
            f.cache.add(&f.session(tag, 1000 + tag as i64));
        }
        assert_eq!(
            touches(&f, 1000 + expired as i64 + 304 + 1),
            read,
            "{n} cached, {expired} expired"
        );
        let rm = (1..=expired).map(|t| format!("rm {t}"));
        let free = (1..=expired).map(|t| format!("free {t}"));
        assert_eq!(f.take_log(), rm.chain(free).collect::<Vec<_>>());
        assert_eq!(f.cache.len() as u64, n - expired);
    }
}

/// A session whose id changed while cached, then listed again by
/// `set_time`, has its list entry under the new id and its table entry
/// under the old. A flush that reaches the entry stops there when no
/// session has the new id; when another session has it, the flush takes
/// that session out, wherever it is listed, and then stops. In a small and
/// in a large cache.
#[test]
fn a_flush_stops_at_an_entry_whose_key_moved() {
    for filler in [0, 40] {
        let f = Fixture::new();
        let a = f.session(1, 1000);
        let b = f.session(2, 2000);
        f.cache.add(&a);
        f.cache.add(&b);
        for tag in 100..100 + filler {
            f.cache.add(&f.session(tag, 5000 + tag as i64));
        }
        let cached = 2 + filler as usize;
        let listed_as = |id: u8| {
            a.set1_id(&[id]).unwrap();
            a.set_time(1000);
        };
        listed_as(9);
        f.cache.flush(0);
        assert_eq!(f.cache.len(), cached, "{filler}: nothing has id 9");
        assert!(f.take_log().is_empty());
        listed_as(2);
        drop(b);
        f.cache.flush(0);
        assert_eq!(f.take_log(), ["rm 2", "free 2"], "{filler}: b has id 2");
        assert_eq!(f.cache.len(), cached - 1);
        // b's own list entry went with it: listed under its table key
        // again, `a` is flushed with everything after it.
        listed_as(1);
        f.cache.flush(0);
        assert_eq!(f.cache.len(), 0, "{filler}");
        let log = f.take_log();
        assert_eq!(log.len(), 1 + 2 * filler as usize, "{filler}: {log:?}");
        assert_eq!(log[0], "rm 1");
    }
}

#[test]
fn remove_of_a_dup_removes_the_original() {
    let f = Fixture::new();
    let a = f.session(1, 0);
    f.cache.add(&a);
    let copy = a.dup().unwrap();
    copy.set_ex_data(f.idx, Some(2));
    drop(a);
    assert!(f.cache.remove(&copy));
    assert_eq!(f.take_log(), ["rm 2", "free 1"]);
    assert!(!copy.read().is_resumable());
    assert!(!f.cache.remove(&copy));
    assert_eq!(f.take_log(), ["rm 2"]);
}

#[test]
fn empty_id_tail_blocks_eviction() {
    let f = Fixture::new();
    f.cache.set_size(2);
    let e = f.session(1, 0);
    e.set1_id(&[]).unwrap();
    f.cache.add(&e);
    for t in 2..=5 {
        f.cache.add(&f.session(t, 100));
    }
    assert_eq!(f.cache.len(), 5);
    assert!(!f.cache.remove(&e), "an empty id is never removed");
}

#[test]
fn set_time_resorts_a_cached_session() {
    let f = Fixture::new();
    let s = f.session(1, 1000);
    f.cache.add(&s);
    s.set_time(0);
    f.cache.flush(304);
    assert_eq!(f.take_log(), Vec::<String>::new());
    f.cache.flush(305);
    assert_eq!(f.take_log(), ["rm 1"]);
    drop(s);
    assert_eq!(f.take_log(), ["free 1"]);
}

/// A session removed from one cache and added to another is re-sorted
/// in the second by `set_time`, not in the first it was listed in.
#[test]
fn set_time_resorts_in_the_cache_that_lists_the_session_now() {
    let f = Fixture::new();
    let other = Cache::new();
    let s = f.session(1, 1000);
    other.add(&s);
    other.remove(&s);
    let t = f.session(2, 2000);
    f.cache.add(&t);
    f.cache.add(&s);
    s.set_time(3000);
    let mut order = Vec::new();
    f.cache
        .for_each(|x| order.push(x.read().ex_data(f.idx).unwrap()));
    assert_eq!(order, [2, 1], "re-sorted after t");
    assert!(other.is_empty());
}

#[test]
fn in_order_of_adding_set_time_does_not_move_a_session() {
    let f = Fixture::with(Profile::named("1.1.1w").unwrap());
    f.cache.set_size(2);
    let a = f.session(1, 1000);
    let b = f.session(2, 1000);
    f.cache.add(&a);
    f.cache.add(&b);
    // Sorted by expiry, `a` would now be the head; in order of adding
    // it stays the tail, and 1.1.1 trims to `size` after listing.
    a.set_time(5000);
    f.cache.add(&f.session(3, 1000));
    assert_eq!(f.take_log(), ["rm 1"]);
    assert_eq!(f.cache.profile(), Profile::named("1.1.1w").unwrap());
    assert_eq!(
        format!("{:?}", f.cache),
        "Cache { len: 2, size: 2, cache_full: 1 }"
    );
}

#[test]
fn a_removed_then_re_added_session_goes_to_the_end_of_its_hash_chain() {
    let f = Fixture::with(Profile::named("1.1.1w").unwrap());
    // Ids 01 and 09 hash to 1 and 9: the same bucket of 8.
    let a = f.session(1, 1000);
    let b = f.session(9, 1000);
    f.cache.add(&a);
    f.cache.add(&b);
    f.cache.remove(&a);
    assert_eq!(f.take_log(), ["rm 1"]);
    f.cache.add(&a);
    assert!(!f.cache.is_empty());
    f.cache.flush(0);
    assert_eq!(f.take_log(), ["rm 9", "rm 1"]);
    assert!(f.cache.is_empty());
}

#[test]
fn drop_flushes_everything() {
    let f = Fixture::new();
    f.cache.add(&f.session(1, i64::MAX));
    f.cache.add(&f.session(2, -1));
    let Fixture { cache, log, .. } = f;
    drop(cache);
    // Both overflow; session 2's excess is smaller, so it is the tail.
    assert_eq!(*log.lock().unwrap(), ["rm 2", "rm 1", "free 2", "free 1"]);
}
