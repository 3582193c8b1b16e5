//! Profiles: where libssl's releases differ in session behaviour, the
//! native model has a switch, and a [`Profile`] sets every switch as one
//! release does. Each switch names the first release that has its newer
//! behaviour; none is guessed — each was found by the lockstep harness
//! against that release and read back from its source.
//!
//! The default, [`Profile::V3_0`], is libssl 3.0's behaviour as
//! `SEMANTICS.md` describes it.

use std::fmt;
use std::sync::Mutex;

use super::ciphers::KNOWN_CIPHERS;

pub use super::time::TimeRepr;

/// When the cache calls back and releases the sessions that flush and
/// eviction remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Removals {
    /// Each removed session is called back under the cache's lock, in
    /// removal order; flush releases them all afterwards, in the same
    /// order, and eviction releases each right after its callback (3.0).
    UnderLock,
    /// Sessions are gathered under the lock and, once it is released,
    /// called back and released one at a time, the most recently removed
    /// first (4.0: `SSL_CTX_flush_sessions_ex` pops a stack, and
    /// `SSL_CTX_add_session` walks a list of evictions built at its head).
    AfterUnlockNewestFirst,
    /// Each removed session is called back and released before the next
    /// is looked at, under the lock (1.1.1: `timeout_cb` frees each
    /// session inside the hash table walk).
    EachInTurn,
}

/// How the cache keeps its sessions in order, and so which it evicts and
/// in which order a flush visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheList {
    /// The list is sorted by expiry (3.0: `SSL_SESSION_list_add` walks it
    /// by `calc_timeout`, and `set_time` re-sorts a cached session); flush
    /// walks from the first to expire and stops at the first survivor.
    ByExpiry,
    /// The list is in order of adding and `set_time` leaves it alone
    /// (1.1.1); flush tests every session, in the order of libssl's hash
    /// table (`lh_SSL_SESSION_doall`: bucket by bucket from the last, each
    /// bucket's chain in order).
    ByAdding,
}

/// What adding a session that is already cached does to its place in the
/// expiry list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReAdd {
    /// It is listed again: it moves to the head end of its expiry group
    /// (3.0: `SSL_SESSION_list_add` runs for every add).
    MovesToHead,
    /// It stays where it is (3.6: only a new entry is listed).
    StaysInPlace,
}

/// What a failed `SSL_SESSION_dup` leaves queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DupFailure {
    /// `ERR_R_MALLOC_FAILURE` (1.1.1, 3.0: `ssl_session_dup_intern` raises
    /// it on every failure).
    MallocFailure,
    /// Nothing (3.2: allocation failures raise no error any more), except
    /// `ERR_R_CRYPTO_LIB` when an ex_data dup callback refused.
    Silent,
}

/// A release's behaviour where releases differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Profile {
    /// The release, as `OpenSSL_version_num` gives it (`0x30000130` for
    /// 3.0.19).
    pub release: u64,
    /// How flush and eviction call back and release.
    pub removals: Removals,
    /// Where a re-added session goes.
    pub re_add: ReAdd,
    /// How sessions keep their time and timeout.
    pub time: TimeRepr,
    /// The cipher suites the library knows by their two-byte code, sorted:
    /// it depends on the release and on how the library was configured
    /// (the openssl-src crate's builds leave out Camellia, IDEA and SEED,
    /// for example), so `auto` reads it from the linked library.
    pub ciphers: &'static [u16],
    /// What a failed dup queues.
    pub dup_failure: DupFailure,
    /// Whether the template has `[20] peer_rpk` (3.2): a `[20]` is then
    /// parsed (and refused, as a key the model does not hold) rather than
    /// being data after the last field; and `[20]`, not `[19]`, is the
    /// field that cannot be skipped while data remains.
    pub peer_rpk: bool,
    /// Whether the library was built with compression: a build option, not
    /// a release's (Debian's builds have it; the openssl-src crate
    /// configures `no-comp`), so `auto` probes the linked library. Without
    /// it `d2i` reads `[11]` and ignores it.
    pub compression: bool,
    /// Whether `SSL_SESSION_new` leaves `max_fragment_len_mode`
    /// `UNSPECIFIED` (255), which the getter reads back as 0 (3.0.19 and
    /// 3.5 on, measured); otherwise it starts at 0 and the getter returns
    /// the raw byte (3.0.0, 3.0.8, 3.2.1; the releases between are not
    /// measured).
    pub mfl_unspecified: bool,
    /// Whether a long-form length needs a byte after its length octets,
    /// so that `04 81 00` ending an element is refused (`asn1_get_length`
    /// until 3.6; 3.0.22 fixed it too).
    pub long_length_quirk: bool,
    /// Whether the template has `[19] kex_group` (3.0).
    pub kex_group: bool,
    /// The longest master key a session holds (`TLS13_MAX_RESUMPTION_PSK_LENGTH`:
    /// 256 in 1.1.1, 512 from 3.0).
    pub master_key_max: usize,
    /// 1.1.1's ASN.1 error codes: `ERR_R_NESTED_ASN1_ERROR` is reason 58
    /// (3.0: 266 with the common-reason flag), and an empty input is not
    /// refused up front as `ASN1_R_TOO_SMALL`, so it fails as a nested
    /// error too.
    pub legacy_errors: bool,
    /// How the cache orders its sessions.
    pub cache_list: CacheList,
    /// Whether a new entry is listed before the cache evicts, which then
    /// trims while it holds more than `size` (1.1.1, 3.0.0: the capacity
    /// is `size`, and a new entry that expires first is evicted at once);
    /// otherwise the cache evicts while it holds at least `size`, counting
    /// the new entry, and lists it after (3.0.8 on: the capacity is
    /// `size - 1`).
    pub evict_after_listing: bool,
    /// A library bug, not a behaviour: `SSL_SESSION_dup` copies `owner`,
    /// so the dup of a cached session believes it is cached, and
    /// `set_time` or `set_timeout` on it links it into the cache's list
    /// (measured in 3.0.0 and 3.0.8: the list is corrupted, and the
    /// library later crashes or loops; 3.0.19 clears `owner`). Under a
    /// profile with this bug the harness refuses those two calls on such a
    /// dup (the native backend's `Backend::hazard`) and counts them.
    pub dup_keeps_owner: bool,
}

impl Profile {
    /// libssl 3.0 (`SEMANTICS.md`).
    pub const V3_0: Profile = Profile {
        release: 0x3000_0130,
        removals: Removals::UnderLock,
        re_add: ReAdd::MovesToHead,
        time: TimeRepr::Seconds,
        ciphers: &KNOWN_CIPHERS,
        dup_failure: DupFailure::MallocFailure,
        peer_rpk: false,
        compression: true,
        mfl_unspecified: true,
        long_length_quirk: true,
        kex_group: true,
        master_key_max: 512,
        legacy_errors: false,
        cache_list: CacheList::ByExpiry,
        evict_after_listing: false,
        dup_keeps_owner: false,
    };

    /// libssl 4.0.
    pub const V4_0: Profile = Profile {
        release: 0x4000_0030,
        removals: Removals::AfterUnlockNewestFirst,
        re_add: ReAdd::StaysInPlace,
        time: TimeRepr::Nanoseconds,
        ciphers: &KNOWN_CIPHERS,
        dup_failure: DupFailure::Silent,
        peer_rpk: true,
        compression: true,
        mfl_unspecified: true,
        long_length_quirk: false,
        kex_group: true,
        master_key_max: 512,
        legacy_errors: false,
        cache_list: CacheList::ByExpiry,
        evict_after_listing: false,
        dup_keeps_owner: false,
    };

    /// The profile of the release `OpenSSL_version_num` reports as
    /// `version_num`: each switch takes the behaviour of the first release
    /// known to have it.
    pub fn for_release(version_num: u64) -> Profile {
        // The low nibble is 1.1.1's release status (0xf); 3.x keeps it 0.
        let version_num = version_num & !0xf;
        let v4 = version_num >= 0x4000_0000;
        let v1 = version_num < 0x3000_0000;
        Profile {
            release: version_num,
            removals: if v4 {
                Removals::AfterUnlockNewestFirst
            } else if v1 {
                Removals::EachInTurn
            } else {
                Removals::UnderLock
            },
            re_add: if version_num >= 0x3060_0000 || v1 {
                ReAdd::StaysInPlace
            } else {
                ReAdd::MovesToHead
            },
            time: if version_num >= 0x3020_0000 {
                TimeRepr::Nanoseconds
            } else if v1 {
                TimeRepr::Long
            } else if (0x3000_0000..0x3000_00f0).contains(&version_num)
                || (0x3010_0000..0x3010_0070).contains(&version_num)
            {
                // Measured in 3.0.0 to 3.0.8 and in 3.1.4 (docs/matrix.md);
                // 3.0.15 and 3.1.7 compute it as `Seconds` (commit
                // eb9790f7, "fix undefined behavior on 3.1"): measured in
                // 3.0.19.
                TimeRepr::SecondsClamped
            } else {
                TimeRepr::Seconds
            },
            ciphers: &KNOWN_CIPHERS,
            dup_failure: if version_num >= 0x3020_0000 {
                DupFailure::Silent
            } else {
                DupFailure::MallocFailure
            },
            peer_rpk: version_num >= 0x3020_0000,
            compression: true,
            // From 3.0.15, 3.1.7, 3.2.3 and 3.3.2 (all released on
            // 2024-09-03: commit 6f4e5d81, "Fix handling of
            // max_fragment_length extension for PSK") and 3.4.0: measured
            // in 3.0.19, 3.3.2, 3.4.1 and later; not in 3.1.4 or 3.2.1.
            mfl_unspecified: version_num >= 0x3040_0000
                || (0x3030_0020..0x3040_0000).contains(&version_num)
                || (0x3020_0030..0x3030_0000).contains(&version_num)
                || (0x3010_0070..0x3020_0000).contains(&version_num)
                || (0x3000_00f0..0x3010_0000).contains(&version_num),
            long_length_quirk: !(version_num >= 0x3060_0000
                || (0x3000_0160..0x3010_0000).contains(&version_num)),
            kex_group: !v1,
            master_key_max: if v1 { 256 } else { 512 },
            legacy_errors: v1,
            cache_list: if v1 {
                CacheList::ByAdding
            } else {
                CacheList::ByExpiry
            },
            // Measured in 3.0.0 to 3.0.5; 3.0.6 evicts first (commit
            // 2db226ce, "Free up space in the session cache before
            // adding"; 3.0.6 was withdrawn): measured from 3.0.7 on.
            evict_after_listing: v1 || (0x3000_0000..0x3000_0060).contains(&version_num),
            // Measured in 3.0.0 to 3.0.8; 3.0.9 clears `owner` (commit
            // 98be1f56, "Clear ownership when duplicating sessions"):
            // measured in 3.0.19.
            dup_keeps_owner: (0x3000_0000..0x3000_0090).contains(&version_num),
        }
    }

    /// The profile of a release named `3.0.19`, `4.0.3`, …
    pub fn named(name: &str) -> Option<Profile> {
        let mut parts = name.split('.');
        let mut num = |max: u64| parts.next()?.parse::<u64>().ok().filter(|&n| n <= max);
        let (major, minor) = (num(15)?, num(255)?);
        let patch_text = name.splitn(3, '.').nth(2)?;
        let num = if major >= 3 {
            let patch = patch_text.parse::<u64>().ok().filter(|&p| p <= 255)?;
            (major << 28) | (minor << 20) | (patch << 4)
        } else {
            // 1.1.1 and 1.1.1a to 1.1.1z: a fix digit, then a letter that
            // counts as the patch (none: 0).
            let b = patch_text.as_bytes();
            let fix = match b.first() {
                Some(d) if d.is_ascii_digit() => u64::from(d - b'0'),
                _ => return None,
            };
            let patch = match b.get(1..) {
                Some([]) => 0,
                Some([l]) if l.is_ascii_lowercase() => u64::from(l - b'a' + 1),
                _ => return None,
            };
            (major << 28) | (minor << 20) | (fix << 12) | (patch << 4)
        };
        Some(Profile::for_release(num))
    }
}

/// One switch of [`Profile`]: a behaviour that differs between releases.
pub struct Switch {
    /// The field's name, as `--model 4.0.3,re_add=3.0.19` names it.
    pub name: &'static str,
    /// Which releases have which behaviour.
    pub releases: &'static str,
    /// What an application sees change, in one sentence.
    pub what: &'static str,
    differs: fn(&Profile, &Profile) -> bool,
    take: fn(&mut Profile, &Profile),
    show: fn(&Profile) -> String,
}

impl Switch {
    /// Whether `a` and `b` set this switch differently.
    pub fn differs(&self, a: &Profile, b: &Profile) -> bool {
        (self.differs)(a, b)
    }

    /// How `p` sets this switch, as the code names it: `Nanoseconds`,
    /// `true`, `512`.
    pub fn value(&self, p: &Profile) -> String {
        (self.show)(p)
    }

    /// `profile` with this switch set as in `from`.
    pub fn taken_from(&self, profile: Profile, from: &Profile) -> Profile {
        let mut p = profile;
        (self.take)(&mut p, from);
        p
    }
}

impl fmt::Debug for Switch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

macro_rules! switches {
    ($($field:ident: $releases:literal, $what:literal;)*) => {
        /// Every switch of [`Profile`] that follows the release (the cipher
        /// table and compression follow the build, not the release).
        pub const SWITCHES: &[Switch] = &[$(Switch {
            name: stringify!($field),
            releases: $releases,
            what: $what,
            differs: |a, b| a.$field != b.$field,
            take: |a, b| a.$field = b.$field,
            show: |p| format!("{:?}", p.$field),
        }),*];

        // Every field is a switch or a build option: a new field is a
        // compile error here until it is listed.
        #[allow(dead_code)]
        fn every_field_is_listed(p: Profile) {
            let Profile { release: _, ciphers: _, compression: _, $($field: _),* } = p;
        }
    };
}

switches! {
    time: "1.1.1: `long` seconds, no overflow check; 3.0.0-3.0.14 and 3.1.0-3.1.6: clamped seconds; 3.0.15 and 3.1.7 on: seconds with an overflow flag; 3.2 on: nanoseconds",
        "How `time + timeout` is computed (overflow, negative values) and what the getters read back: which sessions a flush removes, and in which order they expire.";
    cache_list: "1.1.1: order of adding; 3.0 on: sorted by expiry",
        "Which session eviction removes, the order flush and `SSL_CTX_free` remove sessions in, and whether `set_time` re-sorts a cached session.";
    evict_after_listing: "1.1.1 and 3.0.0-3.0.5: after listing; 3.0.6 on: before",
        "How many sessions fit (`size` or `size - 1`), and whether a new session that expires first is evicted as soon as it is added.";
    removals: "1.1.1: each in turn; 3.0-3.6: under the lock; 4.0 on: after the lock, newest first",
        "The order of remove callbacks and frees on flush, eviction and `SSL_CTX_free`.";
    re_add: "1.1.1 and 3.6 on: stays in place; 3.0-3.5: moves to the head",
        "Where adding an already cached session puts it, and so what is evicted next.";
    dup_failure: "1.1.1-3.0: ERR_R_MALLOC_FAILURE; 3.2 on: nothing, or ERR_R_CRYPTO_LIB for a refusing ex_data dup callback",
        "What a failed `SSL_SESSION_dup` leaves in the error queue.";
    peer_rpk: "3.2 on",
        "`d2i_SSL_SESSION` reads `[20]` (a peer's raw public key) instead of taking it for data after the last field.";
    mfl_unspecified: "from 3.0.15, 3.1.7, 3.2.3, 3.3.2 and 3.4 (1.1.1 and the releases of 3.0-3.3 before them: not)",
        "`SSL_SESSION_get_max_fragment_length` of a new session: 0 from an `UNSPECIFIED` mode, or the raw byte.";
    long_length_quirk: "until 3.6 (and 3.0.21); fixed in 3.0.22 and 3.6",
        "Whether a long-form DER length at the very end of an element is refused.";
    kex_group: "3.0 on",
        "Whether encodings carry `[19] kex_group` and `d2i_SSL_SESSION` reads it.";
    master_key_max: "1.1.1: 256 bytes; 3.0 on: 512",
        "The longest master key `SSL_SESSION_set1_master_key` and `d2i_SSL_SESSION` accept.";
    legacy_errors: "1.1.1",
        "The ASN.1 error codes a failed `d2i_SSL_SESSION` leaves queued.";
    dup_keeps_owner: "3.0.0-3.0.8 (a bug; 3.0.9 fixed it)",
        "`set_time` or `set_timeout` on the dup of a cached session corrupts the cache (crash or hang later).";
}

/// The switch named `name`.
pub fn switch(name: &str) -> Option<&'static Switch> {
    SWITCHES.iter().find(|s| s.name == name)
}

impl Profile {
    /// A profile from its text: a release (`3.0.19`), optionally followed
    /// by switches taken from other releases: `4.0.3,re_add=3.0.19`. Each
    /// release must be one the table of [`super::releases`] knows; one that
    /// was not measured gives the profile of the measured release it
    /// follows.
    pub fn parse(spec: &str) -> Result<Profile, String> {
        let mut parts = spec.split(',');
        let base = parts.next().unwrap_or_default();
        let mut p = super::releases::lookup(base)?.profile();
        for part in parts {
            let (name, release) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected SWITCH=RELEASE, e.g. re_add=3.0.19"))?;
            let sw = switch(name).ok_or_else(|| {
                let names: Vec<_> = SWITCHES.iter().map(|s| s.name).collect();
                format!("`{name}` is not a switch (one of {})", names.join(", "))
            })?;
            let from = super::releases::lookup(release)?.profile();
            p = sw.taken_from(p, &from);
        }
        Ok(p)
    }
}

impl Profile {
    /// The profile of a library built with or without compression.
    pub fn with_compression(self, compression: bool) -> Profile {
        Profile {
            compression,
            ..self
        }
    }

    /// The profile with the cipher table `ciphers` (sorted).
    pub fn with_ciphers(self, ciphers: &'static [u16]) -> Profile {
        Profile { ciphers, ..self }
    }

    /// Whether the library knows a cipher suite by `code`.
    pub fn cipher_known(&self, code: u16) -> bool {
        self.ciphers.binary_search(&code).is_ok()
    }

    /// The one `'static` copy of this profile (sessions and caches hold a
    /// reference; there are only ever a few profiles in a process).
    pub fn interned(self) -> &'static Profile {
        static ALL: Mutex<Vec<&'static Profile>> = Mutex::new(Vec::new());
        let mut all = ALL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = all.iter().find(|p| ***p == self) {
            return p;
        }
        let p: &'static Profile = Box::leak(Box::new(self));
        all.push(p);
        p
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::V3_0
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.release;
        let (major, minor) = (v >> 28, (v >> 20) & 0xff);
        if major >= 3 {
            write!(f, "{major}.{minor}.{}", (v >> 4) & 0xff)
        } else {
            let (fix, patch) = ((v >> 12) & 0xff, (v >> 4) & 0xff);
            let letter = if patch == 0 {
                String::new()
            } else {
                ((b'a' + patch as u8 - 1) as char).to_string()
            };
            write!(f, "{major}.{minor}.{fix}{letter}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_agree() {
        for (name, num) in [
            ("3.0.19", 0x3000_0130),
            ("4.0.3", 0x4000_0030),
            ("1.1.1w", 0x1010_1170),
            ("1.1.1", 0x1010_1000),
            ("1.1.1a", 0x1010_1010),
            ("3.5.5", 0x3050_0050),
        ] {
            let p = Profile::named(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(p.release, num, "{name}");
            assert_eq!(p.to_string(), name);
        }
        for bad in ["", "3", "3.0", "x.y.z", "3.0.x", "1.1.1ww"] {
            assert_eq!(Profile::named(bad), None, "{bad}");
        }
    }

    #[test]
    fn switches_follow_the_release() {
        assert_eq!(Profile::named("3.0.19"), Some(Profile::V3_0));
        assert_eq!(Profile::named("4.0.3"), Some(Profile::V4_0));
        assert_eq!(
            Profile::named("3.6.3").unwrap().removals,
            Removals::UnderLock
        );
        assert_eq!(
            Profile::for_release(0x1010_117f),
            Profile::named("1.1.1w").unwrap()
        );
    }
}
