//! The harness catches reference-count bugs: a native backend with a bug
//! swapped in (the model itself is not edited) must diverge from libssl
//! within a few hundred random programs.

use sessdiff::backend::{Backend, Event, NativeBackend, OsslBackend, Ret, State};
use sessdiff::campaign::{self, Config};
use sessdiff::program::{Op, S, Tag};

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// `ssl_get1` takes one reference too many (it is never released).
    Get1Leaks,
    /// `dup` shares the source instead of copying it.
    DupShares,
    /// `free` also releases the reference of another slot holding the same
    /// object (one release too many).
    FreeReleasesTwice,
}

struct Faulty {
    inner: NativeBackend,
    fault: Fault,
}

impl Backend for Faulty {
    fn name(&self) -> &'static str {
        "faulty native"
    }

    fn apply(&mut self, step: Tag, op: &Op) -> (Ret, u32) {
        match (self.fault, op) {
            (Fault::DupShares, Op::Dup(src, dst)) => {
                let s = self.inner.session(*src).cloned();
                let ret = Ret::Obj(s.as_ref().map(|s| self.inner.tag(s)));
                self.inner.put_session(*dst, s);
                (ret, 0)
            }
            (Fault::FreeReleasesTwice, Op::Free(s)) => {
                let target = self.inner.session(*s).cloned();
                if let Some(t) = target {
                    let twin = S::all().find(|o| {
                        o != s
                            && self
                                .inner
                                .session(*o)
                                .is_some_and(|x| sessdiff::native::Session::ptr_eq(x, &t))
                    });
                    if let Some(o) = twin {
                        self.inner.put_session(o, None);
                    }
                }
                self.inner.apply(step, op)
            }
            (Fault::Get1Leaks, Op::SslGet1(_, dst)) => {
                let r = self.inner.apply(step, op);
                if let Some(s) = self.inner.session(*dst) {
                    std::mem::forget(s.clone());
                }
                r
            }
            _ => self.inner.apply(step, op),
        }
    }

    fn take_events(&mut self) -> Vec<Event> {
        self.inner.take_events()
    }

    fn state(&self) -> State {
        self.inner.state()
    }

    fn abandon(&mut self) {
        self.inner.abandon()
    }
}

fn hunt(fault: Fault) -> (u64, String) {
    let config = Config {
        seed: 1,
        ops: 32,
        duration: None,
        programs: Some(500),
    };
    let (stats, found) = campaign::run(
        &config,
        || {
            (
                Faulty {
                    inner: NativeBackend::new(),
                    fault,
                },
                OsslBackend::new().unwrap(),
            )
        },
        |_| {},
    );
    let found =
        found.unwrap_or_else(|| panic!("{fault:?} not caught in {} programs", stats.programs));
    // The written reproducer replays to the same divergence.
    let again = sessdiff::lockstep::run(
        &found.program,
        &mut Faulty {
            inner: NativeBackend::new(),
            fault,
        },
        &mut OsslBackend::new().unwrap(),
    )
    .expect_err("the program reproduces");
    assert_eq!(again.signature(), found.divergence.signature());
    (stats.programs, found.divergence.signature())
}

#[test]
fn a_leaking_get1_is_caught() {
    let (n, sig) = hunt(Fault::Get1Leaks);
    assert!(n <= 500);
    assert!(
        sig.contains("live_sessions") || sig.contains("events"),
        "{sig}"
    );
}

#[test]
fn a_sharing_dup_is_caught() {
    let (_, sig) = hunt(Fault::DupShares);
    assert_eq!(sig, "divergence:dup:ret");
}

#[test]
fn an_extra_release_is_caught() {
    let (_, sig) = hunt(Fault::FreeReleasesTwice);
    assert!(sig.starts_with("divergence:"), "{sig}");
}

#[test]
fn the_real_native_backend_is_not_flagged() {
    let config = Config {
        seed: 1,
        ops: 32,
        duration: None,
        programs: Some(500),
    };
    let (stats, found) = campaign::run(
        &config,
        || (NativeBackend::new(), OsslBackend::new().unwrap()),
        |_| {},
    );
    assert!(found.is_none(), "{}", found.unwrap().divergence);
    assert_eq!(stats.programs, 500);
    assert!(stats.ops > 500 * 20, "most ops are legal: {}", stats.ops);
}
