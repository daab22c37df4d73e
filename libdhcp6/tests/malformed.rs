//! Malformed input: truncated headers, lengths past the end, fixed-length
//! options of the wrong length, values a field does not allow. Every case
//! must come back as an error (never a panic, never a partial value), and a
//! malformed option fails the whole message.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::*;
use libdhcp6::wire::{decapsulate, AnyMessage, Error, Message, MessageRepr, OptionRepr};

/// Parses `opt` (header included) alone, then inside a Solicit header, then
/// inside an IA_NA; all three must fail, the first with `err`.
#[track_caller]
fn rejected(opt: &[u8], err: Error) {
    assert_eq!(parse_one(opt), Err(err), "option {opt:02x?}");
    let msg = [&[0x01, 0x00, 0x00, 0x01][..], opt].concat();
    assert!(
        MessageRepr::from_bytes(&msg).is_err(),
        "message with option {opt:02x?}"
    );
    assert!(AnyMessage::from_bytes(&msg).is_err());
    let mut ia = vec![0x00, 0x03];
    ia.extend_from_slice(&u16::try_from(12 + opt.len()).unwrap().to_be_bytes());
    ia.extend_from_slice(&[0; 12]);
    ia.extend_from_slice(opt);
    assert!(parse_one(&ia).is_err(), "IA_NA holding {opt:02x?}");
}

fn bad_len(code: u16, len: usize) -> Error {
    Error::BadOptionLen { code, len }
}

/// C-003: a client/server message shorter than 4 octets fails.
#[test]
fn c003_truncated_message_header() {
    let solicit = [0x01u8, 0x12, 0x34, 0x56];
    for n in 0..4 {
        assert_eq!(
            Message::new_checked(&solicit[..n]).err(),
            Some(Error::Truncated),
            "length {n}"
        );
        assert_eq!(
            MessageRepr::from_bytes(&solicit[..n]),
            Err(Error::Truncated)
        );
        assert!(AnyMessage::from_bytes(&solicit[..n]).is_err());
    }
    // Exactly the header is a valid message with no options.
    assert!(MessageRepr::from_bytes(&solicit)
        .unwrap()
        .options
        .is_empty());
    // A relay type is refused by the client/server view.
    let relay = [12u8; 34];
    assert_eq!(
        Message::new_checked(&relay[..]).err(),
        Some(Error::WrongMessageKind(12))
    );
}

/// C-004: an option-len past the end of the message or of its container fails.
#[test]
fn c004_option_len_past_end() {
    // Top level: Preference claiming 2 octets, one present.
    let msg = [0x07, 0, 0, 1, 0x00, 0x07, 0x00, 0x02, 0xff];
    assert_eq!(
        MessageRepr::from_bytes(&msg),
        Err(Error::OptionOverrun { code: 7, len: 2 })
    );
    // An option header cut short.
    assert_eq!(
        MessageRepr::from_bytes(&[0x07, 0, 0, 1, 0x00, 0x07, 0x00]),
        Err(Error::Truncated)
    );
    assert_eq!(
        MessageRepr::from_bytes(&[0x07, 0, 0, 1, 0x00]),
        Err(Error::Truncated)
    );
    // Inside an IA_NA: an IAADDR whose length runs past the IA_NA's end
    // (though not past the message's).
    #[rustfmt::skip]
    let ia = [
        0x00, 0x03, 0x00, 0x10, // OPTION_IA_NA, length 16
        0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, // IAID, T1, T2
        0x00, 0x05, 0x00, 0x18, // OPTION_IAADDR, length 24: past the IA_NA
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    assert_eq!(
        parse_one(&ia),
        Err(Error::OptionOverrun { code: 5, len: 24 })
    );
    // Inside an IAADDR, an IAPREFIX, NTP server and Vendor-specific Information.
    let iaaddr = [
        &[0x00, 0x05, 0x00, 0x1c][..],
        &[0; 24],
        &[0x00, 0x0d, 0x00, 0x05],
    ]
    .concat();
    assert_eq!(
        parse_one(&iaaddr),
        Err(Error::OptionOverrun { code: 13, len: 5 })
    );
    let iaprefix = [
        &[0x00, 0x1a, 0x00, 0x1d][..],
        &[0; 25],
        &[0x00, 0x43, 0x00, 0x02],
    ]
    .concat();
    assert_eq!(
        parse_one(&iaprefix),
        Err(Error::OptionOverrun { code: 67, len: 2 })
    );
    assert_eq!(
        parse_one(&[0x00, 0x38, 0x00, 0x04, 0x00, 0x01, 0x00, 0x10]),
        Err(Error::OptionOverrun { code: 1, len: 16 })
    );
    assert!(parse_one(&[0x00, 0x11, 0x00, 0x08, 0, 0, 0, 1, 0x00, 0x01, 0x00, 0x05]).is_err());
    // The Relay Message of a Relay-forward running past the end.
    let mut relay = vec![12u8, 0];
    relay.extend_from_slice(&[0; 32]);
    relay.extend_from_slice(&[0x00, 0x09, 0x00, 0x08, 0x01, 0, 0, 1]);
    assert_eq!(
        decapsulate(&relay).err(),
        Some(Error::OptionOverrun { code: 9, len: 8 })
    );
    assert!(AnyMessage::from_bytes(&relay).is_err());
}

/// Fixed lengths: Preference 3, Elapsed Time 1, Rapid Commit 1, Reconfigure
/// Accept 1, Relay Port 3 (C-023), Unicast 15, the u32 options 3 and 5.
#[test]
fn c023_bad_fixed_lengths() {
    rejected(&[0x00, 0x07, 0x00, 0x03, 1, 2, 3], bad_len(7, 3));
    rejected(&[0x00, 0x07, 0x00, 0x00], bad_len(7, 0));
    rejected(&[0x00, 0x08, 0x00, 0x01, 0], bad_len(8, 1));
    rejected(&[0x00, 0x08, 0x00, 0x03, 0, 0, 0], bad_len(8, 3));
    rejected(&[0x00, 0x0e, 0x00, 0x01, 0], bad_len(14, 1));
    rejected(&[0x00, 0x14, 0x00, 0x01, 0], bad_len(20, 1));
    rejected(&[0x00, 0x87, 0x00, 0x03, 0, 0, 0], bad_len(135, 3));
    rejected(&[0x00, 0x87, 0x00, 0x01, 0], bad_len(135, 1));
    rejected(
        &[[0x00, 0x0c, 0x00, 0x0f].as_slice(), &[0; 15]].concat(),
        bad_len(12, 15),
    );
    rejected(
        &[[0x00, 0x50, 0x00, 0x11].as_slice(), &[0; 17]].concat(),
        bad_len(80, 17),
    );
    for code in [32u16, 46, 82, 83] {
        let [a, b] = code.to_be_bytes();
        rejected(&[a, b, 0x00, 0x03, 0, 0, 0], bad_len(code, 3));
        rejected(&[a, b, 0x00, 0x05, 0, 0, 0, 0, 0], bad_len(code, 5));
    }
    // Relay Port of the wrong length in a Relay-forward stops decapsulation.
    let mut relay = vec![12u8, 0];
    relay.extend_from_slice(&[0; 32]);
    relay.extend_from_slice(&[0x00, 0x87, 0x00, 0x03, 0, 0, 0]);
    relay.extend_from_slice(&[0x00, 0x09, 0x00, 0x04, 0x01, 0, 0, 1]);
    assert_eq!(decapsulate(&relay).err(), Some(bad_len(135, 3)));
    assert!(AnyMessage::from_bytes(&relay).is_err());
}

/// C-016: ORO of odd length is rejected (ERO and client arch types too).
#[test]
fn c016_odd_code_lists() {
    rejected(&[0x00, 0x06, 0x00, 0x03, 0x00, 0x17, 0x00], bad_len(6, 3));
    rejected(&[0x00, 0x06, 0x00, 0x01, 0x00], bad_len(6, 1));
    rejected(&[0x00, 0x2b, 0x00, 0x01, 0x00], bad_len(43, 1));
    rejected(&[0x00, 0x3d, 0x00, 0x03, 0, 0, 0], bad_len(61, 3));
}

/// C-022: address lists must be a multiple of 16; only option 88 may be empty.
#[test]
fn c022_address_list_lengths() {
    for code in [22u16, 23, 27, 28, 31, 34, 40, 48, 52, 88] {
        let [a, b] = code.to_be_bytes();
        rejected(
            &[[a, b, 0x00, 0x11].as_slice(), &[0; 17]].concat(),
            bad_len(code, 17),
        );
        rejected(
            &[[a, b, 0x00, 0x08].as_slice(), &[0; 8]].concat(),
            bad_len(code, 8),
        );
        if code == 88 {
            assert_eq!(
                parse_one(&[a, b, 0, 0]).unwrap(),
                OptionRepr::Addresses {
                    code: code.into(),
                    addrs: vec![]
                }
            );
        } else {
            rejected(&[a, b, 0, 0], bad_len(code, 0));
        }
    }
}

/// C-017: Reconfigure Message allows only 5, 6 and 11; 7 (Reply) is rejected.
#[test]
fn c017_reconfigure_message_values() {
    for t in 0u8..=255 {
        let r = parse_one(&[0x00, 0x13, 0x00, 0x01, t]);
        if matches!(t, 5 | 6 | 11) {
            assert!(r.is_ok(), "type {t}");
        } else {
            assert_eq!(r, Err(Error::BadValue { code: 19 }), "type {t}");
        }
    }
    rejected(&[0x00, 0x13, 0x00, 0x01, 7], Error::BadValue { code: 19 });
    rejected(&[0x00, 0x13, 0x00, 0x00], bad_len(19, 0));
    rejected(&[0x00, 0x13, 0x00, 0x02, 5, 5], bad_len(19, 2));
}

/// An IAPREFIX of length 64 holding `pd_exclude` (header included).
fn iaprefix_with(plen: u8, pd_exclude: &[u8]) -> Vec<u8> {
    let mut v = vec![0x00, 0x1a];
    v.extend_from_slice(&u16::try_from(25 + pd_exclude.len()).unwrap().to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, plen]);
    v.extend_from_slice(&ip("2001:db8::").octets());
    v.extend_from_slice(pd_exclude);
    v
}

/// C-020: PD Exclude with option-len outside 2-17, or a prefix-len not
/// greater than its IAPREFIX's, or a subnet ID of the wrong size, is rejected.
#[test]
fn c020_pd_exclude_rejections() {
    rejected(&[0x00, 0x43, 0x00, 0x01, 0x40], bad_len(67, 1));
    rejected(&[0x00, 0x43, 0x00, 0x00], bad_len(67, 0));
    rejected(
        &[[0x00, 0x43, 0x00, 0x12].as_slice(), &[0x80; 18]].concat(),
        bad_len(67, 18),
    );
    // Inside an IAPREFIX /64: prefix-len 64 (equal) and 60 (shorter) are rejected.
    for ex in [64u8, 60, 0] {
        let v = iaprefix_with(64, &[0x00, 0x43, 0x00, 0x02, ex, 0x00]);
        assert_eq!(
            parse_one(&v),
            Err(Error::BadValue { code: 67 }),
            "excluded /{ex}"
        );
    }
    // /64 inside /48 needs exactly 2 subnet-ID octets: 1 and 3 are rejected.
    assert_eq!(
        parse_one(&iaprefix_with(48, &[0x00, 0x43, 0x00, 0x02, 64, 0x01])),
        Err(bad_len(67, 2))
    );
    assert_eq!(
        parse_one(&iaprefix_with(48, &[0x00, 0x43, 0x00, 0x04, 64, 0, 1, 0])),
        Err(bad_len(67, 4))
    );
    assert!(parse_one(&iaprefix_with(48, &[0x00, 0x43, 0x00, 0x03, 64, 0, 1])).is_ok());
    // The constructor refuses lengths that do not nest.
    assert_eq!(OptionRepr::pd_exclude(ip("2001:db8::"), 64, 64), None);
    assert_eq!(OptionRepr::pd_exclude(ip("2001:db8::"), 129, 64), None);
}

/// Containers shorter than their fixed part, bad IAPREFIX length, bad
/// Status Code / Auth / DUID / class / vendor / FQDN / NTP / Remote-ID.
#[test]
fn c013_short_fixed_parts_and_bad_values() {
    rejected(
        &[[0x00, 0x03, 0x00, 0x0b].as_slice(), &[0; 11]].concat(),
        bad_len(3, 11),
    );
    rejected(
        &[[0x00, 0x19, 0x00, 0x0b].as_slice(), &[0; 11]].concat(),
        bad_len(25, 11),
    );
    rejected(&[0x00, 0x04, 0x00, 0x03, 0, 0, 0], bad_len(4, 3));
    rejected(
        &[[0x00, 0x05, 0x00, 0x17].as_slice(), &[0; 23]].concat(),
        bad_len(5, 23),
    );
    rejected(
        &[[0x00, 0x1a, 0x00, 0x18].as_slice(), &[0; 24]].concat(),
        bad_len(26, 24),
    );
    assert_eq!(
        parse_one(&iaprefix_with(129, &[])),
        Err(Error::BadValue { code: 26 })
    );
    rejected(&[0x00, 0x0d, 0x00, 0x01, 0], bad_len(13, 1));
    rejected(
        &[[0x00, 0x0b, 0x00, 0x0a].as_slice(), &[0; 10]].concat(),
        bad_len(11, 10),
    );
    // C-013: DUIDs of 0-2 and 131 octets.
    for n in [0usize, 1, 2, 131] {
        let mut v = vec![0x00, 0x01];
        v.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
        v.extend(std::iter::repeat_n(1u8, n));
        rejected(&v, Error::BadDuid { len: n });
    }
    rejected(&[0x00, 0x0f, 0x00, 0x00], bad_len(15, 0));
    rejected(&[0x00, 0x0f, 0x00, 0x03, 0x00, 0x02, b'a'], bad_len(15, 3));
    rejected(&[0x00, 0x10, 0x00, 0x03, 0, 0, 0], bad_len(16, 3));
    rejected(&[0x00, 0x11, 0x00, 0x02, 0, 0], bad_len(17, 2));
    rejected(&[0x00, 0x25, 0x00, 0x04, 0, 0, 0, 9], bad_len(37, 4));
    rejected(&[0x00, 0x26, 0x00, 0x00], bad_len(38, 0));
    rejected(&[0x00, 0x38, 0x00, 0x00], bad_len(56, 0));
    rejected(
        &[
            [0x00, 0x38, 0x00, 0x13, 0x00, 0x01, 0x00, 0x0f].as_slice(),
            &[0; 15],
        ]
        .concat(),
        bad_len(56, 19),
    );
    rejected(&[0x00, 0x27, 0x00, 0x00], bad_len(39, 0));
    rejected(
        &[0x00, 0x27, 0x00, 0x03, 0x00, 0x05, b'a'],
        Error::BadDomainName { code: 39 },
    );
    rejected(&[0x00, 0x4f, 0x00, 0x01, 0], bad_len(79, 1));
}

/// C-012: compression pointers and unterminated names are rejected in
/// domain-list options.
#[test]
fn c012_bad_domain_names() {
    rejected(
        &[0x00, 0x18, 0x00, 0x04, 0x01, b'a', 0xc0, 0x00],
        Error::BadDomainName { code: 24 },
    );
    rejected(
        &[0x00, 0x18, 0x00, 0x02, 0x01, b'a'],
        Error::BadDomainName { code: 24 },
    );
    rejected(&[0x00, 0x18, 0x00, 0x00], bad_len(24, 0));
}

/// C-008: an unknown option in a message is kept and the message decodes;
/// a malformed known option anywhere fails the whole message.
#[test]
fn c008_unknown_kept_malformed_fails_message() {
    let msg = [
        0x0b, 0, 0, 1, 0xfe, 0xed, 0x00, 0x01, 0x2a, 0x00, 0x08, 0x00, 0x02, 0, 0,
    ];
    let m = MessageRepr::from_bytes(&msg).unwrap();
    assert_eq!(m.options.len(), 2);
    assert_eq!(m.to_vec().unwrap(), msg);
    let bad = [
        0x0b, 0, 0, 1, 0xfe, 0xed, 0x00, 0x01, 0x2a, 0x00, 0x08, 0x00, 0x01, 0,
    ];
    assert_eq!(MessageRepr::from_bytes(&bad), Err(bad_len(8, 1)));
}

/// Deep container nesting: 8,000 IA_TA levels in one option (all that
/// fits in 65535 octets) decode without unbounded recursion, the levels
/// past the decoder's depth bound kept as raw bytes, and re-emit byte for
/// byte; inside a message too.
#[test]
fn deep_container_nesting_is_bounded() {
    let mut cur: Vec<u8> = Vec::new();
    for _ in 0..8000 {
        let mut v = vec![0x00, 0x04];
        v.extend_from_slice(&u16::try_from(4 + cur.len()).unwrap().to_be_bytes());
        v.extend_from_slice(&[0, 0, 0, 1]);
        v.extend_from_slice(&cur);
        cur = v;
    }
    let opt = parse_one(&cur).unwrap();
    assert_eq!(libdhcp6::wire::emit_to_vec(|w| opt.emit(w)).unwrap(), cur);
    let mut depth = 0;
    let mut o = &opt;
    while let OptionRepr::IaTa(ia) = o {
        depth += 1;
        o = &ia.options[0];
    }
    assert!(
        matches!(o, OptionRepr::Unknown { .. }),
        "deep levels stay raw"
    );
    assert!(depth < 10, "typed depth {depth} is bounded");
    let msg = [&[0x01, 0, 0, 1][..], &cur].concat();
    assert_eq!(
        MessageRepr::from_bytes(&msg).unwrap().to_vec().unwrap(),
        msg
    );
}
