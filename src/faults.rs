//! Deliberately faulty backends, to show that the harness catches bugs in
//! reference counting and in the DER codec.
//! Compiled only with the `faults` feature; never used by `sessdiff fuzz`.
//!
//! Each wraps the real [`NativeBackend`] and changes one call — the model
//! itself is not edited.

use std::str::FromStr;

use crate::backend::{Backend, Event, NativeBackend, Ret, State};
use crate::native::Session;
use crate::program::{Op, S, Tag};

/// A bug to plant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `ssl_get1` takes one reference too many (never released).
    Get1Leaks,
    /// `dup` shares the source instead of copying it.
    DupShares,
    /// `free` also releases another slot's reference to the same object.
    FreeReleasesTwice,
    /// `decode` loses the host name (`[6]`) of what it decodes.
    DecodeDropsHostname,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 4] = [
        Fault::Get1Leaks,
        Fault::DupShares,
        Fault::FreeReleasesTwice,
        Fault::DecodeDropsHostname,
    ];

    /// Whether the fault is in the DER codec (found by the `der` target)
    /// rather than in reference counting (found by `ops`).
    pub fn in_codec(self) -> bool {
        self == Fault::DecodeDropsHostname
    }
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Fault, String> {
        match s {
            "get1-leaks" => Ok(Fault::Get1Leaks),
            "dup-shares" => Ok(Fault::DupShares),
            "free-releases-twice" => Ok(Fault::FreeReleasesTwice),
            "decode-drops-hostname" => Ok(Fault::DecodeDropsHostname),
            _ => Err(format!(
                "unknown fault `{s}` (get1-leaks, dup-shares, free-releases-twice, \
                 decode-drops-hostname)"
            )),
        }
    }
}

/// The native backend with one [`Fault`].
pub struct FaultyBackend {
    inner: NativeBackend,
    fault: Fault,
}

impl FaultyBackend {
    /// A fresh world with `fault` planted.
    pub fn new(fault: Fault) -> FaultyBackend {
        FaultyBackend {
            inner: NativeBackend::new(),
            fault,
        }
    }
}

impl Backend for FaultyBackend {
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
                if let Some(target) = self.inner.session(*s).cloned() {
                    let twin = S::all().find(|o| {
                        o != s
                            && self
                                .inner
                                .session(*o)
                                .is_some_and(|x| Session::ptr_eq(x, &target))
                    });
                    if let Some(o) = twin {
                        self.inner.put_session(o, None);
                    }
                }
                self.inner.apply(step, op)
            }
            (Fault::DecodeDropsHostname, Op::Decode(_, dst)) => {
                let r = self.inner.apply(step, op);
                if let Some(s) = self.inner.session(*dst) {
                    s.set1_hostname(None);
                }
                r
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

    fn fill_state(&self, out: &mut State) {
        self.inner.fill_state(out)
    }

    fn fill_summary(&self, out: &mut State) {
        self.inner.fill_summary(out)
    }

    fn abandon(&mut self) {
        self.inner.abandon()
    }
}
