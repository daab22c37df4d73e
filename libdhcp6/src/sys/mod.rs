//! The only part of the library that touches the operating system: files,
//! interfaces, sockets, signals and syslog. `unsafe` appears only here, item
//! by item, each with its `SAFETY:` reason.

pub mod admission;
pub mod atomic;
pub mod batch;
pub mod conf;
pub mod ctl;
pub mod daemon;
pub mod duid_file;
pub mod ifconf;
pub mod journal;
pub mod journal4;
pub mod journal_file;
pub mod journal_sync;
pub mod log;
pub mod net;
#[cfg(target_os = "linux")]
pub mod netlink;
#[cfg(feature = "postgresql")]
pub mod pg;
#[cfg(feature = "postgresql")]
pub mod pg4;
pub mod privs;
pub mod random;
pub mod replay_file;
pub mod routemsg;
#[cfg(target_os = "freebsd")]
pub mod routesock;
pub mod shell;
pub mod signal;
pub mod stats;
