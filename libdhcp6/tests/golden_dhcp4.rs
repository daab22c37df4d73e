//! Golden vectors for the DHCPv4 wire layer (RFC 2131, RFC 2132, RFC 3396,
//! RFC 3442, RFC 4361), used both ways: the hand-written bytes parse to the
//! typed value, and the typed value emits the same bytes. Then the layout
//! cases (overload, split options, Pads and trailers), malformed input, and
//! the parse→emit identity over every single-octet change of every vector.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod dhcp4_vectors;

use core::net::Ipv4Addr;

use dhcp4_vectors::*;
use libdhcp6::dhcp4::{
    ClasslessRoute, ClientId, Error, Item, Layout, MessageType, Op, OptionCode, OptionRepr,
    Overload, Packet, PacketRepr,
};

fn without_layout(mut r: PacketRepr) -> PacketRepr {
    r.layout = Layout::default();
    r
}

#[test]
fn golden_messages_both_ways() {
    for v in vectors() {
        let parsed = PacketRepr::from_bytes(&v.bytes).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert!(parsed.layout.is_recorded());
        assert_eq!(
            parsed.to_vec().unwrap(),
            v.bytes,
            "{}: parse then emit",
            v.name
        );
        assert_eq!(without_layout(parsed), v.repr, "{}: decoded value", v.name);
        assert_eq!(
            v.repr.to_vec().unwrap(),
            v.bytes,
            "{}: typed value emits the vector",
            v.name
        );
        assert!(
            v.bytes.len() >= 300,
            "{}: padded to the BOOTP minimum",
            v.name
        );
    }
}

#[test]
fn message_types_and_accessors() {
    let want = [
        ("discover", MessageType::Discover, "DHCPDISCOVER"),
        ("offer", MessageType::Offer, "DHCPOFFER"),
        ("request", MessageType::Request, "DHCPREQUEST"),
        ("ack", MessageType::Ack, "DHCPACK"),
        ("nak", MessageType::Nak, "DHCPNAK"),
        ("decline", MessageType::Decline, "DHCPDECLINE"),
        ("release", MessageType::Release, "DHCPRELEASE"),
        ("inform", MessageType::Inform, "DHCPINFORM"),
    ];
    for (v, (name, t, text)) in vectors().iter().zip(want) {
        assert_eq!(v.name, name);
        assert_eq!(v.repr.message_type(), Some(t));
        assert_eq!(t.name(), Some(text));
        assert_eq!(t.to_string(), text);
    }
    assert_eq!(MessageType::from(99).to_string(), "DHCP message type 99");
    assert_eq!(OptionCode::from(200).to_string(), "option 200");
    assert_eq!(OptionCode::ClasslessStaticRoutes.value(), 121);
    let v = vectors();
    let request = &v[2].repr;
    assert_eq!(request.requested_ip(), Some(CLIENT));
    assert_eq!(request.server_id(), Some(SERVER));
    assert_eq!(
        request.client_id(),
        Some(&ClientId::Duid {
            iaid: 1,
            duid: duid()
        })
    );
    assert_eq!(request.hw_addr(), &MAC);
    assert_eq!(request.overload(), None);
}

#[test]
fn view_reads_the_header() {
    let v = vectors();
    let p = Packet::new_checked(&v[1].bytes[..]).unwrap();
    assert_eq!(p.op(), Op::BootReply);
    assert_eq!((p.htype(), p.hlen(), p.hops()), (1, 6, 0));
    assert_eq!(p.xid(), XID);
    assert_eq!((p.secs(), p.flags()), (0, 0x8000));
    assert_eq!(p.ciaddr(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(p.yiaddr(), CLIENT);
    assert_eq!(p.siaddr(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(p.giaddr(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(p.chaddr(), &MAC);
    assert_eq!(p.chaddr_field().len(), 16);
    assert_eq!(p.sname(), &[0; 64]);
    assert_eq!(p.file(), &[0; 128]);
    let first = p.items().next().unwrap().unwrap();
    assert_eq!(
        first,
        Item::Option {
            code: OptionCode::MessageType,
            data: &[2]
        }
    );
}

/// Each typed option: its bytes (code, length, data) decode to the value,
/// and the value encodes to the data.
#[rustfmt::skip]
#[test]
fn golden_typed_options() {
    let a = Ipv4Addr::new;
    let cases: Vec<(&[u8], OptionRepr)> = vec![
        (&[1, 4, 255, 255, 255, 0], OptionRepr::SubnetMask(a(255, 255, 255, 0))),
        (&[3, 8, 10, 0, 0, 1, 10, 0, 0, 2], OptionRepr::Routers(vec![a(10, 0, 0, 1), a(10, 0, 0, 2)])),
        (&[6, 4, 9, 9, 9, 9], OptionRepr::DomainNameServers(vec![a(9, 9, 9, 9)])),
        (&[12, 3, b'p', b'c', b'1'], OptionRepr::HostName(b"pc1".to_vec())),
        (&[15, 7, b'e', b'x', b'.', b'c', b'o', b'm', 0], OptionRepr::DomainName(b"ex.com\0".to_vec())),
        (&[26, 2, 0x05, 0xdc], OptionRepr::InterfaceMtu(1500)),
        (&[28, 4, 10, 0, 0, 255], OptionRepr::BroadcastAddress(a(10, 0, 0, 255))),
        (&[42, 8, 10, 0, 0, 3, 10, 0, 0, 4], OptionRepr::NtpServers(vec![a(10, 0, 0, 3), a(10, 0, 0, 4)])),
        (&[50, 4, 10, 0, 0, 9], OptionRepr::RequestedIp(a(10, 0, 0, 9))),
        (&[51, 4, 0xff, 0xff, 0xff, 0xff], OptionRepr::LeaseTime(u32::MAX)),
        (&[52, 1, 1], OptionRepr::Overload(Overload::File)),
        (&[52, 1, 2], OptionRepr::Overload(Overload::Sname)),
        (&[52, 1, 3], OptionRepr::Overload(Overload::Both)),
        (&[53, 1, 18], OptionRepr::MessageType(MessageType::Tls)),
        (&[53, 1, 200], OptionRepr::MessageType(MessageType::from(200))),
        (&[54, 4, 10, 0, 0, 1], OptionRepr::ServerId(a(10, 0, 0, 1))),
        (&[55, 3, 1, 121, 250], OptionRepr::ParameterRequestList(vec![OptionCode::SubnetMask, OptionCode::ClasslessStaticRoutes, OptionCode::Unknown(250)])),
        (&[56, 2, b'n', b'o'], OptionRepr::Message(b"no".to_vec())),
        (&[57, 2, 0x02, 0x40], OptionRepr::MaxMessageSize(576)),
        (&[58, 4, 0, 0, 0, 30], OptionRepr::RenewalTime(30)),
        (&[59, 4, 0, 0, 0, 52], OptionRepr::RebindingTime(52)),
        (&[60, 3, b'a', b'b', b'c'], OptionRepr::VendorClassId(b"abc".to_vec())),
        (&[61, 2, 0, b'x'], OptionRepr::ClientId(ClientId::Typed { id_type: 0, id: b"x".to_vec() })),
        (&[61, 7, 1, 2, 3, 4, 5, 6, 7], OptionRepr::ClientId(ClientId::Typed { id_type: 1, id: vec![2, 3, 4, 5, 6, 7] })),
        (&[61, 15, 255, 0xde, 0xad, 0xbe, 0xef, 0, 3, 0, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
         OptionRepr::ClientId(ClientId::Duid { iaid: 0xdead_beef, duid: duid() })),
        (&[121, 14,
           24, 192, 168, 1, 10, 0, 0, 1,              // 192.168.1/24 via 10.0.0.1
           32, 10, 1, 2, 3, 0, 0, 0, 0],              // 10.1.2.3/32 wait: 1 + 4 + 4 = 9
         OptionRepr::Unknown { code: OptionCode::Unknown(0), data: vec![] }), // replaced below
        (&[2, 4, 0xff, 0xff, 0xc7, 0xc0], OptionRepr::Unknown { code: OptionCode::TimeOffset, data: vec![0xff, 0xff, 0xc7, 0xc0] }),
        (&[224, 0], OptionRepr::Unknown { code: OptionCode::Unknown(224), data: vec![] }),
    ];
    for (bytes, want) in cases.into_iter().filter(|(b, _)| b[0] != 121) {
        let code = OptionCode::from(bytes[0]);
        assert_eq!(usize::from(bytes[1]), bytes.len() - 2);
        let got = OptionRepr::parse(code, &bytes[2..]).unwrap_or_else(|e| panic!("{code:?}: {e}"));
        assert_eq!(got, want, "{code:?}");
        assert_eq!(got.code(), code);
        assert_eq!(got.data_to_vec(), &bytes[2..], "{code:?}: emit");
    }
    let routes: &[u8] = &[
        24, 192, 168, 1, 10, 0, 0, 1,                 // 192.168.1.0/24 via 10.0.0.1
        32, 10, 1, 2, 3, 0, 0, 0, 0,                  // 10.1.2.3/32 on-link
        0, 10, 0, 0, 1,                               // default via 10.0.0.1
    ];
    let want = OptionRepr::ClasslessStaticRoutes(vec![
        ClasslessRoute { destination: a(192, 168, 1, 0), prefix_len: 24, router: a(10, 0, 0, 1) },
        ClasslessRoute { destination: a(10, 1, 2, 3), prefix_len: 32, router: a(0, 0, 0, 0) },
        ClasslessRoute { destination: a(0, 0, 0, 0), prefix_len: 0, router: a(10, 0, 0, 1) },
    ]);
    assert_eq!(OptionRepr::parse(OptionCode::ClasslessStaticRoutes, routes), Ok(want.clone()));
    assert_eq!(want.data_to_vec(), routes);
}

/// RFC 2131 §4.1 and RFC 3396: options, then `file`, then `sname`; split
/// instances concatenate in that order; the message re-emits byte for byte.
#[test]
fn overload_and_split_options_round_trip() {
    let bytes = overloaded_ack();
    assert_eq!(bytes.len(), 240 + 3 + 3 + 6 + 8 + 6 + 1);
    let r = PacketRepr::from_bytes(&bytes).unwrap();
    let codes: Vec<u8> = r.options.iter().map(|o| o.code().value()).collect();
    assert_eq!(codes, [53, 52, 54, 121, 51, 15, 3]);
    assert_eq!(r.overload(), Some(Overload::Both));
    assert_eq!(
        r.option(OptionCode::DomainName),
        Some(&OptionRepr::DomainName(b"example.org".to_vec()))
    );
    assert_eq!(
        r.option(OptionCode::ClasslessStaticRoutes),
        Some(&OptionRepr::ClasslessStaticRoutes(vec![
            ClasslessRoute {
                destination: Ipv4Addr::new(10, 0, 0, 0),
                prefix_len: 8,
                router: Ipv4Addr::new(192, 0, 2, 2)
            },
            ClasslessRoute {
                destination: Ipv4Addr::UNSPECIFIED,
                prefix_len: 0,
                router: SERVER
            },
        ]))
    );
    // The overloaded fields hold options, not a name.
    assert_eq!(r.sname, [0; 64]);
    assert_eq!(r.file, [0; 128]);
    assert_eq!(r.to_vec().unwrap(), bytes);

    // A same-length change keeps the layout: only the lease time's octets move.
    let mut same = r.clone();
    for o in &mut same.options {
        if let OptionRepr::LeaseTime(t) = o {
            *t = 7200;
        }
    }
    let out = same.to_vec().unwrap();
    let diff: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] != out[i]).collect();
    assert_eq!(diff, [bytes.len() - 3, bytes.len() - 2]);

    // A longer domain name no longer fits: the canonical layout, no overload.
    let mut longer = r.clone();
    for o in &mut longer.options {
        if let OptionRepr::DomainName(d) = o {
            d.extend_from_slice(b".example");
        }
    }
    let out = longer.to_vec().unwrap();
    let again = PacketRepr::from_bytes(&out).unwrap();
    assert_eq!(again.overload(), None);
    let mut want = longer.options.clone();
    want.retain(|o| o.code() != OptionCode::Overload);
    assert_eq!(again.options, want);
    assert_eq!(again.sname, [0; 64]);
    assert_eq!(out.len(), 300);
}

/// RFC 3396 §5: the canonical layout splits a long option into instances
/// of 255 octets and the rest, consecutively; parsing joins them.
#[test]
fn long_option_split_and_joined() {
    let servers: Vec<Ipv4Addr> = (0..70u8).map(|i| Ipv4Addr::new(10, 0, 0, i)).collect();
    let mut r = vectors().remove(3).repr;
    r.options = vec![
        OptionRepr::MessageType(MessageType::Ack),
        OptionRepr::DomainNameServers(servers.clone()),
    ];
    let out = r.to_vec().unwrap();
    let opts = &out[240..];
    assert_eq!(&opts[..5], &[53, 1, 5, 6, 255]);
    assert_eq!(&opts[5 + 255..5 + 257], &[6, 25]);
    assert_eq!(opts[5 + 257 + 25], 255, "end after the second instance");
    let again = PacketRepr::from_bytes(&out).unwrap();
    assert_eq!(again.options, r.options);
    assert_eq!(again.to_vec().unwrap(), out);
}

/// Pads between options, no End at all, bytes after End, reserved flag
/// bits, a full 16-octet chaddr: all kept.
#[rustfmt::skip]
#[test]
fn odd_layouts_round_trip() {
    let base = vectors().remove(0).bytes;
    let head = &base[..240];
    let cases: Vec<Vec<u8>> = vec![
        cat(&[head, &[0, 0, 53, 1, 1, 0, 61, 2, 0, 7]]),             // no End
        cat(&[head, &[53, 1, 1, 255, 0xde, 0xad, 0, 0]]),            // junk after End
        cat(&[head, &[53, 1, 1, 12, 1, b'a', 12, 1, b'b', 255]]),    // split host name "ab"
        cat(&[head, &[53, 1, 1, 224, 0, 255]]),                      // unknown option, empty
        cat(&[head, &[]]),                                           // no options at all
    ];
    for (i, bytes) in cases.iter().enumerate() {
        let r = PacketRepr::from_bytes(bytes).unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert_eq!(&r.to_vec().unwrap(), bytes, "case {i}");
    }
    let split = PacketRepr::from_bytes(&cases[2]).unwrap();
    assert_eq!(split.option(OptionCode::HostName), Some(&OptionRepr::HostName(b"ab".to_vec())));
    let mut odd = base.clone();
    odd[2] = 16;                                  // hlen 16
    odd[10] = 0x7f;                               // reserved flag bits set
    odd[28..44].copy_from_slice(&[0xaa; 16]);
    odd[44..50].copy_from_slice(b"srv-01");        // sname text
    odd[108..118].copy_from_slice(b"pxelinux.0"); // file text
    let r = PacketRepr::from_bytes(&odd).unwrap();
    assert_eq!(r.hw_addr(), &[0xaa; 16]);
    assert_eq!(&r.sname[..6], b"srv-01");
    assert_eq!(&r.file[..10], b"pxelinux.0");
    assert_eq!(r.to_vec().unwrap(), odd);
    assert_eq!(without_layout(r).to_vec().unwrap(), odd, "canonical too");
}

#[test]
fn malformed_inputs_are_errors() {
    let good = vectors().remove(0).bytes;
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        f(&mut b);
        PacketRepr::from_bytes(&b)
    };
    assert_eq!(PacketRepr::from_bytes(&good[..239]), Err(Error::Truncated));
    assert_eq!(PacketRepr::from_bytes(&[]), Err(Error::Truncated));
    assert_eq!(
        with(&|b| b[236] = 0),
        Err(Error::BadCookie([0, 130, 83, 99]))
    );
    assert_eq!(with(&|b| b[2] = 17), Err(Error::BadHlen(17)));
    assert_eq!(with(&|b| b[2] = 255), Err(Error::BadHlen(255)));
    assert_eq!(with(&|b| b[0] = 3), Err(Error::BadOp(3)));
    assert_eq!(with(&|b| b[0] = 0), Err(Error::BadOp(0)));
    // Option length past the end of the message.
    assert_eq!(
        with(&|b| b.truncate(245)),
        Err(Error::OptionOverrun { code: 61, len: 7 })
    );
    assert_eq!(
        with(&|b| b.truncate(244)),
        Err(Error::OptionOverrun { code: 61, len: 0 })
    );
    assert_eq!(
        PacketRepr::from_bytes(&cat(&[&good[..240], &[53]])),
        Err(Error::OptionOverrun { code: 53, len: 0 })
    );
    // A typed option of the wrong length.
    assert_eq!(
        with(&|b| b[241] = 2),
        Err(Error::BadOptionLen { code: 53, len: 2 })
    );
    // Overload pointing at garbage: a file name read as options overruns.
    let overload = |file: &[u8]| {
        let mut b = cat(&[&good[..240], &[52, 1, 1, 53, 1, 1, 255]]);
        b[108..108 + file.len()].copy_from_slice(file);
        PacketRepr::from_bytes(&b)
    };
    assert_eq!(
        overload(&[b'x'; 128]),
        Err(Error::OptionOverrun {
            code: b'x',
            len: usize::from(b'x')
        })
    );
    assert_eq!(overload(&[52, 1, 2, 255]), Err(Error::MisplacedOverload));
    assert_eq!(
        overload(&[1, 3, 0, 0, 0, 255]),
        Err(Error::BadOptionLen { code: 1, len: 3 })
    );
    assert!(overload(&[255]).is_ok());
    // An overload value outside 1-3.
    assert_eq!(
        PacketRepr::from_bytes(&cat(&[&good[..240], &[52, 1, 0, 255]])),
        Err(Error::BadValue { code: 52 })
    );
    // Emitting refuses what parsing would refuse.
    let mut r = vectors().remove(0).repr;
    r.hlen = 17;
    assert_eq!(r.to_vec(), Err(Error::BadHlen(17)));
    r.hlen = 6;
    r.op = Op::from(9);
    assert_eq!(r.to_vec(), Err(Error::BadOp(9)));
}

/// Every single-octet change and every truncation of every vector either
/// is refused or re-emits to exactly the changed bytes; never a panic.
#[test]
fn parse_emit_identity_under_mutation() {
    let mut inputs: Vec<Vec<u8>> = vectors().into_iter().map(|v| v.bytes).collect();
    inputs.push(overloaded_ack());
    let mut parsed = 0usize;
    for input in &inputs {
        for len in 0..input.len() {
            if let Ok(r) = PacketRepr::from_bytes(&input[..len]) {
                assert_eq!(r.to_vec().unwrap(), &input[..len]);
            }
        }
        for at in 0..input.len() {
            for value in [0u8, 1, 2, 3, 52, 0x7f, 0xfe, 0xff] {
                let mut b = input.clone();
                b[at] = value;
                if let Ok(r) = PacketRepr::from_bytes(&b) {
                    parsed += 1;
                    assert_eq!(r.to_vec().unwrap(), b, "octet {at} set to {value}");
                }
            }
        }
    }
    assert!(parsed > 10_000, "the mutations mostly parse ({parsed})");
}
