//! Free-space bookkeeping for address and prefix pools: an interval set over
//! the slots of a pool (addresses of a range, or delegated prefixes of a
//! prefix pool, numbered from 0). Every operation is O(log n) in the number
//! of free runs, whatever the pool's size, so a /64 pool costs no more than
//! a pool of two addresses and no Solicit scans a pool. A pool of up to
//! 2^64 slots keeps its runs in 64-bit numbers, half the room of 128-bit
//! ones: a pool the size of a /64 with a million clients spread over it
//! has a million runs.

use std::collections::BTreeMap;

/// A slot number type the free runs can be kept in.
trait Slot: Copy + Ord + Into<u128> + TryFrom<u128> {}
impl Slot for u64 {}
impl Slot for u128 {}

/// Free runs `start -> end` (inclusive), with slot numbers of type `K`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RunMap<K: Slot>(BTreeMap<K, K>);

impl<K: Slot> RunMap<K> {
    fn k(x: u128) -> Option<K> {
        K::try_from(x).ok()
    }

    fn pair((&s, &e): (&K, &K)) -> (u128, u128) {
        (s.into(), e.into())
    }

    /// The last run starting at or before `slot` (before it, unless `at`).
    fn run_before(&self, slot: u128, at: bool) -> Option<(u128, u128)> {
        let Some(s) = Self::k(slot) else {
            // Past every slot number this map holds: its last run.
            return self.0.iter().next_back().map(Self::pair);
        };
        let r = if at {
            self.0.range(..=s).next_back()
        } else {
            self.0.range(..s).next_back()
        };
        r.map(Self::pair)
    }

    /// The start of the first run starting at or after `from`.
    fn first_from(&self, from: u128) -> Option<u128> {
        let f = Self::k(from)?;
        self.0.range(f..).next().map(|(&s, _)| s.into())
    }

    fn first(&self) -> Option<u128> {
        self.0.keys().next().map(|&s| s.into())
    }

    /// Removes the run starting at `start`, returning its end.
    fn remove(&mut self, start: u128) -> Option<u128> {
        self.0.remove(&Self::k(start)?).map(Into::into)
    }

    fn insert(&mut self, start: u128, end: u128) {
        if let (Some(s), Some(e)) = (Self::k(start), Self::k(end)) {
            self.0.insert(s, e);
        }
    }

    /// Takes every free slot of `taken` (sorted, no repeats) in one pass
    /// over the runs, and rebuilds the map from the new runs in order (a
    /// B-tree built from sorted entries is built in linear time and packed
    /// full). Returns how many slots it took.
    fn take_sorted(&mut self, taken: &[u128]) -> u128 {
        let old = std::mem::take(&mut self.0);
        let mut runs: Vec<(K, K)> = Vec::with_capacity(old.len() + taken.len());
        let mut push = |s: u128, e: u128| {
            if let (Some(s), Some(e)) = (Self::k(s), Self::k(e)) {
                runs.push((s, e));
            }
        };
        let mut t = taken.iter().copied().peekable();
        let mut count = 0;
        for (s, e) in old {
            let (mut s, e): (u128, u128) = (s.into(), e.into());
            while t.next_if(|&x| x < s).is_some() {}
            let mut rest = true;
            while let Some(x) = t.next_if(|&x| x <= e) {
                if x > s {
                    push(s, x - 1);
                }
                count += 1;
                match x.checked_add(1) {
                    Some(n) => s = n,
                    None => rest = false,
                }
            }
            if rest && s <= e {
                push(s, e);
            }
        }
        self.0 = runs.into_iter().collect();
        count
    }
}

/// The free runs of a pool, in the narrowest slot numbers that hold the
/// pool: an entry of two `u64` takes half the room of two `u128`, and a
/// pool of up to 2^64 slots (a /64 of addresses) needs no more.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Runs {
    Narrow(RunMap<u64>),
    Wide(RunMap<u128>),
}

/// `$body` with `$m` the run map, whichever width it has.
macro_rules! runs {
    ($runs:expr, $m:ident => $body:expr) => {
        match $runs {
            Runs::Narrow($m) => $body,
            Runs::Wide($m) => $body,
        }
    };
}

/// The free slots of a pool of `size` slots, as disjoint runs `start..=end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotSet {
    size: u128,
    /// Free runs: start -> end (inclusive), disjoint and not adjacent.
    free: Runs,
    free_count: u128,
}

impl SlotSet {
    /// A pool of `size` slots, all free.
    pub fn new(size: u128) -> Self {
        let mut free = if size <= 1 << 64 {
            Runs::Narrow(RunMap(BTreeMap::new()))
        } else {
            Runs::Wide(RunMap(BTreeMap::new()))
        };
        if size > 0 {
            runs!(&mut free, m => m.insert(0, size - 1));
        }
        Self {
            size,
            free,
            free_count: size,
        }
    }

    /// Number of slots.
    pub fn size(&self) -> u128 {
        self.size
    }

    /// Number of free slots.
    pub fn free_count(&self) -> u128 {
        self.free_count
    }

    /// The free run holding `slot`, if any.
    fn run_of(&self, slot: u128) -> Option<(u128, u128)> {
        runs!(&self.free, m => m.run_before(slot, true)).filter(|&(_, e)| slot <= e)
    }

    /// True when `slot` is in the pool and free.
    pub fn is_free(&self, slot: u128) -> bool {
        self.run_of(slot).is_some()
    }

    /// Marks `slot` used; false when it is outside the pool or already used.
    pub fn take(&mut self, slot: u128) -> bool {
        let Some((s, e)) = self.run_of(slot) else {
            return false;
        };
        runs!(&mut self.free, m => {
            m.remove(s);
            if s < slot {
                m.insert(s, slot - 1);
            }
            if slot < e {
                m.insert(slot + 1, e);
            }
        });
        self.free_count -= 1;
        true
    }

    /// Takes the first free slot at or after `hint` (taken modulo the pool's
    /// size), wrapping round to the start; `None` when the pool is full. A hint spreads clients over the
    /// pool (e.g. a hash of the client), so a client tends to get the same
    /// slot back and neighbours do not collide.
    pub fn take_near(&mut self, hint: u128) -> Option<u128> {
        if self.free_count == 0 {
            return None;
        }
        let slot = self.find_free_from(hint)?;
        self.take(slot).then_some(slot)
    }

    /// The first free slot at or after `from` (modulo the pool's size),
    /// wrapping round; `None` when the pool is full. Takes nothing (an Advertise reserves nothing).
    pub fn find_free_from(&self, from: u128) -> Option<u128> {
        if self.free_count == 0 {
            return None;
        }
        let from = if self.size == 0 { 0 } else { from % self.size };
        match self.run_of(from) {
            Some(_) => Some(from),
            None => runs!(&self.free, m => m.first_from(from).or_else(|| m.first())),
        }
    }

    /// Returns `slot` to the pool; false when it was outside the pool or free already.
    pub fn release(&mut self, slot: u128) -> bool {
        if slot >= self.size || self.is_free(slot) {
            return false;
        }
        let mut start = slot;
        let mut end = slot;
        runs!(&mut self.free, m => {
            // Merge with the run ending just before and the run starting just after.
            if let Some((s, e)) = m.run_before(slot, false) {
                if e.checked_add(1) == Some(slot) {
                    m.remove(s);
                    start = s;
                }
            }
            if let Some(next) = slot.checked_add(1) {
                if let Some(e) = m.remove(next) {
                    end = e;
                }
            }
            m.insert(start, end);
        });
        self.free_count += 1;
        true
    }

    /// Marks used every slot of `slots` (sorted, no repeats) that is in
    /// the pool and free, in one pass: what a pool does at start-up with
    /// the bindings a store holds. Returns how many it took.
    pub fn take_sorted(&mut self, slots: &[u128]) -> u128 {
        let n = runs!(&mut self.free, m => m.take_sorted(slots));
        self.free_count -= n;
        n
    }

    /// Number of free runs (memory use is proportional to it).
    pub fn runs(&self) -> usize {
        runs!(&self.free, m => m.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_release_merge() {
        let mut s = SlotSet::new(10);
        assert_eq!(s.free_count(), 10);
        assert!(s.take(5));
        assert!(!s.take(5));
        assert!(!s.take(10));
        assert_eq!(s.runs(), 2);
        assert_eq!(s.take_near(5), Some(6));
        assert_eq!(s.take_near(9), Some(9));
        assert_eq!(s.take_near(9), Some(0), "wraps round");
        assert!(s.release(5));
        assert!(!s.release(5));
        assert!(s.release(6));
        assert!(s.release(9));
        assert!(s.release(0));
        assert_eq!(s.runs(), 1);
        assert_eq!(s.free_count(), 10);
    }

    #[test]
    fn full_pool_says_so_at_once() {
        let mut s = SlotSet::new(2);
        assert!(s.take_near(7).is_some());
        assert!(s.take_near(7).is_some());
        assert_eq!(s.take_near(7), None);
        assert_eq!(SlotSet::new(0).clone().take_near(0), None);
    }

    #[test]
    fn huge_pool_is_cheap() {
        let mut s = SlotSet::new(1u128 << 64);
        for i in 0..10_000u128 {
            assert!(s.take_near(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).is_some());
        }
        assert_eq!(s.free_count(), (1u128 << 64) - 10_000);
        assert!(s.runs() <= 10_001);
    }

    /// A pool wider than 2^64 slots keeps its runs in 128-bit numbers and
    /// behaves the same at both ends.
    #[test]
    fn wide_pool_ends() {
        for size in [1u128 << 64, (1u128 << 64) + 1, u128::MAX] {
            let mut s = SlotSet::new(size);
            assert!(s.take(size - 1));
            assert!(!s.is_free(size - 1));
            assert!(!s.take(size), "outside the pool");
            assert_eq!(s.take_near(size - 1), Some(0), "wraps round");
            assert!(s.release(size - 1));
            assert!(s.release(0));
            assert_eq!((s.runs(), s.free_count()), (1, size));
        }
    }

    /// Taking sorted slots at once ends as taking them one by one does.
    #[test]
    fn take_sorted_is_take_one_by_one() {
        for size in [1u128, 2, 10, 64, 1 << 64, u128::MAX] {
            let mut x: u64 = 99;
            let mut slots: Vec<u128> = (0..40)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    u128::from(x) % size.min(80)
                })
                .chain([0, size - 1, size.wrapping_add(5)])
                .collect();
            slots.sort_unstable();
            slots.dedup();
            let mut one = SlotSet::new(size);
            assert!(one.take(3.min(size - 1)));
            let mut all = one.clone();
            let took = slots.iter().filter(|&&s| one.take(s)).count() as u128;
            assert_eq!(all.take_sorted(&slots), took, "size {size}");
            assert_eq!(all, one, "size {size}");
        }
    }

    #[test]
    fn matches_a_naive_model() {
        // A small deterministic random walk against a Vec<bool> model.
        let mut s = SlotSet::new(64);
        let mut model = [false; 64];
        let mut x: u64 = 12345;
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let slot = u128::from(x % 70);
            if x & 1 == 0 {
                let got = s.take_near(slot);
                let want = (0..64)
                    .map(|i| (slot % 64 + i) % 64)
                    .find(|&i| !model[i as usize]);
                assert_eq!(got, want);
                if let Some(g) = got {
                    model[g as usize] = true;
                }
            } else {
                let was_used = slot < 64 && model[slot as usize];
                assert_eq!(s.release(slot), was_used);
                if was_used {
                    model[slot as usize] = false;
                }
            }
            assert_eq!(
                s.free_count(),
                model.iter().filter(|u| !**u).count() as u128
            );
        }
    }
}
