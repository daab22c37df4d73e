//! Reconfigure (RFC 8415 §18.3.11, §20.4): C-082 … C-085, C-171, C-172.

use super::*;
use crate::answer::Outgoing;
use libdhcp6::auth::{self, KEY_LEN};
use libdhcp6::wire::{auth_protocol, AuthInfo};

const KEY: [u8; KEY_LEN] = [0x42; KEY_LEN];

fn fixed_key() -> std::io::Result<[u8; KEY_LEN]> {
    Ok(KEY)
}

fn rk_server() -> Server<MemStore> {
    let mut s = server(&format!(
        "{CONF}authentication rk {{ protocol reconfig; }};\n"
    ));
    s.auth.key_source = fixed_key;
    s
}

fn auth_of(m: &MessageRepr) -> Option<libdhcp6::wire::Auth> {
    m.options.iter().find_map(|o| match o {
        OptionRepr::Auth(a) => Some(a.clone()),
        _ => None,
    })
}

fn accepting(c: u8, t: MessageType) -> MessageRepr {
    with_server(c, t, vec![ia_na(1, &[]), OptionRepr::ReconfAccept])
}

/// Runs the retransmission clock until the next Reconfigure; its
/// bytes and when it left.
fn next_reconf(
    s: &mut Server<MemStore>,
    from_ms: u64,
    until_ms: u64,
) -> Option<(u64, Outgoing, Vec<u8>)> {
    let mut out = vec![0u8; 65535];
    let mut t = from_ms;
    while t <= until_ms {
        if let Some(o) = s.server6_reconf(t, 1000 + t / 1000, &mut out) {
            return Some((t, o, out[..o.len].to_vec()));
        }
        t += 10;
    }
    None
}

/// C-171: the key in the Reply; C-082, C-172: the Reconfigure's
/// contents and MAC; C-083: 2, 4, 8 … s, 8 transmissions, then
/// nothing; an answering Renew stops it.
#[test]
fn c082_c083_c171_c172_reconfigure_sent_and_retransmitted() {
    let mut s = rk_server();
    solicit(1, vec![ia_na(1, &[])]);
    let reply = ask(&mut s, &accepting(1, MessageType::Request)).unwrap();
    let a = auth_of(&reply).expect("C-171: the reconfigure key");
    assert_eq!(
        (a.protocol, a.algorithm, a.rdm),
        (auth_protocol::RECONFIGURE_KEY, 1, 0)
    );
    assert_eq!(
        a.info,
        AuthInfo::ReconfigureKey {
            kind: 1,
            value: KEY
        }
    );
    let key_rd = a.replay;
    s.start_reconfigure(&client(1), MessageType::Renew, 0)
        .unwrap();
    let mut times = Vec::new();
    let mut last_rd = key_rd;
    let mut from = 0;
    while let Some((t, o, bytes)) = next_reconf(&mut s, from, 700_000) {
        assert!(!o.relayed);
        assert_eq!(o.dst.port(), 546);
        assert_eq!(*o.dst.ip(), CLIENT_LL.parse::<Ipv6Addr>().unwrap());
        let m = MessageRepr::from_bytes(&bytes).unwrap();
        assert_eq!(m.msg_type, MessageType::Reconfigure);
        assert_eq!(m.transaction_id, 0, "C-082");
        assert_eq!(m.server_id(), Some(&server_duid()));
        assert_eq!(m.client_id(), Some(&client(1)));
        assert!(m
            .options
            .contains(&OptionRepr::ReconfMsg(MessageType::Renew)));
        assert!(
            !m.options.iter().any(|o| matches!(
                o,
                OptionRepr::IaNa(_) | OptionRepr::IaPd(_) | OptionRepr::IaTa(_)
            )),
            "C-082: no IA options"
        );
        // C-172: the client's check passes with the key it was given,
        // and every transmission counts up.
        let rd = auth::verify_reconfigure(&bytes, &KEY, Some(last_rd)).unwrap();
        last_rd = rd;
        times.push(t);
        from = t + 10;
    }
    assert_eq!(times.len(), 8, "C-083: REC_MAX_RC transmissions: {times:?}");
    // The statistics count every transmission as sent.
    let reconf = usize::from(u8::from(MessageType::Reconfigure));
    assert_eq!(s.counters.sent[reconf], 8);
    // RT = IRT ± 10 %, then doubling ± 10 % (RFC 8415 §15).
    let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let mut nominal = 2000.0;
    let mut rt_prev = None::<f64>;
    for g in &gaps {
        let g = *g as f64;
        let (lo, hi) = match rt_prev {
            None => (nominal * 0.9 - 20.0, nominal * 1.1 + 20.0),
            Some(p) => (p * 1.9 - 20.0, p * 2.1 + 20.0),
        };
        assert!(
            (lo..=hi).contains(&g),
            "C-083: gap {g} outside {lo}..{hi}: {gaps:?}"
        );
        rt_prev = Some(g);
        nominal *= 2.0;
    }
    // Answered: a new Reconfigure, stopped by the client's Renew.
    assert!(
        !s.reconf.pending_for(client(1).as_bytes()),
        "given up after the last RT"
    );
    s.start_reconfigure(&client(1), MessageType::Renew, 800_000)
        .unwrap();
    assert!(next_reconf(&mut s, 800_000, 800_000).is_some());
    ask(
        &mut s,
        &with_server(
            1,
            MessageType::Renew,
            vec![ia_na(1, &[]), OptionRepr::ReconfAccept],
        ),
    )
    .unwrap();
    assert!(
        next_reconf(&mut s, 800_010, 1_200_000).is_none(),
        "C-083: the Renew ends it"
    );
}

/// C-084: a client that never sent Reconfigure Accept, or stopped
/// sending it, is not reconfigured; nor is anyone without the
/// `authentication` block.
#[test]
fn c084_no_reconfigure_without_accept() {
    let mut s = rk_server();
    let reply = ask(
        &mut s,
        &with_server(2, MessageType::Request, vec![ia_na(1, &[])]),
    )
    .unwrap();
    assert!(
        auth_of(&reply).is_none(),
        "no key for a client that did not ask"
    );
    assert!(s
        .start_reconfigure(&client(2), MessageType::Renew, 0)
        .is_err());
    ask(&mut s, &accepting(3, MessageType::Request)).unwrap();
    assert!(s.store.reconf(client(3).as_bytes()).is_some());
    ask(
        &mut s,
        &with_server(3, MessageType::Renew, vec![ia_na(1, &[])]),
    )
    .unwrap();
    assert!(
        s.start_reconfigure(&client(3), MessageType::Renew, 0)
            .is_err(),
        "withdrawn"
    );
    let mut plain = server(CONF);
    let reply = ask(&mut plain, &accepting(4, MessageType::Request)).unwrap();
    assert!(auth_of(&reply).is_none(), "Reconfigure not offered");
    assert!(plain
        .start_reconfigure(&client(4), MessageType::Renew, 0)
        .is_err());
}

/// C-085: a client known through relays gets its Reconfigure inside
/// Relay-replies along the recorded levels, to the relay.
#[test]
fn c085_relayed_client_reconfigured_through_its_relays() {
    let mut s = rk_server();
    let m = accepting(5, MessageType::Request);
    let reply = relayed(&mut s, &m, "2001:db8:1::1", Some(b"port-5")).unwrap();
    assert!(auth_of(&reply).is_some());
    s.start_reconfigure(&client(5), MessageType::InformationRequest, 0)
        .unwrap();
    let (_, o, bytes) = next_reconf(&mut s, 0, 0).unwrap();
    assert!(o.relayed);
    assert_eq!(o.dst.port(), 547);
    assert_eq!(*o.dst.ip(), "2001:db8:ff::1".parse::<Ipv6Addr>().unwrap());
    let r =
        RelayRepr::parse(&libdhcp6::wire::RelayMessage::new_checked(&bytes[..]).unwrap()).unwrap();
    assert_eq!(r.msg_type, MessageType::RelayRepl);
    assert_eq!(
        r.peer_address,
        CLIENT_LL.parse::<Ipv6Addr>().unwrap(),
        "C-085"
    );
    assert!(r
        .options
        .contains(&OptionRepr::InterfaceId(b"port-5".to_vec())));
    let inner = r.relay_msg().unwrap();
    assert_eq!(inner[0], u8::from(MessageType::Reconfigure));
    auth::verify_reconfigure(inner, &KEY, None).unwrap();
    assert!(MessageRepr::from_bytes(inner)
        .unwrap()
        .options
        .contains(&OptionRepr::ReconfMsg(MessageType::InformationRequest)));
}
