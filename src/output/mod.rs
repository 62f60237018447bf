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
pub mod digest;
pub mod html;
pub mod jsonfeed;
pub mod opml;
pub mod rss;
pub mod sitemap;
pub mod xml;

use std::cell::RefCell;

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

use std::collections::BTreeSet;

use crate::config::{Config, Role, Taxonomy};
use crate::diag::Diagnostic;
use crate::input::validate::Release;
use crate::render::Rendered;
use crate::site::group::{Name, Site};
pub use crate::site::plan::FeedInfo;
use crate::site::plan::{DocumentKind, DocumentPlan, Link, Plan, Rel};

/// Every feed format, in the order pages and lists show them. The first is
/// the one the OPML list subscribes to.
pub static FEED_FORMATS: &[&dyn Format] = &[&rss::Rss, &atom::Atom, &jsonfeed::JsonFeed];

/// The generator named in every feed.
pub const GENERATOR: &str = "pressfeed";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What pages and lists say about a format.
#[derive(Debug)]
pub struct FormatInfo {
    /// Its name in the configuration (`archive_formats`): `"atom"`.
    pub key: &'static str,
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

/// Which of the planned files a build makes; the others are left as the
/// last build made them (an incremental build: see
/// [`crate::delivery::state`] and [`digest`]). Documents are made whole,
/// in every format, or not at all.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every file of the plan.
    All,
    /// Those marked, by their place in [`Plan::documents`],
    /// [`Plan::pages`] and [`Plan::history`].
    Some {
        documents: Vec<bool>,
        pages: Vec<bool>,
        history: Vec<bool>,
    },
}

impl Scope {
    pub fn document(&self, n: usize) -> bool {
        match self {
            Scope::All => true,
            Scope::Some { documents, .. } => documents[n],
        }
    }
    pub fn page(&self, n: usize) -> bool {
        match self {
            Scope::All => true,
            Scope::Some { pages, .. } => pages[n],
        }
    }
    pub fn history(&self, n: usize) -> bool {
        match self {
            Scope::All => true,
            Scope::Some { history, .. } => history[n],
        }
    }

    /// Which releases of [`Plan::list`] of `kind` the documents of that
    /// kind in scope carry (by position in the list): those whose
    /// fragments a format makes.
    pub fn carried_by_documents(&self, plan: &Plan<'_>, archive: bool) -> Vec<bool> {
        let list = match archive {
            false => &plan.carried,
            true => &plan.archived,
        };
        let mut marked = vec![matches!(self, Scope::All); list.len()];
        if let Scope::Some { documents, .. } = self {
            for (doc, _) in plan
                .documents
                .iter()
                .zip(documents)
                .filter(|(_, in_scope)| **in_scope)
            {
                if doc.kind.is_archive() == archive {
                    for &e in &doc.entries {
                        marked[e as usize] = true;
                    }
                }
            }
        }
        marked
    }

    /// Which releases of [`Plan::carried`] (`archive` false) or
    /// [`Plan::archived`] the files in scope carry or show: those that
    /// must be rendered.
    pub fn needed(&self, plan: &Plan<'_>, archive: bool) -> Vec<bool> {
        let mut marked = self.carried_by_documents(plan, archive);
        if let Scope::Some { pages, history, .. } = self {
            match archive {
                false => {
                    for (page, _) in plan.pages.iter().zip(pages).filter(|(_, s)| **s) {
                        for &e in &page.entries {
                            marked[e as usize] = true;
                        }
                    }
                }
                true => {
                    for (h, _) in plan.history.iter().zip(history).filter(|(_, s)| **s) {
                        for &e in &h.entries {
                            marked[e as usize] = true;
                        }
                    }
                }
            }
        }
        marked
    }
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

    /// Writes every document of `plan` in `scope` in this format, giving
    /// each file to `put` as soon as it is made. The format's fragments of
    /// `items` (one per [`Plan::carried`] release; those the documents in
    /// scope carry) are made first, in parallel, and dropped at the end, so
    /// one format's fragments are in memory at once.
    fn write_documents(
        &self,
        plan: &Plan<'_>,
        scope: &Scope,
        items: &Chosen<Item<'_>>,
        archived: &Chosen<Item<'_>>,
        put: &Put<'_>,
    ) -> Result<Fitted, Refused>;

    /// What `item` takes in an archive document of this format, as
    /// [`Format::write_documents`] writes it there (a stub when its summary
    /// would not fit in a document), with the room around it.
    fn archive_size(&self, item: &Item<'_>, config: &Config) -> usize;
}

/// The room for items in an archive document, when archive documents are
/// cut by size as well as count (see [`Plan::fit_archives`]): with
/// `max_document_bytes` and some format that has archive documents.
pub fn archive_room(config: &Config) -> Option<usize> {
    let budget = config.max_document_bytes?;
    FEED_FORMATS
        .iter()
        .any(|f| archives_in(config, f.info()))
        .then(|| budget.saturating_sub(HEAD_ALLOWANCE))
}

/// What `item` (its summary, no body) takes in an archive document: the
/// most of any format that has them. With the defaults every document fits
/// and [`Plan::fit_archives`] leaves the plan as it is.
pub fn archive_size(config: &Config, item: &Item<'_>) -> usize {
    FEED_FORMATS
        .iter()
        .filter(|f| archives_in(config, f.info()))
        .map(|f| f.archive_size(item, config))
        .max()
        .unwrap_or(0)
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
    /// a link, since their whole entry would not fit in a document, with
    /// the size of that whole entry.
    pub shortened: Vec<(u32, usize)>,
    /// Items too big for a document even as their summary (positions in
    /// [`Plan::carried`], then in [`Plan::archived`]): carried as a stub
    /// (see [`Item::stub`]).
    pub stubbed: Vec<u32>,
    pub stubbed_archived: Vec<u32>,
    /// Documents that carry fewer items than planned: path, items carried,
    /// items planned.
    pub trimmed: Vec<(String, usize, usize)>,
}

/// Publishes one file: its path relative to the output folder and its bytes.
/// What publishing does is not this stage's business: when it refuses a
/// file, it keeps why, and writing stops with [`Refused`].
pub type Put<'a> = dyn Fn(&str, &[u8]) -> Result<(), Refused> + Sync + 'a;

/// Values for the chosen positions of a list (the items of the releases
/// the files in scope carry, by position in [`Plan::carried`] or
/// [`Plan::archived`]), found by position. A run that makes a few files of
/// a million releases holds a few values, not a million.
pub struct Chosen<T> {
    /// Per position of the list, where its value is (`NONE`: not chosen).
    slot: Vec<u32>,
    values: Vec<T>,
}

impl<T: Send> Chosen<T> {
    /// `make`'s value for each position `chosen` marks, made side by side;
    /// or the error of one that failed.
    pub fn try_make<E: Send>(
        chosen: &[bool],
        make: impl Fn(usize) -> Result<T, E> + Sync,
    ) -> Result<Chosen<T>, E> {
        let positions: Vec<usize> = (0..chosen.len()).filter(|&n| chosen[n]).collect();
        let values = positions
            .par_iter()
            .map(|&n| make(n))
            .collect::<Result<Vec<T>, E>>()?;
        let mut slot = vec![Self::NONE; chosen.len()];
        for (k, &n) in positions.iter().enumerate() {
            slot[n] = k as u32;
        }
        Ok(Chosen { slot, values })
    }

    /// `make`'s value for each position `chosen` marks.
    pub fn make(chosen: &[bool], make: impl Fn(usize) -> T + Sync) -> Chosen<T> {
        match Self::try_make(chosen, |n| Ok::<T, std::convert::Infallible>(make(n))) {
            Ok(chosen) => chosen,
        }
    }
}

impl<T> Chosen<T> {
    const NONE: u32 = u32::MAX;

    /// The value of position `n`, if it was chosen.
    pub fn get(&self, n: usize) -> Option<&T> {
        match self.slot.get(n) {
            Some(&k) if k != Self::NONE => self.values.get(k as usize),
            _ => None,
        }
    }

    /// The chosen positions with their values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        (0..self.slot.len()).filter_map(|n| Some((n, self.get(n)?)))
    }

    /// Whether no position was chosen.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl<T> std::ops::Index<usize> for Chosen<T> {
    type Output = T;
    fn index(&self, n: usize) -> &T {
        self.get(n)
            .expect("a file in scope has the values of the releases it carries")
    }
}

/// Publishing refused a file (the one who publishes knows why); writing
/// stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

/// Whether `config` asks for archive documents in format `info`.
pub fn archives_in(config: &Config, info: &FormatInfo) -> bool {
    config.archives && config.archive_formats.iter().any(|f| f == info.key)
}

/// Checks what the configuration says of the formats (`archive_formats`
/// names formats of [`FEED_FORMATS`]); `path` is the configuration's, for
/// the message.
pub fn check_config(config: &Config, path: &std::path::Path) -> Result<(), Diagnostic> {
    let keys: Vec<&str> = FEED_FORMATS.iter().map(|f| f.info().key).collect();
    match config
        .archive_formats
        .iter()
        .find(|w| !keys.contains(&w.as_str()))
    {
        None => Ok(()),
        Some(w) => {
            Err(
                Diagnostic::error(path, 0, 0, format!("archive_formats: unknown format {w:?}"))
                    .with_hint(format!(
                        "use some of {}",
                        keys.iter()
                            .map(|k| format!("{k:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
            )
        }
    }
}

/// Every path `plan` writes in the formats and pages: each document in
/// each format (archive documents in the formats that have them), each
/// page, each history page.
pub fn planned_paths(plan: &Plan<'_>) -> BTreeSet<String> {
    let documents = plan
        .documents
        .iter()
        .flat_map(|doc| formats_of(plan.config, doc.kind).map(move |f| doc.path(f.info().file)));
    let pages = plan.pages.iter().map(|page| plan.page_path(page));
    let history = plan.history.iter().map(|h| h.path(plan));
    documents.chain(pages).chain(history).collect()
}

/// The paths of the subscription documents `plan` writes: what WebSub
/// hubs are told of.
pub fn subscription_paths(plan: &Plan<'_>) -> BTreeSet<String> {
    plan.documents
        .iter()
        .filter(|doc| doc.kind == DocumentKind::Subscription)
        .flat_map(|doc| FEED_FORMATS.iter().map(move |f| doc.path(f.info().file)))
        .collect()
}

/// The paths of the files of `doc`, one per format it is written in.
pub fn document_files<'p>(
    plan: &'p Plan<'_>,
    doc: &'p DocumentPlan,
) -> impl Iterator<Item = String> + 'p {
    formats_of(plan.config, doc.kind).map(move |f| doc.path(f.info().file))
}

/// How many files [`planned_paths`] names.
pub fn planned_files(plan: &Plan<'_>) -> usize {
    let documents: usize = plan
        .documents
        .iter()
        .map(|doc| formats_of(plan.config, doc.kind).count())
        .sum();
    documents + plan.pages.len() + plan.history.len()
}

/// The formats a document of `kind` is written in.
fn formats_of(config: &Config, kind: DocumentKind) -> impl Iterator<Item = &&'static dyn Format> {
    FEED_FORMATS
        .iter()
        .filter(move |f| !kind.is_archive() || archives_in(config, f.info()))
}

impl<F: FeedFormat> Format for F {
    fn info(&self) -> &'static FormatInfo {
        &Self::INFO
    }

    fn write_documents(
        &self,
        plan: &Plan<'_>,
        scope: &Scope,
        items: &Chosen<Item<'_>>,
        archived: &Chosen<Item<'_>>,
        put: &Put<'_>,
    ) -> Result<Fitted, Refused> {
        let config = plan.config;
        let wanted = scope.carried_by_documents(plan, false);
        let budget = config.max_document_bytes;
        let item_budget = budget.map(|b| b.saturating_sub(HEAD_ALLOWANCE));
        // An item too big for any document is carried as its summary, and
        // one too big even so (a huge title, thousands of attachments) as a
        // stub: no release is ever left out of a document for its size.
        let fragments = Chosen::make(&wanted, |n| {
            let item = &items[n];
            let whole = self.item(item, config);
            match item_budget {
                Some(room) if F::size(&whole) > room => {
                    let short = self.item(&item.shortened(), config);
                    if F::size(&short) <= room {
                        return (short, Cut::Shortened(F::size(&whole)));
                    }
                    let (release, rendered) = item.stub();
                    (self.item(&item.with(&release, rendered), config), Cut::Stub)
                }
                _ => (whole, Cut::None),
            }
        });
        // Subscription documents first, then archive documents, each from
        // its own fragments, so only one set is in memory at a time.
        let mut trimmed = write_set(self, plan, scope, Kinds::Subscription, &fragments, put)?;
        let shortened = fragments
            .iter()
            .filter_map(|(n, (_, cut))| match cut {
                Cut::Shortened(size) => Some((n as u32, *size)),
                _ => None,
            })
            .collect();
        let stubbed = fragments
            .iter()
            .filter_map(|(n, (_, c))| matches!(c, Cut::Stub).then_some(n as u32))
            .collect();
        drop(fragments);
        let mut stubbed_archived = Vec::new();
        if !archived.is_empty() && archives_in(config, &F::INFO) {
            // Archive documents carry summaries (see [`crate::site::archive`]):
            // the items hold the summary, the short body is made here.
            let wanted = scope.carried_by_documents(plan, true);
            let fragments = Chosen::make(&wanted, |n| {
                let item = &archived[n];
                let mut fragment = self.archive_item(item, config);
                let stub = item_budget.is_some_and(|room| F::size(&fragment) > room);
                if stub {
                    let (release, rendered) = item.stub();
                    fragment = self.archive_item(&item.with(&release, rendered), config);
                }
                F::shrink(&mut fragment);
                (fragment, stub)
            });
            trimmed.extend(write_set(
                self,
                plan,
                scope,
                Kinds::Archive,
                &fragments,
                put,
            )?);
            stubbed_archived = fragments
                .iter()
                .filter_map(|(n, &(_, stub))| stub.then_some(n as u32))
                .collect();
        }
        Ok(Fitted {
            trimmed,
            shortened,
            stubbed,
            stubbed_archived,
        })
    }

    fn archive_size(&self, item: &Item<'_>, config: &Config) -> usize {
        let item_budget = config
            .max_document_bytes
            .map(|b| b.saturating_sub(HEAD_ALLOWANCE));
        let fragment = self.archive_item(item, config);
        let size = match item_budget {
            Some(room) if F::size(&fragment) > room => {
                let (release, rendered) = item.stub();
                F::size(&self.archive_item(&item.with(&release, rendered), config))
            }
            _ => F::size(&fragment),
        };
        size + ITEM_ALLOWANCE
    }
}

/// How an item was fitted to the document budget.
enum Cut {
    None,
    /// Carried as its summary; the size of its whole entry.
    Shortened(usize),
    Stub,
}

/// Longest title a stub keeps, in characters.
pub const STUB_TITLE_CHARS: usize = 200;
/// Longest summary a stub keeps, in characters.
pub const STUB_SUMMARY_CHARS: usize = 300;

/// The documents one call of [`write_set`] writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kinds {
    Subscription,
    Archive,
}

/// Writes the documents of `plan` in `scope` of kind `kinds` in format `F`,
/// from `fragments` (by position in [`Plan::list`] of that kind, made for
/// the releases the documents in scope carry, each with how it was cut),
/// each within the size budget; returns those trimmed to fit.
fn write_set<F: FeedFormat, C: Sync>(
    format: &F,
    plan: &Plan<'_>,
    scope: &Scope,
    kinds: Kinds,
    fragments: &Chosen<(F::Fragment, C)>,
    put: &Put<'_>,
) -> Result<Vec<(String, usize, usize)>, Refused> {
    let budget = plan.config.max_document_bytes;
    let trimmed = plan
        .documents
        .par_iter()
        .enumerate()
        .filter(|(n, doc)| doc.kind.is_archive() == (kinds == Kinds::Archive) && scope.document(*n))
        .map(|(_, doc)| {
            let head = Head::new(plan, doc, &F::INFO);
            let mut entries: Vec<&F::Fragment> = doc
                .entries
                .iter()
                .map(|&e| &fragments[e as usize].0)
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
    /// A subscription or an archive document (RFC 5005 `fh:archive`).
    pub kind: DocumentKind,
    /// The document's `updated` date: the feed's newest release, or an
    /// archive document's own newest.
    pub updated: DateTime<FixedOffset>,
}

/// The namespace of RFC 5005's `fh:archive`.
pub const HISTORY_NAMESPACE: &str = "http://purl.org/syndication/history/1.0";

impl<'a> Head<'a> {
    fn new(plan: &'a Plan<'a>, doc: &'a DocumentPlan, format: &FormatInfo) -> Head<'a> {
        let info = &plan.feeds[doc.feed];
        // A format without archive documents does not link to them (the
        // plan puts a subscription document's `prev-archive` first).
        let links = match doc.links.first() {
            Some(l) if l.rel == Rel::PrevArchive && !archives_in(plan.config, format) => {
                &doc.links[1..]
            }
            _ => &doc.links[..],
        };
        Head {
            info,
            self_url: plan.config.output_url(&doc.path(format.file)),
            links,
            config: plan.config,
            kind: doc.kind,
            updated: match doc.kind {
                DocumentKind::Subscription => info.updated,
                DocumentKind::Archive { updated } => updated,
            },
        }
    }

    /// An archive document (RFC 5005 `fh:archive`).
    pub fn is_archive(&self) -> bool {
        self.kind.is_archive()
    }

    /// A subscription document's head: no links, the feed's date.
    pub fn plain(info: &'a FeedInfo<'a>, self_url: String, config: &'a Config) -> Head<'a> {
        Head {
            info,
            self_url,
            links: &[],
            config,
            kind: DocumentKind::Subscription,
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

    /// Its taxonomies of `role` that it has names in, each with its names:
    /// for formats that say something once per taxonomy (a category's
    /// scheme).
    pub fn names_by_taxonomy<'i>(
        &'i self,
        config: &'i Config,
        role: Role,
    ) -> impl Iterator<Item = (&'i Taxonomy, &'i [&'a Name])> + 'i {
        config
            .taxonomies
            .iter()
            .zip(&self.terms)
            .filter(move |(t, names)| t.role == role && !names.is_empty())
            .map(|(t, names)| (t, names.as_slice()))
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

    /// What a document carries of a release too big for it even as its
    /// summary: the release with its title cut to [`STUB_TITLE_CHARS`] and
    /// no attachments, and as body its summary cut to
    /// [`STUB_SUMMARY_CHARS`] and a link to the full release. Use with
    /// [`Item::with`].
    pub fn stub(&self) -> (Release, Rendered) {
        let r = self.release;
        let release = Release {
            path: r.path.clone(),
            title: crate::render::cut_at_word(r.title.clone(), STUB_TITLE_CHARS),
            date: r.date,
            url: r.url.clone(),
            amended: r.amended.clone(),
            terms: r.terms.clone(),
            attachments: Vec::new(),
            body_offset: r.body_offset,
        };
        let summary = crate::render::cut_at_word(self.rendered.summary.clone(), STUB_SUMMARY_CHARS);
        let rendered = crate::render::shortened(&summary, &r.url, &[]);
        (release, rendered)
    }

    /// This item with `release` and `rendered` in place of its own (its
    /// names kept).
    pub fn with<'b>(&self, release: &'b Release, rendered: Rendered) -> Item<'b>
    where
        'a: 'b,
    {
        Item {
            index: self.index,
            release,
            terms: self.terms.clone(),
            rendered,
        }
    }

    /// What [`Item::stub`] cuts, for a warning: "title cut from 2000000 to
    /// 200 characters, 20000 attachments left out".
    pub fn stub_cuts(&self) -> String {
        let r = self.release;
        let mut cuts = Vec::new();
        let chars = r.title.chars().count();
        if chars > STUB_TITLE_CHARS {
            cuts.push(format!(
                "title cut from {chars} to {STUB_TITLE_CHARS} characters"
            ));
        }
        if !r.attachments.is_empty() {
            cuts.push(format!("{} attachment(s) left out", r.attachments.len()));
        }
        if self.rendered.summary.chars().count() > STUB_SUMMARY_CHARS {
            cuts.push(format!("summary cut to {STUB_SUMMARY_CHARS} characters"));
        }
        match cuts.is_empty() {
            true => "body left out".to_string(),
            false => cuts.join(", "),
        }
    }

    /// Release `index` of `site` (`release`, whole: the site may have only
    /// its date) with its names and `rendered` body.
    pub fn new(site: &'a Site, index: u32, release: &'a Release, rendered: Rendered) -> Item<'a> {
        Item {
            index,
            release,
            terms: site
                .names
                .iter()
                .map(|table| table.of(index).collect())
                .collect(),
            rendered,
        }
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

    /// Values made for the chosen positions only, found by position, in
    /// order; an error when one fails.
    #[test]
    fn chosen_values_are_found_by_their_position() {
        let chosen = [false, true, false, true, true];
        let squares = Chosen::make(&chosen, |n| n * n);
        assert_eq!(squares.get(0), None);
        assert_eq!(squares[3], 9);
        assert_eq!(squares.get(5), None);
        let all: Vec<(usize, usize)> = squares.iter().map(|(n, &v)| (n, v)).collect();
        assert_eq!(all, vec![(1, 1), (3, 9), (4, 16)]);
        assert!(Chosen::make(&[false; 3], |n| n).is_empty());
        let failed = Chosen::try_make(&chosen, |n| match n {
            3 | 4 => Err(n),
            _ => Ok(n),
        });
        assert!(matches!(failed, Err(3 | 4)));
    }

    /// A throwaway format, declared only here: implementing [`FeedFormat`]
    /// is all a format takes to be written for every document of a plan,
    /// in its own file, carrying the items the plan gives each document.
    #[test]
    fn a_format_is_one_impl() {
        struct Digest;
        impl FeedFormat for Digest {
            const INFO: FormatInfo = FormatInfo {
                key: "text",
                file: "latest.txt",
                media_type: "text/plain",
                label: "plain text",
                short_label: "Text",
                opml_version: "",
            };
            type Fragment = String;
            fn item(&self, item: &Item<'_>, _config: &Config) -> String {
                format!("{}\n", item.release.url)
            }
            fn size(fragment: &String) -> usize {
                fragment.len()
            }
            fn document(&self, head: &Head<'_>, items: &[&String], out: &mut Vec<u8>) {
                out.extend_from_slice(head.self_url.as_bytes());
                for item in items {
                    out.extend_from_slice(item.as_bytes());
                }
            }
        }
        let config = Config::default();
        let releases: Vec<std::sync::Arc<Release>> = (0..3)
            .map(|n| {
                std::sync::Arc::new(Release {
                    url: format!("https://x.nz/{n}"),
                    ..crate::testing::release(&format!("R{n}"))
                })
            })
            .collect();
        let site = crate::site::group::group(releases, &config, &mut Vec::new());
        let plan = Plan::new(&site, &config);
        let items = Chosen::make(&vec![true; plan.carried.len()], |n| {
            let i = plan.carried[n];
            let rendered = Rendered {
                html: String::new(),
                summary: String::new(),
            };
            Item::new(&site, i, &site.releases[i as usize], rendered)
        });
        let written = std::sync::Mutex::new(std::collections::BTreeMap::new());
        let put = |path: &str, bytes: &[u8]| {
            written
                .lock()
                .unwrap()
                .insert(path.to_string(), bytes.to_vec());
            Ok(())
        };
        let format: &dyn Format = &Digest;
        format
            .write_documents(
                &plan,
                &Scope::All,
                &items,
                &Chosen::make(&[], |_| unreachable!()),
                &put,
            )
            .unwrap();
        let written = written.into_inner().unwrap();
        let planned: Vec<String> = plan
            .documents
            .iter()
            .filter(|d| d.kind == DocumentKind::Subscription)
            .map(|d| d.path("latest.txt"))
            .collect();
        assert_eq!(written.keys().cloned().collect::<Vec<_>>(), planned);
        let global = String::from_utf8(written["latest.txt"].clone()).unwrap();
        assert_eq!(
            global,
            format!(
                "{}https://x.nz/0\nhttps://x.nz/1\nhttps://x.nz/2\n",
                config.output_url("latest.txt")
            )
        );
    }

    /// `archive_formats` names formats by their keys; any other name is an
    /// error naming it and the formats there are.
    #[test]
    fn archive_formats_are_checked_here() {
        let path = std::path::Path::new("p.toml");
        let c = Config::default();
        assert!(archives_in(&c, &atom::Atom::INFO) && !archives_in(&c, &rss::Rss::INFO));
        let c = Config::parse("archive_formats = [\"json\", \"rss\"]", path).unwrap();
        assert!(check_config(&c, path).is_ok());
        assert!(archives_in(&c, &jsonfeed::JsonFeed::INFO) && !archives_in(&c, &atom::Atom::INFO));
        let c = Config::parse("archives = false", path).unwrap();
        assert!(!archives_in(&c, &atom::Atom::INFO));
        let c = Config::parse("archive_formats = [\"xml\"]", path).unwrap();
        let e = check_config(&c, path).unwrap_err();
        assert!(
            e.message.contains("\"xml\"") && e.hint.as_deref().unwrap_or("").contains("\"atom\""),
            "{e}"
        );
    }

    /// Files, media types and names are distinct, so no two formats
    /// overwrite each other or are announced or configured alike.
    #[test]
    fn formats_are_distinct() {
        for (i, f) in FEED_FORMATS.iter().enumerate() {
            let f = f.info();
            assert_ne!(f.file, crate::site::paths::PAGE_FILE);
            for g in &FEED_FORMATS[i + 1..] {
                assert_ne!(f.file, g.info().file);
                assert_ne!(f.media_type, g.info().media_type);
                assert_ne!(f.label, g.info().label);
                assert_ne!(f.key, g.info().key);
            }
        }
    }
}
