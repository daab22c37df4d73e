//! The DHCPv6 half of DHCPv4-over-DHCPv6 (RFC 7341 §5, §9; checklist
//! C-155 … C-163): it learns option 88 from the DHCPv6 machine's answers,
//! wraps what the DHCPv4 machine ([`crate::dhcp4::Machine`]) sends in
//! DHCPV4-QUERY messages to the servers option 88 names, and unwraps
//! DHCPV4-RESPONSEs for it. Option 88 itself is asked for by the
//! configuration (`request dhcp4o6-server-address;` puts it in every ORO,
//! C-155); this module adds nothing to DHCPv6 messages.
//!
//! - No query before an answer carried option 88 (C-156); one to every
//!   unique address it lists, a repeated address once (C-158: a server
//!   listed twice must not get twice the traffic); to ff02::1:2 from the
//!   link-local address when it is empty (C-157).
//! - Exactly one DHCPv4-msg option and no ORO in a query (C-159); the U
//!   flag as the DHCPv4 machine says (C-160).
//! - A response without exactly one option 87, with one that is not a
//!   DHCPv4 message, or from an address we did not send to, is dropped and
//!   counted (C-162); its flags are ignored.
//! - A renewed or rebound DHCPv6 configuration without option 88, or its
//!   end, stops 4o6: the DHCPv4 lease is given up locally (C-163).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use libdhcp6::codes::{MessageType, OptionCode};
use libdhcp6::dhcp4::PacketRepr;
use libdhcp6::wire::{MessageRepr, OptionRepr, DHCPV4_QUERY_UNICAST};

use crate::action::Action;
use crate::dhcp4::{Conf4, Drop4, Event4, Machine};
use crate::random::RandomSource;

/// What the DHCPv6 machine's configuration says of 4o6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conf4o6 {
    /// The DHCPv4 client's identity and parameter request list.
    pub conf4: Conf4,
    /// The address remembered from a lease still valid before a restart
    /// (INIT-REBOOT).
    pub remembered: Option<Ipv4Addr>,
}

/// Why a DHCPV4-RESPONSE was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drop4o6 {
    /// 4o6 is not running (no option 88 seen, or stopped).
    Off,
    /// Not exactly one DHCPv4-msg option (C-162).
    Dhcpv4MsgCount,
    /// The DHCPv4-msg option is not a DHCPv4 message.
    Malformed,
    /// From an address no query went to.
    NotAsked,
    /// The DHCPv4 machine's reason.
    Machine(Drop4),
}

impl Drop4o6 {
    /// All reasons, for the counters log.
    pub const ALL: [Drop4o6; 10] = [
        Drop4o6::Off,
        Drop4o6::Dhcpv4MsgCount,
        Drop4o6::Malformed,
        Drop4o6::NotAsked,
        Drop4o6::Machine(Drop4::NotReply),
        Drop4o6::Machine(Drop4::Xid),
        Drop4o6::Machine(Drop4::Chaddr),
        Drop4o6::Machine(Drop4::ClientId),
        Drop4o6::Machine(Drop4::ServerId),
        Drop4o6::Machine(Drop4::Ignored),
    ];

    /// Short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Drop4o6::Off => "4o6 not running",
            Drop4o6::Dhcpv4MsgCount => "not one DHCPv4-msg",
            Drop4o6::Malformed => "malformed DHCPv4-msg",
            Drop4o6::NotAsked => "server not asked",
            Drop4o6::Machine(Drop4::NotReply) => "not a DHCPv4 reply",
            Drop4o6::Machine(Drop4::Xid) => "DHCPv4 xid",
            Drop4o6::Machine(Drop4::Chaddr) => "DHCPv4 chaddr",
            Drop4o6::Machine(Drop4::ClientId) => "DHCPv4 client identifier",
            Drop4o6::Machine(Drop4::ServerId) => "DHCPv4 server identifier",
            Drop4o6::Machine(Drop4::Ignored) => "DHCPv4 ignored",
        }
    }
}

/// 4o6 packets and drops, for the SIGUSR1 log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters4o6 {
    /// DHCPV4-QUERY messages sent (one per destination).
    pub sent: u64,
    /// DHCPV4-RESPONSE messages accepted.
    pub accepted: u64,
    /// Drops by reason, in [`Drop4o6::ALL`] order.
    pub dropped: [u64; Drop4o6::ALL.len()],
}

/// The 4o6 transport of one interface and the DHCPv4 machine it carries.
#[derive(Debug)]
pub struct Dhcp4o6 {
    conf: Conf4o6,
    /// Where queries go: the unique addresses of the last option 88 (empty:
    /// ff02::1:2); `None` while 4o6 is off.
    servers: Option<Vec<Ipv6Addr>>,
    /// The DHCPv4 machine, once 4o6 started.
    machine: Option<Machine>,
    /// Statistics.
    pub counters: Counters4o6,
}

impl Dhcp4o6 {
    /// 4o6 wanted, not running yet (C-156).
    pub fn new(conf: Conf4o6) -> Self {
        Self {
            conf,
            servers: None,
            machine: None,
            counters: Counters4o6::default(),
        }
    }

    /// True while queries may be sent.
    pub fn running(&self) -> bool {
        self.servers.is_some()
    }

    /// The DHCPv4 machine's state, for logs.
    pub fn state_name(&self) -> &'static str {
        self.machine.as_ref().map_or("OFF", Machine::state_name)
    }

    /// A DHCPv6 answer that (re)established the configuration: option 88
    /// starts or redirects 4o6, its absence stops it (C-163).
    pub fn configured(
        &mut self,
        now: Instant,
        msg: &MessageRepr,
        rng: &mut dyn RandomSource,
        out: &mut Vec<Action>,
    ) {
        let listed = msg.options.iter().find_map(|o| match o {
            OptionRepr::Addresses { code, addrs } if *code == OptionCode::Dhcp4o6ServerAddr => {
                Some(addrs.clone())
            }
            _ => None,
        });
        let Some(listed) = listed else {
            if self.running() {
                out.push(log(
                    "the DHCPv6 configuration no longer has option 88: 4o6 stops",
                ));
            }
            self.stop(out);
            return;
        };
        // C-158: each address once, in the server's order.
        let mut unique: Vec<Ipv6Addr> = Vec::new();
        for a in listed {
            if !unique.contains(&a) {
                unique.push(a);
            }
        }
        if self.servers.as_ref() != Some(&unique) {
            let to = if unique.is_empty() {
                "ff02::1:2".to_string()
            } else {
                unique
                    .iter()
                    .map(Ipv6Addr::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            out.push(log(&format!("DHCPv4-over-DHCPv6 servers: {to}")));
        }
        self.servers = Some(unique);
        if self.machine.is_none() {
            let m = Machine::new(
                self.conf.conf4.clone(),
                self.conf.remembered.take(),
                now,
                rng,
            );
            self.machine = Some(m);
        }
    }

    /// The DHCPv6 configuration ended, or 4o6 stops for another reason:
    /// the DHCPv4 lease is given up locally and nothing more is sent.
    pub fn stop(&mut self, out: &mut Vec<Action>) {
        self.servers = None;
        if let Some(mut m) = self.machine.take() {
            // The address may still be valid: a later start asks for it again.
            self.conf.remembered = m.lease().map(|l| l.addr);
            let ev = m.stop();
            self.perform(ev, out);
        }
    }

    /// Exit: DHCPRELEASE (if a lease is held and 4o6 runs), then off.
    pub fn release(&mut self, rng: &mut dyn RandomSource, out: &mut Vec<Action>) {
        if let Some(m) = self.machine.as_mut() {
            let ev = m.release(rng);
            self.perform(ev, out);
        }
        self.machine = None;
        self.servers = None;
    }

    /// Exit without releasing.
    pub fn halt(&mut self, out: &mut Vec<Action>) {
        self.stop(out);
    }

    /// The shell found the leased address in use: DHCPDECLINE.
    pub fn decline(&mut self, now: Instant, rng: &mut dyn RandomSource, out: &mut Vec<Action>) {
        if let Some(m) = self.machine.as_mut() {
            let ev = m.decline(now, rng);
            self.perform(ev, out);
        }
    }

    /// When [`Dhcp4o6::timeout`] must next run.
    pub fn deadline(&self) -> Option<Instant> {
        self.machine.as_ref().and_then(Machine::deadline)
    }

    /// The DHCPv4 machine's timers.
    pub fn timeout(&mut self, now: Instant, rng: &mut dyn RandomSource, out: &mut Vec<Action>) {
        if let Some(m) = self.machine.as_mut() {
            let ev = m.timeout(now, rng);
            self.perform(ev, out);
        }
    }

    /// A DHCPV4-RESPONSE from `src` (C-162).
    pub fn receive(
        &mut self,
        now: Instant,
        msg: &MessageRepr,
        src: Ipv6Addr,
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<Action>, Drop4o6> {
        let r = self.receive_inner(now, msg, src, rng);
        match &r {
            Ok(_) => self.counters.accepted += 1,
            Err(d) => {
                if let Some(i) = Drop4o6::ALL.iter().position(|x| x == d) {
                    if let Some(c) = self.counters.dropped.get_mut(i) {
                        *c += 1;
                    }
                }
            }
        }
        r
    }

    fn receive_inner(
        &mut self,
        now: Instant,
        msg: &MessageRepr,
        src: Ipv6Addr,
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<Action>, Drop4o6> {
        let servers = self.servers.as_ref().ok_or(Drop4o6::Off)?;
        // Queries went by multicast when the list is empty: any server on
        // the link (or a relay) may answer then.
        if !servers.is_empty() && !servers.contains(&src) {
            return Err(Drop4o6::NotAsked);
        }
        // RFC 7341 §6.2: the flags field is unused; ignored (C-162).
        let mut bodies = msg.options.iter().filter_map(|o| match o {
            OptionRepr::Dhcpv4Msg(b) => Some(b),
            _ => None,
        });
        let (Some(body), None) = (bodies.next(), bodies.next()) else {
            return Err(Drop4o6::Dhcpv4MsgCount);
        };
        let v4 = PacketRepr::from_bytes(body).map_err(|_| Drop4o6::Malformed)?;
        let m = self.machine.as_mut().ok_or(Drop4o6::Off)?;
        let ev = m.receive(now, &v4, rng).map_err(Drop4o6::Machine)?;
        let mut out = Vec::new();
        self.perform(ev, &mut out);
        Ok(out)
    }

    /// The DHCPv4 machine's events as the shell's actions: each message
    /// in a DHCPV4-QUERY to every destination (C-157 … C-160).
    fn perform(&mut self, events: Vec<Event4>, out: &mut Vec<Action>) {
        for e in events {
            match e {
                Event4::Send { msg, unicast } => {
                    let Some(servers) = &self.servers else {
                        continue;
                    };
                    let q = MessageRepr {
                        msg_type: MessageType::Dhcpv4Query,
                        transaction_id: if unicast { DHCPV4_QUERY_UNICAST } else { 0 },
                        options: vec![OptionRepr::Dhcpv4Msg(msg)],
                    };
                    let Ok(bytes) = q.to_vec() else { continue };
                    if servers.is_empty() {
                        out.push(Action::Send(bytes.clone()));
                        self.counters.sent += 1;
                    }
                    for s in servers {
                        out.push(Action::SendTo {
                            to: *s,
                            bytes: bytes.clone(),
                        });
                        self.counters.sent += 1;
                    }
                }
                Event4::Lease(c) => out.push(Action::Lease4(c)),
            }
        }
    }
}

fn log(text: &str) -> Action {
    Action::Log {
        level: crate::action::LogLevel::Info,
        func: "client6_4o6",
        text: text.to_string(),
    }
}

#[cfg(test)]
mod tests;
