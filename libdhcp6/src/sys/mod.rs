//! The only part of the library that touches the operating system: files,
//! interfaces, and (with the daemons) sockets, signals and syslog.

pub mod duid_file;
