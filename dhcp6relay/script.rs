//! The `-S` script: run after a Relay-reply carrying a Reply has been
//! relayed, with WIDE's environment (doc/wide-compat.md §3.2). Unlike WIDE, the
//! relay does not stop relaying while the script runs: children are reaped
//! from the main loop.

use std::net::SocketAddrV6;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use libdhcp6::wire::{MessageRepr, OptionRepr};

/// The environment WIDE's relay gives its script for one relayed Reply:
/// `client` (the peer address, `%ifname` on a link-local one), then
/// `iana_N` / `iapd_N` per IA with comma-separated leases and `#code` for
/// an IA-level status.
pub fn script_env(reply: &[u8], client: &SocketAddrV6, ifname: &str) -> Vec<(String, String)> {
    let mut env = Vec::new();
    let ip = client.ip();
    let client = if ip.is_unicast_link_local() {
        format!("{ip}%{ifname}")
    } else {
        ip.to_string()
    };
    env.push(("client".to_string(), client));
    let Ok(msg) = MessageRepr::from_bytes(reply) else {
        return env;
    };
    let (mut na, mut pd) = (0usize, 0usize);
    for opt in &msg.options {
        let (options, key) = match opt {
            OptionRepr::IaNa(ia) => {
                na += 1;
                (&ia.options, format!("iana_{}", na - 1))
            }
            OptionRepr::IaPd(ia) => {
                pd += 1;
                (&ia.options, format!("iapd_{}", pd - 1))
            }
            _ => continue,
        };
        let mut items: Vec<String> = Vec::new();
        for o in options {
            match o {
                OptionRepr::IaAddr(a) => items.push(a.addr.to_string()),
                OptionRepr::IaPrefix(p) => items.push(format!("{}/{}", p.prefix, p.prefix_len)),
                OptionRepr::StatusCode(s) => items.push(format!("#{}", s.status.value())),
                _ => {}
            }
        }
        env.push((key, items.join(",")));
    }
    env
}

/// Runs scripts and reaps them.
#[derive(Debug, Default)]
pub struct ScriptRunner {
    path: Option<PathBuf>,
    children: Vec<Child>,
}

/// At most this many scripts run at once; more Replies meanwhile are not scripted.
const MAX_CHILDREN: usize = 32;

impl ScriptRunner {
    /// A runner for `path` (none: nothing runs).
    pub fn new(path: Option<PathBuf>) -> Self {
        Self {
            path,
            children: Vec::new(),
        }
    }

    /// Starts the script with exactly `env` as its environment. Like WIDE, a
    /// symbolic link or a non-regular file is refused.
    pub fn run(&mut self, env: &[(String, String)]) -> Result<(), String> {
        self.reap();
        let Some(path) = &self.path else {
            return Ok(());
        };
        if self.children.len() >= MAX_CHILDREN {
            return Err(format!(
                "{} scripts still running; not starting another",
                MAX_CHILDREN
            ));
        }
        check_script(path)?;
        let child = Command::new(path)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        self.children.push(child);
        Ok(())
    }

    /// Collects finished children.
    pub fn reap(&mut self) {
        self.children
            .retain_mut(|c| matches!(c.try_wait(), Ok(None)));
    }
}

fn check_script(path: &Path) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.file_type().is_file() {
        return Err(format!("{}: not a regular file", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use libdhcp6::codes::{MessageType, Status};
    use libdhcp6::wire::{IaAddr, IaNa, IaPd, IaPrefix, StatusCode};

    #[test]
    fn wide_environment() {
        let reply = MessageRepr {
            msg_type: MessageType::Reply,
            transaction_id: 1,
            options: vec![
                OptionRepr::IaNa(IaNa {
                    iaid: 1,
                    t1: 0,
                    t2: 0,
                    options: vec![OptionRepr::IaAddr(IaAddr {
                        addr: "2001:db8::5".parse().unwrap(),
                        preferred_lifetime: 1,
                        valid_lifetime: 2,
                        options: vec![],
                    })],
                }),
                OptionRepr::IaPd(IaPd {
                    iaid: 1,
                    t1: 0,
                    t2: 0,
                    options: vec![OptionRepr::IaPrefix(IaPrefix {
                        preferred_lifetime: 1,
                        valid_lifetime: 2,
                        prefix_len: 56,
                        prefix: "2001:db8:200::".parse().unwrap(),
                        options: vec![],
                    })],
                }),
                OptionRepr::IaPd(IaPd {
                    iaid: 2,
                    t1: 0,
                    t2: 0,
                    options: vec![OptionRepr::StatusCode(StatusCode::new(
                        Status::NoPrefixAvail,
                    ))],
                }),
            ],
        }
        .to_vec()
        .unwrap();
        let peer = SocketAddrV6::new("fe80::b0dc:ff:fef7:3abb".parse().unwrap(), 546, 0, 3);
        let env = script_env(&reply, &peer, "r0");
        assert_eq!(
            env,
            vec![
                ("client".into(), "fe80::b0dc:ff:fef7:3abb%r0".into()),
                ("iana_0".into(), "2001:db8::5".into()),
                ("iapd_0".into(), "2001:db8:200::/56".into()),
                ("iapd_1".into(), "#6".into()),
            ]
        );
    }
}
