//! A small rtnetlink client: IPv6 addresses with kernel lifetimes (and
//! their DAD flags), unreachable routes and link notifications, which is
//! all dhcp6c needs to configure a host; plus an interface's hardware
//! address from sysfs.
//!
//! WIDE's client installs addresses with `SIOCSIFADDR`, so on Linux they
//! live "forever" and a renewed lease still vanishes at the first valid
//! lifetime (doc/wide-compat.md §9.2 item 9). Here every Reply re-issues
//! `RTM_NEWADDR` with `NLM_F_REPLACE` and `IFA_CACHEINFO`, so the kernel's
//! preferred/valid lifetimes follow the lease.

use std::io::{self, Read};
use std::net::{Ipv4Addr, Ipv6Addr};

use libc::{
    IFA_ADDRESS, IFA_CACHEINFO, IFA_FLAGS, IFA_LOCAL, RTA_DST, RTM_DELADDR, RTM_DELROUTE,
    RTM_GETADDR, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE, RTN_UNREACHABLE, RT_SCOPE_UNIVERSE,
    RT_TABLE_MAIN,
};
use socket2::{Domain, Protocol, Socket, Type};

use super::ifconf::{IfAddr, LinkEvent};

// Kernel constants come from libc. libc gives the netlink flags and message
// types, AF_INET6, RTMGRP_LINK, RTMGRP_IPV6_IFADDR and IFF_RUNNING as c_int; the wire fields are
// u16, u8 and u32, so they are narrowed here, checked at compile time.
const NLM_F_REQUEST: u16 = u16_of(libc::NLM_F_REQUEST);
const NLM_F_ACK: u16 = u16_of(libc::NLM_F_ACK);
const NLM_F_DUMP: u16 = u16_of(libc::NLM_F_DUMP);
const NLM_F_REPLACE: u16 = u16_of(libc::NLM_F_REPLACE);
const NLM_F_CREATE: u16 = u16_of(libc::NLM_F_CREATE);
const NLMSG_ERROR: u16 = u16_of(libc::NLMSG_ERROR);
const NLMSG_DONE: u16 = u16_of(libc::NLMSG_DONE);
const AF_INET6: u8 = u8_of(libc::AF_INET6);
const AF_INET: u8 = u8_of(libc::AF_INET);
const RTMGRP_LINK: u32 = u32_of(libc::RTMGRP_LINK);
const RTMGRP_IPV6_IFADDR: u32 = u32_of(libc::RTMGRP_IPV6_IFADDR);
const IFF_RUNNING: u32 = u32_of(libc::IFF_RUNNING);

// Not in libc, so our own:
/// `NLMSG_HDRLEN`, `sizeof(struct nlmsghdr)` aligned to 4 (libc keeps it
/// private).
const NLMSG_HDRLEN: usize = 16;
/// `RTPROT_DHCP` (linux/rtnetlink.h): routes we install are marked as
/// DHCP's. libc stops at `RTPROT_STATIC`.
const RTPROT_DHCP: u8 = 16;

/// `v` as a u16 header field; a value that does not fit stops the build.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
const fn u16_of(v: libc::c_int) -> u16 {
    assert!(v >= 0 && v <= u16::MAX as libc::c_int);
    v as u16
}

/// `v` as a u8 field; a value that does not fit stops the build.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
const fn u8_of(v: libc::c_int) -> u8 {
    assert!(v >= 0 && v <= u8::MAX as libc::c_int);
    v as u8
}

/// `v` as a u32 field; a negative value stops the build.
#[allow(clippy::cast_sign_loss)]
const fn u32_of(v: libc::c_int) -> u32 {
    assert!(v >= 0);
    v as u32
}

/// A request being built: header, fixed body, then attributes, each padded to 4.
struct Msg(Vec<u8>);

impl Msg {
    fn new(kind: u16, flags: u16, seq: u32) -> Self {
        let mut v = Vec::with_capacity(128);
        v.extend_from_slice(&0u32.to_ne_bytes()); // length, patched in finish
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(&(flags | NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
        v.extend_from_slice(&seq.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it
        Self(v)
    }

    fn attr(&mut self, kind: u16, data: &[u8]) {
        let len = u16::try_from(4 + data.len()).unwrap_or(u16::MAX);
        self.0.extend_from_slice(&len.to_ne_bytes());
        self.0.extend_from_slice(&kind.to_ne_bytes());
        self.0.extend_from_slice(data);
        while !self.0.len().is_multiple_of(4) {
            self.0.push(0);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        let len = u32::try_from(self.0.len())
            .unwrap_or(u32::MAX)
            .to_ne_bytes();
        self.0[..4].copy_from_slice(&len);
        self.0
    }
}

/// An open NETLINK_ROUTE socket.
#[derive(Debug)]
pub struct Netlink {
    sock: Socket,
    seq: u32,
}

impl Netlink {
    /// Opens the socket.
    pub fn open() -> io::Result<Self> {
        let sock = Socket::new(
            Domain::from(libc::AF_NETLINK),
            Type::RAW,
            Some(Protocol::from(libc::NETLINK_ROUTE)),
        )?;
        Ok(Self { sock, seq: 1 })
    }

    /// Sends one request and waits for the kernel's acknowledgement.
    fn request(&mut self, msg: Vec<u8>) -> io::Result<()> {
        self.sock.send(&msg)?;
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let mut buf = [0u8; 4096];
        loop {
            let n = (&self.sock).read(&mut buf)?;
            let mut off = 0;
            while let Some(hdr) = buf.get(off..off + NLMSG_HDRLEN).filter(|_| off < n) {
                let len = u32::from_ne_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as usize;
                let kind = u16::from_ne_bytes([hdr[4], hdr[5]]);
                let mseq = u32::from_ne_bytes([hdr[8], hdr[9], hdr[10], hdr[11]]);
                if len < NLMSG_HDRLEN {
                    return Err(io::Error::other("malformed netlink answer"));
                }
                if kind == NLMSG_ERROR && mseq == seq {
                    let code = buf
                        .get(off + NLMSG_HDRLEN..off + NLMSG_HDRLEN + 4)
                        .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                        .unwrap_or(-libc::EIO);
                    return if code == 0 {
                        Ok(())
                    } else {
                        Err(io::Error::from_raw_os_error(-code))
                    };
                }
                off += (len + 3) & !3;
            }
        }
    }

    fn next_seq(&self) -> u32 {
        self.seq
    }

    /// An address request: `struct ifaddrmsg` for `family`, then
    /// `IFA_LOCAL` and `IFA_ADDRESS` both `octets`.
    fn addr_msg(
        &self,
        kind: u16,
        flags: u16,
        family: u8,
        plen: u8,
        ifindex: u32,
        octets: &[u8],
    ) -> Msg {
        let mut m = Msg::new(kind, flags, self.next_seq());
        // struct ifaddrmsg { family, prefixlen, flags, scope, index }
        m.0.extend_from_slice(&[family, plen, 0, RT_SCOPE_UNIVERSE]);
        m.0.extend_from_slice(&ifindex.to_ne_bytes());
        m.attr(IFA_LOCAL, octets);
        m.attr(IFA_ADDRESS, octets);
        m
    }

    /// Sends an address removal; an address already gone is fine.
    fn del_addr(&mut self, m: Msg) -> io::Result<()> {
        match self.request(m.finish()) {
            Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(()),
            r => r,
        }
    }

    /// Adds or refreshes `addr/plen` on interface `ifindex` with the given
    /// lifetimes in seconds (0xffffffff: forever). Re-adding an existing
    /// address replaces its lifetimes.
    pub fn add_address(
        &mut self,
        ifindex: u32,
        addr: Ipv6Addr,
        plen: u8,
        preferred: u32,
        valid: u32,
    ) -> io::Result<()> {
        let flags = NLM_F_CREATE | NLM_F_REPLACE;
        let mut m = self.addr_msg(RTM_NEWADDR, flags, AF_INET6, plen, ifindex, &addr.octets());
        // No IFA_F_NODAD: the kernel runs DAD where the interface asks for
        // it, and dhcp6c declines an address that fails (RFC 8415 §18.2.7).
        // struct ifa_cacheinfo { ifa_prefered, ifa_valid, cstamp, tstamp }
        let mut ci = Vec::with_capacity(16);
        ci.extend_from_slice(&preferred.min(valid).to_ne_bytes());
        ci.extend_from_slice(&valid.to_ne_bytes());
        ci.extend_from_slice(&[0u8; 8]);
        m.attr(IFA_CACHEINFO, &ci);
        self.request(m.finish())
    }

    /// The flags (`IFA_F_*`) of `addr` on interface `ifindex`, or `None`
    /// when the address is not there.
    pub fn address_flags(&mut self, ifindex: u32, addr: Ipv6Addr) -> io::Result<Option<u32>> {
        let mut m = Msg::new(RTM_GETADDR, NLM_F_DUMP, self.next_seq());
        m.0.extend_from_slice(&[AF_INET6, 0, 0, 0]);
        m.0.extend_from_slice(&0u32.to_ne_bytes());
        let msg = m.finish();
        // The dump request carries NLM_F_ACK too; the kernel ends it with DONE.
        self.sock.send(&msg)?;
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let mut found = None;
        let mut buf = vec![0u8; 32768];
        loop {
            let n = (&self.sock).read(&mut buf)?;
            let mut off = 0;
            while off + NLMSG_HDRLEN <= n {
                let h = |i: usize| buf.get(off + i).copied().unwrap_or(0);
                let len = u32::from_ne_bytes([h(0), h(1), h(2), h(3)]) as usize;
                let kind = u16::from_ne_bytes([h(4), h(5)]);
                let mseq = u32::from_ne_bytes([h(8), h(9), h(10), h(11)]);
                if len < NLMSG_HDRLEN || off + len > n {
                    return Err(io::Error::other("malformed netlink answer"));
                }
                if mseq == seq {
                    match kind {
                        NLMSG_DONE => return Ok(found),
                        NLMSG_ERROR => {
                            let code = buf
                                .get(off + NLMSG_HDRLEN..off + NLMSG_HDRLEN + 4)
                                .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                                .unwrap_or(-libc::EIO);
                            if code != 0 {
                                return Err(io::Error::from_raw_os_error(-code));
                            }
                            return Ok(found);
                        }
                        RTM_NEWADDR => {
                            if let Some(body) = buf.get(off + NLMSG_HDRLEN..off + len) {
                                if let Some(f) = match_address(body, ifindex, addr) {
                                    found = Some(f);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                off += (len + 3) & !3;
            }
        }
    }

    /// Removes `addr/plen` from interface `ifindex`; an address already gone is fine.
    pub fn del_address(&mut self, ifindex: u32, addr: Ipv6Addr, plen: u8) -> io::Result<()> {
        let m = self.addr_msg(RTM_DELADDR, 0, AF_INET6, plen, ifindex, &addr.octets());
        self.del_addr(m)
    }

    /// Adds or refreshes the IPv4 address `addr/plen` on interface
    /// `ifindex` for `valid` seconds (0xffffffff: forever), as a DHCPv4
    /// lease gives it: Linux keeps lifetimes on IPv4 addresses too
    /// (`IFA_CACHEINFO`) and removes the address when it runs out.
    pub fn add_address4(
        &mut self,
        ifindex: u32,
        addr: Ipv4Addr,
        plen: u8,
        valid: u32,
    ) -> io::Result<()> {
        let flags = NLM_F_CREATE | NLM_F_REPLACE;
        let mut m = self.addr_msg(RTM_NEWADDR, flags, AF_INET, plen, ifindex, &addr.octets());
        let mut ci = Vec::with_capacity(16);
        ci.extend_from_slice(&valid.to_ne_bytes());
        ci.extend_from_slice(&valid.to_ne_bytes());
        ci.extend_from_slice(&[0u8; 8]);
        m.attr(IFA_CACHEINFO, &ci);
        self.request(m.finish())
    }

    /// Removes the IPv4 address `addr/plen` from interface `ifindex`; one
    /// already gone is fine.
    pub fn del_address4(&mut self, ifindex: u32, addr: Ipv4Addr, plen: u8) -> io::Result<()> {
        let m = self.addr_msg(RTM_DELADDR, 0, AF_INET, plen, ifindex, &addr.octets());
        self.del_addr(m)
    }

    fn route(&mut self, kind: u16, flags: u16, prefix: Ipv6Addr, plen: u8) -> io::Result<()> {
        let mut m = Msg::new(kind, flags, self.next_seq());
        // struct rtmsg { family, dst_len, src_len, tos, table, protocol, scope, type, flags }
        m.0.extend_from_slice(&[
            AF_INET6,
            plen,
            0,
            0,
            RT_TABLE_MAIN,
            RTPROT_DHCP,
            RT_SCOPE_UNIVERSE,
            RTN_UNREACHABLE,
        ]);
        m.0.extend_from_slice(&0u32.to_ne_bytes());
        m.attr(RTA_DST, &prefix.octets());
        self.request(m.finish())
    }

    /// Installs an unreachable route for a delegated prefix, so traffic to
    /// parts of it not numbered on a LAN is not sent back upstream (a loop
    /// with the ISP's route). An existing identical route is replaced.
    pub fn add_unreachable(&mut self, prefix: Ipv6Addr, plen: u8) -> io::Result<()> {
        self.route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, prefix, plen)
    }

    /// Removes the unreachable route; one already gone is fine.
    pub fn del_unreachable(&mut self, prefix: Ipv6Addr, plen: u8) -> io::Result<()> {
        match self.route(RTM_DELROUTE, 0, prefix, plen) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            r => r,
        }
    }
}

/// The flags of one RTM_NEWADDR body if it is `addr` on `ifindex`.
fn match_address(body: &[u8], ifindex: u32, addr: Ipv6Addr) -> Option<u32> {
    ifaddr(body)
        .filter(|a| a.ifindex == ifindex && a.addr == addr)
        .map(|a| a.flags)
}

/// Reads an ifaddrmsg body; `None` unless it is IPv6 and names its address.
fn ifaddr(body: &[u8]) -> Option<IfAddr> {
    // struct ifaddrmsg { family, prefixlen, flags, scope, index: u32 }
    let hdr = body.get(..8)?;
    if hdr[0] != AF_INET6 {
        return None;
    }
    let ifindex = u32::from_ne_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
    let mut flags = u32::from(hdr[2]);
    let mut addr = None;
    let mut off = 8;
    while let Some(a) = body.get(off..off + 4) {
        let len = usize::from(u16::from_ne_bytes([a[0], a[1]]));
        let kind = u16::from_ne_bytes([a[2], a[3]]);
        if len < 4 {
            break;
        }
        let data = body.get(off + 4..off + len)?;
        match kind {
            IFA_ADDRESS => {
                let octets: [u8; 16] = data.try_into().ok()?;
                addr = Some(Ipv6Addr::from(octets));
            }
            IFA_FLAGS => {
                let f: [u8; 4] = data.try_into().ok()?;
                flags = u32::from_ne_bytes(f);
            }
            _ => {}
        }
        off += (len + 3) & !3;
    }
    Some(IfAddr {
        ifindex,
        addr: addr?,
        flags,
    })
}

/// The link-layer address of interface `ifname` from sysfs, if it has one.
pub fn hardware_address(ifname: &str) -> Option<Vec<u8>> {
    if ifname.contains('/') || ifname.starts_with('.') {
        return None;
    }
    let text = std::fs::read_to_string(format!("/sys/class/net/{ifname}/address")).ok()?;
    let bytes: Option<Vec<u8>> = text
        .trim()
        .split(':')
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect();
    bytes.filter(|b| !b.is_empty() && b.iter().any(|&x| x != 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::ifconf::{IFA_F_DADFAILED, IFA_F_TENTATIVE};

    #[test]
    fn message_layout() {
        let mut m = Msg::new(RTM_NEWADDR, NLM_F_CREATE, 7);
        m.0.extend_from_slice(&[AF_INET6, 64, 0, 0, 1, 0, 0, 0]);
        m.attr(IFA_FLAGS, &[1, 2, 3]);
        let v = m.finish();
        assert_eq!(v.len(), 16 + 8 + 8);
        assert_eq!(u32::from_ne_bytes([v[0], v[1], v[2], v[3]]), 32);
        assert_eq!(u16::from_ne_bytes([v[4], v[5]]), RTM_NEWADDR);
        assert_eq!(u32::from_ne_bytes([v[8], v[9], v[10], v[11]]), 7);
        // attribute length counts the 3 data octets, padding follows
        assert_eq!(u16::from_ne_bytes([v[24], v[25]]), 7);
        assert_eq!(&v[28..32], &[1, 2, 3, 0]);
    }

    /// An ifaddrmsg notification for `addr` on interface 3 with `flags`.
    fn addr_msg(kind: u16, addr: Ipv6Addr, flags: u32) -> Vec<u8> {
        let mut m = Msg::new(kind, 0, 0);
        m.0.extend_from_slice(&[AF_INET6, 128, 0, 0, 3, 0, 0, 0]);
        m.attr(IFA_ADDRESS, &addr.octets());
        m.attr(IFA_FLAGS, &flags.to_ne_bytes());
        m.finish()
    }

    /// Link state, address added and address removed (with the flags the
    /// kernel gave it, DADFAILED for a failed DAD) come out in order; an
    /// IPv4 address and a message cut short are skipped.
    #[test]
    fn link_events_in_order() {
        let a: Ipv6Addr = "2001:db8::5".parse().unwrap();
        let mut buf = Vec::new();
        let mut link = Msg::new(RTM_NEWLINK, 0, 0);
        // ifinfomsg: family, pad, type, index 3, flags UP|RUNNING, change
        link.0.extend_from_slice(&[0, 0, 1, 0, 3, 0, 0, 0]);
        link.0.extend_from_slice(&(0x1 | IFF_RUNNING).to_ne_bytes());
        link.0.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend(link.finish());
        buf.extend(addr_msg(RTM_NEWADDR, a, IFA_F_TENTATIVE));
        let mut v4 = addr_msg(RTM_DELADDR, a, 0);
        v4[NLMSG_HDRLEN] = 2; // AF_INET
        buf.extend(v4);
        buf.extend(addr_msg(RTM_DELADDR, a, IFA_F_TENTATIVE | IFA_F_DADFAILED));
        let cut = addr_msg(RTM_DELADDR, a, 0);
        buf.extend_from_slice(&cut[..cut.len() - 4]);
        let at = |flags| IfAddr {
            ifindex: 3,
            addr: a,
            flags,
        };
        assert_eq!(
            link_events(&buf),
            vec![
                LinkEvent::Link {
                    ifindex: 3,
                    running: true
                },
                LinkEvent::Address(at(IFA_F_TENTATIVE)),
                LinkEvent::AddressGone(at(IFA_F_TENTATIVE | IFA_F_DADFAILED)),
            ]
        );
        // Garbage never panics.
        for n in 0..buf.len() {
            let _ = link_events(&buf[n..]);
        }
    }
}

#[cfg(test)]
mod dump_tests {
    use super::*;

    /// The loopback address is found with its flags (IFA_F_PERMANENT, 0x80).
    #[test]
    fn finds_loopback_address() {
        let mut nl = Netlink::open().unwrap();
        let lo = crate::sys::net::if_nametoindex("lo").unwrap();
        let f = nl.address_flags(lo, Ipv6Addr::LOCALHOST).unwrap();
        assert!(f.is_some_and(|f| f & libc::IFA_F_PERMANENT != 0), "{f:?}");
        assert_eq!(
            nl.address_flags(lo, "2001:db8::77".parse().unwrap())
                .unwrap(),
            None
        );
    }
}

/// The notifications in one datagram read from a [`LinkMonitor`] socket;
/// anything else (other message types, other families, a truncated
/// message) is skipped.
pub fn link_events(buf: &[u8]) -> Vec<LinkEvent> {
    let mut out = Vec::new();
    let mut off = 0;
    while let Some(hdr) = buf.get(off..off + NLMSG_HDRLEN) {
        let len = u32::from_ne_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as usize;
        let kind = u16::from_ne_bytes([hdr[4], hdr[5]]);
        let Some(body) = buf
            .get(off + NLMSG_HDRLEN..off + len)
            .filter(|_| len >= NLMSG_HDRLEN)
        else {
            break;
        };
        match kind {
            // struct ifinfomsg { family, pad, type: u16, index: i32, flags: u32, change: u32 }
            RTM_NEWLINK => {
                if let Some(b) = body.get(4..12) {
                    out.push(LinkEvent::Link {
                        ifindex: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
                        running: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]) & IFF_RUNNING != 0,
                    });
                }
            }
            RTM_NEWADDR => out.extend(ifaddr(body).map(LinkEvent::Address)),
            RTM_DELADDR => out.extend(ifaddr(body).map(LinkEvent::AddressGone)),
            _ => {}
        }
        off += (len + 3) & !3;
    }
    out
}

/// A NETLINK_ROUTE socket subscribed to link and IPv6 address
/// notifications, so dhcp6c learns when an interface's link comes back
/// (RFC 8415 §18.2.3: check the leases with Confirm or Rebind) and why an
/// address it installed went away (DAD, or the link).
#[derive(Debug)]
pub struct LinkMonitor {
    file: std::fs::File,
}

impl LinkMonitor {
    /// Opens the socket, non-blocking.
    pub fn open() -> io::Result<Self> {
        use nix::sys::socket::{
            bind, socket, AddressFamily, NetlinkAddr, SockFlag, SockProtocol, SockType,
        };
        use std::os::fd::AsRawFd;
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkRoute,
        )
        .map_err(|e| io::Error::from_raw_os_error(e as i32))?;
        bind(
            fd.as_raw_fd(),
            &NetlinkAddr::new(0, RTMGRP_LINK | RTMGRP_IPV6_IFADDR),
        )
        .map_err(|e| io::Error::from_raw_os_error(e as i32))?;
        Ok(Self {
            file: std::fs::File::from(fd),
        })
    }

    /// The notifications waiting, in the kernel's order.
    pub fn events(&mut self) -> Vec<LinkEvent> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 16384];
        while let Ok(n) = self.file.read(&mut buf) {
            match buf.get(..n) {
                Some(got) if n > 0 => out.extend(link_events(got)),
                _ => break,
            }
        }
        out
    }
}

impl std::os::fd::AsFd for LinkMonitor {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.file.as_fd()
    }
}
