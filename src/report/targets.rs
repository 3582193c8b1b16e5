//! The table of hot paths the report compares, each with its target.

use std::collections::BTreeMap;

/// What a path's native median must reach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// native / libssl at most this.
    Ratio(f64),
    /// native at most this many times the benchmark `floor`'s median.
    Floor(&'static str, f64),
    /// At least this many runs per second on the native side (a
    /// throughput row with no libssl counterpart).
    Rate(f64),
    /// Measured, no target.
    None,
}

/// What a row's figures measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds per run (a criterion median).
    Ns,
    /// Bytes (the memory benchmark's figure, kept as a median).
    Bytes,
}

/// One compared path: a row of the report.
#[derive(Debug, Clone, Copy)]
pub struct Path {
    /// What people read (`new + free`).
    pub name: &'static str,
    /// The criterion id of the native benchmark.
    pub native: &'static str,
    /// The criterion id of the libssl benchmark.
    pub libssl: &'static str,
    /// The target.
    pub goal: Goal,
    /// What the figures measure.
    pub unit: Unit,
}

const fn path(name: &'static str, native: &'static str, libssl: &'static str, goal: Goal) -> Path {
    Path {
        name,
        native,
        libssl,
        goal,
        unit: Unit::Ns,
    }
}

/// Every path, in the report's order.
pub const PATHS: &[Path] = &[
    path(
        "up_ref + free (atomic handle)",
        "up_ref_free/native",
        "up_ref_free/libssl",
        Goal::Floor("up_ref_free/floor_atomic", 1.05),
    ),
    path(
        "up_ref + free, single owner (biased handle, LocalSession)",
        "up_ref_free/native_biased",
        "up_ref_free/libssl",
        Goal::Ratio(0.2),
    ),
    path(
        "get1 + free (atomic handle)",
        "get1_free/native",
        "get1_free/libssl",
        Goal::Ratio(0.3),
    ),
    path(
        "get1 + free, single owner (biased handle, LocalSsl)",
        "get1_free/native_biased",
        "get1_free/libssl",
        Goal::Ratio(0.3),
    ),
    path(
        "new + free",
        "new_free/native",
        "new_free/libssl",
        Goal::Ratio(0.2),
    ),
    path(
        "dup + free",
        "dup_free/native",
        "dup_free/libssl",
        Goal::Ratio(0.2),
    ),
    path(
        "cache add + remove, 10 sessions",
        "cache_add_remove/native/10",
        "cache_add_remove/libssl/10",
        Goal::Ratio(0.5),
    ),
    path(
        "cache add + remove, 1000 sessions",
        "cache_add_remove/native/1000",
        "cache_add_remove/libssl/1000",
        Goal::None,
    ),
    path(
        "cache add + remove, 100,000 sessions, random timeouts",
        "cache_add_remove/native/100000",
        "cache_add_remove/libssl/100000",
        Goal::Ratio(0.01),
    ),
    path(
        "flush half of 10,000",
        "flush_half/native/10000",
        "flush_half/libssl/10000",
        Goal::None,
    ),
    path(
        "encode (i2d)",
        "encode/native",
        "encode/libssl",
        Goal::Ratio(0.5),
    ),
    path(
        "decode (d2i) + free",
        "decode/native",
        "decode/libssl",
        Goal::Ratio(0.5),
    ),
    path(
        "contended up_ref + free, 1 thread",
        "contended/native/1",
        "contended/libssl/1",
        Goal::None,
    ),
    path(
        "contended up_ref + free, 2 threads",
        "contended/native/2",
        "contended/libssl/2",
        Goal::Ratio(1.0),
    ),
    Path {
        name: "memory per cached session, 100,000 sessions",
        native: "memory_per_cached_session/native",
        libssl: "memory_per_cached_session/libssl",
        goal: Goal::Ratio(0.5),
        unit: Unit::Bytes,
    },
    path(
        "differential loop, 32-op programs, one core",
        super::LOOP_ID,
        "",
        Goal::Rate(20_000.0),
    ),
];

/// The cache sizes of the add + remove curve.
pub const CACHE_SIZES: &[u64] = &[10, 1_000, 100_000];

/// The cache sizes of the flush curve (half of each cache flushed).
pub const FLUSH_SIZES: &[u64] = &[100, 1_000, 10_000, 100_000];

/// A path with its measurements.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The path.
    pub name: &'static str,
    /// The native median, ns.
    pub native: Option<f64>,
    /// The libssl median, ns.
    pub libssl: Option<f64>,
    /// The floor's median, ns, for a [`Goal::Floor`].
    pub floor: Option<f64>,
    /// The target.
    pub goal: Goal,
    /// What the figures measure.
    pub unit: Unit,
}

impl Row {
    /// native / libssl.
    pub fn ratio(&self) -> Option<f64> {
        match (self.native, self.libssl) {
            (Some(n), Some(l)) if l > 0.0 => Some(n / l),
            _ => None,
        }
    }

    /// Native runs per second, from the median.
    pub fn rate(&self) -> Option<f64> {
        self.native.filter(|&n| n > 0.0).map(|n| 1e9 / n)
    }

    /// Whether the target is met; `None` without a target or a measurement.
    pub fn met(&self) -> Option<bool> {
        match self.goal {
            Goal::Ratio(max) => self.ratio().map(|r| r <= max),
            Goal::Floor(_, times) => self.native.zip(self.floor).map(|(n, f)| n <= times * f),
            Goal::Rate(min) => self.rate().map(|r| r >= min),
            Goal::None => None,
        }
    }
}

/// The rows of [`PATHS`] with the medians of `est`.
pub fn rows(est: &BTreeMap<String, f64>) -> Vec<Row> {
    PATHS
        .iter()
        .map(|p| Row {
            name: p.name,
            native: est.get(p.native).copied(),
            libssl: est.get(p.libssl).copied(),
            floor: match p.goal {
                Goal::Floor(id, _) => est.get(id).copied(),
                _ => None,
            },
            goal: p.goal,
            unit: p.unit,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_judged_from_the_medians() {
        let est: BTreeMap<String, f64> = [
            ("new_free/native", 10.0),
            ("new_free/libssl", 100.0),
            ("dup_free/native", 30.0),
            ("dup_free/libssl", 100.0),
            ("up_ref_free/native", 5.1),
            ("up_ref_free/floor_atomic", 5.0),
            ("flush_half/native/10000", 1.0),
            ("flush_half/libssl/10000", 2.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let rows = rows(&est);
        let row = |name| rows.iter().find(|r| r.name == name).unwrap();
        assert_eq!(row("new + free").met(), Some(true));
        assert_eq!(row("dup + free").met(), Some(false));
        assert_eq!(row("up_ref + free (atomic handle)").met(), Some(true));
        assert_eq!(row("flush half of 10,000").met(), None);
        assert_eq!(
            row("get1 + free (atomic handle)").met(),
            None,
            "not measured"
        );
        assert_eq!(row("flush half of 10,000").ratio(), Some(0.5));
    }

    #[test]
    fn memory_and_loop_rows_are_judged() {
        let est: BTreeMap<String, f64> = [
            ("memory_per_cached_session/native", 400.0),
            ("memory_per_cached_session/libssl", 1000.0),
            ("differential_loop/ops_32", 100_000.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let rows = rows(&est);
        let mem = rows.iter().find(|r| r.unit == Unit::Bytes).unwrap();
        assert_eq!(mem.met(), Some(true));
        let dl = rows
            .iter()
            .find(|r| r.name.starts_with("differential loop"))
            .unwrap();
        assert_eq!(dl.rate(), Some(10_000.0));
        assert_eq!(
            dl.met(),
            Some(false),
            "10,000 programs/s is short of 20,000"
        );
    }

    #[test]
    fn every_cache_size_has_a_row() {
        for n in CACHE_SIZES {
            let id = format!("cache_add_remove/native/{n}");
            assert!(PATHS.iter().any(|p| p.native == id), "{id}");
        }
    }
}
