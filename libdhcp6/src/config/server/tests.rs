//! What dhcp6s.conf means: checks, contents and kame6's server extensions,
//! through the whole pipeline (helpers in `config::tests`).

use super::*;
use crate::config::tests::{server, server_err, server_round_trip, NOW, SPEC_SERVER};
use crate::config::*;

#[test]
fn full_example_with_its_include() {
    let (_, full) = SPEC_SERVER[0];
    let (_, hosts) = SPEC_SERVER[1];
    let mut loader = MemLoader::new()
        .with("full.conf", full)
        .with("/usr/local/etc/dhcp6s-hosts.conf", hosts);
    let s = load_server("full.conf", &mut loader, NOW).unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let c = &s.config;
    assert_eq!(c.hosts.len(), 5);
    assert_eq!(c.options.addresses_of(InfoKind::DnsServers).len(), 3);
    assert_eq!(
        c.options.names_of(InfoKind::DomainName),
        ["lab.example.org", "example.org."]
    );
    assert_eq!(c.options.refresh_time, Some(7200));
    let eth0 = c.interface("eth0").unwrap();
    assert_eq!(eth0.scope.preference, Some(200));
    assert!(eth0.scope.allow_rapid_commit);
    assert_eq!(
        eth0.scope.address_pool.as_ref().unwrap().lifetimes,
        Lifetimes {
            preferred: 3600,
            valid: 7200
        }
    );
    let b = c.hosts.iter().find(|h| h.name == "branch-cpe-b").unwrap();
    assert_eq!(
        b.prefixes[0].lifetimes,
        Lifetimes {
            preferred: 3600,
            valid: 3600
        }
    );
    assert_eq!(c.keys[1].expire, Expire::Forever);
    assert_eq!(c.keys[0].secret.len(), 16);
    server_round_trip(c);
}

/// The semantic errors of doc/wide-compat.md §2.3-2.4 and §10's negative list.
#[test]
fn semantic_errors_server() {
    let cases: &[(&str, &str)] = &[
        ("interface eth0 { send ia-pd 5; };", "dhcp6s.conf:1:23: id-assoc pd '5' is not defined"),
        ("id-assoc pd 5 { };\ninterface eth0 { send ia-na 5; };", "dhcp6s.conf:2:23: id-assoc na '5' is not defined"),
        ("id-assoc pd 1 { };\ninterface eth0 { send ia-pd 1; };\ninterface eth1 { send ia-pd 1; };", "dhcp6s.conf:3:23: id-assoc pd '1' is not defined"),
        ("interface eth0 { send authentication nope; };", "dhcp6s.conf:1:23: authentication 'nope' is not defined"),
        ("authentication a { protocol reconfig; };\ninterface eth0 { send authentication a; send authentication a; };", "dhcp6s.conf:2:46: authentication is doubly specified on eth0"),
        ("interface eth0 { send ia-ta 1; };", "dhcp6s.conf:1:23: 'send ia-ta 1' is client-only configuration, not allowed in dhcp6s.conf"),
        ("interface eth0 { send reconfigure-accept; };", "dhcp6s.conf:1:23: 'send reconfigure-accept' is client-only configuration, not allowed in dhcp6s.conf"),
        ("option refreshtime 100;", "dhcp6s.conf:1:1: refresh time is too small (100 < 600)"),
        ("interface eth0 { preference 256; };", "dhcp6s.conf:1:18: value 256 out of range 0..255"),
        ("interface eth0 { request domain-name-servers; };", "dhcp6s.conf:1:18: 'request' is client-only configuration, not allowed in dhcp6s.conf"),
        ("interface eth0 { information-only; };", "dhcp6s.conf:1:18: 'information-only' is client-only configuration, not allowed in dhcp6s.conf"),
        ("interface eth0 { script \"/x\"; };", "dhcp6s.conf:1:18: 'script' is client-only configuration, not allowed in dhcp6s.conf"),
        ("interface eth0 { duid 00:01:02; };", "dhcp6s.conf:1:18: 'duid' is not allowed in an interface block"),
        ("interface eth0 { address-pool nosuch 10; };", "dhcp6s.conf:1:18: pool 'nosuch' is not defined"),
        ("interface eth0 { address-pool p 20 10; };\npool p { range ::1:0 to ::1:1; };", "dhcp6s.conf:1:18: preferred lifetime 20 is greater than valid lifetime 10"),
        ("interface eth0 { address-pool p infinity 10; };", "dhcp6s.conf:1:18: preferred lifetime 4294967295 is greater than valid lifetime 10"),
        ("authentication a { protocol delayed; };", "dhcp6s.conf:1:20: client-only auth protocol 'delayed' in a server configuration"),
        ("authentication a { algorithm hmac-md5; };", "dhcp6s.conf:1:16: authentication a: protocol not specified"),
        ("option domain-name-servers 2001:db8::1 2001:db8::1;", "dhcp6s.conf:1:40: duplicated domain-name-servers 2001:db8::1"),
        ("option domain-name \"a.org\";\noption domain-name \"a.org\";", "dhcp6s.conf:2:1: duplicated domain-name \"a.org\""),
        ("option domain-name \"a..org\";", "dhcp6s.conf:1:1: invalid domain name \"a..org\": empty label"),
        ("host h { duid 00:01:02; duid 00:01:03; };", "dhcp6s.conf:1:25: host h: duplicated DUID"),
        ("host h { prefix 2001:db8::/129 10; };", "dhcp6s.conf:1:10: invalid prefix length 129 (0..128)"),
        ("host h { prefix ff02::/16 10; };", "dhcp6s.conf:1:10: multicast prefix ff02::"),
        ("host h { prefix fe80::/64 10; };", "dhcp6s.conf:1:10: link-local prefix fe80::"),
        ("host h { address fec0::1 10; };", "dhcp6s.conf:1:10: site-local address fec0::1"),
        ("host h { prefix 2001:db8::/48 10; prefix 2001:db8::/48 20; };", "dhcp6s.conf:1:35: duplicated prefix 2001:db8::/48 for host h"),
        ("host h { address 2001:db8::1 10; address 2001:db8::1 10; };", "dhcp6s.conf:1:34: duplicated address 2001:db8::1 for host h"),
        ("host h { prefix 2001:db8::/48 20 10; };", "dhcp6s.conf:1:10: preferred lifetime 20 is greater than valid lifetime 10"),
        ("host h { delayedkey k; };", "dhcp6s.conf:1:10: keyinfo 'k' is not defined"),
        ("host h { preference 1; };", "dhcp6s.conf:1:10: 'preference' is not allowed in a host block"),
        ("pool p { };", "dhcp6s.conf:1:6: pool p: no address range"),
        ("pool p { range 2001:db8::9 to 2001:db8::1; };", "dhcp6s.conf:1:10: invalid address range 2001:db8::9 to 2001:db8::1"),
        ("keyinfo k { realm \"r\"; keyid 1; };", "dhcp6s.conf:1:9: keyinfo k: secret not specified"),
        ("keyinfo k { realm \"r\"; keyid 1; secret \"!!\"; };", "dhcp6s.conf:1:33: failed to decode base64 secret of key k"),
        ("keyinfo k { realm \"r\"; keyid 1; secret \"AA==\"; expire \"2001-01-01 00:00\"; };", "dhcp6s.conf:1:48: key k expiration time \"2001-01-01 00:00\" is in the past"),
        ("keyinfo k { realm \"r\"; keyid 1; secret \"AA==\"; expire \"soon\"; };", "dhcp6s.conf:1:48: invalid expiration time \"soon\""),
        ("keyinfo k { realm \"r\"; keyid 4294967296; secret \"AA==\"; };", "dhcp6s.conf:1:24: value 4294967296 out of range 0..4294967295"),
        ("profile p { information-only; };", "dhcp6s.conf:1:13: 'information-only' is client-only configuration, not allowed in dhcp6s.conf"),
    ];
    for (text, want) in cases {
        assert_eq!(&server_err(text), want, "{text}");
    }
}

/// kame6 host identifiers a relay supplies: Remote-ID (enterprise number
/// and id), Subscriber-ID, the Ethernet address of RFC 6939's option.
/// A `send` list in a server interface has no effect, but WIDE still
/// checks what it names: an IA (taken by the first interface sending it)
/// or authentication block must be defined, and at most one
/// authentication per interface (the refusals are in
/// `semantic_errors_server`). A valid list passes, with a warning per
/// `send`.
#[test]
fn server_send_is_checked_as_wide_checks_it() {
    let ok = "id-assoc na 1 { };\nid-assoc pd 2 { };\nauthentication a { protocol reconfig; };\n\
              interface eth0 { send ia-na 1, ia-pd 2, authentication a; send ntp-servers, rapid-commit; };";
    let s = server(ok).unwrap();
    assert_eq!(s.config.interfaces.len(), 1);
    let sends = s
        .warnings
        .iter()
        .filter(|w| w.message.contains("'send' has no effect"));
    assert_eq!(sends.count(), 2, "{:?}", s.warnings);
}

#[test]
fn host_relay_identifiers() {
    let text = r#"
host cpe-17 {
    remote-id 3561 "olt-1:port-17";
    subscriber-id 73:75:62:31;
    hardware-address 00:11:22:33:44:55;
    prefix 2001:db8:200::/56 3600 7200;
};
host by-sub {
    subscriber-id "line#9";
    address 2001:db8:1::9 100 200;
};
"#;
    let s = server(text).unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let h = &s.config.hosts[0];
    assert_eq!(
        h.relay_ids,
        [
            RelayId::RemoteId(
                [0, 0, 0x0d, 0xe9]
                    .iter()
                    .chain(b"olt-1:port-17")
                    .copied()
                    .collect()
            ),
            RelayId::SubscriberId(b"sub1".to_vec()),
            RelayId::LinkLayer(vec![0, 1, 0, 0x11, 0x22, 0x33, 0x44, 0x55]),
        ]
    );
    assert_eq!(
        s.config.hosts[1].relay_ids,
        [RelayId::SubscriberId(b"line#9".to_vec())]
    );
    server_round_trip(&s.config);
    assert_eq!(
        server_err("host h { hardware-address 00:11:22; };"),
        "dhcp6s.conf:1:10: hardware-address of 3 octets (an Ethernet address has 6)"
    );
    assert_eq!(
        server_err("host h { remote-id 4294967296 \"x\"; };"),
        "dhcp6s.conf:1:10: enterprise number 4294967296 is out of range"
    );
    assert_eq!(
        server_err("host h { subscriber-id \"x\"; subscriber-id 78; };"),
        "dhcp6s.conf:1:29: host h: duplicated subscriber-id"
    );
    assert_eq!(
        server_err("interface eth0 { remote-id 1 \"x\"; };"),
        "dhcp6s.conf:1:18: 'remote-id' is not allowed in an interface block"
    );
}

#[test]
fn extensions_server() {
    let text = r#"
lease-file "/var/lib/kame6/dhcp6s.leases";
dhcp4o6-port 6767;
option dhcp4o6-server-address 2001:db8::44;
prefix-pool customers { prefix 2001:db8:100::/40 delegate 56; };
pool lan { range 2001:db8:1::100 to 2001:db8:1::1ff; };
pool tmp { range 2001:db8:1::1000 to 2001:db8:1::1fff; };
interface eth0 {
    prefix-pool customers 3600 7200;
    ta-pool tmp 600 1200;
    option domain-name-servers 2001:db8:1::53;
};
link building-a {
    link-address 2001:db8:a::/64;
    interface-id "relay1:ge-0/0/1";
    interface-id 00:01:02:03;
    address-pool lan 3600 7200;
    prefix-pool customers 3600;
    preference 10;
    option domain-name "a.example.org";
};
host h {
    duid 00:01:00:01:aa:bb:cc:dd;
    prefix-pool customers 100 200;
    option ntp-servers 2001:db8::123;
};
"#;
    let s = server(text).unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let c = &s.config;
    assert_eq!(
        c.lease_file.as_deref(),
        Some("/var/lib/kame6/dhcp6s.leases")
    );
    assert_eq!(c.dhcp4o6_port, Some(6767));
    assert_eq!(c.prefix_pools[0].delegated_len, 56);
    assert_eq!(c.links[0].interface_ids[0], b"relay1:ge-0/0/1");
    assert_eq!(c.links[0].interface_ids[1], [0, 1, 2, 3]);
    assert_eq!(
        c.links[0]
            .scope
            .prefix_pool
            .as_ref()
            .unwrap()
            .lifetimes
            .valid,
        3600
    );
    assert_eq!(c.interfaces[0].scope.ta_pool.as_ref().unwrap().name, "tmp");
    assert_eq!(
        c.hosts[0]
            .scope
            .options
            .addresses_of(InfoKind::NtpServers)
            .len(),
        1
    );
    server_round_trip(c);

    assert_eq!(
        server_err("prefix-pool p { prefix 2001:db8::/40 delegate 32; };"),
        "dhcp6s.conf:1:17: delegated length 32 must be between 40 and 128"
    );
    assert_eq!(
        server_err("link l { preference 1; };"),
        "dhcp6s.conf:1:6: link l needs a link-address or an interface-id"
    );
    assert_eq!(
        server_err("interface eth0 { prefix-pool nope 10; };"),
        "dhcp6s.conf:1:18: prefix-pool 'nope' is not defined"
    );
    assert_eq!(
        server_err("interface eth0 { link-address ::/0; };"),
        "dhcp6s.conf:1:18: 'link-address' is not allowed in an interface block"
    );
    assert_eq!(
        server_err("link a { link-address 2001:db8::/64; };\nlink b { interface-id \"x\"; link-address 2001:db8::/64; };"),
        "dhcp6s.conf:2:6: link b: link-address 2001:db8::/64 is already used by link a"
    );
    assert_eq!(
        server_err("link a { interface-id \"x\"; };\nlink b { interface-id 78; };"),
        "dhcp6s.conf:2:6: link b: interface-id is already used by link a"
    );
    assert_eq!(
        server_err("prefix-pool a { prefix 2001:db8::/40 delegate 56; };\nprefix-pool b { prefix 2001:db8:10::/48 delegate 56; };"),
        "dhcp6s.conf:2:13: prefix-pool b overlaps prefix-pool a"
    );
    assert_eq!(
        server_err("dhcp4o6-port 70000;"),
        "dhcp6s.conf:1:1: value 70000 out of range 1..65535"
    );
    assert_eq!(
        server_err("lease-file \"rel\";"),
        "dhcp6s.conf:1:1: lease-file \"rel\" must be an absolute path"
    );
}

/// `lease-database` and the pools' `subnet-id`: read, printed back by
/// `-t -D`, and checked.
#[test]
fn lease_database_and_subnet_ids() {
    let text = "lease-database postgresql \"host=db1,db2 dbname=kea user=kea target_session_attrs=read-write passfile=/etc/kame6/pgpass\";\n\
        pool p { range 2001:db8::10 to 2001:db8::ff; subnet-id 7; };\n\
        prefix-pool pp { prefix 2001:db8:100::/40 delegate 56; subnet-id 8; };\n\
        interface eth0 { address-pool p 100 200; prefix-pool pp 100 200; };\n";
    let s = server(text).unwrap();
    let c = &s.config;
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(
        c.lease_database.as_deref(),
        Some("host=db1,db2 dbname=kea user=kea target_session_attrs=read-write passfile=/etc/kame6/pgpass")
    );
    assert_eq!(c.pools[0].subnet_id, Some(7));
    assert_eq!(c.prefix_pools[0].subnet_id, Some(8));
    server_round_trip(c);
    let map = crate::lease::kea::SubnetMap::from_config(c);
    let res = |a: &str, len| crate::lease::Resource {
        addr: a.parse().unwrap(),
        len,
    };
    assert_eq!(map.subnet_of(&res("2001:db8::20", 128)), 7);
    assert_eq!(map.subnet_of(&res("2001:db8:1ff::", 56)), 8);
    assert_eq!(
        map.subnet_of(&res("2001:db8::1", 128)),
        0,
        "outside every pool"
    );
    assert_eq!(map.ids(), vec![0, 7, 8]);
    // A password in the file works, with a warning.
    let pw = server("lease-database postgresql \"host=db password=x\";").unwrap();
    assert!(
        pw.warnings[0].to_string().contains("passfile"),
        "{:?}",
        pw.warnings
    );
}

#[test]
fn lease_database_errors() {
    let with_db = "lease-database postgresql \"host=db\";\n";
    assert_eq!(
        server_err(&format!(
            "{with_db}pool p {{ range 2001:db8::10 to 2001:db8::ff; }};"
        )),
        "dhcp6s.conf:2:6: pool p: subnet-id is required with a lease-database"
    );
    assert_eq!(
        server_err(&format!(
            "{with_db}prefix-pool q {{ prefix 2001:db8:100::/40 delegate 56; }};"
        )),
        "dhcp6s.conf:2:13: prefix-pool q: subnet-id is required with a lease-database"
    );
    assert_eq!(
        server_err(&format!("{with_db}lease-file \"/var/db/x\";")),
        "dhcp6s.conf:1:1: lease-database and lease-file both given: leases are kept in one of them"
    );
    assert_eq!(
        server_err("lease-database mysql \"host=db\";"),
        "dhcp6s.conf:1:1: unknown lease-database type mysql (kame6 knows postgresql)"
    );
    assert_eq!(
        server_err("lease-database postgresql \"host='db\";"),
        "dhcp6s.conf:1:1: lease-database connection string: unterminated quoted value"
    );
    assert_eq!(
        server_err(&format!("{with_db}{with_db}")),
        "dhcp6s.conf:2:1: lease-database given twice"
    );
    assert_eq!(
        server_err("pool p { range 2001:db8::10 to 2001:db8::ff; subnet-id 0; };"),
        "dhcp6s.conf:1:46: value 0 out of range 1..4294967294"
    );
    assert_eq!(
        server_err("pool p { range 2001:db8::10 to 2001:db8::ff; subnet-id 1; subnet-id 2; };"),
        "dhcp6s.conf:1:59: pool p: subnet-id given twice"
    );
    assert_eq!(
        server_err("interface eth0 { subnet-id 1; };"),
        "dhcp6s.conf:1:18: 'subnet-id' is not allowed in an interface block"
    );
    assert!(client_err_text("lease-database postgresql \"host=db\";").contains("server-only"));
}

fn client_err_text(text: &str) -> String {
    crate::config::tests::client_err(text)
}
