//! Replacing a file so that a crash at any moment leaves either the old
//! contents or the new ones, whole: write a file beside it, sync it,
//! rename it over, sync the directory (without the last step the rename
//! itself may not survive a power loss). The lease journal, its compaction,
//! the replay counter and the DUID file all go through here.
//!
//! The file beside is named after the process (and, for [`replace`], the
//! call), never a fixed `PATH.tmp`: two processes replacing the same file
//! at once (two daemons creating one DUID file, parallel tests) would
//! otherwise truncate each other's temporary file or rename it away under
//! the other, which then fails with "No such file or directory".

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The suffix every temporary file of ours starts with, after the name of
/// the file it replaces.
const TMP_SUFFIX: &str = ".tmp.";

/// Numbers the [`replace`] calls of this process.
static SEQ: AtomicU64 = AtomicU64::new(0);

/// `PATH.tmp.<pid><tail>`.
fn beside(path: &Path, tail: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(format!("{TMP_SUFFIX}{}{tail}", std::process::id()));
    PathBuf::from(p)
}

/// The file beside `path` that this process writes a replacement to in
/// several steps ([`create_tmp`], then [`commit`]): `PATH.tmp.<pid>`.
pub fn tmp_path(path: &Path) -> PathBuf {
    beside(path, "")
}

/// Creates (truncating) [`tmp_path`] with permissions `mode`, for a
/// replacement written in several steps; finish with [`commit`].
pub fn create_tmp(path: &Path, mode: u32) -> io::Result<File> {
    create(&tmp_path(path), mode)
}

fn create(tmp: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(tmp)
}

/// Makes a fully written and synced [`tmp_path`] the file at `path`:
/// rename, then sync the directory.
pub fn commit(path: &Path) -> io::Result<()> {
    rename_over(&tmp_path(path), path)
}

fn rename_over(tmp: &Path, path: &Path) -> io::Result<()> {
    fs::rename(tmp, path)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)?.sync_all()
}

/// Writes `bytes` as the new contents of `path` atomically, the file
/// created with permissions `mode`. Returns the new file, positioned at its
/// end for appending. The temporary file is this call's own
/// (`PATH.tmp.<pid>.<n>`), so concurrent replacements of one file each
/// land whole, the last rename winning.
pub fn replace(path: &Path, bytes: &[u8], mode: u32) -> io::Result<File> {
    let tmp = beside(path, &format!(".{}", SEQ.fetch_add(1, Ordering::Relaxed)));
    let written = create(&tmp, mode).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()?;
        rename_over(&tmp, path)?;
        Ok(f)
    });
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Writes `bytes` as the new contents of `path`, created with permissions
/// `mode`, so that a reader sees the old contents or the new ones, whole
/// (a file beside, renamed over), but without [`replace`]'s syncs: for
/// files that need not survive a power loss (the statistics file), where
/// a sync would only make the writer wait for the disk.
pub fn replace_unsynced(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let tmp = beside(path, &format!(".{}", SEQ.fetch_add(1, Ordering::Relaxed)));
    let written = create(&tmp, mode).and_then(|mut f| {
        f.write_all(bytes)?;
        fs::rename(&tmp, path)
    });
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Removes the temporary files beside `path` that a process stopped in the
/// middle of a replacement left (`PATH.tmp.*`, and `PATH.tmp` from earlier
/// versions). For a file with one owner, at its start-up: another process
/// replacing the same file at that moment would lose its temporary file.
pub fn remove_leftovers(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut prefix = name.to_owned();
    prefix.push(TMP_SUFFIX);
    let mut old = name.to_owned();
    old.push(".tmp");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name();
        let ours = n.as_encoded_bytes().starts_with(prefix.as_encoded_bytes());
        if ours || n == old {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "kame6-atomic-{tag}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_whole_and_leaves_no_tmp() {
        let dir = scratch("whole");
        let path = dir.join("f");
        fs::write(&path, b"old").unwrap();
        let mut f = replace(&path, b"new", 0o600).unwrap();
        f.write_all(b"+").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new+", "positioned at the end");
        assert!(!tmp_path(&path).exists());
        assert_eq!(names(&dir), ["f"], "no temporary file left");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The race tests/ctl.rs once lost: many replacements of one file at
    /// once all succeed, and the file ends as one of them, whole.
    #[test]
    fn concurrent_replacements_all_land_whole() {
        let dir = scratch("race");
        let path = dir.join("duid");
        let writers: Vec<_> = (0u8..8)
            .map(|n| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        replace(&path, &[n; 64], 0o644).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let got = fs::read(&path).unwrap();
        assert_eq!(got.len(), 64);
        assert!(got.iter().all(|b| *b == got[0]), "one writer's bytes");
        assert_eq!(names(&dir), ["duid"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn several_steps_then_commit() {
        let dir = scratch("steps");
        let path = dir.join("j");
        let mut f = create_tmp(&path, 0o600).unwrap();
        f.write_all(b"one ").unwrap();
        f.write_all(b"two").unwrap();
        f.sync_all().unwrap();
        assert!(!path.exists(), "nothing replaced before commit");
        commit(&path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one two");
        assert_eq!(names(&dir), ["j"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn leftovers_are_removed_and_nothing_else() {
        let dir = scratch("left");
        let path = dir.join("leases");
        for n in [
            "leases",
            "leases.tmp",
            "leases.tmp.1.2",
            "leases.tmp.77",
            "other.tmp.1",
        ] {
            fs::write(dir.join(n), b"x").unwrap();
        }
        remove_leftovers(&path);
        assert_eq!(names(&dir), ["leases", "other.tmp.1"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
