//! Applies the admission controller's decisions (`overload::admission`) to
//! a daemon's socket: the one piece of it that touches the kernel.

use crate::overload::admission::admission_filter;
use crate::overload::{Action, Overload};
use crate::sys::net::Udp6Socket;
use crate::{log_debug, log_info, log_notice, log_warn};

/// Ends an admission interval of a daemon (`fname` names it in the log):
/// reads the kernel's drop counter, lets the controller revise the share,
/// and attaches, replaces or removes the socket filter as it says. One
/// notice when an episode starts and one when it ends; where the system
/// has no socket filter (or refuses it) one line says so and the
/// controller is switched off: shedding then stays in user space.
pub fn admission_interval(sock: &Udp6Socket, ov: &mut Overload, fname: &'static str) {
    if let Ok(raw) = sock.kernel_drops() {
        ov.note_kernel_drops(raw);
    }
    let Some(action) = ov.end_interval() else {
        return;
    };
    let done = match action {
        Action::Attach { share, started } => {
            let done = sock.set_admission_filter(&admission_filter(share));
            if done.is_ok() && started {
                log_notice!(
                    fname,
                    "overload: admitting {:.0}% of new Solicits and Information-requests (kernel socket filter)",
                    share * 100.0
                );
            } else if done.is_ok() {
                log_debug!(fname, "admission share now {:.1}%", share * 100.0);
            }
            done
        }
        Action::Detach { lowest } => {
            let done = sock.clear_admission_filter();
            if done.is_ok() {
                log_notice!(
                    fname,
                    "admission filter removed: every Solicit admitted again (lowest share {:.1}%)",
                    lowest * 100.0
                );
            }
            done
        }
    };
    if let Err(e) = done {
        ov.admission.disable();
        // Nothing attached can stay: drop what may be there, if anything.
        let _ = sock.clear_admission_filter();
        if e.kind() == std::io::ErrorKind::Unsupported {
            log_info!(
                fname,
                "no socket filter here: overload shedding stays in user space"
            );
        } else {
            log_warn!(
                fname,
                "admission filter: {e}; overload shedding stays in user space"
            );
        }
    }
}
