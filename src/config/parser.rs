//! The libvmi.conf grammar:
//!
//! ```text
//! file    = entry*
//! entry   = name "{" item* "}"
//! item    = ";" | key "=" value ";"
//! ```
//!
//! A name is a bare word or (extension) a quoted string. Number-valued keys
//! take a bare number (`0x` hex, leading-`0` octal, else decimal, as C's
//! `strtoull(.., 0)`); string-valued keys take a quoted string.

use super::keys::{self, ValueKind};
use super::lexer::{Lexer, Tok, Token};
use super::{Config, Value};
use crate::error::{Error, Result};

/// Distinct keys one entry may hold; known keys number 39, so this only
/// stops pathological inputs from making insertion quadratic.
pub const MAX_KEYS_PER_ENTRY: usize = 256;

fn err(line: u32, what: &'static str) -> Error {
    Error::Config { line, what }
}

/// Parses a number the way upstream's `strtoull(text, NULL, 0)` reads a
/// token its lexer accepted, but rejects what that call would misread
/// (overflow, 8/9 after a leading 0) instead of returning a wrong value.
pub fn parse_number(text: &str) -> core::result::Result<u64, &'static str> {
    let (digits, radix) =
        if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            (hex, 16)
        } else if text.len() > 1 && text.starts_with('0') {
            (&text[1..], 8)
        } else {
            (text, 10)
        };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("expected a number (decimal, 0x hex or 0-prefixed octal)");
    }
    u64::from_str_radix(digits, radix).map_err(|_| {
        let all_decimal = digits.bytes().all(|b| b.is_ascii_digit());
        if radix == 8 && all_decimal && digits.bytes().any(|b| b >= b'8') {
            "digit 8 or 9 in a number with a leading 0 (octal)"
        } else if digits.bytes().all(|b| (b as char).is_digit(radix)) {
            "number does not fit in 64 bits"
        } else {
            "expected a number (decimal, 0x hex or 0-prefixed octal)"
        }
    })
}

struct Parser<'a> {
    lx: Lexer<'a>,
    peeked: Option<Token>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a [u8]) -> Self {
        Parser {
            lx: Lexer::new(src),
            peeked: None,
        }
    }

    fn next(&mut self) -> Result<Token> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lx.next_token(),
        }
    }

    fn peek(&mut self) -> Result<&Token> {
        let t = match self.peeked.take() {
            Some(t) => t,
            None => self.lx.next_token()?,
        };
        Ok(self.peeked.insert(t))
    }

    /// Parses `{ item* }` into a fresh config.
    fn body(&mut self) -> Result<Config> {
        let open = self.next()?;
        if open.tok != Tok::LBrace {
            return Err(err(open.line, "expected '{' to open the entry"));
        }
        let mut cfg = Config::new();
        loop {
            let t = self.next()?;
            match t.tok {
                Tok::RBrace => return Ok(cfg),
                Tok::Semi => {}
                Tok::Bare(key) => self.assignment(&mut cfg, key, t.line)?,
                Tok::Eof => return Err(err(t.line, "unexpected end of input: expected '}'")),
                _ => return Err(err(t.line, "expected a key, ';' or '}'")),
            }
        }
    }

    /// Parses `= value ;` after `key` and stores the value.
    fn assignment(&mut self, cfg: &mut Config, key: String, line: u32) -> Result<()> {
        let eq = self.next()?;
        if eq.tok != Tok::Equals {
            return Err(err(eq.line, "expected '=' after the key"));
        }
        let v = self.next()?;
        let vline = v.line;
        let value = match (keys::key_kind(&key), v.tok) {
            (Some(ValueKind::Num) | None, Tok::Bare(w)) => {
                Value::Num(parse_number(&w).map_err(|what| err(vline, what))?)
            }
            (Some(ValueKind::Str) | None, Tok::Quoted(s)) if !s.is_empty() => Value::Str(s),
            (Some(ValueKind::Str) | None, Tok::Quoted(_)) => {
                return Err(err(vline, "empty string"));
            }
            (Some(ValueKind::Num), _) => {
                return Err(err(
                    vline,
                    "expected a number (decimal, 0x hex or 0-prefixed octal)",
                ));
            }
            (Some(ValueKind::Str), _) => return Err(err(vline, "expected a quoted string")),
            (None, _) => return Err(err(vline, "expected a number or a quoted string")),
        };
        let semi = self.next()?;
        if semi.tok != Tok::Semi {
            return Err(err(semi.line, "expected ';' after the value"));
        }
        if key == keys::LINUX_ADDR {
            warn(format_args!(
                "config line {line}: linux_addr is obsolete and ignored; remove it"
            ));
            return Ok(());
        }
        if keys::key_kind(&key).is_none() {
            warn(format_args!(
                "config line {line}: unknown key '{key}' (kept, but LibVMI does not use it)"
            ));
        }
        if !cfg.contains_key(&key) && cfg.len() >= MAX_KEYS_PER_ENTRY {
            return Err(err(line, "too many keys in one entry"));
        }
        cfg.insert(key, value);
        Ok(())
    }

    /// Parses `name { ... }` entries until the end of input.
    fn entries(&mut self, out: &mut Vec<(String, Config)>) -> Result<()> {
        loop {
            let t = self.next()?;
            let name = match t.tok {
                Tok::Eof => return Ok(()),
                Tok::Bare(n) => n,
                Tok::Quoted(n) if !n.is_empty() => n,
                _ => return Err(err(t.line, "expected an entry name")),
            };
            if self.peek()?.tok != Tok::LBrace {
                let line = self.peek()?.line;
                return Err(err(line, "expected '{' after the entry name"));
            }
            let cfg = self.body()?;
            out.push((name, cfg));
        }
    }
}

/// Parses a whole config file into its entries, in file order. Names may
/// repeat; upstream uses the last entry of a name.
pub fn parse_file_bytes(src: &[u8]) -> Result<Vec<(String, Config)>> {
    check_size(src)?;
    let mut out = Vec::new();
    Parser::new(src).entries(&mut out)?;
    Ok(out)
}

/// Parses a `VMI_CONFIG_STRING`: one `{ ... }` body. Upstream parses the
/// string as a file after the domain name; any entries following the body are
/// therefore checked for syntax too, then ignored.
pub fn parse_body_bytes(src: &[u8]) -> Result<Config> {
    check_size(src)?;
    let mut p = Parser::new(src);
    let cfg = p.body()?;
    let mut rest = Vec::new();
    p.entries(&mut rest)?;
    if !rest.is_empty() {
        warn(format_args!(
            "config string: {} entries after the body are ignored",
            rest.len()
        ));
    }
    Ok(cfg)
}

/// Warnings always print, like upstream's; unit tests feed thousands of
/// inputs with unknown keys, so they stay quiet there.
fn warn(args: std::fmt::Arguments<'_>) {
    if cfg!(not(test)) {
        crate::log_error!("warning: {args}");
    }
}

/// Largest config text accepted; real files are a few KiB.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

fn check_size(src: &[u8]) -> Result<()> {
    if src.len() > MAX_CONFIG_BYTES {
        return Err(err(0, "config text larger than 1 MiB"));
    }
    Ok(())
}
