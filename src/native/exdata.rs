//! Application data attached to sessions: libssl's ex_data, for the native
//! session type.
//!
//! An [`ExClass`] is the registry of indexes and their callbacks, like
//! `CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_SESSION, ...)`; every session
//! made from it carries one value slot per index. Values are opaque words
//! (`u64`), as `void *` is in C: a dup copies them shallowly, and giving them
//! meaning (an index into your own table, say) is the application's business.
//!
//! The callbacks follow `crypto/ex_data.c` of OpenSSL 3.0:
//! * **new** runs for every index in ascending order when a session is made
//!   (by `new` or for a dup's copy) and may return a first value;
//! * **dup** runs only if the source ever had a value set, for each index
//!   below `min(registered, highest index set + 1)`; the (possibly changed)
//!   value is stored in the copy even when an index has no dup callback;
//!   a dup callback that returns `None` makes the dup fail;
//! * **free** runs for every index in ascending order when the last
//!   reference goes away, while every field of the session is still intact.
//!
//! Index 0 is reserved, as libssl reserves it for app_data: the first
//! registered index is 1.

use std::fmt;

use super::data::{ExData, SessionData};

/// One ex_data value: an opaque word, `None` when unset.
pub type ExValue = Option<u64>;

/// Called when a session is made; returns the slot's first value.
pub type NewCallback = Box<dyn Fn() -> ExValue + Send + Sync>;
/// Called when a session with data is duplicated, with the source's value.
/// Returns the copy's value, or `None` to make the dup fail.
pub type DupCallback = Box<dyn Fn(ExValue) -> Option<ExValue> + Send + Sync>;
/// Called at a session's final release, with its fields and the slot's value.
pub type FreeCallback = Box<dyn Fn(&SessionData, ExValue) + Send + Sync>;

/// The callbacks of one ex_data index; any of them may be absent.
#[derive(Default)]
pub struct ExCallbacks {
    /// See [`NewCallback`].
    pub new: Option<NewCallback>,
    /// See [`DupCallback`].
    pub dup: Option<DupCallback>,
    /// See [`FreeCallback`].
    pub free: Option<FreeCallback>,
}

/// An index into a session's ex_data, handed out by [`ExClass::register`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExIndex(pub(crate) usize);

/// A registry of ex_data indexes for sessions. Build it, then share it in an
/// `Arc` with every session made from it; it is immutable from then on, so
/// reading it costs no lock.
pub struct ExClass {
    slots: Vec<ExCallbacks>,
}

impl Default for ExClass {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ExClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExClass")
            .field("indexes", &self.slots.len())
            .finish()
    }
}

impl ExClass {
    /// A registry with only the reserved index 0.
    pub fn new() -> Self {
        ExClass {
            slots: vec![ExCallbacks::default()],
        }
    }

    /// Registers a new index with its callbacks.
    pub fn register(&mut self, callbacks: ExCallbacks) -> ExIndex {
        self.slots.push(callbacks);
        ExIndex(self.slots.len() - 1)
    }

    /// Runs the new callbacks into the fresh data `ex` of a session.
    pub(crate) fn run_new(&self, ex: &mut ExData) {
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some(new) = &slot.new
                && let Some(v) = new()
            {
                ex.set(i, Some(v));
            }
        }
    }

    /// Copies `from` into `to` as `CRYPTO_dup_ex_data` does. Returns false if
    /// a dup callback refused.
    pub(crate) fn run_dup(&self, to: &mut ExData, from: &ExData) -> bool {
        if !from.ever_set() {
            return true;
        }
        let n = self.slots.len().min(from.values.len());
        for i in 0..n {
            let mut value = from.get(i);
            if let Some(dup) = &self.slots[i].dup {
                match dup(value) {
                    Some(v) => value = v,
                    None => return false,
                }
            }
            to.set(i, value);
        }
        true
    }

    /// Runs the free callbacks in ascending index order.
    pub(crate) fn run_free(&self, data: &SessionData) {
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some(free) = &slot.free {
                free(data, data.ex.get(i));
            }
        }
    }
}
