//! DHCPv6 authentication (RFC 8415 §20-21.11, RFC 3315 §21.4): HMAC-MD5
//! over a whole message with its MAC field zeroed, replay detection, the
//! Reconfigure Key Authentication Protocol (RKAP) and the legacy delayed
//! authentication protocol. Mirrors KAME's `dhcp6_calc_mac`,
//! `dhcp6_verify_mac` and `dhcp6_auth_replaycheck`. Pure: the caller finds
//! the keys, reads the clock and draws random keys (`sys::random`).
//!
//! For a server sending Reconfigure (RFC 8415 §18.3.11, §20.4):
//!
//! 1. draw a key per client with `sys::random::reconfigure_key` (C-176) and
//!    put it in the Reply with [`emit_reconfigure_key`], its replay value
//!    taken from the same [`ReplayCounter`] that later signs the
//!    Reconfigures (the client records the first value it sees, C-174);
//! 2. build each Reconfigure with [`build_reconfigure`], which signs it in
//!    place (C-172); relayed clients get those bytes inside a Relay-reply.
//!
//! For delayed authentication: [`delayed_claim`] reads what a message's
//! option claims (realm, key ID, replay value), the caller picks the key,
//! [`DelayedClaim::verify`] checks MAC and replay; outgoing messages carry
//! [`Auth::delayed`] last and are signed with [`sign_in_place`].

use core::time::Duration;

use hmac::{Hmac, Mac};
use md5::Md5;

use crate::codes::{MessageType, OptionCode};
use crate::duid::Duid;
use crate::wire::{
    self, auth_protocol, rkap_type, Auth, AuthInfo, Message, MessageRepr, OptionRepr, Writer,
    AUTH_ALGORITHM_HMAC_MD5, AUTH_RDM_MONOTONIC,
};

type HmacMd5 = Hmac<Md5>;

/// Length of an HMAC-MD5 value.
pub const MAC_LEN: usize = 16;

/// Length of a reconfigure key: 128 bits (RFC 8415 §20.4.1).
pub const KEY_LEN: usize = 16;

/// A reconfigure key (RKAP).
pub type ReconfigureKey = [u8; KEY_LEN];

/// Why authentication could not be checked or computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The message has more than one Authentication option (RFC 3315
    /// §21.4.2: such a message is discarded; C-170).
    #[error("more than one authentication option")]
    Repeated,
    /// The Authentication option has no MAC field (no authentication
    /// information, or an RKAP key rather than a digest).
    #[error("no authentication MAC in the message")]
    NoMac,
    /// The MAC field lies outside the message.
    #[error("MAC field outside the message")]
    OutOfRange,
    /// The bytes are not a client/server message whose options decode.
    #[error("malformed message")]
    Malformed,
    /// The message carries no Authentication option.
    #[error("no authentication option")]
    Missing,
    /// The Authentication option is not of the protocol, algorithm,
    /// replay detection method or layout expected here.
    #[error(
        "authentication protocol {protocol}, algorithm {algorithm}, RDM {rdm} not usable here"
    )]
    Unsupported {
        /// Protocol found.
        protocol: u8,
        /// Algorithm found.
        algorithm: u8,
        /// Replay detection method found.
        rdm: u8,
    },
    /// The MAC does not match the message and key.
    #[error("MAC does not verify")]
    BadMac,
    /// The replay detection value is not above the last one accepted from
    /// that peer (RFC 8415 §20.3; C-174).
    #[error("replay detection value {got:#x} is not above the last one accepted ({last:#x})")]
    Replay {
        /// The last value accepted.
        last: u64,
        /// The value received.
        got: u64,
    },
    /// The message could not be encoded.
    #[error("encoding: {0}")]
    Encode(wire::Error),
}

fn keyed(key: &[u8], msg: &[u8], mac_offset: usize) -> Result<HmacMd5, AuthError> {
    let (head, rest) = msg
        .split_at_checked(mac_offset)
        .ok_or(AuthError::OutOfRange)?;
    let tail = rest.get(MAC_LEN..).ok_or(AuthError::OutOfRange)?;
    // HMAC takes a key of any length (RFC 2104 §2), so this cannot fail.
    let mut mac = HmacMd5::new_from_slice(key).expect("HMAC accepts any key length");
    // The MAC is computed as if its own field were zero, without copying
    // the message to zero it.
    mac.update(head);
    mac.update(&[0u8; MAC_LEN]);
    mac.update(tail);
    Ok(mac)
}

/// HMAC-MD5 of `msg` keyed with `key`, the 16 octets at `mac_offset` taken
/// as zero (RFC 3315 §21.4.1, RFC 8415 §20.4; C-172).
pub fn calc_mac(key: &[u8], msg: &[u8], mac_offset: usize) -> Result<[u8; MAC_LEN], AuthError> {
    let out = keyed(key, msg, mac_offset)?.finalize().into_bytes();
    let mut mac = [0u8; MAC_LEN];
    mac.copy_from_slice(&out);
    Ok(mac)
}

/// Writes the MAC of `msg` into its own MAC field.
pub fn sign(key: &[u8], msg: &mut [u8], mac_offset: usize) -> Result<(), AuthError> {
    let mac = calc_mac(key, msg, mac_offset)?;
    msg.get_mut(mac_offset..)
        .and_then(|m| m.get_mut(..MAC_LEN))
        .ok_or(AuthError::OutOfRange)?
        .copy_from_slice(&mac);
    Ok(())
}

/// True when the MAC at `mac_offset` is right for `key`; compared in
/// constant time, never with `==`.
pub fn verify_mac(key: &[u8], msg: &[u8], mac_offset: usize) -> bool {
    let Some(got) = msg.get(mac_offset..).and_then(|m| m.get(..MAC_LEN)) else {
        return false;
    };
    match keyed(key, msg, mac_offset) {
        Ok(mac) => mac.verify_slice(got).is_ok(),
        Err(_) => false,
    }
}

/// Replay detection with RDM 0 (RFC 8415 §20.3): the first value seen from
/// a peer is taken; after that only strictly larger ones (C-174).
pub fn replay_ok(last: Option<u64>, new: u64) -> bool {
    last.is_none_or(|l| new > l)
}

fn check_replay(last: Option<u64>, got: u64) -> Result<u64, AuthError> {
    if replay_ok(last, got) {
        Ok(got)
    } else {
        Err(AuthError::Replay {
            last: last.unwrap_or(0),
            got,
        })
    }
}

/// The single Authentication option of a message, decoded, and where its
/// MAC field sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The option.
    pub auth: Auth,
    /// Offset of the 16 MAC octets from the start of the message, for the
    /// layouts that carry a MAC: delayed authentication with information
    /// and the RKAP digest (type 2). An RKAP key (type 1) has none: signing
    /// must never overwrite a key.
    pub mac_offset: Option<usize>,
}

/// The Authentication option of a client/server message, if it has one;
/// more than one is an error (C-170). Any position is accepted (WIDE
/// emits it last, others need not).
pub fn find(msg: &[u8]) -> Result<Option<Found>, AuthError> {
    let view = Message::new_checked(msg).map_err(|_| AuthError::Malformed)?;
    let base = msg.len() - view.options_area().len();
    let mut found = None;
    let mut at = base;
    for opt in view.options() {
        let opt = opt.map_err(|_| AuthError::Malformed)?;
        if opt.code == OptionCode::Auth {
            if found.is_some() {
                return Err(AuthError::Repeated);
            }
            let OptionRepr::Auth(auth) =
                OptionRepr::parse(&opt).map_err(|_| AuthError::Malformed)?
            else {
                return Err(AuthError::Malformed);
            };
            let inner = match auth.info {
                AuthInfo::Delayed { .. }
                | AuthInfo::ReconfigureKey {
                    kind: rkap_type::HMAC,
                    ..
                } => auth.mac_offset(),
                _ => None,
            };
            // Option header (4) + the offset inside the option data.
            let mac_offset = inner.map(|i| at + 4 + i);
            found = Some(Found { auth, mac_offset });
        }
        at += opt.wire_len();
    }
    Ok(found)
}

/// Where the MAC of the (single) Authentication option of a client/server
/// message sits, counted from the start of the message.
pub fn mac_offset(msg: &[u8]) -> Result<usize, AuthError> {
    find(msg)?
        .ok_or(AuthError::Missing)?
        .mac_offset
        .ok_or(AuthError::NoMac)
}

/// Signs a message in place: its single Authentication option (delayed
/// authentication or an RKAP digest) was emitted with a zero MAC, which
/// is replaced by the HMAC-MD5 of the whole message keyed with `key`
/// (RFC 3315 §21.4.1, RFC 8415 §20.4.4). Sign the client/server message
/// before wrapping it in a Relay-reply: relay headers are not covered.
pub fn sign_in_place(key: &[u8], msg: &mut [u8]) -> Result<(), AuthError> {
    let off = mac_offset(msg)?;
    sign(key, msg, off)
}

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// The NTP timestamp (RFC 5905 §6: 32-bit seconds since 1900, 32-bit
/// binary fraction) of a Unix time: the replay detection value RFC 3315
/// §21.3 suggests and WIDE sends (doc/wide-compat.md §6.1). The seconds wrap in
/// 2036 as NTP era 0 does.
pub fn ntp_timestamp(unix: Duration) -> u64 {
    let secs = unix.as_secs().wrapping_add(NTP_UNIX_OFFSET) & 0xffff_ffff;
    let frac = (u64::from(unix.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// A sender's replay detection counter (RDM 0, RFC 8415 §20.3): the NTP
/// time, but always above the last value handed out, so two messages in
/// the same clock tick, or after the clock stepped back, still count up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayCounter {
    last: u64,
}

impl ReplayCounter {
    /// A counter whose next value is above `floor` (0 for a fresh one; a
    /// server restores the last value it persisted, C-175).
    pub fn new(floor: u64) -> Self {
        Self { last: floor }
    }

    /// The next value at Unix time `unix`.
    pub fn next(&mut self, unix: Duration) -> u64 {
        let v = ntp_timestamp(unix).max(self.last.saturating_add(1));
        self.last = v;
        v
    }

    /// The last value handed out.
    pub fn last(&self) -> u64 {
        self.last
    }
}

/// Writes the RKAP option carrying `key` (RFC 8415 §20.4.3: protocol 3,
/// algorithm 1, RDM 0, type 1, 16 octets; C-171), as a server puts it in
/// the Reply to a client that sent Reconfigure Accept.
pub fn emit_reconfigure_key(
    w: &mut Writer<'_>,
    key: &ReconfigureKey,
    replay: u64,
) -> wire::Result<()> {
    OptionRepr::Auth(Auth::reconfigure_key(*key, replay)).emit(w)
}

/// A reconfigure key as a Reply delivers it (RFC 8415 §20.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveredKey {
    /// The key.
    pub key: ReconfigureKey,
    /// The replay detection value sent with it.
    pub replay: u64,
}

/// The reconfigure key a Reply carries. `Ok(None)` when the Reply has no
/// RKAP option; an RKAP option of another layout, or two Authentication
/// options, is an error.
pub fn reconfigure_key(reply: &MessageRepr) -> Result<Option<DeliveredKey>, AuthError> {
    let mut auths = reply.options.iter().filter_map(|o| match o {
        OptionRepr::Auth(a) => Some(a),
        _ => None,
    });
    let Some(a) = auths.next() else {
        return Ok(None);
    };
    if auths.next().is_some() {
        return Err(AuthError::Repeated);
    }
    if a.protocol != auth_protocol::RECONFIGURE_KEY {
        return Ok(None);
    }
    match a.info {
        AuthInfo::ReconfigureKey {
            kind: rkap_type::KEY,
            value,
        } if a.algorithm == AUTH_ALGORITHM_HMAC_MD5 && a.rdm == AUTH_RDM_MONOTONIC => {
            Ok(Some(DeliveredKey {
                key: value,
                replay: a.replay,
            }))
        }
        _ => Err(unsupported(a)),
    }
}

fn unsupported(a: &Auth) -> AuthError {
    AuthError::Unsupported {
        protocol: a.protocol,
        algorithm: a.algorithm,
        rdm: a.rdm,
    }
}

/// Builds a signed Reconfigure into `buf` (RFC 8415 §16.11, §18.3.11,
/// §20.4.4): msg-type 10, transaction-id 0, Server ID, Client ID, the
/// Reconfigure Message option naming `kind` (Renew, Rebind or
/// Information-request, C-017) and the RKAP option with `replay`, whose
/// HMAC-MD5 keyed with `key` covers the whole message (C-172). Returns
/// the length written. A relayed client gets these bytes inside a
/// Relay-reply (`wire::encapsulate_reply`); the MAC covers this message only.
pub fn build_reconfigure(
    buf: &mut [u8],
    server: &Duid,
    client: &Duid,
    kind: MessageType,
    replay: u64,
    key: &ReconfigureKey,
) -> Result<usize, AuthError> {
    if !matches!(
        kind,
        MessageType::Renew | MessageType::Rebind | MessageType::InformationRequest
    ) {
        return Err(AuthError::Encode(wire::Error::BadValue {
            code: OptionCode::ReconfMsg.into(),
        }));
    }
    let mut w = Writer::new(buf);
    let enc = AuthError::Encode;
    w.u8(MessageType::Reconfigure.into()).map_err(enc)?;
    w.bytes(&[0, 0, 0]).map_err(enc)?;
    w.option(OptionCode::ServerId, server.as_bytes())
        .map_err(enc)?;
    w.option(OptionCode::ClientId, client.as_bytes())
        .map_err(enc)?;
    w.option(OptionCode::ReconfMsg, &[kind.into()])
        .map_err(enc)?;
    let auth = Auth::reconfigure_hmac(replay);
    // The option header (4) + where the digest sits in the option data.
    let mac_at = w.len() + 4 + auth.mac_offset().ok_or(AuthError::NoMac)?;
    OptionRepr::Auth(auth).emit(&mut w).map_err(enc)?;
    let msg = w.into_written();
    sign(key, msg, mac_at)?;
    Ok(msg.len())
}

/// Checks a Reconfigure against the reconfigure key of its server (RFC 8415
/// §20.4.4, §16.11): exactly one Authentication option, protocol 3,
/// algorithm 1, RDM 0, type 2; its HMAC-MD5 right for `key` (C-172, C-173);
/// its replay detection value above `last`, the last one accepted from that
/// server (C-174). Returns the value to record. The MAC is checked first, so
/// a forged message cannot make a caller believe it saw a replay.
pub fn verify_reconfigure(
    msg: &[u8],
    key: &ReconfigureKey,
    last: Option<u64>,
) -> Result<u64, AuthError> {
    let found = find(msg)?.ok_or(AuthError::Missing)?;
    let a = &found.auth;
    let digest = matches!(
        a.info,
        AuthInfo::ReconfigureKey {
            kind: rkap_type::HMAC,
            ..
        }
    );
    if a.protocol != auth_protocol::RECONFIGURE_KEY
        || a.algorithm != AUTH_ALGORITHM_HMAC_MD5
        || a.rdm != AUTH_RDM_MONOTONIC
        || !digest
    {
        return Err(unsupported(a));
    }
    let off = found.mac_offset.ok_or(AuthError::NoMac)?;
    if !verify_mac(key, msg, off) {
        return Err(AuthError::BadMac);
    }
    check_replay(last, a.replay)
}

/// What a delayed-authentication option claims (RFC 3315 §21.4.1), before
/// its MAC is checked: which key (realm and key ID) and the replay value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayedClaim {
    /// DHCP realm, raw octets.
    pub realm: Vec<u8>,
    /// Key ID.
    pub key_id: u32,
    /// Replay detection value.
    pub replay: u64,
    mac_offset: usize,
}

/// The delayed-authentication claim of a message: its single
/// Authentication option must be protocol 2, HMAC-MD5, RDM 0, with
/// authentication information (doc/wide-compat.md §6.3 step 1). `NoMac` for the
/// Solicit form without information, `Missing` without any option.
pub fn delayed_claim(msg: &[u8]) -> Result<DelayedClaim, AuthError> {
    let found = find(msg)?.ok_or(AuthError::Missing)?;
    let a = found.auth;
    if a.protocol != auth_protocol::DELAYED
        || a.algorithm != AUTH_ALGORITHM_HMAC_MD5
        || a.rdm != AUTH_RDM_MONOTONIC
    {
        return Err(unsupported(&a));
    }
    let other = unsupported(&a);
    match (a.info, found.mac_offset) {
        (AuthInfo::Delayed { realm, key_id, .. }, Some(mac_offset)) => Ok(DelayedClaim {
            realm,
            key_id,
            replay: a.replay,
            mac_offset,
        }),
        (AuthInfo::Empty, _) => Err(AuthError::NoMac),
        _ => Err(other),
    }
}

impl DelayedClaim {
    /// Checks the MAC with the key's `secret`, then the replay value
    /// against `last`, the last one accepted from that peer (RFC 3315
    /// §21.4.2; `None`: the first one is taken). Returns the value to
    /// record.
    pub fn verify(&self, msg: &[u8], secret: &[u8], last: Option<u64>) -> Result<u64, AuthError> {
        if !verify_mac(secret, msg, self.mac_offset) {
            return Err(AuthError::BadMac);
        }
        check_replay(last, self.replay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::MessageType;
    use crate::duid::Duid;
    use crate::wire::{auth_protocol, Auth, AuthInfo, MessageRepr};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn hmac_md5(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut m = HmacMd5::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    /// RFC 2202 §2 test cases 1 and 2 pin the HMAC-MD5 itself; `calc_mac`
    /// must equal it over a copy of the message with the field zeroed.
    #[test]
    fn rfc2202_vectors_and_zeroed_field() {
        assert_eq!(
            hmac_md5(&[0x0b; 16], b"Hi There"),
            hex("9294727a3638bb1c13f48ef8158bfc9d")
        );
        assert_eq!(
            hmac_md5(b"Jefe", b"what do ya want for nothing?"),
            hex("750c783e6ab0b503eaa86e310a5db738")
        );
        let msg: Vec<u8> = (0u8..64).collect();
        let mut zeroed = msg.clone();
        zeroed[20..36].fill(0);
        assert_eq!(
            calc_mac(b"Jefe", &msg, 20).unwrap().to_vec(),
            hmac_md5(b"Jefe", &zeroed)
        );
    }

    fn reconfigure(key_mac: [u8; 16]) -> Vec<u8> {
        MessageRepr {
            msg_type: MessageType::Reconfigure,
            transaction_id: 0,
            options: vec![
                OptionRepr::ServerId(
                    Duid::from_text("00:01:00:01:00:00:00:01:02:00:00:00:00:fe").unwrap(),
                ),
                OptionRepr::ClientId(Duid::from_text("00:03:00:01:02:00:00:00:00:01").unwrap()),
                OptionRepr::ReconfMsg(MessageType::Renew),
                OptionRepr::Auth(Auth {
                    protocol: auth_protocol::RECONFIGURE_KEY,
                    algorithm: 1,
                    rdm: 0,
                    replay: 7,
                    info: AuthInfo::ReconfigureKey {
                        kind: 2,
                        value: key_mac,
                    },
                }),
            ],
        }
        .to_vec()
        .unwrap()
    }

    /// C-169, C-171 … C-173: an RKAP-signed Reconfigure verifies, and any
    /// changed byte breaks it.
    #[test]
    fn c169_c171_c172_c173_reconfigure_hmac() {
        let key = [0x5a; 16];
        let mut msg = reconfigure([0; 16]);
        let off = mac_offset(&msg).unwrap();
        sign(&key, &mut msg, off).unwrap();
        assert!(verify_mac(&key, &msg, off));
        let parsed = MessageRepr::from_bytes(&msg).unwrap();
        let auth = parsed
            .options
            .iter()
            .find(|o| o.code() == OptionCode::Auth)
            .unwrap();
        let len = crate::wire::emit_to_vec(|w| auth.emit(w)).unwrap().len() - 4;
        assert_eq!(len, 11 + 17, "C-169: option-len = 11 + auth-info");
        for i in 0..msg.len() {
            let mut bad = msg.clone();
            bad[i] ^= 0x01;
            if (off..off + MAC_LEN).contains(&i) || mac_offset(&bad) == Ok(off) {
                assert!(
                    !verify_mac(&key, &bad, off),
                    "C-173: byte {i} changed, still verifies"
                );
            }
        }
        assert!(!verify_mac(&[0x5b; 16], &msg, off), "wrong key");
        // C-171: the key a Reply carries: protocol 3, algorithm 1, RDM 0, type 1, 16 octets.
        let key_opt = OptionRepr::Auth(Auth {
            protocol: 3,
            algorithm: 1,
            rdm: 0,
            replay: 1,
            info: AuthInfo::ReconfigureKey {
                kind: 1,
                value: key,
            },
        });
        assert_eq!(
            crate::wire::emit_to_vec(|w| key_opt.emit(w)).unwrap().len(),
            4 + 28
        );
    }

    /// C-170: two Authentication options make the message unusable.
    #[test]
    fn c170_two_auth_options() {
        let mut m = MessageRepr::from_bytes(&reconfigure([0; 16])).unwrap();
        let a = m
            .options
            .iter()
            .find(|o| o.code() == OptionCode::Auth)
            .unwrap()
            .clone();
        m.options.push(a);
        assert_eq!(mac_offset(&m.to_vec().unwrap()), Err(AuthError::Repeated));
    }

    /// C-174: first value accepted, then strictly increasing only.
    #[test]
    fn c174_replay_detection() {
        assert!(replay_ok(None, 0));
        assert!(replay_ok(Some(5), 6));
        assert!(!replay_ok(Some(5), 5));
        assert!(!replay_ok(Some(5), 4));
    }

    #[test]
    fn out_of_range_is_an_error_not_a_panic() {
        assert_eq!(calc_mac(b"k", &[0; 10], 5), Err(AuthError::OutOfRange));
        assert_eq!(
            calc_mac(b"k", &[0; 10], usize::MAX),
            Err(AuthError::OutOfRange)
        );
        assert!(!verify_mac(b"k", &[0; 10], 9));
        assert_eq!(mac_offset(&[1, 0, 0]), Err(AuthError::Malformed));
        assert_eq!(mac_offset(&[1, 0, 0, 1, 0]), Err(AuthError::Malformed));
        assert_eq!(mac_offset(&[1, 0, 0, 1]), Err(AuthError::Missing));
        assert_eq!(delayed_claim(&[1, 0, 0]), Err(AuthError::Malformed));
        assert_eq!(
            verify_reconfigure(&[10, 0, 0, 0], &[0; 16], None),
            Err(AuthError::Missing)
        );
        let mut tiny = [0u8; 8];
        assert!(matches!(
            build_reconfigure(
                &mut tiny,
                &Duid::from_text("00:03:00:01:02:00:00:00:00:fe").unwrap(),
                &Duid::from_text("00:03:00:01:02:00:00:00:00:01").unwrap(),
                MessageType::Renew,
                1,
                &[0; 16],
            ),
            Err(AuthError::Encode(_))
        ));
    }

    fn server() -> Duid {
        Duid::from_text("00:01:00:01:00:00:00:01:02:00:00:00:00:fe").unwrap()
    }

    fn client() -> Duid {
        Duid::from_text("00:03:00:01:02:00:00:00:00:01").unwrap()
    }

    fn built(kind: MessageType, replay: u64, key: &ReconfigureKey) -> Vec<u8> {
        let mut buf = [0u8; 512];
        let n = build_reconfigure(&mut buf, &server(), &client(), kind, replay, key).unwrap();
        buf[..n].to_vec()
    }

    /// `build_reconfigure` emits exactly what the typed message describes,
    /// signed, and `verify_reconfigure` takes it (C-172), once (C-174).
    #[test]
    fn c172_c174_build_and_verify_reconfigure() {
        let key = [0x5a; 16];
        for kind in [
            MessageType::Renew,
            MessageType::Rebind,
            MessageType::InformationRequest,
        ] {
            let msg = built(kind, 9, &key);
            let mut unsigned = msg.clone();
            let off = mac_offset(&msg).unwrap();
            unsigned[off..off + MAC_LEN].fill(0);
            let typed = MessageRepr {
                msg_type: MessageType::Reconfigure,
                transaction_id: 0,
                options: vec![
                    OptionRepr::ServerId(server()),
                    OptionRepr::ClientId(client()),
                    OptionRepr::ReconfMsg(kind),
                    OptionRepr::Auth(Auth::reconfigure_hmac(9)),
                ],
            };
            assert_eq!(typed.to_vec().unwrap(), unsigned);
            assert_eq!(off, msg.len() - MAC_LEN, "the digest ends the message");
            assert_eq!(verify_reconfigure(&msg, &key, None), Ok(9));
            assert_eq!(verify_reconfigure(&msg, &key, Some(8)), Ok(9));
            assert_eq!(
                verify_reconfigure(&msg, &key, Some(9)),
                Err(AuthError::Replay { last: 9, got: 9 })
            );
            assert_eq!(
                verify_reconfigure(&msg, &[0x5b; 16], None),
                Err(AuthError::BadMac)
            );
        }
        let mut buf = [0u8; 512];
        assert!(matches!(
            build_reconfigure(
                &mut buf,
                &server(),
                &client(),
                MessageType::Request,
                1,
                &key
            ),
            Err(AuthError::Encode(wire::Error::BadValue { code: 19 }))
        ));
    }

    /// C-148 / C-173 at the library level: a Reconfigure authenticated with
    /// anything but an RKAP digest is refused before any MAC is computed.
    #[test]
    fn c173_verify_reconfigure_refuses_other_layouts() {
        let key = [7u8; 16];
        let with = |auth: Auth| {
            let mut m = MessageRepr::from_bytes(&built(MessageType::Renew, 3, &key)).unwrap();
            *m.options.last_mut().unwrap() = OptionRepr::Auth(auth);
            let mut b = m.to_vec().unwrap();
            let _ = sign_in_place(&key, &mut b);
            b
        };
        let delayed = with(Auth::delayed(b"realm", 1, 3));
        assert_eq!(
            verify_reconfigure(&delayed, &key, None),
            Err(AuthError::Unsupported {
                protocol: 2,
                algorithm: 1,
                rdm: 0
            })
        );
        let key_type = with(Auth::reconfigure_key(key, 3));
        assert!(matches!(
            verify_reconfigure(&key_type, &key, None),
            Err(AuthError::Unsupported { protocol: 3, .. })
        ));
        let mut alg2 = Auth::reconfigure_hmac(3);
        alg2.algorithm = 2;
        assert!(matches!(
            verify_reconfigure(&with(alg2), &key, None),
            Err(AuthError::Unsupported { algorithm: 2, .. })
        ));
        let mut no_auth = MessageRepr::from_bytes(&built(MessageType::Renew, 3, &key)).unwrap();
        no_auth.options.pop();
        assert_eq!(
            verify_reconfigure(&no_auth.to_vec().unwrap(), &key, None),
            Err(AuthError::Missing)
        );
    }

    /// Signing never touches an RKAP key: a type-1 option has no MAC field.
    #[test]
    fn sign_in_place_leaves_reconfigure_keys_alone() {
        let reply = MessageRepr {
            msg_type: MessageType::Reply,
            transaction_id: 1,
            options: vec![
                OptionRepr::ClientId(client()),
                OptionRepr::Auth(Auth::reconfigure_key([0xab; 16], 5)),
            ],
        };
        let mut b = reply.to_vec().unwrap();
        let before = b.clone();
        assert_eq!(sign_in_place(b"k", &mut b), Err(AuthError::NoMac));
        assert_eq!(b, before);
        assert_eq!(
            reconfigure_key(&reply),
            Ok(Some(DeliveredKey {
                key: [0xab; 16],
                replay: 5
            }))
        );
        let mut odd = reply.clone();
        odd.options[1] = OptionRepr::Auth(Auth::reconfigure_hmac(5));
        assert!(matches!(
            reconfigure_key(&odd),
            Err(AuthError::Unsupported { protocol: 3, .. })
        ));
        odd.options[1] = OptionRepr::Auth(Auth::delayed(b"r", 1, 5));
        assert_eq!(
            reconfigure_key(&odd),
            Ok(None),
            "not RKAP: no key, no error"
        );
        odd.options.pop();
        assert_eq!(reconfigure_key(&odd), Ok(None));
        let mut two = reply.clone();
        two.options.push(two.options[1].clone());
        assert_eq!(reconfigure_key(&two), Err(AuthError::Repeated));
    }

    /// Delayed authentication: the claim names the key, the MAC and then the
    /// replay value are checked; the Solicit form has no information (C-177).
    #[test]
    fn c177_delayed_claim_and_verify() {
        let secret = b"0123456789abcdef";
        let msg = |replay: u64| {
            let mut b = MessageRepr {
                msg_type: MessageType::Advertise,
                transaction_id: 0x1234,
                options: vec![
                    OptionRepr::ClientId(client()),
                    OptionRepr::ServerId(server()),
                    OptionRepr::Auth(Auth::delayed(b"example.org", 1000, replay)),
                ],
            }
            .to_vec()
            .unwrap();
            sign_in_place(secret, &mut b).unwrap();
            b
        };
        let b = msg(0x10);
        let claim = delayed_claim(&b).unwrap();
        assert_eq!(claim.realm, b"example.org");
        assert_eq!(claim.key_id, 1000);
        assert_eq!(claim.replay, 0x10);
        assert_eq!(claim.verify(&b, secret, None), Ok(0x10));
        assert_eq!(claim.verify(&b, secret, Some(0x0f)), Ok(0x10));
        assert_eq!(
            claim.verify(&b, secret, Some(0x10)),
            Err(AuthError::Replay {
                last: 0x10,
                got: 0x10
            })
        );
        assert_eq!(claim.verify(&b, b"wrong", None), Err(AuthError::BadMac));
        let mut bad = b.clone();
        bad[5] ^= 1;
        assert_eq!(claim.verify(&bad, secret, None), Err(AuthError::BadMac));

        let solicit = MessageRepr {
            msg_type: MessageType::Solicit,
            transaction_id: 1,
            options: vec![OptionRepr::Auth(Auth::delayed_announce())],
        }
        .to_vec()
        .unwrap();
        // C-177: option-len 11, replay detection 0.
        assert_eq!(
            &solicit[4..],
            &[0, 11, 0, 11, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(delayed_claim(&solicit), Err(AuthError::NoMac));
        let rkap = built(MessageType::Renew, 1, &[0; 16]);
        assert!(matches!(
            delayed_claim(&rkap),
            Err(AuthError::Unsupported { protocol: 3, .. })
        ));
    }

    /// NTP timestamps: 1900 epoch, binary fraction; the counter never
    /// repeats even when the clock stands still or steps back.
    #[test]
    fn ntp_timestamp_and_counter() {
        // 2000-01-01T00:00:00Z is NTP 0xbc17c200 (3155673600 s).
        assert_eq!(
            ntp_timestamp(Duration::from_secs(946_684_800)),
            0xbc17_c200_0000_0000
        );
        assert_eq!(
            ntp_timestamp(Duration::from_millis(946_684_800_500)),
            0xbc17_c200_8000_0000
        );
        let mut c = ReplayCounter::default();
        let t = Duration::from_secs(1_700_000_000);
        let a = c.next(t);
        let b = c.next(t);
        let d = c.next(t - Duration::from_secs(3600));
        assert!(a < b && b < d, "{a:#x} {b:#x} {d:#x}");
        assert_eq!(c.last(), d);
        let mut persisted = ReplayCounter::new(u64::MAX - 1);
        assert_eq!(persisted.next(t), u64::MAX);
    }
}
