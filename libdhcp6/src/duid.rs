//! DHCP Unique Identifiers (RFC 8415 §11, RFC 6355) and KAME's DUID file.
//!
//! A DUID is opaque on the wire: it is compared for equality only and unknown
//! types are accepted. The typed view ([`DuidKind`]) is for logs, generation
//! and the DUID file that WIDE-DHCPv6 keeps in `/var/lib/dhcpv6/dhcp6s_duid`.

use core::fmt;

use crate::wire::{Error, Result};

/// Smallest DUID: a 2-octet type and one octet of identifier (RFC 8415 §11.1).
pub const MIN_DUID_LEN: usize = 3;
/// Largest DUID: a 2-octet type and 128 octets of identifier (RFC 8415 §11.1).
pub const MAX_DUID_LEN: usize = 130;
/// Seconds from the Unix epoch to 2000-01-01T00:00:00Z, the DUID-LLT epoch.
pub const DUID_TIME_EPOCH: u64 = 946_684_800;
/// IANA hardware type of Ethernet (RFC 826), the one KAME generates DUIDs from.
pub const HW_TYPE_ETHERNET: u16 = 1;

/// DUID type codes (RFC 8415 §11.1, RFC 6355).
pub mod duid_type {
    /// Link-layer address plus time.
    pub const LLT: u16 = 1;
    /// Vendor-assigned, based on enterprise number.
    pub const EN: u16 = 2;
    /// Link-layer address.
    pub const LL: u16 = 3;
    /// UUID (RFC 6355).
    pub const UUID: u16 = 4;
}

/// A DUID, 3 to 130 octets, kept exactly as it appears on the wire.
/// Shared, not copied, when cloned: a server keys several indexes on the
/// same client's DUID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Duid {
    bytes: std::sync::Arc<[u8]>,
}

/// Maps keyed on DUIDs can be searched with the octets of a received
/// DUID, without copying them. The derived `Hash` hashes the octets as a
/// slice, as `Borrow` requires.
impl std::borrow::Borrow<[u8]> for Duid {
    fn borrow(&self) -> &[u8] {
        &self.bytes
    }
}

/// The typed view of a DUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DuidKind<'a> {
    /// DUID-LLT: hardware type, seconds since 2000-01-01 mod 2^32, link-layer address.
    Llt {
        /// IANA hardware type.
        hw_type: u16,
        /// Seconds since 2000-01-01T00:00Z, modulo 2^32.
        time: u32,
        /// Link-layer address.
        lladdr: &'a [u8],
    },
    /// DUID-EN: enterprise number and vendor identifier.
    En {
        /// IANA private enterprise number.
        enterprise: u32,
        /// Vendor-assigned identifier.
        id: &'a [u8],
    },
    /// DUID-LL: hardware type and link-layer address.
    Ll {
        /// IANA hardware type.
        hw_type: u16,
        /// Link-layer address.
        lladdr: &'a [u8],
    },
    /// DUID-UUID: a 16-octet UUID.
    Uuid(&'a [u8; 16]),
    /// Any other type, or a known type whose body does not fit its layout.
    Other {
        /// The DUID type.
        duid_type: u16,
        /// The identifier after the type.
        body: &'a [u8],
    },
}

impl Duid {
    /// A DUID from its wire bytes; C-013: 3 to 130 octets, any type.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::check(bytes)?;
        Ok(Self {
            bytes: bytes.into(),
        })
    }

    /// Checks that `bytes` could be a DUID (3 to 130 octets, C-013)
    /// without keeping a copy.
    pub fn check(bytes: &[u8]) -> Result<()> {
        if (MIN_DUID_LEN..=MAX_DUID_LEN).contains(&bytes.len()) {
            Ok(())
        } else {
            Err(Error::BadDuid { len: bytes.len() })
        }
    }

    /// The wire bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Number of octets.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a DUID has at least 3 octets. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The DUID type (first two octets).
    pub fn duid_type(&self) -> u16 {
        match &self.bytes[..] {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        }
    }

    /// The typed view.
    pub fn kind(&self) -> DuidKind<'_> {
        let ty = self.duid_type();
        let body = self.bytes.get(2..).unwrap_or_default();
        let u16_at = |b: &[u8]| {
            b.get(..2)
                .and_then(|s| s.try_into().ok())
                .map(u16::from_be_bytes)
        };
        let u32_at = |b: &[u8], at: usize| {
            b.get(at..at + 4)
                .and_then(|s| s.try_into().ok())
                .map(u32::from_be_bytes)
        };
        match ty {
            duid_type::LLT if body.len() > 6 => match (u16_at(body), u32_at(body, 2)) {
                (Some(hw_type), Some(time)) => DuidKind::Llt {
                    hw_type,
                    time,
                    lladdr: body.get(6..).unwrap_or_default(),
                },
                _ => DuidKind::Other {
                    duid_type: ty,
                    body,
                },
            },
            duid_type::EN if body.len() > 4 => match u32_at(body, 0) {
                Some(enterprise) => DuidKind::En {
                    enterprise,
                    id: body.get(4..).unwrap_or_default(),
                },
                None => DuidKind::Other {
                    duid_type: ty,
                    body,
                },
            },
            duid_type::LL if body.len() > 2 => match u16_at(body) {
                Some(hw_type) => DuidKind::Ll {
                    hw_type,
                    lladdr: body.get(2..).unwrap_or_default(),
                },
                None => DuidKind::Other {
                    duid_type: ty,
                    body,
                },
            },
            duid_type::UUID => match <&[u8; 16]>::try_from(body) {
                Ok(uuid) => DuidKind::Uuid(uuid),
                Err(_) => DuidKind::Other {
                    duid_type: ty,
                    body,
                },
            },
            _ => DuidKind::Other {
                duid_type: ty,
                body,
            },
        }
    }

    fn build(duid_type: u16, parts: &[&[u8]]) -> core::result::Result<Self, DuidError> {
        let mut bytes = duid_type.to_be_bytes().to_vec();
        for p in parts {
            bytes.extend_from_slice(p);
        }
        Self::from_bytes(&bytes).map_err(|_| DuidError::BadLength(bytes.len()))
    }

    /// A DUID-LLT for `lladdr` at `unix_time` (C-014: the time field counts
    /// seconds since 2000-01-01, modulo 2^32), as KAME generates it.
    pub fn new_llt(
        hw_type: u16,
        unix_time: u64,
        lladdr: &[u8],
    ) -> core::result::Result<Self, DuidError> {
        let since_2000 = unix_time.saturating_sub(DUID_TIME_EPOCH);
        // The field is defined modulo 2^32; the truncation is the definition.
        #[allow(clippy::cast_possible_truncation)]
        let time = (since_2000 & 0xffff_ffff) as u32;
        Self::build(
            duid_type::LLT,
            &[&hw_type.to_be_bytes(), &time.to_be_bytes(), lladdr],
        )
    }

    /// A DUID-LL for `lladdr`.
    pub fn new_ll(hw_type: u16, lladdr: &[u8]) -> core::result::Result<Self, DuidError> {
        Self::build(duid_type::LL, &[&hw_type.to_be_bytes(), lladdr])
    }

    /// A DUID-EN for enterprise number `enterprise` and identifier `id`.
    pub fn new_en(enterprise: u32, id: &[u8]) -> core::result::Result<Self, DuidError> {
        Self::build(duid_type::EN, &[&enterprise.to_be_bytes(), id])
    }

    /// A DUID-UUID (C-015: type 4 and exactly 16 octets).
    pub fn new_uuid(uuid: [u8; 16]) -> Self {
        let mut bytes = duid_type::UUID.to_be_bytes().to_vec();
        bytes.extend_from_slice(&uuid);
        Self {
            bytes: bytes.into(),
        }
    }

    /// Parses KAME's text form: two-digit hex groups separated by colons
    /// (`00:01:00:01:...`), as `host { duid ...; }` and dhcp6ctl write it.
    /// Single-digit groups are accepted, as KAME's scanner does.
    pub fn from_text(text: &str) -> core::result::Result<Self, DuidError> {
        let mut bytes = Vec::with_capacity(text.len() / 3 + 1);
        for group in text.split(':') {
            if group.is_empty() || group.len() > 2 {
                return Err(DuidError::BadText);
            }
            bytes.push(u8::from_str_radix(group, 16).map_err(|_| DuidError::BadText)?);
        }
        Self::from_bytes(&bytes).map_err(|_| DuidError::BadLength(bytes.len()))
    }

    /// The bytes in KAME's DUID file: a 16-bit length in the host byte order
    /// of the machine that shares the file (little endian on x86 and ARM),
    /// then the DUID (doc/wide-compat.md §4).
    pub fn to_file_bytes(&self) -> Vec<u8> {
        let len = u16::try_from(self.bytes.len()).expect("a DUID is at most 130 octets");
        let mut out = len.to_le_bytes().to_vec();
        out.extend_from_slice(&self.bytes);
        out
    }

    /// Reads KAME's DUID file format. Trailing bytes are ignored, as KAME
    /// ignores them; a file shorter than its length prefix is corrupt. Unlike
    /// KAME, a DUID outside RFC 8415's 3..130 octets is refused rather than
    /// sent on the wire.
    pub fn from_file_bytes(file: &[u8]) -> core::result::Result<Self, DuidError> {
        let (len, rest) = file.split_first_chunk::<2>().ok_or(DuidError::Corrupt)?;
        let len = usize::from(u16::from_le_bytes(*len));
        let body = rest.get(..len).ok_or(DuidError::Corrupt)?;
        Self::from_bytes(body).map_err(|_| DuidError::BadLength(len))
    }
}

impl fmt::Display for Duid {
    /// KAME's log form: lower-case hex pairs joined by colons.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.bytes.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl core::str::FromStr for Duid {
    type Err = DuidError;
    fn from_str(s: &str) -> core::result::Result<Self, Self::Err> {
        Self::from_text(s)
    }
}

/// Why a DUID cannot be built, parsed or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DuidError {
    /// Not colon-separated hex octets.
    #[error("DUID must be hex octets separated by ':'")]
    BadText,
    /// Outside RFC 8415's 3 to 130 octets.
    #[error("DUID of {0} octets (RFC 8415 allows 3 to 130)")]
    BadLength(usize),
    /// A DUID file shorter than its length prefix.
    #[error("DUID file corrupted")]
    Corrupt,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DUID file example of doc/wide-compat.md §4: a 14-octet DUID-LLT.
    #[rustfmt::skip]
    const KAME_DUID_FILE: &[u8] = &[
        0x0e, 0x00,                         // length 14, little endian
        0x00, 0x01,                         // DUID-LLT
        0x00, 0x01,                         // hardware type Ethernet
        0x32, 0x99, 0x8d, 0x33,             // time
        0x9a, 0xf8, 0x61, 0xe4, 0x20, 0x97, // MAC
    ];

    #[test]
    fn kame_duid_file_both_ways() {
        let duid = Duid::from_file_bytes(KAME_DUID_FILE).unwrap();
        assert_eq!(
            duid.to_string(),
            "00:01:00:01:32:99:8d:33:9a:f8:61:e4:20:97"
        );
        assert_eq!(duid.to_file_bytes(), KAME_DUID_FILE);
        let mut trailing = KAME_DUID_FILE.to_vec();
        trailing.extend_from_slice(b"junk");
        assert_eq!(Duid::from_file_bytes(&trailing).unwrap(), duid);
        assert_eq!(
            Duid::from_file_bytes(&KAME_DUID_FILE[..10]),
            Err(DuidError::Corrupt)
        );
        assert_eq!(Duid::from_file_bytes(&[0x01]), Err(DuidError::Corrupt));
        assert_eq!(
            Duid::from_file_bytes(&[0x02, 0x00, 0, 1]),
            Err(DuidError::BadLength(2))
        );
        match duid.kind() {
            DuidKind::Llt {
                hw_type,
                time,
                lladdr,
            } => {
                assert_eq!(hw_type, HW_TYPE_ETHERNET);
                assert_eq!(time, 0x3299_8d33);
                assert_eq!(lladdr, &[0x9a, 0xf8, 0x61, 0xe4, 0x20, 0x97]);
            }
            other => panic!("{other:?}"),
        }
    }

    /// C-013: any type, 3 to 130 octets.
    #[test]
    fn c013_duid_lengths() {
        for len in 0..=200usize {
            let ok = Duid::from_bytes(&vec![0xff; len]).is_ok();
            assert_eq!(ok, (3..=130).contains(&len), "length {len}");
        }
        assert!(matches!(
            Duid::from_bytes(&[0xab, 0xcd, 1]).unwrap().kind(),
            DuidKind::Other {
                duid_type: 0xabcd,
                ..
            }
        ));
    }

    /// C-014: DUID-LLT time counts from 2000-01-01 modulo 2^32.
    #[test]
    fn c014_llt_time() {
        let mac = [2, 0, 0, 0, 0, 1];
        let d = Duid::new_llt(HW_TYPE_ETHERNET, DUID_TIME_EPOCH + 1000, &mac).unwrap();
        assert_eq!(
            d.as_bytes(),
            &[0, 1, 0, 1, 0, 0, 0x03, 0xe8, 2, 0, 0, 0, 0, 1]
        );
        let wrap = Duid::new_llt(1, DUID_TIME_EPOCH + (1u64 << 32) + 5, &mac).unwrap();
        assert!(matches!(wrap.kind(), DuidKind::Llt { time: 5, .. }));
    }

    /// C-015: DUID-UUID is type 4 plus exactly 16 octets.
    #[test]
    fn c015_uuid() {
        let d = Duid::new_uuid([7; 16]);
        assert_eq!(d.len(), 18);
        assert_eq!(d.duid_type(), duid_type::UUID);
        assert_eq!(d.kind(), DuidKind::Uuid(&[7; 16]));
        let short = Duid::from_bytes(&[0, 4, 1, 2, 3]).unwrap();
        assert!(matches!(short.kind(), DuidKind::Other { duid_type: 4, .. }));
    }

    #[test]
    fn text_form() {
        let d: Duid = "00:03:00:01:00:11:22:33:44:55".parse().unwrap();
        assert_eq!(
            d.kind(),
            DuidKind::Ll {
                hw_type: 1,
                lladdr: &[0, 0x11, 0x22, 0x33, 0x44, 0x55]
            }
        );
        assert_eq!(Duid::from_text("0:1:2").unwrap().as_bytes(), &[0, 1, 2]);
        assert_eq!(Duid::from_text("00:01"), Err(DuidError::BadLength(2)));
        assert_eq!(Duid::from_text("00::01:02"), Err(DuidError::BadText));
        assert_eq!(Duid::from_text("000:01:02"), Err(DuidError::BadText));
        assert_eq!(Duid::from_text("zz:01:02"), Err(DuidError::BadText));
        let en = Duid::new_en(32473, &[0x0c, 0xc0, 0x84, 0xd3, 0x03, 0x00, 0x09, 0x12]).unwrap();
        // The RFC 8415 §11.3 example.
        assert_eq!(en.to_string(), "00:02:00:00:7e:d9:0c:c0:84:d3:03:00:09:12");
        assert_eq!(Duid::new_ll(1, &[1, 2, 3, 4, 5, 6]).unwrap().len(), 10);
    }
}
