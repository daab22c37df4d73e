//! dhcp4s's lease journal on disk (doc/lease-journal.md "dhcp4s"): the
//! records of [`crate::dhcp4::journal`] appended with group commit — a
//! loop turn's changes written with one write and one `fdatasync` before
//! any of the turn's answers leaves — under the same `PATH.lock` as
//! dhcp6s's journal ([`JournalLock`]: one server per journal).
//!
//! Opening replays the file through the caller (the engine owns the
//! leases), then the caller writes a snapshot of what is live with
//! [`Journal4::rewrite`] (written beside, synced, renamed over, so a crash
//! leaves the old file or the new one, whole). The same rewrite compacts
//! the journal when it has grown past twice the last snapshot plus a
//! floor. Unlike dhcp6s's incremental compaction, it is done in one step:
//! IPv4 leases are bounded by the configured ranges, so a snapshot is at
//! most a few megabytes.

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

use super::atomic;
use super::journal::{read_bytes, JournalError, JournalLock, DEFAULT_COMPACT_FLOOR};
use super::journal_file::JournalFile;
use crate::dhcp4::engine::Change4;
use crate::dhcp4::journal::{encode, read4, Record4};
use crate::lease::journal::Damage;

/// Owner only, as dhcp6s's journal.
const JOURNAL_MODE: u32 = 0o600;

/// What reading a journal found.
#[derive(Debug, Default)]
pub struct Read4 {
    /// The file did not exist.
    pub missing: bool,
    /// Good records read.
    pub records: u64,
    /// Where the good records end (header included).
    pub good_len: u64,
    /// A damaged tail that was cut off.
    pub damage: Option<Damage>,
}

/// Reads the journal at `path` without changing it, handing every good
/// record to `each` in order. A missing file reads as empty.
pub fn read_file(path: &Path, each: impl FnMut(Record4)) -> Result<Read4, JournalError> {
    let Some(bytes) = read_bytes(path)? else {
        return Ok(Read4 {
            missing: true,
            ..Read4::default()
        });
    };
    let mut records = 0;
    let mut each = each;
    let walked = read4(&bytes, |r| {
        records += 1;
        each(r);
    })
    .map_err(|source| JournalError::Format {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Read4 {
        missing: false,
        records,
        good_len: walked.good_len,
        damage: walked.damage,
    })
}

/// An open dhcp4s journal, locked for this process.
#[derive(Debug)]
pub struct Journal4 {
    path: PathBuf,
    /// The file, written in place over zero-filled room
    /// (`sys::journal_file`).
    out: JournalFile,
    /// Octets of the last snapshot written.
    snapshot_len: u64,
    /// Encoded records not yet written.
    pending: Vec<u8>,
    compact_floor: u64,
    compactions: u64,
    lock: JournalLock,
}

impl Journal4 {
    /// Locks the journal at `path` (refused with [`JournalError::Locked`]
    /// when another process holds it, before anything is read), removes
    /// what an interrupted rewrite left, and replays the file through
    /// `each`. The caller then writes its snapshot with
    /// [`Journal4::rewrite`], which also cuts off a damaged tail.
    pub fn open(path: &Path, each: impl FnMut(Record4)) -> Result<(Self, Read4), JournalError> {
        let lock = JournalLock::acquire(path)?;
        atomic::remove_leftovers(path);
        let read = read_file(path, each)?;
        let io_err = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Writing goes to a file the first rewrite replaces; until then
        // nothing is written.
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode_owner_only()
            .open(path)
            .map_err(io_err)?;
        let len = read.good_len;
        let size = file.metadata().map_err(io_err)?.len();
        Ok((
            Self {
                path: path.to_path_buf(),
                out: JournalFile::new(file, len, if read.damage.is_some() { len } else { size }),
                snapshot_len: len,
                pending: Vec::new(),
                compact_floor: DEFAULT_COMPACT_FLOOR,
                compactions: 0,
                lock,
            },
            read,
        ))
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Octets of records in the file (durable ones; the zero-filled room
    /// after them not counted).
    pub fn file_len(&self) -> u64 {
        self.out.len()
    }

    /// The file's length: its records and the zero-filled room after them.
    pub fn allocated(&self) -> u64 {
        self.out.allocated()
    }

    /// Grows the zero-filled room after the records when it runs low (one
    /// write and one sync; call between turns, after the answers left), so
    /// that commits write in place and their syncs change no metadata.
    /// `None` when nothing was tried (room enough, or a growth failed
    /// lately and is not tried again yet).
    pub fn maintain(&mut self) -> Option<io::Result<()>> {
        self.out.grow_when_low()
    }

    /// Rewrites done since opening (start-up's included).
    pub fn compactions(&self) -> u64 {
        self.compactions
    }

    /// Sets the floor of the compaction bound.
    pub fn set_compact_floor(&mut self, bytes: u64) {
        self.compact_floor = bytes;
    }

    /// Writes this process's PID into the lock file (after detaching).
    pub fn record_pid(&mut self) -> io::Result<()> {
        self.lock.record_pid()
    }

    /// Replaces the journal with `snapshot` (a whole file,
    /// [`crate::dhcp4::journal::snapshot4`]) atomically. Records not yet
    /// committed are dropped: call between turns.
    pub fn rewrite(&mut self, snapshot: &[u8]) -> io::Result<()> {
        self.pending.clear();
        let file = atomic::replace(&self.path, snapshot, JOURNAL_MODE)?;
        let n = snapshot.len() as u64;
        self.out = JournalFile::new(file, n, n);
        self.snapshot_len = n;
        self.compactions += 1;
        Ok(())
    }

    /// Whether the journal has grown enough past its last snapshot to be
    /// rewritten.
    pub fn wants_compaction(&self) -> bool {
        self.out.len() > self.snapshot_len.saturating_mul(2) + self.compact_floor
    }

    /// Queues the turn's changes for [`Journal4::commit`].
    pub fn append(&mut self, changes: &[Change4]) {
        for c in changes {
            encode(&Record4::Change(c.clone()), &mut self.pending);
        }
    }

    /// Writes and syncs what is queued (one write, one `fdatasync`). On
    /// failure the file is cut back to its last whole commit and the queue
    /// dropped: the caller rolls the turn back and sends none of it.
    pub fn commit(&mut self) -> io::Result<()> {
        let written = self.out.write_synced(&self.pending);
        self.pending.clear();
        written
    }
}

/// `OpenOptions::mode` without importing the Unix extension at each call.
trait OwnerOnly {
    fn mode_owner_only(&mut self) -> &mut Self;
}

impl OwnerOnly for OpenOptions {
    fn mode_owner_only(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(self, JOURNAL_MODE)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::Ipv4Addr;

    use super::*;
    use crate::dhcp4::engine::{ClientKey, Lease4};
    use crate::dhcp4::journal::snapshot4;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kame6-j4-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn bind(n: u8) -> Change4 {
        Change4::Bind(Lease4 {
            client: ClientKey::Id(vec![1, n]),
            addr: Ipv4Addr::new(10, 0, 0, n),
            subnet: 1,
            expires: 99,
        })
    }

    /// Committed changes are read back after a reopen, in order; a second
    /// opener is refused while the first holds the journal.
    #[test]
    fn commit_reopen_and_lock() {
        let d = dir("reopen");
        let path = d.join("dhcp4s.leases");
        {
            let (mut j, read) = Journal4::open(&path, |_| {}).unwrap();
            assert!(read.missing);
            j.rewrite(&snapshot4(&[], &[])).unwrap();
            j.append(&[bind(1), bind(2)]);
            j.commit().unwrap();
            // Queued but never committed: not in the file.
            j.append(&[bind(3)]);
            assert!(matches!(
                Journal4::open(&path, |_| {}),
                Err(JournalError::Locked { .. })
            ));
        }
        let mut got = Vec::new();
        let (_j, read) = Journal4::open(&path, |r| got.push(r.into_change())).unwrap();
        assert_eq!(read.records, 2);
        assert_eq!(got, vec![bind(1), bind(2)]);
        let _ = std::fs::remove_dir_all(&d);
    }

    /// With room grown between turns, commits write in place (the file's
    /// length stays) and a reopen reads every committed record, the room
    /// after them no damage.
    #[test]
    fn commits_in_place_over_the_room() {
        let d = dir("room");
        let path = d.join("j");
        {
            let (mut j, _) = Journal4::open(&path, |_| {}).unwrap();
            j.rewrite(&snapshot4(&[], &[])).unwrap();
            j.maintain().unwrap().unwrap();
            let size = j.allocated();
            assert!(size > j.file_len());
            for n in 1..=5 {
                j.append(&[bind(n)]);
                j.commit().unwrap();
                assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
            }
        }
        let mut got = Vec::new();
        let (j, read) = Journal4::open(&path, |r| got.push(r.into_change())).unwrap();
        assert_eq!((read.records, read.damage), (5, None));
        assert_eq!(got, (1..=5).map(bind).collect::<Vec<_>>());
        assert!(j.allocated() > j.file_len());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn compaction_bound() {
        let d = dir("compact");
        let path = d.join("j");
        let (mut j, _) = Journal4::open(&path, |_| {}).unwrap();
        j.set_compact_floor(0);
        j.rewrite(&snapshot4(&[], &[])).unwrap();
        assert!(!j.wants_compaction());
        for _ in 0..4 {
            j.append(&[bind(1)]);
            j.commit().unwrap();
        }
        assert!(j.wants_compaction());
        j.rewrite(&snapshot4(&[], &[])).unwrap();
        assert!(!j.wants_compaction());
        assert_eq!(j.compactions(), 2);
        let _ = std::fs::remove_dir_all(&d);
    }
}
