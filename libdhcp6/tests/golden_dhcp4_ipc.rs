//! Golden vectors for Kea's DHCPv4-over-DHCPv6 IPC framing
//! (`libdhcp6::dhcp4::ipc`): the ISC vendor option (17, enterprise 2495)
//! with sub-options 60000 (interface), 60001 (remote address) and 60002
//! (remote port) in the innermost message of a bare or relayed
//! DHCPV4-QUERY / DHCPV4-RESPONSE (RFC 7341), written out by hand; the
//! removal of client-forged sub-options; the refusal of missing, repeated
//! or malformed metadata; and no panic on any change of a framed datagram.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod dhcp4_vectors;

use core::net::Ipv6Addr;

use dhcp4_vectors::cat;
use libdhcp6::dhcp4::ipc::{attach_to_vec, extract_to_vec, Error, Meta};
use libdhcp6::wire::{self, decapsulate, MessageRepr, OptionRepr, DHCPV4_QUERY_UNICAST};
use libdhcp6::MessageType;

/// A short DHCPv4 message standing for option 87's contents: the IPC does
/// not look inside it.
const V4: &[u8] = &[1, 1, 6, 0, 0xde, 0xad, 0xbe, 0xef];

fn peer() -> Ipv6Addr {
    "fe80::211:22ff:fe33:4455".parse().unwrap()
}

fn meta() -> Meta {
    Meta {
        interface: "eth0".to_owned(),
        remote_addr: peer(),
        remote_port: 546,
    }
}

#[rustfmt::skip]
fn query() -> Vec<u8> {
    cat(&[
        &[20, 0x80, 0x00, 0x00],        // DHCPV4-QUERY, flags: U (unicast)
        &[0x00, 0x57, 0x00, 0x08], V4,  // OPTION_DHCPV4_MSG, length 8
    ])
}

/// Our metadata as one ISC vendor option.
#[rustfmt::skip]
fn vendor_option() -> Vec<u8> {
    cat(&[
        &[0x00, 0x11, 0x00, 0x26],      // OPTION_VENDOR_OPTS, length 38
        &[0x00, 0x00, 0x09, 0xbf],      //   enterprise 2495 (ISC)
        &[0xea, 0x60, 0x00, 0x04],      //   60000 interface, length 4
        b"eth0",
        &[0xea, 0x61, 0x00, 0x10],      //   60001 remote address, length 16
        &peer().octets(),
        &[0xea, 0x62, 0x00, 0x02],      //   60002 remote port, length 2
        &[0x02, 0x22],                  //     546
    ])
}

/// Relay-forward around `inner`: Interface-ID before the Relay Message,
/// Relay Source Port after it.
#[rustfmt::skip]
fn relay(hop: u8, inner: &[u8]) -> Vec<u8> {
    let len = u16::try_from(inner.len()).unwrap().to_be_bytes();
    cat(&[
        &[12, hop],                                              // Relay-forward, hop-count
        &"2001:db8:1::1".parse::<Ipv6Addr>().unwrap().octets(),  // link-address
        &peer().octets(),                                        // peer-address
        &[0x00, 0x12, 0x00, 0x04], b"ge-1",                      // Interface-ID
        &[0x00, 0x09], &len, inner,                              // Relay Message
        &[0x00, 0x87, 0x00, 0x02, 0x22, 0xb8],                   // Relay Source Port 8888
    ])
}

#[test]
fn query_is_the_dhcpv6_codec_s_dhcpv4_query() {
    let m = MessageRepr {
        msg_type: MessageType::Dhcpv4Query,
        transaction_id: DHCPV4_QUERY_UNICAST,
        options: vec![OptionRepr::Dhcpv4Msg(V4.to_vec())],
    };
    assert_eq!(m.to_vec().unwrap(), query());
}

#[test]
fn bare_query_framed_and_unframed() {
    let framed = attach_to_vec(&query(), &meta()).unwrap();
    assert_eq!(framed, cat(&[&query(), &vendor_option()]));
    assert_eq!(extract_to_vec(&framed).unwrap(), (query(), meta()));
}

/// The vendor option goes into the innermost message; each Relay Message
/// length grows by its 42 octets and nothing else in the relays changes.
#[test]
fn relayed_query_framed_in_the_innermost_message() {
    let framed_inner = cat(&[&query(), &vendor_option()]);
    let one = relay(0, &query());
    let framed = attach_to_vec(&one, &meta()).unwrap();
    assert_eq!(framed, relay(0, &framed_inner));
    assert_eq!(extract_to_vec(&framed).unwrap(), (one, meta()));

    let two = relay(1, &relay(0, &query()));
    let framed = attach_to_vec(&two, &meta()).unwrap();
    assert_eq!(framed, relay(1, &relay(0, &framed_inner)));
    let (chain, inner) = decapsulate(&framed).unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(inner, framed_inner);
    assert_eq!(extract_to_vec(&framed).unwrap(), (two, meta()));
}

/// A response comes back inside Relay-reply levels the same way.
#[test]
fn relayed_response_unframed() {
    let mut response = cat(&[
        &[21, 0, 0, 0],
        &[0x00, 0x57, 0x00, 0x08],
        V4,
        &vendor_option(),
    ]);
    let mut reply = relay(0, &response);
    reply[0] = 13;
    let (plain, m) = extract_to_vec(&reply).unwrap();
    assert_eq!(m, meta());
    response.truncate(response.len() - vendor_option().len());
    let mut want = relay(0, &response);
    want[0] = 13;
    assert_eq!(plain, want);
}

/// Kea packs options in code order, so its vendor option comes before
/// option 87; it is found anywhere in the innermost message.
#[test]
fn metadata_before_other_options_accepted() {
    let kea = cat(&[
        &[20, 0, 0, 0],
        &vendor_option(),
        &[0x00, 0x57, 0x00, 0x08],
        V4,
    ]);
    let (plain, m) = extract_to_vec(&kea).unwrap();
    assert_eq!(m, meta());
    assert_eq!(plain, cat(&[&[20, 0, 0, 0], &[0x00, 0x57, 0x00, 0x08], V4]));
}

/// A client cannot steer the answer: its own 60000-60002 sub-options go
/// before ours are added; its other ISC sub-options stay and take ours; a
/// vendor option of another enterprise is not touched.
#[rustfmt::skip]
#[test]
fn client_forged_metadata_removed() {
    let evil: Ipv6Addr = "2001:db8:bad::1".parse().unwrap();
    let other_vendor: &[u8] = &[
        0x00, 0x11, 0x00, 0x0c,         // OPTION_VENDOR_OPTS, length 12
        0x00, 0x00, 0x00, 0x09,         //   enterprise 9
        0xea, 0x60, 0x00, 0x04,         //   its own 60000, length 4
        b'w', b'a', b'n', b'0',
    ];
    let forged = cat(&[
        &[20, 0x80, 0x00, 0x00],
        &[0x00, 0x11, 0x00, 0x1d],      // OPTION_VENDOR_OPTS, length 29
        &[0x00, 0x00, 0x09, 0xbf],      //   enterprise 2495
        &[0xea, 0x61, 0x00, 0x10],      //   forged remote address
        &evil.octets(),
        &[0x00, 0x01, 0x00, 0x01, 0x2a], //   sub-option 1, kept
        other_vendor,
        &[0x00, 0x57, 0x00, 0x08], V4,
    ]);
    let framed = attach_to_vec(&forged, &meta()).unwrap();
    let ours = vendor_option();
    assert_eq!(framed, cat(&[
        &[20, 0x80, 0x00, 0x00],
        &[0x00, 0x11, 0x00, 0x2b],      // OPTION_VENDOR_OPTS, length 43
        &[0x00, 0x00, 0x09, 0xbf],      //   enterprise 2495
        &[0x00, 0x01, 0x00, 0x01, 0x2a], //   the client's sub-option 1
        &ours[8..],                     //   then ours
        other_vendor,
        &[0x00, 0x57, 0x00, 0x08], V4,
    ]));
    let (plain, m) = extract_to_vec(&framed).unwrap();
    assert_eq!(m, meta());
    assert_eq!(plain, cat(&[
        &[20, 0x80, 0x00, 0x00],
        &[0x00, 0x11, 0x00, 0x09, 0x00, 0x00, 0x09, 0xbf, 0x00, 0x01, 0x00, 0x01, 0x2a],
        other_vendor,
        &[0x00, 0x57, 0x00, 0x08], V4,
    ]));

    // An ISC vendor option holding nothing but forgeries, or nothing at
    // all, disappears; ours is added at the end as for a clean query.
    for isc in [
        cat(&[&[0x00, 0x11, 0x00, 0x14, 0x00, 0x00, 0x09, 0xbf],
              &[0xea, 0x60, 0x00, 0x05], b"evil0",
              &[0xea, 0x62, 0x00, 0x03, 0x00, 0x09, 0x00]]), // even a malformed port
        vec![0x00, 0x11, 0x00, 0x04, 0x00, 0x00, 0x09, 0xbf],
    ] {
        let q = cat(&[&query()[..4], &isc, &query()[4..]]);
        assert_eq!(attach_to_vec(&q, &meta()).unwrap(), cat(&[&query(), &ours]));
    }
}

/// Found by the ipc4o6 fuzz target: an empty ISC vendor option beside
/// the metadata was kept by extract but dropped by attach, so unframing,
/// framing and unframing again changed the message. Both drop it now.
#[rustfmt::skip]
#[test]
fn empty_isc_option_dropped_both_ways() {
    let framed = cat(&[
        &query(),
        &[0x00, 0x11, 0x00, 0x04, 0x00, 0x00, 0x09, 0xbf], // empty ISC vendor option
        &vendor_option(),
    ]);
    let (plain, m) = extract_to_vec(&framed).unwrap();
    assert_eq!((plain.clone(), m.clone()), (query(), meta()));
    let again = attach_to_vec(&plain, &m).unwrap();
    assert_eq!(extract_to_vec(&again).unwrap(), (plain, m));
}

#[rustfmt::skip]
fn with_subs(subs: &[&[u8]]) -> Vec<u8> {
    let body = cat(subs);
    let len = u16::try_from(body.len() + 4).unwrap().to_be_bytes();
    cat(&[&query(), &[0x00, 0x11], &len, &[0x00, 0x00, 0x09, 0xbf], &body])
}

#[rustfmt::skip]
#[test]
fn missing_repeated_or_malformed_metadata_refused() {
    let ifname: &[u8] = &[0xea, 0x60, 0x00, 0x04, b'e', b't', b'h', b'0'];
    let addr = cat(&[&[0xea, 0x61, 0x00, 0x10], &peer().octets()]);
    let port: &[u8] = &[0xea, 0x62, 0x00, 0x02, 0x02, 0x22];
    assert_eq!(extract_to_vec(&query()), Err(Error::Missing { code: 60000 }));
    assert_eq!(extract_to_vec(&with_subs(&[ifname, &addr])), Err(Error::Missing { code: 60002 }));
    assert_eq!(extract_to_vec(&with_subs(&[ifname, port])), Err(Error::Missing { code: 60001 }));
    assert_eq!(extract_to_vec(&with_subs(&[&addr, port])), Err(Error::Missing { code: 60000 }));
    assert_eq!(extract_to_vec(&with_subs(&[ifname, &addr, port, port])), Err(Error::Repeated { code: 60002 }));
    // Repeated across two ISC vendor options.
    let two = cat(&[&with_subs(&[ifname, &addr, port]), &[0x00, 0x11, 0x00, 0x0c, 0x00, 0x00, 0x09, 0xbf], ifname]);
    assert_eq!(extract_to_vec(&two), Err(Error::Repeated { code: 60000 }));
    let bad: [(&[u8], Error); 8] = [
        (&[0xea, 0x60, 0x00, 0x00], Error::Invalid { code: 60000, len: 0 }),
        (&[0xea, 0x60, 0x00, 0x10, b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h', b'i', b'j', b'k', b'l', b'm', b'n', b'o', b'p'],
         Error::Invalid { code: 60000, len: 16 }),
        (&[0xea, 0x60, 0x00, 0x02, 0xff, 0xfe], Error::Invalid { code: 60000, len: 2 }),
        (&[0xea, 0x60, 0x00, 0x02, b'a', 0], Error::Invalid { code: 60000, len: 2 }),
        (&[0xea, 0x61, 0x00, 0x04, 10, 0, 0, 1], Error::Invalid { code: 60001, len: 4 }),
        (&[0xea, 0x61, 0x00, 0x10, 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], Error::Invalid { code: 60001, len: 16 }),
        (&[0xea, 0x62, 0x00, 0x02, 0x00, 0x00], Error::Invalid { code: 60002, len: 2 }),
        (&[0xea, 0x62, 0x00, 0x01, 0x22], Error::Invalid { code: 60002, len: 1 }),
    ];
    for (sub, err) in bad {
        assert_eq!(extract_to_vec(&with_subs(&[sub])), Err(err), "{sub:02x?}");
    }
    // The DHCPv6 message itself malformed.
    assert_eq!(extract_to_vec(&[20, 0, 0]), Err(Error::Wire(wire::Error::Truncated)));
    assert_eq!(extract_to_vec(&[]), Err(Error::Wire(wire::Error::Truncated)));
    let no_relay_msg = cat(&[&[12, 0], &[0; 32], &[0x00, 0x12, 0x00, 0x01, 1]]);
    assert_eq!(extract_to_vec(&no_relay_msg), Err(Error::Wire(wire::Error::MissingRelayMsg)));
    let short_vendor = cat(&[&query(), &[0x00, 0x11, 0x00, 0x03, 0x00, 0x00, 0x09]]);
    assert_eq!(extract_to_vec(&short_vendor), Err(Error::Wire(wire::Error::BadOptionLen { code: 17, len: 3 })));
    assert_eq!(attach_to_vec(&short_vendor, &meta()), Err(Error::Wire(wire::Error::BadOptionLen { code: 17, len: 3 })));
    let overrun = with_subs(&[&[0xea, 0x60, 0x00, 0x09, b'x']]);
    assert_eq!(extract_to_vec(&overrun), Err(Error::Wire(wire::Error::OptionOverrun { code: 60000, len: 9 })));
    let mut deep = query();
    for hop in 0..33 {
        deep = relay(hop, &deep);
    }
    assert_eq!(attach_to_vec(&deep, &meta()), Err(Error::Wire(wire::Error::TooManyRelays)));
}

#[test]
fn attach_refuses_metadata_extract_would_refuse() {
    let cases = [
        (
            Meta {
                interface: String::new(),
                ..meta()
            },
            Error::Invalid {
                code: 60000,
                len: 0,
            },
        ),
        (
            Meta {
                interface: "a-very-long-name".to_owned(),
                ..meta()
            },
            Error::Invalid {
                code: 60000,
                len: 16,
            },
        ),
        (
            Meta {
                remote_addr: Ipv6Addr::UNSPECIFIED,
                ..meta()
            },
            Error::Invalid {
                code: 60001,
                len: 16,
            },
        ),
        (
            Meta {
                remote_port: 0,
                ..meta()
            },
            Error::Invalid {
                code: 60002,
                len: 2,
            },
        ),
    ];
    for (m, err) in cases {
        assert_eq!(attach_to_vec(&query(), &m), Err(err));
    }
}

/// Any truncation or single-octet change of a framed, relayed datagram is
/// refused or unframes to metadata that frames and unframes again to the
/// same message and metadata; never a panic.
#[test]
fn extract_never_panics_and_is_stable() {
    let framed = attach_to_vec(&relay(1, &relay(0, &query())), &meta()).unwrap();
    let check = |b: &[u8]| {
        let _ = attach_to_vec(b, &meta());
        if let Ok((plain, m)) = extract_to_vec(b) {
            let again = attach_to_vec(&plain, &m).unwrap();
            assert_eq!(extract_to_vec(&again).unwrap(), (plain, m));
            return true;
        }
        false
    };
    let mut ok = 0;
    for len in 0..=framed.len() {
        ok += usize::from(check(&framed[..len]));
    }
    for at in 0..framed.len() {
        for value in [0u8, 1, 0x09, 0x11, 0xea, 0xff] {
            let mut b = framed.clone();
            b[at] = value;
            ok += usize::from(check(&b));
        }
    }
    assert!(ok > 200, "most changes still unframe ({ok})");
}
