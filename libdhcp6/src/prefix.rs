//! An IPv6 prefix: an address and how many of its leading bits count.

use core::fmt;
use core::net::Ipv6Addr;

/// An IPv6 address with a prefix length, `2001:db8:1::/64` (RFC 4291
/// §2.3): a link's prefix in dhcp6s.conf (`link-address`), an address the
/// server's interface has on the link, a prefix a PD Exclude names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix6 {
    /// The address; bits beyond `len` may be set (an interface address).
    pub addr: Ipv6Addr,
    /// The prefix length, 0 to 128.
    pub len: u8,
}

impl Prefix6 {
    /// Whether `a` lies inside the prefix: its first `len` bits are the
    /// prefix's. A length above 128 counts as 128.
    pub fn contains(&self, a: &Ipv6Addr) -> bool {
        if self.len == 0 {
            return true;
        }
        let mask = u128::MAX << (128 - u32::from(self.len.min(128)));
        u128::from(*a) & mask == u128::from(self.addr) & mask
    }
}

impl fmt::Display for Prefix6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str, len: u8) -> Prefix6 {
        Prefix6 {
            addr: s.parse().unwrap(),
            len,
        }
    }

    #[test]
    fn contains_compares_the_leading_bits_only() {
        let a = |s: &str| s.parse::<Ipv6Addr>().unwrap();
        assert!(p("2001:db8:1::1", 64).contains(&a("2001:db8:1::ffff")));
        assert!(!p("2001:db8:1::1", 64).contains(&a("2001:db8:2::1")));
        assert!(p("2001:db8:1::", 63).contains(&a("2001:db8:1:1::1")));
        assert!(p("::", 0).contains(&a("fe80::1")));
        assert!(p("2001:db8::1", 128).contains(&a("2001:db8::1")));
        assert!(!p("2001:db8::1", 128).contains(&a("2001:db8::2")));
        assert!(p("2001:db8::1", 200).contains(&a("2001:db8::1")));
    }

    #[test]
    fn displays_as_address_slash_length() {
        assert_eq!(p("2001:db8:1::", 48).to_string(), "2001:db8:1::/48");
    }
}
