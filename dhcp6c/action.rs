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

    /// The reason an authentication failure gives.
    pub fn from_auth(e: AuthError) -> Self {
        match e {
            AuthError::Replay { .. } => DropReason::Replay,
            _ => DropReason::Auth,
        }
    }
}

/// Packets and drops, for the SIGUSR1 log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Messages sent.
    pub sent: u64,
    /// Messages accepted.
    pub accepted: u64,
    /// Drops by reason, in [`DropReason::ALL`] order.
    pub dropped: [u64; DropReason::ALL.len()],
    /// Transmissions skipped by the rate limit (C-151).
    pub rate_limited: u64,
}
