//! KAME-style logging: every line is `function: text`. In the foreground
//! (`-f`) lines go to stderr prefixed with local time as
//! `Nov/25/2026 12:12:35: `; otherwise to syslog, facility daemon, with the
//! program name and PID (doc/wide-compat.md §1.1). `-d` logs up to INFO, `-D` up to
//! DEBUG, neither up to ERR.

use std::ffi::CString;
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::OnceLock;

/// Severity, ordered from most to least severe (syslog's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// LOG_ERR.
    Err = 3,
    /// LOG_WARNING.
    Warning = 4,
    /// LOG_NOTICE.
    Notice = 5,
    /// LOG_INFO.
    Info = 6,
    /// LOG_DEBUG.
    Debug = 7,
}

static MAX_LEVEL: AtomicU8 = AtomicU8::new(Level::Err as u8);
static FOREGROUND: AtomicBool = AtomicBool::new(true);
static IDENT: OnceLock<CString> = OnceLock::new();

/// Sets up logging for a daemon: `program` is the syslog ident, `level` the
/// most verbose level shown, `foreground` sends lines to stderr instead of syslog.
pub fn init(program: &str, level: Level, foreground: bool) {
    MAX_LEVEL.store(level as u8, Ordering::Relaxed);
    FOREGROUND.store(foreground, Ordering::Relaxed);
    if !foreground {
        let ident = IDENT.get_or_init(|| {
            CString::new(program.replace('\0', "")).unwrap_or_else(|_| c"kame6".to_owned())
        });
        // SAFETY: `ident` lives in a static for the rest of the process, as
        // openlog requires; the flags and facility are plain constants.
        #[allow(unsafe_code)]
        unsafe {
            libc::openlog(
                ident.as_ptr(),
                libc::LOG_NDELAY | libc::LOG_PID,
                libc::LOG_DAEMON,
            )
        };
    }
}

/// The level chosen by WIDE's flags: `-D` debug, `-d` info, else errors only.
pub fn level_from_flags(debug: bool, info: bool) -> Level {
    if debug {
        Level::Debug
    } else if info {
        Level::Info
    } else {
        Level::Err
    }
}

/// True when a line at `level` would be written (to skip building costly ones).
pub fn enabled(level: Level) -> bool {
    level as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
}

fn local_timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let t = libc::time_t::try_from(now).unwrap_or(0);
    // SAFETY: localtime_r writes only into `tm`, which we own; `t` is a valid time_t.
    #[allow(unsafe_code)]
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return String::from("???/00/0000 00:00:00");
        }
        tm
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = usize::try_from(tm.tm_mon)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .unwrap_or(&"???");
    format!(
        "{month}/{:02}/{:04} {:02}:{:02}:{:02}",
        tm.tm_mday,
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

/// Writes one line as `function: text` at `level`.
pub fn emit(level: Level, function: &str, args: fmt::Arguments<'_>) {
    if enabled(level) {
        write_line(level, function, args);
    }
}

/// Writes one line as `function: text` at `level` whatever `-d` / `-D`
/// select: for what the operator asked for by a signal (the counters of
/// SIGUSR1), which would be lost otherwise without `-d`.
pub fn emit_always(level: Level, function: &str, args: fmt::Arguments<'_>) {
    write_line(level, function, args);
}

fn write_line(level: Level, function: &str, args: fmt::Arguments<'_>) {
    let line = format!("{function}: {args}");
    if FOREGROUND.load(Ordering::Relaxed) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{}: {line}", local_timestamp());
    } else if let Ok(c) = CString::new(line.replace('\0', " ")) {
        // SAFETY: a constant "%s" format with one NUL-terminated string argument.
        #[allow(unsafe_code)]
        unsafe {
            libc::syslog(level as libc::c_int, c"%s".as_ptr(), c.as_ptr())
        };
    }
}

/// Logs at ERR: `log_err!("function", "format", args...)`.
#[macro_export]
macro_rules! log_err {
    ($f:expr, $($arg:tt)*) => { $crate::sys::log::emit($crate::sys::log::Level::Err, $f, format_args!($($arg)*)) };
}

/// Logs at WARNING.
#[macro_export]
macro_rules! log_warn {
    ($f:expr, $($arg:tt)*) => { $crate::sys::log::emit($crate::sys::log::Level::Warning, $f, format_args!($($arg)*)) };
}

/// Logs at NOTICE.
#[macro_export]
macro_rules! log_notice {
    ($f:expr, $($arg:tt)*) => { $crate::sys::log::emit($crate::sys::log::Level::Notice, $f, format_args!($($arg)*)) };
}

/// Logs at INFO.
#[macro_export]
macro_rules! log_info {
    ($f:expr, $($arg:tt)*) => { $crate::sys::log::emit($crate::sys::log::Level::Info, $f, format_args!($($arg)*)) };
}

/// Logs at NOTICE whatever the `-d` / `-D` level: the counters an
/// operator asks for with SIGUSR1.
#[macro_export]
macro_rules! log_report {
    ($f:expr, $($arg:tt)*) => { $crate::sys::log::emit_always($crate::sys::log::Level::Notice, $f, format_args!($($arg)*)) };
}

/// Logs at DEBUG; the arguments are not even formatted unless debug is on.
#[macro_export]
macro_rules! log_debug {
    ($f:expr, $($arg:tt)*) => {
        if $crate::sys::log::enabled($crate::sys::log::Level::Debug) {
            $crate::sys::log::emit($crate::sys::log::Level::Debug, $f, format_args!($($arg)*))
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_wide_flags() {
        assert_eq!(level_from_flags(true, true), Level::Debug);
        assert_eq!(level_from_flags(false, true), Level::Info);
        assert_eq!(level_from_flags(false, false), Level::Err);
        assert!(Level::Err < Level::Debug);
    }

    #[test]
    fn timestamp_shape() {
        let t = local_timestamp();
        // e.g. "Nov/25/2026 12:12:35"
        assert_eq!(t.len(), 20, "{t}");
        assert_eq!(&t[3..4], "/");
        assert_eq!(&t[6..7], "/");
    }
}
