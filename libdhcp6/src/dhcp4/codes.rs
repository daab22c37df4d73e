//! The one table of DHCPv4 numbers: BOOTP op codes, DHCP message types
//! (option 53) and option codes, with the names logs print.
//!
//! Nothing else in the DHCPv4 layer spells one of these numbers. Like the
//! DHCPv6 table in [`crate::codes`], each enum has an `Unknown` variant so
//! that every value on the wire maps to something.

use core::fmt;

codes! {
    /// BOOTP message op code (RFC 951, RFC 2131 §2).
    pub enum Op(u8) unknown "op" {
        BootRequest = 1 => "BOOTREQUEST",
        BootReply = 2 => "BOOTREPLY",
    }
}

codes! {
    /// DHCP message types, the value of option 53 (RFC 2132 §9.6, RFC 3203,
    /// RFC 4388, RFC 6926, RFC 7724 and the IANA registry).
    pub enum MessageType(u8) unknown "DHCP message type " {
        Discover = 1 => "DHCPDISCOVER",
        Offer = 2 => "DHCPOFFER",
        Request = 3 => "DHCPREQUEST",
        Decline = 4 => "DHCPDECLINE",
        Ack = 5 => "DHCPACK",
        Nak = 6 => "DHCPNAK",
        Release = 7 => "DHCPRELEASE",
        Inform = 8 => "DHCPINFORM",
        ForceRenew = 9 => "DHCPFORCERENEW",
        LeaseQuery = 10 => "DHCPLEASEQUERY",
        LeaseUnassigned = 11 => "DHCPLEASEUNASSIGNED",
        LeaseUnknown = 12 => "DHCPLEASEUNKNOWN",
        LeaseActive = 13 => "DHCPLEASEACTIVE",
        BulkLeaseQuery = 14 => "DHCPBULKLEASEQUERY",
        LeaseQueryDone = 15 => "DHCPLEASEQUERYDONE",
        ActiveLeaseQuery = 16 => "DHCPACTIVELEASEQUERY",
        LeaseQueryStatus = 17 => "DHCPLEASEQUERYSTATUS",
        Tls = 18 => "DHCPTLS",
    }
}

codes! {
    /// DHCPv4 option codes (RFC 2132 and later RFCs in the IANA registry).
    /// Pad (0) and End (255) are here for logs; they are single octets on
    /// the wire, not options.
    pub enum OptionCode(u8) unknown "option " {
        Pad = 0 => "pad",
        SubnetMask = 1 => "subnet mask",
        TimeOffset = 2 => "time offset",
        Routers = 3 => "routers",
        TimeServers = 4 => "time servers",
        NameServers = 5 => "IEN-116 name servers",
        DomainNameServers = 6 => "domain name servers",
        LogServers = 7 => "log servers",
        HostName = 12 => "host name",
        BootFileSize = 13 => "boot file size",
        DomainName = 15 => "domain name",
        RootPath = 17 => "root path",
        ExtensionsPath = 18 => "extensions path",
        IpForwarding = 19 => "IP forwarding",
        DefaultTtl = 23 => "default IP TTL",
        InterfaceMtu = 26 => "interface MTU",
        BroadcastAddress = 28 => "broadcast address",
        StaticRoutes = 33 => "static routes",
        NisDomain = 40 => "NIS domain",
        NisServers = 41 => "NIS servers",
        NtpServers = 42 => "NTP servers",
        VendorSpecific = 43 => "vendor specific information",
        NetbiosNameServers = 44 => "NetBIOS name servers",
        RequestedIp = 50 => "requested IP address",
        LeaseTime = 51 => "IP address lease time",
        Overload = 52 => "option overload",
        MessageType = 53 => "DHCP message type",
        ServerId = 54 => "server identifier",
        ParameterRequestList = 55 => "parameter request list",
        Message = 56 => "message",
        MaxMessageSize = 57 => "maximum DHCP message size",
        RenewalTime = 58 => "renewal (T1) time",
        RebindingTime = 59 => "rebinding (T2) time",
        VendorClassId = 60 => "vendor class identifier",
        ClientId = 61 => "client identifier",
        TftpServerName = 66 => "TFTP server name",
        BootfileName = 67 => "bootfile name",
        UserClass = 77 => "user class",
        RapidCommit = 80 => "rapid commit",
        ClientFqdn = 81 => "client FQDN",
        RelayAgentInfo = 82 => "relay agent information",
        ClientSystemArch = 93 => "client system architecture",
        ClientNdi = 94 => "client network device interface",
        ClientUuid = 97 => "client machine identifier",
        Ipv6OnlyPreferred = 108 => "IPv6-only preferred",
        SubnetSelection = 118 => "subnet selection",
        DomainSearch = 119 => "domain search",
        ClasslessStaticRoutes = 121 => "classless static routes",
        ViVendorClass = 124 => "vendor-identifying vendor class",
        ViVendorSpecific = 125 => "vendor-identifying vendor-specific information",
        End = 255 => "end",
    }
}
