//! dhcp6c: the kame6 DHCPv6 client.
//!
//! WIDE-DHCPv6's command line and files (doc/wide-compat.md §1.3) and KAME's loop:
//! `client6_init` → `client6_mainloop` → `client6_timo` / `client6_recv`.
//! The decisions live in `event.rs` and the modules it uses (one machine
//! per interface, driven by `now`, returning actions; its state a
//! `state::State`): `event::exchange` starts, retransmits and gives up
//! exchanges, `event::recv` is `client6_recv`, `send` is `client6_send`,
//! `ia` holds `update_ia` and `ia_timo`, `auth` the keys and replay values.
//! This file performs the actions: datagrams, netlink address and route
//! changes, the script. `-t` checks the configuration file (kame6
//! extension).

mod action;
mod auth;
mod conf;
mod ctl;
mod dad;
mod dhcp4;
mod dhcp4o6;
mod event;
mod ia;
mod prefixconf;
mod random;
mod script;
mod send;
mod shell4o6;
mod state;
mod stats;

use std::collections::HashMap;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::path::PathBuf;
use std::process::exit;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Arg, ArgAction, Command};
use libdhcp6::config::client::{ClientInterface, Ifid, PrefixInterface, RequestItem};
use libdhcp6::config::{load_client, AuthProtocol, ClientConfig};
use libdhcp6::ctl::DEFAULT_CLIENT_KEY_FILE;
use libdhcp6::stats::Histogram;
use libdhcp6::sys::conf::{check_client_file, FsLoader, DEFAULT_CLIENT_CONF};
use libdhcp6::sys::duid_file;
use libdhcp6::sys::ifconf::{hardware_address, AddrConf, LinkEvent, LinkMonitor};
use libdhcp6::sys::net::{if_nametoindex, interface_addresses, wait_readable, PollFds, Udp6Socket};
use libdhcp6::sys::privs::Need;
use libdhcp6::sys::random::fill as os_random_fill;
use libdhcp6::sys::shell::{ConfigFile, Program, Shell};
use libdhcp6::sys::signal::{self, Caught};
use libdhcp6::sys::stats::StatsFile;
use libdhcp6::wire::{ALL_DHCP_RELAY_AGENTS_AND_SERVERS, CLIENT_PORT, SERVER_PORT};
use libdhcp6::{log_debug, log_err, log_info, log_notice, log_report, Duid, IaKind, OptionCode};

use crate::action::{Action, Delivery, DropReason, LogLevel};
use crate::conf::{DelayedKey, IaConf, IaHint, IfConfig, PrefixIf, WallClock};
use crate::dad::{Seen, Verdict};
use crate::event::Client;
use crate::ia::Lifetimes;
use crate::prefixconf::eui64_ifid;
use crate::random::RandomSource;
use crate::state::Phase;

/// The default PID file (WIDE's `RUNDIR/dhcp6c.pid`, chosen at build time).
const DEFAULT_PIDFILE: &str = libdhcp6::paths::CLIENT_PIDFILE;
/// The default DUID file (WIDE's `LOCALDBDIR/dhcp6c_duid`, chosen at build
/// time); `--duid-file` changes it.
const DEFAULT_DUID_FILE: &str = libdhcp6::paths::CLIENT_DUID_FILE;
/// Longest a script may run before it is killed (WIDE waits forever and
/// the daemon freezes with it, doc/wide-compat.md §9.1 item 6).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest datagram read.
const RX_LEN: usize = 16384;

/// dhcp6c as the daemon shell sees it (WIDE's flags, `-p pidfile`).
const DHCP6C: Program = Program {
    name: "dhcp6c",
    about: "DHCPv6 client (kame6)",
    version: env!("CARGO_PKG_VERSION"),
    init: "client6_init",
    pidfile_flag: 'p',
    pidfile: DEFAULT_PIDFILE,
    config: Some(ConfigFile {
        default: DEFAULT_CLIENT_CONF,
        // -t -P: the profile the command line names must exist.
        check: |path, dump, args| {
            let profile = args.get_one::<String>("profile").map(String::as_str);
            check_client_file(path, dump, profile)
        },
    }),
    ctl_key: Some(DEFAULT_CLIENT_KEY_FILE),
    duid_file: Some(DEFAULT_DUID_FILE),
    more_defaults: &[],
};

/// The shared flags and dhcp6c's own.
fn cli() -> Command {
    DHCP6C
        .command()
        .arg(
            Arg::new("inforeq")
                .short('i')
                .action(ArgAction::SetTrue)
                .help("one Information-request exchange, print the result, exit"),
        )
        .arg(
            Arg::new("profile")
                .short('P')
                .value_name("profile")
                .help("profile for interfaces without an interface block ([debian])"),
        )
        .arg(
            Arg::new("norelease")
                .short('n')
                .action(ArgAction::SetTrue)
                .help("do not send Release when stopping"),
        )
        .arg(
            Arg::new("no-unreachable")
                .long("no-unreachable-route")
                .action(ArgAction::SetTrue)
                .help("do not install an unreachable route for delegated prefixes"),
        )
        .args(libdhcp6::sys::stats::args())
        .arg(
            Arg::new("interface")
                .required_unless_present("check")
                .num_args(1..)
                .help("interfaces to configure"),
        )
}

/// One interface being configured.
struct Iface {
    ifindex: u32,
    script: Option<String>,
    client: Client,
    /// `dhcp4o6-interface`: where the IPv4 address leased over 4o6 goes.
    dhcp4o6_if: Option<String>,
    /// Where the IPv4 lease is kept across restarts.
    lease4_file: PathBuf,
}

/// The running client.
struct State {
    sock: Udp6Socket,
    nl: Option<AddrConf>,
    ifaces: Vec<Iface>,
    duid: Duid,
    args: Opts,
    /// Interface names to indexes, for actions on prefix-interfaces.
    index_cache: HashMap<String, u32>,
    /// Addresses installed on DHCP interfaces.
    installed: Vec<Installed>,
    /// Pending DAD checks.
    dad_checks: Vec<DadCheck>,
    /// Link notifications (None if the socket could not be opened).
    links: Option<LinkMonitor>,
    /// Interfaces whose link was seen going down.
    link_down: Vec<u32>,
    /// The control channel, if a key was read.
    ctl: Option<ctl::Ctl>,
    /// `--stats-file`: where the statistics go.
    stats_file: Option<StatsFile>,
    /// How long each turn of the main loop worked.
    turns: Histogram,
}

/// An address installed on the DHCP interface of machine `iface` (a
/// position in `State::ifaces`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Installed {
    iface: usize,
    addr: Ipv6Addr,
}

/// A pending look at the kernel's DAD verdict on an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DadCheck {
    /// The machine (a position in `State::ifaces`).
    iface: usize,
    /// The address.
    addr: Ipv6Addr,
    /// When to look.
    at: Instant,
    /// Looks left.
    tries: u32,
}

/// When the kernel's DAD is first looked at after installing an address
/// (one probe, RetransTimer 1 s by default), and how often again while
/// the address is still tentative.
const DAD_WAIT: Duration = Duration::from_millis(1500);
/// DAD checks per address before giving up looking.
const DAD_TRIES: u32 = 10;

/// Parsed command line.
#[derive(Debug, Clone)]
struct Opts {
    config: String,
    foreground: bool,
    inforeq: bool,
    no_release: bool,
    unreachable: bool,
    duid_file: PathBuf,
    interfaces: Vec<String>,
    /// `-P`: the profile of interfaces without an `interface` block.
    profile: Option<String>,
}

fn parse_opts(sh: &Shell) -> Result<Opts, String> {
    let m = &sh.args;
    let interfaces: Vec<String> = m
        .get_many::<String>("interface")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    for (i, a) in interfaces.iter().enumerate() {
        if interfaces.iter().skip(i + 1).any(|b| b == a) {
            return Err(format!("duplicated interface: {a}"));
        }
    }
    Ok(Opts {
        config: sh.config.clone().unwrap_or_default(),
        foreground: sh.foreground,
        inforeq: m.get_flag("inforeq"),
        no_release: m.get_flag("norelease"),
        unreachable: !m.get_flag("no-unreachable"),
        duid_file: sh.duid_file.clone().unwrap_or_default(),
        interfaces,
        profile: m.get_one::<String>("profile").cloned(),
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The kernel's generator (getrandom(2), through `libdhcp6::sys::random`):
/// RFC 8415 §16.1 asks for unpredictable transaction-ids.
#[derive(Debug, Clone, Copy, Default)]
struct OsRandom;

impl RandomSource for OsRandom {
    fn next_u64(&mut self) -> u64 {
        let mut buf = [0u8; 8];
        if let Err(e) = os_random_fill(&mut buf) {
            // client6_init checked the generator works; getrandom(2)
            // fails later only for a bad buffer, which this is not. Should
            // it still, the clock's nanoseconds are better than a constant.
            log_err!("client6_init", "getrandom: {e}");
            let t = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            return u64::from(t.subsec_nanos()) ^ t.as_secs().rotate_left(32);
        }
        u64::from_ne_bytes(buf)
    }
}

/// A fresh machine for an interface, its randomness from the kernel.
fn new_client(conf: IfConfig, duid: Duid, now: Instant) -> Client {
    Client::new(conf, duid, Box::new(OsRandom), now)
}

/// The per-interface machine configuration from dhcp6c.conf: `ci` is the
/// interface's block or profile, `None` with `-i`.
fn if_config(
    cfg: &ClientConfig,
    name: &str,
    ci: Option<&ClientInterface>,
    opts: &Opts,
    rng: &mut dyn RandomSource,
) -> Result<(IfConfig, Option<String>), String> {
    let Some(ci) = ci else {
        // -i: as if `interface IF { information-only; };` — no ORO, no script.
        return Ok((
            IfConfig {
                ifname: name.to_string(),
                information_only: true,
                ..Default::default()
            },
            None,
        ));
    };
    let mut ias = Vec::new();
    for iaid in &ci.send_ia_na {
        let Some(c) = cfg.ia_nas.iter().find(|i| i.iaid == *iaid) else {
            continue;
        };
        ias.push(IaConf {
            kind: IaKind::Na,
            iaid: *iaid,
            hints: c
                .addresses
                .iter()
                .map(|l| IaHint {
                    addr: l.addr,
                    plen: 128,
                    preferred: l.lifetimes.preferred,
                    valid: l.lifetimes.valid,
                })
                .collect(),
            prefix_ifs: Vec::new(),
        });
    }
    for iaid in &ci.send_ia_ta {
        let Some(c) = cfg.ia_tas.iter().find(|i| i.iaid == *iaid) else {
            continue;
        };
        ias.push(IaConf {
            kind: IaKind::Ta,
            iaid: *iaid,
            hints: c
                .addresses
                .iter()
                .map(|l| IaHint {
                    addr: l.addr,
                    plen: 128,
                    preferred: l.lifetimes.preferred,
                    valid: l.lifetimes.valid,
                })
                .collect(),
            prefix_ifs: Vec::new(),
        });
    }
    for iaid in &ci.send_ia_pd {
        let Some(c) = cfg.ia_pds.iter().find(|i| i.iaid == *iaid) else {
            continue;
        };
        let pifs = prefix_ifs(&c.prefix_interfaces, rng);
        ias.push(IaConf {
            kind: IaKind::Pd,
            iaid: *iaid,
            hints: c
                .prefixes
                .iter()
                .map(|l| IaHint {
                    addr: l.addr,
                    plen: l.len,
                    preferred: l.lifetimes.preferred,
                    valid: l.lifetimes.valid,
                })
                .collect(),
            prefix_ifs: pifs,
        });
    }
    let oro = ci
        .request
        .iter()
        .map(|r| match r {
            RequestItem::Info(k) => k.code(),
            RequestItem::RefreshTime => OptionCode::InformationRefreshTime,
            RequestItem::Raw(c) => OptionCode::from(*c),
        })
        .collect();
    Ok((
        IfConfig {
            ifname: name.to_string(),
            ias,
            rapid_commit: ci.rapid_commit,
            oro,
            information_only: ci.information_only,
            renew_missing_ia: ci.renew_missing_ia,
            unreachable_route: opts.unreachable,
            reconfigure_accept: ci.reconfigure_accept,
            delayed_auth: delayed_keys(cfg, ci.authentication.as_deref()),
            wall_clock: None,
            dhcp4o6: None,
        },
        ci.script.clone(),
    ))
}

/// The LANs numbered from an IA_PD's prefixes (`prefix-interface`
/// blocks), their interface identifiers resolved: configured, random, or
/// the interface's EUI-64.
fn prefix_ifs(pis: &[PrefixInterface], rng: &mut dyn RandomSource) -> Vec<PrefixIf> {
    let mut pifs = Vec::new();
    for (pos, p) in pis.iter().enumerate() {
        let ifid = match p.ifid {
            Ifid::Value(v) => v,
            Ifid::Random => rng.next_u64(),
            Ifid::Eui64 => match hardware_address(&p.name).and_then(|m| eui64_ifid(&m)) {
                Some(v) => v,
                None => {
                    log_err!(
                        "client6_init",
                        "{}: no EUI-64 interface identifier; using ::1",
                        p.name
                    );
                    1
                }
            },
        };
        pifs.push(PrefixIf {
            ifname: p.name.clone(),
            sla_id: p.sla_id.unwrap_or(u32::try_from(pos).unwrap_or(0)),
            sla_len: p.sla_len,
            ifid,
        });
    }
    pifs
}

/// The keys of `send authentication NAME` (doc/wide-compat.md §2.4.4, §2.4.5):
/// every `keyinfo`, in file order, the server choosing by realm and key
/// ID; expiry dates resolved against the time the file was read.
fn delayed_keys(cfg: &ClientConfig, auth: Option<&str>) -> Option<Vec<DelayedKey>> {
    let a = cfg.auths.iter().find(|a| Some(a.name.as_str()) == auth)?;
    // The configuration check lets only `protocol delayed` into a client.
    if a.protocol != AuthProtocol::Delayed {
        return None;
    }
    let loaded = unix_now();
    Some(
        cfg.keys
            .iter()
            .map(|k| DelayedKey {
                name: k.name.clone(),
                realm: k.realm.as_bytes().to_vec(),
                key_id: k.keyid,
                secret: k.secret.clone(),
                expires: k.expire.resolve(loaded),
            })
            .collect(),
    )
}

fn load_config(opts: &Opts) -> Result<ClientConfig, String> {
    if opts.inforeq {
        return Ok(ClientConfig::default());
    }
    let staged = load_client(&opts.config, &mut FsLoader, unix_now()).map_err(|e| e.to_string())?;
    // Every command-line interface needs its block or the -P profile:
    // checked here, before the network is touched at start-up and before
    // anything is released on a reload (a file without keeps the running one).
    staged
        .config
        .select(&opts.interfaces, opts.profile.as_deref())
        .map_err(|e| format!("{}: {e}", opts.config))?;
    for w in &staged.warnings {
        log_notice!("client6_init", "{w}");
    }
    Ok(staged.config)
}

/// Mirrors dhcp6c.c:client6_init.
fn client6_init(opts: Opts) -> Result<State, String> {
    if let Some(dir) = opts
        .duid_file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        let _ = std::fs::create_dir_all(dir);
    }
    let (duid, created) =
        duid_file::load_or_create(&opts.duid_file).map_err(|e| format!("DUID: {e}"))?;
    if created {
        log_info!(
            "client6_init",
            "saved generated DUID to {}",
            opts.duid_file.display()
        );
    }
    log_info!("client6_init", "client DUID {duid}");
    let cfg = load_config(&opts)?;
    let sock = Udp6Socket::bind(Ipv6Addr::UNSPECIFIED, CLIENT_PORT)
        .map_err(|e| format!("bind [::]:{CLIENT_PORT}: {e}"))?;
    sock.set_multicast_hops(1)
        .map_err(|e| format!("multicast hops: {e}"))?;
    sock.set_multicast_loop(false)
        .map_err(|e| format!("multicast loop: {e}"))?;
    let nl = match AddrConf::open() {
        Ok(n) => Some(n),
        Err(e) => {
            log_err!(
                "client6_init",
                "netlink: {e}; addresses will not be installed"
            );
            None
        }
    };
    let now = Instant::now();
    let ifaces = build_clients(&cfg, &opts, &duid, now)?;
    Ok(State {
        sock,
        nl,
        ifaces,
        duid,
        args: opts,
        index_cache: HashMap::new(),
        installed: Vec::new(),
        dad_checks: Vec::new(),
        links: match LinkMonitor::open() {
            Ok(m) => Some(m),
            Err(e) => {
                log_err!(
                    "client6_init",
                    "link monitor: {e}; link changes will go unnoticed"
                );
                None
            }
        },
        link_down: Vec::new(),
        ctl: None,
        stats_file: None,
        turns: Histogram::durations(),
    })
}

fn build_clients(
    cfg: &ClientConfig,
    opts: &Opts,
    duid: &Duid,
    now: Instant,
) -> Result<Vec<Iface>, String> {
    // The machines' transaction-ids come from the kernel's generator: one
    // that does not work stops start-up rather than leaving them guessable.
    os_random_fill(&mut [0u8; 8]).map_err(|e| format!("getrandom: {e}"))?;
    let mut out = Vec::new();
    // -i reads no configuration (doc/wide-compat.md §1.3).
    let blocks = if opts.inforeq {
        vec![None; opts.interfaces.len()]
    } else {
        cfg.select(&opts.interfaces, opts.profile.as_deref())
            .map_err(|e| format!("{}: {e}", opts.config))?
            .into_iter()
            .map(Some)
            .collect()
    };
    for (name, ci) in opts.interfaces.iter().zip(blocks) {
        if let Some(p) = ci.filter(|c| c.name != *name) {
            log_info!(
                "client6_init",
                "{name}: no interface block; profile {}",
                p.name
            );
        }
        let ifindex = if_nametoindex(name).map_err(|e| e.to_string())?;
        let (mut conf, script) = if_config(cfg, name, ci, opts, &mut OsRandom)?;
        let lease4_file = shell4o6::lease_file(&opts.duid_file, name);
        conf.dhcp4o6 = ci.and_then(|c| shell4o6::dhcp4o6_conf(c, name, duid, &lease4_file));
        conf.wall_clock = Some(WallClock {
            at: now,
            unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
        });
        out.push(Iface {
            ifindex,
            script,
            client: new_client(conf, duid.clone(), now),
            dhcp4o6_if: ci.and_then(|c| c.dhcp4o6_interface.clone()),
            lease4_file,
        });
    }
    Ok(out)
}

fn ifindex_of(s: &mut State, ifname: &str) -> Option<u32> {
    if let Some(i) = s.index_cache.get(ifname) {
        return Some(*i);
    }
    match if_nametoindex(ifname) {
        Ok(i) => {
            s.index_cache.insert(ifname.to_string(), i);
            Some(i)
        }
        Err(e) => {
            log_err!("client6_update", "{e}");
            None
        }
    }
}

/// Runs the script with exactly `env` (doc/wide-compat.md §3.1), after the
/// Reply's contents were applied (Debian's order), waiting for it.
fn client6_script(path: &str, env: &[(String, String)], foreground: bool) {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => {}
        Ok(_) => {
            log_err!("client6_script", "{path} is not a regular file");
            return;
        }
        Err(e) => {
            log_err!("client6_script", "{path}: {e}");
            return;
        }
    }
    let mut cmd = std::process::Command::new(path);
    cmd.env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    cmd.stdin(std::process::Stdio::null());
    if !foreground {
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
    }
    match cmd.spawn() {
        Ok(mut child) => {
            let deadline = Instant::now() + SCRIPT_TIMEOUT;
            loop {
                match child.try_wait() {
                    Ok(Some(st)) => {
                        log_debug!("client6_script", "script {path} exited: {st}");
                        break;
                    }
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(10))
                    }
                    _ => {
                        log_err!("client6_script", "script {path} took too long; killed");
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
        Err(e) => log_err!("client6_script", "{path}: {e}"),
    }
}

/// Sends `bytes` to ff02::1:2 on interface `ifindex` (mirrors the sending
/// part of dhcp6c.c:client6_send).
fn client6_send(s: &State, ifindex: u32, ifname: &str, bytes: &[u8]) {
    // RFC 8415 §13.1: from a link-local address. Without one (an interface
    // just up, DAD running) the datagram would leave from :: or not at
    // all; the machine's retransmission tries again.
    let has_ll = interface_addresses(ifname)
        .map(|v| v.iter().any(|a| a.segments()[0] & 0xffc0 == 0xfe80))
        .unwrap_or(true);
    if !has_ll {
        log_info!(
            "client6_send",
            "{ifname} has no link-local address yet; not sent"
        );
        return;
    }
    let dst = SocketAddrV6::new(ALL_DHCP_RELAY_AGENTS_AND_SERVERS, SERVER_PORT, 0, ifindex);
    let kind = bytes.first().copied().map(libdhcp6::MessageType::from);
    match s.sock.send(bytes, dst, ifindex, Ipv6Addr::UNSPECIFIED) {
        Ok(_) => log_debug!(
            "client6_send",
            "send {} to ff02::1:2%{ifname}",
            kind.map(|k| k.to_string()).unwrap_or_default()
        ),
        // Right after link-up the link-local address is there but still
        // tentative (DAD running), and the kernel has no source for the
        // datagram: expected, and the retransmission tries again.
        Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => log_info!(
            "client6_send",
            "{ifname} has no usable source address yet (DAD running); not sent"
        ),
        Err(e) => log_err!("client6_send", "transmit failed on {ifname}: {e}"),
    }
}

/// Adds or refreshes `addr`/`plen` on interface `on` for the machine of
/// interface `i` (DHCP interface `ifname`); a new address on the DHCP
/// interface gets its DAD result looked at (C-131), refreshes do not.
fn update_address(
    s: &mut State,
    i: usize,
    ifname: &str,
    on: &str,
    addr: Ipv6Addr,
    plen: u8,
    life: Lifetimes,
) {
    let Some(idx) = ifindex_of(s, on) else {
        return;
    };
    let Some(nl) = s.nl.as_mut() else {
        return;
    };
    let Lifetimes { preferred, valid } = life;
    match nl.add_address(idx, addr, plen, preferred, valid) {
        Ok(()) => {
            log_info!(
                "update_address",
                "add an address {addr}/{plen} on {on} pltime={preferred}, vltime={valid}"
            );
            let installed = Installed { iface: i, addr };
            if on == ifname && !s.installed.contains(&installed) {
                s.installed.push(installed);
                s.dad_checks.push(DadCheck {
                    iface: i,
                    addr,
                    at: Instant::now() + DAD_WAIT,
                    tries: DAD_TRIES,
                });
            }
        }
        Err(e) => log_err!("update_address", "failed to add {addr}/{plen} on {on}: {e}"),
    }
}

/// Performs the machine's actions for interface `i`; returns the info
/// lines if a stateless Reply arrived (for `-i`).
fn perform(s: &mut State, i: usize, actions: Vec<Action>) -> Option<Vec<String>> {
    let mut info = None;
    for a in actions {
        let Some(ifc) = s.ifaces.get(i) else {
            return info;
        };
        let (ifindex, ifname) = (ifc.ifindex, ifc.client.ifname().to_string());
        match a {
            Action::Send(bytes) => client6_send(s, ifindex, &ifname, &bytes),
            Action::SendTo { to, bytes } => {
                shell4o6::client6_sendto(s, ifindex, &ifname, to, &bytes)
            }
            Action::Lease4(c) => shell4o6::client6_lease4(s, i, *c),
            Action::AddAddress {
                ifname: on,
                addr,
                plen,
                preferred,
                valid,
            } => {
                let life = Lifetimes { preferred, valid };
                update_address(s, i, &ifname, &on, addr, plen, life)
            }
            Action::DelAddress {
                ifname: on,
                addr,
                plen,
            } => {
                if on == ifname {
                    s.installed.retain(|x| *x != Installed { iface: i, addr });
                    s.dad_checks.retain(|x| (x.iface, x.addr) != (i, addr));
                }
                let Some(idx) = ifindex_of(s, &on) else {
                    continue;
                };
                if let Some(nl) = s.nl.as_mut() {
                    match nl.del_address(idx, addr, plen) {
                        Ok(()) => {
                            log_info!("remove_addr", "remove an address {addr}/{plen} on {on}")
                        }
                        Err(e) => {
                            log_err!("remove_addr", "failed to remove {addr}/{plen} on {on}: {e}")
                        }
                    }
                }
            }
            Action::AddUnreachable(libdhcp6::Prefix6 { addr: p, len: l }) => {
                if let Some(nl) = s.nl.as_mut() {
                    match nl.add_unreachable(p, l) {
                        Ok(()) => log_info!("update_prefix", "unreachable route for {p}/{l}"),
                        Err(e) => log_err!("update_prefix", "unreachable route {p}/{l}: {e}"),
                    }
                }
            }
            Action::DelUnreachable(libdhcp6::Prefix6 { addr: p, len: l }) => {
                if let Some(nl) = s.nl.as_mut() {
                    if let Err(e) = nl.del_unreachable(p, l) {
                        log_err!("remove_prefix", "unreachable route {p}/{l}: {e}");
                    }
                }
            }
            Action::Script(env) => {
                if let Some(path) = s.ifaces.get(i).and_then(|f| f.script.clone()) {
                    client6_script(&path, &env, s.args.foreground);
                }
            }
            Action::Info(lines) => info = Some(lines),
            Action::Warn(text) => log_err!("update_prefix", "{text}"),
            Action::Log {
                level: LogLevel::Info,
                func,
                text,
            } => log_info!(func, "{text}"),
            Action::Log {
                level: LogLevel::Notice,
                func,
                text,
            } => log_notice!(func, "{text}"),
        }
    }
    info
}

/// Timers of every interface (mirrors dhcp6c.c:client6_timo).
fn client6_timo(s: &mut State, now: Instant) -> Option<Vec<String>> {
    let mut info = None;
    for i in 0..s.ifaces.len() {
        let due = s
            .ifaces
            .get(i)
            .and_then(|f| f.client.next_deadline())
            .is_some_and(|d| now >= d);
        if due {
            let acts = match s.ifaces.get_mut(i) {
                Some(f) => f.client.timeout(now),
                None => continue,
            };
            if let Some(l) = perform(s, i, acts) {
                info = Some(l);
            }
        }
    }
    info
}

/// Looks at the kernel's DAD verdict on new addresses while it is
/// pending; a duplicate is handed to the machine, which declines it. An
/// address not found is no verdict (`dad.rs`): the link monitor's removal
/// notice says whether DAD removed it.
fn client6_dadcheck(s: &mut State, now: Instant) {
    let due: Vec<_> = s
        .dad_checks
        .iter()
        .filter(|c| c.at <= now)
        .copied()
        .collect();
    s.dad_checks.retain(|c| c.at > now);
    for DadCheck {
        iface: i,
        addr,
        tries,
        ..
    } in due
    {
        let Some(ifindex) = s.ifaces.get(i).map(|f| f.ifindex) else {
            continue;
        };
        let flags = match s.nl.as_mut().map(|nl| nl.address_flags(ifindex, addr)) {
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                log_err!("client6_dadcheck", "{addr}: {e}");
                continue;
            }
            None => continue,
        };
        log_debug!("client6_dadcheck", "{addr}: flags {flags:x?}");
        let seen = flags.map_or(Seen::Missing, Seen::Present);
        if client6_addrnews(s, i, addr, seen, now) == Verdict::Pending && tries > 1 {
            s.dad_checks.push(DadCheck {
                iface: i,
                addr,
                at: now + Duration::from_secs(1),
                tries: tries - 1,
            });
        }
    }
}

/// Acts on what was `seen` of `addr`, installed by machine `i`: a
/// duplicate is declined, an address gone with the link (or removed by
/// someone) is forgotten here so that putting it back watches its DAD
/// afresh. Returns the verdict.
fn client6_addrnews(s: &mut State, i: usize, addr: Ipv6Addr, seen: Seen, now: Instant) -> Verdict {
    let Some(ifindex) = s.ifaces.get(i).map(|f| f.ifindex) else {
        return Verdict::Unknown;
    };
    let verdict = dad::verdict(seen, s.link_down.contains(&ifindex));
    match verdict {
        Verdict::Duplicate => {
            log_notice!("client6_dadcheck", "{addr}: duplicate address detected");
            let acts = match s.ifaces.get_mut(i) {
                Some(f) => f.client.dad_failed(now, addr),
                None => return verdict,
            };
            perform(s, i, acts);
        }
        Verdict::Vanished { with_link } => {
            s.installed.retain(|x| *x != Installed { iface: i, addr });
            s.dad_checks.retain(|x| (x.iface, x.addr) != (i, addr));
            if with_link {
                log_info!(
                    "client6_linkevents",
                    "{addr}: gone with the link of interface {ifindex}; put back when it is up"
                );
            } else {
                log_notice!(
                    "client6_linkevents",
                    "{addr}: removed from interface {ifindex}, not by DAD; the next Reply puts it back"
                );
            }
        }
        Verdict::Pending | Verdict::Fine | Verdict::Unknown => {}
    }
    verdict
}

/// Link and address notifications. A DHCP interface whose link comes back
/// up gets its addresses back and its leases checked (Confirm, or Rebind
/// when it holds prefixes); what the kernel says of an address we
/// installed goes to [`client6_addrnews`].
fn client6_linkevents(s: &mut State) {
    let Some(events) = s.links.as_mut().map(LinkMonitor::events) else {
        return;
    };
    let now = Instant::now();
    for ev in events {
        let (ifindex, addr, seen) = match ev {
            LinkEvent::Link { ifindex, running } => {
                client6_link(s, ifindex, running, now);
                continue;
            }
            LinkEvent::Address(a) => (a.ifindex, a.addr, Seen::Present(a.flags)),
            LinkEvent::AddressGone(a) => (a.ifindex, a.addr, Seen::Gone(a.flags)),
        };
        let Some(i) = s.ifaces.iter().position(|f| f.ifindex == ifindex) else {
            continue;
        };
        if s.installed.contains(&Installed { iface: i, addr }) {
            client6_addrnews(s, i, addr, seen, now);
        }
    }
}

/// The link of interface `ifindex` is `running` or not.
fn client6_link(s: &mut State, ifindex: u32, running: bool, now: Instant) {
    let Some(i) = s.ifaces.iter().position(|f| f.ifindex == ifindex) else {
        return;
    };
    if !running {
        if !s.link_down.contains(&ifindex) {
            log_info!("client6_linkevents", "link down on interface {ifindex}");
            s.link_down.push(ifindex);
        }
    } else if s.link_down.contains(&ifindex) {
        s.link_down.retain(|x| *x != ifindex);
        log_info!(
            "client6_linkevents",
            "link up on interface {ifindex}: checking the leases"
        );
        let acts = match s.ifaces.get_mut(i) {
            Some(f) => f.client.link_up(now),
            None => return,
        };
        perform(s, i, acts);
    }
}

/// Datagrams read per wake-up before timers and signals are looked at again.
const RECV_PER_TURN: usize = 64;

/// Reads what is waiting (mirrors dhcp6c.c:client6_recv).
fn client6_recv(s: &mut State) -> Option<Vec<String>> {
    let mut buf = vec![0u8; RX_LEN];
    let mut info = None;
    // Bounded, so a flood of datagrams cannot keep timers from running.
    for _ in 0..RECV_PER_TURN {
        let meta = match s.sock.recv(&mut buf) {
            Ok(Some(m)) => m,
            Ok(None) => return info,
            Err(e) => {
                log_err!("client6_recv", "recvmsg: {e}");
                return info;
            }
        };
        let Some(i) = s.ifaces.iter().position(|f| f.ifindex == meta.ifindex) else {
            log_debug!("client6_recv", "unexpected interface ({})", meta.ifindex);
            continue;
        };
        if meta.truncated {
            continue;
        }
        let Some(pkt) = buf.get(..meta.len) else {
            continue;
        };
        if pkt.first() == Some(&u8::from(libdhcp6::MessageType::Dhcpv4Response)) {
            shell4o6::client6_recv4o6(s, i, pkt, *meta.src.ip());
            continue;
        }
        let now = Instant::now();
        // A Reconfigure counts only if it was unicast to us (C-148); a
        // datagram whose destination the kernel did not report is not.
        let delivery = if meta.dst.is_multicast() || meta.dst.is_unspecified() {
            Delivery::Multicast
        } else {
            Delivery::Unicast
        };
        let res = match s.ifaces.get_mut(i) {
            Some(f) => f.client.receive_on(now, pkt, delivery),
            None => continue,
        };
        let kind = pkt
            .first()
            .copied()
            .map(libdhcp6::MessageType::from)
            .map(|k| k.to_string())
            .unwrap_or_default();
        match res {
            Ok(acts) => {
                log_debug!("client6_recv", "receive {kind} from {}", meta.src);
                if let Some(l) = perform(s, i, acts) {
                    info = Some(l);
                }
            }
            Err(why) => {
                // One line per dropped datagram, rejected Reconfigures
                // included, with what it was and where it was sent.
                log_info!(
                    "client6_recv",
                    "dropped a message from {} ({kind} to {}): {}",
                    meta.src,
                    meta.dst,
                    why.name()
                );
                log_debug!(
                    "client6_recv",
                    "dropped message: {:?}",
                    libdhcp6::wire::MessageRepr::from_bytes(pkt)
                );
            }
        }
    }
    info
}

/// Logs the counters (SIGUSR1, which also stops the client) whatever
/// the `-d` level: the operator asked for them.
fn log_counters(s: &State) {
    for f in &s.ifaces {
        let c = &f.client.counters;
        log_report!(
            "client6_mainloop",
            "{}: phase {:?}, IAs bound {}, sent {} ({} retransmissions), accepted {}, rate-limited {}, reconfigures accepted {}, refused {}",
            f.client.ifname(),
            f.client.phase(),
            f.client.bindings().len(),
            c.sent,
            c.retransmissions,
            c.accepted,
            c.rate_limited,
            c.reconfigures_accepted,
            c.reconfigures_refused
        );
        for (why, n) in DropReason::ALL.iter().zip(c.dropped.iter()) {
            log_report!("client6_mainloop", "dropped ({}): {n}", why.name());
        }
        if let Some(v4) = f.client.dhcp4o6() {
            let c = &v4.counters;
            log_report!(
                "client6_mainloop",
                "{}: DHCPv4-over-DHCPv6 {}, queries sent {}, responses accepted {}",
                f.client.ifname(),
                v4.state_name(),
                c.sent,
                c.accepted
            );
            for (why, n) in crate::dhcp4o6::Drop4o6::ALL.iter().zip(c.dropped.iter()) {
                log_report!("client6_mainloop", "4o6 dropped ({}): {n}", why.name());
            }
        }
    }
}

/// Writes the statistics file, when there is one.
fn write_stats(s: &mut State, now: Instant) {
    if let Some(f) = &mut s.stats_file {
        let clients: Vec<&Client> = s.ifaces.iter().map(|i| &i.client).collect();
        f.write(now, &stats::exposition(&clients, &s.turns));
    }
}

/// Stops every interface: Release (unless `-n`/SIGUSR1), addresses
/// removed at once, then waits for the Release exchanges to finish (each
/// bounded by REL_MAX_RC transmissions).
fn client6_stop(s: &mut State, release: bool) {
    let now = Instant::now();
    for i in 0..s.ifaces.len() {
        let acts = match s.ifaces.get_mut(i) {
            Some(f) if release => f.client.release(now),
            Some(f) => f.client.stop(),
            None => continue,
        };
        perform(s, i, acts);
    }
    while !s.ifaces.iter().all(|f| f.client.finished()) {
        let now = Instant::now();
        let next = s
            .ifaces
            .iter()
            .filter_map(|f| f.client.next_deadline())
            .min();
        let timeout = next.map(|n| n.saturating_duration_since(now));
        let fds = [std::os::fd::AsFd::as_fd(&s.sock)];
        match wait_readable(&fds, timeout.or(Some(Duration::from_secs(1)))) {
            Ok(r) if r.is_readable(0) => {
                client6_recv(s);
            }
            Ok(_) => {}
            Err(e) => {
                log_err!("client6_stop", "poll: {e}");
                break;
            }
        }
        client6_timo(s, Instant::now());
        if signal::take(Caught::Usr1) {
            break;
        }
    }
    // hrs/OPNsense: the script runs once more per interface with REASON=EXIT.
    for f in &s.ifaces {
        if let Some(path) = &f.script {
            client6_script(path, &[("REASON".into(), "EXIT".into())], s.args.foreground);
        }
    }
}

/// SIGHUP: release, re-read the configuration (OPNsense's behaviour; WIDE
/// does not re-read), start again. A bad file keeps the running one.
fn client6_reload(s: &mut State) {
    let cfg = match load_config(&s.args) {
        Ok(c) => c,
        Err(e) => {
            log_err!("client6_reload", "{e}; keeping the running configuration");
            return;
        }
    };
    client6_stop(s, !s.args.no_release);
    s.index_cache.clear();
    s.installed.clear();
    s.dad_checks.clear();
    s.link_down.clear();
    match build_clients(&cfg, &s.args, &s.duid, Instant::now()) {
        Ok(mut v) => {
            // The counters of the interfaces that stay go on.
            for f in &mut v {
                if let Some(old) = s
                    .ifaces
                    .iter()
                    .find(|o| o.client.ifname() == f.client.ifname())
                {
                    f.client.counters = old.client.counters.clone();
                }
            }
            s.ifaces = v;
            log_notice!("client6_reload", "reloaded {}", s.args.config);
        }
        Err(e) => log_err!("client6_reload", "{e}"),
    }
}

/// Mirrors dhcp6c.c:client6_mainloop. Returns the exit status.
fn client6_mainloop(s: &mut State) -> i32 {
    loop {
        // A turn's work is timed from here to the wait, and from the
        // wake-up to the end: the loop-turn histogram shows stalls.
        let turn = Instant::now();
        if s.stats_file.as_ref().is_some_and(|f| f.due(turn)) {
            write_stats(s, turn);
        }
        if signal::take(Caught::Term) || signal::take(Caught::Int) {
            log_notice!("client6_mainloop", "exiting");
            client6_stop(s, !s.args.no_release);
            return 0;
        }
        if signal::take(Caught::Usr1) {
            log_counters(s);
            log_notice!("client6_mainloop", "exiting without release");
            client6_stop(s, false);
            return 0;
        }
        if signal::take(Caught::Hup) {
            client6_reload(s);
        }
        let now = Instant::now();
        if let Some(lines) = client6_timo(s, now) {
            if s.args.inforeq {
                print_info(&lines);
                return 0;
            }
        }
        client6_dadcheck(s, now);
        let next = s
            .ifaces
            .iter()
            .filter_map(|f| f.client.next_deadline())
            .chain(s.dad_checks.iter().map(|c| c.at))
            .chain(s.stats_file.as_ref().map(|f| turn + f.until_due(turn)))
            .min();
        let timeout = next.map(|n| n.saturating_duration_since(Instant::now()));
        let mut fds = PollFds::new();
        fds.push(std::os::fd::AsFd::as_fd(&s.sock));
        // Without a link monitor, position 1 is the control listener's.
        let links_at = s.links.as_ref().map(|m| {
            fds.push(std::os::fd::AsFd::as_fd(m));
            fds.len() - 1
        });
        let ctl_fds = ctl::push_fds(&s.ctl, &mut fds);
        let before_wait = turn.elapsed();
        match wait_readable(&fds, bound_timeout(s, timeout)) {
            Ok(r) => {
                drop(fds);
                let woke = Instant::now();
                if links_at.is_some_and(|i| r.is_readable(i)) {
                    client6_linkevents(s);
                }
                if r.is_readable(0) {
                    if let Some(lines) = client6_recv(s) {
                        if s.args.inforeq {
                            print_info(&lines);
                            return 0;
                        }
                    }
                }
                let mut ctl = s.ctl.take();
                let after = ctl
                    .as_mut()
                    .map_or(ctl::After::Continue, |c| c.client6_ctl(s, r, ctl_fds));
                s.ctl = ctl;
                if after == ctl::After::Exit {
                    log_notice!("client6_mainloop", "exiting");
                    client6_stop(s, !s.args.no_release);
                    return 0;
                }
                s.turns.observe_duration(before_wait + woke.elapsed());
            }
            Err(e) => {
                log_err!("client6_mainloop", "poll: {e}");
                return 1;
            }
        }
    }
}

/// The loop's timeout, shortened by the control channel's needs.
fn bound_timeout(s: &State, timeout: Option<Duration>) -> Option<Duration> {
    match &s.ctl {
        Some(c) => c.bound_timeout(s, timeout),
        None => timeout,
    }
}

/// The control channel's view of the running client.
impl ctl::Controlled for State {
    fn reload(&mut self) {
        client6_reload(self);
    }

    fn phase(&self, ifname: &str) -> Option<Phase> {
        self.ifaces
            .iter()
            .find(|f| f.client.ifname() == ifname)
            .map(|f| f.client.phase())
    }

    fn release(&mut self, ifname: &str, reindex: bool) {
        let Some(i) = self.ifaces.iter().position(|f| f.client.ifname() == ifname) else {
            return;
        };
        let Some(f) = self.ifaces.get_mut(i) else {
            return;
        };
        if reindex {
            match if_nametoindex(ifname) {
                Ok(idx) => f.ifindex = idx,
                Err(e) => log_err!("client6_ifctl", "{e}"),
            }
        }
        let acts = f.client.release(Instant::now());
        perform(self, i, acts);
    }

    fn restart(&mut self, ifname: &str) {
        let duid = self.duid.clone();
        if let Some(f) = self.ifaces.iter_mut().find(|f| f.client.ifname() == ifname) {
            let counters = f.client.counters.clone();
            let mut conf = f.client.config().clone();
            // The 4o6 lease was released with the rest: no INIT-REBOOT.
            if let Some(c) = conf.dhcp4o6.as_mut() {
                c.remembered = None;
            }
            f.client = new_client(conf, duid, Instant::now());
            f.client.counters = counters;
        }
    }

    fn idle(&mut self, ifname: &str) {
        if let Some(f) = self.ifaces.iter_mut().find(|f| f.client.ifname() == ifname) {
            // The Release already removed every lease from the system;
            // this only forgets the bindings, so no lease timer is left
            // running.
            let _ = f.client.stop();
        }
    }
}

fn print_info(lines: &[String]) {
    for l in lines {
        println!("{l}");
    }
}

fn main() {
    let mut sh = DHCP6C.parse(cli());
    let opts = parse_opts(&sh).unwrap_or_else(|e| sh.fail(e));
    // -i runs in the foreground and prints to stdout (doc/wide-compat.md §1.3).
    sh.foreground |= opts.inforeq;
    // WIDE writes and removes the default PID file even with -i, which may
    // belong to a running daemon (doc/wide-compat.md §9.2 item 21): not with -i
    // unless -p names one.
    if opts.inforeq && sh.pidfile_is_default() {
        sh.pidfile = None;
    }
    sh.init_logging();
    sh.catch_signals();
    let stats_file = StatsFile::from_args(&sh.args).unwrap_or_else(|e| sh.fail(e));
    let mut state = client6_init(opts).unwrap_or_else(|e| sh.fail(e));
    state.stats_file = stats_file;
    state.ctl = ctl::client6_ctl_init(&sh.args, state.args.inforeq).unwrap_or_else(|e| sh.fail(e));
    // Addresses and routes go through netlink after the drop (-u); -i
    // configures nothing.
    if !state.args.inforeq {
        sh.needs.push(Need::NetAdmin);
    }
    // A 4o6 IPv4 lease is remembered beside the DUID file after the drop.
    if state
        .ifaces
        .iter()
        .any(|f| f.client.config().dhcp4o6.is_some())
    {
        sh.writes_beside("4o6 lease file", &state.args.duid_file);
    }
    // The statistics file is replaced beside itself after the drop.
    if let Some(f) = &state.stats_file {
        sh.writes_beside("statistics file", f.path());
    }
    let pid = sh.detach();
    log_notice!(
        "client6_init",
        "started on {}",
        state.args.interfaces.join(" ")
    );
    let code = client6_mainloop(&mut state);
    write_stats(&mut state, Instant::now());
    drop(pid);
    exit(code);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Transaction-ids come from the kernel: 64 draws are all different
    /// and every bit position takes both values.
    #[test]
    fn os_random_is_unpredictable() {
        let mut r = OsRandom;
        let v: Vec<u64> = (0..64).map(|_| r.next_u64()).collect();
        for (i, a) in v.iter().enumerate() {
            assert!(v.iter().skip(i + 1).all(|b| a != b), "repeated value");
        }
        for bit in 0..64 {
            let ones = v.iter().filter(|x| *x >> bit & 1 == 1).count();
            assert!(ones > 0 && ones < 64, "bit {bit} stuck");
        }
    }
}
