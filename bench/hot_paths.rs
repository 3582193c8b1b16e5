//! The hot paths of the native implementation against libssl 3.0, measured
//! in the same run. `scripts/report.sh` turns the results into a report.
//!
//! Groups (each with a `native` and a `libssl` function):
//! * `up_ref_free` — one reference taken and released on a live session;
//!   `floor_atomic` is two bare atomic operations (the physical floor of a
//!   thread-safe count), `floor_biased` two plain increments (what a biased
//!   scheme's owner-thread path could cost);
//! * `get1_free` — `SSL_get1_session` and a release, on an `SSL` holding a
//!   session; `native_biased` on a `LocalSsl` (biased count, no atomics);
//! * `new_free`, `dup_free` — a session with id, 48-byte master key, host
//!   name and ALPN;
//! * `cache_add_remove/N` — add and remove one session in a cache of N
//!   sessions with random expiry times;
//! * `flush_half/N` — flush half of a cache of N sessions with random
//!   expiry times;
//! * `contended` — `up_ref + free` on one shared session, from one thread
//!   and from two at once (time per operation per thread);
//! * `encode` — the DER encoding of the rich session with a cipher
//!   (`i2d_SSL_SESSION` twice, for the length and the bytes, as callers do);
//! * `decode` — `d2i_SSL_SESSION` of that encoding with a ticket added, and
//!   the release of the new session;
//! * `differential_loop` — the harness itself: one 32-op campaign program
//!   (seed 1, cycling through 256 of them) on fresh backends, every
//!   observable compared after every step, as `sessdiff fuzz` runs it; its
//!   throughput is programs per second.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use sessdiff::report::targets::{CACHE_SIZES, FLUSH_SIZES};
use sessdiff::{campaign, lockstep, native, ossl};

const BASE_TIME: i64 = 1_700_000_000;

fn native_rich() -> native::Session {
    let s = native::Session::new();
    s.set1_id(&[7; 32]).unwrap();
    s.set1_master_key(&[0x4d; 48]).unwrap();
    s.set1_hostname(Some(b"server.example"));
    s.set1_alpn_selected(Some(b"h2"));
    s
}

fn libssl_rich() -> ossl::Session {
    let s = ossl::Session::plain().unwrap();
    s.set1_id(&[7; 32]).unwrap();
    s.set1_master_key(&[0x4d; 48]);
    s.set1_hostname(Some(b"server.example")).unwrap();
    s.set1_alpn_selected(Some(b"h2"));
    s
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    let n = native_rich();
    n.set_cipher(Some(0x1301));
    g.bench_function("native", |b| b.iter(|| black_box(n.read().encode())));
    let l = libssl_rich();
    l.set_cipher(Some(0x1301));
    let v = l.view();
    g.bench_function("libssl", |b| {
        b.iter(|| black_box(v.encoding_measured_first()))
    });
    g.finish();
}

/// The rich session's encoding with TLS 1.3 and a 160-byte ticket, as
/// libssl writes it.
fn rich_der() -> Vec<u8> {
    let l = libssl_rich();
    l.set_cipher(Some(0x1301));
    l.set_protocol_version(0x0304).unwrap();
    l.set_time(BASE_TIME);
    let der = l.view().encoding();
    // Splice [10] in before [16] (the ALPN): a ticket has no setter, but
    // resumed sessions carry one.
    let header = match der[1] {
        0x81 => 3,
        0x82 => 4,
        _ => 2,
    };
    let alpn = [0xb0, 0x04, 0x04, 0x02, b'h', b'2'];
    let at = der
        .windows(6)
        .position(|w| w == alpn)
        .expect("[16] is there");
    let mut body = der[header..at].to_vec();
    body.extend([0xaa, 0x81, 0xa3, 0x04, 0x81, 0xa0]);
    body.extend([0x74; 160]);
    body.extend(&der[at..]);
    let mut out = vec![0x30, 0x82];
    out.extend((body.len() as u16).to_be_bytes());
    out.extend(body);
    out
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    let der = rich_der();
    let (n, _) = native::Session::decode(&der).expect("native decodes it");
    let (l, _) = ossl::Session::decode_plain(&der).expect("libssl decodes it");
    // The native side follows 3.0 here; 1.1.1 (scripts/bench-releases.sh)
    // writes no [19].
    if ossl::version_num() >= 0x3000_0000 {
        assert_eq!(
            n.read().encode(),
            Some(l.view().encoding()),
            "the same session"
        );
    }
    g.bench_function("native", |b| {
        b.iter(|| black_box(native::Session::decode(black_box(&der))))
    });
    g.bench_function("libssl", |b| {
        b.iter(|| black_box(ossl::Session::decode_plain(black_box(&der))))
    });
    g.finish();
}

fn up_ref_free(c: &mut Criterion) {
    let mut g = c.benchmark_group("up_ref_free");
    let n = native::Session::new();
    g.bench_function("native", |b| b.iter(|| drop(black_box(n.up_ref()))));
    // The biased handle: the owner thread's references, counted plainly.
    let local = native::LocalSession::new(native::Session::new());
    g.bench_function("native_biased", |b| {
        b.iter(|| drop(black_box(local.up_ref())))
    });
    let l = ossl::Session::plain().unwrap();
    g.bench_function("libssl", |b| b.iter(|| drop(black_box(l.clone()))));
    let count = AtomicUsize::new(1);
    g.bench_function("floor_atomic", |b| {
        b.iter(|| {
            black_box(&count).fetch_add(1, Ordering::Relaxed);
            black_box(&count).fetch_sub(1, Ordering::Release);
        })
    });
    let plain = Cell::new(1usize);
    g.bench_function("floor_biased", |b| {
        b.iter(|| {
            let c = black_box(&plain);
            c.set(c.get() + 1);
            let c = black_box(&plain);
            c.set(c.get() - 1);
        })
    });
    g.finish();
}

fn get1_free(c: &mut Criterion) {
    let mut g = c.benchmark_group("get1_free");
    let mut ssl = native::Ssl::new();
    ssl.set_session(Some(&native::Session::new()));
    g.bench_function("native", |b| b.iter(|| drop(black_box(ssl.get1_session()))));
    let mut local = native::LocalSsl::new();
    local.set_session(Some(&native::LocalSession::new(native::Session::new())));
    g.bench_function("native_biased", |b| {
        b.iter(|| drop(black_box(local.get1_session())))
    });
    let ctx = ossl::Ctx::plain().unwrap();
    let mut lssl = ossl::Ssl::new(&ctx).unwrap();
    lssl.set_session(Some(&ossl::Session::plain().unwrap()));
    g.bench_function("libssl", |b| {
        b.iter(|| drop(black_box(lssl.get1_session())))
    });
    g.finish();
}

fn new_free(c: &mut Criterion) {
    let mut g = c.benchmark_group("new_free");
    g.bench_function("native", |b| {
        b.iter(|| drop(black_box(native::Session::new())))
    });
    g.bench_function("libssl", |b| {
        b.iter(|| drop(black_box(ossl::Session::plain().unwrap())))
    });
    g.finish();
}

/// The session dup copies: id, 48-byte master key, host name, ALPN,
/// cipher and a 160-byte ticket (decoded, the only way to a ticket).
fn dup_free(c: &mut Criterion) {
    let mut g = c.benchmark_group("dup_free");
    let der = rich_der();
    let (n, _) = native::Session::decode(&der).expect("native decodes it");
    let (l, _) = ossl::Session::decode_plain(&der).expect("libssl decodes it");
    assert!(n.read().has_ticket() && l.view().has_ticket());
    g.bench_function("native", |b| b.iter(|| drop(black_box(n.dup().unwrap()))));
    g.bench_function("libssl", |b| {
        b.iter(|| drop(black_box(l.dup_plain().unwrap())))
    });
    g.finish();
}

/// `count` sessions with distinct ids and random times, and the times
/// sorted so that filling a libssl cache in that order inserts at its head.
fn random_times(count: usize, seed: u64) -> Vec<i64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut t: Vec<i64> = (0..count)
        .map(|_| BASE_TIME + (rng.next_u64() % 1_000_000) as i64)
        .collect();
    t.sort_unstable();
    t
}

fn id(i: usize) -> [u8; 8] {
    // libssl hashes only the first four bytes of an id: make them vary.
    (i as u64).to_le_bytes()
}

fn native_cache(times: &[i64]) -> (native::Cache, Vec<native::Session>) {
    let cache = native::Cache::new();
    cache.set_size(0);
    let ss: Vec<_> = times
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let s = native::Session::new();
            s.set_time(t);
            s.set1_id(&id(i)).unwrap();
            cache.add(&s);
            s
        })
        .collect();
    (cache, ss)
}

fn libssl_cache(times: &[i64]) -> (ossl::Ctx, Vec<ossl::Session>) {
    let mut ctx = ossl::Ctx::plain().unwrap();
    ctx.set_cache_size(0);
    let ss: Vec<_> = times
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let s = ossl::Session::plain().unwrap();
            s.set_time(t);
            s.set1_id(&id(i)).unwrap();
            ctx.add(&s).unwrap();
            s
        })
        .collect();
    (ctx, ss)
}

/// Probes: 64 sessions with random times (unsorted) and ids outside the
/// filled range.
fn probe_times() -> Vec<i64> {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    (0..64)
        .map(|_| BASE_TIME + (rng.next_u64() % 1_000_000) as i64)
        .collect()
}

fn cache_add_remove(c: &mut Criterion) {
    let mut g = c.benchmark_group("cache_add_remove");
    for &n in CACHE_SIZES {
        let times = random_times(n as usize, n);
        let probes = probe_times();
        {
            let (cache, _keep) = native_cache(&times);
            let ps: Vec<_> = probes
                .iter()
                .enumerate()
                .map(|(i, &t)| {
                    let s = native::Session::new();
                    s.set_time(t);
                    s.set1_id(&id(usize::MAX - i)).unwrap();
                    s
                })
                .collect();
            let mut i = 0;
            g.bench_with_input(BenchmarkId::new("native", n), &n, |b, _| {
                b.iter(|| {
                    let s = &ps[i % ps.len()];
                    i += 1;
                    cache.add(s);
                    cache.remove(s);
                })
            });
        }
        {
            let (mut ctx, _keep) = libssl_cache(&times);
            let ps: Vec<_> = probes
                .iter()
                .enumerate()
                .map(|(i, &t)| {
                    let s = ossl::Session::plain().unwrap();
                    s.set_time(t);
                    s.set1_id(&id(usize::MAX - i)).unwrap();
                    s
                })
                .collect();
            let mut i = 0;
            g.bench_with_input(BenchmarkId::new("libssl", n), &n, |b, _| {
                b.iter(|| {
                    let s = &ps[i % ps.len()];
                    i += 1;
                    ctx.add(s).unwrap();
                    ctx.remove(s);
                })
            });
        }
    }
    g.finish();
}

fn flush_half(c: &mut Criterion) {
    let mut g = c.benchmark_group("flush_half");
    for &n in FLUSH_SIZES {
        let n = n as usize;
        if n >= 100_000 {
            // Every iteration fills a cache of n first: untimed, but tens of
            // milliseconds each; fewer samples keep the run short.
            g.sample_size(20);
        }
        let times = random_times(n, 7);
        let cut = times[n / 2] + 304;
        g.bench_with_input(BenchmarkId::new("native", n), &n, |b, _| {
            b.iter_batched(
                || native_cache(&times).0,
                |cache| {
                    cache.flush(cut);
                    cache
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_with_input(BenchmarkId::new("libssl", n), &n, |b, _| {
            b.iter_batched(
                || libssl_cache(&times).0,
                |mut ctx| {
                    ctx.flush(cut);
                    ctx
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// Time per `up_ref + free` when `threads` threads hammer one session.
fn hammer(threads: usize, iters: u64, op: &(dyn Fn() + Sync)) -> Duration {
    std::thread::scope(|scope| {
        let start = Instant::now();
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    for _ in 0..iters {
                        op();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        start.elapsed()
    })
}

fn contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("contended");
    let n = native::Session::new();
    let l = ossl::Session::plain().unwrap().into_shared();
    for threads in [1usize, 2] {
        g.bench_with_input(BenchmarkId::new("native", threads), &threads, |b, &t| {
            b.iter_custom(|iters| hammer(t, iters, &|| drop(black_box(n.up_ref()))))
        });
        g.bench_with_input(BenchmarkId::new("libssl", threads), &threads, |b, &t| {
            b.iter_custom(|iters| hammer(t, iters, &|| l.up_ref_release()))
        });
    }
    g.finish();
}

fn differential_loop(c: &mut Criterion) {
    let mut g = c.benchmark_group("differential_loop");
    let programs: Vec<_> = (0..256).map(|i| campaign::program(1, i, 32)).collect();
    g.throughput(Throughput::Elements(1));
    let mut next = 0;
    g.bench_function("ops_32", |b| {
        b.iter(|| {
            let p = &programs[next % programs.len()];
            next += 1;
            let (mut native, mut libssl) = lockstep::against_libssl();
            black_box(lockstep::run(p, &mut native, &mut libssl).is_ok())
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = up_ref_free, get1_free, new_free, dup_free, encode, decode, cache_add_remove, flush_half, contended, differential_loop
}
criterion_main!(benches);
