//! dhcp6relay: the kame6 DHCPv6 relay agent.
//!
//! WIDE-DHCPv6's command line (doc/wide-compat.md §1.4) and loop:
//! `relay6_init` → `relay6_loop` → `relay6_recv` → `relay_to_server` /
//! `relay_to_client`. One thread, one poll loop; the decisions live in
//! `core.rs` and are tested without sockets.

mod core;
mod script;
mod stats;

use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Arg, ArgAction, ArgMatches, Command};
use libdhcp6::codes::MessageType;
use libdhcp6::overload::{Overload, ShedReason, Verdict, ADMISSION_INTERVAL};
use libdhcp6::stats::Histogram;
use libdhcp6::sys::admission::admission_interval;
use libdhcp6::sys::batch::{RecvBatch, SendBatch};
use libdhcp6::sys::net::{
    if_indextoname, if_nametoindex, interface_addresses, wait_readable, Udp6Socket,
};
use libdhcp6::sys::shell::Program;
use libdhcp6::sys::signal::{self, Caught};
use libdhcp6::sys::stats::StatsFile;
use libdhcp6::timing::RELAY_MULTICAST_HOP_LIMIT;
use libdhcp6::wire::{ALL_DHCP_RELAY_AGENTS_AND_SERVERS, ALL_DHCP_SERVERS, SERVER_PORT};
use libdhcp6::{log_debug, log_err, log_info, log_notice, log_report};

use crate::core::{
    pick_link_address, ClientIf, DropReason, InterfaceIdFormat, Origin, Relay, RemoteId,
};
use crate::script::{script_env, ScriptRunner};

/// The default PID file (WIDE's `RUNDIR/dhcp6relay.pid`, chosen at build time).
const DEFAULT_PIDFILE: &str = libdhcp6::paths::RELAY_PIDFILE;
/// Largest datagram relayed: far above any real DHCPv6 message (jumbo
/// frames are 9000 octets); a longer one arrives truncated and is dropped.
const RX_LEN: usize = 16384;
/// Room for a Relay-forward around the largest datagram.
const TX_LEN: usize = RX_LEN + 1024;
/// Datagrams moved per system call (recvmmsg / sendmmsg).
const BATCH: usize = 64;
/// Batches handled per readable socket before polling again, so one busy
/// side cannot starve the other.
const BATCHES_PER_TURN: usize = 8;
/// How often interface addresses are re-read (link-addresses come and go with DAD).
const REFRESH: Duration = Duration::from_secs(30);

/// dhcp6relay as the daemon shell sees it: WIDE's `-d -D -f -p pidfile`;
/// no configuration file, no control channel, no DUID.
const DHCP6RELAY: Program = Program {
    name: "dhcp6relay",
    about: "DHCPv6 relay agent (kame6)",
    version: env!("CARGO_PKG_VERSION"),
    init: "relay6_init",
    pidfile_flag: 'p',
    pidfile: DEFAULT_PIDFILE,
    config: None,
    ctl_key: None,
    duid_file: None,
    more_defaults: &[],
};

/// The shared flags and dhcp6relay's own.
fn cli() -> Command {
    DHCP6RELAY
        .command()
        .arg(Arg::new("boundaddr").short('b').value_name("boundaddr").help("source address of Relay-forward messages"))
        .arg(Arg::new("hoplimit").short('H').value_name("hoplim").help("IPv6 hop limit towards a multicast server address (default 8)"))
        .arg(Arg::new("relayif").short('r').value_name("relay-IF").help("upstream interface for multicast server addresses"))
        .arg(Arg::new("server").short('s').value_name("serveraddr").action(ArgAction::Append).help("server address, unicast or multicast; may be repeated (default ff05::1:3)"))
        .arg(Arg::new("server4o6").short('4').value_name("serveraddr").action(ArgAction::Append).help("server address for DHCPV4-QUERY (RFC 7341); may be repeated (default: as -s)"))
        .arg(Arg::new("script").short('S').value_name("script").help("script run after relaying a Reply"))
        .arg(Arg::new("remote-id").long("remote-id").value_name("IF=ENTERPRISE:ID").action(ArgAction::Append).help("insert Remote-ID (RFC 4649) for clients on IF; ID is text or 0x-hex"))
        .arg(Arg::new("subscriber-id").long("subscriber-id").value_name("IF=ID").action(ArgAction::Append).help("insert Subscriber-ID (RFC 4580) for clients on IF"))
        .arg(Arg::new("client-linklayer-addr").long("client-linklayer-addr").action(ArgAction::SetTrue).help("insert Client Link-Layer Address (RFC 6939) from the client's EUI-64 link-local address"))
        .arg(Arg::new("relay-port").long("relay-port").value_name("PORT").help("send upstream from this UDP port and add Relay Source Port (RFC 8357)"))
        .arg(Arg::new("interface-id").long("interface-id").value_name("ifindex|name").help("Interface-ID format: WIDE's 4-octet ifindex (default) or the interface name"))
        .args(libdhcp6::sys::stats::args())
        .arg(Arg::new("interface").required(true).num_args(1..).help("client-facing interfaces"))
}

/// Parsed command line.
#[derive(Debug)]
struct Opts {
    bound: Ipv6Addr,
    hop_limit: u32,
    relay_if: Option<String>,
    servers: Vec<Ipv6Addr>,
    /// `-4`: where DHCPV4-QUERY goes instead; empty: to `servers`.
    servers_4o6: Vec<Ipv6Addr>,
    script: Option<PathBuf>,
    remote_ids: Vec<(String, RemoteId)>,
    subscriber_ids: Vec<(String, Vec<u8>)>,
    client_linklayer: bool,
    relay_port: u16,
    idfmt: InterfaceIdFormat,
    interfaces: Vec<String>,
}

fn parse_id(text: &str) -> Result<Vec<u8>, String> {
    match text.strip_prefix("0x") {
        Some(hex) if hex.len() % 2 == 0 && !hex.is_empty() => (0..hex.len())
            .step_by(2)
            .map(|i| {
                hex.get(i..i + 2)
                    .and_then(|p| u8::from_str_radix(p, 16).ok())
                    .ok_or_else(|| format!("bad hex in {text}"))
            })
            .collect(),
        Some(_) => Err(format!("bad hex in {text}")),
        None if text.is_empty() => Err("empty id".into()),
        None => Ok(text.as_bytes().to_vec()),
    }
}

fn parse_opts(m: &ArgMatches) -> Result<Opts, String> {
    let get = |k: &str| m.get_one::<String>(k).cloned();
    let many = |k: &str| -> Vec<String> {
        m.get_many::<String>(k)
            .map(|v| v.cloned().collect())
            .unwrap_or_default()
    };
    let bound = match get("boundaddr") {
        Some(a) => a
            .parse()
            .map_err(|_| format!("-b {a}: not an IPv6 address"))?,
        None => Ipv6Addr::UNSPECIFIED,
    };
    let hop_limit = match get("hoplimit") {
        Some(h) => match h.parse::<u32>() {
            Ok(v @ 1..=255) => v,
            _ => return Err(format!("-H {h}: hop limit must be 1 to 255")),
        },
        None => RELAY_MULTICAST_HOP_LIMIT,
    };
    let addresses = |flag: char, id: &str| -> Result<Vec<Ipv6Addr>, String> {
        many(id)
            .iter()
            .map(|s| {
                s.parse::<Ipv6Addr>()
                    .map_err(|_| format!("-{flag} {s}: not an IPv6 address"))
            })
            .collect()
    };
    let mut servers = addresses('s', "server")?;
    let servers_4o6 = addresses('4', "server4o6")?;
    if servers.is_empty() {
        // C-095: ff05::1:3 when nothing is configured.
        servers.push(ALL_DHCP_SERVERS);
    }
    let mut remote_ids = Vec::new();
    for r in many("remote-id") {
        let (ifname, rest) = r
            .split_once('=')
            .ok_or(format!("--remote-id {r}: expected IF=ENTERPRISE:ID"))?;
        let (ent, id) = rest
            .split_once(':')
            .ok_or(format!("--remote-id {r}: expected IF=ENTERPRISE:ID"))?;
        let ent: u32 = ent
            .parse()
            .map_err(|_| format!("--remote-id {r}: bad enterprise number"))?;
        let remote_id = RemoteId {
            enterprise: ent,
            id: parse_id(id)?,
        };
        remote_ids.push((ifname.to_string(), remote_id));
    }
    let mut subscriber_ids = Vec::new();
    for s in many("subscriber-id") {
        let (ifname, id) = s
            .split_once('=')
            .ok_or(format!("--subscriber-id {s}: expected IF=ID"))?;
        subscriber_ids.push((ifname.to_string(), parse_id(id)?));
    }
    let relay_port = match get("relay-port") {
        Some(p) => p
            .parse()
            .ok()
            .filter(|&p: &u16| p != 0)
            .ok_or(format!("--relay-port {p}: bad port"))?,
        None => SERVER_PORT,
    };
    let idfmt = match get("interface-id").as_deref() {
        None | Some("ifindex") => InterfaceIdFormat::Ifindex,
        Some("name") => InterfaceIdFormat::Name,
        Some(other) => return Err(format!("--interface-id {other}: expected ifindex or name")),
    };
    let interfaces = many("interface");
    let mut seen = std::collections::HashSet::new();
    for i in &interfaces {
        if !seen.insert(i) {
            return Err(format!("interface {i} given twice"));
        }
    }
    Ok(Opts {
        bound,
        hop_limit,
        relay_if: get("relayif"),
        servers,
        servers_4o6,
        script: get("script").map(PathBuf::from),
        remote_ids,
        subscriber_ids,
        client_linklayer: m.get_flag("client-linklayer-addr"),
        relay_port,
        idfmt,
        interfaces,
    })
}

/// The running relay.
struct State {
    opts: Opts,
    relay: Relay,
    /// Client side: port 547, joined to ff02::1:2 on every client interface.
    csock: Udp6Socket,
    /// Upstream side when it uses its own port (RFC 8357); else `csock`.
    ssock: Option<Udp6Socket>,
    /// Upstream interface for multicast server addresses.
    relay_ifindex: u32,
    scripts: ScriptRunner,
    rx: RecvBatch,
    /// Relay-forwards waiting to go upstream.
    tx_up: SendBatch,
    /// Messages waiting to go to clients and downstream relays.
    tx_down: SendBatch,
    next_refresh: Instant,
    /// `--stats-file`: where the statistics go.
    stats_file: Option<StatsFile>,
    /// How long each turn of the main loop worked.
    turns: Histogram,
    /// Shedding of stale client messages under overload (doc/overload.md).
    overload: Overload,
    /// When the client socket's receive buffer was last fitted to the rate.
    retuned: Instant,
    /// When the client socket's admission share was last revised.
    admitted: Instant,
}

/// Reads interface indexes and addresses into client-interface records.
fn load_client_ifs(opts: &Opts) -> Result<Vec<ClientIf>, String> {
    opts.interfaces
        .iter()
        .map(|name| {
            let ifindex = if_nametoindex(name).map_err(|e| e.to_string())?;
            let addresses = interface_addresses(name).map_err(|e| format!("{name}: {e}"))?;
            Ok(ClientIf {
                name: name.clone(),
                ifindex,
                interface_id: opts.idfmt.make(name, ifindex),
                link_address: pick_link_address(&addresses),
                addresses,
                remote_id: opts
                    .remote_ids
                    .iter()
                    .find(|r| &r.0 == name)
                    .map(|r| r.1.clone()),
                subscriber_id: opts
                    .subscriber_ids
                    .iter()
                    .find(|s| &s.0 == name)
                    .map(|s| s.1.clone()),
            })
        })
        .collect()
}

/// Opens sockets and reads interfaces (mirrors dhcp6relay.c:relay6_init).
fn relay6_init(opts: Opts) -> Result<State, String> {
    for (name, _) in &opts.remote_ids {
        if !opts.interfaces.contains(name) {
            return Err(format!("--remote-id: {name} is not a client interface"));
        }
    }
    for (name, _) in &opts.subscriber_ids {
        if !opts.interfaces.contains(name) {
            return Err(format!("--subscriber-id: {name} is not a client interface"));
        }
    }
    let client_ifs = load_client_ifs(&opts)?;
    let multicast_server = opts
        .servers
        .iter()
        .chain(&opts.servers_4o6)
        .any(|s| s.is_multicast());
    let relay_if = match (&opts.relay_if, client_ifs.as_slice()) {
        (Some(r), _) => r.clone(),
        (None, [only]) => only.name.clone(),
        (None, _) if multicast_server => {
            return Err(
                "-r is required with several client interfaces and a multicast server address"
                    .into(),
            )
        }
        (None, _) => String::new(),
    };
    let relay_ifindex = if relay_if.is_empty() {
        0
    } else {
        if_nametoindex(&relay_if).map_err(|e| e.to_string())?
    };
    let separate_upstream =
        relay_ifindex != 0 && !client_ifs.iter().any(|c| c.ifindex == relay_ifindex);

    let csock = Udp6Socket::bind(Ipv6Addr::UNSPECIFIED, SERVER_PORT)
        .map_err(|e| format!("bind [::]:{SERVER_PORT}: {e}"))?;
    for c in &client_ifs {
        csock
            .join_multicast(&ALL_DHCP_RELAY_AGENTS_AND_SERVERS, c.ifindex)
            .map_err(|e| format!("join ff02::1:2 on {}: {e}", c.name))?;
    }
    let ssock = if opts.relay_port != SERVER_PORT {
        Some(
            Udp6Socket::bind(opts.bound, opts.relay_port)
                .map_err(|e| format!("bind [{}]:{}: {e}", opts.bound, opts.relay_port))?,
        )
    } else {
        None
    };
    let up = ssock.as_ref().unwrap_or(&csock);
    // C-096: Relay-forwards to a multicast address leave with hop limit 8 unless -H.
    up.set_multicast_hops(opts.hop_limit)
        .map_err(|e| format!("multicast hops: {e}"))?;
    up.set_multicast_loop(false)
        .map_err(|e| format!("multicast loop: {e}"))?;
    if relay_ifindex != 0 {
        up.set_multicast_if(relay_ifindex)
            .map_err(|e| format!("multicast interface: {e}"))?;
    }
    let to_port = |list: &[Ipv6Addr]| -> Vec<SocketAddrV6> {
        list.iter()
            .map(|s| SocketAddrV6::new(*s, SERVER_PORT, 0, 0))
            .collect()
    };
    let mut relay = Relay {
        client_ifs: Vec::new(),
        servers: to_port(&opts.servers),
        servers_4o6: to_port(&opts.servers_4o6),
        upstream_port: opts.relay_port,
        client_linklayer: opts.client_linklayer,
        separate_upstream,
        counters: Default::default(),
    };
    relay.set_client_ifs(client_ifs);
    let overload = Overload::new();
    // Without timestamps nothing is shed (no age is known); the rest works.
    if let Err(e) = csock.enable_rx_timestamps() {
        log_info!("relay6_init", "receive timestamps: {e}; no shedding by age");
    }
    if let Err(e) = csock.set_recv_buffer(overload.rcvbuf) {
        log_info!("relay6_init", "receive buffer: {e}");
    }
    Ok(State {
        scripts: ScriptRunner::new(opts.script.clone()),
        opts,
        relay,
        csock,
        ssock,
        relay_ifindex,
        rx: RecvBatch::new(BATCH, RX_LEN),
        tx_up: SendBatch::new(BATCH, TX_LEN),
        tx_down: SendBatch::new(BATCH, TX_LEN),
        next_refresh: Instant::now() + REFRESH,
        stats_file: None,
        turns: Histogram::durations(),
        overload,
        retuned: Instant::now(),
        admitted: Instant::now(),
    })
}

/// Re-reads interface indexes and addresses; WIDE dies on SIGHUP, we do this.
fn relay6_reload_interfaces(s: &mut State) {
    match load_client_ifs(&s.opts) {
        Ok(ifs) => {
            for c in &ifs {
                // Already joined is fine; a re-created interface needs the join again.
                let _ = s
                    .csock
                    .join_multicast(&ALL_DHCP_RELAY_AGENTS_AND_SERVERS, c.ifindex);
            }
            s.relay.set_client_ifs(ifs);
        }
        Err(e) => log_err!(
            "relay6_reload_interfaces",
            "keeping the old interface list: {e}"
        ),
    }
}

/// Logs the counters (SIGUSR1, and at exit) whatever the `-d` level:
/// the operator asked for them.
fn log_counters(s: &State) {
    let c = &s.relay.counters;
    log_report!(
        "relay6_loop",
        "relay-forward sent: {}, relay-reply relayed: {}",
        c.forwarded,
        c.delivered
    );
    for i in &c.interfaces {
        log_report!(
            "relay6_loop",
            "{}: to server {}, to client {}",
            i.name,
            i.to_server,
            i.to_client
        );
    }
    for why in DropReason::ALL {
        log_report!(
            "relay6_loop",
            "dropped ({}): {}",
            why.name(),
            c.dropped(why)
        );
    }
    for why in ShedReason::ALL {
        log_report!(
            "relay6_loop",
            "shed under overload ({}): {}",
            why.name(),
            s.overload.shedder.shed_count(why)
        );
    }
}

/// Writes the statistics file, when there is one.
fn write_stats(s: &mut State, now: Instant) {
    if let Some(f) = &mut s.stats_file {
        if let Ok(raw) = s.csock.kernel_drops() {
            s.overload.note_kernel_drops(raw);
        }
        let mut text = stats::exposition(&s.relay, &s.turns);
        s.overload.append(&mut text, "kame6_dhcp6relay_");
        f.write(now, &text);
    }
}

/// Sends what is queued upstream.
fn flush_up(s: &mut State) {
    let sock = s.ssock.as_ref().unwrap_or(&s.csock);
    if let (_, Some(e)) = s.tx_up.send(sock) {
        log_err!("relay_to_server", "sendmmsg: {e}");
    }
}

/// Sends what is queued downstream.
fn flush_down(s: &mut State) {
    if let (_, Some(e)) = s.tx_down.send(&s.csock) {
        log_err!("relay_to_client", "sendmmsg: {e}");
    }
}

/// Queues the Relay-forward for datagram `i` of the receive batch, once
/// per server of its destination list (`-s`, or `-4` for DHCPV4-QUERY).
fn relay_to_server(s: &mut State, i: usize) {
    let most = s.relay.servers.len().max(s.relay.servers_4o6.len());
    if s.tx_up.len() + most > BATCH {
        flush_up(s);
    }
    let Some((pkt, meta)) = s.rx.get(i) else {
        return;
    };
    let from = Origin {
        src: meta.src,
        ifindex: meta.ifindex,
    };
    let Some(out) = s.tx_up.next_buf() else {
        return;
    };
    let n = match s.relay.relay_to_server(pkt, from, out) {
        Ok(n) => n,
        Err(why) => {
            log_info!(
                "relay_to_server",
                "dropped a message from {}: {}",
                from.src,
                why.name()
            );
            return;
        }
    };
    log_debug!(
        "relay_to_server",
        "relaying {} octets from {}",
        pkt.len(),
        from.src
    );
    let mut first = true;
    for server in s.relay.destinations(pkt) {
        let ifindex = if server.ip().is_multicast() {
            s.relay_ifindex
        } else {
            0
        };
        let dst = SocketAddrV6::new(*server.ip(), SERVER_PORT, 0, ifindex);
        if first {
            s.tx_up.commit(n, dst, ifindex, s.opts.bound);
            first = false;
        } else {
            // The same Relay-forward again, for the next server.
            let prev = s.tx_up.len() - 1;
            s.tx_up.repeat(prev, dst, ifindex, s.opts.bound);
        }
    }
}

/// Queues the message inside the Relay-reply at datagram `i` for its peer.
fn relay_to_client(s: &mut State, i: usize) {
    if s.tx_down.is_full() {
        flush_down(s);
    }
    let Some((pkt, meta)) = s.rx.get(i) else {
        return;
    };
    let from = Origin {
        src: meta.src,
        ifindex: meta.ifindex,
    };
    let d = match s.relay.relay_to_client(pkt, from) {
        Ok(d) => d,
        Err(why) => {
            log_info!(
                "relay_to_client",
                "dropped a relay-reply from {}: {}",
                from.src,
                why.name()
            );
            return;
        }
    };
    let payload = pkt.get(d.payload.clone()).unwrap_or_default();
    s.tx_down
        .push(payload, d.dst, d.ifindex, Ipv6Addr::UNSPECIFIED);
    log_debug!("relay_to_client", "relaying {} to {}", d.inner_type, d.dst);
    if d.inner_type == MessageType::Reply && s.opts.script.is_some() {
        let ifname = if_indextoname(d.ifindex).unwrap_or_default();
        let env = script_env(payload, &d.dst, &ifname);
        if let Err(e) = s.scripts.run(&env) {
            log_err!("relay_to_client", "script: {e}");
        }
    }
}

/// Reads what is waiting on one socket, a batch at a time, and sends what
/// it produced (mirrors dhcp6relay.c:relay6_recv).
fn relay6_recv(s: &mut State, upstream: bool) {
    let start = Instant::now();
    let (mut read, mut served, mut more) = (0usize, 0usize, false);
    for _ in 0..BATCHES_PER_TURN {
        let sock = if upstream {
            s.ssock.as_ref().unwrap_or(&s.csock)
        } else {
            &s.csock
        };
        let got = match s.rx.recv(sock) {
            Ok(n) => n,
            Err(e) => {
                log_err!("relay6_recv", "recvmmsg: {e}");
                0
            }
        };
        read += got;
        more = got == BATCH;
        for i in 0..got {
            let Some((pkt, meta)) = s.rx.get(i) else {
                continue;
            };
            let kind = pkt.first().map(|&t| MessageType::from(t));
            match kind {
                _ if meta.truncated || pkt.is_empty() => {
                    s.relay.counters.drop(DropReason::Malformed)
                }
                Some(MessageType::RelayRepl) => relay_to_client(s, i),
                // Only Relay-replies are expected on the upstream port.
                Some(_) if upstream => s.relay.counters.drop(DropReason::NotClientInterface),
                // Under overload, what waited too long to be worth an
                // answer is not forwarded: fresh messages go first.
                Some(_) => {
                    if let Verdict::Serve = s.overload.admit(pkt, s.rx.waited(i)) {
                        served += 1;
                        relay_to_server(s, i);
                    }
                }
                None => s.relay.counters.drop(DropReason::Malformed),
            }
        }
        flush_up(s);
        flush_down(s);
        if got < BATCH {
            break;
        }
    }
    // The client side's backlog is what overload is about; the upstream
    // port carries only answers.
    if !upstream {
        if let Some(t) = s.overload.end_turn(read, served, start.elapsed(), more) {
            log_notice!("relay6_recv", "{t}");
        }
    }
}

/// Fits the client socket's receive buffer to the forwarding rate measured
/// lately, at most once a second (libdhcp6::overload::rcvbuf_for).
fn relay6_retune(s: &mut State, now: Instant) {
    if now.duration_since(s.retuned) < Duration::from_secs(1) {
        return;
    }
    s.retuned = now;
    if let Some(bytes) = s.overload.retune() {
        if let Err(e) = s.csock.set_recv_buffer(bytes) {
            log_info!("relay6_loop", "receive buffer: {e}");
        }
    }
}

/// The main loop (mirrors dhcp6relay.c:relay6_loop).
fn relay6_loop(s: &mut State) {
    loop {
        // A turn's work is timed from here to the wait, and from the
        // wake-up to the end: the loop-turn histogram shows stalls.
        let turn = Instant::now();
        if signal::take(Caught::Term) || signal::take(Caught::Int) {
            log_info!("relay6_loop", "exiting");
            return;
        }
        if signal::take(Caught::Hup) {
            log_notice!("relay6_loop", "SIGHUP: re-reading interfaces");
            relay6_reload_interfaces(s);
        }
        if signal::take(Caught::Usr1) {
            log_counters(s);
            write_stats(s, turn);
        } else if s.stats_file.as_ref().is_some_and(|f| f.due(turn)) {
            write_stats(s, turn);
        }
        let now = Instant::now();
        relay6_retune(s, now);
        if now.duration_since(s.admitted) >= ADMISSION_INTERVAL {
            // The client socket: Relay-replies pass any filter.
            s.admitted = now;
            admission_interval(&s.csock, &mut s.overload, "relay6_loop");
        }
        if now >= s.next_refresh {
            relay6_reload_interfaces(s);
            s.next_refresh = now + REFRESH;
            s.scripts.reap();
        }
        let mut sleep = s.next_refresh.saturating_duration_since(now);
        if let Some(f) = &s.stats_file {
            sleep = sleep.min(f.until_due(now));
        }
        if s.overload.admission.share() < 1.0 {
            // The share climbs back by intervals, also when nothing comes.
            sleep = sleep.min(ADMISSION_INTERVAL);
        }
        let before_wait = turn.elapsed();
        let ready = match &s.ssock {
            Some(ss) => wait_readable(&[s.csock.as_fd(), ss.as_fd()], Some(sleep)),
            None => wait_readable(&[s.csock.as_fd()], Some(sleep)),
        };
        match ready {
            Ok(r) => {
                let woke = Instant::now();
                if r.is_readable(0) {
                    relay6_recv(s, false);
                } else if let Some(t) = s.overload.end_turn(0, 0, Duration::ZERO, false) {
                    // A wake-up with nothing waiting is a drained, quiet turn.
                    log_notice!("relay6_loop", "{t}");
                }
                if r.is_readable(1) {
                    relay6_recv(s, true);
                }
                s.turns.observe_duration(before_wait + woke.elapsed());
            }
            Err(e) => {
                log_err!("relay6_loop", "poll: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn main() {
    let mut sh = DHCP6RELAY.parse(cli());
    let opts = parse_opts(&sh.args).unwrap_or_else(|e| sh.fail(e));
    sh.init_logging();
    let stats_file = StatsFile::from_args(&sh.args).unwrap_or_else(|e| sh.fail(e));
    let mut state = relay6_init(opts).unwrap_or_else(|e| sh.fail(e));
    state.stats_file = stats_file;
    // The statistics file is replaced beside itself after the drop (-u).
    if let Some(f) = &state.stats_file {
        sh.writes_beside("statistics file", f.path());
    }
    let _pid = sh.detach();
    sh.catch_signals();
    let list = |a: &[Ipv6Addr]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    log_info!(
        "relay6_init",
        "relaying for {} to {}{}",
        state.opts.interfaces.join(" "),
        list(&state.opts.servers).join(" "),
        if state.opts.servers_4o6.is_empty() {
            String::new()
        } else {
            format!(
                ", DHCPv4-query to {}",
                list(&state.opts.servers_4o6).join(" ")
            )
        }
    );
    relay6_loop(&mut state);
    log_counters(&state);
    write_stats(&mut state, Instant::now());
}
