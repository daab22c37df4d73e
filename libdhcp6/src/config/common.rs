//! The configuration types both daemons use (WIDE's `keyinfo` and
//! `authinfo` lists, information options, lifetimes) and the information
//! option keywords.

use std::net::Ipv6Addr;

use crate::codes::OptionCode;

/// The information options of doc/wide-compat.md §2.5, plus option 88 (kame6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InfoKind {
    /// `domain-name-servers` (23)
    DnsServers,
    /// `domain-name` (24)
    DomainName,
    /// `ntp-servers` (31)
    NtpServers,
    /// `sip-server-address` (22)
    SipServerAddress,
    /// `sip-server-domain-name` (21)
    SipServerDomainName,
    /// `nis-server-address` (27)
    NisServerAddress,
    /// `nis-domain-name`, alias `nis-server-domain-name` (29)
    NisDomainName,
    /// `nisp-server-address` (28)
    NispServerAddress,
    /// `nisp-domain-name`, alias `nisp-server-domain-name` (30)
    NispDomainName,
    /// `bcmcs-server-address` (34)
    BcmcsServerAddress,
    /// `bcmcs-server-domain-name` (33)
    BcmcsServerDomainName,
    /// `dhcp4o6-server-address` (88, RFC 7341; kame6 extension, server only)
    Dhcp4o6ServerAddress,
}

impl InfoKind {
    /// Every kind, in the order the printer writes them.
    pub const ALL: [InfoKind; 12] = [
        InfoKind::DnsServers,
        InfoKind::DomainName,
        InfoKind::NtpServers,
        InfoKind::SipServerAddress,
        InfoKind::SipServerDomainName,
        InfoKind::NisServerAddress,
        InfoKind::NisDomainName,
        InfoKind::NispServerAddress,
        InfoKind::NispDomainName,
        InfoKind::BcmcsServerAddress,
        InfoKind::BcmcsServerDomainName,
        InfoKind::Dhcp4o6ServerAddress,
    ];

    /// The canonical keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            InfoKind::DnsServers => "domain-name-servers",
            InfoKind::DomainName => "domain-name",
            InfoKind::NtpServers => "ntp-servers",
            InfoKind::SipServerAddress => "sip-server-address",
            InfoKind::SipServerDomainName => "sip-server-domain-name",
            InfoKind::NisServerAddress => "nis-server-address",
            InfoKind::NisDomainName => "nis-domain-name",
            InfoKind::NispServerAddress => "nisp-server-address",
            InfoKind::NispDomainName => "nisp-domain-name",
            InfoKind::BcmcsServerAddress => "bcmcs-server-address",
            InfoKind::BcmcsServerDomainName => "bcmcs-server-domain-name",
            InfoKind::Dhcp4o6ServerAddress => "dhcp4o6-server-address",
        }
    }

    /// The kind a keyword (or WIDE's pre-2006 alias) names.
    pub fn from_keyword(word: &str) -> Option<Self> {
        match word {
            "nis-server-domain-name" => Some(InfoKind::NisDomainName),
            "nisp-server-domain-name" => Some(InfoKind::NispDomainName),
            w => Self::ALL.into_iter().find(|k| k.keyword() == w),
        }
    }

    /// True for the options that carry domain names, not addresses.
    pub fn takes_names(self) -> bool {
        matches!(
            self,
            InfoKind::DomainName
                | InfoKind::SipServerDomainName
                | InfoKind::NisDomainName
                | InfoKind::NispDomainName
                | InfoKind::BcmcsServerDomainName
        )
    }

    /// The option code.
    pub fn code(self) -> OptionCode {
        match self {
            InfoKind::DnsServers => OptionCode::DnsServers,
            InfoKind::DomainName => OptionCode::DomainList,
            InfoKind::NtpServers => OptionCode::SntpServers,
            InfoKind::SipServerAddress => OptionCode::SipServerA,
            InfoKind::SipServerDomainName => OptionCode::SipServerD,
            InfoKind::NisServerAddress => OptionCode::NisServers,
            InfoKind::NisDomainName => OptionCode::NisDomainName,
            InfoKind::NispServerAddress => OptionCode::NispServers,
            InfoKind::NispDomainName => OptionCode::NispDomainName,
            InfoKind::BcmcsServerAddress => OptionCode::BcmcsServerA,
            InfoKind::BcmcsServerDomainName => OptionCode::BcmcsServerD,
            InfoKind::Dhcp4o6ServerAddress => OptionCode::Dhcp4o6ServerAddr,
        }
    }
}

/// The lifetime value meaning "infinity" (RFC 8415 §7.7).
pub const INFINITY: u32 = u32::MAX;

/// Preferred and valid lifetime, in seconds ([`INFINITY`] = infinite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Preferred lifetime.
    pub preferred: u32,
    /// Valid lifetime.
    pub valid: u32,
}

/// Information options (doc/wide-compat.md §2.5) at one scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfoOptions {
    /// Address options, in first-use order; lists concatenated in file order.
    pub addresses: Vec<InfoAddresses>,
    /// Name options, as written (validated as RFC 1035 names).
    pub names: Vec<InfoNames>,
    /// Information Refresh Time (option 32), 600..=2^32-1.
    pub refresh_time: Option<u32>,
}

impl InfoOptions {
    /// True if nothing is set.
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty() && self.names.is_empty() && self.refresh_time.is_none()
    }

    /// The addresses configured for `kind`.
    pub fn addresses_of(&self, kind: InfoKind) -> &[Ipv6Addr] {
        self.addresses
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| a.addrs.as_slice())
            .unwrap_or(&[])
    }

    /// The names configured for `kind`.
    pub fn names_of(&self, kind: InfoKind) -> &[String] {
        self.names
            .iter()
            .find(|n| n.kind == kind)
            .map(|n| n.names.as_slice())
            .unwrap_or(&[])
    }
}

/// The addresses configured for one address option
/// (`option domain-name-servers A B ...;`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoAddresses {
    /// Which option.
    pub kind: InfoKind,
    /// Its addresses, in file order.
    pub addrs: Vec<Ipv6Addr>,
}

/// The names configured for one name option (`option domain-name "N";`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoNames {
    /// Which option.
    pub kind: InfoKind,
    /// Its names, in file order.
    pub names: Vec<String>,
}

/// An address or prefix with fixed lifetimes, as a configuration writes it:
/// a host's fixed address or prefix in dhcp6s.conf (`host { address ...;
/// prefix ...; }`), or the address or prefix a client asks for as a hint in
/// dhcp6c.conf (`id-assoc { address ...; prefix ...; }`). Not what a server
/// hands out and records: that is the lease store's business ([`crate::lease`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedLease {
    /// Address or prefix (host bits clear).
    pub addr: Ipv6Addr,
    /// Prefix length (128 for an address).
    pub len: u8,
    /// Lifetimes.
    pub lifetimes: Lifetimes,
}

/// When a key expires (`expire "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expire {
    /// `"forever"` or no `expire`.
    Forever,
    /// A time (read as UTC, doc/config.md); a missing year or month and
    /// day mean those of the day the configuration is loaded.
    At {
        /// Year, if written.
        year: Option<u16>,
        /// Month and day, if written.
        month_day: Option<MonthDay>,
        /// Hour.
        hour: u8,
        /// Minute.
        minute: u8,
    },
}

impl Expire {
    /// When a key with this expiry stops being usable, as a Unix time
    /// (`None`: never), for a configuration loaded at `loaded`: a missing
    /// date is the load day's and a missing year the load year's, in UTC as
    /// the parse-time check reads full dates (doc/config.md).
    pub fn resolve(&self, loaded: crate::config::UnixTime) -> Option<crate::config::UnixTime> {
        let Expire::At {
            year,
            month_day,
            hour,
            minute,
        } = *self
        else {
            return None;
        };
        let (y, month, day) = super::check::civil_date(loaded);
        let md = month_day.unwrap_or(MonthDay { month, day });
        Some(super::check::unix_time(
            year.unwrap_or(y),
            md.month,
            md.day,
            hour,
            minute,
        ))
    }
}

/// The month and day of an `expire` date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthDay {
    /// Month, 1..=12.
    pub month: u8,
    /// Day of the month, 1..=31.
    pub day: u8,
}

/// `keyinfo NAME { ... }` (doc/wide-compat.md §2.4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Name.
    pub name: String,
    /// Realm, raw bytes.
    pub realm: String,
    /// Key ID.
    pub keyid: u32,
    /// The decoded secret.
    pub secret: Vec<u8>,
    /// Expiry.
    pub expire: Expire,
}

/// Authentication protocol of an `authentication` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthProtocol {
    /// RFC 3315 delayed authentication (client).
    Delayed,
    /// Reconfigure key (server): WIDE parses it and does nothing; here it
    /// turns Reconfigure on (doc/config.md).
    Reconfig,
}

/// `authentication NAME { ... }`; algorithm HMAC-MD5 and RDM monocounter
/// are the only ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthInfo {
    /// Name.
    pub name: String,
    /// Protocol.
    pub protocol: AuthProtocol,
}
