//! The client's authentication (mirrors the server's `ServerAuth`): WIDE's
//! delayed authentication (RFC 3315 §21.4, doc/wide-compat.md §6), kept for
//! compatibility with `send authentication NAME`, and the reconfigure key
//! (RKAP, RFC 8415 §20.4) of the servers that gave one, for Reconfigure
//! (kame6's `send reconfigure-accept`). One value holds all of it: the
//! configured keys, the session's key, the replay detection values seen
//! per server and sent by us.

use std::time::{Duration, Instant};

use libdhcp6::auth::{self, ReconfigureKey, ReplayCounter};
use libdhcp6::codes::MessageType;
use libdhcp6::duid::Duid;
use libdhcp6::wire::{Auth, MessageRepr, OptionRepr};

use crate::action::{Action, DropReason, LogLevel};
use crate::conf::{DelayedKey, IfConfig, WallClock};

/// What the client remembers of a server's authentication: the last
/// replay detection value accepted from it (RFC 8415 §20.3, kept per
/// Server ID) and the reconfigure key it gave (RFC 8415 §20.4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Peer {
    server: Duid,
    last_rd: Option<u64>,
    reconf_key: Option<ReconfigureKey>,
}

/// Servers remembered in [`Peer`]s; more evict the oldest that is not
/// the binding server, so forged Server IDs cannot grow the list.
const MAX_PEERS: usize = 8;

/// The authentication state of one interface.
#[derive(Debug, Clone)]
pub struct ClientAuth {
    /// The interface, for logs.
    ifname: String,
    /// `send authentication`: the delayed-authentication keys; `None`: the
    /// interface ignores Authentication options (C-178).
    keys: Option<Vec<DelayedKey>>,
    /// `send reconfigure-accept`: reconfigure keys are kept.
    reconfigure_accept: bool,
    /// The wall clock: the configured one, or Unix time 0 when the machine
    /// started.
    clock: WallClock,
    /// Authentication state per server.
    peers: Vec<Peer>,
    /// The delayed-authentication key of this session (RFC 3315 §21.4.3:
    /// chosen by the Advertise that was selected, used until the next
    /// Solicit), an index into `keys`.
    session_key: Option<usize>,
    /// Replay detection values we send, strictly increasing.
    rd: ReplayCounter,
}

impl ClientAuth {
    /// The authentication of an interface configured by `conf`, whose
    /// machine starts at `now`.
    pub fn new(conf: &IfConfig, now: Instant) -> Self {
        Self {
            ifname: conf.ifname.clone(),
            keys: conf.delayed_auth.clone(),
            reconfigure_accept: conf.reconfigure_accept,
            clock: conf.wall_clock.unwrap_or(WallClock {
                at: now,
                unix: Duration::ZERO,
            }),
            peers: Vec::new(),
            session_key: None,
            rd: ReplayCounter::default(),
        }
    }

    /// Unix time at `now` on the machine's wall clock.
    pub fn wall(&self, now: Instant) -> Duration {
        self.clock.unix_at(now)
    }

    /// A new Solicit is a new session: the delayed-authentication key is
    /// chosen again (RFC 3315 §21.4.3).
    pub fn new_session(&mut self) {
        self.session_key = None;
    }

    /// The key that authenticated the chosen server's message (an
    /// Advertise, or a rapid-commit Reply) is the session's from now on
    /// (RFC 3315 §21.4.4.3).
    pub fn choose(&mut self, key: Option<usize>) {
        self.session_key = key;
    }

    /// Delayed authentication of an Advertise or Reply (RFC 3315
    /// §21.4.4.2, §21.4.4.5; doc/wide-compat.md §6.3). `Ok(None)` on an interface
    /// without authentication, which ignores Authentication options
    /// (C-178). With it, the message must carry delayed-authentication
    /// information naming a configured key: in a Solicit exchange
    /// (`soliciting`) the first `keyinfo` with that realm and key ID, later
    /// the session's own key; the key not expired, the MAC right, the
    /// replay value above the last one from that server (none known: the
    /// first is taken). Anything else is dropped (WIDE's rule: an interface
    /// with authentication takes nothing unauthenticated). A Reply failing
    /// this is dropped, not answered by a new Solicit as RFC 3315
    /// §21.4.4.5 asks: a forged Reply must not be able to throw the client
    /// out of its binding. `binding` is the server holding our bindings.
    pub fn authenticate(
        &mut self,
        now: Instant,
        bytes: &[u8],
        soliciting: bool,
        server: &Duid,
        binding: Option<&Duid>,
    ) -> Result<Option<usize>, DropReason> {
        let Some(keys) = &self.keys else {
            return Ok(None);
        };
        let claim = auth::delayed_claim(bytes).map_err(DropReason::from_auth)?;
        // Inside a session only its key; in a Solicit exchange any, the
        // first in file order that the claim names.
        let session = self.session_key.filter(|_| !soliciting);
        let (idx, key) = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| session.is_none_or(|s| s == *i))
            .find(|(_, k)| k.matches(&claim))
            .ok_or(DropReason::Auth)?;
        if key.expired(self.wall(now)) {
            return Err(DropReason::Auth);
        }
        let last = self.peer(server).and_then(|p| p.last_rd);
        let rd = claim
            .verify(bytes, &key.secret, last)
            .map_err(DropReason::from_auth)?;
        self.peer_mut(server, binding).last_rd = Some(rd);
        Ok(Some(idx))
    }

    /// Encodes `msg`, of an exchange of `kind`, with delayed authentication
    /// when the interface uses it (doc/wide-compat.md §6.3): Solicit announces it
    /// (option-len 11, replay value 0, C-177); every other message carries
    /// the session key's realm and key ID, a fresh replay value and the
    /// HMAC-MD5 of the final message, the option last as WIDE puts it.
    /// Without a usable key the message is not sent, as in WIDE, and that
    /// is logged once per exchange (`noted`). That is always so for an
    /// Information-request outside a session: RFC 3315 §21.4.4.4 only lets
    /// a client authenticate one with a key a server chose earlier, and
    /// WIDE sends none at all.
    pub fn seal(
        &mut self,
        now: Instant,
        mut msg: MessageRepr,
        noted: &mut bool,
        out: &mut Vec<Action>,
    ) -> Option<Vec<u8>> {
        let Some(keys) = &self.keys else {
            return msg.to_vec().ok();
        };
        let kind = msg.msg_type;
        if kind == MessageType::Solicit {
            msg.options.push(OptionRepr::Auth(Auth::delayed_announce()));
            return msg.to_vec().ok();
        }
        let wall = self.wall(now);
        let bound = self.session_key.and_then(|i| keys.get(i));
        let Some(key) = bound.filter(|k| !k.expired(wall)) else {
            if !*noted {
                let ifname = &self.ifname;
                let text = match bound {
                    Some(k) => format!(
                        "{ifname}: delayed authentication key {} has expired; {kind} not sent",
                        k.name
                    ),
                    None if kind == MessageType::InformationRequest => format!(
                        "{ifname}: delayed authentication cannot be used for Information-request: \
                         no server has chosen a key for this client (RFC 3315 §21.4.4.4); \
                         not sent"
                    ),
                    None => format!(
                        "{ifname}: no delayed authentication key chosen by a server; {kind} not sent"
                    ),
                };
                out.push(Action::Log {
                    level: LogLevel::Notice,
                    func: "client6_send",
                    text,
                });
                *noted = true;
            }
            return None;
        };
        let replay = self.rd.next(wall);
        msg.options.push(OptionRepr::Auth(Auth::delayed(
            &key.realm, key.key_id, replay,
        )));
        let mut bytes = msg.to_vec().ok()?;
        auth::sign_in_place(&key.secret, &mut bytes).ok()?;
        Some(bytes)
    }

    /// What the client knows of `server`'s authentication.
    fn peer(&self, server: &Duid) -> Option<&Peer> {
        self.peers.iter().find(|p| &p.server == server)
    }

    /// The record of `server`, made if new (evicting the oldest record of
    /// a server that does not hold our bindings, `binding`, when the list
    /// is full).
    fn peer_mut(&mut self, server: &Duid, binding: Option<&Duid>) -> &mut Peer {
        let at = match self.peers.iter().position(|p| &p.server == server) {
            Some(i) => i,
            None => {
                if self.peers.len() >= MAX_PEERS {
                    let old = self
                        .peers
                        .iter()
                        .position(|p| Some(&p.server) != binding)
                        .unwrap_or(0);
                    self.peers.remove(old);
                }
                self.peers.push(Peer {
                    server: server.clone(),
                    last_rd: None,
                    reconf_key: None,
                });
                self.peers.len() - 1
            }
        };
        &mut self.peers[at]
    }

    /// Keeps the reconfigure key a Reply carries (RFC 8415 §20.4.3) for the
    /// server that sent it, with the Reply's replay value as the first one
    /// seen from that server (RFC 8415 §20.3). A key whose replay value is
    /// not above the last one seen is an old message replayed: ignored.
    pub fn take_reconfigure_key(
        &mut self,
        server: &Duid,
        binding: Option<&Duid>,
        msg: &MessageRepr,
        out: &mut Vec<Action>,
    ) {
        if !self.reconfigure_accept {
            return;
        }
        let note = |text: String| Action::Log {
            level: LogLevel::Notice,
            func: "client6_recvreply",
            text,
        };
        match auth::reconfigure_key(msg) {
            Ok(Some(auth::DeliveredKey { key, replay: rd })) => {
                let ifname = self.ifname.clone();
                let p = self.peer_mut(server, binding);
                if !auth::replay_ok(p.last_rd, rd) {
                    out.push(note(format!(
                        "{ifname}: reconfigure key from {server} ignored: replay value {rd:#x} is not above {:#x}",
                        p.last_rd.unwrap_or(0)
                    )));
                    return;
                }
                p.last_rd = Some(rd);
                if p.reconf_key != Some(key) {
                    p.reconf_key = Some(key);
                    out.push(Action::Log {
                        level: LogLevel::Info,
                        func: "client6_recvreply",
                        text: format!("{ifname}: reconfigure key received from {server}"),
                    });
                }
            }
            Ok(None) => {}
            Err(e) => out.push(note(format!(
                "{}: reconfigure key from {server} unusable: {e}",
                self.ifname
            ))),
        }
    }

    /// Checks a Reconfigure from `server` (the binding server): its RKAP
    /// digest with the key that server gave, its replay value above the
    /// last one seen from it (C-172 … C-174).
    pub fn verify_reconfigure(&mut self, bytes: &[u8], server: &Duid) -> Result<(), DropReason> {
        let peer = self.peer(server);
        let key = peer.and_then(|p| p.reconf_key).ok_or(DropReason::Auth)?;
        let rd = auth::verify_reconfigure(bytes, &key, peer.and_then(|p| p.last_rd))
            .map_err(DropReason::from_auth)?;
        self.peer_mut(server, Some(server)).last_rd = Some(rd);
        Ok(())
    }
}
