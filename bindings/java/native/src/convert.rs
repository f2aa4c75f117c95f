//! Secret values between serde_json and java.util: the conversions every entry point uses.
//!
//! | JSON | Java (from the library) | Java accepted (to the library) |
//! | --- | --- | --- |
//! | object | `LinkedHashMap<String, Object>` (Java freezes it into `io.vdk.secrets.Secrets`) | any `Map` with non-null `String` keys, or a `Secrets` |
//! | array | `ArrayList<Object>` | any `Collection` (`List`, `Set`, ...) |
//! | string | `String` | `String` |
//! | integer in the i64 range | `Long` | `Long`, `Integer`, `Short`, `Byte`, `BigInteger` |
//! | integer above `Long.MAX_VALUE` (up to 2^64-1) | `BigInteger` | `BigInteger` |
//! | other number | `Double` | `Double`, `Float` (finite only) |
//! | true / false | `Boolean` | `Boolean` |
//! | null | `null` | `null` |
//!
//! A whole map of secrets (reads, `getAll`) goes to Java as its canonical JSON text in one
//! `byte[]` instead ([`secrets_to_java`]), which the Java side decodes into the same types.
//!
//! Anything else is refused with INVALID_ARGUMENT naming the Java class (never the value).
//! Nesting is bounded so that what we write can be read back (serde_json refuses JSON nested
//! deeper than 128 levels), which also stops a map that contains itself.

use jni::ids::{JMethodID, JStaticMethodID};
use jni::objects::{JClass, JObject};
use jni::refs::Global;
use jni::signature::{Primitive, ReturnType};
use jni::sys::{jint, jvalue};
use jni::Env;
use serde_json::{Map, Number, Value};
use vdk_secrets::secret::scrub_value;
use vdk_secrets::{Error, SecretMap};

use crate::cache::Cache;
use crate::failure::Res;
use crate::strings::{new_string, read_string};

/// Deepest nesting of maps and lists, counting the top-level map, that JSON readers accept.
pub const MAX_DEPTH: usize = 128;

// ---- small typed wrappers over cached method IDs ----------------------------------------

fn call_object<'l>(env: &mut Env<'l>, obj: &JObject<'_>, method: JMethodID, args: &[jvalue]) -> Res<JObject<'l>> {
    // SAFETY: every method ID in the cache was looked up with an object return type and the
    // argument list callers pass; `obj` is an instance of the class it was looked up on.
    Ok(unsafe { env.call_method_unchecked(obj, method, ReturnType::Object, args) }?.l()?)
}

fn call_primitive(
    env: &mut Env<'_>,
    obj: &JObject<'_>,
    method: JMethodID,
    kind: Primitive,
) -> Res<jni::JValueOwned<'static>> {
    // SAFETY: as in `call_object`, with the primitive return type the ID was looked up with.
    let value = unsafe { env.call_method_unchecked(obj, method, ReturnType::Primitive(kind), &[]) }?;
    // Primitive values carry no reference, so the lifetime can be widened.
    Ok(match value {
        jni::JValueOwned::Bool(b) => jni::JValueOwned::Bool(b),
        jni::JValueOwned::Int(i) => jni::JValueOwned::Int(i),
        jni::JValueOwned::Long(l) => jni::JValueOwned::Long(l),
        jni::JValueOwned::Double(d) => jni::JValueOwned::Double(d),
        _ => return Err(jni::errors::Error::WrongJValueType("primitive", "other").into()),
    })
}

fn call_static_object<'l>(
    env: &mut Env<'l>,
    class: &Global<JClass<'static>>,
    method: JStaticMethodID,
    args: &[jvalue],
) -> Res<JObject<'l>> {
    // SAFETY: the static method ID was looked up on `class` with these argument types.
    Ok(unsafe { env.call_static_method_unchecked(class, method, ReturnType::Object, args) }?.l()?)
}

fn new_object<'l>(
    env: &mut Env<'l>,
    class: &Global<JClass<'static>>,
    ctor: JMethodID,
    args: &[jvalue],
) -> Res<JObject<'l>> {
    // SAFETY: the constructor ID was looked up on `class` with these argument types.
    Ok(unsafe { env.new_object_unchecked(class, ctor, args) }?)
}

fn is_a(env: &mut Env<'_>, obj: &JObject<'_>, class: &Global<JClass<'static>>) -> Res<bool> {
    Ok(env.is_instance_of(obj, class)?)
}

/// The class name of `obj`, for error texts (a name, never a value).
fn class_name(env: &mut Env<'_>, cache: &Cache, obj: &JObject<'_>) -> String {
    let name = env.with_local_frame(4, |env| -> Res<String> {
        let class = call_object(env, obj, cache.object_get_class, &[])?;
        let name = call_object(env, &class, cache.class_get_name, &[])?;
        read_string(env, &name, "class name")
    });
    name.unwrap_or_else(|_| {
        env.exception_clear();
        "an unknown class".to_string()
    })
}

fn capacity_hint(env: &mut Env<'_>, obj: &JObject<'_>, size: JMethodID) -> Res<usize> {
    let n = call_primitive(env, obj, size, Primitive::Int)?.i()?;
    Ok(usize::try_from(n).unwrap_or(0).min(1 << 16))
}

// ---- serde_json -> Java ------------------------------------------------------------------

/// A JSON value as a new local reference (null for JSON null).
pub fn value_to_java<'l>(env: &mut Env<'l>, cache: &Cache, value: &Value) -> Res<JObject<'l>> {
    match value {
        Value::Null => Ok(JObject::null()),
        Value::Bool(b) => call_static_object(env, &cache.boolean, cache.boolean_value_of, &[jvalue { z: *b }]),
        Value::Number(n) => number_to_java(env, cache, n),
        Value::String(s) => Ok(new_string(env, s)?.into()),
        Value::Array(items) => {
            let len = jint::try_from(items.len()).unwrap_or(jint::MAX);
            let list = new_object(env, &cache.array_list, cache.array_list_new, &[jvalue { i: len }])?;
            for item in items {
                env.with_local_frame(4, |env| -> Res<()> {
                    let element = value_to_java(env, cache, item)?;
                    call_primitive_args(env, &list, cache.list_add, &[jvalue { l: element.as_raw() }])
                })?;
            }
            Ok(list)
        }
        Value::Object(map) => map_to_java(env, cache, map, &cache.linked_hash_map, cache.linked_hash_map_new),
    }
}

/// The top-level map of secrets as its canonical JSON text (UTF-8) in a new `byte[]`, which
/// the Java side decodes into an immutable, masked `io.vdk.secrets.Secrets` and then wipes
/// (`CanonicalJson`). One JNI call for the whole map: building it entry by entry through JNI
/// (two `NewString`s, a boxed value and a `Map.put` per secret) cost more than Jackson's
/// decode of the same bytes (issue 15). The serialised copy here is a wiping buffer.
pub fn secrets_to_java<'l>(env: &mut Env<'l>, secrets: &SecretMap) -> Res<JObject<'l>> {
    let json = secrets.to_json();
    Ok(env.byte_array_from_slice(json.as_bytes())?.into())
}

fn map_to_java<'l>(
    env: &mut Env<'l>,
    cache: &Cache,
    map: &Map<String, Value>,
    class: &Global<JClass<'static>>,
    ctor: JMethodID,
) -> Res<JObject<'l>> {
    // Room for every entry without rehashing at the default load factor of 0.75.
    let capacity = jint::try_from(map.len().saturating_mul(4) / 3 + 1).unwrap_or(jint::MAX);
    let out = new_object(env, class, ctor, &[jvalue { i: capacity }])?;
    for (name, value) in map {
        env.with_local_frame(4, |env| -> Res<()> {
            let key = new_string(env, name)?;
            let element = value_to_java(env, cache, value)?;
            call_object(
                env,
                &out,
                cache.map_put,
                &[jvalue { l: key.as_raw() }, jvalue { l: element.as_raw() }],
            )?;
            Ok(())
        })?;
    }
    Ok(out)
}

fn call_primitive_args(env: &mut Env<'_>, obj: &JObject<'_>, method: JMethodID, args: &[jvalue]) -> Res<()> {
    // SAFETY: `List.add(Object)Z`, looked up with this signature.
    unsafe { env.call_method_unchecked(obj, method, ReturnType::Primitive(Primitive::Boolean), args) }?;
    Ok(())
}

fn number_to_java<'l>(env: &mut Env<'l>, cache: &Cache, n: &Number) -> Res<JObject<'l>> {
    if let Some(i) = n.as_i64() {
        call_static_object(env, &cache.long, cache.long_value_of, &[jvalue { j: i }])
    } else if let Some(u) = n.as_u64() {
        // Above Long.MAX_VALUE: a BigInteger, since a Long would wrap to a negative number.
        let text = new_string(env, &u.to_string())?;
        new_object(
            env,
            &cache.big_integer,
            cache.big_integer_new,
            &[jvalue { l: text.as_raw() }],
        )
    } else {
        let d = n.as_f64().unwrap_or(f64::NAN);
        call_static_object(env, &cache.double, cache.double_value_of, &[jvalue { d }])
    }
}

// ---- Java -> serde_json ------------------------------------------------------------------

/// Wipes a value that is dropped half-built because the conversion failed.
struct Scrubbing(Value);

impl Drop for Scrubbing {
    fn drop(&mut self) {
        scrub_value(&mut self.0);
    }
}

impl Scrubbing {
    fn take(mut self) -> Value {
        std::mem::take(&mut self.0)
    }
}

/// A Java `Map<String, ?>` as a wiping `SecretMap`. `what` names the argument in errors.
/// `depth` is the nesting level of this map (1 for a top-level map).
pub fn java_to_secret_map(
    env: &mut Env<'_>,
    cache: &Cache,
    obj: &JObject<'_>,
    what: &str,
    depth: usize,
) -> Res<SecretMap> {
    if obj.is_null() {
        return Err(Error::invalid_argument(format!("{what} must not be null")).into());
    }
    if !is_a(env, obj, &cache.map)? {
        let class = class_name(env, cache, obj);
        return Err(Error::invalid_argument(format!("{what} must be a java.util.Map, got {class}")).into());
    }
    if depth > MAX_DEPTH {
        return Err(too_deep(what));
    }
    let mut out = SecretMap::new();
    env.with_local_frame(4, |env| -> Res<()> {
        let entries = call_object(env, obj, cache.map_entry_set, &[])?;
        let iterator = call_object(env, &entries, cache.collection_iterator, &[])?;
        while call_primitive(env, &iterator, cache.iterator_has_next, Primitive::Boolean)?.z()? {
            env.with_local_frame(8, |env| -> Res<()> {
                let entry = call_object(env, &iterator, cache.iterator_next, &[])?;
                let key = call_object(env, &entry, cache.entry_get_key, &[])?;
                if key.is_null() || !is_a(env, &key, &cache.string)? {
                    let class = if key.is_null() {
                        "null".to_string()
                    } else {
                        class_name(env, cache, &key)
                    };
                    return Err(Error::invalid_argument(format!(
                        "{what}: every name (map key) must be a non-null String, got {class}"
                    ))
                    .into());
                }
                let name = read_string(env, &key, "a secret name")?;
                let value = call_object(env, &entry, cache.entry_get_value, &[])?;
                let value = java_to_value(env, cache, &value, what, depth + 1)?;
                out.insert(name, value);
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(out)
}

/// Any supported Java value as JSON; see the module table.
pub fn java_to_value(env: &mut Env<'_>, cache: &Cache, obj: &JObject<'_>, what: &str, depth: usize) -> Res<Value> {
    if obj.is_null() {
        return Ok(Value::Null);
    }
    if is_a(env, obj, &cache.string)? {
        return Ok(Value::String(read_string(env, obj, what)?));
    }
    if is_a(env, obj, &cache.boolean)? {
        let b = call_primitive(env, obj, cache.boolean_value, Primitive::Boolean)?.z()?;
        return Ok(Value::Bool(b));
    }
    if is_a(env, obj, &cache.long)?
        || is_a(env, obj, &cache.integer)?
        || is_a(env, obj, &cache.short)?
        || is_a(env, obj, &cache.byte)?
    {
        let l = call_primitive(env, obj, cache.number_long_value, Primitive::Long)?.j()?;
        return Ok(Value::from(l));
    }
    if is_a(env, obj, &cache.double)? || is_a(env, obj, &cache.float)? {
        let d = call_primitive(env, obj, cache.number_double_value, Primitive::Double)?.d()?;
        return Number::from_f64(d).map(Value::Number).ok_or_else(|| {
            Error::invalid_argument(format!("{what}: NaN and infinite numbers cannot be stored as JSON")).into()
        });
    }
    if is_a(env, obj, &cache.big_integer)? {
        return big_integer_to_value(env, cache, obj, what);
    }
    if is_a(env, obj, &cache.map)? {
        let mut map = java_to_secret_map(env, cache, obj, what, depth)?;
        return Ok(Value::Object(std::mem::take(map.as_map_mut())));
    }
    if is_a(env, obj, &cache.secrets)? {
        // Its values, not its masked text: a Secrets handed back to a write stores what it holds.
        return env.with_local_frame(4, |env| -> Res<Value> {
            let map = call_object(env, obj, cache.secrets_to_map, &[])?;
            let mut map = java_to_secret_map(env, cache, &map, what, depth)?;
            Ok(Value::Object(std::mem::take(map.as_map_mut())))
        });
    }
    if is_a(env, obj, &cache.collection)? {
        if depth > MAX_DEPTH {
            return Err(too_deep(what));
        }
        let mut out = Scrubbing(Value::Array(Vec::with_capacity(capacity_hint(
            env,
            obj,
            cache.collection_size,
        )?)));
        env.with_local_frame(4, |env| -> Res<()> {
            let iterator = call_object(env, obj, cache.collection_iterator, &[])?;
            while call_primitive(env, &iterator, cache.iterator_has_next, Primitive::Boolean)?.z()? {
                env.with_local_frame(4, |env| -> Res<()> {
                    let item = call_object(env, &iterator, cache.iterator_next, &[])?;
                    let value = java_to_value(env, cache, &item, what, depth + 1)?;
                    if let Value::Array(items) = &mut out.0 {
                        items.push(value);
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
        return Ok(out.take());
    }
    let class = class_name(env, cache, obj);
    Err(Error::invalid_argument(format!(
        "{what}: a value of class {class} cannot be stored; use String, Long, Integer, Short, Byte, BigInteger, \
         Double, Float, Boolean, null, Map<String, ?>, Secrets or a Collection of these"
    ))
    .into())
}

fn big_integer_to_value(env: &mut Env<'_>, cache: &Cache, obj: &JObject<'_>, what: &str) -> Res<Value> {
    let bits = call_primitive(env, obj, cache.big_integer_bit_length, Primitive::Int)?.i()?;
    if bits <= 63 {
        let l = call_primitive(env, obj, cache.number_long_value, Primitive::Long)?.j()?;
        return Ok(Value::from(l));
    }
    let signum = call_primitive(env, obj, cache.big_integer_signum, Primitive::Int)?.i()?;
    if bits == 64 && signum > 0 {
        let text = env.with_local_frame(2, |env| -> Res<String> {
            let text = call_object(env, obj, cache.object_to_string, &[])?;
            read_string(env, &text, what)
        })?;
        if let Ok(u) = text.parse::<u64>() {
            return Ok(Value::from(u));
        }
    }
    Err(Error::invalid_argument(format!(
        "{what}: integers must lie between -2^63 and 2^64-1 to be stored as JSON numbers; store larger ones as strings"
    ))
    .into())
}

fn too_deep(what: &str) -> crate::failure::Failure {
    Error::invalid_argument(format!(
        "{what}: maps and lists are nested more than {MAX_DEPTH} levels deep (or contain themselves)"
    ))
    .into()
}
