//! Client/server messages (RFC 8415 §8) and DHCPv4-over-DHCPv6 messages
//! (RFC 7341 §6), as a view and as a typed representation.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    msg-type   |  transaction-id (flags in DHCPV4-QUERY/RESPONSE) |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! .                            options                            .
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

#![allow(clippy::indexing_slicing)] // getters index what new_checked proved present

use super::option::Options;
use super::relay::{RelayMessage, RelayRepr};
use super::repr::OptionRepr;
use super::{emit_to_vec, Error, Result, Writer};
use crate::codes::{MessageType, OptionCode};
use crate::duid::Duid;

mod field {
    pub const MSG_TYPE: usize = 0;
    pub const XID: core::ops::Range<usize> = 1..4;
    pub const OPTIONS: usize = 4;
}

/// The Unicast flag of a DHCPV4-QUERY (RFC 7341 §6.1): the most significant
/// bit of the 24-bit flags field (C-021).
pub const DHCPV4_QUERY_UNICAST: u32 = 0x80_0000;

/// A view over a client/server message.
#[derive(Debug, Clone, Copy)]
pub struct Message<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Message<T> {
    /// Wraps `buf` after checking it holds a whole header and is not a relay
    /// message (C-003: fewer than 4 octets is malformed).
    pub fn new_checked(buf: T) -> Result<Self> {
        let b = buf.as_ref();
        if b.len() < field::OPTIONS {
            return Err(Error::Truncated);
        }
        if MessageType::from(b[field::MSG_TYPE]).is_relay() {
            return Err(Error::WrongMessageKind(b[field::MSG_TYPE]));
        }
        Ok(Self { buf })
    }

    /// The message type.
    pub fn msg_type(&self) -> MessageType {
        MessageType::from(self.buf.as_ref()[field::MSG_TYPE])
    }

    /// The 24-bit transaction-id (or, for DHCPv4-over-DHCPv6, the flags).
    pub fn transaction_id(&self) -> u32 {
        let x = &self.buf.as_ref()[field::XID];
        u32::from_be_bytes([0, x[0], x[1], x[2]])
    }

    /// The options area.
    pub fn options_area(&self) -> &[u8] {
        &self.buf.as_ref()[field::OPTIONS..]
    }

    /// The options in wire order.
    pub fn options(&self) -> Options<'_> {
        Options::new(self.options_area())
    }

    /// The whole message.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.as_ref()
    }
}

/// Writes a client/server message header: msg-type and the 24-bit
/// transaction-id (C-001). A wider transaction-id would be cut, not sent:
/// it is an error.
pub fn emit_header(w: &mut Writer<'_>, msg_type: MessageType, transaction_id: u32) -> Result<()> {
    if msg_type.is_relay() {
        return Err(Error::WrongMessageKind(msg_type.into()));
    }
    let [high, xid @ ..] = transaction_id.to_be_bytes();
    if high != 0 {
        return Err(Error::BadTransactionId(transaction_id));
    }
    w.u8(msg_type.into())?;
    w.bytes(&xid)
}

/// A client/server message, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRepr {
    /// The message type (never Relay-forward or Relay-reply).
    pub msg_type: MessageType,
    /// The 24-bit transaction-id; the flags for DHCPV4-QUERY / DHCPV4-RESPONSE.
    pub transaction_id: u32,
    /// The options in wire order.
    pub options: Vec<OptionRepr>,
}

impl MessageRepr {
    /// Decodes every option of `msg`; any malformed option fails the message.
    pub fn parse<T: AsRef<[u8]>>(msg: &Message<T>) -> Result<Self> {
        let options = msg
            .options()
            .map(|o| OptionRepr::parse(&o?))
            .collect::<Result<_>>()?;
        Ok(Self {
            msg_type: msg.msg_type(),
            transaction_id: msg.transaction_id(),
            options,
        })
    }

    /// Decodes a message from bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::parse(&Message::new_checked(bytes)?)
    }

    /// Writes the message.
    pub fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        emit_header(w, self.msg_type, self.transaction_id)?;
        self.options.iter().try_for_each(|o| o.emit(w))
    }

    /// The encoded message in a new vector.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        emit_to_vec(|w| self.emit(w))
    }

    /// The flags of a DHCPV4-QUERY / DHCPV4-RESPONSE (the transaction-id field).
    pub fn flags(&self) -> u32 {
        self.transaction_id
    }

    /// The first option with `code`.
    pub fn option(&self, code: OptionCode) -> Option<&OptionRepr> {
        self.options.iter().find(|o| o.code() == code)
    }

    /// The Client Identifier, if present.
    pub fn client_id(&self) -> Option<&Duid> {
        self.options.iter().find_map(|o| match o {
            OptionRepr::ClientId(d) => Some(d),
            _ => None,
        })
    }

    /// The Server Identifier, if present.
    pub fn server_id(&self) -> Option<&Duid> {
        self.options.iter().find_map(|o| match o {
            OptionRepr::ServerId(d) => Some(d),
            _ => None,
        })
    }
}

/// Any DHCPv6 message: a client/server message or a relay message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyMessage {
    /// A client/server (or 4o6) message.
    Message(MessageRepr),
    /// A Relay-forward or Relay-reply.
    Relay(RelayRepr),
}

impl AnyMessage {
    /// Decodes bytes, choosing the layout by the first octet.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        match bytes.first().map(|&t| MessageType::from(t)) {
            None => Err(Error::Truncated),
            Some(t) if t.is_relay() => Ok(Self::Relay(RelayRepr::parse(
                &RelayMessage::new_checked(bytes)?,
            )?)),
            Some(_) => Ok(Self::Message(MessageRepr::from_bytes(bytes)?)),
        }
    }

    /// Writes the message.
    pub fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        match self {
            Self::Message(m) => m.emit(w),
            Self::Relay(r) => r.emit(w),
        }
    }

    /// The encoded message in a new vector.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        emit_to_vec(|w| self.emit(w))
    }

    /// The message type.
    pub fn msg_type(&self) -> MessageType {
        match self {
            Self::Message(m) => m.msg_type,
            Self::Relay(r) => r.msg_type,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// C-001: the transaction-id is 24 bits; a wider typed value is refused
    /// rather than emitted as a different transaction-id.
    #[test]
    fn c001_transaction_id_wider_than_24_bits_refused() {
        let mut m = MessageRepr {
            msg_type: MessageType::Solicit,
            transaction_id: 0x00ff_ffff,
            options: Vec::new(),
        };
        assert_eq!(m.to_vec(), Ok(vec![0x01, 0xff, 0xff, 0xff]));
        m.transaction_id = 0x0100_0000;
        assert_eq!(m.to_vec(), Err(Error::BadTransactionId(0x0100_0000)));
    }
}
