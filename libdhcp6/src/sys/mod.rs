//! The only part of the library that touches the operating system: files,
//! interfaces, sockets, signals and syslog. `unsafe` appears only here, item
//! by item, each with its `SAFETY:` reason.

pub mod atomic;
pub mod batch;
pub mod conf;
pub mod ctl;
pub mod daemon;
pub mod duid_file;
pub mod journal;
pub mod log;
pub mod net;
pub mod netlink;
pub mod random;
pub mod replay_file;
pub mod shell;
pub mod signal;
