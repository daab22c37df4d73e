//! Typed DHCPv4 options (RFC 2132 and the RFCs named on each variant).
//!
//! An [`OptionRepr`] is the value of one option code in a message: when a
//! code appears several times its instances are concatenated first
//! (RFC 3396 §7), then decoded. Codes without a variant here stay
//! [`OptionRepr::Unknown`] with their bytes. Lengths are checked strictly
//! (a lease time of 3 octets is an error); values are kept as sent, for the
//! engine to judge (an MTU under 68 is decoded, not refused).

use core::net::Ipv4Addr;

use super::codes::{MessageType, OptionCode};
use super::{Error, Result, CLIENT_ID_TYPE_DUID};
use crate::duid::Duid;
use crate::wire::Reader;

/// What option overload (52) says the `file` and `sname` fields hold
/// (RFC 2132 §9.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Overload {
    /// Value 1: the `file` field holds options.
    File,
    /// Value 2: the `sname` field holds options.
    Sname,
    /// Value 3: both fields hold options.
    Both,
}

impl Overload {
    /// The value from its octet; anything but 1-3 is not an overload.
    pub fn from_value(v: u8) -> Option<Self> {
        match v {
            1 => Some(Self::File),
            2 => Some(Self::Sname),
            3 => Some(Self::Both),
            _ => None,
        }
    }

    /// The octet on the wire.
    pub fn value(self) -> u8 {
        match self {
            Self::File => 1,
            Self::Sname => 2,
            Self::Both => 3,
        }
    }

    /// True when `file` holds options.
    pub fn file(self) -> bool {
        matches!(self, Self::File | Self::Both)
    }

    /// True when `sname` holds options.
    pub fn sname(self) -> bool {
        matches!(self, Self::Sname | Self::Both)
    }
}

/// Client identifier (option 61): a type octet and an identifier
/// (RFC 2132 §9.14), or RFC 4361's IAID and DUID under type 255.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientId {
    /// Type 255 (RFC 4361 §6.1): the IAID and DUID the client also uses for
    /// DHCPv6.
    Duid {
        /// Identity association identifier.
        iaid: u32,
        /// The client's DUID.
        duid: Duid,
    },
    /// Any other type: a hardware type with a hardware address, or 0 with
    /// an opaque identifier (RFC 2132 §9.14).
    Typed {
        /// The type octet.
        id_type: u8,
        /// The identifier, at least one octet.
        id: Vec<u8>,
    },
}

/// One route of the classless static route option (RFC 3442 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClasslessRoute {
    /// Destination network; only its first `ceil(prefix_len / 8)` octets
    /// travel, and they are kept exactly as sent.
    pub destination: Ipv4Addr,
    /// Destination prefix length, 0 to 32.
    pub prefix_len: u8,
    /// Router for the destination (0.0.0.0: on-link).
    pub router: Ipv4Addr,
}

impl ClasslessRoute {
    /// Octets of the destination that go on the wire ("significant octets").
    pub fn significant_octets(&self) -> usize {
        usize::from(self.prefix_len).div_ceil(8)
    }
}

/// One DHCPv4 option, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionRepr {
    /// Subnet mask (1, RFC 2132 §3.3).
    SubnetMask(Ipv4Addr),
    /// Routers, in order of preference (3, RFC 2132 §3.5).
    Routers(Vec<Ipv4Addr>),
    /// Domain name servers (6, RFC 2132 §3.8).
    DomainNameServers(Vec<Ipv4Addr>),
    /// Host name (12, RFC 2132 §3.14), as sent.
    HostName(Vec<u8>),
    /// Domain name (15, RFC 2132 §3.17), as sent.
    DomainName(Vec<u8>),
    /// Interface MTU (26, RFC 2132 §5.1).
    InterfaceMtu(u16),
    /// Broadcast address (28, RFC 2132 §5.3).
    BroadcastAddress(Ipv4Addr),
    /// NTP servers (42, RFC 2132 §8.3).
    NtpServers(Vec<Ipv4Addr>),
    /// Requested IP address (50, RFC 2132 §9.1).
    RequestedIp(Ipv4Addr),
    /// IP address lease time in seconds (51, RFC 2132 §9.2).
    LeaseTime(u32),
    /// Option overload (52, RFC 2132 §9.3).
    Overload(Overload),
    /// DHCP message type (53, RFC 2132 §9.6).
    MessageType(MessageType),
    /// Server identifier (54, RFC 2132 §9.7).
    ServerId(Ipv4Addr),
    /// Parameter request list (55, RFC 2132 §9.8), in the client's order.
    ParameterRequestList(Vec<OptionCode>),
    /// Message, an error text (56, RFC 2132 §9.9).
    Message(Vec<u8>),
    /// Maximum DHCP message size (57, RFC 2132 §9.10).
    MaxMessageSize(u16),
    /// Renewal (T1) time in seconds (58, RFC 2132 §9.11).
    RenewalTime(u32),
    /// Rebinding (T2) time in seconds (59, RFC 2132 §9.12).
    RebindingTime(u32),
    /// Vendor class identifier (60, RFC 2132 §9.13).
    VendorClassId(Vec<u8>),
    /// Client identifier (61, RFC 2132 §9.14, RFC 4361 §6.1).
    ClientId(ClientId),
    /// Classless static routes (121, RFC 3442).
    ClasslessStaticRoutes(Vec<ClasslessRoute>),
    /// Any other code, its data kept as sent.
    Unknown {
        /// The option code (never Pad or End).
        code: OptionCode,
        /// The concatenated data.
        data: Vec<u8>,
    },
}

fn bad_len(code: OptionCode, data: &[u8]) -> Error {
    Error::BadOptionLen {
        code: code.into(),
        len: data.len(),
    }
}

/// Decodes a fixed-size body with `f`, insisting the data is used up.
fn fixed<'a, T>(
    code: OptionCode,
    data: &'a [u8],
    f: impl FnOnce(&mut Reader<'a>) -> crate::wire::Result<T>,
) -> Result<T> {
    let mut r = Reader::new(data);
    let v = f(&mut r).map_err(|_| bad_len(code, data))?;
    r.finish().map_err(|_| bad_len(code, data))?;
    Ok(v)
}

fn ipv4(r: &mut Reader<'_>) -> crate::wire::Result<Ipv4Addr> {
    r.array::<4>().map(Ipv4Addr::from)
}

/// A list of one or more IPv4 addresses (RFC 2132: "minimum length 4,
/// a multiple of 4").
fn addrs(code: OptionCode, data: &[u8]) -> Result<Vec<Ipv4Addr>> {
    if data.is_empty() || !data.len().is_multiple_of(4) {
        return Err(bad_len(code, data));
    }
    let mut r = Reader::new(data);
    let mut out = Vec::with_capacity(data.len() / 4);
    while !r.is_empty() {
        out.push(ipv4(&mut r)?);
    }
    Ok(out)
}

/// Text and opaque options all have "minimum length 1" in RFC 2132.
fn non_empty(code: OptionCode, data: &[u8]) -> Result<Vec<u8>> {
    if data.is_empty() {
        return Err(bad_len(code, data));
    }
    Ok(data.to_vec())
}

fn parse_client_id(code: OptionCode, data: &[u8]) -> Result<ClientId> {
    // RFC 2132 §9.14: minimum length 2 (a type and one octet of identifier).
    let (&id_type, id) = data
        .split_first()
        .filter(|(_, id)| !id.is_empty())
        .ok_or_else(|| bad_len(code, data))?;
    if id_type != CLIENT_ID_TYPE_DUID {
        return Ok(ClientId::Typed {
            id_type,
            id: id.to_vec(),
        });
    }
    let mut r = Reader::new(id);
    let iaid = r.u32().map_err(|_| bad_len(code, data))?;
    let duid = Duid::from_bytes(r.rest()).map_err(|_| Error::BadValue { code: code.into() })?;
    Ok(ClientId::Duid { iaid, duid })
}

fn parse_routes(code: OptionCode, data: &[u8]) -> Result<Vec<ClasslessRoute>> {
    if data.is_empty() {
        return Err(bad_len(code, data));
    }
    let mut r = Reader::new(data);
    let mut routes = Vec::new();
    while !r.is_empty() {
        let prefix_len = r.u8()?;
        if prefix_len > 32 {
            return Err(Error::BadValue { code: code.into() });
        }
        let n = usize::from(prefix_len).div_ceil(8);
        let mut dest = [0u8; 4];
        let sig = r.bytes(n).map_err(|_| bad_len(code, data))?;
        dest.get_mut(..n)
            .ok_or(Error::BadValue { code: code.into() })?
            .copy_from_slice(sig);
        let router = ipv4(&mut r).map_err(|_| bad_len(code, data))?;
        routes.push(ClasslessRoute {
            destination: Ipv4Addr::from(dest),
            prefix_len,
            router,
        });
    }
    Ok(routes)
}

impl OptionRepr {
    /// Decodes the data of option `code` (all its instances concatenated).
    /// Pad and End are not options and decode to an error.
    pub fn parse(code: OptionCode, data: &[u8]) -> Result<Self> {
        use OptionCode as C;
        Ok(match code {
            C::Pad | C::End => return Err(Error::BadValue { code: code.into() }),
            C::SubnetMask => Self::SubnetMask(fixed(code, data, ipv4)?),
            C::Routers => Self::Routers(addrs(code, data)?),
            C::DomainNameServers => Self::DomainNameServers(addrs(code, data)?),
            C::HostName => Self::HostName(non_empty(code, data)?),
            C::DomainName => Self::DomainName(non_empty(code, data)?),
            C::InterfaceMtu => Self::InterfaceMtu(fixed(code, data, Reader::u16)?),
            C::BroadcastAddress => Self::BroadcastAddress(fixed(code, data, ipv4)?),
            C::NtpServers => Self::NtpServers(addrs(code, data)?),
            C::RequestedIp => Self::RequestedIp(fixed(code, data, ipv4)?),
            C::LeaseTime => Self::LeaseTime(fixed(code, data, Reader::u32)?),
            C::Overload => {
                let v = fixed(code, data, Reader::u8)?;
                Self::Overload(
                    Overload::from_value(v).ok_or(Error::BadValue { code: code.into() })?,
                )
            }
            C::MessageType => Self::MessageType(MessageType::from(fixed(code, data, Reader::u8)?)),
            C::ServerId => Self::ServerId(fixed(code, data, ipv4)?),
            C::ParameterRequestList => Self::ParameterRequestList(
                non_empty(code, data)?
                    .into_iter()
                    .map(OptionCode::from)
                    .collect(),
            ),
            C::Message => Self::Message(non_empty(code, data)?),
            C::MaxMessageSize => Self::MaxMessageSize(fixed(code, data, Reader::u16)?),
            C::RenewalTime => Self::RenewalTime(fixed(code, data, Reader::u32)?),
            C::RebindingTime => Self::RebindingTime(fixed(code, data, Reader::u32)?),
            C::VendorClassId => Self::VendorClassId(non_empty(code, data)?),
            C::ClientId => Self::ClientId(parse_client_id(code, data)?),
            C::ClasslessStaticRoutes => Self::ClasslessStaticRoutes(parse_routes(code, data)?),
            _ => Self::Unknown {
                code,
                data: data.to_vec(),
            },
        })
    }

    /// The option code.
    pub fn code(&self) -> OptionCode {
        use OptionCode as C;
        match self {
            Self::SubnetMask(_) => C::SubnetMask,
            Self::Routers(_) => C::Routers,
            Self::DomainNameServers(_) => C::DomainNameServers,
            Self::HostName(_) => C::HostName,
            Self::DomainName(_) => C::DomainName,
            Self::InterfaceMtu(_) => C::InterfaceMtu,
            Self::BroadcastAddress(_) => C::BroadcastAddress,
            Self::NtpServers(_) => C::NtpServers,
            Self::RequestedIp(_) => C::RequestedIp,
            Self::LeaseTime(_) => C::LeaseTime,
            Self::Overload(_) => C::Overload,
            Self::MessageType(_) => C::MessageType,
            Self::ServerId(_) => C::ServerId,
            Self::ParameterRequestList(_) => C::ParameterRequestList,
            Self::Message(_) => C::Message,
            Self::MaxMessageSize(_) => C::MaxMessageSize,
            Self::RenewalTime(_) => C::RenewalTime,
            Self::RebindingTime(_) => C::RebindingTime,
            Self::VendorClassId(_) => C::VendorClassId,
            Self::ClientId(_) => C::ClientId,
            Self::ClasslessStaticRoutes(_) => C::ClasslessStaticRoutes,
            Self::Unknown { code, .. } => *code,
        }
    }

    /// Appends the option's data (no code, no length: a long option is split
    /// into instances by whoever places it, RFC 3396) to `out`.
    pub fn emit_data(&self, out: &mut Vec<u8>) {
        match self {
            Self::SubnetMask(a)
            | Self::BroadcastAddress(a)
            | Self::RequestedIp(a)
            | Self::ServerId(a) => out.extend_from_slice(&a.octets()),
            Self::Routers(list) | Self::DomainNameServers(list) | Self::NtpServers(list) => {
                list.iter().for_each(|a| out.extend_from_slice(&a.octets()))
            }
            Self::HostName(b)
            | Self::DomainName(b)
            | Self::Message(b)
            | Self::VendorClassId(b)
            | Self::Unknown { data: b, .. } => out.extend_from_slice(b),
            Self::InterfaceMtu(v) | Self::MaxMessageSize(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            Self::LeaseTime(v) | Self::RenewalTime(v) | Self::RebindingTime(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            Self::Overload(o) => out.push(o.value()),
            Self::MessageType(t) => out.push(t.value()),
            Self::ParameterRequestList(codes) => out.extend(codes.iter().map(|c| c.value())),
            Self::ClientId(ClientId::Duid { iaid, duid }) => {
                out.push(CLIENT_ID_TYPE_DUID);
                out.extend_from_slice(&iaid.to_be_bytes());
                out.extend_from_slice(duid.as_bytes());
            }
            Self::ClientId(ClientId::Typed { id_type, id }) => {
                out.push(*id_type);
                out.extend_from_slice(id);
            }
            Self::ClasslessStaticRoutes(routes) => {
                for r in routes {
                    out.push(r.prefix_len);
                    let n = r.significant_octets().min(4);
                    out.extend(r.destination.octets().iter().take(n));
                    out.extend_from_slice(&r.router.octets());
                }
            }
        }
    }

    /// The data as a new vector.
    pub fn data_to_vec(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.emit_data(&mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(code: OptionCode, data: &[u8]) -> OptionRepr {
        let o = OptionRepr::parse(code, data).unwrap();
        assert_eq!(o.code(), code);
        assert_eq!(o.data_to_vec(), data);
        o
    }

    #[test]
    fn client_id_forms() {
        let hw = round_trip(OptionCode::ClientId, &[1, 0, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert!(matches!(
            hw,
            OptionRepr::ClientId(ClientId::Typed { id_type: 1, .. })
        ));
        let duid = [255, 0, 0, 0, 7, 0, 3, 0, 1, 2, 0, 0, 0, 0, 1];
        match round_trip(OptionCode::ClientId, &duid) {
            OptionRepr::ClientId(ClientId::Duid { iaid, duid }) => {
                assert_eq!(iaid, 7);
                assert_eq!(duid.as_bytes(), &[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            OptionRepr::parse(OptionCode::ClientId, &[1]),
            Err(Error::BadOptionLen { code: 61, len: 1 })
        );
        // Type 255 with an IAID but a DUID under 3 octets.
        assert_eq!(
            OptionRepr::parse(OptionCode::ClientId, &[255, 0, 0, 0, 1, 0, 1]),
            Err(Error::BadValue { code: 61 })
        );
    }

    /// RFC 3442 §2: width, significant octets, router; octets past the
    /// width's last one are not sent, bits inside it are kept as sent.
    #[test]
    fn classless_routes() {
        let data = [
            0, 10, 0, 0, 1, // default route via 10.0.0.1
            8, 10, 10, 0, 0, 2, // 10/8 via 10.0.0.2
            20, 172, 16, 0x1f, 0, 0, 0, 0, // 172.16.16/20 (stray low bits), on-link
        ];
        match round_trip(OptionCode::ClasslessStaticRoutes, &data) {
            OptionRepr::ClasslessStaticRoutes(r) => {
                assert_eq!(r.len(), 3);
                assert_eq!(r[0].prefix_len, 0);
                assert_eq!(r[1].destination, Ipv4Addr::new(10, 0, 0, 0));
                assert_eq!(r[2].destination, Ipv4Addr::new(172, 16, 0x1f, 0));
                assert_eq!(r[2].router, Ipv4Addr::UNSPECIFIED);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            OptionRepr::parse(
                OptionCode::ClasslessStaticRoutes,
                &[33, 1, 2, 3, 4, 5, 6, 7, 8]
            ),
            Err(Error::BadValue { code: 121 })
        );
        assert_eq!(
            OptionRepr::parse(OptionCode::ClasslessStaticRoutes, &[24, 10, 0, 0, 1, 2]),
            Err(Error::BadOptionLen { code: 121, len: 6 })
        );
    }

    #[test]
    fn strict_lengths() {
        for (code, data) in [
            (OptionCode::SubnetMask, &[255, 255, 255][..]),
            (OptionCode::LeaseTime, &[0, 0, 1]),
            (OptionCode::Routers, &[10, 0, 0, 1, 10]),
            (OptionCode::DomainNameServers, &[]),
            (OptionCode::HostName, &[]),
            (OptionCode::MessageType, &[1, 1]),
            (OptionCode::MaxMessageSize, &[2]),
        ] {
            assert!(
                matches!(
                    OptionRepr::parse(code, data),
                    Err(Error::BadOptionLen { .. })
                ),
                "{code:?}"
            );
        }
        assert_eq!(
            OptionRepr::parse(OptionCode::Overload, &[4]),
            Err(Error::BadValue { code: 52 })
        );
        assert_eq!(
            OptionRepr::parse(OptionCode::Pad, &[]),
            Err(Error::BadValue { code: 0 })
        );
    }
}
