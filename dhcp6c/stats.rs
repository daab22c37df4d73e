//! dhcp6c's statistics in Prometheus's text format, for the statistics
//! file (doc/statistics.md lists every metric): per interface, the
//! messages sent and received by type, retransmissions, drops,
//! Reconfigures, the bindings held and the state of the machine; and, where
//! DHCPv4-over-DHCPv6 is on, its queries, responses and the DHCPv4 state.

use libdhcp6::stats::{Exposition, Histogram, Kind};
use libdhcp6::{IaKind, MessageType};

use crate::action::{Counters, DropReason};
use crate::dhcp4o6::Drop4o6;
use crate::event::Client;
use crate::ia::Binding;
use crate::state::Phase;

/// Every phase, for the `phase` gauge (one series per phase, 1 for the
/// current one).
const PHASES: [(Phase, &str); 12] = [
    (Phase::Init, "init"),
    (Phase::Solicit, "solicit"),
    (Phase::Request, "request"),
    (Phase::Bound, "bound"),
    (Phase::Renew, "renew"),
    (Phase::Rebind, "rebind"),
    (Phase::Release, "release"),
    (Phase::Decline, "decline"),
    (Phase::Confirm, "confirm"),
    (Phase::InfoReq, "inforeq"),
    (Phase::InfoBound, "infobound"),
    (Phase::Stopped, "stopped"),
];

/// Every state of the DHCPv4 client as [`crate::dhcp4o6::Dhcp4o6::state_name`]
/// names it (`OFF` before option 88 came or after 4o6 stopped, then RFC
/// 2131's), for the `dhcp4o6_state` gauge; the label is the name in lower
/// case.
const STATES4: [&str; 9] = [
    "OFF",
    "INIT",
    "SELECTING",
    "REQUESTING",
    "REBOOTING",
    "BOUND",
    "RENEWING",
    "REBINDING",
    "STOPPED",
];

/// IA kinds and their `ia` label.
const IAS: [(IaKind, &str); 3] = [(IaKind::Na, "na"), (IaKind::Ta, "ta"), (IaKind::Pd, "pd")];

/// The messages of one direction by type: the types a client sends
/// (or receives) always, others when counted.
fn by_type(
    e: &mut Exposition,
    name: &str,
    clients: &[&Client],
    counts: fn(&Counters) -> &[u64],
    always: fn(MessageType) -> bool,
) {
    for c in clients {
        for (t, n) in counts(&c.counters).iter().enumerate() {
            let t = MessageType::from(u8::try_from(t).unwrap_or(0));
            if *n > 0 || always(t) {
                let labels = [("interface", c.ifname()), ("type", &t.to_string())];
                e.sample(name, &labels, *n);
            }
        }
    }
}

/// One counter per interface.
fn per_interface(
    e: &mut Exposition,
    name: &str,
    help: &str,
    clients: &[&Client],
    value: fn(&Counters) -> u64,
) {
    e.family(name, Kind::Counter, help);
    for c in clients {
        e.sample(name, &[("interface", c.ifname())], value(&c.counters));
    }
}

fn messages(e: &mut Exposition, clients: &[&Client]) {
    e.family(
        "sent_total",
        Kind::Counter,
        "Messages sent, by interface and type.",
    );
    by_type(
        e,
        "sent_total",
        clients,
        |c| &c.sent_by_type,
        |t| t.is_client_message() && t != MessageType::Dhcpv4Query,
    );
    e.family(
        "received_total",
        Kind::Counter,
        "Datagrams received, accepted or not, by interface and type.",
    );
    by_type(
        e,
        "received_total",
        clients,
        |c| &c.received_by_type,
        |t| {
            matches!(
                t,
                MessageType::Advertise | MessageType::Reply | MessageType::Reconfigure
            )
        },
    );
    per_interface(
        e,
        "retransmissions_total",
        "Transmissions of an exchange after its first.",
        clients,
        |c| c.retransmissions,
    );
    per_interface(
        e,
        "rate_limited_total",
        "Transmissions skipped by the rate limit.",
        clients,
        |c| c.rate_limited,
    );
    per_interface(
        e,
        "accepted_total",
        "Received messages acted on.",
        clients,
        |c| c.accepted,
    );
    e.family(
        "dropped_total",
        Kind::Counter,
        "Received datagrams dropped, by interface and reason.",
    );
    for c in clients {
        for (why, n) in DropReason::ALL.iter().zip(c.counters.dropped.iter()) {
            let labels = [("interface", c.ifname()), ("reason", why.label())];
            e.sample("dropped_total", &labels, *n);
        }
    }
    e.family(
        "reconfigures_total",
        Kind::Counter,
        "Reconfigure messages received, by interface and result.",
    );
    for c in clients {
        let k = &c.counters;
        for (result, n) in [
            ("accepted", k.reconfigures_accepted),
            ("refused", k.reconfigures_refused),
        ] {
            let labels = [("interface", c.ifname()), ("result", result)];
            e.sample("reconfigures_total", &labels, n);
        }
    }
}

/// The bindings whose leases are on the system: none once a Release has
/// started or the client has stopped (the leases were removed then,
/// though the machine remembers them for the Release).
fn held(c: &Client) -> &[Binding] {
    match c.phase() {
        Phase::Release | Phase::Stopped => &[],
        _ => c.bindings(),
    }
}

fn bindings(e: &mut Exposition, clients: &[&Client]) {
    e.family(
        "bindings",
        Kind::Gauge,
        "IAs bound, by interface and IA type (0 once released or stopped).",
    );
    for c in clients {
        for (kind, label) in IAS {
            let n = held(c).iter().filter(|b| b.kind == kind).count();
            let labels = [("interface", c.ifname()), ("ia", label)];
            e.sample("bindings", &labels, n as u64);
        }
    }
    e.family(
        "leases",
        Kind::Gauge,
        "Addresses and prefixes held, by interface and IA type.",
    );
    for c in clients {
        for (kind, label) in IAS {
            let n: usize = held(c)
                .iter()
                .filter(|b| b.kind == kind)
                .map(|b| b.leases.len())
                .sum();
            let labels = [("interface", c.ifname()), ("ia", label)];
            e.sample("leases", &labels, n as u64);
        }
    }
    e.family(
        "phase",
        Kind::Gauge,
        "The state of the interface's client: 1 for the current phase, 0 for the others.",
    );
    for c in clients {
        let now = c.phase();
        for (p, label) in PHASES {
            let labels = [("interface", c.ifname()), ("phase", label)];
            e.sample("phase", &labels, u64::from(p == now));
        }
    }
}

/// DHCPv4-over-DHCPv6 (RFC 7341) on the interfaces configured with
/// `request dhcp4o6-server-address;` (no series for the others).
fn dhcp4o6(e: &mut Exposition, clients: &[&Client]) {
    let v4: Vec<_> = clients
        .iter()
        .filter_map(|c| Some((c.ifname(), c.dhcp4o6()?)))
        .collect();
    if v4.is_empty() {
        return;
    }
    e.family(
        "dhcp4o6_queries_sent_total",
        Kind::Counter,
        "DHCPV4-QUERY messages sent, one per destination.",
    );
    for (ifname, v) in &v4 {
        e.sample(
            "dhcp4o6_queries_sent_total",
            &[("interface", ifname)],
            v.counters.sent,
        );
    }
    e.family(
        "dhcp4o6_responses_accepted_total",
        Kind::Counter,
        "DHCPV4-RESPONSE messages whose DHCPv4 answer the DHCPv4 client acted on.",
    );
    for (ifname, v) in &v4 {
        let n = v.counters.accepted;
        e.sample(
            "dhcp4o6_responses_accepted_total",
            &[("interface", ifname)],
            n,
        );
    }
    e.family(
        "dhcp4o6_responses_dropped_total",
        Kind::Counter,
        "DHCPV4-RESPONSE messages dropped, by interface and reason.",
    );
    for (ifname, v) in &v4 {
        for (why, n) in Drop4o6::ALL.iter().zip(v.counters.dropped.iter()) {
            let labels = [("interface", *ifname), ("reason", why.label())];
            e.sample("dhcp4o6_responses_dropped_total", &labels, *n);
        }
    }
    e.family(
        "dhcp4o6_state",
        Kind::Gauge,
        "The DHCPv4 client's state: 1 for the current one, 0 for the others.",
    );
    for (ifname, v) in &v4 {
        let now = v.state_name();
        for state in STATES4 {
            let label = state.to_ascii_lowercase();
            let labels = [("interface", *ifname), ("state", label.as_str())];
            e.sample("dhcp4o6_state", &labels, u64::from(state == now));
        }
    }
}

/// Everything dhcp6c shows for `clients` (one per interface) and
/// `turns`, the duration of the main loop's turns.
pub fn exposition(clients: &[&Client], turns: &Histogram) -> String {
    let mut e = Exposition::new("kame6_dhcp6c_");
    messages(&mut e, clients);
    bindings(&mut e, clients);
    dhcp4o6(&mut e, clients);
    e.family(
        "loop_turn_duration_seconds",
        Kind::Histogram,
        "Work of each main loop turn (from the wake-up to the next wait).",
    );
    e.histogram("loop_turn_duration_seconds", &[], turns);
    e.finish()
}
