//! UDP/IPv6 sockets with the per-packet interface and destination
//! information DHCPv6 daemons need (IPV6_PKTINFO), interface look-ups and
//! a poll wait that signals can interrupt.

use std::io;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::Duration;

use nix::sys::socket::{
    recvmsg, sendmsg, setsockopt, sockopt, ControlMessage, ControlMessageOwned, MsgFlags,
    SockaddrIn6,
};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::overload::admission::Insn;

/// What the kernel told us about one received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvMeta {
    /// Payload length.
    pub len: usize,
    /// Source address and port (with the scope id of a link-local source).
    pub src: SocketAddrV6,
    /// Interface the datagram arrived on (0 when the kernel did not say).
    pub ifindex: u32,
    /// Destination address of the datagram (unicast or the multicast group).
    pub dst: Ipv6Addr,
    /// The datagram was longer than the buffer and `len` octets are only its start.
    pub truncated: bool,
}

/// A non-blocking UDP/IPv6 socket.
#[derive(Debug)]
pub struct Udp6Socket {
    sock: Socket,
}

fn errno(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

impl Udp6Socket {
    /// A socket bound to `addr`:`port`, IPv6 only, SO_REUSEPORT (several
    /// daemons may share the port, as KAME's do), reporting IPV6_PKTINFO.
    pub fn bind(addr: Ipv6Addr, port: u16) -> io::Result<Self> {
        let sock = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
        sock.set_only_v6(true)?;
        sock.set_reuse_address(true)?;
        sock.set_reuse_port(true)?;
        sock.set_nonblocking(true)?;
        setsockopt(&sock, sockopt::Ipv6RecvPacketInfo, &true).map_err(errno)?;
        set_buffers(&sock);
        sock.bind(&SockAddr::from(SocketAddrV6::new(addr, port, 0, 0)))?;
        Ok(Self { sock })
    }

    /// Asks the kernel to stamp every received datagram with the time it
    /// arrived (SO_TIMESTAMPNS on Linux, SO_TIMESTAMP elsewhere), so a
    /// batch read later can tell how long each one waited
    /// ([`super::batch::RecvBatch::received_at`]).
    pub fn enable_rx_timestamps(&self) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        setsockopt(&self.sock, sockopt::ReceiveTimestampns, &true).map_err(errno)?;
        #[cfg(not(target_os = "linux"))]
        setsockopt(&self.sock, sockopt::ReceiveTimestamp, &true).map_err(errno)?;
        Ok(())
    }

    /// Sets the receive buffer to `bytes` (as root past Linux's
    /// net.core.rmem_max); the size the kernel then reports. Linux doubles
    /// the request for its bookkeeping and reports the doubled value.
    pub fn set_recv_buffer(&self, bytes: usize) -> io::Result<usize> {
        #[cfg(target_os = "linux")]
        if setsockopt(&self.sock, sockopt::RcvBufForce, &bytes).is_err() {
            self.sock.set_recv_buffer_size(bytes)?;
        }
        #[cfg(not(target_os = "linux"))]
        self.sock.set_recv_buffer_size(bytes)?;
        self.sock.recv_buffer_size()
    }

    /// Attaches the classic BPF program `prog` as the socket's filter
    /// (SO_ATTACH_FILTER), replacing the one before: datagrams it drops
    /// are never queued (`overload::admission`). Linux only; elsewhere
    /// `Unsupported`, and everything stays with user space.
    pub fn set_admission_filter(&self, prog: &[Insn]) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            let prog: Vec<socket2::SockFilter> = prog
                .iter()
                .map(|i| socket2::SockFilter::new(i.code, i.jt, i.jf, i.k))
                .collect();
            self.sock.attach_filter(&prog)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = prog;
            Err(io::ErrorKind::Unsupported.into())
        }
    }

    /// Removes the socket's filter (SO_DETACH_FILTER); none there is fine.
    /// Linux only; elsewhere `Unsupported`.
    pub fn clear_admission_filter(&self) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        match self.sock.detach_filter() {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
            r => r,
        }
        #[cfg(not(target_os = "linux"))]
        Err(io::ErrorKind::Unsupported.into())
    }

    /// Datagrams the kernel dropped for this socket since it was made
    /// (socket filter, full receive buffer): `sk_drops`, read with
    /// SO_MEMINFO. A 32-bit counter that wraps. Linux only; elsewhere
    /// `Unsupported`.
    pub fn kernel_drops(&self) -> io::Result<u32> {
        #[cfg(target_os = "linux")]
        {
            // SK_MEMINFO_VARS is 9 since Linux 4.x; the kernel copies at
            // most what we offer and says how much.
            let mut info = [0u32; 9];
            let mut len = libc::socklen_t::try_from(std::mem::size_of_val(&info))
                .map_err(|_| io::Error::other("SO_MEMINFO size"))?;
            // SAFETY: `info` is writable for `len` octets, which the kernel
            // never exceeds; `len` is a valid socklen_t it updates.
            #[allow(unsafe_code)]
            let rc = unsafe {
                libc::getsockopt(
                    self.sock.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_MEMINFO,
                    info.as_mut_ptr().cast(),
                    &mut len,
                )
            };
            if rc != 0 {
                return Err(io::Error::last_os_error());
            }
            let drops = usize::try_from(libc::SK_MEMINFO_DROPS).unwrap_or(usize::MAX);
            if (len as usize) < (drops + 1) * 4 {
                return Err(io::ErrorKind::Unsupported.into());
            }
            info.get(drops)
                .copied()
                .ok_or_else(|| io::ErrorKind::Unsupported.into())
        }
        #[cfg(not(target_os = "linux"))]
        Err(io::ErrorKind::Unsupported.into())
    }

    /// A socket bound to `[::1]:port` alone, for an IPC that never leaves
    /// the host (Kea's DHCPv4-over-DHCPv6 `dhcp4o6-port`). Without
    /// SO_REUSEPORT: a second process on the same port must fail to start
    /// rather than take half of the other's datagrams.
    pub fn bind_loopback(port: u16) -> io::Result<Self> {
        let sock = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
        sock.set_only_v6(true)?;
        sock.set_nonblocking(true)?;
        sock.bind(&SockAddr::from(SocketAddrV6::new(
            Ipv6Addr::LOCALHOST,
            port,
            0,
            0,
        )))?;
        Ok(Self { sock })
    }

    /// Joins `group` on interface `ifindex`.
    pub fn join_multicast(&self, group: &Ipv6Addr, ifindex: u32) -> io::Result<()> {
        self.sock.join_multicast_v6(group, ifindex)
    }

    /// IPv6 hop limit for multicast datagrams.
    pub fn set_multicast_hops(&self, hops: u32) -> io::Result<()> {
        self.sock.set_multicast_hops_v6(hops)
    }

    /// Interface for multicast datagrams sent without IPV6_PKTINFO.
    pub fn set_multicast_if(&self, ifindex: u32) -> io::Result<()> {
        self.sock.set_multicast_if_v6(ifindex)
    }

    /// Do not loop our own multicast back to us.
    pub fn set_multicast_loop(&self, on: bool) -> io::Result<()> {
        self.sock.set_multicast_loop_v6(on)
    }

    /// The bound local address.
    pub fn local_addr(&self) -> io::Result<SocketAddrV6> {
        self.sock
            .local_addr()?
            .as_socket_ipv6()
            .ok_or_else(|| io::Error::other("not an IPv6 socket"))
    }

    /// Receives one datagram into `buf`; `Ok(None)` when none is waiting.
    /// A datagram longer than `buf` is reported with its truncated length,
    /// so the caller's parser rejects it rather than reading garbage.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<RecvMeta>> {
        let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo);
        let mut iov = [io::IoSliceMut::new(buf)];
        let msg = match recvmsg::<SockaddrIn6>(
            self.sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT,
        ) {
            Ok(m) => m,
            Err(nix::Error::EAGAIN) => return Ok(None),
            Err(nix::Error::EINTR) => return Ok(None),
            Err(e) => return Err(errno(e)),
        };
        let Some(addr) = msg.address else {
            return Ok(None);
        };
        let src = SocketAddrV6::new(addr.ip(), addr.port(), addr.flowinfo(), addr.scope_id());
        let mut ifindex = 0;
        let mut dst = Ipv6Addr::UNSPECIFIED;
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                if let ControlMessageOwned::Ipv6PacketInfo(info) = c {
                    ifindex = info.ipi6_ifindex;
                    dst = Ipv6Addr::from(info.ipi6_addr.s6_addr);
                }
            }
        }
        let len = msg.bytes;
        let truncated = msg.flags.contains(MsgFlags::MSG_TRUNC);
        Ok(Some(RecvMeta {
            len,
            src,
            ifindex,
            dst,
            truncated,
        }))
    }

    /// Sends `data` to `dst`, out of interface `ifindex` (0: routing decides)
    /// from source `src` (`::`: the kernel chooses).
    pub fn send(
        &self,
        data: &[u8],
        dst: SocketAddrV6,
        ifindex: u32,
        src: Ipv6Addr,
    ) -> io::Result<usize> {
        let info = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: src.octets(),
            },
            ipi6_ifindex: ifindex,
        };
        let iov = [io::IoSlice::new(data)];
        let cmsgs = [ControlMessage::Ipv6PacketInfo(&info)];
        let use_cmsg = ifindex != 0 || !src.is_unspecified();
        let to = SockaddrIn6::from(dst);
        sendmsg(
            self.sock.as_raw_fd(),
            &iov,
            if use_cmsg { &cmsgs } else { &[] },
            MsgFlags::empty(),
            Some(&to),
        )
        .map_err(errno)
    }
}

/// Generous socket buffers: bursts of Solicits (a town's CPEs coming back
/// after a power cut) must not be lost in the kernel.
const SOCK_BUF: usize = 4 << 20;

/// Asks for [`SOCK_BUF`] octets of receive and send buffer. As root the
/// Linux FORCE options pass net.core.rmem_max, which would otherwise cap
/// the request at about 200 KiB; without root the capped size is what we get.
#[cfg(target_os = "linux")]
fn set_buffers(sock: &Socket) {
    if setsockopt(sock, sockopt::RcvBufForce, &SOCK_BUF).is_err() {
        let _ = sock.set_recv_buffer_size(SOCK_BUF);
    }
    if setsockopt(sock, sockopt::SndBufForce, &SOCK_BUF).is_err() {
        let _ = sock.set_send_buffer_size(SOCK_BUF);
    }
}

/// Asks for [`SOCK_BUF`] octets of receive and send buffer. The BSDs refuse
/// (ENOBUFS) a size above kern.ipc.maxsockbuf instead of capping it, so the
/// request is halved until the kernel takes it; the default stays when even
/// 64 KiB is refused.
#[cfg(not(target_os = "linux"))]
fn set_buffers(sock: &Socket) {
    let largest = |set: &dyn Fn(usize) -> io::Result<()>| {
        let mut size = SOCK_BUF;
        while size >= 64 << 10 && set(size).is_err() {
            size /= 2;
        }
    };
    largest(&|n| sock.set_recv_buffer_size(n));
    largest(&|n| sock.set_send_buffer_size(n));
}

impl AsRawFd for Udp6Socket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.sock.as_raw_fd()
    }
}

impl AsFd for Udp6Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

/// The index of interface `name`.
pub fn if_nametoindex(name: &str) -> io::Result<u32> {
    nix::net::if_::if_nametoindex(name).map_err(|e| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("interface {name}: {}", errno(e)),
        )
    })
}

/// The name of interface `ifindex`.
pub fn if_indextoname(ifindex: u32) -> io::Result<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has IF_NAMESIZE bytes as if_indextoname requires; on
    // success it holds a NUL-terminated name.
    #[allow(unsafe_code)]
    let p = unsafe { libc::if_indextoname(ifindex, buf.as_mut_ptr()) };
    if p.is_null() {
        return Err(io::Error::last_os_error());
    }
    let bytes: Vec<u8> = buf
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The IPv6 addresses on interface `name`, in the kernel's order.
pub fn interface_addresses(name: &str) -> io::Result<Vec<Ipv6Addr>> {
    let addrs = nix::ifaddrs::getifaddrs().map_err(errno)?;
    Ok(addrs
        .filter(|a| a.interface_name == name)
        .filter_map(|a| a.address.and_then(|s| s.as_sockaddr_in6().map(|s| s.ip())))
        .collect())
}

/// The interfaces that hold the IPv4 address `addr`, by name (dhcp6c's
/// check that a leased address is not in use on this host already, RFC
/// 2131 §3.1 step 5, before it installs it).
pub fn ipv4_holders(addr: std::net::Ipv4Addr) -> io::Result<Vec<String>> {
    let addrs = nix::ifaddrs::getifaddrs().map_err(errno)?;
    Ok(addrs
        .filter(|a| {
            a.address
                .and_then(|s| s.as_sockaddr_in().map(|s| s.ip() == addr))
                .unwrap_or(false)
        })
        .map(|a| a.interface_name)
        .collect())
}

/// One interface's link-layer address, as `getifaddrs` lists it.
#[cfg(not(target_os = "linux"))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkAddress {
    /// Interface name.
    pub name: String,
    /// Interface index.
    pub ifindex: u32,
    /// An Ethernet interface (`IFT_ETHER`).
    pub ethernet: bool,
    /// The 6-octet hardware address.
    pub mac: [u8; 6],
}

/// The 6-octet link-layer addresses of the interfaces (the `AF_LINK`
/// `sockaddr_dl` entries of `getifaddrs`), in the kernel's order. Where
/// Linux has sysfs, the BSDs have these.
#[cfg(not(target_os = "linux"))]
pub(crate) fn link_addresses() -> Vec<LinkAddress> {
    /// `IFT_ETHER` (net/if_types.h).
    const IFT_ETHER: u8 = 0x06;
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    addrs
        .filter_map(|a| {
            let link = *a.address?.as_link_addr()?;
            // nix reads six octets whatever the length; only take real MACs.
            let mac = link.addr().filter(|_| link.alen() == 6)?;
            Some(LinkAddress {
                ifindex: u32::try_from(link.ifindex()).ok()?,
                ethernet: link.datalink_type() == IFT_ETHER,
                name: a.interface_name,
                mac,
            })
        })
        .collect()
}

/// Most descriptors [`wait_readable`] watches at once.
pub const MAX_POLL_FDS: usize = 16;

/// The descriptors one main-loop turn polls, on the stack: a `Vec` would be
/// an allocation per turn, and under light load a turn is a packet.
pub type PollFds<'a> = smallvec::SmallVec<[BorrowedFd<'a>; MAX_POLL_FDS]>;

/// Which of the polled descriptors are readable: bit `i` for `fds[i]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ready(pub u32);

impl Ready {
    /// True when descriptor `i` of the polled list is readable.
    pub fn is_readable(self, i: usize) -> bool {
        i < MAX_POLL_FDS && self.0 & (1 << i) != 0
    }
}

/// Waits until one of `fds` (at most [`MAX_POLL_FDS`]) is readable or
/// `timeout` passes (`None`: no limit). A signal ends the wait early with
/// nothing readable, so the main loop gets to look at its signal flags.
/// Allocates nothing: it runs once per loop turn.
pub fn wait_readable(fds: &[BorrowedFd<'_>], timeout: Option<Duration>) -> io::Result<Ready> {
    if fds.len() > MAX_POLL_FDS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "too many descriptors to poll",
        ));
    }
    let mut pfds = [libc::pollfd {
        fd: -1,
        events: 0,
        revents: 0,
    }; MAX_POLL_FDS];
    for (p, fd) in pfds.iter_mut().zip(fds) {
        p.fd = fd.as_raw_fd();
        p.events = libc::POLLIN;
    }
    let ms: libc::c_int = match timeout {
        None => -1,
        // Round up so a 0.4 ms timer does not spin with a zero timeout.
        Some(t) => libc::c_int::try_from(t.as_micros().div_ceil(1000)).unwrap_or(libc::c_int::MAX),
    };
    let n = libc::nfds_t::try_from(fds.len()).unwrap_or(0);
    // SAFETY: `pfds` is a valid array of at least `n` pollfd entries that
    // lives across the call; the descriptors are borrowed, so open.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), n, ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(Ready(0))
        } else {
            Err(e)
        };
    }
    let mut mask = 0u32;
    for (i, p) in pfds.iter().take(fds.len()).enumerate() {
        if p.revents & (libc::POLLIN | libc::POLLERR | libc::POLLHUP) != 0 {
            mask |= 1 << i;
        }
    }
    Ok(Ready(mask))
}

/// True for addresses in 2000::/3 (global unicast).
pub fn is_global_unicast(a: &Ipv6Addr) -> bool {
    (a.segments()[0] & 0xe000) == 0x2000
}

/// True for addresses in fc00::/7 (unique local).
pub fn is_unique_local(a: &Ipv6Addr) -> bool {
    (a.segments()[0] & 0xfe00) == 0xfc00
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_send_and_receive_with_pktinfo() {
        let a = Udp6Socket::bind(Ipv6Addr::LOCALHOST, 0).unwrap();
        let b = Udp6Socket::bind(Ipv6Addr::LOCALHOST, 0).unwrap();
        let b_addr = b.local_addr().unwrap();
        let lo = if_nametoindex("lo").unwrap();
        a.send(b"hello", b_addr, 0, Ipv6Addr::UNSPECIFIED).unwrap();
        let ready = wait_readable(&[b.as_fd()], Some(Duration::from_secs(2))).unwrap();
        assert!(ready.is_readable(0));
        assert!(!ready.is_readable(1));
        let mut buf = [0u8; 64];
        let meta = b.recv(&mut buf).unwrap().unwrap();
        assert_eq!(&buf[..meta.len], b"hello");
        assert_eq!(meta.ifindex, lo);
        assert_eq!(meta.dst, Ipv6Addr::LOCALHOST);
        assert_eq!(meta.src.port(), a.local_addr().unwrap().port());
        assert!(b.recv(&mut buf).unwrap().is_none());
        assert_eq!(if_indextoname(lo).unwrap(), "lo");
        assert!(interface_addresses("lo")
            .unwrap()
            .contains(&Ipv6Addr::LOCALHOST));
    }

    #[test]
    fn address_classes() {
        assert!(is_global_unicast(&"2001:db8::1".parse().unwrap()));
        assert!(!is_global_unicast(&"fe80::1".parse().unwrap()));
        assert!(is_unique_local(&"fd00::1".parse().unwrap()));
        assert!(!is_unique_local(&"2001:db8::1".parse().unwrap()));
    }
}
