//! Authentication on any bytes: `auth::find`, `mac_offset`,
//! `delayed_claim`, `verify_reconfigure` and `reconfigure_key` never panic;
//! a message `sign_in_place` accepts then verifies with the same key and
//! fails with another; and any single flipped octet of a signed
//! Reconfigure is refused.

#![no_main]

use libdhcp6::auth::{
    build_reconfigure, delayed_claim, find, mac_offset, reconfigure_key, sign_in_place,
    verify_mac, verify_reconfigure,
};
use libdhcp6::wire::MessageRepr;
use libdhcp6::{Duid, MessageType};
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 16] = *b"fuzzing the key!";

fuzz_target!(|data: &[u8]| {
    let _ = find(data);
    let _ = verify_reconfigure(data, &KEY, None);
    if let Ok(claim) = delayed_claim(data) {
        let _ = claim.verify(data, &KEY, Some(claim.replay));
    }
    if let Ok(m) = MessageRepr::from_bytes(data) {
        let _ = reconfigure_key(&m);
    }
    let mut copy = data.to_vec();
    if sign_in_place(&KEY, &mut copy).is_ok() {
        let off = mac_offset(&copy).expect("signed, so it has a MAC");
        assert!(verify_mac(&KEY, &copy, off));
        assert!(!verify_mac(b"another key", &copy, off));
    }
    // A Reconfigure for a client DUID made of the input: built, signed,
    // verified; one flipped octet anywhere breaks it.
    let Ok(client) = Duid::from_bytes(data.get(..data.len().min(130)).unwrap_or_default()) else {
        return;
    };
    let server = Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]).expect("server DUID");
    let mut buf = [0u8; 512];
    let n = build_reconfigure(&mut buf, &server, &client, MessageType::Renew, 9, &KEY)
        .expect("a Reconfigure fits in 512 octets");
    let msg = &buf[..n];
    assert_eq!(verify_reconfigure(msg, &KEY, Some(8)), Ok(9));
    let at = usize::from(data.first().copied().unwrap_or(0)) % n;
    let mut bad = msg.to_vec();
    bad[at] ^= 0x01;
    assert!(verify_reconfigure(&bad, &KEY, None).is_err());
});
