//! SEMANTICS.md §9, ex_data with the indexes programs register
//! (`ex_new_index`, `ex_set`, `ex_get`): one lockstep test per rule against
//! the system libssl, with every callback call pinned as an event
//! (`ex_new`, `ex_dup`, `ex_free`) in the order both sides must make it.

mod common;
use common::check;

#[test]
fn s9_1_app_data_is_index_0_and_program_indexes_start_at_1() {
    // Index 0 (app_data) has no callbacks; the first registered index is
    // a different slot. An index not yet registered cannot be used.
    check(
        "new s0
         ex_get s0 1                           => skipped
         ex_new_index new=log dup=keep free=log => void
         ex_set s0 0 7                         => 1
         ex_get s0 0                           => 7
         ex_get s0 1                           => 0
         free s0                               => void | ex_free(#0, 1, null) free(#0)",
    );
}

#[test]
fn s9_2_new_runs_in_index_order_for_new_dup_and_decode() {
    // For a made session, a dup's copy and a decoded one, each with NULL;
    // a session born before the indexes were registered saw no new
    // callback. The decode makes its session before it checks the fields
    // (here: protocol version 0, SSL_R_UNSUPPORTED_SSL_VERSION), so the
    // refused session is born and dies within the call.
    check(
        "new s0
         set_cipher s0 0x1301
         ex_new_index new=log dup=none free=none => void
         ex_new_index new=log dup=none free=none => void
         new s1                  => #4 | ex_new(#4, 1, null) ex_new(#4, 2, null)
         dup s0 -> s2            => #5 | ex_new(#5, 1, null) ex_new(#5, 2, null)
         reencode s0 -> s3       => NULL err SSL:259 | ex_new(#6, 1, null) ex_new(#6, 2, null) free(#6)",
    );
}

#[test]
fn s9_3_dup_of_a_session_never_set_runs_no_dup_callback() {
    // Not even for an index registered with a dup callback, and although
    // new callbacks ran (without storing anything).
    check(
        "ex_new_index new=log dup=keep free=none => void
         new s0                  => #1 | ex_new(#1, 1, null)
         dup s0 -> s1            => #2 | ex_new(#2, 1, null)
         ex_get s1 1             => 0",
    );
}

#[test]
fn s9_3_a_null_set_still_counts_as_set() {
    // Setting NULL makes the ex_data \"set\": dup callbacks run from then on.
    check(
        "ex_new_index new=none dup=keep free=none => void
         new s0
         ex_set s0 1 null        => 1
         dup s0 -> s1            => #3 | ex_dup(#1, 1, null)",
    );
}

#[test]
fn s9_3_dup_runs_up_to_the_highest_index_set() {
    // Only index 2 set: dup runs dup1(NULL) and dup2, not dup3; the copy's
    // index 2 holds what dup2 gave it.
    check(
        "ex_new_index new=none dup=keep free=none => void
         ex_new_index new=none dup=set:9 free=none => void
         ex_new_index new=none dup=keep free=none => void
         new s0
         ex_set s0 2 7           => 1
         dup s0 -> s1            => #5 | ex_dup(#3, 1, null) ex_dup(#3, 2, 7)
         ex_get s1 2             => 9
         ex_get s0 2             => 7",
    );
}

#[test]
fn s9_3_dup_copies_over_the_new_value_but_not_above_the_highest_set() {
    // Index 1 has no dup callback: the source's value is copied over what
    // the copy's new callback stored. Index 2, above the highest index the
    // source set, keeps the new callback's value.
    check(
        "ex_new_index new=set:5 dup=none free=none => void
         ex_new_index new=set:6 dup=keep free=none => void
         new s0                  => #2 | ex_new(#2, 1, null) ex_new(#2, 2, null)
         ex_set s0 1 3           => 1
         ex_set s0 2 null        => 1
         dup s0 -> s1            => #5 | ex_new(#5, 1, null) ex_new(#5, 2, null) ex_dup(#2, 2, null)
         ex_get s1 1             => 3
         ex_get s1 2             => 0",
    );
    check(
        "ex_new_index new=set:5 dup=none free=none => void
         ex_new_index new=set:6 dup=keep free=none => void
         ex_new_index new=set:6 dup=none free=none => void
         new s0
         ex_set s0 1 3
         ex_set s0 2 null
         ex_set s0 0 null
         dup s0 -> s1            => #7 | ex_new(#7, 1, null) ex_new(#7, 2, null) ex_new(#7, 3, null) ex_dup(#3, 2, null)
         ex_get s1 3             => 6",
    );
}

#[test]
fn s9_3_a_refusing_dup_callback_fails_the_dup_and_stops_there() {
    // dup1 refuses: dup2 never runs; the half-made copy dies, its free
    // callbacks running; 3.0 queues ERR_R_MALLOC_FAILURE.
    check(
        "ex_new_index new=none dup=fail free=log => void
         ex_new_index new=none dup=keep free=log => void
         new s0
         ex_set s0 2 4
         dup s0 -> s1            => NULL err SSL:256 | ex_dup(#2, 1, null) ex_free(#4, 1, null) ex_free(#4, 2, null) free(#4)
         free s0                 => void | ex_free(#2, 1, null) ex_free(#2, 2, 4) free(#2)",
    );
}

#[test]
fn s9_4_free_runs_every_index_in_order_even_those_registered_later() {
    // Indexes registered after the session was born still get their free
    // callback, with NULL; the death event comes after them.
    check(
        "new s0
         ex_new_index new=log dup=none free=log => void
         ex_set s0 1 8
         ex_new_index new=log dup=none free=log => void
         free s0                 => void | ex_free(#0, 1, 8) ex_free(#0, 2, null) free(#0)",
    );
}

#[test]
fn s9_5_free_callbacks_run_inside_the_cache_for_an_eviction() {
    // The evicted session's last reference is the cache's: its free
    // callbacks run within cache_add, after the remove callback.
    check(
        "cache_size 1
         ex_new_index new=none dup=none free=log => void
         new s0
         set_id s0 01
         set_timeout s0 10
         new s1
         set_id s1 02
         set_timeout s1 20
         cache_add s0            => 1
         free s0                 => void
         cache_add s1            => 1 | rm(#2) ex_free(#2, 1, null) free(#2)",
    );
}
