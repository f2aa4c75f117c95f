//! How failures cross the boundary: one Rust type for what can go wrong in an entry point, and
//! one `ErrorPolicy` that turns it (or a panic) into a Java exception of the
//! `io.vdk.secrets.VdkSecretsException` family.

use std::any::Any;

use jni::errors::ErrorPolicy;
use jni::objects::{JObject, JThrowable};
use jni::signature::ReturnType;
use jni::sys::jvalue;
use jni::{jni_str, Env, EnvUnowned};
use vdk_secrets::{Error, Status};

use crate::cache::cache;
use crate::strings::new_string;

/// What an entry point can fail with.
pub enum Failure {
    /// A library error, or one of ours (bad argument, closed handle): becomes the exception
    /// subclass of its status.
    Vdk(Error),
    /// A JNI call failed. `JavaException` means a Java exception is pending (for example a
    /// caller's `Map` threw while we iterated it); it is left to propagate unchanged.
    Jni(jni::errors::Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Vdk(error)
    }
}

impl From<jni::errors::Error> for Failure {
    fn from(error: jni::errors::Error) -> Self {
        Failure::Jni(error)
    }
}

pub type Res<T> = Result<T, Failure>;

/// Runs the body of a native method: Rust errors become Java exceptions, panics are caught
/// (`with_env` wraps the body in `catch_unwind`) and become `InternalErrorException`; the
/// method then returns `T::default()` (0, null), which Java never sees because an exception is
/// pending.
pub fn entry<'l, T, F>(env: &mut EnvUnowned<'l>, body: F) -> T
where
    T: Default + 'l,
    F: FnOnce(&mut Env<'l>) -> Res<T>,
{
    env.with_env(body).resolve::<ThrowVdkException>()
}

/// The error policy of every entry point.
pub struct ThrowVdkException;

impl<T: Default> ErrorPolicy<T, Failure> for ThrowVdkException {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        failure: Failure,
    ) -> jni::errors::Result<T> {
        if env.exception_check() {
            // A Java exception is already on its way (thrown by Java code we called, or an
            // OutOfMemoryError): it says more than anything we could add.
            return Ok(T::default());
        }
        let error = match failure {
            Failure::Vdk(error) => error,
            Failure::Jni(error) => internal_error(format!("a JNI call failed: {error}")),
        };
        throw(env, &error);
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        payload: Box<dyn Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        let text = match payload
            .downcast_ref::<&'static str>()
            .map(|s| s.trim())
            .or_else(|| payload.downcast_ref::<String>().map(|s| s.trim()))
        {
            // An empty message would leave the sentence below ending in ": ".
            Some(s) if !s.is_empty() => s.to_string(),
            _ => "a panic without a message".to_string(),
        };
        // Dropping a payload can itself panic: contain that too rather than unwind into the JVM.
        if let Err(nested) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(nested);
        }
        if env.exception_check() {
            // Keep the Java exception, which is the cause more often than not.
            return Ok(T::default());
        }
        throw(
            env,
            &internal_error(format!("a Rust panic was caught at the JNI boundary: {text}")),
        );
        Ok(T::default())
    }
}

/// The error of a bug on our side (a panic, an unexpected JNI failure): status PANIC, so Java
/// sees `InternalErrorException`.
pub fn internal_error(why: String) -> Error {
    Error::new(Status::Panic, "Internal error in the vdk-secrets Java binding", why)
}

/// Throws the exception for `error`. Falls back to a plain `RuntimeException` if the binding's
/// own exception cannot be built (out of memory, classes missing from the class path).
fn throw(env: &mut Env<'_>, error: &Error) {
    if let Err(cause) = throw_vdk(env, error) {
        if !env.exception_check() {
            let text = format!(
                "{} (and the binding's exception could not be built: {cause})",
                error.message()
            );
            let _ = env.throw_new(
                jni_str!("java/lang/RuntimeException"),
                jni::strings::JNIString::new(text),
            );
        }
    }
}

fn throw_vdk(env: &mut Env<'_>, error: &Error) -> jni::errors::Result<()> {
    env.with_local_frame(4, |env| -> jni::errors::Result<()> {
        let exception = exception_for(env, error)?;
        // SAFETY: fromNative returns a VdkSecretsException, a Throwable.
        let throwable = unsafe { JThrowable::from_raw(env, JObject::into_raw(exception)) };
        match env.throw(&throwable) {
            // `throw` reports the now pending exception as an error; that is the success case.
            Ok(()) | Err(jni::errors::Error::JavaException) => Ok(()),
            Err(e) => Err(e),
        }
    })
}

/// The `VdkSecretsException` (of the subclass of its status) for `error`, not thrown.
pub fn exception_for<'l>(env: &mut Env<'l>, error: &Error) -> jni::errors::Result<JObject<'l>> {
    let cache = cache(env)?;
    env.with_local_frame_returning_local::<_, JObject, _>(10, |env| {
        let what = new_string(env, error.what())?;
        let why = new_string(env, error.why())?;
        let consequences = new_string(env, error.consequences())?;
        let countermeasures = new_string(env, error.countermeasures())?;
        let op_id = new_string(env, error.op_id())?;
        let args = [
            jvalue {
                i: error.status() as i32,
            },
            jvalue {
                i: i32::from(error.http_status()),
            },
            jvalue { z: error.retryable() },
            jvalue { l: what.as_raw() },
            jvalue { l: why.as_raw() },
            jvalue {
                l: consequences.as_raw(),
            },
            jvalue {
                l: countermeasures.as_raw(),
            },
            jvalue { l: op_id.as_raw() },
            jvalue {
                i: i32::try_from(error.attempts()).unwrap_or(i32::MAX),
            },
        ];
        // SAFETY: the method ID was looked up on this class with this signature:
        // (IIZLjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;
        // Ljava/lang/String;I)Lio/vdk/secrets/VdkSecretsException;
        let exception = unsafe {
            env.call_static_method_unchecked(&cache.exception, cache.exception_from_native, ReturnType::Object, &args)
        }?
        .l()?;
        if exception.is_null() {
            return Err(jni::errors::Error::NullPtr("VdkSecretsException.fromNative"));
        }
        Ok(exception)
    })
}
