//! Kea 2.2's `lease4` table as data: the rows `kea-admin db-init pgsql`
//! (schema 13.0) defines, turned into dhcp4s's leases and back, and the
//! statements a turn writes. Pure: `sys::pg4` runs them. The schema
//! version check, the connection string and the password file are
//! [`crate::lease::kea`]'s, shared with dhcp6s's `lease6` store.
//! doc/postgresql.md says what each column holds and why.
//!
//! A row is one lease, as Kea's PgSqlLease4Exchange writes it: `address`
//! (the IPv4 address as an integer), `hwaddr` (the client's hardware
//! address, empty when none), `client_id` (option 61's data, empty when
//! the client sent none), `valid_lifetime`, `expire` (the client's last
//! transaction time plus the valid lifetime; for an infinite lifetime the
//! transaction time itself), `subnet_id`, `fqdn_fwd`, `fqdn_rev` and
//! `hostname` (false, false, empty: dhcp4s does no DNS updates), `state`
//! (0 default, 1 declined, 2 expired-reclaimed) and `user_context`
//! (empty, or JSON for what Kea has no column for: here a hardware type
//! other than Ethernet, which Kea assumes on reading).

use core::net::Ipv4Addr;

use super::engine::{ClientKey, Lease4};

/// Infinite lifetime, which Kea stores as is.
const INFINITY: u32 = u32::MAX;
/// Kea's longest hardware address (`HWAddr::MAX_HWADDR_LEN`).
pub const MAX_HWADDR_LEN: usize = 20;
/// Kea's shortest and longest client identifier (`ClientId::MIN_CLIENT_ID_LEN`,
/// `MAX_CLIENT_ID_LEN`).
pub const CLIENT_ID_LEN: core::ops::RangeInclusive<usize> = 2..=255;
/// Ethernet's hardware type, which Kea gives every `lease4` row it reads.
const HTYPE_ETHER: u8 = 1;

/// One `lease4` row as read, every column as the database gave it (NULLs
/// included: other writers may leave them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRow4 {
    /// `address`.
    pub address: Option<i64>,
    /// `hwaddr`.
    pub hwaddr: Option<Vec<u8>>,
    /// `client_id`.
    pub client_id: Option<Vec<u8>>,
    /// `valid_lifetime`.
    pub valid_lifetime: Option<i64>,
    /// `expire`, as Unix seconds.
    pub expire: Option<i64>,
    /// `subnet_id`.
    pub subnet_id: Option<i64>,
    /// `state`.
    pub state: Option<i64>,
    /// `user_context`.
    pub user_context: Option<String>,
}

/// What a row means to dhcp4s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row4 {
    /// A lease held by a client.
    Lease(Lease4),
    /// A declined address kept out of use until `until`.
    Declined {
        /// The address.
        addr: Ipv4Addr,
        /// When it comes back (Unix seconds).
        until: u64,
    },
    /// Nobody's any more (reclaimed, or declined and run out).
    Free(Ipv4Addr),
}

/// Why a row was skipped (someone else wrote it; counted, never fatal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadRow4 {
    /// `address` missing or not a 32-bit value.
    #[error("malformed address")]
    Address,
    /// Neither a client identifier of 2 to 255 octets nor a hardware
    /// address of 1 to 20.
    #[error("no usable client identifier or hardware address")]
    Client,
    /// `valid_lifetime` missing, negative or over 32 bits.
    #[error("impossible lifetime")]
    Lifetime,
    /// `expire` missing or before the Unix epoch.
    #[error("impossible expiry time")]
    Expire,
    /// `state` not one of Kea's.
    #[error("unknown state")]
    State,
    /// `subnet_id` missing or out of range.
    #[error("missing subnet ID")]
    Subnet,
}

/// The address of an `address` column.
pub fn addr_of(column: i64) -> Option<Ipv4Addr> {
    u32::try_from(column).ok().map(Ipv4Addr::from)
}

/// The `address` column of an address.
pub fn address_column(addr: Ipv4Addr) -> i64 {
    i64::from(u32::from(addr))
}

/// The hardware type a `user_context` written by [`encode4`] records.
fn htype_of_context(ctx: &str) -> Option<u8> {
    let ours = ctx.get(ctx.find("\"kame6\":")?..)?;
    let pat = "\"htype\":";
    let at = ours.find(pat)? + pat.len();
    let digits: String = ours
        .get(at..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The client a row names: its client identifier when it has one (Kea's
/// match-client-id), else its hardware address.
fn client_of(raw: &RawRow4) -> Result<ClientKey, BadRow4> {
    let id = raw.client_id.as_deref().unwrap_or_default();
    if !id.is_empty() {
        return if CLIENT_ID_LEN.contains(&id.len()) {
            Ok(ClientKey::Id(id.to_vec()))
        } else {
            Err(BadRow4::Client)
        };
    }
    let hw = raw.hwaddr.as_deref().unwrap_or_default();
    if hw.is_empty() || hw.len() > MAX_HWADDR_LEN {
        return Err(BadRow4::Client);
    }
    let htype = raw
        .user_context
        .as_deref()
        .and_then(htype_of_context)
        .unwrap_or(HTYPE_ETHER);
    Ok(ClientKey::Hw {
        htype,
        addr: hw.to_vec(),
    })
}

/// Decodes a row; `now` tells a declined address whose time ran out.
pub fn decode4(raw: &RawRow4, now: u64) -> Result<Row4, BadRow4> {
    let addr = raw.address.and_then(addr_of).ok_or(BadRow4::Address)?;
    let expire = raw
        .expire
        .and_then(|e| u64::try_from(e).ok())
        .ok_or(BadRow4::Expire)?;
    match raw.state.unwrap_or(0) {
        0 => {}
        1 if expire > now => {
            return Ok(Row4::Declined {
                addr,
                until: expire,
            })
        }
        1 | 2 => return Ok(Row4::Free(addr)),
        _ => return Err(BadRow4::State),
    }
    let client = client_of(raw)?;
    let valid = raw
        .valid_lifetime
        .and_then(|v| u32::try_from(v).ok())
        .ok_or(BadRow4::Lifetime)?;
    let subnet = raw
        .subnet_id
        .and_then(|s| u32::try_from(s).ok())
        .ok_or(BadRow4::Subnet)?;
    Ok(Row4::Lease(Lease4 {
        client,
        addr,
        subnet,
        expires: if valid == INFINITY { u64::MAX } else { expire },
    }))
}

/// A row to write for a lease: the columns Kea fills that vary (the
/// statements set `fqdn_fwd`, `fqdn_rev`, `hostname` and `state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow4 {
    /// `address`.
    pub address: i64,
    /// `hwaddr`: the client's `chaddr`, empty when unknown.
    pub hwaddr: Vec<u8>,
    /// `client_id`: empty for a client known by its hardware address.
    pub client_id: Vec<u8>,
    /// `valid_lifetime`.
    pub valid_lifetime: i64,
    /// `expire`, Unix seconds.
    pub expire: i64,
    /// `subnet_id`.
    pub subnet_id: i64,
    /// `user_context`: empty, as Kea writes it, unless the hardware type
    /// needs recording.
    pub user_context: String,
}

fn col(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// The row for `lease`, granted at `now` (the client's last transaction
/// time); `chaddr` is the hardware address of a client known by its
/// identifier (Kea keeps both).
pub fn encode4(lease: &Lease4, chaddr: &[u8], now: u64) -> LeaseRow4 {
    let (valid, expire) = if lease.expires == u64::MAX {
        (INFINITY, now)
    } else {
        let v = lease.expires.saturating_sub(now);
        // Kea's cltt is expire - valid: never after the grant.
        (u32::try_from(v).unwrap_or(INFINITY - 1), lease.expires)
    };
    let (hwaddr, client_id, user_context) = match &lease.client {
        ClientKey::Id(id) => (chaddr.to_vec(), id.clone(), String::new()),
        ClientKey::Hw { htype, addr } => {
            let ctx = if *htype == HTYPE_ETHER {
                String::new()
            } else {
                format!("{{\"kame6\":{{\"htype\":{htype}}}}}")
            };
            (addr.clone(), Vec::new(), ctx)
        }
    };
    LeaseRow4 {
        address: address_column(lease.addr),
        hwaddr,
        client_id,
        valid_lifetime: i64::from(valid),
        expire: col(expire),
        subnet_id: i64::from(lease.subnet),
        user_context,
    }
}

/// A lease named by its holder: the columns the statements match on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held4 {
    /// `address`.
    pub address: i64,
    /// `client_id`, empty for a client known by its hardware address.
    pub client_id: Vec<u8>,
    /// `hwaddr` of a client known by its hardware address (else empty:
    /// not matched on).
    pub hwaddr: Vec<u8>,
}

impl Held4 {
    /// `addr` as held by `client`.
    pub fn new(client: &ClientKey, addr: Ipv4Addr) -> Self {
        let (client_id, hwaddr) = match client {
            ClientKey::Id(id) => (id.clone(), Vec::new()),
            ClientKey::Hw { addr, .. } => (Vec::new(), addr.clone()),
        };
        Self {
            address: address_column(addr),
            client_id,
            hwaddr,
        }
    }
}

/// One statement of a turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op4 {
    /// [`SQL_UPSERT4`]: a claim or an extension; losing it loses the turn.
    Upsert(LeaseRow4),
    /// [`SQL_DELETE4`]: released, or replaced by another address.
    Delete(Held4),
    /// [`SQL_EXPIRE4`] with the end we knew.
    Expire(Held4, i64),
    /// [`SQL_DECLINE4`] with the probation time and its end.
    Decline(Held4, i64, i64),
}

/// The statements for one lease change; `chaddr` as for [`encode4`].
pub fn ops_for(change: &super::engine::Change4, chaddr: &[u8], now: u64) -> Op4 {
    use super::engine::Change4 as C;
    match change {
        C::Bind(l) => Op4::Upsert(encode4(l, chaddr, now)),
        C::Release { client, addr } => Op4::Delete(Held4::new(client, *addr)),
        C::Expire { client, addr } => Op4::Expire(Held4::new(client, *addr), col(now)),
        C::Decline {
            client,
            addr,
            until,
        } => Op4::Decline(
            Held4::new(client, *addr),
            col(until.saturating_sub(now)),
            col(*until),
        ),
    }
}

/// The columns every read selects, in [`RawRow4`]'s order.
macro_rules! select4 {
    () => {
        "SELECT address, hwaddr, client_id, valid_lifetime, \
         extract(epoch from expire)::bigint, subnet_id, state, user_context FROM lease4 "
    };
}

/// Every lease of the given subnets ($1 bigint[]) that has not ended, and
/// every quarantine, for start-up.
pub const SQL_LOAD4: &str = concat!(
    select4!(),
    "WHERE subnet_id = ANY($1) AND (expire > now() OR valid_lifetime = 4294967295)"
);

/// The rows of the given clients — identifiers $1 bytea[], hardware
/// addresses $2 bytea[] of clients without one — in subnets $3: what a
/// turn reads before relying on them.
pub const SQL_BY_CLIENTS4: &str = concat!(
    select4!(),
    "WHERE subnet_id = ANY($3) AND (client_id = ANY($1) \
     OR (hwaddr = ANY($2) AND coalesce(length(client_id), 0) = 0))"
);

/// The same client, in SQL: by identifier when the row being written has
/// one, else by hardware address among rows without one.
macro_rules! same_client {
    ($id:literal, $hw:literal) => {
        concat!(
            "((length(",
            $id,
            ") > 0 AND lease4.client_id = ",
            $id,
            ") OR (length(",
            $id,
            ") = 0 AND coalesce(length(lease4.client_id), 0) = 0 AND lease4.hwaddr = ",
            $hw,
            "))"
        )
    };
}

/// Claims or extends a lease (parameters in [`LeaseRow4`]'s order), with
/// the columns Kea fills for a lease without DNS updates. The primary key
/// decides: a row of another client is taken over only when it has ended
/// (an infinite lifetime never does) or was reclaimed; a declined one only
/// when its probation is over. No row returned means the claim was lost.
pub const SQL_UPSERT4: &str = concat!(
    "INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, \
     fqdn_fwd, fqdn_rev, hostname, state, user_context) \
     VALUES ($1, $2, $3, $4, to_timestamp($5), $6, false, false, '', 0, $7) \
     ON CONFLICT (address) DO UPDATE SET hwaddr = EXCLUDED.hwaddr, \
     client_id = EXCLUDED.client_id, valid_lifetime = EXCLUDED.valid_lifetime, \
     expire = EXCLUDED.expire, subnet_id = EXCLUDED.subnet_id, fqdn_fwd = false, \
     fqdn_rev = false, hostname = '', state = 0, user_context = EXCLUDED.user_context \
     WHERE (lease4.state = 0 AND ",
    same_client!("EXCLUDED.client_id", "EXCLUDED.hwaddr"),
    ") OR lease4.state = 2 \
     OR (lease4.expire <= now() AND lease4.valid_lifetime <> 4294967295) \
     RETURNING address"
);

/// Drops a lease still held by that client ($1 address, $2 client_id,
/// $3 hwaddr), released or replaced.
pub const SQL_DELETE4: &str = concat!(
    "DELETE FROM lease4 WHERE address = $1 AND state = 0 AND ",
    same_client!("$2::bytea", "$3::bytea")
);

/// Drops a lease that ran out ($4: now), unless another server has
/// extended it since.
pub const SQL_EXPIRE4: &str = concat!(
    "DELETE FROM lease4 WHERE address = $1 AND state = 0 AND expire <= to_timestamp($4) AND ",
    same_client!("$2::bytea", "$3::bytea")
);

/// Marks a lease declined as Kea's Lease4::decline does: no hardware
/// address, no client identifier, no name, the probation time ($4) as
/// valid lifetime, until $5.
pub const SQL_DECLINE4: &str = concat!(
    "UPDATE lease4 SET hwaddr = ''::bytea, client_id = ''::bytea, state = 1, \
     valid_lifetime = $4, expire = to_timestamp($5), hostname = '', fqdn_fwd = false, \
     fqdn_rev = false, user_context = '' \
     WHERE address = $1 AND state = 0 AND ",
    same_client!("$2::bytea", "$3::bytea")
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code
    use super::*;

    fn raw() -> RawRow4 {
        RawRow4 {
            address: Some(0x0a00_000a),
            hwaddr: Some(vec![0, 0x11, 0x22, 0x33, 0x44, 0x55]),
            client_id: Some(vec![1, 0, 0x11, 0x22, 0x33, 0x44, 0x55]),
            valid_lifetime: Some(3600),
            expire: Some(10_000 + 3600),
            subnet_id: Some(7),
            state: Some(0),
            user_context: Some(String::new()),
        }
    }

    #[test]
    fn a_row_decodes_and_encodes_back() {
        let r = raw();
        let Ok(Row4::Lease(l)) = decode4(&r, 0) else {
            panic!("not a lease")
        };
        assert_eq!(l.addr, Ipv4Addr::new(10, 0, 0, 10));
        assert_eq!(l.client, ClientKey::Id(r.client_id.clone().unwrap()));
        assert_eq!((l.subnet, l.expires), (7, 13_600));
        let back = encode4(&l, r.hwaddr.as_deref().unwrap(), 10_000);
        assert_eq!(Some(back.address), r.address);
        assert_eq!(Some(back.hwaddr), r.hwaddr);
        assert_eq!(Some(back.client_id), r.client_id);
        assert_eq!(Some(back.valid_lifetime), r.valid_lifetime);
        assert_eq!(Some(back.expire), r.expire);
        assert_eq!(Some(back.user_context), r.user_context);
    }

    /// A client without an identifier is its hardware address; a type
    /// other than Ethernet rides in user_context (Kea has no column).
    #[test]
    fn hardware_keys_and_their_type() {
        let mut r = raw();
        r.client_id = Some(Vec::new());
        let Ok(Row4::Lease(l)) = decode4(&r, 0) else {
            panic!()
        };
        assert_eq!(
            l.client,
            ClientKey::Hw {
                htype: 1,
                addr: r.hwaddr.clone().unwrap()
            }
        );
        r.client_id = None;
        assert_eq!(decode4(&r, 0), Ok(Row4::Lease(l.clone())), "NULL as empty");
        let ib = Lease4 {
            client: ClientKey::Hw {
                htype: 32,
                addr: vec![9; 20],
            },
            ..l
        };
        let row = encode4(&ib, &[], 10_000);
        assert!(row.client_id.is_empty());
        assert_eq!(row.user_context, "{\"kame6\":{\"htype\":32}}");
        let mut r2 = raw();
        r2.client_id = None;
        r2.hwaddr = Some(row.hwaddr);
        r2.user_context = Some(row.user_context);
        assert_eq!(decode4(&r2, 0), Ok(Row4::Lease(ib)));
    }

    #[test]
    fn infinite_lifetimes_store_the_transaction_time() {
        let l = Lease4 {
            client: ClientKey::Id(vec![1, 2, 3]),
            addr: Ipv4Addr::new(10, 0, 0, 1),
            subnet: 3,
            expires: u64::MAX,
        };
        let row = encode4(&l, &[], 5000);
        assert_eq!((row.valid_lifetime, row.expire), (4_294_967_295, 5000));
        let mut r = raw();
        r.valid_lifetime = Some(row.valid_lifetime);
        r.expire = Some(5000);
        let Ok(Row4::Lease(back)) = decode4(&r, 9999) else {
            panic!()
        };
        assert_eq!(back.expires, u64::MAX);
    }

    #[test]
    fn declined_and_reclaimed_rows() {
        let mut d = raw();
        d.state = Some(1);
        d.client_id = Some(Vec::new());
        d.hwaddr = Some(Vec::new());
        let addr = Ipv4Addr::new(10, 0, 0, 10);
        assert_eq!(
            decode4(&d, 0),
            Ok(Row4::Declined {
                addr,
                until: 13_600
            })
        );
        assert_eq!(decode4(&d, 13_600), Ok(Row4::Free(addr)));
        d.state = Some(2);
        assert_eq!(decode4(&d, 0), Ok(Row4::Free(addr)));
    }

    /// Rows someone else wrote wrong are refused with the reason, never a
    /// panic.
    #[test]
    fn bad_rows_are_refused() {
        type Spoil = fn(&mut RawRow4);
        let cases: Vec<(Spoil, BadRow4)> = vec![
            (|r| r.address = None, BadRow4::Address),
            (|r| r.address = Some(-1), BadRow4::Address),
            (|r| r.address = Some(1 << 32), BadRow4::Address),
            (|r| r.client_id = Some(vec![1]), BadRow4::Client),
            (|r| r.client_id = Some(vec![1; 256]), BadRow4::Client),
            (
                |r| {
                    r.client_id = None;
                    r.hwaddr = None;
                },
                BadRow4::Client,
            ),
            (
                |r| {
                    r.client_id = Some(vec![]);
                    r.hwaddr = Some(vec![0; 21]);
                },
                BadRow4::Client,
            ),
            (|r| r.valid_lifetime = Some(-1), BadRow4::Lifetime),
            (|r| r.valid_lifetime = Some(1 << 40), BadRow4::Lifetime),
            (|r| r.valid_lifetime = None, BadRow4::Lifetime),
            (|r| r.expire = Some(-5), BadRow4::Expire),
            (|r| r.expire = None, BadRow4::Expire),
            (|r| r.state = Some(9), BadRow4::State),
            (|r| r.state = Some(-1), BadRow4::State),
            (|r| r.subnet_id = Some(-3), BadRow4::Subnet),
            (|r| r.subnet_id = None, BadRow4::Subnet),
        ];
        for (spoil, why) in cases {
            let mut r = raw();
            spoil(&mut r);
            assert_eq!(decode4(&r, 0), Err(why), "{r:?}");
        }
        // Hostile contexts and extremes decode or are refused, never panic.
        let mut r = raw();
        r.client_id = None;
        for ctx in [
            "\"kame6\":",
            "{\"kame6\":{\"htype\":999}}",
            "\u{1F600}\"kame6\":\"htype\":",
        ] {
            r.user_context = Some(ctx.into());
            let _ = decode4(&r, u64::MAX);
        }
        r.expire = Some(i64::MAX);
        r.valid_lifetime = Some(0);
        assert!(decode4(&r, 0).is_ok());
    }

    /// Each change becomes its statement, matched on the holder.
    #[test]
    fn changes_become_statements() {
        use crate::dhcp4::engine::Change4;
        let client = ClientKey::Hw {
            htype: 1,
            addr: vec![2; 6],
        };
        let addr = Ipv4Addr::new(10, 0, 0, 9);
        let held = Held4::new(&client, addr);
        assert_eq!(held.address, 0x0a00_0009);
        assert!(held.client_id.is_empty());
        let d = Change4::Decline {
            client: client.clone(),
            addr,
            until: 1600,
        };
        assert_eq!(
            ops_for(&d, &[], 1000),
            Op4::Decline(held.clone(), 600, 1600)
        );
        let e = Change4::Expire { client, addr };
        assert_eq!(ops_for(&e, &[], 1000), Op4::Expire(held, 1000));
        assert!(SQL_UPSERT4.contains("lease4.client_id = EXCLUDED.client_id"));
        assert!(SQL_DELETE4.contains("lease4.hwaddr = $3::bytea"));
    }
}
