//! The order of libssl 1.1.1's session hash table.
//!
//! 1.1.1's `SSL_CTX_flush_sessions` (and so `SSL_CTX_free`) visits cached
//! sessions in the order `lh_SSL_SESSION_doall` walks OpenSSL's linear hash
//! table: bucket by bucket from the last to the first, each bucket's chain
//! from its head. That order depends on the table's growth history, so
//! [`LinearHash`] keeps the same buckets as OpenSSL's `OPENSSL_LHASH` does
//! (linear hashing: 16 allocated buckets of which 8 are in use at first, a
//! split when the load reaches 2, a merge when it falls to 1 past 16
//! buckets) without holding the sessions themselves: only their keys and
//! hashes.

/// The table starts with this many buckets allocated, half of them in use.
const MIN_NODES: usize = 16;
/// Loads are kept times 256, as `LH_LOAD_MULT`.
const LOAD_MULT: usize = 256;
/// A split happens when the load reaches 2.
const UP_LOAD: usize = 2 * LOAD_MULT;
/// A merge happens when the load falls to 1 (and more than 16 buckets are
/// in use).
const DOWN_LOAD: usize = LOAD_MULT;

/// `ssl_session_hash` of 1.1.1: the first four bytes of the id, little
/// endian, zero-padded when the id is shorter.
pub fn session_hash(id: &[u8]) -> u64 {
    let mut b = [0u8; 4];
    let n = id.len().min(4);
    b[..n].copy_from_slice(&id[..n]);
    u64::from(u32::from_le_bytes(b))
}

/// The bucket structure of an `OPENSSL_LHASH` holding keys of type `K`.
#[derive(Debug, Clone)]
pub struct LinearHash<K> {
    buckets: Vec<Vec<(u64, K)>>,
    /// Buckets in use (`num_nodes`).
    nodes: usize,
    /// `p`: the next bucket to split.
    p: usize,
    /// `pmax`: the bucket count at the start of this doubling.
    pmax: usize,
    items: usize,
}

impl<K: PartialEq + Copy> Default for LinearHash<K> {
    fn default() -> Self {
        LinearHash::new()
    }
}

impl<K: PartialEq + Copy> LinearHash<K> {
    /// An empty table, as `OPENSSL_LH_new` makes it.
    pub fn new() -> LinearHash<K> {
        LinearHash {
            buckets: vec![Vec::new(); MIN_NODES],
            nodes: MIN_NODES / 2,
            p: 0,
            pmax: MIN_NODES / 2,
            items: 0,
        }
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.items
    }

    /// True when the table holds no key.
    pub fn is_empty(&self) -> bool {
        self.items == 0
    }

    fn bucket(&self, hash: u64) -> usize {
        let n = (hash % self.pmax as u64) as usize;
        if n < self.p {
            (hash % self.buckets.len() as u64) as usize
        } else {
            n
        }
    }

    /// `OPENSSL_LH_insert`: splits a bucket first if the load has reached
    /// 2 (even when `key` is already there), then appends `key` to its
    /// bucket's chain unless it is present (a replacement keeps its place).
    pub fn insert(&mut self, key: K, hash: u64) {
        if UP_LOAD <= self.items * LOAD_MULT / self.nodes {
            self.expand();
        }
        let b = self.bucket(hash);
        if !self.buckets[b].iter().any(|&(h, k)| h == hash && k == key) {
            self.buckets[b].push((hash, key));
            self.items += 1;
        }
    }

    /// `OPENSSL_LH_delete`: removes `key` if present; then, if `contract`
    /// (libssl turns it off during a flush by setting the down load to 0)
    /// and the load has fallen to 1 with more than 16 buckets in use,
    /// merges the last bucket into its sibling.
    pub fn delete(&mut self, key: K, hash: u64, contract: bool) -> bool {
        let b = self.bucket(hash);
        let Some(i) = self.buckets[b]
            .iter()
            .position(|&(h, k)| h == hash && k == key)
        else {
            return false;
        };
        self.buckets[b].remove(i);
        self.items -= 1;
        if contract && self.nodes > MIN_NODES && DOWN_LOAD >= self.items * LOAD_MULT / self.nodes {
            self.contract();
        }
        true
    }

    /// The keys in the order `OPENSSL_LH_doall` visits them.
    pub fn doall_order(&self) -> Vec<K> {
        self.buckets[..self.nodes]
            .iter()
            .rev()
            .flat_map(|chain| chain.iter().map(|&(_, k)| k))
            .collect()
    }

    /// Splits bucket `p` into `p` and `p + pmax`: the entries that move
    /// are pushed onto the new chain's head, one by one, so they end up
    /// reversed.
    fn expand(&mut self) {
        let alloc = self.buckets.len();
        let (p, pmax) = (self.p, self.pmax);
        if p + 1 >= pmax {
            self.buckets.resize(alloc * 2, Vec::new());
            self.pmax = alloc;
            self.p = 0;
        } else {
            self.p += 1;
        }
        self.nodes += 1;
        let old = std::mem::take(&mut self.buckets[p]);
        let (stay, moved): (Vec<_>, Vec<_>) = old
            .into_iter()
            .partition(|&(h, _)| (h % alloc as u64) as usize == p);
        self.buckets[p] = stay;
        self.buckets[p + pmax] = moved.into_iter().rev().collect();
    }

    /// Merges the last bucket in use onto the end of bucket `p` after
    /// stepping `p` back (halving the allocation when `p` was 0).
    fn contract(&mut self) {
        let last = std::mem::take(&mut self.buckets[self.p + self.pmax - 1]);
        if self.p == 0 {
            let half = self.buckets.len() / 2;
            self.buckets.truncate(half);
            self.pmax /= 2;
            self.p = self.pmax - 1;
        } else {
            self.p -= 1;
        }
        self.nodes -= 1;
        self.buckets[self.p].extend(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_the_first_four_id_bytes_little_endian() {
        assert_eq!(session_hash(&[]), 0);
        assert_eq!(session_hash(&[0xff]), 0xff);
        assert_eq!(session_hash(&[1, 2, 3, 4, 5]), 0x0403_0201);
    }

    #[test]
    fn walks_buckets_from_the_last() {
        let mut t = LinearHash::new();
        assert!(t.is_empty());
        for (k, h) in [(0, 0), (1, 1), (2, 7), (3, 9)] {
            t.insert(k, h);
        }
        assert!(!t.is_empty());
        // Buckets (mod 8): 0 -> [0], 1 -> [1, 3], 7 -> [2].
        assert_eq!(t.doall_order(), [2, 1, 3, 0]);
        assert!(t.delete(1, 1, true));
        assert!(!t.delete(1, 1, true));
        assert_eq!(t.doall_order(), [2, 3, 0]);
    }

    #[test]
    fn keys_are_told_apart_by_key_not_only_by_hash() {
        let mut t = LinearHash::new();
        t.insert(1, 5);
        t.insert(1, 5);
        assert_eq!(t.len(), 1, "a replacement adds nothing");
        t.insert(2, 5);
        t.insert(3, 13);
        assert_eq!(t.doall_order(), [1, 2, 3]);
        assert!(t.delete(2, 5, true));
        assert!(!t.delete(3, 5, true), "same bucket, other hash");
        assert_eq!(t.doall_order(), [1, 3]);
    }

    #[test]
    fn split_and_merge_points_follow_the_load() {
        // A split before an insert that finds the load at 2 (items >= 2 *
        // nodes); a merge after a delete that leaves it at 1 or less
        // (items * 256 / nodes <= 256), while more than 16 buckets are in
        // use; none during a flush (`contract` false).
        let mut t = LinearHash::new();
        for k in 0..200u64 {
            t.insert(k, k * 31);
        }
        assert_eq!((t.len(), t.nodes), (200, 100));
        t.delete(0, 0, true);
        assert_eq!((t.len(), t.nodes), (199, 100), "load 1.99: no merge");
        for k in 1..100u64 {
            t.delete(k, k * 31, false);
        }
        assert_eq!((t.len(), t.nodes), (100, 100), "no merge during a flush");
        t.delete(100, 100 * 31, true);
        assert_eq!(t.nodes, 99);
        for k in 101..183u64 {
            t.delete(k, k * 31, true);
        }
        assert_eq!((t.len(), t.nodes), (17, 17));
        for k in 183..190u64 {
            t.delete(k, k * 31, true);
        }
        assert_eq!((t.len(), t.nodes), (10, 16), "never below 16 buckets");
        let mut left = t.doall_order();
        left.sort_unstable();
        assert_eq!(left, (190..200).collect::<Vec<_>>());
    }

    #[test]
    fn every_key_is_found_across_doublings() {
        let mut t = LinearHash::new();
        for k in 0..64u64 {
            t.insert(k, k);
        }
        // 64 keys: the table has doubled twice (16, 32, 64 allocated).
        assert_eq!((t.nodes, t.buckets.len()), (32, 64));
        for k in 0..64u64 {
            assert!(t.delete(k, k, false), "{k}");
        }
        assert!(t.is_empty());
    }

    #[test]
    fn grows_by_splitting_and_shrinks_by_merging() {
        let mut t = LinearHash::new();
        // 16 keys fill 8 buckets to load 2; the 17th insert splits bucket 0.
        for k in 0..17u64 {
            t.insert(k, k);
        }
        assert_eq!(t.nodes, 9);
        // Bucket 0 held 0, 8, 16 (and 16 arrived after the split: 16 % 16
        // is 0); 8 moved to bucket 8.
        assert_eq!(t.buckets[0], [(0, 0), (16, 16)]);
        assert_eq!(t.buckets[8], [(8, 8)]);
        // Many more keys, then deletes down to a low load: the table
        // merges back and still finds every key.
        for k in 17..200u64 {
            t.insert(k, k * 7);
        }
        assert!(t.nodes > MIN_NODES);
        for k in 17..200u64 {
            assert!(t.delete(k, k * 7, true), "{k}");
        }
        assert_eq!(t.len(), 17);
        let mut left = t.doall_order();
        left.sort_unstable();
        assert_eq!(left, (0..17).collect::<Vec<_>>());
    }
}
