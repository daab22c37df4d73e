//! Typed values: every option of an options area through `OptionRepr::parse`,
//! then emit, then parse again, must give the same bytes and an equal value;
//! and a whole client/server message through `MessageRepr` the same way.

#![no_main]

use libdhcp6::wire::{MessageRepr, OptionRepr, Options, Writer, MAX_MESSAGE_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buf = vec![0u8; MAX_MESSAGE_LEN];
    for opt in Options::new(data) {
        let Ok(opt) = opt else { break };
        let Ok(repr) = OptionRepr::parse(&opt) else { continue };
        assert_eq!(repr.code(), opt.code);
        let mut w = Writer::new(&mut buf);
        repr.emit(&mut w).expect("a parsed option emits");
        let mut again = Options::new(w.written());
        let reparsed = again.next().expect("one option").expect("well formed");
        assert!(again.next().is_none(), "emit wrote exactly one option");
        assert_eq!(reparsed, opt, "parse then emit must give back the option bytes");
        assert_eq!(OptionRepr::parse(&reparsed), Ok(repr), "re-parse must be equal");
    }

    if let Ok(msg) = MessageRepr::from_bytes(data) {
        let mut w = Writer::new(&mut buf);
        msg.emit(&mut w).expect("a parsed message emits");
        assert_eq!(w.written(), data, "parse then emit must give back the message bytes");
        assert_eq!(MessageRepr::from_bytes(w.written()), Ok(msg), "re-parse must be equal");
    }
});
