//! What the script is told (doc/wide-compat.md §3.1) and what `dhcp6c -i`
//! prints: pure functions of a Reply. The shell runs the script.

use std::net::Ipv6Addr;

use libdhcp6::codes::OptionCode;
use libdhcp6::wire::{MessageRepr, OptionRepr};

use crate::dhcp4::{Lease4, Reason};
use crate::state::Phase;

/// The script's environment (doc/wide-compat.md §3.1): REASON, then the `new_*`
/// variables in WIDE's order, each item followed by one space, duplicates
/// of an address dropped, names with a trailing dot; plus OPNsense's
/// PDINFO.
pub fn script_env(reason: Phase, msg: &MessageRepr) -> Vec<(String, String)> {
    let mut env = vec![("REASON".to_string(), reason.reason().to_string())];
    let table: [(&str, OptionCode); 11] = [
        ("new_domain_name_servers", OptionCode::DnsServers),
        ("new_ntp_servers", OptionCode::SntpServers),
        ("new_domain_name", OptionCode::DomainList),
        ("new_sip_servers", OptionCode::SipServerA),
        ("new_sip_name", OptionCode::SipServerD),
        ("new_nis_servers", OptionCode::NisServers),
        ("new_nis_name", OptionCode::NisDomainName),
        ("new_nisp_servers", OptionCode::NispServers),
        ("new_nisp_name", OptionCode::NispDomainName),
        ("new_bcmcs_servers", OptionCode::BcmcsServerA),
        ("new_bcmcs_name", OptionCode::BcmcsServerD),
    ];
    for (name, code) in table {
        let mut value = String::new();
        let mut seen: Vec<Ipv6Addr> = Vec::new();
        for o in &msg.options {
            match o {
                OptionRepr::Addresses { code: c, addrs } if *c == code => {
                    for a in addrs {
                        if !seen.contains(a) {
                            seen.push(*a);
                            value.push_str(&format!("{a} "));
                        }
                    }
                }
                OptionRepr::Domains { code: c, names } if *c == code => {
                    for n in names {
                        value.push_str(&format!("{n} "));
                    }
                }
                _ => {}
            }
        }
        if !value.is_empty() {
            env.push((name.to_string(), value));
        }
    }
    let mut pd = String::new();
    for o in &msg.options {
        if let OptionRepr::IaPd(ia) = o {
            for p in ia.prefixes().filter(|p| p.valid_lifetime > 0) {
                pd.push_str(&format!("{}/{} ", p.prefix, p.prefix_len));
            }
        }
    }
    if !pd.is_empty() {
        env.push(("PDINFO".to_string(), pd));
    }
    env
}

/// The script's environment for a change of the DHCPv4 lease (4o6): the
/// IPv4 variables ISC's dhclient-script reads — `reason`, `interface`,
/// `new_*` for the lease now and, as dhclient does, every `old_*` of the
/// lease before — so a script written for dhclient works unchanged. The
/// DHCPv6 runs keep WIDE's `REASON` and variables ([`script_env`]); a
/// script tells the two apart by which `reason` variable is set.
pub fn script4_env(
    ifname: &str,
    reason: Reason,
    new: Option<&Lease4>,
    old: Option<&Lease4>,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("reason".to_string(), reason.word().to_string()),
        ("interface".to_string(), ifname.to_string()),
    ];
    if let Some(n) = new {
        n.env("new_", &mut env);
    }
    if let Some(o) = old {
        o.env("old_", &mut env);
    }
    env
}

/// What `dhcp6c -i` prints (doc/wide-compat.md §1.3).
pub fn info_lines(msg: &MessageRepr) -> Vec<String> {
    let mut lines = Vec::new();
    let table: [(&str, OptionCode); 5] = [
        ("nameserver", OptionCode::DnsServers),
        ("Domain search list", OptionCode::DomainList),
        ("NTP server", OptionCode::SntpServers),
        ("SIP server address", OptionCode::SipServerA),
        ("SIP domain name", OptionCode::SipServerD),
    ];
    for (label, code) in table {
        let mut n = 0;
        for o in &msg.options {
            match o {
                OptionRepr::Addresses { code: c, addrs } if *c == code => {
                    for a in addrs {
                        lines.push(format!("{label}[{n}] {a}"));
                        n += 1;
                    }
                }
                OptionRepr::Domains { code: c, names } if *c == code => {
                    for name in names {
                        lines.push(format!("{label}[{n}] {name}"));
                        n += 1;
                    }
                }
                _ => {}
            }
        }
    }
    lines
}
