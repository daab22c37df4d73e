//! Writes seed inputs for the cargo-fuzz targets in `fuzz/`: a Solicit
//! relayed through two relays, an Advertise, a Reply with leases and a
//! reconfigure key, Relay-reply nesting, delayed-auth and RKAP options,
//! DUID / domain-name text, signed dhcp6ctl commands and a key file;
//! the DHCPv4 golden messages (tests/dhcp4_vectors) and DHCPV4-QUERYs
//! framed for Kea's 4o6 IPC, bare and relayed; dhcp4s.conf (the sample)
//! and a dhcp4s lease journal. The
//! corpus directories are not committed; run
//!
//! ```text
//! cargo run -p libdhcp6 --example fuzz_seeds -- fuzz/corpus
//! ```
//!
//! before `cargo +nightly fuzz run <target>`. Every message is built with the
//! library's own emitters, so the seeds are valid input the targets must
//! round-trip.

use std::fs;
use std::net::Ipv6Addr;
use std::path::Path;

use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::ctl::{ClientCommand, CtlMessage, ReconfigureType, ServerCommand};
use libdhcp6::wire::{
    decapsulate, emit_to_vec, encapsulate_reply, Auth, AuthInfo, ClientFqdn, DomainName, IaAddr,
    IaNa, IaPd, IaPrefix, MessageRepr, NtpSuboption, OptionRepr, RelayRepr, StatusCode,
};
use libdhcp6::Duid;

#[path = "../tests/dhcp4_vectors/mod.rs"]
mod dhcp4_vectors;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn addr(s: &str) -> Ipv6Addr {
    s.parse().expect("literal address")
}

fn client_duid() -> Duid {
    Duid::new_llt(
        1,
        946_684_800 + 0x3299_8d33,
        &[0x9a, 0xf8, 0x61, 0xe4, 0x20, 0x97],
    )
    .expect("14-octet DUID-LLT")
}

fn server_duid() -> Duid {
    Duid::new_ll(1, &[0x02, 0, 0, 0, 0, 0x01]).expect("10-octet DUID-LL")
}

fn ia_na(t1: u32, t2: u32, lifetimes: (u32, u32)) -> OptionRepr {
    OptionRepr::IaNa(IaNa {
        iaid: 1,
        t1,
        t2,
        options: vec![OptionRepr::IaAddr(IaAddr {
            addr: addr("2001:db8:1::100"),
            preferred_lifetime: lifetimes.0,
            valid_lifetime: lifetimes.1,
            options: vec![],
        })],
    })
}

fn ia_pd(t1: u32, t2: u32, lifetimes: (u32, u32), exclude: bool) -> OptionRepr {
    let mut options = vec![];
    if exclude {
        options.extend(OptionRepr::pd_exclude(addr("2001:db8:ff00:1::"), 64, 56));
    }
    OptionRepr::IaPd(IaPd {
        iaid: 2,
        t1,
        t2,
        options: vec![OptionRepr::IaPrefix(IaPrefix {
            preferred_lifetime: lifetimes.0,
            valid_lifetime: lifetimes.1,
            prefix_len: 56,
            prefix: addr("2001:db8:ff00::"),
            options,
        })],
    })
}

fn solicit() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Solicit,
        transaction_id: 0x12_3456,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ElapsedTime(0),
            OptionRepr::Oro(vec![OptionCode::DnsServers, OptionCode::DomainList]),
            ia_na(0, 0, (0, 0)),
            ia_pd(0, 0, (0, 0), false),
            OptionRepr::ReconfAccept,
        ],
    }
}

fn advertise() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Advertise,
        transaction_id: 0x12_3456,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ServerId(server_duid()),
            OptionRepr::Preference(255),
            ia_na(3600, 5400, (7200, 10800)),
            ia_pd(3600, 5400, (7200, 10800), true),
            OptionRepr::Addresses {
                code: OptionCode::DnsServers,
                addrs: vec![addr("2001:db8::53"), addr("2001:db8::35")],
            },
            OptionRepr::Domains {
                code: OptionCode::DomainList,
                names: vec![
                    DomainName::from_text("example.com").expect("name"),
                    DomainName::from_text("corp.example.").expect("name"),
                ],
            },
        ],
    }
}

fn reply() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Reply,
        transaction_id: 0xab_cdef,
        options: vec![
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ClientId(client_duid()),
            ia_na(3600, 5400, (7200, 10800)),
            OptionRepr::IaNa(IaNa {
                iaid: 3,
                t1: 0,
                t2: 0,
                options: vec![OptionRepr::StatusCode(StatusCode {
                    status: Status::from(2u16),
                    message: b"no addresses".to_vec(),
                })],
            }),
            ia_pd(3600, 5400, (7200, 10800), true),
            OptionRepr::Auth(Auth {
                protocol: 3,
                algorithm: 1,
                rdm: 0,
                replay: 1,
                info: AuthInfo::ReconfigureKey {
                    kind: 1,
                    value: [0x5a; 16],
                },
            }),
            OptionRepr::ClientFqdn(ClientFqdn {
                flags: 0x01,
                name: DomainName::from_text_partial("host").expect("name"),
            }),
            OptionRepr::NtpServer(vec![
                NtpSuboption::ServerAddr(addr("2001:db8::123")),
                NtpSuboption::ServerFqdn(DomainName::from_text("ntp.example.").expect("name")),
            ]),
            OptionRepr::InformationRefreshTime(86400),
            OptionRepr::StatusCode(StatusCode::new(Status::from(0u16))),
        ],
    }
}

fn request_delayed_auth() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Request,
        transaction_id: 0x00_0042,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ElapsedTime(100),
            ia_na(0, 0, (0, 0)),
            OptionRepr::UserClass(vec![b"kame".to_vec()]),
            OptionRepr::VendorClass {
                enterprise: 32473,
                data: vec![b"fuzz".to_vec()],
            },
            OptionRepr::Auth(Auth {
                protocol: 2,
                algorithm: 1,
                rdm: 0,
                replay: 0x0102_0304_0506_0708,
                info: AuthInfo::Delayed {
                    realm: b"example.".to_vec(),
                    key_id: 0x1234_5678,
                    hmac: [0xa5; 16],
                },
            }),
        ],
    }
}

/// A Relay-forward around `inner`.
fn relay_forw(
    hop_count: u8,
    link: &str,
    peer: &str,
    extra: Vec<OptionRepr>,
    inner: Vec<u8>,
) -> Res<Vec<u8>> {
    let mut options = extra;
    options.push(OptionRepr::RelayMsg(inner));
    let relay = RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count,
        link_address: addr(link),
        peer_address: addr(peer),
        options,
    };
    Ok(relay.to_vec()?)
}

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) -> Res<()> {
    let d = dir.join(target);
    fs::create_dir_all(&d)?;
    fs::write(d.join(name), bytes)?;
    Ok(())
}

fn main() -> Res<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fuzz/corpus".into());
    let out = Path::new(&out);
    let relayed_solicit = message_seeds(out)?;
    text_seeds(out)?;
    ctl_seeds(out)?;
    journal_seeds(out, &relayed_solicit)?;
    dhcp4_seeds(out)?;
    dhcp4s_seeds(out)?;
    eprintln!("seeds written under {}", out.display());
    Ok(())
}

/// Seeds for `message`, `relay`, `roundtrip` and `request`: client and
/// server messages, relayed at several depths; returns the Solicit relayed
/// through two relays (the journal's seed records its path).
fn message_seeds(out: &Path) -> Res<Vec<u8>> {
    let solicit = solicit().to_vec()?;
    let inner_relay = relay_forw(
        0,
        "2001:db8:1::1",
        "fe80::1",
        vec![OptionRepr::InterfaceId(b"eth0".to_vec())],
        solicit.clone(),
    )?;
    let relayed_solicit = relay_forw(
        1,
        "::",
        "fe80::2",
        vec![
            OptionRepr::InterfaceId(b"ge-0/0/1".to_vec()),
            OptionRepr::RemoteId {
                enterprise: 4491,
                id: vec![1, 2, 3, 4],
            },
            OptionRepr::RelayPort(10547),
            OptionRepr::Ero(vec![OptionCode::RemoteId]),
        ],
        inner_relay.clone(),
    )?;
    let request = request_delayed_auth().to_vec()?;
    let relayed_request = relay_forw(
        0,
        "2001:db8:2::1",
        "fe80::3",
        vec![
            OptionRepr::InterfaceId(vec![0, 0, 0, 7]),
            OptionRepr::ClientLinklayerAddr {
                hw_type: 1,
                addr: vec![2, 0, 0, 0, 0, 9],
            },
            OptionRepr::SubscriberId(b"sub-1".to_vec()),
        ],
        request.clone(),
    )?;
    let advertise = advertise().to_vec()?;
    let reply = reply().to_vec()?;

    // The Relay-reply chain the server sends back for the relayed Solicit.
    let (chain, _) = decapsulate(&relayed_solicit)?;
    let relay_reply = emit_to_vec(|w| encapsulate_reply(&chain, &advertise, w))?;

    // Deep nesting: eight Relay-forward levels around a Solicit.
    let mut deep = solicit.clone();
    for hop in (0..8u8).rev() {
        deep = relay_forw(hop, "::", "fe80::9", vec![], deep)?;
    }

    let messages: &[(&str, &[u8])] = &[
        ("solicit", &solicit),
        ("advertise", &advertise),
        ("reply", &reply),
        ("request-delayed-auth", &request),
        ("relay-forw-request", &relayed_request),
        ("relay-forw-1", &inner_relay),
        ("relay-forw-2-solicit", &relayed_solicit),
        ("relay-repl-2-advertise", &relay_reply),
        ("relay-forw-8", &deep),
    ];
    for (name, bytes) in messages {
        write(out, "message", name, bytes)?;
        write(out, "relay", name, bytes)?;
        write(out, "roundtrip", name, bytes)?;
        write(out, "request", name, bytes)?;
        // The options area alone, for the per-option half of `roundtrip`.
        if let Some(area) = bytes.get(4..).filter(|_| bytes.first() < Some(&12)) {
            write(out, "roundtrip", &format!("{name}-options"), area)?;
        }
    }

    Ok(relayed_solicit)
}

/// Seeds for `duid`: DUID files and texts, domain names.
fn text_seeds(out: &Path) -> Res<()> {
    let duid_file = client_duid().to_file_bytes();
    let duid_text = client_duid().to_string();
    let name_wire = DomainName::from_text("www.example.com")?;
    let texts: &[(&str, &[u8])] = &[
        ("duid-file", &duid_file),
        ("duid-text", duid_text.as_bytes()),
        ("duid-en-text", b"00:02:00:00:7e:d9:0c:c0:84:d3:03:00:09:12"),
        ("duid-short-groups", b"0:1:2"),
        ("name-fqdn", b"example.com."),
        ("name-escapes", b"a\\.b\\032c.example."),
        ("name-partial", b"host"),
        ("name-wire", name_wire.as_wire()),
    ];
    for (name, bytes) in texts {
        write(out, "duid", name, bytes)?;
    }
    Ok(())
}

/// Seeds for `ctl`: dhcp6ctl messages signed with the fuzz target's key,
/// and a key file.
fn ctl_seeds(out: &Path) -> Res<()> {
    let ctl_key = b"0123456789abcdef";
    let ctl_duid = Duid::from_text("00:03:00:01:02:00:00:00:c0:01")?;
    let server = [
        ("ctl-reload", ServerCommand::Reload),
        ("ctl-stop", ServerCommand::Stop),
        (
            "ctl-remove-binding",
            ServerCommand::RemoveBinding {
                kind: libdhcp6::IaKind::Na,
                iaid: 10,
                duid: ctl_duid.clone(),
            },
        ),
        (
            "ctl-reconfigure",
            ServerCommand::Reconfigure {
                msg_type: ReconfigureType::Renew,
                duid: ctl_duid,
            },
        ),
    ];
    let client = [
        (
            "ctl-start-interface",
            ClientCommand::StartInterface("eth0".into()),
        ),
        (
            "ctl-stop-interface",
            ClientCommand::StopInterface("eth1".into()),
        ),
    ];
    for (name, command) in server {
        let bytes = CtlMessage::new(command, 0x6b13_bc16).encode(ctl_key)?;
        write(out, "ctl", name, &bytes)?;
    }
    for (name, command) in client {
        let bytes = CtlMessage::new(command, 0x6b13_bc16).encode(ctl_key)?;
        write(out, "ctl", name, &bytes)?;
    }
    write(out, "ctl", "key-file", b"Ykl2EZpD/RZFTJRRMX4Fow==\n")?;

    Ok(())
}

/// Seeds for `journal`: a lease journal with a binding, a release, a quarantine and a
/// Reconfigure record, and its snapshot.
fn journal_seeds(out: &Path, relayed_solicit: &[u8]) -> Res<()> {
    use libdhcp6::lease::journal::{encode, header, snapshot, Record};
    use libdhcp6::lease::{
        Binding, BindingKey, BoundLease, Change, IaKind, MemStore, ReconfInfo, Resource,
    };
    use libdhcp6::request::{encode_path, PathBytes};
    let key = BindingKey {
        duid: client_duid(),
        kind: IaKind::Na,
        iaid: 1,
    };
    let res = Resource {
        addr: "2001:db8::1".parse()?,
        len: 128,
    };
    let mut path = PathBytes::new();
    let (chain, _) = libdhcp6::wire::decapsulate(relayed_solicit)?;
    encode_path(&"[2001:db8:ff::1]:547".parse()?, 2, &chain, &mut path);
    let records = [
        Record::Change(Change::Bind(Binding {
            key: key.clone(),
            leases: vec![BoundLease {
                res,
                preferred: 100,
                valid: 200,
                updated: 1_000_000,
            }]
            .into(),
        })),
        Record::Change(Change::Reconf {
            duid: client_duid(),
            info: Some(ReconfInfo {
                key: [7; 16],
                path: path.to_vec(),
                until: 2_000_000,
            }),
        }),
        Record::Quarantine {
            res,
            until: 3_000_000,
        },
        Record::Change(Change::Release { key, res }),
    ];
    let mut file = header().to_vec();
    for r in &records {
        encode(r, &mut file);
    }
    write(out, "journal", "journal", &file)?;
    let replayed = libdhcp6::lease::journal::replay(&file, 0)?;
    let _: &MemStore = &replayed.store;
    write(out, "journal", "snapshot", &snapshot(&replayed.store))?;
    Ok(())
}

/// Seeds for `dhcp4` (the golden messages, one overloaded, and each
/// re-emitted through the canonical layout) and for `ipc4o6` (a
/// DHCPV4-QUERY carrying each, framed bare and inside two relays, and a
/// framed DHCPV4-RESPONSE).
fn dhcp4_seeds(out: &Path) -> Res<()> {
    use libdhcp6::dhcp4::ipc::{attach_to_vec, Meta};
    use libdhcp6::wire::DHCPV4_QUERY_UNICAST;

    let mut v4: Vec<(String, Vec<u8>)> = dhcp4_vectors::vectors()
        .into_iter()
        .map(|v| (v.name.to_owned(), v.bytes))
        .collect();
    v4.push(("overloaded-ack".into(), dhcp4_vectors::overloaded_ack()));
    let meta = Meta {
        interface: "eth0".into(),
        remote_addr: addr("fe80::211:22ff:fe33:4455"),
        remote_port: 546,
    };
    for (name, bytes) in &v4 {
        write(out, "dhcp4", name, bytes)?;
        let query = MessageRepr {
            msg_type: MessageType::Dhcpv4Query,
            transaction_id: DHCPV4_QUERY_UNICAST,
            options: vec![OptionRepr::Dhcpv4Msg(bytes.clone())],
        }
        .to_vec()?;
        write(out, "ipc4o6", name, &attach_to_vec(&query, &meta)?)?;
        let relayed = relay_forw(
            1,
            "::",
            "2001:db8:1::1",
            vec![OptionRepr::InterfaceId(b"uplink".to_vec())],
            relay_forw(
                0,
                "2001:db8:1::1",
                "fe80::211:22ff:fe33:4455",
                vec![],
                query,
            )?,
        )?;
        let name = format!("{name}-relayed");
        write(out, "ipc4o6", &name, &attach_to_vec(&relayed, &meta)?)?;
    }
    let response = MessageRepr {
        msg_type: MessageType::Dhcpv4Response,
        transaction_id: 0,
        options: vec![OptionRepr::Dhcpv4Msg(dhcp4_vectors::overloaded_ack())],
    }
    .to_vec()?;
    write(out, "ipc4o6", "response", &attach_to_vec(&response, &meta)?)?;
    Ok(())
}

/// Seeds for `config4_parse` (the sample dhcp4s.conf) and `journal4` (a
/// dhcp4s journal with every record type, and a snapshot).
fn dhcp4s_seeds(out: &Path) -> Res<()> {
    use std::net::Ipv4Addr;

    use libdhcp6::dhcp4::engine::{Change4, ClientKey, Lease4};
    use libdhcp6::dhcp4::journal::{encode, header, snapshot4, Record4};

    let sample = include_str!("../../conf/dhcp4s.conf");
    write(out, "config4_parse", "sample", sample.as_bytes())?;
    let id = ClientKey::Id(vec![1, 2, 0, 0, 0, 4, 1]);
    let hw = ClientKey::Hw {
        htype: 1,
        addr: vec![2, 0, 0, 0, 4, 2],
    };
    let a = Ipv4Addr::new(10, 0, 0, 10);
    let b = Ipv4Addr::new(10, 0, 0, 11);
    let lease = |client: &ClientKey, addr| Lease4 {
        client: client.clone(),
        addr,
        subnet: 1,
        expires: 5000,
    };
    let mut file = header().to_vec();
    for r in [
        Record4::Change(Change4::Bind(lease(&id, a))),
        Record4::Change(Change4::Bind(lease(&hw, b))),
        Record4::Change(Change4::Release {
            client: id.clone(),
            addr: a,
        }),
        Record4::Change(Change4::Decline {
            client: hw.clone(),
            addr: b,
            until: 90_000,
        }),
        Record4::Change(Change4::Expire {
            client: id,
            addr: a,
        }),
        Record4::Quarantine { addr: b, until: 9 },
    ] {
        encode(&r, &mut file);
    }
    write(out, "journal4", "records", &file)?;
    let snap = snapshot4(&[lease(&hw, a)], &[(b, 90_000)]);
    write(out, "journal4", "snapshot", &snap)?;
    Ok(())
}
