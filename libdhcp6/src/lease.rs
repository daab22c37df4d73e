//! Bindings (RFC 8415 §4.2: client DUID, IA type, IAID → leases) behind one
//! store interface. Every change a Reply acknowledges goes through
//! [`LeaseStore`], so a persistent store (the lease journal) can record it
//! before the Reply leaves; [`MemStore`] is the in-memory implementation the
//! others build on. Pure: times are seconds given by the caller.

use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::net::Ipv6Addr;

use smallvec::SmallVec;

use crate::duid::Duid;

pub mod journal;

pub use crate::codes::IaKind;

/// Identifies a binding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BindingKey {
    /// The client's DUID.
    pub duid: Duid,
    /// IA type.
    pub kind: IaKind,
    /// IAID.
    pub iaid: u32,
}

/// A binding key whose DUID is borrowed, typically from a received packet:
/// the server looks bindings up with it, so answering a known client needs
/// no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef<'a> {
    /// The client's DUID octets.
    pub duid: &'a [u8],
    /// IA type.
    pub kind: IaKind,
    /// IAID.
    pub iaid: u32,
}

impl BindingKey {
    /// The key with its DUID borrowed.
    pub fn as_ref(&self) -> KeyRef<'_> {
        KeyRef {
            duid: self.duid.as_bytes(),
            kind: self.kind,
            iaid: self.iaid,
        }
    }
}

/// What owned and borrowed binding keys have in common, so that maps keyed
/// on [`BindingKey`] can be searched with a [`KeyRef`] (the `Borrow`
/// pattern for composite keys). Both hash the same parts in the same order.
pub trait KeyParts {
    /// The key's parts.
    fn parts(&self) -> KeyRef<'_>;
}

impl KeyParts for BindingKey {
    fn parts(&self) -> KeyRef<'_> {
        self.as_ref()
    }
}

impl KeyParts for KeyRef<'_> {
    fn parts(&self) -> KeyRef<'_> {
        *self
    }
}

fn hash_parts<H: Hasher>(k: KeyRef<'_>, state: &mut H) {
    k.duid.hash(state);
    k.kind.hash(state);
    k.iaid.hash(state);
}

impl Hash for BindingKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_parts(self.as_ref(), state);
    }
}

impl Hash for dyn KeyParts + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_parts(self.parts(), state);
    }
}

impl PartialEq for dyn KeyParts + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyParts + '_ {}

impl<'a> Borrow<dyn KeyParts + 'a> for BindingKey {
    fn borrow(&self) -> &(dyn KeyParts + 'a) {
        self
    }
}

/// One leased address (`len` 128) or prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Resource {
    /// Address or prefix.
    pub addr: Ipv6Addr,
    /// 128 for an address, else the prefix length.
    pub len: u8,
}

/// A lease: a resource and its lifetimes as of `updated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// What is leased.
    pub res: Resource,
    /// Preferred lifetime granted at `updated`, seconds (0xffffffff infinite).
    pub preferred: u32,
    /// Valid lifetime granted at `updated`, seconds (0xffffffff infinite).
    pub valid: u32,
    /// When the lifetimes were granted (seconds since the Unix epoch).
    pub updated: u64,
}

/// Infinite lifetime (RFC 8415 §7.7).
const INFINITY: u32 = u32::MAX;

impl Lease {
    /// When the lease ends, or `None` for an infinite one.
    pub fn expires(&self) -> Option<u64> {
        (self.valid != INFINITY).then(|| self.updated + u64::from(self.valid))
    }

    /// Lifetimes left at `now` (preferred, valid), as a Reply states them.
    pub fn remaining(&self, now: u64) -> (u32, u32) {
        let left = |t: u32| {
            if t == INFINITY {
                INFINITY
            } else {
                let end = self.updated + u64::from(t);
                u32::try_from(end.saturating_sub(now)).unwrap_or(INFINITY - 1)
            }
        };
        (left(self.preferred), left(self.valid))
    }
}

/// The leases of one binding. Nearly every IA holds one or two, kept
/// inline: extending a binding allocates nothing.
pub type Leases = SmallVec<[Lease; 2]>;

/// A binding and its leases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Its key.
    pub key: BindingKey,
    /// Its leases.
    pub leases: Leases,
}

/// What a server keeps about a client that accepts Reconfigure (RFC 8415
/// §18.3.11, §20.4): the reconfigure key it gave the client, how to reach
/// the client, and until when the record is kept. Stored with the
/// bindings so that a restarted server can still reconfigure its clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconfInfo {
    /// The client's reconfigure key (RKAP, 128 bits).
    pub key: [u8; 16],
    /// How the client was last reached, encoded by the server (interface,
    /// source address and port, relay levels); opaque here.
    pub path: Vec<u8>,
    /// When the record ends unless refreshed (Unix seconds): the end of the
    /// client's leases, or a day for a stateless client.
    pub until: u64,
}

/// A change to the bindings, as a journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A binding got these leases (new, or extended: the whole set as now granted).
    Bind(Binding),
    /// The client released a resource.
    Release(BindingKey, Resource),
    /// The client declined an address; quarantined until the given time.
    Decline(BindingKey, Resource, u64),
    /// A lease ran out.
    Expire(BindingKey, Resource),
    /// A quarantine ended.
    Unquarantine(Resource),
    /// An operator removed a binding.
    Remove(BindingKey),
    /// A client's Reconfigure record was set (`Some`) or dropped (`None`:
    /// the client no longer accepts Reconfigure, or the record ran out).
    Reconf(Duid, Option<ReconfInfo>),
}

/// The binding store the server talks to. Mirrors KAME's lease table
/// (`lease_address`, `release_address`, `decline_address`, `is_leased`),
/// extended to prefixes and expiry.
pub trait LeaseStore {
    /// The binding for `key`, found without allocating.
    fn binding_by(&self, key: KeyRef<'_>) -> Option<&Binding>;
    /// The binding for `key`.
    fn binding(&self, key: &BindingKey) -> Option<&Binding> {
        self.binding_by(key.as_ref())
    }
    /// Who holds `res`, if anyone.
    fn holder(&self, res: &Resource) -> Option<&BindingKey>;
    /// True when `res` is leased or quarantined (KAME's `is_leased`).
    fn is_leased(&self, res: &Resource) -> bool;
    /// Records a change. A persistent store queues it for the next
    /// [`LeaseStore::commit`]; the change is visible at once.
    fn apply(&mut self, change: Change);
    /// Makes every change applied so far durable (one write and one fsync
    /// for a whole loop turn); the Replies that depend on them go out after.
    fn commit(&mut self) -> std::io::Result<()>;
    /// Removes leases and quarantines that ended by `now`, returning the
    /// resources now free.
    fn expire(&mut self, now: u64) -> Vec<Resource>;
    /// The earliest time something ends, for the main loop's timer.
    fn next_expiry(&self) -> Option<u64>;
    /// Every binding, for listing and for the allocators at start-up.
    fn bindings(&self) -> Box<dyn Iterator<Item = &Binding> + '_>;
    /// Quarantined resources and when each comes back.
    fn quarantined(&self) -> Box<dyn Iterator<Item = (Resource, u64)> + '_>;
    /// The Reconfigure record of the client with DUID `duid`.
    fn reconf(&self, duid: &[u8]) -> Option<(&Duid, &ReconfInfo)>;
    /// Every Reconfigure record, for snapshots and listing.
    fn reconfs(&self) -> Box<dyn Iterator<Item = (&Duid, &ReconfInfo)> + '_>;
}

/// Bindings in memory, with O(1) lookups by key and by resource and an
/// ordered expiry index.
#[derive(Debug, Default)]
pub struct MemStore {
    bindings: HashMap<BindingKey, Binding>,
    holders: HashMap<Resource, BindingKey>,
    quarantine: HashMap<Resource, u64>,
    /// (end time, resource): leases and quarantines in the order they end.
    ends: BTreeSet<(u64, Resource)>,
    /// Reconfigure records by client DUID.
    reconf: HashMap<Duid, ReconfInfo>,
    /// (end time, DUID) of the Reconfigure records.
    reconf_ends: BTreeSet<(u64, Duid)>,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of bindings.
    pub fn len(&self) -> usize {
        self.bindings.len()
    }

    /// True when there are no bindings.
    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }

    /// Quarantines `res` until `until` with no binding involved (a journal
    /// snapshot's record of an earlier Decline).
    pub fn quarantine(&mut self, res: Resource, until: u64) {
        if let Some(old) = self.quarantine.insert(res, until) {
            self.ends.remove(&(old, res));
        }
        self.ends.insert((until, res));
    }

    /// Removes leases and quarantines that ended by `now` and returns them
    /// as the changes a journal records ([`Change::Expire`],
    /// [`Change::Unquarantine`]), in the order they ended.
    pub fn expire_changes(&mut self, now: u64) -> Vec<Change> {
        let mut ended = Vec::new();
        while let Some((end, duid)) = self.reconf_ends.first().cloned() {
            if end > now {
                break;
            }
            self.reconf_ends.pop_first();
            if self.reconf.get(&duid).is_some_and(|r| r.until == end) {
                self.reconf.remove(&duid);
                ended.push(Change::Reconf(duid, None));
            }
        }
        while let Some(&(end, res)) = self.ends.first() {
            if end > now {
                break;
            }
            self.ends.pop_first();
            if self.quarantine.get(&res) == Some(&end) {
                self.quarantine.remove(&res);
                ended.push(Change::Unquarantine(res));
            } else if let Some(key) = self.holders.get(&res).cloned() {
                self.drop_lease(&key, &res);
                ended.push(Change::Expire(key, res));
            }
        }
        ended
    }

    fn drop_lease(&mut self, key: &BindingKey, res: &Resource) -> bool {
        let Some(b) = self.bindings.get_mut(key) else {
            return false;
        };
        let Some(i) = b.leases.iter().position(|l| l.res == *res) else {
            return false;
        };
        let lease = b.leases.swap_remove(i);
        if let Some(end) = lease.expires() {
            self.ends.remove(&(end, lease.res));
        }
        if b.leases.is_empty() {
            self.bindings.remove(key);
        }
        if self.holders.get(res) == Some(key) {
            self.holders.remove(res);
        }
        true
    }
}

impl LeaseStore for MemStore {
    fn binding_by(&self, key: KeyRef<'_>) -> Option<&Binding> {
        self.bindings.get(&key as &dyn KeyParts)
    }

    fn holder(&self, res: &Resource) -> Option<&BindingKey> {
        self.holders.get(res)
    }

    fn is_leased(&self, res: &Resource) -> bool {
        self.holders.contains_key(res) || self.quarantine.contains_key(res)
    }

    fn apply(&mut self, change: Change) {
        match change {
            Change::Bind(b) => {
                // Leases the new set no longer holds are given up.
                if let Some(old) = self.bindings.get(&b.key).cloned() {
                    for l in old
                        .leases
                        .iter()
                        .filter(|l| !b.leases.iter().any(|n| n.res == l.res))
                    {
                        self.drop_lease(&old.key, &l.res);
                    }
                    if let Some(cur) = self.bindings.get(&b.key) {
                        for l in &cur.leases {
                            if let Some(end) = l.expires() {
                                self.ends.remove(&(end, l.res));
                            }
                        }
                    }
                }
                for l in &b.leases {
                    // A resource moves to this binding only if nobody else holds it.
                    if let Some(other) = self.holders.get(&l.res).filter(|k| **k != b.key).cloned()
                    {
                        self.drop_lease(&other, &l.res);
                    }
                    self.holders.insert(l.res, b.key.clone());
                    if let Some(end) = l.expires() {
                        self.ends.insert((end, l.res));
                    }
                }
                if b.leases.is_empty() {
                    self.bindings.remove(&b.key);
                } else {
                    self.bindings.insert(b.key.clone(), b);
                }
            }
            Change::Release(key, res) | Change::Expire(key, res) => {
                self.drop_lease(&key, &res);
            }
            Change::Decline(key, res, until) => {
                self.drop_lease(&key, &res);
                self.quarantine(res, until);
            }
            Change::Unquarantine(res) => {
                if let Some(until) = self.quarantine.remove(&res) {
                    self.ends.remove(&(until, res));
                }
            }
            Change::Remove(key) => {
                if let Some(b) = self.bindings.get(&key).cloned() {
                    for l in &b.leases {
                        self.drop_lease(&key, &l.res);
                    }
                }
            }
            Change::Reconf(duid, info) => {
                if let Some(old) = self.reconf.remove(&duid) {
                    self.reconf_ends.remove(&(old.until, duid.clone()));
                }
                if let Some(info) = info {
                    self.reconf_ends.insert((info.until, duid.clone()));
                    self.reconf.insert(duid, info);
                }
            }
        }
    }

    fn commit(&mut self) -> std::io::Result<()> {
        Ok(())
    }

    fn expire(&mut self, now: u64) -> Vec<Resource> {
        self.expire_changes(now)
            .into_iter()
            .filter_map(|c| match c {
                Change::Expire(_, res) | Change::Unquarantine(res) => Some(res),
                _ => None,
            })
            .collect()
    }

    fn next_expiry(&self) -> Option<u64> {
        let leases = self.ends.first().map(|(t, _)| *t);
        let reconf = self.reconf_ends.first().map(|(t, _)| *t);
        match (leases, reconf) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn bindings(&self) -> Box<dyn Iterator<Item = &Binding> + '_> {
        Box::new(self.bindings.values())
    }

    fn quarantined(&self) -> Box<dyn Iterator<Item = (Resource, u64)> + '_> {
        Box::new(self.quarantine.iter().map(|(r, t)| (*r, *t)))
    }

    fn reconf(&self, duid: &[u8]) -> Option<(&Duid, &ReconfInfo)> {
        self.reconf.get_key_value(duid)
    }

    fn reconfs(&self) -> Box<dyn Iterator<Item = (&Duid, &ReconfInfo)> + '_> {
        Box::new(self.reconf.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8, kind: IaKind) -> BindingKey {
        BindingKey {
            duid: Duid::from_bytes(&[0, 3, 0, 1, n]).unwrap(),
            kind,
            iaid: 1,
        }
    }

    fn addr(last: u16) -> Resource {
        Resource {
            addr: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last),
            len: 128,
        }
    }

    fn lease(res: Resource, valid: u32, updated: u64) -> Lease {
        Lease {
            res,
            preferred: valid / 2,
            valid,
            updated,
        }
    }

    #[test]
    fn bind_extend_release() {
        let mut s = MemStore::new();
        let k = key(1, IaKind::Na);
        s.apply(Change::Bind(Binding {
            key: k.clone(),
            leases: smallvec::smallvec![lease(addr(1), 100, 0)],
        }));
        assert_eq!(s.holder(&addr(1)), Some(&k));
        assert_eq!(s.next_expiry(), Some(100));
        // Extension: the old end is forgotten, the new one indexed.
        s.apply(Change::Bind(Binding {
            key: k.clone(),
            leases: smallvec::smallvec![lease(addr(1), 100, 50)],
        }));
        assert_eq!(s.next_expiry(), Some(150));
        assert!(s.expire(149).is_empty());
        s.apply(Change::Release(k.clone(), addr(1)));
        assert!(s.binding(&k).is_none());
        assert!(!s.is_leased(&addr(1)));
        assert_eq!(s.next_expiry(), None);
    }

    #[test]
    fn bindings_expire_on_time() {
        let mut s = MemStore::new();
        s.apply(Change::Bind(Binding {
            key: key(1, IaKind::Na),
            leases: smallvec::smallvec![lease(addr(1), 10, 0), lease(addr(2), 20, 0)],
        }));
        s.apply(Change::Bind(Binding {
            key: key(2, IaKind::Pd),
            leases: smallvec::smallvec![Lease {
                res: Resource {
                    addr: "2001:db8:100::".parse().unwrap(),
                    len: 56,
                },
                preferred: INFINITY,
                valid: INFINITY,
                updated: 0,
            }],
        }));
        assert_eq!(s.expire(10), vec![addr(1)]);
        assert_eq!(s.binding(&key(1, IaKind::Na)).unwrap().leases.len(), 1);
        assert_eq!(s.expire(1_000_000), vec![addr(2)]);
        assert!(s.binding(&key(1, IaKind::Na)).is_none());
        assert_eq!(s.len(), 1, "an infinite lease never expires");
    }

    #[test]
    fn decline_quarantines_then_frees() {
        let mut s = MemStore::new();
        let k = key(1, IaKind::Na);
        s.apply(Change::Bind(Binding {
            key: k.clone(),
            leases: smallvec::smallvec![lease(addr(1), 1000, 0)],
        }));
        s.apply(Change::Decline(k.clone(), addr(1), 60));
        assert!(s.binding(&k).is_none());
        assert!(s.is_leased(&addr(1)), "quarantined");
        assert_eq!(s.expire(59), vec![]);
        assert_eq!(s.expire(60), vec![addr(1)]);
        assert!(!s.is_leased(&addr(1)));
    }

    #[test]
    fn rebinding_drops_what_the_new_set_lacks() {
        let mut s = MemStore::new();
        let k = key(1, IaKind::Na);
        s.apply(Change::Bind(Binding {
            key: k.clone(),
            leases: smallvec::smallvec![lease(addr(1), 100, 0)],
        }));
        s.apply(Change::Bind(Binding {
            key: k.clone(),
            leases: smallvec::smallvec![lease(addr(2), 100, 0)],
        }));
        assert!(!s.is_leased(&addr(1)));
        assert_eq!(s.holder(&addr(2)), Some(&k));
        assert_eq!(s.expire(100), vec![addr(2)]);
    }

    #[test]
    fn reconf_records_set_replace_and_run_out() {
        let mut s = MemStore::new();
        let d = key(1, IaKind::Na).duid;
        let info = |until| ReconfInfo {
            key: [7; 16],
            path: vec![1, 2, 3],
            until,
        };
        s.apply(Change::Reconf(d.clone(), Some(info(100))));
        s.apply(Change::Reconf(d.clone(), Some(info(200))));
        assert_eq!(s.reconf(d.as_bytes()).unwrap().1.until, 200);
        assert_eq!(s.next_expiry(), Some(200));
        assert!(
            s.expire_changes(199).is_empty(),
            "the first end was replaced"
        );
        assert_eq!(s.expire_changes(200), vec![Change::Reconf(d.clone(), None)]);
        assert!(s.reconf(d.as_bytes()).is_none());
        s.apply(Change::Reconf(d.clone(), Some(info(300))));
        s.apply(Change::Reconf(d.clone(), None));
        assert_eq!(s.reconfs().count(), 0);
        assert_eq!(s.next_expiry(), None);
    }

    #[test]
    fn remaining_lifetimes() {
        let l = lease(addr(1), 100, 1000);
        assert_eq!(l.remaining(1010), (40, 90));
        assert_eq!(l.remaining(5000), (0, 0));
        let inf = Lease {
            res: addr(1),
            preferred: INFINITY,
            valid: INFINITY,
            updated: 0,
        };
        assert_eq!(inf.remaining(5), (INFINITY, INFINITY));
        assert_eq!(inf.expires(), None);
    }
}
