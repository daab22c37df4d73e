//! dhcp6s's statistics: the counters kept per link (what clients asked
//! and what could not be given), and the whole server rendered in
//! Prometheus's text format for the statistics file (doc/statistics.md
//! lists every metric). Counting is an index and an addition; rendering
//! runs only when the file is written.

use libdhcp6::codes::{MessageType, Status};
use libdhcp6::config::server::Scope;
use libdhcp6::config::ServerConfig;
use libdhcp6::lease::LeaseStore;
use libdhcp6::stats::{CommitStats, Exposition, Histogram, Kind, Label};

use crate::answer::{Answer, IaAnswer};
use crate::dhcp4o6::Refused;
use crate::pools::PoolSummary;
use crate::scope::{BaseId, Scoped, Source};
use crate::server::{Counters, DropReason, Server};

/// Message types a counter per link keeps: every type up to
/// ADDR-REG-REPLY (37); later ones are counted by the server's totals.
const LINK_TYPES: usize = 38;

/// One link's counters: an `interface` block, a `link` block, or the
/// global settings (clients on an interface without a block, or relayed
/// clients no `link` block matches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCount {
    /// `interface`, `link` or `global`.
    pub scope: &'static str,
    /// The block's name (empty for the global settings).
    pub name: String,
    /// Client messages from this link that passed the identifier checks,
    /// by type.
    pub received: [u64; LINK_TYPES],
    /// IAs answered NoAddrsAvail (IA_NA, IA_TA).
    pub no_addrs: u64,
    /// IAs answered NoPrefixAvail (IA_PD).
    pub no_prefix: u64,
    /// The pools the block serves from: `(IA type, pool name)`.
    pub pools: Vec<(&'static str, String)>,
}

impl LinkCount {
    fn new(scope_kind: &'static str, name: &str, scope: Option<&Scope>) -> Self {
        let pools = scope
            .map(|s| {
                [
                    ("na", &s.address_pool),
                    ("ta", &s.ta_pool),
                    ("pd", &s.prefix_pool),
                ]
                .into_iter()
                .filter_map(|(ia, p)| p.as_ref().map(|p| (ia, p.name.clone())))
                .collect()
            })
            .unwrap_or_default();
        Self {
            scope: scope_kind,
            name: name.to_string(),
            received: [0; LINK_TYPES],
            no_addrs: 0,
            no_prefix: 0,
            pools,
        }
    }

    /// Takes over the counters (not the configuration) of `old`.
    fn carry(&mut self, old: &LinkCount) {
        self.received = old.received;
        self.no_addrs = old.no_addrs;
        self.no_prefix = old.no_prefix;
    }
}

/// The counters of every link of the running configuration, indexed as
/// [`BaseId`]: the global settings, then the `interface` blocks, then the
/// `link` blocks, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStats {
    links: Vec<LinkCount>,
    interfaces: usize,
}

impl LinkStats {
    /// Zeroed counters for the blocks of `cfg`.
    pub fn build(cfg: &ServerConfig) -> Self {
        let mut links = vec![LinkCount::new("global", "", None)];
        links.extend(
            cfg.interfaces
                .iter()
                .map(|i| LinkCount::new("interface", &i.name, Some(&i.scope))),
        );
        links.extend(
            cfg.links
                .iter()
                .map(|l| LinkCount::new("link", &l.name, Some(&l.scope))),
        );
        Self {
            links,
            interfaces: cfg.interfaces.len(),
        }
    }

    /// Counters for the blocks of `cfg`, those of a block `old` also has
    /// (same kind and name) carried over: a reload does not reset them.
    pub fn rebuild(cfg: &ServerConfig, old: &LinkStats) -> Self {
        let mut new = Self::build(cfg);
        for l in &mut new.links {
            if let Some(o) = old
                .links
                .iter()
                .find(|o| o.scope == l.scope && o.name == l.name)
            {
                l.carry(o);
            }
        }
        new
    }

    /// Every link's counters.
    pub fn links(&self) -> &[LinkCount] {
        &self.links
    }

    fn get_mut(&mut self, id: BaseId) -> Option<&mut LinkCount> {
        let i = match id {
            BaseId::Global => 0,
            BaseId::Interface(i) => 1 + i,
            BaseId::Link(i) => 1 + self.interfaces + i,
        };
        self.links.get_mut(i)
    }

    /// Counts a client message of type `t` from the link of `scoped`.
    pub fn received(&mut self, scoped: &Scoped<'_>, t: u8) {
        if let Some(c) = self
            .get_mut(scoped.base_id)
            .and_then(|l| l.received.get_mut(usize::from(t)))
        {
            *c += 1;
        }
    }

    /// Counts the IAs of `answer` that got NoAddrsAvail or NoPrefixAvail,
    /// on the link of `scoped` and, through `note_pool`, in the pool that
    /// should have served each one (none for a host's fixed leases).
    pub fn allocation_failures(
        &mut self,
        scoped: &Scoped<'_>,
        answer: &Answer,
        mut note_pool: impl FnMut(&str, bool),
    ) {
        use libdhcp6::lease::IaKind;
        for ia in &answer.ias {
            let IaAnswer::Status(status) = &ia.answer else {
                continue;
            };
            let prefix = match *status {
                Status::NoAddrsAvail => false,
                Status::NoPrefixAvail => true,
                _ => continue,
            };
            if let Some(l) = self.get_mut(scoped.base_id) {
                if prefix {
                    l.no_prefix += 1;
                } else {
                    l.no_addrs += 1;
                }
            }
            let source = match ia.kind {
                IaKind::Na => scoped.addresses(),
                IaKind::Ta => scoped.temporary(),
                IaKind::Pd => scoped.prefixes(),
            };
            if let Some(Source::Pool(r)) = source {
                note_pool(&r.name, prefix);
            }
        }
    }
}

/// The `type` label of a message type: KAME's name, as in the logs.
fn type_label(t: u8) -> String {
    MessageType::from(t).to_string()
}

/// The types always listed (also at zero), so a graph has a series from
/// the start: what clients send, and what the server answers.
fn always_received(t: u8) -> bool {
    MessageType::from(t).is_client_message()
}

fn always_sent(t: u8) -> bool {
    matches!(
        MessageType::from(t),
        MessageType::Advertise | MessageType::Reply
    )
}

fn messages(e: &mut Exposition, c: &Counters) {
    e.family(
        "received_total",
        Kind::Counter,
        "DHCPv6 messages received, by type (relayed ones by their inner type).",
    );
    for t in 1..=u8::MAX {
        let n = c.received[usize::from(t)];
        if n > 0 || always_received(t) {
            e.sample("received_total", &[("type", &type_label(t))], n);
        }
    }
    e.family(
        "sent_total",
        Kind::Counter,
        "DHCPv6 messages sent, by type.",
    );
    for t in 1..=u8::MAX {
        let n = c.sent[usize::from(t)];
        if n > 0 || always_sent(t) {
            e.sample("sent_total", &[("type", &type_label(t))], n);
        }
    }
    e.family(
        "dropped_total",
        Kind::Counter,
        "Received messages that got no answer, by reason.",
    );
    for why in DropReason::ALL {
        e.sample("dropped_total", &[("reason", why.label())], c.dropped(why));
    }
}

fn links(e: &mut Exposition, links: &LinkStats) {
    e.family(
        "link_received_total",
        Kind::Counter,
        "Client messages that passed the identifier checks, by link and type.",
    );
    for l in links.links() {
        for (t, n) in l.received.iter().enumerate() {
            let t = u8::try_from(t).unwrap_or(0);
            if *n > 0 || always_received(t) {
                let labels: [Label<'_>; 3] = [
                    ("link", &l.name),
                    ("scope", l.scope),
                    ("type", &type_label(t)),
                ];
                e.sample("link_received_total", &labels, *n);
            }
        }
    }
    e.family(
        "link_pool_info",
        Kind::Gauge,
        "Always 1: the pool a link block serves an IA type from (join on pool for per-link sizes).",
    );
    for l in links.links() {
        for (ia, pool) in &l.pools {
            let labels = [
                ("link", l.name.as_str()),
                ("scope", l.scope),
                ("ia", ia),
                ("pool", pool.as_str()),
            ];
            e.sample("link_pool_info", &labels, 1);
        }
    }
    e.family(
        "link_allocation_failures_total",
        Kind::Counter,
        "IAs answered NoAddrsAvail or NoPrefixAvail, by link.",
    );
    for l in links.links() {
        for (status, n) in [("NoAddrsAvail", l.no_addrs), ("NoPrefixAvail", l.no_prefix)] {
            let labels = [
                ("link", l.name.as_str()),
                ("scope", l.scope),
                ("status", status),
            ];
            e.sample("link_allocation_failures_total", &labels, n);
        }
    }
}

/// Reads one counter of a pool.
type PoolValue = fn(&PoolSummary<'_>) -> u64;

/// Per pool: size, assigned, quarantined, declines and failures.
/// `quarantined` is the quarantined count of each pool by name.
fn pools(e: &mut Exposition, pools: &[PoolSummary<'_>], quarantined: &[(&str, bool, u64)]) {
    let kind = |p: &PoolSummary<'_>| if p.prefix { "prefix" } else { "address" };
    let q = |p: &PoolSummary<'_>| {
        quarantined
            .iter()
            .find(|(n, pre, _)| *n == p.name && *pre == p.prefix)
            .map_or(0, |(_, _, n)| *n)
    };
    e.family(
        "pool_size",
        Kind::Gauge,
        "Addresses or delegated prefixes in the pool.",
    );
    for p in pools {
        // A prefix pool can hold more than 2^64 prefixes: a float then.
        e.sample_f64(
            "pool_size",
            &[("pool", p.name), ("kind", kind(p))],
            p.size as f64,
        );
    }
    e.family(
        "pool_assigned",
        Kind::Gauge,
        "Leases of the pool held by clients (not reserved, not quarantined).",
    );
    for p in pools {
        let used = p.size.saturating_sub(p.free);
        let assigned = used
            .saturating_sub(u128::from(p.counts.reserved))
            .saturating_sub(u128::from(q(p)));
        e.sample_f64(
            "pool_assigned",
            &[("pool", p.name), ("kind", kind(p))],
            assigned as f64,
        );
    }
    let rest: [(&str, Kind, &str, PoolValue); 3] = [
        (
            "pool_reserved",
            Kind::Gauge,
            "Slots of the pool that host entries reserve.",
            |p| p.counts.reserved,
        ),
        (
            "pool_declined_total",
            Kind::Counter,
            "Leases of the pool declined by clients (each then quarantined).",
            |p| p.counts.declined,
        ),
        (
            "pool_allocation_failures_total",
            Kind::Counter,
            "IAs the pool could not serve (NoAddrsAvail, NoPrefixAvail).",
            |p| p.counts.failures,
        ),
    ];
    e.family(
        "pool_quarantined",
        Kind::Gauge,
        "Declined leases of the pool not yet back in use.",
    );
    for p in pools {
        e.sample(
            "pool_quarantined",
            &[("pool", p.name), ("kind", kind(p))],
            q(p),
        );
    }
    for (name, k, help, value) in rest {
        e.family(name, k, help);
        for p in pools {
            e.sample(name, &[("pool", p.name), ("kind", kind(p))], value(p));
        }
    }
}

/// The lease journal's commits, when bindings are kept in one.
pub fn journal(e: &mut Exposition, c: &CommitStats) {
    e.journal(c);
}

fn dhcp4o6(e: &mut Exposition, s: &Server<impl LeaseStore>) {
    let Some(f) = &s.fwd4o6 else { return };
    let c = &f.counters;
    e.single(
        "dhcp4o6_forwarded_total",
        Kind::Counter,
        "DHCPV4-QUERY messages passed to the DHCPv4 server.",
        c.forwarded,
    );
    e.single(
        "dhcp4o6_answered_total",
        Kind::Counter,
        "DHCPV4-RESPONSE messages sent on to clients or relays.",
        c.answered,
    );
    e.family(
        "dhcp4o6_dropped_total",
        Kind::Counter,
        "DHCPv4-over-DHCPv6 datagrams not passed on, by reason.",
    );
    for why in Refused::ALL {
        e.sample(
            "dhcp4o6_dropped_total",
            &[("reason", why.label())],
            c.dropped(why),
        );
    }
}

/// The quarantined leases of each pool (by name and kind); a scan of the
/// quarantine, which holds declined leases only.
fn quarantined_by_pool<S: LeaseStore>(s: &Server<S>) -> Vec<(&str, bool, u64)> {
    let mut out: Vec<(&str, bool, u64)> = Vec::new();
    for q in s.store.quarantined() {
        let Some(name) = s.pools.pool_of(&q.res) else {
            continue;
        };
        let prefix = q.res.len != 128;
        match out.iter_mut().find(|(n, p, _)| *n == name && *p == prefix) {
            Some(e) => e.2 += 1,
            None => out.push((name, prefix, 1)),
        }
    }
    out
}

/// Everything dhcp6s shows, as the text of the statistics file: the
/// message counters, the links, the pools, the DHCPv4-over-DHCPv6
/// forwarding, the lease journal and `turns`, the duration of the main
/// loop's turns.
pub fn exposition<S: LeaseStore>(s: &Server<S>, turns: &Histogram) -> String {
    let mut e = Exposition::new("kame6_dhcp6s_");
    messages(&mut e, &s.counters);
    links(&mut e, &s.links);
    pools(&mut e, &s.pools.summaries(), &quarantined_by_pool(s));
    dhcp4o6(&mut e, s);
    if let Some(c) = s.store.commit_stats() {
        journal(&mut e, c);
    }
    e.family(
        "loop_turn_duration_seconds",
        Kind::Histogram,
        "Work of each main loop turn (from the wake-up to the next wait).",
    );
    e.histogram("loop_turn_duration_seconds", &[], turns);
    e.finish()
}
