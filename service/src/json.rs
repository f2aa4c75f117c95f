//! Checking and compacting the JSON body of a PUT without re-encoding it.
//!
//! The body is kept as the client wrote it (minus insignificant whitespace) rather than parsed
//! into `serde_json::Value` and written back, so numbers of any size and precision, key order
//! and string escapes come back on GET exactly as they were sent.

use serde::de::IgnoredAny;

/// Why a body is not a usable secrets map.
#[derive(Debug, PartialEq, Eq)]
pub enum JsonProblem {
    NotJson,
    NotObject,
}

/// Checks that `body` is exactly one JSON object and returns its compact form: the same bytes
/// without whitespace outside strings. Its length is the size the limit applies to.
pub fn compact_object(body: &[u8]) -> Result<Vec<u8>, JsonProblem> {
    std::str::from_utf8(body).map_err(|_| JsonProblem::NotJson)?;
    // Validates the whole syntax (and trailing garbage) without building values.
    serde_json::from_slice::<IgnoredAny>(body).map_err(|_| JsonProblem::NotJson)?;
    if body.iter().find(|b| !is_json_whitespace(**b)) != Some(&b'{') {
        return Err(JsonProblem::NotObject);
    }
    Ok(strip_whitespace(body))
}

fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// Removes whitespace outside strings; `json` must be valid JSON.
fn strip_whitespace(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for &byte in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if byte == b'"' {
            in_string = true;
        } else if is_json_whitespace(byte) {
            continue;
        }
        out.push(byte);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_outside_strings_only() {
        let body = br#" { "a b" : "x \" y\\" , "n" : [ 1 , 2.50 ] , "big": 123456789012345678901234567890 } "#;
        assert_eq!(
            compact_object(body).unwrap(),
            br#"{"a b":"x \" y\\","n":[1,2.50],"big":123456789012345678901234567890}"#
        );
    }

    #[test]
    fn rejects_non_objects_and_garbage() {
        assert_eq!(compact_object(b"[1,2]"), Err(JsonProblem::NotObject));
        assert_eq!(compact_object(b"\"s\""), Err(JsonProblem::NotObject));
        assert_eq!(compact_object(b"{\"a\": "), Err(JsonProblem::NotJson));
        assert_eq!(compact_object(b"{} {}"), Err(JsonProblem::NotJson));
        assert_eq!(compact_object(b"\xff"), Err(JsonProblem::NotJson));
        assert_eq!(compact_object(b""), Err(JsonProblem::NotJson));
    }

    #[test]
    fn keeps_utf8_as_is() {
        assert_eq!(
            compact_object("{\"é\": \"ü\"}".as_bytes()).unwrap(),
            "{\"é\":\"ü\"}".as_bytes()
        );
    }
}
