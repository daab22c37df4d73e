//! The relay's decisions, free of sockets so tests can drive them with bytes:
//! what to do with a datagram from a client or downstream relay
//! ([`Relay::relay_to_server`]) and with a Relay-reply from upstream
//! ([`Relay::relay_to_client`]). Mirrors dhcp6relay.c, with RFC 8415 §19
//! rules where WIDE differs and the safety checks WIDE lacks.

use std::net::{Ipv6Addr, SocketAddrV6};
use std::ops::Range;

use libdhcp6::codes::{MessageType, OptionCode};
use libdhcp6::sys::net::{is_global_unicast, is_unique_local};
use libdhcp6::timing::HOP_COUNT_LIMIT;
use libdhcp6::wire::{
    decapsulate, emit_relay_header, Options, RelayMessage, Writer, CLIENT_PORT, SERVER_PORT,
};

/// One client-facing interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIf {
    /// Interface name.
    pub name: String,
    /// Interface index.
    pub ifindex: u32,
    /// The Interface-ID this relay puts in Relay-forwards from this link.
    pub interface_id: Vec<u8>,
    /// A global (else unique-local) address of the link, used as link-address.
    pub link_address: Option<Ipv6Addr>,
    /// Every address of the interface, to map a link-address back to it.
    pub addresses: Vec<Ipv6Addr>,
    /// Remote-ID to insert (RFC 4649).
    pub remote_id: Option<RemoteId>,
    /// Subscriber-ID to insert (RFC 4580).
    pub subscriber_id: Option<Vec<u8>>,
}

/// A Remote-ID option's contents (RFC 4649 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteId {
    /// IANA private enterprise number of the vendor.
    pub enterprise: u32,
    /// The id, at least one octet.
    pub id: Vec<u8>,
}

/// How the Interface-ID of a client interface is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InterfaceIdFormat {
    /// WIDE's: the interface index, 4 octets big-endian.
    #[default]
    Ifindex,
    /// The interface name: stable even when the interface is re-created.
    Name,
}

impl InterfaceIdFormat {
    /// The Interface-ID bytes for an interface.
    pub fn make(self, name: &str, ifindex: u32) -> Vec<u8> {
        match self {
            Self::Ifindex => ifindex.to_be_bytes().to_vec(),
            Self::Name => name.as_bytes().to_vec(),
        }
    }
}

/// Picks the link-address for a link as WIDE does: the first address in
/// 2000::/3, else the first in fc00::/7 (RFC 8415 §19.1.1: a GUA or ULA of the link).
pub fn pick_link_address(addrs: &[Ipv6Addr]) -> Option<Ipv6Addr> {
    addrs
        .iter()
        .find(|a| is_global_unicast(a))
        .or_else(|| addrs.iter().find(|a| is_unique_local(a)))
        .copied()
}

/// Why a datagram was not relayed. Each has a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum DropReason {
    /// Shorter than a DHCPv6 header, or a relay message that does not parse.
    Malformed,
    /// Advertise, Reply, Reconfigure or DHCPV4-RESPONSE arriving bare (RFC 8415 §19).
    ServerMessageFromClientSide,
    /// A Relay-forward whose hop-count is already HOP_COUNT_LIMIT or more.
    HopLimit,
    /// Arrived on an interface that is not a client interface.
    NotClientInterface,
    /// A Relay-reply from a source that is not a configured server.
    UnknownServer,
    /// A Relay-reply came in from the client side.
    ReplyFromClientSide,
    /// A Relay-reply whose Interface-ID / link-address names none of our client interfaces.
    UnknownInterface,
    /// The message would not fit in a datagram once wrapped.
    TooBig,
}

impl DropReason {
    /// Every reason, in counter order.
    pub const ALL: [DropReason; 8] = [
        Self::Malformed,
        Self::ServerMessageFromClientSide,
        Self::HopLimit,
        Self::NotClientInterface,
        Self::UnknownServer,
        Self::ReplyFromClientSide,
        Self::UnknownInterface,
        Self::TooBig,
    ];

    /// Short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::ServerMessageFromClientSide => "server message from client side",
            Self::HopLimit => "hop count limit",
            Self::NotClientInterface => "not a client interface",
            Self::UnknownServer => "relay-reply from unknown server",
            Self::ReplyFromClientSide => "relay-reply from client side",
            Self::UnknownInterface => "relay-reply for unknown interface",
            Self::TooBig => "too big to relay",
        }
    }

    /// The `reason` label of the statistics (doc/statistics.md).
    pub fn label(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::ServerMessageFromClientSide => "server_message_from_client_side",
            Self::HopLimit => "hop_limit",
            Self::NotClientInterface => "not_client_interface",
            Self::UnknownServer => "unknown_server",
            Self::ReplyFromClientSide => "reply_from_client_side",
            Self::UnknownInterface => "unknown_interface",
            Self::TooBig => "too_big",
        }
    }
}

/// What one client interface relayed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IfCounters {
    /// The interface's name.
    pub name: String,
    /// Messages from its clients (or downstream relays) forwarded to the
    /// servers, once per message whatever the number of servers.
    pub to_server: u64,
    /// Relay-replies whose message was delivered on it.
    pub to_client: u64,
}

/// Counters SIGUSR1 logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Relay-forwards built, one per received message (not per server).
    pub forwarded: u64,
    /// Relay-replies delivered downstream.
    pub delivered: u64,
    /// Drops per [`DropReason`], indexed by its discriminant.
    pub dropped: [u64; DropReason::ALL.len()],
    /// Per client interface, in the order of [`Relay::client_ifs`].
    pub interfaces: Vec<IfCounters>,
}

impl Counters {
    /// Counts one drop.
    pub fn drop(&mut self, why: DropReason) {
        if let Some(c) = self.dropped.get_mut(why as usize) {
            *c += 1;
        }
    }

    /// Drops counted for `why`.
    pub fn dropped(&self, why: DropReason) -> u64 {
        self.dropped.get(why as usize).copied().unwrap_or(0)
    }
}

/// Where a received datagram came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// Source address and UDP port.
    pub src: SocketAddrV6,
    /// Receiving interface.
    pub ifindex: u32,
}

/// A message to hand to a client or downstream relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Destination: the Relay-reply's peer-address and port 546 or 547.
    pub dst: SocketAddrV6,
    /// Outgoing interface.
    pub ifindex: u32,
    /// Where the message sits inside the received Relay-reply.
    pub payload: Range<usize>,
    /// Type of the delivered message (for the `-S` script, which runs for Replies).
    pub inner_type: MessageType,
}

/// The relay's configuration and state.
#[derive(Debug, Clone)]
pub struct Relay {
    /// Client-facing interfaces.
    pub client_ifs: Vec<ClientIf>,
    /// Where Relay-forwards go (`-s`).
    pub servers: Vec<SocketAddrV6>,
    /// Where Relay-forwards of a DHCPV4-QUERY go instead (`-4`, RFC 7341
    /// §10); empty: to [`Relay::servers`] like every other message.
    pub servers_4o6: Vec<SocketAddrV6>,
    /// Our UDP source port upstream; not 547 means RFC 8357 applies.
    pub upstream_port: u16,
    /// Insert Client Link-Layer Address (RFC 6939) for messages from clients.
    pub client_linklayer: bool,
    /// True when the upstream side is a separate link from every client
    /// interface, so a Relay-reply must never arrive on a client interface.
    pub separate_upstream: bool,
    /// Counters.
    pub counters: Counters,
}

fn client_if_by_index(ifs: &[ClientIf], ifindex: u32) -> Option<&ClientIf> {
    ifs.iter().find(|i| i.ifindex == ifindex)
}

/// The MAC address inside a modified-EUI-64 link-local address, if it is one.
pub fn mac_from_link_local(a: &Ipv6Addr) -> Option<[u8; 6]> {
    let o = a.octets();
    let is_ll = o[0] == 0xfe && (o[1] & 0xc0) == 0x80;
    if !is_ll || o[11] != 0xff || o[12] != 0xfe {
        return None;
    }
    Some([o[8] ^ 0x02, o[9], o[10], o[13], o[14], o[15]])
}

impl Relay {
    /// Replaces the client interfaces (start-up, SIGHUP, the periodic
    /// refresh) and lines their counters up with them, keeping those of
    /// the interfaces that stay (by name).
    pub fn set_client_ifs(&mut self, ifs: Vec<ClientIf>) {
        let old = std::mem::take(&mut self.counters.interfaces);
        self.counters.interfaces = ifs
            .iter()
            .map(|c| {
                old.iter()
                    .find(|o| o.name == c.name)
                    .cloned()
                    .unwrap_or_else(|| IfCounters {
                        name: c.name.clone(),
                        ..IfCounters::default()
                    })
            })
            .collect();
        self.client_ifs = ifs;
    }

    /// The counters of the client interface `ifindex`.
    fn if_counters(&mut self, ifindex: u32) -> Option<&mut IfCounters> {
        let i = self.client_ifs.iter().position(|c| c.ifindex == ifindex)?;
        self.counters.interfaces.get_mut(i)
    }

    /// True when `src` may send us Relay-replies: a configured unicast server,
    /// or anyone when a server address is multicast (its answer can come
    /// from any server).
    fn trusted_server(&self, src: &Ipv6Addr) -> bool {
        self.servers
            .iter()
            .chain(&self.servers_4o6)
            .any(|s| s.ip().is_multicast() || s.ip() == src)
    }

    /// Where the Relay-forward built for `pkt` (a datagram from a client or
    /// a downstream relay) goes: the 4o6 servers (`-4`) when the message
    /// innermost in `pkt` is a DHCPV4-QUERY and some are configured, else
    /// the servers of `-s`. RFC 7341 §10 lets a 4o6-aware relay keep such
    /// a separate list and describes it for the first relay; looking
    /// through a downstream relay's levels as well lets one 4o6-aware relay
    /// steer the queries of a chain whose other relays know nothing of
    /// 4o6. A chain that cannot be unwrapped goes the ordinary way: the
    /// server judges it, as it would without `-4`.
    pub fn destinations(&self, pkt: &[u8]) -> &[SocketAddrV6] {
        if self.servers_4o6.is_empty() {
            return &self.servers;
        }
        let innermost = match decapsulate(pkt) {
            Ok((_, inner)) => inner.first().copied(),
            Err(_) => None,
        };
        if innermost.map(MessageType::from) == Some(MessageType::Dhcpv4Query) {
            &self.servers_4o6
        } else {
            &self.servers
        }
    }

    /// Builds the Relay-forward for a datagram from a client or downstream
    /// relay into `out` and returns its length (RFC 8415 §19.1; mirrors
    /// dhcp6relay.c:relay_to_server).
    /// A refusal is counted in [`Counters`].
    pub fn relay_to_server(
        &mut self,
        pkt: &[u8],
        from: Origin,
        out: &mut [u8],
    ) -> Result<usize, DropReason> {
        let r = self.build_relay_forward(pkt, from, out);
        match r {
            Ok(_) => {
                self.counters.forwarded += 1;
                if let Some(c) = self.if_counters(from.ifindex) {
                    c.to_server += 1;
                }
            }
            Err(why) => self.counters.drop(why),
        }
        r
    }

    fn build_relay_forward(
        &self,
        pkt: &[u8],
        from: Origin,
        out: &mut [u8],
    ) -> Result<usize, DropReason> {
        let Some(cif) = client_if_by_index(&self.client_ifs, from.ifindex) else {
            return Err(DropReason::NotClientInterface);
        };
        let msg_type = MessageType::from(*pkt.first().ok_or(DropReason::Malformed)?);
        if msg_type.is_server_message() {
            // C-099: a server's message has no business on the client side.
            return Err(DropReason::ServerMessageFromClientSide);
        }
        let peer = *from.src.ip();
        let (hop_count, link_address, from_client) = if msg_type == MessageType::RelayForw {
            let view = RelayMessage::new_checked(pkt).map_err(|_| DropReason::Malformed)?;
            // C-092: hop-count at the limit is discarded; C-091: else + 1.
            if view.hop_count() >= HOP_COUNT_LIMIT {
                return Err(DropReason::HopLimit);
            }
            // C-093 / C-094: a downstream relay with a global source
            // identifies its own link; otherwise name ours.
            let link = if is_global_unicast(&peer) || is_unique_local(&peer) {
                Ipv6Addr::UNSPECIFIED
            } else {
                cif.link_address.unwrap_or(Ipv6Addr::UNSPECIFIED)
            };
            (view.hop_count() + 1, link, false)
        } else if pkt.len() < 4 {
            return Err(DropReason::Malformed);
        } else {
            // C-086, C-087, C-097, C-098: any other type is a client message.
            (0, cif.link_address.unwrap_or(Ipv6Addr::UNSPECIFIED), true)
        };
        let mut w = Writer::new(out);
        let built = (|| {
            emit_relay_header(
                &mut w,
                MessageType::RelayForw,
                hop_count,
                &link_address,
                &peer,
            )?;
            // C-088 / C-111: the received message, byte for byte.
            w.option(OptionCode::RelayMsg, pkt)?;
            // C-089: always an Interface-ID, so the reply finds the link even
            // when link-address cannot name it (WIDE's bytes by default).
            w.option(OptionCode::InterfaceId, &cif.interface_id)?;
            if from_client {
                if let Some(r) = &cif.remote_id {
                    let slot = w.begin_option(OptionCode::RemoteId)?;
                    w.u32(r.enterprise)?;
                    w.bytes(&r.id)?;
                    w.end_option(slot)?;
                }
                if let Some(id) = &cif.subscriber_id {
                    w.option(OptionCode::SubscriberId, id)?;
                }
                // C-105: only for messages straight from a client.
                if self.client_linklayer {
                    if let Some(mac) = mac_from_link_local(&peer) {
                        let slot = w.begin_option(OptionCode::ClientLinklayerAddr)?;
                        w.u16(libdhcp6::duid::HW_TYPE_ETHERNET)?;
                        w.bytes(&mac)?;
                        w.end_option(slot)?;
                    }
                }
            }
            // RFC 8357: C-109 a downstream relay on another port, C-108 our own.
            if !from_client && from.src.port() != SERVER_PORT {
                w.option(OptionCode::RelayPort, &from.src.port().to_be_bytes())?;
            } else if self.upstream_port != SERVER_PORT {
                w.option(OptionCode::RelayPort, &0u16.to_be_bytes())?;
            }
            Ok::<_, libdhcp6::wire::Error>(w.len())
        })();
        built.map_err(|_| DropReason::TooBig)
    }

    /// Decides where the message inside a Relay-reply goes (RFC 8415 §19.2;
    /// mirrors dhcp6relay.c:relay_to_client), refusing what WIDE lets through.
    /// A refusal is counted in [`Counters`].
    pub fn relay_to_client(&mut self, pkt: &[u8], from: Origin) -> Result<Delivery, DropReason> {
        let r = self.unwrap_relay_reply(pkt, from);
        match &r {
            Ok(d) => {
                self.counters.delivered += 1;
                if let Some(c) = self.if_counters(d.ifindex) {
                    c.to_client += 1;
                }
            }
            Err(why) => self.counters.drop(*why),
        }
        r
    }

    fn unwrap_relay_reply(&self, pkt: &[u8], from: Origin) -> Result<Delivery, DropReason> {
        if self.separate_upstream && client_if_by_index(&self.client_ifs, from.ifindex).is_some() {
            return Err(DropReason::ReplyFromClientSide);
        }
        if !self.trusted_server(from.src.ip()) {
            return Err(DropReason::UnknownServer);
        }
        let view = RelayMessage::new_checked(pkt).map_err(|_| DropReason::Malformed)?;
        if view.msg_type() != MessageType::RelayRepl {
            return Err(DropReason::Malformed);
        }
        let mut inner: Option<&[u8]> = None;
        let mut interface_id: Option<&[u8]> = None;
        let mut port: Option<u16> = None;
        for opt in Options::new(view.options_area()) {
            let opt = opt.map_err(|_| DropReason::Malformed)?;
            match opt.code {
                OptionCode::RelayMsg if inner.is_none() => inner = Some(opt.data),
                OptionCode::InterfaceId if interface_id.is_none() => interface_id = Some(opt.data),
                OptionCode::RelayPort => match <[u8; 2]>::try_from(opt.data) {
                    Ok(p) => port = Some(u16::from_be_bytes(p)),
                    Err(_) => return Err(DropReason::Malformed),
                },
                _ => {}
            }
        }
        let inner = inner
            .filter(|m| m.len() >= 4)
            .ok_or(DropReason::Malformed)?;
        // C-101: the Interface-ID names the link; C-102: else the link-address.
        let cif = match interface_id {
            Some(id) => self.client_ifs.iter().find(|c| c.interface_id == id),
            None => {
                let link = view.link_address();
                (!link.is_unspecified())
                    .then(|| self.client_ifs.iter().find(|c| c.addresses.contains(&link)))
                    .flatten()
            }
        }
        .ok_or(DropReason::UnknownInterface)?;
        let inner_type = MessageType::from(inner.first().copied().unwrap_or(0));
        // C-103 / C-110: 546 for a client, 547 (or the RFC 8357 port) for a relay.
        let dst_port = match (port, inner_type) {
            (Some(p), _) if p != 0 => p,
            (_, MessageType::RelayRepl) => SERVER_PORT,
            _ => CLIENT_PORT,
        };
        let peer = view.peer_address();
        let scope = if peer.is_unicast_link_local() || peer.is_multicast() {
            cif.ifindex
        } else {
            0
        };
        // `inner` borrows from `pkt`; its offset is the pointer difference.
        let start = (inner.as_ptr() as usize)
            .checked_sub(pkt.as_ptr() as usize)
            .ok_or(DropReason::Malformed)?;
        Ok(Delivery {
            dst: SocketAddrV6::new(peer, dst_port, 0, scope),
            ifindex: cif.ifindex,
            payload: start..start + inner.len(),
            inner_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libdhcp6::wire::{
        decapsulate, AnyMessage, MessageRepr, OptionRepr, RelayRepr, ALL_DHCP_SERVERS,
    };

    const CLIENT_LL: &str = "fe80::200:ff:fe00:1";

    fn relay() -> Relay {
        Relay {
            client_ifs: vec![
                ClientIf {
                    name: "eth1".into(),
                    ifindex: 3,
                    interface_id: InterfaceIdFormat::Ifindex.make("eth1", 3),
                    link_address: Some("2001:db8:1::1".parse().unwrap()),
                    addresses: vec!["fe80::1".parse().unwrap(), "2001:db8:1::1".parse().unwrap()],
                    remote_id: None,
                    subscriber_id: None,
                },
                ClientIf {
                    name: "eth2".into(),
                    ifindex: 4,
                    interface_id: InterfaceIdFormat::Ifindex.make("eth2", 4),
                    link_address: None,
                    addresses: vec!["fe80::2".parse().unwrap()],
                    remote_id: Some(RemoteId {
                        enterprise: 9,
                        id: b"port-2".to_vec(),
                    }),
                    subscriber_id: Some(b"sub-2".to_vec()),
                },
            ],
            servers: vec![SocketAddrV6::new(
                "2001:db8:ffff::547".parse().unwrap(),
                547,
                0,
                0,
            )],
            servers_4o6: Vec::new(),
            upstream_port: SERVER_PORT,
            client_linklayer: false,
            separate_upstream: true,
            counters: Counters::default(),
        }
    }

    fn from(src: &str, port: u16, ifindex: u32) -> Origin {
        Origin {
            src: SocketAddrV6::new(src.parse().unwrap(), port, 0, 0),
            ifindex,
        }
    }

    fn solicit() -> Vec<u8> {
        MessageRepr {
            msg_type: MessageType::Solicit,
            transaction_id: 0x010203,
            options: vec![
                OptionRepr::ElapsedTime(0),
                OptionRepr::Unknown {
                    code: 0xbeef.into(),
                    data: vec![1, 2, 3],
                },
            ],
        }
        .to_vec()
        .unwrap()
    }

    fn forward(r: &mut Relay, pkt: &[u8], o: Origin) -> Result<RelayRepr, DropReason> {
        let mut out = vec![0u8; 65535];
        let n = r.relay_to_server(pkt, o, &mut out)?;
        match AnyMessage::from_bytes(&out[..n]).unwrap() {
            AnyMessage::Relay(r) => Ok(r),
            other => panic!("{other:?}"),
        }
    }

    /// C-086, C-087, C-088, C-089, C-111: the first relay's Relay-forward, field by field.
    #[test]
    fn c086_c087_c088_c089_first_hop_relay_forward() {
        let mut r = relay();
        let pkt = solicit();
        let mut out = vec![0u8; 1500];
        let n = r
            .relay_to_server(&pkt, from(CLIENT_LL, 546, 3), &mut out)
            .unwrap();
        #[rustfmt::skip]
        let mut expected: Vec<u8> = vec![
            12,                                             // msg-type: RELAY-FORW
            0,                                              // hop-count 0
            0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // link-address 2001:db8:1::1
            0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0xff, 0xfe, 0, 0, 1, // peer-address
            0, 9, 0, u8::try_from(pkt.len()).unwrap(),                     // OPTION_RELAY_MSG
        ];
        expected.extend_from_slice(&pkt); //   the Solicit, byte for byte
        #[rustfmt::skip]
        expected.extend_from_slice(&[
            0, 18, 0, 4,                                    // OPTION_INTERFACE_ID, length 4
            0, 0, 0, 3,                                     //   ifindex 3 (WIDE's format)
        ]);
        assert_eq!(&out[..n], &expected[..]);
        assert_eq!(r.counters.forwarded, 1);
    }

    /// C-097, C-098: unknown types and DHCPV4-QUERY are relayed like a Solicit.
    #[test]
    fn c097_c098_unknown_and_4o6_relayed() {
        let mut r = relay();
        for t in [200u8, 20, 1, 3, 4, 5, 6, 8, 9, 11] {
            let pkt = [t, 0, 0, 1, 0, 8, 0, 2, 0, 0];
            let f = forward(&mut r, &pkt, from(CLIENT_LL, 546, 3)).unwrap();
            assert_eq!(f.hop_count, 0);
            assert_eq!(f.relay_msg(), Some(&pkt[..]));
        }
    }

    /// C-098 with `-4` (RFC 7341 §10): a DHCPV4-QUERY, bare or innermost
    /// in a downstream relay's Relay-forward, goes to the 4o6 servers and
    /// nothing else does; Relay-replies from them are accepted. Without
    /// `-4` every message goes to `-s`.
    #[test]
    fn c098_dhcpv4_query_to_the_4o6_servers() {
        let mut r = relay();
        let query = [20u8, 0, 0, 0, 0, 87, 0, 0];
        let relayed = |inner: &[u8]| {
            RelayRepr {
                msg_type: MessageType::RelayForw,
                hop_count: 0,
                link_address: Ipv6Addr::UNSPECIFIED,
                peer_address: CLIENT_LL.parse().unwrap(),
                options: vec![OptionRepr::RelayMsg(inner.to_vec())],
            }
            .to_vec()
            .unwrap()
        };
        let nested_query = relayed(&relayed(&query));
        let nested_solicit = relayed(&solicit());
        assert_eq!(r.destinations(&query), &r.servers[..]);
        let v4 = SocketAddrV6::new("2001:db8:4::67".parse().unwrap(), 547, 0, 0);
        r.servers_4o6 = vec![v4];
        for pkt in [&query[..], &nested_query] {
            assert_eq!(r.destinations(pkt), &[v4][..]);
        }
        for pkt in [&solicit()[..], &nested_solicit, &[]] {
            assert_eq!(r.destinations(pkt), &r.servers[..], "{pkt:?}");
        }
        // A Relay-forward whose chain cannot be unwrapped: the ordinary way.
        let mut broken = nested_query.clone();
        broken.truncate(40);
        assert_eq!(r.destinations(&broken), &r.servers[..]);
        let reply = reply_for(advertise(), Some(vec![0, 0, 0, 3]), "::", None);
        assert!(r
            .relay_to_client(&reply, from("2001:db8:4::67", 547, 2))
            .is_ok());
        assert_eq!(
            r.relay_to_client(&reply, from("2001:db8::bad", 547, 2)),
            Err(DropReason::UnknownServer)
        );
    }

    /// C-099: bare Advertise, Reply, Reconfigure are dropped and counted.
    #[test]
    fn c099_bare_server_messages_dropped() {
        let mut r = relay();
        for t in [2u8, 7, 10, 21] {
            assert_eq!(
                r.relay_to_server(&[t, 0, 0, 1], from(CLIENT_LL, 547, 3), &mut [0; 100]),
                Err(DropReason::ServerMessageFromClientSide)
            );
        }
        assert_eq!(
            r.counters.dropped(DropReason::ServerMessageFromClientSide),
            4
        );
    }

    fn nested(hop: u8) -> Vec<u8> {
        RelayRepr {
            msg_type: MessageType::RelayForw,
            hop_count: hop,
            link_address: "2001:db8:77::1".parse().unwrap(),
            peer_address: CLIENT_LL.parse().unwrap(),
            options: vec![OptionRepr::RelayMsg(solicit())],
        }
        .to_vec()
        .unwrap()
    }

    /// C-091, C-092: hop-count 7 goes on as 8; 8 is dropped.
    /// Per-interface counters follow the interfaces: lined up at start,
    /// counted per direction, kept by name across a refresh.
    #[test]
    fn counters_per_interface_and_direction() {
        let mut r = relay();
        r.set_client_ifs(r.client_ifs.clone());
        forward(&mut r, &solicit(), from(CLIENT_LL, 546, 4)).unwrap();
        forward(&mut r, &solicit(), from(CLIENT_LL, 546, 4)).unwrap();
        forward(&mut r, &solicit(), from(CLIENT_LL, 546, 3)).unwrap();
        assert!(forward(&mut r, &solicit(), from(CLIENT_LL, 546, 9)).is_err());
        let pkt = reply_for(advertise(), Some(vec![0, 0, 0, 4]), "::", None);
        r.relay_to_client(&pkt, from(SERVER, 547, 2)).unwrap();
        let got = |r: &Relay| -> Vec<(String, u64, u64)> {
            r.counters
                .interfaces
                .iter()
                .map(|i| (i.name.clone(), i.to_server, i.to_client))
                .collect()
        };
        assert_eq!(got(&r), [("eth1".into(), 1, 0), ("eth2".into(), 2, 1)]);
        // eth1 goes away; eth2 stays, its counters too.
        let eth2 = r.client_ifs[1].clone();
        r.set_client_ifs(vec![eth2]);
        assert_eq!(got(&r), [("eth2".into(), 2, 1)]);
        assert_eq!(r.counters.forwarded, 3);
        assert_eq!(r.counters.dropped(DropReason::NotClientInterface), 1);
    }

    #[test]
    fn c091_c092_hop_count() {
        let mut r = relay();
        let f = forward(&mut r, &nested(7), from("fe80::99", 547, 3)).unwrap();
        assert_eq!(f.hop_count, 8);
        assert_eq!(f.relay_msg(), Some(&nested(7)[..]));
        assert_eq!(
            forward(&mut r, &nested(8), from("fe80::99", 547, 3)),
            Err(DropReason::HopLimit)
        );
        assert_eq!(
            forward(&mut r, &nested(255), from("fe80::99", 547, 3)),
            Err(DropReason::HopLimit)
        );
        assert_eq!(r.counters.dropped(DropReason::HopLimit), 2);
    }

    /// C-093, C-094: link-address :: for a global source, ours for a link-local one.
    #[test]
    fn c093_c094_link_address_of_relayed_relay_forward() {
        let mut r = relay();
        let f = forward(&mut r, &nested(0), from("2001:db8:77::1", 547, 3)).unwrap();
        assert!(f.link_address.is_unspecified());
        let f = forward(&mut r, &nested(0), from("fe80::99", 547, 3)).unwrap();
        assert_eq!(f.link_address, "2001:db8:1::1".parse::<Ipv6Addr>().unwrap());
        // No global address on eth2: link-address :: and the Interface-ID carries the link.
        let f = forward(&mut r, &nested(0), from("fe80::99", 547, 4)).unwrap();
        assert!(f.link_address.is_unspecified());
        assert!(f
            .options
            .contains(&OptionRepr::InterfaceId(vec![0, 0, 0, 4])));
    }

    /// C-106, C-107: Remote-ID and Subscriber-ID for clients on eth2, not for relays.
    #[test]
    fn c106_c107_remote_and_subscriber_id() {
        let mut r = relay();
        let f = forward(&mut r, &solicit(), from(CLIENT_LL, 546, 4)).unwrap();
        assert!(f.options.contains(&OptionRepr::RemoteId {
            enterprise: 9,
            id: b"port-2".to_vec()
        }));
        assert!(f
            .options
            .contains(&OptionRepr::SubscriberId(b"sub-2".to_vec())));
        let f = forward(&mut r, &nested(0), from("fe80::99", 547, 4)).unwrap();
        assert!(!f
            .options
            .iter()
            .any(|o| matches!(o, OptionRepr::RemoteId { .. })));
    }

    /// C-105: option 79 with hardware type 1 and the MAC, only for client messages.
    #[test]
    fn c105_client_linklayer_address() {
        let mut r = relay();
        r.client_linklayer = true;
        let f = forward(
            &mut r,
            &solicit(),
            from("fe80::a8bb:ccff:fedd:eeff", 546, 3),
        )
        .unwrap();
        assert!(f.options.contains(&OptionRepr::ClientLinklayerAddr {
            hw_type: 1,
            addr: vec![0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]
        }));
        let f = forward(
            &mut r,
            &nested(0),
            from("fe80::a8bb:ccff:fedd:eeff", 547, 3),
        )
        .unwrap();
        assert!(!f
            .options
            .iter()
            .any(|o| matches!(o, OptionRepr::ClientLinklayerAddr { .. })));
    }

    /// C-108, C-109: Relay Source Port 0 for our own port, p for a downstream relay's.
    #[test]
    fn c108_c109_relay_source_port() {
        let mut r = relay();
        r.upstream_port = 10547;
        let f = forward(&mut r, &solicit(), from(CLIENT_LL, 546, 3)).unwrap();
        assert!(f.options.contains(&OptionRepr::RelayPort(0)));
        let mut r = relay();
        let f = forward(&mut r, &nested(0), from("fe80::99", 2000, 3)).unwrap();
        assert!(f.options.contains(&OptionRepr::RelayPort(2000)));
        let f = forward(&mut r, &nested(0), from("fe80::99", 547, 3)).unwrap();
        assert!(!f
            .options
            .iter()
            .any(|o| matches!(o, OptionRepr::RelayPort(_))));
    }

    #[test]
    fn not_a_client_interface() {
        let mut r = relay();
        assert_eq!(
            r.relay_to_server(&solicit(), from(CLIENT_LL, 546, 9), &mut [0; 1500]),
            Err(DropReason::NotClientInterface)
        );
        assert_eq!(
            r.relay_to_server(&[1, 0], from(CLIENT_LL, 546, 3), &mut [0; 1500]),
            Err(DropReason::Malformed)
        );
    }

    fn reply_for(inner: Vec<u8>, ifid: Option<Vec<u8>>, link: &str, port: Option<u16>) -> Vec<u8> {
        let mut options = vec![];
        if let Some(id) = ifid {
            options.push(OptionRepr::InterfaceId(id));
        }
        if let Some(p) = port {
            options.push(OptionRepr::RelayPort(p));
        }
        options.push(OptionRepr::RelayMsg(inner));
        RelayRepr {
            msg_type: MessageType::RelayRepl,
            hop_count: 0,
            link_address: link.parse().unwrap(),
            peer_address: CLIENT_LL.parse().unwrap(),
            options,
        }
        .to_vec()
        .unwrap()
    }

    fn advertise() -> Vec<u8> {
        vec![2, 1, 2, 3, 0, 7, 0, 1, 0]
    }

    const SERVER: &str = "2001:db8:ffff::547";

    /// C-100, C-101, C-103, C-104: the inner message, unmodified, to the
    /// peer on the Interface-ID's link, port 546; any inner type.
    #[test]
    fn c100_c101_c103_c104_relay_reply_by_interface_id() {
        let mut r = relay();
        for inner in [
            advertise(),
            vec![7, 1, 2, 3],
            vec![200, 0, 0, 0, 1],
            vec![21, 0, 0, 0],
        ] {
            let pkt = reply_for(inner.clone(), Some(vec![0, 0, 0, 4]), "::", None);
            let d = r.relay_to_client(&pkt, from(SERVER, 547, 2)).unwrap();
            assert_eq!(&pkt[d.payload.clone()], &inner[..]);
            assert_eq!(d.ifindex, 4);
            assert_eq!(
                d.dst,
                SocketAddrV6::new(CLIENT_LL.parse().unwrap(), 546, 0, 4)
            );
        }
    }

    /// C-102: without Interface-ID the link-address picks the link.
    #[test]
    fn c102_relay_reply_by_link_address() {
        let mut r = relay();
        let pkt = reply_for(advertise(), None, "2001:db8:1::1", None);
        assert_eq!(
            r.relay_to_client(&pkt, from(SERVER, 547, 2))
                .unwrap()
                .ifindex,
            3
        );
    }

    /// C-103, C-110: an inner Relay-reply goes to 547, or to the RFC 8357 port.
    #[test]
    fn c103_c110_ports_for_downstream_relays() {
        let mut r = relay();
        let inner = reply_for(advertise(), None, "::", None);
        let pkt = reply_for(inner.clone(), Some(vec![0, 0, 0, 3]), "::", None);
        assert_eq!(
            r.relay_to_client(&pkt, from(SERVER, 547, 2))
                .unwrap()
                .dst
                .port(),
            547
        );
        let pkt = reply_for(inner, Some(vec![0, 0, 0, 3]), "::", Some(2000));
        assert_eq!(
            r.relay_to_client(&pkt, from(SERVER, 547, 2))
                .unwrap()
                .dst
                .port(),
            2000
        );
        let pkt = reply_for(advertise(), Some(vec![0, 0, 0, 3]), "::", Some(0));
        assert_eq!(
            r.relay_to_client(&pkt, from(SERVER, 547, 2))
                .unwrap()
                .dst
                .port(),
            546
        );
    }

    /// WIDE's injection hole closed: unknown server, unknown interface,
    /// client side, malformed — each dropped and counted.
    #[test]
    fn relay_reply_safety() {
        let mut r = relay();
        let good = reply_for(advertise(), Some(vec![0, 0, 0, 3]), "::", None);
        assert_eq!(
            r.relay_to_client(&good, from("2001:db8::bad", 547, 2)),
            Err(DropReason::UnknownServer)
        );
        assert_eq!(
            r.relay_to_client(&good, from(SERVER, 547, 3)),
            Err(DropReason::ReplyFromClientSide)
        );
        let unknown = reply_for(advertise(), Some(vec![0, 0, 0, 2]), "::", None);
        assert_eq!(
            r.relay_to_client(&unknown, from(SERVER, 547, 2)),
            Err(DropReason::UnknownInterface)
        );
        let nolink = reply_for(advertise(), None, "2001:db8:9::1", None);
        assert_eq!(
            r.relay_to_client(&nolink, from(SERVER, 547, 2)),
            Err(DropReason::UnknownInterface)
        );
        assert_eq!(
            r.relay_to_client(&good[..40], from(SERVER, 547, 2)),
            Err(DropReason::Malformed)
        );
        let short = reply_for(vec![2, 0], Some(vec![0, 0, 0, 3]), "::", None);
        assert_eq!(
            r.relay_to_client(&short, from(SERVER, 547, 2)),
            Err(DropReason::Malformed)
        );
        assert_eq!(r.counters.dropped(DropReason::UnknownServer), 1);
        assert_eq!(r.counters.dropped(DropReason::UnknownInterface), 2);
        // A multicast server address means any source may answer.
        r.servers = vec![SocketAddrV6::new(ALL_DHCP_SERVERS, 547, 0, 0)];
        assert!(r
            .relay_to_client(&good, from("2001:db8::bad", 547, 2))
            .is_ok());
    }

    /// A Relay-forward built here decapsulates to the same client message
    /// and peer, as a server would see it.
    #[test]
    fn server_view_of_our_relay_forward() {
        let mut r = relay();
        let mut out = vec![0u8; 1500];
        let n = r
            .relay_to_server(&solicit(), from(CLIENT_LL, 546, 3), &mut out)
            .unwrap();
        let (chain, inner) = decapsulate(&out[..n]).unwrap();
        assert_eq!(inner, &solicit()[..]);
        assert_eq!(chain.len(), 1);
        assert_eq!(chain.levels()[0].interface_id, Some(&[0, 0, 0, 3][..]));
    }

    #[test]
    fn eui64_mac() {
        assert_eq!(
            mac_from_link_local(&"fe80::a8bb:ccff:fedd:eeff".parse().unwrap()),
            Some([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])
        );
        assert_eq!(mac_from_link_local(&"fe80::1".parse().unwrap()), None);
        assert_eq!(
            mac_from_link_local(&"2001:db8::a8bb:ccff:fedd:eeff".parse().unwrap()),
            None
        );
    }
}
