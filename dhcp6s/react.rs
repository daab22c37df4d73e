//! The per-message handlers: each takes the checked request and the
//! client's scope and returns what the answer says, if anything (RFC 8415
//! §18.3; mirrors dhcp6s.c:react_*). They decide and record bindings; they
//! do not write or send: `server6_send` turns an [`Answer`] into bytes.
//! They work on [`Bindings`], the part of the server's state they change
//! (the store, the pools, the quarantine time), and nothing else.
//!
//! Taking a resource a binding does not hold yet is a claim the store may
//! refuse (a store shared with other servers knows holders the pools do
//! not): the handlers then try the next candidate, so a refused resource
//! never appears in an answer. An Advertise claims nothing, as it binds
//! nothing.
//!
//! Nothing here allocates for the messages real clients send: the IAs,
//! leases and answers live in small inline vectors, and bindings are looked
//! up with the DUID borrowed from the datagram. Only a new binding costs an
//! allocation (its key's DUID), which is state, not per-packet work.

use smallvec::SmallVec;

use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::config::{FixedLease, Lifetimes};
use libdhcp6::duid::Duid;
use libdhcp6::lease::{
    Binding, BindingKey, BoundLease, Change, IaKind, KeyRef, LeaseStore, Leases, Resource,
};
use libdhcp6::request::IaRequest;
use libdhcp6::{log_info, log_notice};

use crate::answer::{
    unavailable_status, Answer, IaAnswer, IaReplies, IaReply, Info, Request, Shown, ShownLeases,
};
use crate::pools::{client_hint, Pools};
use crate::scope::{Scoped, Source};

/// Candidates one IA tries for a new lease when the store refuses claims:
/// enough to step past what other servers took, bounded so a store that
/// refuses everything cannot hold up a turn.
const MAX_CLAIMS: usize = 16;

/// The part of the server's state the handlers change.
pub struct Bindings<'s, S: LeaseStore> {
    /// The bindings.
    pub store: &'s mut S,
    /// The free space of the pools.
    pub pools: &'s mut Pools,
    /// Seconds a declined address stays quarantined.
    pub quarantine: u32,
}

fn lease_of(res: Resource, lt: Lifetimes, now: u64) -> BoundLease {
    BoundLease {
        res,
        preferred: lt.preferred,
        valid: lt.valid,
        updated: now,
    }
}

fn shown(leases: &[BoundLease]) -> ShownLeases {
    leases.iter().map(Shown::from).collect()
}

/// Resources one message has already placed, so that two of its IAs never
/// get the same one, and those the store refused it.
type Chosen = SmallVec<[Resource; 4]>;

impl<S: LeaseStore> Bindings<'_, S> {
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
    /// client may have, else one new lease. With `commit` every resource
    /// the binding does not hold yet is claimed from the store, and a
    /// refused one is passed over. Nothing is bound yet: the caller
    /// grants. Err is the status to put in the IA.
    fn assign(
        &mut self,
        req: &Request<'_>,
        scoped: &Scoped<'_>,
        ia: &IaRequest,
        chosen: &mut Chosen,
        commit: bool,
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
            let Some(lt) = exact else { continue };
            let claimed = !commit || self.claim(key, h);
            chosen.push(*h);
            if claimed {
                got.push(lease_of(*h, lt, req.now));
            }
        }
        if !got.is_empty() {
            return Ok(got);
        }
        // 3. One new lease: the next candidate while the store refuses.
        for _ in 0..MAX_CLAIMS {
            let (res, lt) = self
                .candidate(key, ia, src, chosen)
                .ok_or(unavailable_status(ia.kind))?;
            chosen.push(res);
            if !commit || self.claim(key, &res) {
                let mut one = Leases::new();
                one.push(lease_of(res, lt, req.now));
                return Ok(one);
            }
        }
        Err(unavailable_status(ia.kind))
    }

    /// The resource a new lease for `key` would take from `src`, passing
    /// over `chosen`: a host's first free fixed one (of the prefix length
    /// the client hinted, if any), or a pool's free one nearest the
    /// client's hint.
    fn candidate(
        &self,
        key: KeyRef<'_>,
        ia: &IaRequest,
        src: Source<'_>,
        chosen: &Chosen,
    ) -> Option<(Resource, Lifetimes)> {
        match src {
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
                let hint = client_hint(key.duid, ia.iaid, ia.kind as u8);
                let res = if ia.kind == IaKind::Pd {
                    self.pools.pick_prefix(&r.name, hint, chosen)
                } else {
                    self.pools.pick_addr(&r.name, hint, chosen)
                };
                res.filter(|res| self.store.holder(res).is_none_or(|k| k.as_ref() == key))
                    .map(|res| (res, r.lifetimes))
            }
        }
    }

    /// Claims `res` for `key` from the store unless `key` holds it
    /// already. A refused resource is marked used in the pools: someone
    /// the pools did not know of holds it.
    fn claim(&mut self, key: KeyRef<'_>, res: &Resource) -> bool {
        if self.store.holder(res).is_some_and(|k| k.as_ref() == key) {
            return true;
        }
        match self.store.claim(key, res) {
            Ok(()) => true,
            Err(e) => {
                log_info!("react", "lease store: {e}; trying another");
                self.pools.take(res);
                false
            }
        }
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
                    .any(|r| !r.addr.is_unspecified() && !scoped.address_ok(&r.addr, self.pools));
            let answer = if off_link {
                IaAnswer::Status(Status::NotOnLink)
            } else {
                match self.assign(req, scoped, ia, &mut chosen, commit) {
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
        let ok = addrs.all(|a| scoped.address_ok(&a, self.pools));
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
        let mut show = ShownLeases::new();
        for l in &held {
            match src.and_then(|s| self.lifetimes_for(s, &l.res)) {
                Some(lt) => {
                    kept.push(lease_of(l.res, lt, req.now));
                    show.push(Shown {
                        res: l.res,
                        preferred: lt.preferred,
                        valid: lt.valid,
                    });
                    chosen.push(l.res);
                }
                // C-067: no longer valid here: lifetimes 0, and it is dropped.
                None => show.push(Shown::withdrawn(l.res)),
            }
        }
        // Listed leases the binding does not have are not the client's.
        for r in &ia.listed {
            if !held.iter().any(|l| l.res == *r) {
                show.push(Shown::withdrawn(*r));
            }
        }
        if kept.is_empty() {
            // Renumbered: offer something new alongside the zero lifetimes.
            let fresh = IaRequest {
                kind: ia.kind,
                iaid: ia.iaid,
                listed: SmallVec::new(),
            };
            if let Ok(new) = self.assign(req, scoped, &fresh, chosen, true) {
                show.extend(new.iter().map(Shown::from));
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
                let wrong: ShownLeases = ia
                    .listed
                    .iter()
                    .filter(|r| {
                        if ia.kind == IaKind::Pd {
                            !scoped.prefix_ok(&r.addr, r.len, self.pools)
                        } else {
                            scoped.knows_link() && !scoped.address_ok(&r.addr, self.pools)
                        }
                    })
                    .map(|r| Shown::withdrawn(*r))
                    .collect();
                if !wrong.is_empty() {
                    IaAnswer::Leases(wrong)
                } else if scoped.rapid_commit() {
                    // C-070: only a server that does rapid commit creates
                    // bindings from a Rebind (several may hear it).
                    let Ok(leases) = self.assign(req, scoped, ia, &mut chosen, true) else {
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
                self.store.apply(Change::Release {
                    key: key.clone(),
                    res: r,
                });
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
                self.pools.note_declined(&r);
                // The slot stays taken until the quarantine ends (expire frees it).
                self.store.apply(Change::Decline {
                    key: key.clone(),
                    res: r,
                    until,
                });
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

    /// Records `leases` as the binding for `key` (a Reply will acknowledge
    /// it): pool space of leases it no longer has is freed, new space taken.
    pub fn grant(&mut self, key: BindingKey, leases: Leases) {
        if let Some(old) = self.store.binding(&key) {
            let gone: SmallVec<[Resource; 2]> = old
                .leases
                .iter()
                .filter(|l| !leases.iter().any(|n| n.res == l.res))
                .map(|l| l.res)
                .collect();
            for r in &gone {
                self.pools.free(r);
            }
        }
        for l in &leases {
            if self.store.holder(&l.res) != Some(&key) {
                self.pools.take(&l.res);
            }
        }
        self.store.apply(Change::Bind(Binding { key, leases }));
    }

    /// Ends at most `max` leases and quarantines that ran out by `now`
    /// (soonest first) and frees their space; how many.
    pub fn expire(&mut self, now: u64, max: usize) -> usize {
        let freed = self.store.expire(now, max);
        for res in &freed {
            self.pools.free(res);
        }
        freed.len()
    }

    /// Deletes the binding of (DUID, IAID), looking among IA_PD bindings
    /// first and then IA_NA ones as WIDE does (the IA type in the command
    /// was only checked, doc/wide-compat.md §5). Its leases go back to their
    /// pools. No message is sent to the client. Returns whether a binding
    /// was removed; the caller commits.
    pub fn remove_binding(&mut self, named: IaKind, iaid: u32, duid: &Duid) -> bool {
        for kind in [IaKind::Pd, IaKind::Na] {
            let key = BindingKey {
                duid: duid.clone(),
                kind,
                iaid,
            };
            let Some(b) = self.store.binding(&key) else {
                continue;
            };
            let freed: Vec<Resource> = b.leases.iter().map(|l| l.res).collect();
            self.store.apply(Change::Remove(key));
            for r in &freed {
                self.pools.free(r);
            }
            let list: Vec<String> = freed
                .iter()
                .map(|r| format!("{}/{}", r.addr, r.len))
                .collect();
            log_notice!(
                "server6_do_ctlcommand",
                "removed binding {} {iaid} of {duid} ({} named): {}",
                kind.name(),
                named.name(),
                list.join(" ")
            );
            return true;
        }
        log_info!(
            "server6_do_ctlcommand",
            "no such binding: {} {iaid} of {duid}",
            named.name()
        );
        false
    }
}
