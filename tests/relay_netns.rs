//! dhcp6relay in network namespaces: client ns —(c0|r0)— relay ns
//! —(r1|s0)— server ns. The relay's Relay-forward bytes are checked field by
//! field by a test server socket; replies it must refuse are sent and
//! checked to go nowhere; a malformed barrage must not stop it.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};
use std::time::Duration;

use common::{require_root, veth, wait_until, Daemon, Netns};
use libdhcp6::codes::MessageType;
use libdhcp6::wire::{
    decapsulate, emit_to_vec, encapsulate_reply, MessageRepr, OptionRepr, RelayMessage, RelayRepr,
};

const RELAY_LINK: &str = "2001:db8:1::1";
const RELAY_UP: &str = "2001:db8:ff::1";
const SERVER: &str = "2001:db8:ff::2";
const ROGUE: &str = "2001:db8:ff::3";

struct Topo {
    client: Netns,
    relay: Netns,
    server: Netns,
}

fn topology() -> Topo {
    require_root();
    let t = Topo {
        client: Netns::new("c"),
        relay: Netns::new("r"),
        server: Netns::new("s"),
    };
    veth(&t.client, "c0", &t.relay, "r0");
    veth(&t.relay, "r1", &t.server, "s0");
    t.relay.addr("r0", &format!("{RELAY_LINK}/64"));
    t.relay.addr("r1", &format!("{RELAY_UP}/64"));
    t.server.addr("s0", &format!("{SERVER}/64"));
    t.server.addr("s0", &format!("{ROGUE}/64"));
    t.server.route("2001:db8:1::/64", RELAY_UP);
    t
}

fn start_relay(t: &Topo, extra: &[&str]) -> Daemon {
    let pid = std::env::temp_dir().join(format!("{}.pid", t.relay.name));
    let pid = pid.to_string_lossy().into_owned();
    let mut args = vec!["-f", "-D", "-p", &pid, "-s", SERVER];
    args.extend_from_slice(extra);
    args.push("r0");
    let d = t.relay.spawn(env!("CARGO_BIN_EXE_dhcp6relay"), &args);
    d.wait_log("relaying for", Duration::from_secs(10));
    d
}

fn solicit(xid: u32) -> Vec<u8> {
    MessageRepr {
        msg_type: MessageType::Solicit,
        transaction_id: xid,
        options: vec![
            OptionRepr::ClientId(
                libdhcp6::Duid::from_text("00:03:00:01:02:00:00:00:00:01").unwrap(),
            ),
            OptionRepr::ElapsedTime(0),
        ],
    }
    .to_vec()
    .unwrap()
}

fn client_socket() -> UdpSocket {
    let s = UdpSocket::bind("[::]:546").expect("bind client port");
    s.set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    s
}

fn server_socket(addr: &str) -> UdpSocket {
    let s = UdpSocket::bind(format!("[{addr}]:547")).expect("bind server port");
    s.set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    s
}

/// Sends `msgs` from the client namespace to ff02::1:2 and returns what the
/// server socket receives (Relay-forwards and their source).
fn client_to_server(t: &Topo, msgs: Vec<Vec<u8>>, expect: usize) -> Vec<(Vec<u8>, SocketAddrV6)> {
    let c0 = t.client.ifindex("c0");
    let server = t.server.spawn_ready(move |ready| {
        let s = server_socket("::");
        ready.go();
        let mut got = Vec::new();
        let mut buf = [0u8; 65535];
        for _ in 0..expect.max(1) {
            match s.recv_from(&mut buf) {
                Ok((n, std::net::SocketAddr::V6(src))) => got.push((buf[..n].to_vec(), src)),
                _ => break,
            }
        }
        got
    });
    t.client.run_in(move || {
        let s = client_socket();
        for m in msgs {
            s.send_to(
                &m,
                SocketAddrV6::new("ff02::1:2".parse().unwrap(), 547, 0, c0),
            )
            .unwrap();
        }
    });
    server.join().unwrap()
}

fn counters(d: &Daemon) -> String {
    // The report is many lines: wait for a new copy of its last one, not
    // its first, or the log may be read while the report is half written.
    let last = libdhcp6::overload::ShedReason::ALL
        .last()
        .map_or("stale", |r| r.name());
    let end = format!("shed under overload ({last}):");
    let before = d.log().matches(&end).count();
    d.signal("USR1");
    assert!(
        wait_until(Duration::from_secs(20), || d.log().matches(&end).count()
            > before),
        "no counter report within 20 s; log:\n{}",
        d.log()
    );
    d.log()
}

/// C-086 … C-089, C-100, C-101, C-103, C-111 on the wire: the Relay-forward
/// our relay sends, field by field, and the Advertise it hands back.
#[test]
fn relay_forward_bytes_and_reply_delivery() {
    let t = topology();
    let relay = start_relay(&t, &[]);
    let client_ll = t.client.link_local("c0");
    let r0 = t.relay.ifindex("r0");
    let sol = solicit(0x4242);
    let got = client_to_server(&t, vec![sol.clone()], 1);
    assert_eq!(
        got.len(),
        1,
        "no Relay-forward reached the server; relay log:\n{}",
        relay.log()
    );
    let (fwd, src) = &got[0];
    // The Relay-forward, field by field.
    assert_eq!(fwd[0], 12, "msg-type RELAY-FORW");
    assert_eq!(fwd[1], 0, "hop-count");
    assert_eq!(
        Ipv6Addr::from(<[u8; 16]>::try_from(&fwd[2..18]).unwrap()),
        RELAY_LINK.parse::<Ipv6Addr>().unwrap(),
        "link-address"
    );
    assert_eq!(
        Ipv6Addr::from(<[u8; 16]>::try_from(&fwd[18..34]).unwrap()),
        client_ll,
        "peer-address"
    );
    assert_eq!(&fwd[34..36], &[0, 9], "OPTION_RELAY_MSG first");
    assert_eq!(u16::from_be_bytes([fwd[36], fwd[37]]) as usize, sol.len());
    assert_eq!(
        &fwd[38..38 + sol.len()],
        &sol[..],
        "client message unchanged"
    );
    let rest = &fwd[38 + sol.len()..];
    assert_eq!(
        rest,
        &[&[0, 18, 0, 4][..], &r0.to_be_bytes()].concat()[..],
        "Interface-ID = ifindex"
    );
    assert_eq!(*src.ip(), RELAY_UP.parse::<Ipv6Addr>().unwrap());
    assert_eq!(src.port(), 547);

    // The server's answer goes back through the relay to the client.
    let fwd = fwd.clone();
    let src = *src;
    let advertise = vec![2, 0, 0x42, 0x42, 0, 7, 0, 1, 0];
    let adv = advertise.clone();
    let client = t.client.spawn_ready(move |ready| {
        let s = client_socket();
        ready.go();
        let mut buf = [0u8; 1500];
        s.recv_from(&mut buf).ok().map(|(n, _)| buf[..n].to_vec())
    });
    t.server.run_in(move || {
        let (chain, _) = decapsulate(&fwd).unwrap();
        let reply = emit_to_vec(|w| encapsulate_reply(&chain, &adv, w)).unwrap();
        server_socket(SERVER).send_to(&reply, src).unwrap();
    });
    assert_eq!(
        client.join().unwrap(),
        Some(advertise),
        "relay log:\n{}",
        relay.log()
    );
}

/// C-092 and the safety checks WIDE lacks: a hop count at the limit, a
/// Relay-reply from an unknown server and one for an unknown interface are
/// dropped and counted.
#[test]
fn refusals_are_dropped_and_counted() {
    let t = topology();
    let relay = start_relay(&t, &[]);
    let at_limit = RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count: 8,
        link_address: Ipv6Addr::UNSPECIFIED,
        peer_address: "fe80::99".parse().unwrap(),
        options: vec![OptionRepr::RelayMsg(solicit(1))],
    }
    .to_vec()
    .unwrap();
    let got = client_to_server(&t, vec![at_limit], 1);
    assert!(got.is_empty(), "hop count 8 was relayed");

    let client_ll = t.client.link_local("c0");
    let r0 = t.relay.ifindex("r0");
    let reply = |ifid: u32| {
        RelayRepr {
            msg_type: MessageType::RelayRepl,
            hop_count: 0,
            link_address: RELAY_LINK.parse().unwrap(),
            peer_address: client_ll,
            options: vec![
                OptionRepr::InterfaceId(ifid.to_be_bytes().to_vec()),
                OptionRepr::RelayMsg(vec![7, 0, 0, 1]),
            ],
        }
        .to_vec()
        .unwrap()
    };
    let (good, unknown_if) = (reply(r0), reply(r0 + 100));
    let client = t.client.spawn_ready(move |ready| {
        let s = client_socket();
        ready.go();
        let mut buf = [0u8; 1500];
        let mut n = 0;
        while s.recv_from(&mut buf).is_ok() {
            n += 1;
        }
        n
    });
    t.server.run_in(move || {
        let to = SocketAddrV6::new(RELAY_UP.parse().unwrap(), 547, 0, 0);
        server_socket(ROGUE).send_to(&good, to).unwrap();
        server_socket(SERVER).send_to(&unknown_if, to).unwrap();
    });
    assert_eq!(
        client.join().unwrap(),
        0,
        "a refused Relay-reply reached the client"
    );
    let log = counters(&relay);
    for line in [
        "dropped (hop count limit): 1",
        "dropped (relay-reply from unknown server): 1",
        "dropped (relay-reply for unknown interface): 1",
    ] {
        assert!(log.contains(line), "missing {line:?} in:\n{log}");
    }
}

/// The server's robustness barrage aimed at the relay: it stays up and
/// still relays a valid Solicit.
#[test]
fn malformed_barrage_then_still_relays() {
    let t = topology();
    let mut relay = start_relay(&t, &[]);
    let junk = common::barrage();
    let count = junk.len();
    client_to_server(&t, junk, count);
    assert!(relay.alive(), "relay died:\n{}", relay.log());
    let got = client_to_server(&t, vec![solicit(0x77)], 1);
    assert_eq!(
        got.len(),
        1,
        "valid Solicit not relayed after the barrage:\n{}",
        relay.log()
    );
    let view = RelayMessage::new_checked(&got[0].0[..]).unwrap();
    assert_eq!(view.relay_msg().unwrap(), &solicit(0x77)[..]);
}

/// What a multicast-listening test server saw of one Relay-forward.
struct Seen {
    bytes: Vec<u8>,
    dst: Ipv6Addr,
    hop_limit: i32,
}

/// A server socket in `ns` joined to ff05::1:3 on `ifname`, reporting the
/// destination and IPv6 hop limit of what it receives.
fn multicast_server(ns: &Netns, ifname: &str) -> std::thread::JoinHandle<Option<Seen>> {
    use nix::sys::socket::{
        recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn6,
    };
    use std::os::fd::AsRawFd;
    let ifindex = ns.ifindex(ifname);
    ns.spawn_ready(move |ready| {
        let s = server_socket("::");
        s.join_multicast_v6(&"ff05::1:3".parse().unwrap(), ifindex)
            .unwrap();
        setsockopt(&s, sockopt::Ipv6RecvPacketInfo, &true).unwrap();
        setsockopt(&s, sockopt::Ipv6RecvHopLimit, &true).unwrap();
        ready.go();
        let mut buf = [0u8; 4096];
        let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            let mut iov = [std::io::IoSliceMut::new(&mut buf)];
            let Ok(msg) =
                recvmsg::<SockaddrIn6>(s.as_raw_fd(), &mut iov, Some(&mut cmsg), MsgFlags::empty())
            else {
                continue;
            };
            let mut seen = Seen {
                bytes: Vec::new(),
                dst: Ipv6Addr::UNSPECIFIED,
                hop_limit: -1,
            };
            for c in msg.cmsgs().unwrap() {
                match c {
                    ControlMessageOwned::Ipv6PacketInfo(i) => {
                        seen.dst = Ipv6Addr::from(i.ipi6_addr.s6_addr)
                    }
                    ControlMessageOwned::Ipv6HopLimit(h) => seen.hop_limit = h,
                    _ => {}
                }
            }
            let n = msg.bytes;
            seen.bytes = buf[..n].to_vec();
            return Some(seen);
        }
        None
    })
}

fn send_from_client(t: &Topo, msg: Vec<u8>) {
    let c0 = t.client.ifindex("c0");
    t.client.run_in(move || {
        client_socket()
            .send_to(
                &msg,
                SocketAddrV6::new("ff02::1:2".parse().unwrap(), 547, 0, c0),
            )
            .unwrap();
    });
}

fn interface_id(fwd: &[u8]) -> Vec<u8> {
    let view = RelayMessage::new_checked(fwd).unwrap();
    view.options()
        .map(|o| o.unwrap())
        .find(|o| o.code == libdhcp6::OptionCode::InterfaceId)
        .map(|o| o.data.to_vec())
        .expect("Interface-ID")
}

/// C-095 and C-096: with no -s the relay sends to ff05::1:3 port 547 with
/// hop limit 8 (and -H changes it). C-090: the Interface-ID survives a
/// restart. SIGTERM exits cleanly and removes the PID file; SIGHUP re-reads
/// interfaces and the relay goes on.
#[test]
fn c090_c095_c096_multicast_default_restart_and_signals() {
    let t = topology();
    let pid = std::env::temp_dir().join(format!("{}-mc.pid", t.relay.name));
    let pid_s = pid.to_string_lossy().into_owned();
    let start = |extra: &[&str]| {
        let mut args = vec!["-f", "-d", "-p", &pid_s, "-r", "r1"];
        args.extend_from_slice(extra);
        args.push("r0");
        let d = t.relay.spawn(env!("CARGO_BIN_EXE_dhcp6relay"), &args);
        d.wait_log("relaying for", Duration::from_secs(10));
        d
    };
    let mut relay = start(&[]);
    assert!(pid.exists(), "no PID file");
    let server = multicast_server(&t.server, "s0");
    send_from_client(&t, solicit(0x95));
    let seen = server
        .join()
        .unwrap()
        .unwrap_or_else(|| panic!("nothing at ff05::1:3:\n{}", relay.log()));
    assert_eq!(
        seen.dst,
        "ff05::1:3".parse::<Ipv6Addr>().unwrap(),
        "C-095 destination"
    );
    assert_eq!(seen.hop_limit, 8, "C-096 hop limit");
    let first_id = interface_id(&seen.bytes);

    // SIGHUP: interfaces re-read, still relaying.
    relay.signal("HUP");
    relay.wait_log("SIGHUP", Duration::from_secs(5));
    let server = multicast_server(&t.server, "s0");
    send_from_client(&t, solicit(0x96));
    assert!(
        server.join().unwrap().is_some(),
        "nothing relayed after SIGHUP:\n{}",
        relay.log()
    );
    assert!(relay.alive());

    // SIGTERM: clean exit, PID file gone.
    relay.signal("TERM");
    assert_eq!(
        relay.wait_exit(Duration::from_secs(5)),
        Some(0),
        "{}",
        relay.log()
    );
    assert!(!pid.exists(), "PID file left behind");

    // Restart with -H 3: same Interface-ID, the new hop limit.
    let _relay = start(&["-H", "3"]);
    let server = multicast_server(&t.server, "s0");
    send_from_client(&t, solicit(0x97));
    let seen = server.join().unwrap().expect("relayed after restart");
    assert_eq!(seen.hop_limit, 3, "-H");
    assert_eq!(
        interface_id(&seen.bytes),
        first_id,
        "C-090 Interface-ID changed across restart"
    );
}

/// Several client links and several servers: a Solicit from each link goes
/// to every `-s` server, with that link's Interface-ID and link-address.
#[test]
fn two_client_links_two_servers() {
    let t = topology();
    let client2 = Netns::new("c2");
    veth(&client2, "c0", &t.relay, "r2");
    t.relay.addr("r2", "2001:db8:3::1/64");
    let pid = std::env::temp_dir().join(format!("{}-2.pid", t.relay.name));
    let pid = pid.to_string_lossy().into_owned();
    let relay = t.relay.spawn(
        env!("CARGO_BIN_EXE_dhcp6relay"),
        &[
            "-f", "-D", "-p", &pid, "-r", "r1", "-s", SERVER, "-s", ROGUE, "r0", "r2",
        ],
    );
    relay.wait_log("relaying for", Duration::from_secs(10));
    let listen = |addr: &'static str| {
        t.server.spawn_ready(move |ready| {
            let s = server_socket(addr);
            ready.go();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok((n, _)) = s.recv_from(&mut buf) {
                got.push(buf[..n].to_vec());
                if got.len() == 2 {
                    break;
                }
            }
            got
        })
    };
    let (a, b) = (listen(SERVER), listen(ROGUE));
    send_from_client(&t, solicit(1));
    let c0 = client2.ifindex("c0");
    client2.run_in(move || {
        client_socket()
            .send_to(
                &solicit(2),
                SocketAddrV6::new("ff02::1:2".parse().unwrap(), 547, 0, c0),
            )
            .unwrap();
    });
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert_eq!(a.len(), 2, "first server: {a:?}\n{}", relay.log());
    assert_eq!(a, b, "both servers get the same Relay-forwards");
    let (r0, r2) = (t.relay.ifindex("r0"), t.relay.ifindex("r2"));
    let mut seen: Vec<(Vec<u8>, Ipv6Addr)> = a
        .iter()
        .map(|f| {
            (
                interface_id(f),
                RelayMessage::new_checked(&f[..]).unwrap().link_address(),
            )
        })
        .collect();
    seen.sort();
    let mut want = vec![
        (
            r0.to_be_bytes().to_vec(),
            RELAY_LINK.parse::<Ipv6Addr>().unwrap(),
        ),
        (
            r2.to_be_bytes().to_vec(),
            "2001:db8:3::1".parse::<Ipv6Addr>().unwrap(),
        ),
    ];
    want.sort();
    assert_eq!(seen, want);
}
