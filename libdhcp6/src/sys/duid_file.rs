//! KAME's DUID file: read it when it exists, otherwise generate a DUID and
//! save it (doc/wide-compat.md §4), so a daemon keeps one identity across restarts.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::duid::{Duid, DuidError, HW_TYPE_ETHERNET};

/// Linux `ARPHRD_ETHER`, the link type KAME takes its DUID-LLT from.
const ARPHRD_ETHER: u32 = 1;

/// Why the DUID file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DuidFileError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The file exists but does not hold a usable DUID.
    #[error("{path}: {source}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: DuidError,
    },
}

/// An Ethernet interface as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtherInterface {
    /// Interface index.
    pub ifindex: u32,
    /// Interface name.
    pub name: String,
    /// The 6-octet MAC address.
    pub mac: [u8; 6],
}

fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.trim().split(':');
    for b in mac.iter_mut() {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

/// Ethernet interfaces with a non-zero MAC, in interface-index order (the
/// order `getifaddrs` gives KAME), read from `sysfs` (normally `/sys/class/net`).
pub fn ether_interfaces(sysfs: &Path) -> Vec<EtherInterface> {
    let Ok(dir) = fs::read_dir(sysfs) else {
        return Vec::new();
    };
    let mut found: Vec<EtherInterface> = dir
        .flatten()
        .filter_map(|entry| {
            let p = entry.path();
            let read = |f: &str| fs::read_to_string(p.join(f)).ok();
            let link_type: u32 = read("type")?.trim().parse().ok()?;
            let ifindex: u32 = read("ifindex")?.trim().parse().ok()?;
            let mac = parse_mac(&read("address")?)?;
            (link_type == ARPHRD_ETHER && mac != [0; 6]).then(|| EtherInterface {
                ifindex,
                name: entry.file_name().to_string_lossy().into_owned(),
                mac,
            })
        })
        .collect();
    found.sort_by_key(|i| i.ifindex);
    found
}

/// A new DUID as KAME makes one: a DUID-LLT from the first Ethernet
/// interface. Where KAME gives up (a box with no Ethernet interface), we make
/// a DUID-UUID from a random UUID instead (RFC 6355).
pub fn generate(sysfs: &Path, now: SystemTime) -> io::Result<Duid> {
    generate_from(&ether_interfaces(sysfs), now)
}

/// [`generate`] from an interface list already read.
fn generate_from(ifaces: &[EtherInterface], now: SystemTime) -> io::Result<Duid> {
    if let Some(iface) = ifaces.first() {
        let unix = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        return Duid::new_llt(HW_TYPE_ETHERNET, unix, &iface.mac)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e));
    }
    Ok(Duid::new_uuid(random_uuid()?))
}

/// The kernel's random (version 4) UUID.
#[cfg(target_os = "linux")]
fn random_uuid() -> io::Result<[u8; 16]> {
    let text = fs::read_to_string("/proc/sys/kernel/random/uuid")?;
    let hex: String = text.trim().chars().filter(|c| *c != '-').collect();
    let mut uuid = [0u8; 16];
    for (i, b) in uuid.iter_mut().enumerate() {
        let pair = hex
            .get(2 * i..2 * i + 2)
            .ok_or(io::ErrorKind::InvalidData)?;
        *b = u8::from_str_radix(pair, 16).map_err(|_| io::ErrorKind::InvalidData)?;
    }
    Ok(uuid)
}

/// A random (version 4) UUID made as Linux makes its own (RFC 4122 §4.4):
/// 122 random bits from getrandom(2), the version and variant fixed.
#[cfg(not(target_os = "linux"))]
fn random_uuid() -> io::Result<[u8; 16]> {
    let mut uuid = [0u8; 16];
    super::random::fill(&mut uuid)?;
    uuid[6] = (uuid[6] & 0x0f) | 0x40;
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    Ok(uuid)
}

/// Where Linux lists the interfaces.
#[cfg(target_os = "linux")]
const SYSFS_NET: &str = "/sys/class/net";

/// The host's Ethernet interfaces, from sysfs.
#[cfg(target_os = "linux")]
fn system_ether_interfaces() -> Vec<EtherInterface> {
    ether_interfaces(Path::new(SYSFS_NET))
}

/// The host's Ethernet interfaces, from the link-layer (`AF_LINK`)
/// addresses `getifaddrs` lists, as KAME's `gethwid` finds them.
#[cfg(not(target_os = "linux"))]
fn system_ether_interfaces() -> Vec<EtherInterface> {
    let mut found: Vec<EtherInterface> = super::net::link_addresses()
        .into_iter()
        .filter(|l| l.ethernet && l.mac != [0; 6])
        .map(|l| EtherInterface {
            ifindex: l.ifindex,
            name: l.name,
            mac: l.mac,
        })
        .collect();
    found.sort_by_key(|i| i.ifindex);
    found
}

/// Writes `duid` to `path` in KAME's format, atomically: a temporary file
/// beside it, fsync, rename, so a crash never leaves a torn DUID file.
pub fn save(path: &Path, duid: &Duid) -> io::Result<()> {
    // World-readable, as WIDE leaves it: a DUID is an identity, not a secret.
    super::atomic::replace(path, &duid.to_file_bytes(), 0o644).map(|_| ())
}

/// Reads the DUID at `path`, or generates one and saves it there (KAME's
/// `get_duid`). Returns the DUID and whether it was created now.
pub fn load_or_create(path: &Path) -> Result<(Duid, bool), DuidFileError> {
    load_or_make(path, || {
        generate_from(&system_ether_interfaces(), SystemTime::now())
    })
}

/// [`load_or_create`] with the interface list and clock given, for tests.
pub fn load_or_create_with(
    path: &Path,
    sysfs: &Path,
    now: SystemTime,
) -> Result<(Duid, bool), DuidFileError> {
    load_or_make(path, || generate(sysfs, now))
}

/// Reads the DUID at `path`, or makes one with `make` and saves it there.
fn load_or_make(
    path: &Path,
    make: impl FnOnce() -> io::Result<Duid>,
) -> Result<(Duid, bool), DuidFileError> {
    let io_err = |source| DuidFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    match fs::read(path) {
        Ok(bytes) => Duid::from_file_bytes(&bytes)
            .map(|d| (d, false))
            .map_err(|source| DuidFileError::Bad {
                path: path.to_path_buf(),
                source,
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let duid = make().map_err(io_err)?;
            save(path, &duid).map_err(io_err)?;
            Ok((duid, true))
        }
        Err(e) => Err(io_err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duid::DuidKind;
    use std::time::Duration;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kame6-duid-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn fake_iface(sysfs: &Path, name: &str, ifindex: u32, link_type: u32, mac: &str) {
        let d = sysfs.join(name);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("type"), format!("{link_type}\n")).unwrap();
        fs::write(d.join("ifindex"), format!("{ifindex}\n")).unwrap();
        fs::write(d.join("address"), format!("{mac}\n")).unwrap();
    }

    #[test]
    fn creates_llt_from_first_ethernet_then_reads_it_back() {
        let dir = scratch("create");
        let sysfs = dir.join("net");
        fake_iface(&sysfs, "lo", 1, 772, "00:00:00:00:00:00");
        fake_iface(&sysfs, "eth1", 3, 1, "02:00:00:00:00:03");
        fake_iface(&sysfs, "eth0", 2, 1, "02:00:00:00:00:02");
        let path = dir.join("dhcp6s_duid");
        let now = UNIX_EPOCH + Duration::from_secs(crate::duid::DUID_TIME_EPOCH + 77);
        let (duid, created) = load_or_create_with(&path, &sysfs, now).unwrap();
        assert!(created);
        assert_eq!(
            duid.kind(),
            DuidKind::Llt {
                hw_type: 1,
                time: 77,
                lladdr: &[2, 0, 0, 0, 0, 2]
            }
        );
        assert_eq!(fs::read(&path).unwrap(), duid.to_file_bytes());
        let (again, created) = load_or_create_with(&path, &sysfs, now).unwrap();
        assert!(!created);
        assert_eq!(again, duid);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn no_ethernet_gives_uuid() {
        let dir = scratch("uuid");
        let sysfs = dir.join("net");
        fake_iface(&sysfs, "ppp0", 4, 512, "00:00:00:00:00:00");
        let (duid, _) = load_or_create_with(&dir.join("d"), &sysfs, SystemTime::now()).unwrap();
        assert!(matches!(duid.kind(), DuidKind::Uuid(_)));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_file_is_an_error_not_replaced() {
        let dir = scratch("corrupt");
        let path = dir.join("d");
        fs::write(&path, [0x20, 0x00, 1, 2]).unwrap();
        let err = load_or_create_with(&path, &dir, SystemTime::now()).unwrap_err();
        assert!(err.to_string().contains("DUID file corrupted"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), [0x20, 0x00, 1, 2]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
