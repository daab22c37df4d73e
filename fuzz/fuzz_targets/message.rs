//! Any DHCPv6 message: `AnyMessage::from_bytes` on arbitrary bytes. The
//! library promises that what it parses it emits back byte for byte (relays
//! forward bytes verbatim and MACs cover exact bytes), so when parsing
//! succeeds, emit must give back exactly the input and re-parsing it must
//! give an equal value. Relay messages are followed inwards, level by level,
//! through their Relay Message option.

#![no_main]

use libdhcp6::wire::{AnyMessage, Message, Writer, MAX_MESSAGE_LEN, MAX_RELAY_DEPTH};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buf = vec![0u8; MAX_MESSAGE_LEN];
    let mut bytes = data;
    let mut inner: Vec<u8>;
    for _ in 0..=MAX_RELAY_DEPTH {
        let Ok(msg) = AnyMessage::from_bytes(bytes) else { return };
        let mut w = Writer::new(&mut buf);
        msg.emit(&mut w).expect("a parsed message emits");
        let out = w.written();
        assert_eq!(out, bytes, "parse then emit must give back the input bytes");
        let again = AnyMessage::from_bytes(out).expect("emitted bytes parse again");
        assert_eq!(again, msg, "re-parse must give an equal value");
        match &msg {
            AnyMessage::Relay(relay) => {
                inner = relay.relay_msg().expect("a parsed relay message has one").to_vec();
                bytes = &inner;
            }
            AnyMessage::Message(m) => {
                // The view agrees with the typed value.
                let view = Message::new_checked(bytes).expect("parsed, so the header is there");
                assert_eq!(view.msg_type(), m.msg_type);
                assert_eq!(view.transaction_id(), m.transaction_id);
                assert_eq!(view.options().count(), m.options.len());
                return;
            }
        }
    }
});
