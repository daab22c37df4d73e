//! The RFC 2131 machine driven by a fake clock, a seeded generator and a
//! server written inline.

use super::*;
use crate::random::Seeded;
use libdhcp6::Duid;

const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const OTHER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 9);
const ADDR: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 100);
const HW: [u8; 6] = [2, 0, 0, 0, 0, 0x46];

fn conf() -> Conf4 {
    Conf4 {
        hw: Some((1, HW.to_vec())),
        client_id: ClientId::Duid {
            iaid: 7,
            duid: Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 0x46]).unwrap(),
        },
        prl: vec![OptionCode::SubnetMask, OptionCode::Routers],
    }
}

/// One message the machine sent, decoded.
fn sent(ev: &[Event4]) -> Vec<(PacketRepr, bool)> {
    ev.iter()
        .filter_map(|e| match e {
            Event4::Send { msg, unicast } => Some((PacketRepr::from_bytes(msg).unwrap(), *unicast)),
            _ => None,
        })
        .collect()
}

fn only_sent(ev: &[Event4]) -> (PacketRepr, bool) {
    let s = sent(ev);
    assert_eq!(s.len(), 1, "{ev:?}");
    s.into_iter().next().unwrap()
}

fn reasons(ev: &[Event4]) -> Vec<Reason> {
    ev.iter()
        .filter_map(|e| match e {
            Event4::Lease(c) => Some(c.reason),
            _ => None,
        })
        .collect()
}

/// The server's answer of `kind` to `req`, leasing `addr` for `lease` s.
fn answer(req: &PacketRepr, kind: MessageType, addr: Ipv4Addr, lease: u32) -> PacketRepr {
    let mut a = req.clone();
    a.op = Op::BootReply;
    a.yiaddr = addr;
    a.ciaddr = Ipv4Addr::UNSPECIFIED;
    a.options = vec![OptionRepr::MessageType(kind), OptionRepr::ServerId(SERVER)];
    if kind != MessageType::Nak {
        a.options.push(OptionRepr::LeaseTime(lease));
        a.options
            .push(OptionRepr::SubnetMask(Ipv4Addr::new(255, 255, 255, 0)));
    }
    a
}

struct Run {
    m: Machine,
    rng: Seeded,
    now: Instant,
}

impl Run {
    fn new(remembered: Option<Ipv4Addr>) -> Self {
        let now = Instant::now();
        let mut rng = Seeded::new(42);
        let m = Machine::new(conf(), remembered, now, &mut rng);
        Run { m, rng, now }
    }

    fn at(&mut self, d: Duration) -> Vec<Event4> {
        self.now += d;
        self.m.timeout(self.now, &mut self.rng)
    }

    /// Runs the timers until the next deadline.
    fn next(&mut self) -> Vec<Event4> {
        let d = self.m.deadline().expect("a deadline");
        self.now = self.now.max(d);
        self.m.timeout(self.now, &mut self.rng)
    }

    fn recv(&mut self, p: &PacketRepr) -> Result<Vec<Event4>, Drop4> {
        self.m.receive(self.now, p, &mut self.rng)
    }

    /// DISCOVER, OFFER, REQUEST, ACK: bound with a `lease` s lease.
    fn bind(&mut self, lease: u32) -> Lease4 {
        let (disc, _) = only_sent(&self.next());
        assert!(self
            .recv(&answer(&disc, MessageType::Offer, ADDR, lease))
            .unwrap()
            .is_empty());
        let (req, _) = only_sent(&self.next());
        let ev = self
            .recv(&answer(&req, MessageType::Ack, ADDR, lease))
            .unwrap();
        assert_eq!(reasons(&ev), [Reason::Bound]);
        self.m.lease().unwrap().clone()
    }
}

/// RFC 2131 table 5 and RFC 7341: DISCOVER (U=0) with options 61 (IAID +
/// DUID, C-161) and 55; after the offer window, REQUEST with 50 and 54
/// and the same xid; the ACK binds.
#[test]
fn c161_dora() {
    let mut r = Run::new(None);
    let (disc, u) = only_sent(&r.next());
    assert!(!u);
    assert_eq!(disc.message_type(), Some(MessageType::Discover));
    assert_eq!(disc.client_id(), Some(&conf().client_id));
    assert_eq!(disc.hw_addr(), HW);
    assert!(matches!(
        disc.option(OptionCode::ParameterRequestList),
        Some(OptionRepr::ParameterRequestList(p)) if *p == conf().prl
    ));
    r.recv(&answer(&disc, MessageType::Offer, ADDR, 600))
        .unwrap();
    assert_eq!(r.m.state_name(), "SELECTING");
    assert_eq!(r.m.deadline(), Some(r.now + OFFER_WAIT));
    let (req, u) = only_sent(&r.next());
    assert!(!u);
    assert_eq!(req.xid, disc.xid);
    assert_eq!(req.message_type(), Some(MessageType::Request));
    assert_eq!(req.server_id(), Some(SERVER));
    assert_eq!(req.requested_ip(), Some(ADDR));
    assert_eq!(req.ciaddr, Ipv4Addr::UNSPECIFIED);
    let ev = r.recv(&answer(&req, MessageType::Ack, ADDR, 600)).unwrap();
    assert_eq!(reasons(&ev), [Reason::Bound]);
    assert_eq!(r.m.state_name(), "BOUND");
    let l = r.m.lease().unwrap();
    assert_eq!((l.t1, l.t2, l.prefix_len()), (300, 525, 24));
}

/// RFC 2131 §4.1: DHCPDISCOVER retransmitted after 4, 8, 16, 32, 64, 64
/// seconds, each ±1 s; REQUEST gives up after four and starts over.
#[test]
fn retransmission_bounds() {
    let mut r = Run::new(None);
    only_sent(&r.next());
    let mut last = r.now;
    for base in [4u64, 8, 16, 32, 64, 64, 64] {
        let (d, _) = only_sent(&r.next());
        assert_eq!(d.message_type(), Some(MessageType::Discover));
        let gap = r.now - last;
        assert!(
            gap >= Duration::from_secs(base - 1) && gap <= Duration::from_secs(base + 1),
            "{gap:?} for {base}"
        );
        last = r.now;
    }
    // An offer, then a silent server: 4 REQUESTs, then DISCOVER again.
    let (disc, _) = (r.next(), ());
    let (disc, _) = only_sent(&disc);
    r.recv(&answer(&disc, MessageType::Offer, ADDR, 600))
        .unwrap();
    let mut kinds = Vec::new();
    for _ in 0..5 {
        let (m, _) = only_sent(&r.next());
        kinds.push(m.message_type().unwrap());
    }
    use MessageType::{Discover, Request};
    assert_eq!(kinds, [Request, Request, Request, Request, Discover]);
}

/// T1: RENEWING by unicast (U=1) with ciaddr; the ACK refreshes the
/// lease. Then at T1 again a silent server: at T2 REBINDING (U=0), and at
/// the end of the lease EXPIRE and INIT (C-160).
#[test]
fn c160_renew_rebind_expire() {
    let mut r = Run::new(None);
    let first = r.bind(100);
    assert_eq!(r.m.deadline(), first.renew_at());
    let (ren, u) = only_sent(&r.next());
    assert!(u, "RENEWING is unicast");
    assert_eq!(
        (ren.ciaddr, ren.server_id(), ren.requested_ip()),
        (ADDR, None, None)
    );
    assert_eq!(r.m.state_name(), "RENEWING");
    let ev = r.recv(&answer(&ren, MessageType::Ack, ADDR, 100)).unwrap();
    assert_eq!(reasons(&ev), [Reason::Renew]);
    let renewed = r.m.lease().unwrap().clone();
    assert!(renewed.expires_at() > first.expires_at());
    // Silent from now on.
    let (ren, u) = only_sent(&r.next());
    assert!(u && ren.ciaddr == ADDR);
    assert_eq!(r.now, renewed.renew_at().unwrap());
    // T2 - T1 = 37.5 s < 60 s: no retransmission before T2.
    let (reb, u) = only_sent(&r.next());
    assert!(!u, "REBINDING is not unicast");
    assert_eq!(r.now, renewed.rebind_at().unwrap());
    assert_eq!((reb.ciaddr, reb.server_id()), (ADDR, None));
    assert_eq!(r.m.state_name(), "REBINDING");
    let ev = r.next();
    assert_eq!(r.now, renewed.expires_at().unwrap());
    assert_eq!(reasons(&ev), [Reason::Expire]);
    let (d, _) = only_sent(&ev);
    assert_eq!(d.message_type(), Some(MessageType::Discover));
    assert!(r.m.lease().is_none());
}

/// RFC 2131 §4.4.5: RENEWING retransmits after half the time to T2, at
/// least 60 s.
#[test]
fn renewing_waits_half_the_time() {
    let mut r = Run::new(None);
    let l = r.bind(10_000);
    only_sent(&r.next());
    let t1 = l.renew_at().unwrap();
    let t2 = l.rebind_at().unwrap();
    assert_eq!(r.m.deadline(), Some(t1 + (t2 - t1) / 2));
}

/// DHCPNAK in RENEWING: the lease goes (NAK), DISCOVER at once.
#[test]
fn nak_restarts_from_init() {
    let mut r = Run::new(None);
    r.bind(100);
    let (ren, _) = only_sent(&r.next());
    let ev = r
        .recv(&answer(&ren, MessageType::Nak, Ipv4Addr::UNSPECIFIED, 0))
        .unwrap();
    assert_eq!(reasons(&ev), [Reason::Nak]);
    let (d, _) = only_sent(&ev);
    assert_eq!(d.message_type(), Some(MessageType::Discover));
    assert_eq!(r.m.state_name(), "SELECTING");
    assert!(r.m.lease().is_none());
    // A server that keeps refusing: the next NAK holds INIT for 2 s.
    r.recv(&answer(&d, MessageType::Offer, ADDR, 100)).unwrap();
    let (req, _) = only_sent(&r.next());
    let ev = r
        .recv(&answer(&req, MessageType::Nak, Ipv4Addr::UNSPECIFIED, 0))
        .unwrap();
    assert_eq!(reasons(&ev), [Reason::Nak]);
    assert!(sent(&ev).is_empty());
    assert_eq!(r.m.deadline(), Some(r.now + Duration::from_secs(2)));
}

/// Answers that are not for us are dropped with their reason and change
/// nothing: another xid, chaddr or client identifier, a server not
/// chosen, a BOOTREQUEST, an OFFER when bound.
#[test]
fn mismatches_dropped() {
    let mut r = Run::new(None);
    let (disc, _) = only_sent(&r.next());
    r.recv(&answer(&disc, MessageType::Offer, ADDR, 600))
        .unwrap();
    let (req, _) = only_sent(&r.next());
    let ack = answer(&req, MessageType::Ack, ADDR, 600);
    let mut bad = ack.clone();
    bad.xid ^= 1;
    assert_eq!(r.recv(&bad), Err(Drop4::Xid));
    let mut bad = ack.clone();
    bad.chaddr[5] ^= 1;
    assert_eq!(r.recv(&bad), Err(Drop4::Chaddr));
    let mut bad = ack.clone();
    bad.options.push(OptionRepr::ClientId(ClientId::Typed {
        id_type: 1,
        id: HW.to_vec(),
    }));
    assert_eq!(r.recv(&bad), Err(Drop4::ClientId));
    let mut bad = ack.clone();
    bad.options[1] = OptionRepr::ServerId(OTHER);
    assert_eq!(r.recv(&bad), Err(Drop4::ServerId));
    let mut bad = ack.clone();
    bad.op = Op::BootRequest;
    assert_eq!(r.recv(&bad), Err(Drop4::NotReply));
    let mut bad = ack.clone();
    bad.options
        .retain(|o| !matches!(o, OptionRepr::LeaseTime(_)));
    assert_eq!(r.recv(&bad), Err(Drop4::Ignored));
    assert_eq!(r.m.state_name(), "REQUESTING");
    // With our own client identifier echoed (RFC 6842) it binds.
    let mut good = ack.clone();
    good.options.push(OptionRepr::ClientId(conf().client_id));
    assert_eq!(reasons(&r.recv(&good).unwrap()), [Reason::Bound]);
    let offer = answer(&req, MessageType::Offer, ADDR, 600);
    assert_eq!(r.recv(&offer), Err(Drop4::Xid));
}

/// After a restart with a remembered address: INIT-REBOOT's DHCPREQUEST
/// (option 50, no server identifier, ciaddr 0, U=0); the ACK is a REBOOT.
#[test]
fn init_reboot() {
    let mut r = Run::new(Some(ADDR));
    let (req, u) = only_sent(&r.next());
    assert!(!u);
    assert_eq!(req.message_type(), Some(MessageType::Request));
    assert_eq!((req.requested_ip(), req.server_id()), (Some(ADDR), None));
    assert_eq!(req.ciaddr, Ipv4Addr::UNSPECIFIED);
    assert_eq!(r.m.state_name(), "REBOOTING");
    let ev = r.recv(&answer(&req, MessageType::Ack, ADDR, 600)).unwrap();
    assert_eq!(reasons(&ev), [Reason::Reboot]);
}

/// A silent server during INIT-REBOOT: after four tries, DISCOVER hinting
/// at the address.
#[test]
fn init_reboot_gives_up() {
    let mut r = Run::new(Some(ADDR));
    for _ in 0..4 {
        let (m, _) = only_sent(&r.next());
        assert_eq!(m.message_type(), Some(MessageType::Request));
    }
    let (d, _) = only_sent(&r.next());
    assert_eq!(d.message_type(), Some(MessageType::Discover));
    assert_eq!(d.requested_ip(), Some(ADDR));
}

/// Exit: DHCPRELEASE with ciaddr and server identifier, U=1; the lease
/// goes with reason RELEASE. Decline: DHCPDECLINE (U=0), INIT after 10 s.
#[test]
fn release_and_decline() {
    let mut r = Run::new(None);
    r.bind(600);
    let ev = r.m.release(&mut r.rng);
    let (rel, u) = only_sent(&ev);
    assert!(u);
    assert_eq!(rel.message_type(), Some(MessageType::Release));
    assert_eq!((rel.ciaddr, rel.server_id()), (ADDR, Some(SERVER)));
    assert_eq!(reasons(&ev), [Reason::Release]);
    assert_eq!(r.m.deadline(), None);

    let mut r = Run::new(None);
    r.bind(600);
    let ev = r.m.decline(r.now, &mut r.rng);
    let (dec, u) = only_sent(&ev);
    assert!(!u);
    assert_eq!(dec.message_type(), Some(MessageType::Decline));
    assert_eq!(
        (dec.requested_ip(), dec.server_id()),
        (Some(ADDR), Some(SERVER))
    );
    assert_eq!(r.m.deadline(), Some(r.now + Duration::from_secs(10)));
    assert!(r.at(Duration::from_secs(9)).is_empty());
}
