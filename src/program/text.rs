//! The text format: one op per line, `#` starting a comment.
//!
//! Each op is its name, then its operands as its row in the op table says
//! (see [`super::op`]): slots `s0`…`s7` and `c0`…`c3`, `->` before the slot
//! a call's result goes to, byte strings in hex (`""` for the empty
//! string), host names quoted with `\\`, `\"` and `\xNN` escapes, `none`
//! for NULL, numbers in decimal or `0x` hex.

use crate::caps::Library;
use std::fmt::{self, Write as _};

use super::op::{Op, OpKind};
use super::{C, Program, S, SESSION_SLOTS, SSL_SLOTS};

pub(super) fn write_hex(out: &mut String, bytes: &[u8]) {
    if bytes.is_empty() {
        out.push_str("\"\"");
    }
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

pub(super) fn write_opt_hex(out: &mut String, bytes: &Option<Vec<u8>>) {
    match bytes {
        None => out.push_str("none"),
        Some(b) => write_hex(out, b),
    }
}

pub(super) fn write_quoted(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x21..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut o = String::from(self.name());
        self.write_operands(&mut o);
        f.write_str(&o)
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in &self.ops {
            writeln!(f, "{op}")?;
        }
        Ok(())
    }
}

/// A text program that does not parse: the line (from 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// The line, counting from 1.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(Vec<u8>),
}

fn tokenize(line: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(_, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '#' {
            break;
        } else if c == '"' {
            chars.next();
            let mut bytes = Vec::new();
            loop {
                match chars.next() {
                    None => return Err("unterminated string".into()),
                    Some((_, '"')) => break,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '"')) => bytes.push(b'"'),
                        Some((_, '\\')) => bytes.push(b'\\'),
                        Some((_, 'x')) => {
                            let hi = chars.next().map(|(_, c)| c);
                            let lo = chars.next().map(|(_, c)| c);
                            let hex: String = hi.into_iter().chain(lo).collect();
                            let b = (hex.len() == 2)
                                .then(|| u8::from_str_radix(&hex, 16).ok())
                                .flatten()
                                .ok_or_else(|| {
                                    format!("bad escape \\x{hex}: two hex digits expected")
                                })?;
                            bytes.push(b);
                        }
                        Some((_, other)) => return Err(format!("unknown escape \\{other}")),
                        None => return Err("unterminated string".into()),
                    },
                    Some((_, ch)) => {
                        let mut buf = [0u8; 4];
                        bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                }
            }
            out.push(Token::Quoted(bytes));
        } else {
            let mut w = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() || c == '#' || c == '"' {
                    break;
                }
                w.push(c);
                chars.next();
            }
            out.push(Token::Word(w));
        }
    }
    Ok(out)
}

pub(super) struct Args<'a> {
    op: &'a str,
    toks: std::slice::Iter<'a, Token>,
}

impl<'a> Args<'a> {
    pub(super) fn word(&mut self, what: &str) -> Result<&'a str, String> {
        match self.toks.next() {
            Some(Token::Word(w)) => Ok(w),
            Some(Token::Quoted(_)) => Err(format!(
                "{}: expected {what}, found a quoted string",
                self.op
            )),
            None => Err(format!("{}: missing {what}", self.op)),
        }
    }

    fn slot(&mut self, prefix: char, count: usize) -> Result<u8, String> {
        let what = format!("a slot {prefix}0..{prefix}{}", count - 1);
        let w = self.word(&what)?;
        w.strip_prefix(prefix)
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|&n| (n as usize) < count && !w[1..].starts_with('+'))
            .ok_or_else(|| format!("{}: expected {what}, found `{w}`", self.op))
    }

    pub(super) fn s(&mut self) -> Result<S, String> {
        self.slot('s', SESSION_SLOTS).map(S)
    }

    pub(super) fn c(&mut self) -> Result<C, String> {
        self.slot('c', SSL_SLOTS).map(C)
    }

    pub(super) fn arrow(&mut self) -> Result<(), String> {
        match self.word("`->`")? {
            "->" => Ok(()),
            w => Err(format!("{}: expected `->`, found `{w}`", self.op)),
        }
    }

    pub(super) fn int<T: TryFrom<i128>>(&mut self, what: &str) -> Result<T, String> {
        let w = self.word(what)?;
        let (neg, digits) = match w.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, w),
        };
        let v = match digits.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).map(i128::from),
            None => digits.parse::<u64>().map(i128::from),
        }
        .map_err(|_| format!("{}: expected {what}, found `{w}`", self.op))?;
        let v = if neg { -v } else { v };
        T::try_from(v).map_err(|_| format!("{}: {what} out of range: `{w}`", self.op))
    }

    pub(super) fn bytes(&mut self, what: &str) -> Result<Vec<u8>, String> {
        match self.toks.next() {
            Some(Token::Quoted(b)) if b.is_empty() => Ok(Vec::new()),
            Some(Token::Word(w)) => parse_hex(w)
                .ok_or_else(|| format!("{}: expected {what} in hex, found `{w}`", self.op)),
            Some(Token::Quoted(_)) => Err(format!(
                "{}: {what} is hex; only `\"\"` may be quoted",
                self.op
            )),
            None => Err(format!("{}: missing {what}", self.op)),
        }
    }

    /// Takes a `none` if one comes next.
    pub(super) fn none(&mut self) -> bool {
        let none = matches!(self.toks.as_slice().first(), Some(Token::Word(w)) if w == "none");
        if none {
            self.toks.next();
        }
        none
    }

    pub(super) fn hostname(&mut self) -> Result<Option<Vec<u8>>, String> {
        match self.toks.next() {
            Some(Token::Word(w)) if w == "none" => Ok(None),
            Some(Token::Quoted(b)) if b.contains(&0) => {
                Err(format!("{}: a host name cannot contain NUL", self.op))
            }
            Some(Token::Quoted(b)) => Ok(Some(b.clone())),
            Some(Token::Word(w)) => Err(format!(
                "{}: expected a quoted host name or `none`, found `{w}`",
                self.op
            )),
            None => Err(format!("{}: missing host name", self.op)),
        }
    }

    pub(super) fn end(mut self) -> Result<(), String> {
        match self.toks.next() {
            None => Ok(()),
            Some(Token::Word(w)) => Err(format!("{}: unexpected `{w}`", self.op)),
            Some(Token::Quoted(_)) => Err(format!("{}: unexpected string", self.op)),
        }
    }
}

fn parse_hex(w: &str) -> Option<Vec<u8>> {
    if !w.len().is_multiple_of(2) || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..w.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&w[i..i + 2], 16).ok())
        .collect()
}

fn parse_op(toks: &[Token], library: (Library, &str)) -> Result<Op, String> {
    let name = match &toks[0] {
        Token::Word(w) => w.as_str(),
        Token::Quoted(_) => return Err("expected an op name, found a string".into()),
    };
    let kind = OpKind::from_name(name).ok_or_else(|| format!("unknown op `{name}`"))?;
    if let Some(refusal) = crate::caps::refusal_in(library.0, library.1, name) {
        return Err(refusal);
    }
    let mut a = Args {
        op: name,
        toks: toks[1..].iter(),
    };
    let op = Op::parse_operands(kind, &mut a)?;
    a.end()?;
    Ok(op)
}

impl Program {
    /// Parses the text format. Errors name the line; an op the linked
    /// library lacks ([`crate::caps`]) is one.
    pub fn parse(text: &str) -> Result<Program, ParseError> {
        Program::parse_for(text, crate::caps::LINKED, crate::caps::LIBRARY_NAME)
    }

    /// [`Program::parse`] for `library`, named `name` in the errors.
    pub fn parse_for(text: &str, library: Library, name: &str) -> Result<Program, ParseError> {
        let mut ops = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let err = |message: String| ParseError {
                line: i + 1,
                message,
            };
            let toks = tokenize(line).map_err(err)?;
            if toks.is_empty() {
                continue;
            }
            ops.push(parse_op(&toks, (library, name)).map_err(err)?);
        }
        Ok(Program { ops })
    }
}

impl std::str::FromStr for Program {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Program::parse(s)
    }
}

// ---------------------------------------------------------------------------
