//! Classes and method IDs the glue uses, looked up once (on the first call, from a thread the
//! JVM called us on, so the binding's own class loader resolves `io/vdk/secrets/*`) and kept
//! for the life of the process as global references.

use std::sync::OnceLock;

use jni::ids::{JMethodID, JStaticMethodID};
use jni::objects::JClass;
use jni::refs::Global;
use jni::strings::JNIStr;
use jni::{jni_sig, jni_str, Env};

pub struct Cache {
    pub string: Global<JClass<'static>>,
    pub boolean: Global<JClass<'static>>,
    pub boolean_value: JMethodID,
    pub boolean_value_of: JStaticMethodID,
    pub long: Global<JClass<'static>>,
    pub long_value_of: JStaticMethodID,
    pub integer: Global<JClass<'static>>,
    pub short: Global<JClass<'static>>,
    pub byte: Global<JClass<'static>>,
    pub double: Global<JClass<'static>>,
    pub double_value_of: JStaticMethodID,
    pub float: Global<JClass<'static>>,
    pub number_long_value: JMethodID,
    pub number_double_value: JMethodID,
    pub big_integer: Global<JClass<'static>>,
    pub big_integer_new: JMethodID,
    pub big_integer_bit_length: JMethodID,
    pub big_integer_signum: JMethodID,
    pub object_to_string: JMethodID,
    pub object_get_class: JMethodID,
    pub class_get_name: JMethodID,
    pub map: Global<JClass<'static>>,
    pub map_entry_set: JMethodID,
    pub entry_get_key: JMethodID,
    pub entry_get_value: JMethodID,
    pub collection: Global<JClass<'static>>,
    pub collection_iterator: JMethodID,
    pub collection_size: JMethodID,
    pub iterator_has_next: JMethodID,
    pub iterator_next: JMethodID,
    pub linked_hash_map: Global<JClass<'static>>,
    pub linked_hash_map_new: JMethodID,
    pub map_put: JMethodID,
    pub secrets: Global<JClass<'static>>,
    /// `Secrets.toMap()`: a `Secrets` among the values of a write is written in full.
    pub secrets_to_map: JMethodID,
    pub array_list: Global<JClass<'static>>,
    pub array_list_new: JMethodID,
    pub list_add: JMethodID,
    pub exception: Global<JClass<'static>>,
    pub exception_from_native: JStaticMethodID,
    /// `NativeLog.record(int level, String message)`: a library log record into `System.Logger`.
    pub native_log: Global<JClass<'static>>,
    pub native_log_record: JStaticMethodID,
}

static CACHE: OnceLock<Cache> = OnceLock::new();

/// The cache, built on first use. Two threads racing to build it both succeed; one result is
/// kept and the other's global references are released.
pub fn cache(env: &mut Env<'_>) -> jni::errors::Result<&'static Cache> {
    if let Some(cache) = CACHE.get() {
        return Ok(cache);
    }
    let built = build(env)?;
    Ok(CACHE.get_or_init(|| built))
}

fn class(env: &mut Env<'_>, name: &JNIStr) -> jni::errors::Result<Global<JClass<'static>>> {
    let local = env.find_class(name)?;
    let global = env.new_global_ref(&local)?;
    env.delete_local_ref(local);
    Ok(global)
}

fn build(env: &mut Env<'_>) -> jni::errors::Result<Cache> {
    env.with_local_frame(40, |env| -> jni::errors::Result<Cache> {
        let string = class(env, jni_str!("java/lang/String"))?;
        let object = class(env, jni_str!("java/lang/Object"))?;
        let class_class = class(env, jni_str!("java/lang/Class"))?;
        let boolean = class(env, jni_str!("java/lang/Boolean"))?;
        let long = class(env, jni_str!("java/lang/Long"))?;
        let double = class(env, jni_str!("java/lang/Double"))?;
        let number = class(env, jni_str!("java/lang/Number"))?;
        let big_integer = class(env, jni_str!("java/math/BigInteger"))?;
        let map = class(env, jni_str!("java/util/Map"))?;
        let entry = class(env, jni_str!("java/util/Map$Entry"))?;
        let collection = class(env, jni_str!("java/util/Collection"))?;
        let iterator = class(env, jni_str!("java/util/Iterator"))?;
        let linked_hash_map = class(env, jni_str!("java/util/LinkedHashMap"))?;
        let secrets = class(env, jni_str!("io/vdk/secrets/Secrets"))?;
        let array_list = class(env, jni_str!("java/util/ArrayList"))?;
        let list = class(env, jni_str!("java/util/List"))?;
        let exception = class(env, jni_str!("io/vdk/secrets/VdkSecretsException"))?;
        let native_log = class(env, jni_str!("io/vdk/secrets/NativeLog"))?;
        Ok(Cache {
            boolean_value: env.get_method_id(&boolean, jni_str!("booleanValue"), jni_sig!("()Z"))?,
            boolean_value_of: env.get_static_method_id(
                &boolean,
                jni_str!("valueOf"),
                jni_sig!("(Z)Ljava/lang/Boolean;"),
            )?,
            long_value_of: env.get_static_method_id(&long, jni_str!("valueOf"), jni_sig!("(J)Ljava/lang/Long;"))?,
            double_value_of: env.get_static_method_id(
                &double,
                jni_str!("valueOf"),
                jni_sig!("(D)Ljava/lang/Double;"),
            )?,
            number_long_value: env.get_method_id(&number, jni_str!("longValue"), jni_sig!("()J"))?,
            number_double_value: env.get_method_id(&number, jni_str!("doubleValue"), jni_sig!("()D"))?,
            big_integer_new: env.get_method_id(&big_integer, jni_str!("<init>"), jni_sig!("(Ljava/lang/String;)V"))?,
            big_integer_bit_length: env.get_method_id(&big_integer, jni_str!("bitLength"), jni_sig!("()I"))?,
            big_integer_signum: env.get_method_id(&big_integer, jni_str!("signum"), jni_sig!("()I"))?,
            object_to_string: env.get_method_id(&object, jni_str!("toString"), jni_sig!("()Ljava/lang/String;"))?,
            object_get_class: env.get_method_id(&object, jni_str!("getClass"), jni_sig!("()Ljava/lang/Class;"))?,
            class_get_name: env.get_method_id(&class_class, jni_str!("getName"), jni_sig!("()Ljava/lang/String;"))?,
            map_entry_set: env.get_method_id(&map, jni_str!("entrySet"), jni_sig!("()Ljava/util/Set;"))?,
            entry_get_key: env.get_method_id(&entry, jni_str!("getKey"), jni_sig!("()Ljava/lang/Object;"))?,
            entry_get_value: env.get_method_id(&entry, jni_str!("getValue"), jni_sig!("()Ljava/lang/Object;"))?,
            collection_iterator: env.get_method_id(
                &collection,
                jni_str!("iterator"),
                jni_sig!("()Ljava/util/Iterator;"),
            )?,
            collection_size: env.get_method_id(&collection, jni_str!("size"), jni_sig!("()I"))?,
            iterator_has_next: env.get_method_id(&iterator, jni_str!("hasNext"), jni_sig!("()Z"))?,
            iterator_next: env.get_method_id(&iterator, jni_str!("next"), jni_sig!("()Ljava/lang/Object;"))?,
            linked_hash_map_new: env.get_method_id(&linked_hash_map, jni_str!("<init>"), jni_sig!("(I)V"))?,
            map_put: env.get_method_id(
                &map,
                jni_str!("put"),
                jni_sig!("(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;"),
            )?,
            secrets_to_map: env.get_method_id(&secrets, jni_str!("toMap"), jni_sig!("()Ljava/util/Map;"))?,
            array_list_new: env.get_method_id(&array_list, jni_str!("<init>"), jni_sig!("(I)V"))?,
            list_add: env.get_method_id(&list, jni_str!("add"), jni_sig!("(Ljava/lang/Object;)Z"))?,
            exception_from_native: env.get_static_method_id(
                &exception,
                jni_str!("fromNative"),
                jni_sig!("(IIZLjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;I)Lio/vdk/secrets/VdkSecretsException;"),
            )?,
            native_log_record: env.get_static_method_id(
                &native_log,
                jni_str!("record"),
                jni_sig!("(ILjava/lang/String;)V"),
            )?,
            integer: class(env, jni_str!("java/lang/Integer"))?,
            short: class(env, jni_str!("java/lang/Short"))?,
            byte: class(env, jni_str!("java/lang/Byte"))?,
            float: class(env, jni_str!("java/lang/Float"))?,
            string,
            boolean,
            long,
            double,
            big_integer,
            map,
            collection,
            linked_hash_map,
            secrets,
            array_list,
            exception,
            native_log,
        })
    })
}
