//! The per-message handlers: each takes the checked request and the
//! client's scope and returns the answer, if any (RFC 8415 §18.3; mirrors
//! dhcp6s.c:react_*). They decide and record bindings; they do not send.

use std::net::Ipv6Addr;

use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::config::Lifetimes;
use libdhcp6::lease::{BindingKey, Change, IaKind, Lease, LeaseStore, Resource};
use libdhcp6::timing::IRT_DEFAULT;
use libdhcp6::wire::{IaAddr, IaNa, IaPrefix, IaTa, MessageRepr, OptionRepr, StatusCode, INFINITY};

use crate::pools::client_hint;
use crate::server::{requested, unavailable_status, Request, Scoped, Server, Source};

/// One IA of the request.
#[derive(Debug, Clone)]
pub struct IaRequest {
    /// IA type.
    pub kind: IaKind,
    /// IAID.
    pub iaid: u32,
    /// Addresses or prefixes the client listed (hints, or what it holds).
    pub listed: Vec<Resource>,
}

/// The IAs of a message in order; a second IA of the same type and IAID is
/// ignored (RFC 8415 §21.4: one per IAID).
pub fn ias(msg: &MessageRepr) -> Vec<IaRequest> {
    let mut out: Vec<IaRequest> = Vec::new();
    for o in &msg.options {
        let (kind, iaid, opts) = match o {
            OptionRepr::IaNa(ia) => (IaKind::Na, ia.iaid, &ia.options),
            OptionRepr::IaPd(ia) => (IaKind::Pd, ia.iaid, &ia.options),
            OptionRepr::IaTa(ia) => (IaKind::Ta, ia.iaid, &ia.options),
            _ => continue,
        };
        if out.iter().any(|i| i.kind == kind && i.iaid == iaid) {
            continue;
        }
        let listed = opts
            .iter()
            .filter_map(|o| match (kind, o) {
                (IaKind::Na | IaKind::Ta, OptionRepr::IaAddr(a)) => Some(Resource {
                    addr: a.addr,
                    len: 128,
                }),
                (IaKind::Pd, OptionRepr::IaPrefix(p)) => Some(Resource {
                    addr: p.prefix,
                    len: p.prefix_len,
                }),
                _ => None,
            })
            .collect();
        out.push(IaRequest { kind, iaid, listed });
    }
    out
}

/// What the answer says about one IA.
#[derive(Debug, Clone)]
pub enum IaAnswer {
    /// Leases with the lifetimes to state (zero for ones the client must drop).
    Leases(Vec<(Resource, u32, u32)>),
    /// A status inside the IA, no leases.
    Status(Status),
}

fn lease_of(res: Resource, lt: Lifetimes, now: u64) -> Lease {
    Lease {
        res,
        preferred: lt.preferred,
        valid: lt.valid,
        updated: now,
    }
}

/// T1 and T2 for a Reply: 0.5 and 0.8 of the shortest preferred lifetime
/// granted (C-057), infinity when that is infinite (C-058), the same for
/// every IA (C-056), never T1 > T2 (C-059).
fn timers(answers: &[(IaRequest, IaAnswer)]) -> (u32, u32) {
    let min = answers
        .iter()
        .filter_map(|(_, a)| match a {
            IaAnswer::Leases(l) => Some(l.iter().filter(|(_, _, v)| *v > 0).map(|(_, p, _)| *p)),
            IaAnswer::Status(_) => None,
        })
        .flatten()
        .min();
    match min {
        None | Some(0) => (0, 0),
        Some(INFINITY) => (INFINITY, INFINITY),
        Some(p) => {
            let t1 = p / 2;
            let t2 = u32::try_from(u64::from(p) * 4 / 5).unwrap_or(INFINITY - 1);
            (t1, t2.max(t1))
        }
    }
}

/// Writes the IA options of an answer into `reply`.
fn put_ias(reply: &mut MessageRepr, answers: &[(IaRequest, IaAnswer)]) {
    let (t1, t2) = timers(answers);
    for (ia, ans) in answers {
        let options: Vec<OptionRepr> = match ans {
            IaAnswer::Status(s) => vec![OptionRepr::StatusCode(StatusCode::new(*s))],
            IaAnswer::Leases(l) => l
                .iter()
                .map(|(res, p, v)| match ia.kind {
                    IaKind::Pd => OptionRepr::IaPrefix(IaPrefix {
                        preferred_lifetime: *p,
                        valid_lifetime: *v,
                        prefix_len: res.len,
                        prefix: res.addr,
                        options: vec![],
                    }),
                    _ => OptionRepr::IaAddr(IaAddr {
                        addr: res.addr,
                        preferred_lifetime: *p,
                        valid_lifetime: *v,
                        options: vec![],
                    }),
                })
                .collect(),
        };
        reply.options.push(match ia.kind {
            IaKind::Na => OptionRepr::IaNa(IaNa {
                iaid: ia.iaid,
                t1,
                t2,
                options,
            }),
            IaKind::Pd => OptionRepr::IaPd(IaNa {
                iaid: ia.iaid,
                t1,
                t2,
                options,
            }),
            IaKind::Ta => OptionRepr::IaTa(IaTa {
                iaid: ia.iaid,
                options,
            }),
        });
    }
}

impl<S: LeaseStore> Server<S> {
    fn source<'c>(scoped: &Scoped<'c>, kind: IaKind) -> Option<Source<'c>> {
        match kind {
            IaKind::Na => scoped.addresses(),
            IaKind::Ta => scoped.temporary(),
            IaKind::Pd => scoped.prefixes(),
        }
    }

    /// The lifetimes `res` gets from `src`, or `None` when `src` does not
    /// (or no longer) offer it.
    fn lifetimes_for(&self, src: Source<'_>, res: &Resource) -> Option<Lifetimes> {
        match src {
            Source::Fixed(list) => list
                .iter()
                .find(|l| l.addr == res.addr && l.len == res.len)
                .map(|l| l.lifetimes),
            Source::Pool(r) => {
                let inside = if res.len == 128 {
                    self.pools
                        .addr_pool(&r.name)
                        .is_some_and(|p| p.contains(&res.addr))
                } else {
                    self.pools
                        .prefix_pool(&r.name)
                        .is_some_and(|p| p.contains(&res.addr) && p.delegated_len() == res.len)
                };
                inside.then_some(r.lifetimes)
            }
        }
    }

    /// True when `res` can go to `key`: nobody else holds it, it is not
    /// quarantined, and (for pools) its slot is free or already ours.
    fn available(
        &self,
        key: &BindingKey,
        res: &Resource,
        src: Source<'_>,
        chosen: &[Resource],
    ) -> bool {
        if chosen.contains(res) {
            return false;
        }
        match self.store.holder(res) {
            Some(k) => k == key,
            None => match src {
                Source::Fixed(_) => !self.store.is_leased(res),
                Source::Pool(r) => self.pools.is_free_in(&r.name, res),
            },
        }
    }

    /// Chooses leases for one IA (KAME's steps 1-4, with pools and prefix
    /// pools): the existing binding if still good here, else the hints the
    /// client may have, else one new lease. With `commit` nothing changes
    /// yet: the caller grants. Err is the status to put in the IA.
    fn assign(
        &self,
        req: &Request<'_>,
        scoped: &Scoped<'_>,
        ia: &IaRequest,
        chosen: &mut Vec<Resource>,
    ) -> Result<Vec<Lease>, Status> {
        let duid = req.client_id.ok_or(Status::UnspecFail)?;
        let key = BindingKey {
            duid: duid.clone(),
            kind: ia.kind,
            iaid: ia.iaid,
        };
        let src = Self::source(scoped, ia.kind).ok_or(unavailable_status(ia.kind))?;
        // 1. An existing binding keeps its leases (C-061), refreshed.
        if let Some(b) = self.store.binding(&key) {
            let kept: Vec<Lease> = b
                .leases
                .iter()
                .filter(|l| !chosen.contains(&l.res))
                .filter_map(|l| {
                    self.lifetimes_for(src, &l.res)
                        .map(|lt| lease_of(l.res, lt, req.now))
                })
                .collect();
            if !kept.is_empty() {
                chosen.extend(kept.iter().map(|l| l.res));
                return Ok(kept);
            }
        }
        // 2. Hints, when they can be had here (C-053: others never appear).
        let mut got = Vec::new();
        for h in &ia.listed {
            let exact = self
                .lifetimes_for(src, h)
                .filter(|_| self.available(&key, h, src, chosen));
            if let Some(lt) = exact {
                chosen.push(*h);
                got.push(lease_of(*h, lt, req.now));
            }
        }
        if !got.is_empty() {
            return Ok(got);
        }
        // 3. One new lease.
        let kind_tag = ia.kind as u8;
        let pick = match src {
            Source::Fixed(list) => {
                let want_len = ia
                    .listed
                    .iter()
                    .map(|r| r.len)
                    .find(|l| *l != 128 && ia.kind == IaKind::Pd);
                let fits = |l: &&libdhcp6::config::Lease| (l.len == 128) == (ia.kind != IaKind::Pd);
                let candidates = || list.iter().filter(fits);
                candidates()
                    .filter(|l| want_len.is_none_or(|w| l.len == w))
                    .chain(candidates())
                    .map(|l| {
                        (
                            Resource {
                                addr: l.addr,
                                len: l.len,
                            },
                            l.lifetimes,
                        )
                    })
                    .find(|(r, _)| self.available(&key, r, src, chosen))
            }
            Source::Pool(r) => {
                let hint = client_hint(duid.as_bytes(), ia.iaid, kind_tag);
                let res = if ia.kind == IaKind::Pd {
                    self.pools.pick_prefix(&r.name, hint, chosen)
                } else {
                    self.pools.pick_addr(&r.name, hint, chosen)
                };
                res.filter(|res| self.store.holder(res).is_none_or(|k| *k == key))
                    .map(|res| (res, r.lifetimes))
            }
        };
        let (res, lt) = pick.ok_or(unavailable_status(ia.kind))?;
        chosen.push(res);
        Ok(vec![lease_of(res, lt, req.now)])
    }

    /// Answers for every IA of a Solicit / Request, granting with `commit`.
    fn assign_all(
        &mut self,
        req: &Request<'_>,
        scoped: &Scoped<'_>,
        commit: bool,
        check_onlink: bool,
    ) -> Vec<(IaRequest, IaAnswer)> {
        let mut chosen = Vec::new();
        let mut answers = Vec::new();
        for ia in ias(req.msg) {
            // C-055: an address off the client's link in a Request → NotOnLink.
            if check_onlink
                && ia.kind != IaKind::Pd
                && scoped.knows_link()
                && ia
                    .listed
                    .iter()
                    .any(|r| !r.addr.is_unspecified() && !scoped.address_ok(&r.addr, &self.pools))
            {
                answers.push((ia, IaAnswer::Status(Status::NotOnLink)));
                continue;
            }
            match self.assign(req, scoped, &ia, &mut chosen) {
                Ok(leases) => {
                    let shown = leases
                        .iter()
                        .map(|l| (l.res, l.preferred, l.valid))
                        .collect();
                    if commit {
                        if let Some(duid) = req.client_id {
                            let key = BindingKey {
                                duid: duid.clone(),
                                kind: ia.kind,
                                iaid: ia.iaid,
                            };
                            self.grant(key, leases);
                        }
                    }
                    answers.push((ia, IaAnswer::Leases(shown)));
                }
                Err(s) => answers.push((ia, IaAnswer::Status(s))),
            }
        }
        answers
    }

    /// Adds the IAs (with common T1/T2) and the stateless options.
    fn finish(
        &self,
        scoped: &Scoped<'_>,
        mut reply: MessageRepr,
        answers: &[(IaRequest, IaAnswer)],
    ) -> MessageRepr {
        put_ias(&mut reply, answers);
        reply.options.extend(scoped.info_options(false));
        reply
    }

    /// Solicit → Advertise, or a committed Reply with Rapid Commit (C-047 … C-053).
    pub fn react_solicit(&mut self, req: &Request<'_>, scoped: &Scoped<'_>) -> Option<MessageRepr> {
        let rapid = req.msg.option(OptionCode::RapidCommit).is_some() && scoped.rapid_commit();
        let kind = if rapid {
            MessageType::Reply
        } else {
            MessageType::Advertise
        };
        let answers = self.assign_all(req, scoped, rapid, false);
        let mut reply = self.reply_base(req, kind);
        if rapid {
            reply.options.push(OptionRepr::RapidCommit);
        } else if let Some(p) = scoped.preference() {
            reply.options.push(OptionRepr::Preference(p));
        }
        Some(self.finish(scoped, reply, &answers))
    }

    /// Request → Reply with committed bindings (C-055, C-061, C-062).
    pub fn react_request(&mut self, req: &Request<'_>, scoped: &Scoped<'_>) -> Option<MessageRepr> {
        let answers = self.assign_all(req, scoped, true, true);
        let reply = self.reply_base(req, MessageType::Reply);
        Some(self.finish(scoped, reply, &answers))
    }

    /// Confirm → Success or NotOnLink, or nothing when there is nothing to
    /// judge (C-063, C-064, C-065). Unlike WIDE, no binding is created.
    pub fn react_confirm(&mut self, req: &Request<'_>, scoped: &Scoped<'_>) -> Option<MessageRepr> {
        let addrs: Vec<Ipv6Addr> = ias(req.msg)
            .into_iter()
            .filter(|i| i.kind != IaKind::Pd)
            .flat_map(|i| i.listed.into_iter().map(|r| r.addr))
            .collect();
        if addrs.is_empty() || !scoped.knows_link() {
            return None;
        }
        let ok = addrs.iter().all(|a| scoped.address_ok(a, &self.pools));
        let mut reply = self.reply_base(req, MessageType::Reply);
        let status = if ok {
            Status::Success
        } else {
            Status::NotOnLink
        };
        reply
            .options
            .push(OptionRepr::StatusCode(StatusCode::new(status)));
        Some(reply)
    }

    /// Extends the bindings a Renew or Rebind names. `None` for an IA
    /// without binding; the caller decides what that means.
    fn extend(
        &mut self,
        req: &Request<'_>,
        scoped: &Scoped<'_>,
        ia: &IaRequest,
        chosen: &mut Vec<Resource>,
    ) -> Option<IaAnswer> {
        let duid = req.client_id?;
        let key = BindingKey {
            duid: duid.clone(),
            kind: ia.kind,
            iaid: ia.iaid,
        };
        let binding = self.store.binding(&key)?.clone();
        let src = Self::source(scoped, ia.kind);
        let mut kept = Vec::new();
        let mut shown = Vec::new();
        for l in &binding.leases {
            match src.and_then(|s| self.lifetimes_for(s, &l.res)) {
                Some(lt) => {
                    kept.push(lease_of(l.res, lt, req.now));
                    shown.push((l.res, lt.preferred, lt.valid));
                    chosen.push(l.res);
                }
                // C-067: no longer valid here: lifetimes 0, and it is dropped.
                None => shown.push((l.res, 0, 0)),
            }
        }
        // Listed leases the binding does not have are not the client's.
        for r in &ia.listed {
            if !binding.leases.iter().any(|l| l.res == *r) {
                shown.push((*r, 0, 0));
            }
        }
        if kept.is_empty() {
            // Renumbered: offer something new alongside the zero lifetimes.
            let fresh = IaRequest {
                kind: ia.kind,
                iaid: ia.iaid,
                listed: Vec::new(),
            };
            if let Ok(new) = self.assign(req, scoped, &fresh, chosen) {
                shown.extend(new.iter().map(|l| (l.res, l.preferred, l.valid)));
                kept = new;
            }
        }
        self.grant(key, kept);
        Some(IaAnswer::Leases(shown))
    }

    /// Renew → Reply; an unknown IA gets NoBinding (C-066, C-067, C-068).
    pub fn react_renew(&mut self, req: &Request<'_>, scoped: &Scoped<'_>) -> Option<MessageRepr> {
        let mut chosen = Vec::new();
        let mut answers = Vec::new();
        for ia in ias(req.msg) {
            let ans = self
                .extend(req, scoped, &ia, &mut chosen)
                .unwrap_or(IaAnswer::Status(Status::NoBinding));
            answers.push((ia, ans));
        }
        let reply = self.reply_base(req, MessageType::Reply);
        Some(self.finish(scoped, reply, &answers))
    }

    /// Rebind → Reply, or nothing when no IA is known here (C-069, C-070).
    pub fn react_rebind(&mut self, req: &Request<'_>, scoped: &Scoped<'_>) -> Option<MessageRepr> {
        let mut chosen = Vec::new();
        let mut answers = Vec::new();
        for ia in ias(req.msg) {
            if let Some(ans) = self.extend(req, scoped, &ia, &mut chosen) {
                answers.push((ia, ans));
                continue;
            }
            let wrong: Vec<(Resource, u32, u32)> = ia
                .listed
                .iter()
                .filter(|r| {
                    if ia.kind == IaKind::Pd {
                        !scoped.prefix_ok(&r.addr, r.len, &self.pools)
                    } else {
                        scoped.knows_link() && !scoped.address_ok(&r.addr, &self.pools)
                    }
                })
                .map(|r| (*r, 0, 0))
                .collect();
            if !wrong.is_empty() {
                answers.push((ia, IaAnswer::Leases(wrong)));
            } else if scoped.rapid_commit() {
                // C-070: only a server that does rapid commit creates
                // bindings from a Rebind (several may hear it).
                if let Ok(leases) = self.assign(req, scoped, &ia, &mut chosen) {
                    let shown = leases
                        .iter()
                        .map(|l| (l.res, l.preferred, l.valid))
                        .collect();
                    if let Some(duid) = req.client_id {
                        self.grant(
                            BindingKey {
                                duid: duid.clone(),
                                kind: ia.kind,
                                iaid: ia.iaid,
                            },
                            leases,
                        );
                    }
                    answers.push((ia, IaAnswer::Leases(shown)));
                }
            }
        }
        if answers.is_empty() {
            return None;
        }
        let reply = self.reply_base(req, MessageType::Reply);
        Some(self.finish(scoped, reply, &answers))
    }

    /// Release → Reply Success; unknown IAs echoed with NoBinding (C-071, C-072).
    pub fn react_release(
        &mut self,
        req: &Request<'_>,
        _scoped: &Scoped<'_>,
    ) -> Option<MessageRepr> {
        let duid = req.client_id?;
        let mut reply = self.reply_base(req, MessageType::Reply);
        let mut unknown = Vec::new();
        for ia in ias(req.msg) {
            let key = BindingKey {
                duid: duid.clone(),
                kind: ia.kind,
                iaid: ia.iaid,
            };
            let Some(b) = self.store.binding(&key).cloned() else {
                unknown.push((ia, IaAnswer::Status(Status::NoBinding)));
                continue;
            };
            // Leases not bound to this IA are ignored (RFC 8415 §18.3.7).
            let listed: Vec<Resource> = if ia.listed.is_empty() {
                b.leases.iter().map(|l| l.res).collect()
            } else {
                ia.listed
                    .iter()
                    .filter(|r| b.leases.iter().any(|l| l.res == **r))
                    .copied()
                    .collect()
            };
            for r in listed {
                self.store.apply(Change::Release(key.clone(), r));
                self.pools.free(&r);
            }
        }
        reply
            .options
            .push(OptionRepr::StatusCode(StatusCode::new(Status::Success)));
        put_ias(&mut reply, &unknown);
        Some(reply)
    }

    /// Decline → Reply Success; declined addresses quarantined (C-073).
    pub fn react_decline(
        &mut self,
        req: &Request<'_>,
        _scoped: &Scoped<'_>,
    ) -> Option<MessageRepr> {
        let duid = req.client_id?;
        let mut reply = self.reply_base(req, MessageType::Reply);
        let mut unknown = Vec::new();
        let until = req.now + u64::from(self.quarantine);
        for ia in ias(req.msg).into_iter().filter(|i| i.kind != IaKind::Pd) {
            let key = BindingKey {
                duid: duid.clone(),
                kind: ia.kind,
                iaid: ia.iaid,
            };
            let Some(b) = self.store.binding(&key).cloned() else {
                unknown.push((ia, IaAnswer::Status(Status::NoBinding)));
                continue;
            };
            for r in ia
                .listed
                .iter()
                .filter(|r| b.leases.iter().any(|l| l.res == **r))
            {
                // The slot stays taken until the quarantine ends (expire frees it).
                self.store.apply(Change::Decline(key.clone(), *r, until));
            }
        }
        reply
            .options
            .push(OptionRepr::StatusCode(StatusCode::new(Status::Success)));
        put_ias(&mut reply, &unknown);
        Some(reply)
    }

    /// Information-request → Reply with the stateless options and, when
    /// asked, the refresh time (C-038, C-074).
    pub fn react_informreq(
        &mut self,
        req: &Request<'_>,
        scoped: &Scoped<'_>,
    ) -> Option<MessageRepr> {
        let mut reply = self.reply_base(req, MessageType::Reply);
        let mut opts = scoped.info_options(true);
        let asked = requested(req.msg, OptionCode::InformationRefreshTime);
        if asked
            && !opts
                .iter()
                .any(|o| matches!(o, OptionRepr::InformationRefreshTime(_)))
        {
            let secs = u32::try_from(IRT_DEFAULT.as_secs()).unwrap_or(86400);
            opts.push(OptionRepr::InformationRefreshTime(secs));
        }
        reply.options.extend(opts);
        Some(reply)
    }
}
