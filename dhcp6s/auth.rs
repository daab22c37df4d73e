//! The server's side of DHCPv6 authentication:
//!
//! - Reconfigure (RFC 8415 §18.3.11, §20.4): offered when dhcp6s.conf has
//!   an `authentication NAME { protocol reconfig; };` block (WIDE parses
//!   the block and does nothing with it). A client that sends Reconfigure
//!   Accept gets a 128-bit reconfigure key (RKAP) in its Reply; its key and
//!   the way it was reached (interface, address, relay levels) are stored
//!   with the bindings, so they survive a restart. `dhcp6ctl reconfigure`
//!   starts a Reconfigure, retransmitted at REC_TIMEOUT doubling, at most
//!   REC_MAX_RC times, until the client's Renew, Rebind or
//!   Information-request arrives (C-082 … C-085).
//! - WIDE's delayed authentication (RFC 3315 §21.4; doc/wide-compat.md §6.4) for
//!   host entries with a `delayedkey`: messages carrying the option are
//!   checked against the host's key and answered signed; a failed check
//!   drops the message silently; messages without the option are served as
//!   usual.
//!
//! One replay detection counter serves every message the server signs; it
//! never goes back, even across restarts (the main loop persists it, C-175).

use std::collections::HashMap;
use std::time::Duration;

use libdhcp6::auth::{self, ReconfigureKey, ReplayCounter};
use libdhcp6::codes::MessageType;
use libdhcp6::config::{AuthProtocol, KeyInfo, ServerConfig};
use libdhcp6::duid::Duid;
use libdhcp6::lease::{Change, LeaseStore, ReconfInfo};
use libdhcp6::request::{decode_path, encode_path, ClientMsg, PathBytes};
use libdhcp6::timing::{RetransState, Retransmit, IRT_DEFAULT};
use libdhcp6::wire::{encapsulate_reply, RelayChain, Writer, CLIENT_PORT, SERVER_PORT};

use crate::react::{Answer, IaAnswer};
use crate::server::{Incoming, Outgoing, Scoped, Server};

/// How the key of a delayed-authentication answer is chosen.
#[derive(Debug, Clone, Copy)]
pub struct DelayedKey<'c> {
    /// The key, from the host's `delayedkey`.
    pub key: &'c KeyInfo,
}

/// The Authentication option an answer carries, if any (one per message).
#[derive(Debug, Clone, Copy)]
pub enum ReplyAuth<'c> {
    /// None.
    None,
    /// The client's reconfigure key (RKAP type 1, C-171) and the replay
    /// value sent with it.
    Key(ReconfigureKey, u64),
    /// Delayed authentication with the host's key: realm, key ID, replay
    /// value, and a MAC over the whole answer.
    Delayed(DelayedKey<'c>, u64),
}

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

/// What the server keeps for authentication besides the stored records.
#[derive(Debug)]
pub struct ServerAuth {
    /// The replay detection counter of every message the server signs.
    pub counter: ReplayCounter,
    /// Reconfigures in progress (few: each is an operator's command).
    pending: Vec<Pending>,
    /// The last replay value accepted from each host entry (delayed
    /// authentication), by host index; lost on reload, as in WIDE.
    host_rd: HashMap<usize, u64>,
    /// State of the generator of retransmission jitter.
    rng: u64,
    /// Where reconfigure keys come from (the kernel's CSPRNG; tests
    /// substitute their own).
    pub key_source: fn() -> std::io::Result<ReconfigureKey>,
}

impl Default for ServerAuth {
    fn default() -> Self {
        Self {
            counter: ReplayCounter::default(),
            pending: Vec::new(),
            host_rd: HashMap::new(),
            rng: 0x9e37_79b9_7f4a_7c15,
            key_source: libdhcp6::sys::random::reconfigure_key,
        }
    }
}

impl ServerAuth {
    /// Seeds the jitter of retransmissions (any value; 0 is replaced).
    pub fn seed(&mut self, seed: u64) {
        self.rng = seed.max(1);
    }

    /// A factor in [-0.1, 0.1] for RFC 8415 §15's RAND.
    fn rand(&mut self) -> f64 {
        // xorshift64: jitter needs spread, not secrecy.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let unit = (self.rng >> 11) as f64 / (1u64 << 53) as f64;
        (unit - 0.5) / 5.0
    }

    /// Forgets per-host replay values (a reload, as in WIDE).
    pub fn reset_hosts(&mut self) {
        self.host_rd.clear();
    }

    /// True when a Reconfigure to `duid` is being retransmitted.
    pub fn pending_for(&self, duid: &[u8]) -> bool {
        self.pending.iter().any(|p| p.duid.as_bytes() == duid)
    }

    /// When the next Reconfigure is due (milliseconds of the loop clock).
    pub fn next_due(&self) -> Option<u64> {
        self.pending.iter().map(|p| p.next_ms).min()
    }
}

/// True when the configuration offers Reconfigure.
pub fn reconfigure_enabled(cfg: &ServerConfig) -> bool {
    cfg.auths
        .iter()
        .any(|a| a.protocol == AuthProtocol::Reconfig)
}

/// Why a client message's authentication failed (the message is dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthFailed;

impl<S: LeaseStore> Server<S> {
    /// Checks a client message's delayed-authentication option
    /// (doc/wide-compat.md §6.4). `Ok(Some(key))`: answer signed with the host's
    /// key; `Ok(None)`: answer unsigned; `Err`: drop the message silently.
    pub fn check_delayed<'c>(
        &mut self,
        msg: &ClientMsg<'_>,
        bytes: &[u8],
        scoped: &Scoped<'c>,
        cfg: &'c ServerConfig,
        now: u64,
    ) -> Result<Option<DelayedKey<'c>>, AuthFailed> {
        let Some(opt) = msg.auth else {
            // Without the option every message is served (WIDE has no
            // "authentication required" policy).
            return Ok(None);
        };
        // Information-request is never authenticated (RFC 3315 §21.4.4.4
        // needs a key a server chose; WIDE ignores the option).
        if msg.msg_type == MessageType::InformationRequest {
            return Ok(None);
        }
        // Only delayed authentication (protocol 2) is a client's to send;
        // anything else from a client carries no meaning here.
        if opt.data.first() != Some(&libdhcp6::wire::auth_protocol::DELAYED) {
            return Ok(None);
        }
        let key = scoped
            .host
            .and_then(|h| h.delayed_key.as_ref())
            .and_then(|name| cfg.keys.iter().find(|k| &k.name == name));
        if msg.msg_type == MessageType::Solicit {
            // The Solicit announces delayed authentication; the Advertise
            // is signed when the host has a key, and unsigned otherwise
            // (doc/wide-compat.md §6.4).
            return Ok(key.map(|key| DelayedKey { key }));
        }
        let key = key.ok_or(AuthFailed)?;
        let claim = auth::delayed_claim(bytes).map_err(|_| AuthFailed)?;
        if claim.realm != key.realm.as_bytes() || claim.key_id != key.keyid {
            return Err(AuthFailed);
        }
        if key.expire.resolve(self.loaded).is_some_and(|t| t <= now) {
            return Err(AuthFailed);
        }
        let host = scoped.host_index.ok_or(AuthFailed)?;
        let last = self.auth.host_rd.get(&host).copied();
        let rd = claim
            .verify(bytes, &key.secret, last)
            .map_err(|_| AuthFailed)?;
        self.auth.host_rd.insert(host, rd);
        Ok(Some(DelayedKey { key }))
    }

    /// Records what a Reply says about the client's willingness to be
    /// reconfigured and returns the Authentication option the Reply
    /// carries. Delayed authentication, when in use, takes the one
    /// Authentication option a message may carry.
    pub fn reply_auth<'c>(
        &mut self,
        msg: &ClientMsg<'_>,
        answer: &Answer,
        delayed: Option<DelayedKey<'c>>,
        chain: &RelayChain<'_>,
        inc: &Incoming<'_>,
        now: u64,
    ) -> ReplyAuth<'c> {
        if let Some(d) = delayed {
            return ReplyAuth::Delayed(d, self.auth.counter.next(Duration::from_secs(now)));
        }
        let Some(duid) = msg.client_id else {
            return ReplyAuth::None;
        };
        use MessageType as M;
        // Only the exchanges that commit something carry the client's
        // willingness (RFC 8415 §18.2: Reconfigure Accept in Request,
        // Renew, Rebind, Information-request, and Solicit with Rapid Commit).
        let commits = answer.msg_type == M::Reply
            && matches!(
                msg.msg_type,
                M::Solicit | M::Request | M::Renew | M::Rebind | M::InformationRequest
            );
        if !commits {
            return ReplyAuth::None;
        }
        if !msg.reconfigure_accept || !self.reconfigure {
            // C-084: a client that stops sending Reconfigure Accept is no
            // longer reconfigured.
            if let Some((d, _)) = self.store.reconf(duid) {
                let d = d.clone();
                self.store.apply(Change::Reconf(d, None));
            }
            return ReplyAuth::None;
        }
        // Kept as long as the leases of this answer, or a day for a
        // stateless client (its refresh time by default).
        let longest = answer
            .ias
            .iter()
            .filter_map(|ia| match &ia.answer {
                IaAnswer::Leases(l) => l.iter().map(|(_, _, v)| *v).max(),
                IaAnswer::Status(_) => None,
            })
            .max();
        let life = match longest {
            Some(libdhcp6::wire::INFINITY) => u64::MAX / 2,
            Some(v) if v > 0 => u64::from(v),
            _ => IRT_DEFAULT.as_secs(),
        };
        let until = now.saturating_add(life);
        let mut path = PathBytes::new();
        encode_path(&inc.src, inc.ifindex, chain, &mut path);
        let existing = self.store.reconf(duid).map(|(d, info)| {
            (
                d.clone(),
                info.key,
                info.path == path.as_slice(),
                info.until,
            )
        });
        let (key, fresh) = match existing {
            Some((d, key, same_path, old_until)) => {
                // Re-recorded when the path changed or a quarter of the
                // lifetime has gone by: one journal record per few renewals.
                if !same_path || until > old_until.saturating_add(life / 4) {
                    self.store.apply(Change::Reconf(
                        d,
                        Some(ReconfInfo {
                            key,
                            path: path.to_vec(),
                            until,
                        }),
                    ));
                }
                (key, false)
            }
            None => {
                let key = match (self.auth.key_source)() {
                    Ok(k) => k,
                    Err(e) => {
                        libdhcp6::log_err!("server6_send", "no reconfigure key: {e}");
                        return ReplyAuth::None;
                    }
                };
                let Ok(d) = Duid::from_bytes(duid) else {
                    return ReplyAuth::None;
                };
                self.store.apply(Change::Reconf(
                    d,
                    Some(ReconfInfo {
                        key,
                        path: path.to_vec(),
                        until,
                    }),
                ));
                (key, true)
            }
        };
        // The key goes in the Replies of the exchanges RFC 8415 §20.4.1
        // names, and in any Reply when it is new to the client (a server
        // that lost its records, or a client first accepting on a Renew).
        let sends_key = fresh
            || matches!(
                msg.msg_type,
                M::Solicit | M::Request | M::InformationRequest
            );
        if sends_key {
            ReplyAuth::Key(key, self.auth.counter.next(Duration::from_secs(now)))
        } else {
            ReplyAuth::None
        }
    }

    /// A Renew, Rebind or Information-request from a client being
    /// reconfigured ends the retransmissions (C-083).
    pub fn reconfigure_answered(&mut self, msg: &ClientMsg<'_>) {
        if self.auth.pending.is_empty() {
            return;
        }
        let Some(duid) = msg.client_id else { return };
        if !matches!(
            msg.msg_type,
            MessageType::Renew | MessageType::Rebind | MessageType::InformationRequest
        ) {
            return;
        }
        if let Some(i) = self
            .auth
            .pending
            .iter()
            .position(|p| p.duid.as_bytes() == duid)
        {
            let p = self.auth.pending.swap_remove(i);
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
    /// Refused for a client that never sent Reconfigure Accept (C-084) or
    /// is already being reconfigured.
    pub fn start_reconfigure(
        &mut self,
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
        if !self.reconfigure {
            return Err(
                "Reconfigure is not enabled (no 'authentication' block with 'protocol reconfig')"
                    .into(),
            );
        }
        let Some((d, _)) = self.store.reconf(duid.as_bytes()) else {
            return Err(format!("{duid} has not accepted Reconfigure"));
        };
        if self.auth.pending_for(duid.as_bytes()) {
            return Err(format!("a Reconfigure to {duid} is already in progress"));
        }
        let duid = d.clone();
        self.auth.pending.push(Pending {
            duid,
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
    pub fn server6_reconf(&mut self, now_ms: u64, now: u64, out: &mut [u8]) -> Option<Outgoing> {
        loop {
            let i = self.auth.pending.iter().position(|p| p.next_ms <= now_ms)?;
            let rand = self.auth.rand();
            let p = self.auth.pending.get_mut(i)?;
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
                let p = self.auth.pending.swap_remove(i);
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
            match self.reconfigure_message(&duid, kind, now, out) {
                Some(o) => return Some(o),
                None => {
                    // The record went (expired, or the client withdrew).
                    self.auth.pending.retain(|p| p.duid != duid);
                }
            }
        }
    }

    /// Builds one Reconfigure for `duid` along its stored path.
    fn reconfigure_message(
        &mut self,
        duid: &Duid,
        kind: MessageType,
        now: u64,
        out: &mut [u8],
    ) -> Option<Outgoing> {
        let (key, path) = {
            let (_, info) = self.store.reconf(duid.as_bytes())?;
            (info.key, info.path.clone())
        };
        let route = decode_path(&path)?;
        let rd = self.auth.counter.next(Duration::from_secs(now));
        let mut inner = [0u8; 512];
        let n = auth::build_reconfigure(&mut inner, &self.duid, duid, kind, rd, &key).ok()?;
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
}

/// Writes the Authentication option `auth` asks for at the end of a
/// message being written, and returns where its MAC sits (delayed
/// authentication), so the caller signs the finished message.
pub fn emit_reply_auth(
    auth: &ReplyAuth<'_>,
    w: &mut Writer<'_>,
) -> libdhcp6::wire::Result<Option<usize>> {
    match auth {
        ReplyAuth::None => Ok(None),
        ReplyAuth::Key(key, rd) => {
            auth::emit_reconfigure_key(w, key, *rd)?;
            Ok(None)
        }
        ReplyAuth::Delayed(d, rd) => {
            let a = libdhcp6::wire::Auth::delayed(d.key.realm.as_bytes(), d.key.keyid, *rd);
            // The MAC's place inside the option data, after the 4-octet
            // option header, as the option's own layout says.
            let mac_at = a.mac_offset().map(|o| w.len() + 4 + o);
            libdhcp6::wire::OptionRepr::Auth(a).emit(w)?;
            Ok(mac_at)
        }
    }
}

/// The secret that signs a delayed-authentication answer.
pub fn signing_secret<'c>(auth: &ReplyAuth<'c>) -> Option<&'c [u8]> {
    match auth {
        ReplyAuth::Delayed(d, _) => Some(&d.key.secret),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_tenth() {
        let mut a = ServerAuth::default();
        a.seed(42);
        for _ in 0..10_000 {
            let r = a.rand();
            assert!((-0.1..=0.1).contains(&r), "{r}");
        }
    }
}
