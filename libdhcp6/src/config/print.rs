//! Writes a configuration back in KAME syntax (`dhcp6s -t -D`). The output
//! parses to an equal configuration: defaults are written explicitly
//! (both lifetimes), aliases in their canonical spelling.

use std::fmt::{self, Write};

use super::{
    base64, AuthInfo, AuthProtocol, ClientConfig, ClientInterface, Expire, Ifid, InfoOptions,
    KeyInfo, Lifetimes, PoolRef, RelayId, RequestItem, Scope, ServerConfig, INFINITY,
};

struct Dur(u32);

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == INFINITY {
            f.write_str("infinity")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

fn lt(l: &Lifetimes) -> String {
    format!("{} {}", Dur(l.preferred), Dur(l.valid))
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// An identifier as a quoted string when it reads back as the same octets
/// (printable text, no quote or backslash), else as colon-hex.
fn text_or_hex(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.is_empty() && s.chars().all(|c| !c.is_control() && c != '"' && c != '\\') => {
            format!("\"{s}\"")
        }
        _ => hex(bytes),
    }
}

fn options(f: &mut impl Write, o: &InfoOptions, indent: &str) -> fmt::Result {
    for (k, addrs) in &o.addresses {
        write!(f, "{indent}option {}", k.keyword())?;
        for a in addrs {
            write!(f, " {a}")?;
        }
        writeln!(f, ";")?;
    }
    for (k, names) in &o.names {
        for n in names {
            writeln!(f, "{indent}option {} \"{n}\";", k.keyword())?;
        }
    }
    if let Some(r) = o.refresh_time {
        writeln!(f, "{indent}option refreshtime {r};")?;
    }
    Ok(())
}

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

fn keys(f: &mut impl Write, keys: &[KeyInfo]) -> fmt::Result {
    for k in keys {
        writeln!(f, "keyinfo {} {{", k.name)?;
        writeln!(f, "\trealm \"{}\";", k.realm)?;
        writeln!(f, "\tkeyid {};", k.keyid)?;
        writeln!(f, "\tsecret \"{}\";", base64::encode(&k.secret))?;
        if let Expire::At {
            year,
            month_day,
            hour,
            minute,
        } = k.expire
        {
            let mut when = String::new();
            if let Some((m, d)) = month_day {
                if let Some(y) = year {
                    write!(when, "{y:04}-")?;
                }
                write!(when, "{m:02}-{d:02} ")?;
            }
            write!(when, "{hour:02}:{minute:02}")?;
            writeln!(f, "\texpire \"{when}\";")?;
        }
        writeln!(f, "}};")?;
    }
    Ok(())
}

fn auths(f: &mut impl Write, auths: &[AuthInfo]) -> fmt::Result {
    for a in auths {
        let proto = match a.protocol {
            AuthProtocol::Delayed => "delayed",
            AuthProtocol::Reconfig => "reconfig",
        };
        writeln!(f, "authentication {} {{\n\tprotocol {proto};\n\talgorithm hmac-md5;\n\trdm monocounter;\n}};", a.name)?;
    }
    Ok(())
}

impl fmt::Display for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        options(f, &self.options, "")?;
        if let Some(p) = &self.lease_file {
            writeln!(f, "lease-file \"{p}\";")?;
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
            for (a, len) in &l.link_addresses {
                writeln!(f, "\tlink-address {a}/{len};")?;
            }
            for id in &l.interface_ids {
                writeln!(f, "\tinterface-id {};", text_or_hex(id))?;
            }
            scope(f, &l.scope)?;
            writeln!(f, "}};")?;
        }
        for p in &self.pools {
            writeln!(
                f,
                "pool {} {{\n\trange {} to {};\n}};",
                p.name, p.start, p.end
            )?;
        }
        for p in &self.prefix_pools {
            writeln!(
                f,
                "prefix-pool {} {{\n\tprefix {}/{} delegate {};\n}};",
                p.name, p.prefix, p.prefix_len, p.delegated_len
            )?;
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

fn client_block(f: &mut impl Write, kw: &str, i: &ClientInterface) -> fmt::Result {
    writeln!(f, "{kw} {} {{", i.name)?;
    for n in &i.send_ia_pd {
        writeln!(f, "\tsend ia-pd {n};")?;
    }
    for n in &i.send_ia_na {
        writeln!(f, "\tsend ia-na {n};")?;
    }
    for n in &i.send_ia_ta {
        writeln!(f, "\tsend ia-ta {n};")?;
    }
    if i.rapid_commit {
        writeln!(f, "\tsend rapid-commit;")?;
    }
    if i.reconfigure_accept {
        writeln!(f, "\tsend reconfigure-accept;")?;
    }
    if let Some(a) = &i.authentication {
        writeln!(f, "\tsend authentication {a};")?;
    }
    for (code, data) in &i.send_raw {
        if data.is_empty() {
            writeln!(f, "\tsend raw-option {code};")?;
        } else {
            writeln!(f, "\tsend raw-option {code} {};", hex(data))?;
        }
    }
    if !i.request.is_empty() {
        let items: Vec<String> = i
            .request
            .iter()
            .map(|r| match r {
                RequestItem::Info(k) => k.keyword().to_string(),
                RequestItem::RefreshTime => "refreshtime".to_string(),
                RequestItem::Raw(c) => format!("raw-option {c}"),
            })
            .collect();
        writeln!(f, "\trequest {};", items.join(", "))?;
    }
    if i.information_only {
        writeln!(f, "\tinformation-only;")?;
    }
    if let Some(s) = &i.script {
        writeln!(f, "\tscript \"{s}\";")?;
    }
    for (on, what) in [
        (i.allow_rapid_commit, "rapid-commit"),
        (i.partial_advertise, "partial-advertise"),
        (i.renew_missing_ia, "renew-missing-ia"),
    ] {
        if on {
            writeln!(f, "\tallow {what};")?;
        }
    }
    writeln!(f, "}};")
}

impl fmt::Display for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in &self.interfaces {
            client_block(f, "interface", i)?;
        }
        for p in &self.profiles {
            client_block(f, "profile", p)?;
        }
        for ia in &self.ia_pds {
            writeln!(f, "id-assoc pd {} {{", ia.iaid)?;
            for p in &ia.prefixes {
                writeln!(f, "\tprefix {}/{} {};", p.addr, p.len, lt(&p.lifetimes))?;
            }
            for pif in &ia.prefix_interfaces {
                writeln!(f, "\tprefix-interface {} {{", pif.name)?;
                if let Some(id) = pif.sla_id {
                    writeln!(f, "\t\tsla-id {id};")?;
                }
                if let Some(l) = pif.sla_len {
                    writeln!(f, "\t\tsla-len {l};")?;
                }
                match pif.ifid {
                    Ifid::Eui64 => {}
                    Ifid::Value(v) => writeln!(f, "\t\tifid {v};")?,
                    Ifid::Random => writeln!(f, "\t\tifid-random;")?,
                }
                writeln!(f, "\t}};")?;
            }
            writeln!(f, "}};")?;
        }
        for (kw, list) in [("na", &self.ia_nas), ("ta", &self.ia_tas)] {
            for ia in list {
                writeln!(f, "id-assoc {kw} {} {{", ia.iaid)?;
                for a in &ia.addresses {
                    writeln!(f, "\taddress {} {};", a.addr, lt(&a.lifetimes))?;
                }
                writeln!(f, "}};")?;
            }
        }
        auths(f, &self.auths)?;
        keys(f, &self.keys)
    }
}
