//! The IAs the client holds (KAME's ia.c): what a Reply gives is applied
//! by [`update_ia`], what runs out is removed by [`ia_timo`], and the
//! binding's T1/T2 follow from what is held ([`Timers::of`]). Addresses
//! and prefixes reach the system only as [`Action`]s.

use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use libdhcp6::codes::Status;
use libdhcp6::wire::{IaView, MessageRepr, OptionRepr, INFINITY};
use libdhcp6::{IaKind, Prefix6};

use crate::action::Action;
use crate::conf::{IaConf, IfConfig};
use crate::prefixconf::{prefix_interface_address, LanAddress};

/// `s` seconds.
pub fn secs(s: u32) -> Duration {
    Duration::from_secs(u64::from(s))
}

/// Preferred and valid lifetimes, in seconds ([`INFINITY`]: forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Preferred lifetime.
    pub preferred: u32,
    /// Valid lifetime.
    pub valid: u32,
}

/// An address (/128) or a delegated prefix the client holds: KAME's
/// `statefuladdr` / `siteprefix`. (The server's leases are
/// `libdhcp6::lease`'s; this is the client's side of one.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLease {
    /// Address or prefix.
    pub addr: Ipv6Addr,
    /// 128 for an address, the delegated length for a prefix.
    pub plen: u8,
    /// Preferred lifetime as received.
    pub preferred: u32,
    /// Valid lifetime as received.
    pub valid: u32,
    /// When it was received.
    pub got: Instant,
}

impl HeldLease {
    /// When the valid lifetime runs out; `None`: never.
    pub fn expires(&self) -> Option<Instant> {
        (self.valid != INFINITY).then(|| self.got + secs(self.valid))
    }

    /// Lifetimes left at `now` (infinite stays infinite).
    pub fn left(&self, now: Instant) -> Lifetimes {
        let gone =
            u32::try_from(now.saturating_duration_since(self.got).as_secs()).unwrap_or(u32::MAX);
        let f = |v: u32| {
            if v == INFINITY {
                v
            } else {
                v.saturating_sub(gone)
            }
        };
        Lifetimes {
            preferred: f(self.preferred),
            valid: f(self.valid),
        }
    }
}

/// An IA the client holds leases in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// IA_NA, IA_TA or IA_PD.
    pub kind: IaKind,
    /// IAID.
    pub iaid: u32,
    /// T1 as received.
    pub t1: u32,
    /// T2 as received.
    pub t2: u32,
    /// When T1/T2 were received.
    pub got: Instant,
    /// Leases.
    pub leases: Vec<HeldLease>,
}

/// When a bound client renews and rebinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timers {
    /// T1: Renew starts; `None`: never.
    pub renew_at: Option<Instant>,
    /// T2: Rebind starts; `None`: never.
    pub rebind_at: Option<Instant>,
}

impl Timers {
    /// T1/T2 of the binding: the earliest over all IAs (RFC 7550 §4.3),
    /// computed from the preferred lifetimes when the server left them 0
    /// (C-137: never an immediate Renew; infinity: none). Temporary
    /// addresses are never renewed.
    pub fn of(bindings: &[Binding], now: Instant) -> Self {
        let mut t1_min: Option<Instant> = None;
        let mut t2_min: Option<Instant> = None;
        let mut any_finite_t1 = false;
        let mut any_finite_t2 = false;
        for b in bindings.iter().filter(|b| b.kind != IaKind::Ta) {
            let (t1, t2) = if b.t1 == 0 || b.t2 == 0 {
                let d = b.leases.iter().map(|l| l.preferred).min().unwrap_or(1800);
                if d == INFINITY {
                    (INFINITY, INFINITY)
                } else {
                    (d / 2, u32::try_from(u64::from(d) * 4 / 5).unwrap_or(d))
                }
            } else {
                (b.t1, b.t2)
            };
            if t1 != INFINITY {
                any_finite_t1 = true;
                let at = b.got + secs(t1.max(1));
                t1_min = Some(t1_min.map_or(at, |m| m.min(at)));
            }
            if t2 != INFINITY {
                any_finite_t2 = true;
                let at = b.got + secs(t2.max(t1.min(INFINITY - 1)).max(1));
                t2_min = Some(t2_min.map_or(at, |m| m.min(at)));
            }
        }
        let renew_at = if any_finite_t1 { t1_min } else { None }.map(|t| t.max(now));
        let mut rebind_at = if any_finite_t2 { t2_min } else { None };
        if let (Some(r), Some(b)) = (renew_at, rebind_at) {
            if b < r {
                rebind_at = Some(r);
            }
        }
        Self {
            renew_at,
            rebind_at,
        }
    }
}

/// When the last lease held runs out; `None` if none does.
pub fn last_expiry(bindings: &[Binding]) -> Option<Instant> {
    bindings
        .iter()
        .flat_map(|b| b.leases.iter().filter_map(HeldLease::expires))
        .max()
}

/// Applies one IA of a Reply to what is held. Mirrors ia.c:update_ia.
pub fn update_ia(
    conf: &IfConfig,
    bindings: &mut Vec<Binding>,
    now: Instant,
    ia: &IaConf,
    got: IaView<'_>,
    out: &mut Vec<Action>,
) {
    let mut leases: Vec<HeldLease> = bindings
        .iter()
        .find(|b| b.kind == ia.kind && b.iaid == ia.iaid)
        .map(|b| b.leases.clone())
        .unwrap_or_default();
    let items: Vec<HeldLease> = match ia.kind {
        IaKind::Na | IaKind::Ta => got
            .addresses()
            .map(|a| HeldLease {
                addr: a.addr,
                plen: 128,
                preferred: a.preferred_lifetime,
                valid: a.valid_lifetime,
                got: now,
            })
            .collect(),
        IaKind::Pd => got
            .prefixes()
            .map(|p| HeldLease {
                addr: p.prefix,
                plen: p.prefix_len,
                preferred: p.preferred_lifetime,
                valid: p.valid_lifetime,
                got: now,
            })
            .collect(),
    };
    for lease in items {
        // C-129: preferred > valid → discarded.
        if lease.preferred > lease.valid || lease.plen > 128 {
            continue;
        }
        let idx = leases
            .iter()
            .position(|l| l.addr == lease.addr && l.plen == lease.plen);
        if lease.valid == 0 {
            // C-130
            if let Some(i) = idx {
                let l = leases.remove(i);
                unconfigure(conf, ia.kind, ia.iaid, &l, out);
            }
            continue;
        }
        configure(conf, ia, &lease, out);
        match idx {
            Some(i) => {
                if let Some(slot) = leases.get_mut(i) {
                    *slot = lease;
                }
            }
            None => leases.push(lease),
        }
    }
    bindings.retain(|b| !(b.kind == ia.kind && b.iaid == ia.iaid));
    if !leases.is_empty() {
        bindings.push(Binding {
            kind: ia.kind,
            iaid: ia.iaid,
            t1: got.t1,
            t2: got.t2,
            got: now,
            leases,
        });
    }
}

/// Removes leases whose valid lifetime ran out (C-130, C-135); returns
/// true when that left nothing held of what there was. Mirrors
/// ia.c:ia_timo.
pub fn ia_timo(
    conf: &IfConfig,
    bindings: &mut Vec<Binding>,
    now: Instant,
    out: &mut Vec<Action>,
) -> bool {
    let mut gone = Vec::new();
    for b in bindings.iter_mut() {
        b.leases.retain(|l| {
            let dead = l.expires().is_some_and(|e| now >= e);
            if dead {
                gone.push((b.kind, b.iaid, l.clone()));
            }
            !dead
        });
    }
    for (kind, iaid, l) in gone {
        unconfigure(conf, kind, iaid, &l, out);
    }
    let before = bindings.len();
    bindings.retain(|b| !b.leases.is_empty());
    before > 0 && bindings.is_empty()
}

/// Installs a lease: the address on the DHCP interface, or for a prefix
/// its unreachable route and the LAN addresses numbered from it.
pub fn configure(conf: &IfConfig, ia: &IaConf, l: &HeldLease, out: &mut Vec<Action>) {
    match ia.kind {
        IaKind::Na | IaKind::Ta => out.push(Action::AddAddress {
            ifname: conf.ifname.clone(),
            addr: l.addr,
            plen: 128,
            preferred: l.preferred,
            valid: l.valid,
        }),
        IaKind::Pd => {
            if conf.unreachable_route {
                out.push(Action::AddUnreachable(Prefix6 {
                    addr: l.addr,
                    len: l.plen,
                }));
            }
            for p in &ia.prefix_ifs {
                // The DHCP interface itself is skipped, as in WIDE.
                if p.ifname == conf.ifname {
                    continue;
                }
                match prefix_interface_address(l.addr, l.plen, p.sla_id, p.sla_len, p.ifid) {
                    // LAN addresses never outlive the delegated prefix.
                    Ok(LanAddress { addr, plen }) => out.push(Action::AddAddress {
                        ifname: p.ifname.clone(),
                        addr,
                        plen,
                        preferred: l.preferred,
                        valid: l.valid,
                    }),
                    Err(e) => out.push(Action::Warn(format!(
                        "{}/{} on {}: {e}",
                        l.addr, l.plen, p.ifname
                    ))),
                }
            }
        }
    }
}

/// Puts the addresses held on the DHCP interface back, with the lifetimes
/// they have left at `now`, after its link came back up: Linux drops every
/// address of an interface that goes down (addrconf_ifdown; only
/// `keep_addr_on_down` keeps permanent ones, and leases are not), yet the
/// leases are still ours — RFC 8415 §18.2.3 has the client check them
/// after a link change, not give them up. Re-adding one the kernel kept
/// (a carrier flap leaves them) only restates its lifetimes. The LAN
/// addresses numbered from prefixes live on other links and stay.
pub fn reinstall(conf: &IfConfig, bindings: &[Binding], now: Instant, out: &mut Vec<Action>) {
    for b in bindings.iter().filter(|b| b.kind != IaKind::Pd) {
        for l in &b.leases {
            let Lifetimes { preferred, valid } = l.left(now);
            // Run out: ia_timo removes it, nothing to put back.
            if valid == 0 {
                continue;
            }
            out.push(Action::AddAddress {
                ifname: conf.ifname.clone(),
                addr: l.addr,
                plen: 128,
                preferred,
                valid,
            });
        }
    }
}

/// Removes a lease from the system: what [`configure`] installed.
pub fn unconfigure(conf: &IfConfig, kind: IaKind, iaid: u32, l: &HeldLease, out: &mut Vec<Action>) {
    match kind {
        IaKind::Na | IaKind::Ta => out.push(Action::DelAddress {
            ifname: conf.ifname.clone(),
            addr: l.addr,
            plen: 128,
        }),
        IaKind::Pd => {
            let Some(ia) = conf
                .ias
                .iter()
                .find(|i| i.kind == IaKind::Pd && i.iaid == iaid)
            else {
                return;
            };
            for p in &ia.prefix_ifs {
                if p.ifname == conf.ifname {
                    continue;
                }
                if let Ok(LanAddress { addr, plen }) =
                    prefix_interface_address(l.addr, l.plen, p.sla_id, p.sla_len, p.ifid)
                {
                    out.push(Action::DelAddress {
                        ifname: p.ifname.clone(),
                        addr,
                        plen,
                    });
                }
            }
            if conf.unreachable_route {
                out.push(Action::DelUnreachable(Prefix6 {
                    addr: l.addr,
                    len: l.plen,
                }));
            }
        }
    }
}

/// Removes every lease held from the system (the bindings themselves are
/// the caller's to keep or forget). Mirrors ia.c:release_all_ia.
pub fn unconfigure_all(conf: &IfConfig, bindings: &[Binding], out: &mut Vec<Action>) {
    for b in bindings {
        for l in &b.leases {
            unconfigure(conf, b.kind, b.iaid, l, out);
        }
    }
}

/// The IA of `kind` and `iaid` in `msg`; an IA_TA shows T1/T2 as 0.
pub fn find_ia(msg: &MessageRepr, kind: IaKind, iaid: u32) -> Option<IaView<'_>> {
    msg.options
        .iter()
        .filter_map(OptionRepr::ia)
        .find(|ia| ia.kind == kind && ia.iaid == iaid)
}

/// Leases in an IA that could be used (valid lifetime non-zero, preferred
/// not above valid) when its status allows.
pub fn usable(ia: IaView<'_>) -> usize {
    if ia.status().is_some_and(|s| s.status != Status::Success) {
        return 0;
    }
    ia.addresses()
        .filter(|a| a.valid_lifetime > 0 && a.preferred_lifetime <= a.valid_lifetime)
        .count()
        + ia.prefixes()
            .filter(|p| p.valid_lifetime > 0 && p.preferred_lifetime <= p.valid_lifetime)
            .count()
}
