//! dhcp6c.conf written back in KAME syntax (`dhcp6c -t -D`).

use std::fmt::{self, Write};

use super::{ClientConfig, ClientInterface, Ifid, RawOption, RequestItem};
use crate::config::print::{auths, hex, keys, lt};

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
    for RawOption { code, data } in &i.send_raw {
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
    if let Some(n) = &i.dhcp4o6_interface {
        writeln!(f, "\tdhcp4o6-interface {n};")?;
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
