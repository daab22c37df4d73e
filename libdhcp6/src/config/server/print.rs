//! dhcp6s.conf written back in KAME syntax (`dhcp6s -t -D`).

use std::fmt::{self, Write};

use super::{PoolRef, RelayId, Scope, ServerConfig};
use crate::config::print::{auths, hex, keys, lt, options, text_or_hex};

fn pool_ref(f: &mut impl Write, kw: &str, p: &Option<PoolRef>) -> fmt::Result {
    match p {
        Some(p) => writeln!(f, "\t{kw} {} {};", p.name, lt(&p.lifetimes)),
        None => Ok(()),
    }
}

fn scope(f: &mut impl Write, s: &Scope) -> fmt::Result {
    if let Some(p) = s.preference {
        writeln!(f, "\tpreference {p};")?;
    }
    if s.allow_rapid_commit {
        writeln!(f, "\tallow rapid-commit;")?;
    }
    pool_ref(f, "address-pool", &s.address_pool)?;
    pool_ref(f, "prefix-pool", &s.prefix_pool)?;
    pool_ref(f, "ta-pool", &s.ta_pool)?;
    options(f, &s.options, "\t")
}

impl fmt::Display for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        options(f, &self.options, "")?;
        if let Some(p) = &self.lease_file {
            writeln!(f, "lease-file \"{p}\";")?;
        }
        if let Some(c) = &self.lease_database {
            // Quoted strings have no escapes (as WIDE's): the text is
            // written back as it was read.
            writeln!(f, "lease-database postgresql \"{c}\";")?;
        }
        if let Some(p) = self.dhcp4o6_port {
            writeln!(f, "dhcp4o6-port {p};")?;
        }
        for i in &self.interfaces {
            writeln!(f, "interface {} {{", i.name)?;
            scope(f, &i.scope)?;
            writeln!(f, "}};")?;
        }
        for l in &self.links {
            writeln!(f, "link {} {{", l.name)?;
            for p in &l.link_addresses {
                writeln!(f, "\tlink-address {p};")?;
            }
            for id in &l.interface_ids {
                writeln!(f, "\tinterface-id {};", text_or_hex(id))?;
            }
            scope(f, &l.scope)?;
            writeln!(f, "}};")?;
        }
        for p in &self.pools {
            writeln!(f, "pool {} {{\n\trange {} to {};", p.name, p.start, p.end)?;
            if let Some(id) = p.subnet_id {
                writeln!(f, "\tsubnet-id {id};")?;
            }
            writeln!(f, "}};")?;
        }
        for p in &self.prefix_pools {
            writeln!(
                f,
                "prefix-pool {} {{\n\tprefix {}/{} delegate {};",
                p.name, p.prefix, p.prefix_len, p.delegated_len
            )?;
            if let Some(id) = p.subnet_id {
                writeln!(f, "\tsubnet-id {id};")?;
            }
            writeln!(f, "}};")?;
        }
        keys(f, &self.keys)?;
        auths(f, &self.auths)?;
        for h in &self.hosts {
            writeln!(f, "host {} {{", h.name)?;
            if let Some(d) = &h.duid {
                writeln!(f, "\tduid {d};")?;
            }
            for p in &h.prefixes {
                writeln!(f, "\tprefix {}/{} {};", p.addr, p.len, lt(&p.lifetimes))?;
            }
            for a in &h.addresses {
                writeln!(f, "\taddress {} {};", a.addr, lt(&a.lifetimes))?;
            }
            if let Some(k) = &h.delayed_key {
                writeln!(f, "\tdelayedkey {k};")?;
            }
            for id in &h.relay_ids {
                match id {
                    RelayId::RemoteId(d) => {
                        // The enterprise number, then the remote-id itself.
                        let (e, rid) = d
                            .split_first_chunk::<4>()
                            .map_or((0, d.as_slice()), |(e, r)| (u32::from_be_bytes(*e), r));
                        writeln!(f, "\tremote-id {e} {};", text_or_hex(rid))?;
                    }
                    RelayId::SubscriberId(d) => {
                        writeln!(f, "\tsubscriber-id {};", text_or_hex(d))?;
                    }
                    RelayId::LinkLayer(d) => {
                        writeln!(
                            f,
                            "\thardware-address {};",
                            hex(d.get(2..).unwrap_or_default())
                        )?;
                    }
                }
            }
            scope(f, &h.scope)?;
            writeln!(f, "}};")?;
        }
        Ok(())
    }
}
