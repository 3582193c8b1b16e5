//! The native cipher table is the one of the libssl in use.

#[test]
fn native_cipher_table_matches_libssl() {
    let libssl: Vec<u16> = (0..=u16::MAX)
        .filter(|&c| sessdiff::ossl::cipher_known(c))
        .collect();
    assert_eq!(libssl.as_slice(), &sessdiff::native::KNOWN_CIPHERS[..]);
}
