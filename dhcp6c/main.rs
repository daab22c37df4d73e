//! dhcp6c: the kame6 DHCPv6 client.
//!
//! Takes WIDE-DHCPv6's command line (kame-compat §1.3). The client loop
//! (`client6_mainloop`) is not written yet: the program says so and exits
//! with status 1. `-t` checks the configuration file (kame6 extension).

use clap::{Arg, ArgAction, Command};
use libdhcp6::config::fs::{check_file, Daemon, DEFAULT_CLIENT_CONF};

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
            Arg::new("check")
                .short('t')
                .action(ArgAction::SetTrue)
                .help("check the configuration file and exit (0 valid, 1 not); with -D print it"),
        )
        .arg(
            Arg::new("interface")
                .required_unless_present("check")
                .num_args(1..)
                .help("interfaces to configure"),
        )
}

fn main() {
    let args = cli().get_matches();
    if args.get_flag("check") {
        let path = args
            .get_one::<String>("config")
            .map(String::as_str)
            .unwrap_or(DEFAULT_CLIENT_CONF);
        let outcome = check_file(Daemon::Client, path, args.get_flag("debug"));
        print!("{}", outcome.out);
        eprint!("{}", outcome.err);
        std::process::exit(if outcome.ok { 0 } else { 1 });
    }
    eprintln!(
        "dhcp6c: the client is not implemented yet in this build of kame6; nothing is configured"
    );
    std::process::exit(1);
}
