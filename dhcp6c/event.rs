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

use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use libdhcp6::auth::{self, AuthError, ReconfigureKey, ReplayCounter};
use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::duid::Duid;
use libdhcp6::timing::{
    accept_max_rt, elapsed_time_value, RetransState, Retransmit, CNF_MAX_DELAY, INF_MAX_DELAY,
    INF_MAX_RT, IRT_DEFAULT, IRT_MINIMUM, REB_MAX_RT, SOL_MAX_DELAY, SOL_MAX_RT,
};
use libdhcp6::wire::{Auth, IaAddr, IaNa, IaPrefix, IaTa, MessageRepr, OptionRepr, INFINITY};

use crate::ia::prefix_interface_address;

/// A LAN numbered from a delegated prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixIf {
    /// Interface name.
    pub ifname: String,
    /// SLA id (already defaulted to the block's position when absent).
    pub sla_id: u32,
    /// Configured sla-len, if any.
    pub sla_len: Option<u8>,
    /// Interface identifier (EUI-64, configured or random, resolved by the shell).
    pub ifid: u64,
}

/// One configured IA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IaConf {
    /// IA_NA or IA_PD.
    pub kind: IaKind,
    /// IAID.
    pub iaid: u32,
    /// Hints sent in Solicit: (address or prefix, length, preferred, valid).
    pub hints: Vec<(Ipv6Addr, u8, u32, u32)>,
    /// For IA_PD: the LANs numbered from its prefixes.
    pub prefix_ifs: Vec<PrefixIf>,
}

/// IA_NA, IA_TA or IA_PD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IaKind {
    /// Non-temporary addresses.
    Na,
    /// Temporary addresses (kame6's `id-assoc ta`): requested with the
    /// others, never renewed (RFC 8415 §6.5), released on exit.
    Ta,
    /// Delegated prefixes.
    Pd,
}

/// What the machine needs to know about its interface.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IfConfig {
    /// The DHCP interface.
    pub ifname: String,
    /// Configured IAs, in configuration order.
    pub ias: Vec<IaConf>,
    /// `send rapid-commit`.
    pub rapid_commit: bool,
    /// The `request` list as option codes, in order.
    pub oro: Vec<OptionCode>,
    /// `information-only` (or `-i`).
    pub information_only: bool,
    /// `allow renew-missing-ia`: ask again in Renew/Rebind for IAs the
    /// binding lacks (RFC 7550 §4.3).
    pub renew_missing_ia: bool,
    /// Install an unreachable route for each delegated prefix.
    pub unreachable_route: bool,
    /// `send reconfigure-accept` (kame6): put Reconfigure Accept in
    /// Solicit, Request, Renew, Rebind and Information-request, keep the
    /// server's reconfigure key, and act on Reconfigures it signed.
    pub reconfigure_accept: bool,
    /// `send authentication NAME` (`protocol delayed`): the keys the server
    /// may choose, every `keyinfo` in file order. `None`: the interface uses
    /// no authentication and ignores Authentication options (C-178).
    pub delayed_auth: Option<Vec<DelayedKey>>,
    /// Where the machine's wall clock (key expiry, replay detection values)
    /// starts; `None`: Unix time 0 when the machine starts.
    pub wall_clock: Option<WallClock>,
}

/// One reading of the wall clock tied to the monotonic clock: the machine
/// derives Unix time from it and `now`, so its wall clock never steps
/// backwards, and a machine made again from the same configuration (a
/// control-channel restart) keeps the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallClock {
    /// A monotonic instant.
    pub at: Instant,
    /// The Unix time at `at`.
    pub unix: Duration,
}

impl WallClock {
    /// Unix time at `now`.
    fn unix_at(&self, now: Instant) -> Duration {
        match now.checked_duration_since(self.at) {
            Some(d) => self.unix + d,
            None => self
                .unix
                .saturating_sub(self.at.saturating_duration_since(now)),
        }
    }
}

/// A delayed-authentication key (`keyinfo`, doc/wide-compat.md §2.4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayedKey {
    /// The keyinfo's name, for logs.
    pub name: String,
    /// DHCP realm, raw octets.
    pub realm: Vec<u8>,
    /// Key ID.
    pub key_id: u32,
    /// The shared secret.
    pub secret: Vec<u8>,
    /// Unix time from which the key may no longer be used; `None`: never.
    pub expires: Option<u64>,
}

impl DelayedKey {
    fn expired(&self, unix: Duration) -> bool {
        self.expires.is_some_and(|e| unix.as_secs() >= e)
    }

    fn matches(&self, claim: &auth::DelayedClaim) -> bool {
        self.realm == claim.realm && self.key_id == claim.key_id
    }
}

/// How a datagram reached the client: RFC 8415 §16.11 accepts a Reconfigure
/// only if it was unicast to the client (C-148).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// To one of our unicast addresses.
    Unicast,
    /// To a multicast group, or the kernel did not say.
    Multicast,
}

/// Severity of an [`Action::Log`] line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// LOG_INFO.
    Info,
    /// LOG_NOTICE.
    Notice,
}

/// Something the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this message to ff02::1:2 port 547 on the interface.
    Send(Vec<u8>),
    /// Add or refresh an address with kernel lifetimes (seconds; 0xffffffff forever).
    AddAddress {
        /// Interface.
        ifname: String,
        /// Address.
        addr: Ipv6Addr,
        /// Prefix length.
        plen: u8,
        /// Preferred lifetime left.
        preferred: u32,
        /// Valid lifetime left.
        valid: u32,
    },
    /// Remove an address.
    DelAddress {
        /// Interface.
        ifname: String,
        /// Address.
        addr: Ipv6Addr,
        /// Prefix length.
        plen: u8,
    },
    /// Install an unreachable route for a delegated prefix.
    AddUnreachable(Ipv6Addr, u8),
    /// Remove it.
    DelUnreachable(Ipv6Addr, u8),
    /// Run the script with this complete environment.
    Script(Vec<(String, String)>),
    /// Stateless information as `dhcp6c -i` prints it, one line each.
    Info(Vec<String>),
    /// Something the operator should know (logged at LOG_ERR).
    Warn(String),
    /// A line for the log.
    Log {
        /// Its severity.
        level: LogLevel,
        /// The KAME function name it is logged under.
        func: &'static str,
        /// The text.
        text: String,
    },
}

/// Where the machine is (RFC 8415 §18; KAME's DHCP6S_* states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting the random delay before the first message.
    Init,
    /// Soliciting, collecting Advertises.
    Solicit,
    /// Requesting from the chosen server.
    Request,
    /// Holding leases, waiting for T1.
    Bound,
    /// Renewing with the binding server.
    Renew,
    /// Rebinding with any server.
    Rebind,
    /// Releasing before exit.
    Release,
    /// Declining addresses that failed DAD.
    Decline,
    /// After a link change: waiting the random delay, then Confirm (or,
    /// holding prefixes, Rebind with Confirm's timing).
    Confirm,
    /// Information-request outstanding.
    InfoReq,
    /// Stateless information received, waiting for the refresh time.
    InfoBound,
    /// Done: released or stopped.
    Stopped,
}

impl Phase {
    /// The state name WIDE (hrs) puts in `REASON`.
    pub fn reason(self) -> &'static str {
        match self {
            Phase::Solicit => "SOLICIT",
            Phase::Request => "REQUEST",
            Phase::Renew => "RENEW",
            Phase::Rebind => "REBIND",
            Phase::Release => "RELEASE",
            Phase::InfoReq | Phase::InfoBound => "INFOREQ",
            _ => "NBI",
        }
    }
}

/// Why a received datagram was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Could not be decoded.
    Malformed,
    /// Not an Advertise or a Reply (C-152).
    WrongType,
    /// No exchange with that transaction-id.
    Xid,
    /// Client ID missing or not ours.
    ClientId,
    /// Server ID missing, or not the server the exchange is with.
    ServerId,
    /// Valid but useless now (a duplicate Advertise, a Reply to a Solicit
    /// without Rapid Commit, an Advertise offering nothing, ...).
    Ignored,
    /// A Reconfigure that was not unicast to us (C-148).
    Multicast,
    /// Authentication missing or wrong: an unauthenticated message on an
    /// interface with delayed authentication, a bad MAC, an unknown or
    /// expired key, a Reconfigure without a valid RKAP digest (C-148, C-173).
    Auth,
    /// A replay detection value not above the last one from that server
    /// (C-174).
    Replay,
    /// A Reconfigure while an exchange runs (C-150).
    Busy,
}

impl DropReason {
    /// All reasons, for the counters log.
    pub const ALL: [DropReason; 10] = [
        DropReason::Malformed,
        DropReason::WrongType,
        DropReason::Xid,
        DropReason::ClientId,
        DropReason::ServerId,
        DropReason::Ignored,
        DropReason::Multicast,
        DropReason::Auth,
        DropReason::Replay,
        DropReason::Busy,
    ];

    /// Short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Malformed => "malformed",
            DropReason::WrongType => "unexpected message type",
            DropReason::Xid => "transaction-id",
            DropReason::ClientId => "client ID",
            DropReason::ServerId => "server ID",
            DropReason::Ignored => "ignored",
            DropReason::Multicast => "reconfigure not unicast",
            DropReason::Auth => "authentication",
            DropReason::Replay => "replay",
            DropReason::Busy => "exchange in progress",
        }
    }

    fn from_auth(e: AuthError) -> Self {
        match e {
            AuthError::Replay { .. } => DropReason::Replay,
            _ => DropReason::Auth,
        }
    }
}

/// A lease held: an address (/128) or a delegated prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Address or prefix.
    pub addr: Ipv6Addr,
    /// 128 for an address, the delegated length for a prefix.
    pub plen: u8,
    /// Preferred lifetime as received.
    pub preferred: u32,
    /// Valid lifetime as received.
    pub valid: u32,
    /// When it was received.
    pub got: Instant,
}

impl Lease {
    fn expires(&self) -> Option<Instant> {
        (self.valid != INFINITY).then(|| self.got + secs(self.valid))
    }

    /// Lifetimes left at `now` (infinite stays infinite).
    fn left(&self, now: Instant) -> (u32, u32) {
        let gone =
            u32::try_from(now.saturating_duration_since(self.got).as_secs()).unwrap_or(u32::MAX);
        let f = |v: u32| {
            if v == INFINITY {
                v
            } else {
                v.saturating_sub(gone)
            }
        };
        (f(self.preferred), f(self.valid))
    }
}

/// An IA the client holds leases in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// IA_NA or IA_PD.
    pub kind: IaKind,
    /// IAID.
    pub iaid: u32,
    /// T1 as received.
    pub t1: u32,
    /// T2 as received.
    pub t2: u32,
    /// When T1/T2 were received.
    pub got: Instant,
    /// Leases.
    pub leases: Vec<Lease>,
}

#[derive(Debug, Clone)]
struct Advert {
    server: Duid,
    preference: u8,
    /// Number of configured IAs the Advertise offers something in.
    offered: usize,
    msg: MessageRepr,
    /// The delayed-authentication key it was authenticated with (an index
    /// into the configured keys).
    key: Option<usize>,
}

/// What the client remembers of a server's authentication: the last
/// replay detection value accepted from it (RFC 8415 §20.3, kept per
/// Server ID) and the reconfigure key it gave (RFC 8415 §20.4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Peer {
    server: Duid,
    last_rd: Option<u64>,
    reconf_key: Option<ReconfigureKey>,
}

/// Servers remembered in [`Peer`]s; more evict the oldest that is not
/// the binding server, so forged Server IDs cannot grow the list.
const MAX_PEERS: usize = 8;

#[derive(Debug, Clone)]
struct Exchange {
    kind: MessageType,
    xid: u32,
    first: Instant,
    next: Instant,
    params: Retransmit,
    rs: RetransState,
    /// The server this exchange talks to (Request, Renew, Release).
    server: Option<Duid>,
    /// Started by a Reconfigure (RFC 8415 §18.2.11).
    reconf: bool,
    /// A transmission was refused for want of an authentication key and
    /// that was logged (once per exchange).
    auth_noted: bool,
}

/// Packets and drops, for the SIGUSR1 log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Messages sent.
    pub sent: u64,
    /// Messages accepted.
    pub accepted: u64,
    /// Drops by reason, in [`DropReason::ALL`] order.
    pub dropped: [u64; DropReason::ALL.len()],
    /// Transmissions skipped by the rate limit (C-151).
    pub rate_limited: u64,
}

/// Rate limit: at most this many messages per [`RATE_WINDOW`] (C-151).
pub const RATE_LIMIT: usize = 20;
/// Rate limit window.
pub const RATE_WINDOW: Duration = Duration::from_secs(20);
/// Longest hold-down before soliciting again after a server gave nothing.
const MAX_HOLDDOWN: Duration = Duration::from_secs(300);

fn secs(s: u32) -> Duration {
    Duration::from_secs(u64::from(s))
}

/// A small xorshift generator: transaction-ids and RAND need not be
/// cryptographic (RFC 8415 §15) but must differ between runs, which the
/// shell's seed gives.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// RAND of RFC 8415 §15: uniform in [-0.1, 0.1].
    fn rand(&mut self) -> f64 {
        self.unit() * 0.2 - 0.1
    }

    /// A fresh 24-bit transaction-id.
    fn xid(&mut self) -> u32 {
        (self.next() & 0xff_ffff) as u32
    }

    fn upto(&mut self, d: Duration) -> Duration {
        d.mul_f64(self.unit())
    }
}

/// The client of one interface. Mirrors dhcp6c.c's `struct dhcp6_if` and
/// its event list.
#[derive(Debug)]
pub struct Client {
    conf: IfConfig,
    duid: Duid,
    rng: Rng,
    phase: Phase,
    /// When the Init delay ends, or the InfoBound refresh is due.
    wake: Option<Instant>,
    ex: Option<Exchange>,
    adverts: Vec<Advert>,
    /// The server holding our bindings.
    server: Option<Duid>,
    bindings: Vec<Binding>,
    renew_at: Option<Instant>,
    rebind_at: Option<Instant>,
    sol_max_rt: Duration,
    inf_max_rt: Duration,
    /// Consecutive Solicit rounds that ended with nothing bound.
    failures: u32,
    /// Addresses (IAID, address) found duplicated, to Decline.
    declining: Vec<(u32, Ipv6Addr)>,
    /// The running Rebind was started by a link change (Confirm's timing,
    /// and its failure keeps the leases).
    link_rebind: bool,
    sent_times: std::collections::VecDeque<Instant>,
    /// The wall clock: `conf.wall_clock`, or Unix time 0 at the `now`
    /// given to [`Client::new`].
    clock: WallClock,
    /// Authentication state per server.
    peers: Vec<Peer>,
    /// The delayed-authentication key of this session (RFC 3315 §21.4.3:
    /// chosen by the Advertise that was selected, used until the next
    /// Solicit), an index into `conf.delayed_auth`.
    session_key: Option<usize>,
    /// Replay detection values we send, strictly increasing.
    rd: ReplayCounter,
    /// Statistics.
    pub counters: Counters,
}

impl Client {
    /// A client for `conf` with DUID `duid`, starting at `now` (Init, with
    /// the random delay of C-112 / C-144).
    pub fn new(conf: IfConfig, duid: Duid, seed: u64, now: Instant) -> Self {
        let clock = conf.wall_clock.unwrap_or(WallClock {
            at: now,
            unix: Duration::ZERO,
        });
        let mut c = Self {
            conf,
            duid,
            rng: Rng::new(seed),
            phase: Phase::Init,
            wake: None,
            ex: None,
            adverts: Vec::new(),
            server: None,
            bindings: Vec::new(),
            renew_at: None,
            rebind_at: None,
            sol_max_rt: SOL_MAX_RT,
            inf_max_rt: INF_MAX_RT,
            failures: 0,
            declining: Vec::new(),
            link_rebind: false,
            sent_times: Default::default(),
            clock,
            peers: Vec::new(),
            session_key: None,
            rd: ReplayCounter::default(),
            counters: Counters::default(),
        };
        c.restart(now, Duration::ZERO);
        c
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
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

    /// Unix time at `now`.
    fn wall(&self, now: Instant) -> Duration {
        self.clock.unix_at(now)
    }

    /// Back to Init: waits `holddown` plus the random initial delay. A new
    /// Solicit is a new session: the delayed-authentication key is chosen
    /// again (RFC 3315 §21.4.3).
    fn restart(&mut self, now: Instant, holddown: Duration) {
        self.phase = Phase::Init;
        self.ex = None;
        self.adverts.clear();
        self.session_key = None;
        let max = if self.conf.information_only {
            INF_MAX_DELAY
        } else {
            SOL_MAX_DELAY
        };
        self.wake = Some(now + holddown + self.rng.upto(max));
    }

    /// When [`Client::timeout`] must next be called.
    pub fn next_deadline(&self) -> Option<Instant> {
        let mut t = [
            self.wake,
            self.ex.as_ref().map(|e| e.next),
            if self.phase == Phase::Bound {
                self.renew_at
            } else {
                None
            },
            if self.phase == Phase::Renew {
                self.rebind_at
            } else {
                None
            },
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
        t.extend(
            self.bindings
                .iter()
                .flat_map(|b| b.leases.iter().filter_map(Lease::expires)),
        );
        t.into_iter().min()
    }

    /// Timers (mirrors dhcp6c.c:client6_timo and ia.c:ia_timo).
    pub fn timeout(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        self.ia_timo(now, &mut out);
        if self.phase == Phase::Stopped {
            return out;
        }
        if self.wake.is_some_and(|w| now >= w) {
            self.wake = None;
            match self.phase {
                Phase::Init | Phase::InfoBound if self.conf.information_only => {
                    self.start(now, MessageType::InformationRequest, None, &mut out)
                }
                Phase::Init => self.start(now, MessageType::Solicit, None, &mut out),
                Phase::Confirm => {
                    // C-142: prefixes held → Rebind (with Confirm's
                    // parameters); addresses only → Confirm (C-140).
                    let kind = if self.bindings.iter().any(|b| b.kind == IaKind::Pd) {
                        self.link_rebind = true;
                        MessageType::Rebind
                    } else {
                        MessageType::Confirm
                    };
                    self.start(now, kind, None, &mut out);
                }
                _ => {}
            }
        }
        if self.phase == Phase::Bound && self.renew_at.is_some_and(|t| now >= t) {
            let server = self.server.clone();
            self.start(now, MessageType::Renew, server, &mut out);
        }
        if self.phase == Phase::Renew && self.rebind_at.is_some_and(|t| now >= t) {
            self.start(now, MessageType::Rebind, None, &mut out);
        }
        if let Some(ex) = self.ex.clone().filter(|e| now >= e.next) {
            self.retransmit(now, ex, &mut out);
        }
        out
    }

    /// Removes leases whose valid lifetime ran out (C-130, C-135); mirrors
    /// ia.c:ia_timo.
    fn ia_timo(&mut self, now: Instant, out: &mut Vec<Action>) {
        let mut gone = Vec::new();
        for b in &mut self.bindings {
            b.leases.retain(|l| {
                let dead = l.expires().is_some_and(|e| now >= e);
                if dead {
                    gone.push((b.kind, b.iaid, l.clone()));
                }
                !dead
            });
        }
        for (kind, iaid, l) in gone {
            self.unconfigure(kind, iaid, &l, out);
        }
        let before = self.bindings.len();
        self.bindings.retain(|b| !b.leases.is_empty());
        if before > 0
            && self.bindings.is_empty()
            && matches!(
                self.phase,
                Phase::Bound | Phase::Renew | Phase::Rebind | Phase::Confirm
            )
        {
            // Everything expired: start over (RFC 8415 §18.2.5).
            self.server = None;
            self.renew_at = None;
            self.rebind_at = None;
            self.restart(now, Duration::ZERO);
        }
    }

    fn retransmit(&mut self, now: Instant, mut ex: Exchange, out: &mut Vec<Action>) {
        if ex.kind == MessageType::Solicit && !self.adverts.is_empty() {
            // The first RT is over: take the best Advertise (C-118).
            self.select(now, out);
            return;
        }
        let elapsed = now.saturating_duration_since(ex.first);
        let r = self.rng.rand();
        match ex.params.next(&mut ex.rs, elapsed, r) {
            Some(rt) => {
                ex.next = now + rt;
                self.ex = Some(ex.clone());
                self.transmit(now, &ex, out);
            }
            None => self.exchange_failed(now, &ex, out),
        }
    }

    fn exchange_failed(&mut self, now: Instant, ex: &Exchange, out: &mut Vec<Action>) {
        self.ex = None;
        match ex.kind {
            // WIDE stays idle here forever (doc/wide-compat.md §9.2 item 7).
            MessageType::Request => {
                self.failures = self.failures.saturating_add(1);
                self.restart(now, self.holddown());
            }
            // Renew ends at T2: Rebind takes over.
            MessageType::Renew => self.start(now, MessageType::Rebind, None, out),
            // After a link change no answer means nothing changed: keep
            // the leases (C-141; RFC 8415 §18.2.3, §18.2.5).
            MessageType::Confirm => self.rebound(now),
            MessageType::Rebind if self.link_rebind => self.rebound(now),
            // A Rebind or Information-request a Reconfigure asked for ran
            // out: the Reconfigure is simply dropped and the leases kept
            // (RFC 8415 §18.2.11); T1 renews them as usual.
            MessageType::Rebind | MessageType::InformationRequest
                if ex.reconf && !self.conf.information_only =>
            {
                self.rebound(now)
            }
            // Rebind ends when the leases end; ia_timo() restarts us.
            MessageType::Rebind => {}
            MessageType::Release => self.phase = Phase::Stopped,
            MessageType::Decline => self.declined(now),
            _ => self.restart(now, Duration::ZERO),
        }
    }

    /// Hold-down before soliciting again after repeated failures: doubles
    /// from 1 s up to SOL_MAX_RT (at most five minutes), so a server that
    /// keeps refusing is not hammered (WIDE re-Solicits every 1–2 s).
    fn holddown(&self) -> Duration {
        if self.failures == 0 {
            return Duration::ZERO;
        }
        let d = Duration::from_secs(1u64 << self.failures.min(16));
        d.min(self.sol_max_rt).min(MAX_HOLDDOWN)
    }

    /// Begins an exchange (new transaction-id, C-117).
    fn start(
        &mut self,
        now: Instant,
        kind: MessageType,
        server: Option<Duid>,
        out: &mut Vec<Action>,
    ) {
        self.start_exchange(now, kind, server, false, out);
    }

    /// How long an exchange a Reconfigure started on a bound interface may
    /// run: until the binding's own T1 (then Renew as usual), else T2, else
    /// the end of the leases; never unbounded, so it cannot hold off the
    /// binding's timers.
    fn reconf_deadline(&self, now: Instant) -> Duration {
        self.renew_at
            .or(self.rebind_at)
            .or_else(|| self.last_expiry())
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or(REB_MAX_RT)
            .max(Duration::from_secs(1))
    }

    /// [`Client::start`], marking exchanges a Reconfigure asked for.
    fn start_exchange(
        &mut self,
        now: Instant,
        kind: MessageType,
        server: Option<Duid>,
        reconf: bool,
        out: &mut Vec<Action>,
    ) {
        let bound_reconf = reconf && !self.conf.information_only;
        let params = match kind {
            MessageType::Solicit => Retransmit {
                mrt: self.sol_max_rt,
                ..Retransmit::SOLICIT
            },
            MessageType::Request => Retransmit::REQUEST,
            MessageType::Renew => Retransmit::renew(
                self.rebind_at
                    .map(|t| t.saturating_duration_since(now))
                    .unwrap_or(Duration::ZERO),
            ),
            MessageType::Confirm => Retransmit::CONFIRM,
            MessageType::Rebind if self.link_rebind => Retransmit::CONFIRM,
            MessageType::Rebind if bound_reconf => Retransmit::rebind(self.reconf_deadline(now)),
            MessageType::Rebind => Retransmit::rebind(
                self.last_expiry()
                    .map(|t| t.saturating_duration_since(now))
                    .unwrap_or(Duration::ZERO),
            ),
            MessageType::Release => Retransmit::RELEASE,
            MessageType::Decline => Retransmit::DECLINE,
            _ if bound_reconf => Retransmit {
                mrt: self.inf_max_rt,
                mrd: self.reconf_deadline(now),
                ..Retransmit::INFORMATION_REQUEST
            },
            _ => Retransmit {
                mrt: self.inf_max_rt,
                ..Retransmit::INFORMATION_REQUEST
            },
        };
        let r = self.rng.rand();
        // MRD bounds the first wait too (Retransmit::start): a Rebind a
        // Reconfigure started with 8 s left before T1 ends at T1.
        let rs = if kind == MessageType::Solicit {
            params.start_solicit(r)
        } else {
            params.start(r)
        };
        self.phase = match kind {
            MessageType::Solicit => Phase::Solicit,
            MessageType::Request => Phase::Request,
            MessageType::Renew => Phase::Renew,
            MessageType::Rebind => Phase::Rebind,
            MessageType::Release => Phase::Release,
            MessageType::Decline => Phase::Decline,
            MessageType::Confirm => Phase::Confirm,
            _ => Phase::InfoReq,
        };
        if kind == MessageType::Solicit {
            self.adverts.clear();
        }
        let ex = Exchange {
            kind,
            xid: self.rng.xid(),
            first: now,
            next: now + rs.rt,
            params,
            rs,
            server,
            reconf,
            auth_noted: false,
        };
        self.ex = Some(ex.clone());
        self.transmit(now, &ex, out);
    }

    fn last_expiry(&self) -> Option<Instant> {
        self.bindings
            .iter()
            .flat_map(|b| b.leases.iter().filter_map(Lease::expires))
            .max()
    }

    /// Builds and queues the message of `ex` (mirrors dhcp6c.c:client6_send).
    fn transmit(&mut self, now: Instant, ex: &Exchange, out: &mut Vec<Action>) {
        while self
            .sent_times
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= RATE_WINDOW)
        {
            self.sent_times.pop_front();
        }
        if self.sent_times.len() >= RATE_LIMIT {
            self.counters.rate_limited += 1;
            return;
        }
        let msg = self.build(now, ex);
        if let Some(bytes) = self.seal(now, ex, msg, out) {
            self.sent_times.push_back(now);
            self.counters.sent += 1;
            out.push(Action::Send(bytes));
        }
    }

    /// Encodes `msg`, with delayed authentication when the interface uses
    /// it (doc/wide-compat.md §6.3): Solicit announces it (option-len 11, replay
    /// value 0, C-177); every other message carries the session key's
    /// realm and key ID, a fresh replay value and the HMAC-MD5 of the final
    /// message, the option last as WIDE puts it. Without a usable key the
    /// message is not sent, as in WIDE, and that is logged once per
    /// exchange. That is always so for an Information-request outside a
    /// session: RFC 3315 §21.4.4.4 only lets a client authenticate one
    /// with a key a server chose earlier, and WIDE sends none at all.
    fn seal(
        &mut self,
        now: Instant,
        ex: &Exchange,
        mut msg: MessageRepr,
        out: &mut Vec<Action>,
    ) -> Option<Vec<u8>> {
        let Some(keys) = &self.conf.delayed_auth else {
            return msg.to_vec().ok();
        };
        if ex.kind == MessageType::Solicit {
            msg.options.push(OptionRepr::Auth(Auth::delayed_announce()));
            return msg.to_vec().ok();
        }
        let wall = self.wall(now);
        let bound = self.session_key.and_then(|i| keys.get(i));
        let Some(key) = bound.filter(|k| !k.expired(wall)) else {
            if !ex.auth_noted {
                let what = ex.kind;
                let text = match bound {
                    Some(k) => format!(
                        "{}: delayed authentication key {} has expired; {what} not sent",
                        self.conf.ifname, k.name
                    ),
                    None if ex.kind == MessageType::InformationRequest => format!(
                        "{}: delayed authentication cannot be used for Information-request: \
                         no server has chosen a key for this client (RFC 3315 §21.4.4.4); \
                         not sent",
                        self.conf.ifname
                    ),
                    None => format!(
                        "{}: no delayed authentication key chosen by a server; {what} not sent",
                        self.conf.ifname
                    ),
                };
                out.push(Action::Log {
                    level: LogLevel::Notice,
                    func: "client6_send",
                    text,
                });
                if let Some(e) = self.ex.as_mut().filter(|e| e.xid == ex.xid) {
                    e.auth_noted = true;
                }
            }
            return None;
        };
        let replay = self.rd.next(wall);
        msg.options.push(OptionRepr::Auth(Auth::delayed(
            &key.realm, key.key_id, replay,
        )));
        let mut bytes = msg.to_vec().ok()?;
        auth::sign_in_place(&key.secret, &mut bytes).ok()?;
        Some(bytes)
    }

    fn build(&self, now: Instant, ex: &Exchange) -> MessageRepr {
        let mut o = vec![OptionRepr::ClientId(self.duid.clone())];
        if let Some(s) = &ex.server {
            if ex.kind != MessageType::Rebind {
                o.push(OptionRepr::ServerId(s.clone()));
            }
        }
        // C-116: 0 in the first transmission, then hundredths since it.
        let elapsed = if ex.rs.sent <= 1 {
            0
        } else {
            elapsed_time_value(now.saturating_duration_since(ex.first))
        };
        o.push(OptionRepr::ElapsedTime(elapsed));
        if self.conf.reconfigure_accept && offers_reconfigure_accept(ex.kind) {
            o.push(OptionRepr::ReconfAccept);
        }
        if !matches!(
            ex.kind,
            MessageType::Release | MessageType::Decline | MessageType::Confirm
        ) {
            let mut oro = self.conf.oro.clone();
            // C-115 / C-144 / C-146: 82 in stateful messages, 83 and 32
            // only in Information-request.
            if ex.kind == MessageType::InformationRequest {
                oro.extend([OptionCode::InfMaxRt, OptionCode::InformationRefreshTime]);
            } else {
                oro.push(OptionCode::SolMaxRt);
                oro.retain(|c| *c != OptionCode::InformationRefreshTime);
            }
            let mut seen = Vec::new();
            oro.retain(|c| {
                let fresh = !seen.contains(c);
                seen.push(*c);
                fresh
            });
            o.push(OptionRepr::Oro(oro));
        }
        match ex.kind {
            MessageType::Solicit => {
                if self.conf.rapid_commit {
                    o.push(OptionRepr::RapidCommit);
                }
                for ia in &self.conf.ias {
                    o.push(self.hint_ia(ia));
                }
            }
            MessageType::Request => {
                // The Advertise's offer for each IA it named, the hints
                // for the rest (RFC 7550 §4.1: ask for every IA).
                let adv = self
                    .adverts
                    .iter()
                    .find(|a| Some(&a.server) == ex.server.as_ref());
                for ia in &self.conf.ias {
                    let offered = adv.and_then(|a| find_ia(&a.msg, ia.kind, ia.iaid));
                    match offered {
                        Some(mut got) => {
                            got.t1 = 0;
                            got.t2 = 0;
                            got.options
                                .retain(|x| !matches!(x, OptionRepr::StatusCode(_)));
                            o.push(wrap(ia.kind, got));
                        }
                        None => match self
                            .bindings
                            .iter()
                            .find(|b| b.kind == ia.kind && b.iaid == ia.iaid)
                        {
                            Some(b) => o.push(self.held_ia(b, now)),
                            None => o.push(self.hint_ia(ia)),
                        },
                    }
                }
            }
            MessageType::Renew | MessageType::Rebind | MessageType::Release => {
                // Temporary addresses are released but never renewed.
                for b in self
                    .bindings
                    .iter()
                    .filter(|b| b.kind != IaKind::Ta || ex.kind == MessageType::Release)
                {
                    o.push(self.held_ia(b, now));
                }
                if ex.kind != MessageType::Release && self.conf.renew_missing_ia {
                    for ia in self.conf.ias.iter().filter(|i| i.kind != IaKind::Ta) {
                        if !self
                            .bindings
                            .iter()
                            .any(|b| b.kind == ia.kind && b.iaid == ia.iaid)
                        {
                            o.push(wrap(
                                ia.kind,
                                IaNa {
                                    iaid: ia.iaid,
                                    t1: 0,
                                    t2: 0,
                                    options: Vec::new(),
                                },
                            ));
                        }
                    }
                }
            }
            MessageType::Confirm => {
                // C-140: every address, T1/T2 and lifetimes 0.
                for b in self.bindings.iter().filter(|b| b.kind != IaKind::Pd) {
                    let options = b
                        .leases
                        .iter()
                        .map(|l| {
                            OptionRepr::IaAddr(IaAddr {
                                addr: l.addr,
                                preferred_lifetime: 0,
                                valid_lifetime: 0,
                                options: Vec::new(),
                            })
                        })
                        .collect();
                    o.push(wrap(
                        b.kind,
                        IaNa {
                            iaid: b.iaid,
                            t1: 0,
                            t2: 0,
                            options,
                        },
                    ));
                }
            }
            MessageType::Decline => {
                // C-132: the IA_NA with the duplicated address, never an IA_PD.
                let mut iaids: Vec<u32> = self.declining.iter().map(|d| d.0).collect();
                iaids.dedup();
                for iaid in iaids {
                    let options = self
                        .declining
                        .iter()
                        .filter(|d| d.0 == iaid)
                        .map(|d| {
                            OptionRepr::IaAddr(IaAddr {
                                addr: d.1,
                                preferred_lifetime: 0,
                                valid_lifetime: 0,
                                options: Vec::new(),
                            })
                        })
                        .collect();
                    o.push(OptionRepr::IaNa(IaNa {
                        iaid,
                        t1: 0,
                        t2: 0,
                        options,
                    }));
                }
            }
            _ => {}
        }
        MessageRepr {
            msg_type: ex.kind,
            transaction_id: ex.xid,
            options: o,
        }
    }

    fn hint_ia(&self, ia: &IaConf) -> OptionRepr {
        let options = ia
            .hints
            .iter()
            .map(|&(addr, plen, p, v)| match ia.kind {
                IaKind::Na | IaKind::Ta => OptionRepr::IaAddr(IaAddr {
                    addr,
                    preferred_lifetime: p,
                    valid_lifetime: v,
                    options: Vec::new(),
                }),
                IaKind::Pd => OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: p,
                    valid_lifetime: v,
                    prefix_len: plen,
                    prefix: addr,
                    options: Vec::new(),
                }),
            })
            .collect();
        wrap(
            ia.kind,
            IaNa {
                iaid: ia.iaid,
                t1: 0,
                t2: 0,
                options,
            },
        )
    }

    /// An IA with the leases we hold and their remaining lifetimes.
    fn held_ia(&self, b: &Binding, now: Instant) -> OptionRepr {
        let options = b
            .leases
            .iter()
            .map(|l| {
                let (p, v) = l.left(now);
                match b.kind {
                    IaKind::Na | IaKind::Ta => OptionRepr::IaAddr(IaAddr {
                        addr: l.addr,
                        preferred_lifetime: p,
                        valid_lifetime: v,
                        options: Vec::new(),
                    }),
                    IaKind::Pd => OptionRepr::IaPrefix(IaPrefix {
                        preferred_lifetime: p,
                        valid_lifetime: v,
                        prefix_len: l.plen,
                        prefix: l.addr,
                        options: Vec::new(),
                    }),
                }
            })
            .collect();
        wrap(
            b.kind,
            IaNa {
                iaid: b.iaid,
                t1: b.t1,
                t2: b.t2,
                options,
            },
        )
    }

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
            .ex
            .clone()
            .filter(|e| e.xid == msg.transaction_id)
            .ok_or(DropReason::Xid)?;
        // C-121 / C-126: our Client ID, a Server ID.
        if msg.client_id() != Some(&self.duid) {
            return Err(DropReason::ClientId);
        }
        let server = msg.server_id().cloned().ok_or(DropReason::ServerId)?;
        // A Reply must come from the server we are talking to (WIDE does
        // not check, doc/wide-compat.md §9.2 item 7).
        if matches!(
            ex.kind,
            MessageType::Request | MessageType::Renew | MessageType::Decline
        ) && ex.server.as_ref() != Some(&server)
        {
            return Err(DropReason::ServerId);
        }
        let key = self.authenticate(now, bytes, &ex, &server)?;
        // C-122/C-123: SOL_MAX_RT / INF_MAX_RT, even from useless messages.
        for opt in &msg.options {
            match opt {
                OptionRepr::SolMaxRt(v) => {
                    if let Some(d) = accept_max_rt(*v) {
                        self.sol_max_rt = d;
                        if let Some(e) = self.ex.as_mut().filter(|e| e.kind == MessageType::Solicit)
                        {
                            e.params.mrt = d;
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
        let mut out = Vec::new();
        match (msg.msg_type, ex.kind) {
            (MessageType::Advertise, MessageType::Solicit) => {
                self.client6_recvadvert(now, &ex, msg, server, key, &mut out)?
            }
            (MessageType::Advertise, _) => return Err(DropReason::Ignored),
            (MessageType::Reply, MessageType::Solicit) => {
                // C-127: only a rapid-commit Reply, and only if we asked.
                if !self.conf.rapid_commit || msg.option(OptionCode::RapidCommit).is_none() {
                    return Err(DropReason::Ignored);
                }
                // The key that authenticated it is this session's.
                self.session_key = key;
                self.client6_recvreply(now, ex, msg, server, &mut out)?
            }
            _ => self.client6_recvreply(now, ex, msg, server, &mut out)?,
        }
        Ok(out)
    }

    /// Delayed authentication of an Advertise or Reply (RFC 3315
    /// §21.4.4.2, §21.4.4.5; doc/wide-compat.md §6.3). `Ok(None)` on an interface
    /// without authentication, which ignores Authentication options
    /// (C-178). With it, the message must carry delayed-authentication
    /// information naming a configured key: in a Solicit exchange the first
    /// `keyinfo` with that realm and key ID, later the session's own key;
    /// the key not expired, the MAC right, the replay value above the last
    /// one from that server (none known: the first is taken). Anything else
    /// is dropped (WIDE's rule: an interface with authentication takes
    /// nothing unauthenticated). A Reply failing this is dropped, not
    /// answered by a new Solicit as RFC 3315 §21.4.4.5 asks: a forged Reply
    /// must not be able to throw the client out of its binding.
    fn authenticate(
        &mut self,
        now: Instant,
        bytes: &[u8],
        ex: &Exchange,
        server: &Duid,
    ) -> Result<Option<usize>, DropReason> {
        let Some(keys) = &self.conf.delayed_auth else {
            return Ok(None);
        };
        let claim = auth::delayed_claim(bytes).map_err(DropReason::from_auth)?;
        // Inside a session only its key; in a Solicit exchange any, the
        // first in file order that the claim names.
        let session = self.session_key.filter(|_| ex.kind != MessageType::Solicit);
        let (idx, key) = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| session.is_none_or(|s| s == *i))
            .find(|(_, k)| k.matches(&claim))
            .ok_or(DropReason::Auth)?;
        if key.expired(self.wall(now)) {
            return Err(DropReason::Auth);
        }
        let last = self.peer(server).and_then(|p| p.last_rd);
        let rd = claim
            .verify(bytes, &key.secret, last)
            .map_err(DropReason::from_auth)?;
        self.peer_mut(server).last_rd = Some(rd);
        Ok(Some(idx))
    }

    /// What the client knows of `server`'s authentication.
    fn peer(&self, server: &Duid) -> Option<&Peer> {
        self.peers.iter().find(|p| &p.server == server)
    }

    /// The record of `server`, made if new (evicting the oldest record of
    /// a server that does not hold our bindings when the list is full).
    fn peer_mut(&mut self, server: &Duid) -> &mut Peer {
        let at = match self.peers.iter().position(|p| &p.server == server) {
            Some(i) => i,
            None => {
                if self.peers.len() >= MAX_PEERS {
                    let old = self
                        .peers
                        .iter()
                        .position(|p| Some(&p.server) != self.server.as_ref())
                        .unwrap_or(0);
                    self.peers.remove(old);
                }
                self.peers.push(Peer {
                    server: server.clone(),
                    last_rd: None,
                    reconf_key: None,
                });
                self.peers.len() - 1
            }
        };
        &mut self.peers[at]
    }

    /// Keeps the reconfigure key a Reply carries (RFC 8415 §20.4.3) for the
    /// server that sent it, with the Reply's replay value as the first one
    /// seen from that server (RFC 8415 §20.3). A key whose replay value is
    /// not above the last one seen is an old message replayed: ignored.
    fn take_reconfigure_key(&mut self, server: &Duid, msg: &MessageRepr, out: &mut Vec<Action>) {
        if !self.conf.reconfigure_accept {
            return;
        }
        let note = |text: String| Action::Log {
            level: LogLevel::Notice,
            func: "client6_recvreply",
            text,
        };
        match auth::reconfigure_key(msg) {
            Ok(Some((key, rd))) => {
                let ifname = self.conf.ifname.clone();
                let p = self.peer_mut(server);
                if !auth::replay_ok(p.last_rd, rd) {
                    out.push(note(format!(
                        "{ifname}: reconfigure key from {server} ignored: replay value {rd:#x} is not above {:#x}",
                        p.last_rd.unwrap_or(0)
                    )));
                    return;
                }
                p.last_rd = Some(rd);
                if p.reconf_key != Some(key) {
                    p.reconf_key = Some(key);
                    out.push(Action::Log {
                        level: LogLevel::Info,
                        func: "client6_recvreply",
                        text: format!("{ifname}: reconfigure key received from {server}"),
                    });
                }
            }
            Ok(None) => {}
            Err(e) => out.push(note(format!(
                "{}: reconfigure key from {server} unusable: {e}",
                self.conf.ifname
            ))),
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
        if !matches!(self.phase, Phase::Bound | Phase::InfoBound) {
            return Err(DropReason::Busy);
        }
        // A stateless client has nothing to renew or rebind.
        if self.phase == Phase::InfoBound && kind != MessageType::InformationRequest {
            return Err(DropReason::Ignored);
        }
        let peer = self.peer(server);
        let key = peer.and_then(|p| p.reconf_key).ok_or(DropReason::Auth)?;
        let rd = auth::verify_reconfigure(bytes, &key, peer.and_then(|p| p.last_rd))
            .map_err(DropReason::from_auth)?;
        let server = server.clone();
        self.peer_mut(&server).last_rd = Some(rd);
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
        self.start_exchange(now, kind, to, true, &mut out);
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
            .filter(|ia| find_ia(&msg, ia.kind, ia.iaid).is_some_and(|i| usable(&i) > 0))
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
    fn select(&mut self, now: Instant, out: &mut Vec<Action>) {
        let best = self
            .adverts
            .iter()
            .enumerate()
            .max_by_key(|(i, a)| (a.offered, a.preference, std::cmp::Reverse(*i)))
            .map(|(_, a)| (a.server.clone(), a.key));
        if let Some((server, key)) = best {
            // RFC 3315 §21.4.4.3: the key the chosen server used is the
            // session's from now on.
            self.session_key = key;
            self.start(now, MessageType::Request, Some(server), out);
        }
    }

    /// Mirrors dhcp6c.c:client6_recvreply and ia.c:update_ia.
    fn client6_recvreply(
        &mut self,
        now: Instant,
        ex: Exchange,
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
            && ex.kind != MessageType::Release
        {
            return Err(DropReason::Ignored);
        }
        // The key comes in the Reply to a message that offered to take
        // Reconfigure (RFC 8415 §20.4.3).
        if offers_reconfigure_accept(ex.kind) {
            self.take_reconfigure_key(&server, &msg, out);
        }
        let reason = match ex.kind {
            MessageType::Solicit => Phase::Solicit,
            MessageType::Request => Phase::Request,
            MessageType::Renew => Phase::Renew,
            MessageType::Rebind => Phase::Rebind,
            MessageType::Release => Phase::Release,
            MessageType::Decline => Phase::Decline,
            _ => Phase::InfoReq,
        };
        match ex.kind {
            MessageType::Confirm => {
                // C-141: NotOnLink → the leases are useless here: drop
                // them and solicit; any other answer confirms them.
                if top == Some(Status::NotOnLink) {
                    let mut gone = Vec::new();
                    self.drop_leases(&mut gone, true);
                    out.extend(gone);
                    self.server = None;
                    self.renew_at = None;
                    self.rebind_at = None;
                    self.restart(now, Duration::ZERO);
                } else {
                    self.rebound(now);
                }
                return Ok(());
            }
            MessageType::Decline => {
                // Any Reply ends a Decline (RFC 8415 §18.2.8).
                self.declined(now);
                return Ok(());
            }
            MessageType::Release => {
                // C-143: any Reply ends it, NoBinding included.
                self.ex = None;
                self.phase = Phase::Stopped;
                out.push(Action::Script(script_env(reason, &msg)));
                return Ok(());
            }
            MessageType::InformationRequest if !self.conf.information_only => {
                // A bound client asked by Reconfigure for new information:
                // the bindings and their timers go on (C-149).
                self.rebound(now);
                out.push(Action::Script(script_env(reason, &msg)));
                return Ok(());
            }
            MessageType::InformationRequest => {
                self.ex = None;
                self.phase = Phase::InfoBound;
                // The server a Reconfigure must come from (RFC 8415 §18.2.11).
                self.server = Some(server);
                // C-145: option 32 below 600 → 600; absent → 86400.
                let refresh = msg.options.iter().find_map(|o| match o {
                    OptionRepr::InformationRefreshTime(v) => Some(*v),
                    _ => None,
                });
                self.wake = match refresh {
                    Some(INFINITY) => None,
                    Some(v) => Some(now + secs(v).max(IRT_MINIMUM)),
                    None => Some(now + IRT_DEFAULT),
                };
                out.push(Action::Info(info_lines(&msg)));
                out.push(Action::Script(script_env(reason, &msg)));
                return Ok(());
            }
            _ => {}
        }
        let mut need_request = false;
        let mut answered: Vec<(IaKind, u32)> = Vec::new();
        for ia in self.conf.ias.clone() {
            let Some(got) = find_ia(&msg, ia.kind, ia.iaid) else {
                // Left alone: a Reply lacking an IA does not drop what we hold.
                continue;
            };
            // C-128
            if got.t2 != 0 && got.t1 > got.t2 {
                continue;
            }
            match got.status().map(|s| s.status) {
                Some(Status::NoBinding) => {
                    if matches!(ex.kind, MessageType::Renew | MessageType::Rebind) {
                        need_request = true;
                    }
                    continue;
                }
                Some(Status::Success) | None => {}
                // NoAddrsAvail / NoPrefixAvail and the rest: keep what we
                // have until it expires (C-138).
                Some(_) => continue,
            }
            self.update_ia(now, &ia, &got, out);
            answered.push((ia.kind, ia.iaid));
        }
        if need_request {
            // C-136: Request with all IAs to the server that sent NoBinding.
            self.start(now, MessageType::Request, Some(server), out);
            return Ok(());
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
        self.ex = None;
        if self.bindings.is_empty() {
            // Nothing bound. WIDE re-Solicits at once, forever; we back off.
            self.failures = self.failures.saturating_add(1);
            self.server = None;
            let hold = self.holddown();
            self.restart(now, hold);
            out.push(Action::Script(script_env(reason, &msg)));
            return Ok(());
        }
        self.failures = 0;
        self.link_rebind = false;
        self.server = Some(server);
        self.phase = Phase::Bound;
        self.set_timers(now);
        out.push(Action::Script(script_env(reason, &msg)));
        if !self.declining.is_empty() {
            let server = self.server.clone();
            self.start(now, MessageType::Decline, server, out);
        }
        Ok(())
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
        self.unconfigure(kind, iaid, &lease, &mut out);
        self.bindings.retain(|b| !b.leases.is_empty());
        self.declining.push((iaid, addr));
        // Declined now if idle; otherwise once the running exchange binds.
        if self.phase == Phase::Bound {
            let server = self.server.clone();
            self.start(now, MessageType::Decline, server, &mut out);
        }
        out
    }

    /// A link came (back) up (RFC 8415 §18.2.3, §18.2.5): with leases, the
    /// client checks them after a random delay of up to CNF_MAX_DELAY.
    pub fn link_up(&mut self, now: Instant) -> Vec<Action> {
        if matches!(self.phase, Phase::Bound | Phase::Renew | Phase::Rebind)
            && !self.bindings.is_empty()
        {
            self.ex = None;
            self.phase = Phase::Confirm;
            self.wake = Some(now + self.rng.upto(CNF_MAX_DELAY));
        }
        Vec::new()
    }

    /// Back to Bound with the leases held, timers from them.
    fn rebound(&mut self, now: Instant) {
        self.ex = None;
        self.link_rebind = false;
        self.phase = Phase::Bound;
        self.set_timers(now);
    }

    /// The Decline exchange ended (answered or not).
    fn declined(&mut self, now: Instant) {
        self.ex = None;
        self.declining.clear();
        if self.bindings.is_empty() {
            self.failures = self.failures.saturating_add(1);
            self.server = None;
            let hold = self.holddown();
            self.restart(now, hold);
        } else {
            self.phase = Phase::Bound;
            self.set_timers(now);
        }
    }

    /// Applies one IA of a Reply (mirrors ia.c:update_ia).
    fn update_ia(&mut self, now: Instant, ia: &IaConf, got: &IaNa, out: &mut Vec<Action>) {
        let mut leases: Vec<Lease> = self
            .bindings
            .iter()
            .find(|b| b.kind == ia.kind && b.iaid == ia.iaid)
            .map(|b| b.leases.clone())
            .unwrap_or_default();
        let items: Vec<(Ipv6Addr, u8, u32, u32)> = match ia.kind {
            IaKind::Na | IaKind::Ta => got
                .addresses()
                .map(|a| (a.addr, 128, a.preferred_lifetime, a.valid_lifetime))
                .collect(),
            IaKind::Pd => got
                .prefixes()
                .map(|p| {
                    (
                        p.prefix,
                        p.prefix_len,
                        p.preferred_lifetime,
                        p.valid_lifetime,
                    )
                })
                .collect(),
        };
        for (addr, plen, preferred, valid) in items {
            // C-129: preferred > valid → discarded.
            if preferred > valid || plen > 128 {
                continue;
            }
            let idx = leases.iter().position(|l| l.addr == addr && l.plen == plen);
            if valid == 0 {
                // C-130
                if let Some(i) = idx {
                    let l = leases.remove(i);
                    self.unconfigure(ia.kind, ia.iaid, &l, out);
                }
                continue;
            }
            let lease = Lease {
                addr,
                plen,
                preferred,
                valid,
                got: now,
            };
            self.configure(ia, &lease, out);
            match idx {
                Some(i) => {
                    if let Some(slot) = leases.get_mut(i) {
                        *slot = lease;
                    }
                }
                None => leases.push(lease),
            }
        }
        self.bindings
            .retain(|b| !(b.kind == ia.kind && b.iaid == ia.iaid));
        if !leases.is_empty() {
            self.bindings.push(Binding {
                kind: ia.kind,
                iaid: ia.iaid,
                t1: got.t1,
                t2: got.t2,
                got: now,
                leases,
            });
        }
    }

    fn configure(&self, ia: &IaConf, l: &Lease, out: &mut Vec<Action>) {
        match ia.kind {
            IaKind::Na | IaKind::Ta => out.push(Action::AddAddress {
                ifname: self.conf.ifname.clone(),
                addr: l.addr,
                plen: 128,
                preferred: l.preferred,
                valid: l.valid,
            }),
            IaKind::Pd => {
                if self.conf.unreachable_route {
                    out.push(Action::AddUnreachable(l.addr, l.plen));
                }
                for p in &ia.prefix_ifs {
                    // The DHCP interface itself is skipped, as in WIDE.
                    if p.ifname == self.conf.ifname {
                        continue;
                    }
                    match prefix_interface_address(l.addr, l.plen, p.sla_id, p.sla_len, p.ifid) {
                        // LAN addresses never outlive the delegated prefix.
                        Ok((addr, plen)) => out.push(Action::AddAddress {
                            ifname: p.ifname.clone(),
                            addr,
                            plen,
                            preferred: l.preferred,
                            valid: l.valid,
                        }),
                        Err(e) => out.push(Action::Warn(format!(
                            "{}/{} on {}: {e}",
                            l.addr, l.plen, p.ifname
                        ))),
                    }
                }
            }
        }
    }

    fn unconfigure(&self, kind: IaKind, iaid: u32, l: &Lease, out: &mut Vec<Action>) {
        match kind {
            IaKind::Na | IaKind::Ta => out.push(Action::DelAddress {
                ifname: self.conf.ifname.clone(),
                addr: l.addr,
                plen: 128,
            }),
            IaKind::Pd => {
                let Some(ia) = self
                    .conf
                    .ias
                    .iter()
                    .find(|i| i.kind == IaKind::Pd && i.iaid == iaid)
                else {
                    return;
                };
                for p in &ia.prefix_ifs {
                    if p.ifname == self.conf.ifname {
                        continue;
                    }
                    if let Ok((addr, plen)) =
                        prefix_interface_address(l.addr, l.plen, p.sla_id, p.sla_len, p.ifid)
                    {
                        out.push(Action::DelAddress {
                            ifname: p.ifname.clone(),
                            addr,
                            plen,
                        });
                    }
                }
                if self.conf.unreachable_route {
                    out.push(Action::DelUnreachable(l.addr, l.plen));
                }
            }
        }
    }

    /// T1/T2 of the binding: the earliest over all IAs (RFC 7550 §4.3),
    /// computed from the preferred lifetimes when the server left them 0
    /// (C-137: never an immediate Renew; infinity: none).
    fn set_timers(&mut self, now: Instant) {
        let mut t1_min: Option<Instant> = None;
        let mut t2_min: Option<Instant> = None;
        let mut any_finite_t1 = false;
        let mut any_finite_t2 = false;
        for b in self.bindings.iter().filter(|b| b.kind != IaKind::Ta) {
            let (t1, t2) = if b.t1 == 0 || b.t2 == 0 {
                let d = b.leases.iter().map(|l| l.preferred).min().unwrap_or(1800);
                if d == INFINITY {
                    (INFINITY, INFINITY)
                } else {
                    (d / 2, u32::try_from(u64::from(d) * 4 / 5).unwrap_or(d))
                }
            } else {
                (b.t1, b.t2)
            };
            if t1 != INFINITY {
                any_finite_t1 = true;
                let at = b.got + secs(t1.max(1));
                t1_min = Some(t1_min.map_or(at, |m| m.min(at)));
            }
            if t2 != INFINITY {
                any_finite_t2 = true;
                let at = b.got + secs(t2.max(t1.min(INFINITY - 1)).max(1));
                t2_min = Some(t2_min.map_or(at, |m| m.min(at)));
            }
        }
        self.renew_at = if any_finite_t1 { t1_min } else { None }.map(|t| t.max(now));
        self.rebind_at = if any_finite_t2 { t2_min } else { None };
        if let (Some(r), Some(b)) = (self.renew_at, self.rebind_at) {
            if b < r {
                self.rebind_at = Some(r);
            }
        }
    }

    /// SIGTERM: removes every lease from the system at once, then sends
    /// Release to the binding server (C-143; doc/wide-compat.md §7.3.7).
    pub fn release(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        self.drop_leases(&mut out, false);
        match self.server.clone() {
            Some(server) if !self.bindings.is_empty() => {
                self.wake = None;
                self.start(now, MessageType::Release, Some(server), &mut out);
            }
            _ => self.phase = Phase::Stopped,
        }
        out
    }

    /// SIGUSR1 / `-n`: removes the leases from the system without telling
    /// the server.
    pub fn stop(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        self.drop_leases(&mut out, true);
        self.phase = Phase::Stopped;
        self.ex = None;
        self.wake = None;
        out
    }

    fn drop_leases(&mut self, out: &mut Vec<Action>, forget: bool) {
        for b in self.bindings.clone() {
            for l in &b.leases {
                self.unconfigure(b.kind, b.iaid, l, out);
            }
        }
        if forget {
            self.bindings.clear();
        }
    }

    /// True once nothing is outstanding after [`Client::release`] / [`Client::stop`].
    pub fn finished(&self) -> bool {
        self.phase == Phase::Stopped
    }
}

/// The messages that carry Reconfigure Accept when the client offers it
/// (RFC 8415 §18.2.1, §18.2.2, §18.2.4-6): every one that can establish or
/// refresh a binding or stateless information.
fn offers_reconfigure_accept(kind: MessageType) -> bool {
    matches!(
        kind,
        MessageType::Solicit
            | MessageType::Request
            | MessageType::Renew
            | MessageType::Rebind
            | MessageType::InformationRequest
    )
}

fn wrap(kind: IaKind, ia: IaNa) -> OptionRepr {
    match kind {
        IaKind::Na => OptionRepr::IaNa(ia),
        IaKind::Ta => OptionRepr::IaTa(IaTa {
            iaid: ia.iaid,
            options: ia.options,
        }),
        IaKind::Pd => OptionRepr::IaPd(ia),
    }
}

/// The IA of `kind` and `iaid` in `msg`; an IA_TA as an IA without T1/T2.
fn find_ia(msg: &MessageRepr, kind: IaKind, iaid: u32) -> Option<IaNa> {
    msg.options.iter().find_map(|o| match (kind, o) {
        (IaKind::Na, OptionRepr::IaNa(i)) | (IaKind::Pd, OptionRepr::IaPd(i)) if i.iaid == iaid => {
            Some(i.clone())
        }
        (IaKind::Ta, OptionRepr::IaTa(i)) if i.iaid == iaid => Some(IaNa {
            iaid,
            t1: 0,
            t2: 0,
            options: i.options.clone(),
        }),
        _ => None,
    })
}

/// Leases in an IA that could be used (valid lifetime non-zero, preferred
/// not above valid) when its status allows.
fn usable(ia: &IaNa) -> usize {
    if ia.status().is_some_and(|s| s.status != Status::Success) {
        return 0;
    }
    ia.addresses()
        .filter(|a| a.valid_lifetime > 0 && a.preferred_lifetime <= a.valid_lifetime)
        .count()
        + ia.prefixes()
            .filter(|p| p.valid_lifetime > 0 && p.preferred_lifetime <= p.valid_lifetime)
            .count()
}

/// The script's environment (doc/wide-compat.md §3.1): REASON, then the `new_*`
/// variables in WIDE's order, each item followed by one space, duplicates
/// of an address dropped, names with a trailing dot; plus OPNsense's
/// PDINFO.
pub fn script_env(reason: Phase, msg: &MessageRepr) -> Vec<(String, String)> {
    let mut env = vec![("REASON".to_string(), reason.reason().to_string())];
    let table: [(&str, OptionCode); 11] = [
        ("new_domain_name_servers", OptionCode::DnsServers),
        ("new_ntp_servers", OptionCode::SntpServers),
        ("new_domain_name", OptionCode::DomainList),
        ("new_sip_servers", OptionCode::SipServerA),
        ("new_sip_name", OptionCode::SipServerD),
        ("new_nis_servers", OptionCode::NisServers),
        ("new_nis_name", OptionCode::NisDomainName),
        ("new_nisp_servers", OptionCode::NispServers),
        ("new_nisp_name", OptionCode::NispDomainName),
        ("new_bcmcs_servers", OptionCode::BcmcsServerA),
        ("new_bcmcs_name", OptionCode::BcmcsServerD),
    ];
    for (name, code) in table {
        let mut value = String::new();
        let mut seen: Vec<Ipv6Addr> = Vec::new();
        for o in &msg.options {
            match o {
                OptionRepr::Addresses { code: c, addrs } if *c == code => {
                    for a in addrs {
                        if !seen.contains(a) {
                            seen.push(*a);
                            value.push_str(&format!("{a} "));
                        }
                    }
                }
                OptionRepr::Domains { code: c, names } if *c == code => {
                    for n in names {
                        value.push_str(&format!("{n} "));
                    }
                }
                _ => {}
            }
        }
        if !value.is_empty() {
            env.push((name.to_string(), value));
        }
    }
    let mut pd = String::new();
    for o in &msg.options {
        if let OptionRepr::IaPd(ia) = o {
            for p in ia.prefixes().filter(|p| p.valid_lifetime > 0) {
                pd.push_str(&format!("{}/{} ", p.prefix, p.prefix_len));
            }
        }
    }
    if !pd.is_empty() {
        env.push(("PDINFO".to_string(), pd));
    }
    env
}

/// What `dhcp6c -i` prints (doc/wide-compat.md §1.3).
pub fn info_lines(msg: &MessageRepr) -> Vec<String> {
    let mut lines = Vec::new();
    let table: [(&str, OptionCode); 5] = [
        ("nameserver", OptionCode::DnsServers),
        ("Domain search list", OptionCode::DomainList),
        ("NTP server", OptionCode::SntpServers),
        ("SIP server address", OptionCode::SipServerA),
        ("SIP domain name", OptionCode::SipServerD),
    ];
    for (label, code) in table {
        let mut n = 0;
        for o in &msg.options {
            match o {
                OptionRepr::Addresses { code: c, addrs } if *c == code => {
                    for a in addrs {
                        lines.push(format!("{label}[{n}] {a}"));
                        n += 1;
                    }
                }
                OptionRepr::Domains { code: c, names } if *c == code => {
                    for name in names {
                        lines.push(format!("{label}[{n}] {name}"));
                        n += 1;
                    }
                }
                _ => {}
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests;
