//! Removing known secrets from texts a server sends back, before they enter an error or a log
//! line.
//!
//! A server that echoes what it received (a validation message quoting the request, a proxy
//! page showing the headers, a token endpoint repeating the form) must not make us print a
//! secret. Servers rarely echo byte for byte: they JSON-escape (`\"`, `\n`, `\u0085`, or
//! `\uXXXX` for every character), percent- or form-encode (`%2B`, `+` for a space) as the
//! request body was, wrap long values over lines, and cut long texts. So the text is matched
//! against each secret one *character* at a time, where a character of the text may be written
//! in any of those forms and line breaks may be inserted between characters; forms may mix
//! within one echo.
//!
//! Rules, in this order:
//! - secrets shorter than [`MIN_SECRET_CHARS`] are ignored (they would mask ordinary words);
//! - every secret is matched against the server's text as received, before any other cleaning
//!   (turning control characters into spaces would break the match of a value holding a tab);
//! - every match of every secret is kept (each the longest stretch that reads as it) and
//!   overlapping matches merge, so a short secret that is a prefix or part of a longer one
//!   cannot leave the rest of the longer one visible: the longest secret always wins;
//! - a text that ends inside a secret (cut by the server, by our 64 KiB error body limit or by
//!   our own [`MAX_SCANNED_CHARS`] limit) is masked from where the secret starts, once at least
//!   [`MIN_TAIL_CHARS`] of its characters are there;
//! - what is left has control characters and bidi or zero-width format characters turned
//!   into spaces, and is cut at
//!   [`MAX_SERVER_TEXT`] characters.

use std::cell::Cell;
use std::collections::HashMap;

/// Secrets shorter than this are not looked for: `"true"`-like short values would mask words
/// of the server's text and hide little.
pub const MIN_SECRET_CHARS: usize = 4;

/// A text that ends with at least this many leading characters of a secret is taken to be a
/// secret cut short, and masked. Fewer are left alone: three characters say little about a
/// secret, and masking every text that ends in a common letter would make errors unreadable.
pub const MIN_TAIL_CHARS: usize = 4;

/// Server texts longer than this are cut: an error message is not a place for a page.
pub const MAX_SERVER_TEXT: usize = 500;

/// Only this much of a server text is searched for secrets (the rest is dropped, and a secret
/// running across this limit is masked as a cut one): it bounds the work of redaction, since
/// every secret is looked for at every position.
pub const MAX_SCANNED_CHARS: usize = 4000;

/// How many levels of encoding are undone: a JSON request quoted in a JSON message is two, a
/// form body percent-encoded again is two, a JSON body in a URL in a JSON message is three.
const ENCODING_LEVELS: usize = 3;

/// What replaces a secret.
const MASK: &str = "***";

/// How many alternative readings of a text position one match keeps (an echo can be read in
/// more than one way: `%41` is `%`,`4`,`1` or `A`). Bounds the work per position.
const MAX_ALTERNATIVES: usize = 8;

/// Removes known secret strings from texts that come from a server. Build one per call with
/// every secret the call sent, received or has cached; more can be added with [`Redactor::hide`].
#[derive(Default, Clone)]
pub struct Redactor<'a> {
    /// Without short ones; possibly with duplicates (removed when a text is cleaned, which is
    /// rare: most calls build a redactor and never use it).
    sensitive: Vec<&'a str>,
}

impl<'a> Redactor<'a> {
    pub fn new(sensitive: Vec<&'a str>) -> Self {
        let mut redactor = Redactor::default();
        redactor.hide(sensitive);
        redactor
    }

    /// Adds more strings to remove (proxy credentials, cached values, ...).
    pub fn hide(&mut self, more: impl IntoIterator<Item = &'a str>) {
        // Nothing sorted or counted whole here: a write of a 1 MB map hides 10,000 values on
        // every call, and sorting them cost a third of such a write even when the call
        // succeeded and no text was ever cleaned.
        self.sensitive.extend(
            more.into_iter()
                .filter(|s| s.chars().nth(MIN_SECRET_CHARS - 1).is_some()),
        );
    }

    /// `self` with more strings to remove.
    pub fn with(mut self, more: impl IntoIterator<Item = &'a str>) -> Self {
        self.hide(more);
        self
    }

    /// The text with every secret masked, control characters turned into spaces, and cut at
    /// [`MAX_SERVER_TEXT`] characters.
    pub fn clean(&self, text: &str) -> String {
        let scanned_end = text
            .char_indices()
            .nth(MAX_SCANNED_CHARS)
            .map_or(text.len(), |(i, _)| i);
        let scanned = &text[..scanned_end];
        let masked = self.mask(scanned);
        let mut out: String = masked
            .chars()
            .map(|c| if c.is_control() || reorders_text(c) { ' ' } else { c })
            .collect();
        if out.chars().count() > MAX_SERVER_TEXT {
            out = out.chars().take(MAX_SERVER_TEXT).collect();
            out.push('…');
        } else if scanned_end < text.len() {
            out.push('…');
        }
        out
    }

    /// `text` with every secret (and a secret cut at its end) replaced by [`MASK`].
    fn mask(&self, text: &str) -> String {
        if self.sensitive.is_empty() {
            return text.to_string();
        }
        let readings = Readings::of(text);
        let mut unique = self.sensitive.clone();
        unique.sort_unstable();
        unique.dedup();
        let secrets: Vec<Vec<char>> = unique.iter().map(|s| s.chars().collect()).collect();
        // Secrets by their first character, so each position tries only those that can start
        // there. Every match at every position is kept and overlapping ones merge, so the
        // order of the tries does not matter.
        let mut by_first: HashMap<char, Vec<&[char]>> = HashMap::new();
        for secret in &secrets {
            by_first.entry(secret[0]).or_default().push(secret);
        }
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for (start, _) in text.char_indices() {
            let mut firsts = [None; 6];
            let mut count = 0;
            readings.each_reading(start, |c, _| {
                if count < firsts.len() && !firsts[..count].contains(&Some(c)) {
                    firsts[count] = Some(c);
                    count += 1;
                }
            });
            for first in firsts.iter().flatten() {
                for secret in by_first.get(first).into_iter().flatten() {
                    if let Some(end) = readings.match_at(start, secret) {
                        spans.push((start, end));
                    }
                }
            }
        }
        if spans.is_empty() {
            return text.to_string();
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut iter = spans.into_iter().peekable();
        while let Some((start, mut end)) = iter.next() {
            while let Some(&(next_start, next_end)) = iter.peek() {
                if next_start > end {
                    break;
                }
                end = end.max(next_end);
                iter.next();
            }
            out.push_str(&text[copied..start]);
            out.push_str(MASK);
            copied = end;
        }
        out.push_str(&text[copied..]);
        out
    }
}

/// Invisible format characters that reorder or hide text where it is shown (bidi marks,
/// embeddings, overrides and isolates, zero-width characters, the byte-order mark): a server
/// text must not rearrange the error it is quoted in.
fn reorders_text(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}'
    )
}

/// The ways each position of a text can be read as one character, and the line breaks that
/// may be skipped there.
struct Readings<'t> {
    text: &'t str,
    /// The readings at byte offsets where an escape may start (`\`, `%`, `+`), worked out on
    /// first need and shared by all secrets; every other position reads only as itself.
    escapes: Vec<Cell<Option<Few>>>,
}

impl<'t> Readings<'t> {
    fn of(text: &'t str) -> Self {
        Readings {
            text,
            escapes: vec![Cell::new(None); text.len()],
        }
    }

    /// The end of the longest stretch from `start` that reads as `secret`, or the text's end
    /// when the text ends inside the secret after at least [`MIN_TAIL_CHARS`] characters.
    fn match_at(&self, start: usize, secret: &[char]) -> Option<usize> {
        let end_of_text = self.text.len();
        let mut positions: Vec<usize> = vec![start];
        for (matched, &wanted) in secret.iter().enumerate() {
            if matched > 0 {
                self.add_line_break_skips(&mut positions);
                if matched >= MIN_TAIL_CHARS && positions.contains(&end_of_text) {
                    return Some(end_of_text);
                }
            }
            let mut next: Vec<usize> = Vec::new();
            for &at in &positions {
                self.each_reading(at, |c, after| {
                    if c == wanted && !next.contains(&after) && next.len() < MAX_ALTERNATIVES {
                        next.push(after);
                    }
                });
            }
            if next.is_empty() {
                return None;
            }
            positions = next;
        }
        positions.into_iter().max()
    }

    /// Line breaks a server may have inserted to wrap a long value: raw, JSON-escaped or
    /// percent-encoded, CRLF, LF or CR, possibly several.
    fn add_line_break_skips(&self, positions: &mut Vec<usize>) {
        let mut i = 0;
        while i < positions.len() && positions.len() < MAX_ALTERNATIVES {
            let rest = &self.text.as_bytes()[positions[i]..];
            for brk in LINE_BREAKS {
                if rest.len() >= brk.len() && rest[..brk.len()].eq_ignore_ascii_case(brk.as_bytes()) {
                    let after = positions[i] + brk.len();
                    if !positions.contains(&after) && positions.len() < MAX_ALTERNATIVES {
                        positions.push(after);
                    }
                }
            }
            i += 1;
        }
    }

    /// Calls `found(character, position after it)` for every reading of the text at `at`:
    /// raw, and JSON escapes or percent-encoded UTF-8 up to [`ENCODING_LEVELS`] levels deep,
    /// whose characters may themselves be encoded (`%5Cn`: a JSON body echoed in a URL;
    /// `\\n`: a JSON request quoted in a JSON message; `%252B`: a form body percent-encoded).
    fn each_reading(&self, at: usize, mut found: impl FnMut(char, usize)) {
        let Some(raw) = self.text.get(at..).and_then(|rest| rest.chars().next()) else {
            return;
        };
        if !matches!(raw, '\\' | '%' | '+') {
            return found(raw, at + raw.len_utf8());
        }
        let few = match self.escapes[at].get() {
            Some(few) => few,
            None => {
                let few = self.readings(at, ENCODING_LEVELS);
                self.escapes[at].set(Some(few));
                few
            }
        };
        for (c, after) in few.iter() {
            found(c, after);
        }
    }

    /// The readings at `at` through `level` levels of encoding; level 0 is the raw character
    /// (and `+` as a form-encoded space).
    fn readings(&self, at: usize, level: usize) -> Few {
        if level == 0 {
            let mut few = Few::default();
            if let Some(raw) = self.text[at..].chars().next() {
                few.push(raw, at + raw.len_utf8());
                if raw == '+' {
                    few.push(' ', at + 1);
                }
            }
            return few;
        }
        let mut few = self.readings(at, level - 1);
        let below: Few = few.iter().filter(|(c, _)| matches!(c, '\\' | '%')).collect();
        for (c, after) in below.iter() {
            let decoded = match c {
                '\\' => self.json_escape(after, level - 1),
                _ => self.percent_escape(after, level - 1),
            };
            if let Some((c, end)) = decoded {
                few.push_new(c, end);
            }
        }
        few
    }

    /// The ASCII character at `at` read through `level` levels, decoded when it is encoded
    /// (inside an escape, an encoded `%` or `\\` is meant as that character). Raw line breaks
    /// before it are skipped: a server wrapping an escaped text at a fixed width cuts escapes.
    fn encoded_ascii(&self, at: usize, level: usize) -> Option<(u8, usize)> {
        let skipped = self.text[at..].len() - self.text[at..].trim_start_matches(['\r', '\n']).len();
        let at = at + skipped;
        let (c, after) = self.readings(at, level).iter().filter(|(c, _)| c.is_ascii()).last()?;
        Some((c as u8, after))
    }

    /// The JSON escape whose backslash ends at `at`: `n`, `"`, `u00fc`, a surrogate pair...
    fn json_escape(&self, at: usize, level: usize) -> Option<(char, usize)> {
        let (letter, after) = self.encoded_ascii(at, level)?;
        let simple = match letter {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let (first, after) = self.hex(after, 4, level)?;
                if !(0xD800..0xDC00).contains(&first) {
                    return char::from_u32(u32::from(first)).map(|c| (c, after));
                }
                let (backslash, after) = self.encoded_ascii(after, level)?;
                let (u, after) = self.encoded_ascii(after, level)?;
                if backslash != b'\\' || u != b'u' {
                    return None;
                }
                let (second, after) = self.hex(after, 4, level)?;
                let c = char::decode_utf16([first, second]).next()?.ok()?;
                return Some((c, after));
            }
            _ => return None,
        };
        Some((simple, after))
    }

    /// The UTF-8 character percent-encoded from the `%` that ends at `at`: `%41`, `%C3%BC`.
    fn percent_escape(&self, at: usize, level: usize) -> Option<(char, usize)> {
        let (lead, mut after) = self.hex(at, 2, level)?;
        let len = match lead {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => return None,
        };
        let mut bytes = [lead as u8, 0, 0, 0];
        for byte in bytes.iter_mut().take(len).skip(1) {
            let (percent, next) = self.encoded_ascii(after, level)?;
            if percent != b'%' {
                return None;
            }
            let (value, next) = self.hex(next, 2, level)?;
            *byte = value as u8;
            after = next;
        }
        let c = std::str::from_utf8(&bytes[..len]).ok()?.chars().next()?;
        Some((c, after))
    }

    fn hex(&self, mut at: usize, digits: usize, level: usize) -> Option<(u16, usize)> {
        let mut value = 0u16;
        for _ in 0..digits {
            let (digit, after) = self.encoded_ascii(at, level)?;
            value = value * 16 + (digit as char).to_digit(16)? as u16;
            at = after;
        }
        Some((value, at))
    }
}

/// A few readings of one position, without allocating.
#[derive(Default, Clone, Copy)]
struct Few {
    items: [(char, usize); 6],
    len: usize,
}

impl FromIterator<(char, usize)> for Few {
    fn from_iter<I: IntoIterator<Item = (char, usize)>>(iter: I) -> Self {
        let mut few = Few::default();
        iter.into_iter().for_each(|(c, after)| few.push(c, after));
        few
    }
}

impl Few {
    fn push_new(&mut self, c: char, after: usize) {
        if !self.iter().any(|item| item == (c, after)) {
            self.push(c, after);
        }
    }

    fn push(&mut self, c: char, after: usize) {
        if self.len < self.items.len() {
            self.items[self.len] = (c, after);
            self.len += 1;
        }
    }

    fn iter(&self) -> impl Iterator<Item = (char, usize)> + '_ {
        self.items[..self.len].iter().copied()
    }
}

const LINE_BREAKS: [&str; 9] = ["\r\n", "\n", "\r", "\\r\\n", "\\n", "\\r", "%0D%0A", "%0A", "%0D"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_forms() {
        let read = |text: &str| -> Vec<char> {
            let mut all = Vec::new();
            Readings::of(text).each_reading(0, |c, after| {
                if after == text.len() {
                    all.push(c)
                }
            });
            all
        };
        assert_eq!(read("\\u00fc"), vec!['ü']);
        assert_eq!(read("\\ud83d\\ude00"), vec!['😀']);
        assert_eq!(read("\\ud83d"), Vec::<char>::new());
        assert_eq!(read("%5Cn"), vec!['\n']);
        assert_eq!(read("%5C%75%30%30%66%63"), vec!['ü']);
        assert_eq!(read("+"), vec!['+', ' ']);
        assert_eq!(read("\\\\n"), vec!['\n']);
        assert_eq!(read("\\u005c\\u006e"), vec!['\n']);
        assert_eq!(read("%c3%BC"), vec!['ü']);
        assert!(read("%C3").is_empty());
        assert!(read("%4").is_empty());
        assert_eq!(read("%252B"), vec!['+']);
    }

    #[test]
    fn short_secrets_and_plain_texts_are_left_alone() {
        let r = Redactor::new(vec!["abc", ""]);
        assert_eq!(r.clean("abc abc"), "abc abc");
        let r = Redactor::new(vec!["abcdef"]);
        assert_eq!(r.clean("a text ending in abc"), "a text ending in abc");
        assert_eq!(r.clean("a text ending in abcd"), "a text ending in ***");
    }

    #[test]
    fn controls_and_bidi_overrides_become_spaces() {
        let r = Redactor::default();
        assert_eq!(r.clean("a\u{1b}[2Jb\u{202e}c\u{2067}d\u{9b}e"), "a [2Jb c d e");
    }

    #[test]
    fn long_texts_are_cut_and_marked() {
        let r = Redactor::default();
        let cleaned = r.clean(&"x".repeat(10_000));
        assert_eq!(cleaned.chars().count(), MAX_SERVER_TEXT + 1);
        assert!(cleaned.ends_with('…'));
    }

    #[test]
    fn a_secret_across_the_scan_limit_is_masked() {
        let secret = "sk-canary-7f3a9c1d";
        let text = format!("{}{secret} and more", "x".repeat(MAX_SCANNED_CHARS - 6));
        let cleaned = Redactor::new(vec![secret]).clean(&format!("{text}{}", "y".repeat(10_000)));
        assert!(!cleaned.contains("sk-c"), "{cleaned}");
        let masked = Redactor::new(vec![secret]).mask(&text[..MAX_SCANNED_CHARS]);
        assert!(masked.ends_with(MASK), "{masked}");
    }
}
