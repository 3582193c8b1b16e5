//! The scripts a user runs to reach other libraries, where they can run
//! without building one: `scripts/build-libssl.sh --list` and its refusals.
//! (Building a release takes minutes: CI builds one, `.ci/run`.)

use std::process::{Command, Output};

use sessdiff::native::releases::{lookup, order_key};

fn build_libssl(args: &[&str]) -> Output {
    Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/build-libssl.sh"
        ))
        .args(args)
        .output()
        .expect("run scripts/build-libssl.sh")
}

/// The measured releases of the one release table, as (release, crate).
fn measured() -> Vec<(String, String)> {
    let table = include_str!("../src/native/releases.txt");
    table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() == 3 && w[2] == "measured").then(|| (w[0].to_string(), w[1].to_string()))
        })
        .collect()
}

#[test]
fn list_names_every_measured_release_with_its_pinned_crate_in_version_order() {
    let out = build_libssl(&["--list"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with('('))
        .map(|l| l.split_whitespace().collect())
        .collect();
    // Releases of every line sessdiff supports, from 1.1.1 to 4.0.
    assert!(rows.len() >= 40, "{stdout}");
    for line in [
        "1.1.1", "3.0.", "3.1.", "3.2.", "3.3.", "3.4.", "3.5.", "3.6.", "4.0.",
    ] {
        assert!(
            rows.iter().any(|r| r[0].starts_with(line)),
            "no {line}: {stdout}"
        );
    }
    // Each row's crate carries its release as build metadata, and
    // `--model` knows the release by name.
    for r in &rows {
        assert!(r[1].ends_with(&format!("+{}", r[0])), "{r:?}");
        assert!(
            lookup(r[0]).is_ok(),
            "{}: not in src/native/releases.txt's lines",
            r[0]
        );
    }
    let keys: Vec<_> = rows.iter().map(|r| order_key(r[0])).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "not in order: {stdout}"
    );
    for (release, crate_version) in measured() {
        if crate_version == "system" {
            assert!(
                stdout.contains(&format!("system's libssl, {release},")),
                "{stdout}"
            );
            continue;
        }
        let row = rows
            .iter()
            .find(|r| r[0] == release)
            .unwrap_or_else(|| panic!("measured {release} not listed: {stdout}"));
        assert_eq!(row[1], crate_version, "{release}");
        // "measured", or "measured, built".
        assert_eq!(
            row.get(2).map(|s| s.trim_end_matches(',')),
            Some("measured"),
            "{row:?}"
        );
    }
}

#[test]
fn a_release_the_registry_lacks_exits_2_with_the_nearest_ones() {
    let out = build_libssl(&["3.0.999"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    // 3.0.999 sorts after every 3.0 release and before 3.1.0.
    assert!(
        err.contains("no openssl-src for OpenSSL '3.0.999'; the nearest it has: 3.0."),
        "{err}"
    );
    assert!(
        err.contains(" 3.1.0 (scripts/build-libssl.sh --list"),
        "{err}"
    );
}

#[test]
fn the_systems_release_and_bad_options_are_refused_before_any_build() {
    let system = measured()
        .into_iter()
        .find(|(_, c)| c == "system")
        .expect("a system row")
        .0;
    let out = build_libssl(&[&system]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is the system's libssl"));
    for args in [&["--bogus"][..], &["3.0.2", "--fast"][..]] {
        let out = build_libssl(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("unknown option"),
            "{args:?}"
        );
    }
}

/// A library name the scripts do not know gets the list of those they
/// know, before any build.
#[test]
fn a_misspelt_library_exits_2_with_the_libraries() {
    for name in ["libresl-4.3.2", "libressl-9.9", "boringsl"] {
        let out = build_libssl(&[name]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(&format!(
                "'{name}' is not a library sessdiff knows; the libraries: libressl-4.3.2"
            )),
            "{name}: {err}"
        );
    }
}
