//! The report: `survey.md`, `survey.json` and the class files.

use super::*;

/// A survey as the report sees it, made by hand: an upgrade survey with
/// refused ops, four classes: one with an alias, witnesses and an
/// explanation; an expected one; a crash; one on the first one's field.
fn reported() -> Survey {
    let mut c = config("report", 1000, 256, worker(&[]));
    c.model = "3.0.0".into();
    c.upgrade = Some(upgrade::Upgrade {
        from: "3.0.0".into(),
        to: "3.0.19".into(),
    });
    let mut s = Survey::new(c).unwrap();
    s.libssl = "LibSSL 9.9 | built today".into();
    s.stats = Stats {
        programs: 1000,
        divergent: 40,
        deaths: 2,
        refused: 3,
        elapsed: Duration::from_millis(4000),
    };
    let summary = |sig: &str, op: &str, diffs: &[(&str, &str, &str)]| Summary {
        signature: sig.into(),
        step: 1,
        op: op.into(),
        phase: "program".into(),
        differences: diffs
            .iter()
            .map(|(f, l, r)| (f.to_string(), f.to_string(), l.to_string(), r.to_string()))
            .collect(),
        report: String::new(),
    };
    let mut dup = class("divergence:dup:ret", &[]);
    dup.aliases.push("divergence:up_ref:ret".into());
    dup.count = 30;
    dup.first = 7;
    dup.reproducer = Program::parse("new s0\ndup s0 -> s1\n").unwrap();
    dup.shrunk_from = 32;
    dup.witnesses = vec![program(4), program(5)];
    dup.summary = Some(summary(
        "divergence:dup:ret",
        "dup s0 -> s1",
        &[("ret", "#1", "#0 | shared")],
    ));
    dup.explained = Some(upgrade::Explanation {
        passes_with_target: true,
        switches: vec!["time", "re_add"],
        ..Default::default()
    });
    let mut leak = class("divergence:free:events", &[]);
    leak.expected = true;
    leak.count = 8;
    leak.first = 40;
    leak.summary = Some(summary(
        "divergence:free:events",
        "free s0",
        &[("events", "free #0", "(none)")],
    ));
    leak.explained = Some(upgrade::Explanation::default());
    let mut crash = class("crash:SIGSEGV:ssl_clear", &[]);
    crash.count = 2;
    crash.first = 99;
    crash.stderr = "AddressSanitizer: SEGV\nin ssl_clear".into();
    crash.explained = Some(upgrade::Explanation {
        passes_with_target: true,
        ..Default::default()
    });
    let mut free = class("divergence:free:ret", &[]);
    free.summary = Some(summary(
        "divergence:free:ret",
        "free s0",
        &[("ret", "1", "0")],
    ));
    s.classes = vec![dup, leak, crash, free];
    s
}

#[test]
fn the_report_shows_every_class_with_what_a_reader_needs() {
    let s = reported();
    let what = crate::native::switch("dup_keeps_owner").unwrap().what;
    let md = report::markdown(&s)
        .replace(&s.config.out.display().to_string(), "OUT")
        .replace(what, "WHAT");
    let expected = r#"# sessdiff survey

- library: LibSSL 9.9 | built today
- model: the native implementation with the 3.0.0 profile
- command: `sessdiff survey --seed 3`
- 1000 programs (ops target, seed 3) in 4.0 s (250/s); 40 divergent; 2 worker deaths
- 3 ops refused: the 3.0.0 profile has a documented library bug (`dup_keeps_owner`: WHAT)
- an upgrade from 3.0.0 to 3.0.19: see `upgrade.md`, each class explained by switch
- **4 classes**: 3 unexpected, 1 expected

New differences:

| # | signature | programs | reproducer |
|---:|---|---:|---:|
| [1](#1) | `divergence:dup:ret` | 30 | 2 ops |
| [3](#3) | `crash:SIGSEGV:ssl_clear` | 2 | 1 ops |
| [4](#4) | `divergence:free:ret` | 1 | 1 ops |

Expected differences:

| # | signature | programs | reproducer |
|---:|---|---:|---:|
| [2](#2) | `divergence:free:events` | 8 | 1 ops |


<a id="1"></a>

## 1. `divergence:dup:ret`

- 30 programs (the first: program 7 of the campaign)
- also seen as `divergence:up_ref:ret` (the same difference, surfacing at another op)
- might be the same difference as class 4 (same field, `ret`)
- reproducer, shrunk from 32 ops (`classes/01-divergence-dup-ret.txt`):

```text
new s0
dup s0 -> s1
```

Explained by: `time`, `re_add`

At step 1 (`dup s0 -> s1`):

| field | native | LibSSL 9.9 \| built today |
|---|---|---|
| ret | `#1` | `#0 \| shared` |

Replay: `sessdiff replay --fault dup-shares OUT/classes/01-divergence-dup-ret.txt`

Other witnesses (unshrunk, in `survey.json`): 4, 5 ops

<a id="2"></a>

## 2. `divergence:free:events`

- 8 programs (the first: program 40 of the campaign); expected
- reproducer, shrunk from 1 ops (`classes/02-divergence-free-events.txt`):

```text
new s0
```

Explained by: nothing (the reproducer fails with the library's own profile too)

At step 1 (`free s0`):

| field | native | LibSSL 9.9 \| built today |
|---|---|---|
| events | `free #0` | `(none)` |

Replay: `sessdiff replay --fault dup-shares OUT/classes/02-divergence-free-events.txt`

<a id="3"></a>

## 3. `crash:SIGSEGV:ssl_clear`

- 2 programs (the first: program 99 of the campaign)
- reproducer, shrunk from 1 ops (`classes/03-crash-SIGSEGV-ssl_clear.txt`):

```text
new s0
```

Explained by: no single switch

The worker process died: the library crashed or hung.
Its last words on standard error:

```text
AddressSanitizer: SEGV
in ssl_clear
```

Replay: `sessdiff replay --isolate --fault dup-shares OUT/classes/03-crash-SIGSEGV-ssl_clear.txt`

<a id="4"></a>

## 4. `divergence:free:ret`

- 1 programs (the first: program 0 of the campaign)
- might be the same difference as class 1 (same field, `ret`)
- reproducer, shrunk from 1 ops (`classes/04-divergence-free-ret.txt`):

```text
new s0
```

At step 1 (`free s0`):

| field | native | LibSSL 9.9 \| built today |
|---|---|---|
| ret | `1` | `0` |

Replay: `sessdiff replay --fault dup-shares OUT/classes/04-divergence-free-ret.txt`

Replay every class: `sessdiff replay --isolate --fault dup-shares OUT/classes`
"#;
    // Under scripts/against.sh the replay lines go through the script.
    let expected = expected.replace(
        "`sessdiff ",
        &format!("`{} ", crate::rerun::prefix().join(" ")),
    );
    assert_eq!(md, expected);
}

#[test]
fn the_reports_json_holds_each_class_as_it_was_found() {
    let s = reported();
    let v = report::json(&s);
    assert_eq!(v["library"], "LibSSL 9.9 | built today");
    assert_eq!(v["model"], "3.0.0");
    assert_eq!(v["command"], "sessdiff survey --seed 3");
    assert_eq!((v["seed"].as_u64(), v["ops"].as_u64()), (Some(3), Some(32)));
    assert_eq!(v["target"], "ops");
    assert_eq!(v["seconds"], 4.0);
    let counts = ["programs", "divergent", "deaths", "refused"].map(|k| v[k].as_u64().unwrap());
    assert_eq!(counts, [1000, 40, 2, 3]);
    assert_eq!(v["maybe_same"], serde_json::json!([[1, 4]]));
    let classes = v["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 4);
    for (n, (j, c)) in classes.iter().zip(&s.classes).enumerate() {
        assert_eq!(j["signature"], c.signature.as_str());
        assert_eq!(j["aliases"], serde_json::json!(c.aliases));
        assert_eq!(j["programs"], c.count);
        assert_eq!(j["first"], c.first);
        assert_eq!(j["expected"], c.expected);
        assert_eq!(j["file"], report::class_file(n, c).to_str().unwrap());
        assert_eq!(j["reproducer"], c.reproducer.to_string());
        assert_eq!(j["shrunk_from"], c.shrunk_from);
        assert_eq!(j["stderr"], c.stderr.as_str());
        let witnesses: Vec<String> = c.witnesses.iter().map(|w| w.to_string()).collect();
        assert_eq!(j["witnesses"], serde_json::json!(witnesses));
        match &c.summary {
            Some(sum) => assert_eq!(j["divergence"], sum.to_json()),
            None => assert!(j["divergence"].is_null()),
        }
        match &c.explained {
            Some(e) => {
                assert_eq!(
                    j["explained_by"]["passes_with_target"],
                    e.passes_with_target
                );
                assert_eq!(j["explained_by"]["switches"], serde_json::json!(e.switches));
            }
            None => assert!(j["explained_by"].is_null()),
        }
    }
    let kinds: Vec<&str> = classes
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["divergence", "divergence", "crash", "divergence"]);
    assert_eq!(classes[1]["expected"], true);
    assert_eq!(classes[2]["stderr"], "AddressSanitizer: SEGV\nin ssl_clear");
}

#[test]
fn an_empty_survey_says_so() {
    let mut s = reported();
    s.classes.clear();
    s.stats.refused = 0;
    s.config.upgrade = None;
    let md = report::markdown(&s);
    assert!(
        md.contains("- **0 classes**: 0 unexpected, 0 expected\n\nNo difference found.\n"),
        "{md}"
    );
    assert!(!md.contains("refused") && !md.contains("upgrade"), "{md}");
    assert!(!md.contains("Replay"), "{md}");
}

#[test]
fn clearing_a_report_folder_removes_only_class_files() {
    let dir = std::env::temp_dir().join(format!("sessdiff-clear-{}", std::process::id()));
    let classes = dir.join("classes");
    std::fs::create_dir_all(&classes).unwrap();
    let names = [
        "01-divergence-dup-ret.txt",
        "12-x.txt",
        "notes.txt",
        "01-a.md",
        "0a-x.txt",
        "012-x.txt",
        "01.txt",
    ];
    for n in names {
        std::fs::write(classes.join(n), "new s0\n").unwrap();
    }
    report::clear(&dir).unwrap();
    let mut left: Vec<String> = std::fs::read_dir(&classes)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["01-a.md", "01.txt", "012-x.txt", "0a-x.txt", "notes.txt"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
    // A folder without classes is nothing to clear.
    report::clear(&dir).unwrap();
}

#[test]
fn class_files_are_named_after_their_signatures() {
    let name = |n, sig| report::class_file(n, &class(sig, &[]));
    assert_eq!(
        name(2, "divergence:set_time:session.timeout"),
        std::path::Path::new("classes/03-divergence-set_time-session.timeout.txt")
    );
    // Anything but letters, digits, `_` and `.` becomes `_`.
    assert_eq!(
        name(11, "crash:SIG 9/x:drain_free"),
        std::path::Path::new("classes/12-crash-SIG_9_x-drain_free.txt")
    );
}
