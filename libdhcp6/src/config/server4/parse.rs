//! dhcp4s.conf's statements (doc/config.md "dhcp4s.conf"), read with the
//! KAME grammar's token cursor and checked as they are read, so every error
//! points at the text that caused it.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::Arc;

use super::{Select4o6, Server4Config};
use crate::config::grammar::ast::Spanned;
use crate::config::grammar::lexer::{tokenize, Tok};
use crate::config::grammar::parser::Parser;
use crate::config::server::configure::{check_subnet_id, lease_database, SUBNET_ID_MAX};
use crate::config::{Error, ErrorKind, Pos, Staged};
use crate::dhcp4::engine::{
    ClientKey, Config4, ConfigError, Options4, Range4, Reservation4, Subnet4,
};
use crate::dhcp4::ClasslessRoute;
use crate::Prefix6;

/// Hardware type of `hardware-address` (Ethernet, RFC 1700).
pub const HTYPE_ETHERNET: u8 = 1;

/// The smallest MTU `interface-mtu` accepts (RFC 2132 §5.1).
const MIN_MTU: u64 = 68;

/// Most subnets, ranges per subnet and hosts per subnet read: the engine's
/// tables grow with them, and no real server needs more.
const MAX_SUBNETS: usize = 4096;
const MAX_ITEMS: usize = 65_536;

fn invalid(pos: Pos, what: impl Into<String>) -> Error {
    Error::new(pos, ErrorKind::Invalid(what.into()))
}

/// Fails when a once-only statement is written a second time.
fn once<T>(slot: &Option<T>, pos: &Pos, what: &str) -> Result<(), Error> {
    match slot {
        Some(_) => Err(invalid(pos.clone(), format!("{what} given twice"))),
        None => Ok(()),
    }
}

impl Parser {
    fn ipv4(&mut self, what: &str) -> Result<Ipv4Addr, Error> {
        let pos = self.peek().pos.clone();
        match &self.peek().tok {
            Tok::Word(w) => match Ipv4Addr::from_str(w) {
                Ok(a) => {
                    self.bump();
                    Ok(a)
                }
                Err(_) => Err(invalid(pos, format!("'{w}' is not an IPv4 address"))),
            },
            _ => Err(self.expected(what, "")),
        }
    }

    /// `A/L` with `L` at most `max`.
    fn slash_len(&mut self, max: u64) -> Result<u8, Error> {
        self.punct(Tok::Slash, "'/'", "after prefix address")?;
        let pos = self.peek().pos.clone();
        let len = self.number("after '/'")?;
        if len > max {
            return Err(Error::new(
                pos,
                ErrorKind::OutOfRange {
                    value: len,
                    min: 0,
                    max,
                },
            ));
        }
        Ok(u8::try_from(len).unwrap_or(u8::MAX))
    }

    fn ipv4_prefix(&mut self) -> Result<(Ipv4Addr, u8), Error> {
        let a = self.ipv4("an IPv4 prefix")?;
        Ok((a, self.slash_len(32)?))
    }

    fn ipv6_prefix(&mut self) -> Result<Prefix6, Error> {
        let pos = self.peek().pos.clone();
        let addr = match &self.peek().tok {
            Tok::Word(w) => Ipv6Addr::from_str(w)
                .map_err(|_| Error::new(pos, ErrorKind::BadAddress(w.clone())))?,
            _ => return Err(self.expected("an IPv6 prefix", "")),
        };
        self.bump();
        Ok(Prefix6 {
            addr,
            len: self.slash_len(128)?,
        })
    }

    /// One or more IPv4 addresses up to the `;`.
    fn ipv4_list(&mut self, what: &str) -> Result<Vec<Ipv4Addr>, Error> {
        let mut out = vec![self.ipv4(what)?];
        while matches!(self.peek().tok, Tok::Word(_)) && out.len() < 256 {
            out.push(self.ipv4(what)?);
        }
        Ok(out)
    }

    /// A word or quoted string (interface names).
    fn text(&mut self, what: &str) -> Result<String, Error> {
        match &self.peek().tok {
            Tok::Word(w) | Tok::Quoted(w) => {
                let w = w.clone();
                self.bump();
                Ok(w)
            }
            _ => Err(self.expected(what, "")),
        }
    }

    /// `option NAME VALUE...;` into `opts`.
    fn option4(&mut self, opts: &mut Options4) -> Result<(), Error> {
        let name = self.name("an option name")?;
        let twice = |set: bool| {
            if set {
                Err(invalid(
                    name.pos.clone(),
                    format!("option {} given twice", name.value),
                ))
            } else {
                Ok(())
            }
        };
        match name.value.as_str() {
            "routers" => {
                twice(!opts.routers.is_empty())?;
                opts.routers = self.ipv4_list("a router address")?;
            }
            "domain-name-servers" => {
                twice(!opts.dns_servers.is_empty())?;
                opts.dns_servers = self.ipv4_list("a DNS server address")?;
            }
            "ntp-servers" => {
                twice(!opts.ntp_servers.is_empty())?;
                opts.ntp_servers = self.ipv4_list("an NTP server address")?;
            }
            "domain-name" => {
                twice(opts.domain_name.is_some())?;
                let pos = self.peek().pos.clone();
                let d = self.quoted("domain name")?;
                if d.is_empty() || d.len() > 255 {
                    return Err(invalid(pos, "a domain name has 1 to 255 characters"));
                }
                opts.domain_name = Some(d.into_bytes());
            }
            "interface-mtu" => {
                twice(opts.mtu.is_some())?;
                let pos = self.peek().pos.clone();
                let n = self.number("after 'interface-mtu'")?;
                let mtu = u16::try_from(n).ok().filter(|&m| u64::from(m) >= MIN_MTU);
                opts.mtu = Some(mtu.ok_or_else(|| {
                    Error::new(
                        pos,
                        ErrorKind::OutOfRange {
                            value: n,
                            min: MIN_MTU,
                            max: u64::from(u16::MAX),
                        },
                    )
                })?);
            }
            "classless-static-routes" => {
                twice(!opts.classless_routes.is_empty())?;
                loop {
                    let (destination, prefix_len) = self.ipv4_prefix()?;
                    let router = self.ipv4("a router address")?;
                    opts.classless_routes.push(ClasslessRoute {
                        destination,
                        prefix_len,
                        router,
                    });
                    if !matches!(self.peek().tok, Tok::Word(_)) || opts.classless_routes.len() >= 64
                    {
                        break;
                    }
                }
            }
            other => {
                return Err(invalid(
                    name.pos.clone(),
                    format!("unknown DHCPv4 option '{other}' (routers, domain-name-servers, domain-name, ntp-servers, interface-mtu, classless-static-routes)"),
                ))
            }
        }
        self.semi("after option")
    }
}

/// One `host NAME { ... };` block of `subnet`.
fn host(p: &mut Parser, subnet: &Subnet4) -> Result<Reservation4, Error> {
    let name = p.name("a host name")?;
    p.punct(Tok::LBrace, "'{'", "after host name")?;
    let (mut key, mut addr) = (None, None);
    let mut options = Options4::default();
    loop {
        let pos = p.peek().pos.clone();
        if p.peek().tok == Tok::RBrace {
            p.bump();
            break;
        }
        let word = p.name("a host statement or '}'")?.value;
        match word.as_str() {
            "hardware-address" | "client-id" => {
                once(&key, &pos, "hardware-address or client-id")?;
                let bytes = p.hex("hex octets xx:xx:...")?;
                key = Some(if word == "client-id" {
                    if bytes.len() < 2 {
                        return Err(invalid(
                            pos,
                            "a client identifier has at least 2 octets (type and identifier)",
                        ));
                    }
                    ClientKey::Id(bytes)
                } else {
                    if bytes.is_empty() || bytes.len() > crate::dhcp4::CHADDR_LEN {
                        return Err(invalid(pos, "a hardware address has 1 to 16 octets"));
                    }
                    ClientKey::Hw {
                        htype: HTYPE_ETHERNET,
                        addr: bytes,
                    }
                });
            }
            "fixed-address" => {
                once(&addr, &pos, "fixed-address")?;
                let a = p.ipv4("an IPv4 address")?;
                if !subnet.contains(a) {
                    return Err(invalid(
                        pos,
                        format!("fixed-address {a} is not inside the subnet"),
                    ));
                }
                addr = Some(a);
            }
            "option" => {
                p.option4(&mut options)?;
                continue;
            }
            other => {
                return Err(invalid(pos, format!("unknown host statement '{other}'")));
            }
        }
        p.semi(&format!("after {word}"))?;
    }
    p.semi("after host block")?;
    let missing = |what| {
        invalid(
            name.pos.clone(),
            format!("host {}: {what} missing", name.value),
        )
    };
    Ok(Reservation4 {
        host: key.ok_or_else(|| missing("hardware-address or client-id"))?,
        addr: addr.ok_or_else(|| missing("fixed-address"))?,
        options,
    })
}

/// The statements of a subnet block that set its 4o6 selectors; false for
/// any other word.
fn selector(p: &mut Parser, word: &str, pos: &Pos, sel: &mut Select4o6) -> Result<bool, Error> {
    match word {
        "4o6-interface" => {
            once(&sel.interface, pos, "4o6-interface")?;
            let name = p.text("an interface name")?;
            if name.is_empty() || name.len() > crate::dhcp4::ipc::MAX_IFNAME_LEN {
                return Err(invalid(
                    pos.clone(),
                    "an interface name has 1 to 15 characters",
                ));
            }
            sel.interface = Some(name);
        }
        "4o6-interface-id" => {
            once(&sel.interface_id, pos, "4o6-interface-id")?;
            let id = p.text_or_hex("an Interface-ID")?;
            if id.is_empty() {
                return Err(invalid(
                    pos.clone(),
                    "an empty Interface-ID matches nothing",
                ));
            }
            sel.interface_id = Some(id);
        }
        "4o6-subnet" => {
            once(&sel.prefix, pos, "4o6-subnet")?;
            sel.prefix = Some(p.ipv6_prefix()?);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// A range statement's `A to B`, checked against `s`.
fn range(p: &mut Parser, s: &Subnet4, pos: &Pos) -> Result<Range4, Error> {
    let first = p.ipv4("the first address")?;
    if !p.keyword("to") {
        return Err(p.expected("'to'", "after the first address"));
    }
    let last = p.ipv4("the last address")?;
    if first > last || !s.contains(first) || !s.contains(last) {
        return Err(invalid(
            pos.clone(),
            format!(
                "range {first} to {last} is not inside {}/{}",
                s.network, s.prefix_len
            ),
        ));
    }
    Ok(Range4 { first, last })
}

/// One `subnet A/L { ... };` block; `index` numbers subnets without `id`.
/// The third value says whether the block set its identifier itself.
fn subnet(p: &mut Parser, index: usize) -> Result<(Subnet4, Select4o6, bool), Error> {
    let (network, prefix_len) = p.ipv4_prefix()?;
    p.punct(Tok::LBrace, "'{'", "after subnet prefix")?;
    let default_id = u32::try_from(index + 1).unwrap_or(u32::MAX);
    let mut s = Subnet4::new(default_id, network, prefix_len);
    let mut sel = Select4o6::default();
    let (mut id, mut lease, mut t1, mut t2) = (None, None, None, None);
    loop {
        let pos = p.peek().pos.clone();
        if p.peek().tok == Tok::RBrace {
            p.bump();
            break;
        }
        let word = p.name("a subnet statement or '}'")?.value;
        if selector(p, &word, &pos, &mut sel)? {
            p.semi(&format!("after {word}"))?;
            continue;
        }
        match word.as_str() {
            "id" => {
                once(&id, &pos, "id or subnet-id")?;
                id = Some(p.u32_number("after 'id'")?);
            }
            "subnet-id" => {
                // Kea's spelling of the same identifier: the lease4
                // table's subnet_id (doc/postgresql.md).
                once(&id, &pos, "id or subnet-id")?;
                let n = p.number("after 'subnet-id'")?;
                id = Some(check_subnet_id(&Spanned { value: n, pos })?);
            }
            "range" if s.ranges.len() < MAX_ITEMS => {
                let r = range(p, &s, &pos)?;
                s.ranges.push(r);
            }
            "lease-time" => {
                once(&lease, &pos, "lease-time")?;
                lease = Some(p.duration("after 'lease-time'")?);
            }
            "renew-time" => {
                once(&t1, &pos, "renew-time")?;
                t1 = Some(p.duration("after 'renew-time'")?);
            }
            "rebind-time" => {
                once(&t2, &pos, "rebind-time")?;
                t2 = Some(p.duration("after 'rebind-time'")?);
            }
            "option" => {
                p.option4(&mut s.options)?;
                continue;
            }
            "host" if s.reservations.len() < MAX_ITEMS => {
                let h = host(p, &s)?;
                s.reservations.push(h);
                continue;
            }
            other => return Err(invalid(pos, format!("unknown subnet statement '{other}'"))),
        }
        p.semi(&format!("after {word}"))?;
    }
    p.semi("after subnet block")?;
    s.id = id.unwrap_or(default_id);
    s.lease_time = lease.unwrap_or(s.lease_time);
    s.t1 = t1;
    s.t2 = t2;
    sel.subnet = s.id;
    Ok((s, sel, id.is_some()))
}

/// What the top level of the file set, before the checks across it.
#[derive(Default)]
struct Top {
    port: Option<u16>,
    server_id: Option<Ipv4Addr>,
    lease_file: Option<String>,
    authoritative: Option<()>,
    offer_hold: Option<u32>,
    decline_time: Option<u32>,
    max_offers: Option<u32>,
    lease_database: Option<(Pos, String)>,
    warnings: Vec<crate::config::Warning>,
    subnets: Vec<(Pos, Subnet4, Select4o6)>,
    /// Subnets whose identifier was numbered, not written.
    numbered: Vec<Pos>,
}

/// One top-level statement, `word` already read at `pos`.
fn statement(p: &mut Parser, top: &mut Top, word: &str, pos: Pos) -> Result<(), Error> {
    match word {
        "dhcp4o6-port" => {
            once(&top.port, &pos, "dhcp4o6-port")?;
            let at = p.peek().pos.clone();
            let n = p.number("after 'dhcp4o6-port'")?;
            // Kea's bound: P+1 must be a port too.
            let port = u16::try_from(n)
                .ok()
                .filter(|&v| (1..u16::MAX).contains(&v));
            top.port = Some(port.ok_or_else(|| {
                Error::new(
                    at,
                    ErrorKind::OutOfRange {
                        value: n,
                        min: 1,
                        max: 65534,
                    },
                )
            })?);
        }
        "server-identifier" => {
            once(&top.server_id, &pos, "server-identifier")?;
            top.server_id = Some(p.ipv4("an IPv4 address")?);
        }
        "lease-file" => {
            once(&top.lease_file, &pos, "lease-file")?;
            top.lease_file = Some(p.quoted("lease file path")?);
        }
        "authoritative" => {
            once(&top.authoritative, &pos, "authoritative")?;
            top.authoritative = Some(());
        }
        "offer-hold" => {
            once(&top.offer_hold, &pos, "offer-hold")?;
            top.offer_hold = Some(p.u32_number("after 'offer-hold'")?);
        }
        "decline-time" => {
            once(&top.decline_time, &pos, "decline-time")?;
            top.decline_time = Some(p.duration("after 'decline-time'")?);
        }
        "max-offers" => {
            once(&top.max_offers, &pos, "max-offers")?;
            top.max_offers = Some(p.u32_number("after 'max-offers'")?);
        }
        "lease-database" => {
            once(&top.lease_database, &pos, "lease-database")?;
            let backend = p.name("a database type after 'lease-database'")?.value;
            let conninfo = p.quoted("connection string")?;
            let mut w = Vec::new();
            let db = lease_database(&backend, &conninfo, &pos, &mut w)?;
            top.warnings.extend(w);
            top.lease_database = Some((pos.clone(), db));
        }
        "subnet" if top.subnets.len() < MAX_SUBNETS => {
            let (s, sel, explicit) = subnet(p, top.subnets.len())?;
            if !explicit {
                top.numbered.push(pos.clone());
            }
            top.subnets.push((pos, s, sel));
            return Ok(());
        }
        other => return Err(invalid(pos, format!("unknown statement '{other}'"))),
    }
    p.semi(&format!("after {word}"))
}

/// Where the engine's complaint about the whole configuration points: the
/// subnet it names, or holding the address it names.
fn locate(e: &ConfigError, subnets: &[(Pos, Subnet4, Select4o6)], file: &Pos) -> Pos {
    let by_id = |id: u32| subnets.iter().rev().find(|(_, s, _)| s.id == id);
    let by_addr = |a: Ipv4Addr| subnets.iter().rev().find(|(_, s, _)| s.contains(a));
    let hit = match e {
        ConfigError::DuplicateSubnetId(id)
        | ConfigError::BadPrefixLen { id, .. }
        | ConfigError::BadRange { id, .. }
        | ConfigError::ReservationOutside { id, .. }
        | ConfigError::BadTimes(id) => by_id(*id),
        ConfigError::Overlap(a) | ConfigError::DuplicateReservation(a) => by_addr(*a),
        _ => None,
    };
    hit.map_or_else(|| file.clone(), |(pos, _, _)| pos.clone())
}

/// With a `lease-database`: no `lease-file` beside it, and every subnet
/// names its Kea subnet ID (`subnet-id` or `id`, 1 to 4294967294): servers
/// sharing the table must agree on it, which file order cannot promise.
fn check_database(top: &Top) -> Result<(), Error> {
    let Some((db, _)) = &top.lease_database else {
        return Ok(());
    };
    if top.lease_file.is_some() {
        return Err(invalid(
            db.clone(),
            "lease-database and lease-file both given: leases are kept in one of them",
        ));
    }
    if let Some(pos) = top.numbered.first() {
        return Err(invalid(
            pos.clone(),
            "subnet: subnet-id is required with a lease-database",
        ));
    }
    match top.subnets.iter().find(|(_, s, _)| s.id == 0) {
        Some((pos, _, _)) => Err(Error::new(
            pos.clone(),
            ErrorKind::OutOfRange {
                value: 0,
                min: 1,
                max: SUBNET_ID_MAX,
            },
        )),
        None => Ok(()),
    }
}

/// Reads dhcp4s.conf's text and builds the configuration.
pub(super) fn configure_server4(
    file: &Arc<str>,
    text: &str,
) -> Result<Staged<Server4Config>, Error> {
    let mut p = Parser::new(tokenize(file, text)?);
    let mut top = Top::default();
    loop {
        let pos = p.peek().pos.clone();
        let word = match &p.peek().tok {
            Tok::Eof => break,
            Tok::Word(w) => w.clone(),
            other => return Err(p.expected_at(pos, "a statement", "", other.describe())),
        };
        p.bump();
        statement(&mut p, &mut top, &word, pos)?;
    }
    let file_pos = Pos {
        file: Arc::clone(file),
        line: 0,
        col: 0,
    };
    let port = top.port.ok_or_else(|| {
        invalid(
            file_pos.clone(),
            "dhcp4o6-port missing: the IPC port shared with the DHCPv6 side",
        )
    })?;
    let server_id = top.server_id.ok_or_else(|| {
        invalid(
            file_pos.clone(),
            "server-identifier missing: the IPv4 address dhcp4s answers as (option 54)",
        )
    })?;
    let mut engine = Config4::new(server_id);
    engine.authoritative = top.authoritative.is_some();
    engine.offer_hold = top.offer_hold.unwrap_or(engine.offer_hold);
    engine.decline_time = top.decline_time.unwrap_or(engine.decline_time);
    engine.max_offers = top.max_offers.map_or(engine.max_offers, |n| {
        usize::try_from(n).unwrap_or(usize::MAX)
    });
    engine.subnets = top.subnets.iter().map(|(_, s, _)| s.clone()).collect();
    if let Err(e) = engine.check() {
        return Err(invalid(locate(&e, &top.subnets, &file_pos), e.to_string()));
    }
    check_database(&top)?;
    let mut warnings = std::mem::take(&mut top.warnings);
    for (pos, s, sel) in &top.subnets {
        if sel.interface.is_none() && sel.prefix.is_none() && sel.interface_id.is_none() {
            warnings.push(crate::config::Warning {
                pos: pos.clone(),
                message: format!(
                    "subnet {}/{} has no 4o6-interface, 4o6-subnet or 4o6-interface-id: no query selects it",
                    s.network, s.prefix_len
                ),
            });
        }
    }
    Ok(Staged {
        config: Server4Config {
            dhcp4o6_port: port,
            lease_file: top.lease_file,
            lease_database: top.lease_database.map(|(_, db)| db),
            engine,
            select: top.subnets.into_iter().map(|(_, _, sel)| sel).collect(),
        },
        warnings,
    })
}
