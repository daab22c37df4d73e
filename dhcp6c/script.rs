//! What the script is told (doc/wide-compat.md §3.1) and what `dhcp6c -i`
//! prints: pure functions of a Reply. The shell runs the script.

use std::net::Ipv6Addr;

use libdhcp6::codes::OptionCode;
use libdhcp6::wire::{MessageRepr, OptionRepr};

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
