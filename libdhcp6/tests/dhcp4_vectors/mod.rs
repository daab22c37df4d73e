//! DHCPv4 golden vectors shared by golden_dhcp4.rs and
//! scapy_crosscheck_dhcp4.rs: the eight RFC 2131 message types written out
//! by hand, field by field, in the canonical layout (options field only,
//! End, Pad up to 300 octets), each with the typed value it decodes to.
//! Client 00:11:22:33:44:55, server 192.0.2.1, address 192.0.2.100.

#![allow(dead_code)] // each test file uses its part

use core::net::Ipv4Addr;

use libdhcp6::dhcp4::{
    ClasslessRoute, ClientId, Layout, MessageType, Op, OptionCode, OptionRepr, PacketRepr,
};
use libdhcp6::Duid;

pub const MAC: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
pub const XID: u32 = 0x3903_f326;
pub const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
pub const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);

/// Concatenates the parts.
pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// The 236-octet BOOTP header and the magic cookie, one field per line.
#[rustfmt::skip]
pub fn header(op: u8, flags: u16, ciaddr: [u8; 4], yiaddr: [u8; 4]) -> Vec<u8> {
    cat(&[
        &[op],                          // op
        &[0x01],                        // htype: Ethernet
        &[0x06],                        // hlen
        &[0x00],                        // hops
        &[0x39, 0x03, 0xf3, 0x26],      // xid
        &[0x00, 0x00],                  // secs
        &flags.to_be_bytes(),           // flags
        &ciaddr,                        // ciaddr
        &yiaddr,                        // yiaddr
        &[0, 0, 0, 0],                  // siaddr
        &[0, 0, 0, 0],                  // giaddr
        &MAC, &[0; 10],                 // chaddr: MAC, then 10 octets of zeros
        &[0; 64],                       // sname
        &[0; 128],                      // file
        &[99, 130, 83, 99],             // magic cookie
    ])
}

/// Pads with zeros up to the 300-octet BOOTP minimum.
pub fn pad300(mut v: Vec<u8>) -> Vec<u8> {
    if v.len() < 300 {
        v.resize(300, 0);
    }
    v
}

fn repr(
    op: Op,
    flags: u16,
    ciaddr: Ipv4Addr,
    yiaddr: Ipv4Addr,
    options: Vec<OptionRepr>,
) -> PacketRepr {
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&MAC);
    PacketRepr {
        op,
        htype: 1,
        hlen: 6,
        hops: 0,
        xid: XID,
        secs: 0,
        flags,
        ciaddr,
        yiaddr,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr,
        sname: [0; 64],
        file: [0; 128],
        options,
        layout: Layout::default(),
    }
}

const ZERO: [u8; 4] = [0; 4];

pub fn duid() -> Duid {
    Duid::from_bytes(&[0, 3, 0, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55]).expect("a 10-octet DUID-LL")
}

fn prl() -> Vec<OptionCode> {
    [1u8, 3, 6, 15, 26, 28, 42, 121]
        .map(OptionCode::from)
        .to_vec()
}

fn lease_options(t: MessageType) -> Vec<OptionRepr> {
    vec![
        OptionRepr::MessageType(t),
        OptionRepr::ServerId(SERVER),
        OptionRepr::LeaseTime(3600),
        OptionRepr::RenewalTime(1800),
        OptionRepr::RebindingTime(3150),
        OptionRepr::SubnetMask(Ipv4Addr::new(255, 255, 255, 0)),
        OptionRepr::Routers(vec![SERVER]),
        OptionRepr::DomainNameServers(vec![
            Ipv4Addr::new(192, 0, 2, 53),
            Ipv4Addr::new(198, 51, 100, 53),
        ]),
        OptionRepr::DomainName(b"example.org".to_vec()),
        OptionRepr::NtpServers(vec![Ipv4Addr::new(192, 0, 2, 123)]),
        OptionRepr::InterfaceMtu(1500),
        OptionRepr::BroadcastAddress(Ipv4Addr::new(192, 0, 2, 255)),
        OptionRepr::ClasslessStaticRoutes(vec![
            ClasslessRoute {
                destination: Ipv4Addr::new(10, 0, 0, 0),
                prefix_len: 8,
                router: Ipv4Addr::new(192, 0, 2, 2),
            },
            ClasslessRoute {
                destination: Ipv4Addr::UNSPECIFIED,
                prefix_len: 0,
                router: SERVER,
            },
        ]),
    ]
}

#[rustfmt::skip]
fn lease_option_bytes(t: u8) -> Vec<u8> {
    cat(&[
        &[53, 1, t],                            // DHCP message type
        &[54, 4, 192, 0, 2, 1],                 // server identifier
        &[51, 4, 0x00, 0x00, 0x0e, 0x10],       // lease time 3600
        &[58, 4, 0x00, 0x00, 0x07, 0x08],       // T1 1800
        &[59, 4, 0x00, 0x00, 0x0c, 0x4e],       // T2 3150
        &[1, 4, 255, 255, 255, 0],              // subnet mask
        &[3, 4, 192, 0, 2, 1],                  // routers
        &[6, 8, 192, 0, 2, 53, 198, 51, 100, 53], // DNS servers
        &[15, 11], b"example.org",              // domain name
        &[42, 4, 192, 0, 2, 123],               // NTP servers
        &[26, 2, 0x05, 0xdc],                   // interface MTU 1500
        &[28, 4, 192, 0, 2, 255],               // broadcast address
        &[121, 11,                              // classless static routes
          8, 10, 192, 0, 2, 2,                  //   10/8 via 192.0.2.2
          0, 192, 0, 2, 1],                     //   default via 192.0.2.1
    ])
}

/// One golden message: its name, its bytes and its decoded value.
pub struct Vector {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub repr: PacketRepr,
}

#[rustfmt::skip]
pub fn vectors() -> Vec<Vector> {
    vec![
    Vector {
        name: "discover",
        bytes: pad300(cat(&[
            &header(1, 0x8000, ZERO, ZERO),
            &[53, 1, 1],                                // DHCPDISCOVER
            &[61, 7, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55], // client id: Ethernet, MAC
            &[57, 2, 0x05, 0xdc],                       // max message size 1500
            &[55, 8, 1, 3, 6, 15, 26, 28, 42, 121],     // parameter request list
            &[60, 8], b"MSFT 5.0",                      // vendor class id
            &[12, 5], b"host1",                         // host name
            &[255],                                     // end
        ])),
        repr: repr(Op::BootRequest, 0x8000, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![
            OptionRepr::MessageType(MessageType::Discover),
            OptionRepr::ClientId(ClientId::Typed { id_type: 1, id: MAC.to_vec() }),
            OptionRepr::MaxMessageSize(1500),
            OptionRepr::ParameterRequestList(prl()),
            OptionRepr::VendorClassId(b"MSFT 5.0".to_vec()),
            OptionRepr::HostName(b"host1".to_vec()),
        ]),
    },
    Vector {
        name: "offer",
        bytes: pad300(cat(&[&header(2, 0x8000, ZERO, CLIENT.octets()), &lease_option_bytes(2), &[255]])),
        repr: repr(Op::BootReply, 0x8000, Ipv4Addr::UNSPECIFIED, CLIENT, lease_options(MessageType::Offer)),
    },
    Vector {
        name: "request",
        bytes: pad300(cat(&[
            &header(1, 0, ZERO, ZERO),
            &[53, 1, 3],                                // DHCPREQUEST
            &[61, 15, 255,                              // client id, RFC 4361:
              0x00, 0x00, 0x00, 0x01,                   //   IAID 1
              0, 3, 0, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55], //   DUID-LL
            &[50, 4, 192, 0, 2, 100],                   // requested IP
            &[54, 4, 192, 0, 2, 1],                     // server id
            &[55, 8, 1, 3, 6, 15, 26, 28, 42, 121],     // parameter request list
            &[255],
        ])),
        repr: repr(Op::BootRequest, 0, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![
            OptionRepr::MessageType(MessageType::Request),
            OptionRepr::ClientId(ClientId::Duid { iaid: 1, duid: duid() }),
            OptionRepr::RequestedIp(CLIENT),
            OptionRepr::ServerId(SERVER),
            OptionRepr::ParameterRequestList(prl()),
        ]),
    },
    Vector {
        name: "ack",
        bytes: pad300(cat(&[&header(2, 0, ZERO, CLIENT.octets()), &lease_option_bytes(5), &[255]])),
        repr: repr(Op::BootReply, 0, Ipv4Addr::UNSPECIFIED, CLIENT, lease_options(MessageType::Ack)),
    },
    Vector {
        name: "nak",
        bytes: pad300(cat(&[
            &header(2, 0, ZERO, ZERO),
            &[53, 1, 6],                                // DHCPNAK
            &[54, 4, 192, 0, 2, 1],                     // server id
            &[56, 14], b"wrong network.",               // message
            &[255],
        ])),
        repr: repr(Op::BootReply, 0, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![
            OptionRepr::MessageType(MessageType::Nak),
            OptionRepr::ServerId(SERVER),
            OptionRepr::Message(b"wrong network.".to_vec()),
        ]),
    },
    Vector {
        name: "decline",
        bytes: pad300(cat(&[
            &header(1, 0, ZERO, ZERO),
            &[53, 1, 4],                                // DHCPDECLINE
            &[61, 7, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
            &[50, 4, 192, 0, 2, 100],                   // requested IP: the declined one
            &[54, 4, 192, 0, 2, 1],
            &[255],
        ])),
        repr: repr(Op::BootRequest, 0, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![
            OptionRepr::MessageType(MessageType::Decline),
            OptionRepr::ClientId(ClientId::Typed { id_type: 1, id: MAC.to_vec() }),
            OptionRepr::RequestedIp(CLIENT),
            OptionRepr::ServerId(SERVER),
        ]),
    },
    Vector {
        name: "release",
        bytes: pad300(cat(&[
            &header(1, 0, CLIENT.octets(), ZERO),       // ciaddr: the released address
            &[53, 1, 7],                                // DHCPRELEASE
            &[54, 4, 192, 0, 2, 1],
            &[255],
        ])),
        repr: repr(Op::BootRequest, 0, CLIENT, Ipv4Addr::UNSPECIFIED, vec![
            OptionRepr::MessageType(MessageType::Release),
            OptionRepr::ServerId(SERVER),
        ]),
    },
    Vector {
        name: "inform",
        bytes: pad300(cat(&[
            &header(1, 0, CLIENT.octets(), ZERO),
            &[53, 1, 8],                                // DHCPINFORM
            &[55, 3, 6, 15, 42],                        // parameter request list
            &[255],
        ])),
        repr: repr(Op::BootRequest, 0, CLIENT, Ipv4Addr::UNSPECIFIED, vec![
            OptionRepr::MessageType(MessageType::Inform),
            OptionRepr::ParameterRequestList([6u8, 15, 42].map(OptionCode::from).to_vec()),
        ]),
    },
    ]
}

/// A DHCPACK that overloads both `file` and `sname` (option 52 = 3) and
/// splits two options (RFC 3396): the routes between the options field and
/// `file`, the domain name between `file` and `sname`. Not canonical: it
/// only round-trips through its recorded layout.
#[rustfmt::skip]
pub fn overloaded_ack() -> Vec<u8> {
    let mut file = cat(&[
        &[121, 5, 0, 192, 0, 2, 1],                     // routes, 2nd part: default via .1
        &[15, 7], b"example",                           // domain name, 1st part
        &[0, 0],                                        // pads
        &[255],                                         // end
    ]);
    file.resize(128, 0);
    let mut sname = cat(&[
        &[3, 4, 192, 0, 2, 1],                          // routers
        &[15, 4], b".org",                              // domain name, 2nd part
        &[255],
    ]);
    sname.resize(64, 0);
    cat(&[
        &[2, 1, 6, 0],                                  // op, htype, hlen, hops
        &XID.to_be_bytes(),                             // xid
        &[0, 0, 0, 0],                                  // secs, flags
        &[0, 0, 0, 0],                                  // ciaddr
        &CLIENT.octets(),                               // yiaddr
        &[0, 0, 0, 0, 0, 0, 0, 0],                      // siaddr, giaddr
        &MAC, &[0; 10],                                 // chaddr
        &sname,                                         // sname: options
        &file,                                          // file: options
        &[99, 130, 83, 99],                             // cookie
        &[53, 1, 5],                                    // DHCPACK
        &[52, 1, 3],                                    // overload: file and sname
        &[54, 4, 192, 0, 2, 1],                         // server id
        &[121, 6, 8, 10, 192, 0, 2, 2],                 // routes, 1st part: 10/8 via .2
        &[51, 4, 0, 0, 0x0e, 0x10],                     // lease time
        &[255],                                         // end
    ])
}
