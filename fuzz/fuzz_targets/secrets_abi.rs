//! Secret maps coming in through the C ABI: any bytes as secrets JSON, names and values, into
//! the job layer's memory backend. Must return a status, never panic, and keep the store a
//! valid JSON object.
#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use libfuzzer_sys::fuzz_target;
use vdk_secrets::ffi::job::*;
use vdk_secrets::ffi::string::vdk_string_free;
use vdk_secrets::ffi::VdkStatus;

fuzz_target!(|data: &[u8]| {
    // Split the input into (name, value, map) at the first two NUL-free segments.
    let mut parts = data.splitn(3, |b| *b == 0xff);
    let name = CString::new(parts.next().unwrap_or_default().iter().copied().filter(|b| *b != 0).collect::<Vec<_>>()).unwrap();
    let value = CString::new(parts.next().unwrap_or_default().iter().copied().filter(|b| *b != 0).collect::<Vec<_>>()).unwrap();
    let map = CString::new(parts.next().unwrap_or_default().iter().copied().filter(|b| *b != 0).collect::<Vec<_>>()).unwrap();

    let mut secrets: *mut VdkJobSecrets = ptr::null_mut();
    let status = vdk_job_secrets_new(c"fuzz-job".as_ptr(), c"fuzz-team".as_ptr(), c"{\"secrets_default_type\":\"memory\"}".as_ptr(), &mut secrets, ptr::null_mut());
    assert_eq!(status, VdkStatus::VDK_STATUS_OK);
    let _ = vdk_job_secrets_set_all(secrets, map.as_ptr(), ptr::null_mut());
    let _ = vdk_job_secrets_set(secrets, name.as_ptr(), value.as_ptr(), ptr::null_mut());
    let mut out: *mut c_char = ptr::null_mut();
    if vdk_job_secrets_get(secrets, name.as_ptr(), &mut out, ptr::null_mut()) == VdkStatus::VDK_STATUS_OK && !out.is_null() {
        // SAFETY: a string the library just returned.
        let text = unsafe { CStr::from_ptr(out) }.to_str().expect("UTF-8 out");
        serde_json::from_str::<serde_json::Value>(text).expect("valid JSON out");
        vdk_string_free(out);
    }
    let mut all: *mut c_char = ptr::null_mut();
    assert_eq!(vdk_job_secrets_get_all(secrets, &mut all, ptr::null_mut()), VdkStatus::VDK_STATUS_OK);
    // SAFETY: as above.
    let text = unsafe { CStr::from_ptr(all) }.to_str().expect("UTF-8 out");
    assert!(serde_json::from_str::<serde_json::Value>(text).expect("valid JSON").is_object());
    vdk_string_free(all);
    vdk_job_secrets_free(secrets);
});
