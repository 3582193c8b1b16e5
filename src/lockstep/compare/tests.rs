//! Tests of the typed comparison: every field alone, keys, encodings.

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
fn of_two_different_elements_the_earlier_field_is_the_absent_one() {
    // `[5]` on the left only, `[6]` on both: the walk meets `[5]` against
    // `[6]` and names `[5]`, whichever side has it.
    let with_five = {
        let mut d = der(b"h");
        let five = [0xa5, 0x03, 0x02, 0x01, 0x00];
        d.splice(5..5, five);
        d[1] += five.len() as u8;
        d
    };
    let d = encoding_difference(2, &with_five, &der(b"h"));
    assert_eq!(
        (d.field.key().as_str(), d.left.as_str(), d.right.as_str()),
        ("session.encoding.verify_result", "a503020100", "(absent)")
    );
    let d = encoding_difference(2, &der(b"h"), &with_five);
    assert_eq!(
        (d.field.key().as_str(), d.left.as_str(), d.right.as_str()),
        ("session.encoding.verify_result", "(absent)", "a503020100")
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
