//! Capturing DHCPv6 traffic with tcpdump inside a test namespace, and
//! reading what it wrote: the UDP/IPv6 datagrams of a pcap file (Ethernet
//! link type), enough to check DHCPv6 messages on the wire.

use std::net::Ipv6Addr;
use std::time::Duration;

use super::{require_program, Daemon, Netns};

/// tcpdump on `ifname` in `ns`, writing DHCPv6 traffic (UDP ports 546 and
/// 547) to `pcap` packet by packet (immediate mode, so the file is current
/// while the test reads it); returns once tcpdump listens.
pub fn capture_dhcp6(ns: &Netns, ifname: &str, pcap: &str) -> Daemon {
    require_program("tcpdump");
    let d = ns.spawn(
        "tcpdump",
        &[
            "-i",
            ifname,
            "-n",
            "--immediate-mode",
            "-U",
            "-w",
            pcap,
            "udp port 546 or udp port 547",
        ],
    );
    d.wait_log("listening on", Duration::from_secs(10));
    d
}

/// One UDP datagram over IPv6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Capture time, microseconds since the epoch.
    pub ts_us: u64,
    /// IPv6 source.
    pub src: Ipv6Addr,
    /// IPv6 destination.
    pub dst: Ipv6Addr,
    /// UDP source port.
    pub sport: u16,
    /// UDP destination port.
    pub dport: u16,
    /// UDP payload.
    pub payload: Vec<u8>,
}

/// The UDP/IPv6 datagrams in a little-endian pcap file written so far (a
/// record cut short at the end, tcpdump still writing, is ignored). IPv6
/// extension headers are not followed: DHCPv6 traffic has none.
pub fn udp6(pcap: &[u8]) -> Vec<Datagram> {
    let mut out = Vec::new();
    let le = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    if pcap.len() < 24 {
        return out;
    }
    let nanos = match le(&pcap[0..4]) {
        0xa1b2_c3d4 => false,
        0xa1b2_3c4d => true,
        m => panic!("pcap magic {m:#x}: expected little-endian pcap"),
    };
    assert_eq!(le(&pcap[20..24]), 1, "link type Ethernet");
    let mut pos = 24;
    while pos + 16 <= pcap.len() {
        let sec = u64::from(le(&pcap[pos..]));
        let frac = u64::from(le(&pcap[pos + 4..]));
        let caplen = le(&pcap[pos + 8..]) as usize;
        let Some(frame) = pcap.get(pos + 16..pos + 16 + caplen) else {
            break;
        };
        pos += 16 + caplen;
        // Ethernet (14) + IPv6 (40, next header UDP) + UDP (8).
        if frame.len() < 62 || frame[12..14] != [0x86, 0xdd] || frame[20] != 17 {
            continue;
        }
        let ip = &frame[14..];
        let addr = |b: &[u8]| Ipv6Addr::from(<[u8; 16]>::try_from(b).expect("16 octets"));
        let udp_len = usize::from(u16::from_be_bytes([ip[44], ip[45]]));
        let Some(payload) = frame.get(62..54 + udp_len.max(8)) else {
            continue;
        };
        out.push(Datagram {
            ts_us: sec * 1_000_000 + if nanos { frac / 1000 } else { frac },
            src: addr(&ip[8..24]),
            dst: addr(&ip[24..40]),
            sport: u16::from_be_bytes([ip[40], ip[41]]),
            dport: u16::from_be_bytes([ip[42], ip[43]]),
            payload: payload.to_vec(),
        });
    }
    out
}
