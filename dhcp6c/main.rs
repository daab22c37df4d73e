//! dhcp6c: the kame6 DHCPv6 client.
//!
//! Takes WIDE-DHCPv6's command line (kame-compat §1.3). The client loop
//! (`client6_mainloop`) is not written yet: the program says so and exits
//! with status 1.

use clap::{Arg, ArgAction, Command};

fn cli() -> Command {
    Command::new("dhcp6c")
        .about("DHCPv6 client (kame6)")
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
            Arg::new("inforeq")
                .short('i')
                .action(ArgAction::SetTrue)
                .help("one Information-request exchange, print the result, exit"),
        )
        .arg(
            Arg::new("ctlkey")
                .short('k')
                .value_name("ctlkeyfile")
                .help("control channel key file"),
        )
        .arg(
            Arg::new("pidfile")
                .short('p')
                .value_name("pidfile")
                .help("PID file"),
        )
        .arg(
            Arg::new("norelease")
                .short('n')
                .action(ArgAction::SetTrue)
                .help("do not send Release when stopping"),
        )
        .arg(
            Arg::new("interface")
                .required(true)
                .num_args(1..)
                .help("interfaces to configure"),
        )
}

fn main() {
    let _args = cli().get_matches();
    eprintln!(
        "dhcp6c: the client is not implemented yet in this build of kame6; nothing is configured"
    );
    std::process::exit(1);
}
