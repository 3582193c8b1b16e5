//! The command a user types to run sessdiff again as this process runs:
//! one place builds every command sessdiff prints (a divergence's
//! `reproduce:` line, the `found by:` header of a program file, a survey's
//! replay lines), so that each names the same binary, model and library as
//! the run that printed it.
//!
//! The binary is `sessdiff`, the command the README's set-up installs
//! (`cargo install --path .`). A process started by `scripts/against.sh`
//! runs against another libssl; the script says which in
//! [`AGAINST_ENV`] (its own path and the library's name, as given), and the
//! command goes through it again: `bash scripts/against.sh 1.1.1w replay
//! FILE`, so that the replay links the same library.

use std::path::Path;

/// The environment variable `scripts/against.sh` sets for sessdiff: the
/// script's absolute path, then the arguments that name its library
/// (`/src/sessdiff/scripts/against.sh 1.1.1w`, or `… --libssl-dir /opt/ssl`).
pub const AGAINST_ENV: &str = "SESSDIFF_AGAINST";

/// `arg` as a shell word: as it is when it needs no quoting, else in
/// single quotes.
pub fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./,=:+@%".contains(&b));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The words that start a sessdiff command in this process's setting:
/// `sessdiff`, or `bash scripts/against.sh NAME` (the script's path
/// relative to the current folder when it is below it).
pub fn prefix() -> Vec<String> {
    prefix_for(std::env::var(AGAINST_ENV).ok().as_deref())
}

fn prefix_for(against: Option<&str>) -> Vec<String> {
    let Some(words) = against.map(str::split_whitespace) else {
        return vec!["sessdiff".into()];
    };
    let mut words = words.map(String::from);
    let Some(script) = words.next() else {
        return vec!["sessdiff".into()];
    };
    let script = std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            Path::new(&script)
                .strip_prefix(&cwd)
                .ok()
                .map(|p| p.display().to_string())
        })
        .unwrap_or(script);
    let mut v = vec!["bash".to_string(), script];
    v.extend(words);
    v
}

/// The command line that runs `sessdiff ARGS` again in this process's
/// setting ([`prefix`]), each word quoted for the shell as needed.
pub fn command<S: AsRef<str>>(args: &[S]) -> String {
    prefix()
        .iter()
        .map(|w| shell_word(w))
        .chain(args.iter().map(|a| shell_word(a.as_ref())))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(
            shell_word("divergences/seed1-program0.txt"),
            "divergences/seed1-program0.txt"
        );
        assert_eq!(shell_word("4.0.3,re_add=3.0.19"), "4.0.3,re_add=3.0.19");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    #[test]
    fn the_prefix_names_the_script_and_its_library() {
        assert_eq!(prefix_for(None), ["sessdiff"]);
        assert_eq!(prefix_for(Some("")), ["sessdiff"]);
        assert_eq!(
            prefix_for(Some("/nowhere/scripts/against.sh 1.1.1w")),
            ["bash", "/nowhere/scripts/against.sh", "1.1.1w"]
        );
        let cwd = std::env::current_dir().unwrap();
        let script = cwd.join("scripts/against.sh");
        let spec = format!("{} --libssl-dir /opt/ssl", script.display());
        assert_eq!(
            prefix_for(Some(&spec)),
            ["bash", "scripts/against.sh", "--libssl-dir", "/opt/ssl"]
        );
    }
}
