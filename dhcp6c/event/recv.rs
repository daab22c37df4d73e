//! What the client machine receives (mirrors dhcp6c.c:client6_recv):
//! checks common to every message, then the Advertise
//! ([`Client::client6_recvadvert`]), the Reply
//! ([`Client::client6_recvreply`]) and the Reconfigure
//! ([`Client::client6_recvreconfig`]).

use std::time::{Duration, Instant};

use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::duid::Duid;
use libdhcp6::timing::{accept_max_rt, IRT_DEFAULT, IRT_MINIMUM};
use libdhcp6::wire::{MessageRepr, OptionRepr, INFINITY};
use libdhcp6::IaKind;

use super::Client;
use crate::action::{Action, Delivery, DropReason, LogLevel};
use crate::ia::{self, find_ia, secs, usable};
use crate::script::{info_lines, script_env};
use crate::send::{offers_reconfigure_accept, Advert};
use crate::state::{Exchange, State, Step};

impl Client {
    /// A datagram received by unicast (the tests' shorthand).
    #[cfg(test)]
    pub fn receive(&mut self, now: Instant, bytes: &[u8]) -> Result<Vec<Action>, DropReason> {
        self.receive_on(now, bytes, Delivery::Unicast)
    }

    /// A received datagram and how it was addressed (mirrors
    /// dhcp6c.c:client6_recv).
    pub fn receive_on(
        &mut self,
        now: Instant,
        bytes: &[u8],
        delivery: Delivery,
    ) -> Result<Vec<Action>, DropReason> {
        let r = self.receive_inner(now, bytes, delivery);
        if let Some(&t) = bytes.first() {
            self.counters.count_received(t, r.is_ok());
        }
        match &r {
            Ok(_) => self.counters.accepted += 1,
            Err(d) => {
                if let Some(i) = DropReason::ALL.iter().position(|x| x == d) {
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
        bytes: &[u8],
        delivery: Delivery,
    ) -> Result<Vec<Action>, DropReason> {
        // A Reconfigure Message option naming anything but Renew, Rebind
        // or Information-request fails here (C-148, C-017).
        let msg = MessageRepr::from_bytes(bytes).map_err(|_| DropReason::Malformed)?;
        if msg.msg_type == MessageType::Reconfigure {
            return self.client6_recvreconfig(now, bytes, &msg, delivery);
        }
        if !matches!(msg.msg_type, MessageType::Advertise | MessageType::Reply) {
            return Err(DropReason::WrongType);
        }
        let ex = self
            .state
            .exchange()
            .filter(|e| e.xid == msg.transaction_id)
            .cloned()
            .ok_or(DropReason::Xid)?;
        // C-121 / C-126: our Client ID, a Server ID.
        if msg.client_id() != Some(&self.duid) {
            return Err(DropReason::ClientId);
        }
        let server = msg.server_id().cloned().ok_or(DropReason::ServerId)?;
        // A Reply must come from the server we are talking to (WIDE does
        // not check, doc/wide-compat.md §9.2 item 7).
        if matches!(
            ex.kind(),
            MessageType::Request | MessageType::Renew | MessageType::Decline
        ) && ex.server.as_ref() != Some(&server)
        {
            return Err(DropReason::ServerId);
        }
        let soliciting = ex.step == Step::Solicit;
        let key = self
            .auth
            .authenticate(now, bytes, soliciting, &server, self.server.as_ref())?;
        self.take_max_rt(&msg);
        let mut out = Vec::new();
        match (msg.msg_type, &ex.step) {
            (MessageType::Advertise, Step::Solicit) => {
                self.client6_recvadvert(now, &ex, msg, server, key, &mut out)?
            }
            (MessageType::Advertise, _) => return Err(DropReason::Ignored),
            (MessageType::Reply, Step::Solicit) => {
                // C-127: only a rapid-commit Reply, and only if we asked.
                if !self.conf.rapid_commit || msg.option(OptionCode::RapidCommit).is_none() {
                    return Err(DropReason::Ignored);
                }
                // The key that authenticated it is this session's.
                self.auth.choose(key);
                self.client6_recvreply(now, &ex, msg, server, &mut out)?
            }
            _ => self.client6_recvreply(now, &ex, msg, server, &mut out)?,
        }
        Ok(out)
    }

    /// C-122/C-123: SOL_MAX_RT / INF_MAX_RT, even from useless messages;
    /// a running Solicit takes the new SOL_MAX_RT at once.
    fn take_max_rt(&mut self, msg: &MessageRepr) {
        for opt in &msg.options {
            match opt {
                OptionRepr::SolMaxRt(v) => {
                    if let Some(d) = accept_max_rt(*v) {
                        self.sol_max_rt = d;
                        if let State::Exchanging(e) = &mut self.state {
                            if e.step == Step::Solicit {
                                e.params.mrt = d;
                            }
                        }
                    }
                }
                OptionRepr::InfMaxRt(v) => {
                    if let Some(d) = accept_max_rt(*v) {
                        self.inf_max_rt = d;
                    }
                }
                _ => {}
            }
        }
    }

    /// A Reconfigure (RFC 8415 §18.2.11, §16.11; WIDE drops them all). Taken
    /// only when we offered Reconfigure Accept, and only if it was unicast
    /// to us, names us and the server holding our binding, asks for Renew,
    /// Rebind or Information-request, and carries that server's RKAP digest
    /// with a replay value above the last one it sent (C-148, C-172 …
    /// C-174). It starts the exchange it asks for as if T1 had passed,
    /// never giving up leases because of it (C-149); while any exchange
    /// runs, Reconfigures are dropped unchecked (C-150).
    fn client6_recvreconfig(
        &mut self,
        now: Instant,
        bytes: &[u8],
        msg: &MessageRepr,
        delivery: Delivery,
    ) -> Result<Vec<Action>, DropReason> {
        if !self.conf.reconfigure_accept {
            return Err(DropReason::WrongType);
        }
        if delivery != Delivery::Unicast {
            return Err(DropReason::Multicast);
        }
        if msg.client_id() != Some(&self.duid) {
            return Err(DropReason::ClientId);
        }
        let server = msg.server_id().ok_or(DropReason::ServerId)?;
        if self.server.as_ref() != Some(server) {
            return Err(DropReason::ServerId);
        }
        let kind = msg
            .options
            .iter()
            .find_map(|o| match o {
                OptionRepr::ReconfMsg(t) => Some(*t),
                _ => None,
            })
            .ok_or(DropReason::Malformed)?;
        // The exchange asked for, from where the machine is: a bound client
        // renews with T2 as its end; a stateless client has nothing to
        // renew or rebind.
        let step = match (&self.state, kind) {
            (State::Bound(t), MessageType::Renew) => Step::Renew {
                rebind_at: t.rebind_at,
            },
            (State::Bound(_), MessageType::Rebind) => Step::Rebind { link_change: false },
            (State::Bound(_) | State::InfoBound { .. }, MessageType::InformationRequest) => {
                Step::InformationRequest
            }
            (State::InfoBound { .. }, _) => return Err(DropReason::Ignored),
            (State::Bound(_), _) => return Err(DropReason::Malformed),
            _ => return Err(DropReason::Busy),
        };
        self.auth.verify_reconfigure(bytes, server)?;
        let server = server.clone();
        let mut out = vec![Action::Log {
            level: LogLevel::Notice,
            func: "client6_recvreconfig",
            text: format!(
                "{}: Reconfigure from {server}: starting {kind}",
                self.conf.ifname
            ),
        }];
        // Renew and Information-request name the server (C-149); Rebind
        // goes to any server.
        let to = (kind != MessageType::Rebind).then_some(server);
        self.start_exchange(now, step, to, true, &mut out);
        Ok(out)
    }

    /// Mirrors dhcp6c.c:client6_recvadvert.
    fn client6_recvadvert(
        &mut self,
        now: Instant,
        ex: &Exchange,
        msg: MessageRepr,
        server: Duid,
        key: Option<usize>,
        out: &mut Vec<Action>,
    ) -> Result<(), DropReason> {
        if self.adverts.iter().any(|a| a.server == server) {
            return Err(DropReason::Ignored);
        }
        let offered = self
            .conf
            .ias
            .iter()
            .filter(|ia| find_ia(&msg, ia.kind, ia.iaid).is_some_and(|i| usable(i) > 0))
            .count();
        // C-122 / C-139: an Advertise with nothing usable (only status
        // codes, top-level or inside the IA) is not selected.
        if offered == 0 {
            return Err(DropReason::Ignored);
        }
        let preference = msg
            .options
            .iter()
            .find_map(|o| match o {
                OptionRepr::Preference(p) => Some(*p),
                _ => None,
            })
            .unwrap_or(0);
        self.adverts.push(Advert {
            server,
            preference,
            offered,
            msg,
            key,
        });
        // C-119: preference 255 at once; C-118: after the first RT any
        // usable Advertise ends the Solicit at once.
        if preference == 255 || ex.rs.sent > 1 {
            self.select(now, out);
        }
        Ok(())
    }

    /// Picks the best Advertise and sends Request (C-120): the most IAs
    /// offered first (a server giving both beats one giving only the
    /// prefix), then the highest preference, then the earliest.
    pub(super) fn select(&mut self, now: Instant, out: &mut Vec<Action>) {
        let best = self
            .adverts
            .iter()
            .enumerate()
            .max_by_key(|(i, a)| (a.offered, a.preference, std::cmp::Reverse(*i)))
            .map(|(_, a)| (a.server.clone(), a.key));
        if let Some((server, key)) = best {
            // RFC 3315 §21.4.4.3: the key the chosen server used is the
            // session's from now on.
            self.auth.choose(key);
            self.start(now, Step::Request, Some(server), out);
        }
    }

    /// Mirrors dhcp6c.c:client6_recvreply: the Replies that end an
    /// exchange without binding (Confirm, Decline, Release,
    /// Information-request) here, the binding ones in
    /// [`Client::recvreply_ias`].
    fn client6_recvreply(
        &mut self,
        now: Instant,
        ex: &Exchange,
        msg: MessageRepr,
        server: Duid,
        out: &mut Vec<Action>,
    ) -> Result<(), DropReason> {
        let top = msg.options.iter().find_map(|o| match o {
            OptionRepr::StatusCode(s) => Some(s.status),
            _ => None,
        });
        // UnspecFail / UseMulticast: keep retransmitting (we always use
        // multicast, so UseMulticast changes nothing, C-153).
        if matches!(top, Some(Status::UnspecFail) | Some(Status::UseMulticast))
            && ex.step != Step::Release
        {
            return Err(DropReason::Ignored);
        }
        // The key comes in the Reply to a message that offered to take
        // Reconfigure (RFC 8415 §20.4.3).
        if offers_reconfigure_accept(ex.kind()) {
            self.auth
                .take_reconfigure_key(&server, self.server.as_ref(), &msg, out);
        }
        let reason = ex.step.phase();
        match ex.step {
            Step::Confirm => {
                // C-141: NotOnLink → the leases are useless here: drop
                // them and solicit; any other answer confirms them.
                if top == Some(Status::NotOnLink) {
                    ia::unconfigure_all(&self.conf, &self.bindings, out);
                    self.bindings.clear();
                    self.server = None;
                    self.restart(now, Duration::ZERO);
                } else {
                    self.rebound(now);
                }
            }
            // Any Reply ends a Decline (RFC 8415 §18.2.8).
            Step::Decline => self.declined(now),
            Step::Release => {
                // C-143: any Reply ends it, NoBinding included.
                self.state = State::Stopped;
                out.push(Action::Script(script_env(reason, &msg)));
            }
            Step::InformationRequest if !self.conf.information_only => {
                // A bound client asked by Reconfigure for new information:
                // the bindings and their timers go on (C-149).
                self.rebound(now);
                self.configured_4o6(now, &msg, out);
                out.push(Action::Script(script_env(reason, &msg)));
            }
            Step::InformationRequest => {
                // C-145: option 32 below 600 → 600; absent → 86400.
                let refresh = msg.options.iter().find_map(|o| match o {
                    OptionRepr::InformationRefreshTime(v) => Some(*v),
                    _ => None,
                });
                let refresh = match refresh {
                    Some(INFINITY) => None,
                    Some(v) => Some(now + secs(v).max(IRT_MINIMUM)),
                    None => Some(now + IRT_DEFAULT),
                };
                self.state = State::InfoBound { refresh };
                // The server a Reconfigure must come from (RFC 8415 §18.2.11).
                self.server = Some(server);
                self.configured_4o6(now, &msg, out);
                out.push(Action::Info(info_lines(&msg)));
                out.push(Action::Script(script_env(reason, &msg)));
            }
            Step::Solicit | Step::Request | Step::Renew { .. } | Step::Rebind { .. } => {
                self.recvreply_ias(now, ex, &msg, server, out)
            }
        }
        Ok(())
    }

    /// A Reply that binds: each configured IA it carries is applied
    /// (ia.c:update_ia); NoBinding to a Renew or Rebind asks again with a
    /// Request (C-136); the client is bound if anything is held.
    fn recvreply_ias(
        &mut self,
        now: Instant,
        ex: &Exchange,
        msg: &MessageRepr,
        server: Duid,
        out: &mut Vec<Action>,
    ) {
        let mut need_request = false;
        let mut answered: Vec<(IaKind, u32)> = Vec::new();
        for ia in &self.conf.ias {
            let Some(got) = find_ia(msg, ia.kind, ia.iaid) else {
                // Left alone: a Reply lacking an IA does not drop what we hold.
                continue;
            };
            // C-128
            if got.t2 != 0 && got.t1 > got.t2 {
                continue;
            }
            match got.status().map(|s| s.status) {
                Some(Status::NoBinding) => {
                    if matches!(ex.step, Step::Renew { .. } | Step::Rebind { .. }) {
                        need_request = true;
                    }
                    continue;
                }
                Some(Status::Success) | None => {}
                // NoAddrsAvail / NoPrefixAvail and the rest: keep what we
                // have until it expires (C-138).
                Some(_) => continue,
            }
            ia::update_ia(&self.conf, &mut self.bindings, now, ia, got, out);
            answered.push((ia.kind, ia.iaid));
        }
        if need_request {
            // C-136: Request with all IAs to the server that sent NoBinding.
            self.start(now, Step::Request, Some(server), out);
            return;
        }
        // IAs we hold that this Reply did not renew (missing, or refused
        // with a status) are retried at the next T1, not at once: their
        // old T1 has passed and would start another Renew immediately
        // (RFC 8415 §18.2.10.1: retry later, rate-limited). Their leases
        // still expire on their own clocks.
        for b in &mut self.bindings {
            if !answered.contains(&(b.kind, b.iaid)) {
                b.got = now;
            }
        }
        let reason = ex.step.phase();
        if self.bindings.is_empty() {
            // Nothing bound. WIDE re-Solicits at once, forever; we back off.
            self.failures = self.failures.saturating_add(1);
            self.server = None;
            let hold = self.holddown();
            self.restart(now, hold);
            out.push(Action::Script(script_env(reason, msg)));
            return;
        }
        self.failures = 0;
        self.server = Some(server);
        self.rebound(now);
        self.configured_4o6(now, msg, out);
        out.push(Action::Script(script_env(reason, msg)));
        if !self.declining.is_empty() {
            let server = self.server.clone();
            self.start(now, Step::Decline, server, out);
        }
    }
}
