//! Type-preserving `--set`: text from the command line becomes a JSON value of the type the
//! secret already has, when the text converts to it.

use serde_json::{Number, Value};
use vdk_secrets::secret::scrub_value;

/// The value to store for `text` when the secret currently holds `existing`:
///
/// | existing | stored |
/// | --- | --- |
/// | none (new secret), string, null | the text as a string |
/// | integer | an integer if the text is one (`-5`, `42`), else the text as a string |
/// | float | a float if the text is a finite number (`2.5`, `3`, `1e3`), else a string |
/// | boolean | `true`/`false` (any case), else a string |
/// | object | the text parsed as JSON if it is an object, else a string |
/// | list | the text parsed as JSON if it is a list, else a string |
///
/// Surrounding whitespace is ignored when converting to numbers and booleans, and kept in
/// strings.
pub fn typed_value(existing: Option<&Value>, text: &str) -> Value {
    let converted = match existing {
        Some(Value::Bool(_)) => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        Some(Value::Number(n)) if n.is_f64() => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number),
        Some(Value::Number(_)) => {
            let t = text.trim();
            t.parse::<i64>()
                .map(Number::from)
                .or_else(|_| t.parse::<u64>().map(Number::from))
                .ok()
                .map(Value::Number)
        }
        Some(Value::Object(_)) => parse_json_if(text, Value::is_object),
        Some(Value::Array(_)) => parse_json_if(text, Value::is_array),
        Some(Value::String(_) | Value::Null) | None => None,
    };
    converted.unwrap_or_else(|| Value::String(text.to_string()))
}

/// `text` as JSON when it parses and `accept`s; a parsed value that is refused is wiped.
fn parse_json_if(text: &str, accept: fn(&Value) -> bool) -> Option<Value> {
    let mut value = serde_json::from_str::<Value>(text).ok()?;
    if accept(&value) {
        Some(value)
    } else {
        scrub_value(&mut value);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn new_and_string_secrets_take_text() {
        assert_eq!(typed_value(None, "42"), json!("42"));
        assert_eq!(typed_value(Some(&json!("x")), "42"), json!("42"));
        assert_eq!(typed_value(Some(&json!(null)), "true"), json!("true"));
        assert_eq!(typed_value(None, " spaced "), json!(" spaced "));
    }

    #[test]
    fn integers_stay_integers() {
        assert_eq!(typed_value(Some(&json!(1)), "42"), json!(42));
        assert_eq!(typed_value(Some(&json!(1)), " -5 "), json!(-5));
        assert_eq!(typed_value(Some(&json!(1)), "18446744073709551615"), json!(u64::MAX));
        assert_eq!(typed_value(Some(&json!(1)), "2.5"), json!("2.5"));
        assert_eq!(typed_value(Some(&json!(1)), "abc"), json!("abc"));
    }

    #[test]
    fn floats_stay_floats() {
        let v = typed_value(Some(&json!(1.5)), "3");
        assert!(v.is_f64());
        assert_eq!(v, json!(3.0));
        assert_eq!(typed_value(Some(&json!(1.5)), "1e3"), json!(1000.0));
        assert_eq!(typed_value(Some(&json!(1.5)), "NaN"), json!("NaN"));
        assert_eq!(typed_value(Some(&json!(1.5)), "inf"), json!("inf"));
    }

    #[test]
    fn booleans_stay_booleans() {
        assert_eq!(typed_value(Some(&json!(true)), "False"), json!(false));
        assert_eq!(typed_value(Some(&json!(false)), "true"), json!(true));
        assert_eq!(typed_value(Some(&json!(true)), "yes"), json!("yes"));
    }

    #[test]
    fn objects_and_lists_parse_as_json() {
        assert_eq!(typed_value(Some(&json!({})), r#"{"a":[1]}"#), json!({"a": [1]}));
        assert_eq!(typed_value(Some(&json!({})), "[1]"), json!("[1]"));
        assert_eq!(typed_value(Some(&json!([])), "[1, 2]"), json!([1, 2]));
        assert_eq!(typed_value(Some(&json!([])), "{"), json!("{"));
    }
}
