//! The meaning of dhcp6s.conf (doc/wide-compat.md §2.3): WIDE's `configure_*`
//! checks for the server, plus kame6's links, prefix pools and IA_TA.

use std::net::Ipv6Addr;

use super::{Host, Link, Pool, PoolRef, PrefixPool, RelayId, Scope, ServerConfig, ServerInterface};
use crate::codes::IaKind;
use crate::config::check::{self, invalid, warn, Names};
use crate::config::grammar::ast::{
    Allow, Block, Decl, DeclKind, DelegateParam, DhcpOpt, File, PoolParam, Spanned, Stmt,
};
use crate::config::{Error, ErrorKind, FixedLease, Pos, Staged, UnixTime, Warning};
use crate::duid::Duid;
use crate::Prefix6;

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
#[derive(Default)]
struct Refs(Vec<(&'static str, String, Pos)>);

/// Checks a parsed dhcp6s.conf and builds the staged configuration.
/// Mirrors config.c:configure_interface, configure_host, configure_pool,
/// configure_keys, configure_authinfo and configure_global_option.
pub fn configure_server(file: &File, now: UnixTime) -> Result<Staged<ServerConfig>, Error> {
    let mut b = Builder::default();
    for stmt in file {
        b.stmt(stmt, now)?;
    }
    b.finish(file)
}

/// What [`configure_server`] gathers while it reads the statements in
/// file order.
#[derive(Default)]
struct Builder {
    cfg: ServerConfig,
    w: Vec<Warning>,
    refs: Refs,
    ifs: Names,
    hosts: Names,
    pools: Names,
    ppools: Names,
    keys: Names,
    auths: Names,
    links: Names,
    host_duids: Vec<(Duid, String)>,
    /// `id-assoc` blocks: unused by dhcp6s, but WIDE's `send ia-*` in an
    /// interface block must name one.
    ias: Vec<(IaKind, u32)>,
    link_pos: Vec<Pos>,
    ppool_pos: Vec<Pos>,
    /// Pools and prefix pools without a `subnet-id`: an error with a
    /// `lease-database`, which must know each lease's Kea subnet.
    no_subnet: Vec<(String, Pos)>,
    /// Where `lease-database` was given.
    db_pos: Option<Pos>,
}

impl Builder {
    /// One top-level statement. A second block of a name WIDE drops
    /// unchecked is dropped here too (with a warning).
    fn stmt(&mut self, stmt: &Spanned<Stmt>, now: UnixTime) -> Result<(), Error> {
        let (pos, w) = (&stmt.pos, &mut self.w);
        match &stmt.value {
            Stmt::Option(o) => check::add_option(&mut self.cfg.options, o, pos, w)?,
            Stmt::Interface(b) if self.ifs.first(&b.name, w) => {
                let scope = scope(b, Where::Interface, w, &mut self.refs)?;
                self.cfg.interfaces.push(ServerInterface {
                    name: b.name.value.clone(),
                    scope,
                });
            }
            Stmt::Link(b) if self.links.first(&b.name, w) => {
                let link = link(b, w, &mut self.refs)?;
                self.link_pos.push(b.name.pos.clone());
                self.cfg.links.push(link);
            }
            Stmt::Host(b) if self.hosts.first(&b.name, w) => {
                let h = host(b, w, &mut self.refs)?;
                self.push_host(h, &b.name.pos);
            }
            Stmt::Pool(b) => {
                unreferencable(&b.name, "pool", w);
                if self.pools.first(&b.name, w) {
                    let p = pool(b, w)?;
                    if p.subnet_id.is_none() {
                        self.no_subnet
                            .push((format!("pool {}", p.name), b.name.pos.clone()));
                    }
                    self.cfg.pools.push(p);
                }
            }
            Stmt::PrefixPool {
                name,
                params: items,
                subnet_id,
            } => {
                unreferencable(name, "prefix-pool", w);
                if self.ppools.first(name, w) {
                    let mut p = prefix_pool(name, items, w)?;
                    p.subnet_id = subnet_id.as_ref().map(check_subnet_id).transpose()?;
                    if p.subnet_id.is_none() {
                        self.no_subnet
                            .push((format!("prefix-pool {}", p.name), name.pos.clone()));
                    }
                    self.cfg.prefix_pools.push(p);
                    self.ppool_pos.push(name.pos.clone());
                }
            }
            Stmt::Keyinfo { name, params } => {
                unreferencable(name, "keyinfo", w);
                if self.keys.first(name, w) {
                    self.cfg.keys.push(check::keyinfo(name, params, now, w)?);
                }
            }
            Stmt::Authentication { name, params } if self.auths.first(name, w) => {
                self.cfg.auths.push(check::auth(name, params, true, w)?);
            }
            Stmt::Interface(_) | Stmt::Link(_) | Stmt::Host(_) | Stmt::Authentication { .. } => {}
            // WIDE's dhcp6s accepts and ignores id-assoc (doc/wide-compat.md §2.3).
            Stmt::IdAssoc { kind, iaid, .. } => {
                warn(
                    w,
                    pos,
                    "id-assoc is client configuration; dhcp6s ignores it",
                );
                self.ias.push((*kind, *iaid));
            }
            // Debian's dhcp6s checks a profile like an interface block and
            // then ignores it.
            Stmt::Profile(b) => {
                scope(b, Where::Interface, w, &mut self.refs)?;
                let name = &b.name.value;
                let msg = format!("profile {name} is client configuration; dhcp6s ignores it");
                warn(w, &b.name.pos, msg);
            }
            Stmt::LeaseFile(path) => {
                if self.cfg.lease_file.is_some() {
                    return Err(invalid(pos, "lease-file given twice"));
                }
                if !path.starts_with('/') {
                    return Err(invalid(
                        pos,
                        format!("lease-file \"{path}\" must be an absolute path"),
                    ));
                }
                self.cfg.lease_file = Some(path.clone());
            }
            Stmt::Dhcp4o6Port(p) => {
                if self.cfg.dhcp4o6_port.is_some() {
                    return Err(invalid(pos, "dhcp4o6-port given twice"));
                }
                let port = u16::try_from(*p).ok().filter(|p| *p != 0).ok_or_else(|| {
                    Error::new(
                        pos.clone(),
                        ErrorKind::OutOfRange {
                            value: *p,
                            min: 1,
                            max: 65535,
                        },
                    )
                })?;
                self.cfg.dhcp4o6_port = Some(port);
            }
            Stmt::LeaseDatabase { backend, conninfo } => {
                if self.db_pos.is_some() {
                    return Err(invalid(pos, "lease-database given twice"));
                }
                self.cfg.lease_database = Some(lease_database(backend, conninfo, pos, w)?);
                self.db_pos = Some(pos.clone());
            }
        }
        Ok(())
    }

    /// Adds a host; a DUID an earlier host has already is a warning, the
    /// first host winning.
    fn push_host(&mut self, h: Host, pos: &Pos) {
        if let Some(d) = &h.duid {
            if let Some((_, other)) = self.host_duids.iter().find(|(od, _)| od == d) {
                warn(
                    &mut self.w,
                    pos,
                    format!(
                        "host {} has the same DUID as host {other}; the first one wins",
                        h.name
                    ),
                );
            } else {
                self.host_duids.push((d.clone(), h.name.clone()));
            }
        }
        self.cfg.hosts.push(h);
    }

    /// The checks that need the whole file: overlaps, references, and
    /// DHCPv4-over-DHCPv6's two halves.
    fn finish(mut self, file: &File) -> Result<Staged<ServerConfig>, Error> {
        let cfg = &self.cfg;
        check_overlaps(cfg, &self.link_pos, &self.ppool_pos)?;
        if let Some(db) = &self.db_pos {
            if cfg.lease_file.is_some() {
                return Err(invalid(
                    db,
                    "lease-database and lease-file both given: leases are kept in one of them",
                ));
            }
            if let Some((what, pos)) = self.no_subnet.first() {
                return Err(invalid(
                    pos,
                    format!("{what}: subnet-id is required with a lease-database"),
                ));
            }
        }
        for (kind, name, pos) in self.refs.0 {
            let found = match kind {
                "pool" => cfg.pools.iter().any(|p| p.name == name),
                "prefix-pool" => cfg.prefix_pools.iter().any(|p| p.name == name),
                "authentication" => cfg.auths.iter().any(|a| a.name == name),
                IA_PD | IA_NA => {
                    let ia = if kind == IA_PD {
                        IaKind::Pd
                    } else {
                        IaKind::Na
                    };
                    // WIDE's add_options takes the IA off the declared
                    // list, so a second `send` of it is "not defined".
                    let at = self
                        .ias
                        .iter()
                        .position(|&(k, n)| k == ia && n.to_string() == name);
                    at.map(|i| self.ias.remove(i)).is_some()
                }
                _ => cfg.keys.iter().any(|k| k.name == name),
            };
            if !found {
                return Err(Error::new(pos, ErrorKind::Undefined { kind, name }));
            }
        }
        if cfg
            .options
            .addresses_of(crate::config::InfoKind::Dhcp4o6ServerAddress)
            .is_empty()
            != cfg.dhcp4o6_port.is_none()
        {
            warn(
                &mut self.w,
                &check::whole_file(file),
                "DHCPv4-over-DHCPv6 needs both 'option dhcp4o6-server-address' and 'dhcp4o6-port'",
            );
        }
        Ok(Staged {
            config: self.cfg,
            warnings: self.w,
        })
    }
}

/// Two links that claim the same link-address prefix or Interface-ID, or
/// two prefix pools that overlap, would make the server's choice depend on
/// file order or hand out one prefix twice: refuse them (kame6 objects, so
/// no WIDE file is affected).
fn check_overlaps(cfg: &ServerConfig, link_pos: &[Pos], ppool_pos: &[Pos]) -> Result<(), Error> {
    for (i, (l, pos)) in cfg.links.iter().zip(link_pos).enumerate() {
        for earlier in cfg.links.iter().take(i) {
            if let Some(p) = first_shared(&l.link_addresses, &earlier.link_addresses) {
                return Err(invalid(
                    pos,
                    format!(
                        "link {}: link-address {p} is already used by link {}",
                        l.name, earlier.name
                    ),
                ));
            }
            if first_shared(&l.interface_ids, &earlier.interface_ids).is_some() {
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

/// The first item of `a` that `b` holds too.
fn first_shared<'a, T: PartialEq>(a: &'a [T], b: &[T]) -> Option<&'a T> {
    a.iter().find(|x| b.contains(x))
}

/// WIDE reads a keyword (or a number) in a reference position as that
/// token, so an object named like one can be defined but never used.
fn unreferencable(name: &Spanned<String>, kind: &str, w: &mut Vec<Warning>) {
    let what = if crate::config::grammar::parser::is_kame_keyword(&name.value) {
        "a keyword"
    } else if crate::config::grammar::parser::is_wide_number(&name.value) {
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
    p: &PoolParam,
    pos: &Pos,
    slot: &mut Option<PoolRef>,
    refs: &mut Refs,
    w: &mut Vec<Warning>,
) -> Result<(), Error> {
    let lifetimes = check::lifetimes(p.pltime, p.vltime, pos)?;
    if slot.is_some() {
        warn(w, pos, format!("{kind} given twice; the last one is used"));
    }
    refs.0.push((kind, p.name.clone(), pos.clone()));
    *slot = Some(PoolRef {
        name: p.name.clone(),
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
            let p = u8::try_from(*n).map_err(|_| {
                Error::new(
                    pos.clone(),
                    ErrorKind::OutOfRange {
                        value: *n,
                        min: 0,
                        max: 255,
                    },
                )
            })?;
            if s.preference.is_some() {
                warn(w, pos, "preference given twice; the last one is used");
            }
            s.preference = Some(p);
        }
        DeclKind::Allow(Allow::RapidCommit) if at != Where::Host => s.allow_rapid_commit = true,
        DeclKind::Allow(Allow::Other(o)) if at != Where::Host => check::allow_other(o, pos, w)?,
        DeclKind::Allow(Allow::PartialAdvertise | Allow::RenewMissingIa) => {
            return Err(wrong_daemon(
                pos,
                "allow partial-advertise/renew-missing-ia",
            ))
        }
        DeclKind::AddressPool(p) => pool_ref("pool", p, pos, &mut s.address_pool, refs, w)?,
        DeclKind::PrefixPool(p) => pool_ref("prefix-pool", p, pos, &mut s.prefix_pool, refs, w)?,
        DeclKind::TaPool(p) => pool_ref("pool", p, pos, &mut s.ta_pool, refs, w)?,
        DeclKind::Option(o) => check::add_option(&mut s.options, o, pos, w)?,
        DeclKind::Send(list) if at == Where::Interface => {
            warn(w, pos, "'send' has no effect in dhcp6s.conf (ignored)");
            server_send(list, refs)?;
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
    let mut auths = b
        .decls
        .iter()
        .filter_map(|d| match &d.value {
            DeclKind::Send(list) => Some(list),
            _ => None,
        })
        .flatten()
        .filter(|o| matches!(o.value, DhcpOpt::Authentication(_)));
    if let (Some(_), Some(second)) = (auths.next(), auths.next()) {
        let msg = format!("authentication is doubly specified on {}", b.name.value);
        return Err(invalid(&second.pos, msg));
    }
    Ok(s)
}

/// [`Refs`] kinds of `send ia-pd N` / `send ia-na N`.
const IA_PD: &str = "id-assoc pd";
const IA_NA: &str = "id-assoc na";

/// What WIDE's add_options still checks in a server's `send` list, though
/// dhcp6s uses none of it: an IA or authentication block named there must
/// be defined (each IA taken by the first interface sending it; checked
/// once the file is read). Information options are skipped as WIDE skips
/// them; kame6's own client items are not WIDE syntax and mean nothing to
/// a server.
fn server_send(list: &[Spanned<DhcpOpt>], refs: &mut Refs) -> Result<(), Error> {
    for o in list {
        let pos = o.pos.clone();
        match &o.value {
            DhcpOpt::IaPd(n) => refs.0.push((IA_PD, n.to_string(), pos)),
            DhcpOpt::IaNa(n) => refs.0.push((IA_NA, n.to_string(), pos)),
            DhcpOpt::Authentication(a) => refs.0.push(("authentication", a.clone(), pos)),
            DhcpOpt::RapidCommit | DhcpOpt::Info(_) | DhcpOpt::RefreshTime => {}
            DhcpOpt::IaTa(_) | DhcpOpt::Raw { .. } | DhcpOpt::ReconfigureAccept => {
                return Err(wrong_daemon(&pos, &format!("send {}", o.value.describe())));
            }
        }
    }
    Ok(())
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
            DeclKind::LinkAddress { addr: a, len } => {
                let p = check::prefix(*a, *len, &d.pos, w)?;
                if l.link_addresses.contains(&p) {
                    return Err(invalid(&d.pos, format!("duplicated link-address {p}")));
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
                let Prefix6 { addr, len } = check::prefix(p.addr, p.len, pos, w)?;
                check::check_scope(addr, pos, "prefix")?;
                let lifetimes = check::lifetimes(p.pltime, p.vltime, pos)?;
                if h.prefixes.iter().any(|x| x.addr == addr && x.len == len) {
                    return Err(invalid(
                        pos,
                        format!("duplicated prefix {addr}/{len} for host {}", h.name),
                    ));
                }
                h.prefixes.push(FixedLease {
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
                h.addresses.push(FixedLease {
                    addr: a.addr,
                    len: 128,
                    lifetimes,
                });
            }
            DeclKind::RemoteId { .. }
            | DeclKind::SubscriberId(_)
            | DeclKind::HardwareAddress(_) => {
                push_relay_id(&mut h, relay_id(d)?, d)?;
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

/// The relay identifier a host's `remote-id`, `subscriber-id` or
/// `hardware-address` declaration names, as the option data to match.
fn relay_id(d: &Decl) -> Result<RelayId, Error> {
    let pos = &d.pos;
    match &d.value {
        DeclKind::RemoteId { enterprise, id } => {
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
            Ok(RelayId::RemoteId(data))
        }
        DeclKind::SubscriberId(id) => {
            if id.is_empty() {
                return Err(invalid(pos, "empty subscriber-id"));
            }
            Ok(RelayId::SubscriberId(id.clone()))
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
            Ok(RelayId::LinkLayer(data))
        }
        other => Err(invalid(
            pos,
            format!("'{}' is not a relay identifier", other.keyword()),
        )),
    }
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

/// Kea's largest subnet ID (its `SUBNET_ID_MAX`); 0 means none.
pub(crate) const SUBNET_ID_MAX: u64 = 4_294_967_294;

/// Checks a `subnet-id N`: a Kea subnet ID, 1 to 4294967294.
pub(crate) fn check_subnet_id(n: &Spanned<u64>) -> Result<u32, Error> {
    u32::try_from(n.value)
        .ok()
        .filter(|v| (1..=SUBNET_ID_MAX).contains(&u64::from(*v)))
        .ok_or_else(|| {
            Error::new(
                n.pos.clone(),
                ErrorKind::OutOfRange {
                    value: n.value,
                    min: 1,
                    max: SUBNET_ID_MAX,
                },
            )
        })
}

/// Checks `lease-database TYPE "CONNINFO"`: PostgreSQL only, and a
/// connection string libpq would read. A password in it is a warning:
/// it belongs in a password file (`passfile=`, doc/postgresql.md).
/// dhcp4s.conf's `lease-database` is checked by the same rule.
pub(crate) fn lease_database(
    backend: &str,
    conninfo: &str,
    pos: &Pos,
    w: &mut Vec<Warning>,
) -> Result<String, Error> {
    if backend != "postgresql" {
        return Err(invalid(
            pos,
            format!("unknown lease-database type {backend} (kame6 knows postgresql)"),
        ));
    }
    let uri = conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
    if !uri {
        let pairs = crate::lease::kea::parse_conninfo(conninfo)
            .map_err(|e| invalid(pos, format!("lease-database connection string: {e}")))?;
        if pairs.iter().any(|(k, _)| k == "password") {
            warn(
                w,
                pos,
                "lease-database: a password in the configuration file; a password file (passfile=) keeps it out",
            );
        }
    }
    Ok(conninfo.to_string())
}

fn pool(b: &Block, w: &mut Vec<Warning>) -> Result<Pool, Error> {
    let mut range: Option<(Ipv6Addr, Ipv6Addr)> = None;
    let mut subnet_id = None;
    for d in &b.decls {
        match &d.value {
            DeclKind::SubnetId(n) => {
                if subnet_id.is_some() {
                    return Err(invalid(
                        &d.pos,
                        format!("pool {}: subnet-id given twice", b.name.value),
                    ));
                }
                subnet_id = Some(check_subnet_id(&Spanned {
                    value: *n,
                    pos: d.pos.clone(),
                })?);
            }
            DeclKind::Range { first: a, last: z } => {
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
        subnet_id,
    })
}

fn prefix_pool(
    name: &Spanned<String>,
    items: &[Spanned<DelegateParam>],
    w: &mut Vec<Warning>,
) -> Result<PrefixPool, Error> {
    let mut out = None;
    for it in items {
        let d = it.value.delegated_len;
        let Prefix6 {
            addr: prefix,
            len: prefix_len,
        } = check::prefix(it.value.prefix, it.value.len, &it.pos, w)?;
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
            subnet_id: None,
        });
    }
    out.ok_or_else(|| invalid(&name.pos, format!("prefix-pool {}: no prefix", name.value)))
}
