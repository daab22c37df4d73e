//! The DHCPv4 server engine (`dhcp4::engine`) driven by arbitrary bytes:
//! each step of the input is one query (built from a few bytes, or with
//! options taken raw from the input and parsed as a received message
//! would be), a clock step, the subnet, the U flag, a store that may
//! refuse one address, and whether the turn commits or rolls back (the
//! first octet also says whether the server is authoritative). After
//! every step the engine's table is consistent, every answer is a
//! BOOTREPLY to the query that emits within the client's size limit, and
//! the `Witness`, which sees only answers and journaled changes, never
//! sees one address bound to two clients.

#![no_main]

use std::collections::HashSet;
use std::net::Ipv4Addr;

use libdhcp6::dhcp4::engine::{
    Claims4, ClientKey, Config4, Engine, Options4, Query, Range4, Reservation4, Subnet4, Witness,
};
use libdhcp6::dhcp4::{ClientId, MessageType, Op, OptionRepr, PacketRepr, MAGIC_COOKIE};
use libfuzzer_sys::fuzz_target;

const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn ip(d: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, d)
}

/// Small pools, so that clients contend: subnet 1 has .10-.13 (.10
/// reserved for client 7's identifier, .5 outside the range for client
/// 6's MAC), subnet 2 one address; short leases and quarantines.
fn config() -> Config4 {
    let mut c = Config4::new(SERVER);
    let mut s = Subnet4::new(1, ip(0), 24);
    s.ranges.push(Range4 {
        first: ip(10),
        last: ip(13),
    });
    s.options.routers = vec![ip(1)];
    s.options.domain_name = Some(b"example.org".to_vec());
    s.lease_time = 60;
    s.reservations.push(Reservation4 {
        host: ClientKey::Id(vec![0, 7]),
        addr: ip(10),
        options: Options4::default(),
    });
    s.reservations.push(Reservation4 {
        host: ClientKey::Hw {
            htype: 1,
            addr: vec![2, 0, 0, 0, 0, 6],
        },
        addr: ip(5),
        options: Options4 {
            dns_servers: vec![ip(53)],
            ..Options4::default()
        },
    });
    c.subnets.push(s);
    let mut s2 = Subnet4::new(2, Ipv4Addr::new(10, 1, 0, 0), 24);
    s2.ranges.push(Range4 {
        first: Ipv4Addr::new(10, 1, 0, 1),
        last: Ipv4Addr::new(10, 1, 0, 1),
    });
    s2.lease_time = 30;
    c.subnets.push(s2);
    c.offer_hold = 10;
    c.decline_time = 20;
    c.max_offers = 3;
    c
}

/// Refuses one address (or none).
struct Store(Option<Ipv4Addr>);

impl Claims4 for Store {
    fn claim(&mut self, addr: Ipv4Addr, _: &ClientKey, _: u64) -> bool {
        self.0 != Some(addr)
    }
}

/// Takes `n` bytes from the front of `data`, or what is left.
fn take<'a>(data: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, tail) = data.split_at(n.min(data.len()));
    *data = tail;
    head
}

/// One query from five control bytes: kind, client (0-7; 7 sends the
/// reserved identifier), the address it names (and how), server identifier.
fn built(b: &[u8; 5]) -> PacketRepr {
    let kind = MessageType::from(b[0] % 9);
    let client = b[1] % 8;
    let addr = match b[2] % 8 {
        7 => Ipv4Addr::new(10, 1, 0, 1),
        6 => ip(5),
        n => ip(9 + n),
    };
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&[2, 0, 0, 0, 0, client]);
    let mut options = vec![OptionRepr::MessageType(kind)];
    if client == 7 {
        options.push(OptionRepr::ClientId(ClientId::Typed {
            id_type: 0,
            id: vec![7],
        }));
    }
    if b[3] & 1 != 0 {
        options.push(OptionRepr::RequestedIp(addr));
    }
    if b[3] & 4 != 0 {
        let sid = if b[3] & 8 != 0 {
            SERVER
        } else {
            Ipv4Addr::new(192, 0, 2, 9)
        };
        options.push(OptionRepr::ServerId(sid));
    }
    PacketRepr {
        op: if b[4] == 0xff {
            Op::BootReply
        } else {
            Op::BootRequest
        },
        htype: 1,
        hlen: if b[4] == 0xfe { 0 } else { 6 },
        hops: 0,
        xid: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        secs: 0,
        flags: u16::from(b[4] & 0x80) << 8,
        ciaddr: if b[3] & 2 != 0 {
            addr
        } else {
            Ipv4Addr::UNSPECIFIED
        },
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: if b[4] & 0x40 != 0 {
            ip(254)
        } else {
            Ipv4Addr::UNSPECIFIED
        },
        chaddr,
        sname: [0; 64],
        file: [0; 128],
        options,
        layout: Default::default(),
    }
}

/// The built query's header with `raw` as its options field, parsed as a
/// received message is; `None` when it does not parse.
fn with_raw_options(base: &PacketRepr, raw: &[u8]) -> Option<PacketRepr> {
    let mut header = base.clone();
    header.options.clear();
    let mut bytes = header.to_vec().ok()?;
    bytes.truncate(236);
    bytes.extend_from_slice(&MAGIC_COOKIE);
    bytes.extend_from_slice(raw);
    PacketRepr::from_bytes(&bytes).ok()
}

fuzz_target!(|data: &[u8]| {
    let mut cfg = config();
    cfg.authoritative = data.first().is_some_and(|b| b & 1 != 0);
    let mut engine = Engine::new(cfg).expect("the configuration is valid");
    let mut witness = Witness::new();
    let mut now: u64 = 1_000_000;
    let mut data = data;
    let mut steps = 0;
    while data.len() >= 7 && steps < 400 {
        steps += 1;
        let ctl = take(&mut data, 2);
        let (c0, c1) = (ctl[0], ctl[1]);
        let mut five = [0u8; 5];
        five.copy_from_slice(take(&mut data, 5));
        let mut msg = built(&five);
        if c0 & 0x80 != 0 {
            let n = usize::from(c0 & 0x3f);
            let raw = take(&mut data, n);
            match with_raw_options(&msg, raw) {
                Some(m) => msg = m,
                None => continue,
            }
        }
        now += u64::from(c1 >> 3);
        let refused = (c1 & 4 != 0).then(|| ip(10 + (c0 & 3)));
        let q = Query {
            msg: &msg,
            unicast: c1 & 1 != 0,
            subnet: if c1 & 2 != 0 { 2 } else { 1 },
            now,
        };
        let out = engine.server4_react(q, &mut Store(refused));
        let client = ClientKey::of(&msg).unwrap_or(ClientKey::Id(Vec::new()));
        if let Err(v) = witness.observe(&client, &out) {
            panic!("{v} after {steps} steps: {out:?}");
        }
        if let Some(a) = &out.answer {
            assert_eq!(a.op, Op::BootReply);
            assert_eq!((a.xid, a.chaddr), (msg.xid, msg.chaddr));
            let bytes = a.to_vec().expect("an answer emits");
            let limit = msg
                .options
                .iter()
                .find_map(|o| match o {
                    OptionRepr::MaxMessageSize(n) => Some(usize::from(*n)),
                    _ => None,
                })
                .unwrap_or(576)
                .max(576);
            assert!(
                bytes.len() <= limit - 28,
                "answer of {} octets",
                bytes.len()
            );
        }
        if c0 & 0x40 != 0 && c1 & 0x06 == 0x06 {
            engine.rollback();
            witness.rollback();
        } else {
            engine.commit();
            witness.commit();
        }
        engine.audit().expect("the table is consistent");
        assert_eq!(witness.held(), engine.leases().len());
        let addrs: HashSet<_> = engine.leases().iter().map(|l| l.addr).collect();
        assert_eq!(addrs.len(), engine.leases().len());
    }
});
