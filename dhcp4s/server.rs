//! The pure core of dhcp4s: one IPC datagram in, the engine's decision,
//! the framed DHCPV4-RESPONSE out. Named after ISC DHCP's DHCPv4 side of
//! DHCPv4-over-DHCPv6 (`dhcpd -4 -4o6`): `dhcpv4o6_handler` checks where a
//! datagram came from, `recv_dhcpv4_query` unframes and checks the query
//! and asks the engine, `send_dhcpv4_response` frames the answer. No socket, file or clock here: the caller passes `now` and
//! sends the bytes.

use std::collections::HashMap;
use std::net::{Ipv6Addr, SocketAddrV6};

use libdhcp6::codes::{MessageType as V6Type, OptionCode};
use libdhcp6::config::server4::Where4o6;
use libdhcp6::config::Server4Config;
use libdhcp6::dhcp4::engine::{Change4, Claims4, ClientKey, Engine, Query};
use libdhcp6::dhcp4::{ipc, MessageType, Op, PacketRepr};
use libdhcp6::wire::{decapsulate, Message, Options, RelayChain, Writer, DHCPV4_QUERY_UNICAST};

/// Why an IPC datagram got no answer (counted, logged at INFO).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// From anywhere but the DHCPv6 side's `[::1]:P`.
    NotFromPeer,
    /// IPC metadata missing, repeated or malformed.
    BadMetadata,
    /// The DHCPv6 message (relay levels included) does not parse.
    Malformed,
    /// Not a DHCPV4-QUERY (inside any Relay-forwards).
    NotQuery,
    /// No DHCPv4-msg option, or more than one (RFC 7341 §6).
    Dhcpv4MsgCount,
    /// The DHCPv4-msg option does not hold a DHCPv4 message (bad header,
    /// cookie, `hlen`, options running past their area, no message type).
    BadDhcpv4,
    /// A BOOTREPLY inside a query.
    BootReply,
    /// No subnet's 4o6 selectors match the query.
    NoSubnet,
    /// The engine had nothing to say (RELEASE, DECLINE, a REQUEST for
    /// another server, an exhausted pool, ...).
    Unanswered,
    /// The answer would not fit a datagram.
    TooLong,
}

impl Dropped {
    /// Every reason, in counter order.
    pub const ALL: [Dropped; 10] = [
        Self::NotFromPeer,
        Self::BadMetadata,
        Self::Malformed,
        Self::NotQuery,
        Self::Dhcpv4MsgCount,
        Self::BadDhcpv4,
        Self::BootReply,
        Self::NoSubnet,
        Self::Unanswered,
        Self::TooLong,
    ];

    /// Short name for logs and counters.
    pub fn name(self) -> &'static str {
        match self {
            Self::NotFromPeer => "IPC datagram not from the DHCPv6 server",
            Self::BadMetadata => "bad IPC metadata",
            Self::Malformed => "malformed DHCPv6 message",
            Self::NotQuery => "not a DHCPv4-query",
            Self::Dhcpv4MsgCount => "not exactly one DHCPv4-msg",
            Self::BadDhcpv4 => "malformed DHCPv4 message",
            Self::BootReply => "BOOTREPLY in a query",
            Self::NoSubnet => "no subnet selected",
            Self::Unanswered => "no answer",
            Self::TooLong => "answer too long",
        }
    }
}

/// What SIGUSR1 logs.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// Queries received, by DHCPv4 message type (index: the type's value).
    pub received: [u64; 19],
    /// Answers sent, by DHCPv4 message type.
    pub sent: [u64; 19],
    /// Drops, by [`Dropped`].
    pub dropped: [u64; Dropped::ALL.len()],
}

impl Counters {
    /// Counts a drop.
    pub fn drop(&mut self, why: Dropped) {
        if let Some(c) = self.dropped.get_mut(why as usize) {
            *c += 1;
        }
    }

    /// Drops counted for `why`.
    pub fn dropped(&self, why: Dropped) -> u64 {
        self.dropped.get(why as usize).copied().unwrap_or(0)
    }

    fn count(list: &mut [u64; 19], t: MessageType) {
        if let Some(c) = list.get_mut(usize::from(u8::from(t))) {
            *c += 1;
        }
    }
}

/// The running DHCPv4 side: configuration, engine and counters.
#[derive(Debug)]
pub struct Server4 {
    /// The configuration served.
    pub cfg: Server4Config,
    /// The RFC 2131 engine, holding the leases.
    pub engine: Engine,
    /// `[::1]:P`, the DHCPv6 side: the only source listened to and where
    /// answers go.
    pub peer: SocketAddrV6,
    /// What happened to queries.
    pub counters: Counters,
    /// The lease changes of the turn so far, answered queries or not: the
    /// loop makes them durable before any of the turn's answers leaves.
    pub pending: Vec<Change4>,
    /// With a lease database: the `chaddr` of each client of the turn's
    /// leases that is known by its client identifier (Kea's `lease4`
    /// keeps both).
    pub chaddrs: HashMap<ClientKey, Vec<u8>>,
}

/// One answered query: the framed DHCPV4-RESPONSE is in the output buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// Octets written.
    pub len: usize,
    /// The DHCPv4 answer's type.
    pub kind: MessageType,
}

/// The DHCPv4-msg option of a DHCPV4-QUERY's options area: exactly one.
fn only_dhcpv4_msg(area: &[u8]) -> Result<&[u8], Dropped> {
    let mut found = None;
    for o in Options::new(area) {
        let o = o.map_err(|_| Dropped::Malformed)?;
        if o.code == OptionCode::Dhcpv4Msg && found.replace(o.data).is_some() {
            return Err(Dropped::Dhcpv4MsgCount);
        }
    }
    found.ok_or(Dropped::Dhcpv4MsgCount)
}

/// Where the query came from, for the 4o6 selectors (C-167): the metadata,
/// the relays' link-address and the Interface-ID of the relay nearest the
/// client (Kea's `RELAY_GET_FIRST`).
fn where_from<'a>(meta: &'a ipc::Meta, chain: &RelayChain<'a>) -> Where4o6<'a> {
    Where4o6 {
        interface: &meta.interface,
        remote: meta.remote_addr,
        relay_link: chain.link_address(),
        interface_id: chain.innermost().and_then(|l| l.interface_id),
    }
}

impl Server4 {
    /// A server for `cfg`, with no leases.
    pub fn new(cfg: Server4Config) -> Result<Self, String> {
        let engine = Engine::new(cfg.engine.clone()).map_err(|e| e.to_string())?;
        let ports = ipc::ports(cfg.dhcp4o6_port, ipc::Side::V4)
            .ok_or_else(|| format!("dhcp4o6-port {}: no port above it", cfg.dhcp4o6_port))?;
        Ok(Self {
            cfg,
            engine,
            peer: SocketAddrV6::new(Ipv6Addr::LOCALHOST, ports.remote, 0, 0),
            counters: Counters::default(),
            pending: Vec::new(),
            chaddrs: HashMap::new(),
        })
    }

    /// The port dhcp4s binds on `[::1]`: `P+1`.
    pub fn local_port(&self) -> u16 {
        self.peer.port().saturating_add(1)
    }

    /// Handles one IPC datagram from `src`, writing the framed answer to
    /// `out`; everything refused is counted; `store` may refuse an
    /// address (a shared lease database). Mirrors ISC DHCP's
    /// dhcpv4o6_handler on the DHCPv4 side.
    pub fn dhcpv4o6_handler(
        &mut self,
        datagram: &[u8],
        src: SocketAddrV6,
        now: u64,
        out: &mut [u8],
        store: &mut dyn Claims4,
    ) -> Result<Answered, Dropped> {
        let r = if src.ip() != self.peer.ip() || src.port() != self.peer.port() {
            Err(Dropped::NotFromPeer)
        } else {
            self.recv_dhcpv4_query(datagram, now, out, store)
        };
        match &r {
            Ok(a) => Counters::count(&mut self.counters.sent, a.kind),
            Err(why) => self.counters.drop(*why),
        }
        r
    }

    /// Unframes and checks a DHCPV4-QUERY, chooses its subnet and lets the
    /// engine answer it. Mirrors ISC DHCP's recv_dhcpv4_query.
    fn recv_dhcpv4_query(
        &mut self,
        datagram: &[u8],
        now: u64,
        out: &mut [u8],
        store: &mut dyn Claims4,
    ) -> Result<Answered, Dropped> {
        let (msg, meta) = ipc::extract_to_vec(datagram).map_err(|e| match e {
            ipc::Error::Wire(_) => Dropped::Malformed,
            _ => Dropped::BadMetadata,
        })?;
        if meta.remote_addr.is_loopback() {
            return Err(Dropped::BadMetadata);
        }
        let (chain, inner) = decapsulate(&msg).map_err(|_| Dropped::Malformed)?;
        let (v4, unicast) = query_of(inner)?;
        let kind = v4.message_type().ok_or(Dropped::BadDhcpv4)?;
        Counters::count(&mut self.counters.received, kind);
        let subnet = self
            .cfg
            .select_subnet4o6(&where_from(&meta, &chain))
            .ok_or(Dropped::NoSubnet)?;
        let q = Query {
            msg: &v4,
            unicast,
            subnet,
            now,
        };
        let outcome = self.engine.server4_react(q, store);
        if self.cfg.lease_database.is_some() {
            for c in &outcome.changes {
                if let Change4::Bind(l) = c {
                    if matches!(l.client, ClientKey::Id(_)) {
                        self.chaddrs.insert(l.client.clone(), v4.hw_addr().to_vec());
                    }
                }
            }
        }
        // A RELEASE or DECLINE changes leases without an answer, and
        // expiries found on the way go to the journal too.
        self.pending.extend(outcome.changes);
        let answer = outcome.answer.ok_or(Dropped::Unanswered)?;
        let kind = answer.message_type().unwrap_or(MessageType::Ack);
        let len = send_dhcpv4_response(&answer, &chain, &meta, msg.len(), out)?;
        Ok(Answered { len, kind })
    }
}

/// The DHCPv4 query inside a DHCPV4-QUERY (relay levels removed) and its
/// U flag.
fn query_of(inner: &[u8]) -> Result<(PacketRepr, bool), Dropped> {
    let m = Message::new_checked(inner).map_err(|_| Dropped::Malformed)?;
    if m.msg_type() != V6Type::Dhcpv4Query {
        return Err(Dropped::NotQuery);
    }
    let unicast = m.transaction_id() & DHCPV4_QUERY_UNICAST != 0;
    let body = only_dhcpv4_msg(m.options_area())?;
    let v4 = PacketRepr::from_bytes(body).map_err(|_| Dropped::BadDhcpv4)?;
    if v4.op != Op::BootRequest {
        return Err(Dropped::BootReply);
    }
    Ok((v4, unicast))
}

/// The client an IPC datagram speaks for, if it holds a well-formed
/// query: what a shared lease store re-reads before the batch is answered.
pub fn client_of(datagram: &[u8]) -> Option<ClientKey> {
    let (msg, _) = ipc::extract_to_vec(datagram).ok()?;
    let (_, inner) = decapsulate(&msg).ok()?;
    ClientKey::of(&query_of(inner).ok()?.0)
}

/// Frames `answer` as a DHCPV4-RESPONSE (flags zero, one DHCPv4-msg,
/// RFC 7341 §6.2) in Relay-replies along `chain`, with the query's IPC
/// metadata so the DHCPv6 side knows where it goes. `query_len` (the
/// query's length) bounds what the Relay-replies echo. Returns the length
/// written to `out`. Mirrors ISC DHCP's send_dhcpv4_response.
pub fn send_dhcpv4_response(
    answer: &PacketRepr,
    chain: &RelayChain<'_>,
    meta: &ipc::Meta,
    query_len: usize,
    out: &mut [u8],
) -> Result<usize, Dropped> {
    let v4 = answer.to_vec().map_err(|_| Dropped::TooLong)?;
    let mut resp = Vec::with_capacity(v4.len() + 8);
    resp.extend_from_slice(&[u8::from(V6Type::Dhcpv4Response), 0, 0, 0]);
    let n = u16::try_from(v4.len()).map_err(|_| Dropped::TooLong)?;
    resp.extend_from_slice(&u16::from(OptionCode::Dhcpv4Msg).to_be_bytes());
    resp.extend_from_slice(&n.to_be_bytes());
    resp.extend_from_slice(&v4);
    // Each level adds its header and options echoed from the query.
    let mut relayed = vec![0; resp.len() + query_len + chain.len() * 64 + 64];
    let mut w = Writer::new(&mut relayed);
    libdhcp6::wire::encapsulate_reply(chain, &resp, &mut w).map_err(|_| Dropped::TooLong)?;
    let len = w.len();
    let framed = relayed.get(..len).ok_or(Dropped::TooLong)?;
    let mut w = Writer::new(out);
    ipc::attach(framed, meta, &mut w).map_err(|_| Dropped::TooLong)?;
    Ok(w.len())
}
