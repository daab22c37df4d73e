//! libdhcp6: the shared library of the kame6 DHCPv6 suite.
//!
//! Layers, from the bottom up; each may use the ones above it in this list:
//!
//! - [`codes`]: the one table of message types, option codes and status
//!   codes, with KAME's names for logs.
//! - [`prefix`]: [`Prefix6`], an IPv6 address with a prefix length. Pure.
//! - [`wire`]: zero-copy views over DHCPv6 bytes, typed representations,
//!   relay nesting. Pure: no I/O, never panics on input.
//! - [`dhcp4`]: the DHCPv4 wire layer (BOOTP header, options, overload,
//!   split options) with its own code table, and Kea's DHCPv4-over-DHCPv6
//!   IPC framing (`dhcp4::ipc`), and the RFC 2131 server engine
//!   (`dhcp4::engine`: offers, leases, quarantine, committed or rolled back
//!   per loop turn). Pure: no I/O, never panics on input.
//! - [`duid`]: DUIDs, their text form and KAME's DUID file format. Pure.
//! - [`config`]: the KAME configuration files: the shared grammar
//!   (`config::grammar`), what dhcp6s.conf and dhcp6c.conf mean
//!   (`config::server`, `config::client`), printers, staged reload. Pure:
//!   `sys::conf` reads the files.
//! - [`timing`]: RFC 8415 constants and the retransmission algorithm. Pure.
//! - [`alloc`]: free-slot sets for address and prefix pools, O(log n). Pure.
//! - [`auth`]: HMAC-MD5 over messages (delayed auth, reconfigure key), replay
//!   detection, signed Reconfigures. Pure.
//! - [`ctl`]: the dhcp6ctl control protocol (messages, HMAC-MD5, key
//!   files). Pure.
//! - [`lease`]: bindings behind the `LeaseStore` interface; `MemStore`;
//!   `lease::journal`, the lease journal's record format and replay. Pure.
//! - [`paths`]: every compiled-in default path, from the three
//!   directories chosen at build time (`KAME6_SYSCONFDIR`, ...). Pure.
//! - [`request`]: what a server reads from a client message, in place and
//!   without allocating, and the recorded path back to a client. Pure.
//! - [`stats`]: counters and histograms the daemons keep, and their
//!   rendering in Prometheus's text format. Pure: `sys::stats` writes the
//!   statistics file.
//!
//! - [`sys`]: the only module that touches the OS (files, interfaces; with the
//!   daemons, sockets, signals and syslog); `sys::conf` reads the
//!   configuration files; `sys::shell` is the daemons' shared command
//!   line, start-up and PID file; `sys::journal` is the lease
//!   journal on disk (`JournalStore`); `sys::random` draws secrets.
//!
//! Everything outside `sys` is pure so it can be
//! unit-tested and fuzzed.

pub mod alloc;
pub mod auth;
#[macro_use]
pub mod codes;
pub mod config;
pub mod ctl;
pub mod dhcp4;
pub mod duid;
pub mod lease;
pub mod overload;
pub mod paths;
pub mod prefix;
pub mod request;
pub mod stats;
pub mod sys;
pub mod timing;
pub mod wire;

pub use codes::{IaKind, MessageType, OptionCode, Status};
pub use duid::Duid;
pub use prefix::Prefix6;
