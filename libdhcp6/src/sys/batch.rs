//! Batched datagram I/O with `recvmmsg(2)` / `sendmmsg(2)`: one system call
//! moves many datagrams, each with its IPV6_PKTINFO (interface and address).
//! Linux and FreeBSD both have the calls; only the type of the batch count
//! differs (`c_uint` on Linux, `size_t` on FreeBSD), hence the `as _` casts.
//! Buffers are allocated once, when the batch is made; receiving and sending
//! allocate nothing.

// Every `as` here converts the size of a small C struct or a batch count
// (capped at MAX_BATCH) into the C type the kernel interface wants.
#![allow(clippy::cast_possible_truncation)]

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use super::net::RecvMeta;

/// Control-message space per datagram: room for IPV6_PKTINFO, a hop
/// limit and a receive timestamp, 8-byte aligned as `cmsghdr` requires.
const CMSG_WORDS: usize = 16;
/// Largest batch: far above what one loop turn needs, far below `c_uint`.
pub const MAX_BATCH: usize = 1024;
type CmsgBuf = [u64; CMSG_WORDS];
/// A receive timestamp further back than this is a clock step, not a wait.
const IMPLAUSIBLE_WAIT: Duration = Duration::from_secs(60);

fn sockaddr_from(a: &SocketAddrV6) -> libc::sockaddr_in6 {
    // SAFETY: sockaddr_in6 is plain old data; all-zero is a valid value.
    #[allow(unsafe_code)]
    let mut sa: libc::sockaddr_in6 = unsafe { zeroed() };
    sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    sa.sin6_port = a.port().to_be();
    sa.sin6_flowinfo = a.flowinfo();
    sa.sin6_addr = libc::in6_addr {
        s6_addr: a.ip().octets(),
    };
    sa.sin6_scope_id = a.scope_id();
    sa
}

fn sockaddr_to(sa: &libc::sockaddr_in6) -> SocketAddrV6 {
    SocketAddrV6::new(
        Ipv6Addr::from(sa.sin6_addr.s6_addr),
        u16::from_be(sa.sin6_port),
        sa.sin6_flowinfo,
        sa.sin6_scope_id,
    )
}

/// Reads IPV6_PKTINFO out of a received message's control data.
///
/// # Safety
/// `hdr` must describe control data the kernel filled in by recvmmsg.
#[allow(unsafe_code)]
unsafe fn pktinfo(hdr: &libc::msghdr) -> (u32, Ipv6Addr) {
    // SAFETY (whole body): the CMSG_* macros walk the kernel-written control
    // buffer within msg_controllen; the data is read unaligned by value.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(hdr);
        while !c.is_null() {
            if (*c).cmsg_level == libc::IPPROTO_IPV6 && (*c).cmsg_type == libc::IPV6_PKTINFO {
                let info: libc::in6_pktinfo =
                    std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const libc::in6_pktinfo);
                return (info.ipi6_ifindex, Ipv6Addr::from(info.ipi6_addr.s6_addr));
            }
            c = libc::CMSG_NXTHDR(hdr, c);
        }
    }
    (0, Ipv6Addr::UNSPECIFIED)
}

/// The kernel's receive timestamp in a received message's control data
/// (SO_TIMESTAMPNS on Linux, SO_TIMESTAMP on FreeBSD; see
/// [`super::net::Udp6Socket::enable_rx_timestamps`]), as time since the
/// Unix epoch on the wall clock.
///
/// # Safety
/// `hdr` must describe control data the kernel filled in by recvmmsg.
#[allow(unsafe_code)]
unsafe fn rx_timestamp(hdr: &libc::msghdr) -> Option<Duration> {
    // SAFETY (whole body): as in `pktinfo`.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(hdr);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET {
                #[cfg(target_os = "linux")]
                if (*c).cmsg_type == libc::SCM_TIMESTAMPNS {
                    let ts: libc::timespec =
                        std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const libc::timespec);
                    let secs = u64::try_from(ts.tv_sec).ok()?;
                    let nanos = u32::try_from(ts.tv_nsec).ok()?;
                    return Some(Duration::new(secs, nanos));
                }
                #[cfg(not(target_os = "linux"))]
                if (*c).cmsg_type == libc::SCM_TIMESTAMP {
                    let tv: libc::timeval =
                        std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const libc::timeval);
                    let secs = u64::try_from(tv.tv_sec).ok()?;
                    let micros = u32::try_from(tv.tv_usec).ok()?;
                    return Some(Duration::new(secs, micros.saturating_mul(1000)));
                }
            }
            c = libc::CMSG_NXTHDR(hdr, c);
        }
    }
    None
}

/// Buffers for receiving up to `capacity` datagrams in one call.
pub struct RecvBatch {
    bufs: Vec<u8>,
    buf_len: usize,
    addrs: Vec<libc::sockaddr_in6>,
    iovs: Vec<libc::iovec>,
    cmsgs: Vec<CmsgBuf>,
    hdrs: Vec<libc::mmsghdr>,
    metas: Vec<RecvMeta>,
    stamps: Vec<Option<Duration>>,
    /// Wall-clock time (since the Unix epoch) when the last call returned.
    read_at: Duration,
    count: usize,
}

impl std::fmt::Debug for RecvBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvBatch")
            .field("capacity", &self.hdrs.len())
            .field("count", &self.count)
            .finish()
    }
}

impl RecvBatch {
    /// Room for `capacity` datagrams of up to `buf_len` octets each.
    pub fn new(capacity: usize, buf_len: usize) -> Self {
        let capacity = capacity.clamp(1, MAX_BATCH);
        let empty_meta = RecvMeta {
            len: 0,
            src: SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 0, 0, 0),
            ifindex: 0,
            dst: Ipv6Addr::UNSPECIFIED,
            truncated: false,
        };
        // SAFETY: these libc structs are plain old data; zero is valid, and
        // every pointer in them is set before each use.
        #[allow(unsafe_code)]
        let (addr, hdr) = unsafe { (zeroed::<libc::sockaddr_in6>(), zeroed::<libc::mmsghdr>()) };
        Self {
            bufs: vec![0; capacity * buf_len],
            buf_len,
            addrs: vec![addr; capacity],
            iovs: vec![
                libc::iovec {
                    iov_base: std::ptr::null_mut(),
                    iov_len: 0
                };
                capacity
            ],
            cmsgs: vec![[0; CMSG_WORDS]; capacity],
            hdrs: vec![hdr; capacity],
            metas: vec![empty_meta; capacity],
            stamps: vec![None; capacity],
            read_at: Duration::ZERO,
            count: 0,
        }
    }

    /// Datagrams received by the last call.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when the last call received nothing.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Datagram `i` of the last call and what the kernel said about it.
    pub fn get(&self, i: usize) -> Option<(&[u8], &RecvMeta)> {
        if i >= self.count {
            return None;
        }
        let meta = self.metas.get(i)?;
        let start = i * self.buf_len;
        Some((self.bufs.get(start..start + meta.len)?, meta))
    }

    /// When datagram `i` of the last call reached the socket (wall clock,
    /// since the Unix epoch), if the socket reports receive timestamps.
    pub fn received_at(&self, i: usize) -> Option<Duration> {
        if i >= self.count {
            return None;
        }
        self.stamps.get(i).copied().flatten()
    }

    /// How long datagram `i` of the last call waited in the socket before
    /// that call read it, from its receive timestamp. `None` without a
    /// timestamp, or when the wait is implausible (over a minute: the
    /// wall clock was stepped, which a wait cannot tell from a delay).
    pub fn waited(&self, i: usize) -> Option<Duration> {
        let waited = self.read_at.saturating_sub(self.received_at(i)?);
        (waited < IMPLAUSIBLE_WAIT).then_some(waited)
    }

    /// Receives what is waiting on `fd` (non-blocking); the number received.
    pub fn recv(&mut self, fd: &impl AsRawFd) -> io::Result<usize> {
        self.count = 0;
        let n = self.hdrs.len();
        let base = self.bufs.as_mut_ptr();
        for i in 0..n {
            // SAFETY: i * buf_len + buf_len <= bufs.len() by construction.
            #[allow(unsafe_code)]
            let p = unsafe { base.add(i * self.buf_len) };
            self.iovs[i] = libc::iovec {
                iov_base: p.cast(),
                iov_len: self.buf_len,
            };
            let h = &mut self.hdrs[i].msg_hdr;
            h.msg_name = std::ptr::addr_of_mut!(self.addrs[i]).cast();
            h.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            h.msg_iov = std::ptr::addr_of_mut!(self.iovs[i]);
            h.msg_iovlen = 1;
            h.msg_control = self.cmsgs[i].as_mut_ptr().cast();
            h.msg_controllen = size_of::<CmsgBuf>() as _;
            h.msg_flags = 0;
            self.hdrs[i].msg_len = 0;
        }
        let raw: RawFd = fd.as_raw_fd();
        // SAFETY: every header points at buffers owned by `self` that outlive
        // the call; `n` headers are initialised above.
        #[allow(unsafe_code)]
        let got = unsafe {
            libc::recvmmsg(
                raw,
                self.hdrs.as_mut_ptr(),
                n as _,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if got < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
                _ => Err(e),
            };
        }
        let got = usize::try_from(got).unwrap_or(0).min(n);
        self.read_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        for i in 0..got {
            let h = &self.hdrs[i];
            // SAFETY: the kernel filled this header's control data.
            #[allow(unsafe_code)]
            let (ifindex, dst) = unsafe { pktinfo(&h.msg_hdr) };
            // SAFETY: as above.
            #[allow(unsafe_code)]
            let stamp = unsafe { rx_timestamp(&h.msg_hdr) };
            self.stamps[i] = stamp;
            // A datagram longer than the buffer comes back cut short and
            // flagged, so callers drop it rather than trust half a message.
            let len = usize::try_from(h.msg_len).unwrap_or(0).min(self.buf_len);
            let truncated = h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0;
            self.metas[i] = RecvMeta {
                len,
                src: sockaddr_to(&self.addrs[i]),
                ifindex,
                dst,
                truncated,
            };
        }
        self.count = got;
        Ok(got)
    }
}

/// Datagrams queued to be sent together, each with its destination,
/// outgoing interface and source address.
pub struct SendBatch {
    bufs: Vec<u8>,
    buf_len: usize,
    lens: Vec<usize>,
    addrs: Vec<libc::sockaddr_in6>,
    infos: Vec<Option<libc::in6_pktinfo>>,
    iovs: Vec<libc::iovec>,
    cmsgs: Vec<CmsgBuf>,
    hdrs: Vec<libc::mmsghdr>,
    count: usize,
}

impl std::fmt::Debug for SendBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendBatch")
            .field("capacity", &self.hdrs.len())
            .field("count", &self.count)
            .finish()
    }
}

impl SendBatch {
    /// Room for `capacity` datagrams of up to `buf_len` octets each.
    pub fn new(capacity: usize, buf_len: usize) -> Self {
        let capacity = capacity.clamp(1, MAX_BATCH);
        // SAFETY: plain old data; zero is valid and pointers are set before use.
        #[allow(unsafe_code)]
        let (addr, hdr) = unsafe { (zeroed::<libc::sockaddr_in6>(), zeroed::<libc::mmsghdr>()) };
        Self {
            bufs: vec![0; capacity * buf_len],
            buf_len,
            lens: vec![0; capacity],
            addrs: vec![addr; capacity],
            infos: vec![None; capacity],
            iovs: vec![
                libc::iovec {
                    iov_base: std::ptr::null_mut(),
                    iov_len: 0
                };
                capacity
            ],
            cmsgs: vec![[0; CMSG_WORDS]; capacity],
            hdrs: vec![hdr; capacity],
            count: 0,
        }
    }

    /// Queued datagrams.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// True when no more datagrams fit until the batch is sent.
    pub fn is_full(&self) -> bool {
        self.count == self.hdrs.len()
    }

    /// The buffer of the next datagram, to be written and then [`SendBatch::commit`]ted.
    pub fn next_buf(&mut self) -> Option<&mut [u8]> {
        if self.is_full() {
            return None;
        }
        let start = self.count * self.buf_len;
        self.bufs.get_mut(start..start + self.buf_len)
    }

    /// Queues the first `len` octets written into [`SendBatch::next_buf`] for
    /// `dst`, out of `ifindex` (0: routing decides) from `src` (`::`: the kernel chooses).
    pub fn commit(&mut self, len: usize, dst: SocketAddrV6, ifindex: u32, src: Ipv6Addr) {
        if self.is_full() {
            return;
        }
        let i = self.count;
        self.lens[i] = len.min(self.buf_len);
        self.addrs[i] = sockaddr_from(&dst);
        self.infos[i] = (ifindex != 0 || !src.is_unspecified()).then_some(libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: src.octets(),
            },
            ipi6_ifindex: ifindex,
        });
        self.count += 1;
    }

    /// Forgets everything queued without sending it.
    pub fn clear(&mut self) {
        self.count = 0;
    }

    /// Queues datagram `i` again, for another destination.
    pub fn repeat(&mut self, i: usize, dst: SocketAddrV6, ifindex: u32, src: Ipv6Addr) {
        if i >= self.count || self.is_full() {
            return;
        }
        let len = self.lens[i];
        let (from, to) = (i * self.buf_len, self.count * self.buf_len);
        self.bufs.copy_within(from..from + len, to);
        self.commit(len, dst, ifindex, src);
    }

    /// Queues a copy of `data`.
    pub fn push(&mut self, data: &[u8], dst: SocketAddrV6, ifindex: u32, src: Ipv6Addr) -> bool {
        match self.next_buf().and_then(|b| b.get_mut(..data.len())) {
            Some(b) => {
                b.copy_from_slice(data);
                self.commit(data.len(), dst, ifindex, src);
                true
            }
            None => false,
        }
    }

    /// Sends everything queued on `fd` and empties the batch. Returns how
    /// many were sent; a datagram the kernel refuses (e.g. no route) is
    /// skipped and the rest still go, and the first such error is returned.
    pub fn send(&mut self, fd: &impl AsRawFd) -> (usize, Option<io::Error>) {
        let n = self.count;
        let base = self.bufs.as_mut_ptr();
        for i in 0..n {
            // SAFETY: i * buf_len + lens[i] <= bufs.len() by construction.
            #[allow(unsafe_code)]
            let p = unsafe { base.add(i * self.buf_len) };
            self.iovs[i] = libc::iovec {
                iov_base: p.cast(),
                iov_len: self.lens[i],
            };
            let h = &mut self.hdrs[i].msg_hdr;
            h.msg_name = std::ptr::addr_of_mut!(self.addrs[i]).cast();
            h.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            h.msg_iov = std::ptr::addr_of_mut!(self.iovs[i]);
            h.msg_iovlen = 1;
            h.msg_flags = 0;
            match &self.infos[i] {
                Some(info) => {
                    let space = self.cmsgs[i].as_mut_ptr();
                    h.msg_control = space.cast();
                    // SAFETY: CMSG_SPACE of an in6_pktinfo (40) fits in the
                    // 128-byte aligned buffer; the header and data are
                    // written inside it through the CMSG macros.
                    #[allow(unsafe_code)]
                    unsafe {
                        h.msg_controllen =
                            libc::CMSG_SPACE(size_of::<libc::in6_pktinfo>() as u32) as _;
                        let c = libc::CMSG_FIRSTHDR(h);
                        (*c).cmsg_level = libc::IPPROTO_IPV6;
                        (*c).cmsg_type = libc::IPV6_PKTINFO;
                        (*c).cmsg_len = libc::CMSG_LEN(size_of::<libc::in6_pktinfo>() as u32) as _;
                        std::ptr::write_unaligned(
                            libc::CMSG_DATA(c) as *mut libc::in6_pktinfo,
                            *info,
                        );
                    }
                }
                None => {
                    h.msg_control = std::ptr::null_mut();
                    h.msg_controllen = 0;
                }
            }
        }
        let raw = fd.as_raw_fd();
        let mut sent = 0usize;
        let mut first_err = None;
        let mut at = 0usize;
        while at < n {
            // SAFETY: headers at..n were initialised above and point into self.
            #[allow(unsafe_code)]
            let rc =
                unsafe { libc::sendmmsg(raw, self.hdrs.as_mut_ptr().add(at), (n - at) as _, 0) };
            if rc > 0 {
                let k = usize::try_from(rc).unwrap_or(0);
                sent += k;
                at += k;
            } else {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // This datagram cannot go; skip it and send the rest.
                first_err.get_or_insert(e);
                at += 1;
            }
        }
        self.count = 0;
        (sent, first_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::net::{if_nametoindex, wait_readable, Udp6Socket};
    use std::os::fd::AsFd;

    #[test]
    fn batch_round_trip_on_loopback() {
        let a = Udp6Socket::bind(Ipv6Addr::LOCALHOST, 0).unwrap();
        let b = Udp6Socket::bind(Ipv6Addr::LOCALHOST, 0).unwrap();
        let to = b.local_addr().unwrap();
        b.enable_rx_timestamps().unwrap();
        let lo = if_nametoindex("lo").unwrap();
        let mut out = SendBatch::new(8, 64);
        for i in 0..10u8 {
            let queued = out.push(
                &[i; 5],
                to,
                if i % 2 == 0 { lo } else { 0 },
                Ipv6Addr::UNSPECIFIED,
            );
            assert_eq!(queued, i < 8);
        }
        assert!(out.is_full());
        let (sent, err) = out.send(&a);
        assert_eq!(sent, 8);
        assert!(err.is_none());
        assert!(out.is_empty());
        assert!(wait_readable(&[b.as_fd()], Some(Duration::from_secs(2)))
            .unwrap()
            .is_readable(0));
        let mut inb = RecvBatch::new(16, 4);
        let mut got = Vec::new();
        for _ in 0..10 {
            inb.recv(&b).unwrap();
            for i in 0..inb.len() {
                let (data, meta) = inb.get(i).unwrap();
                assert_eq!(meta.ifindex, lo);
                assert_eq!(meta.dst, Ipv6Addr::LOCALHOST);
                assert_eq!(meta.src.port(), a.local_addr().unwrap().port());
                // 5-octet datagrams into 4-octet buffers come back cut short.
                assert_eq!(data.len(), 4);
                assert!(meta.truncated);
                // Stamped on arrival, by the wall clock.
                let at = inb.received_at(i).expect("receive timestamp");
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap();
                assert!(now.saturating_sub(at) < Duration::from_secs(10));
                assert!(inb.waited(i).expect("a wait") < Duration::from_secs(10));
                got.push(data[0]);
            }
            if got.len() == 8 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(got, (0..8).collect::<Vec<u8>>());
        assert_eq!(inb.recv(&b).unwrap(), 0);
        assert!(inb.get(0).is_none());
    }
}
