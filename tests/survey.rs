//! `sessdiff survey` finds every planted difference in one run — a frequent
//! one does not hide a rare one — survives a model that aborts, honours
//! `--expect`, and writes reproducers that `replay --isolate` re-checks.
//! The faults are planted through the hidden `--fault` flag of test builds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn sessdiff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessdiff"))
        .args(args)
        .output()
        .expect("runs")
}

fn out_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("survey-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs a survey of `programs` programs with `faults` planted; returns its
/// exit code and survey.json.
fn survey(name: &str, programs: u64, faults: &[&str], extra: &[&str]) -> (i32, Value, PathBuf) {
    survey_in(out_dir(name), programs, faults, extra)
}

fn survey_in(
    dir: PathBuf,
    programs: u64,
    faults: &[&str],
    extra: &[&str],
) -> (i32, Value, PathBuf) {
    let n = programs.to_string();
    let mut args = vec![
        "survey",
        "--seed",
        "3",
        "--seconds",
        "300",
        "--programs",
        &n,
    ];
    args.extend(["--out", dir.to_str().unwrap()]);
    for f in faults {
        args.extend(["--fault", f]);
    }
    args.extend(extra);
    let o = sessdiff(&args);
    let json = std::fs::read_to_string(dir.join("survey.json"))
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&o.stderr)));
    (
        o.status.code().unwrap_or(-1),
        serde_json::from_str(&json).unwrap(),
        dir,
    )
}

fn signatures(v: &Value) -> Vec<String> {
    v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["signature"].as_str().unwrap().to_string())
        .collect()
}

fn class<'a>(v: &'a Value, sig: &str) -> &'a Value {
    v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["signature"] == sig || c["aliases"].as_array().unwrap().iter().any(|a| a == sig)
        })
        .unwrap_or_else(|| panic!("no class {sig} in {:?}", signatures(v)))
}

/// Runs a command line as printed, in a shell whose PATH starts with the
/// folder of the `sessdiff` under test.
fn as_typed(line: &str) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_sessdiff")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .args(["-c", line])
        .env("PATH", path)
        .output()
        .unwrap()
}

const FREQUENT: &str = "divergence:dup:ret";

#[test]
fn a_frequent_difference_does_not_hide_a_rare_one() {
    let (code, v, _) = survey("two", 1200, &["dup-shares", "get1-leaks"], &[]);
    assert_eq!(code, 1, "unexpected classes fail the survey");
    let frequent = class(&v, FREQUENT);
    let leaks: Vec<&Value> = v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["signature"].as_str().unwrap().ends_with(":events"))
        .collect();
    assert!(
        !leaks.is_empty(),
        "the leak was masked: {:?}",
        signatures(&v)
    );
    let rare: u64 = leaks.iter().map(|c| c["programs"].as_u64().unwrap()).sum();
    assert!(frequent["programs"].as_u64().unwrap() > 10 * rare, "{v}");
    assert_eq!(frequent["reproducer"], "new s0\ndup s0 -> s1\n");
    // Leaks seen at the drain's free, ssl_free and ctx_free are one class.
    assert!(leaks.len() <= 2, "{:?}", signatures(&v));
}

#[test]
fn expected_classes_are_reported_but_do_not_fail() {
    let dir = out_dir("expect-file");
    std::fs::create_dir_all(&dir).unwrap();
    let expect = dir.join("accepted.txt");
    std::fs::write(&expect, format!("# accepted\n{FREQUENT}\n")).unwrap();
    let faults = ["dup-shares", "get1-leaks"];
    let (code, v, _) = survey(
        "expect",
        1200,
        &faults,
        &["--expect", expect.to_str().unwrap()],
    );
    assert_eq!(code, 1, "the rare class is not expected");
    assert_eq!(class(&v, FREQUENT)["expected"], true);
    let unexpected: Vec<_> = v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["expected"] == false)
        .collect();
    assert!(!unexpected.is_empty() && unexpected.iter().all(|c| c["signature"] != FREQUENT));
    // A previous survey.json accepts all of its classes.
    let (_, _, prev) = survey("expect", 1200, &faults, &[]);
    let (code, v, _) = survey(
        "expect-all",
        1200,
        &faults,
        &["--expect", prev.join("survey.json").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{v}");
}

#[test]
fn a_model_that_aborts_is_a_class_and_the_survey_goes_on() {
    let (code, v, dir) = survey("abort", 600, &["aborts-on-ssl-clear", "dup-shares"], &[]);
    assert_eq!(code, 1);
    let crash = class(&v, "crash:SIGABRT:ssl_clear");
    assert_eq!(crash["kind"], "crash");
    assert_eq!(crash["reproducer"], "ssl_new c0\nssl_clear c0\n");
    class(&v, FREQUENT);
    assert!(v["deaths"].as_u64().unwrap() > 0);
    // Every class's file replays as its class, the crash included.
    let o = sessdiff(&[
        "replay",
        "--isolate",
        dir.join("classes").to_str().unwrap(),
        "--fault",
        "aborts-on-ssl-clear",
        "--fault",
        "dup-shares",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    for c in v["classes"].as_array().unwrap() {
        let file = dir.join(c["file"].as_str().unwrap());
        let header = std::fs::read_to_string(&file).unwrap();
        let recorded = header.lines().next().unwrap().trim_start_matches("# ");
        assert_eq!(recorded, c["signature"]);
        let line = text
            .lines()
            .find(|l| l.contains(file.to_str().unwrap()))
            .unwrap();
        assert!(line.ends_with(recorded), "{line}");
    }
    assert!(
        std::fs::read_to_string(dir.join("survey.html"))
            .unwrap()
            .contains("<h1>sessdiff survey</h1>")
    );
}

#[test]
fn the_real_model_shows_no_class() {
    // A stale class file from an earlier survey in the same folder goes.
    let dir = out_dir("clean");
    std::fs::create_dir_all(dir.join("classes")).unwrap();
    std::fs::write(dir.join("classes/01-divergence-dup-ret.txt"), "new s0\n").unwrap();
    std::fs::write(dir.join("classes/notes.txt"), "mine\n").unwrap();
    let (code, v, _) = survey_in(dir.clone(), 400, &[], &[]);
    assert!(!dir.join("classes/01-divergence-dup-ret.txt").exists());
    assert!(dir.join("classes/notes.txt").exists(), "other files stay");
    assert_eq!(code, 0);
    assert!(signatures(&v).is_empty());
    assert_eq!(v["programs"], 400);
    assert!(v["library"].as_str().unwrap().starts_with("OpenSSL"));
}

#[test]
fn bad_expect_files_name_the_line() {
    let dir = out_dir("bad-expect");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("x.txt");
    std::fs::write(&f, "divergence:dup:ret\nnonsense here\n").unwrap();
    let o = sessdiff(&[
        "survey",
        "--programs",
        "1",
        "--expect",
        f.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("x.txt:2: expected a signature"), "{err}");
}

#[test]
fn a_model_that_hangs_is_a_class_too() {
    let (code, v, _) = survey(
        "hang",
        150,
        &["spins-on-ssl-get0"],
        &["--hang-after", "0.25"],
    );
    assert_eq!(code, 1);
    let hang = class(&v, "hang:ssl_get0");
    assert_eq!(hang["kind"], "hang");
    assert_eq!(hang["reproducer"], "ssl_new c0\nssl_get0 c0\n");
}

#[test]
fn an_upgrade_survey_explains_each_class_by_its_switch() {
    // The 4.0.3 model against the system's 3.0.19: what changes on moving
    // back from 4.0.3, each class explained by the switch that brings it
    // back.
    let (code, v, dir) = survey("upgrade", 3000, &[], &["--model", "4.0.3"]);
    assert_eq!(code, 1, "an upgrade survey finds classes");
    let classes = v["classes"].as_array().unwrap();
    assert!(classes.len() >= 3, "{:?}", signatures(&v));
    let mut switches = Vec::new();
    for c in classes {
        let e = &c["explained_by"];
        assert_eq!(e["passes_with_target"], true, "{c}");
        let names = e["switches"].as_array().unwrap();
        assert!(!names.is_empty(), "{}: not explained", c["signature"]);
        switches.extend(names.iter().map(|n| n.as_str().unwrap().to_string()));
    }
    assert!(switches.iter().any(|s| s == "time"), "{switches:?}");
    let md = std::fs::read_to_string(dir.join("upgrade.md")).unwrap();
    assert!(
        md.starts_with("# Upgrading OpenSSL from 4.0.3 to 3.0.19"),
        "{md}"
    );
    assert!(md.contains("## What to test before upgrading"));
    // Each reproducer names its signature and switch in its header.
    let files: Vec<_> = std::fs::read_dir(dir.join("upgrade"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), classes.len());
    for f in files {
        let sig = sessdiff::corpus::header_value(&f, "signature").unwrap();
        let sw = sessdiff::corpus::header_value(&f, "switch").unwrap();
        assert!(
            sig.is_some() && sw.is_some_and(|s| s != "unexplained"),
            "{f:?}"
        );
    }
}

#[test]
fn cache_only_differences_are_classes_named_by_their_cache_field() {
    // One fault a survey: the two show together whenever the cache holds
    // two sessions, and the counter is compared first.
    for (fault, field) in [
        ("cache-number-one-short", "cache.number"),
        ("cache-hides-member", "cache.members"),
    ] {
        let (code, v, dir) = survey(fault, 400, &[fault], &[]);
        assert_eq!(code, 1);
        // Every replay line the survey wrote, run as printed, shows its class.
        for f in std::fs::read_dir(dir.join("classes")).unwrap() {
            let f = f.unwrap().path();
            let line = sessdiff::corpus::header_value(&f, "replay")
                .unwrap()
                .expect("a replay line");
            let sig = std::fs::read_to_string(&f).unwrap().lines().next().unwrap()[2..].to_string();
            assert!(line.starts_with("sessdiff replay --fault "), "{line}");
            let o = as_typed(&line);
            assert_eq!(o.status.code(), Some(1), "{line}");
            assert!(String::from_utf8_lossy(&o.stdout).contains(&sig), "{line}");
        }
        let sigs = signatures(&v);
        assert!(!sigs.is_empty());
        for s in &sigs {
            assert!(
                s.ends_with(&format!(":{field}")),
                "{fault}: a class not named by the field it differs in: {s} ({sigs:?})"
            );
        }
        // So does the report's line that replays every class.
        let md = std::fs::read_to_string(dir.join("survey.md")).unwrap();
        let all = md
            .lines()
            .find_map(|l| l.strip_prefix("Replay every class: `"))
            .and_then(|l| l.strip_suffix('`'))
            .expect("a replay line for every class");
        let o = as_typed(all);
        assert_eq!(o.status.code(), Some(1), "{all}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains(&format!(":{field}")),
            "{all}"
        );
        // The class shows the field, with both sides' values.
        let shown = class(&v, &sigs[0]).to_string();
        assert!(shown.contains(field), "{shown}");
    }
}
