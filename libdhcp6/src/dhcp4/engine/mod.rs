//! The RFC 2131 server engine: what dhcp4s decides for each DHCPv4 message
//! it receives over DHCPv4-over-DHCPv6 (RFC 7341).
//!
//! Pure: no I/O, no clock (the caller passes `now` in seconds), no
//! randomness. The caller chooses the subnet of each query (RFC 7341's
//! selectors live in the daemon) and passes RFC 7341's U flag, which tells
//! a RENEWING client (unicast) from a REBINDING one (broadcast).
//!
//! # One loop turn
//!
//! [`Engine::server4_react`] answers one query and returns the lease
//! changes the answer depends on. The table shows them at once, so the next
//! query of the turn sees them. The caller makes the turn's changes durable
//! (the lease journal), then calls [`Engine::commit`] and sends the
//! answers; if that fails it calls [`Engine::rollback`], which puts the
//! table back as it was at the last commit, and sends none of the turn's
//! answers. Before taking an address the engine asks a [`Claims4`] (a store
//! several servers share may refuse: the engine then tries the next
//! candidate).
//!
//! # Invariants
//!
//! - One entry per address, so no address is ever given to two clients;
//!   a client holds at most one lease and one offer.
//! - An offer lives in memory only, for [`Config4::offer_hold`] seconds, and
//!   at most [`Config4::max_offers`] exist: the oldest is recycled first, so
//!   a flood of DISCOVERs from random identifiers pins neither memory nor
//!   the pool.
//! - Reserved addresses are never in a dynamic pool; a declined address is
//!   never offered before its quarantine ends.
//! - Work per query is bounded: allocation is O(log n) in the pool's free
//!   runs ([`crate::alloc::SlotSet`]), the expiry scan ends at most
//!   [`EXPIRE_PER_QUERY`] entries per query.

use core::net::Ipv4Addr;
use std::collections::HashMap;

use super::{MessageType, Op, OptionCode, OptionRepr, PacketRepr};

mod answer;
pub mod config;
mod table;
mod witness;

pub use answer::MIN_MAX_MESSAGE_SIZE;
pub use config::{Config4, ConfigError, LeaseTimes, Options4, Range4, Reservation4, Subnet4};
pub use table::AuditError;
pub use witness::{Violation, Witness};

use answer::Reply;
use table::{Entry, State, Table};

/// Most leases, offers and quarantines ended by one query's expiry scan.
pub const EXPIRE_PER_QUERY: usize = 64;
/// Most candidate addresses a store may refuse before a DISCOVER goes
/// unanswered.
pub const MAX_CLAIM_TRIES: usize = 8;
/// Longest client identifier kept (option 61 data); a longer one (RFC 3396
/// allows it) is not worth the memory and the query is dropped.
pub const MAX_CLIENT_ID_LEN: usize = 255;

/// How the engine knows a client (RFC 2131 §4.2): by its client identifier
/// (option 61, the whole data as sent) when it sends one, else by its
/// hardware type and address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClientKey {
    /// Option 61's data: the type octet and the identifier.
    Id(Vec<u8>),
    /// `htype` and the first `hlen` octets of `chaddr`.
    Hw {
        /// Hardware type.
        htype: u8,
        /// Hardware address.
        addr: Vec<u8>,
    },
}

impl ClientKey {
    /// The key of the client that sent `msg`; `None` when it has neither a
    /// usable client identifier nor a hardware address.
    pub fn of(msg: &PacketRepr) -> Option<Self> {
        match msg.option(OptionCode::ClientId) {
            Some(id) => {
                let data = id.data_to_vec();
                (data.len() <= MAX_CLIENT_ID_LEN).then_some(Self::Id(data))
            }
            None => Self::hw_of(msg),
        }
    }

    /// The hardware-address key of `msg`'s sender, whatever it identifies
    /// itself by (reservations by MAC match it).
    pub fn hw_of(msg: &PacketRepr) -> Option<Self> {
        let addr = msg.hw_addr();
        (!addr.is_empty()).then(|| Self::Hw {
            htype: msg.htype,
            addr: addr.to_vec(),
        })
    }

    /// Where in a pool to start looking for this client's address: FNV-1a
    /// (64 bits) of the key, a fixed function, so a client tends to get the
    /// same address from any server and any release of this code.
    pub fn hint(&self) -> u128 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |b: u8| {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        };
        match self {
            Self::Id(d) => d.iter().for_each(|&b| eat(b)),
            Self::Hw { htype, addr } => {
                eat(*htype);
                addr.iter().for_each(|&b| eat(b));
            }
        }
        u128::from(h)
    }
}

/// A lease as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease4 {
    /// The client.
    pub client: ClientKey,
    /// The address.
    pub addr: Ipv4Addr,
    /// The subnet's identifier.
    pub subnet: u32,
    /// When it ends (Unix seconds; `u64::MAX` for an infinite lease).
    pub expires: u64,
}

/// A change to the leases, to be made durable before the answer that
/// depends on it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change4 {
    /// A lease granted or extended (DHCPACK).
    Bind(Lease4),
    /// The client released its lease (DHCPRELEASE), or took another.
    Release {
        /// The client.
        client: ClientKey,
        /// The address.
        addr: Ipv4Addr,
    },
    /// The client declined the address (DHCPDECLINE): quarantined until
    /// `until`.
    Decline {
        /// The client.
        client: ClientKey,
        /// The address.
        addr: Ipv4Addr,
        /// End of the quarantine (Unix seconds).
        until: u64,
    },
    /// A lease ran out.
    Expire {
        /// The client.
        client: ClientKey,
        /// The address.
        addr: Ipv4Addr,
    },
}

/// The store's say in which addresses the engine takes. A store shared by
/// several servers refuses an address another of them holds.
pub trait Claims4 {
    /// May `client` take `addr` at `now`? False makes the engine try its
    /// next candidate (DISCOVER) or refuse the request (DHCPNAK).
    fn claim(&mut self, addr: Ipv4Addr, client: &ClientKey, now: u64) -> bool;
}

/// The store of a server alone with its leases: the engine's own table is
/// the authority, every claim is granted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unshared;

impl Claims4 for Unshared {
    fn claim(&mut self, _: Ipv4Addr, _: &ClientKey, _: u64) -> bool {
        true
    }
}

/// One received message and what the caller knows about it.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// The DHCPv4 message (from the DHCPV4-QUERY's option 87).
    pub msg: &'a PacketRepr,
    /// RFC 7341 §6.1's U flag: the client would have unicast the message.
    pub unicast: bool,
    /// The subnet the caller selected (its [`Subnet4::id`]).
    pub subnet: u32,
    /// The time, Unix seconds.
    pub now: u64,
}

/// What the engine decided for one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The answer, if any.
    pub answer: Option<PacketRepr>,
    /// Lease changes to make durable before the answer leaves (expiries
    /// found on the way included).
    pub changes: Vec<Change4>,
}

/// RFC 2131 §4.3.2's client states, told apart by the REQUEST's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestState {
    /// Server identifier present: answering an OFFER.
    Selecting,
    /// No server identifier, a requested address, ciaddr 0.
    InitReboot,
    /// ciaddr set, sent by unicast (U=1).
    Renewing,
    /// ciaddr set, broadcast (U=0).
    Rebinding,
}

/// Why a REQUEST gets a DHCPNAK, as option 56 says it.
const NAK_WRONG_NET: &str = "address not on this network";
const NAK_TAKEN: &str = "address not available";

/// The per-query context.
struct Turn<'q> {
    q: Query<'q>,
    client: ClientKey,
    /// Index of the selected subnet.
    s: usize,
    changes: Vec<Change4>,
}

/// The DHCPv4 server engine.
#[derive(Debug)]
pub struct Engine {
    cfg: Config4,
    by_id: HashMap<u32, usize>,
    table: Table,
}

impl Engine {
    /// An engine serving `cfg`, with no leases.
    pub fn new(cfg: Config4) -> Result<Self, ConfigError> {
        cfg.check()?;
        let by_id = cfg
            .subnets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        let table = Table::new(&cfg.subnets);
        Ok(Self { cfg, by_id, table })
    }

    /// The configuration served.
    pub fn config(&self) -> &Config4 {
        &self.cfg
    }

    /// Answers one query. Mirrors ISC dhcpd's do_packet → dhcp (dispatch
    /// on the message type); the `react_*` below mirror dhcpdiscover,
    /// dhcprequest, dhcpdecline, dhcprelease and dhcpinform.
    pub fn server4_react(&mut self, q: Query<'_>, store: &mut dyn Claims4) -> Outcome {
        let mut changes = self.expire(q.now, EXPIRE_PER_QUERY);
        let answer = self.react(q, store, &mut changes);
        Outcome { answer, changes }
    }

    fn react(
        &mut self,
        q: Query<'_>,
        store: &mut dyn Claims4,
        changes: &mut Vec<Change4>,
    ) -> Option<PacketRepr> {
        if q.msg.op != Op::BootRequest {
            return None;
        }
        let kind = q.msg.message_type()?;
        let client = ClientKey::of(q.msg)?;
        let s = *self.by_id.get(&q.subnet)?;
        let mut t = Turn {
            q,
            client,
            s,
            changes: std::mem::take(changes),
        };
        let answer = match kind {
            MessageType::Discover => self.react_discover(&mut t, store),
            MessageType::Request => self.react_request(&mut t, store),
            MessageType::Decline => self.react_decline(&mut t),
            MessageType::Release => self.react_release(&mut t),
            MessageType::Inform => self.react_inform(&t),
            _ => None,
        };
        *changes = t.changes;
        answer
    }

    /// Makes the changes since the last commit final (they are durable).
    pub fn commit(&mut self) {
        self.table.commit();
    }

    /// Takes back every change since the last commit (offers included):
    /// they could not be made durable, and the turn's answers are not sent.
    pub fn rollback(&mut self) {
        self.table.rollback();
    }

    /// Ends a loop turn: `write` makes the turn's `changes` durable (it is
    /// not called when there are none: offers are never journaled); then
    /// the engine commits and `answers` may leave. When `write` fails the
    /// engine rolls back and no answer of the turn leaves.
    pub fn conclude<E>(
        &mut self,
        changes: &[Change4],
        answers: Vec<PacketRepr>,
        write: impl FnOnce(&[Change4]) -> Result<(), E>,
    ) -> Result<Vec<PacketRepr>, E> {
        if !changes.is_empty() {
            if let Err(e) = write(changes) {
                self.rollback();
                return Err(e);
            }
        }
        self.commit();
        Ok(answers)
    }

    /// True when changes wait for [`Engine::commit`] or [`Engine::rollback`].
    pub fn dirty(&self) -> bool {
        self.table.dirty()
    }

    /// Ends at most `max` leases, offers and quarantines whose time is up
    /// by `now`, soonest first; returns the lease expiries to journal.
    pub fn expire(&mut self, now: u64, max: usize) -> Vec<Change4> {
        let mut changes = Vec::new();
        for _ in 0..max {
            match self.table.next_end() {
                Some((end, addr)) if end <= now => self.end_entry(addr, &mut changes),
                _ => break,
            }
        }
        changes
    }

    /// When the next lease, offer or quarantine ends, for the caller's timer.
    pub fn next_expiry(&self) -> Option<u64> {
        self.table.next_end().map(|(end, _)| end)
    }

    /// Every lease.
    pub fn leases(&self) -> Vec<Lease4> {
        self.table
            .bound()
            .filter_map(|(addr, e)| self.lease_of(addr, e))
            .collect()
    }

    /// The lease on `addr`, if it is bound.
    pub fn lease(&self, addr: Ipv4Addr) -> Option<Lease4> {
        self.table.get(addr).and_then(|e| self.lease_of(addr, e))
    }

    fn lease_of(&self, addr: Ipv4Addr, e: &Entry) -> Option<Lease4> {
        match &e.state {
            State::Bound { client, until } => Some(Lease4 {
                client: client.clone(),
                addr,
                subnet: self.cfg.subnets.get(e.subnet)?.id,
                expires: *until,
            }),
            _ => None,
        }
    }

    /// Number of outstanding offers.
    pub fn offers(&self) -> usize {
        self.table.offer_count()
    }

    /// Number of addresses with an entry (offered, bound or quarantined):
    /// the table's memory is proportional to it.
    pub fn entries(&self) -> usize {
        self.table.entries_len()
    }

    /// True when `addr` is quarantined after a DHCPDECLINE.
    pub fn is_quarantined(&self, addr: Ipv4Addr) -> bool {
        self.table
            .get(addr)
            .is_some_and(|e| matches!(e.state, State::Declined { .. }))
    }

    /// Every quarantined address and when its quarantine ends (what a
    /// journal snapshot keeps besides the leases).
    pub fn quarantines(&self) -> Vec<(Ipv4Addr, u64)> {
        self.table.declined().collect()
    }

    /// Ends the lease on `addr` at the operator's request (the control
    /// channel's remove): the address is free again. Returns the change to
    /// make durable before [`Engine::commit`], or `None` when `addr` has no
    /// lease.
    pub fn remove_lease(&mut self, addr: Ipv4Addr) -> Option<Change4> {
        let lease = self.lease(addr)?;
        self.table.remember(&lease.client, addr);
        self.table.set(addr, None);
        Some(Change4::Release {
            client: lease.client,
            addr,
        })
    }

    /// Checks the table's internal consistency (for tests and fuzzing).
    pub fn audit(&self) -> Result<(), AuditError> {
        self.table.audit()
    }

    /// Applies a change read back from the journal at start-up (or kept
    /// over a reload). Changes already over by `now`, for addresses no
    /// subnet holds, or for unknown subnets are skipped. Nothing is
    /// recorded for rollback.
    pub fn replay(&mut self, change: &Change4, now: u64) {
        match change {
            Change4::Bind(l) => {
                let Some(&s) = self.by_id.get(&l.subnet) else {
                    return;
                };
                let inside = self.cfg.subnets.get(s).is_some_and(|n| n.contains(l.addr));
                if !inside || l.expires <= now {
                    return;
                }
                let held = self.table.held(&l.client);
                if let Some(old) = held.bound.filter(|&a| a != l.addr) {
                    self.table.put(old, None);
                }
                let state = State::Bound {
                    client: l.client.clone(),
                    until: l.expires,
                };
                self.table.put(l.addr, Some(Entry { subnet: s, state }));
            }
            Change4::Release { client, addr } | Change4::Expire { client, addr } => {
                let holds = self.table.get(*addr).is_some_and(
                    |e| matches!(&e.state, State::Bound { client: c, .. } if c == client),
                );
                if holds {
                    self.table.put(*addr, None);
                }
            }
            Change4::Decline { addr, until, .. } => {
                let Some(s) = self.subnet_of(*addr) else {
                    return;
                };
                if *until > now {
                    let state = State::Declined { until: *until };
                    self.table.put(*addr, Some(Entry { subnet: s, state }));
                }
            }
        }
    }

    /// Takes a shared store's word for `client`'s lease, re-read before a
    /// batch relies on it: the lease another server granted, extended or
    /// moved replaces what the table had, and a lease the store no longer
    /// has is dropped. True when the table changed. Like
    /// [`Engine::replay`], nothing is recorded for rollback: the store,
    /// not this turn, made the change.
    pub fn adopt(&mut self, client: &ClientKey, lease: Option<&Lease4>, now: u64) -> bool {
        let mine = self.table.held(client).bound;
        match lease {
            Some(l) if *client == l.client => {
                if mine == Some(l.addr)
                    && self.lease(l.addr).is_some_and(|h| h.expires == l.expires)
                {
                    return false;
                }
                self.replay(&Change4::Bind(l.clone()), now);
                self.table.held(client).bound == Some(l.addr)
            }
            _ => match mine {
                Some(addr) => {
                    self.table.put(addr, None);
                    true
                }
                None => false,
            },
        }
    }

    /// The subnet holding `addr`.
    fn subnet_of(&self, addr: Ipv4Addr) -> Option<usize> {
        self.cfg.subnets.iter().position(|s| s.contains(addr))
    }

    /// Ends `addr`'s entry: a lease expires (journaled), an offer or a
    /// quarantine simply goes.
    fn end_entry(&mut self, addr: Ipv4Addr, changes: &mut Vec<Change4>) {
        if let Some(Entry {
            state: State::Bound { client, .. },
            ..
        }) = self.table.get(addr).cloned()
        {
            self.table.remember(&client, addr);
            changes.push(Change4::Expire { client, addr });
        }
        self.table.set(addr, None);
    }

    /// Ends `addr`'s entry if its time is up (the bounded scan may not
    /// have reached it yet).
    fn settle(&mut self, t: &mut Turn<'_>, addr: Ipv4Addr) {
        if self
            .table
            .get(addr)
            .is_some_and(|e| e.state.until() <= t.q.now)
        {
            self.end_entry(addr, &mut t.changes);
        }
    }

    /// The reservation for `t`'s client in its subnet, by client
    /// identifier or by hardware address.
    fn reservation(&self, t: &Turn<'_>) -> Option<&Reservation4> {
        let hw = ClientKey::hw_of(t.q.msg);
        let subnet = self.cfg.subnets.get(t.s)?;
        subnet
            .reservations
            .iter()
            .find(|r| r.host == t.client)
            .or_else(|| {
                subnet
                    .reservations
                    .iter()
                    .find(|r| Some(&r.host) == hw.as_ref())
            })
    }

    /// True when `addr` may be given to `t`'s client: inside the subnet and
    /// either free and in a pool or reserved for it, or already its own.
    /// With `take_offers`, an address offered to another client counts as
    /// free: an offer is a soft hold a REQUEST naming the address wins.
    fn allowed(&self, t: &Turn<'_>, addr: Ipv4Addr, take_offers: bool) -> bool {
        let mine = self.reservation(t).map(|r| r.addr) == Some(addr);
        let allocatable = mine || self.table.in_pool(t.s, addr);
        match self.table.get(addr) {
            None => allocatable,
            Some(e) if e.subnet != t.s => false,
            Some(e) => match &e.state {
                State::Bound { client, .. } => *client == t.client,
                State::Offered { client, .. } => {
                    *client == t.client || (take_offers && allocatable)
                }
                State::Declined { .. } => false,
            },
        }
    }

    /// Answers a DHCPDISCOVER with an offer, or not at all when nothing is
    /// free (RFC 2131 §4.3.1).
    fn react_discover(&mut self, t: &mut Turn<'_>, store: &mut dyn Claims4) -> Option<PacketRepr> {
        let addr = self.pick(t, store)?;
        self.make_offer(t, addr);
        let subnet = self.cfg.subnets.get(t.s)?;
        self.answer(
            t,
            MessageType::Offer,
            addr,
            Ipv4Addr::UNSPECIFIED,
            Some(subnet.times()),
        )
    }

    /// The address to offer (RFC 2131 §4.3.1): the client's reservation,
    /// its lease, its outstanding offer, its previous address, the address
    /// it asks for, a free one near its hint, and last the oldest offer
    /// made to anyone in the subnet.
    fn pick(&mut self, t: &mut Turn<'_>, store: &mut dyn Claims4) -> Option<Ipv4Addr> {
        let held = self.table.held(&t.client);
        let candidates = [
            self.reservation(t).map(|r| r.addr),
            held.bound,
            held.offer,
            self.table.last_addr(&t.client),
            t.q.msg.requested_ip(),
        ];
        for addr in candidates.into_iter().flatten() {
            self.settle(t, addr);
            if self.allowed(t, addr, false) && store.claim(addr, &t.client, t.q.now) {
                return Some(addr);
            }
        }
        if let Some(addr) = self.pick_free(t, store) {
            return Some(addr);
        }
        let oldest = self.table.oldest_offer_in(t.s)?;
        self.table.set(oldest, None);
        store.claim(oldest, &t.client, t.q.now).then_some(oldest)
    }

    /// A free pool address near the client's hint that the store grants,
    /// after at most [`MAX_CLAIM_TRIES`] refusals.
    fn pick_free(&self, t: &Turn<'_>, store: &mut dyn Claims4) -> Option<Ipv4Addr> {
        let pools = self.table.pools.get(t.s)?;
        let hint = t.client.hint();
        let n = pools.len();
        let start = usize::try_from(hint % u128::try_from(n.max(1)).ok()?).ok()?;
        let mut tries = 0;
        for i in 0..n {
            let pool = pools.get((start + i) % n)?;
            let mut from = hint;
            let mut first = None;
            while tries < MAX_CLAIM_TRIES {
                let Some(slot) = pool.free.find_free_from(from) else {
                    break;
                };
                if first == Some(slot) {
                    break; // wrapped round this range
                }
                first.get_or_insert(slot);
                tries += 1;
                let addr = pool.addr(slot)?;
                if store.claim(addr, &t.client, t.q.now) {
                    return Some(addr);
                }
                from = slot + 1;
            }
        }
        None
    }

    /// Holds `addr` for the client for [`Config4::offer_hold`] seconds,
    /// in memory; a bound address needs no hold. Recycles the oldest offers
    /// past [`Config4::max_offers`].
    fn make_offer(&mut self, t: &mut Turn<'_>, addr: Ipv4Addr) {
        let held = self.table.held(&t.client);
        if held.bound == Some(addr) {
            return;
        }
        if let Some(old) = held.offer.filter(|&o| o != addr) {
            self.table.set(old, None);
        }
        let seq = self.table.seq();
        let until = t.q.now.saturating_add(u64::from(self.cfg.offer_hold));
        let state = State::Offered {
            client: t.client.clone(),
            until,
            seq,
        };
        self.table.set(addr, Some(Entry { subnet: t.s, state }));
        while self.table.offer_count() > self.cfg.max_offers {
            match self.table.oldest_offer() {
                Some(a) if a != addr => self.table.set(a, None),
                _ => break,
            }
        }
    }

    /// Tells the REQUEST's state apart (RFC 2131 §4.3.2, RFC 7341 §6.1 for
    /// the U flag); `None` for a REQUEST that fits none.
    fn request_state(q: &Query<'_>) -> Option<RequestState> {
        let msg = q.msg;
        Some(match (msg.server_id(), msg.ciaddr.is_unspecified()) {
            (Some(_), _) => RequestState::Selecting,
            (None, true) if msg.requested_ip().is_some() => RequestState::InitReboot,
            (None, true) => return None,
            (None, false) if q.unicast => RequestState::Renewing,
            (None, false) => RequestState::Rebinding,
        })
    }

    /// Answers a DHCPREQUEST with DHCPACK or DHCPNAK, or not at all
    /// (RFC 2131 §4.3.2).
    fn react_request(&mut self, t: &mut Turn<'_>, store: &mut dyn Claims4) -> Option<PacketRepr> {
        let state = Self::request_state(&t.q)?;
        let msg = t.q.msg;
        let addr = match state {
            RequestState::Selecting => {
                if msg.server_id() != Some(self.cfg.server_id) {
                    // The client chose another server: our offer is void.
                    if let Some(offer) = self.table.held(&t.client).offer {
                        self.table.set(offer, None);
                    }
                    return None;
                }
                msg.requested_ip()?
            }
            RequestState::InitReboot => msg.requested_ip()?,
            RequestState::Renewing | RequestState::Rebinding => msg.ciaddr,
        };
        let subnet = self.cfg.subnets.get(t.s)?;
        if !subnet.contains(addr) {
            return self.nak(t, NAK_WRONG_NET);
        }
        self.settle(t, addr);
        if state == RequestState::InitReboot {
            // RFC 2131 §4.3.2: a rebooting client whose notion of its
            // address differs from our record is told so; one we have no
            // record of is another server's, unless we are the only one.
            let lease = self.table.held(&t.client).bound;
            if lease.is_none() && !self.cfg.authoritative {
                return None;
            }
            let here = lease.and_then(|a| self.table.get(a)).map(|e| e.subnet) == Some(t.s);
            if here && lease != Some(addr) {
                return self.nak(t, NAK_TAKEN);
            }
        }
        let ours = self.table.get(addr).is_some()
            || self.table.in_pool(t.s, addr)
            || self.table.is_reserved(addr);
        if state == RequestState::Rebinding && !ours {
            // RFC 2131 §4.3.2: another server's lease on this network;
            // only that server may answer.
            return None;
        }
        if !self.allowed(t, addr, true) || !self.bind(t, addr, store) {
            return self.nak(t, NAK_TAKEN);
        }
        let ciaddr = match state {
            RequestState::Renewing | RequestState::Rebinding => msg.ciaddr,
            _ => Ipv4Addr::UNSPECIFIED,
        };
        let subnet = self.cfg.subnets.get(t.s)?;
        self.answer(t, MessageType::Ack, addr, ciaddr, Some(subnet.times()))
    }

    /// Binds `addr` to the client for the subnet's lease time, if the
    /// store grants it; the client's other lease and offer are let go.
    fn bind(&mut self, t: &mut Turn<'_>, addr: Ipv4Addr, store: &mut dyn Claims4) -> bool {
        if !store.claim(addr, &t.client, t.q.now) {
            return false;
        }
        let Some(subnet) = self.cfg.subnets.get(t.s) else {
            return false;
        };
        let expires = match subnet.lease_time {
            config::INFINITE => u64::MAX,
            n => t.q.now.saturating_add(u64::from(n)),
        };
        let held = self.table.held(&t.client);
        if let Some(old) = held.bound.filter(|&a| a != addr) {
            self.table.remember(&t.client, old);
            self.table.set(old, None);
            t.changes.push(Change4::Release {
                client: t.client.clone(),
                addr: old,
            });
        }
        if let Some(offer) = held.offer.filter(|&a| a != addr) {
            self.table.set(offer, None);
        }
        let state = State::Bound {
            client: t.client.clone(),
            until: expires,
        };
        self.table.set(addr, Some(Entry { subnet: t.s, state }));
        t.changes.push(Change4::Bind(Lease4 {
            client: t.client.clone(),
            addr,
            subnet: subnet.id,
            expires,
        }));
        true
    }

    /// True when a DECLINE or RELEASE names another server (RFC 2131
    /// §4.3.3, §4.3.4: the server identifier must be ours).
    fn for_another_server(&self, msg: &PacketRepr) -> bool {
        msg.server_id().is_some_and(|s| s != self.cfg.server_id)
    }

    /// A DHCPDECLINE: the address the client was given is in use on the
    /// link; it is quarantined for [`Config4::decline_time`] seconds
    /// (RFC 2131 §4.3.3). No answer.
    fn react_decline(&mut self, t: &mut Turn<'_>) -> Option<PacketRepr> {
        if self.for_another_server(t.q.msg) {
            return None;
        }
        let addr = t.q.msg.requested_ip()?;
        self.settle(t, addr);
        let entry = self.table.get(addr)?;
        if entry.state.client() != Some(&t.client) {
            return None;
        }
        let subnet = entry.subnet;
        let until = t.q.now.saturating_add(u64::from(self.cfg.decline_time));
        self.table.set(
            addr,
            Some(Entry {
                subnet,
                state: State::Declined { until },
            }),
        );
        t.changes.push(Change4::Decline {
            client: t.client.clone(),
            addr,
            until,
        });
        None
    }

    /// A DHCPRELEASE: the client gives its lease on `ciaddr` back
    /// (RFC 2131 §4.3.4). No answer.
    fn react_release(&mut self, t: &mut Turn<'_>) -> Option<PacketRepr> {
        if self.for_another_server(t.q.msg) {
            return None;
        }
        let addr = t.q.msg.ciaddr;
        let holds = self.table.get(addr).is_some_and(
            |e| matches!(&e.state, State::Bound { client, .. } if *client == t.client),
        );
        if !holds {
            return None;
        }
        self.table.remember(&t.client, addr);
        self.table.set(addr, None);
        t.changes.push(Change4::Release {
            client: t.client.clone(),
            addr,
        });
        None
    }

    /// A DHCPINFORM: a DHCPACK with configuration only, no lease, no
    /// `yiaddr`, and no look at any lease (RFC 2131 §4.3.5).
    fn react_inform(&self, t: &Turn<'_>) -> Option<PacketRepr> {
        self.answer(
            t,
            MessageType::Ack,
            Ipv4Addr::UNSPECIFIED,
            t.q.msg.ciaddr,
            None,
        )
    }

    /// A DHCPNAK with `why` in option 56 (RFC 2131 §4.3.2).
    fn nak(&self, t: &Turn<'_>, why: &'static str) -> Option<PacketRepr> {
        Some(answer::build(
            t.q.msg,
            self.cfg.server_id,
            Reply {
                kind: MessageType::Nak,
                yiaddr: Ipv4Addr::UNSPECIFIED,
                ciaddr: Ipv4Addr::UNSPECIFIED,
                times: None,
                options: Vec::new(),
                message: Some(why),
            },
        ))
    }

    /// An OFFER or ACK carrying the subnet's options, the host's replacing
    /// those of the same code.
    fn answer(
        &self,
        t: &Turn<'_>,
        kind: MessageType,
        yiaddr: Ipv4Addr,
        ciaddr: Ipv4Addr,
        times: Option<LeaseTimes>,
    ) -> Option<PacketRepr> {
        let subnet = self.cfg.subnets.get(t.s)?;
        let mut options = vec![OptionRepr::SubnetMask(subnet.mask())];
        options.extend(subnet.options.reprs());
        if let Some(host) = self.reservation(t) {
            for o in host.options.reprs() {
                match options.iter_mut().find(|have| have.code() == o.code()) {
                    Some(have) => *have = o,
                    None => options.push(o),
                }
            }
        }
        let reply = Reply {
            kind,
            yiaddr,
            ciaddr,
            times,
            options,
            message: None,
        };
        Some(answer::build(t.q.msg, self.cfg.server_id, reply))
    }
}

#[cfg(test)]
mod tests;
