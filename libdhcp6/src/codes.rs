//! The one table of protocol numbers: message types, option codes and status
//! codes, with the names KAME's `dhcp6msgstr`, `dhcp6optstr` and
//! `dhcp6_stcodestr` print in logs.
//!
//! Nothing else in the suite spells one of these numbers. Each enum has an
//! `Unknown` variant so that every value on the wire maps to something; build
//! values with `From`, never by writing `Unknown(n)` for a known `n`.

use core::fmt;

/// Expands one code table into an enum, both `From` conversions, `name()` and
/// a `Display` that falls back to KAME's form for numbers it does not know.
macro_rules! codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident($repr:ty) unknown $fallback:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("Code ", stringify!($value), ": ", $text, ".")] $variant, )*
            /// A value this table does not name; kept so it can be logged and re-emitted.
            Unknown($repr),
        }

        impl From<$repr> for $name {
            fn from(value: $repr) -> Self {
                match value {
                    $( $value => Self::$variant, )*
                    other => Self::Unknown(other),
                }
            }
        }

        impl From<$name> for $repr {
            fn from(value: $name) -> $repr {
                match value {
                    $( $name::$variant => $value, )*
                    $name::Unknown(other) => other,
                }
            }
        }

        impl $name {
            /// The name KAME prints for this value, or `None` when it is unknown.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => Some($text), )*
                    Self::Unknown(_) => None,
                }
            }

            /// The numeric value, as on the wire.
            pub fn value(self) -> $repr {
                <$repr>::from(self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(text) => f.write_str(text),
                    None => write!(f, concat!($fallback, "{}"), self.value()),
                }
            }
        }
    };
}

codes! {
    /// DHCPv6 message types (RFC 8415 §7.3 and the later RFCs in the IANA registry).
    pub enum MessageType(u8) unknown "msg" {
        Solicit = 1 => "solicit",
        Advertise = 2 => "advertise",
        Request = 3 => "request",
        Confirm = 4 => "confirm",
        Renew = 5 => "renew",
        Rebind = 6 => "rebind",
        Reply = 7 => "reply",
        Release = 8 => "release",
        Decline = 9 => "decline",
        Reconfigure = 10 => "reconfigure",
        InformationRequest = 11 => "information request",
        RelayForw = 12 => "relay-forward",
        RelayRepl = 13 => "relay-reply",
        Leasequery = 14 => "leasequery",
        LeasequeryReply = 15 => "leasequery-reply",
        LeasequeryDone = 16 => "leasequery-done",
        LeasequeryData = 17 => "leasequery-data",
        ReconfigureRequest = 18 => "reconfigure-request",
        ReconfigureReply = 19 => "reconfigure-reply",
        Dhcpv4Query = 20 => "DHCPv4-query",
        Dhcpv4Response = 21 => "DHCPv4-response",
        ActiveLeasequery = 22 => "active-leasequery",
        StartTls = 23 => "starttls",
        BndUpd = 24 => "bndupd",
        BndReply = 25 => "bndreply",
        PoolReq = 26 => "poolreq",
        PoolResp = 27 => "poolresp",
        UpdReq = 28 => "updreq",
        UpdReqAll = 29 => "updreqall",
        UpdDone = 30 => "upddone",
        Connect = 31 => "connect",
        ConnectReply = 32 => "connectreply",
        Disconnect = 33 => "disconnect",
        State = 34 => "state",
        Contact = 35 => "contact",
        AddrRegInform = 36 => "addr-reg-inform",
        AddrRegReply = 37 => "addr-reg-reply",
    }
}

impl MessageType {
    /// Relay-forward and Relay-reply use the 34-octet relay header (RFC 8415 §9).
    pub fn is_relay(self) -> bool {
        matches!(self, Self::RelayForw | Self::RelayRepl)
    }

    /// DHCPV4-QUERY and DHCPV4-RESPONSE carry flags where other messages
    /// carry a transaction-id (RFC 7341 §6).
    pub fn has_flags(self) -> bool {
        matches!(self, Self::Dhcpv4Query | Self::Dhcpv4Response)
    }

    /// Messages a client sends to servers and that a relay forwards upstream.
    pub fn is_client_message(self) -> bool {
        matches!(
            self,
            Self::Solicit
                | Self::Request
                | Self::Confirm
                | Self::Renew
                | Self::Rebind
                | Self::Release
                | Self::Decline
                | Self::InformationRequest
                | Self::Dhcpv4Query
        )
    }

    /// Messages a server sends to clients (a relay drops them when they arrive bare).
    pub fn is_server_message(self) -> bool {
        matches!(
            self,
            Self::Advertise | Self::Reply | Self::Reconfigure | Self::Dhcpv4Response
        )
    }
}

codes! {
    /// DHCPv6 option codes (RFC 8415 §21 and the IANA registry).
    pub enum OptionCode(u16) unknown "opt_" {
        ClientId = 1 => "client ID",
        ServerId = 2 => "server ID",
        IaNa = 3 => "identity association",
        IaTa = 4 => "IA_TA",
        IaAddr = 5 => "IA address",
        Oro = 6 => "option request",
        Preference = 7 => "preference",
        ElapsedTime = 8 => "elapsed time",
        RelayMsg = 9 => "relay message",
        Auth = 11 => "authentication",
        Unicast = 12 => "server unicast",
        StatusCode = 13 => "status code",
        RapidCommit = 14 => "rapid commit",
        UserClass = 15 => "user class",
        VendorClass = 16 => "vendor class",
        VendorOpts = 17 => "vendor specific info",
        InterfaceId = 18 => "interface ID",
        ReconfMsg = 19 => "reconfigure message",
        ReconfAccept = 20 => "reconfigure accept",
        SipServerD = 21 => "SIP domain name",
        SipServerA = 22 => "SIP server address",
        DnsServers = 23 => "DNS",
        DomainList = 24 => "domain search list",
        IaPd = 25 => "IA_PD",
        IaPrefix = 26 => "IA_PD prefix",
        NisServers = 27 => "NIS servers",
        NispServers = 28 => "NIS+ servers",
        NisDomainName = 29 => "NIS domain name",
        NispDomainName = 30 => "NIS+ domain name",
        SntpServers = 31 => "NTP server",
        InformationRefreshTime = 32 => "information refresh time",
        BcmcsServerD = 33 => "BCMCS domain name",
        BcmcsServerA = 34 => "BCMCS server address",
        GeoconfCivic = 36 => "Geoconf Civic",
        RemoteId = 37 => "remote ID",
        SubscriberId = 38 => "subscriber ID",
        ClientFqdn = 39 => "client FQDN",
        PanaAgent = 40 => "PANA agent",
        NewPosixTimezone = 41 => "POSIX timezone",
        NewTzdbTimezone = 42 => "TZDB timezone",
        Ero = 43 => "echo request",
        LqQuery = 44 => "leasequery query",
        ClientData = 45 => "client data",
        CltTime = 46 => "client last transaction time",
        LqRelayData = 47 => "leasequery relay data",
        LqClientLink = 48 => "leasequery client link",
        V6Lost = 51 => "LoST server",
        CapwapAcV6 = 52 => "CAPWAP access controller",
        RelayId = 53 => "relay ID",
        NtpServer = 56 => "NTP server (RFC 5908)",
        V6AccessDomain = 57 => "access network domain name",
        SipUaCsList = 58 => "SIP UA configuration domains",
        BootfileUrl = 59 => "bootfile URL",
        BootfileParam = 60 => "bootfile parameters",
        ClientArchType = 61 => "client architecture type",
        Nii = 62 => "client network interface identifier",
        AftrName = 64 => "AFTR name",
        ErpLocalDomainName = 65 => "ERP local domain name",
        Rsoo = 66 => "relay-supplied options",
        PdExclude = 67 => "prefix exclude",
        Vss = 68 => "virtual subnet selection",
        ClientLinklayerAddr = 79 => "client link-layer address",
        LinkAddress = 80 => "link address",
        SolMaxRt = 82 => "SOL_MAX_RT",
        InfMaxRt = 83 => "INF_MAX_RT",
        Dhcpv4Msg = 87 => "DHCPv4 message",
        Dhcp4o6ServerAddr = 88 => "DHCPv4-over-DHCPv6 server address",
        S46ContMape = 94 => "MAP-E container",
        S46ContMapt = 95 => "MAP-T container",
        S46ContLw = 96 => "lightweight 4over6 container",
        CaptivePortal = 103 => "captive portal URI",
        MudUrlV6 = 112 => "MUD URL",
        RelayPort = 135 => "relay source port",
    }
}

codes! {
    /// Status codes carried in the Status Code option (RFC 8415 §21.13, RFC 5007, 5460, 7653, 8156).
    pub enum Status(u16) unknown "code" {
        Success = 0 => "success",
        UnspecFail = 1 => "unspec failure",
        NoAddrsAvail = 2 => "no addresses",
        NoBinding = 3 => "no binding",
        NotOnLink = 4 => "not on-link",
        UseMulticast = 5 => "use multicast",
        NoPrefixAvail = 6 => "no prefixes",
        UnknownQueryType = 7 => "unknown query type",
        MalformedQuery = 8 => "malformed query",
        NotConfigured = 9 => "not configured",
        NotAllowed = 10 => "not allowed",
        QueryTerminated = 11 => "query terminated",
        DataMissing = 12 => "data missing",
        CatchUpComplete = 13 => "catch-up complete",
        NotSupported = 14 => "not supported",
        TlsConnectionRefused = 15 => "TLS connection refused",
        AddressInUse = 16 => "address in use",
        ConfigurationConflict = 17 => "configuration conflict",
        MissingBindingInformation = 18 => "missing binding information",
        OutdatedBindingInformation = 19 => "outdated binding information",
        ServerShuttingDown = 20 => "server shutting down",
        DnsUpdateNotSupported = 21 => "DNS update not supported",
        ExcessiveTimeSkew = 22 => "excessive time skew",
    }
}

codes! {
    /// dhcp6ctl command codes (doc/wide-compat.md §5; WIDE's `DHCP6CTL_COMMAND_*`),
    /// plus kame6's extension, numbered well away from WIDE's 1–4.
    pub enum CtlCommand(u16) unknown "command " {
        Reload = 1 => "reload",
        Remove = 2 => "remove",
        Start = 3 => "start",
        Stop = 4 => "stop",
        /// kame6 extension: make the server send a Reconfigure (doc/control.md).
        Reconfigure = 100 => "reconfigure",
    }
}

codes! {
    /// dhcp6ctl argument object and IA type codes (WIDE's `DHCP6CTL_BINDING`,
    /// `DHCP6CTL_BINDING_IA`, `DHCP6CTL_IA_PD`, `DHCP6CTL_INTERFACE`,
    /// `DHCP6CTL_IA_NA`: one number space in WIDE's control.h).
    pub enum CtlObject(u32) unknown "object " {
        Binding = 1 => "binding",
        BindingIa = 2 => "IA",
        IaPd = 3 => "IA_PD",
        Interface = 4 => "interface",
        IaNa = 5 => "IA_NA",
        Lease4 = 6 => "IPv4 lease",
    }
}

impl OptionCode {
    /// Codes a client must never list in an ORO (RFC 8415 §21.7); a server
    /// silently ignores them there.
    pub fn forbidden_in_oro(self) -> bool {
        use OptionCode::*;
        matches!(
            self,
            ClientId
                | ServerId
                | IaNa
                | IaTa
                | IaAddr
                | Oro
                | Preference
                | ElapsedTime
                | RelayMsg
                | Auth
                | Unicast
                | StatusCode
                | RapidCommit
                | UserClass
                | VendorClass
                | InterfaceId
                | ReconfMsg
                | ReconfAccept
                | IaPd
                | IaPrefix
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// C-025: the message-type numbers of the relay, leasequery and 4o6 messages.
    #[test]
    fn c025_message_type_numbers() {
        assert_eq!(MessageType::from(20), MessageType::Dhcpv4Query);
        assert_eq!(MessageType::from(21), MessageType::Dhcpv4Response);
        assert_eq!(MessageType::from(14), MessageType::Leasequery);
        assert_eq!(MessageType::from(15), MessageType::LeasequeryReply);
        assert_eq!(MessageType::from(12), MessageType::RelayForw);
        assert_eq!(MessageType::from(13), MessageType::RelayRepl);
    }

    #[test]
    fn every_message_type_1_to_37_is_named() {
        for v in 1u8..=37 {
            let t = MessageType::from(v);
            assert!(t.name().is_some(), "type {v} unnamed");
            assert_eq!(u8::from(t), v);
        }
        assert_eq!(MessageType::from(0).to_string(), "msg0");
        assert_eq!(MessageType::from(200).to_string(), "msg200");
    }

    #[test]
    fn kame_names() {
        assert_eq!(
            MessageType::InformationRequest.to_string(),
            "information request"
        );
        assert_eq!(OptionCode::IaPrefix.to_string(), "IA_PD prefix");
        assert_eq!(OptionCode::from(999).to_string(), "opt_999");
        assert_eq!(Status::NoPrefixAvail.to_string(), "no prefixes");
        assert_eq!(Status::from(300).to_string(), "code300");
    }

    #[test]
    fn conversions_round_trip() {
        for v in 0u16..=400 {
            assert_eq!(u16::from(OptionCode::from(v)), v);
            assert_eq!(u16::from(Status::from(v)), v);
        }
        for v in 0u8..=255 {
            assert_eq!(u8::from(MessageType::from(v)), v);
        }
    }
}

/// The three kinds of identity association (RFC 8415 §12): each has its own
/// option and its own IAID space. The one definition of the concept in the
/// suite: bindings, the configuration, the control protocol and the client
/// all use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IaKind {
    /// IA_NA: non-temporary addresses.
    Na,
    /// IA_TA: temporary addresses.
    Ta,
    /// IA_PD: delegated prefixes.
    Pd,
}

impl IaKind {
    /// KAME's name, for logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Na => "IA_NA",
            Self::Ta => "IA_TA",
            Self::Pd => "IA_PD",
        }
    }

    /// The option that carries an IA of this kind.
    pub fn option_code(self) -> OptionCode {
        match self {
            Self::Na => OptionCode::IaNa,
            Self::Ta => OptionCode::IaTa,
            Self::Pd => OptionCode::IaPd,
        }
    }

    /// The kind an IA option code stands for, if it is one.
    pub fn from_option_code(code: OptionCode) -> Option<Self> {
        match code {
            OptionCode::IaNa => Some(Self::Na),
            OptionCode::IaTa => Some(Self::Ta),
            OptionCode::IaPd => Some(Self::Pd),
            _ => None,
        }
    }
}
