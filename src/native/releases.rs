//! The releases sessdiff knows by name: `releases.txt` beside this file,
//! the one table that `--model`, `scripts/build-libssl.sh` and
//! `scripts/against.sh` read.
//!
//! A *measured* release has a profile whose every switch was checked
//! against it. Any other release of a known line is accepted and *follows*
//! a measured one (the newest measured release of its line at or before
//! it, else the oldest of its line after it, else the newest measured
//! release of an older line), and is always named as such: a profile is
//! never guessed. Anything else is refused with the list.

use std::sync::OnceLock;

use super::Profile;

/// The table, as the scripts read it too.
pub const TABLE: &str = include_str!("releases.txt");

/// A release sessdiff accepts by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The name as given: `3.0.19`, `1.1.1w`.
    pub name: String,
    /// The measured release whose profile it takes: itself when measured.
    pub follows: &'static str,
    /// The openssl-src crate version that builds it (`None` for the
    /// system's, or for a release that was not measured).
    pub crate_version: Option<&'static str>,
}

impl Release {
    /// Whether the release itself was measured.
    pub fn measured(&self) -> bool {
        self.name == self.follows
    }

    /// Its profile: that of the measured release it follows.
    pub fn profile(&self) -> Profile {
        Profile::named(self.follows).expect("a measured release's name parses")
    }

    /// `3.0.10: not measured, follows 3.0.8`, or `None` for a measured release.
    pub fn note(&self) -> Option<String> {
        (!self.measured()).then(|| format!("{}: not measured, follows {}", self.name, self.follows))
    }
}

/// A measured row: name, release number, crate version.
struct Measured {
    name: &'static str,
    number: u64,
    crate_version: Option<&'static str>,
}

/// A line: `3.0` with patches 0 to 22, or `1.1.1` with letters a to w.
struct Line {
    name: &'static str,
    first: &'static str,
    last: &'static str,
}

struct Table {
    measured: Vec<Measured>,
    lines: Vec<Line>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = Table {
            measured: vec![],
            lines: vec![],
        };
        for (i, line) in TABLE.lines().enumerate() {
            let words: Vec<&'static str> = line.split_whitespace().collect();
            match words[..] {
                [] => {}
                [w, ..] if w.starts_with('#') => {}
                ["line", name, range] => {
                    let (first, last) = range.split_once('-').expect("releases.txt: a range");
                    t.lines.push(Line { name, first, last });
                }
                [name, krate, "measured"] => t.measured.push(Measured {
                    name,
                    number: Profile::named(name)
                        .unwrap_or_else(|| panic!("releases.txt:{}: `{name}`", i + 1))
                        .release,
                    crate_version: (krate != "system").then_some(krate),
                }),
                _ => panic!("releases.txt:{}: cannot read `{line}`", i + 1),
            }
        }
        t.measured.sort_by_key(|m| m.number);
        t
    })
}

/// The line `name` belongs to, if the table lists its patch.
fn line_of(name: &str) -> Option<&'static Line> {
    table().lines.iter().find(|l| {
        let Some(patch) = name.strip_prefix(l.name) else {
            return false;
        };
        if l.name.starts_with("1.") {
            // 1.1.1 itself, and 1.1.1a to 1.1.1w: one letter.
            patch.is_empty() || (patch.len() == 1 && patch >= l.first && patch <= l.last)
        } else {
            let Some(p) = patch.strip_prefix('.') else {
                return false;
            };
            let ok = !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p == "0" || !p.starts_with('0'));
            let n = |s: &str| s.parse::<u32>().unwrap_or(u32::MAX);
            ok && n(p) >= n(l.first) && n(p) <= n(l.last)
        }
    })
}

/// Orders release names as versions: 1.1.1 < 1.1.1a < 1.1.1w < 3.0.0 <
/// 3.0.10 (a part without digits sorts last).
pub fn order_key(name: &str) -> Vec<(u64, String)> {
    name.split('.')
        .map(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            let rest = part[digits.len()..].to_string();
            (digits.parse().unwrap_or(u64::MAX), rest)
        })
        .collect()
}

/// The names of the measured releases, oldest first.
pub fn measured() -> Vec<&'static str> {
    table().measured.iter().map(|m| m.name).collect()
}

/// The releases that `scripts/build-libssl.sh` can build: measured, with a
/// crate version.
pub fn buildable() -> Vec<&'static str> {
    table()
        .measured
        .iter()
        .filter(|m| m.crate_version.is_some())
        .map(|m| m.name)
        .collect()
}

/// What the table accepts, for an error message.
pub fn known() -> String {
    let lines: Vec<String> = table()
        .lines
        .iter()
        .map(|l| {
            if l.name.starts_with("1.") {
                format!("{}{}-{}", l.name, l.first, l.last)
            } else {
                format!("{}.{}-{}", l.name, l.first, l.last)
            }
        })
        .collect();
    format!(
        "measured: {}; not measured, each following a measured one: {}",
        measured().join(" "),
        lines.join(" ")
    )
}

/// The release named `name`, measured or following a measured one; an
/// error with the list of what is known otherwise.
pub fn lookup(name: &str) -> Result<Release, String> {
    let t = table();
    if let Some(m) = t.measured.iter().find(|m| m.name == name) {
        return Ok(Release {
            name: name.to_string(),
            follows: m.name,
            crate_version: m.crate_version,
        });
    }
    let unknown = || format!("`{name}` is not a release sessdiff knows ({})", known());
    let line = line_of(name).ok_or_else(unknown)?;
    let number = Profile::named(name).ok_or_else(unknown)?.release;
    let in_line: Vec<&Measured> = t
        .measured
        .iter()
        .filter(|m| line_of(m.name).is_some_and(|l| l.name == line.name))
        .collect();
    let follows = in_line
        .iter()
        .rev()
        .find(|m| m.number <= number)
        .or_else(|| in_line.iter().find(|m| m.number > number))
        .copied()
        .or_else(|| t.measured.iter().rev().find(|m| m.number < number))
        .or_else(|| t.measured.first())
        .ok_or_else(unknown)?;
    Ok(Release {
        name: name.to_string(),
        follows: follows.name,
        crate_version: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follows(name: &str) -> &'static str {
        lookup(name).unwrap_or_else(|e| panic!("{e}")).follows
    }

    #[test]
    fn measured_releases_follow_themselves() {
        for name in measured() {
            let r = lookup(name).unwrap();
            assert!(r.measured() && r.note().is_none(), "{name}");
            assert_eq!(r.profile(), Profile::named(name).unwrap());
        }
        assert!(measured().contains(&"3.0.19"));
        assert!(
            !buildable().contains(&"3.0.19"),
            "the system's is not built"
        );
        assert_eq!(
            lookup("4.0.3").unwrap().crate_version,
            Some("400.0.2+4.0.3")
        );
    }

    #[test]
    fn other_releases_of_known_lines_follow_the_nearest_measured_one() {
        assert_eq!(follows("3.0.4"), "3.0.4");
        assert_eq!(follows("3.0.6"), "3.0.5");
        assert_eq!(follows("3.0.8"), "3.0.8");
        assert_eq!(follows("3.0.11"), "3.0.8");
        assert_eq!(follows("3.0.22"), "3.0.19");
        assert_eq!(follows("1.1.1k"), "1.1.1w");
        assert_eq!(follows("1.1.1"), "1.1.1w");
        assert_eq!(follows("3.1.2"), "3.1.4");
        assert_eq!(follows("3.1.8"), "3.1.4");
        assert_eq!(follows("3.2.0"), "3.2.0");
        assert_eq!(follows("3.3.0"), "3.3.1");
        assert_eq!(follows("3.4.3"), "3.4.1");
        assert_eq!(follows("4.0.0"), "4.0.3");
        let r = lookup("3.0.10").unwrap();
        assert_eq!(r.note().unwrap(), "3.0.10: not measured, follows 3.0.8");
        assert_eq!(r.profile(), Profile::named("3.0.8").unwrap());
        assert_eq!(r.crate_version, None);
    }

    #[test]
    fn release_names_order_as_versions() {
        let mut names = [
            "3.0.10", "1.1.1w", "3.0.2", "1.1.1", "4.0.0", "1.1.1a", "3.0.9",
        ];
        names.sort_by_key(|n| order_key(n));
        assert_eq!(
            names,
            [
                "1.1.1", "1.1.1a", "1.1.1w", "3.0.2", "3.0.9", "3.0.10", "4.0.0"
            ]
        );
    }

    #[test]
    fn anything_else_is_refused_with_the_list() {
        for bad in [
            "9.9.9", "5.0.0", "1.0.2", "3.0.91", "3.0.05", "3.0", "1.1.1z", "auto", "", "4.0.3 ",
        ] {
            let e = lookup(bad).unwrap_err();
            assert!(
                e.contains("measured: 1.1.1w 3.0.0") && e.contains("3.0.0-22"),
                "{bad}: {e}"
            );
        }
    }
}
