//! Pages for people: one per feed with its latest releases and how to
//! subscribe, a list of every feed, and one list per kind of feed.
//!
//! Browsers no longer style feeds (Chromium dropped XSLT), so these pages are
//! what a person sees when following a feed link. The templates are the files
//! in `templates/`, compiled in by askama, which escapes every value. Pages
//! need no JavaScript; every link between them is relative (with an explicit
//! `index.html`, so the folder also works opened from disk), and each page
//! carries autodiscovery `<link rel="alternate">` for its feed's three
//! formats.
//!
//! Paths, relative to the output folder:
//!
//! - `index.html`: every feed (the global one, portfolios, ministers) with
//!   its number of releases, the date of its latest and links to its files,
//!   then the global feed's latest releases: it is the global feed's page;
//! - `portfolios/index.html`, `ministers/index.html`: the feeds of one kind;
//! - `portfolios/<slug>/index.html`, `ministers/<slug>/index.html`: a feed's
//!   page.

use askama::Template;
use chrono::{DateTime, Datelike, FixedOffset};

use super::{
    ATOM_FILE, FeedInfo, GENERATOR, Item, JSON_FILE, PAGE_FILE, RSS_FILE, VERSION, attachment_type,
};
use crate::config::Config;
use crate::group::{Feed, FeedKind, Site};
use crate::render::attachment_name;
use crate::text::xml_safe;

/// The most releases a page shows (feeds may carry more).
pub const PAGE_ITEMS: usize = 50;

/// From a feed's page (`<kind>/<slug>/`) back to the output folder.
pub const FEED_ROOT: &str = "../../";
/// From a kind's list (`<kind>/`) back to the output folder.
const SECTION_ROOT: &str = "../";

/// The releases of `feed` its page shows, newest first.
pub fn page_items(feed: &Feed, limit: Option<usize>) -> &[u32] {
    let emitted = feed.emitted(limit);
    &emitted[..emitted.len().min(PAGE_ITEMS)]
}

/// A date for people and for `<time datetime>`.
struct Date {
    iso: String,
    human: String,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Date {
    /// The date in the release's own offset (the configured time zone), as
    /// `2024-03-01` and `1 Mar 2024`.
    fn new(d: &DateTime<FixedOffset>) -> Date {
        let (y, m, day) = (d.year(), d.month(), d.day());
        Date {
            iso: format!("{y:04}-{m:02}-{day:02}"),
            human: format!("{day} {} {y}", MONTHS[(m - 1) as usize]),
        }
    }
}

/// `1234567` as `1,234,567`.
fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------- items

struct NameLink<'a> {
    name: &'a str,
    /// The name's feed folder, relative to the output folder.
    dir: String,
}

struct AttachmentLink<'a> {
    url: &'a str,
    mime_type: &'static str,
    name: String,
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemView<'a> {
    root: &'a str,
    title: &'a str,
    url: &'a str,
    date: Date,
    summary: &'a str,
    /// Ministers, then portfolios, each linking to its feed's page.
    names: Vec<NameLink<'a>>,
    attachments: Vec<AttachmentLink<'a>>,
}

/// One release as it appears on a page whose path back to the output folder
/// is `root` (`""` or [`FEED_ROOT`]).
pub fn item(item: &Item<'_>, root: &str) -> String {
    let r = item.release;
    let names = item
        .ministers
        .iter()
        .map(|m| (FeedKind::Minister, *m))
        .chain(item.portfolios.iter().map(|p| (FeedKind::Portfolio, *p)))
        .map(|(kind, n)| NameLink {
            name: &n.display,
            dir: format!("{}{}/", kind.dir(), n.slug),
        })
        .collect();
    let view = ItemView {
        root,
        title: &r.title,
        url: &r.url,
        date: Date::new(&r.date),
        summary: &item.rendered.summary,
        names,
        attachments: r
            .attachments
            .iter()
            .map(|a| AttachmentLink {
                url: a,
                mime_type: attachment_type(a),
                name: attachment_name(a),
            })
            .collect(),
    };
    view.render().unwrap_or_default()
}

// ---------------------------------------------------------------- lists

/// One feed in a list.
pub struct Row {
    name: String,
    /// The feed's folder, relative to the output folder.
    dir: String,
    /// Its page, relative to the output folder.
    page: String,
    count: String,
    latest: Option<Date>,
    /// Set on the first feed of each letter, for the A–Z links.
    anchor: Option<String>,
}

struct Letter {
    label: char,
    anchor: String,
}

/// The feeds of one kind.
pub struct Section {
    kind: FeedKind,
    id: &'static str,
    heading: &'static str,
    /// Heading of the names column.
    column: &'static str,
    rows: Vec<Row>,
    letters: Vec<Letter>,
}

/// Every feed, by kind, for the lists.
pub struct Directory {
    sections: Vec<Section>,
}

impl Directory {
    pub fn new(site: &Site, config: &Config) -> Directory {
        let mut sections = vec![
            Section {
                kind: FeedKind::All,
                id: "all",
                heading: "All releases",
                column: "Feed",
                rows: Vec::new(),
                letters: Vec::new(),
            },
            Section {
                kind: FeedKind::Portfolio,
                id: "portfolios",
                heading: "Portfolios",
                column: "Portfolio",
                rows: Vec::new(),
                letters: Vec::new(),
            },
            Section {
                kind: FeedKind::Minister,
                id: "ministers",
                heading: "Ministers",
                column: "Minister",
                rows: Vec::new(),
                letters: Vec::new(),
            },
        ];
        for feed in &site.feeds {
            let Some(section) = sections.iter_mut().find(|s| s.kind == feed.kind) else {
                continue;
            };
            let dir = feed.dir();
            let (name, page) = match feed.kind {
                // The global feed's page is the list itself; its releases
                // follow the lists.
                FeedKind::All => (
                    xml_safe(&config.title).into_owned(),
                    format!("{PAGE_FILE}#latest"),
                ),
                _ => (feed.name.clone(), format!("{dir}{PAGE_FILE}")),
            };
            let mut anchor = None;
            if feed.kind != FeedKind::All {
                let label = letter(&feed.slug);
                if section.letters.last().map(|l| l.label) != Some(label) {
                    let id = format!(
                        "{}-{}",
                        section.id,
                        if label == '#' {
                            '0'
                        } else {
                            label.to_ascii_lowercase()
                        }
                    );
                    section.letters.push(Letter {
                        label,
                        anchor: id.clone(),
                    });
                    anchor = Some(id);
                }
            }
            section.rows.push(Row {
                name,
                page,
                count: count(feed.releases.len()),
                latest: site.newest(feed).as_ref().map(Date::new),
                anchor,
                dir,
            });
        }
        Directory { sections }
    }

    fn section(&self, kind: FeedKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }
}

/// The A–Z label of a slug (`#` for one that starts with a digit). Slugs are
/// lowercase ASCII and sorted, so labels come in order.
fn letter(slug: &str) -> char {
    match slug.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase(),
        _ => '#',
    }
}

// ---------------------------------------------------------------- pages

/// The absolute addresses of a feed's files, to copy into a reader.
struct Subscribe {
    heading: &'static str,
    rss: String,
    atom: String,
    json: String,
}

impl Subscribe {
    fn new(info: &FeedInfo<'_>, config: &Config, heading: &'static str) -> Subscribe {
        Subscribe {
            heading,
            rss: info.url(config, RSS_FILE),
            atom: info.url(config, ATOM_FILE),
            json: info.url(config, JSON_FILE),
        }
    }
}

/// What every page's frame needs.
struct Frame<'a> {
    lang: &'a str,
    generator: String,
    canonical: String,
    site_url: &'a str,
    site_name: String,
}

impl<'a> Frame<'a> {
    fn new(config: &'a Config, dir: &str) -> Frame<'a> {
        Frame {
            lang: &config.language,
            generator: format!("{GENERATOR} {VERSION}"),
            canonical: config.output_url(dir),
            site_url: config.site_url.as_str(),
            site_name: config
                .site_url
                .host_str()
                .map(|h| h.trim_start_matches("www.").to_string())
                .unwrap_or_else(|| config.site_url.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    frame: Frame<'a>,
    root: &'static str,
    prefix: &'static str,
    title: String,
    description: String,
    count: String,
    plural: bool,
    latest: Option<Date>,
    subscribe: Subscribe,
    sections: &'a [Section],
    shown: usize,
    total: usize,
    items: Vec<&'a str>,
}

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPage<'a> {
    frame: Frame<'a>,
    root: &'static str,
    title: String,
    name: &'a str,
    description: String,
    section_heading: &'static str,
    section_page: String,
    count: String,
    plural: bool,
    latest: Option<Date>,
    subscribe: Subscribe,
    shown: usize,
    total: usize,
    items: Vec<&'a str>,
}

#[derive(Template)]
#[template(path = "section.html")]
struct SectionPage<'a> {
    frame: Frame<'a>,
    root: &'static str,
    prefix: &'static str,
    site_title: String,
    section: &'a Section,
}

/// The page of one feed. For the global feed this is the output folder's
/// `index.html`: the list of every feed, then the latest releases. `items`
/// are the fragments of its first [`page_items`] releases, written for this
/// page's depth ([`super::ItemFragments::root_page`] for the global feed,
/// [`super::ItemFragments::page`] for the others).
pub fn feed_page<'s>(
    info: &FeedInfo<'_>,
    directory: &Directory,
    items: impl Iterator<Item = &'s str>,
    config: &Config,
) -> Vec<u8> {
    let feed = info.feed;
    let items: Vec<&str> = items.collect();
    let total = feed.releases.len();
    let latest = feed.releases.first().map(|_| Date::new(&info.updated));
    let title = xml_safe(&info.title).into_owned();
    let description = xml_safe(&info.description).into_owned();
    let html = match feed.kind {
        FeedKind::All => IndexPage {
            frame: Frame::new(config, &info.dir),
            root: "",
            prefix: "",
            title,
            description,
            count: count(total),
            plural: total != 1,
            latest,
            subscribe: Subscribe::new(info, config, "Subscribe to every release"),
            sections: &directory.sections,
            shown: items.len(),
            total,
            items,
        }
        .render(),
        kind => FeedPage {
            frame: Frame::new(config, &info.dir),
            root: FEED_ROOT,
            title,
            name: &feed.name,
            description,
            section_heading: directory.section(kind).map_or("", |s| s.heading),
            section_page: format!("{}{PAGE_FILE}", kind.dir()),
            count: count(total),
            plural: total != 1,
            latest,
            subscribe: Subscribe::new(info, config, "Subscribe"),
            shown: items.len(),
            total,
            items,
        }
        .render(),
    };
    finish(html)
}

/// The lists of one kind of feed (`portfolios/index.html`,
/// `ministers/index.html`), as (path, bytes).
pub fn section_pages(directory: &Directory, config: &Config) -> Vec<(String, Vec<u8>)> {
    directory
        .sections
        .iter()
        .filter(|s| s.kind != FeedKind::All)
        .map(|section| {
            let dir = section.kind.dir();
            let page = SectionPage {
                frame: Frame::new(config, dir),
                root: SECTION_ROOT,
                prefix: SECTION_ROOT,
                site_title: xml_safe(&config.title).into_owned(),
                section,
            };
            (format!("{dir}{PAGE_FILE}"), finish(page.render()))
        })
        .collect()
}

/// A rendered document as bytes, ending in a newline. Rendering fails only
/// when writing to a `String` fails, which it does not.
pub(crate) fn finish(rendered: askama::Result<String>) -> Vec<u8> {
    let mut s = rendered.unwrap_or_default();
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(55123), "55,123");
        assert_eq!(count(1234567), "1,234,567");
    }

    #[test]
    fn dates_for_people_and_machines() {
        let d = DateTime::parse_from_rfc3339("2024-03-01T14:30:00+13:00").unwrap();
        let date = Date::new(&d);
        assert_eq!(
            (date.iso.as_str(), date.human.as_str()),
            ("2024-03-01", "1 Mar 2024")
        );
        let d = DateTime::parse_from_rfc3339("0001-12-31T00:00:00+00:00").unwrap();
        assert_eq!(Date::new(&d).iso, "0001-12-31");
    }

    #[test]
    fn letters() {
        assert_eq!(letter("defence"), 'D');
        assert_eq!(letter("2020-taskforce"), '#');
    }
}
