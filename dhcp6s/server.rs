//! The server's state and the socket-free half of its receive path:
//! `server6_recv` checks and unwraps a datagram (`process_relayforw`),
//! picks the client's link and host, calls the `react_*` handler for the
//! message type and wraps the answer for the way back. Mirrors dhcp6s.c.

use std::collections::HashMap;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::sync::Arc;

use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::config::server::{Host, Link, PoolRef, Scope};
use libdhcp6::config::{FixedLease, InfoKind, InfoOptions, ServerConfig};
use libdhcp6::duid::Duid;
use libdhcp6::lease::{Binding, BindingKey, Change, IaKind, LeaseStore, Leases, Resource};
use libdhcp6::timing::IRT_DEFAULT;
use libdhcp6::wire::{
    decapsulate_into, emit_header, encapsulate_reply, DomainName, IaAddr, IaPrefix, OptionRepr,
    RelayChain, StatusCode, Writer, CLIENT_PORT, SERVER_PORT,
};

use crate::auth::{emit_reply_auth, reconfigure_enabled, signing_secret, ReplyAuth, ServerAuth};
use crate::pools::Pools;
use crate::react::{timers, Answer, IaAnswer, Info};
use libdhcp6::request::{ClientMsg, RequestError};

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
    /// More IAs or listed addresses than any client needs.
    TooManyIas,
    /// More than one Authentication option (C-170).
    RepeatedAuth,
    /// Delayed authentication present but not valid for the client's host
    /// entry (doc/wide-compat.md §6.4: silently discarded).
    AuthFailed,
}

impl DropReason {
    /// Every reason, in counter order.
    pub const ALL: [DropReason; 13] = [
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

/// Which block of the configuration a client is served from, to find its
/// pre-encoded information options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseId {
    /// No interface or link block: global settings only.
    Global,
    /// `interface` block, by index in the configuration.
    Interface(usize),
    /// `link` block, by index in the configuration.
    Link(usize),
}

/// Information options encoded once per configuration (global ones
/// overridden per kind by an interface or link block), so an answer copies
/// bytes instead of encoding names per packet.
#[derive(Debug, Clone, Default)]
struct InfoBlock {
    /// Encoded options, refresh time excluded.
    options: Vec<u8>,
    /// The refresh time in force, if configured.
    refresh: Option<u32>,
}

#[derive(Debug, Clone, Default)]
struct InfoCache {
    global: InfoBlock,
    interfaces: Vec<InfoBlock>,
    links: Vec<InfoBlock>,
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
    /// Seconds a declined address stays quarantined.
    pub quarantine: u32,
    /// Scratch buffer for a reply before it is wrapped for relays.
    scratch: Vec<u8>,
    /// Host entries by DUID (the first in file order wins, as in WIDE):
    /// an ISP's thousands of hosts cost one hash lookup per packet.
    hosts_by_duid: HashMap<Duid, usize>,
    /// Host entries by relay-supplied identifier (kame6).
    hosts_by_relay_id: RelayIdIndex,
    /// Encoded information options per interface and link block.
    info: InfoCache,
    /// Reconfigure and delayed authentication.
    pub auth: ServerAuth,
    /// Reconfigure is offered (an `authentication` block with `protocol
    /// reconfig`).
    pub reconfigure: bool,
    /// When the running configuration was loaded (Unix seconds): key
    /// expiry times without a date are that day's.
    pub loaded: u64,
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

/// Host entries by the identifiers relay agents add for a client: the
/// Client Link-Layer Address (RFC 6939), Remote-ID (RFC 4649) and
/// Subscriber-ID (RFC 4580), each keyed by the option data it must equal.
/// The first host in file order wins, as for DUIDs.
#[derive(Debug)]
struct RelayIdIndex {
    by_code: [(OptionCode, HashMap<Vec<u8>, usize>); 3],
}

impl RelayIdIndex {
    fn build(cfg: &ServerConfig) -> Self {
        let mut x = Self {
            by_code: [
                // The order of the search: the most specific first.
                (OptionCode::ClientLinklayerAddr, HashMap::new()),
                (OptionCode::RemoteId, HashMap::new()),
                (OptionCode::SubscriberId, HashMap::new()),
            ],
        };
        for (i, h) in cfg.hosts.iter().enumerate() {
            for id in &h.relay_ids {
                if let Some((_, m)) = x.by_code.iter_mut().find(|(c, _)| *c == id.code()) {
                    m.entry(id.data().to_vec()).or_insert(i);
                }
            }
        }
        x
    }

    fn is_empty(&self) -> bool {
        self.by_code.iter().all(|(_, m)| m.is_empty())
    }

    /// The host a relayed client's identifiers select: the levels are
    /// searched from the relay nearest the client outwards (that relay
    /// knows the client's port and line), each level for a link-layer
    /// address, then a Remote-ID, then a Subscriber-ID.
    fn find(&self, chain: &RelayChain<'_>) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        chain.levels().iter().rev().find_map(|level| {
            self.by_code.iter().find_map(|(code, m)| {
                if m.is_empty() {
                    return None;
                }
                level.find(*code).and_then(|data| m.get(data).copied())
            })
        })
    }
}

/// Prefixes known to be on a client's link: those of a served interface or
/// a link block, or the /64 of a relay's link-address.
#[derive(Debug, Clone, Copy, Default)]
pub struct Onlink<'c> {
    many: &'c [(Ipv6Addr, u8)],
    one: Option<(Ipv6Addr, u8)>,
}

impl Onlink<'_> {
    fn iter(&self) -> impl Iterator<Item = (Ipv6Addr, u8)> + '_ {
        self.many.iter().copied().chain(self.one)
    }

    fn is_empty(&self) -> bool {
        self.many.is_empty() && self.one.is_none()
    }
}

/// Where a client is, as far as configuration goes: its host entry, the
/// link (relayed) or interface (direct) block, and that link's prefixes.
pub struct Scoped<'c> {
    /// The client's host entry, if any.
    pub host: Option<&'c Host>,
    /// Its index in the configuration.
    pub host_index: Option<usize>,
    /// The link or interface block.
    pub base: Option<&'c Scope>,
    /// Which block `base` is.
    pub base_id: BaseId,
    /// Name of the link or interface, for logs.
    pub name: &'c str,
    /// Prefixes known to be on the client's link.
    pub onlink: Onlink<'c>,
    /// The global options.
    pub global: &'c InfoOptions,
}

/// Where a kind of lease comes from for this client.
#[derive(Debug, Clone, Copy)]
pub enum Source<'c> {
    /// A host's fixed addresses or prefixes.
    Fixed(&'c [FixedLease]),
    /// A pool, with the lifetimes it hands out.
    Pool(&'c PoolRef),
}

fn in_prefix(a: &Ipv6Addr, p: &Ipv6Addr, len: u8) -> bool {
    if len == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - u32::from(len.min(128)));
    u128::from(*a) & mask == u128::from(*p) & mask
}

/// The information options of layered scopes (global, then the link or
/// interface block, then the host): per kind, the most specific layer that
/// sets it wins. The refresh time is not among them (see [`refresh_time`]):
/// only a Reply to an Information-request carries it.
fn layered_options(layers: &[&InfoOptions]) -> Vec<OptionRepr> {
    let mut out = Vec::new();
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
    out
}

/// The refresh time of layered scopes: the most specific one set.
fn refresh_time(layers: &[&InfoOptions]) -> Option<u32> {
    layers.iter().rev().find_map(|l| l.refresh_time)
}

fn info_block(layers: &[&InfoOptions]) -> InfoBlock {
    let mut options = Vec::new();
    for o in layered_options(layers) {
        // Configured lists are bounded by the configuration's own size,
        // far below the 64 KiB a message can hold.
        if let Ok(bytes) = libdhcp6::wire::emit_to_vec(|w| o.emit(w)) {
            options.extend_from_slice(&bytes);
        }
    }
    InfoBlock {
        options,
        refresh: refresh_time(layers),
    }
}

impl InfoCache {
    fn build(cfg: &ServerConfig) -> Self {
        let g = &cfg.options;
        Self {
            global: info_block(&[g]),
            interfaces: cfg
                .interfaces
                .iter()
                .map(|i| info_block(&[g, &i.scope.options]))
                .collect(),
            links: cfg
                .links
                .iter()
                .map(|l| info_block(&[g, &l.scope.options]))
                .collect(),
        }
    }

    fn get(&self, id: BaseId) -> Option<&InfoBlock> {
        match id {
            BaseId::Global => Some(&self.global),
            BaseId::Interface(i) => self.interfaces.get(i),
            BaseId::Link(i) => self.links.get(i),
        }
    }
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
        self.onlink.iter().any(|(p, l)| in_prefix(a, &p, l))
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

    /// This client's option layers: global, the link/interface block, the host.
    fn layers(&self) -> SmallLayers<'c> {
        [Some(self.global)]
            .into_iter()
            .chain([
                self.base.map(|b| &b.options),
                self.host.map(|h| &h.scope.options),
            ])
            .flatten()
            .collect()
    }

    /// True when the host entry sets options of its own, so the
    /// pre-encoded block of the link or interface does not apply.
    fn host_has_options(&self) -> bool {
        self.host.is_some_and(|h| !h.scope.options.is_empty())
    }
}

type SmallLayers<'a> = smallvec::SmallVec<[&'a InfoOptions; 3]>;

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
    pub msg: &'m ClientMsg<'m>,
    /// The client's DUID (checked present where required).
    pub client_id: Option<&'m [u8]>,
    /// Now, seconds since the Unix epoch.
    pub now: u64,
}

impl<S: LeaseStore> Server<S> {
    /// A server for `cfg`, bindings in `store`.
    pub fn new(cfg: Arc<ServerConfig>, duid: Duid, store: S, served: Vec<Served>) -> Self {
        let pools = Pools::build(&cfg, &store);
        let hosts_by_duid = index_hosts(&cfg);
        let hosts_by_relay_id = RelayIdIndex::build(&cfg);
        let info = InfoCache::build(&cfg);
        Self {
            reconfigure: reconfigure_enabled(&cfg),
            auth: ServerAuth::default(),
            loaded: 0,
            hosts_by_duid,
            hosts_by_relay_id,
            info,
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
        self.pools = Pools::build(&cfg, &self.store);
        self.hosts_by_duid = index_hosts(&cfg);
        self.hosts_by_relay_id = RelayIdIndex::build(&cfg);
        self.info = InfoCache::build(&cfg);
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
        served: &'c [Served],
        chain: &RelayChain<'_>,
        ifindex: u32,
        client: Option<&[u8]>,
    ) -> Scoped<'c> {
        // WIDE's rule first (the client's DUID), then what its relays say.
        let host_index = client
            .and_then(|d| self.hosts_by_duid.get(d).copied())
            .or_else(|| self.hosts_by_relay_id.find(chain));
        let host = host_index.and_then(|i| cfg.hosts.get(i));
        let served = served.iter().find(|s| s.ifindex == ifindex);
        let iface = served.and_then(|s| {
            cfg.interfaces
                .iter()
                .enumerate()
                .find(|(_, i)| i.name == s.name)
        });
        let (base, base_id, name) = match iface {
            Some((i, b)) => (Some(&b.scope), BaseId::Interface(i), b.name.as_str()),
            None => (None, BaseId::Global, ""),
        };
        if !chain.is_empty() {
            if let Some((i, link)) = cfg
                .links
                .iter()
                .enumerate()
                .find(|(_, l)| link_matches(l, chain))
            {
                return Scoped {
                    host,
                    host_index,
                    base: Some(&link.scope),
                    base_id: BaseId::Link(i),
                    name: &link.name,
                    onlink: Onlink {
                        many: &link.link_addresses,
                        one: None,
                    },
                    global: &cfg.options,
                };
            }
            // No link block: WIDE serves relayed clients from the
            // interface's settings; the relay's link-address (a /64) tells
            // which prefix is on the client's link.
            return Scoped {
                host,
                host_index,
                base,
                base_id,
                name: if iface.is_some() { name } else { "relayed" },
                onlink: Onlink {
                    many: &[],
                    one: chain.link_address().map(|a| (a, 64)),
                },
                global: &cfg.options,
            };
        }
        Scoped {
            host,
            host_index,
            base,
            base_id,
            name,
            onlink: Onlink {
                many: served.map(|s| s.onlink.as_slice()).unwrap_or_default(),
                one: None,
            },
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
        let client_id = msg.client_id;
        let server_id = msg.server_id;
        let ours = self.duid.as_bytes();
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
        // Local handles on the configuration and interfaces, so the
        // client's scope can borrow them while the handlers change `self`.
        let cfg = Arc::clone(&self.cfg);
        let served = Arc::clone(&self.served);
        let scoped = self.scoped(&cfg, &served, &chain, inc.ifindex, client_id);
        libdhcp6::log_debug!(
            "server6_recv",
            "{} from {} via {} relays, link {}",
            msg_type,
            inc.src,
            chain.len(),
            scoped.name
        );
        // Delayed authentication (doc/wide-compat.md §6.4): a bad claim drops the
        // message without an answer.
        let delayed = self
            .check_delayed(&msg, inner, &scoped, &cfg, now)
            .map_err(|_| DropReason::AuthFailed)?;
        // C-083: the answer to a Reconfigure ends its retransmissions.
        self.reconfigure_answered(&msg);
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
            match msg.msg_type {
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
        let answer = answer.ok_or(DropReason::NothingToSay)?;
        let auth = if direct_unicast {
            ReplyAuth::None
        } else {
            self.reply_auth(&msg, &answer, delayed, &chain, inc, now)
        };
        self.server6_send(&answer, &req, &scoped, &auth, &chain, inc, out)
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
        let (t1, t2) = timers(&answer.ias);
        for ia in &answer.ias {
            let slot = w.begin_option(match ia.kind {
                IaKind::Na => OptionCode::IaNa,
                IaKind::Ta => OptionCode::IaTa,
                IaKind::Pd => OptionCode::IaPd,
            })?;
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
                    for &(res, preferred_lifetime, valid_lifetime) in leases {
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
        let mut refresh = None;
        if scoped.host_has_options() {
            // A host with options of its own: rare enough to encode per
            // packet rather than cache per host and link.
            let layers = scoped.layers();
            for o in layered_options(&layers) {
                o.emit(w)?;
            }
            refresh = refresh_time(&layers);
        } else if let Some(b) = self.info.get(scoped.base_id) {
            w.bytes(&b.options)?;
            refresh = b.refresh;
        }
        if let Some(asked) = refresh_asked {
            // C-074: the configured refresh time; the default when the
            // client asked and none is configured.
            let default = u32::try_from(IRT_DEFAULT.as_secs()).unwrap_or(86400);
            if let Some(t) = refresh.or(asked.then_some(default)) {
                w.option(OptionCode::InformationRefreshTime, &t.to_be_bytes())?;
            }
        }
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

    /// Records `leases` as the binding for `key` (a Reply will acknowledge
    /// it): pool space of leases it no longer has is freed, new space taken.
    pub fn grant(&mut self, key: BindingKey, leases: Leases) {
        if let Some(old) = self.store.binding(&key) {
            let gone: smallvec::SmallVec<[Resource; 2]> = old
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
pub fn unavailable_status(kind: IaKind) -> Status {
    match kind {
        IaKind::Pd => Status::NoPrefixAvail,
        _ => Status::NoAddrsAvail,
    }
}
