//! What flows through the server for one datagram, with no behaviour of
//! its own: the datagram received ([`Incoming`]) and the one to send
//! ([`Outgoing`]), the checked request ([`Request`]) and what the answer
//! says ([`Answer`]), which the `react_*` handlers decide and
//! `server6_send` writes. A leaf: every other module of dhcp6s may use it,
//! it uses none of them.

use std::net::{Ipv6Addr, SocketAddrV6};

use smallvec::SmallVec;

use libdhcp6::codes::{MessageType, Status};
use libdhcp6::lease::{BoundLease, IaKind, Resource};
use libdhcp6::request::ClientMsg;
use libdhcp6::wire::INFINITY;

/// A received datagram.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// Its bytes.
    pub pkt: &'a [u8],
    /// Source address and port.
    pub src: SocketAddrV6,
    /// Destination address (multicast group or our unicast address).
    pub dst: Ipv6Addr,
    /// Receiving interface.
    pub ifindex: u32,
}

/// Where the answer written into the output buffer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outgoing {
    /// Its length.
    pub len: usize,
    /// Destination.
    pub dst: SocketAddrV6,
    /// Outgoing interface.
    pub ifindex: u32,
    /// Type of the answer to the client (inside any Relay-replies).
    pub msg_type: MessageType,
    /// Wrapped in Relay-replies for the relays it came through.
    pub relayed: bool,
}

/// The request being answered.
pub struct Request<'m> {
    /// The client message.
    pub msg: &'m ClientMsg<'m>,
    /// The client's DUID (checked present where required).
    pub client_id: Option<&'m [u8]>,
    /// Now, seconds since the Unix epoch.
    pub now: u64,
}

/// A lease as an answer states it: what, and the preferred and valid
/// lifetimes (zero for ones the client must stop using).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// The address or prefix.
    pub res: Resource,
    /// Preferred lifetime, seconds.
    pub preferred: u32,
    /// Valid lifetime, seconds.
    pub valid: u32,
}

impl Shown {
    /// A lease the client must stop using (RFC 8415 §18.3.4: lifetimes 0).
    pub fn withdrawn(res: Resource) -> Self {
        Self {
            res,
            preferred: 0,
            valid: 0,
        }
    }
}

impl From<&BoundLease> for Shown {
    fn from(l: &BoundLease) -> Self {
        Self {
            res: l.res,
            preferred: l.preferred,
            valid: l.valid,
        }
    }
}

/// The leases an IA of an answer states.
pub type ShownLeases = SmallVec<[Shown; 2]>;

/// What the answer says about one IA.
#[derive(Debug, Clone)]
pub enum IaAnswer {
    /// Leases with the lifetimes to state.
    Leases(ShownLeases),
    /// A status inside the IA, no leases.
    Status(Status),
}

/// One IA of an answer: its type, IAID and content.
#[derive(Debug, Clone)]
pub struct IaReply {
    /// IA type.
    pub kind: IaKind,
    /// IAID.
    pub iaid: u32,
    /// What it holds.
    pub answer: IaAnswer,
}

/// The IAs of an answer.
pub type IaReplies = SmallVec<[IaReply; 4]>;

/// Which information options an answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Info {
    /// None (Confirm, Release, Decline, UseMulticast).
    None,
    /// The configured ones (Advertise and Reply with IAs).
    Options,
    /// The configured ones and the refresh time; with `asked`, the
    /// default refresh time when none is configured (Information-request,
    /// C-074).
    WithRefresh {
        /// The client's ORO listed option 32.
        asked: bool,
    },
}

/// What an Advertise or Reply says; `server6_send` writes it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Advertise or Reply.
    pub msg_type: MessageType,
    /// Top-level status, if any.
    pub status: Option<Status>,
    /// Rapid Commit option (a Reply to a Solicit with Rapid Commit).
    pub rapid_commit: bool,
    /// Preference option.
    pub preference: Option<u8>,
    /// The IAs.
    pub ias: IaReplies,
    /// Information options.
    pub info: Info,
}

impl Answer {
    /// An answer of type `msg_type` that says nothing yet.
    pub fn new(msg_type: MessageType) -> Self {
        Self {
            msg_type,
            status: None,
            rapid_commit: false,
            preference: None,
            ias: IaReplies::new(),
            info: Info::None,
        }
    }

    /// A Reply holding only a top-level status.
    pub fn reply_with_status(status: Status) -> Self {
        Self {
            status: Some(status),
            ..Self::new(MessageType::Reply)
        }
    }

    /// The longest valid lifetime the answer grants, if it grants any
    /// lease at all.
    pub fn longest_valid(&self) -> Option<u32> {
        self.ias
            .iter()
            .filter_map(|ia| match &ia.answer {
                IaAnswer::Leases(l) => l.iter().map(|s| s.valid).max(),
                IaAnswer::Status(_) => None,
            })
            .max()
    }
}

/// The T1 and T2 an answer's IAs carry (RFC 8415 §21.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// When the client renews, seconds.
    pub t1: u32,
    /// When the client rebinds, seconds.
    pub t2: u32,
}

/// T1 and T2 for a Reply: 0.5 and 0.8 of the shortest preferred lifetime
/// granted (C-057), infinity when that is infinite (C-058), the same for
/// every IA (C-056), never T1 > T2 (C-059).
pub fn timers(ias: &[IaReply]) -> Timers {
    let min = ias
        .iter()
        .filter_map(|ia| match &ia.answer {
            IaAnswer::Leases(l) => Some(l.iter().filter(|s| s.valid > 0).map(|s| s.preferred)),
            IaAnswer::Status(_) => None,
        })
        .flatten()
        .min();
    match min {
        None | Some(0) => Timers { t1: 0, t2: 0 },
        Some(INFINITY) => Timers {
            t1: INFINITY,
            t2: INFINITY,
        },
        Some(p) => {
            let t1 = p / 2;
            let t2 = u32::try_from(u64::from(p) * 4 / 5).unwrap_or(INFINITY - 1);
            Timers { t1, t2: t2.max(t1) }
        }
    }
}

/// The status an IA of `kind` gets when nothing can be assigned.
pub fn unavailable_status(kind: IaKind) -> Status {
    match kind {
        IaKind::Pd => Status::NoPrefixAvail,
        _ => Status::NoAddrsAvail,
    }
}
