//! `pressfeed.toml`: what the feeds are called, where they are served from and
//! how names in the archive are cleaned up.
//!
//! Every key is optional; the built-in defaults publish the New Zealand
//! Government's beehive.govt.nz archive. An unknown key is an error that names
//! it, so a typo never silently falls back to a default.

use std::collections::BTreeMap;
use std::path::Path;

use chrono_tz::Tz;
use serde::Deserialize;
use url::Url;

use crate::diag::Diagnostic;

/// The configuration after validation.
#[derive(Debug, Clone)]
pub struct Config {
    /// Title of the global feed; per-feed titles are built from it.
    pub title: String,
    pub description: String,
    /// The organisation's web site (the feeds' `alternate` link).
    pub site_url: Url,
    /// Where the output folder is served from, ending in `/`.
    pub base_url: Url,
    pub language: String,
    pub time_zone: Tz,
    /// Items per feed; `None` means every release.
    pub items_per_feed: Option<usize>,
    /// The most bytes a feed document may have (`None`: no limit). A
    /// release too big for it is carried as its summary; a document carries
    /// fewer items rather than grow past it.
    pub max_document_bytes: Option<usize>,
    pub author: String,
    /// Prefixes removed from minister names ("Hon", "Rt Hon"), longest first.
    pub honorifics: Vec<String>,
    /// Titles removed from the start of minister names ("Dr", "Sir"),
    /// after the honorifics; longest first.
    pub titles: Vec<String>,
    /// Post-nominal letters removed from the end of minister names ("KC",
    /// "ONZM"), matched as whole words in capitals.
    pub post_nominals: Vec<String>,
    pub ministers: NameRules,
    pub portfolios: NameRules,
    /// WebSub hubs every feed document declares and every build that
    /// changed documents notifies (see [`crate::delivery::websub`]).
    pub hubs: Vec<Url>,
    /// A small square image for the feeds (Atom `icon`, JSON Feed
    /// `favicon`) and the pages (`<link rel="icon">`).
    pub icon: Option<Url>,
    /// A larger image (Atom `logo`, JSON Feed `icon`, RSS `image`).
    pub logo: Option<Url>,
    /// Archived feeds (RFC 5005) and history pages for every feed (see
    /// [`crate::site::archive`]).
    pub archives: bool,
    /// Releases in each archive document, counted from each feed's oldest.
    pub archive_page_size: usize,
    /// The formats with archive documents, by file name (`atom.xml`).
    pub archive_formats: Vec<&'static str>,
}

impl Config {
    /// Whether format `file` (`atom.xml`) has archive documents.
    pub fn archives_in(&self, file: &str) -> bool {
        self.archives && self.archive_formats.contains(&file)
    }
}

/// How spellings of one kind of name (ministers or portfolios) are mapped.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameRules {
    /// Spelling found in releases -> the name to publish it under.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// Names that are never given a feed (link texts scraped by mistake).
    #[serde(default)]
    pub drop: Vec<String>,
    /// Names that are right as written: `check` flags them neither as
    /// unlikely names nor as likely duplicates of each other.
    #[serde(default)]
    pub keep: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: Option<String>,
    description: Option<String>,
    site_url: Option<String>,
    base_url: Option<String>,
    language: Option<String>,
    time_zone: Option<String>,
    items_per_feed: Option<i64>,
    max_document_bytes: Option<i64>,
    author: Option<String>,
    honorifics: Option<Vec<String>>,
    titles: Option<Vec<String>>,
    post_nominals: Option<Vec<String>>,
    #[serde(default)]
    hubs: Vec<String>,
    icon: Option<String>,
    logo: Option<String>,
    archives: Option<bool>,
    archive_page_size: Option<i64>,
    archive_formats: Option<Vec<String>>,
    #[serde(default)]
    ministers: NameRules,
    #[serde(default)]
    portfolios: NameRules,
}

pub const DEFAULT_TITLE: &str = "New Zealand Government releases";
pub const DEFAULT_DESCRIPTION: &str = "Press releases from the New Zealand Government";
pub const DEFAULT_SITE_URL: &str = "https://www.beehive.govt.nz/";
pub const DEFAULT_BASE_URL: &str = "https://www.beehive.govt.nz/feeds/";
pub const DEFAULT_LANGUAGE: &str = "en-NZ";
pub const DEFAULT_TIME_ZONE: &str = "Pacific/Auckland";
pub const DEFAULT_ITEMS_PER_FEED: usize = 50;
/// 1 MiB: within what FeedBurner (512 KiB to 1 MiB), CommaFeed (5 MB),
/// Miniflux (15 MB) and libxml2's text node limit (10 MB) accept.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 1 << 20;
pub const MIN_DOCUMENT_BYTES: usize = 64 << 10;
/// Releases per archive document: 100 summaries are about 100 KB.
pub const DEFAULT_ARCHIVE_PAGE_SIZE: usize = 100;
pub const MAX_ARCHIVE_PAGE_SIZE: usize = 1000;
/// Atom only by default: see the README ("The whole archive").
pub const DEFAULT_ARCHIVE_FORMATS: &[&str] = &["atom"];
pub const DEFAULT_AUTHOR: &str = "New Zealand Government";
pub const DEFAULT_HONORIFICS: &[&str] = &["Rt Hon", "Right Honourable", "The Honourable", "Hon"];
/// Titles before a person's name. A dot after one ("Dr.") is ignored.
pub const DEFAULT_TITLES: &[&str] = &[
    "Dr",
    "Doctor",
    "Professor",
    "Prof",
    "Sir",
    "Dame",
    "Mr",
    "Mrs",
    "Ms",
    "Miss",
    "Mx",
];
/// Letters after a person's name: counsel, member of Parliament, New Zealand
/// and Commonwealth honours, justice of the peace, doctorates. Dots inside
/// them ("Q.C.") and a comma before them are ignored.
pub const DEFAULT_POST_NOMINALS: &[&str] = &[
    "KC", "QC", "SC", "MP", "JP", "ONZ", "GNZM", "KNZM", "DNZM", "PCNZM", "DCNZM", "CNZM", "ONZM",
    "MNZM", "QSO", "QSM", "NZOM", "QFSM", "NZM", "OBE", "MBE", "CBE", "KBE", "DBE", "GBE", "CMG",
    "KCMG", "DCMG", "GCMG", "CH", "PC", "KStJ", "DStJ", "PhD",
];

impl Default for Config {
    fn default() -> Self {
        Config::from_raw(RawConfig::default(), Path::new("pressfeed.toml"))
            .expect("built-in defaults are valid")
    }
}

impl Config {
    /// Reads `path`. When `required` is false and the file does not exist, the
    /// built-in defaults are used.
    pub fn load(path: &Path, required: bool) -> Result<Config, Diagnostic> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Config::default());
            }
            Err(e) => {
                return Err(
                    Diagnostic::error(path, 0, 0, format!("cannot read config: {e}")).with_hint(
                        "pass an existing file with --config, or omit it to use the defaults",
                    ),
                );
            }
        };
        Config::parse(&text, path)
    }

    /// Parses configuration text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Diagnostic> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, col) = e
                .span()
                .map(|span| crate::text::line_col(text, span.start))
                .unwrap_or((0, 0));
            let message = e.message().trim().to_string();
            let message = lowercase_first(&message);
            Diagnostic::error(path, line, col, message)
                .with_hint("see README.md, section Configuration, for every key and its default")
        })?;
        refuse_controls(text, path)?;
        Config::from_raw(raw, path)
    }

    fn from_raw(raw: RawConfig, path: &Path) -> Result<Config, Diagnostic> {
        let bad =
            |message: String, hint: &str| Diagnostic::error(path, 0, 0, message).with_hint(hint);
        let site_url = parse_http_url(raw.site_url.as_deref().unwrap_or(DEFAULT_SITE_URL))
            .map_err(|e| bad(format!("site_url: {e}"), "use an absolute http(s) URL"))?;
        let mut base = raw
            .base_url
            .map_or_else(|| DEFAULT_BASE_URL.to_string(), |b| b.trim().to_string());
        if !base.ends_with('/') {
            base.push('/');
        }
        let base_url = parse_http_url(&base)
            .and_then(|u| match (u.query(), u.fragment()) {
                (None, None) => Ok(u),
                _ => Err(format!(
                    "{:?} has a query or fragment; feed addresses are built by appending file names to it",
                    base.trim_end_matches('/')
                )),
            })
            .map_err(|e| {
                bad(
                    format!("base_url: {e}"),
                    "use the absolute http(s) URL the output folder is served from, without `?` or `#`",
                )
            })?;
        let tz_name = raw
            .time_zone
            .unwrap_or_else(|| DEFAULT_TIME_ZONE.to_string());
        let time_zone: Tz = tz_name.parse().map_err(|_| {
            bad(
                format!("time_zone: unknown time zone {tz_name:?}"),
                "use an IANA name such as \"Pacific/Auckland\" or \"UTC\"",
            )
        })?;
        let items_per_feed = match raw.items_per_feed {
            None => Some(DEFAULT_ITEMS_PER_FEED),
            Some(0) => None,
            Some(n) if n > 0 => Some(n as usize),
            Some(n) => {
                return Err(bad(
                    format!("items_per_feed: {n} is negative"),
                    "use a positive number, or 0 for every release",
                ));
            }
        };
        let max_document_bytes = match raw.max_document_bytes {
            None => Some(DEFAULT_MAX_DOCUMENT_BYTES),
            Some(0) => None,
            Some(n) if n >= MIN_DOCUMENT_BYTES as i64 => Some(n as usize),
            Some(n) => {
                return Err(bad(
                    format!("max_document_bytes: {n} is too small for a feed"),
                    &format!(
                        "use at least {MIN_DOCUMENT_BYTES} (the default, {DEFAULT_MAX_DOCUMENT_BYTES}, suits every common reader), or 0 for no limit"
                    ),
                ));
            }
        };
        let archive_page_size = match raw.archive_page_size {
            None => DEFAULT_ARCHIVE_PAGE_SIZE,
            Some(n) if (1..=MAX_ARCHIVE_PAGE_SIZE as i64).contains(&n) => n as usize,
            Some(n) => {
                return Err(bad(
                    format!("archive_page_size: {n} is out of range"),
                    &format!(
                        "use 1 to {MAX_ARCHIVE_PAGE_SIZE} releases per archive document (the default is {DEFAULT_ARCHIVE_PAGE_SIZE})"
                    ),
                ));
            }
        };
        let names: Vec<(String, &'static str)> = crate::output::FEED_FORMATS
            .iter()
            .map(|f| (f.info().short_label.to_ascii_lowercase(), f.info().file))
            .collect();
        let wanted: Vec<String> = raw.archive_formats.unwrap_or_else(|| {
            DEFAULT_ARCHIVE_FORMATS
                .iter()
                .map(|s| s.to_string())
                .collect()
        });
        let mut archive_formats = Vec::new();
        for w in &wanted {
            match names.iter().find(|(n, _)| n == w) {
                Some((_, file)) if !archive_formats.contains(file) => archive_formats.push(*file),
                Some(_) => {}
                None => {
                    return Err(bad(
                        format!("archive_formats: unknown format {w:?}"),
                        &format!(
                            "use some of {}",
                            names
                                .iter()
                                .map(|(n, _)| format!("{n:?}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
        let mut honorifics: Vec<String> = raw
            .honorifics
            .unwrap_or_else(|| DEFAULT_HONORIFICS.iter().map(|s| s.to_string()).collect())
            .into_iter()
            .map(|h| h.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|h| !h.is_empty())
            .collect();
        // Longest first, so "Rt Hon" is removed before "Hon" is considered.
        honorifics.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let hubs = raw
            .hubs
            .iter()
            .map(|h| {
                parse_http_url(h)
                    .and_then(|u| match u.fragment() {
                        None => Ok(u),
                        Some(_) => Err(format!("{h:?} has a #fragment")),
                    })
                    .map_err(|e| {
                        bad(
                            format!("hubs: {e}"),
                            "list each WebSub hub's publish address, such as \"https://pubsubhubbub.appspot.com/\"",
                        )
                    })
            })
            .collect::<Result<Vec<Url>, Diagnostic>>()?;
        let words = |list: Option<Vec<String>>, default: &[&str]| -> Vec<String> {
            let mut list: Vec<String> = list
                .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
                .into_iter()
                .map(|h| h.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|h| !h.is_empty())
                .collect();
            list.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            list.dedup();
            list
        };
        let titles = words(raw.titles, DEFAULT_TITLES);
        let post_nominals = words(raw.post_nominals, DEFAULT_POST_NOMINALS)
            .into_iter()
            .map(|p| p.replace(['.', ' '], ""))
            .collect();
        let image = |key: &str, value: Option<String>| -> Result<Option<Url>, Diagnostic> {
            value
                .map(|v| {
                    parse_http_url(&v).map_err(|e| {
                        bad(
                            format!("{key}: {e}"),
                            "give the image's absolute https:// address",
                        )
                    })
                })
                .transpose()
        };
        let icon = image("icon", raw.icon)?;
        let logo = image("logo", raw.logo)?;
        Ok(Config {
            hubs,
            icon,
            logo,
            archives: raw.archives.unwrap_or(true),
            archive_page_size,
            archive_formats,
            title: raw.title.unwrap_or_else(|| DEFAULT_TITLE.to_string()),
            description: raw
                .description
                .unwrap_or_else(|| DEFAULT_DESCRIPTION.to_string()),
            site_url,
            base_url,
            language: raw.language.unwrap_or_else(|| DEFAULT_LANGUAGE.to_string()),
            time_zone,
            items_per_feed,
            max_document_bytes,
            author: raw.author.unwrap_or_else(|| DEFAULT_AUTHOR.to_string()),
            honorifics,
            titles,
            post_nominals,
            ministers: raw.ministers,
            portfolios: raw.portfolios,
        })
    }

    /// The absolute URL of a file in the output folder.
    pub fn output_url(&self, rel: &str) -> String {
        format!("{}{}", self.base_url, rel)
    }
}

/// Refuses a control character in any key or text of the configuration
/// (they come from escapes such as `\u0007`): published in a title or a
/// name, most make every feed document invalid XML. Only `description` may
/// hold tabs and line breaks. The error points at the value.
fn refuse_controls(text: &str, path: &Path) -> Result<(), Diagnostic> {
    use toml::de::{DeTable, DeValue};
    fn bad_char(key: &str, s: &str) -> Option<char> {
        s.chars()
            .find(|&c| c.is_control() && !(key == "description" && matches!(c, '\t' | '\n' | '\r')))
    }
    fn walk(
        key: &str,
        value: &toml::Spanned<DeValue<'_>>,
        found: &mut Option<(String, char, usize)>,
    ) {
        if found.is_some() {
            return;
        }
        match value.get_ref() {
            DeValue::String(s) => {
                if let Some(c) = bad_char(key, s) {
                    *found = Some((key.to_string(), c, value.span().start));
                }
            }
            DeValue::Array(items) => items.iter().for_each(|v| walk(key, v, found)),
            DeValue::Table(table) => {
                for (k, v) in table.iter() {
                    let name = match key {
                        "" => k.get_ref().to_string(),
                        _ => format!("{key}.{}", k.get_ref()),
                    };
                    match bad_char("", k.get_ref()) {
                        Some(c) if found.is_none() => {
                            *found = Some((name, c, k.span().start));
                        }
                        _ => walk(&name, v, found),
                    }
                }
            }
            _ => {}
        }
    }
    let Ok(table) = DeTable::parse(text) else {
        return Ok(());
    };
    let mut found = None;
    for (k, v) in table.get_ref().iter() {
        walk(k.get_ref(), v, &mut found);
    }
    match found {
        None => Ok(()),
        Some((key, c, at)) => {
            let (line, col) = crate::text::line_col(text, at);
            Err(Diagnostic::error(
                path,
                line,
                col,
                format!("{key}: control character U+{:04X} in the text", c as u32),
            )
            .with_hint("remove it (an escape such as \\u0007 or \\b): published, it makes feed documents invalid XML"))
        }
    }
}

/// An absolute http(s) URL; spaces around it (easy to leave in a quoted
/// value) are trimmed.
fn parse_http_url(s: &str) -> Result<Url, String> {
    let s = s.trim();
    let url = Url::parse(s).map_err(|e| format!("{s:?} is not a URL ({e})"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("{s:?} has scheme {other:?}, not http or https")),
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_serve_the_beehive_archive() {
        let c = Config::default();
        assert_eq!(c.time_zone, chrono_tz::Pacific::Auckland);
        assert_eq!(c.items_per_feed, Some(50));
        assert_eq!(c.honorifics[0], "Right Honourable");
        assert!(c.base_url.as_str().ends_with('/'));
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Config::parse("title = \"x\"\ntitel = \"y\"\n", Path::new("p.toml")).unwrap_err();
        assert!(e.message.contains("titel"), "{e}");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn zero_items_means_all_and_base_gets_slash() {
        let c = Config::parse(
            "items_per_feed = 0\nbase_url = \"https://example.org/f\"\n",
            Path::new("p.toml"),
        )
        .unwrap();
        assert_eq!(c.items_per_feed, None);
        assert_eq!(c.base_url.as_str(), "https://example.org/f/");
    }

    #[test]
    fn archive_keys() {
        let c = Config::default();
        assert!(c.archives && c.archives_in("atom.xml") && !c.archives_in("rss.xml"));
        assert_eq!(c.archive_page_size, DEFAULT_ARCHIVE_PAGE_SIZE);
        let c = Config::parse(
            "archive_formats = [\"json\", \"rss\"]\narchive_page_size = 7",
            Path::new("p.toml"),
        )
        .unwrap();
        assert!(
            c.archives_in("feed.json") && c.archives_in("rss.xml") && !c.archives_in("atom.xml")
        );
        assert_eq!(c.archive_page_size, 7);
        let c = Config::parse("archives = false", Path::new("p.toml")).unwrap();
        assert!(!c.archives_in("atom.xml"));
        for bad in [
            "archive_formats = [\"xml\"]",
            "archive_page_size = 0",
            "archive_page_size = 1001",
        ] {
            let e = Config::parse(bad, Path::new("p.toml")).unwrap_err();
            assert!(e.message.starts_with("archive_"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn bad_time_zone_is_an_error() {
        let e = Config::parse("time_zone = \"Mars/Olympus\"", Path::new("p.toml")).unwrap_err();
        assert!(e.message.contains("Mars/Olympus"));
    }
}
