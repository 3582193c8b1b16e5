//! Each declaration of `ffi` links and behaves; the safe types keep their
//! promises.

//! Each declaration links and behaves as SEMANTICS.md says.
use super::*;

#[test]
fn version_is_3_0() {
    assert!(version().starts_with("OpenSSL 3."), "{}", version());
}

#[test]
fn session_lifecycle_is_observed() {
    take_events();
    let base = live_sessions();
    let s = Session::new(7, 1000).unwrap();
    assert_eq!(live_sessions(), base + 1);
    let v = s.view();
    assert_eq!(
        (v.tag(), v.time(), v.timeout(), v.protocol_version()),
        (Some(7), 1000, 304, 0)
    );
    let t = s.clone();
    let d = s.dup(8).unwrap();
    assert_eq!(d.view().tag(), Some(8));
    drop(s);
    drop(t);
    drop(d);
    assert_eq!(
        take_events(),
        [Observed::Died(Some(7)), Observed::Died(Some(8))]
    );
    assert_eq!(live_sessions(), base);
}

#[test]
fn setters_and_getters() {
    let s = Session::new(1, 5).unwrap();
    clear_errors();
    assert_eq!(s.set1_id(&[0; 33]), Ok(0));
    assert_eq!(last_error(), (20 << 23) | 408);
    assert_eq!(s.set1_id(b"ab"), Ok(1));
    assert_eq!(s.set1_id_context(b"ctx"), 1);
    assert_eq!(s.set1_master_key(&[0; 513]), 0);
    assert_eq!(s.set1_master_key(&[3; 48]), 1);
    assert_eq!(s.set_timeout(-1), 0);
    assert_eq!(s.set_time(-9), -9);
    assert_eq!(s.set1_hostname(Some(b"h")), Ok(1));
    assert_eq!(s.set1_hostname(Some(b"a\0b")), Err(Hazard::NulInHostname));
    assert_eq!(s.set1_alpn_selected(Some(b"h2")), 1);
    assert_eq!(s.set1_ticket_appdata(Some(b"")), 1);
    assert_eq!(s.set_max_early_data(9), 1);
    let v = s.view();
    assert_eq!(v.id().as_bytes(), b"ab");
    assert_eq!(v.id_context().as_bytes(), b"ctx");
    assert_eq!(v.master_key(), [3; 48]);
    assert_eq!(v.time(), -9);
    assert_eq!(v.hostname().as_deref(), Some(&b"h"[..]));
    assert_eq!(v.alpn_selected().as_deref(), Some(&b"h2"[..]));
    assert_eq!(v.ticket_appdata(), None);
    assert_eq!(v.max_early_data(), 9);
    assert!(v.is_resumable());
    assert!(!v.has_ticket());
    assert_eq!(
        (
            v.ticket_lifetime_hint(),
            v.compress_id(),
            v.max_fragment_length()
        ),
        (0, 0, 0)
    );
}

#[test]
fn cache_and_ssl_calls() {
    take_events();
    let mut ctx = Ctx::new().unwrap();
    assert_eq!(ctx.cache_size(), 20480);
    assert_eq!(ctx.set_cache_size(-1), 0);
    let s = Session::new(1, 100).unwrap();
    s.set1_id(b"x").unwrap();
    assert_eq!(ctx.add(&s), Ok(1));
    assert_eq!(ctx.add(&s), Ok(0));
    assert_eq!(s.set1_id(b"y"), Err(Hazard::KeyOfCachedSession));
    assert_eq!(ctx.sess_number(), 1);
    assert_eq!(ctx.members()[0].tag(), Some(1));
    let mut ssl = Ssl::new(&ctx).unwrap();
    assert_eq!(ssl.set_session(Some(&s)), 1);
    assert_eq!(ssl.verify_result(), 1);
    let g = ssl.get1_session().unwrap();
    assert!(g.view().same(&ssl.session().unwrap()));
    assert_eq!(ctx.remove(&g), 1);
    assert_eq!(take_events(), [Observed::Removed(Some(1))]);
    drop((s, g, ssl));
    assert_eq!(take_events(), [Observed::Died(Some(1))]);
    ctx.flush(0);
    assert_eq!(ctx.cache_full(), 0);
}

#[test]
fn a_recycled_ctx_is_like_a_new_one() {
    take_events();
    let mut ctx = Ctx::new().unwrap();
    ctx.set_cache_size(1);
    for tag in 0..3 {
        let s = Session::new(tag, 100).unwrap();
        s.set1_id(&[tag as u8 + 1]).unwrap();
        ctx.add(&s).unwrap();
    }
    assert_eq!(ctx.cache_full(), 2);
    drop(ctx);
    assert_eq!(
        take_events(),
        [
            Observed::Removed(Some(0)),
            Observed::Died(Some(0)),
            Observed::Removed(Some(1)),
            Observed::Died(Some(1)),
            Observed::Removed(Some(2)),
            Observed::Died(Some(2)),
        ]
    );
    let again = Ctx::new().unwrap();
    assert_eq!(
        (again.cache_full(), again.cache_size(), again.sess_number()),
        (0, 20480, 0)
    );
    assert!(again.members().is_empty());
}

#[test]
fn a_new_ssl_has_the_highest_version_of_its_method() {
    // tls1_clear: a TLS_ANY_VERSION method starts at TLS_MAX_VERSION.
    let ctx = Ctx::new().unwrap();
    let ssl = Ssl::new(&ctx).unwrap();
    assert_eq!(ssl.version(), 0x0304);
}

#[test]
fn debian_builds_compression_in_and_the_probe_leaves_no_trace() {
    // Debian's libssl has compression; the openssl-src crate's builds do
    // not (checked against them with scripts/against.sh).
    take_events();
    let s = Session::new(3, 1000).unwrap();
    drop(s);
    let before = live_sessions();
    assert!(compression_built());
    assert_eq!(live_sessions(), before);
    assert_eq!(take_events(), [Observed::Died(Some(3))]);
}
