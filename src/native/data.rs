//! The plain data of a session: [`SessionData`] with its [`SessionId`]s,
//! shared buffers and ex_data values. A leaf of the native module but for
//! one link: a cached session names its cache (`owner`), which is how
//! `set_time` on a cached session re-sorts the cache.

use std::sync::{Arc, Weak};

use super::MAX_ID_LENGTH;
use super::cache::CacheShared;
use super::exdata::{ExIndex, ExValue};
use super::profile::Profile;
use super::time::Expiry;

/// A session id or id context: at most 32 bytes, stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SessionId {
    len: u8,
    bytes: [u8; MAX_ID_LENGTH],
}

impl SessionId {
    /// The id made of `bytes`, or `None` if it is longer than 32 bytes.
    pub fn new(bytes: &[u8]) -> Option<SessionId> {
        if bytes.len() > MAX_ID_LENGTH {
            return None;
        }
        let mut id = SessionId {
            len: bytes.len() as u8,
            bytes: [0; MAX_ID_LENGTH],
        };
        id.bytes[..bytes.len()].copy_from_slice(bytes);
        Some(id)
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// True for the empty id.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first eight bytes (zero past the end) and the length, as one
    /// number, for a quick first comparison: equal ids give equal
    /// prefixes, and different ids of at most seven bytes different ones
    /// (from the eighth byte on, the length shares the top byte with the
    /// id's, and prefixes may collide).
    pub(crate) fn prefix(&self) -> u64 {
        let mut head = [0; 8];
        head.copy_from_slice(&self.bytes[..8]);
        u64::from_le_bytes(head) ^ u64::from(self.len) << 56
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// An immutable byte buffer. A setter replaces it whole, so a dup can share
/// it instead of copying (one atomic increment instead of an allocation).
pub(crate) type Buf = Arc<[u8]>;

/// Where a cached session sits in its cache's expiry list.
pub(crate) type ListPos = (Expiry, u64);

/// The fields of a session, readable through
/// [`Session::read`](super::Session::read) and handed to ex_data free
/// callbacks. Defaults are those of `SSL_SESSION_new`.
#[derive(Debug, Clone)]
pub struct SessionData {
    pub(crate) ssl_version: i32,
    pub(crate) id: SessionId,
    pub(crate) sid_ctx: SessionId,
    pub(crate) not_resumable: bool,
    pub(crate) verify_result: i64,
    /// The release whose behaviour the session follows (how `time` and
    /// `timeout` are stored, which ciphers are known, …).
    pub(crate) profile: &'static Profile,
    /// The time as stored (seconds, or nanoseconds: see `times`).
    pub(crate) time: i64,
    /// The timeout as stored.
    pub(crate) timeout: i64,
    pub(crate) expiry: Expiry,
    /// The byte strings, out of line and shared: a dup takes one
    /// reference to them all, a setter copies them first if they are
    /// shared ([`SessionData::set_bufs`]); a session without any (a new
    /// one) takes no room for them.
    bufs: Option<triomphe::Arc<Bufs>>,
    pub(crate) flags: u32,
    pub(crate) compress_id: u32,
    /// The cipher (`cipher`): the code of a suite libssl knows, or `None`
    /// for NULL.
    pub(crate) cipher: Option<u16>,
    /// `cipher_id`: set only by decoding; `set_cipher` leaves it alone.
    pub(crate) cipher_id: u32,
    pub(crate) kex_group: u32,
    pub(crate) max_early_data: u32,
    pub(crate) max_fragment_len_mode: u8,
    /// The cache that last listed this session. It is libssl's `owner`
    /// only while `list_pos` is set ([`SessionData::owner`]): unlisting
    /// keeps the pointer, so that a session added to and removed from the
    /// same cache again and again does not count a weak reference each
    /// time.
    pub(crate) last_owner: Option<Weak<CacheShared>>,
    /// Where in its cache's list the session is.
    pub(crate) list_pos: Option<ListPos>,
    /// A dup that copied its source's `owner` (a release with
    /// [`Profile::dup_keeps_owner`]) and has not been listed or unlisted
    /// since: libssl believes it is cached.
    pub(crate) stale_owner: bool,
    pub(crate) ex: ExData,
}

/// The byte strings of a session, behind one pointer in [`SessionData`].
///
/// A dup shares the block (one atomic increment, where copying the fields
/// took one per buffer, and as many decrements when the copy died); the
/// first setter of a shared block copies it (copy-on-write). The buffers
/// themselves are immutable and shared too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bufs {
    pub(crate) master_key: Option<Buf>,
    pub(crate) hostname: Option<Buf>,
    pub(crate) alpn_selected: Option<Buf>,
    pub(crate) ticket_appdata: Option<Buf>,
    /// The fields only decoding sets, one pointer further: most sessions
    /// have none, and a session with a master key alone is smaller
    /// without them.
    pub(crate) rare: Option<Arc<Rare>>,
}

/// What a session without byte strings reads.
static NO_BUFS: Bufs = Bufs {
    master_key: None,
    hostname: None,
    alpn_selected: None,
    ticket_appdata: None,
    rare: None,
};

/// The fields of a session that only `d2i_SSL_SESSION` sets (tickets, PSK
/// and SRP strings): kept behind one more pointer in [`Bufs`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rare {
    pub(crate) ticket: Option<Buf>,
    pub(crate) ticklen: usize,
    pub(crate) tick_lifetime_hint: u64,
    pub(crate) tick_age_add: u32,
    /// PSK and SRP strings: no setters; only decoding fills them.
    pub(crate) psk_identity_hint: Option<Buf>,
    pub(crate) psk_identity: Option<Buf>,
    pub(crate) srp_username: Option<Buf>,
}

/// What a session without [`Rare`] fields reads.
static NO_RARE: Rare = Rare {
    ticket: None,
    ticklen: 0,
    tick_lifetime_hint: 0,
    tick_age_add: 0,
    psk_identity_hint: None,
    psk_identity: None,
    srp_username: None,
};

/// The timeout `SSL_SESSION_new` gives a session, in seconds.
pub const DEFAULT_TIMEOUT: i64 = 304;

impl SessionData {
    pub(crate) fn new(time: i64, profile: &'static Profile) -> SessionData {
        let times = profile.time;
        let (time, timeout) = (times.store(time), times.store_timeout(DEFAULT_TIMEOUT));
        SessionData {
            profile,
            ssl_version: 0,
            id: SessionId::default(),
            sid_ctx: SessionId::default(),
            not_resumable: false,
            verify_result: 1,
            time,
            timeout,
            expiry: times.expiry(time, timeout),
            bufs: None,
            flags: 0,
            compress_id: 0,
            cipher: None,
            cipher_id: 0,
            kex_group: 0,
            max_early_data: 0,
            max_fragment_len_mode: if profile.mfl_unspecified { 255 } else { 0 },
            last_owner: None,
            list_pos: None,
            stale_owner: false,
            ex: ExData::default(),
        }
    }

    /// The fields `SSL_SESSION_dup` copies: all but the cache links and
    /// the ex_data (the dup's own callbacks fill those), with the byte
    /// strings shared.
    #[inline(always)]
    pub(crate) fn dup_fields(&self, stale_owner: bool) -> SessionData {
        SessionData {
            ssl_version: self.ssl_version,
            id: self.id,
            sid_ctx: self.sid_ctx,
            not_resumable: self.not_resumable,
            verify_result: self.verify_result,
            profile: self.profile,
            time: self.time,
            timeout: self.timeout,
            expiry: self.expiry,
            bufs: self.bufs.clone(),
            flags: self.flags,
            compress_id: self.compress_id,
            cipher: self.cipher,
            cipher_id: self.cipher_id,
            kex_group: self.kex_group,
            max_early_data: self.max_early_data,
            max_fragment_len_mode: self.max_fragment_len_mode,
            last_owner: None,
            list_pos: None,
            stale_owner,
            ex: ExData::default(),
        }
    }

    /// The byte strings.
    pub(crate) fn bufs(&self) -> &Bufs {
        self.bufs.as_deref().unwrap_or(&NO_BUFS)
    }

    /// Changes the byte strings with `f`, on a copy of them if they are
    /// shared with a dup. A session left without any takes no room for
    /// them.
    pub(crate) fn set_bufs(&mut self, f: impl FnOnce(&mut Bufs)) {
        let bufs = self.bufs.get_or_insert_with(Default::default);
        f(triomphe::Arc::make_mut(bufs));
        if **bufs == NO_BUFS {
            self.bufs = None;
        }
    }

    /// Whether this session shares its byte strings with another (a dup's
    /// until either is changed).
    #[cfg(test)]
    pub(crate) fn shares_bufs_with(&self, other: &SessionData) -> bool {
        match (&self.bufs, &other.bufs) {
            (Some(a), Some(b)) => triomphe::Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Whether the session holds a block of byte strings.
    #[cfg(test)]
    pub(crate) fn has_bufs(&self) -> bool {
        self.bufs.is_some()
    }

    /// The fields only decoding sets.
    pub(crate) fn rare(&self) -> &Rare {
        self.bufs().rare.as_deref().unwrap_or(&NO_RARE)
    }

    /// Sets the fields only decoding sets; all-default values take no room.
    pub(crate) fn set_rare(&mut self, rare: Rare) {
        self.set_bufs(|b| b.rare = (rare != NO_RARE).then(|| Arc::new(rare)));
    }

    /// The cache key: `(protocol version, id)`.
    pub(crate) fn key(&self) -> (i32, SessionId) {
        (self.ssl_version, self.id)
    }

    /// Sets the stored time and timeout (see [`TimeRepr::store`]) and the
    /// expiry they give.
    pub(crate) fn set_time_fields(&mut self, time: i64, timeout: i64) {
        self.time = time;
        self.timeout = timeout;
        self.expiry = self.profile.time.expiry(time, timeout);
    }

    /// The session id (`SSL_SESSION_get_id`).
    pub fn id(&self) -> &[u8] {
        self.id.as_bytes()
    }
    /// The id context (`SSL_SESSION_get0_id_context`).
    pub fn id_context(&self) -> &[u8] {
        self.sid_ctx.as_bytes()
    }
    /// The master key (`SSL_SESSION_get_master_key`).
    pub fn master_key(&self) -> &[u8] {
        self.bufs().master_key.as_deref().unwrap_or(&[])
    }
    /// The protocol version, part of the cache key.
    pub fn protocol_version(&self) -> i32 {
        self.ssl_version
    }
    /// Seconds since the epoch at which the session was made (or set), as
    /// `SSL_SESSION_get_time` reads it back.
    pub fn time(&self) -> i64 {
        self.profile.time.read(self.time)
    }
    /// Lifetime in seconds, as `SSL_SESSION_get_timeout` reads it back.
    pub fn timeout(&self) -> i64 {
        self.profile.time.read(self.timeout)
    }
    /// The release whose behaviour the session follows.
    pub fn profile(&self) -> &'static Profile {
        self.profile
    }
    /// The expiry point with its overflow flag.
    pub fn expiry(&self) -> Expiry {
        self.expiry
    }
    /// The SNI host name; `Some(b"")` is distinct from `None`, as in C.
    pub fn hostname(&self) -> Option<&[u8]> {
        self.bufs().hostname.as_deref()
    }
    /// The selected ALPN protocol.
    pub fn alpn_selected(&self) -> Option<&[u8]> {
        self.bufs().alpn_selected.as_deref()
    }
    /// The application data carried in tickets.
    pub fn ticket_appdata(&self) -> Option<&[u8]> {
        self.bufs().ticket_appdata.as_deref()
    }
    /// The code of `SSL_SESSION_get0_cipher`, `None` for NULL.
    pub fn cipher(&self) -> Option<u16> {
        self.cipher
    }
    /// `i2d_SSL_SESSION`: the DER encoding, or `None` where libssl writes
    /// nothing (no cipher).
    pub fn encode(&self) -> Option<Vec<u8>> {
        super::der::encode(self)
    }
    /// [`SessionData::encode`] into `out`'s buffer (emptied first); false,
    /// with `out` empty, where there is no encoding.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> bool {
        super::der::encode_into(self, out)
    }
    /// `SSL_SESSION_get_max_early_data`.
    pub fn max_early_data(&self) -> u32 {
        self.max_early_data
    }
    /// `SSL_SESSION_get_ticket_lifetime_hint`.
    pub fn ticket_lifetime_hint(&self) -> u64 {
        self.rare().tick_lifetime_hint
    }
    /// `SSL_SESSION_get_compress_id`.
    pub fn compress_id(&self) -> u32 {
        self.compress_id
    }
    /// `SSL_SESSION_get_max_fragment_length`: 0 when unspecified (255), in
    /// the releases that have "unspecified".
    pub fn max_fragment_length(&self) -> u8 {
        if self.profile.mfl_unspecified && self.max_fragment_len_mode == 255 {
            0
        } else {
            self.max_fragment_len_mode
        }
    }
    /// The verify result the session carries into an `SSL`.
    pub fn verify_result(&self) -> i64 {
        self.verify_result
    }
    /// `SSL_SESSION_has_ticket`.
    pub fn has_ticket(&self) -> bool {
        self.rare().ticklen > 0
    }
    /// `SSL_SESSION_get0_ticket`: the buffer (absent or possibly empty)
    /// and the recorded length, which d2i can leave set without a buffer.
    pub fn ticket(&self) -> (Option<&[u8]>, usize) {
        let r = self.rare();
        (r.ticket.as_deref(), r.ticklen)
    }
    /// The PSK identity hint, carried only through DER.
    pub fn psk_identity_hint(&self) -> Option<&[u8]> {
        self.rare().psk_identity_hint.as_deref()
    }
    /// The PSK identity, carried only through DER.
    pub fn psk_identity(&self) -> Option<&[u8]> {
        self.rare().psk_identity.as_deref()
    }
    /// The SRP user name, carried only through DER.
    pub fn srp_username(&self) -> Option<&[u8]> {
        self.rare().srp_username.as_deref()
    }
    /// The session flags (`SSL_SESS_FLAG_*`), carried only through DER.
    pub fn flags(&self) -> u32 {
        self.flags
    }
    /// The ticket age add, carried only through DER.
    pub fn ticket_age_add(&self) -> u32 {
        self.rare().tick_age_add
    }
    /// `SSL_SESSION_is_resumable`: not marked otherwise, and has an id or a
    /// ticket.
    pub fn is_resumable(&self) -> bool {
        !self.not_resumable && (!self.id.is_empty() || self.rare().ticklen > 0)
    }
    /// Whether a cache's list holds the session.
    pub fn is_cached(&self) -> bool {
        self.list_pos.is_some()
    }
    /// The cache whose list holds the session (libssl's `owner`).
    pub(crate) fn owner(&self) -> Option<&Weak<CacheShared>> {
        self.last_owner.as_ref().filter(|_| self.list_pos.is_some())
    }
    /// The value at `index` of the session's ex_data.
    pub fn ex_data(&self, index: ExIndex) -> ExValue {
        self.ex.get(index.0)
    }
}

/// The values of one session; empty until the first `set`, as libssl's
/// stack is NULL until then (and, like it, one pointer while empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ExData {
    // Deliberately boxed: one pointer in every session, where a `Vec` would
    // take three; the extra allocation is only for sessions with ex_data.
    #[allow(clippy::box_collection)]
    values: Option<Box<Vec<ExValue>>>,
}

impl ExData {
    /// How many slots the values reach (the highest index set, plus one).
    pub(crate) fn len(&self) -> usize {
        self.values.as_ref().map_or(0, |v| v.len())
    }

    pub(crate) fn get(&self, i: usize) -> ExValue {
        self.values.as_ref()?.get(i).copied().flatten()
    }

    pub(crate) fn set(&mut self, i: usize, v: ExValue) {
        let values = self.values.get_or_insert_with(Default::default);
        if values.len() <= i {
            values.resize(i + 1, None);
        }
        values[i] = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_show_as_hex() {
        let id = SessionId::new(&[0x0a, 0xff, 0x00]).unwrap();
        assert_eq!(format!("{id:?}"), "0aff00");
        assert_eq!(format!("{:?}", SessionId::default()), "");
        assert!(SessionId::new(&[0; 33]).is_none());
        assert_eq!(id.as_bytes(), [0x0a, 0xff, 0x00]);
        assert!(!id.is_empty() && SessionId::default().is_empty());
    }

    /// Prefixes agree for equal ids and tell apart different ids of up to
    /// seven bytes.
    #[test]
    fn prefixes_follow_the_first_bytes_and_the_length() {
        let p = |b: &[u8]| SessionId::new(b).unwrap().prefix();
        assert_eq!(p(&[1, 2, 3]), p(&[1, 2, 3]));
        assert_eq!(p(&[7; 9]), p(&[7, 7, 7, 7, 7, 7, 7, 7, 7]));
        let distinct = [
            p(&[]),
            p(&[0]),
            p(&[0, 0]),
            p(&[1]),
            p(&[0, 0, 0, 0, 0, 0, 1]),
            p(&[1, 2, 3]),
            p(&[3, 2, 1]),
        ];
        for (i, a) in distinct.iter().enumerate() {
            for b in &distinct[i + 1..] {
                assert_ne!(a, b, "{distinct:x?}");
            }
        }
        // Past the eighth byte only the length counts.
        assert_eq!(p(&[5; 10]), p(&[5, 5, 5, 5, 5, 5, 5, 5, 5, 6]));
        assert_ne!(p(&[5; 10]), p(&[5; 11]));
    }
}
