//! The BOOTP/DHCP message view (RFC 2131 §2, figure 1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
//! +---------------+---------------+---------------+---------------+
//! |                            xid (4)                            |
//! +-------------------------------+-------------------------------+
//! |           secs (2)            |           flags (2)           |
//! +-------------------------------+-------------------------------+
//! |                          ciaddr  (4)                          |
//! +---------------------------------------------------------------+
//! |                          yiaddr  (4)                          |
//! +---------------------------------------------------------------+
//! |                          siaddr  (4)                          |
//! +---------------------------------------------------------------+
//! |                          giaddr  (4)                          |
//! +---------------------------------------------------------------+
//! |                          chaddr  (16)                         |
//! +---------------------------------------------------------------+
//! |                          sname   (64)                         |
//! +---------------------------------------------------------------+
//! |                          file    (128)                        |
//! +---------------------------------------------------------------+
//! |                  magic cookie 99.130.83.99 (4)                |
//! +---------------------------------------------------------------+
//! |                          options (variable)                   |
//! +---------------------------------------------------------------+
//! ```

#![allow(clippy::indexing_slicing)] // getters index what new_checked proved present

use core::net::Ipv4Addr;

use super::codes::Op;
use super::option::Items;
use super::{Error, Result, CHADDR_LEN};

/// The magic cookie that opens the options field (RFC 2131 §3, RFC 2132 §2).
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];

pub(super) mod field {
    use core::ops::Range;
    pub const OP: usize = 0;
    pub const HTYPE: usize = 1;
    pub const HLEN: usize = 2;
    pub const HOPS: usize = 3;
    pub const XID: Range<usize> = 4..8;
    pub const SECS: Range<usize> = 8..10;
    pub const FLAGS: Range<usize> = 10..12;
    pub const CIADDR: Range<usize> = 12..16;
    pub const YIADDR: Range<usize> = 16..20;
    pub const SIADDR: Range<usize> = 20..24;
    pub const GIADDR: Range<usize> = 24..28;
    pub const CHADDR: Range<usize> = 28..44;
    pub const SNAME: Range<usize> = 44..108;
    pub const FILE: Range<usize> = 108..236;
    pub const COOKIE: Range<usize> = 236..240;
    pub const OPTIONS: usize = 240;
}

/// A view over a DHCPv4 message: the fixed BOOTP header, the magic cookie,
/// then the options field.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buf: T,
}

fn u16_at(b: &[u8], r: core::ops::Range<usize>) -> u16 {
    let mut a = [0u8; 2];
    a.copy_from_slice(&b[r]);
    u16::from_be_bytes(a)
}

fn u32_at(b: &[u8], r: core::ops::Range<usize>) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[r]);
    u32::from_be_bytes(a)
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buf` after checking that the header and the magic cookie are
    /// there, `op` is a request or a reply and `hlen` fits `chaddr`. A BOOTP
    /// message without the cookie is not DHCP and is refused.
    pub fn new_checked(buf: T) -> Result<Self> {
        let b = buf.as_ref();
        if b.len() < field::OPTIONS {
            return Err(Error::Truncated);
        }
        let mut cookie = [0u8; 4];
        cookie.copy_from_slice(&b[field::COOKIE]);
        if cookie != MAGIC_COOKIE {
            return Err(Error::BadCookie(cookie));
        }
        if let Op::Unknown(op) = Op::from(b[field::OP]) {
            return Err(Error::BadOp(op));
        }
        if usize::from(b[field::HLEN]) > CHADDR_LEN {
            return Err(Error::BadHlen(b[field::HLEN]));
        }
        Ok(Self { buf })
    }

    /// BOOTREQUEST or BOOTREPLY.
    pub fn op(&self) -> Op {
        Op::from(self.buf.as_ref()[field::OP])
    }

    /// Hardware address type (ARP's `hrd` numbers; 1 is Ethernet).
    pub fn htype(&self) -> u8 {
        self.buf.as_ref()[field::HTYPE]
    }

    /// Hardware address length, at most 16.
    pub fn hlen(&self) -> u8 {
        self.buf.as_ref()[field::HLEN]
    }

    /// Relay agent hops.
    pub fn hops(&self) -> u8 {
        self.buf.as_ref()[field::HOPS]
    }

    /// Transaction ID.
    pub fn xid(&self) -> u32 {
        u32_at(self.buf.as_ref(), field::XID)
    }

    /// Seconds since the client began acquiring or renewing.
    pub fn secs(&self) -> u16 {
        u16_at(self.buf.as_ref(), field::SECS)
    }

    /// Flags ([`super::FLAG_BROADCAST`] and 15 reserved bits).
    pub fn flags(&self) -> u16 {
        u16_at(self.buf.as_ref(), field::FLAGS)
    }

    /// Client IP address (only when the client can answer ARP for it).
    pub fn ciaddr(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32_at(self.buf.as_ref(), field::CIADDR))
    }

    /// "Your" (client) address offered or assigned.
    pub fn yiaddr(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32_at(self.buf.as_ref(), field::YIADDR))
    }

    /// Next server to use in bootstrap.
    pub fn siaddr(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32_at(self.buf.as_ref(), field::SIADDR))
    }

    /// Relay agent address.
    pub fn giaddr(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32_at(self.buf.as_ref(), field::GIADDR))
    }

    /// The whole 16-octet `chaddr` field.
    pub fn chaddr_field(&self) -> &[u8] {
        &self.buf.as_ref()[field::CHADDR]
    }

    /// The client hardware address: the first `hlen` octets of `chaddr`.
    pub fn chaddr(&self) -> &[u8] {
        &self.chaddr_field()[..usize::from(self.hlen())]
    }

    /// The 64-octet `sname` field (a server name, or options when overloaded).
    pub fn sname(&self) -> &[u8] {
        &self.buf.as_ref()[field::SNAME]
    }

    /// The 128-octet `file` field (a boot file name, or options when overloaded).
    pub fn file(&self) -> &[u8] {
        &self.buf.as_ref()[field::FILE]
    }

    /// The options field: everything after the magic cookie.
    pub fn options_area(&self) -> &[u8] {
        &self.buf.as_ref()[field::OPTIONS..]
    }

    /// The items of the options field in wire order (overloaded fields are
    /// not followed; [`super::PacketRepr::parse`] does that).
    pub fn items(&self) -> Items<'_> {
        Items::new(self.options_area())
    }

    /// The whole message.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.as_ref()
    }
}
