//! KAME configuration files: dhcp6s.conf and dhcp6c.conf (doc/wide-compat.md §2).
//!
//! Text goes through [`lexer`] and [`parser`] into an [`ast::File`];
//! [`configure_server`] / [`configure_client`] check its meaning the way
//! WIDE's `configure_*` functions do and build a staged [`ServerConfig`] or
//! [`ClientConfig`]. Nothing is applied until [`Staged::commit`] swaps the
//! staged configuration into a [`Holder`], so a reload with any error keeps
//! the running configuration (doc/wide-compat.md §2.6, with none of WIDE's parser
//! state surviving between parses).
//!
//! The parser never touches the disk: files come through a [`Loader`]. The
//! one loader that reads files is [`crate::sys::conf::FsLoader`].
//!
//! The printers (`Display` on both configurations) write the same syntax
//! back; what they print parses to an equal configuration.
//!
//! Our extensions and every deliberate difference from WIDE are listed in
//! `doc/config.md`.

#![warn(clippy::indexing_slicing)]

pub mod ast;
pub(crate) mod base64;
mod check;
mod client;
pub mod lexer;
pub mod parser;
mod print;
mod server;
mod types;

use std::fmt;
use std::sync::Arc;

pub use client::configure_client;
pub use server::configure_server;
pub use types::*;

use crate::codes::OptionCode;

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
    #[error("value {0} out of range {1}..{2}")]
    OutOfRange(u64, u64, u64),
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
    #[error("cannot read {0}: {1}")]
    Io(String, String),
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

/// Why a [`Loader`] could not hand over a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// No such file.
    NotFound,
    /// Anything else (permissions, not UTF-8, ...).
    Other(String),
}

/// Where the parser gets file text from: the disk ([`crate::sys::conf::FsLoader`]) or,
/// in tests and the fuzzer, memory.
pub trait Loader {
    /// The text of `path`.
    fn load(&mut self, path: &str) -> Result<String, LoadError>;
}

impl<F: FnMut(&str) -> Result<String, LoadError>> Loader for F {
    fn load(&mut self, path: &str) -> Result<String, LoadError> {
        self(path)
    }
}

/// A loader for a fixed set of in-memory files.
#[derive(Debug, Clone, Default)]
pub struct MemLoader {
    files: Vec<(String, String)>,
}

impl MemLoader {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) `path` with `text`.
    pub fn with(mut self, path: &str, text: &str) -> Self {
        self.files.retain(|(p, _)| p != path);
        self.files.push((path.to_string(), text.to_string()));
        self
    }
}

impl Loader for MemLoader {
    fn load(&mut self, path: &str) -> Result<String, LoadError> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.clone())
            .ok_or(LoadError::NotFound)
    }
}

/// The information options of doc/wide-compat.md §2.5, plus option 88 (kame6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InfoKind {
    /// `domain-name-servers` (23)
    DnsServers,
    /// `domain-name` (24)
    DomainName,
    /// `ntp-servers` (31)
    NtpServers,
    /// `sip-server-address` (22)
    SipServerAddress,
    /// `sip-server-domain-name` (21)
    SipServerDomainName,
    /// `nis-server-address` (27)
    NisServerAddress,
    /// `nis-domain-name`, alias `nis-server-domain-name` (29)
    NisDomainName,
    /// `nisp-server-address` (28)
    NispServerAddress,
    /// `nisp-domain-name`, alias `nisp-server-domain-name` (30)
    NispDomainName,
    /// `bcmcs-server-address` (34)
    BcmcsServerAddress,
    /// `bcmcs-server-domain-name` (33)
    BcmcsServerDomainName,
    /// `dhcp4o6-server-address` (88, RFC 7341; kame6 extension, server only)
    Dhcp4o6ServerAddress,
}

impl InfoKind {
    /// Every kind, in the order the printer writes them.
    pub const ALL: [InfoKind; 12] = [
        InfoKind::DnsServers,
        InfoKind::DomainName,
        InfoKind::NtpServers,
        InfoKind::SipServerAddress,
        InfoKind::SipServerDomainName,
        InfoKind::NisServerAddress,
        InfoKind::NisDomainName,
        InfoKind::NispServerAddress,
        InfoKind::NispDomainName,
        InfoKind::BcmcsServerAddress,
        InfoKind::BcmcsServerDomainName,
        InfoKind::Dhcp4o6ServerAddress,
    ];

    /// The canonical keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            InfoKind::DnsServers => "domain-name-servers",
            InfoKind::DomainName => "domain-name",
            InfoKind::NtpServers => "ntp-servers",
            InfoKind::SipServerAddress => "sip-server-address",
            InfoKind::SipServerDomainName => "sip-server-domain-name",
            InfoKind::NisServerAddress => "nis-server-address",
            InfoKind::NisDomainName => "nis-domain-name",
            InfoKind::NispServerAddress => "nisp-server-address",
            InfoKind::NispDomainName => "nisp-domain-name",
            InfoKind::BcmcsServerAddress => "bcmcs-server-address",
            InfoKind::BcmcsServerDomainName => "bcmcs-server-domain-name",
            InfoKind::Dhcp4o6ServerAddress => "dhcp4o6-server-address",
        }
    }

    /// The kind a keyword (or WIDE's pre-2006 alias) names.
    pub fn from_keyword(word: &str) -> Option<Self> {
        match word {
            "nis-server-domain-name" => Some(InfoKind::NisDomainName),
            "nisp-server-domain-name" => Some(InfoKind::NispDomainName),
            w => Self::ALL.into_iter().find(|k| k.keyword() == w),
        }
    }

    /// True for the options that carry domain names, not addresses.
    pub fn takes_names(self) -> bool {
        matches!(
            self,
            InfoKind::DomainName
                | InfoKind::SipServerDomainName
                | InfoKind::NisDomainName
                | InfoKind::NispDomainName
                | InfoKind::BcmcsServerDomainName
        )
    }

    /// The option code.
    pub fn code(self) -> OptionCode {
        match self {
            InfoKind::DnsServers => OptionCode::DnsServers,
            InfoKind::DomainName => OptionCode::DomainList,
            InfoKind::NtpServers => OptionCode::SntpServers,
            InfoKind::SipServerAddress => OptionCode::SipServerA,
            InfoKind::SipServerDomainName => OptionCode::SipServerD,
            InfoKind::NisServerAddress => OptionCode::NisServers,
            InfoKind::NisDomainName => OptionCode::NisDomainName,
            InfoKind::NispServerAddress => OptionCode::NispServers,
            InfoKind::NispDomainName => OptionCode::NispDomainName,
            InfoKind::BcmcsServerAddress => OptionCode::BcmcsServerA,
            InfoKind::BcmcsServerDomainName => OptionCode::BcmcsServerD,
            InfoKind::Dhcp4o6ServerAddress => OptionCode::Dhcp4o6ServerAddr,
        }
    }
}

/// A checked configuration not yet in use, with the warnings found while
/// checking it. Mirrors WIDE's staged `*_list_tmp` lists before
/// `configure_commit`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a staged configuration does nothing until committed"]
pub struct Staged<T> {
    /// The configuration.
    pub config: T,
    /// Warnings: the configuration is valid, but something was ignored.
    pub warnings: Vec<Warning>,
}

impl<T> Staged<T> {
    /// Swaps the staged configuration into `holder`, returning the one it
    /// replaces. Mirrors config.c:configure_commit.
    pub fn commit(self, holder: &mut Holder<T>) -> Arc<T> {
        std::mem::replace(&mut holder.current, Arc::new(self.config))
    }
}

/// The running configuration of a daemon.
///
/// Readers take an `Arc` snapshot with [`Holder::current`]; a reload builds
/// a [`Staged`] configuration and only a successful one is committed.
#[derive(Debug)]
pub struct Holder<T> {
    current: Arc<T>,
}

impl<T> Holder<T> {
    /// A holder running `config`.
    pub fn new(config: T) -> Self {
        Self {
            current: Arc::new(config),
        }
    }

    /// The running configuration.
    pub fn current(&self) -> Arc<T> {
        Arc::clone(&self.current)
    }

    /// Runs `stage` (parse and check a new file) and commits its result if
    /// it is valid; on error the running configuration stays. Returns the
    /// new configuration's warnings.
    pub fn reload<E>(
        &mut self,
        stage: impl FnOnce() -> Result<Staged<T>, E>,
    ) -> Result<Vec<Warning>, E> {
        let staged = stage()?;
        let warnings = staged.warnings.clone();
        let _old = Staged {
            config: staged.config,
            warnings: Vec::new(),
        }
        .commit(self);
        Ok(warnings)
    }
}

/// What a Unix time `now` is needed for: rejecting a `keyinfo` whose
/// absolute `expire` date lies in the past, as WIDE does.
pub type UnixTime = u64;

/// Parses and checks a server file read through `loader`.
pub fn load_server(
    path: &str,
    loader: &mut dyn Loader,
    now: UnixTime,
) -> Result<Staged<ServerConfig>, Error> {
    let mut warnings = Vec::new();
    let file = parser::parse(path, loader, &mut warnings)?;
    let mut staged = configure_server(&file, now)?;
    warnings.append(&mut staged.warnings);
    staged.warnings = warnings;
    Ok(staged)
}

/// Parses and checks a client file read through `loader`.
pub fn load_client(
    path: &str,
    loader: &mut dyn Loader,
    now: UnixTime,
) -> Result<Staged<ClientConfig>, Error> {
    let mut warnings = Vec::new();
    let file = parser::parse(path, loader, &mut warnings)?;
    let mut staged = configure_client(&file, now)?;
    warnings.append(&mut staged.warnings);
    staged.warnings = warnings;
    Ok(staged)
}

/// Parses and checks server configuration text (includes are looked up in
/// an empty loader, i.e. reported missing).
pub fn server_from_str(file: &str, text: &str) -> Result<Staged<ServerConfig>, Error> {
    load_server(file, &mut MemLoader::new().with(file, text), 0)
}

/// Parses and checks client configuration text.
pub fn client_from_str(file: &str, text: &str) -> Result<Staged<ClientConfig>, Error> {
    load_client(file, &mut MemLoader::new().with(file, text), 0)
}

#[cfg(test)]
mod tests;
