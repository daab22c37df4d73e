//! Daemon chores: detaching from the terminal and the PID file.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Detaches as KAME's `daemon(0, 0)`: fork, new session, cwd `/`, stdio to /dev/null.
pub fn daemonize() -> io::Result<()> {
    #[allow(deprecated)] // nix deprecates daemon() on macOS only.
    nix::unistd::daemon(false, false).map_err(|e| io::Error::from_raw_os_error(e as i32))
}

/// A PID file written as `"%d\n"` and removed when dropped.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes our PID to `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        fs::write(path, format!("{}\n", std::process::id()))?;
        Ok(Self {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
