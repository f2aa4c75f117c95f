//! Containers for secret material: they wipe their memory when dropped and never print it.
//!
//! What we own is wiped: buffers holding request and response bodies, parsed secret maps
//! (every string, key, number and boolean is overwritten before it is freed) and tokens.
//! What passes through the HTTP stack's own buffers (hyper's read/write buffers, rustls
//! records, kernel socket buffers) is outside our reach; the README says so.

use std::fmt;
use std::io;

use serde_json::{Map, Number, Value};
use zeroize::Zeroize;

/// A string such as a token or a refresh token: wiped on drop, masked in `Debug`.
#[derive(Clone, Default)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: String) -> Self {
        SecretString(value)
    }

    /// The secret itself. Callers must not log or format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

/// A growable byte buffer that wipes every allocation it leaves behind.
///
/// `Vec` growth frees the old allocation without wiping it; here growth copies into a new
/// allocation and wipes the old one first, so a response body never leaves stale copies.
#[derive(Default)]
pub struct SecretBuffer(Vec<u8>);

impl SecretBuffer {
    pub fn with_capacity(capacity: usize) -> Self {
        SecretBuffer(Vec::with_capacity(capacity))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn extend_from_slice(&mut self, data: &[u8]) {
        let needed = self.0.len() + data.len();
        if needed > self.0.capacity() {
            let mut grown = Vec::with_capacity(needed.max(self.0.capacity() * 2).max(64));
            grown.extend_from_slice(&self.0);
            self.0.zeroize();
            self.0 = grown;
        }
        self.0.extend_from_slice(data);
    }
}

impl Drop for SecretBuffer {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBuffer({} bytes, ***)", self.0.len())
    }
}

impl io::Write for SecretBuffer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsRef<[u8]> for SecretBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Overwrites every string, number and boolean inside `value` in place.
pub fn scrub_value(value: &mut Value) {
    match value {
        Value::Null => {}
        Value::Bool(b) => *b = false,
        Value::Number(n) => *n = Number::from(0u8),
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(scrub_value),
        Value::Object(map) => scrub_map(map),
    }
}

fn scrub_map(map: &mut Map<String, Value>) {
    map.values_mut().for_each(scrub_value);
    for (mut key, _) in std::mem::take(map) {
        key.zeroize();
    }
}

/// A JSON object of secrets (name → any JSON value): wiped on drop, masked in `Debug`.
#[derive(Clone, Default, PartialEq)]
pub struct SecretMap(Map<String, Value>);

impl SecretMap {
    pub fn new() -> Self {
        SecretMap(Map::new())
    }

    /// Parses a JSON object. The error never quotes the input.
    pub fn from_json(bytes: &[u8]) -> Result<Self, JsonShapeError> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(SecretMap(map)),
            Ok(mut other) => {
                let kind = json_kind(&other);
                scrub_value(&mut other);
                Err(JsonShapeError::NotAnObject(kind))
            }
            Err(e) => Err(JsonShapeError::Malformed {
                line: e.line(),
                column: e.column(),
                eof: e.is_eof(),
            }),
        }
    }

    /// Compact JSON in a wiping buffer.
    pub fn to_json(&self) -> SecretBuffer {
        let mut out = SecretBuffer::with_capacity(256);
        serde_json::to_writer(&mut out, &self.0).expect("writing JSON to memory cannot fail");
        out
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.0
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    pub fn insert(&mut self, name: String, value: Value) {
        if let Some(mut old) = self.0.insert(name, value) {
            scrub_value(&mut old);
        }
    }

    pub fn remove(&mut self, name: &str) -> bool {
        match self.0.remove(name) {
            Some(mut old) => {
                scrub_value(&mut old);
                true
            }
            None => false,
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every string in the map (keys excluded) of at least `min_len` characters: what an
    /// error text coming back from a server must not repeat.
    pub fn string_values(&self, min_len: usize) -> Vec<&str> {
        fn walk<'a>(v: &'a Value, min_len: usize, out: &mut Vec<&'a str>) {
            match v {
                Value::String(s) if s.chars().count() >= min_len => out.push(s),
                Value::Array(items) => items.iter().for_each(|i| walk(i, min_len, out)),
                Value::Object(m) => m.values().for_each(|i| walk(i, min_len, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        self.0.values().for_each(|v| walk(v, min_len, &mut out));
        out
    }
}

impl From<Map<String, Value>> for SecretMap {
    fn from(map: Map<String, Value>) -> Self {
        SecretMap(map)
    }
}

impl Drop for SecretMap {
    fn drop(&mut self) {
        scrub_map(&mut self.0);
    }
}

impl fmt::Debug for SecretMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretMap({} entries, ***)", self.0.len())
    }
}

/// Why a JSON text is not a secret map; holds positions, never content.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JsonShapeError {
    #[error("expected a JSON object, got {0}")]
    NotAnObject(&'static str),
    #[error("malformed JSON at line {line}, column {column}{}", if *.eof { " (unexpected end)" } else { "" })]
    Malformed { line: usize, column: usize, eof: bool },
}

pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_masked() {
        let map = SecretMap::from_json(br#"{"k":"hunter2"}"#).unwrap();
        assert!(!format!("{map:?}").contains("hunter2"));
        let s = SecretString::new("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
        let mut b = SecretBuffer::default();
        b.extend_from_slice(b"hunter2");
        assert!(!format!("{b:?}").contains("hunter2"));
    }

    #[test]
    fn scrub_overwrites_everything() {
        let mut v: Value = serde_json::from_str(r#"{"a":["xyz",12,true,{"b":1.5}],"c":"secret"}"#).unwrap();
        if let Value::Object(m) = &mut v {
            m.values_mut().for_each(scrub_value);
            assert_eq!(m["c"], Value::String(String::new()));
            assert_eq!(m["a"][0], Value::String(String::new()));
            assert_eq!(m["a"][1], Value::from(0u8));
            assert_eq!(m["a"][2], Value::Bool(false));
            assert_eq!(
                m["a"][3],
                Value::Object(Map::new()),
                "nested maps are emptied, keys wiped"
            );
        }
    }

    #[test]
    fn numbers_keep_their_exact_text() {
        // Beyond u64, and floats that a fast float parser would round differently.
        let text = br#"{"big":1125777777777777777772921504606846976,"f":0.1000000000000000055511151231257827,"i":-7,"e":1e400}"#;
        let map = SecretMap::from_json(text).unwrap();
        // Keys come back sorted; digits come back as sent (an exponent gains its sign).
        let expected = r#"{"big":1125777777777777777772921504606846976,"e":1e+400,"f":0.1000000000000000055511151231257827,"i":-7}"#;
        assert_eq!(std::str::from_utf8(map.to_json().as_bytes()).unwrap(), expected);
    }

    #[test]
    fn buffer_growth_keeps_content() {
        let mut b = SecretBuffer::with_capacity(1);
        for i in 0..1000u32 {
            b.extend_from_slice(&i.to_le_bytes());
        }
        assert_eq!(b.len(), 4000);
        assert_eq!(&b.as_bytes()[4..8], &1u32.to_le_bytes());
    }

    #[test]
    fn shape_errors_never_quote_input() {
        let e = SecretMap::from_json(br#"["hunter2"]"#).unwrap_err();
        assert_eq!(e, JsonShapeError::NotAnObject("an array"));
        let e = SecretMap::from_json(br#"{"a": "hunter2"#).unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
    }
}
