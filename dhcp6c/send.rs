//! Building the client's messages (mirrors dhcp6c.c:client6_send): what
//! each exchange puts in its message, from the configuration, the leases
//! held and the Advertises of the session; [`ClientAuth`] seals it.

use std::net::Ipv6Addr;
use std::time::Instant;

use libdhcp6::codes::{MessageType, OptionCode};
use libdhcp6::duid::Duid;
use libdhcp6::timing::elapsed_time_value;
use libdhcp6::wire::{IaAddr, IaPrefix, MessageRepr, OptionRepr};
use libdhcp6::IaKind;

use crate::action::Action;
use crate::auth::ClientAuth;
use crate::conf::{IaConf, IfConfig};
use crate::ia::{find_ia, Binding, Lifetimes};
use crate::state::Exchange;

/// An Advertise kept during a Solicit, and after it for the Request that
/// follows.
#[derive(Debug, Clone)]
pub struct Advert {
    /// Its Server ID.
    pub server: Duid,
    /// Its Preference (0 when absent).
    pub preference: u8,
    /// Number of configured IAs the Advertise offers something in.
    pub offered: usize,
    /// The message.
    pub msg: MessageRepr,
    /// The delayed-authentication key it was authenticated with (an index
    /// into the configured keys).
    pub key: Option<usize>,
}

/// An address found duplicated by DAD, to Decline (C-131).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declined {
    /// The IA_NA it was leased in.
    pub iaid: u32,
    /// The address.
    pub addr: Ipv6Addr,
}

/// What a message is built from, besides its exchange.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The interface's configuration.
    pub conf: &'a IfConfig,
    /// Our DUID.
    pub duid: &'a Duid,
    /// The IAs held.
    pub bindings: &'a [Binding],
    /// The Advertises of this session.
    pub adverts: &'a [Advert],
    /// Addresses to Decline.
    pub declining: &'a [Declined],
}

/// Builds the message of `ex`, seals it and queues it; returns whether it
/// was sent (it is not without a usable authentication key). Mirrors
/// dhcp6c.c:client6_send.
pub fn client6_send(
    o: &Outgoing<'_>,
    ex: &mut Exchange,
    auth: &mut ClientAuth,
    now: Instant,
    out: &mut Vec<Action>,
) -> bool {
    let msg = build(o, ex, now);
    match auth.seal(now, msg, &mut ex.auth_noted, out) {
        Some(bytes) => {
            out.push(Action::Send(bytes));
            true
        }
        None => false,
    }
}

/// The messages that carry Reconfigure Accept when the client offers it
/// (RFC 8415 §18.2.1, §18.2.2, §18.2.4-6): every one that can establish or
/// refresh a binding or stateless information.
pub fn offers_reconfigure_accept(kind: MessageType) -> bool {
    matches!(
        kind,
        MessageType::Solicit
            | MessageType::Request
            | MessageType::Renew
            | MessageType::Rebind
            | MessageType::InformationRequest
    )
}

/// The message of `ex` at `now`, unsealed.
fn build(o: &Outgoing<'_>, ex: &Exchange, now: Instant) -> MessageRepr {
    let kind = ex.kind();
    let mut opts = vec![OptionRepr::ClientId(o.duid.clone())];
    if let Some(s) = &ex.server {
        if kind != MessageType::Rebind {
            opts.push(OptionRepr::ServerId(s.clone()));
        }
    }
    // C-116: 0 in the first transmission, then hundredths since it.
    let elapsed = if ex.rs.sent <= 1 {
        0
    } else {
        elapsed_time_value(now.saturating_duration_since(ex.first))
    };
    opts.push(OptionRepr::ElapsedTime(elapsed));
    if o.conf.reconfigure_accept && offers_reconfigure_accept(kind) {
        opts.push(OptionRepr::ReconfAccept);
    }
    if !matches!(
        kind,
        MessageType::Release | MessageType::Decline | MessageType::Confirm
    ) {
        opts.push(OptionRepr::Oro(oro(o.conf, kind)));
    }
    match kind {
        MessageType::Solicit => {
            if o.conf.rapid_commit {
                opts.push(OptionRepr::RapidCommit);
            }
            opts.extend(o.conf.ias.iter().map(hint_ia));
        }
        MessageType::Request => request_ias(o, ex, now, &mut opts),
        MessageType::Renew | MessageType::Rebind | MessageType::Release => {
            renew_ias(o, kind, now, &mut opts)
        }
        MessageType::Confirm => {
            // C-140: every address, T1/T2 and lifetimes 0.
            for b in o.bindings.iter().filter(|b| b.kind != IaKind::Pd) {
                let addrs = b.leases.iter().map(|l| l.addr);
                opts.push(zeroed_ia(b.kind, b.iaid, addrs));
            }
        }
        MessageType::Decline => {
            // C-132: the IA_NA with the duplicated address, never an IA_PD.
            let mut iaids: Vec<u32> = o.declining.iter().map(|d| d.iaid).collect();
            iaids.dedup();
            for iaid in iaids {
                let addrs = o
                    .declining
                    .iter()
                    .filter(|d| d.iaid == iaid)
                    .map(|d| d.addr);
                opts.push(zeroed_ia(IaKind::Na, iaid, addrs));
            }
        }
        _ => {}
    }
    MessageRepr {
        msg_type: kind,
        transaction_id: ex.xid,
        options: opts,
    }
}

/// The Option Request option of a `kind` message: the configured `request`
/// list, without repeats. C-115 / C-144 / C-146: 82 in stateful messages,
/// 83 and 32 only in Information-request.
fn oro(conf: &IfConfig, kind: MessageType) -> Vec<OptionCode> {
    let mut oro = conf.oro.clone();
    if kind == MessageType::InformationRequest {
        oro.extend([OptionCode::InfMaxRt, OptionCode::InformationRefreshTime]);
    } else {
        oro.push(OptionCode::SolMaxRt);
        oro.retain(|c| *c != OptionCode::InformationRefreshTime);
    }
    let mut seen = Vec::new();
    oro.retain(|c| {
        let fresh = !seen.contains(c);
        seen.push(*c);
        fresh
    });
    oro
}

/// The IAs of a Request: the Advertise's offer for each IA it named, the
/// leases held or the hints for the rest (RFC 7550 §4.1: ask for every IA).
fn request_ias(o: &Outgoing<'_>, ex: &Exchange, now: Instant, opts: &mut Vec<OptionRepr>) {
    let adv = o
        .adverts
        .iter()
        .find(|a| Some(&a.server) == ex.server.as_ref());
    for ia in &o.conf.ias {
        match adv.and_then(|a| find_ia(&a.msg, ia.kind, ia.iaid)) {
            Some(got) => {
                let options = got
                    .options
                    .iter()
                    .filter(|x| !matches!(x, OptionRepr::StatusCode(_)))
                    .cloned()
                    .collect();
                opts.push(OptionRepr::new_ia(ia.kind, ia.iaid, 0, 0, options));
            }
            None => match o
                .bindings
                .iter()
                .find(|b| b.kind == ia.kind && b.iaid == ia.iaid)
            {
                Some(b) => opts.push(held_ia(b, now)),
                None => opts.push(hint_ia(ia)),
            },
        }
    }
}

/// The IAs of a Renew, Rebind or Release: those held, and with `allow
/// renew-missing-ia` empty ones for the configured IAs not held.
fn renew_ias(o: &Outgoing<'_>, kind: MessageType, now: Instant, opts: &mut Vec<OptionRepr>) {
    // Temporary addresses are released but never renewed.
    for b in o
        .bindings
        .iter()
        .filter(|b| b.kind != IaKind::Ta || kind == MessageType::Release)
    {
        opts.push(held_ia(b, now));
    }
    if kind != MessageType::Release && o.conf.renew_missing_ia {
        for ia in o.conf.ias.iter().filter(|i| i.kind != IaKind::Ta) {
            if !o
                .bindings
                .iter()
                .any(|b| b.kind == ia.kind && b.iaid == ia.iaid)
            {
                opts.push(zeroed_ia(ia.kind, ia.iaid, std::iter::empty()));
            }
        }
    }
}

/// An IA of `kind` with T1/T2 0 naming `addrs` with lifetimes 0.
fn zeroed_ia(kind: IaKind, iaid: u32, addrs: impl Iterator<Item = Ipv6Addr>) -> OptionRepr {
    let options = addrs
        .map(|addr| {
            OptionRepr::IaAddr(IaAddr {
                addr,
                preferred_lifetime: 0,
                valid_lifetime: 0,
                options: Vec::new(),
            })
        })
        .collect();
    OptionRepr::new_ia(kind, iaid, 0, 0, options)
}

/// An address or a prefix with its lifetimes, as the option of `kind`.
fn lease_option(kind: IaKind, addr: Ipv6Addr, plen: u8, life: Lifetimes) -> OptionRepr {
    match kind {
        IaKind::Na | IaKind::Ta => OptionRepr::IaAddr(IaAddr {
            addr,
            preferred_lifetime: life.preferred,
            valid_lifetime: life.valid,
            options: Vec::new(),
        }),
        IaKind::Pd => OptionRepr::IaPrefix(IaPrefix {
            preferred_lifetime: life.preferred,
            valid_lifetime: life.valid,
            prefix_len: plen,
            prefix: addr,
            options: Vec::new(),
        }),
    }
}

/// A configured IA with its hints, as Solicit asks for it.
fn hint_ia(ia: &IaConf) -> OptionRepr {
    let options = ia
        .hints
        .iter()
        .map(|h| {
            let life = Lifetimes {
                preferred: h.preferred,
                valid: h.valid,
            };
            lease_option(ia.kind, h.addr, h.plen, life)
        })
        .collect();
    OptionRepr::new_ia(ia.kind, ia.iaid, 0, 0, options)
}

/// An IA with the leases we hold and their remaining lifetimes.
fn held_ia(b: &Binding, now: Instant) -> OptionRepr {
    let options = b
        .leases
        .iter()
        .map(|l| lease_option(b.kind, l.addr, l.plen, l.left(now)))
        .collect();
    OptionRepr::new_ia(b.kind, b.iaid, b.t1, b.t2, options)
}
