//! Writes a configuration back in KAME syntax (`dhcp6s -t -D`). The output
//! parses to an equal configuration: defaults are written explicitly
//! (both lifetimes), aliases in their canonical spelling. Here: the pieces
//! both files share; each daemon's `Display` is in its own module.

use std::fmt::{self, Write};

use super::{
    base64, AuthInfo, AuthProtocol, Expire, InfoAddresses, InfoNames, InfoOptions, KeyInfo,
    Lifetimes, MonthDay, INFINITY,
};

/// A lifetime as KAME writes it: seconds or `infinity`.
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

pub(super) fn lt(l: &Lifetimes) -> String {
    format!("{} {}", Dur(l.preferred), Dur(l.valid))
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// An identifier as a quoted string when it reads back as the same octets
/// (printable text, no quote or backslash), else as colon-hex.
pub(super) fn text_or_hex(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.is_empty() && s.chars().all(|c| !c.is_control() && c != '"' && c != '\\') => {
            format!("\"{s}\"")
        }
        _ => hex(bytes),
    }
}

pub(super) fn options(f: &mut impl Write, o: &InfoOptions, indent: &str) -> fmt::Result {
    for InfoAddresses { kind, addrs } in &o.addresses {
        write!(f, "{indent}option {}", kind.keyword())?;
        for a in addrs {
            write!(f, " {a}")?;
        }
        writeln!(f, ";")?;
    }
    for InfoNames { kind, names } in &o.names {
        for n in names {
            writeln!(f, "{indent}option {} \"{n}\";", kind.keyword())?;
        }
    }
    if let Some(r) = o.refresh_time {
        writeln!(f, "{indent}option refreshtime {r};")?;
    }
    Ok(())
}

pub(super) fn keys(f: &mut impl Write, keys: &[KeyInfo]) -> fmt::Result {
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
            if let Some(MonthDay { month: m, day: d }) = month_day {
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

pub(super) fn auths(f: &mut impl Write, auths: &[AuthInfo]) -> fmt::Result {
    for a in auths {
        let proto = match a.protocol {
            AuthProtocol::Delayed => "delayed",
            AuthProtocol::Reconfig => "reconfig",
        };
        writeln!(f, "authentication {} {{\n\tprotocol {proto};\n\talgorithm hmac-md5;\n\trdm monocounter;\n}};", a.name)?;
    }
    Ok(())
}
