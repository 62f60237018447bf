//! What a build writes, decided before anything is rendered or written:
//! which documents each feed has, which items each carries, which pages
//! show which items. Writing ([`crate::write_outputs`]) then follows the
//! plan: render the carried releases once, write each format's documents,
//! then the pages.
//!
//! A document is a feed's file in every format: a feed, a folder, the items
//! it carries and the links it has besides `self`. Today every feed has one
//! document (its newest `items_per_feed` releases, in the feed's folder);
//! a feed with archive documents would have several, each with its own
//! folder, items and links, and a size budget would choose each document's
//! items here.

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

use crate::config::Config;
use crate::site::group::{Feed, Site};
use crate::site::{archive, paths};

/// Everything a build writes, but the lists of feeds and the OPML (small
/// files made from the site alone).
pub struct Plan<'s> {
    pub site: &'s Site,
    pub config: &'s Config,
    /// One per feed of [`Site::feeds`], same index.
    pub feeds: Vec<FeedInfo<'s>>,
    /// The releases some document carries (indexes into [`Site::releases`],
    /// ascending, each once): each is rendered once, and the entries of
    /// documents and pages are positions in this list.
    pub carried: Vec<u32>,
    /// The releases some archive document carries (ascending, each once):
    /// archive documents carry each as its summary and a link, and their
    /// entries are positions in this list. Empty with `archives = false`.
    pub archived: Vec<u32>,
    pub documents: Vec<DocumentPlan>,
    pub pages: Vec<PagePlan>,
    /// History pages, a year of a feed each, and a month each of its
    /// busiest years (empty with `archives = false`), grouped by feed in the
    /// order of [`Plan::feeds`], newest year first, each year's page before
    /// its months' pages.
    pub history: Vec<HistoryPlan>,
}

/// One page of a feed's history: a year, listing every release of it, or,
/// for a year with a page per month ([`archive::MONTHS_ABOVE`]), listing
/// its months; or one such month, listing every release of it.
#[derive(Debug)]
pub struct HistoryPlan {
    /// Index of its feed in [`Plan::feeds`].
    pub feed: usize,
    pub year: i32,
    /// The month (from 1) of a month's page; `None` for a year's page.
    pub month: Option<u32>,
    /// The releases it lists, newest first, as positions in
    /// [`Plan::archived`]: none on the page of a year that lists months.
    pub entries: Vec<u32>,
    /// How many releases its year (or month) has.
    pub count: usize,
    /// The months of its year, newest first, with how many releases each
    /// has, when that year has a page per month; empty otherwise.
    pub months: Vec<(u32, usize)>,
    /// From the page's folder back to the output folder.
    pub root: String,
}

impl HistoryPlan {
    /// The path of the page, relative to the output folder.
    pub fn path(&self, plan: &Plan<'_>) -> String {
        paths::history_path(&plan.feeds[self.feed].feed.dir, self.year, self.month)
    }
}

/// What every format and page says about a feed as a whole.
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

/// The most releases a page shows (feeds may carry more).
pub const PAGE_ITEMS: usize = 50;

/// The releases of `feed` its page shows, newest first.
pub fn page_items(feed: &Feed, limit: Option<usize>) -> &[u32] {
    let emitted = feed.emitted(limit);
    &emitted[..emitted.len().min(PAGE_ITEMS)]
}

/// One document of a feed, written in every format.
#[derive(Debug)]
pub struct DocumentPlan {
    /// Index of its feed in [`Plan::feeds`].
    pub feed: usize,
    /// Folder of its files, relative to the output folder (ends in `/`, or
    /// is empty for the output folder itself).
    pub folder: String,
    /// The items it carries, newest first, as positions in the list of
    /// its kind ([`Plan::list`]).
    pub entries: Vec<u32>,
    /// Links it has besides `self`, in order.
    pub links: Vec<Link>,
    pub kind: DocumentKind,
}

/// What a document is to readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// What readers subscribe to: the feed's newest releases, whole; its
    /// entries are positions in [`Plan::carried`]. Hubs are told of it.
    Subscription,
    /// An archive document (RFC 5005): it says so (`fh:archive`), carries
    /// summaries, never changes once full, and is never announced to hubs;
    /// its entries are positions in [`Plan::archived`].
    Archive {
        /// Its own `updated` date (see [`archive::page_updated`]).
        updated: DateTime<FixedOffset>,
    },
}

impl DocumentKind {
    pub fn is_archive(self) -> bool {
        matches!(self, DocumentKind::Archive { .. })
    }
}

impl DocumentPlan {
    /// The path of its file `file` relative to the output folder.
    pub fn path(&self, file: &str) -> String {
        format!("{}{file}", self.folder)
    }
}

/// A link in a document's head.
#[derive(Debug, Clone)]
pub struct Link {
    pub rel: Rel,
    pub target: Target,
}

/// The relation of a [`Link`]. Every format says each in its own way (a
/// `match` on it), so a new one is a compile error until each does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rel {
    /// RFC 5005: the next older archive document.
    PrevArchive,
    /// RFC 5005: the next newer archive document.
    NextArchive,
    /// RFC 5005: the subscription document, from an archive document.
    Current,
    /// A WebSub hub (W3C WebSub).
    Hub,
}

impl Rel {
    /// Its name in Atom and RSS `link` elements.
    pub fn name(self) -> &'static str {
        match self {
            Rel::PrevArchive => "prev-archive",
            Rel::NextArchive => "next-archive",
            Rel::Current => "current",
            Rel::Hub => "hub",
        }
    }
}

/// Where a [`Link`] goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// Another document, in the same format: the folder of its files.
    Document(String),
    /// An address as it is (a WebSub hub).
    Url(String),
}

/// The page of one feed.
#[derive(Debug)]
pub struct PagePlan {
    /// Index of its feed in [`Plan::feeds`].
    pub feed: usize,
    /// The items it shows, newest first, as positions in [`Plan::carried`].
    pub entries: Vec<u32>,
    /// From the page's folder back to the output folder (`""`, `../../`).
    pub root: String,
}

impl<'s> Plan<'s> {
    pub fn new(site: &'s Site, config: &'s Config) -> Plan<'s> {
        let limit = config.items_per_feed;
        let feeds: Vec<FeedInfo> = site
            .feeds
            .iter()
            .map(|feed| FeedInfo::new(site, feed, config))
            .collect();
        let total = site.releases.len();
        let carried = union(total, site.feeds.iter().map(|feed| feed.emitted(limit)));
        let position = position_in(&carried, total);
        let archives = archive::enabled(config);
        let archived: Vec<u32> = match archives {
            true => union(total, site.feeds.iter().map(|feed| &feed.releases[..])),
            false => Vec::new(),
        };
        let archived_position = position_in(&archived, total);
        let pages: Vec<Vec<archive::ArchivePage>> = site
            .feeds
            .iter()
            .map(|feed| match archives {
                true => archive::pages(feed.releases.len(), config.archive_page_size),
                false => Vec::new(),
            })
            .collect();
        let documents = documents(site, config, &pages, position, archived_position);
        let mut history = Vec::new();
        if archives {
            let calendar = archive::Calendar::new(site);
            let by_feed: Vec<Vec<HistoryPlan>> = site
                .feeds
                .par_iter()
                .enumerate()
                .map(|(n, feed)| history_pages(&calendar, n, feed, archived_position))
                .collect();
            history = by_feed.into_iter().flatten().collect();
        }
        let pages = site
            .feeds
            .iter()
            .enumerate()
            .map(|(n, feed)| PagePlan {
                feed: n,
                // A page shows some of what its feed emits.
                entries: page_items(feed, limit).iter().map(position).collect(),
                root: paths::root_of(&feed.dir),
            })
            .collect();
        Plan {
            site,
            config,
            feeds,
            carried,
            archived,
            documents,
            pages,
            history,
        }
    }

    /// Cuts each feed's archive documents again so that the items of none
    /// take more than `room` bytes ([`archive::fitted_pages`]): `sizes`
    /// gives what each release of [`Plan::archived`] takes in an archive
    /// document (in the format where it takes most). Leaves the plan as it
    /// is when every document fits, as it always does with the defaults.
    pub fn fit_archives(&mut self, sizes: &[usize], room: usize) {
        let (site, config) = (self.site, self.config);
        if self.archived.is_empty() {
            return;
        }
        let total = site.releases.len();
        let archived_position = position_in(&self.archived, total);
        let mut changed = false;
        let pages: Vec<Vec<archive::ArchivePage>> = site
            .feeds
            .iter()
            .map(|feed| {
                let bytes = |k: usize| sizes[archived_position(&feed.releases[k]) as usize];
                let len = feed.releases.len();
                let fitted = archive::fitted_pages(len, config.archive_page_size, room, bytes);
                changed |= fitted != archive::pages(len, config.archive_page_size);
                fitted
            })
            .collect();
        if !changed {
            return;
        }
        let position = position_in(&self.carried, total);
        self.documents = documents(site, config, &pages, position, archived_position);
    }

    /// The path of a page, relative to the output folder.
    pub fn page_path(&self, page: &PagePlan) -> String {
        paths::page(&self.feeds[page.feed].feed.dir)
    }

    /// The releases the entries of documents of `kind` are positions in:
    /// [`Plan::carried`] or [`Plan::archived`].
    pub fn list(&self, kind: DocumentKind) -> &[u32] {
        match kind {
            DocumentKind::Subscription => &self.carried,
            DocumentKind::Archive { .. } => &self.archived,
        }
    }

    /// The history pages of feed `n` ([`Plan::history`] is grouped by feed).
    pub fn history_of(&self, n: usize) -> &[HistoryPlan] {
        let start = self.history.partition_point(|h| h.feed < n);
        let end = self.history.partition_point(|h| h.feed <= n);
        &self.history[start..end]
    }
}

/// The releases of a site of `total` that any of `lists` holds, ascending,
/// each once: one mark per entry, then one pass over the site, however
/// many feeds list a release.
fn union<'l>(total: usize, lists: impl Iterator<Item = &'l [u32]>) -> Vec<u32> {
    let mut held = vec![false; total];
    for list in lists {
        for &i in list {
            held[i as usize] = true;
        }
    }
    (0..total as u32).filter(|&i| held[i as usize]).collect()
}

/// The position of a release in `list` (the releases of a site of `total`
/// that some document carries, ascending, each once: [`Plan::carried`] or
/// [`Plan::archived`]), for a release the list holds: the release itself
/// when the list holds them all (with the global feed, `archived` always
/// does: it is then the site's own list), else found by binary search.
fn position_in(list: &[u32], total: usize) -> impl Fn(&u32) -> u32 + Copy + Sync + '_ {
    let all = list.len() == total;
    move |i: &u32| match all {
        true => *i,
        false => list
            .binary_search(i)
            .expect("the list holds every release its documents carry") as u32,
    }
}

/// Every feed's documents, feed by feed: its subscription document, then
/// its archive documents, one per page of `pages` (one list per feed,
/// empty with `archives = false`).
fn documents(
    site: &Site,
    config: &Config,
    pages: &[Vec<archive::ArchivePage>],
    position: impl Fn(&u32) -> u32,
    archived_position: impl Fn(&u32) -> u32,
) -> Vec<DocumentPlan> {
    let limit = config.items_per_feed;
    // Every document declares the WebSub hubs that are told of it.
    let hubs: Vec<Link> = config
        .hubs
        .iter()
        .map(|hub| Link {
            rel: Rel::Hub,
            target: Target::Url(hub.url.to_string()),
        })
        .collect();
    let mut documents: Vec<DocumentPlan> = Vec::new();
    for (n, (feed, pages)) in site.feeds.iter().zip(pages).enumerate() {
        let mut links = Vec::new();
        if let Some(newest) = pages.last() {
            links.push(Link {
                rel: Rel::PrevArchive,
                target: Target::Document(paths::archive_folder(&feed.dir, newest.number)),
            });
        }
        links.extend(hubs.iter().cloned());
        documents.push(DocumentPlan {
            feed: n,
            folder: feed.dir.clone(),
            entries: feed.emitted(limit).iter().map(&position).collect(),
            links,
            kind: DocumentKind::Subscription,
        });
        documents.extend(archive_documents(site, n, feed, pages, &archived_position));
    }
    documents
}

/// The archive documents (RFC 5005) of feed `n`, one per page of
/// `pages`, oldest first; their entries are positions in
/// [`Plan::archived`] (`position`).
fn archive_documents(
    site: &Site,
    n: usize,
    feed: &Feed,
    pages: &[archive::ArchivePage],
    position: impl Fn(&u32) -> u32,
) -> Vec<DocumentPlan> {
    let last = pages.len();
    pages
        .iter()
        .map(|page| {
            // RFC 5005: `current` is the subscription document; an archive
            // document is never announced to hubs (it does not change).
            let mut links = vec![Link {
                rel: Rel::Current,
                target: Target::Document(feed.dir.clone()),
            }];
            if page.number > 1 {
                links.push(Link {
                    rel: Rel::PrevArchive,
                    target: Target::Document(paths::archive_folder(&feed.dir, page.number - 1)),
                });
            }
            if page.number < last {
                links.push(Link {
                    rel: Rel::NextArchive,
                    target: Target::Document(paths::archive_folder(&feed.dir, page.number + 1)),
                });
            }
            DocumentPlan {
                feed: n,
                folder: paths::archive_folder(&feed.dir, page.number),
                entries: feed.releases[page.start..page.end]
                    .iter()
                    .map(&position)
                    .collect(),
                links,
                kind: DocumentKind::Archive {
                    updated: archive::page_updated(site, feed, page),
                },
            }
        })
        .collect()
}

/// The history pages of feed `n`: one per year, newest first, each
/// followed by its months' pages when it has them; their entries are
/// positions in [`Plan::archived`] (`position`).
fn history_pages(
    calendar: &archive::Calendar,
    n: usize,
    feed: &Feed,
    position: impl Fn(&u32) -> u32,
) -> Vec<HistoryPlan> {
    let root = paths::root_of(&format!("{}{}", feed.dir, paths::HISTORY_FOLDER));
    let entries = |start: usize, end: usize| -> Vec<u32> {
        feed.releases[start..end].iter().map(&position).collect()
    };
    let mut history = Vec::new();
    for year in archive::years(calendar, feed) {
        let months: Vec<(u32, usize)> = year
            .months
            .iter()
            .map(|m| (m.month, m.end - m.start))
            .collect();
        history.push(HistoryPlan {
            feed: n,
            year: year.year,
            month: None,
            entries: match months.is_empty() {
                true => entries(year.start, year.end),
                false => Vec::new(),
            },
            count: year.end - year.start,
            months: months.clone(),
            root: root.clone(),
        });
        for month in &year.months {
            history.push(HistoryPlan {
                feed: n,
                year: year.year,
                month: Some(month.month),
                entries: entries(month.start, month.end),
                count: month.end - month.start,
                months: months.clone(),
                root: root.clone(),
            });
        }
    }
    history
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{FeedFormat, Head, atom::Atom, jsonfeed::JsonFeed, rss::Rss};
    use crate::site::plan::FeedInfo;

    /// A document's extra links (an archive page, a hub) come after `self`
    /// in both XML formats (the same format's file for a document, the
    /// address as it is for a URL), and as `next_url` and `hubs` in JSON
    /// Feed.
    #[test]
    fn documents_carry_their_links() {
        let config = Config::default();
        let site = crate::testing::empty_site();
        let feed = crate::testing::global_feed();
        let info = FeedInfo::new(&site, &feed, &config);
        let links = [
            Link {
                rel: Rel::PrevArchive,
                target: Target::Document("archive/2024/".to_string()),
            },
            Link {
                rel: Rel::Hub,
                target: Target::Url("https://hub.example/".to_string()),
            },
        ];
        let head = |file: &str| Head {
            links: &links,
            ..Head::plain(&info, config.output_url(file), &config)
        };
        let mut rss = Vec::new();
        Rss.document(&head("rss.xml"), &[], &mut rss);
        let mut atom = Vec::new();
        Atom.document(&head("atom.xml"), &[], &mut atom);
        for (bytes, file, link) in [(rss, "rss.xml", "link"), (atom, "atom.xml", "link")] {
            let text = String::from_utf8(bytes).unwrap();
            let doc = roxmltree::Document::parse(&text).unwrap();
            let found: Vec<(&str, &str)> = doc
                .descendants()
                .filter(|n| n.has_tag_name(("http://www.w3.org/2005/Atom", link)))
                .filter_map(|n| Some((n.attribute("rel")?, n.attribute("href")?)))
                .collect();
            let archive = config.output_url(&format!("archive/2024/{file}"));
            let self_url = config.output_url(file);
            assert!(
                found.starts_with(&[("self", self_url.as_str())]),
                "{found:?}"
            );
            assert!(
                found.contains(&("prev-archive", archive.as_str())),
                "{found:?}"
            );
            assert!(
                found.contains(&("hub", "https://hub.example/")),
                "{found:?}"
            );
        }
        let mut json = Vec::new();
        JsonFeed.document(&head("feed.json"), &[], &mut json);
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["next_url"], config.output_url("archive/2024/feed.json"));
        assert_eq!(v["hubs"][0]["url"], "https://hub.example/");
        assert_eq!(v["hubs"][0]["type"], "WebSub");
    }
}
