//! Signals as flags: the handler only records that a signal came; the main
//! loop, woken by the interrupted poll, acts on it (KAME's `process_signals`).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};

static TERM: AtomicBool = AtomicBool::new(false);
static HUP: AtomicBool = AtomicBool::new(false);
static USR1: AtomicBool = AtomicBool::new(false);
static INT: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int) {
    let flag = match sig {
        libc::SIGTERM => &TERM,
        libc::SIGHUP => &HUP,
        libc::SIGUSR1 => &USR1,
        libc::SIGINT => &INT,
        _ => return,
    };
    flag.store(true, Ordering::SeqCst);
}

/// Signals a daemon may catch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caught {
    /// SIGTERM.
    Term,
    /// SIGHUP.
    Hup,
    /// SIGUSR1.
    Usr1,
    /// SIGINT.
    Int,
}

impl Caught {
    fn flag(self) -> &'static AtomicBool {
        match self {
            Self::Term => &TERM,
            Self::Hup => &HUP,
            Self::Usr1 => &USR1,
            Self::Int => &INT,
        }
    }

    fn signal(self) -> Signal {
        match self {
            Self::Term => Signal::SIGTERM,
            Self::Hup => Signal::SIGHUP,
            Self::Usr1 => Signal::SIGUSR1,
            Self::Int => Signal::SIGINT,
        }
    }
}

/// Installs the flag-setting handler for `signals`. No SA_RESTART, so a
/// blocked poll returns EINTR and the loop sees the flag at once.
pub fn catch(signals: &[Caught]) -> io::Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for s in signals {
        // SAFETY: the handler only stores to atomics, which is async-signal-safe.
        #[allow(unsafe_code)]
        unsafe { sigaction(s.signal(), &action) }
            .map_err(|e| io::Error::from_raw_os_error(e as i32))?;
    }
    Ok(())
}

/// Whether `signal` arrived since the last call; clears the flag.
pub fn take(signal: Caught) -> bool {
    signal.flag().swap(false, Ordering::SeqCst)
}
