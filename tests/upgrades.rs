//! The upgrade reproducers under `corpora/upgrades/<from>-to-<to>/`, checked
//! without building OpenSSL: each was found against the `to` library with
//! the `from` model, and names the signature it showed and the switch that
//! explains it. Between the two native profiles it must diverge with that
//! signature, and with only that switch of `to` set back as in `from`. An
//! isolated reproducer (found with only its switch set back, because in
//! the full model another difference shows first) must diverge between the
//! two profiles too, but may show that other difference first. A
//! reproducer of two switches together (`# switch: a+b`) must diverge with
//! both set back at once.

use std::path::{Path, PathBuf};

use sessdiff::backend::NativeBackend;
use sessdiff::corpus;
use sessdiff::lockstep;
use sessdiff::native::{Profile, switch};
use sessdiff::program::Program;

/// The signature `program` diverges with between `left` and `right`.
fn signature(program: &Program, left: Profile, right: Profile) -> Option<String> {
    let mut a = NativeBackend::with_profile(left.interned());
    let mut b = NativeBackend::with_profile(right.interned());
    lockstep::run(program, &mut a, &mut b)
        .err()
        .map(|d| d.signature())
}

fn upgrade_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/upgrades");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_upgrade_reproducer_diverges_between_its_profiles_by_its_switch() {
    let dirs = upgrade_dirs();
    assert!(dirs.len() >= 9, "the nine committed upgrades: {dirs:?}");
    let mut checked = 0;
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let (from, to) = name
            .split_once("-to-")
            .unwrap_or_else(|| panic!("{name}: not FROM-to-TO"));
        let from = Profile::named(from).unwrap_or_else(|| panic!("{name}: {from}"));
        let to = Profile::named(to).unwrap_or_else(|| panic!("{name}: {to}"));
        for f in corpus::program_files(&dir).unwrap() {
            let program = corpus::read_program(&f).unwrap();
            let header = |key| {
                corpus::header_value(&f, key)
                    .unwrap()
                    .unwrap_or_else(|| panic!("{}: no `# {key}:` line", f.display()))
            };
            let want = header("signature");
            let switches = header("switch");
            if want.starts_with("crash:") || want.starts_with("hang:") {
                // A library's crash has no native counterpart.
                continue;
            }
            let full = signature(&program, from, to);
            if header("isolated") == "yes" {
                assert!(full.is_some(), "{}: from {from} to {to}", f.display());
            } else {
                assert_eq!(
                    full.as_deref(),
                    Some(want.as_str()),
                    "{}: from {from} to {to}",
                    f.display()
                );
            }
            assert_eq!(signature(&program, to, to), None, "{}", f.display());
            // `a b`: each set back alone shows it; `a+b`: both together.
            for names in switches.split_whitespace() {
                let mut back = to;
                for name in names.split('+') {
                    let sw = switch(name).unwrap_or_else(|| panic!("{}: {name}", f.display()));
                    back = sw.taken_from(back, &from);
                }
                let name = names;
                assert_eq!(
                    signature(&program, back, to).as_deref(),
                    Some(want.as_str()),
                    "{}: {to} with {name} as in {from}",
                    f.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 0);
}
