//! dhcp6s: the kame6 DHCPv6 server.
//!
//! WIDE-DHCPv6's command line and files (doc/wide-compat.md §1.2) and KAME's loop:
//! `server6_init` → `server6_mainloop` → `server6_recv` →
//! `process_relayforw` → `react_*` → `server6_send`. One thread, one poll
//! loop, datagrams moved in batches (recvmmsg / sendmmsg). `-t` checks the
//! configuration file and exits (kame6 extension).
//!
//! Bindings are kept in the lease journal (`lease-file`, by default
//! `dhcp6s.<interfaces>.leases` beside the DUID file, one per instance;
//! doc/lease-journal.md): every change a Reply acknowledges is on disk
//! before the Reply leaves, and start-up replays it. A journal is locked
//! while a server uses it. `--dump-leases FILE` lists a journal's leases.
//!
//! The modules, leaves first: `answer` (what flows through one datagram),
//! `pools`, `scope` (where a client is in the configuration), `auth`,
//! `react` (the `react_*` handlers), `reconf` (sending Reconfigure), `ctl`
//! (the control channel's commands); `server` (`server6_recv`) uses them
//! all, and this file starts it and runs the loop.

mod answer;
mod auth;
mod ctl;
mod dhcp4o6;
mod outbox;
mod pools;
mod react;
mod reconf;
mod scope;
mod server;
mod stats;
#[cfg(test)]
mod tests;

use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Arg, ArgAction, Command};
use libdhcp6::auth::ReplayCounter;
use libdhcp6::config::{load_server, Holder, ServerConfig};
use libdhcp6::ctl::{ReconfigureType, DEFAULT_SERVER_KEY_FILE};
use libdhcp6::lease::{expiry_sleep, Change, IaKind, LeaseStore, MemStore};
use libdhcp6::overload::{Overload, ShedReason, Verdict, ADMISSION_INTERVAL};
use libdhcp6::paths::{self, LEGACY_LEASE_FILE_NAME, LEGACY_REPLAY_FILE_NAME};
use libdhcp6::stats::Histogram;
use libdhcp6::sys::admission::admission_interval;
use libdhcp6::sys::batch::{RecvBatch, SendBatch};
use libdhcp6::sys::conf::{check_file, Daemon, FsLoader, DEFAULT_SERVER_CONF};
use libdhcp6::sys::duid_file;
use libdhcp6::sys::journal::{self, JournalError, JournalStore, Opened};
use libdhcp6::sys::net::{
    if_nametoindex, interface_addresses, is_global_unicast, is_unique_local, wait_readable,
    PollFds, Udp6Socket,
};
use libdhcp6::sys::replay_file::Reservation;
use libdhcp6::sys::shell::{ConfigFile, Program, Shell};
use libdhcp6::sys::signal::{self, Caught};
use libdhcp6::sys::stats::StatsFile;
use libdhcp6::wire::{ALL_DHCP_RELAY_AGENTS_AND_SERVERS, ALL_DHCP_SERVERS, SERVER_PORT};
use libdhcp6::{
    log_debug, log_err, log_info, log_notice, log_report, log_warn, Duid, MessageType, Prefix6,
};

use crate::answer::Incoming;
use crate::ctl::CtlTarget;
use crate::dhcp4o6::{Forwarder, IpcLink, Refused};
use crate::outbox::Outbox;
use crate::scope::Served;
use crate::server::{DropReason, Server};

/// The default PID file (WIDE's `RUNDIR/dhcp6s.pid`, chosen at build time).
const DEFAULT_PIDFILE: &str = libdhcp6::paths::SERVER_PIDFILE;
/// The default DUID file (WIDE's `LOCALDBDIR/dhcp6s_duid`, chosen at build
/// time), shared by every instance; `--duid-file` changes it.
const DEFAULT_DUID_FILE: &str = libdhcp6::paths::SERVER_DUID_FILE;
/// Largest datagram accepted; longer ones arrive truncated and are dropped.
const RX_LEN: usize = 16384;
/// Room for an answer wrapped in Relay-replies.
const TX_LEN: usize = 65535;
/// Datagrams per recvmmsg / sendmmsg.
const BATCH: usize = 64;
/// Batches per loop turn before signals and timers are looked at again.
const BATCHES_PER_TURN: usize = 16;
/// Answers an outbox batch holds: a whole turn's, or those of the turns
/// committed while a sync is under way (more wait for it). The buffers
/// are allocated zeroed and touched only as used, so the idle cost is
/// address space.
const TX_BATCH: usize = BATCH * BATCHES_PER_TURN;
/// Longest a turn reads before its answers are committed and sent: under
/// a flood, `BATCHES_PER_TURN` batches (1,024 datagrams) would take tens of
/// milliseconds on a capped CPU, every answer of the turn held back
/// meanwhile (doc/overload.md).
const TURN_BUDGET: Duration = Duration::from_millis(5);
/// How often the receive buffer is resized to the measured service rate.
const RETUNE_EVERY: Duration = Duration::from_secs(1);
/// Longest sleep of the loop (expiry is re-checked at least this often).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// Most leases, quarantines and Reconfigure records ended per loop turn:
/// after a mass binding a million may end in the same second, and ending
/// them (and journaling the ends) in one turn would hold every answer
/// back meanwhile. The rest end in the next turns, with the socket read
/// between them (doc/overload.md "No stalls").
const EXPIRE_PER_TURN: usize = 2048;

/// dhcp6s as the daemon shell sees it (WIDE's flags, `-P pidfile`).
const DHCP6S: Program = Program {
    name: "dhcp6s",
    about: "DHCPv6 server (kame6)",
    version: env!("CARGO_PKG_VERSION"),
    init: "server6_init",
    pidfile_flag: 'P',
    pidfile: DEFAULT_PIDFILE,
    config: Some(ConfigFile {
        default: DEFAULT_SERVER_CONF,
        check: |path, dump, _| check_file(Daemon::Server, path, dump),
    }),
    ctl_key: Some(DEFAULT_SERVER_KEY_FILE),
    duid_file: Some(DEFAULT_DUID_FILE),
    more_defaults: &[("lease journal", paths::SERVER_LEASE_FILE)],
};

/// The shared flags and dhcp6s's own.
fn cli() -> Command {
    DHCP6S
        .command()
        .arg(
            Arg::new("ctlport")
                .short('p')
                .value_name("ctlport")
                .help("control channel TCP port on ::1 (default 5547; number or service name)"),
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
                .help("keep bindings in memory only: nothing survives a restart"),
        )
        .args(libdhcp6::sys::stats::args())
        .arg(
            Arg::new("interface")
                .required_unless_present_any(["check", "dump-leases"])
                .num_args(1..)
                .help("interfaces to serve"),
        )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Milliseconds of a monotonic clock started with the process: the timing
/// of Reconfigure retransmissions, which a wall-clock step must not upset.
pub fn now_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The running server, its bindings in `S` (the lease journal, or memory
/// with `--memory-leases`).
struct State<S: LeaseStore> {
    server: Server<S>,
    holder: Holder<ServerConfig>,
    config_path: String,
    sock: Udp6Socket,
    rx: RecvBatch,
    /// Answers waiting for their turns to be durable.
    out: Outbox,
    /// Advertises, which bind nothing and need no journal sync: they leave
    /// after each receive batch instead of after the turn's commit.
    early: SendBatch,
    ctl: Option<libdhcp6::sys::ctl::CtlChannel>,
    /// The DHCPv4-over-DHCPv6 IPC, with `dhcp4o6-port`.
    ipc: Option<IpcLink>,
    /// The replay counter persisted ahead of use (C-175).
    replay: Reservation,
    /// `--stats-file`: where the statistics go.
    stats_file: Option<StatsFile>,
    /// How long each turn of the main loop worked.
    turns: Histogram,
    /// Shedding under overload, waits and backlogs, the receive buffer.
    overload: Overload,
    /// When the receive buffer was last fitted to the service rate.
    retuned: Instant,
    /// When the admission share was last revised.
    admitted: Instant,
}

/// Reads and checks the configuration; errors are `file:line:col: what`.
fn load_config(path: &str) -> Result<libdhcp6::config::Staged<ServerConfig>, String> {
    let staged = load_server(path, &mut FsLoader, now_secs()).map_err(|e| e.to_string())?;
    for w in &staged.warnings {
        log_warn!("server6_init", "{w}");
    }
    Ok(staged)
}

/// Interface indexes and on-link prefixes of the served interfaces.
fn served_interfaces(names: &[String]) -> Result<Vec<Served>, String> {
    names
        .iter()
        .map(|name| {
            let ifindex = if_nametoindex(name).map_err(|e| e.to_string())?;
            let onlink = interface_addresses(name)
                .map_err(|e| format!("{name}: {e}"))?
                .into_iter()
                .filter(|a| is_global_unicast(a) || is_unique_local(a))
                .map(|addr| Prefix6 { addr, len: 64 })
                .collect();
            Ok(Served {
                name: name.clone(),
                ifindex,
                onlink,
            })
        })
        .collect()
}

/// The instance a server is: the DUID file it shares with every other
/// instance, and the interfaces that name its own state files.
struct Instance<'a> {
    duid_path: &'a Path,
    interfaces: &'a [String],
}

/// Which names this instance's state files have (doc/lease-journal.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Naming {
    /// `dhcp6s.<interfaces>.leases` and `.replay`: its own.
    PerInstance,
    /// The shared `dhcp6s.leases` and `dhcp6s.replay` of earlier
    /// versions, kept because they were there and free.
    Legacy,
}

impl Instance<'_> {
    /// The directory of the state files: the DUID file's.
    fn state_dir(&self) -> &Path {
        self.duid_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// The replay counter file (C-175) that goes with the journal's naming.
    fn replay_path(&self, naming: Naming) -> PathBuf {
        self.state_dir().join(match naming {
            Naming::PerInstance => paths::replay_file_name(self.interfaces),
            Naming::Legacy => LEGACY_REPLAY_FILE_NAME.to_string(),
        })
    }
}

/// Opens (locking) the lease journal: `lease-file` when the configuration
/// names one; else the instance's `dhcp6s.<interfaces>.leases` beside the
/// DUID file, unless that does not exist yet and the shared
/// `dhcp6s.leases` of earlier versions does and no other server holds it:
/// then that one, so a single-server machine keeps its leases across the
/// upgrade (doc/lease-journal.md).
fn open_journal(cfg: &ServerConfig, inst: &Instance<'_>) -> Result<(JournalStore, Naming), String> {
    if let Some(f) = &cfg.lease_file {
        // A fresh install has no lease directory yet (the sample files
        // point under /var/lib/kame6): make it, as the DUID file's
        // directory is made (the default journals are in that one).
        if let Some(dir) = Path::new(f).parent().filter(|d| !d.exists()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("lease journal directory {}: {e}", dir.display()))?;
        }
        let store = open_journal_at(Path::new(f)).map_err(journal_failure)?;
        return Ok((store, Naming::PerInstance));
    }
    let own = inst
        .state_dir()
        .join(paths::lease_file_name(inst.interfaces));
    let legacy = inst.state_dir().join(LEGACY_LEASE_FILE_NAME);
    if !own.exists() && legacy.exists() {
        match open_journal_at(&legacy) {
            Ok(store) => {
                log_notice!(
                    "server6_init",
                    "using the shared lease journal {} of an earlier version; this instance's own is {} (stop dhcp6s and rename the journal to move it)",
                    legacy.display(),
                    own.display()
                );
                return Ok((store, Naming::Legacy));
            }
            Err(JournalError::Locked { .. }) => log_notice!(
                "server6_init",
                "{}: held by another server; this instance starts its own journal",
                legacy.display()
            ),
            Err(e) => return Err(journal_failure(e)),
        }
    }
    let store = open_journal_at(&own).map_err(journal_failure)?;
    Ok((store, Naming::PerInstance))
}

/// The start-up error for a journal that could not be opened.
fn journal_failure(e: JournalError) -> String {
    match e {
        // Moving the file aside would be wrong: another server is using it.
        JournalError::Locked { .. } => format!("lease journal {e}"),
        e => format!("lease journal {e}; move the file aside to start empty"),
    }
}

/// Opens (locking) the lease journal at `path` and logs what start-up
/// found in it.
fn open_journal_at(path: &Path) -> Result<JournalStore, JournalError> {
    // Absolute, so compaction still finds it after daemonize's chdir("/").
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let Opened { store, report } = JournalStore::open(&path, now_secs())?;
    if let Some(d) = report.damage {
        log_warn!(
            "server6_init",
            "lease journal {}: damaged tail at offset {} ({}): {} octets discarded, {} records before it kept",
            path.display(),
            d.offset,
            d.what.name(),
            d.discarded,
            report.records
        );
    }
    for c in &report.expired {
        match c {
            Change::Expire { key: k, res: r } => log_info!(
                "server6_init",
                "lease {}/{} of {} {} {} ended while the server was down; dropped",
                r.addr,
                r.len,
                k.duid,
                k.kind.name(),
                k.iaid
            ),
            Change::Unquarantine(r) => log_info!(
                "server6_init",
                "quarantine of {} ended while the server was down",
                r.addr
            ),
            _ => {}
        }
    }
    log_notice!(
        "server6_init",
        "lease journal {}{}: {} records replayed, {} bindings, {} quarantined, {} expired dropped",
        path.display(),
        if report.created { " (new)" } else { "" },
        report.records,
        store.bindings().count(),
        store.quarantined().count(),
        report.expired.len()
    );
    Ok(store)
}

/// Prints the leases of the journal at `path` (`--dump-leases`), one line
/// each, remaining lifetimes as of now.
fn dump_leases(path: &str) -> Result<(), String> {
    let now = now_secs();
    // Reading a missing journal gives an empty one; here it is a mistake.
    if !Path::new(path).exists() {
        return Err(format!("{path}: no such file"));
    }
    let replay = journal::read(Path::new(path), now).map_err(|e| e.to_string())?;
    if let Some(d) = replay.damage {
        eprintln!(
            "dhcp6s: {path}: damaged tail at offset {} ({}): {} octets ignored",
            d.offset,
            d.what.name(),
            d.discarded
        );
    }
    let mut bindings: Vec<_> = replay.store.bindings().collect();
    bindings.sort_by(|a, b| a.key.cmp(&b.key));
    println!("# duid ia iaid lease preferred-left valid-left expires (Unix seconds; as of {now})");
    for b in bindings {
        for l in &b.leases {
            let left = l.remaining(now);
            let (pl, vl) = (left.preferred, left.valid);
            let ends = l
                .expires()
                .map_or_else(|| "never".to_string(), |t| t.to_string());
            println!(
                "{} {} {} {}/{} {pl} {vl} {ends}",
                b.key.duid,
                b.key.kind.name(),
                b.key.iaid,
                l.res.addr,
                l.res.len
            );
        }
    }
    let mut q: Vec<_> = replay.store.quarantined().collect();
    q.sort();
    for q in q {
        println!("quarantined {}/{} until {}", q.res.addr, q.res.len, q.until);
    }
    // Clients that accept Reconfigure; their keys stay in the journal.
    let mut r: Vec<_> = replay.store.reconfs().collect();
    r.sort_by(|a, b| a.duid.cmp(b.duid));
    for r in r {
        println!("reconfigure {} until {}", r.duid, r.info.until);
    }
    Ok(())
}

/// Logs the leases the configuration's pools no longer cover: they are kept
/// until they expire, as other servers do, but never renewed from a pool.
fn log_outside_pools<S: LeaseStore>(server: &Server<S>, func: &str) {
    let n = server.leases_outside_pools();
    if n > 0 {
        log_notice!(
            func,
            "{n} leases are outside every configured pool and host entry; kept until they expire"
        );
    }
}

/// Sets everything up (mirrors dhcp6s.c:server6_init); `open` opens the
/// lease store for the configuration and the instance, and says how the
/// instance's state files are named.
fn server6_init<S: LeaseStore>(
    sh: &Shell,
    open: impl FnOnce(&ServerConfig, &Instance<'_>) -> Result<(S, Naming), String>,
) -> Result<State<S>, String> {
    let args = &sh.args;
    let config_path = sh.config.clone().unwrap_or_default();
    let staged = load_config(&config_path)?;
    let names: Vec<String> = args
        .get_many::<String>("interface")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    let served = served_interfaces(&names)?;
    let duid_path = sh.duid_file.clone().unwrap_or_default();
    if let Some(dir) = duid_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    let (duid, created) =
        duid_file::load_or_create(&duid_path).map_err(|e| format!("DUID: {e}"))?;
    if created {
        log_info!(
            "server6_init",
            "saved generated DUID to {}",
            duid_path.display()
        );
    }
    log_info!("server6_init", "server DUID {duid}");
    let mut holder = Holder::new(ServerConfig::default());
    let cfg = staged.commit(&mut holder);
    drop(cfg);
    let cfg = holder.current();
    // Before the socket: a journal that cannot be read, or that another
    // server holds, stops start-up without the server ever appearing on
    // the network.
    let inst = Instance {
        duid_path: &duid_path,
        interfaces: &names,
    };
    let (store, naming) = open(&cfg, &inst)?;
    let sock = Udp6Socket::bind(Ipv6Addr::UNSPECIFIED, SERVER_PORT)
        .map_err(|e| format!("bind [::]:{SERVER_PORT}: {e}"))?;
    for s in &served {
        for group in [ALL_DHCP_RELAY_AGENTS_AND_SERVERS, ALL_DHCP_SERVERS] {
            sock.join_multicast(&group, s.ifindex)
                .map_err(|e| format!("join {group} on {}: {e}", s.name))?;
        }
    }
    let dhcp4o6_port = cfg.dhcp4o6_port;
    let mut server = Server::new(cfg, duid, store, served);
    server.loaded = now_secs();
    let ipc = match dhcp4o6_port {
        Some(p) => {
            let fwd =
                Forwarder::new(p).ok_or_else(|| format!("dhcp4o6-port {p}: no port {p}+1"))?;
            let local = fwd.local;
            let link =
                IpcLink::bind(local).map_err(|e| format!("bind [::1]:{local} (4o6 IPC): {e}"))?;
            log_info!(
                "server6_init",
                "DHCPv4-over-DHCPv6: IPC on [::1]:{local}, DHCPv4 server at {}",
                fwd.peer
            );
            server.fwd4o6 = Some(fwd);
            Some(link)
        }
        None => None,
    };
    let replay_path = inst.replay_path(naming);
    // A new per-instance file starts above the shared one it replaces.
    let (replay, floor) = Reservation::open_after(&replay_path, &inst.replay_path(Naming::Legacy))
        .map_err(|e| format!("replay counter {}: {e}", replay_path.display()))?;
    server.auth.counter = ReplayCounter::new(floor);
    log_outside_pools(&server, "server6_init");
    let ctl = ctl::server6_ctl_init(args)?;
    let stats_file = StatsFile::from_args(args)?;
    let overload = Overload::new();
    // Without timestamps nothing is shed (no age is known); the rest works.
    if let Err(e) = sock.enable_rx_timestamps() {
        log_warn!(
            "server6_init",
            "receive timestamps: {e}; no shedding by age"
        );
    }
    if let Err(e) = sock.set_recv_buffer(overload.rcvbuf) {
        log_warn!("server6_init", "receive buffer: {e}");
    }
    Ok(State {
        server,
        holder,
        config_path,
        sock,
        rx: RecvBatch::new(BATCH, RX_LEN),
        out: Outbox::new(TX_BATCH, TX_LEN),
        early: SendBatch::new(BATCH, TX_LEN),
        ctl,
        ipc,
        replay,
        stats_file,
        turns: Histogram::durations(),
        overload,
        retuned: Instant::now(),
        admitted: Instant::now(),
    })
}

/// Persists the replay counter ahead of the messages about to leave that
/// carry it (C-175). A failure is logged; the counter still follows the
/// clock, so only a clock set back across a restart could repeat a value.
fn cover_replay<S: LeaseStore>(s: &mut State<S>) {
    cover(&mut s.replay, s.server.auth.counter.last());
}

/// [`cover_replay`] on the reservation alone, for where the rest of the
/// state is borrowed.
fn cover(replay: &mut Reservation, last: u64) {
    if let Err(e) = replay.cover(last) {
        log_err!("server6_send", "replay counter: {e}");
    }
}

/// Sends the Reconfigures that are due (mirrors the retransmission timer
/// of a server's Reconfigure, RFC 8415 §18.3.11), through the same send
/// batch and in the same order as answers: store changes committed and
/// the replay counter persisted first.
fn server6_reconf_send<S: LeaseStore>(s: &mut State<S>) {
    let (now_ms, now) = (now_ms(), now_secs());
    let mut queued = false;
    // Bounded by the batch; each pending Reconfigure is due at most once.
    while let Some(out) = s.out.batch().next_buf() {
        let Some(o) = s.server.server6_reconf(now_ms, now, out) else {
            break;
        };
        s.out
            .batch()
            .commit(o.len, o.dst, o.ifindex, Ipv6Addr::UNSPECIFIED);
        queued = true;
    }
    if queued {
        server6_commit(s, "server6_reconf");
    }
}

/// Ends a turn: commits it (in the background with the journal) and
/// sends whatever answers are durable by now.
fn server6_commit<S: LeaseStore>(s: &mut State<S>, func: &str) {
    match s.server.commit_turn_start() {
        Ok(ticket) => s.out.turn_committed(ticket),
        Err(e) => {
            // Nothing acknowledged may leave before it is stored: the
            // turn's changes are rolled back, its answers withheld.
            s.server
                .log_commit_failure(func, &e, "; answers withheld", now_secs());
            s.out.turn_failed();
        }
    }
    server6_synced(s, false);
}

/// Takes in the store's ended background commits (with `wait`, waits for
/// the one under way first) and sends the answers whose turns are
/// durable, the replay counter persisted first (mirrors the sending half
/// of dhcp6s.c:server6_send).
fn server6_synced<S: LeaseStore>(s: &mut State<S>, wait: bool) {
    if let Err(e) = s.server.poll_synced(wait) {
        s.server
            .log_commit_failure("server6_send", &e, "; answers withheld", now_secs());
    }
    let st = s.server.store.sync_state();
    let State {
        out,
        sock,
        replay,
        server,
        ..
    } = s;
    out.settle(st, |batch| {
        cover(replay, server.auth.counter.last());
        if let (_, Some(e)) = batch.send(sock) {
            log_err!("server6_send", "sendmmsg: {e}");
        }
    });
}

/// Makes room in the outbox for a batch of answers before one is read:
/// when it is full of answers waiting for a sync, waits for the sync
/// (a few rounds at most: each sends a batch or closes the open one).
fn server6_make_room<S: LeaseStore>(s: &mut State<S>) {
    for _ in 0..4 {
        if s.out.room() >= BATCH {
            return;
        }
        server6_synced(s, true);
    }
}

/// The pools' `subnet-id`s, to tell a reload that changed them.
fn subnet_ids(cfg: &ServerConfig) -> Vec<Option<u32>> {
    cfg.pools
        .iter()
        .map(|p| p.subnet_id)
        .chain(cfg.prefix_pools.iter().map(|p| p.subnet_id))
        .collect()
}

/// Re-reads the configuration; a bad file keeps the running one (mirrors
/// server6_reload, without WIDE's bugs).
fn server6_reload<S: LeaseStore>(s: &mut State<S>) {
    let path = s.config_path.clone();
    let old_lease_file = s.server.cfg.lease_file.clone();
    let old_database = s.server.cfg.lease_database.clone();
    let old_subnets = subnet_ids(&s.server.cfg);
    let old_4o6_port = s.server.cfg.dhcp4o6_port;
    match s.holder.reload(|| load_config(&path)) {
        Ok(_) => {
            s.server.reconfigure(s.holder.current());
            s.server.loaded = now_secs();
            log_notice!("server6_reload", "reloaded {path}");
            if s.server.cfg.dhcp4o6_port != old_4o6_port {
                log_warn!(
                    "server6_reload",
                    "dhcp4o6-port changed: the IPC in use stays until dhcp6s restarts"
                );
            }
            if s.server.cfg.lease_file != old_lease_file {
                log_warn!(
                    "server6_reload",
                    "lease-file changed: the journal in use stays until dhcp6s restarts"
                );
            }
            if s.server.cfg.lease_database != old_database
                || subnet_ids(&s.server.cfg) != old_subnets
            {
                log_warn!(
                    "server6_reload",
                    "lease-database or subnet-id changed: the database and subnets in use stay until dhcp6s restarts"
                );
            }
            log_outside_pools(&s.server, "server6_reload");
        }
        Err(e) => log_err!("server6_reload", "{e}; keeping the running configuration"),
    }
}

/// Logs the counters (SIGUSR1, and at exit) whatever the `-d` level:
/// the operator asked for them.
fn log_counters<S: LeaseStore>(s: &State<S>) {
    let c = &s.server.counters;
    for t in 1u8..=37 {
        let (r, x) = (c.received[usize::from(t)], c.sent[usize::from(t)]);
        if r > 0 || x > 0 {
            log_report!(
                "server6_mainloop",
                "{}: received {r}, sent {x}",
                MessageType::from(t)
            );
        }
    }
    for why in DropReason::ALL {
        log_report!(
            "server6_mainloop",
            "dropped ({}): {}",
            why.name(),
            c.dropped(why)
        );
    }
    if let Some(f) = &s.server.fwd4o6 {
        let c = &f.counters;
        log_report!(
            "server6_mainloop",
            "DHCPv4-over-DHCPv6: forwarded {}, answered {}",
            c.forwarded,
            c.answered
        );
        for why in Refused::ALL {
            log_report!(
                "server6_mainloop",
                "DHCPv4-over-DHCPv6 dropped ({}): {}",
                why.name(),
                c.dropped(why)
            );
        }
    }
    for p in s.server.pools.summaries() {
        log_report!(
            "server6_mainloop",
            "{} pool {}: size {}, free {}, declined {}, allocation failures {}",
            if p.prefix { "prefix" } else { "address" },
            p.name,
            p.size,
            p.free,
            p.counts.declined,
            p.counts.failures
        );
    }
    if let Some(j) = s.server.store.commit_stats() {
        log_report!(
            "server6_mainloop",
            "lease journal: {} commits, {} failed, {} octets",
            j.commits,
            j.failures,
            j.bytes
        );
    }
    for why in ShedReason::ALL {
        log_report!(
            "server6_mainloop",
            "shed under overload ({}): {}",
            why.name(),
            s.overload.shedder.shed_count(why)
        );
    }
    log_report!(
        "server6_mainloop",
        "admission share: {:.1}%",
        s.overload.admission.share() * 100.0
    );
    log_report!(
        "server6_mainloop",
        "bindings: {}",
        s.server.store.bindings().count()
    );
    if let Some(r) = s.server.store.report() {
        log_notice!("server6_mainloop", "{r}");
    }
}

/// Writes the statistics file, when there is one.
fn write_stats<S: LeaseStore>(s: &mut State<S>, now: Instant) {
    if let Some(f) = &mut s.stats_file {
        if let Ok(raw) = s.sock.kernel_drops() {
            s.overload.note_kernel_drops(raw);
        }
        let mut text = stats::exposition(&s.server, &s.turns);
        s.overload.append(&mut text, "kame6_dhcp6s_");
        f.write(now, &text);
    }
}

/// The control channel's commands, on the running server.
impl<S: LeaseStore> CtlTarget for State<S> {
    fn reload(&mut self) {
        server6_reload(self);
    }

    fn remove_binding(&mut self, named: IaKind, iaid: u32, duid: &Duid) -> bool {
        self.server.remove_binding(named, iaid, duid)
    }

    fn reconfigure(&mut self, msg_type: ReconfigureType, duid: &Duid) {
        self.server.ctl_reconfigure(msg_type, duid, now_ms());
    }
}

/// Answers one received datagram into the send batch (a DHCPV4-QUERY
/// leaves at once on the IPC instead).
fn server6_answer<S: LeaseStore>(
    server: &mut Server<S>,
    (tx, early): (&mut SendBatch, &mut SendBatch),
    ipc: Option<&IpcLink>,
    inc: &Incoming<'_>,
    now: u64,
) {
    // The send batch holds a whole turn's answers, so this never fails.
    let Some(out) = tx.next_buf() else { return };
    match server.server6_recv(inc, now, out) {
        // A DHCPV4-QUERY framed for the DHCPv4 server: it leaves
        // at once on the IPC; nothing of it is stored.
        Ok(o) if o.msg_type == MessageType::Dhcpv4Query => {
            if let (Some(ipc), Some(framed)) = (ipc, out.get(..o.len)) {
                ipc.forward(framed, o.dst);
            }
        }
        Ok(o) => {
            log_debug!(
                "server6_send",
                "send {} to {}{}",
                o.msg_type,
                o.dst,
                if o.relayed { " (relay-reply)" } else { "" }
            );
            // Answer from the address the request was sent to when
            // that was one of ours (a relay's unicast, RFC 8415
            // §19.3): the kernel then skips source selection. A
            // multicast request gets the kernel's choice.
            let src = if inc.dst.is_multicast() {
                Ipv6Addr::UNSPECIFIED
            } else {
                inc.dst
            };
            // An Advertise stores nothing (react_solicit assigns without
            // committing; RFC 8415 §18.3.1), so it need not wait for the
            // journal's sync.
            let early_ok = o.msg_type == MessageType::Advertise
                && out
                    .get(..o.len)
                    .is_some_and(|a| early.push(a, o.dst, o.ifindex, src));
            if !early_ok {
                tx.commit(o.len, o.dst, o.ifindex, src);
            }
        }
        Err(why) => log_info!(
            "server6_recv",
            "dropped a message from {}: {}",
            inc.src,
            why.name()
        ),
    }
}

/// Handles what is waiting on the socket, a batch at a time (mirrors
/// dhcp6s.c:server6_recv and server6_send). Batches are read and answered
/// into the outbox until the socket is drained, `BATCHES_PER_TURN` were
/// read, `TURN_BUDGET` is spent or the outbox is full; then the store
/// commits once for all of them (group commit: one write, one fdatasync,
/// on the journal's own thread) and the answers leave once that is done,
/// while the loop goes on reading. The fewer syncs per packet, the less a
/// slow disk limits the rate; the budget keeps the answers of a turn from
/// waiting long. Under overload, stale Solicits and Information-requests
/// are shed unread (libdhcp6::overload, doc/overload.md).
fn server6_recv<S: LeaseStore>(s: &mut State<S>) {
    let start = Instant::now();
    let (mut read, mut served, mut more) = (0usize, 0usize, false);
    server6_make_room(s);
    for _ in 0..BATCHES_PER_TURN {
        let got = match s.rx.recv(&s.sock) {
            Ok(n) => n,
            Err(e) => {
                log_err!("server6_recv", "recvmmsg: {e}");
                break;
            }
        };
        read += got;
        more = got == BATCH;
        let now = now_secs();
        refresh_batch(s, got);
        for i in 0..got {
            let Some((pkt, meta)) = s.rx.get(i) else {
                continue;
            };
            if meta.truncated {
                s.server.counters.drop(DropReason::Malformed);
                continue;
            }
            if let Verdict::Shed(_) = s.overload.admit(pkt, s.rx.waited(i)) {
                continue;
            }
            served += 1;
            let inc = Incoming {
                pkt,
                src: meta.src,
                dst: meta.dst,
                ifindex: meta.ifindex,
            };
            let txs = (s.out.batch(), &mut s.early);
            server6_answer(&mut s.server, txs, s.ipc.as_ref(), &inc, now);
        }
        server6_send_early(s);
        if got < BATCH || start.elapsed() >= TURN_BUDGET || s.out.room() < BATCH {
            break;
        }
    }
    server6_commit(s, "server6_recv");
    if let Some(t) = s.overload.end_turn(read, served, start.elapsed(), more) {
        log_notice!("server6_recv", "{t}");
    }
}

/// Sends the Advertises of the batch just read, before the next is read:
/// a turn's commit (and its sync) holds back only what it makes durable.
fn server6_send_early<S: LeaseStore>(s: &mut State<S>) {
    if s.early.is_empty() {
        return;
    }
    // An Advertise may carry the replay counter (authentication).
    cover_replay(s);
    if let (_, Some(e)) = s.early.send(&s.sock) {
        log_err!("server6_send", "sendmmsg: {e}");
    }
}

/// Before a batch is answered, a store shared with other servers re-reads
/// the bindings its messages name, in one query: what another server
/// changed is seen before it is relied on (doc/postgresql.md).
fn refresh_batch<S: LeaseStore>(s: &mut State<S>, got: usize) {
    if !s.server.store.shared() {
        return;
    }
    let mut keys = Vec::new();
    for i in 0..got {
        if let Some((pkt, meta)) = s.rx.get(i) {
            let inc = Incoming {
                pkt,
                src: meta.src,
                dst: meta.dst,
                ifindex: meta.ifindex,
            };
            s.server.wanted_keys(&inc, &mut keys);
        }
    }
    if !keys.is_empty() {
        s.server.refresh(&keys);
    }
}

/// Fits the receive buffer to the service rate measured lately, at most
/// once per `RETUNE_EVERY` (libdhcp6::overload::rcvbuf_for says the rule).
fn server6_retune<S: LeaseStore>(s: &mut State<S>, now: Instant) {
    if now.duration_since(s.retuned) < RETUNE_EVERY {
        return;
    }
    s.retuned = now;
    if let Some(bytes) = s.overload.retune() {
        match s.sock.set_recv_buffer(bytes) {
            Ok(got) => log_debug!(
                "server6_mainloop",
                "receive buffer {bytes} octets asked, {got} granted (service rate {:.0}/s)",
                s.overload.rate.rate.unwrap_or(0.0)
            ),
            Err(e) => log_warn!("server6_mainloop", "receive buffer: {e}"),
        }
    }
}

/// The main loop (mirrors dhcp6s.c:server6_mainloop).
fn server6_mainloop<S: LeaseStore>(s: &mut State<S>) {
    loop {
        // A turn's work is timed from here to the wait, and from the
        // wake-up to the end: the loop-turn histogram shows stalls.
        let turn = Instant::now();
        if signal::take(Caught::Term) || signal::take(Caught::Int) {
            log_info!("server6_mainloop", "exiting");
            server6_flush(s);
            return;
        }
        if signal::take(Caught::Hup) {
            server6_reload(s);
        }
        if signal::take(Caught::Usr1) {
            log_counters(s);
            write_stats(s, turn);
        } else if s.stats_file.as_ref().is_some_and(|f| f.due(turn)) {
            write_stats(s, turn);
        }
        server6_retune(s, turn);
        if turn.duration_since(s.admitted) >= ADMISSION_INTERVAL {
            s.admitted = turn;
            admission_interval(&s.sock, &mut s.overload, "server6_mainloop");
        }
        let now = now_secs();
        let expired = s.server.expire(now, EXPIRE_PER_TURN);
        if expired > 0 {
            log_debug!("server6_mainloop", "{expired} leases ended");
        }
        // Expiries are stored (nothing to do costs nothing). Expiries that
        // could not be stored are rolled back and come again.
        let stored = match s.server.commit_turn_start() {
            Ok(_) => true,
            Err(e) => {
                s.server
                    .log_commit_failure("server6_mainloop", &e, "", now_secs());
                false
            }
        };
        // The store's own work (the journal's room, a compaction step),
        // bounded per turn, after the last turn's answers left.
        let busy = s.server.store.maintain();
        server6_reconf_send(s);
        // Jobs that ended while something else waited for the store (a
        // control command's commit) woke nobody: take them in before
        // sleeping, so no answer is held for nothing.
        server6_synced(s, false);
        // More due than one turn ends, or more of the store's work: no
        // sleep, the next turn goes on after what the socket holds is
        // answered.
        let mut sleep = expiry_sleep(s.server.store.next_expiry(), now, stored, MAX_SLEEP);
        if busy {
            sleep = Duration::ZERO;
        }
        if let Some(due) = s.server.reconf.next_due() {
            sleep = sleep.min(Duration::from_millis(due.saturating_sub(now_ms())));
        }
        if let Some(f) = &s.stats_file {
            sleep = sleep.min(f.until_due(Instant::now()));
        }
        if s.overload.admission.share() < 1.0 {
            // The share climbs back by intervals, also when nothing comes.
            sleep = sleep.min(ADMISSION_INTERVAL);
        }
        let mut fds = PollFds::new();
        fds.push(std::os::fd::AsFd::as_fd(&s.sock));
        if let Some(ipc) = &s.ipc {
            fds.push(std::os::fd::AsFd::as_fd(&ipc.sock));
        }
        let synced_at = fds.len();
        if let Some(fd) = s.server.store.sync_fd() {
            fds.push(fd);
        }
        let ctl_fds = ctl::push_fds(&s.ctl, &mut fds);
        let before_wait = turn.elapsed();
        match wait_readable(&fds, Some(ctl::bound_sleep(&s.ctl, sleep))) {
            Ok(r) => {
                drop(fds);
                let woke = Instant::now();
                if r.is_readable(synced_at) {
                    // A sync ended: its answers leave first.
                    server6_synced(s, false);
                }
                if r.is_readable(0) {
                    server6_recv(s);
                } else if let Some(t) = s.overload.end_turn(0, 0, Duration::ZERO, false) {
                    // A wake-up with nothing waiting is a drained, quiet turn.
                    log_notice!("server6_mainloop", "{t}");
                }
                if let (Some(ipc), Some(fwd)) = (&mut s.ipc, &mut s.server.fwd4o6) {
                    // Pushed right after the server socket.
                    if r.is_readable(1) {
                        ipc.recv(fwd, &s.server.served, &s.sock);
                    }
                }
                // The channel is taken out while its commands run, so the
                // state they act on is the rest of `s`.
                let mut channel = s.ctl.take();
                let after = ctl::server6_ctl(&mut channel, s, r, ctl_fds);
                s.ctl = channel;
                if after == ctl::After::Exit {
                    server6_flush(s);
                    return;
                }
                s.turns.observe_duration(before_wait + woke.elapsed());
            }
            Err(e) => {
                log_err!("server6_mainloop", "poll: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// At exit: waits until every committed turn is durable and sends its
/// answers.
fn server6_flush<S: LeaseStore>(s: &mut State<S>) {
    if let Err(e) = s.server.store.sync_all() {
        s.server
            .log_commit_failure("server6_mainloop", &e, "", now_secs());
    }
    server6_synced(s, false);
}

fn main() {
    let sh = DHCP6S.parse(cli());
    if let Some(path) = sh.args.get_one::<String>("dump-leases") {
        if let Err(e) = dump_leases(path) {
            sh.fail(e);
        }
        exit(0);
    }
    sh.init_logging();
    if let Some(conninfo) = lease_database(&sh) {
        open_database(sh, &conninfo);
    } else if sh.args.get_flag("memory-leases") {
        let init = server6_init(&sh, |_, _| Ok((MemStore::new(), Naming::PerInstance)));
        run(sh, init, |_| {}, |_| None);
    } else {
        let init = server6_init(&sh, open_journal);
        let detached = |store: &mut JournalStore| {
            if let Err(e) = store.record_pid() {
                log_warn!("server6_init", "lease journal lock file: {e}");
            }
            // After detaching: a fork keeps no threads.
            if let Err(e) = store.sync_in_background() {
                log_warn!(
                    "server6_init",
                    "lease journal: no sync thread ({e}); syncing on the main loop"
                );
            }
        };
        run(sh, init, detached, |store| Some(store.path()));
    }
}

/// The configuration's `lease-database`, if it has one (a file that does
/// not load is reported by server6_init).
fn lease_database(sh: &Shell) -> Option<String> {
    let path = sh.config.clone().unwrap_or_default();
    load_config(&path).ok()?.config.lease_database
}

/// Runs the server on the PostgreSQL lease store (doc/postgresql.md):
/// the database must be reachable at start-up, with Kea 2.2's schema.
#[cfg(feature = "postgresql")]
fn open_database(sh: Shell, conninfo: &str) {
    use libdhcp6::lease::kea::SubnetMap;
    use libdhcp6::sys::pg::PgStore;
    let init = server6_init(&sh, |cfg, _| {
        let (store, report) = PgStore::open(conninfo, SubnetMap::from_config(cfg), now_secs())
            .map_err(|e| format!("lease database: {e}"))?;
        log_notice!(
            "server6_init",
            "lease database: {} leases, {} declined addresses, {} bad rows skipped",
            report.leases,
            report.declined,
            report.bad
        );
        Ok((store, Naming::PerInstance))
    });
    run(
        sh,
        init,
        |store| {
            if let Err(e) = store.start() {
                log_err!("server6_init", "lease database: {e}");
            }
        },
        |_| None,
    );
}

/// Without the `postgresql` feature a `lease-database` cannot be served.
#[cfg(not(feature = "postgresql"))]
fn open_database(sh: Shell, _conninfo: &str) {
    sh.fail(
        "lease-database: this dhcp6s was built without PostgreSQL support (cargo feature postgresql)"
            .to_string(),
    );
}

/// Everything after the store is chosen: daemonize, PID file, dropping
/// root, signals, loop. `detached` runs on the store in the process that
/// stays; `journal` names the store's file, if it has one.
fn run<S: LeaseStore>(
    mut sh: Shell,
    init: Result<State<S>, String>,
    detached: fn(&mut S),
    journal: fn(&S) -> Option<&Path>,
) {
    let mut state = init.unwrap_or_else(|e| sh.fail(e));
    // After dropping root (-u) the journal's compaction, the replay
    // counter's updates and the statistics file still create files
    // beside theirs.
    if let Some(j) = journal(&state.server.store) {
        sh.writes_beside("lease journal", j);
    }
    sh.writes_beside("replay counter", state.replay.path());
    if let Some(f) = &state.stats_file {
        sh.writes_beside("statistics file", f.path());
    }
    let _pid = sh.detach();
    detached(&mut state.server.store);
    sh.catch_signals();
    let names: Vec<&str> = state
        .server
        .served
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    log_info!("server6_init", "serving {}", names.join(" "));
    server6_mainloop(&mut state);
    log_counters(&state);
    write_stats(&mut state, Instant::now());
}
