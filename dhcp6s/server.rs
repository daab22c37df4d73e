//! The server: everything it owns, and the socket-free half of its receive
//! path. `server6_recv` checks and unwraps a datagram
//! (`process_relayforw`), finds the client's scope, calls the `react_*`
//! handler for the message type on the bindings, settles the
//! Authentication option and wraps the answer for the way back. Mirrors
//! dhcp6s.c. The top of dhcp6s: it uses every other module; none uses it.

use std::net::SocketAddrV6;
use std::sync::Arc;

use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::config::ServerConfig;
use libdhcp6::ctl::ReconfigureType;
use libdhcp6::duid::Duid;
use libdhcp6::lease::{BindingKey, CommitError, IaKind, LeaseStore, Resource};
use libdhcp6::request::{ClientMsg, RequestError};
use libdhcp6::wire::{
    decapsulate_into, emit_header, encapsulate_reply, IaAddr, IaPrefix, OptionRepr, RelayChain,
    StatusCode, Writer, CLIENT_PORT, SERVER_PORT,
};
use libdhcp6::{log_err, log_notice};

use crate::answer::{timers, Answer, IaAnswer, Incoming, Info, Outgoing, Request, Timers};
use crate::auth::{
    emit_reply_auth, reconfigure_enabled, signing_secret, Exchange, ReplyAuth, ServerAuth,
};
use crate::dhcp4o6::{forw_dhcpv4_query, Forwarder};
use crate::pools::Pools;
use crate::react::Bindings;
use crate::reconf::{ReconfContext, Reconfigures};
use crate::scope::{Directory, Scoped, Served};
use crate::stats::LinkStats;

/// How long a declined address stays out of use (Kea's default probation).
pub const DECLINE_QUARANTINE: u32 = 86400;

/// Why a datagram got no answer. Each has a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Does not parse.
    Malformed,
    /// Arrived on an interface we do not serve.
    NotServedInterface,
    /// A type servers never answer (C-039, C-040).
    UnexpectedType,
    /// Solicit / Confirm / Rebind / Information-request sent to a unicast address (C-041).
    Unicast,
    /// Client Identifier missing (C-029, C-033, C-034, C-035).
    NoClientId,
    /// Server Identifier present where it must not be (C-030, C-035).
    UnexpectedServerId,
    /// Server Identifier missing or not ours (C-031, C-032, C-034, C-037).
    NotOurServerId,
    /// IA options in an Information-request (C-036).
    IaInInformationRequest,
    /// Nothing to say (Confirm without addresses or link knowledge, Rebind
    /// for unknown bindings: RFC 8415 says send nothing).
    NothingToSay,
    /// The answer did not fit.
    TooBig,
    /// More IAs or listed addresses than any client needs.
    TooManyIas,
    /// More than one Authentication option (C-170).
    RepeatedAuth,
    /// Delayed authentication present but not valid for the client's host
    /// entry (doc/wide-compat.md §6.4: silently discarded).
    AuthFailed,
    /// A DHCPV4-QUERY not forwarded (the reason is counted in
    /// [`crate::dhcp4o6::Counters4o6`]).
    Dhcp4o6,
}

impl DropReason {
    /// Every reason, in counter order.
    pub const ALL: [DropReason; 14] = [
        Self::Malformed,
        Self::NotServedInterface,
        Self::UnexpectedType,
        Self::Unicast,
        Self::NoClientId,
        Self::UnexpectedServerId,
        Self::NotOurServerId,
        Self::IaInInformationRequest,
        Self::NothingToSay,
        Self::TooBig,
        Self::TooManyIas,
        Self::RepeatedAuth,
        Self::AuthFailed,
        Self::Dhcp4o6,
    ];

    /// Short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::NotServedInterface => "not a served interface",
            Self::UnexpectedType => "unexpected message type",
            Self::Unicast => "multicast-only message sent by unicast",
            Self::NoClientId => "no client ID",
            Self::UnexpectedServerId => "unexpected server ID",
            Self::NotOurServerId => "server ID missing or not ours",
            Self::IaInInformationRequest => "IA in information-request",
            Self::NothingToSay => "nothing to answer",
            Self::TooBig => "answer too big",
            Self::TooManyIas => "too many IAs or addresses",
            Self::RepeatedAuth => "more than one authentication option",
            Self::AuthFailed => "authentication failed",
            Self::Dhcp4o6 => "DHCPv4-query not forwarded",
        }
    }

    /// The `reason` label of the statistics (doc/statistics.md).
    pub fn label(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::NotServedInterface => "not_served_interface",
            Self::UnexpectedType => "unexpected_type",
            Self::Unicast => "unicast",
            Self::NoClientId => "no_client_id",
            Self::UnexpectedServerId => "unexpected_server_id",
            Self::NotOurServerId => "not_our_server_id",
            Self::IaInInformationRequest => "ia_in_information_request",
            Self::NothingToSay => "nothing_to_say",
            Self::TooBig => "too_big",
            Self::TooManyIas => "too_many_ias",
            Self::RepeatedAuth => "repeated_auth",
            Self::AuthFailed => "auth_failed",
            Self::Dhcp4o6 => "dhcp4o6",
        }
    }
}

/// Counters SIGUSR1 logs.
#[derive(Debug, Clone)]
pub struct Counters {
    /// Messages received, by type.
    pub received: [u64; 256],
    /// Messages sent, by type.
    pub sent: [u64; 256],
    /// Drops, by [`DropReason`].
    pub dropped: [u64; DropReason::ALL.len()],
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            received: [0; 256],
            sent: [0; 256],
            dropped: [0; DropReason::ALL.len()],
        }
    }
}

impl Counters {
    /// Counts a drop.
    pub fn drop(&mut self, why: DropReason) {
        if let Some(c) = self.dropped.get_mut(why as usize) {
            *c += 1;
        }
    }

    /// Drops counted for `why`.
    pub fn dropped(&self, why: DropReason) -> u64 {
        self.dropped.get(why as usize).copied().unwrap_or(0)
    }
}

/// The server.
pub struct Server<S: LeaseStore> {
    /// The running configuration.
    pub cfg: Arc<ServerConfig>,
    /// Our DUID.
    pub duid: Duid,
    /// Bindings.
    pub store: S,
    /// Free space of the pools.
    pub pools: Pools,
    /// Served interfaces (shared so that a packet's scope can borrow them
    /// while the handlers change the server).
    pub served: Arc<[Served]>,
    /// Counters.
    pub counters: Counters,
    /// Counters per link.
    pub links: LinkStats,
    /// Seconds a declined address stays quarantined.
    pub quarantine: u32,
    /// Scratch buffer for a reply before it is wrapped for relays.
    scratch: Vec<u8>,
    /// The running configuration indexed for per-packet lookups.
    directory: Directory,
    /// Delayed authentication and reconfigure keys.
    pub auth: ServerAuth,
    /// Reconfigures being sent.
    pub reconf: Reconfigures,
    /// Reconfigure is offered (an `authentication` block with `protocol
    /// reconfig`).
    pub reconfigure: bool,
    /// When the running configuration was loaded (Unix seconds): key
    /// expiry times without a date are that day's.
    pub loaded: u64,
    /// DHCPv4-over-DHCPv6 forwarding, when `dhcp4o6-port` is configured
    /// and its socket bound; without it DHCPV4-QUERY is an unexpected type.
    pub fwd4o6: Option<Forwarder>,
    /// The last failed commit logged and when (Unix seconds): a store
    /// that stays unreachable is logged once a minute, not once per turn.
    store_failure: Option<(String, u64)>,
}

impl<S: LeaseStore> Server<S> {
    /// A server for `cfg`, bindings in `store`.
    pub fn new(cfg: Arc<ServerConfig>, duid: Duid, store: S, served: Vec<Served>) -> Self {
        let pools = Pools::build(&cfg, &store);
        Self {
            reconfigure: reconfigure_enabled(&cfg),
            auth: ServerAuth::default(),
            reconf: Reconfigures::default(),
            loaded: 0,
            fwd4o6: None,
            store_failure: None,
            directory: Directory::build(&cfg),
            links: LinkStats::build(&cfg),
            cfg,
            duid,
            store,
            pools,
            served: served.into(),
            counters: Counters::default(),
            quarantine: DECLINE_QUARANTINE,
            scratch: vec![0; libdhcp6::wire::MAX_MESSAGE_LEN],
        }
    }

    /// Swaps in a new configuration, keeping bindings; the pools are
    /// rebuilt and every live lease stays marked (mirrors server6_reload).
    pub fn reconfigure(&mut self, cfg: Arc<ServerConfig>) {
        let pools = Pools::build(&cfg, &self.store);
        self.rebuild_pools(pools);
        self.links = LinkStats::rebuild(&cfg, &self.links);
        self.directory = Directory::build(&cfg);
        self.reconfigure = reconfigure_enabled(&cfg);
        self.auth.reset_hosts();
        self.cfg = cfg;
    }

    /// Leases no pool of the running configuration contains and no host
    /// entry lists (a pool was removed): they are kept until they expire.
    pub fn leases_outside_pools(&self) -> usize {
        let fixed = |r: &Resource| {
            self.cfg.hosts.iter().any(|h| {
                h.addresses
                    .iter()
                    .chain(&h.prefixes)
                    .any(|l| l.addr == r.addr && l.len == r.len)
            })
        };
        self.store
            .bindings()
            .flat_map(|b| &b.leases)
            .filter(|l| !self.pools.contains(&l.res) && !fixed(&l.res))
            .count()
    }

    /// The part of the state the handlers change.
    pub fn bindings(&mut self) -> Bindings<'_, S> {
        Bindings {
            store: &mut self.store,
            pools: &mut self.pools,
            quarantine: self.quarantine,
        }
    }

    /// Ends at most `max` leases and quarantines that ran out by `now`
    /// (soonest first) and frees their space; what is left stays due
    /// (`next_expiry` is then `now` or earlier). How many ended.
    pub fn expire(&mut self, now: u64, max: usize) -> usize {
        self.bindings().expire(now, max)
    }

    /// Ends the loop turn: every store change since the last one is
    /// committed together. On `Err` the store has rolled the turn back and
    /// the pools are rebuilt from it, so memory and store agree again;
    /// the caller must then withhold every answer of the turn, as none of
    /// what they acknowledge is kept.
    pub fn commit_turn(&mut self) -> Result<(), CommitError> {
        let r = self.store.commit();
        if r.is_err() {
            let pools = Pools::build(&self.cfg, &self.store);
            self.rebuild_pools(pools);
        }
        r
    }

    /// Ends the turn and starts making it durable ([`LeaseStore::commit_start`]),
    /// returning its ticket; on failure the pools are rebuilt as by
    /// [`commit_turn`](Self::commit_turn).
    pub fn commit_turn_start(&mut self) -> Result<u64, CommitError> {
        let r = self.store.commit_start();
        if r.is_err() {
            let pools = Pools::build(&self.cfg, &self.store);
            self.rebuild_pools(pools);
        }
        r
    }

    /// Takes in the store's ended background commits
    /// ([`LeaseStore::poll_synced`]); when one failed, the turns it rolled
    /// back are gone from the store, and the pools are rebuilt from it.
    pub fn poll_synced(&mut self, wait: bool) -> Result<(), CommitError> {
        let r = self.store.poll_synced(wait);
        if r.is_err() {
            let pools = Pools::build(&self.cfg, &self.store);
            self.rebuild_pools(pools);
        }
        r
    }

    /// Replaces the pools with `pools`, rebuilt from the store, keeping
    /// the counters of the pools both have.
    fn rebuild_pools(&mut self, mut pools: Pools) {
        pools.carry_counts(&self.pools);
        self.pools = pools;
    }

    /// Logs a failed commit at `now` (`func`, the error, `then`: what
    /// became of the turn), unless the same failure was logged less than
    /// a minute ago: a store that stays unreachable is not a line per
    /// turn (the store logs its own changes of state).
    pub fn log_commit_failure(&mut self, func: &str, e: &CommitError, then: &str, now: u64) {
        let text = e.to_string();
        let repeat = self
            .store_failure
            .as_ref()
            .is_some_and(|(t, at)| *t == text && now < at.saturating_add(60));
        if !repeat {
            log_err!(func, "lease store: {text}{then}");
            self.store_failure = Some((text, now));
        }
    }

    /// The bindings a datagram's client message names (its client's DUID
    /// with each IA), appended to `keys`: what a shared store re-reads
    /// before the message is answered. Messages that rely on no binding,
    /// and datagrams that will be dropped anyway, add nothing.
    pub fn wanted_keys(&self, inc: &Incoming<'_>, keys: &mut Vec<BindingKey>) {
        use MessageType as M;
        let mut chain = RelayChain::default();
        let Ok(inner) = decapsulate_into(inc.pkt, &mut chain) else {
            return;
        };
        let relies = |t: u8| {
            matches!(
                MessageType::from(t),
                M::Solicit | M::Request | M::Renew | M::Rebind | M::Release | M::Decline
            )
        };
        if !inner.first().copied().is_some_and(relies) {
            return;
        }
        let Ok(msg) = ClientMsg::parse(inner) else {
            return;
        };
        let Some(duid) = msg.client_id.and_then(|d| Duid::from_bytes(d).ok()) else {
            return;
        };
        for ia in &msg.ias {
            keys.push(BindingKey {
                duid: duid.clone(),
                kind: ia.kind,
                iaid: ia.iaid,
            });
        }
    }

    /// Re-reads `keys` from a shared store (see [`LeaseStore::refresh`])
    /// and marks the pools as the store now says: a resource someone holds
    /// or keeps in quarantine is used, any other is free.
    pub fn refresh(&mut self, keys: &[BindingKey]) {
        for res in self.store.refresh(keys) {
            if self.store.is_leased(&res) {
                self.pools.take(&res);
            } else {
                self.pools.free(&res);
            }
        }
    }

    /// dhcp6ctl's `remove binding` (see [`Bindings::remove_binding`]),
    /// committed at once. Returns whether a binding was removed and kept
    /// removed.
    pub fn remove_binding(&mut self, named: IaKind, iaid: u32, duid: &Duid) -> bool {
        if !self.bindings().remove_binding(named, iaid, duid) {
            return false;
        }
        if let Err(e) = self.commit_turn() {
            // An operator's command: its failure is always told.
            log_err!("server6_do_ctlcommand", "lease store: {e}");
            return false;
        }
        true
    }

    /// Starts a Reconfigure to `duid` asking for a `kind` message, first
    /// sent at `now_ms` (see [`Reconfigures::start_reconfigure`]).
    pub fn start_reconfigure(
        &mut self,
        duid: &Duid,
        kind: MessageType,
        now_ms: u64,
    ) -> Result<(), String> {
        self.reconf
            .start_reconfigure(&self.store, self.reconfigure, duid, kind, now_ms)
    }

    /// kame6's `dhcp6ctl -S reconfigure renew|rebind|info DUID`: tell the
    /// client to send `msg_type` (RFC 8415 §18.3.11). The first
    /// Reconfigure leaves on the main loop's next turn; a client that never
    /// sent Reconfigure Accept is refused (C-084).
    pub fn ctl_reconfigure(&mut self, msg_type: ReconfigureType, duid: &Duid, now_ms: u64) {
        match self.start_reconfigure(duid, msg_type.message_type(), now_ms) {
            Ok(()) => log_notice!(
                "server6_do_ctlcommand",
                "reconfigure {} of {duid} started",
                msg_type.word()
            ),
            Err(e) => log_err!("server6_do_ctlcommand", "reconfigure: {e}"),
        }
    }

    /// Writes the next Reconfigure due by `now_ms` into `out` and says
    /// where it goes (see [`Reconfigures::server6_reconf`]).
    pub fn server6_reconf(&mut self, now_ms: u64, now: u64, out: &mut [u8]) -> Option<Outgoing> {
        let mut cx = ReconfContext {
            server_duid: &self.duid,
            store: &self.store,
            counter: &mut self.auth.counter,
        };
        let o = self.reconf.server6_reconf(&mut cx, now_ms, now, out)?;
        if let Some(c) = self
            .counters
            .sent
            .get_mut(usize::from(u8::from(o.msg_type)))
        {
            *c += 1;
        }
        Some(o)
    }

    /// Handles one datagram (mirrors dhcp6s.c:server6_recv up to
    /// server6_send): the answer is written into `out`; `Err` says why
    /// there is none and is counted.
    pub fn server6_recv(
        &mut self,
        inc: &Incoming<'_>,
        now: u64,
        out: &mut [u8],
    ) -> Result<Outgoing, DropReason> {
        let r = self.answer(inc, now, out);
        match &r {
            Ok(o) => {
                if let Some(c) = self
                    .counters
                    .sent
                    .get_mut(usize::from(u8::from(o.msg_type)))
                {
                    *c += 1;
                }
            }
            Err(why) => self.counters.drop(*why),
        }
        r
    }

    fn answer(
        &mut self,
        inc: &Incoming<'_>,
        now: u64,
        out: &mut [u8],
    ) -> Result<Outgoing, DropReason> {
        if !self.served.iter().any(|s| s.ifindex == inc.ifindex) {
            return Err(DropReason::NotServedInterface);
        }
        // process_relayforw: every level unwrapped iteratively and recorded.
        let mut chain = RelayChain::default();
        let inner = decapsulate_into(inc.pkt, &mut chain).map_err(|_| DropReason::Malformed)?;
        let Some(&t) = inner.first() else {
            return Err(DropReason::Malformed);
        };
        let msg_type = MessageType::from(t);
        if let Some(c) = self.counters.received.get_mut(usize::from(t)) {
            *c += 1;
        }
        use MessageType as M;
        if msg_type == M::Dhcpv4Query && self.fwd4o6.is_some() {
            return self.forward_4o6(inc, inner, chain.len(), out);
        }
        if !matches!(
            msg_type,
            M::Solicit
                | M::Request
                | M::Confirm
                | M::Renew
                | M::Rebind
                | M::Release
                | M::Decline
                | M::InformationRequest
        ) {
            return Err(DropReason::UnexpectedType);
        }
        let direct_unicast = chain.is_empty() && !inc.dst.is_multicast();
        // C-041: these four only by multicast (RFC 8415 §16).
        if direct_unicast
            && matches!(
                msg_type,
                M::Solicit | M::Confirm | M::Rebind | M::InformationRequest
            )
        {
            return Err(DropReason::Unicast);
        }
        let msg = ClientMsg::parse(inner).map_err(|e| match e {
            RequestError::Wire(_) => DropReason::Malformed,
            RequestError::TooMany => DropReason::TooManyIas,
            RequestError::RepeatedAuth => DropReason::RepeatedAuth,
        })?;
        self.check_identifiers(&msg)?;
        let client_id = msg.client_id;
        // Local handles on the configuration and interfaces, so the
        // client's scope can borrow them while the handlers change `self`.
        let cfg = Arc::clone(&self.cfg);
        let served = Arc::clone(&self.served);
        let scoped = self
            .directory
            .scoped(&cfg, &served, &chain, inc.ifindex, client_id);
        libdhcp6::log_debug!(
            "server6_recv",
            "{} from {} via {} relays, link {}",
            msg_type,
            inc.src,
            chain.len(),
            scoped.name
        );
        self.links.received(&scoped, t);
        // Delayed authentication (doc/wide-compat.md §6.4): a bad claim drops the
        // message without an answer.
        let delayed = self
            .auth
            .check_delayed(&msg, inner, &scoped, &cfg, self.loaded, now)
            .map_err(|_| DropReason::AuthFailed)?;
        // C-083: the answer to a Reconfigure ends its retransmissions.
        self.reconf.reconfigure_answered(&msg);
        let req = Request {
            msg: &msg,
            client_id,
            now,
        };
        let answer = if direct_unicast {
            // C-042: Request/Renew/Release/Decline by unicast without our
            // having offered Server Unicast: UseMulticast and nothing else.
            Some(Answer::reply_with_status(Status::UseMulticast))
        } else {
            let mut b = self.bindings();
            match msg.msg_type {
                M::Solicit => b.react_solicit(&req, &scoped),
                M::Request => b.react_request(&req, &scoped),
                M::Confirm => b.react_confirm(&req, &scoped),
                M::Renew => b.react_renew(&req, &scoped),
                M::Rebind => b.react_rebind(&req, &scoped),
                M::Release => b.react_release(&req, &scoped),
                M::Decline => b.react_decline(&req, &scoped),
                _ => b.react_informreq(&req, &scoped),
            }
        };
        let answer = answer.ok_or(DropReason::NothingToSay)?;
        let pools = &mut self.pools;
        self.links
            .allocation_failures(&scoped, &answer, |pool, prefix| {
                pools.note_failure(pool, prefix)
            });
        let auth = if direct_unicast {
            ReplyAuth::None
        } else {
            let ex = Exchange {
                msg: &msg,
                answer: &answer,
                chain: &chain,
                inc,
                now,
            };
            self.auth
                .reply_auth(&mut self.store, self.reconfigure, &ex, delayed)
        };
        self.server6_send(&answer, &req, &scoped, &auth, &chain, inc, out)
    }

    /// Frames the DHCPV4-QUERY in `inc` for the DHCPv4 server (see
    /// [`forw_dhcpv4_query`]): the [`Outgoing`] is addressed to the IPC
    /// peer, with the type DHCPV4-QUERY by which the loop knows it. The
    /// rules of client messages (identifiers, multicast only) do not apply:
    /// RFC 7341 §9 lets a client unicast to the 4o6 server address.
    fn forward_4o6(
        &mut self,
        inc: &Incoming<'_>,
        inner: &[u8],
        relays: usize,
        out: &mut [u8],
    ) -> Result<Outgoing, DropReason> {
        let fwd = self.fwd4o6.as_mut().ok_or(DropReason::UnexpectedType)?;
        match forw_dhcpv4_query(inc, inner, &self.served, out) {
            Ok(len) => {
                fwd.counters.forwarded += 1;
                Ok(Outgoing {
                    len,
                    dst: fwd.peer,
                    ifindex: 0,
                    msg_type: MessageType::Dhcpv4Query,
                    relayed: relays > 0,
                })
            }
            Err(why) => {
                fwd.counters.drop(why);
                Err(DropReason::Dhcp4o6)
            }
        }
    }

    /// The identifier rules of RFC 8415 §16 for the client message `msg`:
    /// which need a Client ID, which must carry our Server ID and which
    /// must carry none.
    fn check_identifiers(&self, msg: &ClientMsg<'_>) -> Result<(), DropReason> {
        use MessageType as M;
        let client_id = msg.client_id;
        let server_id = msg.server_id;
        let ours = self.duid.as_bytes();
        match msg.msg_type {
            M::Solicit | M::Confirm | M::Rebind => {
                if client_id.is_none() {
                    return Err(DropReason::NoClientId);
                }
                if server_id.is_some() {
                    return Err(DropReason::UnexpectedServerId);
                }
            }
            M::Request | M::Renew | M::Release | M::Decline => {
                if client_id.is_none() {
                    return Err(DropReason::NoClientId);
                }
                if server_id != Some(ours) {
                    return Err(DropReason::NotOurServerId);
                }
            }
            _ => {
                if server_id.is_some_and(|s| s != ours) {
                    return Err(DropReason::NotOurServerId);
                }
                if msg.has_ia() {
                    return Err(DropReason::IaInInformationRequest);
                }
            }
        }
        Ok(())
    }

    /// Writes `answer` as a message: type and transaction-id of the
    /// request, Client ID copied when sent (C-044, C-038), our Server ID
    /// (C-043), a top-level status, Rapid Commit or Preference, the IAs
    /// with common T1/T2 (C-056), the information options, and last (as
    /// WIDE) the Authentication option; returns where a MAC to fill in sits.
    fn write_answer(
        &self,
        answer: &Answer,
        req: &Request<'_>,
        scoped: &Scoped<'_>,
        auth: &ReplyAuth<'_>,
        w: &mut Writer<'_>,
    ) -> libdhcp6::wire::Result<Option<usize>> {
        emit_header(w, answer.msg_type, req.msg.transaction_id)?;
        if let Some(c) = req.client_id {
            w.option(OptionCode::ClientId, c)?;
        }
        w.option(OptionCode::ServerId, self.duid.as_bytes())?;
        if let Some(s) = answer.status {
            OptionRepr::StatusCode(StatusCode::new(s)).emit(w)?;
        }
        if answer.rapid_commit {
            w.option(OptionCode::RapidCommit, &[])?;
        }
        if let Some(p) = answer.preference {
            w.option(OptionCode::Preference, &[p])?;
        }
        let Timers { t1, t2 } = timers(&answer.ias);
        for ia in &answer.ias {
            let slot = w.begin_option(ia.kind.option_code())?;
            w.u32(ia.iaid)?;
            if ia.kind != IaKind::Ta {
                w.u32(t1)?;
                w.u32(t2)?;
            }
            // The library's encoders; an empty `options` vector costs no
            // allocation.
            match &ia.answer {
                IaAnswer::Status(s) => OptionRepr::StatusCode(StatusCode::new(*s)).emit(w)?,
                IaAnswer::Leases(leases) => {
                    for shown in leases {
                        let (res, preferred_lifetime, valid_lifetime) =
                            (shown.res, shown.preferred, shown.valid);
                        let lease = if ia.kind == IaKind::Pd {
                            OptionRepr::IaPrefix(IaPrefix {
                                preferred_lifetime,
                                valid_lifetime,
                                prefix_len: res.len,
                                prefix: res.addr,
                                options: Vec::new(),
                            })
                        } else {
                            OptionRepr::IaAddr(IaAddr {
                                addr: res.addr,
                                preferred_lifetime,
                                valid_lifetime,
                                options: Vec::new(),
                            })
                        };
                        lease.emit(w)?;
                    }
                }
            }
            w.end_option(slot)?;
        }
        let refresh_asked = match answer.info {
            Info::None => return emit_reply_auth(auth, w),
            Info::Options => None,
            Info::WithRefresh { asked } => Some(asked),
        };
        // C-074: the configured refresh time; the default when the client
        // asked and none is configured.
        self.directory.emit_info(scoped, refresh_asked, w)?;
        emit_reply_auth(auth, w)
    }

    /// Writes the answer into `buf` and signs it when its Authentication
    /// option needs a MAC; the length written.
    fn write_signed(
        &self,
        answer: &Answer,
        req: &Request<'_>,
        scoped: &Scoped<'_>,
        auth: &ReplyAuth<'_>,
        buf: &mut [u8],
    ) -> Option<usize> {
        let mut w = Writer::new(buf);
        let mac_at = self.write_answer(answer, req, scoped, auth, &mut w).ok()?;
        let n = w.len();
        if let (Some(at), Some(secret)) = (mac_at, signing_secret(auth)) {
            // The MAC covers the client message only, before any
            // Relay-reply wrapping (doc/wide-compat.md §6.2).
            libdhcp6::auth::sign(secret, buf.get_mut(..n)?, at).ok()?;
        }
        Some(n)
    }

    /// Writes the answer, wrapped for the relays it came through, and says
    /// where it goes (C-046, C-075 … C-078).
    #[allow(clippy::too_many_arguments)]
    fn server6_send(
        &mut self,
        answer: &Answer,
        req: &Request<'_>,
        scoped: &Scoped<'_>,
        auth: &ReplyAuth<'_>,
        chain: &RelayChain<'_>,
        inc: &Incoming<'_>,
        out: &mut [u8],
    ) -> Result<Outgoing, DropReason> {
        let scope = if inc.src.ip().is_unicast_link_local() {
            inc.ifindex
        } else {
            0
        };
        if chain.is_empty() {
            let len = self
                .write_signed(answer, req, scoped, auth, out)
                .ok_or(DropReason::TooBig)?;
            return Ok(Outgoing {
                len,
                dst: SocketAddrV6::new(*inc.src.ip(), CLIENT_PORT, 0, scope),
                ifindex: inc.ifindex,
                msg_type: answer.msg_type,
                relayed: false,
            });
        }
        // The scratch buffer is taken out for the write so that `self`
        // stays readable; moving a Vec allocates nothing.
        let mut scratch = std::mem::take(&mut self.scratch);
        let n = self.write_signed(answer, req, scoped, auth, &mut scratch);
        let wrapped = n.and_then(|n| {
            let inner = scratch.get(..n)?;
            let mut w = Writer::new(out);
            encapsulate_reply(chain, inner, &mut w).ok()?;
            Some(w.len())
        });
        self.scratch = scratch;
        let len = wrapped.ok_or(DropReason::TooBig)?;
        // C-076: to the datagram's source, port 547; C-078: the relay's own
        // port when it told us with a Relay Source Port option.
        let port = match chain.levels().first().and_then(|l| l.relay_port) {
            Some(_) => inc.src.port(),
            None => SERVER_PORT,
        };
        Ok(Outgoing {
            len,
            dst: SocketAddrV6::new(*inc.src.ip(), port, 0, scope),
            ifindex: inc.ifindex,
            msg_type: answer.msg_type,
            relayed: true,
        })
    }
}
