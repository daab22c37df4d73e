//! The syntax tree of a KAME configuration file, before any meaning is
//! checked.
//!
//! It follows WIDE's grammar (`cfparse.y`): `interface`, `profile`, `host`,
//! `pool` and (ours) `link` blocks share one declaration list, and which
//! declaration belongs where is decided afterwards by `configure_*`, so a
//! `request` in a server file is a semantic error with WIDE's wording, not a
//! syntax error. Every node keeps its position for messages.

use std::net::Ipv6Addr;

use crate::codes::IaKind;
use crate::config::{InfoKind, Pos};

/// A value with the position where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it starts.
    pub pos: Pos,
}

/// A lifetime as written: seconds or `infinity` (= 0xffffffff).
pub type Duration = u32;

/// `addr pltime [vltime]` (doc/wide-compat.md §2.2 `addrparam`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrParam {
    /// The address.
    pub addr: Ipv6Addr,
    /// Preferred lifetime.
    pub pltime: Duration,
    /// Valid lifetime, if written.
    pub vltime: Option<Duration>,
}

/// `addr/len pltime [vltime]` (doc/wide-compat.md §2.2 `prefixparam`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixParam {
    /// The prefix as written (host bits not yet cleared).
    pub addr: Ipv6Addr,
    /// Prefix length as written.
    pub len: u64,
    /// Preferred lifetime.
    pub pltime: Duration,
    /// Valid lifetime, if written.
    pub vltime: Option<Duration>,
}

/// `NAME pltime [vltime]` after `address-pool`, `prefix-pool` or `ta-pool`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolParam {
    /// The pool's name.
    pub name: String,
    /// Preferred lifetime.
    pub pltime: Duration,
    /// Valid lifetime, if written.
    pub vltime: Option<Duration>,
}

/// `prefix P/L delegate D` inside a `prefix-pool` block (kame6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegateParam {
    /// The prefix as written (host bits not yet cleared).
    pub prefix: Ipv6Addr,
    /// Its length as written.
    pub len: u64,
    /// The length of each prefix delegated from it, as written.
    pub delegated_len: u64,
}

/// One item of a `send` or `request` list (doc/wide-compat.md §2.2 `dhcpoption`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DhcpOpt {
    /// `rapid-commit`
    RapidCommit,
    /// `authentication NAME`
    Authentication(String),
    /// `ia-pd IAID`
    IaPd(u32),
    /// `ia-na IAID`
    IaNa(u32),
    /// `ia-ta IAID` (kame6 extension).
    IaTa(u32),
    /// An information option keyword (table 2.5).
    Info(InfoKind),
    /// `refreshtime`
    RefreshTime,
    /// `raw-option CODE HEX` (\[opnsense\]).
    Raw {
        /// The option code.
        code: u16,
        /// The option data.
        data: Vec<u8>,
    },
    /// `reconfigure-accept` (kame6 extension, client `send` only): ask the
    /// server for Reconfigure (RFC 8415 §21.20).
    ReconfigureAccept,
}

/// A global or scoped `option` statement (doc/wide-compat.md §2.3 `option_stmt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionStmt {
    /// An address option and its (possibly empty) list.
    Addresses {
        /// Which option.
        kind: InfoKind,
        /// The addresses as written.
        addrs: Vec<Spanned<Ipv6Addr>>,
    },
    /// A name option and its one quoted name.
    Name {
        /// Which option.
        kind: InfoKind,
        /// The name.
        name: String,
    },
    /// `option refreshtime N`.
    RefreshTime(u64),
}

/// What `allow` allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allow {
    /// `allow rapid-commit` (WIDE).
    RapidCommit,
    /// `allow partial-advertise` (kame6, client, RFC 7550 §4.2).
    PartialAdvertise,
    /// `allow renew-missing-ia` (kame6, client, RFC 7550 §4.3).
    RenewMissingIa,
    /// Any other `dhcpoption` after `allow`: WIDE's grammar takes one
    /// (`ALLOW dhcpoption EOS`) and its `add_options` then skips the
    /// information options and IAs ("invalid operation") and refuses
    /// `authentication`; the daemon's configure code decides.
    Other(DhcpOpt),
}

impl DhcpOpt {
    /// The item as written in a `send`/`request`/`allow` list, for
    /// messages (a `raw-option`'s data left out).
    pub fn describe(&self) -> String {
        match self {
            Self::RapidCommit => "rapid-commit".into(),
            Self::Authentication(name) => format!("authentication {name}"),
            Self::IaPd(n) => format!("ia-pd {n}"),
            Self::IaNa(n) => format!("ia-na {n}"),
            Self::IaTa(n) => format!("ia-ta {n}"),
            Self::Info(kind) => kind.keyword().into(),
            Self::RefreshTime => "refreshtime".into(),
            Self::Raw { code, .. } => format!("raw-option {code}"),
            Self::ReconfigureAccept => "reconfigure-accept".into(),
        }
    }
}

/// A statement of the shared declaration list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclKind {
    /// `send LIST`
    Send(Vec<Spanned<DhcpOpt>>),
    /// `request LIST`
    Request(Vec<Spanned<DhcpOpt>>),
    /// `information-only`
    InformationOnly,
    /// `allow WHAT`
    Allow(Allow),
    /// `duid HEX`, the raw octets.
    Duid(Vec<u8>),
    /// `address addrparam`
    Address(AddrParam),
    /// `prefix prefixparam`
    Prefix(PrefixParam),
    /// `preference N`
    Preference(u64),
    /// `script "PATH"`
    Script(String),
    /// `delayedkey NAME`
    DelayedKey(String),
    /// `dhcp4o6-interface IFNAME` (kame6, dhcp6c): where the IPv4 address
    /// leased over DHCPv4-over-DHCPv6 is installed.
    Dhcp4o6Interface(String),
    /// `range A to B`
    Range {
        /// The first address of the range.
        first: Ipv6Addr,
        /// The last address, included.
        last: Ipv6Addr,
    },
    /// `address-pool NAME pltime [vltime]`
    AddressPool(PoolParam),
    /// `prefix-pool NAME pltime [vltime]` (kame6, a reference to a
    /// top-level `prefix-pool` block).
    PrefixPool(PoolParam),
    /// `ta-pool NAME pltime [vltime]` (kame6, IA_TA from an address pool).
    TaPool(PoolParam),
    /// `option ...` inside a block (kame6: per-interface, per-link and
    /// per-host options).
    Option(OptionStmt),
    /// `link-address PREFIX/LEN` (kame6, `link` blocks).
    LinkAddress {
        /// The prefix as written.
        addr: Ipv6Addr,
        /// Its length as written.
        len: u64,
    },
    /// `interface-id "TEXT"` or `interface-id HEX` (kame6, `link` blocks).
    InterfaceId(Vec<u8>),
    /// `remote-id ENTERPRISE "TEXT"|HEX` (kame6, `host` blocks: RFC 4649).
    RemoteId {
        /// The enterprise number as written.
        enterprise: u64,
        /// The id.
        id: Vec<u8>,
    },
    /// `subscriber-id "TEXT"|HEX` (kame6, `host` blocks: RFC 4580).
    SubscriberId(Vec<u8>),
    /// `hardware-address HEX` (kame6, `host` blocks: the Ethernet address
    /// of RFC 6939's Client Link-Layer Address option).
    HardwareAddress(Vec<u8>),
}

impl DeclKind {
    /// The keyword that starts the declaration, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::Send(_) => "send",
            Self::Request(_) => "request",
            Self::InformationOnly => "information-only",
            Self::Allow(_) => "allow",
            Self::Duid(_) => "duid",
            Self::Address(_) => "address",
            Self::Prefix(_) => "prefix",
            Self::Preference(_) => "preference",
            Self::Script(_) => "script",
            Self::DelayedKey(_) => "delayedkey",
            Self::Dhcp4o6Interface(_) => "dhcp4o6-interface",
            Self::Range { .. } => "range",
            Self::AddressPool(..) => "address-pool",
            Self::PrefixPool(..) => "prefix-pool",
            Self::TaPool(..) => "ta-pool",
            Self::Option(_) => "option",
            Self::LinkAddress { .. } => "link-address",
            Self::InterfaceId(_) => "interface-id",
            Self::RemoteId { .. } => "remote-id",
            Self::SubscriberId(_) => "subscriber-id",
            Self::HardwareAddress(_) => "hardware-address",
        }
    }
}

/// One declaration and where it starts.
pub type Decl = Spanned<DeclKind>;

/// A named block of declarations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The block's name.
    pub name: Spanned<String>,
    /// Its declarations in file order.
    pub decls: Vec<Decl>,
}

/// How the interface identifier of a prefix-interface is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfidSpec {
    /// `ifid N;` (\[debian\], \[opnsense\]).
    Value(u64),
    /// `ifid-random;` (\[debian\]) or `ifid random;` (\[opnsense\]).
    Random,
    /// `ifid eui-64;` (\[opnsense\]).
    Eui64,
}

/// A statement inside `prefix-interface IF { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PifDecl {
    /// `sla-id N`
    SlaId(u64),
    /// `sla-len N`
    SlaLen(u64),
    /// `ifid ...` / `ifid-random`
    Ifid(IfidSpec),
}

/// A statement inside `id-assoc ... { }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IaDeclKind {
    /// `prefix prefixparam`
    Prefix(PrefixParam),
    /// `address addrparam`
    Address(AddrParam),
    /// `prefix-interface IF { ... }`
    PrefixInterface {
        /// The LAN interface.
        ifname: Spanned<String>,
        /// Its statements.
        decls: Vec<Spanned<PifDecl>>,
    },
}

/// `keyinfo` statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyParam {
    /// `realm "R"`
    Realm(String),
    /// `keyid N`
    KeyId(u64),
    /// `secret "BASE64"`
    Secret(String),
    /// `expire "WHEN"`
    Expire(String),
}

/// `authentication` statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthParam {
    /// `protocol delayed|reconfig`; the word as written.
    Protocol(String),
    /// `algorithm hmac-md5|...`
    Algorithm,
    /// `rdm monocounter`
    Rdm,
    /// `key WORD` (accepted, not supported).
    Key,
}

/// A top-level statement. `include` is expanded by the parser and never
/// appears here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    /// `option ...;`
    Option(OptionStmt),
    /// `interface IF { ... };`
    Interface(Block),
    /// `profile NAME { ... };` (\[debian\])
    Profile(Block),
    /// `host NAME { ... };`
    Host(Block),
    /// `pool NAME { ... };`
    Pool(Block),
    /// `link NAME { ... };` (kame6: per-link configuration for relayed clients)
    Link(Block),
    /// `prefix-pool NAME { prefix P/L delegate N; };` (kame6)
    PrefixPool {
        /// The pool's name.
        name: Spanned<String>,
        /// Its prefixes.
        params: Vec<Spanned<DelegateParam>>,
    },
    /// `keyinfo NAME { ... };`
    Keyinfo {
        /// The key's name.
        name: Spanned<String>,
        /// Its statements.
        params: Vec<Spanned<KeyParam>>,
    },
    /// `authentication NAME { ... };`
    Authentication {
        /// The block's name.
        name: Spanned<String>,
        /// Its statements.
        params: Vec<Spanned<AuthParam>>,
    },
    /// `id-assoc pd|na|ta [IAID] { ... };` (`ta` is a kame6 extension).
    IdAssoc {
        /// IA type.
        kind: IaKind,
        /// The IAID (0 when not written).
        iaid: u32,
        /// Its statements.
        decls: Vec<Spanned<IaDeclKind>>,
    },
    /// `lease-file "PATH";` (kame6)
    LeaseFile(String),
    /// `dhcp4o6-port N;` (kame6)
    Dhcp4o6Port(u64),
}

/// A parsed file (includes expanded in place).
pub type File = Vec<Spanned<Stmt>>;
