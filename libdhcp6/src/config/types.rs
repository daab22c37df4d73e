//! The typed configurations the daemons use (WIDE's `dhcp6_if`,
//! `host_conf`, `pool_conf`, `ia_conf`, `keyinfo`, `authinfo` lists).

use std::net::Ipv6Addr;

use super::InfoKind;
use crate::duid::Duid;

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

/// A reference to a pool with the lifetimes given out from it
/// (`address-pool NAME pltime [vltime]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRef {
    /// The pool's name.
    pub name: String,
    /// The lifetimes of what is leased from it.
    pub lifetimes: Lifetimes,
}

/// Information options (doc/wide-compat.md §2.5) at one scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfoOptions {
    /// Address options, in first-use order; lists concatenated in file order.
    pub addresses: Vec<(InfoKind, Vec<Ipv6Addr>)>,
    /// Name options, as written (validated as RFC 1035 names).
    pub names: Vec<(InfoKind, Vec<String>)>,
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
            .find(|(k, _)| *k == kind)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// The names configured for `kind`.
    pub fn names_of(&self, kind: InfoKind) -> &[String] {
        self.names
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }
}

/// What a served interface, a relay link or a host can carry (kame6 adds
/// prefix pools, IA_TA pools and options to WIDE's preference,
/// rapid-commit and address pool).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Preference option value for Advertise, if configured.
    pub preference: Option<u8>,
    /// `allow rapid-commit`.
    pub allow_rapid_commit: bool,
    /// IA_NA pool.
    pub address_pool: Option<PoolRef>,
    /// IA_PD pool (kame6).
    pub prefix_pool: Option<PoolRef>,
    /// IA_TA pool (kame6).
    pub ta_pool: Option<PoolRef>,
    /// Options sent here in addition to (and overriding, per kind) the
    /// global ones (kame6).
    pub options: InfoOptions,
}

/// `interface IF { ... }` in dhcp6s.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInterface {
    /// Interface name.
    pub name: String,
    /// Its settings.
    pub scope: Scope,
}

/// `link NAME { ... }` (kame6): settings for clients behind a relay,
/// selected by the relay's link-address and/or Interface-ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// A name for logs.
    pub name: String,
    /// Prefixes the relay's link-address must fall in (any of them).
    pub link_addresses: Vec<(Ipv6Addr, u8)>,
    /// Interface-ID option values (any of them).
    pub interface_ids: Vec<Vec<u8>>,
    /// Its settings.
    pub scope: Scope,
}

/// A fixed prefix or address for a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Address or prefix (host bits clear).
    pub addr: Ipv6Addr,
    /// Prefix length (128 for an address).
    pub len: u8,
    /// Lifetimes.
    pub lifetimes: Lifetimes,
}

/// `host NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Name, for logs.
    pub name: String,
    /// The client's DUID; a host without one never matches.
    pub duid: Option<Duid>,
    /// Delegated prefixes.
    pub prefixes: Vec<Lease>,
    /// Fixed addresses.
    pub addresses: Vec<Lease>,
    /// `delayedkey NAME`.
    pub delayed_key: Option<String>,
    /// Relay-supplied identifiers that also select this host for a
    /// relayed client (kame6): `remote-id`, `subscriber-id`,
    /// `hardware-address`.
    pub relay_ids: Vec<RelayId>,
    /// Pools and options for this host (address-pool is WIDE's; the rest kame6).
    pub scope: Scope,
}

/// An identifier a relay agent adds for the client (kame6 host matching),
/// kept as the option data it must equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RelayId {
    /// Remote-ID (RFC 4649): enterprise number (4 octets) then the remote-id.
    RemoteId(Vec<u8>),
    /// Subscriber-ID (RFC 4580).
    SubscriberId(Vec<u8>),
    /// Client Link-Layer Address (RFC 6939): link-layer type (2 octets,
    /// 1 = Ethernet) then the address.
    LinkLayer(Vec<u8>),
}

impl RelayId {
    /// The relay option carrying this kind of identifier.
    pub fn code(&self) -> crate::codes::OptionCode {
        use crate::codes::OptionCode;
        match self {
            Self::RemoteId(_) => OptionCode::RemoteId,
            Self::SubscriberId(_) => OptionCode::SubscriberId,
            Self::LinkLayer(_) => OptionCode::ClientLinklayerAddr,
        }
    }

    /// The option data a relay sends for this identifier.
    pub fn data(&self) -> &[u8] {
        match self {
            Self::RemoteId(d) | Self::SubscriberId(d) | Self::LinkLayer(d) => d,
        }
    }
}

/// `pool NAME { range A to B; }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    /// Name.
    pub name: String,
    /// First address.
    pub start: Ipv6Addr,
    /// Last address (inclusive).
    pub end: Ipv6Addr,
}

/// `prefix-pool NAME { prefix P/L delegate D; }` (kame6): P/L carved into
/// /D prefixes for IA_PD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixPool {
    /// Name.
    pub name: String,
    /// The carved prefix (host bits clear).
    pub prefix: Ipv6Addr,
    /// Its length.
    pub prefix_len: u8,
    /// Length of each delegated prefix.
    pub delegated_len: u8,
}

/// When a key expires (`expire "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expire {
    /// `"forever"` or no `expire`.
    Forever,
    /// A local time; missing year/month/day mean "today's" (WIDE).
    At {
        /// Year, if written.
        year: Option<u16>,
        /// Month and day, if written.
        month_day: Option<(u8, u8)>,
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
    pub fn resolve(&self, loaded: super::UnixTime) -> Option<super::UnixTime> {
        let Expire::At {
            year,
            month_day,
            hour,
            minute,
        } = *self
        else {
            return None;
        };
        let (y, m, d) = super::check::civil_date(loaded);
        let (m, d) = month_day.unwrap_or((m, d));
        Some(super::check::unix_time(
            year.unwrap_or(y),
            m,
            d,
            hour,
            minute,
        ))
    }
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
    /// Reconfigure key (server; parsed, unused, as in WIDE).
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

/// The whole of dhcp6s.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerConfig {
    /// Global options.
    pub options: InfoOptions,
    /// Interface blocks.
    pub interfaces: Vec<ServerInterface>,
    /// Relay links (kame6).
    pub links: Vec<Link>,
    /// Hosts, first definition of a name kept.
    pub hosts: Vec<Host>,
    /// Address pools.
    pub pools: Vec<Pool>,
    /// Prefix pools (kame6).
    pub prefix_pools: Vec<PrefixPool>,
    /// Keys.
    pub keys: Vec<KeyInfo>,
    /// Authentication blocks.
    pub auths: Vec<AuthInfo>,
    /// Lease database path (kame6).
    pub lease_file: Option<String>,
    /// DHCPv4-over-DHCPv6 IPC port to the DHCPv4 server (kame6, as Kea's
    /// `dhcp4o6-port`).
    pub dhcp4o6_port: Option<u16>,
}

impl ServerConfig {
    /// The block for interface `name`, if any.
    pub fn interface(&self, name: &str) -> Option<&ServerInterface> {
        self.interfaces.iter().find(|i| i.name == name)
    }
}

/// One item of a client's `request` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestItem {
    /// An information option.
    Info(InfoKind),
    /// `refreshtime`.
    RefreshTime,
    /// `raw-option CODE` (\[opnsense\]).
    Raw(u16),
}

/// `interface IF { ... }` or `profile NAME { ... }` in dhcp6c.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInterface {
    /// Interface (or profile) name.
    pub name: String,
    /// IAIDs of IA_PDs to request.
    pub send_ia_pd: Vec<u32>,
    /// IAIDs of IA_NAs to request.
    pub send_ia_na: Vec<u32>,
    /// IAIDs of IA_TAs to request (kame6).
    pub send_ia_ta: Vec<u32>,
    /// `send rapid-commit`.
    pub rapid_commit: bool,
    /// `send reconfigure-accept` (kame6): offer to accept Reconfigure
    /// (RFC 8415 §18.2.11, §21.20).
    pub reconfigure_accept: bool,
    /// `send authentication NAME`.
    pub authentication: Option<String>,
    /// `send raw-option CODE HEX` (\[opnsense\]).
    pub send_raw: Vec<(u16, Vec<u8>)>,
    /// Option Request option contents, in order, no duplicates.
    pub request: Vec<RequestItem>,
    /// `information-only`.
    pub information_only: bool,
    /// `script "PATH"`.
    pub script: Option<String>,
    /// `allow rapid-commit` (accepted, no effect in a client, as in WIDE).
    pub allow_rapid_commit: bool,
    /// `allow partial-advertise` (kame6, RFC 7550 §4.2): accept an
    /// Advertise that offers only some of the requested IAs.
    pub partial_advertise: bool,
    /// `allow renew-missing-ia` (kame6, RFC 7550 §4.3): ask for IAs missing
    /// from the binding again in Renew and Rebind.
    pub renew_missing_ia: bool,
}

/// How the interface identifier of a prefix-interface is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ifid {
    /// Modified EUI-64 of the interface (WIDE's default).
    Eui64,
    /// `ifid N` (\[debian\]): the low 64 bits.
    Value(u64),
    /// `ifid-random` / `ifid random`: drawn when the daemon starts.
    Random,
}

/// `prefix-interface IF { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixInterface {
    /// Interface name.
    pub name: String,
    /// `sla-id` (\[debian\]: default is the block's position).
    pub sla_id: Option<u32>,
    /// `sla-len` (\[debian\]: default shrinks to fit).
    pub sla_len: Option<u8>,
    /// Interface identifier.
    pub ifid: Ifid,
}

/// `id-assoc pd N { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IaPdConf {
    /// IAID.
    pub iaid: u32,
    /// Prefix hints.
    pub prefixes: Vec<Lease>,
    /// LAN interfaces numbered from the delegated prefix.
    pub prefix_interfaces: Vec<PrefixInterface>,
}

/// `id-assoc na N { ... }` or (kame6) `id-assoc ta N { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IaNaConf {
    /// IAID.
    pub iaid: u32,
    /// Address hints.
    pub addresses: Vec<Lease>,
}

/// The whole of dhcp6c.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientConfig {
    /// Interface blocks.
    pub interfaces: Vec<ClientInterface>,
    /// \[debian\] profiles.
    pub profiles: Vec<ClientInterface>,
    /// IA_PD declarations.
    pub ia_pds: Vec<IaPdConf>,
    /// IA_NA declarations.
    pub ia_nas: Vec<IaNaConf>,
    /// IA_TA declarations (kame6).
    pub ia_tas: Vec<IaNaConf>,
    /// Authentication blocks.
    pub auths: Vec<AuthInfo>,
    /// Keys.
    pub keys: Vec<KeyInfo>,
}

impl ClientConfig {
    /// The block for interface `name`, if any.
    pub fn interface(&self, name: &str) -> Option<&ClientInterface> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    /// The \[debian\] `profile` block called `name`, if any.
    pub fn profile(&self, name: &str) -> Option<&ClientInterface> {
        self.profiles.iter().find(|i| i.name == name)
    }

    /// The declarations each of dhcp6c's command-line `interfaces` runs
    /// with, in the same order: its `interface` block or, for an interface
    /// without one, the `profile` named by `dhcp6c -P` (\[debian\],
    /// doc/wide-compat.md §1.3). An interface block always wins over the profile.
    ///
    /// Debian's dhcp6c moves a profile's IAs and script to the first
    /// interface it configures with it (the last one on the command line),
    /// leaving the others without, and runs an interface that has neither
    /// block nor profile unconfigured, sending Solicits for nothing. Here
    /// every interface gets the whole profile; a profile that sends IAs
    /// may serve one interface only, since an IAID names one IA of the
    /// client (RFC 8415 §12) and one prefix-interface cannot be numbered
    /// from two links' prefixes; and an interface with no configuration is
    /// an error.
    pub fn select(
        &self,
        interfaces: &[String],
        profile: Option<&str>,
    ) -> Result<Vec<&ClientInterface>, SelectError> {
        let mut out = Vec::with_capacity(interfaces.len());
        // The interface that took a profile with IAs, if one did.
        let mut ia_owner: Option<&str> = None;
        for name in interfaces {
            if let Some(block) = self.interface(name) {
                out.push(block);
                continue;
            }
            let Some(profile) = profile else {
                return Err(SelectError::NotConfigured(name.clone()));
            };
            let Some(p) = self.profile(profile) else {
                return Err(SelectError::NoProfile {
                    interface: name.clone(),
                    profile: profile.to_string(),
                });
            };
            if !(p.send_ia_na.is_empty() && p.send_ia_pd.is_empty() && p.send_ia_ta.is_empty()) {
                if let Some(first) = ia_owner {
                    return Err(SelectError::SharedIa {
                        profile: profile.to_string(),
                        first: first.to_string(),
                        second: name.clone(),
                    });
                }
                ia_owner = Some(name);
            }
            out.push(p);
        }
        Ok(out)
    }
}

/// Why one of dhcp6c's command-line interfaces has no configuration
/// ([`ClientConfig::select`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// No `interface` block for it and no `-P` profile.
    #[error("interface {0} is not configured (no interface block, and no -P profile)")]
    NotConfigured(String),
    /// It has no `interface` block and the `-P` profile is not defined.
    #[error(
        "interface {interface} is not configured (no interface block, and no profile {profile})"
    )]
    NoProfile {
        /// The interface.
        interface: String,
        /// The profile named by `-P`.
        profile: String,
    },
    /// A profile that sends IAs would serve two interfaces.
    #[error("profile {profile} sends IAs and cannot serve both {first} and {second}: an IA can belong to one interface only")]
    SharedIa {
        /// The profile named by `-P`.
        profile: String,
        /// The interface that has it already.
        first: String,
        /// The next interface without a block.
        second: String,
    },
}
