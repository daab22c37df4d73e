#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code

use std::net::Ipv4Addr;

use super::*;
use crate::dhcp4::engine::ClientKey;

const SAMPLE: &str = r#"# a comment
dhcp4o6-port 6767;
server-identifier 10.10.10.1;
lease-file "/tmp/x.leases";
subnet 10.10.10.0/24 {
	4o6-interface eth0;
	range 10.10.10.100 to 10.10.10.109;
	lease-time 600;
	renew-time 200;
	rebind-time 400;
	option routers 10.10.10.1;
	option domain-name-servers 10.10.10.53 10.10.10.54;
	option domain-name "example.net";
	option ntp-servers 10.10.10.123;
	option interface-mtu 1500;
	option classless-static-routes 192.168.0.0/16 10.10.10.1 0.0.0.0/0 10.10.10.1;
	host printer {
		hardware-address 00:11:22:33:44:55;
		fixed-address 10.10.10.5;
		option routers 10.10.10.254;
	};
};
subnet 10.10.20.0/24 {
	id 7;
	4o6-subnet 2001:db8:1::/64;
	4o6-interface-id "olt1";
	range 10.10.20.100 to 10.10.20.199;
	host cpe { client-id 01:00:11:22:33:44:66; fixed-address 10.10.20.5; };
};
"#;

fn parse(text: &str) -> Result<Staged<Server4Config>, Error> {
    server4_from_str("d4.conf", text)
}

fn err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn sample_maps_onto_the_engine() {
    let c = parse(SAMPLE).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let c = c.config;
    assert_eq!(c.dhcp4o6_port, 6767);
    assert_eq!(c.lease_file.as_deref(), Some("/tmp/x.leases"));
    assert_eq!(c.engine.server_id, Ipv4Addr::new(10, 10, 10, 1));
    let [a, b] = &c.engine.subnets[..] else {
        panic!("two subnets")
    };
    assert_eq!((a.id, b.id), (1, 7));
    assert_eq!((a.lease_time, a.t1, a.t2), (600, Some(200), Some(400)));
    assert_eq!(a.options.dns_servers.len(), 2);
    assert_eq!(a.options.classless_routes.len(), 2);
    assert_eq!(a.options.mtu, Some(1500));
    assert_eq!(
        a.reservations[0].host,
        ClientKey::Hw {
            htype: 1,
            addr: vec![0, 0x11, 0x22, 0x33, 0x44, 0x55]
        }
    );
    assert_eq!(
        b.reservations[0].host,
        ClientKey::Id(vec![1, 0, 0x11, 0x22, 0x33, 0x44, 0x66])
    );
    assert_eq!(c.select[1].interface_id.as_deref(), Some(&b"olt1"[..]));
}

/// C-167: the first subnet whose prefix holds the source address (Kea)
/// or the relay's link-address, whose Interface-ID is the relay's, or
/// whose interface received it.
#[test]
fn c167_selectors() {
    let c = parse(SAMPLE).unwrap().config;
    let w = |interface, remote: &str, link: Option<&str>, interface_id| Where4o6 {
        interface,
        remote: remote.parse().unwrap(),
        relay_link: link.map(|l| l.parse().unwrap()),
        interface_id,
    };
    assert_eq!(
        c.select_subnet4o6(&w("eth0", "fe80::1", None, None)),
        Some(1)
    );
    assert_eq!(c.select_subnet4o6(&w("eth1", "fe80::1", None, None)), None);
    assert_eq!(
        c.select_subnet4o6(&w("eth1", "2001:db8:1::9", None, None)),
        Some(7)
    );
    assert_eq!(
        c.select_subnet4o6(&w("eth1", "2001:db8:2::9", None, None)),
        None
    );
    // Relayed: the link-address selects although the relay's source does not.
    assert_eq!(
        c.select_subnet4o6(&w("eth1", "2001:db8:ff::1", Some("2001:db8:1::1"), None)),
        Some(7)
    );
    assert_eq!(
        c.select_subnet4o6(&w("eth1", "2001:db8:ff::1", Some("2001:db8:2::1"), None)),
        None
    );
    assert_eq!(
        c.select_subnet4o6(&w("eth1", "fe80::1", None, Some(b"olt1"))),
        Some(7)
    );
    assert_eq!(
        c.select_subnet4o6(&w("eth1", "fe80::1", None, Some(b"olt2"))),
        None
    );
    // File order: eth0's subnet comes first, whatever the Interface-ID.
    assert_eq!(
        c.select_subnet4o6(&w("eth0", "2001:db8:1::9", None, Some(b"olt1"))),
        Some(1)
    );
}

/// What `-t -D` prints parses back to the same configuration.
#[test]
fn print_round_trips() {
    let c = parse(SAMPLE).unwrap().config;
    let again = parse(&c.to_string()).unwrap().config;
    assert_eq!(c, again, "{c}");
}

#[test]
fn errors_point_at_the_text() {
    let head = "dhcp4o6-port 6767;\nserver-identifier 10.0.0.1;\n";
    for (body, want) in [
        ("subnet 10.0.0.0/24 {\n\trange 10.0.1.1 to 10.0.1.9;\n};\n", "d4.conf:4:2: range 10.0.1.1 to 10.0.1.9 is not inside 10.0.0.0/24"),
        ("subnet 10.0.0.0/33 { };\n", "d4.conf:3:17: value 33 out of range 0..32"),
        ("subnet 10.0.0.0/24 { lease-time 10 };\n", "d4.conf:3:36: expected ';' after lease-time, found '}'"),
        ("subnet 10.0.0.0/24 { option routers 10.0.0.256; };\n", "d4.conf:3:37: '10.0.0.256' is not an IPv4 address"),
        ("subnet 10.0.0.0/24 { option bogus 1; };\n", "d4.conf:3:29: unknown DHCPv4 option 'bogus'"),
        ("subnet 10.0.0.0/24 { host h { fixed-address 10.0.0.5; }; };\n", "d4.conf:3:27: host h: hardware-address or client-id missing"),
        ("subnet 10.0.0.0/24 { lease-time 10; renew-time 20; };\n", "d4.conf:3:1: subnet 1: lease time zero or T1 > T2 > lease time"),
        ("subnet 10.0.0.0/24 { range 10.0.0.1 to 10.0.0.9; };\nsubnet 10.0.0.0/16 { range 10.0.0.5 to 10.0.0.6; };\n", "d4.conf:4:1: address 10.0.0.5 is in two ranges"),
        ("frobnicate;\n", "d4.conf:3:1: unknown statement 'frobnicate'"),
    ] {
        let e = err(&format!("{head}{body}"));
        assert!(e.starts_with(want), "{body:?}: {e}");
    }
    assert_eq!(
        err("server-identifier 10.0.0.1;"),
        "d4.conf: dhcp4o6-port missing: the IPC port shared with the DHCPv6 side"
    );
    assert!(
        err("dhcp4o6-port 65535;").starts_with("d4.conf:1:14: value 65535 out of range 1..65534")
    );
    assert!(err("dhcp4o6-port 1;\ndhcp4o6-port 2;")
        .starts_with("d4.conf:2:1: dhcp4o6-port given twice"));
}

#[test]
fn a_subnet_nothing_selects_is_a_warning() {
    let c =
        parse("dhcp4o6-port 1;\nserver-identifier 10.0.0.1;\nsubnet 10.0.0.0/24 { };\n").unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0]
        .to_string()
        .starts_with("d4.conf:3:1: warning: subnet 10.0.0.0/24 has no 4o6-interface"));
}

/// `lease-database` and `subnet-id` (doc/postgresql.md): every subnet
/// must name its Kea subnet, no journal beside the database, and errors
/// point at the text.
#[test]
fn lease_database_and_subnet_ids() {
    let head = "dhcp4o6-port 6767;\nserver-identifier 10.0.0.1;\n";
    let db = "lease-database postgresql \"host=db dbname=kea\";\n";
    let good = format!(
        "{head}{db}subnet 10.0.0.0/24 {{ subnet-id 42; 4o6-interface eth0; range 10.0.0.10 to 10.0.0.20; }};\n"
    );
    let c = parse(&good).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let c = c.config;
    assert_eq!(c.lease_database.as_deref(), Some("host=db dbname=kea"));
    assert_eq!(c.engine.subnets[0].id, 42);
    assert_eq!(c.select[0].subnet, 42);
    // Printed back, it parses to the same configuration.
    assert_eq!(parse(&c.to_string()).unwrap().config, c);
    let numbered = format!("{head}{db}subnet 10.0.0.0/24 {{ 4o6-interface eth0; }};\n");
    assert_eq!(
        err(&numbered),
        "d4.conf:4:1: subnet: subnet-id is required with a lease-database"
    );
    let both = format!("{head}lease-file \"/tmp/x\";\n{db}subnet 10.0.0.0/24 {{ id 3; }};\n");
    assert!(
        err(&both).starts_with("d4.conf:4:1: lease-database and lease-file"),
        "{}",
        err(&both)
    );
    let zero = format!("{head}subnet 10.0.0.0/24 {{ subnet-id 0; }};\n");
    assert!(err(&zero).starts_with("d4.conf:3:"), "{}", err(&zero));
    let twice = format!("{head}subnet 10.0.0.0/24 {{ id 3; subnet-id 4; }};\n");
    assert!(err(&twice).contains("given twice"), "{}", err(&twice));
    let kind = format!("{head}lease-database mysql \"host=db\";\n");
    assert!(err(&kind).contains("unknown lease-database type mysql"));
    let bad = format!("{head}lease-database postgresql \"host='x\";\n");
    assert!(err(&bad).starts_with("d4.conf:3:1: lease-database connection string"));
    let pw = format!("{head}lease-database postgresql \"password=x\";\n");
    assert!(parse(&pw).unwrap().warnings[0]
        .to_string()
        .contains("passfile"));
}
