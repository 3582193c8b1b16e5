//! Reading and writing programs in the text format, as files and folders
//! of files (regression corpora).

use std::fs;
use std::path::{Path, PathBuf};

use crate::program::{ParseError, Program};

/// A corpus file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The file or folder could not be read. (The I/O error is part of
    /// the message, not a source: a report of the chain would say it twice.)
    #[error("{path}: {cause}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// A line does not parse: `FILE:LINE: what is wrong`.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A folder with no program in it.
    #[error("{path}: no program files (*.txt) found")]
    Empty {
        /// The folder.
        path: PathBuf,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CorpusError + '_ {
    move |cause| CorpusError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

/// Reads one program file.
pub fn read_program(path: &Path) -> Result<Program, CorpusError> {
    let bytes = fs::read(path).map_err(io(path))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        CorpusError::Parse {
            path: path.to_path_buf(),
            line,
            message: "not valid UTF-8".into(),
        }
    })?;
    let program =
        Program::parse(&text).map_err(|ParseError { line, message }| CorpusError::Parse {
            path: path.to_path_buf(),
            line,
            message,
        })?;
    if program.ops.is_empty() {
        return Err(CorpusError::Parse {
            path: path.to_path_buf(),
            line: text.lines().count().max(1),
            message: "the program is empty: no op (a program file holds one op a line)".into(),
        });
    }
    Ok(program)
}

/// Every problem found reading a set of program files: one a line.
#[derive(Debug)]
pub struct CorpusErrors(pub Vec<CorpusError>);

impl std::fmt::Display for CorpusErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))?;
        if self.0.len() > 1 {
            write!(f, "\n{} problems; nothing was run", self.0.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for CorpusErrors {}

/// Reads every program at `paths` (files, or every `*.txt` below folders),
/// in order. Every unreadable path and malformed or empty file is
/// reported, all of them, before the caller runs anything.
pub fn read_programs(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Program)>, CorpusErrors> {
    let mut programs = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        match program_files(p) {
            Ok(files) => {
                for f in files {
                    match read_program(&f) {
                        Ok(program) => programs.push((f, program)),
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(programs)
    } else {
        Err(CorpusErrors(errors))
    }
}

/// The value of a `# KEY: value` line in the comment header of a program
/// file (the comment lines before its first op), if there is one.
pub fn header_value(path: &Path, key: &str) -> Result<Option<String>, CorpusError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    let prefix = format!("{key}:");
    Ok(text
        .lines()
        .map_while(|l| l.strip_prefix('#'))
        .find_map(|l| l.trim().strip_prefix(&prefix).map(|v| v.trim().to_string())))
}

/// The program files at `path`: the file itself, or every `*.txt` below a
/// folder, recursively, in sorted order.
pub fn program_files(path: &Path) -> Result<Vec<PathBuf>, CorpusError> {
    let meta = fs::metadata(path).map_err(io(path))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).map_err(io(&dir))? {
            let p = entry.map_err(io(&dir))?.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "txt") {
                out.push(p);
            }
        }
    }
    if out.is_empty() {
        return Err(CorpusError::Empty {
            path: path.to_path_buf(),
        });
    }
    out.sort();
    Ok(out)
}

/// Writes `program` to `path` with a comment header.
pub fn write_program(path: &Path, header: &str, program: &Program) -> Result<(), CorpusError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut text = String::new();
    for line in header.lines() {
        text.push_str("# ");
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&program.to_string());
    fs::write(path, text).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sessdiff-corpus-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn an_op_the_library_lacks_is_refused_by_file_and_line() {
        // Against OpenSSL nothing is lacking; the parser's own test covers
        // LibreSSL (Program::parse_for).
        let d = temp("lacking");
        let f = d.join("p.txt");
        fs::write(&f, "new s0\nset_hostname s0 \"h\"\n").unwrap();
        match crate::caps::LINKED {
            crate::caps::Library::OpenSsl => assert!(read_program(&f).is_ok()),
            crate::caps::Library::LibreSsl => assert_eq!(
                read_program(&f).unwrap_err().to_string(),
                format!(
                    "{}:2: op set_hostname is not in LibreSSL 4.3.2 (it has no SSL_SESSION_set1_hostname)",
                    f.display()
                )
            ),
        }
    }

    #[test]
    fn errors_carry_file_and_line() {
        let d = temp("errors");
        let f = d.join("bad.txt");
        fs::write(&f, "new s0\n\nfree s9\n").unwrap();
        let e = read_program(&f).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}:3: free: expected a slot s0..s7, found `s9`",
                f.display()
            )
        );
        fs::write(&f, b"new s0\n\xff\n").unwrap();
        assert!(
            read_program(&f)
                .unwrap_err()
                .to_string()
                .ends_with(":2: not valid UTF-8")
        );
        assert!(matches!(
            program_files(&d.join("missing")),
            Err(CorpusError::Io { .. })
        ));
        fs::write(&f, "# only a comment\n\n").unwrap();
        assert_eq!(
            read_program(&f).unwrap_err().to_string(),
            format!(
                "{}:2: the program is empty: no op (a program file holds one op a line)",
                f.display()
            )
        );
    }

    #[test]
    fn every_problem_of_a_set_is_reported_before_anything_runs() {
        let d = temp("set");
        fs::write(d.join("a.txt"), "new s0\n").unwrap();
        fs::write(d.join("b.txt"), "new s0\nfree s9\n").unwrap();
        fs::write(d.join("c.txt"), "").unwrap();
        fs::write(d.join("d.txt"), "new s1\n").unwrap();
        let missing = d.join("missing.txt");
        let e = read_programs(&[d.clone(), missing.clone()]).unwrap_err();
        let text = e.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[0].starts_with(&format!("{}:2: free:", d.join("b.txt").display())),
            "{text}"
        );
        assert!(
            lines[1].starts_with(&format!(
                "{}:1: the program is empty",
                d.join("c.txt").display()
            )),
            "{text}"
        );
        assert!(
            lines[2].starts_with(&format!("{}: ", missing.display())),
            "{text}"
        );
        assert_eq!(lines[2].matches("No such file").count(), 1, "{text}");
        assert_eq!(lines[3], "3 problems; nothing was run");
        // One problem is said alone.
        let one = read_programs(std::slice::from_ref(&missing)).unwrap_err();
        assert_eq!(one.to_string().lines().count(), 1, "{one}");
        fs::remove_file(d.join("b.txt")).unwrap();
        fs::remove_file(d.join("c.txt")).unwrap();
        let ok = read_programs(std::slice::from_ref(&d)).unwrap();
        assert_eq!(ok.len(), 2);
    }

    #[test]
    fn folders_list_txt_files_sorted_and_round_trip() {
        let d = temp("folder");
        let p = Program::parse("new s0\ncache_add s0\n").unwrap();
        write_program(&d.join("b/2.txt"), "second\nfile", &p).unwrap();
        write_program(&d.join("a.txt"), "first", &p).unwrap();
        fs::write(d.join("notes.md"), "ignored").unwrap();
        let files = program_files(&d).unwrap();
        assert_eq!(files, [d.join("a.txt"), d.join("b/2.txt")]);
        assert_eq!(read_program(&files[1]).unwrap(), p);
        let empty = temp("empty");
        assert!(matches!(
            program_files(&empty),
            Err(CorpusError::Empty { .. })
        ));
    }
}
