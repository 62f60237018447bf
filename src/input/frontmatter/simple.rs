//! A fast path for the plain front matter nearly every release has:
//!
//! ```yaml
//! title: "Appointment of Queen’s Counsel"
//! date: 2021-06-24
//! url: https://www.beehive.govt.nz/release/appointment-queens-counsel-2
//! ministers:
//!   - Hon David Parker
//! ```
//!
//! [`parse`] reads that subset of YAML (top-level `key: scalar` and `key:`
//! followed by `- scalar` items; quoted scalars on one line; plain scalars
//! that YAML can only read as text) straight into the [`Value`] serde_yaml
//! would build, and gives up (`None`) on anything else: comments, tabs, flow
//! collections, anchors, tags, multi-line scalars, numbers, booleans, nulls
//! written out, `key: value` inside a list item, duplicate keys, characters
//! libyaml rejects. The caller then hands the text to serde_yaml, so a file
//! reads the same whichever path takes it, errors included. The tests below
//! and `tests/corpus.rs` check that claim against serde_yaml itself.
//!
//! Why: libyaml's scanner and serde_yaml's event stream cost about 10 µs per
//! release, most of the time it takes to read one (BENCHMARKS.md).

use serde_yaml::{Mapping, Value};

/// The top-level keys of a front matter in the subset described above, in
/// file order, each with its value exactly as `serde_yaml::from_str::<Value>`
/// reads it; `None` outside the subset. A list of pairs rather than serde_yaml's
/// hashed [`Mapping`]: with half a dozen keys, building the map cost more than
/// reading the text.
pub fn parse(yaml: &str) -> Option<Vec<(&str, Value)>> {
    if !chars_libyaml_accepts(yaml.as_bytes()) {
        return None;
    }
    let mut fields: Vec<(&str, Value)> = Vec::with_capacity(8);
    // The key whose value is a list still being read, with the items so far
    // and their indentation (set by the first item).
    let mut open: Option<(&str, Vec<Value>, Option<usize>)> = None;
    for line in yaml.split('\n') {
        // CRLF line ends (the character check lets `\r` through only there).
        let line = line.strip_suffix('\r').unwrap_or(line);
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = &line[indent..];
        if content.is_empty() {
            continue;
        }
        if content.starts_with('#') {
            return None;
        }
        if let Some((_, items, item_indent)) = &mut open {
            let is_item = content == "-" || content.starts_with("- ");
            if is_item && item_indent.is_none_or(|i| i == indent) {
                *item_indent = Some(indent);
                let value = content[1..].trim_start_matches(' ');
                items.push(match value {
                    "" => Value::Null,
                    v => Value::String(scalar(v)?),
                });
                continue;
            }
            // Anything but the next key (more indented text, an item at
            // another indentation) is YAML this parser does not read.
            if indent != 0 || is_item {
                return None;
            }
            let (key, items, _) = open.take()?;
            insert(&mut fields, key, list_value(items))?;
        }
        if indent != 0 {
            return None;
        }
        let (key, rest) = key_line(content)?;
        let rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            open = Some((key, Vec::new(), None));
        } else {
            insert(&mut fields, key, Value::String(scalar(rest)?))?;
        }
    }
    if let Some((key, items, _)) = open {
        insert(&mut fields, key, list_value(items))?;
    }
    if fields.is_empty() {
        return None;
    }
    Some(fields)
}

/// The [`Value`] serde_yaml builds for the same text: a mapping of `fields`
/// in their order (what the tests compare).
pub fn to_value(fields: Vec<(&str, Value)>) -> Value {
    Value::Mapping(
        fields
            .into_iter()
            .map(|(k, v)| (Value::String(k.to_owned()), v))
            .collect::<Mapping>(),
    )
}

/// `key:` with nothing after it is null; with items, a list.
fn list_value(items: Vec<Value>) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::Sequence(items)
    }
}

/// More keys than this is not the usual shape: serde_yaml (whose mapping is
/// hashed) reads it, so the linear look-up below stays cheap.
const MAX_KEYS: usize = 16;

/// serde_yaml rejects a mapping with a repeated key: leave that to it.
fn insert<'a>(fields: &mut Vec<(&'a str, Value)>, key: &'a str, value: Value) -> Option<()> {
    if fields.len() >= MAX_KEYS || fields.iter().any(|(k, _)| *k == key) {
        return None;
    }
    fields.push((key, value));
    Some(())
}

/// `name:` at the start of a line: the name and what follows the colon. Only
/// names YAML reads as text (no `true:`, `null:`, numbers or quotes).
fn key_line(content: &str) -> Option<(&str, &str)> {
    let bytes = content.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let end = bytes
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))?;
    let key = &content[..end];
    let rest = content[end..].strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) || is_reserved_word(key) {
        return None;
    }
    Some((key, rest))
}

/// A scalar value on one line (the rest of the line, leading spaces
/// removed): double-quoted, single-quoted, or plain text.
fn scalar(s: &str) -> Option<String> {
    match s.as_bytes()[0] {
        b'"' => double_quoted(&s[1..]),
        b'\'' => single_quoted(&s[1..]),
        _ => plain(s),
    }
}

/// Only spaces may follow a closing quote.
fn only_spaces(rest: &str) -> Option<()> {
    rest.bytes().all(|b| b == b' ').then_some(())
}

fn double_quoted(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        // A byte search: both are ASCII, so `i` is a character boundary.
        let i = rest.bytes().position(|b| b == b'"' || b == b'\\')?;
        out.push_str(&rest[..i]);
        if rest.as_bytes()[i] == b'"' {
            only_spaces(&rest[i + 1..])?;
            return Some(out);
        }
        let escape = rest[i + 1..].chars().next()?;
        rest = &rest[i + 1 + escape.len_utf8()..];
        let hex_digits = match escape {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => {
                out.push(match escape {
                    '0' => '\0',
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    't' => '\t',
                    'n' => '\n',
                    'v' => '\u{b}',
                    'f' => '\u{c}',
                    'r' => '\r',
                    'e' => '\u{1b}',
                    ' ' => ' ',
                    '"' => '"',
                    '/' => '/',
                    '\\' => '\\',
                    'N' => '\u{85}',
                    '_' => '\u{a0}',
                    'L' => '\u{2028}',
                    'P' => '\u{2029}',
                    _ => return None,
                });
                continue;
            }
        };
        let digits = rest.get(..hex_digits)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        out.push(char::from_u32(u32::from_str_radix(digits, 16).ok()?)?);
        rest = &rest[hex_digits..];
    }
}

fn single_quoted(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        let i = rest.find('\'')?;
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        match rest.strip_prefix('\'') {
            Some(after) => {
                out.push('\'');
                rest = after;
            }
            None => {
                only_spaces(rest)?;
                return Some(out);
            }
        }
    }
}

/// Plain (unquoted) text. It must start with a letter, a character beyond
/// ASCII, or be a `YYYY-MM-DD` date (which YAML reads as text, not a
/// number); and it must not be one of the words YAML reads as null, a
/// boolean or a float, nor hold `: ` or ` #`, which end it.
fn plain(s: &str) -> Option<String> {
    let text = s.trim_end_matches(' ');
    let bytes = text.as_bytes();
    let first = bytes[0];
    if !(first.is_ascii_alphabetic() || first >= 0x80 || is_date(bytes)) {
        return None;
    }
    if text.ends_with(':') || text.contains(": ") || text.contains(" #") {
        return None;
    }
    if is_reserved_word(text) {
        return None;
    }
    Some(text.to_owned())
}

fn is_date(b: &[u8]) -> bool {
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Words YAML (as serde_yaml reads it) takes for null, a boolean or a
/// float, whatever their case; `Value::String` would be wrong for them.
fn is_reserved_word(s: &str) -> bool {
    ["null", "true", "false", "inf", "infinity", "nan"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w))
}

/// Whether every character is one this parser passes through as libyaml
/// would: printable, no tab and no carriage return but in a CRLF line end
/// (where YAML's rules on whitespace get subtle), no byte-order mark, and
/// none of the characters YAML 1.1 counts as line breaks (U+0085, U+2028,
/// U+2029).
fn chars_libyaml_accepts(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        // 64 bytes at a time, without a branch per byte: most chunks are
        // printable ASCII and line feeds, with nothing to look at closely.
        let end = (i + 64).min(bytes.len());
        let mut odd = 0u8;
        for &b in &bytes[i..end] {
            odd |= u8::from((b < 0x20) & (b != b'\n')) | u8::from(b >= 0x7f);
        }
        if odd == 0 {
            i = end;
            continue;
        }
        // A character at a time to the end of the chunk (or of the character
        // that straddles it), so `i` stays on a character boundary.
        while i < end {
            let b = bytes[i];
            if b < 0x80 {
                let crlf = b == b'\r' && bytes.get(i + 1) == Some(&b'\n');
                if (b < 0x20 && b != b'\n' && !crlf) || b == 0x7f {
                    return false;
                }
                i += 1;
                continue;
            }
            // `bytes` is valid UTF-8: look at the whole sequence.
            match (b, bytes.get(i + 1), bytes.get(i + 2)) {
                (0xc2, Some(0x80..=0x9f), _) => return false,
                (0xe2, Some(0x80), Some(0xa8 | 0xa9)) => return false,
                (0xef, Some(0xbb), Some(0xbf)) => return false,
                (0xef, Some(0xbf), Some(0xbe | 0xbf)) => return false,
                _ => {}
            }
            i += match b {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path either declines or agrees with serde_yaml, value and
    /// key order both.
    fn agrees(yaml: &str) -> bool {
        let Some(fast) = parse(yaml).map(to_value) else {
            return false;
        };
        let slow: Value = serde_yaml::from_str(yaml)
            .unwrap_or_else(|e| panic!("fast path read {yaml:?}, which serde_yaml rejects: {e}"));
        assert_eq!(fast, slow, "{yaml:?}");
        let keys = |v: &Value| -> Vec<Value> { v.as_mapping().unwrap().keys().cloned().collect() };
        assert_eq!(keys(&fast), keys(&slow), "{yaml:?}");
        true
    }

    #[test]
    fn reads_the_usual_shape() {
        let crlf = "title: \"a\"\r\nministers:\r\n  - Hon A\r\n  - B\r\n";
        assert!(agrees(crlf));
        let yaml = "title: \"Appointment of Queen\u{2019}s Counsel \\\"QC\\\" \\u00a0\"\ndate: 2021-06-24\nurl: https://www.beehive.govt.nz/release/a-b\nministers:\n  - Hon David Parker\n  - \"Rt Hon A\"\nportfolios:\n- Attorney-General\nattachments:\n";
        assert!(agrees(yaml));
        let v = to_value(parse(yaml).unwrap());
        assert_eq!(v["attachments"], Value::Null);
        assert_eq!(v["portfolios"][0], Value::String("Attorney-General".into()));
    }

    #[test]
    fn declines_what_it_does_not_read() {
        for yaml in [
            "title: a\ntitle: b\n",
            "ministers:\n  - Māori Crown Relations: Te Arawhiti\n",
            "ministers:\n  - [From a speech]\n",
            "title: 2021\n",
            "title: true\n",
            "title: Null\n",
            "title: .inf\n",
            "title: a # comment\n",
            "# comment\ntitle: a\n",
            "title: a\n  continued\n",
            "title: \"a\n  b\"\n",
            "title:\ta\n",
            "title: a\rb\n",
            "title: a\r",
            "title: &x a\n",
            "title: !tag a\n",
            "title: |\n  a\n",
            "ministers:\n  - a\n    - b\n",
            "ministers:\n    - a\n  - b\n",
            "title: \"\\q\"\n",
            "title: \"\\ud800\"\n",
            "title: a\u{b}b\n",
            "title: a\u{85}b\n",
            "",
            "- a\n",
        ] {
            assert!(parse(yaml).is_none(), "{yaml:?}");
        }
    }

    /// The chunked character check answers as a plain character-by-character
    /// one does, wherever in a long text the odd character is.
    #[test]
    fn character_check_finds_odd_characters_anywhere() {
        fn one_at_a_time(s: &str) -> bool {
            let mut chars = s.chars().peekable();
            while let Some(c) = chars.next() {
                let ok = match c {
                    '\n' => true,
                    '\r' => chars.peek() == Some(&'\n'),
                    '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => false,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => false,
                    _ => true,
                };
                if !ok {
                    return false;
                }
            }
            true
        }
        const PIECES: &[&str] = &[
            "title: a", "bcdefgh", "\n", "\r\n", "’", "é", "😀", "\u{a0}", "\r", "\t", "\u{b}",
            "\u{7f}", "\u{85}", "\u{2028}", "\u{feff}", "\u{fffe}",
        ];
        let mut next = crate::testing::rng(0x2545_f491_4f6c_dd1d_u64);
        let (mut accepted, mut declined) = (0, 0);
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..next(40) {
                // The plain pieces nine times in ten.
                let piece = match next(10) {
                    0 => PIECES[next(PIECES.len())],
                    _ => PIECES[next(6)],
                };
                s.push_str(piece);
            }
            let expected = one_at_a_time(&s);
            assert_eq!(chars_libyaml_accepts(s.as_bytes()), expected, "{s:?}");
            if expected {
                accepted += 1;
            } else {
                declined += 1;
            }
        }
        assert!(
            accepted > 2_000 && declined > 2_000,
            "{accepted} {declined}"
        );
    }

    /// Random front matter built from the pieces that make YAML subtle:
    /// wherever the fast path answers, serde_yaml answers the same.
    #[test]
    fn agrees_with_serde_yaml_on_random_input() {
        const KEYS: &[&str] = &["title", "date", "url", "ministers", "Null", "a-b", "x_1"];
        const PIECES: &[&str] = &[
            "a",
            "Hon",
            " ",
            "  ",
            ":",
            ": ",
            "#",
            " #",
            "-",
            "- ",
            "'",
            "''",
            "\"",
            "\\",
            "\\\"",
            "\\u00e9",
            "\\x41",
            "\\U0001F600",
            "\\n",
            "\\/",
            "\\_",
            "\\N",
            "2021-06-24",
            "2021",
            "1e3",
            "0x1f",
            "true",
            "no",
            "~",
            "null",
            "inf",
            ".nan",
            "[",
            "]",
            "{",
            "}",
            ",",
            "&",
            "*",
            "!",
            "|",
            ">",
            "%",
            "@",
            "`",
            "?",
            "Māori",
            "’",
            "\u{a0}",
            "\u{2028}",
            "\t",
            "\r",
            "https://x.nz/a?b=c#d",
            "/sites/x",
        ];
        let mut next = crate::testing::rng(0x2545_f491_4f6c_dd1d_u64);
        let mut accepted = 0;
        for _ in 0..50_000 {
            let mut yaml = String::new();
            for _ in 0..1 + next(4) {
                yaml.push_str(KEYS[next(KEYS.len())]);
                yaml.push(':');
                let list = next(3) == 0;
                let values = if list { 1 + next(3) } else { 1 };
                for _ in 0..values {
                    if list {
                        yaml.push_str(["\n  -", "\n- ", "\n  - ", "\n   - "][next(4)]);
                    }
                    yaml.push(' ');
                    // Plain, double-quoted or single-quoted.
                    let quote = ["", "", "\"", "'"][next(4)];
                    yaml.push_str(quote);
                    for _ in 0..next(5) {
                        yaml.push_str(PIECES[next(PIECES.len())]);
                    }
                    yaml.push_str(quote);
                }
                yaml.push('\n');
            }
            if next(4) == 0 {
                yaml = yaml.replace('\n', "\r\n");
            }
            accepted += usize::from(agrees(&yaml));
        }
        // The generator must reach the fast path often enough to test it.
        assert!(accepted > 5_000, "only {accepted} accepted");
    }
}
