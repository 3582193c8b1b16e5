//! Faults planted inside the model itself, for the harness's own tests:
//! compiled only with the `faults` feature, switched on per thread.
//!
//! Most of the crate's planted faults wrap the native backend
//! (`crate::faults`); the ones here sit in the model's code, where a wrapper
//! cannot reach, so that a test can show the harness really calls that code.

use std::cell::Cell;

/// A fault inside the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFault {
    /// [`Ssl::copy_session_id`](super::Ssl::copy_session_id) keeps the old
    /// session when the source `SSL` has none.
    CopySessionIdKeepsOld,
    /// `ExClass`'s dup runs the dup callbacks of every registered index,
    /// not only those up to the highest index the source ever set.
    ExDupPastHighestSet,
}

thread_local! {
    static ACTIVE: Cell<Option<ModelFault>> = const { Cell::new(None) };
}

/// Plants `fault` on this thread (`None` removes it).
pub fn plant(fault: Option<ModelFault>) {
    ACTIVE.with(|a| a.set(fault));
}

/// Whether `fault` is planted on this thread.
pub(crate) fn is(fault: ModelFault) -> bool {
    ACTIVE.with(|a| a.get()) == Some(fault)
}
