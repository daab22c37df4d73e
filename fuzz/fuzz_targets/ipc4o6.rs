//! Kea's 4o6 IPC framing on arbitrary datagrams. `extract` never panics,
//! and what it unframes frames and unframes again to the same message and
//! metadata. `attach` of any datagram, forged sub-options and all, gives a
//! datagram whose only metadata is ours: unframing it yields exactly our
//! metadata, and the message left carries none (unframing that fails).

#![no_main]

use libdhcp6::dhcp4::ipc::{attach_to_vec, extract_to_vec, Error, Meta};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((plain, meta)) = extract_to_vec(data) {
        let framed = attach_to_vec(&plain, &meta).expect("unframed metadata frames again");
        assert_eq!(
            extract_to_vec(&framed).expect("and unframes"),
            (plain, meta)
        );
    }
    let ours = Meta {
        interface: "eth0".into(),
        remote_addr: "fe80::1".parse().expect("literal"),
        remote_port: 546,
    };
    if let Ok(framed) = attach_to_vec(data, &ours) {
        let (plain, meta) = extract_to_vec(&framed).expect("what we frame unframes");
        assert_eq!(meta, ours, "a client's sub-options never win over ours");
        assert!(
            matches!(extract_to_vec(&plain), Err(Error::Missing { .. })),
            "no metadata is left once ours is taken out"
        );
    }
});
