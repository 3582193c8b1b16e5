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

/// The README's switch table: its last column lists, for each switch, the
/// releases measured with a behaviour other than the system's 3.0.19 (an
/// ambiguous measure lists none), as the committed matrix (docs/matrix.tsv)
/// has them: a new measure that moves a release fails here until the
/// README says so too.
#[test]
fn the_readme_switch_table_names_the_measured_releases() {
    use sessdiff::survey::matrix::Matrix;
    let readme = read("README.md");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/matrix.tsv");
    let m = Matrix::read(&path).unwrap();
    let base = &m
        .rows
        .iter()
        .find(|(r, _)| r == "3.0.19")
        .expect("3.0.19 measured")
        .1;
    for sw in sessdiff::native::SWITCHES {
        let want = base[sw.name].value.as_str();
        let others: Vec<&str> = m
            .rows
            .iter()
            .filter(|(_, cells)| {
                let c = &cells[sw.name];
                c.verdict == "like" && c.value != want
            })
            .map(|(r, _)| r.as_str())
            .collect();
        let expected = if others.is_empty() {
            "none".to_string()
        } else {
            others.join(", ")
        };
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", sw.name)))
            .unwrap_or_else(|| panic!("README.md has no row for {}", sw.name));
        let last = row.trim_end_matches('|').rsplit('|').next().unwrap().trim();
        assert_eq!(
            last, expected,
            "README.md's switch table, {}: the measured releases with another behaviour are {expected}",
            sw.name
        );
    }
}

/// docs/matrix.md is the page `sessdiff matrix --publish` makes from the
/// committed measures (docs/matrix.tsv, docs/matrix-surveys.tsv) and the
/// probe programs in the tree: a new probe, measure or survey fails here
/// until the page is made again.
#[test]
fn the_committed_matrix_page_is_made_from_the_committed_measures() {
    use sessdiff::survey::matrix::{Matrix, probe_links, read_surveys};
    use sessdiff::survey::probe::{PROBE_DIRS, read_probes};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let m = Matrix::read(&root.join("docs/matrix.tsv")).unwrap();
    let surveys = read_surveys(&root.join("docs/matrix-surveys.tsv")).unwrap();
    let mut probes = read_probes(&PROBE_DIRS.map(|d| root.join(d))).unwrap();
    // The page names the probes by their paths from the root.
    for p in &mut probes {
        for (file, _) in &mut p.programs {
            *file = file.strip_prefix(root).unwrap().to_path_buf();
        }
    }
    let want = m.markdown(&probe_links(&probes, "../"), &surveys);
    assert!(
        read("docs/matrix.md") == want,
        "docs/matrix.md is not made from docs/matrix.tsv and docs/matrix-surveys.tsv: \
         run `sessdiff matrix --tsv docs/matrix.tsv --surveys docs/matrix-surveys.tsv --publish`"
    );
}

/// The README's capability table is the code's
/// (`sessdiff::caps::markdown_table`, from
/// src/ossl/capabilities.txt).
#[test]
fn the_readme_capability_table_is_the_codes() {
    let readme = read("README.md");
    let start = readme
        .find("<!-- capabilities -->\n")
        .expect("the capabilities marker");
    let end = readme
        .find("<!-- /capabilities -->")
        .expect("the end marker");
    let ours = &readme[start + "<!-- capabilities -->\n".len()..end];
    assert_eq!(
        ours,
        sessdiff::caps::markdown_table(),
        "README.md's capability table differs from src/ossl/capabilities.txt"
    );
}
