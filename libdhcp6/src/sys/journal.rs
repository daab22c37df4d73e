//! The lease journal on disk: [`JournalStore`], the server's persistent
//! [`LeaseStore`]. Bindings live in a [`MemStore`]; every applied change is
//! also encoded (`lease::journal`) into a buffer, and [`LeaseStore::commit`]
//! writes the whole buffer with one write and one `fdatasync` — group
//! commit: the records of every packet of a loop turn share one sync, and
//! the server sends that turn's Replies only after it is durable. Once
//! [`JournalStore::sync_in_background`] ran, the writes and syncs happen
//! on threads of their own while the server goes on ([`LeaseStore::commit_start`],
//! the `background` module). The write
//! goes in place over zero-filled room grown ahead between turns
//! ([`LeaseStore::maintain`], `sys::journal_file`), so the sync changes no
//! metadata and does not wait for the filesystem's own journal. A write or
//! sync that fails cuts the file back to its last whole commit and rolls
//! the turn back in memory too, so memory and file agree. One server owns
//! a journal: a claim is refused only for what its own bindings or
//! quarantines hold.
//!
//! Opening replays the file a piece at a time straight into the store
//! (never holding the file whole, never building the state twice), cuts
//! off a torn tail, journals what ended while the server was down, and
//! goes on appending: the server answers as soon as the replay is done,
//! and compaction (below) rewrites the file later if that pays. A journal
//! that cannot be appended to as it is (new, its header torn, an older
//! format version) is replaced at once by a snapshot of what is live:
//! written beside, synced, renamed over, directory synced, so a crash at
//! any point leaves either the old journal or the new one, whole.
//!
//! When the journal grows past twice the size of a snapshot plus a floor,
//! it is compacted without stopping the server, a bounded step per call of
//! [`LeaseStore::maintain`] (between loop turns, never on the answer
//! path): the live bindings are written into a new file a chunk per step,
//! then the quarantines and the Reconfigure records a chunk per step too
//! (each resumed from a cursor in the store's order of ends), each chunk
//! followed by the records the turns committed to the old journal since
//! the step before, and synced. Then the new file gets its zero-filled
//! room, and the last step writes the last records into it, renames it
//! over the old one and syncs the directory. Each binding is written as it
//! stands when its chunk is written, and every change committed while the
//! compaction runs is written, in order, after every chunk read before
//! it was committed, so replaying the new file gives exactly the state of
//! the old one (every
//! record sets what it names, so replaying a change again after a later
//! state of the same binding ends in the same state). Until the rename the
//! old journal is the whole truth; a crash leaves a stray `.tmp.<pid>`,
//! removed at the next start.
//!
//! One server uses a journal at a time: [`JournalStore::open`] first takes
//! an exclusive `flock` on `PATH.lock` beside it ([`JournalLock`]), held
//! for the store's life, and refuses a journal another process holds. The
//! lock is on a file of its own because the journal itself is replaced by
//! rename at every start and every compaction: a lock on the journal's
//! inode would stay with the old, unlinked file, and a second server could
//! then lock the new one. `PATH.lock` is never renamed or removed (removing
//! it on exit would let a server starting at that moment lock a file that
//! the next one no longer sees), and holds the PID of its holder for the
//! refusal message.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::atomic::{self, tmp_path};
use super::journal_file::{self, JournalFile};

mod background;
use background::Background;

use crate::lease::journal::{self, apply_record, encode, Record, Replay};
use crate::lease::{
    Change, ClaimRefused, CommitError, KeyRef, LeaseStore, MemStore, Resource, SyncState,
};
use crate::stats::CommitStats;

/// Default floor of the compaction bound: a journal smaller than this is
/// never compacted, so a small server does not rewrite its file constantly.
pub const DEFAULT_COMPACT_FLOOR: u64 = 1 << 20;

/// Bindings (or quarantines, or Reconfigure records) written into the new
/// file per step of a compaction, one step between loop turns: about
/// 130 KiB, a write and a sync of a millisecond or two, never the whole
/// rewrite.
pub const DEFAULT_COMPACT_CHUNK: usize = 2048;

/// Empty slots passed over per chunk, times the chunk: a store emptied by
/// a mass expiry has many, and a step must not walk a million of them.
const SLOTS_PER_BINDING: usize = 8;

/// After a compaction failed, how long before another is begun (each try
/// writes and syncs, and logs).
const COMPACT_RETRY: std::time::Duration = std::time::Duration::from_secs(60);

/// What a compaction writes next.
#[derive(Debug)]
enum Phase {
    /// The bindings in the store's slots, from `next` up to `slots` (the
    /// slots when it began: the bindings in them are written as they
    /// stand when their chunk is; a binding in a slot freed and reused
    /// since is new, and also in the tail: written twice, harmlessly).
    Bindings { next: usize, slots: usize },
    /// The quarantines, in the order they end, after this one.
    Quarantines { after: Option<(u64, Resource)> },
    /// The Reconfigure records, in the order they end, after this one.
    Reconfs { after: Option<(u64, crate::Duid)> },
    /// Zero-filled room after what is written, so the journal the new file
    /// becomes is written in place from its first commit.
    Room,
    /// The last of the tail, then the rename.
    Finish,
}

/// A compaction under way (see the module docs).
#[derive(Debug)]
struct Compaction {
    /// The new journal, `atomic::tmp_path` of the journal's path.
    tmp: JournalFile,
    phase: Phase,
    /// Bindings written.
    written: usize,
    /// Octets of snapshot records written (the tail's not counted), for
    /// the octets per binding.
    snapshot: u64,
    /// Records committed to the old journal since the last step; each
    /// step writes them after its chunk.
    tail: Vec<u8>,
    /// For the log: when it began and the old journal's length then.
    started: std::time::Instant,
    before: u64,
}

/// One write of a compaction step into the new file.
#[derive(Debug)]
enum StepWrite {
    /// Snapshot records and the tail, synced.
    Records(Vec<u8>),
    /// Zero-filled room of this many octets, synced.
    Zeros(u64),
    /// The last of the tail and the rename.
    Finish,
}

/// Why a journal could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Reading, writing or syncing failed.
    #[error("{path}: {source}")]
    Io {
        /// The journal.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The file is not a journal this code can read; it is left untouched.
    #[error("{path}: {source}")]
    Format {
        /// The journal.
        path: PathBuf,
        /// What is wrong.
        source: journal::Error,
    },
    /// Another process (another dhcp6s) holds the journal's lock.
    #[error("{path}: in use by another dhcp6s ({}); two servers never share a lease journal", holder_text(*.pid))]
    Locked {
        /// The journal.
        path: PathBuf,
        /// The holder's PID, as its lock file says, when it could be read.
        pid: Option<u32>,
    },
}

/// The holder part of [`JournalError::Locked`]'s message.
fn holder_text(pid: Option<u32>) -> String {
    pid.map_or_else(|| "PID unknown".to_string(), |p| format!("PID {p}"))
}

/// The exclusive lock that makes one process a journal's only user: an
/// `flock` on `PATH.lock` (see the module docs for why not on the journal),
/// released when dropped or when the process ends however it ends.
#[derive(Debug)]
pub struct JournalLock {
    file: File,
}

/// World-readable: another server's refusal message reads the PID in it.
const LOCK_MODE: u32 = 0o644;

/// The most of a held lock file read for the holder's PID (a PID and a
/// newline take at most 11 octets).
const LOCK_TEXT_MAX: u64 = 32;

impl JournalLock {
    /// The lock file of the journal at `journal`: `PATH.lock`.
    pub fn path_of(journal: &Path) -> PathBuf {
        let mut p = journal.as_os_str().to_owned();
        p.push(".lock");
        PathBuf::from(p)
    }

    /// Takes the lock of the journal at `journal` without waiting, and
    /// writes this process's PID into the lock file. [`JournalError::Locked`]
    /// when another process holds it.
    pub fn acquire(journal: &Path) -> Result<Self, JournalError> {
        let io_err = |source| JournalError::Io {
            path: Self::path_of(journal),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(LOCK_MODE)
            .open(Self::path_of(journal))
            .map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                // Only a PID's worth: the file's size is not ours to trust.
                let mut text = String::new();
                let pid = (&file)
                    .take(LOCK_TEXT_MAX)
                    .read_to_string(&mut text)
                    .ok()
                    .and_then(|_| text.trim().parse().ok());
                return Err(JournalError::Locked {
                    path: journal.to_path_buf(),
                    pid,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_err(e)),
        }
        let mut lock = Self { file };
        lock.record_pid().map_err(io_err)?;
        Ok(lock)
    }

    /// Writes this process's PID into the lock file: after taking the lock,
    /// and again after detaching (the lock goes with the file description
    /// to the forked child; the PID written before was the parent's).
    pub fn record_pid(&mut self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        writeln!(self.file, "{}", std::process::id())
    }
}

/// What opening a journal found, for the start-up log.
#[derive(Debug)]
pub struct OpenReport {
    /// The file did not exist and was created.
    pub created: bool,
    /// Good records replayed.
    pub records: u64,
    /// A damaged tail that was cut off.
    pub damage: Option<journal::Damage>,
    /// Leases and quarantines that had ended while the server was down.
    pub expired: Vec<Change>,
}

/// A journal just opened, and what opening it found.
#[derive(Debug)]
pub struct Opened {
    /// The store, its bindings replayed.
    pub store: JournalStore,
    /// What the replay found, for the start-up log.
    pub report: OpenReport,
}

/// Bindings in memory, every change journaled to a file before the Replies
/// that depend on it leave (see the module docs).
#[derive(Debug)]
pub struct JournalStore {
    mem: MemStore,
    path: PathBuf,
    /// The file, written in place over zero-filled room.
    out: JournalFile,
    /// Encoded records not yet written.
    pending: Vec<u8>,
    /// The last growth of the room failed (logged once until one works).
    grow_failed: bool,
    /// A compaction failed: none is begun again before then.
    compact_retry_at: Option<Instant>,
    /// Octets per binding in the last snapshot, to estimate the size of
    /// the live state without encoding it.
    per_binding: u64,
    compact_floor: u64,
    compact_chunk: usize,
    compactions: u64,
    compacting: Option<Compaction>,
    /// Commits, failures and their latency, for the statistics.
    stats: CommitStats,
    /// Held for the store's life: no other server opens this journal.
    lock: JournalLock,
    /// The sync threads and their jobs, once started
    /// ([`JournalStore::sync_in_background`]); until then every commit
    /// writes and syncs on the caller's thread.
    syncer: Option<Background>,
    /// Records of the turns committed while every sync thread had a job,
    /// handed over together when one ends.
    queued: Vec<u8>,
    /// The last ticket given to a turn with changes.
    issued: u64,
    /// Where the tickets stand (see [`SyncState`]).
    sync: SyncState,
}

/// The bytes of the journal file at `path`; `None` when there is none.
pub fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, JournalError> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(JournalError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Reads the journal at `path` without changing it (for listing leases),
/// a piece at a time straight into the store (`journal::replay_from`).
/// A missing file is an empty journal.
pub fn read(path: &Path, now: u64) -> Result<Replay, JournalError> {
    let io_err = |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match File::open(path) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(e)),
    };
    let len = match &file {
        Some(f) => f.metadata().map_err(io_err)?.len(),
        None => 0,
    };
    let read = |buf: &mut [u8]| loop {
        let Some(f) = file.as_mut() else {
            return Ok(0);
        };
        match f.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            r => return r,
        }
    };
    journal::replay_from(len, now, read)
        .map_err(io_err)?
        .map_err(|source| JournalError::Format {
            path: path.to_path_buf(),
            source,
        })
}

/// True when the journal at `path` starts with this code's own header,
/// so that records can be appended to it as it is.
fn header_is_current(path: &Path) -> bool {
    let mut head = [0u8; journal::HEADER_LEN];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == journal::header()
}

/// Owner only: the journal holds clients' reconfigure keys.
const JOURNAL_MODE: u32 = 0o600;

fn replace(path: &Path, bytes: &[u8]) -> io::Result<File> {
    atomic::replace(path, bytes, JOURNAL_MODE)
}

impl JournalStore {
    /// Opens (or creates) the journal at `path`: replays it as of `now`
    /// (Unix seconds), drops what has ended and cuts off a damaged tail
    /// (see the module docs). A file of an unknown or newer
    /// format is refused and left as it is; so is a journal another
    /// process has open ([`JournalError::Locked`], before anything is read
    /// or changed).
    pub fn open(path: &Path, now: u64) -> Result<Opened, JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let lock = JournalLock::acquire(path)?;
        // A leftover from a compaction that was interrupted; the journal
        // itself is still the whole truth.
        atomic::remove_leftovers(path);
        let created = !path.exists();
        let replay = read(path, now)?;
        let (out, snapshot_len) =
            if !created && replay.good_len >= journal::HEADER_LEN as u64 && header_is_current(path)
            {
                Self::reopen(path, &replay).map_err(io_err)?
            } else {
                let snap = journal::snapshot(&replay.store);
                let file = replace(path, &snap).map_err(io_err)?;
                let n = snap.len() as u64;
                (JournalFile::new(file, n, n), snap.len())
            };
        let mut store = Self {
            mem: replay.store,
            path: path.to_path_buf(),
            out,
            pending: Vec::new(),
            grow_failed: false,
            compact_retry_at: None,
            per_binding: 0,
            compact_floor: DEFAULT_COMPACT_FLOOR,
            compact_chunk: DEFAULT_COMPACT_CHUNK,
            compactions: 0,
            compacting: None,
            stats: CommitStats::default(),
            lock,
            syncer: None,
            queued: Vec::new(),
            issued: 0,
            sync: SyncState {
                durable: 0,
                started: 0,
                failures: 0,
            },
        };
        store.measure(snapshot_len);
        let report = OpenReport {
            created,
            records: replay.records,
            damage: replay.damage,
            expired: replay.expired,
        };
        Ok(Opened { store, report })
    }

    /// Opens a replayed journal of the current format to append to it, as
    /// it is rather than rewritten (the server answers sooner; compaction
    /// rewrites it later, a chunk per turn, if that pays): a damaged tail
    /// is cut off and what ended while the server was down is journaled,
    /// both synced; the zero-filled room after the last record (when it
    /// has some) is kept and written into. Returns the file and the length
    /// a snapshot of the replayed state would have.
    fn reopen(path: &Path, replay: &Replay) -> io::Result<(JournalFile, usize)> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let size = if replay.damage.is_some() {
            file.set_len(replay.good_len)?;
            file.sync_data()?;
            replay.good_len
        } else {
            file.metadata()?.len()
        };
        let mut out = JournalFile::new(file, replay.good_len, size);
        let mut ended = Vec::new();
        for c in &replay.expired {
            encode(&Record::Change(c.clone()), &mut ended);
        }
        out.write_synced(&ended)?;
        let snapshot_len = journal::HEADER_LEN
            + replay
                .store
                .bindings()
                .map(journal::encoded_len)
                .sum::<usize>();
        Ok((out, snapshot_len))
    }

    /// Sets the floor of the compaction bound (the journal is compacted
    /// when it exceeds twice the estimated size of a snapshot plus this).
    pub fn set_compact_floor(&mut self, bytes: u64) {
        self.compact_floor = bytes;
    }

    /// Sets how many bindings a loop turn writes while compacting.
    pub fn set_compact_chunk(&mut self, bindings: usize) {
        self.compact_chunk = bindings.max(1);
    }

    /// True while a compaction is under way.
    pub fn compacting(&self) -> bool {
        self.compacting.is_some()
    }

    /// Octets of records in the file (durable ones; pending records and
    /// the zero-filled room after them not counted).
    pub fn file_len(&self) -> u64 {
        self.out.len()
    }

    /// The file's length: its records and the zero-filled room after them.
    pub fn allocated(&self) -> u64 {
        self.out.allocated()
    }

    /// Compactions done since opening.
    pub fn compactions(&self) -> u64 {
        self.compactions
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes this process's PID into the journal's lock file (call after
    /// detaching from the terminal: see [`JournalLock::record_pid`]).
    pub fn record_pid(&mut self) -> io::Result<()> {
        self.lock.record_pid()
    }

    /// Rewrites the journal as a snapshot of the live bindings at once
    /// (the server loop compacts a chunk per turn instead).
    pub fn compact(&mut self) -> io::Result<()> {
        // A failure here is counted and seen by the server's next poll;
        // a growth out is waited for (it writes to the file replaced).
        let _ = self.sync_all();
        self.wait_all_out();
        self.abandon_compaction();
        let snap = journal::snapshot(&self.mem);
        let file = replace(&self.path, &snap)?;
        let n = snap.len() as u64;
        self.out = JournalFile::new(file, n, n);
        self.measure(snap.len());
        self.compactions += 1;
        Ok(())
    }

    /// Learns the octets per binding from a snapshot of `snap_len` octets.
    fn measure(&mut self, snap_len: usize) {
        let n = self.mem.len() as u64;
        let body = (snap_len as u64).saturating_sub(journal::HEADER_LEN as u64);
        // Before any binding exists, a one-lease Bind of a typical DUID.
        self.per_binding = if n == 0 { 64 } else { body.div_ceil(n) };
    }

    /// Whether the journal is long enough, against what a snapshot of the
    /// live bindings would take, to be worth compacting. Estimated from the
    /// binding count, so a journal of only live records (a flood of new
    /// clients) is not rewritten again and again for nothing.
    fn worth_compacting(&self) -> bool {
        let live = journal::HEADER_LEN as u64 + self.mem.len() as u64 * self.per_binding;
        self.out.len() > live.saturating_mul(2) + self.compact_floor
    }

    /// Begins an incremental compaction: the new file is created, and
    /// its header goes with the first chunk, written at once.
    fn start_compaction(&mut self) -> io::Result<()> {
        self.begin_compaction()?;
        self.compaction_step().map(|_| ())
    }

    /// Creates the new file of a compaction; nothing is written yet.
    fn begin_compaction(&mut self) -> io::Result<()> {
        let tmp = atomic::create_tmp(&self.path, JOURNAL_MODE)?;
        self.compacting = Some(Compaction {
            tmp: JournalFile::new(tmp, 0, 0),
            phase: Phase::Bindings {
                next: 0,
                slots: self.mem.slots(),
            },
            written: 0,
            snapshot: journal::HEADER_LEN as u64,
            tail: Vec::new(),
            started: std::time::Instant::now(),
            before: self.out.len(),
        });
        Ok(())
    }

    /// Encodes the next chunk of what the compaction writes into `buf`:
    /// `chunk` records, taken from one phase after the other (a small
    /// store is written in one step), the phase moved on as each is done.
    fn next_chunk(mem: &MemStore, c: &mut Compaction, chunk: usize, buf: &mut Vec<u8>) {
        let start = buf.len();
        let mut budget = chunk;
        while budget > 0 {
            let n = match &mut c.phase {
                Phase::Bindings { next, slots } => {
                    // So many bindings, however many slots they are spread
                    // over, within a bound on the empty ones.
                    let (mut n, mut visited) = (0, 0);
                    while *next < *slots && n < budget && visited < chunk * SLOTS_PER_BINDING {
                        if let Some(b) = mem.binding_at(*next) {
                            journal::encode_binding(b, buf);
                            n += 1;
                        }
                        *next += 1;
                        visited += 1;
                    }
                    c.written += n;
                    if *next < *slots {
                        break;
                    }
                    c.phase = Phase::Quarantines { after: None };
                    n
                }
                Phase::Quarantines { after } => {
                    let mut n = 0;
                    for q in mem.quarantines_after(*after).take(budget) {
                        let (res, until) = (q.res, q.until);
                        encode(&Record::Quarantine { res, until }, buf);
                        *after = Some((until, res));
                        n += 1;
                    }
                    if n == budget {
                        break;
                    }
                    c.phase = Phase::Reconfs { after: None };
                    n
                }
                Phase::Reconfs { after } => {
                    let mut n = 0;
                    let mut last = None;
                    for r in mem.reconfs_after(after.take()).take(budget) {
                        journal::encode_reconf(r.duid, r.info, buf);
                        last = Some((r.info.until, r.duid.clone()));
                        n += 1;
                    }
                    if n == budget {
                        c.phase = Phase::Reconfs { after: last };
                        break;
                    }
                    c.phase = Phase::Room;
                    n
                }
                Phase::Room | Phase::Finish => break,
            };
            budget = budget.saturating_sub(n.max(1));
        }
        c.snapshot += (buf.len() - start) as u64;
    }

    /// One step of the compaction under way: the next chunk, then the
    /// records committed since the last step, written and synced; or the
    /// room; or, once everything is written, the rest of the tail and the
    /// rename. Ok(true) once done.
    fn compaction_step(&mut self) -> io::Result<bool> {
        match self.next_compaction_write() {
            None => Ok(true),
            Some(StepWrite::Records(buf)) => {
                if let Some(c) = self.compacting.as_mut() {
                    c.tmp.write_synced(&buf)?;
                }
                Ok(false)
            }
            Some(StepWrite::Zeros(n)) => {
                if let Some(c) = self.compacting.as_mut() {
                    c.tmp.grow(n)?;
                }
                Ok(false)
            }
            Some(StepWrite::Finish) => self.finish_compaction().map(|()| true),
        }
    }

    /// What the compaction under way writes next into the new file (the
    /// phase moved on past it), `None` when none is under way.
    fn next_compaction_write(&mut self) -> Option<StepWrite> {
        let chunk = self.compact_chunk;
        let c = self.compacting.as_mut()?;
        Some(match c.phase {
            Phase::Room => {
                c.phase = Phase::Finish;
                StepWrite::Zeros(journal_file::GROW_CHUNK)
            }
            Phase::Finish => StepWrite::Finish,
            _ => {
                // The header (in the first step), the chunk, then the
                // records committed since the last step.
                let mut buf = Vec::new();
                if c.tmp.is_empty() {
                    buf.extend_from_slice(&journal::header());
                }
                Self::next_chunk(&self.mem, c, chunk, &mut buf);
                buf.append(&mut c.tail);
                StepWrite::Records(buf)
            }
        })
    }

    /// The compaction's last step: the rest of the tail, written in place
    /// over the new file's room (a sync of data alone), then the rename.
    /// The new file then holds every turn committed; records still out
    /// for the old file no longer count (`background::leave_old_file`).
    fn finish_compaction(&mut self) -> io::Result<()> {
        let Some(c) = self.compacting.as_mut() else {
            return Ok(());
        };
        c.tmp.write_synced(&c.tail)?;
        c.tail.clear();
        atomic::commit(&self.path)?;
        let Some(c) = self.compacting.take() else {
            return Ok(());
        };
        crate::log_info!(
            "journal_commit",
            "{}: compacted {} to {} octets in {} ms ({} bindings, a chunk of {} per turn)",
            self.path.display(),
            c.before,
            c.tmp.len(),
            c.started.elapsed().as_millis(),
            c.written,
            self.compact_chunk
        );
        self.out = c.tmp;
        self.measure(usize::try_from(c.snapshot).unwrap_or(usize::MAX));
        self.compactions += 1;
        Ok(())
    }

    /// Grows the room of the journal when it runs low, unless a growth
    /// failed lately. True when it did something (one sync's worth).
    fn grow_room(&mut self) -> bool {
        match self.out.grow_when_low() {
            None => false,
            Some(r) => {
                self.note_growth(r);
                true
            }
        }
    }

    /// Takes in how a growth of the room went (here or on a sync thread):
    /// a failure is logged once until a growth works again.
    fn note_growth(&mut self, r: io::Result<()>) {
        match r {
            Ok(()) => self.grow_failed = false,
            Err(e) => {
                if !self.grow_failed {
                    crate::log_warn!(
                        "journal_commit",
                        "{}: growing the journal's room: {e}; appending meanwhile",
                        self.path.display()
                    );
                }
                self.grow_failed = true;
            }
        }
    }

    /// A step of the compaction under way, or its start when the journal
    /// is worth compacting; a failure abandons it (retried later).
    fn compaction_turn(&mut self) {
        let may_start = self.compact_retry_at.is_none_or(|t| Instant::now() >= t);
        let step = if self.compacting.is_some() {
            self.compaction_step().map(|_| ())
        } else if may_start && self.worth_compacting() {
            self.start_compaction()
        } else {
            Ok(())
        };
        if let Err(e) = step {
            self.compaction_failed(&e);
        }
    }

    /// Drops the compaction under way after `e`; another is begun only
    /// after [`COMPACT_RETRY`].
    fn compaction_failed(&mut self, e: &io::Error) {
        self.abandon_compaction();
        self.compact_retry_at = Some(Instant::now() + COMPACT_RETRY);
        crate::log_err!(
            "journal_commit",
            "{}: compaction failed: {e}",
            self.path.display()
        );
    }

    /// Drops a compaction under way; the old journal stays.
    fn abandon_compaction(&mut self) {
        if self.compacting.take().is_some() {
            let _ = fs::remove_file(tmp_path(&self.path));
        }
    }

    /// Writes and syncs `bytes` (the records up to ticket `t`) on this
    /// thread.
    fn write_here(&mut self, t: u64, bytes: &[u8]) -> Result<(), CommitError> {
        let started = Instant::now();
        let (file, at) = self.out.next_write();
        let r = if bytes.is_empty() {
            Ok(())
        } else {
            super::journal_sync::write_synced_at(&file, at, bytes)
        };
        self.sync.started = t;
        self.finish(t, bytes, r, started.elapsed())
    }

    /// Takes in how writing `bytes` (the records up to ticket `t`) went.
    /// Durable: counted, kept for a compaction under way, their turns
    /// settled. Failed: the file is cut back to its last record, and
    /// every turn not yet durable is rolled back in memory, the queued
    /// records dropped.
    fn finish(
        &mut self,
        t: u64,
        bytes: &[u8],
        outcome: io::Result<()>,
        took: std::time::Duration,
    ) -> Result<(), CommitError> {
        if let Err(e) = self.out.written(bytes.len(), outcome) {
            self.stats.failures += 1;
            // Its tail, and maybe its chunks, hold what is rolled back.
            self.abandon_compaction();
            self.queued.clear();
            self.pending.clear();
            self.mem.rollback_unsettled();
            self.sync = SyncState {
                durable: self.issued,
                started: self.issued,
                failures: self.sync.failures + 1,
            };
            return Err(CommitError::Io(e));
        }
        self.stats.commits += 1;
        self.stats.bytes += bytes.len() as u64;
        self.stats.latency.observe_duration(took);
        self.sync.durable = t;
        self.mem.settle_turns(t);
        Ok(())
    }

    fn record(&mut self, change: Change) {
        let rec = Record::Change(change);
        encode(&rec, &mut self.pending);
        apply_record(&mut self.mem, rec);
    }
}

impl LeaseStore for JournalStore {
    crate::delegate_lease_reads!(mem);

    fn commit_stats(&self) -> Option<&CommitStats> {
        Some(&self.stats)
    }

    fn claim(&mut self, key: KeyRef<'_>, res: &Resource) -> Result<(), ClaimRefused> {
        self.mem.claim(key, res)
    }

    fn apply(&mut self, change: Change) {
        self.record(change);
    }

    fn commit(&mut self) -> Result<(), CommitError> {
        let t = self.commit_start()?;
        self.wait_durable(t)
    }

    /// Seals the turn in memory with a ticket and queues its records: in
    /// the background once [`sync_in_background`](JournalStore::sync_in_background)
    /// ran (handed to the thread at once when no job is out, else when
    /// the job out ends), else written and synced before returning. In
    /// place over the room (a sync of data alone) unless the room ran
    /// out: then appended, as before there was room.
    fn commit_start(&mut self) -> Result<u64, CommitError> {
        if self.pending.is_empty() {
            self.mem.commit()?;
            return Ok(self.issued);
        }
        self.issued += 1;
        let t = self.issued;
        self.mem.seal_turn(t);
        // In commit order, before any later chunk is read (module docs).
        if let Some(c) = self.compacting.as_mut() {
            c.tail.extend_from_slice(&self.pending);
        }
        if self.syncer.is_none() {
            let bytes = std::mem::take(&mut self.pending);
            let done = self.write_here(t, &bytes);
            self.pending = bytes;
            self.pending.clear();
            return done.map(|()| t);
        }
        self.queued.append(&mut self.pending);
        self.hand_over();
        Ok(t)
    }

    fn poll_synced(&mut self, wait: bool) -> Result<(), CommitError> {
        self.poll_background(wait)
    }

    fn sync_state(&self) -> SyncState {
        self.sync
    }

    fn sync_all(&mut self) -> Result<(), CommitError> {
        self.wait_durable(self.issued)
    }

    fn sync_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.syncer.as_ref().map(Background::fd)
    }

    /// One piece of work per call, none while a turn is open: grow the
    /// room when it runs low, else a step of the compaction under way (or
    /// its start). What was committed is durable already; a failed
    /// compaction only leaves the journal longer than it need be.
    fn maintain(&mut self) -> bool {
        if !self.pending.is_empty() {
            return false;
        }
        if let Some(bg) = self.syncer.as_mut() {
            // The room grows and a compaction is written on the sync
            // threads too (the end of a job wakes the loop).
            bg.grow_when_low(&mut self.out, &self.queued, &self.path);
            self.compaction_in_background();
            return false;
        }
        if !self.grow_room() {
            self.compaction_turn();
        }
        self.compacting.is_some() || self.out.wants_room()
    }

    fn rollback(&mut self) {
        self.pending.clear();
        self.mem.rollback();
    }

    fn expire(&mut self, now: u64, max: usize) -> Vec<Resource> {
        let ended = self.mem.expire_changes(now, max);
        let mut freed = Vec::with_capacity(ended.len());
        for c in ended {
            if let Change::Expire { key: _, res } | Change::Unquarantine(res) = &c {
                freed.push(*res);
            }
            encode(&Record::Change(c), &mut self.pending);
        }
        freed
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // offsets into a small test file
mod tests {
    use super::*;
    use crate::duid::Duid;
    use crate::lease::journal::{header, DamageKind};
    use crate::lease::{Binding, BindingKey, BoundLease, IaKind, Quarantine};
    use std::net::Ipv6Addr;

    struct TempDir(PathBuf);
    impl TempDir {
        fn new(tag: &str) -> Self {
            let p =
                std::env::temp_dir().join(format!("kame6-journal-{}-{tag}", std::process::id()));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            Self(p)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn key(n: u16) -> BindingKey {
        let [a, b] = n.to_be_bytes();
        BindingKey {
            duid: Duid::from_bytes(&[0, 3, 0, 1, a, b]).unwrap(),
            kind: IaKind::Na,
            iaid: 1,
        }
    }

    fn res(n: u16) -> Resource {
        Resource {
            addr: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n),
            len: 128,
        }
    }

    /// A new journal `leases` in a directory of its own, compacted as soon
    /// as it grows, `chunk` records per step.
    fn compacting(tag: &str, chunk: usize) -> (TempDir, JournalStore) {
        let d = TempDir::new(tag);
        let Opened { store: mut s, .. } = JournalStore::open(&d.0.join("leases"), 0).unwrap();
        s.set_compact_floor(0);
        s.set_compact_chunk(chunk);
        (d, s)
    }

    impl JournalStore {
        /// Binds `n` and declines it at once: a quarantine.
        fn decline_for_test(&mut self, n: u16) {
            self.apply(bind(n, 1000, 0));
            self.apply(Change::Decline {
                key: key(n),
                res: res(n),
                until: 1_000_000,
            });
        }
    }

    fn bind(n: u16, valid: u32, now: u64) -> Change {
        Change::Bind(Binding {
            key: key(n),
            leases: smallvec::smallvec![BoundLease {
                res: res(n),
                preferred: valid,
                valid,
                updated: now,
            }],
        })
    }

    /// A write that fails rolls the turn back: memory returns to what the
    /// file holds, and the next commit appends whole records after it.
    #[test]
    fn failed_commit_rolls_the_turn_back() {
        let d = TempDir::new("rollback");
        let path = d.0.join("leases");
        let Opened { store: mut s, .. } = JournalStore::open(&path, 0).unwrap();
        let first_len = s.file_len();
        s.apply(bind(1, 1000, 0));
        s.commit().unwrap();
        let good = break_writes(&mut s, &path);
        s.apply(bind(2, 1000, 0));
        s.apply(Change::Release {
            key: key(1),
            res: res(1),
        });
        assert!(s.binding(&key(2)).is_some(), "visible before the commit");
        assert!(matches!(s.commit(), Err(CommitError::Io(_))));
        assert!(s.binding(&key(2)).is_none());
        assert!(s.binding(&key(1)).is_some());
        assert!(!s.is_leased(&res(2)));
        s.out.swap_file(good);
        s.apply(bind(3, 1000, 0));
        s.commit().unwrap();
        // Nothing pending: not a commit the statistics count.
        s.commit().unwrap();
        let st = s.commit_stats().unwrap();
        assert_eq!((st.commits, st.failures), (2, 1));
        assert_eq!(st.latency.count(), 2, "one latency per successful commit");
        assert_eq!(st.bytes, s.file_len() - first_len);
        let on_disk = read(&path, 0).unwrap();
        assert!(on_disk.damage.is_none());
        let mut keys: Vec<BindingKey> = on_disk.store.bindings().map(|b| b.key.clone()).collect();
        keys.sort();
        assert_eq!(keys, vec![key(1), key(3)]);
    }

    /// Makes the next writes fail (a descriptor opened read-only); the
    /// good one is returned, to be put back.
    fn break_writes(s: &mut JournalStore, path: &Path) -> std::sync::Arc<File> {
        s.out
            .swap_file(std::sync::Arc::new(File::open(path).unwrap()))
    }

    /// A new journal `leases` in a directory of its own, syncing on its
    /// threads.
    fn in_background(tag: &str) -> (TempDir, JournalStore) {
        let d = TempDir::new(tag);
        let Opened { store: mut s, .. } = JournalStore::open(&d.0.join("leases"), 0).unwrap();
        s.sync_in_background().unwrap();
        (d, s)
    }

    /// Keys of the bindings in `store`, sorted.
    fn keys_of(store: &impl LeaseStore) -> Vec<BindingKey> {
        let mut keys: Vec<BindingKey> = store.bindings().map(|b| b.key.clone()).collect();
        keys.sort();
        keys
    }

    /// In the background, turns committed while the sync threads are busy
    /// are queued and synced together after; tickets count up, `durable`
    /// follows them, and the file replays to what memory holds. The
    /// store's own work never asks the loop to spin (a job's end wakes it).
    #[test]
    fn background_commits_become_durable_in_order() {
        let (d, mut s) = in_background("background");
        let path = d.0.join("leases");
        assert!(s.sync_fd().is_some());
        let mut last = 0;
        for n in 1..=20u16 {
            s.apply(bind(n, 1000, 0));
            let t = s.commit_start().unwrap();
            assert_eq!(t, last + 1, "one ticket per turn with changes");
            last = t;
            assert!(!s.maintain(), "nothing of the store's own work meanwhile");
        }
        // A turn without changes waits for the last one.
        assert_eq!(s.commit_start().unwrap(), last);
        assert!(s.sync_state().started >= 1);
        for _ in 0..100 {
            if s.sync_state().durable == last {
                break;
            }
            s.poll_synced(true).unwrap();
        }
        let st = s.sync_state();
        assert_eq!((st.durable, st.started, st.failures), (last, last, 0));
        assert!(s.commit_stats().unwrap().commits <= 20);
        assert_eq!(keys_of(&read(&path, 0).unwrap().store), keys_of(&s));
        // The foreground commit waits for its turn.
        s.apply(bind(21, 1000, 0));
        s.commit().unwrap();
        assert_eq!(s.sync_state().durable, last + 1);
        assert_eq!(keys_of(&read(&path, 0).unwrap().store).len(), 21);
    }

    /// A background sync that fails rolls back its turns and every turn
    /// queued behind it, counts a failure, and cuts the file back; the
    /// next commit goes on after the last durable record.
    #[test]
    fn a_failed_background_sync_rolls_back_every_turn_not_durable() {
        let (d, mut s) = in_background("background-fail");
        let path = d.0.join("leases");
        s.apply(bind(1, 1000, 0));
        s.commit().unwrap();
        let good = break_writes(&mut s, &path);
        s.apply(bind(2, 1000, 0));
        let t2 = s.commit_start().unwrap();
        s.apply(bind(3, 1000, 0));
        s.apply(Change::Release {
            key: key(1),
            res: res(1),
        });
        let t3 = s.commit_start().unwrap();
        assert!(t3 > t2);
        assert!(
            s.binding(&key(3)).is_some(),
            "later turns build on earlier ones"
        );
        // Two jobs are out; they may end in either order, and the failure
        // counts when the first ends.
        let mut failed = None;
        for _ in 0..10 {
            if let Err(e) = s.poll_synced(true) {
                failed = Some(e);
                break;
            }
        }
        assert!(matches!(failed, Some(CommitError::Io(_))));
        let st = s.sync_state();
        assert_eq!(st.failures, 1);
        assert!(st.durable >= t3, "nothing is left waiting");
        assert_eq!(keys_of(&s), vec![key(1)], "back to the last durable turn");
        assert!(s.is_leased(&res(1)) && !s.is_leased(&res(2)) && !s.is_leased(&res(3)));
        s.out.swap_file(good);
        s.apply(bind(4, 1000, 0));
        s.commit().unwrap();
        let on_disk = read(&path, 0).unwrap();
        assert!(on_disk.damage.is_none());
        assert_eq!(keys_of(&on_disk.store), vec![key(1), key(4)]);
        assert_eq!(keys_of(&s), vec![key(1), key(4)]);
    }

    /// A xorshift generator of test changes.
    struct Rnd(u64);

    impl Rnd {
        fn below(&mut self, m: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % m
        }

        /// A random change of 60 clients and addresses in round `round`.
        fn change(&mut self, round: u64) -> Change {
            let n = u16::try_from(self.below(60)).unwrap();
            let m = u16::try_from(self.below(60)).unwrap();
            match self.below(6) {
                5 => Change::Reconf {
                    duid: key(n).duid,
                    info: (m % 3 != 0).then(|| crate::lease::ReconfInfo {
                        key: [u8::try_from(m).unwrap(); 16],
                        path: vec![1, 2, 3],
                        until: 10_000_000,
                    }),
                },
                0 | 1 => bind(n, 100_000, round),
                // A binding that takes another's address.
                2 => Change::Bind(Binding {
                    key: key(n),
                    leases: smallvec::smallvec![BoundLease {
                        res: res(m),
                        preferred: 50,
                        valid: 100_000,
                        updated: round,
                    }],
                }),
                3 => Change::Release {
                    key: key(n),
                    res: res(n),
                },
                _ => Change::Decline {
                    key: key(n),
                    res: res(n),
                    until: 1_000_000 + round,
                },
            }
        }
    }

    /// Everything a store holds, sorted, to compare two stores.
    #[allow(clippy::type_complexity)]
    fn state_of(
        st: &dyn LeaseStore,
    ) -> (
        Vec<(BindingKey, Vec<Resource>)>,
        Vec<Quarantine>,
        Vec<(crate::Duid, crate::lease::ReconfInfo)>,
    ) {
        let mut b: Vec<(BindingKey, Vec<Resource>)> = st
            .bindings()
            .map(|b| (b.key.clone(), b.leases.iter().map(|l| l.res).collect()))
            .collect();
        b.sort();
        let mut q: Vec<Quarantine> = st.quarantined().collect();
        q.sort();
        let mut r: Vec<(crate::Duid, crate::lease::ReconfInfo)> = st
            .reconfs()
            .map(|r| (r.duid.clone(), r.info.clone()))
            .collect();
        r.sort_by(|a, b| a.0.cmp(&b.0));
        (b, q, r)
    }

    /// In the background, with two jobs out that may end in any order,
    /// the room grown by jobs of zeros beside them and compactions run
    /// whenever nothing is out: whenever everything committed is durable,
    /// the file replays to exactly the state in memory.
    #[test]
    fn background_commits_growth_and_compaction_keep_every_commit() {
        let (d, mut s) = compacting("bg-incr", 512);
        let path = d.0.join("leases");
        s.sync_in_background().unwrap();
        let mut rnd = Rnd(0x9e37_79b9_7f4a_7c15);
        let mut last = 0;
        for round in 0..600u64 {
            for _ in 0..rnd.below(6) + 1 {
                s.apply(rnd.change(round));
            }
            // Now and then a turn with a lot of records, so that the room
            // runs low and grows while records are out.
            if round % 50 == 0 {
                for n in 0..2000u16 {
                    s.apply(bind(100 + n, 100_000, round));
                }
            }
            last = s.commit_start().unwrap();
            if round % 4 == 0 {
                // Time for the jobs out to end, as a loop's poll gives.
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            s.poll_synced(false).unwrap();
            s.maintain();
            if round % 25 == 24 {
                s.sync_all().unwrap();
                assert_eq!(s.sync_state().durable, last);
                let on_disk = read(&path, 0).unwrap();
                assert!(on_disk.damage.is_none(), "round {round}");
                assert_eq!(state_of(&on_disk.store), state_of(&s), "round {round}");
            }
        }
        s.sync_all().unwrap();
        assert_eq!(s.sync_state().durable, last);
        assert_eq!(s.sync_state().failures, 0);
        assert!(s.compactions() > 0, "compactions: {}", s.compactions());
        assert!(s.allocated() > s.file_len(), "the room grew");
        drop(s);
        let on_disk = read(&path, 0).unwrap();
        assert!(on_disk.damage.is_none());
    }

    /// The incremental compaction (module docs): under a stream of random
    /// changes, with compactions begun and finished between them, the file
    /// on disk replays after every commit to exactly the state in memory,
    /// and compactions do finish and keep the file short.
    #[test]
    fn incremental_compaction_keeps_every_commit() {
        let (d, mut s) = compacting("incr", 7);
        let path = d.0.join("leases");
        let mut rnd = Rnd(0x2545_f491_4f6c_dd1d);
        let mut max_len = 0;
        for round in 0..400u64 {
            for _ in 0..rnd.below(6) + 1 {
                s.apply(rnd.change(round));
            }
            s.commit().unwrap();
            s.maintain();
            let on_disk = read(&path, 0).unwrap();
            assert!(on_disk.damage.is_none(), "round {round}");
            assert_eq!(state_of(&on_disk.store), state_of(&s), "round {round}");
            max_len = max_len.max(s.file_len());
        }
        assert!(
            s.compactions() > 3,
            "compactions finished: {}",
            s.compactions()
        );
        assert!(max_len < 64 * 1024, "the file stays short: {max_len}");
        drop(s);
        // A crash in the middle of a compaction leaves the old journal and a
        // stray new one, which the next start removes.
        let Opened { store: mut s, .. } = JournalStore::open(&path, 0).unwrap();
        s.set_compact_floor(0);
        s.set_compact_chunk(1);
        // Renewals of the same few bindings grow the file until a
        // compaction begins; stop while it is under way.
        let mut t = 0;
        while !s.compacting() {
            t += 1;
            assert!(t < 10_000, "no compaction began");
            s.apply(bind(u16::try_from(t % 5).unwrap(), 100_000, t));
            s.commit().unwrap();
            s.maintain();
        }
        s.apply(bind(9, 100_000, t));
        s.commit().unwrap();
        s.maintain();
        assert!(s.compacting());
        let expect = state_of(&s);
        drop(s);
        let Opened {
            store: s,
            report: r,
        } = JournalStore::open(&path, 0).unwrap();
        assert!(r.damage.is_none());
        assert_eq!(state_of(&s), expect);
        assert!(!tmp_path(&path).exists());
    }

    #[test]
    fn committed_changes_survive_reopen() {
        let d = TempDir::new("reopen");
        let path = d.0.join("leases");
        let Opened {
            store: mut s,
            report: r,
        } = JournalStore::open(&path, 1000).unwrap();
        assert!(r.created);
        for n in 1..=5 {
            s.apply(bind(n, 100, 1000));
        }
        s.apply(Change::Release {
            key: key(2),
            res: res(2),
        });
        s.apply(Change::Decline {
            key: key(3),
            res: res(3),
            until: 5000,
        });
        s.commit().unwrap();
        // Applied but never committed: a crash loses it, and no Reply went out.
        s.apply(bind(9, 100, 1000));
        drop(s);
        let Opened {
            store: s,
            report: r,
        } = JournalStore::open(&path, 1050).unwrap();
        assert!(!r.created);
        assert_eq!(r.records, 7, "five binds, a release, a decline");
        assert_eq!(r.damage, None);
        assert_eq!(s.holder(&res(1)), Some(&key(1)));
        assert_eq!(s.holder(&res(2)), None);
        assert!(s.is_leased(&res(3)) && s.holder(&res(3)).is_none());
        assert_eq!(s.holder(&res(9)), None);
        assert_eq!(s.bindings().count(), 3);
        // Past the lifetimes: the leases are dropped, the quarantine kept.
        drop(s);
        let Opened {
            store: s,
            report: r,
        } = JournalStore::open(&path, 1100).unwrap();
        assert_eq!(r.expired.len(), 3);
        assert_eq!(s.bindings().count(), 0);
        assert!(s.is_leased(&res(3)));
    }

    /// Cuts the journal at every byte offset of its last record: start-up
    /// keeps every earlier record, reports the damage, and leaves a clean
    /// file behind.
    #[test]
    fn torn_tail_at_every_offset() {
        let d = TempDir::new("torn");
        let path = d.0.join("leases");
        let Opened { store: mut s, .. } = JournalStore::open(&path, 0).unwrap();
        for n in 1..=4 {
            s.apply(bind(n, 1000, 0));
            s.commit().unwrap();
        }
        let before = s.file_len();
        s.apply(bind(5, 1000, 0));
        s.commit().unwrap();
        let whole = fs::read(&path).unwrap();
        drop(s);
        for cut in before..whole.len() as u64 {
            fs::write(&path, &whole[..cut as usize]).unwrap();
            let Opened {
                store: s,
                report: r,
            } = JournalStore::open(&path, 10).unwrap();
            assert_eq!(s.bindings().count(), 4, "cut at {cut}");
            assert!((1..=4).all(|n| s.holder(&res(n)) == Some(&key(n))));
            assert_eq!(s.holder(&res(5)), None);
            if cut == before {
                assert_eq!(r.damage, None);
            } else {
                let dmg = r.damage.expect("damage reported");
                assert_eq!((dmg.offset, dmg.what), (before, DamageKind::Truncated));
                assert_eq!(dmg.discarded, cut - before);
            }
            drop(s);
            // The damage was cut off: the next start finds a clean journal.
            let Opened { report: r, .. } = JournalStore::open(&path, 10).unwrap();
            assert_eq!(r.damage, None);
        }
    }

    #[test]
    fn unknown_format_is_refused_and_left_alone() {
        let d = TempDir::new("foreign");
        let path = d.0.join("leases");
        let mut newer = header();
        newer[9] = 7;
        let crc = journal::crc32(&newer[..12]);
        newer[12..].copy_from_slice(&crc.to_be_bytes());
        fs::write(&path, newer).unwrap();
        let e = JournalStore::open(&path, 0).unwrap_err();
        assert!(e.to_string().contains("version 7"), "{e}");
        assert_eq!(fs::read(&path).unwrap(), newer);
        fs::write(&path, "not a journal").unwrap();
        assert!(matches!(
            JournalStore::open(&path, 0),
            Err(JournalError::Format { .. })
        ));
    }

    #[test]
    fn compaction_bounds_the_file_and_keeps_everything() {
        let d = TempDir::new("compact");
        let path = d.0.join("leases");
        let Opened { store: mut s, .. } = JournalStore::open(&path, 0).unwrap();
        s.set_compact_floor(4096);
        // Ten live bindings renewed over and over.
        for round in 0..500u64 {
            for n in 1..=10 {
                s.apply(bind(n, 1000, round));
            }
            s.commit().unwrap();
            s.maintain();
            assert!(s.file_len() < 2 * 1024 + 4096 + 1024, "round {round}");
        }
        assert!(s.compactions() > 5);
        assert!(!tmp_path(&path).exists());
        drop(s);
        let Opened {
            store: s,
            report: r,
        } = JournalStore::open(&path, 500).unwrap();
        assert_eq!(r.damage, None);
        assert_eq!(s.bindings().count(), 10);
        assert_eq!(s.binding(&key(3)).unwrap().leases[0].updated, 499);
    }

    /// A journal of nothing but live records (a flood of new clients) is
    /// not rewritten: compaction would not shrink it.
    #[test]
    fn new_clients_alone_never_compact() {
        let d = TempDir::new("flood");
        let path = d.0.join("leases");
        let Opened { store: mut s, .. } = JournalStore::open(&path, 0).unwrap();
        s.set_compact_floor(4096);
        for n in 1..=2000 {
            s.apply(bind(n, 1000, 0));
            s.commit().unwrap();
            s.maintain();
        }
        assert_eq!(s.compactions(), 0);
        assert!(s.file_len() > 100_000);
        // Renewals make records dead: now it pays.
        for n in 1..=2000 {
            s.apply(bind(n, 1000, 1));
            s.commit().unwrap();
            s.maintain();
        }
        for n in 1..=2000 {
            s.apply(bind(n, 1000, 2));
            s.commit().unwrap();
            s.maintain();
        }
        assert!(s.compactions() >= 1);
    }

    #[test]
    fn expiry_is_journaled() {
        let d = TempDir::new("expiry");
        let path = d.0.join("leases");
        let Opened { store: mut s, .. } = JournalStore::open(&path, 0).unwrap();
        s.apply(bind(1, 10, 0));
        s.apply(bind(2, 1000, 0));
        s.commit().unwrap();
        assert_eq!(s.expire(20, usize::MAX), vec![res(1)]);
        s.commit().unwrap();
        let mut seen = Vec::new();
        journal::read_records(&fs::read(&path).unwrap(), |_, r| seen.push(r)).unwrap();
        assert_eq!(
            seen.last(),
            Some(&Record::Change(Change::Expire {
                key: key(1),
                res: res(1)
            }))
        );
    }

    /// 10,000 leases ending in the same second expire over several turns
    /// of at most N, each turn's Expire records committed with it: the
    /// file replays after every turn to what memory holds, and at the end
    /// holds one Expire per lease, in the order they were ended.
    #[test]
    fn a_mass_expiry_is_journaled_a_chunk_per_turn() {
        const N: usize = 1500;
        let d = TempDir::new("massexpiry");
        let path = d.0.join("leases");
        let Opened { store: mut s, .. } = JournalStore::open(&path, 0).unwrap();
        for n in 0..10_000u16 {
            s.apply(bind(n, 3600, 100));
        }
        s.commit().unwrap();
        let mut turns = 0;
        let mut ended = Vec::new();
        loop {
            let freed = s.expire(4000, N);
            assert!(freed.len() <= N);
            s.commit().unwrap();
            if freed.is_empty() {
                break;
            }
            turns += 1;
            assert!(turns < 100);
            ended.extend(freed);
            let on_disk = read(&path, 0).unwrap();
            assert_eq!(on_disk.store.len(), s.bindings().count(), "turn {turns}");
            assert!(on_disk
                .store
                .bindings()
                .all(|b| s.binding(&b.key).is_some()));
        }
        assert!(turns >= 10_000 / N);
        assert_eq!(ended.len(), 10_000);
        let mut expired = Vec::new();
        journal::read_records(&fs::read(&path).unwrap(), |_, r| {
            if let Record::Change(Change::Expire { res, .. }) = r {
                expired.push(res);
            }
        })
        .unwrap();
        assert_eq!(expired, ended);
    }

    /// Between turns the journal grows zero-filled room; commits then
    /// write in place (the file's length stays), a reopen keeps the room
    /// and replays exactly what was committed, and a record torn in place
    /// (its end still zeros) is cut off as damage.
    #[test]
    fn records_go_in_place_over_the_room() {
        let d = TempDir::new("room");
        let path = d.0.join("leases");
        let Opened { store: mut s, .. } = JournalStore::open(&path, 0).unwrap();
        assert!(!s.maintain(), "the room is grown in one step");
        let size = s.allocated();
        assert!(size >= s.file_len() + journal_file::GROW_CHUNK / 2);
        for n in 1..=20 {
            s.apply(bind(n, 1000, 0));
            s.commit().unwrap();
            assert_eq!(fs::metadata(&path).unwrap().len(), size, "in place");
        }
        assert!(!s.maintain(), "room enough, nothing to compact");
        let end = s.file_len();
        drop(s);
        let Opened {
            store: mut s,
            report: r,
        } = JournalStore::open(&path, 10).unwrap();
        assert_eq!((r.damage, r.records), (None, 20));
        assert_eq!(s.bindings().count(), 20);
        assert_eq!((s.file_len(), s.allocated()), (end, size));
        s.apply(bind(21, 1000, 0));
        s.commit().unwrap();
        assert_eq!(fs::metadata(&path).unwrap().len(), size);
        let whole = s.file_len();
        drop(s);
        // Half of the last record reached the disk, the rest is room.
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        std::os::unix::fs::FileExt::write_all_at(
            &f,
            &vec![0; (whole - end) as usize / 2],
            end + (whole - end) / 2,
        )
        .unwrap();
        drop(f);
        let Opened {
            store: s,
            report: r,
        } = JournalStore::open(&path, 10).unwrap();
        let dmg = r.damage.expect("a torn record");
        assert_eq!(dmg.offset, end);
        assert_eq!(s.bindings().count(), 20);
        assert_eq!(fs::metadata(&path).unwrap().len(), end, "cut back");
    }

    /// Every step of a compaction is bounded, its start and its finish
    /// included: with no commits between steps, a step writes at most a
    /// chunk of records (bindings, then quarantines, then Reconfigure
    /// records, none of them collected at once), then one step gives the
    /// room, then the rename.
    #[test]
    fn every_compaction_step_writes_at_most_a_chunk() {
        const CHUNK: usize = 50;
        let (d, mut s) = compacting("steps", CHUNK);
        let path = d.0.join("leases");
        s.set_compact_floor(u64::MAX);
        for n in 0..1000 {
            s.apply(bind(n, 1000, 0));
        }
        for n in 1000..1100 {
            s.decline_for_test(n);
        }
        for n in 0..100 {
            s.apply(Change::Reconf {
                duid: key(n).duid,
                info: Some(crate::lease::ReconfInfo {
                    key: [1; 16],
                    path: vec![0; 40],
                    until: 5000 + u64::from(n),
                }),
            });
        }
        s.commit().unwrap();
        // Renewals make it worth compacting.
        for _ in 0..3 {
            for n in 0..1000 {
                s.apply(bind(n, 1000, 1));
            }
            s.commit().unwrap();
        }
        s.set_compact_floor(0);
        // Far more than any record here takes (a Bind of one lease: 56).
        let longest = 200;
        let tmp = tmp_path(&path);
        let mut steps = 0;
        let mut before = 0;
        while s.compactions() == 0 {
            steps += 1;
            assert!(steps < 1000);
            let room_step = matches!(s.compacting.as_ref().map(|c| &c.phase), Some(Phase::Room));
            s.maintain();
            if let Ok(m) = fs::metadata(&tmp) {
                let grew = m.len() - before;
                if !room_step {
                    assert!(grew <= CHUNK as u64 * longest + 16, "step {steps}: {grew}");
                }
                before = m.len();
            }
        }
        // 1,200 records a chunk of 50 at a time, the room, the rename (and
        // the journal's own room grown first).
        assert!(steps >= 1200 / CHUNK + 2, "{steps} steps");
        let on_disk = read(&path, 0).unwrap();
        assert_eq!(on_disk.store.len(), 1000);
        assert_eq!(on_disk.store.quarantined().count(), 100);
        assert_eq!(on_disk.store.reconfs().count(), 100);
    }

    /// A compaction's new file comes with its room: right after the
    /// rename, commits write in place, and a reopen replays them. No step
    /// runs while a turn is open.
    #[test]
    fn a_compacted_journal_has_room() {
        let (d, mut s) = compacting("compactroom", 3);
        let path = d.0.join("leases");
        for n in 1..=10 {
            s.apply(bind(n, 1000, 0));
        }
        s.decline_for_test(11);
        s.commit().unwrap();
        let mut t = 0;
        while s.compactions() == 0 {
            t += 1;
            assert!(t < 1000, "no compaction finished");
            s.apply(bind(u16::try_from(t % 10).unwrap() + 1, 1000, t));
            assert!(!s.maintain(), "nothing while a turn is open");
            s.commit().unwrap();
            s.maintain();
        }
        let size = s.allocated();
        assert!(size >= s.file_len() + journal_file::GROW_CHUNK / 2);
        s.apply(bind(12, 1000, t));
        s.commit().unwrap();
        assert_eq!(fs::metadata(&path).unwrap().len(), size, "in place");
        let expect: Vec<BindingKey> = {
            let mut k: Vec<BindingKey> = s.bindings().map(|b| b.key.clone()).collect();
            k.sort();
            k
        };
        drop(s);
        let Opened {
            store: s,
            report: r,
        } = JournalStore::open(&path, t).unwrap();
        assert_eq!(r.damage, None);
        let mut got: Vec<BindingKey> = s.bindings().map(|b| b.key.clone()).collect();
        got.sort();
        assert_eq!(got, expect);
        assert!(s.is_leased(&res(11)), "the quarantine was carried over");
    }

    #[test]
    fn interrupted_compaction_leftover_is_ignored() {
        let d = TempDir::new("leftover");
        let path = d.0.join("leases");
        let Opened { store: mut s, .. } = JournalStore::open(&path, 0).unwrap();
        s.apply(bind(1, 1000, 0));
        s.commit().unwrap();
        drop(s);
        fs::write(tmp_path(&path), b"half a snapshot").unwrap();
        let Opened {
            store: s,
            report: r,
        } = JournalStore::open(&path, 0).unwrap();
        assert_eq!((r.damage, s.bindings().count()), (None, 1));
    }

    /// A journal in use is refused to a second opener, with the holder's
    /// PID, also after the compactions that rename a new file over it; it
    /// is free again once the first store is gone. Reading (`--dump-leases`)
    /// takes no lock.
    #[test]
    fn a_journal_has_one_user() {
        let d = TempDir::new("lock");
        let path = d.0.join("leases");
        let Opened { store: mut s, .. } = JournalStore::open(&path, 0).unwrap();
        let refused = |path: &Path| match JournalStore::open(path, 0) {
            Err(JournalError::Locked { path: p, pid }) => {
                assert_eq!(p, path);
                assert_eq!(pid, Some(std::process::id()));
            }
            other => panic!("second open: {other:?}"),
        };
        refused(&path);
        let e = JournalStore::open(&path, 0).unwrap_err().to_string();
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(e.contains(&format!("PID {}", std::process::id())), "{e}");
        s.set_compact_floor(0);
        s.set_compact_chunk(1);
        let mut t = 0;
        while s.compactions() < 2 {
            t += 1;
            assert!(t < 10_000, "no compaction finished");
            s.apply(bind(u16::try_from(t % 3).unwrap(), 100_000, t));
            s.commit().unwrap();
            s.maintain();
        }
        s.compact().unwrap();
        refused(&path);
        assert!(read(&path, 0).is_ok());
        drop(s);
        let Opened { store: s, .. } = JournalStore::open(&path, 0).unwrap();
        assert_eq!(s.bindings().count(), 3);
        assert!(JournalLock::path_of(&path).exists());
    }

    /// A held lock file is read only as far as a PID goes: what follows in
    /// a huge one (here 1 MiB) is never read, so the PID before it is found.
    #[test]
    fn a_long_lock_file_is_not_read_whole() {
        let d = TempDir::new("longlock");
        let path = d.0.join("leases");
        let Opened { store: s, .. } = JournalStore::open(&path, 0).unwrap();
        let lock = JournalLock::path_of(&path);
        let mut long = format!("{}\n", std::process::id()).into_bytes();
        long.resize(1 << 20, b' ');
        long.push(b'x');
        fs::write(&lock, &long).unwrap();
        match JournalStore::open(&path, 0) {
            Err(JournalError::Locked { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("second open: {other:?}"),
        }
        drop(s);
    }
}
