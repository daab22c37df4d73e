//! Free-space bookkeeping for address and prefix pools: an interval set over
//! the slots of a pool (addresses of a range, or delegated prefixes of a
//! prefix pool, numbered from 0). Every operation is O(log n) in the number
//! of free runs, whatever the pool's size, so a /64 pool costs no more than
//! a pool of two addresses and no Solicit scans a pool.

use std::collections::BTreeMap;

/// The free slots of a pool of `size` slots, as disjoint runs `start..=end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotSet {
    size: u128,
    /// Free runs: start -> end (inclusive), disjoint and not adjacent.
    free: BTreeMap<u128, u128>,
    free_count: u128,
}

impl SlotSet {
    /// A pool of `size` slots, all free.
    pub fn new(size: u128) -> Self {
        let mut free = BTreeMap::new();
        if size > 0 {
            free.insert(0, size - 1);
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
        self.free
            .range(..=slot)
            .next_back()
            .map(|(&s, &e)| (s, e))
            .filter(|&(_, e)| slot <= e)
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
        self.free.remove(&s);
        if s < slot {
            self.free.insert(s, slot - 1);
        }
        if slot < e {
            self.free.insert(slot + 1, e);
        }
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
            None => self
                .free
                .range(from..)
                .next()
                .or_else(|| self.free.iter().next())
                .map(|(&s, _)| s),
        }
    }

    /// Returns `slot` to the pool; false when it was outside the pool or free already.
    pub fn release(&mut self, slot: u128) -> bool {
        if slot >= self.size || self.is_free(slot) {
            return false;
        }
        let mut start = slot;
        let mut end = slot;
        // Merge with the run ending just before and the run starting just after.
        if let Some((&s, &e)) = self.free.range(..slot).next_back() {
            if e.checked_add(1) == Some(slot) {
                self.free.remove(&s);
                start = s;
            }
        }
        if let Some(next) = slot.checked_add(1) {
            if let Some(e) = self.free.remove(&next) {
                end = e;
            }
        }
        self.free.insert(start, end);
        self.free_count += 1;
        true
    }

    /// Number of free runs (memory use is proportional to it).
    pub fn runs(&self) -> usize {
        self.free.len()
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
