//! The engine's address table: what each address is doing (offered, bound,
//! quarantined), indexed by client, by end time and by offer age, with the
//! free slots of every dynamic range kept in step, and an undo log so a
//! loop turn whose changes could not be made durable is taken back whole.
//!
//! Every change goes through [`Table::set`], which keeps all indexes and
//! pools consistent with the one map from address to state: an address
//! cannot have two holders because it has one entry.

use core::net::Ipv4Addr;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::config::{Range4, Subnet4};
use super::ClientKey;
use crate::alloc::SlotSet;

/// What an address is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum State {
    /// Offered to a client until `until`; `seq` orders offers by age.
    Offered {
        client: ClientKey,
        until: u64,
        seq: u64,
    },
    /// Leased to a client until `until` (`u64::MAX`: no end).
    Bound { client: ClientKey, until: u64 },
    /// Declined by a client; out of use until `until`.
    Declined { until: u64 },
}

impl State {
    pub(super) fn until(&self) -> u64 {
        match self {
            Self::Offered { until, .. } | Self::Bound { until, .. } | Self::Declined { until } => {
                *until
            }
        }
    }

    pub(super) fn client(&self) -> Option<&ClientKey> {
        match self {
            Self::Offered { client, .. } | Self::Bound { client, .. } => Some(client),
            Self::Declined { .. } => None,
        }
    }
}

/// One address's entry: its subnet (index into the configuration) and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub subnet: usize,
    pub state: State,
}

/// What a client holds: at most one lease and one offer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Held {
    pub bound: Option<Ipv4Addr>,
    pub offer: Option<Ipv4Addr>,
}

/// A dynamic range and its free slots (slot i is `first + i`).
#[derive(Debug, Clone)]
pub(super) struct Pool {
    pub range: Range4,
    pub free: SlotSet,
}

impl Pool {
    fn slot(&self, addr: Ipv4Addr) -> Option<u128> {
        self.range
            .contains(addr)
            .then(|| u128::from(u32::from(addr) - u32::from(self.range.first)))
    }

    pub(super) fn addr(&self, slot: u128) -> Option<Ipv4Addr> {
        let n = u32::try_from(slot).ok()?;
        u32::from(self.range.first)
            .checked_add(n)
            .map(Ipv4Addr::from)
    }
}

/// A consistency failure found by [`Engine::audit`](super::Engine::audit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} at {addr}")]
pub struct AuditError {
    /// What is inconsistent.
    pub what: &'static str,
    /// The address concerned.
    pub addr: Ipv4Addr,
}

/// The address table.
#[derive(Debug)]
pub(super) struct Table {
    entries: HashMap<Ipv4Addr, Entry>,
    clients: HashMap<ClientKey, Held>,
    /// (until, address) of every entry, soonest first.
    ends: BTreeSet<(u64, Ipv4Addr)>,
    /// Offers by age, oldest first: all of them, and per subnet.
    offers: BTreeMap<u64, Ipv4Addr>,
    subnet_offers: Vec<BTreeMap<u64, Ipv4Addr>>,
    next_seq: u64,
    /// Dynamic ranges per subnet.
    pub pools: Vec<Vec<Pool>>,
    /// Reserved addresses: never in a pool's free slots.
    reserved: HashSet<Ipv4Addr>,
    /// First address of every range → (subnet, index in `pools`): finds
    /// an address's pool in O(log n) (ranges are disjoint).
    range_at: BTreeMap<Ipv4Addr, (usize, usize)>,
    /// Previous entries of the addresses changed since the last commit,
    /// oldest first.
    undo: Vec<(Ipv4Addr, Option<Entry>)>,
    /// Each client's last lease and each address's last holder, for
    /// giving a client its previous address back; one entry per address
    /// at most, so bounded by the pools.
    last_addr: HashMap<ClientKey, Ipv4Addr>,
    last_holder: HashMap<Ipv4Addr, ClientKey>,
}

impl Table {
    pub(super) fn new(subnets: &[Subnet4]) -> Self {
        let reserved: HashSet<Ipv4Addr> = subnets
            .iter()
            .flat_map(|s| s.reservations.iter().map(|r| r.addr))
            .collect();
        let pools = subnets
            .iter()
            .map(|s| {
                s.ranges
                    .iter()
                    .map(|&range| {
                        let mut p = Pool {
                            range,
                            free: SlotSet::new(range.size()),
                        };
                        // Reservations are kept out of the dynamic pool.
                        for &a in &reserved {
                            if let Some(slot) = p.slot(a) {
                                p.free.take(slot);
                            }
                        }
                        p
                    })
                    .collect()
            })
            .collect();
        let range_at = subnets
            .iter()
            .enumerate()
            .flat_map(|(s, n)| {
                n.ranges
                    .iter()
                    .enumerate()
                    .map(move |(i, r)| (r.first, (s, i)))
            })
            .collect();
        Self {
            range_at,
            entries: HashMap::new(),
            clients: HashMap::new(),
            ends: BTreeSet::new(),
            offers: BTreeMap::new(),
            subnet_offers: vec![BTreeMap::new(); subnets.len()],
            next_seq: 0,
            pools,
            reserved,
            undo: Vec::new(),
            last_addr: HashMap::new(),
            last_holder: HashMap::new(),
        }
    }

    /// Number of addresses with an entry (memory use is proportional to it).
    pub(super) fn entries_len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn get(&self, addr: Ipv4Addr) -> Option<&Entry> {
        self.entries.get(&addr)
    }

    pub(super) fn held(&self, client: &ClientKey) -> Held {
        self.clients.get(client).copied().unwrap_or_default()
    }

    /// True when `addr` is in one of subnet `s`'s dynamic ranges and not reserved.
    pub(super) fn in_pool(&self, s: usize, addr: Ipv4Addr) -> bool {
        !self.reserved.contains(&addr) && self.pool_of(addr).is_some_and(|(ps, _)| ps == s)
    }

    /// The (subnet, index) of the range holding `addr`.
    fn pool_of(&self, addr: Ipv4Addr) -> Option<(usize, usize)> {
        let (_, &(s, i)) = self.range_at.range(..=addr).next_back()?;
        let p = self.pools.get(s)?.get(i)?;
        p.range.contains(addr).then_some((s, i))
    }

    /// Marks `addr`'s pool slot used or free (reserved addresses stay used).
    fn mark(&mut self, addr: Ipv4Addr, used: bool) {
        if self.reserved.contains(&addr) {
            return;
        }
        let Some((s, i)) = self.pool_of(addr) else {
            return;
        };
        let Some(p) = self.pools.get_mut(s).and_then(|ps| ps.get_mut(i)) else {
            return;
        };
        if let Some(slot) = p.slot(addr) {
            if used {
                p.free.take(slot);
            } else {
                p.free.release(slot);
            }
        }
    }

    pub(super) fn is_reserved(&self, addr: Ipv4Addr) -> bool {
        self.reserved.contains(&addr)
    }

    /// A fresh age for an offer.
    pub(super) fn seq(&mut self) -> u64 {
        self.next_seq = self.next_seq.wrapping_add(1);
        self.next_seq
    }

    pub(super) fn offer_count(&self) -> usize {
        self.offers.len()
    }

    pub(super) fn oldest_offer(&self) -> Option<Ipv4Addr> {
        self.offers.values().next().copied()
    }

    pub(super) fn oldest_offer_in(&self, s: usize) -> Option<Ipv4Addr> {
        self.subnet_offers.get(s)?.values().next().copied()
    }

    /// The earliest end among the entries.
    pub(super) fn next_end(&self) -> Option<(u64, Ipv4Addr)> {
        self.ends.first().copied()
    }

    pub(super) fn last_addr(&self, client: &ClientKey) -> Option<Ipv4Addr> {
        self.last_addr.get(client).copied()
    }

    /// Remembers that `client` held `addr` (its lease ended or was released).
    pub(super) fn remember(&mut self, client: &ClientKey, addr: Ipv4Addr) {
        if let Some(old) = self.last_addr.insert(client.clone(), addr) {
            if old != addr && self.last_holder.get(&old) == Some(client) {
                self.last_holder.remove(&old);
            }
        }
        if let Some(prev) = self.last_holder.insert(addr, client.clone()) {
            if prev != *client && self.last_addr.get(&prev) == Some(&addr) {
                self.last_addr.remove(&prev);
            }
        }
    }

    /// Every bound entry.
    pub(super) fn bound(&self) -> impl Iterator<Item = (Ipv4Addr, &Entry)> + '_ {
        self.entries
            .iter()
            .filter(|(_, e)| matches!(e.state, State::Bound { .. }))
            .map(|(a, e)| (*a, e))
    }

    /// Every quarantined address and the end of its quarantine.
    pub(super) fn declined(&self) -> impl Iterator<Item = (Ipv4Addr, u64)> + '_ {
        self.entries.iter().filter_map(|(a, e)| match e.state {
            State::Declined { until } => Some((*a, until)),
            _ => None,
        })
    }

    /// Sets `addr`'s entry (`None`: the address is free), recording the
    /// previous one for [`Table::rollback`].
    pub(super) fn set(&mut self, addr: Ipv4Addr, entry: Option<Entry>) {
        let old = self.put(addr, entry);
        self.undo.push((addr, old));
    }

    /// Sets without recording (journal replay, rollback).
    pub(super) fn put(&mut self, addr: Ipv4Addr, entry: Option<Entry>) -> Option<Entry> {
        let old = self.entries.remove(&addr);
        if let Some(o) = &old {
            self.unindex(addr, o);
        }
        if let Some(e) = entry {
            self.index(addr, &e);
            self.entries.insert(addr, e);
        }
        // The address's pool slot is free exactly when it has no entry.
        self.mark(addr, self.entries.contains_key(&addr));
        old
    }

    fn unindex(&mut self, addr: Ipv4Addr, e: &Entry) {
        self.unindex_keep_client(addr, e);
        if let Some(client) = e.state.client() {
            if let Some(h) = self.clients.get_mut(client) {
                if h.bound == Some(addr) {
                    h.bound = None;
                }
                if h.offer == Some(addr) {
                    h.offer = None;
                }
                if *h == Held::default() {
                    self.clients.remove(client);
                }
            }
        }
    }

    fn index(&mut self, addr: Ipv4Addr, e: &Entry) {
        self.ends.insert((e.state.until(), addr));
        let (client, bound) = match &e.state {
            State::Offered { client, seq, .. } => {
                self.offers.insert(*seq, addr);
                if let Some(m) = self.subnet_offers.get_mut(e.subnet) {
                    m.insert(*seq, addr);
                }
                (client, false)
            }
            State::Bound { client, .. } => (client, true),
            State::Declined { .. } => return,
        };
        // A client holds one lease and one offer: whatever it held in that
        // role before is let go (the engine has already journaled a
        // replaced lease's release).
        let h = self.clients.entry(client.clone()).or_default();
        let before = if bound {
            h.bound.replace(addr)
        } else {
            h.offer.replace(addr)
        };
        if let Some(prev) = before.filter(|&p| p != addr) {
            let stale = self
                .entries
                .get(&prev)
                .is_some_and(|pe| pe.state.client() == Some(client));
            if stale {
                if let Some(pe) = self.entries.remove(&prev) {
                    self.unindex_keep_client(prev, &pe);
                    self.undo.push((prev, Some(pe)));
                    self.mark(prev, false);
                }
            }
        }
    }

    /// Unindexes an entry whose client's [`Held`] already points elsewhere.
    fn unindex_keep_client(&mut self, addr: Ipv4Addr, e: &Entry) {
        self.ends.remove(&(e.state.until(), addr));
        if let State::Offered { seq, .. } = e.state {
            self.offers.remove(&seq);
            if let Some(m) = self.subnet_offers.get_mut(e.subnet) {
                m.remove(&seq);
            }
        }
    }

    /// Forgets the undo log: this turn's changes are durable.
    pub(super) fn commit(&mut self) {
        self.undo.clear();
    }

    /// Puts back every entry changed since the last commit, newest first.
    pub(super) fn rollback(&mut self) {
        // Newest first, each entry back to what it was before its change:
        // every intermediate state was consistent, so restoring one never
        // displaces another (and whatever put() might log is dropped).
        let undo = std::mem::take(&mut self.undo);
        for (addr, old) in undo.into_iter().rev() {
            self.put(addr, old);
        }
        self.undo.clear();
    }

    /// True when changes wait for a commit.
    pub(super) fn dirty(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Checks that every index agrees with the entries and that no pool
    /// offers an address in use.
    pub(super) fn audit(&self) -> Result<(), AuditError> {
        let fail = |what, addr| Err(AuditError { what, addr });
        for (&addr, e) in &self.entries {
            if !self.ends.contains(&(e.state.until(), addr)) {
                return fail("entry missing from the end index", addr);
            }
            if let Some(c) = e.state.client() {
                let h = self.held(c);
                let ok = match e.state {
                    State::Bound { .. } => h.bound == Some(addr),
                    _ => h.offer == Some(addr),
                };
                if !ok {
                    return fail("client index disagrees", addr);
                }
            }
            if let State::Offered { seq, .. } = e.state {
                let per = self.subnet_offers.get(e.subnet).and_then(|m| m.get(&seq));
                if self.offers.get(&seq) != Some(&addr) || per != Some(&addr) {
                    return fail("offer index disagrees", addr);
                }
            }
            let pool = self.pool_of(addr);
            let p = pool.and_then(|(s, i)| self.pools.get(s)?.get(i));
            if p.is_some_and(|p| p.slot(addr).is_some_and(|s| p.free.is_free(s))) {
                return fail("address in use is free in its pool", addr);
            }
        }
        for (c, h) in &self.clients {
            for (a, bound) in [(h.bound, true), (h.offer, false)] {
                let Some(a) = a else { continue };
                let ok = self.entries.get(&a).is_some_and(|e| {
                    e.state.client() == Some(c) && matches!(e.state, State::Bound { .. }) == bound
                });
                if !ok {
                    return fail("client holds an address it does not have", a);
                }
            }
        }
        if self.ends.len() != self.entries.len() || self.offers.len() > self.entries.len() {
            return fail("stale index entries", Ipv4Addr::UNSPECIFIED);
        }
        Ok(())
    }
}
