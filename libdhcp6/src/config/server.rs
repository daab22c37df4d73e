//! The meaning of dhcp6s.conf (doc/wide-compat.md §2.3): WIDE's `configure_*`
//! checks for the server, plus kame6's links, prefix pools and IA_TA.

use std::net::Ipv6Addr;

use super::ast::{Allow, Block, Decl, DeclKind, File, Spanned, Stmt};
use super::check::{self, invalid, warn, Names};
use super::{
    Error, ErrorKind, Host, Lease, Link, Pool, PoolRef, Pos, PrefixPool, RelayId, Scope,
    ServerConfig, ServerInterface, Staged, UnixTime, Warning,
};
use crate::duid::Duid;

/// Where a declaration list sits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Where {
    Interface,
    Link,
    Host,
}

impl Where {
    fn name(self) -> &'static str {
        match self {
            Where::Interface => "an interface",
            Where::Link => "a link",
            Where::Host => "a host",
        }
    }
}

fn wrong_daemon(pos: &Pos, what: &str) -> Error {
    Error::new(
        pos.clone(),
        ErrorKind::WrongDaemon(format!(
            "'{what}' is client-only configuration, not allowed in dhcp6s.conf"
        )),
    )
}

fn not_here(pos: &Pos, what: &str, w: Where) -> Error {
    invalid(
        pos,
        format!("'{what}' is not allowed in {} block", w.name()),
    )
}

/// References checked once the whole file is read (WIDE resolves in the
/// order keys -> pools -> interfaces -> hosts; order only changes which
/// error comes first).
struct Refs(Vec<(&'static str, String, Pos)>);

/// Checks a parsed dhcp6s.conf and builds the staged configuration.
/// Mirrors config.c:configure_interface, configure_host, configure_pool,
/// configure_keys, configure_authinfo and configure_global_option.
pub fn configure_server(file: &File, now: UnixTime) -> Result<Staged<ServerConfig>, Error> {
    let mut cfg = ServerConfig::default();
    let mut w = Vec::new();
    let mut refs = Refs(Vec::new());
    let (mut ifs, mut hosts, mut pools, mut ppools, mut keys, mut auths, mut links) = (
        Names::default(),
        Names::default(),
        Names::default(),
        Names::default(),
        Names::default(),
        Names::default(),
        Names::default(),
    );
    let mut host_duids: Vec<(Duid, String)> = Vec::new();
    let (mut link_pos, mut ppool_pos): (Vec<Pos>, Vec<Pos>) = (Vec::new(), Vec::new());
    for stmt in file {
        let pos = &stmt.pos;
        match &stmt.value {
            Stmt::Option(o) => check::add_option(&mut cfg.options, o, pos, &mut w)?,
            Stmt::Interface(b) => {
                // WIDE drops a second block of the same name unchecked.
                if !ifs.first(&b.name, &mut w) {
                    continue;
                }
                let scope = scope(b, Where::Interface, &mut w, &mut refs)?;
                cfg.interfaces.push(ServerInterface {
                    name: b.name.value.clone(),
                    scope,
                });
            }
            Stmt::Link(b) => {
                if !links.first(&b.name, &mut w) {
                    continue;
                }
                let link = link(b, &mut w, &mut refs)?;
                link_pos.push(b.name.pos.clone());
                cfg.links.push(link);
            }
            Stmt::Host(b) => {
                if !hosts.first(&b.name, &mut w) {
                    continue;
                }
                let h = host(b, &mut w, &mut refs)?;
                {
                    if let Some(d) = &h.duid {
                        if let Some((_, other)) = host_duids.iter().find(|(od, _)| od == d) {
                            warn(
                                &mut w,
                                &b.name.pos,
                                format!(
                                    "host {} has the same DUID as host {other}; the first one wins",
                                    h.name
                                ),
                            );
                        } else {
                            host_duids.push((d.clone(), h.name.clone()));
                        }
                    }
                    cfg.hosts.push(h);
                }
            }
            Stmt::Pool(b) => {
                unreferencable(&b.name, "pool", &mut w);
                if !pools.first(&b.name, &mut w) {
                    continue;
                }
                cfg.pools.push(pool(b, &mut w)?);
            }
            Stmt::PrefixPool(name, items) => {
                unreferencable(name, "prefix-pool", &mut w);
                if !ppools.first(name, &mut w) {
                    continue;
                }
                cfg.prefix_pools.push(prefix_pool(name, items, &mut w)?);
                ppool_pos.push(name.pos.clone());
            }
            Stmt::Keyinfo(name, params) => {
                unreferencable(name, "keyinfo", &mut w);
                if !keys.first(name, &mut w) {
                    continue;
                }
                cfg.keys.push(check::keyinfo(name, params, now, &mut w)?);
            }
            Stmt::Authentication(name, params) => {
                if !auths.first(name, &mut w) {
                    continue;
                }
                cfg.auths.push(check::auth(name, params, true, &mut w)?);
            }
            // WIDE's dhcp6s accepts and ignores id-assoc (doc/wide-compat.md §2.3).
            Stmt::IdAssoc(..) => warn(
                &mut w,
                pos,
                "id-assoc is client configuration; dhcp6s ignores it",
            ),
            // Debian's dhcp6s checks a profile like an interface block and
            // then ignores it.
            Stmt::Profile(b) => {
                scope(b, Where::Interface, &mut w, &mut refs)?;
                warn(
                    &mut w,
                    &b.name.pos,
                    format!(
                        "profile {} is client configuration; dhcp6s ignores it",
                        b.name.value
                    ),
                );
            }
            Stmt::LeaseFile(path) => {
                if cfg.lease_file.is_some() {
                    return Err(invalid(pos, "lease-file given twice"));
                }
                if !path.starts_with('/') {
                    return Err(invalid(
                        pos,
                        format!("lease-file \"{path}\" must be an absolute path"),
                    ));
                }
                cfg.lease_file = Some(path.clone());
            }
            Stmt::Dhcp4o6Port(p) => {
                if cfg.dhcp4o6_port.is_some() {
                    return Err(invalid(pos, "dhcp4o6-port given twice"));
                }
                let port = u16::try_from(*p)
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| Error::new(pos.clone(), ErrorKind::OutOfRange(*p, 1, 65535)))?;
                cfg.dhcp4o6_port = Some(port);
            }
        }
    }
    check_overlaps(&cfg, &link_pos, &ppool_pos)?;
    for (kind, name, pos) in refs.0 {
        let found = match kind {
            "pool" => cfg.pools.iter().any(|p| p.name == name),
            "prefix-pool" => cfg.prefix_pools.iter().any(|p| p.name == name),
            _ => cfg.keys.iter().any(|k| k.name == name),
        };
        if !found {
            return Err(Error::new(pos, ErrorKind::Undefined { kind, name }));
        }
    }
    if cfg
        .options
        .addresses_of(super::InfoKind::Dhcp4o6ServerAddress)
        .is_empty()
        != cfg.dhcp4o6_port.is_none()
    {
        warn(
            &mut w,
            &Pos {
                file: file
                    .first()
                    .map(|s| s.pos.file.clone())
                    .unwrap_or_else(|| "".into()),
                line: 0,
                col: 0,
            },
            "DHCPv4-over-DHCPv6 needs both 'option dhcp4o6-server-address' and 'dhcp4o6-port'",
        );
    }
    Ok(Staged {
        config: cfg,
        warnings: w,
    })
}

/// Two links that claim the same link-address prefix or Interface-ID, or
/// two prefix pools that overlap, would make the server's choice depend on
/// file order or hand out one prefix twice: refuse them (kame6 objects, so
/// no WIDE file is affected).
fn check_overlaps(cfg: &ServerConfig, link_pos: &[Pos], ppool_pos: &[Pos]) -> Result<(), Error> {
    for (i, (l, pos)) in cfg.links.iter().zip(link_pos).enumerate() {
        for earlier in cfg.links.iter().take(i) {
            if let Some((a, len)) = l
                .link_addresses
                .iter()
                .find(|p| earlier.link_addresses.contains(p))
            {
                return Err(invalid(
                    pos,
                    format!(
                        "link {}: link-address {a}/{len} is already used by link {}",
                        l.name, earlier.name
                    ),
                ));
            }
            if l.interface_ids
                .iter()
                .any(|id| earlier.interface_ids.contains(id))
            {
                return Err(invalid(
                    pos,
                    format!(
                        "link {}: interface-id is already used by link {}",
                        l.name, earlier.name
                    ),
                ));
            }
        }
    }
    for (i, (p, pos)) in cfg.prefix_pools.iter().zip(ppool_pos).enumerate() {
        for earlier in cfg.prefix_pools.iter().take(i) {
            let shorter = p.prefix_len.min(earlier.prefix_len);
            if check::mask(p.prefix, shorter) == check::mask(earlier.prefix, shorter) {
                return Err(invalid(
                    pos,
                    format!(
                        "prefix-pool {} overlaps prefix-pool {}",
                        p.name, earlier.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// WIDE reads a keyword (or a number) in a reference position as that
/// token, so an object named like one can be defined but never used.
fn unreferencable(name: &Spanned<String>, kind: &str, w: &mut Vec<Warning>) {
    let what = if super::parser::is_kame_keyword(&name.value) {
        "a keyword"
    } else if super::parser::is_wide_number(&name.value) {
        "a number"
    } else {
        return;
    };
    let msg = format!(
        "{kind} name '{}' is {what} and can never be referenced",
        name.value
    );
    warn(w, &name.pos, msg);
}

fn pool_ref(
    kind: &'static str,
    name: &str,
    (pl, vl): (u32, Option<u32>),
    pos: &Pos,
    slot: &mut Option<PoolRef>,
    refs: &mut Refs,
    w: &mut Vec<Warning>,
) -> Result<(), Error> {
    let lifetimes = check::lifetimes(pl, vl, pos)?;
    if slot.is_some() {
        warn(w, pos, format!("{kind} given twice; the last one is used"));
    }
    refs.0.push((kind, name.to_string(), pos.clone()));
    *slot = Some(PoolRef {
        name: name.to_string(),
        lifetimes,
    });
    Ok(())
}

/// The declarations every scope shares; `Ok(false)` if `d` is not one.
fn scope_decl(
    d: &Spanned<DeclKind>,
    at: Where,
    s: &mut Scope,
    w: &mut Vec<Warning>,
    refs: &mut Refs,
) -> Result<bool, Error> {
    let pos = &d.pos;
    match &d.value {
        DeclKind::Preference(n) if at != Where::Host => {
            let p = u8::try_from(*n)
                .map_err(|_| Error::new(pos.clone(), ErrorKind::OutOfRange(*n, 0, 255)))?;
            if s.preference.is_some() {
                warn(w, pos, "preference given twice; the last one is used");
            }
            s.preference = Some(p);
        }
        DeclKind::Allow(Allow::RapidCommit) if at != Where::Host => s.allow_rapid_commit = true,
        DeclKind::Allow(_) => {
            return Err(wrong_daemon(
                pos,
                "allow partial-advertise/renew-missing-ia",
            ))
        }
        DeclKind::AddressPool(n, pl, vl) => {
            pool_ref("pool", n, (*pl, *vl), pos, &mut s.address_pool, refs, w)?
        }
        DeclKind::PrefixPool(n, pl, vl) => pool_ref(
            "prefix-pool",
            n,
            (*pl, *vl),
            pos,
            &mut s.prefix_pool,
            refs,
            w,
        )?,
        DeclKind::TaPool(n, pl, vl) => {
            pool_ref("pool", n, (*pl, *vl), pos, &mut s.ta_pool, refs, w)?
        }
        DeclKind::Option(o) => check::add_option(&mut s.options, o, pos, w)?,
        DeclKind::Send(_) if at == Where::Interface => {
            warn(w, pos, "'send' has no effect in dhcp6s.conf (ignored)");
        }
        DeclKind::Request(_) => return Err(wrong_daemon(pos, "request")),
        DeclKind::InformationOnly => return Err(wrong_daemon(pos, "information-only")),
        DeclKind::Script(_) => return Err(wrong_daemon(pos, "script")),
        _ => return Ok(false),
    }
    Ok(true)
}

fn scope(b: &Block, at: Where, w: &mut Vec<Warning>, refs: &mut Refs) -> Result<Scope, Error> {
    let mut s = Scope::default();
    for d in &b.decls {
        if !scope_decl(d, at, &mut s, w, refs)? {
            return Err(not_here(&d.pos, d.value.keyword(), at));
        }
    }
    Ok(s)
}

fn link(b: &Block, w: &mut Vec<Warning>, refs: &mut Refs) -> Result<Link, Error> {
    let mut l = Link {
        name: b.name.value.clone(),
        link_addresses: Vec::new(),
        interface_ids: Vec::new(),
        scope: Scope::default(),
    };
    for d in &b.decls {
        match &d.value {
            DeclKind::LinkAddress(a, len) => {
                let p = check::prefix(*a, *len, &d.pos, w)?;
                if l.link_addresses.contains(&p) {
                    return Err(invalid(
                        &d.pos,
                        format!("duplicated link-address {}/{}", p.0, p.1),
                    ));
                }
                l.link_addresses.push(p);
            }
            DeclKind::InterfaceId(id) => {
                if id.is_empty() {
                    return Err(invalid(&d.pos, "empty interface-id"));
                }
                if l.interface_ids.contains(id) {
                    return Err(invalid(&d.pos, "duplicated interface-id"));
                }
                l.interface_ids.push(id.clone());
            }
            _ => {
                if !scope_decl(d, Where::Link, &mut l.scope, w, refs)? {
                    return Err(not_here(&d.pos, d.value.keyword(), Where::Link));
                }
            }
        }
    }
    if l.link_addresses.is_empty() && l.interface_ids.is_empty() {
        return Err(invalid(
            &b.name.pos,
            format!("link {} needs a link-address or an interface-id", l.name),
        ));
    }
    Ok(l)
}

fn host(b: &Block, w: &mut Vec<Warning>, refs: &mut Refs) -> Result<Host, Error> {
    let mut h = Host {
        name: b.name.value.clone(),
        duid: None,
        prefixes: Vec::new(),
        addresses: Vec::new(),
        delayed_key: None,
        relay_ids: Vec::new(),
        scope: Scope::default(),
    };
    let mut saw_duid = false;
    for d in &b.decls {
        let pos = &d.pos;
        match &d.value {
            DeclKind::Duid(bytes) => {
                if saw_duid {
                    return Err(invalid(pos, format!("host {}: duplicated DUID", h.name)));
                }
                saw_duid = true;
                if bytes.len() > 128 {
                    return Err(invalid(
                        pos,
                        format!("DUID of {} octets is too long (at most 128)", bytes.len()),
                    ));
                }
                match Duid::from_bytes(bytes) {
                    Ok(duid) => h.duid = Some(duid),
                    // WIDE takes 1..2 octets too; no RFC 8415 client can
                    // send such a DUID, so the host can never match.
                    Err(_) => warn(w, pos, format!("DUID of {} octets can never match a client (RFC 8415: at least 3); host ignored for matching", bytes.len())),
                }
            }
            DeclKind::Prefix(p) => {
                let (addr, len) = check::prefix(p.addr, p.len, pos, w)?;
                check::check_scope(addr, pos, "prefix")?;
                let lifetimes = check::lifetimes(p.pltime, p.vltime, pos)?;
                if h.prefixes.iter().any(|x| x.addr == addr && x.len == len) {
                    return Err(invalid(
                        pos,
                        format!("duplicated prefix {addr}/{len} for host {}", h.name),
                    ));
                }
                h.prefixes.push(Lease {
                    addr,
                    len,
                    lifetimes,
                });
            }
            DeclKind::Address(a) => {
                check::check_scope(a.addr, pos, "address")?;
                let lifetimes = check::lifetimes(a.pltime, a.vltime, pos)?;
                if h.addresses.iter().any(|x| x.addr == a.addr) {
                    return Err(invalid(
                        pos,
                        format!("duplicated address {} for host {}", a.addr, h.name),
                    ));
                }
                h.addresses.push(Lease {
                    addr: a.addr,
                    len: 128,
                    lifetimes,
                });
            }
            DeclKind::RemoteId(enterprise, id) => {
                let e = u32::try_from(*enterprise).map_err(|_| {
                    invalid(
                        pos,
                        format!("enterprise number {enterprise} is out of range"),
                    )
                })?;
                if id.is_empty() {
                    return Err(invalid(pos, "empty remote-id"));
                }
                let mut data = e.to_be_bytes().to_vec();
                data.extend_from_slice(id);
                push_relay_id(&mut h, RelayId::RemoteId(data), d)?;
            }
            DeclKind::SubscriberId(id) => {
                if id.is_empty() {
                    return Err(invalid(pos, "empty subscriber-id"));
                }
                push_relay_id(&mut h, RelayId::SubscriberId(id.clone()), d)?;
            }
            DeclKind::HardwareAddress(mac) => {
                if mac.len() != 6 {
                    return Err(invalid(
                        pos,
                        format!(
                            "hardware-address of {} octets (an Ethernet address has 6)",
                            mac.len()
                        ),
                    ));
                }
                // RFC 6939: link-layer type 1 (Ethernet), then the address.
                let mut data = vec![0, 1];
                data.extend_from_slice(mac);
                push_relay_id(&mut h, RelayId::LinkLayer(data), d)?;
            }
            DeclKind::DelayedKey(k) => {
                if h.delayed_key.is_some() {
                    warn(
                        w,
                        pos,
                        format!("host {}: multiple delayedkey (ignored)", h.name),
                    );
                } else {
                    refs.0.push(("keyinfo", k.clone(), pos.clone()));
                    h.delayed_key = Some(k.clone());
                }
            }
            _ => {
                if !scope_decl(d, Where::Host, &mut h.scope, w, refs)? {
                    return Err(not_here(pos, d.value.keyword(), Where::Host));
                }
            }
        }
    }
    if !saw_duid && h.relay_ids.is_empty() {
        warn(
            w,
            &b.name.pos,
            format!("host {} has no duid and can never match a client", h.name),
        );
    }
    Ok(h)
}

/// Adds a relay identifier of declaration `d` to the host; the same one
/// twice is an error.
fn push_relay_id(h: &mut Host, id: RelayId, d: &Decl) -> Result<(), Error> {
    if h.relay_ids.contains(&id) {
        return Err(invalid(
            &d.pos,
            format!("host {}: duplicated {}", h.name, d.value.keyword()),
        ));
    }
    h.relay_ids.push(id);
    Ok(())
}

fn pool(b: &Block, w: &mut Vec<Warning>) -> Result<Pool, Error> {
    let mut range: Option<(Ipv6Addr, Ipv6Addr)> = None;
    for d in &b.decls {
        match &d.value {
            DeclKind::Range(a, z) => {
                if u128::from(*a) > u128::from(*z) {
                    return Err(invalid(&d.pos, format!("invalid address range {a} to {z}")));
                }
                if range.is_some() {
                    warn(
                        w,
                        &d.pos,
                        format!(
                            "pool {}: several ranges; the last one is used, as in WIDE",
                            b.name.value
                        ),
                    );
                }
                range = Some((*a, *z));
            }
            other => {
                return Err(invalid(
                    &d.pos,
                    format!("'{}' is not allowed in a pool block", other.keyword()),
                ))
            }
        }
    }
    let (start, end) = range.ok_or_else(|| {
        invalid(
            &b.name.pos,
            format!("pool {}: no address range", b.name.value),
        )
    })?;
    Ok(Pool {
        name: b.name.value.clone(),
        start,
        end,
    })
}

fn prefix_pool(
    name: &Spanned<String>,
    items: &[Spanned<(Ipv6Addr, u64, u64)>],
    w: &mut Vec<Warning>,
) -> Result<PrefixPool, Error> {
    let mut out = None;
    for it in items {
        let (a, l, d) = it.value;
        let (prefix, prefix_len) = check::prefix(a, l, &it.pos, w)?;
        check::check_scope(prefix, &it.pos, "prefix")?;
        let delegated_len = u8::try_from(d)
            .ok()
            .filter(|d| *d >= prefix_len && *d <= 128)
            .ok_or_else(|| {
                invalid(
                    &it.pos,
                    format!("delegated length {d} must be between {prefix_len} and 128"),
                )
            })?;
        if out.is_some() {
            return Err(invalid(
                &it.pos,
                format!("prefix-pool {}: only one prefix per pool", name.value),
            ));
        }
        out = Some(PrefixPool {
            name: name.value.clone(),
            prefix,
            prefix_len,
            delegated_len,
        });
    }
    out.ok_or_else(|| invalid(&name.pos, format!("prefix-pool {}: no prefix", name.value)))
}
