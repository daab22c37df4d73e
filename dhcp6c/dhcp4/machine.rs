//! The RFC 2131 client machine (§4.4, figure 5): INIT, SELECTING,
//! REQUESTING, BOUND, RENEWING, REBINDING and INIT-REBOOT/REBOOTING, with
//! RFC 2131's own retransmission (§4.1: 4 s doubling to 64 s, ±1 s) and
//! RENEWING/REBINDING's half-the-remaining-time rule (§4.4.5). It takes
//! `now`, the parsed DHCPv4 answers and a [`RandomSource`], and returns
//! [`Event4`]s: DHCPv4 messages to send (with the U flag RFC 7341 §6.1
//! gives them) and changes of the lease. It knows nothing of DHCPv6: the
//! 4o6 transport (`dhcp4o6.rs`) carries what it sends.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use libdhcp6::dhcp4::{ClientId, MessageType, Op, OptionCode, OptionRepr, PacketRepr};

use super::lease::Lease4;
use crate::random::{Draw, RandomSource};

/// RFC 2131 §4.1: the first retransmission waits 4 s ...
const RT_FIRST: Duration = Duration::from_secs(4);
/// ... doubling up to 64 s ...
const RT_MAX: Duration = Duration::from_secs(64);
/// ... each randomised by up to ±1 s.
const RT_RAND: Duration = Duration::from_secs(1);
/// REQUESTING and REBOOTING give up after this many transmissions
/// (4 + 8 + 16 + 32 s, about RFC 2131 §3.1's minute) and go back to INIT.
const REQUEST_TRIES: u32 = 4;
/// RFC 2131 §4.4.5: RENEWING and REBINDING wait at least 60 s between
/// retransmissions.
const RENEW_MIN_RT: Duration = Duration::from_secs(60);
/// How long SELECTING collects offers after the first one arrived.
pub const OFFER_WAIT: Duration = Duration::from_secs(1);
/// RFC 2131 §3.1 step 5: after a DHCPDECLINE, wait at least ten seconds
/// before starting again.
const DECLINE_WAIT: Duration = Duration::from_secs(10);
/// The delay before the first DHCPDISCOVER is drawn from [0, this]. RFC
/// 2131 §4.4.1 asks for 1-10 s to spread clients that boot together; here
/// the DHCPv4 process starts on a DHCPv6 Reply, which RFC 8415's random
/// Solicit delay already spread, so one more second is enough.
const START_DELAY: Duration = Duration::from_secs(1);

/// Why the lease changed: the `reason` ISC's dhclient-script receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A new lease after SELECTING/REQUESTING.
    Bound,
    /// The lease renewed with its server.
    Renew,
    /// The lease renewed with any server.
    Rebind,
    /// The remembered address confirmed after a restart.
    Reboot,
    /// The lease ran out.
    Expire,
    /// Released on exit.
    Release,
    /// The server said no.
    Nak,
    /// 4o6 stopped (no more option 88, or the DHCPv6 configuration ended),
    /// or the client stopped without releasing.
    Stop,
    /// The address was found in use and declined.
    Decline,
}

impl Reason {
    /// The word dhclient-script expects.
    pub fn word(self) -> &'static str {
        match self {
            Reason::Bound => "BOUND",
            Reason::Renew => "RENEW",
            Reason::Rebind => "REBIND",
            Reason::Reboot => "REBOOT",
            Reason::Expire => "EXPIRE",
            Reason::Release => "RELEASE",
            Reason::Nak => "NAK",
            Reason::Stop => "STOP",
            Reason::Decline => "DECLINE",
        }
    }
}

/// What the machine asks of its transport and shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event4 {
    /// Send this DHCPv4 message; `unicast` is RFC 7341's U flag: true when
    /// RFC 2131 would have unicast it (RENEWING DHCPREQUEST, DHCPRELEASE).
    Send {
        /// The DHCPv4 message.
        msg: Vec<u8>,
        /// The U flag.
        unicast: bool,
    },
    /// The lease changed.
    Lease(Box<Change>),
}

/// A change of the lease: `new` is what holds now (none: the address
/// must go), `old` what held before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Why.
    pub reason: Reason,
    /// The lease now.
    pub new: Option<Lease4>,
    /// The lease before.
    pub old: Option<Lease4>,
}

/// The event of a lease change.
fn change(reason: Reason, new: Option<Lease4>, old: Option<Lease4>) -> Event4 {
    Event4::Lease(Box::new(Change { reason, new, old }))
}

/// Why a DHCPv4 answer was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drop4 {
    /// Not a BOOTREPLY, or no message type.
    NotReply,
    /// No exchange with that transaction-id.
    Xid,
    /// `chaddr` is not ours.
    Chaddr,
    /// A client identifier that is not ours.
    ClientId,
    /// From a server other than the one the exchange is with, or without
    /// a server identifier where one is needed.
    ServerId,
    /// Valid but not for this state (an OFFER when bound, an ACK without
    /// a usable lease, ...).
    Ignored,
}

/// One exchange: its transaction-id and retransmission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tx {
    xid: u32,
    first: Instant,
    next: Instant,
    sent: u32,
}

/// The offer SELECTING goes on with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Offer {
    addr: Ipv4Addr,
    server_id: Ipv4Addr,
}

/// RFC 2131 figure 5's states.
#[derive(Debug, Clone, PartialEq, Eq)]
enum St {
    Init {
        wake: Instant,
    },
    Selecting {
        tx: Tx,
        offers: Vec<Offer>,
        decide: Option<Instant>,
    },
    Requesting {
        tx: Tx,
        offer: Offer,
    },
    Rebooting {
        tx: Tx,
        addr: Ipv4Addr,
    },
    Bound,
    Renewing {
        tx: Tx,
    },
    Rebinding {
        tx: Tx,
    },
    Stopped,
}

/// Who the client is on DHCPv4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conf4 {
    /// Hardware type and address for `htype`/`chaddr` (empty: none, `htype` 0).
    pub hw: Option<(u8, Vec<u8>)>,
    /// Option 61 (RFC 4361: IAID and DUID).
    pub client_id: ClientId,
    /// Option 55.
    pub prl: Vec<OptionCode>,
}

/// The DHCPv4 client.
#[derive(Debug, Clone)]
pub struct Machine {
    conf: Conf4,
    st: St,
    lease: Option<Lease4>,
    /// The address asked for again (option 50 in DHCPDISCOVER).
    hint: Option<Ipv4Addr>,
    /// The remembered address INIT-REBOOT asks for, once.
    reboot: Option<Ipv4Addr>,
    /// NAKs since the last lease, for the back-off before INIT again.
    naks: u32,
}

impl Machine {
    /// A client starting at `now`: INIT-REBOOT with `remembered` (an
    /// address from a lease still valid before a restart), else INIT.
    pub fn new(
        conf: Conf4,
        remembered: Option<Ipv4Addr>,
        now: Instant,
        rng: &mut dyn RandomSource,
    ) -> Self {
        let wake = now + rng.upto(START_DELAY);
        Self {
            conf,
            st: St::Init { wake },
            lease: None,
            hint: remembered,
            reboot: remembered,
            naks: 0,
        }
    }

    /// The lease held, if any.
    pub fn lease(&self) -> Option<&Lease4> {
        self.lease.as_ref()
    }

    /// RFC 2131's name of the state, for logs and tests.
    pub fn state_name(&self) -> &'static str {
        match self.st {
            St::Init { .. } => "INIT",
            St::Selecting { .. } => "SELECTING",
            St::Requesting { .. } => "REQUESTING",
            St::Rebooting { .. } => "REBOOTING",
            St::Bound => "BOUND",
            St::Renewing { .. } => "RENEWING",
            St::Rebinding { .. } => "REBINDING",
            St::Stopped => "STOPPED",
        }
    }

    /// When [`Machine::timeout`] must next run.
    pub fn deadline(&self) -> Option<Instant> {
        let l = self.lease.as_ref();
        let expiry = l.and_then(Lease4::expires_at);
        let own = match &self.st {
            St::Init { wake } => Some(*wake),
            St::Selecting { tx, decide, .. } => Some(decide.map_or(tx.next, |d| d.min(tx.next))),
            St::Requesting { tx, .. } | St::Rebooting { tx, .. } | St::Rebinding { tx } => {
                Some(tx.next)
            }
            St::Renewing { tx } => Some(tx.next)
                .into_iter()
                .chain(l.and_then(Lease4::rebind_at))
                .min(),
            St::Bound => l.and_then(Lease4::renew_at),
            St::Stopped => None,
        };
        own.into_iter().chain(expiry).min()
    }

    /// The retransmission wait after the `sent`-th transmission (RFC 2131
    /// §4.1): 4 s doubling to 64 s, randomised by ±1 s.
    fn rt(sent: u32, rng: &mut dyn RandomSource) -> Duration {
        let base = RT_FIRST
            .saturating_mul(1u32 << sent.saturating_sub(1).min(4))
            .min(RT_MAX);
        (base - RT_RAND) + rng.upto(RT_RAND * 2)
    }

    /// RENEWING/REBINDING's wait (RFC 2131 §4.4.5): half the time left
    /// until `until`, at least 60 s, never past `until`.
    fn rt_until(now: Instant, until: Option<Instant>) -> Instant {
        match until {
            Some(u) => {
                let left = u.saturating_duration_since(now);
                now + (left / 2).max(RENEW_MIN_RT).min(left)
            }
            None => now + RENEW_MIN_RT,
        }
    }

    /// Timers (RFC 2131 figure 5's timeouts).
    pub fn timeout(&mut self, now: Instant, rng: &mut dyn RandomSource) -> Vec<Event4> {
        let mut out = Vec::new();
        if self
            .lease
            .as_ref()
            .and_then(Lease4::expires_at)
            .is_some_and(|e| now >= e)
        {
            // RFC 2131 §4.4.5: the lease ran out; stop using the address.
            let old = self.lease.take();
            out.push(change(Reason::Expire, None, old));
            self.st = St::Init { wake: now };
        }
        match self.st.clone() {
            St::Init { wake } if now >= wake => self.begin(now, rng, &mut out),
            St::Selecting { tx, offers, decide } => {
                if decide.is_some_and(|d| now >= d) {
                    self.choose(now, tx, &offers, rng, &mut out);
                } else if now >= tx.next {
                    self.resend(now, tx, rng, &mut out);
                }
            }
            St::Requesting { tx, .. } | St::Rebooting { tx, .. } if now >= tx.next => {
                if tx.sent >= REQUEST_TRIES {
                    self.st = St::Init { wake: now };
                    self.begin(now, rng, &mut out);
                } else {
                    self.resend(now, tx, rng, &mut out);
                }
            }
            St::Bound => self.bound_timers(now, rng, &mut out),
            St::Renewing { tx } => {
                let t2 = self.lease.as_ref().and_then(Lease4::rebind_at);
                if t2.is_some_and(|t| now >= t) {
                    self.start_renewal(now, false, rng, &mut out);
                } else if now >= tx.next {
                    self.resend(now, tx, rng, &mut out);
                }
            }
            St::Rebinding { tx } if now >= tx.next => self.resend(now, tx, rng, &mut out),
            _ => {}
        }
        out
    }

    /// BOUND: T1 starts RENEWING, T2 (a machine that slept) REBINDING.
    fn bound_timers(&mut self, now: Instant, rng: &mut dyn RandomSource, out: &mut Vec<Event4>) {
        let Some(l) = &self.lease else { return };
        if l.rebind_at().is_some_and(|t| now >= t) {
            self.start_renewal(now, false, rng, out);
        } else if l.renew_at().is_some_and(|t| now >= t) {
            self.start_renewal(now, true, rng, out);
        }
    }

    /// INIT → SELECTING (DHCPDISCOVER), or INIT-REBOOT → REBOOTING with
    /// the remembered address (RFC 2131 §3.2, §4.4.2).
    fn begin(&mut self, now: Instant, rng: &mut dyn RandomSource, out: &mut Vec<Event4>) {
        let xid = xid(rng);
        let tx = Tx {
            xid,
            first: now,
            next: now,
            sent: 0,
        };
        // INIT-REBOOT only once: if it fails, DISCOVER (hinting at it).
        if let Some(addr) = self.reboot.take() {
            self.st = St::Rebooting { tx, addr };
            self.resend(now, tx, rng, out);
            return;
        }
        self.st = St::Selecting {
            tx,
            offers: Vec::new(),
            decide: None,
        };
        self.resend(now, tx, rng, out);
    }

    /// SELECTING's collection is over: REQUESTING the offer for the
    /// address hinted at, else the first (RFC 2131 §4.4.1), with the
    /// DHCPDISCOVER's xid.
    fn choose(
        &mut self,
        now: Instant,
        tx: Tx,
        offers: &[Offer],
        rng: &mut dyn RandomSource,
        out: &mut Vec<Event4>,
    ) {
        let pick = offers
            .iter()
            .find(|o| Some(o.addr) == self.hint)
            .or(offers.first())
            .copied();
        let Some(offer) = pick else { return };
        let tx = Tx {
            first: now,
            sent: 0,
            ..tx
        };
        self.st = St::Requesting { tx, offer };
        self.resend(now, tx, rng, out);
    }

    /// T1 (`renewing`) or T2: a DHCPREQUEST with ciaddr, by unicast to
    /// the leasing server (U=1) or to any (U=0).
    fn start_renewal(
        &mut self,
        now: Instant,
        renewing: bool,
        rng: &mut dyn RandomSource,
        out: &mut Vec<Event4>,
    ) {
        let tx = Tx {
            xid: xid(rng),
            first: now,
            next: now,
            sent: 0,
        };
        self.st = if renewing {
            St::Renewing { tx }
        } else {
            St::Rebinding { tx }
        };
        self.resend(now, tx, rng, out);
    }

    /// (Re)transmits the state's message and sets the next time.
    fn resend(&mut self, now: Instant, tx: Tx, rng: &mut dyn RandomSource, out: &mut Vec<Event4>) {
        let sent = tx.sent.saturating_add(1);
        let l = self.lease.as_ref();
        let next = match &self.st {
            St::Renewing { .. } => Self::rt_until(now, l.and_then(Lease4::rebind_at)),
            St::Rebinding { .. } => Self::rt_until(now, l.and_then(Lease4::expires_at)),
            _ => now + Self::rt(sent, rng),
        };
        let tx = Tx { next, sent, ..tx };
        let secs =
            u16::try_from(now.saturating_duration_since(tx.first).as_secs()).unwrap_or(u16::MAX);
        let renewing = matches!(self.st, St::Renewing { .. });
        let (kind, unicast) = match &mut self.st {
            St::Selecting { tx: t, .. } => {
                *t = tx;
                (Kind::Discover(self.hint), false)
            }
            St::Requesting { tx: t, offer } => {
                *t = tx;
                (Kind::Select(*offer), false)
            }
            St::Rebooting { tx: t, addr } => {
                *t = tx;
                (Kind::Reboot(*addr), false)
            }
            St::Renewing { tx: t } | St::Rebinding { tx: t } => {
                *t = tx;
                let Some(l) = &self.lease else { return };
                (Kind::Renew(l.addr), renewing)
            }
            _ => return,
        };
        if let Ok(msg) = self.build(kind, tx.xid, secs).to_vec() {
            out.push(Event4::Send { msg, unicast });
        }
    }

    /// A DHCPv4 answer the transport unwrapped (RFC 2131 §4.4).
    pub fn receive(
        &mut self,
        now: Instant,
        msg: &PacketRepr,
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<Event4>, Drop4> {
        let kind = match (msg.op, msg.message_type()) {
            (Op::BootReply, Some(k)) => k,
            _ => return Err(Drop4::NotReply),
        };
        let tx = match &self.st {
            St::Selecting { tx, .. }
            | St::Requesting { tx, .. }
            | St::Rebooting { tx, .. }
            | St::Renewing { tx }
            | St::Rebinding { tx } => *tx,
            _ => return Err(Drop4::Xid),
        };
        if msg.xid != tx.xid {
            return Err(Drop4::Xid);
        }
        if let Some((_, hw)) = &self.conf.hw {
            if msg.hw_addr() != hw.as_slice() {
                return Err(Drop4::Chaddr);
            }
        }
        // RFC 6842: a server that echoes option 61 echoes ours.
        if msg.client_id().is_some_and(|c| *c != self.conf.client_id) {
            return Err(Drop4::ClientId);
        }
        let mut out = Vec::new();
        match kind {
            MessageType::Offer => self.offer(now, msg)?,
            MessageType::Ack => self.ack(now, msg, &mut out)?,
            MessageType::Nak => self.nak(now, msg, rng, &mut out)?,
            _ => return Err(Drop4::Ignored),
        }
        Ok(out)
    }

    /// The server an answer in this state must come from, if one.
    fn expected_server(&self) -> Option<Ipv4Addr> {
        match &self.st {
            St::Requesting { offer, .. } => Some(offer.server_id),
            St::Renewing { .. } => self.lease.as_ref().map(|l| l.server_id),
            _ => None,
        }
    }

    /// A DHCPOFFER while SELECTING: kept; the first one starts the
    /// collection window.
    fn offer(&mut self, now: Instant, msg: &PacketRepr) -> Result<(), Drop4> {
        let St::Selecting { offers, decide, .. } = &mut self.st else {
            return Err(Drop4::Ignored);
        };
        let server_id = msg.server_id().ok_or(Drop4::ServerId)?;
        let addr = msg.yiaddr;
        if addr.is_unspecified() || addr.is_broadcast() || addr.is_multicast() {
            return Err(Drop4::Ignored);
        }
        if offers.iter().any(|o| o.server_id == server_id) {
            return Err(Drop4::Ignored);
        }
        offers.push(Offer { addr, server_id });
        if decide.is_none() {
            *decide = Some(now + OFFER_WAIT);
        }
        Ok(())
    }

    /// A DHCPACK to a DHCPREQUEST: the lease, BOUND.
    fn ack(&mut self, now: Instant, msg: &PacketRepr, out: &mut Vec<Event4>) -> Result<(), Drop4> {
        let reason = match &self.st {
            St::Requesting { .. } => Reason::Bound,
            St::Rebooting { .. } => Reason::Reboot,
            St::Renewing { .. } => Reason::Renew,
            St::Rebinding { .. } => Reason::Rebind,
            _ => return Err(Drop4::Ignored),
        };
        let new = Lease4::from_ack(msg, now).ok_or(Drop4::Ignored)?;
        if self.expected_server().is_some_and(|s| s != new.server_id) {
            return Err(Drop4::ServerId);
        }
        if let St::Requesting { offer, .. } = &self.st {
            if offer.addr != new.addr {
                return Err(Drop4::Ignored);
            }
        }
        let old = self.lease.replace(new.clone());
        self.st = St::Bound;
        self.naks = 0;
        self.hint = None;
        out.push(change(reason, Some(new), old));
        Ok(())
    }

    /// A DHCPNAK: the lease (if any) is gone; INIT again (RFC 2131
    /// §3.1 step 4, §3.2 step 3), at once the first time, then backing
    /// off so a server that keeps refusing is not hammered.
    fn nak(
        &mut self,
        now: Instant,
        msg: &PacketRepr,
        rng: &mut dyn RandomSource,
        out: &mut Vec<Event4>,
    ) -> Result<(), Drop4> {
        if matches!(self.st, St::Selecting { .. }) {
            return Err(Drop4::Ignored);
        }
        if let Some(s) = self.expected_server() {
            if msg.server_id().is_some_and(|got| got != s) {
                return Err(Drop4::ServerId);
            }
        }
        let old = self.lease.take();
        out.push(change(Reason::Nak, None, old));
        self.hint = None;
        self.naks = self.naks.saturating_add(1);
        // 0 s after the first NAK, then 2, 4, ... up to 64 s.
        let hold = match self.naks {
            0 | 1 => Duration::ZERO,
            n => Duration::from_secs(1u64 << (n - 1).min(6)).min(RT_MAX),
        };
        self.st = St::Init { wake: now + hold };
        if hold.is_zero() {
            self.begin(now, rng, out);
        }
        Ok(())
    }

    /// The shell found the leased address in use (RFC 2131 §3.1 step 5):
    /// DHCPDECLINE (U=0), drop the lease, INIT after ten seconds.
    pub fn decline(&mut self, now: Instant, rng: &mut dyn RandomSource) -> Vec<Event4> {
        let mut out = Vec::new();
        let Some(old) = self.lease.take() else {
            return out;
        };
        let xid = xid(rng);
        if let Ok(msg) = self
            .build(Kind::Decline(old.addr, old.server_id), xid, 0)
            .to_vec()
        {
            out.push(Event4::Send {
                msg,
                unicast: false,
            });
        }
        out.push(change(Reason::Decline, None, Some(old)));
        self.st = St::Init {
            wake: now + DECLINE_WAIT,
        };
        out
    }

    /// Exit: DHCPRELEASE (U=1) for a lease held (RFC 2131 §4.4.6), the
    /// address removed, stopped.
    pub fn release(&mut self, rng: &mut dyn RandomSource) -> Vec<Event4> {
        let mut out = Vec::new();
        self.st = St::Stopped;
        let Some(old) = self.lease.take() else {
            return out;
        };
        let xid = xid(rng);
        if let Ok(msg) = self
            .build(Kind::Release(old.addr, old.server_id), xid, 0)
            .to_vec()
        {
            out.push(Event4::Send { msg, unicast: true });
        }
        out.push(change(Reason::Release, None, Some(old)));
        out
    }

    /// Stops without telling the server (4o6 ended, or `-n`/SIGUSR1):
    /// the address is removed, the lease file kept.
    pub fn stop(&mut self) -> Vec<Event4> {
        self.st = St::Stopped;
        match self.lease.take() {
            Some(old) => vec![change(Reason::Stop, None, Some(old))],
            None => Vec::new(),
        }
    }

    /// The message of `kind` (RFC 2131 table 5).
    fn build(&self, kind: Kind, xid: u32, secs: u16) -> PacketRepr {
        let (mt, ciaddr, server, requested) = kind.fields();
        let mut options = vec![
            OptionRepr::MessageType(mt),
            OptionRepr::ClientId(self.conf.client_id.clone()),
        ];
        options.extend(requested.map(OptionRepr::RequestedIp));
        options.extend(server.map(OptionRepr::ServerId));
        // RFC 2132 §9.8: option 55 has at least one code; none asked, none sent.
        if !matches!(mt, MessageType::Release | MessageType::Decline) && !self.conf.prl.is_empty() {
            options.push(OptionRepr::ParameterRequestList(self.conf.prl.clone()));
        }
        // A client without a hardware address (a tunnel) sends htype and
        // hlen 0 and relies on option 61 alone.
        let (htype, hw): (u8, &[u8]) = match &self.conf.hw {
            Some((t, hw)) => (*t, hw),
            None => (0, &[]),
        };
        let mut m = PacketRepr::boot_request(xid, hw, options);
        m.htype = htype;
        m.secs = secs;
        m.ciaddr = ciaddr.unwrap_or(Ipv4Addr::UNSPECIFIED);
        m
    }
}

/// The client's messages, by RFC 2131 table 5's columns.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// DHCPDISCOVER, hinting at an address.
    Discover(Option<Ipv4Addr>),
    /// DHCPREQUEST in SELECTING.
    Select(Offer),
    /// DHCPREQUEST in INIT-REBOOT.
    Reboot(Ipv4Addr),
    /// DHCPREQUEST in RENEWING or REBINDING (ciaddr).
    Renew(Ipv4Addr),
    /// DHCPDECLINE of the address from the server.
    Decline(Ipv4Addr, Ipv4Addr),
    /// DHCPRELEASE of the address to the server.
    Release(Ipv4Addr, Ipv4Addr),
}

type Fields = (
    MessageType,
    Option<Ipv4Addr>,
    Option<Ipv4Addr>,
    Option<Ipv4Addr>,
);

impl Kind {
    /// Message type, ciaddr, server identifier, requested address.
    fn fields(self) -> Fields {
        use MessageType as M;
        match self {
            Kind::Discover(hint) => (M::Discover, None, None, hint),
            Kind::Select(o) => (M::Request, None, Some(o.server_id), Some(o.addr)),
            Kind::Reboot(a) => (M::Request, None, None, Some(a)),
            Kind::Renew(a) => (M::Request, Some(a), None, None),
            Kind::Decline(a, s) => (M::Decline, None, Some(s), Some(a)),
            Kind::Release(a, s) => (M::Release, Some(a), Some(s), None),
        }
    }
}

/// A transaction-id: 32 random bits (RFC 2131 §2).
fn xid(rng: &mut dyn RandomSource) -> u32 {
    u32::try_from(rng.next_u64() >> 32).expect("32 bits")
}

#[cfg(test)]
mod tests;
