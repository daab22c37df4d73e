//! An IPv4 lease as the DHCPv4 half of dhcp6c holds it: what a DHCPACK
//! gave ([`Lease4::from_ack`]), its times (RFC 2131 §4.4.5), what the
//! script is told of it (ISC dhclient-script's IPv4 variables) and the
//! one line kept in the state directory so that a restarted client can
//! ask for the same address (INIT-REBOOT, RFC 2131 §3.2).

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use libdhcp6::dhcp4::{OptionRepr, PacketRepr};

/// A lease time of all ones: infinite (RFC 2131 §3.3).
pub const INFINITE: u32 = u32::MAX;

/// One IPv4 lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease4 {
    /// The leased address (`yiaddr` of the DHCPACK).
    pub addr: Ipv4Addr,
    /// Subnet mask (option 1), if the server gave one.
    pub mask: Option<Ipv4Addr>,
    /// Routers (option 3).
    pub routers: Vec<Ipv4Addr>,
    /// Domain name servers (option 6).
    pub dns: Vec<Ipv4Addr>,
    /// Domain name (option 15), as sent.
    pub domain: Option<String>,
    /// The leasing server (option 54).
    pub server_id: Ipv4Addr,
    /// Lease time in seconds (option 51); [`INFINITE`] for ever.
    pub lease_time: u32,
    /// T1 in seconds: option 58 or half the lease (RFC 2131 §4.4.5).
    pub t1: u32,
    /// T2 in seconds: option 59 or 7/8 of the lease.
    pub t2: u32,
    /// When the DHCPACK arrived: the lease's times count from here.
    pub got: Instant,
}

impl Lease4 {
    /// The lease a DHCPACK gives, received at `now`; `None` without a
    /// usable address, server identifier or lease time (RFC 2131 table 3
    /// makes the last two a MUST in DHCPACK to DHCPREQUEST).
    pub fn from_ack(ack: &PacketRepr, now: Instant) -> Option<Self> {
        let addr = ack.yiaddr;
        if addr.is_unspecified() || addr.is_broadcast() || addr.is_multicast() {
            return None;
        }
        let server_id = ack.server_id()?;
        let mut l = Lease4 {
            addr,
            mask: None,
            routers: Vec::new(),
            dns: Vec::new(),
            domain: None,
            server_id,
            lease_time: 0,
            t1: 0,
            t2: 0,
            got: now,
        };
        let (mut t1, mut t2) = (None, None);
        for o in &ack.options {
            match o {
                OptionRepr::SubnetMask(m) => l.mask = Some(*m),
                OptionRepr::Routers(r) => l.routers.clone_from(r),
                OptionRepr::DomainNameServers(d) => l.dns.clone_from(d),
                OptionRepr::DomainName(d) => {
                    l.domain = Some(String::from_utf8_lossy(d).into_owned())
                }
                OptionRepr::LeaseTime(t) => l.lease_time = *t,
                OptionRepr::RenewalTime(t) => t1 = Some(*t),
                OptionRepr::RebindingTime(t) => t2 = Some(*t),
                _ => {}
            }
        }
        if l.lease_time == 0 {
            return None;
        }
        let (t1, t2) = times(l.lease_time, t1, t2);
        l.t1 = t1;
        l.t2 = t2;
        Some(l)
    }

    /// The prefix length of the subnet mask; 32 without one, or with a
    /// mask that is not a run of ones.
    pub fn prefix_len(&self) -> u8 {
        let Some(m) = self.mask else { return 32 };
        let bits = u32::from(m);
        let n = bits.leading_ones();
        if bits.checked_shl(n).unwrap_or(0) != 0 {
            return 32;
        }
        u8::try_from(n).unwrap_or(32)
    }

    /// `got + secs`, `None` for [`INFINITE`].
    fn at(&self, secs: u32) -> Option<Instant> {
        (self.lease_time != INFINITE).then(|| self.got + Duration::from_secs(u64::from(secs)))
    }

    /// When RENEWING starts.
    pub fn renew_at(&self) -> Option<Instant> {
        self.at(self.t1)
    }

    /// When REBINDING starts.
    pub fn rebind_at(&self) -> Option<Instant> {
        self.at(self.t2)
    }

    /// When the lease ends.
    pub fn expires_at(&self) -> Option<Instant> {
        self.at(self.lease_time)
    }

    /// Seconds left at `now` ([`INFINITE`] for ever), for the kernel's
    /// address lifetime.
    pub fn left(&self, now: Instant) -> u32 {
        match self.expires_at() {
            None => INFINITE,
            Some(e) => {
                u32::try_from(e.saturating_duration_since(now).as_secs()).unwrap_or(INFINITE)
            }
        }
    }

    /// ISC dhclient-script's variables for this lease, each name prefixed
    /// with `pre` (`new_` or `old_`): the ones its IPv4 part reads.
    pub fn env(&self, pre: &str, out: &mut Vec<(String, String)>) {
        let list = |v: &[Ipv4Addr]| {
            v.iter()
                .map(Ipv4Addr::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut put = |k: &str, v: String| out.push((format!("{pre}{k}"), v));
        put("ip_address", self.addr.to_string());
        if let Some(m) = self.mask {
            put("subnet_mask", m.to_string());
            let net = u32::from(self.addr) & u32::from(m);
            put("network_number", Ipv4Addr::from(net).to_string());
            put(
                "broadcast_address",
                Ipv4Addr::from(net | !u32::from(m)).to_string(),
            );
        }
        if !self.routers.is_empty() {
            put("routers", list(&self.routers));
        }
        if !self.dns.is_empty() {
            put("domain_name_servers", list(&self.dns));
        }
        if let Some(d) = &self.domain {
            put("domain_name", d.clone());
        }
        put("dhcp_lease_time", self.lease_time.to_string());
        put("dhcp_renewal_time", self.t1.to_string());
        put("dhcp_rebinding_time", self.t2.to_string());
        put("dhcp_server_identifier", self.server_id.to_string());
    }
}

/// T1 and T2 from a lease time and the options that may set them: the
/// defaults of RFC 2131 §4.4.5 (0.5 and 0.875 of the lease) replace
/// values out of order (T1 ≤ T2 ≤ lease).
pub fn times(lease: u32, t1: Option<u32>, t2: Option<u32>) -> (u32, u32) {
    if lease == INFINITE {
        return (INFINITE, INFINITE);
    }
    let def1 = lease / 2;
    let def2 = u32::try_from(u64::from(lease) * 7 / 8).unwrap_or(lease);
    let t2 = t2.filter(|t| *t <= lease).unwrap_or(def2);
    let t1 = t1.filter(|t| *t <= t2).unwrap_or(def1.min(t2));
    (t1, t2)
}

/// What is kept across a restart: the address and its server, and when
/// the lease ends in Unix seconds. One line, `ADDR SERVER EXPIRES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    /// The leased address.
    pub addr: Ipv4Addr,
    /// The leasing server.
    pub server_id: Ipv4Addr,
    /// Unix time the lease ends; `u64::MAX` never.
    pub expires: u64,
}

impl Saved {
    /// The file's text.
    pub fn format(&self) -> String {
        format!("{} {} {}\n", self.addr, self.server_id, self.expires)
    }

    /// Reads the file's text; `None` for anything else (a damaged file
    /// is as good as none: the client starts from INIT).
    pub fn parse(text: &str) -> Option<Self> {
        let mut w = text.split_whitespace();
        let s = Saved {
            addr: w.next()?.parse().ok()?,
            server_id: w.next()?.parse().ok()?,
            expires: w.next()?.parse().ok()?,
        };
        w.next().is_none().then_some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2131 §4.4.5 defaults, and values out of order replaced.
    #[test]
    fn t1_t2() {
        assert_eq!(times(600, None, None), (300, 525));
        assert_eq!(times(600, Some(200), Some(400)), (200, 400));
        assert_eq!(times(600, Some(500), Some(400)), (300, 400));
        assert_eq!(times(600, Some(100), Some(700)), (100, 525));
        assert_eq!(times(INFINITE, Some(1), None), (INFINITE, INFINITE));
    }

    /// The saved line round-trips; anything else is no lease.
    #[test]
    fn saved_round_trip() {
        let s = Saved {
            addr: Ipv4Addr::new(10, 0, 0, 5),
            server_id: Ipv4Addr::new(10, 0, 0, 1),
            expires: 1_700_000_000,
        };
        assert_eq!(Saved::parse(&s.format()), Some(s));
        for bad in [
            "",
            "10.0.0.5",
            "10.0.0.5 x 1",
            "10.0.0.5 10.0.0.1 1 2",
            "a b c",
        ] {
            assert_eq!(Saved::parse(bad), None, "{bad:?}");
        }
    }

    /// Prefix lengths from masks, a broken mask as a host route.
    #[test]
    fn prefix_len() {
        let mut l = Lease4 {
            addr: Ipv4Addr::new(10, 0, 0, 5),
            mask: Some(Ipv4Addr::new(255, 255, 255, 0)),
            routers: vec![],
            dns: vec![],
            domain: None,
            server_id: Ipv4Addr::new(10, 0, 0, 1),
            lease_time: 60,
            t1: 30,
            t2: 52,
            got: Instant::now(),
        };
        assert_eq!(l.prefix_len(), 24);
        l.mask = Some(Ipv4Addr::new(255, 0, 255, 0));
        assert_eq!(l.prefix_len(), 32);
        l.mask = Some(Ipv4Addr::new(0, 0, 0, 0));
        assert_eq!(l.prefix_len(), 0);
        l.mask = None;
        assert_eq!(l.prefix_len(), 32);
        let mut env = Vec::new();
        l.env("new_", &mut env);
        assert!(env.contains(&("new_ip_address".into(), "10.0.0.5".into())));
        assert!(env.contains(&("new_dhcp_lease_time".into(), "60".into())));
    }
}
