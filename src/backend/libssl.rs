//! [`OsslBackend`]: the linked libssl as a backend, through the safe types
//! of [`crate::ossl`]. Every op is the one libssl call it names.

use super::{
    Backend, Event, ExCall, ExCallback, Getters, Ret, State, UNTAGGED, Walk, int, pin_clock_time,
    refused_empty,
};
use crate::caps;
use crate::native::{SessionId, wall_clock};
use crate::ossl;
use crate::program::{BIRTH_TIME, C, ExDup, ExNew, ExSpec, Op, S, SESSION_SLOTS, SSL_SLOTS, Tag};

/// The hooks that make the pool's callbacks do what `spec` asks.
fn hooks(spec: &ExSpec) -> ossl::ExHooks {
    ossl::ExHooks {
        new: match spec.new {
            ExNew::None => None,
            ExNew::Log => Some(None),
            ExNew::Set(v) => Some(Some(v.into())),
        },
        dup: match spec.dup {
            ExDup::None => None,
            ExDup::Keep => Some(ossl::ExDupHook::Keep),
            ExDup::Fail => Some(ossl::ExDupHook::Fail),
            ExDup::Set(v) => Some(ossl::ExDupHook::Set(v.into())),
        },
        free: spec.free,
    }
}

/// libssl's getters as the snapshot reads them.
impl Getters for ossl::View<'_> {
    fn id(&self) -> SessionId {
        SessionId::new(ossl::View::id(self).as_bytes()).unwrap_or_default()
    }
    fn sid_ctx(&self) -> SessionId {
        SessionId::new(self.id_context().as_bytes()).unwrap_or_default()
    }
    fn master_key(&self, out: &mut Vec<u8>) {
        self.master_key_into(out);
    }
    fn time(&self) -> i64 {
        ossl::View::time(self)
    }
    fn timeout(&self) -> i64 {
        ossl::View::timeout(self)
    }
    fn protocol_version(&self) -> i32 {
        ossl::View::protocol_version(self)
    }
    // A getter the linked library lacks ([`crate::caps`]) is not called:
    // its field reads as the default, and the lockstep compares it on
    // neither side (`State::unobserved`).
    fn hostname(&self, out: &mut Option<Vec<u8>>) {
        match caps::observes("hostname") {
            true => self.hostname_into(out),
            false => *out = None,
        }
    }
    fn alpn_selected(&self, out: &mut Option<Vec<u8>>) {
        match caps::observes("alpn_selected") {
            true => self.alpn_selected_into(out),
            false => *out = None,
        }
    }
    fn ticket_appdata(&self, out: &mut Option<Vec<u8>>) {
        match caps::observes("ticket_appdata") {
            true => self.ticket_appdata_into(out),
            false => *out = None,
        }
    }
    fn max_early_data(&self) -> u32 {
        ossl::View::max_early_data(self)
    }
    fn ticket_lifetime_hint(&self) -> u64 {
        ossl::View::ticket_lifetime_hint(self)
    }
    fn compress_id(&self) -> u32 {
        ossl::View::compress_id(self)
    }
    fn max_fragment_length(&self) -> u8 {
        match caps::observes("max_fragment_length") {
            true => ossl::View::max_fragment_length(self),
            false => 0,
        }
    }
    fn is_resumable(&self) -> bool {
        ossl::View::is_resumable(self)
    }
    fn has_ticket(&self) -> bool {
        ossl::View::has_ticket(self)
    }
    fn cipher(&self) -> Option<u16> {
        ossl::View::cipher(self)
    }
    fn ticket(&self, out: &mut (Option<Vec<u8>>, usize)) {
        match caps::observes("ticket") {
            true => self.ticket_into(out),
            false => *out = (None, 0),
        }
    }
    fn encoding(&self, out: &mut Vec<u8>) {
        self.encoding_into(out);
    }
}

/// The system libssl as a backend. Its events come from [`ossl`]'s
/// per-thread log; one world per thread at a time.
pub struct OsslBackend {
    sessions: [Option<ossl::Session>; SESSION_SLOTS],
    ssls: [Option<ossl::Ssl>; SSL_SLOTS],
    ctx: Option<ossl::Ctx>,
    live_base: i64,
    /// How many ex_data indexes the program registered.
    ex_indexes: u8,
    /// A planted bug: `free` releases one reference too many.
    #[cfg(feature = "faults")]
    releases_twice: bool,
}

impl OsslBackend {
    /// A world with a ctx and nothing else.
    pub fn new() -> Result<OsslBackend, ossl::Hazard> {
        let ctx = ossl::Ctx::new()?;
        ossl::take_events();
        ossl::ex_reset();
        Ok(OsslBackend {
            sessions: Default::default(),
            ssls: Default::default(),
            ctx: Some(ctx),
            live_base: ossl::live_sessions(),
            ex_indexes: 0,
            #[cfg(feature = "faults")]
            releases_twice: false,
        })
    }

    /// Plants a memory error for the harness's own tests (`faults` builds
    /// only): from now on `free` releases one reference too many, so that
    /// freeing a last reference frees the object twice inside libssl.
    #[cfg(feature = "faults")]
    pub fn plant_extra_release(&mut self) {
        self.releases_twice = true;
    }

    fn decode(&mut self, step: Tag, der: &[u8], d: S) -> Ret {
        let t0 = wall_clock();
        match ossl::Session::decode(step, der) {
            Some((s, used)) => {
                pin_clock_time(t0, s.view().time(), || s.set_time(BIRTH_TIME));
                self.sessions[d.index()] = Some(s);
                Ret::Decoded(Some(step), used)
            }
            None => Ret::Decoded(None, 0),
        }
    }

    fn call(&mut self, step: Tag, op: &Op) -> Result<Ret, Ret> {
        fn hz(h: ossl::Hazard) -> Ret {
            Ret::Refused(h.to_string())
        }
        let tag = |v: ossl::View<'_>| v.tag().unwrap_or(UNTAGGED);
        let sess = |sessions: &[Option<ossl::Session>; SESSION_SLOTS], s: S| {
            sessions[s.index()].clone().ok_or_else(|| refused_empty(s))
        };
        Ok(match op {
            Op::New(d) => {
                let s = ossl::Session::new(step, BIRTH_TIME).map_err(hz)?;
                self.sessions[d.index()] = Some(s);
                Ret::Obj(Some(step))
            }
            Op::Dup(s, d) => {
                let copy = sess(&self.sessions, *s)?.dup(step);
                let ret = Ret::Obj(copy.as_ref().map(|c| tag(c.view())));
                self.sessions[d.index()] = copy;
                ret
            }
            Op::UpRef(s, d) => {
                self.sessions[d.index()] = Some(sess(&self.sessions, *s)?);
                Ret::Int(1)
            }
            Op::Free(s) => {
                let session = self.sessions[s.index()]
                    .take()
                    .ok_or_else(|| refused_empty(s))?;
                #[cfg(feature = "faults")]
                if self.releases_twice {
                    session.release_one_too_many();
                }
                drop(session);
                Ret::Void
            }
            Op::FreeNull => {
                ossl::Session::free_null();
                Ret::Void
            }
            Op::SslNew(c) => {
                let ctx = self.ctx.as_ref().ok_or_else(|| refused_empty("the ctx"))?;
                self.ssls[c.index()] = Some(ossl::Ssl::new(ctx).map_err(hz)?);
                Ret::Void
            }
            Op::SslFree(c) => {
                self.ssls[c.index()]
                    .take()
                    .ok_or_else(|| refused_empty(c))?;
                Ret::Void
            }
            Op::SslSet(c, s) => {
                let s = s.map(|s| sess(&self.sessions, s)).transpose()?;
                let ssl = self.ssls[c.index()]
                    .as_mut()
                    .ok_or_else(|| refused_empty(c))?;
                Ret::Int(ssl.set_session(s.as_ref()) as i64)
            }
            Op::SslGet0(c) => {
                let ssl = self.ssls[c.index()]
                    .as_ref()
                    .ok_or_else(|| refused_empty(c))?;
                Ret::Obj(ssl.session().map(tag))
            }
            Op::SslGet1(c, d) => {
                let ssl = self.ssls[c.index()]
                    .as_ref()
                    .ok_or_else(|| refused_empty(c))?;
                let got = ssl.get1_session();
                let ret = Ret::Obj(got.as_ref().map(|s| tag(s.view())));
                self.sessions[d.index()] = got;
                ret
            }
            Op::SslCopySessionId(t, f) => {
                if self.ssls[f.index()].is_none() {
                    return Err(refused_empty(f));
                }
                if t == f {
                    let ssl = self.ssls[t.index()]
                        .as_mut()
                        .ok_or_else(|| refused_empty(t))?;
                    Ret::Int(ssl.copy_own_session_id() as i64)
                } else {
                    let [to, from] = self
                        .ssls
                        .get_disjoint_mut([t.index(), f.index()])
                        .expect("distinct slots");
                    let (to, from) = (to.as_mut(), from.as_ref());
                    let to = to.ok_or_else(|| refused_empty(t))?;
                    Ret::Int(to.copy_session_id(from.expect("checked")) as i64)
                }
            }
            Op::SslHasMatchingId(c, id) => {
                let ssl = self.ssls[c.index()]
                    .as_ref()
                    .ok_or_else(|| refused_empty(c))?;
                Ret::Int(ssl.has_matching_session_id(id) as i64)
            }
            Op::SslClear(c) => {
                let ssl = self.ssls[c.index()]
                    .as_mut()
                    .ok_or_else(|| refused_empty(c))?;
                Ret::Int(ssl.clear() as i64)
            }
            Op::CacheAdd(s) => {
                let s = sess(&self.sessions, *s)?;
                let ctx = self.ctx.as_mut().ok_or_else(|| refused_empty("the ctx"))?;
                Ret::Int(ctx.add(&s).map_err(hz)? as i64)
            }
            Op::CacheRemove(s) => {
                let s = sess(&self.sessions, *s)?;
                let ctx = self.ctx.as_mut().ok_or_else(|| refused_empty("the ctx"))?;
                Ret::Int(ctx.remove(&s) as i64)
            }
            Op::CacheFlush(t) => {
                self.ctx
                    .as_mut()
                    .ok_or_else(|| refused_empty("the ctx"))?
                    .flush(*t);
                Ret::Void
            }
            Op::CacheSize(n) => Ret::Int(
                self.ctx
                    .as_mut()
                    .ok_or_else(|| refused_empty("the ctx"))?
                    .set_cache_size(*n),
            ),
            Op::CtxFree => {
                self.ctx.take().ok_or_else(|| refused_empty("the ctx"))?;
                Ret::Void
            }
            Op::CtxNew => {
                self.ctx = Some(ossl::Ctx::new().map_err(hz)?);
                Ret::Void
            }
            Op::SetId(s, id) => Ret::Int(sess(&self.sessions, *s)?.set1_id(id).map_err(hz)? as i64),
            Op::SetSidCtx(s, v) => Ret::Int(sess(&self.sessions, *s)?.set1_id_context(v) as i64),
            Op::SetMasterKey(s, v) => Ret::Int(sess(&self.sessions, *s)?.set1_master_key(v) as i64),
            Op::SetTime(s, t) => Ret::Int(sess(&self.sessions, *s)?.set_time(*t)),
            Op::SetTimeout(s, t) => Ret::Int(sess(&self.sessions, *s)?.set_timeout(*t)),
            Op::SetHostname(s, h) => Ret::Int(
                sess(&self.sessions, *s)?
                    .set1_hostname(h.as_deref())
                    .map_err(hz)? as i64,
            ),
            Op::SetAlpn(s, v) => {
                Ret::Int(sess(&self.sessions, *s)?.set1_alpn_selected(v.as_deref()) as i64)
            }
            Op::SetTicketAppdata(s, v) => {
                Ret::Int(sess(&self.sessions, *s)?.set1_ticket_appdata(v.as_deref()) as i64)
            }
            Op::SetProtocolVersion(s, v) => Ret::Int(
                sess(&self.sessions, *s)?
                    .set_protocol_version(*v)
                    .map_err(hz)? as i64,
            ),
            Op::SetMaxEarlyData(s, v) => {
                Ret::Int(sess(&self.sessions, *s)?.set_max_early_data(*v) as i64)
            }
            Op::SetCipher(s, c) => Ret::Int(sess(&self.sessions, *s)?.set_cipher(*c) as i64),
            Op::Encode(s) => Ret::Int(sess(&self.sessions, *s)?.view().encoding().len() as i64),
            Op::Decode(der, d) => self.decode(step, der, *d),
            Op::Reencode(s, d) => {
                let der = sess(&self.sessions, *s)?.view().encoding();
                self.decode(step, &der, *d)
            }
            Op::DecodeInto(s, der) => {
                let s = sess(&self.sessions, *s)?;
                let t0 = wall_clock();
                let used = s.decode_into(der).map_err(hz)?;
                // The clock check must not queue errors: set_time queues none.
                pin_clock_time(t0, s.view().time(), || s.set_time(BIRTH_TIME));
                Ret::Decoded(used.map(|_| tag(s.view())), used.unwrap_or(0))
            }
            Op::ExNewIndex(spec) => {
                self.ex_indexes += 1;
                ossl::ex_register(self.ex_indexes, hooks(spec));
                Ret::Void
            }
            Op::ExSet(s, i, v) => Ret::Int(
                sess(&self.sessions, *s)?
                    .set_ex_data(*i, usize::from(*v))
                    .into(),
            ),
            Op::ExGet(s, i) => Ret::Int(sess(&self.sessions, *s)?.view().ex_data(*i) as i64),
            Op::IsResumable(s) => int(sess(&self.sessions, *s)?.view().is_resumable()),
            Op::HasTicket(s) => int(sess(&self.sessions, *s)?.view().has_ticket()),
        })
    }
}

impl Backend for OsslBackend {
    fn name(&self) -> &'static str {
        "libssl"
    }

    fn apply(&mut self, step: Tag, op: &Op) -> (Ret, u32) {
        ossl::clear_errors();
        let ret = self.call(step, op).unwrap_or_else(|r| r);
        (ret, ossl::last_error())
    }

    /// An op whose function the linked library lacks is refused, not run
    /// (neither the generator nor the parser makes one; this is the last
    /// guard).
    fn hazard(&self, op: &Op) -> Option<&'static str> {
        crate::program::lacking_kinds()
            .contains(&op.kind())
            .then_some("the linked library lacks the op's function (src/ossl/capabilities.txt)")
    }

    fn unobserved(&self) -> &'static [&'static str] {
        caps::unobserved()
    }

    fn take_events(&mut self) -> Vec<Event> {
        ossl::take_events()
            .into_iter()
            .map(|e| match e {
                ossl::Observed::Removed(t) => Event::Removed(t.unwrap_or(UNTAGGED)),
                ossl::Observed::Died(t) => Event::Died(t.unwrap_or(UNTAGGED)),
                ossl::Observed::Ex(callback, t, index, value) => Event::Ex(ExCall {
                    callback: match callback {
                        ossl::ExCallback::New => ExCallback::New,
                        ossl::ExCallback::Dup => ExCallback::Dup,
                        ossl::ExCallback::Free => ExCallback::Free,
                    },
                    object: t.unwrap_or(UNTAGGED),
                    index,
                    value: value as u64,
                }),
            })
            .collect()
    }

    fn fill(&self, out: &mut State, full: bool) {
        let live = ossl::live_sessions() - self.live_base;
        let counters = self
            .ctx
            .as_ref()
            .map(|c| (c.sess_number(), c.cache_full(), c.cache_size()));
        let mut w = Walk::start(out, live, counters, full);
        let tag = |v: &ossl::View<'_>| v.tag().unwrap_or(UNTAGGED);
        if w.full() {
            for s in self.sessions.iter().flatten() {
                let v = s.view();
                w.session(tag(&v), |out| out.fill(&v));
            }
            for (c, ssl) in C::all().zip(&self.ssls) {
                let Some(ssl) = ssl else { continue };
                let session = ssl.session();
                if let Some(v) = &session {
                    w.session(tag(v), |out| out.fill(v));
                }
                w.ssl(c, session.as_ref().map(tag), ssl.verify_result());
            }
        }
        if let Some(ctx) = &self.ctx {
            ctx.for_each_member(|v| {
                w.member(tag(&v));
                w.session(tag(&v), |out| out.fill(&v));
            });
        }
        w.finish();
    }

    fn abandon(&mut self) {
        // After a divergence nothing here can be vouched for: leak it all.
        std::mem::forget(std::mem::take(&mut self.sessions));
        std::mem::forget(std::mem::take(&mut self.ssls));
        std::mem::forget(self.ctx.take());
    }
}

impl Drop for OsslBackend {
    /// A world that was not drained is leaked, never freed.
    fn drop(&mut self) {
        self.abandon();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::backend::apply_text as apply;

    /// What the backend cannot observe is what the capability table says
    /// the linked library gives no getter for.
    #[test]
    fn the_unobserved_fields_are_the_capability_tables() {
        let b = OsslBackend::new().unwrap();
        assert_eq!(b.unobserved(), caps::unobserved_in(caps::LINKED).as_slice());
    }

    #[test]
    fn free_null_changes_nothing() {
        let mut b = OsslBackend::new().unwrap();
        assert_eq!(apply(&mut b, 0, "free_null"), (Ret::Void, 0));
        assert!(b.take_events().is_empty());
        assert_eq!(b.state().live, 0);
    }

    #[test]
    fn has_matching_id_looks_in_the_ctx_cache() {
        let mut b = OsslBackend::new().unwrap();
        apply(&mut b, 0, "new s0");
        apply(&mut b, 1, "set_id s0 0a0b");
        apply(&mut b, 2, "set_protocol_version s0 0x0304");
        apply(&mut b, 3, "cache_add s0");
        apply(&mut b, 4, "ssl_new c0");
        assert_eq!(
            apply(&mut b, 5, "ssl_has_matching_id c0 0a0b").0,
            Ret::Int(1)
        );
        assert_eq!(
            apply(&mut b, 6, "ssl_has_matching_id c0 0a0c").0,
            Ret::Int(0)
        );
        // Drained by the lockstep runner normally; here by hand.
        for op in ["ssl_free c0", "free s0", "ctx_free"] {
            apply(&mut b, 7, op);
        }
        assert_eq!(b.state().live, 0);
    }
}
