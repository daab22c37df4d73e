//! dhcp4s's control channel (doc/control.md): WIDE's authenticated TCP
//! protocol on `[::1]`, `-k ctlkeyfile` (default `SYSCONFDIR/dhcp4sctlkey`)
//! and `-p ctlport` (default 5548, beside dhcp6s's 5547 and dhcp6c's
//! 5546). Opened only when the key file holds a key. Commands: `reload`
//! (the SIGHUP path), `stop` (a clean exit, as on SIGTERM) and `remove
//! lease4 ADDRESS` (the lease ends at once and the removal is journalled
//! before the next query is answered).

use std::ops::Range;
use std::path::Path;

use clap::ArgMatches;
use libdhcp6::ctl::{Server4Command, DEFAULT_SERVER4_KEY_FILE, SERVER4_PORT};
use libdhcp6::dhcp4::engine::ClientKey;
use libdhcp6::sys::ctl::{resolve_port, CtlChannel};
use libdhcp6::sys::net::Ready;
use libdhcp6::{log_info, log_notice};

use crate::State;

pub use libdhcp6::sys::ctl::{bound_sleep, push_fds, After};

/// Reads the key and opens the listener; `Ok(None)` without a key.
pub fn server4_ctl_init(args: &ArgMatches) -> Result<Option<CtlChannel>, String> {
    let keyfile = args
        .get_one::<String>("ctlkey")
        .map(String::as_str)
        .unwrap_or(DEFAULT_SERVER4_KEY_FILE);
    let port = || match args.get_one::<String>("ctlport") {
        Some(p) => resolve_port(p),
        None => Ok(SERVER4_PORT),
    };
    CtlChannel::open(Path::new(keyfile), port, "server4_init")
}

/// A client key as `--dump-leases` and the log show it: `id:` and option
/// 61's octets, or `hw:` with the hardware type and address.
pub fn client_text(c: &ClientKey) -> String {
    let hex = |b: &[u8]| {
        b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    match c {
        ClientKey::Id(id) => format!("id:{}", hex(id)),
        ClientKey::Hw { htype, addr } => format!("hw:{htype}:{}", hex(addr)),
    }
}

/// Handles the control channel after a poll (mirrors
/// dhcp6s.c:server6_do_ctlcommand for dhcp4s's commands).
pub fn server4_ctl(
    ctl: &mut Option<CtlChannel>,
    s: &mut State,
    ready: Ready,
    at: Range<usize>,
) -> After {
    let Some(ctl) = ctl.as_mut() else {
        return After::Continue;
    };
    for msg in ctl.receive::<Server4Command>(ready, at, "server4_do_ctlcommand") {
        match msg.command {
            Server4Command::Reload => crate::server4_reload(s),
            Server4Command::Stop => {
                log_notice!("server4_stop", "exiting");
                return After::Exit;
            }
            Server4Command::RemoveLease(addr) => match s.server.engine.remove_lease(addr) {
                Some(change) => {
                    s.server.pending.push(change);
                    if crate::server4_commit(s, "server4_do_ctlcommand") {
                        log_notice!("server4_do_ctlcommand", "removed the lease on {addr}");
                    }
                }
                None => log_info!("server4_do_ctlcommand", "no lease on {addr} to remove"),
            },
        }
    }
    After::Continue
}
