//! Overload policy shared by dhcp6s and dhcp6relay: which received
//! datagrams to shed when more arrive than the daemon can answer, and how
//! large the receive buffer should be. Pure: the daemons measure (kernel
//! receive timestamps, how full each receive batch came back, how long
//! the work took) and this module decides.
//!
//! The rule (doc/overload.md says why):
//! - Pressure starts when a datagram has waited longer than
//!   [`Thresholds::on_age`], or when a turn read [`Thresholds::on_depth`]
//!   datagrams and the last batch still came back full; it stops only
//!   after a whole turn in which no datagram waited more than
//!   [`Thresholds::off_age`] and the socket was drained (hysteresis).
//! - Without pressure nothing is shed.
//! - Under pressure, only messages that start an exchange from nothing
//!   (Solicit, Information-request) are shed, and only when they waited
//!   longer than [`Thresholds::stale`]: an answer that late adds to the
//!   queue every later message waits in, and a client that waited past
//!   its first retransmission ([`Thresholds::retransmitted`]) has sent
//!   another copy anyway. Everything that completes an exchange or keeps
//!   a client bound (Request, Renew, Rebind, Release, Decline, Confirm) is
//!   always served: the work a Solicit started is only worth something
//!   once its Request is answered.

use std::time::Duration;

use crate::codes::MessageType;
use crate::stats::{Exposition, Histogram, Kind};

pub mod admission;

pub use admission::{Action, Admission};

/// Relay-forward nesting followed when looking for the client's message
/// (RFC 8415 §19.1: HOP_COUNT_LIMIT 8 relays; 32 is plenty).
const MAX_RELAY_DEPTH: usize = 32;
/// Relay-forward header: msg-type, hop-count, link-address, peer-address.
const RELAY_HEADER: usize = 34;
/// OPTION_RELAY_MSG.
const OPTION_RELAY_MSG: u16 = 9;

/// What a datagram asks for, as far as shedding is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Starts an exchange from nothing: Solicit, Information-request.
    /// Cheap to shed (the client retransmits), worthless when late.
    Starts,
    /// Completes an exchange or keeps a client bound: Request, Renew,
    /// Rebind, Release, Decline, Confirm. Never shed.
    Completes,
    /// Anything else (replies, leasequery, DHCPv4-over-DHCPv6,
    /// unparseable): handled as it comes; the daemon decides.
    Other,
}

/// The work a client message type is.
pub fn work_of(t: MessageType) -> Work {
    match t {
        MessageType::Solicit | MessageType::InformationRequest => Work::Starts,
        MessageType::Request
        | MessageType::Renew
        | MessageType::Rebind
        | MessageType::Release
        | MessageType::Decline
        | MessageType::Confirm => Work::Completes,
        _ => Work::Other,
    }
}

/// The client's message type in `pkt`, looking through Relay-forward
/// messages to the innermost one; `None` when it does not parse that far.
/// Reads only lengths and types: cheap enough to run on every datagram of
/// a flood.
pub fn client_msg_type(pkt: &[u8]) -> Option<MessageType> {
    let mut msg = pkt;
    for _ in 0..=MAX_RELAY_DEPTH {
        let t = MessageType::from(*msg.first()?);
        if t != MessageType::RelayForw {
            return Some(t);
        }
        msg = relay_msg(msg.get(RELAY_HEADER..)?)?;
    }
    None
}

/// The body of the Relay Message option among `opts`.
fn relay_msg(mut opts: &[u8]) -> Option<&[u8]> {
    while opts.len() >= 4 {
        let code = u16::from_be_bytes([opts[0], opts[1]]);
        let len = usize::from(u16::from_be_bytes([opts[2], opts[3]]));
        let body = opts.get(4..4 + len)?;
        if code == OPTION_RELAY_MSG {
            return Some(body);
        }
        opts = &opts[4 + len..];
    }
    None
}

/// The work `pkt` is (see [`Work`]).
pub fn classify(pkt: &[u8]) -> Work {
    client_msg_type(pkt).map_or(Work::Other, work_of)
}

/// Why a datagram was shed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShedReason {
    /// Waited longer than the queueing target while under pressure.
    Stale,
    /// Waited past the client's first retransmission: it has sent another copy.
    Retransmitted,
}

impl ShedReason {
    /// Every reason, in counter order.
    pub const ALL: [ShedReason; 2] = [Self::Stale, Self::Retransmitted];

    /// Label for statistics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Stale => "stale",
            Self::Retransmitted => "retransmitted",
        }
    }
}

/// What to do with one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Handle it.
    Serve,
    /// Drop it unread, for this reason.
    Shed(ShedReason),
}

/// The thresholds of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// A datagram that waited longer starts pressure.
    pub on_age: Duration,
    /// Pressure stops after a drained turn whose datagrams all waited less.
    pub off_age: Duration,
    /// Under pressure, Solicits and Information-requests that waited
    /// longer are shed: the queueing delay the daemon aims at.
    pub stale: Duration,
    /// A client has retransmitted a message that waited this long
    /// (RFC 8415 §15: SOL_TIMEOUT and INF_TIMEOUT are 1 s, less 10%).
    pub retransmitted: Duration,
    /// Datagrams read in one turn, the last batch still full, that start
    /// pressure without any receive timestamp.
    pub on_depth: usize,
}

impl Thresholds {
    /// The defaults: aim at 25 ms of queueing, start shedding at 25 ms,
    /// stop after a drained turn under 5 ms.
    pub const DEFAULT: Thresholds = Thresholds {
        on_age: Duration::from_millis(25),
        off_age: Duration::from_millis(5),
        stale: Duration::from_millis(25),
        retransmitted: Duration::from_millis(900),
        on_depth: 4096,
    };
}

/// Counts of one shedding episode, for the log line when it ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Episode {
    /// Datagrams shed during it.
    pub shed: u64,
    /// Datagrams served during it.
    pub served: u64,
}

/// A change of pressure, to be logged once (never per packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Pressure began; the age that started it (`None`: the depth did).
    Started(Option<Duration>),
    /// Pressure ended; what it shed and served meanwhile.
    Stopped(Episode),
}

/// The shedding state machine: fed each datagram's class and age, told
/// when a turn ends. Counting is additions; nothing allocates.
#[derive(Debug, Clone)]
pub struct Shedder {
    th: Thresholds,
    pressure: bool,
    started: Option<Option<Duration>>,
    episode: Episode,
    turn_max_age: Duration,
    /// Datagrams shed, by [`ShedReason`] (counter order of `ShedReason::ALL`).
    pub shed: [u64; ShedReason::ALL.len()],
    /// Times pressure started.
    pub episodes: u64,
}

impl Shedder {
    /// No pressure yet.
    pub fn new(th: Thresholds) -> Self {
        Self {
            th,
            pressure: false,
            started: None,
            episode: Episode::default(),
            turn_max_age: Duration::ZERO,
            shed: [0; ShedReason::ALL.len()],
            episodes: 0,
        }
    }

    /// True while shedding may happen.
    pub fn under_pressure(&self) -> bool {
        self.pressure
    }

    /// Datagrams shed for `why` so far.
    pub fn shed_count(&self, why: ShedReason) -> u64 {
        self.shed[why as usize]
    }

    fn start(&mut self, cause: Option<Duration>) {
        if !self.pressure {
            self.pressure = true;
            self.started = Some(cause);
            self.episode = Episode::default();
            self.episodes += 1;
        }
    }

    /// Decides about one datagram of `work` that waited `age` (`None`: the
    /// kernel gave no timestamp).
    pub fn admit(&mut self, work: Work, age: Option<Duration>) -> Verdict {
        if let Some(a) = age {
            self.turn_max_age = self.turn_max_age.max(a);
            if a > self.th.on_age {
                self.start(Some(a));
            }
        }
        let verdict = match (self.pressure, work, age) {
            (true, Work::Starts, Some(a)) if a > self.th.retransmitted => {
                Verdict::Shed(ShedReason::Retransmitted)
            }
            (true, Work::Starts, Some(a)) if a > self.th.stale => Verdict::Shed(ShedReason::Stale),
            _ => Verdict::Serve,
        };
        match verdict {
            Verdict::Serve if self.pressure => self.episode.served += 1,
            Verdict::Serve => {}
            Verdict::Shed(why) => {
                self.shed[why as usize] += 1;
                self.episode.shed += 1;
            }
        }
        verdict
    }

    /// Ends a turn that read `read` datagrams, the last batch coming back
    /// full when `more_waiting`. Returns the pressure change to log, if any.
    pub fn end_turn(&mut self, read: usize, more_waiting: bool) -> Option<Transition> {
        if more_waiting && read >= self.th.on_depth {
            self.start(None);
        } else if self.pressure && !more_waiting && self.turn_max_age < self.th.off_age {
            self.pressure = false;
            self.started = None;
            self.turn_max_age = Duration::ZERO;
            return Some(Transition::Stopped(self.episode));
        }
        self.turn_max_age = Duration::ZERO;
        self.started.take().map(Transition::Started)
    }
}

/// Receive-buffer size, in octets to ask the kernel for, that holds
/// `delay` of work at `rate` datagrams per second of busy time, each
/// costing `truesize` octets of socket memory (payload plus the kernel's
/// per-datagram overhead), clamped to `[floor, ceiling]`. A larger buffer
/// only lets datagrams wait longer than any client waits for an answer.
pub fn rcvbuf_for(
    rate: f64,
    delay: Duration,
    truesize: usize,
    floor: usize,
    ceiling: usize,
) -> usize {
    let datagrams = (rate.max(0.0) * delay.as_secs_f64()).ceil();
    // Saturating float-to-int conversion; the clamp bounds it anyway.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let bytes = (datagrams * truesize as f64) as usize;
    bytes.clamp(floor, ceiling.max(floor))
}

/// Busy-time service rate, in datagrams per second, smoothed over turns
/// (exponentially weighted, so one odd turn moves it little).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceRate {
    datagrams: u64,
    busy: Duration,
    /// The estimate, once there is one.
    pub rate: Option<f64>,
}

impl ServiceRate {
    /// Nothing measured yet.
    pub const fn new() -> Self {
        Self {
            datagrams: 0,
            busy: Duration::ZERO,
            rate: None,
        }
    }

    /// Counts `datagrams` handled in `busy` time.
    pub fn observe(&mut self, datagrams: usize, busy: Duration) {
        self.datagrams += datagrams as u64;
        self.busy += busy;
    }

    /// Folds what was observed since the last call into the estimate,
    /// once enough was seen to mean something; the estimate.
    pub fn update(&mut self) -> Option<f64> {
        if self.datagrams >= 256 && self.busy >= Duration::from_millis(10) {
            #[allow(clippy::cast_precision_loss)]
            let now = self.datagrams as f64 / self.busy.as_secs_f64();
            self.rate = Some(self.rate.map_or(now, |r| 0.75 * r + 0.25 * now));
            self.datagrams = 0;
            self.busy = Duration::ZERO;
        }
        self.rate
    }
}

impl Default for ServiceRate {
    fn default() -> Self {
        Self::new()
    }
}

/// How long a datagram may wait in the receive buffer at the measured
/// service rate: the buffer holds this much work and no more.
pub const BUFFER_DELAY: Duration = Duration::from_millis(100);
/// Octets of receive buffer asked per datagram. The kernel charges each
/// datagram its `truesize` (payload plus socket-buffer overhead, 1-2.5 KiB
/// for a DHCPv6 message) and Linux doubles an SO_RCVBUF request for that
/// bookkeeping, so 1 KiB asked is about 2 KiB of room.
pub const TRUESIZE_ASKED: usize = 1024;
/// Smallest receive buffer asked: a burst of a few hundred datagrams
/// always fits, whatever the measured rate.
pub const RCVBUF_FLOOR: usize = 256 << 10;
/// Largest receive buffer asked (the size asked before this rule).
pub const RCVBUF_CEILING: usize = 4 << 20;
/// Service rate assumed until one is measured, in datagrams per second.
pub const INITIAL_RATE: f64 = 10_000.0;
/// How often the admission share is revised: a CPU-cgroup period, so a
/// capped daemon's interval holds one stretch of running.
pub const ADMISSION_INTERVAL: Duration = Duration::from_millis(100);
/// Bucket bounds, in seconds, of the receive-wait histogram.
pub const WAIT_BUCKETS: &[f64] = &[
    0.000_1, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Bucket bounds of the datagrams-read-per-turn histogram (the backlog a
/// turn found).
pub const DEPTH_BUCKETS: &[f64] = &[1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0];

/// Everything a daemon keeps about overload: the shedder, the waits and
/// backlogs seen, the service rate and the receive buffer it asked for.
#[derive(Debug, Clone)]
pub struct Overload {
    /// The shedding state and its counters.
    pub shedder: Shedder,
    /// How long each datagram waited in the socket (those with a timestamp).
    pub waits: Histogram,
    /// Datagrams read per turn that read any.
    pub depths: Histogram,
    /// Busy-time service rate.
    pub rate: ServiceRate,
    /// The receive buffer last asked for, in octets.
    pub rcvbuf: usize,
    /// The share of new exchanges the kernel's socket filter admits.
    pub admission: Admission,
    /// Datagrams the kernel dropped for the socket (socket filter and full
    /// receive buffer), when the system tells (Linux: SO_MEMINFO).
    pub kernel_drops: Option<u64>,
    /// The kernel's 32-bit counter when last read.
    kernel_drops_raw: u32,
}

impl Overload {
    /// The default thresholds; the receive buffer sized for [`INITIAL_RATE`].
    pub fn new() -> Self {
        Self {
            shedder: Shedder::new(Thresholds::DEFAULT),
            waits: Histogram::new(WAIT_BUCKETS),
            depths: Histogram::new(DEPTH_BUCKETS),
            rate: ServiceRate::new(),
            rcvbuf: Self::rcvbuf_at(INITIAL_RATE),
            admission: Admission::new(),
            kernel_drops: None,
            kernel_drops_raw: 0,
        }
    }

    fn rcvbuf_at(rate: f64) -> usize {
        rcvbuf_for(
            rate,
            BUFFER_DELAY,
            TRUESIZE_ASKED,
            RCVBUF_FLOOR,
            RCVBUF_CEILING,
        )
    }

    /// Decides about datagram `pkt` that waited `age`, and counts the wait.
    pub fn admit(&mut self, pkt: &[u8], age: Option<Duration>) -> Verdict {
        if let Some(a) = age {
            self.waits.observe_duration(a);
        }
        let work = classify(pkt);
        let verdict = self.shedder.admit(work, age);
        if work == Work::Starts {
            self.admission
                .observe_start(matches!(verdict, Verdict::Shed(_)));
        }
        verdict
    }

    /// Takes a reading of the kernel's per-socket drop counter (32 bits,
    /// wrapping, zero when the socket was made) into [`Self::kernel_drops`].
    pub fn note_kernel_drops(&mut self, raw: u32) {
        let since = u64::from(raw.wrapping_sub(self.kernel_drops_raw));
        self.kernel_drops_raw = raw;
        self.kernel_drops = Some(self.kernel_drops.unwrap_or(0) + since);
    }

    /// Ends an admission interval (the daemon's [`ADMISSION_INTERVAL`]):
    /// what to do to the socket's filter, if anything.
    pub fn end_interval(&mut self) -> Option<Action> {
        let iv = self.admission.take_interval(self.shedder.under_pressure());
        self.admission.end_interval(iv)
    }

    /// Ends a turn that read `read` datagrams, `served` of them handled in
    /// `busy` time, the last batch full when `more_waiting`.
    pub fn end_turn(
        &mut self,
        read: usize,
        served: usize,
        busy: Duration,
        more_waiting: bool,
    ) -> Option<Transition> {
        if read > 0 {
            #[allow(clippy::cast_precision_loss)]
            self.depths.observe(read as f64);
            self.rate.observe(served, busy);
        }
        self.shedder.end_turn(read, more_waiting)
    }

    /// Folds the service rate measured lately into the estimate; the new
    /// receive-buffer size to ask for when it moved by more than a quarter.
    pub fn retune(&mut self) -> Option<usize> {
        let want = Self::rcvbuf_at(self.rate.update()?);
        let (lo, hi) = (self.rcvbuf - self.rcvbuf / 4, self.rcvbuf + self.rcvbuf / 4);
        if (lo..=hi).contains(&want) {
            return None;
        }
        self.rcvbuf = want;
        Some(want)
    }

    /// Appends the overload metrics, names prefixed with `prefix`, to the
    /// text of a statistics file.
    pub fn append(&self, text: &mut String, prefix: &'static str) {
        let mut e = Exposition::new(prefix);
        self.render(&mut e);
        text.push_str(e.as_str());
    }

    /// The overload metrics, into an exposition (doc/statistics.md).
    pub fn render(&self, e: &mut Exposition) {
        e.family(
            "shed_total",
            Kind::Counter,
            "Datagrams shed unread under overload, by reason (doc/overload.md).",
        );
        for why in ShedReason::ALL {
            e.sample(
                "shed_total",
                &[("reason", why.name())],
                self.shedder.shed_count(why),
            );
        }
        e.single(
            "overload_episodes_total",
            Kind::Counter,
            "Times overload pressure started.",
            self.shedder.episodes,
        );
        e.single(
            "overload_pressure",
            Kind::Gauge,
            "1 while under overload pressure (shedding allowed), else 0.",
            u64::from(self.shedder.under_pressure()),
        );
        e.family(
            "receive_wait_seconds",
            Kind::Histogram,
            "How long each datagram waited in the socket before it was read (kernel receive timestamps).",
        );
        e.histogram("receive_wait_seconds", &[], &self.waits);
        e.family(
            "turn_datagrams",
            Kind::Histogram,
            "Datagrams read per loop turn that read any (the backlog a turn found).",
        );
        e.histogram("turn_datagrams", &[], &self.depths);
        e.single(
            "receive_buffer_bytes",
            Kind::Gauge,
            "Receive buffer asked for (SO_RCVBUF), from the measured service rate.",
            self.rcvbuf as u64,
        );
        e.family(
            "overload_admission_share",
            Kind::Gauge,
            "Share of Solicits and Information-requests the kernel's socket filter lets through (1: no filter).",
        );
        e.sample_f64("overload_admission_share", &[], self.admission.share());
        e.single(
            "admission_episodes_total",
            Kind::Counter,
            "Times an admission filter was attached to the socket.",
            self.admission.episodes,
        );
        if let Some(n) = self.kernel_drops {
            e.single(
                "socket_drops_total",
                Kind::Counter,
                "Datagrams the kernel dropped for the socket: admission filter and full receive buffer (SO_MEMINFO).",
                n,
            );
        }
        e.family(
            "service_rate",
            Kind::Gauge,
            "Datagrams handled per second of busy time (smoothed; 0 until measured).",
        );
        e.sample_f64("service_rate", &[], self.rate.rate.unwrap_or(0.0));
    }
}

impl Default for Overload {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for Transition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Started(Some(age)) => write!(
                f,
                "overload: shedding stale Solicits and Information-requests (a datagram waited {} ms)",
                age.as_millis()
            ),
            Self::Started(None) => {
                write!(f, "overload: backlog deep; shedding what waited too long")
            }
            Self::Stopped(ep) => write!(
                f,
                "overload over: {} datagrams shed, {} served meanwhile",
                ep.shed, ep.served
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Option<Duration> {
        Some(Duration::from_millis(n))
    }

    #[test]
    fn classifies_direct_and_relayed_messages() {
        assert_eq!(classify(&[1, 0, 0, 1]), Work::Starts);
        assert_eq!(classify(&[11, 0, 0, 1]), Work::Starts);
        for t in [3u8, 4, 5, 6, 8, 9] {
            assert_eq!(classify(&[t, 0, 0, 1]), Work::Completes, "type {t}");
        }
        assert_eq!(classify(&[7, 0, 0, 1]), Work::Other);
        assert_eq!(classify(&[]), Work::Other);
        // Relay-forward around Relay-forward around a Renew, an Interface-ID first.
        let inner = [5u8, 1, 2, 3];
        let mut r1 = vec![12u8; RELAY_HEADER];
        r1.extend_from_slice(&[0, 18, 0, 2, b'e', b'0', 0, 9, 0, 4]);
        r1.extend_from_slice(&inner);
        let mut r2 = vec![12u8; RELAY_HEADER];
        r2.extend_from_slice(&[0, 9]);
        r2.extend_from_slice(&u16::try_from(r1.len()).unwrap().to_be_bytes());
        r2.extend_from_slice(&r1);
        assert_eq!(client_msg_type(&r2), Some(MessageType::Renew));
        assert_eq!(classify(&r2), Work::Completes);
        // Cut short anywhere: no type, handled as it comes.
        for n in 0..r2.len() {
            assert_eq!(classify(&r2[..n]), Work::Other, "{n} octets");
        }
        // A chain of relays deeper than any real one.
        let mut deep = vec![1u8, 0, 0, 1];
        for _ in 0..=MAX_RELAY_DEPTH {
            let mut r = vec![12u8; RELAY_HEADER];
            r.extend_from_slice(&[0, 9]);
            r.extend_from_slice(&u16::try_from(deep.len()).unwrap().to_be_bytes());
            r.extend_from_slice(&deep);
            deep = r;
        }
        assert_eq!(classify(&deep), Work::Other);
    }

    #[test]
    fn nothing_is_shed_without_pressure() {
        let mut s = Shedder::new(Thresholds::DEFAULT);
        for _ in 0..10_000 {
            assert_eq!(s.admit(Work::Starts, ms(20)), Verdict::Serve);
            assert_eq!(s.admit(Work::Completes, ms(24)), Verdict::Serve);
            assert_eq!(s.admit(Work::Starts, None), Verdict::Serve);
        }
        assert_eq!(s.end_turn(30_000, false), None);
        assert!(!s.under_pressure());
        assert_eq!(s.shed, [0, 0]);
    }

    #[test]
    fn deep_backlog_sheds_stale_solicits_before_requests_and_renews() {
        let mut s = Shedder::new(Thresholds::DEFAULT);
        // A backlog drained oldest first: 400 ms of mixed messages.
        let mut served = [0u32; 3];
        let mut shed = [0u32; 3];
        for i in 0..4000u64 {
            let age = ms(400 - i / 10);
            let work = match i % 4 {
                0 | 1 => Work::Starts,
                2 => Work::Completes,
                _ => Work::Other,
            };
            let k = work as usize;
            match s.admit(work, age) {
                Verdict::Serve => served[k] += 1,
                Verdict::Shed(why) => {
                    assert_eq!(why, ShedReason::Stale);
                    shed[k] += 1;
                }
            }
        }
        assert!(s.under_pressure());
        // Every Request/Renew and every other message served.
        assert_eq!((shed[1], served[1]), (0, 1000));
        assert_eq!((shed[2], served[2]), (0, 1000));
        // Solicits older than 25 ms shed, fresher ones served.
        let fresh = (0..4000u64)
            .filter(|i| i % 4 < 2 && 400 - i / 10 <= 25)
            .count();
        assert_eq!(served[0] as usize, fresh);
        assert_eq!(shed[0] as usize, 2000 - fresh);
        assert_eq!(s.shed_count(ShedReason::Stale), u64::from(shed[0]));
        assert_eq!(s.end_turn(4000, true), Some(Transition::Started(ms(400))));
        assert_eq!(s.episodes, 1);
    }

    #[test]
    fn solicits_past_retransmission_are_counted_apart() {
        let mut s = Shedder::new(Thresholds::DEFAULT);
        assert_eq!(
            s.admit(Work::Starts, ms(2000)),
            Verdict::Shed(ShedReason::Retransmitted)
        );
        assert_eq!(s.admit(Work::Completes, ms(2000)), Verdict::Serve);
        assert_eq!(s.shed, [0, 1]);
    }

    #[test]
    fn hysteresis_holds_pressure_until_a_drained_quiet_turn() {
        let mut s = Shedder::new(Thresholds::DEFAULT);
        assert_eq!(
            s.admit(Work::Starts, ms(30)),
            Verdict::Shed(ShedReason::Stale)
        );
        assert!(matches!(s.end_turn(64, true), Some(Transition::Started(_))));
        // Below the start threshold but above the stop one: still on, and
        // Solicits under the target are served.
        assert_eq!(s.admit(Work::Starts, ms(10)), Verdict::Serve);
        assert_eq!(s.end_turn(1, false), None);
        assert!(s.under_pressure());
        // Quiet but not drained: still on.
        assert_eq!(s.admit(Work::Starts, ms(1)), Verdict::Serve);
        assert_eq!(s.end_turn(64, true), None);
        assert!(s.under_pressure());
        // Quiet and drained: off, with the episode's counts.
        assert_eq!(s.admit(Work::Completes, ms(1)), Verdict::Serve);
        assert_eq!(
            s.end_turn(1, false),
            Some(Transition::Stopped(Episode { shed: 1, served: 3 }))
        );
        assert!(!s.under_pressure());
        // And Solicits just over the target are served again.
        assert_eq!(s.admit(Work::Starts, ms(24)), Verdict::Serve);
        assert_eq!(s.end_turn(1, false), None);
    }

    #[test]
    fn depth_alone_starts_pressure_but_sheds_nothing_unaged() {
        let mut s = Shedder::new(Thresholds::DEFAULT);
        assert_eq!(s.end_turn(4096, true), Some(Transition::Started(None)));
        assert_eq!(s.admit(Work::Starts, None), Verdict::Serve);
        assert_eq!(
            s.end_turn(10, false),
            Some(Transition::Stopped(Episode { shed: 0, served: 1 }))
        );
    }

    #[test]
    fn receive_buffer_follows_rate_and_delay() {
        let d = Duration::from_millis(100);
        // 12,000/s for 100 ms: 1,200 datagrams of 2 KiB.
        assert_eq!(rcvbuf_for(12_000.0, d, 2048, 0, usize::MAX), 1200 * 2048);
        assert_eq!(rcvbuf_for(10.0, d, 2048, 256 << 10, 8 << 20), 256 << 10);
        assert_eq!(rcvbuf_for(1e9, d, 2048, 256 << 10, 8 << 20), 8 << 20);
        assert_eq!(rcvbuf_for(f64::NAN, d, 2048, 1, 8), 1);
    }

    #[test]
    fn overload_retunes_the_buffer_and_renders_its_counters() {
        let mut o = Overload::new();
        assert_eq!(o.rcvbuf, 1000 * TRUESIZE_ASKED);
        assert_eq!(
            o.admit(&[1, 0, 0, 1], ms(500)),
            Verdict::Shed(ShedReason::Stale)
        );
        assert_eq!(o.admit(&[3, 0, 0, 1], ms(500)), Verdict::Serve);
        assert!(matches!(
            o.end_turn(2, 1, Duration::from_millis(1), false),
            Some(Transition::Started(_))
        ));
        assert_eq!(o.retune(), None, "too little measured");
        o.end_turn(3000, 3000, Duration::from_millis(100), true);
        // About 30,000/s for 100 ms: about 3,000 datagrams.
        assert_eq!(o.retune(), Some(Overload::rcvbuf_at(3001.0 / 0.101)));
        o.end_turn(3000, 3000, Duration::from_millis(100), true);
        assert_eq!(o.retune(), None, "unchanged");
        let mut e = Exposition::new("t_");
        o.render(&mut e);
        let text = e.finish();
        assert!(text.contains("t_shed_total{reason=\"stale\"} 1\n"));
        assert!(text.contains("t_overload_pressure 1\n"));
        assert!(text.contains("t_receive_wait_seconds_count 2\n"));
        assert!(text.contains("t_service_rate 29"));
    }

    #[test]
    fn kernel_drops_accumulate_across_the_counters_wrap() {
        let mut o = Overload::new();
        let text = |o: &Overload| {
            let mut e = Exposition::new("t_");
            o.render(&mut e);
            e.finish()
        };
        assert!(!text(&o).contains("socket_drops_total"));
        assert!(text(&o).contains("t_overload_admission_share 1\n"));
        o.note_kernel_drops(u32::MAX - 1);
        // From 2^32 - 2 on through the wrap to 3: five more.
        o.note_kernel_drops(3);
        assert_eq!(o.kernel_drops, Some(u64::from(u32::MAX) - 1 + 5));
        assert!(text(&o).contains(&format!(
            "t_socket_drops_total {}\n",
            u64::from(u32::MAX) + 4
        )));
    }

    #[test]
    fn service_rate_waits_for_enough_samples_then_smooths() {
        let mut r = ServiceRate::new();
        r.observe(100, Duration::from_millis(5));
        assert_eq!(r.update(), None);
        r.observe(900, Duration::from_millis(95));
        assert_eq!(r.update(), Some(10_000.0));
        r.observe(2000, Duration::from_millis(100));
        assert_eq!(r.update(), Some(12_500.0));
    }
}
