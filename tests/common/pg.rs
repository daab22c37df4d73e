//! A private PostgreSQL 15 server for one test, from Debian's packages:
//! initdb into the test's scratch directory as the unprivileged `nobody`,
//! listening on the loopback of the test's own network namespace only
//! (127.0.0.1 and ::1, the port the test gives: nothing else listens in a
//! new namespace), password authentication with the password in a libpq
//! password file, and Kea 2.2's schema made by `kea-admin db-init pgsql`.
//! Stopped (immediately) and its files removed when dropped, a panicking
//! test included.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::{require_program, wait_until, Netns};

static SERIAL: Mutex<()> = Mutex::new(());

/// One database test of a test binary at a time: each starts a database
/// and puts it under load, and timing on a busy machine is what they
/// measure. A test that panicked does not stop the others.
#[allow(dead_code)] // not every test binary that has this module calls it
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Debian's PostgreSQL 15 programs.
const BIN: &str = "/usr/lib/postgresql/15/bin";
/// The database, user and password the tests use (Kea's defaults).
pub const DB: &str = "kea";
/// See [`DB`].
pub const USER: &str = "kea";
const PASSWORD: &str = "kea-test-password";
/// The unprivileged user PostgreSQL runs as.
const RUN_AS: &str = "nobody";

/// One PostgreSQL server inside a test namespace.
#[derive(Debug)]
pub struct Postgres {
    /// The namespace it listens in.
    pub ns: String,
    /// Its port.
    pub port: u16,
    /// Its directory (data, socket, log), owned by `nobody`.
    pub dir: PathBuf,
    /// The password file for clients.
    pub passfile: String,
}

/// Runs `args` in namespace `ns` as `nobody`, with `dir` as working
/// directory; panics with the output on failure.
fn as_nobody(ns: &str, dir: &Path, args: &[&str]) -> String {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "runuser", "-u", RUN_AS, "--"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("spawn runuser");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{args:?} failed: {text}");
    text
}

impl Postgres {
    /// initdb into `<scratch>/pg-<port>`, start it in `ns` on `port`,
    /// create the database and Kea's schema.
    pub fn start(ns: &Netns, scratch: &Path, port: u16) -> Self {
        let pg = Self::init(ns, scratch, port, &[]);
        pg.start_server();
        pg.psql_as("postgres", &format!("CREATE DATABASE {DB} OWNER {USER}"));
        pg.kea_admin_init();
        pg
    }

    /// A new data directory (not started), `extra` lines appended to its
    /// postgresql.conf.
    pub fn init(ns: &Netns, scratch: &Path, port: u16, extra: &[&str]) -> Self {
        require_program("kea-admin");
        assert!(
            Path::new(BIN).join("initdb").exists(),
            "PostgreSQL 15 is missing: run tools/setup.sh"
        );
        let dir = scratch.join(format!("pg-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("pg dir");
        let chown = Command::new("chown")
            .args([RUN_AS, &dir.to_string_lossy()])
            .status()
            .expect("chown");
        assert!(chown.success());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, PASSWORD).expect("pwfile");
        let _ = Command::new("chown")
            .args([RUN_AS, &pwfile.to_string_lossy()])
            .status();
        let data = dir.join("data");
        as_nobody(
            &ns.name,
            &dir,
            &[
                &format!("{BIN}/initdb"),
                "-D",
                &data.to_string_lossy(),
                "-U",
                USER,
                "--auth=scram-sha-256",
                "--pwfile",
                &pwfile.to_string_lossy(),
                "--no-sync",
            ],
        );
        let _ = std::fs::remove_file(&pwfile);
        let mut conf = format!(
            "listen_addresses = '127.0.0.1,::1'\nport = {port}\n\
             unix_socket_directories = '{}'\nfsync = on\nmax_connections = 40\n",
            dir.to_string_lossy()
        );
        for l in extra {
            conf.push_str(l);
            conf.push('\n');
        }
        append(&data.join("postgresql.conf"), &conf);
        let passfile = scratch.join(format!("pgpass-{port}"));
        std::fs::write(&passfile, format!("*:{port}:*:{USER}:{PASSWORD}\n")).expect("passfile");
        std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600))
            .expect("chmod passfile");
        Self {
            ns: ns.name.clone(),
            port,
            dir,
            passfile: passfile.to_string_lossy().into_owned(),
        }
    }

    /// A primary for streaming replication, with WAL for a standby
    /// ([`Postgres::start_standby`] makes its commits synchronous).
    pub fn start_primary(ns: &Netns, scratch: &Path, port: u16) -> Self {
        let pg = Self::init(
            ns,
            scratch,
            port,
            &[
                "wal_level = replica",
                "max_wal_senders = 4",
                "synchronous_commit = on",
            ],
        );
        pg.start_server();
        pg.psql_as("postgres", &format!("CREATE DATABASE {DB} OWNER {USER}"));
        pg.kea_admin_init();
        pg
    }

    /// A streaming replica of `primary` on `port` (pg_basebackup -R as
    /// `nobody`), started.
    pub fn start_standby(primary: &Self, scratch: &Path, port: u16) -> Self {
        let dir = scratch.join(format!("pg-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("standby dir");
        let _ = Command::new("chown")
            .args([RUN_AS, &dir.to_string_lossy()])
            .status();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        // The password file, readable by nobody for pg_basebackup.
        let pass = dir.join("pgpass");
        std::fs::write(&pass, format!("*:*:*:{USER}:{PASSWORD}\n")).expect("pgpass");
        std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let _ = Command::new("chown")
            .args([RUN_AS, &pass.to_string_lossy()])
            .status();
        let data = dir.join("data");
        as_nobody(
            &primary.ns,
            &dir,
            &[
                "env",
                &format!("PGPASSFILE={}", pass.to_string_lossy()),
                &format!("{BIN}/pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                USER,
                "-D",
                &data.to_string_lossy(),
                "-R",
                "-X",
                "stream",
                // A spread checkpoint would make this wait minutes.
                "-c",
                "fast",
            ],
        );
        // Its own port; once promoted it has no standby to wait for.
        append(
            &data.join("postgresql.conf"),
            &format!(
                "port = {port}\nunix_socket_directories = '{}'\n\
                 synchronous_standby_names = ''\n",
                dir.to_string_lossy()
            ),
        );
        // primary_conninfo (-R wrote one) with the password file.
        append(
            &data.join("postgresql.auto.conf"),
            &format!(
                "primary_conninfo = 'host=127.0.0.1 port={} user={USER} passfile={} application_name=standby'\n",
                primary.port,
                pass.to_string_lossy()
            ),
        );
        let passfile = scratch.join(format!("pgpass-{port}"));
        std::fs::write(&passfile, format!("*:{port}:*:{USER}:{PASSWORD}\n")).expect("passfile");
        std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600))
            .expect("chmod passfile");
        let pg = Self {
            ns: primary.ns.clone(),
            port,
            dir,
            passfile: passfile.to_string_lossy().into_owned(),
        };
        pg.start_server();
        // From now on every commit on the primary waits until the
        // standby has it (set only now: without a standby nothing would
        // commit, kea-admin's schema included).
        primary.psql_as(
            "postgres",
            "ALTER SYSTEM SET synchronous_standby_names = '*'",
        );
        primary.psql_as("postgres", "SELECT pg_reload_conf()");
        let synced = wait_until(Duration::from_secs(30), || {
            primary
                .psql_as(
                    "postgres",
                    "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'",
                )
                .trim()
                == "1"
        });
        assert!(synced, "the standby never became synchronous");
        pg
    }

    /// Promotes a standby to primary.
    pub fn promote(&self) {
        self.pg_ctl(&["-w", "promote"]);
    }

    /// The data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs pg_ctl on the data directory with `args`.
    fn pg_ctl(&self, args: &[&str]) {
        let data = self.data().to_string_lossy().into_owned();
        let mut all = vec![format!("{BIN}/pg_ctl"), "-D".into(), data];
        all.extend(args.iter().map(|a| a.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        as_nobody(&self.ns, &self.dir, &all);
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start_server(&self) {
        let log = self.dir.join("log").to_string_lossy().into_owned();
        self.pg_ctl(&["-l", &log, "-w", "-t", "60", "start"]);
    }

    /// Stops the server: `fast` (sessions ended, clean shutdown) or
    /// `immediate` (as a crash).
    pub fn stop_server(&self, mode: &str) {
        self.pg_ctl(&["-m", mode, "-w", "stop"]);
    }

    /// The connection string for our dhcp6s (password from the file).
    pub fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} dbname={DB} user={USER} passfile={}",
            self.port, self.passfile
        )
    }

    fn kea_admin_init(&self) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns, "kea-admin", "db-init", "pgsql"])
            .args(["-h", "127.0.0.1", "-P", &self.port.to_string()])
            .args(["-u", USER, "-p", PASSWORD, "-n", DB])
            .output()
            .expect("kea-admin");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "kea-admin db-init pgsql: {text}");
    }

    /// `kea-admin lease-dump pgsql -6` into a CSV file; its text.
    pub fn kea_lease_dump(&self) -> String {
        self.kea_lease_dump_family("-6")
    }

    /// `kea-admin lease-dump pgsql -4` into a CSV file; its text.
    pub fn kea_lease_dump4(&self) -> String {
        self.kea_lease_dump_family("-4")
    }

    fn kea_lease_dump_family(&self, family: &str) -> String {
        let csv = self.dir.join("dump.csv");
        let _ = std::fs::remove_file(&csv);
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns,
                "kea-admin",
                "lease-dump",
                "pgsql",
                family,
            ])
            .args(["-h", "127.0.0.1", "-P", &self.port.to_string()])
            .args(["-u", USER, "-p", PASSWORD, "-n", DB, "-o"])
            .arg(&csv)
            .output()
            .expect("kea-admin lease-dump");
        assert!(
            out.status.success(),
            "kea-admin lease-dump: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&csv).unwrap_or_default()
    }

    fn psql_as(&self, db: &str, sql: &str) -> String {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns, "psql", "-X", "-A", "-t", "-q"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", USER, "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql])
            .env("PGPASSFILE", &self.passfile)
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Kea's `lease-database` JSON object for this database.
    pub fn kea_lease_database(&self) -> String {
        format!(
            r#"{{ "type": "postgresql", "name": "{DB}", "host": "127.0.0.1", "port": {}, "user": "{USER}", "password": "{PASSWORD}" }}"#,
            self.port
        )
    }

    /// Runs `sql` in the lease database; its unaligned output.
    pub fn psql(&self, sql: &str) -> String {
        self.psql_as(DB, sql)
    }

    /// Waits until the server accepts connections again.
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        wait_until(timeout, || {
            Command::new("ip")
                .args(["netns", "exec", &self.ns, &format!("{BIN}/pg_isready")])
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
                .output()
                .is_ok_and(|o| o.status.success())
        })
    }

    /// The leases in `lease6`: (address, DUID hex, IAID, lease type, state).
    pub fn leases(&self) -> Vec<(String, String, i64, i64, i64)> {
        self.psql("SELECT address, encode(duid, 'hex'), iaid, lease_type, state FROM lease6")
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('|').collect();
                Some((
                    f.first()?.to_string(),
                    f.get(1)?.to_string(),
                    f.get(2)?.parse().ok()?,
                    f.get(3)?.parse().ok()?,
                    f.get(4)?.parse().ok()?,
                ))
            })
            .collect()
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open postgresql.conf");
    f.write_all(text.as_bytes()).expect("append");
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "exec", &self.ns, "runuser", "-u", RUN_AS, "--"])
            .arg(format!("{BIN}/pg_ctl"))
            .args([
                "-D",
                &self.data().to_string_lossy(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .current_dir(&self.dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_file(&self.passfile);
    }
}
