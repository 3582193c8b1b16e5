//! What the linked library can do: the table of `src/ossl/capabilities.txt`
//! (the functions some library lacks or names otherwise, and the op or
//! getter that needs each) read for the library build.rs found.
//!
//! A leaf: the ffi declarations (through build.rs's cfgs), the generator
//! and the parser ([`crate::program`]: an op whose function the library
//! lacks is never generated, and a program naming one is refused), the
//! snapshot walk (a getter it lacks is compared on neither side) and the
//! reports each read it directly. Ops and fields are named as the text
//! format and the snapshots name them.

use std::sync::OnceLock;

/// The libraries sessdiff links against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Library {
    /// OpenSSL, 1.1.1 and later.
    OpenSsl,
    /// LibreSSL.
    LibreSsl,
}

impl Library {
    /// The library's name in the table (`openssl`, `libressl`).
    pub fn key(self) -> &'static str {
        match self {
            Library::OpenSsl => "openssl",
            Library::LibreSsl => "libressl",
        }
    }
}

/// The library this build links (build.rs's `sessdiff_lib`).
pub const LINKED: Library = if cfg!(sessdiff_lib = "libressl") {
    Library::LibreSsl
} else {
    Library::OpenSsl
};

/// The linked library as people name it: `LibreSSL 4.3.2`, or `OpenSSL`
/// (build.rs, from openssl-sys's version numbers).
pub const LIBRARY_NAME: &str = env!("SESSDIFF_LIBRARY_NAME");

/// The table, as committed.
pub const TABLE: &str = include_str!("ossl/capabilities.txt");

/// One line of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    /// The C function.
    pub function: &'static str,
    /// The libraries that lack it, and those that have it under another
    /// name: (library, `Some(name)`).
    pub libraries: Vec<(&'static str, Option<&'static str>)>,
    /// `op` or `getter`.
    pub kind: &'static str,
    /// The op's or the snapshot field's name.
    pub name: &'static str,
}

impl Capability {
    /// Whether `library` lacks the function altogether.
    pub fn lacking_in(&self, library: Library) -> bool {
        self.libraries
            .iter()
            .any(|(l, alias)| *l == library.key() && alias.is_none())
    }
}

/// The table's lines (build.rs has checked their form).
pub fn table() -> Vec<Capability> {
    TABLE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&'static str> = l.split_whitespace().collect();
            Capability {
                function: f[0],
                libraries: f[1]
                    .split(',')
                    .map(|e| e.split_once('=').map_or((e, None), |(l, a)| (l, Some(a))))
                    .collect(),
                kind: f[2],
                name: f[3],
            }
        })
        .collect()
}

/// The function `op` needs that `library` lacks, if any.
pub fn lacking_op_in(library: Library, op: &str) -> Option<&'static str> {
    table()
        .into_iter()
        .find(|c| c.kind == "op" && c.name == op && c.lacking_in(library))
        .map(|c| c.function)
}

/// The function `op` needs that the linked library lacks, if any (the
/// table is read once).
pub fn lacking_op(op: &str) -> Option<&'static str> {
    static LACKING: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    LACKING
        .get_or_init(|| {
            table()
                .into_iter()
                .filter(|c| c.kind == "op" && c.lacking_in(LINKED))
                .map(|c| (c.name, c.function))
                .collect()
        })
        .iter()
        .find(|(o, _)| *o == op)
        .map(|(_, f)| *f)
}

/// What a program that names `op` is told where `library` (named `name`)
/// lacks its function: `op set_hostname is not in LibreSSL 4.3.2 (it has
/// no SSL_SESSION_set1_hostname)`.
pub fn refusal_in(library: Library, name: &str, op: &str) -> Option<String> {
    lacking_op_in(library, op).map(|f| format!("op {op} is not in {name} (it has no {f})"))
}

/// The ops `library` cannot run.
pub fn lacking_ops_in(library: Library) -> Vec<&'static str> {
    table()
        .into_iter()
        .filter(|c| c.kind == "op" && c.lacking_in(library))
        .map(|c| c.name)
        .collect()
}

/// The snapshot fields `library` gives no way to read.
pub fn unobserved_in(library: Library) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = table()
        .into_iter()
        .filter(|c| c.kind == "getter" && c.lacking_in(library))
        .map(|c| c.name)
        .collect();
    v.dedup();
    v
}

/// The snapshot fields the linked library gives no way to read (read
/// once).
pub fn unobserved() -> &'static [&'static str] {
    static UNOBSERVED: OnceLock<Vec<&'static str>> = OnceLock::new();
    UNOBSERVED.get_or_init(|| unobserved_in(LINKED))
}

/// Whether the snapshot's `field` can be read from the linked library.
pub fn observes(field: &str) -> bool {
    !unobserved().contains(&field)
}

/// What the linked library lacks, for banners and reports (after its
/// version string): `lacks the ops set_master_key, …: not generated,
/// refused in programs; not observed: hostname, …`, or `None`.
pub fn lacks() -> Option<String> {
    let ops = lacking_ops_in(LINKED);
    let fields = unobserved_in(LINKED);
    let mut parts = Vec::new();
    if !ops.is_empty() {
        parts.push(format!(
            "lacks the ops {}: not generated, refused in programs",
            ops.join(", ")
        ));
    }
    if !fields.is_empty() {
        parts.push(format!("not observed: {}", fields.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The capability table as the README shows it: one row an op or getter
/// some library lacks, one column a library, ✔ or "not in this library"
/// (or the other name the library has the function under); every other op
/// and getter runs against every library.
pub fn markdown_table() -> String {
    let libs = [
        (Library::OpenSsl, "OpenSSL"),
        (Library::LibreSsl, "LibreSSL"),
    ];
    let mut md = String::from("| op or getter | C function |");
    for (_, name) in libs {
        md.push_str(&format!(" {name} |"));
    }
    md.push_str("\n|---|---|");
    md.push_str(&"---|".repeat(libs.len()));
    md.push('\n');
    for c in table() {
        let what = if c.kind == "op" {
            format!("op `{}`", c.name)
        } else {
            format!("getter `{}`", c.name)
        };
        md.push_str(&format!("| {what} | `{}` |", c.function));
        for (lib, _) in libs {
            let cell = match c.libraries.iter().find(|(l, _)| *l == lib.key()) {
                None => "✔".to_string(),
                Some((_, Some(alias))) => format!("✔ as `{alias}`"),
                Some((_, None)) => "not in this library".to_string(),
            };
            md.push_str(&format!(" {cell} |"));
        }
        md.push('\n');
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every function of the table is declared in src/ossl/ffi.rs the way
    /// the table says: a function some library lacks inside `lackable!`
    /// (so that it is a panicking stub there), one a library names
    /// otherwise with a `link_name` under `sessdiff_alias`.
    #[test]
    fn the_ffi_declares_each_function_as_the_table_says() {
        let ffi = include_str!("ossl/ffi.rs");
        let lackable = &ffi[ffi.find("lackable! {").expect("the lackable! block")..];
        for c in table() {
            for (lib, alias) in &c.libraries {
                match alias {
                    None => assert!(
                        lackable.contains(&format!("\"{0}\" =>\n    pub fn {0}(", c.function)),
                        "{lib} lacks {}: declare it in lackable!",
                        c.function
                    ),
                    Some(alias) => {
                        let attr = format!("sessdiff_alias = \"{}\"", c.function);
                        let at = ffi
                            .find(&attr)
                            .unwrap_or_else(|| panic!("no {attr} in ffi.rs"));
                        let decl = &ffi[at..];
                        let next_fn = decl.find("pub fn ").unwrap();
                        assert!(
                            decl[..next_fn].contains(&format!("link_name = \"{alias}\""))
                                && decl[next_fn..].starts_with(&format!("pub fn {}(", c.function)),
                            "{lib} has {} as {alias}: declare it with that link_name",
                            c.function
                        );
                    }
                }
            }
        }
    }

    /// No call goes through a function with another signature: what
    /// each library lacks is a stub, never declared twice.
    #[test]
    fn a_lackable_function_is_declared_once() {
        let ffi = include_str!("ossl/ffi.rs");
        for c in table() {
            let n = ffi.matches(&format!("pub fn {}(", c.function)).count();
            assert_eq!(n, 1, "{} declared {n} times", c.function);
        }
    }

    #[test]
    fn the_markdown_table_has_a_row_a_function() {
        let md = markdown_table();
        assert_eq!(md.lines().count(), 2 + table().len());
        assert!(
            md.contains(
                "| op `set_hostname` | `SSL_SESSION_set1_hostname` | ✔ | not in this library |"
            ),
            "{md}"
        );
        assert!(md.contains("✔ as `lh_doall_arg`"), "{md}");
    }

    #[test]
    fn libressl_lacks_the_setters_and_observes_what_it_can() {
        assert_eq!(
            lacking_op_in(Library::LibreSsl, "set_hostname"),
            Some("SSL_SESSION_set1_hostname")
        );
        assert_eq!(lacking_op_in(Library::LibreSsl, "dup"), None);
        assert_eq!(lacking_op_in(Library::OpenSsl, "set_hostname"), None);
        // The cache's members and the cipher are read under LibreSSL's names.
        let un = unobserved_in(Library::LibreSsl);
        assert!(
            un.contains(&"hostname") && !un.contains(&"cipher") && !un.contains(&"cache_members"),
            "{un:?}"
        );
        assert!(unobserved_in(Library::OpenSsl).is_empty());
        assert!(lacking_ops_in(Library::OpenSsl).is_empty());
        assert_eq!(
            refusal_in(Library::LibreSsl, "LibreSSL 4.3.2", "set_alpn").as_deref(),
            Some("op set_alpn is not in LibreSSL 4.3.2 (it has no SSL_SESSION_set1_alpn_selected)")
        );
        assert_eq!(refusal_in(Library::OpenSsl, "OpenSSL", "set_alpn"), None);
    }
}

#[cfg(all(test, sessdiff_lib = "libressl"))]
mod linked_tests {
    use super::*;

    #[test]
    fn the_linked_libressl_is_known() {
        assert_eq!(LINKED, Library::LibreSsl);
        assert!(!observes("hostname"));
        assert_eq!(
            lacking_op("set_hostname"),
            Some("SSL_SESSION_set1_hostname")
        );
    }
}
