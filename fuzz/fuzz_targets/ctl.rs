//! The control protocol decoder (`libdhcp6::ctl`) on any bytes, as each
//! daemon decodes it (`ServerCommand`, `ClientCommand`): `decode`,
//! `Packet::new_checked` and `Command::parse` never panic; a message that
//! passes the length check is exactly as long as its header announces (what
//! the daemons' listener reads); a message whose
//! layout parses re-encodes (with our key) to the same bytes except the
//! reserved field (sent as 0) and the MAC, and that encoding decodes back to
//! the same message; any key file is parsed without panicking.

#![no_main]

use libdhcp6::ctl::{
    announced_len, decode, parse_key_file, ClientCommand, Command, CtlMessage, Packet,
    ServerCommand, HEADER_LEN, MAC_LEN,
};
use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = b"0123456789abcdef";

/// The daemon's path for command type `C`, then the re-encoding checks.
fn check<C: Command + std::fmt::Debug + PartialEq>(data: &[u8], now: u64) {
    let _ = decode::<C>(data, Some(KEY), now);
    let _ = decode::<C>(data, None, now);

    let Ok(pkt) = Packet::new_checked(data) else { return };
    assert_eq!(announced_len(data), Some(data.len()));
    let Ok(msg) = CtlMessage::<C>::parse(&pkt) else { return };
    let again = msg.encode(KEY).expect("a parsed message re-encodes");
    assert_eq!(again.len(), data.len());
    assert_eq!(again[..6], data[..6], "command, len, version");
    assert_eq!(again[6..8], [0, 0], "reserved");
    assert_eq!(again[8..HEADER_LEN], data[8..HEADER_LEN], "timestamp");
    assert_eq!(again[HEADER_LEN + MAC_LEN..], data[HEADER_LEN + MAC_LEN..], "arguments");
    if msg.version == 0 {
        assert_eq!(decode(&again, Some(KEY), now), Ok(msg));
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = parse_key_file(data);
    // A clock equal to the message's timestamp so the MAC check is reached.
    let now = data
        .get(8..12)
        .map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
        .unwrap_or(0);
    check::<ServerCommand>(data, now);
    check::<ClientCommand>(data, now);
});
