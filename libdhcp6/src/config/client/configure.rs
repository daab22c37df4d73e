//! The meaning of dhcp6c.conf (doc/wide-compat.md §2.4): WIDE's `configure_*`
//! checks for the client, with the \[debian\] and \[opnsense\] additions and
//! kame6's IA_TA and RFC 7550 choices.

use super::{
    ClientConfig, ClientInterface, IaNaConf, IaPdConf, Ifid, PrefixInterface, RawOption,
    RequestItem,
};
use crate::codes::IaKind;
use crate::config::check::{self, invalid, warn, Names};
use crate::config::grammar::ast::{
    Allow, Block, DeclKind, DhcpOpt, File, IaDeclKind, IfidSpec, OptionStmt, PifDecl, Spanned, Stmt,
};
use crate::config::{Error, ErrorKind, FixedLease, Pos, Staged, UnixTime, Warning};
use crate::Prefix6;

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
    let mut b = Builder::default();
    for stmt in file {
        b.stmt(stmt, now)?;
    }
    b.resolve_sends()?;
    b.resolve_auths()?;
    b.warn_unused(file);
    Ok(Staged {
        config: b.cfg,
        warnings: b.w,
    })
}

/// Where a `send ia-*` names an IA: which, and in which block.
struct Send {
    kind: IaKind,
    iaid: u32,
    /// `interface NAME` or `profile NAME`.
    owner: String,
    pos: Pos,
}

/// What [`configure_client`] gathers while it reads the statements in
/// file order.
#[derive(Default)]
struct Builder {
    cfg: ClientConfig,
    w: Vec<Warning>,
    ifs: Names,
    profiles: Names,
    keys: Names,
    auths: Names,
    sends: Vec<Send>,
    /// `send authentication NAME`, resolved once every block is read.
    auth_refs: Vec<(String, Pos)>,
}

/// True when `id-assoc KIND IAID` is declared in `cfg`.
fn declared(cfg: &ClientConfig, kind: IaKind, iaid: u32) -> bool {
    match kind {
        IaKind::Pd => cfg.ia_pds.iter().any(|i| i.iaid == iaid),
        IaKind::Na => cfg.ia_nas.iter().any(|i| i.iaid == iaid),
        IaKind::Ta => cfg.ia_tas.iter().any(|i| i.iaid == iaid),
    }
}

impl Builder {
    /// One top-level statement. A second block of a name WIDE drops
    /// unchecked is dropped here too (with a warning).
    fn stmt(&mut self, stmt: &Spanned<Stmt>, now: UnixTime) -> Result<(), Error> {
        let (pos, w) = (&stmt.pos, &mut self.w);
        match &stmt.value {
            Stmt::Interface(b) if self.ifs.first(&b.name, w) => {
                let i = interface(b, "interface", w, &mut self.sends, &mut self.auth_refs)?;
                self.cfg.interfaces.push(i);
            }
            Stmt::Profile(b) if self.profiles.first(&b.name, w) => {
                let i = interface(b, "profile", w, &mut self.sends, &mut self.auth_refs)?;
                self.cfg.profiles.push(i);
            }
            Stmt::IdAssoc { kind: ty, iaid, .. } if declared(&self.cfg, *ty, *iaid) => {
                let msg = format!("duplicated IA {} {iaid} (ignored)", ty.name());
                warn(w, pos, msg);
            }
            Stmt::IdAssoc {
                kind: ty,
                iaid,
                decls,
            } => match id_assoc(*ty, *iaid, decls, w)? {
                Ia::Pd(p) => self.cfg.ia_pds.push(p),
                Ia::Na(n) if *ty == IaKind::Na => self.cfg.ia_nas.push(n),
                Ia::Na(n) => self.cfg.ia_tas.push(n),
            },
            Stmt::Keyinfo { name, params } if self.keys.first(name, w) => {
                self.cfg.keys.push(check::keyinfo(name, params, now, w)?);
            }
            Stmt::Authentication { name, params } if self.auths.first(name, w) => {
                self.cfg.auths.push(check::auth(name, params, false, w)?);
            }
            Stmt::Interface(_)
            | Stmt::Profile(_)
            | Stmt::Keyinfo { .. }
            | Stmt::Authentication { .. } => {}
            // Accepted and ignored by WIDE's dhcp6c (doc/wide-compat.md §2.4).
            Stmt::Option(OptionStmt::RefreshTime(n)) => {
                if *n < 600 {
                    return Err(invalid(
                        pos,
                        format!("refresh time is too small ({n} < 600)"),
                    ));
                }
                warn(
                    w,
                    pos,
                    "'option refreshtime' has no effect in dhcp6c.conf (ignored)",
                );
            }
            // WIDE refuses a server option in dhcp6c.conf only when it
            // lists something (configure_addr checks a non-empty list).
            Stmt::Option(OptionStmt::Addresses { kind, addrs }) if addrs.is_empty() => warn(
                w,
                pos,
                format!(
                    "'option {}' with no address has no effect in dhcp6c.conf: WIDE accepts and ignores it, and so does kame6",
                    kind.keyword()
                ),
            ),
            Stmt::Option(_) => return Err(server_only(pos, "option")),
            Stmt::Host(_) => warn(
                w,
                pos,
                "host statements are server configuration; dhcp6c ignores them",
            ),
            // WIDE's configure_pool: "pool statement is server-only", fatal.
            Stmt::Pool(_) => return Err(server_only(pos, "pool")),
            Stmt::Link(_) => return Err(server_only(pos, "link")),
            Stmt::PrefixPool { .. } => return Err(server_only(pos, "prefix-pool")),
            Stmt::LeaseFile(_) => return Err(server_only(pos, "lease-file")),
            Stmt::Dhcp4o6Port(_) => return Err(server_only(pos, "dhcp4o6-port")),
        }
        Ok(())
    }

    /// Resolves `send ia-*`: each IA must be declared and sent from one
    /// block.
    fn resolve_sends(&self) -> Result<(), Error> {
        for (n, s) in self.sends.iter().enumerate() {
            let (ty, iaid) = (s.kind, s.iaid);
            if !declared(&self.cfg, ty, iaid) {
                return Err(invalid(
                    &s.pos,
                    format!("{} ({iaid}) is not defined", ty.name()),
                ));
            }
            let mut earlier = self.sends.iter().take(n);
            if let Some(first) = earlier.find(|e| (e.kind, e.iaid) == (ty, iaid)) {
                return Err(invalid(
                    &s.pos,
                    format!(
                        "{} {iaid} is already sent on {}; an IA can belong to one interface only",
                        ty.name(),
                        first.owner
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Every `send authentication NAME` names a defined block.
    fn resolve_auths(&self) -> Result<(), Error> {
        for (name, pos) in &self.auth_refs {
            if !self.cfg.auths.iter().any(|a| a.name == *name) {
                return Err(Error::new(
                    pos.clone(),
                    ErrorKind::Undefined {
                        kind: "authentication",
                        name: name.clone(),
                    },
                ));
            }
        }
        Ok(())
    }

    /// WIDE's warning for IAs declared and sent from no block.
    fn warn_unused(&mut self, file: &File) {
        let cfg = &self.cfg;
        let unused = cfg
            .ia_pds
            .iter()
            .map(|i| (IaKind::Pd, i.iaid))
            .chain(cfg.ia_nas.iter().map(|i| (IaKind::Na, i.iaid)))
            .chain(cfg.ia_tas.iter().map(|i| (IaKind::Ta, i.iaid)))
            .filter(|(t, i)| !self.sends.iter().any(|s| s.kind == *t && s.iaid == *i))
            .map(|(t, i)| format!("{} {i}", t.name()))
            .collect::<Vec<_>>();
        if unused.is_empty() {
            return;
        }
        let pos = check::whole_file(file);
        warn(
            &mut self.w,
            &pos,
            format!(
                "some IA configuration defined but not used: {}",
                unused.join(", ")
            ),
        );
    }
}

/// One `interface` or \[debian\] `profile` block (`kind` names which, for
/// messages): WIDE checks both the same way.
fn interface(
    b: &Block,
    kind: &str,
    w: &mut Vec<Warning>,
    sends: &mut Vec<Send>,
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
                            push_ia(&mut i.send_ia_pd, IaKind::Pd, *n, &owner, &o.pos, sends)
                        }
                        DhcpOpt::IaNa(n) => {
                            push_ia(&mut i.send_ia_na, IaKind::Na, *n, &owner, &o.pos, sends)
                        }
                        DhcpOpt::IaTa(n) => {
                            push_ia(&mut i.send_ia_ta, IaKind::Ta, *n, &owner, &o.pos, sends)
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
                        DhcpOpt::Raw { code, data } => i.send_raw.push(RawOption {
                            code: *code,
                            data: data.clone(),
                        }),
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
                        DhcpOpt::Raw { code, .. } => RequestItem::Raw(*code),
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
            DeclKind::Dhcp4o6Interface(n) => {
                if i.dhcp4o6_interface.is_some() {
                    return Err(invalid(
                        pos,
                        format!("{owner}: duplicated dhcp4o6-interface"),
                    ));
                }
                i.dhcp4o6_interface = Some(n.clone());
            }
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
            DeclKind::Allow(Allow::Other(o)) => check::allow_other(o, pos, w)?,
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
    ty: IaKind,
    iaid: u32,
    owner: &str,
    pos: &Pos,
    sends: &mut Vec<Send>,
) {
    sends.push(Send {
        kind: ty,
        iaid,
        owner: owner.to_string(),
        pos: pos.clone(),
    });
    list.push(iaid);
}

enum Ia {
    Pd(IaPdConf),
    Na(IaNaConf),
}

fn id_assoc(
    ty: IaKind,
    iaid: u32,
    decls: &[Spanned<IaDeclKind>],
    w: &mut Vec<Warning>,
) -> Result<Ia, Error> {
    let mut prefixes: Vec<FixedLease> = Vec::new();
    let mut addresses: Vec<FixedLease> = Vec::new();
    let mut pifs: Vec<PrefixInterface> = Vec::new();
    for d in decls {
        let pos = &d.pos;
        match (&d.value, ty) {
            (IaDeclKind::Prefix(p), IaKind::Pd) => {
                let Prefix6 { addr, len } = check::prefix(p.addr, p.len, pos, w)?;
                check::check_scope(addr, pos, "prefix")?;
                let lifetimes = check::lifetimes(p.pltime, p.vltime, pos)?;
                if prefixes.iter().any(|x| x.addr == addr && x.len == len) {
                    return Err(invalid(pos, format!("duplicated prefix {addr}/{len}")));
                }
                prefixes.push(FixedLease {
                    addr,
                    len,
                    lifetimes,
                });
            }
            (IaDeclKind::Address(a), IaKind::Na | IaKind::Ta) => {
                check::check_scope(a.addr, pos, "address")?;
                let lifetimes = check::lifetimes(a.pltime, a.vltime, pos)?;
                if addresses.iter().any(|x| x.addr == a.addr) {
                    return Err(invalid(pos, format!("duplicated address {}", a.addr)));
                }
                addresses.push(FixedLease {
                    addr: a.addr,
                    len: 128,
                    lifetimes,
                });
            }
            (
                IaDeclKind::PrefixInterface {
                    ifname: name,
                    decls: params,
                },
                IaKind::Pd,
            ) => {
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
                    IaDeclKind::PrefixInterface { .. } => "prefix-interface",
                };
                return Err(invalid(
                    pos,
                    format!("'{word}' is not allowed in id-assoc {}", ia_kw(ty)),
                ));
            }
        }
    }
    Ok(match ty {
        IaKind::Pd => Ia::Pd(IaPdConf {
            iaid,
            prefixes,
            prefix_interfaces: pifs,
        }),
        IaKind::Na | IaKind::Ta => Ia::Na(IaNaConf { iaid, addresses }),
    })
}

fn ia_kw(ty: IaKind) -> &'static str {
    match ty {
        IaKind::Pd => "pd",
        IaKind::Na => "na",
        IaKind::Ta => "ta",
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
                        ErrorKind::OutOfRange {
                            value: n,
                            min: 0,
                            max: u64::from(u32::MAX),
                        },
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
