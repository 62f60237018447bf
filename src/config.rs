//! `pressfeed.toml`: what the feeds are called, where they are served from and
//! how names in the archive are cleaned up.
//!
//! Every key is optional; the built-in defaults publish the New Zealand
//! Government's beehive.govt.nz archive. An unknown key is an error that names
//! it, so a typo never silently falls back to a default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// The most bytes a build may write in all (`None`: no limit): every
    /// planned file counts, written or unchanged. A build that would pass it
    /// publishes nothing (see [`crate::delivery::budget`]).
    pub max_output_bytes: Option<u64>,
    /// A release that brings more names no other release has (each a feed
    /// of its own) is a warning naming it (`None`: never).
    pub max_new_names_per_seed: Option<usize>,
    pub author: String,
    /// Prefixes removed from minister names ("Hon", "Rt Hon"), longest first.
    pub honorifics: Vec<String>,
    /// Titles removed from the start of minister names ("Dr", "Sir"),
    /// after the honorifics; longest first.
    pub titles: Vec<String>,
    /// Post-nominal letters removed from the end of minister names ("KC",
    /// "ONZM"), matched as whole words in capitals.
    pub post_nominals: Vec<String>,
    /// The lists of names in the front matter that have feeds of their
    /// own: the built-in `portfolios` and `ministers`, then those declared
    /// under `[taxonomies.<key>]`, by key. Releases, grouping and every
    /// format index their terms in this order.
    pub taxonomies: Vec<Taxonomy>,
    /// The front matter keys of taxonomies switched off (`enabled = false`
    /// under `[taxonomies.<key>]`): no feed, page or list has them, and
    /// seeds may carry them without a warning.
    pub disabled: Vec<String>,
    /// WebSub hubs every subscription document declares and that are told
    /// of changed documents (see [`crate::delivery::websub`]).
    pub hubs: Vec<Hub>,
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
    /// The formats with archive documents, by name (`"atom"`), each once.
    /// The configuration does not know the formats: the output stage
    /// checks the names ([`crate::output::check_config`]).
    pub archive_formats: Vec<String>,
    /// Where the output folder is mirrored after each build (`[deploy]`;
    /// see [`crate::delivery::deploy`]).
    pub deploy: Option<Deploy>,
}

/// The `[deploy]` table: an object-store target for the output folder.
/// Credentials never come from here, only from each store's standard places
/// (for S3: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, web
/// identity, ECS and instance metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deploy {
    /// `s3://BUCKET/PREFIX/` as written (without a trailing slash added).
    pub target: String,
    pub bucket: String,
    /// The key prefix, empty or ending in `/`.
    pub prefix: String,
    /// An S3-compatible service's address (MinIO, R2, Ceph...).
    pub endpoint: Option<Url>,
    /// The region; without one, `AWS_REGION` (then `us-east-1`).
    pub region: Option<String>,
    /// `Cache-Control` of everything but full archive documents.
    pub cache_control: String,
    /// `Cache-Control` of full archive documents, which never change.
    pub archive_cache_control: String,
}

/// A WebSub hub: the address readers see, and the one pings go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hub {
    /// The hub's public URL, declared in every subscription document, in
    /// the `Link` headers and named in messages. Never carries credentials.
    pub url: Url,
    /// Where publish pings are posted: `publish_url` when configured apart,
    /// else the configured `url`. A `user:password@` in it is sent as HTTP
    /// basic authentication and never shown.
    pub publish_url: Url,
}

/// The most hubs a configuration may list: every build tells each of them,
/// so the time pinging takes grows with their number.
pub const MAX_HUBS: usize = 20;

/// A hub as configured: its URL, or a table with the public `url` and the
/// `publish_url` pings go to.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawHub {
    Url(String),
    Table(RawHubTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHubTable {
    url: String,
    publish_url: Option<String>,
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

/// A list of names in the front matter that has a feed per name (Zola and
/// Hugo call it a taxonomy): the built-in `ministers` and `portfolios`, or
/// one declared as `[taxonomies.<key>]`. Everything but `singular` and
/// `plural` has a default, and the built-ins are declared with those
/// defaults (see [`Taxonomy::builtin`]).
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// The front matter key (`regions`); also the anchor of its section on
    /// the list of every feed.
    pub key: String,
    /// One name of the list, in page wording and warnings ("region").
    pub singular: String,
    /// The list, in headings ("regions").
    pub plural: String,
    /// Folder of its feeds, relative to the output folder, ending in `/`
    /// (`regions/`); a name's feed is in `<folder><slug>/`.
    pub folder: String,
    /// What its names are to an entry: its categories or its authors.
    pub role: Role,
    /// Its names are people's: titles and post-nominal letters are removed
    /// from them, and `check` judges them as people's names.
    pub people: bool,
    /// Feed title: `{name}`, `{title}` and `{description}` are filled in.
    pub title: String,
    /// Feed description, filled in as `title`.
    pub description: String,
    /// Prefixes removed from its names, longest first (the top-level
    /// `honorifics` unless it has its own).
    pub honorifics: Vec<String>,
    /// Titles removed from people's names, longest first.
    pub titles: Vec<String>,
    /// Post-nominal letters removed from people's names.
    pub post_nominals: Vec<String>,
    pub rules: NameRules,
    /// Whether `check` looks for junk and likely duplicates among its names.
    pub check: bool,
    /// Where its rules are written in pressfeed.toml, for hints:
    /// `ministers`, or `taxonomies.regions`.
    pub section: String,
}

/// What a taxonomy's names are to the entries that carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Atom `category` (with the taxonomy's folder as `scheme`), RSS
    /// `category` (with it as `domain`), JSON Feed `tags`.
    Categories,
    /// Atom `author`, RSS `dc:creator`, JSON Feed `authors`, each linking to
    /// the name's feed.
    Authors,
}

impl Taxonomy {
    /// Whether `key` may name a taxonomy: lower-case ASCII letters, digits
    /// and `_`, starting with a letter, so it is a folder name and an HTML
    /// anchor as it is, and no anchor the list of every feed derives from
    /// another (`portfolios-d`, `portfolios-earlier`) can equal it.
    fn valid_key(key: &str) -> bool {
        key.len() <= MAX_TAXONOMY_KEY
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }

    /// The built-in declaration of `ministers` or `portfolios`; `None` for
    /// any other key.
    fn builtin(key: &str) -> Option<RawTaxonomy> {
        let (singular, role) = match key {
            "portfolios" => ("portfolio", Role::Categories),
            "ministers" => ("minister", Role::Authors),
            _ => return None,
        };
        Some(RawTaxonomy {
            singular: Some(singular.to_string()),
            plural: Some(key.to_string()),
            role: Some(role),
            ..RawTaxonomy::default()
        })
    }
}

/// `[taxonomies.<key>]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTaxonomy {
    enabled: Option<bool>,
    singular: Option<String>,
    plural: Option<String>,
    folder: Option<String>,
    role: Option<Role>,
    people: Option<bool>,
    title: Option<String>,
    description: Option<String>,
    honorifics: Option<Vec<String>>,
    titles: Option<Vec<String>>,
    post_nominals: Option<Vec<String>>,
    aliases: Option<BTreeMap<String, String>>,
    drop: Option<Vec<String>>,
    keep: Option<Vec<String>>,
    check: Option<bool>,
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
    max_output_bytes: Option<i64>,
    max_new_names_per_seed: Option<i64>,
    author: Option<String>,
    honorifics: Option<Vec<String>>,
    titles: Option<Vec<String>>,
    post_nominals: Option<Vec<String>>,
    #[serde(default)]
    hubs: Vec<RawHub>,
    icon: Option<String>,
    logo: Option<String>,
    archives: Option<bool>,
    archive_page_size: Option<i64>,
    archive_formats: Option<Vec<String>>,
    ministers: Option<NameRules>,
    portfolios: Option<NameRules>,
    #[serde(default)]
    taxonomies: BTreeMap<String, RawTaxonomy>,
    deploy: Option<RawDeploy>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeploy {
    target: String,
    endpoint: Option<String>,
    region: Option<String>,
    cache_control: Option<String>,
    archive_cache_control: Option<String>,
}

/// Subscription documents and pages: readers poll every few minutes at most.
pub const DEFAULT_CACHE_CONTROL: &str = "max-age=300";
/// A full archive document never changes (see [`crate::site::archive`]).
pub const DEFAULT_ARCHIVE_CACHE_CONTROL: &str = "max-age=31536000, immutable";

/// The built-in taxonomies, in the order of their sections and groups.
pub const BUILTIN_TAXONOMIES: &[&str] = &["portfolios", "ministers"];
/// Most taxonomies one configuration declares.
pub const MAX_TAXONOMIES: usize = 16;
/// Longest taxonomy key and folder, in bytes.
pub const MAX_TAXONOMY_KEY: usize = 40;
/// Front matter keys that are not lists of names.
pub const SCALAR_KEYS: &[&str] = &["title", "date", "url", "updated", "attachments"];
/// Folders of the output folder's own files, which no taxonomy may use.
const RESERVED_FOLDERS: &[&str] = &["archive", "history"];

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
/// 20 GiB: a hundred times the whole real archive's output, far from what
/// any real build writes, and well before a runaway one fills a disk.
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 20 << 30;
/// A release naming more than this many ministers, portfolios... that no
/// other release names is a warning: each is a feed of about seven files.
pub const DEFAULT_MAX_NEW_NAMES_PER_SEED: usize = 20;
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

/// Where a run looks for its configuration when none is named (by `--config`
/// or `PRESSFEED_CONFIG`), in order: the working folder's, then the system's
/// (where the Debian package installs a sample).
pub const SEARCH_PATH: &[&str] = &["pressfeed.toml", "/etc/pressfeed/pressfeed.toml"];

/// The first of `candidates` that exists (or cannot be told not to: a file
/// that exists but cannot be read is reported by [`Config::load`], not passed
/// over), or the first of them when none does, which [`Config::load`] then
/// reads as the built-in defaults.
pub fn search<P: AsRef<Path>>(candidates: &[P]) -> PathBuf {
    candidates
        .iter()
        .map(AsRef::as_ref)
        .find(|p| !matches!(p.try_exists(), Ok(false)))
        .or_else(|| candidates.first().map(AsRef::as_ref))
        .unwrap_or(Path::new("pressfeed.toml"))
        .to_path_buf()
}

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
                        "name an existing file with --config or PRESSFEED_CONFIG, or neither to use ./pressfeed.toml, /etc/pressfeed/pressfeed.toml or the defaults",
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
        let max_output_bytes = match raw.max_output_bytes {
            None => Some(DEFAULT_MAX_OUTPUT_BYTES),
            Some(0) => None,
            Some(n) if n > 0 => Some(n as u64),
            Some(n) => {
                return Err(bad(
                    format!("max_output_bytes: {n} is negative"),
                    &format!(
                        "use a number of bytes (the default is {DEFAULT_MAX_OUTPUT_BYTES}, 20 GiB), or 0 for no limit"
                    ),
                ));
            }
        };
        let max_new_names_per_seed = match raw.max_new_names_per_seed {
            None => Some(DEFAULT_MAX_NEW_NAMES_PER_SEED),
            Some(0) => None,
            Some(n) if n > 0 => Some(n as usize),
            Some(n) => {
                return Err(bad(
                    format!("max_new_names_per_seed: {n} is negative"),
                    &format!(
                        "use a number of names (the default is {DEFAULT_MAX_NEW_NAMES_PER_SEED}), or 0 for no warning"
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
        let mut archive_formats: Vec<String> = Vec::new();
        for name in raw.archive_formats.unwrap_or_else(|| {
            DEFAULT_ARCHIVE_FORMATS
                .iter()
                .map(|s| s.to_string())
                .collect()
        }) {
            if !archive_formats.contains(&name) {
                archive_formats.push(name);
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
        if raw.hubs.len() > MAX_HUBS {
            return Err(bad(
                format!("hubs: {} hubs listed, more than {MAX_HUBS}", raw.hubs.len()),
                "list the few WebSub hubs your readers use: every build tells each of them",
            ));
        }
        let hubs = raw
            .hubs
            .iter()
            .map(parse_hub)
            .collect::<Result<Vec<Hub>, String>>()
            .map_err(|e| {
                bad(
                    format!("hubs: {e}"),
                    "list each WebSub hub's publish address, such as \"https://pubsubhubbub.appspot.com/\", or a table { url = \"...\", publish_url = \"...\" } when pings go elsewhere",
                )
            })?;
        let titles = words(raw.titles, DEFAULT_TITLES);
        let post_nominals = post_nominal_words(words(raw.post_nominals, DEFAULT_POST_NOMINALS));
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
        let deploy = raw
            .deploy
            .map(|d| parse_deploy(d).map_err(|(message, hint)| bad(message, hint)))
            .transpose()?;
        let legacy = [("ministers", raw.ministers), ("portfolios", raw.portfolios)];
        let (taxonomies, disabled) = taxonomies(
            raw.taxonomies,
            legacy,
            &Lists {
                honorifics: &honorifics,
                titles: &titles,
                post_nominals: &post_nominals,
            },
        )
        .map_err(|(message, hint)| bad(message, &hint))?;
        Ok(Config {
            deploy,
            taxonomies,
            disabled,
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
            max_output_bytes,
            max_new_names_per_seed,
            author: raw.author.unwrap_or_else(|| DEFAULT_AUTHOR.to_string()),
            honorifics,
            titles,
            post_nominals,
        })
    }

    /// Whether `key` is the front matter key of a taxonomy switched off.
    pub fn is_disabled(&self, key: &str) -> bool {
        self.disabled.iter().any(|k| k == key)
    }

    /// The taxonomy whose front matter key is `key`, and its place in
    /// [`Config::taxonomies`].
    pub fn taxonomy(&self, key: &str) -> Option<(usize, &Taxonomy)> {
        self.taxonomies
            .iter()
            .enumerate()
            .find(|(_, t)| t.key == key)
    }

    /// The absolute URL of a file in the output folder.
    pub fn output_url(&self, rel: &str) -> String {
        format!("{}{}", self.base_url, rel)
    }
}

/// Whitespace collapsed, empty entries left out, longest first, each once.
fn words(list: Option<Vec<String>>, default: &[&str]) -> Vec<String> {
    let mut list: Vec<String> = list
        .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
        .into_iter()
        .map(|h| h.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|h| !h.is_empty())
        .collect();
    list.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    list.dedup();
    list
}

/// Post-nominal letters as they are matched: without dots and spaces.
fn post_nominal_words(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(|p| p.replace(['.', ' '], ""))
        .collect()
}

/// The top-level name lists, which every taxonomy has unless it names its
/// own.
struct Lists<'a> {
    honorifics: &'a [String],
    titles: &'a [String],
    post_nominals: &'a [String],
}

/// The built-in taxonomies (with their rules from the `[ministers]` and
/// `[portfolios]` sections, or from `[taxonomies.ministers]`...), then the
/// declared ones by key; and the keys of those switched off (`enabled =
/// false`). Errors are a message and a hint.
fn taxonomies(
    declared: BTreeMap<String, RawTaxonomy>,
    legacy: [(&str, Option<NameRules>); 2],
    lists: &Lists<'_>,
) -> Result<(Vec<Taxonomy>, Vec<String>), (String, String)> {
    if declared.len() > MAX_TAXONOMIES {
        return Err((
            format!("taxonomies: {} are declared", declared.len()),
            format!("declare at most {MAX_TAXONOMIES} taxonomies"),
        ));
    }
    let mut declared = declared;
    let mut out: Vec<Taxonomy> = Vec::new();
    let mut disabled: Vec<String> = Vec::new();
    let builtins = BUILTIN_TAXONOMIES.iter().map(|k| k.to_string());
    let others: Vec<String> = declared
        .keys()
        .filter(|k| !BUILTIN_TAXONOMIES.contains(&k.as_str()))
        .cloned()
        .collect();
    for key in builtins.chain(others) {
        let own = declared.remove(&key);
        let rules = legacy
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, r)| r.clone());
        if own.as_ref().and_then(|t| t.enabled) == Some(false) {
            if rules.is_some() {
                return Err((
                    format!("[{key}] gives rules for {key}, which [taxonomies.{key}] switches off"),
                    format!("remove [{key}], or `enabled = false` from [taxonomies.{key}]"),
                ));
            }
            // Its key is still checked: it is a front matter key.
            taxonomy_key(&key)?;
            disabled.push(key);
            continue;
        }
        if rules.is_some() && own.is_some() {
            return Err((
                format!("[{key}] and [taxonomies.{key}] both give rules for {key}"),
                format!("move the keys of [{key}] into [taxonomies.{key}]"),
            ));
        }
        let section = match (&own, Taxonomy::builtin(&key)) {
            (None, Some(_)) => key.clone(),
            _ => format!("taxonomies.{key}"),
        };
        let raw = match (own, Taxonomy::builtin(&key)) {
            (Some(own), Some(builtin)) => RawTaxonomy {
                singular: own.singular.or(builtin.singular),
                plural: own.plural.or(builtin.plural),
                role: own.role.or(builtin.role),
                ..own
            },
            (Some(own), None) => own,
            (None, Some(builtin)) => {
                let rules = rules.unwrap_or_default();
                RawTaxonomy {
                    aliases: Some(rules.aliases),
                    drop: Some(rules.drop),
                    keep: Some(rules.keep),
                    ..builtin
                }
            }
            (None, None) => unreachable!("every key is built in or declared"),
        };
        let taxonomy = taxonomy(key, section, raw, lists)?;
        if let Some(other) = out.iter().find(|t| t.folder == taxonomy.folder) {
            return Err((
                format!(
                    "taxonomies.{}: folder {:?} is also the folder of {}",
                    taxonomy.key, taxonomy.folder, other.key
                ),
                "give each taxonomy a folder of its own".to_string(),
            ));
        }
        out.push(taxonomy);
    }
    Ok((out, disabled))
}

/// Checks that `key` may name a taxonomy.
fn taxonomy_key(key: &str) -> Result<(), (String, String)> {
    if !Taxonomy::valid_key(key) {
        return Err((
            format!("taxonomies: {key:?} cannot name a taxonomy"),
            format!(
                "name it by its front matter key, in lower-case letters, digits and `_`, starting with a letter, at most {MAX_TAXONOMY_KEY} bytes (such as \"regions\")"
            ),
        ));
    }
    if SCALAR_KEYS.contains(&key) {
        return Err((
            format!("taxonomies.{key}: `{key}` is not a list of names"),
            format!("pressfeed reads `{key}` itself; declare a taxonomy by another key"),
        ));
    }
    Ok(())
}

/// One taxonomy, its defaults filled in.
fn taxonomy(
    key: String,
    section: String,
    raw: RawTaxonomy,
    lists: &Lists<'_>,
) -> Result<Taxonomy, (String, String)> {
    taxonomy_key(&key)?;
    let text = |field: &str, value: Option<String>| -> Result<String, (String, String)> {
        let value = value.map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "));
        match value {
            Some(v) if !v.is_empty() && v.len() <= 200 => Ok(v),
            _ => Err((
                format!("taxonomies.{key}: `{field}` is missing or empty"),
                format!(
                    "declare it with the words for one name and for the list, such as:\n[taxonomies.{key}]\nsingular = \"region\"\nplural = \"regions\""
                ),
            )),
        }
    };
    let singular = text("singular", raw.singular)?;
    let plural = text("plural", raw.plural)?;
    let folder = raw.folder.unwrap_or_else(|| key.clone());
    let folder = folder.trim_end_matches('/');
    let folder_ok = !folder.is_empty()
        && folder.len() <= MAX_TAXONOMY_KEY
        && folder
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && !folder.starts_with('-')
        && !RESERVED_FOLDERS.contains(&folder);
    if !folder_ok {
        return Err((
            format!("taxonomies.{key}: folder {folder:?} cannot hold its feeds"),
            format!(
                "use one folder name of lower-case letters, digits, `_` and `-`, other than {}",
                RESERVED_FOLDERS.join(" and ")
            ),
        ));
    }
    let role = raw.role.unwrap_or(Role::Categories);
    let people = raw.people.unwrap_or(role == Role::Authors);
    let description = raw.description.unwrap_or_else(|| match role {
        Role::Authors => "Releases from {name}".to_string(),
        Role::Categories => format!("Releases in the {{name}} {singular}"),
    });
    let or_top = |own: Option<Vec<String>>, top: &[String]| match own {
        Some(own) => words(Some(own), &[]),
        None => top.to_vec(),
    };
    Ok(Taxonomy {
        folder: format!("{folder}/"),
        title: raw.title.unwrap_or_else(|| "{name} — {title}".to_string()),
        description,
        honorifics: or_top(raw.honorifics, lists.honorifics),
        titles: or_top(raw.titles, lists.titles),
        post_nominals: match raw.post_nominals {
            Some(own) => post_nominal_words(words(Some(own), &[])),
            None => lists.post_nominals.to_vec(),
        },
        rules: NameRules {
            aliases: raw.aliases.unwrap_or_default(),
            drop: raw.drop.unwrap_or_default(),
            keep: raw.keep.unwrap_or_default(),
        },
        check: raw.check.unwrap_or(true),
        role,
        people,
        singular,
        plural,
        section,
        key,
    })
}

/// A configured hub, checked; credentials are never part of its public URL
/// nor of any message.
fn parse_hub(raw: &RawHub) -> Result<Hub, String> {
    let one = |s: &str| -> Result<Url, String> {
        let url =
            Url::parse(s.trim()).map_err(|e| format!("{:?} is not a URL ({e})", redact(s)))?;
        let shown = without_credentials(&url);
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(format!("{shown} has scheme {other:?}, not http or https")),
        }
        match url.fragment() {
            None => Ok(url),
            Some(_) => Err(format!("{shown} has a #fragment")),
        }
    };
    let (url, publish_url) = match raw {
        RawHub::Url(s) => {
            let url = one(s)?;
            (without_credentials(&url), url)
        }
        RawHub::Table(t) => {
            let url = one(&t.url)?;
            let publish_url = t.publish_url.as_deref().map(one).transpose()?;
            (without_credentials(&url), publish_url.unwrap_or(url))
        }
    };
    Ok(Hub { url, publish_url })
}

/// `url` without `user:password@`.
pub fn without_credentials(url: &Url) -> Url {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// A string that failed to parse as a URL, with anything between `//` and
/// `@` hidden: it may be a password.
fn redact(s: &str) -> String {
    match (s.find("//"), s.rfind('@')) {
        (Some(start), Some(at)) if at > start => format!("{}//…{}", &s[..start], &s[at..]),
        _ => s.to_string(),
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

/// Checks the `[deploy]` table; an error is a message and a hint.
fn parse_deploy(raw: RawDeploy) -> Result<Deploy, (String, &'static str)> {
    const TARGET_HINT: &str = "write target = \"s3://BUCKET/PREFIX/\"; credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a role), never from pressfeed.toml";
    let target = raw.target.trim().to_string();
    let url = Url::parse(&target).map_err(|e| {
        (
            format!("deploy.target: {target:?} is not a URL ({e})"),
            TARGET_HINT,
        )
    })?;
    if url.scheme() != "s3" {
        return Err((
            format!(
                "deploy.target: {target:?} has scheme {:?}; pressfeed deploys to s3:// (AWS S3 and S3-compatible services)",
                url.scheme()
            ),
            "for R2, MinIO, Ceph or GCS's XML API, write an s3:// target and set deploy.endpoint",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err((
            "deploy.target: credentials do not belong in pressfeed.toml".to_string(),
            "remove them from the URL and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment of the run",
        ));
    }
    let bucket = url.host_str().unwrap_or_default().to_string();
    if bucket.is_empty() || url.query().is_some() || url.fragment().is_some() {
        return Err((
            format!("deploy.target: {target:?} needs a bucket name and no query or fragment"),
            TARGET_HINT,
        ));
    }
    let segments: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
    // As written: URL parsing would resolve `..` away.
    let written = target.split('/').skip(3);
    let plain = |s: &str| {
        s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    if !written.chain(segments.iter().copied()).all(plain) {
        return Err((
            format!(
                "deploy.target: the prefix of {target:?} has a `.` or `..` folder, or characters other than letters, digits, `-`, `_` and `.`"
            ),
            TARGET_HINT,
        ));
    }
    let prefix = segments.iter().map(|s| format!("{s}/")).collect();
    let endpoint = raw
        .endpoint
        .map(|e| {
            parse_http_url(&e)
                .and_then(|u| match (u.username(), u.password(), u.query()) {
                    ("", None, None) => Ok(u),
                    _ => Err(format!("{e:?} has credentials or a query")),
                })
                .map_err(|m| {
                    (
                        format!("deploy.endpoint: {m}"),
                        "give the service's address, such as \"https://ACCOUNT.r2.cloudflarestorage.com\" or \"http://127.0.0.1:9000\"",
                    )
                })
        })
        .transpose()?;
    // Header values go into requests as they are: visible ASCII and spaces.
    let header = |key: &str, value: Option<String>, default: &str| {
        let value = value.unwrap_or_else(|| default.to_string());
        match !value.trim().is_empty() && value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            true => Ok(value.trim().to_string()),
            false => Err((
                format!("deploy.{key}: {value:?} is not a header value"),
                "write a Cache-Control value such as \"max-age=300\" (printable ASCII)",
            )),
        }
    };
    let region = match raw.region {
        Some(r) if r.is_empty() || !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
            return Err((
                format!("deploy.region: {r:?} is not a region name"),
                "write a region such as \"ap-southeast-2\" (\"auto\" for R2), or leave it out to use AWS_REGION",
            ));
        }
        r => r,
    };
    Ok(Deploy {
        target,
        bucket,
        prefix,
        endpoint,
        region,
        cache_control: header("cache_control", raw.cache_control, DEFAULT_CACHE_CONTROL)?,
        archive_cache_control: header(
            "archive_cache_control",
            raw.archive_cache_control,
            DEFAULT_ARCHIVE_CACHE_CONTROL,
        )?,
    })
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
    fn search_takes_the_first_that_exists_else_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        std::fs::write(&b, "").unwrap();
        std::fs::write(&c, "").unwrap();
        assert_eq!(search(&[&a, &b, &c]), b);
        assert_eq!(search(&[&a]), a);
        // A folder where the file should be is reported, not passed over.
        std::fs::create_dir(&a).unwrap();
        assert_eq!(search(&[&a, &b]), a);
    }

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
        assert!(c.archives && c.archive_formats == ["atom"]);
        assert_eq!(c.archive_page_size, DEFAULT_ARCHIVE_PAGE_SIZE);
        let c = Config::parse(
            "archive_formats = [\"json\", \"rss\", \"json\"]\narchive_page_size = 7",
            Path::new("p.toml"),
        )
        .unwrap();
        assert_eq!(c.archive_formats, ["json", "rss"]);
        assert_eq!(c.archive_page_size, 7);
        for bad in ["archive_page_size = 0", "archive_page_size = 1001"] {
            let e = Config::parse(bad, Path::new("p.toml")).unwrap_err();
            assert!(e.message.starts_with("archive_"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn hubs_keep_credentials_for_pings_only() {
        let c = Config::parse(
            "hubs = [\"https://user:S3cr3t@hub.example/publish\", { url = \"https://hub.example/\", publish_url = \"https://u:p@api.example/ping\" }]",
            Path::new("p.toml"),
        )
        .unwrap();
        assert_eq!(c.hubs[0].url.as_str(), "https://hub.example/publish");
        assert_eq!(
            c.hubs[0].publish_url.as_str(),
            "https://user:S3cr3t@hub.example/publish"
        );
        assert_eq!(c.hubs[1].url.as_str(), "https://hub.example/");
        assert_eq!(
            c.hubs[1].publish_url.as_str(),
            "https://u:p@api.example/ping"
        );
        // Messages never show a password.
        for bad in [
            "hubs = [\"ftp://user:S3cr3t@hub.example/\"]",
            "hubs = [\"https://user:S3cr3t@hub.example:99999/\"]",
            "hubs = [{ url = \"https://hub.example/\", publish_url = \"https://user:S3cr3t@hub.example/#x\" }]",
        ] {
            let e = Config::parse(bad, Path::new("p.toml")).unwrap_err();
            assert!(e.message.starts_with("hubs:"), "{bad}: {e}");
            assert!(!e.to_string().contains("S3cr3t"), "{bad}: {e}");
        }
    }

    #[test]
    fn deploy_table() {
        assert_eq!(Config::default().deploy, None);
        let c = Config::parse(
            "[deploy]\ntarget = \"s3://news-bucket/feeds/nz\"\nendpoint = \"http://127.0.0.1:9000\"\n",
            Path::new("p.toml"),
        )
        .unwrap();
        let d = c.deploy.unwrap();
        assert_eq!(
            (d.bucket.as_str(), d.prefix.as_str()),
            ("news-bucket", "feeds/nz/")
        );
        assert_eq!(d.cache_control, DEFAULT_CACHE_CONTROL);
        let d = Config::parse("[deploy]\ntarget = \"s3://b\"", Path::new("p.toml"))
            .unwrap()
            .deploy
            .unwrap();
        assert_eq!(d.prefix, "");
        for bad in [
            "[deploy]\ntarget = \"gs://b/p/\"",
            "[deploy]\ntarget = \"s3://key:secret@b/p/\"",
            "[deploy]\ntarget = \"s3://b/../p/\"",
            "[deploy]\ntarget = \"s3://b/my feeds/\"",
            "[deploy]\ntarget = \"s3://b/p/\"\ncache_control = \"max-age=1\\r\\nX: y\"",
            "[deploy]\ntarget = \"s3://b/p/\"\naccess_key = \"k\"",
        ] {
            let e = Config::parse(bad, Path::new("p.toml")).unwrap_err();
            assert!(
                e.message.contains("deploy") || e.message.contains("access_key"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn bad_time_zone_is_an_error() {
        let e = Config::parse("time_zone = \"Mars/Olympus\"", Path::new("p.toml")).unwrap_err();
        assert!(e.message.contains("Mars/Olympus"));
    }
}
