//! [`SlotTable`]: the harness's own record of what each slot holds, which
//! alone decides whether an op is legal.

use std::collections::BTreeSet;

use super::op::{CtxUse, Effects, Fill, Op};
use super::{EX_INDEXES, S, SESSION_SLOTS, SSL_SLOTS, Tag};

/// The harness's own record of what each slot holds. It alone decides
/// whether an op is legal, so both backends always see the same legal calls
/// and no call the API forbids is ever made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotTable {
    /// The object each session slot holds a reference to.
    pub sessions: [Option<Tag>; SESSION_SLOTS],
    /// Which `SSL` slots hold an `SSL`.
    pub ssls: [bool; SSL_SLOTS],
    /// Whether the ctx (and so the cache) exists.
    pub ctx: bool,
    /// The objects the cache holds.
    pub cached: BTreeSet<Tag>,
    /// How many ex_data indexes the program has registered.
    pub ex_indexes: u8,
}

impl Default for SlotTable {
    fn default() -> Self {
        SlotTable {
            sessions: [None; SESSION_SLOTS],
            ssls: [false; SSL_SLOTS],
            ctx: true,
            cached: BTreeSet::new(),
            ex_indexes: 0,
        }
    }
}

impl SlotTable {
    /// The object in slot `s`.
    pub fn object(&self, s: S) -> Option<Tag> {
        self.sessions[s.index()]
    }

    /// Whether `op` may be called now, from its [`Op::effects`]. An illegal
    /// op is skipped on both sides: it names an empty slot, would overwrite
    /// a full one, needs a ctx that is not there (or one that is), frees
    /// the ctx while `SSL`s live, changes the key of a cached session (a
    /// hazard of SEMANTICS.md §14.3), uses an ex_data index the program has
    /// not registered, or registers one past [`EX_INDEXES`].
    pub fn is_legal(&self, op: &Op) -> bool {
        self.allows(&op.effects())
    }

    /// [`SlotTable::is_legal`] for an op with effects `e`.
    pub fn allows(&self, e: &Effects) -> bool {
        let any_ssl = self.ssls.iter().any(|&b| b);
        let ctx_ok = match e.ctx {
            CtxUse::Any => true,
            CtxUse::Needed => self.ctx,
            CtxUse::Freed => self.ctx && !any_ssl,
            CtxUse::Made => !self.ctx,
        };
        let source_ok = e.source.is_none_or(|s| {
            self.object(s)
                .is_some_and(|o| !e.changes_key || !self.cached.contains(&o))
        });
        ctx_ok
            && source_ok
            && e.fills.is_none_or(|(d, _)| self.object(d).is_none())
            && e.ssls.iter().flatten().all(|c| self.ssls[c.index()])
            && e.ssl_born.is_none_or(|c| !self.ssls[c.index()])
            && e.ex_index.is_none_or(|i| i <= self.ex_indexes)
            && (!e.ex_new_index || self.ex_indexes < EX_INDEXES)
    }

    /// Updates the slots after a legal `op` ran. `made` is the object the
    /// op put in its destination slot, or `None` if the call returned NULL.
    /// Cache membership is updated by the caller.
    pub fn after(&mut self, op: &Op, made: Option<Tag>) {
        self.apply(&op.effects(), made);
    }

    /// [`SlotTable::after`] for an op with effects `e`.
    pub fn apply(&mut self, e: &Effects, made: Option<Tag>) {
        if let Some((d, fill)) = e.fills {
            self.sessions[d.index()] = match fill {
                Fill::Made => made,
                Fill::Alias => e.source.and_then(|s| self.object(s)),
            };
        }
        if let (Some(s), true) = (e.source, e.releases) {
            self.sessions[s.index()] = None;
        }
        if let Some(c) = e.ssl_born {
            self.ssls[c.index()] = true;
        }
        if let Some(c) = e.ssl_freed {
            self.ssls[c.index()] = false;
        }
        if e.ex_new_index {
            self.ex_indexes += 1;
        }
        match e.ctx {
            CtxUse::Freed => {
                self.ctx = false;
                self.cached.clear();
            }
            CtxUse::Made => self.ctx = true,
            CtxUse::Any | CtxUse::Needed => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::C;

    #[test]
    fn slot_table_rules() {
        let mut t = SlotTable::default();
        assert!(!t.is_legal(&Op::Free(S(0))));
        assert!(t.is_legal(&Op::New(S(0))));
        t.after(&Op::New(S(0)), Some(0));
        assert!(!t.is_legal(&Op::New(S(0))));
        assert!(t.is_legal(&Op::SetId(S(0), vec![1])));
        t.cached.insert(0);
        assert!(!t.is_legal(&Op::SetId(S(0), vec![1])));
        assert!(!t.is_legal(&Op::SetProtocolVersion(S(0), 1)));
        assert!(!t.is_legal(&Op::DecodeInto(S(0), vec![])));
        assert!(t.is_legal(&Op::SetTime(S(0), 1)));
        t.after(&Op::SslNew(C(1)), None);
        assert!(!t.is_legal(&Op::SslNew(C(1))));
        assert!(!t.is_legal(&Op::CtxFree));
        assert!(!t.is_legal(&Op::CtxNew));
        assert!(t.is_legal(&Op::SslCopySessionId(C(1), C(1))));
        assert!(!t.is_legal(&Op::SslCopySessionId(C(1), C(0))));
        assert!(t.is_legal(&Op::SslHasMatchingId(C(1), vec![])));
        t.after(&Op::SslFree(C(1)), None);
        t.after(&Op::CtxFree, None);
        assert!(t.cached.is_empty());
        assert!(!t.is_legal(&Op::CacheAdd(S(0))));
        assert!(!t.is_legal(&Op::SslNew(C(0))));
        assert!(t.is_legal(&Op::CtxNew));
    }

    #[test]
    fn ex_indexes_must_be_registered_first() {
        let mut t = SlotTable::default();
        t.after(&Op::New(S(0)), Some(0));
        assert!(
            t.is_legal(&Op::ExSet(S(0), 0, 1)),
            "app_data is always there"
        );
        assert!(!t.is_legal(&Op::ExSet(S(0), 1, 1)));
        assert!(!t.is_legal(&Op::ExGet(S(0), 1)));
        let reg = Op::ExNewIndex(crate::program::ExSpec::default());
        for _ in 0..EX_INDEXES {
            assert!(t.is_legal(&reg));
            t.after(&reg, None);
        }
        assert!(!t.is_legal(&reg), "the pool is used up");
        assert!(t.is_legal(&Op::ExGet(S(0), EX_INDEXES)));
        assert!(!t.is_legal(&Op::ExGet(S(1), 1)), "the slot is empty");
    }

    #[test]
    fn fills_releases_and_aliases() {
        let mut t = SlotTable::default();
        t.after(&Op::New(S(2)), Some(5));
        t.after(&Op::UpRef(S(2), S(3)), None);
        assert_eq!(t.object(S(3)), Some(5));
        t.after(&Op::Dup(S(2), S(4)), None);
        assert_eq!(
            t.object(S(4)),
            None,
            "a dup that returned NULL fills nothing"
        );
        t.after(&Op::Free(S(2)), None);
        assert_eq!(t.sessions[..4], [None, None, None, Some(5)]);
    }
}
