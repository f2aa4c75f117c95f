//! Strings handed to C, and the library's version.

use std::alloc::{alloc, dealloc, Layout};
use std::ffi::{c_char, CStr};
use std::mem::{align_of, size_of};

use zeroize::Zeroize;

use super::guard;

static VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!("vdk-secrets ", env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("version holds a NUL"),
    };

/// The library's name and version, e.g. "vdk-secrets 0.1.0". Static: never free it. Never NULL.
#[no_mangle]
pub extern "C" fn vdk_version() -> *const c_char {
    VERSION.as_ptr()
}

/// Strings for C carry their allocation size in a header just before the first byte, so that
/// `vdk_string_free` wipes and frees the whole allocation whatever the caller wrote into the
/// string (`strtok` writes NULs; `strlen` would then see a shorter string, and freeing with
/// that size would be undefined behaviour and leave the rest unwiped).
const HEADER: usize = size_of::<usize>();

fn layout_for(total: usize) -> Option<Layout> {
    Layout::from_size_align(total, align_of::<usize>()).ok()
}

/// A new NUL-terminated copy of `bytes` (which must hold no NUL) for `vdk_string_free`; `None`
/// when memory runs out.
pub(crate) fn alloc_c_string(bytes: &[u8]) -> Option<*mut c_char> {
    let total = HEADER.checked_add(bytes.len())?.checked_add(1)?;
    let layout = layout_for(total)?;
    // SAFETY: the layout has a non-zero size; the block is written within its `total` bytes.
    unsafe {
        let block = alloc(layout);
        if block.is_null() {
            return None;
        }
        block.cast::<usize>().write(total);
        let text = block.add(HEADER);
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), text, bytes.len());
        text.add(bytes.len()).write(0);
        Some(text.cast())
    }
}

/// Wipes and releases a string returned by this library (secrets JSON and the like), all of
/// it even if the caller wrote into it. NULL is fine. Must be called exactly once per returned
/// string, and never on other memory.
#[no_mangle]
pub extern "C" fn vdk_string_free(string: *mut c_char) {
    guard((), || {
        if string.is_null() {
            return;
        }
        // SAFETY: the caller passes a string returned by `alloc_c_string`, once: its header
        // holds the size of the whole block, which starts HEADER bytes before the string.
        unsafe {
            let block = string.cast::<u8>().sub(HEADER);
            let total = block.cast::<usize>().read();
            std::slice::from_raw_parts_mut(block, total).zeroize();
            if let Some(layout) = layout_for(total) {
                dealloc(block, layout);
            }
        }
    })
}
