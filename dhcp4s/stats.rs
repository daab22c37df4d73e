//! dhcp4s's statistics in Prometheus's text format, for the statistics
//! file (`--stats-file`, `--stats-interval`; doc/statistics.md lists
//! every metric): DHCPv4 messages received and sent by type, IPC
//! datagrams dropped by reason, per subnet its dynamic addresses, those
//! leased and those quarantined after a DHCPDECLINE, the lease journal's
//! commits and the main loop's turns. Kept apart from the loop: the loop
//! only calls [`Stats4::journal_commit`], [`Stats4::turn`] and
//! [`Stats4::write`].

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use clap::ArgMatches;
use libdhcp6::dhcp4::engine::Subnet4;
use libdhcp6::dhcp4::MessageType;
use libdhcp6::stats::{CommitStats, Exposition, Histogram, Kind};
use libdhcp6::sys::stats::StatsFile;

use crate::server::{Dropped, Server4};

/// The statistics file and what only the loop sees: commit and turn times.
#[derive(Debug)]
pub struct Stats4 {
    /// `--stats-file`; `None` without it (nothing is written).
    pub file: Option<StatsFile>,
    /// The lease journal's commits (none with `--memory-leases`).
    pub journal: CommitStats,
    /// Work of each main loop turn.
    pub turns: Histogram,
}

impl Stats4 {
    /// From the command line (`--stats-file`, `--stats-interval`).
    pub fn from_args(m: &ArgMatches) -> Result<Self, String> {
        Ok(Self {
            file: StatsFile::from_args(m)?,
            journal: CommitStats::default(),
            turns: Histogram::durations(),
        })
    }

    /// A journal commit of `bytes` octets that took `took`; `ok` false when
    /// it failed (the turn's answers withheld).
    pub fn journal_commit(&mut self, took: Duration, ok: bool, bytes: u64) {
        if ok {
            self.journal.commits += 1;
            self.journal.bytes += bytes;
            self.journal.latency.observe_duration(took);
        } else {
            self.journal.failures += 1;
        }
    }

    /// A main loop turn's work.
    pub fn turn(&mut self, took: Duration) {
        self.turns.observe_duration(took);
    }

    /// True when the file is due at `now` (never without `--stats-file`).
    pub fn due(&self, now: Instant) -> bool {
        self.file.as_ref().is_some_and(|f| f.due(now))
    }

    /// How long the loop may sleep before the file is due.
    pub fn until_due(&self, now: Instant) -> Option<Duration> {
        self.file.as_ref().map(|f| f.until_due(now))
    }

    /// Writes the file, when there is one; `journal` tells whether leases
    /// go to a journal (no journal families with `--memory-leases`).
    pub fn write(&mut self, now: Instant, server: &Server4, journal: bool) {
        if self.file.is_none() {
            return;
        }
        let text = exposition(server, self, journal);
        if let Some(f) = &mut self.file {
            f.write(now, &text);
        }
    }
}

/// The `reason` label of a drop: its log name in lower case, words joined
/// by `_` ("bad IPC metadata" → `bad_ipc_metadata`).
pub fn reason_label(why: Dropped) -> String {
    let mut out = String::new();
    for word in why
        .name()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

/// The `type` label of a DHCPv4 message type: RFC 2132's name in lower
/// case (`dhcpdiscover`).
fn type_label(t: MessageType) -> String {
    t.to_string().to_ascii_lowercase()
}

/// Messages by type and drops by reason.
fn messages(e: &mut Exposition, s: &Server4) {
    let c = &s.counters;
    for (name, list, help) in [
        (
            "received_total",
            &c.received,
            "DHCPv4 messages received in DHCPV4-QUERY, by type.",
        ),
        (
            "sent_total",
            &c.sent,
            "DHCPv4 answers sent in DHCPV4-RESPONSE, by type (counted when built).",
        ),
    ] {
        e.family(name, Kind::Counter, help);
        for (t, n) in list.iter().enumerate().skip(1) {
            let t = MessageType::from(u8::try_from(t).unwrap_or(0));
            let always = matches!(
                t,
                MessageType::Discover
                    | MessageType::Offer
                    | MessageType::Request
                    | MessageType::Ack
                    | MessageType::Nak
                    | MessageType::Decline
                    | MessageType::Release
                    | MessageType::Inform
            );
            if *n > 0 || always {
                e.sample(name, &[("type", &type_label(t))], *n);
            }
        }
    }
    e.family(
        "dropped_total",
        Kind::Counter,
        "IPC datagrams that got no answer, by reason.",
    );
    for why in Dropped::ALL {
        e.sample(
            "dropped_total",
            &[("reason", &reason_label(why))],
            c.dropped(why),
        );
    }
}

/// Dynamic addresses in a subnet's ranges.
fn range_size(sub: &Subnet4) -> u64 {
    sub.ranges
        .iter()
        .map(|r| u64::from(u32::from(r.last).saturating_sub(u32::from(r.first))) + 1)
        .sum()
}

/// Per subnet: size, leased, quarantined.
fn subnets(e: &mut Exposition, s: &Server4) {
    let subs = &s.engine.config().subnets;
    let leases = s.engine.leases();
    let quarantined: Vec<Ipv4Addr> = s.engine.quarantines().into_iter().map(|q| q.0).collect();
    let label = |sub: &Subnet4| format!("{}/{}", sub.network, sub.prefix_len);
    type Value = fn(&Subnet4, &[libdhcp6::dhcp4::engine::Lease4], &[Ipv4Addr]) -> u64;
    let families: [(&str, &str, Value); 3] = [
        (
            "subnet_size",
            "Addresses in the subnet's ranges.",
            |sub, _, _| range_size(sub),
        ),
        (
            "subnet_assigned",
            "Addresses of the subnet leased to clients (fixed addresses included).",
            |sub, leases, _| leases.iter().filter(|l| l.subnet == sub.id).count() as u64,
        ),
        (
            "subnet_declined",
            "Addresses of the subnet quarantined after a DHCPDECLINE.",
            |sub, _, q| q.iter().filter(|a| sub.contains(**a)).count() as u64,
        ),
    ];
    for (name, help, value) in families {
        e.family(name, Kind::Gauge, help);
        for sub in subs {
            let id = sub.id.to_string();
            let labels = [("subnet", label(sub)), ("id", id)];
            let labels = [
                ("subnet", labels[0].1.as_str()),
                ("id", labels[1].1.as_str()),
            ];
            e.sample(name, &labels, value(sub, &leases, &quarantined));
        }
    }
}

/// Everything dhcp4s shows: `journal` false with `--memory-leases`.
pub fn exposition(s: &Server4, st: &Stats4, journal: bool) -> String {
    let mut e = Exposition::new("kame6_dhcp4s_");
    messages(&mut e, s);
    subnets(&mut e, s);
    if journal {
        e.journal(&st.journal);
    }
    e.family(
        "loop_turn_duration_seconds",
        Kind::Histogram,
        "Work of each main loop turn (from the wake-up to the next wait).",
    );
    e.histogram("loop_turn_duration_seconds", &[], &st.turns);
    e.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is a failure report

    use libdhcp6::config::server4_from_str;
    use libdhcp6::dhcp4::engine::{Change4, ClientKey, Lease4};

    use super::*;

    const NOW: u64 = 1_000_000;

    /// Two subnets; two leases and one quarantine in the first, counters
    /// set by hand: every family shows exactly those numbers.
    #[test]
    fn numbers_of_a_known_server() {
        let conf = "dhcp4o6-port 6767;\nserver-identifier 10.0.0.1;\n\
            subnet 10.0.0.0/24 { 4o6-interface eth0; range 10.0.0.10 to 10.0.0.19; range 10.0.0.30 to 10.0.0.31; };\n\
            subnet 10.0.1.0/24 { 4o6-interface-id \"olt1\"; range 10.0.1.10 to 10.0.1.20; };\n";
        let mut s = Server4::new(server4_from_str("t.conf", conf).unwrap().config).unwrap();
        for (n, last) in [(1u8, 10u8), (2, 11)] {
            let lease = Lease4 {
                client: ClientKey::Id(vec![1, 2, 0, 0, 0, 0, n]),
                addr: Ipv4Addr::new(10, 0, 0, last),
                subnet: 1,
                expires: NOW + 600,
            };
            s.engine.replay(&Change4::Bind(lease), NOW);
        }
        let decline = Change4::Decline {
            client: ClientKey::Id(vec![1, 2, 0, 0, 0, 0, 3]),
            addr: Ipv4Addr::new(10, 0, 0, 12),
            until: NOW + 86_400,
        };
        s.engine.replay(&decline, NOW);
        s.counters.received[1] = 3;
        s.counters.sent[2] = 2;
        s.counters.drop(Dropped::BadMetadata);
        let mut st = Stats4 {
            file: None,
            journal: CommitStats::default(),
            turns: Histogram::durations(),
        };
        st.journal_commit(Duration::from_millis(2), true, 64);
        st.journal_commit(Duration::from_millis(1), false, 0);
        st.turn(Duration::from_micros(50));
        let text = exposition(&s, &st, true);
        for line in [
            "kame6_dhcp4s_received_total{type=\"dhcpdiscover\"} 3",
            "kame6_dhcp4s_received_total{type=\"dhcprequest\"} 0",
            "kame6_dhcp4s_sent_total{type=\"dhcpoffer\"} 2",
            "kame6_dhcp4s_dropped_total{reason=\"bad_ipc_metadata\"} 1",
            "kame6_dhcp4s_dropped_total{reason=\"ipc_datagram_not_from_the_dhcpv6_server\"} 0",
            "kame6_dhcp4s_subnet_size{subnet=\"10.0.0.0/24\",id=\"1\"} 12",
            "kame6_dhcp4s_subnet_size{subnet=\"10.0.1.0/24\",id=\"2\"} 11",
            "kame6_dhcp4s_subnet_assigned{subnet=\"10.0.0.0/24\",id=\"1\"} 2",
            "kame6_dhcp4s_subnet_assigned{subnet=\"10.0.1.0/24\",id=\"2\"} 0",
            "kame6_dhcp4s_subnet_declined{subnet=\"10.0.0.0/24\",id=\"1\"} 1",
            "kame6_dhcp4s_subnet_declined{subnet=\"10.0.1.0/24\",id=\"2\"} 0",
            "kame6_dhcp4s_journal_commits_total 1",
            "kame6_dhcp4s_journal_commit_failures_total 1",
            "kame6_dhcp4s_journal_written_bytes_total 64",
            "kame6_dhcp4s_journal_commit_duration_seconds_count 1",
            "kame6_dhcp4s_loop_turn_duration_seconds_count 1",
        ] {
            assert!(text.contains(&format!("{line}\n")), "{line} in\n{text}");
        }
        // Unused types are left out; no journal with --memory-leases.
        assert!(!text.contains("dhcptls"));
        assert!(!exposition(&s, &st, false).contains("journal"));
    }

    /// Every reason has its own label.
    #[test]
    fn reason_labels_distinct() {
        let mut all: Vec<String> = Dropped::ALL.iter().map(|d| reason_label(*d)).collect();
        assert!(all.iter().all(|l| !l.is_empty()));
        all.sort();
        all.dedup();
        assert_eq!(all.len(), Dropped::ALL.len());
    }
}
