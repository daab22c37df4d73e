//! The statistics dhcp6s renders (doc/statistics.md): the numbers after a
//! known exchange, and that a reload keeps them.

use libdhcp6::stats::Histogram;

use super::*;
use crate::stats::exposition;

const TWO: &str = "pool p { range 2001:db8:1::1 to 2001:db8:1::2; };\n\
    prefix-pool pd { prefix 2001:db8:100::/48 delegate 56; };\n\
    interface s0 { address-pool p 100 200; };\n\
    link far { link-address 2001:db8:9::/64; prefix-pool pd 100 200; };\n";

/// The sample line of `name{labels}` in `text`, as its value.
fn value(text: &str, series: &str) -> Option<String> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')
            .map(str::to_string)
    })
}

#[test]
fn numbers_after_a_known_exchange() {
    let mut s = server(TWO);
    let a = first_addr(&lease(&mut s, 1, vec![ia_na(1, &[])]));
    lease(&mut s, 2, vec![ia_na(1, &[])]);
    // The pool is full: the third client's Solicit gets NoAddrsAvail.
    let r = ask(&mut s, &solicit(3, vec![ia_na(1, &[])])).unwrap();
    assert_eq!(
        ia_nas(&r)[0].status().map(|s| s.status),
        Some(Status::NoAddrsAvail)
    );
    let r = ask(
        &mut s,
        &with_server(1, MessageType::Decline, vec![ia_na(1, &[&a.to_string()])]),
    )
    .unwrap();
    assert_eq!(status(&r), Some(Status::Success));
    // Dropped: a Request without Server ID.
    assert_eq!(
        ask(&mut s, &solicit(4, vec![])).map(|_| ()),
        Ok(()),
        "a Solicit without IAs is answered"
    );
    let mut req = solicit(5, vec![ia_na(1, &[])]);
    req.msg_type = MessageType::Request;
    assert_eq!(ask(&mut s, &req).unwrap_err(), DropReason::NotOurServerId);
    let mut turns = Histogram::durations();
    turns.observe(0.0003);
    let text = exposition(&s, &turns);
    let want = [
        ("kame6_dhcp6s_received_total{type=\"solicit\"}", "4"),
        ("kame6_dhcp6s_received_total{type=\"request\"}", "3"),
        ("kame6_dhcp6s_received_total{type=\"decline\"}", "1"),
        ("kame6_dhcp6s_received_total{type=\"renew\"}", "0"),
        ("kame6_dhcp6s_sent_total{type=\"advertise\"}", "4"),
        ("kame6_dhcp6s_sent_total{type=\"reply\"}", "3"),
        ("kame6_dhcp6s_dropped_total{reason=\"not_our_server_id\"}", "1"),
        ("kame6_dhcp6s_dropped_total{reason=\"malformed\"}", "0"),
        (
            "kame6_dhcp6s_link_received_total{link=\"s0\",scope=\"interface\",type=\"solicit\"}",
            "4",
        ),
        (
            "kame6_dhcp6s_link_allocation_failures_total{link=\"s0\",scope=\"interface\",status=\"NoAddrsAvail\"}",
            "1",
        ),
        (
            "kame6_dhcp6s_link_allocation_failures_total{link=\"far\",scope=\"link\",status=\"NoPrefixAvail\"}",
            "0",
        ),
        (
            "kame6_dhcp6s_link_pool_info{link=\"s0\",scope=\"interface\",ia=\"na\",pool=\"p\"}",
            "1",
        ),
        (
            "kame6_dhcp6s_link_pool_info{link=\"far\",scope=\"link\",ia=\"pd\",pool=\"pd\"}",
            "1",
        ),
        ("kame6_dhcp6s_pool_size{pool=\"p\",kind=\"address\"}", "2"),
        ("kame6_dhcp6s_pool_assigned{pool=\"p\",kind=\"address\"}", "1"),
        ("kame6_dhcp6s_pool_quarantined{pool=\"p\",kind=\"address\"}", "1"),
        ("kame6_dhcp6s_pool_declined_total{pool=\"p\",kind=\"address\"}", "1"),
        (
            "kame6_dhcp6s_pool_allocation_failures_total{pool=\"p\",kind=\"address\"}",
            "1",
        ),
        ("kame6_dhcp6s_pool_size{pool=\"pd\",kind=\"prefix\"}", "256"),
        ("kame6_dhcp6s_pool_assigned{pool=\"pd\",kind=\"prefix\"}", "0"),
        (
            "kame6_dhcp6s_loop_turn_duration_seconds_bucket{le=\"0.0005\"}",
            "1",
        ),
        ("kame6_dhcp6s_loop_turn_duration_seconds_count", "1"),
    ];
    for (series, v) in want {
        assert_eq!(value(&text, series).as_deref(), Some(v), "{series}\n{text}");
    }
    // Memory only: no journal metrics.
    assert!(!text.contains("journal"), "{text}");
    // A reload keeps the counters of what it keeps.
    let cfg = server_from_str("test.conf", TWO).unwrap().config;
    s.reconfigure(Arc::new(cfg));
    let again = exposition(&s, &turns);
    for (series, v) in want {
        assert_eq!(
            value(&again, series).as_deref(),
            Some(v),
            "{series} after reload"
        );
    }
    // A reload that moves the interface to another pool: the mapping
    // follows the new file, the link's counters stay.
    let moved = TWO.replace("address-pool p 100 200", "address-pool q 100 200")
        + "pool q { range 2001:db8:1::20 to 2001:db8:1::29; };\n";
    let cfg = server_from_str("test.conf", &moved).unwrap().config;
    s.reconfigure(Arc::new(cfg));
    let text = exposition(&s, &turns);
    let info = "kame6_dhcp6s_link_pool_info{link=\"s0\",scope=\"interface\",ia=\"na\",pool=";
    assert_eq!(
        value(&text, &format!("{info}\"q\"}}")).as_deref(),
        Some("1")
    );
    assert_eq!(value(&text, &format!("{info}\"p\"}}")), None);
    let fail = "kame6_dhcp6s_link_allocation_failures_total{link=\"s0\",scope=\"interface\",status=\"NoAddrsAvail\"}";
    assert_eq!(value(&text, fail).as_deref(), Some("1"));
}
