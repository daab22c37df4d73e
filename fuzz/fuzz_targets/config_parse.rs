//! Fuzz target: arbitrary bytes as the text of dhcp6s.conf and dhcp6c.conf.
//! The parser and both `configure_*` must never panic; whatever parses must
//! print to text that parses to the same configuration.
//!
//! Includes resolve to the input itself, so nesting and the depth limit
//! are exercised too.

#![no_main]

use libdhcp6::config::{load_client, load_server, LoadError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut loader = |path: &str| -> Result<String, LoadError> {
        if path.ends_with("missing.conf") {
            Err(LoadError::NotFound)
        } else {
            Ok(text.to_string())
        }
    };
    if let Ok(s) = load_server("dhcp6s.conf", &mut loader, 0) {
        let printed = s.config.to_string();
        let again = load_server("p.conf", &mut |_: &str| Ok(printed.clone()), 0)
            .unwrap_or_else(|e| panic!("printed server config does not parse: {e}\n{printed}"));
        assert_eq!(again.config, s.config, "{printed}");
    }
    if let Ok(c) = load_client("dhcp6c.conf", &mut loader, 0) {
        let printed = c.config.to_string();
        let again = load_client("p.conf", &mut |_: &str| Ok(printed.clone()), 0)
            .unwrap_or_else(|e| panic!("printed client config does not parse: {e}\n{printed}"));
        assert_eq!(again.config, c.config, "{printed}");
    }
});
