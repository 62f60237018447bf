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

/// Text as the pieces it is made of: its own text and pieces borrowed from
/// wherever they are kept. An item's fragment borrows the item's HTML where
/// the format takes it as it is (RSS); a feed file is its own head and tail
/// around the pieces of its items' fragments. Publishing writes the pieces
/// with vectored writes, so the megabytes of HTML are never copied into a
/// buffer of their own.
#[derive(Debug, Default)]
pub struct Document<'s> {
    text: String,
    pieces: Vec<Piece<'s>>,
}

#[derive(Debug)]
enum Piece<'s> {
    /// A range of the document's own text.
    Own(std::ops::Range<usize>),
    Borrowed(&'s str),
}

impl<'s> Document<'s> {
    /// A document whose own text is `text`; pieces are added in order.
    fn new(text: String, pieces: usize) -> Document<'s> {
        Document {
            text,
            pieces: Vec::with_capacity(pieces),
        }
    }

    /// A document of one piece, `text`.
    pub fn owned(text: String) -> Document<'s> {
        let mut doc = Document::new(text, 1);
        doc.own(0..doc.text.len());
        doc
    }

    /// Appends every piece of `other`, borrowed.
    fn borrow_all(&mut self, other: &'s Document<'_>) {
        self.pieces.extend(other.strs().map(Piece::Borrowed));
    }

    /// The pieces, in order, as text.
    fn strs(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().map(|p| match p {
            Piece::Own(r) => &self.text[r.clone()],
            Piece::Borrowed(s) => *s,
        })
    }

    /// Appends `range` of the document's own text.
    fn own(&mut self, range: std::ops::Range<usize>) {
        if !range.is_empty() {
            self.pieces.push(Piece::Own(range));
        }
    }

    /// Appends a borrowed piece.
    fn borrowed(&mut self, piece: &'s str) {
        if !piece.is_empty() {
            self.pieces.push(Piece::Borrowed(piece));
        }
    }

    /// Appends `text` to the document's own text, as the next piece.
    fn push_own(&mut self, text: &str) {
        let start = self.text.len();
        self.text.push_str(text);
        self.own(start..self.text.len());
    }

    /// The pieces, in order.
    pub fn slices(&self) -> Vec<&[u8]> {
        self.strs().map(str::as_bytes).collect()
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.strs().map(str::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole document in one buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.slices().concat()
    }
}

/// Inserts `items` (each preceded by a newline) before the last occurrence of
/// `closing` in `head`, a document serialised with no items.
pub(crate) fn splice<'s>(
    head: String,
    closing: &str,
    items: impl Iterator<Item = &'s Document<'s>>,
) -> Document<'s> {
    let at = head.rfind(closing).unwrap_or(head.len());
    let end = head.len();
    // The document ends with a newline.
    let newline_at_end = at < end && !head.ends_with('\n');
    let mut doc = Document::new(head, 2 * items.size_hint().0 + 4);
    doc.own(0..at);
    for item in items {
        doc.push_own("\n");
        doc.borrow_all(item);
    }
    doc.push_own("\n");
    doc.own(at..end);
    if newline_at_end {
        doc.push_own("\n");
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces of a spliced document make the head with each item on a
    /// line of its own before the closing tag, ending with a newline.
    #[test]
    fn splice_puts_items_before_the_closing_tag() {
        let items = [
            Document::owned("<i/>".into()),
            Document::owned("<j/>".into()),
        ];
        let doc = splice("<a>\n</a>\n".to_string(), "</a>", items.iter());
        assert_eq!(doc.to_bytes(), b"<a>\n\n<i/>\n<j/>\n</a>\n");
        assert_eq!(doc.len(), doc.to_bytes().len());
        let doc = splice("<a></a>".to_string(), "</a>", std::iter::empty());
        assert_eq!(doc.to_bytes(), b"<a>\n</a>\n");
        // Without the closing tag, the items go at the end.
        let doc = splice("<a>".to_string(), "</a>", items[..1].iter());
        assert_eq!(doc.to_bytes(), b"<a>\n<i/>\n");
        assert!(!doc.is_empty());
        assert!(Document::owned(String::new()).is_empty());
    }
}
