//! Which library openssl-sys found, and what it lacks: sets
//! `sessdiff_lib="openssl"` (or `"libressl"`) from openssl-sys's `DEP_OPENSSL_*`
//! variables, and for each function of `src/ossl/capabilities.txt` that the
//! library lacks `sessdiff_lacks="FUNCTION"`, or `sessdiff_alias="FUNCTION"`
//! where it has it under another name (src/ossl/ffi.rs declares the
//! functions under these cfgs).

use std::env;
use std::fs;

const LIBRARIES: [&str; 2] = ["openssl", "libressl"];
const TABLE: &str = "src/ossl/capabilities.txt";

fn main() {
    println!("cargo::rerun-if-changed={TABLE}");
    for v in [
        "LIBRESSL",
        "LIBRESSL_VERSION_NUMBER",
        "BORINGSSL",
        "AWSLC",
        "VERSION_NUMBER",
    ] {
        println!("cargo::rerun-if-env-changed=DEP_OPENSSL_{v}");
    }
    let libressl = env::var("DEP_OPENSSL_LIBRESSL_VERSION_NUMBER").ok();
    let library = if libressl.is_some() {
        "libressl"
    } else if env::var_os("DEP_OPENSSL_BORINGSSL").is_some() {
        panic!("sessdiff: BoringSSL is not a target yet (issue 24)");
    } else if env::var_os("DEP_OPENSSL_AWSLC").is_some() {
        panic!("sessdiff: AWS-LC is not a target yet (issue 24)");
    } else {
        "openssl"
    };
    let table = fs::read_to_string(TABLE).unwrap_or_else(|e| panic!("{TABLE}: {e}"));
    let mut functions = Vec::new();
    for (n, line) in table.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        assert!(
            f.len() == 4,
            "{TABLE}:{}: expected FUNCTION LIBRARIES USE NAME",
            n + 1
        );
        functions.push(f[0]);
        for entry in f[1].split(',') {
            let (lib, alias) = entry
                .split_once('=')
                .map_or((entry, None), |(l, a)| (l, Some(a)));
            assert!(
                LIBRARIES.contains(&lib),
                "{TABLE}:{}: `{lib}` is not a library",
                n + 1
            );
            if lib == library {
                let cfg = if alias.is_some() {
                    "sessdiff_alias"
                } else {
                    "sessdiff_lacks"
                };
                println!("cargo::rustc-cfg={cfg}=\"{}\"", f[0]);
            }
        }
    }
    let values = |v: &[&str]| {
        v.iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "cargo::rustc-check-cfg=cfg(sessdiff_lib, values({}))",
        values(&LIBRARIES)
    );
    for cfg in ["sessdiff_lacks", "sessdiff_alias"] {
        println!(
            "cargo::rustc-check-cfg=cfg({cfg}, values({}))",
            values(&functions)
        );
    }
    println!("cargo::rustc-cfg=sessdiff_lib=\"{library}\"");
    // The library's name for messages: LibreSSL's version number is
    // 0xMNNFF00S (major, minor, fix, status).
    let name = match libressl.and_then(|v| u64::from_str_radix(&v, 16).ok()) {
        Some(v) => format!(
            "LibreSSL {}.{}.{}",
            v >> 28,
            (v >> 20) & 0xff,
            (v >> 12) & 0xff
        ),
        None => "OpenSSL".to_string(),
    };
    println!("cargo::rustc-env=SESSDIFF_LIBRARY_NAME={name}");
}
