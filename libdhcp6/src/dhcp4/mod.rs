//! The DHCPv4 wire layer (RFC 2131, RFC 2132) and Kea's DHCPv4-over-DHCPv6
//! IPC ([`ipc`]), with the same contract as the DHCPv6 [`crate::wire`]:
//! a bounds-checked view over received bytes ([`Packet`]), a typed
//! representation built from it ([`PacketRepr`], [`OptionRepr`]) that emits
//! the same bytes back, unknown options kept raw in wire order, and never a
//! panic on input.
//!
//! Byte-for-byte re-emission covers what a DHCPv4 message can do that a
//! DHCPv6 one cannot: Pad octets, the End option and whatever follows it,
//! option overload (option 52: options continued in `file` and/or `sname`,
//! RFC 2131 §4.1) and long options split over several instances (RFC 3396).
//! [`PacketRepr`] holds each option once, with its instances concatenated, and
//! a [`Layout`] that records how the parsed message spread them out.
//!
//! Nothing here touches the network, files or the clock.

#![warn(clippy::indexing_slicing)]

pub mod codes;
pub mod engine;
pub mod ipc;
pub mod journal;
pub mod kea;
mod message;
mod option;
mod packet;
mod repr;

pub use codes::{MessageType, Op, OptionCode};
pub use message::{Layout, PacketRepr, MAX_MESSAGE_LEN};
pub use option::{Item, Items};
pub use packet::{Packet, MAGIC_COOKIE};
pub use repr::{ClasslessRoute, ClientId, OptionRepr, Overload};

/// UDP port DHCPv4 servers and relay agents listen on (RFC 2131 §4.1).
pub const SERVER_PORT: u16 = 67;
/// UDP port DHCPv4 clients listen on (RFC 2131 §4.1).
pub const CLIENT_PORT: u16 = 68;
/// The BROADCAST bit of the `flags` field (RFC 2131 §2, figure 2).
pub const FLAG_BROADCAST: u16 = 0x8000;
/// Smallest message the canonical layout emits: RFC 951's BOOTP header with
/// its 64-octet vendor area, the size relays and old clients expect.
pub const BOOTP_MIN_LEN: usize = 300;
/// The client identifier type RFC 4361 §6.1 gives the IAID + DUID form.
pub const CLIENT_ID_TYPE_DUID: u8 = 255;
/// Length of the `chaddr` field; `hlen` may not exceed it.
pub const CHADDR_LEN: usize = 16;
/// Length of the `sname` field.
pub const SNAME_LEN: usize = 64;
/// Length of the `file` field.
pub const FILE_LEN: usize = 128;

/// Errors from decoding or encoding DHCPv4 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended before the fixed header and magic cookie did (240 octets).
    #[error("truncated input")]
    Truncated,
    /// The four octets after the header are not 99.130.83.99 (RFC 2131 §3).
    #[error("bad magic cookie {0:02x?}")]
    BadCookie([u8; 4]),
    /// `op` is neither BOOTREQUEST nor BOOTREPLY.
    #[error("bad op {0}")]
    BadOp(u8),
    /// `hlen` is longer than the 16-octet `chaddr` field.
    #[error("hardware address length {0} exceeds chaddr")]
    BadHlen(u8),
    /// An option's length runs past the end of the area holding it.
    #[error("option {code}: length {len} runs past the end of its area")]
    OptionOverrun {
        /// Option code.
        code: u8,
        /// The length octet found on the wire.
        len: usize,
    },
    /// An option's data (all its instances concatenated) has a length its
    /// layout does not allow.
    #[error("option {code}: invalid length {len}")]
    BadOptionLen {
        /// Option code.
        code: u8,
        /// Length of the concatenated data.
        len: usize,
    },
    /// A field holds a value its definition does not allow.
    #[error("option {code}: invalid value")]
    BadValue {
        /// Option code.
        code: u8,
    },
    /// Option 52 appears inside `file` or `sname`, where RFC 2131 §4.1 does
    /// not look for it (an overloaded field cannot overload itself).
    #[error("option overload inside an overloaded field")]
    MisplacedOverload,
    /// The output buffer is full.
    #[error("no space left in the output buffer")]
    NoSpace,
}

/// Result of the DHCPv4 wire layer.
pub type Result<T> = core::result::Result<T, Error>;

impl From<crate::wire::Error> for Error {
    /// Only the shared [`crate::wire::Reader`] and [`crate::wire::Writer`]
    /// produce these here: running out of input or out of room.
    fn from(e: crate::wire::Error) -> Self {
        match e {
            crate::wire::Error::NoSpace => Self::NoSpace,
            _ => Self::Truncated,
        }
    }
}
