//! RFC 8415 timing constants (§7.6) and the retransmission algorithm (§15).
//!
//! Pure arithmetic: the caller supplies the random factor and the elapsed
//! time, so tests drive it with fixed values and a fake clock.

use core::time::Duration;

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Max delay of first Solicit.
pub const SOL_MAX_DELAY: Duration = secs(1);
/// Initial Solicit timeout.
pub const SOL_TIMEOUT: Duration = secs(1);
/// Max Solicit timeout (RFC 7083 raised it from 120 s).
pub const SOL_MAX_RT: Duration = secs(3600);
/// Initial Request timeout.
pub const REQ_TIMEOUT: Duration = secs(1);
/// Max Request timeout.
pub const REQ_MAX_RT: Duration = secs(30);
/// Max Request transmissions.
pub const REQ_MAX_RC: u32 = 10;
/// Max delay of first Confirm.
pub const CNF_MAX_DELAY: Duration = secs(1);
/// Initial Confirm timeout.
pub const CNF_TIMEOUT: Duration = secs(1);
/// Max Confirm timeout.
pub const CNF_MAX_RT: Duration = secs(4);
/// Max Confirm duration.
pub const CNF_MAX_RD: Duration = secs(10);
/// Initial Renew timeout.
pub const REN_TIMEOUT: Duration = secs(10);
/// Max Renew timeout.
pub const REN_MAX_RT: Duration = secs(600);
/// Initial Rebind timeout.
pub const REB_TIMEOUT: Duration = secs(10);
/// Max Rebind timeout.
pub const REB_MAX_RT: Duration = secs(600);
/// Max delay of first Information-request.
pub const INF_MAX_DELAY: Duration = secs(1);
/// Initial Information-request timeout.
pub const INF_TIMEOUT: Duration = secs(1);
/// Max Information-request timeout (RFC 7083 raised it from 120 s).
pub const INF_MAX_RT: Duration = secs(3600);
/// Initial Release timeout.
pub const REL_TIMEOUT: Duration = secs(1);
/// Max Release transmissions (5 in RFC 3315).
pub const REL_MAX_RC: u32 = 4;
/// Initial Decline timeout.
pub const DEC_TIMEOUT: Duration = secs(1);
/// Max Decline transmissions (5 in RFC 3315).
pub const DEC_MAX_RC: u32 = 4;
/// Initial Reconfigure timeout.
pub const REC_TIMEOUT: Duration = secs(2);
/// Max Reconfigure attempts.
pub const REC_MAX_RC: u32 = 8;
/// Max hop count in a Relay-forward (32 in RFC 3315).
pub const HOP_COUNT_LIMIT: u8 = 8;
/// IPv6 Hop Limit a relay uses towards a multicast destination.
pub const RELAY_MULTICAST_HOP_LIMIT: u32 = 8;
/// Default information refresh time (RFC 8415 §21.23).
pub const IRT_DEFAULT: Duration = secs(86400);
/// Minimum information refresh time (RFC 8415 §21.23).
pub const IRT_MINIMUM: Duration = secs(600);
/// Max time a client waits for answers after a transmission.
pub const MAX_WAIT_TIME: Duration = secs(60);
/// Smallest SOL_MAX_RT / INF_MAX_RT a client accepts (RFC 8415 §21.24).
pub const MAX_RT_FLOOR: u32 = 60;
/// Largest SOL_MAX_RT / INF_MAX_RT a client accepts (RFC 8415 §21.24).
pub const MAX_RT_CEILING: u32 = 86400;

/// The parameters of one kind of exchange (RFC 8415 §15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retransmit {
    /// Initial retransmission time.
    pub irt: Duration,
    /// Maximum retransmission time; zero means no cap.
    pub mrt: Duration,
    /// Maximum transmission count; zero means no limit.
    pub mrc: u32,
    /// Maximum retransmission duration; zero means no limit.
    pub mrd: Duration,
}

/// Where an exchange is: the current RT and how many transmissions were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetransState {
    /// The timeout running after the latest transmission.
    pub rt: Duration,
    /// Transmissions made so far.
    pub sent: u32,
}

/// Clamps the random factor to RFC 8415's [-0.1, +0.1].
fn clamp_rand(rand: f64) -> f64 {
    if rand.is_nan() {
        0.0
    } else {
        rand.clamp(-0.1, 0.1)
    }
}

fn scale(d: Duration, factor: f64) -> Duration {
    Duration::from_secs_f64((d.as_secs_f64() * factor).max(0.0))
}

impl Retransmit {
    /// Solicit: IRT 1 s, MRT 3600 s, no count or duration limit.
    pub const SOLICIT: Self = Self {
        irt: SOL_TIMEOUT,
        mrt: SOL_MAX_RT,
        mrc: 0,
        mrd: Duration::ZERO,
    };
    /// Request: IRT 1 s, MRT 30 s, 10 transmissions.
    pub const REQUEST: Self = Self {
        irt: REQ_TIMEOUT,
        mrt: REQ_MAX_RT,
        mrc: REQ_MAX_RC,
        mrd: Duration::ZERO,
    };
    /// Confirm: IRT 1 s, MRT 4 s, MRD 10 s.
    pub const CONFIRM: Self = Self {
        irt: CNF_TIMEOUT,
        mrt: CNF_MAX_RT,
        mrc: 0,
        mrd: CNF_MAX_RD,
    };
    /// Information-request: IRT 1 s, MRT 3600 s.
    pub const INFORMATION_REQUEST: Self = Self {
        irt: INF_TIMEOUT,
        mrt: INF_MAX_RT,
        mrc: 0,
        mrd: Duration::ZERO,
    };
    /// Release: IRT 1 s, no cap, 4 transmissions.
    pub const RELEASE: Self = Self {
        irt: REL_TIMEOUT,
        mrt: Duration::ZERO,
        mrc: REL_MAX_RC,
        mrd: Duration::ZERO,
    };
    /// Decline: IRT 1 s, no cap, 4 transmissions.
    pub const DECLINE: Self = Self {
        irt: DEC_TIMEOUT,
        mrt: Duration::ZERO,
        mrc: DEC_MAX_RC,
        mrd: Duration::ZERO,
    };

    /// Reconfigure, sent by a server: IRT 2 s, no cap, 8 transmissions
    /// (RFC 8415 §18.3.11; C-083).
    pub const RECONFIGURE: Self = Self {
        irt: REC_TIMEOUT,
        mrt: Duration::ZERO,
        mrc: REC_MAX_RC,
        mrd: Duration::ZERO,
    };

    /// Renew: IRT 10 s, MRT 600 s, lasting until the earliest T2 (`until_t2`).
    pub fn renew(until_t2: Duration) -> Self {
        Self {
            irt: REN_TIMEOUT,
            mrt: REN_MAX_RT,
            mrc: 0,
            mrd: until_t2,
        }
    }

    /// Rebind: IRT 10 s, MRT 600 s, lasting until the last valid lifetime ends.
    pub fn rebind(until_expiry: Duration) -> Self {
        Self {
            irt: REB_TIMEOUT,
            mrt: REB_MAX_RT,
            mrc: 0,
            mrd: until_expiry,
        }
    }

    /// The first transmission: RT = IRT + RAND*IRT.
    pub fn start(&self, rand: f64) -> RetransState {
        self.first(scale(self.irt, 1.0 + clamp_rand(rand)))
    }

    /// The first Solicit: RAND is drawn from (0, 0.1] so that RT is strictly
    /// above IRT and the client waits out the whole first RT collecting
    /// Advertises (RFC 8415 §18.2.1).
    pub fn start_solicit(&self, rand: f64) -> RetransState {
        // One microsecond per second is the smallest step a Duration keeps.
        let r = clamp_rand(rand).abs().max(1e-6);
        self.first(scale(self.irt, 1.0 + r))
    }

    /// The state after the first transmission, waiting `rt`. MRD bounds
    /// the first wait too (RFC 8415 §15: the exchange ends at MRD), so a
    /// Renew with 8 s left before T2 gives up at T2, not after its 10 s IRT.
    fn first(&self, rt: Duration) -> RetransState {
        let rt = if self.mrd.is_zero() {
            rt
        } else {
            rt.min(self.mrd)
        };
        RetransState { rt, sent: 1 }
    }

    /// After the current RT ran out: the next RT, or `None` when the exchange
    /// has failed (MRC transmissions made, or `elapsed` since the first
    /// transmission reached MRD).
    pub fn next(&self, state: &mut RetransState, elapsed: Duration, rand: f64) -> Option<Duration> {
        if self.mrc != 0 && state.sent >= self.mrc {
            return None;
        }
        if !self.mrd.is_zero() && elapsed >= self.mrd {
            return None;
        }
        let r = clamp_rand(rand);
        let mut rt = scale(state.rt, 2.0 + r);
        if !self.mrt.is_zero() && rt > self.mrt {
            rt = scale(self.mrt, 1.0 + r);
        }
        // MRD bounds the last wait too (RFC 8415 §15: the exchange ends at MRD).
        if !self.mrd.is_zero() {
            rt = rt.min(self.mrd.saturating_sub(elapsed));
        }
        state.rt = rt;
        state.sent += 1;
        Some(rt)
    }
}

/// Clamps a received SOL_MAX_RT / INF_MAX_RT: values outside 60..86400 are
/// ignored (C-123).
pub fn accept_max_rt(value: u32) -> Option<Duration> {
    (MAX_RT_FLOOR..=MAX_RT_CEILING)
        .contains(&value)
        .then(|| secs(u64::from(value)))
}

/// Elapsed Time option value for `since_first`: hundredths of a second,
/// saturating at 0xffff (C-011).
pub fn elapsed_time_value(since_first: Duration) -> u16 {
    u16::try_from(since_first.as_millis() / 10).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// C-026: RFC 8415 defaults, not RFC 3315's.
    #[test]
    fn c026_constants() {
        assert_eq!(SOL_MAX_RT, secs(3600));
        assert_eq!(INF_MAX_RT, secs(3600));
        assert_eq!(REL_MAX_RC, 4);
        assert_eq!(DEC_MAX_RC, 4);
        assert_eq!(HOP_COUNT_LIMIT, 8);
    }

    fn within(rt: Duration, nominal: Duration) -> bool {
        let (lo, hi) = (
            nominal.as_secs_f64() * 0.9 - 1e-9,
            nominal.as_secs_f64() * 1.1 + 1e-9,
        );
        (lo..=hi).contains(&rt.as_secs_f64())
    }

    /// C-027: each RT lies within ±10% of IRT, 2×RTprev, or MRT when capped.
    #[test]
    fn c027_rt_within_ten_percent() {
        for &rand in &[-0.1, -0.05, 0.0, 0.07, 0.1, 5.0, f64::NAN] {
            let p = Retransmit::REQUEST;
            let mut st = p.start(rand);
            assert!(within(st.rt, p.irt), "{:?}", st.rt);
            for _ in 0..8 {
                let prev = st.rt;
                let rt = p.next(&mut st, Duration::ZERO, rand).unwrap();
                let nominal = if prev * 2 > p.mrt { p.mrt } else { prev * 2 };
                assert!(
                    within(rt, nominal) || within(rt, p.mrt),
                    "{rt:?} vs {nominal:?}"
                );
                assert!(rt <= p.mrt.mul_f64(1.1));
            }
        }
    }

    /// C-113: the first Solicit RT is above 1.0 s and at most 1.1 s.
    #[test]
    fn c113_first_solicit_rt() {
        for &rand in &[-0.1, 0.0, 0.05, 0.1] {
            let st = Retransmit::SOLICIT.start_solicit(rand);
            assert!(
                st.rt > secs(1) && st.rt <= Duration::from_millis(1100),
                "{:?}",
                st.rt
            );
        }
    }

    /// C-028: MRC = MRD = 0 never gives up; MRC = n stops after n transmissions.
    #[test]
    fn c028_give_up_rules() {
        let p = Retransmit::SOLICIT;
        let mut st = p.start_solicit(0.0);
        for _ in 0..10_000 {
            assert!(p.next(&mut st, secs(1_000_000), 0.0).is_some());
        }
        assert!(within(st.rt, SOL_MAX_RT));
        let p = Retransmit::RELEASE;
        let mut st = p.start(0.0);
        let mut sent = 1;
        while p.next(&mut st, Duration::ZERO, 0.0).is_some() {
            sent += 1;
        }
        assert_eq!(sent, REL_MAX_RC);
        let p = Retransmit::CONFIRM;
        let mut st = p.start(0.0);
        assert!(p.next(&mut st, secs(9), 0.0).unwrap() <= secs(1));
        assert!(p.next(&mut st, secs(10), 0.0).is_none());
    }

    /// MRD bounds the first RT as it bounds the last (RFC 8415 §15);
    /// without MRD the first RT is IRT's.
    #[test]
    fn mrd_bounds_the_first_rt() {
        let renew = Retransmit::renew(secs(8));
        assert_eq!(renew.start(0.1).rt, secs(8));
        let mut st = renew.start(0.0);
        assert_eq!(renew.next(&mut st, secs(8), 0.0), None);
        assert!(within(Retransmit::renew(secs(100)).start(0.0).rt, secs(10)));
        assert!(within(Retransmit::REQUEST.start(0.0).rt, secs(1)));
    }

    /// C-011: hundredths of a second, saturating.
    #[test]
    fn c011_elapsed_time() {
        assert_eq!(elapsed_time_value(Duration::from_millis(1234)), 123);
        assert_eq!(elapsed_time_value(secs(655)), 65500);
        assert_eq!(elapsed_time_value(secs(656)), 0xffff);
        assert_eq!(elapsed_time_value(secs(100_000)), 0xffff);
    }

    #[test]
    fn c123_max_rt_bounds() {
        assert_eq!(accept_max_rt(59), None);
        assert_eq!(accept_max_rt(60), Some(secs(60)));
        assert_eq!(accept_max_rt(86400), Some(secs(86400)));
        assert_eq!(accept_max_rt(86401), None);
    }
}
