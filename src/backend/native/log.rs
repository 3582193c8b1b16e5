//! What the native world's callbacks observe, kept in its log: births and
//! deaths through the harness's own ex_data index, and the calls of the
//! pool of indexes programs register. The backend (`mod.rs`) reads the log
//! after each call and in its snapshots.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::addr_map::AddrMap;
use crate::backend::{Event, ExCall, ExCallback, UNTAGGED};
use crate::native::{ExCallbacks, ExClass, ExIndex, ExValue, SessionData};
use crate::program::{EX_INDEXES, ExDup, ExNew, ExSpec, Tag};

/// The events, the live count and the tags of the native world.
#[derive(Default)]
pub(super) struct NativeLog {
    pub(super) events: Vec<Event>,
    pub(super) live: i64,
    /// The tag of the session being made by the current call.
    pub(super) birth: Option<Tag>,
    /// Sessions by the address of their fields, with their tags.
    tags: AddrMap<Tag>,
}

impl NativeLog {
    pub(super) fn tag(&self, d: &SessionData) -> Tag {
        self.tags.get(&addr(d)).copied().unwrap_or(UNTAGGED)
    }

    fn ex_call(&mut self, callback: ExCallback, object: Tag, index: u8, value: ExValue) {
        let value = value.unwrap_or(0);
        self.events.push(Event::Ex(ExCall {
            callback,
            object,
            index,
            value,
        }));
    }
}

pub(super) fn lock(log: &Mutex<NativeLog>) -> MutexGuard<'_, NativeLog> {
    log.lock().unwrap_or_else(|e| e.into_inner())
}

/// A session's identity while it lives: the address of its fields, as
/// the `parent` pointer is in libssl's callbacks.
fn addr(d: &SessionData) -> usize {
    std::ptr::from_ref(d) as usize
}

/// A program's value as a slot's value: 0 is NULL.
pub(super) fn ex_value(v: u8) -> ExValue {
    (v != 0).then_some(u64::from(v))
}

/// The callbacks of the ex_data indexes the program registered, each set
/// once, by its `ex_new_index`. Apart from the log: the callbacks of an
/// index not registered read this and return, without taking the log's
/// lock (five indexes' callbacks run for every birth and death).
pub(super) type ExSpecs = Arc<[OnceLock<ExSpec>; EX_INDEXES as usize]>;

/// Registers the program's ex_data index `k` in `class`: callbacks that do
/// what the program's `ex_new_index` asked once it has, and nothing before.
pub(super) fn register_pool_index(
    class: &mut ExClass,
    log: &Arc<Mutex<NativeLog>>,
    specs: &ExSpecs,
    k: u8,
) -> ExIndex {
    let spec = {
        let specs = specs.clone();
        move || specs[usize::from(k) - 1].get().copied()
    };
    let (spec_dup, spec_free) = (spec.clone(), spec.clone());
    let (l_new, l_dup, l_free) = (log.clone(), log.clone(), log.clone());
    class.register(ExCallbacks {
        new: Some(Box::new(move |d| {
            let v = match spec()?.new {
                ExNew::None => return None,
                ExNew::Log => None,
                ExNew::Set(v) => Some(ex_value(v)),
            };
            let mut l = lock(&l_new);
            let (birth, seen) = (l.birth.unwrap_or(UNTAGGED), d.ex_data(ExIndex(k.into())));
            l.ex_call(ExCallback::New, birth, k, seen);
            v
        })),
        dup: Some(Box::new(move |src, value| {
            let Some(spec) = spec_dup() else {
                return Some(value);
            };
            let copied = match spec.dup {
                ExDup::None => return Some(value),
                ExDup::Keep => Some(value),
                ExDup::Fail => None,
                ExDup::Set(v) => Some(ex_value(v)),
            };
            let mut l = lock(&l_dup);
            let source = l.tag(src);
            l.ex_call(ExCallback::Dup, source, k, value);
            copied
        })),
        free: Some(Box::new(move |d, value| {
            if spec_free().is_some_and(|s| s.free) {
                let mut l = lock(&l_free);
                let tag = l.tag(d);
                l.ex_call(ExCallback::Free, tag, k, value);
            }
        })),
    })
}

/// Registers the harness's own index in `class`, after the pool's (as in
/// libssl, so that its free callback, the death event, runs last): it
/// counts births and deaths and tags each session made by a call with the
/// call's step.
pub(super) fn register_harness_index(class: &mut ExClass, log: &Arc<Mutex<NativeLog>>) {
    let (l_new, l_free) = (log.clone(), log.clone());
    class.register(ExCallbacks {
        new: Some(Box::new(move |d| {
            let mut l = lock(&l_new);
            l.live += 1;
            if let Some(t) = l.birth {
                l.tags.insert(addr(d), t);
            }
            None
        })),
        dup: None,
        free: Some(Box::new(move |d, _| {
            let mut l = lock(&l_free);
            l.live -= 1;
            let tag = l.tags.remove(&addr(d)).unwrap_or(UNTAGGED);
            l.events.push(Event::Died(tag));
        })),
    });
}
