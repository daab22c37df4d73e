//! What a server reads from a client's message, and how it reaches the
//! client again.
//!
//! [`ClientMsg`] is the client message read in place: one pass over the
//! options picks out what dhcp6s's `react_*` handlers use (identifiers, IAs
//! and the addresses or prefixes they list, ORO, Rapid Commit, Reconfigure
//! Accept, Authentication) and checks the layout of each of them. Nothing
//! is copied out of the datagram and, for the messages real clients send,
//! nothing is allocated (mirrors the part of KAME's `dhcp6_get_options`
//! the server needs).
//!
//! [`encode_path`] / [`decode_path`] record how a client was reached
//! (interface, source address and port, relay levels), so that a server
//! can send it a Reconfigure later, even after a restart (the lease
//! journal keeps the encoding, doc/lease-journal.md).
//!
//! Options the server does not use are checked only as TLVs: a client's
//! malformed FQDN or vendor option does not stop it from getting an
//! address (RFC 8415 §16: be liberal in what is accepted), while a
//! malformed IA, identifier or ORO does make the message malformed.

#![warn(clippy::indexing_slicing)]

use std::net::{Ipv6Addr, SocketAddrV6};

use smallvec::SmallVec;

use crate::codes::{MessageType, OptionCode};
use crate::duid::Duid;
use crate::lease::{IaKind, Resource};
use crate::wire::{
    DhcpOption, Error, Message, Options, Reader, RelayChain, RelayLevel, MAX_RELAY_DEPTH,
};

/// Most IA options one message may carry. Real clients send one to three;
/// a datagram with hundreds is an attack on the server's time, refused
/// as a whole rather than half answered.
pub const MAX_IAS: usize = 32;

/// Most addresses or prefixes one IA may list, for the same reason.
pub const MAX_LISTED: usize = 32;

/// Why a client message is refused before any handler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The bytes do not parse.
    #[error("{0}")]
    Wire(#[from] Error),
    /// More IAs, or more addresses in one IA, than a client needs.
    #[error("more than {MAX_IAS} IAs or {MAX_LISTED} addresses in an IA")]
    TooMany,
    /// More than one Authentication option (RFC 3315 §21.4.2; C-170).
    #[error("more than one authentication option")]
    RepeatedAuth,
}

/// One IA of the request.
#[derive(Debug, Clone)]
pub struct IaRequest {
    /// IA type.
    pub kind: IaKind,
    /// IAID.
    pub iaid: u32,
    /// Addresses or prefixes the client listed (hints, or what it holds).
    pub listed: SmallVec<[Resource; 2]>,
}

/// The IAs of a message, in wire order.
pub type IaList = SmallVec<[IaRequest; 4]>;

/// A client message, parsed in place.
#[derive(Debug, Clone)]
pub struct ClientMsg<'a> {
    /// Message type.
    pub msg_type: MessageType,
    /// Transaction-id.
    pub transaction_id: u32,
    /// Client Identifier (first one), checked to be a DUID of legal length.
    pub client_id: Option<&'a [u8]>,
    /// Server Identifier (first one), checked likewise.
    pub server_id: Option<&'a [u8]>,
    /// IA_NA / IA_TA / IA_PD options; a second IA of the same type and IAID
    /// is ignored (RFC 8415 §21.4: one IA per IAID).
    pub ias: IaList,
    /// The ORO's code list (even length checked, C-016).
    pub oro: &'a [u8],
    /// Rapid Commit present.
    pub rapid_commit: bool,
    /// Reconfigure Accept present (RFC 8415 §21.20).
    pub reconfigure_accept: bool,
    /// The Authentication option, if one.
    pub auth: Option<DhcpOption<'a>>,
}

fn bad_len(opt: &DhcpOption<'_>) -> Error {
    Error::BadOptionLen {
        code: opt.code.into(),
        len: opt.data.len(),
    }
}

fn duid<'a>(opt: &DhcpOption<'a>) -> Result<&'a [u8], Error> {
    Duid::check(opt.data)?;
    Ok(opt.data)
}

fn empty(opt: &DhcpOption<'_>) -> Result<(), Error> {
    if opt.data.is_empty() {
        Ok(())
    } else {
        Err(bad_len(opt))
    }
}

/// Reads the fixed part and sub-options of an IA option.
fn parse_ia(opt: &DhcpOption<'_>, kind: IaKind) -> Result<IaRequest, RequestError> {
    let mut r = Reader::new(opt.data);
    // IA_NA and IA_PD: IAID, T1, T2; IA_TA: IAID only (RFC 8415 §21.4-21.5, 21.21).
    let fixed = if kind == IaKind::Ta { 4 } else { 12 };
    let mut head = r.take(fixed).map_err(|_| bad_len(opt))?;
    let iaid = head.u32()?;
    let mut listed = SmallVec::new();
    for sub in Options::new(r.rest()) {
        let sub = sub?;
        let res = match (kind, sub.code) {
            (IaKind::Na | IaKind::Ta, OptionCode::IaAddr) => {
                let mut s = Reader::new(sub.data);
                let mut f = s.take(24).map_err(|_| bad_len(&sub))?;
                let addr = f.ipv6()?;
                Options::validate(s.rest())?;
                Resource { addr, len: 128 }
            }
            (IaKind::Pd, OptionCode::IaPrefix) => {
                let mut s = Reader::new(sub.data);
                let mut f = s.take(25).map_err(|_| bad_len(&sub))?;
                let _preferred = f.u32()?;
                let _valid = f.u32()?;
                let len = f.u8()?;
                let prefix = f.ipv6()?;
                if len > 128 {
                    return Err(Error::BadValue {
                        code: sub.code.into(),
                    }
                    .into());
                }
                Options::validate(s.rest())?;
                Resource { addr: prefix, len }
            }
            // A status or a lease of the other kind inside an IA is not
            // something a client asks for: skipped, as before.
            _ => continue,
        };
        if listed.len() >= MAX_LISTED {
            return Err(RequestError::TooMany);
        }
        listed.push(res);
    }
    Ok(IaRequest { kind, iaid, listed })
}

impl<'a> ClientMsg<'a> {
    /// Parses a client message (not a relay message).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, RequestError> {
        let view = Message::new_checked(bytes)?;
        let mut m = ClientMsg {
            msg_type: view.msg_type(),
            transaction_id: view.transaction_id(),
            client_id: None,
            server_id: None,
            ias: IaList::new(),
            oro: &[],
            rapid_commit: false,
            reconfigure_accept: false,
            auth: None,
        };
        let area = bytes.get(4..).unwrap_or_default();
        let mut n_ias = 0usize;
        for opt in Options::new(area) {
            let opt = opt?;
            let kind = match opt.code {
                OptionCode::ClientId => {
                    let d = duid(&opt)?;
                    m.client_id.get_or_insert(d);
                    continue;
                }
                OptionCode::ServerId => {
                    let d = duid(&opt)?;
                    m.server_id.get_or_insert(d);
                    continue;
                }
                OptionCode::Oro => {
                    if opt.data.len() % 2 != 0 {
                        return Err(bad_len(&opt).into());
                    }
                    m.oro = opt.data;
                    continue;
                }
                OptionCode::RapidCommit => {
                    empty(&opt)?;
                    m.rapid_commit = true;
                    continue;
                }
                OptionCode::ReconfAccept => {
                    empty(&opt)?;
                    m.reconfigure_accept = true;
                    continue;
                }
                OptionCode::ElapsedTime => {
                    if opt.data.len() != 2 {
                        return Err(bad_len(&opt).into());
                    }
                    continue;
                }
                OptionCode::Auth => {
                    if m.auth.replace(opt).is_some() {
                        return Err(RequestError::RepeatedAuth);
                    }
                    continue;
                }
                OptionCode::IaNa => IaKind::Na,
                OptionCode::IaTa => IaKind::Ta,
                OptionCode::IaPd => IaKind::Pd,
                _ => continue,
            };
            n_ias += 1;
            if n_ias > MAX_IAS {
                return Err(RequestError::TooMany);
            }
            let ia = parse_ia(&opt, kind)?;
            if !m.ias.iter().any(|i| i.kind == ia.kind && i.iaid == ia.iaid) {
                m.ias.push(ia);
            }
        }
        Ok(m)
    }

    /// True when the message holds any IA option (C-036): the first of
    /// each type and IAID is always kept, so any IA leaves one in `ias`.
    pub fn has_ia(&self) -> bool {
        !self.ias.is_empty()
    }

    /// True when the client's ORO asks for `code`.
    pub fn requested(&self, code: OptionCode) -> bool {
        let want = u16::from(code).to_be_bytes();
        self.oro.chunks_exact(2).any(|c| c == want)
    }
}

/// A client path encoded on the stack: most fit in 128 octets (direct, or
/// one or two relay levels), so recording an unchanged path allocates
/// nothing.
pub type PathBytes = SmallVec<[u8; 128]>;

/// Encodes how a datagram reached the server: `ifindex(4) source(16)
/// port(2) levels(1)`, then per relay level, outermost first,
/// `hop-count(1) link-address(16) peer-address(16) interface-id-len(2:
/// 0xffff none) interface-id relay-port(3: flag(1) port(2))`.
pub fn encode_path(src: &SocketAddrV6, ifindex: u32, chain: &RelayChain<'_>, out: &mut PathBytes) {
    out.clear();
    out.extend_from_slice(&ifindex.to_be_bytes());
    out.extend_from_slice(&src.ip().octets());
    out.extend_from_slice(&src.port().to_be_bytes());
    // At most MAX_RELAY_DEPTH (32) levels: fits one octet.
    out.push(u8::try_from(chain.len()).unwrap_or(u8::MAX));
    for l in chain.levels() {
        out.push(l.hop_count);
        out.extend_from_slice(&l.link_address.octets());
        out.extend_from_slice(&l.peer_address.octets());
        match l.interface_id {
            // An option's data is shorter than 0xffff octets here: a
            // Relay-forward holding it also holds the Relay Message.
            Some(id) => {
                out.extend_from_slice(&u16::try_from(id.len()).unwrap_or(0).to_be_bytes());
                out.extend_from_slice(id);
            }
            None => out.extend_from_slice(&u16::MAX.to_be_bytes()),
        }
        match l.relay_port {
            Some(p) => {
                out.push(1);
                out.extend_from_slice(&p.to_be_bytes());
            }
            None => out.extend_from_slice(&[0, 0, 0]),
        }
    }
}

/// A recorded path, decoded: where to send, through which interface, and
/// the relay levels to wrap a message in (borrowing the recorded bytes).
#[derive(Debug, Clone, Copy)]
pub struct ClientRoute<'p> {
    /// The address and port the datagram came from (the client, or the
    /// relay nearest the server), with the interface as scope for a
    /// link-local address.
    pub src: SocketAddrV6,
    /// The interface it arrived on.
    pub ifindex: u32,
    /// The relay levels, outermost first; empty for a direct client.
    pub chain: RelayChain<'p>,
}

/// Decodes [`encode_path`]'s bytes; `None` for anything else (a damaged or
/// foreign record is never half-read).
pub fn decode_path(path: &[u8]) -> Option<ClientRoute<'_>> {
    let mut r = Reader::new(path);
    let ifindex = r.u32().ok()?;
    let addr: Ipv6Addr = r.ipv6().ok()?;
    let port = r.u16().ok()?;
    let n = usize::from(r.u8().ok()?);
    if n > MAX_RELAY_DEPTH {
        return None;
    }
    let mut chain = RelayChain::default();
    for _ in 0..n {
        let hop_count = r.u8().ok()?;
        let link_address = r.ipv6().ok()?;
        let peer_address = r.ipv6().ok()?;
        let id_len = r.u16().ok()?;
        let interface_id = if id_len == u16::MAX {
            None
        } else {
            Some(r.bytes(usize::from(id_len)).ok()?)
        };
        let has_port = r.u8().ok()?;
        let p = r.u16().ok()?;
        if has_port > 1 {
            return None;
        }
        chain
            .push(RelayLevel {
                hop_count,
                link_address,
                peer_address,
                interface_id,
                relay_port: (has_port == 1).then_some(p),
                options: &[],
            })
            .ok()?;
    }
    r.finish().ok()?;
    let scope = if addr.is_unicast_link_local() {
        ifindex
    } else {
        0
    };
    Some(ClientRoute {
        src: SocketAddrV6::new(addr, port, 0, scope),
        ifindex,
        chain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{IaAddr, IaNa, IaPd, IaPrefix, MessageRepr, OptionRepr};

    fn bytes(opts: Vec<OptionRepr>) -> Vec<u8> {
        MessageRepr {
            msg_type: MessageType::Request,
            transaction_id: 0x123456,
            options: opts,
        }
        .to_vec()
        .unwrap()
    }

    fn client() -> Duid {
        Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]).unwrap()
    }

    #[test]
    fn picks_out_what_the_server_uses() {
        let b = bytes(vec![
            OptionRepr::ClientId(client()),
            OptionRepr::ElapsedTime(0),
            OptionRepr::Oro(vec![OptionCode::DnsServers, OptionCode::DomainList]),
            OptionRepr::RapidCommit,
            OptionRepr::IaNa(IaNa {
                iaid: 7,
                t1: 0,
                t2: 0,
                options: vec![OptionRepr::IaAddr(IaAddr {
                    addr: "2001:db8::1".parse().unwrap(),
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    options: vec![],
                })],
            }),
            OptionRepr::IaPd(IaPd {
                iaid: 8,
                t1: 0,
                t2: 0,
                options: vec![OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    prefix_len: 56,
                    prefix: "2001:db8:100::".parse().unwrap(),
                    options: vec![],
                })],
            }),
            // A duplicate IA_NA is ignored.
            OptionRepr::IaNa(IaNa {
                iaid: 7,
                t1: 0,
                t2: 0,
                options: vec![],
            }),
        ]);
        let m = ClientMsg::parse(&b).unwrap();
        assert_eq!(m.msg_type, MessageType::Request);
        assert_eq!(m.transaction_id, 0x123456);
        assert_eq!(m.client_id, Some(client().as_bytes()));
        assert!(m.server_id.is_none());
        assert!(m.rapid_commit && m.has_ia() && !m.reconfigure_accept);
        assert!(m.requested(OptionCode::DomainList));
        assert!(!m.requested(OptionCode::InformationRefreshTime));
        assert_eq!(m.ias.len(), 2);
        assert_eq!((m.ias[0].kind, m.ias[0].iaid), (IaKind::Na, 7));
        assert_eq!(m.ias[0].listed[0].len, 128);
        assert_eq!((m.ias[1].kind, m.ias[1].listed[0].len), (IaKind::Pd, 56));
    }

    /// C-013, C-016, C-170 and malformed IAs: the message is refused.
    #[test]
    fn refuses_malformed_parts() {
        let cases: Vec<Vec<u8>> = vec![
            // Client ID of 2 octets.
            vec![3, 0, 0, 1, 0, 1, 0, 2, 0, 1],
            // ORO of odd length.
            vec![3, 0, 0, 1, 0, 6, 0, 3, 0, 23, 0],
            // IA_NA shorter than 12.
            vec![3, 0, 0, 1, 0, 3, 0, 4, 0, 0, 0, 1],
            // IAADDR shorter than 24 inside an IA_NA.
            vec![
                3, 0, 0, 1, 0, 3, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0,
            ],
            // Two Authentication options.
            vec![3, 0, 0, 1, 0, 11, 0, 0, 0, 11, 0, 0],
            // An option running past the end.
            vec![3, 0, 0, 1, 0, 1, 0, 9, 0],
            // Rapid Commit with data.
            vec![3, 0, 0, 1, 0, 14, 0, 1, 0],
        ];
        for c in cases {
            assert!(ClientMsg::parse(&c).is_err(), "{c:?}");
        }
    }

    #[test]
    fn bounds_ias_and_listed() {
        let many: Vec<OptionRepr> = (0..=u32::try_from(MAX_IAS).unwrap())
            .map(|iaid| {
                OptionRepr::IaNa(IaNa {
                    iaid,
                    t1: 0,
                    t2: 0,
                    options: vec![],
                })
            })
            .collect();
        assert_eq!(
            ClientMsg::parse(&bytes(many)).unwrap_err(),
            RequestError::TooMany
        );
        let addrs = (0..=u16::try_from(MAX_LISTED).unwrap())
            .map(|i| {
                OptionRepr::IaAddr(IaAddr {
                    addr: std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, i),
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    options: vec![],
                })
            })
            .collect();
        let one = OptionRepr::IaNa(IaNa {
            iaid: 1,
            t1: 0,
            t2: 0,
            options: addrs,
        });
        assert_eq!(
            ClientMsg::parse(&bytes(vec![one])).unwrap_err(),
            RequestError::TooMany
        );
    }

    #[test]
    fn path_round_trip() {
        let src: SocketAddrV6 = "[2001:db8:ff::1]:10547".parse().unwrap();
        let pkt_id = b"port-7".to_vec();
        let mut chain = RelayChain::default();
        chain
            .push(RelayLevel {
                hop_count: 1,
                link_address: Ipv6Addr::UNSPECIFIED,
                peer_address: "2001:db8:ff::2".parse().unwrap(),
                interface_id: None,
                relay_port: Some(10547),
                options: &[],
            })
            .unwrap();
        chain
            .push(RelayLevel {
                hop_count: 0,
                link_address: "2001:db8:1::1".parse().unwrap(),
                peer_address: "fe80::1".parse().unwrap(),
                interface_id: Some(&pkt_id),
                relay_port: None,
                options: &[],
            })
            .unwrap();
        let mut path = PathBytes::new();
        encode_path(&src, 3, &chain, &mut path);
        let r = decode_path(&path).unwrap();
        assert_eq!((r.src, r.ifindex), (src, 3));
        assert_eq!(r.chain.len(), 2);
        let inner = &r.chain.levels()[1];
        assert_eq!(inner.interface_id, Some(&pkt_id[..]));
        assert_eq!(inner.peer_address, "fe80::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(r.chain.levels()[0].relay_port, Some(10547));
        // Direct: no levels; a link-local source keeps its interface.
        let ll: SocketAddrV6 = "[fe80::2]:546".parse().unwrap();
        encode_path(&ll, 9, &RelayChain::default(), &mut path);
        let r = decode_path(&path).unwrap();
        assert!(r.chain.is_empty());
        assert_eq!(r.src.scope_id(), 9);
        // Damaged paths decode to nothing rather than panic.
        for cut in 0..path.len() {
            assert!(decode_path(&path[..cut]).is_none());
        }
    }

    /// Options the server does not use are checked as TLVs only.
    #[test]
    fn unused_options_are_not_decoded() {
        // A DNS servers option of 3 octets (not a multiple of 16).
        let b = [3, 0, 0, 1, 0, 23, 0, 3, 1, 2, 3];
        assert!(ClientMsg::parse(&b).is_ok());
    }
}
