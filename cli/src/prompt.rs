//! Values for `--set-prompt`: typed with echo off on a terminal, one line of standard input
//! otherwise.
//!
//! Standard input is read with `read(2)` one byte at a time, so that nothing beyond the line
//! is consumed (each `--set-prompt` takes its own line) and no copy of the value stays in a
//! library buffer. The terminal's settings are restored after the line, and also when a
//! signal (Ctrl-C) ends the process mid-prompt.

use std::io::{self, Write};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use zeroize::{Zeroize, Zeroizing};

/// Reads the value of secret `key`. `Ok(None)` at end of input before any byte.
pub fn read_value(key: &str, job: &str) -> io::Result<Option<Zeroizing<String>>> {
    // SAFETY: isatty only inspects the descriptor.
    if unsafe { libc::isatty(libc::STDIN_FILENO) } == 1 {
        let _echo_off = EchoOff::new()?;
        let mut stderr = io::stderr().lock();
        write!(stderr, "Value of secret '{key}' of job {job} (input hidden): ")?;
        stderr.flush()?;
        read_line()
    } else {
        read_line()
    }
}

/// One line of standard input without its `\n` (and a `\r` before it).
fn read_line() -> io::Result<Option<Zeroizing<String>>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(128));
    let mut saw_any = false;
    loop {
        let mut byte = 0u8;
        // SAFETY: reads at most one byte into a valid one-byte buffer.
        let n = unsafe { libc::read(libc::STDIN_FILENO, (&mut byte as *mut u8).cast(), 1) };
        if n < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        if n == 0 {
            break;
        }
        saw_any = true;
        if byte == b'\n' {
            break;
        }
        if bytes.len() == bytes.capacity() {
            // Grow by hand so the old allocation is wiped, not just freed.
            let mut grown = Zeroizing::new(Vec::with_capacity(bytes.capacity() * 2));
            grown.extend_from_slice(&bytes);
            bytes = grown;
        }
        bytes.push(byte);
        byte.zeroize();
    }
    if !saw_any {
        return Ok(None);
    }
    if bytes.last() == Some(&b'\r') {
        bytes.pop();
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Some(Zeroizing::new(text.to_string()))),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the value is not valid UTF-8 text",
        )),
    }
}

/// The terminal settings to put back if a signal ends the process while echo is off.
static SAVED: AtomicPtr<libc::termios> = AtomicPtr::new(ptr::null_mut());

/// Signals whose default action ends the process and that a user may send mid-prompt.
const RESTORING_SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// Turns echo off on standard input's terminal until dropped (the newline the user types is
/// still echoed, so the cursor moves on).
struct EchoOff {
    original: Box<libc::termios>,
    previous_actions: Vec<(libc::c_int, libc::sigaction)>,
}

impl EchoOff {
    fn new() -> io::Result<EchoOff> {
        // SAFETY: termios is plain data; tcgetattr fills it or fails.
        let mut original: Box<libc::termios> = Box::new(unsafe { std::mem::zeroed() });
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut *original) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut hidden = *original;
        hidden.c_lflag &= !(libc::ECHO | libc::ECHOE | libc::ECHOK);
        hidden.c_lflag |= libc::ECHONL | libc::ICANON;

        // The handler reads SAVED; it stays valid until after the handlers are put back.
        SAVED.store(&mut *original, Ordering::SeqCst);
        let mut previous_actions = Vec::new();
        for signal in RESTORING_SIGNALS {
            // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" starting point; the
            // handler only calls async-signal-safe functions.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = restore_terminal_and_reraise as extern "C" fn(libc::c_int) as usize;
                libc::sigemptyset(&mut action.sa_mask);
                let mut previous: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, &action, &mut previous) == 0 {
                    previous_actions.push((signal, previous));
                }
            }
        }
        let guard = EchoOff {
            original,
            previous_actions,
        };
        // SAFETY: `hidden` is a valid termios derived from the current one.
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSAFLUSH, &hidden) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(guard)
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores settings read from this terminal, then the previous handlers.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSAFLUSH, &*self.original);
            for (signal, previous) in &self.previous_actions {
                libc::sigaction(*signal, previous, ptr::null_mut());
            }
        }
        SAVED.store(ptr::null_mut(), Ordering::SeqCst);
    }
}

extern "C" fn restore_terminal_and_reraise(signal: libc::c_int) {
    let saved = SAVED.load(Ordering::SeqCst);
    // SAFETY: tcsetattr, signal and raise are async-signal-safe; `saved` points into the live
    // EchoOff guard (it is cleared before the guard is freed).
    unsafe {
        if !saved.is_null() {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved);
        }
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}
