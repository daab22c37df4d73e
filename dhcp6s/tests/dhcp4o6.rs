//! DHCPv4-over-DHCPv6 at the dispatch point (C-164 … C-166): with
//! `dhcp4o6-port` a DHCPV4-QUERY is framed for the IPC, without it it stays
//! an unexpected type; option 88 in answers, per link and per host.

use libdhcp6::dhcp4::ipc;

use super::*;
use crate::dhcp4o6::tests::discover;
use crate::dhcp4o6::{Forwarder, Refused};

/// CONF with 4o6 server addresses: one for all, another on link by-id,
/// a third for host known.
const CONF_4O6: &str = "\
dhcp4o6-port 6767;
option dhcp4o6-server-address 2001:db8::44;
pool p1 { range 2001:db8:1::100 to 2001:db8:1::1ff; };
interface s0 { address-pool p1 1000 2000; };
link by-id { interface-id \"port-9\"; address-pool p1 50 60; option dhcp4o6-server-address 2001:db8:9::44; };
host known { duid 00:03:00:01:02:00:00:00:00:99; address 2001:db8:1::99 infinity infinity; option dhcp4o6-server-address 2001:db8:99::44; };
";

fn query(options: Vec<OptionRepr>) -> Vec<u8> {
    msg(MessageType::Dhcpv4Query, 0, options).to_vec().unwrap()
}

fn with_4o6(conf: &str) -> Server<MemStore> {
    let mut s = server(conf);
    s.fwd4o6 = Forwarder::new(6767);
    s
}

/// Without `dhcp4o6-port` (and its socket) a DHCPV4-QUERY is what it was
/// before: an unexpected type, dropped and counted.
#[test]
fn query_without_4o6_is_unexpected() {
    let mut s = server(CONF);
    let q = query(vec![OptionRepr::Dhcpv4Msg(discover())]);
    let mut out = vec![0u8; 65535];
    let r = s.server6_recv(&direct(&q, true), 1000, &mut out);
    assert_eq!(r, Err(DropReason::UnexpectedType));
    assert_eq!(s.counters.dropped(DropReason::UnexpectedType), 1);
}

/// C-164 … C-166 at the dispatch point: a query, by multicast, by unicast
/// (to the option 88 address, RFC 7341 §9) or relayed, is framed for the
/// DHCPv4 server at [::1]:6768; one without a DHCPv4-msg option is dropped
/// and counted.
#[test]
fn c164_c166_queries_forwarded_to_the_ipc() {
    let mut s = with_4o6(CONF_4O6);
    let q = query(vec![OptionRepr::Dhcpv4Msg(discover())]);
    let mut out = vec![0u8; 65535];
    for multicast in [true, false] {
        let o = s
            .server6_recv(&direct(&q, multicast), 1000, &mut out)
            .unwrap();
        assert_eq!(o.msg_type, MessageType::Dhcpv4Query);
        assert_eq!(o.dst, "[::1]:6768".parse().unwrap());
        let (back, meta) = ipc::extract_to_vec(&out[..o.len]).unwrap();
        assert_eq!(back, q);
        assert_eq!(meta.interface, "s0");
        assert_eq!(meta.remote_addr, CLIENT_LL.parse::<Ipv6Addr>().unwrap());
    }
    let fwd = relay_forw(0, "2001:db8:1::1", CLIENT_LL, vec![], q.clone());
    let inc = Incoming {
        pkt: &fwd,
        src: "[2001:db8:ff::1]:547".parse().unwrap(),
        dst: "2001:db8:1::1".parse().unwrap(),
        ifindex: IFINDEX,
    };
    let o = s.server6_recv(&inc, 1000, &mut out).unwrap();
    assert!(o.relayed);
    let (_, meta) = ipc::extract_to_vec(&out[..o.len]).unwrap();
    assert_eq!(meta.remote_port, 547);

    let bare = query(vec![]);
    let r = s.server6_recv(&direct(&bare, true), 1000, &mut out);
    assert_eq!(r, Err(DropReason::Dhcp4o6));
    let c = &s.fwd4o6.as_ref().unwrap().counters;
    assert_eq!(c.forwarded, 3);
    assert_eq!(c.dropped(Refused::NoDhcpv4Msg), 1);
}

fn servers_4o6(m: &MessageRepr) -> Option<Vec<Ipv6Addr>> {
    m.options.iter().find_map(|o| match o {
        OptionRepr::Addresses { code, addrs } if *code == OptionCode::Dhcp4o6ServerAddr => {
            Some(addrs.clone())
        }
        _ => None,
    })
}

/// Option 88 when the ORO asks for it, in Information-request answers,
/// Advertise and Reply, from the most specific scope: the host's, the
/// link's, the global one.
#[test]
fn option_88_per_link_and_host() {
    let mut s = with_4o6(CONF_4O6);
    let oro = || OptionRepr::Oro(vec![OptionCode::Dhcp4o6ServerAddr]);
    let ir = |c| {
        msg(
            MessageType::InformationRequest,
            9,
            vec![OptionRepr::ClientId(client(c)), oro()],
        )
    };
    let global: Ipv6Addr = "2001:db8::44".parse().unwrap();
    let r = ask(&mut s, &ir(1)).unwrap();
    assert_eq!(servers_4o6(&r), Some(vec![global]));
    let adv = ask(&mut s, &solicit(2, vec![oro(), ia_na(1, &[])])).unwrap();
    assert_eq!(adv.msg_type, MessageType::Advertise);
    assert_eq!(servers_4o6(&adv), Some(vec![global]));
    let reply = lease(&mut s, 3, vec![oro(), ia_na(1, &[])]);
    assert_eq!(servers_4o6(&reply), Some(vec![global]));
    let r = relayed(&mut s, &ir(4), "::", Some(b"port-9")).unwrap();
    assert_eq!(
        servers_4o6(&r),
        Some(vec!["2001:db8:9::44".parse().unwrap()])
    );
    let r = ask(&mut s, &ir(0x99)).unwrap();
    assert_eq!(
        servers_4o6(&r),
        Some(vec!["2001:db8:99::44".parse().unwrap()])
    );
}
