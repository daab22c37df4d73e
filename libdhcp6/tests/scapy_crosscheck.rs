//! Independent cross-check of the encoder against scapy's DHCPv6 dissector.
//!
//! Builds messages with our encoder (Solicit, Advertise, Request, Confirm,
//! Renew, Rebind, Reply, Release, Decline, Reconfigure with auth,
//! Information-request and its Reply, a two-level Relay-forward around a
//! Solicit, the Relay-reply `encapsulate_reply` builds for it, DHCPV4-QUERY,
//! Leasequery-reply, a Reconfigure signed by `auth::build_reconfigure` and a
//! Request signed with delayed authentication), hands them hex-encoded to
//! `tools/scapy_decode.py` on standard input, and compares the fields scapy
//! decodes (JSON, one line per message) with the values we encoded: message
//! type, transaction-id or flags, relay header, option codes in order,
//! IAID/T1/T2, addresses, lifetimes, prefix lengths, DUID bytes, preference,
//! elapsed time, status codes, DNS servers, domain names, Interface-ID, the
//! nested relay message, and each option's exact bytes as scapy re-serialises
//! them.
//!
//! scapy (written against 2.8.0, the version tools/setup.sh installs; also
//! passes with 2.5.0, Debian's python3-scapy) has no layer for SOL_MAX_RT (82),
//! INF_MAX_RT (83), Relay-ID (53), Relay Source Port (135), PD Exclude
//! (67), DHCPv4 Message (87) or DHCP4o6 Server Address (88), nor for message
//! types 14-35: it shows those options as `DHCP6OptUnknown` (or `Raw` inside
//! a container), and only their code and bytes are compared. The DHCPv4
//! message inside option 87 is dissected with scapy's BOOTP/DHCP layers.
//!
//! The interpreter is `$KAME6_PYTHON` if set, else `python3` on PATH. The
//! test FAILS, saying why, when the interpreter or scapy is missing
//! (`pip install scapy`); it never passes without having compared.
//! Checklist: C-001, C-002, C-005, C-006, C-010, C-012, C-016, C-018, C-021.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::*;
use libdhcp6::wire::{
    decapsulate, emit_to_vec, encapsulate_reply, AnyMessage, Auth, AuthInfo, ClientFqdn,
    DomainName, IaAddr, IaNa, IaPd, IaPrefix, IaTa, MessageRepr, NtpSuboption, OptionRepr,
    RelayRepr, StatusCode, VendorOption, DHCPV4_QUERY_UNICAST,
};
use libdhcp6::{MessageType, OptionCode, Status};

// ---- a small JSON reader (no dependency needed for one test) ---------------

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

struct JsonParser<'a> {
    s: &'a [u8],
    at: usize,
}

impl JsonParser<'_> {
    fn parse(text: &str) -> Json {
        let mut p = JsonParser {
            s: text.as_bytes(),
            at: 0,
        };
        let v = p.value();
        p.ws();
        assert_eq!(p.at, p.s.len(), "trailing data in JSON: {text}");
        v
    }

    fn ws(&mut self) {
        while self.at < self.s.len() && self.s[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.s.get(self.at),
            Some(&c),
            "JSON: expected {:?} at {}",
            c as char,
            self.at
        );
        self.at += 1;
    }

    fn value(&mut self) -> Json {
        self.ws();
        match self.s[self.at] {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string(),
            b't' => {
                self.at += 4;
                Json::Bool(true)
            }
            b'f' => {
                self.at += 5;
                Json::Bool(false)
            }
            b'n' => {
                self.at += 4;
                Json::Null
            }
            _ => self.number(),
        }
    }

    fn object(&mut self) -> Json {
        self.at += 1;
        let mut fields = Vec::new();
        self.ws();
        if self.s[self.at] == b'}' {
            self.at += 1;
            return Json::Obj(fields);
        }
        loop {
            self.ws();
            let Json::Str(k) = self.value() else {
                panic!("JSON: key not a string")
            };
            self.eat(b':');
            fields.push((k, self.value()));
            self.ws();
            self.at += 1;
            if self.s[self.at - 1] == b'}' {
                return Json::Obj(fields);
            }
        }
    }

    fn array(&mut self) -> Json {
        self.at += 1;
        let mut items = Vec::new();
        self.ws();
        if self.s[self.at] == b']' {
            self.at += 1;
            return Json::Arr(items);
        }
        loop {
            items.push(self.value());
            self.ws();
            self.at += 1;
            if self.s[self.at - 1] == b']' {
                return Json::Arr(items);
            }
        }
    }

    fn string(&mut self) -> Json {
        self.at += 1;
        let mut units: Vec<u16> = Vec::new();
        let mut out = String::new();
        loop {
            let c = self.s[self.at];
            self.at += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.s[self.at];
                    self.at += 1;
                    match e {
                        b'u' => {
                            let h = std::str::from_utf8(&self.s[self.at..self.at + 4]).unwrap();
                            units.push(u16::from_str_radix(h, 16).unwrap());
                            self.at += 4;
                            continue;
                        }
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        other => out.push(other as char),
                    }
                }
                _ => {
                    // Multi-byte UTF-8 passes through unchanged.
                    let start = self.at - 1;
                    let len = match c {
                        0x00..=0x7f => 1,
                        0xc0..=0xdf => 2,
                        0xe0..=0xef => 3,
                        _ => 4,
                    };
                    out.push_str(std::str::from_utf8(&self.s[start..start + len]).unwrap());
                    self.at = start + len;
                }
            }
            if !units.is_empty() {
                // Flush \u escapes (surrogate pairs included) before plain text.
                let tail = out.split_off(out.len() - 1);
                out.push_str(&String::from_utf16(&units).unwrap());
                units.clear();
                out.push_str(&tail);
            }
        }
        if !units.is_empty() {
            out.push_str(&String::from_utf16(&units).unwrap());
        }
        Json::Str(out)
    }

    fn number(&mut self) -> Json {
        let start = self.at;
        while self.at < self.s.len()
            && matches!(
                self.s[self.at],
                b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
            )
        {
            self.at += 1;
        }
        Json::Num(String::from_utf8(self.s[start..self.at].to_vec()).unwrap())
    }
}

impl Json {
    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("scapy JSON has no field {key:?} in {self:?}")),
            _ => panic!("scapy JSON: {key:?} looked up in a non-object {self:?}"),
        }
    }
    fn field(&self, name: &str) -> &Json {
        self.get("fields").get(name)
    }
    fn u64(&self) -> u64 {
        match self {
            Json::Num(n) => n.parse().unwrap_or_else(|_| panic!("not an integer: {n}")),
            _ => panic!("not a number: {self:?}"),
        }
    }
    fn str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            _ => panic!("not a string: {self:?}"),
        }
    }
    fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(a) => a,
            _ => panic!("not an array: {self:?}"),
        }
    }
    fn class(&self) -> &str {
        self.get("class").str()
    }
    /// The first layer of a nested packet value ({"layers": [...]}).
    fn first_layer(&self) -> &Json {
        &self.get("layers").arr()[0]
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hexs(b: &[u8]) -> String {
    format!("hex:{}", hex(b))
}

fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

// ---- running scapy --------------------------------------------------------

fn run_scapy(msgs: &[(&str, Vec<u8>)]) -> Vec<Json> {
    let python = std::env::var("KAME6_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tools/scapy_decode.py");
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "scapy cross-check cannot run: interpreter {python:?} not found ({e}). \
                 Install python3 and `pip install scapy`, or set KAME6_PYTHON."
            )
        });
    let mut input = String::new();
    for (name, bytes) in msgs {
        input.push_str(&format!("{name} {}\n", hex(bytes)));
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scapy cross-check cannot run: {script} with {python:?} exited with {} \
         (exit status 2 means scapy is not installed: `pip install scapy`).\nstderr:\n{stderr}",
        out.status
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let decoded: Vec<Json> = stdout.lines().map(JsonParser::parse).collect();
    assert_eq!(
        decoded.len(),
        msgs.len(),
        "scapy printed {} lines for {} messages",
        decoded.len(),
        msgs.len()
    );
    decoded
}

// ---- comparisons ------------------------------------------------------------

/// Option codes the scapy in use has a layer for (its `dhcp6opts_by_code`,
/// as the script reports it); the others come back as `DHCP6OptUnknown`
/// and are compared as bytes only.
static SCAPY_LAYERS: OnceLock<Vec<u16>> = OnceLock::new();

/// Our option's bytes, header included, and its data alone.
fn option_bytes(o: &OptionRepr) -> (Vec<u8>, Vec<u8>) {
    let all = emit_to_vec(|w| o.emit(w)).unwrap();
    let data = all[4..].to_vec();
    (all, data)
}

fn check_addr(theirs: &Json, ours: &core::net::Ipv6Addr, what: &str) {
    let parsed: core::net::Ipv6Addr = theirs.str().parse().unwrap();
    assert_eq!(&parsed, ours, "{what}");
}

fn check_sub_options(list: &Json, ours: &[OptionRepr], path: &str) {
    let list = list.arr();
    assert_eq!(list.len(), ours.len(), "{path}: number of sub-options");
    for (i, (t, o)) in list.iter().zip(ours).enumerate() {
        check_option(t.first_layer(), o, &format!("{path}/{i}"));
    }
}

/// Compares one scapy option layer with the option we encoded.
fn check_option(t: &Json, o: &OptionRepr, path: &str) {
    let (all, data) = option_bytes(o);
    let class = t.class();
    let path = format!("{path} ({:?}, scapy {class})", o.code());
    if class == "Raw" {
        // scapy has no layer for this sub-option: compare the bytes.
        assert_eq!(t.field("load").str(), hexs(&all), "{path}: raw bytes");
        return;
    }
    assert_eq!(
        t.field("optcode").u64(),
        u64::from(u16::from(o.code())),
        "{path}: option code"
    );
    assert_eq!(
        t.field("optlen").u64(),
        data.len() as u64,
        "{path}: option-len"
    );
    assert_eq!(
        t.get("raw").str(),
        hex(&all),
        "{path}: bytes as scapy rebuilds them"
    );
    if class == "DHCP6OptUnknown" {
        // No scapy layer for this option: code and data only. An option
        // scapy does have a layer for must not end up here unchecked.
        assert!(
            !SCAPY_LAYERS
                .get()
                .expect("set from scapy's output")
                .contains(&u16::from(o.code())),
            "{path}: scapy has a layer for this option but did not use it"
        );
        assert_eq!(t.field("data").str(), hexs(&data), "{path}: data");
        return;
    }
    let done = check_identity_option(t, o, class, &path)
        || check_list_option(t, o, class, &path)
        || check_relay_option(t, o, class, &data, &path)
        || check_vendor_option(t, o, &path);
    if !done {
        check_other_option(t, o, class, &path);
    }
}

/// [`check_option`] for identifiers and IAs with their addresses and prefixes; false if `o` is none of them.
fn check_identity_option(t: &Json, o: &OptionRepr, class: &str, path: &str) -> bool {
    let f = |name: &str| t.field(name);
    match o {
        OptionRepr::ClientId(d) | OptionRepr::ServerId(d) => {
            let expect = if matches!(o, OptionRepr::ClientId(_)) {
                "DHCP6OptClientId"
            } else {
                "DHCP6OptServerId"
            };
            assert_eq!(class, expect, "{path}");
            let raw: String = f("duid")
                .get("layers")
                .arr()
                .iter()
                .map(|l| l.get("raw").str().to_owned())
                .collect();
            assert_eq!(raw, hex(d.as_bytes()), "{path}: DUID bytes");
            let duid = f("duid").first_layer();
            assert_eq!(
                duid.field("type").u64(),
                u64::from(d.duid_type()),
                "{path}: DUID type"
            );
        }
        OptionRepr::IaNa(IaNa {
            iaid,
            t1,
            t2,
            options,
        })
        | OptionRepr::IaPd(IaPd {
            iaid,
            t1,
            t2,
            options,
        }) => {
            let (cls, list) = if matches!(o, OptionRepr::IaNa(_)) {
                ("DHCP6OptIA_NA", "ianaopts")
            } else {
                ("DHCP6OptIA_PD", "iapdopt")
            };
            assert_eq!(class, cls, "{path}");
            assert_eq!(f("iaid").u64(), u64::from(*iaid), "{path}: IAID");
            assert_eq!(f("T1").u64(), u64::from(*t1), "{path}: T1");
            assert_eq!(f("T2").u64(), u64::from(*t2), "{path}: T2");
            check_sub_options(f(list), options, path);
        }
        OptionRepr::IaTa(ia) => {
            assert_eq!(class, "DHCP6OptIA_TA", "{path}");
            assert_eq!(f("iaid").u64(), u64::from(ia.iaid), "{path}: IAID");
            check_sub_options(f("iataopts"), &ia.options, path);
        }
        OptionRepr::IaAddr(a) => {
            assert_eq!(class, "DHCP6OptIAAddress", "{path}");
            check_addr(f("addr"), &a.addr, path);
            assert_eq!(
                f("preflft").u64(),
                u64::from(a.preferred_lifetime),
                "{path}: preferred"
            );
            assert_eq!(
                f("validlft").u64(),
                u64::from(a.valid_lifetime),
                "{path}: valid"
            );
            check_sub_options(f("iaaddropts"), &a.options, path);
        }
        OptionRepr::IaPrefix(p) => {
            assert_eq!(class, "DHCP6OptIAPrefix", "{path}");
            assert_eq!(
                f("preflft").u64(),
                u64::from(p.preferred_lifetime),
                "{path}: preferred"
            );
            assert_eq!(
                f("validlft").u64(),
                u64::from(p.valid_lifetime),
                "{path}: valid"
            );
            assert_eq!(
                f("plen").u64(),
                u64::from(p.prefix_len),
                "{path}: prefix length"
            );
            check_addr(f("prefix"), &p.prefix, path);
            check_sub_options(f("iaprefopts"), &p.options, path);
        }
        _ => return false,
    }
    true
}

/// [`check_option`] for lists of codes, addresses and names, and one-value options; false if `o` is none of them.
fn check_list_option(t: &Json, o: &OptionRepr, class: &str, path: &str) -> bool {
    let f = |name: &str| t.field(name);
    match o {
        OptionRepr::Oro(codes) | OptionRepr::Ero(codes) => {
            let want: Vec<u64> = codes.iter().map(|&c| u64::from(u16::from(c))).collect();
            let got: Vec<u64> = f("reqopts").arr().iter().map(Json::u64).collect();
            assert_eq!(got, want, "{path}: requested codes");
        }
        OptionRepr::ClientArchTypes(v) => {
            let got: Vec<u64> = f("archtypes").arr().iter().map(Json::u64).collect();
            assert_eq!(
                got,
                v.iter().map(|&x| u64::from(x)).collect::<Vec<_>>(),
                "{path}"
            );
        }
        OptionRepr::Preference(p) => {
            assert_eq!(f("prefval").u64(), u64::from(*p), "{path}: preference")
        }
        OptionRepr::ElapsedTime(e) => assert_eq!(
            f("elapsedtime").u64(),
            u64::from(*e),
            "{path}: elapsed time"
        ),
        OptionRepr::InformationRefreshTime(v) => {
            assert_eq!(f("reftime").u64(), u64::from(*v), "{path}")
        }
        OptionRepr::RapidCommit => assert_eq!(class, "DHCP6OptRapidCommit", "{path}"),
        OptionRepr::ReconfAccept => assert_eq!(class, "DHCP6OptReconfAccept", "{path}"),
        OptionRepr::Unicast(a) => check_addr(f("srvaddr"), a, path),
        OptionRepr::Addresses { code, addrs } => {
            let name = match u16::from(*code) {
                22 => "sipservers",
                23 => "dnsservers",
                27 => "nisservers",
                28 => "nispservers",
                31 => "sntpservers",
                34 => "bcmcsservers",
                40 => "paaaddr",
                48 => "linkaddress",
                other => panic!("{path}: no scapy field known for code {other}"),
            };
            let got = f(name).arr();
            assert_eq!(got.len(), addrs.len(), "{path}: number of addresses");
            for (g, a) in got.iter().zip(addrs) {
                check_addr(g, a, path);
            }
        }
        OptionRepr::Domains { code, names } => {
            let want: Vec<String> = names.iter().map(ToString::to_string).collect();
            let list = |field: &str| -> Vec<String> {
                f(field).arr().iter().map(|s| s.str().to_owned()).collect()
            };
            let got = match u16::from(*code) {
                21 => list("sipdomains"),
                24 => list("dnsdomains"),
                33 => list("bcmcsdomains"),
                65 => list("erpdomain"),
                // Single-name options: scapy keeps the name as bytes.
                29 | 30 => {
                    let field = if u16::from(*code) == 29 {
                        "nisdomain"
                    } else {
                        "nispdomain"
                    };
                    let want: Vec<String> = want.iter().map(|n| hexs(n.as_bytes())).collect();
                    assert_eq!(vec![f(field).str().to_owned()], want, "{path}: domain name");
                    return true;
                }
                other => panic!("{path}: no scapy field known for code {other}"),
            };
            assert_eq!(got, want, "{path}: domain names");
        }
        _ => return false,
    }
    true
}

/// [`check_option`] for relay options, status and authentication; false if `o` is none of them.
fn check_relay_option(t: &Json, o: &OptionRepr, class: &str, data: &[u8], path: &str) -> bool {
    let f = |name: &str| t.field(name);
    match o {
        OptionRepr::RelayMsg(inner) => {
            assert_eq!(class, "DHCP6OptRelayMsg", "{path}");
            check_message(
                f("message").get("layers").arr(),
                inner,
                &format!("{path}/relay-msg"),
            );
        }
        OptionRepr::InterfaceId(id) => {
            assert_eq!(f("ifaceid").str(), hexs(id), "{path}: interface-id")
        }
        OptionRepr::SubscriberId(id) => {
            assert_eq!(f("subscriberid").str(), hexs(id), "{path}: subscriber-id")
        }
        OptionRepr::RemoteId { enterprise, id } => {
            assert_eq!(
                f("enterprisenum").u64(),
                u64::from(*enterprise),
                "{path}: enterprise"
            );
            assert_eq!(f("remoteid").str(), hexs(id), "{path}: remote-id");
        }
        OptionRepr::StatusCode(StatusCode { status, message }) => {
            assert_eq!(
                f("statuscode").u64(),
                u64::from(u16::from(*status)),
                "{path}: status"
            );
            assert_eq!(
                f("statusmsg").str(),
                hexs(message),
                "{path}: status message"
            );
        }
        OptionRepr::Auth(a) => {
            assert_eq!(f("proto").u64(), u64::from(a.protocol), "{path}: protocol");
            assert_eq!(f("alg").u64(), u64::from(a.algorithm), "{path}: algorithm");
            assert_eq!(f("rdm").u64(), u64::from(a.rdm), "{path}: RDM");
            assert_eq!(
                f("replay").str(),
                hexs(&a.replay.to_be_bytes()),
                "{path}: replay"
            );
            assert_eq!(f("authinfo").str(), hexs(&data[11..]), "{path}: auth info");
        }
        _ => return false,
    }
    true
}

/// [`check_option`] for user and vendor classes and vendor options; false
/// if `o` is none of them.
fn check_vendor_option(t: &Json, o: &OptionRepr, path: &str) -> bool {
    let f = |name: &str| t.field(name);
    match o {
        OptionRepr::UserClass(items) => {
            let got: Vec<String> = f("userclassdata")
                .arr()
                .iter()
                .map(|i| i.first_layer().field("data").str().to_owned())
                .collect();
            assert_eq!(
                got,
                items.iter().map(|i| hexs(i)).collect::<Vec<_>>(),
                "{path}: user classes"
            );
        }
        OptionRepr::VendorClass {
            enterprise,
            data: items,
        } => {
            assert_eq!(
                f("enterprisenum").u64(),
                u64::from(*enterprise),
                "{path}: enterprise"
            );
            let got: Vec<String> = f("vcdata")
                .arr()
                .iter()
                .map(|i| i.first_layer().field("data").str().to_owned())
                .collect();
            assert_eq!(
                got,
                items.iter().map(|i| hexs(i)).collect::<Vec<_>>(),
                "{path}: vendor classes"
            );
        }
        OptionRepr::VendorOpts {
            enterprise,
            options,
        } => {
            assert_eq!(
                f("enterprisenum").u64(),
                u64::from(*enterprise),
                "{path}: enterprise"
            );
            let got = f("vso").arr();
            assert_eq!(
                got.len(),
                options.len(),
                "{path}: number of vendor sub-options"
            );
            for (g, VendorOption { code, data }) in got.iter().zip(options) {
                let g = g.first_layer();
                assert_eq!(
                    g.field("optcode").u64(),
                    u64::from(*code),
                    "{path}: sub-option code"
                );
                assert_eq!(
                    g.field("optdata").str(),
                    hexs(data),
                    "{path}: sub-option data"
                );
            }
        }
        _ => return false,
    }
    true
}

/// [`check_option`] for the remaining options (reconfigure message, FQDN,
/// NTP, link-layer address, text); any other option scapy decoded fails the
/// test.
fn check_other_option(t: &Json, o: &OptionRepr, class: &str, path: &str) {
    let f = |name: &str| t.field(name);
    match o {
        OptionRepr::ReconfMsg(t) => {
            assert_eq!(f("msgtype").u64(), u64::from(u8::from(*t)), "{path}")
        }
        OptionRepr::ClientFqdn(ClientFqdn { flags, name }) => {
            assert_eq!(f("flags").u64(), u64::from(flags & 0x07), "{path}: flags");
            assert_eq!(
                f("res").u64(),
                u64::from(flags >> 3),
                "{path}: reserved bits"
            );
            assert_eq!(
                f("fqdn").str(),
                hexs(name.to_string().as_bytes()),
                "{path}: name"
            );
        }
        OptionRepr::NtpServer(subs) => {
            let got = f("ntpserver").arr();
            assert_eq!(got.len(), subs.len(), "{path}: number of NTP sub-options");
            for (g, s) in got.iter().zip(subs) {
                let g = g.first_layer();
                match s {
                    NtpSuboption::ServerAddr(a) => {
                        assert_eq!(g.class(), "DHCP6NTPSubOptSrvAddr", "{path}");
                        check_addr(g.field("addr"), a, path);
                    }
                    NtpSuboption::MulticastAddr(a) => {
                        assert_eq!(g.class(), "DHCP6NTPSubOptMCAddr", "{path}");
                        check_addr(g.field("addr"), a, path);
                    }
                    NtpSuboption::ServerFqdn(n) => {
                        assert_eq!(g.class(), "DHCP6NTPSubOptSrvFQDN", "{path}");
                        assert_eq!(
                            g.field("fqdn").str(),
                            hexs(n.to_string().as_bytes()),
                            "{path}"
                        );
                    }
                    other => panic!("{path}: no check for {other:?}"),
                }
            }
        }
        OptionRepr::ClientLinklayerAddr { hw_type, addr } => {
            assert_eq!(
                f("lltype").u64(),
                u64::from(*hw_type),
                "{path}: link-layer type"
            );
            assert_eq!(f("clladdr").str(), mac(addr), "{path}: link-layer address");
        }
        OptionRepr::Text { code, text } => {
            let name = match u16::from(*code) {
                41 | 42 | 59 => "optdata",
                103 => "URI",
                112 => "mudstring",
                other => panic!("{path}: no scapy field known for code {other}"),
            };
            assert_eq!(f(name).str(), hexs(text), "{path}: text");
        }
        other => {
            panic!("{path}: scapy decoded {class}, but the test has no comparison for {other:?}")
        }
    }
}

/// Compares scapy's layers for one message with the message in `bytes`.
fn check_message(layers: &[Json], bytes: &[u8], path: &str) {
    let ours = AnyMessage::from_bytes(bytes).unwrap();
    let head = &layers[0];
    let options = match &ours {
        AnyMessage::Message(m) => {
            assert_eq!(
                head.field("msgtype").u64(),
                u64::from(u8::from(m.msg_type)),
                "{path}: msg-type"
            );
            assert_eq!(
                head.field("trid").u64(),
                u64::from(m.transaction_id),
                "{path}: transaction-id/flags"
            );
            assert_eq!(
                head.get("raw").str(),
                hex(&bytes[..4]),
                "{path}: header bytes"
            );
            &m.options
        }
        AnyMessage::Relay(r) => {
            assert_eq!(
                head.field("msgtype").u64(),
                u64::from(u8::from(r.msg_type)),
                "{path}: msg-type"
            );
            assert_eq!(
                head.field("hopcount").u64(),
                u64::from(r.hop_count),
                "{path}: hop-count"
            );
            check_addr(
                head.field("linkaddr"),
                &r.link_address,
                &format!("{path}: link-address"),
            );
            check_addr(
                head.field("peeraddr"),
                &r.peer_address,
                &format!("{path}: peer-address"),
            );
            assert_eq!(
                head.get("raw").str(),
                hex(&bytes[..34]),
                "{path}: header bytes"
            );
            &r.options
        }
    };
    let codes: Vec<u64> = layers[1..]
        .iter()
        .map(|l| l.field("optcode").u64())
        .collect();
    let want: Vec<u64> = options
        .iter()
        .map(|o| u64::from(u16::from(o.code())))
        .collect();
    assert_eq!(codes, want, "{path}: option codes in order");
    for (i, (l, o)) in layers[1..].iter().zip(options).enumerate() {
        check_option(l, o, &format!("{path}/opt{i}"));
    }
}

// ---- the messages -----------------------------------------------------------

fn name(s: &str) -> DomainName {
    DomainName::from_text(s).unwrap()
}

fn solicit() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Solicit,
        transaction_id: 0x5a_a5_01,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::IaNa(IaNa {
                iaid: 0x1122_3344,
                t1: 0,
                t2: 0,
                options: vec![],
            }),
            OptionRepr::IaPd(IaPd {
                iaid: 7,
                t1: 0,
                t2: 0,
                options: vec![OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    prefix_len: 56,
                    prefix: ip("::"),
                    options: vec![],
                })],
            }),
            OptionRepr::Oro(vec![
                OptionCode::DnsServers,
                OptionCode::DomainList,
                OptionCode::SolMaxRt,
            ]),
            OptionRepr::ElapsedTime(250),
            OptionRepr::RapidCommit,
            OptionRepr::ClientArchTypes(vec![7, 16]),
        ],
    }
}

fn advertise() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Advertise,
        transaction_id: 0x5a_a5_01,
        options: vec![
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ClientId(client_duid()),
            OptionRepr::IaNa(IaNa {
                iaid: 0x1122_3344,
                t1: 1800,
                t2: 2880,
                options: vec![OptionRepr::IaAddr(IaAddr {
                    addr: ip("2001:db8:1::100"),
                    preferred_lifetime: 3600,
                    valid_lifetime: 7200,
                    options: vec![],
                })],
            }),
            OptionRepr::IaPd(IaPd {
                iaid: 7,
                t1: 1800,
                t2: 2880,
                options: vec![OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: 3600,
                    valid_lifetime: 7200,
                    prefix_len: 48,
                    prefix: ip("2001:db8:2000::"),
                    options: vec![],
                })],
            }),
            OptionRepr::Preference(200),
            OptionRepr::StatusCode(StatusCode {
                status: Status::Success,
                message: "Grüß".into(),
            }),
            OptionRepr::Addresses {
                code: OptionCode::DnsServers,
                addrs: vec![ip("2001:db8::53"), ip("2001:db8::5353")],
            },
            OptionRepr::Domains {
                code: OptionCode::DomainList,
                names: vec![name("example.org"), name("corp.example.org")],
            },
            OptionRepr::SolMaxRt(3600),
        ],
    }
}

fn reply() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Reply,
        transaction_id: 0xff_00_ff,
        options: vec![
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ClientId(client_duid()),
            OptionRepr::IaNa(IaNa {
                iaid: 0x1122_3344,
                t1: 1800,
                t2: 2880,
                options: vec![
                    OptionRepr::IaAddr(IaAddr {
                        addr: ip("2001:db8:1::100"),
                        preferred_lifetime: 3600,
                        valid_lifetime: 7200,
                        options: vec![OptionRepr::StatusCode(StatusCode::new(Status::Success))],
                    }),
                    OptionRepr::StatusCode(StatusCode {
                        status: Status::Success,
                        message: b"ok".to_vec(),
                    }),
                ],
            }),
            OptionRepr::IaTa(IaTa {
                iaid: 9,
                options: vec![OptionRepr::StatusCode(StatusCode {
                    status: Status::NoAddrsAvail,
                    message: b"no temporary addresses".to_vec(),
                })],
            }),
            OptionRepr::IaPd(IaPd {
                iaid: 7,
                t1: libdhcp6::wire::INFINITY,
                t2: libdhcp6::wire::INFINITY,
                options: vec![OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: libdhcp6::wire::INFINITY,
                    valid_lifetime: libdhcp6::wire::INFINITY,
                    prefix_len: 59,
                    prefix: ip("2001:db8:dead:bee0::"),
                    options: vec![
                        OptionRepr::pd_exclude(ip("2001:db8:dead:beef::"), 64, 59).unwrap()
                    ],
                })],
            }),
            OptionRepr::RapidCommit,
            OptionRepr::ReconfAccept,
            OptionRepr::Unicast(ip("2001:db8::547")),
            OptionRepr::InformationRefreshTime(86400),
            OptionRepr::Addresses {
                code: OptionCode::SipServerA,
                addrs: vec![ip("2001:db8::5060")],
            },
            OptionRepr::Domains {
                code: OptionCode::SipServerD,
                names: vec![name("sip.example.org")],
            },
            OptionRepr::Addresses {
                code: OptionCode::SntpServers,
                addrs: vec![ip("2001:db8::123")],
            },
            OptionRepr::NtpServer(vec![
                NtpSuboption::ServerAddr(ip("2001:db8::123")),
                NtpSuboption::MulticastAddr(ip("ff05::101")),
                NtpSuboption::ServerFqdn(name("ntp.example.org")),
            ]),
            OptionRepr::VendorOpts {
                enterprise: 4491,
                options: vec![
                    VendorOption {
                        code: 1,
                        data: vec![0x00, 0x20],
                    },
                    VendorOption {
                        code: 2,
                        data: b"cfg".to_vec(),
                    },
                ],
            },
            OptionRepr::ClientFqdn(ClientFqdn {
                flags: 0x03,
                name: name("host.example.org"),
            }),
            OptionRepr::Text {
                code: OptionCode::NewPosixTimezone,
                text: b"EST5EDT".to_vec(),
            },
            OptionRepr::Text {
                code: OptionCode::BootfileUrl,
                text: b"tftp://[2001:db8::69]/boot".to_vec(),
            },
            OptionRepr::InfMaxRt(86400),
            OptionRepr::Auth(Auth {
                protocol: 3,
                algorithm: 1,
                rdm: 0,
                replay: 0x0102_0304_0506_0708,
                info: AuthInfo::ReconfigureKey {
                    kind: 1,
                    value: [0x42; 16],
                },
            }),
        ],
    }
}

fn request() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Request,
        transaction_id: 0x00_00_2a,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ElapsedTime(0xffff),
            OptionRepr::IaNa(IaNa {
                iaid: 1,
                t1: 0,
                t2: 0,
                options: vec![OptionRepr::IaAddr(IaAddr {
                    addr: ip("2001:db8:1::100"),
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    options: vec![],
                })],
            }),
            OptionRepr::UserClass(vec![b"staff".to_vec(), b"lab".to_vec()]),
            OptionRepr::VendorClass {
                enterprise: 311,
                data: vec![b"MSFT 5.0".to_vec()],
            },
            OptionRepr::Auth(Auth {
                protocol: 2,
                algorithm: 1,
                rdm: 0,
                replay: 5,
                info: AuthInfo::Delayed {
                    realm: b"example.org".to_vec(),
                    key_id: 77,
                    hmac: [0x99; 16],
                },
            }),
        ],
    }
}

/// A Reply to an Information-request carrying the configuration options
/// scapy has layers for.
fn reply_to_information_request() -> MessageRepr {
    let addrs = |code: OptionCode, a: &str| OptionRepr::Addresses {
        code,
        addrs: vec![ip(a)],
    };
    let names = |code: OptionCode, n: &[&str]| OptionRepr::Domains {
        code,
        names: n.iter().map(|s| name(s)).collect(),
    };
    MessageRepr {
        msg_type: MessageType::Reply,
        transaction_id: 0x12_34_56,
        options: vec![
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ClientId(client_duid()),
            addrs(OptionCode::NisServers, "2001:db8::111"),
            addrs(OptionCode::NispServers, "2001:db8::112"),
            names(OptionCode::NisDomainName, &["nis.example.org"]),
            names(OptionCode::NispDomainName, &["nisplus.example.org"]),
            addrs(OptionCode::BcmcsServerA, "2001:db8::34"),
            names(
                OptionCode::BcmcsServerD,
                &["bcmcs.example.org", "example.net"],
            ),
            addrs(OptionCode::PanaAgent, "2001:db8::40"),
            names(OptionCode::ErpLocalDomainName, &["erp.example.org"]),
            OptionRepr::Text {
                code: OptionCode::NewTzdbTimezone,
                text: b"Europe/Zurich".to_vec(),
            },
            OptionRepr::Text {
                code: OptionCode::CaptivePortal,
                text: b"https://portal.example.org/".to_vec(),
            },
            OptionRepr::InformationRefreshTime(3600),
            OptionRepr::InfMaxRt(3600),
        ],
    }
}

/// Confirm, Renew, Rebind, Release and Decline: same IA_NA, different headers.
fn client_ia_message(msg_type: MessageType, transaction_id: u32, server: bool) -> MessageRepr {
    let mut options = vec![OptionRepr::ClientId(client_duid())];
    if server {
        options.push(OptionRepr::ServerId(server_duid()));
    }
    options.push(OptionRepr::ElapsedTime(0));
    options.push(OptionRepr::IaNa(IaNa {
        iaid: 1,
        t1: 0,
        t2: 0,
        options: vec![OptionRepr::IaAddr(IaAddr {
            addr: ip("2001:db8:1::100"),
            preferred_lifetime: 0,
            valid_lifetime: 0,
            options: vec![],
        })],
    }));
    options.push(OptionRepr::Text {
        code: OptionCode::MudUrlV6,
        text: b"https://mud.example.org/x".to_vec(),
    });
    MessageRepr {
        msg_type,
        transaction_id,
        options,
    }
}

/// A Leasequery-reply (15): scapy has no message class for it but decodes
/// the header generically and the LQ client link option (48).
fn leasequery_reply() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::LeasequeryReply,
        transaction_id: 0x44_55_66,
        options: vec![
            OptionRepr::ServerId(server_duid()),
            OptionRepr::Unknown {
                code: OptionCode::ClientData,
                data: vec![0x00, 0x2e, 0x00, 0x04, 0x00, 0x00, 0x00, 0x3c],
            },
            OptionRepr::Addresses {
                code: OptionCode::LqClientLink,
                addrs: vec![ip("2001:db8:1::1")],
            },
        ],
    }
}

fn information_request() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::InformationRequest,
        transaction_id: 0x12_34_56,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ElapsedTime(0),
            OptionRepr::Oro(vec![
                OptionCode::DnsServers,
                OptionCode::DomainList,
                OptionCode::InformationRefreshTime,
                OptionCode::InfMaxRt,
            ]),
            OptionRepr::ReconfAccept,
        ],
    }
}

fn reconfigure() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Reconfigure,
        transaction_id: 0,
        options: vec![
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ReconfMsg(MessageType::InformationRequest),
            OptionRepr::Auth(Auth {
                protocol: 3,
                algorithm: 1,
                rdm: 0,
                replay: 0x0000_0001_0000_0002,
                info: AuthInfo::ReconfigureKey {
                    kind: 2,
                    value: [0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
                },
            }),
        ],
    }
}

/// A DHCPDISCOVER (RFC 2131) with xid 0x3903f326 from 00:11:22:33:44:55.
fn dhcpv4_discover() -> Vec<u8> {
    let mut v = vec![1, 1, 6, 0];
    v.extend_from_slice(&0x3903_f326u32.to_be_bytes());
    v.extend_from_slice(&[0; 20]); // secs, flags, ciaddr, yiaddr, siaddr, giaddr
    v.extend_from_slice(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
    v.extend_from_slice(&[0; 10 + 64 + 128]); // chaddr padding, sname, file
    v.extend_from_slice(&[0x63, 0x82, 0x53, 0x63, 53, 1, 1, 255]);
    v
}

fn dhcpv4_query() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Dhcpv4Query,
        transaction_id: DHCPV4_QUERY_UNICAST,
        options: vec![OptionRepr::Dhcpv4Msg(dhcpv4_discover())],
    }
}

fn relay_forward() -> Vec<u8> {
    let inner = RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count: 0,
        link_address: ip("2001:db8:1::1"),
        peer_address: ip("fe80::211:22ff:fe33:4455"),
        options: vec![
            OptionRepr::InterfaceId(b"ge-0/0/1.100".to_vec()),
            OptionRepr::RemoteId {
                enterprise: 3561,
                id: b"circuit-42".to_vec(),
            },
            OptionRepr::SubscriberId(b"subscriber#1".to_vec()),
            OptionRepr::ClientLinklayerAddr {
                hw_type: 1,
                addr: vec![0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
            },
            OptionRepr::Ero(vec![OptionCode::RemoteId]),
            OptionRepr::RelayMsg(solicit().to_vec().unwrap()),
        ],
    };
    let outer = RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count: 1,
        link_address: ip("::"),
        peer_address: ip("2001:db8:1::1"),
        options: vec![
            OptionRepr::InterfaceId(b"uplink".to_vec()),
            OptionRepr::RelayPort(0),
            OptionRepr::RelayMsg(inner.to_vec().unwrap()),
        ],
    };
    outer.to_vec().unwrap()
}

/// Every message the test sends through scapy, with its name.
fn messages() -> Vec<(&'static str, Vec<u8>)> {
    let forw = relay_forward();
    let (chain, client) = decapsulate(&forw).unwrap();
    assert_eq!(client, solicit().to_vec().unwrap());
    let adv = advertise().to_vec().unwrap();
    let repl = emit_to_vec(|w| encapsulate_reply(&chain, &adv, w)).unwrap();
    vec![
        ("solicit", solicit().to_vec().unwrap()),
        ("advertise", adv),
        ("request", request().to_vec().unwrap()),
        ("reply", reply().to_vec().unwrap()),
        (
            "information-request",
            information_request().to_vec().unwrap(),
        ),
        ("reconfigure", reconfigure().to_vec().unwrap()),
        ("relay-forward", forw),
        ("relay-reply", repl),
        ("dhcpv4-query", dhcpv4_query().to_vec().unwrap()),
        (
            "reply-to-information-request",
            reply_to_information_request().to_vec().unwrap(),
        ),
        (
            "confirm",
            client_ia_message(MessageType::Confirm, 0x01, false)
                .to_vec()
                .unwrap(),
        ),
        (
            "renew",
            client_ia_message(MessageType::Renew, 0x02, true)
                .to_vec()
                .unwrap(),
        ),
        (
            "rebind",
            client_ia_message(MessageType::Rebind, 0x03, false)
                .to_vec()
                .unwrap(),
        ),
        (
            "release",
            client_ia_message(MessageType::Release, 0x04, true)
                .to_vec()
                .unwrap(),
        ),
        (
            "decline",
            client_ia_message(MessageType::Decline, 0x05, true)
                .to_vec()
                .unwrap(),
        ),
        ("leasequery-reply", leasequery_reply().to_vec().unwrap()),
        // Signed by auth::build_reconfigure and auth::sign_in_place
        // (golden_auth.rs proves it).
        ("reconfigure-signed", RECONFIGURE_SIGNED.to_vec()),
        ("request-delayed-signed", REQUEST_SIGNED.to_vec()),
    ]
}

/// C-001, C-002, C-005, C-006, C-010, C-012, C-016, C-018, C-021: scapy
/// decodes every message we encode to the values we encoded.
#[test]
fn scapy_decodes_what_we_encode() {
    let msgs = messages();
    let decoded = run_scapy(&msgs);
    let codes = decoded[0].get("option_layers").arr().iter();
    let codes = codes.map(|c| u16::try_from(c.u64()).unwrap()).collect();
    SCAPY_LAYERS.set(codes).unwrap();
    eprintln!("scapy {}", decoded[0].get("scapy").str());
    for ((name, bytes), json) in msgs.iter().zip(&decoded) {
        assert_eq!(json.get("name").str(), *name);
        check_message(json.get("layers").arr(), bytes, name);
    }

    // Spot checks written out, so that a bug shared by the generic
    // comparison above and the encoder cannot hide.
    let layers = |i: usize| decoded[i].get("layers").arr();
    let sol = layers(0);
    assert_eq!(sol[0].class(), "DHCP6_Solicit");
    assert_eq!(sol[0].field("trid").u64(), 0x5aa501);
    assert_eq!(sol[2].class(), "DHCP6OptIA_NA");
    assert_eq!(sol[2].field("iaid").u64(), 0x1122_3344);
    assert_eq!(sol[2].field("optlen").u64(), 12);
    assert_eq!(
        sol[3].field("iapdopt").arr()[0]
            .first_layer()
            .field("plen")
            .u64(),
        56
    );
    assert_eq!(sol[5].field("elapsedtime").u64(), 250);

    let adv = layers(1);
    assert_eq!(adv[5].field("prefval").u64(), 200);
    assert_eq!(adv[7].field("dnsservers").arr()[1].str(), "2001:db8::5353");
    assert_eq!(
        adv[8].field("dnsdomains").arr()[1].str(),
        "corp.example.org."
    );
    let iaaddr = adv[3].field("ianaopts").arr()[0].first_layer();
    assert_eq!(iaaddr.field("addr").str(), "2001:db8:1::100");
    assert_eq!(iaaddr.field("validlft").u64(), 7200);
    assert_eq!(
        adv[9].class(),
        "DHCP6OptUnknown",
        "scapy has no SOL_MAX_RT layer"
    );

    let fwd = layers(6);
    assert_eq!(fwd[0].class(), "DHCP6_RelayForward");
    assert_eq!(fwd[0].field("hopcount").u64(), 1);
    assert_eq!(fwd[1].field("ifaceid").str(), hexs(b"uplink"));
    let inner = fwd[3].field("message").get("layers").arr();
    assert_eq!(inner[0].class(), "DHCP6_RelayForward");
    assert_eq!(inner[0].field("peeraddr").str(), "fe80::211:22ff:fe33:4455");
    let client = inner[6].field("message").get("layers").arr();
    assert_eq!(client[0].class(), "DHCP6_Solicit");

    let rep = layers(7);
    assert_eq!(rep[0].class(), "DHCP6_RelayReply");
    assert_eq!(rep[1].field("ifaceid").str(), hexs(b"uplink"));
    assert_eq!(
        rep[2].field("optcode").u64(),
        135,
        "Relay Source Port echoed"
    );
    let inner = rep[3].field("message").get("layers").arr();
    assert_eq!(inner[0].class(), "DHCP6_RelayReply");
    assert_eq!(inner[1].field("ifaceid").str(), hexs(b"ge-0/0/1.100"));
    assert_eq!(
        inner[2].class(),
        "DHCP6OptRemoteID",
        "ERO-requested Remote-ID echoed"
    );
    assert_eq!(
        inner[3].field("message").first_layer().class(),
        "DHCP6_Advertise"
    );

    let q = layers(8);
    assert_eq!(q[0].field("msgtype").u64(), 20);
    assert_eq!(q[0].field("trid").u64(), 0x80_0000, "C-021: Unicast flag");
    let bootp = q[1].get("bootp");
    assert_eq!(bootp.get("op").u64(), 1);
    assert_eq!(bootp.get("xid").u64(), 0x3903_f326);
    assert!(bootp.get("chaddr").str().starts_with("hex:001122334455"));
    assert_eq!(
        bootp.get("dhcp_options").arr()[0].arr()[1].u64(),
        1,
        "DHCPDISCOVER"
    );
}

#[test]
fn json_reader_handles_escapes() {
    let j = JsonParser::parse(r#"{"a": ["x\"y", "\u00fc\ud83d\ude00z", -1, true, null], "b": {}}"#);
    let a = j.get("a").arr();
    assert_eq!(a[0].str(), "x\"y");
    assert_eq!(a[1].str(), "ü😀z");
    assert_eq!(a[2], Json::Num("-1".into()));
}
