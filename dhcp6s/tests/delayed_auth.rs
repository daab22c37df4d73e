//! WIDE's delayed authentication for hosts with a `delayedkey`
//! (RFC 3315 §21.4, doc/wide-compat.md §6.4; C-170, C-177, C-178).

use super::*;
use libdhcp6::auth;
use libdhcp6::wire::{Auth, AuthInfo};

const SECRET_B64: &str = "wJoMpnHT4s4wBUXhWeLKSQ==";

fn secret() -> Vec<u8> {
    let conf =
        format!("keyinfo k {{ realm \"example.org\"; keyid 1000; secret \"{SECRET_B64}\"; }};\n");
    server_from_str("t.conf", &conf).unwrap().config.keys[0]
        .secret
        .clone()
}

fn auth_server() -> Server<MemStore> {
    server(&format!(
        "{CONF}keyinfo k {{ realm \"example.org\"; keyid 1000; secret \"{SECRET_B64}\"; }};\n\
         host keyed {{ duid 00:03:00:01:02:00:00:00:00:21; delayedkey k; address 2001:db8:1::21 100 200; }};\n"
    ))
}

/// A message from client `c` signed with delayed authentication.
fn signed(m: &MessageRepr, key_id: u32, rd: u64, secret: &[u8]) -> Vec<u8> {
    let mut m = m.clone();
    m.options
        .push(OptionRepr::Auth(Auth::delayed(b"example.org", key_id, rd)));
    let mut bytes = m.to_vec().unwrap();
    auth::sign_in_place(secret, &mut bytes).unwrap();
    bytes
}

fn ask_bytes(s: &mut Server<MemStore>, bytes: &[u8]) -> Result<Vec<u8>, DropReason> {
    let mut out = vec![0u8; 65535];
    let o = s.server6_recv(&direct(bytes, true), 1000, &mut out)?;
    Ok(out[..o.len].to_vec())
}

/// The answer's delayed-authentication option verifies with the key.
fn signed_by_key(bytes: &[u8]) -> bool {
    match auth::delayed_claim(bytes) {
        Ok(c) => {
            c.realm == b"example.org"
                && c.key_id == 1000
                && c.verify(bytes, &secret(), None).is_ok()
        }
        Err(_) => false,
    }
}

#[test]
fn signed_exchange_with_a_keyed_host() {
    let mut s = auth_server();
    let secret = secret();
    // C-177: the Solicit announces; the Advertise is signed.
    let mut sol = solicit(0x21, vec![ia_na(1, &[])]);
    sol.options.push(OptionRepr::Auth(Auth::delayed_announce()));
    let adv = ask_bytes(&mut s, &sol.to_vec().unwrap()).unwrap();
    assert!(signed_by_key(&adv));
    // A signed Request gets a signed Reply with the host's address.
    let req = with_server(0x21, MessageType::Request, vec![ia_na(1, &[])]);
    let reply = ask_bytes(&mut s, &signed(&req, 1000, 10, &secret)).unwrap();
    assert!(signed_by_key(&reply));
    assert_eq!(
        first_addr(&MessageRepr::from_bytes(&reply).unwrap()).to_string(),
        "2001:db8:1::21"
    );
    // A replayed value, a wrong MAC or key ID: silently dropped.
    assert_eq!(
        ask_bytes(&mut s, &signed(&req, 1000, 10, &secret)),
        Err(DropReason::AuthFailed)
    );
    assert_eq!(
        ask_bytes(&mut s, &signed(&req, 1000, 11, b"wrong")),
        Err(DropReason::AuthFailed)
    );
    assert_eq!(
        ask_bytes(&mut s, &signed(&req, 7, 12, &secret)),
        Err(DropReason::AuthFailed)
    );
    let mut tampered = signed(&req, 1000, 13, &secret);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(ask_bytes(&mut s, &tampered), Err(DropReason::AuthFailed));
    // The next good value is still taken.
    assert!(signed_by_key(
        &ask_bytes(&mut s, &signed(&req, 1000, 14, &secret)).unwrap()
    ));
    // C-178: without the option the same client is served unsigned.
    let plain = ask_bytes(&mut s, &req.to_vec().unwrap()).unwrap();
    assert!(auth::find(&plain).unwrap().is_none());
    // Information-request is never authenticated.
    let mut info = msg(
        MessageType::InformationRequest,
        9,
        vec![OptionRepr::ClientId(client(0x21))],
    );
    info.options
        .push(OptionRepr::Auth(Auth::delayed(b"example.org", 1000, 99)));
    let r = ask_bytes(&mut s, &info.to_vec().unwrap()).unwrap();
    assert!(auth::find(&r).unwrap().is_none());
}

#[test]
fn hosts_without_a_key() {
    let mut s = auth_server();
    // Announce from a client without a key: an unsigned Advertise.
    let mut sol = solicit(0x22, vec![ia_na(1, &[])]);
    sol.options.push(OptionRepr::Auth(Auth::delayed_announce()));
    let adv = ask_bytes(&mut s, &sol.to_vec().unwrap()).unwrap();
    assert!(auth::find(&adv).unwrap().is_none());
    // A signed Request from it: nothing to check it against, dropped.
    let req = with_server(0x22, MessageType::Request, vec![ia_na(1, &[])]);
    assert_eq!(
        ask_bytes(&mut s, &signed(&req, 1000, 1, &secret())),
        Err(DropReason::AuthFailed)
    );
    // C-170: two Authentication options, dropped whoever sends them.
    let mut two = req.clone();
    two.options.push(OptionRepr::Auth(Auth::delayed_announce()));
    two.options.push(OptionRepr::Auth(Auth::delayed_announce()));
    assert_eq!(
        ask_bytes(&mut s, &two.to_vec().unwrap()),
        Err(DropReason::RepeatedAuth)
    );
    let _ = AuthInfo::Empty;
}
