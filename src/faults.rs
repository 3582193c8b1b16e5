//! Deliberately faulty backends, to show that the harness catches bugs in
//! reference counting and in the DER codec.
//! Compiled only with the `faults` feature; never used by `sessdiff fuzz`.
//!
//! Most wrap the real [`NativeBackend`] and change one call or what one
//! snapshot shows; the model itself is not edited. Faults that must sit
//! inside the model's own code (to show that the backend really calls it)
//! are planted through [`crate::native::planted`].

use std::str::FromStr;

use crate::backend::{Backend, Event, NativeBackend, Ret, State};
use crate::native::planted::{self, ModelFault};
use crate::native::{self, Session};
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
    /// The encoding shows the host name's last byte flipped (`[6]` keeps
    /// its length).
    EncodeFlipsHostnameByte,
    /// The encoding shows the host name without its last byte (`[6]` and
    /// the SEQUENCE one byte shorter).
    EncodeDropsHostnameByte,
    /// `native::Ssl::copy_session_id` keeps the old session when the
    /// source `SSL` has none (planted inside the model).
    CopySessionIdKeepsOld,
    /// `native::ExClass`'s dup runs the dup callbacks of every registered
    /// index, not only up to the highest index the source ever set
    /// (planted inside the model).
    ExDupPastHighestSet,
    /// `ssl_clear` aborts the process, as a library that corrupts its heap
    /// does (for the survey's crash handling).
    AbortsOnSslClear,
    /// `ssl_get0` never returns, as a library caught in a loop does (for
    /// the survey's hang handling).
    SpinsOnSslGet0,
    /// A memory error on the libssl side, not in the model: the libssl
    /// backend's `free` releases one reference too many
    /// ([`crate::backend::OsslBackend::plant_extra_release`]), so freeing a
    /// last reference is a use-after-free inside libssl. AddressSanitizer,
    /// not the oracle, must report it (`scripts/check-libssl-asan.sh`).
    LibsslReleasesTwice,
    /// `SSL_CTX_sess_number` reads one short once the cache holds two or
    /// more sessions (the members, the size and `cache_full` stay right):
    /// a difference in a cache counter only.
    CacheNumberOneShort,
    /// The cache's member list hides its last member once it holds two or
    /// more (the counters stay right): a difference in the members only.
    CacheHidesMember,
    /// An `SSL` shows no session (`SSL_get0_session` NULL) while it holds
    /// one: a difference in the `SSL`'s session only.
    SslHidesSession,
    /// An `SSL`'s verify result reads one more than it is: a difference in
    /// the verify result only.
    SslVerifyResultOff,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 15] = [
        Fault::Get1Leaks,
        Fault::DupShares,
        Fault::FreeReleasesTwice,
        Fault::DecodeDropsHostname,
        Fault::EncodeFlipsHostnameByte,
        Fault::EncodeDropsHostnameByte,
        Fault::CopySessionIdKeepsOld,
        Fault::ExDupPastHighestSet,
        Fault::AbortsOnSslClear,
        Fault::SpinsOnSslGet0,
        Fault::LibsslReleasesTwice,
        Fault::CacheNumberOneShort,
        Fault::CacheHidesMember,
        Fault::SslHidesSession,
        Fault::SslVerifyResultOff,
    ];

    /// The fault's name on the command line and in `SESSDIFF_FAULT`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Get1Leaks => "get1-leaks",
            Fault::DupShares => "dup-shares",
            Fault::FreeReleasesTwice => "free-releases-twice",
            Fault::DecodeDropsHostname => "decode-drops-hostname",
            Fault::EncodeFlipsHostnameByte => "encode-flips-hostname-byte",
            Fault::EncodeDropsHostnameByte => "encode-drops-hostname-byte",
            Fault::CopySessionIdKeepsOld => "copy-session-id-keeps-old",
            Fault::ExDupPastHighestSet => "ex-dup-past-highest-set",
            Fault::AbortsOnSslClear => "aborts-on-ssl-clear",
            Fault::SpinsOnSslGet0 => "spins-on-ssl-get0",
            Fault::LibsslReleasesTwice => "libssl-releases-twice",
            Fault::CacheNumberOneShort => "cache-number-one-short",
            Fault::CacheHidesMember => "cache-hides-member",
            Fault::SslHidesSession => "ssl-hides-session",
            Fault::SslVerifyResultOff => "ssl-verify-result-off",
        }
    }

    /// Whether the fault is in the DER codec (found by the `der` target)
    /// rather than in reference counting (found by `ops`).
    pub fn in_codec(self) -> bool {
        self == Fault::DecodeDropsHostname
    }

    /// Whether the fault ends or stalls the process (only a worker process
    /// may run it).
    pub fn kills_the_process(self) -> bool {
        matches!(
            self,
            Fault::AbortsOnSslClear | Fault::SpinsOnSslGet0 | Fault::LibsslReleasesTwice
        )
    }

    /// Whether the fault is planted in the libssl backend (see
    /// [`crate::backend::OsslBackend::plant_extra_release`]) rather than in
    /// the model.
    pub fn in_libssl(self) -> bool {
        self == Fault::LibsslReleasesTwice
    }

    /// The fault planted inside the model, if it is one.
    fn in_model(self) -> Option<ModelFault> {
        match self {
            Fault::CopySessionIdKeepsOld => Some(ModelFault::CopySessionIdKeepsOld),
            Fault::ExDupPastHighestSet => Some(ModelFault::ExDupPastHighestSet),
            _ => None,
        }
    }
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Fault, String> {
        Fault::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
                format!("unknown fault `{s}` ({})", names.join(", "))
            })
    }
}

/// `der` with the content of its `[6]` element changed by `edit` (which
/// sees the host name's bytes), lengths fixed up; `der` itself if it has
/// no `[6]` with a short-form OCTET STRING inside.
fn edit_hostname(der: &[u8], edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let Some(elements) = native::elements(der) else {
        return der.to_vec();
    };
    let mut body = Vec::new();
    let mut edited = false;
    for e in &elements {
        let bytes = &der[e.offset..e.offset + e.len];
        if e.field == Some(native::Field::Hostname) && bytes.len() >= 4 && bytes[1] < 0x80 {
            let mut host = bytes[4..].to_vec();
            edit(&mut host);
            let mut inner = Vec::new();
            native::der_tlv(&mut inner, 0x04, &host);
            native::der_tlv(&mut body, bytes[0], &inner);
            edited = true;
        } else {
            body.extend_from_slice(bytes);
        }
    }
    if !edited {
        return der.to_vec();
    }
    let mut out = Vec::new();
    native::der_tlv(&mut out, der[0], &body);
    out
}

/// The native backend with one or more [`Fault`]s.
pub struct FaultyBackend {
    inner: NativeBackend,
    faults: Vec<Fault>,
}

impl FaultyBackend {
    /// A fresh world with `fault` planted.
    pub fn new(fault: Fault) -> FaultyBackend {
        FaultyBackend::with(&[fault])
    }

    /// A fresh world with every fault of `faults` planted (for an op that
    /// two faults change, the first listed wins).
    pub fn with(faults: &[Fault]) -> FaultyBackend {
        planted::plant(faults.iter().find_map(|f| f.in_model()));
        FaultyBackend {
            inner: NativeBackend::new(),
            faults: faults.to_vec(),
        }
    }

    /// What `fault` makes of `op`, if it changes it.
    fn faulty(&mut self, fault: Fault, step: Tag, op: &Op) -> Option<(Ret, u32)> {
        Some(match (fault, op) {
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
            (Fault::AbortsOnSslClear, Op::SslClear(_)) => std::process::abort(),
            (Fault::SpinsOnSslGet0, Op::SslGet0(_)) => loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            },
            _ => return None,
        })
    }
}

impl Drop for FaultyBackend {
    fn drop(&mut self) {
        planted::plant(None);
    }
}

impl Backend for FaultyBackend {
    fn name(&self) -> &'static str {
        "faulty native"
    }

    fn apply(&mut self, step: Tag, op: &Op) -> (Ret, u32) {
        for i in 0..self.faults.len() {
            if let Some(r) = self.faulty(self.faults[i], step, op) {
                return r;
            }
        }
        self.inner.apply(step, op)
    }

    fn take_events(&mut self) -> Vec<Event> {
        self.inner.take_events()
    }

    fn hazard(&self, op: &Op) -> Option<&'static str> {
        self.inner.hazard(op)
    }

    fn fill(&self, out: &mut State, full: bool) {
        self.inner.fill(out, full);
        for fault in &self.faults {
            match fault {
                Fault::EncodeFlipsHostnameByte | Fault::EncodeDropsHostnameByte => {
                    let edit: fn(&mut Vec<u8>) = if *fault == Fault::EncodeFlipsHostnameByte {
                        |h| {
                            if let Some(last) = h.last_mut() {
                                *last ^= 1;
                            }
                        }
                    } else {
                        |h| {
                            h.pop();
                        }
                    };
                    for (_, s) in &mut out.sessions {
                        s.encoding = edit_hostname(&s.encoding, edit);
                    }
                }
                Fault::CacheNumberOneShort => {
                    if let Some(c) = out.cache.as_mut().filter(|c| c.number >= 2) {
                        c.number -= 1;
                    }
                }
                Fault::CacheHidesMember => {
                    if let Some(c) = out.cache.as_mut().filter(|c| c.members.len() >= 2) {
                        c.members.pop();
                    }
                }
                Fault::SslHidesSession => {
                    for ssl in out.ssls.iter_mut().flatten() {
                        ssl.session = None;
                    }
                }
                Fault::SslVerifyResultOff => {
                    for ssl in out.ssls.iter_mut().flatten() {
                        ssl.verify_result += 1;
                    }
                }
                _ => {}
            }
        }
    }

    fn abandon(&mut self) {
        self.inner.abandon()
    }

    fn unobserved(&self) -> &'static [&'static str] {
        self.inner.unobserved()
    }
}
