//! dhcp4s: the kame6 DHCPv4 server for DHCPv4-over-DHCPv6 (RFC 7341), the
//! DHCPv4 side of Kea's pair of cooperating servers. It hears DHCPv4
//! clients only through a DHCPv6 server (our dhcp6s, or Kea's kea-dhcp6)
//! over Kea's IPC on the loopback: with `dhcp4o6-port P` it binds
//! `[::1]:P+1` and answers to `[::1]:P`.
//!
//! A KAME-style daemon: WIDE's flags through the shared shell (`-c -d -D
//! -f -P -t`, `--version`, `-k`/`-p` for the control channel), syslog
//! lines `function: text`, SIGHUP reload keeping leases, SIGTERM exit,
//! SIGUSR1 counters. The loop: `server4_mainloop` → `dhcpv4o6_handler` →
//! `recv_dhcpv4_query` → the RFC 2131 engine → `send_dhcpv4_response`
//! (`server`). Acknowledged leases go through the lease journal
//! (`dhcp4s.leases`, doc/lease-journal.md) with group commit: no DHCPACK
//! leaves before its record is durable; offers are memory only.

mod ctl;
mod db;
mod server;
mod stats;
#[cfg(test)]
mod tests;

use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Arg, ArgAction, Command};
use libdhcp6::config::{load_server4, Server4Config};
use libdhcp6::ctl::DEFAULT_SERVER4_KEY_FILE;
use libdhcp6::dhcp4::engine::{Change4, Engine};
use libdhcp6::dhcp4::journal::snapshot4;
use libdhcp6::dhcp4::MessageType;
use libdhcp6::lease::expiry_sleep;
use libdhcp6::paths;
use libdhcp6::sys::batch::{RecvBatch, SendBatch};
use libdhcp6::sys::conf::{check_server4_file, FsLoader, DEFAULT_SERVER4_CONF};
use libdhcp6::sys::journal::JournalError;
use libdhcp6::sys::journal4::{read_file, Journal4};
use libdhcp6::sys::net::{wait_readable, PollFds, Udp6Socket};
use libdhcp6::sys::shell::{ConfigFile, Program, Shell};
use libdhcp6::sys::signal::{self, Caught};
use libdhcp6::{log_debug, log_err, log_info, log_notice, log_warn};

use crate::server::{Dropped, Server4};

/// Longest sleep of the loop (expiry is re-checked at least this often).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// Most leases, offers and quarantines ended per loop turn, so that a
/// mass of ends in the same second is spread over turns with the socket
/// read between them (doc/overload.md "No stalls").
const EXPIRE_PER_TURN: usize = 2048;
/// IPC datagrams per recvmmsg / sendmmsg.
const BATCH: usize = 64;
/// Batches per loop turn: their lease changes share one journal write and
/// sync (group commit) before any of their answers leaves.
const BATCHES_PER_TURN: usize = 4;
/// Largest IPC datagram read (a DHCPv6 side accepts 16 KiB from clients,
/// plus its metadata); a longer one arrives truncated and is dropped.
const RX_LEN: usize = 20_000;
/// Room for an answer in Relay-replies that echo relay options.
const TX_LEN: usize = 65_535;

/// dhcp4s as the daemon shell sees it.
const DHCP4S: Program = Program {
    name: "dhcp4s",
    about: "DHCPv4-over-DHCPv6 server, the DHCPv4 side (kame6)",
    version: env!("CARGO_PKG_VERSION"),
    init: "server4_init",
    pidfile_flag: 'P',
    pidfile: paths::SERVER4_PIDFILE,
    config: Some(ConfigFile {
        default: DEFAULT_SERVER4_CONF,
        check: |path, dump, _| check_server4_file(path, dump),
    }),
    ctl_key: Some(DEFAULT_SERVER4_KEY_FILE),
    duid_file: None,
    more_defaults: &[("lease journal", paths::SERVER4_LEASE_FILE)],
};

/// The shared flags and dhcp4s's own.
fn cli() -> Command {
    DHCP4S
        .command()
        .args(libdhcp6::sys::stats::args())
        .arg(
            Arg::new("ctlport")
                .short('p')
                .value_name("ctlport")
                .help("control channel TCP port on ::1 (default 5548; number or service name)"),
        )
        .arg(
            Arg::new("dump-leases")
                .long("dump-leases")
                .value_name("FILE")
                .help("list the leases in a lease journal and exit (0 read, 1 not)"),
        )
        .arg(
            Arg::new("memory-leases")
                .long("memory-leases")
                .action(ArgAction::SetTrue)
                .help("keep leases in memory only: nothing survives a restart"),
        )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The running daemon.
struct State {
    server: Server4,
    config_path: String,
    sock: Udp6Socket,
    /// The lease journal; `None` with `--memory-leases` or a lease database.
    journal: Option<Journal4>,
    /// The lease database, when `lease-database` is configured.
    db: db::Db,
    ctl: Option<libdhcp6::sys::ctl::CtlChannel>,
    rx: RecvBatch,
    /// The turn's framed answers, sent after the commit.
    tx: SendBatch,
    /// `--stats-file` and what it shows that the server does not count.
    stats: stats::Stats4,
    /// The last growth of the journal's room failed (logged once).
    grow_failed: bool,
}

/// Reads and checks the configuration; errors are `file:line:col: what`.
fn load_config(path: &str) -> Result<Server4Config, String> {
    let staged = load_server4(path, &mut FsLoader).map_err(|e| e.to_string())?;
    for w in &staged.warnings {
        log_warn!("server4_init", "{w}");
    }
    Ok(staged.config)
}

/// The journal's path: `lease-file`, else the default, made absolute so a
/// rewrite still finds it after daemonising's chdir("/").
fn journal_path(cfg: &Server4Config) -> PathBuf {
    let p = Path::new(
        cfg.lease_file
            .as_deref()
            .unwrap_or(paths::SERVER4_LEASE_FILE),
    );
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Opens (locking) the journal, replays it into `engine` and rewrites it
/// as a snapshot of what is live.
fn open_journal(path: &Path, engine: &mut Engine) -> Result<Journal4, String> {
    if let Some(dir) = path.parent().filter(|d| !d.exists()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("lease journal directory {}: {e}", dir.display()))?;
    }
    let now = now_secs();
    let (mut j, read) =
        Journal4::open(path, |r| engine.replay(&r.into_change(), now)).map_err(|e| match e {
            JournalError::Locked { pid, .. } => format!(
                "lease journal {}: in use by another dhcp4s ({}); two servers never share a lease journal",
                path.display(),
                pid.map_or_else(|| "PID unknown".to_string(), |p| format!("PID {p}"))
            ),
            e => format!("lease journal {e}; move the file aside to start empty"),
        })?;
    if let Some(d) = read.damage {
        log_warn!(
            "server4_init",
            "lease journal {}: damaged tail at offset {} ({}): {} octets discarded, {} records before it kept",
            path.display(),
            d.offset,
            d.what.name(),
            d.discarded,
            read.records
        );
    }
    j.rewrite(&snapshot4(&engine.leases(), &engine.quarantines()))
        .map_err(|e| format!("lease journal {}: {e}", path.display()))?;
    log_notice!(
        "server4_init",
        "lease journal {}{}: {} records replayed, {} leases, {} quarantined",
        path.display(),
        if read.missing { " (new)" } else { "" },
        read.records,
        engine.leases().len(),
        engine.quarantines().len()
    );
    Ok(j)
}

/// Sets everything up (mirrors dhcp6s.c:server6_init on the DHCPv4 side).
fn server4_init(sh: &Shell) -> Result<State, String> {
    let config_path = sh.config.clone().unwrap_or_default();
    let cfg = load_config(&config_path)?;
    let path = journal_path(&cfg);
    let mut server = Server4::new(cfg)?;
    // Before the socket: a database that cannot be reached, a journal
    // that cannot be read, or one another dhcp4s holds, stops start-up
    // before the IPC port is taken.
    let db = db::Db::open(&server.cfg, &mut server.engine, now_secs())?;
    let journal = if sh.args.get_flag("memory-leases") || db.is_some() {
        None
    } else {
        Some(open_journal(&path, &mut server.engine)?)
    };
    let local = server.local_port();
    let sock = Udp6Socket::bind_loopback(local)
        .map_err(|e| format!("bind [::1]:{local} (4o6 IPC): {e}"))?;
    log_info!(
        "server4_init",
        "DHCPv4-over-DHCPv6: IPC on [::1]:{local}, DHCPv6 server at {}",
        server.peer
    );
    let ctl = ctl::server4_ctl_init(&sh.args)?;
    Ok(State {
        server,
        config_path,
        sock,
        journal,
        db,
        ctl,
        rx: RecvBatch::new(BATCH, RX_LEN),
        tx: SendBatch::new(BATCH * BATCHES_PER_TURN, TX_LEN),
        stats: stats::Stats4::from_args(&sh.args)?,
        grow_failed: false,
    })
}

/// Makes the turn's lease changes durable (one write, one sync) and then
/// commits the engine; on failure rolls the engine back. True when the
/// turn's answers may leave.
fn server4_commit(s: &mut State, func: &str) -> bool {
    let changes: Vec<Change4> = std::mem::take(&mut s.server.pending);
    let chaddrs = std::mem::take(&mut s.server.chaddrs);
    if s.db.is_some() {
        let now = now_secs();
        if let Err(why) = s.db.commit(&changes, &chaddrs, now, func) {
            s.server.engine.rollback();
            s.db.after_failure(why, &mut s.server.engine, now);
            return false;
        }
        s.server.engine.commit();
        return true;
    }
    let written = match &mut s.journal {
        Some(j) if !changes.is_empty() => {
            let before = j.file_len();
            j.append(&changes);
            let started = Instant::now();
            let r = j.commit();
            let wrote = j.file_len().saturating_sub(before);
            s.stats.journal_commit(started.elapsed(), r.is_ok(), wrote);
            r
        }
        _ => Ok(()),
    };
    if let Err(e) = written {
        log_err!(func, "lease journal: {e}; answers of this turn withheld");
        s.server.engine.rollback();
        return false;
    }
    s.server.engine.commit();
    true
}

/// Between turns, after the answers left: compacts the journal when it
/// has grown enough (in one step: a snapshot is bounded by the ranges),
/// else grows its zero-filled room when it runs low (sys::journal_file):
/// commits then write in place and their syncs wait for no metadata. A
/// failed growth is logged once until one works again.
fn server4_maintain(s: &mut State) {
    let func = "server4_mainloop";
    let Some(j) = s.journal.as_mut() else {
        return;
    };
    if j.wants_compaction() {
        let e = &s.server.engine;
        match j.rewrite(&snapshot4(&e.leases(), &e.quarantines())) {
            Ok(()) => log_info!(func, "lease journal compacted to {} octets", j.file_len()),
            Err(e) => log_err!(func, "lease journal compaction: {e}"),
        }
        return;
    }
    match j.maintain() {
        Some(Err(e)) if !s.grow_failed => {
            log_warn!(
                func,
                "lease journal: growing its room: {e}; appending meanwhile"
            );
            s.grow_failed = true;
        }
        Some(Ok(())) => s.grow_failed = false,
        _ => {}
    }
}

/// Reads what waits on the IPC socket a batch at a time, answers it into
/// one send batch, commits the turn's lease changes once and only then
/// sends the answers (group commit).
fn server4_recv(s: &mut State) {
    let now = now_secs();
    for _ in 0..BATCHES_PER_TURN {
        let got = match s.rx.recv(&s.sock) {
            Ok(n) => n,
            Err(e) => {
                log_err!("dhcpv4o6_handler", "recvmmsg: {e}");
                break;
            }
        };
        refresh_batch(s, got, now);
        for i in 0..got {
            let Some((pkt, meta)) = s.rx.get(i) else {
                continue;
            };
            if meta.truncated {
                s.server.counters.drop(Dropped::Malformed);
                continue;
            }
            // The send batch holds a whole turn's answers.
            let Some(out) = s.tx.next_buf() else { break };
            match s
                .server
                .dhcpv4o6_handler(pkt, meta.src, now, out, s.db.claims())
            {
                Ok(a) => {
                    log_debug!(
                        "send_dhcpv4_response",
                        "{} for a query from the DHCPv6 side ({} octets)",
                        a.kind,
                        a.len
                    );
                    s.tx.commit(a.len, s.server.peer, 0, Ipv6Addr::UNSPECIFIED);
                }
                Err(Dropped::Unanswered) => {}
                Err(why) => log_info!(
                    "dhcpv4o6_handler",
                    "dropped an IPC datagram from {}: {}",
                    meta.src,
                    why.name()
                ),
            }
        }
        if got < BATCH {
            break;
        }
    }
    if !server4_commit(s, "recv_dhcpv4_query") {
        s.tx.clear();
        return;
    }
    if let (_, Some(e)) = s.tx.send(&s.sock) {
        log_err!("send_dhcpv4_response", "sendmmsg: {e}");
    }
}

/// Before a batch is answered, a lease database re-reads the leases of
/// the clients its queries name, in one query: what another server
/// changed is seen before it is relied on (doc/postgresql.md).
fn refresh_batch(s: &mut State, got: usize, now: u64) {
    if !s.db.is_some() {
        return;
    }
    let clients: Vec<_> = (0..got)
        .filter_map(|i| s.rx.get(i))
        .filter(|(_, meta)| !meta.truncated)
        .filter_map(|(pkt, _)| server::client_of(pkt))
        .collect();
    s.db.refresh(&clients, &s.server.pending, &mut s.server.engine, now);
}

/// Re-reads the configuration; a bad file keeps the running one, and the
/// leases (and quarantines) carry over into the new engine.
fn server4_reload(s: &mut State) {
    let path = s.config_path.clone();
    let cfg = match load_config(&path) {
        Ok(c) => c,
        Err(e) => {
            log_err!("server4_reload", "{e}; keeping the running configuration");
            return;
        }
    };
    if cfg.dhcp4o6_port != s.server.cfg.dhcp4o6_port {
        log_warn!(
            "server4_reload",
            "dhcp4o6-port changed: the IPC in use stays until dhcp4s restarts"
        );
    }
    if cfg.lease_file != s.server.cfg.lease_file {
        log_warn!(
            "server4_reload",
            "lease-file changed: the journal in use stays until dhcp4s restarts"
        );
    }
    if cfg.lease_database != s.server.cfg.lease_database {
        log_warn!(
            "server4_reload",
            "lease-database changed: the lease store in use stays until dhcp4s restarts"
        );
    }
    let mut cfg = cfg;
    cfg.lease_database = s.server.cfg.lease_database.clone();
    cfg.dhcp4o6_port = s.server.cfg.dhcp4o6_port;
    cfg.lease_file = s.server.cfg.lease_file.clone();
    let mut next = match Server4::new(cfg) {
        Ok(n) => n,
        Err(e) => {
            log_err!("server4_reload", "{e}; keeping the running configuration");
            return;
        }
    };
    let now = now_secs();
    let old = &s.server.engine;
    for l in old.leases() {
        next.engine.replay(&Change4::Bind(l), now);
    }
    for (addr, until) in old.quarantines() {
        let q = libdhcp6::dhcp4::journal::Record4::Quarantine { addr, until };
        next.engine.replay(&q.into_change(), now);
    }
    let kept = next.engine.leases().len();
    let dropped = old.leases().len().saturating_sub(kept);
    next.counters = std::mem::take(&mut s.server.counters);
    s.server = next;
    log_notice!("server4_reload", "reloaded {path}: {kept} leases kept");
    if dropped > 0 {
        log_notice!(
            "server4_reload",
            "{dropped} leases are in no configured subnet any more and were dropped"
        );
    }
}

fn log_counters(s: &State) {
    let c = &s.server.counters;
    for t in 1u8..=18 {
        let (r, x) = (
            c.received.get(usize::from(t)).copied().unwrap_or(0),
            c.sent.get(usize::from(t)).copied().unwrap_or(0),
        );
        if r > 0 || x > 0 {
            log_notice!(
                "server4_mainloop",
                "{}: received {r}, sent {x}",
                MessageType::from(t)
            );
        }
    }
    for why in Dropped::ALL {
        log_notice!(
            "server4_mainloop",
            "dropped ({}): {}",
            why.name(),
            c.dropped(why)
        );
    }
    if let Some(r) = s.db.report() {
        log_notice!("server4_mainloop", "{r}");
    }
    log_notice!(
        "server4_mainloop",
        "leases: {}, offers: {}",
        s.server.engine.leases().len(),
        s.server.engine.offers()
    );
}

/// Writes the statistics file, when there is one.
fn write_stats(s: &mut State, now: Instant) {
    let journal = s.journal.is_some();
    s.stats.write(now, &s.server, journal);
}

/// The main loop (mirrors dhcp6s.c:server6_mainloop).
fn server4_mainloop(s: &mut State) {
    loop {
        // A turn is timed from here to the wait and from the wake-up on.
        let turn = Instant::now();
        if signal::take(Caught::Term) || signal::take(Caught::Int) {
            log_info!("server4_mainloop", "exiting");
            return;
        }
        if signal::take(Caught::Hup) {
            server4_reload(s);
        }
        if signal::take(Caught::Usr1) {
            log_counters(s);
            write_stats(s, turn);
        } else if s.stats.due(turn) {
            write_stats(s, turn);
        }
        let now = now_secs();
        let ended = s.server.engine.expire(now, EXPIRE_PER_TURN);
        if !ended.is_empty() {
            log_debug!("server4_mainloop", "{} leases ended", ended.len());
            s.server.pending.extend(ended);
        }
        // Expiries that could not be stored are rolled back and come again.
        let stored = server4_commit(s, "server4_mainloop");
        server4_maintain(s);
        // More due than one turn ends: no sleep.
        let sleep = expiry_sleep(s.server.engine.next_expiry(), now, stored, MAX_SLEEP);
        let sleep = s
            .stats
            .until_due(Instant::now())
            .map_or(sleep, |d| sleep.min(d));
        let mut fds = PollFds::new();
        fds.push(std::os::fd::AsFd::as_fd(&s.sock));
        let ctl_fds = ctl::push_fds(&s.ctl, &mut fds);
        let before_wait = turn.elapsed();
        match wait_readable(&fds, Some(ctl::bound_sleep(&s.ctl, sleep))) {
            Ok(r) => {
                drop(fds);
                let woke = Instant::now();
                if r.is_readable(0) {
                    server4_recv(s);
                }
                let mut channel = s.ctl.take();
                let after = ctl::server4_ctl(&mut channel, s, r, ctl_fds);
                s.ctl = channel;
                s.stats.turn(before_wait + woke.elapsed());
                if after == ctl::After::Exit {
                    return;
                }
            }
            Err(e) => {
                log_err!("server4_mainloop", "poll: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Prints the leases of the journal at `path` (`--dump-leases`).
fn dump_leases(path: &str) -> Result<(), String> {
    if !Path::new(path).exists() {
        return Err(format!("{path}: no such file"));
    }
    let now = now_secs();
    let mut leases = std::collections::BTreeMap::new();
    // A client holds one lease: its new address replaces the old one.
    let mut held = std::collections::HashMap::new();
    let mut quarantined = std::collections::BTreeMap::new();
    let read = read_file(Path::new(path), |r| match r.into_change() {
        Change4::Bind(l) => {
            if let Some(old) = held.insert(l.client.clone(), l.addr) {
                leases.remove(&old);
            }
            if let Some((c, _, _)) = leases.insert(l.addr, (l.client, l.subnet, l.expires)) {
                held.remove(&c);
            }
        }
        Change4::Release { client, addr } | Change4::Expire { client, addr } => {
            if leases.get(&addr).is_some_and(|(c, _, _)| *c == client) {
                leases.remove(&addr);
                held.remove(&client);
            }
        }
        Change4::Decline { addr, until, .. } => {
            if let Some((c, _, _)) = leases.remove(&addr) {
                held.remove(&c);
            }
            quarantined.insert(addr, until);
        }
    })
    .map_err(|e| e.to_string())?;
    if let Some(d) = read.damage {
        eprintln!(
            "dhcp4s: {path}: damaged tail at offset {} ({}): {} octets ignored",
            d.offset,
            d.what.name(),
            d.discarded
        );
    }
    println!("# address client subnet expires (Unix seconds; as of {now})");
    for (addr, (client, subnet, expires)) in leases.iter().filter(|(_, l)| l.2 > now) {
        let ends = if *expires == u64::MAX {
            "never".to_string()
        } else {
            expires.to_string()
        };
        println!("{addr} {} {subnet} {ends}", ctl::client_text(client));
    }
    for (addr, until) in quarantined.iter().filter(|(_, u)| **u > now) {
        println!("quarantined {addr} until {until}");
    }
    Ok(())
}

fn main() {
    let mut sh = DHCP4S.parse(cli());
    if let Some(path) = sh.args.get_one::<String>("dump-leases") {
        if let Err(e) = dump_leases(path) {
            sh.fail(e);
        }
        exit(0);
    }
    sh.init_logging();
    let mut state = server4_init(&sh).unwrap_or_else(|e| sh.fail(e));
    // After dropping root (-u) the journal's compaction still creates a
    // file beside it.
    if let Some(j) = &state.journal {
        sh.writes_beside("lease journal", j.path());
    }
    let _pid = sh.detach();
    // The store's thread runs in the process that stays.
    state.db.start();
    if let Some(j) = state.journal.as_mut() {
        if let Err(e) = j.record_pid() {
            log_warn!("server4_init", "lease journal lock file: {e}");
        }
    }
    sh.catch_signals();
    log_info!("server4_init", "serving DHCPv4 over DHCPv6");
    server4_mainloop(&mut state);
    log_counters(&state);
    write_stats(&mut state, Instant::now());
}
