//! Reconfigure (RFC 8415 §18.3.11, §20.4): `dhcp6ctl reconfigure` starts
//! one, retransmitted at REC_TIMEOUT doubling, at most REC_MAX_RC times,
//! until the client's Renew, Rebind or Information-request arrives
//! (C-082 … C-085). Each goes along the path stored with the client's
//! Reconfigure record, signed with its reconfigure key.
//!
//! The retransmission jitter (RFC 8415 §15's RAND) comes from the
//! operating system's random source: several servers started together
//! must not retransmit in step.

use std::time::Duration;

use libdhcp6::auth::{self, ReplayCounter};
use libdhcp6::codes::MessageType;
use libdhcp6::duid::Duid;
use libdhcp6::lease::LeaseStore;
use libdhcp6::request::{decode_path, ClientMsg};
use libdhcp6::timing::{RetransState, Retransmit};
use libdhcp6::wire::{encapsulate_reply, Writer, CLIENT_PORT, SERVER_PORT};

use crate::answer::Outgoing;

/// A Reconfigure being retransmitted.
#[derive(Debug, Clone)]
struct Pending {
    duid: Duid,
    kind: MessageType,
    state: Option<RetransState>,
    /// Milliseconds (the loop's monotonic clock) of the next transmission.
    next_ms: u64,
    /// Milliseconds of the first transmission.
    started_ms: u64,
}

/// What the server needs to send a Reconfigure besides the pending list:
/// its own DUID, the stored records and the replay counter every signed
/// message shares.
pub struct ReconfContext<'s, S: LeaseStore> {
    /// The server's DUID (the Reconfigure's Server Identifier).
    pub server_duid: &'s Duid,
    /// Where the clients' keys and paths are.
    pub store: &'s S,
    /// The replay detection counter of every message the server signs.
    pub counter: &'s mut ReplayCounter,
}

/// The Reconfigures in progress (few: each is an operator's command).
#[derive(Debug, Default)]
pub struct Reconfigures {
    pending: Vec<Pending>,
}

/// A factor in [-0.1, 0.1] for RFC 8415 §15's RAND, from the operating
/// system's random source; 0 (no jitter) if that fails, which only
/// loses the spread.
pub fn os_jitter() -> f64 {
    let mut b = [0u8; 8];
    if libdhcp6::sys::random::fill(&mut b).is_err() {
        return 0.0;
    }
    let unit = (u64::from_be_bytes(b) >> 11) as f64 / (1u64 << 53) as f64;
    (unit - 0.5) / 5.0
}

impl Reconfigures {
    /// True when a Reconfigure to `duid` is being retransmitted.
    pub fn pending_for(&self, duid: &[u8]) -> bool {
        self.pending.iter().any(|p| p.duid.as_bytes() == duid)
    }

    /// When the next Reconfigure is due (milliseconds of the loop clock).
    pub fn next_due(&self) -> Option<u64> {
        self.pending.iter().map(|p| p.next_ms).min()
    }

    /// A Renew, Rebind or Information-request from a client being
    /// reconfigured ends the retransmissions (C-083).
    pub fn reconfigure_answered(&mut self, msg: &ClientMsg<'_>) {
        if self.pending.is_empty() {
            return;
        }
        let Some(duid) = msg.client_id else { return };
        if !matches!(
            msg.msg_type,
            MessageType::Renew | MessageType::Rebind | MessageType::InformationRequest
        ) {
            return;
        }
        if let Some(i) = self.pending.iter().position(|p| p.duid.as_bytes() == duid) {
            let p = self.pending.swap_remove(i);
            libdhcp6::log_info!(
                "server6_recv",
                "reconfigure of {} answered with {}",
                p.duid,
                msg.msg_type
            );
        }
    }

    /// Starts a Reconfigure to `duid` asking for a `kind` message
    /// (Renew, Rebind or Information-request), first sent at `now_ms`.
    /// Refused when Reconfigure is not `enabled`, for a client without a
    /// Reconfigure record in `store` (it never sent Reconfigure Accept,
    /// C-084), or for one already being reconfigured.
    pub fn start_reconfigure<S: LeaseStore>(
        &mut self,
        store: &S,
        enabled: bool,
        duid: &Duid,
        kind: MessageType,
        now_ms: u64,
    ) -> Result<(), String> {
        if !matches!(
            kind,
            MessageType::Renew | MessageType::Rebind | MessageType::InformationRequest
        ) {
            return Err(format!("{kind} is not a message a Reconfigure can ask for"));
        }
        if !enabled {
            return Err(
                "Reconfigure is not enabled (no 'authentication' block with 'protocol reconfig')"
                    .into(),
            );
        }
        let Some(r) = store.reconf(duid.as_bytes()) else {
            return Err(format!("{duid} has not accepted Reconfigure"));
        };
        if self.pending_for(duid.as_bytes()) {
            return Err(format!("a Reconfigure to {duid} is already in progress"));
        }
        self.pending.push(Pending {
            duid: r.duid.clone(),
            kind,
            state: None,
            next_ms: now_ms,
            started_ms: now_ms,
        });
        Ok(())
    }

    /// Writes the next Reconfigure due by `now_ms` into `out` and says where
    /// it goes; `None` when nothing is due. Each transmission gets a new
    /// replay value and MAC (C-082, C-083, C-085).
    pub fn server6_reconf<S: LeaseStore>(
        &mut self,
        cx: &mut ReconfContext<'_, S>,
        now_ms: u64,
        now: u64,
        out: &mut [u8],
    ) -> Option<Outgoing> {
        loop {
            let i = self.pending.iter().position(|p| p.next_ms <= now_ms)?;
            let rand = os_jitter();
            let p = self.pending.get_mut(i)?;
            let elapsed = Duration::from_millis(now_ms.saturating_sub(p.started_ms));
            let next = match &mut p.state {
                None => {
                    let s = Retransmit::RECONFIGURE.start(rand);
                    let rt = s.rt;
                    p.state = Some(s);
                    Some(rt)
                }
                Some(s) => Retransmit::RECONFIGURE.next(s, elapsed, rand),
            };
            let Some(rt) = next else {
                let p = self.pending.swap_remove(i);
                libdhcp6::log_notice!(
                    "server6_reconf",
                    "reconfigure of {}: no answer after {} transmissions; given up",
                    p.duid,
                    libdhcp6::timing::REC_MAX_RC
                );
                continue;
            };
            let rt_ms = u64::try_from(rt.as_millis()).unwrap_or(u64::MAX);
            p.next_ms = now_ms.saturating_add(rt_ms);
            let (duid, kind) = (p.duid.clone(), p.kind);
            match reconfigure_message(cx, &duid, kind, now, out) {
                Some(o) => return Some(o),
                None => {
                    // The record went (expired, or the client withdrew).
                    self.pending.retain(|p| p.duid != duid);
                }
            }
        }
    }
}

/// Builds one Reconfigure for `duid` along its stored path.
fn reconfigure_message<S: LeaseStore>(
    cx: &mut ReconfContext<'_, S>,
    duid: &Duid,
    kind: MessageType,
    now: u64,
    out: &mut [u8],
) -> Option<Outgoing> {
    let r = cx.store.reconf(duid.as_bytes())?;
    let (key, path) = (r.info.key, r.info.path.as_slice());
    let route = decode_path(path)?;
    let rd = cx.counter.next(Duration::from_secs(now));
    let mut inner = [0u8; 512];
    let n = auth::build_reconfigure(&mut inner, cx.server_duid, duid, kind, rd, &key).ok()?;
    let msg = inner.get(..n)?;
    let (len, port, relayed) = if route.chain.is_empty() {
        out.get_mut(..n)?.copy_from_slice(msg);
        (n, CLIENT_PORT, false)
    } else {
        // C-085: inside Relay-replies built from the recorded levels,
        // whose innermost peer-address is the client's address.
        let mut w = Writer::new(out);
        encapsulate_reply(&route.chain, msg, &mut w).ok()?;
        let port = match route.chain.levels().first().and_then(|l| l.relay_port) {
            Some(_) => route.src.port(),
            None => SERVER_PORT,
        };
        (w.len(), port, true)
    };
    libdhcp6::log_info!(
        "server6_reconf",
        "reconfigure ({kind}) to {duid} via {}{}",
        route.src.ip(),
        if relayed { " (relay-reply)" } else { "" }
    );
    let mut dst = route.src;
    dst.set_port(port);
    Some(Outgoing {
        len,
        dst,
        ifindex: route.ifindex,
        msg_type: MessageType::Reconfigure,
        relayed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_tenth() {
        let mut seen_low = false;
        let mut seen_high = false;
        for _ in 0..10_000 {
            let r = os_jitter();
            assert!((-0.1..=0.1).contains(&r), "{r}");
            seen_low |= r < -0.05;
            seen_high |= r > 0.05;
        }
        assert!(seen_low && seen_high, "the jitter spreads over the range");
    }
}
