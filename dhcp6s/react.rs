//! The per-message handlers: each takes the checked request and the
//! client's scope and returns what the answer says, if anything (RFC 8415
//! §18.3; mirrors dhcp6s.c:react_*). They decide and record bindings; they
//! do not write or send: `server6_send` turns an [`Answer`] into bytes.
//!
//! Nothing here allocates for the messages real clients send: the IAs,
//! leases and answers live in small inline vectors, and bindings are looked
//! up with the DUID borrowed from the datagram. Only a new binding costs an
//! allocation (its key's DUID), which is state, not per-packet work.

use smallvec::SmallVec;

use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::config::{FixedLease, Lifetimes};
use libdhcp6::duid::Duid;
use libdhcp6::lease::{BindingKey, Change, IaKind, KeyRef, Lease, LeaseStore, Leases, Resource};
use libdhcp6::wire::INFINITY;

use crate::pools::client_hint;
use crate::server::{unavailable_status, Request, Scoped, Server, Source};
use libdhcp6::request::IaRequest;

/// A lease as an answer states it: what, preferred and valid lifetime
/// (zero for ones the client must stop using).
pub type Shown = (Resource, u32, u32);

/// What the answer says about one IA.
#[derive(Debug, Clone)]
pub enum IaAnswer {
    /// Leases with the lifetimes to state.
    Leases(SmallVec<[Shown; 2]>),
    /// A status inside the IA, no leases.
    Status(Status),
}

/// One IA of an answer: its type, IAID and content.
#[derive(Debug, Clone)]
pub struct IaReply {
    /// IA type.
    pub kind: IaKind,
    /// IAID.
    pub iaid: u32,
    /// What it holds.
    pub answer: IaAnswer,
}

/// The IAs of an answer.
pub type IaReplies = SmallVec<[IaReply; 4]>;

/// Which information options an answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Info {
    /// None (Confirm, Release, Decline, UseMulticast).
    None,
    /// The configured ones (Advertise and Reply with IAs).
    Options,
    /// The configured ones and the refresh time; with `asked`, the
    /// default refresh time when none is configured (Information-request,
    /// C-074).
    WithRefresh {
        /// The client's ORO listed option 32.
        asked: bool,
    },
}

/// What an Advertise or Reply says; `server6_send` writes it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Advertise or Reply.
    pub msg_type: MessageType,
    /// Top-level status, if any.
    pub status: Option<Status>,
    /// Rapid Commit option (a Reply to a Solicit with Rapid Commit).
    pub rapid_commit: bool,
    /// Preference option.
    pub preference: Option<u8>,
    /// The IAs.
    pub ias: IaReplies,
    /// Information options.
    pub info: Info,
}

impl Answer {
    fn new(msg_type: MessageType) -> Self {
        Self {
            msg_type,
            status: None,
            rapid_commit: false,
            preference: None,
            ias: IaReplies::new(),
            info: Info::None,
        }
    }

    /// A Reply holding only a top-level status.
    pub fn reply_with_status(status: Status) -> Self {
        Self {
            status: Some(status),
            ..Self::new(MessageType::Reply)
        }
    }
}

fn lease_of(res: Resource, lt: Lifetimes, now: u64) -> Lease {
    Lease {
        res,
        preferred: lt.preferred,
        valid: lt.valid,
        updated: now,
    }
}

fn shown(leases: &[Lease]) -> SmallVec<[Shown; 2]> {
    leases
        .iter()
        .map(|l| (l.res, l.preferred, l.valid))
        .collect()
}

/// T1 and T2 for a Reply: 0.5 and 0.8 of the shortest preferred lifetime
/// granted (C-057), infinity when that is infinite (C-058), the same for
/// every IA (C-056), never T1 > T2 (C-059).
pub fn timers(ias: &[IaReply]) -> (u32, u32) {
    let min = ias
        .iter()
        .filter_map(|ia| match &ia.answer {
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

/// Resources one message has already placed, so that two of its IAs never
/// get the same one.
type Chosen = SmallVec<[Resource; 4]>;

impl<S: LeaseStore> Server<S> {
    fn source<'c>(scoped: &Scoped<'c>, kind: IaKind) -> Option<Source<'c>> {
        match kind {
            IaKind::Na => scoped.addresses(),
            IaKind::Ta => scoped.temporary(),
            IaKind::Pd => scoped.prefixes(),
        }
    }

    /// The key of `req`'s client for an IA, its DUID shared with the
    /// existing binding when there is one (a new binding allocates it).
    fn binding_key(&self, duid: &[u8], kind: IaKind, iaid: u32) -> Option<BindingKey> {
        let k = KeyRef { duid, kind, iaid };
        match self.store.binding_by(k) {
            Some(b) => Some(b.key.clone()),
            None => Duid::from_bytes(duid)
                .ok()
                .map(|duid| BindingKey { duid, kind, iaid }),
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
        key: KeyRef<'_>,
        res: &Resource,
        src: Source<'_>,
        chosen: &[Resource],
    ) -> bool {
        if chosen.contains(res) {
            return false;
        }
        match self.store.holder(res) {
            Some(k) => k.as_ref() == key,
            None => match src {
                Source::Fixed(_) => !self.store.is_leased(res),
                Source::Pool(r) => self.pools.is_free_in(&r.name, res),
            },
        }
    }

    /// Chooses leases for one IA (KAME's steps 1-4, with pools and prefix
    /// pools): the existing binding if still good here, else the hints the
    /// client may have, else one new lease. Nothing changes yet: the caller
    /// grants. Err is the status to put in the IA.
    fn assign(
        &self,
        req: &Request<'_>,
        scoped: &Scoped<'_>,
        ia: &IaRequest,
        chosen: &mut Chosen,
    ) -> Result<Leases, Status> {
        let duid = req.client_id.ok_or(Status::UnspecFail)?;
        let key = KeyRef {
            duid,
            kind: ia.kind,
            iaid: ia.iaid,
        };
        let src = Self::source(scoped, ia.kind).ok_or(unavailable_status(ia.kind))?;
        // 1. An existing binding keeps its leases (C-061), refreshed.
        if let Some(b) = self.store.binding_by(key) {
            let kept: Leases = b
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
        let mut got = Leases::new();
        for h in &ia.listed {
            let exact = self
                .lifetimes_for(src, h)
                .filter(|_| self.available(key, h, src, chosen));
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
                let fits = |l: &&FixedLease| (l.len == 128) == (ia.kind != IaKind::Pd);
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
                    .find(|(r, _)| self.available(key, r, src, chosen))
            }
            Source::Pool(r) => {
                let hint = client_hint(duid, ia.iaid, kind_tag);
                let res = if ia.kind == IaKind::Pd {
                    self.pools.pick_prefix(&r.name, hint, chosen)
                } else {
                    self.pools.pick_addr(&r.name, hint, chosen)
                };
                res.filter(|res| self.store.holder(res).is_none_or(|k| k.as_ref() == key))
                    .map(|res| (res, r.lifetimes))
            }
        };
        let (res, lt) = pick.ok_or(unavailable_status(ia.kind))?;
        chosen.push(res);
        let mut one = Leases::new();
        one.push(lease_of(res, lt, req.now));
        Ok(one)
    }

    /// Records `leases` for the client's IA (a Reply acknowledges them).
    fn grant_ia(&mut self, req: &Request<'_>, kind: IaKind, iaid: u32, leases: Leases) {
        if let Some(key) = req
            .client_id
            .and_then(|duid| self.binding_key(duid, kind, iaid))
        {
            self.grant(key, leases);
        }
    }

    /// Answers for every IA of a Solicit / Request, granting with `commit`.
    fn assign_all(
        &mut self,
        req: &Request<'_>,
        scoped: &Scoped<'_>,
        commit: bool,
        check_onlink: bool,
    ) -> IaReplies {
        let mut chosen = Chosen::new();
        let mut out = IaReplies::new();
        for ia in &req.msg.ias {
            // C-055: an address off the client's link in a Request → NotOnLink.
            let off_link = check_onlink
                && ia.kind != IaKind::Pd
                && scoped.knows_link()
                && ia
                    .listed
                    .iter()
                    .any(|r| !r.addr.is_unspecified() && !scoped.address_ok(&r.addr, &self.pools));
            let answer = if off_link {
                IaAnswer::Status(Status::NotOnLink)
            } else {
                match self.assign(req, scoped, ia, &mut chosen) {
                    Ok(leases) => {
                        let s = shown(&leases);
                        if commit {
                            self.grant_ia(req, ia.kind, ia.iaid, leases);
                        }
                        IaAnswer::Leases(s)
                    }
                    Err(s) => IaAnswer::Status(s),
                }
            };
            out.push(IaReply {
                kind: ia.kind,
                iaid: ia.iaid,
                answer,
            });
        }
        out
    }

    /// Solicit → Advertise, or a committed Reply with Rapid Commit (C-047 … C-053).
    pub fn react_solicit(&mut self, req: &Request<'_>, scoped: &Scoped<'_>) -> Option<Answer> {
        let rapid = req.msg.rapid_commit && scoped.rapid_commit();
        let mut a = Answer::new(if rapid {
            MessageType::Reply
        } else {
            MessageType::Advertise
        });
        a.ias = self.assign_all(req, scoped, rapid, false);
        if rapid {
            a.rapid_commit = true;
        } else {
            a.preference = scoped.preference();
        }
        a.info = Info::Options;
        Some(a)
    }

    /// Request → Reply with committed bindings (C-055, C-061, C-062).
    pub fn react_request(&mut self, req: &Request<'_>, scoped: &Scoped<'_>) -> Option<Answer> {
        let mut a = Answer::new(MessageType::Reply);
        a.ias = self.assign_all(req, scoped, true, true);
        a.info = Info::Options;
        Some(a)
    }

    /// Confirm → Success or NotOnLink, or nothing when there is nothing to
    /// judge (C-063, C-064, C-065). Unlike WIDE, no binding is created.
    pub fn react_confirm(&mut self, req: &Request<'_>, scoped: &Scoped<'_>) -> Option<Answer> {
        let mut addrs = req
            .msg
            .ias
            .iter()
            .filter(|i| i.kind != IaKind::Pd)
            .flat_map(|i| i.listed.iter().map(|r| r.addr))
            .peekable();
        if addrs.peek().is_none() || !scoped.knows_link() {
            return None;
        }
        let ok = addrs.all(|a| scoped.address_ok(&a, &self.pools));
        Some(Answer::reply_with_status(if ok {
            Status::Success
        } else {
            Status::NotOnLink
        }))
    }

    /// Extends the binding a Renew or Rebind names. `None` for an IA
    /// without binding; the caller decides what that means.
    fn extend(
        &mut self,
        req: &Request<'_>,
        scoped: &Scoped<'_>,
        ia: &IaRequest,
        chosen: &mut Chosen,
    ) -> Option<IaAnswer> {
        let duid = req.client_id?;
        let (key, held) = {
            let b = self.store.binding_by(KeyRef {
                duid,
                kind: ia.kind,
                iaid: ia.iaid,
            })?;
            (b.key.clone(), b.leases.clone())
        };
        let src = Self::source(scoped, ia.kind);
        let mut kept = Leases::new();
        let mut show: SmallVec<[Shown; 2]> = SmallVec::new();
        for l in &held {
            match src.and_then(|s| self.lifetimes_for(s, &l.res)) {
                Some(lt) => {
                    kept.push(lease_of(l.res, lt, req.now));
                    show.push((l.res, lt.preferred, lt.valid));
                    chosen.push(l.res);
                }
                // C-067: no longer valid here: lifetimes 0, and it is dropped.
                None => show.push((l.res, 0, 0)),
            }
        }
        // Listed leases the binding does not have are not the client's.
        for r in &ia.listed {
            if !held.iter().any(|l| l.res == *r) {
                show.push((*r, 0, 0));
            }
        }
        if kept.is_empty() {
            // Renumbered: offer something new alongside the zero lifetimes.
            let fresh = IaRequest {
                kind: ia.kind,
                iaid: ia.iaid,
                listed: SmallVec::new(),
            };
            if let Ok(new) = self.assign(req, scoped, &fresh, chosen) {
                show.extend(new.iter().map(|l| (l.res, l.preferred, l.valid)));
                kept = new;
            }
        }
        self.grant(key, kept);
        Some(IaAnswer::Leases(show))
    }

    /// Renew → Reply; an unknown IA gets NoBinding (C-066, C-067, C-068).
    pub fn react_renew(&mut self, req: &Request<'_>, scoped: &Scoped<'_>) -> Option<Answer> {
        let mut chosen = Chosen::new();
        let mut a = Answer::new(MessageType::Reply);
        for ia in &req.msg.ias {
            let answer = self
                .extend(req, scoped, ia, &mut chosen)
                .unwrap_or(IaAnswer::Status(Status::NoBinding));
            a.ias.push(IaReply {
                kind: ia.kind,
                iaid: ia.iaid,
                answer,
            });
        }
        a.info = Info::Options;
        Some(a)
    }

    /// Rebind → Reply, or nothing when no IA is known here (C-069, C-070).
    pub fn react_rebind(&mut self, req: &Request<'_>, scoped: &Scoped<'_>) -> Option<Answer> {
        let mut chosen = Chosen::new();
        let mut a = Answer::new(MessageType::Reply);
        for ia in &req.msg.ias {
            let answer = if let Some(ans) = self.extend(req, scoped, ia, &mut chosen) {
                ans
            } else {
                let wrong: SmallVec<[Shown; 2]> = ia
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
                    IaAnswer::Leases(wrong)
                } else if scoped.rapid_commit() {
                    // C-070: only a server that does rapid commit creates
                    // bindings from a Rebind (several may hear it).
                    let Ok(leases) = self.assign(req, scoped, ia, &mut chosen) else {
                        continue;
                    };
                    let s = shown(&leases);
                    self.grant_ia(req, ia.kind, ia.iaid, leases);
                    IaAnswer::Leases(s)
                } else {
                    continue;
                }
            };
            a.ias.push(IaReply {
                kind: ia.kind,
                iaid: ia.iaid,
                answer,
            });
        }
        if a.ias.is_empty() {
            return None;
        }
        a.info = Info::Options;
        Some(a)
    }

    /// Release → Reply Success; unknown IAs echoed with NoBinding (C-071, C-072).
    pub fn react_release(&mut self, req: &Request<'_>, _scoped: &Scoped<'_>) -> Option<Answer> {
        let duid = req.client_id?;
        let mut a = Answer::reply_with_status(Status::Success);
        for ia in &req.msg.ias {
            let k = KeyRef {
                duid,
                kind: ia.kind,
                iaid: ia.iaid,
            };
            let Some(b) = self.store.binding_by(k) else {
                a.ias.push(IaReply {
                    kind: ia.kind,
                    iaid: ia.iaid,
                    answer: IaAnswer::Status(Status::NoBinding),
                });
                continue;
            };
            let key = b.key.clone();
            // Leases not bound to this IA are ignored (RFC 8415 §18.3.7).
            let gone: SmallVec<[Resource; 2]> = b
                .leases
                .iter()
                .map(|l| l.res)
                .filter(|r| ia.listed.is_empty() || ia.listed.contains(r))
                .collect();
            for r in gone {
                self.store.apply(Change::Release(key.clone(), r));
                self.pools.free(&r);
            }
        }
        Some(a)
    }

    /// Decline → Reply Success; declined addresses quarantined (C-073).
    pub fn react_decline(&mut self, req: &Request<'_>, _scoped: &Scoped<'_>) -> Option<Answer> {
        let duid = req.client_id?;
        let mut a = Answer::reply_with_status(Status::Success);
        let until = req.now + u64::from(self.quarantine);
        for ia in req.msg.ias.iter().filter(|i| i.kind != IaKind::Pd) {
            let k = KeyRef {
                duid,
                kind: ia.kind,
                iaid: ia.iaid,
            };
            let Some(b) = self.store.binding_by(k) else {
                a.ias.push(IaReply {
                    kind: ia.kind,
                    iaid: ia.iaid,
                    answer: IaAnswer::Status(Status::NoBinding),
                });
                continue;
            };
            let key = b.key.clone();
            let declined: SmallVec<[Resource; 2]> = ia
                .listed
                .iter()
                .filter(|r| b.leases.iter().any(|l| l.res == **r))
                .copied()
                .collect();
            for r in declined {
                // The slot stays taken until the quarantine ends (expire frees it).
                self.store.apply(Change::Decline(key.clone(), r, until));
            }
        }
        Some(a)
    }

    /// Information-request → Reply with the stateless options and, when
    /// asked, the refresh time (C-038, C-074).
    pub fn react_informreq(&mut self, req: &Request<'_>, _scoped: &Scoped<'_>) -> Option<Answer> {
        let mut a = Answer::new(MessageType::Reply);
        a.info = Info::WithRefresh {
            asked: req.msg.requested(OptionCode::InformationRefreshTime),
        };
        Some(a)
    }
}
