//! Overload (doc/overload.md): dhcp6s is stopped (SIGSTOP) while its
//! socket fills with Solicits of new clients and then, later, Renews of
//! clients it has bound; after SIGCONT the Renews are answered and the
//! Solicits, which waited far longer than the server's queueing target,
//! are shed and counted in the statistics file. Before that, ordinary
//! exchanges without backlog shed nothing. Not a timing test: the
//! backlog's age comes from the stop, which lasts far past every threshold.
//! The same for dhcp6relay: stale Solicits are not forwarded, Requests are.
//! And the kernel layer: the admission filter (a classic BPF socket filter)
//! on a socket of ours at share 0, then dhcp6s attaching it under a flood
//! and detaching it once the flood is over.

// Network namespaces: these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};
use std::time::{Duration, Instant};

use common::peers::{counters, our_dhcp6s, Scratch};
use common::prom::{parse, Exposition};
use common::{relayed, require_root, veth, Daemon, Netns};
use libdhcp6::codes::MessageType;
use libdhcp6::wire::{IaAddr, IaNa, MessageRepr, OptionRepr};
use libdhcp6::Duid;

const CONF: &str = "\
pool p { range 2001:db8:ff::100 to 2001:db8:ff::1ff; };
interface s0 { address-pool p 3000 4000; };
";
/// Solicits queued while the server is stopped.
const FLOOD: u32 = 200;
/// Bound clients that renew while the Solicits wait.
const BOUND: u8 = 3;

fn duid(n: u32) -> Duid {
    let b = n.to_be_bytes();
    Duid::from_bytes(&[0, 3, 0, 1, 2, 0, b[0], b[1], b[2], b[3]]).unwrap()
}

/// A client socket on c0 bound to `port`, answers awaited up to `timeout`.
fn client_socket(port: u16, timeout: Duration) -> UdpSocket {
    let sock = UdpSocket::bind(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0)).unwrap();
    sock.set_read_timeout(Some(timeout)).unwrap();
    sock
}

fn send(sock: &UdpSocket, to: SocketAddrV6, m: &MessageRepr) {
    sock.send_to(&m.to_vec().unwrap(), to).unwrap();
}

fn recv(sock: &UdpSocket) -> Option<MessageRepr> {
    let mut buf = [0u8; 4096];
    let (len, _) = sock.recv_from(&mut buf).ok()?;
    MessageRepr::from_bytes(&buf[..len]).ok()
}

fn ia(addr: Option<Ipv6Addr>) -> OptionRepr {
    OptionRepr::IaNa(IaNa {
        iaid: 1,
        options: addr
            .map(|addr| {
                vec![OptionRepr::IaAddr(IaAddr {
                    addr,
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    options: vec![],
                })]
            })
            .unwrap_or_default(),
        ..Default::default()
    })
}

fn message(t: MessageType, xid: u32, mut options: Vec<OptionRepr>) -> MessageRepr {
    options.push(OptionRepr::ElapsedTime(0));
    MessageRepr {
        msg_type: t,
        transaction_id: xid,
        options,
    }
}

/// Solicit, Advertise, Request, Reply for client `n`: the server's DUID
/// and the address bound.
fn bind(sock: &UdpSocket, to: SocketAddrV6, n: u32) -> (Duid, Ipv6Addr) {
    let id = OptionRepr::ClientId(duid(n));
    send(
        sock,
        to,
        &message(MessageType::Solicit, n, vec![id.clone(), ia(None)]),
    );
    let adv = recv(sock).expect("Advertise");
    let server = adv.server_id().expect("Server ID").clone();
    let req = vec![id, OptionRepr::ServerId(server.clone()), ia(None)];
    send(sock, to, &message(MessageType::Request, 0x100 + n, req));
    let reply = recv(sock).expect("Reply");
    let addr = reply
        .options
        .iter()
        .find_map(|o| match o {
            OptionRepr::IaNa(i) => i.addresses().next().map(|a| a.addr),
            _ => None,
        })
        .expect("an address");
    (server, addr)
}

/// Sends `sig` to process `pid`.
fn kill(sig: &str, pid: u32) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

/// Sends `n` Solicits of new clients numbered from `first`.
fn solicits(sock: &UdpSocket, to: SocketAddrV6, first: u32, n: u32) {
    for i in first..first + n {
        let id = OptionRepr::ClientId(duid(i));
        send(
            sock,
            to,
            &message(MessageType::Solicit, i, vec![id, ia(None)]),
        );
    }
}

/// Sends a Renew (transaction-id 0x200 + n) for each bound client.
fn renews(sock: &UdpSocket, to: SocketAddrV6, bound: &[(u32, Duid, Ipv6Addr)]) {
    for (n, server, addr) in bound {
        let opts = vec![
            OptionRepr::ClientId(duid(*n)),
            OptionRepr::ServerId(server.clone()),
            ia(Some(*addr)),
        ];
        send(sock, to, &message(MessageType::Renew, 0x200 + n, opts));
    }
}

/// Stops `pid` and queues `FLOOD` Solicits to `to`, then waits far past
/// the queueing target and the stop threshold.
fn stop_and_solicit(sock: &UdpSocket, to: SocketAddrV6, pid: u32) {
    kill("-STOP", pid);
    solicits(sock, to, 1000, FLOOD);
    std::thread::sleep(Duration::from_millis(300));
}

/// Stops the server (`pid`), queues `FLOOD` Solicits, waits, queues a
/// Renew for each of `bound`, and lets the server go on: the answers
/// that come back, as (type, transaction-id).
fn flood(
    sock: &UdpSocket,
    to: SocketAddrV6,
    pid: u32,
    bound: Vec<(u32, Duid, Ipv6Addr)>,
) -> Vec<(MessageType, u32)> {
    stop_and_solicit(sock, to, pid);
    renews(sock, to, &bound);
    std::thread::sleep(Duration::from_millis(100));
    kill("-CONT", pid);
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end && got.len() < bound.len() {
        match recv(sock) {
            Some(m) => got.push((m.msg_type, m.transaction_id)),
            None => break,
        }
    }
    // Anything else that comes (an Advertise would be a failure).
    while let Some(m) = recv(sock) {
        got.push((m.msg_type, m.transaction_id));
    }
    got
}

/// The statistics file, written on SIGUSR1 with the counters' log.
fn stats(srv: &Daemon, path: &str) -> Exposition {
    counters(srv, "bindings:");
    let text = std::fs::read_to_string(path).unwrap();
    parse(&text).unwrap_or_else(|e| panic!("{path}: {e}\n{text}"))
}

/// A server on s0 in its namespace with a statistics file, a client
/// namespace on c0, and `BOUND` clients bound through one client socket
/// on port 546 (answers awaited up to `timeout`).
struct Setup {
    cns: Netns,
    _sns: Netns,
    _files: Scratch,
    srv: Daemon,
    prom: String,
    to: SocketAddrV6,
    sock: UdpSocket,
    bound: Vec<(u32, Duid, Ipv6Addr)>,
}

impl Setup {
    fn new(tag: &str, timeout: Duration) -> Self {
        require_root();
        let (cns, sns) = (
            Netns::new(&format!("{tag}c")),
            Netns::new(&format!("{tag}s")),
        );
        veth(&cns, "c0", &sns, "s0");
        sns.addr("s0", "2001:db8:ff::2/64");
        let files = Scratch::new(&format!("{}-files", sns.name));
        let prom = files.path("dhcp6s.prom");
        let extra = ["--stats-file", &prom, "--stats-interval", "3600", "s0"];
        let srv = our_dhcp6s(&sns, &files, CONF, &extra);
        let to = SocketAddrV6::new("ff02::1:2".parse().unwrap(), 547, 0, cns.ifindex("c0"));
        let (sock, bound) = cns.run_in(move || {
            let sock = client_socket(546, timeout);
            let bound = (1..=u32::from(BOUND))
                .map(|n| {
                    let (server, addr) = bind(&sock, to, n);
                    (n, server, addr)
                })
                .collect::<Vec<_>>();
            (sock, bound)
        });
        Self {
            cns,
            _sns: sns,
            _files: files,
            srv,
            prom,
            to,
            sock,
            bound,
        }
    }
}

#[test]
fn stale_solicits_are_shed_and_renewals_answered() {
    // Without backlog: every exchange answered, nothing shed.
    // One client socket for both phases, on the client port (546).
    let Setup {
        cns,
        srv,
        prom,
        to,
        sock,
        bound,
        _sns,
        _files,
    } = Setup::new("o", Duration::from_secs(3));
    let e = stats(&srv, &prom);
    for series in [
        "kame6_dhcp6s_shed_total{reason=\"stale\"}",
        "kame6_dhcp6s_shed_total{reason=\"retransmitted\"}",
    ] {
        assert_eq!(e.get(series), 0.0, "{series}\n{}", srv.log());
    }
    assert!(!srv.log().contains("overload:"), "{}", srv.log());

    // A backlog of old Solicits ahead of fresh Renews.
    let server_pid = srv.pid();
    let got = cns.run_in(move || flood(&sock, to, server_pid, bound));
    let mut renewed: Vec<u32> = got
        .iter()
        .filter(|(t, _)| *t == MessageType::Reply)
        .map(|(_, x)| *x)
        .collect();
    renewed.sort_unstable();
    let want: Vec<u32> = (1..=u32::from(BOUND)).map(|n| 0x200 + n).collect();
    assert_eq!(renewed, want, "{got:?}\n{}", srv.log());
    assert!(
        got.iter().all(|(t, _)| *t != MessageType::Advertise),
        "{got:?}"
    );
    let e = stats(&srv, &prom);
    let log = srv.log();
    assert_eq!(
        e.get("kame6_dhcp6s_shed_total{reason=\"stale\"}"),
        f64::from(FLOOD),
        "{log}"
    );
    assert_eq!(
        e.get("kame6_dhcp6s_received_total{type=\"solicit\"}"),
        f64::from(BOUND)
    );
    assert_eq!(
        e.get("kame6_dhcp6s_received_total{type=\"renew\"}"),
        f64::from(BOUND)
    );
    assert_eq!(e.get("kame6_dhcp6s_overload_episodes_total"), 1.0);
    assert!(e.get("kame6_dhcp6s_receive_wait_seconds_count") >= f64::from(FLOOD));
    // One line when shedding started, not one per datagram, and one when
    // it stopped (at the first quiet turn: the next wake-up).
    assert_eq!(log.matches("overload: shedding").count(), 1, "{log}");
    counters(&srv, "bindings:");
    srv.wait_log("overload over: 200 datagrams shed", Duration::from_secs(10));
    assert_eq!(srv.log().matches("overload over").count(), 1);
}

/// dhcp6relay stopped while Solicits queue and then Requests: after
/// SIGCONT the Requests are forwarded, the Solicits shed and counted;
/// Solicits sent without backlog are all forwarded.
#[test]
fn relay_forwards_fresh_messages_and_sheds_stale_solicits() {
    let t = relayed();
    let (client, rns) = (&t.client, &t.relay);
    let s = Scratch::new(&format!("{}-files", rns.name));
    let (pid, prom) = (s.path("relay.pid"), s.path("relay.prom"));
    let args = [
        "-f",
        "-d",
        "-p",
        &pid,
        "-r",
        "r1",
        "-s",
        "2001:db8:ff::2",
        "--stats-file",
        &prom,
        "--stats-interval",
        "3600",
        "r0",
    ];
    let rly = rns.spawn(env!("CARGO_BIN_EXE_dhcp6relay"), &args);
    rly.wait_log("relaying for", Duration::from_secs(10));
    let to = SocketAddrV6::new("ff02::1:2".parse().unwrap(), 547, 0, client.ifindex("c0"));
    let relay_pid = rly.pid();
    client.run_in(move || {
        // The relay forwards from any port; nothing answers here.
        let sock = client_socket(0, Duration::from_secs(1));
        // Without backlog: three Solicits, all forwarded.
        for n in 1..=3 {
            let m = message(
                MessageType::Solicit,
                n,
                vec![OptionRepr::ClientId(duid(n)), ia(None)],
            );
            send(&sock, to, &m);
            std::thread::sleep(Duration::from_millis(50));
        }
        stop_and_solicit(&sock, to, relay_pid);
        for n in 1..=u32::from(BOUND) {
            let opts = vec![
                OptionRepr::ClientId(duid(n)),
                OptionRepr::ServerId(duid(9999)),
                ia(None),
            ];
            send(&sock, to, &message(MessageType::Request, 0x100 + n, opts));
        }
        std::thread::sleep(Duration::from_millis(100));
        kill("-CONT", relay_pid);
    });
    let e = wait_forwarded(&rly, &prom, 3 + u32::from(BOUND));
    let log = rly.log();
    assert_eq!(
        e.get("kame6_dhcp6relay_shed_total{reason=\"stale\"}"),
        f64::from(FLOOD),
        "{log}"
    );
    assert_eq!(
        e.get("kame6_dhcp6relay_overload_episodes_total"),
        1.0,
        "{log}"
    );
    assert_eq!(log.matches("overload: shedding").count(), 1, "{log}");
    // The flood also put the admission filter on its client socket for a
    // while; with nothing more coming it comes off again.
    rly.wait_log("overload: admitting", Duration::from_secs(10));
    rly.wait_log("admission filter removed", Duration::from_secs(10));
}

/// The relay's statistics (SIGUSR1) once it has forwarded `n` messages.
fn wait_forwarded(rly: &Daemon, prom: &str, n: u32) -> Exposition {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        counters(rly, "relay-forward sent:");
        let text = std::fs::read_to_string(prom).unwrap_or_default();
        let e = parse(&text).unwrap_or_else(|err| panic!("{prom}: {err}\n{text}"));
        let forwarded = e.get("kame6_dhcp6relay_relay_forward_total");
        if forwarded >= f64::from(n) || Instant::now() > end {
            assert_eq!(forwarded, f64::from(n), "{}", rly.log());
            return e;
        }
    }
}

/// A Relay-forward around `inner`, with `before` options ahead of the
/// Relay Message and an Interface-ID after it when `id_after` (WIDE's and
/// our relay's layout; ISC's dhcrelay puts the Interface-ID first).
fn relay_forward(inner: &[u8], before: &[u8], id_after: bool) -> Vec<u8> {
    let mut m = vec![12u8, 0];
    m.extend_from_slice(&"2001:db8:ff::1".parse::<Ipv6Addr>().unwrap().octets());
    m.extend_from_slice(&"fe80::1".parse::<Ipv6Addr>().unwrap().octets());
    m.extend_from_slice(before);
    m.extend_from_slice(&[0, 9]);
    m.extend_from_slice(&u16::try_from(inner.len()).unwrap().to_be_bytes());
    m.extend_from_slice(inner);
    if id_after {
        m.extend_from_slice(&[0, 18, 0, 4, 0, 0, 0, 2]);
    }
    m
}

/// The kernel itself, with the admission filter at share 0 on a socket of
/// ours: Solicits and Information-requests, direct or relayed in either
/// layout, never reach the socket and are counted as the socket's drops;
/// everything else (and a truncated relay) arrives. Detached, all arrive.
#[test]
fn the_kernel_filter_drops_only_new_exchanges() {
    use libdhcp6::overload::admission::admission_filter;
    use libdhcp6::sys::net::Udp6Socket;
    require_root();
    let ns = Netns::new("ok");
    ns.run_in(|| {
        let sock = Udp6Socket::bind(Ipv6Addr::LOCALHOST, 0).unwrap();
        let to = sock.local_addr().unwrap();
        let tx = UdpSocket::bind("[::1]:0").unwrap();
        let msg = |t: MessageType, xid: u32| {
            message(t, xid, vec![OptionRepr::ClientId(duid(xid))])
                .to_vec()
                .unwrap()
        };
        let iface_first = [0u8, 18, 0, 4, 0, 0, 0, 2];
        let starts = [
            msg(MessageType::Solicit, 1),
            msg(MessageType::InformationRequest, 2),
            relay_forward(&msg(MessageType::Solicit, 3), &[], true),
            relay_forward(&msg(MessageType::Solicit, 4), &iface_first, false),
            relay_forward(&msg(MessageType::InformationRequest, 5), &[], false),
        ];
        let solicit = relay_forward(&msg(MessageType::Solicit, 20), &[], true);
        let others = [
            msg(MessageType::Request, 10),
            msg(MessageType::Renew, 11),
            msg(MessageType::Rebind, 12),
            msg(MessageType::Release, 13),
            relay_forward(&msg(MessageType::Renew, 14), &iface_first, false),
            relay_forward(&msg(MessageType::Request, 15), &[], true),
            // A Relay-reply, and a relayed Solicit cut inside its message.
            relay_forward(&msg(MessageType::Advertise, 16), &[], true)
                .into_iter()
                .enumerate()
                .map(|(i, b)| if i == 0 { 13 } else { b })
                .collect(),
            solicit[..solicit.len() - 12].to_vec(),
        ];
        let burst = |sock: &Udp6Socket| {
            for m in starts.iter().chain(&others) {
                tx.send_to(m, to).unwrap();
            }
            std::thread::sleep(Duration::from_millis(200));
            let mut got = Vec::new();
            let mut buf = [0u8; 2048];
            while let Some(meta) = sock.recv(&mut buf).unwrap() {
                got.push(buf[..meta.len].to_vec());
            }
            got
        };
        assert_eq!(sock.kernel_drops().unwrap(), 0);
        sock.set_admission_filter(&admission_filter(0.0)).unwrap();
        assert_eq!(burst(&sock), others.to_vec());
        assert_eq!(sock.kernel_drops().unwrap(), 5);
        sock.clear_admission_filter().unwrap();
        let all: Vec<Vec<u8>> = starts.iter().chain(&others).cloned().collect();
        assert_eq!(burst(&sock), all);
        assert_eq!(sock.kernel_drops().unwrap(), 5);
        // Detaching twice is fine; share 1 admits everything.
        sock.clear_admission_filter().unwrap();
        sock.set_admission_filter(&admission_filter(1.0)).unwrap();
        assert_eq!(burst(&sock), all);
        assert_eq!(sock.kernel_drops().unwrap(), 5);
    });
}

/// Queues `n` Solicits of new clients (numbered from `first`) and one
/// Renew for each of `bound`, the server stopped, then lets it go on: the
/// Replies that come back, by transaction-id.
fn burst(
    sock: &UdpSocket,
    to: SocketAddrV6,
    pid: u32,
    first: u32,
    n: u32,
    bound: &[(u32, Duid, Ipv6Addr)],
) -> Vec<u32> {
    kill("-STOP", pid);
    solicits(sock, to, first, n);
    renews(sock, to, bound);
    std::thread::sleep(Duration::from_millis(300));
    kill("-CONT", pid);
    // Only until every Renew is answered: the filter's share climbs back
    // meanwhile, and the next burst should find it still on.
    let mut replies = Vec::new();
    let end = Instant::now() + Duration::from_secs(5);
    while replies.len() < bound.len() && Instant::now() < end {
        match recv(sock) {
            Some(m) if m.msg_type == MessageType::Reply => replies.push(m.transaction_id),
            Some(_) => {}
            None => break,
        }
    }
    replies.sort_unstable();
    replies
}

/// dhcp6s under a flood: once user space has shed a backlog of stale
/// Solicits the server attaches its admission filter, and a second burst
/// of Solicits is (partly, at random) dropped by the kernel before the
/// server sees it, while the Renews in the same burst are all answered;
/// every Solicit sent is accounted for (received, shed in user space or
/// dropped by the kernel). Without pressure no filter is attached and
/// nothing is dropped, before the flood and after the episode ends.
#[test]
fn the_server_admits_new_exchanges_in_the_kernel_under_overload() {
    let Setup {
        cns,
        srv,
        prom,
        to,
        sock,
        bound,
        _sns,
        _files,
    } = Setup::new("a", Duration::from_secs(1));
    let e = stats(&srv, &prom);
    assert_eq!(e.get("kame6_dhcp6s_socket_drops_total"), 0.0);
    assert_eq!(e.get("kame6_dhcp6s_overload_admission_share"), 1.0);
    assert_eq!(e.get("kame6_dhcp6s_admission_episodes_total"), 0.0);

    // A backlog of stale Solicits, all shed in user space: the filter goes on.
    let pid = srv.pid();
    let sock = std::sync::Arc::new(sock);
    let (sk, bd) = (sock.clone(), bound.clone());
    let renewed = cns.run_in(move || burst(&sk, to, pid, 1000, FLOOD, &bd));
    let want: Vec<u32> = (1..=u32::from(BOUND)).map(|n| 0x200 + n).collect();
    assert_eq!(renewed, want, "{}", srv.log());
    srv.wait_log("overload: admitting", Duration::from_secs(10));
    // While it is on, the next burst's Solicits are thinned in the kernel.
    let (sk, bd) = (sock.clone(), bound.clone());
    let renewed = cns.run_in(move || burst(&sk, to, pid, 2000, FLOOD, &bd));
    assert_eq!(renewed, want, "{}", srv.log());
    let e = stats(&srv, &prom);
    let dropped = e.get("kame6_dhcp6s_socket_drops_total");
    assert!(dropped > 0.0, "{}", srv.log());
    let seen = e.get("kame6_dhcp6s_received_total{type=\"solicit\"}")
        + e.get("kame6_dhcp6s_shed_total{reason=\"stale\"}")
        + e.get("kame6_dhcp6s_shed_total{reason=\"retransmitted\"}");
    assert_eq!(
        seen + dropped,
        f64::from(u32::from(BOUND) + 2 * FLOOD),
        "{}",
        srv.log()
    );
    assert_eq!(
        e.get("kame6_dhcp6s_received_total{type=\"renew\"}"),
        f64::from(2 * u32::from(BOUND))
    );

    // Quiet: the episode ends, the filter comes off, one line each way.
    srv.wait_log("admission filter removed", Duration::from_secs(10));
    let log = srv.log();
    assert_eq!(log.matches("overload: admitting").count(), 1, "{log}");
    assert_eq!(log.matches("admission filter removed").count(), 1, "{log}");
    let sk = sock.clone();
    cns.run_in(move || {
        for n in 3000..3003 {
            let id = OptionRepr::ClientId(duid(n));
            send(
                &sk,
                to,
                &message(MessageType::Solicit, n, vec![id, ia(None)]),
            );
            let adv = recv(&sk).expect("Advertise");
            assert_eq!(adv.msg_type, MessageType::Advertise);
        }
    });
    let after = stats(&srv, &prom);
    assert_eq!(after.get("kame6_dhcp6s_socket_drops_total"), dropped);
    assert_eq!(after.get("kame6_dhcp6s_overload_admission_share"), 1.0);
    assert_eq!(after.get("kame6_dhcp6s_admission_episodes_total"), 1.0);
}
