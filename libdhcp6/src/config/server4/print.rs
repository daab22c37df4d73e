//! dhcp4s.conf written back (`dhcp4s -t -D`): what is printed parses to an
//! equal configuration.

use std::fmt::{self, Display, Write as _};

use super::Server4Config;
use crate::dhcp4::engine::config::{
    DEFAULT_DECLINE_TIME, DEFAULT_LEASE_TIME, DEFAULT_MAX_OFFERS, DEFAULT_OFFER_HOLD, INFINITE,
};
use crate::dhcp4::engine::{ClientKey, Options4, Subnet4};

fn duration(d: u32) -> String {
    if d == INFINITE {
        "infinity".into()
    } else {
        d.to_string()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn join<T: Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `option` lines of `o`, each indented by `ind`.
fn options(out: &mut String, o: &Options4, ind: &str) -> fmt::Result {
    if !o.routers.is_empty() {
        writeln!(out, "{ind}option routers {};", join(&o.routers))?;
    }
    if !o.dns_servers.is_empty() {
        writeln!(
            out,
            "{ind}option domain-name-servers {};",
            join(&o.dns_servers)
        )?;
    }
    if let Some(d) = &o.domain_name {
        writeln!(
            out,
            "{ind}option domain-name \"{}\";",
            String::from_utf8_lossy(d)
        )?;
    }
    if !o.ntp_servers.is_empty() {
        writeln!(out, "{ind}option ntp-servers {};", join(&o.ntp_servers))?;
    }
    if let Some(m) = o.mtu {
        writeln!(out, "{ind}option interface-mtu {m};")?;
    }
    if !o.classless_routes.is_empty() {
        let routes: Vec<String> = o
            .classless_routes
            .iter()
            .map(|r| format!("{}/{} {}", r.destination, r.prefix_len, r.router))
            .collect();
        writeln!(
            out,
            "{ind}option classless-static-routes {};",
            routes.join(" ")
        )?;
    }
    Ok(())
}

fn subnet(out: &mut String, s: &Subnet4, sel: Option<&super::Select4o6>) -> fmt::Result {
    writeln!(out, "subnet {}/{} {{", s.network, s.prefix_len)?;
    writeln!(out, "\tid {};", s.id)?;
    if let Some(sel) = sel {
        if let Some(i) = &sel.interface {
            writeln!(out, "\t4o6-interface \"{i}\";")?;
        }
        if let Some(p) = &sel.prefix {
            writeln!(out, "\t4o6-subnet {p};")?;
        }
        if let Some(id) = &sel.interface_id {
            writeln!(out, "\t4o6-interface-id {};", hex(id))?;
        }
    }
    for r in &s.ranges {
        writeln!(out, "\trange {} to {};", r.first, r.last)?;
    }
    if s.lease_time != DEFAULT_LEASE_TIME {
        writeln!(out, "\tlease-time {};", duration(s.lease_time))?;
    }
    if let Some(t) = s.t1 {
        writeln!(out, "\trenew-time {};", duration(t))?;
    }
    if let Some(t) = s.t2 {
        writeln!(out, "\trebind-time {};", duration(t))?;
    }
    options(out, &s.options, "\t")?;
    for (i, h) in s.reservations.iter().enumerate() {
        writeln!(out, "\thost host{} {{", i + 1)?;
        match &h.host {
            ClientKey::Id(id) => writeln!(out, "\t\tclient-id {};", hex(id))?,
            ClientKey::Hw { addr, .. } => writeln!(out, "\t\thardware-address {};", hex(addr))?,
        }
        writeln!(out, "\t\tfixed-address {};", h.addr)?;
        options(out, &h.options, "\t\t")?;
        writeln!(out, "\t}};")?;
    }
    writeln!(out, "}};")
}

impl Display for Server4Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.engine;
        let mut out = String::new();
        writeln!(out, "dhcp4o6-port {};", self.dhcp4o6_port)?;
        writeln!(out, "server-identifier {};", e.server_id)?;
        if let Some(l) = &self.lease_file {
            writeln!(out, "lease-file \"{l}\";")?;
        }
        if let Some(db) = &self.lease_database {
            writeln!(out, "lease-database postgresql \"{db}\";")?;
        }
        if e.authoritative {
            writeln!(out, "authoritative;")?;
        }
        if e.offer_hold != DEFAULT_OFFER_HOLD {
            writeln!(out, "offer-hold {};", e.offer_hold)?;
        }
        if e.decline_time != DEFAULT_DECLINE_TIME {
            writeln!(out, "decline-time {};", duration(e.decline_time))?;
        }
        if e.max_offers != DEFAULT_MAX_OFFERS {
            writeln!(out, "max-offers {};", e.max_offers)?;
        }
        for s in &e.subnets {
            subnet(&mut out, s, self.select.iter().find(|x| x.subnet == s.id))?;
        }
        f.write_str(&out)
    }
}
