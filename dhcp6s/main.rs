//! dhcp6s: the kame6 DHCPv6 server.
//!
//! Takes WIDE-DHCPv6's command line (kame-compat §1.2). The server loop
//! (`server6_mainloop`) is not written yet: the program says so and exits
//! with status 1 rather than pretend to serve.

use clap::{Arg, ArgAction, Command};

fn cli() -> Command {
    Command::new("dhcp6s")
        .about("DHCPv6 server (kame6)")
        .disable_version_flag(true)
        .arg(
            Arg::new("config")
                .short('c')
                .value_name("configfile")
                .help("configuration file"),
        )
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
            Arg::new("ctlkey")
                .short('k')
                .value_name("ctlkeyfile")
                .help("control channel key file"),
        )
        .arg(
            Arg::new("ctlport")
                .short('p')
                .value_name("ctlport")
                .help("control channel TCP port"),
        )
        .arg(
            Arg::new("pidfile")
                .short('P')
                .value_name("pidfile")
                .help("PID file"),
        )
        .arg(
            Arg::new("interface")
                .required(true)
                .num_args(1..)
                .help("interfaces to serve"),
        )
}

fn main() {
    let _args = cli().get_matches();
    eprintln!(
        "dhcp6s: the server is not implemented yet in this build of kame6; nothing is served"
    );
    std::process::exit(1);
}
