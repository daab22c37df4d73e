//! KAME configuration files: dhcp6s.conf and dhcp6c.conf (doc/wide-compat.md §2).
//!
//! Laid out by role:
//!
//! - [`grammar`]: the syntax both files share. Text goes through
//!   [`grammar::lexer`] and [`grammar::parser`] into a
//!   [`grammar::ast::File`], reading files through a [`Loader`]; the parser
//!   never touches the disk.
//! - [`server`]: what dhcp6s.conf means. [`server::configure_server`] checks
//!   the tree the way WIDE's `configure_*` functions do and builds a staged
//!   [`ServerConfig`].
//! - [`client`]: what dhcp6c.conf means, [`client::configure_client`]
//!   building a staged [`ClientConfig`].
//! - This module: what both share: positions, errors and warnings, the
//!   information options, keys, authentication blocks and lifetimes, and the
//!   staged reload. Nothing is applied until [`Staged::commit`] swaps the
//!   staged configuration into a [`Holder`], so a reload with any error keeps
//!   the running configuration (doc/wide-compat.md §2.6, with none of WIDE's parser
//!   state surviving between parses).
//!
//! The one loader that reads files is [`crate::sys::conf::FsLoader`].
//!
//! The printers (`Display` on both configurations) write the same syntax
//! back; what they print parses to an equal configuration.
//!
//! Our extensions and every deliberate difference from WIDE are listed in
//! `doc/config.md`.

#![warn(clippy::indexing_slicing)]

pub(crate) mod base64;
mod check;
pub mod client;
mod common;
mod error;
pub mod grammar;
mod print;
pub mod server;
pub mod server4;

use std::sync::Arc;

pub use client::{client_from_str, load_client, ClientConfig};
pub use common::*;
pub use error::{Error, ErrorKind, Pos, Warning};
pub use grammar::{LoadError, Loader, MemLoader};
pub use server::{load_server, server_from_str, ServerConfig};
pub use server4::{load_server4, server4_from_str, Server4Config};

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

/// Parses `path` through `loader` and gives the tree to a daemon's
/// `configure_*`, the parser's warnings first.
fn load<T>(
    path: &str,
    loader: &mut dyn Loader,
    now: UnixTime,
    configure: fn(&grammar::ast::File, UnixTime) -> Result<Staged<T>, Error>,
) -> Result<Staged<T>, Error> {
    let mut warnings = Vec::new();
    let file = grammar::parser::parse(path, loader, &mut warnings)?;
    let mut staged = configure(&file, now)?;
    warnings.append(&mut staged.warnings);
    staged.warnings = warnings;
    Ok(staged)
}

#[cfg(test)]
mod tests;
