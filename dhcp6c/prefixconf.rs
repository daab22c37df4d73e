//! Numbering LANs from a delegated prefix (doc/wide-compat.md §7.3.6): the pure
//! arithmetic behind WIDE's `prefix-interface` blocks (KAME's prefixconf.c).

use std::net::Ipv6Addr;

/// WIDE's default `sla-len`.
pub const DEFAULT_SLA_LEN: u8 = 16;

/// Why a prefix-interface gets no address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberingError {
    /// The delegated prefix is longer than /64: no /64 can be carved.
    PrefixTooLong(u8),
    /// An explicit `sla-len` plus the delegated length passes 64 (WIDE:
    /// "invalid prefix length").
    InvalidPrefixLength {
        /// Delegated prefix length.
        delegated_len: u8,
        /// Configured sla-len.
        sla_len: u8,
    },
    /// `sla-id` needs more bits than `sla-len` gives (WIDE silently
    /// corrupts the prefix here, doc/wide-compat.md §9.2 item 10).
    SlaIdTooWide {
        /// The configured sla-id.
        sla_id: u32,
        /// The sla-len in use.
        sla_len: u8,
    },
}

impl std::fmt::Display for NumberingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::PrefixTooLong(l) => write!(f, "invalid prefix length {l} (longer than 64)"),
            Self::InvalidPrefixLength {
                delegated_len,
                sla_len,
            } => write!(f, "invalid prefix length {delegated_len} + {sla_len} + 64"),
            Self::SlaIdTooWide { sla_id, sla_len } => {
                write!(f, "sla-id {sla_id} does not fit in sla-len {sla_len}")
            }
        }
    }
}

/// The sla-len actually used. Without `sla-len` in the file: WIDE's 16,
/// shrunk to `64 - delegated_len` when the sum would pass 64 (Debian's
/// rule; upstream WIDE gives up, which leaves a /56 with the default
/// unusable). With an explicit `sla-len` that does not fit: WIDE's rule,
/// the interface is skipped ("invalid prefix length") rather than
/// numbered differently from what the file says.
pub fn effective_sla_len(delegated_len: u8, sla_len: Option<u8>) -> Result<u8, NumberingError> {
    if delegated_len > 64 {
        return Err(NumberingError::PrefixTooLong(delegated_len));
    }
    match sla_len {
        None => Ok(DEFAULT_SLA_LEN.min(64 - delegated_len)),
        Some(n) if u16::from(n) + u16::from(delegated_len) > 64 => {
            Err(NumberingError::InvalidPrefixLength {
                delegated_len,
                sla_len: n,
            })
        }
        Some(n) => Ok(n),
    }
}

/// The address a prefix-interface gets, and the length of the sub-prefix
/// it is numbered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LanAddress {
    /// The address.
    pub addr: Ipv6Addr,
    /// The sub-prefix length (64 when the numbering fills the /64).
    pub plen: u8,
}

/// The address a prefix-interface gets from a delegated prefix: the
/// sub-prefix `prefix/(len + sla-len)` with `sla_id` in the bits just above
/// bit 64, then the 64-bit interface identifier.
pub fn prefix_interface_address(
    prefix: Ipv6Addr,
    delegated_len: u8,
    sla_id: u32,
    sla_len: Option<u8>,
    ifid: u64,
) -> Result<LanAddress, NumberingError> {
    let sla_len = effective_sla_len(delegated_len, sla_len)?;
    if sla_len < 32 && u64::from(sla_id) >= 1u64 << sla_len {
        return Err(NumberingError::SlaIdTooWide { sla_id, sla_len });
    }
    let p = u128::from(prefix);
    let keep = if delegated_len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(delegated_len))
    };
    let sub_len = delegated_len + sla_len;
    let sla = u128::from(sla_id) << (128 - u32::from(sub_len));
    let upper = ((p & keep) | sla) & (u128::MAX << 64);
    Ok(LanAddress {
        addr: Ipv6Addr::from(upper | u128::from(ifid)),
        plen: sub_len,
    })
}

/// The modified EUI-64 interface identifier of a 48-bit MAC address
/// (RFC 4291 Appendix A), as WIDE derives it.
pub fn eui64_ifid(mac: &[u8]) -> Option<u64> {
    let m: [u8; 6] = mac.try_into().ok()?;
    Some(u64::from_be_bytes([
        m[0] ^ 0x02,
        m[1],
        m[2],
        0xff,
        0xfe,
        m[3],
        m[4],
        m[5],
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// doc/wide-compat.md §7.3.6, verified against WIDE: /48, sla-id 1, sla-len 16.
    #[test]
    fn wide_example_48() {
        let ifid = eui64_ifid(&[0x9a, 0xb6, 0x9c, 0x68, 0x2e, 0x8f]).unwrap();
        let LanAddress { addr: a, plen: l } =
            prefix_interface_address("2001:db8:100::".parse().unwrap(), 48, 1, Some(16), ifid)
                .unwrap();
        assert_eq!(
            a,
            "2001:db8:100:1:98b6:9cff:fe68:2e8f"
                .parse::<Ipv6Addr>()
                .unwrap()
        );
        assert_eq!(l, 64);
    }

    /// /56, sla-id 5, sla-len 8 → 2001:db8:200:5::/64.
    #[test]
    fn wide_example_56() {
        let LanAddress { addr: a, plen: l } =
            prefix_interface_address("2001:db8:200::".parse().unwrap(), 56, 5, Some(8), 1).unwrap();
        assert_eq!(a, "2001:db8:200:5::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(l, 64);
    }

    /// Debian's rule: a /56 with the default sla-len 16 shrinks to 8 bits;
    /// WIDE's: an explicit sla-len that does not fit skips the interface.
    #[test]
    fn too_long_shrinks_like_debian() {
        assert_eq!(effective_sla_len(56, None), Ok(8));
        assert_eq!(
            effective_sla_len(60, Some(16)),
            Err(NumberingError::InvalidPrefixLength {
                delegated_len: 60,
                sla_len: 16
            })
        );
        assert_eq!(effective_sla_len(60, Some(4)), Ok(4));
        assert_eq!(effective_sla_len(64, None), Ok(0));
        let LanAddress { addr: a, plen: l } =
            prefix_interface_address("2001:db8:300::".parse().unwrap(), 56, 2, None, 0x10).unwrap();
        assert_eq!(a, "2001:db8:300:2::10".parse::<Ipv6Addr>().unwrap());
        assert_eq!(l, 64);
        assert_eq!(
            prefix_interface_address("2001:db8::".parse().unwrap(), 72, 0, None, 1),
            Err(NumberingError::PrefixTooLong(72))
        );
    }

    /// An sla-id wider than sla-len is refused, not OR-ed into the prefix.
    #[test]
    fn sla_id_too_wide_refused() {
        assert_eq!(
            prefix_interface_address("2001:db8::".parse().unwrap(), 60, 16, Some(4), 1),
            Err(NumberingError::SlaIdTooWide {
                sla_id: 16,
                sla_len: 4
            })
        );
    }

    /// Bits past the delegated length in the server's prefix are cleared.
    #[test]
    fn host_bits_of_prefix_cleared() {
        let LanAddress { addr: a, .. } =
            prefix_interface_address("2001:db8:1:ff00::".parse().unwrap(), 48, 1, Some(16), 1)
                .unwrap();
        assert_eq!(a, "2001:db8:1:1::1".parse::<Ipv6Addr>().unwrap());
    }
}
