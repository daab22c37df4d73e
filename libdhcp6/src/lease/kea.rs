//! Kea 2.2's lease schema as data: the `lease6` rows that `kea-admin
//! db-init pgsql` (schema 13.0) defines, turned into bindings and back,
//! and the statements a turn writes. Pure: the database connection is in
//! `sys::pg`, which runs what this module builds. doc/postgresql.md says
//! what each column holds and why.
//!
//! A row is one lease: `address` (text, as Kea writes it: RFC 5952 form),
//! `duid`, `iaid` (the 32 bits as a signed integer), `lease_type` (0
//! IA_NA, 1 IA_TA, 2 IA_PD), `prefix_len`, `valid_lifetime`,
//! `pref_lifetime`, `expire` (the client's last transaction time plus the
//! valid lifetime; for an infinite lifetime Kea stores the transaction time
//! itself), `subnet_id`, `state` (0 default, 1 declined, 2
//! expired-reclaimed) and `user_context` (JSON text) for what Kea has no
//! column for: here a client's Reconfigure record.

use std::net::Ipv6Addr;

use crate::duid::Duid;
use crate::lease::{BindingKey, BoundLease, IaKind, ReconfInfo, Resource};

/// The schema version this store speaks: `schema_version` as `kea-admin
/// db-init pgsql` of Kea 2.2 leaves it (the message of
/// [`SchemaError::Unknown`] names it too).
pub const SCHEMA_VERSION: (i32, i32) = (13, 0);

/// Infinite lifetime (RFC 8415 §7.7), which Kea stores as is.
const INFINITY: u32 = u32::MAX;

/// Kea's `lease6.state` values (table `lease_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    /// A lease in use.
    Default = 0,
    /// An address a client declined, kept out of use until `expire`.
    Declined = 1,
    /// An expired lease Kea reclaimed and keeps for a while.
    ExpiredReclaimed = 2,
}

/// Kea's `lease6.lease_type` for an IA type (table `lease6_types`).
pub fn lease_type(kind: IaKind) -> i16 {
    match kind {
        IaKind::Na => 0,
        IaKind::Ta => 1,
        IaKind::Pd => 2,
    }
}

/// The IA type of a `lease6.lease_type`.
fn ia_kind(t: i16) -> Option<IaKind> {
    match t {
        0 => Some(IaKind::Na),
        1 => Some(IaKind::Ta),
        2 => Some(IaKind::Pd),
        _ => None,
    }
}

/// An IAID as Kea stores it: the same 32 bits in a signed column.
pub fn iaid_column(iaid: u32) -> i32 {
    i32::from_ne_bytes(iaid.to_ne_bytes())
}

/// Why the schema found at start-up is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// `schema_version` names a version this store was not written for.
    #[error(
        "lease database schema version {0}.{1}; kame6 speaks Kea 2.2's 13.0 only and never migrates one: create the schema with Kea 2.2's kea-admin db-init pgsql, or upgrade it with kea-admin db-upgrade"
    )]
    Unknown(i32, i32),
}

/// Checks the version read from `schema_version`.
pub fn check_schema(version: i32, minor: i32) -> Result<(), SchemaError> {
    if (version, minor) == SCHEMA_VERSION {
        Ok(())
    } else {
        Err(SchemaError::Unknown(version, minor))
    }
}

/// One `lease6` row as read, every column as the database gave it (NULLs
/// included: other writers may leave them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRow {
    /// `address`.
    pub address: String,
    /// `duid`.
    pub duid: Option<Vec<u8>>,
    /// `valid_lifetime`.
    pub valid_lifetime: Option<i64>,
    /// `expire`, as Unix seconds.
    pub expire: Option<i64>,
    /// `subnet_id`.
    pub subnet_id: Option<i64>,
    /// `pref_lifetime`.
    pub pref_lifetime: Option<i64>,
    /// `lease_type`.
    pub lease_type: Option<i16>,
    /// `iaid`.
    pub iaid: Option<i32>,
    /// `prefix_len`.
    pub prefix_len: Option<i16>,
    /// `state`.
    pub state: Option<i64>,
    /// `user_context`.
    pub user_context: Option<String>,
}

/// What a row means to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A lease held by a client.
    Lease {
        /// The binding it belongs to.
        key: BindingKey,
        /// The lease.
        lease: BoundLease,
        /// Kea's subnet.
        subnet_id: u32,
        /// The client's Reconfigure record, when the row carries one.
        reconf: Option<ReconfInfo>,
    },
    /// A declined address kept out of use until `until`.
    Declined {
        /// The address.
        res: Resource,
        /// When it comes back (Unix seconds).
        until: u64,
    },
    /// Nobody's any more (reclaimed, or declined and run out): free to
    /// take.
    Free(Resource),
}

/// Why a row was skipped (someone else wrote it; counted, never fatal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadRow {
    /// `address` is not an IPv6 address.
    #[error("malformed address")]
    Address,
    /// `prefix_len` missing or over 128, or not 128 for an address.
    #[error("impossible prefix length")]
    PrefixLen,
    /// `duid` missing, shorter than 3 or longer than 130 octets.
    #[error("DUID of the wrong size")]
    Duid,
    /// A lifetime missing, negative or over 32 bits, or the preferred
    /// over the valid one.
    #[error("impossible lifetime")]
    Lifetime,
    /// `expire` missing or before the Unix epoch.
    #[error("impossible expiry time")]
    Expire,
    /// `lease_type` not one of Kea's.
    #[error("unknown lease type")]
    LeaseType,
    /// `state` not one of Kea's.
    #[error("unknown state")]
    State,
    /// `iaid` or `subnet_id` missing or out of range.
    #[error("missing IAID or subnet ID")]
    Ids,
}

fn lifetime(v: Option<i64>) -> Result<u32, BadRow> {
    v.and_then(|v| u32::try_from(v).ok())
        .ok_or(BadRow::Lifetime)
}

/// Decodes a row; `now` tells a declined address whose time ran out.
pub fn decode(raw: &RawRow, now: u64) -> Result<Row, BadRow> {
    let addr: Ipv6Addr = raw.address.trim().parse().map_err(|_| BadRow::Address)?;
    let kind = raw.lease_type.and_then(ia_kind).ok_or(BadRow::LeaseType)?;
    let len = raw
        .prefix_len
        .and_then(|l| u8::try_from(l).ok())
        .filter(|l| *l <= 128)
        .ok_or(BadRow::PrefixLen)?;
    if kind != IaKind::Pd && len != 128 {
        return Err(BadRow::PrefixLen);
    }
    let res = Resource { addr, len };
    let expire = raw
        .expire
        .and_then(|e| u64::try_from(e).ok())
        .ok_or(BadRow::Expire)?;
    let state = match raw.state.unwrap_or(0) {
        0 => LeaseState::Default,
        1 => LeaseState::Declined,
        2 => LeaseState::ExpiredReclaimed,
        _ => return Err(BadRow::State),
    };
    match state {
        LeaseState::ExpiredReclaimed => return Ok(Row::Free(res)),
        LeaseState::Declined if expire <= now => return Ok(Row::Free(res)),
        LeaseState::Declined => return Ok(Row::Declined { res, until: expire }),
        LeaseState::Default => {}
    }
    let duid = raw
        .duid
        .as_deref()
        .and_then(|d| Duid::from_bytes(d).ok())
        .ok_or(BadRow::Duid)?;
    let valid = lifetime(raw.valid_lifetime)?;
    let preferred = lifetime(raw.pref_lifetime)?;
    if preferred > valid {
        return Err(BadRow::Lifetime);
    }
    // Kea's expire is cltt + valid, or cltt for an infinite lifetime.
    let updated = if valid == INFINITY {
        expire
    } else {
        expire.checked_sub(u64::from(valid)).ok_or(BadRow::Expire)?
    };
    let iaid = raw
        .iaid
        .map(|i| u32::from_ne_bytes(i.to_ne_bytes()))
        .ok_or(BadRow::Ids)?;
    let subnet_id = raw
        .subnet_id
        .and_then(|s| u32::try_from(s).ok())
        .ok_or(BadRow::Ids)?;
    Ok(Row::Lease {
        key: BindingKey { duid, kind, iaid },
        lease: BoundLease {
            res,
            preferred,
            valid,
            updated,
        },
        subnet_id,
        reconf: raw.user_context.as_deref().and_then(reconf_of_context),
    })
}

/// A row to write for a lease: every column Kea fills for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    /// `address`, RFC 5952 text as Kea writes it.
    pub address: String,
    /// `duid`.
    pub duid: Vec<u8>,
    /// `valid_lifetime`.
    pub valid_lifetime: i64,
    /// `expire`, Unix seconds.
    pub expire: i64,
    /// `subnet_id`.
    pub subnet_id: i64,
    /// `pref_lifetime`.
    pub pref_lifetime: i64,
    /// `lease_type`.
    pub lease_type: i16,
    /// `iaid`.
    pub iaid: i32,
    /// `prefix_len`.
    pub prefix_len: i16,
    /// `user_context`.
    pub user_context: Option<String>,
}

/// The `expire` Kea would store for `lease`.
pub fn expire_column(lease: &BoundLease) -> i64 {
    let t = match lease.expires() {
        Some(end) => end,
        None => lease.updated,
    };
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// The row for `lease` of binding `key` in subnet `subnet_id`, carrying
/// the client's Reconfigure record when it has one.
pub fn encode(
    key: &BindingKey,
    lease: &BoundLease,
    subnet_id: u32,
    reconf: Option<&ReconfInfo>,
) -> LeaseRow {
    LeaseRow {
        address: lease.res.addr.to_string(),
        duid: key.duid.as_bytes().to_vec(),
        valid_lifetime: i64::from(lease.valid),
        expire: expire_column(lease),
        subnet_id: i64::from(subnet_id),
        pref_lifetime: i64::from(lease.preferred),
        lease_type: lease_type(key.kind),
        iaid: iaid_column(key.iaid),
        prefix_len: i16::from(lease.res.len),
        user_context: reconf.map(context_of_reconf),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// The `user_context` JSON for a Reconfigure record: one object under
/// `"kame6"`, so Kea's own keys never clash with ours.
pub fn context_of_reconf(r: &ReconfInfo) -> String {
    format!(
        "{{\"kame6\":{{\"reconf-key\":\"{}\",\"reconf-path\":\"{}\",\"reconf-until\":{}}}}}",
        hex(&r.key),
        hex(&r.path),
        r.until
    )
}

/// The string value of `"name":"…"` in `ctx` (hex only, so no escapes).
fn json_str<'a>(ctx: &'a str, name: &str) -> Option<&'a str> {
    let pat = format!("\"{name}\":\"");
    let at = ctx.find(&pat)? + pat.len();
    let rest = ctx.get(at..)?;
    rest.get(..rest.find('"')?)
}

/// The Reconfigure record in a `user_context` written by
/// [`context_of_reconf`]; `None` for anything else (Kea's own contexts,
/// or ours damaged: the row still counts, without the record).
pub fn reconf_of_context(ctx: &str) -> Option<ReconfInfo> {
    let ours = ctx.get(ctx.find("\"kame6\":")?..)?;
    let key: [u8; 16] = unhex(json_str(ours, "reconf-key")?)?.try_into().ok()?;
    let path = unhex(json_str(ours, "reconf-path")?)?;
    let pat = "\"reconf-until\":";
    let at = ours.find(pat)? + pat.len();
    let digits: String = ours
        .get(at..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(ReconfInfo {
        key,
        path,
        until: digits.parse().ok()?,
    })
}

/// The columns every read selects, in [`RawRow`]'s order.
pub const SELECT_COLUMNS: &str = "address, duid, valid_lifetime, \
     extract(epoch from expire)::bigint, subnet_id, pref_lifetime, lease_type, \
     iaid, prefix_len, state, user_context";

/// Reads the schema version.
pub const SQL_SCHEMA_VERSION: &str = "SELECT version, minor FROM schema_version";

/// Every lease of the given subnets ($1 bigint[]) that has not ended, for
/// start-up (expired ones are nobody's: a claim takes them over).
pub const SQL_LOAD: &str = "SELECT address, duid, valid_lifetime, \
     extract(epoch from expire)::bigint, subnet_id, pref_lifetime, lease_type, \
     iaid, prefix_len, state, user_context FROM lease6 \
     WHERE subnet_id = ANY($1) AND (expire > now() OR valid_lifetime = 4294967295)";

/// The leases of the given clients ($1 bytea[]) in the given subnets ($2
/// bigint[]): what a turn reads before relying on them.
pub const SQL_BY_DUIDS: &str = "SELECT address, duid, valid_lifetime, \
     extract(epoch from expire)::bigint, subnet_id, pref_lifetime, lease_type, \
     iaid, prefix_len, state, user_context FROM lease6 \
     WHERE duid = ANY($1) AND subnet_id = ANY($2)";

/// Claims or extends a lease (parameters in [`LeaseRow`]'s order), with
/// the columns Kea fills for a lease without a hardware address (an empty
/// `hwaddr`, `hwtype` and `hwaddr_source` 0: Kea cannot read NULL there). The
/// primary key decides: a row of another client is taken over only when
/// it has ended (an infinite lifetime never does) or was reclaimed; a
/// declined one only when its quarantine is over. No row returned means
/// the claim was lost.
pub const SQL_UPSERT: &str = "INSERT INTO lease6 (address, duid, valid_lifetime, expire, \
     subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, \
     state, hwaddr, hwtype, hwaddr_source, user_context) \
     VALUES ($1, $2, $3, to_timestamp($4), $5, $6, $7, $8, $9, false, false, '', 0, \
     '\\x'::bytea, 0, 0, $10) \
     ON CONFLICT (address) DO UPDATE SET duid = EXCLUDED.duid, \
     valid_lifetime = EXCLUDED.valid_lifetime, expire = EXCLUDED.expire, \
     subnet_id = EXCLUDED.subnet_id, pref_lifetime = EXCLUDED.pref_lifetime, \
     lease_type = EXCLUDED.lease_type, iaid = EXCLUDED.iaid, \
     prefix_len = EXCLUDED.prefix_len, fqdn_fwd = false, fqdn_rev = false, hostname = '', \
     state = 0, hwaddr = '\\x'::bytea, hwtype = 0, hwaddr_source = 0, \
     user_context = EXCLUDED.user_context \
     WHERE (lease6.state = 0 AND lease6.duid = EXCLUDED.duid AND lease6.iaid = EXCLUDED.iaid \
     AND lease6.lease_type = EXCLUDED.lease_type) \
     OR lease6.state = 2 \
     OR (lease6.expire <= now() AND lease6.valid_lifetime <> 4294967295) \
     RETURNING address";

/// Drops a lease still held by that client ($1 address, $2 duid, $3
/// iaid, $4 lease type), released or removed.
pub const SQL_DELETE: &str = "DELETE FROM lease6 WHERE address = $1 AND duid = $2 \
     AND iaid = $3 AND lease_type = $4 AND state = 0";

/// Drops a lease that ran out ($5: the end we knew), unless another
/// server has extended it since.
pub const SQL_EXPIRE: &str = "DELETE FROM lease6 WHERE address = $1 AND duid = $2 \
     AND iaid = $3 AND lease_type = $4 AND state = 0 AND expire <= to_timestamp($5)";

/// Marks a lease declined as Kea does: the DUID becomes the single octet
/// 0, lifetimes the probation time ($5) from now, until $6.
pub const SQL_DECLINE: &str = "UPDATE lease6 SET duid = '\\x00'::bytea, state = 1, \
     valid_lifetime = $5, pref_lifetime = 0, expire = to_timestamp($6), hostname = '', \
     fqdn_fwd = false, fqdn_rev = false, hwaddr = '\\x'::bytea, hwtype = 0, \
     hwaddr_source = 0, user_context = NULL \
     WHERE address = $1 AND duid = $2 AND iaid = $3 AND lease_type = $4 AND state = 0";

/// Ends a quarantine ($1 address, $2 the end we knew).
pub const SQL_UNDECLINE: &str =
    "DELETE FROM lease6 WHERE address = $1 AND state = 1 AND expire <= to_timestamp($2)";

/// Sets the Reconfigure record ($2, or NULL) on every lease of client $1.
pub const SQL_CONTEXT: &str =
    "UPDATE lease6 SET user_context = $2 WHERE duid = $1 AND state = 0 AND subnet_id = ANY($3)";

/// Which Kea subnet each resource belongs to: the `subnet-id` of the
/// pool or prefix pool that contains it (doc/postgresql.md).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubnetMap {
    /// Address ranges (first, last) and their subnet.
    ranges: Vec<(u128, u128, u32)>,
    /// Prefix pools (prefix, length) and their subnet.
    prefixes: Vec<(u128, u8, u32)>,
}

impl SubnetMap {
    /// The map of the configuration's pools that have a `subnet-id`.
    pub fn from_config(cfg: &crate::config::ServerConfig) -> Self {
        Self {
            ranges: cfg
                .pools
                .iter()
                .filter_map(|p| Some((u128::from(p.start), u128::from(p.end), p.subnet_id?)))
                .collect(),
            prefixes: cfg
                .prefix_pools
                .iter()
                .filter_map(|p| Some((u128::from(p.prefix), p.prefix_len, p.subnet_id?)))
                .collect(),
        }
    }

    /// The subnet of `res`: its pool's, else 0 (a host entry's fixed
    /// lease outside every pool; Kea's "no subnet").
    pub fn subnet_of(&self, res: &Resource) -> u32 {
        let a = u128::from(res.addr);
        let in_range = |&&(first, last, _): &&(u128, u128, u32)| first <= a && a <= last;
        let in_prefix = |&&(p, len, _): &&(u128, u8, u32)| {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            len <= res.len && a & mask == p & mask
        };
        if res.len == 128 {
            if let Some(r) = self.ranges.iter().find(in_range) {
                return r.2;
            }
        }
        self.prefixes.iter().find(in_prefix).map_or(0, |p| p.2)
    }

    /// Every subnet of the map (and 0), as the statements' `ANY($n)`.
    pub fn ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = std::iter::once(0)
            .chain(self.ranges.iter().map(|r| r.2))
            .chain(self.prefixes.iter().map(|p| p.2))
            .map(i64::from)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// A lease named by its holder: the columns the statements match on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// `address`.
    pub address: String,
    /// `duid`.
    pub duid: Vec<u8>,
    /// `iaid`.
    pub iaid: i32,
    /// `lease_type`.
    pub lease_type: i16,
}

impl Held {
    /// `res` as held by `key`.
    pub fn new(key: &BindingKey, res: &Resource) -> Self {
        Self {
            address: res.addr.to_string(),
            duid: key.duid.as_bytes().to_vec(),
            iaid: iaid_column(key.iaid),
            lease_type: lease_type(key.kind),
        }
    }
}

/// One statement of a turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// [`SQL_UPSERT`]: a claim or an extension; losing it loses the turn.
    Upsert(LeaseRow),
    /// [`SQL_DELETE`].
    Delete(Held),
    /// [`SQL_EXPIRE`] with the end we knew.
    Expire(Held, i64),
    /// [`SQL_DECLINE`] with the probation time and its end.
    Decline(Held, i64, i64),
    /// [`SQL_UNDECLINE`]: address and the end we knew.
    Undecline(String, i64),
    /// [`SQL_CONTEXT`]: a client's DUID and its new context.
    Context(Vec<u8>, Option<String>),
}

/// Why a connection string is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConninfoError {
    /// A keyword without `=`.
    #[error("expected '=' after \"{0}\"")]
    NoEquals(String),
    /// A quoted value without its closing quote.
    #[error("unterminated quoted value")]
    Unterminated,
    /// A keyword given twice.
    #[error("\"{0}\" given twice")]
    Repeated(String),
}

/// Splits a libpq `keyword = value` connection string (values may be
/// single-quoted, with `\'` and `\\` escapes) into its pairs, in order.
/// URIs (`postgresql://…`) are left to the client library.
pub fn parse_conninfo(s: &str) -> Result<Vec<(String, String)>, ConninfoError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut it = s.chars().peekable();
    loop {
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        if it.peek().is_none() {
            return Ok(out);
        }
        let mut key = String::new();
        while let Some(c) = it.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        if it.next() != Some('=') {
            return Err(ConninfoError::NoEquals(key));
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if it.next_if_eq(&'\'').is_some() {
            loop {
                match it.next() {
                    None => return Err(ConninfoError::Unterminated),
                    Some('\'') => break,
                    Some('\\') => value.push(it.next().ok_or(ConninfoError::Unterminated)?),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = it.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.push(it.next().ok_or(ConninfoError::Unterminated)?);
                } else {
                    value.push(c);
                }
            }
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(ConninfoError::Repeated(key));
        }
        out.push((key, value));
    }
}

/// Joins pairs back into a connection string, every value quoted.
pub fn format_conninfo(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}='{}'", v.replace('\\', "\\\\").replace('\'', "\\'")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits one line of a password file (`hostname:port:database:username:password`,
/// `\:` and `\\` escaped) into its five fields.
fn passfile_fields(line: &str) -> Option<[String; 5]> {
    let mut fields: Vec<String> = vec![String::new()];
    let mut it = line.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => fields.last_mut()?.push(it.next()?),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut()?.push(c),
        }
    }
    fields.try_into().ok()
}

/// The password a libpq password file (its text) gives for a connection,
/// as libpq looks it up: the first line whose fields all match, `*`
/// matching anything. Comments (`#`) and short lines are skipped.
pub fn passfile_lookup(text: &str, host: &str, port: &str, db: &str, user: &str) -> Option<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(passfile_fields)
        .find(|f| {
            let m = |field: &String, v: &str| field == "*" || field == v;
            m(&f[0], host) && m(&f[1], port) && m(&f[2], db) && m(&f[3], user)
        })
        .map(|[_, _, _, _, pw]| pw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawRow {
        RawRow {
            address: "2001:db8::10".into(),
            duid: Some(vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 1]),
            valid_lifetime: Some(3600),
            expire: Some(10_000 + 3600),
            subnet_id: Some(7),
            pref_lifetime: Some(1800),
            lease_type: Some(0),
            iaid: Some(-1),
            prefix_len: Some(128),
            state: Some(0),
            user_context: None,
        }
    }

    #[test]
    fn schema_version_checked() {
        assert_eq!(check_schema(13, 0), Ok(()));
        let e = check_schema(19, 0).unwrap_err();
        assert!(e.to_string().contains("19.0"), "{e}");
        assert!(e.to_string().contains("13.0"), "{e}");
    }

    #[test]
    fn a_row_decodes_and_encodes_back() {
        let r = raw();
        let Row::Lease {
            key,
            lease,
            subnet_id,
            reconf,
        } = decode(&r, 0).unwrap()
        else {
            panic!("not a lease");
        };
        assert_eq!(key.iaid, u32::MAX, "the IAID's 32 bits kept");
        assert_eq!(key.kind, IaKind::Na);
        assert_eq!(lease.updated, 10_000, "expire minus valid");
        assert_eq!((lease.preferred, lease.valid), (1800, 3600));
        assert_eq!(subnet_id, 7);
        assert_eq!(reconf, None);
        let back = encode(&key, &lease, 7, None);
        assert_eq!(back.address, r.address);
        assert_eq!(Some(back.duid), r.duid);
        assert_eq!(Some(back.expire), r.expire);
        assert_eq!(Some(back.iaid), r.iaid);
        assert_eq!(Some(back.lease_type), r.lease_type);
        assert_eq!(Some(back.prefix_len), r.prefix_len);
    }

    #[test]
    fn infinite_lifetimes_store_the_transaction_time() {
        let mut r = raw();
        r.valid_lifetime = Some(i64::from(INFINITY));
        r.pref_lifetime = Some(i64::from(INFINITY));
        r.expire = Some(5000);
        let Ok(Row::Lease { key, lease, .. }) = decode(&r, 0) else {
            panic!()
        };
        assert_eq!(lease.updated, 5000);
        assert_eq!(lease.expires(), None);
        assert_eq!(encode(&key, &lease, 7, None).expire, 5000);
    }

    #[test]
    fn prefixes_declined_and_reclaimed_rows() {
        let mut r = raw();
        r.address = "2001:db8:100::".into();
        r.lease_type = Some(2);
        r.prefix_len = Some(56);
        let Ok(Row::Lease { lease, .. }) = decode(&r, 0) else {
            panic!()
        };
        assert_eq!(lease.res.len, 56);
        let mut d = raw();
        d.state = Some(1);
        d.duid = Some(vec![0]);
        let res = Resource {
            addr: "2001:db8::10".parse().unwrap(),
            len: 128,
        };
        assert_eq!(decode(&d, 0), Ok(Row::Declined { res, until: 13_600 }));
        assert_eq!(decode(&d, 13_600), Ok(Row::Free(res)));
        d.state = Some(2);
        assert_eq!(decode(&d, 0), Ok(Row::Free(res)));
    }

    /// Rows someone else wrote wrong are refused with the reason, never a
    /// panic.
    #[test]
    fn bad_rows_are_refused() {
        type Spoil = fn(&mut RawRow);
        let cases: Vec<(Spoil, BadRow)> = vec![
            (|r| r.address = "2001:db8::zz".into(), BadRow::Address),
            (|r| r.address = "192.0.2.1".into(), BadRow::Address),
            (|r| r.duid = Some(vec![1]), BadRow::Duid),
            (|r| r.duid = Some(vec![0; 200]), BadRow::Duid),
            (|r| r.duid = None, BadRow::Duid),
            (|r| r.valid_lifetime = Some(-1), BadRow::Lifetime),
            (|r| r.valid_lifetime = Some(1 << 40), BadRow::Lifetime),
            (|r| r.pref_lifetime = Some(7200), BadRow::Lifetime),
            (|r| r.expire = Some(100), BadRow::Expire),
            (|r| r.expire = None, BadRow::Expire),
            (|r| r.lease_type = Some(9), BadRow::LeaseType),
            (|r| r.prefix_len = Some(64), BadRow::PrefixLen),
            (|r| r.prefix_len = Some(300), BadRow::PrefixLen),
            (|r| r.state = Some(5), BadRow::State),
            (|r| r.subnet_id = Some(-3), BadRow::Ids),
            (|r| r.iaid = None, BadRow::Ids),
        ];
        for (spoil, why) in cases {
            let mut r = raw();
            spoil(&mut r);
            assert_eq!(decode(&r, 0), Err(why), "{r:?}");
        }
    }

    #[test]
    fn reconfigure_records_ride_in_user_context() {
        let info = ReconfInfo {
            key: [0xab; 16],
            path: vec![1, 2, 0xff],
            until: 123_456,
        };
        let ctx = context_of_reconf(&info);
        assert_eq!(
            ctx,
            "{\"kame6\":{\"reconf-key\":\"abababababababababababababababab\",\"reconf-path\":\"0102ff\",\"reconf-until\":123456}}"
        );
        assert_eq!(reconf_of_context(&ctx), Some(info));
        assert_eq!(reconf_of_context("{\"comment\":\"kea's\"}"), None);
        assert_eq!(
            reconf_of_context("{\"kame6\":{\"reconf-key\":\"ab\"}}"),
            None,
            "a short key is no record"
        );
        let mut r = raw();
        r.user_context = Some(ctx);
        let Ok(Row::Lease { reconf, .. }) = decode(&r, 0) else {
            panic!()
        };
        assert!(reconf.is_some());
    }

    #[test]
    fn conninfo_pairs() {
        let p = parse_conninfo(
            " host=db1,db2 port = 5432,5433 dbname='kea leases' passfile='/etc/x\\'y' target_session_attrs=read-write",
        )
        .unwrap();
        assert_eq!(
            p,
            vec![
                ("host".into(), "db1,db2".into()),
                ("port".into(), "5432,5433".into()),
                ("dbname".into(), "kea leases".into()),
                ("passfile".into(), "/etc/x'y".into()),
                ("target_session_attrs".into(), "read-write".into()),
            ]
        );
        assert_eq!(parse_conninfo(&format_conninfo(&p)).unwrap(), p);
        assert_eq!(
            parse_conninfo("host"),
            Err(ConninfoError::NoEquals("host".into()))
        );
        assert_eq!(parse_conninfo("host='x"), Err(ConninfoError::Unterminated));
        assert_eq!(
            parse_conninfo("host=a host=b"),
            Err(ConninfoError::Repeated("host".into()))
        );
        assert_eq!(parse_conninfo("").unwrap(), vec![]);
    }

    #[test]
    fn passfile_as_libpq_reads_it() {
        let text = "# comment\n\
                    other:5432:kea:kea:wrong\n\
                    db1:*:kea:kea:pa\\:ss\n\
                    *:*:*:*:fallback\n";
        assert_eq!(
            passfile_lookup(text, "db1", "5433", "kea", "kea").as_deref(),
            Some("pa:ss")
        );
        assert_eq!(
            passfile_lookup(text, "db9", "1", "x", "y").as_deref(),
            Some("fallback")
        );
        assert_eq!(passfile_lookup("a:b:c", "a", "b", "c", "d"), None);
    }
}
