//! libssl's error codes, packed as OpenSSL 3's `ERR_PACK(lib, 0, reason)`
//! packs them: the library in bits 23–30, the reason (with its flags) below.
//! The one place where codes are made and read; the native model says which
//! code a failure stands for, the libssl backend reads the queue, and
//! reports print them with [`text`].

/// `ERR_LIB_ASN1`.
pub const LIB_ASN1: u32 = 13;
/// `ERR_LIB_SSL`.
pub const LIB_SSL: u32 = 20;

/// `ERR_RFLAG_COMMON`: the reason is one of the common `ERR_R_*` reasons.
pub const RFLAG_COMMON: u32 = 2 << 18;
/// `ERR_RFLAG_FATAL`.
pub const RFLAG_FATAL: u32 = 1 << 18;

/// The bits of a packed code that hold the reason and its flags.
const REASON_MASK: u32 = (1 << 23) - 1;
/// The bits of the reason itself, without flags.
const REASON_ONLY: u32 = (1 << 18) - 1;

/// `ERR_PACK(lib, 0, reason)`.
pub const fn pack(lib: u32, reason: u32) -> u32 {
    (lib << 23) | (reason & REASON_MASK)
}

/// `ERR_GET_LIB`.
pub const fn lib(code: u32) -> u32 {
    (code >> 23) & 0xFF
}

/// `ERR_GET_REASON`, without the flags.
pub const fn reason(code: u32) -> u32 {
    code & REASON_ONLY
}

/// A code as OpenSSL 1.1.1 packs it (`ERR_PACK(lib, func, reason)`: the
/// library in bits 24–31, a function code in bits 12–23, the reason below),
/// repacked as OpenSSL 3 does, without the function: `SSL:273` means the
/// same from either release.
pub const fn from_1_1(code: u64) -> u32 {
    pack(((code >> 24) & 0xFF) as u32, (code & 0xFFF) as u32)
}

/// A code for people: `SSL:408`, `ASN1:266` (the reason without its
/// flags), `lib40:229649` for another library, or `0` for none.
pub fn text(code: u32) -> String {
    if code == 0 {
        return "0".into();
    }
    match lib(code) {
        LIB_ASN1 => format!("ASN1:{}", reason(code)),
        LIB_SSL => format!("SSL:{}", reason(code)),
        other => format!("lib{other}:{}", reason(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_reads_back() {
        let c = pack(LIB_SSL, 256 | RFLAG_COMMON | RFLAG_FATAL);
        assert_eq!((lib(c), reason(c)), (LIB_SSL, 256));
        assert_eq!(text(c), "SSL:256");
        assert_eq!(text(pack(LIB_ASN1, 266 | RFLAG_COMMON)), "ASN1:266");
        assert_eq!(text(pack(40, 7)), "lib40:7");
        assert_eq!(text(0), "0");
    }

    #[test]
    fn one_one_one_codes_lose_their_function() {
        // SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG from SSL_SESSION_set1_id_context.
        let old = (20u64 << 24) | (0x138 << 12) | 273;
        assert_eq!(from_1_1(old), pack(LIB_SSL, 273));
        assert_eq!(text(from_1_1(old)), "SSL:273");
    }
}
