//! Biased reference counting ([`LocalSession`]): threads racing up_ref,
//! free and drop on shared sessions, local and shared references mixed;
//! every session must die exactly once, after its last reference of any
//! kind, with its fields intact.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use sessdiff::native::{ExCallbacks, ExClass, LocalSession, Session};

/// A class whose free callback counts deaths and checks the fields.
fn counting_class(deaths: &Arc<AtomicUsize>) -> Arc<ExClass> {
    let mut class = ExClass::new();
    let d = deaths.clone();
    class.register(ExCallbacks {
        new: None,
        dup: None,
        free: Some(Box::new(move |data, _| {
            assert_eq!(data.id(), [7, 7], "fields intact at death");
            d.fetch_add(1, Ordering::SeqCst);
        })),
    });
    Arc::new(class)
}

#[test]
fn local_references_keep_a_session_alive_and_the_last_one_frees_it() {
    let deaths = Arc::new(AtomicUsize::new(0));
    let class = counting_class(&deaths);
    let s = Session::new_in(&class, 0);
    s.set1_id(&[7, 7]).unwrap();
    let local = LocalSession::new(s);
    // The session's API through the local handle, on the same object.
    local.set_timeout(77).unwrap();
    assert_eq!(local.to_shared().read().timeout(), 77);
    assert!(format!("{local:?}").starts_with("LocalSession(Session("));
    let copies: Vec<_> = (0..10).map(|_| local.up_ref()).collect();
    assert_eq!(LocalSession::local_count(&local), 11);
    let shared = local.to_shared();
    drop(local);
    drop(copies);
    assert_eq!(
        deaths.load(Ordering::SeqCst),
        0,
        "a shared reference is left"
    );
    drop(shared);
    assert_eq!(deaths.load(Ordering::SeqCst), 1);
}

#[test]
fn threads_racing_local_and_shared_references_free_each_session_once() {
    const THREADS: usize = 4;
    const SESSIONS: usize = 64;
    const ROUNDS: usize = 200;
    let deaths = Arc::new(AtomicUsize::new(0));
    let class = counting_class(&deaths);
    let sessions: Vec<Session> = (0..SESSIONS)
        .map(|_| {
            let s = Session::new_in(&class, 0);
            s.set1_id(&[7, 7]).unwrap();
            s
        })
        .collect();
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            // Each thread gets its own shared references up front.
            let mine: Vec<Session> = sessions.iter().map(Session::up_ref).collect();
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                for round in 0..ROUNDS {
                    for (i, s) in mine.iter().enumerate() {
                        // Local groups made, cloned and dropped on this
                        // thread, while others do the same with theirs.
                        let local = LocalSession::new(s.up_ref());
                        let more: Vec<_> =
                            (0..(i + round + t) % 5).map(|_| local.up_ref()).collect();
                        let out = local.to_shared();
                        drop(local);
                        drop(more);
                        drop(out);
                    }
                }
                // Half the threads free their references at the end, the
                // others keep them in local groups dropped in turn.
                if t % 2 == 0 {
                    drop(mine);
                } else {
                    let locals: Vec<_> = mine.into_iter().map(LocalSession::new).collect();
                    drop(locals);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("no thread panicked");
    }
    assert_eq!(
        deaths.load(Ordering::SeqCst),
        0,
        "the main thread still holds one each"
    );
    drop(sessions);
    assert_eq!(deaths.load(Ordering::SeqCst), SESSIONS, "each died once");
}
