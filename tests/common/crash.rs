//! What the crash tests share (tests/server_crash.rs, tests/dhcp4s_crash.rs):
//! a replayable random schedule and the kill at a random moment.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Daemon;

/// A small generator, seeded from the clock and printed, so a failing
/// schedule of kill moments can be replayed.
#[derive(Debug)]
pub struct XorShift(pub u64);

impl XorShift {
    /// Seeded from the clock (never zero, which would stay zero); the seed
    /// is printed so that a failing run can be replayed.
    pub fn from_clock() -> Self {
        let seed = now_us() | 1;
        println!("kill schedule seed {seed}");
        Self(seed)
    }

    /// The next value.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Microseconds since the epoch (the clock pcap and the generator's ACK log use).
pub fn now_us() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_micros(),
    )
    .expect("time fits in 64 bits")
}

/// Sleeps a random 0.2 to 1.5 s, kills `d` with SIGKILL and waits for it
/// to be gone; returns when it died (µs since the epoch), after a further
/// 300 ms in which answers already on their way are received and logged.
pub fn kill_at_random_moment(d: &mut Daemon, rng: &mut XorShift) -> u64 {
    std::thread::sleep(Duration::from_millis(200 + rng.next() % 1300));
    d.signal("KILL");
    assert!(
        d.wait_exit(Duration::from_secs(5)).is_some(),
        "daemon survived SIGKILL"
    );
    let killed_at = now_us();
    std::thread::sleep(Duration::from_millis(300));
    killed_at
}
