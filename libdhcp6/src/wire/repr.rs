//! Typed option values ([`OptionRepr`]) decoded from [`DhcpOption`] views and
//! emitted back byte for byte.
//!
//! Every decoder splits the TLV first and then insists that the layout uses
//! the data up exactly. Containers (IA_NA, IA_TA, IA_PD, IA Address, IA
//! Prefix) decode their nested options to a bounded depth; deeper containers
//! are kept as raw bytes, so no input can make the decoder recurse deeply.

use core::net::Ipv6Addr;

use super::name::DomainName;
use super::option::{DhcpOption, Options};
use super::{Error, Reader, Result, Writer};
use crate::codes::{IaKind, MessageType, OptionCode, Status};
use crate::duid::Duid;
use crate::Prefix6;

/// Container nesting decoded into typed values; below it containers stay raw.
/// A real message needs three levels (IA_PD → IA Prefix → PD Exclude).
const MAX_OPTION_DEPTH: usize = 4;

/// One option, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionRepr {
    /// Client Identifier (RFC 8415 §21.2).
    ClientId(Duid),
    /// Server Identifier (RFC 8415 §21.3).
    ServerId(Duid),
    /// Relay Identifier (RFC 5460 §5.4.1).
    RelayId(Duid),
    /// IA_NA (RFC 8415 §21.4).
    IaNa(IaNa),
    /// IA_TA (RFC 8415 §21.5).
    IaTa(IaTa),
    /// IA_PD (RFC 8415 §21.21).
    IaPd(IaPd),
    /// IA Address (RFC 8415 §21.6).
    IaAddr(IaAddr),
    /// IA Prefix (RFC 8415 §21.22).
    IaPrefix(IaPrefix),
    /// Option Request (RFC 8415 §21.7).
    Oro(Vec<OptionCode>),
    /// Echo Request (RFC 4994).
    Ero(Vec<OptionCode>),
    /// Client System Architecture Types (RFC 5970 §3.3).
    ClientArchTypes(Vec<u16>),
    /// Preference (RFC 8415 §21.8).
    Preference(u8),
    /// Elapsed Time in hundredths of a second (RFC 8415 §21.9).
    ElapsedTime(u16),
    /// Relay Source Port: the downstream relay's source port, or 0 (RFC 8357).
    RelayPort(u16),
    /// Information Refresh Time in seconds (RFC 8415 §21.23).
    InformationRefreshTime(u32),
    /// SOL_MAX_RT in seconds (RFC 8415 §21.24).
    SolMaxRt(u32),
    /// INF_MAX_RT in seconds (RFC 8415 §21.25).
    InfMaxRt(u32),
    /// Client last transaction time (RFC 5007 §4.1.2.4).
    CltTime(u32),
    /// Rapid Commit (RFC 8415 §21.14).
    RapidCommit,
    /// Reconfigure Accept (RFC 8415 §21.20).
    ReconfAccept,
    /// Server Unicast (RFC 8415 §21.12).
    Unicast(Ipv6Addr),
    /// Link address (RFC 6977 §4).
    LinkAddress(Ipv6Addr),
    /// A list of IPv6 addresses: SIP (22), DNS (23), NIS (27), NIS+ (28),
    /// SNTP (31), BCMCS (34), PANA (40), LQ client link (48), CAPWAP (52),
    /// and the 4o6 server addresses (88, which alone may be empty).
    Addresses {
        /// Which option.
        code: OptionCode,
        /// The addresses in wire order.
        addrs: Vec<Ipv6Addr>,
    },
    /// A list of domain names: SIP (21), domain search list (24), NIS (29),
    /// NIS+ (30), BCMCS (33) and the single-name options 51, 57, 58, 64, 65.
    Domains {
        /// Which option.
        code: OptionCode,
        /// The names in wire order.
        names: Vec<DomainName>,
    },
    /// Relay Message: one whole DHCPv6 message (RFC 8415 §21.10).
    RelayMsg(Vec<u8>),
    /// Interface-ID, opaque (RFC 8415 §21.18).
    InterfaceId(Vec<u8>),
    /// Subscriber-ID, opaque, at least one octet (RFC 4580).
    SubscriberId(Vec<u8>),
    /// DHCPv4 Message: one whole DHCPv4 message (RFC 7341 §7.1).
    Dhcpv4Msg(Vec<u8>),
    /// A text option (time zones, URLs), kept as bytes.
    Text {
        /// Which option.
        code: OptionCode,
        /// The text.
        text: Vec<u8>,
    },
    /// Status Code (RFC 8415 §21.13).
    StatusCode(StatusCode),
    /// Authentication (RFC 8415 §21.11).
    Auth(Auth),
    /// User Class: opaque class data items (RFC 8415 §21.15).
    UserClass(Vec<Vec<u8>>),
    /// Bootfile Parameters (RFC 5970 §3.2).
    BootfileParam(Vec<Vec<u8>>),
    /// Vendor Class (RFC 8415 §21.16).
    VendorClass {
        /// IANA private enterprise number.
        enterprise: u32,
        /// Opaque vendor class data items.
        data: Vec<Vec<u8>>,
    },
    /// Vendor-specific Information (RFC 8415 §21.17).
    VendorOpts {
        /// IANA private enterprise number.
        enterprise: u32,
        /// Vendor sub-options in wire order.
        options: Vec<VendorOption>,
    },
    /// Remote-ID (RFC 4649).
    RemoteId {
        /// IANA private enterprise number.
        enterprise: u32,
        /// The remote id, at least one octet.
        id: Vec<u8>,
    },
    /// Reconfigure Message: Renew, Rebind or Information-request (RFC 8415 §21.19).
    ReconfMsg(MessageType),
    /// Client FQDN (RFC 4704).
    ClientFqdn(ClientFqdn),
    /// NTP server sub-options (RFC 5908).
    NtpServer(Vec<NtpSuboption>),
    /// Prefix Exclude (RFC 6603).
    PdExclude {
        /// Length of the excluded prefix, greater than the IA Prefix length.
        prefix_len: u8,
        /// The bits of the excluded prefix after the delegated prefix, left-aligned.
        subnet_id: Vec<u8>,
    },
    /// Client Link-Layer Address (RFC 6939).
    ClientLinklayerAddr {
        /// IANA hardware type.
        hw_type: u16,
        /// The link-layer address.
        addr: Vec<u8>,
    },
    /// An option this library does not decode, kept byte for byte.
    Unknown {
        /// Its code.
        code: OptionCode,
        /// Its data.
        data: Vec<u8>,
    },
}

/// IA_NA (RFC 8415 §21.4): IAID, T1, T2 and options; the addresses are IA
/// Address options among them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IaNa {
    /// Identity association identifier.
    pub iaid: u32,
    /// Seconds until the client contacts the server that assigned the addresses.
    pub t1: u32,
    /// Seconds until the client contacts any server.
    pub t2: u32,
    /// IA Address, Status Code and other options, in wire order.
    pub options: Vec<OptionRepr>,
}

/// IA_TA (RFC 8415 §21.5): IAID and options, no T1/T2 (temporary addresses
/// are never renewed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IaTa {
    /// Identity association identifier.
    pub iaid: u32,
    /// IA Address, Status Code and other options, in wire order.
    pub options: Vec<OptionRepr>,
}

/// IA_PD (RFC 8415 §21.21): IAID, T1, T2 and options, laid out as IA_NA;
/// the delegated prefixes are IA Prefix options among them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IaPd {
    /// Identity association identifier.
    pub iaid: u32,
    /// Seconds until the client contacts the server that delegated the prefixes.
    pub t1: u32,
    /// Seconds until the client contacts any server.
    pub t2: u32,
    /// IA Prefix, Status Code and other options, in wire order.
    pub options: Vec<OptionRepr>,
}

/// What IA_NA, IA_TA and IA_PD have in common, borrowed from one of them
/// ([`OptionRepr::ia`]): for code that treats the three alike, such as a
/// client applying a Reply (KAME's `update_ia`) or a script listing leases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IaView<'a> {
    /// Which IA option this is.
    pub kind: IaKind,
    /// Identity association identifier.
    pub iaid: u32,
    /// T1 in seconds; 0 for an IA_TA, which carries none (0 leaves the
    /// time to the client, RFC 8415 §21.4).
    pub t1: u32,
    /// T2 in seconds; 0 for an IA_TA.
    pub t2: u32,
    /// The IA's options, in wire order.
    pub options: &'a [OptionRepr],
}

impl<'a> IaView<'a> {
    /// The IA Address options inside.
    pub fn addresses(&self) -> impl Iterator<Item = &'a IaAddr> {
        addresses_in(self.options)
    }

    /// The IA Prefix options inside.
    pub fn prefixes(&self) -> impl Iterator<Item = &'a IaPrefix> {
        prefixes_in(self.options)
    }

    /// The IA's own Status Code; absent means Success (RFC 8415 §21.13).
    pub fn status(&self) -> Option<&'a StatusCode> {
        status_in(self.options)
    }
}

fn addresses_in(options: &[OptionRepr]) -> impl Iterator<Item = &IaAddr> {
    options.iter().filter_map(|o| match o {
        OptionRepr::IaAddr(a) => Some(a),
        _ => None,
    })
}

fn prefixes_in(options: &[OptionRepr]) -> impl Iterator<Item = &IaPrefix> {
    options.iter().filter_map(|o| match o {
        OptionRepr::IaPrefix(p) => Some(p),
        _ => None,
    })
}

fn status_in(options: &[OptionRepr]) -> Option<&StatusCode> {
    options.iter().find_map(|o| match o {
        OptionRepr::StatusCode(s) => Some(s),
        _ => None,
    })
}

/// IA Address (RFC 8415 §21.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IaAddr {
    /// The address.
    pub addr: Ipv6Addr,
    /// Preferred lifetime in seconds.
    pub preferred_lifetime: u32,
    /// Valid lifetime in seconds.
    pub valid_lifetime: u32,
    /// Status Code and other options, in wire order.
    pub options: Vec<OptionRepr>,
}

/// IA Prefix (RFC 8415 §21.22).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IaPrefix {
    /// Preferred lifetime in seconds.
    pub preferred_lifetime: u32,
    /// Valid lifetime in seconds.
    pub valid_lifetime: u32,
    /// Prefix length, 0 to 128.
    pub prefix_len: u8,
    /// The prefix.
    pub prefix: Ipv6Addr,
    /// Status Code, PD Exclude and other options, in wire order.
    pub options: Vec<OptionRepr>,
}

/// Status Code (RFC 8415 §21.13): a code and a UTF-8 message, kept as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCode {
    /// The status.
    pub status: Status,
    /// The message text as sent (UTF-8 by the RFC; not trusted to be).
    pub message: Vec<u8>,
}

impl StatusCode {
    /// A status with no text, as KAME sends them.
    pub fn new(status: Status) -> Self {
        Self {
            status,
            message: Vec::new(),
        }
    }

    /// The message, with invalid UTF-8 replaced, for logs.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.message)
    }
}

/// Authentication option (RFC 8415 §21.11, RFC 3315 §21.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// Protocol: 2 delayed authentication, 3 reconfigure key (RKAP).
    pub protocol: u8,
    /// Algorithm: 1 HMAC-MD5.
    pub algorithm: u8,
    /// Replay detection method: 0 monotonic counter.
    pub rdm: u8,
    /// Replay detection counter.
    pub replay: u64,
    /// Authentication information, decoded by protocol.
    pub info: AuthInfo,
}

/// Auth protocol numbers (RFC 8415 §21.11, RFC 3315 §21.4).
pub mod auth_protocol {
    /// Delayed authentication (RFC 3315 §21.4; obsolete in RFC 8415).
    pub const DELAYED: u8 = 2;
    /// Reconfigure Key Authentication Protocol (RFC 8415 §20.4).
    pub const RECONFIGURE_KEY: u8 = 3;
}

/// Algorithm 1, HMAC-MD5: the only one delayed authentication and RKAP
/// define (RFC 3315 §21.4.1, RFC 8415 §20.4.1).
pub const AUTH_ALGORITHM_HMAC_MD5: u8 = 1;

/// Replay detection method 0, a monotonically increasing counter: the only
/// one defined (RFC 8415 §20.3).
pub const AUTH_RDM_MONOTONIC: u8 = 0;

/// The type octet of RKAP authentication information (RFC 8415 §20.4.1).
pub mod rkap_type {
    /// The reconfigure key itself, sent by the server in a Reply.
    pub const KEY: u8 = 1;
    /// The HMAC-MD5 digest of a Reconfigure message.
    pub const HMAC: u8 = 2;
}

/// The authentication information of an [`Auth`] option.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthInfo {
    /// No information (a delayed-auth Solicit announces itself this way).
    Empty,
    /// Delayed authentication: realm (no length field: the rest of the info
    /// less 20 octets), key ID and HMAC-MD5.
    Delayed {
        /// DHCP realm.
        realm: Vec<u8>,
        /// Key identifier.
        key_id: u32,
        /// HMAC-MD5 of the message with this field zeroed.
        hmac: [u8; 16],
    },
    /// Reconfigure key: type 1 carries the key (Reply), type 2 an HMAC-MD5 (Reconfigure).
    ReconfigureKey {
        /// 1 reconfigure key value, 2 HMAC-MD5 digest.
        kind: u8,
        /// The key or the digest.
        value: [u8; 16],
    },
    /// Anything else, kept as bytes.
    Other(Vec<u8>),
}

impl Auth {
    /// The option a client puts in Solicit to ask for delayed authentication
    /// (RFC 3315 §21.4.1): protocol 2, HMAC-MD5, RDM 0, replay detection 0
    /// and no authentication information, so option-len 11 (C-177).
    pub fn delayed_announce() -> Self {
        Self {
            protocol: auth_protocol::DELAYED,
            algorithm: AUTH_ALGORITHM_HMAC_MD5,
            rdm: AUTH_RDM_MONOTONIC,
            replay: 0,
            info: AuthInfo::Empty,
        }
    }

    /// A delayed-authentication option naming key `key_id` of `realm`, with
    /// its HMAC-MD5 zero: emit the message, then sign it in place
    /// (`auth::sign_in_place`).
    pub fn delayed(realm: &[u8], key_id: u32, replay: u64) -> Self {
        Self {
            protocol: auth_protocol::DELAYED,
            algorithm: AUTH_ALGORITHM_HMAC_MD5,
            rdm: AUTH_RDM_MONOTONIC,
            replay,
            info: AuthInfo::Delayed {
                realm: realm.to_vec(),
                key_id,
                hmac: [0; 16],
            },
        }
    }

    /// The RKAP option carrying a reconfigure key in a Reply (RFC 8415
    /// §20.4.3): protocol 3, HMAC-MD5, RDM 0, type 1, the 16 key octets
    /// (option-len 28, C-171).
    pub fn reconfigure_key(key: [u8; 16], replay: u64) -> Self {
        Self::rkap(rkap_type::KEY, key, replay)
    }

    /// The RKAP option of a Reconfigure (RFC 8415 §20.4.4): type 2 with the
    /// HMAC-MD5 zero, to be filled in by signing the emitted message.
    pub fn reconfigure_hmac(replay: u64) -> Self {
        Self::rkap(rkap_type::HMAC, [0; 16], replay)
    }

    fn rkap(kind: u8, value: [u8; 16], replay: u64) -> Self {
        Self {
            protocol: auth_protocol::RECONFIGURE_KEY,
            algorithm: AUTH_ALGORITHM_HMAC_MD5,
            rdm: AUTH_RDM_MONOTONIC,
            replay,
            info: AuthInfo::ReconfigureKey { kind, value },
        }
    }

    /// Offset of the 16 MAC octets inside the option data, when the layout has one.
    pub fn mac_offset(&self) -> Option<usize> {
        match &self.info {
            AuthInfo::Delayed { realm, .. } => Some(11 + realm.len() + 4),
            AuthInfo::ReconfigureKey { .. } => Some(12),
            _ => None,
        }
    }
}

/// A vendor sub-option inside Vendor-specific Information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorOption {
    /// Vendor-defined code.
    pub code: u16,
    /// Its data.
    pub data: Vec<u8>,
}

/// Client FQDN (RFC 4704 §4.1): flags and a name that may be partial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFqdn {
    /// Flags: S = 0x01, O = 0x02, N = 0x04; the rest must be zero.
    pub flags: u8,
    /// The name.
    pub name: DomainName,
}

/// NTP server sub-options (RFC 5908 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NtpSuboption {
    /// 1: unicast server address.
    ServerAddr(Ipv6Addr),
    /// 2: multicast address.
    MulticastAddr(Ipv6Addr),
    /// 3: server FQDN.
    ServerFqdn(DomainName),
    /// Any other sub-option, kept.
    Unknown {
        /// Sub-option code.
        code: u16,
        /// Its data.
        data: Vec<u8>,
    },
}

mod ntp {
    pub const SRV_ADDR: u16 = 1;
    pub const MC_ADDR: u16 = 2;
    pub const SRV_FQDN: u16 = 3;
}

fn bad_len(opt: &DhcpOption<'_>) -> Error {
    Error::BadOptionLen {
        code: opt.code.into(),
        len: opt.data.len(),
    }
}

/// Maps a trailing-bytes or short-read error to "invalid length" for `opt`.
fn fixed<'a, T>(opt: &DhcpOption<'a>, f: impl FnOnce(&mut Reader<'a>) -> Result<T>) -> Result<T> {
    let mut r = Reader::new(opt.data);
    let v = f(&mut r).map_err(|_| bad_len(opt))?;
    r.finish().map_err(|_| bad_len(opt))?;
    Ok(v)
}

fn parse_nested(area: &[u8], depth: usize) -> Result<Vec<OptionRepr>> {
    Options::new(area)
        .map(|o| OptionRepr::parse_at(&o?, depth))
        .collect()
}

fn parse_codes(opt: &DhcpOption<'_>) -> Result<Vec<u16>> {
    if !opt.data.len().is_multiple_of(2) {
        return Err(bad_len(opt));
    }
    Ok(opt
        .data
        .as_chunks::<2>()
        .0
        .iter()
        .map(|&c| u16::from_be_bytes(c))
        .collect())
}

fn parse_addrs(opt: &DhcpOption<'_>, may_be_empty: bool) -> Result<Vec<Ipv6Addr>> {
    if !opt.data.len().is_multiple_of(16) || (opt.data.is_empty() && !may_be_empty) {
        return Err(bad_len(opt));
    }
    Ok(opt
        .data
        .as_chunks::<16>()
        .0
        .iter()
        .map(|&a| Ipv6Addr::from(a))
        .collect())
}

/// Items each preceded by a u16 length (User Class, Vendor Class data, Bootfile Parameters).
fn parse_opaque_list(opt: &DhcpOption<'_>, r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>> {
    let mut items = Vec::new();
    while !r.is_empty() {
        let len = usize::from(r.u16().map_err(|_| bad_len(opt))?);
        items.push(r.bytes(len).map_err(|_| bad_len(opt))?.to_vec());
    }
    Ok(items)
}

fn emit_opaque_list(w: &mut Writer<'_>, items: &[Vec<u8>]) -> Result<()> {
    for item in items {
        w.u16(u16::try_from(item.len()).map_err(|_| Error::TooLong)?)?;
        w.bytes(item)?;
    }
    Ok(())
}

fn parse_auth(opt: &DhcpOption<'_>) -> Result<Auth> {
    let mut r = Reader::new(opt.data);
    let protocol = r.u8().map_err(|_| bad_len(opt))?;
    let algorithm = r.u8().map_err(|_| bad_len(opt))?;
    let rdm = r.u8().map_err(|_| bad_len(opt))?;
    let replay = r.u64().map_err(|_| bad_len(opt))?;
    let rest = r.rest();
    let info = match (protocol, rest.len()) {
        (_, 0) => AuthInfo::Empty,
        (auth_protocol::DELAYED, n) if n >= 20 => {
            let mut r = Reader::new(rest);
            let realm = r.bytes(n - 20)?.to_vec();
            let key_id = r.u32()?;
            let hmac = r.array()?;
            AuthInfo::Delayed {
                realm,
                key_id,
                hmac,
            }
        }
        (auth_protocol::RECONFIGURE_KEY, 17) => {
            let mut r = Reader::new(rest);
            AuthInfo::ReconfigureKey {
                kind: r.u8()?,
                value: r.array()?,
            }
        }
        _ => AuthInfo::Other(rest.to_vec()),
    };
    Ok(Auth {
        protocol,
        algorithm,
        rdm,
        replay,
        info,
    })
}

fn parse_ntp(opt: &DhcpOption<'_>) -> Result<Vec<NtpSuboption>> {
    let code = u16::from(opt.code);
    let mut subs = Vec::new();
    // The sub-options share the option TLV layout.
    for sub in Options::new(opt.data) {
        let sub = sub?;
        let sub_code = u16::from(sub.code);
        let addr = || -> Result<Ipv6Addr> {
            let mut r = Reader::new(sub.data);
            let a = r.ipv6().map_err(|_| bad_len(opt))?;
            r.finish().map_err(|_| bad_len(opt))?;
            Ok(a)
        };
        subs.push(match sub_code {
            ntp::SRV_ADDR => NtpSuboption::ServerAddr(addr()?),
            ntp::MC_ADDR => NtpSuboption::MulticastAddr(addr()?),
            ntp::SRV_FQDN => {
                let mut names = DomainName::parse_list(sub.data, code)?;
                if names.len() != 1 {
                    return Err(Error::BadDomainName { code });
                }
                NtpSuboption::ServerFqdn(names.remove(0))
            }
            _ => NtpSuboption::Unknown {
                code: sub_code,
                data: sub.data.to_vec(),
            },
        });
    }
    if subs.is_empty() {
        return Err(bad_len(opt));
    }
    Ok(subs)
}

fn parse_ia_prefix(opt: &DhcpOption<'_>, depth: usize) -> Result<IaPrefix> {
    let mut r = Reader::new(opt.data);
    let mut head = r.take(25).map_err(|_| bad_len(opt))?;
    let preferred_lifetime = head.u32()?;
    let valid_lifetime = head.u32()?;
    let prefix_len = head.u8()?;
    let prefix = head.ipv6()?;
    if prefix_len > 128 {
        return Err(Error::BadValue {
            code: opt.code.into(),
        });
    }
    let options = parse_nested(r.rest(), depth + 1)?;
    // C-020: a PD Exclude must name a longer prefix than the one it sits in,
    // with exactly the subnet-ID octets that difference needs (RFC 6603 §4.2).
    for o in &options {
        if let OptionRepr::PdExclude {
            prefix_len: ex_len,
            subnet_id,
        } = o
        {
            let code = u16::from(OptionCode::PdExclude);
            if *ex_len <= prefix_len || *ex_len > 128 {
                return Err(Error::BadValue { code });
            }
            let bits = usize::from(ex_len - prefix_len);
            if subnet_id.len() != bits.div_ceil(8) {
                return Err(Error::BadOptionLen {
                    code,
                    len: subnet_id.len() + 1,
                });
            }
        }
    }
    Ok(IaPrefix {
        preferred_lifetime,
        valid_lifetime,
        prefix_len,
        prefix,
        options,
    })
}

impl OptionRepr {
    /// Decodes one option found at the top level of a message or relay message.
    pub fn parse(opt: &DhcpOption<'_>) -> Result<Self> {
        Self::parse_at(opt, 0)
    }

    fn parse_at(opt: &DhcpOption<'_>, depth: usize) -> Result<Self> {
        use OptionCode as C;
        let code = opt.code;
        let data = opt.data;
        let raw = || Self::Unknown {
            code,
            data: data.to_vec(),
        };
        let container = matches!(code, C::IaNa | C::IaTa | C::IaPd | C::IaAddr | C::IaPrefix);
        if container && depth >= MAX_OPTION_DEPTH {
            return Ok(raw());
        }
        Ok(match code {
            C::ClientId => Self::ClientId(Duid::from_bytes(data)?),
            C::ServerId => Self::ServerId(Duid::from_bytes(data)?),
            C::RelayId => Self::RelayId(Duid::from_bytes(data)?),
            C::IaNa | C::IaPd => {
                let mut r = Reader::new(data);
                let mut head = r.take(12).map_err(|_| bad_len(opt))?;
                let (iaid, t1, t2) = (head.u32()?, head.u32()?, head.u32()?);
                let options = parse_nested(r.rest(), depth + 1)?;
                if code == C::IaNa {
                    Self::IaNa(IaNa {
                        iaid,
                        t1,
                        t2,
                        options,
                    })
                } else {
                    Self::IaPd(IaPd {
                        iaid,
                        t1,
                        t2,
                        options,
                    })
                }
            }
            C::IaTa => {
                let mut r = Reader::new(data);
                let iaid = r.u32().map_err(|_| bad_len(opt))?;
                Self::IaTa(IaTa {
                    iaid,
                    options: parse_nested(r.rest(), depth + 1)?,
                })
            }
            C::IaAddr => {
                let mut r = Reader::new(data);
                let mut head = r.take(24).map_err(|_| bad_len(opt))?;
                Self::IaAddr(IaAddr {
                    addr: head.ipv6()?,
                    preferred_lifetime: head.u32()?,
                    valid_lifetime: head.u32()?,
                    options: parse_nested(r.rest(), depth + 1)?,
                })
            }
            C::IaPrefix => Self::IaPrefix(parse_ia_prefix(opt, depth)?),
            C::Oro => Self::Oro(
                parse_codes(opt)?
                    .into_iter()
                    .map(OptionCode::from)
                    .collect(),
            ),
            C::Ero => Self::Ero(
                parse_codes(opt)?
                    .into_iter()
                    .map(OptionCode::from)
                    .collect(),
            ),
            C::ClientArchType => Self::ClientArchTypes(parse_codes(opt)?),
            C::Preference => Self::Preference(fixed(opt, |r| r.u8())?),
            C::ElapsedTime => Self::ElapsedTime(fixed(opt, |r| r.u16())?),
            C::RelayPort => Self::RelayPort(fixed(opt, |r| r.u16())?),
            C::InformationRefreshTime => Self::InformationRefreshTime(fixed(opt, |r| r.u32())?),
            C::SolMaxRt => Self::SolMaxRt(fixed(opt, |r| r.u32())?),
            C::InfMaxRt => Self::InfMaxRt(fixed(opt, |r| r.u32())?),
            C::CltTime => Self::CltTime(fixed(opt, |r| r.u32())?),
            C::RapidCommit => fixed(opt, |_| Ok(Self::RapidCommit))?,
            C::ReconfAccept => fixed(opt, |_| Ok(Self::ReconfAccept))?,
            C::Unicast => Self::Unicast(fixed(opt, |r| r.ipv6())?),
            C::LinkAddress => Self::LinkAddress(fixed(opt, |r| r.ipv6())?),
            C::SipServerA
            | C::DnsServers
            | C::NisServers
            | C::NispServers
            | C::SntpServers
            | C::BcmcsServerA
            | C::PanaAgent
            | C::LqClientLink
            | C::CapwapAcV6 => Self::Addresses {
                code,
                addrs: parse_addrs(opt, false)?,
            },
            C::Dhcp4o6ServerAddr => Self::Addresses {
                code,
                addrs: parse_addrs(opt, true)?,
            },
            C::SipServerD
            | C::DomainList
            | C::NisDomainName
            | C::NispDomainName
            | C::BcmcsServerD
            | C::V6Lost
            | C::V6AccessDomain
            | C::SipUaCsList
            | C::AftrName
            | C::ErpLocalDomainName => Self::Domains {
                code,
                names: DomainName::parse_list(data, code.into())?,
            },
            C::RelayMsg => Self::RelayMsg(data.to_vec()),
            C::InterfaceId => Self::InterfaceId(data.to_vec()),
            C::SubscriberId if data.is_empty() => return Err(bad_len(opt)),
            C::SubscriberId => Self::SubscriberId(data.to_vec()),
            C::Dhcpv4Msg => Self::Dhcpv4Msg(data.to_vec()),
            C::NewPosixTimezone
            | C::NewTzdbTimezone
            | C::BootfileUrl
            | C::CaptivePortal
            | C::MudUrlV6 => Self::Text {
                code,
                text: data.to_vec(),
            },
            C::StatusCode => {
                let mut r = Reader::new(data);
                let status = Status::from(r.u16().map_err(|_| bad_len(opt))?);
                Self::StatusCode(StatusCode {
                    status,
                    message: r.rest().to_vec(),
                })
            }
            C::Auth => Self::Auth(parse_auth(opt)?),
            C::UserClass | C::BootfileParam => {
                let items = parse_opaque_list(opt, &mut Reader::new(data))?;
                if items.is_empty() {
                    return Err(bad_len(opt));
                }
                if code == C::UserClass {
                    Self::UserClass(items)
                } else {
                    Self::BootfileParam(items)
                }
            }
            C::VendorClass => {
                let mut r = Reader::new(data);
                let enterprise = r.u32().map_err(|_| bad_len(opt))?;
                Self::VendorClass {
                    enterprise,
                    data: parse_opaque_list(opt, &mut r)?,
                }
            }
            C::VendorOpts => {
                let mut r = Reader::new(data);
                let enterprise = r.u32().map_err(|_| bad_len(opt))?;
                let options = Options::new(r.rest())
                    .map(|o| {
                        o.map(|o| VendorOption {
                            code: o.code.into(),
                            data: o.data.to_vec(),
                        })
                    })
                    .collect::<Result<_>>()?;
                Self::VendorOpts {
                    enterprise,
                    options,
                }
            }
            C::RemoteId => {
                let mut r = Reader::new(data);
                let enterprise = r.u32().map_err(|_| bad_len(opt))?;
                let id = r.rest();
                if id.is_empty() {
                    return Err(bad_len(opt));
                }
                Self::RemoteId {
                    enterprise,
                    id: id.to_vec(),
                }
            }
            C::ReconfMsg => {
                // C-017: only Renew, Rebind and Information-request.
                let t = MessageType::from(fixed(opt, |r| r.u8())?);
                match t {
                    MessageType::Renew | MessageType::Rebind | MessageType::InformationRequest => {
                        Self::ReconfMsg(t)
                    }
                    _ => return Err(Error::BadValue { code: code.into() }),
                }
            }
            C::ClientFqdn => {
                let mut r = Reader::new(data);
                let flags = r.u8().map_err(|_| bad_len(opt))?;
                let name = DomainName::parse_partial(r.rest(), code.into())?;
                Self::ClientFqdn(ClientFqdn { flags, name })
            }
            C::NtpServer => Self::NtpServer(parse_ntp(opt)?),
            C::PdExclude => {
                // C-020: option-len 2 to 17.
                if !(2..=17).contains(&data.len()) {
                    return Err(bad_len(opt));
                }
                let mut r = Reader::new(data);
                let prefix_len = r.u8()?;
                Self::PdExclude {
                    prefix_len,
                    subnet_id: r.rest().to_vec(),
                }
            }
            C::ClientLinklayerAddr => {
                let mut r = Reader::new(data);
                let hw_type = r.u16().map_err(|_| bad_len(opt))?;
                Self::ClientLinklayerAddr {
                    hw_type,
                    addr: r.rest().to_vec(),
                }
            }
            _ => raw(),
        })
    }

    /// The option code this value is emitted with.
    pub fn code(&self) -> OptionCode {
        use OptionCode as C;
        match self {
            Self::ClientId(_) => C::ClientId,
            Self::ServerId(_) => C::ServerId,
            Self::RelayId(_) => C::RelayId,
            Self::IaNa(_) => C::IaNa,
            Self::IaTa(_) => C::IaTa,
            Self::IaPd(_) => C::IaPd,
            Self::IaAddr(_) => C::IaAddr,
            Self::IaPrefix(_) => C::IaPrefix,
            Self::Oro(_) => C::Oro,
            Self::Ero(_) => C::Ero,
            Self::ClientArchTypes(_) => C::ClientArchType,
            Self::Preference(_) => C::Preference,
            Self::ElapsedTime(_) => C::ElapsedTime,
            Self::RelayPort(_) => C::RelayPort,
            Self::InformationRefreshTime(_) => C::InformationRefreshTime,
            Self::SolMaxRt(_) => C::SolMaxRt,
            Self::InfMaxRt(_) => C::InfMaxRt,
            Self::CltTime(_) => C::CltTime,
            Self::RapidCommit => C::RapidCommit,
            Self::ReconfAccept => C::ReconfAccept,
            Self::Unicast(_) => C::Unicast,
            Self::LinkAddress(_) => C::LinkAddress,
            Self::Addresses { code, .. } | Self::Domains { code, .. } | Self::Text { code, .. } => {
                *code
            }
            Self::RelayMsg(_) => C::RelayMsg,
            Self::InterfaceId(_) => C::InterfaceId,
            Self::SubscriberId(_) => C::SubscriberId,
            Self::Dhcpv4Msg(_) => C::Dhcpv4Msg,
            Self::StatusCode(_) => C::StatusCode,
            Self::Auth(_) => C::Auth,
            Self::UserClass(_) => C::UserClass,
            Self::BootfileParam(_) => C::BootfileParam,
            Self::VendorClass { .. } => C::VendorClass,
            Self::VendorOpts { .. } => C::VendorOpts,
            Self::RemoteId { .. } => C::RemoteId,
            Self::ReconfMsg(_) => C::ReconfMsg,
            Self::ClientFqdn(_) => C::ClientFqdn,
            Self::NtpServer(_) => C::NtpServer,
            Self::PdExclude { .. } => C::PdExclude,
            Self::ClientLinklayerAddr { .. } => C::ClientLinklayerAddr,
            Self::Unknown { code, .. } => *code,
        }
    }

    /// The parts every IA shares, when this is an IA_NA, IA_TA or IA_PD.
    pub fn ia(&self) -> Option<IaView<'_>> {
        let (kind, iaid, t1, t2, options) = match self {
            Self::IaNa(ia) => (IaKind::Na, ia.iaid, ia.t1, ia.t2, &ia.options),
            Self::IaTa(ia) => (IaKind::Ta, ia.iaid, 0, 0, &ia.options),
            Self::IaPd(ia) => (IaKind::Pd, ia.iaid, ia.t1, ia.t2, &ia.options),
            _ => return None,
        };
        Some(IaView {
            kind,
            iaid,
            t1,
            t2,
            options,
        })
    }

    /// The IA option of `kind`; an IA_TA has no T1/T2 and leaves `t1` and
    /// `t2` out (RFC 8415 §21.5).
    pub fn new_ia(kind: IaKind, iaid: u32, t1: u32, t2: u32, options: Vec<OptionRepr>) -> Self {
        match kind {
            IaKind::Na => Self::IaNa(IaNa {
                iaid,
                t1,
                t2,
                options,
            }),
            IaKind::Ta => Self::IaTa(IaTa { iaid, options }),
            IaKind::Pd => Self::IaPd(IaPd {
                iaid,
                t1,
                t2,
                options,
            }),
        }
    }

    /// Writes the option: code, length, data.
    pub fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        let slot = w.begin_option(self.code())?;
        self.emit_data(w)?;
        w.end_option(slot)
    }

    fn emit_data(&self, w: &mut Writer<'_>) -> Result<()> {
        let emit_all = |w: &mut Writer<'_>, opts: &[OptionRepr]| -> Result<()> {
            opts.iter().try_for_each(|o| o.emit(w))
        };
        match self {
            Self::ClientId(d) | Self::ServerId(d) | Self::RelayId(d) => w.bytes(d.as_bytes()),
            Self::IaNa(IaNa {
                iaid,
                t1,
                t2,
                options,
            })
            | Self::IaPd(IaPd {
                iaid,
                t1,
                t2,
                options,
            }) => {
                w.u32(*iaid)?;
                w.u32(*t1)?;
                w.u32(*t2)?;
                emit_all(w, options)
            }
            Self::IaTa(ia) => {
                w.u32(ia.iaid)?;
                emit_all(w, &ia.options)
            }
            Self::IaAddr(a) => {
                w.ipv6(&a.addr)?;
                w.u32(a.preferred_lifetime)?;
                w.u32(a.valid_lifetime)?;
                emit_all(w, &a.options)
            }
            Self::IaPrefix(p) => {
                w.u32(p.preferred_lifetime)?;
                w.u32(p.valid_lifetime)?;
                w.u8(p.prefix_len)?;
                w.ipv6(&p.prefix)?;
                emit_all(w, &p.options)
            }
            Self::Oro(codes) | Self::Ero(codes) => codes.iter().try_for_each(|&c| w.u16(c.into())),
            Self::ClientArchTypes(v) => v.iter().try_for_each(|&c| w.u16(c)),
            Self::Preference(v) => w.u8(*v),
            Self::ElapsedTime(v) | Self::RelayPort(v) => w.u16(*v),
            Self::InformationRefreshTime(v)
            | Self::SolMaxRt(v)
            | Self::InfMaxRt(v)
            | Self::CltTime(v) => w.u32(*v),
            Self::RapidCommit | Self::ReconfAccept => Ok(()),
            Self::Unicast(a) | Self::LinkAddress(a) => w.ipv6(a),
            Self::Addresses { addrs, .. } => addrs.iter().try_for_each(|a| w.ipv6(a)),
            Self::Domains { names, .. } => names.iter().try_for_each(|n| w.bytes(n.as_wire())),
            Self::RelayMsg(b)
            | Self::InterfaceId(b)
            | Self::SubscriberId(b)
            | Self::Dhcpv4Msg(b)
            | Self::Text { text: b, .. }
            | Self::Unknown { data: b, .. } => w.bytes(b),
            Self::StatusCode(s) => {
                w.u16(s.status.into())?;
                w.bytes(&s.message)
            }
            Self::Auth(a) => {
                w.u8(a.protocol)?;
                w.u8(a.algorithm)?;
                w.u8(a.rdm)?;
                w.u64(a.replay)?;
                match &a.info {
                    AuthInfo::Empty => Ok(()),
                    AuthInfo::Delayed {
                        realm,
                        key_id,
                        hmac,
                    } => {
                        w.bytes(realm)?;
                        w.u32(*key_id)?;
                        w.bytes(hmac)
                    }
                    AuthInfo::ReconfigureKey { kind, value } => {
                        w.u8(*kind)?;
                        w.bytes(value)
                    }
                    AuthInfo::Other(b) => w.bytes(b),
                }
            }
            Self::UserClass(items) | Self::BootfileParam(items) => emit_opaque_list(w, items),
            Self::VendorClass { enterprise, data } => {
                w.u32(*enterprise)?;
                emit_opaque_list(w, data)
            }
            Self::VendorOpts {
                enterprise,
                options,
            } => {
                w.u32(*enterprise)?;
                for o in options {
                    w.u16(o.code)?;
                    w.u16(u16::try_from(o.data.len()).map_err(|_| Error::TooLong)?)?;
                    w.bytes(&o.data)?;
                }
                Ok(())
            }
            Self::RemoteId { enterprise, id } => {
                w.u32(*enterprise)?;
                w.bytes(id)
            }
            Self::ReconfMsg(t) => w.u8((*t).into()),
            Self::ClientFqdn(f) => {
                w.u8(f.flags)?;
                w.bytes(f.name.as_wire())
            }
            Self::NtpServer(subs) => {
                for s in subs {
                    let (code, data): (u16, &[u8]) = match s {
                        NtpSuboption::ServerAddr(a) => {
                            w.u16(ntp::SRV_ADDR)?;
                            w.u16(16)?;
                            w.ipv6(a)?;
                            continue;
                        }
                        NtpSuboption::MulticastAddr(a) => {
                            w.u16(ntp::MC_ADDR)?;
                            w.u16(16)?;
                            w.ipv6(a)?;
                            continue;
                        }
                        NtpSuboption::ServerFqdn(n) => (ntp::SRV_FQDN, n.as_wire()),
                        NtpSuboption::Unknown { code, data } => (*code, data),
                    };
                    w.u16(code)?;
                    w.u16(u16::try_from(data.len()).map_err(|_| Error::TooLong)?)?;
                    w.bytes(data)?;
                }
                Ok(())
            }
            Self::PdExclude {
                prefix_len,
                subnet_id,
            } => {
                w.u8(*prefix_len)?;
                w.bytes(subnet_id)
            }
            Self::ClientLinklayerAddr { hw_type, addr } => {
                w.u16(*hw_type)?;
                w.bytes(addr)
            }
        }
    }

    /// A PD Exclude naming `excluded`/`excluded_len` inside the delegated
    /// prefix of length `delegated_len` (RFC 6603 §4.2). `None` when the
    /// lengths do not nest.
    pub fn pd_exclude(excluded: Ipv6Addr, excluded_len: u8, delegated_len: u8) -> Option<Self> {
        if excluded_len <= delegated_len || excluded_len > 128 {
            return None;
        }
        let bits = u32::from(excluded_len - delegated_len);
        let value = u128::from(excluded) << delegated_len; // the subnet-ID bits now lead
        let octets = bits.div_ceil(8) as usize;
        let mask = if bits == 128 {
            u128::MAX
        } else {
            !(u128::MAX >> bits)
        };
        let subnet_id = (value & mask).to_be_bytes().get(..octets)?.to_vec();
        Some(Self::PdExclude {
            prefix_len: excluded_len,
            subnet_id,
        })
    }

    /// The prefix a PD Exclude names, given the IA Prefix it sits in.
    pub fn excluded_prefix(&self, delegated: &IaPrefix) -> Option<Prefix6> {
        let Self::PdExclude {
            prefix_len,
            subnet_id,
        } = self
        else {
            return None;
        };
        let bits = u32::from(prefix_len.checked_sub(delegated.prefix_len)?);
        let mut id = [0u8; 16];
        id.get_mut(..subnet_id.len())?.copy_from_slice(subnet_id);
        let id = u128::from_be_bytes(id);
        let mask = if bits >= 128 {
            u128::MAX
        } else {
            !(u128::MAX >> bits)
        };
        let base = u128::from(delegated.prefix);
        let shifted = (id & mask)
            .checked_shr(u32::from(delegated.prefix_len))
            .unwrap_or(0);
        Some(Prefix6 {
            addr: Ipv6Addr::from(base | shifted),
            len: *prefix_len,
        })
    }
}

impl IaNa {
    /// The IA Address options inside.
    pub fn addresses(&self) -> impl Iterator<Item = &IaAddr> {
        addresses_in(&self.options)
    }

    /// The IA's own Status Code; absent means Success (RFC 8415 §21.13).
    pub fn status(&self) -> Option<&StatusCode> {
        status_in(&self.options)
    }
}

impl IaTa {
    /// The IA Address options inside.
    pub fn addresses(&self) -> impl Iterator<Item = &IaAddr> {
        addresses_in(&self.options)
    }

    /// The IA's own Status Code; absent means Success (RFC 8415 §21.13).
    pub fn status(&self) -> Option<&StatusCode> {
        status_in(&self.options)
    }
}

impl IaPd {
    /// The IA Prefix options inside.
    pub fn prefixes(&self) -> impl Iterator<Item = &IaPrefix> {
        prefixes_in(&self.options)
    }

    /// The IA's own Status Code; absent means Success (RFC 8415 §21.13).
    pub fn status(&self) -> Option<&StatusCode> {
        status_in(&self.options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: Status) -> OptionRepr {
        OptionRepr::StatusCode(StatusCode::new(s))
    }

    #[test]
    fn new_ia_builds_the_option_of_its_kind_and_ia_reads_it_back() {
        for kind in [IaKind::Na, IaKind::Ta, IaKind::Pd] {
            let o = OptionRepr::new_ia(kind, 7, 100, 200, vec![status(Status::NoBinding)]);
            assert_eq!(o.code(), kind.option_code());
            let ia = o.ia().expect("an IA");
            assert_eq!((ia.kind, ia.iaid), (kind, 7));
            // IA_TA has no T1/T2 on the wire (RFC 8415 §21.5).
            let timers = if kind == IaKind::Ta {
                (0, 0)
            } else {
                (100, 200)
            };
            assert_eq!((ia.t1, ia.t2), timers);
            assert_eq!(ia.status().map(|s| s.status), Some(Status::NoBinding));
        }
        assert_eq!(OptionRepr::RapidCommit.ia(), None);
    }

    #[test]
    fn ia_na_and_ia_pd_share_a_layout_but_not_a_type() {
        let body = [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        let na = OptionRepr::parse(&DhcpOption {
            code: OptionCode::IaNa,
            data: &body,
        })
        .unwrap();
        let pd = OptionRepr::parse(&DhcpOption {
            code: OptionCode::IaPd,
            data: &body,
        })
        .unwrap();
        assert!(matches!(
            na,
            OptionRepr::IaNa(IaNa {
                iaid: 1,
                t1: 2,
                t2: 3,
                ..
            })
        ));
        assert!(matches!(
            pd,
            OptionRepr::IaPd(IaPd {
                iaid: 1,
                t1: 2,
                t2: 3,
                ..
            })
        ));
        let mut buf = [0u8; 16];
        let mut w = Writer::new(&mut buf);
        pd.emit(&mut w).unwrap();
        assert_eq!(&buf[..4], &[0, 25, 0, 12]);
        assert_eq!(&buf[4..], &body);
    }
}
