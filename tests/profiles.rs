//! Each switch of the native profiles, checked without building OpenSSL:
//! the native model with libssl 3.0's profile runs in lockstep against the
//! same model with one switch flipped, and must diverge exactly where that
//! switch acts — and nowhere on a program that does not reach it.

use std::path::Path;

use sessdiff::backend::NativeBackend;
use sessdiff::corpus;
use sessdiff::lockstep;
use sessdiff::native::{DupFailure, Profile, ReAdd, Removals, TimeRepr};
use sessdiff::program::Program;

/// The signature `program` diverges with between 3.0 and `flipped`.
fn diverges(program: &str, flipped: Profile) -> Option<String> {
    let p = Program::parse(program).unwrap();
    let mut a = NativeBackend::with_profile(Profile::V3_0.interned());
    let mut b = NativeBackend::with_profile(flipped.interned());
    lockstep::run(&p, &mut a, &mut b)
        .err()
        .map(|d| d.signature())
}

/// The ops of a rule probe in `corpora/der/rules`.
fn rule(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpora/der/rules")
        .join(name);
    corpus::read_program(&path).unwrap().to_string()
}

const V3: Profile = Profile::V3_0;
const QUIET: &str = "new s0\nset_id s0 01\ncache_add s0\nup_ref s0 -> s1\nfree s0\n";

#[test]
fn flushes_call_back_after_the_lock_newest_first() {
    let p =
        "new s0\nset_id s0 01\nnew s1\nset_id s1 02\ncache_add s0\ncache_add s1\ncache_flush 0\n";
    let flipped = Profile {
        removals: Removals::AfterUnlockNewestFirst,
        ..V3
    };
    assert_eq!(
        diverges(p, flipped).as_deref(),
        Some("divergence:cache_flush:events")
    );
    assert_eq!(diverges(QUIET, flipped), None);
}

#[test]
fn a_re_added_session_stays_in_place() {
    let p = "new s0\nset_id s0 01\nnew s1\nset_id s1 02\ncache_add s0\ncache_add s1\ncache_add s0\ncache_flush 0\n";
    let flipped = Profile {
        re_add: ReAdd::StaysInPlace,
        ..V3
    };
    assert_eq!(
        diverges(p, flipped).as_deref(),
        Some("divergence:cache_flush:events")
    );
    assert_eq!(diverges(QUIET, flipped), None);
}

#[test]
fn nanosecond_times_read_back_unsigned() {
    let flipped = Profile {
        time: TimeRepr::Nanoseconds,
        ..V3
    };
    assert_eq!(
        diverges("new s0\nset_time s0 -1\n", flipped).as_deref(),
        Some("divergence:set_time:session.time")
    );
    assert_eq!(
        diverges(
            "new s0\nset_time s0 1700000300\nset_timeout s0 5\n",
            flipped
        ),
        None
    );
}

#[test]
fn early_3_0_clamps_timeouts_and_flags_overflow_for_positive_times_only() {
    let flipped = Profile {
        time: TimeRepr::SecondsClamped,
        ..V3
    };
    assert_eq!(
        diverges(
            "new s0\ncache_add s0\nset_time s0 -1\ncache_flush 405\n",
            flipped
        )
        .as_deref(),
        Some("divergence:cache_flush:events")
    );
    assert_eq!(
        Profile::named("3.0.8").unwrap().time,
        TimeRepr::SecondsClamped
    );
    assert_eq!(Profile::named("3.0.19").unwrap().time, TimeRepr::Seconds);
}

#[test]
fn a_failed_dup_can_queue_nothing() {
    let flipped = Profile {
        dup_failure: DupFailure::Silent,
        ..V3
    };
    assert_eq!(
        diverges(&rule("empty-ticket.txt"), flipped).as_deref(),
        Some("divergence:dup:error")
    );
}

#[test]
fn a_later_template_reads_a_peer_key_in_20() {
    let flipped = Profile {
        peer_rpk: true,
        ..V3
    };
    assert_eq!(
        diverges(&rule("peer-rpk-octet-string.txt"), flipped).as_deref(),
        Some("divergence:decode:events")
    );
    assert_eq!(diverges(&rule("empty-ticket.txt"), flipped), None);
}

#[test]
fn without_compression_comp_id_is_ignored() {
    let flipped = V3.with_compression(false);
    assert_eq!(
        diverges(&rule("comp-id-two-bytes-no-comp.txt"), flipped).as_deref(),
        Some("divergence:decode:ret")
    );
}

#[test]
fn the_long_length_quirk_can_be_fixed() {
    let flipped = Profile {
        long_length_quirk: false,
        ..V3
    };
    assert_eq!(
        diverges(&rule("long-length-at-end.txt"), flipped).as_deref(),
        Some("divergence:decode:ret")
    );
}

#[test]
fn new_sessions_can_leave_the_fragment_length_mode_unset() {
    let flipped = Profile {
        mfl_unspecified: false,
        ..V3
    };
    assert_eq!(
        diverges("new s0\nset_cipher s0 0x1301\n", flipped).as_deref(),
        Some("divergence:set_cipher:session.encoding.max_fragment_len_mode")
    );
}

#[test]
fn the_cipher_table_is_the_libraries() {
    let flipped = V3.with_ciphers(&[0x00c6, 0x1301]);
    assert_eq!(
        diverges("new s0\nset_cipher s0 0x00c6\n", flipped).as_deref(),
        Some("divergence:set_cipher:session.cipher")
    );
    assert_eq!(diverges("new s0\nset_cipher s0 0x1301\n", flipped), None);
}

#[test]
fn releases_have_their_switches() {
    let p = |n| Profile::named(n).unwrap();
    assert_eq!(p("3.0.19"), Profile::V3_0);
    assert_eq!(p("4.0.3"), Profile::V4_0);
    for (name, nanos, rpk, quirk, stays, mfl) in [
        ("1.1.1w", false, false, true, false, false),
        ("3.0.0", false, false, true, false, false),
        ("3.0.8", false, false, true, false, false),
        ("3.2.1", true, true, true, false, false),
        ("3.5.5", true, true, true, false, true),
        ("3.6.3", true, true, false, true, true),
    ] {
        let r = p(name);
        assert_eq!(r.time == TimeRepr::Nanoseconds, nanos, "{name}");
        assert_eq!(r.peer_rpk, rpk, "{name}");
        assert_eq!(r.long_length_quirk, quirk, "{name}");
        assert_eq!(r.re_add == ReAdd::StaysInPlace, stays, "{name}");
        assert_eq!(r.mfl_unspecified, mfl, "{name}");
    }
}
