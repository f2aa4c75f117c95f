//! What a command started by `vdk-secrets exec` must not inherit from vdk-secrets or from
//! whoever started it: ignored signals (Rust ignores SIGPIPE; cron and `sh -c '... &'` may
//! ignore SIGINT or SIGQUIT), blocked signals, and open descriptors other than 0, 1 and 2.
//!
//! Handlers need no work: execve resets caught signals to their default. Ignored signals and
//! the signal mask survive execve, and so does every descriptor without close-on-exec.

use std::io;
use std::os::fd::RawFd;

/// Every signal to its default disposition, an empty mask for this thread (the one that calls
/// execve), and close-on-exec on every descriptor above 2. Descriptors are marked rather than
/// closed so that an execve that fails can still report it, and so that the runtime's threads
/// never see a descriptor of theirs vanish.
pub fn reset_for_exec() {
    for signal in 1..=last_signal() {
        // SAFETY: SIG_DFL is always a valid disposition. SIGKILL and SIGSTOP answer EINVAL
        // (they cannot be ignored anyway); so do the real-time signals the C library keeps for
        // itself (32 and 33 for glibc, 32 to 34 for musl), which a parent may still have
        // ignored: those go to the kernel directly.
        if unsafe { libc::signal(signal, libc::SIG_DFL) } == libc::SIG_ERR
            && signal != libc::SIGKILL
            && signal != libc::SIGSTOP
        {
            reserved_signal_to_default(signal);
        }
    }
    // SAFETY: the set is initialised by sigemptyset before use.
    unsafe {
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::pthread_sigmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    }
    for fd in open_descriptors() {
        if fd > 2 {
            set_close_on_exec(fd);
        }
    }
}

/// The kernel's own `struct sigaction` on the architectures whose layout is known here (the C
/// library's differs, and its wrapper refuses these signals).
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
fn reserved_signal_to_default(signal: libc::c_int) {
    #[repr(C)]
    struct KernelSigaction {
        handler: libc::sighandler_t,
        flags: libc::c_ulong,
        restorer: usize,
        mask: u64,
    }
    let action = KernelSigaction {
        handler: libc::SIG_DFL,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    // SAFETY: rt_sigaction with a fully initialised kernel struct and no old action; the size
    // argument is the kernel's sigset size (64 signals).
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            signal,
            &action as *const KernelSigaction,
            std::ptr::null_mut::<KernelSigaction>(),
            std::mem::size_of::<u64>(),
        )
    };
}

#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
fn reserved_signal_to_default(_signal: libc::c_int) {}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn last_signal() -> libc::c_int {
    libc::SIGRTMAX()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn last_signal() -> libc::c_int {
    // NSIG - 1 on the BSDs and macOS.
    31
}

/// The open descriptors, from /proc/self/fd (Linux) or /dev/fd (macOS, BSDs); when neither can
/// be listed, every number below the descriptor limit.
fn open_descriptors() -> Vec<RawFd> {
    for dir in ["/proc/self/fd", "/dev/fd"] {
        if let Ok(listed) = list(dir) {
            // The listing's own descriptor is among them; it is closed by now, and marking a
            // closed descriptor fails harmlessly.
            return listed;
        }
    }
    // SAFETY: getrlimit writes into the struct.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    let max = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        limit.rlim_cur.min(65_536) as RawFd
    } else {
        1024
    };
    (0..max).collect()
}

fn list(dir: &str) -> io::Result<Vec<RawFd>> {
    let mut fds = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        if let Some(fd) = entry?.file_name().to_str().and_then(|name| name.parse().ok()) {
            fds.push(fd);
        }
    }
    Ok(fds)
}

fn set_close_on_exec(fd: RawFd) {
    // SAFETY: fcntl on a descriptor number; an invalid one answers EBADF.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFD);
        if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
            libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
        }
    }
}
