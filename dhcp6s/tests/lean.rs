//! Not a test of behaviour: the memory and restart figures of issue 15's
//! "lean at a million", in process and deterministic (heap octets counted
//! by the test allocator, not RSS), printed with
//!
//! ```text
//! cargo test --release --bin dhcp6s -- --ignored --nocapture --test-threads 1 lean_at
//! ```
//!
//! `LEAN_N` sets the number of clients (default 1,000,000); `LEAN_PD=1`
//! gives each an IA_PD beside its IA_NA, as `perfdhcp -e
//! address-and-prefix` does. Clients are as perfdhcp makes them: a
//! 14-octet DUID-LLT, one IA_NA (IAID 1) with one address from a pool the
//! size of a /64. Run it alone: the counters are the whole process's.

use std::time::Instant;

use libdhcp6::sys::journal::{JournalStore, Opened};

use super::alloc_count::{live, peak, reset_peak};
use super::*;

const LEAN_CONF: &str = "\
pool big { range 2001:db8:1:: to 2001:db8:1::ffff:ffff:ffff:ffff; };
prefix-pool pd { prefix 2001:db8:8000::/33 delegate 56; };
interface s0 { address-pool big 3600 7200; prefix-pool pd 3600 7200; };
";

/// Client `i`'s Request: DUID-LLT (hardware type 1, a fixed time, a MAC
/// made of `i`), IA_NA 1 and, with `pd`, IA_PD 1.
fn lean_request(i: u32, pd: bool) -> Vec<u8> {
    let mut id = vec![0, 1, 0, 1, 0x2a, 0x2b, 0x2c, 0x2d, 0x02, 0x42];
    id.extend_from_slice(&i.to_be_bytes());
    let mut o = vec![
        OptionRepr::ClientId(Duid::from_bytes(&id).unwrap()),
        OptionRepr::ServerId(server_duid()),
        ia_na(1, &[]),
    ];
    if pd {
        o.push(ia_pd(1, &[]));
    }
    msg(MessageType::Request, i & 0xff_ffff, o)
        .to_vec()
        .unwrap()
}

/// Octets per binding, one decimal.
fn per(octets: usize, n: usize) -> String {
    format!("{:.1}", octets as f64 / n.max(1) as f64)
}

#[test]
#[ignore]
fn lean_at_a_million() {
    let n: u32 = std::env::var("LEAN_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let pd = std::env::var("LEAN_PD").is_ok_and(|v| v == "1");
    // LEAN_JOURNAL=PATH keeps the filled journal at PATH, and a later run
    // given the same PATH replays it without filling again.
    let kept = std::env::var_os("LEAN_JOURNAL").map(std::path::PathBuf::from);
    let dir = std::env::temp_dir().join(format!("kame6-lean-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = kept.clone().unwrap_or_else(|| dir.join("leases"));
    let now = 1_000_000u64;
    if kept.is_some() && path.exists() {
        for _ in 0..3 {
            let t0 = Instant::now();
            let Opened { store, .. } = JournalStore::open(&path, now + 1).unwrap();
            let opened = t0.elapsed();
            let s = server_with(LEAN_CONF, store);
            println!(
                "lean: {} bindings: journal replayed in {opened:?}, pools built too in {:?}",
                s.store.bindings().count(),
                t0.elapsed()
            );
        }
        return;
    }
    let mut out = vec![0u8; 65535];

    let base = live();
    reset_peak();
    let Opened { store, .. } = JournalStore::open(&path, now).unwrap();
    let mut s = server_with(LEAN_CONF, store);
    for i in 0..n {
        let req = lean_request(i, pd);
        s.server6_recv(&direct(&req, true), now, &mut out).unwrap();
        if i % 4096 == 4095 {
            s.store.commit().unwrap();
        }
    }
    s.store.commit().unwrap();
    let bindings = s.store.bindings().count();
    let (filled, fill_peak) = (live() - base, peak() - base);
    let journal = std::fs::metadata(&path).unwrap().len();
    drop(s);

    let base = live();
    reset_peak();
    let t0 = Instant::now();
    let Opened { store, report } = JournalStore::open(&path, now + 1).unwrap();
    let opened = t0.elapsed();
    let s = server_with(LEAN_CONF, store);
    let replay = t0.elapsed();
    let (replayed, replay_peak) = (live() - base, peak() - base);
    assert_eq!(s.store.bindings().count(), bindings);
    println!(
        "lean: {n} clients{}, {bindings} bindings, {} records replayed\n\
         lean: filled: {} heap octets per binding live, {} at the peak\n\
         lean: journal {journal} octets ({} per binding)\n\
         lean: restart: journal replayed in {opened:?}, pools built too in {replay:?}; {} octets per binding live after, {} at the peak",
        if pd { " with IA_NA and IA_PD" } else { " with IA_NA" },
        report.records,
        per(filled, bindings),
        per(fill_peak, bindings),
        per(usize::try_from(journal).unwrap(), bindings),
        per(replayed, bindings),
        per(replay_peak, bindings),
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}
