//! Profiles: where libssl's releases differ in session behaviour, the
//! native model has a switch, and a [`Profile`] sets every switch as one
//! release does. Each switch names the first release that has its newer
//! behaviour; none is guessed — each was found by the lockstep harness
//! against that release and read back from its source.
//!
//! The default, [`Profile::V3_0`], is libssl 3.0's behaviour as
//! `SEMANTICS.md` describes it.

use std::fmt;

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
}

/// What adding a session that is already cached does to its place in the
/// expiry list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReAdd {
    /// It is listed again: it moves to the head end of its expiry group
    /// (3.0: `SSL_SESSION_list_add` runs for every add).
    MovesToHead,
    /// It stays where it is (4.0: only a new entry is listed).
    StaysInPlace,
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
}

impl Profile {
    /// libssl 3.0 (`SEMANTICS.md`).
    pub const V3_0: Profile = Profile {
        release: 0x3000_0130,
        removals: Removals::UnderLock,
        re_add: ReAdd::MovesToHead,
        time: TimeRepr::Seconds,
    };

    /// libssl 4.0.
    pub const V4_0: Profile = Profile {
        release: 0x4000_0030,
        removals: Removals::AfterUnlockNewestFirst,
        re_add: ReAdd::StaysInPlace,
        time: TimeRepr::Nanoseconds,
    };

    /// The profile of the release `OpenSSL_version_num` reports as
    /// `version_num`: each switch takes the behaviour of the first release
    /// known to have it.
    pub fn for_release(version_num: u64) -> Profile {
        // The low nibble is 1.1.1's release status (0xf); 3.x keeps it 0.
        let version_num = version_num & !0xf;
        let v4 = version_num >= 0x4000_0000;
        Profile {
            release: version_num,
            removals: if v4 {
                Removals::AfterUnlockNewestFirst
            } else {
                Removals::UnderLock
            },
            re_add: if v4 {
                ReAdd::StaysInPlace
            } else {
                ReAdd::MovesToHead
            },
            time: if version_num >= 0x3020_0000 {
                TimeRepr::Nanoseconds
            } else {
                TimeRepr::Seconds
            },
        }
    }

    /// The profile of a release named `3.0.19`, `4.0.3`, …
    pub fn named(name: &str) -> Option<Profile> {
        let mut parts = name.split('.');
        let mut num = |max: u64| parts.next()?.parse::<u64>().ok().filter(|&n| n <= max);
        let (major, minor) = (num(15)?, num(255)?);
        let patch_text = name.splitn(3, '.').nth(2)?;
        // 1.1.1w: the letter counts as the patch.
        let patch = match patch_text.parse::<u64>() {
            Ok(p) if p <= 255 => p,
            _ if major == 1 && patch_text.len() == 2 => {
                let b = patch_text.as_bytes();
                if !b[0].is_ascii_digit() || !b[1].is_ascii_lowercase() {
                    return None;
                }
                u64::from(b[1] - b'a' + 1)
            }
            _ => return None,
        };
        let num = if major >= 3 {
            (major << 28) | (minor << 20) | (patch << 4)
        } else {
            let fix = name.splitn(3, '.').nth(2)?.as_bytes()[0] - b'0';
            (major << 28) | (minor << 20) | (u64::from(fix) << 12) | (patch << 4)
        };
        Some(Profile::for_release(num))
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
