//! Daemon chores: detaching from the terminal and the PID file.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Detaches as KAME's `daemon(0, 0)`: fork, new session, cwd `/`, stdio to /dev/null.
pub fn daemonize() -> io::Result<()> {
    #[allow(deprecated)] // nix deprecates daemon() on macOS only.
    nix::unistd::daemon(false, false).map_err(|e| io::Error::from_raw_os_error(e as i32))
}

/// A PID file written as `"%d\n"` and removed when dropped.
///
/// The file stays open: a daemon that dropped root (`-u`) usually may not
/// remove a file from the root-owned directory it wrote it in (`/var/run`),
/// so it empties the file through the descriptor instead, leaving no PID
/// that could name another process later.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    file: fs::File,
}

impl PidFile {
    /// Writes our PID to `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        let mut file = fs::File::create(path)?;
        file.write_all(format!("{}\n", std::process::id()).as_bytes())?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if fs::remove_file(&self.path).is_err() {
            let _ = self.file.set_len(0);
        }
    }
}
