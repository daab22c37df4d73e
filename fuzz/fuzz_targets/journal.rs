//! The lease journal's reader (`libdhcp6::lease::journal`) on any file
//! contents: `replay` never panics, whatever the header, lengths,
//! checksums or records hold; a journal it reads snapshots to bytes that
//! replay to the same snapshot; a record body decodes to the same record
//! after encoding; every Reconfigure record's path is decoded without
//! panicking; a journal read without damage reads the same with the
//! zero-filled room a journal is grown by after it.

#![no_main]

use libdhcp6::lease::journal::{decode_body, encode, replay, snapshot, Record, RECORD_HEAD_LEN};
use libdhcp6::lease::LeaseStore;
use libdhcp6::request::decode_path;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(rec) = decode_body(data) {
        let mut buf = Vec::new();
        encode(&rec, &mut buf);
        let again: Option<Record> = decode_body(&buf[RECORD_HEAD_LEN..]);
        assert_eq!(again.as_ref(), Some(&rec));
    }
    let now = data
        .get(..8)
        .map(|b| u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .unwrap_or(0);
    let Ok(r) = replay(data, now) else { return };
    for rec in r.store.reconfs() {
        let _ = decode_path(&rec.info.path);
    }
    let snap = snapshot(&r.store);
    if r.damage.is_none() && r.good_len == data.len() as u64 && !data.is_empty() {
        let mut roomy = data.to_vec();
        roomy.resize(data.len() + 64, 0);
        let with_room = replay(&roomy, now).expect("room after records replays");
        assert!(with_room.damage.is_none());
        assert_eq!(with_room.good_len, r.good_len);
        assert_eq!(snapshot(&with_room.store), snap);
    }
    let again = replay(&snap, now).expect("a snapshot replays");
    assert!(again.damage.is_none());
    assert_eq!(snapshot(&again.store), snap);
});
