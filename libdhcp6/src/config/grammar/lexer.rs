//! The KAME configuration scanner (doc/wide-compat.md §2.1, WIDE's `cftoken.l`).
//!
//! Every unquoted run of `[A-Za-z0-9:._-]` is one [`Tok::Word`]: numbers,
//! addresses, names and keywords alike. WIDE decides "keyword or name" in
//! the scanner with start states; we leave that to the parser, which knows
//! the context, so names may equal keywords wherever WIDE allows it and the
//! parser can say clearly where WIDE would not.

use std::sync::Arc;

use crate::config::{Error, ErrorKind, Pos};

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// An unquoted word: keyword, name, number, address, DUID.
    Word(String),
    /// A quoted string, quotes removed. WIDE has no escapes, nor do we.
    Quoted(String),
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `;`
    Semi,
    /// `,`
    Comma,
    /// `/`
    Slash,
    /// End of the file.
    Eof,
}

impl Tok {
    /// How the token is shown in "found ..." messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Quoted(q) => format!("\"{q}\""),
            Tok::LBrace => "'{'".into(),
            Tok::RBrace => "'}'".into(),
            Tok::Semi => "';'".into(),
            Tok::Comma => "','".into(),
            Tok::Slash => "'/'".into(),
            Tok::Eof => "end of file".into(),
        }
    }
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// File, line and column of its first character.
    pub pos: Pos,
}

/// True for the characters of an unquoted word (`cftoken.l`'s `string`).
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-')
}

/// Splits `text` into tokens; the last one is always [`Tok::Eof`].
///
/// Lines and columns count from 1; columns count characters. Unlike WIDE,
/// newlines inside quoted strings are counted too, so later positions stay
/// right.
pub fn tokenize(file: &Arc<str>, text: &str) -> Result<Vec<Token>, Error> {
    let mut out = Vec::new();
    let mut line: u32 = 1;
    let mut col: u32 = 1;
    let mut chars = text.chars().peekable();
    let pos = |line, col| Pos {
        file: Arc::clone(file),
        line,
        col,
    };
    while let Some(&c) = chars.peek() {
        let start = pos(line, col);
        match c {
            '\n' => {
                chars.next();
                line = line.saturating_add(1);
                col = 1;
            }
            ' ' | '\t' | '\r' | '\x0b' | '\x0c' => {
                chars.next();
                col = col.saturating_add(1);
            }
            '#' => {
                // A comment runs to the end of the line, wherever it starts.
                while let Some(&c) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            '"' => {
                chars.next();
                col = col.saturating_add(1);
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(Error::new(start, ErrorKind::UnterminatedString));
                        }
                        Some('"') => {
                            col = col.saturating_add(1);
                            break;
                        }
                        Some('\n') => {
                            s.push('\n');
                            line = line.saturating_add(1);
                            col = 1;
                        }
                        Some(other) => {
                            s.push(other);
                            col = col.saturating_add(1);
                        }
                    }
                }
                out.push(Token {
                    tok: Tok::Quoted(s),
                    pos: start,
                });
            }
            '{' | '}' | ';' | ',' | '/' => {
                chars.next();
                col = col.saturating_add(1);
                let tok = match c {
                    '{' => Tok::LBrace,
                    '}' => Tok::RBrace,
                    ';' => Tok::Semi,
                    ',' => Tok::Comma,
                    _ => Tok::Slash,
                };
                out.push(Token { tok, pos: start });
            }
            c if is_word_char(c) => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if !is_word_char(c) {
                        break;
                    }
                    w.push(c);
                    chars.next();
                    col = col.saturating_add(1);
                }
                out.push(Token {
                    tok: Tok::Word(w),
                    pos: start,
                });
            }
            other => return Err(Error::new(start, ErrorKind::BadChar(other))),
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: pos(line, col),
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        tokenize(&Arc::from("t.conf"), text)
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn words_numbers_and_punctuation() {
        assert_eq!(
            toks("prefix 2001:db8::/48 infinity;# c\n}"),
            vec![
                Tok::Word("prefix".into()),
                Tok::Word("2001:db8::".into()),
                Tok::Slash,
                Tok::Word("48".into()),
                Tok::Word("infinity".into()),
                Tok::Semi,
                Tok::RBrace,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn quoted_strings_keep_hash_and_newlines() {
        assert_eq!(
            toks("\"a#b\nc\""),
            vec![Tok::Quoted("a#b\nc".into()), Tok::Eof]
        );
    }

    #[test]
    fn positions_count_lines_and_columns() {
        let t = tokenize(&Arc::from("f"), "a\n  \"x\ny\" b").unwrap();
        assert_eq!((t[0].pos.line, t[0].pos.col), (1, 1));
        assert_eq!((t[1].pos.line, t[1].pos.col), (2, 3));
        assert_eq!((t[2].pos.line, t[2].pos.col), (3, 4));
    }

    #[test]
    fn errors() {
        let e = tokenize(&Arc::from("f"), "a \"open").unwrap_err();
        assert_eq!(e.to_string(), "f:1:3: unterminated quoted string");
        let e = tokenize(&Arc::from("f"), "\n x@").unwrap_err();
        assert_eq!(e.to_string(), "f:2:3: unexpected character '@'");
    }
}
