//! The wire layer: zero-copy views over received bytes ([`Message`],
//! [`RelayMessage`], [`DhcpOption`]) and typed representations built from
//! them ([`MessageRepr`], [`RelayRepr`], [`OptionRepr`]) that emit the same
//! bytes back.
//!
//! Everything variable-length goes through [`Reader`], which cannot read past
//! the slice it was given, and everything written goes through [`Writer`],
//! which reports [`Error::NoSpace`] instead of panicking. Nothing here touches
//! the network, files or the clock.

#![warn(clippy::indexing_slicing)]

use core::net::Ipv6Addr;

mod message;
mod name;
mod option;
mod relay;
mod repr;

pub use message::{emit_header, AnyMessage, Message, MessageRepr, DHCPV4_QUERY_UNICAST};
pub use name::DomainName;
pub use option::{DhcpOption, Options};
pub use relay::{
    decapsulate, decapsulate_into, emit_relay_header, encapsulate_reply, RelayChain, RelayLevel,
    RelayMessage, RelayRepr, MAX_RELAY_DEPTH,
};
pub use repr::{
    auth_protocol, rkap_type, Auth, AuthInfo, ClientFqdn, IaAddr, IaNa, IaPd, IaPrefix, IaTa,
    IaView, NtpSuboption, OptionRepr, StatusCode, VendorOption, AUTH_ALGORITHM_HMAC_MD5,
    AUTH_RDM_MONOTONIC,
};

/// UDP port clients listen on (RFC 8415 §7.2).
pub const CLIENT_PORT: u16 = 546;
/// UDP port servers and relay agents listen on (RFC 8415 §7.2).
pub const SERVER_PORT: u16 = 547;
/// All_DHCP_Relay_Agents_and_Servers, ff02::1:2 (RFC 8415 §7.1).
pub const ALL_DHCP_RELAY_AGENTS_AND_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);
/// All_DHCP_Servers, ff05::1:3 (RFC 8415 §7.1).
pub const ALL_DHCP_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff05, 0, 0, 0, 0, 0, 1, 3);
/// Lifetime and T1/T2 value meaning "infinity" (RFC 8415 §7.7).
pub const INFINITY: u32 = 0xffff_ffff;

/// Errors from decoding or encoding DHCPv6 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended before a fixed field did.
    #[error("truncated input")]
    Truncated,
    /// An option's length runs past the end of the message or container holding it.
    #[error("option {code}: length {len} runs past the end of its enclosing area")]
    OptionOverrun {
        /// Option code.
        code: u16,
        /// The option-len found on the wire.
        len: usize,
    },
    /// An option's data has a length its layout does not allow.
    #[error("option {code}: invalid length {len}")]
    BadOptionLen {
        /// Option code.
        code: u16,
        /// The option-len found on the wire.
        len: usize,
    },
    /// A field holds a value its definition does not allow.
    #[error("option {code}: invalid value")]
    BadValue {
        /// Option code.
        code: u16,
    },
    /// A domain name is malformed (label too long, compression pointer, no terminator).
    #[error("option {code}: malformed domain name")]
    BadDomainName {
        /// Option code.
        code: u16,
    },
    /// A DUID is shorter than 3 or longer than 130 octets (RFC 8415 §11.1).
    #[error("DUID of {len} octets (RFC 8415 allows 3 to 130)")]
    BadDuid {
        /// Its length.
        len: usize,
    },
    /// A view or representation was given the other kind of message
    /// (relay header where a client/server header was expected, or the reverse).
    #[error("message type {0} does not fit here")]
    WrongMessageKind(u8),
    /// A relay message has no Relay Message option.
    #[error("relay message without a Relay Message option")]
    MissingRelayMsg,
    /// Relay messages are nested deeper than [`MAX_RELAY_DEPTH`].
    #[error("relay chain deeper than {MAX_RELAY_DEPTH} levels")]
    TooManyRelays,
    /// The output buffer is full.
    #[error("no space left in the output buffer")]
    NoSpace,
    /// An option's data would exceed 65535 octets.
    #[error("option data longer than 65535 octets")]
    TooLong,
    /// A transaction-id (or DHCPv4-over-DHCPv6 flags value) wider than the
    /// 24 bits the header holds; emitting it would silently change it.
    #[error("transaction-id {0:#x} does not fit in 24 bits")]
    BadTransactionId(u32),
}

/// Result of the wire layer.
pub type Result<T> = core::result::Result<T, Error>;

/// A cursor over a byte slice that cannot read past its end.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// True when everything has been read.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let (head, tail) = self.buf.split_at_checked(n).ok_or(Error::Truncated)?;
        self.buf = tail;
        Ok(head)
    }

    /// A sub-reader over the next `n` bytes; it cannot see past them.
    pub fn take(&mut self, n: usize) -> Result<Reader<'a>> {
        self.bytes(n).map(Reader::new)
    }

    /// Everything not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.bytes(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// One octet.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// A big-endian u16.
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// A big-endian u32.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A big-endian u64.
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A 16-octet IPv6 address.
    pub fn ipv6(&mut self) -> Result<Ipv6Addr> {
        Ok(Ipv6Addr::from(self.array::<16>()?))
    }

    /// Ends the read: anything left over is an error (`Truncated` stands for
    /// "the layout does not account for these bytes"; callers map it to the
    /// option's own error).
    pub fn finish(self) -> Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(Error::Truncated)
        }
    }
}

/// Where an option's length field sits, so it can be patched once the data is written.
#[must_use = "an option begun must be ended with Writer::end_option"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LenSlot {
    at: usize,
}

/// A cursor writing into a caller-provided buffer.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.pos
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }

    /// The bytes written so far.
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.pos).unwrap_or_default()
    }

    /// Consumes the writer, giving back the written part of the buffer.
    pub fn into_written(self) -> &'a mut [u8] {
        let pos = self.pos;
        self.buf.get_mut(..pos).unwrap_or_default()
    }

    /// Appends `data`.
    pub fn bytes(&mut self, data: &[u8]) -> Result<()> {
        let end = self.pos.checked_add(data.len()).ok_or(Error::NoSpace)?;
        let dst = self.buf.get_mut(self.pos..end).ok_or(Error::NoSpace)?;
        dst.copy_from_slice(data);
        self.pos = end;
        Ok(())
    }

    /// Appends one octet.
    pub fn u8(&mut self, v: u8) -> Result<()> {
        self.bytes(&[v])
    }

    /// Appends a big-endian u16.
    pub fn u16(&mut self, v: u16) -> Result<()> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian u32.
    pub fn u32(&mut self, v: u32) -> Result<()> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian u64.
    pub fn u64(&mut self, v: u64) -> Result<()> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends an IPv6 address.
    pub fn ipv6(&mut self, a: &Ipv6Addr) -> Result<()> {
        self.bytes(&a.octets())
    }

    /// Writes an option code and a placeholder length; [`Writer::end_option`]
    /// fills the length in from what was written meanwhile.
    pub fn begin_option(&mut self, code: crate::codes::OptionCode) -> Result<LenSlot> {
        self.u16(code.into())?;
        let at = self.pos;
        self.u16(0)?;
        Ok(LenSlot { at })
    }

    /// Patches the length of an option begun with [`Writer::begin_option`].
    pub fn end_option(&mut self, slot: LenSlot) -> Result<()> {
        let data_start = slot.at + 2;
        let len = self.pos.checked_sub(data_start).ok_or(Error::NoSpace)?;
        let len = u16::try_from(len).map_err(|_| Error::TooLong)?;
        let dst = self
            .buf
            .get_mut(slot.at..data_start)
            .ok_or(Error::NoSpace)?;
        dst.copy_from_slice(&len.to_be_bytes());
        Ok(())
    }

    /// Writes a whole option: code, length, `data`.
    pub fn option(&mut self, code: crate::codes::OptionCode, data: &[u8]) -> Result<()> {
        let len = u16::try_from(data.len()).map_err(|_| Error::TooLong)?;
        self.u16(code.into())?;
        self.u16(len)?;
        self.bytes(data)
    }
}

/// Largest DHCPv6 message the suite builds or accepts: a UDP payload.
pub const MAX_MESSAGE_LEN: usize = 65535;

/// Runs `emit` against a fresh buffer big enough for any DHCPv6 message and
/// returns the bytes written. A convenience for tests, tools and the cold
/// path; daemons write into their own reused buffers.
pub fn emit_to_vec(emit: impl FnOnce(&mut Writer<'_>) -> Result<()>) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; MAX_MESSAGE_LEN];
    let mut w = Writer::new(&mut buf);
    emit(&mut w)?;
    let len = w.len();
    buf.truncate(len);
    // Without this every message built here would hold 64 KiB for as long
    // as it is kept (a client's saved Request, a test's prepared packets).
    buf.shrink_to_fit();
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::OptionCode;

    #[test]
    fn reader_bounds() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16(), Ok(0x0102));
        assert_eq!(r.u16(), Err(Error::Truncated));
        assert_eq!(r.u8(), Ok(3));
        assert!(r.finish().is_ok());
        let mut r = Reader::new(&[1, 2, 3, 4]);
        let mut sub = r.take(2).unwrap();
        assert_eq!(sub.u32(), Err(Error::Truncated));
        assert_eq!(sub.u16(), Ok(0x0102));
        assert_eq!(r.u16(), Ok(0x0304));
        assert_eq!(Reader::new(&[0; 3]).take(4).err(), Some(Error::Truncated));
    }

    #[test]
    fn writer_patches_length_and_reports_no_space() {
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        let slot = w.begin_option(OptionCode::Preference).unwrap();
        w.u8(255).unwrap();
        w.end_option(slot).unwrap();
        assert_eq!(w.written(), &[0, 7, 0, 1, 255]);
        assert_eq!(w.u32(1), Err(Error::NoSpace));
        assert_eq!(w.len(), 5);
    }

    #[test]
    fn writer_too_long_option() {
        let mut buf = vec![0u8; 70000];
        let mut w = Writer::new(&mut buf);
        assert_eq!(
            w.option(OptionCode::InterfaceId, &[0; 65536]),
            Err(Error::TooLong)
        );
        let slot = w.begin_option(OptionCode::InterfaceId).unwrap();
        w.bytes(&[0; 65536]).unwrap();
        assert_eq!(w.end_option(slot), Err(Error::TooLong));
    }
}
