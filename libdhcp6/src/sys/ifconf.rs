//! dhcp6c's kernel backend, one API on every system: addresses with
//! lifetimes and their DAD state, unreachable routes for delegated
//! prefixes, link notifications and hardware addresses. Linux speaks
//! rtnetlink ([`super::netlink`]); FreeBSD the `SIOC*_IN6` ioctls and a
//! routing socket (`super::routesock`, type-checked only).

#[cfg(target_os = "linux")]
pub use super::netlink::{
    hardware_address, LinkMonitor, Netlink as AddrConf, IFA_F_DADFAILED, IFA_F_TENTATIVE,
};
#[cfg(target_os = "freebsd")]
pub use super::routesock::{
    hardware_address, LinkMonitor, RouteSocket as AddrConf, IFA_F_DADFAILED, IFA_F_TENTATIVE,
};
