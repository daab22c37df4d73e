//! An independent check of the engine's first promise, no address given to
//! two clients, built only from what leaves the engine (its answers and
//! the changes it asks to journal), never from its table. The property
//! test and the `engine4` fuzz target drive an [`Engine`](super::Engine)
//! and feed every outcome here.

use core::net::Ipv4Addr;
use std::collections::HashMap;

use super::{Change4, ClientKey, Outcome};
use crate::dhcp4::MessageType;

/// What the witness saw go wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// A lease bound to a client while another still held the address
    /// (no release, decline or expiry of it was journaled).
    #[error("{addr} bound to a second client")]
    TwoHolders {
        /// The address.
        addr: Ipv4Addr,
    },
    /// An offer of an address another client holds.
    #[error("{addr} offered while another client holds it")]
    OfferOfHeld {
        /// The address.
        addr: Ipv4Addr,
    },
    /// A DHCPACK with an address no journaled lease of this turn grants.
    #[error("DHCPACK for {addr} without its lease journaled")]
    AckWithoutLease {
        /// The address.
        addr: Ipv4Addr,
    },
    /// A release, decline or expiry by a client that did not hold the
    /// address.
    #[error("{addr} let go by a client that did not hold it")]
    NotHolder {
        /// The address.
        addr: Ipv4Addr,
    },
}

/// Who holds which address, as the journal would say after each commit.
#[derive(Debug, Clone, Default)]
pub struct Witness {
    committed: HashMap<Ipv4Addr, ClientKey>,
    /// The current turn's view (committed plus this turn's changes).
    turn: HashMap<Ipv4Addr, ClientKey>,
}

impl Witness {
    /// A witness of an engine with no leases.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks one query's outcome against what earlier outcomes said.
    pub fn observe(&mut self, client: &ClientKey, out: &Outcome) -> Result<(), Violation> {
        let mut bound_now = Vec::new();
        for c in &out.changes {
            match c {
                Change4::Bind(l) => {
                    match self.turn.get(&l.addr) {
                        Some(h) if *h != l.client => {
                            return Err(Violation::TwoHolders { addr: l.addr })
                        }
                        _ => {}
                    }
                    self.turn.insert(l.addr, l.client.clone());
                    bound_now.push(l.addr);
                }
                Change4::Release { client, addr }
                | Change4::Expire { client, addr }
                | Change4::Decline { client, addr, .. } => match self.turn.get(addr) {
                    Some(h) if h == client => {
                        self.turn.remove(addr);
                    }
                    // A decline of an address only offered holds nothing.
                    None if matches!(c, Change4::Decline { .. }) => {}
                    _ => return Err(Violation::NotHolder { addr: *addr }),
                },
            }
        }
        let Some(a) = &out.answer else {
            return Ok(());
        };
        let addr = a.yiaddr;
        if addr.is_unspecified() {
            return Ok(());
        }
        match a.message_type() {
            Some(MessageType::Ack) if !bound_now.contains(&addr) => {
                Err(Violation::AckWithoutLease { addr })
            }
            Some(MessageType::Offer) if self.turn.get(&addr).is_some_and(|h| h != client) => {
                Err(Violation::OfferOfHeld { addr })
            }
            _ => Ok(()),
        }
    }

    /// The turn's changes were made durable.
    pub fn commit(&mut self) {
        self.committed.clone_from(&self.turn);
    }

    /// The turn's changes were taken back.
    pub fn rollback(&mut self) {
        self.turn.clone_from(&self.committed);
    }

    /// Number of addresses held.
    pub fn held(&self) -> usize {
        self.turn.len()
    }
}
