//! The client's event machine (RFC 8415 §18, doc/wide-compat.md §7.3): one per
//! interface. It takes `now` and returns [`Action`]s — datagrams to send,
//! addresses and routes to install or remove, the script to run — which the
//! I/O shell in `main.rs` performs (`client6_timo`, `client6_recv`). Tests
//! drive it with a fake clock and byte vectors.
//!
//! Where WIDE's client falls over (doc/wide-compat.md §9.2 items 7–9) this one
//! does better: after REQ_MAX_RC Requests it returns to Solicit; an IA
//! refused with NoAddrsAvail/NoPrefixAvail does not cause a tight Solicit
//! loop; IA_NA and IA_PD travel in one exchange (RFC 7550) and a server
//! that answers only one of them still binds it; NoBinding is answered by
//! a Request; a Reply lacking an IA does not drop the IAs it holds; Replies
//! must come from the chosen server.
//!
//! Beyond WIDE: Reconfigure (RFC 8415 §18.2.11) when configured with
//! kame6's `send reconfigure-accept`, authenticated with the reconfigure
//! key (RKAP) of the server holding the bindings. WIDE's delayed
//! authentication (RFC 3315 §21.4, doc/wide-compat.md §6) is kept for
//! compatibility: `send authentication NAME`.
//!
//! Here: the machine ([`Client`]) and what the shell calls. Its state is a
//! [`State`]; the exchanges (start, retransmit, give up, rate limit) are in
//! `event/exchange.rs`, what it receives in `event/recv.rs`, the messages
//! in `send.rs`, the leases in `ia.rs`, authentication in `auth.rs`.

mod exchange;
mod recv;

use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use libdhcp6::duid::Duid;
use libdhcp6::timing::{CNF_MAX_DELAY, INF_MAX_RT, SOL_MAX_RT};
use libdhcp6::IaKind;

use crate::action::{Action, Counters};
use crate::auth::ClientAuth;
use crate::conf::IfConfig;
use crate::dhcp4o6::Dhcp4o6;
use crate::ia::{self, Binding, HeldLease};
use crate::random::{Draw, RandomSource};
use crate::send::{Advert, Declined};
use crate::state::{Phase, State, Step};

/// The client of one interface. Mirrors dhcp6c.c's `struct dhcp6_if` and
/// its event list.
#[derive(Debug)]
pub struct Client {
    conf: IfConfig,
    duid: Duid,
    rng: Box<dyn RandomSource>,
    state: State,
    /// The Advertises of this session (since the last Solicit began): a
    /// later Request to one of their servers asks for what it offered.
    adverts: Vec<Advert>,
    /// The server holding our bindings (or, stateless, the one that
    /// answered the Information-request).
    server: Option<Duid>,
    bindings: Vec<Binding>,
    sol_max_rt: Duration,
    inf_max_rt: Duration,
    /// Consecutive Solicit rounds that ended with nothing bound.
    failures: u32,
    /// Addresses found duplicated, to Decline once bound.
    declining: Vec<Declined>,
    /// The rate limit's record of recent transmissions (C-151).
    limit: exchange::RateLimit,
    /// Delayed authentication and reconfigure keys.
    auth: ClientAuth,
    /// DHCPv4-over-DHCPv6, when configured.
    v4: Option<Dhcp4o6>,
    /// Statistics.
    pub counters: Counters,
}

impl Client {
    /// A client for `conf` with DUID `duid`, starting at `now` (Init, with
    /// the random delay of C-112 / C-144), drawing its transaction-ids and
    /// delays from `rng`.
    pub fn new(conf: IfConfig, duid: Duid, rng: Box<dyn RandomSource>, now: Instant) -> Self {
        let auth = ClientAuth::new(&conf, now);
        let v4 = conf.dhcp4o6.clone().map(Dhcp4o6::new);
        let mut c = Self {
            conf,
            duid,
            rng,
            state: State::Stopped,
            adverts: Vec::new(),
            server: None,
            bindings: Vec::new(),
            sol_max_rt: SOL_MAX_RT,
            inf_max_rt: INF_MAX_RT,
            failures: 0,
            declining: Vec::new(),
            limit: exchange::RateLimit::default(),
            auth,
            v4,
            counters: Counters::default(),
        };
        c.restart(now, Duration::ZERO);
        c
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.state.phase()
    }

    /// The IAs holding leases.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The interface name.
    pub fn ifname(&self) -> &str {
        &self.conf.ifname
    }

    /// The interface's configuration (to start it again from scratch).
    pub fn config(&self) -> &IfConfig {
        &self.conf
    }

    /// Unix time at `now` on the machine's wall clock.
    #[cfg(test)]
    fn wall(&self, now: Instant) -> Duration {
        self.auth.wall(now)
    }

    /// When [`Client::timeout`] must next be called.
    pub fn next_deadline(&self) -> Option<Instant> {
        let leases = self
            .bindings
            .iter()
            .flat_map(|b| b.leases.iter().filter_map(HeldLease::expires));
        let v4 = self.v4.as_ref().and_then(Dhcp4o6::deadline);
        self.state
            .deadline()
            .into_iter()
            .chain(leases)
            .chain(v4)
            .min()
    }

    /// The 4o6 transport and its DHCPv4 client, when configured.
    pub fn dhcp4o6(&self) -> Option<&Dhcp4o6> {
        self.v4.as_ref()
    }

    /// Timers (mirrors dhcp6c.c:client6_timo and ia.c:ia_timo).
    pub fn timeout(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        self.ia_timo(now, &mut out);
        if let Some(v4) = self.v4.as_mut() {
            v4.timeout(now, self.rng.as_mut(), &mut out);
        }
        match self.state {
            State::Stopped => return out,
            State::Init { wake } if now >= wake => {
                let step = if self.conf.information_only {
                    Step::InformationRequest
                } else {
                    Step::Solicit
                };
                self.start(now, step, None, &mut out);
            }
            State::InfoBound { refresh: Some(at) } if now >= at && self.conf.information_only => {
                self.start(now, Step::InformationRequest, None, &mut out)
            }
            State::ConfirmDelay { wake } if now >= wake => {
                // C-142: prefixes held → Rebind (with Confirm's
                // parameters); addresses only → Confirm (C-140).
                let step = if self.bindings.iter().any(|b| b.kind == IaKind::Pd) {
                    Step::Rebind { link_change: true }
                } else {
                    Step::Confirm
                };
                self.start(now, step, None, &mut out);
            }
            State::Bound(t) if t.renew_at.is_some_and(|at| now >= at) => {
                let server = self.server.clone();
                let step = Step::Renew {
                    rebind_at: t.rebind_at,
                };
                self.start(now, step, server, &mut out);
            }
            _ => {}
        }
        // T2 may have passed too (a machine that slept): Renew gives way at once.
        if let Some(ex) = self.state.exchange() {
            if let Step::Renew {
                rebind_at: Some(t2),
            } = ex.step
            {
                if now >= t2 {
                    let step = Step::Rebind { link_change: false };
                    self.start(now, step, None, &mut out);
                }
            }
        }
        if self.state.exchange().is_some_and(|e| now >= e.next) {
            self.retransmit(now, &mut out);
        }
        out
    }

    /// Removes leases whose valid lifetime ran out (C-130, C-135); when
    /// that leaves a bound client with nothing, it starts over (RFC 8415
    /// §18.2.5). Mirrors ia.c:ia_timo.
    fn ia_timo(&mut self, now: Instant, out: &mut Vec<Action>) {
        let all_gone = ia::ia_timo(&self.conf, &mut self.bindings, now, out);
        if all_gone
            && matches!(
                self.phase(),
                Phase::Bound | Phase::Renew | Phase::Rebind | Phase::Confirm
            )
        {
            self.server = None;
            self.restart(now, Duration::ZERO);
            // C-163: the DHCPv6 configuration that named the 4o6 servers
            // is gone, and 4o6 with it.
            if let Some(v4) = self.v4.as_mut() {
                if v4.running() {
                    out.push(crate::action::Action::Log {
                        level: crate::action::LogLevel::Info,
                        func: "client6_4o6",
                        text: "the DHCPv6 configuration expired: 4o6 stops".into(),
                    });
                }
                v4.stop(out);
            }
        }
    }

    /// The shell found `addr` duplicated by the kernel's DAD (C-131): stop
    /// using it at once and Decline it to the server that gave it
    /// (RFC 8415 §18.2.7), keeping the other leases.
    pub fn dad_failed(&mut self, now: Instant, addr: Ipv6Addr) -> Vec<Action> {
        let mut out = Vec::new();
        let mut hit = None;
        for b in &mut self.bindings {
            if b.kind != IaKind::Pd {
                if let Some(i) = b.leases.iter().position(|l| l.addr == addr) {
                    hit = Some((b.kind, b.iaid, b.leases.remove(i)));
                    break;
                }
            }
        }
        let Some((kind, iaid, lease)) = hit else {
            return out;
        };
        ia::unconfigure(&self.conf, kind, iaid, &lease, &mut out);
        self.bindings.retain(|b| !b.leases.is_empty());
        self.declining.push(Declined { iaid, addr });
        // Declined now if idle; otherwise once the running exchange binds.
        if matches!(self.state, State::Bound(_)) {
            let server = self.server.clone();
            self.start(now, Step::Decline, server, &mut out);
        }
        out
    }

    /// A link came (back) up (RFC 8415 §18.2.3, §18.2.5): the addresses
    /// held go back on the interface with their remaining lifetimes (the
    /// kernel dropped them with the link; they were not found duplicated,
    /// so they are never declined for it), and with leases the client
    /// checks them after a random delay of up to CNF_MAX_DELAY — Confirm,
    /// or Rebind when it holds prefixes (C-140, C-142). A link change
    /// during a check starts the check again.
    pub fn link_up(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        if matches!(self.phase(), Phase::Release | Phase::Stopped) {
            return out;
        }
        ia::reinstall(&self.conf, &self.bindings, now, &mut out);
        if matches!(
            self.phase(),
            Phase::Bound | Phase::Renew | Phase::Rebind | Phase::Confirm
        ) && !self.bindings.is_empty()
        {
            let wake = now + self.rng.upto(CNF_MAX_DELAY);
            self.state = State::ConfirmDelay { wake };
        }
        out
    }

    /// SIGTERM: removes every lease from the system at once, then sends
    /// Release to the binding server (C-143; doc/wide-compat.md §7.3.7).
    pub fn release(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        // The DHCPRELEASE goes first, while the 4o6 servers are known.
        if let Some(v4) = self.v4.as_mut() {
            v4.release(self.rng.as_mut(), &mut out);
        }
        ia::unconfigure_all(&self.conf, &self.bindings, &mut out);
        match self.server.clone() {
            Some(server) if !self.bindings.is_empty() => {
                self.start(now, Step::Release, Some(server), &mut out);
            }
            _ => self.state = State::Stopped,
        }
        out
    }

    /// SIGUSR1 / `-n`: removes the leases from the system without telling
    /// the server.
    pub fn stop(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(v4) = self.v4.as_mut() {
            v4.halt(&mut out);
        }
        ia::unconfigure_all(&self.conf, &self.bindings, &mut out);
        self.bindings.clear();
        self.state = State::Stopped;
        out
    }

    /// A DHCPV4-RESPONSE from `src` (RFC 7341 §9, C-162): for the 4o6
    /// transport; dropped (and counted there) when 4o6 is not running.
    pub fn receive_4o6(
        &mut self,
        now: Instant,
        msg: &libdhcp6::wire::MessageRepr,
        src: Ipv6Addr,
    ) -> Result<Vec<Action>, crate::dhcp4o6::Drop4o6> {
        match self.v4.as_mut() {
            Some(v4) => v4.receive(now, msg, src, self.rng.as_mut()),
            None => Err(crate::dhcp4o6::Drop4o6::Off),
        }
    }

    /// The shell found the leased IPv4 address in use: DHCPDECLINE.
    pub fn decline_4o6(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(v4) = self.v4.as_mut() {
            v4.decline(now, self.rng.as_mut(), &mut out);
        }
        out
    }

    /// A DHCPv6 answer established or refreshed the configuration: its
    /// option 88 starts, redirects or stops 4o6 (C-156, C-163).
    fn configured_4o6(
        &mut self,
        now: Instant,
        msg: &libdhcp6::wire::MessageRepr,
        out: &mut Vec<Action>,
    ) {
        if let Some(v4) = self.v4.as_mut() {
            v4.configured(now, msg, self.rng.as_mut(), out);
        }
    }

    /// True once nothing is outstanding after [`Client::release`] / [`Client::stop`].
    pub fn finished(&self) -> bool {
        matches!(self.state, State::Stopped)
    }
}

#[cfg(test)]
mod tests;
