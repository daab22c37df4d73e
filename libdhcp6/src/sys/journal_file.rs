//! A journal file whose syncs are cheap: records are written in place over
//! zero-filled room grown ahead, not appended (doc/lease-journal.md "Room
//! ahead"). Appending changes the file's size, so every `fdatasync` of an
//! append waits for a commit of the filesystem's own journal (on ext4
//! milliseconds, now and then tens); overwriting blocks that are already
//! written, with the size unchanged, syncs the data alone. The room is
//! written with zeros (not merely `fallocate`d: the first write into an
//! unwritten extent changes metadata too) and synced once per chunk,
//! between loop turns ([`JournalFile::grow`]). The framing reads zeros
//! after the last record as the end (`lease::journal`), so a journal with
//! room replays as one without.
//!
//! dhcp6s's journal, the new file its compaction writes, and dhcp4s's
//! journal all go through here.

use std::fs::File;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Room added per growth: one sync that changes the file's size per this
/// many octets of records (about a second of a busy server's), not one
/// per commit.
pub const GROW_CHUNK: u64 = 1 << 20;

/// After a growth failed, how long before [`JournalFile::grow_when_low`]
/// tries again (records are appended meanwhile, as before there was room).
const GROW_RETRY: Duration = Duration::from_secs(10);

/// An open journal: its records end at `len`, zeros follow up to `alloc`
/// (durable: written and synced), and the file may hold more zeros
/// beyond, from a growth that failed.
#[derive(Debug)]
pub struct JournalFile {
    /// Shared with the sync thread while a job of it is out
    /// (`sys::journal_sync`).
    file: Arc<File>,
    len: u64,
    alloc: u64,
    /// When growing may be tried again after it failed.
    retry_at: Option<Instant>,
}

impl JournalFile {
    /// `file`, whose records end at `len` and whose zeros (synced) end at
    /// `alloc` (its length; `len` when there are none).
    pub fn new(file: File, len: u64, alloc: u64) -> Self {
        Self {
            file: Arc::new(file),
            len,
            alloc: alloc.max(len),
            retry_at: None,
        }
    }

    /// Where the records end: octets durable in the file.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the file holds no records (not even a header).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The file's length: the records and the zero-filled room after them.
    pub fn allocated(&self) -> u64 {
        self.alloc
    }

    /// Zero-filled octets after the records.
    pub fn room(&self) -> u64 {
        self.alloc - self.len
    }

    /// True when the room is running low (less than half a
    /// [`GROW_CHUNK`] left), so [`grow_when_low`](Self::grow_when_low)
    /// should run before records have to be appended, and no growth
    /// failed lately.
    pub fn wants_room(&self) -> bool {
        self.wants_room_after(self.len)
    }

    /// Grows the room by a [`GROW_CHUNK`] when [`wants_room`](Self::wants_room);
    /// `None` when nothing was tried. After a failure the next try waits
    /// [`GROW_RETRY`], so a failing disk is not written to every turn.
    pub fn grow_when_low(&mut self) -> Option<io::Result<()>> {
        if !self.wants_room() {
            return None;
        }
        let r = self.grow(GROW_CHUNK);
        self.retry_at = r.is_err().then(|| Instant::now() + GROW_RETRY);
        Some(r)
    }

    /// Writes `bytes` after the last record and syncs the data: in place
    /// when the room holds them, else past the end (the file grows; the
    /// sync then waits for metadata too). On failure the file is cut back
    /// to its last record, so the next write starts after whole records
    /// and nothing of the failed one can be read as a record; the room
    /// goes with it and is grown again later.
    pub fn write_synced(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let written = super::journal_sync::write_synced_at(&self.file, self.len, bytes);
        self.written(bytes.len(), written)
    }

    /// Where the next records go, and the file to write them to, for a
    /// write done elsewhere (the sync thread); its outcome is then told
    /// with [`written`](Self::written). No other write may come between.
    pub fn next_write(&self) -> (Arc<File>, u64) {
        (Arc::clone(&self.file), self.len)
    }

    /// Takes in the outcome of writing and syncing `n` octets at
    /// [`next_write`](Self::next_write)'s offset: on success they are
    /// records of the file; on failure the file is cut back to its last
    /// record (see [`write_synced`](Self::write_synced)) and the error
    /// handed back.
    pub fn written(&mut self, n: usize, outcome: io::Result<()>) -> io::Result<()> {
        if let Err(e) = outcome {
            let _ = self.file.set_len(self.len);
            self.alloc = self.len;
            return Err(e);
        }
        self.len += n as u64;
        self.alloc = self.alloc.max(self.len);
        Ok(())
    }

    /// Adds `by` octets of zeros after the room and syncs them: the one
    /// sync that changes the file's size. A growth that fails leaves the
    /// room as it was (zeros written beyond it are harmless: they read as
    /// the end).
    pub fn grow(&mut self, by: u64) -> io::Result<()> {
        super::journal_sync::write_zeros_at(&self.file, self.alloc, by)?;
        self.file.sync_data()?;
        self.alloc += by;
        Ok(())
    }

    /// True when the room after `end` (where records will end once the
    /// writes under way are done) is running low, as
    /// [`wants_room`](Self::wants_room) asks of the records' end.
    pub fn wants_room_after(&self, end: u64) -> bool {
        self.alloc.saturating_sub(end) < GROW_CHUNK / 2
            && self.retry_at.is_none_or(|t| Instant::now() >= t)
    }

    /// Takes in a growth written and synced elsewhere (the sync thread):
    /// zeros up to `to`.
    pub fn grown(&mut self, to: u64) {
        self.alloc = self.alloc.max(to);
    }

    /// Takes in a growth that failed elsewhere: not tried again for a
    /// while ([`grow_when_low`](Self::grow_when_low)'s rule).
    pub fn growth_failed(&mut self) {
        self.retry_at = Some(Instant::now() + GROW_RETRY);
    }

    /// Puts `file` in place of the file written to, returning the old one
    /// (tests make writes fail with a read-only descriptor).
    #[cfg(test)]
    pub(crate) fn swap_file(&mut self, file: Arc<File>) -> Arc<File> {
        std::mem::replace(&mut self.file, file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("kame6-jfile-{}-{tag}", std::process::id()))
    }

    /// Records go after the last one, in place over the room; the room is
    /// grown in zeros; a failed write is cut back, room and all.
    #[test]
    fn writes_in_place_and_grows() {
        let path = tmp("grow");
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        let mut j = JournalFile::new(f, 0, 0);
        j.write_synced(b"head").unwrap();
        assert_eq!((j.len(), j.allocated()), (4, 4));
        assert!(j.wants_room());
        j.grow(GROW_CHUNK).unwrap();
        assert_eq!(j.room(), GROW_CHUNK);
        assert!(!j.wants_room());
        j.write_synced(b"record").unwrap();
        assert_eq!((j.len(), j.allocated()), (10, 4 + GROW_CHUNK));
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(on_disk.len() as u64, 4 + GROW_CHUNK);
        assert_eq!(&on_disk[..10], b"headrecord");
        assert!(on_disk[10..].iter().all(|&b| b == 0));
        let good = j.swap_file(Arc::new(File::open(&path).unwrap()));
        assert!(j.write_synced(b"lost").is_err());
        j.swap_file(good);
        assert_eq!((j.len(), j.allocated()), (10, 10));
        j.write_synced(b"!").unwrap();
        // (The read-only descriptor could not cut the file either: what
        // follows is the old room, zeros.)
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(&on_disk[..11], b"headrecord!");
        assert!(on_disk[11..].iter().all(|&b| b == 0));
        let _ = std::fs::remove_file(&path);
    }
}
