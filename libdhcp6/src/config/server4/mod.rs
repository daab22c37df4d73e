//! What dhcp4s.conf means: the DHCPv4 side of DHCPv4-over-DHCPv6 (RFC
//! 7341), in the KAME grammar's look (doc/config.md "dhcp4s.conf").
//!
//! The file is read with the same scanner and token helpers as dhcp6s.conf
//! ([`crate::config::grammar`]) and gives a [`Server4Config`]: the IPC port
//! (Kea's `dhcp4o6-port`), the journal, the engine's
//! [`Config4`](crate::dhcp4::engine::Config4) (subnets, ranges, options,
//! lease times, reservations) and, per subnet, how a query reaching the
//! DHCPv6 side chooses it ([`Select4o6`], Kea's three 4o6 selectors).
//! Errors are `file:line:col: what is wrong`, as for the other files.
//!
//! Pure: the file comes through a [`Loader`].

mod parse;
mod print;
#[cfg(test)]
mod tests;

use std::net::Ipv6Addr;
use std::sync::Arc;

use crate::config::{Error, ErrorKind, LoadError, Loader, Pos, Staged};
use crate::dhcp4::engine::Config4;
use crate::Prefix6;

/// How a subnet is chosen for a query the DHCPv6 side passed on (Kea's
/// `4o6-interface-id`, `4o6-subnet` and `4o6-interface`). A subnet with
/// none of them is never chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Select4o6 {
    /// The subnet's [`Subnet4::id`](crate::dhcp4::engine::Subnet4::id).
    pub subnet: u32,
    /// The Interface-ID option (RFC 8415 §21.18) of the relay nearest the
    /// client equals this.
    pub interface_id: Option<Vec<u8>>,
    /// The relay's link-address (a relayed query: the innermost one not
    /// `::`, RFC 8415 §13.1) or the address the DHCPv6 side received the
    /// query from (the client's, or the relay's: Kea's rule) lies inside
    /// this prefix (C-167).
    pub prefix: Option<Prefix6>,
    /// The DHCPv6 side received the query on this interface.
    pub interface: Option<String>,
}

/// What the DHCPv4 side knows of where a query came from: the IPC metadata
/// and the relay levels around the DHCPV4-QUERY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Where4o6<'a> {
    /// The interface the DHCPv6 side received the query on.
    pub interface: &'a str,
    /// The address it came from (the client's, or the relay's).
    pub remote: Ipv6Addr,
    /// The link-address of a relayed query: the innermost one not `::`.
    pub relay_link: Option<Ipv6Addr>,
    /// The Interface-ID of the relay nearest the client, when it sent one.
    pub interface_id: Option<&'a [u8]>,
}

/// dhcp4s's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server4Config {
    /// Kea's `dhcp4o6-port P`: dhcp4s binds `[::1]:P+1` and answers to
    /// `[::1]:P`.
    pub dhcp4o6_port: u16,
    /// `lease-file "PATH"`: the lease journal, instead of the default.
    pub lease_file: Option<String>,
    /// `lease-database postgresql "CONNINFO"`: leases in Kea's `lease4`
    /// table instead of the journal (doc/postgresql.md).
    pub lease_database: Option<String>,
    /// What the engine serves.
    pub engine: Config4,
    /// How each subnet is chosen, in the order of `engine.subnets`.
    pub select: Vec<Select4o6>,
}

impl Server4Config {
    /// The subnet for a query from `w` (C-167), as Kea's
    /// `CfgSubnets4::selectSubnet4o6` chooses it: the first subnet, in file
    /// order, whose `4o6-subnet` holds the query's source address (Kea) or
    /// its relay's link-address (RFC 7341 §11's relayed case), or whose
    /// `4o6-interface-id` is the relay's Interface-ID, or whose
    /// `4o6-interface` is the receiving interface.
    pub fn select_subnet4o6(&self, w: &Where4o6<'_>) -> Option<u32> {
        self.select
            .iter()
            .find(|s| {
                let by_id = matches!((&s.interface_id, w.interface_id), (Some(a), Some(b)) if a.as_slice() == b);
                let by_prefix = s.prefix.is_some_and(|p| {
                    p.contains(&w.remote) || w.relay_link.is_some_and(|l| p.contains(&l))
                });
                let by_iface = s.interface.as_deref() == Some(w.interface);
                by_id || by_prefix || by_iface
            })
            .map(|s| s.subnet)
    }
}

/// Parses and checks dhcp4s.conf at `path`, read through `loader`.
pub fn load_server4(path: &str, loader: &mut dyn Loader) -> Result<Staged<Server4Config>, Error> {
    let file_pos = Pos {
        file: Arc::from(path),
        line: 0,
        col: 0,
    };
    let text = match loader.load(path) {
        Ok(t) => t,
        Err(LoadError::NotFound) => {
            return Err(Error::new(file_pos, ErrorKind::NotFound(path.into())))
        }
        Err(LoadError::Other(error)) => {
            return Err(Error::new(
                file_pos,
                ErrorKind::Io {
                    path: path.into(),
                    error,
                },
            ))
        }
    };
    server4_from_str(path, &text)
}

/// Parses and checks `text` as dhcp4s.conf named `file`.
pub fn server4_from_str(file: &str, text: &str) -> Result<Staged<Server4Config>, Error> {
    parse::configure_server4(&Arc::from(file), text)
}
