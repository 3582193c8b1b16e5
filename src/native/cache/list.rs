//! The cache's expiry list: positions in ascending order, each naming the
//! key of the session there.
//!
//! A small cache keeps the list in a sorted vector: placing a session among
//! a few others is a binary search and a short `memmove`, where a B-tree
//! allocates and walks nodes. Past [`SMALL`] entries the list becomes a
//! [`BTreeMap`] (`O(log n)` at 100,000 sessions), and it turns back into a
//! vector once it holds [`SMALL`]` / 4` or fewer, so a flushed cache is
//! cheap again. Both forms give the same answers in the same order.

use std::collections::BTreeMap;

/// The most entries the vector form holds.
pub(super) const SMALL: usize = 32;

/// An ordered map from list positions to keys.
#[derive(Debug)]
pub(super) enum List<P, K> {
    /// Sorted by position, ascending.
    Small(Vec<(P, K)>),
    Large(BTreeMap<P, K>),
}

impl<P: Ord + Copy, K: Copy> List<P, K> {
    /// An empty list.
    pub(super) fn new() -> Self {
        List::Small(Vec::new())
    }

    /// Places `key` at `pos`, which must not be taken.
    pub(super) fn insert(&mut self, pos: P, key: K) {
        match self {
            List::Small(v) => {
                let i = v.partition_point(|(p, _)| *p < pos);
                debug_assert!(v.get(i).is_none_or(|(p, _)| *p != pos));
                v.insert(i, (pos, key));
                if v.len() > SMALL {
                    *self = List::Large(v.drain(..).collect());
                }
            }
            List::Large(m) => {
                m.insert(pos, key);
            }
        }
    }

    /// Takes the entry at `pos` out, if there is one.
    pub(super) fn remove(&mut self, pos: &P) -> Option<K> {
        let k = match self {
            List::Small(v) => {
                let i = v.binary_search_by(|(p, _)| p.cmp(pos)).ok()?;
                v.remove(i).1
            }
            List::Large(m) => m.remove(pos)?,
        };
        self.shrink();
        Some(k)
    }

    /// Takes the first `n` entries out (all of them, if there are fewer):
    /// in the large form one cut of the tree, where taking them out one by
    /// one moves the entries left in the first leaf and rebalances the
    /// tree's edge again and again.
    pub(super) fn remove_first(&mut self, n: usize) {
        match self {
            List::Small(v) => drop(v.drain(..n.min(v.len()))),
            List::Large(m) => match m.keys().nth(n).copied() {
                Some(rest) => *m = m.split_off(&rest),
                None => m.clear(),
            },
        }
        self.shrink();
    }

    /// Turns the large form back into a vector at [`SMALL`]` / 4` entries.
    fn shrink(&mut self) {
        if let List::Large(m) = self
            && m.len() <= SMALL / 4
        {
            *self = List::Small(std::mem::take(m).into_iter().collect());
        }
    }

    /// The entry with the lowest position (libssl's tail).
    pub(super) fn first(&self) -> Option<(P, K)> {
        match self {
            List::Small(v) => v.first().copied(),
            List::Large(m) => m.first_key_value().map(|(p, k)| (*p, *k)),
        }
    }

    /// The entries, from the lowest position to the highest.
    pub(super) fn iter(&self) -> impl Iterator<Item = (P, K)> + '_ {
        let (small, large) = match self {
            List::Small(v) => (Some(v.iter()), None),
            List::Large(m) => (None, Some(m.iter())),
        };
        let small = small.into_iter().flatten().map(|&(p, k)| (p, k));
        let large = large.into_iter().flatten().map(|(&p, &k)| (p, k));
        small.chain(large)
    }

    /// Whether the list is in its large form.
    pub(super) fn is_large(&self) -> bool {
        matches!(self, List::Large(_))
    }

    #[cfg(test)]
    fn is_small(&self) -> bool {
        !self.is_large()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list and a B-tree given the same inserts and removes (one at a
    /// time and from the front) agree after every step, across both
    /// changes of form.
    #[test]
    fn agrees_with_a_btree_through_both_forms() {
        let mut list = List::new();
        let mut model = BTreeMap::new();
        let mut forms = Vec::new();
        let mut x = 7u64;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        for step in 0..4000u64 {
            // Grow for the first half, shrink for the second.
            let grow = if step < 2000 { 3 } else { 1 };
            if next() % 64 == 0 {
                let n = next() as usize % 12;
                list.remove_first(n);
                for _ in 0..n {
                    model.pop_first();
                }
            } else if next() % 4 < grow {
                let pos = (next() % 50, step);
                list.insert(pos, step);
                model.insert(pos, step);
            } else if let Some(&pos) = model.keys().nth((next() as usize) % model.len().max(1)) {
                assert_eq!(list.remove(&pos), model.remove(&pos));
            }
            assert_eq!(list.remove(&(99, 0)), None);
            assert_eq!(list.first(), model.first_key_value().map(|(p, k)| (*p, *k)));
            assert!(list.iter().map(|(_, k)| k).eq(model.values().copied()));
            if forms.last() != Some(&list.is_small()) {
                forms.push(list.is_small());
            }
        }
        assert_eq!(
            forms,
            [true, false, true],
            "vector, then B-tree, then vector again"
        );
    }

    #[test]
    fn turns_into_a_btree_past_small_and_back_at_a_quarter() {
        let mut list = List::new();
        for i in 0..=SMALL {
            assert!(list.is_small(), "{i} entries");
            list.insert(i, i);
        }
        assert!(!list.is_small(), "{} entries", SMALL + 1);
        for i in 0..=SMALL {
            let len = SMALL + 1 - i;
            assert_eq!(list.is_small(), len <= SMALL / 4, "{len} entries");
            assert_eq!(list.remove(&i), Some(i));
        }
        assert_eq!(list.first(), None);
    }

    #[test]
    fn a_cut_from_the_front_keeps_the_rest_in_order() {
        let filled = |n: usize| {
            let mut list = List::new();
            (0..n).rev().for_each(|i| list.insert(i, i * 10));
            list
        };
        for (n, cut, large_after) in [
            (3 * SMALL, SMALL, true),
            (3 * SMALL, 3 * SMALL - SMALL / 4 - 1, true),
            (3 * SMALL, 3 * SMALL - SMALL / 4, false),
            (3 * SMALL, 5 * SMALL, false),
            (SMALL, 3, false),
            (SMALL, 0, false),
        ] {
            let mut list = filled(n);
            list.remove_first(cut);
            assert_eq!(list.is_large(), large_after, "{n} cut by {cut}");
            let left: Vec<_> = list.iter().collect();
            let want: Vec<_> = (cut.min(n)..n).map(|i| (i, i * 10)).collect();
            assert_eq!(left, want, "{n} cut by {cut}");
        }
    }
}
