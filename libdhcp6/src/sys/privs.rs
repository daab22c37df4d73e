//! Dropping root after start-up: `-u user` / `-g group`, ISC dhcpd's
//! idea, for every daemon through the shell ([`crate::sys::shell`]).
//!
//! A daemon binds its sockets, opens its files and writes its PID file as
//! root; then the process changes to the user and group and keeps only the
//! capabilities it still uses ([`Need`]): dhcp6c's CAP_NET_ADMIN for
//! addresses and routes through netlink; dhcp6s and dhcp6relay none (a
//! reload rebinds no socket: dhcp6s re-reads its file, dhcp6relay re-joins
//! ff02::1:2, which needs no privilege). None of them uses raw sockets or
//! SO_BINDTODEVICE (CAP_NET_RAW): every socket is a UDP or netlink socket
//! bound before the drop, and the socket buffers' SO_RCVBUFFORCE
//! (CAP_NET_ADMIN) is set then too. WIDE's daemons always run as root;
//! without `-u`/`-g` kame6's do too.
//!
//! Files: what is open before the drop stays usable through its
//! descriptor (the lease journal and its lock, syslog's socket, the PID
//! file). The DUID file is read, or made, before it. What is created
//! after it must be creatable by the user: dhcp6s's journal compaction and
//! replay counter, and every daemon's statistics file (`--stats-file`),
//! write new files beside theirs, so the daemon lists those
//! directories ([`crate::sys::shell::Shell::writes`]) and a directory the
//! user cannot write is refused at start rather than failing at the first
//! compaction. The PID file usually sits in a directory of root's, so it
//! is emptied at exit instead of removed ([`crate::sys::daemon::PidFile`]).
//!
//! On Linux, in this order: every capability not kept leaves the bounding
//! set (when the process may, CAP_SETPCAP: then not even a set-user-ID
//! program run from a script regains it); `PR_SET_KEEPCAPS`;
//! `setgroups` to none, `setgid`, `setuid`; `capset` to the kept set,
//! effective and permitted, with an empty inheritable set; the ambient set
//! cleared. Programs the daemon runs (scripts) therefore run as the user
//! with no capabilities. Then the drop is checked: the sets are read back,
//! and `setuid(0)` must fail.
//!
//! On FreeBSD there are no capabilities: a daemon that still needs a
//! privilege (dhcp6c configuring addresses, which FreeBSD allows root only)
//! refuses `-u`; the others change user and group as on Linux.
//!
//! A needed capability that would be lost (one not in the permitted set,
//! say under a systemd unit whose `CapabilityBoundingSet=` lacks it), an
//! unknown user or group, or a state directory the user could not write is
//! refused before the daemon detaches, with a message naming what is
//! missing.

use std::fmt;
use std::io;
use std::path::Path;

/// A privilege a daemon still uses after start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Adding and removing addresses and routes (dhcp6c, netlink):
    /// CAP_NET_ADMIN.
    NetAdmin,
    /// Binding a port below 1024 after start-up (a reload that rebinds):
    /// CAP_NET_BIND_SERVICE.
    NetBindService,
    /// Raw or packet sockets, or SO_BINDTODEVICE, after start-up:
    /// CAP_NET_RAW.
    NetRaw,
}

impl Need {
    /// The Linux capability's name.
    pub fn capability(self) -> &'static str {
        match self {
            Self::NetAdmin => "CAP_NET_ADMIN",
            Self::NetBindService => "CAP_NET_BIND_SERVICE",
            Self::NetRaw => "CAP_NET_RAW",
        }
    }

    /// The capability's number (linux/capability.h).
    pub fn bit(self) -> u32 {
        match self {
            Self::NetBindService => CAP_NET_BIND_SERVICE,
            Self::NetAdmin => CAP_NET_ADMIN,
            Self::NetRaw => CAP_NET_RAW,
        }
    }

    /// What the daemon does with it, for messages.
    pub fn purpose(self) -> &'static str {
        match self {
            Self::NetAdmin => "to configure addresses and routes",
            Self::NetBindService => "to bind a privileged port on reload",
            Self::NetRaw => "for raw sockets",
        }
    }
}

/// Capability numbers (linux/capability.h) used here.
const CAP_SETGID: u32 = 6;
const CAP_SETUID: u32 = 7;
#[cfg(target_os = "linux")]
const CAP_SETPCAP: u32 = 8;
const CAP_NET_BIND_SERVICE: u32 = 10;
const CAP_NET_ADMIN: u32 = 12;
const CAP_NET_RAW: u32 = 13;

/// The capability mask of `needs`, as /proc/PID/status shows it.
pub fn mask(needs: &[Need]) -> u64 {
    needs.iter().fold(0, |m, n| m | 1u64 << n.bit())
}

/// A user or group: its name (or the number given) and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// As given on the command line, or looked up from the id.
    pub name: String,
    /// The numeric id.
    pub id: u32,
}

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.id)
    }
}

/// Whom the daemon becomes: `-u` and `-g` looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `-u`; `None` keeps the user (only `-g` given).
    pub user: Option<Named>,
    /// `-g`, else the user's primary group.
    pub group: Named,
}

impl Target {
    /// The user id the process ends with, given the current one.
    fn uid(&self, current: u32) -> u32 {
        self.user.as_ref().map_or(current, |u| u.id)
    }

    /// True when the process ends as a user other than root, so
    /// capabilities matter.
    fn unprivileged(&self, current: u32) -> bool {
        self.uid(current) != 0
    }
}

/// Why privileges could not be dropped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrivError {
    /// `-u` named no user.
    #[error("-u {0}: no such user")]
    NoSuchUser(String),
    /// `-g` named no group.
    #[error("-g {0}: no such group")]
    NoSuchGroup(String),
    /// The user or group database could not be read.
    #[error("looking up {what}: {err}")]
    Lookup {
        /// `user NAME` or `group NAME`.
        what: String,
        /// The reason.
        err: nix::Error,
    },
    /// A capability the daemon needs is not in the permitted set, so it
    /// would be lost with root.
    #[error(
        "-u {user}: {cap} ({purpose}) is not in this process's permitted capabilities, \
         so it would be lost; start with {cap}, or without -u"
    )]
    WouldLose {
        /// The user asked for.
        user: String,
        /// The capability's name.
        cap: &'static str,
        /// What the daemon needs it for.
        purpose: &'static str,
    },
    /// The daemon needs a privilege that only root has here (FreeBSD).
    #[error(
        "-u {user}: the daemon needs root {purpose} and this system has no capabilities \
         to keep; run it without -u"
    )]
    NeedsRoot {
        /// The user asked for.
        user: String,
        /// What the daemon needs root for.
        purpose: &'static str,
    },
    /// Changing the user or group needs a capability the process lacks.
    #[error(
        "changing to {what} needs {cap}, which this process does not have (not started as root?)"
    )]
    CannotChange {
        /// `user NAME` or `group NAME`.
        what: String,
        /// CAP_SETUID or CAP_SETGID.
        cap: &'static str,
    },
    /// A directory the daemon creates files in after the drop is not
    /// writable by the user.
    #[error(
        "-u {user}: {what} directory {dir} is not writable by {user} (the daemon creates \
         files there after dropping root); give the directory to {user}, or choose another"
    )]
    NotWritable {
        /// The user asked for.
        user: String,
        /// What is kept there (`lease journal`, `replay counter`).
        what: &'static str,
        /// The directory.
        dir: String,
    },
    /// A directory's permissions could not be read.
    #[error("{dir}: {err}")]
    Stat {
        /// The directory.
        dir: String,
        /// The reason.
        err: io::Error,
    },
    /// A step of the drop failed.
    #[error("dropping privileges: {step}: {err}")]
    Step {
        /// The call that failed.
        step: &'static str,
        /// The reason.
        err: nix::Error,
    },
    /// The drop did not hold when checked.
    #[error("dropping privileges: {0}")]
    NotDropped(String),
}

/// Looks up a user: a name, else a number.
fn lookup_user(name: &str) -> Result<(Named, u32), PrivError> {
    let what = || format!("user {name}");
    match nix::unistd::User::from_name(name) {
        Ok(Some(u)) => Ok((
            Named {
                name: name.to_string(),
                id: u.uid.as_raw(),
            },
            u.gid.as_raw(),
        )),
        Ok(None) => {
            let id: u32 = name
                .parse()
                .map_err(|_| PrivError::NoSuchUser(name.to_string()))?;
            let u = nix::unistd::User::from_uid(id.into())
                .map_err(|err| PrivError::Lookup { what: what(), err })?
                .ok_or_else(|| PrivError::NoSuchUser(name.to_string()))?;
            Ok((Named { name: u.name, id }, u.gid.as_raw()))
        }
        Err(err) => Err(PrivError::Lookup { what: what(), err }),
    }
}

/// Looks up a group: a name, else a number (a number without an entry
/// is taken as it is, as chgrp does).
fn lookup_group(name: &str) -> Result<Named, PrivError> {
    match nix::unistd::Group::from_name(name) {
        Ok(Some(g)) => Ok(Named {
            name: name.to_string(),
            id: g.gid.as_raw(),
        }),
        Ok(None) => name
            .parse()
            .map(|id| Named {
                name: name.to_string(),
                id,
            })
            .map_err(|_| PrivError::NoSuchGroup(name.to_string())),
        Err(err) => Err(PrivError::Lookup {
            what: format!("group {name}"),
            err,
        }),
    }
}

/// The group named by `gid`, for the log: its name if it has one.
fn group_of(gid: u32) -> Named {
    let name = nix::unistd::Group::from_gid(gid.into())
        .ok()
        .flatten()
        .map_or_else(|| gid.to_string(), |g| g.name);
    Named { name, id: gid }
}

/// `-u` and `-g` looked up; `None` when neither was given. Without `-g`
/// the group is the user's primary group, as ISC dhcpd does.
pub fn resolve(user: Option<&str>, group: Option<&str>) -> Result<Option<Target>, PrivError> {
    let user = user.map(lookup_user).transpose()?;
    let group = group.map(lookup_group).transpose()?;
    Ok(match (user, group) {
        (None, None) => None,
        (Some((u, _)), Some(g)) => Some(Target {
            user: Some(u),
            group: g,
        }),
        (Some((u, primary)), None) => Some(Target {
            user: Some(u),
            group: group_of(primary),
        }),
        (None, Some(g)) => Some(Target {
            user: None,
            group: g,
        }),
    })
}

/// The process's ids as the drop sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ids {
    /// Effective user id.
    pub uid: u32,
    /// Effective group id.
    pub gid: u32,
    /// Permitted capabilities (all bits set where the system has none).
    pub permitted: u64,
}

impl Ids {
    /// The current process's.
    pub fn current() -> io::Result<Self> {
        Ok(Self {
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
            permitted: permitted()?,
        })
    }
}

/// Decides whether `target` can be reached from `now` keeping `needs`;
/// pure, so the refusals are tested without root.
pub fn check(target: &Target, needs: &[Need], now: Ids) -> Result<(), PrivError> {
    let user = target
        .user
        .as_ref()
        .map_or_else(|| now.uid.to_string(), |u| u.name.clone());
    let has = |bit: u32| now.permitted & (1u64 << bit) != 0;
    if let Some(u) = &target.user {
        if u.id != now.uid && !has(CAP_SETUID) {
            return Err(PrivError::CannotChange {
                what: format!("user {u}"),
                cap: "CAP_SETUID",
            });
        }
    }
    if (target.group.id != now.gid || target.uid(now.uid) != now.uid) && !has(CAP_SETGID) {
        return Err(PrivError::CannotChange {
            what: format!("group {}", target.group),
            cap: "CAP_SETGID",
        });
    }
    if !target.unprivileged(now.uid) {
        return Ok(());
    }
    if let Some(n) = needs.first() {
        if !CAPABILITIES {
            return Err(PrivError::NeedsRoot {
                user,
                purpose: n.purpose(),
            });
        }
    }
    match needs.iter().find(|n| !has(n.bit())) {
        Some(n) => Err(PrivError::WouldLose {
            user,
            cap: n.capability(),
            purpose: n.purpose(),
        }),
        None => Ok(()),
    }
}

/// True when a directory owned by `owner`:`group` with permission bits
/// `mode` lets `uid` (with primary group `gid` and no other groups, as
/// after the drop) create files in it. Access control lists are not
/// looked at.
pub fn writable_by(owner: u32, group: u32, mode: u32, uid: u32, gid: u32) -> bool {
    let bits = if uid == 0 {
        return true;
    } else if owner == uid {
        0o300
    } else if group == gid {
        0o030
    } else {
        0o003
    };
    mode & bits == bits
}

/// Checks that `target` may create files in `dir` (what is kept there:
/// `what`).
pub fn check_writable(target: &Target, what: &'static str, dir: &Path) -> Result<(), PrivError> {
    use std::os::unix::fs::MetadataExt;
    let Some(user) = &target.user else {
        return Ok(());
    };
    let m = std::fs::metadata(dir).map_err(|err| PrivError::Stat {
        dir: dir.display().to_string(),
        err,
    })?;
    if writable_by(m.uid(), m.gid(), m.mode(), user.id, target.group.id) {
        Ok(())
    } else {
        Err(PrivError::NotWritable {
            user: user.name.clone(),
            what,
            dir: dir.display().to_string(),
        })
    }
}

/// What the process runs as after [`drop_to`], for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The user.
    pub user: Named,
    /// The group.
    pub group: Named,
    /// The capabilities kept.
    pub kept: Vec<Need>,
}

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "running as user {}, group {}", self.user, self.group)?;
        if self.user.id == 0 {
            return f.write_str(" (root: capabilities unchanged)");
        }
        let caps: Vec<&str> = self.kept.iter().map(|n| n.capability()).collect();
        if caps.is_empty() {
            f.write_str(", no capabilities")
        } else {
            write!(f, ", capabilities {}", caps.join(" "))
        }
    }
}

fn step(step: &'static str) -> impl Fn(nix::Error) -> PrivError {
    move |err| PrivError::Step { step, err }
}

/// Changes the process to `target`, keeping `needs` (see the module
/// docs for the order). Call [`check`] first: this assumes it passed.
pub fn drop_to(target: &Target, needs: &[Need]) -> Result<Dropped, PrivError> {
    use nix::unistd::{getegid, geteuid, setgid, setgroups, setuid, Gid, Uid};
    let now = geteuid().as_raw();
    let uid = target.uid(now);
    let keep = mask(needs);
    let unprivileged = target.unprivileged(now);
    if unprivileged {
        caps::narrow_bounding(keep)?;
        caps::keep_across_setuid(true)?;
    }
    if uid != now || target.group.id != getegid().as_raw() {
        setgroups(&[]).map_err(step("setgroups"))?;
        setgid(Gid::from_raw(target.group.id)).map_err(step("setgid"))?;
        setuid(Uid::from_raw(uid)).map_err(step("setuid"))?;
    }
    if unprivileged {
        caps::set_only(keep)?;
        caps::keep_across_setuid(false)?;
        // Nothing privileged may come back: the kernel refuses root to
        // a process that dropped it.
        if setuid(Uid::from_raw(0)).is_ok() {
            return Err(PrivError::NotDropped("setuid(0) still succeeds".into()));
        }
    }
    let user = Named {
        name: target
            .user
            .as_ref()
            .map_or_else(|| uid.to_string(), |u| u.name.clone()),
        id: geteuid().as_raw(),
    };
    if user.id != uid || getegid().as_raw() != target.group.id {
        return Err(PrivError::NotDropped(format!(
            "still user {}, group {}",
            user.id,
            getegid()
        )));
    }
    Ok(Dropped {
        user,
        group: target.group.clone(),
        kept: if unprivileged {
            needs.to_vec()
        } else {
            Vec::new()
        },
    })
}

/// The permitted capabilities; all bits on a system without capabilities
/// (root may do everything there, anyone else nothing, which
/// [`check`] tells apart by the user id).
fn permitted() -> io::Result<u64> {
    caps::permitted()
}

/// Whether the system has capabilities to keep.
const CAPABILITIES: bool = cfg!(target_os = "linux");

#[cfg(target_os = "linux")]
mod caps {
    //! Linux capabilities through capget/capset and prctl (the libc crate
    //! has the calls but not the capability header's structures).

    use super::{PrivError, CAP_SETPCAP};
    use std::io;

    /// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
    const VERSION_3: u32 = 0x2008_0522;

    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }

    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }

    /// The effective and permitted sets of this process.
    fn get() -> io::Result<(u64, u64)> {
        let mut h = Header {
            version: VERSION_3,
            pid: 0,
        };
        let mut d = [Data::default(); 2];
        // SAFETY: capget writes two `Data` words for version 3 into `d`,
        // which has room for exactly that, and reads `h`.
        #[allow(unsafe_code)]
        let r = unsafe { libc::syscall(libc::SYS_capget, &mut h as *mut Header, d.as_mut_ptr()) };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        let join = |lo: u32, hi: u32| u64::from(lo) | u64::from(hi) << 32;
        Ok((
            join(d[0].effective, d[1].effective),
            join(d[0].permitted, d[1].permitted),
        ))
    }

    pub(super) fn permitted() -> io::Result<u64> {
        get().map(|(_, p)| p)
    }

    /// Sets effective and permitted to `keep`, inheritable to nothing.
    pub(super) fn set_only(keep: u64) -> Result<(), PrivError> {
        let mut h = Header {
            version: VERSION_3,
            pid: 0,
        };
        let b = keep.to_le_bytes();
        let (lo, hi) = (
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        );
        let d = [
            Data {
                effective: lo,
                permitted: lo,
                inheritable: 0,
            },
            Data {
                effective: hi,
                permitted: hi,
                inheritable: 0,
            },
        ];
        // SAFETY: capset reads the header and two `Data` words (version 3).
        #[allow(unsafe_code)]
        let r = unsafe { libc::syscall(libc::SYS_capset, &mut h as *mut Header, d.as_ptr()) };
        if r != 0 {
            return Err(PrivError::Step {
                step: "capset",
                err: nix::Error::last(),
            });
        }
        // The ambient set (Linux 4.3) follows inheritable and permitted,
        // so it is empty already; clearing it says so. An older kernel
        // has none (EINVAL).
        match prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
        ) {
            Ok(()) | Err(nix::Error::EINVAL) => {}
            Err(err) => {
                return Err(PrivError::Step {
                    step: "prctl(PR_CAP_AMBIENT)",
                    err,
                })
            }
        }
        match get() {
            Ok((e, p)) if e == keep && p == keep => Ok(()),
            Ok((e, p)) => Err(PrivError::NotDropped(format!(
                "capabilities effective {e:#x}, permitted {p:#x}, wanted {keep:#x}"
            ))),
            Err(e) => Err(PrivError::NotDropped(format!("capget: {e}"))),
        }
    }

    fn prctl(op: libc::c_int, arg: libc::c_ulong) -> Result<(), nix::Error> {
        // SAFETY: the prctl operations used here take integer arguments only.
        #[allow(unsafe_code)]
        let r = unsafe {
            libc::prctl(
                op,
                arg,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            )
        };
        if r != 0 {
            return Err(nix::Error::last());
        }
        Ok(())
    }

    /// `PR_SET_KEEPCAPS`: the permitted set survives setuid away from root.
    pub(super) fn keep_across_setuid(on: bool) -> Result<(), PrivError> {
        prctl(libc::PR_SET_KEEPCAPS, libc::c_ulong::from(on)).map_err(|err| PrivError::Step {
            step: "prctl(PR_SET_KEEPCAPS)",
            err,
        })
    }

    /// Removes every capability but `keep` from the bounding set, when the
    /// process may (CAP_SETPCAP effective); otherwise the set stays as
    /// the parent left it (a systemd unit's `CapabilityBoundingSet=`).
    pub(super) fn narrow_bounding(keep: u64) -> Result<(), PrivError> {
        let may = get().is_ok_and(|(e, _)| e & (1u64 << CAP_SETPCAP) != 0);
        if !may {
            return Ok(());
        }
        for cap in 0..64u32 {
            if keep & (1u64 << cap) != 0 {
                continue;
            }
            match prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(cap)) {
                Ok(()) => {}
                // Past the kernel's last capability.
                Err(nix::Error::EINVAL) => break,
                Err(err) => {
                    return Err(PrivError::Step {
                        step: "prctl(PR_CAPBSET_DROP)",
                        err,
                    })
                }
            }
        }
        Ok(())
    }
}

#[cfg(not(target_os = "linux"))]
mod caps {
    //! No capabilities: the calls that would change them change nothing.

    use super::PrivError;
    use std::io;

    pub(super) fn permitted() -> io::Result<u64> {
        // Root may do anything; `check` refuses needs by the user id.
        Ok(if nix::unistd::geteuid().is_root() {
            u64::MAX
        } else {
            0
        })
    }

    pub(super) fn set_only(_keep: u64) -> Result<(), PrivError> {
        Ok(())
    }

    pub(super) fn keep_across_setuid(_on: bool) -> Result<(), PrivError> {
        Ok(())
    }

    pub(super) fn narrow_bounding(_keep: u64) -> Result<(), PrivError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT_ALL: Ids = Ids {
        uid: 0,
        gid: 0,
        permitted: u64::MAX,
    };

    fn target(uid: Option<u32>, gid: u32) -> Target {
        Target {
            user: uid.map(|id| Named {
                name: format!("u{id}"),
                id,
            }),
            group: Named {
                name: format!("g{gid}"),
                id: gid,
            },
        }
    }

    #[test]
    fn masks_are_the_capability_bits() {
        assert_eq!(mask(&[]), 0);
        assert_eq!(mask(&[Need::NetAdmin]), 0x1000);
        assert_eq!(mask(&[Need::NetBindService, Need::NetRaw]), 0x2400);
    }

    #[test]
    fn root_with_every_capability_may_drop_to_anyone() {
        for needs in [&[][..], &[Need::NetAdmin]] {
            let r = check(&target(Some(65534), 65534), needs, ROOT_ALL);
            if CAPABILITIES || needs.is_empty() {
                assert!(r.is_ok(), "{r:?}");
            } else {
                assert!(matches!(r, Err(PrivError::NeedsRoot { .. })), "{r:?}");
            }
        }
        // -g alone, or -u root: stays root, nothing to keep.
        assert!(check(&target(None, 65534), &[Need::NetAdmin], ROOT_ALL).is_ok());
        assert!(check(&target(Some(0), 0), &[Need::NetAdmin], ROOT_ALL).is_ok());
    }

    /// A needed capability outside the permitted set is refused by name.
    #[test]
    fn a_needed_capability_that_would_be_lost_is_refused() {
        if !CAPABILITIES {
            return;
        }
        let now = Ids {
            permitted: ROOT_ALL.permitted & !mask(&[Need::NetAdmin]),
            ..ROOT_ALL
        };
        let e = check(&target(Some(65534), 65534), &[Need::NetAdmin], now).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("CAP_NET_ADMIN"), "{text}");
        assert!(text.contains("u65534"), "{text}");
        assert!(check(&target(Some(65534), 65534), &[], now).is_ok());
    }

    #[test]
    fn changing_ids_needs_setuid_and_setgid() {
        let nobody = Ids {
            uid: 1000,
            gid: 1000,
            permitted: 0,
        };
        let e = check(&target(Some(65534), 65534), &[], nobody).unwrap_err();
        assert!(e.to_string().contains("CAP_SETUID"), "{e}");
        let e = check(&target(None, 65534), &[], nobody).unwrap_err();
        assert!(e.to_string().contains("CAP_SETGID"), "{e}");
        // Already that user and group: nothing to change.
        assert!(check(&target(Some(1000), 1000), &[], nobody).is_ok());
    }

    #[test]
    fn directory_write_permission() {
        // Owner, group, others; creating a file needs write and search.
        assert!(writable_by(65534, 0, 0o755, 65534, 65534));
        assert!(!writable_by(0, 0, 0o755, 65534, 65534));
        assert!(writable_by(0, 65534, 0o775, 65534, 65534));
        assert!(!writable_by(0, 65534, 0o765, 65534, 65534));
        assert!(writable_by(0, 0, 0o1777, 65534, 65534));
        // The owner's bits count for the owner, even if others may more.
        assert!(!writable_by(65534, 0, 0o557, 65534, 65534));
        assert!(writable_by(0, 0, 0o700, 0, 0));
    }

    #[test]
    fn unknown_names_are_refused() {
        let e = resolve(Some("kame6-no-such-user"), None).unwrap_err();
        assert_eq!(e.to_string(), "-u kame6-no-such-user: no such user");
        let e = resolve(None, Some("kame6-no-such-group")).unwrap_err();
        assert_eq!(e.to_string(), "-g kame6-no-such-group: no such group");
        assert_eq!(resolve(None, None).unwrap(), None);
        // root exists everywhere; its primary group is 0.
        let t = resolve(Some("root"), None).unwrap().unwrap();
        assert_eq!(t.user.map(|u| u.id), Some(0));
        assert_eq!(t.group.id, 0);
        let t = resolve(Some("0"), Some("0")).unwrap().unwrap();
        assert_eq!(t.group.name, "0");
    }

    #[test]
    fn dropped_says_what_is_kept() {
        let d = Dropped {
            user: Named {
                name: "nobody".into(),
                id: 65534,
            },
            group: Named {
                name: "nogroup".into(),
                id: 65534,
            },
            kept: vec![Need::NetAdmin],
        };
        assert_eq!(
            d.to_string(),
            "running as user nobody (65534), group nogroup (65534), capabilities CAP_NET_ADMIN"
        );
    }
}
