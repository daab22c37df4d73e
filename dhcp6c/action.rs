//! What the client machine tells its shell: the [`Action`]s to perform,
//! why a datagram was dropped, and the counters the SIGUSR1 log prints.

use std::net::Ipv6Addr;

use libdhcp6::auth::AuthError;
use libdhcp6::Prefix6;

use crate::dhcp4::Change;

/// How a datagram reached the client: RFC 8415 §16.11 accepts a Reconfigure
/// only if it was unicast to the client (C-148).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// To one of our unicast addresses.
    Unicast,
    /// To a multicast group, or the kernel did not say.
    Multicast,
}

/// Severity of an [`Action::Log`] line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// LOG_INFO.
    Info,
    /// LOG_NOTICE.
    Notice,
}

/// Something the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this message to ff02::1:2 port 547 on the interface.
    Send(Vec<u8>),
    /// Send this message to `to` port 547 (a DHCPV4-QUERY to a server
    /// option 88 named), from a source address of `to`'s scope.
    SendTo {
        /// The server.
        to: Ipv6Addr,
        /// The message.
        bytes: Vec<u8>,
    },
    /// The DHCPv4 lease changed: run the script with ISC dhclient-script's
    /// variables, install or remove the address on the `dhcp4o6-interface`,
    /// save or forget the lease.
    Lease4(Box<Change>),
    /// Add or refresh an address with kernel lifetimes (seconds; 0xffffffff forever).
    AddAddress {
        /// Interface.
        ifname: String,
        /// Address.
        addr: Ipv6Addr,
        /// Prefix length.
        plen: u8,
        /// Preferred lifetime left.
        preferred: u32,
        /// Valid lifetime left.
        valid: u32,
    },
    /// Remove an address.
    DelAddress {
        /// Interface.
        ifname: String,
        /// Address.
        addr: Ipv6Addr,
        /// Prefix length.
        plen: u8,
    },
    /// Install an unreachable route for a delegated prefix.
    AddUnreachable(Prefix6),
    /// Remove it.
    DelUnreachable(Prefix6),
    /// Run the script with this complete environment.
    Script(Vec<(String, String)>),
    /// Stateless information as `dhcp6c -i` prints it, one line each.
    Info(Vec<String>),
    /// Something the operator should know (logged at LOG_ERR).
    Warn(String),
    /// A line for the log.
    Log {
        /// Its severity.
        level: LogLevel,
        /// The KAME function name it is logged under.
        func: &'static str,
        /// The text.
        text: String,
    },
}

/// Why a received datagram was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Could not be decoded.
    Malformed,
    /// Not an Advertise or a Reply (C-152).
    WrongType,
    /// No exchange with that transaction-id.
    Xid,
    /// Client ID missing or not ours.
    ClientId,
    /// Server ID missing, or not the server the exchange is with.
    ServerId,
    /// Valid but useless now (a duplicate Advertise, a Reply to a Solicit
    /// without Rapid Commit, an Advertise offering nothing, ...).
    Ignored,
    /// A Reconfigure that was not unicast to us (C-148).
    Multicast,
    /// Authentication missing or wrong: an unauthenticated message on an
    /// interface with delayed authentication, a bad MAC, an unknown or
    /// expired key, a Reconfigure without a valid RKAP digest (C-148, C-173).
    Auth,
    /// A replay detection value not above the last one from that server
    /// (C-174).
    Replay,
    /// A Reconfigure while an exchange runs (C-150).
    Busy,
}

impl DropReason {
    /// All reasons, for the counters log.
    pub const ALL: [DropReason; 10] = [
        DropReason::Malformed,
        DropReason::WrongType,
        DropReason::Xid,
        DropReason::ClientId,
        DropReason::ServerId,
        DropReason::Ignored,
        DropReason::Multicast,
        DropReason::Auth,
        DropReason::Replay,
        DropReason::Busy,
    ];

    /// Short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Malformed => "malformed",
            DropReason::WrongType => "unexpected message type",
            DropReason::Xid => "transaction-id",
            DropReason::ClientId => "client ID",
            DropReason::ServerId => "server ID",
            DropReason::Ignored => "ignored",
            DropReason::Multicast => "reconfigure not unicast",
            DropReason::Auth => "authentication",
            DropReason::Replay => "replay",
            DropReason::Busy => "exchange in progress",
        }
    }

    /// The `reason` label of the statistics (doc/statistics.md).
    pub fn label(self) -> &'static str {
        match self {
            DropReason::Malformed => "malformed",
            DropReason::WrongType => "unexpected_type",
            DropReason::Xid => "transaction_id",
            DropReason::ClientId => "client_id",
            DropReason::ServerId => "server_id",
            DropReason::Ignored => "ignored",
            DropReason::Multicast => "reconfigure_not_unicast",
            DropReason::Auth => "authentication",
            DropReason::Replay => "replay",
            DropReason::Busy => "exchange_in_progress",
        }
    }

    /// The reason an authentication failure gives.
    pub fn from_auth(e: AuthError) -> Self {
        match e {
            AuthError::Replay { .. } => DropReason::Replay,
            _ => DropReason::Auth,
        }
    }
}

/// Message types counted one by one: every type up to ADDR-REG-REPLY (37).
pub const COUNTED_TYPES: usize = 38;

/// Packets and drops, for the SIGUSR1 log and the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counters {
    /// Messages sent.
    pub sent: u64,
    /// Messages accepted.
    pub accepted: u64,
    /// Drops by reason, in [`DropReason::ALL`] order.
    pub dropped: [u64; DropReason::ALL.len()],
    /// Transmissions skipped by the rate limit (C-151).
    pub rate_limited: u64,
    /// Messages sent, by type (first transmissions and retransmissions).
    pub sent_by_type: [u64; COUNTED_TYPES],
    /// Of those, the retransmissions (every transmission of an exchange
    /// after its first).
    pub retransmissions: u64,
    /// Datagrams received, accepted or not, by type.
    pub received_by_type: [u64; COUNTED_TYPES],
    /// Reconfigures acted on.
    pub reconfigures_accepted: u64,
    /// Reconfigures refused (not unicast, not authenticated, replayed,
    /// during an exchange, malformed).
    pub reconfigures_refused: u64,
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            sent: 0,
            accepted: 0,
            dropped: [0; DropReason::ALL.len()],
            rate_limited: 0,
            sent_by_type: [0; COUNTED_TYPES],
            retransmissions: 0,
            received_by_type: [0; COUNTED_TYPES],
            reconfigures_accepted: 0,
            reconfigures_refused: 0,
        }
    }
}

impl Counters {
    /// Counts a message of type `t` sent, the exchange's `nth` transmission.
    pub fn count_sent(&mut self, t: u8, nth: u32) {
        self.sent += 1;
        if let Some(c) = self.sent_by_type.get_mut(usize::from(t)) {
            *c += 1;
        }
        if nth > 1 {
            self.retransmissions += 1;
        }
    }

    /// Counts a received datagram whose first octet (its type) is `t`,
    /// accepted or not.
    pub fn count_received(&mut self, t: u8, accepted: bool) {
        if let Some(c) = self.received_by_type.get_mut(usize::from(t)) {
            *c += 1;
        }
        if libdhcp6::MessageType::from(t) == libdhcp6::MessageType::Reconfigure {
            if accepted {
                self.reconfigures_accepted += 1;
            } else {
                self.reconfigures_refused += 1;
            }
        }
    }
}
