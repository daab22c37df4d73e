//! Tests of the whole pipeline: text -> tokens -> AST -> checked config ->
//! printed text -> the same config, for what both files share; the
//! helpers here serve `server::tests` and `client::tests` too.

use super::client::*;
use super::server::*;
use super::*;

pub(super) const SPEC_SERVER: &[(&str, &str)] = &[
    (
        "ok-spec-full.conf",
        include_str!("../../../tests/config-corpus/server/ok-spec-full.conf"),
    ),
    (
        "ok-spec-hosts.conf",
        include_str!("../../../tests/config-corpus/server/ok-spec-hosts.conf"),
    ),
    (
        "ok-spec-minimal-pd.conf",
        include_str!("../../../tests/config-corpus/server/ok-spec-minimal-pd.conf"),
    ),
];

pub(super) const SPEC_CLIENT: &[(&str, &str)] = &[
    (
        "ok-spec-auth.conf",
        include_str!("../../../tests/config-corpus/client/ok-spec-auth.conf"),
    ),
    (
        "ok-spec-debian-extensions.conf",
        include_str!("../../../tests/config-corpus/client/ok-spec-debian-extensions.conf"),
    ),
    (
        "ok-spec-infoonly.conf",
        include_str!("../../../tests/config-corpus/client/ok-spec-infoonly.conf"),
    ),
    (
        "ok-spec-pd.conf",
        include_str!("../../../tests/config-corpus/client/ok-spec-pd.conf"),
    ),
];

pub(super) const NOW: UnixTime = 1_764_000_000; // Nov 2025

pub(super) fn server(text: &str) -> Result<Staged<ServerConfig>, Error> {
    load_server(
        "dhcp6s.conf",
        &mut MemLoader::new().with("dhcp6s.conf", text),
        NOW,
    )
}

pub(super) fn client(text: &str) -> Result<Staged<ClientConfig>, Error> {
    load_client(
        "dhcp6c.conf",
        &mut MemLoader::new().with("dhcp6c.conf", text),
        NOW,
    )
}

pub(super) fn server_err(text: &str) -> String {
    server(text).unwrap_err().to_string()
}

pub(super) fn client_err(text: &str) -> String {
    client(text).unwrap_err().to_string()
}

pub(super) fn server_round_trip(cfg: &ServerConfig) {
    let printed = cfg.to_string();
    let again = server(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(&again.config, cfg, "{printed}");
}

pub(super) fn client_round_trip(cfg: &ClientConfig) {
    let printed = cfg.to_string();
    let again = client(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(&again.config, cfg, "{printed}");
}

#[test]
fn spec_examples_parse_and_round_trip() {
    for (name, text) in SPEC_SERVER {
        let s = server(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        server_round_trip(&s.config);
    }
    for (name, text) in SPEC_CLIENT {
        let c = client(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        client_round_trip(&c.config);
    }
}

/// Every syntax error names file, line, column and what was expected.
#[test]
fn syntax_errors() {
    let cases: &[(&str, &str)] = &[
        ("option domain-name-servers 2001:db8::1\nhost x { };", "dhcp6s.conf:2:1: expected ';' after address, found 'host'"),
        ("option domain-name-servers host;", "dhcp6s.conf:1:28: 'host' is not an IPv6 address"),
        ("option domain-name-servers 2001:db8::1 ;host x {}", "dhcp6s.conf:1:50: expected ';' after '}', found end of file"),
        ("host h {\n\taddress 2001:db8::1 3600 7200\n};", "dhcp6s.conf:3:1: expected ';' after address, found '}'"),
        ("interface eth0 { preference 1.9; };", "dhcp6s.conf:1:29: '1.9' is not an integer (WIDE would silently read the part before the '.')"),
        ("bogus;", "dhcp6s.conf:1:1: expected a statement, found 'bogus'"),
        ("host h { duid 000102; };", "dhcp6s.conf:1:15: '000102' is not hex octets written xx:xx:... (two digits each)"),
        ("host h { address 2001:db8::1/64 3600; };", "dhcp6s.conf:1:29: expected a lifetime after address, found '/'"),
        ("host h { address 2001:db8::1 4294967296; };", "dhcp6s.conf:1:30: lifetime 4294967296 exceeds 4294967295 (use 'infinity')"),
        ("option domain-name \"x", "dhcp6s.conf:1:20: unterminated quoted string"),
        ("option bogus 1;", "dhcp6s.conf:1:8: expected an option name after 'option', found 'bogus'"),
        ("pool pool { range 2001:db8::1 to 2001:db8::2; };\ninterface eth0 { address-pool pool 10; };", "dhcp6s.conf:2:31: 'pool' is a keyword and cannot be referenced by name (WIDE rejects it too); rename it"),
        ("pool 12 { range ::1 to ::2; };\ninterface eth0 { address-pool 12 10; };", "dhcp6s.conf:2:31: '12' is a number and cannot be referenced by name (WIDE rejects it too); rename it"),
        ("host h { prefix 2001:db8::/48 3600s; };", "dhcp6s.conf:1:31: expected a lifetime after prefix, found '3600s'"),
        ("interface eth0 { allow everything; };", "dhcp6s.conf:1:24: expected 'rapid-commit', 'partial-advertise' or 'renew-missing-ia' after 'allow', found 'everything'"),
        ("host h @", "dhcp6s.conf:1:8: unexpected character '@'"),
    ];
    for (text, want) in cases {
        assert_eq!(&server_err(text), want, "{text}");
    }
    let cases: &[(&str, &str)] = &[
        (
            "interface eth0 { send ia-pd 0x10; };",
            "dhcp6c.conf:1:29: expected a number after 'ia-pd', found '0x10'",
        ),
        (
            "interface eth0 { request sip-domain-name; };",
            "dhcp6c.conf:1:26: expected an option name after 'request', found 'sip-domain-name'",
        ),
        (
            "interface eth0 { request bcmcs-domain-name; };",
            "dhcp6c.conf:1:26: expected an option name after 'request', found 'bcmcs-domain-name'",
        ),
        (
            "id-assoc xx 1 { };",
            "dhcp6c.conf:1:10: expected 'pd' or 'na' after 'id-assoc', found 'xx'",
        ),
        (
            "id-assoc pd { prefix-interface eth1 { sla-id 1 }; };",
            "dhcp6c.conf:1:48: expected ';' after prefix-interface parameter, found '}'",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(&client_err(text), want, "{text}");
    }
}

#[test]
fn warnings_not_errors() {
    let s = server("host h { duid 00:01:02; };\nhost h { duid 00:01:03; };\nhost i { prefix 2001:db8::1/48 10; };\noption refreshtime 700;\noption refreshtime 800;").unwrap();
    let msgs: Vec<String> = s.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "dhcp6s.conf:2:6: warning: duplicated name: h (ignored)",
            "dhcp6s.conf:3:10: warning: prefix 2001:db8::1/48 has a trailing garbage; using 2001:db8::/48",
            "dhcp6s.conf:3:6: warning: host i has no duid and can never match a client",
            "dhcp6s.conf:5:1: warning: multiple refresh times (ignored)",
        ]
    );
    assert_eq!(
        s.config.hosts[0].duid.as_ref().unwrap().to_string(),
        "00:01:02"
    );
    assert_eq!(s.config.hosts[1].prefixes[0].addr.to_string(), "2001:db8::");
    assert_eq!(s.config.options.refresh_time, Some(700));
    let c = client(
        "interface eth0 { send domain-name-servers; request ia-pd 1; };\nid-assoc na 9 { };",
    )
    .unwrap();
    assert_eq!(c.warnings.len(), 3, "{:?}", c.warnings);
}

#[test]
fn includes() {
    let mut l = MemLoader::new()
        .with(
            "/etc/d/dhcp6s.conf",
            "include \"sub.conf\";\nhost a { duid 00:01:02; };",
        )
        .with("/etc/d/sub.conf", "host b { duid 00:01:03; };");
    let s = load_server("/etc/d/dhcp6s.conf", &mut l, NOW).unwrap();
    assert_eq!(
        s.config
            .hosts
            .iter()
            .map(|h| h.name.as_str())
            .collect::<Vec<_>>(),
        ["b", "a"]
    );

    // An error in an included file names that file.
    let mut l = MemLoader::new()
        .with("m.conf", "include \"e.conf\";")
        .with("e.conf", "\n host x { duid 1; };");
    assert_eq!(
        load_server("m.conf", &mut l, NOW).unwrap_err().to_string(),
        "e.conf:2:16: '1' is not hex octets written xx:xx:... (two digits each)"
    );

    // A cycle hits the depth limit.
    let mut l = MemLoader::new().with("loop.conf", "include \"loop.conf\";");
    assert_eq!(
        load_server("loop.conf", &mut l, NOW)
            .unwrap_err()
            .to_string(),
        "loop.conf:1:1: include nested deeper than 10 files (a cycle?)"
    );

    // A file including itself twice per level would expand 2^10 times, so
    // Bounded by the total count as well as the depth.
    let many = "include \"leaf.conf\";\n".repeat(65);
    let mut l = MemLoader::new()
        .with("wide.conf", &many)
        .with("leaf.conf", "");
    assert_eq!(
        load_server("wide.conf", &mut l, NOW)
            .unwrap_err()
            .to_string(),
        "wide.conf:65:1: more than 64 include statements"
    );

    // Missing include: a warning, as in WIDE; missing main file: an error.
    let s = server("include \"/nonexistent.conf\";").unwrap();
    assert_eq!(s.warnings[0].to_string(), "dhcp6s.conf:1:1: warning: include file /nonexistent.conf not found (ignored, as WIDE does)");
    let e = load_server("missing.conf", &mut MemLoader::new(), NOW).unwrap_err();
    assert_eq!(
        e.to_string(),
        "missing.conf: configuration file missing.conf not found"
    );
}

/// A loader whose working directory holds `cwd_files`: what
/// [`Loader::load_include`] finds as written when it is not beside the
/// including file (the file system's order, `sys::conf`).
struct CwdLoader {
    files: MemLoader,
    cwd_files: MemLoader,
}

impl Loader for CwdLoader {
    fn load(&mut self, path: &str) -> Result<String, LoadError> {
        self.files.load(path)
    }

    fn load_include(&mut self, beside: &str, written: &str) -> Result<(String, String), LoadError> {
        match self.files.load(beside) {
            Err(LoadError::NotFound) => self
                .cwd_files
                .load(written)
                .map(|t| (written.to_string(), t)),
            other => other.map(|t| (beside.to_string(), t)),
        }
    }
}

/// A relative include not beside the including file is read from the
/// working directory, as WIDE reads it, with a warning saying so; its
/// errors name the file actually read.
#[test]
fn include_from_working_directory() {
    let mut l = CwdLoader {
        files: MemLoader::new().with(
            "/etc/d/dhcp6s.conf",
            "include \"sub.conf\";\ninterface eth0 { address-pool p 10; };",
        ),
        cwd_files: MemLoader::new()
            .with("sub.conf", "pool p { range 2001:db8::1 to 2001:db8::9; };"),
    };
    let s = load_server("/etc/d/dhcp6s.conf", &mut l, NOW).unwrap();
    assert_eq!(s.config.pools.len(), 1);
    assert_eq!(
        s.warnings[0].to_string(),
        "/etc/d/dhcp6s.conf:1:1: warning: include file /etc/d/sub.conf not found; read sub.conf from the working directory instead, as WIDE does"
    );

    // Beside the including file wins over the working directory.
    let mut l = CwdLoader {
        files: MemLoader::new()
            .with("/etc/d/dhcp6s.conf", "include \"sub.conf\";")
            .with("/etc/d/sub.conf", ""),
        cwd_files: MemLoader::new().with("sub.conf", "bad;"),
    };
    let s = load_server("/etc/d/dhcp6s.conf", &mut l, NOW).unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);

    // Found in neither: today's warning, naming the path beside.
    let mut l = CwdLoader {
        files: MemLoader::new().with("/etc/d/dhcp6s.conf", "include \"sub.conf\";"),
        cwd_files: MemLoader::new(),
    };
    let s = load_server("/etc/d/dhcp6s.conf", &mut l, NOW).unwrap();
    assert_eq!(
        s.warnings[0].to_string(),
        "/etc/d/dhcp6s.conf:1:1: warning: include file /etc/d/sub.conf not found (ignored, as WIDE does)"
    );

    // An error in the file from the working directory names that file.
    let mut l = CwdLoader {
        files: MemLoader::new().with("/etc/d/dhcp6s.conf", "include \"sub.conf\";"),
        cwd_files: MemLoader::new().with("sub.conf", "\nbad;"),
    };
    assert_eq!(
        load_server("/etc/d/dhcp6s.conf", &mut l, NOW)
            .unwrap_err()
            .to_string(),
        "sub.conf:2:1: expected a statement, found 'bad'"
    );
}

/// `allow` with an option WIDE parses and then skips ("invalid
/// operation"): a warning in both daemons' interface blocks (and the
/// client's profiles); what WIDE refuses stays an error.
#[test]
fn allow_what_wide_skips() {
    let skipped = [
        ("ntp-servers", "ntp-servers"),
        ("domain-name", "domain-name"),
        ("nis-server-domain-name", "nis-domain-name"),
        ("refreshtime", "refreshtime"),
        ("ia-pd 1", "ia-pd 1"),
        ("ia-na 7", "ia-na 7"),
    ];
    for (item, shown) in skipped {
        let text = format!("interface eth0 {{\n\tallow {item};\n}};");
        let want = format!("2:2: warning: 'allow {shown}' has no effect: WIDE accepts and ignores it, and so does kame6");
        let s = server(&text).unwrap();
        assert_eq!(s.warnings.len(), 1, "{text}: {:?}", s.warnings);
        assert_eq!(s.warnings[0].to_string(), format!("dhcp6s.conf:{want}"));
        assert!(!s.config.interfaces[0].scope.allow_rapid_commit);
        let c = client(&text).unwrap();
        assert_eq!(c.warnings.len(), 1, "{text}: {:?}", c.warnings);
        assert_eq!(c.warnings[0].to_string(), format!("dhcp6c.conf:{want}"));
        let i = &c.config.interfaces[0];
        assert!(i.request.is_empty() && i.send_ia_pd.is_empty() && i.send_ia_na.is_empty());
        assert!(!i.allow_rapid_commit);
    }
    let c = client("interface eth0 { };\nprofile p { allow domain-name-servers; };").unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    // An empty server option list in dhcp6c.conf: WIDE checks only
    // non-empty ones.
    let c = client("option domain-name-servers;\ninterface eth0 { };").unwrap();
    assert_eq!(c.warnings[0].to_string(), "dhcp6c.conf:1:1: warning: 'option domain-name-servers' with no address has no effect in dhcp6c.conf: WIDE accepts and ignores it, and so does kame6");

    let server_cases = [
        (
            "authentication a { protocol reconfig; };\ninterface eth0 { allow authentication a; };",
            "dhcp6s.conf:2:18: 'authentication a' cannot follow 'allow' (WIDE: invalid operation)",
        ),
        (
            "interface eth0 { allow ntp-servers, domain-name; };",
            "dhcp6s.conf:1:35: expected ';' after allow, found ','",
        ),
        (
            "interface eth0 { allow ia-pd; };",
            "dhcp6s.conf:1:29: expected a number after 'ia-pd', found ';'",
        ),
        (
            "host h { allow ntp-servers; };",
            "dhcp6s.conf:1:10: 'allow' is not allowed in a host block",
        ),
        (
            "host h { allow rapid-commit; };",
            "dhcp6s.conf:1:10: 'allow' is not allowed in a host block",
        ),
    ];
    for (text, want) in server_cases {
        assert_eq!(&server_err(text), want, "{text}");
    }
    let client_cases = [
        ("authentication a { protocol delayed; };\ninterface eth0 { allow authentication a; };", "dhcp6c.conf:2:18: 'authentication a' cannot follow 'allow' (WIDE: invalid operation)"),
        ("interface eth0 { allow ia-ta 1; };", "dhcp6c.conf:1:18: 'ia-ta 1' cannot follow 'allow' (WIDE: invalid operation)"),
        ("interface eth0 { allow reconfigure-accept; };", "dhcp6c.conf:1:18: 'reconfigure-accept' cannot follow 'allow' (WIDE: invalid operation)"),
    ];
    for (text, want) in client_cases {
        assert_eq!(&client_err(text), want, "{text}");
    }
}

#[test]
fn names_may_be_keywords_where_wide_allows() {
    let s = server(
        "interface host { };\nhost pool { duid 00:01:02; };\npool interface { range ::1 to ::2; };",
    )
    .unwrap();
    assert_eq!(s.config.interfaces[0].name, "host");
    assert_eq!(
        s.warnings[0].to_string(),
        "dhcp6s.conf:3:6: warning: pool name 'interface' is a keyword and can never be referenced"
    );
    server_round_trip(&s.config);
}

#[test]
fn holder_keeps_running_config_on_failed_reload() {
    let mut h = Holder::new(server("option refreshtime 700;").unwrap().config);
    let before = h.current();
    let r = h.reload(|| server("option refreshtime 100;"));
    assert!(r.is_err());
    assert!(Arc::ptr_eq(&before, &h.current()));
    // A failed reload leaves nothing behind: the next good one works
    // (WIDE's error counter made every later reload fail).
    let w = h
        .reload(|| server("option refreshtime 900;\noption refreshtime 901;"))
        .unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(h.current().options.refresh_time, Some(900));
    // Line numbers start from 1 on each parse.
    let e = server("\n\nbogus;").unwrap_err();
    assert_eq!(e.pos.line, 3);
    let old = server("option refreshtime 1000;").unwrap().commit(&mut h);
    assert_eq!(old.options.refresh_time, Some(900));
    assert_eq!(h.current().options.refresh_time, Some(1000));
}

/// Inputs once found by the fuzzer, or shaped like its findings; none may
/// panic.
#[test]
fn no_panics_on_odd_input() {
    for text in [
        "",
        "{",
        "}",
        ";",
        "\"",
        "option",
        "host",
        "host x {",
        "id-assoc",
        "id-assoc pd",
        "id-assoc pd 1 { prefix-interface",
        "include",
        "keyinfo k { expire \"99-99 99:99\"; };",
        "option domain-name \"\";",
        "host h { prefix ::/0 0; };",
        "\u{0}",
        "host \u{e9} {};",
    ] {
        let _ = server(text);
        let _ = client(text);
    }
}

/// The remaining messages, one case each.
#[test]
fn other_messages() {
    let cases: &[(&str, &str)] = &[
        ("interface eth0 { preference 99999999999999999999; };", "dhcp6s.conf:1:29: number 99999999999999999999 is too large"),
        ("option refreshtime 4294967296;", "dhcp6s.conf:1:1: value 4294967296 out of range 600..4294967295"),
        ("option domain-name \"\";", "dhcp6s.conf:1:1: empty domain name"),
        ("lease-file \"/a\";\nlease-file \"/b\";", "dhcp6s.conf:2:1: lease-file given twice"),
        ("dhcp4o6-port 1;\ndhcp4o6-port 2;", "dhcp6s.conf:2:1: dhcp4o6-port given twice"),
        ("link l { interface-id \"\"; };", "dhcp6s.conf:1:10: empty interface-id"),
        ("link l { interface-id \"a\"; interface-id 61; };", "dhcp6s.conf:1:28: duplicated interface-id"),
        ("link l { link-address 2001:db8::/64; link-address 2001:db8::/64; };", "dhcp6s.conf:1:38: duplicated link-address 2001:db8::/64"),
        ("pool p { preference 1; };", "dhcp6s.conf:1:10: 'preference' is not allowed in a pool block"),
        ("prefix-pool p { prefix 2001:db8::/40 delegate 48; prefix 2001:db9::/40 delegate 48; };", "dhcp6s.conf:1:51: prefix-pool p: only one prefix per pool"),
        ("prefix-pool p { };", "dhcp6s.conf:1:13: prefix-pool p: no prefix"),
        ("prefix-pool p { prefix ff00::/8 delegate 16; };", "dhcp6s.conf:1:17: multicast prefix ff00::"),
        ("host h { duid 00:01:02; prefix-pool nope 10; };", "dhcp6s.conf:1:25: prefix-pool 'nope' is not defined"),
        ("interface eth0 { ta-pool nope 10; };", "dhcp6s.conf:1:18: pool 'nope' is not defined"),
        ("interface eth0 { allow partial-advertise; };", "dhcp6s.conf:1:18: 'allow partial-advertise/renew-missing-ia' is client-only configuration, not allowed in dhcp6s.conf"),
        ("authentication a { protocol other; };", "dhcp6s.conf:1:29: expected 'delayed' or 'reconfig' after 'protocol', found 'other'"),
        ("authentication a { algorithm sha256; };", "dhcp6s.conf:1:30: expected 'hmac-md5' after 'algorithm', found 'sha256'"),
        ("authentication a { rdm other; };", "dhcp6s.conf:1:24: expected 'monocounter' after 'rdm', found 'other'"),
        ("keyinfo k { colour \"red\"; };", "dhcp6s.conf:1:13: expected 'realm', 'keyid', 'secret', 'expire' or '}' in keyinfo, found 'colour'"),
        ("include foo;", "dhcp6s.conf:1:9: expected a quoted include file name, found 'foo'"),
    ];
    for (text, want) in cases {
        assert_eq!(&server_err(text), want, "{text}");
    }
    let long = format!(
        "keyinfo k {{ realm \"r\"; keyid 1; secret \"{}\"; }};",
        "A".repeat(1368)
    );
    assert_eq!(
        server_err(&long),
        "dhcp6s.conf:1:33: secret longer than 1023 bytes"
    );
    let cases: &[(&str, &str)] = &[
        ("link l { };", "dhcp6c.conf:1:1: 'link' is server-only configuration, not allowed in dhcp6c.conf"),
        ("prefix-pool p { };", "dhcp6c.conf:1:1: 'prefix-pool' is server-only configuration, not allowed in dhcp6c.conf"),
        ("pool p { range 2001:db8::1 to 2001:db8::2; };", "dhcp6c.conf:1:1: 'pool' is server-only configuration, not allowed in dhcp6c.conf"),
        ("option ntp-servers 2001:db8::1;", "dhcp6c.conf:1:1: 'option' is server-only configuration, not allowed in dhcp6c.conf"),
        ("dhcp4o6-port 1;", "dhcp6c.conf:1:1: 'dhcp4o6-port' is server-only configuration, not allowed in dhcp6c.conf"),
        ("id-assoc pd 1 { prefix-interface eth1 { sla-id 4294967296; }; };", "dhcp6c.conf:1:41: value 4294967296 out of range 0..4294967295"),
        ("id-assoc pd 1 { prefix-interface eth1 { colour 1; }; };", "dhcp6c.conf:1:41: expected 'sla-id', 'sla-len', 'ifid', 'ifid-random' or '}' in prefix-interface, found 'colour'"),
        ("id-assoc na 1 { address 2001:db8::1 10; address 2001:db8::1 10; };", "dhcp6c.conf:1:41: duplicated address 2001:db8::1"),
        ("id-assoc pd 1 { prefix ::/56 10; prefix ::/56 10; };", "dhcp6c.conf:1:34: duplicated prefix ::/56"),
        ("id-assoc na 4294967296 { };", "dhcp6c.conf:1:13: value 4294967296 out of range 0..4294967295"),
        ("interface eth0 { send raw-option 65536; };", "dhcp6c.conf:1:34: value 65536 out of range 0..65535"),
        // Issue 13: `request dhcp4o6-server-address` is now how a client
        // turns DHCPv4-over-DHCPv6 on; an unknown name is still refused.
        ("interface eth0 { request dhcp4o6-server; };", "dhcp6c.conf:1:26: expected an option name after 'request', found 'dhcp4o6-server'"),
        ("interface eth0 { dhcp4o6-interface; };", "dhcp6c.conf:1:35: expected an interface name after 'dhcp4o6-interface', found ';'"),
    ];
    for (text, want) in cases {
        assert_eq!(&client_err(text), want, "{text}");
    }
    // Read errors other than "not found" are fatal, also for includes.
    let mut l = |p: &str| -> Result<String, LoadError> {
        if p == "m.conf" {
            Ok("include \"/secret\";".into())
        } else {
            Err(LoadError::Other("permission denied".into()))
        }
    };
    assert_eq!(
        load_server("m.conf", &mut l, NOW).unwrap_err().to_string(),
        "m.conf:1:1: cannot read /secret: permission denied"
    );
    // Warnings with no error.
    let c = client("id-assoc pd 1 { prefix-interface eth1 { sla-id 300; sla-len 8; }; prefix-interface eth1 { }; };\ninterface eth0 { send ia-pd 1; };").unwrap();
    let msgs: Vec<String> = c.warnings.iter().map(|w| w.message.clone()).collect();
    assert_eq!(
        msgs,
        [
            "sla-id 300 does not fit in sla-len 8; WIDE would corrupt the prefix",
            "duplicated prefix-interface eth1 (ignored)"
        ]
    );
}

/// `expire` resolves to a Unix time: full dates as written (UTC), partial
/// ones on the load day, `forever` never.
#[test]
fn key_expiry_resolves() {
    let at = |s: &str| check::parse_expire(s).unwrap().resolve(NOW);
    // NOW is 2025-11-24T16:00:00Z.
    assert_eq!(at("forever"), None);
    assert_eq!(at("2035-12-31 23:59"), Some(2_082_758_340));
    assert_eq!(at("11-24 18:30"), Some(NOW + 9_000));
    assert_eq!(at("17:00"), Some(NOW + 3_600));
    assert_eq!(at("01-01 00:00"), Some(1_735_689_600));
}
