//! A secrets map kept as text: validated once and held in canonical compact JSON, for callers
//! that want JSON out (the C ABI, bindings that decode in their own language) and should not
//! pay for a tree of values they never look at.
//!
//! The canonical form is the one [`SecretMap::to_json`] writes: compact, top-level and nested
//! keys sorted bytewise, the last of duplicate keys kept, strings escaped as serde_json escapes
//! them, numbers with their exact digits (`E` written `e`, an exponent with its sign). Getting
//! there costs one validating pass of serde_json over the text (keys and values are borrowed
//! [`RawValue`]s, nothing is decoded), a check that each value is already in canonical form
//! (a memchr scan for strings, the usual case), one copy into a wiping buffer, and a sort only
//! when the keys arrive out of order. A value that is not canonical (whitespace inside an array,
//! a `\u` escape, `1E5`) is rewritten through `serde_json::Value`, as the map would be; a key
//! holding an escape sends the whole text through [`SecretMap`].

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::secret::{scrub_value, JsonShapeError, SecretBuffer, SecretMap};

/// A JSON object of secrets in canonical compact form, in a wiping buffer; masked in `Debug`.
/// Clones share the buffer, which is wiped when the last clone is dropped.
#[derive(Clone)]
pub struct SecretJson {
    /// The canonical text.
    text: Arc<SecretBuffer>,
}

impl SecretJson {
    /// Checks that `bytes` is one JSON object in valid UTF-8 and brings it to canonical form.
    /// Errors are those of [`SecretMap::from_json`] and never quote the input.
    pub fn from_json(bytes: &[u8]) -> Result<Self, JsonShapeError> {
        let first = bytes.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        if first != Some(&b'{') {
            // Not an object (or not JSON): the map's parser names what it is.
            return SecretMap::from_json(bytes).map(|map| SecretJson::from(&map));
        }
        // Canonical text is never longer than its input when every value is canonical already
        // (the common case): then this is the only allocation.
        let mut out = SecretBuffer::with_capacity(bytes.len());
        if is_canonical_object(bytes) {
            out.extend_from_slice(bytes);
            return Ok(SecretJson { text: Arc::new(out) });
        }
        match write_members_in_order(bytes, &mut out)? {
            Outcome::Written => {}
            Outcome::OutOfOrder => {
                out.clear();
                write_members_sorted(bytes, &mut out)?;
            }
            Outcome::EscapedKey => return SecretMap::from_json(bytes).map(|map| SecretJson::from(&map)),
        }
        Ok(SecretJson { text: Arc::new(out) })
    }

    /// [`SecretJson::from_json`] of a body this takes over: when the body is already canonical
    /// (what this library writes, and so what a service that stores it as sent returns), the
    /// body's own buffer becomes the text, checked in one pass and never copied.
    pub fn from_body(body: SecretBuffer) -> Result<Self, JsonShapeError> {
        if !is_canonical_object(body.as_bytes()) {
            return SecretJson::from_json(body.as_bytes());
        }
        Ok(SecretJson { text: Arc::new(body) })
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// Length of the canonical text: the size the Control Service's limit applies to.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// `{}` is two bytes; there is no shorter object.
    pub fn is_empty(&self) -> bool {
        self.len() <= 2
    }

    /// A copy of the text in a buffer of its own.
    pub fn to_buffer(&self) -> SecretBuffer {
        let mut copy = SecretBuffer::with_capacity(self.len());
        copy.extend_from_slice(self.as_bytes());
        copy
    }

    /// The text as a request body, sharing the buffer.
    pub(crate) fn shared_bytes(&self) -> Bytes {
        Bytes::from_owner(SharedText(self.text.clone()))
    }

    /// Every string value (keys excluded, nested values included) of at least `min_len`
    /// characters, decoded: what an error text coming back from a server must not repeat.
    pub fn string_values(&self, min_len: usize) -> StringValues<'_> {
        let text = self.as_bytes();
        let mut plain = Vec::new();
        let mut decoded = SecretBuffer::default();
        let mut decoded_ranges = Vec::new();
        let mut at = 0;
        // Canonical JSON is compact: outside strings there are no quotes, and a key's closing
        // quote is always followed by `:`, a value's never.
        while let Some(start) = memchr::memchr(b'"', &text[at..]).map(|i| at + i) {
            let end = string_end(text, start);
            at = end;
            // Fewer bytes than `min_len` means fewer characters too.
            if text.get(end) == Some(&b':') || end - start - 2 < min_len {
                continue;
            }
            let inner = &text[start + 1..end - 1];
            if memchr::memchr(b'\\', inner).is_none() {
                // A slice of valid UTF-8 between two ASCII quotes.
                let s = std::str::from_utf8(inner).unwrap_or_default();
                if has_chars(s, min_len) {
                    plain.push(s);
                }
            } else {
                let from = decoded.len();
                unescape_canonical(inner, &mut decoded);
                decoded_ranges.push(from..decoded.len());
            }
        }
        StringValues {
            plain,
            decoded,
            decoded_ranges,
            min_len,
        }
    }
}

impl From<&SecretMap> for SecretJson {
    fn from(map: &SecretMap) -> Self {
        SecretJson {
            text: Arc::new(map.to_json()),
        }
    }
}

impl fmt::Debug for SecretJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretJson({} bytes, ***)", self.len())
    }
}

/// The owner of a request body's bytes: the shared text.
struct SharedText(Arc<SecretBuffer>);

impl AsRef<[u8]> for SharedText {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// String values of a [`SecretJson`]: borrowed when the text holds them as they are, decoded
/// into one wiping buffer when they hold escapes.
pub struct StringValues<'a> {
    plain: Vec<&'a str>,
    decoded: SecretBuffer,
    decoded_ranges: Vec<std::ops::Range<usize>>,
    min_len: usize,
}

impl StringValues<'_> {
    pub fn as_strs(&self) -> Vec<&str> {
        // Decoded from valid UTF-8 with escapes of ASCII characters only, so valid UTF-8, cut
        // at string boundaries.
        let decoded = std::str::from_utf8(self.decoded.as_bytes()).unwrap_or_default();
        let decoded = self
            .decoded_ranges
            .iter()
            .filter_map(|range| decoded.get(range.clone()))
            .filter(|s| has_chars(s, self.min_len));
        self.plain.iter().copied().chain(decoded).collect()
    }
}

fn has_chars(s: &str, min_len: usize) -> bool {
    s.len() >= 4 * min_len || s.chars().count() >= min_len
}

/// Appends the string `inner` (between its quotes, in canonical form) decoded. Canonical
/// escapes are the short ones and `\u00XX` for other control characters.
fn unescape_canonical(inner: &[u8], out: &mut SecretBuffer) {
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'\\', &inner[at..]) {
        let escape = at + found;
        out.extend_from_slice(&inner[at..escape]);
        let (byte, len) = match inner.get(escape + 1) {
            Some(b'b') => (0x08, 2),
            Some(b'f') => (0x0c, 2),
            Some(b'n') => (b'\n', 2),
            Some(b'r') => (b'\r', 2),
            Some(b't') => (b'\t', 2),
            Some(b'u') => {
                let hex = inner
                    .get(escape + 2..escape + 6)
                    .and_then(|h| std::str::from_utf8(h).ok());
                let code = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).filter(u8::is_ascii);
                (code.unwrap_or(b'?'), 6)
            }
            Some(&other) => (other, 2),
            None => break,
        };
        out.extend_from_slice(&[byte]);
        at = escape + len;
    }
    out.extend_from_slice(inner.get(at..).unwrap_or_default());
}

enum Outcome {
    Written,
    /// A key not above the one before it: the members must be sorted (and deduplicated).
    OutOfOrder,
    /// A key with an escape: its bytes are not its name, so order and duplicates must be
    /// judged on decoded names.
    EscapedKey,
}

/// One pass of serde_json over `input` (an object), writing `{...}` to `out` as long as keys
/// come in increasing order; keys and values are borrowed slices of `input`, nothing decoded.
fn write_members_in_order(input: &[u8], out: &mut SecretBuffer) -> Result<Outcome, JsonShapeError> {
    struct InOrder<'o> {
        input: &'o [u8],
        out: &'o mut SecretBuffer,
        value_error: &'o mut Option<JsonShapeError>,
    }
    impl<'de> Visitor<'de> for InOrder<'_> {
        type Value = Outcome;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outcome, A::Error> {
            let mut outcome = Outcome::Written;
            let mut previous: Option<&str> = None;
            self.out.extend_from_slice(b"{");
            while let Some(key) = map.next_key::<&'de RawValue>()? {
                let value = map.next_value::<&'de RawValue>()?;
                let name = unquoted(key);
                if name.contains('\\') {
                    outcome = Outcome::EscapedKey;
                }
                // Past a key out of order the pass only validates what is left.
                if !matches!(outcome, Outcome::Written) {
                    continue;
                }
                if previous.is_some_and(|p| p >= name) {
                    outcome = Outcome::OutOfOrder;
                    continue;
                }
                if previous.is_some() {
                    self.out.extend_from_slice(b",");
                }
                previous = Some(name);
                write_member(self.out, name, value, self.input)
                    .map_err(|e| serde::de::Error::custom(self.value_error.insert(e)))?;
            }
            self.out.extend_from_slice(b"}");
            Ok(outcome)
        }
    }
    let mut value_error = None;
    let mut deserializer = serde_json::Deserializer::from_slice(input);
    let visitor = InOrder {
        input,
        out,
        value_error: &mut value_error,
    };
    let result = deserializer
        .deserialize_map(visitor)
        .and_then(|outcome| deserializer.end().map(|()| outcome));
    result.map_err(|e| value_error.unwrap_or_else(|| malformed(&e)))
}

/// Whether `input` is a valid JSON object in canonical form already. Canonical text is a much
/// smaller language than JSON (no whitespace, seven escapes, one spelling of each number), so
/// checking it is one strict pass: no byte below 0x20 anywhere (whitespace outside strings is
/// not canonical, control characters inside them are not JSON), valid UTF-8, and the grammar
/// of [`canonical_end`]. Anything else goes through serde_json.
fn is_canonical_object(input: &[u8]) -> bool {
    input.first() == Some(&b'{')
        && no_control_bytes(input)
        && std::str::from_utf8(input).is_ok()
        && canonical_end(input, 0, 0) == Some(input.len())
}

/// The other pass, for keys out of order: collects the members, sorts them as the map sorts
/// (stable, so that among equal keys the last one wins, as in the map) and writes them.
fn write_members_sorted(input: &[u8], out: &mut SecretBuffer) -> Result<(), JsonShapeError> {
    struct Collect;
    impl<'de> Visitor<'de> for Collect {
        type Value = Vec<(&'de str, &'de RawValue)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
            while let Some(key) = map.next_key::<&'de RawValue>()? {
                members.push((unquoted(key), map.next_value::<&'de RawValue>()?));
            }
            Ok(members)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(input);
    let mut members = deserializer.deserialize_map(Collect).map_err(|e| malformed(&e))?;
    members.sort_by(|a, b| a.0.cmp(b.0));
    let members = dedup_keep_last(members);
    out.extend_from_slice(b"{");
    for (i, (name, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",");
        }
        write_member(out, name, value, input)?;
    }
    out.extend_from_slice(b"}");
    Ok(())
}

/// A key as it stands between its quotes.
fn unquoted(key: &RawValue) -> &str {
    let quoted = key.get();
    &quoted[1..quoted.len() - 1]
}

/// `"name":value`, the value in canonical form. `name` holds no escape.
fn write_member(out: &mut SecretBuffer, name: &str, value: &RawValue, input: &[u8]) -> Result<(), JsonShapeError> {
    out.extend_from_slice(b"\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    write_value(out, value, input)
}

/// Keeps the last of each run of equal keys in a sorted list.
fn dedup_keep_last<'a>(sorted: Vec<(&'a str, &'a RawValue)>) -> Vec<(&'a str, &'a RawValue)> {
    let mut out: Vec<(&str, &RawValue)> = Vec::with_capacity(sorted.len());
    for member in sorted {
        match out.last_mut() {
            Some(last) if last.0 == member.0 => *last = member,
            _ => out.push(member),
        }
    }
    out
}

/// Appends `value` in canonical form: as it is when it already is, else through `Value`.
fn write_value(out: &mut SecretBuffer, value: &RawValue, input: &[u8]) -> Result<(), JsonShapeError> {
    let raw = value.get().as_bytes();
    if canonical_end(raw, 0, 0) == Some(raw.len()) {
        out.extend_from_slice(raw);
        return Ok(());
    }
    // The position of a problem inside the value, moved to its place in the whole text.
    let offset = raw.as_ptr() as usize - input.as_ptr() as usize;
    let at = |line: usize, column: usize, eof: bool| {
        let before = &input[..offset];
        let lines_before = memchr::memchr_iter(b'\n', before).count();
        let column_of_value = offset - memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        let (line, column) = if line == 1 {
            (lines_before + 1, column_of_value + column)
        } else {
            (lines_before + line, column)
        };
        JsonShapeError::Malformed { line, column, eof }
    };
    // Parsed alone the value would have one more level than inside the map: keep the map's
    // limit.
    if nesting_depth(raw) >= MAX_VALUE_DEPTH {
        return Err(at(1, 1, false));
    }
    let mut parsed: Value = serde_json::from_str(value.get()).map_err(|e| at(e.line(), e.column(), e.is_eof()))?;
    serde_json::to_writer(&mut *out, &parsed).expect("writing JSON to memory cannot fail");
    scrub_value(&mut parsed);
    Ok(())
}

/// serde_json refuses a 128th level of nesting; in the map the map's own object is the first,
/// so a value may hold 126.
const MAX_VALUE_DEPTH: usize = 127;

/// How deeply arrays and objects nest in `json` (valid JSON).
fn nesting_depth(json: &[u8]) -> usize {
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0);
    while let Some(found) = memchr::memchr3(b'"', b'[', b'{', &json[at..]) {
        let i = at + found;
        if json[i] == b'"' {
            at = string_end(json, i);
            continue;
        }
        // Closing brackets between here and the last opening one, outside strings.
        depth = depth.saturating_sub(json[at..i].iter().filter(|&&b| b == b']' || b == b'}').count()) + 1;
        deepest = deepest.max(depth);
        at = i + 1;
    }
    deepest
}

/// Nesting deeper than this is left to `Value` (which has its own limit): the check recurses.
const MAX_CHECKED_DEPTH: usize = 64;

/// Where the value starting at `json[at]` ends, if it is valid JSON in canonical form, given
/// that `json` holds no byte below 0x20 (which [`is_canonical_object`] checks first; values that
/// serde_json parsed hold none either).
fn canonical_end(json: &[u8], at: usize, depth: usize) -> Option<usize> {
    match *json.get(at)? {
        b'"' => canonical_string_end(json, at),
        b't' => literal_end(json, at, b"true"),
        b'f' => literal_end(json, at, b"false"),
        b'n' => literal_end(json, at, b"null"),
        b'[' if depth < MAX_CHECKED_DEPTH => {
            let mut i = at + 1;
            if json.get(i) == Some(&b']') {
                return Some(i + 1);
            }
            loop {
                i = canonical_end(json, i, depth + 1)?;
                match json.get(i)? {
                    b',' => i += 1,
                    b']' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b'{' if depth < MAX_CHECKED_DEPTH => {
            let mut i = at + 1;
            if json.get(i) == Some(&b'}') {
                return Some(i + 1);
            }
            let mut previous: Option<&[u8]> = None;
            loop {
                if json.get(i) != Some(&b'"') {
                    return None;
                }
                let key_end = canonical_string_end(json, i)?;
                let key = &json[i + 1..key_end - 1];
                // Escaped keys sort by their decoded names: left to `Value`.
                if key.contains(&b'\\') || previous.is_some_and(|p| p >= key) {
                    return None;
                }
                previous = Some(key);
                if json.get(key_end) != Some(&b':') {
                    return None;
                }
                i = canonical_end(json, key_end + 1, depth + 1)?;
                match json.get(i)? {
                    b',' => i += 1,
                    b'}' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b'-' | b'0'..=b'9' => canonical_number_end(json, at),
        _ => None,
    }
}

/// `bytes.iter().all(|&b| b >= 0x20)`, in blocks the compiler vectorises (an early exit per
/// byte keeps it from doing so).
fn no_control_bytes(bytes: &[u8]) -> bool {
    bytes
        .chunks(256)
        .all(|block| block.iter().fold(0xffu8, |low, &b| low.min(b)) >= 0x20)
}

fn literal_end(json: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    (json.get(at..at + word.len())? == word).then_some(at + word.len())
}

/// JSON's number grammar, with the exponent as serde_json writes it: `e` and a sign.
fn canonical_number_end(json: &[u8], at: usize) -> Option<usize> {
    let digits = |from: usize| {
        let end = from + json.get(from..)?.iter().take_while(|b| b.is_ascii_digit()).count();
        (end > from).then_some(end)
    };
    let mut i = if json[at] == b'-' { at + 1 } else { at };
    i = match json.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i)?,
        _ => return None,
    };
    if json.get(i) == Some(&b'.') {
        i = digits(i + 1)?;
    }
    match json.get(i) {
        Some(b'e') if matches!(json.get(i + 1), Some(b'+' | b'-')) => digits(i + 2),
        Some(b'e' | b'E') => None,
        _ => Some(i),
    }
}

/// Where the string starting at `json[at]` ends, if its escapes are those serde_json writes:
/// `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t` (it writes `/` plain, and `\u` only for control
/// characters, in lower case: such strings are left to `Value`).
fn canonical_string_end(json: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        i += memchr::memchr2(b'"', b'\\', &json[i..])?;
        if json[i] == b'"' {
            return Some(i + 1);
        }
        match json.get(i + 1)? {
            b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
            _ => return None,
        }
    }
}

/// Where the string starting at `json[at]` ends, in valid JSON.
fn string_end(json: &[u8], at: usize) -> usize {
    let mut i = at + 1;
    while let Some(found) = memchr::memchr2(b'"', b'\\', &json[i..]) {
        i += found;
        if json[i] == b'"' {
            return i + 1;
        }
        i += 2;
    }
    json.len()
}

fn malformed(e: &serde_json::Error) -> JsonShapeError {
    JsonShapeError::Malformed {
        line: e.line(),
        column: e.column(),
        eof: e.is_eof(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the map path makes of `input`: the reference the text path must match.
    fn through_map(input: &[u8]) -> Result<Vec<u8>, JsonShapeError> {
        SecretMap::from_json(input).map(|map| map.to_json().as_bytes().to_vec())
    }

    fn from_body(input: &[u8]) -> Result<SecretJson, JsonShapeError> {
        let mut body = SecretBuffer::with_capacity(input.len() + 1);
        body.extend_from_slice(input);
        SecretJson::from_body(body)
    }

    fn same_as_map(input: &str) {
        let text = SecretJson::from_json(input.as_bytes()).map(|json| json.as_bytes().to_vec());
        let map = through_map(input.as_bytes());
        let body = from_body(input.as_bytes()).map(|json| json.as_bytes().to_vec());
        assert_eq!(body.is_ok(), text.is_ok(), "input {input:?}");
        if let (Ok(a), Ok(b)) = (&body, &text) {
            assert_eq!(a, b, "input {input:?}");
        }
        match (&text, &map) {
            (Ok(a), Ok(b)) => {
                assert_eq!(
                    String::from_utf8_lossy(a),
                    String::from_utf8_lossy(b),
                    "input {input:?}"
                );
                // Canonical text goes through the in-order pass unchanged.
                let again = SecretJson::from_json(b).unwrap();
                assert_eq!(again.as_bytes(), &b[..], "canonical input {input:?}");
            }
            (Err(JsonShapeError::NotAnObject(a)), Err(JsonShapeError::NotAnObject(b))) => assert_eq!(a, b),
            (Err(JsonShapeError::Malformed { .. }), Err(JsonShapeError::Malformed { .. })) => {}
            _ => panic!("input {input:?}: text path {text:?}, map path {map:?}"),
        }
    }

    struct Gen(u64);
    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
        fn space(&mut self) -> &'static str {
            [" ", "", "", "", "\n  ", "\t"][self.next(6) as usize]
        }
        fn string(&mut self) -> String {
            let pieces = [
                "a", "b", "key", "é", "😀", "\\n", "\\t", "\\\"", "\\\\", "\\/", "\\u0041", "\\u00e9", "\\u001f",
                "\\b", "\\f", "\\r", "Z", "0", "-", "~",
            ];
            let n = self.next(4);
            (0..n)
                .map(|_| pieces[self.next(pieces.len() as u64) as usize])
                .collect()
        }
        fn value(&mut self, depth: u32) -> String {
            let choice = if depth > 3 { self.next(5) } else { self.next(8) };
            match choice {
                0 => format!("\"{}\"", self.string()),
                1 => [
                    "0",
                    "-0",
                    "12",
                    "-7",
                    "1.5",
                    "1e5",
                    "1E5",
                    "2e-3",
                    "3E+2",
                    "0.1000000000000000055511151231257827",
                    "123456789012345678901234567890",
                ][self.next(11) as usize]
                    .to_string(),
                2 => ["true", "false", "null"][self.next(3) as usize].to_string(),
                3 | 4 => format!("\"{}\"", self.string()),
                5 => {
                    let n = self.next(4);
                    let items: Vec<String> = (0..n).map(|_| self.value(depth + 1)).collect();
                    let sep = format!("{},{}", self.space(), self.space());
                    format!("[{}{}]", self.space(), items.join(&sep))
                }
                _ => self.object(depth + 1),
            }
        }
        fn object(&mut self, depth: u32) -> String {
            let n = self.next(5);
            let members: Vec<String> = (0..n)
                .map(|_| {
                    let (key, s1, s2, value) = (self.string(), self.space(), self.space(), self.value(depth));
                    format!("\"{key}\"{s1}:{s2}{value}")
                })
                .collect();
            let sep = format!("{},{}", self.space(), self.space());
            format!("{{{}{}{}}}", self.space(), members.join(&sep), self.space())
        }
    }

    #[test]
    fn canonical_form_is_the_maps() {
        for input in [
            r#"{}"#,
            r#"  { }  "#,
            r#"{"a":"x"}"#,
            r#"{ "b" : 2 , "a" : "x" }"#,
            r#"{"a":1,"a":2}"#,
            r#"{"b":1,"a":2,"b":3,"a":4,"c":5}"#,
            r#"{"k":"line\nline\ttab \"q\" \\ \b\f\r"}"#,
            r#"{"k":"\/slash \u00e9 \u0041 \u001F \u001f \ud83d\ude00"}"#,
            r#"{"k":"é 😀 plain"}"#,
            r#"{"n":1E5,"m":1e5,"o":1e-5,"p":1E+5,"q":-0,"r":0.10,"s":-1.5e+300,"t":1e400}"#,
            r#"{"big":1125777777777777777772921504606846976,"neg":-18446744073709551617}"#,
            r#"{"l":[1, 2,3],"m":[],"n":[ ],"o":{},"p":{ }}"#,
            r#"{"o":{"b":1,"a":2},"p":{"a":{"d":[true,false,null],"c":"x"}}}"#,
            r#"{"o":{"a":1,"a":2}}"#,
            r#"{"o":{"a\u0062":1,"ab":2,"\"":3}}"#,
            r#"{"a\nb":1,"a":2}"#,
            r#"{"\u0061":1,"a":2}"#,
            r#"{"z":1,"\u00e9":2}"#,
            r#"{"t":true,"f":false,"n":null}"#,
            "{\"a\":\n[\r\n1\t]}",
            // Not canonical, not valid, not objects.
            r#"{"k":"\ud800"}"#,
            r#"{"k":"a"#,
            r#"{"k":1}x"#,
            r#"{"k":01}"#,
            "{\"k\":\"\u{1}\"}",
            r#"[1,2]"#,
            r#""text""#,
            r#"42"#,
            r#"null"#,
            r#""#,
            r#"   "#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
        ] {
            same_as_map(input);
        }
    }

    /// The strict check that lets canonical text through untouched accepts nothing the map
    /// would not write identically: canonical documents, mutated byte by byte.
    #[test]
    fn the_canonical_check_accepts_only_what_the_map_writes() {
        let interesting: &[u8] = b" \t\n\r\"\\{}[]:,0123456789-+.eEtrufalsnbu/\x00\x01\x1f\x7f\xc3\xa9\xed\xa0\x80\xff";
        let mut generator = Gen(0x2545_f491_4f6c_dd1d);
        let mut accepted = 0;
        for _ in 0..4000 {
            let Ok(canonical) = through_map(generator.object(0).as_bytes()) else {
                continue;
            };
            for _ in 0..25 {
                let mut mutated = canonical.clone();
                let at = generator.next(mutated.len() as u64 + 1) as usize;
                let byte = interesting[generator.next(interesting.len() as u64) as usize];
                match generator.next(3) {
                    0 if at < mutated.len() => drop(mutated.remove(at)),
                    1 if at < mutated.len() => mutated[at] = byte,
                    _ => mutated.insert(at, byte),
                }
                if is_canonical_object(&mutated) {
                    accepted += 1;
                    let again = through_map(&mutated);
                    assert_eq!(
                        again.as_deref().ok(),
                        Some(&mutated[..]),
                        "accepted as canonical: {:?}",
                        String::from_utf8_lossy(&mutated)
                    );
                }
            }
        }
        assert!(accepted > 1000, "mutations that stay canonical were tried ({accepted})");
    }

    #[test]
    fn invalid_utf8_is_refused() {
        for input in [&b"{\"k\":\"\xff\"}"[..], b"{\"\xc3\":1}", b"{\"k\":\"\xed\xa0\x80\"}"] {
            assert!(matches!(
                SecretJson::from_json(input),
                Err(JsonShapeError::Malformed { .. })
            ));
            assert!(through_map(input).is_err());
        }
    }

    #[test]
    fn deep_nesting_matches_the_map() {
        for depth in [10, 63, 64, 65, 100, 127, 128, 129, 200, 100_000] {
            let input = format!("{{\"k\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
            same_as_map(&input);
            let input = format!("{{\"k\":{}1{}}}", "{\"a\":".repeat(depth), "}".repeat(depth));
            same_as_map(&input);
        }
    }

    /// Random documents in random dress: whitespace, key order, duplicates, escapes, numbers.
    #[test]
    fn generated_documents_match_the_map() {
        let mut generator = Gen(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let document = generator.object(0);
            same_as_map(&document);
        }
    }

    #[test]
    fn string_values_are_the_maps() {
        let input = r#"{"a":"plain-value","b":{"key-not-a-value":"nested\nvalue"},"c":["\"quoted\"","é😀é😀",12,"abc"],"d":"\u0001\u0002\u0003\u0004"}"#;
        let json = SecretJson::from_json(input.as_bytes()).unwrap();
        let map = SecretMap::from_json(input.as_bytes()).unwrap();
        let values = json.string_values(4);
        let mut ours = values.as_strs();
        let mut theirs = map.string_values(4);
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_body_is_taken_over_and_shared_with_requests() {
        let json = from_body(br#"{"a":"x","b":{"c":"line\nline"}}"#).unwrap();
        assert_eq!(json.as_bytes(), b"{\"a\":\"x\",\"b\":{\"c\":\"line\\nline\"}}");
        let body = json.shared_bytes();
        assert_eq!(&body[..], json.as_bytes());
        let json = SecretJson::from_json(br#"{ "a" : "x" }"#).unwrap();
        assert_eq!(json.as_bytes(), b"{\"a\":\"x\"}");
    }

    #[test]
    fn errors_point_into_the_whole_text() {
        let e = SecretJson::from_json(b"{\n  \"a\": 1,\n  \"k\": [1,\n \"\\ud800\"]}").unwrap_err();
        let JsonShapeError::Malformed { line, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!(line, 4);
        assert!(!format!("{:?}", SecretJson::from_json(br#"{"k":"hunter2"}"#).unwrap()).contains("hunter2"));
    }
}
