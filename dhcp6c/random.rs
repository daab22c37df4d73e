//! Where the client machine's randomness comes from: transaction-ids
//! (RFC 8415 §16.1 asks that they be unpredictable), RAND of the
//! retransmission timers (RFC 8415 §15) and the random initial delays. The
//! machine draws through [`RandomSource`] and never touches the OS itself:
//! the shell passes the kernel's generator (`main.rs`, through
//! `libdhcp6::sys::random`), tests a seeded one so their runs repeat.

use std::time::Duration;

/// A source of uniformly random 64-bit values.
pub trait RandomSource: std::fmt::Debug {
    /// The next value.
    fn next_u64(&mut self) -> u64;
}

/// The machine's draws from a [`RandomSource`].
pub trait Draw {
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64;
    /// RAND of RFC 8415 §15: uniform in [-0.1, 0.1].
    fn rand(&mut self) -> f64;
    /// A fresh 24-bit transaction-id.
    fn xid(&mut self) -> u32;
    /// Uniform in [0, `d`] (at most `d`: the nanosecond rounding of
    /// `d` times a value just below 1 may give `d`).
    fn upto(&mut self, d: Duration) -> Duration;
}

impl<R: RandomSource + ?Sized> Draw for R {
    fn unit(&mut self) -> f64 {
        // 53 bits: all an f64 mantissa holds, so every value is exact.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn rand(&mut self) -> f64 {
        self.unit() * 0.2 - 0.1
    }

    fn xid(&mut self) -> u32 {
        u32::try_from(self.next_u64() & 0xff_ffff).expect("masked to 24 bits")
    }

    fn upto(&mut self, d: Duration) -> Duration {
        d.mul_f64(self.unit())
    }
}

/// A repeatable generator for tests (xorshift64): the same seed gives the
/// same transaction-ids and delays, so a test that fails fails again.
#[cfg(test)]
#[derive(Debug, Clone)]
pub struct Seeded(u64);

#[cfg(test)]
impl Seeded {
    /// A generator from `seed` (0, a fixed point of xorshift, is replaced).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }
}

#[cfg(test)]
impl RandomSource for Seeded {
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The draws stay in their ranges whatever the source gives, its
    /// extremes included.
    #[test]
    fn draws_in_range() {
        #[derive(Debug)]
        struct Fixed(u64);
        impl RandomSource for Fixed {
            fn next_u64(&mut self) -> u64 {
                self.0
            }
        }
        for v in [0, 1, u64::MAX / 2, u64::MAX - 1, u64::MAX] {
            let mut r = Fixed(v);
            assert!((0.0..1.0).contains(&r.unit()), "{v:#x}");
            assert!((-0.1..=0.1).contains(&r.rand()), "{v:#x}");
            assert!(r.xid() <= 0xff_ffff, "{v:#x}");
            let d = Duration::from_secs(1);
            // Nanosecond rounding may reach `d` itself.
            assert!(r.upto(d) <= d, "{v:#x}");
        }
        let mut s = Seeded::new(7);
        let xids: Vec<u32> = (0..32).map(|_| s.xid()).collect();
        assert!(xids.iter().skip(1).any(|x| *x != xids[0]));
    }
}
