//! Signals: a file-size limit becomes a write error, and an interrupted tree
//! run stops cleanly instead of dying with its temporary files around.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};

/// Ignores SIGXFSZ, so that a write past a file-size limit (`ulimit -f`)
/// fails with EFBIG and is reported like a full disk (exit 1, temporary
/// output removed), instead of killing the process without a word.
pub fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to "ignore" runs no code of
    // ours in a handler; it is done before any other thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// The signal that asked the run to stop (0: none yet).
static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// The flag the pipeline polls: set by the handler.
static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

#[cfg(unix)]
extern "C" fn on_stop_signal(signal: libc::c_int) {
    // Only atomic stores: async-signal-safe.
    let _ = RECEIVED.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
    if let Some(flag) = STOP.get() {
        flag.store(true, Ordering::SeqCst);
    }
}

/// From now on SIGINT and SIGTERM set the returned flag instead of killing
/// the process: the pipeline starts no new file, stops the files under way
/// at their next batch and removes their temporary outputs. The handler
/// runs once (`SA_RESETHAND`): a second signal kills the process as usual.
pub fn stop_on_signals() -> Arc<AtomicBool> {
    let flag = STOP
        .get_or_init(|| Arc::new(AtomicBool::new(false)))
        .clone();
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only does atomic stores; `sigaction` is given
        // a zeroed, then filled, struct that lives across the call.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_stop_signal as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
    flag
}

/// The signal that stopped the run, if one did.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// The signal's name, for the message.
pub fn name(signal: i32) -> &'static str {
    #[cfg(unix)]
    match signal {
        libc::SIGINT => return "SIGINT",
        libc::SIGTERM => return "SIGTERM",
        _ => {}
    }
    let _ = signal;
    "a signal"
}
