//! dhcp4s's lease journal reader (`libdhcp6::dhcp4::journal`) on any file
//! contents: `read4` never panics; a record body decodes to the same
//! record after encoding; whatever a file replays into an engine passes
//! the engine's audit, and its snapshot replays into a fresh engine with
//! the same leases and quarantines.

#![no_main]

use std::net::Ipv4Addr;

use libdhcp6::dhcp4::engine::{Config4, Engine, Range4, Subnet4};
use libdhcp6::dhcp4::journal::{decode_body, encode, read4, snapshot4};
use libdhcp6::lease::journal::RECORD_HEAD_LEN;
use libfuzzer_sys::fuzz_target;

/// Two subnets covering what the records name most often.
fn engine() -> Engine {
    let mut cfg = Config4::new(Ipv4Addr::new(10, 0, 0, 1));
    for (id, net) in [(1, Ipv4Addr::new(10, 0, 0, 0)), (2, Ipv4Addr::new(0, 0, 0, 0))] {
        let mut s = Subnet4::new(id, net, if id == 1 { 24 } else { 1 });
        if id == 1 {
            s.ranges.push(Range4 {
                first: Ipv4Addr::new(10, 0, 0, 10),
                last: Ipv4Addr::new(10, 0, 0, 200),
            });
        }
        cfg.subnets.push(s);
    }
    Engine::new(cfg).expect("valid configuration")
}

fuzz_target!(|data: &[u8]| {
    if let Some(rec) = decode_body(data) {
        let mut buf = Vec::new();
        encode(&rec, &mut buf);
        assert_eq!(decode_body(&buf[RECORD_HEAD_LEN..]).as_ref(), Some(&rec));
    }
    let now = 1000;
    let mut e = engine();
    if read4(data, |r| e.replay(&r.into_change(), now)).is_err() {
        return;
    }
    e.audit().expect("replayed table consistent");
    let mut leases = e.leases();
    leases.sort_by_key(|l| l.addr);
    let mut q = e.quarantines();
    q.sort();
    let snap = snapshot4(&leases, &q);
    let mut again = engine();
    read4(&snap, |r| again.replay(&r.into_change(), now)).expect("snapshot reads");
    let mut l2 = again.leases();
    l2.sort_by_key(|l| l.addr);
    let mut q2 = again.quarantines();
    q2.sort();
    assert_eq!(l2, leases);
    assert_eq!(q2, q);
});
