//! FreeBSD's routing-socket messages (net/route.h, net/if.h), as bytes:
//! the `RTM_ADD` / `RTM_CHANGE` / `RTM_DELETE` requests for dhcp6c's
//! reject routes and the `RTM_IFINFO` link notifications. Pure, so the
//! layout is unit-tested on every host; [`super::routesock`] sends and
//! reads them on FreeBSD, where compile-time checks hold these offsets
//! against the libc crate's definitions.
//!
//! The layout is FreeBSD's on 64-bit targets (`u_long` of 8 octets), the
//! only ones kame6 builds for there.

use std::net::Ipv6Addr;

use super::ifconf::{IfAddr, LinkEvent};

/// `RTM_VERSION`.
pub const RTM_VERSION: u8 = 5;
/// `RTM_ADD`: add a route.
pub const RTM_ADD: u8 = 0x1;
/// `RTM_DELETE`: delete a route.
pub const RTM_DELETE: u8 = 0x2;
/// `RTM_CHANGE`: change an existing route's gateway or flags.
pub const RTM_CHANGE: u8 = 0x3;
/// `RTM_IFINFO`: an interface's flags or link state changed.
pub const RTM_IFINFO: u8 = 0xe;

const RTA_DST: i32 = 0x1;
const RTA_GATEWAY: i32 = 0x2;
const RTA_NETMASK: i32 = 0x4;
const RTF_UP: i32 = 0x1;
const RTF_GATEWAY: i32 = 0x2;
const RTF_HOST: i32 = 0x4;
/// Packets matching the route get an ICMPv6 unreachable back, as Linux's
/// `RTN_UNREACHABLE` routes do.
const RTF_REJECT: i32 = 0x8;
const RTF_STATIC: i32 = 0x800;
/// FreeBSD's `AF_INET6`.
pub const AF_INET6: u8 = 28;
const IFF_UP: i32 = 0x1;
/// `IFF_DRV_RUNNING`, which FreeBSD reports in `ifm_flags` beside `if_flags`.
const IFF_RUNNING: i32 = 0x40;
const LINK_STATE_DOWN: u8 = 1;

/// `sizeof(u_long)`: sockaddrs in a routing message are padded to it.
const LONG: usize = 8;
/// `sizeof(struct rt_msghdr)`: 32 octets of fields, `rtm_inits` and the
/// 14 `u_long` of `struct rt_metrics`.
pub const RT_MSGHDR_LEN: usize = 32 + LONG + 14 * LONG;
/// `sizeof(struct sockaddr_in6)`, as its `sin6_len` holds it.
pub const SIN6_LEN: u8 = 28;
/// `sizeof(struct sockaddr_in6)`.
pub const SOCKADDR_IN6_LEN: usize = SIN6_LEN as usize;
/// `SA_SIZE` of a sockaddr_in6: its length rounded up to a `u_long`.
const SA6_SPACE: usize = SOCKADDR_IN6_LEN.div_ceil(LONG) * LONG;

/// Offsets in `struct if_msghdr` (net/if.h).
pub mod ifm {
    /// `ifm_msglen` (u_short).
    pub const MSGLEN: usize = 0;
    /// `ifm_version` (u_char).
    pub const VERSION: usize = 2;
    /// `ifm_type` (u_char).
    pub const TYPE: usize = 3;
    /// `ifm_flags` (int).
    pub const FLAGS: usize = 8;
    /// `ifm_index` (u_short).
    pub const INDEX: usize = 12;
    /// `ifm_data`, a `struct if_data`.
    pub const DATA: usize = 16;
    /// `ifm_data.ifi_link_state` (u_char).
    pub const LINK_STATE: usize = DATA + 4;
}

/// A `struct sockaddr_in6` with `sin6_len` set, as the routing socket wants it.
pub fn sockaddr_in6(addr: Ipv6Addr) -> [u8; SOCKADDR_IN6_LEN] {
    let mut sa = [0u8; SOCKADDR_IN6_LEN];
    sa[0] = SIN6_LEN;
    sa[1] = AF_INET6;
    // port (2), flowinfo (4) stay zero; the address follows; scope id zero.
    sa[8..24].copy_from_slice(&addr.octets());
    sa
}

/// The netmask of a `plen`-bit prefix (values above 128 count as 128).
pub fn prefix_mask(plen: u8) -> Ipv6Addr {
    let bits = u32::from(plen.min(128));
    Ipv6Addr::from(u128::MAX.checked_shl(128 - bits).unwrap_or(0))
}

/// A route request for an unreachable (`RTF_REJECT`) route to
/// `prefix/plen` through the loopback address, as `route add -6
/// prefix/plen ::1 -reject` makes one. `kind` is [`RTM_ADD`],
/// [`RTM_CHANGE`] or [`RTM_DELETE`]; `seq` lets replies be matched.
pub fn reject_route(kind: u8, seq: i32, prefix: Ipv6Addr, plen: u8) -> Vec<u8> {
    let host = plen >= 128;
    let mut flags = RTF_UP | RTF_GATEWAY | RTF_STATIC | RTF_REJECT;
    let mut addrs = RTA_DST | RTA_GATEWAY;
    let mut sockaddrs = vec![sockaddr_in6(prefix), sockaddr_in6(Ipv6Addr::LOCALHOST)];
    if host {
        flags |= RTF_HOST;
    } else {
        addrs |= RTA_NETMASK;
        sockaddrs.push(sockaddr_in6(prefix_mask(plen)));
    }
    let len = RT_MSGHDR_LEN + sockaddrs.len() * SA6_SPACE;
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_ne_bytes());
    m.push(RTM_VERSION);
    m.push(kind);
    m.extend_from_slice(&0u16.to_ne_bytes()); // rtm_index: the kernel finds it
    m.extend_from_slice(&0u16.to_ne_bytes()); // _rtm_spare1
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&addrs.to_ne_bytes());
    m.extend_from_slice(&0i32.to_ne_bytes()); // rtm_pid: the kernel fills it
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0i32.to_ne_bytes()); // rtm_errno
                                              // RTM_CHANGE alters only the flags rtm_fmask names: an existing route
                                              // for the prefix becomes a static reject route.
    let fmask = if kind == RTM_CHANGE {
        RTF_STATIC | RTF_REJECT
    } else {
        0
    };
    m.extend_from_slice(&fmask.to_ne_bytes());
    // rtm_inits and the metrics: none set.
    m.resize(RT_MSGHDR_LEN, 0);
    for sa in sockaddrs {
        m.extend_from_slice(&sa);
        m.resize(m.len() + SA6_SPACE - SOCKADDR_IN6_LEN, 0);
    }
    m
}

/// Offsets in `struct ifa_msghdr` (net/if.h), the header of
/// `RTM_NEWADDR` / `RTM_DELADDR`; its sockaddrs follow it.
pub mod ifam {
    /// `ifam_addrs` (int): which sockaddrs follow, one bit per `RTAX_*`.
    pub const ADDRS: usize = 4;
    /// `ifam_index` (u_short).
    pub const INDEX: usize = 12;
    /// `sizeof(struct ifa_msghdr)`.
    pub const LEN: usize = 20;
}

/// `RTM_NEWADDR`: an address was added to an interface.
pub const RTM_NEWADDR: u8 = 0xc;
/// `RTM_DELADDR`: an address was removed from an interface.
pub const RTM_DELADDR: u8 = 0xd;
/// `RTAX_IFA`: the sockaddr slot holding the interface address.
const RTAX_IFA: u32 = 5;
/// `RTAX_MAX`: slots in a message.
const RTAX_MAX: u32 = 8;

/// `SA_SIZE`: the room a sockaddr of `sa_len` octets takes in a message.
fn sa_size(sa_len: u8) -> usize {
    usize::from(sa_len).max(1).div_ceil(LONG) * LONG
}

/// The IPv6 interface address (`RTAX_IFA`) of an `RTM_NEWADDR` /
/// `RTM_DELADDR` message, with its interface index.
fn ifa_address(msg: &[u8]) -> Option<IfAddr> {
    let addrs = msg.get(ifam::ADDRS..ifam::ADDRS + 4)?;
    let addrs = u32::from_ne_bytes([addrs[0], addrs[1], addrs[2], addrs[3]]);
    let index = msg.get(ifam::INDEX..ifam::INDEX + 2)?;
    let ifindex = u32::from(u16::from_ne_bytes([index[0], index[1]]));
    let mut off = ifam::LEN;
    for slot in 0..RTAX_MAX {
        if addrs & (1 << slot) == 0 {
            continue;
        }
        let sa_len = *msg.get(off)?;
        if slot == RTAX_IFA {
            let sa = msg.get(off..off + usize::from(sa_len))?;
            let octets: [u8; 16] = sa.get(8..24)?.try_into().ok()?;
            return (sa.get(1) == Some(&AF_INET6)).then(|| IfAddr {
                ifindex,
                addr: Ipv6Addr::from(octets),
                flags: 0,
            });
        }
        off += sa_size(sa_len);
    }
    None
}

/// The notifications in a buffer read from a routing socket: link state
/// for every `RTM_IFINFO`, IPv6 addresses added and removed for every
/// `RTM_NEWADDR` / `RTM_DELADDR` (their flags left empty: the routing
/// socket does not carry `IN6_IFF_*`); other messages are skipped. Running
/// means up, the driver running and the link not down (an interface that
/// does not report its link state counts as up).
pub fn link_events(buf: &[u8]) -> Vec<LinkEvent> {
    let mut out = Vec::new();
    let mut off = 0;
    while let Some(msg) = buf.get(off..) {
        let Some(len) = msg.get(ifm::MSGLEN..ifm::MSGLEN + 2) else {
            break;
        };
        let len = usize::from(u16::from_ne_bytes([len[0], len[1]]));
        let Some(msg) = msg.get(..len).filter(|_| len > ifm::TYPE) else {
            break;
        };
        if msg[ifm::VERSION] == RTM_VERSION {
            match msg[ifm::TYPE] {
                RTM_IFINFO => out.extend(link_state(msg)),
                RTM_NEWADDR => out.extend(ifa_address(msg).map(LinkEvent::Address)),
                RTM_DELADDR => out.extend(ifa_address(msg).map(LinkEvent::AddressGone)),
                _ => {}
            }
        }
        off += len;
    }
    out
}

/// The link state an `RTM_IFINFO` message reports.
fn link_state(msg: &[u8]) -> Option<LinkEvent> {
    let flags = msg.get(ifm::FLAGS..ifm::FLAGS + 4)?;
    let flags = i32::from_ne_bytes([flags[0], flags[1], flags[2], flags[3]]);
    let index = msg.get(ifm::INDEX..ifm::INDEX + 2)?;
    let state = *msg.get(ifm::LINK_STATE)?;
    Some(LinkEvent::Link {
        ifindex: u32::from(u16::from_ne_bytes([index[0], index[1]])),
        running: flags & IFF_UP != 0 && flags & IFF_RUNNING != 0 && state != LINK_STATE_DOWN,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_i32(m: &[u8], at: usize) -> i32 {
        i32::from_ne_bytes([m[at], m[at + 1], m[at + 2], m[at + 3]])
    }

    #[test]
    fn reject_route_layout() {
        let p: Ipv6Addr = "2001:db8:1::".parse().unwrap();
        let m = reject_route(RTM_ADD, 7, p, 48);
        assert_eq!(RT_MSGHDR_LEN, 152);
        assert_eq!(m.len(), 152 + 3 * 32);
        assert_eq!(usize::from(u16::from_ne_bytes([m[0], m[1]])), m.len());
        assert_eq!((m[2], m[3]), (RTM_VERSION, RTM_ADD));
        assert_eq!(field_i32(&m, 8), 0x1 | 0x2 | 0x8 | 0x800);
        assert_eq!(field_i32(&m, 12), 0x1 | 0x2 | 0x4);
        assert_eq!(field_i32(&m, 20), 7);
        assert_eq!(field_i32(&m, 28), 0);
        // dst, gateway ::1, netmask /48: each a sockaddr_in6 padded to 32
        let sa = |i: usize| &m[152 + 32 * i..152 + 32 * (i + 1)];
        assert_eq!(&sa(0)[..2], &[28, 28]);
        assert_eq!(&sa(0)[8..24], &p.octets());
        assert_eq!(&sa(1)[8..24], &Ipv6Addr::LOCALHOST.octets());
        assert_eq!(&sa(2)[8..14], &[0xff; 6]);
        assert_eq!(&sa(2)[14..24], &[0; 10]);
        assert_eq!(&sa(2)[28..], &[0; 4]);
    }

    #[test]
    fn change_sets_the_reject_flag() {
        let m = reject_route(RTM_CHANGE, 2, "2001:db8::".parse().unwrap(), 56);
        assert_eq!(m[3], RTM_CHANGE);
        assert_eq!(field_i32(&m, 28), 0x8 | 0x800);
        assert_eq!(m.len(), 152 + 3 * 32);
    }

    #[test]
    fn host_route_has_no_netmask() {
        let m = reject_route(RTM_DELETE, 1, Ipv6Addr::LOCALHOST, 128);
        assert_eq!(m.len(), 152 + 2 * 32);
        assert_eq!(field_i32(&m, 8) & 0x4, 0x4);
        assert_eq!(field_i32(&m, 12), 0x1 | 0x2);
    }

    #[test]
    fn masks() {
        assert_eq!(prefix_mask(0), Ipv6Addr::UNSPECIFIED);
        assert_eq!(
            prefix_mask(56),
            "ffff:ffff:ffff:ff00::".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(prefix_mask(200), prefix_mask(128));
    }

    fn ifinfo(index: u16, flags: i32, state: u8) -> Vec<u8> {
        let mut m = vec![0u8; 168];
        m[..2].copy_from_slice(&168u16.to_ne_bytes());
        m[ifm::VERSION] = RTM_VERSION;
        m[ifm::TYPE] = RTM_IFINFO;
        m[ifm::FLAGS..ifm::FLAGS + 4].copy_from_slice(&flags.to_ne_bytes());
        m[ifm::INDEX..ifm::INDEX + 2].copy_from_slice(&index.to_ne_bytes());
        m[ifm::LINK_STATE] = state;
        m
    }

    fn ifa(kind: u8, index: u16, addr: Ipv6Addr) -> Vec<u8> {
        // netmask (a short sockaddr), the interface's link address (empty,
        // sa_len 0: one u_long), then the address itself
        let mut m = vec![0u8; ifam::LEN];
        m[ifm::VERSION] = RTM_VERSION;
        m[ifm::TYPE] = kind;
        let addrs: i32 = 0x4 | 0x10 | 0x20;
        m[ifam::ADDRS..ifam::ADDRS + 4].copy_from_slice(&addrs.to_ne_bytes());
        m[ifam::INDEX..ifam::INDEX + 2].copy_from_slice(&index.to_ne_bytes());
        let mut mask = sockaddr_in6(prefix_mask(64)).to_vec();
        mask.truncate(16);
        mask[0] = 16;
        m.extend(&mask);
        m.extend([0u8; 8]);
        m.extend(sockaddr_in6(addr));
        m.extend([0u8; 4]);
        let len = u16::try_from(m.len()).unwrap();
        m[..2].copy_from_slice(&len.to_ne_bytes());
        m
    }

    #[test]
    fn link_and_address_events() {
        let a: Ipv6Addr = "2001:db8::5".parse().unwrap();
        let mut buf = ifinfo(3, 0x41, 2);
        // an RTM_ADD echo between them is skipped
        buf.extend(reject_route(RTM_ADD, 1, Ipv6Addr::LOCALHOST, 64));
        buf.extend(ifinfo(4, 0x41, LINK_STATE_DOWN));
        buf.extend(ifa(RTM_NEWADDR, 3, a));
        buf.extend(ifinfo(5, 0x1, 0));
        buf.extend(ifa(RTM_DELADDR, 3, a));
        buf.extend(ifinfo(6, 0x41, 0));
        // a truncated tail ends the walk without a panic
        buf.extend(&ifinfo(7, 0x41, 2)[..10]);
        let link = |ifindex, running| LinkEvent::Link { ifindex, running };
        let at = IfAddr {
            ifindex: 3,
            addr: a,
            flags: 0,
        };
        assert_eq!(
            link_events(&buf),
            vec![
                link(3, true),
                link(4, false),
                LinkEvent::Address(at),
                link(5, false),
                LinkEvent::AddressGone(at),
                link(6, true),
            ]
        );
        assert!(link_events(&[0, 0]).is_empty());
        // Garbage never panics.
        for n in 0..buf.len() {
            let _ = link_events(&buf[n..]);
            let _ = link_events(&buf[..n]);
        }
    }
}
