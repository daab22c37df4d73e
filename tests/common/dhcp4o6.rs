//! A scripted DHCPv4-over-DHCPv6 client (RFC 7341) for netns tests.
//!
//! It builds the DHCPv4 message of each RFC 2131 client state
//! ([`Kind`]), wraps it in a DHCPV4-QUERY whose U flag says whether the
//! message would have been unicast over IPv4, sends it from UDP port 546
//! of the client namespace to the 4o6 server (ff02::1:2 with the link's
//! scope, or a unicast address learnt from option 88), and returns the
//! DHCPv4 message of the DHCPV4-RESPONSE, insisting that it carries exactly
//! one DHCPv4-msg option (RFC 7341 §6). Waits and retransmissions are
//! bounded, so a silent server fails the exchange instead of hanging the test.
//! [`Client::servers_4o6`] asks a DHCPv6 server for option 88.
//!
//! The scenarios every pair of servers must pass ([`scenarios`],
//! [`garbage_then_answered`], [`forged_metadata`]) are here too, with
//! starters for Kea's pair ([`kea_dhcp6_4o6`], [`kea_dhcp4_4o6`]), so that
//! one test file per pairing (Kea's pair, ours, ours with Kea's) runs the
//! same exchanges on its own [`Setup`].

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6, UdpSocket};
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use libdhcp6::codes::{MessageType as V6Type, OptionCode as V6Code};
use libdhcp6::dhcp4::ipc;
use libdhcp6::dhcp4::{ClientId, MessageType, Op, OptionCode, OptionRepr as V4Option, PacketRepr};
use libdhcp6::wire::{MessageRepr, OptionRepr, VendorOption, DHCPV4_QUERY_UNICAST};
use libdhcp6::Duid;

use super::peers::Scratch;
use super::{require_program, Daemon, Netns};

/// Where DHCPv6 servers and relay agents listen (RFC 8415 §7.2).
pub const ALL_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);

/// Who the client is: its hardware address and, optionally, a client
/// identifier (option 61) that the server must prefer over `chaddr`.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The Ethernet address placed in `chaddr`.
    pub chaddr: [u8; 6],
    /// Option 61, when the client sends one.
    pub client_id: Option<ClientId>,
}

impl Identity {
    /// An Ethernet client 02:00:00:00:04:`last` that also sends it as
    /// option 61 (type 1, the hardware type), as most DHCPv4 clients do.
    pub fn ethernet(last: u8) -> Self {
        let chaddr = [2, 0, 0, 0, 4, last];
        Self {
            chaddr,
            client_id: Some(ClientId::Typed {
                id_type: 1,
                id: chaddr.to_vec(),
            }),
        }
    }
}

/// The DHCPv4 message to build, with the fields RFC 2131 §4.3.2 and table 5
/// use to tell the client's state apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// DHCPDISCOVER, optionally hinting at an address (option 50).
    Discover {
        /// The requested address hint.
        hint: Option<Ipv4Addr>,
    },
    /// DHCPREQUEST in SELECTING: server identifier and requested address, ciaddr 0.
    Selecting {
        /// The server identifier of the chosen DHCPOFFER.
        server_id: Ipv4Addr,
        /// The offered address.
        requested: Ipv4Addr,
    },
    /// DHCPREQUEST in INIT-REBOOT: requested address only, no server identifier.
    InitReboot {
        /// The address the client remembers.
        requested: Ipv4Addr,
    },
    /// DHCPREQUEST in RENEWING: ciaddr set, unicast to the server (U=1).
    Renewing {
        /// The leased address.
        ciaddr: Ipv4Addr,
    },
    /// DHCPREQUEST in REBINDING: ciaddr set, broadcast (U=0).
    Rebinding {
        /// The leased address.
        ciaddr: Ipv4Addr,
    },
    /// DHCPRELEASE, unicast to the server (U=1).
    Release {
        /// The leasing server.
        server_id: Ipv4Addr,
        /// The released address.
        ciaddr: Ipv4Addr,
    },
    /// DHCPDECLINE, broadcast, the address in option 50 (RFC 2131 table 5).
    Decline {
        /// The leasing server.
        server_id: Ipv4Addr,
        /// The address found in use.
        requested: Ipv4Addr,
    },
    /// DHCPINFORM from a client that already has `ciaddr`.
    Inform {
        /// The client's configured address.
        ciaddr: Ipv4Addr,
    },
}

impl Kind {
    /// RFC 7341 §6.1's U flag (C-160): set when the DHCPv4 message would have been
    /// sent to the server's unicast address over IPv4 (RENEWING REQUEST and
    /// RELEASE, RFC 2131 §4.4.5 and §4.4.6).
    pub fn unicast(self) -> bool {
        matches!(self, Self::Renewing { .. } | Self::Release { .. })
    }

    /// True for the messages a server does not answer (RFC 2131 §4.3.3, §4.3.4).
    pub fn answered(self) -> bool {
        !matches!(self, Self::Release { .. } | Self::Decline { .. })
    }

    fn message_type(self) -> MessageType {
        match self {
            Self::Discover { .. } => MessageType::Discover,
            Self::Selecting { .. }
            | Self::InitReboot { .. }
            | Self::Renewing { .. }
            | Self::Rebinding { .. } => MessageType::Request,
            Self::Release { .. } => MessageType::Release,
            Self::Decline { .. } => MessageType::Decline,
            Self::Inform { .. } => MessageType::Inform,
        }
    }

    /// (ciaddr, server identifier, requested address) per RFC 2131 table 5.
    fn fields(self) -> (Ipv4Addr, Option<Ipv4Addr>, Option<Ipv4Addr>) {
        let none = Ipv4Addr::UNSPECIFIED;
        match self {
            Self::Discover { hint } => (none, None, hint),
            Self::Selecting {
                server_id,
                requested,
            }
            | Self::Decline {
                server_id,
                requested,
            } => (none, Some(server_id), Some(requested)),
            Self::InitReboot { requested } => (none, None, Some(requested)),
            Self::Renewing { ciaddr } | Self::Rebinding { ciaddr } | Self::Inform { ciaddr } => {
                (ciaddr, None, None)
            }
            Self::Release { server_id, ciaddr } => (ciaddr, Some(server_id), None),
        }
    }
}

/// The DHCPv4 message `kind` from `who` with transaction `xid`: a
/// BOOTREQUEST with the broadcast flag clear (the 4o6 transport replaces
/// IPv4 delivery, RFC 7341 §5) asking for mask, routers, DNS and lease times.
pub fn build(who: &Identity, kind: Kind, xid: u32) -> PacketRepr {
    let (ciaddr, server_id, requested) = kind.fields();
    let mut options = vec![V4Option::MessageType(kind.message_type())];
    options.extend(who.client_id.clone().map(V4Option::ClientId));
    options.extend(server_id.map(V4Option::ServerId));
    options.extend(requested.map(V4Option::RequestedIp));
    if kind.answered() {
        options.push(V4Option::ParameterRequestList(vec![
            OptionCode::SubnetMask,
            OptionCode::Routers,
            OptionCode::DomainNameServers,
        ]));
    }
    let mut msg = PacketRepr::boot_request(xid, &who.chaddr, options);
    msg.ciaddr = ciaddr;
    msg
}

/// `msg` inside a DHCPV4-QUERY (RFC 7341 §6.1): flags with the U bit when
/// `unicast`, one DHCPv4-msg option, then `extra` (forged or repeated
/// options for the tests that a server must survive).
pub fn query(msg: &PacketRepr, unicast: bool, extra: &[OptionRepr]) -> MessageRepr {
    let mut options = vec![OptionRepr::Dhcpv4Msg(
        msg.to_vec().expect("encode DHCPv4 message"),
    )];
    options.extend_from_slice(extra);
    MessageRepr {
        msg_type: V6Type::Dhcpv4Query,
        transaction_id: if unicast { DHCPV4_QUERY_UNICAST } else { 0 },
        options,
    }
}

/// Kea's IPC metadata (ISC vendor sub-options 60000-60002, see
/// `libdhcp6::dhcp4::ipc`) as a client could forge it in its own query to
/// send the answer to `addr`, port `port`: a DHCPv6 side must remove it
/// before adding the real one.
pub fn forged_meta(ifname: &str, addr: Ipv6Addr, port: u16) -> OptionRepr {
    let sub = |code, data: &[u8]| VendorOption {
        code,
        data: data.to_vec(),
    };
    OptionRepr::VendorOpts {
        enterprise: ipc::ENTERPRISE_ISC,
        options: vec![
            sub(ipc::SUBOPT_INTERFACE, ifname.as_bytes()),
            sub(ipc::SUBOPT_REMOTE_ADDR, &addr.octets()),
            sub(ipc::SUBOPT_REMOTE_PORT, &port.to_be_bytes()),
        ],
    }
}

/// Why an exchange gave no DHCPv4 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Nothing matching arrived within every try's wait.
    Timeout,
    /// A DHCPv6 message that is not a DHCPV4-RESPONSE came back.
    NotResponse(V6Type),
    /// The DHCPV4-RESPONSE did not carry exactly one DHCPv4-msg option.
    Dhcpv4MsgCount(usize),
    /// The DHCPV4-RESPONSE's flags were not zero (RFC 7341 §6.2, C-165).
    Flags(u32),
    /// The DHCPv4-msg option did not decode as a DHCPv4 message.
    Decode(libdhcp6::dhcp4::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => write!(f, "no DHCPV4-RESPONSE in time"),
            Self::NotResponse(t) => write!(f, "got {t} instead of DHCPV4-RESPONSE"),
            Self::Dhcpv4MsgCount(n) => write!(f, "DHCPV4-RESPONSE with {n} DHCPv4-msg options"),
            Self::Flags(v) => write!(f, "DHCPV4-RESPONSE with flags {v:#08x}"),
            Self::Decode(e) => write!(f, "DHCPv4-msg does not decode: {e}"),
        }
    }
}

/// The DHCPv4 message a DHCPV4-RESPONSE carries, checking RFC 7341 §6.2
/// and C-165: type 21, exactly one DHCPv4-msg option and, when
/// `zero_flags`, flags all zero.
pub fn unwrap_response(m: &MessageRepr, zero_flags: bool) -> Result<PacketRepr, Error> {
    if m.msg_type != V6Type::Dhcpv4Response {
        return Err(Error::NotResponse(m.msg_type));
    }
    if zero_flags && m.transaction_id != 0 {
        return Err(Error::Flags(m.transaction_id));
    }
    let bodies: Vec<&[u8]> = m
        .options
        .iter()
        .filter_map(|o| match o {
            OptionRepr::Dhcpv4Msg(b) => Some(b.as_slice()),
            _ => None,
        })
        .collect();
    match bodies.as_slice() {
        [one] => PacketRepr::from_bytes(one).map_err(Error::Decode),
        _ => Err(Error::Dhcpv4MsgCount(bodies.len())),
    }
}

/// A 4o6 client: a UDP socket on port 546 of a test namespace.
#[derive(Debug)]
pub struct Client {
    sock: UdpSocket,
    /// How long each try waits for its answer.
    pub wait: Duration,
    /// How many times a query is sent before giving up.
    pub tries: u32,
    /// Whether a DHCPV4-RESPONSE with non-zero flags fails the exchange
    /// (true unless a test says which peer does otherwise).
    pub zero_flags: bool,
    next_xid: u32,
}

impl Client {
    /// Binds `[::]:546` inside `ns` (the socket stays in that namespace
    /// whichever thread uses it afterwards).
    pub fn new(ns: &Netns) -> Self {
        Self::bound(ns, SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 546, 0, 0))
    }

    /// Binds `at` inside `ns`: a client on one address only, or a decoy
    /// that must hear nothing (see [`forged_meta`]).
    pub fn bound(ns: &Netns, at: SocketAddrV6) -> Self {
        // A socket this process closed a moment ago can still be held by a
        // child another test thread is forking (the descriptor lives in the
        // child until its exec closes it), so the port may be busy briefly.
        let sock = ns.run_in(move || {
            let deadline = Instant::now() + Duration::from_secs(2);
            loop {
                match UdpSocket::bind(at) {
                    Ok(s) => break s,
                    Err(e)
                        if e.kind() == std::io::ErrorKind::AddrInUse
                            && Instant::now() < deadline =>
                    {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(e) => panic!("bind {at}: {e}"),
                }
            }
        });
        Self {
            sock,
            wait: Duration::from_secs(2),
            tries: 3,
            zero_flags: true,
            next_xid: 0x4060_0000,
        }
    }

    /// ff02::1:2 on the interface with index `ifindex`, port 547.
    pub fn all_servers(ifindex: u32) -> SocketAddrV6 {
        SocketAddrV6::new(ALL_SERVERS, 547, 0, ifindex)
    }

    /// A fresh transaction id.
    pub fn xid(&mut self) -> u32 {
        self.next_xid = self.next_xid.wrapping_add(1);
        self.next_xid
    }

    /// Sends `kind` from `who` to `to` with [`Kind::unicast`] as the U flag
    /// and returns the DHCPv4 answer (for RELEASE and DECLINE, which get
    /// none, use [`Client::send`]).
    pub fn ask(
        &mut self,
        to: SocketAddrV6,
        who: &Identity,
        kind: Kind,
    ) -> Result<PacketRepr, Error> {
        let xid = self.xid();
        self.exchange(to, &build(who, kind, xid), kind.unicast())
    }

    /// Sends `kind` once without waiting for an answer; its transaction id.
    pub fn send(&mut self, to: SocketAddrV6, who: &Identity, kind: Kind) -> u32 {
        let xid = self.xid();
        let q = query(&build(who, kind, xid), kind.unicast(), &[]);
        self.send_raw(to, &q.to_vec().expect("encode query"));
        xid
    }

    /// Sends `bytes` as they are (malformed input for robustness tests).
    pub fn send_raw(&self, to: SocketAddrV6, bytes: &[u8]) {
        self.sock.send_to(bytes, to).expect("send datagram");
    }

    /// Sends `msg` in a DHCPV4-QUERY (U flag `unicast`) up to
    /// [`Client::tries`] times and returns the first DHCPv4 answer with the
    /// same xid. A DHCPV4-RESPONSE without exactly one well-formed
    /// DHCPv4-msg option (or, with [`Client::zero_flags`], with flags) fails
    /// the exchange at once: the harness must see such server errors. Other
    /// DHCPv6 messages are passed over, and named in the error if no answer
    /// comes.
    pub fn exchange(
        &self,
        to: SocketAddrV6,
        msg: &PacketRepr,
        unicast: bool,
    ) -> Result<PacketRepr, Error> {
        self.exchange_with(to, msg, unicast, &[])
    }

    /// [`Client::exchange`] with `extra` options after the DHCPv4-msg one.
    pub fn exchange_with(
        &self,
        to: SocketAddrV6,
        msg: &PacketRepr,
        unicast: bool,
        extra: &[OptionRepr],
    ) -> Result<PacketRepr, Error> {
        let bytes = query(msg, unicast, extra).to_vec().expect("encode query");
        let mut stray = None;
        for _ in 0..self.tries {
            self.sock.send_to(&bytes, to).expect("send DHCPV4-QUERY");
            let end = Instant::now() + self.wait;
            while let Some(m) = self.receive_v6(end.saturating_duration_since(Instant::now())) {
                if m.msg_type != V6Type::Dhcpv4Response {
                    // A late answer to an earlier exchange, or a server
                    // answering with the wrong type: reported only if
                    // nothing right comes.
                    stray = Some(m.msg_type);
                    continue;
                }
                let v4 = unwrap_response(&m, self.zero_flags)?;
                if v4.xid == msg.xid {
                    return Ok(v4);
                }
            }
        }
        Err(stray.map_or(Error::Timeout, Error::NotResponse))
    }

    /// The next DHCPv6 message within `wait` (undecodable datagrams skipped).
    fn receive_v6(&self, wait: Duration) -> Option<MessageRepr> {
        let end = Instant::now() + wait;
        let mut buf = [0u8; 65536];
        loop {
            let left = end.checked_duration_since(Instant::now())?;
            if left.is_zero() {
                return None;
            }
            self.sock.set_read_timeout(Some(left)).expect("timeout");
            if let Ok((n, SocketAddr::V6(_))) = self.sock.recv_from(&mut buf) {
                if let Ok(m) = MessageRepr::from_bytes(buf.get(..n)?) {
                    return Some(m);
                }
            }
        }
    }

    /// True when no DHCPv6 message at all arrives within `wait` (for
    /// checking that RELEASE and DECLINE stay unanswered, or that a decoy
    /// hears nothing).
    pub fn silent_for(&self, wait: Duration) -> bool {
        self.receive_v6(wait).is_none()
    }

    /// Asks the DHCPv6 server at `to` for the 4o6 server addresses: an
    /// Information-request with option 88 (RFC 7341 §7.2) in its ORO; the
    /// addresses of the Reply's option 88, `None` without a Reply or the
    /// option.
    pub fn servers_4o6(&self, to: SocketAddrV6) -> Option<Vec<Ipv6Addr>> {
        let duid = Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 4, 0x88]).expect("DUID");
        let xid = 0x0004_0088;
        let ask = MessageRepr {
            msg_type: V6Type::InformationRequest,
            transaction_id: xid,
            options: vec![
                OptionRepr::ClientId(duid),
                OptionRepr::ElapsedTime(0),
                OptionRepr::Oro(vec![V6Code::Dhcp4o6ServerAddr]),
            ],
        };
        let bytes = ask.to_vec().expect("encode Information-request");
        for _ in 0..self.tries {
            self.sock
                .send_to(&bytes, to)
                .expect("send Information-request");
            let end = Instant::now() + self.wait;
            while let Some(m) = self.receive_v6(end.saturating_duration_since(Instant::now())) {
                if m.msg_type == V6Type::Reply && m.transaction_id == xid {
                    return m.options.iter().find_map(|o| match o {
                        OptionRepr::Addresses { code, addrs }
                            if *code == V6Code::Dhcp4o6ServerAddr =>
                        {
                            Some(addrs.clone())
                        }
                        _ => None,
                    });
                }
            }
        }
        None
    }
}

/// Checks that `m` is a BOOTREPLY of DHCP type `kind` for `who`'s
/// hardware address; panics with the message otherwise.
pub fn expect(m: &PacketRepr, kind: MessageType, who: &Identity) {
    assert_eq!(m.op, Op::BootReply, "not a BOOTREPLY: {m:?}");
    assert_eq!(m.message_type(), Some(kind), "wrong DHCP type: {m:?}");
    assert_eq!(m.hw_addr(), who.chaddr.as_slice(), "wrong chaddr: {m:?}");
}

/// The servers under test, as the shared scenarios ([`scenarios`],
/// [`garbage_then_answered`]) see them.
pub struct Setup<'a> {
    /// The client's namespace; the client uses its interface `c0`.
    pub client: &'a Netns,
    /// The 4o6 server address: what option 88 must hold, and where
    /// unicast queries go.
    pub server6: Ipv6Addr,
    /// The dynamic pool of the subnet the queries select, empty when a
    /// run starts and of at least three addresses ([`scenarios`] leases
    /// one, offers it again after RELEASE while a third client's offer may
    /// hold it, and needs one more after a DECLINE).
    pub pool: RangeInclusive<Ipv4Addr>,
    /// An address of that subnet outside the pool, leased to nobody.
    pub foreign: Ipv4Addr,
    /// The configured lease time (option 51).
    pub lease_time: u32,
    /// The configured router (option 3).
    pub router: Ipv4Addr,
    /// Whether DHCPV4-RESPONSE flags must be zero (see [`Client::zero_flags`]).
    pub zero_flags: bool,
    /// The servers' logs, for failure messages.
    pub logs: &'a dyn Fn() -> String,
}

/// DISCOVER → OFFER → REQUEST (SELECTING) → ACK for `who`; the ACK and the
/// server identifier.
fn dora(s: &Setup<'_>, c: &mut Client, to: SocketAddrV6, who: &Identity) -> (PacketRepr, Ipv4Addr) {
    let offer = c.ask(to, who, Kind::Discover { hint: None });
    let offer = offer.unwrap_or_else(|e| panic!("DISCOVER: {e}\n{}", (s.logs)()));
    expect(&offer, MessageType::Offer, who);
    let server_id = offer.server_id().expect("server identifier in DHCPOFFER");
    let ack = c
        .ask(
            to,
            who,
            Kind::Selecting {
                server_id,
                requested: offer.yiaddr,
            },
        )
        .unwrap_or_else(|e| panic!("SELECTING: {e}\n{}", (s.logs)()));
    expect(&ack, MessageType::Ack, who);
    assert_eq!(
        ack.yiaddr, offer.yiaddr,
        "ACK for another address than offered"
    );
    assert!(
        matches!(
            ack.option(OptionCode::LeaseTime),
            Some(V4Option::LeaseTime(t)) if *t == s.lease_time
        ),
        "ACK without the configured lease time: {ack:?}"
    );
    (ack, server_id)
}

/// The exchanges issue 12's "Done when" lists, in one run: option 88, then
/// DORA, RENEWING by unicast (U=1), REBINDING (U=0), a NAK for an
/// INIT-REBOOT of an address the client does not hold, INFORM, RELEASE (the
/// address is free again) and DECLINE (the address is not offered again).
/// The client uses `c0` of `s.client`: ff02::1:2 on that link, and the 4o6
/// server's unicast address once option 88 has given it.
pub fn scenarios(s: &Setup<'_>) {
    let mut c = Client::new(s.client);
    c.zero_flags = s.zero_flags;
    let all = Client::all_servers(s.client.ifindex("c0"));
    let logs = s.logs;

    // Option 88: the 4o6 server address, asked for in an Information-request.
    let servers = c
        .servers_4o6(all)
        .unwrap_or_else(|| panic!("no option 88\n{}", logs()));
    assert_eq!(servers, vec![s.server6], "option 88");
    let unicast = SocketAddrV6::new(s.server6, 547, 0, 0);

    // DORA.
    let a = Identity::ethernet(1);
    let (ack, sid) = dora(s, &mut c, all, &a);
    let addr = ack.yiaddr;
    assert!(s.pool.contains(&addr), "{addr} outside the pool");
    assert!(
        matches!(ack.option(OptionCode::Routers), Some(V4Option::Routers(r)) if r == &[s.router]),
        "ACK without the routers asked for: {ack:?}"
    );

    // RENEWING: ciaddr, no server id, unicast to the 4o6 server with U=1.
    let renew = c.ask(unicast, &a, Kind::Renewing { ciaddr: addr });
    let renew = renew.unwrap_or_else(|e| panic!("RENEWING: {e}\n{}", logs()));
    expect(&renew, MessageType::Ack, &a);
    assert_eq!(renew.yiaddr, addr);

    // REBINDING: the same fields to ff02::1:2 with U=0.
    let rebind = c.ask(all, &a, Kind::Rebinding { ciaddr: addr });
    let rebind = rebind.unwrap_or_else(|e| panic!("REBINDING: {e}\n{}", logs()));
    expect(&rebind, MessageType::Ack, &a);
    assert_eq!(rebind.yiaddr, addr);

    // INIT-REBOOT for an address the client does not hold: DHCPNAK.
    let wrong = s.foreign;
    let nak = c.ask(all, &a, Kind::InitReboot { requested: wrong });
    let nak = nak.unwrap_or_else(|e| panic!("INIT-REBOOT: {e}\n{}", logs()));
    expect(&nak, MessageType::Nak, &a);
    assert_eq!(nak.yiaddr, Ipv4Addr::UNSPECIFIED);

    // INFORM: configuration without an address (yiaddr 0, no lease time).
    let inform = c.ask(all, &a, Kind::Inform { ciaddr: addr });
    let inform = inform.unwrap_or_else(|e| panic!("INFORM: {e}\n{}", logs()));
    expect(&inform, MessageType::Ack, &a);
    assert_eq!(inform.yiaddr, Ipv4Addr::UNSPECIFIED);
    assert!(inform.option(OptionCode::LeaseTime).is_none(), "{inform:?}");

    // RELEASE: unanswered; the address is free again, so another client
    // hinting at it is offered exactly it.
    c.send(
        unicast,
        &a,
        Kind::Release {
            server_id: sid,
            ciaddr: addr,
        },
    );
    assert!(c.silent_for(Duration::from_millis(500)), "RELEASE answered");
    let other = Identity::ethernet(2);
    let offer = c.ask(all, &other, Kind::Discover { hint: Some(addr) });
    let offer = offer.unwrap_or_else(|e| panic!("DISCOVER after RELEASE: {e}\n{}", logs()));
    expect(&offer, MessageType::Offer, &other);
    assert_eq!(offer.yiaddr, addr, "released address still held");

    // DECLINE: unanswered; the same client asking again (even hinting at
    // the declined address) is offered another one.
    let b = Identity::ethernet(3);
    let (ack_b, sid_b) = dora(s, &mut c, all, &b);
    let declined = ack_b.yiaddr;
    c.send(
        all,
        &b,
        Kind::Decline {
            server_id: sid_b,
            requested: declined,
        },
    );
    assert!(c.silent_for(Duration::from_millis(500)), "DECLINE answered");
    let again = c.ask(
        all,
        &b,
        Kind::Discover {
            hint: Some(declined),
        },
    );
    let again = again.unwrap_or_else(|e| panic!("DISCOVER after DECLINE: {e}\n{}", logs()));
    expect(&again, MessageType::Offer, &b);
    assert_ne!(again.yiaddr, declined, "declined address offered again");
    assert!(s.pool.contains(&again.yiaddr));
}

/// Malformed queries, each dropped without an answer, then a DISCOVER is
/// still answered: no DHCPv4-msg option, two of them, one that is not a
/// DHCPv4 message, a BOOTREPLY inside a query, an impossible `hlen`. The
/// ones named in `peer_answers` are known to be answered by the peer under
/// test; for them any answer is read and let go.
pub fn garbage_then_answered(s: &Setup<'_>, peer_answers: &[&str]) {
    let mut c = Client::new(s.client);
    c.zero_flags = s.zero_flags;
    let all = Client::all_servers(s.client.ifindex("c0"));
    let who = Identity::ethernet(7);
    let discover = build(&who, Kind::Discover { hint: None }, 0x0bad);
    let mut reply = discover.clone();
    reply.op = Op::BootReply;
    let mut long_hlen = discover.to_vec().expect("encode");
    if let Some(hlen) = long_hlen.get_mut(2) {
        *hlen = 17;
    }
    let v4 = OptionRepr::Dhcpv4Msg;
    let bare = MessageRepr {
        msg_type: V6Type::Dhcpv4Query,
        transaction_id: 0,
        options: vec![],
    };
    let junk = [
        ("no DHCPv4-msg", bare),
        (
            "two DHCPv4-msg",
            query(&discover, false, &[v4(discover.to_vec().expect("encode"))]),
        ),
        ("not DHCPv4", with_msg(vec![1, 1, 6, 0, 0xde, 0xad])),
        ("BOOTREPLY", with_msg(reply.to_vec().expect("encode"))),
        ("hlen 17", with_msg(long_hlen)),
    ];
    for (what, q) in junk {
        c.send_raw(all, &q.to_vec().expect("encode"));
        let silent = c.silent_for(Duration::from_millis(700));
        assert!(
            silent || peer_answers.contains(&what),
            "{what}: answered\n{}",
            (s.logs)()
        );
    }
    // A fresh xid: a late answer to the junk must not pass for this one.
    let offer = c.ask(all, &who, Kind::Discover { hint: None });
    let offer = offer.unwrap_or_else(|e| panic!("DISCOVER after junk: {e}\n{}", (s.logs)()));
    expect(&offer, MessageType::Offer, &who);
}

/// A DHCPV4-QUERY carrying `body` as its only DHCPv4-msg option.
fn with_msg(body: Vec<u8>) -> MessageRepr {
    MessageRepr {
        msg_type: V6Type::Dhcpv4Query,
        transaction_id: 0,
        options: vec![OptionRepr::Dhcpv4Msg(body)],
    }
}

/// What became of a query forging Kea's IPC metadata (see [`forged_metadata`]).
#[derive(Debug)]
pub struct Forged {
    /// The real sender's answer, if it got one.
    pub real: Result<PacketRepr, Error>,
    /// Whether the decoy address received anything.
    pub decoy_heard: bool,
}

/// Sends one DISCOVER whose DHCPV4-QUERY forges ISC sub-options
/// 60000-60002 (interface `ifname`, address `decoy`, port 546), after adding
/// `decoy` to the client's `c0` and listening there. The real client
/// listens on its link-local address only, so exactly one of the two can
/// hear the answer: a correct DHCPv6 side strips the forged metadata and
/// answers the real sender; one that keeps it answers the decoy.
pub fn forged_metadata(s: &Setup<'_>, ifname: &str, decoy: Ipv6Addr) -> Forged {
    s.client.addr("c0", &format!("{decoy}/64"));
    let c0 = s.client.ifindex("c0");
    let me = s.client.link_local("c0");
    let mut c = Client::bound(s.client, SocketAddrV6::new(me, 546, 0, c0));
    c.zero_flags = s.zero_flags;
    c.tries = 1;
    let trap = Client::bound(s.client, SocketAddrV6::new(decoy, 546, 0, 0));
    let who = Identity::ethernet(8);
    let forged = forged_meta(ifname, decoy, 546);
    let discover = build(&who, Kind::Discover { hint: None }, 0x0f0f);
    let real = c.exchange_with(Client::all_servers(c0), &discover, false, &[forged]);
    let decoy_heard = !trap.silent_for(Duration::from_secs(1));
    Forged { real, decoy_heard }
}

/// The DHCPv4 subnet kea-dhcp4 serves over DHCPv6 ([`kea_setup`] says
/// what scenarios expect of it).
const KEA_SUBNET4: &str = "10.10.10.0/24";
/// Its dynamic pool.
const KEA_POOL4: &str = "10.10.10.100 - 10.10.10.109";

/// Kea's kea-dhcp6 on `iface` (multicast, and unicast on `addr`)
/// forwarding DHCPV4-QUERY over the IPC on `[::1]:ipc_port`, with option
/// 88 pointing at `addr`; files in the scratch directory, log to its
/// [`Daemon::log`]. No DHCPv6 subnet: 4o6 and Information-request need none.
pub fn kea_dhcp6_4o6(ns: &Netns, s: &Scratch, iface: &str, addr: &str, ipc_port: u16) -> Daemon {
    let bin = require_program("kea-dhcp6");
    let leases = s.path("kea-leases6.csv");
    let conf = format!(
        r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": [ "{iface}", "{iface}/{addr}" ] }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{leases}", "lfc-interval": 0 }},
  "server-id": {{ "type": "EN", "enterprise-id": 2495, "identifier": "6b616d6536", "persist": false }},
  "dhcp4o6-port": {ipc_port},
  "option-data": [ {{ "name": "dhcp4o6-server-addr", "code": 88, "space": "dhcp6", "data": "{addr}" }} ],
  "loggers": [ {{ "name": "kea-dhcp6", "output_options": [ {{ "output": "stdout" }} ], "severity": "DEBUG", "debuglevel": 99 }} ]
}} }}"#
    );
    start_kea(ns, s, &bin, "kea-dhcp6.conf", &conf, "DHCP6_STARTED")
}

/// Kea's kea-dhcp4 answering DHCPv4-over-DHCPv6 from the IPC on
/// `[::1]:ipc_port + 1`, for queries the DHCPv6 side received on `iface`
/// (Kea's `4o6-interface` selector), with leases of 600 s. Kea 2.2 drops
/// every 4o6 query unless `iface` has an IPv4 address in the namespace (it
/// takes the server identifier from an IPv4 socket there): give it one.
pub fn kea_dhcp4_4o6(ns: &Netns, s: &Scratch, iface: &str, ipc_port: u16) -> Daemon {
    kea_dhcp4_4o6_timed(ns, s, iface, ipc_port, (600, 200, 400))
}

/// [`kea_dhcp4_4o6`] with the lease time, T1 and T2 given (seconds).
pub fn kea_dhcp4_4o6_timed(
    ns: &Netns,
    s: &Scratch,
    iface: &str,
    ipc_port: u16,
    (valid, renew, rebind): (u32, u32, u32),
) -> Daemon {
    let bin = require_program("kea-dhcp4");
    let leases = s.path("kea-leases4.csv");
    let conf = format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": [ "{iface}" ], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{leases}", "lfc-interval": 0 }},
  "dhcp4o6-port": {ipc_port},
  "valid-lifetime": {valid}, "renew-timer": {renew}, "rebind-timer": {rebind},
  "subnet4": [ {{ "id": 1, "subnet": "{KEA_SUBNET4}", "4o6-interface": "{iface}",
                  "pools": [ {{ "pool": "{KEA_POOL4}" }} ],
                  "option-data": [ {{ "name": "routers", "data": "10.10.10.1" }},
                                   {{ "name": "domain-name-servers", "data": "10.10.10.53" }},
                                   {{ "name": "domain-name", "data": "example.net" }} ] }} ],
  "loggers": [ {{ "name": "kea-dhcp4", "output_options": [ {{ "output": "stdout" }} ], "severity": "DEBUG", "debuglevel": 99 }} ]
}} }}"#
    );
    start_kea(ns, s, &bin, "kea-dhcp4.conf", &conf, "DHCP4_STARTED")
}

/// Starts a Kea daemon with `conf` written to `file`, its lock and PID files
/// in the scratch directory, and waits for its `started` log line.
fn start_kea(
    ns: &Netns,
    s: &Scratch,
    bin: &std::path::Path,
    file: &str,
    conf: &str,
    started: &str,
) -> Daemon {
    let conf = s.write(file, conf);
    let dir = s.dir.to_str().unwrap_or("/tmp");
    let d = ns.spawn_env(
        bin.to_str().unwrap_or("kea"),
        &["-c", &conf],
        &[("KEA_LOCKFILE_DIR", dir), ("KEA_PIDFILE_DIR", dir)],
    );
    d.wait_log(started, Duration::from_secs(15));
    d
}

/// The [`Setup`] matching [`kea_dhcp4_4o6`]'s subnet, for a client in
/// `client` whose 4o6 server is `server6`.
pub fn kea_setup<'a>(
    client: &'a Netns,
    server6: Ipv6Addr,
    zero_flags: bool,
    logs: &'a dyn Fn() -> String,
) -> Setup<'a> {
    Setup {
        client,
        server6,
        pool: Ipv4Addr::new(10, 10, 10, 100)..=Ipv4Addr::new(10, 10, 10, 109),
        foreign: Ipv4Addr::new(10, 10, 10, 200),
        lease_time: 600,
        router: Ipv4Addr::new(10, 10, 10, 1),
        zero_flags,
        logs,
    }
}

/// The DHCPv6 side's address on s0 in [`direct_net`] and [`relayed_net`]:
/// the 4o6 server listens on it and hands it out in option 88.
pub const SERVER6: &str = "2001:db8:ff::2";

/// Which relay agent sits between client and server.
#[derive(Debug, Clone, Copy)]
pub enum Relay {
    /// kame6's dhcp6relay.
    Ours,
    /// ISC's dhcrelay -6.
    Isc,
}

/// client —(c0|s0)— server, both on 2001:db8:ff::/64: the client's and
/// the server's namespaces.
pub fn direct_net() -> (Netns, Netns) {
    super::require_root();
    let client = Netns::new("c");
    let server = Netns::new("s");
    super::veth(&client, "c0", &server, "s0");
    client.addr("c0", "2001:db8:ff::10/64");
    server.addr("s0", &format!("{SERVER6}/64"));
    (client, server)
}

/// The harness's relayed topology (client —(c0|r0)— relay —(r1|s0)—
/// server), the client numbered on 2001:db8:1::/64 and routed through the
/// relay so that it can reach the server by unicast.
pub fn relayed_net() -> super::Relayed {
    let t = super::relayed();
    t.client.addr("c0", "2001:db8:1::10/64");
    t.client.route("2001:db8:ff::/64", "2001:db8:1::1");
    t.relay
        .exec(["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"]);
    t
}

/// Starts `which` in `ns`, relaying from r0 to [`SERVER6`] through r1.
pub fn start_relay(which: Relay, ns: &Netns, s: &Scratch) -> Daemon {
    match which {
        Relay::Ours => super::peers::our_dhcp6relay(ns, s, "r0", "r1", SERVER6),
        Relay::Isc => super::peers::dhcrelay6(ns, s, "r0", "r1", SERVER6),
    }
}

/// dhcp4s.conf serving the same subnet, pool, lease time and router as
/// [`kea_dhcp4_4o6`] (so [`kea_setup`] describes either DHCPv4 side), for
/// queries the DHCPv6 side received on `iface`, with its lease journal at
/// `journal`.
pub fn dhcp4s_conf(ipc_port: u16, iface: &str, journal: &str) -> String {
    dhcp4s_conf_selecting(ipc_port, &format!("4o6-interface {iface}"), journal)
}

/// [`dhcp4s_conf`] with the subnet chosen by `selector` (a 4o6 selector
/// statement without its `;`).
pub fn dhcp4s_conf_selecting(ipc_port: u16, selector: &str, journal: &str) -> String {
    format!(
        "dhcp4o6-port {ipc_port};\nserver-identifier 10.10.10.2;\nlease-file \"{journal}\";\n\
         subnet {KEA_SUBNET4} {{\n\t{selector};\n\
         \trange 10.10.10.100 to 10.10.10.109;\n\tlease-time 600;\n\trenew-time 200;\n\trebind-time 400;\n\
         \toption routers 10.10.10.1;\n\toption domain-name-servers 10.10.10.53;\n}};\n"
    )
}

/// Our dhcp4s in `ns` with `conf` (in the foreground, debug log, its PID
/// file in the scratch directory, and `extra` arguments), once it serves.
pub fn our_dhcp4s(ns: &Netns, s: &Scratch, conf: &str, extra: &[&str]) -> Daemon {
    let conf = s.write("kame6-dhcp4s.conf", conf);
    let pid = s.path("kame6-dhcp4s.pid");
    // No control channel unless a test writes this key file.
    let key = s.path("dhcp4sctlkey");
    let mut args = vec![
        "-f",
        "-D",
        "-c",
        conf.as_str(),
        "-P",
        pid.as_str(),
        "-k",
        key.as_str(),
    ];
    args.extend_from_slice(extra);
    let d = ns.spawn(env!("CARGO_BIN_EXE_dhcp4s"), &args);
    d.wait_log("server4_init: serving", Duration::from_secs(10));
    d
}

/// The number after `what` in the last line of `log` that has it (a
/// daemon's SIGUSR1 counters: `what N, ...`).
pub fn last_counter(log: &str, what: &str) -> u64 {
    log.lines()
        .rev()
        .find_map(|l| l.split(what).nth(1))
        .and_then(|n| n.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no counter {what:?} in\n{log}"))
}
