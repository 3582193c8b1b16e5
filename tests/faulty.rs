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
