//! kame6's dhcp6s serving real clients in network namespaces: WIDE's
//! dhcp6c and ISC's dhclient -6 obtain an address and a delegated prefix,
//! renew them and release them (the binding is gone afterwards), directly
//! and through WIDE's dhcp6relay, ISC's dhcrelay -6 and our own relay;
//! rapid commit; a stateless client gets its DNS options; two clients never
//! share an address; a pool of two addresses and three clients leaves the
//! third with NoAddrsAvail inside its IA_NA; a malformed barrage leaves the
//! server answering.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};
use std::time::Duration;

use common::peers::{
    bindings, counters, dhclient6, dhcrelay6, our_dhcp6relay, our_dhcp6s, received, wait_address,
    wait_dhclient_lease, wide_argv, wide_dhcp6c, wide_dhcp6c_as, Scratch, WIDE_CLIENT_DUID,
};
use common::{require_program, require_root, veth, wait_until, Daemon, Netns};
use libdhcp6::codes::{MessageType, Status};
use libdhcp6::wire::{IaNa, MessageRepr, OptionRepr};

const WAIT: Duration = Duration::from_secs(30);

/// Short lifetimes so that renewal happens within the test: T1 = 10 s.
const SERVER_CONF: &str = "\
option domain-name-servers 2001:db8:ffff::53;
option domain-name \"example.net\";
pool p1 { range 2001:db8:1::100 to 2001:db8:1::1ff; };
prefix-pool pd1 { prefix 2001:db8:100::/40 delegate 56; };
interface s0 { address-pool p1 20 40; prefix-pool pd1 20 40; };
interface s1 { address-pool p1 20 40; prefix-pool pd1 20 40; };
link relayed { link-address 2001:db8:1::/64; address-pool p1 20 40; prefix-pool pd1 20 40; };
";

const WIDE_CLIENT_CONF: &str = "\
interface c0 { send ia-na 1; send ia-pd 1; request domain-name-servers; };
id-assoc na 1 { };
id-assoc pd 1 { prefix-interface lan0 { sla-id 1; sla-len 8; }; };
";

struct Topo {
    client: Netns,
    server: Netns,
    scratch: Scratch,
}

/// client —(c0|s0)— server, the server on 2001:db8:1::1/64.
fn direct() -> Topo {
    require_root();
    let client = Netns::new("c");
    let server = Netns::new("s");
    veth(&client, "c0", &server, "s0");
    server.addr("s0", "2001:db8:1::1/64");
    client.lan();
    let scratch = Scratch::new(&format!("{}-files", server.name));
    Topo {
        client,
        server,
        scratch,
    }
}

/// client —(c0|r0)— relay —(r1|s0)— server.
fn relayed() -> (Topo, Netns) {
    require_root();
    let client = Netns::new("c");
    let relay = Netns::new("r");
    let server = Netns::new("s");
    veth(&client, "c0", &relay, "r0");
    veth(&relay, "r1", &server, "s0");
    relay.addr("r0", "2001:db8:1::1/64");
    relay.addr("r1", "2001:db8:ff::1/64");
    server.addr("s0", "2001:db8:ff::2/64");
    server.route("2001:db8:1::/64", "2001:db8:ff::1");
    client.lan();
    let scratch = Scratch::new(&format!("{}-files", server.name));
    (
        Topo {
            client,
            server,
            scratch,
        },
        relay,
    )
}

fn dump(ds: &[&Daemon]) -> String {
    ds.iter()
        .map(|d| d.log())
        .collect::<Vec<_>>()
        .join("\n-----\n")
}

/// The WIDE client's address on c0 and the LAN address from its prefix.
fn wide_leased(t: &Topo, ds: &[&Daemon]) {
    assert!(
        wait_address(&t.client, "c0", "2001:db8:1::1", WAIT).is_some(),
        "no address on c0:\n{}",
        dump(ds)
    );
    assert!(
        wait_address(&t.client, "lan0", "2001:db8:1", WAIT).is_some(),
        "no LAN address from the prefix:\n{}",
        dump(ds)
    );
}

fn wait_renew(server: &Daemon, ds: &[&Daemon]) {
    let ok = wait_until(WAIT, || {
        received(&counters(server, "bindings:"), "renew") >= 1
    });
    assert!(ok, "no Renew within {WAIT:?}:\n{}", dump(ds));
}

fn wait_no_bindings(server: &Daemon, ds: &[&Daemon]) {
    let ok = wait_until(Duration::from_secs(15), || {
        bindings(&counters(server, "bindings:")) == Some(0)
    });
    assert!(ok, "bindings left after Release:\n{}", dump(ds));
}

/// Which relay sits between client and server.
#[derive(Clone, Copy)]
enum Via {
    Direct,
    Wide,
    Isc,
    Kame6,
    /// Our relay sending upstream from port 10547 (RFC 8357).
    Kame6Port,
}

/// Which client asks.
#[derive(Clone, Copy)]
enum Client {
    Wide,
    Isc,
}

/// Lease, renew and release through `via`: the client gets an address and a
/// prefix, renews at T1 (10 s), releases, and the server holds no binding after.
fn lease_renew_release(via: Via, who: Client) {
    let (t, relay_ns) = match via {
        Via::Direct => (direct(), None),
        _ => {
            let (t, r) = relayed();
            (t, Some(r))
        }
    };
    let server = our_dhcp6s(&t.server, &t.scratch, SERVER_CONF, &["s0"]);
    let relay = relay_ns.as_ref().map(|r| {
        let pid = t.scratch.path("relay.pid");
        match via {
            Via::Wide => {
                let bin = require_program("dhcp6relay");
                let d = r.spawn(
                    bin.to_str().unwrap(),
                    &[
                        "-f",
                        "-D",
                        "-p",
                        &pid,
                        "-r",
                        "r1",
                        "-s",
                        "2001:db8:ff::2",
                        "r0",
                    ],
                );
                std::thread::sleep(Duration::from_millis(500));
                d
            }
            Via::Isc => dhcrelay6(r, &t.scratch, "r0", "r1", "2001:db8:ff::2"),
            _ => our_dhcp6relay(r, &t.scratch, "r0", "r1", "2001:db8:ff::2"),
        }
    });
    let mut logs: Vec<&Daemon> = vec![&server];
    logs.extend(relay.as_ref());
    match who {
        Client::Wide => {
            let mut client = wide_dhcp6c(&t.client, &t.scratch, "c0", WIDE_CLIENT_CONF);
            let mut all = logs.clone();
            all.push(&client);
            wide_leased(&t, &all);
            wait_renew(&server, &all);
            assert_eq!(
                bindings(&counters(&server, "bindings:")),
                Some(2),
                "one IA_NA and one IA_PD binding"
            );
            client.signal("TERM");
            client.wait_exit(Duration::from_secs(40));
        }
        Client::Isc => {
            let (client, leases) = dhclient6(&t.client, &t.scratch, "c0");
            let mut all = logs.clone();
            all.push(&client);
            let lease = wait_dhclient_lease(&leases, WAIT)
                .unwrap_or_else(|| panic!("no lease:\n{}", dump(&all)));
            assert!(lease.contains("iaaddr 2001:db8:1::1"), "{lease}");
            assert!(lease.contains("iaprefix 2001:db8:1"), "{lease}");
            wait_renew(&server, &all);
            drop(all);
            drop(client);
            // dhclient -r releases what the lease file holds.
            let bin = require_program("dhclient");
            let conf = t.scratch.path("dhclient6.conf");
            let script = t.scratch.path("dhclient-script");
            let pid = t.scratch.path("dhclient6-r.pid");
            let out = t.client.try_exec(&[
                bin.to_str().unwrap(),
                "-6",
                "-r",
                "-N",
                "-P",
                "-cf",
                &conf,
                "-lf",
                &leases,
                "-pf",
                &pid,
                "-sf",
                &script,
                "c0",
            ]);
            assert!(
                out.status.success(),
                "dhclient -r: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    assert!(
        received(&counters(&server, "bindings:"), "release") >= 1,
        "{}",
        dump(&logs)
    );
    wait_no_bindings(&server, &logs);
}

#[test]
fn wide_client_direct() {
    lease_renew_release(Via::Direct, Client::Wide);
}

#[test]
fn isc_client_direct() {
    lease_renew_release(Via::Direct, Client::Isc);
}

#[test]
fn wide_client_through_wide_relay() {
    lease_renew_release(Via::Wide, Client::Wide);
}

#[test]
fn isc_client_through_wide_relay() {
    lease_renew_release(Via::Wide, Client::Isc);
}

#[test]
fn wide_client_through_isc_dhcrelay() {
    lease_renew_release(Via::Isc, Client::Wide);
}

#[test]
fn isc_client_through_isc_dhcrelay() {
    lease_renew_release(Via::Isc, Client::Isc);
}

#[test]
fn wide_client_through_our_relay() {
    lease_renew_release(Via::Kame6, Client::Wide);
}

#[test]
fn rapid_commit_exchange() {
    let t = direct();
    let conf = SERVER_CONF.replace(
        "interface s0 { address-pool p1 20 40; prefix-pool pd1 20 40; };",
        "interface s0 { address-pool p1 20 40; prefix-pool pd1 20 40; allow rapid-commit; };",
    );
    assert!(conf.contains("allow rapid-commit"));
    let server = our_dhcp6s(&t.server, &t.scratch, &conf, &["s0"]);
    let client_conf = WIDE_CLIENT_CONF.replace(
        "request domain-name-servers;",
        "request domain-name-servers; send rapid-commit;",
    );
    let client = wide_dhcp6c(&t.client, &t.scratch, "c0", &client_conf);
    wide_leased(&t, &[&client, &server]);
    let log = counters(&server, "bindings:");
    assert!(received(&log, "solicit") >= 1);
    assert_eq!(
        received(&log, "request"),
        0,
        "two-message exchange expected:\n{log}"
    );
}

#[test]
fn stateless_client_gets_dns() {
    let t = direct();
    let server = our_dhcp6s(&t.server, &t.scratch, SERVER_CONF, &["s0"]);
    let bin = require_program("dhcp6c");
    let pid = t.scratch.path("info.pid");
    let wide = wide_argv(
        &t.scratch,
        "info",
        ("dhcp6c_duid", WIDE_CLIENT_DUID),
        &bin,
        &["-i", "-p", &pid, "-k", "/dev/null", "c0"],
    );
    let mut argv = vec!["timeout", "20", "/bin/sh"];
    argv.extend(wide.iter().map(String::as_str));
    let out = t.client.try_exec(&argv);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("nameserver[0] 2001:db8:ffff::53"),
        "{text}\n{}",
        server.log()
    );
    assert!(
        text.contains("Domain search list[0] example.net."),
        "{text}"
    );
}

/// Two clients on two served interfaces (WIDE's and ISC's): two addresses.
#[test]
fn two_clients_never_share_an_address() {
    require_root();
    let c1 = Netns::new("c1");
    let c2 = Netns::new("c2");
    let server_ns = Netns::new("s");
    veth(&c1, "c0", &server_ns, "s0");
    veth(&c2, "c0", &server_ns, "s1");
    server_ns.addr("s0", "2001:db8:1::1/64");
    server_ns.addr("s1", "2001:db8:1::2/64");
    c1.lan();
    let scratch = Scratch::new(&format!("{}-files", server_ns.name));
    let server = our_dhcp6s(&server_ns, &scratch, SERVER_CONF, &["s0", "s1"]);
    let wide = wide_dhcp6c_as(
        &c1,
        &scratch,
        "a",
        "c0",
        WIDE_CLIENT_CONF,
        "00:03:00:01:02:00:00:00:00:0a",
    );
    let (isc, leases) = dhclient6(&c2, &scratch, "c0");
    let a = wait_address(&c1, "c0", "2001:db8:1::1", WAIT)
        .unwrap_or_else(|| panic!("{}", dump(&[&wide, &server])));
    let lease =
        wait_dhclient_lease(&leases, WAIT).unwrap_or_else(|| panic!("{}", dump(&[&isc, &server])));
    let b = lease
        .split("iaaddr ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    assert_ne!(a, b, "two clients, one address");
}

fn scripted_exchange(
    sock: &UdpSocket,
    to: SocketAddrV6,
    duid_last: u8,
    request: bool,
) -> MessageRepr {
    let duid = libdhcp6::Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, duid_last]).unwrap();
    let ia = OptionRepr::IaNa(IaNa {
        iaid: 1,
        ..Default::default()
    });
    let sol = MessageRepr {
        msg_type: MessageType::Solicit,
        transaction_id: u32::from(duid_last),
        options: vec![
            OptionRepr::ClientId(duid.clone()),
            OptionRepr::ElapsedTime(0),
            ia.clone(),
        ],
    };
    let mut buf = [0u8; 4096];
    sock.send_to(&sol.to_vec().unwrap(), to).unwrap();
    let (n, _) = sock.recv_from(&mut buf).expect("Advertise");
    let adv = MessageRepr::from_bytes(&buf[..n]).unwrap();
    if !request {
        return adv;
    }
    let req = MessageRepr {
        msg_type: MessageType::Request,
        transaction_id: 0x100 + u32::from(duid_last),
        options: vec![
            OptionRepr::ClientId(duid),
            OptionRepr::ServerId(adv.server_id().unwrap().clone()),
            OptionRepr::ElapsedTime(0),
            ia,
        ],
    };
    sock.send_to(&req.to_vec().unwrap(), to).unwrap();
    let (n, _) = sock.recv_from(&mut buf).expect("Reply");
    MessageRepr::from_bytes(&buf[..n]).unwrap()
}

/// A pool of two addresses and three clients: the third gets NoAddrsAvail
/// inside its IA_NA (and no top-level status), on the wire.
#[test]
fn pool_of_two_third_client_gets_no_addrs_avail() {
    let t = direct();
    let conf = "pool two { range 2001:db8:1::a to 2001:db8:1::b; };\ninterface s0 { address-pool two 600 900; };\n";
    let _server = our_dhcp6s(&t.server, &t.scratch, conf, &["s0"]);
    let c0 = t.client.ifindex("c0");
    let replies = t.client.run_in(move || {
        let sock = UdpSocket::bind("[::]:546").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let to = SocketAddrV6::new("ff02::1:2".parse().unwrap(), 547, 0, c0);
        vec![
            scripted_exchange(&sock, to, 1, true),
            scripted_exchange(&sock, to, 2, true),
            scripted_exchange(&sock, to, 3, false),
        ]
    });
    let ia = |m: &MessageRepr| {
        m.options
            .iter()
            .find_map(|o| {
                if let OptionRepr::IaNa(i) = o {
                    Some(i.clone())
                } else {
                    None
                }
            })
            .unwrap()
    };
    let a: Ipv6Addr = ia(&replies[0]).addresses().next().unwrap().addr;
    let b: Ipv6Addr = ia(&replies[1]).addresses().next().unwrap().addr;
    assert_ne!(a, b);
    let third = ia(&replies[2]);
    assert_eq!(third.addresses().count(), 0);
    assert_eq!(third.status().map(|s| s.status), Some(Status::NoAddrsAvail));
    assert!(
        !replies[2]
            .options
            .iter()
            .any(|o| matches!(o, OptionRepr::StatusCode(_))),
        "no top-level status"
    );
}

/// Truncated headers, overrunning options, 40 relay levels, 1000 tiny
/// options, unknown types, server-to-client messages: the server stays up
/// and still answers a valid Solicit.
#[test]
fn malformed_barrage_then_still_answers() {
    let t = direct();
    let mut server = our_dhcp6s(&t.server, &t.scratch, SERVER_CONF, &["s0"]);
    let junk = common::barrage();
    let c0 = t.client.ifindex("c0");
    let answered = t.client.run_in(move || {
        let sock = UdpSocket::bind("[::]:546").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let to = SocketAddrV6::new("ff02::1:2".parse().unwrap(), 547, 0, c0);
        for j in &junk {
            sock.send_to(j, to).unwrap();
        }
        scripted_exchange(&sock, to, 7, false)
    });
    assert_eq!(answered.msg_type, MessageType::Advertise);
    assert!(server.alive(), "{}", server.log());
    let log = counters(&server, "bindings:");
    assert!(log.contains("dropped (malformed):"), "{log}");
}

#[test]
fn isc_client_through_our_relay() {
    lease_renew_release(Via::Kame6, Client::Isc);
}

/// RFC 8357 end to end: our relay sends from port 10547 with a Relay Source
/// Port option, our server answers to that port (C-078, C-108).
#[test]
fn wide_client_through_our_relay_on_another_port() {
    lease_renew_release(Via::Kame6Port, Client::Wide);
}
