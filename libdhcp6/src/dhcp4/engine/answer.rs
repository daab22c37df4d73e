//! Building a DHCPv4 answer (RFC 2131 §4.3.1 table 3): the header copied
//! from the query, the options RFC 2131 requires, then the ones the client
//! asked for in the order it asked, within the size the client accepts.

use core::net::Ipv4Addr;

use super::LeaseTimes;
use crate::dhcp4::{
    MessageType, Op, OptionCode, OptionRepr, PacketRepr, FILE_LEN, FLAG_BROADCAST, SNAME_LEN,
};

/// The smallest maximum message size a client may announce (RFC 2132
/// §9.10), and the size assumed when it announces none (RFC 2131 §2: a
/// client accepts at least 576-octet datagrams).
pub const MIN_MAX_MESSAGE_SIZE: usize = 576;
/// IPv4 and UDP headers, which option 57's size includes.
const IP_UDP_HEADERS: usize = 28;
/// The fixed header and the magic cookie.
const FIXED_LEN: usize = 240;

/// What an answer says, before it is laid out.
#[derive(Debug)]
pub(super) struct Reply {
    /// DHCPOFFER, DHCPACK or DHCPNAK.
    pub kind: MessageType,
    /// `yiaddr`: the address offered or assigned (0 for INFORM and NAK).
    pub yiaddr: Ipv4Addr,
    /// `ciaddr`: copied for RENEWING, REBINDING and INFORM answers.
    pub ciaddr: Ipv4Addr,
    /// Lease time, T1 and T2, for OFFER and ACK of a lease.
    pub times: Option<LeaseTimes>,
    /// The configured options the client may get, in their own order.
    pub options: Vec<OptionRepr>,
    /// Text for option 56 (a NAK's reason).
    pub message: Option<&'static str>,
}

/// The largest answer `query`'s sender accepts, in octets of DHCP message:
/// its option 57 (never under 576) less the IP and UDP headers it counts.
pub(super) fn max_len(query: &PacketRepr) -> usize {
    let announced = query
        .options
        .iter()
        .find_map(|o| match o {
            OptionRepr::MaxMessageSize(n) => Some(usize::from(*n)),
            _ => None,
        })
        .unwrap_or(MIN_MAX_MESSAGE_SIZE);
    announced.max(MIN_MAX_MESSAGE_SIZE) - IP_UDP_HEADERS
}

/// Octets `o` takes in the options field, split into 255-octet instances
/// (RFC 3396) as the canonical layout writes it.
fn wire_len(o: &OptionRepr) -> usize {
    let n = o.data_to_vec().len();
    if n == 0 {
        2
    } else {
        n + 2 * n.div_ceil(255)
    }
}

/// Lays out `r` as the answer to `query` from server `server_id`.
/// Mirrors ISC dhcpd's ack_lease / nak_lease (the header rules) and
/// cons_options (the option order and the size limit).
pub(super) fn build(query: &PacketRepr, server_id: Ipv4Addr, r: Reply) -> PacketRepr {
    let mut required = vec![
        OptionRepr::MessageType(r.kind),
        OptionRepr::ServerId(server_id),
    ];
    if let Some(times) = r.times {
        required.push(OptionRepr::LeaseTime(times.lease));
        required.push(OptionRepr::RenewalTime(times.t1));
        required.push(OptionRepr::RebindingTime(times.t2));
    }
    if let Some(text) = r.message {
        required.push(OptionRepr::Message(text.as_bytes().to_vec()));
    }
    // RFC 6842 §3: the client identifier is echoed in every answer.
    if let Some(id) = query.option(OptionCode::ClientId) {
        required.push(id.clone());
    }
    let limit = max_len(query);
    let mut used = FIXED_LEN + 1 + required.iter().map(wire_len).sum::<usize>();
    let mut options = required;
    if r.kind != MessageType::Nak {
        for o in wanted(query, r.options) {
            let n = wire_len(&o);
            if used + n <= limit && !options.iter().any(|have| have.code() == o.code()) {
                used += n;
                options.push(o);
            }
        }
    }
    let mut flags = query.flags;
    if r.kind == MessageType::Nak && !query.giaddr.is_unspecified() {
        // RFC 2131 §4.3.2: a NAK through a relay is broadcast by the relay.
        flags |= FLAG_BROADCAST;
    }
    PacketRepr {
        op: Op::BootReply,
        htype: query.htype,
        hlen: query.hlen,
        hops: 0,
        xid: query.xid,
        secs: 0,
        flags,
        ciaddr: r.ciaddr,
        yiaddr: r.yiaddr,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: query.giaddr,
        chaddr: query.chaddr,
        sname: [0; SNAME_LEN],
        file: [0; FILE_LEN],
        options,
        layout: Default::default(),
    }
}

/// The configured options the client gets: with a parameter request list,
/// those it names in its order (RFC 2131 §4.3.1); without one, all.
fn wanted(query: &PacketRepr, mut configured: Vec<OptionRepr>) -> Vec<OptionRepr> {
    let prl = query.options.iter().find_map(|o| match o {
        OptionRepr::ParameterRequestList(codes) => Some(codes),
        _ => None,
    });
    let Some(prl) = prl else {
        return configured;
    };
    let mut out = Vec::new();
    for code in prl {
        if let Some(i) = configured.iter().position(|o| o.code() == *code) {
            out.push(configured.swap_remove(i));
        }
    }
    out
}
