//! The server's view of a client message (`libdhcp6::request`) on any
//! bytes: `ClientMsg::parse` never panics and keeps its bounds (at most
//! MAX_IAS IAs, MAX_LISTED leases in each, one IA per type and IAID);
//! whatever it accepts also decodes as a message; a recorded client path
//! decodes back to the chain it was made from, and `decode_path` never
//! panics on any bytes.

#![no_main]

use libdhcp6::request::{decode_path, encode_path, ClientMsg, PathBytes, MAX_IAS, MAX_LISTED};
use libdhcp6::wire::{decapsulate, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_path(data);
    if let Ok(m) = ClientMsg::parse(data) {
        assert!(m.ias.len() <= MAX_IAS);
        for (i, ia) in m.ias.iter().enumerate() {
            assert!(ia.listed.len() <= MAX_LISTED);
            assert!(
                !m.ias[..i].iter().any(|o| o.kind == ia.kind && o.iaid == ia.iaid),
                "one IA per type and IAID"
            );
        }
        assert!(m.oro.len() % 2 == 0);
        assert!(Message::new_checked(data).is_ok());
    }
    // A datagram that unwraps as relayed: its path round-trips.
    if let Ok((chain, _)) = decapsulate(data) {
        let src = "[2001:db8::1]:547".parse().expect("literal");
        let mut path = PathBytes::new();
        encode_path(&src, 7, &chain, &mut path);
        let r = decode_path(&path).expect("an encoded path decodes");
        assert_eq!(r.ifindex, 7);
        assert_eq!(r.chain.len(), chain.len());
        for (a, b) in r.chain.levels().iter().zip(chain.levels()) {
            assert_eq!(
                (a.hop_count, a.link_address, a.peer_address, a.interface_id, a.relay_port),
                (b.hop_count, b.link_address, b.peer_address, b.interface_id, b.relay_port)
            );
        }
    }
});
