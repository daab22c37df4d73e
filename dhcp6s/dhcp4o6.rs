//! DHCPv4-over-DHCPv6, the DHCPv6 side (RFC 7341 §11; checklist C-164 …
//! C-166). With `dhcp4o6-port P` configured, dhcp6s passes every
//! DHCPV4-QUERY it receives, directly or inside Relay-forwards, to a
//! DHCPv4 server over Kea's IPC on the loopback (`[::1]:P` here,
//! `[::1]:P+1` there; `libdhcp6::dhcp4::ipc`), and sends the
//! DHCPV4-RESPONSE that comes back to the client or along its relays.
//!
//! Nothing is kept per query: what the way back needs (receiving
//! interface, the query's source address and port) travels with the
//! datagram in Kea's ISC vendor sub-options, which a client cannot forge
//! ([`ipc::attach`] removes any a client put in its query before adding
//! ours). The names follow the seed's DHCPv6 side (ISC DHCP's
//! server/dhcpv6.c): `forw_dhcpv4_query` out, `dhcpv4o6_handler` and
//! `send_dhcpv4_response` back.
//!
//! The cores are pure (bytes in, bytes and a destination out); the thin
//! shell at the end reads the IPC socket. Uses only the leaves `answer`
//! and `scope`.

use std::net::{Ipv6Addr, SocketAddrV6};
use std::ops::Range;

use libdhcp6::codes::{MessageType, OptionCode};
use libdhcp6::dhcp4::{ipc, Op, PacketRepr};
use libdhcp6::sys::net::Udp6Socket;
use libdhcp6::wire::{
    Message, Options, RelayMessage, Writer, CLIENT_PORT, MAX_RELAY_DEPTH, SERVER_PORT,
};
use libdhcp6::{log_debug, log_err, log_info};

use crate::answer::{Incoming, Outgoing};
use crate::scope::Served;

/// Why a DHCPV4-QUERY was not forwarded, or an IPC datagram not sent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A query without a DHCPv4-msg option (C-164).
    NoDhcpv4Msg,
    /// A query or response with more than one DHCPv4-msg option (RFC 7341
    /// §6: exactly one).
    RepeatedDhcpv4Msg,
    /// The DHCPv4-msg option does not hold a DHCPv4 request (does not
    /// decode, a BOOTREPLY, no DHCP message type).
    BadDhcpv4Msg,
    /// The query does not parse, or would not fit the IPC with our metadata.
    MalformedQuery,
    /// An IPC datagram from anywhere but the DHCPv4 side's `[::1]:P+1`.
    NotFromPeer,
    /// An IPC datagram whose metadata is missing, repeated or malformed.
    BadMetadata,
    /// The metadata names an interface we do not serve.
    NotServedInterface,
    /// The IPC datagram is not a DHCPV4-RESPONSE (in Relay-replies).
    NotResponse,
    /// The response does not parse.
    MalformedResponse,
}

impl Refused {
    /// Every reason, in counter order.
    pub const ALL: [Refused; 9] = [
        Self::NoDhcpv4Msg,
        Self::RepeatedDhcpv4Msg,
        Self::BadDhcpv4Msg,
        Self::MalformedQuery,
        Self::NotFromPeer,
        Self::BadMetadata,
        Self::NotServedInterface,
        Self::NotResponse,
        Self::MalformedResponse,
    ];

    /// Short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::NoDhcpv4Msg => "query without DHCPv4-msg",
            Self::RepeatedDhcpv4Msg => "more than one DHCPv4-msg",
            Self::BadDhcpv4Msg => "DHCPv4-msg not a DHCPv4 request",
            Self::MalformedQuery => "malformed query",
            Self::NotFromPeer => "IPC datagram not from the DHCPv4 server",
            Self::BadMetadata => "bad IPC metadata",
            Self::NotServedInterface => "IPC metadata names an interface not served",
            Self::NotResponse => "IPC datagram not a DHCPv4-response",
            Self::MalformedResponse => "malformed response",
        }
    }

    /// The `reason` label of the statistics (doc/statistics.md).
    pub fn label(self) -> &'static str {
        match self {
            Self::NoDhcpv4Msg => "no_dhcpv4_msg",
            Self::RepeatedDhcpv4Msg => "repeated_dhcpv4_msg",
            Self::BadDhcpv4Msg => "bad_dhcpv4_msg",
            Self::MalformedQuery => "malformed_query",
            Self::NotFromPeer => "not_from_peer",
            Self::BadMetadata => "bad_metadata",
            Self::NotServedInterface => "not_served_interface",
            Self::NotResponse => "not_response",
            Self::MalformedResponse => "malformed_response",
        }
    }
}

/// DHCPv4-over-DHCPv6 counters SIGUSR1 logs.
#[derive(Debug, Clone, Default)]
pub struct Counters4o6 {
    /// Queries passed to the DHCPv4 server.
    pub forwarded: u64,
    /// Responses sent on to clients or relays.
    pub answered: u64,
    /// Drops, by [`Refused`].
    pub dropped: [u64; Refused::ALL.len()],
}

impl Counters4o6 {
    /// Counts a drop.
    pub fn drop(&mut self, why: Refused) {
        if let Some(c) = self.dropped.get_mut(why as usize) {
            *c += 1;
        }
    }

    /// Drops counted for `why`.
    pub fn dropped(&self, why: Refused) -> u64 {
        self.dropped.get(why as usize).copied().unwrap_or(0)
    }
}

/// The DHCPv6 side's end of the IPC: where queries go, the only source
/// responses are taken from, and the counters.
#[derive(Debug, Clone)]
pub struct Forwarder {
    /// `P`: the port this side binds on `[::1]`.
    pub local: u16,
    /// `[::1]:P+1`, the DHCPv4 server.
    pub peer: SocketAddrV6,
    /// What happened to queries and responses.
    pub counters: Counters4o6,
}

impl Forwarder {
    /// The forwarder for `dhcp4o6-port P`; `None` when `P` has no partner
    /// port (0 or 65535).
    pub fn new(dhcp4o6_port: u16) -> Option<Self> {
        let ipc::Ports { local, remote } = ipc::ports(dhcp4o6_port, ipc::Side::V6)?;
        Some(Self {
            local,
            peer: SocketAddrV6::new(Ipv6Addr::LOCALHOST, remote, 0, 0),
            counters: Counters4o6::default(),
        })
    }
}

/// The DHCPv4-msg options of a 4o6 message's options area: `Ok(body)` when
/// there is exactly one.
fn only_dhcpv4_msg(area: &[u8], malformed: Refused) -> Result<&[u8], Refused> {
    let mut found = None;
    for o in Options::new(area) {
        let o = o.map_err(|_| malformed)?;
        if o.code == OptionCode::Dhcpv4Msg && found.replace(o.data).is_some() {
            return Err(Refused::RepeatedDhcpv4Msg);
        }
    }
    found.ok_or(Refused::NoDhcpv4Msg)
}

/// Checks the client message of a DHCPV4-QUERY: exactly one DHCPv4-msg
/// option (C-164), holding a DHCP request a DHCPv4 server can act on. The
/// DHCPv4 server checks it again; refusing garbage here keeps it off the
/// IPC.
pub fn check_query(inner: &[u8]) -> Result<(), Refused> {
    let m = Message::new_checked(inner).map_err(|_| Refused::MalformedQuery)?;
    let body = only_dhcpv4_msg(m.options_area(), Refused::MalformedQuery)?;
    let v4 = PacketRepr::from_bytes(body).map_err(|_| Refused::BadDhcpv4Msg)?;
    if v4.op != Op::BootRequest || v4.message_type().is_none() {
        return Err(Refused::BadDhcpv4Msg);
    }
    Ok(())
}

/// Frames the DHCPV4-QUERY `inc.pkt` (its client message `inner`, already
/// unwrapped from any Relay-forwards) for the DHCPv4 server into `out`:
/// the whole datagram with relay levels, client-supplied ISC sub-options
/// 60000-60002 removed and ours (receiving interface, source address and
/// port) added. Returns the length. Mirrors dhcpv6.c:forw_dhcpv4_query.
pub fn forw_dhcpv4_query(
    inc: &Incoming<'_>,
    inner: &[u8],
    served: &[Served],
    out: &mut [u8],
) -> Result<usize, Refused> {
    check_query(inner)?;
    let iface = served
        .iter()
        .find(|s| s.ifindex == inc.ifindex)
        .ok_or(Refused::NotServedInterface)?;
    let meta = ipc::Meta {
        interface: iface.name.clone(),
        remote_addr: *inc.src.ip(),
        remote_port: inc.src.port(),
    };
    let mut w = Writer::new(out);
    ipc::attach(inc.pkt, &meta, &mut w).map_err(|_| Refused::MalformedQuery)?;
    Ok(w.len())
}

/// Where the client message of a response sits, and what the way back
/// needs to know of its relay levels.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    /// The DHCPV4-RESPONSE inside the datagram.
    inner: Range<usize>,
    /// Relay-reply levels around it.
    levels: usize,
    /// The outermost Relay-reply echoes a Relay Source Port option
    /// (RFC 8357): the relay listens on the port it sent from.
    relay_port: bool,
}

/// Walks a response's Relay-reply levels down to the DHCPV4-RESPONSE,
/// which must hold exactly one DHCPv4-msg option (C-165).
fn response_shape(msg: &[u8]) -> Result<Shape, Refused> {
    let bad = Refused::MalformedResponse;
    let (mut inner, mut levels, mut relay_port) = (0..msg.len(), 0, false);
    loop {
        let here = msg.get(inner.clone()).ok_or(bad)?;
        match here.first().map(|&t| MessageType::from(t)) {
            Some(MessageType::RelayRepl) => {
                if levels >= MAX_RELAY_DEPTH {
                    return Err(bad);
                }
                let view = RelayMessage::new_checked(here).map_err(|_| bad)?;
                let mut at = here.len() - view.options_area().len();
                let mut next = None;
                for o in view.options() {
                    let o = o.map_err(|_| bad)?;
                    match o.code {
                        OptionCode::RelayMsg if next.is_none() => {
                            next = Some(at + 4..at + o.wire_len());
                        }
                        OptionCode::RelayPort if levels == 0 => relay_port = true,
                        _ => {}
                    }
                    at += o.wire_len();
                }
                let next = next.ok_or(bad)?;
                inner = inner.start + next.start..inner.start + next.end;
                levels += 1;
            }
            Some(MessageType::Dhcpv4Response) => {
                let m = Message::new_checked(here).map_err(|_| bad)?;
                only_dhcpv4_msg(m.options_area(), bad)?;
                return Ok(Shape {
                    inner,
                    levels,
                    relay_port,
                });
            }
            _ => return Err(Refused::NotResponse),
        }
    }
}

/// Unframes a response from the DHCPv4 server into `out` and says where
/// it goes: the metadata is checked (an interface we serve, an address, a
/// port) and removed, the flags of the DHCPV4-RESPONSE are set to zero
/// (C-165; Kea's kea-dhcp4 echoes the query's), and the datagram goes from
/// that interface to the query's source: a client on port 546, or the
/// outermost relay on port 547 or, when it said so with a Relay Source
/// Port option, the port it sent from (C-166). Mirrors
/// dhcpv6.c:send_dhcpv4_response.
pub fn send_dhcpv4_response(
    datagram: &[u8],
    served: &[Served],
    out: &mut [u8],
) -> Result<Outgoing, Refused> {
    let mut w = Writer::new(out);
    let meta = match ipc::extract(datagram, &mut w) {
        Ok(m) => m,
        Err(ipc::Error::Wire(_)) => return Err(Refused::MalformedResponse),
        Err(_) => return Err(Refused::BadMetadata),
    };
    let len = w.len();
    if meta.remote_addr.is_loopback() {
        return Err(Refused::BadMetadata);
    }
    let iface = served
        .iter()
        .find(|s| s.name == meta.interface)
        .ok_or(Refused::NotServedInterface)?;
    let shape = response_shape(out.get(..len).ok_or(Refused::MalformedResponse)?)?;
    // Bytes 1-3 of the DHCPV4-RESPONSE are its flags.
    let flags = shape.inner.start + 1..shape.inner.start + 4;
    out.get_mut(flags)
        .ok_or(Refused::MalformedResponse)?
        .fill(0);
    let port = match (shape.levels, shape.relay_port) {
        (0, _) => CLIENT_PORT,
        (_, true) => meta.remote_port,
        (_, false) => SERVER_PORT,
    };
    let scope = if meta.remote_addr.is_unicast_link_local() {
        iface.ifindex
    } else {
        0
    };
    Ok(Outgoing {
        len,
        dst: SocketAddrV6::new(meta.remote_addr, port, 0, scope),
        ifindex: iface.ifindex,
        msg_type: MessageType::Dhcpv4Response,
        relayed: shape.levels > 0,
    })
}

/// Handles one IPC datagram from `src`: only the DHCPv4 server's exact
/// address and port are listened to. Mirrors dhcpv6.c:dhcpv4o6_handler.
pub fn dhcpv4o6_handler(
    fwd: &mut Forwarder,
    datagram: &[u8],
    src: SocketAddrV6,
    served: &[Served],
    out: &mut [u8],
) -> Result<Outgoing, Refused> {
    let r = if src.ip() != fwd.peer.ip() || src.port() != fwd.peer.port() {
        Err(Refused::NotFromPeer)
    } else {
        send_dhcpv4_response(datagram, served, out)
    };
    match r {
        Ok(_) => fwd.counters.answered += 1,
        Err(why) => fwd.counters.drop(why),
    }
    r
}

/// The IPC socket and its buffers (the I/O shell around the cores above).
pub struct IpcLink {
    /// Bound to `[::1]:P`.
    pub sock: Udp6Socket,
    rx: Vec<u8>,
    tx: Vec<u8>,
}

/// IPC datagrams handled per loop turn before signals and timers are
/// looked at again.
const IPC_PER_TURN: usize = 256;

impl IpcLink {
    /// Binds `[::1]:port`.
    pub fn bind(port: u16) -> std::io::Result<Self> {
        Ok(Self {
            sock: Udp6Socket::bind_loopback(port)?,
            rx: vec![0; libdhcp6::wire::MAX_MESSAGE_LEN],
            tx: vec![0; libdhcp6::wire::MAX_MESSAGE_LEN],
        })
    }

    /// Sends a framed query to the DHCPv4 server.
    pub fn forward(&self, framed: &[u8], peer: SocketAddrV6) {
        log_debug!(
            "forw_dhcpv4_query",
            "forward DHCPv4-query to {peer} ({} octets)",
            framed.len()
        );
        if let Err(e) = self.sock.send(framed, peer, 0, Ipv6Addr::UNSPECIFIED) {
            log_err!("forw_dhcpv4_query", "send to {peer}: {e}");
        }
    }

    /// Reads what waits on the IPC socket and sends each response on
    /// through `out` (the server's port-547 socket: the answer must come
    /// from the DHCPv6 server's port).
    pub fn recv(&mut self, fwd: &mut Forwarder, served: &[Served], out: &Udp6Socket) {
        for _ in 0..IPC_PER_TURN {
            let meta = match self.sock.recv(&mut self.rx) {
                Ok(Some(m)) => m,
                Ok(None) => return,
                Err(e) => {
                    log_err!("dhcpv4o6_handler", "recv: {e}");
                    return;
                }
            };
            if meta.truncated {
                fwd.counters.drop(Refused::MalformedResponse);
                continue;
            }
            let Some(pkt) = self.rx.get(..meta.len) else {
                continue;
            };
            match dhcpv4o6_handler(fwd, pkt, meta.src, served, &mut self.tx) {
                Ok(o) => {
                    log_debug!(
                        "send_dhcpv4_response",
                        "send {} to {}{}",
                        o.msg_type,
                        o.dst,
                        if o.relayed { " (relay-reply)" } else { "" }
                    );
                    let Some(bytes) = self.tx.get(..o.len) else {
                        continue;
                    };
                    if let Err(e) = out.send(bytes, o.dst, o.ifindex, Ipv6Addr::UNSPECIFIED) {
                        log_err!("send_dhcpv4_response", "send to {}: {e}", o.dst);
                    }
                }
                Err(why) => log_info!(
                    "dhcpv4o6_handler",
                    "dropped an IPC datagram from {}: {}",
                    meta.src,
                    why.name()
                ),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
