//! The lease store's contract as the server keeps it (the rustdoc of
//! `libdhcp6::lease::LeaseStore`): a claim the store refuses is passed
//! over for the next free candidate and never appears in an answer; a
//! turn whose commit fails leaves nothing behind, in the store or the
//! pools, and is the signal to withhold its answers; nothing is given
//! twice. [`FlakyStore`] stands in for a store shared with other servers.

use std::collections::HashSet;

use libdhcp6::lease::{ClaimRefused, CommitError, KeyRef, Resource};

use super::*;

/// A store that refuses chosen claims and fails chosen commits, in front
/// of a [`MemStore`].
#[derive(Default)]
struct FlakyStore {
    mem: MemStore,
    /// Resources another server holds: every claim of them is refused.
    foreign: HashSet<Resource>,
    /// How many of the next commits fail.
    failing_commits: usize,
    /// Every claim asked, in order.
    claims: Vec<Resource>,
}

impl LeaseStore for FlakyStore {
    libdhcp6::delegate_lease_reads!(mem);
    fn claim(&mut self, key: KeyRef<'_>, res: &Resource) -> Result<(), ClaimRefused> {
        self.claims.push(*res);
        if self.foreign.contains(res) {
            return Err(ClaimRefused { res: *res });
        }
        self.mem.claim(key, res)
    }
    fn apply(&mut self, change: libdhcp6::lease::Change) {
        self.mem.apply(change);
    }
    fn commit(&mut self) -> Result<(), CommitError> {
        if self.failing_commits > 0 {
            self.failing_commits -= 1;
            self.mem.rollback();
            return Err(CommitError::Io(std::io::Error::other("disk gone")));
        }
        self.mem.commit()
    }
    fn rollback(&mut self) {
        self.mem.rollback();
    }
    fn expire(&mut self, now: u64, max: usize) -> Vec<Resource> {
        self.mem.expire(now, max)
    }
}

fn flaky(conf: &str) -> Server<FlakyStore> {
    server_with(conf, FlakyStore::default())
}

fn addr_res(a: Ipv6Addr) -> Resource {
    Resource { addr: a, len: 128 }
}

fn first_prefix(m: &MessageRepr) -> Resource {
    let p = ia_pds(m)[0].prefixes().next().unwrap().clone();
    Resource {
        addr: p.prefix,
        len: p.prefix_len,
    }
}

/// Every resource the answer states with a non-zero valid lifetime.
fn stated(m: &MessageRepr) -> Vec<Resource> {
    let mut out: Vec<Resource> = ia_nas(m)
        .iter()
        .flat_map(|ia| ia.addresses())
        .filter(|a| a.valid_lifetime > 0)
        .map(|a| addr_res(a.addr))
        .collect();
    out.extend(
        ia_pds(m)
            .iter()
            .flat_map(|ia| ia.prefixes())
            .filter(|p| p.valid_lifetime > 0)
            .map(|p| Resource {
                addr: p.prefix,
                len: p.prefix_len,
            }),
    );
    out
}

/// The store's bindings as (key, resources), sorted, to compare states.
fn snapshot<S: LeaseStore>(s: &Server<S>) -> Vec<(BindingKey, Vec<Resource>, Vec<u64>)> {
    let mut v: Vec<_> = s
        .store
        .bindings()
        .map(|b| {
            (
                b.key.clone(),
                b.leases.iter().map(|l| l.res).collect(),
                b.leases.iter().map(|l| l.updated).collect(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The pools hand out the next free candidate when the store refuses
/// the first; the refused one is in no answer and stays out of the pool.
#[test]
fn refused_claims_give_the_next_candidate() {
    // Where client 1 lands when nobody else holds anything.
    let mut plain = server(CONF);
    let r = lease(&mut plain, 1, vec![ia_na(1, &[]), ia_pd(2, &[])]);
    let (a, p) = (addr_res(first_addr(&r)), first_prefix(&r));

    let mut s = flaky(CONF);
    s.store.foreign = [a, p].into_iter().collect();
    let adv = ask(&mut s, &solicit(1, vec![ia_na(1, &[]), ia_pd(2, &[])])).unwrap();
    assert!(s.store.claims.is_empty(), "an Advertise claims nothing");
    assert_eq!(stated(&adv), vec![a, p], "offered as the pools see it");
    let r = ask(
        &mut s,
        &with_server(1, MessageType::Request, vec![ia_na(1, &[]), ia_pd(2, &[])]),
    )
    .unwrap();
    s.commit_turn().unwrap();
    let got = stated(&r);
    assert_eq!(got.len(), 2, "{r:?}");
    assert!(!got.contains(&a) && !got.contains(&p), "refused: {got:?}");
    assert_eq!(s.store.claims, vec![a, got[0], p, got[1]]);
    for res in &got {
        assert_eq!(s.store.holder(res).map(|k| k.duid.clone()), Some(client(1)));
    }
    assert_eq!(s.store.holder(&a), None);
    assert!(!s.pools.is_free_in("p1", &a), "known to be held elsewhere");
    assert!(!s.pools.is_free_in("pd1", &p));
    // A hint of a refused address is passed over as well.
    let r = ask(
        &mut s,
        &with_server(
            2,
            MessageType::Request,
            vec![ia_na(1, &[&a.addr.to_string()])],
        ),
    )
    .unwrap();
    let got2 = stated(&r);
    assert_eq!(got2.len(), 1);
    assert!(!got2.contains(&a) && !got.contains(&got2[0]));
}

/// When the store refuses every candidate, the IA gets NoAddrsAvail and
/// nothing is bound.
#[test]
fn all_candidates_refused_is_no_addrs_avail() {
    let conf = "pool p { range 2001:db8:1::1 to 2001:db8:1::3; };\n\
                interface s0 { address-pool p 100 200; };\n";
    let mut s = flaky(conf);
    s.store.foreign = (1..=3)
        .map(|n| addr_res(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, n)))
        .collect();
    let r = lease(&mut s, 1, vec![ia_na(1, &[])]);
    assert_eq!(
        ia_nas(&r)[0].status().map(|s| s.status),
        Some(Status::NoAddrsAvail)
    );
    assert!(stated(&r).is_empty());
    assert_eq!(s.store.claims.len(), 3, "each candidate asked once");
    assert_eq!(s.store.bindings().count(), 0);
    // One comes free in the shared store: the pools learn it again on a
    // rebuild (a reload), and the next Request gets it.
    let freed = addr_res(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 2));
    s.store.foreign.remove(&freed);
    let cfg = Arc::clone(&s.cfg);
    s.reconfigure(cfg);
    let r = ask(
        &mut s,
        &with_server(1, MessageType::Request, vec![ia_na(1, &[])]),
    )
    .unwrap();
    assert_eq!(stated(&r), vec![freed]);
}

/// A turn whose commit fails: the new binding, the extension and the
/// release it held are all undone in the store and the pools, and
/// `commit_turn` says so (the main loop then withholds the answers).
/// The client's retransmission in the next turn gets the same answer.
#[test]
fn failed_commit_undoes_the_turn() {
    let mut s = flaky(CONF);
    let first = lease(&mut s, 1, vec![ia_na(1, &[])]);
    lease(&mut s, 2, vec![ia_na(1, &[])]);
    s.commit_turn().unwrap();
    let a1 = addr_res(first_addr(&first));
    let before = snapshot(&s);

    s.store.failing_commits = 1;
    let req = with_server(3, MessageType::Request, vec![ia_na(1, &[]), ia_pd(1, &[])]);
    let granted = ask_at(&mut s, &req, 1500).unwrap();
    let new = stated(&granted);
    assert_eq!(new.len(), 2);
    let renew = with_server(
        1,
        MessageType::Renew,
        vec![ia_na(1, &[&a1.addr.to_string()])],
    );
    ask_at(&mut s, &renew, 1500).unwrap();
    ask_at(
        &mut s,
        &with_server(2, MessageType::Release, vec![ia_na(1, &[])]),
        1500,
    )
    .unwrap();
    assert_ne!(snapshot(&s), before);
    assert!(matches!(s.commit_turn(), Err(CommitError::Io(_))));

    assert_eq!(snapshot(&s), before, "store as before the turn");
    for res in &new {
        assert_eq!(s.store.holder(res), None);
    }
    assert!(s.pools.is_free_in("p1", &new[0]), "pool as before the turn");
    assert!(s.pools.is_free_in("pd1", &new[1]));
    assert!(!s.pools.is_free_in("p1", &a1));

    // The retransmission, in a turn that commits.
    let again = ask_at(&mut s, &req, 1501).unwrap();
    s.commit_turn().unwrap();
    assert_eq!(stated(&again), new);
    for res in &new {
        assert_eq!(s.store.holder(res).map(|k| k.duid.clone()), Some(client(3)));
    }
}

/// Turns of Requests, Renews and Releases against a store that refuses
/// some claims and fails some commits: what a committed turn's answers
/// state is exactly what the store holds for those clients, no resource
/// is ever held twice or stated to two clients, nothing refused is ever
/// stated, and the pools never call a held resource free.
#[test]
fn nothing_is_given_twice() {
    let conf = "pool p { range 2001:db8:1::1 to 2001:db8:1::40; };\n\
                prefix-pool pd { prefix 2001:db8:100::/52 delegate 56; };\n\
                interface s0 { address-pool p 1000 2000; prefix-pool pd 1000 2000; };\n";
    let mut s = flaky(conf);
    s.store.foreign = (1..=0x40u16)
        .filter(|n| n % 5 == 0)
        .map(|n| addr_res(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, n)))
        .chain((0..16u16).filter(|n| n % 3 == 0).map(|n| Resource {
            addr: Ipv6Addr::new(0x2001, 0xdb8, 0x100 + (n >> 4), n << 8, 0, 0, 0, 0),
            len: 56,
        }))
        .collect();
    let mut seed: u32 = 12345;
    let mut next = |m: u32| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (seed >> 16) % m
    };
    // Who was last told what, by committed turns only.
    let mut told: std::collections::HashMap<u8, Vec<Resource>> = Default::default();
    for turn in 0..60u64 {
        let fail = next(4) == 0;
        s.store.failing_commits = usize::from(fail);
        let mut answers: Vec<(u8, MessageType, Vec<Resource>)> = Vec::new();
        for _ in 0..next(6) + 1 {
            let c = u8::try_from(next(20)).unwrap() + 1;
            let t = match next(5) {
                0 => MessageType::Release,
                1 | 2 => MessageType::Renew,
                _ => MessageType::Request,
            };
            let m = with_server(c, t, vec![ia_na(1, &[]), ia_pd(2, &[])]);
            if let Ok(r) = ask_at(&mut s, &m, 1000 + turn) {
                answers.push((c, t, stated(&r)));
            }
        }
        let committed = s.commit_turn().is_ok();
        assert_eq!(committed, !fail);
        if committed {
            for (c, t, res) in answers {
                for r in &res {
                    assert!(!s.store.foreign.contains(r), "refused {r:?} stated");
                }
                if t == MessageType::Release {
                    told.remove(&c);
                } else if !res.is_empty() {
                    told.insert(c, res);
                }
            }
        }
        // The store: no resource twice, nothing foreign, pools agree.
        let mut seen = HashSet::new();
        for b in s.store.bindings() {
            for l in &b.leases {
                assert!(seen.insert(l.res), "{:?} held twice", l.res);
                assert!(!s.store.foreign.contains(&l.res));
                assert!(!s.pools.is_free_in("p", &l.res) && !s.pools.is_free_in("pd", &l.res));
            }
        }
        // What committed answers told is what the store holds.
        let mut stated_all = HashSet::new();
        for (c, res) in &told {
            for r in res {
                assert!(stated_all.insert(*r), "{r:?} stated to two clients");
                assert_eq!(
                    s.store.holder(r).map(|k| k.duid.clone()),
                    Some(client(*c)),
                    "turn {turn}: {r:?} told to client {c}"
                );
            }
        }
    }
    assert!(s.store.claims.iter().any(|r| s.store.foreign.contains(r)));
}

/// doc/wide-compat.md §5: the binding goes, its space returns to the pool,
/// IA_PD is looked for before IA_NA whatever IA type was named.
#[test]
fn remove_binding_frees_pool_space_pd_first() {
    use libdhcp6::lease::BoundLease;
    let conf = "pool tiny { range 2001:db8:2::1 to 2001:db8:2::2; };\n\
                prefix-pool pd { prefix 2001:db8:100::/48 delegate 56; };\n\
                interface s0 { address-pool tiny 100 200; prefix-pool pd 100 200; };\n";
    let mut s = server(conf);
    let lease = |addr: &str, len: u8| BoundLease {
        res: Resource {
            addr: addr.parse().unwrap(),
            len,
        },
        preferred: 100,
        valid: 200,
        updated: 1,
    };
    let duid = Duid::from_text("00:03:00:01:02:00:00:00:c0:01").unwrap();
    let key = |kind| BindingKey {
        duid: duid.clone(),
        kind,
        iaid: 10,
    };
    let na = lease("2001:db8:2::1", 128);
    let pd = lease("2001:db8:100::", 56);
    s.bindings().grant(key(IaKind::Na), vec![na].into());
    s.bindings().grant(key(IaKind::Pd), vec![pd].into());
    assert!(!s.pools.is_free_in("tiny", &na.res));
    assert!(!s.pools.is_free_in("pd", &pd.res));
    assert!(!s.remove_binding(IaKind::Na, 11, &duid));
    // IA_NA named, IA_PD removed first (WIDE's order).
    assert!(s.remove_binding(IaKind::Na, 10, &duid));
    assert!(s.store.binding(&key(IaKind::Pd)).is_none());
    assert!(s.store.binding(&key(IaKind::Na)).is_some());
    assert!(s.pools.is_free_in("pd", &pd.res));
    assert!(!s.store.is_leased(&pd.res));
    assert!(s.remove_binding(IaKind::Pd, 10, &duid));
    assert!(s.store.binding(&key(IaKind::Na)).is_none());
    assert!(s.pools.is_free_in("tiny", &na.res));
    assert!(!s.remove_binding(IaKind::Na, 10, &duid));
}
