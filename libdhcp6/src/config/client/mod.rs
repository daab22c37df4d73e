//! The client's configuration: what dhcp6c.conf means (doc/wide-compat.md §2.4),
//! WIDE's `dhcp6_if` and `ia_conf` lists with the \[debian\] profiles,
//! \[opnsense\] raw options and kame6's IA_TA and RFC 7550 choices.
//! [`configure_client`] builds it from the syntax tree; `Display` writes it
//! back.

use super::grammar::{Loader, MemLoader};
use super::{AuthInfo, Error, FixedLease, InfoKind, KeyInfo, Staged, UnixTime};

mod configure;
mod print;

pub use configure::configure_client;

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
    /// `send raw-option CODE HEX` (\[opnsense\]): checked and written
    /// back by `-t -D`; dhcp6c does not send these options.
    pub send_raw: Vec<RawOption>,
    /// Option Request option contents, in order, no duplicates.
    pub request: Vec<RequestItem>,
    /// `information-only`.
    pub information_only: bool,
    /// `dhcp4o6-interface IFNAME` (kame6): the interface the IPv4 address
    /// leased over DHCPv4-over-DHCPv6 is installed on; without it the
    /// lease goes to the script only.
    pub dhcp4o6_interface: Option<String>,
    /// `script "PATH"`.
    pub script: Option<String>,
    /// `allow rapid-commit` (accepted, no effect in a client, as in WIDE).
    pub allow_rapid_commit: bool,
    /// `allow partial-advertise` (kame6, RFC 7550 §4.2): accepted and
    /// changes nothing, since dhcp6c always accepts an Advertise that
    /// offers only some of the requested IAs (doc/config.md).
    pub partial_advertise: bool,
    /// `allow renew-missing-ia` (kame6, RFC 7550 §4.3): ask for IAs missing
    /// from the binding again in Renew and Rebind.
    pub renew_missing_ia: bool,
}

impl ClientInterface {
    /// True when `request dhcp4o6-server-address` turns DHCPv4-over-DHCPv6
    /// on (RFC 7341 §5: asking for option 88 is wanting it).
    pub fn dhcp4o6(&self) -> bool {
        self.request
            .contains(&RequestItem::Info(InfoKind::Dhcp4o6ServerAddress))
    }
}

/// An option written with its bytes (`send raw-option CODE HEX`, \[opnsense\]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOption {
    /// Option code.
    pub code: u16,
    /// Option data, possibly empty.
    pub data: Vec<u8>,
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
    pub prefixes: Vec<FixedLease>,
    /// LAN interfaces numbered from the delegated prefix.
    pub prefix_interfaces: Vec<PrefixInterface>,
}

/// `id-assoc na N { ... }` or (kame6) `id-assoc ta N { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IaNaConf {
    /// IAID.
    pub iaid: u32,
    /// Address hints.
    pub addresses: Vec<FixedLease>,
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

/// Parses and checks a client file read through `loader`.
pub fn load_client(
    path: &str,
    loader: &mut dyn Loader,
    now: UnixTime,
) -> Result<Staged<ClientConfig>, Error> {
    super::load(path, loader, now, configure_client)
}

/// Parses and checks client configuration text (includes are looked up in
/// an empty loader, i.e. reported missing).
pub fn client_from_str(file: &str, text: &str) -> Result<Staged<ClientConfig>, Error> {
    load_client(file, &mut MemLoader::new().with(file, text), 0)
}

#[cfg(test)]
mod tests;
