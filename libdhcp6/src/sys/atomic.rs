//! Replacing a file so that a crash at any moment leaves either the old
//! contents or the new ones, whole: write a file beside it, sync it,
//! rename it over, sync the directory (without the last step the rename
//! itself may not survive a power loss). The lease journal, its compaction,
//! the replay counter and the DUID file all go through here.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The file beside `path` that a replacement is written to: `PATH.tmp`.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".tmp");
    PathBuf::from(p)
}

/// Creates (truncating) `PATH.tmp` with permissions `mode`, for a
/// replacement written in several steps; finish with [`commit`].
pub fn create_tmp(path: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(tmp_path(path))
}

/// Makes a fully written and synced `PATH.tmp` the file at `path`: rename,
/// then sync the directory.
pub fn commit(path: &Path) -> io::Result<()> {
    fs::rename(tmp_path(path), path)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)?.sync_all()
}

/// Writes `bytes` as the new contents of `path` atomically, the file
/// created with permissions `mode`. Returns the new file, positioned at its
/// end for appending.
pub fn replace(path: &Path, bytes: &[u8], mode: u32) -> io::Result<File> {
    let mut f = create_tmp(path, mode)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    commit(path)?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_no_tmp() {
        let dir = std::env::temp_dir().join(format!("kame6-atomic-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        fs::write(&path, b"old").unwrap();
        let mut f = replace(&path, b"new", 0o600).unwrap();
        f.write_all(b"+").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new+", "positioned at the end");
        assert!(!tmp_path(&path).exists());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
