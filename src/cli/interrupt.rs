//! Ctrl-C, SIGTERM and SIGHUP during `check` or `fix`. The first signal stops the run from
//! taking new files; the documents in flight are read to their end (their findings are all
//! reported) but their writes are abandoned (their temporary files are removed); the run then
//! reports what it did and exits with 128 + the signal's number. A second signal ends the
//! process at once: renames are atomic, so no original is ever half-written, and a temporary
//! file it leaves is removed by the next `fix` over that directory.
//!
//! A signal the process was started with ignored (`nohup` ignores SIGHUP) stays ignored.
//! SIGXFSZ is ignored, so a write past the file-size limit fails with an error the run can
//! report (the default would kill the process mid-write).

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::flag;

/// The signals that interrupt a run.
const SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// Whether, and by which signal, the run was interrupted.
#[derive(Clone, Default)]
pub(crate) struct Interrupt {
    seen: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl Interrupt {
    /// Installs the handlers.
    pub(crate) fn install() -> io::Result<Interrupt> {
        let interrupt = Interrupt::default();
        // SAFETY: setting a signal's disposition to SIG_IGN runs no code in the handler.
        unsafe {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        }
        for signal in SIGNALS.into_iter().filter(|&s| !ignored(s)) {
            // In this order: a signal that finds `seen` set exits at once; the first sets it.
            flag::register_conditional_shutdown(signal, 128 + signal, interrupt.seen.clone())?;
            flag::register_usize(signal, interrupt.signal.clone(), signal as usize)?;
            flag::register(signal, interrupt.seen.clone())?;
        }
        Ok(interrupt)
    }

    /// Whether a signal has come.
    pub(crate) fn is_set(&self) -> bool {
        self.seen.load(Ordering::SeqCst)
    }

    /// The signal that came, if one did.
    pub(crate) fn signal(&self) -> Option<i32> {
        self.is_set()
            .then(|| i32::try_from(self.signal.load(Ordering::SeqCst)).unwrap_or(SIGINT))
    }
}

/// Whether `signal` was ignored when the process started.
fn ignored(signal: i32) -> bool {
    // SAFETY: a null new action only reads the current one into `old`.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

/// A signal's name, as `kill -l` prints it.
pub(crate) fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}
