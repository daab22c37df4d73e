//! Relay-forward and Relay-reply (RFC 8415 §9): the view, the typed
//! representation, iterative decapsulation into a [`RelayChain`], and the
//! wrapping of a reply back along that chain.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    msg-type   |   hop-count   |                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
//! |                         link-address (16)                     |
//! |                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                               |                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
//! |                         peer-address (16)                     |
//! |                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                               |                               .
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               .
//! .            options (variable number and length)   ....        .
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

#![allow(clippy::indexing_slicing)] // getters index what new_checked proved present

use core::net::Ipv6Addr;

use super::option::{DhcpOption, Options};
use super::repr::OptionRepr;
use super::{emit_to_vec, Error, LenSlot, Reader, Result, Writer};
use crate::codes::{MessageType, OptionCode};

/// Deepest relay nesting the library unwraps: the largest hop-count limit any
/// RFC allowed (RFC 3315's 32), KAME's value. Relay agents apply RFC 8415's
/// smaller `HOP_COUNT_LIMIT` themselves.
pub const MAX_RELAY_DEPTH: usize = 32;

mod field {
    pub const MSG_TYPE: usize = 0;
    pub const HOP_COUNT: usize = 1;
    pub const LINK_ADDRESS: core::ops::Range<usize> = 2..18;
    pub const PEER_ADDRESS: core::ops::Range<usize> = 18..34;
    pub const OPTIONS: usize = 34;
}

/// A view over a Relay-forward or Relay-reply.
#[derive(Debug, Clone, Copy)]
pub struct RelayMessage<T: AsRef<[u8]>> {
    buf: T,
}

fn addr_at(b: &[u8], r: core::ops::Range<usize>) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[r]);
    Ipv6Addr::from(a)
}

impl<T: AsRef<[u8]>> RelayMessage<T> {
    /// Wraps `buf` after checking the 34-octet header is there and the type
    /// is a relay type (C-003).
    pub fn new_checked(buf: T) -> Result<Self> {
        let b = buf.as_ref();
        if b.len() < field::OPTIONS {
            return Err(Error::Truncated);
        }
        if !MessageType::from(b[field::MSG_TYPE]).is_relay() {
            return Err(Error::WrongMessageKind(b[field::MSG_TYPE]));
        }
        Ok(Self { buf })
    }

    /// Relay-forward or Relay-reply.
    pub fn msg_type(&self) -> MessageType {
        MessageType::from(self.buf.as_ref()[field::MSG_TYPE])
    }

    /// Number of relays the message passed before this one.
    pub fn hop_count(&self) -> u8 {
        self.buf.as_ref()[field::HOP_COUNT]
    }

    /// Address identifying the client's link, or `::`.
    pub fn link_address(&self) -> Ipv6Addr {
        addr_at(self.buf.as_ref(), field::LINK_ADDRESS)
    }

    /// Address of the client or relay the message came from (or goes to).
    pub fn peer_address(&self) -> Ipv6Addr {
        addr_at(self.buf.as_ref(), field::PEER_ADDRESS)
    }

    /// The options area.
    pub fn options_area(&self) -> &[u8] {
        &self.buf.as_ref()[field::OPTIONS..]
    }

    /// The options in wire order.
    pub fn options(&self) -> Options<'_> {
        Options::new(self.options_area())
    }

    /// The contents of the Relay Message option (the first one, if repeated).
    pub fn relay_msg(&self) -> Result<&[u8]> {
        Options::find(self.options_area(), OptionCode::RelayMsg)?
            .map(|o| o.data)
            .ok_or(Error::MissingRelayMsg)
    }
}

/// Writes a 34-octet relay header.
pub fn emit_relay_header(
    w: &mut Writer<'_>,
    msg_type: MessageType,
    hop_count: u8,
    link_address: &Ipv6Addr,
    peer_address: &Ipv6Addr,
) -> Result<()> {
    w.u8(msg_type.into())?;
    w.u8(hop_count)?;
    w.ipv6(link_address)?;
    w.ipv6(peer_address)
}

/// A relay message, decoded. The Relay Message option keeps the inner
/// message as bytes ([`OptionRepr::RelayMsg`]); decode it in turn, or use
/// [`decapsulate`], which walks the whole chain without recursion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayRepr {
    /// Relay-forward or Relay-reply.
    pub msg_type: MessageType,
    /// Hop count.
    pub hop_count: u8,
    /// Link address.
    pub link_address: Ipv6Addr,
    /// Peer address.
    pub peer_address: Ipv6Addr,
    /// Options in wire order, the Relay Message among them.
    pub options: Vec<OptionRepr>,
}

impl RelayRepr {
    /// Decodes every option of `msg`; a relay message must carry a Relay Message option.
    pub fn parse<T: AsRef<[u8]>>(msg: &RelayMessage<T>) -> Result<Self> {
        let options: Vec<OptionRepr> = msg
            .options()
            .map(|o| OptionRepr::parse(&o?))
            .collect::<Result<_>>()?;
        if !options.iter().any(|o| matches!(o, OptionRepr::RelayMsg(_))) {
            return Err(Error::MissingRelayMsg);
        }
        Ok(Self {
            msg_type: msg.msg_type(),
            hop_count: msg.hop_count(),
            link_address: msg.link_address(),
            peer_address: msg.peer_address(),
            options,
        })
    }

    /// Writes the message.
    pub fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        if !self.msg_type.is_relay() {
            return Err(Error::WrongMessageKind(self.msg_type.into()));
        }
        emit_relay_header(
            w,
            self.msg_type,
            self.hop_count,
            &self.link_address,
            &self.peer_address,
        )?;
        self.options.iter().try_for_each(|o| o.emit(w))
    }

    /// The encoded message in a new vector.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        emit_to_vec(|w| self.emit(w))
    }

    /// The inner message bytes.
    pub fn relay_msg(&self) -> Option<&[u8]> {
        self.options.iter().find_map(|o| match o {
            OptionRepr::RelayMsg(m) => Some(m.as_slice()),
            _ => None,
        })
    }
}

/// What a server keeps of one Relay-forward level to answer through it
/// (RFC 8415 §19.3, RFC 8357, RFC 4994).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayLevel<'a> {
    /// Hop count of this level.
    pub hop_count: u8,
    /// Link address of this level.
    pub link_address: Ipv6Addr,
    /// Peer address of this level.
    pub peer_address: Ipv6Addr,
    /// The Interface-ID, to be echoed in the Relay-reply.
    pub interface_id: Option<&'a [u8]>,
    /// The Relay Source Port value, to be echoed (RFC 8357).
    pub relay_port: Option<u16>,
    /// This level's whole options area, for ERO echo and for relay options
    /// such as Remote-ID or Client Link-Layer Address.
    pub options: &'a [u8],
}

impl Default for RelayLevel<'_> {
    fn default() -> Self {
        Self {
            hop_count: 0,
            link_address: Ipv6Addr::UNSPECIFIED,
            peer_address: Ipv6Addr::UNSPECIFIED,
            interface_id: None,
            relay_port: None,
            options: &[],
        }
    }
}

impl<'a> RelayLevel<'a> {
    /// This level's options, minus the Relay Message.
    pub fn relay_options(&self) -> impl Iterator<Item = Result<DhcpOption<'a>>> {
        Options::new(self.options).filter(|o| {
            !matches!(
                o,
                Ok(DhcpOption {
                    code: OptionCode::RelayMsg,
                    ..
                })
            )
        })
    }

    /// The first option with `code` at this level.
    pub fn find(&self, code: OptionCode) -> Option<&'a [u8]> {
        Options::find(self.options, code)
            .ok()
            .flatten()
            .map(|o| o.data)
    }
}

/// The Relay-forward levels a message passed, outermost (nearest the
/// server) first. Fixed capacity, so decapsulating allocates nothing.
#[derive(Debug, Clone, Copy)]
pub struct RelayChain<'a> {
    levels: [RelayLevel<'a>; MAX_RELAY_DEPTH],
    len: usize,
}

impl Default for RelayChain<'_> {
    fn default() -> Self {
        Self {
            levels: [RelayLevel::default(); MAX_RELAY_DEPTH],
            len: 0,
        }
    }
}

impl<'a> RelayChain<'a> {
    /// The levels, outermost first.
    pub fn levels(&self) -> &[RelayLevel<'a>] {
        &self.levels[..self.len]
    }

    /// Number of levels; 0 for a message received directly.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a message received directly from a client.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The level nearest the client.
    pub fn innermost(&self) -> Option<&RelayLevel<'a>> {
        self.levels().last()
    }

    /// The innermost non-zero link-address, the usual link selector
    /// (RFC 8415 §13.1, RFC 6221 §5.3: `::` is ignored at every level).
    pub fn link_address(&self) -> Option<Ipv6Addr> {
        self.levels()
            .iter()
            .rev()
            .map(|l| l.link_address)
            .find(|a| !a.is_unspecified())
    }

    /// Appends a level inside the ones already there (a server rebuilding
    /// the path to a client it recorded earlier, to reach it with a
    /// Reconfigure); more than [`MAX_RELAY_DEPTH`] is refused.
    pub fn push(&mut self, level: RelayLevel<'a>) -> Result<()> {
        let slot = self.levels.get_mut(self.len).ok_or(Error::TooManyRelays)?;
        *slot = level;
        self.len += 1;
        Ok(())
    }
}

/// Unwraps Relay-forward levels, as KAME's `process_relayforw` does, until
/// the client message inside. Returns the chain (empty when `msg` is not a
/// Relay-forward) and the client message bytes. Iterative: a chain deeper
/// than [`MAX_RELAY_DEPTH`] is refused without recursion (C-024).
pub fn decapsulate(msg: &[u8]) -> Result<(RelayChain<'_>, &[u8])> {
    let mut chain = RelayChain::default();
    let inner = decapsulate_into(msg, &mut chain)?;
    Ok((chain, inner))
}

/// [`decapsulate`] into a chain the caller owns: a server answering many
/// datagrams keeps one on its stack instead of moving a whole chain (a few
/// kilobytes) out of a function for every packet. `chain` is cleared first.
pub fn decapsulate_into<'a>(msg: &'a [u8], chain: &mut RelayChain<'a>) -> Result<&'a [u8]> {
    chain.len = 0;
    let mut msg = msg;
    while msg.first() == Some(&u8::from(MessageType::RelayForw)) {
        if chain.len() >= MAX_RELAY_DEPTH {
            return Err(Error::TooManyRelays);
        }
        let view = RelayMessage::new_checked(msg)?;
        let mut level = RelayLevel {
            hop_count: view.hop_count(),
            link_address: view.link_address(),
            peer_address: view.peer_address(),
            interface_id: None,
            relay_port: None,
            options: &msg[34..],
        };
        let mut inner = None;
        for opt in Options::new(level.options) {
            let opt = opt?;
            match opt.code {
                OptionCode::RelayMsg if inner.is_none() => inner = Some(opt.data),
                OptionCode::InterfaceId if level.interface_id.is_none() => {
                    level.interface_id = Some(opt.data)
                }
                OptionCode::RelayPort => {
                    // C-023: exactly two octets.
                    let mut r = Reader::new(opt.data);
                    let port = r.u16().and_then(|p| r.finish().map(|_| p)).map_err(|_| {
                        Error::BadOptionLen {
                            code: opt.code.into(),
                            len: opt.data.len(),
                        }
                    })?;
                    level.relay_port.get_or_insert(port);
                }
                _ => {}
            }
        }
        msg = inner.ok_or(Error::MissingRelayMsg)?;
        chain.push(level)?;
    }
    Ok(msg)
}

/// Echoes the options of `level` whose codes its ERO (`ero`, the option data)
/// lists, each once and in the order the relay sent them (RFC 4994 sets no
/// order). The Interface-ID, Relay Source Port and Relay Message are written
/// by the caller and never echoed.
///
/// One pass over the options against a bitmap of the requested codes: looking
/// up each listed code among the options instead costs codes × options, close
/// to a second of CPU for one 64 KiB Relay-forward, and echoes an option again
/// for each repetition of its code.
fn echo_requested(level: &RelayLevel<'_>, ero: &[u8], w: &mut Writer<'_>) -> Result<()> {
    let mut wanted = [0u64; 1 << 10];
    let bit = |code: u16| (usize::from(code >> 6), 1u64 << (code & 63));
    let mut codes = Reader::new(ero);
    while let Ok(code) = codes.u16() {
        let (word, mask) = bit(code);
        if let Some(word) = wanted.get_mut(word) {
            *word |= mask;
        }
    }
    for opt in level.relay_options().flatten() {
        if matches!(opt.code, OptionCode::InterfaceId | OptionCode::RelayPort) {
            continue;
        }
        let (word, mask) = bit(opt.code.into());
        if wanted.get(word).is_some_and(|w| w & mask != 0) {
            opt.emit(w)?;
        }
    }
    Ok(())
}

/// Wraps `reply` in one Relay-reply per level of `chain`, outermost first,
/// echoing hop-count, link and peer addresses, the Interface-ID (RFC 8415
/// §19.3), the Relay Source Port (RFC 8357) and the options the level's ERO
/// asked for and carried (RFC 4994). With an empty chain it writes `reply`
/// unchanged.
pub fn encapsulate_reply(chain: &RelayChain<'_>, reply: &[u8], w: &mut Writer<'_>) -> Result<()> {
    let mut slots: [Option<LenSlot>; MAX_RELAY_DEPTH] = [None; MAX_RELAY_DEPTH];
    for (level, slot) in chain.levels().iter().zip(slots.iter_mut()) {
        emit_relay_header(
            w,
            MessageType::RelayRepl,
            level.hop_count,
            &level.link_address,
            &level.peer_address,
        )?;
        if let Some(id) = level.interface_id {
            w.option(OptionCode::InterfaceId, id)?;
        }
        if let Some(port) = level.relay_port {
            w.option(OptionCode::RelayPort, &port.to_be_bytes())?;
        }
        if let Some(ero) = level.find(OptionCode::Ero) {
            echo_requested(level, ero, w)?;
        }
        *slot = Some(w.begin_option(OptionCode::RelayMsg)?);
    }
    w.bytes(reply)?;
    for slot in slots.iter().take(chain.len()).rev().flatten() {
        w.end_option(*slot)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Relay-forward whose options area is `options`, around a 4-octet Solicit.
    fn relay_forw(options: &[u8]) -> Vec<u8> {
        let mut m = vec![12, 0];
        m.extend_from_slice(&[0; 32]);
        m.extend_from_slice(options);
        m.extend_from_slice(&[0x00, 0x09, 0x00, 0x04, 0x01, 0x12, 0x34, 0x56]);
        m
    }

    #[rustfmt::skip]
    const ERO_OPTIONS: &[u8] = &[
        0x00, 0x12, 0x00, 0x01, 0xaa,       // Interface-ID "\xaa"
        0x00, 0x2b, 0x00, 0x08,             // ERO, 4 codes:
        0x00, 0x25, 0x00, 0x25,             //   Remote-ID twice
        0x00, 0x12, 0x00, 0x26,             //   Interface-ID, Subscriber-ID
        0x00, 0x26, 0x00, 0x01, 0x73,       // Subscriber-ID "s"
        0x00, 0x25, 0x00, 0x05,             // Remote-ID
        0x00, 0x00, 0x00, 0x01, 0x72,       //   enterprise 1, "r"
    ];

    /// RFC 4994: each requested option is echoed once, in the relay's order;
    /// a code listed twice does not echo twice, and the Interface-ID is
    /// written once, by the normal echo.
    #[test]
    fn ero_echoes_each_requested_option_once() {
        let msg = relay_forw(ERO_OPTIONS);
        let (chain, inner) = decapsulate(&msg).unwrap();
        let out = emit_to_vec(|w| encapsulate_reply(&chain, inner, w)).unwrap();
        let view = RelayMessage::new_checked(&out[..]).unwrap();
        assert_eq!(view.msg_type(), MessageType::RelayRepl);
        let codes: Vec<OptionCode> = view.options().map(|o| o.unwrap().code).collect();
        assert_eq!(
            codes,
            [
                OptionCode::InterfaceId,
                OptionCode::SubscriberId,
                OptionCode::RemoteId,
                OptionCode::RelayMsg
            ]
        );
        assert_eq!(view.relay_msg(), Ok(&[0x01, 0x12, 0x34, 0x56][..]));
    }

    /// An ERO listing thousands of codes next to thousands of options used
    /// to cost codes × options lookups (about a second of CPU for 64 KiB).
    #[test]
    fn ero_cost_is_linear() {
        let mut options = vec![0x00, 0x2b, 0x7d, 0x00]; // ERO, 16000 codes
        for _ in 0..16000 {
            options.extend_from_slice(&[0x77, 0x77]);
        }
        for _ in 0..7000 {
            options.extend_from_slice(&[0x66, 0x66, 0x00, 0x00]);
        }
        let msg = relay_forw(&options);
        let (chain, inner) = decapsulate(&msg).unwrap();
        let out = emit_to_vec(|w| encapsulate_reply(&chain, inner, w)).unwrap();
        assert_eq!(out.len(), 34 + 8);
    }
}
