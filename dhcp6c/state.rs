//! Where the client machine of one interface is (RFC 8415 §18; KAME's
//! DHCP6S_* states), as one value: each [`State`] carries what it alone
//! needs (the running exchange, the binding's T1/T2, the time to wake), so
//! no combination of fields can contradict another. [`Phase`] is the flat
//! name of a state for logs, the control channel and the script, and
//! [`Step`] is the one place that says which message each exchange sends.

use std::time::Instant;

use libdhcp6::codes::MessageType;
use libdhcp6::duid::Duid;
use libdhcp6::timing::{RetransState, Retransmit};

use crate::ia::Timers;

/// Where the machine is (RFC 8415 §18; KAME's DHCP6S_* states), by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting the random delay before the first message.
    Init,
    /// Soliciting, collecting Advertises.
    Solicit,
    /// Requesting from the chosen server.
    Request,
    /// Holding leases, waiting for T1.
    Bound,
    /// Renewing with the binding server.
    Renew,
    /// Rebinding with any server.
    Rebind,
    /// Releasing before exit.
    Release,
    /// Declining addresses that failed DAD.
    Decline,
    /// After a link change: waiting the random delay, then Confirm (or,
    /// holding prefixes, Rebind with Confirm's timing).
    Confirm,
    /// Information-request outstanding.
    InfoReq,
    /// Stateless information received, waiting for the refresh time.
    InfoBound,
    /// Done: released or stopped.
    Stopped,
}

impl Phase {
    /// The state name WIDE (hrs) puts in `REASON`.
    pub fn reason(self) -> &'static str {
        match self {
            Phase::Solicit => "SOLICIT",
            Phase::Request => "REQUEST",
            Phase::Renew => "RENEW",
            Phase::Rebind => "REBIND",
            Phase::Release => "RELEASE",
            Phase::InfoReq | Phase::InfoBound => "INFOREQ",
            _ => "NBI",
        }
    }
}

/// Which exchange runs, with what that exchange alone needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Solicit, collecting Advertises.
    Solicit,
    /// Request to the chosen server.
    Request,
    /// Renew with the binding server until T2.
    Renew {
        /// T2 of the binding: Rebind takes over then.
        rebind_at: Option<Instant>,
    },
    /// Rebind with any server.
    Rebind {
        /// Started by a link change (C-142): Confirm's timing, and no
        /// answer keeps the leases.
        link_change: bool,
    },
    /// Release before exit.
    Release,
    /// Decline of addresses that failed DAD.
    Decline,
    /// Confirm after a link change.
    Confirm,
    /// Information-request.
    InformationRequest,
}

impl Step {
    /// The message this exchange sends.
    pub fn msg_type(&self) -> MessageType {
        match self {
            Step::Solicit => MessageType::Solicit,
            Step::Request => MessageType::Request,
            Step::Renew { .. } => MessageType::Renew,
            Step::Rebind { .. } => MessageType::Rebind,
            Step::Release => MessageType::Release,
            Step::Decline => MessageType::Decline,
            Step::Confirm => MessageType::Confirm,
            Step::InformationRequest => MessageType::InformationRequest,
        }
    }

    /// The phase the machine is in while this exchange runs.
    pub fn phase(&self) -> Phase {
        match self {
            Step::Solicit => Phase::Solicit,
            Step::Request => Phase::Request,
            Step::Renew { .. } => Phase::Renew,
            Step::Rebind { .. } => Phase::Rebind,
            Step::Release => Phase::Release,
            Step::Decline => Phase::Decline,
            Step::Confirm => Phase::Confirm,
            Step::InformationRequest => Phase::InfoReq,
        }
    }
}

/// One exchange: a message, its transaction-id and its retransmission.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// What is exchanged.
    pub step: Step,
    /// Transaction-id (C-117: the same in every retransmission).
    pub xid: u32,
    /// The first transmission.
    pub first: Instant,
    /// The next retransmission.
    pub next: Instant,
    /// Retransmission parameters (RFC 8415 §15).
    pub params: Retransmit,
    /// Retransmission progress.
    pub rs: RetransState,
    /// The server this exchange talks to (Request, Renew, Release).
    pub server: Option<Duid>,
    /// Started by a Reconfigure (RFC 8415 §18.2.11).
    pub reconf: bool,
    /// A transmission was refused for want of an authentication key and
    /// that was logged (once per exchange).
    pub auth_noted: bool,
}

impl Exchange {
    /// The message this exchange sends.
    pub fn kind(&self) -> MessageType {
        self.step.msg_type()
    }
}

/// The machine's state.
#[derive(Debug, Clone)]
pub enum State {
    /// Waiting the random delay (plus any hold-down) before the first
    /// Solicit or Information-request.
    Init {
        /// When it ends.
        wake: Instant,
    },
    /// After a link change, waiting the random delay before checking the
    /// leases (RFC 8415 §18.2.3).
    ConfirmDelay {
        /// When it ends.
        wake: Instant,
    },
    /// An exchange runs.
    Exchanging(Exchange),
    /// Holding leases, waiting for T1.
    Bound(Timers),
    /// Rebind ran out (its MRD is the end of the leases): nothing is sent;
    /// ia_timo starts again once the leases are gone.
    RebindEnded,
    /// Stateless information received.
    InfoBound {
        /// When to ask again; `None`: never (an infinite refresh time).
        refresh: Option<Instant>,
    },
    /// Done: released or stopped.
    Stopped,
}

impl State {
    /// The phase's name.
    pub fn phase(&self) -> Phase {
        match self {
            State::Init { .. } => Phase::Init,
            State::ConfirmDelay { .. } => Phase::Confirm,
            State::Exchanging(ex) => ex.step.phase(),
            State::Bound(_) => Phase::Bound,
            State::RebindEnded => Phase::Rebind,
            State::InfoBound { .. } => Phase::InfoBound,
            State::Stopped => Phase::Stopped,
        }
    }

    /// The running exchange, if any.
    pub fn exchange(&self) -> Option<&Exchange> {
        match self {
            State::Exchanging(ex) => Some(ex),
            _ => None,
        }
    }

    /// When the state's own timer fires: the end of a delay, T1 when
    /// bound, the next retransmission or T2 when renewing, the refresh.
    pub fn deadline(&self) -> Option<Instant> {
        match self {
            State::Init { wake } | State::ConfirmDelay { wake } => Some(*wake),
            State::Exchanging(ex) => match ex.step {
                Step::Renew {
                    rebind_at: Some(t2),
                } => Some(ex.next.min(t2)),
                _ => Some(ex.next),
            },
            State::Bound(t) => t.renew_at,
            State::InfoBound { refresh } => *refresh,
            State::RebindEnded | State::Stopped => None,
        }
    }
}
