//! Admission in the kernel: a classic BPF socket filter that drops a
//! random share of Solicits and Information-requests before they are
//! queued, and the controller that chooses the share.
//!
//! User-space shedding ([`super::Shedder`]) reads a stale Solicit before it
//! throws it away: about 2 µs each, which under a tenfold flood is a fifth
//! of a capped server's budget. A socket filter runs in the kernel's
//! receive path (softirq), before the datagram is charged to the receive
//! buffer, so what it drops costs the daemon nothing. The filter only
//! thins out messages that start an exchange; everything else passes, and
//! so does anything it cannot classify (user space still sheds it).
//!
//! Classic BPF because it needs no privileges beyond the socket, no
//! verifier-friendly toolchain and no new dependency: the program is a
//! few dozen instructions built here and unit-tested through an
//! interpreter. The random share comes from the ancillary load
//! `SKF_AD_RANDOM`. doc/overload.md says why and how the share is chosen.

use super::{OPTION_RELAY_MSG, RELAY_HEADER};

/// One classic BPF instruction, as Linux's `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    /// Operation (class, size, mode or operator, source).
    pub code: u16,
    /// Jump offset when the condition holds.
    pub jt: u8,
    /// Jump offset when it does not.
    pub jf: u8,
    /// Constant operand.
    pub k: u32,
}

/// Classic BPF opcodes (linux/filter.h, linux/bpf_common.h).
pub mod op {
    /// Load into A.
    pub const LD: u16 = 0x00;
    /// Load into X.
    pub const LDX: u16 = 0x01;
    /// Store A in scratch memory.
    pub const ST: u16 = 0x02;
    /// Arithmetic on A.
    pub const ALU: u16 = 0x04;
    /// Jumps.
    pub const JMP: u16 = 0x05;
    /// Return.
    pub const RET: u16 = 0x06;
    /// Move A to X.
    pub const MISC: u16 = 0x07;
    /// 32-bit load.
    pub const W: u16 = 0x00;
    /// 16-bit load.
    pub const H: u16 = 0x08;
    /// 8-bit load.
    pub const B: u16 = 0x10;
    /// Load the constant k.
    pub const IMM: u16 = 0x00;
    /// Load from packet offset k.
    pub const ABS: u16 = 0x20;
    /// Load from packet offset X + k.
    pub const IND: u16 = 0x40;
    /// Load from scratch memory slot k.
    pub const MEM: u16 = 0x60;
    /// Load the packet length.
    pub const LEN: u16 = 0x80;
    /// A += operand.
    pub const ADD: u16 = 0x00;
    /// Unconditional jump by k.
    pub const JA: u16 = 0x00;
    /// Jump if A == operand.
    pub const JEQ: u16 = 0x10;
    /// Jump if A > operand (unsigned).
    pub const JGT: u16 = 0x20;
    /// Jump if A >= operand (unsigned).
    pub const JGE: u16 = 0x30;
    /// Operand is k.
    pub const K: u16 = 0x00;
    /// Operand is X.
    pub const X: u16 = 0x08;
    /// MISC: X = A.
    pub const TAX: u16 = 0x00;
    /// Offset of the ancillary loads (`SKF_AD_OFF`).
    pub const SKF_AD_OFF: u32 = 0xffff_f000;
    /// Ancillary load of a random u32 (`SKF_AD_RANDOM`, Linux 3.12).
    pub const SKF_AD_RANDOM: u32 = 56;
}

/// Where the DHCPv6 message starts in what a UDP socket's filter sees:
/// the kernel runs it on the datagram from its UDP header on.
pub const PAYLOAD: u32 = 8;
/// Returned to keep a datagram whole.
pub const KEEP: u32 = u32::MAX;
/// Returned to drop it.
pub const DROP: u32 = 0;

/// Jump targets of the program below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// The next instruction.
    Next,
    Keep,
    Drop,
    /// A Solicit or Information-request: drawn at random.
    Starts,
    /// Relay-forward whose first option is the Relay Message.
    Direct,
    /// A holds the offset of a Relay Message option's header.
    Check,
}

/// One line of the assembly, before jumps are resolved.
#[derive(Debug, Clone, Copy)]
enum Asm {
    At(Label),
    Op(u16, u32),
    Jump(u16, u32, Label, Label),
    Always(Label),
}

use Asm::{Always, At, Jump, Op};
use Label::{Check, Direct, Drop, Keep, Next, Starts};

/// Message types the filter may drop (Solicit, Information-request).
const SOLICIT: u32 = 1;
const INFORMATION_REQUEST: u32 = 11;
const RELAY_FORW: u32 = 12;
/// Offset, from the UDP header, of a Relay-forward's first option.
#[allow(clippy::cast_possible_truncation)] // 34 octets
const RELAY_OPTIONS: u32 = PAYLOAD + RELAY_HEADER as u32;
/// OPTION_INTERFACE_ID.
const OPTION_INTERFACE_ID: u32 = 18;

/// The admission filter for `share` (0 to 1): a Solicit or
/// Information-request, sent directly or inside one Relay-forward whose
/// Relay Message option is the first option or follows one Interface-ID,
/// passes with probability `share`; every other datagram passes. Each load
/// is preceded by a length check: a classic BPF load past the end of the
/// packet ends the program with "drop", and a truncated datagram must pass.
pub fn admission_filter(share: f64) -> Vec<Insn> {
    const LD_LEN: u16 = op::LD | op::W | op::LEN;
    const LDX_LEN: u16 = op::LDX | op::W | op::LEN;
    const LDB: u16 = op::LD | op::B | op::ABS;
    const LDH: u16 = op::LD | op::H | op::ABS;
    const JEQ: u16 = op::JMP | op::JEQ | op::K;
    const JGE: u16 = op::JMP | op::JGE | op::K;
    const JGT_X: u16 = op::JMP | op::JGT | op::X;
    const ADD: u16 = op::ALU | op::ADD | op::K;
    const ADD_X: u16 = op::ALU | op::ADD | op::X;
    const LDX_M: u16 = op::LDX | op::W | op::MEM;
    let opts = RELAY_OPTIONS;
    let mut asm = vec![
        // A direct message: its first octet is the type.
        Op(LD_LEN, 0),
        Jump(JGE, PAYLOAD + 1, Next, Keep),
        Op(LDB, PAYLOAD),
        Jump(JEQ, SOLICIT, Starts, Next),
        Jump(JEQ, INFORMATION_REQUEST, Starts, Next),
        Jump(JEQ, RELAY_FORW, Next, Keep),
        // Relay-forward: the first option's header must be there.
        Op(LD_LEN, 0),
        Jump(JGE, opts + 4, Next, Keep),
        Op(LDH, opts),
        Jump(JEQ, u32::from(OPTION_RELAY_MSG), Direct, Next),
        Jump(JEQ, OPTION_INTERFACE_ID, Next, Keep),
        // After an Interface-ID: the next option's header.
        Op(LDH, opts + 2),
        Op(ADD, opts + 4),
        Always(Check),
        At(Direct),
        Op(op::LD | op::IMM, opts),
        // A = the candidate option's offset; kept in M[0] as X is reused.
        At(Check),
        Op(op::ST, 0),
        Op(ADD, 4),
        Op(LDX_LEN, 0),
        Jump(JGT_X, 0, Keep, Next),
        Op(LDX_M, 0),
        Op(op::LD | op::H | op::IND, 0),
        Jump(JEQ, u32::from(OPTION_RELAY_MSG), Next, Keep),
        // The relayed message must be there whole, at least one octet.
        Op(op::LD | op::H | op::IND, 2),
        Jump(JEQ, 0, Keep, Next),
        Op(ADD_X, 0),
        Op(ADD, 4),
        Op(LDX_LEN, 0),
        Jump(JGT_X, 0, Keep, Next),
        Op(LDX_M, 0),
        Op(op::LD | op::B | op::IND, 4),
        Jump(JEQ, SOLICIT, Starts, Next),
        Jump(JEQ, INFORMATION_REQUEST, Starts, Keep),
        At(Starts),
    ];
    match threshold(share) {
        // Kept when the random draw is below share × 2³².
        Some(t) => {
            asm.push(Op(
                op::LD | op::W | op::ABS,
                op::SKF_AD_OFF + op::SKF_AD_RANDOM,
            ));
            asm.push(Jump(JGE, t, Drop, Keep));
        }
        None => asm.push(Always(Keep)),
    }
    asm.extend([
        At(Keep),
        Op(op::RET | op::K, KEEP),
        At(Drop),
        Op(op::RET | op::K, DROP),
    ]);
    assemble(&asm)
}

/// The random draw at or above which a Solicit is dropped; `None` when
/// every one passes (share 1 or more).
fn threshold(share: f64) -> Option<u32> {
    let share = if share.is_nan() { 1.0 } else { share };
    if share >= 1.0 {
        return None;
    }
    // In [0, 2³²): the conversion cannot saturate.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some((share.max(0.0) * 4_294_967_296.0) as u32)
}

/// Resolves labels into the relative forward jumps of classic BPF. The
/// program above is fixed and short, so every offset fits (the unit
/// tests run every path).
fn assemble(asm: &[Asm]) -> Vec<Insn> {
    let mut at = Vec::new();
    let mut n = 0usize;
    for a in asm {
        match a {
            At(l) => at.push((*l, n)),
            _ => n += 1,
        }
    }
    let pos = |l: Label, from: usize| -> usize {
        if l == Next {
            return 0;
        }
        let target = at.iter().find(|(x, _)| *x == l).map_or(from + 1, |p| p.1);
        target.saturating_sub(from + 1)
    };
    let mut out = Vec::with_capacity(n);
    for a in asm {
        let i = out.len();
        let insn = match *a {
            At(_) => continue,
            Op(code, k) => Insn {
                code,
                jt: 0,
                jf: 0,
                k,
            },
            Jump(code, k, t, f) => Insn {
                code,
                jt: u8::try_from(pos(t, i)).unwrap_or(u8::MAX),
                jf: u8::try_from(pos(f, i)).unwrap_or(u8::MAX),
                k,
            },
            Always(t) => Insn {
                code: op::JMP | op::JA,
                jt: 0,
                jf: 0,
                k: u32::try_from(pos(t, i)).unwrap_or(u32::MAX),
            },
        };
        out.push(insn);
    }
    out
}

/// What one interval of the daemon's loop saw, for [`Admission::end_interval`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Interval {
    /// Solicits and Information-requests read (those the filter let through).
    pub starts_read: u64,
    /// Of those, shed in user space as stale.
    pub starts_shed: u64,
    /// The user-space shedder is under pressure (the queue is not drained
    /// below its low threshold).
    pub pressure: bool,
}

/// What the daemon should do to its socket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Attach [`admission_filter`] with this share (replacing any filter).
    /// `started` on the first of an episode, for its log line.
    Attach {
        /// The share to admit.
        share: f64,
        /// This attach begins an episode.
        started: bool,
    },
    /// Detach the filter: the episode is over.
    Detach {
        /// The lowest share of the episode, for its log line.
        lowest: f64,
    },
}

/// Solicits shed in user space in one interval below which the interval
/// neither lowers nor raises the share: a stray is no evidence.
pub const MIN_SHED: u64 = 16;
/// What passes the filter, as a multiple of what user space served: a
/// little more than the server can answer, so it never idles for want of
/// admitted Solicits (an extra one costs a read and a drop, ~2 µs; a
/// missing one costs a whole exchange), and a share shed in user space
/// that stays from a capped server's pauses (CPU-cgroup throttling makes
/// some of what waited stale whatever the load) is not taken for excess.
pub const HEADROOM: f64 = 1.5;
/// Largest cut of one interval: the share falls at most to half, so one
/// odd interval (a stall, a throttled stretch of a capped server, a
/// burst) cannot shut new clients out; a tenfold flood is still down to
/// its share within a few intervals.
pub const MAX_CUT: f64 = 0.5;
/// Additive raise of an interval without shedding while the queue is
/// still under pressure: careful, near the load the server can take.
pub const RAISE_PRESSED: f64 = 0.02;
/// Additive raise of an interval without pressure: the flood is probably
/// over; back to admitting everything within two seconds of 100 ms
/// intervals, about when the clients shut out retransmit (SOL_TIMEOUT 1 s,
/// doubled).
pub const RAISE_QUIET: f64 = 0.05;

/// The admission controller: AIMD on the share of new exchanges the kernel
/// lets through, driven by what user space still had to shed.
#[derive(Debug, Clone, PartialEq)]
pub struct Admission {
    share: f64,
    attached: Option<f64>,
    lowest: f64,
    enabled: bool,
    starts_read: u64,
    starts_shed: u64,
    /// Episodes begun (a filter attached from none).
    pub episodes: u64,
}

impl Admission {
    /// Everything admitted, no filter.
    pub const fn new() -> Self {
        Self {
            share: 1.0,
            attached: None,
            lowest: 1.0,
            enabled: true,
            starts_read: 0,
            starts_shed: 0,
            episodes: 0,
        }
    }

    /// No socket filter on this system: never asks for one again.
    pub fn disable(&mut self) {
        self.enabled = false;
        self.attached = None;
        self.share = 1.0;
    }

    /// The share of the filter on the socket (1 when there is none).
    pub fn share(&self) -> f64 {
        self.attached.unwrap_or(1.0)
    }

    /// Counts one Solicit or Information-request read, shed or not.
    pub fn observe_start(&mut self, shed: bool) {
        self.starts_read += 1;
        self.starts_shed += u64::from(shed);
    }

    /// The counts since the last interval, taken.
    pub fn take_interval(&mut self, pressure: bool) -> Interval {
        let iv = Interval {
            starts_read: self.starts_read,
            starts_shed: self.starts_shed,
            pressure,
        };
        self.starts_read = 0;
        self.starts_shed = 0;
        iv
    }

    /// Ends an interval: when user space shed more than [`HEADROOM`]
    /// allows, cuts the share so that what passes is `HEADROOM` times
    /// what it served (what the server can complete); raises it
    /// additively when it shed less, or none. The action for the socket
    /// when the share moved by a meaningful step.
    pub fn end_interval(&mut self, iv: Interval) -> Option<Action> {
        if !self.enabled {
            return None;
        }
        // The share of the Solicits that passed which user space served,
        // once enough were shed to mean something.
        let served = (iv.starts_shed >= MIN_SHED && iv.starts_read > 0).then(|| {
            #[allow(clippy::cast_precision_loss)]
            let s = (iv.starts_read - iv.starts_shed.min(iv.starts_read)) as f64
                / iv.starts_read as f64;
            s
        });
        let raise = if iv.pressure {
            RAISE_PRESSED
        } else {
            RAISE_QUIET
        };
        match served {
            Some(s) if s * HEADROOM < 1.0 => self.share *= (s * HEADROOM).max(MAX_CUT),
            // Shed within the headroom, or nothing shed: room for more.
            Some(_) => self.share = (self.share + raise).min(1.0),
            None if iv.starts_shed == 0 && self.attached.is_some() => {
                self.share = (self.share + raise).min(1.0);
            }
            // A few strays: no evidence either way.
            None => {}
        }
        self.lowest = self.lowest.min(self.share);
        match self.attached {
            Some(_) if self.share >= 1.0 => {
                let lowest = self.lowest;
                self.attached = None;
                self.share = 1.0;
                self.lowest = 1.0;
                Some(Action::Detach { lowest })
            }
            Some(q) if (self.share - q).abs() <= q / 8.0 + 0.01 => None,
            None if self.share >= 1.0 => None,
            prev => {
                self.attached = Some(self.share);
                if prev.is_none() {
                    self.episodes += 1;
                }
                Some(Action::Attach {
                    share: self.share,
                    started: prev.is_none(),
                })
            }
        }
    }
}

impl Default for Admission {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a classic BPF program on `pkt` (from the UDP header on) as the
    /// kernel would for a socket filter: a load past the end returns 0
    /// (drop), `random` stands for SKF_AD_RANDOM. Also checks what the
    /// kernel's checker does: jumps stay inside, scratch slots are written
    /// before they are read, the program ends in a return.
    fn run(prog: &[Insn], pkt: &[u8], random: u32) -> u32 {
        assert!(!prog.is_empty() && prog.len() <= 4096);
        assert_eq!(prog.last().unwrap().code & 0x07, op::RET);
        let (mut a, mut x, mut mem) = (0u32, 0u32, [None::<u32>; 16]);
        let load = |off: u32, size: u16| -> Option<u32> {
            let n = match size {
                op::W => 4,
                op::H => 2,
                _ => 1,
            };
            let off = usize::try_from(off).ok()?;
            let b = pkt.get(off..off.checked_add(n)?)?;
            Some(b.iter().fold(0u32, |acc, &v| acc << 8 | u32::from(v)))
        };
        let mut pc = 0usize;
        for _ in 0..=prog.len() {
            let i = prog[pc];
            let mut next = pc + 1;
            match (i.code & 0x07, i.code & 0xe0, i.code & 0x18) {
                (op::LD, op::ABS, _) if i.k == op::SKF_AD_OFF + op::SKF_AD_RANDOM => a = random,
                (op::LD, op::ABS, size) => match load(i.k, size) {
                    Some(v) => a = v,
                    None => return DROP,
                },
                (op::LD, op::IND, size) => match load(x.wrapping_add(i.k), size) {
                    Some(v) => a = v,
                    None => return DROP,
                },
                (op::LD, op::LEN, _) => a = u32::try_from(pkt.len()).unwrap(),
                (op::LD, op::IMM, _) => a = i.k,
                (op::LDX, op::LEN, _) => x = u32::try_from(pkt.len()).unwrap(),
                (op::LDX, op::MEM, _) => x = mem[i.k as usize].expect("slot read before written"),
                (op::ST, _, _) => mem[i.k as usize] = Some(a),
                (op::ALU, _, _) if i.code & 0xf0 == op::ADD => {
                    let v = if i.code & op::X != 0 { x } else { i.k };
                    a = a.wrapping_add(v);
                }
                (op::MISC, _, _) if i.code & 0xf8 == op::TAX => x = a,
                (op::RET, _, _) => return i.k,
                (op::JMP, _, _) => {
                    let v = if i.code & op::X != 0 { x } else { i.k };
                    let taken = match i.code & 0xf0 {
                        op::JA => {
                            next += i.k as usize;
                            None
                        }
                        op::JEQ => Some(a == v),
                        op::JGT => Some(a > v),
                        op::JGE => Some(a >= v),
                        other => panic!("jump {other:#x}"),
                    };
                    if let Some(t) = taken {
                        next += usize::from(if t { i.jt } else { i.jf });
                    }
                }
                _ => panic!("instruction {:#x}", i.code),
            }
            assert!(next < prog.len(), "jump out of the program");
            pc = next;
        }
        panic!("a loop in a classic BPF program")
    }

    fn udp(payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x02, 0x22, 0x02, 0x23, 0, 0, 0, 0];
        p.extend_from_slice(payload);
        p
    }

    fn option(code: u16, body: &[u8]) -> Vec<u8> {
        let mut o = code.to_be_bytes().to_vec();
        o.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        o.extend_from_slice(body);
        o
    }

    /// A client message of type `t` with a Client ID and Elapsed Time.
    fn client(t: u8) -> Vec<u8> {
        let mut m = vec![t, 0x12, 0x34, 0x56];
        m.extend(option(1, &[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]));
        m.extend(option(8, &[0, 0]));
        m
    }

    /// A Relay-forward around `inner`, with `before` options ahead of the
    /// Relay Message and an Interface-ID after it when `id_after`.
    fn relayed(inner: &[u8], before: &[Vec<u8>], id_after: bool) -> Vec<u8> {
        let mut m = vec![12u8, 0];
        m.extend_from_slice(&[0x20, 1, 0xd, 0xb8].repeat(4));
        m.extend_from_slice(&[0xfe, 0x80].repeat(8));
        for o in before {
            m.extend_from_slice(o);
        }
        m.extend(option(9, inner));
        if id_after {
            m.extend(option(18, b"eth0"));
        }
        m
    }

    fn kept(share: f64, payload: &[u8], random: u32) -> bool {
        run(&admission_filter(share), &udp(payload), random) != DROP
    }

    #[test]
    fn starts_drop_at_zero_and_pass_at_one() {
        let iface = option(18, &[0, 0, 0, 2]);
        let golden = [
            client(1),
            client(11),
            relayed(&client(1), &[], true),
            relayed(&client(11), &[], false),
            relayed(&client(1), std::slice::from_ref(&iface), false),
            relayed(&client(11), &[option(18, b"")], false),
        ];
        for (n, m) in golden.iter().enumerate() {
            for r in [0, 1, 0x8000_0000, u32::MAX] {
                assert!(!kept(0.0, m, r), "#{n} kept at 0, random {r:#x}");
                assert!(kept(1.0, m, r), "#{n} dropped at 1, random {r:#x}");
            }
            // At one half: the draw decides.
            assert!(kept(0.5, m, 0x7fff_ffff), "#{n}");
            assert!(!kept(0.5, m, 0x8000_0000), "#{n}");
        }
        assert_eq!(threshold(0.0), Some(0));
        assert_eq!(threshold(f64::NAN), None);
        assert_eq!(threshold(0.25), Some(0x4000_0000));
    }

    #[test]
    fn everything_else_always_passes() {
        let iface = option(18, &[0, 0, 0, 2]);
        let mut golden = vec![
            // Request, Renew, Release, Reply, Relay-reply (around an Advertise).
            client(3),
            client(5),
            client(8),
            client(7),
            relayed(&client(2), &[], true)
                .into_iter()
                .enumerate()
                .map(|(i, b)| if i == 0 { 13 } else { b })
                .collect(),
            // Relayed Request and Renew, either layout.
            relayed(&client(3), &[], true),
            relayed(&client(5), std::slice::from_ref(&iface), false),
            // What the filter does not classify: a relayed Solicit behind
            // another option, behind two Interface-IDs, nested twice; an
            // empty Relay Message; a relayed Relay-forward.
            relayed(&client(1), &[option(37, &[0, 0, 0, 9, 1])], false),
            relayed(&client(1), &[iface.clone(), iface.clone()], false),
            relayed(&relayed(&client(1), &[], true), &[], true),
            relayed(&[], &[], true),
            // Unknown types and the empty datagram.
            client(0),
            client(255),
            vec![],
        ];
        for t in 2..=255u8 {
            if t != 11 {
                golden.push(vec![t]);
            }
        }
        for (n, m) in golden.iter().enumerate() {
            for r in [0, u32::MAX] {
                assert!(kept(0.0, m, r), "#{n} {m:02x?} dropped");
            }
        }
    }

    #[test]
    fn truncated_datagrams_pass() {
        let iface = option(18, &[0, 0, 0, 2]);
        // Cut anywhere before the relayed message's last octet: the Relay
        // Message's header or body no longer fits. (An Interface-ID after
        // it may be cut: the relayed message is whole.)
        for (whole, after) in [
            (relayed(&client(1), &[], true), 8),
            (relayed(&client(1), std::slice::from_ref(&iface), false), 0),
        ] {
            for n in 0..whole.len() - after {
                assert!(kept(0.0, &whole[..n], 0), "{n} of {} octets", whole.len());
            }
            assert!(!kept(0.0, &whole[..whole.len() - after], 0));
        }
        // A Solicit's type alone is enough to classify it.
        assert!(!kept(0.0, &[1], 0));
        assert!(!kept(0.0, &client(1)[..2], 0));
    }

    #[test]
    fn the_program_is_short_and_resolves_every_jump() {
        for share in [0.0, 0.3, 1.0] {
            let prog = admission_filter(share);
            assert!(prog.len() < 64, "{}", prog.len());
            for (i, insn) in prog.iter().enumerate() {
                if insn.code & 0x07 == op::JMP {
                    let reach = if insn.code & 0xf0 == op::JA {
                        insn.k as usize
                    } else {
                        usize::from(insn.jt.max(insn.jf))
                    };
                    assert!(i + 1 + reach < prog.len(), "insn {i}");
                }
            }
        }
    }

    fn interval(read: u64, shed: u64, pressure: bool) -> Interval {
        Interval {
            starts_read: read,
            starts_shed: shed,
            pressure,
        }
    }

    #[test]
    fn nothing_happens_without_shedding() {
        let mut a = Admission::new();
        for _ in 0..100 {
            assert_eq!(a.end_interval(interval(10_000, 0, true)), None);
            assert_eq!(a.end_interval(interval(1000, MIN_SHED - 1, true)), None);
        }
        assert_eq!(a.share(), 1.0);
        assert_eq!(a.episodes, 0);
    }

    #[test]
    fn shedding_cuts_in_proportion_then_the_quiet_restores() {
        let attached = |act: Option<Action>| match act {
            Some(Action::Attach { share, .. }) => share,
            other => panic!("{other:?}"),
        };
        let near = |a: f64, b: f64| (a - b).abs() < 1e-9;
        let mut a = Admission::new();
        // User space served 40 % of the Solicits that reached it: let
        // through 1.5 times that.
        assert_eq!(
            a.end_interval(interval(1000, 600, true)),
            Some(Action::Attach {
                share: 0.4 * HEADROOM,
                started: true
            })
        );
        // A third served: the share follows...
        let share = attached(a.end_interval(interval(600, 400, true)));
        assert!(near(share, 0.3), "{share}");
        // ... but a small move is not worth a setsockopt.
        assert_eq!(a.end_interval(interval(300, 0, true)), None);
        assert!(near(a.share(), 0.3));
        // Shedding within the headroom is no reason to cut: a slow climb.
        assert_eq!(a.end_interval(interval(1000, 300, true)), None);
        // Everything shed: at most half is cut.
        let share = attached(a.end_interval(interval(340, 340, true)));
        assert!(near(share, 0.34 * MAX_CUT), "{share}");
        // Under pressure, nothing shed: a slow climb.
        let before = a.share();
        let mut attaches = 0;
        for _ in 0..20 {
            attaches += usize::from(a.end_interval(interval(50, 0, true)).is_some());
        }
        assert!(a.share() > before && a.share() < 0.6, "{}", a.share());
        assert!(attaches < 20, "every small step re-attached");
        // Quiet: back to everything, the filter detached, one episode.
        let mut last = None;
        for _ in 0..40 {
            if let Some(act) = a.end_interval(interval(5, 0, false)) {
                last = Some(act);
            }
        }
        let Some(Action::Detach { lowest }) = last else {
            panic!("not detached: {last:?}")
        };
        assert!(near(lowest, 0.34 * MAX_CUT), "{lowest}");
        assert_eq!(a.share(), 1.0);
        assert_eq!(a.episodes, 1);
    }

    #[test]
    fn counts_are_taken_per_interval_and_disabling_stops_it() {
        let mut a = Admission::new();
        for i in 0..100 {
            a.observe_start(i % 2 == 0);
        }
        assert_eq!(a.take_interval(true), interval(100, 50, true));
        assert_eq!(a.take_interval(false), interval(0, 0, false));
        a.disable();
        assert_eq!(a.end_interval(interval(100, 100, true)), None);
        assert_eq!(a.share(), 1.0);
    }
}
