//! Time: the clock sessions read, and the expiry arithmetic of libssl
//! (`ssl_session_calculate_timeout`), in both of its representations
//! ([`TimeRepr`]).
//!
//! In 3.0 a session expires at `time + timeout`, computed with wrapping
//! two's complement arithmetic exactly as the shipped 3.0.19 binary does
//! it. When the sum does not fit in an `i64`, the `overflowed` flag is set
//! and the session never expires.

use std::time::{SystemTime, UNIX_EPOCH};

/// The clock sessions are timed by where libssl calls `time(NULL)`: whole
/// seconds since the epoch (negative before it).
pub fn wall_clock() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// The clock a session made now is timed by ([`Session::new`],
/// [`Session::decode`]): whole seconds of the kernel's coarse real-time
/// clock, as libssl 3.0's `time(NULL)` reads it (glibc answers `time` from
/// the same tick-updated seconds). Read through `rustix`, which calls the
/// kernel's vDSO directly: a few nanoseconds, where the precise clock
/// ([`wall_clock`]) costs tens (it was 40 % of a native `new` + `free`)
/// and the same coarse clock through `nix` and glibc about 5 ns more.
///
/// [`Session::new`]: super::Session::new
/// [`Session::decode`]: super::Session::decode
pub fn session_clock() -> i64 {
    #[cfg(target_os = "linux")]
    return rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse).tv_sec;
    #[cfg(not(target_os = "linux"))]
    wall_clock()
}

/// Where a session sits in expiry order: `(overflowed, calc)`, compared
/// lexicographically. Every overflowed session sorts above (expires later
/// than) every other one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Expiry {
    /// `timeout_ovf`: `time + timeout` overflowed; the session never expires.
    pub overflowed: bool,
    /// `calc_timeout`: the expiry point, or the wrapped excess when overflowed.
    pub calc: i64,
}

impl Expiry {
    /// Computes the expiry point of a session with `time` and `timeout`.
    ///
    /// ```
    /// use sessdiff::native::Expiry;
    /// assert_eq!(Expiry::of(5000, 100), Expiry { overflowed: false, calc: 5100 });
    /// assert_eq!(Expiry::of(1, i64::MAX), Expiry { overflowed: true, calc: 1 });
    /// ```
    pub fn of(time: i64, timeout: i64) -> Expiry {
        let room = (i64::MAX as u64).wrapping_sub(time as u64) as i64;
        if timeout > room {
            Expiry {
                overflowed: true,
                calc: timeout.wrapping_sub(room),
            }
        } else {
            Expiry {
                overflowed: false,
                calc: time.wrapping_add(timeout),
            }
        }
    }

    /// `sess_timedout`: expired at `t` when not overflowed and `t > calc`.
    pub fn expired_at(self, t: i64) -> bool {
        !self.overflowed && t > self.calc
    }
}

/// How a session keeps its time and timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeRepr {
    /// `time_t` seconds, with an overflow flag on `time + timeout`, as the
    /// shipped 3.0.19 computes it.
    Seconds,
    /// `time_t` seconds as 3.0.0 and 3.0.8 compute them: a negative
    /// timeout is forced to 0, `calc = time + timeout` wraps, and the
    /// overflow flag is `time > 0 && calc < time`.
    SecondsClamped,
    /// `OSSL_TIME`: unsigned 64-bit nanoseconds (3.2 and later). Seconds
    /// are stored as `(uint64_t)s * 1000000000`, wrapping; they read back
    /// as the quotient by 10^9, so a negative time reads back as a large
    /// positive one. `time + timeout` saturates to "infinite", and every
    /// comparison is unsigned.
    Nanoseconds,
    /// `long` seconds as 1.1.1 keeps them: any timeout is accepted, even a
    /// negative one, and a session expires when the flush time is above
    /// `time + timeout`, computed with wrapping arithmetic and no overflow
    /// flag.
    Long,
}

const NANOS: u64 = 1_000_000_000;
/// Flipping the sign bit maps unsigned order onto signed order.
const SIGN: u64 = 1 << 63;

impl TimeRepr {
    /// What a session stores for `seconds`, as the setters and `d2i`
    /// convert it.
    pub fn store(self, seconds: i64) -> i64 {
        match self {
            TimeRepr::Seconds | TimeRepr::SecondsClamped | TimeRepr::Long => seconds,
            TimeRepr::Nanoseconds => (seconds as u64).wrapping_mul(NANOS) as i64,
        }
    }

    /// What a session stores for the timeout `seconds`
    /// (`ssl_session_calculate_timeout` may force it positive).
    pub fn store_timeout(self, seconds: i64) -> i64 {
        match self {
            TimeRepr::SecondsClamped => seconds.max(0),
            _ => self.store(seconds),
        }
    }

    /// Whether `SSL_SESSION_set_timeout` accepts a negative timeout (1.1.1).
    pub fn accepts_negative_timeout(self) -> bool {
        self == TimeRepr::Long
    }

    /// What the getters (and `i2d`) read back from a stored value.
    pub fn read(self, stored: i64) -> i64 {
        match self {
            TimeRepr::Seconds | TimeRepr::SecondsClamped | TimeRepr::Long => stored,
            TimeRepr::Nanoseconds => (stored as u64 / NANOS) as i64,
        }
    }

    /// The expiry of stored `time` and `timeout`, as an order key.
    pub fn expiry(self, time: i64, timeout: i64) -> Expiry {
        match self {
            TimeRepr::Seconds => Expiry::of(time, timeout),
            TimeRepr::SecondsClamped => {
                let calc = time.wrapping_add(timeout);
                Expiry {
                    overflowed: time > 0 && calc < time,
                    calc,
                }
            }
            TimeRepr::Long => Expiry {
                overflowed: false,
                calc: time.wrapping_add(timeout),
            },
            TimeRepr::Nanoseconds => {
                let calc = (time as u64).saturating_add(timeout as u64);
                Expiry {
                    overflowed: false,
                    calc: (calc ^ SIGN) as i64,
                }
            }
        }
    }

    /// `sess_timedout(t, s)`: whether a session with `expiry` has expired
    /// at the flush time `t` (seconds).
    pub fn expired(self, expiry: Expiry, t: i64) -> bool {
        match self {
            TimeRepr::Seconds | TimeRepr::SecondsClamped | TimeRepr::Long => expiry.expired_at(t),
            TimeRepr::Nanoseconds => ((self.store(t) as u64 ^ SIGN) as i64) > expiry.calc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_clock_is_the_wall_clock_to_the_second() {
        // The coarse clock lags the precise one by at most a tick.
        let before = wall_clock();
        let t = session_clock();
        let after = wall_clock();
        assert!((before - 1..=after).contains(&t), "{before} {t} {after}");
    }

    const M: i64 = i64::MAX;
    const MIN: i64 = i64::MIN;

    #[test]
    fn semantics_vectors() {
        // The table of SEMANTICS.md §6.2.
        let vectors: &[(i64, i64, bool, i64)] = &[
            (5000, 100, false, 5100),
            (0, M, false, M),
            (M, 0, false, M),
            (1, M, true, 1),
            (-1, 0, true, MIN),
            (-1, 5, true, MIN + 5),
            (-2, 0, true, M),
            (-5, 10, true, MIN + 6),
            (MIN, 0, true, 1),
            (MIN, M, true, MIN),
            (-5, MIN, false, M - 4),
            (1, -10, false, -9),
        ];
        for &(time, timeout, overflowed, calc) in vectors {
            assert_eq!(
                Expiry::of(time, timeout),
                Expiry { overflowed, calc },
                "time {time} timeout {timeout}"
            );
        }
    }

    #[test]
    fn nanoseconds_wrap_read_back_and_saturate() {
        let n = TimeRepr::Nanoseconds;
        assert_eq!(n.read(n.store(1_700_000_000)), 1_700_000_000);
        // (uint64_t)-1 * 10^9 wraps to 2^64 - 10^9.
        assert_eq!(n.read(n.store(-1)), 18_446_744_072);
        assert_eq!(n.read(n.store(0)), 0);
        let e = n.expiry(n.store(1000), n.store(300));
        assert!(!n.expired(e, 1300) && n.expired(e, 1301));
        // Saturated: expires at no representable time but one that wraps
        // past it.
        let inf = n.expiry(n.store(-1), n.store(-1));
        assert!(!n.expired(inf, i64::MAX));
        assert!(n.expiry(n.store(5), n.store(1)) < inf);
        // A negative flush time is a huge unsigned one: everything expires.
        assert!(n.expired(e, -1));
    }

    #[test]
    fn clamped_seconds_flag_overflow_only_for_positive_times() {
        let c = TimeRepr::SecondsClamped;
        assert_eq!(
            c.expiry(-1, 304),
            Expiry {
                overflowed: false,
                calc: 303
            }
        );
        assert!(TimeRepr::Seconds.expiry(-1, 304).overflowed);
        assert_eq!(
            c.expiry(i64::MAX, 1),
            Expiry {
                overflowed: true,
                calc: i64::MIN
            }
        );
        assert_eq!(c.store_timeout(i64::MIN), 0);
    }

    #[test]
    fn a_zero_timeout_does_not_overflow_a_clamped_time() {
        // calc == time: not an overflow (3.0.0 flags `calc < time` only).
        assert_eq!(
            TimeRepr::SecondsClamped.expiry(5, 0),
            Expiry {
                overflowed: false,
                calc: 5
            }
        );
    }

    #[test]
    fn nanosecond_expiry_past_the_sign_bit_compares_unsigned() {
        // Expiry and flush time both beyond 2^63 ns (the year 2262).
        let n = TimeRepr::Nanoseconds;
        let e = n.expiry(n.store(9_223_372_040), n.store(0));
        assert!(n.expired(e, 9_223_372_050));
        assert!(!n.expired(e, 9_223_372_030));
    }

    #[test]
    fn strict_boundary() {
        let e = Expiry::of(1000, 300);
        assert!(!e.expired_at(1300));
        assert!(e.expired_at(1301));
        assert!(!Expiry::of(1, M).expired_at(M));
    }
}
