//! A scripted DHCPv6 server: a UDP socket on port 547 inside a test
//! namespace whose answers a test writes as a closure. Unlike a real
//! server it can also send on its own initiative (a Reconfigure, a forged
//! or replayed message) to any address, unicast or multicast, at the time
//! the script chooses.

use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use libdhcp6::codes::MessageType;
use libdhcp6::wire::{IaAddr, IaNa, MessageRepr, OptionRepr};
use libdhcp6::Duid;

use super::Netns;

/// One message the scripted server received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// When it arrived.
    pub at: Instant,
    /// Its source.
    pub from: SocketAddrV6,
    /// The message.
    pub msg: MessageRepr,
}

/// Why the script is called.
#[derive(Debug, Clone, Copy)]
pub enum Turn<'a> {
    /// A client message arrived (also the last element of the history).
    Received(&'a Seen),
    /// About 50 ms passed: time to send whatever is due.
    Tick,
}

/// Datagrams the script wants sent: destination and bytes.
pub type Out = Vec<(SocketAddrV6, Vec<u8>)>;

/// Runs `script` for `run_for` on a socket bound to `[::]:547` in `ns`,
/// joined to ff02::1:2 on `ifname`, and returns every message received.
/// The script gets the turn, the history and the index of `ifname` (the
/// scope of link-local destinations).
pub fn scripted_server(
    ns: &Netns,
    ifname: &str,
    run_for: Duration,
    mut script: impl FnMut(Turn<'_>, &[Seen], u32) -> Out + Send + 'static,
) -> JoinHandle<Vec<Seen>> {
    let ifname = ifname.to_string();
    ns.spawn_ready(move |ready| {
        let sock = UdpSocket::bind("[::]:547").expect("bind [::]:547");
        let ifindex = libdhcp6::sys::net::if_nametoindex(&ifname).expect("server interface");
        let group: Ipv6Addr = "ff02::1:2".parse().expect("group");
        sock.join_multicast_v6(&group, ifindex)
            .expect("join ff02::1:2");
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .expect("timeout");
        ready.go();
        let end = Instant::now() + run_for;
        let mut seen: Vec<Seen> = Vec::new();
        let mut buf = [0u8; 4096];
        while Instant::now() < end {
            let mut out = script(Turn::Tick, &seen, ifindex);
            if let Ok((n, std::net::SocketAddr::V6(from))) = sock.recv_from(&mut buf) {
                if let Ok(msg) = MessageRepr::from_bytes(&buf[..n]) {
                    seen.push(Seen {
                        at: Instant::now(),
                        from,
                        msg,
                    });
                    let last = seen.last().expect("just pushed").clone();
                    out.extend(script(Turn::Received(&last), &seen, ifindex));
                }
            }
            for (to, bytes) in out {
                sock.send_to(&bytes, to).expect("send");
            }
        }
        seen
    })
}

/// The common case: every client message is answered, to where it came
/// from, with what `answer` returns for it; `answer` also gets the
/// messages received before it. Nothing is sent on the server's own
/// initiative.
pub fn answering(
    ns: &Netns,
    ifname: &str,
    run_for: Duration,
    mut answer: impl FnMut(&MessageRepr, &[Seen]) -> Vec<MessageRepr> + Send + 'static,
) -> JoinHandle<Vec<Seen>> {
    scripted_server(ns, ifname, run_for, move |turn, seen, _| {
        let Turn::Received(s) = turn else {
            return Vec::new();
        };
        let earlier = seen.split_last().map_or(seen, |(_, e)| e);
        answer(&s.msg, earlier)
            .iter()
            .map(|m| (s.from, m.to_vec().expect("encode")))
            .collect()
    })
}

/// The scripted server's DUID (DUID-LL 02:00:00:00:00:53).
pub fn server_duid() -> Duid {
    Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 0x53]).expect("DUID")
}

/// The message types of `seen`, in order.
pub fn kinds(seen: &[Seen]) -> Vec<MessageType> {
    seen.iter().map(|s| s.msg.msg_type).collect()
}

/// The messages of type `kind` in `seen`.
pub fn of(seen: &[Seen], kind: MessageType) -> Vec<&Seen> {
    seen.iter().filter(|s| s.msg.msg_type == kind).collect()
}

/// IA_NA 1 with 2001:db8:1::100: T1, T2, preferred and valid lifetimes.
pub fn ia_na(t1: u32, t2: u32, preferred: u32, valid: u32) -> OptionRepr {
    OptionRepr::IaNa(IaNa {
        iaid: 1,
        t1,
        t2,
        options: vec![OptionRepr::IaAddr(IaAddr {
            addr: "2001:db8:1::100".parse().expect("address"),
            preferred_lifetime: preferred,
            valid_lifetime: valid,
            options: vec![],
        })],
    })
}

/// A server message answering `to`: same transaction-id, its Client ID,
/// `server`'s Server ID, then `extra`.
pub fn answer(
    kind: MessageType,
    to: &MessageRepr,
    server: &Duid,
    extra: Vec<OptionRepr>,
) -> MessageRepr {
    let mut options = vec![OptionRepr::ServerId(server.clone())];
    if let Some(c) = to.client_id() {
        options.insert(0, OptionRepr::ClientId(c.clone()));
    }
    options.extend(extra);
    MessageRepr {
        msg_type: kind,
        transaction_id: to.transaction_id,
        options,
    }
}
