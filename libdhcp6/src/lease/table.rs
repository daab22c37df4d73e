//! The compact tables [`MemStore`](super::MemStore) keeps its bindings in:
//! a [`Slab`] of binding records numbered by slot, and [`IndexTable`]s that
//! map a hash to slot numbers. An index holds no copy of a key, only a
//! slot number and part of the hash (8 octets an entry), and compares
//! keys against the slab, so a binding's key exists once. Both grow
//! without ever holding two full copies of themselves: the slab adds
//! fixed-size chunks, an index doubles at most.

use core::fmt;

/// Slots per slab chunk: a chunk is allocated whole, so this bounds the
/// room a slab holds unused (besides freed slots, which are reused).
const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;

/// The most slots a slab numbers: slot numbers are `u32`, and the index
/// tables keep the top two values for their own marks.
pub const MAX_SLOTS: u32 = u32::MAX - 2;

/// Records at stable slot numbers. A freed slot is reused by the next
/// insert; chunks are never moved, so growing copies nothing.
pub struct Slab<T> {
    chunks: Vec<Box<[Option<T>]>>,
    /// Freed slots, reused last-freed first.
    free: Vec<u32>,
    /// Slots in use.
    len: usize,
    /// Slots ever handed out: every slot below this is in a chunk.
    top: u32,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            free: Vec::new(),
            len: 0,
            top: 0,
        }
    }
}

impl<T> fmt::Debug for Slab<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slab")
            .field("len", &self.len)
            .field("slots", &self.top)
            .finish_non_exhaustive()
    }
}

impl<T> Slab<T> {
    /// Records held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Slots handed out so far (used or freed): slot numbers run below it.
    pub fn slots(&self) -> usize {
        self.top as usize
    }

    /// The record at `slot`.
    pub fn get(&self, slot: u32) -> Option<&T> {
        let i = slot as usize;
        self.chunks
            .get(i >> CHUNK_BITS)?
            .get(i & (CHUNK - 1))?
            .as_ref()
    }

    /// The record at `slot`, to change in place.
    pub fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        let i = slot as usize;
        self.chunks
            .get_mut(i >> CHUNK_BITS)?
            .get_mut(i & (CHUNK - 1))?
            .as_mut()
    }

    fn cell(&mut self, slot: u32) -> Option<&mut Option<T>> {
        let i = slot as usize;
        self.chunks
            .get_mut(i >> CHUNK_BITS)?
            .get_mut(i & (CHUNK - 1))
    }

    /// Stores `value` in a free slot and returns its number; `Err` gives
    /// the value back when every slot number is taken.
    pub fn insert(&mut self, value: T) -> Result<u32, T> {
        let slot = match self.free.pop() {
            Some(s) => s,
            None if self.top < MAX_SLOTS => {
                if (self.top as usize) >> CHUNK_BITS >= self.chunks.len() {
                    self.chunks
                        .push(std::iter::repeat_with(|| None).take(CHUNK).collect());
                }
                self.top += 1;
                self.top - 1
            }
            None => return Err(value),
        };
        match self.cell(slot) {
            Some(c) => {
                *c = Some(value);
                self.len += 1;
                Ok(slot)
            }
            None => Err(value),
        }
    }

    /// Takes the record out of `slot`, freeing the slot.
    pub fn remove(&mut self, slot: u32) -> Option<T> {
        let v = self.cell(slot)?.take()?;
        self.len -= 1;
        self.free.push(slot);
        Some(v)
    }

    /// Every record with its slot, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> + '_ {
        self.chunks
            .iter()
            .flat_map(|c| c.iter())
            .zip(0..self.top)
            .filter_map(|(v, i)| v.as_ref().map(|v| (i, v)))
    }
}

/// An empty index entry.
const EMPTY: u64 = u64::MAX;
/// A removed entry: probing goes on past it.
const TOMB: u64 = u64::MAX - 1;

/// Load (live and removed entries) above which an index is rebuilt, in
/// eighths of its size.
const MAX_LOAD_EIGHTHS: usize = 7;

/// An open-addressing hash index from 64-bit hashes to slot numbers.
/// Each entry is the high half of the hash (which also places it: the
/// index has at most 2^32 entries, placed by the hash's top bits) and a
/// slot; lookups compare the half-hashes first and ask the caller to
/// compare keys only on a match. The keys stay in the slab.
#[derive(Clone, Default)]
pub struct IndexTable {
    entries: Vec<u64>,
    live: usize,
    /// Live and removed entries.
    used: usize,
}

impl fmt::Debug for IndexTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexTable")
            .field("live", &self.live)
            .field("size", &self.entries.len())
            .finish()
    }
}

/// The high half of a hash or an entry: the entry's tag. The high half,
/// so that placing an entry (by top bits) needs nothing else.
#[allow(clippy::cast_possible_truncation)] // the shift leaves 32 bits
fn tag(x: u64) -> u32 {
    (x >> 32) as u32
}

/// The low half of an entry: its slot.
#[allow(clippy::cast_possible_truncation)] // keeping the low half is the point
fn slot_of(e: u64) -> u32 {
    e as u32
}

impl IndexTable {
    /// An index with room for `n` entries before it grows.
    pub fn with_capacity(n: usize) -> Self {
        let mut t = Self::default();
        if n > 0 {
            t.resize((n.saturating_mul(8) / MAX_LOAD_EIGHTHS + 1).next_power_of_two());
        }
        t
    }

    /// Entries held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.live
    }

    /// Where probing for `tag` starts.
    fn home(&self, tag: u32) -> usize {
        let bits = self.entries.len().trailing_zeros();
        if bits == 0 {
            0
        } else {
            (tag >> (32 - bits.min(32))) as usize
        }
    }

    /// Every position from `tag`'s home onwards, wrapping once round.
    fn probe(&self, tag: u32) -> impl Iterator<Item = usize> {
        let n = self.entries.len();
        let home = self.home(tag);
        (0..n).map(move |i| (home + i) & (n - 1))
    }

    /// The slot of the entry for `hash` that `is` accepts.
    pub fn find(&self, hash: u64, mut is: impl FnMut(u32) -> bool) -> Option<u32> {
        let t = tag(hash);
        for pos in self.probe(t) {
            match *self.entries.get(pos)? {
                EMPTY => return None,
                TOMB => {}
                e if tag(e) == t && is(slot_of(e)) => return Some(slot_of(e)),
                _ => {}
            }
        }
        None
    }

    /// Adds an entry (the caller knows it is not there yet).
    pub fn insert(&mut self, hash: u64, slot: u32) {
        if (self.used + 1) * 8 > self.entries.len() * MAX_LOAD_EIGHTHS {
            // Doubles when live entries fill half; otherwise removed ones
            // are what fills it, and a rebuild at the same size clears them.
            let size = if (self.live + 1) * 2 > self.entries.len() {
                (self.entries.len() * 2).max(16)
            } else {
                self.entries.len()
            };
            self.resize(size);
        }
        self.put(tag(hash), slot);
    }

    fn put(&mut self, t: u32, slot: u32) {
        let Some(pos) = self
            .probe(t)
            .find(|&p| matches!(self.entries.get(p), Some(&(EMPTY | TOMB))))
        else {
            return;
        };
        if let Some(e) = self.entries.get_mut(pos) {
            if *e == EMPTY {
                self.used += 1;
            }
            *e = (u64::from(t) << 32) | u64::from(slot);
            self.live += 1;
        }
    }

    /// Removes the entry for `hash` pointing at `slot`, if there is one.
    pub fn remove(&mut self, hash: u64, slot: u32) {
        let want = (u64::from(tag(hash)) << 32) | u64::from(slot);
        let Some(pos) = self
            .probe(tag(hash))
            .take_while(|&p| self.entries.get(p) != Some(&EMPTY))
            .find(|&p| self.entries.get(p) == Some(&want))
        else {
            return;
        };
        if let Some(e) = self.entries.get_mut(pos) {
            *e = TOMB;
            self.live -= 1;
        }
    }

    /// Gives back room beyond what the live entries need (after a journal
    /// replay sized the index from a guess).
    pub fn shrink_to_fit(&mut self) {
        let want = (self.live.saturating_mul(8) / MAX_LOAD_EIGHTHS + 1)
            .next_power_of_two()
            .max(16);
        if want < self.entries.len() {
            self.resize(want);
        }
    }

    /// Rebuilds at `size` entries (a power of two), dropping removed ones.
    fn resize(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.entries, vec![EMPTY; size]);
        self.live = 0;
        self.used = 0;
        for e in old {
            if e != EMPTY && e != TOMB {
                self.put(tag(e), slot_of(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index against a model map, through growth, removals and
    /// rebuilds, with hashes that collide on purpose.
    #[test]
    fn index_matches_a_model() {
        let mut t = IndexTable::default();
        let mut model: std::collections::HashMap<u32, u64> = Default::default();
        let mut x: u64 = 77;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let slot = (x % 3000) as u32;
            // Few distinct hashes: many share a tag and a home.
            let hash = (x % 50).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            if let Some(h) = model.remove(&slot) {
                assert_eq!(t.find(h, |s| s == slot), Some(slot));
                t.remove(h, slot);
                assert_eq!(t.find(h, |s| s == slot), None);
            } else {
                t.insert(hash, slot);
                model.insert(slot, hash);
            }
            assert_eq!(t.len(), model.len());
        }
        for (slot, h) in &model {
            assert_eq!(t.find(*h, |s| s == *slot), Some(*slot));
        }
    }

    #[test]
    fn slab_reuses_freed_slots() {
        let mut s = Slab::default();
        let a = s.insert("a").unwrap();
        let b = s.insert("b").unwrap();
        assert_eq!(s.remove(a), Some("a"));
        assert_eq!(s.remove(a), None);
        assert_eq!(s.insert("c"), Ok(a));
        assert_eq!(s.get(b), Some(&"b"));
        assert_eq!(s.len(), 2);
        assert_eq!(s.slots(), 2);
        let all: Vec<_> = s.iter().collect();
        assert_eq!(all, vec![(a, &"c"), (b, &"b")]);
        for i in 0..5000 {
            s.insert(if i % 2 == 0 { "x" } else { "y" }).unwrap();
        }
        assert_eq!(s.len(), 5002);
        assert_eq!(s.iter().count(), 5002);
    }
}
