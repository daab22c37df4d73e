//! Kea's DHCPv4-over-DHCPv6 IPC framing, as a pure codec.
//!
//! Kea joins its DHCPv6 server and its DHCPv4 server with UDP datagrams on
//! the loopback (`dhcp4o6-port P`: the DHCPv6 side binds `[::1]:P` and
//! sends to `[::1]:P+1`, the DHCPv4 side the reverse). Each datagram is a
//! complete DHCPv6 message — a DHCPV4-QUERY one way, a DHCPV4-RESPONSE the
//! other (RFC 7341), inside the Relay-forward or Relay-reply levels it came
//! or goes through — and its innermost (client/server) message carries the
//! receiving side's facts about the client in a Vendor-specific Information
//! option (17, RFC 8415 §21.17) with ISC's enterprise number 2495:
//!
//! ```text
//! option 17 | len | enterprise 2495 (4)
//!     60000 | len | receiving interface name (text, no NUL)
//!     60001 |  16 | remote IPv6 address (the client's, or the relay's)
//!     60002 |   2 | remote UDP port
//! ```
//!
//! Kea's sender adds the three sub-options to the first ISC vendor option
//! of the message, creating one when there is none; its receiver reads
//! them from the first ISC vendor option, removes them, and removes that
//! option when nothing is left in it. [`attach`] and [`extract`] do the
//! same, and more strictly: [`attach`] first removes any sub-option
//! 60000-60002 a client put in its own message (else a client on the link
//! could send the answer to any address or port), and [`extract`] refuses a
//! datagram whose metadata is missing, repeated or malformed.
//!
//! The message around the vendor option is written back as received, so
//! `extract(attach(m, meta)) == (sanitize(m), meta)`, where sanitizing
//! removes client-supplied metadata sub-options and ISC vendor options
//! left (or sent) empty.

use core::net::Ipv6Addr;

use crate::codes::{MessageType, OptionCode};
use crate::wire::{
    self, Message, Options, Reader, RelayMessage, Writer, MAX_MESSAGE_LEN, MAX_RELAY_DEPTH,
};

/// ISC's IANA private enterprise number, under which Kea defines the IPC
/// sub-options.
pub const ENTERPRISE_ISC: u32 = 2495;
/// Sub-option holding the name of the interface the query arrived on.
pub const SUBOPT_INTERFACE: u16 = 60000;
/// Sub-option holding the IPv6 address the query came from.
pub const SUBOPT_REMOTE_ADDR: u16 = 60001;
/// Sub-option holding the UDP port the query came from.
pub const SUBOPT_REMOTE_PORT: u16 = 60002;
/// Longest interface name the metadata may carry (IFNAMSIZ less its NUL).
pub const MAX_IFNAME_LEN: usize = 15;

/// Which of Kea's two cooperating servers an IPC endpoint belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The DHCPv6 server, which receives DHCPV4-QUERY from clients.
    V6,
    /// The DHCPv4 server, which answers them.
    V4,
}

/// The two loopback ports of one IPC endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// The port it binds on `::1`.
    pub local: u16,
    /// The port it sends to on `::1`.
    pub remote: u16,
}

/// The loopback ports of one side for Kea's `dhcp4o6-port P`: the DHCPv6
/// side binds `[::1]:P` and sends to `[::1]:P+1`, the DHCPv4 side binds
/// `P+1` and sends to `P`. `None` when `P` is 0 (4o6 off) or 65535 (Kea
/// refuses ports over 65534: `P+1` would not exist).
pub fn ports(dhcp4o6_port: u16, side: Side) -> Option<Ports> {
    if dhcp4o6_port == 0 {
        return None;
    }
    let v4 = dhcp4o6_port.checked_add(1)?;
    let (local, remote) = match side {
        Side::V6 => (dhcp4o6_port, v4),
        Side::V4 => (v4, dhcp4o6_port),
    };
    Some(Ports { local, remote })
}

const META_CODES: [u16; 3] = [SUBOPT_INTERFACE, SUBOPT_REMOTE_ADDR, SUBOPT_REMOTE_PORT];

/// What the DHCPv6 side knew about a query when it received it, carried to
/// the DHCPv4 side and back with the response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Meta {
    /// The interface the query arrived on.
    pub interface: String,
    /// The address it came from (the client's, or the nearest relay's).
    pub remote_addr: Ipv6Addr,
    /// The UDP port it came from.
    pub remote_port: u16,
}

/// Errors from framing or unframing an IPC datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The DHCPv6 message itself (relay levels, options, the ISC vendor
    /// option's sub-options) is malformed.
    #[error("malformed DHCPv6 message: {0}")]
    Wire(#[from] wire::Error),
    /// A metadata sub-option is missing (no ISC vendor option at all
    /// reports the interface sub-option).
    #[error("IPC metadata sub-option {code} missing")]
    Missing {
        /// The sub-option code.
        code: u16,
    },
    /// A metadata sub-option appears more than once.
    #[error("IPC metadata sub-option {code} repeated")]
    Repeated {
        /// The sub-option code.
        code: u16,
    },
    /// A metadata sub-option has a length or value it may not have (an
    /// empty, overlong, NUL-bearing or non-UTF-8 interface name; an address
    /// that is not 16 octets, or unspecified or multicast; a port that is
    /// not 2 octets, or zero).
    #[error("IPC metadata sub-option {code}: invalid value of {len} octets")]
    Invalid {
        /// The sub-option code.
        code: u16,
        /// The sub-option's length.
        len: usize,
    },
}

/// Result of the IPC codec.
pub type Result<T> = core::result::Result<T, Error>;

impl Meta {
    /// Checks the values against what [`extract`] accepts, so that what
    /// [`attach`] writes can be read back.
    pub fn check(&self) -> Result<()> {
        let name = self.interface.as_bytes();
        if name.is_empty() || name.len() > MAX_IFNAME_LEN || name.contains(&0) {
            return Err(Error::Invalid {
                code: SUBOPT_INTERFACE,
                len: name.len(),
            });
        }
        if self.remote_addr.is_unspecified() || self.remote_addr.is_multicast() {
            return Err(Error::Invalid {
                code: SUBOPT_REMOTE_ADDR,
                len: 16,
            });
        }
        if self.remote_port == 0 {
            return Err(Error::Invalid {
                code: SUBOPT_REMOTE_PORT,
                len: 2,
            });
        }
        Ok(())
    }

    fn emit(&self, w: &mut Writer<'_>) -> wire::Result<()> {
        let name = self.interface.as_bytes();
        w.u16(SUBOPT_INTERFACE)?;
        w.u16(u16::try_from(name.len()).map_err(|_| wire::Error::TooLong)?)?;
        w.bytes(name)?;
        w.u16(SUBOPT_REMOTE_ADDR)?;
        w.u16(16)?;
        w.ipv6(&self.remote_addr)?;
        w.u16(SUBOPT_REMOTE_PORT)?;
        w.u16(2)?;
        w.u16(self.remote_port)
    }
}

/// Decodes one metadata sub-option into `meta`'s matching slot.
fn take_meta(code: u16, data: &[u8], found: &mut Found) -> Result<()> {
    let invalid = Error::Invalid {
        code,
        len: data.len(),
    };
    let repeated = Error::Repeated { code };
    match code {
        SUBOPT_INTERFACE => {
            let name = core::str::from_utf8(data).map_err(|_| invalid)?;
            if name.is_empty() || name.len() > MAX_IFNAME_LEN || name.contains('\0') {
                return Err(invalid);
            }
            found
                .interface
                .replace(name.to_owned())
                .map_or(Ok(()), |_| Err(repeated))
        }
        SUBOPT_REMOTE_ADDR => {
            let a: [u8; 16] = data.try_into().map_err(|_| invalid)?;
            let a = Ipv6Addr::from(a);
            if a.is_unspecified() || a.is_multicast() {
                return Err(invalid);
            }
            found.addr.replace(a).map_or(Ok(()), |_| Err(repeated))
        }
        _ => {
            let p: [u8; 2] = data.try_into().map_err(|_| invalid)?;
            let p = u16::from_be_bytes(p);
            if p == 0 {
                return Err(invalid);
            }
            found.port.replace(p).map_or(Ok(()), |_| Err(repeated))
        }
    }
}

#[derive(Default)]
struct Found {
    interface: Option<String>,
    addr: Option<Ipv6Addr>,
    port: Option<u16>,
}

/// The enterprise number and sub-options area of an ISC vendor option, or
/// `None` for any other option.
fn isc_suboptions(code: OptionCode, data: &[u8]) -> wire::Result<Option<&[u8]>> {
    if code != OptionCode::VendorOpts {
        return Ok(None);
    }
    let mut r = Reader::new(data);
    let enterprise = r.u32().map_err(|_| wire::Error::BadOptionLen {
        code: code.into(),
        len: data.len(),
    })?;
    Ok((enterprise == ENTERPRISE_ISC).then(|| r.rest()))
}

/// Writes an ISC vendor option with the sub-options of `area` that `keep`
/// accepts, then `extra`; nothing at all when that leaves it empty.
fn emit_isc(
    w: &mut Writer<'_>,
    area: &[u8],
    keep: impl Fn(u16) -> bool,
    extra: Option<&Meta>,
) -> wire::Result<()> {
    let kept: Vec<_> = Options::new(area)
        .filter(|o| o.as_ref().map_or(true, |o| keep(o.code.into())))
        .collect::<wire::Result<_>>()?;
    if kept.is_empty() && extra.is_none() {
        return Ok(());
    }
    let slot = w.begin_option(OptionCode::VendorOpts)?;
    w.u32(ENTERPRISE_ISC)?;
    kept.iter().try_for_each(|o| o.emit(w))?;
    if let Some(meta) = extra {
        meta.emit(w)?;
    }
    w.end_option(slot)
}

/// One relay level on the way in: its bytes, and where its Relay Message
/// option's data sits in them.
struct Level<'a> {
    bytes: &'a [u8],
    msg_at: core::ops::Range<usize>,
}

/// Copies `datagram` into `w` through its relay levels, letting `inner`
/// write the innermost message's options; every other byte is copied as is
/// and only the Relay Message lengths are recomputed.
fn rewrite<'a, T>(
    datagram: &'a [u8],
    w: &mut Writer<'_>,
    inner: impl FnOnce(&'a [u8], &mut Writer<'_>) -> Result<T>,
) -> Result<T> {
    let mut levels: Vec<Level<'a>> = Vec::new();
    let mut msg = datagram;
    while msg
        .first()
        .is_some_and(|&t| MessageType::from(t).is_relay())
    {
        if levels.len() >= MAX_RELAY_DEPTH {
            return Err(wire::Error::TooManyRelays.into());
        }
        let relay = RelayMessage::new_checked(msg)?;
        let mut at = msg.len() - relay.options_area().len();
        let mut msg_at = None;
        for o in relay.options() {
            let o = o?;
            if o.code == OptionCode::RelayMsg && msg_at.is_none() {
                msg_at = Some(at + 4..at + o.wire_len());
            }
            at += o.wire_len();
        }
        let msg_at = msg_at.ok_or(wire::Error::MissingRelayMsg)?;
        let next = msg.get(msg_at.clone()).ok_or(wire::Error::Truncated)?;
        levels.push(Level { bytes: msg, msg_at });
        msg = next;
    }
    let client = Message::new_checked(msg)?;
    let mut slots = Vec::with_capacity(levels.len());
    for level in &levels {
        let start = level
            .msg_at
            .start
            .checked_sub(4)
            .ok_or(wire::Error::Truncated)?;
        w.bytes(level.bytes.get(..start).ok_or(wire::Error::Truncated)?)?;
        slots.push(w.begin_option(OptionCode::RelayMsg)?);
    }
    let header = msg.len() - client.options_area().len();
    w.bytes(msg.get(..header).ok_or(wire::Error::Truncated)?)?;
    let out = inner(msg.get(header..).ok_or(wire::Error::Truncated)?, w)?;
    for (level, slot) in levels.iter().zip(slots).rev() {
        w.end_option(slot)?;
        w.bytes(
            level
                .bytes
                .get(level.msg_at.end..)
                .ok_or(wire::Error::Truncated)?,
        )?;
    }
    Ok(out)
}

/// Frames a DHCPv6 message (a DHCPV4-QUERY or -RESPONSE, bare or inside
/// relay levels) for the IPC: writes it to `w` with `meta` in its innermost
/// message, after removing any metadata sub-option the client supplied.
/// Mirrors Kea's Dhcp4o6IpcBase::send.
pub fn attach(datagram: &[u8], meta: &Meta, w: &mut Writer<'_>) -> Result<()> {
    meta.check()?;
    rewrite(datagram, w, |area, w| {
        let mut pending = Some(meta);
        for o in Options::new(area) {
            let o = o?;
            match isc_suboptions(o.code, o.data)? {
                // Our metadata goes into the first ISC vendor option that
                // keeps anything, where Kea's receiver looks for it.
                Some(subs) => {
                    let had_other = Options::new(subs)
                        .any(|s| s.map_or(true, |s| !META_CODES.contains(&s.code.into())));
                    let extra = if had_other { pending.take() } else { None };
                    emit_isc(w, subs, |c| !META_CODES.contains(&c), extra)?;
                }
                None => o.emit(w)?,
            }
        }
        if let Some(meta) = pending {
            emit_isc(w, &[], |_| false, Some(meta))?;
        }
        Ok(())
    })
}

/// Unframes an IPC datagram: writes the DHCPv6 message to `w` without the
/// metadata sub-options (and without any ISC vendor option left, or sent,
/// empty) and returns the metadata. Exactly one of each sub-option, well
/// formed, anywhere in the innermost message's ISC vendor options, or the
/// datagram is refused. Mirrors Kea's Dhcp4o6IpcBase::receive.
pub fn extract(datagram: &[u8], w: &mut Writer<'_>) -> Result<Meta> {
    rewrite(datagram, w, |area, w| {
        let mut found = Found::default();
        for o in Options::new(area) {
            let o = o?;
            match isc_suboptions(o.code, o.data)? {
                Some(subs) => {
                    for s in Options::new(subs) {
                        let s = s?;
                        let code = u16::from(s.code);
                        if META_CODES.contains(&code) {
                            take_meta(code, s.data, &mut found)?;
                        }
                    }
                    // Rewritten without the metadata, and left out when
                    // empty: an empty ISC option carries nothing, and
                    // attach would drop it, so extracting again after
                    // attaching what this returns gives the same message.
                    emit_isc(w, subs, |c| !META_CODES.contains(&c), None)?;
                }
                None => o.emit(w)?,
            }
        }
        Ok(Meta {
            interface: found.interface.ok_or(Error::Missing {
                code: SUBOPT_INTERFACE,
            })?,
            remote_addr: found.addr.ok_or(Error::Missing {
                code: SUBOPT_REMOTE_ADDR,
            })?,
            remote_port: found.port.ok_or(Error::Missing {
                code: SUBOPT_REMOTE_PORT,
            })?,
        })
    })
}

fn to_vec<T>(f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<(Vec<u8>, T)> {
    let mut buf = vec![0u8; MAX_MESSAGE_LEN];
    let mut w = Writer::new(&mut buf);
    let out = f(&mut w)?;
    let len = w.len();
    buf.truncate(len);
    buf.shrink_to_fit();
    Ok((buf, out))
}

/// [`attach`] into a new vector.
pub fn attach_to_vec(datagram: &[u8], meta: &Meta) -> Result<Vec<u8>> {
    to_vec(|w| attach(datagram, meta, w)).map(|(v, ())| v)
}

/// [`extract`] into a new vector: the message and its metadata.
pub fn extract_to_vec(datagram: &[u8]) -> Result<(Vec<u8>, Meta)> {
    to_vec(|w| extract(datagram, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_pair_up() {
        let p = |local, remote| Some(Ports { local, remote });
        assert_eq!(ports(6767, Side::V6), p(6767, 6768));
        assert_eq!(ports(6767, Side::V4), p(6768, 6767));
        assert_eq!(ports(65534, Side::V4), p(65535, 65534));
        assert_eq!(ports(65535, Side::V6), None);
        assert_eq!(ports(0, Side::V6), None);
    }
}
