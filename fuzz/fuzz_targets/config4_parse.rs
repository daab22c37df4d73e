//! Fuzz target: arbitrary bytes as the text of dhcp4s.conf
//! (`libdhcp6::config::server4`). Parsing and checking never panic; what
//! parses prints (`dhcp4s -t -D`) to text that parses to the same
//! configuration, and the engine accepts every configuration that parses.

#![no_main]

use libdhcp6::config::server4_from_str;
use libdhcp6::dhcp4::engine::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(s) = server4_from_str("dhcp4s.conf", text) else {
        return;
    };
    assert!(Engine::new(s.config.engine.clone()).is_ok());
    let printed = s.config.to_string();
    let again = server4_from_str("p.conf", &printed)
        .unwrap_or_else(|e| panic!("printed config does not parse: {e}\n{printed}"));
    assert_eq!(again.config, s.config, "{printed}");
});
