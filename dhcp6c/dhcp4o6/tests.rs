//! The 4o6 transport with a fake clock and a seeded generator: C-156 …
//! C-163 at the level of messages.

use std::net::Ipv4Addr;
use std::time::Duration;

use libdhcp6::dhcp4::{ClientId, MessageType as V4Type, Op, OptionRepr as V4Option};
use libdhcp6::Duid;

use super::*;
use crate::dhcp4::Reason;
use crate::random::Seeded;

const A: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xa);
const B: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xb);
const SERVER4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn conf() -> Conf4o6 {
    Conf4o6 {
        conf4: Conf4 {
            hw: Some((1, vec![2, 0, 0, 0, 0, 1])),
            client_id: ClientId::Duid {
                iaid: 1,
                duid: Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]).unwrap(),
            },
            prl: vec![],
        },
        remembered: None,
    }
}

/// A DHCPv6 Reply carrying option 88 with `servers` (none: no option 88).
fn reply(servers: Option<&[Ipv6Addr]>) -> MessageRepr {
    let mut options = Vec::new();
    if let Some(s) = servers {
        options.push(OptionRepr::Addresses {
            code: OptionCode::Dhcp4o6ServerAddr,
            addrs: s.to_vec(),
        });
    }
    MessageRepr {
        msg_type: MessageType::Reply,
        transaction_id: 1,
        options,
    }
}

/// The queries among `acts`: destination (None: ff02::1:2), U flag, the
/// DHCPv4 message; each checked for exactly one option 87 and no ORO.
fn queries(acts: &[Action]) -> Vec<(Option<Ipv6Addr>, bool, PacketRepr)> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Send(b) => Some((None, b)),
            Action::SendTo { to, bytes } => Some((Some(*to), bytes)),
            _ => None,
        })
        .map(|(to, b)| {
            let m = MessageRepr::from_bytes(b).unwrap();
            assert_eq!(m.msg_type, MessageType::Dhcpv4Query);
            // C-159: one option 87, no ORO at all (so never one naming 88).
            assert_eq!(m.options.len(), 1, "{m:?}");
            let OptionRepr::Dhcpv4Msg(body) = &m.options[0] else {
                panic!("not option 87: {m:?}")
            };
            let u = m.transaction_id == DHCPV4_QUERY_UNICAST;
            assert!(u || m.transaction_id == 0, "flags {:#x}", m.transaction_id);
            (to, u, PacketRepr::from_bytes(body).unwrap())
        })
        .collect()
}

struct Run {
    t: Dhcp4o6,
    rng: Seeded,
    now: Instant,
}

impl Run {
    fn new() -> Self {
        Run {
            t: Dhcp4o6::new(conf()),
            rng: Seeded::new(9),
            now: Instant::now(),
        }
    }

    fn configured(&mut self, servers: Option<&[Ipv6Addr]>) -> Vec<Action> {
        let mut out = Vec::new();
        self.t
            .configured(self.now, &reply(servers), &mut self.rng, &mut out);
        out
    }

    fn next(&mut self) -> Vec<Action> {
        let d = self.t.deadline().expect("deadline");
        self.now = self.now.max(d);
        let mut out = Vec::new();
        self.t.timeout(self.now, &mut self.rng, &mut out);
        out
    }

    /// The DHCPV4-RESPONSE `v4` from `src` with `options` beside it.
    fn respond(&mut self, src: Ipv6Addr, options: Vec<OptionRepr>) -> Result<Vec<Action>, Drop4o6> {
        let m = MessageRepr {
            msg_type: MessageType::Dhcpv4Response,
            // C-162: flags ignored, whatever they are.
            transaction_id: 0x12_3456,
            options,
        };
        self.t.receive(self.now, &m, src, &mut self.rng)
    }
}

/// The server's `kind` answer to `req` leasing 10.0.0.5 for 60 s.
fn answer(req: &PacketRepr, kind: V4Type) -> Vec<u8> {
    let mut a = req.clone();
    a.op = Op::BootReply;
    a.yiaddr = Ipv4Addr::new(10, 0, 0, 5);
    a.ciaddr = Ipv4Addr::UNSPECIFIED;
    a.options = vec![
        V4Option::MessageType(kind),
        V4Option::ServerId(SERVER4),
        V4Option::LeaseTime(60),
    ];
    a.to_vec().unwrap()
}

/// C-156: configured but no option 88 seen: nothing is sent, ever.
#[test]
fn c156_no_option_88_no_query() {
    let mut r = Run::new();
    assert_eq!(r.t.deadline(), None);
    assert!(queries(&r.configured(None)).is_empty());
    assert_eq!(r.t.deadline(), None);
    assert!(!r.t.running());
}

/// C-158: A, B, A → each query once to A and once to B; C-160: U=0 for
/// DHCPDISCOVER; C-157: empty option 88 → ff02::1:2.
#[test]
fn c157_c158_c160_destinations() {
    let mut r = Run::new();
    r.configured(Some(&[A, B, A]));
    let q = queries(&r.next());
    let to: Vec<_> = q.iter().map(|(t, u, _)| (*t, *u)).collect();
    assert_eq!(to, [(Some(A), false), (Some(B), false)]);
    assert_eq!(q[0].2.message_type(), Some(V4Type::Discover));

    let mut r = Run::new();
    r.configured(Some(&[]));
    let q = queries(&r.next());
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].0, None);
}

/// C-162: responses without option 87, with two, with one that is not
/// DHCPv4, or from a server not asked are dropped; the good one is taken
/// whatever its flags. Then C-160: RENEWING with U=1; C-163: a renewed
/// configuration without option 88 stops 4o6 (the lease given up, no
/// more queries).
#[test]
fn c159_c160_c162_c163_responses_and_stop() {
    let mut r = Run::new();
    r.configured(Some(&[A]));
    let (_, _, disc) = queries(&r.next()).remove(0);
    let offer = answer(&disc, V4Type::Offer);
    assert_eq!(r.respond(A, vec![]), Err(Drop4o6::Dhcpv4MsgCount));
    let two = vec![OptionRepr::Dhcpv4Msg(offer.clone()); 2];
    assert_eq!(r.respond(A, two), Err(Drop4o6::Dhcpv4MsgCount));
    let junk = vec![OptionRepr::Dhcpv4Msg(vec![2, 1, 6])];
    assert_eq!(r.respond(A, junk), Err(Drop4o6::Malformed));
    let from_b = vec![OptionRepr::Dhcpv4Msg(offer.clone())];
    assert_eq!(r.respond(B, from_b), Err(Drop4o6::NotAsked));
    r.respond(A, vec![OptionRepr::Dhcpv4Msg(offer)]).unwrap();
    let (_, u, req) = queries(&r.next()).remove(0);
    assert!(!u);
    let ack = answer(&req, V4Type::Ack);
    let acts = r.respond(A, vec![OptionRepr::Dhcpv4Msg(ack)]).unwrap();
    assert!(acts
        .iter()
        .any(|a| matches!(a, Action::Lease4(c) if c.reason == Reason::Bound)));
    assert_eq!(r.t.counters.accepted, 2);
    assert_eq!(r.t.counters.dropped.iter().sum::<u64>(), 4);
    // T1 = 30 s.
    let (to, u, renew) = queries(&r.next()).remove(0);
    assert_eq!((to, u), (Some(A), true));
    assert_eq!(renew.ciaddr, Ipv4Addr::new(10, 0, 0, 5));
    // C-163.
    let acts = r.configured(None);
    assert!(acts
        .iter()
        .any(|a| matches!(a, Action::Lease4(c) if c.reason == Reason::Stop && c.new.is_none())));
    assert!(!r.t.running());
    assert_eq!(r.t.deadline(), None);
    r.now += Duration::from_secs(600);
    let mut out = Vec::new();
    r.t.timeout(r.now, &mut r.rng, &mut out);
    assert!(queries(&out).is_empty());
    // Option 88 again: INIT-REBOOT with the address it had.
    r.configured(Some(&[A]));
    let (_, _, again) = queries(&r.next()).remove(0);
    assert_eq!(again.requested_ip(), Some(Ipv4Addr::new(10, 0, 0, 5)));
}

/// Mangled answers never crash the client and are each either taken or
/// counted: real OFFERs and ACKs with one to three octets changed (and
/// cut short), fed in SELECTING, REQUESTING and RENEWING. No new parser
/// is involved (option 87's contents go through the fuzzed DHCPv4 codec);
/// this drives the machine with whatever that codec lets through.
#[test]
fn mangled_answers_counted_never_crash() {
    use crate::random::Draw;
    let mut noise = Seeded::new(77);
    for round in 0..300 {
        let mut fed = 0u64;
        let mut r = Run::new();
        r.configured(Some(&[A]));
        let (_, _, disc) = queries(&r.next()).remove(0);
        let mut good = answer(&disc, V4Type::Offer);
        // Later rounds go on to REQUESTING or RENEWING first.
        if round % 3 > 0 {
            r.respond(A, vec![OptionRepr::Dhcpv4Msg(good)]).unwrap();
            fed += 1;
            let (_, _, req) = queries(&r.next()).remove(0);
            good = answer(&req, V4Type::Ack);
            if round % 3 == 2 {
                r.respond(A, vec![OptionRepr::Dhcpv4Msg(good)]).unwrap();
                fed += 1;
                let (_, _, ren) = queries(&r.next()).remove(0);
                good = answer(&ren, V4Type::Ack);
            }
        }
        for _ in 0..8 {
            let mut bad = good.clone();
            for _ in 0..1 + noise.next_u64() % 3 {
                let i = usize::try_from(noise.next_u64() % bad.len() as u64).unwrap();
                bad[i] = u8::try_from(noise.next_u64() & 0xff).unwrap();
            }
            if noise.unit() < 0.2 {
                let cut = usize::try_from(noise.next_u64() % bad.len() as u64).unwrap();
                bad.truncate(cut);
            }
            let _ = r.respond(A, vec![OptionRepr::Dhcpv4Msg(bad)]);
            fed += 1;
            let d = r.t.deadline();
            assert!(d.is_some(), "the machine stopped");
        }
        let c = &r.t.counters;
        assert_eq!(
            c.accepted + c.dropped.iter().sum::<u64>(),
            fed,
            "round {round}"
        );
    }
}
