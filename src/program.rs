//! The call language: [`Op`], [`Program`], the harness's [`SlotTable`], the
//! text format and random generation.
//!
//! A program names up to 8 session references `s0`…`s7`, up to 4 `SSL`
//! objects `c0`…`c3` and one cache (the `SSL_CTX`, present at the start).
//! Text form, one op per line, `#` starting a comment:
//!
//! ```text
//! new s0
//! set_id s0 0a0b0c0d
//! up_ref s0 -> s1
//! dup s1 -> s2
//! cache_add s2
//! ssl_new c0
//! ssl_set c0 s1
//! cache_flush 1700000400
//! ```
//!
//! Byte strings are hex, `""` for the empty string; a host name is a quoted
//! string with `\\`, `\"` and `\xNN` escapes; `none` passes NULL.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use arbitrary::{Arbitrary, Unstructured};

mod der_gen;

/// Number of session slots.
pub const SESSION_SLOTS: usize = 8;
/// Number of `SSL` slots.
pub const SSL_SLOTS: usize = 4;
/// The time every session is born with: `new` pins it, so no op reads the
/// wall clock.
pub const BIRTH_TIME: i64 = 1_700_000_000;

/// A session slot, `s0`…`s7`: holds one owned reference or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S(pub u8);

/// An `SSL` slot, `c0`…`c3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct C(pub u8);

impl S {
    /// Every session slot, in the canonical order.
    pub fn all() -> impl Iterator<Item = S> {
        (0..SESSION_SLOTS as u8).map(S)
    }
    /// The slot's index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl C {
    /// Every `SSL` slot, in the canonical order.
    pub fn all() -> impl Iterator<Item = C> {
        (0..SSL_SLOTS as u8).map(C)
    }
    /// The slot's index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for S {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

impl fmt::Display for C {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

/// One call. Names follow libssl's with the `SSL_SESSION_`/`SSL_CTX_`
/// prefixes dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Op {
    /// `SSL_SESSION_new` (then `set_time(BIRTH_TIME)`) into an empty slot.
    New(S),
    /// `SSL_SESSION_dup(src)` into an empty slot.
    Dup(S, S),
    /// `SSL_SESSION_up_ref(src)`: the destination gets the new reference.
    UpRef(S, S),
    /// `SSL_SESSION_free`: releases the slot's reference.
    Free(S),
    /// `SSL_SESSION_free(NULL)`.
    FreeNull,
    /// `SSL_new` from the current ctx.
    SslNew(C),
    /// `SSL_free`.
    SslFree(C),
    /// `SSL_set_session(c, s)`; `None` passes NULL.
    SslSet(C, Option<S>),
    /// `SSL_get0_session`: which object, if any.
    SslGet0(C),
    /// `SSL_get1_session` into an empty slot.
    SslGet1(C, S),
    /// `SSL_copy_session_id(to, from)`.
    SslCopySessionId(C, C),
    /// `SSL_clear`.
    SslClear(C),
    /// `SSL_CTX_add_session`.
    CacheAdd(S),
    /// `SSL_CTX_remove_session`.
    CacheRemove(S),
    /// `SSL_CTX_flush_sessions(t)`.
    CacheFlush(i64),
    /// `SSL_CTX_sess_set_cache_size(n)`.
    CacheSize(i64),
    /// `SSL_CTX_free` of the current ctx (only while no `SSL` lives).
    CtxFree,
    /// `SSL_CTX_new`, when there is none.
    CtxNew,
    /// `set1_id`.
    SetId(S, Vec<u8>),
    /// `set1_id_context`.
    SetSidCtx(S, Vec<u8>),
    /// `set1_master_key`.
    SetMasterKey(S, Vec<u8>),
    /// `set_time`.
    SetTime(S, i64),
    /// `set_timeout`.
    SetTimeout(S, i64),
    /// `set1_hostname`; never contains NUL.
    SetHostname(S, Option<Vec<u8>>),
    /// `set1_alpn_selected`.
    SetAlpn(S, Option<Vec<u8>>),
    /// `set1_ticket_appdata`.
    SetTicketAppdata(S, Option<Vec<u8>>),
    /// `set_protocol_version`.
    SetProtocolVersion(S, i32),
    /// `set_max_early_data`.
    SetMaxEarlyData(S, u32),
    /// `set_cipher` with the suite libssl knows by this code (NULL for
    /// `None` or an unknown code).
    SetCipher(S, Option<u16>),
    /// `i2d_SSL_SESSION`: returns the length (the snapshot compares the
    /// bytes).
    Encode(S),
    /// `d2i_SSL_SESSION(NULL, ...)` of these bytes into an empty slot.
    Decode(Vec<u8>, S),
    /// `d2i_SSL_SESSION(&s, ...)`: decodes into the session in place (only
    /// while no cache holds it).
    DecodeInto(S, Vec<u8>),
    /// `d2i_SSL_SESSION` of the session's own `i2d_SSL_SESSION` into an
    /// empty slot: each side decodes what it encoded.
    Reencode(S, S),
    /// `is_resumable`.
    IsResumable(S),
    /// `has_ticket`.
    HasTicket(S),
}

impl Op {
    /// The op's name in the text format.
    pub fn name(&self) -> &'static str {
        match self {
            Op::New(_) => "new",
            Op::Dup(..) => "dup",
            Op::UpRef(..) => "up_ref",
            Op::Free(_) => "free",
            Op::FreeNull => "free_null",
            Op::SslNew(_) => "ssl_new",
            Op::SslFree(_) => "ssl_free",
            Op::SslSet(..) => "ssl_set",
            Op::SslGet0(_) => "ssl_get0",
            Op::SslGet1(..) => "ssl_get1",
            Op::SslCopySessionId(..) => "ssl_copy_session_id",
            Op::SslClear(_) => "ssl_clear",
            Op::CacheAdd(_) => "cache_add",
            Op::CacheRemove(_) => "cache_remove",
            Op::CacheFlush(_) => "cache_flush",
            Op::CacheSize(_) => "cache_size",
            Op::CtxFree => "ctx_free",
            Op::CtxNew => "ctx_new",
            Op::SetId(..) => "set_id",
            Op::SetSidCtx(..) => "set_sid_ctx",
            Op::SetMasterKey(..) => "set_master_key",
            Op::SetTime(..) => "set_time",
            Op::SetTimeout(..) => "set_timeout",
            Op::SetHostname(..) => "set_hostname",
            Op::SetAlpn(..) => "set_alpn",
            Op::SetTicketAppdata(..) => "set_ticket_appdata",
            Op::SetProtocolVersion(..) => "set_protocol_version",
            Op::SetMaxEarlyData(..) => "set_max_early_data",
            Op::SetCipher(..) => "set_cipher",
            Op::Encode(_) => "encode",
            Op::Decode(..) => "decode",
            Op::DecodeInto(..) => "decode_into",
            Op::Reencode(..) => "reencode",
            Op::IsResumable(_) => "is_resumable",
            Op::HasTicket(_) => "has_ticket",
        }
    }

    /// The session slot the op acts on (its source), if any.
    pub fn session(&self) -> Option<S> {
        match *self {
            Op::Dup(s, _)
            | Op::UpRef(s, _)
            | Op::Free(s)
            | Op::CacheAdd(s)
            | Op::CacheRemove(s)
            | Op::SetId(s, _)
            | Op::SetSidCtx(s, _)
            | Op::SetMasterKey(s, _)
            | Op::SetTime(s, _)
            | Op::SetTimeout(s, _)
            | Op::SetHostname(s, _)
            | Op::SetAlpn(s, _)
            | Op::SetTicketAppdata(s, _)
            | Op::SetProtocolVersion(s, _)
            | Op::SetMaxEarlyData(s, _)
            | Op::SetCipher(s, _)
            | Op::Encode(s)
            | Op::DecodeInto(s, _)
            | Op::Reencode(s, _)
            | Op::IsResumable(s)
            | Op::HasTicket(s) => Some(s),
            Op::SslSet(_, s) => s,
            _ => None,
        }
    }

    /// The empty session slot the op fills, if any.
    pub fn destination(&self) -> Option<S> {
        match *self {
            Op::New(d)
            | Op::Dup(_, d)
            | Op::UpRef(_, d)
            | Op::SslGet1(_, d)
            | Op::Decode(_, d)
            | Op::Reencode(_, d) => Some(d),
            _ => None,
        }
    }

    /// The `SSL` slots the op needs filled (or, for `ssl_new`, empty).
    pub fn ssls(&self) -> Vec<C> {
        match *self {
            Op::SslNew(c)
            | Op::SslFree(c)
            | Op::SslSet(c, _)
            | Op::SslGet0(c)
            | Op::SslGet1(c, _)
            | Op::SslClear(c) => vec![c],
            Op::SslCopySessionId(t, f) => vec![t, f],
            _ => vec![],
        }
    }
}

/// An object's identity in a run: the index of the step that made it.
pub type Tag = u64;

/// The harness's own record of what each slot holds. It alone decides
/// whether an op is legal, so both backends always see the same legal calls
/// and no call the API forbids is ever made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotTable {
    /// The object each session slot holds a reference to.
    pub sessions: [Option<Tag>; SESSION_SLOTS],
    /// Which `SSL` slots hold an `SSL`.
    pub ssls: [bool; SSL_SLOTS],
    /// Whether the ctx (and so the cache) exists.
    pub ctx: bool,
    /// The objects the cache holds.
    pub cached: BTreeSet<Tag>,
}

impl Default for SlotTable {
    fn default() -> Self {
        SlotTable {
            sessions: [None; SESSION_SLOTS],
            ssls: [false; SSL_SLOTS],
            ctx: true,
            cached: BTreeSet::new(),
        }
    }
}

impl SlotTable {
    /// The object in slot `s`.
    pub fn object(&self, s: S) -> Option<Tag> {
        self.sessions[s.index()]
    }

    /// Whether `op` may be called now. An illegal op is skipped on both
    /// sides: it names an empty slot, would overwrite a full one, needs a
    /// ctx that is not there, frees the ctx while `SSL`s live, or changes
    /// the key of a cached session (a hazard of SEMANTICS.md §14.3).
    pub fn is_legal(&self, op: &Op) -> bool {
        let full = |s: S| self.sessions[s.index()].is_some();
        let ssl = |c: C| self.ssls[c.index()];
        let needs_ctx = matches!(
            op,
            Op::SslNew(_)
                | Op::CacheAdd(_)
                | Op::CacheRemove(_)
                | Op::CacheFlush(_)
                | Op::CacheSize(_)
        );
        if needs_ctx && !self.ctx {
            return false;
        }
        if op.session().is_some_and(|s| !full(s)) || op.destination().is_some_and(full) {
            return false;
        }
        match *op {
            Op::SslNew(c) => !ssl(c),
            Op::CtxFree => self.ctx && !self.ssls.iter().any(|&b| b),
            Op::CtxNew => !self.ctx,
            Op::SetId(s, _) | Op::SetProtocolVersion(s, _) | Op::DecodeInto(s, _) => {
                self.object(s).is_some_and(|o| !self.cached.contains(&o))
            }
            _ => op.ssls().into_iter().all(ssl),
        }
    }

    /// Updates the slots after a legal `op` ran at `step`. `made` is the
    /// object the op put in its destination slot, or `None` if the call
    /// returned NULL. Cache membership is updated by the caller.
    pub fn after(&mut self, op: &Op, made: Option<Tag>) {
        match *op {
            Op::New(d)
            | Op::Dup(_, d)
            | Op::SslGet1(_, d)
            | Op::Decode(_, d)
            | Op::Reencode(_, d) => self.sessions[d.index()] = made,
            Op::UpRef(s, d) => self.sessions[d.index()] = self.sessions[s.index()],
            Op::Free(s) => self.sessions[s.index()] = None,
            Op::SslNew(c) => self.ssls[c.index()] = true,
            Op::SslFree(c) => self.ssls[c.index()] = false,
            Op::CtxFree => {
                self.ctx = false;
                self.cached.clear();
            }
            Op::CtxNew => self.ctx = true,
            _ => {}
        }
    }
}

/// A sequence of calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Program {
    /// The calls, in order.
    pub ops: Vec<Op>,
}

// ---------------------------------------------------------------------------
// Text format
// ---------------------------------------------------------------------------

fn write_hex(out: &mut String, bytes: &[u8]) {
    if bytes.is_empty() {
        out.push_str("\"\"");
    }
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

fn write_opt_hex(out: &mut String, bytes: &Option<Vec<u8>>) {
    match bytes {
        None => out.push_str("none"),
        Some(b) => write_hex(out, b),
    }
}

fn write_quoted(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x21..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut o = String::from(self.name());
        match self {
            Op::New(s)
            | Op::Free(s)
            | Op::CacheAdd(s)
            | Op::CacheRemove(s)
            | Op::IsResumable(s)
            | Op::HasTicket(s) => {
                let _ = write!(o, " {s}");
            }
            Op::Dup(a, b) | Op::UpRef(a, b) | Op::Reencode(a, b) => {
                let _ = write!(o, " {a} -> {b}");
            }
            Op::FreeNull | Op::CtxFree | Op::CtxNew => {}
            Op::SslNew(c) | Op::SslFree(c) | Op::SslGet0(c) | Op::SslClear(c) => {
                let _ = write!(o, " {c}");
            }
            Op::SslSet(c, s) => match s {
                Some(s) => {
                    let _ = write!(o, " {c} {s}");
                }
                None => {
                    let _ = write!(o, " {c} none");
                }
            },
            Op::SslGet1(c, s) => {
                let _ = write!(o, " {c} -> {s}");
            }
            Op::SslCopySessionId(t, fr) => {
                let _ = write!(o, " {t} {fr}");
            }
            Op::CacheFlush(t) | Op::CacheSize(t) => {
                let _ = write!(o, " {t}");
            }
            Op::SetId(s, b) | Op::SetSidCtx(s, b) | Op::SetMasterKey(s, b) => {
                let _ = write!(o, " {s} ");
                write_hex(&mut o, b);
            }
            Op::SetTime(s, t) | Op::SetTimeout(s, t) => {
                let _ = write!(o, " {s} {t}");
            }
            Op::SetHostname(s, h) => {
                let _ = write!(o, " {s} ");
                match h {
                    None => o.push_str("none"),
                    Some(h) => write_quoted(&mut o, h),
                }
            }
            Op::SetAlpn(s, b) | Op::SetTicketAppdata(s, b) => {
                let _ = write!(o, " {s} ");
                write_opt_hex(&mut o, b);
            }
            Op::SetProtocolVersion(s, v) => {
                if *v >= 0 {
                    let _ = write!(o, " {s} 0x{v:04x}");
                } else {
                    let _ = write!(o, " {s} {v}");
                }
            }
            Op::SetMaxEarlyData(s, v) => {
                let _ = write!(o, " {s} {v}");
            }
            Op::SetCipher(s, c) => match c {
                Some(c) => {
                    let _ = write!(o, " {s} 0x{c:04x}");
                }
                None => {
                    let _ = write!(o, " {s} none");
                }
            },
            Op::Encode(s) => {
                let _ = write!(o, " {s}");
            }
            Op::Decode(b, d) => {
                o.push(' ');
                write_hex(&mut o, b);
                let _ = write!(o, " -> {d}");
            }
            Op::DecodeInto(s, b) => {
                let _ = write!(o, " {s} ");
                write_hex(&mut o, b);
            }
        }
        f.write_str(&o)
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in &self.ops {
            writeln!(f, "{op}")?;
        }
        Ok(())
    }
}

/// A text program that does not parse: the line (from 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// The line, counting from 1.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(Vec<u8>),
}

fn tokenize(line: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(_, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '#' {
            break;
        } else if c == '"' {
            chars.next();
            let mut bytes = Vec::new();
            loop {
                match chars.next() {
                    None => return Err("unterminated string".into()),
                    Some((_, '"')) => break,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '"')) => bytes.push(b'"'),
                        Some((_, '\\')) => bytes.push(b'\\'),
                        Some((_, 'x')) => {
                            let hi = chars.next().map(|(_, c)| c);
                            let lo = chars.next().map(|(_, c)| c);
                            let hex: String = hi.into_iter().chain(lo).collect();
                            let b = (hex.len() == 2)
                                .then(|| u8::from_str_radix(&hex, 16).ok())
                                .flatten()
                                .ok_or_else(|| {
                                    format!("bad escape \\x{hex}: two hex digits expected")
                                })?;
                            bytes.push(b);
                        }
                        Some((_, other)) => return Err(format!("unknown escape \\{other}")),
                        None => return Err("unterminated string".into()),
                    },
                    Some((_, ch)) => {
                        let mut buf = [0u8; 4];
                        bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                }
            }
            out.push(Token::Quoted(bytes));
        } else {
            let mut w = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() || c == '#' || c == '"' {
                    break;
                }
                w.push(c);
                chars.next();
            }
            out.push(Token::Word(w));
        }
    }
    Ok(out)
}

struct Args<'a> {
    op: &'a str,
    toks: std::slice::Iter<'a, Token>,
}

impl<'a> Args<'a> {
    fn word(&mut self, what: &str) -> Result<&'a str, String> {
        match self.toks.next() {
            Some(Token::Word(w)) => Ok(w),
            Some(Token::Quoted(_)) => Err(format!(
                "{}: expected {what}, found a quoted string",
                self.op
            )),
            None => Err(format!("{}: missing {what}", self.op)),
        }
    }

    fn slot(&mut self, prefix: char, count: usize) -> Result<u8, String> {
        let what = format!("a slot {prefix}0..{prefix}{}", count - 1);
        let w = self.word(&what)?;
        w.strip_prefix(prefix)
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|&n| (n as usize) < count && !w[1..].starts_with('+'))
            .ok_or_else(|| format!("{}: expected {what}, found `{w}`", self.op))
    }

    fn s(&mut self) -> Result<S, String> {
        self.slot('s', SESSION_SLOTS).map(S)
    }

    fn c(&mut self) -> Result<C, String> {
        self.slot('c', SSL_SLOTS).map(C)
    }

    fn arrow(&mut self) -> Result<(), String> {
        match self.word("`->`")? {
            "->" => Ok(()),
            w => Err(format!("{}: expected `->`, found `{w}`", self.op)),
        }
    }

    fn int<T: TryFrom<i128>>(&mut self, what: &str) -> Result<T, String> {
        let w = self.word(what)?;
        let (neg, digits) = match w.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, w),
        };
        let v = match digits.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).map(i128::from),
            None => digits.parse::<u64>().map(i128::from),
        }
        .map_err(|_| format!("{}: expected {what}, found `{w}`", self.op))?;
        let v = if neg { -v } else { v };
        T::try_from(v).map_err(|_| format!("{}: {what} out of range: `{w}`", self.op))
    }

    fn bytes(&mut self, what: &str) -> Result<Vec<u8>, String> {
        match self.toks.next() {
            Some(Token::Quoted(b)) if b.is_empty() => Ok(Vec::new()),
            Some(Token::Word(w)) => parse_hex(w)
                .ok_or_else(|| format!("{}: expected {what} in hex, found `{w}`", self.op)),
            Some(Token::Quoted(_)) => Err(format!(
                "{}: {what} is hex; only `\"\"` may be quoted",
                self.op
            )),
            None => Err(format!("{}: missing {what}", self.op)),
        }
    }

    fn opt_bytes(&mut self, what: &str) -> Result<Option<Vec<u8>>, String> {
        if matches!(self.toks.as_slice().first(), Some(Token::Word(w)) if w == "none") {
            self.toks.next();
            return Ok(None);
        }
        self.bytes(what).map(Some)
    }

    fn hostname(&mut self) -> Result<Option<Vec<u8>>, String> {
        match self.toks.next() {
            Some(Token::Word(w)) if w == "none" => Ok(None),
            Some(Token::Quoted(b)) if b.contains(&0) => {
                Err(format!("{}: a host name cannot contain NUL", self.op))
            }
            Some(Token::Quoted(b)) => Ok(Some(b.clone())),
            Some(Token::Word(w)) => Err(format!(
                "{}: expected a quoted host name or `none`, found `{w}`",
                self.op
            )),
            None => Err(format!("{}: missing host name", self.op)),
        }
    }

    fn end(mut self) -> Result<(), String> {
        match self.toks.next() {
            None => Ok(()),
            Some(Token::Word(w)) => Err(format!("{}: unexpected `{w}`", self.op)),
            Some(Token::Quoted(_)) => Err(format!("{}: unexpected string", self.op)),
        }
    }
}

fn parse_hex(w: &str) -> Option<Vec<u8>> {
    if !w.len().is_multiple_of(2) || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..w.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&w[i..i + 2], 16).ok())
        .collect()
}

fn parse_op(toks: &[Token]) -> Result<Op, String> {
    let name = match &toks[0] {
        Token::Word(w) => w.as_str(),
        Token::Quoted(_) => return Err("expected an op name, found a string".into()),
    };
    let mut a = Args {
        op: name,
        toks: toks[1..].iter(),
    };
    let op = match name {
        "new" => Op::New(a.s()?),
        "dup" | "up_ref" | "reencode" => {
            let src = a.s()?;
            a.arrow()?;
            let dst = a.s()?;
            match name {
                "dup" => Op::Dup(src, dst),
                "up_ref" => Op::UpRef(src, dst),
                _ => Op::Reencode(src, dst),
            }
        }
        "free" => Op::Free(a.s()?),
        "free_null" => Op::FreeNull,
        "ssl_new" => Op::SslNew(a.c()?),
        "ssl_free" => Op::SslFree(a.c()?),
        "ssl_set" => {
            let c = a.c()?;
            if matches!(a.toks.as_slice().first(), Some(Token::Word(w)) if w == "none") {
                a.toks.next();
                Op::SslSet(c, None)
            } else {
                Op::SslSet(c, Some(a.s()?))
            }
        }
        "ssl_get0" => Op::SslGet0(a.c()?),
        "ssl_get1" => {
            let c = a.c()?;
            a.arrow()?;
            Op::SslGet1(c, a.s()?)
        }
        "ssl_copy_session_id" => Op::SslCopySessionId(a.c()?, a.c()?),
        "ssl_clear" => Op::SslClear(a.c()?),
        "cache_add" => Op::CacheAdd(a.s()?),
        "cache_remove" => Op::CacheRemove(a.s()?),
        "cache_flush" => Op::CacheFlush(a.int("a time")?),
        "cache_size" => Op::CacheSize(a.int("a size")?),
        "ctx_free" => Op::CtxFree,
        "ctx_new" => Op::CtxNew,
        "set_id" => Op::SetId(a.s()?, a.bytes("an id")?),
        "set_sid_ctx" => Op::SetSidCtx(a.s()?, a.bytes("an id context")?),
        "set_master_key" => Op::SetMasterKey(a.s()?, a.bytes("a master key")?),
        "set_time" => Op::SetTime(a.s()?, a.int("a time")?),
        "set_timeout" => Op::SetTimeout(a.s()?, a.int("a timeout")?),
        "set_hostname" => Op::SetHostname(a.s()?, a.hostname()?),
        "set_alpn" => Op::SetAlpn(a.s()?, a.opt_bytes("an ALPN protocol")?),
        "set_ticket_appdata" => Op::SetTicketAppdata(a.s()?, a.opt_bytes("ticket appdata")?),
        "set_protocol_version" => Op::SetProtocolVersion(a.s()?, a.int("a protocol version")?),
        "set_max_early_data" => Op::SetMaxEarlyData(a.s()?, a.int("a 32-bit unsigned value")?),
        "set_cipher" => {
            let s = a.s()?;
            if matches!(a.toks.as_slice().first(), Some(Token::Word(w)) if w == "none") {
                a.toks.next();
                Op::SetCipher(s, None)
            } else {
                Op::SetCipher(s, Some(a.int("a 16-bit cipher code")?))
            }
        }
        "encode" => Op::Encode(a.s()?),
        "decode" => {
            let der = a.bytes("DER bytes")?;
            a.arrow()?;
            Op::Decode(der, a.s()?)
        }
        "decode_into" => Op::DecodeInto(a.s()?, a.bytes("DER bytes")?),
        "is_resumable" => Op::IsResumable(a.s()?),
        "has_ticket" => Op::HasTicket(a.s()?),
        other => return Err(format!("unknown op `{other}`")),
    };
    a.end()?;
    Ok(op)
}

impl Program {
    /// Parses the text format. Errors name the line.
    pub fn parse(text: &str) -> Result<Program, ParseError> {
        let mut ops = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let err = |message: String| ParseError {
                line: i + 1,
                message,
            };
            let toks = tokenize(line).map_err(err)?;
            if toks.is_empty() {
                continue;
            }
            ops.push(parse_op(&toks).map_err(err)?);
        }
        Ok(Program { ops })
    }
}

impl std::str::FromStr for Program {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Program::parse(s)
    }
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

/// Chooses values that reach libssl's interesting cases: colliding ids,
/// boundary lengths, overflowing and negative times, tiny cache sizes.
struct Gen<'a, 'b> {
    u: &'a mut Unstructured<'b>,
}

type R<T> = arbitrary::Result<T>;

impl Gen<'_, '_> {
    fn pick<T: Copy>(&mut self, xs: &[T]) -> R<T> {
        self.u.choose(xs).copied()
    }

    fn one_in(&mut self, n: u8) -> R<bool> {
        self.u.ratio(1, n)
    }

    fn id(&mut self) -> R<Vec<u8>> {
        let k = self.pick(&[1u8, 2, 3, 0xff])?;
        Ok(match self.u.int_in_range(0..=9u8)? {
            0 => vec![],
            1 | 2 => vec![k],
            3..=5 => vec![k; 4],
            6 => vec![k; 32],
            7 => vec![k; 33],
            8 => {
                let mut v = vec![k; 4];
                v.push(self.u.arbitrary()?);
                v
            }
            _ => {
                let n = self.u.int_in_range(0..=34usize)?.min(self.u.len());
                self.u.bytes(n)?.to_vec()
            }
        })
    }

    fn bytes_up_to(&mut self, max: usize) -> R<Vec<u8>> {
        let n = self.u.int_in_range(0..=max)?.min(self.u.len());
        Ok(self.u.bytes(n)?.to_vec())
    }

    fn time(&mut self) -> R<i64> {
        const B: i64 = BIRTH_TIME;
        Ok(match self.u.int_in_range(0..=5u8)? {
            0 => self.pick(&[
                0,
                1,
                -1,
                -2,
                -5,
                i64::MAX,
                i64::MIN,
                i64::MAX - 1,
                i64::MIN + 1,
            ])?,
            1 | 2 => B + self.u.int_in_range(-4..=4i64)?,
            3 => B + self.pick(&[300, 303, 304, 305, 600, 7200, -304])?,
            4 => self.u.int_in_range(-1000..=1000i64)?,
            _ => self.u.arbitrary()?,
        })
    }

    fn timeout(&mut self) -> R<i64> {
        Ok(match self.u.int_in_range(0..=4u8)? {
            0 => self.pick(&[
                0,
                1,
                3,
                300,
                304,
                7200,
                i64::MAX,
                i64::MAX - 1,
                -1,
                i64::MIN,
            ])?,
            1 | 2 => self.u.int_in_range(0..=10i64)?,
            3 => self.u.int_in_range(0..=1000i64)?,
            _ => self.u.arbitrary()?,
        })
    }

    fn flush_time(&mut self) -> R<i64> {
        const B: i64 = BIRTH_TIME;
        Ok(match self.u.int_in_range(0..=3u8)? {
            0 => self.pick(&[0, -1, -8, -10, i64::MAX, i64::MIN, 1])?,
            1 | 2 => {
                B + self.pick(&[0, 1, 2, 303, 304, 305, 306, 608, 609])?
                    + self.u.int_in_range(-2..=2i64)?
            }
            _ => self.time()?,
        })
    }

    fn cache_size(&mut self) -> R<i64> {
        Ok(match self.u.int_in_range(0..=3u8)? {
            0 => self.pick(&[-1, i64::MIN, 20480, i64::MAX])?,
            _ => self.u.int_in_range(0..=5i64)?,
        })
    }

    fn version(&mut self) -> R<i32> {
        Ok(if self.one_in(4)? {
            self.pick(&[0x0303, 0x0304, 0, 0x0200, 0xfefd, -1, 0x0100])?
        } else {
            0x0304
        })
    }

    fn hostname(&mut self) -> R<Option<Vec<u8>>> {
        Ok(match self.u.int_in_range(0..=4u8)? {
            0 => None,
            1 => Some(vec![]),
            2 => Some(b"a.example".to_vec()),
            3 => Some(b"b.example".to_vec()),
            _ => {
                let mut v = self.bytes_up_to(12)?;
                v.retain(|&b| b != 0);
                Some(v)
            }
        })
    }

    fn opt_bytes(&mut self, known: &[&[u8]]) -> R<Option<Vec<u8>>> {
        Ok(match self.u.int_in_range(0..=4u8)? {
            0 => None,
            1 => Some(vec![]),
            2 | 3 => Some(self.pick(known)?.to_vec()),
            _ => Some(self.bytes_up_to(16)?),
        })
    }

    fn cipher(&mut self) -> R<Option<u16>> {
        Ok(match self.u.int_in_range(0..=7u8)? {
            0 => None,
            1 => Some(self.u.arbitrary()?),
            _ => Some(self.pick(&[
                0x1301, 0x1302, 0x1303, 0xc02f, 0x009c, 0x00ff, 0x5600, 0x0001, 0x1306, 0x1234,
            ])?),
        })
    }

    fn master_key(&mut self) -> R<Vec<u8>> {
        Ok(match self.u.int_in_range(0..=4u8)? {
            0 => vec![],
            1 | 2 => vec![0x4d; 48],
            3 => vec![0x4d; self.pick(&[512usize, 513])?],
            _ => self.bytes_up_to(64)?,
        })
    }

    /// A slot that is full with high probability (empty slots are skipped).
    fn full_s(&mut self, t: &SlotTable) -> R<S> {
        let full: Vec<S> = S::all()
            .filter(|s| t.sessions[s.index()].is_some())
            .collect();
        if full.is_empty() || self.one_in(32)? {
            return Ok(S(self.u.int_in_range(0..=SESSION_SLOTS as u8 - 1)?));
        }
        self.pick(&full)
    }

    fn empty_s(&mut self, t: &SlotTable) -> R<S> {
        let empty: Vec<S> = S::all()
            .filter(|s| t.sessions[s.index()].is_none())
            .collect();
        if empty.is_empty() || self.one_in(32)? {
            return Ok(S(self.u.int_in_range(0..=SESSION_SLOTS as u8 - 1)?));
        }
        self.pick(&empty)
    }

    fn c(&mut self, t: &SlotTable, want_full: bool) -> R<C> {
        let fit: Vec<C> = C::all()
            .filter(|c| t.ssls[c.index()] == want_full)
            .collect();
        if fit.is_empty() || self.one_in(32)? {
            return Ok(C(self.u.int_in_range(0..=SSL_SLOTS as u8 - 1)?));
        }
        self.pick(&fit)
    }

    fn op(&mut self, t: &SlotTable) -> R<Op> {
        let has_sessions = t.sessions.iter().any(Option::is_some);
        let has_ssl = t.ssls.iter().any(|&b| b);
        // Weights: births and cache traffic dominate; everything is reachable.
        let kind = if !has_sessions && !self.one_in(8)? {
            0
        } else {
            self.u.int_in_range(0..=104u8)?
        };
        Ok(match kind {
            0..=9 => Op::New(self.empty_s(t)?),
            10..=15 => Op::Dup(self.full_s(t)?, self.empty_s(t)?),
            16..=20 => Op::UpRef(self.full_s(t)?, self.empty_s(t)?),
            21..=27 => Op::Free(self.full_s(t)?),
            28 => Op::FreeNull,
            29..=31 => Op::SslNew(self.c(t, false)?),
            32..=33 => Op::SslFree(self.c(t, true)?),
            34..=37 => {
                let c = self.c(t, true)?;
                let s = if self.one_in(6)? {
                    None
                } else {
                    Some(self.full_s(t)?)
                };
                Op::SslSet(c, s)
            }
            38 => Op::SslGet0(self.c(t, true)?),
            39..=41 if has_ssl => Op::SslGet1(self.c(t, true)?, self.empty_s(t)?),
            42 => Op::SslCopySessionId(self.c(t, true)?, self.c(t, true)?),
            43 => Op::SslClear(self.c(t, true)?),
            44..=55 => Op::CacheAdd(self.full_s(t)?),
            56..=60 => Op::CacheRemove(self.full_s(t)?),
            61..=63 => Op::CacheFlush(self.flush_time()?),
            64..=66 => Op::CacheSize(self.cache_size()?),
            67 => {
                if t.ctx {
                    Op::CtxFree
                } else {
                    Op::CtxNew
                }
            }
            68..=75 => Op::SetId(self.full_s(t)?, self.id()?),
            76 => Op::SetSidCtx(self.full_s(t)?, self.id()?),
            77 => Op::SetMasterKey(self.full_s(t)?, self.master_key()?),
            78..=82 => Op::SetTime(self.full_s(t)?, self.time()?),
            83..=86 => Op::SetTimeout(self.full_s(t)?, self.timeout()?),
            87 => Op::SetHostname(self.full_s(t)?, self.hostname()?),
            88 => Op::SetAlpn(self.full_s(t)?, self.opt_bytes(&[b"h2", b"http/1.1"])?),
            89 => Op::SetTicketAppdata(self.full_s(t)?, self.opt_bytes(&[b"app", b"\x00\x01"])?),
            90..=92 => Op::SetProtocolVersion(self.full_s(t)?, self.version()?),
            93 | 98 => Op::SetCipher(self.full_s(t)?, self.cipher()?),
            99 => Op::Encode(self.full_s(t)?),
            94 => Op::SetMaxEarlyData(self.full_s(t)?, self.pick(&[0, 1, 16384, u32::MAX])?),
            95..=96 => Op::IsResumable(self.full_s(t)?),
            97 => Op::HasTicket(self.full_s(t)?),
            100..=102 => Op::Decode(self.session_der()?, self.empty_s(t)?),
            103 => Op::DecodeInto(self.full_s(t)?, self.session_der()?),
            104 => Op::Reencode(self.full_s(t)?, self.empty_s(t)?),
            _ => Op::New(self.empty_s(t)?),
        })
    }
}

impl Program {
    /// Decodes a program of at most `max_ops` calls from fuzzer bytes. The
    /// decoder tracks a guessed [`SlotTable`] and draws up to four candidate
    /// calls until one is legal, so most calls are legal while skips still
    /// occur; values favour SEMANTICS.md §14.5. It stops when the bytes run
    /// out.
    pub fn generate(u: &mut Unstructured<'_>, max_ops: usize) -> arbitrary::Result<Program> {
        const TRIES: usize = 4;
        let mut table = SlotTable::default();
        let mut ops = Vec::with_capacity(max_ops);
        let mut g = Gen { u };
        // Half the programs start with a tiny cache, so eviction is common.
        if max_ops > 0 && !g.u.is_empty() && g.one_in(2).unwrap_or(false) {
            let size = g.u.int_in_range(1..=4i64).unwrap_or(2);
            ops.push(Op::CacheSize(size));
        }
        'ops: while ops.len() < max_ops && !g.u.is_empty() {
            let mut op = None;
            for _ in 0..TRIES {
                let Ok(candidate) = g.op(&table) else {
                    break 'ops;
                };
                let legal = table.is_legal(&candidate);
                op = Some(candidate);
                if legal {
                    break;
                }
            }
            let Some(op) = op else { break };
            if table.is_legal(&op) {
                let made = op.destination().map(|_| ops.len() as Tag);
                table.after(&op, made);
                match &op {
                    Op::CacheAdd(s) => {
                        table.cached.extend(table.object(*s));
                    }
                    Op::CacheRemove(s) => {
                        if let Some(o) = table.object(*s) {
                            table.cached.remove(&o);
                        }
                    }
                    Op::CacheFlush(0) => table.cached.clear(),
                    _ => {}
                }
            }
            ops.push(op);
        }
        Ok(Program { ops })
    }
}

impl Program {
    /// A fuzzer's input read as a text program, if it is one with at least
    /// one op (so text corpora can seed libFuzzer).
    fn from_text_bytes(data: &[u8]) -> Option<Program> {
        let p = Program::parse(std::str::from_utf8(data).ok()?).ok()?;
        (!p.ops.is_empty()).then_some(p)
    }

    /// The program a fuzzer's input stands for: the input itself if it is
    /// a text program (so text corpora can seed libFuzzer), otherwise the
    /// program [`Arbitrary`] decodes from the bytes.
    pub fn from_fuzz_bytes(data: &[u8]) -> Program {
        if let Some(p) = Program::from_text_bytes(data) {
            return p;
        }
        Program::generate(&mut Unstructured::new(data), ARBITRARY_MAX_OPS).unwrap_or_default()
    }
}

impl Program {
    /// The program that puts `der` through both decoders every way the call
    /// language allows: into a new session, into a fresh `new` session
    /// (reused in place), and — with `second`, or `der` again — into the
    /// decoded session itself; each result is duplicated. Every step
    /// compares the outcome, the events and every field, encoding included.
    pub fn der_probe(der: Vec<u8>, second: Option<Vec<u8>>) -> Program {
        let again = second.unwrap_or_else(|| der.clone());
        Program {
            ops: vec![
                Op::Decode(der.clone(), S(0)),
                Op::Dup(S(0), S(1)),
                Op::New(S(2)),
                Op::DecodeInto(S(2), der),
                Op::Dup(S(2), S(3)),
                Op::DecodeInto(S(0), again),
                Op::Dup(S(0), S(4)),
            ],
        }
    }

    /// The program a `der` fuzzer's input stands for: a text program if
    /// the input is one (so corpora can be readable); otherwise the first
    /// byte picks the mode — even: the rest is raw DER; odd: the rest
    /// builds two mostly-valid encodings through `arbitrary` — and the
    /// result goes through [`Program::der_probe`].
    pub fn from_der_fuzz_bytes(data: &[u8]) -> Program {
        if let Some(p) = Program::from_text_bytes(data) {
            return p;
        }
        let Some((&mode, rest)) = data.split_first() else {
            return Program::default();
        };
        if mode & 1 == 0 {
            return Program::der_probe(rest.to_vec(), None);
        }
        let mut u = Unstructured::new(rest);
        let mut g = Gen { u: &mut u };
        let first = g.session_der().unwrap_or_default();
        let second = g.session_der().ok();
        Program::der_probe(first, second)
    }
}

/// The longest program [`Arbitrary`] decodes.
pub const ARBITRARY_MAX_OPS: usize = 32;

impl<'a> Arbitrary<'a> for Program {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Program::generate(u, ARBITRARY_MAX_OPS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn program_from(bytes: &[u8], n: usize) -> Program {
        Program::generate(&mut Unstructured::new(bytes), n).unwrap()
    }

    #[test]
    fn design_example_parses_and_prints_back() {
        let text = "new s0\nset_id s0 0a0b0c0d\nset_time s0 1700000000\nup_ref s0 -> s1\ndup s1 -> s2\n\
                    cache_add s2\nfree s0\nssl_new c0\nssl_set c0 s1\nssl_get1 c0 -> s3\ncache_flush 1700000400\n";
        let p = Program::parse(text).unwrap();
        assert_eq!(p.ops.len(), 11);
        assert_eq!(p.to_string(), text);
    }

    #[test]
    fn comments_blank_lines_and_special_values() {
        let p = Program::parse(
            "# a comment\n\n  new s7   # trailing\nset_hostname s7 \"a \\\"b\\\"\\x01\"\nset_id s7 \"\"\n\
             set_alpn s7 none\nset_protocol_version s7 -1\ncache_flush -9223372036854775808\n",
        )
        .unwrap();
        assert_eq!(
            p.ops,
            [
                Op::New(S(7)),
                Op::SetHostname(S(7), Some(b"a \"b\"\x01".to_vec())),
                Op::SetId(S(7), vec![]),
                Op::SetAlpn(S(7), None),
                Op::SetProtocolVersion(S(7), -1),
                Op::CacheFlush(i64::MIN),
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("new s0\nnew s8\n", 2, "expected a slot s0..s7"),
            ("bogus\n", 1, "unknown op `bogus`"),
            ("new s0 extra", 1, "unexpected `extra`"),
            ("dup s0 s1", 1, "expected `->`"),
            ("set_id s0 abc", 1, "hex"),
            ("set_hostname s0 \"a\\x00\"", 1, "NUL"),
            ("set_max_early_data s0 -1", 1, "out of range"),
            ("\n\nset_hostname s0 \"open", 3, "unterminated"),
            ("cache_size", 1, "missing a size"),
        ];
        for (text, line, needle) in cases {
            let e = Program::parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(needle), "{text:?}: {e}");
            assert!(e.to_string().starts_with(&format!("line {line}: ")));
        }
    }

    #[test]
    fn generated_programs_are_mostly_legal() {
        let bytes: Vec<u8> = (0..20_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let p = program_from(&bytes, 500);
        let mut t = SlotTable::default();
        let legal = p
            .ops
            .iter()
            .enumerate()
            .filter(|(i, op)| {
                let ok = t.is_legal(op);
                if ok {
                    t.after(op, op.destination().map(|_| *i as Tag));
                }
                ok
            })
            .count();
        assert!(legal * 10 >= p.ops.len() * 8, "{legal} of {}", p.ops.len());
    }

    #[test]
    fn fuzz_bytes_are_text_programs_or_arbitrary_input() {
        let text = "new s0\ncache_add s0\n";
        assert_eq!(
            Program::from_fuzz_bytes(text.as_bytes()),
            Program::parse(text).unwrap()
        );
        let bytes = [0x80u8, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(
            Program::from_fuzz_bytes(&bytes),
            program_from(&bytes, ARBITRARY_MAX_OPS)
        );
        assert_eq!(Program::from_fuzz_bytes(b""), Program::default());
    }

    #[test]
    fn slot_table_rules() {
        let mut t = SlotTable::default();
        assert!(!t.is_legal(&Op::Free(S(0))));
        assert!(t.is_legal(&Op::New(S(0))));
        t.after(&Op::New(S(0)), Some(0));
        assert!(!t.is_legal(&Op::New(S(0))));
        assert!(t.is_legal(&Op::SetId(S(0), vec![1])));
        t.cached.insert(0);
        assert!(!t.is_legal(&Op::SetId(S(0), vec![1])));
        assert!(!t.is_legal(&Op::SetProtocolVersion(S(0), 1)));
        assert!(t.is_legal(&Op::SetTime(S(0), 1)));
        t.after(&Op::SslNew(C(1)), None);
        assert!(!t.is_legal(&Op::CtxFree));
        assert!(!t.is_legal(&Op::CtxNew));
        assert!(t.is_legal(&Op::SslCopySessionId(C(1), C(1))));
        assert!(!t.is_legal(&Op::SslCopySessionId(C(1), C(0))));
        t.after(&Op::SslFree(C(1)), None);
        t.after(&Op::CtxFree, None);
        assert!(!t.is_legal(&Op::CacheAdd(S(0))));
        assert!(!t.is_legal(&Op::SslNew(C(0))));
        assert!(t.is_legal(&Op::CtxNew));
    }

    proptest! {
        #[test]
        fn print_then_parse_is_identity(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let p = program_from(&bytes, 200);
            let text = p.to_string();
            prop_assert_eq!(Program::parse(&text).unwrap(), p);
        }

        #[test]
        fn parse_never_panics_on_random_text(text in "(?s).{0,300}") {
            let _ = Program::parse(&text);
        }

        #[test]
        fn parse_never_panics_on_near_programs(
            lines in proptest::collection::vec(
                "(new|dup|set_id|set_hostname|cache_flush|ssl_set|ssl_get1|set_protocol_version) ?(s[0-9]{1,2}|c[0-9]|-?[0-9]{1,25}|0x[0-9a-f]{0,20}|\"[^\"]{0,5}\"?|->|none| )*",
                0..10)
        ) {
            let _ = Program::parse(&lines.join("\n"));
        }
    }
}
