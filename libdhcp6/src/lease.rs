//! Bindings (RFC 8415 §4.2: client DUID, IA type, IAID → leases) behind one
//! store interface. Every change a Reply acknowledges goes through
//! [`LeaseStore`], so a persistent store (the lease journal) can record it
//! before the Reply leaves; taking a resource is a claim the store may
//! refuse, and the changes of one loop turn are committed or rolled back
//! together (the contract is on [`LeaseStore`]). [`MemStore`] is the
//! in-memory implementation the others build on. Pure: times are seconds
//! given by the caller.

use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::Ipv6Addr;

use smallvec::SmallVec;

use crate::duid::Duid;

pub mod journal;
mod table;

use table::{IndexTable, Slab};
pub mod kea;

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

/// A lease a binding holds: a resource and the lifetimes granted for it at
/// `updated` (RFC 8415 §4.2's "lease", on the server's side). Named apart
/// from the client's own lease in dhcp6c and from a host entry's fixed
/// address or prefix in the configuration: this is what the server has
/// given away and must remember.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundLease {
    /// What is leased.
    pub res: Resource,
    /// Preferred lifetime granted at `updated`, seconds (0xffffffff infinite).
    pub preferred: u32,
    /// Valid lifetime granted at `updated`, seconds (0xffffffff infinite).
    pub valid: u32,
    /// When the lifetimes were granted (seconds since the Unix epoch).
    pub updated: u64,
}

/// Lifetimes left of a lease at some moment, as a Reply states them
/// (RFC 8415 §21.6, §21.22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    /// Preferred lifetime left, seconds (0xffffffff infinite).
    pub preferred: u32,
    /// Valid lifetime left, seconds (0xffffffff infinite).
    pub valid: u32,
}

/// Infinite lifetime (RFC 8415 §7.7).
const INFINITY: u32 = u32::MAX;

impl BoundLease {
    /// When the lease ends, or `None` for an infinite one.
    pub fn expires(&self) -> Option<u64> {
        (self.valid != INFINITY).then(|| self.updated + u64::from(self.valid))
    }

    /// Lifetimes left at `now`, as a Reply states them.
    pub fn remaining(&self, now: u64) -> Remaining {
        let left = |t: u32| {
            if t == INFINITY {
                INFINITY
            } else {
                let end = self.updated + u64::from(t);
                u32::try_from(end.saturating_sub(now)).unwrap_or(INFINITY - 1)
            }
        };
        Remaining {
            preferred: left(self.preferred),
            valid: left(self.valid),
        }
    }
}

/// The leases of one binding. Nearly every IA holds one, kept inline:
/// extending such a binding allocates nothing, and a binding takes no
/// room for leases it does not have (a store keeps a million of them).
pub type Leases = SmallVec<[BoundLease; 1]>;

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

/// A client's Reconfigure record as a store holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconfRecord<'a> {
    /// The client's DUID.
    pub duid: &'a Duid,
    /// What is kept about it.
    pub info: &'a ReconfInfo,
}

/// A resource kept out of use after a Decline (RFC 8415 §18.3.8), and
/// when it comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarantine {
    /// The declined address.
    pub res: Resource,
    /// When the quarantine ends (Unix seconds).
    pub until: u64,
}

/// A change to the bindings, as a journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A binding got these leases (new, or extended: the whole set as now granted).
    Bind(Binding),
    /// The client released a resource.
    Release {
        /// The binding that held it.
        key: BindingKey,
        /// What was released.
        res: Resource,
    },
    /// The client declined an address, which stays in quarantine.
    Decline {
        /// The binding that held it.
        key: BindingKey,
        /// The declined address.
        res: Resource,
        /// When the quarantine ends, in seconds.
        until: u64,
    },
    /// A lease ran out.
    Expire {
        /// The binding that held it.
        key: BindingKey,
        /// What ran out.
        res: Resource,
    },
    /// A quarantine ended.
    Unquarantine(Resource),
    /// An operator removed a binding.
    Remove(BindingKey),
    /// A client's Reconfigure record was set or dropped.
    Reconf {
        /// The client.
        duid: Duid,
        /// The record; `None` drops it (the client no longer accepts
        /// Reconfigure, or the record ran out).
        info: Option<ReconfInfo>,
    },
}

/// A claim the store refused: another binding, a quarantine or (in a
/// store shared by several servers) another server holds the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}/{} is held by another binding", res.addr, res.len)]
pub struct ClaimRefused {
    /// The resource asked for.
    pub res: Resource,
}

/// Why a turn was not committed. When a store returns one, it has already
/// rolled the whole turn back (see [`LeaseStore`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommitError {
    /// Writing or syncing the changes failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A claim the store granted during the turn was lost when the turn
    /// was committed: a store that decides its claims in one batch per
    /// turn (a database's primary key) found another holder.
    #[error("claim of {}/{} lost to another holder", res.addr, res.len)]
    Lost {
        /// The resource.
        res: Resource,
    },
}

/// Where a store's background commits stand (see
/// [`LeaseStore::commit_start`]). Every turn with changes gets a ticket,
/// counted up from 1; a turn's answers may leave once `durable` reaches
/// its ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncState {
    /// Every turn up to this ticket is durable.
    pub durable: u64,
    /// Every turn up to this ticket is being made durable (or is).
    pub started: u64,
    /// Failed background commits so far. When it grows, every turn not
    /// durable before has been rolled back: the answers held for them
    /// must never leave.
    pub failures: u64,
}

impl SyncState {
    /// A store whose commits are durable when they return.
    pub const IMMEDIATE: Self = Self {
        durable: u64::MAX,
        started: u64::MAX,
        failures: 0,
    };
}

/// The binding store the server talks to. Mirrors KAME's lease table
/// (`lease_address`, `release_address`, `decline_address`, `is_leased`),
/// extended to prefixes, expiry, claims and turns.
///
/// # The contract
///
/// The server works in *turns*: one turn of its main loop reads a batch of
/// messages, decides the answers, commits, and only then sends. The store
/// may be shared with other servers (a database), so it, not the server's
/// own view of its pools, decides who holds what:
///
/// - **Claims.** Before a binding takes a resource it does not already
///   hold, the server asks [`claim`](LeaseStore::claim). The store may
///   refuse ([`ClaimRefused`]) when someone else holds it; the server then
///   tries its next candidate, and a refused resource never appears in an
///   answer. The server binds what it claimed (a [`Change::Bind`]) before
///   it claims anything else, so a store may let the bind itself carry the
///   claim. A store that decides claims in one batch when the turn is
///   committed may grant them provisionally and report a lost one as
///   [`CommitError::Lost`]; it then refuses that resource when asked again.
/// - **Changes.** [`apply`](LeaseStore::apply) records a change of the
///   open turn; reads see it at once. A turn starts with the first change
///   (or expiry) after a commit or a rollback.
/// - **All or nothing.** [`commit`](LeaseStore::commit) makes every change
///   of the turn durable together, or none of them: on `Err` the store has
///   already rolled the turn back, in memory as well as in storage, so its
///   reads answer as before the turn. The server then withholds the
///   turn's answers and rebuilds what it derives from the store (its
///   pools). [`rollback`](LeaseStore::rollback) drops the turn unasked.
/// - **Order.** Changes are applied in the order given; replaying them in
///   that order from storage gives the state reads show after a commit.
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
    /// Asks that the binding `key` may take `res` in this turn (KAME's
    /// `lease_address` decided by the store). `Err` when someone else
    /// holds it; the caller tries another resource.
    fn claim(&mut self, key: KeyRef<'_>, res: &Resource) -> Result<(), ClaimRefused>;
    /// Records a change of the open turn; visible to reads at once.
    fn apply(&mut self, change: Change);
    /// Makes every change of the turn durable together (one write and one
    /// sync for a whole loop turn); the Replies that depend on them go out
    /// after. On `Err` the turn has been rolled back.
    fn commit(&mut self) -> Result<(), CommitError>;
    /// Drops every change of the open turn: reads answer as they did
    /// after the last commit.
    fn rollback(&mut self);
    /// Removes at most `max` leases, quarantines and Reconfigure records
    /// that ended by `now`, soonest first (changes of the open turn),
    /// returning the resources now free. Whatever is left stays due and
    /// [`next_expiry`](LeaseStore::next_expiry) says so (`now` or
    /// earlier): the server ends a mass of leases a bounded chunk per loop
    /// turn and answers between the chunks.
    fn expire(&mut self, now: u64, max: usize) -> Vec<Resource>;
    /// The earliest time something ends, for the main loop's timer.
    fn next_expiry(&self) -> Option<u64>;
    /// Every binding, for listing and for the allocators at start-up.
    fn bindings(&self) -> Box<dyn Iterator<Item = &Binding> + '_>;
    /// Quarantined resources and when each comes back.
    fn quarantined(&self) -> Box<dyn Iterator<Item = Quarantine> + '_>;
    /// The Reconfigure record of the client with DUID `duid`.
    fn reconf(&self, duid: &[u8]) -> Option<ReconfRecord<'_>>;
    /// Every Reconfigure record, for snapshots and listing.
    fn reconfs(&self) -> Box<dyn Iterator<Item = ReconfRecord<'_>> + '_>;
    /// What the store's commits did and how long they took, for the
    /// statistics; `None` for a store that keeps nothing on disk.
    fn commit_stats(&self) -> Option<&crate::stats::CommitStats> {
        None
    }
    /// True for a store that other servers write too (a database): the
    /// server then hands it, before each batch of messages, the bindings
    /// the batch names ([`refresh`](LeaseStore::refresh)).
    fn shared(&self) -> bool {
        false
    }
    /// Re-reads the bindings `keys` from shared storage, so that what
    /// other servers changed is seen before the server relies on it.
    /// Returns the resources whose holder may have changed, for the
    /// server to mark in its pools. Not a change of the turn: nothing is
    /// written back.
    fn refresh(&mut self, keys: &[BindingKey]) -> Vec<Resource> {
        let _ = keys;
        Vec::new()
    }
    /// Does one bounded piece of the store's own work between loop turns,
    /// when no turn is open: a journal grows its zero-filled room or
    /// writes the next chunk of a compaction. True when more is waiting,
    /// so the loop polls again at once instead of sleeping. Nothing of it
    /// holds back a Reply: the server calls it after sending.
    fn maintain(&mut self) -> bool {
        false
    }
    /// One line on the store's own counters for the server's SIGUSR1
    /// report, if it keeps any.
    fn report(&self) -> Option<String> {
        None
    }
    /// Ends the open turn like [`commit`](LeaseStore::commit), but may
    /// leave making it durable to the background: returns the turn's
    /// ticket, and the turn's answers wait until
    /// [`sync_state`](LeaseStore::sync_state)'s `durable` reaches it. A
    /// turn without changes gets the last ticket given out (its answers
    /// may rest on a turn before it). Reads see the turn at once; later
    /// turns build on it. If making it durable fails, it and every turn
    /// after it are rolled back together and `failures` grows. A store
    /// that commits in the foreground returns ticket 0.
    fn commit_start(&mut self) -> Result<u64, CommitError> {
        self.commit().map(|()| 0)
    }
    /// Takes in the background commits that ended (with `wait`, first
    /// waits for one under way to end, if any is). `Err` when one failed: the turns not yet
    /// durable have been rolled back, and the server must rebuild what it
    /// derives from the store.
    fn poll_synced(&mut self, wait: bool) -> Result<(), CommitError> {
        let _ = wait;
        Ok(())
    }
    /// Where the background commits stand.
    fn sync_state(&self) -> SyncState {
        SyncState::IMMEDIATE
    }
    /// Waits until every turn committed so far is durable (at exit).
    fn sync_all(&mut self) -> Result<(), CommitError> {
        Ok(())
    }
    /// A descriptor that becomes readable when a background commit ends,
    /// for the server's poll.
    fn sync_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        None
    }
}

/// How long a server's loop may sleep before its store has something to
/// end, given the store's next end `next` and `now` (Unix seconds): not
/// at all while ends are already due (a bounded expiry left some for the
/// next turn), unless the last turn could not be stored (`stored` false:
/// then a second, so a failing disk is not retried in a spin); at most
/// `longest`.
pub fn expiry_sleep(
    next: Option<u64>,
    now: u64,
    stored: bool,
    longest: std::time::Duration,
) -> std::time::Duration {
    use std::time::Duration;
    let wait = match next {
        Some(t) if t <= now && stored => Duration::ZERO,
        Some(t) => Duration::from_secs(t.saturating_sub(now).max(1)),
        None => longest,
    };
    wait.min(longest)
}

/// The reads of [`LeaseStore`] answered by a [`MemStore`] field, for a
/// store that keeps its state in one and wraps its turns (a journal, a
/// test double): `impl LeaseStore for S { delegate_lease_reads!(mem); … }`
/// leaves only `claim`, `apply`, `commit`, `rollback` and `expire` to
/// write.
#[macro_export]
macro_rules! delegate_lease_reads {
    ($mem:ident) => {
        fn binding_by(&self, key: $crate::lease::KeyRef<'_>) -> Option<&$crate::lease::Binding> {
            $crate::lease::LeaseStore::binding_by(&self.$mem, key)
        }
        fn holder(&self, res: &$crate::lease::Resource) -> Option<&$crate::lease::BindingKey> {
            $crate::lease::LeaseStore::holder(&self.$mem, res)
        }
        fn is_leased(&self, res: &$crate::lease::Resource) -> bool {
            $crate::lease::LeaseStore::is_leased(&self.$mem, res)
        }
        fn next_expiry(&self) -> Option<u64> {
            $crate::lease::LeaseStore::next_expiry(&self.$mem)
        }
        fn bindings(&self) -> Box<dyn Iterator<Item = &$crate::lease::Binding> + '_> {
            $crate::lease::LeaseStore::bindings(&self.$mem)
        }
        fn quarantined(&self) -> Box<dyn Iterator<Item = $crate::lease::Quarantine> + '_> {
            $crate::lease::LeaseStore::quarantined(&self.$mem)
        }
        fn reconf(&self, duid: &[u8]) -> Option<$crate::lease::ReconfRecord<'_>> {
            $crate::lease::LeaseStore::reconf(&self.$mem, duid)
        }
        fn reconfs(&self) -> Box<dyn Iterator<Item = $crate::lease::ReconfRecord<'_>> + '_> {
            $crate::lease::LeaseStore::reconfs(&self.$mem)
        }
    };
}

/// What the open turn changed, as it stood before: the first time a turn
/// touches a binding, a quarantine or a Reconfigure record, its prior state
/// is kept here so a rollback can put it back. The maps keep their
/// capacity from turn to turn, so a turn of known clients allocates
/// nothing.
#[derive(Debug, Default)]
struct Undo {
    /// Whether prior states are kept at all (a replay of changes already
    /// durable needs none).
    on: bool,
    bindings: HashMap<BindingKey, Option<Binding>>,
    quarantine: HashMap<Resource, Option<u64>>,
    reconf: HashMap<Duid, Option<ReconfInfo>>,
}

/// Emptied prior-state maps a store keeps for reuse.
const MAX_SPARE_UNDO: usize = 4;

impl Undo {
    fn is_empty(&self) -> bool {
        self.bindings.is_empty() && self.quarantine.is_empty() && self.reconf.is_empty()
    }

    fn clear(&mut self) {
        self.bindings.clear();
        self.quarantine.clear();
        self.reconf.clear();
    }
}

/// The end of a lease as the expiry index keeps it: seconds in 32 bits, so
/// that an index entry (end and slot) is one `u64`. A lease that ends
/// after 2106 is not indexed: it is as good as infinite.
fn end_of(l: &BoundLease) -> Option<u32> {
    l.expires().and_then(|e| u32::try_from(e).ok())
}

/// An expiry index entry: the end in the high half, the slot below, so
/// the entries sort by end.
fn end_entry(end: u32, slot: u32) -> u64 {
    (u64::from(end) << 32) | u64::from(slot)
}

/// The end and the slot of an expiry index entry.
fn end_parts(e: u64) -> (u32, u32) {
    let [a, b, c, d, w, x, y, z] = e.to_be_bytes();
    (
        u32::from_be_bytes([a, b, c, d]),
        u32::from_be_bytes([w, x, y, z]),
    )
}

/// Which of the store's end indexes holds the next thing to end.
#[derive(Debug, Clone, Copy)]
enum Due {
    Reconf,
    Quarantine,
    Lease,
}

/// Bindings in memory, with O(1) lookups by key and by resource and an
/// ordered expiry index. Its turns live in memory only: a commit always
/// succeeds, a rollback puts back what the turn changed.
///
/// Each binding is stored once, in a slab slot; the key index, the holder
/// index and the expiry index refer to it by slot number (8 octets an
/// entry), not by a copy of its key. Bindings of one client added one
/// after the other (the IAs of one Request, a replayed journal) share one
/// copy of the DUID.
#[derive(Debug)]
pub struct MemStore {
    slab: Slab<Binding>,
    /// Key → slot.
    by_key: IndexTable,
    /// Resource → the slot of the binding that holds it.
    holders: IndexTable,
    /// Keyed per store with a random seed, so clients cannot choose DUIDs
    /// that collide; foldhash's rather than std's SipHash, which took a
    /// tenth of a million-binding journal replay (doc/lease-journal.md).
    hasher: foldhash::quality::RandomState,
    /// (end, slot) of leases, packed by [`end_entry`], in the order they end.
    ends: BTreeSet<u64>,
    quarantine: HashMap<Resource, u64>,
    /// (end time, resource): quarantines in the order they end.
    quarantine_ends: BTreeSet<(u64, Resource)>,
    /// Reconfigure records by client DUID.
    reconf: HashMap<Duid, ReconfInfo>,
    /// (end time, DUID) of the Reconfigure records.
    reconf_ends: BTreeSet<(u64, Duid)>,
    /// The DUID of the binding added last, shared with the next binding
    /// of the same client.
    last_duid: Option<Duid>,
    /// The open turn's prior states.
    undo: Undo,
    /// Turns committed in memory but not yet durable (a journal syncing
    /// in the background), oldest first, with their tickets and prior
    /// states: a failed sync puts them all back
    /// ([`rollback_unsettled`](MemStore::rollback_unsettled)).
    sealed: VecDeque<(u64, Undo)>,
    /// Emptied prior-state maps, reused by the next turns.
    spare_undo: Vec<Undo>,
}

impl Default for MemStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty store whose indexes have room for `bindings` bindings of
    /// one lease each before they grow (a journal replay knows about how
    /// many to expect).
    pub fn with_capacity(bindings: usize) -> Self {
        Self {
            slab: Slab::default(),
            by_key: IndexTable::with_capacity(bindings),
            holders: IndexTable::with_capacity(bindings),
            hasher: foldhash::quality::RandomState::default(),
            ends: BTreeSet::new(),
            quarantine: HashMap::new(),
            quarantine_ends: BTreeSet::new(),
            reconf: HashMap::new(),
            reconf_ends: BTreeSet::new(),
            last_duid: None,
            undo: Undo {
                on: true,
                ..Undo::default()
            },
            sealed: VecDeque::new(),
            spare_undo: Vec::new(),
        }
    }

    /// Number of bindings.
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    /// True when there are no bindings.
    pub fn is_empty(&self) -> bool {
        self.slab.len() == 0
    }

    /// How many slots the bindings are numbered in: every binding is at
    /// a slot below this ([`binding_at`](Self::binding_at)).
    pub fn slots(&self) -> usize {
        self.slab.slots()
    }

    /// The binding in slot `slot`, if one is there. Slots are stable while
    /// a binding lives; a freed slot is reused by a later binding.
    pub fn binding_at(&self, slot: usize) -> Option<&Binding> {
        self.slab.get(u32::try_from(slot).ok()?)
    }

    /// Quarantines in the order they end, from just after `after` (the end
    /// and resource of one returned before; `None`: from the first): a
    /// cursor that a compaction written over many turns resumes from.
    /// One changed since is either past the cursor or journaled anew.
    pub fn quarantines_after(
        &self,
        after: Option<(u64, Resource)>,
    ) -> impl Iterator<Item = Quarantine> + '_ {
        use std::ops::Bound::{Excluded, Unbounded};
        let from = after.map_or(Unbounded, Excluded);
        self.quarantine_ends
            .range((from, Unbounded))
            .map(|&(until, res)| Quarantine { res, until })
    }

    /// Reconfigure records in the order they end, from just after `after`
    /// (the end and DUID of one returned before), as
    /// [`quarantines_after`](Self::quarantines_after).
    pub fn reconfs_after(
        &self,
        after: Option<(u64, Duid)>,
    ) -> impl Iterator<Item = ReconfRecord<'_>> + '_ {
        use std::ops::Bound::{Excluded, Unbounded};
        let from = after.map_or(Unbounded, Excluded);
        self.reconf_ends
            .range((from, Unbounded))
            .filter_map(|(_, d)| {
                self.reconf
                    .get_key_value(d)
                    .map(|(duid, info)| ReconfRecord { duid, info })
            })
    }

    /// Gives back index room beyond what the bindings held need.
    pub fn shrink_to_fit(&mut self) {
        self.by_key.shrink_to_fit();
        self.holders.shrink_to_fit();
    }

    /// Turns the keeping of prior states off (for replaying changes that
    /// are durable already, where a rollback has nothing to undo) or back
    /// on. Either way the open turn can no longer be rolled back.
    pub fn set_undo(&mut self, on: bool) {
        self.undo.clear();
        self.undo.on = on;
    }

    /// Ends the open turn in memory with ticket `ticket`, keeping its
    /// prior states until [`settle_turns`](Self::settle_turns) says it is
    /// durable. A turn that changed nothing keeps nothing.
    pub fn seal_turn(&mut self, ticket: u64) {
        if self.undo.is_empty() {
            return;
        }
        let mut fresh = self.spare_undo.pop().unwrap_or_default();
        fresh.on = self.undo.on;
        let sealed = std::mem::replace(&mut self.undo, fresh);
        self.sealed.push_back((ticket, sealed));
    }

    /// Forgets the prior states of the sealed turns up to `ticket`: they
    /// are durable.
    pub fn settle_turns(&mut self, ticket: u64) {
        while self.sealed.front().is_some_and(|(t, _)| *t <= ticket) {
            if let Some((_, mut u)) = self.sealed.pop_front() {
                u.clear();
                if self.spare_undo.len() < MAX_SPARE_UNDO {
                    self.spare_undo.push(u);
                }
            }
        }
    }

    /// Puts back the open turn and every sealed turn, newest first: the
    /// store is again as it was after the last durable turn.
    pub fn rollback_unsettled(&mut self) {
        self.undo_turn();
        while let Some((_, prior)) = self.sealed.pop_back() {
            let on = self.undo.on;
            let emptied = std::mem::replace(&mut self.undo, prior);
            self.undo_turn();
            self.undo.on = on;
            if self.spare_undo.len() < MAX_SPARE_UNDO {
                self.spare_undo.push(emptied);
            }
        }
    }

    fn hash_key(&self, k: KeyRef<'_>) -> u64 {
        let mut h = self.hasher.build_hasher();
        hash_parts(k, &mut h);
        h.finish()
    }

    fn hash_res(&self, res: &Resource) -> u64 {
        self.hasher.hash_one(res)
    }

    fn slot_of(&self, key: KeyRef<'_>) -> Option<u32> {
        let slab = &self.slab;
        self.by_key.find(self.hash_key(key), |s| {
            slab.get(s).is_some_and(|b| b.key.as_ref() == key)
        })
    }

    fn holder_slot(&self, res: &Resource) -> Option<u32> {
        let slab = &self.slab;
        self.holders.find(self.hash_res(res), |s| {
            slab.get(s)
                .is_some_and(|b| b.leases.iter().any(|l| l.res == *res))
        })
    }

    fn touch_binding(&mut self, key: &BindingKey) {
        if self.undo.on && !self.undo.bindings.contains_key(key) {
            let prior = self
                .slot_of(key.as_ref())
                .and_then(|s| self.slab.get(s))
                .cloned();
            self.undo.bindings.insert(key.clone(), prior);
        }
    }

    fn touch_quarantine(&mut self, res: Resource) {
        if self.undo.on && !self.undo.quarantine.contains_key(&res) {
            let prior = self.quarantine.get(&res).copied();
            self.undo.quarantine.insert(res, prior);
        }
    }

    fn touch_reconf(&mut self, duid: &Duid) {
        if self.undo.on && !self.undo.reconf.contains_key(duid) {
            let prior = self.reconf.get(duid).cloned();
            self.undo.reconf.insert(duid.clone(), prior);
        }
    }

    /// Quarantines `res` until `until` with no binding involved (a journal
    /// snapshot's record of an earlier Decline).
    pub fn quarantine(&mut self, res: Resource, until: u64) {
        self.touch_quarantine(res);
        if let Some(old) = self.quarantine.insert(res, until) {
            self.quarantine_ends.remove(&(old, res));
        }
        self.quarantine_ends.insert((until, res));
    }

    fn unquarantine(&mut self, res: Resource) {
        self.touch_quarantine(res);
        if let Some(until) = self.quarantine.remove(&res) {
            self.quarantine_ends.remove(&(until, res));
        }
    }

    /// Removes at most `max` leases, quarantines and Reconfigure records
    /// that ended by `now`, soonest first, and returns them as the changes
    /// a journal records ([`Change::Expire`], [`Change::Unquarantine`],
    /// [`Change::Reconf`] with no record), in the order they ended. What
    /// is left over stays due: [`LeaseStore::next_expiry`] then answers
    /// `now` or earlier, and the next call goes on where this one stopped,
    /// so a server ends a million leases a chunk per loop turn. The leases
    /// of one binding that end in the same second end together (a chunk
    /// may exceed `max` by those).
    pub fn expire_changes(&mut self, now: u64, max: usize) -> Vec<Change> {
        let mut ended = Vec::new();
        while ended.len() < max {
            let reconf = self.reconf_ends.first().map(|(t, _)| (*t, Due::Reconf));
            let quarantine = self
                .quarantine_ends
                .first()
                .map(|(t, _)| (*t, Due::Quarantine));
            let lease = self
                .ends
                .first()
                .map(|&e| (u64::from(end_parts(e).0), Due::Lease));
            // The first of equal ends wins: Reconfigure records, then
            // quarantines, then leases.
            let next = [reconf, quarantine, lease]
                .into_iter()
                .flatten()
                .min_by_key(|&(t, _)| t);
            match next {
                Some((end, due)) if end <= now => self.end_one(due, &mut ended),
                _ => break,
            }
        }
        ended
    }

    /// Ends the first entry of the index `due` names (it is due).
    fn end_one(&mut self, due: Due, ended: &mut Vec<Change>) {
        match due {
            Due::Reconf => {
                let Some((end, duid)) = self.reconf_ends.pop_first() else {
                    return;
                };
                if self.reconf.get(&duid).is_some_and(|r| r.until == end) {
                    self.touch_reconf(&duid);
                    self.reconf.remove(&duid);
                    ended.push(Change::Reconf { duid, info: None });
                }
            }
            Due::Quarantine => {
                let Some((end, res)) = self.quarantine_ends.pop_first() else {
                    return;
                };
                if self.quarantine.get(&res) == Some(&end) {
                    self.unquarantine(res);
                    ended.push(Change::Unquarantine(res));
                }
            }
            Due::Lease => {
                let Some(e) = self.ends.pop_first() else {
                    return;
                };
                let (end, slot) = end_parts(e);
                let Some(b) = self.slab.get(slot) else {
                    return;
                };
                let key = b.key.clone();
                let mut due: SmallVec<[Resource; 2]> = b
                    .leases
                    .iter()
                    .filter(|l| end_of(l) == Some(end))
                    .map(|l| l.res)
                    .collect();
                due.sort_unstable();
                for res in due {
                    self.drop_lease(&key, &res);
                    ended.push(Change::Expire {
                        key: key.clone(),
                        res,
                    });
                }
            }
        }
    }

    /// Moves the index entries of the binding in `slot` from the leases
    /// `old` to `new`: entries both have (the same resource, the same
    /// end) are left in place, so a renewal at the same time does not
    /// reshape the indexes. Leases of one binding that end together share
    /// one expiry entry.
    fn reindex(&mut self, slot: u32, old: &[BoundLease], new: &[BoundLease]) {
        let ends_in = |ls: &[BoundLease], e: u32| ls.iter().any(|l| end_of(l) == Some(e));
        for e in old.iter().filter_map(end_of) {
            if !ends_in(new, e) {
                self.ends.remove(&end_entry(e, slot));
            }
        }
        for e in new.iter().filter_map(end_of) {
            if !ends_in(old, e) {
                self.ends.insert(end_entry(e, slot));
            }
        }
        for l in old.iter().filter(|l| !new.iter().any(|n| n.res == l.res)) {
            let h = self.hash_res(&l.res);
            self.holders.remove(h, slot);
        }
        for n in new.iter().filter(|n| !old.iter().any(|l| l.res == n.res)) {
            let h = self.hash_res(&n.res);
            self.holders.insert(h, slot);
        }
    }

    /// Takes the binding in `slot` out of the store and every index.
    fn remove_slot(&mut self, slot: u32) -> Option<Binding> {
        let b = self.slab.remove(slot)?;
        self.reindex(slot, &b.leases, &[]);
        let h = self.hash_key(b.key.as_ref());
        self.by_key.remove(h, slot);
        Some(b)
    }

    /// Adds a binding that is not in the store, with its index entries.
    fn insert_new(&mut self, mut b: Binding) {
        // One copy of a client's DUID for its bindings added in a row.
        match &self.last_duid {
            Some(d) if d.as_bytes() == b.key.duid.as_bytes() => b.key.duid = d.clone(),
            _ => self.last_duid = Some(b.key.duid.clone()),
        }
        let h = self.hash_key(b.key.as_ref());
        let leases = b.leases.clone();
        // The slot numbers run out only past 4 billion bindings, long after
        // memory has; such a binding is then not kept.
        if let Ok(slot) = self.slab.insert(b) {
            self.by_key.insert(h, slot);
            self.reindex(slot, &[], &leases);
        }
    }

    fn drop_lease(&mut self, key: &BindingKey, res: &Resource) -> bool {
        self.touch_binding(key);
        let Some(slot) = self.slot_of(key.as_ref()) else {
            return false;
        };
        let Some(b) = self.slab.get_mut(slot) else {
            return false;
        };
        let Some(i) = b.leases.iter().position(|l| l.res == *res) else {
            return false;
        };
        let before = b.leases.clone();
        b.leases.swap_remove(i);
        let after = b.leases.clone();
        self.reindex(slot, &before, &after);
        if after.is_empty() {
            self.remove_slot(slot);
        }
        true
    }

    fn bind(&mut self, b: Binding) {
        self.touch_binding(&b.key);
        // A resource moves to this binding only if nobody else holds it.
        for l in &b.leases {
            let other = self
                .holder_slot(&l.res)
                .and_then(|s| self.slab.get(s))
                .filter(|o| o.key != b.key)
                .map(|o| o.key.clone());
            if let Some(other) = other {
                self.drop_lease(&other, &l.res);
            }
        }
        let Some(slot) = self.slot_of(b.key.as_ref()) else {
            if !b.leases.is_empty() {
                self.insert_new(b);
            }
            return;
        };
        if b.leases.is_empty() {
            self.remove_slot(slot);
            return;
        }
        let old = match self.slab.get_mut(slot) {
            Some(cur) => std::mem::replace(&mut cur.leases, b.leases),
            None => return,
        };
        let Some(new) = self.slab.get(slot).map(|cur| cur.leases.clone()) else {
            return;
        };
        self.reindex(slot, &old, &new);
    }

    fn set_reconf(&mut self, duid: Duid, info: Option<ReconfInfo>) {
        self.touch_reconf(&duid);
        if let Some(old) = self.reconf.remove(&duid) {
            self.reconf_ends.remove(&(old.until, duid.clone()));
        }
        if let Some(info) = info {
            self.reconf_ends.insert((info.until, duid.clone()));
            self.reconf.insert(duid, info);
        }
    }

    /// Puts back what the open turn changed. First everything the turn
    /// touched is taken out as it now stands, then put back as it stood:
    /// the holder and expiry indexes follow the bindings and quarantines,
    /// and every binding that lost a resource to another was touched too.
    fn undo_turn(&mut self) {
        let mut bindings = std::mem::take(&mut self.undo.bindings);
        let mut quarantine = std::mem::take(&mut self.undo.quarantine);
        let mut reconf = std::mem::take(&mut self.undo.reconf);
        for key in bindings.keys() {
            if let Some(slot) = self.slot_of(key.as_ref()) {
                self.remove_slot(slot);
            }
        }
        for res in quarantine.keys() {
            if let Some(until) = self.quarantine.remove(res) {
                self.quarantine_ends.remove(&(until, *res));
            }
        }
        for (_, prior) in bindings.drain() {
            if let Some(b) = prior {
                self.insert_new(b);
            }
        }
        for (res, prior) in quarantine.drain() {
            if let Some(until) = prior {
                self.quarantine.insert(res, until);
                self.quarantine_ends.insert((until, res));
            }
        }
        for (duid, prior) in reconf.drain() {
            if let Some(old) = self.reconf.remove(&duid) {
                self.reconf_ends.remove(&(old.until, duid.clone()));
            }
            if let Some(info) = prior {
                self.reconf_ends.insert((info.until, duid.clone()));
                self.reconf.insert(duid, info);
            }
        }
        // The emptied maps go back, so the next turn reuses their room.
        self.undo.bindings = bindings;
        self.undo.quarantine = quarantine;
        self.undo.reconf = reconf;
    }
}

impl LeaseStore for MemStore {
    fn binding_by(&self, key: KeyRef<'_>) -> Option<&Binding> {
        self.slot_of(key).and_then(|s| self.slab.get(s))
    }

    fn holder(&self, res: &Resource) -> Option<&BindingKey> {
        self.holder_slot(res)
            .and_then(|s| self.slab.get(s))
            .map(|b| &b.key)
    }

    fn is_leased(&self, res: &Resource) -> bool {
        self.holder_slot(res).is_some() || self.quarantine.contains_key(res)
    }

    /// Refused when another binding holds `res` or it is quarantined. The
    /// server binds what it claimed before claiming again, so the holder
    /// index carries the claim from there on.
    fn claim(&mut self, key: KeyRef<'_>, res: &Resource) -> Result<(), ClaimRefused> {
        let other = self.holder(res).is_some_and(|k| k.as_ref() != key);
        if other || self.quarantine.contains_key(res) {
            return Err(ClaimRefused { res: *res });
        }
        Ok(())
    }

    fn apply(&mut self, change: Change) {
        match change {
            Change::Bind(b) => self.bind(b),
            Change::Release { key, res } | Change::Expire { key, res } => {
                self.drop_lease(&key, &res);
            }
            Change::Decline { key, res, until } => {
                self.drop_lease(&key, &res);
                self.quarantine(res, until);
            }
            Change::Unquarantine(res) => self.unquarantine(res),
            Change::Remove(key) => {
                let held: SmallVec<[Resource; 2]> = self
                    .binding(&key)
                    .map(|b| b.leases.iter().map(|l| l.res).collect())
                    .unwrap_or_default();
                for res in &held {
                    self.drop_lease(&key, res);
                }
            }
            Change::Reconf { duid, info } => self.set_reconf(duid, info),
        }
    }

    fn commit(&mut self) -> Result<(), CommitError> {
        self.undo.clear();
        Ok(())
    }

    fn rollback(&mut self) {
        self.undo_turn();
    }

    fn expire(&mut self, now: u64, max: usize) -> Vec<Resource> {
        self.expire_changes(now, max)
            .into_iter()
            .filter_map(|c| match c {
                Change::Expire { key: _, res } | Change::Unquarantine(res) => Some(res),
                _ => None,
            })
            .collect()
    }

    fn next_expiry(&self) -> Option<u64> {
        [
            self.ends.first().map(|&e| u64::from(end_parts(e).0)),
            self.quarantine_ends.first().map(|(t, _)| *t),
            self.reconf_ends.first().map(|(t, _)| *t),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn bindings(&self) -> Box<dyn Iterator<Item = &Binding> + '_> {
        Box::new(self.slab.iter().map(|(_, b)| b))
    }

    fn quarantined(&self) -> Box<dyn Iterator<Item = Quarantine> + '_> {
        Box::new(self.quarantine.iter().map(|(res, until)| Quarantine {
            res: *res,
            until: *until,
        }))
    }

    fn reconf(&self, duid: &[u8]) -> Option<ReconfRecord<'_>> {
        self.reconf
            .get_key_value(duid)
            .map(|(duid, info)| ReconfRecord { duid, info })
    }

    fn reconfs(&self) -> Box<dyn Iterator<Item = ReconfRecord<'_>> + '_> {
        Box::new(
            self.reconf
                .iter()
                .map(|(duid, info)| ReconfRecord { duid, info }),
        )
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

    fn lease(res: Resource, valid: u32, updated: u64) -> BoundLease {
        BoundLease {
            res,
            preferred: valid / 2,
            valid,
            updated,
        }
    }

    /// What a binding costs in the store's slab (issue 15: a million of
    /// them in little memory): its key (a shared DUID, IA type, IAID) and
    /// one lease inline.
    #[test]
    fn a_binding_record_is_small() {
        assert!(
            std::mem::size_of::<Binding>() <= 72,
            "{}",
            std::mem::size_of::<Binding>()
        );
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
        assert!(s.expire(149, usize::MAX).is_empty());
        s.apply(Change::Release {
            key: k.clone(),
            res: addr(1),
        });
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
            leases: smallvec::smallvec![BoundLease {
                res: Resource {
                    addr: "2001:db8:100::".parse().unwrap(),
                    len: 56,
                },
                preferred: INFINITY,
                valid: INFINITY,
                updated: 0,
            }],
        }));
        assert_eq!(s.expire(10, usize::MAX), vec![addr(1)]);
        assert_eq!(s.binding(&key(1, IaKind::Na)).unwrap().leases.len(), 1);
        assert_eq!(s.expire(1_000_000, usize::MAX), vec![addr(2)]);
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
        s.apply(Change::Decline {
            key: k.clone(),
            res: addr(1),
            until: 60,
        });
        assert!(s.binding(&k).is_none());
        assert!(s.is_leased(&addr(1)), "quarantined");
        assert_eq!(s.expire(59, usize::MAX), vec![]);
        assert_eq!(s.expire(60, usize::MAX), vec![addr(1)]);
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
        assert_eq!(s.expire(100, usize::MAX), vec![addr(2)]);
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
        s.apply(Change::Reconf {
            duid: d.clone(),
            info: Some(info(100)),
        });
        s.apply(Change::Reconf {
            duid: d.clone(),
            info: Some(info(200)),
        });
        assert_eq!(s.reconf(d.as_bytes()).unwrap().info.until, 200);
        assert_eq!(s.next_expiry(), Some(200));
        assert!(
            s.expire_changes(199, usize::MAX).is_empty(),
            "the first end was replaced"
        );
        assert_eq!(
            s.expire_changes(200, usize::MAX),
            vec![Change::Reconf {
                duid: d.clone(),
                info: None
            }]
        );
        assert!(s.reconf(d.as_bytes()).is_none());
        s.apply(Change::Reconf {
            duid: d.clone(),
            info: Some(info(300)),
        });
        s.apply(Change::Reconf {
            duid: d.clone(),
            info: None,
        });
        assert_eq!(s.reconfs().count(), 0);
        assert_eq!(s.next_expiry(), None);
    }

    #[test]
    fn remaining_lifetimes() {
        let l = lease(addr(1), 100, 1000);
        assert_eq!(
            l.remaining(1010),
            Remaining {
                preferred: 40,
                valid: 90
            }
        );
        assert_eq!(
            l.remaining(5000),
            Remaining {
                preferred: 0,
                valid: 0
            }
        );
        let inf = BoundLease {
            res: addr(1),
            preferred: INFINITY,
            valid: INFINITY,
            updated: 0,
        };
        assert_eq!(
            inf.remaining(5),
            Remaining {
                preferred: INFINITY,
                valid: INFINITY
            }
        );
        assert_eq!(inf.expires(), None);
    }

    /// Everything a store's reads show, in a comparable order.
    type State = (Vec<Binding>, Vec<Quarantine>, Vec<(Duid, u64)>, Option<u64>);

    fn state(s: &MemStore) -> State {
        let mut b: Vec<Binding> = s.bindings().cloned().collect();
        b.sort_by(|x, y| x.key.cmp(&y.key));
        let mut q: Vec<Quarantine> = s.quarantined().collect();
        q.sort();
        let mut r: Vec<(Duid, u64)> = s
            .reconfs()
            .map(|r| (r.duid.clone(), r.info.until))
            .collect();
        r.sort();
        (b, q, r, s.next_expiry())
    }

    /// A rollback puts back every binding, holder, quarantine, Reconfigure
    /// record and expiry the turn changed, however the changes interleave.
    #[test]
    fn rollback_restores_the_committed_state() {
        let mut s = MemStore::new();
        let k1 = key(1, IaKind::Na);
        let k2 = key(2, IaKind::Na);
        s.apply(Change::Bind(Binding {
            key: k1.clone(),
            leases: smallvec::smallvec![lease(addr(1), 100, 0), lease(addr(2), 100, 0)],
        }));
        s.apply(Change::Decline {
            key: k1.clone(),
            res: addr(2),
            until: 500,
        });
        s.apply(Change::Reconf {
            duid: k1.duid.clone(),
            info: Some(ReconfInfo {
                key: [1; 16],
                path: vec![],
                until: 300,
            }),
        });
        s.commit().unwrap();
        let before = state(&s);
        // A turn that moves addr(1) to another binding, extends, releases,
        // ends the quarantine, expires and drops the Reconfigure record.
        s.apply(Change::Bind(Binding {
            key: k2.clone(),
            leases: smallvec::smallvec![lease(addr(1), 100, 40), lease(addr(3), 100, 40)],
        }));
        s.apply(Change::Unquarantine(addr(2)));
        s.apply(Change::Release {
            key: k2.clone(),
            res: addr(3),
        });
        s.apply(Change::Reconf {
            duid: k1.duid.clone(),
            info: None,
        });
        s.apply(Change::Bind(Binding {
            key: k1.clone(),
            leases: smallvec::smallvec![lease(addr(4), 7, 0)],
        }));
        assert!(!s.expire(10, usize::MAX).is_empty());
        assert_ne!(state(&s), before);
        s.rollback();
        assert_eq!(state(&s), before);
        assert_eq!(s.holder(&addr(1)), Some(&k1));
        assert_eq!(s.holder(&addr(3)), None);
        assert_eq!(s.holder(&addr(4)), None);
        assert!(s.is_leased(&addr(2)), "quarantined again");
        // What was committed stays after a rollback of an empty turn.
        s.rollback();
        assert_eq!(state(&s), before);
        assert_eq!(s.expire(100, usize::MAX), vec![addr(1)]);
    }

    /// 10,000 leases ending in the same second (after a mass binding), with
    /// quarantines and Reconfigure records around them, end over several
    /// calls of at most N each, every one of them, soonest first; while
    /// some are left, `next_expiry` says they are due.
    #[test]
    fn a_mass_of_ends_is_ended_a_bounded_chunk_at_a_time() {
        const N: usize = 1000;
        let mut s = MemStore::new();
        let k = |n: u32| BindingKey {
            duid: Duid::from_bytes(&[0, 3, 0, 1, 9, 9]).unwrap(),
            kind: IaKind::Na,
            iaid: n,
        };
        let a = |n: u32| Resource {
            addr: Ipv6Addr::from(0x2001_0db8_0000_0000_0000_0000_0001_0000_u128 + u128::from(n)),
            len: 128,
        };
        for n in 0..10_000 {
            s.apply(Change::Bind(Binding {
                key: k(n),
                leases: smallvec::smallvec![lease(a(n), 3600, 1000)],
            }));
        }
        // One lease ends earlier, one later; quarantines and a Reconfigure
        // record in the same second as the mass.
        s.apply(Change::Bind(Binding {
            key: k(20_000),
            leases: smallvec::smallvec![lease(a(20_000), 60, 1000)],
        }));
        s.apply(Change::Bind(Binding {
            key: k(20_001),
            leases: smallvec::smallvec![lease(a(20_001), 7200, 1000)],
        }));
        for n in 0..5 {
            s.quarantine(a(30_000 + n), 4600);
        }
        s.apply(Change::Reconf {
            duid: key(1, IaKind::Na).duid,
            info: Some(ReconfInfo {
                key: [0; 16],
                path: vec![],
                until: 4600,
            }),
        });
        s.commit().unwrap();
        let now = 5000;
        let mut ends = Vec::new();
        let mut calls = 0;
        loop {
            let chunk = s.expire_changes(now, N);
            s.commit().unwrap();
            assert!(chunk.len() <= N, "{}", chunk.len());
            if chunk.is_empty() {
                break;
            }
            calls += 1;
            assert!(calls < 100, "never done");
            ends.extend(chunk);
            let left = ends.len() < 10_000 + 1 + 5 + 1;
            assert_eq!(s.next_expiry().is_some_and(|t| t <= now), left);
        }
        assert!(calls > 10, "{calls} calls");
        assert_eq!(ends.len(), 10_007, "every one that ended, once");
        assert_eq!(s.len(), 1, "the later lease stays");
        assert_eq!(s.next_expiry(), Some(8200));
        // Soonest first: the early lease, then the second of the mass.
        let end = |c: &Change| match c {
            Change::Expire { res, .. } if *res == a(20_000) => 1060,
            _ => 4600,
        };
        assert_eq!(end(&ends[0]), 1060);
        assert!(ends.windows(2).all(|w| end(&w[0]) <= end(&w[1])));
        let mut seen: Vec<Resource> = ends
            .iter()
            .filter_map(|c| match c {
                Change::Expire { res, .. } | Change::Unquarantine(res) => Some(*res),
                _ => None,
            })
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 10_006);
        assert!((0..10_000).all(|n| !s.is_leased(&a(n))));
    }

    /// The loop does not sleep while ends are due, unless storing them
    /// failed (then a second); otherwise until the next end, at most the
    /// longest sleep.
    #[test]
    fn the_loop_sleeps_until_the_next_end_and_not_while_some_are_due() {
        use std::time::Duration;
        let long = Duration::from_secs(60);
        assert_eq!(expiry_sleep(Some(100), 100, true, long), Duration::ZERO);
        assert_eq!(expiry_sleep(Some(90), 100, true, long), Duration::ZERO);
        assert_eq!(
            expiry_sleep(Some(90), 100, false, long),
            Duration::from_secs(1)
        );
        assert_eq!(
            expiry_sleep(Some(130), 100, true, long),
            Duration::from_secs(30)
        );
        assert_eq!(expiry_sleep(Some(1000), 100, true, long), long);
        assert_eq!(expiry_sleep(None, 100, true, long), long);
    }

    /// A chunk of expiries is a turn like any other: rolled back, what it
    /// ended is due again.
    #[test]
    fn a_rolled_back_chunk_of_expiries_comes_again() {
        let mut s = MemStore::new();
        for n in 1..=5 {
            s.apply(Change::Bind(Binding {
                key: key(n, IaKind::Na),
                leases: smallvec::smallvec![lease(addr(u16::from(n)), 10, 0)],
            }));
        }
        s.commit().unwrap();
        assert_eq!(s.expire(10, 2).len(), 2);
        s.rollback();
        assert_eq!(s.len(), 5);
        assert_eq!(s.expire(10, 3).len(), 3);
        s.commit().unwrap();
        assert_eq!(s.expire(10, 3).len(), 2);
        assert!(s.is_empty());
    }

    /// A claim is refused for what another binding holds or a quarantine
    /// keeps, and granted for what is free or already the claimant's.
    #[test]
    fn claims_follow_holders_and_quarantines() {
        let mut s = MemStore::new();
        let k1 = key(1, IaKind::Na);
        let k2 = key(2, IaKind::Na);
        s.apply(Change::Bind(Binding {
            key: k1.clone(),
            leases: smallvec::smallvec![lease(addr(1), 100, 0)],
        }));
        s.quarantine(addr(2), 50);
        assert_eq!(s.claim(k1.as_ref(), &addr(1)), Ok(()));
        assert_eq!(
            s.claim(k2.as_ref(), &addr(1)),
            Err(ClaimRefused { res: addr(1) })
        );
        assert!(s.claim(k2.as_ref(), &addr(2)).is_err());
        assert_eq!(s.claim(k2.as_ref(), &addr(3)), Ok(()));
    }
}
