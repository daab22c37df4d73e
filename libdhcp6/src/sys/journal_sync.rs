//! The journal's writes and syncs on a thread of their own, so that the
//! server's loop goes on reading and answering while a commit waits for
//! the disk (doc/lease-journal.md "Syncs off the loop").
//!
//! An `fdatasync` is usually a fraction of a millisecond, but now and then
//! the disk takes tens of milliseconds, once in a while hundreds. Done on
//! the loop, every such sync held the whole server: nothing was read, the
//! socket's backlog aged, and the overload shedding took the server's own
//! stall for a flood. Here the loop hands a commit's records to the
//! threads ([`SyncThread::submit`]) and keeps working; a thread writes
//! them at the given offset, syncs, and reports ([`SyncThread::try_done`])
//! through a channel, waking the loop through a socket it polls
//! ([`SyncThread::fd`]). Two jobs may be out at once, at offsets that do
//! not overlap: a turn's records are handed over as soon as the turn ends
//! unless both are out, so a turn's answers wait for their own sync, not
//! also for the end of one begun before. Measured on this project's
//! machine, two syncs at once take about as long as one; the records of
//! turns committed while both are out are gathered and handed over
//! together (group commit across turns). The room the journal grows by
//! is written here too, as zeros.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;
use std::os::unix::net::UnixStream;
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Records (or zeros) to write at `at` in `file` and sync.
#[derive(Debug)]
pub struct SyncJob {
    /// Told back with the outcome.
    pub id: u64,
    /// The journal (shared with the store, which keeps writing to it
    /// after the job; replaced by a compaction only when no job is out).
    pub file: Arc<File>,
    /// Where the records go.
    pub at: u64,
    /// The records.
    pub bytes: Vec<u8>,
    /// Zeros to write after the records (the room a journal grows by).
    pub zeros: u64,
}

/// A job done: its buffer back (for reuse) and how it went.
#[derive(Debug)]
pub struct SyncDone {
    /// The job's id.
    pub id: u64,
    /// The job's records, given back.
    pub bytes: Vec<u8>,
    /// The write and the sync, or the first error.
    pub result: io::Result<()>,
    /// How long the write and the sync took.
    pub took: Duration,
}

/// The threads and the ways to them (see the module docs).
#[derive(Debug)]
pub struct SyncThread {
    jobs: Option<mpsc::Sender<SyncJob>>,
    done: mpsc::Receiver<SyncDone>,
    /// Readable when a job ended; drained by [`SyncThread::try_done`].
    wake: UnixStream,
    threads: Vec<JoinHandle<()>>,
}

/// Writes `bytes` at `at` in `file` and syncs the data.
pub fn write_synced_at(file: &File, at: u64, bytes: &[u8]) -> io::Result<()> {
    file.write_all_at(bytes, at)?;
    file.sync_data()
}

/// Zeros written per `pwrite` while growing.
const ZERO_PIECE: usize = 64 * 1024;

/// Writes `len` zeros at `at` in `file` (no sync).
pub fn write_zeros_at(file: &File, at: u64, len: u64) -> io::Result<()> {
    let zeros = [0u8; ZERO_PIECE];
    let (mut at, end) = (at, at + len);
    while at < end {
        let n = usize::try_from(end - at).map_or(ZERO_PIECE, |n| n.min(ZERO_PIECE));
        file.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

/// Does one job: the records, then the zeros, then one sync.
fn run_job(job: &SyncJob) -> io::Result<()> {
    job.file.write_all_at(&job.bytes, job.at)?;
    write_zeros_at(&job.file, job.at + job.bytes.len() as u64, job.zeros)?;
    job.file.sync_data()
}

impl SyncThread {
    /// Starts `threads` threads named `name` (seen in `ps -L` and
    /// `top -H`), each doing one job at a time.
    pub fn start(name: &str, threads: usize) -> io::Result<Self> {
        let (wake, waker) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        // A wake-up already waiting is enough: never block on a full one.
        waker.set_nonblocking(true)?;
        let waker = Arc::new(waker);
        let (jobs, job_rx) = mpsc::channel::<SyncJob>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done) = mpsc::channel();
        let mut handles = Vec::new();
        for _ in 0..threads.max(1) {
            let (job_rx, done_tx, waker) =
                (Arc::clone(&job_rx), done_tx.clone(), Arc::clone(&waker));
            handles.push(
                std::thread::Builder::new()
                    .name(name.to_string())
                    .spawn(move || loop {
                        // The lock is held only while taking a job.
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let started = Instant::now();
                        let result = run_job(&job);
                        let done = SyncDone {
                            id: job.id,
                            bytes: job.bytes,
                            result,
                            took: started.elapsed(),
                        };
                        if done_tx.send(done).is_err() {
                            return;
                        }
                        let _ = (&*waker).write(&[1]);
                    })?,
            );
        }
        Ok(Self {
            jobs: Some(jobs),
            done,
            wake,
            threads: handles,
        })
    }

    /// Hands `job` to a thread; gives it back if the threads are gone.
    pub fn submit(&self, job: SyncJob) -> Result<(), SyncJob> {
        match &self.jobs {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }

    /// A job that ended, if one did (never waits).
    pub fn try_done(&self) -> Option<SyncDone> {
        self.drain_wake();
        self.done.try_recv().ok()
    }

    /// Waits for a job to end; `None` when the threads are gone.
    pub fn wait_done(&self) -> Option<SyncDone> {
        let d = self.done.recv().ok();
        self.drain_wake();
        d
    }

    fn drain_wake(&self) {
        let mut sink = [0u8; 64];
        while matches!((&self.wake).read(&mut sink), Ok(n) if n > 0) {}
    }

    /// Polled by the loop: readable when a job has ended.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.wake.as_fd()
    }
}

impl Drop for SyncThread {
    /// Lets the jobs out finish (their records are then durable) and the
    /// threads end.
    fn drop(&mut self) {
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job's records land at its offset, synced, and the loop is woken.
    #[test]
    fn writes_at_the_offset_and_wakes() {
        let path = std::env::temp_dir().join(format!("kame6-jsync-{}", std::process::id()));
        let file = Arc::new(
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .unwrap(),
        );
        file.write_all_at(b"head", 0).unwrap();
        let t = SyncThread::start("test-sync", 2).unwrap();
        assert!(t.try_done().is_none());
        let job = SyncJob {
            id: 7,
            file: Arc::clone(&file),
            at: 4,
            bytes: b"record".to_vec(),
            zeros: 3,
        };
        t.submit(job).unwrap();
        let mut fds = crate::sys::net::PollFds::new();
        fds.push(t.fd());
        let r = crate::sys::net::wait_readable(&fds, Some(Duration::from_secs(10))).unwrap();
        assert!(r.is_readable(0));
        drop(fds);
        let done = t.try_done().expect("the job ended");
        done.result.unwrap();
        assert_eq!((done.id, &done.bytes[..]), (7, &b"record"[..]));
        assert_eq!(std::fs::read(&path).unwrap(), b"headrecord\0\0\0");
        drop(t);
        let _ = std::fs::remove_file(&path);
    }
}
