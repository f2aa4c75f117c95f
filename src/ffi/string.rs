//! Strings handed to C, and the library's version.

use std::ffi::{c_char, CStr, CString};

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

/// Wipes and releases a string returned by this library (secrets JSON and the like).
/// NULL is fine. Must be called exactly once per returned string, and never on other memory.
#[no_mangle]
pub extern "C" fn vdk_string_free(string: *mut c_char) {
    guard((), || {
        if string.is_null() {
            return;
        }
        // SAFETY: the caller passes a string returned by this library (a `CString::into_raw`
        // of an exactly sized allocation), once.
        let owned = unsafe { CString::from_raw(string) };
        let mut bytes = owned.into_bytes_with_nul();
        // The slice form: a memset behind a barrier (`Vec::zeroize` writes byte by byte).
        bytes.as_mut_slice().zeroize();
    })
}
