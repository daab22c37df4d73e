//! What the kernel says about an address dhcp6c installed on its DHCP
//! interface: a duplicate to decline (C-131), or an address that is only
//! gone — with the link, or removed by someone — which is never declined.
//!
//! The rule is that DAD failed when, and only when, the kernel flags the
//! address `IFA_F_DADFAILED` (with `IFA_F_TENTATIVE`: DAD had not passed).
//! What Linux does (net/ipv6/addrconf.c) when DAD fails
//! (addrconf_dad_failure → addrconf_dad_stop): it sets DADFAILED, then
//! keeps a permanent address (infinite valid lifetime) flagged, or deletes
//! one with finite lifetimes — a lease's — at once. Seen on its own, an
//! address missing from the interface therefore says nothing: the same
//! absence follows `ip link set dev X down` (addrconf_ifdown drops every
//! address not kept by `keep_addr_on_down`, and leases never are) or an
//! administrator's `ip addr del`. Declining for those would throw away
//! a good lease and tell the server the address is in use when it is not.
//!
//! The deletion itself tells them apart: the kernel announces it
//! (RTM_DELADDR on the link monitor) with the flags the address had, so a
//! DAD failure arrives as a removal flagged DADFAILED and a link-down
//! removal as one without (checked with `ip monitor address`: "Deleted
//! ... dadfailed tentative dynamic" against "Deleted ... dynamic", the
//! latter after the link's own down notification). A removal without the
//! flag is judged by the link's state: gone with the link (the machine
//! puts it back at link-up and checks the lease, C-140 … C-142), or
//! removed while the link stayed up (left to the next Reply). A timed look
//! that finds the address missing is no verdict at all: the removal's
//! notification says why.

use libdhcp6::sys::ifconf::{IFA_F_DADFAILED, IFA_F_TENTATIVE};

/// What was seen of an installed address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// On the interface with these `IFA_F_*` flags (an RTM_NEWADDR
    /// notification, or a look that found it).
    Present(u32),
    /// Removed, with the flags it had when it went (RTM_DELADDR).
    Gone(u32),
    /// A look did not find it; nothing says why.
    Missing,
}

/// What that means for the lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The kernel's DAD found the address in use: decline it (C-131).
    Duplicate,
    /// DAD still running: look again.
    Pending,
    /// In use, DAD passed or not asked for.
    Fine,
    /// Gone, not by DAD: with the link (`true`; put back at link-up) or
    /// removed while the link stayed up (`false`). Not declined either way.
    Vanished {
        /// The link was down when it went.
        with_link: bool,
    },
    /// Not found by a look; the removal's notification decides.
    Unknown,
}

/// True when `flags` say the kernel's DAD failed on the address.
pub fn dad_failed(flags: u32) -> bool {
    flags & IFA_F_DADFAILED != 0 && flags & IFA_F_TENTATIVE != 0
}

/// Judges what was `seen` of an installed address, the link of its
/// interface down (`link_down`) or up.
pub fn verdict(seen: Seen, link_down: bool) -> Verdict {
    match seen {
        Seen::Present(f) | Seen::Gone(f) if dad_failed(f) => Verdict::Duplicate,
        Seen::Present(f) if f & IFA_F_TENTATIVE != 0 => Verdict::Pending,
        Seen::Present(_) => Verdict::Fine,
        Seen::Gone(_) => Verdict::Vanished {
            with_link: link_down,
        },
        Seen::Missing => Verdict::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `IFA_F_PERMANENT`: an address with an infinite valid lifetime.
    const PERMANENT: u32 = 0x80;

    /// C-131: only the DADFAILED flag on a tentative address is a
    /// duplicate — a lease deleted by DAD, or a permanent address kept
    /// flagged.
    #[test]
    fn c131_only_dadfailed_is_a_duplicate() {
        let failed = IFA_F_DADFAILED | IFA_F_TENTATIVE;
        for link_down in [false, true] {
            assert_eq!(verdict(Seen::Gone(failed), link_down), Verdict::Duplicate);
            assert_eq!(
                verdict(Seen::Present(failed | PERMANENT), link_down),
                Verdict::Duplicate
            );
        }
        assert!(!dad_failed(IFA_F_TENTATIVE));
        assert!(!dad_failed(0));
    }

    /// A link flap is not a duplicate address: removed with the link
    /// down, or while the link was up, without DADFAILED — even while DAD
    /// was running — it is only gone; a look that misses it decides
    /// nothing.
    #[test]
    fn removal_without_dadfailed_is_no_duplicate() {
        assert_eq!(
            verdict(Seen::Gone(0), true),
            Verdict::Vanished { with_link: true }
        );
        assert_eq!(
            verdict(Seen::Gone(IFA_F_TENTATIVE), true),
            Verdict::Vanished { with_link: true }
        );
        assert_eq!(
            verdict(Seen::Gone(IFA_F_TENTATIVE), false),
            Verdict::Vanished { with_link: false }
        );
        assert_eq!(verdict(Seen::Missing, false), Verdict::Unknown);
        assert_eq!(verdict(Seen::Missing, true), Verdict::Unknown);
    }

    /// Tentative: look again; otherwise usable.
    #[test]
    fn present_addresses() {
        assert_eq!(
            verdict(Seen::Present(IFA_F_TENTATIVE), false),
            Verdict::Pending
        );
        assert_eq!(verdict(Seen::Present(0), false), Verdict::Fine);
        assert_eq!(verdict(Seen::Present(PERMANENT), true), Verdict::Fine);
    }
}
