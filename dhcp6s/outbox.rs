//! Answers held until the turns they rest on are durable (the second half
//! of dhcp6s.c:server6_send, with the journal syncing in the background;
//! doc/lease-journal.md "Syncs off the loop").
//!
//! A turn's answers go into the open batch; when the turn is committed
//! the batch learns the turn's ticket ([`Outbox::turn_committed`]). While
//! a sync is under way, the next turns add theirs to the same open batch,
//! whose records the store syncs together next. [`Outbox::settle`] sends
//! whatever the store's [`SyncState`] says is durable, oldest first, and
//! closes the open batch once its records are being synced, so the next
//! turns fill a fresh one. When a sync failed, every answer held is
//! withheld: the turns they rest on were rolled back.

use std::collections::VecDeque;

use libdhcp6::lease::SyncState;
use libdhcp6::sys::batch::SendBatch;

/// The answers of turns not yet durable (see the module docs).
#[derive(Debug)]
pub struct Outbox {
    /// Being filled: the open turn's answers, and those of the turns
    /// committed since the last sync began.
    open: SendBatch,
    /// The highest ticket of the turns whose answers are in `open`.
    open_tag: u64,
    /// Batches whose records are being synced, oldest first, each with
    /// the highest ticket of its turns.
    held: VecDeque<(u64, SendBatch)>,
    /// Sent batches, reused.
    spare: Vec<SendBatch>,
    capacity: usize,
    buf_len: usize,
    /// The store's failure count last seen.
    failures: u64,
    /// Answers never sent because their turns were rolled back.
    pub withheld: u64,
}

impl Outbox {
    /// Batches of `capacity` answers of up to `buf_len` octets.
    pub fn new(capacity: usize, buf_len: usize) -> Self {
        Self {
            open: SendBatch::new(capacity, buf_len),
            open_tag: 0,
            held: VecDeque::new(),
            spare: Vec::new(),
            capacity,
            buf_len,
            failures: 0,
            withheld: 0,
        }
    }

    /// The open batch, for the open turn's answers.
    pub fn batch(&mut self) -> &mut SendBatch {
        &mut self.open
    }

    /// Answers the open batch still has room for.
    pub fn room(&self) -> usize {
        self.capacity.saturating_sub(self.open.len())
    }

    /// True when answers are held.
    #[cfg(test)]
    pub fn holding(&self) -> bool {
        !self.open.is_empty() || !self.held.is_empty()
    }

    /// The open turn was committed with ticket `ticket`: its answers wait
    /// for it.
    pub fn turn_committed(&mut self, ticket: u64) {
        if !self.open.is_empty() {
            self.open_tag = self.open_tag.max(ticket);
        }
    }

    /// The open turn could not be committed (the store rolled it back):
    /// the open batch never leaves. With a store that commits in the
    /// foreground it holds that turn's answers alone; a background store
    /// fails through [`SyncState::failures`] instead.
    pub fn turn_failed(&mut self) {
        self.withheld += self.open.len() as u64;
        self.open.clear();
        self.open_tag = 0;
    }

    /// Hands `send` every batch that may leave by `st`, oldest first, and
    /// closes the open batch once its turns are being synced.
    pub fn settle(&mut self, st: SyncState, mut send: impl FnMut(&mut SendBatch)) {
        if st.failures != self.failures {
            self.failures = st.failures;
            for (_, mut b) in self.held.drain(..) {
                self.withheld += b.len() as u64;
                b.clear();
                self.spare.push(b);
            }
            self.turn_failed();
        }
        while self.held.front().is_some_and(|(t, _)| *t <= st.durable) {
            if let Some((_, mut b)) = self.held.pop_front() {
                send(&mut b);
                b.clear();
                self.spare.push(b);
            }
        }
        if self.open.is_empty() {
            self.open_tag = 0;
        } else if self.open_tag <= st.durable && self.held.is_empty() {
            send(&mut self.open);
            self.open.clear();
            self.open_tag = 0;
        } else if self.open_tag <= st.started {
            let fresh = self
                .spare
                .pop()
                .unwrap_or_else(|| SendBatch::new(self.capacity, self.buf_len));
            let closed = std::mem::replace(&mut self.open, fresh);
            self.held.push_back((self.open_tag, closed));
            self.open_tag = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv6Addr, SocketAddrV6};

    fn answer(out: &mut Outbox, n: u8) {
        let dst = SocketAddrV6::new(Ipv6Addr::LOCALHOST, 546, 0, 0);
        assert!(out.batch().push(&[n], dst, 0, Ipv6Addr::UNSPECIFIED));
    }

    fn state(durable: u64, started: u64, failures: u64) -> SyncState {
        SyncState {
            durable,
            started,
            failures,
        }
    }

    /// What `settle` sends, as batch sizes in order.
    fn settle(out: &mut Outbox, st: SyncState) -> Vec<usize> {
        let mut sent = Vec::new();
        out.settle(st, |b| sent.push(b.len()));
        sent
    }

    /// Answers leave only once their turn is durable, in turn order;
    /// turns committed during a sync share the next batch.
    #[test]
    fn answers_wait_for_their_turns() {
        let mut out = Outbox::new(8, 64);
        answer(&mut out, 1);
        out.turn_committed(1);
        // Turn 1 is being synced: its batch is closed and held.
        assert!(settle(&mut out, state(0, 1, 0)).is_empty());
        answer(&mut out, 2);
        out.turn_committed(2);
        answer(&mut out, 3);
        out.turn_committed(3);
        assert!(settle(&mut out, state(0, 1, 0)).is_empty());
        assert_eq!(out.room(), 6, "turns 2 and 3 fill the open batch");
        // Turn 1 durable, 2 and 3 handed to the next sync.
        assert_eq!(settle(&mut out, state(1, 3, 0)), vec![1]);
        assert!(out.holding());
        assert_eq!(out.room(), 8);
        assert_eq!(settle(&mut out, state(3, 3, 0)), vec![2]);
        assert!(!out.holding());
        // A store that commits in the foreground: at once.
        answer(&mut out, 4);
        out.turn_committed(0);
        assert_eq!(settle(&mut out, SyncState::IMMEDIATE), vec![1]);
    }

    /// A failed sync withholds every answer held, and nothing of them
    /// leaves later; answers of later turns do.
    #[test]
    fn a_failed_sync_withholds_what_it_rolled_back() {
        let mut out = Outbox::new(8, 64);
        answer(&mut out, 1);
        out.turn_committed(1);
        settle(&mut out, state(0, 1, 0));
        answer(&mut out, 2);
        out.turn_committed(2);
        assert!(settle(&mut out, state(2, 2, 1)).is_empty());
        assert_eq!(out.withheld, 2);
        assert!(!out.holding());
        answer(&mut out, 3);
        out.turn_committed(3);
        assert_eq!(settle(&mut out, state(3, 3, 1)), vec![1]);
        // A turn the store refused at once.
        answer(&mut out, 4);
        out.turn_failed();
        assert!(settle(&mut out, SyncState::IMMEDIATE).is_empty());
        assert_eq!(out.withheld, 3);
    }
}
