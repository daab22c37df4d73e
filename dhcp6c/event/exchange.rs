//! The exchanges of the client machine (RFC 8415 §15, §18): starting one
//! with a fresh transaction-id and its retransmission parameters,
//! retransmitting, giving up, and the rate limit on everything sent.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use libdhcp6::duid::Duid;
use libdhcp6::timing::{Retransmit, INF_MAX_DELAY, REB_MAX_RT, SOL_MAX_DELAY};

use super::Client;
use crate::action::Action;
use crate::ia::{self, Timers};
use crate::random::Draw;
use crate::send::{self, Outgoing};
use crate::state::{Exchange, State, Step};

/// Rate limit: at most this many messages per [`RATE_WINDOW`] (C-151).
pub const RATE_LIMIT: usize = 20;
/// Rate limit window.
pub const RATE_WINDOW: Duration = Duration::from_secs(20);
/// Longest hold-down before soliciting again after a server gave nothing.
const MAX_HOLDDOWN: Duration = Duration::from_secs(300);

/// The times of the transmissions within the last [`RATE_WINDOW`].
#[derive(Debug, Clone, Default)]
pub struct RateLimit {
    sent: VecDeque<Instant>,
}

impl RateLimit {
    /// True if one more message may leave at `now`.
    fn admit(&mut self, now: Instant) -> bool {
        while self
            .sent
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= RATE_WINDOW)
        {
            self.sent.pop_front();
        }
        self.sent.len() < RATE_LIMIT
    }

    /// A message left at `now`.
    fn record(&mut self, now: Instant) {
        self.sent.push_back(now);
    }
}

impl Client {
    /// Back to Init: waits `holddown` plus the random initial delay. A new
    /// Solicit is a new session: the delayed-authentication key is chosen
    /// again (RFC 3315 §21.4.3).
    pub(super) fn restart(&mut self, now: Instant, holddown: Duration) {
        self.adverts.clear();
        self.auth.new_session();
        let max = if self.conf.information_only {
            INF_MAX_DELAY
        } else {
            SOL_MAX_DELAY
        };
        let wake = now + holddown + self.rng.upto(max);
        self.state = State::Init { wake };
    }

    /// Back to Bound with the leases held, timers from them.
    pub(super) fn rebound(&mut self, now: Instant) {
        self.state = State::Bound(Timers::of(&self.bindings, now));
    }

    /// The Decline exchange ended (answered or not).
    pub(super) fn declined(&mut self, now: Instant) {
        self.declining.clear();
        if self.bindings.is_empty() {
            self.failures = self.failures.saturating_add(1);
            self.server = None;
            let hold = self.holddown();
            self.restart(now, hold);
        } else {
            self.rebound(now);
        }
    }

    /// Hold-down before soliciting again after repeated failures: doubles
    /// from 1 s up to SOL_MAX_RT (at most five minutes), so a server that
    /// keeps refusing is not hammered (WIDE re-Solicits every 1–2 s).
    pub(super) fn holddown(&self) -> Duration {
        if self.failures == 0 {
            return Duration::ZERO;
        }
        let d = Duration::from_secs(1u64 << self.failures.min(16));
        d.min(self.sol_max_rt).min(MAX_HOLDDOWN)
    }

    /// Begins an exchange (new transaction-id, C-117) with `server`.
    pub(super) fn start(
        &mut self,
        now: Instant,
        step: Step,
        server: Option<Duid>,
        out: &mut Vec<Action>,
    ) {
        self.start_exchange(now, step, server, false, out);
    }

    /// [`Client::start`], marking exchanges a Reconfigure asked for.
    pub(super) fn start_exchange(
        &mut self,
        now: Instant,
        step: Step,
        server: Option<Duid>,
        reconf: bool,
        out: &mut Vec<Action>,
    ) {
        let params = self.params(now, &step, reconf);
        let r = self.rng.rand();
        // MRD bounds the first wait too (Retransmit::start): a Rebind a
        // Reconfigure started with 8 s left before T1 ends at T1.
        let rs = if step == Step::Solicit {
            self.adverts.clear();
            params.start_solicit(r)
        } else {
            params.start(r)
        };
        let ex = Exchange {
            step,
            xid: self.rng.xid(),
            first: now,
            next: now + rs.rt,
            params,
            rs,
            server,
            reconf,
            auth_noted: false,
        };
        self.state = State::Exchanging(ex);
        self.transmit(now, out);
    }

    /// The retransmission parameters of `step` started at `now` (RFC 8415
    /// §15, §18.2): Renew runs until T2, Rebind until the leases end, and
    /// exchanges a Reconfigure started on a bound client until its T1.
    fn params(&self, now: Instant, step: &Step, reconf: bool) -> Retransmit {
        let bound_reconf = reconf && !self.conf.information_only;
        let until = |t: Option<Instant>| {
            t.map(|t| t.saturating_duration_since(now))
                .unwrap_or(Duration::ZERO)
        };
        match step {
            Step::Solicit => Retransmit {
                mrt: self.sol_max_rt,
                ..Retransmit::SOLICIT
            },
            Step::Request => Retransmit::REQUEST,
            Step::Renew { rebind_at } => Retransmit::renew(until(*rebind_at)),
            Step::Confirm | Step::Rebind { link_change: true } => Retransmit::CONFIRM,
            Step::Rebind { .. } if bound_reconf => Retransmit::rebind(self.reconf_deadline(now)),
            Step::Rebind { .. } => Retransmit::rebind(until(ia::last_expiry(&self.bindings))),
            Step::Release => Retransmit::RELEASE,
            Step::Decline => Retransmit::DECLINE,
            Step::InformationRequest if bound_reconf => Retransmit {
                mrt: self.inf_max_rt,
                mrd: self.reconf_deadline(now),
                ..Retransmit::INFORMATION_REQUEST
            },
            Step::InformationRequest => Retransmit {
                mrt: self.inf_max_rt,
                ..Retransmit::INFORMATION_REQUEST
            },
        }
    }

    /// How long an exchange a Reconfigure started on a bound interface may
    /// run: until the binding's own T1 (then Renew as usual), else T2, else
    /// the end of the leases; never unbounded, so it cannot hold off the
    /// binding's timers.
    fn reconf_deadline(&self, now: Instant) -> Duration {
        let timers = match &self.state {
            State::Bound(t) => Some(t),
            _ => None,
        };
        timers
            .and_then(|t| t.renew_at.or(t.rebind_at))
            .or_else(|| ia::last_expiry(&self.bindings))
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or(REB_MAX_RT)
            .max(Duration::from_secs(1))
    }

    /// The running exchange's retransmission time came.
    pub(super) fn retransmit(&mut self, now: Instant, out: &mut Vec<Action>) {
        let State::Exchanging(ex) = &self.state else {
            return;
        };
        if ex.step == Step::Solicit && !self.adverts.is_empty() {
            // The first RT is over: take the best Advertise (C-118).
            self.select(now, out);
            return;
        }
        let elapsed = now.saturating_duration_since(ex.first);
        let r = self.rng.rand();
        let State::Exchanging(ex) = &mut self.state else {
            return;
        };
        match ex.params.next(&mut ex.rs, elapsed, r) {
            Some(rt) => {
                ex.next = now + rt;
                self.transmit(now, out);
            }
            None => {
                let (step, reconf) = (ex.step.clone(), ex.reconf);
                self.exchange_failed(now, step, reconf, out)
            }
        }
    }

    /// The exchange of `step` ran out of retransmissions (RFC 8415 §15).
    fn exchange_failed(&mut self, now: Instant, step: Step, reconf: bool, out: &mut Vec<Action>) {
        match step {
            // WIDE stays idle here forever (doc/wide-compat.md §9.2 item 7).
            Step::Request => {
                self.failures = self.failures.saturating_add(1);
                self.restart(now, self.holddown());
            }
            // Renew ends at T2: Rebind takes over.
            Step::Renew { .. } => self.start(now, Step::Rebind { link_change: false }, None, out),
            // After a link change no answer means nothing changed: keep
            // the leases (C-141; RFC 8415 §18.2.3, §18.2.5).
            Step::Confirm | Step::Rebind { link_change: true } => self.rebound(now),
            // A Rebind or Information-request a Reconfigure asked for ran
            // out: the Reconfigure is simply dropped and the leases kept
            // (RFC 8415 §18.2.11); T1 renews them as usual.
            Step::Rebind { .. } | Step::InformationRequest
                if reconf && !self.conf.information_only =>
            {
                self.rebound(now)
            }
            // Rebind ends when the leases end; ia_timo() restarts us.
            Step::Rebind { .. } => self.state = State::RebindEnded,
            Step::Release => self.state = State::Stopped,
            Step::Decline => self.declined(now),
            Step::Solicit | Step::InformationRequest => self.restart(now, Duration::ZERO),
        }
    }

    /// Queues the running exchange's message unless the rate limit
    /// (C-151) holds it back.
    pub(super) fn transmit(&mut self, now: Instant, out: &mut Vec<Action>) {
        let State::Exchanging(ex) = &mut self.state else {
            return;
        };
        if !self.limit.admit(now) {
            self.counters.rate_limited += 1;
            return;
        }
        let o = Outgoing {
            conf: &self.conf,
            duid: &self.duid,
            bindings: &self.bindings,
            adverts: &self.adverts,
            declining: &self.declining,
        };
        if send::client6_send(&o, ex, &mut self.auth, now, out) {
            self.limit.record(now);
            self.counters.count_sent(u8::from(ex.kind()), ex.rs.sent);
        }
    }
}
