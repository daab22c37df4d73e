//! Recursive-descent parser for both KAME grammars (doc/wide-compat.md §2.2-2.4,
//! WIDE's `cfparse.y`), plus kame6's extensions.
//!
//! One parser serves dhcp6s.conf and dhcp6c.conf, as in WIDE: which
//! statements belong to which daemon is checked by `configure_*`.
//! `include` is expanded here, through a [`Loader`], so nested files are
//! testable without a disk.

use std::net::Ipv6Addr;
use std::str::FromStr;
use std::sync::Arc;

use super::ast::{
    AddrParam, Allow, AuthParam, Block, Decl, DeclKind, DelegateParam, DhcpOpt, Duration, File,
    IaDeclKind, IfidSpec, KeyParam, OptionStmt, PifDecl, PoolParam, PrefixParam, Spanned, Stmt,
};
use super::lexer::{tokenize, Tok, Token};
use super::{LoadError, Loader};
use crate::codes::IaKind;
use crate::config::{Error, ErrorKind, InfoKind, Pos, Warning};

/// WIDE rejects a nested include chain deeper than this (doc/wide-compat.md §2.1).
pub const MAX_INCLUDE_DEPTH: usize = 10;

/// At most this many `include` statements are followed in one parse, so a
/// file that includes itself several times cannot make the parse grow
/// exponentially (WIDE has no such bound).
pub const MAX_INCLUDES: usize = 64;

/// The words WIDE's scanner always reads as keywords, including the
/// \[debian\] and \[opnsense\] additions. A name in a *reference* position
/// (`delayedkey NAME`, `address-pool NAME`) is scanned as an ordinary word
/// there, so one of these is a syntax error in WIDE; we say why instead.
const KAME_KEYWORDS: &[&str] = &[
    "interface",
    "host",
    "pool",
    "duid",
    "address",
    "prefix",
    "preference",
    "script",
    "delayedkey",
    "request",
    "send",
    "range",
    "to",
    "address-pool",
    "option",
    "rapid-commit",
    "ia-pd",
    "ia-na",
    "domain-name-servers",
    "domain-name",
    "sip-server-address",
    "sip-server-domain-name",
    "ntp-servers",
    "nis-server-address",
    "nis-domain-name",
    "nisp-server-address",
    "nisp-domain-name",
    "bcmcs-server-address",
    "bcmcs-server-domain-name",
    "refreshtime",
    "nis-server-domain-name",
    "nisp-server-domain-name",
    "information-only",
    "allow",
    "id-assoc",
    "prefix-interface",
    "sla-id",
    "sla-len",
    "infinity",
    "authentication",
    "protocol",
    "algorithm",
    "rdm",
    "key",
    "delayed",
    "reconfig",
    "hmac-md5",
    "HMAC-MD5",
    "hmacmd5",
    "HMACMD5",
    "monocounter",
    "keyinfo",
    "realm",
    "keyid",
    "secret",
    "expire",
    "include",
    "profile",
    "ifid",
    "ifid-random",
    "random",
    "eui-64",
    "raw-option",
];

/// True if `word` is one of WIDE's keywords.
pub fn is_kame_keyword(word: &str) -> bool {
    KAME_KEYWORDS.contains(&word)
}

/// Parses the file at `path` (read through `loader`) and everything it
/// includes. Warnings (a missing include file) go to `warnings`.
pub fn parse(
    path: &str,
    loader: &mut dyn Loader,
    warnings: &mut Vec<Warning>,
) -> Result<File, Error> {
    let file: Arc<str> = Arc::from(path);
    let text = match loader.load(path) {
        Ok(text) => text,
        // A missing main file is fatal, unlike in WIDE (doc/wide-compat.md §9.2 item 16).
        Err(LoadError::NotFound) => {
            return Err(Error::new(
                Pos {
                    file,
                    line: 0,
                    col: 0,
                },
                ErrorKind::NotFound(path.into()),
            ))
        }
        Err(LoadError::Other(msg)) => {
            return Err(Error::new(
                Pos {
                    file,
                    line: 0,
                    col: 0,
                },
                ErrorKind::Io {
                    path: path.into(),
                    error: msg,
                },
            ))
        }
    };
    let mut out = Vec::new();
    parse_text(&file, &text, loader, 0, &mut 0, warnings, &mut out)?;
    Ok(out)
}

/// Parses `text` as the contents of `file` (no loader needed unless it
/// has `include` statements).
pub fn parse_str(
    file: &str,
    text: &str,
    loader: &mut dyn Loader,
    warnings: &mut Vec<Warning>,
) -> Result<File, Error> {
    let mut out = Vec::new();
    parse_text(
        &Arc::from(file),
        text,
        loader,
        0,
        &mut 0,
        warnings,
        &mut out,
    )?;
    Ok(out)
}

fn parse_text(
    file: &Arc<str>,
    text: &str,
    loader: &mut dyn Loader,
    depth: usize,
    includes: &mut usize,
    warnings: &mut Vec<Warning>,
    out: &mut File,
) -> Result<(), Error> {
    let toks = tokenize(file, text)?;
    let mut p = Parser { toks, i: 0 };
    loop {
        let start = p.peek().pos.clone();
        let word = match &p.peek().tok {
            Tok::Eof => return Ok(()),
            Tok::Word(w) => w.clone(),
            other => {
                return Err(p.expected_at(start, "a statement", "", other.describe()));
            }
        };
        p.bump();
        let stmt = match word.as_str() {
            "option" => Stmt::Option(p.option_stmt()?),
            "interface" => Stmt::Interface(p.block("interface name")?),
            "profile" => Stmt::Profile(p.block("profile name")?),
            "host" => Stmt::Host(p.block("host name")?),
            "pool" => Stmt::Pool(p.block("pool name")?),
            "link" => Stmt::Link(p.block("link name")?),
            "prefix-pool" => p.prefix_pool()?,
            "keyinfo" => p.keyinfo()?,
            "authentication" => p.authentication()?,
            "id-assoc" => p.id_assoc()?,
            "lease-file" => {
                let path = p.quoted("lease file path")?;
                p.semi("after lease-file path")?;
                Stmt::LeaseFile(path)
            }
            "dhcp4o6-port" => {
                let port = p.number("after 'dhcp4o6-port'")?;
                p.semi("after port")?;
                Stmt::Dhcp4o6Port(port)
            }
            "include" => {
                let name = p.quoted("include file name")?;
                p.semi("after include file name")?;
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err(Error::new(
                        start,
                        ErrorKind::IncludeDepth(MAX_INCLUDE_DEPTH),
                    ));
                }
                *includes += 1;
                if *includes > MAX_INCLUDES {
                    return Err(Error::new(start, ErrorKind::TooManyIncludes(MAX_INCLUDES)));
                }
                let beside = resolve_include(file, &name);
                match loader.load_include(&beside, &name) {
                    Ok((path, text)) => {
                        if path != beside {
                            warnings.push(Warning {
                                pos: start,
                                message: format!(
                                    "include file {beside} not found; read {path} from the working directory instead, as WIDE does"
                                ),
                            });
                        }
                        parse_text(
                            &Arc::from(path.as_str()),
                            &text,
                            loader,
                            depth + 1,
                            includes,
                            warnings,
                            out,
                        )?;
                    }
                    Err(LoadError::NotFound) => warnings.push(Warning {
                        pos: start,
                        message: format!("include file {beside} not found (ignored, as WIDE does)"),
                    }),
                    Err(LoadError::Other(msg)) => {
                        return Err(Error::new(
                            start,
                            ErrorKind::Io {
                                path: beside,
                                error: msg,
                            },
                        ));
                    }
                }
                continue;
            }
            _ => return Err(p.expected_at(start, "a statement", "", format!("'{word}'"))),
        };
        out.push(Spanned {
            value: stmt,
            pos: start,
        });
    }
}

/// A relative include path is looked up first relative to the including
/// file's directory. WIDE uses the process's working directory, which is
/// `/` after it daemonises, so the same file meant different things at
/// start-up and on reload (a deliberate difference, doc/config.md); the
/// loader falls back to the working directory so files written for WIDE
/// keep working ([`Loader::load_include`]).
fn resolve_include(including: &str, name: &str) -> String {
    if name.starts_with('/') {
        return name.to_string();
    }
    match including.rfind('/') {
        Some(slash) => format!("{}/{}", including.get(..slash).unwrap_or(""), name),
        None => name.to_string(),
    }
}

/// The token cursor with its helpers; dhcp4s.conf's parser
/// (`config::server4`) reads the same tokens with it.
pub(crate) struct Parser {
    toks: Vec<Token>,
    i: usize,
}

/// The Eof token every token list ends with; used if the index ever runs
/// past the end, so no lookup can panic.
fn eof_token() -> &'static Token {
    static EOF: std::sync::OnceLock<Token> = std::sync::OnceLock::new();
    EOF.get_or_init(|| Token {
        tok: Tok::Eof,
        pos: Pos {
            file: Arc::from(""),
            line: 0,
            col: 0,
        },
    })
}

impl Parser {
    /// A cursor at the first of `toks` (which ends with [`Tok::Eof`]).
    pub(crate) fn new(toks: Vec<Token>) -> Self {
        Self { toks, i: 0 }
    }

    pub(crate) fn peek(&self) -> &Token {
        self.toks
            .get(self.i)
            .or_else(|| self.toks.last())
            .unwrap_or_else(|| eof_token())
    }

    pub(crate) fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }

    pub(crate) fn expected_at(&self, pos: Pos, what: &str, context: &str, found: String) -> Error {
        Error::new(
            pos,
            ErrorKind::Expected {
                what: what.to_string(),
                context: context.to_string(),
                found,
            },
        )
    }

    pub(crate) fn expected(&self, what: &str, context: &str) -> Error {
        let t = self.peek();
        self.expected_at(t.pos.clone(), what, context, t.tok.describe())
    }

    pub(crate) fn punct(&mut self, tok: Tok, what: &str, context: &str) -> Result<(), Error> {
        if self.peek().tok == tok {
            self.bump();
            Ok(())
        } else {
            Err(self.expected(what, context))
        }
    }

    pub(crate) fn semi(&mut self, context: &str) -> Result<(), Error> {
        self.punct(Tok::Semi, "';'", context)
    }

    /// Any word, keywords included (WIDE's context-sensitive name states).
    pub(crate) fn name(&mut self, what: &str) -> Result<Spanned<String>, Error> {
        match &self.peek().tok {
            Tok::Word(w) => {
                let value = w.clone();
                let pos = self.bump().pos;
                Ok(Spanned { value, pos })
            }
            _ => Err(self.expected(what, "")),
        }
    }

    /// A name in a reference position, where WIDE's scanner would read a
    /// keyword as that keyword and fail.
    fn ref_name(&mut self, what: &str) -> Result<String, Error> {
        let n = self.name(what)?;
        if is_kame_keyword(&n.value) {
            return Err(Error::new(n.pos, ErrorKind::KeywordAsName(n.value)));
        }
        if is_wide_number(&n.value) {
            return Err(Error::new(n.pos, ErrorKind::NumberAsName(n.value)));
        }
        Ok(n.value)
    }

    pub(crate) fn quoted(&mut self, what: &str) -> Result<String, Error> {
        match &self.peek().tok {
            Tok::Quoted(q) => {
                let q = q.clone();
                self.bump();
                Ok(q)
            }
            _ => Err(self.expected(&format!("a quoted {what}"), "")),
        }
    }

    pub(crate) fn keyword(&mut self, kw: &str) -> bool {
        if matches!(&self.peek().tok, Tok::Word(w) if w == kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// A decimal number. `1.9` is refused: WIDE reads it as 1.
    pub(crate) fn number(&mut self, context: &str) -> Result<u64, Error> {
        let (w, pos) = match &self.peek().tok {
            Tok::Word(w) => (w.clone(), self.peek().pos.clone()),
            _ => return Err(self.expected("a number", context)),
        };
        if !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) {
            self.bump();
            return u64::from_str(&w).map_err(|_| Error::new(pos, ErrorKind::NumberTooLarge(w)));
        }
        if is_wide_decimal(&w) {
            return Err(Error::new(pos, ErrorKind::DecimalNumber(w)));
        }
        Err(self.expected("a number", context))
    }

    pub(crate) fn u32_number(&mut self, context: &str) -> Result<u32, Error> {
        let pos = self.peek().pos.clone();
        let n = self.number(context)?;
        u32::try_from(n).map_err(|_| {
            Error::new(
                pos,
                ErrorKind::OutOfRange {
                    value: n,
                    min: 0,
                    max: u64::from(u32::MAX),
                },
            )
        })
    }

    /// A lifetime: seconds or `infinity`. WIDE wraps values above 2^32-1.
    pub(crate) fn duration(&mut self, context: &str) -> Result<Duration, Error> {
        if self.keyword("infinity") {
            return Ok(u32::MAX);
        }
        let pos = self.peek().pos.clone();
        match &self.peek().tok {
            Tok::Word(_) => {}
            _ => return Err(self.expected("a lifetime", context)),
        }
        let n = self.number(context).map_err(|e| match e.kind {
            ErrorKind::Expected { context, found, .. } => Error::new(
                e.pos,
                ErrorKind::Expected {
                    what: "a lifetime".into(),
                    context,
                    found,
                },
            ),
            _ => e,
        })?;
        u32::try_from(n).map_err(|_| Error::new(pos, ErrorKind::LifetimeTooLarge(n)))
    }

    fn opt_duration(&mut self, context: &str) -> Result<Option<Duration>, Error> {
        if matches!(self.peek().tok, Tok::Word(_)) {
            Ok(Some(self.duration(context)?))
        } else {
            Ok(None)
        }
    }

    fn address(&mut self, what: &str) -> Result<Spanned<Ipv6Addr>, Error> {
        match &self.peek().tok {
            Tok::Word(w) => {
                let pos = self.peek().pos.clone();
                match Ipv6Addr::from_str(w) {
                    Ok(a) => {
                        self.bump();
                        Ok(Spanned { value: a, pos })
                    }
                    Err(_) => Err(Error::new(pos, ErrorKind::BadAddress(w.clone()))),
                }
            }
            _ => Err(self.expected(what, "")),
        }
    }

    fn prefix(&mut self) -> Result<(Ipv6Addr, u64), Error> {
        let a = self.address("an IPv6 prefix")?;
        self.punct(Tok::Slash, "'/'", "after prefix address")?;
        let len = self.number("after '/'")?;
        Ok((a.value, len))
    }

    fn addrparam(&mut self) -> Result<AddrParam, Error> {
        let addr = self.address("an IPv6 address")?.value;
        let pltime = self.duration("after address")?;
        let vltime = self.opt_duration("after preferred lifetime")?;
        Ok(AddrParam {
            addr,
            pltime,
            vltime,
        })
    }

    fn prefixparam(&mut self) -> Result<PrefixParam, Error> {
        let (addr, len) = self.prefix()?;
        let pltime = self.duration("after prefix")?;
        let vltime = self.opt_duration("after preferred lifetime")?;
        Ok(PrefixParam {
            addr,
            len,
            pltime,
            vltime,
        })
    }

    /// A quoted string (its octets) or colon-separated hex.
    pub(crate) fn text_or_hex(&mut self, what: &str) -> Result<Vec<u8>, Error> {
        if let Tok::Quoted(q) = &self.peek().tok {
            let id = q.as_bytes().to_vec();
            self.bump();
            Ok(id)
        } else {
            self.hex(what)
        }
    }

    /// `xx:xx:...` with exactly two hex digits per group, as WIDE's
    /// `duid` scanner state demands.
    pub(crate) fn hex(&mut self, what: &str) -> Result<Vec<u8>, Error> {
        let (w, pos) = match &self.peek().tok {
            Tok::Word(w) => (w.clone(), self.peek().pos.clone()),
            _ => return Err(self.expected(what, "")),
        };
        let bytes =
            parse_colon_hex(&w).ok_or_else(|| Error::new(pos, ErrorKind::BadHex(w.clone())))?;
        self.bump();
        Ok(bytes)
    }

    fn option_stmt(&mut self) -> Result<OptionStmt, Error> {
        let name = self.name("an option name after 'option'")?;
        if name.value == "refreshtime" {
            let n = self.number("after refreshtime")?;
            self.semi("after refresh time")?;
            return Ok(OptionStmt::RefreshTime(n));
        }
        let kind = InfoKind::from_keyword(&name.value).ok_or_else(|| {
            self.expected_at(
                name.pos.clone(),
                "an option name",
                "after 'option'",
                format!("'{}'", name.value),
            )
        })?;
        if kind.takes_names() {
            let n = self.quoted("name")?;
            self.semi("after name")?;
            Ok(OptionStmt::Name { kind, name: n })
        } else {
            let mut list = Vec::new();
            while let Tok::Word(w) = &self.peek().tok {
                // A word that is no address after at least one address is
                // most likely the next statement: say the ';' is missing.
                if !list.is_empty() && Ipv6Addr::from_str(w).is_err() {
                    return Err(self.expected("';'", "after address"));
                }
                list.push(self.address("an IPv6 address")?);
            }
            self.semi("after address")?;
            Ok(OptionStmt::Addresses { kind, addrs: list })
        }
    }

    fn block(&mut self, what: &str) -> Result<Block, Error> {
        let name = self.name(what)?;
        self.punct(Tok::LBrace, "'{'", &format!("after {what}"))?;
        let mut decls = Vec::new();
        while self.peek().tok != Tok::RBrace {
            decls.push(self.decl()?);
        }
        self.bump();
        self.semi("after '}'")?;
        Ok(Block { name, decls })
    }

    fn pool_ref(&mut self, kw: &str) -> Result<PoolParam, Error> {
        let name = self.ref_name(&format!("a pool name after '{kw}'"))?;
        let pltime = self.duration("after pool name")?;
        let vltime = self.opt_duration("after preferred lifetime")?;
        Ok(PoolParam {
            name,
            pltime,
            vltime,
        })
    }

    fn decl(&mut self) -> Result<Decl, Error> {
        let pos = self.peek().pos.clone();
        let word = match &self.peek().tok {
            Tok::Word(w) => w.clone(),
            _ => return Err(self.expected("a declaration or '}'", "")),
        };
        self.bump();
        let kind = match word.as_str() {
            "send" => {
                let l = self.optlist("after 'send'")?;
                self.semi("after send list")?;
                DeclKind::Send(l)
            }
            "request" => {
                let l = self.optlist("after 'request'")?;
                self.semi("after request list")?;
                DeclKind::Request(l)
            }
            "information-only" => {
                self.semi("after information-only")?;
                DeclKind::InformationOnly
            }
            "allow" => DeclKind::Allow(self.allow()?),
            "duid" => {
                let d = self.hex("a DUID (xx:xx:...)")?;
                self.semi("after DUID")?;
                DeclKind::Duid(d)
            }
            "address" => {
                let a = self.addrparam()?;
                self.semi("after address")?;
                DeclKind::Address(a)
            }
            "prefix" => {
                let p = self.prefixparam()?;
                self.semi("after prefix")?;
                DeclKind::Prefix(p)
            }
            "preference" => {
                let n = self.number("after 'preference'")?;
                self.semi("after preference")?;
                DeclKind::Preference(n)
            }
            "script" => {
                let s = self.quoted("script path")?;
                self.semi("after script path")?;
                DeclKind::Script(s)
            }
            "dhcp4o6-interface" => {
                let n = self.name("an interface name after 'dhcp4o6-interface'")?;
                self.semi("after interface name")?;
                DeclKind::Dhcp4o6Interface(n.value)
            }
            "delayedkey" => {
                let n = self.ref_name("a key name after 'delayedkey'")?;
                self.semi("after key name")?;
                DeclKind::DelayedKey(n)
            }
            "range" => {
                let a = self.address("an IPv6 address")?.value;
                if !self.keyword("to") {
                    return Err(self.expected("'to'", "after range start"));
                }
                let b = self.address("an IPv6 address")?.value;
                self.semi("after range")?;
                DeclKind::Range { first: a, last: b }
            }
            "address-pool" => {
                let p = self.pool_ref("address-pool")?;
                self.semi("after lifetimes")?;
                DeclKind::AddressPool(p)
            }
            "prefix-pool" => {
                let p = self.pool_ref("prefix-pool")?;
                self.semi("after lifetimes")?;
                DeclKind::PrefixPool(p)
            }
            "ta-pool" => {
                let p = self.pool_ref("ta-pool")?;
                self.semi("after lifetimes")?;
                DeclKind::TaPool(p)
            }
            "option" => DeclKind::Option(self.option_stmt()?),
            _ => match self.relay_match_decl(&word)? {
                Some(kind) => kind,
                None => {
                    return Err(self.expected_at(
                        pos,
                        "a declaration or '}'",
                        "",
                        format!("'{word}'"),
                    ))
                }
            },
        };
        Ok(Spanned { value: kind, pos })
    }

    /// What follows `allow`, and its `;`: one item, as in WIDE (a list is
    /// a syntax error there too).
    fn allow(&mut self) -> Result<Allow, Error> {
        let what = if self.keyword("rapid-commit") {
            Allow::RapidCommit
        } else if self.keyword("partial-advertise") {
            Allow::PartialAdvertise
        } else if self.keyword("renew-missing-ia") {
            Allow::RenewMissingIa
        } else {
            let (pos, found) = (self.peek().pos.clone(), self.peek().tok.describe());
            match self.dhcpopt("after 'allow'") {
                Ok(o) => Allow::Other(o.value),
                // Not an option name at all: say what `allow` is for.
                Err(e) if e.pos == pos => {
                    return Err(self.expected_at(
                        pos,
                        "'rapid-commit', 'partial-advertise' or 'renew-missing-ia'",
                        "after 'allow'",
                        found,
                    ))
                }
                Err(e) => return Err(e),
            }
        };
        self.semi("after allow")?;
        Ok(what)
    }

    /// kame6's declarations that match a relayed client (`link` and `host`
    /// blocks), after their keyword `word`; `None` for another word.
    fn relay_match_decl(&mut self, word: &str) -> Result<Option<DeclKind>, Error> {
        let kind = match word {
            "link-address" => {
                let (a, l) = self.prefix()?;
                self.semi("after link-address")?;
                DeclKind::LinkAddress { addr: a, len: l }
            }
            "interface-id" => {
                let id = self.text_or_hex("a quoted Interface-ID or xx:xx:...")?;
                self.semi("after interface-id")?;
                DeclKind::InterfaceId(id)
            }
            "remote-id" => {
                let e = self.number("an enterprise number after 'remote-id'")?;
                let id = self.text_or_hex("a quoted remote-id or xx:xx:...")?;
                self.semi("after remote-id")?;
                DeclKind::RemoteId { enterprise: e, id }
            }
            "subscriber-id" => {
                let id = self.text_or_hex("a quoted subscriber-id or xx:xx:...")?;
                self.semi("after subscriber-id")?;
                DeclKind::SubscriberId(id)
            }
            "hardware-address" => {
                let a = self.hex("a link-layer address (xx:xx:xx:xx:xx:xx)")?;
                self.semi("after hardware-address")?;
                DeclKind::HardwareAddress(a)
            }
            _ => return Ok(None),
        };
        Ok(Some(kind))
    }

    fn optlist(&mut self, context: &str) -> Result<Vec<Spanned<DhcpOpt>>, Error> {
        let mut list = vec![self.dhcpopt(context)?];
        while self.peek().tok == Tok::Comma {
            self.bump();
            list.push(self.dhcpopt("after ','")?);
        }
        Ok(list)
    }

    fn dhcpopt(&mut self, context: &str) -> Result<Spanned<DhcpOpt>, Error> {
        let pos = self.peek().pos.clone();
        let word = match &self.peek().tok {
            Tok::Word(w) => w.clone(),
            _ => return Err(self.expected("an option name", context)),
        };
        self.bump();
        let value = match word.as_str() {
            "rapid-commit" => DhcpOpt::RapidCommit,
            "reconfigure-accept" => DhcpOpt::ReconfigureAccept,
            "authentication" => DhcpOpt::Authentication(self.name("an authentication name")?.value),
            "ia-pd" => DhcpOpt::IaPd(self.u32_number("after 'ia-pd'")?),
            "ia-na" => DhcpOpt::IaNa(self.u32_number("after 'ia-na'")?),
            "ia-ta" => DhcpOpt::IaTa(self.u32_number("after 'ia-ta'")?),
            "refreshtime" => DhcpOpt::RefreshTime,
            "raw-option" => {
                let cpos = self.peek().pos.clone();
                let code = self.number("after 'raw-option'")?;
                let code = u16::try_from(code).map_err(|_| {
                    Error::new(
                        cpos,
                        ErrorKind::OutOfRange {
                            value: code,
                            min: 0,
                            max: 65535,
                        },
                    )
                })?;
                let data = if matches!(self.peek().tok, Tok::Word(_)) {
                    self.hex("hex data")?
                } else {
                    Vec::new()
                };
                DhcpOpt::Raw { code, data }
            }
            w => match InfoKind::from_keyword(w) {
                // `request dhcp4o6-server-address` turns DHCPv4-over-DHCPv6
                // on in a client (RFC 7341 §5); what configure makes of it
                // elsewhere is checked there.
                Some(k) => DhcpOpt::Info(k),
                None => {
                    return Err(self.expected_at(
                        pos,
                        "an option name",
                        context,
                        format!("'{word}'"),
                    ))
                }
            },
        };
        Ok(Spanned { value, pos })
    }

    fn prefix_pool(&mut self) -> Result<Stmt, Error> {
        let name = self.name("a prefix-pool name")?;
        self.punct(Tok::LBrace, "'{'", "after prefix-pool name")?;
        let mut items = Vec::new();
        while self.peek().tok != Tok::RBrace {
            let pos = self.peek().pos.clone();
            if !self.keyword("prefix") {
                return Err(self.expected("'prefix' or '}'", "in prefix-pool"));
            }
            let (prefix, len) = self.prefix()?;
            if !self.keyword("delegate") {
                return Err(self.expected("'delegate'", "after prefix"));
            }
            let delegated_len = self.number("after 'delegate'")?;
            self.semi("after delegated length")?;
            items.push(Spanned {
                value: DelegateParam {
                    prefix,
                    len,
                    delegated_len,
                },
                pos,
            });
        }
        self.bump();
        self.semi("after '}'")?;
        Ok(Stmt::PrefixPool {
            name,
            params: items,
        })
    }

    fn keyinfo(&mut self) -> Result<Stmt, Error> {
        let name = self.name("a keyinfo name")?;
        self.punct(Tok::LBrace, "'{'", "after keyinfo name")?;
        let mut items = Vec::new();
        while self.peek().tok != Tok::RBrace {
            let pos = self.peek().pos.clone();
            let v = if self.keyword("realm") {
                KeyParam::Realm(self.quoted("realm")?)
            } else if self.keyword("keyid") {
                KeyParam::KeyId(self.number("after 'keyid'")?)
            } else if self.keyword("secret") {
                KeyParam::Secret(self.quoted("secret")?)
            } else if self.keyword("expire") {
                KeyParam::Expire(self.quoted("expiry time")?)
            } else {
                return Err(
                    self.expected("'realm', 'keyid', 'secret', 'expire' or '}'", "in keyinfo")
                );
            };
            self.semi("after key parameter")?;
            items.push(Spanned { value: v, pos });
        }
        self.bump();
        self.semi("after '}'")?;
        Ok(Stmt::Keyinfo {
            name,
            params: items,
        })
    }

    fn authentication(&mut self) -> Result<Stmt, Error> {
        let name = self.name("an authentication name")?;
        self.punct(Tok::LBrace, "'{'", "after authentication name")?;
        let mut items = Vec::new();
        while self.peek().tok != Tok::RBrace {
            let pos = self.peek().pos.clone();
            let v = if self.keyword("protocol") {
                if self.keyword("delayed") {
                    AuthParam::Protocol("delayed".into())
                } else if self.keyword("reconfig") {
                    AuthParam::Protocol("reconfig".into())
                } else {
                    return Err(self.expected("'delayed' or 'reconfig'", "after 'protocol'"));
                }
            } else if self.keyword("algorithm") {
                if ["hmac-md5", "HMAC-MD5", "hmacmd5", "HMACMD5"]
                    .iter()
                    .any(|k| self.keyword(k))
                {
                    AuthParam::Algorithm
                } else {
                    return Err(self.expected("'hmac-md5'", "after 'algorithm'"));
                }
            } else if self.keyword("rdm") {
                if self.keyword("monocounter") {
                    AuthParam::Rdm
                } else {
                    return Err(self.expected("'monocounter'", "after 'rdm'"));
                }
            } else if self.keyword("key") {
                self.name("a key name")?;
                AuthParam::Key
            } else {
                return Err(self.expected(
                    "'protocol', 'algorithm', 'rdm', 'key' or '}'",
                    "in authentication",
                ));
            };
            self.semi("after authentication parameter")?;
            items.push(Spanned { value: v, pos });
        }
        self.bump();
        self.semi("after '}'")?;
        Ok(Stmt::Authentication {
            name,
            params: items,
        })
    }

    fn id_assoc(&mut self) -> Result<Stmt, Error> {
        let ty = if self.keyword("pd") {
            IaKind::Pd
        } else if self.keyword("na") {
            IaKind::Na
        } else if self.keyword("ta") {
            IaKind::Ta
        } else {
            return Err(self.expected("'pd' or 'na'", "after 'id-assoc'"));
        };
        let iaid = if matches!(self.peek().tok, Tok::Word(_)) {
            self.u32_number("as IAID")?
        } else {
            0
        };
        self.punct(Tok::LBrace, "'{'", "after id-assoc")?;
        let mut items = Vec::new();
        while self.peek().tok != Tok::RBrace {
            let pos = self.peek().pos.clone();
            // WIDE's grammar has separate statement lists for IA_PD and
            // IA_NA, so the wrong one is a syntax error there too.
            let pd = ty == IaKind::Pd;
            let v = if pd && self.keyword("prefix") {
                IaDeclKind::Prefix(self.prefixparam()?)
            } else if !pd && self.keyword("address") {
                IaDeclKind::Address(self.addrparam()?)
            } else if pd && self.keyword("prefix-interface") {
                let name = self.name("an interface name")?;
                self.punct(Tok::LBrace, "'{'", "after prefix-interface name")?;
                let mut pifs = Vec::new();
                while self.peek().tok != Tok::RBrace {
                    let ppos = self.peek().pos.clone();
                    let v = if self.keyword("sla-id") {
                        PifDecl::SlaId(self.number("after 'sla-id'")?)
                    } else if self.keyword("sla-len") {
                        PifDecl::SlaLen(self.number("after 'sla-len'")?)
                    } else if self.keyword("ifid-random") {
                        PifDecl::Ifid(IfidSpec::Random)
                    } else if self.keyword("ifid") {
                        if self.keyword("random") {
                            PifDecl::Ifid(IfidSpec::Random)
                        } else if self.keyword("eui-64") {
                            PifDecl::Ifid(IfidSpec::Eui64)
                        } else {
                            PifDecl::Ifid(IfidSpec::Value(self.number("after 'ifid'")?))
                        }
                    } else {
                        return Err(self.expected(
                            "'sla-id', 'sla-len', 'ifid', 'ifid-random' or '}'",
                            "in prefix-interface",
                        ));
                    };
                    self.semi("after prefix-interface parameter")?;
                    pifs.push(Spanned {
                        value: v,
                        pos: ppos,
                    });
                }
                self.bump();
                IaDeclKind::PrefixInterface {
                    ifname: name,
                    decls: pifs,
                }
            } else if pd {
                return Err(self.expected("'prefix', 'prefix-interface' or '}'", "in id-assoc pd"));
            } else {
                return Err(self.expected("'address' or '}'", "in id-assoc na/ta"));
            };
            self.semi("after id-assoc parameter")?;
            items.push(Spanned { value: v, pos });
        }
        self.bump();
        self.semi("after '}'")?;
        Ok(Stmt::IdAssoc {
            kind: ty,
            iaid,
            decls: items,
        })
    }
}

/// True for the words WIDE's scanner reads as a NUMBER (`[0-9]+` or
/// `[0-9]*\.[0-9]+`), which it cannot take as a name in a reference
/// position.
pub fn is_wide_number(w: &str) -> bool {
    (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit())) || is_wide_decimal(w)
}

/// `[0-9]*\.[0-9]+`: what WIDE's scanner takes as a number and truncates.
fn is_wide_decimal(w: &str) -> bool {
    match w.split_once('.') {
        Some((a, b)) => {
            a.bytes().all(|c| c.is_ascii_digit())
                && !b.is_empty()
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// `xx(:xx)*`, two hex digits per group.
pub fn parse_colon_hex(w: &str) -> Option<Vec<u8>> {
    w.split(':')
        .map(|g| {
            if g.len() == 2 {
                u8::from_str_radix(g, 16).ok()
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_paths() {
        assert_eq!(
            resolve_include("/etc/x/dhcp6s.conf", "h.conf"),
            "/etc/x/h.conf"
        );
        assert_eq!(resolve_include("dhcp6s.conf", "h.conf"), "h.conf");
        assert_eq!(resolve_include("a/b.conf", "/abs.conf"), "/abs.conf");
    }

    #[test]
    fn colon_hex() {
        assert_eq!(parse_colon_hex("00:01:ff"), Some(vec![0, 1, 0xff]));
        assert_eq!(parse_colon_hex("000102"), None);
        assert_eq!(parse_colon_hex("0:1"), None);
        assert_eq!(parse_colon_hex("zz"), None);
    }

    #[test]
    fn wide_decimal() {
        assert!(is_wide_decimal("1.9"));
        assert!(is_wide_decimal(".5"));
        assert!(!is_wide_decimal("1."));
        assert!(!is_wide_decimal("2001:db8::1"));
    }
}
