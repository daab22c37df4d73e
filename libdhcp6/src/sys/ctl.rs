//! The control channel's sockets (WIDE's dhcp6_ctl.c): a TCP listener on
//! `[::1]`, at most [`MAX_CONNECTIONS`] connections read at once, one
//! command per connection, nothing ever written back. Everything is
//! non-blocking and driven from the daemon's poll loop: the daemon adds
//! [`CtlChannel::push_fds`] to the descriptors it waits on and calls
//! [`CtlChannel::receive`] after each poll; that services the listener when
//! one of them is readable or [`CtlListener::next_deadline`] has passed.
//! What the bytes mean is [`crate::ctl`]'s business.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6, TcpListener, TcpStream};
use std::ops::Range;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::ctl::{self, Command, CtlMessage, HEADER_LEN, MAX_LEN};
use crate::sys::net::{PollFds, Ready};
use crate::{log_debug, log_err, log_info, log_notice, log_warn};

/// Connections read at once; a new one beyond this closes the oldest
/// (WIDE's `DHCP6CTL_DEF_COMMANDQUEUELEN`).
pub const MAX_CONNECTIONS: usize = 5;
/// How long a connection may take to deliver its command. WIDE has no such
/// limit; without it five idle connections would be kept open until a
/// sixth arrives.
pub const CONNECTION_DEADLINE: Duration = Duration::from_secs(10);
/// Connections accepted per [`CtlListener::service`] call, so a connect
/// flood cannot keep the daemon from its other work.
const ACCEPTS_PER_CALL: usize = 16;
/// Largest key file read: only its first line (at most 1023 characters)
/// matters.
const KEY_FILE_READ_LIMIT: u64 = 4096;

/// One open connection and the command it is delivering.
#[derive(Debug)]
struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    buf: Box<[u8; MAX_LEN]>,
    filled: usize,
    /// Octets expected: the header first, then 12 + its `len`.
    need: usize,
    deadline: Instant,
}

/// What reading a connection came to.
enum Progress {
    /// More to come.
    Waiting,
    /// The whole command is here.
    Complete,
    /// Close it (EOF, error, oversized).
    Close,
}

impl Conn {
    /// The octets read so far.
    fn received(&self) -> &[u8] {
        self.buf.get(..self.filled).unwrap_or_default()
    }

    /// Reads what is waiting, never more than the command announced.
    /// Mirrors dhcp6_ctl.c:dhcp6_ctl_readcommand for one connection.
    fn read(&mut self) -> Progress {
        loop {
            let Some(room) = self.buf.get_mut(self.filled..self.need) else {
                return Progress::Close;
            };
            match self.stream.read(room) {
                Ok(0) => {
                    log_info!(
                        "dhcp6_ctl_readcommand",
                        "control channel from {} was reset by peer",
                        self.peer
                    );
                    return Progress::Close;
                }
                Ok(n) => {
                    self.filled += n;
                    if self.filled == HEADER_LEN && self.need == HEADER_LEN {
                        let Some(need) = ctl::announced_len(self.buf.as_slice()) else {
                            return Progress::Close;
                        };
                        self.need = need;
                        if self.need > MAX_LEN {
                            log_info!(
                                "dhcp6_ctl_readcommand",
                                "too large command ({} bytes) from {}",
                                self.need,
                                self.peer
                            );
                            return Progress::Close;
                        }
                    }
                    if self.filled == self.need {
                        return Progress::Complete;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Waiting,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log_warn!("dhcp6_ctl_readcommand", "read failed: {e}");
                    return Progress::Close;
                }
            }
        }
    }
}

/// The daemon's control listener and its open connections.
#[derive(Debug)]
pub struct CtlListener {
    listener: TcpListener,
    conns: VecDeque<Conn>,
    deadline: Duration,
}

impl CtlListener {
    /// Listens on `addr`:`port` (the daemons use `::1`), backlog 1 and
    /// SO_REUSEADDR as WIDE. Mirrors dhcp6_ctl.c:dhcp6_ctl_init.
    pub fn bind(addr: Ipv6Addr, port: u16) -> io::Result<Self> {
        let sock = Socket::new(Domain::IPV6, Type::STREAM, Some(Protocol::TCP))?;
        sock.set_only_v6(true)?;
        sock.set_reuse_address(true)?;
        sock.bind(&SockAddr::from(SocketAddrV6::new(addr, port, 0, 0)))?;
        sock.listen(1)?;
        sock.set_nonblocking(true)?;
        Ok(Self {
            listener: sock.into(),
            conns: VecDeque::with_capacity(MAX_CONNECTIONS),
            deadline: CONNECTION_DEADLINE,
        })
    }

    /// Sets how long a connection may take to deliver its command.
    pub fn set_connection_deadline(&mut self, d: Duration) {
        self.deadline = d;
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Open connections.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// The descriptors to poll for reading: the listener, then each
    /// connection (at most 1 + [`MAX_CONNECTIONS`]).
    pub fn poll_fds(&self) -> impl Iterator<Item = BorrowedFd<'_>> {
        std::iter::once(self.listener.as_fd()).chain(self.conns.iter().map(|c| c.stream.as_fd()))
    }

    /// When the oldest connection runs out of time, if any is open.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.conns.iter().map(|c| c.deadline).min()
    }

    /// Accepts waiting connections (closing the oldest beyond
    /// [`MAX_CONNECTIONS`]), reads every connection, hands each command
    /// that arrived whole to `deliver` (its 12 + len octets, at most
    /// [`MAX_LEN`], and its sender), and closes the connections that
    /// finished, failed or ran out of time. Never blocks.
    pub fn service(&mut self, now: Instant, mut deliver: impl FnMut(&[u8], SocketAddr)) {
        self.accept(now);
        let limit = self.deadline;
        self.conns.retain_mut(|c| match c.read() {
            Progress::Complete => {
                deliver(c.received(), c.peer);
                false
            }
            Progress::Close => false,
            Progress::Waiting if now >= c.deadline => {
                log_info!(
                    "dhcp6_ctl_readcommand",
                    "control connection from {} sent no complete command in {} s; closed",
                    c.peer,
                    limit.as_secs()
                );
                false
            }
            Progress::Waiting => true,
        });
    }

    /// Mirrors dhcp6_ctl.c:dhcp6_ctl_acceptcommand.
    fn accept(&mut self, now: Instant) {
        for _ in 0..ACCEPTS_PER_CALL {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    if let Err(e) = stream.set_nonblocking(true) {
                        log_warn!("dhcp6_ctl_acceptcommand", "{peer}: {e}");
                        continue;
                    }
                    log_debug!(
                        "dhcp6_ctl_acceptcommand",
                        "accept control connection from {peer}"
                    );
                    if self.conns.len() >= MAX_CONNECTIONS {
                        if let Some(old) = self.conns.pop_front() {
                            log_info!(
                                "dhcp6_ctl_acceptcommand",
                                "command queue is full. drop the oldest one (from {})",
                                old.peer
                            );
                        }
                    }
                    self.conns.push_back(Conn {
                        stream,
                        peer,
                        buf: Box::new([0; MAX_LEN]),
                        filled: 0,
                        need: HEADER_LEN,
                        deadline: now + self.deadline,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // EMFILE, ECONNABORTED …: try again on the next wake-up.
                    log_warn!(
                        "dhcp6_ctl_acceptcommand",
                        "failed to accept control connection: {e}"
                    );
                    return;
                }
            }
        }
    }
}

/// What a daemon's main loop does after the control commands of one
/// wake-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Go on serving.
    Continue,
    /// `stop` arrived: leave the main loop (clean exit, PID file removed).
    Exit,
}

/// Adds the descriptors of a daemon's channel, if it has one, to `fds`
/// (after the ones already there); returns where they are, for
/// [`CtlChannel::receive`].
pub fn push_fds<'a>(ctl: &'a Option<CtlChannel>, fds: &mut PollFds<'a>) -> Range<usize> {
    ctl.as_ref()
        .map_or(fds.len()..fds.len(), |c| c.push_fds(fds))
}

/// The loop's sleep, shortened so a connection that never completes its
/// command is closed on time.
pub fn bound_sleep(ctl: &Option<CtlChannel>, sleep: Duration) -> Duration {
    ctl.as_ref()
        .and_then(|c| c.bound_timeout(Some(sleep)))
        .unwrap_or(sleep)
}

/// A daemon's control channel: the listener and the key its commands are
/// checked with.
#[derive(Debug)]
pub struct CtlChannel {
    listener: CtlListener,
    key: Vec<u8>,
}

impl CtlChannel {
    /// Reads `keyfile` and, if it holds a key, listens on `[::1]:port`.
    /// `Ok(None)` without a key: a missing or bad file is only logged, as
    /// WIDE does, and so is "skip opening control port". A port that cannot
    /// be resolved or bound is an error (the daemon stops). `func` names
    /// the daemon's init function in the log.
    pub fn open(
        keyfile: &Path,
        port: impl FnOnce() -> io::Result<u16>,
        func: &str,
    ) -> Result<Option<Self>, String> {
        let key = match read_key_file(keyfile) {
            Ok(Some(k)) => Some(k),
            Ok(None) => {
                log_info!(func, "no key in {}", keyfile.display());
                None
            }
            Err(e) => {
                log_err!(
                    "dhcp6_ctl_authinit",
                    "failed to read {}: {e}",
                    keyfile.display()
                );
                None
            }
        };
        let Some(key) = key else {
            log_notice!(func, "skip opening control port");
            return Ok(None);
        };
        let port = port().map_err(|e| format!("control port: {e}"))?;
        let listener = CtlListener::bind(Ipv6Addr::LOCALHOST, port)
            .map_err(|e| format!("failed to initialize control channel on [::1]:{port}: {e}"))?;
        log_info!(func, "control channel on [::1]:{port}");
        Ok(Some(Self { listener, key }))
    }

    /// Adds the channel's descriptors to `fds`; returns where they are,
    /// for [`CtlChannel::receive`].
    pub fn push_fds<'a>(&'a self, fds: &mut PollFds<'a>) -> Range<usize> {
        let first = fds.len();
        fds.extend(self.listener.poll_fds());
        first..fds.len()
    }

    /// After a poll in which the channel's descriptors were at `at` (what
    /// [`CtlChannel::push_fds`] returned): services the listener if one of
    /// them is readable or a connection's deadline passed, and checks each
    /// command that arrived against the key and the wall clock. Refused
    /// ones are logged at INFO under `func`; the good ones are returned in
    /// arrival order. `C` is the daemon's command type: a command for the
    /// other daemon is refused like any bad one. Runs every loop turn, so it
    /// reads the wall clock only when there is a command to check.
    pub fn receive<C: Command>(
        &mut self,
        ready: Ready,
        mut at: Range<usize>,
        func: &str,
    ) -> Vec<CtlMessage<C>> {
        let now = Instant::now();
        let readable = at.any(|i| ready.is_readable(i));
        let expired = self.listener.next_deadline().is_some_and(|d| now >= d);
        let mut out = Vec::new();
        if !readable && !expired {
            return out;
        }
        let unix_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let key = &self.key;
        self.listener.service(now, |bytes, peer| {
            match ctl::decode(bytes, Some(key), unix_now) {
                Ok(m) => {
                    log_info!(func, "{} (from {peer})", m.command);
                    out.push(m);
                }
                Err(e) => log_info!(func, "from {peer}: {e}"),
            }
        });
        out
    }

    /// `timeout` shortened so a connection that never completes its
    /// command is closed on time.
    pub fn bound_timeout(&self, timeout: Option<Duration>) -> Option<Duration> {
        match self.listener.next_deadline() {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                Some(timeout.map_or(left, |t| t.min(left)))
            }
            None => timeout,
        }
    }
}

/// Reads a control key file (doc/wide-compat.md §5): `Ok(None)` when it holds no
/// secret (empty file or empty secret: no control port, Debian's rule).
/// Mirrors dhcp6_ctl.c:dhcp6_ctl_authinit.
pub fn read_key_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let mut contents = Vec::new();
    std::fs::File::open(path)?
        .take(KEY_FILE_READ_LIMIT)
        .read_to_end(&mut contents)?;
    ctl::parse_key_file(&contents).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// A TCP port given as a number or a service name (`/etc/services`), as
/// WIDE's getaddrinfo-based `-p` takes it.
pub fn resolve_port(text: &str) -> io::Result<u16> {
    if let Ok(n) = text.parse::<u16>() {
        return Ok(n);
    }
    let bad = || io::Error::new(io::ErrorKind::NotFound, format!("unknown port: {text}"));
    let name = std::ffi::CString::new(text).map_err(|_| bad())?;
    // SAFETY: both arguments are NUL-terminated strings that outlive the
    // call; the result points into libc's static storage and is read at
    // once, before any other netdb call (the daemons are single-threaded
    // when they parse their command line).
    #[allow(unsafe_code)]
    let port = unsafe {
        let ent = libc::getservbyname(name.as_ptr(), c"tcp".as_ptr());
        if ent.is_null() {
            return Err(bad());
        }
        (*ent).s_port
    };
    // s_port holds the 16-bit port in network byte order in an int.
    u16::try_from(port & 0xffff)
        .ok()
        .map(u16::from_be)
        .filter(|p| *p != 0)
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctl::{decode, ClientCommand, CtlMessage, ServerCommand};
    use std::io::Write;
    use std::net::Shutdown;

    const KEY: &[u8] = b"0123456789abcdef";

    fn listener() -> (CtlListener, SocketAddr) {
        let l = CtlListener::bind(Ipv6Addr::LOCALHOST, 0).unwrap();
        let a = l.local_addr().unwrap();
        (l, a)
    }

    fn unix_now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    /// Services once; the commands that arrived whole.
    fn service(l: &mut CtlListener) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        l.service(Instant::now(), |bytes, _| got.push(bytes.to_vec()));
        got
    }

    /// Services until `n` commands arrived or two seconds passed.
    fn collect(l: &mut CtlListener, n: usize) -> Vec<Vec<u8>> {
        let end = Instant::now() + Duration::from_secs(2);
        let mut got = Vec::new();
        while got.len() < n && Instant::now() < end {
            let fds: PollFds<'_> = l.poll_fds().collect();
            let _ = crate::sys::net::wait_readable(&fds, Some(Duration::from_millis(50)));
            drop(fds);
            got.extend(service(l));
        }
        got
    }

    #[test]
    fn one_command_per_connection_nothing_written_back() {
        let (mut l, addr) = listener();
        let msg = CtlMessage::new(ServerCommand::Reload, unix_now())
            .encode(KEY)
            .unwrap();
        let mut c = TcpStream::connect(addr).unwrap();
        // In two parts, as a slow sender would.
        c.write_all(&msg[..7]).unwrap();
        assert!(collect(&mut l, 1).is_empty() || l.connections() == 1);
        c.write_all(&msg[7..]).unwrap();
        let got = collect(&mut l, 1);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0], msg);
        assert_eq!(
            decode::<ServerCommand>(&got[0], Some(KEY), unix_now())
                .unwrap()
                .command,
            ServerCommand::Reload
        );
        assert_eq!(l.connections(), 0);
        // The daemon closed without writing anything.
        c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(c.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn extra_bytes_after_the_command_are_not_read() {
        let (mut l, addr) = listener();
        let mut msg = CtlMessage::new(ClientCommand::Stop, unix_now())
            .encode(KEY)
            .unwrap();
        let n = msg.len();
        msg.extend_from_slice(&[0xee; 100]);
        TcpStream::connect(addr).unwrap().write_all(&msg).unwrap();
        let got = collect(&mut l, 1);
        assert_eq!(got[0], msg[..n]);
    }

    /// Connects and services until the listener holds `want` connections
    /// (the backlog is 1, as WIDE's, so connections are accepted one by one).
    fn connect(l: &mut CtlListener, addr: SocketAddr, want: usize) -> TcpStream {
        let c = TcpStream::connect(addr).unwrap();
        let me = c.local_addr().unwrap();
        let end = Instant::now() + Duration::from_secs(2);
        while !l.conns.iter().any(|k| k.peer == me) && Instant::now() < end {
            service(l);
        }
        assert_eq!(l.connections(), want);
        c
    }

    #[test]
    fn sixth_connection_closes_the_oldest() {
        let (mut l, addr) = listener();
        let mut clients: Vec<TcpStream> = (1..=MAX_CONNECTIONS)
            .map(|n| connect(&mut l, addr, n))
            .collect();
        clients.push(connect(&mut l, addr, MAX_CONNECTIONS));
        // The oldest was closed by the daemon: it reads EOF.
        clients[0]
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(clients[0].read(&mut buf).unwrap(), 0);
        // The second oldest is still open.
        clients[1]
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        assert!(clients[1].read(&mut buf).is_err());
        // The newest one works.
        let msg = CtlMessage::new(ServerCommand::Reload, unix_now())
            .encode(KEY)
            .unwrap();
        clients[MAX_CONNECTIONS].write_all(&msg).unwrap();
        assert_eq!(collect(&mut l, 1).len(), 1);
        assert_eq!(l.connections(), MAX_CONNECTIONS - 1);
    }

    #[test]
    fn silent_connection_is_closed_at_its_deadline() {
        let (mut l, addr) = listener();
        l.set_connection_deadline(Duration::from_millis(100));
        let mut c = connect(&mut l, addr, 1);
        c.write_all(&[0, 1, 0]).unwrap();
        let deadline = l.next_deadline().unwrap();
        assert!(deadline <= Instant::now() + Duration::from_millis(100));
        std::thread::sleep(Duration::from_millis(150));
        assert!(service(&mut l).is_empty());
        assert_eq!(l.connections(), 0);
        assert_eq!(l.next_deadline(), None);
        c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(c.read(&mut buf).unwrap(), 0);
    }

    /// Services until the daemon side of `c` is closed (the client reads EOF).
    fn wait_closed(l: &mut CtlListener, c: &mut TcpStream) {
        c.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let end = Instant::now() + Duration::from_secs(2);
        let mut buf = [0u8; 1];
        loop {
            assert!(service(l).is_empty());
            if let Ok(0) = c.read(&mut buf) {
                break;
            }
            assert!(Instant::now() < end, "connection not closed");
        }
        assert_eq!(l.connections(), 0);
    }

    #[test]
    fn oversized_and_truncated_commands_are_dropped() {
        let (mut l, addr) = listener();
        // Announces 12 + 1013 = 1025 octets: closed once the header is read.
        let mut big = connect(&mut l, addr, 1);
        big.write_all(&[0, 1, 0x03, 0xf5, 0, 0, 0, 0, 0, 0, 0, 0])
            .unwrap();
        wait_closed(&mut l, &mut big);
        // Half a header, then EOF.
        let mut half = connect(&mut l, addr, 1);
        half.write_all(&[0, 1, 0]).unwrap();
        half.shutdown(Shutdown::Write).unwrap();
        wait_closed(&mut l, &mut half);
        // Exactly 1024 octets is read whole.
        let mut max = vec![0u8; MAX_LEN];
        max[3] = 0xf4; // len 1012
        max[2] = 0x03;
        TcpStream::connect(addr).unwrap().write_all(&max).unwrap();
        assert_eq!(collect(&mut l, 1)[0].len(), MAX_LEN);
    }

    #[test]
    fn ports_by_number_and_name() {
        assert_eq!(resolve_port("5547").unwrap(), 5547);
        assert!(resolve_port("no-such-service-here").is_err());
        assert!(resolve_port("70000").is_err());
        if std::path::Path::new("/etc/services").exists() {
            assert_eq!(resolve_port("ssh").unwrap(), 22);
        }
    }

    #[test]
    fn key_files() {
        let dir = std::env::temp_dir().join(format!("kame6-ctlkey-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("k");
        std::fs::write(&p, "MDEyMzQ1Njc4OWFiY2RlZg==\n").unwrap();
        assert_eq!(read_key_file(&p).unwrap(), Some(KEY.to_vec()));
        std::fs::write(&p, "").unwrap();
        assert_eq!(read_key_file(&p).unwrap(), None);
        std::fs::write(&p, "not base64\n").unwrap();
        assert_eq!(
            read_key_file(&p).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        assert!(read_key_file(&dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
