//! dhcp4o6_load: a load generator for DHCPv4-over-DHCPv6 (RFC 7341).
//!
//! Kea's perfdhcp speaks DHCPv4 and DHCPv6 but not DHCPv4 inside DHCPv6,
//! so bench/dhcp4o6.sh and tests/dhcp4s_crash.rs drive the 4o6 servers
//! with this program. It plays many clients, each with its own hardware
//! address (`chaddr` 02:46:NN:NN:NN:NN, the client number in the last four
//! octets) and RFC 4361 client identifier (type 255, IAID = the client
//! number, a DUID-LL of the same hardware address), and runs one full
//! exchange per client: DHCPDISCOVER, DHCPOFFER, DHCPREQUEST (SELECTING),
//! DHCPACK, each DHCPv4 message in a DHCPV4-QUERY or DHCPV4-RESPONSE
//! (C-160, C-161). New clients start at a fixed rate; every OFFER is
//! answered with a REQUEST at once. No message is sent twice: an exchange
//! without its ACK within the timeout (counted from its DISCOVER) is lost,
//! as perfdhcp counts drops.
//!
//! It sends from UDP port 546 of the namespace it runs in (of one address
//! with `-b`, so that another client can use the port beside it) to port
//! 547 of a DHCPv6 server (ff02::1:2 on `-i`'s link by default, or a unicast
//! address), through one non-blocking socket with batched system calls
//! (`recvmmsg`, `sendmmsg` in `libdhcp6::sys::batch`). It prints the
//! exchanges completed per second, the share lost (timeouts and NAKs), the
//! DORA latency (median, 99th percentile, maximum), and its own CPU time as
//! a share of one core, so a run shows whether the generator was the
//! limit. The last line, `result RATE DROPS% P50 P99 MAX CPU%` (latencies
//! in ms), is for scripts. With `--ack-log FILE` every ACK is appended to
//! FILE as it arrives (`UNIX-µs chaddr client-identifier yiaddr`, the
//! identifier as option 61's data in colon hex), flushed each loop turn.
//!
//! It is a cargo example of the root package rather than a binary: it is
//! a measuring tool, not part of the suite, so `cargo install`, the FreeBSD
//! port and the systemd units leave it out; it is built with the release
//! profile of the daemons it measures (`cargo build --release --example
//! dhcp4o6_load`, then `target/release/examples/dhcp4o6_load`); and it
//! needs nothing but libdhcp6 (the codec, the batched sockets) and clap.
//!
//! ```text
//! dhcp4o6_load -i IF -r RATE [-b ADDRESS] [-s SERVER] [-p SECONDS] [-n COUNT]
//!              [-t TIMEOUT-MS] [--first N] [--ack-log FILE] [--batch N]
//! ```

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{value_parser, Arg, Command};
use libdhcp6::codes::{MessageType as V6Type, OptionCode as V6Code};
use libdhcp6::dhcp4::{
    ClientId, Item, MessageType, Op, OptionCode, OptionRepr, Packet, PacketRepr,
};
use libdhcp6::sys::batch::{RecvBatch, SendBatch};
use libdhcp6::sys::net::{if_nametoindex, wait_readable, Udp6Socket};
use libdhcp6::wire::{
    emit_header, Message, Options, Writer, ALL_DHCP_RELAY_AGENTS_AND_SERVERS, CLIENT_PORT,
    SERVER_PORT,
};
use libdhcp6::Duid;

/// Longest sending time: latencies are kept as µs since the start in a `u32`.
const MAX_SECONDS: u64 = 3600;
/// Most exchanges one run starts (8 octets of state each).
const MAX_COUNT: u64 = 1 << 24;
/// Room for one DHCPV4-QUERY or DHCPV4-RESPONSE: ours are about 330 octets.
const BUF_LEN: usize = 1500;

/// What the command line asked for.
struct Args {
    ifindex: u32,
    bind: Ipv6Addr,
    server: SocketAddrV6,
    rate: u64,
    seconds: u64,
    count: u64,
    timeout_us: u64,
    first: u32,
    ack_log: Option<PathBuf>,
    batch: usize,
}

fn parse_args() -> Result<Args, String> {
    let m = Command::new("dhcp4o6_load")
        .about("DHCPv4-over-DHCPv6 load generator: full DORA exchanges at a fixed rate")
        .arg(
            Arg::new("iface")
                .short('i')
                .required(true)
                .help("interface of the client link"),
        )
        .arg(
            Arg::new("rate")
                .short('r')
                .required(true)
                .value_parser(value_parser!(u64).range(1..))
                .help("new exchanges per second"),
        )
        .arg(
            Arg::new("bind")
                .short('b')
                .value_parser(value_parser!(Ipv6Addr))
                .help("local address to send from (default: any, the kernel chooses)"),
        )
        .arg(
            Arg::new("server")
                .short('s')
                .value_parser(value_parser!(Ipv6Addr))
                .help("DHCPv6 server or relay address (default ff02::1:2)"),
        )
        .arg(
            Arg::new("seconds")
                .short('p')
                .default_value("5")
                .value_parser(value_parser!(u64).range(1..=MAX_SECONDS))
                .help("how long new exchanges start"),
        )
        .arg(
            Arg::new("count")
                .short('n')
                .value_parser(value_parser!(u64).range(1..=MAX_COUNT))
                .help("at most this many exchanges"),
        )
        .arg(
            Arg::new("timeout")
                .short('t')
                .default_value("2000")
                .value_parser(value_parser!(u64).range(1..=60_000))
                .help("ms from DISCOVER until an exchange without ACK is lost"),
        )
        .arg(
            Arg::new("first")
                .long("first")
                .default_value("1")
                .value_parser(value_parser!(u32))
                .help("number of the first client"),
        )
        .arg(
            Arg::new("ack-log")
                .long("ack-log")
                .value_parser(value_parser!(PathBuf))
                .help("append each ACK to this file"),
        )
        .arg(
            Arg::new("batch")
                .long("batch")
                .default_value("64")
                .value_parser(value_parser!(u64).range(1..=1024))
                .help("datagrams per system call"),
        )
        .try_get_matches()
        .map_err(|e| e.to_string())?;
    let get = |name: &str| m.get_one::<u64>(name).copied().unwrap_or(0);
    let iface = m.get_one::<String>("iface").map_or("", String::as_str);
    let ifindex = if_nametoindex(iface).map_err(|e| format!("{iface}: {e}"))?;
    let addr = m
        .get_one::<Ipv6Addr>("server")
        .copied()
        .unwrap_or(ALL_DHCP_RELAY_AGENTS_AND_SERVERS);
    // A link-scoped destination needs the link; a global one is routed.
    let scope = if addr.is_multicast() || addr.is_unicast_link_local() {
        ifindex
    } else {
        0
    };
    let (rate, seconds) = (get("rate"), get("seconds"));
    let count = m
        .get_one::<u64>("count")
        .copied()
        .unwrap_or(MAX_COUNT)
        .min(rate.saturating_mul(seconds))
        .min(MAX_COUNT);
    Ok(Args {
        ifindex,
        bind: m
            .get_one::<Ipv6Addr>("bind")
            .copied()
            .unwrap_or(Ipv6Addr::UNSPECIFIED),
        server: SocketAddrV6::new(addr, SERVER_PORT, 0, scope),
        rate,
        seconds,
        count,
        timeout_us: get("timeout") * 1000,
        first: m.get_one::<u32>("first").copied().unwrap_or(1),
        ack_log: m.get_one::<PathBuf>("ack-log").cloned(),
        batch: usize::try_from(get("batch")).unwrap_or(64),
    })
}

/// Where one client's exchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// DISCOVER sent, waiting for an OFFER.
    Discovering,
    /// REQUEST sent, waiting for the ACK.
    Requesting,
    /// Acknowledged in time.
    Acked,
    /// Refused with a NAK.
    Naked,
    /// An answer came after the timeout: lost, like one that never came.
    Late,
}

/// One exchange: when its DISCOVER left (µs since the start) and its phase.
#[derive(Debug, Clone, Copy)]
struct Slot {
    sent_us: u32,
    phase: Phase,
}

/// What a DHCPV4-RESPONSE said, read through the views without copying.
struct Answer {
    xid: u32,
    kind: MessageType,
    yiaddr: Ipv4Addr,
    server_id: Option<Ipv4Addr>,
}

/// The DHCPv4 answer a DHCPV4-RESPONSE carries (RFC 7341 §6.2), if it is one.
fn parse_answer(datagram: &[u8]) -> Option<Answer> {
    let m = Message::new_checked(datagram).ok()?;
    if m.msg_type() != V6Type::Dhcpv4Response {
        return None;
    }
    let body = Options::find(m.options_area(), V6Code::Dhcpv4Msg)
        .ok()??
        .data;
    let p = Packet::new_checked(body).ok()?;
    if p.op() != Op::BootReply {
        return None;
    }
    let (mut kind, mut server_id) = (None, None);
    for item in p.items() {
        match item.ok()? {
            Item::Option {
                code: OptionCode::MessageType,
                data: [t],
            } => kind = Some(MessageType::from(*t)),
            Item::Option {
                code: OptionCode::ServerId,
                data,
            } => server_id = <[u8; 4]>::try_from(data).ok().map(Ipv4Addr::from),
            _ => {}
        }
    }
    Some(Answer {
        xid: p.xid(),
        kind: kind?,
        yiaddr: p.yiaddr(),
        server_id,
    })
}

/// Client `n`'s hardware address: 02:46 (locally administered) then `n`.
fn hw_addr(n: u32) -> [u8; 6] {
    let [a, b, c, d] = n.to_be_bytes();
    [0x02, 0x46, a, b, c, d]
}

/// Client `n`'s client identifier (option 61): RFC 4361's type 255 with
/// IAID `n` and a DUID-LL of its hardware address.
fn client_id(n: u32) -> Option<OptionRepr> {
    let mut duid = vec![0, 3, 0, 1];
    duid.extend_from_slice(&hw_addr(n));
    let duid = Duid::from_bytes(&duid).ok()?;
    Some(OptionRepr::ClientId(ClientId::Duid { iaid: n, duid }))
}

/// Client `n`'s DHCPDISCOVER (no hint) or, with `selected` (server
/// identifier, offered address), its DHCPREQUEST in SELECTING (RFC 2131
/// table 5); the transaction id is `n` for both.
fn client_message(n: u32, selected: Option<(Ipv4Addr, Ipv4Addr)>) -> PacketRepr {
    let mut options = vec![OptionRepr::MessageType(if selected.is_some() {
        MessageType::Request
    } else {
        MessageType::Discover
    })];
    options.extend(client_id(n));
    if let Some((server_id, requested)) = selected {
        options.push(OptionRepr::ServerId(server_id));
        options.push(OptionRepr::RequestedIp(requested));
    }
    options.push(OptionRepr::ParameterRequestList(vec![
        OptionCode::SubnetMask,
        OptionCode::Routers,
        OptionCode::DomainNameServers,
    ]));
    PacketRepr::boot_request(n, &hw_addr(n), options)
}

/// `msg` in a DHCPV4-QUERY with flags zero (broadcast over IPv4, RFC 7341
/// §6.1) written into `buf`; its length, or `None` if it does not fit.
fn encode_query(msg: &PacketRepr, buf: &mut [u8]) -> Option<usize> {
    let mut w = Writer::new(buf);
    emit_header(&mut w, V6Type::Dhcpv4Query, 0).ok()?;
    let slot = w.begin_option(V6Code::Dhcpv4Msg).ok()?;
    msg.emit(&mut w).ok()?;
    w.end_option(slot).ok()?;
    Some(w.len())
}

/// The run: its clients, their exchanges and the tallies.
struct Load {
    args: Args,
    sock: Udp6Socket,
    start: Instant,
    slots: Vec<Slot>,
    tx: SendBatch,
    acks: u64,
    naks: u64,
    unexpected: u64,
    undecodable: u64,
    send_errors: u64,
    /// Exchanges waiting for an OFFER or an ACK.
    open: u64,
    /// Most DISCOVERs the schedule was ahead of the sending at a loop turn.
    max_behind: u64,
    latencies_us: Vec<u32>,
    ack_log: Option<BufWriter<File>>,
}

impl Load {
    fn now_us(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Queues `msg` for the server, sending the batch first when it is full.
    fn queue(&mut self, msg: &PacketRepr) {
        if self.tx.is_full() {
            self.flush();
        }
        let len = self.tx.next_buf().and_then(|b| encode_query(msg, b));
        match len {
            Some(len) => self.tx.commit(
                len,
                self.args.server,
                self.args.ifindex,
                Ipv6Addr::UNSPECIFIED,
            ),
            None => self.send_errors += 1,
        }
    }

    /// Sends what is queued.
    fn flush(&mut self) {
        if self.tx.is_empty() {
            return;
        }
        let queued = self.tx.len();
        let (sent, _) = self.tx.send(&self.sock);
        self.send_errors += u64::try_from(queued.saturating_sub(sent)).unwrap_or(0);
    }

    /// Starts the exchanges the schedule says are due by `now_us`.
    fn start_due(&mut self, now_us: u64) {
        let due = (u128::from(self.args.rate) * u128::from(now_us) / 1_000_000)
            .min(u128::from(self.args.count));
        let due = u64::try_from(due).unwrap_or(self.args.count);
        let started = self.slots.len() as u64;
        self.max_behind = self.max_behind.max(due.saturating_sub(started));
        let sent_us = u32::try_from(now_us).unwrap_or(u32::MAX);
        // All that is due, a batch at a time: a turn that came late (the
        // poll wait's millisecond, a busy CPU) catches up at once.
        for _ in started..due {
            // At most MAX_COUNT (2^24) slots: the length fits.
            let i = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
            let n = self.args.first.wrapping_add(i);
            self.slots.push(Slot {
                sent_us,
                phase: Phase::Discovering,
            });
            self.open += 1;
            self.queue(&client_message(n, None));
        }
    }

    /// Advances the exchange a DHCPV4-RESPONSE answers.
    fn on_answer(&mut self, datagram: &[u8], now_us: u64, wall_us: u128) {
        let Some(a) = parse_answer(datagram) else {
            self.undecodable += 1;
            return;
        };
        let i = a.xid.wrapping_sub(self.args.first) as usize;
        let timeout = self.args.timeout_us;
        let Some(slot) = self.slots.get_mut(i) else {
            self.unexpected += 1;
            return;
        };
        let late = now_us.saturating_sub(u64::from(slot.sent_us)) > timeout;
        match (slot.phase, a.kind) {
            (Phase::Discovering | Phase::Requesting, _) if late => {
                slot.phase = Phase::Late;
                self.open -= 1;
            }
            (Phase::Discovering, MessageType::Offer) => {
                let Some(sid) = a.server_id else {
                    self.unexpected += 1;
                    return;
                };
                slot.phase = Phase::Requesting;
                self.queue(&client_message(a.xid, Some((sid, a.yiaddr))));
            }
            (Phase::Requesting, MessageType::Ack) => {
                slot.phase = Phase::Acked;
                self.open -= 1;
                let took = now_us.saturating_sub(u64::from(slot.sent_us));
                self.acks += 1;
                self.latencies_us
                    .push(u32::try_from(took).unwrap_or(u32::MAX));
                self.log_ack(wall_us, a.xid, a.yiaddr);
            }
            (Phase::Requesting, MessageType::Nak) => {
                slot.phase = Phase::Naked;
                self.open -= 1;
                self.naks += 1;
            }
            _ => self.unexpected += 1,
        }
    }

    fn log_ack(&mut self, wall_us: u128, n: u32, yiaddr: Ipv4Addr) {
        if let Some(log) = &mut self.ack_log {
            let hex = |b: &[u8]| {
                let octets: Vec<String> = b.iter().map(|o| format!("{o:02x}")).collect();
                octets.join(":")
            };
            let id = client_id(n).map(|id| id.data_to_vec()).unwrap_or_default();
            // A failed write shows in the flush's error at the end.
            let _ = writeln!(log, "{wall_us} {} {} {yiaddr}", hex(&hw_addr(n)), hex(&id));
        }
    }

    /// True when no exchange can still change: all started, and each
    /// either ended or past its timeout (the last started is the last to
    /// time out).
    fn settled(&self, now_us: u64) -> bool {
        let all_started =
            self.slots.len() as u64 >= self.args.count || now_us >= self.args.seconds * 1_000_000;
        let last_us = self.slots.last().map_or(0, |s| u64::from(s.sent_us));
        all_started && (self.open == 0 || now_us.saturating_sub(last_us) > self.args.timeout_us)
    }
}

/// The run's loop: start what is due, read every answer, reply to offers,
/// until the exchanges have settled.
fn run(l: &mut Load) -> io::Result<()> {
    let mut rx = RecvBatch::new(l.args.batch, BUF_LEN);
    let tick_us = (1_000_000 / l.args.rate).max(1);
    let send_end_us = l.args.seconds * 1_000_000;
    loop {
        let now = l.now_us();
        if now < send_end_us {
            l.start_due(now);
        }
        l.flush();
        loop {
            let got = rx.recv(&l.sock)?;
            if got == 0 {
                break;
            }
            let (now, wall) = (l.now_us(), unix_us());
            for i in 0..got {
                if let Some((data, meta)) = rx.get(i) {
                    if !meta.truncated {
                        l.on_answer(data, now, wall);
                    }
                }
            }
            l.flush();
        }
        if let Some(log) = &mut l.ack_log {
            log.flush()?;
        }
        let now = l.now_us();
        if l.settled(now) {
            return Ok(());
        }
        // Sleep until the next DISCOVER is due, or a little while once
        // sending is over; answers end the wait early.
        let wait = if now < send_end_us && (l.slots.len() as u64) < l.args.count {
            tick_us.saturating_sub(now % tick_us)
        } else {
            10_000
        };
        wait_readable(&[l.sock.as_fd()], Some(Duration::from_micros(wait)))?;
    }
}

fn unix_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

/// CPU time this process has used, in ns (Linux's schedstat), if known.
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// The `q` quantile of sorted latencies, in ms.
fn quantile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let last = sorted.len() - 1;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = ((last as f64) * q).round() as usize;
    f64::from(sorted.get(i.min(last)).copied().unwrap_or(0)) / 1000.0
}

/// The report: a readable summary, then the `result` line.
fn report(l: &mut Load, secs: f64, cpu: Option<f64>) -> String {
    let started = l.slots.len() as u64;
    let timeouts = started - l.acks - l.naks;
    l.latencies_us.sort_unstable();
    let lat = |q| quantile_ms(&l.latencies_us, q);
    let (rate, drops) = (
        l.acks as f64 / secs,
        if started == 0 {
            0.0
        } else {
            (started - l.acks) as f64 * 100.0 / started as f64
        },
    );
    let cpu_text = cpu.map_or("n/a".to_string(), |c| format!("{c:.1}"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "dhcp4o6_load: {started} exchanges started in {secs:.2} s ({}/s asked) to {}",
        l.args.rate, l.args.server
    );
    let _ = writeln!(
        out,
        "  ACK {}  NAK {}  timeouts {timeouts}  unexpected {}  undecodable {}  send errors {}",
        l.acks, l.naks, l.unexpected, l.undecodable, l.send_errors
    );
    let _ = writeln!(out, "  completed {rate:.1}/s, lost {drops:.2} %");
    let _ = writeln!(
        out,
        "  DORA latency ms: median {:.3}  p99 {:.3}  max {:.3}",
        lat(0.5),
        lat(0.99),
        lat(1.0)
    );
    let behind_ms = l.max_behind as f64 * 1000.0 / l.args.rate as f64;
    let _ = writeln!(out, "  generator CPU {cpu_text} % of one core; sending behind schedule by at most {behind_ms:.1} ms");
    let _ = write!(
        out,
        "result {rate:.1} {drops:.3} {:.3} {:.3} {:.3} {cpu_text}",
        lat(0.5),
        lat(0.99),
        lat(1.0)
    );
    out
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::from(2);
        }
    };
    let setup = || -> io::Result<(Udp6Socket, Option<BufWriter<File>>)> {
        let sock = Udp6Socket::bind(args.bind, CLIENT_PORT)?;
        sock.set_multicast_if(args.ifindex)?;
        let log = match &args.ack_log {
            Some(p) => Some(BufWriter::new(
                OpenOptions::new().create(true).append(true).open(p)?,
            )),
            None => None,
        };
        Ok((sock, log))
    };
    let (sock, ack_log) = match setup() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dhcp4o6_load: {e}");
            return ExitCode::FAILURE;
        }
    };
    let capacity = usize::try_from(args.count).unwrap_or(0);
    let batch = args.batch;
    let mut l = Load {
        args,
        sock,
        start: Instant::now(),
        slots: Vec::with_capacity(capacity),
        tx: SendBatch::new(batch, BUF_LEN),
        acks: 0,
        naks: 0,
        unexpected: 0,
        undecodable: 0,
        send_errors: 0,
        open: 0,
        max_behind: 0,
        latencies_us: Vec::with_capacity(capacity),
        ack_log,
    };
    let cpu0 = cpu_ns();
    if let Err(e) = run(&mut l) {
        eprintln!("dhcp4o6_load: {e}");
        return ExitCode::FAILURE;
    }
    let elapsed = l.start.elapsed();
    // Rates are over the sending time: the drain after it starts nothing.
    let secs = (l.args.count as f64 / l.args.rate as f64).min(l.args.seconds as f64);
    let cpu = cpu_ns()
        .zip(cpu0)
        .map(|(b, a)| (b - a) as f64 * 100.0 / elapsed.as_nanos() as f64);
    println!("{}", report(&mut l, secs, cpu));
    ExitCode::SUCCESS
}
