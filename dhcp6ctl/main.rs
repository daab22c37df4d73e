//! dhcp6ctl: control tool for dhcp6s and dhcp6c.
//!
//! Takes WIDE-DHCPv6's command line (kame-compat §1.5). The authenticated
//! control protocol is not written yet: the program says so and exits with
//! status 1 without sending anything.

use clap::{Arg, ArgAction, Command};

fn cli() -> Command {
    Command::new("dhcp6ctl")
        .about("control tool for dhcp6s and dhcp6c (kame6)")
        .disable_version_flag(true)
        .arg(
            Arg::new("client")
                .short('C')
                .action(ArgAction::SetTrue)
                .conflicts_with("server")
                .help("talk to dhcp6c (default)"),
        )
        .arg(
            Arg::new("server")
                .short('S')
                .action(ArgAction::SetTrue)
                .help("talk to dhcp6s"),
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
                .help("TCP port"),
        )
        .arg(
            Arg::new("command")
                .required(true)
                .num_args(1..)
                .help("command words"),
        )
}

fn main() {
    let _args = cli().get_matches();
    eprintln!("dhcp6ctl: the control protocol is not implemented yet in this build of kame6; nothing was sent");
    std::process::exit(1);
}
