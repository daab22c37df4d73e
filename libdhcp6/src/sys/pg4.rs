//! dhcp4s's PostgreSQL lease store: leases in Kea 2.2's `lease4` table,
//! shared with other servers (ours or Kea's kea-dhcp4). doc/postgresql.md.
//!
//! The thread, the connection, the schema check, the back-off and the
//! pipelined one-transaction turns are [`super::pg`]'s, shared with
//! dhcp6s's `lease6` store; this module adds the `lease4` statements and
//! what dhcp4s asks: the live rows at start-up (replayed into the engine,
//! whose table is the cache), the rows of a batch's clients before they
//! are relied on ([`PgStore4::refresh`]), a claim check
//! ([`Claims4`]: addresses whose claim was lost lately are refused) and a
//! turn's commit, whose upserts the database decides.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Config, Statement};

use super::pg::{
    client_config, load_once, Answer, JobKind, KeaTable, LoadReport, PgCounters, PgError, Thread,
    LOST_HOLD, TURN_WAIT,
};
use crate::dhcp4::engine::{Change4, Claims4, ClientKey};
use crate::dhcp4::kea::{self as kea4, decode4, Op4, RawRow4, Row4};
use crate::log_info;

/// Kea's `lease4` table, for [`PgStore4`].
pub(crate) struct Lease4Table;

/// The prepared statements of one `lease4` connection.
pub(crate) struct Stmts4 {
    upsert: Statement,
    delete: Statement,
    expire: Statement,
    decline: Statement,
    by_clients: Statement,
    load: Statement,
}

/// What a fetch reads.
pub(crate) enum Fetch4 {
    /// The rows of some clients: identifiers, and hardware addresses of
    /// clients without one.
    Clients(Vec<Vec<u8>>, Vec<Vec<u8>>),
    /// Every live row of the subnets (after a lost claim).
    All,
}

impl KeaTable for Lease4Table {
    type Stmts = Stmts4;
    type Op = Op4;
    type Keys = Fetch4;
    type Raw = RawRow4;
    const NAME: &'static str = "lease4";
    const SQL_LOAD: &'static str = kea4::SQL_LOAD4;

    async fn prepare(c: &Client) -> Result<Stmts4, tokio_postgres::Error> {
        use Type as T;
        let held = [T::INT8, T::BYTEA, T::BYTEA];
        let with = |more: &[Type]| -> Vec<Type> { held.iter().chain(more).cloned().collect() };
        let upsert = [
            T::INT8,
            T::BYTEA,
            T::BYTEA,
            T::INT8,
            T::INT8,
            T::INT8,
            T::TEXT,
        ];
        Ok(Stmts4 {
            upsert: c.prepare_typed(kea4::SQL_UPSERT4, &upsert).await?,
            delete: c.prepare_typed(kea4::SQL_DELETE4, &held).await?,
            expire: c
                .prepare_typed(kea4::SQL_EXPIRE4, &with(&[T::INT8]))
                .await?,
            decline: c
                .prepare_typed(kea4::SQL_DECLINE4, &with(&[T::INT8, T::INT8]))
                .await?,
            by_clients: c
                .prepare_typed(
                    kea4::SQL_BY_CLIENTS4,
                    &[T::BYTEA_ARRAY, T::BYTEA_ARRAY, T::INT8_ARRAY],
                )
                .await?,
            load: c.prepare_typed(kea4::SQL_LOAD4, &[T::INT8_ARRAY]).await?,
        })
    }

    async fn run_op(
        c: &Client,
        st: &Stmts4,
        op: &Op4,
        _subnets: &[i64],
    ) -> Result<u64, tokio_postgres::Error> {
        match op {
            Op4::Upsert(r) => {
                let p: [&(dyn ToSql + Sync); 7] = [
                    &r.address,
                    &r.hwaddr,
                    &r.client_id,
                    &r.valid_lifetime,
                    &r.expire,
                    &r.subnet_id,
                    &r.user_context,
                ];
                c.execute(&st.upsert, &p).await
            }
            Op4::Delete(h) => {
                let p: [&(dyn ToSql + Sync); 3] = [&h.address, &h.client_id, &h.hwaddr];
                c.execute(&st.delete, &p).await
            }
            Op4::Expire(h, now) => {
                let p: [&(dyn ToSql + Sync); 4] = [&h.address, &h.client_id, &h.hwaddr, now];
                c.execute(&st.expire, &p).await
            }
            Op4::Decline(h, valid, until) => {
                let p: [&(dyn ToSql + Sync); 5] =
                    [&h.address, &h.client_id, &h.hwaddr, valid, until];
                c.execute(&st.decline, &p).await
            }
        }
    }

    fn is_claim(op: &Op4) -> bool {
        matches!(op, Op4::Upsert(_))
    }

    async fn fetch(
        c: &Client,
        st: &Stmts4,
        keys: &Fetch4,
        subnets: &[i64],
    ) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        match keys {
            Fetch4::Clients(ids, hws) => c.query(&st.by_clients, &[ids, hws, &subnets]).await,
            Fetch4::All => c.query(&st.load, &[&subnets]).await,
        }
    }

    fn raw_row(r: &tokio_postgres::Row) -> Option<RawRow4> {
        Some(RawRow4 {
            address: r.try_get(0).ok()?,
            hwaddr: r.try_get(1).ok()?,
            client_id: r.try_get(2).ok()?,
            valid_lifetime: r.try_get(3).ok()?,
            expire: r.try_get(4).ok()?,
            subnet_id: r.try_get(5).ok()?,
            state: r.try_get(6).ok()?,
            user_context: r.try_get(7).ok()?,
        })
    }
}

/// Why a turn was not committed; the engine must roll it back and no
/// answer of it may leave.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Commit4Error {
    /// Another server holds the address (the claim is refused for a while).
    #[error("claim of {0} lost to another server")]
    Lost(Ipv4Addr),
    /// The database did not take the turn.
    #[error("{0}")]
    Db(#[from] PgError),
}

/// The PostgreSQL lease store of dhcp4s (see the module documentation).
pub struct PgStore4 {
    cfg: Config,
    subnet_ids: Vec<i64>,
    /// Addresses whose claim was lost, refused until the time given.
    lost: HashMap<Ipv4Addr, u64>,
    thread: Option<Thread<Lease4Table>>,
    counters: Arc<PgCounters>,
}

impl PgStore4 {
    /// Connects to the database of `conninfo`, checks that its schema is
    /// Kea 2.2's and reads the live leases and quarantines of `subnets`
    /// (to replay into the engine). The thread used ends before the call
    /// returns (a daemon forks after): [`start`](PgStore4::start) must
    /// follow before the first turn.
    pub fn open(
        conninfo: &str,
        subnets: &[u32],
        now: u64,
    ) -> Result<(Self, Vec<Row4>, LoadReport), PgError> {
        let cfg = client_config(conninfo)?;
        let subnet_ids: Vec<i64> = subnets.iter().map(|&s| i64::from(s)).collect();
        let raw = load_once::<Lease4Table>(&cfg, &subnet_ids)?;
        let store = Self {
            cfg,
            subnet_ids,
            lost: HashMap::new(),
            thread: None,
            counters: Arc::default(),
        };
        let mut report = LoadReport::default();
        let rows: Vec<Row4> = raw
            .into_iter()
            .filter_map(|r| store.decode_row(r.as_ref(), now))
            .inspect(|r| match r {
                Row4::Lease(_) => report.leases += 1,
                Row4::Declined { .. } => report.declined += 1,
                Row4::Free(_) => {}
            })
            .collect();
        report.bad =
            usize::try_from(store.counters.bad_rows.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
        Ok((store, rows, report))
    }

    /// Starts the store thread (after the daemon forked): it connects in
    /// the background; turns before that fail as while unreachable.
    pub fn start(&mut self) -> Result<(), PgError> {
        self.thread = Some(Thread::spawn(
            self.cfg.clone(),
            self.subnet_ids.clone(),
            Arc::clone(&self.counters),
        )?);
        Ok(())
    }

    /// The store's counters.
    pub fn counters(&self) -> &PgCounters {
        &self.counters
    }

    /// Decodes a row, counting and logging a bad one.
    fn decode_row(&self, raw: Option<&RawRow4>, now: u64) -> Option<Row4> {
        self.counters
            .decode_row("lease4", raw, |r| decode4(r, now), |r| r.address)
    }

    fn ask(&self, kind: JobKind<Lease4Table>) -> Result<Answer<Lease4Table>, PgError> {
        self.thread
            .as_ref()
            .ok_or(PgError::Down)?
            .ask(kind, TURN_WAIT)
    }

    /// Re-reads the rows of `clients` in one query: each client's lease as
    /// the database has it now (`None`: it has none), for the engine to
    /// adopt before it answers them. `None` when the database could not
    /// be asked: then nothing is known, and nothing wrong can commit.
    pub fn refresh(
        &self,
        clients: &[ClientKey],
        now: u64,
    ) -> Option<Vec<(ClientKey, Option<crate::dhcp4::engine::Lease4>)>> {
        let (mut ids, mut hws) = (Vec::new(), Vec::new());
        for c in clients {
            match c {
                ClientKey::Id(id) => ids.push(id.clone()),
                ClientKey::Hw { addr, .. } => hws.push(addr.clone()),
            }
        }
        let rows = match self.ask(JobKind::Fetch(Fetch4::Clients(ids, hws))) {
            Ok(Answer::Rows(rows)) => rows,
            _ => return None,
        };
        let mut found: HashMap<ClientKey, crate::dhcp4::engine::Lease4> = HashMap::new();
        for raw in rows {
            if let Some(Row4::Lease(l)) = self.decode_row(raw.as_ref(), now) {
                if l.expires > now {
                    // A client holds one lease: the latest wins.
                    let keep = found.get(&l.client).is_none_or(|o| o.expires < l.expires);
                    if keep {
                        found.insert(l.client.clone(), l);
                    }
                }
            }
        }
        Some(
            clients
                .iter()
                .map(|c| (c.clone(), found.remove(c)))
                .collect(),
        )
    }

    /// Re-reads every live row of the subnets, after a lost claim showed
    /// that another server holds what the engine thought free: the rows
    /// to replay into the engine. When that worked, the engine knows the
    /// holders and the lost claims need no hold any more.
    pub fn resync(&mut self, now: u64) -> Option<Vec<Row4>> {
        let rows = match self.ask(JobKind::Fetch(Fetch4::All)) {
            Ok(Answer::Rows(rows)) => rows,
            _ => return None,
        };
        self.lost.clear();
        Some(
            rows.into_iter()
                .filter_map(|r| self.decode_row(r.as_ref(), now))
                .collect(),
        )
    }

    /// Makes a turn's changes durable in one transaction, the upserts
    /// decided by the database. `chaddr` gives the hardware address of a
    /// client known by its identifier (Kea's `hwaddr` column).
    pub fn commit(
        &mut self,
        changes: &[Change4],
        chaddr: &HashMap<ClientKey, Vec<u8>>,
        now: u64,
    ) -> Result<(), Commit4Error> {
        if changes.is_empty() {
            return Ok(());
        }
        let ops: Vec<Op4> = changes
            .iter()
            .map(|c| {
                let hw = match c {
                    Change4::Bind(l) => chaddr.get(&l.client).map_or(&[][..], Vec::as_slice),
                    _ => &[],
                };
                kea4::ops_for(c, hw, now)
            })
            .collect();
        let claimed = |i: usize| match ops.get(i) {
            Some(Op4::Upsert(r)) => kea4::addr_of(r.address),
            _ => None,
        };
        match self.ask(JobKind::Turn(ops.clone())) {
            Ok(Answer::Turn(None)) => {
                self.counters.turns.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Ok(Answer::Turn(Some(i))) => {
                self.counters.lost.fetch_add(1, Ordering::Relaxed);
                self.counters.turns_failed.fetch_add(1, Ordering::Relaxed);
                let addr = claimed(i).unwrap_or(Ipv4Addr::UNSPECIFIED);
                self.lost.retain(|_, until| *until > now);
                self.lost.insert(addr, now + LOST_HOLD);
                log_info!("pg_store", "claim of {addr} lost to another server");
                Err(Commit4Error::Lost(addr))
            }
            Ok(Answer::Rows(_)) => {
                self.counters.turns_failed.fetch_add(1, Ordering::Relaxed);
                Err(Commit4Error::Db(PgError::Timeout))
            }
            Err(e) => {
                self.counters.turns_failed.fetch_add(1, Ordering::Relaxed);
                Err(Commit4Error::Db(e))
            }
        }
    }

    /// The counters as one log line.
    pub fn report(&self) -> String {
        let c = &self.counters;
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "lease database: {} connections, {} failures, {} turns committed, {} not, {} claims lost, {} bad rows skipped",
            n(&c.connects),
            n(&c.failures),
            n(&c.turns),
            n(&c.turns_failed),
            n(&c.lost),
            n(&c.bad_rows)
        )
    }
}

impl Claims4 for PgStore4 {
    /// Refused for an address whose claim was lost lately; granted
    /// otherwise (the engine's table, loaded and refreshed from the
    /// database, already refuses what it knows another client holds): the
    /// database decides at commit.
    fn claim(&mut self, addr: Ipv4Addr, _client: &ClientKey, now: u64) -> bool {
        self.lost.get(&addr).is_none_or(|until| *until <= now)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code
    use super::*;
    use crate::dhcp4::engine::Lease4;

    /// A store with no thread: every turn that writes fails as while the
    /// database is unreachable.
    fn store() -> PgStore4 {
        PgStore4 {
            cfg: Config::new(),
            subnet_ids: vec![1],
            lost: HashMap::new(),
            thread: None,
            counters: Arc::default(),
        }
    }

    #[test]
    fn unreachable_turns_fail_and_lost_claims_are_refused() {
        let mut s = store();
        let c = ClientKey::Id(vec![1, 2, 3]);
        let addr = Ipv4Addr::new(10, 0, 0, 5);
        let bind = Change4::Bind(Lease4 {
            client: c.clone(),
            addr,
            subnet: 1,
            expires: 2000,
        });
        assert!(
            s.commit(&[], &HashMap::new(), 1000).is_ok(),
            "nothing to write"
        );
        assert!(matches!(
            s.commit(&[bind], &HashMap::new(), 1000),
            Err(Commit4Error::Db(PgError::Down))
        ));
        assert_eq!(s.counters.turns_failed.load(Ordering::Relaxed), 1);
        assert!(s.refresh(std::slice::from_ref(&c), 1000).is_none());
        assert!(s.claim(addr, &c, 1000));
        s.lost.insert(addr, 1000 + LOST_HOLD);
        assert!(!s.claim(addr, &c, 1000));
        assert!(s.claim(addr, &c, 1000 + LOST_HOLD));
    }

    #[test]
    fn bad_rows_are_counted() {
        let s = store();
        assert!(s.decode_row(None, 0).is_none());
        let bad = RawRow4 {
            address: Some(-7),
            ..RawRow4::default()
        };
        assert!(s.decode_row(Some(&bad), 0).is_none());
        assert_eq!(s.counters.bad_rows.load(Ordering::Relaxed), 2);
    }
}
