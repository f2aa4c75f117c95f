//! Java strings to and from Rust without leaving copies of secrets behind in our memory.
//!
//! Java strings are UTF-16. Going through `GetStringRegion`/`NewString` (UTF-16) rather than the
//! modified-UTF-8 functions means the only copies we make are buffers we own and wipe; the JVM
//! makes no temporary copy of its own either. What lives on the Java heap (the `String` objects
//! themselves) is immutable and outside anyone's reach; the README says so.

use jni::objects::{JObject, JString};
use jni::sys::jsize;
use jni::Env;
use vdk_secrets::Error;
use zeroize::Zeroizing;

use crate::failure::Res;

/// A new `java.lang.String` holding `text`. The UTF-16 copy made on the way is wiped.
pub fn new_string<'l>(env: &mut Env<'l>, text: &str) -> jni::errors::Result<JString<'l>> {
    let units: Zeroizing<Vec<u16>> = Zeroizing::new(text.encode_utf16().collect());
    let len = jsize::try_from(units.len()).map_err(|_| jni::errors::Error::JniCall(jni::errors::JniError::NoMemory))?;
    if env.exception_check() {
        return Err(jni::errors::Error::JavaException);
    }
    let raw_env = env.get_raw();
    // SAFETY: `raw_env` is the valid JNIEnv of this thread (we hold `env`), no exception is
    // pending, and `units` holds `len` UTF-16 code units that live across the call.
    let raw = unsafe {
        let interface = *raw_env;
        ((*interface).v1_1.NewString)(raw_env, units.as_ptr(), len)
    };
    if raw.is_null() || env.exception_check() {
        return Err(jni::errors::Error::JavaException);
    }
    // SAFETY: a fresh local reference to a java.lang.String, owned by the current frame.
    Ok(unsafe { JString::from_raw(env, raw) })
}

/// The content of a non-null Java string. The UTF-16 copy is wiped; the `String` returned is
/// the caller's to protect (it usually ends up in a wiping `SecretMap`). An unpaired surrogate
/// is refused, since JSON text must be valid Unicode.
pub fn read_string(env: &Env<'_>, string: &JObject<'_>, what: &str) -> Res<String> {
    if string.is_null() {
        return Err(Error::invalid_argument(format!("{what} must not be null")).into());
    }
    if env.exception_check() {
        return Err(jni::errors::Error::JavaException.into());
    }
    let raw_env = env.get_raw();
    let raw = string.as_raw();
    // SAFETY: valid env, no pending exception, `raw` is a live, non-null java.lang.String
    // reference (callers check the class first).
    let len = unsafe {
        let interface = *raw_env;
        ((*interface).v1_1.GetStringLength)(raw_env, raw)
    };
    let mut units: Zeroizing<Vec<u16>> = Zeroizing::new(vec![0u16; usize::try_from(len).unwrap_or(0)]);
    if len > 0 {
        // SAFETY: `units` has room for exactly `len` code units; the range is within the string.
        unsafe {
            let interface = *raw_env;
            ((*interface).v1_2.GetStringRegion)(raw_env, raw, 0, len, units.as_mut_ptr());
        }
    }
    if env.exception_check() {
        return Err(jni::errors::Error::JavaException.into());
    }
    String::from_utf16(&units).map_err(|_| {
        Error::invalid_argument(format!("{what} is not valid Unicode (it holds an unpaired surrogate)")).into()
    })
}
