//! dhcp4s's lease journal format (doc/lease-journal.md "dhcp4s"): the
//! framing of dhcp6s's journal (16-octet header, then records each with
//! its length and CRC-32, [`crate::lease::journal`]) under its own magic,
//! `kame6L4\n`, with records of the engine's [`Change4`]s. Pure: encoding
//! into and decoding from byte slices; the file is `sys::journal4`'s.
//!
//! ```text
//! key      type 0: len (1) | client identifier (len octets, 1..255)
//!          type 1: htype (1) | len (1) | hardware address (len octets, 1..16)
//! 1 BIND       key | address (4) | subnet id (4) | expires (8, Unix s; all ones: never)
//! 2 RELEASE    key | address (4)
//! 3 DECLINE    key | address (4) | until (8)
//! 4 EXPIRE     key | address (4)
//! 5 QUARANTINE address (4) | until (8)          (snapshots: no client)
//! ```

use core::net::Ipv4Addr;

use super::engine::{Change4, ClientKey, Lease4, MAX_CLIENT_ID_LEN};
use crate::lease::journal::{
    check_header_of, encode_frame, header_of, walk_frames, Error, Walked, HEADER_LEN,
};
use crate::wire::Reader;

/// The first eight octets of a dhcp4s journal.
pub const MAGIC: [u8; 8] = *b"kame6L4\n";
/// The format version written and read.
pub const VERSION: u16 = 1;

mod kind {
    pub const BIND: u8 = 1;
    pub const RELEASE: u8 = 2;
    pub const DECLINE: u8 = 3;
    pub const EXPIRE: u8 = 4;
    pub const QUARANTINE: u8 = 5;
}

/// One record of a dhcp4s journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record4 {
    /// A lease change, as the engine made it.
    Change(Change4),
    /// A quarantined address (a snapshot's form of a DECLINE).
    Quarantine {
        /// The address.
        addr: Ipv4Addr,
        /// When the quarantine ends.
        until: u64,
    },
}

impl Record4 {
    /// The change that replays this record into an engine
    /// ([`crate::dhcp4::engine::Engine::replay`]); a quarantine is a
    /// DECLINE whose client no longer matters.
    pub fn into_change(self) -> Change4 {
        match self {
            Self::Change(c) => c,
            Self::Quarantine { addr, until } => Change4::Decline {
                client: ClientKey::Id(Vec::new()),
                addr,
                until,
            },
        }
    }
}

/// The 16-octet header.
pub fn header() -> [u8; HEADER_LEN] {
    header_of(&MAGIC, VERSION)
}

fn put_key(out: &mut Vec<u8>, key: &ClientKey) {
    // The engine keeps identifiers of at most 255 octets and chaddr has
    // 16: both lengths fit one octet.
    match key {
        ClientKey::Id(id) => {
            out.push(0);
            out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(
                id.get(..MAX_CLIENT_ID_LEN.min(id.len()))
                    .unwrap_or_default(),
            );
        }
        ClientKey::Hw { htype, addr } => {
            out.push(1);
            out.push(*htype);
            out.push(u8::try_from(addr.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(addr);
        }
    }
}

fn get_key(r: &mut Reader<'_>) -> Option<ClientKey> {
    match r.u8().ok()? {
        0 => {
            let n = usize::from(r.u8().ok()?);
            Some(ClientKey::Id(r.bytes(n).ok()?.to_vec()))
        }
        1 => {
            let htype = r.u8().ok()?;
            let n = usize::from(r.u8().ok()?);
            if n == 0 || n > super::CHADDR_LEN {
                return None;
            }
            Some(ClientKey::Hw {
                htype,
                addr: r.bytes(n).ok()?.to_vec(),
            })
        }
        _ => None,
    }
}

fn get_addr(r: &mut Reader<'_>) -> Option<Ipv4Addr> {
    Some(Ipv4Addr::from(r.array::<4>().ok()?))
}

fn encode_body(rec: &Record4, out: &mut Vec<u8>) {
    match rec {
        Record4::Change(Change4::Bind(l)) => {
            out.push(kind::BIND);
            put_key(out, &l.client);
            out.extend_from_slice(&l.addr.octets());
            out.extend_from_slice(&l.subnet.to_be_bytes());
            out.extend_from_slice(&l.expires.to_be_bytes());
        }
        Record4::Change(Change4::Release { client, addr }) => {
            out.push(kind::RELEASE);
            put_key(out, client);
            out.extend_from_slice(&addr.octets());
        }
        Record4::Change(Change4::Decline {
            client,
            addr,
            until,
        }) => {
            out.push(kind::DECLINE);
            put_key(out, client);
            out.extend_from_slice(&addr.octets());
            out.extend_from_slice(&until.to_be_bytes());
        }
        Record4::Change(Change4::Expire { client, addr }) => {
            out.push(kind::EXPIRE);
            put_key(out, client);
            out.extend_from_slice(&addr.octets());
        }
        Record4::Quarantine { addr, until } => {
            out.push(kind::QUARANTINE);
            out.extend_from_slice(&addr.octets());
            out.extend_from_slice(&until.to_be_bytes());
        }
    }
}

/// Appends `rec`, framed with its length and checksum, to `out`.
pub fn encode(rec: &Record4, out: &mut Vec<u8>) {
    encode_frame(out, |out| encode_body(rec, out));
}

/// Decodes one record body; `None` unless it is exactly one well-formed
/// record of a known type.
pub fn decode_body(body: &[u8]) -> Option<Record4> {
    let mut r = Reader::new(body);
    let rec = match r.u8().ok()? {
        kind::BIND => {
            let client = get_key(&mut r)?;
            let addr = get_addr(&mut r)?;
            let subnet = r.u32().ok()?;
            let expires = r.u64().ok()?;
            Record4::Change(Change4::Bind(Lease4 {
                client,
                addr,
                subnet,
                expires,
            }))
        }
        kind::RELEASE => Record4::Change(Change4::Release {
            client: get_key(&mut r)?,
            addr: get_addr(&mut r)?,
        }),
        kind::DECLINE => {
            let client = get_key(&mut r)?;
            let addr = get_addr(&mut r)?;
            Record4::Change(Change4::Decline {
                client,
                addr,
                until: r.u64().ok()?,
            })
        }
        kind::EXPIRE => Record4::Change(Change4::Expire {
            client: get_key(&mut r)?,
            addr: get_addr(&mut r)?,
        }),
        kind::QUARANTINE => {
            let addr = get_addr(&mut r)?;
            Record4::Quarantine {
                addr,
                until: r.u64().ok()?,
            }
        }
        _ => return None,
    };
    r.finish().ok()?;
    Some(rec)
}

/// Walks a whole dhcp4s journal file, calling `each` with every good
/// record in order; stops at a damaged tail (reported in the result) and
/// refuses a file that is not a dhcp4s journal or holds a record this
/// code does not know. Never panics, whatever `file` holds.
pub fn read4(file: &[u8], mut each: impl FnMut(Record4)) -> Result<Walked, Error> {
    let ok = check_header_of(file, &MAGIC, VERSION..=VERSION)?;
    walk_frames(file, ok, |_, body| {
        each(decode_body(body)?);
        Some(())
    })
}

/// A snapshot: the header, one BIND per lease and one QUARANTINE per
/// quarantined address, sorted so the same state gives the same bytes.
pub fn snapshot4(leases: &[Lease4], quarantines: &[(Ipv4Addr, u64)]) -> Vec<u8> {
    let mut out = header().to_vec();
    let mut leases: Vec<&Lease4> = leases.iter().collect();
    leases.sort_by_key(|l| l.addr);
    for l in leases {
        encode(&Record4::Change(Change4::Bind(l.clone())), &mut out);
    }
    let mut q = quarantines.to_vec();
    q.sort();
    for (addr, until) in q {
        encode(&Record4::Quarantine { addr, until }, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::lease::journal::DamageKind;

    fn lease(n: u8, client: ClientKey) -> Lease4 {
        Lease4 {
            client,
            addr: Ipv4Addr::new(10, 0, 0, n),
            subnet: 1,
            expires: 1000 + u64::from(n),
        }
    }

    fn all_kinds() -> Vec<Record4> {
        let id = ClientKey::Id(vec![1, 2, 3]);
        let hw = ClientKey::Hw {
            htype: 1,
            addr: vec![0, 1, 2, 3, 4, 5],
        };
        let a = Ipv4Addr::new(10, 0, 0, 9);
        vec![
            Record4::Change(Change4::Bind(lease(1, id.clone()))),
            Record4::Change(Change4::Bind(lease(2, hw.clone()))),
            Record4::Change(Change4::Release {
                client: id,
                addr: a,
            }),
            Record4::Change(Change4::Decline {
                client: hw.clone(),
                addr: a,
                until: 7,
            }),
            Record4::Change(Change4::Expire {
                client: hw,
                addr: a,
            }),
            Record4::Quarantine { addr: a, until: 9 },
        ]
    }

    #[test]
    fn records_round_trip() {
        let mut file = header().to_vec();
        for r in all_kinds() {
            encode(&r, &mut file);
        }
        let mut got = Vec::new();
        let w = read4(&file, |r| got.push(r)).unwrap();
        assert_eq!(got, all_kinds());
        assert_eq!(w.good_len, file.len() as u64);
        assert!(w.damage.is_none());
    }

    /// A torn last record is cut off; the ones before it are kept.
    #[test]
    fn torn_tail() {
        let mut file = header().to_vec();
        for r in all_kinds() {
            encode(&r, &mut file);
        }
        file.truncate(file.len() - 3);
        let mut n = 0;
        let w = read4(&file, |_| n += 1).unwrap();
        assert_eq!(n, all_kinds().len() - 1);
        assert_eq!(w.damage.unwrap().what, DamageKind::Truncated);
    }

    /// Zeros after the last record (the room the journal is grown by) end
    /// it cleanly; zeros with a record after them, or a torn record with
    /// zeros after it, are damage, the records before kept.
    #[test]
    fn zero_filled_room() {
        let mut file = header().to_vec();
        for r in all_kinds() {
            encode(&r, &mut file);
        }
        let end = file.len() as u64;
        let mut roomy = file.clone();
        roomy.resize(file.len() + 65_536, 0);
        let mut n = 0;
        let w = read4(&roomy, |_| n += 1).unwrap();
        assert_eq!((n, w.good_len, w.damage), (all_kinds().len(), end, None));
        let mut holed = roomy.clone();
        encode(&all_kinds()[0], &mut holed);
        let d = read4(&holed, |_| {}).unwrap().damage.unwrap();
        assert_eq!((d.offset, d.what), (end, DamageKind::BadLength));
        let mut torn = file[..file.len() - 3].to_vec();
        torn.resize(file.len() + 100, 0);
        let mut n = 0;
        let w = read4(&torn, |_| n += 1).unwrap();
        assert_eq!(n, all_kinds().len() - 1);
        assert_eq!(w.damage.unwrap().what, DamageKind::Checksum);
    }

    /// dhcp6s's journal is not a dhcp4s one, nor the other way round.
    #[test]
    fn magics_differ() {
        assert_eq!(
            read4(&crate::lease::journal::header(), |_| {}).unwrap_err(),
            Error::BadMagic
        );
        assert!(crate::lease::journal::replay(&header(), 0).is_err());
    }

    #[test]
    fn snapshot_is_sorted_and_replays() {
        let id = ClientKey::Id(vec![1, 9]);
        let snap = snapshot4(
            &[lease(5, id.clone()), lease(3, id)],
            &[(Ipv4Addr::new(10, 0, 0, 7), 50)],
        );
        let mut got = Vec::new();
        read4(&snap, |r| got.push(r)).unwrap();
        assert!(
            matches!(&got[0], Record4::Change(Change4::Bind(l)) if l.addr == Ipv4Addr::new(10, 0, 0, 3))
        );
        assert_eq!(got.len(), 3);
    }

    /// Bodies that are not exactly one record refuse the file.
    #[test]
    fn bad_bodies() {
        for body in [
            &[][..],
            &[9],
            &[kind::RELEASE, 0, 1, 5, 10, 0, 0],
            &[kind::QUARANTINE, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0],
        ] {
            assert!(decode_body(body).is_none(), "{body:?}");
        }
        assert!(decode_body(&[kind::RELEASE, 1, 1, 17]).is_none());
    }
}
