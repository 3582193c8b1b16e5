//! Each switch of the native profiles, checked without building OpenSSL:
//! the native model with libssl 3.0's profile runs in lockstep against the
//! same model with one switch flipped, and must diverge exactly where that
//! switch acts — and nowhere on a program that does not reach it.

use std::path::Path;

use sessdiff::backend::NativeBackend;
use sessdiff::corpus;
use sessdiff::lockstep;
use sessdiff::native::{CacheList, DupFailure, Profile, ReAdd, Removals, TimeRepr};
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
    for (name, nanos, rpk, quirk, stays, mfl, late_evict, owner_bug) in [
        ("1.1.1w", false, false, true, true, false, true, false),
        ("3.0.0", false, false, true, false, false, true, true),
        ("3.0.8", false, false, true, false, false, false, true),
        ("3.2.1", true, true, true, false, false, false, false),
        ("3.5.5", true, true, true, false, true, false, false),
        ("3.6.3", true, true, false, true, true, false, false),
    ] {
        let r = p(name);
        assert_eq!(r.time == TimeRepr::Nanoseconds, nanos, "{name}");
        assert_eq!(r.peer_rpk, rpk, "{name}");
        assert_eq!(r.long_length_quirk, quirk, "{name}");
        assert_eq!(r.re_add == ReAdd::StaysInPlace, stays, "{name}");
        assert_eq!(r.mfl_unspecified, mfl, "{name}");
        assert_eq!(r.evict_after_listing, late_evict, "{name}");
        assert_eq!(r.dup_keeps_owner, owner_bug, "{name}");
    }
    let old = p("1.1.1w");
    assert_eq!(old.time, TimeRepr::Long);
    assert_eq!(old.cache_list, CacheList::ByAdding);
    assert_eq!(old.removals, Removals::EachInTurn);
    assert_eq!(
        (old.master_key_max, old.kex_group, old.legacy_errors),
        (256, false, true)
    );
}

#[test]
fn one_one_one_lists_by_adding_and_flushes_in_hash_order() {
    // Equal expiries: 3.0 flushes the first added (id 01) first; 1.1.1
    // walks its hash buckets from the last, so id 02 (bucket 2) goes first.
    let p =
        "new s0\nset_id s0 01\nnew s1\nset_id s1 02\ncache_add s0\ncache_add s1\ncache_flush 0\n";
    let flipped = Profile {
        cache_list: CacheList::ByAdding,
        ..V3
    };
    assert_eq!(
        diverges(p, flipped).as_deref(),
        Some("divergence:cache_flush:events")
    );
    assert_eq!(diverges(QUIET, flipped), None);
}

#[test]
fn evicting_after_listing_fits_size_sessions() {
    let p =
        "cache_size 2\nnew s0\nset_id s0 01\ncache_add s0\nnew s1\nset_id s1 02\ncache_add s1\n";
    let flipped = Profile {
        evict_after_listing: true,
        ..V3
    };
    assert_eq!(
        diverges(p, flipped).as_deref(),
        Some("divergence:cache_add:events")
    );
    // A new session that expires first is evicted as soon as it is listed.
    let p = "cache_size 1\nnew s0\nset_id s0 01\ncache_add s0\nnew s1\nset_id s1 02\nset_time s1 5\ncache_add s1\n";
    let d = diverges(p, flipped);
    assert_eq!(d.as_deref(), Some("divergence:cache_add:events"));
    assert_eq!(diverges(QUIET, flipped), None);
}

#[test]
fn one_one_one_takes_any_timeout_and_shorter_keys() {
    let long = Profile {
        time: TimeRepr::Long,
        ..V3
    };
    assert_eq!(
        diverges("new s0\nset_timeout s0 -1\n", long).as_deref(),
        Some("divergence:set_timeout:ret")
    );
    let short = Profile {
        master_key_max: 256,
        ..V3
    };
    let key = "4d".repeat(300);
    assert_eq!(
        diverges(&format!("new s0\nset_master_key s0 {key}\n"), short).as_deref(),
        Some("divergence:set_master_key:ret")
    );
    assert_eq!(
        diverges(
            &format!("new s0\nset_master_key s0 {}\n", "4d".repeat(256)),
            short
        ),
        None
    );
}

#[test]
fn one_one_one_encodes_no_kex_group_and_nests_errors_as_58() {
    let no_group = Profile {
        kex_group: false,
        ..V3
    };
    assert_eq!(
        diverges("new s0\nset_cipher s0 0x1301\n", no_group).as_deref(),
        Some("divergence:set_cipher:session.encoding.kex_group")
    );
    let legacy = Profile {
        legacy_errors: true,
        ..V3
    };
    assert_eq!(
        diverges("decode 300a02010102010102020304 -> s0\n", legacy).as_deref(),
        Some("divergence:decode:error")
    );
    assert_eq!(diverges(QUIET, legacy), None);
}

#[test]
fn the_dup_owner_bug_refuses_set_time_on_a_dup_of_a_cached_session() {
    let buggy = Profile {
        dup_keeps_owner: true,
        ..V3
    }
    .interned();
    let refused = |text: &str| {
        let p = Program::parse(text).unwrap();
        let mut a = NativeBackend::with_profile(Profile::V3_0.interned());
        let mut b = NativeBackend::with_profile(buggy);
        lockstep::run(&p, &mut a, &mut b).unwrap().refused()
    };
    let dup = "new s0\nset_id s0 01\ncache_add s0\ndup s0 -> s1\ndup s1 -> s2\n";
    assert_eq!(
        refused(&format!("{dup}set_time s1 5\nset_timeout s2 9\n")),
        2
    );
    // Negative timeouts are refused by the library before `owner` is read.
    assert_eq!(refused(&format!("{dup}set_timeout s1 -1\n")), 0);
    // Listed and unlisted again: `owner` is cleared.
    assert_eq!(
        refused(&format!(
            "{dup}cache_add s1\ncache_remove s1\nset_time s1 5\n"
        )),
        0
    );
    // A dup of a session that was never cached has no owner to keep.
    assert_eq!(
        refused("new s0\ndup s0 -> s1\nset_time s1 5\ndecode_into s1 30\n"),
        0
    );
}

/// Every switch of every release `scripts/matrix.sh` measured (the
/// committed `docs/matrix.tsv`, one `sessdiff probe` line a switch and
/// release) is what the model's profile for that release says: a range of
/// `Profile::for_release` that a measure contradicts fails here, and a
/// measured point is never left to inference. Where the probes could not
/// tell two behaviours apart on a release, the profile has one of them.
#[test]
fn every_measured_switch_is_the_profiles() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/matrix.tsv");
    let m = sessdiff::survey::matrix::Matrix::read(&path).unwrap();
    assert!(m.rows.len() >= 8, "{} releases measured", m.rows.len());
    let (mut checked, mut ambiguous) = (0, 0);
    for (release, cells) in &m.rows {
        let profile = Profile::named(release).unwrap_or_else(|| panic!("{release}"));
        for (name, cell) in cells {
            let sw = sessdiff::native::switch(name).unwrap();
            let ours = sw.value(&profile);
            match cell.verdict.as_str() {
                "like" => assert_eq!(
                    ours, cell.value,
                    "{release} {name}: measured {}, the profile says {ours}",
                    cell.value
                ),
                // The probes did not tell some behaviours apart on this
                // release (docs/matrix.md shows which): the profile's must
                // be one of them.
                "ambiguous" => {
                    let candidates = cell.candidate_values(sw);
                    assert!(
                        candidates.contains(&ours),
                        "{release} {name}: the profile's {ours} is none of the measured {candidates:?}"
                    );
                    ambiguous += 1;
                }
                v => panic!("{release} {name}: the probes found no behaviour ({v})"),
            }
            checked += 1;
        }
        assert_eq!(cells.len(), sessdiff::native::SWITCHES.len(), "{release}");
    }
    assert!(checked >= 8 * sessdiff::native::SWITCHES.len());
    // Most measures are single behaviours.
    assert!(
        ambiguous * 10 < checked,
        "{ambiguous} of {checked} ambiguous"
    );
}

/// Every release the matrix measured is a measured release of the one
/// release table (`--model` names it without "not measured"), and the
/// other way round.
#[test]
fn the_release_table_marks_exactly_the_measured_releases() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/matrix.tsv");
    let m = sessdiff::survey::matrix::Matrix::read(&path).unwrap();
    let mut measured: Vec<&str> = m.rows.iter().map(|(r, _)| r.as_str()).collect();
    measured.sort_by_key(|r| sessdiff::native::releases::order_key(r));
    let mut table = sessdiff::native::releases::measured();
    table.sort_by_key(|r| sessdiff::native::releases::order_key(r));
    assert_eq!(measured, table);
}

/// Every release the matrix measured was also surveyed against its own
/// profile (`--model auto`) for at least 120 s and gave 0 classes: the
/// committed `docs/matrix-surveys.tsv`, which docs/matrix.md shows. The
/// survey's model is the release's profile (a survey run before a release
/// joined the table followed a measured release with the same switches).
#[test]
fn every_measured_release_surveys_clean_against_its_own_profile() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let m = sessdiff::survey::matrix::Matrix::read(&root.join("docs/matrix.tsv")).unwrap();
    let runs =
        sessdiff::survey::matrix::read_surveys(&root.join("docs/matrix-surveys.tsv")).unwrap();
    for (release, _) in &m.rows {
        let run = runs
            .iter()
            .find(|r| &r.release == release)
            .unwrap_or_else(|| panic!("{release} was measured but not surveyed"));
        assert!(run.seconds >= 120, "{release}: a {} s survey", run.seconds);
        assert!(run.programs > 0, "{release}: no program ran");
        assert_eq!(run.classes, 0, "{release}: {} classes", run.classes);
        // The model's switches are the release's own.
        let (model, own) = (
            Profile::named(&run.model).unwrap_or_else(|| panic!("{}", run.model)),
            Profile::named(release).unwrap(),
        );
        for sw in sessdiff::native::SWITCHES {
            assert_eq!(
                sw.value(&model),
                sw.value(&own),
                "{release}: surveyed with the {} model, whose {} differs",
                run.model,
                sw.name
            );
        }
    }
}
