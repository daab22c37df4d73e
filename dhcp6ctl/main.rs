//! dhcp6ctl: control tool for dhcp6s and dhcp6c.
//!
//! WIDE-DHCPv6's command line (doc/wide-compat.md §1.5):
//! `dhcp6ctl [-C | -S] [-a address] [-k keyfile] [-p port] command ...`.
//! Builds one command (`libdhcp6::ctl`), signs it with the key file's
//! secret, writes it to the daemon's control port over TCP and closes. The
//! daemon never answers, so exit status 0 means only "written"; 1 is a
//! usage or local error (bad words, key file, connection), with the reason
//! on stderr. Mirrors dhcp6_ctlclient.c.
//!
//! Commands: `reload`, `stop`, `start interface IF` and `stop interface IF`
//! (client), `remove binding IA IA_PD|IA_NA IAID DUID` (server) and kame6's
//! `reconfigure renew|rebind|info DUID` (server; doc/control.md).

use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::exit;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Arg, ArgAction};
use libdhcp6::ctl::{
    Command, CtlMessage, IaType, ReconfigureType, CLIENT_PORT, DEFAULT_CLIENT_KEY_FILE,
    DEFAULT_SERVER_KEY_FILE, SERVER_PORT,
};
use libdhcp6::sys::ctl::{read_key_file, resolve_port};
use libdhcp6::Duid;

/// WIDE's usage line.
const USAGE: &str = "usage: dhcp6ctl [-C|-S] [-a ctladdr] [-k keyfile] [-p ctlport] command...";
/// How long a connection attempt may take: the daemon is local or near.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

fn cli() -> clap::Command {
    clap::Command::new("dhcp6ctl")
        .about("control tool for dhcp6s and dhcp6c (kame6)")
        .override_usage("dhcp6ctl [-C | -S] [-a address] [-k keyfile] [-p port] command ...")
        .disable_version_flag(true)
        .arg(
            Arg::new("client")
                .short('C')
                .action(ArgAction::SetTrue)
                .help("talk to dhcp6c (default): port 5546, key /usr/local/etc/dhcp6cctlkey"),
        )
        .arg(
            Arg::new("server")
                .short('S')
                .action(ArgAction::SetTrue)
                .help("talk to dhcp6s: port 5547, key /usr/local/etc/dhcp6sctlkey"),
        )
        .arg(
            Arg::new("address")
                .short('a')
                .value_name("address")
                .help("daemon address (default ::1)"),
        )
        .arg(
            Arg::new("keyfile")
                .short('k')
                .value_name("keyfile")
                .help("key file"),
        )
        .arg(
            Arg::new("port")
                .short('p')
                .value_name("port")
                .help("TCP port (number or service name)"),
        )
        .arg(
            Arg::new("command")
                .num_args(1..)
                .trailing_var_arg(true)
                .help(
                    "reload | stop | start interface IF | stop interface IF | \
                     remove binding IA IA_PD|IA_NA IAID DUID | reconfigure renew|rebind|info DUID",
                ),
        )
}

/// Which daemon the command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Client,
    Server,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
        }
    }
}

/// Turns the command words into a command; returns it and how many words
/// it used. Mirrors dhcp6_ctlclient.c:make_command and its helpers.
fn make_command(words: &[String], target: Target) -> Result<(Command, usize), String> {
    let word = |i: usize| words.get(i).map(String::as_str);
    let client_only = || {
        if target == Target::Client {
            Ok(())
        } else {
            Err("client-only command is specified for a server".to_string())
        }
    };
    let server_only = |what: &str| {
        if target == Target::Server {
            Ok(())
        } else {
            Err(format!("{what} command is only for server"))
        }
    };
    // The word at `at` must be `want`; another is refused with `refused`.
    let keyword = |at: usize, want: &str, refused: &str| match word(at) {
        Some(w) if w == want => Ok(()),
        Some(other) => Err(format!("{refused}: {other}")),
        None => Err("command is too short".to_string()),
    };
    let interface = |at: usize, refused: &str| -> Result<(String, usize), String> {
        keyword(at, "interface", refused)?;
        let name = word(at + 1).ok_or("interface not specified")?;
        Ok((name.to_string(), at + 2))
    };
    let duid = |at: usize| -> Result<Duid, String> {
        let text = word(at).ok_or("command is too short")?;
        Duid::from_text(text).map_err(|e| format!("invalid DUID {text}: {e}"))
    };
    match word(0) {
        None => Err("command is too short".into()),
        Some("reload") => Ok((Command::Reload, 1)),
        Some("stop") if words.len() == 1 => Ok((Command::Stop, 1)),
        Some("stop") => {
            client_only()?;
            let (name, used) = interface(1, "stop target not supported")?;
            Ok((Command::StopInterface(name), used))
        }
        Some("start") => {
            if words.len() == 1 {
                return Err("command is too short".into());
            }
            client_only()?;
            let (name, used) = interface(1, "start target not supported")?;
            Ok((Command::StartInterface(name), used))
        }
        Some("remove") => {
            server_only("remove")?;
            keyword(1, "binding", "remove target not supported")?;
            keyword(2, "IA", "unknown binding type")?;
            if words.len() < 6 {
                return Err("command is too short for an IA spec".into());
            }
            let ia = word(3).unwrap_or("");
            let ia_type =
                IaType::from_name(ia).ok_or_else(|| format!("IA type not supported: {ia}"))?;
            let iaid_text = word(4).unwrap_or("");
            // WIDE takes strtol's idea of the number (garbage becomes 0);
            // a typo here would remove someone else's binding.
            let iaid = iaid_text
                .parse::<u32>()
                .map_err(|_| format!("invalid IAID (a decimal number is needed): {iaid_text}"))?;
            Ok((
                Command::RemoveBinding {
                    ia_type,
                    iaid,
                    duid: duid(5)?,
                },
                6,
            ))
        }
        Some("reconfigure") => {
            server_only("reconfigure")?;
            let w = word(1).ok_or("command is too short")?;
            let msg_type = ReconfigureType::from_word(w).ok_or_else(|| {
                format!("reconfigure message type not supported: {w} (renew, rebind or info)")
            })?;
            Ok((
                Command::Reconfigure {
                    msg_type,
                    duid: duid(2)?,
                },
                3,
            ))
        }
        Some(other) => Err(format!("unknown command: {other}")),
    }
}

/// The daemon's addresses: `-a` may be a name, resolved to IPv6 only as
/// WIDE's getaddrinfo with AF_INET6.
fn destinations(address: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = (address, port)
        .to_socket_addrs()
        .map_err(|e| format!("getaddrinfo failed: {address}: {e}"))?
        .filter(SocketAddr::is_ipv6)
        .collect();
    if addrs.is_empty() {
        return Err(format!("getaddrinfo failed: {address}: no IPv6 address"));
    }
    Ok(addrs)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("dhcp6ctl: {msg}");
    exit(1);
}

fn main() {
    let args = match cli().try_get_matches() {
        Ok(a) => a,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            let _ = e.print();
            exit(0);
        }
        Err(e) => {
            let _ = e.print();
            exit(1);
        }
    };
    if args.get_flag("client") && args.get_flag("server") {
        fail("-C and -S are exclusive");
    }
    let words: Vec<String> = args
        .get_many::<String>("command")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    if words.is_empty() {
        eprintln!("{USAGE}");
        exit(1);
    }
    let target = if args.get_flag("server") {
        Target::Server
    } else {
        Target::Client
    };
    let (default_port, default_key) = match target {
        Target::Client => (CLIENT_PORT, DEFAULT_CLIENT_KEY_FILE),
        Target::Server => (SERVER_PORT, DEFAULT_SERVER_KEY_FILE),
    };
    let address = args
        .get_one::<String>("address")
        .map(String::as_str)
        .unwrap_or("::1");
    let port = match args.get_one::<String>("port") {
        Some(p) => resolve_port(p).unwrap_or_else(|e| fail(e)),
        None => default_port,
    };
    let keyfile = args
        .get_one::<String>("keyfile")
        .map(String::as_str)
        .unwrap_or(default_key);
    let key = match read_key_file(Path::new(keyfile)) {
        Ok(Some(k)) => k,
        Ok(None) => fail(format!("{keyfile}: no key in the file")),
        Err(e) => fail(format!(
            "{keyfile}: {e}; failed to setup message authentication"
        )),
    };
    let (command, used) = make_command(&words, target)
        .unwrap_or_else(|e| fail(format!("{e}; failed to make command buffer")));
    if let Some(extra) = words.get(used) {
        eprintln!(
            "dhcp6ctl: redundant command argument after \"{}\"",
            words.get(used.saturating_sub(1)).unwrap_or(extra)
        );
    }
    let bytes = CtlMessage::new(command, unix_now())
        .encode(&key)
        .unwrap_or_else(|e| fail(format!("{e}; failed to make command buffer")));
    let mut stream = None;
    for addr in destinations(address, port).unwrap_or_else(|e| fail(e)) {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => eprintln!("dhcp6ctl: connect {addr}: {e}"),
        }
    }
    let Some(mut stream) = stream else {
        fail(format!("failed to connect to the {}", target.name()));
    };
    if let Err(e) = stream.write_all(&bytes).and_then(|()| stream.flush()) {
        fail(format!("write command: {e}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn commands_as_wide_spells_them() {
        let duid = Duid::from_text("00:03:00:01:02:00:00:00:c0:01").unwrap();
        let ok = [
            ("reload", Target::Client, Command::Reload, 1),
            ("reload", Target::Server, Command::Reload, 1),
            ("stop", Target::Server, Command::Stop, 1),
            (
                "start interface eth0",
                Target::Client,
                Command::StartInterface("eth0".into()),
                3,
            ),
            (
                "stop interface eth1 extra",
                Target::Client,
                Command::StopInterface("eth1".into()),
                3,
            ),
            (
                "remove binding IA IA_NA 10 00:03:00:01:02:00:00:00:c0:01",
                Target::Server,
                Command::RemoveBinding {
                    ia_type: IaType::Na,
                    iaid: 10,
                    duid: duid.clone(),
                },
                6,
            ),
            (
                "reconfigure info 00:03:00:01:02:00:00:00:c0:01",
                Target::Server,
                Command::Reconfigure {
                    msg_type: ReconfigureType::InformationRequest,
                    duid,
                },
                3,
            ),
        ];
        for (line, target, cmd, used) in ok {
            // What the daemons log for a command reads back as that command.
            assert_eq!(
                make_command(&words(&cmd.to_string()), target),
                Ok((cmd.clone(), used)),
                "{cmd}"
            );
            assert_eq!(
                make_command(&words(line), target),
                Ok((cmd, used)),
                "{line}"
            );
        }
        let bad = [
            ("frobnicate", Target::Client, "unknown command: frobnicate"),
            (
                "remove binding IA IA_NA 1 00:01:02",
                Target::Client,
                "only for server",
            ),
            (
                "reconfigure renew 00:01:02",
                Target::Client,
                "only for server",
            ),
            ("start interface eth0", Target::Server, "client-only"),
            ("stop interface eth0", Target::Server, "client-only"),
            ("start", Target::Client, "too short"),
            (
                "start iface eth0",
                Target::Client,
                "start target not supported",
            ),
            ("start interface", Target::Client, "interface not specified"),
            (
                "remove binding IA IA_TA 1 00:01:02",
                Target::Server,
                "IA type not supported",
            ),
            (
                "remove binding IA IA_NA x1 00:01:02",
                Target::Server,
                "invalid IAID",
            ),
            ("remove binding IA IA_NA 1", Target::Server, "too short"),
            (
                "remove binding IA IA_NA 1 0:1",
                Target::Server,
                "invalid DUID",
            ),
            (
                "remove lease",
                Target::Server,
                "remove target not supported",
            ),
            (
                "reconfigure confirm 00:01:02",
                Target::Server,
                "not supported",
            ),
        ];
        for (line, target, want) in bad {
            let err = make_command(&words(line), target).unwrap_err();
            assert!(err.contains(want), "{line}: {err}");
        }
    }
}
