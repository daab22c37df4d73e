//! The statistics files (doc/statistics.md) after known exchanges: dhcp6s
//! behind our dhcp6relay with a pool of two addresses that three scripted
//! clients exhaust, and our dhcp6c leasing through the same chain. The
//! files are read with a strict reader of Prometheus's text format
//! (tests/common/prom.rs) and their numbers checked exactly.

// Network namespaces: these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::peers::{counters, wait_address, Scratch};
use common::prom::{parse, Exposition};
use common::{lease_one, relayed, wait_until, Daemon, Netns, Relayed};
use libdhcp6::Duid;

/// Two addresses for the relayed link, one /56 per client.
const CONF: &str = "\
pool p { range 2001:db8:1::10 to 2001:db8:1::11; };
prefix-pool pd { prefix 2001:db8:100::/48 delegate 56; };
link access { link-address 2001:db8:1::/64; address-pool p 3000 4000; prefix-pool pd 3000 4000; };
";

/// The statistics file at `path`, read strictly; panics with the text on
/// a format error.
fn read(path: &str) -> Exposition {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    parse(&text).unwrap_or_else(|e| panic!("{path}: {e}\n{text}"))
}

/// Waits until the statistics file at `path` satisfies `cond`.
fn wait_stats(path: &str, what: &str, cond: impl Fn(&Exposition) -> bool) -> Exposition {
    let ok = wait_until(Duration::from_secs(20), || {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        parse(&text).is_ok_and(|e| cond(&e))
    });
    let e = read(path);
    assert!(ok, "{path}: never {what}:\n{:#?}", e.samples);
    e
}

/// The value of `series` if present.
fn maybe(e: &Exposition, series: &str) -> Option<f64> {
    e.samples.get(series).copied()
}

/// Our dhcp6s on s0 with `CONF`, its lease journal in the scratch
/// directory, statistics in `stats.prom` (written on SIGUSR1 only: the
/// interval is long).
fn server(ns: &Netns, s: &Scratch) -> Daemon {
    let conf = s.write("dhcp6s.conf", CONF);
    let (pid, duid, stats) = (
        s.path("dhcp6s.pid"),
        s.path("dhcp6s_duid"),
        s.path("dhcp6s.prom"),
    );
    let args = [
        "-f",
        "-d",
        "-k",
        "/dev/null",
        "-c",
        &conf,
        "-P",
        &pid,
        "--duid-file",
        &duid,
        "--stats-file",
        &stats,
        "--stats-interval",
        "3600",
        "s0",
    ];
    let d = ns.spawn(env!("CARGO_BIN_EXE_dhcp6s"), &args);
    d.wait_log("server6_init: serving", Duration::from_secs(10));
    d
}

/// Our dhcp6relay for r0 toward the server, statistics every second,
/// logging errors only (no `-d`): it is ready when its first statistics
/// file is there, written when its loop starts.
fn relay(ns: &Netns, s: &Scratch) -> Daemon {
    let (pid, stats) = (s.path("relay.pid"), s.path("dhcp6relay.prom"));
    let args = [
        "-f",
        "-p",
        &pid,
        "-r",
        "r1",
        "-s",
        "2001:db8:ff::2",
        "--stats-file",
        &stats,
        "--stats-interval",
        "1",
        "r0",
    ];
    let d = ns.spawn(env!("CARGO_BIN_EXE_dhcp6relay"), &args);
    wait_stats(&stats, "written at start", |e| {
        maybe(e, "kame6_dhcp6relay_relay_forward_total") == Some(0.0)
    });
    d
}

fn client_duid(n: u8) -> Duid {
    Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0x5a, n]).unwrap()
}

/// The relay's file after [`server_and_relay_count_a_known_exchange`]'s
/// three exchanges: refreshed every second without a signal, six messages
/// each way; and its SIGUSR1 log although it runs without `-d`.
fn relay_counted_six_each_way(s: &Scratch, rly: &Daemon) {
    // The relay's file, refreshed every second without a signal.
    let e = wait_stats(&s.path("dhcp6relay.prom"), "six to the client", |e| {
        maybe(
            e,
            "kame6_dhcp6relay_relayed_total{interface=\"r0\",direction=\"to_client\"}",
        ) == Some(6.0)
    });
    let want = [
        (
            "kame6_dhcp6relay_relayed_total{interface=\"r0\",direction=\"to_server\"}",
            6.0,
        ),
        ("kame6_dhcp6relay_relay_forward_total", 6.0),
        ("kame6_dhcp6relay_relay_reply_total", 6.0),
        (
            "kame6_dhcp6relay_dropped_total{reason=\"unknown_server\"}",
            0.0,
        ),
        ("kame6_dhcp6relay_dropped_total{reason=\"malformed\"}", 0.0),
    ];
    for (series, v) in want {
        assert_eq!(e.get(series), v, "{series}");
    }
    assert!(e.get("kame6_dhcp6relay_loop_turn_duration_seconds_count") >= 1.0);
    // SIGUSR1 logs the counters although the relay runs without -d.
    let log = counters(rly, "dropped (too big to relay)");
    assert!(
        log.contains("relay6_loop: r0: to server 6, to client 6"),
        "{log}"
    );
}

/// Three scripted clients against a pool of two, through the relay: two
/// addresses assigned, three Solicits, the third client's Advertise and
/// Reply both NoAddrsAvail; the relay forwarded six messages each way.
#[test]
fn server_and_relay_count_a_known_exchange() {
    let Relayed {
        client,
        relay: rns,
        server: sns,
    } = relayed();
    let s = Scratch::new(&format!("{}-files", sns.name));
    let srv = server(&sns, &s);
    let rly = relay(&rns, &s);
    let logs = || format!("{}\n-----\n{}", srv.log(), rly.log());
    assert!(
        lease_one(&client, "c0", client_duid(1), 1).is_some(),
        "{}",
        logs()
    );
    assert!(
        lease_one(&client, "c0", client_duid(2), 2).is_some(),
        "{}",
        logs()
    );
    assert_eq!(
        lease_one(&client, "c0", client_duid(3), 3),
        None,
        "{}",
        logs()
    );

    // SIGUSR1: the counters in the log, and the file.
    let log = counters(&srv, "bindings:");
    assert!(
        log.contains("server6_mainloop: solicit: received 3, sent 0"),
        "{log}"
    );
    assert!(
        log.contains("server6_mainloop: address pool p: size 2, free 0"),
        "{log}"
    );
    let e = read(&s.path("dhcp6s.prom"));
    let want = [
        ("kame6_dhcp6s_received_total{type=\"solicit\"}", 3.0),
        ("kame6_dhcp6s_received_total{type=\"request\"}", 3.0),
        ("kame6_dhcp6s_received_total{type=\"renew\"}", 0.0),
        ("kame6_dhcp6s_sent_total{type=\"advertise\"}", 3.0),
        ("kame6_dhcp6s_sent_total{type=\"reply\"}", 3.0),
        ("kame6_dhcp6s_dropped_total{reason=\"malformed\"}", 0.0),
        ("kame6_dhcp6s_link_received_total{link=\"access\",scope=\"link\",type=\"solicit\"}", 3.0),
        (
            "kame6_dhcp6s_link_allocation_failures_total{link=\"access\",scope=\"link\",status=\"NoAddrsAvail\"}",
            2.0,
        ),
        (
            "kame6_dhcp6s_link_allocation_failures_total{link=\"access\",scope=\"link\",status=\"NoPrefixAvail\"}",
            0.0,
        ),
        (
            "kame6_dhcp6s_link_pool_info{link=\"access\",scope=\"link\",ia=\"na\",pool=\"p\"}",
            1.0,
        ),
        ("kame6_dhcp6s_pool_size{pool=\"p\",kind=\"address\"}", 2.0),
        ("kame6_dhcp6s_pool_assigned{pool=\"p\",kind=\"address\"}", 2.0),
        ("kame6_dhcp6s_pool_quarantined{pool=\"p\",kind=\"address\"}", 0.0),
        ("kame6_dhcp6s_pool_allocation_failures_total{pool=\"p\",kind=\"address\"}", 2.0),
        ("kame6_dhcp6s_pool_size{pool=\"pd\",kind=\"prefix\"}", 256.0),
        ("kame6_dhcp6s_pool_assigned{pool=\"pd\",kind=\"prefix\"}", 0.0),
        // Two Requests bound something; the third bound nothing to write.
        ("kame6_dhcp6s_journal_commits_total", 2.0),
        ("kame6_dhcp6s_journal_commit_failures_total", 0.0),
        ("kame6_dhcp6s_journal_commit_duration_seconds_count", 2.0),
    ];
    for (series, v) in want {
        assert_eq!(e.get(series), v, "{series}");
    }
    assert_eq!(
        e.types["kame6_dhcp6s_loop_turn_duration_seconds"],
        "histogram"
    );
    assert!(e.get("kame6_dhcp6s_loop_turn_duration_seconds_count") >= 6.0);
    let mode = std::fs::metadata(s.path("dhcp6s.prom"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644, "node_exporter must read it");

    relay_counted_six_each_way(&s, &rly);
    // Only the statistics files themselves: no temporary file left.
    let left: Vec<String> = std::fs::read_dir(&s.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".prom."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Our dhcp6c through the relay: its file shows the IA_NA and IA_PD bound,
/// the Request it sent as the server's file counts it, no Reconfigure;
/// after SIGTERM, the Release and the stopped machine.
#[test]
fn client_counts_its_exchange() {
    let Relayed {
        client,
        relay: rns,
        server: sns,
    } = relayed();
    let s = Scratch::new(&format!("{}-files", sns.name));
    let srv = server(&sns, &s);
    let _rly = relay(&rns, &s);
    let conf = s.write(
        "dhcp6c.conf",
        "interface c0 { send ia-na 1; send ia-pd 1; };\nid-assoc na 1 { };\nid-assoc pd 1 { };\n",
    );
    let (pid, duid, stats) = (
        s.path("dhcp6c.pid"),
        s.path("dhcp6c_duid"),
        s.path("dhcp6c.prom"),
    );
    let args = [
        "-f",
        "-c",
        &conf,
        "-p",
        &pid,
        "--duid-file",
        &duid,
        "--stats-file",
        &stats,
        "--stats-interval",
        "1",
        "c0",
    ];
    let mut cli = client.spawn(env!("CARGO_BIN_EXE_dhcp6c"), &args);
    assert!(
        wait_address(&client, "c0", "2001:db8:1::1", Duration::from_secs(30)).is_some(),
        "no address:\n{}\n-----\n{}",
        cli.log(),
        srv.log()
    );
    let bound = "kame6_dhcp6c_phase{interface=\"c0\",phase=\"bound\"}";
    let e = wait_stats(&stats, "bound", |e| maybe(e, bound) == Some(1.0));
    let want = [
        ("kame6_dhcp6c_bindings{interface=\"c0\",ia=\"na\"}", 1.0),
        ("kame6_dhcp6c_bindings{interface=\"c0\",ia=\"pd\"}", 1.0),
        ("kame6_dhcp6c_leases{interface=\"c0\",ia=\"na\"}", 1.0),
        ("kame6_dhcp6c_leases{interface=\"c0\",ia=\"pd\"}", 1.0),
        (
            "kame6_dhcp6c_phase{interface=\"c0\",phase=\"solicit\"}",
            0.0,
        ),
        (
            "kame6_dhcp6c_reconfigures_total{interface=\"c0\",result=\"refused\"}",
            0.0,
        ),
        (
            "kame6_dhcp6c_dropped_total{interface=\"c0\",reason=\"malformed\"}",
            0.0,
        ),
    ];
    for (series, v) in want {
        assert_eq!(e.get(series), v, "{series}");
    }
    let requests = e.get("kame6_dhcp6c_sent_total{interface=\"c0\",type=\"request\"}");
    assert!(requests >= 1.0);
    assert!(e.get("kame6_dhcp6c_sent_total{interface=\"c0\",type=\"solicit\"}") >= 1.0);
    assert_eq!(
        e.get("kame6_dhcp6c_received_total{interface=\"c0\",type=\"reply\"}"),
        requests,
        "one Reply per Request"
    );
    // The server counted the same Requests.
    counters(&srv, "bindings:");
    let se = read(&s.path("dhcp6s.prom"));
    assert_eq!(
        se.get("kame6_dhcp6s_received_total{type=\"request\"}"),
        requests
    );
    assert_eq!(
        se.get("kame6_dhcp6s_pool_assigned{pool=\"p\",kind=\"address\"}"),
        1.0
    );
    assert_eq!(
        se.get("kame6_dhcp6s_pool_assigned{pool=\"pd\",kind=\"prefix\"}"),
        1.0
    );

    // SIGTERM: Release, then the last statistics at exit.
    cli.signal("TERM");
    assert_eq!(
        cli.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        cli.log()
    );
    let e = read(&stats);
    assert_eq!(
        e.get("kame6_dhcp6c_sent_total{interface=\"c0\",type=\"release\"}"),
        1.0
    );
    assert_eq!(
        e.get("kame6_dhcp6c_phase{interface=\"c0\",phase=\"stopped\"}"),
        1.0
    );
    assert_eq!(
        e.get("kame6_dhcp6c_bindings{interface=\"c0\",ia=\"na\"}"),
        0.0
    );
}

mod prom_reader {
    use super::common::prom::parse;

    const GOOD: &str = "\
# HELP k_x_total A counter.
# TYPE k_x_total counter
k_x_total{a=\"q\\\"\\\\\\n\"} 3
# TYPE k_h histogram
k_h_bucket{le=\"0.5\"} 1
k_h_bucket{le=\"+Inf\"} 2
k_h_sum 1.25
k_h_count 2
";

    #[test]
    fn reads_what_is_right() {
        let e = parse(GOOD).unwrap();
        assert_eq!(e.get("k_x_total{a=\"q\"\\\n\"}"), 3.0);
        assert_eq!(e.get("k_h_count"), 2.0);
    }

    #[test]
    fn refuses_what_is_wrong() {
        let bad = [
            ("k_y 1\n", "before TYPE"),
            ("# TYPE k_y gauge\nk_y 1", "no final line feed"),
            ("# TYPE k_y gauge\nk_y{a=\"1\",a=\"2\"} 1\n", "label twice"),
            ("# TYPE k_y gauge\nk_y{a=\"\\t\"} 1\n", "bad escape"),
            ("# TYPE k_y gauge\nk_y{a=1} 1\n", "unquoted"),
            ("# TYPE k_y gauge\nk_y 1\nk_y 2\n", "repeated series"),
            ("# TYPE k_y counter\nk_y 1\n", "counter without _total"),
            ("# TYPE k_y gauge\nk_y one\n", "bad value"),
            (
                "# TYPE k_y gauge\nk_y 1\n# TYPE k_z gauge\nk_y 2\n",
                "split family",
            ),
            (
                "# TYPE k_h histogram\nk_h_bucket{le=\"1\"} 2\nk_h_bucket{le=\"+Inf\"} 1\nk_h_sum 1\nk_h_count 1\n",
                "not cumulative",
            ),
            (
                "# TYPE k_h histogram\nk_h_bucket{le=\"1\"} 1\nk_h_sum 1\nk_h_count 1\n",
                "no +Inf",
            ),
            (
                "# TYPE k_h histogram\nk_h_bucket{le=\"+Inf\"} 2\nk_h_sum 1\nk_h_count 1\n",
                "+Inf != count",
            ),
            (
                "# TYPE k_h histogram\nk_h_bucket{le=\"+Inf\"} 1\nk_h_count 1\n",
                "no sum",
            ),
        ];
        for (text, why) in bad {
            assert!(parse(text).is_err(), "{why}: accepted {text:?}");
        }
    }
}
