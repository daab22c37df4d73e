//! The server's side of DHCPv6 authentication:
//!
//! - Reconfigure keys (RFC 8415 §18.3.11, §20.4): offered when
//!   dhcp6s.conf has an `authentication NAME { protocol reconfig; };`
//!   block (WIDE parses the block and does nothing with it). A client that
//!   sends Reconfigure Accept gets a 128-bit reconfigure key (RKAP) in its
//!   Reply; its key and the way it was reached (interface, address, relay
//!   levels) are stored with the bindings, so they survive a restart.
//!   Sending Reconfigures is `reconf`'s.
//! - WIDE's delayed authentication (RFC 3315 §21.4; doc/wide-compat.md §6.4) for
//!   host entries with a `delayedkey`: messages carrying the option are
//!   checked against the host's key and answered signed; a failed check
//!   drops the message silently; messages without the option are served as
//!   usual.
//!
//! One replay detection counter serves every message the server signs
//! (Reconfigures too); it never goes back, even across restarts (the main
//! loop persists it, C-175).

use std::collections::HashMap;
use std::time::Duration;

use libdhcp6::auth::{self, ReconfigureKey, ReplayCounter};
use libdhcp6::codes::MessageType;
use libdhcp6::config::{AuthProtocol, KeyInfo, ServerConfig};
use libdhcp6::duid::Duid;
use libdhcp6::lease::{Change, LeaseStore, ReconfInfo};
use libdhcp6::request::{encode_path, ClientMsg, PathBytes};
use libdhcp6::timing::IRT_DEFAULT;
use libdhcp6::wire::{RelayChain, Writer};

use crate::answer::{Answer, Incoming};
use crate::scope::Scoped;

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
    /// The client's reconfigure key (RKAP type 1, C-171).
    Key {
        /// The key.
        key: ReconfigureKey,
        /// The replay value sent with it.
        replay: u64,
    },
    /// Delayed authentication with the host's key: realm, key ID, replay
    /// value, and a MAC over the whole answer.
    Delayed {
        /// The host's key.
        key: DelayedKey<'c>,
        /// The replay value.
        replay: u64,
    },
}

/// What the server keeps for authentication besides the stored records.
#[derive(Debug)]
pub struct ServerAuth {
    /// The replay detection counter of every message the server signs.
    pub counter: ReplayCounter,
    /// The last replay value accepted from each host entry (delayed
    /// authentication), by host index; lost on reload, as in WIDE.
    host_rd: HashMap<usize, u64>,
    /// Where reconfigure keys come from (the kernel's CSPRNG; tests
    /// substitute their own).
    pub key_source: fn() -> std::io::Result<ReconfigureKey>,
}

impl Default for ServerAuth {
    fn default() -> Self {
        Self {
            counter: ReplayCounter::default(),
            host_rd: HashMap::new(),
            key_source: libdhcp6::sys::random::reconfigure_key,
        }
    }
}

impl ServerAuth {
    /// Forgets per-host replay values (a reload, as in WIDE).
    pub fn reset_hosts(&mut self) {
        self.host_rd.clear();
    }
}

/// One exchange as far as its Authentication option goes: the client's
/// message, the answer decided, and the way the message came.
pub struct Exchange<'a> {
    /// The client message.
    pub msg: &'a ClientMsg<'a>,
    /// What the answer says.
    pub answer: &'a Answer,
    /// The relays it came through.
    pub chain: &'a RelayChain<'a>,
    /// The datagram.
    pub inc: &'a Incoming<'a>,
    /// Now, Unix seconds.
    pub now: u64,
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

impl ServerAuth {
    /// Checks a client message's delayed-authentication option
    /// (doc/wide-compat.md §6.4). `Ok(Some(key))`: answer signed with the host's
    /// key; `Ok(None)`: answer unsigned; `Err`: drop the message silently.
    pub fn check_delayed<'c>(
        &mut self,
        msg: &ClientMsg<'_>,
        bytes: &[u8],
        scoped: &Scoped<'c>,
        cfg: &'c ServerConfig,
        loaded: u64,
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
        if key.expire.resolve(loaded).is_some_and(|t| t <= now) {
            return Err(AuthFailed);
        }
        let host = scoped.host_index.ok_or(AuthFailed)?;
        let last = self.host_rd.get(&host).copied();
        let rd = claim
            .verify(bytes, &key.secret, last)
            .map_err(|_| AuthFailed)?;
        self.host_rd.insert(host, rd);
        Ok(Some(DelayedKey { key }))
    }

    /// Records what a Reply says about the client's willingness to be
    /// reconfigured and returns the Authentication option the Reply
    /// carries. Delayed authentication, when in use, takes the one
    /// Authentication option a message may carry. `reconfigure`: the
    /// configuration offers Reconfigure; the client's record is kept in
    /// `store`.
    pub fn reply_auth<'c, S: LeaseStore>(
        &mut self,
        store: &mut S,
        reconfigure: bool,
        ex: &Exchange<'_>,
        delayed: Option<DelayedKey<'c>>,
    ) -> ReplyAuth<'c> {
        let (msg, answer, now) = (ex.msg, ex.answer, ex.now);
        if let Some(d) = delayed {
            return ReplyAuth::Delayed {
                key: d,
                replay: self.counter.next(Duration::from_secs(now)),
            };
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
        if !msg.reconfigure_accept || !reconfigure {
            // C-084: a client that stops sending Reconfigure Accept is no
            // longer reconfigured.
            if let Some(r) = store.reconf(duid) {
                let d = r.duid.clone();
                store.apply(Change::Reconf {
                    duid: d,
                    info: None,
                });
            }
            return ReplyAuth::None;
        }
        // Kept as long as the leases of this answer, or a day for a
        // stateless client (its refresh time by default).
        let life = match answer.longest_valid() {
            Some(libdhcp6::wire::INFINITY) => u64::MAX / 2,
            Some(v) if v > 0 => u64::from(v),
            _ => IRT_DEFAULT.as_secs(),
        };
        let until = now.saturating_add(life);
        let mut path = PathBytes::new();
        encode_path(&ex.inc.src, ex.inc.ifindex, ex.chain, &mut path);
        let existing = store.reconf(duid).map(|r| {
            (
                r.duid.clone(),
                r.info.key,
                r.info.path == path.as_slice(),
                r.info.until,
            )
        });
        let (key, fresh) = match existing {
            Some((d, key, same_path, old_until)) => {
                // Re-recorded when the path changed or a quarter of the
                // lifetime has gone by: one journal record per few renewals.
                if !same_path || until > old_until.saturating_add(life / 4) {
                    store.apply(Change::Reconf {
                        duid: d,
                        info: Some(ReconfInfo {
                            key,
                            path: path.to_vec(),
                            until,
                        }),
                    });
                }
                (key, false)
            }
            None => {
                let key = match (self.key_source)() {
                    Ok(k) => k,
                    Err(e) => {
                        libdhcp6::log_err!("server6_send", "no reconfigure key: {e}");
                        return ReplyAuth::None;
                    }
                };
                let Ok(d) = Duid::from_bytes(duid) else {
                    return ReplyAuth::None;
                };
                store.apply(Change::Reconf {
                    duid: d,
                    info: Some(ReconfInfo {
                        key,
                        path: path.to_vec(),
                        until,
                    }),
                });
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
            ReplyAuth::Key {
                key,
                replay: self.counter.next(Duration::from_secs(now)),
            }
        } else {
            ReplyAuth::None
        }
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
        ReplyAuth::Key { key, replay: rd } => {
            auth::emit_reconfigure_key(w, key, *rd)?;
            Ok(None)
        }
        ReplyAuth::Delayed { key: d, replay: rd } => {
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
        ReplyAuth::Delayed { key: d, .. } => Some(&d.key.secret),
        _ => None,
    }
}
