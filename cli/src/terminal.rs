//! What may reach the user's terminal from a server: names and texts are escaped so that a
//! hostile server cannot move the cursor, clear the screen, set the title or reorder what is
//! shown (bidirectional overrides, as in "Trojan Source").

/// Characters that act on a terminal or on how text is laid out: C0 and C1 controls and DEL,
/// and the invisible format characters that reorder or hide text (bidi marks, embeddings,
/// overrides and isolates, zero-width characters, the byte-order mark, interlinear
/// annotations).
pub fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        )
}

/// A name for a line of text: dangerous characters written as `\u{202e}`, at most 100
/// characters (then `…`).
pub fn printable(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().take(100) {
        if is_dangerous(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    if name.chars().nth(100).is_some() {
        out.push('…');
    }
    out
}

/// Serialized JSON with every dangerous character written as a JSON escape (`\u202e`): the
/// same JSON value, safe for a terminal. serde_json escapes only U+0000 to U+001F.
pub fn json_safe(json: &[u8], out: &mut vdk_secrets::SecretBuffer) {
    let Ok(text) = std::str::from_utf8(json) else {
        out.extend_from_slice(json);
        return;
    };
    let mut plain_from = 0;
    for (at, c) in text.char_indices() {
        if is_dangerous(c) {
            out.extend_from_slice(&text.as_bytes()[plain_from..at]);
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
            }
            plain_from = at + c.len_utf8();
        }
    }
    out.extend_from_slice(&text.as_bytes()[plain_from..]);
}

/// The first character of `text` that must not be written to a terminal unasked: any of
/// [`is_dangerous`] but newline and tab.
pub fn first_unsafe_for_terminal(text: &str) -> Option<char> {
    text.chars().find(|&c| is_dangerous(c) && c != '\n' && c != '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_visibly() {
        assert_eq!(printable("a\u{202e}b\u{1b}[2J"), "a\\u{202e}b\\u{1b}[2J");
        assert_eq!(printable("plain name ü"), "plain name ü");
        assert!(printable(&"x".repeat(200)).ends_with('…'));
    }

    #[test]
    fn json_stays_the_same_value() {
        let value = serde_json::json!({"a\u{202e}\u{9b}": "v\u{1b}\u{7f}\u{2067}"});
        let mut out = vdk_secrets::SecretBuffer::default();
        json_safe(value.to_string().as_bytes(), &mut out);
        let text = std::str::from_utf8(out.as_bytes()).unwrap();
        assert!(!text.chars().any(is_dangerous), "{text:?}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(text).unwrap(), value);
    }
}
