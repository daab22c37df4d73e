//! What the DHCPv4 engine serves: a plain configuration the dhcp4s grammar
//! builds ([`Config4`]), and its checks ([`Config4::check`]), so that the
//! engine itself never meets an inconsistent one.

use core::net::Ipv4Addr;
use std::collections::{HashMap, HashSet};

use super::ClientKey;
use crate::dhcp4::{ClasslessRoute, OptionRepr};

/// Lease time when a subnet names none: one hour.
pub const DEFAULT_LEASE_TIME: u32 = 3600;
/// How long an offer holds its address, in memory only: 30 seconds, long
/// enough for a client's REQUEST after the OFFER (RFC 2131 §4.4.1 has it
/// retransmit over a few seconds), short enough that a flood of DISCOVERs
/// cannot pin the pool.
pub const DEFAULT_OFFER_HOLD: u32 = 30;
/// How long a declined address stays out of the pool: a day, Kea's
/// `decline-probation-period` default.
pub const DEFAULT_DECLINE_TIME: u32 = 86_400;
/// How many offers may be outstanding at once; the oldest is recycled when
/// a new one would pass the bound.
pub const DEFAULT_MAX_OFFERS: usize = 4096;
/// Lease time meaning "infinite" (RFC 2131 §3.3).
pub const INFINITE: u32 = u32::MAX;

/// The engine's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config4 {
    /// The server identifier (option 54) the engine answers with and
    /// recognises as its own (RFC 2131 §4.3.1).
    pub server_id: Ipv4Addr,
    /// The subnets served; the caller chooses one per query.
    pub subnets: Vec<Subnet4>,
    /// Seconds an offer holds its address ([`DEFAULT_OFFER_HOLD`]).
    pub offer_hold: u32,
    /// Seconds a declined address is quarantined ([`DEFAULT_DECLINE_TIME`]).
    pub decline_time: u32,
    /// Largest number of outstanding offers ([`DEFAULT_MAX_OFFERS`]).
    pub max_offers: usize,
    /// Whether the server is the only one for its subnets (Kea's
    /// `authoritative`). When false, the default, a client in INIT-REBOOT
    /// that the server has no lease for is not answered, as RFC 2131
    /// §4.3.2 requires so that servers on one link coexist; when true it
    /// is given the address it asks for if free, or a DHCPNAK.
    pub authoritative: bool,
}

impl Config4 {
    /// A configuration with the defaults and no subnets.
    pub fn new(server_id: Ipv4Addr) -> Self {
        Self {
            server_id,
            subnets: Vec::new(),
            offer_hold: DEFAULT_OFFER_HOLD,
            decline_time: DEFAULT_DECLINE_TIME,
            max_offers: DEFAULT_MAX_OFFERS,
            authoritative: false,
        }
    }
}

/// A lease's times as OFFER and ACK carry them: options 51, 58 and 59
/// (RFC 2132 §9.2, §9.11, §9.12), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTimes {
    /// The lease time.
    pub lease: u32,
    /// T1, the renewal time.
    pub t1: u32,
    /// T2, the rebinding time.
    pub t2: u32,
}

/// One IPv4 subnet: its prefix, dynamic ranges, options, times and
/// reservations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet4 {
    /// The identifier the caller selects the subnet by (Kea's `subnet-id`).
    pub id: u32,
    /// The network address.
    pub network: Ipv4Addr,
    /// Prefix length, 0 to 32.
    pub prefix_len: u8,
    /// Dynamic address ranges inside the subnet.
    pub ranges: Vec<Range4>,
    /// Options every client of the subnet gets (when asked for).
    pub options: Options4,
    /// Lease time in seconds ([`INFINITE`] for no end).
    pub lease_time: u32,
    /// Renewal time (T1); `None` is half the lease time (RFC 2131 §4.4.5).
    pub t1: Option<u32>,
    /// Rebinding time (T2); `None` is 87.5% of the lease time (RFC 2131 §4.4.5).
    pub t2: Option<u32>,
    /// Fixed addresses for known clients; kept out of the dynamic ranges.
    pub reservations: Vec<Reservation4>,
}

impl Subnet4 {
    /// A subnet with no ranges, options or reservations and the default
    /// lease time.
    pub fn new(id: u32, network: Ipv4Addr, prefix_len: u8) -> Self {
        Self {
            id,
            network,
            prefix_len,
            ranges: Vec::new(),
            options: Options4::default(),
            lease_time: DEFAULT_LEASE_TIME,
            t1: None,
            t2: None,
            reservations: Vec::new(),
        }
    }

    /// The subnet mask (option 1).
    pub fn mask(&self) -> Ipv4Addr {
        Ipv4Addr::from(mask_bits(self.prefix_len))
    }

    /// True when `addr` is inside the subnet.
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        let m = mask_bits(self.prefix_len);
        u32::from(addr) & m == u32::from(self.network) & m
    }

    /// The subnet's lease time with its T1 and T2: the configured ones,
    /// else 50% and 87.5% (RFC 2131 §4.4.5). An infinite lease has
    /// infinite T1 and T2.
    pub fn times(&self) -> LeaseTimes {
        let lease = self.lease_time;
        if lease == INFINITE {
            return LeaseTimes {
                lease,
                t1: INFINITE,
                t2: INFINITE,
            };
        }
        let t1 = self.t1.unwrap_or(lease / 2);
        let t2 = self
            .t2
            .unwrap_or_else(|| u32::try_from(u64::from(lease) * 7 / 8).unwrap_or(INFINITE));
        LeaseTimes { lease, t1, t2 }
    }
}

/// The prefix mask as a number; lengths over 32 count as 32.
fn mask_bits(prefix_len: u8) -> u32 {
    match prefix_len {
        0 => 0,
        n => u32::MAX << (32 - u32::from(n.min(32))),
    }
}

/// An inclusive range of addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range4 {
    /// First address.
    pub first: Ipv4Addr,
    /// Last address (inclusive).
    pub last: Ipv4Addr,
}

impl Range4 {
    /// True when `addr` is in the range.
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        self.first <= addr && addr <= self.last
    }

    /// Number of addresses.
    pub fn size(&self) -> u128 {
        u128::from(u32::from(self.last)).saturating_sub(u128::from(u32::from(self.first))) + 1
    }
}

/// The options a subnet or a host hands out (RFC 2132). The subnet mask
/// comes from the subnet's prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options4 {
    /// Routers (option 3).
    pub routers: Vec<Ipv4Addr>,
    /// Domain name servers (option 6).
    pub dns_servers: Vec<Ipv4Addr>,
    /// Domain name (option 15).
    pub domain_name: Option<Vec<u8>>,
    /// NTP servers (option 42).
    pub ntp_servers: Vec<Ipv4Addr>,
    /// Interface MTU (option 26).
    pub mtu: Option<u16>,
    /// Classless static routes (option 121, RFC 3442).
    pub classless_routes: Vec<ClasslessRoute>,
}

impl Options4 {
    /// The options as they go on the wire, in RFC 2132's order; empty
    /// lists are left out.
    pub fn reprs(&self) -> Vec<OptionRepr> {
        let mut out = Vec::new();
        if !self.routers.is_empty() {
            out.push(OptionRepr::Routers(self.routers.clone()));
        }
        if !self.dns_servers.is_empty() {
            out.push(OptionRepr::DomainNameServers(self.dns_servers.clone()));
        }
        if let Some(d) = self.domain_name.as_ref().filter(|d| !d.is_empty()) {
            out.push(OptionRepr::DomainName(d.clone()));
        }
        if let Some(mtu) = self.mtu {
            out.push(OptionRepr::InterfaceMtu(mtu));
        }
        if !self.ntp_servers.is_empty() {
            out.push(OptionRepr::NtpServers(self.ntp_servers.clone()));
        }
        if !self.classless_routes.is_empty() {
            out.push(OptionRepr::ClasslessStaticRoutes(
                self.classless_routes.clone(),
            ));
        }
        out
    }
}

/// A fixed address for one client, found by its client identifier or its
/// hardware address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation4 {
    /// The client: [`ClientKey::Id`] matches option 61, [`ClientKey::Hw`]
    /// matches `htype` and `chaddr` (whether or not the client also sends
    /// option 61).
    pub host: ClientKey,
    /// The address, inside the subnet.
    pub addr: Ipv4Addr,
    /// Options for this host; each replaces the subnet's option of the
    /// same code.
    pub options: Options4,
}

/// A configuration the engine refuses, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Two subnets share an identifier.
    #[error("subnet id {0} used twice")]
    DuplicateSubnetId(u32),
    /// A prefix length over 32.
    #[error("subnet {id}: prefix length {len} over 32")]
    BadPrefixLen {
        /// The subnet.
        id: u32,
        /// The length given.
        len: u8,
    },
    /// A range whose ends are reversed or lie outside the subnet.
    #[error("subnet {id}: range {first}-{last} is not inside the subnet")]
    BadRange {
        /// The subnet.
        id: u32,
        /// First address.
        first: Ipv4Addr,
        /// Last address.
        last: Ipv4Addr,
    },
    /// An address in two ranges (of one subnet or two): it would have two
    /// pools, so it could be given twice.
    #[error("address {0} is in two ranges")]
    Overlap(Ipv4Addr),
    /// A reservation outside its subnet.
    #[error("subnet {id}: reserved address {addr} is not inside the subnet")]
    ReservationOutside {
        /// The subnet.
        id: u32,
        /// The address.
        addr: Ipv4Addr,
    },
    /// One address reserved twice, or one host given two reservations in a subnet.
    #[error("address {0} or its host reserved twice")]
    DuplicateReservation(Ipv4Addr),
    /// A zero lease time, or T1 over T2 or T2 over the lease time.
    #[error("subnet {0}: lease time zero or T1 > T2 > lease time")]
    BadTimes(u32),
    /// `max_offers` of zero: no client could ever be offered an address.
    #[error("max-offers must be at least 1")]
    NoOffers,
}

impl Config4 {
    /// Checks what the engine relies on: unique subnet ids, ranges inside
    /// their subnets and disjoint everywhere, reservations inside their
    /// subnets and unique, sane times.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.max_offers == 0 {
            return Err(ConfigError::NoOffers);
        }
        let mut ids = HashSet::new();
        let mut ranges: Vec<Range4> = Vec::new();
        for s in &self.subnets {
            if !ids.insert(s.id) {
                return Err(ConfigError::DuplicateSubnetId(s.id));
            }
            if s.prefix_len > 32 {
                return Err(ConfigError::BadPrefixLen {
                    id: s.id,
                    len: s.prefix_len,
                });
            }
            let LeaseTimes { lease, t1, t2 } = s.times();
            if lease == 0 || t1 > t2 || t2 > lease {
                return Err(ConfigError::BadTimes(s.id));
            }
            for r in &s.ranges {
                if r.first > r.last || !s.contains(r.first) || !s.contains(r.last) {
                    return Err(ConfigError::BadRange {
                        id: s.id,
                        first: r.first,
                        last: r.last,
                    });
                }
                ranges.push(*r);
            }
            check_reservations(s)?;
        }
        ranges.sort_by_key(|r| r.first);
        for w in ranges.windows(2) {
            if let [a, b] = w {
                if b.first <= a.last {
                    return Err(ConfigError::Overlap(b.first));
                }
            }
        }
        let mut reserved = HashSet::new();
        for r in self.subnets.iter().flat_map(|s| &s.reservations) {
            if !reserved.insert(r.addr) {
                return Err(ConfigError::DuplicateReservation(r.addr));
            }
        }
        Ok(())
    }
}

fn check_reservations(s: &Subnet4) -> Result<(), ConfigError> {
    let mut hosts = HashMap::new();
    for r in &s.reservations {
        if !s.contains(r.addr) {
            return Err(ConfigError::ReservationOutside {
                id: s.id,
                addr: r.addr,
            });
        }
        if hosts.insert(&r.host, r.addr).is_some() {
            return Err(ConfigError::DuplicateReservation(r.addr));
        }
    }
    Ok(())
}
