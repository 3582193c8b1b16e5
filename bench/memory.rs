//! Memory per cached session, native against libssl: 100,000 sessions
//! (an 8-byte id and a time each, as in the cache benchmarks) held only by
//! the cache, bytes counted on both sides — a counting global allocator for
//! the native side, libcrypto's own allocation hooks
//! (`CRYPTO_set_mem_functions`) for libssl. Bytes are what was asked for,
//! without the allocator's overhead, on both sides.
//!
//! `cargo bench --bench memory` writes the two figures where criterion
//! keeps its medians (`target/criterion/memory_per_cached_session/`), so
//! `sessdiff report` shows them as a row with its target.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use sessdiff::{native, ossl};

/// Counts the live bytes of the Rust heap.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only the
// count is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        // SAFETY: the caller's layout, as GlobalAlloc requires.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: `p` came from `alloc` with `l`.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        LIVE.fetch_add(n, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const SESSIONS: usize = 100_000;
const BASE_TIME: i64 = 1_700_000_000;

fn id(i: usize) -> [u8; 8] {
    (i as u64).to_le_bytes()
}

/// Writes `value` as a criterion median for benchmark `id`.
fn record(id: &str, value: f64) {
    let root =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let dir = root.join("criterion").join(id).join("new");
    std::fs::create_dir_all(&dir).expect("the criterion folder can be made");
    let json = format!(
        "{{\"median\":{{\"point_estimate\":{value}}},\"unit\":\"bytes per cached session\"}}"
    );
    std::fs::write(dir.join("estimates.json"), json).expect("the estimate can be written");
}

fn main() {
    assert!(
        ossl::mem::count_allocations(),
        "libcrypto allocated before the counting hooks could be installed"
    );

    let cache = native::Cache::new();
    cache.set_size(0);
    let before = LIVE.load(Ordering::Relaxed);
    for i in 0..SESSIONS {
        let s = native::Session::new();
        s.set_time(BASE_TIME + i as i64);
        s.set1_id(&id(i)).unwrap();
        cache.add(&s);
    }
    let native_bytes = LIVE.load(Ordering::Relaxed) - before;
    assert_eq!(cache.len(), SESSIONS);

    let mut ctx = ossl::Ctx::plain().expect("SSL_CTX_new");
    ctx.set_cache_size(0);
    let before = ossl::mem::live_bytes();
    for i in 0..SESSIONS {
        let s = ossl::Session::plain().expect("SSL_SESSION_new");
        s.set_time(BASE_TIME + i as i64);
        s.set1_id(&id(i)).unwrap();
        ctx.add(&s).unwrap();
    }
    let libssl_bytes = ossl::mem::live_bytes() - before;
    assert_eq!(ctx.sess_number(), SESSIONS as i64);

    let per = |b: usize| b as f64 / SESSIONS as f64;
    println!(
        "memory per cached session at {SESSIONS}: native {:.1} bytes, libssl {:.1} bytes ({}), ratio {:.3}",
        per(native_bytes),
        per(libssl_bytes),
        ossl::version(),
        native_bytes as f64 / libssl_bytes as f64
    );
    record("memory_per_cached_session/native", per(native_bytes));
    record("memory_per_cached_session/libssl", per(libssl_bytes));
}
