//! Overload (doc/overload.md): dhcp6s is stopped (SIGSTOP) while its
//! socket fills with Solicits of new clients and then, later, Renews of
//! clients it has bound; after SIGCONT the Renews are answered and the
//! Solicits, which waited far longer than the server's queueing target,
//! are shed and counted in the statistics file. Before that, ordinary
//! exchanges without backlog shed nothing. Not a timing test: the
//! backlog's age comes from the stop, which lasts far past every threshold.
//! The same for dhcp6relay: stale Solicits are not forwarded, Requests are.

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

/// Stops `pid` and queues `FLOOD` Solicits to `to`, then waits far past
/// the queueing target and the stop threshold.
fn stop_and_solicit(sock: &UdpSocket, to: SocketAddrV6, pid: u32) {
    kill("-STOP", pid);
    for i in 0..FLOOD {
        let id = OptionRepr::ClientId(duid(1000 + i));
        let m = message(MessageType::Solicit, 1000 + i, vec![id, ia(None)]);
        send(sock, to, &m);
    }
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
    for (n, server, addr) in &bound {
        let opts = vec![
            OptionRepr::ClientId(duid(*n)),
            OptionRepr::ServerId(server.clone()),
            ia(Some(*addr)),
        ];
        send(sock, to, &message(MessageType::Renew, 0x200 + n, opts));
    }
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

#[test]
fn stale_solicits_are_shed_and_renewals_answered() {
    require_root();
    let (cns, sns) = (Netns::new("oc"), Netns::new("os"));
    veth(&cns, "c0", &sns, "s0");
    sns.addr("s0", "2001:db8:ff::2/64");
    let s = Scratch::new(&format!("{}-files", sns.name));
    let prom = s.path("dhcp6s.prom");
    let extra = ["--stats-file", &prom, "--stats-interval", "3600", "s0"];
    let srv = our_dhcp6s(&sns, &s, CONF, &extra);
    let to = SocketAddrV6::new("ff02::1:2".parse().unwrap(), 547, 0, cns.ifindex("c0"));

    // Without backlog: every exchange answered, nothing shed.
    // One client socket for both phases, on the client port (546).
    let (sock, bound) = cns.run_in(move || {
        let sock = client_socket(546, Duration::from_secs(3));
        let bound = (1..=u32::from(BOUND))
            .map(|n| {
                let (server, addr) = bind(&sock, to, n);
                (n, server, addr)
            })
            .collect::<Vec<_>>();
        (sock, bound)
    });
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
