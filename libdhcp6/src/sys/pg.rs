//! The PostgreSQL lease store: bindings in Kea 2.2's `lease6` table,
//! shared with other servers (ours or Kea's). doc/postgresql.md.
//!
//! The server's loop stays synchronous. A store thread owns the database
//! connection and runs tokio-postgres on a runtime of its own (nothing
//! else in the process uses one). The loop hands it one job per turn: the
//! turn's statements, pipelined in one transaction (one round trip for
//! BEGIN and all statements, one for COMMIT or ROLLBACK), and the Replies
//! leave only after the COMMIT was acknowledged, as with the journal's
//! group commit. Reads are a cache ([`MemStore`]) loaded at start-up and
//! kept right by two rules: every claim and extension is decided by the
//! database (an upsert that takes a row only from the same client or
//! when it has ended), and the bindings a batch of messages names are
//! re-read in one query before the server relies on them
//! ([`LeaseStore::refresh`]).
//!
//! When the database is unreachable the thread reconnects with back-off
//! (0.1 s doubling to 2 s), logging once per change of state; meanwhile
//! every turn that would write fails at once and its answers are withheld
//! (nothing unrecorded is acknowledged; Advertise and
//! Information-request replies, which record nothing, still leave).
//!
//! The thread, the connection (schema check, prepared statements), the
//! back-off and the pipelined turn are generic over a `KeaTable`: this
//! module's `Lease6Table` for dhcp6s, and `sys::pg4`'s `lease4` for
//! dhcp4s.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio_postgres::types::Type;
use tokio_postgres::{Client, Config, NoTls, Statement};

use crate::lease::kea::{
    self, check_schema, context_of_reconf, decode, encode, Held, Op, RawRow, Row, SubnetMap,
};
use crate::lease::{
    Binding, BindingKey, ClaimRefused, CommitError, KeyRef, LeaseStore, Leases, MemStore, Resource,
};
use crate::{delegate_lease_reads, log_err, log_info, log_notice, log_warn};

/// How long the loop waits for a turn's transaction before giving up on
/// it (the thread then drops it unstarted, or its outcome is ignored:
/// either way nothing of it was acknowledged).
pub(crate) const TURN_WAIT: Duration = Duration::from_secs(5);
/// First and longest pause between reconnection attempts.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(2));
/// Default connect timeout, when the connection string sets none: a dead
/// host must not hold a reconnection attempt for long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a resource whose claim was lost stays refused without asking
/// the database again.
pub(crate) const LOST_HOLD: u64 = 60;

/// Why the store could not start or a job failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The connection string.
    #[error("connection string: {0}")]
    Conninfo(String),
    /// The database said no, or could not be reached.
    #[error("{0}")]
    Db(#[from] tokio_postgres::Error),
    /// The schema is not Kea 2.2's.
    #[error("{0}")]
    Schema(#[from] kea::SchemaError),
    /// No connection now (the thread is reconnecting).
    #[error("lease database unreachable")]
    Down,
    /// The store thread did not answer in time, or is gone.
    #[error("lease database did not answer in time")]
    Timeout,
    /// The runtime could not be built.
    #[error("store thread: {0}")]
    Thread(std::io::Error),
}

/// The client configuration for a libpq connection string: `passfile`
/// (not known to tokio-postgres) taken out and, when no password is
/// given, the password looked up in it (or in `PGPASSFILE`, or
/// `~/.pgpass`) as libpq would, for the first host that has an entry.
pub fn client_config(conninfo: &str) -> Result<Config, PgError> {
    let uri = conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
    let (text, passfile) = if uri {
        (conninfo.to_string(), None)
    } else {
        let mut pairs =
            kea::parse_conninfo(conninfo).map_err(|e| PgError::Conninfo(e.to_string()))?;
        let passfile = pairs
            .iter()
            .position(|(k, _)| k == "passfile")
            .map(|i| pairs.remove(i).1);
        (kea::format_conninfo(&pairs), passfile)
    };
    let mut cfg: Config = text
        .parse()
        .map_err(|e: tokio_postgres::Error| PgError::Conninfo(e.to_string()))?;
    if cfg.get_connect_timeout().is_none() {
        cfg.connect_timeout(CONNECT_TIMEOUT);
    }
    if cfg.get_password().is_none() {
        let path = passfile
            .or_else(|| std::env::var("PGPASSFILE").ok())
            .or_else(|| std::env::var("HOME").ok().map(|h| format!("{h}/.pgpass")));
        if let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) {
            if let Some(pw) = password_for(&cfg, &text) {
                cfg.password(pw);
            }
        }
    }
    Ok(cfg)
}

/// The password file's entry for the first host of `cfg` that has one.
fn password_for(cfg: &Config, text: &str) -> Option<String> {
    let user = cfg.get_user().unwrap_or_default();
    let db = cfg.get_dbname().unwrap_or(user);
    let ports = cfg.get_ports();
    cfg.get_hosts().iter().enumerate().find_map(|(i, h)| {
        let host = match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(_) => "localhost".to_string(),
        };
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        kea::passfile_lookup(text, &host, &port.to_string(), db, user)
    })
}

/// One Kea lease table as the store thread sees it: its statements, the
/// operations of a turn, how a batch's clients are named and how a row is
/// read. `lease6` ([`Lease6Table`]) and `lease4` (`sys::pg4`) share the
/// thread, the connection handling and the back-off below.
pub(crate) trait KeaTable: 'static {
    /// The prepared statements of one connection.
    type Stmts: Send;
    /// One statement of a turn.
    type Op: Send + 'static;
    /// The clients a refresh reads the rows of.
    type Keys: Send + 'static;
    /// A row as read.
    type Raw: Send + 'static;
    /// The table's name, for log lines.
    const NAME: &'static str;
    /// Reads the live rows of the subnets given as `$1` (bigint[]).
    const SQL_LOAD: &'static str;
    /// Prepares the statements on a new connection.
    async fn prepare(c: &Client) -> Result<Self::Stmts, tokio_postgres::Error>;
    /// Runs one statement of a turn; the rows it touched.
    async fn run_op(
        c: &Client,
        st: &Self::Stmts,
        op: &Self::Op,
        subnets: &[i64],
    ) -> Result<u64, tokio_postgres::Error>;
    /// True for a claim: touching no row means it was lost.
    fn is_claim(op: &Self::Op) -> bool;
    /// Reads the rows of some clients.
    async fn fetch(
        c: &Client,
        st: &Self::Stmts,
        keys: &Self::Keys,
        subnets: &[i64],
    ) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error>;
    /// A row as read, or `None` when a column has a type Kea's schema
    /// does not give it.
    fn raw_row(r: &tokio_postgres::Row) -> Option<Self::Raw>;
}

/// Kea's `lease6` table, for dhcp6s's [`PgStore`].
pub(crate) struct Lease6Table;

/// The prepared statements of one `lease6` connection.
pub(crate) struct Stmts {
    upsert: Statement,
    delete: Statement,
    expire: Statement,
    decline: Statement,
    undecline: Statement,
    context: Statement,
    by_duids: Statement,
}

/// One connection and its statements.
struct Conn<T: KeaTable> {
    client: Client,
    st: T::Stmts,
}

async fn prepare6(c: &Client) -> Result<Stmts, tokio_postgres::Error> {
    use Type as T;
    let upsert_types = [
        T::VARCHAR,
        T::BYTEA,
        T::INT8,
        T::INT8,
        T::INT8,
        T::INT8,
        T::INT2,
        T::INT4,
        T::INT2,
        T::TEXT,
    ];
    let held = [T::VARCHAR, T::BYTEA, T::INT4, T::INT2];
    let with = |more: &[Type]| -> Vec<Type> { held.iter().chain(more).cloned().collect() };
    Ok(Stmts {
        upsert: c.prepare_typed(kea::SQL_UPSERT, &upsert_types).await?,
        delete: c.prepare_typed(kea::SQL_DELETE, &held).await?,
        expire: c.prepare_typed(kea::SQL_EXPIRE, &with(&[T::INT8])).await?,
        decline: c
            .prepare_typed(kea::SQL_DECLINE, &with(&[T::INT8, T::INT8]))
            .await?,
        undecline: c
            .prepare_typed(kea::SQL_UNDECLINE, &[T::VARCHAR, T::INT8])
            .await?,
        context: c
            .prepare_typed(kea::SQL_CONTEXT, &[T::BYTEA, T::TEXT, T::INT8_ARRAY])
            .await?,
        by_duids: c
            .prepare_typed(kea::SQL_BY_DUIDS, &[T::BYTEA_ARRAY, T::INT8_ARRAY])
            .await?,
    })
}

/// Connects, checks the schema version and prepares the statements.
async fn connect<T: KeaTable>(cfg: &Config) -> Result<Conn<T>, PgError> {
    let (client, connection) = cfg.connect(NoTls).await?;
    // The connection's I/O runs as a task of the thread's runtime.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let row = client.query_one(kea::SQL_SCHEMA_VERSION, &[]).await?;
    check_schema(row.try_get(0)?, row.try_get(1)?)?;
    let st = T::prepare(&client).await?;
    Ok(Conn { client, st })
}

/// A `lease6` row as read, or `None` when a column has a type Kea's
/// schema does not give it.
fn raw_row6(r: &tokio_postgres::Row) -> Option<RawRow> {
    Some(RawRow {
        address: r.try_get(0).ok()?,
        duid: r.try_get(1).ok()?,
        valid_lifetime: r.try_get(2).ok()?,
        expire: r.try_get(3).ok()?,
        subnet_id: r.try_get(4).ok()?,
        pref_lifetime: r.try_get(5).ok()?,
        lease_type: r.try_get(6).ok()?,
        iaid: r.try_get(7).ok()?,
        prefix_len: r.try_get(8).ok()?,
        state: r.try_get(9).ok()?,
        user_context: r.try_get(10).ok()?,
    })
}

impl KeaTable for Lease6Table {
    type Stmts = Stmts;
    type Op = Op;
    type Keys = Vec<Vec<u8>>;
    type Raw = RawRow;
    const NAME: &'static str = "lease6";
    const SQL_LOAD: &'static str = kea::SQL_LOAD;

    async fn prepare(c: &Client) -> Result<Stmts, tokio_postgres::Error> {
        prepare6(c).await
    }

    async fn run_op(
        c: &Client,
        st: &Stmts,
        op: &Op,
        subnets: &[i64],
    ) -> Result<u64, tokio_postgres::Error> {
        run_op6(c, st, op, subnets).await
    }

    fn is_claim(op: &Op) -> bool {
        matches!(op, Op::Upsert(_))
    }

    async fn fetch(
        c: &Client,
        st: &Stmts,
        duids: &Vec<Vec<u8>>,
        subnets: &[i64],
    ) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        c.query(&st.by_duids, &[duids, &subnets]).await
    }

    fn raw_row(r: &tokio_postgres::Row) -> Option<RawRow> {
        raw_row6(r)
    }
}

/// Runs one `lease6` statement of a turn; the rows it touched.
async fn run_op6(
    c: &Client,
    st: &Stmts,
    op: &Op,
    subnets: &[i64],
) -> Result<u64, tokio_postgres::Error> {
    match op {
        Op::Upsert(r) => {
            c.execute(
                &st.upsert,
                &[
                    &r.address,
                    &r.duid,
                    &r.valid_lifetime,
                    &r.expire,
                    &r.subnet_id,
                    &r.pref_lifetime,
                    &r.lease_type,
                    &r.iaid,
                    &r.prefix_len,
                    &r.user_context,
                ],
            )
            .await
        }
        Op::Delete(h) => {
            let p: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
                [&h.address, &h.duid, &h.iaid, &h.lease_type];
            c.execute(&st.delete, &p).await
        }
        Op::Expire(h, end) => {
            let p: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
                [&h.address, &h.duid, &h.iaid, &h.lease_type, end];
            c.execute(&st.expire, &p).await
        }
        Op::Decline(h, valid, until) => {
            let p: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
                [&h.address, &h.duid, &h.iaid, &h.lease_type, valid, until];
            c.execute(&st.decline, &p).await
        }
        Op::Undecline(addr, end) => c.execute(&st.undecline, &[addr, end]).await,
        Op::Context(duid, ctx) => c.execute(&st.context, &[duid, ctx, &subnets]).await,
    }
}

/// Runs a turn in one transaction, its statements pipelined. `Ok(Some(i))`
/// when the claim of statement `i` was lost: the transaction is rolled
/// back.
async fn run_turn<T: KeaTable>(
    c: &Conn<T>,
    ops: &[T::Op],
    subnets: &[i64],
) -> Result<Option<usize>, PgError> {
    let begin = c.client.batch_execute("BEGIN");
    let all = futures_util::future::join_all(
        ops.iter()
            .map(|op| T::run_op(&c.client, &c.st, op, subnets)),
    );
    let (began, done) = futures_util::future::join(begin, all).await;
    let mut counts = Vec::with_capacity(done.len());
    for r in std::iter::once(began.map(|()| 0)).chain(done) {
        match r {
            Ok(n) => counts.push(n),
            Err(e) => {
                // Nothing of the turn stays; on a dead connection this
                // fails too, and the server ends the transaction.
                let _ = c.client.batch_execute("ROLLBACK").await;
                return Err(e.into());
            }
        }
    }
    // counts[0] is BEGIN's.
    let lost = ops
        .iter()
        .zip(counts.iter().skip(1))
        .position(|(op, n)| T::is_claim(op) && *n == 0);
    if lost.is_some() {
        c.client.batch_execute("ROLLBACK").await?;
        return Ok(lost);
    }
    c.client.batch_execute("COMMIT").await?;
    Ok(None)
}

/// What the loop asks the store thread.
pub(crate) enum JobKind<T: KeaTable> {
    /// The leases of these clients.
    Fetch(T::Keys),
    /// A turn's statements.
    Turn(Vec<T::Op>),
}

/// What the store thread answers.
pub(crate) enum Answer<T: KeaTable> {
    /// The rows a fetch read.
    Rows(Vec<Option<T::Raw>>),
    /// A turn's outcome: `Some(i)` when the claim of statement `i` was
    /// lost and the turn rolled back.
    Turn(Option<usize>),
}

struct Job<T: KeaTable> {
    kind: JobKind<T>,
    /// Not started after this: the loop has given up on it.
    deadline: Instant,
    reply: mpsc::SyncSender<Result<Answer<T>, PgError>>,
}

/// Counters shared with the store thread.
#[derive(Debug, Default)]
pub struct PgCounters {
    /// Connections made (the first included).
    pub connects: AtomicU64,
    /// Connections lost or refused.
    pub failures: AtomicU64,
    /// Turns committed.
    pub turns: AtomicU64,
    /// Turns not committed (database unreachable or refusing).
    pub turns_failed: AtomicU64,
    /// Claims lost to another holder.
    pub lost: AtomicU64,
    /// Rows skipped as malformed.
    pub bad_rows: AtomicU64,
}

impl PgCounters {
    /// Decodes a row of `table` read from the database (`None`: its
    /// columns had the wrong types) with `decode`; a bad row is counted,
    /// logged with its `address` column, and skipped.
    pub(crate) fn decode_row<Raw, Row, E: std::fmt::Display, A: std::fmt::Debug>(
        &self,
        table: &str,
        raw: Option<&Raw>,
        decode: impl FnOnce(&Raw) -> Result<Row, E>,
        address: impl FnOnce(&Raw) -> A,
    ) -> Option<Row> {
        let Some(raw) = raw else {
            self.bad_rows.fetch_add(1, Ordering::Relaxed);
            log_warn!(
                "pg_store",
                "{table} row with columns of the wrong type skipped"
            );
            return None;
        };
        match decode(raw) {
            Ok(r) => Some(r),
            Err(e) => {
                self.bad_rows.fetch_add(1, Ordering::Relaxed);
                log_warn!("pg_store", "{table} row {:?} skipped: {e}", address(raw));
                None
            }
        }
    }
}

/// Whether an error means the connection is no good any more (closed, or
/// a primary that became read-only after a failover).
fn connection_gone(e: &PgError) -> bool {
    match e {
        PgError::Db(e) => {
            e.is_closed()
                || e.as_db_error().is_none()
                || e.code().is_some_and(|c| {
                    let c = c.code();
                    c == "25006" || c.starts_with("57P") || c.starts_with("08")
                })
        }
        PgError::Schema(_) | PgError::Down => true,
        _ => false,
    }
}

/// The store thread: the connection, the back-off, the log lines.
struct Worker<T: KeaTable> {
    cfg: Config,
    subnets: Vec<i64>,
    conn: Option<Conn<T>>,
    backoff: Duration,
    counters: Arc<PgCounters>,
    /// The last state logged: up (true) or down (false); `None` before
    /// the first attempt.
    logged: Option<bool>,
}

impl<T: KeaTable> Worker<T> {
    async fn reconnect(&mut self) {
        match connect::<T>(&self.cfg).await {
            Ok(c) => {
                self.conn = Some(c);
                self.backoff = BACKOFF.0;
                self.counters.connects.fetch_add(1, Ordering::Relaxed);
                if self.logged != Some(true) {
                    log_notice!("pg_store", "lease database connected ({})", T::NAME);
                    self.logged = Some(true);
                }
            }
            Err(e) => self.went_down(&e),
        }
    }

    fn went_down(&mut self, e: &PgError) {
        self.conn = None;
        self.counters.failures.fetch_add(1, Ordering::Relaxed);
        if self.logged != Some(false) {
            log_err!(
                "pg_store",
                "lease database unreachable: {e}; reconnecting, writes refused meanwhile"
            );
            self.logged = Some(false);
        }
    }

    async fn job(&mut self, kind: JobKind<T>) -> Result<Answer<T>, PgError> {
        let Some(c) = &self.conn else {
            return Err(PgError::Down);
        };
        let r = match kind {
            JobKind::Fetch(keys) => T::fetch(&c.client, &c.st, &keys, &self.subnets)
                .await
                .map(|rows| Answer::Rows(rows.iter().map(T::raw_row).collect()))
                .map_err(PgError::from),
            JobKind::Turn(ops) => run_turn(c, &ops, &self.subnets).await.map(Answer::Turn),
        };
        if let Err(e) = &r {
            if connection_gone(e) {
                self.went_down(e);
            }
        }
        r
    }

    /// Serves jobs until the store is dropped. While down, reconnects at
    /// most once per back-off period (a busy loop's jobs fail at once
    /// meanwhile rather than each waiting for an attempt).
    fn run(mut self, rt: tokio::runtime::Runtime, jobs: mpsc::Receiver<Job<T>>) {
        let mut next_attempt = Instant::now();
        loop {
            if self.conn.is_none() && Instant::now() >= next_attempt {
                rt.block_on(self.reconnect());
                if self.conn.is_none() {
                    next_attempt = Instant::now() + self.backoff;
                    self.backoff = (self.backoff * 2).min(BACKOFF.1);
                }
            }
            let wait = if self.conn.is_some() {
                Duration::from_secs(3600)
            } else {
                next_attempt.saturating_duration_since(Instant::now())
            };
            match jobs.recv_timeout(wait) {
                Ok(job) => {
                    if Instant::now() > job.deadline {
                        continue;
                    }
                    let r = rt.block_on(self.job(job.kind));
                    let _ = job.reply.send(r);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

/// Connects, checks the schema and reads every live lease of `subnets`,
/// on a thread of its own that ends before this returns.
pub(crate) fn load_once<T: KeaTable>(
    cfg: &Config,
    subnets: &[i64],
) -> Result<Vec<Option<T::Raw>>, PgError> {
    let (cfg, subnets) = (cfg.clone(), subnets.to_vec());
    let t = std::thread::Builder::new()
        .name("pg_store".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(PgError::Thread)?;
            rt.block_on(async {
                let c = connect::<T>(&cfg).await?;
                let rows = c.client.query(T::SQL_LOAD, &[&subnets]).await?;
                Ok(rows.iter().map(T::raw_row).collect())
            })
        })
        .map_err(PgError::Thread)?;
    t.join().unwrap_or(Err(PgError::Timeout))
}

/// The handle on a store thread.
pub(crate) struct Thread<T: KeaTable> {
    jobs: Option<mpsc::Sender<Job<T>>>,
    handle: Option<JoinHandle<()>>,
}

impl<T: KeaTable> Thread<T> {
    /// Starts the thread; it connects in the background.
    pub(crate) fn spawn(
        cfg: Config,
        subnets: Vec<i64>,
        counters: Arc<PgCounters>,
    ) -> Result<Self, PgError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(PgError::Thread)?;
        let (tx, rx) = mpsc::channel();
        let worker = Worker::<T> {
            cfg,
            subnets,
            conn: None,
            backoff: BACKOFF.0,
            counters,
            logged: None,
        };
        let handle = std::thread::Builder::new()
            .name("pg_store".into())
            .spawn(move || worker.run(rt, rx))
            .map_err(PgError::Thread)?;
        Ok(Self {
            jobs: Some(tx),
            handle: Some(handle),
        })
    }

    /// Runs a job and waits for its answer at most `wait`.
    pub(crate) fn ask(&self, kind: JobKind<T>, wait: Duration) -> Result<Answer<T>, PgError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let job = Job {
            kind,
            deadline: Instant::now() + wait,
            reply,
        };
        let jobs = self.jobs.as_ref().ok_or(PgError::Timeout)?;
        jobs.send(job).map_err(|_| PgError::Timeout)?;
        answer.recv_timeout(wait).map_err(|_| PgError::Timeout)?
    }
}

impl<T: KeaTable> Drop for Thread<T> {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop.
        self.jobs.take();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// What start-up found in the database.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoadReport {
    /// Leases loaded.
    pub leases: usize,
    /// Declined addresses still in quarantine.
    pub declined: usize,
    /// Rows skipped as malformed.
    pub bad: usize,
}

/// The PostgreSQL lease store (see the module documentation).
pub struct PgStore {
    mem: MemStore,
    cfg: Config,
    subnets: SubnetMap,
    subnet_ids: Vec<i64>,
    /// The open turn's statements.
    ops: Vec<Op>,
    /// DUIDs the open turn changed: their cached bindings are newer than
    /// the database's until the turn commits, so a refresh skips them.
    touched: HashSet<Vec<u8>>,
    /// Resources whose claim was lost, refused until the time given.
    lost: HashMap<Resource, u64>,
    /// The time of the last expiry run (the loop's clock, Unix seconds).
    now: u64,
    thread: Option<Thread<Lease6Table>>,
    counters: Arc<PgCounters>,
}

impl PgStore {
    /// Connects to the database of `conninfo`, checks that its schema is
    /// Kea 2.2's and loads the live leases of `subnets`. The thread used
    /// for this ends before the call returns (a daemon forks after), so
    /// [`start`](PgStore::start) must follow before the first turn.
    pub fn open(
        conninfo: &str,
        subnets: SubnetMap,
        now: u64,
    ) -> Result<(Self, LoadReport), PgError> {
        let cfg = client_config(conninfo)?;
        let subnet_ids = subnets.ids();
        let counters = Arc::new(PgCounters::default());
        let rows = load_once::<Lease6Table>(&cfg, &subnet_ids)?;
        let mut store = Self {
            mem: MemStore::new(),
            cfg,
            subnets,
            subnet_ids,
            ops: Vec::new(),
            touched: HashSet::new(),
            lost: HashMap::new(),
            now,
            thread: None,
            counters,
        };
        let report = store.load(rows, now);
        Ok((store, report))
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

    /// Fills the cache from rows read at start-up.
    fn load(&mut self, rows: Vec<Option<RawRow>>, now: u64) -> LoadReport {
        let mut report = LoadReport::default();
        let mut bindings: HashMap<BindingKey, Leases> = HashMap::new();
        self.mem.set_undo(false);
        for raw in rows {
            match self.decode_row(raw.as_ref(), now) {
                Some(Row::Lease {
                    key, lease, reconf, ..
                }) => {
                    if let Some(info) = reconf {
                        self.mem.apply(crate::lease::Change::Reconf {
                            duid: key.duid.clone(),
                            info: Some(info),
                        });
                    }
                    bindings.entry(key).or_default().push(lease);
                    report.leases += 1;
                }
                Some(Row::Declined { res, until }) => {
                    self.mem.quarantine(res, until);
                    report.declined += 1;
                }
                Some(Row::Free(_)) => {}
                None => report.bad += 1,
            }
        }
        for (key, leases) in bindings {
            self.mem
                .apply(crate::lease::Change::Bind(Binding { key, leases }));
        }
        self.mem.set_undo(true);
        report
    }

    /// Decodes a row, counting and logging a bad one.
    fn decode_row(&self, raw: Option<&RawRow>, now: u64) -> Option<Row> {
        self.counters
            .decode_row("lease6", raw, |r| decode(r, now), |r| r.address.clone())
    }

    fn ask(&self, kind: JobKind<Lease6Table>) -> Result<Answer<Lease6Table>, PgError> {
        self.thread
            .as_ref()
            .ok_or(PgError::Down)?
            .ask(kind, TURN_WAIT)
    }

    /// The statements for `change`, from the cache as it stands before it.
    fn ops_for(&mut self, change: &crate::lease::Change) {
        use crate::lease::Change as C;
        match change {
            C::Bind(b) => {
                self.touched.insert(b.key.duid.as_bytes().to_vec());
                let reconf = self
                    .mem
                    .reconf(b.key.duid.as_bytes())
                    .map(|r| r.info.clone());
                for l in &b.leases {
                    let subnet = self.subnets.subnet_of(&l.res);
                    self.ops
                        .push(Op::Upsert(encode(&b.key, l, subnet, reconf.as_ref())));
                }
                if let Some(old) = self.mem.binding(&b.key) {
                    for l in old
                        .leases
                        .iter()
                        .filter(|l| !b.leases.iter().any(|n| n.res == l.res))
                    {
                        self.ops.push(Op::Delete(Held::new(&b.key, &l.res)));
                    }
                }
            }
            C::Release { key, res } => {
                self.touched.insert(key.duid.as_bytes().to_vec());
                self.ops.push(Op::Delete(Held::new(key, res)));
            }
            C::Expire { key, res } => self
                .ops
                .push(Op::Expire(Held::new(key, res), self.now_col())),
            C::Decline { key, res, until } => {
                self.touched.insert(key.duid.as_bytes().to_vec());
                let valid = i64::try_from(until.saturating_sub(self.now)).unwrap_or(i64::MAX);
                let until = i64::try_from(*until).unwrap_or(i64::MAX);
                self.ops
                    .push(Op::Decline(Held::new(key, res), valid, until));
            }
            C::Unquarantine(res) => self
                .ops
                .push(Op::Undecline(res.addr.to_string(), self.now_col())),
            C::Remove(key) => {
                self.touched.insert(key.duid.as_bytes().to_vec());
                if let Some(old) = self.mem.binding(key) {
                    for l in &old.leases {
                        self.ops.push(Op::Delete(Held::new(key, &l.res)));
                    }
                }
            }
            C::Reconf { duid, info } => {
                self.touched.insert(duid.as_bytes().to_vec());
                self.ops.push(Op::Context(
                    duid.as_bytes().to_vec(),
                    info.as_ref().map(context_of_reconf),
                ));
            }
        }
    }

    fn now_col(&self) -> i64 {
        i64::try_from(self.now).unwrap_or(i64::MAX)
    }

    /// Ends the open turn in memory after the database has decided.
    fn end_turn(&mut self, committed: bool) {
        if committed {
            let _ = self.mem.commit();
        } else {
            self.mem.rollback();
        }
        self.ops.clear();
        self.touched.clear();
    }

    /// Puts the rows read for some clients in the cache, for the keys
    /// asked about; the resources whose holder changed.
    fn apply_fresh(&mut self, keys: &[BindingKey], rows: Vec<Option<RawRow>>) -> Vec<Resource> {
        let mut fresh: HashMap<BindingKey, Leases> = HashMap::new();
        for raw in rows {
            if let Some(Row::Lease { key, lease, .. }) = self.decode_row(raw.as_ref(), self.now) {
                if lease.expires().is_none_or(|end| end > self.now) {
                    fresh.entry(key).or_default().push(lease);
                }
            }
        }
        let mut changed = Vec::new();
        for key in keys {
            if self.touched.contains(key.duid.as_bytes()) {
                continue;
            }
            let new = fresh.remove(key).unwrap_or_default();
            let old = self
                .mem
                .binding(key)
                .map(|b| b.leases.clone())
                .unwrap_or_default();
            if old == new {
                continue;
            }
            changed.extend(old.iter().chain(&new).map(|l| l.res));
            self.mem.apply(crate::lease::Change::Bind(Binding {
                key: key.clone(),
                leases: new,
            }));
        }
        changed
    }
}

impl LeaseStore for PgStore {
    delegate_lease_reads!(mem);

    /// Refused for what the cache knows another holder of, and for what a
    /// lost claim showed another server holds; granted provisionally
    /// otherwise: the database decides at commit.
    fn claim(&mut self, key: KeyRef<'_>, res: &Resource) -> Result<(), ClaimRefused> {
        self.mem.claim(key, res)?;
        match self.lost.get(res) {
            Some(until) if *until > self.now => Err(ClaimRefused { res: *res }),
            _ => Ok(()),
        }
    }

    fn apply(&mut self, change: crate::lease::Change) {
        self.ops_for(&change);
        self.mem.apply(change);
    }

    fn commit(&mut self) -> Result<(), CommitError> {
        if self.ops.is_empty() {
            self.end_turn(true);
            return Ok(());
        }
        let ops = std::mem::take(&mut self.ops);
        let r = self.ask(JobKind::Turn(ops.clone()));
        match r {
            Ok(Answer::Turn(None)) => {
                self.counters.turns.fetch_add(1, Ordering::Relaxed);
                self.end_turn(true);
                Ok(())
            }
            Ok(Answer::Turn(Some(i))) => {
                self.counters.lost.fetch_add(1, Ordering::Relaxed);
                self.counters.turns_failed.fetch_add(1, Ordering::Relaxed);
                let res = match ops.get(i) {
                    Some(Op::Upsert(row)) => row.address.parse().ok().map(|addr| Resource {
                        addr,
                        len: u8::try_from(row.prefix_len).unwrap_or(128),
                    }),
                    _ => None,
                };
                self.end_turn(false);
                let res = res.unwrap_or(Resource {
                    addr: std::net::Ipv6Addr::UNSPECIFIED,
                    len: 0,
                });
                self.lost.retain(|_, until| *until > self.now);
                self.lost.insert(res, self.now + LOST_HOLD);
                log_info!(
                    "pg_store",
                    "claim of {}/{} lost to another server",
                    res.addr,
                    res.len
                );
                Err(CommitError::Lost { res })
            }
            Ok(Answer::Rows(_)) | Err(_) => {
                self.counters.turns_failed.fetch_add(1, Ordering::Relaxed);
                self.end_turn(false);
                let e = r.err().unwrap_or(PgError::Timeout);
                Err(CommitError::Io(std::io::Error::other(e.to_string())))
            }
        }
    }

    fn rollback(&mut self) {
        self.end_turn(false);
    }

    fn expire(&mut self, now: u64, max: usize) -> Vec<Resource> {
        self.now = now;
        let ended = self.mem.expire_changes(now, max);
        let mut freed = Vec::new();
        for c in ended {
            self.ops_for(&c);
            match c {
                crate::lease::Change::Expire { res, .. }
                | crate::lease::Change::Unquarantine(res) => freed.push(res),
                _ => {}
            }
        }
        freed
    }

    fn shared(&self) -> bool {
        true
    }

    /// One query for every client the keys name. On failure nothing
    /// changes: a turn relying on a stale binding still cannot commit a
    /// wrong claim, and while the database is down nothing commits.
    fn refresh(&mut self, keys: &[BindingKey]) -> Vec<Resource> {
        let mut duids: Vec<Vec<u8>> = keys
            .iter()
            .map(|k| k.duid.as_bytes())
            .filter(|d| !self.touched.contains(*d))
            .map(<[u8]>::to_vec)
            .collect();
        duids.sort_unstable();
        duids.dedup();
        if duids.is_empty() {
            return Vec::new();
        }
        match self.ask(JobKind::Fetch(duids)) {
            Ok(Answer::Rows(rows)) => self.apply_fresh(keys, rows),
            _ => Vec::new(),
        }
    }

    fn report(&self) -> Option<String> {
        let c = &self.counters;
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Some(format!(
            "lease database: {} connections, {} failures, {} turns committed, {} not, {} claims lost, {} bad rows skipped",
            n(&c.connects),
            n(&c.failures),
            n(&c.turns),
            n(&c.turns_failed),
            n(&c.lost),
            n(&c.bad_rows)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duid::Duid;
    use crate::lease::{BoundLease, Change, IaKind, ReconfInfo};

    /// A store with no thread: every turn that writes fails as while
    /// the database is unreachable.
    fn store() -> PgStore {
        let cfg = crate::config::ServerConfig {
            pools: vec![crate::config::server::Pool {
                name: "p".into(),
                start: "2001:db8::1".parse().unwrap(),
                end: "2001:db8::ff".parse().unwrap(),
                subnet_id: Some(5),
            }],
            ..Default::default()
        };
        PgStore {
            mem: MemStore::new(),
            cfg: Config::new(),
            subnet_ids: SubnetMap::from_config(&cfg).ids(),
            subnets: SubnetMap::from_config(&cfg),
            ops: Vec::new(),
            touched: HashSet::new(),
            lost: HashMap::new(),
            now: 1000,
            thread: None,
            counters: Arc::default(),
        }
    }

    fn key(n: u8) -> BindingKey {
        BindingKey {
            duid: Duid::from_bytes(&[0, 3, 0, 1, n]).unwrap(),
            kind: IaKind::Na,
            iaid: 1,
        }
    }

    fn res(last: u16) -> Resource {
        Resource {
            addr: std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last),
            len: 128,
        }
    }

    fn bind(k: &BindingKey, r: &[Resource]) -> Change {
        Change::Bind(Binding {
            key: k.clone(),
            leases: r
                .iter()
                .map(|r| BoundLease {
                    res: *r,
                    preferred: 50,
                    valid: 100,
                    updated: 1000,
                })
                .collect(),
        })
    }

    /// Each change becomes the statements that record it, with the
    /// pool's subnet and the client's Reconfigure record.
    #[test]
    fn changes_become_statements() {
        let mut s = store();
        let k = key(1);
        s.apply(Change::Reconf {
            duid: k.duid.clone(),
            info: Some(ReconfInfo {
                key: [1; 16],
                path: vec![9],
                until: 5000,
            }),
        });
        s.apply(bind(&k, &[res(1), res(2)]));
        s.apply(bind(&k, &[res(2)]));
        s.apply(Change::Decline {
            key: k.clone(),
            res: res(2),
            until: 1600,
        });
        let kinds: Vec<&str> = s
            .ops
            .iter()
            .map(|o| match o {
                Op::Upsert(_) => "upsert",
                Op::Delete(_) => "delete",
                Op::Expire(..) => "expire",
                Op::Decline(..) => "decline",
                Op::Undecline(..) => "undecline",
                Op::Context(..) => "context",
            })
            .collect();
        assert_eq!(
            kinds,
            ["context", "upsert", "upsert", "upsert", "delete", "decline"]
        );
        let Op::Upsert(row) = &s.ops[1] else { panic!() };
        assert_eq!(row.subnet_id, 5);
        assert_eq!(row.expire, 1100);
        assert!(row.user_context.as_deref().unwrap().contains("reconf-key"));
        assert_eq!(
            s.ops[4],
            Op::Delete(Held::new(&k, &res(1))),
            "the lease the new set lacks"
        );
        assert_eq!(
            s.ops[5],
            Op::Decline(Held::new(&k, &res(2)), 600, 1600),
            "valid lifetime: the quarantine left"
        );
    }

    /// With the database unreachable a turn that writes fails and is
    /// rolled back in memory; one that writes nothing commits.
    #[test]
    fn unreachable_turns_are_rolled_back() {
        let mut s = store();
        assert!(s.commit().is_ok(), "nothing to write");
        s.apply(bind(&key(1), &[res(1)]));
        assert!(s.holder(&res(1)).is_some());
        assert!(matches!(s.commit(), Err(CommitError::Io(_))));
        assert!(s.holder(&res(1)).is_none());
        assert!(s.ops.is_empty() && s.touched.is_empty());
        assert_eq!(s.counters.turns_failed.load(Ordering::Relaxed), 1);
    }

    /// Re-read rows replace the cached binding of the keys asked about,
    /// except those the open turn changed; the resources whose holder
    /// changed are returned. Bad rows are skipped and counted.
    #[test]
    fn fresh_rows_replace_the_cache() {
        let mut s = store();
        let (k1, k2) = (key(1), key(2));
        s.apply(bind(&k1, &[res(1)]));
        s.ops.clear();
        s.end_turn(true);
        let row = |k: &BindingKey, r: Resource| {
            Some(RawRow {
                address: r.addr.to_string(),
                duid: Some(k.duid.as_bytes().to_vec()),
                valid_lifetime: Some(100),
                expire: Some(1100),
                subnet_id: Some(5),
                pref_lifetime: Some(50),
                lease_type: Some(0),
                iaid: Some(1),
                prefix_len: Some(128),
                state: Some(0),
                user_context: None,
            })
        };
        // Another server moved k1 to res(3) and bound k2 to res(1).
        let bad = Some(RawRow {
            address: "bogus".into(),
            ..RawRow::default()
        });
        let changed = s.apply_fresh(
            &[k1.clone(), k2.clone()],
            vec![row(&k1, res(3)), row(&k2, res(1)), bad, None],
        );
        assert_eq!(s.holder(&res(3)), Some(&k1));
        assert_eq!(s.holder(&res(1)), Some(&k2));
        assert!(changed.contains(&res(1)) && changed.contains(&res(3)));
        assert_eq!(s.counters.bad_rows.load(Ordering::Relaxed), 2);
        assert!(s.ops.is_empty(), "a refresh writes nothing");
        // A client the open turn changed keeps its newer binding.
        s.apply(bind(&k2, &[res(4)]));
        let changed = s.apply_fresh(std::slice::from_ref(&k2), vec![row(&k2, res(1))]);
        assert!(changed.is_empty());
        assert_eq!(s.holder(&res(4)), Some(&k2));
    }

    /// A resource whose claim was lost is refused until the hold ends.
    #[test]
    fn lost_claims_are_refused_for_a_while() {
        let mut s = store();
        s.lost.insert(res(7), s.now + LOST_HOLD);
        let k = key(1);
        assert!(s.claim(k.as_ref(), &res(7)).is_err());
        assert!(s.claim(k.as_ref(), &res(8)).is_ok());
        s.now += LOST_HOLD;
        assert!(s.claim(k.as_ref(), &res(7)).is_ok());
    }

    #[test]
    fn conninfo_passfile_is_read() {
        let dir = std::env::temp_dir().join(format!("kame6-pgpass-{}", std::process::id()));
        std::fs::write(&dir, "db2:5433:kea:kea:secret\n").unwrap();
        let cfg = client_config(&format!(
            "host=db1,db2 port=5432,5433 dbname=kea user=kea passfile={}",
            dir.display()
        ))
        .unwrap();
        let _ = std::fs::remove_file(&dir);
        assert_eq!(cfg.get_password(), Some(&b"secret"[..]));
        assert_eq!(cfg.get_hosts().len(), 2);
        assert_eq!(cfg.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        assert!(matches!(
            client_config("host='x"),
            Err(PgError::Conninfo(_))
        ));
    }
}
