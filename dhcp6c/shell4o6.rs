//! dhcp6c's I/O for DHCPv4-over-DHCPv6: what the machine's 4o6 actions
//! do to the host. DHCPV4-QUERY to a unicast server, DHCPV4-RESPONSE in,
//! and the IPv4 lease applied: the script with ISC dhclient-script's
//! variables, the address on the `dhcp4o6-interface` with the lease's
//! lifetime (netlink on Linux), and the lease kept in the state directory
//! for INIT-REBOOT after a restart.

use std::net::{Ipv6Addr, SocketAddrV6};
use std::path::{Path, PathBuf};
use std::time::Instant;

use libdhcp6::config::client::{ClientInterface, RequestItem};
use libdhcp6::config::InfoKind;
use libdhcp6::dhcp4::{ClientId, OptionCode};
use libdhcp6::sys::ifconf::hardware_address;
use libdhcp6::sys::net::ipv4_holders;
use libdhcp6::wire::{MessageRepr, SERVER_PORT};
use libdhcp6::{log_debug, log_err, log_info, log_notice, Duid};

use super::{client6_script, ifindex_of, perform, unix_now, State};
use crate::dhcp4::{Change, Conf4, Lease4, Reason, Saved};
use crate::dhcp4o6::Conf4o6;
use crate::script::script4_env;

/// Where the DHCPv4 lease of interface `ifname` is kept: beside the DUID
/// file, so in LOCALDBDIR unless `--duid-file` says otherwise.
pub(super) fn lease_file(duid_file: &Path, ifname: &str) -> PathBuf {
    let dir = duid_file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new(libdhcp6::paths::LOCALDBDIR));
    dir.join(format!("dhcp6c_4o6_{ifname}.lease"))
}

/// Option 55 from the `request` list: subnet mask and routers always, and
/// the IPv4 counterparts of the DHCPv6 information options asked for.
fn prl(request: &[RequestItem]) -> Vec<OptionCode> {
    let mut v = vec![OptionCode::SubnetMask, OptionCode::Routers];
    for r in request {
        let RequestItem::Info(k) = r else { continue };
        let code = match k {
            InfoKind::DnsServers => OptionCode::DomainNameServers,
            InfoKind::DomainName => OptionCode::DomainName,
            InfoKind::NtpServers => OptionCode::NtpServers,
            InfoKind::NisServerAddress => OptionCode::NisServers,
            InfoKind::NisDomainName => OptionCode::NisDomain,
            _ => continue,
        };
        if !v.contains(&code) {
            v.push(code);
        }
    }
    v
}

/// The 4o6 configuration of interface `ifname` from its block or profile
/// `ci`, `None` unless it asks for option 88. The client identifier is
/// RFC 4361's: an IAID (the last four octets of the hardware address, as
/// ISC's dhclient makes it; 0 without one) and the DHCPv6 DUID. The
/// address of a saved lease still valid is asked for again.
pub(super) fn dhcp4o6_conf(
    ci: &ClientInterface,
    ifname: &str,
    duid: &Duid,
    file: &Path,
) -> Option<Conf4o6> {
    if !ci.dhcp4o6() {
        return None;
    }
    let hw = hardware_address(ifname).filter(|m| !m.is_empty() && m.len() <= 16);
    let iaid = hw
        .as_ref()
        .and_then(|m| m.rchunks(4).next())
        .map(|c| c.iter().fold(0u32, |a, b| a << 8 | u32::from(*b)))
        .unwrap_or(0);
    // htype 1 (Ethernet) for a 6-octet address; anything else travels
    // without chaddr, identified by option 61 alone.
    let hw = hw.filter(|m| m.len() == 6).map(|m| (1u8, m));
    let remembered = std::fs::read_to_string(file)
        .ok()
        .and_then(|t| Saved::parse(&t))
        .filter(|s| s.expires > unix_now())
        .map(|s| s.addr);
    Some(Conf4o6 {
        conf4: Conf4 {
            hw,
            client_id: ClientId::Duid {
                iaid,
                duid: duid.clone(),
            },
            prl: prl(&ci.request),
        },
        remembered,
    })
}

/// Sends a DHCPV4-QUERY to the unicast server `to` (C-158): the kernel
/// picks a source address of `to`'s scope (RFC 6724), link-local for a
/// link-local server on interface `ifindex`.
pub(super) fn client6_sendto(s: &State, ifindex: u32, ifname: &str, to: Ipv6Addr, bytes: &[u8]) {
    let scope = if to.is_unicast_link_local() {
        ifindex
    } else {
        0
    };
    let dst = SocketAddrV6::new(to, SERVER_PORT, 0, scope);
    match s.sock.send(bytes, dst, ifindex, Ipv6Addr::UNSPECIFIED) {
        Ok(_) => log_debug!("client6_send", "send DHCPv4-query to {to} on {ifname}"),
        Err(e) => log_err!("client6_send", "DHCPv4-query to {to} on {ifname}: {e}"),
    }
}

/// A DHCPV4-RESPONSE from `src` for machine `i`.
pub(super) fn client6_recv4o6(s: &mut State, i: usize, pkt: &[u8], src: Ipv6Addr) {
    let now = Instant::now();
    let res = match MessageRepr::from_bytes(pkt) {
        Ok(msg) => match s.ifaces.get_mut(i) {
            Some(f) => f.client.receive_4o6(now, &msg, src),
            None => return,
        },
        Err(e) => {
            log_info!("client6_recv", "dropped a DHCPv4-response from {src}: {e}");
            return;
        }
    };
    match res {
        Ok(acts) => {
            log_debug!("client6_recv", "receive DHCPv4-response from {src}");
            perform(s, i, acts);
        }
        Err(why) => log_info!(
            "client6_recv",
            "dropped a DHCPv4-response from {src}: {}",
            why.name()
        ),
    }
}

/// True (and declined) when the new address of `reason` is already held
/// by another interface of this host: the one conflict the host can see
/// by itself (RFC 2131 §3.1 step 5; over a softwire there is no ARP to
/// ask the link).
fn in_use(s: &mut State, i: usize, new: &Lease4, reason: Reason) -> bool {
    if !matches!(reason, Reason::Bound | Reason::Reboot) {
        return false;
    }
    let mine = s.ifaces.get(i).and_then(|f| f.dhcp4o6_if.clone());
    let holders = match ipv4_holders(new.addr) {
        Ok(h) => h,
        Err(e) => {
            log_err!("client6_lease4", "cannot list IPv4 addresses: {e}");
            return false;
        }
    };
    let Some(other) = holders.into_iter().find(|h| Some(h) != mine.as_ref()) else {
        return false;
    };
    log_notice!(
        "client6_lease4",
        "{}: already in use on {other}; declining it",
        new.addr
    );
    let acts = match s.ifaces.get_mut(i) {
        Some(f) => f.client.decline_4o6(Instant::now()),
        None => return true,
    };
    perform(s, i, acts);
    true
}

/// Applies a change of the IPv4 lease of machine `i`.
pub(super) fn client6_lease4(s: &mut State, i: usize, c: Change) {
    let Change { reason, new, old } = c;
    let now = Instant::now();
    if let Some(n) = &new {
        log_notice!(
            "client6_lease4",
            "{}: {}/{} from {} for {} s",
            reason.word(),
            n.addr,
            n.prefix_len(),
            n.server_id,
            n.lease_time
        );
        if in_use(s, i, n, reason) {
            return;
        }
    } else if let Some(o) = &old {
        log_notice!("client6_lease4", "{}: {} gone", reason.word(), o.addr);
    }
    let Some(f) = s.ifaces.get(i) else { return };
    let (on, file, script) = (
        f.dhcp4o6_if.clone(),
        f.lease4_file.clone(),
        f.script.clone(),
    );
    let ifname = on.clone().unwrap_or_else(|| f.client.ifname().to_string());
    if let Some(on) = &on {
        install(s, on, new.as_ref(), old.as_ref(), now);
    }
    save(&file, reason, new.as_ref(), now);
    if let Some(path) = script {
        let env = script4_env(&ifname, reason, new.as_ref(), old.as_ref());
        client6_script(&path, &env, s.args.foreground);
    }
}

/// The address on `on`: the old one removed if it changed or went, the
/// new one added or its lifetime refreshed.
fn install(s: &mut State, on: &str, new: Option<&Lease4>, old: Option<&Lease4>, now: Instant) {
    let Some(idx) = ifindex_of(s, on) else { return };
    let Some(nl) = s.nl.as_mut() else { return };
    let key = |l: &Lease4| (l.addr, l.prefix_len());
    if let Some(o) = old.filter(|o| new.map(key) != Some(key(o))) {
        let (a, p) = key(o);
        match nl.del_address4(idx, a, p) {
            Ok(()) => log_info!("remove_addr", "remove an address {a}/{p} on {on}"),
            Err(e) => log_err!("remove_addr", "failed to remove {a}/{p} on {on}: {e}"),
        }
    }
    if let Some(n) = new {
        let (a, p) = key(n);
        let valid = n.left(now);
        match nl.add_address4(idx, a, p, valid) {
            Ok(()) => log_info!(
                "update_address",
                "add an address {a}/{p} on {on} vltime={valid}"
            ),
            Err(e) => log_err!("update_address", "failed to add {a}/{p} on {on}: {e}"),
        }
    }
}

/// Keeps the lease for INIT-REBOOT, or forgets it when the server no
/// longer holds it for us; a stop (4o6 ended, `-n`) keeps it.
fn save(file: &Path, reason: Reason, new: Option<&Lease4>, now: Instant) {
    match (reason, new) {
        (_, Some(n)) => {
            let left = n.left(now);
            let expires = if left == crate::dhcp4::lease::INFINITE {
                u64::MAX
            } else {
                unix_now().saturating_add(u64::from(left))
            };
            let saved = Saved {
                addr: n.addr,
                server_id: n.server_id,
                expires,
            };
            if let Err(e) = libdhcp6::sys::atomic::replace(file, saved.format().as_bytes(), 0o644) {
                log_err!("client6_lease4", "{}: {e}", file.display());
            }
        }
        (Reason::Stop, None) => {}
        (_, None) => match std::fs::remove_file(file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => log_err!("client6_lease4", "{}: {e}", file.display()),
        },
    }
}
