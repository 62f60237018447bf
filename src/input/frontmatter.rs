//! Front matter YAML -> typed, unvalidated fields.
//!
//! This is the only module that knows which YAML library is used (serde_yaml,
//! which upstream marks deprecated): replacing it with a maintained fork means
//! changing this file alone. Everything after this stage sees plain strings.

use std::borrow::Cow;
use std::path::Path;

use serde_yaml::Value;

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::input::load::Split;

pub mod simple;

/// A scalar field and the key it was found under (see [`key_position`]:
/// positions are only worked out for fields that are reported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub value: String,
    pub key: &'static str,
}

/// What the front matter says, before any value is checked.
#[derive(Debug, Default)]
pub struct FrontMatter {
    pub title: Option<Field>,
    pub date: Option<Field>,
    pub url: Option<Field>,
    /// When a corrected release was last changed.
    pub updated: Option<Field>,
    /// The names of each taxonomy, as written, by its place in
    /// [`Config::taxonomies`] (shorter when the last have none).
    pub terms: Vec<Vec<String>>,
    pub attachments: Vec<Field>,
}

/// Keys pressfeed reads besides the taxonomies' keys; any other key is
/// reported by `check`.
use crate::config::SCALAR_KEYS as KNOWN_KEYS;

/// The keys pressfeed reads, for hints: "title, date, url, updated,
/// portfolios, ministers, attachments".
fn known_keys(config: &Config) -> String {
    let (scalars, last) = KNOWN_KEYS.split_at(KNOWN_KEYS.len() - 1);
    let lists = config.taxonomies.iter().map(|t| t.key.as_str());
    let all: Vec<&str> = scalars
        .iter()
        .copied()
        .chain(lists)
        .chain(last.iter().copied())
        .collect();
    all.join(", ")
}

/// Unknown keys reported one by one in a seed; the rest are counted in one
/// warning.
const MAX_UNKNOWN_KEY_WARNINGS: usize = 10;

/// A top-level key (or, when it is not text, the key itself) and its value.
type Entry<'a> = (Result<Cow<'a, str>, Value>, Value);

/// Parses front matter. Errors are returned all together; warnings (unknown
/// keys, empty list items) are pushed onto `warnings`.
pub fn parse(
    path: &Path,
    split: &Split<'_>,
    config: &Config,
    warnings: &mut Vec<Diagnostic>,
) -> Result<FrontMatter, Vec<Diagnostic>> {
    // The usual shape takes the fast path; anything else, errors included,
    // is read by serde_yaml.
    let entries: Box<dyn Iterator<Item = Entry<'_>>> = match simple::parse(split.yaml) {
        Some(fields) => Box::new(fields.into_iter().map(|(k, v)| (Ok(Cow::Borrowed(k)), v))),
        None => match serde_yaml::from_str(split.yaml) {
            Ok(Value::Mapping(map)) => Box::new(
                map.into_iter()
                    .map(|(k, v)| (into_scalar(k).map(Cow::Owned), v)),
            ),
            Ok(_) => {
                return Err(vec![
                    Diagnostic::error(
                        path,
                        split.yaml_line,
                        1,
                        "front matter is not a list of `key: value` lines",
                    )
                    .with_hint("write `title:`, `date:` and `url:` keys between the `---` lines"),
                ]);
            }
            Err(e) => {
                // libyaml names where it gave up and, for an unclosed quote
                // or bracket, where that construct started: the start is
                // where to look.
                let full = e.to_string();
                let (line, col) = match (positions(&full).last(), e.location()) {
                    (Some(&(l, c)), _) => (split.yaml_line + l - 1, c),
                    (None, Some(loc)) => (split.yaml_line + loc.line() - 1, loc.column()),
                    (None, None) => (split.yaml_line, 1),
                };
                let message = yaml_message(&e.to_string());
                return Err(vec![
                        Diagnostic::error(path, line, col, format!("front matter is not valid YAML: {message}"))
                            .with_hint("quote values that contain `: ` or start with a special character, e.g. title: \"...\""),
                    ]);
            }
        },
    };
    let mut fm = FrontMatter::default();
    let mut errors = Vec::new();
    let mut unknown = 0;
    for (key, value) in entries {
        let key = match key {
            Ok(k) => k,
            Err(_) => {
                errors.push(Diagnostic::error(
                    path,
                    split.yaml_line,
                    1,
                    "front matter has a key that is not text",
                ));
                continue;
            }
        };
        let known = KNOWN_KEYS.iter().copied().find(|k| *k == key);
        let list = config.taxonomy(&key).map(|(n, _)| n);
        let at = || key_position(split, &key);
        let field = |value: String| Field {
            value,
            key: known.unwrap_or(""),
        };
        match (&*key, list) {
            ("title" | "date" | "url" | "updated", _) => match value {
                Value::Null => {}
                v => match into_scalar(v) {
                    Ok(s) => {
                        let slot = match &*key {
                            "title" => &mut fm.title,
                            "date" => &mut fm.date,
                            "updated" => &mut fm.updated,
                            _ => &mut fm.url,
                        };
                        *slot = Some(field(s));
                    }
                    Err(v) => errors.push(
                        Diagnostic::at(
                            path,
                            at(),
                            format!("`{key}` must be a single value, not {}", kind(&v)),
                        )
                        .with_hint(format!("write it on one line: {key}: \"...\"")),
                    ),
                },
            },
            ("attachments", _) => match names(value) {
                Ok(items) => {
                    for item in items {
                        match item {
                            NameItem::Name(n) => fm.attachments.push(field(n)),
                            NameItem::Empty => {}
                            NameItem::NotText(what) if what == "null" => {}
                            NameItem::NotText(what) => warnings.push(
                                Diagnostic::at(path, at(), format!("`attachments` has an item that YAML reads as {what}, not a URL; it is ignored"))
                                    .warn()
                                    .with_hint("write one URL per line under `attachments:`, each starting with `  - `"),
                            ),
                            NameItem::Other(what) => errors.push(
                                Diagnostic::at(path, at(), format!("`attachments` has an item that is {what}, not a URL"))
                                    .with_hint("write one URL per line under `attachments:`, each starting with `  - `"),
                            ),
                        }
                    }
                }
                Err(what) => errors.push(
                    Diagnostic::at(
                        path,
                        at(),
                        format!("`attachments` must be a list of URLs, not {what}"),
                    )
                    .with_hint(
                        "write one URL per line under `attachments:`, each starting with `  - `",
                    ),
                ),
            },
            (_, Some(n)) => {
                if let Some(out) = name_list(path, split, &key, value, &mut errors, warnings) {
                    if fm.terms.len() <= n {
                        fm.terms.resize_with(n + 1, Vec::new);
                    }
                    fm.terms[n] = out;
                }
            }
            // A taxonomy switched off in configuration: its list is known
            // and left alone, however it is written.
            (other, None) if config.is_disabled(other) => {}
            // Each warning looks its key up in the text: a bounded number
            // of them keeps a seed's cost linear in its size.
            (other, None) if unknown < MAX_UNKNOWN_KEY_WARNINGS => {
                unknown += 1;
                warnings.push(
                    Diagnostic::at(path, at(), format!("unknown key `{other}` is ignored"))
                        .warn()
                        .with_hint(format!("pressfeed reads {}", known_keys(config))),
                );
            }
            _ => unknown += 1,
        }
    }
    if unknown > MAX_UNKNOWN_KEY_WARNINGS {
        warnings.push(
            Diagnostic::warning(
                path,
                split.yaml_line,
                0,
                format!(
                    "{} more unknown keys are ignored",
                    unknown - MAX_UNKNOWN_KEY_WARNINGS
                ),
            )
            .with_hint(format!("pressfeed reads {}", known_keys(config))),
        );
    }
    if errors.is_empty() {
        Ok(fm)
    } else {
        Err(errors)
    }
}

/// The names of a taxonomy's list `key`, or `None` (with an error) when it
/// is not a list; items that are not names are left out with a warning.
fn name_list(
    path: &Path,
    split: &Split<'_>,
    key: &str,
    value: Value,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<Vec<String>> {
    let at = || key_position(split, key);

    let items = match names(value) {
        Ok(items) => items,
        Err(what) => {
            errors.push(
                Diagnostic::at(
                    path,
                    at(),
                    format!("`{key}` must be a list of names, not {what}"),
                )
                .with_hint(format!(
                    "write one name per line under `{key}:`, each starting with `  - `"
                )),
            );
            return None;
        }
    };
    let mut out = Vec::with_capacity(items.len());
    // Items YAML reads as something other than text, in order,
    // matched to their lines by `non_text_items`.
    let mut literals = None;
    let mut nth_literal = 0;
    for item in items {
        match item {
            NameItem::Name(n) => out.push(n),
            NameItem::NotText(what) => {
                let found = literals
                    .get_or_insert_with(|| non_text_items(split, key))
                    .get(nth_literal)
                    .cloned();
                nth_literal += 1;
                let (position, literal) = match found {
                    Some((line, col, text)) => ((line, col), text),
                    None => (at(), String::new()),
                };
                if what == "null" && literal.is_empty() {
                    warnings.push(
                        Diagnostic::at(
                            path,
                            position,
                            format!("`{key}` has an empty item; it is ignored"),
                        )
                        .warn(),
                    );
                    continue;
                }
                let shown = if literal.is_empty() {
                    "an item".to_string()
                } else {
                    format!("{literal:?}")
                };
                warnings.push(
                    Diagnostic::at(
                        path,
                        position,
                        format!(
                            "`{key}` has {shown}, which YAML reads as {what}, not a name; it is ignored"
                        ),
                    )
                    .warn()
                    .with_hint(format!(
                        "if it is a name, quote it: - \"{}\"",
                        if literal.is_empty() { "..." } else { literal.as_str() }
                    )),
                );
            }
            NameItem::Empty => warnings.push(
                Diagnostic::at(
                    path,
                    at(),
                    format!("`{key}` has an empty item; it is ignored"),
                )
                .warn(),
            ),
            NameItem::Other(what) => warnings.push(
                Diagnostic::at(
                    path,
                    at(),
                    format!("`{key}` has an item that is {what}, not a name; it is ignored"),
                )
                .warn()
                .with_hint("if it is a name, put it in double quotes: - \"...\""),
            ),
        }
    }
    Some(out)
}

/// A scalar as text, moved out of the value; the value itself for null,
/// lists and mappings.
fn into_scalar(v: Value) -> Result<String, Value> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Tagged(t) => into_scalar(t.value),
        v @ (Value::Null | Value::Sequence(_) | Value::Mapping(_)) => Err(v),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(t) => kind(&t.value),
        _ => "a value",
    }
}

/// One item of a list of names.
enum NameItem {
    Name(String),
    Empty,
    /// A number, boolean or null (`- 0x1F`, `- true`, `- ~`): what YAML
    /// reads it as. Not published: its source text is not in the value
    /// (`0x1F` is 31), and a name that YAML reads as a number is a mistake.
    NotText(String),
    /// Something that is not a name (a nested list, a mapping): what it is.
    Other(&'static str),
}

/// A list of names. A single scalar, or a single one-key mapping, is a
/// one-name list. A list item that YAML reads as a one-key mapping
/// (`- Māori Crown Relations: Te Arawhiti`) is the name "Māori Crown
/// Relations: Te Arawhiti". `Err` when the value as a whole is not a list.
fn names(v: Value) -> Result<Vec<NameItem>, &'static str> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Sequence(items) => Ok(items.into_iter().map(name).collect()),
        Value::Tagged(t) => names(t.value),
        v => match name(v) {
            NameItem::Other(what) => Err(what),
            item => Ok(vec![item]),
        },
    }
}

fn name(v: Value) -> NameItem {
    match v {
        Value::Mapping(m) if m.len() == 1 => {
            let Some((k, v)) = m.into_iter().next() else {
                return NameItem::Other("an empty mapping");
            };
            match (into_scalar(k), v) {
                (Ok(k), Value::Null) => NameItem::Name(format!("{k}:")),
                (Ok(k), v) => match into_scalar(v) {
                    Ok(v) => NameItem::Name(format!("{k}: {v}")),
                    Err(_) => NameItem::Other("a nested mapping"),
                },
                (Err(_), _) => NameItem::Other("a nested mapping"),
            }
        }
        Value::Mapping(_) => NameItem::Other("a mapping"),
        Value::Sequence(_) => NameItem::Other("a list"),
        Value::Tagged(t) => name(t.value),
        Value::Null => NameItem::NotText("null".into()),
        Value::Number(n) => NameItem::NotText(format!("the number {n}")),
        Value::Bool(b) => NameItem::NotText(format!("the boolean {b}")),
        v => into_scalar(v).map_or(NameItem::Empty, NameItem::Name),
    }
}

/// The items under top-level `key` that YAML reads as a number, boolean or
/// null, in order: 1-based line and column of each, and its text as written
/// (empty for a bare `-`).
fn non_text_items(split: &Split<'_>, key: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut inside = false;
    for (i, line) in split.yaml.lines().enumerate() {
        let content = line.trim_start();
        let indent = line.len() - content.len();
        if indent == 0 && !content.starts_with('-') {
            inside = content
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(':'));
            continue;
        }
        if !inside {
            continue;
        }
        let Some(value) = content.strip_prefix('-') else {
            continue;
        };
        if !(value.is_empty() || value.starts_with([' ', '\t'])) {
            continue;
        }
        let literal = value.trim();
        let literal = literal
            .split_once(" #")
            .map_or(literal, |(v, _)| v.trim_end());
        let non_text = literal.is_empty()
            || matches!(
                serde_yaml::from_str::<Value>(literal),
                Ok(Value::Null | Value::Bool(_) | Value::Number(_))
            );
        if non_text {
            let col = line.len() - value.trim_start().len();
            let col = line[..col.min(line.len())].chars().count() + 1;
            out.push((split.yaml_line + i, col, literal.to_string()));
        }
    }
    out
}

/// Line and column of the value of a top-level key, found by scanning the
/// front matter text (serde_yaml does not report positions of values).
pub fn key_position(split: &Split<'_>, key: &str) -> (usize, usize) {
    fn quoted<'l>(line: &'l str, key: &str, q: char) -> Option<&'l str> {
        line.strip_prefix(q)?.strip_prefix(key)?.strip_prefix(q)
    }
    for (i, line) in split.yaml.lines().enumerate() {
        let rest = line
            .strip_prefix(key)
            .or_else(|| quoted(line, key, '"'))
            .or_else(|| quoted(line, key, '\''));
        if let Some(rest) = rest {
            let rest_trim = rest.trim_start();
            if let Some(after_colon) = rest_trim.strip_prefix(':') {
                if after_colon.trim().is_empty() {
                    // A block value on the following lines: point at the key.
                    return (split.yaml_line + i, 1);
                }
                let value_start = line.len() - after_colon.trim_start().len();
                let col = line[..value_start].chars().count() + 1;
                return (split.yaml_line + i, col);
            }
        }
    }
    (split.yaml_line, 1)
}

/// The `(line, column)` pairs in a serde_yaml message ("at line 4 column 1").
fn positions(message: &str) -> Vec<(usize, usize)> {
    let number = |s: &str| -> Option<usize> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        s[..end].parse().ok()
    };
    message
        .split(" at line ")
        .skip(1)
        .filter_map(|part| {
            let line = number(part)?;
            let col = number(part.split_once(" column ")?.1)?;
            Some((line, col))
        })
        .collect()
}

/// serde_yaml's message without its own " at line X column Y" positions,
/// which count from the start of the front matter, not of the file.
fn yaml_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(" at line ") {
        out.push_str(&rest[..i]);
        // Skip "at line N column M".
        let after = &rest[i + " at line ".len()..];
        let skip = after
            .find(" column ")
            .map(|c| c + " column ".len())
            .and_then(|c| {
                after[c..]
                    .find(|ch: char| !ch.is_ascii_digit())
                    .map(|d| c + d)
                    .or(Some(after.len()))
            })
            .unwrap_or(0);
        rest = &after[skip..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in taxonomies' places in the default configuration.
    const PORTFOLIOS: usize = 0;
    const MINISTERS: usize = 1;
    use crate::input::load;

    fn parse_str(s: &str) -> (Result<FrontMatter, Vec<Diagnostic>>, Vec<Diagnostic>) {
        let split = load::split(Path::new("x.md"), s, 0).unwrap();
        let mut warnings = Vec::new();
        (
            parse(Path::new("x.md"), &split, &Config::default(), &mut warnings),
            warnings,
        )
    }

    #[test]
    fn reads_fields_and_positions() {
        let (fm, w) = parse_str(
            "---\ntitle: \"A \\u00a0 & <b>\"\ndate: 2008-09-30\nurl: https://x.nz/a\nministers:\n  - Hon A\nportfolios: Defence\nextra: 1\n---\n",
        );
        let fm = fm.unwrap();
        assert_eq!(fm.title.unwrap().value, "A \u{a0} & <b>");
        assert_eq!(fm.date.unwrap().value, "2008-09-30");
        let split = load::split(
            Path::new("x.md"),
            "---\ntitle: a\n\"date\":  2008-09-30\n---\n",
            0,
        )
        .unwrap();
        assert_eq!(key_position(&split, "date"), (3, 10));
        assert_eq!(fm.terms[MINISTERS], vec!["Hon A"]);
        assert_eq!(fm.terms[PORTFOLIOS], vec!["Defence"]);
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("extra"));
        assert_eq!(w[0].line, 8);
    }

    #[test]
    fn one_key_mapping_is_a_name() {
        let (fm, _) = parse_str(
            "---\nportfolios:\n  - Māori Crown Relations: Te Arawhiti\n  - Health\n---\n",
        );
        assert_eq!(
            fm.unwrap().terms[PORTFOLIOS],
            vec!["Māori Crown Relations: Te Arawhiti", "Health"]
        );
    }

    #[test]
    fn nested_list_item_is_ignored_with_a_warning() {
        let (fm, w) = parse_str("---\nministers:\n  - [From a speech]\n  - Sandra Lee\n---\n");
        assert_eq!(fm.unwrap().terms[MINISTERS], vec!["Sandra Lee"]);
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("a list"), "{}", w[0]);
    }

    #[test]
    fn syntax_error_is_located_in_the_file() {
        let (fm, _) = parse_str("---\ntitle: \"a\ndate: 2008-01-01\n---\n");
        let e = &fm.unwrap_err()[0];
        assert!(e.line >= 2, "{e}");
        assert!(e.message.starts_with("front matter is not valid YAML"));
    }

    #[test]
    fn unclosed_quote_points_at_its_start() {
        let (fm, _) = parse_str("---\ntitle: \"a\ndate: 2008-01-01\nurl: x\n---\n");
        let e = &fm.unwrap_err()[0];
        assert_eq!((e.line, e.col), (2, 8), "{e}");
        assert!(!e.message.contains(" at line "), "{e}");
    }

    #[test]
    fn wrong_types_are_all_reported() {
        let (fm, _) = parse_str("---\ntitle: [a, b]\nministers: {a: 1, b: 2}\n---\n");
        let errors = fm.unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!((errors[0].line, errors[0].col), (2, 8));
    }
}
