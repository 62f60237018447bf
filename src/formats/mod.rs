//! Stage 5: the files a build writes, as bytes.
//!
//! Each emitted release is rendered once ([`Item`]) and serialised once per
//! format (each format's `item`/`entry` function); a feed is its head followed
//! by the fragments of its items, so a release that appears in the global, a
//! portfolio and a minister feed is rendered and serialised once, not three
//! times.
//!
//! Formats: RSS 2.0 ([`rss`]), Atom 1.0 ([`atom`]) and JSON Feed 1.1
//! ([`jsonfeed`]) for every feed; for people, an HTML page per feed and the
//! list of every feed ([`html`]); for feed readers, an OPML list of every
//! feed ([`opml`]).

pub mod atom;
pub mod html;
pub mod jsonfeed;
pub mod opml;
pub mod rss;

use chrono::{DateTime, FixedOffset};

use crate::config::Config;
use crate::group::{Feed, FeedKind, Name, Site};
use crate::render::Rendered;
use crate::validate::Release;

/// One file of output: a path relative to the output folder (always `/`
/// separated) and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// File names of each format inside a feed's folder.
pub const RSS_FILE: &str = "rss.xml";
pub const ATOM_FILE: &str = "atom.xml";
pub const JSON_FILE: &str = "feed.json";
/// A feed's page, and (in the output root) the list of every feed.
pub const PAGE_FILE: &str = "index.html";
/// Every feed as an OPML 2.0 subscription list, in the output root.
pub const OPML_FILE: &str = "feeds.opml";

/// The generator named in every feed.
pub const GENERATOR: &str = "pressfeed";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One release with everything a format needs to write it.
pub struct Item<'a> {
    /// Index of the release in [`Site::releases`].
    pub index: u32,
    pub release: &'a Release,
    pub ministers: Vec<&'a Name>,
    pub portfolios: Vec<&'a Name>,
    pub rendered: Rendered,
}

impl<'a> Item<'a> {
    pub fn new(site: &'a Site, index: u32, rendered: Rendered) -> Item<'a> {
        let i = index as usize;
        Item {
            index,
            release: &site.releases[i],
            ministers: site.release_ministers[i]
                .iter()
                .map(|&m| &site.ministers[m as usize])
                .collect(),
            portfolios: site.release_portfolios[i]
                .iter()
                .map(|&p| &site.portfolios[p as usize])
                .collect(),
            rendered,
        }
    }
}

/// Which pages show a release, so its page fragments are written only when
/// needed.
#[derive(Debug, Clone, Copy, Default)]
pub struct OnPages {
    /// The page of some portfolio or minister feed.
    pub feed: bool,
    /// The page in the output root (the global feed's).
    pub root: bool,
}

/// What every format says about a feed as a whole.
pub struct FeedInfo<'a> {
    pub feed: &'a Feed,
    pub title: String,
    pub description: String,
    /// The page a person reads the feed on.
    pub home_url: String,
    /// Folder of the feed's files relative to the output folder.
    pub dir: String,
    /// Date of the newest release, or the Unix epoch for an empty feed: never
    /// the clock, so rebuilding unchanged input gives identical bytes.
    pub updated: DateTime<FixedOffset>,
}

impl<'a> FeedInfo<'a> {
    pub fn new(site: &Site, feed: &'a Feed, config: &Config) -> FeedInfo<'a> {
        let (title, description) = match feed.kind {
            FeedKind::All => (config.title.clone(), config.description.clone()),
            FeedKind::Portfolio => (
                format!("{} — {}", feed.name, config.title),
                format!("Releases in the {} portfolio", feed.name),
            ),
            FeedKind::Minister => (
                format!("{} — {}", feed.name, config.title),
                format!("Releases from {}", feed.name),
            ),
        };
        let dir = feed.dir();
        FeedInfo {
            feed,
            title,
            description,
            home_url: config.output_url(&dir),
            updated: site.newest(feed).unwrap_or_default(),
            dir,
        }
    }

    /// The absolute URL of one of this feed's files.
    pub fn url(&self, config: &Config, file: &str) -> String {
        config.output_url(&format!("{}{}", self.dir, file))
    }
}

/// MIME type of an attachment, guessed from its extension.
pub fn attachment_type(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    let ext = path.rsplit('.').next().unwrap_or("");
    match ext {
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "csv" => "text/csv",
        "txt" => "text/plain",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// Inserts `items` (each preceded by a newline) before the last occurrence of
/// `closing` in `head`, a document serialised with no items.
pub(crate) fn splice<'s>(
    head: &str,
    closing: &str,
    items: impl Iterator<Item = &'s str>,
) -> Vec<u8> {
    let at = head.rfind(closing).unwrap_or(head.len());
    // The exact size up front: growing a feed's buffer by doubling would copy
    // its megabytes of items several times over.
    let items: Vec<&str> = items.collect();
    let size = head.len() + items.iter().map(|i| i.len() + 1).sum::<usize>() + 2;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&head.as_bytes()[..at]);
    for item in items {
        out.push(b'\n');
        out.extend_from_slice(item.as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(&head.as_bytes()[at..]);
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
}
