//! Harness for tests that run real programs in network namespaces.
//!
//! Each [`Netns`] is created by the test and deleted in `Drop` (a leftover of
//! the same name is cleared first), with DAD disabled so addresses are usable
//! at once. Programs started with [`Netns::spawn`] are killed when their
//! [`Daemon`] is dropped. Traffic stays inside the namespaces.
//!
//! These tests need root. Without it they fail loudly: CI runs as root, and
//! a silent pass would hide that nothing was tested.

#![allow(dead_code)] // each test file uses a different part of the harness

pub mod crash;
pub mod dhcp4o6;
pub mod load;
pub mod pcap;
pub mod peers;
#[cfg(feature = "postgresql")]
pub mod pg;
pub mod prom;
pub mod scripted;

use std::ffi::OsStr;
use std::fs::File;
use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use libdhcp6::codes::MessageType;
use libdhcp6::wire::{IaNa, MessageRepr, OptionRepr};
use libdhcp6::Duid;

/// Fails the test unless we are root and `ip` exists.
pub fn require_root() {
    let uid = Command::new("id").arg("-u").output().expect("run id");
    let uid = String::from_utf8_lossy(&uid.stdout).trim().to_string();
    assert_eq!(
        uid, "0",
        "network-namespace tests need root (run `bash tools/setup.sh && bash tools/test.sh` as root)"
    );
    assert!(
        Command::new("ip")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success()),
        "iproute2's `ip` is missing: run tools/setup.sh"
    );
}

/// Fails the test unless `program` is installed (tools/setup.sh installs it).
pub fn require_program(program: &str) -> PathBuf {
    for dir in [
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
    ] {
        let p = Path::new(dir).join(program);
        if p.exists() {
            return p;
        }
    }
    panic!("{program} is not installed: run tools/setup.sh (CI installs it)");
}

/// Runs a command, panicking with its output when it fails.
pub fn run<I, S>(program: &str, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args
        .into_iter()
        .map(|a| a.as_ref().to_os_string())
        .collect();
    let out = Command::new(program).args(&args).output().expect("spawn");
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A name for a namespace of this test process, unique among every
/// process running at the same time: the whole process id (a part of it
/// could be another live test binary's, whose namespace `Netns::new` would
/// then delete as a leftover) and a counter.
pub fn unique(tag: &str) -> String {
    format!(
        "k6-{}-{}-{tag}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
}

/// A network namespace owned by the test.
#[derive(Debug)]
pub struct Netns {
    /// Its name under /var/run/netns.
    pub name: String,
}

impl Netns {
    /// Creates the namespace with loopback up and DAD off.
    pub fn new(tag: &str) -> Self {
        let name = unique(tag);
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        run("ip", ["netns", "add", &name]);
        let ns = Self { name };
        ns.exec(["ip", "link", "set", "lo", "up"]);
        for key in ["all", "default"] {
            ns.exec([
                "sysctl",
                "-qw",
                &format!("net.ipv6.conf.{key}.accept_dad=0"),
            ]);
            ns.exec([
                "sysctl",
                "-qw",
                &format!("net.ipv6.conf.{key}.forwarding=0"),
            ]);
        }
        ns
    }

    /// Runs a command inside the namespace and checks it succeeded.
    pub fn exec<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut all: Vec<std::ffi::OsString> =
            vec!["netns".into(), "exec".into(), self.name.clone().into()];
        all.extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        run("ip", all)
    }

    /// Runs a command inside the namespace, returning its output whatever its status.
    pub fn try_exec(&self, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .output()
            .expect("spawn ip netns exec")
    }

    /// Adds an address (no DAD) to an interface of the namespace.
    pub fn addr(&self, ifname: &str, cidr: &str) {
        self.exec(["ip", "-6", "addr", "add", cidr, "dev", ifname, "nodad"]);
    }

    /// A LAN interface `lan0` for a client to number from a delegated
    /// prefix: a veth whose peer stays in the same namespace (the kernel
    /// here has no dummy interfaces).
    pub fn lan(&self) {
        self.exec([
            "ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan0p",
        ]);
        self.exec(["sysctl", "-qw", "net.ipv6.conf.lan0.accept_dad=0"]);
        self.exec(["ip", "link", "set", "lan0", "up"]);
        self.exec(["ip", "link", "set", "lan0p", "up"]);
    }

    /// Adds a route.
    pub fn route(&self, dest: &str, via: &str) {
        self.exec(["ip", "-6", "route", "add", dest, "via", via]);
    }

    /// The index of `ifname` inside the namespace.
    pub fn ifindex(&self, ifname: &str) -> u32 {
        let out = self.exec(["cat", &format!("/sys/class/net/{ifname}/ifindex")]);
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("ifindex")
    }

    /// The link-local address of `ifname`, once the kernel has made it.
    pub fn link_local(&self, ifname: &str) -> std::net::Ipv6Addr {
        let mut found = None;
        wait_until(Duration::from_secs(5), || {
            let out = self.try_exec(&[
                "ip", "-6", "-o", "addr", "show", "dev", ifname, "scope", "link",
            ]);
            let text = String::from_utf8_lossy(&out.stdout);
            found = text
                .split_whitespace()
                .skip_while(|w| *w != "inet6")
                .nth(1)
                .and_then(|a| a.split('/').next())
                .and_then(|a| a.parse().ok());
            found.is_some()
        });
        found.unwrap_or_else(|| panic!("{}: no link-local address on {ifname}", self.name))
    }

    /// Starts a program inside the namespace, its stdout and stderr going to
    /// `log` (read it with [`Daemon::log`]).
    pub fn spawn(&self, program: &str, args: &[&str]) -> Daemon {
        self.spawn_env(program, args, &[])
    }

    /// [`Netns::spawn`] with extra environment variables.
    pub fn spawn_env(&self, program: &str, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let log = std::env::temp_dir().join(format!(
            "{}-{}.log",
            self.name,
            SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        let f = File::create(&log).expect("log file");
        let child = Command::new("ip")
            .args(["netns", "exec", &self.name, program])
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(f.try_clone().expect("dup"))
            .stderr(f)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        Daemon {
            child: Some(child),
            log,
            what: format!("{program} {args:?}"),
        }
    }

    /// Runs `f` on a thread that has entered this namespace, so sockets it
    /// opens live there.
    pub fn run_in<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        self.spawn_in(f).join().expect("namespace thread panicked")
    }

    /// Starts `f` on a thread inside this namespace and returns once `f` has
    /// called [`Ready::go`] (after binding its sockets) or ended, so the
    /// caller never sends before the listener exists.
    pub fn spawn_ready<R: Send + 'static>(
        &self,
        f: impl FnOnce(Ready) -> R + Send + 'static,
    ) -> std::thread::JoinHandle<R> {
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = self.spawn_in(move || f(Ready(tx)));
        // Err: the thread ended (or panicked) without saying ready; join reports it.
        let _ = rx.recv_timeout(Duration::from_secs(10));
        handle
    }

    /// Starts `f` on a thread inside this namespace.
    pub fn spawn_in<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> std::thread::JoinHandle<R> {
        let path = format!("/var/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let ns = File::open(&path).expect("open netns");
            nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            f()
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Ok(out) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).output();
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// Given to a [`Netns::spawn_ready`] thread to say its sockets are bound.
#[derive(Debug)]
pub struct Ready(std::sync::mpsc::Sender<()>);

impl Ready {
    /// Lets the spawning thread go on.
    pub fn go(self) {
        let _ = self.0.send(());
    }
}

/// The malformed-input barrage both daemons must survive: truncated
/// headers, option lengths past the end, 40 nested Relay-forward levels,
/// 1000 tiny options, unknown types, and server-to-client messages.
pub fn barrage() -> Vec<Vec<u8>> {
    use libdhcp6::codes::MessageType;
    use libdhcp6::wire::{MessageRepr, OptionRepr, RelayRepr};
    let mut junk: Vec<Vec<u8>> = vec![
        vec![],
        vec![1],
        vec![1, 0, 0],
        vec![12, 0, 0],
        vec![1, 0, 0, 1, 0, 1, 0xff, 0xff, 1, 2],
        vec![3, 0, 0, 1, 0, 3, 0, 12, 0, 0, 0, 1],
        vec![2, 0, 0, 1],
        vec![7, 0, 0, 1],
        vec![10, 0, 0, 0],
        vec![13; 60],
        vec![255, 1, 2, 3],
        vec![99, 0, 0, 1, 0, 1, 0, 3, 0, 1, 2],
    ];
    let empty = MessageRepr {
        msg_type: MessageType::Solicit,
        transaction_id: 9,
        options: vec![],
    };
    let mut m = empty.to_vec().expect("encode");
    for _ in 0..40 {
        m = RelayRepr {
            msg_type: MessageType::RelayForw,
            hop_count: 0,
            link_address: std::net::Ipv6Addr::UNSPECIFIED,
            peer_address: std::net::Ipv6Addr::UNSPECIFIED,
            options: vec![OptionRepr::RelayMsg(m)],
        }
        .to_vec()
        .expect("encode");
    }
    junk.push(m);
    let mut tiny = vec![1, 0, 0, 2];
    for _ in 0..1000 {
        tiny.extend_from_slice(&[0xff, 0x00, 0, 0]);
    }
    junk.push(tiny);
    junk
}

/// Links two namespaces with a veth pair and brings both ends up.
pub fn veth(a: &Netns, a_if: &str, b: &Netns, b_if: &str) {
    run(
        "ip",
        [
            "link", "add", a_if, "netns", &a.name, "type", "veth", "peer", "name", b_if, "netns",
            &b.name,
        ],
    );
    for (ns, ifname) in [(a, a_if), (b, b_if)] {
        ns.exec([
            "sysctl",
            "-qw",
            &format!("net.ipv6.conf.{ifname}.accept_dad=0"),
        ]);
        ns.exec(["ip", "link", "set", ifname, "up"]);
    }
}

/// A program started in a namespace; killed when dropped.
#[derive(Debug)]
pub struct Daemon {
    child: Option<Child>,
    /// Where its output goes.
    pub log: PathBuf,
    what: String,
}

impl Daemon {
    /// Its output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its process id (of the `ip netns exec` wrapper, which execs the program).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Sends a signal.
    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .output();
    }

    /// True while it runs.
    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Waits up to `timeout` for it to exit; its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Waits until its log contains `needle`, panicking with the log after `timeout`.
    pub fn wait_log(&self, needle: &str, timeout: Duration) {
        if !wait_until(timeout, || self.log().contains(needle)) {
            panic!(
                "{}: no {needle:?} within {timeout:?}; log:\n{}",
                self.what,
                self.log()
            );
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Polls `cond` every 50 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The relayed topology most end-to-end tests use: client —(c0|r0)— relay
/// —(r1|s0)— server. The relay has 2001:db8:1::1/64 toward the client and
/// 2001:db8:ff::1/64 toward the server at 2001:db8:ff::2, which routes the
/// client link back through it; the client has a LAN `lan0`.
pub struct Relayed {
    /// The client's namespace (c0, lan0).
    pub client: Netns,
    /// The relay's namespace (r0, r1).
    pub relay: Netns,
    /// The server's namespace (s0).
    pub server: Netns,
}

/// Builds [`Relayed`]; needs root.
pub fn relayed() -> Relayed {
    require_root();
    let t = Relayed {
        client: Netns::new("c"),
        relay: Netns::new("r"),
        server: Netns::new("s"),
    };
    veth(&t.client, "c0", &t.relay, "r0");
    veth(&t.relay, "r1", &t.server, "s0");
    t.relay.addr("r0", "2001:db8:1::1/64");
    t.relay.addr("r1", "2001:db8:ff::1/64");
    t.server.addr("s0", "2001:db8:ff::2/64");
    t.server.route("2001:db8:1::/64", "2001:db8:ff::1");
    t.client.lan();
    t
}

/// A client's Solicit and Request for IA_NA 1 from `ifname` in `ns`, with
/// `duid` and transaction-ids `xid` and `0x100 + xid`, to ff02::1:2 and
/// the first server that answers; the address the Reply grants, if any.
pub fn lease_one(ns: &Netns, ifname: &str, duid: Duid, xid: u32) -> Option<Ipv6Addr> {
    let ifindex = ns.ifindex(ifname);
    ns.run_in(move || {
        let sock = UdpSocket::bind("[::]:546").expect("bind [::]:546");
        sock.set_read_timeout(Some(Duration::from_secs(3)))
            .expect("timeout");
        let to = SocketAddrV6::new("ff02::1:2".parse().expect("address"), 547, 0, ifindex);
        let ia = OptionRepr::IaNa(IaNa {
            iaid: 1,
            ..Default::default()
        });
        let mut buf = [0u8; 4096];
        let sol = MessageRepr {
            msg_type: MessageType::Solicit,
            transaction_id: xid,
            options: vec![
                OptionRepr::ClientId(duid.clone()),
                OptionRepr::ElapsedTime(0),
                ia.clone(),
            ],
        };
        sock.send_to(&sol.to_vec().expect("Solicit"), to)
            .expect("send");
        let (len, _) = sock.recv_from(&mut buf).expect("Advertise");
        let adv = MessageRepr::from_bytes(&buf[..len]).expect("a message");
        let req = MessageRepr {
            msg_type: MessageType::Request,
            transaction_id: 0x100 + xid,
            options: vec![
                OptionRepr::ClientId(duid),
                OptionRepr::ServerId(adv.server_id().expect("Server ID").clone()),
                OptionRepr::ElapsedTime(0),
                ia,
            ],
        };
        sock.send_to(&req.to_vec().expect("Request"), to)
            .expect("send");
        let (len, _) = sock.recv_from(&mut buf).expect("Reply");
        let reply = MessageRepr::from_bytes(&buf[..len]).expect("a message");
        reply.options.iter().find_map(|o| match o {
            OptionRepr::IaNa(i) => i.addresses().next().map(|a| a.addr),
            _ => None,
        })
    })
}

/// What `dhcp6s --dump-leases journal` prints (it only reads the file, and
/// takes no lock); the test fails if it exits non-zero.
pub fn dump_leases(journal: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dhcp6s"))
        .args(["--dump-leases", journal])
        .output()
        .expect("run dhcp6s --dump-leases");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
