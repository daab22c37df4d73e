//! dhcp6c's control channel (doc/wide-compat.md §1.3, §5): `-k ctlkeyfile`
//! (default `SYSCONFDIR/dhcp6cctlkey`, `libdhcp6::paths`), TCP port 5546 on `[::1]`
//! (fixed, as WIDE's), opened only if the key file holds a key; a port that
//! cannot be bound stops start-up. Not opened with `-i` (a one-shot query
//! must not collide with a running dhcp6c's port).
//!
//! Commands: `reload` (the SIGHUP path, [`Controlled::reload`]), `stop`
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
//!
//! The module sees the daemon only through [`Controlled`], which `main.rs`
//! implements: it asks for what a command needs and keeps only its own
//! state, the channel and the interfaces waiting for their Release.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use clap::ArgMatches;
use libdhcp6::ctl::{ClientCommand, CLIENT_PORT, DEFAULT_CLIENT_KEY_FILE};
use libdhcp6::sys::ctl::CtlChannel;
use libdhcp6::sys::net::{PollFds, Ready};
use libdhcp6::{log_debug, log_info, log_notice};

use crate::state::Phase;

/// What the control channel may do to the running client: the daemon
/// (`main.rs`) implements it, so this module sees only these operations,
/// never the daemon's state.
pub trait Controlled {
    /// `reload`: the SIGHUP path (release, re-read the file, start again).
    fn reload(&mut self);
    /// The phase of interface `ifname`'s machine; `None`: dhcp6c does not
    /// run on it.
    fn phase(&self, ifname: &str) -> Option<Phase>;
    /// Releases `ifname`'s IAs: addresses and prefixes leave the system
    /// at once, the Release goes to the server. With `reindex` the
    /// interface's index is looked up again first (it may have been
    /// re-created).
    fn release(&mut self, ifname: &str, reindex: bool);
    /// Replaces `ifname`'s machine by a fresh one (Init, random delay)
    /// from the same configuration.
    fn restart(&mut self, ifname: &str);
    /// Makes `ifname`'s machine forget its bindings and stay idle, with no
    /// timer left running (its leases already left the system).
    fn idle(&mut self, ifname: &str);
}

/// What an interface waits for once its Release exchange is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    /// `start interface`: start from scratch.
    Restart,
    /// `stop interface`: stay idle.
    Idle,
}

/// An interface whose Release runs, and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    ifname: String,
    intent: Intent,
}

/// The open control channel and the interfaces waiting for their Release
/// to end.
pub struct Ctl {
    channel: CtlChannel,
    pending: Vec<Pending>,
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
/// returns where they are, for [`Ctl::client6_ctl`].
pub fn push_fds<'a>(ctl: &'a Option<Ctl>, fds: &mut PollFds<'a>) -> Range<usize> {
    ctl.as_ref()
        .map_or(fds.len()..fds.len(), |c| c.channel.push_fds(fds))
}

impl Ctl {
    /// The loop's timeout, shortened so a connection that never completes
    /// its command is closed on time, and so an interface whose Release
    /// just ended gets what was asked for it at once.
    pub fn bound_timeout(
        &self,
        d: &impl Controlled,
        timeout: Option<Duration>,
    ) -> Option<Duration> {
        let released = self
            .pending
            .iter()
            .any(|p| d.phase(&p.ifname) == Some(Phase::Stopped));
        if released {
            return Some(Duration::ZERO);
        }
        self.channel.bound_timeout(timeout)
    }

    /// The control channel's turn, once per loop turn after the poll: `at`
    /// is where [`push_fds`] put its descriptors in the polled list.
    /// Mirrors the control part of dhcp6c.c:client6_mainloop and
    /// client6_do_ctlcommand.
    pub fn client6_ctl(
        &mut self,
        d: &mut impl Controlled,
        ready: Ready,
        at: Range<usize>,
    ) -> After {
        for msg in self
            .channel
            .receive::<ClientCommand>(ready, at, "client6_do_ctlcommand")
        {
            match msg.command {
                ClientCommand::Reload => d.reload(),
                ClientCommand::Stop => return After::Exit,
                ClientCommand::StartInterface(name) => {
                    self.client6_ifctl(d, &name, Intent::Restart)
                }
                ClientCommand::StopInterface(name) => self.client6_ifctl(d, &name, Intent::Idle),
            }
        }
        self.client6_ctl_pending(d);
        After::Continue
    }

    /// `start interface` / `stop interface`: releases the interface's IAs
    /// and records what follows the Release, which
    /// [`Ctl::client6_ctl_pending`] carries out when the exchange is over.
    /// Mirrors dhcp6c.c:client6_ifctl.
    fn client6_ifctl(&mut self, d: &mut impl Controlled, name: &str, intent: Intent) {
        if d.phase(name).is_none() {
            log_info!(
                "client6_ifctl",
                "failed to find interface configuration for {name}"
            );
            return;
        }
        let verb = match intent {
            Intent::Restart => "start",
            Intent::Idle => "stop",
        };
        log_debug!("client6_ifctl", "{verb} interface {name}");
        // hrs: a started interface may have been re-created with a new index.
        d.release(name, intent == Intent::Restart);
        self.pending.retain(|p| p.ifname != name);
        self.pending.push(Pending {
            ifname: name.to_string(),
            intent,
        });
    }

    /// Interfaces whose Release exchange ended get what was asked: a fresh
    /// machine (Init, random delay) or an idle one that has forgotten its
    /// bindings. A machine replaced meanwhile (SIGHUP, reload) drops the
    /// request.
    fn client6_ctl_pending(&mut self, d: &mut impl Controlled) {
        self.pending.retain(|p| {
            let name = p.ifname.as_str();
            match d.phase(name) {
                None => return false,
                Some(Phase::Release) => return true,
                Some(Phase::Stopped) => match p.intent {
                    Intent::Restart => {
                        d.restart(name);
                        log_notice!("client6_ifctl", "{name}: started again");
                    }
                    Intent::Idle => {
                        d.idle(name);
                        log_notice!("client6_ifctl", "{name}: stopped");
                    }
                },
                Some(_) => {}
            }
            false
        });
    }
}
