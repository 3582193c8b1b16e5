//! The README's performance figures are the committed report's: the summary
//! between the markers (machine, date, library, the table, the fuzzing
//! rate) is copied by `scripts/report.sh --publish` from
//! docs/performance.md, and must not be edited by hand.

use sessdiff::report::summary;

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_readme_figures_are_the_committed_reports() {
    let readme = read("README.md");
    let report = read("docs/performance.md");
    let ours = summary(&readme).expect("README.md has the summary markers");
    let theirs = summary(&report).expect("docs/performance.md has the summary markers");
    assert_eq!(
        ours, theirs,
        "README.md's performance summary differs from docs/performance.md: run scripts/report.sh --publish"
    );
    // It names the machine and the date it was measured on.
    assert!(
        ours.contains("- machine: ") && ours.contains("- measured: 20"),
        "{ours}"
    );
    assert!(ours.contains("| differential loop"), "{ours}");
}
