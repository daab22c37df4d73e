//! What dhcp6c.conf means: checks, contents, profiles and kame6's client
//! extensions, through the whole pipeline (helpers in `config::tests`).

use super::*;
use crate::config::tests::{client, client_err, client_round_trip, SPEC_CLIENT};

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
fn extensions_client() {
    let text = "interface eth0 {\n send ia-na 1, ia-ta 2, ia-pd 3;\n allow partial-advertise;\n allow renew-missing-ia;\n send raw-option 99 01:02;\n request raw-option 99, refreshtime;\n};\nid-assoc na 1 { };\nid-assoc ta 2 { };\nid-assoc pd 3 { prefix-interface eth1 { ifid random; }; prefix-interface eth2 { ifid eui-64; }; };";
    let c = client(text).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let i = &c.config.interfaces[0];
    assert!(i.partial_advertise && i.renew_missing_ia);
    assert_eq!(i.send_ia_ta, [2]);
    assert_eq!(
        i.send_raw,
        [RawOption {
            code: 99,
            data: vec![1, 2]
        }]
    );
    assert_eq!(i.request, [RequestItem::Raw(99), RequestItem::RefreshTime]);
    client_round_trip(&c.config);
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

/// kame6's DHCPv4-over-DHCPv6: `request dhcp4o6-server-address` turns it
/// on in an interface block and in a profile, `dhcp4o6-interface` names
/// where the IPv4 address goes; both survive `-t -D`; a second
/// `dhcp4o6-interface` is an error, and sending option 88 only a warning.
#[test]
fn dhcp4o6_client() {
    let text = "interface eth0 {\n send ia-na 1;\n request domain-name-servers, dhcp4o6-server-address;\n dhcp4o6-interface tun4;\n};\nprofile wan {\n request dhcp4o6-server-address;\n};\nid-assoc na 1 { };";
    let c = client(text).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let i = &c.config.interfaces[0];
    assert!(i.dhcp4o6());
    assert_eq!(i.dhcp4o6_interface.as_deref(), Some("tun4"));
    let p = &c.config.profiles[0];
    assert!(p.dhcp4o6() && p.dhcp4o6_interface.is_none());
    client_round_trip(&c.config);
    let plain = client("interface eth0 { request domain-name-servers; };").unwrap();
    assert!(!plain.config.interfaces[0].dhcp4o6());
    let twice = client("interface eth0 { dhcp4o6-interface a; dhcp4o6-interface b; };");
    assert!(twice
        .unwrap_err()
        .to_string()
        .contains("duplicated dhcp4o6-interface"),);
    let sent = client("interface eth0 { send dhcp4o6-server-address; };").unwrap();
    assert_eq!(sent.warnings.len(), 1, "{:?}", sent.warnings);
}
