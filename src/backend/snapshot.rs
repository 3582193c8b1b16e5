//! A session's snapshot — every field the API can read — and how two
//! snapshots are compared: one walk over the fields ([`FieldPairs`]) serves
//! equality and the lockstep's field-by-field differences.

use std::fmt::Write as _;

use crate::bytes::same_bytes;
use crate::native::SessionId;

/// Every field of a session that the API can read.
#[derive(Debug, Clone, Default, Eq)]
pub struct SessionSnapshot {
    /// `get_id`.
    pub id: SessionId,
    /// `get0_id_context`.
    pub sid_ctx: SessionId,
    /// `get_master_key`.
    pub master_key: Vec<u8>,
    /// `get_time`.
    pub time: i64,
    /// `get_timeout`.
    pub timeout: i64,
    /// `get_protocol_version`.
    pub protocol_version: i32,
    /// `get0_hostname`.
    pub hostname: Option<Vec<u8>>,
    /// `get0_alpn_selected`.
    pub alpn_selected: Option<Vec<u8>>,
    /// `get0_ticket_appdata`.
    pub ticket_appdata: Option<Vec<u8>>,
    /// `get_max_early_data`.
    pub max_early_data: u32,
    /// `get_ticket_lifetime_hint`.
    pub ticket_lifetime_hint: u64,
    /// `get_compress_id`.
    pub compress_id: u32,
    /// `get_max_fragment_length`.
    pub max_fragment_length: u8,
    /// `is_resumable`.
    pub is_resumable: bool,
    /// `has_ticket`.
    pub has_ticket: bool,
    /// `get0_cipher`'s protocol id.
    pub cipher: Option<u16>,
    /// `get0_ticket`: the buffer, if not NULL, and the recorded length.
    pub ticket: (Option<Vec<u8>>, usize),
    /// `i2d_SSL_SESSION`, empty when nothing is written.
    pub encoding: Vec<u8>,
}

/// A session as a backend reads it: each getter, the byte strings written
/// into buffers the snapshot already has.
pub(crate) trait Getters {
    fn id(&self) -> SessionId;
    fn sid_ctx(&self) -> SessionId;
    fn master_key(&self, out: &mut Vec<u8>);
    fn time(&self) -> i64;
    fn timeout(&self) -> i64;
    fn protocol_version(&self) -> i32;
    fn hostname(&self, out: &mut Option<Vec<u8>>);
    fn alpn_selected(&self, out: &mut Option<Vec<u8>>);
    fn ticket_appdata(&self, out: &mut Option<Vec<u8>>);
    fn max_early_data(&self) -> u32;
    fn ticket_lifetime_hint(&self) -> u64;
    fn compress_id(&self) -> u32;
    fn max_fragment_length(&self) -> u8;
    fn is_resumable(&self) -> bool;
    fn has_ticket(&self) -> bool;
    fn cipher(&self) -> Option<u16>;
    /// The ticket buffer (`None` for NULL) and the recorded length.
    fn ticket(&self, out: &mut (Option<Vec<u8>>, usize));
    /// `i2d_SSL_SESSION`, empty when nothing is written.
    fn encoding(&self, out: &mut Vec<u8>);
}

/// What a walk over two snapshots' fields sees: each getter's values on
/// both sides, by name, then both encodings. The one place that lists a
/// snapshot's fields; equality and the lockstep's field-by-field
/// differences are both such walks.
pub(crate) trait FieldPairs {
    /// The values of the getter `name` on each side.
    fn getter<T: Value>(&mut self, name: &'static str, a: &T, b: &T);
    /// `i2d_SSL_SESSION` on each side.
    fn encoding(&mut self, a: &[u8], b: &[u8]);
}

impl SessionSnapshot {
    /// Sets every field from `g`, keeping the buffers this snapshot has
    /// (it is a previous step's, perhaps of another session).
    pub(crate) fn fill(&mut self, g: &impl Getters) {
        // Destructured: a field left out would keep another session's
        // value, and a new field is a compile error here until it is set.
        let SessionSnapshot {
            id,
            sid_ctx,
            master_key,
            time,
            timeout,
            protocol_version,
            hostname,
            alpn_selected,
            ticket_appdata,
            max_early_data,
            ticket_lifetime_hint,
            compress_id,
            max_fragment_length,
            is_resumable,
            has_ticket,
            cipher,
            ticket,
            encoding,
        } = self;
        *id = g.id();
        *sid_ctx = g.sid_ctx();
        g.master_key(master_key);
        *time = g.time();
        *timeout = g.timeout();
        *protocol_version = g.protocol_version();
        g.hostname(hostname);
        g.alpn_selected(alpn_selected);
        g.ticket_appdata(ticket_appdata);
        *max_early_data = g.max_early_data();
        *ticket_lifetime_hint = g.ticket_lifetime_hint();
        *compress_id = g.compress_id();
        *max_fragment_length = g.max_fragment_length();
        *is_resumable = g.is_resumable();
        *has_ticket = g.has_ticket();
        *cipher = g.cipher();
        g.ticket(ticket);
        g.encoding(encoding);
    }

    /// Sets the fields named in `unobserved` (those a library gives no
    /// getter for, [`crate::caps`]) to their defaults, so that they
    /// compare equal on both sides.
    pub(crate) fn blank(&mut self, unobserved: &[&str]) {
        for &f in unobserved {
            self.blank_field(f);
        }
    }

    /// Sets the field `f` to its default; false if there is no such field
    /// to blank.
    pub(crate) fn blank_field(&mut self, f: &str) -> bool {
        match f {
            "hostname" => self.hostname = None,
            "alpn_selected" => self.alpn_selected = None,
            "ticket_appdata" => self.ticket_appdata = None,
            "max_fragment_length" => self.max_fragment_length = 0,
            "ticket" => self.ticket = (None, 0),
            "cipher" => self.cipher = None,
            _ => return false,
        }
        true
    }

    /// Shows every field of `self` and `other` to `v`, in the order the
    /// fields are declared.
    pub(crate) fn pairs(&self, other: &Self, v: &mut impl FieldPairs) {
        // Destructured, so that a new field is a compile error until listed.
        let SessionSnapshot {
            id,
            sid_ctx,
            master_key,
            time,
            timeout,
            protocol_version,
            hostname,
            alpn_selected,
            ticket_appdata,
            max_early_data,
            ticket_lifetime_hint,
            compress_id,
            max_fragment_length,
            is_resumable,
            has_ticket,
            cipher,
            ticket,
            encoding,
        } = self;
        v.getter("id", id, &other.id);
        v.getter("sid_ctx", sid_ctx, &other.sid_ctx);
        v.getter("master_key", master_key, &other.master_key);
        v.getter("time", time, &other.time);
        v.getter("timeout", timeout, &other.timeout);
        v.getter(
            "protocol_version",
            protocol_version,
            &other.protocol_version,
        );
        v.getter("hostname", hostname, &other.hostname);
        v.getter("alpn_selected", alpn_selected, &other.alpn_selected);
        v.getter("ticket_appdata", ticket_appdata, &other.ticket_appdata);
        v.getter("max_early_data", max_early_data, &other.max_early_data);
        let hint = &other.ticket_lifetime_hint;
        v.getter("ticket_lifetime_hint", ticket_lifetime_hint, hint);
        v.getter("compress_id", compress_id, &other.compress_id);
        let mfl = &other.max_fragment_length;
        v.getter("max_fragment_length", max_fragment_length, mfl);
        v.getter("is_resumable", is_resumable, &other.is_resumable);
        v.getter("has_ticket", has_ticket, &other.has_ticket);
        v.getter("cipher", cipher, &other.cipher);
        v.getter("ticket", ticket, &other.ticket);
        v.encoding(encoding, &other.encoding);
    }
}

/// Every field compared by `Value::same`.
impl PartialEq for SessionSnapshot {
    fn eq(&self, other: &Self) -> bool {
        struct Same(bool);
        impl FieldPairs for Same {
            fn getter<T: Value>(&mut self, _: &'static str, a: &T, b: &T) {
                self.0 &= a.same(b);
            }
            fn encoding(&mut self, a: &[u8], b: &[u8]) {
                self.0 &= same_bytes(a, b);
            }
        }
        let mut same = Same(true);
        self.pairs(other, &mut same);
        same.0
    }
}

/// A compared value: its equality (byte strings without `memcmp`, see
/// [`same_bytes`]) and its text in a report of differences.
pub(crate) trait Value {
    /// Whether both sides agree.
    fn same(&self, other: &Self) -> bool;
    /// The value as a report shows it.
    fn show(&self) -> String;
}

macro_rules! plain_values {
    ($($t:ty),*) => {$(
        impl Value for $t {
            fn same(&self, other: &Self) -> bool {
                self == other
            }
            fn show(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
plain_values!(i64, u64, u32, u8, i32, bool);

/// Bytes in hex; `""` for none.
pub(crate) fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "\"\"".into();
    }
    let mut s = String::with_capacity(2 * b.len());
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

impl Value for Vec<u8> {
    fn same(&self, other: &Self) -> bool {
        same_bytes(self, other)
    }
    fn show(&self) -> String {
        hex(self)
    }
}

impl Value for SessionId {
    fn same(&self, other: &Self) -> bool {
        same_bytes(self.as_bytes(), other.as_bytes())
    }
    fn show(&self) -> String {
        hex(self.as_bytes())
    }
}

impl Value for Option<Vec<u8>> {
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Some(a), Some(b)) => same_bytes(a, b),
            (a, b) => a.is_none() && b.is_none(),
        }
    }
    fn show(&self) -> String {
        self.as_deref().map_or_else(|| "NULL".into(), hex)
    }
}

impl Value for Option<u16> {
    fn same(&self, other: &Self) -> bool {
        self == other
    }
    fn show(&self) -> String {
        self.map_or_else(|| "NULL".into(), |c| format!("0x{c:04x}"))
    }
}

impl Value for (Option<Vec<u8>>, usize) {
    fn same(&self, other: &Self) -> bool {
        self.0.same(&other.0) && self.1 == other.1
    }
    fn show(&self) -> String {
        format!("{} (length {})", self.0.show(), self.1)
    }
}

/// A snapshot with every field at its zero, and `time`.
#[cfg(test)]
pub(crate) fn blank(time: i64) -> SessionSnapshot {
    SessionSnapshot {
        id: SessionId::default(),
        sid_ctx: SessionId::default(),
        master_key: vec![],
        time,
        timeout: 0,
        protocol_version: 0,
        hostname: None,
        alpn_selected: None,
        ticket_appdata: None,
        max_early_data: 0,
        ticket_lifetime_hint: 0,
        compress_id: 0,
        max_fragment_length: 0,
        is_resumable: false,
        has_ticket: false,
        cipher: None,
        ticket: (None, 0),
        encoding: vec![],
    }
}

/// A snapshot at `time` with an id and every optional byte string set
/// (host name `h`, ALPN `a`, empty ticket appdata, ticket `050505`).
#[cfg(test)]
pub(crate) fn filled(time: i64) -> SessionSnapshot {
    let mut full = blank(time);
    full.id = SessionId::new(&[1; 9]).unwrap();
    full.hostname = Some(b"h".to_vec());
    full.alpn_selected = Some(b"a".to_vec());
    full.ticket_appdata = Some(vec![]);
    full.ticket = (Some(vec![5; 3]), 3);
    full
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change to any one field makes two snapshots unequal.
    #[test]
    fn snapshots_differ_in_every_field() {
        let full = filled(1);
        let changes: Vec<fn(&mut SessionSnapshot)> = vec![
            |s| s.id = SessionId::new(&[1; 8]).unwrap(),
            |s| s.sid_ctx = SessionId::new(&[0]).unwrap(),
            |s| s.master_key.push(0),
            |s| s.time += 1,
            |s| s.timeout += 1,
            |s| s.protocol_version += 1,
            |s| s.hostname = None,
            |s| s.hostname = Some(b"H".to_vec()),
            |s| s.alpn_selected = Some(b"b".to_vec()),
            |s| s.ticket_appdata = None,
            |s| s.max_early_data += 1,
            |s| s.ticket_lifetime_hint += 1,
            |s| s.compress_id += 1,
            |s| s.max_fragment_length += 1,
            |s| s.is_resumable = true,
            |s| s.has_ticket = true,
            |s| s.cipher = Some(0x1301),
            |s| s.ticket.0.as_mut().unwrap()[2] = 6,
            |s| s.ticket.1 = 4,
            |s| s.encoding = vec![0x30, 0],
        ];
        assert_eq!(full, full.clone());
        for (i, change) in changes.iter().enumerate() {
            let mut other = full.clone();
            change(&mut other);
            assert_ne!(full, other, "change {i}");
            assert_ne!(other, full, "change {i}");
        }
    }
}
