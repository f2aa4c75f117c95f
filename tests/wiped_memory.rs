//! "Not left in freed memory we own": a global allocator that scans every block freed (or
//! moved by a reallocation) for a known secret, while secrets go in and out through the C ABI
//! of the job layer on the in-process memory backend. The network path is left out on purpose:
//! hyper's and rustls's own buffers are outside our reach (README, "Secret hygiene").

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_char, CStr};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use vdk_secrets::ffi::job::*;
use vdk_secrets::ffi::string::vdk_string_free;
use vdk_secrets::ffi::VdkStatus;

const CANARY: &[u8] = b"sk-canary-7f3a9c1d";

static ARMED: AtomicBool = AtomicBool::new(false);
static FREED_WITH_SECRET: AtomicUsize = AtomicUsize::new(0);
static SCANNED: AtomicUsize = AtomicUsize::new(0);

/// A block the test watches: when the block holding this address is freed, its size is
/// recorded and whether the secret was still in it.
static WATCHED: AtomicUsize = AtomicUsize::new(0);
static WATCHED_FREED_SIZE: AtomicUsize = AtomicUsize::new(0);
static WATCHED_FREED_WITH_SECRET: AtomicBool = AtomicBool::new(false);

struct Scanning;

fn holds_secret(block: &[u8]) -> bool {
    block.windows(CANARY.len()).any(|w| w == CANARY)
}

fn scan(ptr: *mut u8, size: usize) {
    let watched = WATCHED.load(Ordering::Relaxed);
    if watched != 0 && (ptr as usize..ptr as usize + size).contains(&watched) {
        // SAFETY: the block is still allocated and `size` bytes long.
        let block = unsafe { std::slice::from_raw_parts(ptr, size) };
        WATCHED_FREED_SIZE.store(size, Ordering::SeqCst);
        WATCHED_FREED_WITH_SECRET.store(holds_secret(block), Ordering::SeqCst);
    }
    if !ARMED.load(Ordering::Relaxed) {
        return;
    }
    SCANNED.fetch_add(1, Ordering::Relaxed);
    // SAFETY: the block is still allocated and `size` bytes long.
    let block = unsafe { std::slice::from_raw_parts(ptr, size) };
    if block.windows(CANARY.len()).any(|w| w == CANARY) {
        FREED_WITH_SECRET.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: delegates every allocation to the system allocator; only reads blocks before freeing.
unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        scan(ptr, layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    /// Always moves, so that the old block is scanned as it would be freed.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let new = unsafe { System.alloc(new_layout) };
        if !new.is_null() {
            unsafe { ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            scan(ptr, layout.size());
            unsafe { System.dealloc(ptr, layout) };
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Scanning = Scanning;

fn ok(status: VdkStatus) {
    assert_eq!(status, VdkStatus::VDK_STATUS_OK);
}

#[test]
fn secrets_are_wiped_before_their_memory_is_freed() {
    // Inputs are static C literals, so the test itself frees no copy of the secret.
    let mut secrets: *mut VdkJobSecrets = ptr::null_mut();
    ok(vdk_job_secrets_new(
        c"wipe-job".as_ptr(),
        c"wipe-team".as_ptr(),
        c"{\"secrets_default_type\":\"memory\"}".as_ptr(),
        &mut secrets,
        ptr::null_mut(),
    ));
    ARMED.store(true, Ordering::SeqCst);
    for _ in 0..50 {
        ok(vdk_job_secrets_set_all(
            secrets,
            c"{\"api-key\":\"sk-canary-7f3a9c1d\",\"nested\":{\"list\":[\"sk-canary-7f3a9c1d\",1,2.5]},\"other\":\"x\"}"
                .as_ptr(),
            ptr::null_mut(),
        ));
        let mut value: *mut c_char = ptr::null_mut();
        ok(vdk_job_secrets_get(
            secrets,
            c"api-key".as_ptr(),
            &mut value,
            ptr::null_mut(),
        ));
        // SAFETY: a string the library just returned.
        assert!(unsafe { CStr::from_ptr(value) }
            .to_bytes()
            .windows(CANARY.len())
            .any(|w| w == CANARY));
        vdk_string_free(value);
        let mut all: *mut c_char = ptr::null_mut();
        ok(vdk_job_secrets_get_all(secrets, &mut all, ptr::null_mut()));
        vdk_string_free(all);
        ok(vdk_job_secrets_set(
            secrets,
            c"token".as_ptr(),
            c"\"sk-canary-7f3a9c1d\"".as_ptr(),
            ptr::null_mut(),
        ));
        ok(vdk_job_secrets_delete(secrets, c"api-key".as_ptr(), ptr::null_mut()));
        ok(vdk_job_secrets_refresh(secrets, ptr::null_mut()));
        // A larger map grows the output buffers through several reallocations.
        ok(vdk_job_secrets_set(
            secrets,
            c"padding".as_ptr(),
            c"\"................................................................................................................................................................................................................................................................sk-canary-7f3a9c1d\"".as_ptr(),
            ptr::null_mut(),
        ));
        let mut all: *mut c_char = ptr::null_mut();
        ok(vdk_job_secrets_get_all(secrets, &mut all, ptr::null_mut()));
        vdk_string_free(all);
    }
    vdk_job_secrets_free(secrets);
    ARMED.store(false, Ordering::SeqCst);
    let scanned = SCANNED.load(Ordering::SeqCst);
    assert!(scanned > 1000, "the allocator saw the traffic ({scanned} blocks)");
    assert_eq!(
        FREED_WITH_SECRET.load(Ordering::SeqCst),
        0,
        "blocks freed with the secret still in them"
    );
}

/// C code may write into a returned string (`strtok` writes NULs into it): the whole allocation
/// is still wiped and freed with the size it was allocated with.
#[test]
fn strings_cut_short_by_the_caller_are_wiped_and_freed_whole() {
    let mut secrets: *mut VdkJobSecrets = ptr::null_mut();
    ok(vdk_job_secrets_new(
        c"strtok-job".as_ptr(),
        c"strtok-team".as_ptr(),
        c"{\"secrets_default_type\":\"memory\"}".as_ptr(),
        &mut secrets,
        ptr::null_mut(),
    ));
    ok(vdk_job_secrets_set_all(
        secrets,
        c"{\"a\":\"x\",\"b\":\"sk-canary-7f3a9c1d\"}".as_ptr(),
        ptr::null_mut(),
    ));
    let mut all: *mut c_char = ptr::null_mut();
    ok(vdk_job_secrets_get_all(secrets, &mut all, ptr::null_mut()));
    // SAFETY: a string the library just returned, written within its length as C code may.
    let length = unsafe {
        let length = CStr::from_ptr(all).to_bytes().len();
        *all.add(3) = 0;
        length
    };
    WATCHED.store(all as usize, Ordering::SeqCst);
    vdk_string_free(all);
    WATCHED.store(0, Ordering::SeqCst);
    vdk_job_secrets_free(secrets);
    let freed = WATCHED_FREED_SIZE.load(Ordering::SeqCst);
    assert!(
        freed > length,
        "the block was freed with {freed} bytes, but {} were allocated",
        length + 1
    );
    assert!(
        !WATCHED_FREED_WITH_SECRET.load(Ordering::SeqCst),
        "the secret after the caller's NUL was not wiped"
    );
}
