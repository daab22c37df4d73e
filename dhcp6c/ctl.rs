//! dhcp6c's control channel (doc/wide-compat.md §1.3, §5): `-k ctlkeyfile`
//! (default `/usr/local/etc/dhcp6cctlkey`), TCP port 5546 on `[::1]`
//! (fixed, as WIDE's), opened only if the key file holds a key; a port that
//! cannot be bound stops start-up. Not opened with `-i` (a one-shot query
//! must not collide with a running dhcp6c's port).
//!
//! Commands: `reload` (the SIGHUP path, [`crate::client6_reload`]), `stop`
//! (release everything and exit, as SIGTERM), `start interface IF` (release
//! IF's IAs, then start it again from Solicit or Information-request with a
//! fresh random delay) and `stop interface IF` (release IF's IAs and keep
//! the interface idle: no timers). An interface dhcp6c does not run on is a
//! failure, logged.
//!
//! WIDE starts the new Solicit while the Release is still being
//! retransmitted; here the restart waits until the Release exchange ends
//! (a Reply, or its five transmissions), so the server sees the Release
//! before the new Solicit.

use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant};

use clap::ArgMatches;
use libdhcp6::ctl::{Command, CLIENT_PORT, DEFAULT_CLIENT_KEY_FILE};
use libdhcp6::sys::ctl::CtlChannel;
use libdhcp6::sys::net::{if_nametoindex, PollFds, Ready};
use libdhcp6::{log_debug, log_err, log_info, log_notice};

use crate::event::{Client, Phase};
use crate::State;

/// What an interface waits for once its Release exchange is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    /// `start interface`: start from scratch.
    Restart,
    /// `stop interface`: stay idle.
    Idle,
}

/// The open control channel and the interfaces waiting for their Release
/// to end.
pub struct Ctl {
    channel: CtlChannel,
    pending: Vec<(String, Intent)>,
}

/// What the main loop does after the control channel had its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Go on.
    Continue,
    /// `stop` arrived: release everything and exit, as on SIGTERM.
    Exit,
}

/// Reads the key and opens the listener; `Ok(None)` without a key ("skip
/// opening control port") or with `-i`. Mirrors the control part of
/// dhcp6c.c:client6_init.
pub fn client6_ctl_init(args: &ArgMatches, inforeq: bool) -> Result<Option<Ctl>, String> {
    if inforeq {
        return Ok(None);
    }
    let keyfile = args
        .get_one::<String>("ctlkey")
        .map(String::as_str)
        .unwrap_or(DEFAULT_CLIENT_KEY_FILE);
    Ok(
        CtlChannel::open(Path::new(keyfile), || Ok(CLIENT_PORT), "client6_init")?.map(|channel| {
            Ctl {
                channel,
                pending: Vec::new(),
            }
        }),
    )
}

/// Adds the control descriptors to `fds` (after the ones already there);
/// returns where they are, for [`client6_ctl`].
pub fn push_fds<'a>(ctl: &'a Option<Ctl>, fds: &mut PollFds<'a>) -> Range<usize> {
    ctl.as_ref()
        .map_or(fds.len()..fds.len(), |c| c.channel.push_fds(fds))
}

/// The loop's timeout, shortened so a connection that never completes its
/// command is closed on time, and so an interface whose Release just ended
/// gets what was asked for it at once.
pub fn bound_timeout(s: &State, timeout: Option<Duration>) -> Option<Duration> {
    let Some(ctl) = s.ctl.as_ref() else {
        return timeout;
    };
    let released = ctl.pending.iter().any(|(name, _)| {
        s.ifaces
            .iter()
            .any(|f| f.client.ifname() == name && f.client.phase() == Phase::Stopped)
    });
    if released {
        return Some(Duration::ZERO);
    }
    ctl.channel.bound_timeout(timeout)
}

/// The control channel's turn, once per loop turn after the poll: `at` is
/// where [`push_fds`] put its descriptors in the polled list. Mirrors the
/// control part of dhcp6c.c:client6_mainloop and client6_do_ctlcommand.
pub fn client6_ctl(s: &mut State, ready: Ready, at: Range<usize>) -> After {
    let Some(ctl) = s.ctl.as_mut() else {
        return After::Continue;
    };
    for msg in ctl.channel.receive(ready, at, "client6_do_ctlcommand") {
        match msg.command {
            Command::Reload => crate::client6_reload(s),
            Command::Stop => return After::Exit,
            Command::StartInterface(name) => client6_ifctl(s, &name, Intent::Restart),
            Command::StopInterface(name) => client6_ifctl(s, &name, Intent::Idle),
            c @ (Command::RemoveBinding { .. } | Command::Reconfigure { .. }) => {
                log_info!("client6_do_ctlcommand", "{c}: a server command; ignored");
            }
        }
    }
    client6_ctl_pending(s);
    After::Continue
}

/// `start interface` / `stop interface`: releases the interface's IAs
/// (addresses and prefixes leave the system at once, the Release goes to
/// the server) and records what follows the Release, which
/// [`client6_ctl_pending`] carries out when the exchange is over. Mirrors
/// dhcp6c.c:client6_ifctl.
fn client6_ifctl(s: &mut State, name: &str, intent: Intent) {
    let Some((i, f)) = s
        .ifaces
        .iter_mut()
        .enumerate()
        .find(|(_, f)| f.client.ifname() == name)
    else {
        log_info!(
            "client6_ifctl",
            "failed to find interface configuration for {name}"
        );
        return;
    };
    let verb = match intent {
        Intent::Restart => {
            // hrs: the interface may have been re-created with a new index.
            match if_nametoindex(name) {
                Ok(idx) => f.ifindex = idx,
                Err(e) => log_err!("client6_ifctl", "{e}"),
            }
            "start"
        }
        Intent::Idle => "stop",
    };
    log_debug!("client6_ifctl", "{verb} interface {name}");
    let acts = f.client.release(Instant::now());
    crate::perform(s, i, acts);
    if let Some(ctl) = s.ctl.as_mut() {
        ctl.pending.retain(|(n, _)| n != name);
        ctl.pending.push((name.to_string(), intent));
    }
}

/// Interfaces whose Release exchange ended get what was asked: a fresh
/// machine (Init, random delay) or an idle one that has forgotten its
/// bindings. A machine replaced meanwhile (SIGHUP, reload) drops the
/// request.
fn client6_ctl_pending(s: &mut State) {
    let Some(ctl) = s.ctl.as_mut() else {
        return;
    };
    ctl.pending.retain(|(name, intent)| {
        let Some(f) = s.ifaces.iter_mut().find(|f| f.client.ifname() == name) else {
            return false;
        };
        match f.client.phase() {
            Phase::Release => return true,
            Phase::Stopped => match intent {
                Intent::Restart => {
                    f.client = Client::new(
                        f.client.config().clone(),
                        s.duid.clone(),
                        crate::seed(),
                        Instant::now(),
                    );
                    log_notice!("client6_ifctl", "{name}: started again");
                }
                Intent::Idle => {
                    // The Release already removed every lease from the
                    // system; this only forgets the bindings, so no lease
                    // timer is left running.
                    let _ = f.client.stop();
                    log_notice!("client6_ifctl", "{name}: stopped");
                }
            },
            _ => {}
        }
        false
    });
}
