//! What the client machine of one interface is told by dhcp6c.conf and the
//! command line: its IAs, options and keys. Built by `main.rs` from the
//! parsed configuration; read-only to the machine.

use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use libdhcp6::auth::DelayedClaim;
use libdhcp6::codes::OptionCode;
use libdhcp6::IaKind;

/// A LAN numbered from a delegated prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixIf {
    /// Interface name.
    pub ifname: String,
    /// SLA id (already defaulted to the block's position when absent).
    pub sla_id: u32,
    /// Configured sla-len, if any.
    pub sla_len: Option<u8>,
    /// Interface identifier (EUI-64, configured or random, resolved by the shell).
    pub ifid: u64,
}

/// An address or prefix the client asks for in Solicit (`address` /
/// `prefix` in an `id-assoc` block).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IaHint {
    /// The address or prefix.
    pub addr: Ipv6Addr,
    /// 128 for an address, the prefix length for a prefix.
    pub plen: u8,
    /// Preferred lifetime asked for.
    pub preferred: u32,
    /// Valid lifetime asked for.
    pub valid: u32,
}

/// One configured IA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IaConf {
    /// IA_NA, IA_TA or IA_PD. An IA_TA's temporary addresses (kame6's
    /// `id-assoc ta`) are requested with the others, never renewed
    /// (RFC 8415 §6.5), released on exit.
    pub kind: IaKind,
    /// IAID.
    pub iaid: u32,
    /// Hints sent in Solicit.
    pub hints: Vec<IaHint>,
    /// For IA_PD: the LANs numbered from its prefixes.
    pub prefix_ifs: Vec<PrefixIf>,
}

/// What the machine needs to know about its interface.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IfConfig {
    /// The DHCP interface.
    pub ifname: String,
    /// Configured IAs, in configuration order.
    pub ias: Vec<IaConf>,
    /// `send rapid-commit`.
    pub rapid_commit: bool,
    /// The `request` list as option codes, in order.
    pub oro: Vec<OptionCode>,
    /// `information-only` (or `-i`).
    pub information_only: bool,
    /// `allow renew-missing-ia`: ask again in Renew/Rebind for IAs the
    /// binding lacks (RFC 7550 §4.3).
    pub renew_missing_ia: bool,
    /// Install an unreachable route for each delegated prefix.
    pub unreachable_route: bool,
    /// `send reconfigure-accept` (kame6): put Reconfigure Accept in
    /// Solicit, Request, Renew, Rebind and Information-request, keep the
    /// server's reconfigure key, and act on Reconfigures it signed.
    pub reconfigure_accept: bool,
    /// `send authentication NAME` (`protocol delayed`): the keys the server
    /// may choose, every `keyinfo` in file order. `None`: the interface uses
    /// no authentication and ignores Authentication options (C-178).
    pub delayed_auth: Option<Vec<DelayedKey>>,
    /// `request dhcp4o6-server-address` (RFC 7341): the DHCPv4 client
    /// carried over DHCPv6; `None`: 4o6 off.
    pub dhcp4o6: Option<crate::dhcp4o6::Conf4o6>,
    /// Where the machine's wall clock (key expiry, replay detection values)
    /// starts; `None`: Unix time 0 when the machine starts.
    pub wall_clock: Option<WallClock>,
}

/// One reading of the wall clock tied to the monotonic clock: the machine
/// derives Unix time from it and `now`, so its wall clock never steps
/// backwards, and a machine made again from the same configuration (a
/// control-channel restart) keeps the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallClock {
    /// A monotonic instant.
    pub at: Instant,
    /// The Unix time at `at`.
    pub unix: Duration,
}

impl WallClock {
    /// Unix time at `now`.
    pub fn unix_at(&self, now: Instant) -> Duration {
        match now.checked_duration_since(self.at) {
            Some(d) => self.unix + d,
            None => self
                .unix
                .saturating_sub(self.at.saturating_duration_since(now)),
        }
    }
}

/// A delayed-authentication key (`keyinfo`, doc/wide-compat.md §2.4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayedKey {
    /// The keyinfo's name, for logs.
    pub name: String,
    /// DHCP realm, raw octets.
    pub realm: Vec<u8>,
    /// Key ID.
    pub key_id: u32,
    /// The shared secret.
    pub secret: Vec<u8>,
    /// Unix time from which the key may no longer be used; `None`: never.
    pub expires: Option<u64>,
}

impl DelayedKey {
    /// True once the key may no longer be used, at Unix time `unix`.
    pub fn expired(&self, unix: Duration) -> bool {
        self.expires.is_some_and(|e| unix.as_secs() >= e)
    }

    /// True if a message's authentication information names this key.
    pub fn matches(&self, claim: &DelayedClaim) -> bool {
        self.realm == claim.realm && self.key_id == claim.key_id
    }
}
