//! DHCPv6 authentication (RFC 8415 §20-21.11, RFC 3315 §21.4): HMAC-MD5
//! over a whole message with its MAC field zeroed, and replay detection.
//! Mirrors KAME's `dhcp6_calc_mac`, `dhcp6_verify_mac` and
//! `dhcp6_auth_replaycheck`. Pure: the caller finds the keys.

use hmac::{Hmac, Mac};
use md5::Md5;

use crate::codes::OptionCode;
use crate::wire::{Message, OptionRepr};

type HmacMd5 = Hmac<Md5>;

/// Length of an HMAC-MD5 value.
pub const MAC_LEN: usize = 16;

/// Why authentication could not be checked or computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The message has more than one Authentication option (RFC 3315
    /// §21.4.2: such a message is discarded; C-170).
    #[error("more than one authentication option")]
    Repeated,
    /// The message does not parse, or its Authentication option has no MAC.
    #[error("no authentication MAC in the message")]
    NoMac,
    /// The MAC field lies outside the message.
    #[error("MAC field outside the message")]
    OutOfRange,
}

fn keyed(key: &[u8], msg: &[u8], mac_offset: usize) -> Result<HmacMd5, AuthError> {
    let end = mac_offset
        .checked_add(MAC_LEN)
        .ok_or(AuthError::OutOfRange)?;
    let (head, rest) = msg
        .split_at_checked(mac_offset)
        .ok_or(AuthError::OutOfRange)?;
    let tail = rest.get(MAC_LEN..).ok_or(AuthError::OutOfRange)?;
    debug_assert_eq!(end, head.len() + MAC_LEN);
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
    msg.get_mut(mac_offset..mac_offset + MAC_LEN)
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

/// Where the MAC of the (single) Authentication option of a client/server
/// message sits, counted from the start of the message.
pub fn mac_offset(msg: &[u8]) -> Result<usize, AuthError> {
    let view = Message::new_checked(msg).map_err(|_| AuthError::NoMac)?;
    let base = msg.len() - view.options_area().len();
    let mut found = None;
    let mut at = base;
    for opt in view.options() {
        let opt = opt.map_err(|_| AuthError::NoMac)?;
        if opt.code == OptionCode::Auth {
            if found.is_some() {
                return Err(AuthError::Repeated);
            }
            let OptionRepr::Auth(auth) = OptionRepr::parse(&opt).map_err(|_| AuthError::NoMac)?
            else {
                return Err(AuthError::NoMac);
            };
            let inner = auth.mac_offset().ok_or(AuthError::NoMac)?;
            found = Some(at + 4 + inner);
        }
        at += opt.wire_len();
    }
    found.ok_or(AuthError::NoMac)
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
        assert_eq!(mac_offset(&[1, 0, 0]), Err(AuthError::NoMac));
        assert_eq!(mac_offset(&[1, 0, 0, 1]), Err(AuthError::NoMac));
    }
}
