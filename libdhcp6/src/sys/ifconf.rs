//! dhcp6c's kernel backend, one API on every system: addresses with
//! lifetimes and their DAD state, unreachable routes for delegated
//! prefixes, link and address notifications and hardware addresses.
//! Linux speaks rtnetlink ([`super::netlink`]); FreeBSD the `SIOC*_IN6`
//! ioctls and a routing socket (`super::routesock`, type-checked only).
//! The vocabulary both share — address flags, notifications — is here.

use std::net::Ipv6Addr;

#[cfg(target_os = "linux")]
pub use super::netlink::{hardware_address, LinkMonitor, Netlink as AddrConf};
#[cfg(target_os = "freebsd")]
pub use super::routesock::{hardware_address, LinkMonitor, RouteSocket as AddrConf};

/// The kernel's DAD found the address in use (Linux's `IFA_F_DADFAILED`;
/// FreeBSD's `IN6_IFF_DUPLICATED` is reported as this with
/// [`IFA_F_TENTATIVE`], as Linux flags a failed DAD).
pub const IFA_F_DADFAILED: u32 = 0x08;
/// DAD still running (Linux's `IFA_F_TENTATIVE`, FreeBSD's `IN6_IFF_TENTATIVE`).
pub const IFA_F_TENTATIVE: u32 = 0x40;
#[cfg(target_os = "linux")]
const _: () = assert!(IFA_F_DADFAILED == libc::IFA_F_DADFAILED);
#[cfg(target_os = "linux")]
const _: () = assert!(IFA_F_TENTATIVE == libc::IFA_F_TENTATIVE);

/// One IPv6 address as an address notification describes it (Linux: an
/// RTM_NEWADDR / RTM_DELADDR `struct ifaddrmsg` and its attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfAddr {
    /// Interface index.
    pub ifindex: u32,
    /// The address (`IFA_ADDRESS`).
    pub addr: Ipv6Addr,
    /// `IFA_*` flags above: on Linux the 32-bit `IFA_FLAGS` attribute when
    /// present, else the header's 8 bits; on FreeBSD the address's
    /// `IN6_IFF_*` flags translated (none for a removed address, which the
    /// routing socket does not describe).
    pub flags: u32,
}

/// What the kernel announced on a [`LinkMonitor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEvent {
    /// A link's state (Linux RTM_NEWLINK, FreeBSD RTM_IFINFO): whether it
    /// is running (up, with carrier).
    Link {
        /// Interface index.
        ifindex: u32,
        /// `IFF_RUNNING`.
        running: bool,
    },
    /// An IPv6 address added or changed (RTM_NEWADDR), with its flags now.
    Address(IfAddr),
    /// An IPv6 address removed (RTM_DELADDR), with the flags it had when it
    /// went: `IFA_F_DADFAILED` says the kernel's DAD removed it.
    AddressGone(IfAddr),
}
