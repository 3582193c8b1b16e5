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

/// An upgrade survey from 3.0.0 to 3.0.19 (which differ in `time`,
/// `evict_after_listing`, `mfl_unspecified` and `dup_keeps_owner`), made
/// by hand: a class two switches explain together, one found isolated,
/// a crash the target's profile does not explain, one no switch explains,
/// and a difference that the other switches cancel.
fn upgraded() -> (Survey, upgrade::Upgrade) {
    let up = upgrade::Upgrade::new("3.0.0", "3.0.19").unwrap();
    let mut s = reported();
    s.libssl = "OpenSSL 3.0.19".into();
    s.config.upgrade = Some(up.clone());
    s.stats = Stats {
        programs: 500,
        divergent: 20,
        deaths: 1,
        refused: 2,
        elapsed: Duration::from_secs(60),
    };
    let explained = |switches: &[&'static str], together, isolated| upgrade::Explanation {
        passes_with_target: true,
        switches: switches.to_vec(),
        together,
        isolated,
    };
    let mut members = class("divergence:cache_add:cache.members", &[]);
    members.count = 3;
    members.explained = Some(explained(&["evict_after_listing", "time"], true, false));
    let mut timeout = class("divergence:set_time:session.timeout", &[]);
    timeout.count = 12;
    timeout.reproducer = Program::parse("new s0\nset_time s0 5\n").unwrap();
    timeout.summary.as_mut().unwrap().differences = vec![(
        "session s0 timeout".into(),
        "timeout".into(),
        "5".into(),
        "7".into(),
    )];
    timeout.explained = Some(explained(&["time"], false, true));
    let mut crash = class("crash:SIGSEGV:set_time", &[]);
    crash.explained = Some(upgrade::Explanation::default());
    let mut events = class("divergence:free:events", &[]);
    events.explained = Some(explained(&[], false, false));
    s.classes = vec![members, timeout, crash, events];
    s.cancelled = vec![("mfl_unspecified", "divergence:new:session.mfl".into())];
    (s, up)
}

#[test]
fn the_upgrade_report_explains_each_class_and_what_to_test() {
    let (s, up) = upgraded();
    let sw = |n| crate::native::switch(n).unwrap();
    let (time, evict, mfl, bug) = (
        sw("time"),
        sw("evict_after_listing"),
        sw("mfl_unspecified"),
        sw("dup_keeps_owner"),
    );
    let expected = r#"# Upgrading OpenSSL from 3.0.0 to 3.0.19: what changes for sessions

sessdiff ran random programs of session calls (new, dup, up_ref, free, the `SSL` session slot, the `SSL_CTX` cache, DER encoding) against **OpenSSL 3.0.19**, with its native model following **3.0.0**. Every difference it found is below, shrunk to a small program, with the switch of the model that explains it: the program passes with 3.0.19's own profile, and shows the difference again with only that switch set back to 3.0.0.

- measured: 500 programs (ops target, seed 3) in 60 s; 20 differed
- command: `sessdiff survey --seed 3`
- build options (cipher table, compression) are the library's on both sides: only release behaviour is compared

**4 differences**: 2 explained by the model's switches, 2 not. Each reproducer is a program file in `corpora/upgrades/3.0.0-to-3.0.19/` (in a survey's output folder: `upgrade/`); replay one against a library with `sessdiff replay --model 3.0.0 FILE`.

## What to test before upgrading

- **`time`** — {time.what} ({time.releases}). Seen in [1](#1), [2](#2).
- **`evict_after_listing`** — {evict.what} ({evict.releases}). Seen in [1](#1).
- **Not explained by the model** (look at these first): [3](#3), [4](#4).

## The switches

| switch | releases | differences seen |
|---|---|---|
| `time` | {time.releases} | [1](#1), [2](#2) |
| `evict_after_listing` | {evict.releases} | [1](#1) |
| `mfl_unspecified` | {mfl.releases} | none the full upgrade shows: alone it shows `divergence:new:session.mfl`, which the other switches' changes cancel for the programs found (see `isolated/mfl_unspecified/` in the survey's output) |
| `dup_keeps_owner` | {bug.releases} | refused, not compared: a library bug (below) |

**Known library bug** in 3.0.0: {bug.what} The harness refuses those calls under a profile that has the bug (2 ops refused in this run); against the library without the profile, they crash it.

## The differences

<a id="2"></a>

### 2. `divergence:set_time:session.timeout` — explained by `time`, found with only that switch set back (in the full model another difference shows first)

12 programs of the isolated survey; reproducer `02-time-divergence-set_time-session.timeout.txt`:

```text
new s0
set_time s0 5
```

At step 0 (`new s0`):

| | 3.0.19 with `time` as in 3.0.0 | 3.0.19 |
|---|---|---|
| session s0 timeout | `5` | `7` |

<a id="1"></a>

### 1. `divergence:cache_add:cache.members` — explained by `evict_after_listing` and `time` together (neither alone brings it back)

3 of 500 programs; reproducer `01-evict_after_listing+time-divergence-cache_add-cache.members.txt`:

```text
new s0
```

At step 0 (`new s0`):

| | 3.0.0 | 3.0.19 |
|---|---|---|

<a id="3"></a>

### 3. `crash:SIGSEGV:set_time` — **not explained**: the reproducer fails with 3.0.19's own profile too

1 of 500 programs; reproducer `03-unexplained-crash-SIGSEGV-set_time.txt`:

```text
new s0
```

The library crashed or hung on this program.

<a id="4"></a>

### 4. `divergence:free:events` — **not explained** by any switch or pair of switches

1 of 500 programs; reproducer `04-unexplained-divergence-free-events.txt`:

```text
new s0
```

At step 0 (`new s0`):

| | 3.0.0 | 3.0.19 |
|---|---|---|

Produce this report again (about 15 minutes with the library build): `scripts/upgrade-report.sh 3.0.0 3.0.19`. See `docs/upgrades/README.md`.
"#
        .replace("{time.what}", time.what)
        .replace("{time.releases}", time.releases)
        .replace("{evict.what}", evict.what)
        .replace("{evict.releases}", evict.releases)
        .replace("{mfl.releases}", mfl.releases)
        .replace("{bug.releases}", bug.releases)
        .replace("{bug.what}", bug.what);
    assert_eq!(upgrade::markdown(&s, &up), expected);
    // Without classes, from a release without the bug: ops refused for
    // another reason (one the library lacks) are no library bug.
    let mut s = s;
    s.classes.clear();
    s.cancelled.clear();
    s.stats.refused = 2;
    let up = upgrade::Upgrade::new("3.0.19", "3.5.5").unwrap();
    let md = upgrade::markdown(&s, &up);
    assert!(md.contains("**0 differences**: 0 explained by the model's switches, 0 not."));
    assert!(md.contains("## What to test before upgrading\n\nNo difference found in this run.\n"));
    assert!(md.contains("## The differences\n\nNone found.\n"), "{md}");
    assert!(
        !md.contains("Known library bug") && !md.contains("Not explained"),
        "{md}"
    );
    assert!(
        md.contains("none in this run, even with only this switch set back"),
        "{md}"
    );
}

#[test]
fn the_upgrade_reproducers_say_what_explains_them() {
    let (mut s, up) = upgraded();
    s.config.out = s
        .config
        .out
        .with_file_name(format!("sessdiff-upgrade-{}", std::process::id()));
    let folder = s.config.out.join("upgrade");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("09-stale.txt"), "new s0\n").unwrap();
    std::fs::write(folder.join("notes.md"), "mine\n").unwrap();
    upgrade::write(&s, &up).unwrap();
    let mut files: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "01-evict_after_listing+time-divergence-cache_add-cache.members.txt",
            "02-time-divergence-set_time-session.timeout.txt",
            "03-unexplained-crash-SIGSEGV-set_time.txt",
            "04-unexplained-divergence-free-events.txt",
            "notes.md",
        ]
    );
    let header = |f: &str, k: &str| {
        crate::corpus::header_value(&folder.join(f), k)
            .unwrap()
            .unwrap()
    };
    let f = "02-time-divergence-set_time-session.timeout.txt";
    assert_eq!(header(f, "upgrade"), "3.0.0 -> 3.0.19");
    assert_eq!(
        header(f, "signature"),
        "divergence:set_time:session.timeout"
    );
    assert_eq!(header(f, "switch"), "time");
    assert_eq!(header(f, "isolated"), "yes");
    assert_eq!(header(f, "found by"), "sessdiff survey --seed 3");
    let f = "01-evict_after_listing+time-divergence-cache_add-cache.members.txt";
    assert_eq!(header(f, "switch"), "evict_after_listing+time");
    assert_eq!(header(f, "isolated"), "no");
    assert_eq!(
        header("04-unexplained-divergence-free-events.txt", "switch"),
        "unexplained"
    );
    let md = std::fs::read_to_string(s.config.out.join("upgrade.md")).unwrap();
    assert_eq!(md, upgrade::markdown(&s, &up));
    let html = std::fs::read_to_string(s.config.out.join("upgrade.html")).unwrap();
    assert!(html.contains("Upgrading from 3.0.0 to 3.0.19"));
    std::fs::remove_dir_all(&s.config.out).unwrap();
}
