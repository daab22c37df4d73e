//! The free space of every configured pool, by pool name: address pools
//! (`pool NAME { range A to B; }`, for IA_NA and IA_TA) and prefix pools
//! (`prefix-pool NAME { prefix P/L delegate D; }`, for IA_PD). Lookups and
//! updates are O(log n) (libdhcp6::alloc); nothing scans a pool.

use std::collections::{HashMap, HashSet};
use std::net::Ipv6Addr;

use libdhcp6::alloc::SlotSet;
use libdhcp6::config::ServerConfig;
use libdhcp6::lease::{LeaseStore, Resource};

/// What the statistics count of one pool besides its slots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolCounts {
    /// Slots host entries reserve (taken for good, never assigned).
    pub reserved: u64,
    /// Leases of the pool declined by clients (each then quarantined).
    pub declined: u64,
    /// IAs the pool could not serve (NoAddrsAvail / NoPrefixAvail).
    pub failures: u64,
}

/// An address range and its free addresses.
#[derive(Debug, Clone)]
pub struct AddrPool {
    start: u128,
    end: u128,
    slots: SlotSet,
    counts: PoolCounts,
}

/// A prefix carved into delegated prefixes, and which are free.
#[derive(Debug, Clone)]
pub struct PrefixPool {
    base: u128,
    prefix_len: u8,
    delegated_len: u8,
    slots: SlotSet,
    counts: PoolCounts,
}

/// One pool as the statistics show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSummary<'p> {
    /// The pool's name in the configuration.
    pub name: &'p str,
    /// True for a prefix pool, false for an address pool.
    pub prefix: bool,
    /// Addresses or delegated prefixes in the pool.
    pub size: u128,
    /// Of those, how many are free.
    pub free: u128,
    /// Its counters.
    pub counts: PoolCounts,
}

/// Whether an address can be handed out at all: never multicast,
/// link-local, site-local, unspecified or loopback (WIDE skips them too).
fn assignable(a: &Ipv6Addr) -> bool {
    !(a.is_multicast()
        || a.is_unicast_link_local()
        || (a.segments()[0] & 0xffc0) == 0xfec0
        || a.is_unspecified()
        || a.is_loopback())
}

impl AddrPool {
    fn new(start: Ipv6Addr, end: Ipv6Addr) -> Self {
        let (s, e) = (u128::from(start), u128::from(end));
        let size = e.saturating_sub(s).saturating_add(1);
        Self {
            start: s,
            end: e,
            slots: SlotSet::new(size),
            counts: PoolCounts::default(),
        }
    }

    fn slot(&self, a: &Ipv6Addr) -> Option<u128> {
        let v = u128::from(*a);
        (self.start..=self.end).contains(&v).then(|| v - self.start)
    }

    fn addr(&self, slot: u128) -> Ipv6Addr {
        Ipv6Addr::from(self.start + slot)
    }

    /// True when `a` lies in the range.
    pub fn contains(&self, a: &Ipv6Addr) -> bool {
        self.slot(a).is_some()
    }
}

impl PrefixPool {
    fn new(prefix: Ipv6Addr, prefix_len: u8, delegated_len: u8) -> Self {
        let bits = u32::from(delegated_len.saturating_sub(prefix_len));
        let size = if bits >= 128 {
            u128::MAX
        } else {
            1u128 << bits
        };
        Self {
            base: u128::from(prefix),
            prefix_len,
            delegated_len,
            slots: SlotSet::new(size),
            counts: PoolCounts::default(),
        }
    }

    fn shift(&self) -> u32 {
        128 - u32::from(self.delegated_len)
    }

    fn slot(&self, p: &Ipv6Addr, len: u8) -> Option<u128> {
        if len != self.delegated_len || !self.contains(p) {
            return None;
        }
        let off = u128::from(*p) - self.base;
        Some(off.checked_shr(self.shift()).unwrap_or(0))
    }

    fn prefix(&self, slot: u128) -> Ipv6Addr {
        Ipv6Addr::from(self.base | slot.checked_shl(self.shift()).unwrap_or(0))
    }

    /// True when `p` lies inside the carved prefix.
    pub fn contains(&self, p: &Ipv6Addr) -> bool {
        let mask = if self.prefix_len == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(self.prefix_len))
        };
        u128::from(*p) & mask == self.base
    }

    /// Length of the prefixes handed out.
    pub fn delegated_len(&self) -> u8 {
        self.delegated_len
    }
}

/// Every pool's free space.
#[derive(Debug, Clone, Default)]
pub struct Pools {
    addr: HashMap<String, AddrPool>,
    prefix: HashMap<String, PrefixPool>,
    /// Host entries' fixed addresses and prefixes that lie inside a pool:
    /// taken for good, so the pool never gives a reservation to another
    /// client and a release by its host does not put it back.
    reserved: HashSet<Resource>,
}

/// FNV-1a's 64-bit offset basis and prime (Fowler, Noll, Vo; the values
/// every FNV-1a 64 implementation uses).
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 over `bytes`, continuing from `state` (start with
/// [`FNV_OFFSET`]).
fn fnv1a64(mut state: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        state ^= u64::from(b);
        state = state.wrapping_mul(FNV_PRIME);
    }
    state
}

/// A stable spread of clients over a pool: the same client and IA get the
/// same starting point after a restart, on every server, whatever Rust
/// release built it. The high half is FNV-1a 64 over DUID || IAID
/// (4 octets, big-endian) || IA kind (1 octet); the low half continues
/// the same hash over the high half's 8 octets (big-endian), so the low
/// bits a small pool uses depend on every input octet.
pub fn client_hint(duid: &[u8], iaid: u32, kind: u8) -> u128 {
    let hi = fnv1a64(
        fnv1a64(fnv1a64(FNV_OFFSET, duid), &iaid.to_be_bytes()),
        &[kind],
    );
    let lo = fnv1a64(hi, &hi.to_be_bytes());
    (u128::from(hi) << 64) | u128::from(lo)
}

impl Pools {
    /// The pools of `cfg`, with every resource `store` holds or quarantines marked used.
    pub fn build(cfg: &ServerConfig, store: &dyn LeaseStore) -> Self {
        let mut p = Self::default();
        for pool in &cfg.pools {
            p.addr
                .insert(pool.name.clone(), AddrPool::new(pool.start, pool.end));
        }
        for pool in &cfg.prefix_pools {
            p.prefix.insert(
                pool.name.clone(),
                PrefixPool::new(pool.prefix, pool.prefix_len, pool.delegated_len),
            );
        }
        for h in &cfg.hosts {
            for l in h.addresses.iter().chain(&h.prefixes) {
                let res = Resource {
                    addr: l.addr,
                    len: l.len,
                };
                if p.take(&res) {
                    p.reserved.insert(res);
                    if let Some(c) = p.counts_of(&res) {
                        c.reserved += 1;
                    }
                }
            }
        }
        p.take_held(store);
        p
    }

    /// Marks used every resource `store` holds or quarantines: gathered
    /// pool by pool, sorted, and taken in one pass per pool (a million
    /// bindings split a pool's free runs a million times otherwise, each
    /// a search of a large tree).
    fn take_held(&mut self, store: &dyn LeaseStore) {
        let mut held: HashMap<(bool, &str), Vec<u128>> = HashMap::new();
        let held_res = store
            .bindings()
            .flat_map(|b| b.leases.iter().map(|l| l.res))
            .chain(store.quarantined().map(|q| q.res));
        for res in held_res {
            let found = if res.len == 128 {
                self.addr
                    .iter()
                    .find_map(|(n, p)| p.slot(&res.addr).map(|s| ((true, n.as_str()), s)))
            } else {
                self.prefix
                    .iter()
                    .find_map(|(n, p)| p.slot(&res.addr, res.len).map(|s| ((false, n.as_str()), s)))
            };
            if let Some((pool, slot)) = found {
                held.entry(pool).or_default().push(slot);
            }
        }
        let held: Vec<((bool, String), Vec<u128>)> = held
            .into_iter()
            .map(|((a, n), v)| ((a, n.to_string()), v))
            .collect();
        for ((is_addr, name), mut slots) in held {
            slots.sort_unstable();
            slots.dedup();
            let set = if is_addr {
                self.addr.get_mut(&name).map(|p| &mut p.slots)
            } else {
                self.prefix.get_mut(&name).map(|p| &mut p.slots)
            };
            if let Some(set) = set {
                set.take_sorted(&slots);
            }
        }
    }

    /// The counters of the pool that holds `res`.
    fn counts_of(&mut self, res: &Resource) -> Option<&mut PoolCounts> {
        if res.len == 128 {
            self.addr
                .values_mut()
                .find(|p| p.slot(&res.addr).is_some())
                .map(|p| &mut p.counts)
        } else {
            self.prefix
                .values_mut()
                .find(|p| p.slot(&res.addr, res.len).is_some())
                .map(|p| &mut p.counts)
        }
    }

    /// The name of the pool that holds `res`.
    pub fn pool_of(&self, res: &Resource) -> Option<&str> {
        if res.len == 128 {
            self.addr
                .iter()
                .find(|(_, p)| p.slot(&res.addr).is_some())
                .map(|(n, _)| n.as_str())
        } else {
            self.prefix
                .iter()
                .find(|(_, p)| p.slot(&res.addr, res.len).is_some())
                .map(|(n, _)| n.as_str())
        }
    }

    /// Counts an IA that pool `name` (a prefix pool when `prefix`) could
    /// not serve. A lookup by borrowed name: nothing allocates.
    pub fn note_failure(&mut self, name: &str, prefix: bool) {
        let counts = if prefix {
            self.prefix.get_mut(name).map(|p| &mut p.counts)
        } else {
            self.addr.get_mut(name).map(|p| &mut p.counts)
        };
        if let Some(c) = counts {
            c.failures += 1;
        }
    }

    /// Counts a declined lease of whichever pool holds `res`.
    pub fn note_declined(&mut self, res: &Resource) {
        if let Some(c) = self.counts_of(res) {
            c.declined += 1;
        }
    }

    /// Takes over the declined and failure counts of the pools of `old`
    /// that have the same name and kind here (a reload keeps the counters
    /// of the pools it keeps).
    pub fn carry_counts(&mut self, old: &Pools) {
        for (name, p) in &mut self.addr {
            if let Some(o) = old.addr.get(name) {
                p.counts.declined = o.counts.declined;
                p.counts.failures = o.counts.failures;
            }
        }
        for (name, p) in &mut self.prefix {
            if let Some(o) = old.prefix.get(name) {
                p.counts.declined = o.counts.declined;
                p.counts.failures = o.counts.failures;
            }
        }
    }

    /// Every pool for the statistics, address pools first, each kind by name.
    pub fn summaries(&self) -> Vec<PoolSummary<'_>> {
        let addr = self.addr.iter().map(|(name, p)| PoolSummary {
            name,
            prefix: false,
            size: p.slots.size(),
            free: p.slots.free_count(),
            counts: p.counts,
        });
        let prefix = self.prefix.iter().map(|(name, p)| PoolSummary {
            name,
            prefix: true,
            size: p.slots.size(),
            free: p.slots.free_count(),
            counts: p.counts,
        });
        let mut v: Vec<PoolSummary<'_>> = addr.chain(prefix).collect();
        v.sort_by(|a, b| (a.prefix, a.name).cmp(&(b.prefix, b.name)));
        v
    }

    /// The address pool `name`.
    pub fn addr_pool(&self, name: &str) -> Option<&AddrPool> {
        self.addr.get(name)
    }

    /// The prefix pool `name`.
    pub fn prefix_pool(&self, name: &str) -> Option<&PrefixPool> {
        self.prefix.get(name)
    }

    /// True when some pool contains `res`.
    pub fn contains(&self, res: &Resource) -> bool {
        if res.len == 128 {
            self.addr.values().any(|p| p.slot(&res.addr).is_some())
        } else {
            self.prefix
                .values()
                .any(|p| p.slot(&res.addr, res.len).is_some())
        }
    }

    /// Marks `res` used in whichever pool holds it; false if no pool has it free.
    pub fn take(&mut self, res: &Resource) -> bool {
        if res.len == 128 {
            for pool in self.addr.values_mut() {
                if let Some(s) = pool.slot(&res.addr) {
                    return pool.slots.take(s);
                }
            }
        } else {
            for pool in self.prefix.values_mut() {
                if let Some(s) = pool.slot(&res.addr, res.len) {
                    return pool.slots.take(s);
                }
            }
        }
        false
    }

    /// Returns `res` to whichever pool holds it (none: a host's fixed
    /// resource, inside a pool or not).
    pub fn free(&mut self, res: &Resource) {
        if self.reserved.contains(res) {
            return;
        }
        if res.len == 128 {
            for pool in self.addr.values_mut() {
                if let Some(s) = pool.slot(&res.addr) {
                    pool.slots.release(s);
                    return;
                }
            }
        } else {
            for pool in self.prefix.values_mut() {
                if let Some(s) = pool.slot(&res.addr, res.len) {
                    pool.slots.release(s);
                    return;
                }
            }
        }
    }

    /// True when `res` belongs to pool `name` (address or prefix) and is free there.
    pub fn is_free_in(&self, name: &str, res: &Resource) -> bool {
        if res.len == 128 {
            self.addr
                .get(name)
                .and_then(|p| p.slot(&res.addr).map(|s| p.slots.is_free(s)))
                .unwrap_or(false)
        } else {
            self.prefix
                .get(name)
                .and_then(|p| p.slot(&res.addr, res.len).map(|s| p.slots.is_free(s)))
                .unwrap_or(false)
        }
    }

    /// A free address of pool `name` near `hint`, not taken, skipping
    /// `exclude` (what this message already chose) and unassignable addresses.
    pub fn pick_addr(&self, name: &str, hint: u128, exclude: &[Resource]) -> Option<Resource> {
        let pool = self.addr.get(name)?;
        let size = pool.slots.size();
        let mut at = if size == 0 { 0 } else { hint % size };
        // Each step skips one address this message or the filter ruled out;
        // both are few, so the walk is short.
        for _ in 0..(exclude.len() + 8) {
            let slot = pool.slots.find_free_from(at)?;
            let res = Resource {
                addr: pool.addr(slot),
                len: 128,
            };
            if assignable(&res.addr) && !exclude.contains(&res) {
                return Some(res);
            }
            at = if slot + 1 >= size { 0 } else { slot + 1 };
        }
        None
    }

    /// A free prefix of pool `name` near `hint`, not taken, skipping `exclude`.
    pub fn pick_prefix(&self, name: &str, hint: u128, exclude: &[Resource]) -> Option<Resource> {
        let pool = self.prefix.get(name)?;
        let size = pool.slots.size();
        let mut at = if size == 0 { 0 } else { hint % size };
        for _ in 0..(exclude.len() + 1) {
            let slot = pool.slots.find_free_from(at)?;
            let res = Resource {
                addr: pool.prefix(slot),
                len: pool.delegated_len,
            };
            if !exclude.contains(&res) {
                return Some(res);
            }
            at = if slot + 1 >= size { 0 } else { slot + 1 };
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libdhcp6::config::server_from_str;
    use libdhcp6::lease::MemStore;

    fn pools() -> Pools {
        let cfg = server_from_str(
            "t.conf",
            "pool p { range 2001:db8::1 to 2001:db8::2; };\n\
             prefix-pool pd { prefix 2001:db8:100::/40 delegate 56; };\n",
        )
        .unwrap()
        .config;
        Pools::build(&cfg, &MemStore::new())
    }

    #[test]
    fn addresses_and_prefixes() {
        let mut p = pools();
        let a = p.pick_addr("p", 0, &[]).unwrap();
        assert_eq!(a.addr, "2001:db8::1".parse::<Ipv6Addr>().unwrap());
        assert!(p.take(&a));
        let b = p.pick_addr("p", 0, &[]).unwrap();
        assert_eq!(b.addr, "2001:db8::2".parse::<Ipv6Addr>().unwrap());
        assert!(p.take(&b));
        assert_eq!(p.pick_addr("p", 0, &[]), None, "two addresses, both used");
        p.free(&a);
        assert_eq!(p.pick_addr("p", 1, &[]), Some(a));
        let pd = p.pick_prefix("pd", 3, &[]).unwrap();
        assert_eq!(pd.len, 56);
        assert_eq!(pd.addr, "2001:db8:100:300::".parse::<Ipv6Addr>().unwrap());
        assert!(p.take(&pd));
        assert!(!p.is_free_in("pd", &pd));
        let next = p.pick_prefix("pd", 3, &[]).unwrap();
        assert_eq!(next.addr, "2001:db8:100:400::".parse::<Ipv6Addr>().unwrap());
        let after: Ipv6Addr = "2001:db8:100:500::".parse().unwrap();
        assert_eq!(p.pick_prefix("pd", 3, &[next]).unwrap().addr, after);
    }

    /// A host's reserved address inside a pool is never picked for another
    /// client, and a release does not return it to the pool.
    #[test]
    fn host_reservations_inside_pools_are_kept_out() {
        let cfg = server_from_str(
            "t.conf",
            "pool p { range 2001:db8::1 to 2001:db8::2; };\n\
             host h { duid 00:03:00:01:02:00:00:00:00:01; address 2001:db8::1 100 200; };\n",
        )
        .unwrap()
        .config;
        let mut p = Pools::build(&cfg, &MemStore::new());
        let reserved = Resource {
            addr: "2001:db8::1".parse().unwrap(),
            len: 128,
        };
        for hint in 0..4 {
            assert_ne!(p.pick_addr("p", hint, &[]), Some(reserved));
        }
        p.free(&reserved);
        assert!(!p.is_free_in("p", &reserved));
    }

    /// What the statistics read: sizes, free slots, reservations,
    /// declines and failures, kept across a rebuild by name.
    #[test]
    fn summaries_and_counts() {
        let cfg = server_from_str(
            "t.conf",
            "pool p { range 2001:db8::1 to 2001:db8::4; };\n\
             prefix-pool pd { prefix 2001:db8:100::/48 delegate 56; };\n\
             host h { duid 00:03:00:01:02:00:00:00:00:01; address 2001:db8::1 100 200; };\n",
        )
        .unwrap()
        .config;
        let mut p = Pools::build(&cfg, &MemStore::new());
        let a = p.pick_addr("p", 0, &[]).unwrap();
        assert!(p.take(&a));
        p.note_declined(&a);
        p.note_failure("p", false);
        p.note_failure("pd", true);
        p.note_failure("pd", true);
        p.note_failure("nosuch", true);
        assert_eq!(p.pool_of(&a), Some("p"));
        let s = p.summaries();
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].name, s[0].prefix, s[0].size, s[0].free),
            ("p", false, 4, 2)
        );
        assert_eq!(
            s[0].counts,
            PoolCounts {
                reserved: 1,
                declined: 1,
                failures: 1
            }
        );
        assert_eq!(
            (s[1].name, s[1].prefix, s[1].size, s[1].free),
            ("pd", true, 256, 256)
        );
        assert_eq!(s[1].counts.failures, 2);
        let mut q = Pools::build(&cfg, &MemStore::new());
        q.carry_counts(&p);
        let s = q.summaries();
        assert_eq!((s[0].counts.declined, s[0].counts.failures), (1, 1));
        assert_eq!(s[0].counts.reserved, 1, "counted again by the rebuild");
        assert_eq!(s[1].counts.failures, 2);
    }

    #[test]
    fn hint_is_stable() {
        assert_eq!(client_hint(&[1, 2, 3], 7, 0), client_hint(&[1, 2, 3], 7, 0));
        assert_ne!(client_hint(&[1, 2, 3], 7, 0), client_hint(&[1, 2, 3], 8, 0));
    }

    /// `client_hint` of DUID 00:03:00:01:02:00:00:00:00:01, IAID 1, IA_NA.
    const HINT_PINNED: u128 = 0xe199_dbf2_64b2_c107_1c40_b292_8438_5416;

    /// FNV-1a 64's published test vectors, and one hint pinned (computed
    /// independently): a change of the function moves every client.
    #[test]
    fn hint_is_fnv1a_64() {
        assert_eq!(fnv1a64(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(FNV_OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(
            client_hint(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1], 1, 0),
            HINT_PINNED
        );
    }
}
