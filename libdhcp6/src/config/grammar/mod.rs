//! The KAME configuration grammar shared by dhcp6s.conf and dhcp6c.conf
//! (doc/wide-compat.md §2): text goes through [`lexer`] and [`parser`] into an
//! [`ast::File`], with `include` expanded. Nothing here knows which daemon a
//! statement is for; `config::server` and `config::client` decide that.
//!
//! The parser never touches the disk: files come through a [`Loader`].

pub mod ast;
pub mod lexer;
pub mod parser;

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

    /// The text of an included file and the path it was read from.
    /// `beside` is the name resolved against the including file's directory
    /// (kame6's rule); `written` is the name as the `include` statement
    /// spells it, which WIDE opens as is, i.e. against the working
    /// directory. Which of them is tried, and in what order, is the
    /// loader's business: [`crate::sys::conf::FsLoader`] tries `beside`
    /// and then `written`. This default has no working directory (memory,
    /// the fuzzer) and reads `beside` only.
    fn load_include(&mut self, beside: &str, written: &str) -> Result<(String, String), LoadError> {
        let _ = written;
        self.load(beside).map(|text| (beside.to_string(), text))
    }
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
