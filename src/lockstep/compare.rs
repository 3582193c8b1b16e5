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
mod tests {
    use super::*;

    /// `SEQUENCE { INTEGER 1, [6] { OCTET STRING host } }`.
    fn der(host: &[u8]) -> Vec<u8> {
        let mut inner = vec![0x04, host.len() as u8];
        inner.extend_from_slice(host);
        let mut six = vec![0xa6, inner.len() as u8];
        six.extend(inner);
        let mut body = vec![0x02, 0x01, 0x01];
        body.extend(six);
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    }

    #[test]
    fn a_changed_byte_names_its_element() {
        let d = encoding_difference(3, &der(b"ab"), &der(b"ac"));
        assert_eq!(d.field.key(), "session.encoding.hostname");
        assert_eq!(d.left, "a60404026162");
        assert_eq!(d.right, "a60404026163");
        assert_eq!(
            d.field.to_string(),
            "session #3 encoding [6] hostname at byte 5"
        );
    }

    #[test]
    fn an_element_on_one_side_only_is_absent_on_the_other() {
        let short = vec![0x30, 0x03, 0x02, 0x01, 0x01];
        let d = encoding_difference(0, &der(b"x"), &short);
        assert_eq!(
            (d.left.as_str(), d.right.as_str()),
            ("a603040178", "(absent)")
        );
        let d = encoding_difference(0, &short, &der(b"x"));
        assert_eq!(
            (d.left.as_str(), d.right.as_str()),
            ("(absent)", "a603040178")
        );
    }

    #[test]
    fn unreadable_encodings_show_bytes_from_the_first_difference() {
        let d = encoding_difference(1, &[0x30, 0x80, 1, 2], &[0x30, 0x80, 1, 3]);
        assert_eq!(d.field.key(), "session.encoding");
        assert_eq!((d.left.as_str(), d.right.as_str()), ("02", "03"));
        assert_eq!(d.field.to_string(), "session #1 encoding at byte 3");
    }

    use crate::backend::{Ret, SslSnapshot, State, blank, filled};
    use crate::native::SessionId;

    /// Every variant of [`Field`], by number: a new variant is a compile
    /// error here until the test below makes a difference in it.
    fn number(f: &Field) -> usize {
        match f {
            Field::Ret => 0,
            Field::Error => 1,
            Field::Events => 2,
            Field::Live => 3,
            Field::Cache => 4,
            Field::CacheNumber => 5,
            Field::CacheFull => 6,
            Field::CacheSize => 7,
            Field::CacheMembers => 8,
            Field::Ssl(_) => 9,
            Field::SslSession(_) => 10,
            Field::SslVerifyResult(_) => 11,
            Field::Reachable => 12,
            Field::Session(_, SessionField::Getter(_)) => 13,
            Field::Session(_, SessionField::Encoding(_)) => 14,
            Field::LiveAfterDrain => 15,
        }
    }

    /// A world with two cached sessions (#0, #2; #2 with every optional
    /// field set), an `SSL` in `c1` holding #2.
    fn world() -> Outcome {
        let mut full = filled(1);
        full.encoding = der(b"ab");
        let mut state = State {
            live: 2,
            sessions: vec![(0, Box::new(blank(7))), (2, Box::new(full))],
            cache: Some(CacheSnapshot {
                number: 2,
                cache_full: 0,
                size: 20480,
                members: vec![0, 2],
            }),
            ..State::default()
        };
        state.ssls[1] = Some(SslSnapshot {
            session: Some(2),
            verify_result: 0,
        });
        Outcome {
            ret: Ret::Int(1),
            error: 0,
            events: vec![Event::Died(5)],
            state,
        }
    }

    /// Each getter's change, and both values as a report shows them.
    type Change = (
        &'static str,
        fn(&mut SessionSnapshot),
        &'static str,
        &'static str,
    );
    const GETTERS: [Change; 17] = [
        (
            "id",
            |s| s.id = SessionId::new(&[1; 8]).unwrap(),
            "010101010101010101",
            "0101010101010101",
        ),
        (
            "sid_ctx",
            |s| s.sid_ctx = SessionId::new(&[0]).unwrap(),
            "\"\"",
            "00",
        ),
        ("master_key", |s| s.master_key.push(0xab), "\"\"", "ab"),
        ("time", |s| s.time += 1, "1", "2"),
        ("timeout", |s| s.timeout -= 300, "0", "-300"),
        (
            "protocol_version",
            |s| s.protocol_version = 0x0304,
            "0",
            "772",
        ),
        ("hostname", |s| s.hostname = None, "68", "NULL"),
        (
            "alpn_selected",
            |s| s.alpn_selected = Some(b"b".to_vec()),
            "61",
            "62",
        ),
        (
            "ticket_appdata",
            |s| s.ticket_appdata = None,
            "\"\"",
            "NULL",
        ),
        ("max_early_data", |s| s.max_early_data = 16384, "0", "16384"),
        (
            "ticket_lifetime_hint",
            |s| s.ticket_lifetime_hint = 7200,
            "0",
            "7200",
        ),
        ("compress_id", |s| s.compress_id = 1, "0", "1"),
        (
            "max_fragment_length",
            |s| s.max_fragment_length = 4,
            "0",
            "4",
        ),
        ("is_resumable", |s| s.is_resumable = true, "false", "true"),
        ("has_ticket", |s| s.has_ticket = true, "false", "true"),
        ("cipher", |s| s.cipher = Some(0x1301), "NULL", "0x1301"),
        (
            "ticket",
            |s| s.ticket.0.as_mut().unwrap()[2] = 6,
            "050505 (length 3)",
            "050506 (length 3)",
        ),
    ];

    /// The getters a snapshot walk names, in order.
    fn getter_names() -> Vec<&'static str> {
        struct Names(Vec<&'static str>);
        impl FieldPairs for Names {
            fn getter<T: Value>(&mut self, name: &'static str, _: &T, _: &T) {
                self.0.push(name);
            }
            fn encoding(&mut self, _: &[u8], _: &[u8]) {}
        }
        let mut names = Names(vec![]);
        let s = blank(0);
        s.pairs(&s, &mut names);
        names.0
    }

    /// The session #2 of an outcome of [`world`].
    fn session2(o: &mut Outcome) -> &mut SessionSnapshot {
        let (_, s) = o.state.sessions.iter_mut().find(|(t, _)| *t == 2).unwrap();
        s
    }

    /// A change of the world, the field it must be reported as, and both
    /// values as the report shows them.
    type Case = (Field, Box<dyn Fn(&mut Outcome)>, String, String);

    /// One change of the world per observation: what changes, the field
    /// it must be reported as, and both values as the report shows them.
    fn changes() -> Vec<Case> {
        let mut v: Vec<Case> = vec![
            (
                Field::Ret,
                Box::new(|o| o.ret = Ret::Obj(Some(3))),
                "1".into(),
                "#3".into(),
            ),
            (
                Field::Error,
                Box::new(|o| o.error = errcode::pack(errcode::LIB_SSL, 65)),
                "0".into(),
                "SSL:65".into(),
            ),
            (
                Field::Events,
                Box::new(|o| o.events.push(Event::Removed(0))),
                "free(#5)".into(),
                "free(#5) rm(#0)".into(),
            ),
            (
                Field::Live,
                Box::new(|o| o.state.live = 3),
                "2".into(),
                "3".into(),
            ),
            (
                Field::Cache,
                Box::new(|o| o.state.cache = None),
                "true".into(),
                "false".into(),
            ),
            (
                Field::CacheNumber,
                Box::new(|o| o.state.cache.as_mut().unwrap().number = 1),
                "2".into(),
                "1".into(),
            ),
            (
                Field::CacheFull,
                Box::new(|o| o.state.cache.as_mut().unwrap().cache_full = 4),
                "0".into(),
                "4".into(),
            ),
            (
                Field::CacheSize,
                Box::new(|o| o.state.cache.as_mut().unwrap().size = 1),
                "20480".into(),
                "1".into(),
            ),
            (
                Field::CacheMembers,
                Box::new(|o| o.state.cache.as_mut().unwrap().members = vec![2]),
                "#0 #2".into(),
                "#2".into(),
            ),
            (
                Field::Ssl(C(1)),
                Box::new(|o| o.state.ssls[1] = None),
                "true".into(),
                "false".into(),
            ),
            (
                Field::Ssl(C(3)),
                Box::new(|o| {
                    o.state.ssls[3] = Some(SslSnapshot {
                        session: None,
                        verify_result: 0,
                    })
                }),
                "false".into(),
                "true".into(),
            ),
            (
                Field::SslSession(C(1)),
                Box::new(|o| o.state.ssls[1].as_mut().unwrap().session = None),
                "#2".into(),
                "NULL".into(),
            ),
            (
                Field::SslVerifyResult(C(1)),
                Box::new(|o| o.state.ssls[1].as_mut().unwrap().verify_result = 20),
                "0".into(),
                "20".into(),
            ),
            (
                Field::Reachable,
                Box::new(|o| {
                    o.state.sessions.remove(0);
                }),
                "#0 #2".into(),
                "#2".into(),
            ),
            (
                Field::Reachable,
                Box::new(|o| o.state.sessions.clear()),
                "#0 #2".into(),
                "(none)".into(),
            ),
            (
                Field::Session(
                    2,
                    SessionField::Encoding(EncodingSpot {
                        field: Some(native::Field::Hostname),
                        offset: 5,
                    }),
                ),
                Box::new(|o| session2(o).encoding = der(b"ac")),
                "a60404026162".into(),
                "a60404026163".into(),
            ),
        ];
        for (name, change, left, right) in GETTERS {
            v.push((
                Field::Session(2, SessionField::Getter(name)),
                Box::new(move |o| change(session2(o))),
                left.into(),
                right.into(),
            ));
        }
        v
    }

    #[test]
    fn a_difference_in_any_one_field_is_reported_as_that_field_with_both_values() {
        let base = world();
        assert!(diff(&base, &base.clone()).is_empty());
        let mut seen = vec![false; 16];
        for (field, change, left, right) in changes() {
            seen[number(&field)] = true;
            let mut other = world();
            change(&mut other);
            let d = diff(&base, &other);
            assert_eq!(d.len(), 1, "{field}: {d:?}");
            assert_eq!(d[0].field, field);
            assert_eq!(
                (d[0].left.as_str(), d[0].right.as_str()),
                (left.as_str(), right.as_str()),
                "{field}"
            );
            // The key names the field; the other way round, both values swap.
            assert!(!d[0].field.key().is_empty());
            let back = diff(&other, &base);
            assert_eq!(
                (back[0].left.as_str(), back[0].right.as_str()),
                (right.as_str(), left.as_str())
            );
        }
        // Only the drain's final check reports this one (lockstep's tests).
        seen[number(&Field::LiveAfterDrain)] = true;
        assert!(
            seen.iter().all(|s| *s),
            "a field no change reaches: {seen:?}"
        );
        let names: Vec<_> = GETTERS.iter().map(|g| g.0).collect();
        assert_eq!(
            names,
            getter_names(),
            "every getter of the snapshot is changed once"
        );
    }

    #[test]
    fn every_field_has_its_own_key() {
        let keys: Vec<String> = changes().iter().map(|(f, ..)| f.key()).collect();
        let mut expected: Vec<String> = [
            "ret",
            "error",
            "events",
            "live",
            "cache",
            "cache.number",
            "cache.cache_full",
            "cache.size",
            "cache.members",
            "ssl",
            "ssl",
            "ssl.session",
            "ssl.verify_result",
            "sessions",
            "sessions",
            "session.encoding.hostname",
        ]
        .map(String::from)
        .to_vec();
        expected.extend(GETTERS.iter().map(|g| format!("session.{}", g.0)));
        assert_eq!(keys, expected);
        assert_eq!(Field::LiveAfterDrain.key(), "live_after_drain");
        assert_eq!(
            Field::Session(
                1,
                SessionField::Encoding(EncodingSpot {
                    field: None,
                    offset: 0
                })
            )
            .key(),
            "session.encoding"
        );
    }

    #[test]
    fn keys_carry_no_tags_or_slots() {
        assert_eq!(Field::SslSession(C(3)).key(), "ssl.session");
        assert_eq!(Field::SslSession(C(3)).to_string(), "ssl c3 session");
        let f = Field::Session(9, SessionField::Getter("hostname"));
        assert_eq!(
            (f.key().as_str(), f.to_string().as_str()),
            ("session.hostname", "session #9 hostname")
        );
    }
}
