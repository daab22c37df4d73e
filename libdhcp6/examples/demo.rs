//! A walk through one relayed exchange using only the library, the part of
//! the suite that exists today: a client's Solicit goes up through two
//! relays, the "server" side unwraps it, builds an Advertise offering an
//! address and a prefix, wraps it back along the recorded relay chain, and
//! each relay and finally the client unwrap and decode it. Every message is
//! printed in hex and decoded with KAME's names.

use std::net::Ipv6Addr;

use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::duid::{Duid, HW_TYPE_ETHERNET};
use libdhcp6::wire::{
    decapsulate, emit_to_vec, encapsulate_reply, IaAddr, IaNa, IaPd, IaPrefix, MessageRepr,
    OptionRepr, RelayMessage, RelayRepr, StatusCode,
};

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn show(label: &str, bytes: &[u8]) {
    println!("{label} ({} octets)", bytes.len());
    for chunk in bytes.chunks(24) {
        println!("    {}", hex(chunk));
    }
}

fn describe(indent: &str, opts: &[OptionRepr]) {
    for o in opts {
        if let Some(ia) = o.ia() {
            println!(
                "{indent}{} IAID={} T1={} T2={}",
                o.code(),
                ia.iaid,
                ia.t1,
                ia.t2
            );
            describe(&format!("{indent}    "), ia.options);
            continue;
        }
        match o {
            OptionRepr::IaAddr(a) => println!(
                "{indent}{} {} pltime={} vltime={}",
                o.code(),
                a.addr,
                a.preferred_lifetime,
                a.valid_lifetime
            ),
            OptionRepr::IaPrefix(p) => println!(
                "{indent}{} {}/{} pltime={} vltime={}",
                o.code(),
                p.prefix,
                p.prefix_len,
                p.preferred_lifetime,
                p.valid_lifetime
            ),
            OptionRepr::ClientId(d) | OptionRepr::ServerId(d) => {
                println!("{indent}{} {d}", o.code())
            }
            OptionRepr::Oro(codes) => {
                let names: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
                println!("{indent}{}: {}", o.code(), names.join(", "));
            }
            OptionRepr::Addresses { addrs, .. } => {
                let a: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
                println!("{indent}{}: {}", o.code(), a.join(" "));
            }
            OptionRepr::Domains { names, .. } => {
                let n: Vec<String> = names.iter().map(|n| n.to_string()).collect();
                println!("{indent}{}: {}", o.code(), n.join(" "));
            }
            OptionRepr::StatusCode(s) => println!("{indent}{}: {}", o.code(), s.status),
            OptionRepr::Preference(p) => println!("{indent}{}: {p}", o.code()),
            OptionRepr::ElapsedTime(t) => println!("{indent}{}: {t}", o.code()),
            OptionRepr::InterfaceId(id) => println!("{indent}{}: {}", o.code(), hex(id)),
            OptionRepr::RelayMsg(m) => println!("{indent}{}: {} octets", o.code(), m.len()),
            other => println!("{indent}{}", other.code()),
        }
    }
}

type DemoResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The client's link-local address in the walk-through.
const CLIENT_LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0x5eff, 0xfe00, 0x5301, 0);

fn main() -> DemoResult<()> {
    let client_duid = Duid::new_llt(
        HW_TYPE_ETHERNET,
        1_764_000_000,
        &[0x02, 0, 0x5e, 0, 0x53, 1],
    )?;
    let server_duid = Duid::from_text("00:01:00:01:2e:8b:1a:00:02:00:5e:00:53:ff")?;
    let forw2 = client_through_two_relays(&client_duid)?;
    show("relay2 -> server: Relay-forward", &forw2);

    // The server: unwrap every level, decode the client message.
    let (chain, inner) = decapsulate(&forw2)?;
    let request = MessageRepr::from_bytes(inner)?;
    println!(
        "server: {} levels, link {:?}; received {} from {} xid {:06x}",
        chain.len(),
        chain.link_address(),
        request.msg_type,
        chain
            .innermost()
            .map(|l| l.peer_address)
            .unwrap_or(CLIENT_LL),
        request.transaction_id
    );
    describe("    ", &request.options);

    let advertise = advertise_for(&request, client_duid, server_duid)?;
    let wrapped = emit_to_vec(|w| encapsulate_reply(&chain, &advertise, w))?;
    show("server -> relay2: Relay-reply", &wrapped);
    relays_deliver(wrapped, &advertise)?;
    println!("codec demo: ok");
    Ok(())
}

/// The client's Solicit as the server receives it: wrapped by two relays.
fn client_through_two_relays(client_duid: &Duid) -> DemoResult<Vec<u8>> {
    let relay1_link: Ipv6Addr = "2001:db8:0:1::1".parse()?;
    let relay1_up: Ipv6Addr = "2001:db8:ffff::2".parse()?;

    // The client's Solicit: IA_NA and IA_PD, as RFC 7550 asks, plus an ORO.
    let solicit = MessageRepr {
        msg_type: MessageType::Solicit,
        transaction_id: 0x1a2b3c,
        options: vec![
            OptionRepr::ClientId(client_duid.clone()),
            OptionRepr::ElapsedTime(0),
            OptionRepr::Oro(vec![
                OptionCode::DnsServers,
                OptionCode::DomainList,
                OptionCode::SolMaxRt,
            ]),
            OptionRepr::IaNa(IaNa {
                iaid: 1,
                ..Default::default()
            }),
            OptionRepr::IaPd(IaPd {
                iaid: 2,
                ..Default::default()
            }),
        ],
    }
    .to_vec()?;
    show("client -> relay1: Solicit", &solicit);

    // First relay: hop-count 0, its link address, Interface-ID for the port.
    let forw1 = RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count: 0,
        link_address: relay1_link,
        peer_address: CLIENT_LL,
        options: vec![
            OptionRepr::InterfaceId(b"port7".to_vec()),
            OptionRepr::RelayMsg(solicit),
        ],
    }
    .to_vec()?;
    // Second relay: the source is a global address, so link-address is :: (RFC 8415 §19.1.2).
    let forw2 = RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count: 1,
        link_address: Ipv6Addr::UNSPECIFIED,
        peer_address: relay1_up,
        options: vec![
            OptionRepr::InterfaceId(vec![0, 0, 0, 3]),
            OptionRepr::RelayMsg(forw1),
        ],
    }
    .to_vec()?;
    Ok(forw2)
}

/// The server's Advertise to `request`: an address, a /56 and DNS servers.
fn advertise_for(
    request: &MessageRepr,
    client_duid: Duid,
    server_duid: Duid,
) -> DemoResult<Vec<u8>> {
    let advertise = MessageRepr {
        msg_type: MessageType::Advertise,
        transaction_id: request.transaction_id,
        options: vec![
            OptionRepr::ClientId(client_duid),
            OptionRepr::ServerId(server_duid),
            OptionRepr::IaNa(IaNa {
                iaid: 1,
                t1: 1800,
                t2: 2880,
                options: vec![OptionRepr::IaAddr(IaAddr {
                    addr: "2001:db8:0:1::100".parse()?,
                    preferred_lifetime: 3600,
                    valid_lifetime: 7200,
                    options: vec![],
                })],
            }),
            OptionRepr::IaPd(IaPd {
                iaid: 2,
                t1: 1800,
                t2: 2880,
                options: vec![OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: 3600,
                    valid_lifetime: 7200,
                    prefix_len: 56,
                    prefix: "2001:db8:100:ff00::".parse()?,
                    options: vec![],
                })],
            }),
            OptionRepr::Addresses {
                code: OptionCode::DnsServers,
                addrs: vec!["2001:db8::53".parse()?],
            },
            OptionRepr::StatusCode(StatusCode::new(Status::Success)),
        ],
    }
    .to_vec()?;
    Ok(advertise)
}

/// Each relay takes one level off `wrapped`; the client must get `advertise`.
fn relays_deliver(wrapped: Vec<u8>, advertise: &[u8]) -> DemoResult<()> {
    // Each relay takes one level off and forwards the contents to the peer address.
    let mut msg = wrapped;
    while let Ok(view) = RelayMessage::new_checked(msg.as_slice()) {
        let next = view.relay_msg()?.to_vec();
        println!(
            "relay (hop {}): Relay-reply for peer {}, forwarding {} octets",
            view.hop_count(),
            view.peer_address(),
            next.len()
        );
        msg = next;
    }
    let offered = MessageRepr::from_bytes(&msg)?;
    println!(
        "client: received {} xid {:06x}",
        offered.msg_type, offered.transaction_id
    );
    describe("    ", &offered.options);
    assert_eq!(
        msg, advertise,
        "the relays delivered the Advertise unchanged"
    );
    Ok(())
}
