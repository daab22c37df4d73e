//! Any DHCPv4 message: `PacketRepr::from_bytes` on arbitrary bytes. What
//! parses must emit back byte for byte through its recorded layout
//! (overload, split options, Pads and trailers included) and re-parse
//! equal; laid out canonically instead, it must parse to the same options
//! less Overload. The first octet of the input also picks an option code
//! for `OptionRepr::parse` on the rest, which must re-encode what it
//! decodes.

#![no_main]

use libdhcp6::dhcp4::{Layout, OptionCode, OptionRepr, Packet, PacketRepr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&code, body)) = data.split_first() {
        if let Ok(o) = OptionRepr::parse(OptionCode::from(code), body) {
            assert_eq!(o.data_to_vec(), body, "an option re-encodes what it decoded");
            assert_eq!(o.code(), OptionCode::from(code));
        }
    }
    let Ok(msg) = PacketRepr::from_bytes(data) else { return };
    let out = msg.to_vec().expect("a parsed message emits");
    assert_eq!(out, data, "parse then emit must give back the input bytes");
    let again = PacketRepr::from_bytes(&out).expect("emitted bytes parse again");
    assert_eq!(again, msg, "re-parse must give an equal value");

    // The view agrees with the typed value.
    let view = Packet::new_checked(data).expect("parsed, so the header is there");
    assert_eq!(view.xid(), msg.xid);
    assert_eq!(view.chaddr(), msg.hw_addr());

    let mut canonical = msg.clone();
    canonical.layout = Layout::default();
    let Ok(bytes) = canonical.to_vec() else { return };
    let parsed = PacketRepr::from_bytes(&bytes).expect("the canonical layout parses");
    let mut want = msg.options.clone();
    want.retain(|o| o.code() != OptionCode::Overload);
    assert_eq!(parsed.options, want, "the canonical layout keeps every option");
    assert_eq!(parsed.to_vec().expect("emits"), bytes);
});
