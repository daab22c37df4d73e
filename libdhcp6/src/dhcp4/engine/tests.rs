//! The engine's transitions with a fake clock: each test drives it with
//! messages built here and checks answers, journaled changes and the table.

use core::net::Ipv4Addr;
use std::collections::HashSet;

use super::*;
use crate::dhcp4::{ClasslessRoute, ClientId};

const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const OTHER_SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 99);
const T0: u64 = 1_000_000;

fn ip(d: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, d)
}

fn mac(n: u8) -> [u8; 6] {
    [0x02, 0, 0, 0, 0, n]
}

/// Subnet 1: 10.0.0.0/24, dynamic 10.0.0.10-19 with 10.0.0.10 reserved
/// for client id 0:aa and 10.0.0.5 (outside the range) for MAC ..:bb.
/// Subnet 2: 10.1.0.0/24 with a single dynamic address.
fn config() -> Config4 {
    let mut c = Config4::new(SERVER);
    let mut s = Subnet4::new(1, ip(0), 24);
    s.ranges.push(Range4 {
        first: ip(10),
        last: ip(19),
    });
    s.options.routers = vec![ip(1)];
    s.options.dns_servers = vec![ip(2), ip(3)];
    s.options.domain_name = Some(b"example.org".to_vec());
    s.reservations.push(Reservation4 {
        host: ClientKey::Id(vec![0, 0xaa]),
        addr: ip(10),
        options: Options4::default(),
    });
    s.reservations.push(Reservation4 {
        host: ClientKey::Hw {
            htype: 1,
            addr: mac(0xbb).to_vec(),
        },
        addr: ip(5),
        options: Options4 {
            dns_servers: vec![Ipv4Addr::new(9, 9, 9, 9)],
            ..Options4::default()
        },
    });
    c.subnets.push(s);
    let mut s2 = Subnet4::new(2, Ipv4Addr::new(10, 1, 0, 0), 24);
    s2.ranges.push(Range4 {
        first: Ipv4Addr::new(10, 1, 0, 10),
        last: Ipv4Addr::new(10, 1, 0, 10),
    });
    c.subnets.push(s2);
    c
}

/// A BOOTREQUEST of `kind` from the client with hardware address `mac(n)`.
fn msg(kind: MessageType, n: u8) -> PacketRepr {
    let options = vec![OptionRepr::MessageType(kind)];
    PacketRepr::boot_request(0x1000 + u32::from(n), &mac(n), options)
}

fn with(mut m: PacketRepr, o: OptionRepr) -> PacketRepr {
    m.options.push(o);
    m
}

fn selecting(n: u8, addr: Ipv4Addr) -> PacketRepr {
    let m = with(msg(MessageType::Request, n), OptionRepr::ServerId(SERVER));
    with(m, OptionRepr::RequestedIp(addr))
}

fn with_ciaddr(mut m: PacketRepr, a: Ipv4Addr) -> PacketRepr {
    m.ciaddr = a;
    m
}

/// The engine, a fake clock and a store.
struct Harness {
    e: Engine,
    now: u64,
}

impl Harness {
    fn new() -> Self {
        Self::with_config(config())
    }

    fn with_config(c: Config4) -> Self {
        Self {
            e: Engine::new(c).unwrap(),
            now: T0,
        }
    }

    /// One query in subnet 1, its turn left open.
    fn react(&mut self, m: &PacketRepr, unicast: bool) -> Outcome {
        let q = Query {
            msg: m,
            unicast,
            subnet: 1,
            now: self.now,
        };
        self.e.server4_react(q, &mut Unshared)
    }

    /// Ends the turn of `out` with a journal that accepts; the answers sent.
    fn conclude(&mut self, out: Outcome, journal: &mut Vec<Change4>) -> Vec<PacketRepr> {
        let sent = self
            .e
            .conclude(&out.changes, out.answer.into_iter().collect(), |c| {
                journal.extend_from_slice(c);
                Ok::<(), ()>(())
            });
        sent.unwrap()
    }

    /// One committed turn in subnet 1.
    fn send(&mut self, m: &PacketRepr, unicast: bool) -> Outcome {
        self.send_in(m, unicast, 1, &mut Unshared)
    }

    fn send_in(
        &mut self,
        m: &PacketRepr,
        unicast: bool,
        subnet: u32,
        store: &mut dyn Claims4,
    ) -> Outcome {
        let q = Query {
            msg: m,
            unicast,
            subnet,
            now: self.now,
        };
        let out = self.e.server4_react(q, store);
        self.e.commit();
        self.e.audit().unwrap();
        if let Some(a) = &out.answer {
            // Every answer emits and parses back.
            let bytes = a.to_vec().unwrap();
            assert_eq!(PacketRepr::from_bytes(&bytes).unwrap().options, a.options);
        }
        out
    }

    /// DISCOVER from client `n`; the address offered.
    fn offer(&mut self, n: u8) -> Ipv4Addr {
        let offer = self.send(&msg(MessageType::Discover, n), false);
        offer.answer.expect("an offer").yiaddr
    }

    /// DISCOVER then REQUEST (SELECTING) for client `n`; the address bound.
    fn dora(&mut self, n: u8) -> Ipv4Addr {
        let addr = self.offer(n);
        let ack = self.send(&selecting(n, addr), false).answer.unwrap();
        assert_eq!(ack.message_type(), Some(MessageType::Ack));
        assert_eq!(ack.yiaddr, addr);
        addr
    }
}

fn kind(out: &Outcome) -> Option<MessageType> {
    out.answer.as_ref().and_then(|a| a.message_type())
}

fn hw(n: u8) -> ClientKey {
    ClientKey::Hw {
        htype: 1,
        addr: mac(n).to_vec(),
    }
}

#[test]
fn dora_offers_then_binds() {
    let mut h = Harness::new();
    let mut d = msg(MessageType::Discover, 1);
    d.flags = crate::dhcp4::FLAG_BROADCAST;
    d.giaddr = Ipv4Addr::new(10, 0, 0, 254);
    let d = with(
        d,
        OptionRepr::ParameterRequestList(vec![
            OptionCode::DomainNameServers,
            OptionCode::SubnetMask,
            OptionCode::Routers,
        ]),
    );
    let out = h.send(&d, false);
    assert!(out.changes.is_empty(), "an offer is not journaled");
    assert_eq!(h.e.offers(), 1);
    let offer = out.answer.unwrap();
    assert_eq!(offer.op, Op::BootReply);
    assert_eq!(offer.xid, d.xid);
    assert_eq!(offer.flags, d.flags);
    assert_eq!(offer.giaddr, d.giaddr);
    assert_eq!(offer.chaddr, d.chaddr);
    assert_eq!(offer.ciaddr, Ipv4Addr::UNSPECIFIED);
    let addr = offer.yiaddr;
    assert!(
        (11..=19).contains(&addr.octets()[3]),
        "{addr} from the pool, not the reservation"
    );
    let codes: Vec<_> = offer.options.iter().map(|o| o.code()).collect();
    use OptionCode as C;
    assert_eq!(
        codes,
        [
            C::MessageType,
            C::ServerId,
            C::LeaseTime,
            C::RenewalTime,
            C::RebindingTime,
            C::DomainNameServers,
            C::SubnetMask,
            C::Routers
        ],
        "required options, then the requested ones in the client's order"
    );
    assert_eq!(
        offer.option(C::LeaseTime),
        Some(&OptionRepr::LeaseTime(3600))
    );
    assert_eq!(
        offer.option(C::RenewalTime),
        Some(&OptionRepr::RenewalTime(1800))
    );
    assert_eq!(
        offer.option(C::RebindingTime),
        Some(&OptionRepr::RebindingTime(3150))
    );
    assert_eq!(offer.server_id(), Some(SERVER));

    h.now += 2;
    let out = h.send(&selecting(1, addr), false);
    let ack = out.answer.unwrap();
    assert_eq!(ack.message_type(), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr, addr);
    let lease = Lease4 {
        client: hw(1),
        addr,
        subnet: 1,
        expires: h.now + 3600,
    };
    assert_eq!(out.changes, vec![Change4::Bind(lease.clone())]);
    assert_eq!(h.e.leases(), vec![lease]);
    assert_eq!(h.e.offers(), 0, "the offer became the lease");
}

#[test]
fn offer_lapses_after_its_hold() {
    let mut h = Harness::new();
    let a = h.offer(1);
    assert_eq!(
        h.e.next_expiry(),
        Some(T0 + u64::from(config::DEFAULT_OFFER_HOLD))
    );
    h.now += u64::from(config::DEFAULT_OFFER_HOLD);
    assert!(
        h.e.expire(h.now, 10).is_empty(),
        "an offer's end is not journaled"
    );
    assert_eq!(h.e.offers(), 0);
    // The same client asks again and, its address being free, gets it again.
    let b = h.offer(1);
    assert_eq!(a, b);
}

#[test]
fn renew_unicast_and_rebind_broadcast_extend_the_lease() {
    let mut h = Harness::new();
    let addr = h.dora(1);
    h.now += 1800;
    let renew = with_ciaddr(msg(MessageType::Request, 1), addr);
    let out = h.send(&renew, true);
    let ack = out.answer.unwrap();
    assert_eq!(ack.message_type(), Some(MessageType::Ack));
    assert_eq!((ack.yiaddr, ack.ciaddr), (addr, addr));
    assert_eq!(h.e.lease(addr).unwrap().expires, h.now + 3600);
    assert!(matches!(out.changes[..], [Change4::Bind(_)]));

    h.now += 3200;
    let out = h.send(&renew, false);
    assert_eq!(kind(&out), Some(MessageType::Ack));
    assert_eq!(h.e.lease(addr).unwrap().expires, h.now + 3600);

    // Another client renewing or rebinding this address is refused.
    let thief = with_ciaddr(msg(MessageType::Request, 2), addr);
    assert_eq!(kind(&h.send(&thief, true)), Some(MessageType::Nak));
    assert_eq!(kind(&h.send(&thief, false)), Some(MessageType::Nak));
    assert_eq!(h.e.lease(addr).unwrap().client, hw(1));
}

#[test]
fn renewing_and_rebinding_differ_for_an_address_not_ours() {
    let mut h = Harness::new();
    // In the subnet, outside every range, reserved for nobody: another
    // server's lease. Rebinding (broadcast) stays silent, renewing
    // (unicast to us) is refused.
    let m = with_ciaddr(msg(MessageType::Request, 1), ip(100));
    assert_eq!(h.send(&m, false).answer, None);
    let nak = h.send(&m, true).answer.unwrap();
    assert_eq!(nak.message_type(), Some(MessageType::Nak));
    assert_eq!(
        (nak.yiaddr, nak.ciaddr),
        (Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED)
    );
    assert!(nak.option(OptionCode::LeaseTime).is_none());
    // Off the subnet: a NAK either way.
    let m = with_ciaddr(msg(MessageType::Request, 1), Ipv4Addr::new(172, 16, 0, 1));
    assert_eq!(kind(&h.send(&m, false)), Some(MessageType::Nak));
}

#[test]
fn init_reboot_right_address_acked_wrong_one_naked() {
    let mut h = Harness::new();
    let addr = h.dora(1);
    let reboot = |a| with(msg(MessageType::Request, 1), OptionRepr::RequestedIp(a));
    let out = h.send(&reboot(addr), false);
    let ack = out.answer.unwrap();
    assert_eq!(
        (ack.message_type(), ack.yiaddr),
        (Some(MessageType::Ack), addr)
    );
    assert_eq!(ack.ciaddr, Ipv4Addr::UNSPECIFIED);

    // Another address than the one on record.
    let other = if addr == ip(11) { ip(12) } else { ip(11) };
    let mut relayed = reboot(other);
    relayed.giaddr = ip(254);
    let nak = h.send(&relayed, false).answer.unwrap();
    assert_eq!(nak.message_type(), Some(MessageType::Nak));
    assert_eq!(
        nak.flags & crate::dhcp4::FLAG_BROADCAST,
        crate::dhcp4::FLAG_BROADCAST
    );
    // Off the subnet.
    let off = reboot(Ipv4Addr::new(10, 9, 9, 9));
    assert_eq!(kind(&h.send(&off, false)), Some(MessageType::Nak));
    // A client we have no record of is another server's (RFC 2131
    // §4.3.2): no answer, whether the address is bound here or free.
    let taken = with(msg(MessageType::Request, 2), OptionRepr::RequestedIp(addr));
    let free = with(msg(MessageType::Request, 3), OptionRepr::RequestedIp(other));
    assert_eq!(h.send(&taken, false).answer, None);
    assert_eq!(h.send(&free, false).answer, None);
    assert_eq!(h.e.lease(addr).unwrap().client, hw(1));
    assert!(h.e.lease(other).is_none());
    // The only server of the link refuses the address bound to another
    // client and grants the free one (the lease was lost with its state).
    let mut c = config();
    c.authoritative = true;
    let mut h = Harness::with_config(c);
    assert_eq!(h.dora(1), addr);
    assert_eq!(kind(&h.send(&taken, false)), Some(MessageType::Nak));
    assert_eq!(h.e.lease(addr).unwrap().client, hw(1));
    assert_eq!(kind(&h.send(&free, false)), Some(MessageType::Ack));
}

#[test]
fn selecting_another_server_forgets_the_offer() {
    let mut h = Harness::new();
    let addr = h.offer(1);
    let m = with(
        msg(MessageType::Request, 1),
        OptionRepr::ServerId(OTHER_SERVER),
    );
    let m = with(m, OptionRepr::RequestedIp(addr));
    let out = h.send(&m, false);
    assert_eq!(out.answer, None);
    assert!(out.changes.is_empty());
    assert_eq!(h.e.offers(), 0);
    assert!(h.e.lease(addr).is_none());
}

#[test]
fn decline_quarantines_the_address() {
    let mut c = config();
    c.subnets[1].ranges[0].last = Ipv4Addr::new(10, 1, 0, 10); // one address
    c.decline_time = 600;
    let mut h = Harness::with_config(c);
    let only = Ipv4Addr::new(10, 1, 0, 10);
    let send2 = |h: &mut Harness, m: &PacketRepr| h.send_in(m, false, 2, &mut Unshared);
    let offer = send2(&mut h, &msg(MessageType::Discover, 1))
        .answer
        .unwrap();
    assert_eq!(offer.yiaddr, only);
    let sel = with(msg(MessageType::Request, 1), OptionRepr::ServerId(SERVER));
    let sel = with(sel, OptionRepr::RequestedIp(only));
    assert_eq!(kind(&send2(&mut h, &sel)), Some(MessageType::Ack));

    let decline = with(msg(MessageType::Decline, 1), OptionRepr::RequestedIp(only));
    let decline = with(decline, OptionRepr::ServerId(SERVER));
    let out = send2(&mut h, &decline);
    assert_eq!(out.answer, None);
    assert_eq!(
        out.changes,
        vec![Change4::Decline {
            client: hw(1),
            addr: only,
            until: T0 + 600
        }]
    );
    assert!(h.e.is_quarantined(only));
    assert!(h.e.lease(only).is_none());
    // Neither the decliner, nor another client, nor a request for it.
    for n in [1, 2] {
        assert_eq!(send2(&mut h, &msg(MessageType::Discover, n)).answer, None);
    }
    let ask = with(msg(MessageType::Discover, 3), OptionRepr::RequestedIp(only));
    assert_eq!(send2(&mut h, &ask).answer, None);
    let grab = with(
        sel.clone(),
        OptionRepr::ClientId(ClientId::Typed {
            id_type: 0,
            id: vec![3],
        }),
    );
    assert_eq!(kind(&send2(&mut h, &grab)), Some(MessageType::Nak));
    h.now += 600;
    let offer = send2(&mut h, &msg(MessageType::Discover, 2))
        .answer
        .unwrap();
    assert_eq!(offer.yiaddr, only, "back after the quarantine");
}

#[test]
fn release_ends_the_lease() {
    let mut h = Harness::new();
    let addr = h.dora(1);
    // A release naming another server, or from another client, is ignored.
    let other = with(
        msg(MessageType::Release, 1),
        OptionRepr::ServerId(OTHER_SERVER),
    );
    assert!(h.send(&with_ciaddr(other, addr), true).changes.is_empty());
    let stranger = with_ciaddr(msg(MessageType::Release, 2), addr);
    assert!(h.send(&stranger, true).changes.is_empty());
    assert!(h.e.lease(addr).is_some());

    let rel = with(msg(MessageType::Release, 1), OptionRepr::ServerId(SERVER));
    let out = h.send(&with_ciaddr(rel, addr), true);
    assert_eq!(out.answer, None);
    assert_eq!(
        out.changes,
        vec![Change4::Release {
            client: hw(1),
            addr
        }]
    );
    assert!(h.e.leases().is_empty());
    // The client comes back to its previous address.
    assert_eq!(h.dora(1), addr);
}

#[test]
fn inform_answers_options_only() {
    let mut h = Harness::new();
    let m = with_ciaddr(msg(MessageType::Inform, 1), ip(100));
    let m = with(
        m,
        OptionRepr::ParameterRequestList(vec![OptionCode::DomainName]),
    );
    let out = h.send(&m, true);
    assert!(out.changes.is_empty());
    let ack = out.answer.unwrap();
    assert_eq!(ack.message_type(), Some(MessageType::Ack));
    assert_eq!((ack.yiaddr, ack.ciaddr), (Ipv4Addr::UNSPECIFIED, ip(100)));
    assert!(ack.option(OptionCode::LeaseTime).is_none());
    assert!(ack.option(OptionCode::RenewalTime).is_none());
    assert_eq!(ack.server_id(), Some(SERVER));
    assert_eq!(
        ack.option(OptionCode::DomainName),
        Some(&OptionRepr::DomainName(b"example.org".to_vec()))
    );
    assert!(ack.option(OptionCode::Routers).is_none(), "not requested");
    assert!(h.e.leases().is_empty());
    assert_eq!(h.e.offers(), 0);
}

#[test]
fn leases_expire_on_time() {
    let mut h = Harness::new();
    let addr = h.dora(1);
    assert_eq!(h.e.next_expiry(), Some(T0 + 3600));
    h.now = T0 + 3599;
    assert!(h
        .send(&msg(MessageType::Inform, 9), false)
        .changes
        .is_empty());
    h.now = T0 + 3600;
    let out = h.send(&msg(MessageType::Inform, 9), false);
    assert_eq!(
        out.changes,
        vec![Change4::Expire {
            client: hw(1),
            addr
        }]
    );
    assert!(h.e.leases().is_empty());
    assert_eq!(h.e.next_expiry(), None);
    // A renewal after the end finds the address free and binds it again.
    let renew = with_ciaddr(msg(MessageType::Request, 1), addr);
    assert_eq!(kind(&h.send(&renew, true)), Some(MessageType::Ack));
}

#[test]
fn expiry_scan_is_bounded_per_query() {
    let mut c = config();
    c.subnets[0].ranges[0].last = ip(250);
    c.subnets[0].lease_time = 100;
    let mut h = Harness::with_config(c);
    for n in 0..200 {
        h.dora(n);
    }
    h.now += 100;
    let out = h.send(&msg(MessageType::Inform, 250), false);
    assert_eq!(out.changes.len(), EXPIRE_PER_QUERY);
    let out = h.send(&msg(MessageType::Inform, 250), false);
    assert_eq!(out.changes.len(), EXPIRE_PER_QUERY);
    assert_eq!(h.e.leases().len(), 200 - 2 * EXPIRE_PER_QUERY);
    // A client whose expired lease the scan has not reached yet is still
    // never seen bound: the address is settled when looked at.
    let (last, _) = (0..200u8)
        .map(|n| (n, ()))
        .find(|&(n, _)| h.e.leases().iter().any(|l| l.client == hw(n)))
        .unwrap();
    let addr =
        h.e.leases()
            .iter()
            .find(|l| l.client == hw(last))
            .unwrap()
            .addr;
    let out = h.send(&selecting(251, addr), false);
    assert_eq!(kind(&out), Some(MessageType::Ack));
    assert!(out.changes.contains(&Change4::Expire {
        client: hw(last),
        addr
    }));
}

#[test]
fn reservation_by_client_id() {
    let mut h = Harness::new();
    let id = OptionRepr::ClientId(ClientId::Typed {
        id_type: 0,
        id: vec![0xaa],
    });
    let d = with(msg(MessageType::Discover, 7), id.clone());
    let offer = h.send(&d, false).answer.unwrap();
    assert_eq!(offer.yiaddr, ip(10));
    assert_eq!(
        offer.option(OptionCode::ClientId),
        Some(&id),
        "RFC 6842 echo"
    );
    let r = with(selecting(7, ip(10)), id);
    let out = h.send(&r, false);
    assert_eq!(kind(&out), Some(MessageType::Ack));
    assert_eq!(
        h.e.lease(ip(10)).unwrap().client,
        ClientKey::Id(vec![0, 0xaa])
    );
    // The same hardware address without the identifier is another client,
    // and gets neither the reserved address nor a NAK-free request for it.
    let plain = h
        .send(&msg(MessageType::Discover, 7), false)
        .answer
        .unwrap();
    assert_ne!(plain.yiaddr, ip(10));
    assert_eq!(
        kind(&h.send(&selecting(7, ip(10)), false)),
        Some(MessageType::Nak)
    );
}

#[test]
fn reservation_by_mac_with_host_options() {
    let mut h = Harness::new();
    // The client also sends an identifier; the MAC reservation still holds.
    let id = OptionRepr::ClientId(ClientId::Typed {
        id_type: 1,
        id: mac(0xbb).to_vec(),
    });
    let d = with(msg(MessageType::Discover, 0xbb), id.clone());
    let offer = h.send(&d, false).answer.unwrap();
    assert_eq!(offer.yiaddr, ip(5));
    assert_eq!(
        offer.option(OptionCode::DomainNameServers),
        Some(&OptionRepr::DomainNameServers(vec![Ipv4Addr::new(
            9, 9, 9, 9
        )])),
        "the host's option replaces the subnet's"
    );
    assert_eq!(
        offer.option(OptionCode::Routers),
        Some(&OptionRepr::Routers(vec![ip(1)]))
    );
    let out = h.send(&with(selecting(0xbb, ip(5)), id), false);
    assert_eq!(kind(&out), Some(MessageType::Ack));
}

#[test]
fn reserved_addresses_stay_out_of_the_pool_and_exhaustion_means_no_offer() {
    let mut h = Harness::new();
    let mut got = HashSet::new();
    for n in 1..=9 {
        assert!(got.insert(h.dora(n)));
    }
    assert!(!got.contains(&ip(10)), "10.0.0.10 is reserved");
    assert_eq!(got.len(), 9);
    let out = h.send(&msg(MessageType::Discover, 50), false);
    assert_eq!(out.answer, None, "pool exhausted");
    let ask = with(
        msg(MessageType::Discover, 50),
        OptionRepr::RequestedIp(ip(10)),
    );
    assert_eq!(h.send(&ask, false).answer, None);
}

#[test]
fn client_id_and_hardware_address_tell_clients_apart() {
    let mut h = Harness::new();
    let a = h.dora(1);
    let id = OptionRepr::ClientId(ClientId::Typed {
        id_type: 0,
        id: b"other".to_vec(),
    });
    let d = with(msg(MessageType::Discover, 1), id);
    let b = h.send(&d, false).answer.unwrap().yiaddr;
    assert_ne!(
        a, b,
        "same chaddr, another client identifier: another client"
    );
}

#[test]
fn flood_of_random_discovers_is_bounded_and_a_real_client_is_served() {
    let mut c = config();
    c.max_offers = 64;
    let mut h = Harness::with_config(c);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..100_000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = OptionRepr::ClientId(ClientId::Typed {
            id_type: 0,
            id: x.to_be_bytes().to_vec(),
        });
        let m = with(msg(MessageType::Discover, 1), id);
        let out = h.react(&m, false);
        h.e.commit();
        assert!(out.answer.is_some(), "the oldest offer is recycled");
        assert!(out.changes.is_empty());
        assert!(h.e.offers() <= 9, "offers bounded by the pool");
        if i % 1000 == 0 {
            h.now += 1;
            h.e.audit().unwrap();
        }
    }
    assert!(h.e.leases().is_empty());
    assert!(h.e.entries() <= 9);
    // A real client still gets through the whole exchange.
    let addr = h.dora(200);
    assert_eq!(h.e.lease(addr).unwrap().client, hw(200));
}

#[test]
fn offers_are_bounded_in_number_in_a_large_pool() {
    let mut c = config();
    c.subnets[0].ranges[0].last = ip(250);
    c.max_offers = 4;
    let mut h = Harness::with_config(c);
    let mut first = None;
    for n in 0..100 {
        let a = h.offer(n);
        first.get_or_insert(a);
        assert!(h.e.offers() <= 4);
    }
    // The first client's offer was recycled: its REQUEST still succeeds
    // when the address is free, which it is.
    let first = first.unwrap();
    assert_eq!(
        kind(&h.send(&selecting(0, first), false)),
        Some(MessageType::Ack)
    );
}

/// A store that refuses some addresses and can be made to fail.
struct Refusing(HashSet<Ipv4Addr>);

impl Claims4 for Refusing {
    fn claim(&mut self, addr: Ipv4Addr, _: &ClientKey, _: u64) -> bool {
        !self.0.contains(&addr)
    }
}

#[test]
fn refused_claim_moves_to_the_next_candidate() {
    let mut h = Harness::new();
    // Where the client would land without refusals.
    let natural = h.offer(1);
    let mut h = Harness::new();
    let mut store = Refusing([natural].into());
    let m = msg(MessageType::Discover, 1);
    let offer = h.send_in(&m, false, 1, &mut store).answer.unwrap();
    assert_ne!(offer.yiaddr, natural);
    assert!(h.e.lease(natural).is_none());
    // A REQUEST for a refused address is refused.
    let out = h.send_in(&selecting(2, natural), false, 1, &mut store);
    assert_eq!(kind(&out), Some(MessageType::Nak));
    assert!(out.changes.is_empty());
    // Everything refused: no offer.
    let mut all = Refusing((10..=19).map(ip).collect());
    assert_eq!(
        h.send_in(&msg(MessageType::Discover, 3), false, 1, &mut all)
            .answer,
        None
    );
}

#[test]
fn failed_commit_leaves_the_table_unchanged() {
    let mut h = Harness::new();
    let a = h.dora(1);
    let b = h.dora(2);
    let before = sorted(h.e.leases());
    let offers = h.e.offers();
    // One turn: client 1 releases, client 3 takes an address, client 2
    // renews, client 4 is offered one; then the journal write fails.
    let turn = [
        (with_ciaddr(msg(MessageType::Release, 1), a), true),
        (with_ciaddr(msg(MessageType::Request, 2), b), true),
        (msg(MessageType::Discover, 4), false),
        (selecting(3, a), false),
    ];
    h.now += 10;
    let mut changes = Vec::new();
    let mut answers = Vec::new();
    for (m, unicast) in &turn {
        let out = h.react(m, *unicast);
        changes.extend(out.changes);
        answers.extend(out.answer);
    }
    assert!(changes.len() >= 3);
    assert_eq!(answers.len(), 3, "renew ACK, offer, REQUEST's ACK");
    assert!(h.e.dirty());
    let failed = h.e.conclude(&changes, answers, |_| Err("disk full"));
    assert_eq!(failed, Err("disk full"), "no answer leaves");
    assert!(!h.e.dirty());
    h.e.audit().unwrap();
    assert_eq!(sorted(h.e.leases()), before);
    assert_eq!(h.e.offers(), offers);
    // And the table works on: client 3 may not take client 1's address.
    let m = selecting(3, a);
    let out = h.react(&m, false);
    assert_eq!(kind(&out), Some(MessageType::Nak));
    let mut journal = Vec::new();
    assert_eq!(h.conclude(out, &mut journal).len(), 1);
    assert!(journal.is_empty(), "a NAK changes nothing");
    // A successful turn is kept.
    let r = with_ciaddr(msg(MessageType::Request, 2), b);
    let out = h.react(&r, true);
    assert_eq!(h.conclude(out, &mut journal).len(), 1);
    assert_eq!(journal.len(), 1);
    assert!(!h.e.dirty());
    assert_eq!(h.e.lease(b).unwrap().expires, h.now + 3600);
}

fn sorted(mut v: Vec<Lease4>) -> Vec<Lease4> {
    v.sort_by_key(|l| l.addr);
    v
}

#[test]
fn answers_respect_the_message_size_limit() {
    let mut c = config();
    // About 700 octets of routes: more than a 576-octet datagram holds.
    c.subnets[0].options.classless_routes = (0..90u8)
        .map(|i| ClasslessRoute {
            destination: Ipv4Addr::new(10, i, 0, 0),
            prefix_len: 16,
            router: ip(1),
        })
        .collect();
    let mut h = Harness::with_config(c);
    let prl = OptionRepr::ParameterRequestList(vec![
        OptionCode::ClasslessStaticRoutes,
        OptionCode::Routers,
    ]);
    let small = with(msg(MessageType::Discover, 1), prl.clone());
    let offer = h.send(&small, false).answer.unwrap();
    assert!(offer.to_vec().unwrap().len() <= 576 - 28);
    assert!(
        offer.option(OptionCode::ClasslessStaticRoutes).is_none(),
        "too big"
    );
    assert!(
        offer.option(OptionCode::Routers).is_some(),
        "the next one still fits"
    );
    assert!(offer.option(OptionCode::LeaseTime).is_some());
    // An announced size below 576 counts as 576.
    let tiny = with(small.clone(), OptionRepr::MaxMessageSize(300));
    let offer = h.send(&tiny, false).answer.unwrap();
    assert!(offer.option(OptionCode::Routers).is_some());
    let big = with(small, OptionRepr::MaxMessageSize(1500));
    let offer = h.send(&big, false).answer.unwrap();
    assert!(offer.option(OptionCode::ClasslessStaticRoutes).is_some());
    assert!(offer.to_vec().unwrap().len() <= 1500 - 28);
}

#[test]
fn odd_queries_are_dropped() {
    let mut h = Harness::new();
    let mut reply = msg(MessageType::Discover, 1);
    reply.op = Op::BootReply;
    assert_eq!(h.send(&reply, false).answer, None);
    let mut bootp = msg(MessageType::Discover, 1);
    bootp.options.clear();
    assert_eq!(h.send(&bootp, false).answer, None);
    let mut anonymous = msg(MessageType::Discover, 1);
    anonymous.hlen = 0;
    assert_eq!(h.send(&anonymous, false).answer, None);
    let m = msg(MessageType::Discover, 1);
    assert_eq!(
        h.send_in(&m, false, 77, &mut Unshared).answer,
        None,
        "unknown subnet"
    );
    assert_eq!(h.send(&msg(MessageType::Offer, 1), false).answer, None);
    let long_id = OptionRepr::ClientId(ClientId::Typed {
        id_type: 0,
        id: vec![7; 600],
    });
    assert_eq!(h.send(&with(m, long_id), false).answer, None);
    // A SELECTING request without a requested address, and a REQUEST
    // with neither ciaddr nor a requested address.
    let sel = with(msg(MessageType::Request, 1), OptionRepr::ServerId(SERVER));
    assert_eq!(h.send(&sel, false).answer, None);
    assert_eq!(h.send(&msg(MessageType::Request, 1), false).answer, None);
    assert_eq!(h.e.offers(), 0);
}

#[test]
fn config_errors() {
    let mut c = config();
    c.subnets[1].ranges[0] = Range4 {
        first: ip(19),
        last: ip(19),
    };
    assert!(matches!(
        Engine::new(c).unwrap_err(),
        ConfigError::BadRange { .. }
    ));
    let mut c = config();
    c.subnets[1].network = ip(0);
    c.subnets[1].ranges[0] = Range4 {
        first: ip(15),
        last: ip(30),
    };
    assert_eq!(Engine::new(c).unwrap_err(), ConfigError::Overlap(ip(15)));
    let mut c = config();
    c.subnets[1].id = 1;
    assert_eq!(
        Engine::new(c).unwrap_err(),
        ConfigError::DuplicateSubnetId(1)
    );
    let mut c = config();
    c.subnets[0].t1 = Some(4000);
    assert_eq!(Engine::new(c).unwrap_err(), ConfigError::BadTimes(1));
    let mut c = config();
    c.subnets[0].reservations[1].addr = Ipv4Addr::new(10, 1, 0, 5);
    assert!(matches!(
        Engine::new(c).unwrap_err(),
        ConfigError::ReservationOutside { .. }
    ));
    let mut c = config();
    c.max_offers = 0;
    assert_eq!(Engine::new(c).unwrap_err(), ConfigError::NoOffers);
}

#[test]
fn journal_replay_restores_leases_and_quarantines() {
    let mut h = Harness::new();
    let a = h.dora(1);
    let b = h.dora(2);
    let mut journal = Vec::new();
    let rel = with_ciaddr(msg(MessageType::Release, 2), b);
    journal.extend(h.send(&rel, true).changes);
    let c = h.dora(3);
    let decl = with(msg(MessageType::Decline, 3), OptionRepr::RequestedIp(c));
    journal.extend(h.send(&decl, false).changes);
    let mut fresh = Engine::new(config()).unwrap();
    let mut all: Vec<Change4> = h.e.leases().into_iter().map(Change4::Bind).collect();
    all.extend(journal);
    for ch in &all {
        fresh.replay(ch, h.now);
    }
    fresh.audit().unwrap();
    assert_eq!(sorted(fresh.leases()), sorted(h.e.leases()));
    assert_eq!(fresh.lease(a).unwrap().client, hw(1));
    assert!(fresh.is_quarantined(c));
    // Past the end, nothing comes back.
    let mut late = Engine::new(config()).unwrap();
    for ch in &all {
        late.replay(ch, h.now + 100_000);
    }
    assert!(late.leases().is_empty() && !late.is_quarantined(c));
}

/// Random operations from several clients, random clock steps, random
/// failed commits: the table stays consistent and the witness, which sees
/// only answers and journaled changes, never sees one address bound to
/// two clients.
#[test]
fn random_operations_never_bind_one_address_twice() {
    for seed in 1..=20u64 {
        let mut c = config();
        c.subnets[0].ranges[0].last = ip(13); // 3 dynamic + reserved .10
        c.subnets[0].lease_time = 50;
        c.max_offers = 3;
        c.decline_time = 40;
        let mut e = Engine::new(c).unwrap();
        let mut w = Witness::new();
        let mut now = T0;
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3000 {
            let r = next();
            let m = random_query(r, next());
            now += r >> 60;
            let q = Query {
                msg: &m,
                unicast: r & 0x100 != 0,
                subnet: if r & 0x3000 == 0 { 2 } else { 1 },
                now,
            };
            let mut refuse = Refusing(if r & 0xf0000 == 0 {
                [ip(12)].into()
            } else {
                HashSet::new()
            });
            let out = e.server4_react(q, &mut refuse);
            let client = ClientKey::of(&m).unwrap();
            w.observe(&client, &out).unwrap();
            if r & 0x1f00000 == 0 {
                e.rollback();
                w.rollback();
            } else {
                e.commit();
                w.commit();
            }
            e.audit().unwrap();
            assert_eq!(w.held(), e.leases().len());
        }
    }
}

/// A query of a random kind from one of six clients (one with the
/// reserved client identifier) about one of a few addresses.
fn random_query(r: u64, s: u64) -> PacketRepr {
    let kinds = [
        MessageType::Discover,
        MessageType::Request,
        MessageType::Request,
        MessageType::Decline,
        MessageType::Release,
        MessageType::Inform,
    ];
    let kind = kinds[(r % 6) as usize];
    let n = ((r >> 8) % 6) as u8;
    let addr = ip(9 + ((s >> 4) % 6) as u8);
    let mut m = msg(kind, n);
    if n == 5 {
        m = with(
            m,
            OptionRepr::ClientId(ClientId::Typed {
                id_type: 0,
                id: vec![0xaa],
            }),
        );
    }
    if s & 1 != 0 {
        m = with(m, OptionRepr::RequestedIp(addr));
    }
    if s & 2 != 0 {
        m.ciaddr = addr;
    }
    if s & 4 != 0 {
        let sid = if s & 8 != 0 { SERVER } else { OTHER_SERVER };
        m = with(m, OptionRepr::ServerId(sid));
    }
    m
}

/// A shared store's word on a client replaces the table's: a lease moved
/// by another server, extended, or gone; the address it held is free.
#[test]
fn adopt_takes_the_stores_word() {
    let mut e = Engine::new(config()).unwrap();
    let c = ClientKey::Hw {
        htype: 1,
        addr: mac(1).to_vec(),
    };
    let lease = |addr, expires| Lease4 {
        client: c.clone(),
        addr,
        subnet: 1,
        expires,
    };
    assert!(!e.adopt(&c, None, T0), "nothing known, nothing changed");
    assert!(e.adopt(&c, Some(&lease(ip(11), T0 + 100)), T0));
    assert_eq!(e.lease(ip(11)).unwrap().expires, T0 + 100);
    assert!(!e.adopt(&c, Some(&lease(ip(11), T0 + 100)), T0), "same");
    assert!(e.adopt(&c, Some(&lease(ip(12), T0 + 200)), T0), "moved");
    assert!(e.lease(ip(11)).is_none());
    assert_eq!(e.lease(ip(12)).unwrap().client, c);
    assert!(e.adopt(&c, None, T0), "gone");
    assert!(e.leases().is_empty());
    assert!(!e.dirty(), "nothing to roll back");
    e.audit().unwrap();
}

/// 10,000 leases ending in the same second end over several calls of at
/// most N, every one of them, each address free again once ended; while
/// some are left the next expiry says they are due.
#[test]
fn a_mass_of_ends_is_ended_a_bounded_chunk_at_a_time() {
    const N: usize = 1000;
    let mut c = Config4::new(SERVER);
    let mut s = Subnet4::new(3, Ipv4Addr::new(10, 2, 0, 0), 16);
    let at = |n: u32| Ipv4Addr::from(0x0a02_0000 + 256 + n);
    s.ranges.push(Range4 {
        first: at(0),
        last: at(9_999),
    });
    c.subnets.push(s);
    let mut e = Engine::new(c).unwrap();
    for n in 0..10_000u32 {
        e.replay(
            &Change4::Bind(Lease4 {
                client: ClientKey::Id(n.to_be_bytes().to_vec()),
                addr: at(n),
                subnet: 3,
                expires: T0 + 600,
            }),
            T0,
        );
    }
    e.commit();
    assert_eq!(e.leases().len(), 10_000);
    let now = T0 + 600;
    let mut ended = Vec::new();
    for call in 1.. {
        assert!(call < 100, "never done");
        let chunk = e.expire(now, N);
        e.commit();
        assert!(chunk.len() <= N);
        if chunk.is_empty() {
            break;
        }
        ended.extend(chunk);
        assert_eq!(e.leases().len(), 10_000 - ended.len());
        assert_eq!(
            e.next_expiry().is_some_and(|t| t <= now),
            ended.len() < 10_000
        );
    }
    assert_eq!(ended.len(), 10_000);
    assert!(ended.iter().all(|c| matches!(c, Change4::Expire { .. })));
    assert!((0..10_000).step_by(101).all(|n| e.lease(at(n)).is_none()));
}
