//! The journal's writes and syncs on a thread of their own, so that the
//! server's loop goes on reading and answering while a commit waits for
//! the disk (doc/lease-journal.md "Syncs off the loop").
//!
//! An `fdatasync` is usually a fraction of a millisecond, but now and then
//! the disk takes tens of milliseconds, once in a while hundreds. Done on
//! the loop, every such sync held the whole server: nothing was read, the
//! socket's backlog aged, and the overload shedding took the server's own
//! stall for a flood. Here the loop hands a commit's records to the
//! thread ([`SyncThread::submit`]) and keeps working; the thread writes
//! them at the given offset, syncs, and reports ([`SyncThread::try_done`])
//! through a channel, waking the loop through a socket it polls
//! ([`SyncThread::fd`]). One job is out at a time: the loop gathers the
//! records of the turns committed meanwhile and hands them over together
//! when the job ends (group commit across turns).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Records to write at `at` in `file` and sync.
#[derive(Debug)]
pub struct SyncJob {
    /// The journal (shared with the store, which keeps writing to it
    /// after the job; replaced by a compaction only when no job is out).
    pub file: Arc<File>,
    /// Where the records go: after the last durable one.
    pub at: u64,
    /// The records.
    pub bytes: Vec<u8>,
}

/// A job done: its buffer back (for reuse) and how it went.
#[derive(Debug)]
pub struct SyncDone {
    /// The job's records, given back.
    pub bytes: Vec<u8>,
    /// The write and the sync, or the first error.
    pub result: io::Result<()>,
    /// How long the write and the sync took.
    pub took: Duration,
}

/// The thread and the two ways to it (see the module docs).
#[derive(Debug)]
pub struct SyncThread {
    jobs: Option<mpsc::Sender<SyncJob>>,
    done: mpsc::Receiver<SyncDone>,
    /// Readable when a job ended; drained by [`SyncThread::try_done`].
    wake: UnixStream,
    thread: Option<JoinHandle<()>>,
}

/// Writes `bytes` at `at` in `file` and syncs the data.
pub fn write_synced_at(file: &File, at: u64, bytes: &[u8]) -> io::Result<()> {
    file.write_all_at(bytes, at)?;
    file.sync_data()
}

impl SyncThread {
    /// Starts the thread, named `name` (seen in `ps -L` and `top -H`).
    pub fn start(name: &str) -> io::Result<Self> {
        let (wake, mut waker) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        // A wake-up already waiting is enough: never block on a full one.
        waker.set_nonblocking(true)?;
        let (jobs, job_rx) = mpsc::channel::<SyncJob>();
        let (done_tx, done) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                for job in job_rx {
                    let started = Instant::now();
                    let result = write_synced_at(&job.file, job.at, &job.bytes);
                    let took = started.elapsed();
                    let done = SyncDone {
                        bytes: job.bytes,
                        result,
                        took,
                    };
                    if done_tx.send(done).is_err() {
                        return;
                    }
                    let _ = waker.write(&[1]);
                }
            })?;
        Ok(Self {
            jobs: Some(jobs),
            done,
            wake,
            thread: Some(thread),
        })
    }

    /// Hands `job` to the thread; gives it back if the thread is gone.
    pub fn submit(&self, job: SyncJob) -> Result<(), SyncJob> {
        match &self.jobs {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }

    /// The job that ended, if one did (never waits).
    pub fn try_done(&self) -> Option<SyncDone> {
        let mut sink = [0u8; 64];
        while matches!((&self.wake).read(&mut sink), Ok(n) if n > 0) {}
        self.done.try_recv().ok()
    }

    /// Waits for the job out to end; `None` when the thread is gone.
    pub fn wait_done(&self) -> Option<SyncDone> {
        let d = self.done.recv().ok();
        let mut sink = [0u8; 64];
        while matches!((&self.wake).read(&mut sink), Ok(n) if n > 0) {}
        d
    }

    /// Polled by the loop: readable when a job has ended.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.wake.as_fd()
    }
}

impl Drop for SyncThread {
    /// Lets the job out finish (its records are then durable) and the
    /// thread end.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
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
        let t = SyncThread::start("test-sync").unwrap();
        assert!(t.try_done().is_none());
        let job = SyncJob {
            file: Arc::clone(&file),
            at: 4,
            bytes: b"record".to_vec(),
        };
        t.submit(job).unwrap();
        let mut fds = crate::sys::net::PollFds::new();
        fds.push(t.fd());
        let r = crate::sys::net::wait_readable(&fds, Some(Duration::from_secs(10))).unwrap();
        assert!(r.is_readable(0));
        drop(fds);
        let done = t.try_done().expect("the job ended");
        done.result.unwrap();
        assert_eq!(done.bytes, b"record");
        assert_eq!(std::fs::read(&path).unwrap(), b"headrecord");
        drop(t);
        let _ = std::fs::remove_file(&path);
    }
}
