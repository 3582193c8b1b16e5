//! Operand kinds: what an operand of an [`Op`](super::Op) means to the slot
//! table, and how it is printed, parsed, generated, simplified and renamed.
//!
//! The op table in [`super::op`] names one kind per operand; an op's
//! behaviour in all of those respects is the sum of its operands'. Kinds
//! with the same Rust type differ in what they mean (`Src` reads a slot,
//! `Fresh` fills one) or in the values generation favours (`Time` and
//! `Timeout`).

use std::fmt::Write as _;

use super::ex::{EX_INDEXES, ExSpec, parse_val, write_val};
use super::generate::{Gen, R};
use super::op::{Effects, Fill};
use super::text::{Args, write_hex, write_opt_hex, write_quoted};
use super::{BIRTH_TIME, C, S, SlotTable};

/// One kind of operand.
pub(super) trait Operand {
    /// The operand's type in [`Op`](super::Op).
    type Value;
    /// Records what the operand asks of the slot table and does to it.
    fn effect(_v: &Self::Value, _e: &mut Effects) {}
    /// Writes the operand in text form, after a space.
    fn write(v: &Self::Value, out: &mut String);
    /// Reads the operand from the text form.
    fn parse(a: &mut Args<'_>) -> Result<Self::Value, String>;
    /// Draws a value, favouring those that reach libssl's interesting
    /// cases and slots that make the op legal in `t`.
    fn generate(g: &mut Gen<'_, '_>, t: &SlotTable) -> R<Self::Value>;
    /// Simpler values, simplest first, for the shrinker.
    fn simpler(_v: &Self::Value) -> Vec<Self::Value> {
        Vec::new()
    }
    /// Renames the slots the operand names.
    fn rename(_v: &mut Self::Value, _fs: &dyn Fn(S) -> S, _fc: &dyn Fn(C) -> C) {}
}

// ---------------------------------------------------------------------------
// Session slots
// ---------------------------------------------------------------------------

/// Implements the parts that every session-slot kind shares.
macro_rules! session_slot {
    ($kind:ident, $doc:literal, arrow $arrow:literal, full $full:literal,
     |$v:ident, $e:ident| $effect:expr) => {
        #[doc = $doc]
        pub(super) struct $kind;
        impl Operand for $kind {
            type Value = S;
            fn effect($v: &S, $e: &mut Effects) {
                $effect
            }
            fn write(v: &S, out: &mut String) {
                let arrow = if $arrow { " ->" } else { "" };
                let _ = write!(out, "{arrow} {v}");
            }
            fn parse(a: &mut Args<'_>) -> Result<S, String> {
                if $arrow {
                    a.arrow()?;
                }
                a.s()
            }
            fn generate(g: &mut Gen<'_, '_>, t: &SlotTable) -> R<S> {
                g.s(t, $full)
            }
            fn rename(v: &mut S, fs: &dyn Fn(S) -> S, _fc: &dyn Fn(C) -> C) {
                *v = fs(*v);
            }
        }
    };
}

session_slot!(Src, "A session the op reads or changes.", arrow false, full true,
    |v, e| e.source = Some(*v));
session_slot!(Keyed, "A session whose cache key the op changes.", arrow false, full true,
    |v, e| { e.source = Some(*v); e.changes_key = true; });
session_slot!(Released, "A reference the op releases.", arrow false, full true,
    |v, e| { e.source = Some(*v); e.releases = true; });
session_slot!(Born, "An empty slot a new session goes to (`new s0`).", arrow false, full false,
    |v, e| e.fills = Some((*v, Fill::Made)));
session_slot!(Fresh, "An empty slot the call's result goes to (`-> s1`).", arrow true, full false,
    |v, e| e.fills = Some((*v, Fill::Made)));
session_slot!(Alias, "An empty slot that gets another reference to the source (`-> s1`).",
    arrow true, full false, |v, e| e.fills = Some((*v, Fill::Alias)));

/// A session or NULL (`none`).
pub(super) struct OptSrc;
impl Operand for OptSrc {
    type Value = Option<S>;
    fn effect(v: &Option<S>, e: &mut Effects) {
        e.source = *v;
    }
    fn write(v: &Option<S>, out: &mut String) {
        match v {
            Some(s) => {
                let _ = write!(out, " {s}");
            }
            None => out.push_str(" none"),
        }
    }
    fn parse(a: &mut Args<'_>) -> Result<Option<S>, String> {
        if a.none() { Ok(None) } else { a.s().map(Some) }
    }
    fn generate(g: &mut Gen<'_, '_>, t: &SlotTable) -> R<Option<S>> {
        Ok(if g.one_in(6)? {
            None
        } else {
            Some(g.s(t, true)?)
        })
    }
    fn simpler(v: &Option<S>) -> Vec<Option<S>> {
        v.map(|_| vec![None]).unwrap_or_default()
    }
    fn rename(v: &mut Option<S>, fs: &dyn Fn(S) -> S, _fc: &dyn Fn(C) -> C) {
        *v = v.map(fs);
    }
}

// ---------------------------------------------------------------------------
// SSL slots
// ---------------------------------------------------------------------------

macro_rules! ssl_slot {
    ($kind:ident, $doc:literal, full $full:literal, |$v:ident, $e:ident| $effect:expr) => {
        #[doc = $doc]
        pub(super) struct $kind;
        impl Operand for $kind {
            type Value = C;
            fn effect($v: &C, $e: &mut Effects) {
                $effect
            }
            fn write(v: &C, out: &mut String) {
                let _ = write!(out, " {v}");
            }
            fn parse(a: &mut Args<'_>) -> Result<C, String> {
                a.c()
            }
            fn generate(g: &mut Gen<'_, '_>, t: &SlotTable) -> R<C> {
                g.c(t, $full)
            }
            fn rename(v: &mut C, _fs: &dyn Fn(S) -> S, fc: &dyn Fn(C) -> C) {
                *v = fc(*v);
            }
        }
    };
}

ssl_slot!(Ssl, "An `SSL` the op uses.", full true, |v, e| e.needs_ssl(*v));
ssl_slot!(SslBorn, "An empty `SSL` slot the op makes an `SSL` in.", full false,
    |v, e| e.ssl_born = Some(*v));
ssl_slot!(SslFreed, "An `SSL` the op frees.", full true,
    |v, e| { e.needs_ssl(*v); e.ssl_freed = Some(*v); });

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// Byte strings, in hex.
macro_rules! bytes {
    ($kind:ident, $doc:literal, $what:literal, $gen:ident) => {
        #[doc = $doc]
        pub(super) struct $kind;
        impl Operand for $kind {
            type Value = Vec<u8>;
            fn write(v: &Vec<u8>, out: &mut String) {
                out.push(' ');
                write_hex(out, v);
            }
            fn parse(a: &mut Args<'_>) -> Result<Vec<u8>, String> {
                a.bytes($what)
            }
            fn generate(g: &mut Gen<'_, '_>, _t: &SlotTable) -> R<Vec<u8>> {
                g.$gen()
            }
            fn simpler(v: &Vec<u8>) -> Vec<Vec<u8>> {
                simpler_bytes(v)
            }
        }
    };
}

bytes!(
    Id,
    "A session id (colliding, at the 32-byte limit, or past it).",
    "an id",
    id
);
bytes!(SidCtx, "An id context.", "an id context", id);
bytes!(
    MasterKey,
    "A master key (48 bytes, at the 512-byte limit or past it).",
    "a master key",
    master_key
);

/// DER bytes, mostly-valid session encodings.
pub(super) struct Der;
impl Operand for Der {
    type Value = Vec<u8>;
    fn write(v: &Vec<u8>, out: &mut String) {
        out.push(' ');
        write_hex(out, v);
    }
    fn parse(a: &mut Args<'_>) -> Result<Vec<u8>, String> {
        a.bytes("DER bytes")
    }
    fn generate(g: &mut Gen<'_, '_>, _t: &SlotTable) -> R<Vec<u8>> {
        g.session_der()
    }
    fn simpler(v: &Vec<u8>) -> Vec<Vec<u8>> {
        simpler_der(v)
    }
}

/// Optional byte strings, in hex or `none`.
macro_rules! opt_bytes {
    ($kind:ident, $doc:literal, $what:literal, $known:expr) => {
        #[doc = $doc]
        pub(super) struct $kind;
        impl Operand for $kind {
            type Value = Option<Vec<u8>>;
            fn write(v: &Option<Vec<u8>>, out: &mut String) {
                out.push(' ');
                write_opt_hex(out, v);
            }
            fn parse(a: &mut Args<'_>) -> Result<Option<Vec<u8>>, String> {
                if a.none() {
                    Ok(None)
                } else {
                    a.bytes($what).map(Some)
                }
            }
            fn generate(g: &mut Gen<'_, '_>, _t: &SlotTable) -> R<Option<Vec<u8>>> {
                g.opt_bytes($known)
            }
            fn simpler(v: &Option<Vec<u8>>) -> Vec<Option<Vec<u8>>> {
                simpler_opt_bytes(v)
            }
        }
    };
}

opt_bytes!(
    Alpn,
    "An ALPN protocol.",
    "an ALPN protocol",
    &[b"h2", b"http/1.1"]
);
opt_bytes!(
    Appdata,
    "Ticket application data.",
    "ticket appdata",
    &[b"app", b"\x00\x01"]
);

/// A host name: a quoted string without NUL, or `none`.
pub(super) struct Hostname;
impl Operand for Hostname {
    type Value = Option<Vec<u8>>;
    fn write(v: &Option<Vec<u8>>, out: &mut String) {
        out.push(' ');
        match v {
            None => out.push_str("none"),
            Some(h) => write_quoted(out, h),
        }
    }
    fn parse(a: &mut Args<'_>) -> Result<Option<Vec<u8>>, String> {
        a.hostname()
    }
    fn generate(g: &mut Gen<'_, '_>, _t: &SlotTable) -> R<Option<Vec<u8>>> {
        g.hostname()
    }
    fn simpler(v: &Option<Vec<u8>>) -> Vec<Option<Vec<u8>>> {
        simpler_opt_bytes(v)
    }
}

/// Signed 64-bit numbers in decimal.
macro_rules! int {
    ($kind:ident, $doc:literal, $what:literal, $gen:ident) => {
        #[doc = $doc]
        pub(super) struct $kind;
        impl Operand for $kind {
            type Value = i64;
            fn write(v: &i64, out: &mut String) {
                let _ = write!(out, " {v}");
            }
            fn parse(a: &mut Args<'_>) -> Result<i64, String> {
                a.int($what)
            }
            fn generate(g: &mut Gen<'_, '_>, _t: &SlotTable) -> R<i64> {
                g.$gen()
            }
            fn simpler(v: &i64) -> Vec<i64> {
                simpler_int(*v)
            }
        }
    };
}

int!(
    Time,
    "A session time: near the birth time, overflowing or negative.",
    "a time",
    time
);
int!(
    FlushTime,
    "A flush time, near the expiry boundaries of generated sessions.",
    "a time",
    flush_time
);
int!(
    Timeout,
    "A timeout: small, overflowing or negative.",
    "a timeout",
    timeout
);
int!(
    CacheSize,
    "A cache size: tiny, the default, or out of range.",
    "a size",
    cache_size
);

/// A protocol version, in hex (`0x0304`) unless negative.
pub(super) struct Version;
impl Operand for Version {
    type Value = i32;
    fn write(v: &i32, out: &mut String) {
        if *v >= 0 {
            let _ = write!(out, " 0x{v:04x}");
        } else {
            let _ = write!(out, " {v}");
        }
    }
    fn parse(a: &mut Args<'_>) -> Result<i32, String> {
        a.int("a protocol version")
    }
    fn generate(g: &mut Gen<'_, '_>, _t: &SlotTable) -> R<i32> {
        g.version()
    }
    fn simpler(v: &i32) -> Vec<i32> {
        if *v == 0x0304 { vec![] } else { vec![0x0304] }
    }
}

/// `max_early_data`, a 32-bit unsigned value.
pub(super) struct EarlyData;
impl Operand for EarlyData {
    type Value = u32;
    fn write(v: &u32, out: &mut String) {
        let _ = write!(out, " {v}");
    }
    fn parse(a: &mut Args<'_>) -> Result<u32, String> {
        a.int("a 32-bit unsigned value")
    }
    fn generate(g: &mut Gen<'_, '_>, _t: &SlotTable) -> R<u32> {
        g.pick(&[0, 1, 16384, u32::MAX])
    }
    fn simpler(v: &u32) -> Vec<u32> {
        if *v == 0 { vec![] } else { vec![0] }
    }
}

/// A cipher suite code (`0x1301`) or `none`.
pub(super) struct Cipher;
impl Operand for Cipher {
    type Value = Option<u16>;
    fn write(v: &Option<u16>, out: &mut String) {
        match v {
            Some(c) => {
                let _ = write!(out, " 0x{c:04x}");
            }
            None => out.push_str(" none"),
        }
    }
    fn parse(a: &mut Args<'_>) -> Result<Option<u16>, String> {
        if a.none() {
            Ok(None)
        } else {
            a.int("a 16-bit cipher code").map(Some)
        }
    }
    fn generate(g: &mut Gen<'_, '_>, _t: &SlotTable) -> R<Option<u16>> {
        g.cipher()
    }
    fn simpler(v: &Option<u16>) -> Vec<Option<u16>> {
        match v {
            Some(c) if *c != 0x1301 => vec![None, Some(0x1301)],
            _ => vec![],
        }
    }
}

// ---------------------------------------------------------------------------
// ex_data
// ---------------------------------------------------------------------------

/// The callbacks of the index `ex_new_index` registers.
pub(super) struct ExCallbacks;
impl Operand for ExCallbacks {
    type Value = ExSpec;
    fn effect(_v: &ExSpec, e: &mut Effects) {
        e.ex_new_index = true;
    }
    fn write(v: &ExSpec, out: &mut String) {
        let _ = write!(out, " {v}");
    }
    fn parse(a: &mut Args<'_>) -> Result<ExSpec, String> {
        let words = [a.word("new=…")?, a.word("dup=…")?, a.word("free=…")?];
        ExSpec::parse(words).map_err(|e| format!("ex_new_index: {e}"))
    }
    fn generate(g: &mut Gen<'_, '_>, _t: &SlotTable) -> R<ExSpec> {
        g.ex_spec()
    }
    fn simpler(v: &ExSpec) -> Vec<ExSpec> {
        v.simpler()
    }
}

/// An ex_data index of the program: 0 (app_data) or one it registered.
pub(super) struct ExIdx;
impl Operand for ExIdx {
    type Value = u8;
    fn effect(v: &u8, e: &mut Effects) {
        e.ex_index = Some(*v);
    }
    fn write(v: &u8, out: &mut String) {
        let _ = write!(out, " {v}");
    }
    fn parse(a: &mut Args<'_>) -> Result<u8, String> {
        let i: u8 = a.int("an ex_data index")?;
        if i > EX_INDEXES {
            return Err(format!(
                "ex_data index {i} out of range: 0 (app_data) to {EX_INDEXES}"
            ));
        }
        Ok(i)
    }
    fn generate(g: &mut Gen<'_, '_>, t: &SlotTable) -> R<u8> {
        g.ex_index(t)
    }
    fn simpler(v: &u8) -> Vec<u8> {
        if *v > 1 { vec![1] } else { vec![] }
    }
}

/// A value to store in a slot: `null` or 1..255.
pub(super) struct ExValue;
impl Operand for ExValue {
    type Value = u8;
    fn write(v: &u8, out: &mut String) {
        out.push(' ');
        let _ = write_val(out, (*v).into());
    }
    fn parse(a: &mut Args<'_>) -> Result<u8, String> {
        let w = a.word("an ex_data value")?;
        parse_val(w)
            .ok_or_else(|| format!("expected an ex_data value (`null` or 1..255), found `{w}`"))
    }
    fn generate(g: &mut Gen<'_, '_>, _t: &SlotTable) -> R<u8> {
        g.pick(&[1, 2, 3, 0, 200])
    }
    fn simpler(v: &u8) -> Vec<u8> {
        if *v > 1 { vec![1] } else { vec![] }
    }
}

// ---------------------------------------------------------------------------
// Simplification
// ---------------------------------------------------------------------------

fn simpler_bytes(b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if !b.is_empty() {
        out.push(vec![]);
    }
    if b.len() > 1 {
        out.push(vec![1]);
        out.push(b[..b.len() / 2].to_vec());
    }
    out
}

fn simpler_opt_bytes(v: &Option<Vec<u8>>) -> Vec<Option<Vec<u8>>> {
    match v {
        None => vec![],
        Some(b) => std::iter::once(None)
            .chain(simpler_bytes(b).into_iter().map(Some))
            .collect(),
    }
}

fn simpler_int(v: i64) -> Vec<i64> {
    [0, 1, BIRTH_TIME, v / 2]
        .into_iter()
        .filter(|&c| c.unsigned_abs() < v.unsigned_abs() || (c != v && c == 0))
        .collect()
}

/// One definite-length element at the start of `b`: (header length,
/// content length), or `None` if it is not one.
fn element(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.get(1)?;
    let (hdr, len) = if first < 0x80 {
        (2, usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let octets = b.get(2..2 + n)?;
        (
            2 + n,
            octets.iter().fold(0, |v, &o| (v << 8) | usize::from(o)),
        )
    };
    (b[0] & 0x1f != 0x1f && b.len() >= hdr + len).then_some((hdr, len))
}

/// `tag`, a minimal definite length, then `content`.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let n = content.len();
    let len = n.to_be_bytes();
    let skip = len.iter().take_while(|&&b| b == 0).count();
    let mut out = vec![tag];
    if n < 0x80 {
        out.push(n as u8);
    } else {
        out.push(0x80 | (len.len() - skip) as u8);
        out.extend_from_slice(&len[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// Simpler DER inputs: without what follows the outer element, then
/// without each element of the outer SEQUENCE in turn (lengths fixed up).
fn simpler_der(b: &[u8]) -> Vec<Vec<u8>> {
    let Some((hdr, len)) = element(b) else {
        return vec![];
    };
    let mut out = Vec::new();
    if b.len() > hdr + len {
        out.push(b[..hdr + len].to_vec());
    }
    let body = &b[hdr..hdr + len];
    let mut fields = Vec::new();
    let mut at = 0;
    while at < body.len() {
        // What cannot be read as one element stays as one opaque piece.
        let end = element(&body[at..]).map_or(body.len(), |(h, l)| at + h + l);
        fields.push(at..end);
        at = end;
    }
    for skip in (0..fields.len()).rev() {
        let rest: Vec<u8> = fields
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .flat_map(|(_, r)| body[r.clone()].iter().copied())
            .collect();
        out.push(tlv(b[0], &rest));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_loses_trailing_bytes_then_one_field_at_a_time() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0xaa, 0xff];
        assert_eq!(
            simpler_der(&der),
            [
                vec![0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0xaa],
                vec![0x30, 0x03, 0x02, 0x01, 0x01],
                vec![0x30, 0x03, 0x04, 0x01, 0xaa],
            ]
        );
        assert!(simpler_der(&[0x30]).is_empty());
    }

    #[test]
    fn long_contents_get_long_form_lengths() {
        let t = tlv(0x30, &[0; 200]);
        assert_eq!(&t[..3], &[0x30, 0x81, 200]);
        assert_eq!(t.len(), 203);
    }

    #[test]
    fn numbers_shrink_towards_zero() {
        assert_eq!(simpler_int(0), Vec::<i64>::new());
        assert_eq!(simpler_int(7), [0, 1, 3]);
        assert_eq!(simpler_int(-9), [0, 1, -4]);
    }
}
