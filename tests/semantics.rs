//! One focused lockstep test per rule of SEMANTICS.md §3–§10 (the §9
//! rules of ex_data with several indexes are in `tests/ex_data.rs`). Each
//! program runs on the native implementation and the system libssl; the harness
//! fails on any difference, and the annotations pin what both must do, so a
//! test fails if either side changes.

mod common;
use common::check;

// §3 ------------------------------------------------------------------------

#[test]
fn s3_up_ref_and_free_count_exactly() {
    check(
        "new s0          => #0
         up_ref s0 -> s1 => 1
         up_ref s1 -> s2 => 1
         free s0         => void
         free s2         => void
         free s1         => void | free(#0)
         free_null       => void",
    );
}

#[test]
fn s3_drain_releases_in_canonical_order() {
    check(
        "new s3
         new s1
         up_ref s1 -> s0
         drain => free(#1) free(#0)",
    );
}

// §4 ------------------------------------------------------------------------

#[test]
fn s4_dup_is_an_independent_object() {
    check(
        "new s0
         set_id s0 aabb
         set_hostname s0 \"h.example\"
         set_alpn s0 6832
         dup s0 -> s1        => #4
         set_id s1 cc        => 1
         set_hostname s1 none => 1
         free s0             => void | free(#0)
         is_resumable s1     => 1",
    );
}

#[test]
fn s4_dup_keeps_not_resumable() {
    check(
        "new s0
         set_id s0 01
         cache_remove s0  => 0 | rm(#0)
         is_resumable s0  => 0
         dup s0 -> s1     => #4
         is_resumable s1  => 0",
    );
}

#[test]
fn s4_removing_a_dup_removes_the_original() {
    check(
        "new s0
         set_id s0 01020304
         set_protocol_version s0 0x0304
         cache_add s0     => 1
         dup s0 -> s1     => #4
         free s0          => void
         cache_remove s1  => 1 | rm(#4) free(#0)
         is_resumable s1  => 0
         cache_remove s1  => 0 | rm(#4)",
    );
}

#[test]
fn s4_adding_a_dup_replaces_the_original_silently() {
    check(
        "new s0
         set_id s0 01
         cache_add s0   => 1
         dup s0 -> s1   => #3
         free s0        => void
         cache_add s1   => 1 | free(#0)
         is_resumable s1 => 1",
    );
}

#[test]
fn s4_a_dups_time_does_not_touch_the_cache() {
    check(
        "new s0
         set_id s0 01
         cache_add s0        => 1
         dup s0 -> s1        => #3
         set_time s1 0       => 0
         cache_flush 1700000304 => void
         cache_flush 1700000305 => void | rm(#0)",
    );
}

// §5 ------------------------------------------------------------------------

#[test]
fn s5_id_limits_and_error_reason() {
    let t = check(
        "new s0
         set_id s0 010101010101010101010101010101010101010101010101010101010101010101 => 0 err SSL:408
         set_id s0 0101010101010101010101010101010101010101010101010101010101010101 => 1
         is_resumable s0 => 1
         set_id s0 \"\"  => 1
         is_resumable s0 => 0",
    );
    assert_eq!(t.executed(), 6);
}

#[test]
fn s5_id_context_and_master_key_limits() {
    check(
        "new s0
         set_sid_ctx s0 000000000000000000000000000000000000000000000000000000000000000000 => 0 err SSL:273
         set_sid_ctx s0 \"\" => 1
         set_master_key s0 \"\" => 1
         set_master_key s0 4d4d => 1",
    );
    // A 513-byte key is refused.
    let long = "4d".repeat(513);
    check(&format!(
        "new s0\nset_master_key s0 {long} => 0\nset_master_key s0 {} => 1",
        "4d".repeat(512)
    ));
}

#[test]
fn s5_string_setters_clear_with_none_or_empty() {
    check(
        "new s0
         set_hostname s0 \"\"        => 1
         set_hostname s0 none        => 1
         set_alpn s0 \"\"            => 1
         set_alpn s0 6832            => 1
         set_alpn s0 none            => 1
         set_ticket_appdata s0 0001  => 1
         set_ticket_appdata s0 \"\"  => 1
         set_protocol_version s0 -1  => 1
         set_protocol_version s0 0x0200 => 1
         set_max_early_data s0 4294967295 => 1
         has_ticket s0               => 0",
    );
}

// §6 ------------------------------------------------------------------------

#[test]
fn s6_set_time_returns_its_argument_and_negative_timeouts_are_refused() {
    check(
        "new s0
         set_time s0 -9223372036854775808 => -9223372036854775808
         set_time s0 9223372036854775807  => 9223372036854775807
         set_timeout s0 -1               => 0
         set_timeout s0 0                => 1
         set_timeout s0 9223372036854775807 => 1",
    );
}

#[test]
fn s6_flush_boundaries_are_strict() {
    check(
        "new s0
         set_id s0 01
         set_time s0 1000
         set_timeout s0 300
         cache_add s0          => 1
         free s0
         cache_flush 1300      => void
         cache_flush 1301      => void | rm(#0) free(#0)",
    );
}

#[test]
fn s6_zero_timeout_is_removed_one_second_later() {
    check(
        "new s0
         set_id s0 01
         set_time s0 1000
         set_timeout s0 0
         cache_add s0
         cache_flush 1000 => void
         cache_flush 1001 => void | rm(#0)",
    );
}

#[test]
fn s6_overflowed_sessions_never_expire_but_flush_0_takes_them() {
    check(
        "new s0
         set_id s0 01
         set_time s0 1
         set_timeout s0 9223372036854775807
         cache_add s0
         new s5
         set_id s5 02
         set_time s5 -1
         set_timeout s5 0
         cache_add s5
         cache_flush 9223372036854775807 => void
         cache_flush -1 => void
         cache_flush 0  => void | rm(#5) rm(#0)",
    );
}

#[test]
fn s6_negative_flush_times() {
    check(
        "new s0
         set_id s0 01
         set_time s0 5
         set_timeout s0 10
         cache_add s0
         cache_flush -1 => void
         cache_flush 16 => void | rm(#0)",
    );
}

#[test]
fn s6_expiry_order_decides_eviction() {
    // a expires later than b; b is the tail and goes first.
    check(
        "new s0
         set_id s0 01
         set_time s0 2000
         new s1
         set_id s1 02
         set_time s1 1000
         cache_size 3  => 20480
         cache_add s0  => 1
         cache_add s1  => 1
         new s2
         set_id s2 03
         cache_add s2  => 1 | rm(#3)",
    );
}

// §7 ------------------------------------------------------------------------

#[test]
fn s7_get0_get1_and_set_session() {
    check(
        "new s0
         ssl_new c0
         ssl_get0 c0        => NULL
         ssl_get1 c0 -> s1  => NULL
         ssl_set c0 s0      => 1
         ssl_get0 c0        => #0
         ssl_get1 c0 -> s1  => #0
         ssl_set c0 s0      => 1
         free s0            => void
         free s1            => void
         ssl_set c0 none    => 1 | free(#0)",
    );
}

#[test]
fn s7_copy_session_id_clear_and_free() {
    check(
        "new s0
         ssl_new c0
         ssl_new c1
         ssl_set c0 s0
         free s0
         ssl_copy_session_id c1 c0 => 1
         ssl_get0 c1               => #0
         ssl_clear c1              => 1
         ssl_get0 c1               => #0
         ssl_copy_session_id c1 c1 => 1
         ssl_free c0               => void
         ssl_free c1               => void | free(#0)",
    );
}

#[test]
fn s7_ssl_objects_never_touch_the_cache() {
    check(
        "new s0
         set_id s0 01
         cache_add s0
         ssl_new c0
         ssl_set c0 s0
         free s0
         ssl_clear c0   => 1
         ssl_free c0    => void
         cache_remove s0 => skipped",
    );
}

// §8 ------------------------------------------------------------------------

#[test]
fn s8_key_is_version_and_id() {
    check(
        "new s0
         set_id s0 01
         set_protocol_version s0 0x0304
         new s1
         set_id s1 01
         set_protocol_version s1 0x0303
         cache_add s0 => 1
         cache_add s1 => 1
         cache_remove s1 => 1 | rm(#3)
         cache_remove s0 => 1 | rm(#0)",
    );
}

#[test]
fn s8_cache_size_rules() {
    check(
        "cache_size -1 => 0
         cache_size 0  => 20480
         cache_size 2  => 0
         cache_size 5  => 2",
    );
}

#[test]
fn s8_effective_capacity_is_size_minus_one() {
    check(
        "cache_size 3
         new s0
         set_id s0 01
         cache_add s0 => 1
         new s3
         set_id s3 02
         cache_add s3 => 1
         new s6
         set_id s6 03
         cache_add s6 => 1 | rm(#1)
         cache_size 1 => 3
         new s7
         set_id s7 04
         cache_add s7 => 1 | rm(#4) rm(#7)",
    );
}

#[test]
fn s8_lowering_the_size_evicts_at_the_next_new_entry_only() {
    check(
        "new s0
         set_id s0 01
         cache_add s0
         new s1
         set_id s1 02
         cache_add s1
         new s2
         set_id s2 03
         cache_add s2
         cache_size 2 => 20480
         cache_add s2 => 0
         new s3
         set_id s3 04
         cache_add s3 => 1 | rm(#0) rm(#3) rm(#6)",
    );
}

#[test]
fn s8_evictions_release_in_turn_under_the_lock() {
    check(
        "cache_size 1
         new s0
         set_id s0 01
         cache_add s0
         free s0
         new s1
         set_id s1 02
         cache_add s1 => 1 | rm(#1) free(#1)",
    );
}

#[test]
fn s8_re_add_moves_to_the_head_of_its_ties() {
    check(
        "new s0
         set_id s0 01
         new s1
         set_id s1 02
         cache_add s0 => 1
         cache_add s1 => 1
         cache_add s0 => 0
         cache_size 3
         new s2
         set_id s2 03
         cache_add s2 => 1 | rm(#2)",
    );
}

#[test]
fn s8_set_time_on_a_cached_session_resorts_it() {
    check(
        "new s0
         set_id s0 01
         new s1
         set_id s1 02
         cache_add s0
         cache_add s1
         set_time s0 1700000000 => 1700000000
         cache_size 3
         new s2
         set_id s2 03
         cache_add s2 => 1 | rm(#2)",
    );
}

#[test]
fn s8_an_empty_id_tail_blocks_eviction() {
    check(
        "cache_size 2
         new s0
         set_time s0 0
         cache_add s0 => 1
         new s1
         set_id s1 01
         cache_add s1 => 1
         new s2
         set_id s2 02
         cache_add s2 => 1
         cache_remove s0 => 0
         cache_flush 0 => void | rm(#1) rm(#4) rm(#7)",
    );
}

#[test]
fn s8_remove_marks_its_argument_and_calls_back_found_or_not() {
    check(
        "new s0
         set_id s0 01
         cache_remove s0 => 0 | rm(#0)
         is_resumable s0 => 0
         cache_add s0    => 1
         cache_remove s0 => 1 | rm(#0)
         cache_remove s0 => 0 | rm(#0)",
    );
}

#[test]
fn s8_flush_calls_back_then_releases_in_order() {
    check(
        "new s0
         set_id s0 01
         new s1
         set_id s1 02
         set_time s1 1699999999
         cache_add s0
         cache_add s1
         free s0
         free s1
         cache_flush 0 => void | rm(#2) rm(#0) free(#2) free(#0)",
    );
}

/// A cache past the native list's small form (32 entries): 40 sessions
/// added in one order and expiring in another; a flush takes the first 25
/// to expire, in expiry order, and the context's free the other 15.
#[test]
fn s8_a_large_cache_flushes_in_expiry_order() {
    const N: u64 = 40;
    // Session i is made at step 5 i and expires in place (17 i) mod 40.
    let place = |i: u64| (17 * i) % N;
    let mut text = String::new();
    for i in 0..N {
        let time = 1_700_000_000 + 10 * place(i);
        text += &format!("new s0\nset_id s0 {i:02x}\nset_time s0 {time}\ncache_add s0\nfree s0\n");
    }
    let mut order: Vec<u64> = (0..N).collect();
    order.sort_by_key(|&i| place(i));
    let events = |sessions: &[u64]| {
        let rm = sessions.iter().map(|i| format!("rm(#{})", 5 * i));
        let free = sessions.iter().map(|i| format!("free(#{})", 5 * i));
        rm.chain(free).collect::<Vec<_>>().join(" ")
    };
    let cut = 1_700_000_000 + 10 * 24 + 5 + 304;
    text += &format!("cache_flush {cut} => void | {}\n", events(&order[..25]));
    text += &format!("ctx_free => void | {}\n", events(&order[25..]));
    check(&text);
}

#[test]
fn s8_ctx_free_flushes_and_a_new_ctx_starts_empty() {
    check(
        "new s0
         set_id s0 01
         cache_add s0
         cache_size 7
         ctx_free     => void | rm(#0)
         is_resumable s0 => 0
         ctx_new      => void
         cache_size 1 => 20480
         cache_remove s0 => 0 | rm(#0)",
    );
}

#[test]
fn s8_ctx_free_waits_for_its_ssls() {
    check(
        "ssl_new c0
         ctx_free => skipped
         ssl_free c0
         ctx_free => void",
    );
}

// §9 ------------------------------------------------------------------------

#[test]
fn s9_each_object_dies_once_with_its_own_tag() {
    check(
        "new s0
         dup s0 -> s1   => #1
         dup s1 -> s2   => #2
         up_ref s2 -> s3
         free s1        => void | free(#1)
         free s2        => void
         drain => free(#0) free(#2)",
    );
}

// §10 -----------------------------------------------------------------------

#[test]
fn s10_encoding_needs_a_known_cipher() {
    // The snapshot compares the bytes after every step; `encode` returns
    // the length.
    check(
        "new s0
         encode s0                => 0
         set_cipher s0 0x1306     => 1
         encode s0                => 0
         set_cipher s0 0x1301     => 1
         encode s0                => 50
         set_time s0 0
         set_timeout s0 0
         encode s0                => 36
         set_cipher s0 none       => 1
         encode s0                => 0",
    );
}

#[test]
fn s10_optional_fields_and_long_lengths() {
    let key = "4d".repeat(200);
    check(&format!(
        "new s0
         set_cipher s0 0x00ff
         set_id s0 0102
         set_master_key s0 {key}
         set_hostname s0 \"h.example\"
         set_alpn s0 6832
         set_ticket_appdata s0 0001
         set_max_early_data s0 4294967295
         set_time s0 -5
         set_protocol_version s0 -1
         encode s0 => 286"
    ));
}

#[test]
fn s14_has_matching_id_looks_up_the_ssl_version_and_the_id() {
    // SSL_has_matching_session_id keys its lookup by the SSL's version —
    // 0x0304 for a new TLS_method SSL — and the id; it changes nothing.
    check(
        "new s0
         set_id s0 0a0b0c0d
         set_protocol_version s0 0x0304
         new s1
         set_id s1 01020304
         set_protocol_version s1 0x0303
         cache_add s0                           => 1
         cache_add s1                           => 1
         ssl_new c0
         ssl_has_matching_id c0 0a0b0c0d        => 1
         ssl_has_matching_id c0 0a0b0c          => 0
         ssl_has_matching_id c0 01020304        => 0
         ssl_has_matching_id c0 \"\"            => 0
         new s2
         set_protocol_version s2 0x0304
         cache_add s2                           => 1
         ssl_has_matching_id c0 \"\"            => 1
         ssl_has_matching_id c0 0a0b0c0d0a0b0c0d0a0b0c0d0a0b0c0d0a0b0c0d0a0b0c0d0a0b0c0d0a0b0c0d0a => 0
         cache_remove s0                        => 1 | rm(#0)
         ssl_has_matching_id c0 0a0b0c0d        => 0
         drain => free(#0) rm(#3) rm(#13) free(#3) free(#13)",
    );
}
