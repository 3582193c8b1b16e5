//! The `sessdiff` binary as a user runs it: exit codes and messages.

use std::path::PathBuf;
use std::process::{Command, Output};

fn sessdiff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessdiff"))
        .args(args)
        .output()
        .expect("run sessdiff")
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sessdiff-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn malformed_program_gives_file_line_and_exit_2() {
    let d = temp_dir("malformed");
    let f = d.join("bad.txt");
    std::fs::write(&f, "new s0\ncache_add s0\nset_time s0 soon\n").unwrap();
    let out = sessdiff(&["replay", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:3: set_time: expected a time, found `soon`",
            f.display()
        )),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_file_and_bad_flags_exit_2() {
    let out = sessdiff(&["replay", "/nonexistent/sessdiff.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/sessdiff.txt"));
    for args in [
        &["fuzz", "--seconds", "-3"][..],
        &["fuzz", "--ops", "0"],
        &["fuzz", "--bogus"],
        &[],
    ] {
        let out = sessdiff(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn replay_passes_a_folder_and_counts() {
    let d = temp_dir("folder");
    std::fs::write(
        d.join("a.txt"),
        "new s0\nset_id s0 01\ncache_add s0\nfree s0\n",
    )
    .unwrap();
    std::fs::write(d.join("b.txt"), "# only a comment\nssl_new c0\nfree s3\n").unwrap();
    let out = sessdiff(&["replay", d.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("PASS") && text.contains("2 passed, 0 failed"),
        "{text}"
    );
    assert!(text.contains("(1 ops, 1 skipped)"), "{text}");
}

#[test]
fn fuzz_runs_a_bounded_campaign_cleanly() {
    let d = temp_dir("fuzz");
    let out = sessdiff(&[
        "fuzz",
        "--programs",
        "200",
        "--seconds",
        "60",
        "--seed",
        "9",
        "--out",
        d.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("200 programs"), "{text}");
    assert!(text.contains("no divergence"), "{text}");
    // The banner names the model and the library as they are: the linked
    // release (with a note only when it was not measured) and the
    // library's own version string.
    let err = String::from_utf8_lossy(&out.stderr);
    let banner = err.lines().next().unwrap_or_default();
    assert!(
        banner.ends_with(&format!(
            ", 60 s, the {} model against {}",
            expected_auto_model(),
            sessdiff::ossl::version()
        )),
        "{banner}"
    );
}

/// What `--model auto` is called against the linked OpenSSL: its release,
/// and `(R: not measured, follows M)` when the table did not measure it.
fn expected_auto_model() -> String {
    use sessdiff::native::{Profile, releases};
    assert_eq!(
        sessdiff::caps::LINKED,
        sessdiff::caps::Library::OpenSsl,
        "the CLI tests run against OpenSSL"
    );
    let name = Profile::for_release(sessdiff::ossl::version_num()).to_string();
    let release = releases::lookup(&name).expect("a release of the table's lines");
    let model = release.profile().to_string();
    match release.note() {
        Some(note) => format!("{model} ({note})"),
        None => model,
    }
}

#[test]
fn shrink_refuses_a_program_that_does_not_diverge() {
    let d = temp_dir("shrink");
    let f = d.join("clean.txt");
    std::fs::write(&f, "new s0\nfree s0\n").unwrap();
    let out = sessdiff(&["shrink", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not diverge"));
}

#[test]
fn fuzz_runs_der_probes_and_encodings_writes_probe_programs() {
    let d = temp_dir("der");
    let out = sessdiff(&[
        "fuzz",
        "--target",
        "der",
        "--programs",
        "300",
        "--seconds",
        "60",
        "--out",
        d.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("300 programs") && text.contains("no divergence"),
        "{text}"
    );

    // The three encodings one program goes through, as probes that replay.
    let src = d.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("a.txt"),
        "new s0\nset_cipher s0 0x1301\nset_protocol_version s0 0x0304\n\
         dup s0 -> s1\nset_id s1 0102\n",
    )
    .unwrap();
    let probes = d.join("probes");
    let out = sessdiff(&[
        "encodings",
        src.to_str().unwrap(),
        "--out",
        probes.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("1 programs, 3 distinct encodings, 3 new files"),
        "{text}"
    );
    let out = sessdiff(&["replay", probes.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("3 passed, 0 failed"), "{text}");
}

/// stdout's lines, their trailing blanks cut.
fn lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect()
}

#[test]
fn replay_verbose_prints_the_agreed_trace_line_by_line() {
    let d = temp_dir("verbose");
    let f = d.join("p.txt");
    std::fs::write(&f, "new s0\nfree s7\nup_ref s0 -> s1\n").unwrap();
    let path = f.to_str().unwrap();
    let trace = [
        "   0  new s0  = #0",
        "   1  free s7  skipped",
        "   2  up_ref s0 -> s1  = 1",
        "   3  free s0 (drain)  = void",
        "   4  free s1 (drain)  = void  free(#0)",
        "   5  ctx_free (drain)  = void",
    ];
    let pass = format!("PASS     {path}  (2 ops, 1 skipped)");
    let out = sessdiff(&["replay", "-v", path]);
    assert_eq!(out.status.code(), Some(0));
    let mut want = vec![pass.clone()];
    want.extend(trace.map(String::from));
    want.push("1 passed, 0 failed".into());
    assert_eq!(lines(&out), want);
    // Without -v, no trace.
    let out = sessdiff(&["replay", path]);
    assert_eq!(lines(&out), [pass, "1 passed, 0 failed".into()]);
    // A divergence (4.0's nanosecond times against the system's 3.0) shows
    // the steps agreed before it, then the report.
    std::fs::write(&f, "new s0\nfree s7\nset_time s0 -1\n").unwrap();
    let out = sessdiff(&["replay", "-v", "--model", "4.0.3", path]);
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(
        got[0],
        format!("DIVERGE  {path}  divergence:set_time:session.time")
    );
    assert_eq!(got[1..3], trace[..2]);
    assert_eq!(
        got[3],
        "    DIVERGENCE at step 2 (program op): set_time s0 -1"
    );
    let out = sessdiff(&["replay", "--model", "4.0.3", path]);
    assert_eq!(
        lines(&out)[1],
        "    DIVERGENCE at step 2 (program op): set_time s0 -1"
    );
}

/// Runs a command line as a user types it, in a shell whose PATH starts
/// with the folder of the `sessdiff` under test.
fn shell(line: &str, env: &[(&str, &str)]) -> Output {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_sessdiff"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new("sh");
    c.args(["-c", line]).env("PATH", path);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("sh runs")
}

/// The text after `prefix` on the line of `out` that starts with it.
fn printed(out: &Output, prefix: &str) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{text}"))
        .to_string()
}

#[test]
fn the_reproduce_line_of_a_divergence_under_another_model_reproduces_it() {
    let d = temp_dir("reproduce");
    let out_dir = d.join("divergences");
    let out = sessdiff(&[
        "fuzz",
        "--model",
        "4.0.3",
        "--seed",
        "1",
        "--seconds",
        "20",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sig = printed(&out, "signature: ");
    let line = printed(&out, "reproduce: ");
    assert!(line.starts_with("sessdiff replay --model 4.0.3 "), "{line}");
    let again = shell(&line, &[]);
    assert_eq!(again.status.code(), Some(1), "{line}");
    assert!(
        String::from_utf8_lossy(&again.stdout).contains(&format!("  {sig}")),
        "{line}"
    );
    // The program file's header names the model too.
    let file = line.rsplit(' ').next().unwrap();
    let text = std::fs::read_to_string(file).unwrap();
    assert!(
        text.contains(
            "# found by: sessdiff fuzz --target ops --seed 1 --ops 32 --model 4.0.3 (program "
        ),
        "{text}"
    );
    // `shrink` of the unshrunk program prints its own reproduce line.
    let orig = file.replace(".txt", ".orig");
    let min = d.join("min.txt");
    let shrunk = shell(
        &format!("sessdiff shrink --model 4.0.3 {orig} -o {}", min.display()),
        &[],
    );
    let line = printed(&shrunk, "reproduce: ");
    assert_eq!(
        line,
        format!("sessdiff replay --model 4.0.3 {}", min.display())
    );
    // It shrank: `SIG: N ops -> M ops`, M < N, and the file holds M ops.
    let stdout = String::from_utf8_lossy(&shrunk.stdout);
    let counts: Vec<usize> = stdout
        .lines()
        .find(|l| l.contains(" ops -> "))
        .expect("a shrink line")
        .rsplit(": ")
        .next()
        .unwrap()
        .split(" -> ")
        .map(|c| c.trim_end_matches(" ops").parse().unwrap())
        .collect();
    assert!(counts[1] < counts[0], "{stdout}");
    let min_ops = std::fs::read_to_string(&min)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .count();
    assert_eq!(min_ops, counts[1], "{stdout}");
    let again = shell(&line, &[]);
    assert_eq!(again.status.code(), Some(1), "{line}");
    // Only the shrunk program is a *.txt: replaying the folder runs it alone.
    let files: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .count(),
        1,
        "{files:?}"
    );
}

#[test]
fn under_against_sh_the_reproduce_line_goes_through_it_with_the_same_library() {
    let d = temp_dir("against");
    // A stand-in for scripts/against.sh that records its library and runs
    // the sessdiff under test.
    let script = d.join("against.sh");
    let log = d.join("library");
    std::fs::write(
        &script,
        format!(
            "echo \"$1\" > {}\nshift\nexec sessdiff \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    let spec = format!("{} 1.1.1w", script.display());
    let out_dir = d.join("divergences");
    let fuzz = format!(
        "sessdiff fuzz --model 4.0.3 --seed 1 --seconds 20 --out {}",
        out_dir.display()
    );
    let out = shell(&fuzz, &[("SESSDIFF_AGAINST", &spec)]);
    assert_eq!(out.status.code(), Some(1));
    let line = printed(&out, "reproduce: ");
    assert!(
        line.starts_with(&format!(
            "bash {} 1.1.1w replay --model 4.0.3 ",
            script.display()
        )),
        "{line}"
    );
    let again = shell(&line, &[]);
    assert_eq!(again.status.code(), Some(1), "{line}");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "1.1.1w\n");
}

#[test]
fn unknown_models_are_refused_with_the_list_and_unmeasured_ones_named() {
    for bad in ["9.9.9", "5.0.0", "1.0.2", "3.0.91", "4.0.3,re_add=9.9"] {
        let out = sessdiff(&["fuzz", "--model", bad, "--seconds", "1"]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("measured: 1.1.1w"), "{bad}: {err}");
    }
    let out = sessdiff(&[
        "fuzz",
        "--model",
        "3.0.19,re_add=3.0.10",
        "--programs",
        "1",
        "--seed",
        "1",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("(3.0.10: not measured, follows 3.0.8)"),
        "{err}"
    );
}

#[test]
fn a_survey_with_no_class_prints_no_command_that_fails() {
    let d = temp_dir("survey-none");
    let out = sessdiff(&[
        "survey",
        "--seed",
        "1",
        "--programs",
        "200",
        "--out",
        d.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("sessdiff replay"), "{text}");
    assert!(text.contains("no class: nothing differs"), "{text}");
    let md = std::fs::read_to_string(d.join("survey.md")).unwrap();
    assert!(!md.contains("sessdiff replay"), "{md}");
}

#[test]
fn probe_measures_every_switch_of_the_system_library_as_its_profile_says() {
    let root = env!("CARGO_MANIFEST_DIR");
    let d = temp_dir("probe");
    let out = Command::new(env!("CARGO_BIN_EXE_sessdiff"))
        .current_dir(root)
        .args(["probe", "--out", d.to_str().unwrap()])
        .output()
        .expect("run sessdiff probe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tsv = std::fs::read_to_string(d.join("probe.tsv")).unwrap();
    // Every switch has a probe and one behaviour: the system's own.
    assert_eq!(
        tsv.lines().count(),
        sessdiff::native::SWITCHES.len(),
        "{tsv}"
    );
    let system = sessdiff::backend::library_profile().to_string();
    for line in tsv.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f[1], "like", "{line}");
        assert!(f[2].split(' ').any(|r| r == system), "{line}");
    }
    assert!(stdout.contains("| `time` | `Seconds` | like "), "{stdout}");
    assert!(!stdout.contains("**differs**"), "{stdout}");
}

#[test]
fn probe_under_a_wrong_guess_measures_the_switch_and_exits_1() {
    let root = env!("CARGO_MANIFEST_DIR");
    // The system library (3.0.19) probed from 4.0.3's profile: the switches
    // 4.0.3 sets differently are measured as 3.0.19's, and the guess is wrong.
    let out = Command::new(env!("CARGO_BIN_EXE_sessdiff"))
        .current_dir(root)
        .args(["probe", "--model", "4.0.3"])
        .output()
        .expect("run sessdiff probe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let removals = stdout
        .lines()
        .find(|l| l.starts_with("| `removals` |"))
        .expect("a removals row");
    assert!(
        removals.starts_with("| `removals` | `UnderLock` | like 3.0.0 ")
            && removals.ends_with(" | **differs** |"),
        "{removals}"
    );
    assert!(stdout.contains("Measured: `--model 4.0.3,"), "{stdout}");
    assert!(stdout.contains("removals=3.0.0"), "{stdout}");
}
