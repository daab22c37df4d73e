//! Where a client is, as far as configuration goes (its host entry, the
//! link or interface block, that link's prefixes: [`Scoped`]), and what
//! each kind of lease comes from there ([`Source`]). [`Directory`] holds
//! what the running configuration is indexed into for that: host entries
//! by DUID and by relay-supplied identifier, and the information options
//! encoded once per block.

use std::collections::HashMap;
use std::net::Ipv6Addr;

use libdhcp6::codes::OptionCode;
use libdhcp6::config::server::{Host, Link, PoolRef, Scope};
use libdhcp6::config::{FixedLease, InfoKind, InfoOptions, ServerConfig};
use libdhcp6::duid::Duid;
use libdhcp6::timing::IRT_DEFAULT;
use libdhcp6::wire::{DomainName, OptionRepr, RelayChain, Writer};
use libdhcp6::Prefix6;

use crate::pools::Pools;

/// A served interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// Name.
    pub name: String,
    /// Index.
    pub ifindex: u32,
    /// Prefixes of its link (from its global addresses), for on-link checks
    /// of directly connected clients.
    pub onlink: Vec<Prefix6>,
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
    many: &'c [Prefix6],
    one: Option<Prefix6>,
}

impl Onlink<'_> {
    fn iter(&self) -> impl Iterator<Item = Prefix6> + '_ {
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
        self.onlink.iter().any(|p| p.contains(a))
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
        || chain
            .link_address()
            .is_some_and(|a| link.link_addresses.iter().any(|p| p.contains(&a)));
    let id_ok = link.interface_ids.is_empty()
        || chain
            .levels()
            .iter()
            .rev()
            .filter_map(|l| l.interface_id)
            .any(|id| link.interface_ids.iter().any(|w| w.as_slice() == id));
    addr_ok && id_ok
}

/// The running configuration indexed for per-packet lookups: built once
/// per configuration, read by every packet.
#[derive(Debug)]
pub struct Directory {
    /// Host entries by DUID (the first in file order wins, as in WIDE):
    /// an ISP's thousands of hosts cost one hash lookup per packet.
    hosts_by_duid: HashMap<Duid, usize>,
    /// Host entries by relay-supplied identifier (kame6).
    hosts_by_relay_id: RelayIdIndex,
    /// Encoded information options per interface and link block.
    info: InfoCache,
}

impl Directory {
    /// The indexes of `cfg`.
    pub fn build(cfg: &ServerConfig) -> Self {
        Self {
            hosts_by_duid: index_hosts(cfg),
            hosts_by_relay_id: RelayIdIndex::build(cfg),
            info: InfoCache::build(cfg),
        }
    }

    /// The scope of a client with DUID `client` whose message came in on
    /// `ifindex` through the relays of `chain`.
    pub fn scoped<'c>(
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
                    one: chain.link_address().map(|addr| Prefix6 { addr, len: 64 }),
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

    /// Writes the information options of `scoped`'s layers and, when
    /// `refresh_asked` is `Some`, the refresh time: the configured one, or
    /// the default when the client asked for it (C-074).
    pub fn emit_info(
        &self,
        scoped: &Scoped<'_>,
        refresh_asked: Option<bool>,
        w: &mut Writer<'_>,
    ) -> libdhcp6::wire::Result<()> {
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
            let default = u32::try_from(IRT_DEFAULT.as_secs()).unwrap_or(86400);
            if let Some(t) = refresh.or(asked.then_some(default)) {
                w.option(OptionCode::InformationRefreshTime, &t.to_be_bytes())?;
            }
        }
        Ok(())
    }
}
