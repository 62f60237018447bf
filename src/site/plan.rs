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

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

use crate::config::Config;
use crate::output::{FEED_FORMATS, FeedInfo, PAGE_FILE, html};
use crate::site::archive;
use crate::site::group::Site;

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
        archive::history_path(&plan.feeds[self.feed].feed.dir, self.year, self.month)
    }
}

/// One document of a feed, written in every format.
#[derive(Debug)]
pub struct DocumentPlan {
    /// Index of its feed in [`Plan::feeds`].
    pub feed: usize,
    /// Folder of its files, relative to the output folder (ends in `/`, or
    /// is empty for the output folder itself).
    pub folder: String,
    /// The items it carries, newest first, as positions in
    /// [`Plan::carried`].
    pub entries: Vec<u32>,
    /// Links it has besides `self`, in order.
    pub links: Vec<Link>,
    /// An archive document (RFC 5005): it says so (`fh:archive`), and its
    /// entries are positions in [`Plan::archived`] rather than
    /// [`Plan::carried`].
    pub archive: bool,
    /// Its `updated` date when not the feed's (an archive document's own).
    pub updated: Option<DateTime<FixedOffset>>,
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
    /// `rel`: `prev-archive`, `hub`...
    pub rel: &'static str,
    pub target: Target,
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
        let mut carried: Vec<u32> = site
            .feeds
            .iter()
            .flat_map(|feed| feed.emitted(limit))
            .copied()
            .collect();
        carried.par_sort_unstable();
        carried.dedup();
        let position = |i: &u32| {
            carried
                .binary_search(i)
                .expect("`carried` holds every release a feed emits") as u32
        };
        // Every document declares the WebSub hubs that are told of it.
        let hubs: Vec<Link> = config
            .hubs
            .iter()
            .map(|hub| Link {
                rel: "hub",
                target: Target::Url(hub.url.to_string()),
            })
            .collect();
        let mut documents: Vec<DocumentPlan> = Vec::new();
        let archives = archive::enabled(config);
        let archived: Vec<u32> = match archives {
            true => {
                let mut all: Vec<u32> = site
                    .feeds
                    .iter()
                    .flat_map(|feed| feed.releases.iter().copied())
                    .collect();
                all.par_sort_unstable();
                all.dedup();
                all
            }
            false => Vec::new(),
        };
        let archived_position = |i: &u32| {
            archived
                .binary_search(i)
                .expect("`archived` holds every release of every feed") as u32
        };
        for (n, feed) in site.feeds.iter().enumerate() {
            let pages = match archives {
                true => archive::pages(feed.releases.len(), config.archive_page_size),
                false => Vec::new(),
            };
            let mut links = Vec::new();
            if let Some(newest) = pages.last() {
                links.push(Link {
                    rel: "prev-archive",
                    target: Target::Document(archive::page_folder(&feed.dir, newest.number)),
                });
            }
            links.extend(hubs.iter().cloned());
            documents.push(DocumentPlan {
                feed: n,
                folder: feed.dir.clone(),
                entries: feed.emitted(limit).iter().map(position).collect(),
                links,
                archive: false,
                updated: None,
            });
            let last = pages.len();
            for page in &pages {
                // RFC 5005: `current` is the subscription document; an
                // archive document is never announced to hubs (it does
                // not change).
                let mut links = vec![Link {
                    rel: "current",
                    target: Target::Document(feed.dir.clone()),
                }];
                if page.number > 1 {
                    links.push(Link {
                        rel: "prev-archive",
                        target: Target::Document(archive::page_folder(&feed.dir, page.number - 1)),
                    });
                }
                if page.number < last {
                    links.push(Link {
                        rel: "next-archive",
                        target: Target::Document(archive::page_folder(&feed.dir, page.number + 1)),
                    });
                }
                documents.push(DocumentPlan {
                    feed: n,
                    folder: archive::page_folder(&feed.dir, page.number),
                    entries: feed.releases[page.start..page.end]
                        .iter()
                        .map(archived_position)
                        .collect(),
                    links,
                    archive: true,
                    updated: Some(archive::page_updated(site, feed, page)),
                });
            }
        }
        let mut history = Vec::new();
        if archives {
            for (n, feed) in site.feeds.iter().enumerate() {
                let root = "../".repeat(feed.dir.matches('/').count() + 1);
                let entries = |start: usize, end: usize| -> Vec<u32> {
                    feed.releases[start..end]
                        .iter()
                        .map(archived_position)
                        .collect()
                };
                for year in archive::years(site, feed) {
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
            }
        }
        let pages = site
            .feeds
            .iter()
            .enumerate()
            .map(|(n, feed)| PagePlan {
                feed: n,
                // A page shows some of what its feed emits.
                entries: html::page_items(feed, limit).iter().map(position).collect(),
                root: "../".repeat(feed.dir.matches('/').count()),
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

    /// The path of a page, relative to the output folder.
    pub fn page_path(&self, page: &PagePlan) -> String {
        format!("{}{PAGE_FILE}", self.feeds[page.feed].feed.dir)
    }

    /// Every path the plan writes: each document in each format, each page.
    pub fn paths(&self) -> BTreeSet<String> {
        let documents = self.documents.iter().flat_map(|doc| {
            FEED_FORMATS
                .iter()
                .map(|format| format.info().file)
                .filter(|file| !doc.archive || self.config.archives_in(file))
                .map(move |file| doc.path(file))
        });
        let pages = self.pages.iter().map(|page| self.page_path(page));
        let history = self.history.iter().map(|h| h.path(self));
        documents.chain(pages).chain(history).collect()
    }

    /// How many files [`Plan::paths`] names.
    pub fn files(&self) -> usize {
        let formats = |doc: &DocumentPlan| {
            FEED_FORMATS
                .iter()
                .filter(|f| !doc.archive || self.config.archives_in(f.info().file))
                .count()
        };
        self.documents.iter().map(formats).sum::<usize>() + self.pages.len() + self.history.len()
    }

    /// The history pages of feed `n` ([`Plan::history`] is grouped by feed).
    pub fn history_of(&self, n: usize) -> &[HistoryPlan] {
        let start = self.history.partition_point(|h| h.feed < n);
        let end = self.history.partition_point(|h| h.feed <= n);
        &self.history[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{FeedFormat, Head, atom::Atom, jsonfeed::JsonFeed, rss::Rss};

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
                rel: "prev-archive",
                target: Target::Document("archive/2024/".to_string()),
            },
            Link {
                rel: "hub",
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
