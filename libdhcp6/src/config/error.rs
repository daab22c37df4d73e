//! Where a configuration is wrong, and how: positions, errors and warnings
//! shared by the grammar and both daemons' checks.

use std::fmt;
use std::sync::Arc;

/// Where something was written: file, line and column (1-based; line 0 for
/// the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pos {
    /// The file name as given (main file) or as resolved (included file).
    pub file: Arc<str>,
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.col)
        }
    }
}

/// A configuration error: where, and what is wrong.
///
/// Shown as `dhcp6s.conf:12:18: expected ';' after address, found 'host'`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pos}: {kind}")]
pub struct Error {
    /// Where the offending text starts.
    pub pos: Pos,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl Error {
    /// An error of `kind` at `pos`.
    pub fn new(pos: Pos, kind: ErrorKind) -> Self {
        Self { pos, kind }
    }
}

/// What is wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A syntax error.
    #[error("expected {what}{}{context}, found {found}", if context.is_empty() { "" } else { " " })]
    Expected {
        /// What the grammar allows here.
        what: String,
        /// After what (may be empty).
        context: String,
        /// The token found instead.
        found: String,
    },
    /// A character that starts no token.
    #[error("unexpected character '{0}'")]
    BadChar(char),
    /// A `"` without its partner.
    #[error("unterminated quoted string")]
    UnterminatedString,
    /// `1.9`: WIDE silently reads it as 1.
    #[error("'{0}' is not an integer (WIDE would silently read the part before the '.')")]
    DecimalNumber(String),
    /// More than 64 bits.
    #[error("number {0} is too large")]
    NumberTooLarge(String),
    /// A lifetime above 2^32-1, which WIDE wraps silently.
    #[error("lifetime {0} exceeds 4294967295 (use 'infinity')")]
    LifetimeTooLarge(u64),
    /// A number outside its range.
    #[error("value {value} out of range {min}..{max}")]
    OutOfRange {
        /// The value written.
        value: u64,
        /// The smallest value allowed.
        min: u64,
        /// The largest value allowed.
        max: u64,
    },
    /// Not an IPv6 address.
    #[error("'{0}' is not an IPv6 address")]
    BadAddress(String),
    /// Not `xx:xx:...` hex.
    #[error("'{0}' is not hex octets written xx:xx:... (two digits each)")]
    BadHex(String),
    /// A keyword where WIDE's scanner reads a name as keyword.
    #[error(
        "'{0}' is a keyword and cannot be referenced by name (WIDE rejects it too); rename it"
    )]
    KeywordAsName(String),
    /// A number where WIDE's scanner reads a name as a number.
    #[error("'{0}' is a number and cannot be referenced by name (WIDE rejects it too); rename it")]
    NumberAsName(String),
    /// The main file does not exist (WIDE silently runs without it).
    #[error("configuration file {0} not found")]
    NotFound(String),
    /// Another read error.
    #[error("cannot read {path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        error: String,
    },
    /// Includes nested too deep (or a cycle).
    #[error("include nested deeper than {0} files (a cycle?)")]
    IncludeDepth(usize),
    /// Too many `include` statements in one parse.
    #[error("more than {0} include statements")]
    TooManyIncludes(usize),
    /// A statement that belongs to the other daemon.
    #[error("{0}")]
    WrongDaemon(String),
    /// A reference to an undefined object.
    #[error("{kind} '{name}' is not defined")]
    Undefined {
        /// `pool`, `keyinfo`, ...
        kind: &'static str,
        /// The name used.
        name: String,
    },
    /// Any other semantic error, with WIDE's reason where it has one.
    #[error("{0}")]
    Invalid(String),
}

/// A warning: the configuration is still usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub pos: Pos,
    /// What (WIDE's wording where it has one).
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {}", self.pos, self.message)
    }
}
