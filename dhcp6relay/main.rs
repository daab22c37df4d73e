//! dhcp6relay: the kame6 DHCPv6 relay agent.
//!
//! Takes WIDE-DHCPv6's command line (kame-compat §1.4). The relay loop
//! (`relay6_loop`) is not written yet: the program says so and exits with
//! status 1.

use clap::{Arg, ArgAction, Command};

fn cli() -> Command {
    Command::new("dhcp6relay")
        .about("DHCPv6 relay agent (kame6)")
        .disable_version_flag(true)
        .arg(
            Arg::new("info")
                .short('d')
                .action(ArgAction::SetTrue)
                .help("log at INFO level"),
        )
        .arg(
            Arg::new("debug")
                .short('D')
                .action(ArgAction::SetTrue)
                .help("log at DEBUG level"),
        )
        .arg(
            Arg::new("foreground")
                .short('f')
                .action(ArgAction::SetTrue)
                .help("stay in the foreground, log to stderr"),
        )
        .arg(
            Arg::new("boundaddr")
                .short('b')
                .value_name("boundaddr")
                .help("source address of Relay-forward messages"),
        )
        .arg(
            Arg::new("hoplimit")
                .short('H')
                .value_name("hoplim")
                .help("IPv6 hop limit towards a multicast server address"),
        )
        .arg(
            Arg::new("relayif")
                .short('r')
                .value_name("relay-IF")
                .help("upstream interface"),
        )
        .arg(
            Arg::new("server")
                .short('s')
                .value_name("serveraddr")
                .action(ArgAction::Append)
                .help("server address (may be repeated)"),
        )
        .arg(
            Arg::new("script")
                .short('S')
                .value_name("script")
                .help("script run for relayed Replies"),
        )
        .arg(
            Arg::new("pidfile")
                .short('p')
                .value_name("pidfile")
                .help("PID file"),
        )
        .arg(
            Arg::new("interface")
                .required(true)
                .num_args(1..)
                .help("client-facing interfaces"),
        )
}

fn main() {
    let _args = cli().get_matches();
    eprintln!("dhcp6relay: the relay agent is not implemented yet in this build of kame6; nothing is relayed");
    std::process::exit(1);
}
