//! [`Op`], the calls of the language, defined once each in the table at the
//! bottom of this file.
//!
//! A row of the table names the variant, its operands — each with its
//! Rust type and its [operand kind](super::operand) — the op's name in the
//! text format, its weight in generation and what it needs of the ctx:
//!
//! ```text
//! /// `SSL_SESSION_dup(src)` into an empty slot.
//! Dup(src: S as Src, dst: S as Fresh) = "dup", weight 6;
//! ```
//!
//! Everything else derives from the row: [`Op::kind`], [`Op::name`],
//! [`Op::effects`] (which slots the op reads, fills and frees, which
//! `SSL`s, the ctx — and so legality and the slot table's update),
//! printing and parsing, generation, shrinking ([`Op::simpler`]) and slot
//! renaming ([`Op::renamed`]). Every match the table expands to is
//! exhaustive, and each backend matches [`Op`] exhaustively too, so adding
//! an op is: one row here, one arm in each backend.

use super::ex::ExSpec;
use super::generate::Gen;
use super::operand::*;
use super::text::Args;
use super::{C, S, SlotTable};

/// What an op needs of the ctx.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CtxUse {
    /// Nothing.
    #[default]
    Any,
    /// The ctx must exist.
    Needed,
    /// Frees the ctx: it must exist, and no `SSL` may live.
    Freed,
    /// Makes a ctx: there must be none.
    Made,
}

/// How an op fills its destination slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// With the object the call returned (a new session or reference), or
    /// nothing if it returned NULL.
    Made,
    /// With another reference to the source slot's object (`up_ref`).
    Alias,
}

/// What an op reads, fills and frees: the harness's [`SlotTable`] decides
/// legality and tracks the slots from this alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effects {
    /// The session slot the op acts on; it must hold a reference.
    pub source: Option<S>,
    /// The op changes the source session's cache key, which is a hazard
    /// while a cache holds it (SEMANTICS.md §14.3).
    pub changes_key: bool,
    /// The op releases the source slot's reference.
    pub releases: bool,
    /// The empty session slot the op fills, and with what.
    pub fills: Option<(S, Fill)>,
    /// `SSL` slots that must hold an `SSL`.
    pub ssls: [Option<C>; 2],
    /// The empty `SSL` slot the op makes an `SSL` in.
    pub ssl_born: Option<C>,
    /// The `SSL` slot whose `SSL` the op frees.
    pub ssl_freed: Option<C>,
    /// What the op needs of the ctx.
    pub ctx: CtxUse,
    /// The program's ex_data index the op uses: 0 (app_data) or one that
    /// an earlier `ex_new_index` registered.
    pub ex_index: Option<u8>,
    /// The op registers the program's next ex_data index (at most
    /// [`EX_INDEXES`](super::EX_INDEXES)).
    pub ex_new_index: bool,
}

impl Effects {
    /// Records that the op needs an `SSL` in `c`.
    pub(super) fn needs_ssl(&mut self, c: C) {
        let free = self.ssls.iter_mut().find(|x| x.is_none());
        *free.expect("an op names at most two SSLs") = Some(c);
    }

    /// Every session slot the op names.
    pub fn session_slots(&self) -> impl Iterator<Item = S> {
        self.source.into_iter().chain(self.fills.map(|(s, _)| s))
    }

    /// Every `SSL` slot the op names.
    pub fn ssl_slots(&self) -> impl Iterator<Item = C> {
        self.ssls.into_iter().flatten().chain(self.ssl_born)
    }
}

/// Where [`Op::simplify_field`] stands.
enum Simplified {
    /// The field was set to its next simpler value.
    Done,
    /// The field has no simpler value left.
    NoMore,
    /// The op has no such field.
    NoField,
}

macro_rules! ops {
    ($(
        $(#[doc = $doc:literal])*
        $v:ident $( ( $($f:ident : $t:ty as $m:ident),+ ) )?
            = $name:literal, weight $w:literal $(, ctx $ctx:ident)?;
    )*) => {
        /// One call. Names follow libssl's with the `SSL_SESSION_`/`SSL_CTX_`
        /// prefixes dropped.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum Op {
            $( $(#[doc = $doc])* $v $( ( $($t),+ ) )?, )*
        }

        /// Which call an [`Op`] is, without its operands.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum OpKind {
            $( $(#[doc = $doc])* $v, )*
        }

        impl OpKind {
            /// Every kind, in the table's order.
            pub const ALL: &'static [OpKind] = &[$(OpKind::$v),*];

            /// The op's name in the text format.
            pub fn name(self) -> &'static str {
                match self { $(OpKind::$v => $name,)* }
            }

            /// How often generation picks the op, relative to the others.
            pub fn weight(self) -> u32 {
                match self { $(OpKind::$v => $w,)* }
            }

            /// The kind named `name` in the text format.
            pub fn from_name(name: &str) -> Option<OpKind> {
                match name { $($name => Some(OpKind::$v),)* _ => None }
            }
        }

        impl Op {
            /// Which call this is.
            pub fn kind(&self) -> OpKind {
                match self { $(Op::$v { .. } => OpKind::$v,)* }
            }

            /// What the op reads, fills and frees.
            pub fn effects(&self) -> Effects {
                #[allow(unused_mut)]
                let mut e = Effects::default();
                match self {
                    $(Op::$v $( ( $($f),+ ) )? => {
                        $($( <$m as Operand>::effect($f, &mut e); )+)?
                        $( e.ctx = CtxUse::$ctx; )?
                    })*
                }
                e
            }

            /// Writes the operands in text form, each after a space.
            pub(super) fn write_operands(&self, _out: &mut String) {
                match self {
                    $(Op::$v $( ( $($f),+ ) )? => {
                        $($( <$m as Operand>::write($f, _out); )+)?
                    })*
                }
            }

            /// Reads the operands of a `kind` op.
            pub(super) fn parse_operands(kind: OpKind, _a: &mut Args<'_>) -> Result<Op, String> {
                Ok(match kind {
                    $(OpKind::$v => {
                        $($( let $f = <$m as Operand>::parse(_a)?; )+)?
                        Op::$v $( ( $($f),+ ) )?
                    })*
                })
            }

            /// Draws the operands of a `kind` op for the slots of `_t`.
            pub(super) fn generate_operands(
                kind: OpKind,
                _g: &mut Gen<'_, '_>,
                _t: &SlotTable,
            ) -> arbitrary::Result<Op> {
                Ok(match kind {
                    $(OpKind::$v => {
                        $($( let $f = <$m as Operand>::generate(_g, _t)?; )+)?
                        Op::$v $( ( $($f),+ ) )?
                    })*
                })
            }

            /// Sets operand `field` to its `k`-th simpler value.
            #[allow(unused_assignments)]
            fn simplify_field(&mut self, _field: usize, _k: usize) -> Simplified {
                #[allow(unused_mut, unused_variables)]
                let mut i = 0usize;
                match self {
                    $(Op::$v $( ( $($f),+ ) )? => {
                        $($(
                            if i == _field {
                                return match <$m as Operand>::simpler($f).into_iter().nth(_k) {
                                    Some(x) => { *$f = x; Simplified::Done }
                                    None => Simplified::NoMore,
                                };
                            }
                            i += 1;
                        )+)?
                    })*
                }
                Simplified::NoField
            }

            /// Renames the op's slots in place.
            fn rename(&mut self, _fs: &dyn Fn(S) -> S, _fc: &dyn Fn(C) -> C) {
                match self {
                    $(Op::$v $( ( $($f),+ ) )? => {
                        $($( <$m as Operand>::rename($f, _fs, _fc); )+)?
                    })*
                }
            }
        }
    };
}

impl Op {
    /// The op's name in the text format.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The session slot the op acts on (its source), if any.
    pub fn session(&self) -> Option<S> {
        self.effects().source
    }

    /// The empty session slot the op fills, if any.
    pub fn destination(&self) -> Option<S> {
        self.effects().fills.map(|(s, _)| s)
    }

    /// Simpler versions of the op for the shrinker, one operand changed at
    /// a time, simplest first within each operand.
    pub fn simpler(&self) -> Vec<Op> {
        let mut out = Vec::new();
        for field in 0.. {
            for k in 0.. {
                let mut cand = self.clone();
                match cand.simplify_field(field, k) {
                    Simplified::Done => out.push(cand),
                    Simplified::NoMore => break,
                    Simplified::NoField => return out,
                }
            }
        }
        out
    }

    /// The op with its session slots renamed by `fs` and its `SSL` slots by
    /// `fc`.
    pub fn renamed(&self, fs: impl Fn(S) -> S, fc: impl Fn(C) -> C) -> Op {
        let mut op = self.clone();
        op.rename(&fs, &fc);
        op
    }
}

ops! {
    /// `SSL_SESSION_new` (then `set_time(BIRTH_TIME)`) into an empty slot.
    New(dst: S as Born) = "new", weight 10;
    /// `SSL_SESSION_dup(src)` into an empty slot.
    Dup(src: S as Src, dst: S as Fresh) = "dup", weight 6;
    /// `SSL_SESSION_up_ref(src)`: the destination gets the new reference.
    UpRef(src: S as Src, dst: S as Alias) = "up_ref", weight 5;
    /// `SSL_SESSION_free`: releases the slot's reference.
    Free(s: S as Released) = "free", weight 7;
    /// `SSL_SESSION_free(NULL)`.
    FreeNull = "free_null", weight 1;
    /// `SSL_new` from the current ctx.
    SslNew(c: C as SslBorn) = "ssl_new", weight 3, ctx Needed;
    /// `SSL_free`.
    SslFree(c: C as SslFreed) = "ssl_free", weight 2;
    /// `SSL_set_session(c, s)`; `None` passes NULL.
    SslSet(c: C as Ssl, s: Option<S> as OptSrc) = "ssl_set", weight 4;
    /// `SSL_get0_session`: which object, if any.
    SslGet0(c: C as Ssl) = "ssl_get0", weight 1;
    /// `SSL_get1_session` into an empty slot.
    SslGet1(c: C as Ssl, dst: S as Fresh) = "ssl_get1", weight 3;
    /// `SSL_copy_session_id(to, from)`.
    SslCopySessionId(to: C as Ssl, from: C as Ssl) = "ssl_copy_session_id", weight 1;
    /// `SSL_clear`.
    SslClear(c: C as Ssl) = "ssl_clear", weight 1;
    /// `SSL_has_matching_session_id(c, id)`: whether the cache of the
    /// `SSL`'s ctx holds a session keyed by the `SSL`'s version and `id`.
    SslHasMatchingId(c: C as Ssl, id: Vec<u8> as Id) = "ssl_has_matching_id", weight 2;
    /// `SSL_CTX_add_session`.
    CacheAdd(s: S as Src) = "cache_add", weight 12, ctx Needed;
    /// `SSL_CTX_remove_session`.
    CacheRemove(s: S as Src) = "cache_remove", weight 5, ctx Needed;
    /// `SSL_CTX_flush_sessions(t)`.
    CacheFlush(t: i64 as FlushTime) = "cache_flush", weight 3, ctx Needed;
    /// `SSL_CTX_sess_set_cache_size(n)`.
    CacheSize(n: i64 as CacheSize) = "cache_size", weight 3, ctx Needed;
    /// `SSL_CTX_free` of the current ctx (only while no `SSL` lives).
    CtxFree = "ctx_free", weight 1, ctx Freed;
    /// `SSL_CTX_new`, when there is none.
    CtxNew = "ctx_new", weight 1, ctx Made;
    /// `set1_id`.
    SetId(s: S as Keyed, id: Vec<u8> as Id) = "set_id", weight 8;
    /// `set1_id_context`.
    SetSidCtx(s: S as Src, v: Vec<u8> as SidCtx) = "set_sid_ctx", weight 1;
    /// `set1_master_key`.
    SetMasterKey(s: S as Src, v: Vec<u8> as MasterKey) = "set_master_key", weight 1;
    /// `set_time`.
    SetTime(s: S as Src, t: i64 as Time) = "set_time", weight 5;
    /// `set_timeout`.
    SetTimeout(s: S as Src, t: i64 as Timeout) = "set_timeout", weight 4;
    /// `set1_hostname`; never contains NUL.
    SetHostname(s: S as Src, h: Option<Vec<u8>> as Hostname) = "set_hostname", weight 1;
    /// `set1_alpn_selected`.
    SetAlpn(s: S as Src, v: Option<Vec<u8>> as Alpn) = "set_alpn", weight 1;
    /// `set1_ticket_appdata`.
    SetTicketAppdata(s: S as Src, v: Option<Vec<u8>> as Appdata) = "set_ticket_appdata", weight 1;
    /// `set_protocol_version`.
    SetProtocolVersion(s: S as Keyed, v: i32 as Version) = "set_protocol_version", weight 3;
    /// `set_max_early_data`.
    SetMaxEarlyData(s: S as Src, v: u32 as EarlyData) = "set_max_early_data", weight 1;
    /// `set_cipher` with the suite libssl knows by this code (NULL for
    /// `None` or an unknown code).
    SetCipher(s: S as Src, c: Option<u16> as Cipher) = "set_cipher", weight 2;
    /// `i2d_SSL_SESSION`: returns the length (the snapshot compares the
    /// bytes).
    Encode(s: S as Src) = "encode", weight 1;
    /// `d2i_SSL_SESSION(NULL, ...)` of these bytes into an empty slot.
    Decode(der: Vec<u8> as Der, dst: S as Fresh) = "decode", weight 3;
    /// `d2i_SSL_SESSION(&s, ...)`: decodes into the session in place (only
    /// while no cache holds it).
    DecodeInto(s: S as Keyed, der: Vec<u8> as Der) = "decode_into", weight 1;
    /// `d2i_SSL_SESSION` of the session's own `i2d_SSL_SESSION` into an
    /// empty slot: each side decodes what it encoded.
    Reencode(src: S as Src, dst: S as Fresh) = "reencode", weight 1;
    /// `CRYPTO_get_ex_new_index` for sessions: registers the program's
    /// next ex_data index (1, 2, …) with these callbacks; they run for
    /// every session from now on, those born before included.
    ExNewIndex(spec: ExSpec as ExCallbacks) = "ex_new_index", weight 2;
    /// `SSL_SESSION_set_ex_data(s, index, value)`.
    ExSet(s: S as Src, i: u8 as ExIdx, v: u8 as ExValue) = "ex_set", weight 3;
    /// `SSL_SESSION_get_ex_data(s, index)`: the value, 0 for NULL.
    ExGet(s: S as Src, i: u8 as ExIdx) = "ex_get", weight 1;
    /// `is_resumable`.
    IsResumable(s: S as Src) = "is_resumable", weight 2;
    /// `has_ticket`.
    HasTicket(s: S as Src) = "has_ticket", weight 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found_again() {
        for &k in OpKind::ALL {
            assert_eq!(OpKind::from_name(k.name()), Some(k));
            assert!(k.weight() > 0, "{k:?} is never generated");
        }
        let mut names: Vec<_> = OpKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OpKind::ALL.len());
    }

    #[test]
    fn effects_follow_the_table() {
        let e = Op::UpRef(S(1), S(2)).effects();
        assert_eq!(e.source, Some(S(1)));
        assert_eq!(e.fills, Some((S(2), Fill::Alias)));
        assert!(!e.releases && !e.changes_key);
        let e = Op::SetId(S(3), vec![]).effects();
        assert!(e.changes_key);
        assert!(Op::Free(S(4)).effects().releases);
        let e = Op::SslCopySessionId(C(1), C(2)).effects();
        assert_eq!(e.ssls, [Some(C(1)), Some(C(2))]);
        assert_eq!(Op::SslNew(C(0)).effects().ssl_born, Some(C(0)));
        assert_eq!(Op::SslNew(C(0)).effects().ctx, CtxUse::Needed);
        assert_eq!(Op::CtxFree.effects().ctx, CtxUse::Freed);
        assert_eq!(Op::SslSet(C(0), None).effects().source, None);
        assert_eq!(Op::Decode(vec![], S(5)).destination(), Some(S(5)));
    }

    #[test]
    fn simpler_changes_one_operand_at_a_time() {
        let op = Op::SetHostname(S(1), Some(b"abc".to_vec()));
        assert_eq!(
            op.simpler(),
            [
                Op::SetHostname(S(1), None),
                Op::SetHostname(S(1), Some(vec![])),
                Op::SetHostname(S(1), Some(vec![1])),
                Op::SetHostname(S(1), Some(b"a".to_vec())),
            ]
        );
        assert!(Op::FreeNull.simpler().is_empty());
        assert!(Op::Dup(S(0), S(1)).simpler().is_empty());
    }

    #[test]
    fn renaming_reaches_every_slot() {
        let op = Op::SslGet1(C(3), S(7));
        assert_eq!(op.renamed(|_| S(0), |_| C(1)), Op::SslGet1(C(1), S(0)));
        let op = Op::SslSet(C(2), Some(S(5)));
        assert_eq!(
            op.renamed(|s| S(s.0 - 1), |c| c),
            Op::SslSet(C(2), Some(S(4)))
        );
    }
}
