//! dhcp6c's kernel backend on FreeBSD, with the API of the Linux netlink
//! one ([`super::ifconf`] picks between them): addresses with lifetimes
//! through `SIOCAIFADDR_IN6` / `SIOCDIFADDR_IN6` on an `AF_INET6` socket,
//! as WIDE's dhcp6c (`ifaddrconf`) configures them, their DAD state through
//! `SIOCGIFAFLAG_IN6`, reject routes and link notifications through a
//! `PF_ROUTE` socket.
//!
//! Type-checked only: no FreeBSD machine runs the tests. The structures
//! are FreeBSD's (netinet6/in6_var.h); the compile-time checks below hold
//! their sizes and the `if_msghdr` offsets of [`super::routemsg`] against
//! the libc crate's definitions.

use std::io::{self, Read};
use std::mem::{offset_of, size_of};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use libc::{c_char, c_int, c_ulong, sockaddr_in6};
use socket2::{Domain, Protocol, Socket, Type};

use super::ifconf::{LinkEvent, IFA_F_DADFAILED, IFA_F_TENTATIVE};
use super::net::if_indextoname;
use super::routemsg::{self, ifam, ifm, RTM_ADD, RTM_CHANGE, RTM_DELETE};

const IN6_IFF_TENTATIVE: c_int = 0x02;
const IN6_IFF_DUPLICATED: c_int = 0x04;

/// `struct in6_addrlifetime`: the kernel computes the two times from the
/// two lifetimes it is given.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct In6AddrLifetime {
    ia6t_expire: libc::time_t,
    ia6t_preferred: libc::time_t,
    ia6t_vltime: u32,
    ia6t_pltime: u32,
}

/// `struct in6_aliasreq`, the argument of `SIOCAIFADDR_IN6`.
#[repr(C)]
struct In6Aliasreq {
    ifra_name: [c_char; libc::IFNAMSIZ],
    ifra_addr: sockaddr_in6,
    ifra_dstaddr: sockaddr_in6,
    ifra_prefixmask: sockaddr_in6,
    ifra_flags: c_int,
    ifra_lifetime: In6AddrLifetime,
    ifra_vhid: c_int,
}

/// The union of `struct in6_ifreq`; its largest member, `struct
/// icmp6_ifstat`, is 34 counters, which sets the size the ioctl numbers encode.
#[repr(C)]
union In6IfreqData {
    addr: sockaddr_in6,
    flags6: c_int,
    icmp6_ifstat: [u64; 34],
}

/// `struct in6_ifreq`, the argument of `SIOCDIFADDR_IN6` and `SIOCGIFAFLAG_IN6`.
#[repr(C)]
struct In6Ifreq {
    ifr_name: [c_char; libc::IFNAMSIZ],
    ifr_ifru: In6IfreqData,
}

// The sizes FreeBSD's headers give on 64-bit targets, and the if_msghdr
// offsets routemsg reads, checked against libc's definitions.
const _: () = assert!(size_of::<In6AddrLifetime>() == 24);
const _: () = assert!(size_of::<In6Aliasreq>() == 136);
const _: () = assert!(size_of::<In6Ifreq>() == 288);
const _: () = assert!(size_of::<sockaddr_in6>() == routemsg::SOCKADDR_IN6_LEN);
const _: () = assert!(offset_of!(libc::if_msghdr, ifm_flags) == ifm::FLAGS);
const _: () = assert!(offset_of!(libc::if_msghdr, ifm_index) == ifm::INDEX);
const _: () = assert!(offset_of!(libc::if_msghdr, ifm_data) == ifm::DATA);
const _: () = assert!(offset_of!(libc::if_data, ifi_link_state) == ifm::LINK_STATE - ifm::DATA);
const _: () = assert!(offset_of!(libc::ifa_msghdr, ifam_addrs) == ifam::ADDRS);
const _: () = assert!(offset_of!(libc::ifa_msghdr, ifam_index) == ifam::INDEX);
const _: () = assert!(size_of::<libc::ifa_msghdr>() == ifam::LEN);
const _: () = assert!(libc::RTM_NEWADDR == routemsg::RTM_NEWADDR as c_int);
const _: () = assert!(libc::RTM_DELADDR == routemsg::RTM_DELADDR as c_int);
const _: () = assert!(libc::AF_INET6 == routemsg::AF_INET6 as c_int);
const _: () = assert!(libc::RTM_IFINFO == routemsg::RTM_IFINFO as c_int);
const _: () = assert!(libc::RTM_VERSION == routemsg::RTM_VERSION as c_int);

/// `_IOC(inout, group, num, len)` of sys/ioccom.h.
const fn ioc(inout: c_ulong, group: u8, num: u8, len: usize) -> c_ulong {
    const IOCPARM_MASK: c_ulong = 0x1fff;
    inout | ((len as c_ulong & IOCPARM_MASK) << 16) | ((group as c_ulong) << 8) | num as c_ulong
}
const IOC_OUT: c_ulong = 0x4000_0000;
const IOC_IN: c_ulong = 0x8000_0000;
/// `_IOW('i', 27, struct in6_aliasreq)`.
const SIOCAIFADDR_IN6: c_ulong = ioc(IOC_IN, b'i', 27, size_of::<In6Aliasreq>());
/// `_IOW('i', 25, struct in6_ifreq)`.
const SIOCDIFADDR_IN6: c_ulong = ioc(IOC_IN, b'i', 25, size_of::<In6Ifreq>());
/// `_IOWR('i', 73, struct in6_ifreq)`.
const SIOCGIFAFLAG_IN6: c_ulong = ioc(IOC_IN | IOC_OUT, b'i', 73, size_of::<In6Ifreq>());
// The numbers FreeBSD's headers give on amd64 and arm64.
const _: () = assert!(SIOCAIFADDR_IN6 == 0x8088_691b);
const _: () = assert!(SIOCDIFADDR_IN6 == 0x8120_6919);
const _: () = assert!(SIOCGIFAFLAG_IN6 == 0xc120_6949);

/// An all-zero sockaddr_in6: "none", as WIDE's memset leaves `ifra_dstaddr`.
const NO_SIN6: sockaddr_in6 = sockaddr_in6 {
    sin6_len: 0,
    sin6_family: 0,
    sin6_port: 0,
    sin6_flowinfo: 0,
    sin6_addr: libc::in6_addr { s6_addr: [0; 16] },
    sin6_scope_id: 0,
};

fn sin6(addr: Ipv6Addr) -> sockaddr_in6 {
    sockaddr_in6 {
        sin6_len: routemsg::SIN6_LEN,
        sin6_family: routemsg::AF_INET6,
        sin6_port: 0,
        sin6_flowinfo: 0,
        sin6_addr: libc::in6_addr {
            s6_addr: addr.octets(),
        },
        sin6_scope_id: 0,
    }
}

/// The name of interface `ifindex`, NUL-padded as the requests carry it.
fn ifname(ifindex: u32) -> io::Result<[c_char; libc::IFNAMSIZ]> {
    let name = if_indextoname(ifindex)?;
    let mut out = [0 as c_char; libc::IFNAMSIZ];
    if name.len() >= out.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "interface name too long",
        ));
    }
    for (o, b) in out.iter_mut().zip(name.bytes()) {
        *o = b as c_char;
    }
    Ok(out)
}

/// One `SIOC*_IN6` request on an AF_INET6 socket.
///
/// # Safety
/// `req` must be the structure `cmd` encodes the size of.
#[allow(unsafe_code)]
unsafe fn ioctl<T>(sock: &Socket, cmd: c_ulong, req: &mut T) -> io::Result<()> {
    // SAFETY: the caller matches `req` to `cmd`, so the kernel reads and
    // writes only inside `*req`, which lives across the call.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), cmd, std::ptr::from_mut(req)) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// An `in6_ifreq` naming `addr` on interface `ifindex`.
fn ifreq(ifindex: u32, addr: Ipv6Addr) -> io::Result<In6Ifreq> {
    Ok(In6Ifreq {
        ifr_name: ifname(ifindex)?,
        ifr_ifru: In6IfreqData { addr: sin6(addr) },
    })
}

/// `SIOCGIFAFLAG_IN6`: the flags of `addr` on `ifindex` as
/// [`RouteSocket::address_flags`] reports them.
fn address_flags(sock: &Socket, ifindex: u32, addr: Ipv6Addr) -> io::Result<Option<u32>> {
    let mut req = ifreq(ifindex, addr)?;
    // SAFETY: SIOCGIFAFLAG_IN6 takes a struct in6_ifreq.
    #[allow(unsafe_code)]
    let r = unsafe { ioctl(sock, SIOCGIFAFLAG_IN6, &mut req) };
    match r {
        Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => return Ok(None),
        r => r?,
    }
    // SAFETY: on success the kernel stored ifru_flags6 in the union;
    // every bit pattern is a valid c_int.
    #[allow(unsafe_code)]
    let f = unsafe { req.ifr_ifru.flags6 };
    // A failed DAD is reported as Linux reports it: DADFAILED on a
    // tentative address (FreeBSD clears TENTATIVE when it sets DUPLICATED).
    let mut flags = 0;
    if f & IN6_IFF_DUPLICATED != 0 {
        flags |= IFA_F_DADFAILED | IFA_F_TENTATIVE;
    }
    if f & IN6_IFF_TENTATIVE != 0 {
        flags |= IFA_F_TENTATIVE;
    }
    Ok(Some(flags))
}

/// The sockets dhcp6c configures the host through on FreeBSD.
#[derive(Debug)]
pub struct RouteSocket {
    /// For the `SIOC*_IN6` ioctls (WIDE opens one per call; one is enough).
    inet6: Socket,
    /// Write-only `PF_ROUTE` socket for route requests.
    route: Socket,
    seq: i32,
}

impl RouteSocket {
    /// Opens the sockets.
    pub fn open() -> io::Result<Self> {
        let inet6 = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
        let route = Socket::new(Domain::from(libc::PF_ROUTE), Type::RAW, None)?;
        // Requests are answered by write(2)'s result; the copies of every
        // routing message the kernel would queue here are not wanted.
        route.shutdown(Shutdown::Read)?;
        Ok(Self {
            inet6,
            route,
            seq: 1,
        })
    }

    /// Adds or refreshes `addr/plen` on interface `ifindex` with the given
    /// lifetimes in seconds (0xffffffff, FreeBSD's `ND6_INFINITE_LIFETIME`
    /// too: forever). Re-adding an existing address replaces its lifetimes
    /// (in6_update_ifa).
    pub fn add_address(
        &mut self,
        ifindex: u32,
        addr: Ipv6Addr,
        plen: u8,
        preferred: u32,
        valid: u32,
    ) -> io::Result<()> {
        let mut req = In6Aliasreq {
            ifra_name: ifname(ifindex)?,
            ifra_addr: sin6(addr),
            ifra_dstaddr: NO_SIN6,
            ifra_prefixmask: sin6(routemsg::prefix_mask(plen)),
            // No IN6_IFF_NODAD: the kernel runs DAD and dhcp6c declines an
            // address that fails (RFC 8415 §18.2.7).
            ifra_flags: 0,
            ifra_lifetime: In6AddrLifetime {
                ia6t_vltime: valid,
                // The kernel refuses a preferred lifetime above the valid one.
                ia6t_pltime: preferred.min(valid),
                ..In6AddrLifetime::default()
            },
            ifra_vhid: 0,
        };
        // SAFETY: SIOCAIFADDR_IN6 takes a struct in6_aliasreq.
        #[allow(unsafe_code)]
        let r = unsafe { ioctl(&self.inet6, SIOCAIFADDR_IN6, &mut req) };
        r
    }

    /// The flags of `addr` on interface `ifindex` in the netlink backend's
    /// terms ([`IFA_F_DADFAILED`] with [`IFA_F_TENTATIVE`] for
    /// `IN6_IFF_DUPLICATED`, [`IFA_F_TENTATIVE`] for `IN6_IFF_TENTATIVE`),
    /// or `None` when the address is not there.
    pub fn address_flags(&mut self, ifindex: u32, addr: Ipv6Addr) -> io::Result<Option<u32>> {
        address_flags(&self.inet6, ifindex, addr)
    }

    /// Removes `addr` from interface `ifindex`; an address already gone is
    /// fine. The kernel finds the address by its value, so `plen` (kept
    /// for the netlink backend's signature) is not sent.
    pub fn del_address(&mut self, ifindex: u32, addr: Ipv6Addr, plen: u8) -> io::Result<()> {
        let _ = plen;
        // WIDE passes its in6_aliasreq here; the ioctl is defined on the
        // larger in6_ifreq, which is what the kernel copies in.
        let mut req = ifreq(ifindex, addr)?;
        // SAFETY: SIOCDIFADDR_IN6 takes a struct in6_ifreq.
        #[allow(unsafe_code)]
        let r = unsafe { ioctl(&self.inet6, SIOCDIFADDR_IN6, &mut req) };
        match r {
            Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(()),
            r => r,
        }
    }

    /// IPv4 addresses leased over DHCPv4-over-DHCPv6 are not installed on
    /// FreeBSD yet (it would take `SIOCAIFADDR` and an IPv4 socket, and
    /// FreeBSD keeps no lifetime on IPv4 addresses): a clear error, so
    /// dhcp6c logs it and the script still gets the lease.
    pub fn add_address4(
        &mut self,
        ifindex: u32,
        addr: Ipv4Addr,
        plen: u8,
        valid: u32,
    ) -> io::Result<()> {
        let _ = (ifindex, plen, valid);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("installing the IPv4 address {addr} is not supported on FreeBSD; the script must do it"),
        ))
    }

    /// See [`RouteSocket::add_address4`]: nothing was installed, so
    /// nothing is removed.
    pub fn del_address4(&mut self, ifindex: u32, addr: Ipv4Addr, plen: u8) -> io::Result<()> {
        let _ = (ifindex, addr, plen);
        Ok(())
    }

    /// Writes one route request; the kernel's verdict is write(2)'s result.
    fn route(&mut self, kind: u8, prefix: Ipv6Addr, plen: u8) -> io::Result<()> {
        let msg = routemsg::reject_route(kind, self.seq, prefix, plen);
        self.seq = self.seq.wrapping_add(1);
        self.route.send(&msg).map(|_| ())
    }

    /// Installs an unreachable (reject) route for a delegated prefix, so
    /// traffic to parts of it not numbered on a LAN is not sent back
    /// upstream. An existing route for the prefix is changed into it.
    pub fn add_unreachable(&mut self, prefix: Ipv6Addr, plen: u8) -> io::Result<()> {
        match self.route(RTM_ADD, prefix, plen) {
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                self.route(RTM_CHANGE, prefix, plen)
            }
            r => r,
        }
    }

    /// Removes the unreachable route; one already gone is fine.
    pub fn del_unreachable(&mut self, prefix: Ipv6Addr, plen: u8) -> io::Result<()> {
        match self.route(RTM_DELETE, prefix, plen) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            r => r,
        }
    }
}

/// A `PF_ROUTE` socket read for link and address notifications
/// (`RTM_IFINFO`, `RTM_NEWADDR`, `RTM_DELADDR`), so dhcp6c learns when an
/// interface's link comes back (RFC 8415 §18.2.3) and what became of an
/// address it installed.
#[derive(Debug)]
pub struct LinkMonitor {
    sock: Socket,
    /// For `SIOCGIFAFLAG_IN6`: the routing socket does not carry an
    /// address's `IN6_IFF_*` flags, so a new address's are looked up.
    inet6: Socket,
}

impl LinkMonitor {
    /// Opens the sockets, the routing socket non-blocking.
    pub fn open() -> io::Result<Self> {
        let sock = Socket::new(Domain::from(libc::PF_ROUTE), Type::RAW, None)?;
        sock.set_nonblocking(true)?;
        let inet6 = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
        Ok(Self { sock, inet6 })
    }

    /// The notifications waiting, in the kernel's order. An address added
    /// carries its flags as they are now; one already gone again is left
    /// to its own removal notice.
    pub fn events(&mut self) -> Vec<LinkEvent> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 16384];
        // One routing message per read(2).
        while let Ok(n) = (&self.sock).read(&mut buf) {
            if n == 0 {
                break;
            }
            for ev in routemsg::link_events(buf.get(..n).unwrap_or_default()) {
                match ev {
                    LinkEvent::Address(mut a) => {
                        if let Ok(Some(flags)) = address_flags(&self.inet6, a.ifindex, a.addr) {
                            a.flags = flags;
                            out.push(LinkEvent::Address(a));
                        }
                    }
                    ev => out.push(ev),
                }
            }
        }
        out
    }
}

impl AsFd for LinkMonitor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

/// The link-layer address of interface `ifname` (its `AF_LINK` address),
/// if it has a 6-octet one.
pub fn hardware_address(ifname: &str) -> Option<Vec<u8>> {
    super::net::link_addresses()
        .into_iter()
        .find(|l| l.name == ifname && l.mac != [0; 6])
        .map(|l| l.mac.to_vec())
}
