//! The server's state and the socket-free half of its receive path:
//! `server6_recv` checks and unwraps a datagram (`process_relayforw`),
//! picks the client's link and host, calls the `react_*` handler for the
//! message type and wraps the answer for the way back. Mirrors dhcp6s.c.

use std::collections::HashMap;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::sync::Arc;

use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::config::{Host, InfoKind, InfoOptions, Link, Scope, ServerConfig};
use libdhcp6::duid::Duid;
use libdhcp6::lease::{Binding, BindingKey, Change, Lease, LeaseStore, Resource};
use libdhcp6::wire::{
    decapsulate, encapsulate_reply, DomainName, MessageRepr, OptionRepr, RelayChain, StatusCode,
    Writer, CLIENT_PORT, SERVER_PORT,
};

use crate::pools::Pools;

/// How long a declined address stays out of use (Kea's default probation).
pub const DECLINE_QUARANTINE: u32 = 86400;

/// A served interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// Name.
    pub name: String,
    /// Index.
    pub ifindex: u32,
    /// Prefixes of its link (from its global addresses), for on-link checks
    /// of directly connected clients.
    pub onlink: Vec<(Ipv6Addr, u8)>,
}

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
}

impl DropReason {
    /// Every reason, in counter order.
    pub const ALL: [DropReason; 10] = [
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

/// A received datagram.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// Its bytes.
    pub pkt: &'a [u8],
    /// Source address and port.
    pub src: SocketAddrV6,
    /// Destination address (multicast group or our unicast address).
    pub dst: Ipv6Addr,
    /// Receiving interface.
    pub ifindex: u32,
}

/// Where the answer written into the output buffer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outgoing {
    /// Its length.
    pub len: usize,
    /// Destination.
    pub dst: SocketAddrV6,
    /// Outgoing interface.
    pub ifindex: u32,
    /// Type of the answer to the client (inside any Relay-replies).
    pub msg_type: MessageType,
    /// Wrapped in Relay-replies for the relays it came through.
    pub relayed: bool,
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
    /// Served interfaces.
    pub served: Vec<Served>,
    /// Counters.
    pub counters: Counters,
    /// Seconds a declined address stays quarantined.
    pub quarantine: u32,
    /// Scratch buffer for a reply before it is wrapped for relays.
    scratch: Vec<u8>,
    /// Host entries by DUID (the first in file order wins, as in WIDE):
    /// an ISP's thousands of hosts cost one hash lookup per packet.
    hosts_by_duid: HashMap<Duid, usize>,
}

fn index_hosts(cfg: &ServerConfig) -> HashMap<Duid, usize> {
    let mut m = HashMap::new();
    for (i, h) in cfg.hosts.iter().enumerate() {
        if let Some(d) = &h.duid {
            m.entry(d.clone()).or_insert(i);
        }
    }
    m
}

/// Where a client is, as far as configuration goes: its host entry, the
/// link (relayed) or interface (direct) block, and that link's prefixes.
pub struct Scoped<'c> {
    /// The client's host entry, if any.
    pub host: Option<&'c Host>,
    /// The link or interface block.
    pub base: Option<&'c Scope>,
    /// Name of the link or interface, for logs.
    pub name: &'c str,
    /// Prefixes known to be on the client's link.
    pub onlink: Vec<(Ipv6Addr, u8)>,
    /// The global options.
    pub global: &'c InfoOptions,
}

/// Where a kind of lease comes from for this client.
#[derive(Debug, Clone, Copy)]
pub enum Source<'c> {
    /// A host's fixed addresses or prefixes.
    Fixed(&'c [libdhcp6::config::Lease]),
    /// A pool, with the lifetimes it hands out.
    Pool(&'c libdhcp6::config::PoolRef),
}

fn in_prefix(a: &Ipv6Addr, p: &Ipv6Addr, len: u8) -> bool {
    if len == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - u32::from(len.min(128)));
    u128::from(*a) & mask == u128::from(*p) & mask
}

impl<'c> Scoped<'c> {
    fn scopes(&self) -> impl Iterator<Item = &'c Scope> {
        self.host.map(|h| &h.scope).into_iter().chain(self.base)
    }

    /// Preference for Advertise (C-052: none unless configured).
    pub fn preference(&self) -> Option<u8> {
        self.scopes().find_map(|s| s.preference)
    }

    /// Whether a Solicit with Rapid Commit gets a committed Reply.
    pub fn rapid_commit(&self) -> bool {
        self.scopes().any(|s| s.allow_rapid_commit)
    }

    /// IA_NA source. As in WIDE, a client with a host entry gets the host's
    /// addresses or the host's own pool, never the interface pool.
    pub fn addresses(&self) -> Option<Source<'c>> {
        match self.host {
            Some(h) if !h.addresses.is_empty() => Some(Source::Fixed(&h.addresses)),
            Some(h) => h.scope.address_pool.as_ref().map(Source::Pool),
            None => self
                .base
                .and_then(|b| b.address_pool.as_ref())
                .map(Source::Pool),
        }
    }

    /// IA_PD source: the host's prefixes, else a prefix pool of the host or link.
    pub fn prefixes(&self) -> Option<Source<'c>> {
        match self.host {
            Some(h) if !h.prefixes.is_empty() => Some(Source::Fixed(&h.prefixes)),
            _ => self
                .scopes()
                .find_map(|s| s.prefix_pool.as_ref())
                .map(Source::Pool),
        }
    }

    /// IA_TA source (kame6).
    pub fn temporary(&self) -> Option<Source<'c>> {
        self.scopes()
            .find_map(|s| s.ta_pool.as_ref())
            .map(Source::Pool)
    }

    /// True when something tells us which prefixes belong on this link.
    pub fn knows_link(&self) -> bool {
        !self.onlink.is_empty()
            || self
                .scopes()
                .any(|s| s.address_pool.is_some() || s.ta_pool.is_some())
            || self.host.is_some_and(|h| !h.addresses.is_empty())
    }

    /// Whether address `a` may be used on this link (RFC 8415 §18.3.2 "appropriate").
    pub fn address_ok(&self, a: &Ipv6Addr, pools: &Pools) -> bool {
        self.onlink.iter().any(|(p, l)| in_prefix(a, p, *l))
            || self
                .host
                .is_some_and(|h| h.addresses.iter().any(|l| l.addr == *a))
            || self.scopes().any(|s| {
                [&s.address_pool, &s.ta_pool]
                    .into_iter()
                    .flatten()
                    .any(|r| pools.addr_pool(&r.name).is_some_and(|p| p.contains(a)))
            })
    }

    /// Whether prefix `p/len` may be delegated to this client.
    pub fn prefix_ok(&self, p: &Ipv6Addr, len: u8, pools: &Pools) -> bool {
        self.host
            .is_some_and(|h| h.prefixes.iter().any(|l| l.addr == *p && l.len == len))
            || self
                .scopes()
                .filter_map(|s| s.prefix_pool.as_ref())
                .any(|r| {
                    pools
                        .prefix_pool(&r.name)
                        .is_some_and(|pool| pool.contains(p) && pool.delegated_len() == len)
                })
    }

    /// The information options for this client: global ones, overridden
    /// per kind by the link/interface block and then by the host.
    pub fn info_options(&self, refresh: bool) -> Vec<OptionRepr> {
        let mut out = Vec::new();
        let layers: Vec<&InfoOptions> = [Some(self.global)]
            .into_iter()
            .chain([
                self.base.map(|b| &b.options),
                self.host.map(|h| &h.scope.options),
            ])
            .flatten()
            .collect();
        for kind in InfoKind::ALL {
            let top = layers.iter().rev().find(|l| {
                if kind.takes_names() {
                    !l.names_of(kind).is_empty()
                } else {
                    !l.addresses_of(kind).is_empty()
                }
            });
            let Some(layer) = top else { continue };
            if kind.takes_names() {
                let names: Vec<DomainName> = layer
                    .names_of(kind)
                    .iter()
                    .filter_map(|n| DomainName::from_text(n).ok())
                    .collect();
                if !names.is_empty() {
                    out.push(OptionRepr::Domains {
                        code: kind.code(),
                        names,
                    });
                }
            } else {
                out.push(OptionRepr::Addresses {
                    code: kind.code(),
                    addrs: layer.addresses_of(kind).to_vec(),
                });
            }
        }
        if refresh {
            if let Some(t) = layers.iter().rev().find_map(|l| l.refresh_time) {
                out.push(OptionRepr::InformationRefreshTime(t));
            }
        }
        out
    }
}

fn link_matches(link: &Link, chain: &RelayChain<'_>) -> bool {
    let addr_ok = link.link_addresses.is_empty()
        || chain.link_address().is_some_and(|a| {
            link.link_addresses
                .iter()
                .any(|(p, l)| in_prefix(&a, p, *l))
        });
    let id_ok = link.interface_ids.is_empty()
        || chain
            .levels()
            .iter()
            .rev()
            .filter_map(|l| l.interface_id)
            .any(|id| link.interface_ids.iter().any(|w| w.as_slice() == id));
    addr_ok && id_ok
}

/// The request being answered.
pub struct Request<'m> {
    /// The client message.
    pub msg: &'m MessageRepr,
    /// The client's DUID (checked present where required).
    pub client_id: Option<&'m Duid>,
    /// Now, seconds since the Unix epoch.
    pub now: u64,
}

impl<S: LeaseStore> Server<S> {
    /// A server for `cfg`, bindings in `store`.
    pub fn new(cfg: Arc<ServerConfig>, duid: Duid, store: S, served: Vec<Served>) -> Self {
        let pools = Pools::build(&cfg, &store);
        let hosts_by_duid = index_hosts(&cfg);
        Self {
            hosts_by_duid,
            cfg,
            duid,
            store,
            pools,
            served,
            counters: Counters::default(),
            quarantine: DECLINE_QUARANTINE,
            scratch: vec![0; libdhcp6::wire::MAX_MESSAGE_LEN],
        }
    }

    /// Swaps in a new configuration, keeping bindings; the pools are
    /// rebuilt and every live lease stays marked (mirrors server6_reload).
    pub fn reconfigure(&mut self, cfg: Arc<ServerConfig>) {
        self.pools = Pools::build(&cfg, &self.store);
        self.hosts_by_duid = index_hosts(&cfg);
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

    /// Ends leases and quarantines that ran out by `now` and frees their space.
    pub fn expire(&mut self, now: u64) -> usize {
        let freed = self.store.expire(now);
        for res in &freed {
            self.pools.free(res);
        }
        freed.len()
    }

    fn scoped<'c>(
        &self,
        cfg: &'c ServerConfig,
        chain: &RelayChain<'_>,
        ifindex: u32,
        client: Option<&Duid>,
    ) -> Scoped<'c> {
        let host = client
            .and_then(|d| self.hosts_by_duid.get(d))
            .and_then(|&i| cfg.hosts.get(i));
        let served = self.served.iter().find(|s| s.ifindex == ifindex);
        let iface = served.and_then(|s| cfg.interface(&s.name));
        if !chain.is_empty() {
            if let Some(link) = cfg.links.iter().find(|l| link_matches(l, chain)) {
                let mut onlink = link.link_addresses.clone();
                onlink.retain(|(_, l)| *l <= 128);
                return Scoped {
                    host,
                    base: Some(&link.scope),
                    name: &link.name,
                    onlink,
                    global: &cfg.options,
                };
            }
            // No link block: WIDE serves relayed clients from the
            // interface's settings; the relay's link-address (a /64) tells
            // which prefix is on the client's link.
            let onlink = chain
                .link_address()
                .map(|a| vec![(a, 64)])
                .unwrap_or_default();
            return Scoped {
                host,
                base: iface.map(|i| &i.scope),
                name: iface.map(|i| i.name.as_str()).unwrap_or("relayed"),
                onlink,
                global: &cfg.options,
            };
        }
        Scoped {
            host,
            base: iface.map(|i| &i.scope),
            name: iface.map(|i| i.name.as_str()).unwrap_or(""),
            onlink: served.map(|s| s.onlink.clone()).unwrap_or_default(),
            global: &cfg.options,
        }
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
        let (chain, inner) = decapsulate(inc.pkt).map_err(|_| DropReason::Malformed)?;
        let Some(&t) = inner.first() else {
            return Err(DropReason::Malformed);
        };
        let msg_type = MessageType::from(t);
        if let Some(c) = self.counters.received.get_mut(usize::from(t)) {
            *c += 1;
        }
        use MessageType as M;
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
        let msg = MessageRepr::from_bytes(inner).map_err(|_| DropReason::Malformed)?;
        let client_id = msg.client_id();
        let server_id = msg.server_id();
        match msg_type {
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
                if server_id != Some(&self.duid) {
                    return Err(DropReason::NotOurServerId);
                }
            }
            _ => {
                if server_id.is_some_and(|s| s != &self.duid) {
                    return Err(DropReason::NotOurServerId);
                }
                if msg.options.iter().any(|o| {
                    matches!(
                        o,
                        OptionRepr::IaNa(_) | OptionRepr::IaTa(_) | OptionRepr::IaPd(_)
                    )
                }) {
                    return Err(DropReason::IaInInformationRequest);
                }
            }
        }
        let cfg = Arc::clone(&self.cfg);
        let scoped = self.scoped(&cfg, &chain, inc.ifindex, client_id);
        libdhcp6::log_debug!(
            "server6_recv",
            "{} from {} via {} relays, link {}",
            msg_type,
            inc.src,
            chain.len(),
            scoped.name
        );
        let req = Request {
            msg: &msg,
            client_id,
            now,
        };
        let reply = if direct_unicast {
            // C-042: Request/Renew/Release/Decline by unicast without our
            // having offered Server Unicast: UseMulticast and nothing else.
            Some(self.use_multicast(&req))
        } else {
            match msg_type {
                M::Solicit => self.react_solicit(&req, &scoped),
                M::Request => self.react_request(&req, &scoped),
                M::Confirm => self.react_confirm(&req, &scoped),
                M::Renew => self.react_renew(&req, &scoped),
                M::Rebind => self.react_rebind(&req, &scoped),
                M::Release => self.react_release(&req, &scoped),
                M::Decline => self.react_decline(&req, &scoped),
                _ => self.react_informreq(&req, &scoped),
            }
        };
        let reply = reply.ok_or(DropReason::NothingToSay)?;
        self.server6_send(&reply, &chain, inc, out)
    }

    /// Writes `reply`, wrapped for the relays it came through, and says
    /// where it goes (C-046, C-075 … C-078).
    fn server6_send(
        &mut self,
        reply: &MessageRepr,
        chain: &RelayChain<'_>,
        inc: &Incoming<'_>,
        out: &mut [u8],
    ) -> Result<Outgoing, DropReason> {
        if chain.is_empty() {
            let mut w = Writer::new(out);
            reply.emit(&mut w).map_err(|_| DropReason::TooBig)?;
            let scope = if inc.src.ip().is_unicast_link_local() {
                inc.ifindex
            } else {
                0
            };
            return Ok(Outgoing {
                len: w.len(),
                dst: SocketAddrV6::new(*inc.src.ip(), CLIENT_PORT, 0, scope),
                ifindex: inc.ifindex,
                msg_type: reply.msg_type,
                relayed: false,
            });
        }
        let n = {
            let mut w = Writer::new(&mut self.scratch);
            reply.emit(&mut w).map_err(|_| DropReason::TooBig)?;
            w.len()
        };
        let inner = self.scratch.get(..n).ok_or(DropReason::TooBig)?;
        let mut w = Writer::new(out);
        encapsulate_reply(chain, inner, &mut w).map_err(|_| DropReason::TooBig)?;
        // C-076: to the datagram's source, port 547; C-078: the relay's own
        // port when it told us with a Relay Source Port option.
        let port = match chain.levels().first().and_then(|l| l.relay_port) {
            Some(_) => inc.src.port(),
            None => SERVER_PORT,
        };
        let scope = if inc.src.ip().is_unicast_link_local() {
            inc.ifindex
        } else {
            0
        };
        Ok(Outgoing {
            len: w.len(),
            dst: SocketAddrV6::new(*inc.src.ip(), port, 0, scope),
            ifindex: inc.ifindex,
            msg_type: reply.msg_type,
            relayed: true,
        })
    }

    /// The skeleton of every answer: type, transaction-id, Client ID
    /// copied when sent (C-044, C-038), our Server ID (C-043).
    pub fn reply_base(&self, req: &Request<'_>, msg_type: MessageType) -> MessageRepr {
        let mut options = Vec::with_capacity(8);
        if let Some(c) = req.client_id {
            options.push(OptionRepr::ClientId(c.clone()));
        }
        options.push(OptionRepr::ServerId(self.duid.clone()));
        MessageRepr {
            msg_type,
            transaction_id: req.msg.transaction_id,
            options,
        }
    }

    fn use_multicast(&self, req: &Request<'_>) -> MessageRepr {
        let mut m = self.reply_base(req, MessageType::Reply);
        m.options.push(OptionRepr::StatusCode(StatusCode::new(
            Status::UseMulticast,
        )));
        m
    }

    /// Records `leases` as the binding for `key` (a Reply will acknowledge
    /// it): pool space of leases it no longer has is freed, new space taken.
    pub fn grant(&mut self, key: BindingKey, leases: Vec<Lease>) {
        if let Some(old) = self.store.binding(&key) {
            let gone: Vec<Resource> = old
                .leases
                .iter()
                .filter(|l| !leases.iter().any(|n| n.res == l.res))
                .map(|l| l.res)
                .collect();
            for r in &gone {
                self.pools.free(r);
            }
        }
        for l in &leases {
            if self.store.holder(&l.res) != Some(&key) {
                self.pools.take(&l.res);
            }
        }
        self.store.apply(Change::Bind(Binding { key, leases }));
    }
}

/// The option code an IA kind's status goes with, for logs.
pub fn unavailable_status(kind: libdhcp6::lease::IaKind) -> Status {
    match kind {
        libdhcp6::lease::IaKind::Pd => Status::NoPrefixAvail,
        _ => Status::NoAddrsAvail,
    }
}

/// Option codes a reply to this request should carry beyond the defaults:
/// true when the client's ORO asks for `code`.
pub fn requested(msg: &MessageRepr, code: OptionCode) -> bool {
    msg.options
        .iter()
        .any(|o| matches!(o, OptionRepr::Oro(c) if c.contains(&code)))
}
