//! Relay decapsulation: `decapsulate` on arbitrary bytes. When it succeeds,
//! wrapping the inner message back with `encapsulate_reply` must give a
//! Relay-reply chain that the relays on the way back unwrap (RelayMessage
//! view and its Relay Message, one level each, as `relay_to_client` will) to
//! the same hop counts, link and peer addresses, Interface-IDs and Relay
//! Source Ports, around the same inner message.

#![no_main]

use libdhcp6::codes::{MessageType, OptionCode};
use libdhcp6::wire::{
    decapsulate, encapsulate_reply, Options, RelayLevel, RelayMessage, Writer, MAX_MESSAGE_LEN,
    MAX_RELAY_DEPTH,
};
use libfuzzer_sys::fuzz_target;

/// Unwraps one Relay-reply level of `msg` per entry of `levels`, checking it
/// echoes that level, and finds `inner` at the bottom.
fn check_reply(msg: &[u8], levels: &[RelayLevel<'_>], inner: &[u8]) {
    let Some((level, rest)) = levels.split_first() else {
        assert_eq!(msg, inner, "the same inner message comes out of the chain");
        return;
    };
    let view = RelayMessage::new_checked(msg).expect("a relay header per level");
    assert_eq!(view.msg_type(), MessageType::RelayRepl);
    assert_eq!(view.hop_count(), level.hop_count);
    assert_eq!(view.link_address(), level.link_address);
    assert_eq!(view.peer_address(), level.peer_address);
    let find = |code| {
        Options::find(view.options_area(), code)
            .expect("the options written are well formed")
            .map(|o| o.data)
    };
    assert_eq!(find(OptionCode::InterfaceId), level.interface_id);
    let port = find(OptionCode::RelayPort).map(|p| {
        u16::from_be_bytes(<[u8; 2]>::try_from(p).expect("Relay Source Port is 2 octets"))
    });
    assert_eq!(port, level.relay_port);
    check_reply(view.relay_msg().expect("each level carries the next"), rest, inner);
}

fuzz_target!(|data: &[u8]| {
    let Ok((chain, inner)) = decapsulate(data) else { return };
    assert!(chain.len() <= MAX_RELAY_DEPTH);
    let mut buf = vec![0u8; MAX_MESSAGE_LEN];
    let mut w = Writer::new(&mut buf);
    if let Err(e) = encapsulate_reply(&chain, inner, &mut w) {
        // Only the ERO echo (RFC 4994) can make the reply outgrow the request.
        let echoes = chain.levels().iter().any(|l| l.find(OptionCode::Ero).is_some());
        assert!(echoes, "encapsulate_reply failed without an ERO to echo: {e:?}");
        return;
    }
    check_reply(w.written(), chain.levels(), inner);
});
