//! Codec benchmark: what the server does with a Solicit relayed through two
//! relays, and what the relays do with the Reply on its way back.
//!
//! No framework: warm up, then time several batches with [`Instant`] and
//! report the median nanoseconds per iteration (with the fastest and slowest
//! batch). Run with `cargo bench -p libdhcp6 --bench codec [-- NAME-FILTER]`.
//!
//! - `solicit/parse`: `decapsulate` the Relay-forward chain and
//!   `MessageRepr::parse` the Solicit inside.
//! - `solicit/emit`: `MessageRepr::emit` the Reply into a reused buffer and
//!   wrap it with `encapsulate_reply` along the chain.
//! - `solicit/parse+emit`: both, as the server does per request.
//! - `reply/parse`: a relay's view of the Relay-reply: `RelayMessage` per
//!   level, its Interface-ID and `relay_msg`, down to the Reply, then
//!   `MessageRepr::parse` of the Reply (as the client will).
//! - `reply/emit`: `MessageRepr::emit` of the parsed Reply into a reused buffer.
//! - `reply/parse+emit`: both.

use std::hint::black_box;
use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use libdhcp6::codes::{MessageType, OptionCode};
use libdhcp6::wire::{
    decapsulate, emit_to_vec, encapsulate_reply, IaAddr, IaNa, IaPd, IaPrefix, Message,
    MessageRepr, OptionRepr, Options, RelayMessage, RelayRepr, Writer, MAX_MESSAGE_LEN,
};
use libdhcp6::Duid;

const WARM_UP: Duration = Duration::from_millis(300);
const BATCH: Duration = Duration::from_millis(50);
const BATCHES: usize = 15;

/// Times `f` and prints one line: the median ns/iter over [`BATCHES`] batches.
/// Skipped unless its name contains every filter given on the command line
/// (`cargo bench -p libdhcp6 --bench codec -- solicit/parse+emit`).
fn bench(name: &str, mut f: impl FnMut()) -> Option<f64> {
    let mut filters = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    if !filters.all(|f| name.contains(&f)) {
        return None;
    }
    // Warm up, and size a batch so it lasts about BATCH.
    let start = Instant::now();
    let mut warm = 0u64;
    while start.elapsed() < WARM_UP {
        f();
        warm += 1;
    }
    let per_batch = BATCH.as_nanos() * u128::from(warm) / start.elapsed().as_nanos().max(1);
    let iters = u64::try_from(per_batch).unwrap_or(u64::MAX).max(1);
    let mut ns: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    let median = ns[BATCHES / 2];
    println!(
        "{name:<22} {median:>9.1} ns/iter  (min {:.1}, max {:.1}; {BATCHES} batches of {iters})",
        ns[0],
        ns[BATCHES - 1]
    );
    Some(median)
}

fn addr(s: &str) -> Ipv6Addr {
    s.parse().expect("literal address")
}

fn client_duid() -> Duid {
    Duid::new_llt(
        1,
        946_684_800 + 0x3299_8d33,
        &[0x9a, 0xf8, 0x61, 0xe4, 0x20, 0x97],
    )
    .expect("14-octet DUID-LLT")
}

fn ia_na(t1: u32, t2: u32, pref: u32, valid: u32) -> OptionRepr {
    OptionRepr::IaNa(IaNa {
        iaid: 1,
        t1,
        t2,
        options: vec![OptionRepr::IaAddr(IaAddr {
            addr: addr("2001:db8:1::100"),
            preferred_lifetime: pref,
            valid_lifetime: valid,
            options: vec![],
        })],
    })
}

fn ia_pd(t1: u32, t2: u32, pref: u32, valid: u32) -> OptionRepr {
    OptionRepr::IaPd(IaPd {
        iaid: 2,
        t1,
        t2,
        options: vec![OptionRepr::IaPrefix(IaPrefix {
            preferred_lifetime: pref,
            valid_lifetime: valid,
            prefix_len: 56,
            prefix: addr("2001:db8:ff00::"),
            options: vec![],
        })],
    })
}

/// Client ID, Elapsed Time, ORO, IA_NA with an IA Address hint, IA_PD with
/// an IA Prefix hint.
fn solicit() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Solicit,
        transaction_id: 0x12_3456,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ElapsedTime(0),
            OptionRepr::Oro(vec![OptionCode::DnsServers, OptionCode::DomainList]),
            ia_na(0, 0, 0, 0),
            ia_pd(0, 0, 0, 0),
        ],
    }
}

fn reply() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Reply,
        transaction_id: 0x12_3456,
        options: vec![
            OptionRepr::ServerId(Duid::new_ll(1, &[2, 0, 0, 0, 0, 1]).expect("DUID-LL")),
            OptionRepr::ClientId(client_duid()),
            ia_na(3600, 5400, 7200, 10800),
            ia_pd(3600, 5400, 7200, 10800),
            OptionRepr::Addresses {
                code: OptionCode::DnsServers,
                addrs: vec![addr("2001:db8::53")],
            },
        ],
    }
}

fn relay_forw(hop_count: u8, link: &str, peer: &str, ifid: &[u8], inner: Vec<u8>) -> Vec<u8> {
    RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count,
        link_address: addr(link),
        peer_address: addr(peer),
        options: vec![
            OptionRepr::InterfaceId(ifid.to_vec()),
            OptionRepr::RelayMsg(inner),
        ],
    }
    .to_vec()
    .expect("relay message emits")
}

/// A relay's look at one Relay-reply level: hop count, peer address (where
/// to send), Interface-ID (which interface).
fn relay_level<T: AsRef<[u8]>>(view: &RelayMessage<T>) -> (u8, Ipv6Addr, Option<&[u8]>) {
    let ifid = Options::find(view.options_area(), OptionCode::InterfaceId)
        .expect("well formed")
        .map(|o| o.data);
    (view.hop_count(), view.peer_address(), ifid)
}

/// Unwraps the two Relay-reply levels, as the outer and then the inner relay
/// does, and parses the Reply inside, as the client does.
fn parse_relay_reply(bytes: &[u8]) -> MessageRepr {
    let outer = RelayMessage::new_checked(bytes).expect("relay header");
    black_box(relay_level(&outer));
    let inner =
        RelayMessage::new_checked(outer.relay_msg().expect("Relay Message")).expect("relay header");
    black_box(relay_level(&inner));
    let reply = Message::new_checked(inner.relay_msg().expect("Relay Message")).expect("header");
    MessageRepr::parse(&reply).expect("parses")
}

fn main() {
    let solicit_bytes = solicit().to_vec().expect("Solicit emits");
    let inner = relay_forw(
        0,
        "2001:db8:1::1",
        "fe80::1",
        b"eth0",
        solicit_bytes.clone(),
    );
    let relayed = relay_forw(1, "::", "fe80::2", b"ge-0/0/1", inner);
    let reply = reply();

    // Check once that the measured paths do what they claim.
    let (chain, msg) = decapsulate(&relayed).expect("relayed Solicit unwraps");
    assert_eq!(chain.len(), 2);
    assert_eq!(msg, solicit_bytes.as_slice());
    assert_eq!(
        MessageRepr::parse(&Message::new_checked(msg).expect("header")),
        Ok(solicit())
    );
    let reply_bytes = reply.to_vec().expect("Reply emits");
    let relay_reply = emit_to_vec(|w| encapsulate_reply(&chain, &reply_bytes, w)).expect("wraps");
    let outer = RelayMessage::new_checked(relay_reply.as_slice()).expect("relay header");
    assert_eq!(relay_level(&outer).2, Some(&b"ge-0/0/1"[..]));
    let inner = RelayMessage::new_checked(outer.relay_msg().expect("level 2")).expect("header");
    assert_eq!(relay_level(&inner).2, Some(&b"eth0"[..]));
    assert_eq!(inner.relay_msg(), Ok(reply_bytes.as_slice()));

    println!(
        "relayed Solicit {} octets (Solicit {}), Relay-reply {} octets (Reply {})",
        relayed.len(),
        solicit_bytes.len(),
        relay_reply.len(),
        reply_bytes.len()
    );

    let mut reply_buf = vec![0u8; MAX_MESSAGE_LEN];
    let mut out_buf = vec![0u8; MAX_MESSAGE_LEN];

    // (a) The server's side.
    bench("solicit/parse", || {
        let (chain, msg) = decapsulate(black_box(&relayed)).expect("unwraps");
        let req = MessageRepr::parse(&Message::new_checked(msg).expect("header")).expect("parses");
        black_box((&chain, &req));
    });
    bench("solicit/emit", || {
        let mut w = Writer::new(&mut reply_buf);
        black_box(&reply).emit(&mut w).expect("emits");
        let reply_bytes = w.into_written();
        let mut w = Writer::new(&mut out_buf);
        encapsulate_reply(black_box(&chain), reply_bytes, &mut w).expect("wraps");
        black_box(w.written());
    });
    bench("solicit/parse+emit", || {
        let (chain, msg) = decapsulate(black_box(&relayed)).expect("unwraps");
        let req = MessageRepr::parse(&Message::new_checked(msg).expect("header")).expect("parses");
        black_box(&req);
        let mut w = Writer::new(&mut reply_buf);
        black_box(&reply).emit(&mut w).expect("emits");
        let reply_bytes = w.into_written();
        let mut w = Writer::new(&mut out_buf);
        encapsulate_reply(&chain, reply_bytes, &mut w).expect("wraps");
        black_box(w.written());
    });

    // (b) The Reply on its way back, as the relays and then the client see it.
    let parsed_reply = parse_relay_reply(&relay_reply);
    assert_eq!(parsed_reply, reply);
    bench("reply/parse", || {
        black_box(parse_relay_reply(black_box(&relay_reply)));
    });
    bench("reply/emit", || {
        let mut w = Writer::new(&mut out_buf);
        black_box(&parsed_reply).emit(&mut w).expect("emits");
        black_box(w.written());
    });
    bench("reply/parse+emit", || {
        let r = parse_relay_reply(black_box(&relay_reply));
        let mut w = Writer::new(&mut out_buf);
        r.emit(&mut w).expect("emits");
        black_box(w.written());
    });
}
