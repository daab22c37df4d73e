//! dhcp6s's control channel (doc/wide-compat.md §1.2, §5): `-k ctlkeyfile`
//! (default `/usr/local/etc/dhcp6sctlkey`) and `-p ctlport` (default 5547,
//! a service name also accepted). The TCP listener on `[::1]` is opened only
//! if the key file holds a key; a port that cannot be bound stops start-up.
//!
//! Commands: `reload` (the SIGHUP path, [`crate::server6_reload`]), `stop`
//! (a clean exit: unlike WIDE, the PID file is removed, as on SIGTERM),
//! `remove binding` (IA_PD first, then IA_NA, as WIDE: the IA type named is
//! checked but not used; the leases go back to their pools and the removal
//! is journalled), and kame6's `reconfigure`, handed to
//! [`Server::ctl_reconfigure`].

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use clap::ArgMatches;
use libdhcp6::ctl::{ReconfigureType, ServerCommand, DEFAULT_SERVER_KEY_FILE, SERVER_PORT};
use libdhcp6::lease::{BindingKey, Change, IaKind, LeaseStore, Resource};
use libdhcp6::sys::ctl::{resolve_port, CtlChannel};
use libdhcp6::sys::net::{PollFds, Ready};
use libdhcp6::{log_err, log_info, log_notice, Duid};

use crate::server::Server;
use crate::State;

/// What the main loop does after the control commands of one wake-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Go on serving.
    Continue,
    /// `stop` arrived: leave the main loop (clean exit, PID file removed).
    Exit,
}

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

/// Adds the control descriptors to `fds` (after the ones already there);
/// returns where they are, for [`server6_ctl`].
pub fn push_fds<'a>(ctl: &'a Option<CtlChannel>, fds: &mut PollFds<'a>) -> Range<usize> {
    ctl.as_ref()
        .map_or(fds.len()..fds.len(), |c| c.push_fds(fds))
}

/// The loop's sleep, shortened so a connection that never completes its
/// command is closed on time.
pub fn bound_sleep(ctl: &Option<CtlChannel>, sleep: Duration) -> Duration {
    ctl.as_ref()
        .and_then(|c| c.bound_timeout(Some(sleep)))
        .unwrap_or(sleep)
}

/// Handles the control channel after a poll; `at` is where [`push_fds`]
/// put its descriptors in the polled list. Mirrors
/// dhcp6s.c:server6_mainloop's control part and server6_do_ctlcommand.
pub fn server6_ctl<S: LeaseStore>(s: &mut State<S>, ready: Ready, at: Range<usize>) -> After {
    let Some(ctl) = s.ctl.as_mut() else {
        return After::Continue;
    };
    for msg in ctl.receive::<ServerCommand>(ready, at, "server6_do_ctlcommand") {
        match msg.command {
            ServerCommand::Reload => crate::server6_reload(s),
            ServerCommand::Stop => {
                log_notice!("server6_stop", "exiting");
                return After::Exit;
            }
            ServerCommand::RemoveBinding { kind, iaid, duid } => {
                remove_binding(&mut s.server, kind, iaid, &duid);
            }
            ServerCommand::Reconfigure { msg_type, duid } => {
                s.server.ctl_reconfigure(msg_type, &duid)
            }
        }
    }
    After::Continue
}

/// Deletes the binding of (DUID, IAID), looking among IA_PD bindings first
/// and then IA_NA ones as WIDE does (the IA type in the command was only
/// checked, doc/wide-compat.md §5). Its leases go back to their pools; the
/// removal is a lease-store change, journalled and committed at once. No
/// message is sent to the client. Returns whether a binding was removed.
pub fn remove_binding<S: LeaseStore>(
    server: &mut Server<S>,
    named: IaKind,
    iaid: u32,
    duid: &Duid,
) -> bool {
    for kind in [IaKind::Pd, IaKind::Na] {
        let key = BindingKey {
            duid: duid.clone(),
            kind,
            iaid,
        };
        let Some(b) = server.store.binding(&key) else {
            continue;
        };
        let freed: Vec<Resource> = b.leases.iter().map(|l| l.res).collect();
        server.store.apply(Change::Remove(key));
        for r in &freed {
            server.pools.free(r);
        }
        if let Err(e) = server.store.commit() {
            log_err!("server6_do_ctlcommand", "lease store: {e}");
        }
        let list: Vec<String> = freed
            .iter()
            .map(|r| format!("{}/{}", r.addr, r.len))
            .collect();
        log_notice!(
            "server6_do_ctlcommand",
            "removed binding {} {iaid} of {duid} ({} named): {}",
            kind.name(),
            named.name(),
            list.join(" ")
        );
        return true;
    }
    log_info!(
        "server6_do_ctlcommand",
        "no such binding: {} {iaid} of {duid}",
        named.name()
    );
    false
}

impl<S: LeaseStore> Server<S> {
    /// kame6's `dhcp6ctl -S reconfigure renew|rebind|info DUID`: tell the
    /// client to send `msg_type` (RFC 8415 §18.3.11). The first
    /// Reconfigure leaves on the main loop's next turn; a client that never
    /// sent Reconfigure Accept is refused (C-084).
    pub fn ctl_reconfigure(&mut self, msg_type: ReconfigureType, duid: &Duid) {
        match self.start_reconfigure(duid, msg_type.message_type(), crate::now_ms()) {
            Ok(()) => log_notice!(
                "server6_do_ctlcommand",
                "reconfigure {} of {duid} started",
                msg_type.word()
            ),
            Err(e) => log_err!("server6_do_ctlcommand", "reconfigure: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::Served;
    use libdhcp6::config::server_from_str;
    use libdhcp6::lease::{Lease, MemStore};
    use std::sync::Arc;

    fn server() -> Server<MemStore> {
        let conf = "pool tiny { range 2001:db8:2::1 to 2001:db8:2::2; };\n\
                    prefix-pool pd { prefix 2001:db8:100::/48 delegate 56; };\n\
                    interface s0 { address-pool tiny 100 200; prefix-pool pd 100 200; };\n";
        let cfg = server_from_str("test.conf", conf).unwrap().config;
        let served = vec![Served {
            name: "s0".into(),
            ifindex: 2,
            onlink: vec![("2001:db8:2::ff".parse().unwrap(), 64)],
        }];
        let duid = Duid::from_text("00:03:00:01:02:00:00:00:00:fe").unwrap();
        Server::new(Arc::new(cfg), duid, MemStore::new(), served)
    }

    fn lease(addr: &str, len: u8) -> Lease {
        Lease {
            res: Resource {
                addr: addr.parse().unwrap(),
                len,
            },
            preferred: 100,
            valid: 200,
            updated: 1,
        }
    }

    /// doc/wide-compat.md §5: the binding goes, its space returns to the pool,
    /// IA_PD is looked for before IA_NA whatever IA type was named.
    #[test]
    fn remove_binding_frees_pool_space_pd_first() {
        let mut s = server();
        let duid = Duid::from_text("00:03:00:01:02:00:00:00:c0:01").unwrap();
        let key = |kind| BindingKey {
            duid: duid.clone(),
            kind,
            iaid: 10,
        };
        let na = lease("2001:db8:2::1", 128);
        let pd = lease("2001:db8:100::", 56);
        s.grant(key(IaKind::Na), vec![na].into());
        s.grant(key(IaKind::Pd), vec![pd].into());
        assert!(!s.pools.is_free_in("tiny", &na.res));
        assert!(!s.pools.is_free_in("pd", &pd.res));
        assert!(!remove_binding(&mut s, IaKind::Na, 11, &duid));
        // IA_NA named, IA_PD removed first (WIDE's order).
        assert!(remove_binding(&mut s, IaKind::Na, 10, &duid));
        assert!(s.store.binding(&key(IaKind::Pd)).is_none());
        assert!(s.store.binding(&key(IaKind::Na)).is_some());
        assert!(s.pools.is_free_in("pd", &pd.res));
        assert!(!s.store.is_leased(&pd.res));
        assert!(remove_binding(&mut s, IaKind::Pd, 10, &duid));
        assert!(s.store.binding(&key(IaKind::Na)).is_none());
        assert!(s.pools.is_free_in("tiny", &na.res));
        assert!(!remove_binding(&mut s, IaKind::Na, 10, &duid));
    }
}
