//! The cache's table: its entries by key, one reference each.
//!
//! A small cache keeps the entries in a vector beside a vector of key
//! prints (the version and the id's first bytes in one number): a lookup
//! scans the prints, a few cycles an entry, and compares whole keys only
//! where a print matches, where a hash map hashes the 37-byte key on every
//! call. Past [`SMALL`] entries the table becomes an [`FxHashMap`], and it
//! turns back into vectors once it holds [`SMALL`]` / 4` or fewer.
//! Nothing reads the entries in table order, so the form is invisible.

use rustc_hash::FxHashMap;

use super::Key;
use super::list::SMALL;
use crate::native::Session;

/// The entries of a cache by key.
pub(super) enum Table {
    Small {
        prints: Vec<u64>,
        entries: Vec<(Key, Session)>,
    },
    Large(FxHashMap<Key, Session>),
}

fn print(key: &Key) -> u64 {
    key.1.prefix() ^ u64::from(key.0 as u32)
}

impl Table {
    /// An empty table.
    pub(super) fn new() -> Table {
        Table::Small {
            prints: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Where `key` is in the vector form.
    fn find(prints: &[u64], entries: &[(Key, Session)], key: &Key) -> Option<usize> {
        let p = print(key);
        prints
            .iter()
            .enumerate()
            .find(|&(i, q)| *q == p && entries[i].0 == *key)
            .map(|(i, _)| i)
    }

    /// The number of entries.
    pub(super) fn len(&self) -> usize {
        match self {
            Table::Small { prints, .. } => prints.len(),
            Table::Large(m) => m.len(),
        }
    }

    /// The session under `key`.
    pub(super) fn get(&self, key: &Key) -> Option<&Session> {
        match self {
            Table::Small { prints, entries } => {
                Table::find(prints, entries, key).map(|i| &entries[i].1)
            }
            Table::Large(m) => m.get(key),
        }
    }

    /// Puts `s` under `key`; returns the session it replaces.
    pub(super) fn insert(&mut self, key: Key, s: Session) -> Option<Session> {
        match self {
            Table::Small { prints, entries } => {
                if let Some(i) = Table::find(prints, entries, &key) {
                    return Some(std::mem::replace(&mut entries[i].1, s));
                }
                prints.push(print(&key));
                entries.push((key, s));
                if entries.len() > SMALL {
                    *self = Table::Large(entries.drain(..).collect());
                }
                None
            }
            Table::Large(m) => m.insert(key, s),
        }
    }

    /// Takes the entry under `key` out.
    pub(super) fn remove(&mut self, key: &Key) -> Option<Session> {
        match self {
            Table::Small { prints, entries } => {
                let i = Table::find(prints, entries, key)?;
                prints.swap_remove(i);
                Some(entries.swap_remove(i).1)
            }
            Table::Large(m) => {
                let s = m.remove(key)?;
                if m.len() <= SMALL / 4 {
                    let entries: Vec<_> = m.drain().collect();
                    let prints = entries.iter().map(|(k, _)| print(k)).collect();
                    *self = Table::Small { prints, entries };
                }
                Some(s)
            }
        }
    }

    #[cfg(test)]
    fn is_small(&self) -> bool {
        matches!(self, Table::Small { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::data::SessionId;

    fn key(version: i32, id: &[u8]) -> Key {
        (version, SessionId::new(id).unwrap())
    }

    /// Keys whose prints collide (same first eight bytes and length, or a
    /// version that cancels an id byte) are still told apart, in both
    /// forms.
    #[test]
    fn keys_with_equal_prints_are_told_apart() {
        let colliding = [
            key(0x0304, &[1, 2, 3, 4, 5, 6, 7, 8, 9]),
            key(0x0304, &[1, 2, 3, 4, 5, 6, 7, 8, 10]),
            key(0x0303, &[1, 2, 3, 4, 5, 6, 7, 8, 9]),
            key(0x0304 ^ 7, &[1 ^ 7, 2, 3, 4, 5, 6, 7, 8, 9]),
        ];
        assert!(
            colliding[1..]
                .iter()
                .any(|k| print(k) == print(&colliding[0]))
        );
        for filler in [0, SMALL] {
            let mut t = Table::new();
            for i in 0..filler {
                t.insert(key(1, &(i as u64).to_be_bytes()), Session::new());
            }
            let ss: Vec<_> = colliding.iter().map(|_| Session::new()).collect();
            for (k, s) in colliding.iter().zip(&ss) {
                assert!(t.insert(*k, s.clone()).is_none());
            }
            assert_eq!(t.is_small(), filler + colliding.len() <= SMALL);
            for (k, s) in colliding.iter().zip(&ss) {
                assert!(Session::ptr_eq(t.get(k).unwrap(), s));
            }
            let again = Session::new();
            let old = t.insert(colliding[2], again.clone()).unwrap();
            assert!(Session::ptr_eq(&old, &ss[2]));
            assert!(Session::ptr_eq(&t.remove(&colliding[2]).unwrap(), &again));
            assert!(t.get(&colliding[2]).is_none() && t.remove(&colliding[2]).is_none());
            assert!(Session::ptr_eq(t.get(&colliding[3]).unwrap(), &ss[3]));
            assert_eq!(t.len(), filler + colliding.len() - 1);
        }
    }

    /// Prints are a filter: they may collide (the test above), but they
    /// tell apart keys that differ only in their version, and short ids.
    #[test]
    fn prints_tell_versions_and_short_ids_apart() {
        let id = [0x04, 0x03]; // its prefix's low bytes read 0x0304
        let prints = [
            print(&key(0x0304, &id)),
            print(&key(0x0300, &id)),
            print(&key(0x0303, &id)),
            print(&key(0x0304, &[0x04])),
            print(&key(0x0304, &[])),
        ];
        for (i, a) in prints.iter().enumerate() {
            for b in &prints[i + 1..] {
                assert_ne!(a, b, "{prints:x?}");
            }
        }
    }

    #[test]
    fn turns_into_a_map_past_small_and_back_at_a_quarter() {
        let keys: Vec<_> = (0..=SMALL as u64)
            .map(|i| key(1, &i.to_le_bytes()))
            .collect();
        let mut t = Table::new();
        for k in &keys {
            assert!(t.is_small());
            t.insert(*k, Session::new());
        }
        assert!(!t.is_small());
        for (i, k) in keys.iter().enumerate() {
            let len = SMALL + 1 - i;
            assert_eq!(t.is_small(), len <= SMALL / 4, "{len} entries");
            assert!(t.remove(k).is_some());
            assert!(t.get(k).is_none());
        }
        assert_eq!(t.len(), 0);
    }
}
