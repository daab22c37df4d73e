//! Checks shared by `configure_server` and `configure_client`: lifetimes,
//! prefixes, information options, keys and authentication blocks.

use std::net::Ipv6Addr;

use super::grammar::ast::{AuthParam, DhcpOpt, Duration, File, KeyParam, OptionStmt, Spanned};
use super::{
    base64, AuthInfo, AuthProtocol, Error, ErrorKind, Expire, InfoAddresses, InfoNames,
    InfoOptions, KeyInfo, Lifetimes, MonthDay, Pos, UnixTime, Warning,
};
use crate::wire::DomainName;
use crate::Prefix6;

/// The position of `file` as a whole (line 0), for what concerns no one
/// statement.
pub(super) fn whole_file(file: &File) -> Pos {
    Pos {
        file: file
            .first()
            .map(|s| s.pos.file.clone())
            .unwrap_or_else(|| "".into()),
        line: 0,
        col: 0,
    }
}

/// Shorthand for an [`ErrorKind::Invalid`] error.
pub(super) fn invalid(pos: &Pos, msg: impl Into<String>) -> Error {
    Error::new(pos.clone(), ErrorKind::Invalid(msg.into()))
}

/// Adds a warning.
pub(super) fn warn(warnings: &mut Vec<Warning>, pos: &Pos, msg: impl Into<String>) {
    warnings.push(Warning {
        pos: pos.clone(),
        message: msg.into(),
    });
}

/// `allow ITEM` for an item other than `rapid-commit` and kame6's RFC 7550
/// switches. WIDE's grammar takes any one option name after `allow`, and
/// its `add_options` then logs "invalid operation" and skips information
/// options, `refreshtime` and IAs, so files written for WIDE with such a
/// line keep working here too, with a warning. WIDE refuses `allow
/// authentication NAME`, and kame6's own list items are not WIDE syntax:
/// errors.
pub(super) fn allow_other(o: &DhcpOpt, pos: &Pos, w: &mut Vec<Warning>) -> Result<(), Error> {
    match o {
        DhcpOpt::Info(_) | DhcpOpt::RefreshTime | DhcpOpt::IaPd(_) | DhcpOpt::IaNa(_) => {
            warn(
                w,
                pos,
                format!(
                    "'allow {}' has no effect: WIDE accepts and ignores it, and so does kame6",
                    o.describe()
                ),
            );
            Ok(())
        }
        DhcpOpt::RapidCommit
        | DhcpOpt::Authentication(_)
        | DhcpOpt::IaTa(_)
        | DhcpOpt::Raw { .. }
        | DhcpOpt::ReconfigureAccept => Err(invalid(
            pos,
            format!(
                "'{}' cannot follow 'allow' (WIDE: invalid operation)",
                o.describe()
            ),
        )),
    }
}

/// `pltime [vltime]`: vltime defaults to pltime; pltime > vltime is fatal
/// (infinity is the largest value, so "infinite pltime, finite vltime" is
/// caught too).
pub(super) fn lifetimes(pl: Duration, vl: Option<Duration>, pos: &Pos) -> Result<Lifetimes, Error> {
    let valid = vl.unwrap_or(pl);
    if pl > valid {
        return Err(invalid(
            pos,
            format!("preferred lifetime {pl} is greater than valid lifetime {valid}"),
        ));
    }
    Ok(Lifetimes {
        preferred: pl,
        valid,
    })
}

/// Refuses multicast, link-local and site-local prefixes (WIDE's checks in
/// `add_prefix`); they cannot be leased.
pub(super) fn check_scope(addr: Ipv6Addr, pos: &Pos, what: &str) -> Result<(), Error> {
    let seg0 = addr.segments().first().copied().unwrap_or(0);
    if seg0 & 0xff00 == 0xff00 {
        return Err(invalid(pos, format!("multicast {what} {addr}")));
    }
    if seg0 & 0xffc0 == 0xfe80 {
        return Err(invalid(pos, format!("link-local {what} {addr}")));
    }
    if seg0 & 0xffc0 == 0xfec0 {
        return Err(invalid(pos, format!("site-local {what} {addr}")));
    }
    Ok(())
}

/// Masks `addr` to `len` bits.
pub(super) fn mask(addr: Ipv6Addr, len: u8) -> Ipv6Addr {
    let bits = u128::from(addr);
    let m = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    };
    Ipv6Addr::from(bits & m)
}

/// A prefix length 0..=128; bits beyond it are cleared with WIDE's warning.
pub(super) fn prefix(
    addr: Ipv6Addr,
    len: u64,
    pos: &Pos,
    warnings: &mut Vec<Warning>,
) -> Result<Prefix6, Error> {
    let len = u8::try_from(len)
        .ok()
        .filter(|l| *l <= 128)
        .ok_or_else(|| invalid(pos, format!("invalid prefix length {len} (0..128)")))?;
    let masked = mask(addr, len);
    if masked != addr {
        warn(
            warnings,
            pos,
            format!("prefix {addr}/{len} has a trailing garbage; using {masked}/{len}"),
        );
    }
    Ok(Prefix6 { addr: masked, len })
}

/// Adds one `option` statement to `opts`. `server` allows option 88.
pub(super) fn add_option(
    opts: &mut InfoOptions,
    stmt: &OptionStmt,
    pos: &Pos,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    match stmt {
        OptionStmt::RefreshTime(n) => {
            if *n < 600 {
                return Err(invalid(
                    pos,
                    format!("refresh time is too small ({n} < 600)"),
                ));
            }
            let n = u32::try_from(*n).map_err(|_| {
                Error::new(
                    pos.clone(),
                    ErrorKind::OutOfRange {
                        value: *n,
                        min: 600,
                        max: u64::from(u32::MAX),
                    },
                )
            })?;
            if opts.refresh_time.is_some() {
                warn(warnings, pos, "multiple refresh times (ignored)");
            } else {
                opts.refresh_time = Some(n);
            }
        }
        OptionStmt::Addresses { kind, addrs: list } => {
            let slot = match opts.addresses.iter().position(|a| a.kind == *kind) {
                Some(i) => i,
                None => {
                    opts.addresses.push(InfoAddresses {
                        kind: *kind,
                        addrs: Vec::new(),
                    });
                    opts.addresses.len() - 1
                }
            };
            if let Some(InfoAddresses { addrs: have, .. }) = opts.addresses.get_mut(slot) {
                for a in list {
                    if have.contains(&a.value) {
                        return Err(invalid(
                            &a.pos,
                            format!("duplicated {} {}", kind.keyword(), a.value),
                        ));
                    }
                    have.push(a.value);
                }
            }
            // `option domain-name-servers;` is accepted and means nothing.
            opts.addresses.retain(|a| !a.addrs.is_empty());
        }
        OptionStmt::Name { kind, name } => {
            // WIDE stores any text and then cannot build replies for names
            // it fails to encode (doc/wide-compat.md §9.2 item 5); check now instead.
            DomainName::from_text(name)
                .map_err(|e| invalid(pos, format!("invalid domain name \"{name}\": {e}")))?;
            if name.is_empty() {
                return Err(invalid(pos, "empty domain name"));
            }
            match opts.names.iter_mut().find(|n| n.kind == *kind) {
                Some(InfoNames { names: have, .. }) => {
                    if have.contains(name) {
                        return Err(invalid(
                            pos,
                            format!("duplicated {} \"{name}\"", kind.keyword()),
                        ));
                    }
                    have.push(name.clone());
                }
                None => opts.names.push(InfoNames {
                    kind: *kind,
                    names: vec![name.clone()],
                }),
            }
        }
    }
    Ok(())
}

/// Builds a `keyinfo` (doc/wide-compat.md §2.4.5). `now` = 0 skips the
/// "expired" check.
pub(super) fn keyinfo(
    name: &Spanned<String>,
    params: &[Spanned<KeyParam>],
    now: UnixTime,
    warnings: &mut Vec<Warning>,
) -> Result<KeyInfo, Error> {
    let (mut realm, mut keyid, mut secret, mut expire) = (None, None, None, None);
    for p in params {
        let dup = match &p.value {
            KeyParam::Realm(r) => set_once(&mut realm, r.clone()),
            KeyParam::KeyId(k) => {
                let k = u32::try_from(*k).map_err(|_| {
                    Error::new(
                        p.pos.clone(),
                        ErrorKind::OutOfRange {
                            value: *k,
                            min: 0,
                            max: u64::from(u32::MAX),
                        },
                    )
                })?;
                set_once(&mut keyid, k)
            }
            KeyParam::Secret(s) => {
                let bytes = base64::decode(s).ok_or_else(|| {
                    invalid(
                        &p.pos,
                        format!("failed to decode base64 secret of key {}", name.value),
                    )
                })?;
                if bytes.len() > 1023 {
                    return Err(invalid(&p.pos, "secret longer than 1023 bytes"));
                }
                set_once(&mut secret, bytes)
            }
            KeyParam::Expire(e) => {
                let ex = parse_expire(e)
                    .ok_or_else(|| invalid(&p.pos, format!("invalid expiration time \"{e}\"")))?;
                if let Expire::At {
                    year: Some(y),
                    month_day: Some(MonthDay { month, day }),
                    hour,
                    minute,
                } = ex
                {
                    let t = unix_time(y, month, day, hour, minute);
                    if now != 0 && t < now {
                        return Err(invalid(
                            &p.pos,
                            format!("key {} expiration time \"{e}\" is in the past", name.value),
                        ));
                    }
                }
                set_once(&mut expire, ex)
            }
        };
        if dup {
            warn(
                warnings,
                &p.pos,
                format!("duplicated parameter in keyinfo {} (ignored)", name.value),
            );
        }
    }
    let missing = |what: &str| {
        invalid(
            &name.pos,
            format!("keyinfo {}: {what} not specified", name.value),
        )
    };
    Ok(KeyInfo {
        name: name.value.clone(),
        realm: realm.ok_or_else(|| missing("realm"))?,
        keyid: keyid.ok_or_else(|| missing("keyid"))?,
        secret: secret.ok_or_else(|| missing("secret"))?,
        expire: expire.unwrap_or(Expire::Forever),
    })
}

/// Stores `v` if `slot` is empty; true if it was already set (the first
/// value wins, as in WIDE).
fn set_once<T>(slot: &mut Option<T>, v: T) -> bool {
    if slot.is_some() {
        true
    } else {
        *slot = Some(v);
        false
    }
}

/// `"forever"`, `"%Y-%m-%d %H:%M"`, `"%m-%d %H:%M"` or `"%H:%M"`.
pub(super) fn parse_expire(s: &str) -> Option<Expire> {
    if s == "forever" {
        return Some(Expire::Forever);
    }
    let num = |t: &str, max: u32| -> Option<u32> {
        if t.is_empty() || t.len() > 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse::<u32>().ok().filter(|v| *v <= max)
    };
    let (date, time) = match s.split_once(' ') {
        Some((d, t)) => (Some(d), t),
        None => (None, s),
    };
    let (h, m) = time.split_once(':')?;
    let hour = u8::try_from(num(h, 23)?).ok()?;
    let minute = u8::try_from(num(m, 59)?).ok()?;
    let (year, month_day) = match date {
        None => (None, None),
        Some(d) => {
            let parts: Vec<&str> = d.split('-').collect();
            let (y, mo, da) = match parts.as_slice() {
                [y, mo, da] => (Some(u16::try_from(num(y, 9999)?).ok()?), *mo, *da),
                [mo, da] => (None, *mo, *da),
                _ => return None,
            };
            let mo = u8::try_from(num(mo, 12)?).ok().filter(|v| *v >= 1)?;
            let da = u8::try_from(num(da, 31)?).ok().filter(|v| *v >= 1)?;
            (y, Some(MonthDay { month: mo, day: da }))
        }
    };
    Some(Expire::At {
        year,
        month_day,
        hour,
        minute,
    })
}

/// Seconds since 1970 for a UTC date (days-from-civil).
pub(super) fn unix_time(y: u16, mo: u8, d: u8, h: u8, mi: u8) -> u64 {
    let y = i64::from(y) - i64::from(mo <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(mo);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60;
    u64::try_from(secs).unwrap_or(0)
}

/// The UTC date (year, month, day) of a Unix time (civil-from-days).
pub(super) fn civil_date(t: UnixTime) -> (u16, u8, u8) {
    let days = i64::try_from(t / 86_400).unwrap_or(i64::MAX / 2) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        u16::try_from(y).unwrap_or(u16::MAX),
        u8::try_from(m).unwrap_or(1),
        u8::try_from(d).unwrap_or(1),
    )
}

/// Builds an `authentication` block; `server` decides which protocol is
/// allowed (doc/wide-compat.md §2.3, §2.4.4).
pub(super) fn auth(
    name: &Spanned<String>,
    params: &[Spanned<AuthParam>],
    server: bool,
    warnings: &mut Vec<Warning>,
) -> Result<AuthInfo, Error> {
    let mut protocol = None;
    let (mut alg, mut rdm) = (false, false);
    for p in params {
        match &p.value {
            AuthParam::Protocol(w) => {
                let proto = if w == "delayed" {
                    AuthProtocol::Delayed
                } else {
                    AuthProtocol::Reconfig
                };
                match (server, proto) {
                    (true, AuthProtocol::Delayed) => {
                        return Err(Error::new(
                            p.pos.clone(),
                            ErrorKind::WrongDaemon(
                                "client-only auth protocol 'delayed' in a server configuration"
                                    .into(),
                            ),
                        ))
                    }
                    (false, AuthProtocol::Reconfig) => {
                        return Err(Error::new(
                            p.pos.clone(),
                            ErrorKind::WrongDaemon(
                                "server-only auth protocol 'reconfig' in a client configuration"
                                    .into(),
                            ),
                        ))
                    }
                    _ => {}
                }
                if set_once(&mut protocol, proto) {
                    warn(
                        warnings,
                        &p.pos,
                        format!(
                            "duplicated protocol in authentication {} (ignored)",
                            name.value
                        ),
                    );
                }
            }
            AuthParam::Algorithm => {
                if std::mem::replace(&mut alg, true) {
                    warn(warnings, &p.pos, "algorithm is doubly specified (ignored)");
                }
            }
            AuthParam::Rdm => {
                if std::mem::replace(&mut rdm, true) {
                    warn(warnings, &p.pos, "RDM is doubly specified (ignored)");
                }
            }
            AuthParam::Key => warn(
                warnings,
                &p.pos,
                "'key' in authentication is not supported (ignored)",
            ),
        }
    }
    let protocol = protocol.ok_or_else(|| {
        invalid(
            &name.pos,
            format!("authentication {}: protocol not specified", name.value),
        )
    })?;
    Ok(AuthInfo {
        name: name.value.clone(),
        protocol,
    })
}

/// Tracks names already defined for one kind of object, WIDE's
/// "duplicated name: X (ignored)".
#[derive(Default)]
pub(super) struct Names(Vec<String>);

impl Names {
    /// True if `name` is new (and records it); otherwise warns.
    pub(super) fn first(&mut self, name: &Spanned<String>, warnings: &mut Vec<Warning>) -> bool {
        if self.0.contains(&name.value) {
            warn(
                warnings,
                &name.pos,
                format!("duplicated name: {} (ignored)", name.value),
            );
            false
        } else {
            self.0.push(name.value.clone());
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expire_forms() {
        assert_eq!(parse_expire("forever"), Some(Expire::Forever));
        assert_eq!(
            parse_expire("2035-12-31 23:59"),
            Some(Expire::At {
                year: Some(2035),
                month_day: Some(MonthDay { month: 12, day: 31 }),
                hour: 23,
                minute: 59
            })
        );
        assert_eq!(
            parse_expire("12-31 01:02"),
            Some(Expire::At {
                year: None,
                month_day: Some(MonthDay { month: 12, day: 31 }),
                hour: 1,
                minute: 2
            })
        );
        assert_eq!(
            parse_expire("7:05"),
            Some(Expire::At {
                year: None,
                month_day: None,
                hour: 7,
                minute: 5
            })
        );
        assert_eq!(parse_expire("25:00"), None);
        assert_eq!(parse_expire("tomorrow"), None);
    }

    #[test]
    fn unix_times() {
        assert_eq!(unix_time(1970, 1, 1, 0, 0), 0);
        assert_eq!(unix_time(2000, 3, 1, 0, 0), 951_868_800);
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2000, 3, 1), (2024, 12, 31)] {
            assert_eq!(civil_date(unix_time(y, m, d, 23, 59)), (y, m, d));
        }
    }

    #[test]
    fn masks() {
        let a: Ipv6Addr = "2001:db8:ffff::1".parse().unwrap();
        assert_eq!(mask(a, 32), "2001:db8::".parse::<Ipv6Addr>().unwrap());
        assert_eq!(mask(a, 0), Ipv6Addr::UNSPECIFIED);
        assert_eq!(mask(a, 128), a);
    }
}
