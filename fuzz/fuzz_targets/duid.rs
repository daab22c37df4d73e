//! DUIDs and domain names from text and from files: `Duid::from_text`,
//! `Duid::from_file_bytes` and `DomainName::from_text` never panic, and what
//! they accept prints to text that parses back to the same value; names
//! decoded from the wire print to text that encodes back to the same wire.

#![no_main]

use libdhcp6::wire::DomainName;
use libdhcp6::Duid;
use libfuzzer_sys::fuzz_target;

/// An option code that carries a domain list (OPTION_DOMAIN_LIST), and one
/// that carries a possibly partial name (OPTION_CLIENT_FQDN), for errors.
const DOMAIN_LIST: u16 = 24;
const CLIENT_FQDN: u16 = 39;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = Duid::from_file_bytes(data) {
        let file = d.to_file_bytes();
        assert!(data.starts_with(&file), "the file bytes are the prefix that was read");
        assert_eq!(Duid::from_file_bytes(&file), Ok(d));
    }
    if let Ok(d) = Duid::from_bytes(data) {
        assert_eq!(Duid::from_text(&d.to_string()), Ok(d));
    }

    if let Ok(names) = DomainName::parse_list(data, DOMAIN_LIST) {
        for n in names {
            assert_eq!(DomainName::from_text(&n.to_string()), Ok(n));
        }
    }
    if let Ok(n) = DomainName::parse_partial(data, CLIENT_FQDN) {
        assert_eq!(DomainName::from_text_partial(&n.to_string()), Ok(n));
    }

    let Ok(text) = core::str::from_utf8(data) else { return };
    if let Ok(d) = Duid::from_text(text) {
        assert_eq!(Duid::from_text(&d.to_string()), Ok(d));
    }
    if let Ok(n) = DomainName::from_text(text) {
        assert!(n.is_fqdn());
        assert_eq!(DomainName::from_text(&n.to_string()), Ok(n.clone()));
        assert_eq!(DomainName::parse_list(n.as_wire(), DOMAIN_LIST), Ok(vec![n]));
    }
    if let Ok(n) = DomainName::from_text_partial(text) {
        assert_eq!(DomainName::from_text_partial(&n.to_string()), Ok(n.clone()));
        assert_eq!(DomainName::parse_partial(n.as_wire(), CLIENT_FQDN), Ok(n));
    }
});
