//! Time: the clock sessions read, and the expiry arithmetic of libssl 3.0
//! (`ssl_session_calculate_timeout`).
//!
//! A session expires at `time + timeout`, computed with wrapping two's
//! complement arithmetic exactly as the shipped 3.0.19 binary does it. When
//! the sum does not fit in an `i64`, the `overflowed` flag is set and the
//! session never expires.

use std::time::{SystemTime, UNIX_EPOCH};

/// The clock sessions are timed by where libssl calls `time(NULL)`: whole
/// seconds since the epoch (negative before it).
pub fn wall_clock() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn strict_boundary() {
        let e = Expiry::of(1000, 300);
        assert!(!e.expired_at(1300));
        assert!(e.expired_at(1301));
        assert!(!Expiry::of(1, M).expired_at(M));
    }
}
