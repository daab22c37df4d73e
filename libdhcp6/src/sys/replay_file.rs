//! The file that keeps a server's replay detection counter from going back
//! across restarts (RFC 8415 §20.3: a server doing Reconfigure persists
//! it; C-175). It holds one decimal number: a value above every replay
//! value the server has sent. The server reserves ahead (an hour of NTP
//! time at a go), so the file is written rarely, and always before a
//! message using a value beyond the last reservation leaves.

use std::fs;
use std::io;
use std::path::Path;

/// How far ahead of the counter a reservation reaches: one hour of NTP
/// time (the counter's upper 32 bits are seconds).
pub const RESERVE: u64 = 3600 << 32;

/// The reserved value in `path`; 0 when the file does not exist yet. A
/// file that does not hold a number is an error (start-up stops rather
/// than risk reusing values).
pub fn load(path: &Path) -> io::Result<u64> {
    match fs::read_to_string(path) {
        Ok(s) => s.trim().parse::<u64>().map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a replay counter: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
    }
}

/// Writes `value` to `path` atomically (`sys::atomic`).
pub fn store(path: &Path, value: u64) -> io::Result<()> {
    super::atomic::replace(path, format!("{value}\n").as_bytes(), 0o600).map(|_| ())
}

/// The counter persisted ahead of use.
#[derive(Debug)]
pub struct Reservation {
    path: std::path::PathBuf,
    reserved: u64,
}

impl Reservation {
    /// Loads the reservation at `path`; the counter must start above the
    /// returned floor.
    pub fn open(path: &Path) -> io::Result<(Self, u64)> {
        let reserved = load(path)?;
        Ok((
            Self {
                path: path.to_path_buf(),
                reserved,
            },
            reserved,
        ))
    }

    /// [`Reservation::open`] for a file that replaces an older one: when
    /// `path` does not exist yet, the floor is `older`'s (left as it is),
    /// so a server that moves to a new file never goes below a value it
    /// sent under the old one (dhcp6s's per-instance replay file taking
    /// over from the shared `dhcp6s.replay`, doc/lease-journal.md).
    pub fn open_after(path: &Path, older: &Path) -> io::Result<(Self, u64)> {
        if path.exists() {
            return Self::open(path);
        }
        let reserved = load(older)?;
        Ok((
            Self {
                path: path.to_path_buf(),
                reserved: 0,
            },
            reserved,
        ))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes sure `last`, the counter's latest value, is covered by the
    /// file, writing a new reservation when it is not. Call before sending
    /// what carries `last`.
    pub fn cover(&mut self, last: u64) -> io::Result<()> {
        if last < self.reserved {
            return Ok(());
        }
        let next = last.saturating_add(RESERVE);
        store(&self.path, next)?;
        self.reserved = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_only_grow_and_survive() {
        let dir = std::env::temp_dir().join(format!("kame6-replay-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dhcp6s.replay");
        let (mut r, floor) = Reservation::open(&path).unwrap();
        assert_eq!(floor, 0);
        r.cover(5).unwrap();
        assert_eq!(load(&path).unwrap(), 5 + RESERVE);
        // Inside the reservation: no write.
        fs::write(&path, "7\n").unwrap();
        r.cover(6).unwrap();
        assert_eq!(load(&path).unwrap(), 7);
        // A restart starts above everything reserved before.
        let (_, floor) = Reservation::open(&path).unwrap();
        assert_eq!(floor, 7);
        fs::write(&path, "garbage").unwrap();
        assert!(Reservation::open(&path).is_err());
        // A new file takes its floor from the one it replaces, and is
        // written at the first cover; the old one is left alone.
        fs::write(&path, "70\n").unwrap();
        let new = dir.join("dhcp6s.eth0.replay");
        let (mut r, floor) = Reservation::open_after(&new, &path).unwrap();
        assert_eq!(floor, 70);
        assert!(!new.exists());
        r.cover(71).unwrap();
        assert_eq!(load(&new).unwrap(), 71 + RESERVE);
        assert_eq!(load(&path).unwrap(), 70);
        // Once it exists, it alone counts.
        let (_, floor) = Reservation::open_after(&new, &path).unwrap();
        assert_eq!(floor, 71 + RESERVE);
        let (_, floor) = Reservation::open_after(&dir.join("none"), &dir.join("none2")).unwrap();
        assert_eq!(floor, 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
