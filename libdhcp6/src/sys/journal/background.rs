//! The journal's commits on sync threads (`sys::journal_sync`): which
//! jobs are out, in what order they count, and what a failure undoes
//! (doc/lease-journal.md "Syncs off the loop").
//!
//! Records are handed over in commit order, each job at the offset where
//! the previous one ends, at most [`JOBS_OUT`] at once. Jobs may end in
//! any order, but they count in the order they were handed over: a turn
//! is durable when its job and every job before it are. A job that fails
//! makes every later one worthless (the file is cut back to the end of
//! the last durable record), so the store first waits for the others to
//! end, then cuts the file and rolls back every turn not yet durable.
//! The room is grown by a job of zeros after where the records will end;
//! records are not handed over into the span being zeroed.

use std::collections::VecDeque;
use std::io;
use std::os::fd::BorrowedFd;
use std::path::Path;
use std::time::Instant;

use super::super::journal_file::{JournalFile, GROW_CHUNK};
use super::super::journal_sync::{SyncDone, SyncJob, SyncThread};
use super::JournalStore;
use crate::lease::CommitError;

/// Record jobs out at once (one sync thread each).
pub const JOBS_OUT: usize = 2;

/// A record job handed over: what it makes durable.
#[derive(Debug)]
struct OutJob {
    id: u64,
    /// The last ticket whose records it holds.
    ticket: u64,
    /// Octets of records.
    len: u64,
    /// Its outcome, once told.
    done: Option<SyncDone>,
}

/// The room being grown: zeros from `from` to `to`.
#[derive(Debug)]
struct Growth {
    id: u64,
    from: u64,
    to: u64,
}

/// A compaction's write into its new file, out.
#[derive(Debug)]
enum CompactJob {
    /// Records of this many octets, by the job `id`.
    Records { id: u64, len: usize },
    /// Room up to `to`.
    Zeros { id: u64, to: u64 },
}

impl CompactJob {
    fn id(&self) -> u64 {
        match self {
            Self::Records { id, .. } | Self::Zeros { id, .. } => *id,
        }
    }
}

/// The sync threads and the jobs out (see the module docs).
#[derive(Debug)]
pub(super) struct Background {
    threads: SyncThread,
    jobs: VecDeque<OutJob>,
    growing: Option<Growth>,
    compact_job: Option<CompactJob>,
    next_id: u64,
    /// Buffers given back by the threads, reused for the next queue.
    spare: Vec<Vec<u8>>,
}

impl Background {
    /// Polled by the loop: readable when a job has ended.
    pub(super) fn fd(&self) -> BorrowedFd<'_> {
        self.threads.fd()
    }

    /// True when no job (records, zeros or a compaction's) is out.
    pub(super) fn idle(&self) -> bool {
        self.jobs.is_empty() && self.growing.is_none() && self.compact_job.is_none()
    }

    /// Where the records end once the jobs out are done.
    fn records_end(&self, out: &JournalFile) -> u64 {
        out.len() + self.jobs.iter().map(|j| j.len).sum::<u64>()
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Hands a job of zeros to a thread when the room after the records
    /// (those out and `queued` counted) runs low and none is out.
    pub(super) fn grow_when_low(&mut self, out: &mut JournalFile, queued: &[u8], path: &Path) {
        let end = self.records_end(out) + queued.len() as u64;
        if self.growing.is_some() || !out.wants_room_after(end) {
            return;
        }
        let from = out.allocated().max(end);
        let id = self.next_id();
        let (file, _) = out.next_write();
        let job = SyncJob {
            id,
            file,
            at: from,
            bytes: Vec::new(),
            zeros: GROW_CHUNK,
        };
        if self.threads.submit(job).is_ok() {
            self.growing = Some(Growth {
                id,
                from,
                to: from + GROW_CHUNK,
            });
        } else {
            out.growth_failed();
            crate::log_warn!(
                "journal_commit",
                "{}: the journal's sync threads ended; appending",
                path.display()
            );
        }
    }
}

impl JournalStore {
    /// From now on, commits are written and synced on threads of their
    /// own (`sys::journal_sync`) while the caller goes on; call after
    /// detaching (a fork keeps no threads). The server then polls
    /// [`LeaseStore::sync_fd`](crate::lease::LeaseStore::sync_fd) and sends
    /// a turn's answers once
    /// [`LeaseStore::sync_state`](crate::lease::LeaseStore::sync_state)
    /// says the turn is durable.
    pub fn sync_in_background(&mut self) -> io::Result<()> {
        if self.syncer.is_none() {
            self.syncer = Some(Background {
                threads: SyncThread::start("dhcp6s-journal", JOBS_OUT + 1)?,
                jobs: VecDeque::new(),
                growing: None,
                compact_job: None,
                next_id: 0,
                spare: Vec::new(),
            });
        }
        Ok(())
    }

    /// Waits until the turn of ticket `t` is durable; `Err` when a sync
    /// failed meanwhile (the turn was rolled back with it).
    pub(super) fn wait_durable(&mut self, t: u64) -> Result<(), CommitError> {
        while self.sync.durable < t {
            self.hand_over();
            if self.syncer.as_ref().is_none_or(Background::idle) {
                break;
            }
            self.poll_background(true)?;
        }
        Ok(())
    }

    /// Hands the queued records to a thread, unless [`JOBS_OUT`] jobs are
    /// out or they would reach into room being zeroed.
    pub(super) fn hand_over(&mut self) {
        let Some(bg) = self.syncer.as_mut() else {
            return;
        };
        if self.queued.is_empty() || bg.jobs.len() >= JOBS_OUT {
            return;
        }
        let at = bg.records_end(&self.out);
        let len = self.queued.len() as u64;
        if bg.growing.as_ref().is_some_and(|g| at + len > g.from) {
            return;
        }
        let id = bg.next_id();
        let (file, _) = self.out.next_write();
        let fresh = bg.spare.pop().unwrap_or_default();
        let bytes = std::mem::replace(&mut self.queued, fresh);
        let job = SyncJob {
            id,
            file,
            at,
            bytes,
            zeros: 0,
        };
        match bg.threads.submit(job) {
            Ok(()) => {
                bg.jobs.push_back(OutJob {
                    id,
                    ticket: self.issued,
                    len,
                    done: None,
                });
                self.sync.started = self.issued;
            }
            Err(job) => {
                // The threads are gone (they never end while the store
                // lives): what is out fails, the rest goes on here.
                self.queued = job.bytes;
                self.threads_gone();
            }
        }
    }

    /// Takes in the jobs that ended (with `wait`, waits for one first),
    /// counts the record jobs in order, and hands over what is queued.
    pub(super) fn poll_background(&mut self, wait: bool) -> Result<(), CommitError> {
        let mut block = wait;
        loop {
            let Some(bg) = self.syncer.as_mut() else {
                return Ok(());
            };
            if bg.idle() {
                break;
            }
            let blocked = block;
            let done = if blocked {
                bg.threads.wait_done()
            } else {
                bg.threads.try_done()
            };
            block = false;
            let Some(done) = done else {
                if blocked {
                    // Waited for and never told: the threads are gone.
                    self.threads_gone();
                    return self.count_jobs();
                }
                break;
            };
            self.take_done(done);
            self.count_jobs()?;
            self.hand_over();
        }
        Ok(())
    }

    /// Files a job's outcome: a growth's at once, a record job's with it.
    fn take_done(&mut self, done: SyncDone) {
        let Some(bg) = self.syncer.as_mut() else {
            return;
        };
        if let Some(g) = bg.growing.take_if(|g| g.id == done.id) {
            match &done.result {
                Ok(()) => self.out.grown(g.to),
                Err(_) => self.out.growth_failed(),
            }
            self.note_growth(done.result);
            return;
        }
        if let Some(job) = bg.compact_job.take_if(|j| j.id() == done.id) {
            // (Nothing to take in if the compaction was abandoned.)
            let written = match (self.compacting.as_mut(), done.result) {
                (None, _) => Ok(()),
                (Some(c), Ok(())) => {
                    match job {
                        CompactJob::Records { len, .. } => {
                            let _ = c.tmp.written(len, Ok(()));
                        }
                        CompactJob::Zeros { to, .. } => c.tmp.grown(to),
                    }
                    Ok(())
                }
                (Some(_), Err(e)) => Err(e),
            };
            if let Err(e) = written {
                self.compaction_failed(&e);
            }
            return;
        }
        if let Some(j) = bg.jobs.iter_mut().find(|j| j.id == done.id) {
            j.done = Some(done);
        }
    }

    /// The compaction's next step as a job, when none of it is out: the
    /// next chunk, or the new file's room. Its last step (the tail and
    /// the rename) runs here, once no record is out or queued for the old
    /// file. A compaction is begun when it pays, as on the loop.
    pub(super) fn compaction_in_background(&mut self) {
        let Some(bg) = self.syncer.as_ref() else {
            return;
        };
        if bg.compact_job.is_some() {
            return;
        }
        if self.compacting.is_none() {
            let may_start = self.compact_retry_at.is_none_or(|t| Instant::now() >= t);
            if !may_start || !self.worth_compacting() {
                return;
            }
            if let Err(e) = self.begin_compaction() {
                self.compaction_failed(&e);
                return;
            }
        }
        let finishing = self
            .compacting
            .as_ref()
            .is_some_and(|c| matches!(c.phase, super::Phase::Finish));
        if finishing {
            match self.finish_compaction() {
                Ok(()) => self.leave_old_file(),
                Err(e) => self.compaction_failed(&e),
            }
            return;
        }
        let Some(write) = self.next_compaction_write() else {
            return;
        };
        let (Some(bg), Some(c)) = (self.syncer.as_mut(), self.compacting.as_ref()) else {
            return;
        };
        let id = bg.next_id();
        let (file, len) = c.tmp.next_write();
        let (job, out) = match write {
            super::StepWrite::Records(bytes) => {
                let n = bytes.len();
                let job = SyncJob {
                    id,
                    file,
                    at: len,
                    bytes,
                    zeros: 0,
                };
                (job, CompactJob::Records { id, len: n })
            }
            super::StepWrite::Zeros(n) => {
                let at = c.tmp.allocated();
                let job = SyncJob {
                    id,
                    file,
                    at,
                    bytes: Vec::new(),
                    zeros: n,
                };
                (job, CompactJob::Zeros { id, to: at + n })
            }
            super::StepWrite::Finish => return,
        };
        if bg.threads.submit(job).is_ok() {
            bg.compact_job = Some(out);
        } else {
            let e = io::Error::other("the journal's sync threads ended");
            self.compaction_failed(&e);
        }
    }

    /// Counts the record jobs that ended, in the order they were handed
    /// over, up to the first still out. At a failed one: waits for the
    /// rest, then cuts the file back and rolls back (`finish`).
    fn count_jobs(&mut self) -> Result<(), CommitError> {
        loop {
            let Some(bg) = self.syncer.as_mut() else {
                return Ok(());
            };
            if bg.jobs.front().is_none_or(|j| j.done.is_none()) {
                return Ok(());
            }
            let Some(OutJob {
                ticket,
                done: Some(done),
                ..
            }) = bg.jobs.pop_front()
            else {
                return Ok(());
            };
            if done.result.is_err() {
                self.wait_all_out();
            }
            let r = self.finish(ticket, &done.bytes, done.result, done.took);
            if let Some(bg) = self.syncer.as_mut() {
                let mut bytes = done.bytes;
                bytes.clear();
                if bg.spare.len() < JOBS_OUT {
                    bg.spare.push(bytes);
                }
            }
            r?;
        }
    }

    /// After a compaction's last step: the new file holds, durable, every
    /// turn committed (its chunks were read after each, its tail has
    /// their records), so they all count as durable now. The jobs still
    /// out write to the old file, unlinked: their outcomes no longer
    /// count, and what was queued for it is not written again.
    fn leave_old_file(&mut self) {
        if let Some(bg) = self.syncer.as_mut() {
            bg.jobs.clear();
            bg.growing = None;
        }
        self.queued.clear();
        self.sync.durable = self.issued;
        self.sync.started = self.issued;
        self.mem.settle_turns(self.issued);
    }

    /// Waits for every job out to end, their outcomes dropped: a job
    /// before them failed, and the file is about to be cut back to
    /// before it.
    pub(super) fn wait_all_out(&mut self) {
        let Some(bg) = self.syncer.as_mut() else {
            return;
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        while !bg.idle() && Instant::now() < deadline {
            let Some(done) = bg.threads.wait_done() else {
                break;
            };
            if bg.growing.as_ref().is_some_and(|g| g.id == done.id) {
                bg.growing = None;
            }
            if bg.compact_job.as_ref().is_some_and(|j| j.id() == done.id) {
                bg.compact_job = None;
            }
            bg.jobs.retain(|j| j.id != done.id);
        }
        bg.jobs.clear();
        bg.growing = None;
        bg.compact_job = None;
    }

    /// The threads ended (they never do while the store lives): every
    /// job out counts as failed, and once none is out, commits go on on
    /// the caller's thread.
    fn threads_gone(&mut self) {
        let Some(bg) = self.syncer.as_mut() else {
            return;
        };
        bg.growing = None;
        bg.compact_job = None;
        for j in &mut bg.jobs {
            if j.done.is_none() {
                j.done = Some(SyncDone {
                    id: j.id,
                    bytes: Vec::new(),
                    result: Err(io::Error::other("the journal's sync threads ended")),
                    took: std::time::Duration::ZERO,
                });
            }
        }
        if bg.jobs.is_empty() {
            self.syncer = None;
            crate::log_err!(
                "journal_commit",
                "{}: the journal's sync threads ended; syncing on the main loop",
                self.path.display()
            );
            let bytes = std::mem::take(&mut self.queued);
            if let Err(e) = self.write_here(self.issued, &bytes) {
                crate::log_err!("journal_commit", "{}: {e}", self.path.display());
            }
        }
    }
}
