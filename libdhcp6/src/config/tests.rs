//! Tests of the whole pipeline: text -> tokens -> AST -> checked config ->
//! printed text -> the same config.

use super::*;

const SPEC_SERVER: &[(&str, &str)] = &[
    (
        "ok-spec-full.conf",
        include_str!("../../../tests/config-corpus/server/ok-spec-full.conf"),
    ),
    (
        "ok-spec-hosts.conf",
        include_str!("../../../tests/config-corpus/server/ok-spec-hosts.conf"),
    ),
    (
        "ok-spec-minimal-pd.conf",
        include_str!("../../../tests/config-corpus/server/ok-spec-minimal-pd.conf"),
    ),
];

const SPEC_CLIENT: &[(&str, &str)] = &[
    (
        "ok-spec-auth.conf",
        include_str!("../../../tests/config-corpus/client/ok-spec-auth.conf"),
    ),
    (
        "ok-spec-debian-extensions.conf",
        include_str!("../../../tests/config-corpus/client/ok-spec-debian-extensions.conf"),
    ),
    (
        "ok-spec-infoonly.conf",
        include_str!("../../../tests/config-corpus/client/ok-spec-infoonly.conf"),
    ),
    (
        "ok-spec-pd.conf",
        include_str!("../../../tests/config-corpus/client/ok-spec-pd.conf"),
    ),
];

const NOW: UnixTime = 1_764_000_000; // Nov 2025

fn server(text: &str) -> Result<Staged<ServerConfig>, Error> {
    load_server(
        "dhcp6s.conf",
        &mut MemLoader::new().with("dhcp6s.conf", text),
        NOW,
    )
}

fn client(text: &str) -> Result<Staged<ClientConfig>, Error> {
    load_client(
        "dhcp6c.conf",
        &mut MemLoader::new().with("dhcp6c.conf", text),
        NOW,
    )
}

fn server_err(text: &str) -> String {
    server(text).unwrap_err().to_string()
}

fn client_err(text: &str) -> String {
    client(text).unwrap_err().to_string()
}

fn server_round_trip(cfg: &ServerConfig) {
    let printed = cfg.to_string();
    let again = server(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(&again.config, cfg, "{printed}");
}

fn client_round_trip(cfg: &ClientConfig) {
    let printed = cfg.to_string();
    let again = client(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(&again.config, cfg, "{printed}");
}

#[test]
fn spec_examples_parse_and_round_trip() {
    for (name, text) in SPEC_SERVER {
        let s = server(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        server_round_trip(&s.config);
    }
    for (name, text) in SPEC_CLIENT {
        let c = client(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        client_round_trip(&c.config);
    }
}

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

#[test]
fn client_example_contents() {
    let c = client(SPEC_CLIENT[3].1).unwrap().config;
    let eth0 = c.interface("eth0").unwrap();
    assert_eq!(eth0.send_ia_pd, [0]);
    assert_eq!(eth0.send_ia_na, [1]);
    assert!(eth0.rapid_commit);
    assert_eq!(eth0.request.len(), 5);
    let pd = &c.ia_pds[0];
    assert_eq!(pd.prefixes[0].len, 56);
    assert_eq!(pd.prefix_interfaces[1].sla_id, Some(2));
    assert_eq!(pd.prefix_interfaces[1].sla_len, Some(8));
    let deb = client(SPEC_CLIENT[1].1).unwrap().config;
    assert_eq!(deb.profiles[0].name, "default");
    assert_eq!(deb.ia_pds[0].prefix_interfaces[0].ifid, Ifid::Value(1));
    assert_eq!(deb.ia_pds[0].prefix_interfaces[1].ifid, Ifid::Random);
    assert_eq!(deb.ia_pds[0].prefix_interfaces[1].sla_id, None);
}

/// Every syntax error names file, line, column and what was expected.
#[test]
fn syntax_errors() {
    let cases: &[(&str, &str)] = &[
        ("option domain-name-servers 2001:db8::1\nhost x { };", "dhcp6s.conf:2:1: expected ';' after address, found 'host'"),
        ("option domain-name-servers host;", "dhcp6s.conf:1:28: 'host' is not an IPv6 address"),
        ("option domain-name-servers 2001:db8::1 ;host x {}", "dhcp6s.conf:1:50: expected ';' after '}', found end of file"),
        ("host h {\n\taddress 2001:db8::1 3600 7200\n};", "dhcp6s.conf:3:1: expected ';' after address, found '}'"),
        ("interface eth0 { preference 1.9; };", "dhcp6s.conf:1:29: '1.9' is not an integer (WIDE would silently read the part before the '.')"),
        ("bogus;", "dhcp6s.conf:1:1: expected a statement, found 'bogus'"),
        ("host h { duid 000102; };", "dhcp6s.conf:1:15: '000102' is not hex octets written xx:xx:... (two digits each)"),
        ("host h { address 2001:db8::1/64 3600; };", "dhcp6s.conf:1:29: expected a lifetime after address, found '/'"),
        ("host h { address 2001:db8::1 4294967296; };", "dhcp6s.conf:1:30: lifetime 4294967296 exceeds 4294967295 (use 'infinity')"),
        ("option domain-name \"x", "dhcp6s.conf:1:20: unterminated quoted string"),
        ("option bogus 1;", "dhcp6s.conf:1:8: expected an option name after 'option', found 'bogus'"),
        ("pool pool { range 2001:db8::1 to 2001:db8::2; };\ninterface eth0 { address-pool pool 10; };", "dhcp6s.conf:2:31: 'pool' is a keyword and cannot be referenced by name (WIDE rejects it too); rename it"),
        ("pool 12 { range ::1 to ::2; };\ninterface eth0 { address-pool 12 10; };", "dhcp6s.conf:2:31: '12' is a number and cannot be referenced by name (WIDE rejects it too); rename it"),
        ("host h { prefix 2001:db8::/48 3600s; };", "dhcp6s.conf:1:31: expected a lifetime after prefix, found '3600s'"),
        ("interface eth0 { allow everything; };", "dhcp6s.conf:1:24: expected 'rapid-commit', 'partial-advertise' or 'renew-missing-ia' after 'allow', found 'everything'"),
        ("host h @", "dhcp6s.conf:1:8: unexpected character '@'"),
    ];
    for (text, want) in cases {
        assert_eq!(&server_err(text), want, "{text}");
    }
    let cases: &[(&str, &str)] = &[
        (
            "interface eth0 { send ia-pd 0x10; };",
            "dhcp6c.conf:1:29: expected a number after 'ia-pd', found '0x10'",
        ),
        (
            "interface eth0 { request sip-domain-name; };",
            "dhcp6c.conf:1:26: expected an option name after 'request', found 'sip-domain-name'",
        ),
        (
            "interface eth0 { request bcmcs-domain-name; };",
            "dhcp6c.conf:1:26: expected an option name after 'request', found 'bcmcs-domain-name'",
        ),
        (
            "id-assoc xx 1 { };",
            "dhcp6c.conf:1:10: expected 'pd' or 'na' after 'id-assoc', found 'xx'",
        ),
        (
            "id-assoc pd { prefix-interface eth1 { sla-id 1 }; };",
            "dhcp6c.conf:1:48: expected ';' after prefix-interface parameter, found '}'",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(&client_err(text), want, "{text}");
    }
}

/// The semantic errors of doc/wide-compat.md §2.3-2.4 and §10's negative list.
#[test]
fn semantic_errors_server() {
    let cases: &[(&str, &str)] = &[
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

#[test]
fn semantic_errors_client() {
    let cases: &[(&str, &str)] = &[
        ("option domain-name-servers 2001:db8::1;", "dhcp6c.conf:1:1: 'option' is server-only configuration, not allowed in dhcp6c.conf"),
        ("interface eth0 { send ia-pd 1; };", "dhcp6c.conf:1:23: IA_PD (1) is not defined"),
        ("interface eth0 { send ia-na 1; };\ninterface eth1 { send ia-na 1; };\nid-assoc na 1 { };", "dhcp6c.conf:2:23: IA_NA 1 is already sent on interface eth0; an IA can belong to one interface only"),
        ("profile wan { send ia-pd 0; };\ninterface eth0 { send ia-pd 0; };\nid-assoc pd 0 { };", "dhcp6c.conf:2:23: IA_PD 0 is already sent on profile wan; an IA can belong to one interface only"),
        ("profile wan { send ia-pd 0; };", "dhcp6c.conf:1:20: IA_PD (0) is not defined"),
        ("interface eth0 { send authentication a; send authentication a; };\nauthentication a { protocol delayed; };", "dhcp6c.conf:1:46: interface eth0: authentication is doubly specified"),
        ("interface eth0 { send authentication a; };", "dhcp6c.conf:1:23: authentication 'a' is not defined"),
        ("interface eth0 { request rapid-commit; };", "dhcp6c.conf:1:26: only information options can be requested"),
        ("interface eth0 { script \"relative.sh\"; };", "dhcp6c.conf:1:18: script path \"relative.sh\" must be absolute"),
        ("interface eth0 { script \"/a\"; script \"/b\"; };", "dhcp6c.conf:1:31: interface eth0: duplicated script"),
        ("interface eth0 { preference 1; };", "dhcp6c.conf:1:18: 'preference' is not allowed in a client interface block"),
        ("interface eth0 { address-pool p 1; };", "dhcp6c.conf:1:18: 'address-pool' is not allowed in a client interface block"),
        ("authentication a { protocol reconfig; };", "dhcp6c.conf:1:20: server-only auth protocol 'reconfig' in a client configuration"),
        ("id-assoc pd 1 { prefix-interface eth1 { sla-len 129; }; };", "dhcp6c.conf:1:41: invalid SLA length: 129"),
        ("id-assoc pd 1 { address 2001:db8::1 10; };", "dhcp6c.conf:1:17: expected 'prefix', 'prefix-interface' or '}' in id-assoc pd, found 'address'"),
        ("id-assoc na 1 { prefix 2001:db8::/48 10; };", "dhcp6c.conf:1:17: expected 'address' or '}' in id-assoc na/ta, found 'prefix'"),
        ("id-assoc pd 1 { prefix ::/56 20 10; };", "dhcp6c.conf:1:17: preferred lifetime 20 is greater than valid lifetime 10"),
        ("option refreshtime 100;", "dhcp6c.conf:1:1: refresh time is too small (100 < 600)"),
        ("lease-file \"/x\";", "dhcp6c.conf:1:1: 'lease-file' is server-only configuration, not allowed in dhcp6c.conf"),
    ];
    for (text, want) in cases {
        assert_eq!(&client_err(text), want, "{text}");
    }
}

#[test]
fn warnings_not_errors() {
    let s = server("host h { duid 00:01:02; };\nhost h { duid 00:01:03; };\nhost i { prefix 2001:db8::1/48 10; };\noption refreshtime 700;\noption refreshtime 800;").unwrap();
    let msgs: Vec<String> = s.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "dhcp6s.conf:2:6: warning: duplicated name: h (ignored)",
            "dhcp6s.conf:3:10: warning: prefix 2001:db8::1/48 has a trailing garbage; using 2001:db8::/48",
            "dhcp6s.conf:3:6: warning: host i has no duid and can never match a client",
            "dhcp6s.conf:5:1: warning: multiple refresh times (ignored)",
        ]
    );
    assert_eq!(
        s.config.hosts[0].duid.as_ref().unwrap().to_string(),
        "00:01:02"
    );
    assert_eq!(s.config.hosts[1].prefixes[0].addr.to_string(), "2001:db8::");
    assert_eq!(s.config.options.refresh_time, Some(700));
    let c = client(
        "interface eth0 { send domain-name-servers; request ia-pd 1; };\nid-assoc na 9 { };",
    )
    .unwrap();
    assert_eq!(c.warnings.len(), 3, "{:?}", c.warnings);
}

#[test]
fn includes() {
    let mut l = MemLoader::new()
        .with(
            "/etc/d/dhcp6s.conf",
            "include \"sub.conf\";\nhost a { duid 00:01:02; };",
        )
        .with("/etc/d/sub.conf", "host b { duid 00:01:03; };");
    let s = load_server("/etc/d/dhcp6s.conf", &mut l, NOW).unwrap();
    assert_eq!(
        s.config
            .hosts
            .iter()
            .map(|h| h.name.as_str())
            .collect::<Vec<_>>(),
        ["b", "a"]
    );

    // An error in an included file names that file.
    let mut l = MemLoader::new()
        .with("m.conf", "include \"e.conf\";")
        .with("e.conf", "\n host x { duid 1; };");
    assert_eq!(
        load_server("m.conf", &mut l, NOW).unwrap_err().to_string(),
        "e.conf:2:16: '1' is not hex octets written xx:xx:... (two digits each)"
    );

    // A cycle hits the depth limit.
    let mut l = MemLoader::new().with("loop.conf", "include \"loop.conf\";");
    assert_eq!(
        load_server("loop.conf", &mut l, NOW)
            .unwrap_err()
            .to_string(),
        "loop.conf:1:1: include nested deeper than 10 files (a cycle?)"
    );

    // A file including itself twice per level would expand 2^10 times, so
    // Bounded by the total count as well as the depth.
    let many = "include \"leaf.conf\";\n".repeat(65);
    let mut l = MemLoader::new()
        .with("wide.conf", &many)
        .with("leaf.conf", "");
    assert_eq!(
        load_server("wide.conf", &mut l, NOW)
            .unwrap_err()
            .to_string(),
        "wide.conf:65:1: more than 64 include statements"
    );

    // Missing include: a warning, as in WIDE; missing main file: an error.
    let s = server("include \"/nonexistent.conf\";").unwrap();
    assert_eq!(s.warnings[0].to_string(), "dhcp6s.conf:1:1: warning: include file /nonexistent.conf not found (ignored, as WIDE does)");
    let e = load_server("missing.conf", &mut MemLoader::new(), NOW).unwrap_err();
    assert_eq!(
        e.to_string(),
        "missing.conf: configuration file missing.conf not found"
    );
}

#[test]
fn names_may_be_keywords_where_wide_allows() {
    let s = server(
        "interface host { };\nhost pool { duid 00:01:02; };\npool interface { range ::1 to ::2; };",
    )
    .unwrap();
    assert_eq!(s.config.interfaces[0].name, "host");
    assert_eq!(
        s.warnings[0].to_string(),
        "dhcp6s.conf:3:6: warning: pool name 'interface' is a keyword and can never be referenced"
    );
    server_round_trip(&s.config);
}

/// kame6 host identifiers a relay supplies: Remote-ID (enterprise number
/// and id), Subscriber-ID, the Ethernet address of RFC 6939's option.
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

#[test]
fn extensions_client() {
    let text = "interface eth0 {\n send ia-na 1, ia-ta 2, ia-pd 3;\n allow partial-advertise;\n allow renew-missing-ia;\n send raw-option 99 01:02;\n request raw-option 99, refreshtime;\n};\nid-assoc na 1 { };\nid-assoc ta 2 { };\nid-assoc pd 3 { prefix-interface eth1 { ifid random; }; prefix-interface eth2 { ifid eui-64; }; };";
    let c = client(text).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let i = &c.config.interfaces[0];
    assert!(i.partial_advertise && i.renew_missing_ia);
    assert_eq!(i.send_ia_ta, [2]);
    assert_eq!(i.send_raw, [(99, vec![1, 2])]);
    assert_eq!(i.request, [RequestItem::Raw(99), RequestItem::RefreshTime]);
    client_round_trip(&c.config);
}

#[test]
fn holder_keeps_running_config_on_failed_reload() {
    let mut h = Holder::new(server("option refreshtime 700;").unwrap().config);
    let before = h.current();
    let r = h.reload(|| server("option refreshtime 100;"));
    assert!(r.is_err());
    assert!(Arc::ptr_eq(&before, &h.current()));
    // A failed reload leaves nothing behind: the next good one works
    // (WIDE's error counter made every later reload fail).
    let w = h
        .reload(|| server("option refreshtime 900;\noption refreshtime 901;"))
        .unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(h.current().options.refresh_time, Some(900));
    // Line numbers start from 1 on each parse.
    let e = server("\n\nbogus;").unwrap_err();
    assert_eq!(e.pos.line, 3);
    let old = server("option refreshtime 1000;").unwrap().commit(&mut h);
    assert_eq!(old.options.refresh_time, Some(900));
    assert_eq!(h.current().options.refresh_time, Some(1000));
}

/// Inputs once found by the fuzzer, or shaped like its findings; none may
/// panic.
#[test]
fn no_panics_on_odd_input() {
    for text in [
        "",
        "{",
        "}",
        ";",
        "\"",
        "option",
        "host",
        "host x {",
        "id-assoc",
        "id-assoc pd",
        "id-assoc pd 1 { prefix-interface",
        "include",
        "keyinfo k { expire \"99-99 99:99\"; };",
        "option domain-name \"\";",
        "host h { prefix ::/0 0; };",
        "\u{0}",
        "host \u{e9} {};",
    ] {
        let _ = server(text);
        let _ = client(text);
    }
}

/// The remaining messages, one case each.
#[test]
fn other_messages() {
    let cases: &[(&str, &str)] = &[
        ("interface eth0 { preference 99999999999999999999; };", "dhcp6s.conf:1:29: number 99999999999999999999 is too large"),
        ("option refreshtime 4294967296;", "dhcp6s.conf:1:1: value 4294967296 out of range 600..4294967295"),
        ("option domain-name \"\";", "dhcp6s.conf:1:1: empty domain name"),
        ("lease-file \"/a\";\nlease-file \"/b\";", "dhcp6s.conf:2:1: lease-file given twice"),
        ("dhcp4o6-port 1;\ndhcp4o6-port 2;", "dhcp6s.conf:2:1: dhcp4o6-port given twice"),
        ("link l { interface-id \"\"; };", "dhcp6s.conf:1:10: empty interface-id"),
        ("link l { interface-id \"a\"; interface-id 61; };", "dhcp6s.conf:1:28: duplicated interface-id"),
        ("link l { link-address 2001:db8::/64; link-address 2001:db8::/64; };", "dhcp6s.conf:1:38: duplicated link-address 2001:db8::/64"),
        ("pool p { preference 1; };", "dhcp6s.conf:1:10: 'preference' is not allowed in a pool block"),
        ("prefix-pool p { prefix 2001:db8::/40 delegate 48; prefix 2001:db9::/40 delegate 48; };", "dhcp6s.conf:1:51: prefix-pool p: only one prefix per pool"),
        ("prefix-pool p { };", "dhcp6s.conf:1:13: prefix-pool p: no prefix"),
        ("prefix-pool p { prefix ff00::/8 delegate 16; };", "dhcp6s.conf:1:17: multicast prefix ff00::"),
        ("host h { duid 00:01:02; prefix-pool nope 10; };", "dhcp6s.conf:1:25: prefix-pool 'nope' is not defined"),
        ("interface eth0 { ta-pool nope 10; };", "dhcp6s.conf:1:18: pool 'nope' is not defined"),
        ("interface eth0 { allow partial-advertise; };", "dhcp6s.conf:1:18: 'allow partial-advertise/renew-missing-ia' is client-only configuration, not allowed in dhcp6s.conf"),
        ("authentication a { protocol other; };", "dhcp6s.conf:1:29: expected 'delayed' or 'reconfig' after 'protocol', found 'other'"),
        ("authentication a { algorithm sha256; };", "dhcp6s.conf:1:30: expected 'hmac-md5' after 'algorithm', found 'sha256'"),
        ("authentication a { rdm other; };", "dhcp6s.conf:1:24: expected 'monocounter' after 'rdm', found 'other'"),
        ("keyinfo k { colour \"red\"; };", "dhcp6s.conf:1:13: expected 'realm', 'keyid', 'secret', 'expire' or '}' in keyinfo, found 'colour'"),
        ("include foo;", "dhcp6s.conf:1:9: expected a quoted include file name, found 'foo'"),
    ];
    for (text, want) in cases {
        assert_eq!(&server_err(text), want, "{text}");
    }
    let long = format!(
        "keyinfo k {{ realm \"r\"; keyid 1; secret \"{}\"; }};",
        "A".repeat(1368)
    );
    assert_eq!(
        server_err(&long),
        "dhcp6s.conf:1:33: secret longer than 1023 bytes"
    );
    let cases: &[(&str, &str)] = &[
        ("link l { };", "dhcp6c.conf:1:1: 'link' is server-only configuration, not allowed in dhcp6c.conf"),
        ("prefix-pool p { };", "dhcp6c.conf:1:1: 'prefix-pool' is server-only configuration, not allowed in dhcp6c.conf"),
        ("dhcp4o6-port 1;", "dhcp6c.conf:1:1: 'dhcp4o6-port' is server-only configuration, not allowed in dhcp6c.conf"),
        ("id-assoc pd 1 { prefix-interface eth1 { sla-id 4294967296; }; };", "dhcp6c.conf:1:41: value 4294967296 out of range 0..4294967295"),
        ("id-assoc pd 1 { prefix-interface eth1 { colour 1; }; };", "dhcp6c.conf:1:41: expected 'sla-id', 'sla-len', 'ifid', 'ifid-random' or '}' in prefix-interface, found 'colour'"),
        ("id-assoc na 1 { address 2001:db8::1 10; address 2001:db8::1 10; };", "dhcp6c.conf:1:41: duplicated address 2001:db8::1"),
        ("id-assoc pd 1 { prefix ::/56 10; prefix ::/56 10; };", "dhcp6c.conf:1:34: duplicated prefix ::/56"),
        ("id-assoc na 4294967296 { };", "dhcp6c.conf:1:13: value 4294967296 out of range 0..4294967295"),
        ("interface eth0 { send raw-option 65536; };", "dhcp6c.conf:1:34: value 65536 out of range 0..65535"),
        ("interface eth0 { request dhcp4o6-server-address; };", "dhcp6c.conf:1:26: expected an option name after 'request', found 'dhcp4o6-server-address'"),
    ];
    for (text, want) in cases {
        assert_eq!(&client_err(text), want, "{text}");
    }
    // Read errors other than "not found" are fatal, also for includes.
    let mut l = |p: &str| -> Result<String, LoadError> {
        if p == "m.conf" {
            Ok("include \"/secret\";".into())
        } else {
            Err(LoadError::Other("permission denied".into()))
        }
    };
    assert_eq!(
        load_server("m.conf", &mut l, NOW).unwrap_err().to_string(),
        "m.conf:1:1: cannot read /secret: permission denied"
    );
    // Warnings with no error.
    let c = client("id-assoc pd 1 { prefix-interface eth1 { sla-id 300; sla-len 8; }; prefix-interface eth1 { }; };\ninterface eth0 { send ia-pd 1; };").unwrap();
    let msgs: Vec<String> = c.warnings.iter().map(|w| w.message.clone()).collect();
    assert_eq!(
        msgs,
        [
            "sla-id 300 does not fit in sla-len 8; WIDE would corrupt the prefix",
            "duplicated prefix-interface eth1 (ignored)"
        ]
    );
}

/// \[debian\] `dhcp6c -P NAME`: command-line interfaces without an
/// `interface` block take the profile's declarations (doc/wide-compat.md §1.3).
#[test]
fn profile_selection() {
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // The shape of Debian's default dhcp6c.conf: one stateless profile,
    // which its init script names with -Pdefault for every interface.
    let c = client(
        "profile default {\n  information-only;\n  request domain-name-servers;\n  request domain-name;\n  script \"/etc/wide-dhcpv6/dhcp6c-script\";\n};\n",
    )
    .unwrap()
    .config;
    let sel = c
        .select(&names(&["eth0", "eth1"]), Some("default"))
        .unwrap();
    assert_eq!(sel.len(), 2);
    for p in &sel {
        assert_eq!(p.name, "default");
        assert!(p.information_only);
        assert_eq!(p.request.len(), 2);
        // Every interface runs the script (Debian's gives it to one only).
        assert_eq!(p.script.as_deref(), Some("/etc/wide-dhcpv6/dhcp6c-script"));
    }
    assert_eq!(
        c.select(&names(&["eth0"]), None).unwrap_err().to_string(),
        "interface eth0 is not configured (no interface block, and no -P profile)"
    );
    assert_eq!(
        c.select(&names(&["eth0"]), Some("wan")),
        Err(SelectError::NoProfile {
            interface: "eth0".into(),
            profile: "wan".into()
        })
    );

    // A stateful profile beside an interface block: the block wins for
    // its interface, the profile's IAs go to one interface only.
    let c = client(
        "profile wan { send ia-na 1; send ia-pd 2; request domain-name-servers; };
interface eth9 { information-only; };
id-assoc na 1 { };
id-assoc pd 2 { prefix-interface lan0 { sla-id 1; sla-len 8; }; };
",
    )
    .unwrap()
    .config;
    let sel = c.select(&names(&["eth0", "eth9"]), Some("wan")).unwrap();
    assert_eq!(sel[0].name, "wan");
    assert_eq!(
        (sel[0].send_ia_na.as_slice(), sel[0].send_ia_pd.as_slice()),
        (&[1][..], &[2][..])
    );
    assert_eq!(sel[1].name, "eth9");
    assert!(sel[1].information_only && sel[1].send_ia_na.is_empty());
    // Without -P the interface block still serves its interface.
    assert_eq!(c.select(&names(&["eth9"]), None).unwrap()[0].name, "eth9");
    assert_eq!(
        c.select(&names(&["eth0", "eth9", "eth1"]), Some("wan"))
            .unwrap_err()
            .to_string(),
        "profile wan sends IAs and cannot serve both eth0 and eth1: an IA can belong to one interface only"
    );
    // The profile is printed back by `-t -D` and re-parses the same.
    let printed = c.to_string();
    assert!(printed.contains("profile wan {"), "{printed}");
    assert_eq!(client(&printed).unwrap().config, c);
}

/// kame6's `send reconfigure-accept;` (doc/config.md): parsed in an
/// interface block, printed back, and refused after `request`.
#[test]
fn reconfigure_accept_extension() {
    let c = client(
        "interface eth0 { send ia-na 1, reconfigure-accept; };\nid-assoc na 1 { };\n\
         profile p { send reconfigure-accept; };",
    )
    .unwrap()
    .config;
    assert!(c.interface("eth0").unwrap().reconfigure_accept);
    assert!(c.profiles[0].reconfigure_accept);
    assert!(c.to_string().contains("\tsend reconfigure-accept;\n"));
    client_round_trip(&c);
    let plain = client("interface eth0 { send rapid-commit; };")
        .unwrap()
        .config;
    assert!(!plain.interface("eth0").unwrap().reconfigure_accept);
    assert_eq!(
        client_err("interface eth0 { request reconfigure-accept; };"),
        "dhcp6c.conf:1:26: only information options can be requested"
    );
}

/// `expire` resolves to a Unix time: full dates as written (UTC), partial
/// ones on the load day, `forever` never.
#[test]
fn key_expiry_resolves() {
    let at = |s: &str| check::parse_expire(s).unwrap().resolve(NOW);
    // NOW is 2025-11-24T16:00:00Z.
    assert_eq!(at("forever"), None);
    assert_eq!(at("2035-12-31 23:59"), Some(2_082_758_340));
    assert_eq!(at("11-24 18:30"), Some(NOW + 9_000));
    assert_eq!(at("17:00"), Some(NOW + 3_600));
    assert_eq!(at("01-01 00:00"), Some(1_735_689_600));
}
