//! Application data attached to sessions: libssl's ex_data, for the native
//! session type.
//!
//! An [`ExClass`] is the registry of indexes and their callbacks, like
//! `CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_SESSION, ...)`; every session
//! made from it carries one value slot per index. Values are opaque words
//! (`u64`), as `void *` is in C: a dup copies them shallowly, and giving them
//! meaning (an index into your own table, say) is the application's business.
//!
//! The callbacks follow `crypto/ex_data.c` (the same from 1.1.1 to 4.0):
//! * **new** runs for every index in ascending order when a session is made
//!   (by `new`, by a decode, or for a dup's copy) and may return a first
//!   value;
//! * **dup** runs only if the source ever had a value set (even to `None`),
//!   for each index below `min(registered, highest index set + 1)`; the
//!   (possibly changed) value is stored in the copy even when an index has
//!   no dup callback, over whatever the copy's new callback stored; the
//!   first dup callback that returns `None` makes the dup fail, and the
//!   callbacks of higher indexes do not run;
//! * **free** runs for every index in ascending order when the last
//!   reference goes away, while every field of the session is still intact.
//!
//! Every callback gets the session's fields (the source's, for dup): their
//! address identifies the object for as long as it lives, as the `parent`
//! pointer does in C. Callbacks must not call back into that session.
//!
//! Index 0 is reserved, as libssl reserves it for app_data: the first
//! registered index is 1.

use std::fmt;

use super::data::{ExData, SessionData};

/// One ex_data value: an opaque word, `None` when unset.
pub type ExValue = Option<u64>;

/// Called when a session is made, with its fresh fields; returns the value
/// to store in the slot, if any (`Some(None)` stores NULL, which still
/// counts as set for dup).
pub type NewCallback = Box<dyn Fn(&SessionData) -> Option<ExValue> + Send + Sync>;
/// Called when a session with data is duplicated, with the source's fields
/// and value. Returns the copy's value, or `None` to make the dup fail.
pub type DupCallback = Box<dyn Fn(&SessionData, ExValue) -> Option<ExValue> + Send + Sync>;
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

    /// The number of indexes, the reserved index 0 included.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Always false: index 0 is always there.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Runs the new callbacks on a fresh session, storing what they return.
    pub(crate) fn run_new(&self, data: &mut SessionData) {
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some(new) = &slot.new
                && let Some(v) = new(data)
            {
                data.ex.set(i, v);
            }
        }
    }

    /// Copies the ex_data of `from` into `to` as `CRYPTO_dup_ex_data` does.
    /// Returns false if a dup callback refused.
    pub(crate) fn run_dup(&self, to: &mut ExData, from: &SessionData) -> bool {
        // A source never set has no values: `n` is 0 and no dup callback
        // runs (libssl's `from->sk == NULL` early return).
        let n = self.slots.len().min(from.ex.len());
        #[cfg(feature = "faults")]
        let n = if super::planted::is(super::planted::ModelFault::ExDupPastHighestSet) {
            self.slots.len()
        } else {
            n
        };
        for i in 0..n {
            let mut value = from.ex.get(i);
            if let Some(dup) = &self.slots[i].dup {
                match dup(from, value) {
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
