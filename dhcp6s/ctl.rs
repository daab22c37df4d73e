//! dhcp6s's control channel (doc/wide-compat.md §1.2, §5): `-k ctlkeyfile`
//! (default `SYSCONFDIR/dhcp6sctlkey`, `libdhcp6::paths`) and `-p ctlport` (default 5547,
//! a service name also accepted). The TCP listener on `[::1]` is opened only
//! if the key file holds a key; a port that cannot be bound stops start-up.
//!
//! Commands: `reload` (the SIGHUP path), `stop` (a clean exit: unlike
//! WIDE, the PID file is removed, as on SIGTERM), `remove binding` (IA_PD
//! first, then IA_NA, as WIDE: the IA type named is checked but not used;
//! the leases go back to their pools and the removal is journalled), and
//! kame6's `reconfigure`. The daemon's side of each is a [`CtlTarget`]
//! method; this module knows nothing else of the daemon.

use std::ops::Range;
use std::path::Path;

use clap::ArgMatches;
use libdhcp6::ctl::{ReconfigureType, ServerCommand, DEFAULT_SERVER_KEY_FILE, SERVER_PORT};
use libdhcp6::lease::IaKind;
use libdhcp6::sys::ctl::{resolve_port, CtlChannel};
use libdhcp6::sys::net::Ready;
use libdhcp6::{log_notice, Duid};

pub use libdhcp6::sys::ctl::After;

/// Reads the key and opens the listener; `Ok(None)` when there is no key
/// ("skip opening control port"). Mirrors the control part of
/// dhcp6s.c:server6_init.
pub fn server6_ctl_init(args: &ArgMatches) -> Result<Option<CtlChannel>, String> {
    let keyfile = args
        .get_one::<String>("ctlkey")
        .map(String::as_str)
        .unwrap_or(DEFAULT_SERVER_KEY_FILE);
    let port = || match args.get_one::<String>("ctlport") {
        Some(p) => resolve_port(p),
        None => Ok(SERVER_PORT),
    };
    CtlChannel::open(Path::new(keyfile), port, "server6_init")
}

pub use libdhcp6::sys::ctl::{bound_sleep, push_fds};

/// What the control commands ask of the daemon: the operations they name
/// and nothing else of its state (the main loop implements it).
pub trait CtlTarget {
    /// `reload`: re-read the configuration, the SIGHUP path.
    fn reload(&mut self);
    /// `remove binding`: delete the binding of (DUID, IAID), IA_PD first
    /// and then IA_NA as WIDE does (`named` is only checked), its leases
    /// back to their pools, committed at once. Whether one was removed.
    fn remove_binding(&mut self, named: IaKind, iaid: u32, duid: &Duid) -> bool;
    /// kame6's `reconfigure`: start a Reconfigure asking the client for
    /// `msg_type`.
    fn reconfigure(&mut self, msg_type: ReconfigureType, duid: &Duid);
}

/// Handles the control channel after a poll; `at` is where [`push_fds`]
/// put its descriptors in the polled list. Mirrors
/// dhcp6s.c:server6_mainloop's control part and server6_do_ctlcommand.
pub fn server6_ctl(
    ctl: &mut Option<CtlChannel>,
    target: &mut impl CtlTarget,
    ready: Ready,
    at: Range<usize>,
) -> After {
    let Some(ctl) = ctl.as_mut() else {
        return After::Continue;
    };
    for msg in ctl.receive::<ServerCommand>(ready, at, "server6_do_ctlcommand") {
        match msg.command {
            ServerCommand::Reload => target.reload(),
            ServerCommand::Stop => {
                log_notice!("server6_stop", "exiting");
                return After::Exit;
            }
            ServerCommand::RemoveBinding { kind, iaid, duid } => {
                target.remove_binding(kind, iaid, &duid);
            }
            ServerCommand::Reconfigure { msg_type, duid } => target.reconfigure(msg_type, &duid),
        }
    }
    After::Continue
}
