//! dhcp6relay's statistics in Prometheus's text format, for the
//! statistics file (doc/statistics.md lists every metric).

use libdhcp6::stats::{Exposition, Histogram, Kind};

use crate::core::{DropReason, Relay};

/// Everything dhcp6relay shows: messages relayed per client interface
/// and direction, drops by reason, and `turns`, the duration of the main
/// loop's turns.
pub fn exposition(relay: &Relay, turns: &Histogram) -> String {
    let c = &relay.counters;
    let mut e = Exposition::new("kame6_dhcp6relay_");
    e.family(
        "relayed_total",
        Kind::Counter,
        "Messages relayed, by client interface and direction: to_server counts Relay-forwards built from the interface's clients (once whatever the number of servers), to_client the messages of Relay-replies delivered on it.",
    );
    for i in &c.interfaces {
        for (direction, n) in [("to_server", i.to_server), ("to_client", i.to_client)] {
            e.sample(
                "relayed_total",
                &[("interface", &i.name), ("direction", direction)],
                n,
            );
        }
    }
    e.single(
        "relay_forward_total",
        Kind::Counter,
        "Relay-forward messages built (all interfaces).",
        c.forwarded,
    );
    e.single(
        "relay_reply_total",
        Kind::Counter,
        "Messages of Relay-replies delivered downstream (all interfaces).",
        c.delivered,
    );
    e.family(
        "dropped_total",
        Kind::Counter,
        "Datagrams not relayed, by reason.",
    );
    for why in DropReason::ALL {
        e.sample("dropped_total", &[("reason", why.label())], c.dropped(why));
    }
    e.family(
        "loop_turn_duration_seconds",
        Kind::Histogram,
        "Work of each main loop turn (from the wake-up to the next wait).",
    );
    e.histogram("loop_turn_duration_seconds", &[], turns);
    e.finish()
}
