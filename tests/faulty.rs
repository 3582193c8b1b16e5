//! The harness catches reference-count, ex_data and codec bugs: a native
//! backend with a bug swapped in must diverge from libssl within 2,000
//! random programs (DER probes for a codec bug; most are found within a
//! hundred), and the shrinker must cut the reproducer to a handful of ops. Byte-level differences are reported
//! by the DER field they are in.

use sessdiff::backend::{NativeBackend, OsslBackend};
use sessdiff::campaign::{self, Config, Target};
use sessdiff::faults::{Fault, FaultyBackend};
use sessdiff::lockstep;
use sessdiff::program::{Op, Program};
use sessdiff::shrink;

fn config(target: Target) -> Config {
    Config {
        seed: 1,
        target,
        ops: 32,
        duration: None,
        programs: Some(2000),
    }
}

fn run_faulty(fault: Fault, p: &Program) -> Option<String> {
    let mut native = FaultyBackend::new(fault);
    let mut libssl = OsslBackend::new().unwrap();
    lockstep::run(p, &mut native, &mut libssl)
        .err()
        .map(|d| d.kind())
}

/// Finds the fault within 2,000 programs (most are found within a hundred), checks the reproducer and its
/// shrunk form; returns the signature and the shrunk program.
fn hunt(fault: Fault) -> (String, Program) {
    let (stats, found) = campaign::run(
        &config(if fault.in_codec() {
            Target::Der
        } else {
            Target::Ops
        }),
        || (FaultyBackend::new(fault), OsslBackend::new().unwrap()),
        |_| {},
    );
    let found =
        found.unwrap_or_else(|| panic!("{fault:?} not caught in {} programs", stats.programs));
    let sig = found.divergence.signature();
    let kind = found.divergence.kind();
    assert_eq!(
        run_faulty(fault, &found.program).as_deref(),
        Some(kind.as_str()),
        "the program reproduces"
    );
    let min = shrink::shrink(&found.program, &kind, &mut |p| run_faulty(fault, p));
    assert_eq!(
        run_faulty(fault, &min).as_deref(),
        Some(kind.as_str()),
        "the shrunk program diverges the same way"
    );
    assert!(
        min.ops.len() <= 6,
        "{fault:?} shrank only to {} ops:\n{min}",
        min.ops.len()
    );
    // Against the real native backend the shrunk program is clean.
    assert!(lockstep::run_against_libssl(&min).is_ok());
    (sig, min)
}

#[test]
fn a_leaking_get1_is_caught_and_shrunk() {
    let (sig, min) = hunt(Fault::Get1Leaks);
    assert!(sig.ends_with(":live") || sig.ends_with(":events"), "{sig}");
    assert!(min.ops.iter().any(|o| o.name() == "ssl_get1"), "{min}");
}

#[test]
fn a_sharing_dup_is_caught_and_shrunk() {
    let (sig, min) = hunt(Fault::DupShares);
    assert_eq!(sig, "divergence:dup:ret");
    assert_eq!(min.to_string(), "new s0\ndup s0 -> s1\n");
}

#[test]
fn an_extra_release_is_caught_and_shrunk() {
    let (sig, min) = hunt(Fault::FreeReleasesTwice);
    // A death too early, or a call on the slot the fault emptied.
    let kind = sig.rsplit(':').next().unwrap();
    assert!(["events", "live", "ret"].contains(&kind), "{sig}");
    // Two references to one object; a single release (the drain's first
    // free, or the one a call makes) kills it.
    assert!(
        min.to_string().starts_with("new s0\nup_ref s0 -> s1\n") && min.ops.len() <= 3,
        "{min}"
    );
}

#[test]
fn a_decoder_that_drops_the_host_name_is_caught_and_shrunk() {
    let (sig, min) = hunt(Fault::DecodeDropsHostname);
    assert_eq!(sig, "divergence:decode:session.hostname");
    // The decode alone, its input cut down to a few fields around [6].
    assert_eq!(min.ops.len(), 1, "{min}");
    let Op::Decode(der, _) = &min.ops[0] else {
        panic!("{min}")
    };
    assert!(der.contains(&0xa6) && der.len() < 100, "{min}");
}

#[test]
fn the_real_native_backend_is_not_flagged() {
    for target in [Target::Ops, Target::Der] {
        let (stats, found) = campaign::run(
            &Config {
                programs: Some(500),
                ..config(target)
            },
            || (NativeBackend::new(), OsslBackend::new().unwrap()),
            |_| {},
        );
        assert!(found.is_none(), "{}", found.unwrap().divergence);
        assert_eq!(stats.programs, 500);
        let per_program = if target == Target::Ops { 20 } else { 3 };
        assert!(
            stats.ops > 500 * per_program,
            "{target}: most ops are legal: {}",
            stats.ops
        );
    }
}

#[test]
fn an_ex_data_dup_that_runs_past_the_highest_set_index_is_caught() {
    // Planted inside native::ExClass's dup: caught only because programs
    // register several ex_data indexes and leave the higher ones unset.
    let (sig, min) = hunt(Fault::ExDupPastHighestSet);
    assert_eq!(sig, "divergence:dup:events", "{min}");
    let text = min.to_string();
    assert!(
        text.contains("ex_new_index") && text.contains("dup s"),
        "{min}"
    );
}

#[test]
fn a_copy_session_id_that_keeps_the_old_session_is_caught() {
    // Planted inside native::Ssl::copy_session_id: caught only because the
    // native backend calls the model for ssl_copy_session_id.
    let (sig, min) = hunt(Fault::CopySessionIdKeepsOld);
    assert!(
        sig.starts_with("divergence:ssl_copy_session_id:") || sig.contains("drain"),
        "{sig}"
    );
    assert!(
        min.ops.iter().any(|o| o.name() == "ssl_copy_session_id"),
        "{min}"
    );
}

/// The divergence report of `fault` on a program that encodes a session
/// with a host name.
fn encoding_report(fault: Fault) -> lockstep::Divergence {
    let p = Program::parse(
        "new s0\nset_cipher s0 0x1301\nset_protocol_version s0 0x0304\nset_hostname s0 \"ab\"\n",
    )
    .unwrap();
    let mut native = FaultyBackend::new(fault);
    let mut libssl = OsslBackend::new().unwrap();
    *lockstep::run(&p, &mut native, &mut libssl).unwrap_err()
}

/// The rows of a report's table of differences.
fn rows(d: &lockstep::Divergence) -> Vec<String> {
    d.to_string()
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("faulty native"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn a_changed_encoded_byte_is_reported_by_its_der_field() {
    let d = encoding_report(Fault::EncodeFlipsHostnameByte);
    assert_eq!(
        d.signature(),
        "divergence:set_hostname:session.encoding.hostname"
    );
    assert_eq!(
        rows(&d),
        ["session #0 encoding [6] hostname at byte 40 a60404026163 a60404026162"]
    );
}

#[test]
fn a_shorter_encoded_field_is_reported_by_its_der_field() {
    let d = encoding_report(Fault::EncodeDropsHostnameByte);
    assert_eq!(
        d.signature(),
        "divergence:set_hostname:session.encoding.hostname"
    );
    assert_eq!(
        rows(&d),
        ["session #0 encoding [6] hostname at byte 40 a603040161 a60404026162"]
    );
}

/// The divergence of `fault` on `program`, found the way campaigns look
/// (checkpoints, then every step again to locate it).
fn observed(fault: Fault, program: &str) -> lockstep::Divergence {
    let p = Program::parse(program).unwrap();
    *lockstep::check_with(&p, || {
        (FaultyBackend::new(fault), OsslBackend::new().unwrap())
    })
    .unwrap_err()
}

/// Two sessions with their own ids, cached one after the other.
const TWO_CACHED: &str = "new s0\nset_id s0 01\ncache_add s0\nnew s1\nset_id s1 02\ncache_add s1\n";

#[test]
fn a_difference_in_a_cache_counter_alone_is_named_by_its_field() {
    let d = observed(Fault::CacheNumberOneShort, TWO_CACHED);
    assert_eq!(d.signature(), "divergence:cache_add:cache.number");
    assert_eq!(rows(&d), ["cache.number 1 2"]);
}

#[test]
fn a_difference_in_the_cache_members_alone_is_named_by_its_field() {
    let d = observed(Fault::CacheHidesMember, TWO_CACHED);
    assert_eq!(d.signature(), "divergence:cache_add:cache.members");
    assert_eq!(rows(&d), ["cache.members #0 #0 #3"]);
}

#[test]
fn a_difference_in_an_ssl_session_alone_is_named_by_its_field() {
    let d = observed(
        Fault::SslHidesSession,
        "new s0\nssl_new c1\nssl_set c1 s0\n",
    );
    assert_eq!(d.signature(), "divergence:ssl_set:ssl.session");
    assert_eq!(rows(&d), ["ssl c1 session NULL #0"]);
}

#[test]
fn a_difference_in_an_ssl_verify_result_alone_is_named_by_its_field() {
    let d = observed(Fault::SslVerifyResultOff, "ssl_new c2\n");
    assert_eq!(d.signature(), "divergence:ssl_new:ssl.verify_result");
    assert_eq!(rows(&d), ["ssl c2 verify_result 1 0"]);
}

/// `ssl_copy_session_id` from an `SSL` with no session: libssl empties
/// `c0`; the planted model fault keeps its session.
const COPY_FROM_EMPTY: &str =
    "new s0\nssl_new c0\nssl_set c0 s0\nssl_new c1\nssl_copy_session_id c0 c1\n";

/// Runs `f` with the model fault behind [`Fault::CopySessionIdKeepsOld`]
/// planted on this thread (a faulty backend plants it for its lifetime).
fn with_model_fault<T>(f: impl FnOnce() -> T) -> T {
    let _planted = FaultyBackend::new(Fault::CopySessionIdKeepsOld);
    f()
}

#[test]
fn the_fuzz_targets_entry_point_reports_a_fault_in_the_model() {
    let p = Program::parse(COPY_FROM_EMPTY).unwrap();
    assert!(
        lockstep::check_against_libssl(&p).is_ok(),
        "clean without the fault"
    );
    let d = with_model_fault(|| lockstep::check_against_libssl(&p)).unwrap_err();
    assert_eq!(d.signature(), "divergence:ssl_copy_session_id:ssl.session");
    assert_eq!(d.step, 4, "located at the op, not at a checkpoint");
    // What the `ops` and `der` targets call, with their two ways of reading
    // an input: the divergence is a panic that starts with its signature.
    for decode in [Program::from_fuzz_bytes, Program::from_der_fuzz_bytes] {
        let program = decode(COPY_FROM_EMPTY.as_bytes());
        assert_eq!(program, p);
        shrink::check_for_fuzzer(&program);
        let panic = with_model_fault(|| {
            std::panic::catch_unwind(|| shrink::check_for_fuzzer(&program)).unwrap_err()
        });
        let message = panic.downcast_ref::<String>().expect("a formatted panic");
        assert!(
            message.starts_with("divergence:ssl_copy_session_id:ssl.session\nminimal program:\n"),
            "{message}"
        );
        assert!(
            message.ends_with("ssl_copy_session_id c0 c1\n"),
            "{message}"
        );
    }
}

#[test]
fn after_a_divergence_nothing_of_the_libssl_world_is_freed() {
    // On a thread of its own: libssl's deaths are counted per thread.
    std::thread::spawn(|| {
        let p = Program::parse(
            "new s0\nnew s1\nset_id s1 01\ncache_add s1\nssl_new c0\nssl_set c0 s0\ndup s0 -> s2\n",
        )
        .unwrap();
        let mut native = FaultyBackend::new(Fault::DupShares);
        let mut libssl = OsslBackend::new().unwrap();
        let d = lockstep::run(&p, &mut native, &mut libssl).unwrap_err();
        assert_eq!(d.signature(), "divergence:dup:ret");
        assert_eq!(d.names, ("faulty native", "libssl"));
        let _ = sessdiff::ossl::take_events();
        let live = sessdiff::ossl::live_sessions();
        assert_eq!(live, 3, "s0, s1 and libssl's copy");
        drop(libssl);
        assert_eq!(sessdiff::ossl::live_sessions(), live, "a session was freed");
        assert_eq!(sessdiff::ossl::take_events(), [], "a callback ran");
    })
    .join()
    .unwrap();
}

#[test]
fn a_libssl_world_dropped_undrained_is_leaked_not_freed() {
    // A tool that drives the backend by hand and drops it mid-program:
    // what was not drained is leaked, never freed.
    std::thread::spawn(|| {
        use sessdiff::backend::Backend;
        let mut libssl = OsslBackend::new().unwrap();
        for (step, op) in Program::parse(
            "new s0
new s1
ssl_new c0
ssl_set c0 s0
",
        )
        .unwrap()
        .ops
        .iter()
        .enumerate()
        {
            libssl.apply(step as sessdiff::program::Tag, op);
        }
        let _ = sessdiff::ossl::take_events();
        let live = sessdiff::ossl::live_sessions();
        assert_eq!(live, 2);
        drop(libssl);
        assert_eq!(sessdiff::ossl::live_sessions(), live, "a session was freed");
        assert_eq!(sessdiff::ossl::take_events(), [], "a callback ran");
    })
    .join()
    .unwrap();
}

#[test]
fn a_leak_both_sides_share_is_still_reported_after_the_drain() {
    // The same leak on both sides: every step agrees, the live counts
    // included, and only the final check sees that sessions outlive the
    // drain.
    let p = Program::parse("new s0\nssl_new c0\nssl_set c0 s0\nssl_get1 c0 -> s1\n").unwrap();
    let d = lockstep::run(
        &p,
        &mut FaultyBackend::new(Fault::Get1Leaks),
        &mut FaultyBackend::new(Fault::Get1Leaks),
    )
    .unwrap_err();
    assert_eq!(d.signature(), "divergence:end_ctx_free:live_after_drain");
    assert_eq!(
        (
            d.differences[0].left.as_str(),
            d.differences[0].right.as_str()
        ),
        ("1", "1")
    );
}

/// The native backend, refusing `set_time` (as a profile with a documented
/// library bug does) and counting the times it is abandoned.
struct Probe(NativeBackend, std::rc::Rc<std::cell::Cell<u32>>);

impl sessdiff::backend::Backend for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }
    fn apply(&mut self, step: sessdiff::program::Tag, op: &Op) -> (sessdiff::backend::Ret, u32) {
        self.0.apply(step, op)
    }
    fn take_events(&mut self) -> Vec<sessdiff::backend::Event> {
        self.0.take_events()
    }
    fn hazard(&self, op: &Op) -> Option<&'static str> {
        (op.name() == "set_time").then_some("a planted bug")
    }
    fn fill(&self, out: &mut sessdiff::backend::State, full: bool) {
        self.0.fill(out, full)
    }
    fn abandon(&mut self) {
        self.1.set(self.1.get() + 1);
        self.0.abandon()
    }
    fn unobserved(&self) -> &'static [&'static str] {
        &["hostname"]
    }
}

#[test]
fn a_boxed_backend_is_the_backend_it_holds() {
    // The survey's worker runs boxed backends: each call must reach the
    // backend inside.
    use sessdiff::backend::Backend;
    let abandoned = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut boxed: Box<dyn Backend> = Box::new(Probe(NativeBackend::new(), abandoned.clone()));
    let p = Program::parse(
        "new s0\nset_time s0 5\nup_ref s0 -> s1\ncache_add s1\nssl_new c0\nssl_set c0 s1\nfree s0\n",
    )
    .unwrap();
    let mut libssl = OsslBackend::new().unwrap();
    let trace = lockstep::run(&p, &mut boxed, &mut libssl).expect("agrees with libssl");
    assert_eq!((trace.executed(), trace.refused()), (6, 1));
    assert_eq!(abandoned.get(), 0);
    // What the inner backend cannot observe, the box cannot either; the
    // model itself observes every field.
    assert_eq!(boxed.unobserved(), ["hostname"]);
    assert_eq!(NativeBackend::new().unobserved(), [] as [&str; 0]);
    // A divergence names the boxed backend and abandons it.
    let mut boxed: Box<dyn Backend> = Box::new(Probe(NativeBackend::new(), abandoned.clone()));
    let mut faulty = FaultyBackend::new(Fault::DupShares);
    let d = lockstep::run(
        &Program::parse("new s0\ndup s0 -> s1\n").unwrap(),
        &mut boxed,
        &mut faulty,
    )
    .unwrap_err();
    assert_eq!(d.names, ("probe", "faulty native"));
    assert_eq!(abandoned.get(), 1);
    // Called directly, as tools that drive one backend do.
    let mut boxed: Box<dyn Backend> = Box::new(Probe(NativeBackend::new(), abandoned.clone()));
    let ops = Program::parse("new s0\nfree s0\n").unwrap().ops;
    boxed.apply(0, &ops[0]);
    let state = boxed.state();
    assert_eq!((state.live, state.sessions.len()), (1, 1));
    assert!(boxed.take_events().is_empty());
    boxed.apply(1, &ops[1]);
    assert_eq!(boxed.take_events(), [sessdiff::backend::Event::Died(0)]);
    assert_eq!(boxed.state().live, 0);
}

#[test]
fn campaign_rates_are_counts_over_time() {
    let s = sessdiff::campaign::Stats {
        programs: 10,
        ops: 320,
        elapsed: std::time::Duration::from_secs(4),
        ..Default::default()
    };
    assert_eq!((s.programs_per_sec(), s.ops_per_sec()), (2.5, 80.0));
}

/// The native backend as a library without a hostname getter would be
/// seen: `set_hostname` "succeeds" without setting anything. The flag
/// says whether the backend declares the field unobserved.
struct NoHostname(NativeBackend, bool);

impl sessdiff::backend::Backend for NoHostname {
    fn name(&self) -> &'static str {
        "no hostname"
    }
    fn apply(&mut self, step: sessdiff::program::Tag, op: &Op) -> (sessdiff::backend::Ret, u32) {
        if op.name() == "set_hostname" {
            return (sessdiff::backend::Ret::Int(1), 0);
        }
        self.0.apply(step, op)
    }
    fn take_events(&mut self) -> Vec<sessdiff::backend::Event> {
        self.0.take_events()
    }
    fn fill(&self, out: &mut sessdiff::backend::State, full: bool) {
        self.0.fill(out, full)
    }
    fn abandon(&mut self) {
        self.0.abandon()
    }
    fn unobserved(&self) -> &'static [&'static str] {
        if self.1 { &["hostname"] } else { &[] }
    }
}

#[test]
fn a_field_one_library_cannot_read_is_compared_on_neither_side() {
    let p = Program::parse("new s0\nset_hostname s0 \"example.org\"\nup_ref s0 -> s1\n").unwrap();
    // The hostnames differ (one side never set it), but one side's
    // library cannot read it: the run agrees.
    let mut left = NoHostname(NativeBackend::new(), true);
    let mut right = NativeBackend::new();
    let trace =
        lockstep::run(&p, &mut left, &mut right).expect("hostname compared on neither side");
    assert_eq!(trace.executed(), 3);
    // Undeclared, the same difference is a divergence in the hostname.
    let d = lockstep::run(
        &p,
        &mut NoHostname(NativeBackend::new(), false),
        &mut NativeBackend::new(),
    )
    .unwrap_err();
    assert!(d.signature().contains("hostname"), "{}", d.signature());
}
