//! [`AddrMap`]: a hash map keyed by object addresses, for the per-object
//! side tables of the backends (tags by session address). Addresses are
//! already unique and spread; hashing them with SipHash is wasted work on
//! a path that runs for every session birth, death and snapshot.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map from addresses to `V`.
pub(crate) type AddrMap<V> = HashMap<usize, V, BuildHasherDefault<AddrHasher>>;

/// Hashes one `usize` by a multiply that mixes its middle bits (where heap
/// addresses differ) into the top bits the map uses.
#[derive(Default)]
pub(crate) struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_found_again_and_told_apart() {
        let mut m: AddrMap<u32> = AddrMap::default();
        for i in 0..1000usize {
            m.insert(0x5555_0000_0000 + i * 48, i as u32);
        }
        assert_eq!(m.len(), 1000);
        for i in 0..1000usize {
            assert_eq!(m.get(&(0x5555_0000_0000 + i * 48)), Some(&(i as u32)));
        }
        assert_eq!(m.get(&0x5555_0000_0001), None);
        let (mut a, mut b) = (AddrHasher::default(), AddrHasher::default());
        a.write(&[1, 2]);
        b.write(&[2, 1]);
        assert_ne!(a.finish(), b.finish());
    }
}
