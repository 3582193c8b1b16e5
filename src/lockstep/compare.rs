//! Typed comparison of two [`Outcome`]s: every observable is compared as
//! the value it is, and a difference names its [`Field`].
//!
//! A field has two spellings. [`Field::key`] is stable — no object tags,
//! no slot numbers — and is what signatures, the shrinker and any grouping
//! of findings use:
//!
//! | key | what |
//! |---|---|
//! | `ret`, `error`, `events` | the call's result, queued error, events in order |
//! | `live` | sessions made and not yet dead |
//! | `cache`, `cache.number`, `cache.cache_full`, `cache.size`, `cache.members` | the ctx's existence, its counters and members |
//! | `ssl`, `ssl.session`, `ssl.verify_result` | an `SSL`'s existence, its session, its verify result |
//! | `sessions` | which objects are reachable |
//! | `session.<getter>` | a field of a session both sides reach (`session.hostname`, `session.timeout`, …) |
//! | `session.encoding.<field>` | one element of the DER encoding, by its `SSL_SESSION_ASN1` name (`session.encoding.hostname`) |
//! | `session.encoding` | an encoding whose elements cannot be told apart |
//! | `live_after_drain` | sessions left alive when everything was released |
//!
//! Its [`Display`](fmt::Display) is for people and says where:
//! `ssl c1 session`, `session #3 encoding [6] hostname at byte 41`.

use std::fmt;

use super::Outcome;
use crate::backend::{CacheSnapshot, Event, FieldPairs, SessionSnapshot, SslSnapshot, Value, hex};
use crate::bytes::same_bytes;
use crate::errcode;
use crate::native;
use crate::program::{C, Tag};

/// Where in a session's encoding two sides differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingSpot {
    /// The template field whose element differs (or is on one side only);
    /// `None` when the encodings cannot be split into elements.
    pub field: Option<native::Field>,
    /// The offset of that element (or of the first differing byte) in the
    /// left side's encoding.
    pub offset: usize,
}

/// A field of a session snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionField {
    /// A getter's value: `hostname`, `timeout`, …
    Getter(&'static str),
    /// Part of `i2d_SSL_SESSION`'s output.
    Encoding(EncodingSpot),
}

/// What differed: a typed path into an [`Outcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The call's normalised result.
    Ret,
    /// The error the call queued.
    Error,
    /// Deaths and remove callbacks, in order.
    Events,
    /// The number of live sessions.
    Live,
    /// Whether the ctx exists.
    Cache,
    /// `SSL_CTX_sess_number`.
    CacheNumber,
    /// `SSL_CTX_sess_cache_full`.
    CacheFull,
    /// `SSL_CTX_sess_get_cache_size`.
    CacheSize,
    /// The cached objects.
    CacheMembers,
    /// Whether the `SSL` slot holds an `SSL`.
    Ssl(C),
    /// The `SSL`'s session.
    SslSession(C),
    /// The `SSL`'s verify result.
    SslVerifyResult(C),
    /// Which objects are reachable.
    Reachable,
    /// A field of the session `Tag`, reachable on both sides.
    Session(Tag, SessionField),
    /// Sessions still alive after the drain.
    LiveAfterDrain,
}

impl Field {
    /// The stable name of the field (see the module's table).
    pub fn key(&self) -> String {
        match self {
            Field::Ret => "ret".into(),
            Field::Error => "error".into(),
            Field::Events => "events".into(),
            Field::Live => "live".into(),
            Field::Cache => "cache".into(),
            Field::CacheNumber => "cache.number".into(),
            Field::CacheFull => "cache.cache_full".into(),
            Field::CacheSize => "cache.size".into(),
            Field::CacheMembers => "cache.members".into(),
            Field::Ssl(_) => "ssl".into(),
            Field::SslSession(_) => "ssl.session".into(),
            Field::SslVerifyResult(_) => "ssl.verify_result".into(),
            Field::Reachable => "sessions".into(),
            Field::Session(_, SessionField::Getter(name)) => format!("session.{name}"),
            Field::Session(_, SessionField::Encoding(spot)) => match spot.field {
                Some(f) => format!("session.encoding.{}", f.name()),
                None => "session.encoding".into(),
            },
            Field::LiveAfterDrain => "live_after_drain".into(),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Ssl(c) => write!(f, "ssl {c}"),
            Field::SslSession(c) => write!(f, "ssl {c} session"),
            Field::SslVerifyResult(c) => write!(f, "ssl {c} verify_result"),
            Field::Session(t, SessionField::Getter(name)) => write!(f, "session #{t} {name}"),
            Field::Session(t, SessionField::Encoding(spot)) => match spot.field {
                Some(field) => write!(f, "session #{t} encoding {field} at byte {}", spot.offset),
                None => write!(f, "session #{t} encoding at byte {}", spot.offset),
            },
            other => f.write_str(&other.key()),
        }
    }
}

/// One observable that differed, with both values as people read them
/// (byte strings in hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What differed.
    pub field: Field,
    /// The left backend's value.
    pub left: String,
    /// The right backend's value.
    pub right: String,
}

fn tags(t: &[Tag]) -> String {
    if t.is_empty() {
        return "(none)".into();
    }
    t.iter()
        .map(|t| format!("#{t}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Events in order, `(none)` for none.
pub(crate) fn events(ev: &[Event]) -> String {
    if ev.is_empty() {
        return "(none)".into();
    }
    ev.iter()
        .map(Event::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Collects differences.
struct Diff(Vec<Difference>);

impl Diff {
    fn values<T: Value>(&mut self, field: Field, a: &T, b: &T) {
        if !a.same(b) {
            self.0.push(Difference {
                field,
                left: a.show(),
                right: b.show(),
            });
        }
    }

    fn text(&mut self, field: Field, a: String, b: String) {
        if a != b {
            self.0.push(Difference {
                field,
                left: a,
                right: b,
            });
        }
    }
}

/// Everything that differs between `a` and `b`, in a fixed order: the
/// call's result, error and events, the live count, the cache, each `SSL`,
/// the reachable set, then each session both sides reach, field by field.
pub fn diff(a: &Outcome, b: &Outcome) -> Vec<Difference> {
    let mut d = Diff(Vec::new());
    d.text(Field::Ret, a.ret.to_string(), b.ret.to_string());
    d.text(Field::Error, errcode::text(a.error), errcode::text(b.error));
    d.text(Field::Events, events(&a.events), events(&b.events));
    let (sa, sb) = (&a.state, &b.state);
    d.values(Field::Live, &sa.live, &sb.live);
    cache(&mut d, sa.cache.as_ref(), sb.cache.as_ref());
    for (c, (x, y)) in C::all().zip(sa.ssls.iter().zip(&sb.ssls)) {
        ssl(&mut d, c, x.as_ref(), y.as_ref());
    }
    let reach = |s: &crate::backend::State| s.sessions.iter().map(|(t, _)| *t).collect::<Vec<_>>();
    d.text(Field::Reachable, tags(&reach(sa)), tags(&reach(sb)));
    for (tag, x) in &sa.sessions {
        if let Some((_, y)) = sb.sessions.iter().find(|(t, _)| t == tag) {
            session(&mut d, *tag, x, y);
        }
    }
    d.0
}

fn cache(d: &mut Diff, a: Option<&CacheSnapshot>, b: Option<&CacheSnapshot>) {
    match (a, b) {
        (Some(a), Some(b)) => {
            let CacheSnapshot {
                number,
                cache_full,
                size,
                members,
            } = a;
            d.values(Field::CacheNumber, number, &b.number);
            d.values(Field::CacheFull, cache_full, &b.cache_full);
            d.values(Field::CacheSize, size, &b.size);
            d.text(Field::CacheMembers, tags(members), tags(&b.members));
        }
        (None, None) => {}
        _ => d.values(Field::Cache, &a.is_some(), &b.is_some()),
    }
}

fn ssl(d: &mut Diff, c: C, a: Option<&SslSnapshot>, b: Option<&SslSnapshot>) {
    match (a, b) {
        (Some(a), Some(b)) => {
            let SslSnapshot {
                session,
                verify_result,
            } = a;
            let tag = |t: &Option<Tag>| t.map_or_else(|| "NULL".into(), |t| format!("#{t}"));
            d.text(Field::SslSession(c), tag(session), tag(&b.session));
            d.values(Field::SslVerifyResult(c), verify_result, &b.verify_result);
        }
        (None, None) => {}
        _ => d.values(Field::Ssl(c), &a.is_some(), &b.is_some()),
    }
}

/// Compares two snapshots of the session `tag`, every field by name. The
/// destructuring makes a new snapshot field a compile error here until it
/// is compared.
fn session(d: &mut Diff, tag: Tag, a: &SessionSnapshot, b: &SessionSnapshot) {
    if a == b {
        return;
    }
    struct Fields<'d> {
        d: &'d mut Diff,
        tag: Tag,
    }
    impl FieldPairs for Fields<'_> {
        fn getter<T: Value>(&mut self, name: &'static str, a: &T, b: &T) {
            let field = Field::Session(self.tag, SessionField::Getter(name));
            self.d.values(field, a, b);
        }
        fn encoding(&mut self, a: &[u8], b: &[u8]) {
            if !same_bytes(a, b) {
                self.d.0.push(encoding_difference(self.tag, a, b));
            }
        }
    }
    a.pairs(b, &mut Fields { d, tag });
}

/// Names the first element of two encodings that differs (or stands on one
/// side only), with both its values in hex; the whole encodings, from the
/// first differing byte, when they cannot be split into elements.
fn encoding_difference(tag: Tag, a: &[u8], b: &[u8]) -> Difference {
    let at =
        |field, offset| Field::Session(tag, SessionField::Encoding(EncodingSpot { field, offset }));
    if let (Some(ea), Some(eb)) = (native::elements(a), native::elements(b)) {
        let bytes = |der: &[u8], e: &native::Element| hex(&der[e.offset..e.offset + e.len]);
        let rank = |e: &native::Element| e.field.map_or(usize::MAX, |f| f.position());
        let (mut i, mut j) = (0, 0);
        while i < ea.len() || j < eb.len() {
            let (x, y) = (ea.get(i), eb.get(j));
            match (x, y) {
                (Some(x), Some(y)) if x.field == y.field => {
                    let (bx, by) = (bytes(a, x), bytes(b, y));
                    if bx != by {
                        return Difference {
                            field: at(x.field, x.offset),
                            left: bx,
                            right: by,
                        };
                    }
                    i += 1;
                    j += 1;
                }
                (Some(x), y) if y.is_none_or(|y| rank(x) < rank(y)) => {
                    return Difference {
                        field: at(x.field, x.offset),
                        left: bytes(a, x),
                        right: "(absent)".into(),
                    };
                }
                (_, Some(y)) => {
                    return Difference {
                        field: at(y.field, x.map_or(a.len(), |x| x.offset)),
                        left: "(absent)".into(),
                        right: bytes(b, y),
                    };
                }
                (None, None) => break,
                (Some(_), None) => unreachable!("handled by the arm above"),
            }
        }
    }
    let first = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    Difference {
        field: at(None, first),
        left: hex(&a[first.min(a.len())..]),
        right: hex(&b[first.min(b.len())..]),
    }
}

#[cfg(test)]
mod tests;
