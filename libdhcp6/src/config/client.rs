//! The meaning of dhcp6c.conf (doc/wide-compat.md §2.4): WIDE's `configure_*`
//! checks for the client, with the \[debian\] and \[opnsense\] additions and
//! kame6's IA_TA and RFC 7550 choices.

use super::ast::{
    Allow, Block, DeclKind, DhcpOpt, File, IaDeclKind, IaType, IfidSpec, OptionStmt, PifDecl,
    Spanned, Stmt,
};
use super::check::{self, invalid, warn, Names};
use super::{
    ClientConfig, ClientInterface, Error, ErrorKind, IaNaConf, IaPdConf, Ifid, Lease, Pos,
    PrefixInterface, RequestItem, Staged, UnixTime, Warning,
};

fn server_only(pos: &Pos, what: &str) -> Error {
    Error::new(
        pos.clone(),
        ErrorKind::WrongDaemon(format!(
            "'{what}' is server-only configuration, not allowed in dhcp6c.conf"
        )),
    )
}

/// Checks a parsed dhcp6c.conf and builds the staged configuration.
/// Mirrors config.c:configure_interface, configure_ia, configure_keys and
/// configure_authinfo for the client.
pub fn configure_client(file: &File, now: UnixTime) -> Result<Staged<ClientConfig>, Error> {
    let mut cfg = ClientConfig::default();
    let mut w = Vec::new();
    let (mut ifs, mut profiles, mut keys, mut auths) = (
        Names::default(),
        Names::default(),
        Names::default(),
        Names::default(),
    );
    // (type, IAID, where `send` names it, position of that send)
    let mut sends: Vec<(IaType, u32, String, Pos)> = Vec::new();
    let mut auth_refs: Vec<(String, Pos)> = Vec::new();
    for stmt in file {
        let pos = &stmt.pos;
        match &stmt.value {
            Stmt::Interface(b) | Stmt::Profile(b) => {
                let is_if = matches!(stmt.value, Stmt::Interface(_));
                let names = if is_if { &mut ifs } else { &mut profiles };
                // WIDE drops a second block of the same name unchecked.
                if !names.first(&b.name, &mut w) {
                    continue;
                }
                let kind = if is_if { "interface" } else { "profile" };
                let i = interface(b, kind, &mut w, &mut sends, &mut auth_refs)?;
                if is_if {
                    cfg.interfaces.push(i);
                } else {
                    cfg.profiles.push(i);
                }
            }
            Stmt::IdAssoc(ty, iaid, decls) => {
                let exists = match ty {
                    IaType::Pd => cfg.ia_pds.iter().any(|i| i.iaid == *iaid),
                    IaType::Na => cfg.ia_nas.iter().any(|i| i.iaid == *iaid),
                    IaType::Ta => cfg.ia_tas.iter().any(|i| i.iaid == *iaid),
                };
                if exists {
                    warn(
                        &mut w,
                        pos,
                        format!("duplicated IA {} {iaid} (ignored)", ia_name(*ty)),
                    );
                    continue;
                }
                let ia = id_assoc(*ty, *iaid, decls, &mut w)?;
                match ia {
                    Ia::Pd(p) => cfg.ia_pds.push(p),
                    Ia::Na(n) if *ty == IaType::Na => cfg.ia_nas.push(n),
                    Ia::Na(n) => cfg.ia_tas.push(n),
                }
            }
            Stmt::Keyinfo(name, params) => {
                if !keys.first(name, &mut w) {
                    continue;
                }
                cfg.keys.push(check::keyinfo(name, params, now, &mut w)?);
            }
            Stmt::Authentication(name, params) => {
                if !auths.first(name, &mut w) {
                    continue;
                }
                cfg.auths.push(check::auth(name, params, false, &mut w)?);
            }
            // Accepted and ignored by WIDE's dhcp6c (doc/wide-compat.md §2.4).
            Stmt::Option(OptionStmt::RefreshTime(n)) => {
                if *n < 600 {
                    return Err(invalid(
                        pos,
                        format!("refresh time is too small ({n} < 600)"),
                    ));
                }
                warn(
                    &mut w,
                    pos,
                    "'option refreshtime' has no effect in dhcp6c.conf (ignored)",
                );
            }
            Stmt::Option(_) => return Err(server_only(pos, "option")),
            Stmt::Host(_) => warn(
                &mut w,
                pos,
                "host statements are server configuration; dhcp6c ignores them",
            ),
            Stmt::Pool(_) => warn(
                &mut w,
                pos,
                "pool statements are server configuration; dhcp6c ignores them",
            ),
            Stmt::Link(_) => return Err(server_only(pos, "link")),
            Stmt::PrefixPool(..) => return Err(server_only(pos, "prefix-pool")),
            Stmt::LeaseFile(_) => return Err(server_only(pos, "lease-file")),
            Stmt::Dhcp4o6Port(_) => return Err(server_only(pos, "dhcp4o6-port")),
        }
    }
    // Resolve `send ia-*`: each IA must be declared and sent from one block.
    let mut used: Vec<(IaType, u32, String)> = Vec::new();
    for (ty, iaid, owner, pos) in &sends {
        let declared = match ty {
            IaType::Pd => cfg.ia_pds.iter().any(|i| i.iaid == *iaid),
            IaType::Na => cfg.ia_nas.iter().any(|i| i.iaid == *iaid),
            IaType::Ta => cfg.ia_tas.iter().any(|i| i.iaid == *iaid),
        };
        if !declared {
            return Err(invalid(
                pos,
                format!("{} ({iaid}) is not defined", ia_name(*ty)),
            ));
        }
        if let Some((_, _, first)) = used.iter().find(|(t, i, _)| t == ty && i == iaid) {
            return Err(invalid(
                pos,
                format!(
                    "{} {iaid} is already sent on {first}; an IA can belong to one interface only",
                    ia_name(*ty)
                ),
            ));
        }
        used.push((*ty, *iaid, owner.clone()));
    }
    for (name, pos) in &auth_refs {
        if !cfg.auths.iter().any(|a| a.name == *name) {
            return Err(Error::new(
                pos.clone(),
                ErrorKind::Undefined {
                    kind: "authentication",
                    name: name.clone(),
                },
            ));
        }
    }
    let unused = cfg
        .ia_pds
        .iter()
        .map(|i| (IaType::Pd, i.iaid))
        .chain(cfg.ia_nas.iter().map(|i| (IaType::Na, i.iaid)))
        .chain(cfg.ia_tas.iter().map(|i| (IaType::Ta, i.iaid)))
        .filter(|(t, i)| !used.iter().any(|(ut, ui, _)| ut == t && ui == i))
        .map(|(t, i)| format!("{} {i}", ia_name(t)))
        .collect::<Vec<_>>();
    if !unused.is_empty() {
        let pos = file
            .first()
            .map(|s| Pos {
                file: s.pos.file.clone(),
                line: 0,
                col: 0,
            })
            .unwrap_or(Pos {
                file: "".into(),
                line: 0,
                col: 0,
            });
        warn(
            &mut w,
            &pos,
            format!(
                "some IA configuration defined but not used: {}",
                unused.join(", ")
            ),
        );
    }
    Ok(Staged {
        config: cfg,
        warnings: w,
    })
}

fn ia_name(ty: IaType) -> &'static str {
    match ty {
        IaType::Pd => "IA_PD",
        IaType::Na => "IA_NA",
        IaType::Ta => "IA_TA",
    }
}

/// One `interface` or \[debian\] `profile` block (`kind` names which, for
/// messages): WIDE checks both the same way.
fn interface(
    b: &Block,
    kind: &str,
    w: &mut Vec<Warning>,
    sends: &mut Vec<(IaType, u32, String, Pos)>,
    auth_refs: &mut Vec<(String, Pos)>,
) -> Result<ClientInterface, Error> {
    let mut i = ClientInterface {
        name: b.name.value.clone(),
        ..Default::default()
    };
    let owner = format!("{kind} {}", i.name);
    for d in &b.decls {
        let pos = &d.pos;
        match &d.value {
            DeclKind::Send(list) => {
                for o in list {
                    match &o.value {
                        DhcpOpt::IaPd(n) => {
                            push_ia(&mut i.send_ia_pd, IaType::Pd, *n, &owner, &o.pos, sends)
                        }
                        DhcpOpt::IaNa(n) => {
                            push_ia(&mut i.send_ia_na, IaType::Na, *n, &owner, &o.pos, sends)
                        }
                        DhcpOpt::IaTa(n) => {
                            push_ia(&mut i.send_ia_ta, IaType::Ta, *n, &owner, &o.pos, sends)
                        }
                        DhcpOpt::RapidCommit => i.rapid_commit = true,
                        DhcpOpt::ReconfigureAccept => i.reconfigure_accept = true,
                        DhcpOpt::Authentication(a) => {
                            if i.authentication.is_some() {
                                return Err(invalid(
                                    &o.pos,
                                    format!("{owner}: authentication is doubly specified"),
                                ));
                            }
                            auth_refs.push((a.clone(), o.pos.clone()));
                            i.authentication = Some(a.clone());
                        }
                        DhcpOpt::Raw(code, data) => i.send_raw.push((*code, data.clone())),
                        DhcpOpt::Info(_) | DhcpOpt::RefreshTime => {
                            warn(w, &o.pos, "information options cannot be sent, only requested (invalid operation, ignored)");
                        }
                    }
                }
            }
            DeclKind::Request(list) => {
                for o in list {
                    let item = match &o.value {
                        DhcpOpt::Info(k) => RequestItem::Info(*k),
                        DhcpOpt::RefreshTime => RequestItem::RefreshTime,
                        DhcpOpt::Raw(code, _) => RequestItem::Raw(*code),
                        DhcpOpt::RapidCommit
                        | DhcpOpt::ReconfigureAccept
                        | DhcpOpt::Authentication(_) => {
                            return Err(invalid(
                                &o.pos,
                                "only information options can be requested",
                            ));
                        }
                        DhcpOpt::IaPd(_) | DhcpOpt::IaNa(_) | DhcpOpt::IaTa(_) => {
                            warn(w, &o.pos, "an IA cannot be requested, use 'send' (ignored)");
                            continue;
                        }
                    };
                    // Duplicates are dropped silently, as in WIDE.
                    if !i.request.contains(&item) {
                        i.request.push(item);
                    }
                }
            }
            DeclKind::InformationOnly => i.information_only = true,
            DeclKind::Script(s) => {
                if i.script.is_some() {
                    return Err(invalid(pos, format!("{owner}: duplicated script")));
                }
                if !s.starts_with('/') {
                    return Err(invalid(
                        pos,
                        format!("script path \"{s}\" must be absolute"),
                    ));
                }
                i.script = Some(s.clone());
            }
            DeclKind::Allow(Allow::RapidCommit) => i.allow_rapid_commit = true,
            DeclKind::Allow(Allow::PartialAdvertise) => i.partial_advertise = true,
            DeclKind::Allow(Allow::RenewMissingIa) => i.renew_missing_ia = true,
            other => {
                let word = other.keyword();
                return Err(invalid(
                    pos,
                    format!("'{word}' is not allowed in a client interface block"),
                ));
            }
        }
    }
    if i.information_only
        && !(i.send_ia_na.is_empty() && i.send_ia_pd.is_empty() && i.send_ia_ta.is_empty())
    {
        warn(
            w,
            &b.name.pos,
            format!("{owner}: information-only, so 'send ia-*' is ignored"),
        );
    }
    Ok(i)
}

fn push_ia(
    list: &mut Vec<u32>,
    ty: IaType,
    iaid: u32,
    owner: &str,
    pos: &Pos,
    sends: &mut Vec<(IaType, u32, String, Pos)>,
) {
    sends.push((ty, iaid, owner.to_string(), pos.clone()));
    list.push(iaid);
}

enum Ia {
    Pd(IaPdConf),
    Na(IaNaConf),
}

fn id_assoc(
    ty: IaType,
    iaid: u32,
    decls: &[Spanned<IaDeclKind>],
    w: &mut Vec<Warning>,
) -> Result<Ia, Error> {
    let mut prefixes: Vec<Lease> = Vec::new();
    let mut addresses: Vec<Lease> = Vec::new();
    let mut pifs: Vec<PrefixInterface> = Vec::new();
    for d in decls {
        let pos = &d.pos;
        match (&d.value, ty) {
            (IaDeclKind::Prefix(p), IaType::Pd) => {
                let (addr, len) = check::prefix(p.addr, p.len, pos, w)?;
                check::check_scope(addr, pos, "prefix")?;
                let lifetimes = check::lifetimes(p.pltime, p.vltime, pos)?;
                if prefixes.iter().any(|x| x.addr == addr && x.len == len) {
                    return Err(invalid(pos, format!("duplicated prefix {addr}/{len}")));
                }
                prefixes.push(Lease {
                    addr,
                    len,
                    lifetimes,
                });
            }
            (IaDeclKind::Address(a), IaType::Na | IaType::Ta) => {
                check::check_scope(a.addr, pos, "address")?;
                let lifetimes = check::lifetimes(a.pltime, a.vltime, pos)?;
                if addresses.iter().any(|x| x.addr == a.addr) {
                    return Err(invalid(pos, format!("duplicated address {}", a.addr)));
                }
                addresses.push(Lease {
                    addr: a.addr,
                    len: 128,
                    lifetimes,
                });
            }
            (IaDeclKind::PrefixInterface(name, params), IaType::Pd) => {
                let p = prefix_interface(name, params, w)?;
                if pifs.iter().any(|x| x.name == p.name) {
                    warn(
                        w,
                        &name.pos,
                        format!("duplicated prefix-interface {} (ignored)", p.name),
                    );
                } else {
                    pifs.push(p);
                }
            }
            (other, _) => {
                let word = match other {
                    IaDeclKind::Prefix(_) => "prefix",
                    IaDeclKind::Address(_) => "address",
                    IaDeclKind::PrefixInterface(..) => "prefix-interface",
                };
                return Err(invalid(
                    pos,
                    format!("'{word}' is not allowed in id-assoc {}", ia_kw(ty)),
                ));
            }
        }
    }
    Ok(match ty {
        IaType::Pd => Ia::Pd(IaPdConf {
            iaid,
            prefixes,
            prefix_interfaces: pifs,
        }),
        IaType::Na | IaType::Ta => Ia::Na(IaNaConf { iaid, addresses }),
    })
}

fn ia_kw(ty: IaType) -> &'static str {
    match ty {
        IaType::Pd => "pd",
        IaType::Na => "na",
        IaType::Ta => "ta",
    }
}

fn prefix_interface(
    name: &Spanned<String>,
    params: &[Spanned<PifDecl>],
    w: &mut Vec<Warning>,
) -> Result<PrefixInterface, Error> {
    let mut p = PrefixInterface {
        name: name.value.clone(),
        sla_id: None,
        sla_len: None,
        ifid: Ifid::Eui64,
    };
    for d in params {
        match d.value {
            PifDecl::SlaId(n) => {
                // WIDE takes sla-id modulo 2^32 without a word.
                let id = u32::try_from(n).map_err(|_| {
                    Error::new(
                        d.pos.clone(),
                        ErrorKind::OutOfRange(n, 0, u64::from(u32::MAX)),
                    )
                })?;
                p.sla_id = Some(id);
            }
            PifDecl::SlaLen(n) => {
                let l = u8::try_from(n)
                    .ok()
                    .filter(|l| *l <= 128)
                    .ok_or_else(|| invalid(&d.pos, format!("invalid SLA length: {n}")))?;
                p.sla_len = Some(l);
            }
            PifDecl::Ifid(IfidSpec::Value(v)) => p.ifid = Ifid::Value(v),
            PifDecl::Ifid(IfidSpec::Random) => p.ifid = Ifid::Random,
            PifDecl::Ifid(IfidSpec::Eui64) => p.ifid = Ifid::Eui64,
        }
    }
    if let (Some(id), Some(len)) = (p.sla_id, p.sla_len) {
        // WIDE ORs an oversized sla-id into the prefix (doc/wide-compat.md §9.2 item 10).
        if len < 32 && u64::from(id) >> len != 0 {
            warn(
                w,
                &name.pos,
                format!("sla-id {id} does not fit in sla-len {len}; WIDE would corrupt the prefix"),
            );
        }
    }
    Ok(p)
}
