//! Stage 5: the files a build writes, as bytes.
//!
//! A feed format is a type implementing [`FeedFormat`]: what its files are
//! called and served as ([`FormatInfo`]), how to write one item, and how to
//! write a document around the items it carries. [`FEED_FORMATS`] is the one
//! list of formats: the writer, the progress count, the pages' subscribe and
//! autodiscovery links and the OPML list all iterate it, so a new format is
//! a file in this folder and a line in that list (the README's Development
//! section walks through one).
//!
//! Each emitted release is rendered once ([`Item`]) and written once per
//! format; every document that carries it takes that fragment as it is, so
//! a release in the global, a portfolio and a minister feed is rendered and
//! serialised once, not three times. Which documents there are and which
//! items each carries is decided before anything is written
//! ([`crate::site::plan`]).
//!
//! Formats: RSS 2.0 ([`rss`]), Atom 1.0 ([`atom`]) and JSON Feed 1.1
//! ([`jsonfeed`]) for every feed; for people, an HTML page per feed and the
//! list of every feed ([`html`]); for feed readers, an OPML list of every
//! feed ([`opml`]). XML is written with quick-xml's writer ([`xml`]), JSON
//! with serde_json.

pub mod atom;
pub mod html;
pub mod jsonfeed;
pub mod opml;
pub mod rss;
pub mod xml;

use std::cell::RefCell;

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

use crate::config::{Config, Role, Taxonomy};
use crate::delivery::publish::PublishError;
use crate::input::validate::Release;
use crate::render::Rendered;
use crate::site::group::{Feed, Name, Site};
use crate::site::plan::{DocumentPlan, Link, Plan};

/// Every feed format, in the order pages and lists show them. The first is
/// the one the OPML list subscribes to.
pub static FEED_FORMATS: &[&dyn Format] = &[&rss::Rss, &atom::Atom, &jsonfeed::JsonFeed];

/// A feed's page, and (in the output root) the list of every feed.
pub const PAGE_FILE: &str = "index.html";
/// Every feed as an OPML 2.0 subscription list, in the output root.
pub const OPML_FILE: &str = "feeds.opml";

/// The generator named in every feed.
pub const GENERATOR: &str = "pressfeed";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What pages and lists say about a format.
#[derive(Debug)]
pub struct FormatInfo {
    /// File name in each feed's folder (`rss.xml`).
    pub file: &'static str,
    /// Media type, for autodiscovery links and `type` attributes.
    pub media_type: &'static str,
    /// Its name for people, in autodiscovery titles and subscribe lists
    /// ("JSON Feed").
    pub label: &'static str,
    /// A shorter name, for the lists' columns of links ("JSON").
    pub short_label: &'static str,
    /// The OPML `version` attribute of an outline subscribing to it.
    pub opml_version: &'static str,
}

/// A feed format: how to write an item, and a document around items.
pub trait FeedFormat: Sync {
    const INFO: FormatInfo;
    /// One item as this format writes it, made once and put into every
    /// document that carries the item.
    type Fragment: Send + Sync;

    fn item(&self, item: &Item<'_>, config: &Config) -> Self::Fragment;

    /// One item as an archive document carries it: its summary and a link
    /// to the full release (`item` has the summary, no body). A format may
    /// leave out what would only repeat the summary.
    fn archive_item(&self, item: &Item<'_>, config: &Config) -> Self::Fragment {
        self.item(&item.shortened(), config)
    }

    /// Size in bytes of a fragment, as [`FeedFormat::document`] writes it.
    fn size(fragment: &Self::Fragment) -> usize;

    /// Gives back a fragment's spare capacity (kept for the whole format's
    /// writing, for every release of the archive).
    fn shrink(_fragment: &mut Self::Fragment) {}

    /// Appends to `out` the whole document `head` describes, around `items`
    /// (newest first).
    fn document(&self, head: &Head<'_>, items: &[&Self::Fragment], out: &mut Vec<u8>);
}

/// What the writer knows of a format: the object-safe side of
/// [`FeedFormat`], which every format has through the impl below.
pub trait Format: Sync {
    fn info(&self) -> &'static FormatInfo;

    /// Writes every document of `plan` in this format, giving each file to
    /// `put` as soon as it is made. The format's fragments of `items` (one
    /// per [`Plan::carried`] release) are made first, in parallel, and
    /// dropped at the end, so one format's fragments are in memory at once.
    fn write_documents(
        &self,
        plan: &Plan<'_>,
        items: &[Item<'_>],
        archived: &[Item<'_>],
        put: &Put<'_>,
    ) -> Result<Fitted, PublishError>;
}

/// Room in a document for its head and tail, and between items: an item
/// bigger than the budget less this is carried as its summary.
const HEAD_ALLOWANCE: usize = 16 << 10;
/// Room around each item (separators, indentation).
const ITEM_ALLOWANCE: usize = 16;

/// What keeping documents within [`Config::max_document_bytes`] took, in
/// one format.
#[derive(Debug, Default)]
pub struct Fitted {
    /// Items (positions in [`Plan::carried`]) carried as their summary and
    /// a link, since their whole body would not fit in a document.
    pub shortened: Vec<u32>,
    /// Documents that carry fewer items than planned: path, items carried,
    /// items planned.
    pub trimmed: Vec<(String, usize, usize)>,
}

/// Publishes one file: its path relative to the output folder and its bytes.
pub type Put<'a> = dyn Fn(&str, &[u8]) -> Result<(), PublishError> + Sync + 'a;

impl<F: FeedFormat> Format for F {
    fn info(&self) -> &'static FormatInfo {
        &Self::INFO
    }

    fn write_documents(
        &self,
        plan: &Plan<'_>,
        items: &[Item<'_>],
        archived: &[Item<'_>],
        put: &Put<'_>,
    ) -> Result<Fitted, PublishError> {
        let config = plan.config;
        let budget = config.max_document_bytes;
        let item_budget = budget.map(|b| b.saturating_sub(HEAD_ALLOWANCE));
        // An item too big for any document is carried as its summary.
        let (fragments, shortened): (Vec<F::Fragment>, Vec<bool>) = items
            .par_iter()
            .map(|item| {
                let whole = self.item(item, config);
                match item_budget {
                    Some(room) if F::size(&whole) > room => {
                        (self.item(&item.shortened(), config), true)
                    }
                    _ => (whole, false),
                }
            })
            .unzip();
        // Subscription documents first, then archive documents, each from
        // its own fragments, so only one set is in memory at a time.
        let mut trimmed = write_set(self, plan, false, &fragments, put)?;
        drop(fragments);
        if !archived.is_empty() && config.archives_in(F::INFO.file) {
            // Archive documents carry summaries (see [`crate::site::archive`]):
            // the items hold the summary, the short body is made here.
            let archived: Vec<F::Fragment> = archived
                .par_iter()
                .map(|item| {
                    let mut fragment = self.archive_item(item, config);
                    F::shrink(&mut fragment);
                    fragment
                })
                .collect();
            trimmed.extend(write_set(self, plan, true, &archived, put)?);
        }
        Ok(Fitted {
            trimmed,
            shortened: (0u32..)
                .zip(shortened)
                .filter_map(|(n, short)| short.then_some(n))
                .collect(),
        })
    }
}

/// Writes the documents of `plan` that are archive documents (or are not,
/// by `archive`) in format `F`, from `fragments` (indexed by their
/// entries), each within the size budget; returns those trimmed to fit.
fn write_set<F: FeedFormat>(
    format: &F,
    plan: &Plan<'_>,
    archive: bool,
    fragments: &[F::Fragment],
    put: &Put<'_>,
) -> Result<Vec<(String, usize, usize)>, PublishError> {
    let budget = plan.config.max_document_bytes;
    let trimmed = plan
        .documents
        .par_iter()
        .filter(|doc| doc.archive == archive)
        .map(|doc| {
            let head = Head::new(plan, doc, F::INFO.file);
            let mut entries: Vec<&F::Fragment> = doc
                .entries
                .iter()
                .map(|&e| &fragments[e as usize])
                .collect();
            // One buffer per thread, reused for every document it writes:
            // no buffer grows by doubling, no fresh pages per document.
            thread_local! {
                static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
            }
            OUT.with_borrow_mut(|out| {
                out.clear();
                if let Some(budget) = budget {
                    // The newest items that fit, and always the newest.
                    format.document(&head, &[], out);
                    let mut size = out.len();
                    out.clear();
                    let fit = entries
                        .iter()
                        .take_while(|e| {
                            size += F::size(e) + ITEM_ALLOWANCE;
                            size <= budget
                        })
                        .count();
                    entries.truncate(fit.max(1));
                }
                format.document(&head, &entries, out);
                let path = doc.path(F::INFO.file);
                let written = put(&path, out);
                // Do not keep a buffer the size of one huge document.
                if out.capacity() > 16 << 20 {
                    *out = Vec::new();
                }
                written.map(|()| {
                    (entries.len() < doc.entries.len()).then_some((
                        path,
                        entries.len(),
                        doc.entries.len(),
                    ))
                })
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(trimmed.into_iter().flatten().collect())
}

/// What every format writes in a document's head.
pub struct Head<'a> {
    pub info: &'a FeedInfo<'a>,
    /// The document's own address (the `self` link, the feed id).
    pub self_url: String,
    /// More links the plan gives the document, after `self`.
    pub links: &'a [Link],
    pub config: &'a Config,
    /// An archive document (RFC 5005 `fh:archive`).
    pub archive: bool,
    /// The document's `updated` date: the feed's newest release, or an
    /// archive document's own newest.
    pub updated: DateTime<FixedOffset>,
}

/// The namespace of RFC 5005's `fh:archive`.
pub const HISTORY_NAMESPACE: &str = "http://purl.org/syndication/history/1.0";

impl<'a> Head<'a> {
    fn new(plan: &'a Plan<'a>, doc: &'a DocumentPlan, file: &str) -> Head<'a> {
        let info = &plan.feeds[doc.feed];
        // A format without archive documents does not link to them (the
        // plan puts a subscription document's `prev-archive` first).
        let links = match doc.links.first() {
            Some(l) if l.rel == "prev-archive" && !plan.config.archives_in(file) => &doc.links[1..],
            _ => &doc.links[..],
        };
        Head {
            info,
            self_url: plan.config.output_url(&doc.path(file)),
            links,
            config: plan.config,
            archive: doc.archive,
            updated: doc.updated.unwrap_or(info.updated),
        }
    }

    /// A subscription document's head: no links, the feed's date.
    pub fn plain(info: &'a FeedInfo<'a>, self_url: String, config: &'a Config) -> Head<'a> {
        Head {
            info,
            self_url,
            links: &[],
            config,
            archive: false,
            updated: info.updated,
        }
    }
}

/// One release with everything a format needs to write it.
pub struct Item<'a> {
    /// Index of the release in [`Site::releases`].
    pub index: u32,
    pub release: &'a Release,
    /// Its names in each taxonomy, by the taxonomy's place in
    /// [`Config::taxonomies`].
    pub terms: Vec<Vec<&'a Name>>,
    pub rendered: Rendered,
}

impl<'a> Item<'a> {
    /// Its names in the taxonomies of `role`, taxonomy by taxonomy, each
    /// with its taxonomy: what a format writes as the entry's authors or
    /// categories.
    pub fn names<'i>(
        &'i self,
        config: &'i Config,
        role: Role,
    ) -> impl Iterator<Item = (&'i Taxonomy, &'a Name)> + 'i {
        config
            .taxonomies
            .iter()
            .zip(&self.terms)
            .filter(move |(t, _)| t.role == role)
            .flat_map(|(t, names)| names.iter().map(move |&name| (t, name)))
    }

    /// The same release with its body replaced by its summary and a link
    /// to the full release: what a document carries of a release too big
    /// for it, and what archive documents carry.
    pub fn shortened(&self) -> Item<'a> {
        Item {
            index: self.index,
            release: self.release,
            terms: self.terms.clone(),
            rendered: crate::render::shortened(
                &self.rendered.summary,
                &self.release.url,
                &self.release.attachments,
            ),
        }
    }

    pub fn new(site: &'a Site, index: u32, rendered: Rendered) -> Item<'a> {
        Item {
            index,
            release: &site.releases[index as usize],
            terms: site
                .names
                .iter()
                .map(|table| table.of(index).collect())
                .collect(),
            rendered,
        }
    }
}

/// What every format says about a feed as a whole.
pub struct FeedInfo<'a> {
    pub feed: &'a Feed,
    pub title: String,
    pub description: String,
    /// The page a person reads the feed on.
    pub home_url: String,
    /// Date of the newest release, or the Unix epoch for an empty feed: never
    /// the clock, so rebuilding unchanged input gives identical bytes.
    pub newest: DateTime<FixedOffset>,
    /// The feed's `updated` (Atom) and `lastBuildDate` (RSS): the newest of
    /// the dates and corrections of the releases it carries, else `newest`.
    pub updated: DateTime<FixedOffset>,
}

impl<'a> FeedInfo<'a> {
    pub fn new(site: &Site, feed: &'a Feed, config: &Config) -> FeedInfo<'a> {
        let newest = site
            .newest(feed)
            .unwrap_or(DateTime::UNIX_EPOCH.fixed_offset());
        FeedInfo {
            feed,
            title: feed.kind.feed_title(&feed.name, config),
            description: feed.kind.feed_description(&feed.name, config),
            home_url: config.output_url(&feed.dir),
            newest,
            updated: feed
                .emitted(config.items_per_feed)
                .iter()
                .filter_map(|&i| site.releases[i as usize].updated())
                .fold(newest, DateTime::max),
        }
    }

    /// The absolute URL of one of this feed's files.
    pub fn url(&self, config: &Config, file: &str) -> String {
        config.output_url(&format!("{}{}", self.feed.dir, file))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Files and media types are distinct, so no two formats overwrite each
    /// other or are announced alike.
    #[test]
    fn formats_are_distinct() {
        for (i, f) in FEED_FORMATS.iter().enumerate() {
            let f = f.info();
            assert_ne!(f.file, PAGE_FILE);
            for g in &FEED_FORMATS[i + 1..] {
                assert_ne!(f.file, g.info().file);
                assert_ne!(f.media_type, g.info().media_type);
                assert_ne!(f.label, g.info().label);
            }
        }
    }
}
