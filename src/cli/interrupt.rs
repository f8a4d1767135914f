//! Ctrl-C, SIGTERM and SIGHUP during `check` or `fix`. The first signal stops the run from
//! taking new files and abandons the writes in flight (their temporary files are removed);
//! the run then reports what it did and exits with 128 + the signal's number. A second signal
//! ends the process at once: renames are atomic, so no original is ever half-written, and a
//! temporary file it leaves is removed by the next `fix` over that directory.

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
        for signal in SIGNALS {
            // In this order: a signal that finds `seen` set exits at once; the first sets it.
            flag::register_conditional_shutdown(signal, 128 + signal, interrupt.seen.clone())?;
            flag::register_usize(signal, interrupt.signal.clone(), signal as usize)?;
            flag::register(signal, interrupt.seen.clone())?;
        }
        Ok(interrupt)
    }

    /// Whether a signal has come.
    pub(crate) fn is_set(&self) -> bool {
        self.seen.load(Ordering::Relaxed)
    }

    /// The signal that came, if one did.
    pub(crate) fn signal(&self) -> Option<i32> {
        self.is_set()
            .then(|| i32::try_from(self.signal.load(Ordering::Relaxed)).unwrap_or(SIGINT))
    }

    /// The error a write in flight ends with once a signal has come.
    pub(crate) fn check(&self) -> io::Result<()> {
        if self.is_set() {
            Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"))
        } else {
            Ok(())
        }
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
