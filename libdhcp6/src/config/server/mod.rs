//! The server's configuration: what dhcp6s.conf means (doc/wide-compat.md §2.3),
//! WIDE's `dhcp6_if`, `host_conf` and `pool_conf` lists plus kame6's links,
//! prefix pools and IA_TA pools. [`configure_server`] builds it from the
//! syntax tree; `Display` writes it back.

use std::net::Ipv6Addr;

use super::grammar::{Loader, MemLoader};
use super::{AuthInfo, Error, FixedLease, InfoOptions, KeyInfo, Lifetimes, Staged, UnixTime};
use crate::duid::Duid;
use crate::Prefix6;

pub(crate) mod configure;
mod print;

pub use configure::configure_server;

/// A reference to a pool with the lifetimes given out from it
/// (`address-pool NAME pltime [vltime]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRef {
    /// The pool's name.
    pub name: String,
    /// The lifetimes of what is leased from it.
    pub lifetimes: Lifetimes,
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
    pub link_addresses: Vec<Prefix6>,
    /// Interface-ID option values (any of them).
    pub interface_ids: Vec<Vec<u8>>,
    /// Its settings.
    pub scope: Scope,
}

/// `host NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Name, for logs.
    pub name: String,
    /// The client's DUID; a host without one matches only through its
    /// `relay_ids`.
    pub duid: Option<Duid>,
    /// Delegated prefixes.
    pub prefixes: Vec<FixedLease>,
    /// Fixed addresses.
    pub addresses: Vec<FixedLease>,
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
    /// `subnet-id N;` (kame6): the Kea subnet of its leases in a
    /// `lease-database`.
    pub subnet_id: Option<u32>,
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
    /// `subnet-id N;` (kame6): the Kea subnet of its leases in a
    /// `lease-database`.
    pub subnet_id: Option<u32>,
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
    /// `lease-database postgresql "CONNINFO";` (kame6): leases in a
    /// PostgreSQL database in Kea's schema, this connection string.
    pub lease_database: Option<String>,
    /// DHCPv4-over-DHCPv6 IPC port to the DHCPv4 server (kame6, as Kea's
    /// `dhcp4o6-port`): dhcp6s binds `[::1]:P` and forwards DHCPV4-QUERY to
    /// `[::1]:P+1`.
    pub dhcp4o6_port: Option<u16>,
}

impl ServerConfig {
    /// The block for interface `name`, if any.
    pub fn interface(&self, name: &str) -> Option<&ServerInterface> {
        self.interfaces.iter().find(|i| i.name == name)
    }
}

/// Parses and checks a server file read through `loader`.
pub fn load_server(
    path: &str,
    loader: &mut dyn Loader,
    now: UnixTime,
) -> Result<Staged<ServerConfig>, Error> {
    super::load(path, loader, now, configure_server)
}

/// Parses and checks server configuration text (includes are looked up in
/// an empty loader, i.e. reported missing).
pub fn server_from_str(file: &str, text: &str) -> Result<Staged<ServerConfig>, Error> {
    load_server(file, &mut MemLoader::new().with(file, text), 0)
}

#[cfg(test)]
mod tests;
