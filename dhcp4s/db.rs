//! dhcp4s's lease database: leases in Kea 2.2's `lease4` table instead of
//! the journal (`lease-database postgresql "CONNINFO";`, doc/postgresql.md),
//! shared with other dhcp4s and with Kea's kea-dhcp4. The store itself is
//! libdhcp6's `sys::pg4`; this is the daemon's side: replaying the table
//! into the engine at start-up, re-reading a batch's clients, committing a
//! turn and logging a change of the database's state once. Built without
//! the cargo feature `postgresql`, a configured database refuses to start.

use std::collections::HashMap;

use libdhcp6::config::Server4Config;
use libdhcp6::dhcp4::engine::{Change4, Claims4, ClientKey, Engine, Unshared};
#[cfg(feature = "postgresql")]
use libdhcp6::{log_err, log_notice};

/// Why a turn did not commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Without the feature there is no database to fail.
#[cfg_attr(not(feature = "postgresql"), allow(dead_code))]
pub enum Failure {
    /// A claim was lost to another server.
    Lost,
    /// The database was unreachable or refused the turn.
    Db,
}

/// The lease database, when one is configured.
pub struct Db {
    #[cfg(feature = "postgresql")]
    store: Option<libdhcp6::sys::pg4::PgStore4>,
    /// The claims of a server without a database: all granted.
    unshared: Unshared,
    /// Whether the last commit went through: a failure is logged when the
    /// state changes, not for every turn.
    ok: bool,
}

impl Db {
    /// No database: the journal keeps the leases.
    pub fn none() -> Self {
        Self {
            #[cfg(feature = "postgresql")]
            store: None,
            unshared: Unshared,
            ok: true,
        }
    }

    /// Connects to the configured database, if any, and replays its live
    /// leases and quarantines into `engine`.
    #[cfg(feature = "postgresql")]
    pub fn open(cfg: &Server4Config, engine: &mut Engine, now: u64) -> Result<Self, String> {
        use libdhcp6::dhcp4::journal::Record4;
        use libdhcp6::dhcp4::kea::Row4;
        let Some(conninfo) = &cfg.lease_database else {
            return Ok(Self::none());
        };
        let subnets: Vec<u32> = cfg.engine.subnets.iter().map(|s| s.id).collect();
        let (store, rows, report) = libdhcp6::sys::pg4::PgStore4::open(conninfo, &subnets, now)
            .map_err(|e| format!("lease database: {e}"))?;
        for row in rows {
            match row {
                Row4::Lease(l) => engine.replay(&Change4::Bind(l), now),
                Row4::Declined { addr, until } => {
                    engine.replay(&Record4::Quarantine { addr, until }.into_change(), now);
                }
                Row4::Free(_) => {}
            }
        }
        log_notice!(
            "server4_init",
            "lease database: {} leases, {} declined addresses, {} bad rows skipped",
            report.leases,
            report.declined,
            report.bad
        );
        Ok(Self {
            store: Some(store),
            unshared: Unshared,
            ok: true,
        })
    }

    /// Without the `postgresql` feature a `lease-database` cannot be served.
    #[cfg(not(feature = "postgresql"))]
    pub fn open(cfg: &Server4Config, _engine: &mut Engine, _now: u64) -> Result<Self, String> {
        match cfg.lease_database {
            Some(_) => Err(
                "lease-database: this dhcp4s was built without PostgreSQL support (cargo feature postgresql)"
                    .to_string(),
            ),
            None => Ok(Self::none()),
        }
    }

    /// True when leases live in a database.
    pub fn is_some(&self) -> bool {
        #[cfg(feature = "postgresql")]
        return self.store.is_some();
        #[cfg(not(feature = "postgresql"))]
        false
    }

    /// Starts the store's thread (after the daemon forked).
    pub fn start(&mut self) {
        #[cfg(feature = "postgresql")]
        if let Some(s) = self.store.as_mut() {
            if let Err(e) = s.start() {
                log_err!("server4_init", "lease database: {e}");
            }
        }
    }

    /// Who decides the claims: the database's store, or nobody.
    pub fn claims(&mut self) -> &mut dyn Claims4 {
        #[cfg(feature = "postgresql")]
        if let Some(s) = self.store.as_mut() {
            return s;
        }
        &mut self.unshared
    }

    /// Re-reads the leases of `clients` and lets `engine` adopt them, so
    /// what another server changed is seen before it is relied on.
    /// Clients with changes in the open turn keep theirs (newer than the
    /// table's until the commit).
    pub fn refresh(
        &mut self,
        clients: &[ClientKey],
        pending: &[Change4],
        engine: &mut Engine,
        now: u64,
    ) {
        #[cfg(feature = "postgresql")]
        if let Some(s) = self.store.as_ref() {
            let busy = |c: &ClientKey| {
                pending.iter().any(|p| match p {
                    Change4::Bind(l) => l.client == *c,
                    Change4::Release { client, .. }
                    | Change4::Expire { client, .. }
                    | Change4::Decline { client, .. } => client == c,
                })
            };
            let mut asked: Vec<ClientKey> = clients.iter().filter(|c| !busy(c)).cloned().collect();
            asked.sort_unstable();
            asked.dedup();
            if asked.is_empty() {
                return;
            }
            for (client, lease) in s.refresh(&asked, now).unwrap_or_default() {
                engine.adopt(&client, lease.as_ref(), now);
            }
        }
        #[cfg(not(feature = "postgresql"))]
        let _ = (clients, pending, engine, now);
    }

    /// Makes a turn's changes durable in the database; `Err` (already
    /// logged when the database's state changed) means the engine must
    /// roll back and withhold the turn's answers, then call
    /// [`Db::after_failure`].
    pub fn commit(
        &mut self,
        changes: &[Change4],
        chaddrs: &HashMap<ClientKey, Vec<u8>>,
        now: u64,
        func: &str,
    ) -> Result<(), Failure> {
        if changes.is_empty() {
            // Nothing asked of the database: its state is not known anew.
            return Ok(());
        }
        #[cfg(feature = "postgresql")]
        if let Some(s) = self.store.as_mut() {
            use libdhcp6::sys::pg4::Commit4Error;
            return match s.commit(changes, chaddrs, now) {
                Ok(()) => {
                    if !self.ok {
                        log_notice!(func, "lease database: turns commit again");
                    }
                    self.ok = true;
                    Ok(())
                }
                // Logged by the store; the client's retry gets another address.
                Err(Commit4Error::Lost(_)) => Err(Failure::Lost),
                Err(e) => {
                    if self.ok {
                        log_err!(
                            func,
                            "lease database: {e}; answers that record leases withheld"
                        );
                    }
                    self.ok = false;
                    Err(Failure::Db)
                }
            };
        }
        let _ = (changes, chaddrs, now, func, &self.ok);
        Ok(())
    }

    /// After a failed commit and the engine's rollback: a lost claim
    /// means another server holds what the engine thought free, so every
    /// live row is read again and replayed, and the engine stops offering
    /// what others hold.
    pub fn after_failure(&mut self, why: Failure, engine: &mut Engine, now: u64) {
        #[cfg(feature = "postgresql")]
        if let (Failure::Lost, Some(s)) = (why, self.store.as_mut()) {
            use libdhcp6::dhcp4::journal::Record4;
            use libdhcp6::dhcp4::kea::Row4;
            for row in s.resync(now).unwrap_or_default() {
                match row {
                    Row4::Lease(l) => {
                        engine.adopt(&l.client.clone(), Some(&l), now);
                    }
                    Row4::Declined { addr, until } => {
                        engine.replay(&Record4::Quarantine { addr, until }.into_change(), now);
                    }
                    Row4::Free(_) => {}
                }
            }
        }
        #[cfg(not(feature = "postgresql"))]
        let _ = (why, engine, now);
    }

    /// The database's counters, for SIGUSR1.
    pub fn report(&self) -> Option<String> {
        #[cfg(feature = "postgresql")]
        return self.store.as_ref().map(|s| s.report());
        #[cfg(not(feature = "postgresql"))]
        None
    }
}
