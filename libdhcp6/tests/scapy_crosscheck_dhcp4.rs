//! Independent cross-check of the DHCPv4 codec and the 4o6 IPC framing
//! against scapy's BOOTP/DHCP and DHCPv6 dissectors.
//!
//! The DHCPv4 golden messages (tests/dhcp4_vectors: the eight RFC 2131
//! message types and a DHCPACK overloading `file` and `sname` with options
//! split across them) and a message carrying every typed option go to
//! scapy hex-encoded; scapy decodes the header fields and each option
//! instance of the options field, and of `file` / `sname` when its own
//! reading of option 52 says they are overloaded. The test compares each
//! with what our decoder makes of the same bytes: header fields, option
//! codes in wire order (Pads and End included), addresses, times, sizes,
//! parameter request lists and RFC 3442 routes by value (scapy decodes
//! these itself), the rest as bytes. scapy does not join split options
//! (RFC 3396), so instances are compared one by one.
//!
//! IPC datagrams built by `dhcp4::ipc::attach` (a bare DHCPV4-QUERY, one
//! inside two Relay-forwards, a DHCPV4-RESPONSE) go through scapy's DHCPv6
//! dissector: message and relay headers, option 87's bytes and the
//! Vendor-specific Information option's enterprise number and sub-options.
//!
//! The interpreter is `$KAME6_PYTHON` if set, else `python3` on PATH. The
//! test FAILS, saying why, when the interpreter or scapy is missing; it
//! never passes without having compared.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod dhcp4_vectors;

use std::io::Write;
use std::process::{Command, Stdio};

use core::net::{Ipv4Addr, Ipv6Addr};

use dhcp4_vectors::*;
use libdhcp6::dhcp4::ipc::{attach_to_vec, Meta};
use libdhcp6::dhcp4::{
    ClasslessRoute, ClientId, Item, Items, MessageType, OptionCode, OptionRepr, Overload, Packet,
    PacketRepr,
};
use libdhcp6::wire::{MessageRepr, OptionRepr as Option6, RelayRepr, DHCPV4_QUERY_UNICAST};

/// Reads "KIND NAME HEX" lines; prints tab-separated "NAME WHERE KEY VALUE"
/// lines (see the module docs).
const SCRIPT: &str = r#"
import sys
try:
    from scapy.layers.dhcp import BOOTP, DHCP, DHCPRevOptions
    from scapy.layers import dhcp6
except ImportError as e:
    print(f"cannot import scapy ({e}); pip install scapy", file=sys.stderr)
    sys.exit(2)

def val(v):
    if isinstance(v, (bytes, bytearray)):
        return "hex:" + bytes(v).hex()
    if isinstance(v, (list, tuple)):
        return ",".join(val(x) for x in v)
    return str(v)

def opts(name, area, options):
    for o in options:
        if isinstance(o, str):
            code, vals = {"pad": 0, "end": 255}[o], []
        else:
            key, vals = o[0], list(o[1:])
            code = key if isinstance(key, int) else DHCPRevOptions[key][0]
        print(f"{name}\t{area}\t{code}\t{val(vals)}")

def v4(name, data):
    p = BOOTP(data)
    for f in ("op", "htype", "hlen", "hops", "xid", "secs", "flags",
              "ciaddr", "yiaddr", "siaddr", "giaddr", "chaddr", "sname", "file"):
        print(f"{name}\thdr\t{f}\t{val(int(getattr(p, f)) if f == 'flags' else getattr(p, f))}")
    d = p.getlayer(DHCP)
    opts(name, "options", d.options)
    ov = next((o[1] for o in d.options if isinstance(o, tuple) and o[0] == "dhcp-option-overload"), 0)
    if ov & 1:
        opts(name, "file", DHCP(bytes(p.file)).options)
    if ov & 2:
        opts(name, "sname", DHCP(bytes(p.sname)).options)

def v6(name, p, depth):
    for l in p.iterpayloads():
        if isinstance(l, (dhcp6.DHCP6_RelayForward, dhcp6.DHCP6_RelayReply)):
            print(f"{name}\trelay{depth}\t{l.msgtype}\t{l.hopcount},{l.linkaddr},{l.peeraddr}")
        elif isinstance(l, dhcp6.DHCP6OptRelayMsg):
            # scapy has no class for message types 20/21 inside a relay:
            # dissect the inner bytes again, as at the top.
            v6(name, dissect(bytes(l.message)), depth + 1)
            return
        elif isinstance(l, dhcp6.DHCP6OptVendorSpecificInfo):
            subs = ";".join(f"{x.optcode}={bytes(x.optdata).hex()}" for x in l.vso)
            print(f"{name}\tvss{depth}\t{l.enterprisenum}\t{subs}")
        elif isinstance(l, dhcp6.DHCP6OptUnknown):
            print(f"{name}\topt{depth}\t{l.optcode}\t{val(l.data)}")
        elif type(l) is dhcp6.DHCP6:
            print(f"{name}\tmsg{depth}\t{l.msgtype}\t{l.trid}")
        elif isinstance(l, dhcp6.DHCP6OptIfaceId):
            print(f"{name}\topt{depth}\t18\t{val(l.ifaceid)}")

def dissect(raw):
    cls = dhcp6.DHCP6_RelayForward if raw[0] == 12 else dhcp6.DHCP6
    return cls(raw)

for line in sys.stdin:
    kind, name, data = line.split()
    if kind == "v4":
        v4(name, bytes.fromhex(data))
    else:
        v6(name, dissect(bytes.fromhex(data)), 0)
"#;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn run_scapy(input: &[(&str, String, Vec<u8>)]) -> Vec<String> {
    let python = std::env::var("KAME6_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = Command::new(&python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("scapy cross-check cannot run: interpreter {python:?} not found ({e})")
        });
    let mut text = String::new();
    for (kind, name, bytes) in input {
        text.push_str(&format!("{kind} {name} {}\n", hex(bytes)));
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "scapy cross-check cannot run: {python:?} exited with {} (2: scapy missing)\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// How scapy prints one option instance's value, from our decoding of it.
fn value(code: OptionCode, data: &[u8]) -> String {
    let join = |l: &[Ipv4Addr]| {
        l.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    match OptionRepr::parse(code, data) {
        Ok(OptionRepr::MessageType(t)) => t.value().to_string(),
        Ok(
            OptionRepr::ServerId(a)
            | OptionRepr::RequestedIp(a)
            | OptionRepr::SubnetMask(a)
            | OptionRepr::BroadcastAddress(a),
        ) => a.to_string(),
        Ok(
            OptionRepr::Routers(l) | OptionRepr::DomainNameServers(l) | OptionRepr::NtpServers(l),
        ) => join(&l),
        Ok(
            OptionRepr::LeaseTime(v) | OptionRepr::RenewalTime(v) | OptionRepr::RebindingTime(v),
        ) => v.to_string(),
        Ok(OptionRepr::InterfaceMtu(v) | OptionRepr::MaxMessageSize(v)) => v.to_string(),
        Ok(OptionRepr::Overload(o)) => o.value().to_string(),
        Ok(OptionRepr::ParameterRequestList(c)) => c
            .iter()
            .map(|c| c.value().to_string())
            .collect::<Vec<_>>()
            .join(","),
        Ok(OptionRepr::ClasslessStaticRoutes(r)) => r
            .iter()
            .map(|r| format!("{}/{}:{}", r.destination, r.prefix_len, r.router))
            .collect::<Vec<_>>()
            .join(","),
        Ok(o) => format!("hex:{}", hex(&o.data_to_vec())),
        Err(_) => format!("hex:{}", hex(data)),
    }
}

fn area_lines(name: &str, area_name: &str, area: &[u8], out: &mut Vec<String>) {
    for item in Items::new(area) {
        match item.unwrap() {
            Item::Pad(n) => (0..n).for_each(|_| out.push(format!("{name}\t{area_name}\t0\t"))),
            Item::End => out.push(format!("{name}\t{area_name}\t255\t")),
            Item::Option { code, data } => out.push(format!(
                "{name}\t{area_name}\t{}\t{}",
                code.value(),
                value(code, data)
            )),
            Item::Trailer(t) => {
                assert!(t.iter().all(|&b| b == 0), "{name}: vectors pad with zeros");
                (0..t.len()).for_each(|_| out.push(format!("{name}\t{area_name}\t0\t")));
            }
        }
    }
}

/// The lines scapy should print for a DHCPv4 message, from our decoder.
fn expected_v4(name: &str, bytes: &[u8]) -> Vec<String> {
    let r = PacketRepr::from_bytes(bytes).unwrap();
    let p = Packet::new_checked(bytes).unwrap();
    let mut out: Vec<String> = [
        ("op", r.op.value().to_string()),
        ("htype", r.htype.to_string()),
        ("hlen", r.hlen.to_string()),
        ("hops", r.hops.to_string()),
        ("xid", r.xid.to_string()),
        ("secs", r.secs.to_string()),
        ("flags", r.flags.to_string()),
        ("ciaddr", r.ciaddr.to_string()),
        ("yiaddr", r.yiaddr.to_string()),
        ("siaddr", r.siaddr.to_string()),
        ("giaddr", r.giaddr.to_string()),
        ("chaddr", format!("hex:{}", hex(&r.chaddr))),
        ("sname", format!("hex:{}", hex(p.sname()))),
        ("file", format!("hex:{}", hex(p.file()))),
    ]
    .into_iter()
    .map(|(k, v)| format!("{name}\thdr\t{k}\t{v}"))
    .collect();
    area_lines(name, "options", p.options_area(), &mut out);
    let ov = r.overload();
    if ov.is_some_and(Overload::file) {
        area_lines(name, "file", p.file(), &mut out);
    }
    if ov.is_some_and(Overload::sname) {
        area_lines(name, "sname", p.sname(), &mut out);
    }
    out
}

/// A DHCPACK with every typed option, laid out canonically.
fn every_option() -> Vec<u8> {
    let mut r = vectors().remove(3).repr;
    r.options.extend([
        OptionRepr::HostName(b"host1".to_vec()),
        OptionRepr::RequestedIp(CLIENT),
        OptionRepr::ParameterRequestList([1u8, 3, 121].map(OptionCode::from).to_vec()),
        OptionRepr::Message(b"all good".to_vec()),
        OptionRepr::MaxMessageSize(1500),
        OptionRepr::VendorClassId(b"kame6".to_vec()),
        OptionRepr::ClientId(ClientId::Duid {
            iaid: 9,
            duid: duid(),
        }),
        OptionRepr::Unknown {
            code: OptionCode::from(224),
            data: vec![1, 2],
        },
    ]);
    r.options
        .retain(|o| !matches!(o, OptionRepr::ClasslessStaticRoutes(_)));
    r.options.push(OptionRepr::ClasslessStaticRoutes(vec![
        ClasslessRoute {
            destination: Ipv4Addr::new(192, 168, 100, 0),
            prefix_len: 22,
            router: Ipv4Addr::new(192, 0, 2, 3),
        },
        ClasslessRoute {
            destination: Ipv4Addr::new(10, 1, 2, 3),
            prefix_len: 32,
            router: Ipv4Addr::UNSPECIFIED,
        },
    ]));
    assert_eq!(r.message_type(), Some(MessageType::Ack));
    r.to_vec().unwrap()
}

fn meta() -> Meta {
    Meta {
        interface: "eth0".into(),
        remote_addr: "fe80::211:22ff:fe33:4455".parse().unwrap(),
        remote_port: 546,
    }
}

fn query(msg_type: libdhcp6::MessageType, flags: u32) -> Vec<u8> {
    MessageRepr {
        msg_type,
        transaction_id: flags,
        options: vec![Option6::Dhcpv4Msg(vectors().remove(0).bytes)],
    }
    .to_vec()
    .unwrap()
}

fn relay(hop_count: u8, link: &str, inner: Vec<u8>, if_id: &[u8]) -> Vec<u8> {
    RelayRepr {
        msg_type: libdhcp6::MessageType::RelayForw,
        hop_count,
        link_address: link.parse().unwrap(),
        peer_address: "fe80::1".parse().unwrap(),
        options: vec![
            Option6::InterfaceId(if_id.to_vec()),
            Option6::RelayMsg(inner),
        ],
    }
    .to_vec()
    .unwrap()
}

/// The lines scapy should print for an IPC datagram framed with `meta()`
/// around `levels` relays (outermost first) and a message of `msg_type`.
fn expected_ipc(name: &str, levels: &[(u8, &str, &[u8])], msg_type: u8, flags: u32) -> Vec<String> {
    let mut out = Vec::new();
    for (depth, (hop, link, if_id)) in levels.iter().enumerate() {
        let link: Ipv6Addr = link.parse().unwrap();
        out.push(format!("{name}\trelay{depth}\t12\t{hop},{link},fe80::1"));
        out.push(format!("{name}\topt{depth}\t18\thex:{}", hex(if_id)));
    }
    let d = levels.len();
    let m = meta();
    out.push(format!("{name}\tmsg{d}\t{msg_type}\t{flags}"));
    out.push(format!(
        "{name}\topt{d}\t87\thex:{}",
        hex(&vectors().remove(0).bytes)
    ));
    out.push(format!(
        "{name}\tvss{d}\t2495\t60000={};60001={};60002={}",
        hex(m.interface.as_bytes()),
        hex(&m.remote_addr.octets()),
        hex(&m.remote_port.to_be_bytes())
    ));
    out
}

#[test]
fn scapy_decodes_dhcpv4_and_ipc_as_we_do() {
    let mut input: Vec<(&str, String, Vec<u8>)> = vectors()
        .into_iter()
        .map(|v| ("v4", v.name.to_owned(), v.bytes))
        .collect();
    input.push(("v4", "overloaded-ack".into(), overloaded_ack()));
    input.push(("v4", "every-option".into(), every_option()));
    let mut expected: Vec<String> = input
        .iter()
        .flat_map(|(_, name, bytes)| expected_v4(name, bytes))
        .collect();

    let q = query(libdhcp6::MessageType::Dhcpv4Query, DHCPV4_QUERY_UNICAST);
    let relayed = relay(
        1,
        "::",
        relay(0, "2001:db8:1::1", q.clone(), b"ge-1"),
        b"uplink",
    );
    let response = query(libdhcp6::MessageType::Dhcpv4Response, 0);
    let ipc = [
        ("ipc-query", q, vec![], 20, DHCPV4_QUERY_UNICAST),
        (
            "ipc-relayed",
            relayed,
            vec![
                (1, "::", &b"uplink"[..]),
                (0, "2001:db8:1::1", &b"ge-1"[..]),
            ],
            20,
            DHCPV4_QUERY_UNICAST,
        ),
        ("ipc-response", response, vec![], 21, 0),
    ];
    for (name, msg, levels, t, flags) in ipc {
        input.push(("v6", name.into(), attach_to_vec(&msg, &meta()).unwrap()));
        expected.extend(expected_ipc(name, &levels, t, flags));
    }

    let got = run_scapy(&input);
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "line {i}: scapy (left) and ours (right) differ");
    }
    assert_eq!(
        got.len(),
        expected.len(),
        "scapy printed a different number of lines"
    );
    // The comparison covered every typed option and every message type.
    for code in [
        1u8, 3, 6, 12, 15, 26, 28, 42, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 121,
    ] {
        assert!(
            expected
                .iter()
                .any(|l| l.split('\t').nth(2) == Some(&code.to_string())),
            "option {code} was compared"
        );
    }
}
