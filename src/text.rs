//! Small text helpers shared by several stages.

use std::borrow::Cow;

/// Whether XML 1.0 allows `c` in a document.
pub fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether every character of `s` is allowed in XML 1.0. A byte scan: the
/// forbidden characters are the C0 controls other than tab, LF and CR (single
/// bytes) and U+FFFE and U+FFFF (EF BF BE, EF BF BF).
pub fn is_xml_safe(s: &str) -> bool {
    // One pass, branch-free within each chunk so the compiler vectorises it:
    // a forbidden control character, or 0xEF, the first byte of U+FFFE and
    // U+FFFF (and of other characters; those are then looked at closely).
    let mut ef = 0u8;
    for chunk in s.as_bytes().chunks(64) {
        let mut control = 0u8;
        for &b in chunk {
            control |= u8::from((b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r'));
            ef |= u8::from(b == 0xEF);
        }
        if control != 0 {
            return false;
        }
    }
    ef == 0 || !s.contains(['\u{FFFE}', '\u{FFFF}'])
}

/// `s` without the characters XML 1.0 forbids (control characters such as
/// vertical tab, U+FFFE, U+FFFF). Vertical tab and form feed, which word
/// processors use as line breaks, become spaces so words stay apart; the
/// others are removed. Borrows when there is nothing to change.
pub fn xml_safe(s: &str) -> Cow<'_, str> {
    if is_xml_safe(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(
            s.chars()
                .filter_map(|c| match c {
                    '\u{b}' | '\u{c}' => Some(' '),
                    c => xml_allowed(c).then_some(c),
                })
                .collect(),
        )
    }
}

/// How many characters of `s` XML 1.0 forbids.
pub fn count_xml_forbidden(s: &str) -> usize {
    if is_xml_safe(s) {
        return 0;
    }
    s.chars().filter(|&c| !xml_allowed(c)).count()
}

/// Whether `url` is an http(s) address in the plain form the URL standard
/// leaves as it is: `Url::parse` would accept it, with a host, and write it
/// back unchanged. Lowercase ASCII host labels (no IDNA `xn--` label, none
/// that reads as an IP address), then a path of characters that are never
/// escaped, with no `.`, `..` or escaped segments. Everything else (ports,
/// queries, fragments, non-ASCII...) answers `false` and goes to the `url`
/// crate; a `true` spares parsing the 80,000 addresses of the archive twice
/// (see `plain_urls_are_what_url_parse_writes_back`).
pub fn is_plain_http_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    // The host: labels of lowercase letters, digits and `-`, none empty and
    // none starting `xn--`, up to the first `/`.
    let bytes = rest.as_bytes();
    let mut label_start = 0;
    let mut slash = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' => {}
            b'.' | b'/' => {
                let label = &bytes[label_start..i];
                if label.is_empty() || label.starts_with(b"xn--") {
                    return false;
                }
                if b == b'/' {
                    // A host whose last label starts with a digit may be read
                    // as an IPv4 address (`0x7f.1`) and rewritten.
                    if !label[0].is_ascii_lowercase() {
                        return false;
                    }
                    slash = Some(i);
                    break;
                }
                label_start = i + 1;
            }
            _ => return false,
        }
    }
    let Some(slash) = slash else {
        return false;
    };
    let path = &rest[slash..];
    // Bytes a path may hold unescaped, and no segment starting with `.` or
    // `%` (a dot segment, perhaps escaped).
    const PATH: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            table[b] = (b as u8).is_ascii_alphanumeric();
            b += 1;
        }
        let more = b"/-._~%!$&'()*+,;=:@";
        let mut i = 0;
        while i < more.len() {
            table[more[i] as usize] = true;
            i += 1;
        }
        table
    };
    let path = path.as_bytes();
    path.iter().all(|&b| PATH[usize::from(b)])
        && path
            .windows(2)
            .all(|w| !(w[0] == b'/' && (w[1] == b'.' || w[1] == b'%')))
}

/// The words of `text` joined by single spaces.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Raw HTML nested deeper than this is flattened to its text by
/// [`crate::render`] (see [`raw_html_depth`]); validation warns of it.
pub const MAX_HTML_DEPTH: usize = 100;

/// Elements that never have content, so never nest.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// How deeply the raw HTML tags in `markdown` nest, counted in one pass over
/// the text: each opening tag (not void, not `/>`) one level deeper, each
/// closing tag one level back. An upper bound where `<` appears in code.
pub fn raw_html_depth(markdown: &str) -> usize {
    let bytes = markdown.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while let Some(at) = memchr::memchr(b'<', &bytes[i..]) {
        i += at + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let name_start = i + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            continue;
        }
        let name = &markdown[name_start..name_start + name_len];
        let Some(end) = memchr::memchr(b'>', &bytes[name_start..]) else {
            break;
        };
        i = name_start + end + 1;
        if closing {
            depth = depth.saturating_sub(1);
        } else if bytes[i - 2] != b'/'
            && !VOID_ELEMENTS.iter().any(|v| v.eq_ignore_ascii_case(name))
        {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

/// `word` after its indefinite article, "a region", "an agency": "an"
/// before a vowel letter (with or without a macron), which is the rule for
/// the words taxonomies are named by; words such as "hour" or "union",
/// whose sound and letter differ, are rare there.
pub fn with_article(word: &str) -> String {
    let vowel = word
        .chars()
        .next()
        .and_then(|c| c.to_lowercase().next())
        .is_some_and(|c| "aeiouāēīōū".contains(c));
    match vowel {
        true => format!("an {word}"),
        false => format!("a {word}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles() {
        assert_eq!(with_article("agency"), "an agency");
        assert_eq!(with_article("region"), "a region");
        assert_eq!(with_article("Official"), "an Official");
        assert_eq!(with_article("Ōtautahi ward"), "an Ōtautahi ward");
        assert_eq!(with_article("minister"), "a minister");
        assert_eq!(with_article(""), "a ");
    }

    #[test]
    fn forbidden_characters_go() {
        assert_eq!(xml_safe("a\u{b}b\u{0}c\u{fffe}"), "a bc");
        assert!(matches!(xml_safe("plain\ttext\n"), Cow::Borrowed(_)));
        assert_eq!(count_xml_forbidden("\u{b}\u{b}x"), 2);
        for c in ['\u{0}', '\u{b}', '\u{1f}', '\u{fffe}', '\u{ffff}'] {
            assert!(!is_xml_safe(&format!("a{c}b")), "{c:?}");
        }
        for c in ['\t', '\n', '\r', 'é', '\u{fffd}', '\u{1f600}', '\u{efbf}'] {
            assert!(is_xml_safe(&format!("a{c}b")), "{c:?}");
        }
        // Wherever it is: the scan goes by 64-byte chunks.
        let long = "x".repeat(200);
        for at in [0, 63, 64, 65, 199] {
            for c in ['\u{b}', '\u{ffff}'] {
                let mut s = long.clone();
                s.insert(at, c);
                assert!(!is_xml_safe(&s), "{c:?} at {at}");
            }
        }
    }

    /// Random addresses built from the pieces the URL standard rewrites or
    /// rejects: wherever `is_plain_http_url` says yes, `Url::parse` accepts
    /// the address, as http(s) with a host, and writes it back unchanged.
    #[test]
    fn plain_urls_are_what_url_parse_writes_back() {
        // Mostly pieces of plain addresses, with an odd one in some.
        const STARTS: &[&str] = &[
            "https://",
            "http://",
            "HTTP://",
            "https:/",
            "https:///",
            "ftp://",
            "http:\\\\",
            " https://",
        ];
        const LABELS: &[&str] = &[
            "www", "beehive", "govt", "nz", "a-b", "x1", "1", "09", "0x", "0x7f", "255", "xn--",
            "xn--a", "xn--0-",
        ];
        const ODD_HOST: &[&str] = &[
            "",
            ".",
            "-",
            "xn--",
            "xn--nxasmq6b",
            "A",
            "ü",
            ":80",
            ":443",
            "@",
            "u:p@",
            "[::1]",
            "%41",
            "_",
            " ",
        ];
        const SEGMENTS: &[&str] = &[
            "release",
            "a-b",
            "x_1",
            "~u",
            "2021",
            "file.pdf",
            "Report%20(final)",
            "a;b=c",
            "a@b:c",
            "!$&'*+,",
            "",
        ];
        const ODD_PATH: &[&str] = &[
            ".",
            "..",
            "%2e",
            "%2E",
            "%",
            "%41",
            "%zz",
            ".well-known",
            "?",
            "?a=b",
            "#",
            "#f",
            "\\",
            " ",
            "\t",
            "^",
            "|",
            "{",
            "}",
            "`",
            "\"",
            "<",
            ">",
            "[",
            "é",
            "\n",
        ];
        let mut next = crate::testing::rng(0x9e37_79b9_7f4a_7c15_u64);
        let mut plain = 0;
        for _ in 0..100_000 {
            let mut url = String::from(match next(4) {
                0 => STARTS[next(STARTS.len())],
                _ => STARTS[next(2)],
            });
            for i in 0..1 + next(4) {
                if i > 0 {
                    url.push('.');
                }
                url.push_str(LABELS[next(LABELS.len())]);
                if next(12) == 0 {
                    url.push_str(ODD_HOST[next(ODD_HOST.len())]);
                }
            }
            for _ in 0..next(5) {
                url.push('/');
                url.push_str(SEGMENTS[next(SEGMENTS.len())]);
                if next(10) == 0 {
                    url.push_str(ODD_PATH[next(ODD_PATH.len())]);
                }
            }
            if !is_plain_http_url(&url) {
                continue;
            }
            plain += 1;
            let parsed = url::Url::parse(&url).unwrap_or_else(|e| panic!("{url:?}: {e}"));
            assert!(matches!(parsed.scheme(), "http" | "https"), "{url:?}");
            assert!(parsed.has_host(), "{url:?}");
            assert_eq!(parsed.as_str(), url);
        }
        // The generator must reach the shortcut often enough to test it.
        assert!(plain > 3_000, "only {plain} plain");
        assert!(is_plain_http_url(
            "https://www.beehive.govt.nz/release/appointment-queens-counsel-2"
        ));
        assert!(is_plain_http_url(
            "https://www.beehive.govt.nz/sites/default/files/2021-06/Report%20(final).pdf"
        ));
    }
}
