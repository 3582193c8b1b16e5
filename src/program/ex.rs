//! ex_data in the call language: what the callbacks of an index that a
//! program registers (`ex_new_index`) do, and the values programs store.
//!
//! libssl's ex_data indexes are process-wide and can never be
//! unregistered, so a program cannot really register one: both backends
//! register [`EX_INDEXES`] indexes once, ahead of any session, whose
//! callbacks do nothing until the program's `ex_new_index` gives them an
//! [`ExSpec`]. Until then an index behaves exactly as one not yet
//! registered (SEMANTICS.md §9): its new callback stores nothing, nothing
//! can set it, and dup never reaches it, since dup stops at the highest
//! index the source ever set. Program index 0 is libssl's reserved
//! app_data index, which has no callbacks.

use std::fmt;

/// How many indexes a program may register.
pub const EX_INDEXES: u8 = 4;

/// A value in a slot: an opaque pointer, here a small number, 0 for NULL.
pub type ExVal = u8;

/// Writes an ex_data value as the text format does: `null` or the number.
pub fn write_val(f: &mut impl fmt::Write, v: u64) -> fmt::Result {
    if v == 0 {
        f.write_str("null")
    } else {
        write!(f, "{v}")
    }
}

/// What an index's new callback does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ExNew {
    /// No new callback.
    #[default]
    None,
    /// A callback that only records the call.
    Log,
    /// A callback that records the call and stores this value (`null`
    /// included, which still makes the object's ex_data "set").
    Set(ExVal),
}

/// What an index's dup callback does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ExDup {
    /// No dup callback: the value is copied as it is.
    #[default]
    None,
    /// Records the call and keeps the value.
    Keep,
    /// Records the call and refuses: the dup fails.
    Fail,
    /// Records the call and gives the copy this value instead.
    Set(ExVal),
}

/// The callbacks of an index a program registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ExSpec {
    /// The new callback.
    pub new: ExNew,
    /// The dup callback.
    pub dup: ExDup,
    /// Whether a free callback records the call.
    pub free: bool,
}

impl fmt::Display for ExSpec {
    /// `new=set:7 dup=keep free=log`, as in the text format.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("new=")?;
        match self.new {
            ExNew::None => f.write_str("none")?,
            ExNew::Log => f.write_str("log")?,
            ExNew::Set(v) => {
                f.write_str("set:")?;
                write_val(f, v.into())?;
            }
        }
        f.write_str(" dup=")?;
        match self.dup {
            ExDup::None => f.write_str("none")?,
            ExDup::Keep => f.write_str("keep")?,
            ExDup::Fail => f.write_str("fail")?,
            ExDup::Set(v) => {
                f.write_str("set:")?;
                write_val(f, v.into())?;
            }
        }
        f.write_str(if self.free { " free=log" } else { " free=none" })
    }
}

/// Reads `null` or a number 1..=255.
pub(super) fn parse_val(w: &str) -> Option<ExVal> {
    match w {
        "null" => Some(0),
        _ => w
            .parse::<u8>()
            .ok()
            .filter(|&v| v != 0 && !w.starts_with('+')),
    }
}

impl ExSpec {
    /// Reads the three words `new=… dup=… free=…`.
    pub(super) fn parse(words: [&str; 3]) -> Result<ExSpec, String> {
        let field = |w: &str, name: &str| {
            w.strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
                .map(str::to_owned)
                .ok_or_else(|| format!("expected `{name}=…`, found `{w}`"))
        };
        let set = |v: &str| {
            v.strip_prefix("set:")
                .map(|v| parse_val(v).ok_or_else(|| format!("`{v}` is not `null` or 1..255")))
        };
        let new = field(words[0], "new")?;
        let new = match new.as_str() {
            "none" => ExNew::None,
            "log" => ExNew::Log,
            v => match set(v) {
                Some(r) => ExNew::Set(r?),
                None => return Err(format!("new={v}: expected none, log or set:VALUE")),
            },
        };
        let dup = field(words[1], "dup")?;
        let dup = match dup.as_str() {
            "none" => ExDup::None,
            "keep" => ExDup::Keep,
            "fail" => ExDup::Fail,
            v => match set(v) {
                Some(r) => ExDup::Set(r?),
                None => return Err(format!("dup={v}: expected none, keep, fail or set:VALUE")),
            },
        };
        let free = match field(words[2], "free")?.as_str() {
            "none" => false,
            "log" => true,
            v => return Err(format!("free={v}: expected none or log")),
        };
        Ok(ExSpec { new, dup, free })
    }

    /// Simpler specs for the shrinker: one callback removed at a time.
    pub(super) fn simpler(&self) -> Vec<ExSpec> {
        let mut out = Vec::new();
        if self.new != ExNew::None {
            out.push(ExSpec {
                new: ExNew::None,
                ..*self
            });
        }
        if self.dup != ExDup::None {
            out.push(ExSpec {
                dup: ExDup::None,
                ..*self
            });
        }
        if self.free {
            out.push(ExSpec {
                free: false,
                ..*self
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_print_and_parse_back() {
        let specs = [
            ExSpec::default(),
            ExSpec {
                new: ExNew::Set(0),
                dup: ExDup::Fail,
                free: true,
            },
            ExSpec {
                new: ExNew::Log,
                dup: ExDup::Set(255),
                free: false,
            },
            ExSpec {
                new: ExNew::Set(9),
                dup: ExDup::Keep,
                free: true,
            },
        ];
        for spec in specs {
            let text = spec.to_string();
            let words: Vec<&str> = text.split(' ').collect();
            assert_eq!(ExSpec::parse([words[0], words[1], words[2]]), Ok(spec));
        }
        assert!(ExSpec::parse(["new=set:0", "dup=none", "free=none"]).is_err());
        assert!(ExSpec::parse(["new=log", "dup=maybe", "free=none"]).is_err());
        assert!(ExSpec::parse(["dup=none", "new=log", "free=none"]).is_err());
        assert_eq!(parse_val("null"), Some(0));
        assert_eq!(parse_val("+3"), None);
    }

    #[test]
    fn simpler_removes_one_callback_at_a_time() {
        let spec = ExSpec {
            new: ExNew::Log,
            dup: ExDup::Keep,
            free: true,
        };
        let simpler = spec.simpler();
        assert_eq!(simpler.len(), 3);
        assert!(simpler.iter().all(|s| *s != spec));
        assert!(ExSpec::default().simpler().is_empty());
    }
}
