//! Splits config text into tokens, tracking 1-based line numbers.
//!
//! Bare words use the widest character set upstream's lexer accepts outside
//! quotes (`[A-Za-z0-9._@/-]`); the parser decides whether a word is a key, a
//! name or a number. Quoted strings have no escapes and end on the same line.

use crate::error::{Error, Result};

/// Longest string, name or word kept; upstream truncates at 1023 bytes,
/// which for a path silently yields the wrong file, so longer is an error.
pub const MAX_TOKEN: usize = 1023;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    LBrace,
    RBrace,
    Semi,
    Equals,
    Quoted(String),
    Bare(String),
    Eof,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub line: u32,
}

pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
}

fn is_bare(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'/' | b'-')
}

fn err(line: u32, what: &'static str) -> Error {
    Error::Config { line, what }
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8]) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            line: 1,
        }
    }

    /// Skips whitespace and `#` comments (which run to the end of the line).
    fn skip_blank(&mut self) {
        while let Some(&b) = self.src.get(self.pos) {
            match b {
                b'\n' => {
                    self.line = self.line.saturating_add(1);
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'#' => {
                    let rest = &self.src[self.pos..];
                    self.pos += rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
                }
                _ => break,
            }
        }
    }

    pub fn next_token(&mut self) -> Result<Token> {
        self.skip_blank();
        let line = self.line;
        let Some(&b) = self.src.get(self.pos) else {
            return Ok(Token {
                tok: Tok::Eof,
                line,
            });
        };
        let tok = match b {
            b'{' => Tok::LBrace,
            b'}' => Tok::RBrace,
            b';' => Tok::Semi,
            b'=' => Tok::Equals,
            b'"' => return self.quoted(line),
            _ if is_bare(b) => return self.bare(line),
            _ => return Err(err(line, "unexpected character")),
        };
        self.pos += 1;
        Ok(Token { tok, line })
    }

    fn quoted(&mut self, line: u32) -> Result<Token> {
        let body = &self.src[self.pos + 1..];
        let len = body
            .iter()
            .position(|&c| c == b'"' || c == b'\n')
            .filter(|&n| body[n] == b'"')
            .ok_or(err(
                line,
                "unterminated string: expected '\"' before end of line",
            ))?;
        // Upstream allows blanks around the single token inside the quotes
        // and drops them; trimming keeps that reading.
        let raw = body[..len].trim_ascii();
        if raw.len() > MAX_TOKEN {
            return Err(err(line, "string longer than 1023 bytes"));
        }
        let text = std::str::from_utf8(raw).map_err(|_| err(line, "string is not valid UTF-8"))?;
        self.pos += len + 2;
        Ok(Token {
            tok: Tok::Quoted(text.to_owned()),
            line,
        })
    }

    fn bare(&mut self, line: u32) -> Result<Token> {
        let rest = &self.src[self.pos..];
        let len = rest.iter().position(|&c| !is_bare(c)).unwrap_or(rest.len());
        if len > MAX_TOKEN {
            return Err(err(line, "word longer than 1023 bytes"));
        }
        // The bare character set is ASCII, so this cannot split a character.
        let text = String::from_utf8_lossy(&rest[..len]).into_owned();
        self.pos += len;
        Ok(Token {
            tok: Tok::Bare(text),
            line,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(s: &str) -> Result<Vec<(Tok, u32)>> {
        let mut lx = Lexer::new(s.as_bytes());
        let mut out = Vec::new();
        loop {
            let t = lx.next_token()?;
            let end = t.tok == Tok::Eof;
            out.push((t.tok, t.line));
            if end {
                return Ok(out);
            }
        }
    }

    fn bare(s: &str) -> Tok {
        Tok::Bare(s.into())
    }

    #[test]
    fn tokens_and_lines() {
        let toks = lex("a.b-c{\n  k=0x1F; # c { \" ;\n\r\n s = \" /x/y@z \" ;}").unwrap();
        assert_eq!(
            toks,
            vec![
                (bare("a.b-c"), 1),
                (Tok::LBrace, 1),
                (bare("k"), 2),
                (Tok::Equals, 2),
                (bare("0x1F"), 2),
                (Tok::Semi, 2),
                (bare("s"), 4),
                (Tok::Equals, 4),
                (Tok::Quoted("/x/y@z".into()), 4),
                (Tok::Semi, 4),
                (Tok::RBrace, 4),
                (Tok::Eof, 4),
            ]
        );
    }

    #[test]
    fn comment_at_eof_without_newline() {
        assert_eq!(lex("x # y").unwrap(), vec![(bare("x"), 1), (Tok::Eof, 1)]);
    }

    #[test]
    fn quoted_may_hold_spaces_and_hash() {
        assert_eq!(lex("\"a b#c\"").unwrap()[0].0, Tok::Quoted("a b#c".into()));
    }

    #[test]
    fn errors() {
        assert_eq!(
            lex("\n\"abc\n\"").unwrap_err(),
            err(2, "unterminated string: expected '\"' before end of line")
        );
        assert_eq!(
            lex("\"abc").unwrap_err(),
            err(1, "unterminated string: expected '\"' before end of line")
        );
        assert_eq!(lex("a\n\n,").unwrap_err(), err(3, "unexpected character"));
        assert_eq!(lex("\0").unwrap_err(), err(1, "unexpected character"));
        assert_eq!(lex("é").unwrap_err(), err(1, "unexpected character"));
        let long = "x".repeat(MAX_TOKEN + 1);
        assert_eq!(
            lex(&long).unwrap_err(),
            err(1, "word longer than 1023 bytes")
        );
        assert_eq!(
            lex(&format!("\"{long}\"")).unwrap_err(),
            err(1, "string longer than 1023 bytes")
        );
        assert!(lex(&format!("\"{}\"", &long[1..])).is_ok());
        let mut lx = Lexer::new(b"\"\xff\xfe\"");
        assert_eq!(
            lx.next_token().unwrap_err(),
            err(1, "string is not valid UTF-8")
        );
    }
}
