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
    ClientCommand, CtlMessage, ReconfigureType, Server4Command, ServerCommand, CLIENT_PORT,
    CTL_IA_KINDS, DEFAULT_CLIENT_KEY_FILE, DEFAULT_SERVER4_KEY_FILE, DEFAULT_SERVER_KEY_FILE,
    SERVER4_PORT, SERVER_PORT,
};
use libdhcp6::sys::ctl::{read_key_file, resolve_port};
use libdhcp6::sys::shell::{version_arg, version_text};
use libdhcp6::Duid;

/// WIDE's usage line.
const USAGE: &str = "usage: dhcp6ctl [-C|-S|-4] [-a ctladdr] [-k keyfile] [-p ctlport] command...";
/// What dhcp6ctl is, for `--help` and `--version`.
const ABOUT: &str = "control tool for dhcp6s and dhcp6c (kame6)";
/// How long a connection attempt may take: the daemon is local or near.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

fn cli() -> clap::Command {
    clap::Command::new("dhcp6ctl")
        .about(ABOUT)
        .override_usage("dhcp6ctl [-C | -S | -4] [-a address] [-k keyfile] [-p port] command ...")
        .disable_version_flag(true)
        .long_version(version_text(
            env!("CARGO_PKG_VERSION"),
            ABOUT,
            &[
                (
                    "server (-S)",
                    format!("port {SERVER_PORT}, key file {DEFAULT_SERVER_KEY_FILE}"),
                ),
                (
                    "dhcp4s (-4)",
                    format!("port {SERVER4_PORT}, key file {DEFAULT_SERVER4_KEY_FILE}"),
                ),
                (
                    "client (-C, default)",
                    format!("port {CLIENT_PORT}, key file {DEFAULT_CLIENT_KEY_FILE}"),
                ),
            ],
        ))
        .arg(version_arg())
        .arg(
            Arg::new("client")
                .short('C')
                .action(ArgAction::SetTrue)
                .help(format!(
                    "talk to dhcp6c (default): port {CLIENT_PORT}, key {DEFAULT_CLIENT_KEY_FILE}"
                )),
        )
        .arg(
            Arg::new("server")
                .short('S')
                .action(ArgAction::SetTrue)
                .help(format!(
                    "talk to dhcp6s: port {SERVER_PORT}, key {DEFAULT_SERVER_KEY_FILE}"
                )),
        )
        .arg(
            Arg::new("server4")
                .short('4')
                .action(ArgAction::SetTrue)
                .help(format!(
                    "talk to dhcp4s (kame6): port {SERVER4_PORT}, key {DEFAULT_SERVER4_KEY_FILE}"
                )),
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
                     remove binding IA IA_PD|IA_NA IAID DUID | reconfigure renew|rebind|info DUID | \
                     remove lease4 ADDRESS (-4)",
                ),
        )
}

/// Which daemon the command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Client,
    Server,
    /// dhcp4s (`-4`, kame6).
    Server4,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
            Self::Server4 => "dhcp4s",
        }
    }
}

/// The command words, read one at a time.
struct Words<'a>(&'a [String]);

impl Words<'_> {
    fn get(&self, i: usize) -> Option<&str> {
        self.0.get(i).map(String::as_str)
    }

    /// The word at `at` must be `want`; another is refused with `refused`.
    fn keyword(&self, at: usize, want: &str, refused: &str) -> Result<(), String> {
        match self.get(at) {
            Some(w) if w == want => Ok(()),
            Some(other) => Err(format!("{refused}: {other}")),
            None => Err("command is too short".to_string()),
        }
    }

    /// `interface IF` at `at`; returns IF and the words used so far.
    fn interface(&self, at: usize, refused: &str) -> Result<(String, usize), String> {
        self.keyword(at, "interface", refused)?;
        let name = self.get(at + 1).ok_or("interface not specified")?;
        Ok((name.to_string(), at + 2))
    }

    fn duid(&self, at: usize) -> Result<Duid, String> {
        let text = self.get(at).ok_or("command is too short")?;
        Duid::from_text(text).map_err(|e| format!("invalid DUID {text}: {e}"))
    }
}

/// A command made from words, and how many words it used; or why not.
type Parsed<C> = Result<(C, usize), String>;

/// Turns the command words into a command for dhcp6s; returns it and how
/// many words it used. Mirrors dhcp6_ctlclient.c:make_command and its
/// helpers for a server.
fn make_server_command(words: &[String]) -> Parsed<ServerCommand> {
    let w = Words(words);
    match w.get(0) {
        None => Err("command is too short".into()),
        Some("reload") => Ok((ServerCommand::Reload, 1)),
        Some("stop") if words.len() == 1 => Ok((ServerCommand::Stop, 1)),
        Some("start") if words.len() == 1 => Err("command is too short".into()),
        Some("stop" | "start") => Err("client-only command is specified for a server".into()),
        Some("remove") => {
            w.keyword(1, "binding", "remove target not supported")?;
            w.keyword(2, "IA", "unknown binding type")?;
            if words.len() < 6 {
                return Err("command is too short for an IA spec".into());
            }
            let ia = w.get(3).unwrap_or("");
            // IA_TA has no code in WIDE's protocol (ctl::CTL_IA_KINDS).
            let kind = CTL_IA_KINDS
                .into_iter()
                .find(|k| k.name() == ia)
                .ok_or_else(|| format!("IA type not supported: {ia}"))?;
            let iaid_text = w.get(4).unwrap_or("");
            // WIDE takes strtol's idea of the number (garbage becomes 0);
            // a typo here would remove someone else's binding.
            let iaid = iaid_text
                .parse::<u32>()
                .map_err(|_| format!("invalid IAID (a decimal number is needed): {iaid_text}"))?;
            let duid = w.duid(5)?;
            Ok((ServerCommand::RemoveBinding { kind, iaid, duid }, 6))
        }
        Some("reconfigure") => {
            let t = w.get(1).ok_or("command is too short")?;
            let msg_type = ReconfigureType::from_word(t).ok_or_else(|| {
                format!("reconfigure message type not supported: {t} (renew, rebind or info)")
            })?;
            Ok((
                ServerCommand::Reconfigure {
                    msg_type,
                    duid: w.duid(2)?,
                },
                3,
            ))
        }
        Some(other) => Err(format!("unknown command: {other}")),
    }
}

/// Turns the command words into a command for dhcp6c; returns it and how
/// many words it used. Mirrors dhcp6_ctlclient.c:make_command and its
/// helpers for a client.
fn make_client_command(words: &[String]) -> Parsed<ClientCommand> {
    let w = Words(words);
    match w.get(0) {
        None => Err("command is too short".into()),
        Some("reload") => Ok((ClientCommand::Reload, 1)),
        Some("stop") if words.len() == 1 => Ok((ClientCommand::Stop, 1)),
        Some("stop") => {
            let (name, used) = w.interface(1, "stop target not supported")?;
            Ok((ClientCommand::StopInterface(name), used))
        }
        Some("start") => {
            if words.len() == 1 {
                return Err("command is too short".into());
            }
            let (name, used) = w.interface(1, "start target not supported")?;
            Ok((ClientCommand::StartInterface(name), used))
        }
        Some(what @ ("remove" | "reconfigure")) => {
            Err(format!("{what} command is only for server"))
        }
        Some(other) => Err(format!("unknown command: {other}")),
    }
}

/// Turns the command words into a command for dhcp4s: `reload`, `stop`,
/// `remove lease4 ADDRESS` (doc/control.md).
fn make_server4_command(words: &[String]) -> Parsed<Server4Command> {
    let w = Words(words);
    match w.get(0) {
        None => Err("command is too short".into()),
        Some("reload") => Ok((Server4Command::Reload, 1)),
        Some("stop") => Ok((Server4Command::Stop, 1)),
        Some("remove") => {
            w.keyword(1, "lease4", "remove target not supported")?;
            let text = w.get(2).ok_or("command is too short")?;
            let addr = text
                .parse()
                .map_err(|_| format!("invalid IPv4 address {text}"))?;
            Ok((Server4Command::RemoveLease(addr), 3))
        }
        Some(other) => Err(format!("unknown command: {other}")),
    }
}

/// The command for `target` from `words` (an error if the words are
/// wrong), signed with `key` and laid out (an error if the command cannot
/// be written), and how many words it used.
type Made = (Result<Vec<u8>, libdhcp6::ctl::Error>, usize);

fn make_message(words: &[String], target: Target, key: &[u8], now: u64) -> Result<Made, String> {
    Ok(match target {
        Target::Server => {
            let (c, used) = make_server_command(words)?;
            (CtlMessage::new(c, now).encode(key), used)
        }
        Target::Client => {
            let (c, used) = make_client_command(words)?;
            (CtlMessage::new(c, now).encode(key), used)
        }
        Target::Server4 => {
            let (c, used) = make_server4_command(words)?;
            (CtlMessage::new(c, now).encode(key), used)
        }
    })
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
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
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
    if args.get_flag("server4") && (args.get_flag("client") || args.get_flag("server")) {
        fail("-4 excludes -C and -S");
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
    } else if args.get_flag("server4") {
        Target::Server4
    } else {
        Target::Client
    };
    let (default_port, default_key) = match target {
        Target::Client => (CLIENT_PORT, DEFAULT_CLIENT_KEY_FILE),
        Target::Server => (SERVER_PORT, DEFAULT_SERVER_KEY_FILE),
        Target::Server4 => (SERVER4_PORT, DEFAULT_SERVER4_KEY_FILE),
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
    let (bytes, used) = make_message(&words, target, &key, unix_now())
        .unwrap_or_else(|e| fail(format!("{e}; failed to make command buffer")));
    if let Some(extra) = words.get(used) {
        eprintln!(
            "dhcp6ctl: redundant command argument after \"{}\"",
            words.get(used.saturating_sub(1)).unwrap_or(extra)
        );
    }
    let bytes = bytes.unwrap_or_else(|e| fail(format!("{e}; failed to make command buffer")));
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
    use libdhcp6::IaKind;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    /// `line` makes `cmd` using `used` words, and what the daemons log for
    /// the command reads back as that command.
    fn makes<C: std::fmt::Display + std::fmt::Debug + PartialEq + Clone>(
        make: fn(&[String]) -> Parsed<C>,
        (line, cmd, used): (&str, C, usize),
    ) {
        assert_eq!(
            make(&words(&cmd.to_string())),
            Ok((cmd.clone(), used)),
            "{cmd}"
        );
        assert_eq!(make(&words(line)), Ok((cmd, used)), "{line}");
    }

    #[test]
    fn commands_as_wide_spells_them() {
        let duid = Duid::from_text("00:03:00:01:02:00:00:00:c0:01").unwrap();
        let server = [
            ("reload", ServerCommand::Reload, 1),
            ("stop", ServerCommand::Stop, 1),
            (
                "remove binding IA IA_NA 10 00:03:00:01:02:00:00:00:c0:01",
                ServerCommand::RemoveBinding {
                    kind: IaKind::Na,
                    iaid: 10,
                    duid: duid.clone(),
                },
                6,
            ),
            (
                "reconfigure info 00:03:00:01:02:00:00:00:c0:01",
                ServerCommand::Reconfigure {
                    msg_type: ReconfigureType::InformationRequest,
                    duid,
                },
                3,
            ),
        ];
        for case in server {
            makes(make_server_command, case);
        }
        let client = [
            ("reload", ClientCommand::Reload, 1),
            (
                "start interface eth0",
                ClientCommand::StartInterface("eth0".into()),
                3,
            ),
            (
                "stop interface eth1 extra",
                ClientCommand::StopInterface("eth1".into()),
                3,
            ),
        ];
        for case in client {
            makes(make_client_command, case);
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
            let err = make_message(&words(line), target, b"k", 0).unwrap_err();
            assert!(err.contains(want), "{line}: {err}");
        }
        // Words that make a command which cannot be written.
        let (bytes, used) = make_message(
            &words("start interface 0123456789abcdef x"),
            Target::Client,
            b"k",
            0,
        )
        .unwrap();
        assert_eq!(used, 3);
        assert!(bytes.is_err());
    }
}
