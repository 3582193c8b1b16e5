//! Reading criterion's results: the median of every benchmark under
//! `target/criterion`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};

/// Medians in nanoseconds, keyed by benchmark id (`group/function[/param]`),
/// read from each `<id>/new/estimates.json` below `root`.
pub fn read_estimates(root: &Path) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("{}", d.display()))? {
            let p = e?.path();
            if !p.is_dir() {
                continue;
            }
            let est = p.join("estimates.json");
            if p.file_name().is_some_and(|n| n == "new") && est.is_file() {
                let id = d.strip_prefix(root)?.to_string_lossy().replace('\\', "/");
                out.insert(id, median(&est)?);
            } else if p
                .file_name()
                .is_some_and(|n| n != "report" && n != "base" && n != "change")
            {
                dirs.push(p);
            }
        }
    }
    Ok(out)
}

/// The median of one benchmark run saved under a baseline name
/// (`--save-baseline NAME`): `<id>/<NAME>/estimates.json` below `root`.
pub fn read_baseline(root: &Path, id: &str, name: &str) -> Result<f64> {
    let est = root.join(id).join(name).join("estimates.json");
    if !est.is_file() {
        anyhow::bail!("{}: missing: run scripts/report.sh", est.display());
    }
    median(&est)
}

/// `median.point_estimate` of a criterion `estimates.json`.
fn median(est: &Path) -> Result<f64> {
    let text = std::fs::read_to_string(est).with_context(|| format!("{}", est.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", est.display()))?;
    json["median"]["point_estimate"]
        .as_f64()
        .with_context(|| format!("{}: no median.point_estimate", est.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A criterion folder with `ids` and their medians.
    fn fixture(name: &str, ids: &[(&str, &str)]) -> std::path::PathBuf {
        let root =
            std::env::temp_dir().join(format!("sessdiff-criterion-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (id, json) in ids {
            let dir = root.join(id).join("new");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("estimates.json"), json).unwrap();
            // Criterion's other folders are not read.
            std::fs::create_dir_all(root.join(id).join("base")).unwrap();
            std::fs::write(root.join(id).join("base/estimates.json"), "{}").unwrap();
        }
        std::fs::create_dir_all(root.join("report")).unwrap();
        root
    }

    #[test]
    fn medians_are_keyed_by_benchmark_id() {
        let root = fixture(
            "ok",
            &[
                (
                    "new_free/native",
                    r#"{"median":{"point_estimate":12.5},"mean":{"point_estimate":99}}"#,
                ),
                (
                    "cache_add_remove/libssl/10",
                    r#"{"median":{"point_estimate":80.0}}"#,
                ),
            ],
        );
        let est = read_estimates(&root).unwrap();
        assert_eq!(est.len(), 2);
        assert_eq!(est["new_free/native"], 12.5);
        assert_eq!(est["cache_add_remove/libssl/10"], 80.0);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_broken_estimate_names_its_file() {
        let root = fixture("bad", &[("dup_free/native", r#"{"mean":{}}"#)]);
        let e = read_estimates(&root).unwrap_err().to_string();
        assert!(
            e.contains("dup_free/native/new/estimates.json") && e.contains("no median"),
            "{e}"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn baselines_are_read_beside_new_and_not_taken_for_ids() {
        let root = fixture(
            "baseline",
            &[(
                "differential_loop/ops_32",
                r#"{"median":{"point_estimate":50000.0}}"#,
            )],
        );
        let copy = root.join("differential_loop/ops_32/copy-1");
        std::fs::create_dir_all(&copy).unwrap();
        std::fs::write(
            copy.join("estimates.json"),
            r#"{"median":{"point_estimate":48000.0}}"#,
        )
        .unwrap();
        let est = read_estimates(&root).unwrap();
        assert_eq!(est.len(), 1, "{est:?}");
        assert_eq!(
            read_baseline(&root, "differential_loop/ops_32", "copy-1").unwrap(),
            48000.0
        );
        let e = read_baseline(&root, "differential_loop/ops_32", "copy-2")
            .unwrap_err()
            .to_string();
        assert!(e.contains("copy-2/estimates.json: missing"), "{e}");
        std::fs::remove_dir_all(root).unwrap();
    }
}
