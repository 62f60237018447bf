//! Pages for people: one per feed with its latest releases and how to
//! subscribe, a list of every feed, and one list per kind of feed.
//!
//! Browsers no longer style feeds (Chromium dropped XSLT), so these pages are
//! what a person sees when following a feed link. The templates are the files
//! in `templates/`, compiled in by askama, which escapes every value. Pages
//! need no JavaScript; every link between them is relative (with an explicit
//! `index.html`, so the folder also works opened from disk), and each page
//! carries autodiscovery `<link rel="alternate">` for each of its feed's
//! formats ([`super::FEED_FORMATS`]). Kinds of feed are the entries of
//! [`Site::kinds`]; the lists and the pages' wording iterate them.
//!
//! Paths, relative to the output folder:
//!
//! - `index.html`: every feed (the global one, portfolios, ministers) with
//!   its number of releases, the date of its latest and links to its files,
//!   then the global feed's latest releases: it is the global feed's page;
//! - `<kind folder>index.html` (`portfolios/index.html`): the feeds of one
//!   kind;
//! - `<kind folder><slug>/index.html`: a feed's page.

use askama::Template;
use chrono::{DateTime, Datelike, FixedOffset};

use rayon::prelude::*;

use super::{Chosen, FEED_FORMATS, GENERATOR, Item, Put, Refused, Scope, VERSION, attachment_type};
use crate::config::{Config, Role};
use crate::render::attachment_name;
use crate::site::group::Site;
use crate::site::kinds::Kind;
use crate::site::paths::{self, FEED_ROOT, HISTORY_FOLDER, KIND_ROOT, PAGE_FILE};
use crate::site::plan::{FeedInfo, PagePlan, Plan};
use crate::text::xml_safe;

/// How the pages name the formats and kinds, from [`FEED_FORMATS`] and
/// [`Site::kinds`].
pub struct Wording {
    formats: Formats,
    kinds: Kinds,
}

/// The formats, for templates.
struct Formats {
    list: Vec<FormatLink>,
    /// "RSS, Atom and JSON Feed".
    and: String,
    /// "RSS, Atom or JSON Feed".
    or: String,
    /// "three".
    count: &'static str,
    /// The first format's label, and the others' ("Atom and JSON Feed").
    first: &'static str,
    others: String,
}

struct FormatLink {
    file: &'static str,
    media_type: &'static str,
    label: &'static str,
    short_label: &'static str,
}

/// The kinds, for templates.
struct Kinds {
    /// The OPML groups: "All, Portfolios and Ministers".
    groups: String,
    /// "all releases, each portfolio and each minister".
    each: String,
    /// "a portfolio or a minister".
    one: String,
    /// The lists an item shows, in its order (authors first): "ministers",
    /// "portfolios".
    names: Vec<String>,
}

/// "a, b and c".
fn join(words: &[&str], last: &str) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., end] => format!("{} {last} {end}", init.join(", ")),
    }
}

impl Wording {
    pub fn new(kinds: &[std::sync::Arc<Kind>]) -> Wording {
        let labels: Vec<&str> = FEED_FORMATS.iter().map(|f| f.info().label).collect();
        const COUNTS: [&str; 10] = [
            "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        ];
        let named = || kinds.iter().filter(|k| !k.is_global());
        Wording {
            formats: Formats {
                list: FEED_FORMATS
                    .iter()
                    .map(|f| {
                        let f = f.info();
                        FormatLink {
                            file: f.file,
                            media_type: f.media_type,
                            label: f.label,
                            short_label: f.short_label,
                        }
                    })
                    .collect(),
                and: join(&labels, "and"),
                or: join(&labels, "or"),
                count: COUNTS.get(labels.len()).copied().unwrap_or("several"),
                first: labels.first().copied().unwrap_or(""),
                others: join(labels.get(1..).unwrap_or(&[]), "and"),
            },
            kinds: Kinds {
                groups: join(
                    &kinds.iter().map(|k| k.group.as_str()).collect::<Vec<_>>(),
                    "and",
                ),
                each: join(
                    &kinds.iter().map(|k| k.each.as_str()).collect::<Vec<_>>(),
                    "and",
                ),
                one: join(&named().map(|k| k.one.as_str()).collect::<Vec<_>>(), "or"),
                names: [Role::Authors, Role::Categories]
                    .iter()
                    .flat_map(|role| {
                        kinds.iter().filter_map(move |k| match &k.names {
                            Some((r, plural)) if r == role => Some(plural.clone()),
                            _ => None,
                        })
                    })
                    .collect(),
            },
        }
    }
}

/// A date for people and for `<time datetime>`.
struct Date {
    iso: String,
    human: String,
}

/// Month names; dates show their first three letters (`1 Mar 2024`).
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Date {
    /// The date in the release's own offset (the configured time zone), as
    /// `2024-03-01` and `1 Mar 2024`.
    fn new(d: &DateTime<FixedOffset>) -> Date {
        let (y, m, day) = (d.year(), d.month(), d.day());
        Date {
            iso: format!("{y:04}-{m:02}-{day:02}"),
            human: format!("{day} {} {y}", &month_name(m)[..3]),
        }
    }
}

/// The name of `month` (from 1).
fn month_name(month: u32) -> &'static str {
    MONTHS[(month - 1) as usize]
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
    dir: &'a str,
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
    /// [`PAGE_FILE`], the page in each name's folder.
    page_file: &'static str,
    title: &'a str,
    url: &'a str,
    date: Date,
    /// When a corrected release was last changed.
    updated: Option<Date>,
    summary: &'a str,
    /// Its authors (ministers), then its categories (portfolios), each
    /// linking to its feed's page.
    names: Vec<NameLink<'a>>,
    attachments: Vec<AttachmentLink<'a>>,
}

/// One release as it appears on a page whose path back to the output folder
/// is `root` (`""` or [`paths::FEED_ROOT`]).
pub fn item(item: &Item<'_>, root: &str, config: &Config) -> String {
    let r = item.release;
    let names = item
        .names(config, Role::Authors)
        .chain(item.names(config, Role::Categories))
        .map(|(_, n)| NameLink {
            name: &n.display,
            dir: &n.dir,
        })
        .collect();
    let view = ItemView {
        root,
        page_file: PAGE_FILE,
        title: &r.title,
        url: &r.url,
        date: Date::new(&r.date),
        updated: r.updated().map(|u| Date::new(&u)),
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
    view.render()
        .expect("rendering a template into a String cannot fail")
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
    kind: std::sync::Arc<Kind>,
    id: String,
    heading: String,
    /// Heading of the names column.
    column: String,
    /// Feeds whose newest release is within a year of the archive's
    /// newest, A–Z.
    rows: Vec<Row>,
    letters: Vec<Letter>,
    /// The others, A–Z, listed after them.
    earlier: Vec<Row>,
    earlier_letters: Vec<Letter>,
    /// "Earlier portfolios".
    earlier_heading: String,
}

/// Every feed, by kind, for the lists, and how pages name formats and
/// kinds.
pub struct Directory {
    sections: Vec<Section>,
    wording: Wording,
}

impl Directory {
    pub fn new(site: &Site, config: &Config) -> Directory {
        let mut sections: Vec<Section> = site
            .kinds
            .iter()
            .map(|kind| Section {
                kind: kind.clone(),
                id: kind.id.clone(),
                heading: kind.heading.clone(),
                column: kind.column.clone(),
                rows: Vec::new(),
                letters: Vec::new(),
                earlier: Vec::new(),
                earlier_letters: Vec::new(),
                earlier_heading: format!("Earlier {}", kind.heading.to_lowercase()),
            })
            .collect();
        // A feed is current when its newest release is within a year of
        // the archive's newest (never the clock: output stays the same).
        let cutoff = site
            .releases
            .first()
            .and_then(|r| r.date.checked_sub_months(chrono::Months::new(12)));
        for feed in &site.feeds {
            let section = &mut sections[feed.kind.index];
            let dir = feed.dir.clone();
            let newest = site.newest(feed);
            let current =
                feed.kind.is_global() || matches!((newest, cutoff), (Some(n), Some(c)) if n >= c);
            let (name, page) = match feed.kind.is_global() {
                // The global feed's page is the list itself; its releases
                // follow the lists.
                true => (
                    xml_safe(&config.title).into_owned(),
                    format!("{PAGE_FILE}#latest"),
                ),
                false => (feed.name.clone(), format!("{dir}{PAGE_FILE}")),
            };
            let (rows, letters, id) = match current {
                true => (
                    &mut section.rows,
                    &mut section.letters,
                    section.id.to_string(),
                ),
                false => (
                    &mut section.earlier,
                    &mut section.earlier_letters,
                    format!("{}-earlier", section.id),
                ),
            };
            let mut anchor = None;
            if !feed.kind.is_global() {
                let label = letter(&feed.slug);
                if letters.last().map(|l: &Letter| l.label) != Some(label) {
                    let id = format!(
                        "{id}-{}",
                        if label == '#' {
                            '0'
                        } else {
                            label.to_ascii_lowercase()
                        }
                    );
                    letters.push(Letter {
                        label,
                        anchor: id.clone(),
                    });
                    anchor = Some(id);
                }
            }
            rows.push(Row {
                name,
                page,
                count: count(feed.releases.len()),
                latest: newest.as_ref().map(Date::new),
                anchor,
                dir,
            });
        }
        Directory {
            sections,
            wording: Wording::new(&site.kinds),
        }
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
    links: Vec<SubscribeLink>,
}

struct SubscribeLink {
    file: &'static str,
    media_type: &'static str,
    label: &'static str,
    /// The address, escaped, with a line-break opportunity (`<wbr>`) after
    /// each `/`: on a narrow screen it wraps between its parts, never
    /// inside a word.
    url_breakable: String,
}

/// `url` escaped for HTML, with `<wbr>` after each `/` but those of `//`.
fn breakable(url: &str) -> String {
    let safe = xml_safe(url);
    let mut out = String::with_capacity(safe.len() + 32);
    let mut chars = safe.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
        if c == '/' {
            if chars.peek() == Some(&'/') {
                out.push('/');
                chars.next();
            } else if chars.peek().is_some() {
                out.push_str("<wbr>");
            }
        }
    }
    out
}

impl Subscribe {
    fn new(info: &FeedInfo<'_>, config: &Config, heading: &'static str) -> Subscribe {
        Subscribe {
            heading,
            links: FEED_FORMATS
                .iter()
                .map(|f| {
                    let f = f.info();
                    SubscribeLink {
                        file: f.file,
                        media_type: f.media_type,
                        label: f.label,
                        url_breakable: breakable(&info.url(config, f.file)),
                    }
                })
                .collect(),
        }
    }
}

/// What every page's frame needs.
struct Frame<'a> {
    lang: &'a str,
    /// The list of every feed and the OPML list, from the page.
    home: String,
    opml: String,
    /// [`paths::OPML_FILE`], as the pages name it.
    opml_file: &'static str,
    generator: String,
    canonical: String,
    site_url: &'a str,
    site_name: String,
    icon: Option<&'a str>,
}

impl<'a> Frame<'a> {
    /// The frame of the page at `path` (a file, or a folder for its
    /// [`PAGE_FILE`]), whose way back to the output folder is `root`.
    fn new(config: &'a Config, path: &str, root: &str) -> Frame<'a> {
        Frame {
            lang: &config.language,
            home: format!("{root}{PAGE_FILE}"),
            opml: format!("{root}{}", paths::OPML_FILE),
            opml_file: paths::OPML_FILE,
            generator: format!("{GENERATOR} {VERSION}"),
            canonical: config.output_url(path),
            site_url: config.site_url.as_str(),
            icon: config.icon.as_ref().map(|u| u.as_str()),
            site_name: config
                .site_url
                .host_str()
                .map(|h| h.trim_start_matches("www.").to_string())
                .unwrap_or_else(|| config.site_url.to_string()),
        }
    }
}

/// One year of a feed's history, as its pages link to it.
pub struct YearLink {
    year: i32,
    /// Its page, in the history folder.
    file: String,
    count: String,
}

/// A year before or after a history page's.
struct NextYear {
    year: i32,
    /// Its page, in the same folder.
    file: String,
}

impl NextYear {
    fn new(year: i32) -> NextYear {
        NextYear {
            year,
            file: paths::history_file(year, None),
        }
    }
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage<'a> {
    frame: Frame<'a>,
    root: &'a str,
    /// For the autodiscovery links: the feed's title, its formats, and the
    /// way from the history folder to its documents.
    title: String,
    formats: &'a Formats,
    discovery_prefix: &'a str,
    /// The feed's page, from the history folder.
    feed_page: &'a str,
    site_title: String,
    name: String,
    /// The kind's list: heading and path (none for the global feed).
    section: Option<(&'a str, String)>,
    year: i32,
    /// The page of `year`, in the history folder.
    year_file: String,
    /// The year whose page this is, shown as the current one in the list
    /// of years (`None` on pages that are not a year's).
    current_year: Option<i32>,
    /// What the page lists: `2016`, or `March 2016` for a month's page.
    period: String,
    count: String,
    /// The years before and after this page's, if any. A history page links
    /// those and the feed's list of every year, not every year itself: a
    /// feed of N years writes N pages of constant size, not N pages of N
    /// links (2,000 seeds in 2,000 years wrote 889 MB).
    older: Option<NextYear>,
    newer: Option<NextYear>,
    /// The months of the year, when it has a page per month.
    months: Vec<MonthLink>,
    /// The page of a year that lists its months, not its releases.
    lists_months: bool,
    items: Vec<String>,
}

/// One month of a year with a page per month, as its pages link to it.
pub struct MonthLink {
    name: &'static str,
    file: String,
    count: String,
    current: bool,
}

/// The years of feed `n`, for its pages' links to its history.
fn year_links(plan: &Plan<'_>, n: usize) -> Vec<YearLink> {
    plan.history_of(n)
        .iter()
        .filter(|h| h.month.is_none())
        .map(|h| YearLink {
            year: h.year,
            file: paths::history_file(h.year, None),
            count: count(h.count),
        })
        .collect()
}

/// Writes every history page of `plan` (a year of a feed each, listing
/// every release of it or its months, and a month each of its busiest
/// years; `archived` are the items of [`Plan::archived`]),
/// giving each to `put`. Each page renders its items itself, so no more
/// than the pages being written are in memory.
pub fn write_history(
    plan: &Plan<'_>,
    scope: &Scope,
    archived: &Chosen<Item<'_>>,
    put: &Put<'_>,
) -> Result<(), Refused> {
    // Each feed's years, oldest first.
    let years: Vec<Vec<i32>> = (0..plan.feeds.len())
        .map(|n| {
            let mut ys: Vec<i32> = year_links(plan, n).iter().map(|y| y.year).collect();
            ys.sort_unstable();
            ys
        })
        .collect();
    let config = plan.config;
    let wording = Wording::new(&plan.site.kinds);
    // From a history page to its feed's folder, and the feed's page.
    let up = paths::root_of(HISTORY_FOLDER);
    let feed_page = paths::page(&up);
    plan.history.par_iter().enumerate().try_for_each(|(n, h)| {
        if !scope.history(n) {
            return Ok(());
        }
        let info = &plan.feeds[h.feed];
        let feed = info.feed;
        let path = h.path(plan);
        let page = HistoryPage {
            frame: Frame::new(config, &path, &h.root),
            root: &h.root,
            title: xml_safe(&info.title).into_owned(),
            formats: &wording.formats,
            discovery_prefix: &up,
            feed_page: &feed_page,
            site_title: xml_safe(&config.title).into_owned(),
            name: match feed.kind.is_global() {
                true => xml_safe(&config.title).into_owned(),
                false => feed.name.clone(),
            },
            section: (!feed.kind.is_global()).then(|| {
                (
                    feed.kind.heading.as_str(),
                    format!("{}{PAGE_FILE}", feed.kind.folder),
                )
            }),
            year: h.year,
            year_file: paths::history_file(h.year, None),
            current_year: match h.month {
                None => Some(h.year),
                Some(_) => None,
            },
            period: match h.month {
                None => h.year.to_string(),
                Some(m) => format!("{} {}", month_name(m), h.year),
            },
            count: format!(
                "{} release{}",
                count(h.count),
                if h.count == 1 { "" } else { "s" }
            ),
            older: {
                let ys = &years[h.feed];
                let at = ys.partition_point(|&y| y < h.year);
                at.checked_sub(1).map(|i| NextYear::new(ys[i]))
            },
            newer: {
                let ys = &years[h.feed];
                ys.get(ys.partition_point(|&y| y <= h.year))
                    .map(|&y| NextYear::new(y))
            },
            months: h
                .months
                .iter()
                .map(|&(m, n)| MonthLink {
                    name: month_name(m),
                    file: paths::history_file(h.year, Some(m)),
                    count: count(n),
                    current: h.month == Some(m),
                })
                .collect(),
            lists_months: h.month.is_none() && !h.months.is_empty(),
            items: h
                .entries
                .iter()
                .map(|&e| item(&archived[e as usize], &h.root, config))
                .collect(),
        };
        put(&path, &finish(page.render()))
    })
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    frame: Frame<'a>,
    discovery_prefix: &'static str,
    formats: &'a Formats,
    kinds: &'a Kinds,
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
    years: Vec<YearLink>,
    /// The year whose page this is, shown as the current one in the list
    /// of years (`None` on pages that are not a year's).
    current_year: Option<i32>,
    years_prefix: &'static str,
    year_counts: bool,
}

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPage<'a> {
    frame: Frame<'a>,
    discovery_prefix: &'static str,
    formats: &'a Formats,
    kinds: &'a Kinds,
    root: &'static str,
    title: String,
    name: &'a str,
    description: String,
    section_heading: &'a str,
    section_page: String,
    count: String,
    plural: bool,
    latest: Option<Date>,
    subscribe: Subscribe,
    shown: usize,
    total: usize,
    items: Vec<&'a str>,
    years: Vec<YearLink>,
    /// The year whose page this is, shown as the current one in the list
    /// of years (`None` on pages that are not a year's).
    current_year: Option<i32>,
    years_prefix: &'static str,
    year_counts: bool,
}

#[derive(Template)]
#[template(path = "section.html")]
struct SectionPage<'a> {
    frame: Frame<'a>,
    formats: &'a Formats,
    prefix: &'static str,
    site_title: String,
    section: &'a Section,
}

/// Writes the page of every feed in `plan`, giving each to `put`. The
/// fragments of the items they show are made once for each depth of page
/// that shows them (the output folder's, a feed folder's).
pub fn write_pages(
    plan: &Plan<'_>,
    scope: &Scope,
    items: &Chosen<Item<'_>>,
    directory: &Directory,
    put: &Put<'_>,
) -> Result<(), Refused> {
    let in_scope = |(n, _): &(usize, &PagePlan)| scope.page(*n);
    let mut wanted: Vec<(u32, &str)> = plan
        .pages
        .iter()
        .enumerate()
        .filter(in_scope)
        .flat_map(|(_, page)| page.entries.iter().map(|&e| (e, page.root.as_str())))
        .collect();
    wanted.par_sort_unstable();
    wanted.dedup();
    let fragments: Vec<String> = wanted
        .par_iter()
        .map(|&(e, root)| item(&items[e as usize], root, plan.config))
        .collect();
    let pages: Vec<(usize, &PagePlan)> = plan.pages.iter().enumerate().filter(in_scope).collect();
    pages.into_par_iter().try_for_each(|(_, page)| {
        let shown = page.entries.iter().map(|&e| {
            let at = wanted
                .binary_search(&(e, page.root.as_str()))
                .expect("every item a page shows has its fragment");
            fragments[at].as_str()
        });
        let years = year_links(plan, page.feed);
        let bytes = feed_page(&plan.feeds[page.feed], directory, shown, years, plan.config);
        put(&plan.page_path(page), &bytes)
    })
}

/// The page of one feed. For the global feed this is the output folder's
/// `index.html`: the list of every feed, then the latest releases. `items`
/// are the fragments of its first [`page_items`] releases, written for this
/// page's depth.
pub fn feed_page<'s>(
    info: &FeedInfo<'_>,
    directory: &Directory,
    items: impl Iterator<Item = &'s str>,
    years: Vec<YearLink>,
    config: &Config,
) -> Vec<u8> {
    let feed = info.feed;
    let items: Vec<&str> = items.collect();
    let total = feed.releases.len();
    let latest = feed.releases.first().map(|_| Date::new(&info.newest));
    let title = xml_safe(&info.title).into_owned();
    let description = xml_safe(&info.description).into_owned();
    let wording = &directory.wording;
    let html = match feed.kind.is_global() {
        true => IndexPage {
            frame: Frame::new(config, &feed.dir, ""),
            discovery_prefix: "",
            formats: &wording.formats,
            kinds: &wording.kinds,
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
            years,
            current_year: None,
            years_prefix: HISTORY_FOLDER,
            year_counts: true,
        }
        .render(),
        false => FeedPage {
            frame: Frame::new(config, &feed.dir, FEED_ROOT),
            discovery_prefix: "",
            formats: &wording.formats,
            kinds: &wording.kinds,
            root: FEED_ROOT,
            title,
            name: &feed.name,
            description,
            section_heading: &feed.kind.heading,
            section_page: format!("{}{PAGE_FILE}", feed.kind.folder),
            count: count(total),
            plural: total != 1,
            latest,
            subscribe: Subscribe::new(info, config, "Subscribe"),
            shown: items.len(),
            total,
            items,
            years,
            current_year: None,
            years_prefix: HISTORY_FOLDER,
            year_counts: true,
        }
        .render(),
    };
    finish(html)
}

/// The lists of the kinds with a feed per name (`portfolios/index.html`,
/// `ministers/index.html`), as (path, bytes).
pub fn section_pages(directory: &Directory, config: &Config) -> Vec<(String, Vec<u8>)> {
    directory
        .sections
        .iter()
        .filter(|s| !s.kind.is_global())
        .map(|section| {
            let dir = section.kind.folder.as_str();
            let page = SectionPage {
                frame: Frame::new(config, dir, KIND_ROOT),
                formats: &directory.wording.formats,
                prefix: KIND_ROOT,
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
    let mut s = rendered.expect("rendering a template into a String cannot fail");
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
    fn lists_in_words() {
        assert_eq!(join(&[], "and"), "");
        assert_eq!(join(&["a"], "and"), "a");
        assert_eq!(join(&["a", "b"], "or"), "a or b");
        assert_eq!(join(&["a", "b", "c"], "and"), "a, b and c");
        let w = Wording::new(&crate::site::kinds::kinds(&Config::default()));
        assert_eq!(w.formats.and, "RSS, Atom and JSON Feed");
        assert_eq!(w.kinds.one, "a portfolio or a minister");
    }

    /// WCAG 2.1 AA (1.4.3): every text colour of the stylesheet against its
    /// background, in the light and the dark scheme, has a contrast ratio
    /// of at least 4.5:1; no colour is left to the browser's system
    /// colours (GrayText failed on white).
    #[test]
    fn stylesheet_colours_meet_wcag_aa_contrast() {
        let layout = include_str!("../../templates/layout.html");
        let css = &layout[layout.find("<style>").unwrap()..layout.find("</style>").unwrap()];
        fn luminance(hex: &str) -> f64 {
            let hex = hex.trim_start_matches('#');
            assert_eq!(hex.len(), 6, "{hex}");
            let c = |i: usize| {
                let v = u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64 / 255.0;
                match v <= 0.03928 {
                    true => v / 12.92,
                    false => ((v + 0.055) / 1.055).powf(2.4),
                }
            };
            0.2126 * c(0) + 0.7152 * c(2) + 0.0722 * c(4)
        }
        fn ratio(a: &str, b: &str) -> f64 {
            let (a, b) = (luminance(a), luminance(b));
            (a.max(b) + 0.05) / (a.min(b) + 0.05)
        }
        // The two palettes: `:root{--name:#hex;...}`, light then dark.
        let palettes: Vec<Vec<(&str, &str)>> = css
            .match_indices(":root{")
            .map(|(at, m)| {
                let body = &css[at + m.len()..];
                body[..body.find('}').unwrap()]
                    .split(';')
                    .filter_map(|d| d.split_once(':'))
                    .collect()
            })
            .collect();
        assert_eq!(palettes.len(), 2, "a light and a dark palette");
        assert!(css.contains("@media (prefers-color-scheme:dark){:root{"));
        for palette in &palettes {
            let get = |name: &str| {
                palette
                    .iter()
                    .find(|(n, _)| *n == name)
                    .unwrap_or_else(|| panic!("{name} missing"))
                    .1
            };
            for text in ["--fg", "--muted", "--link", "--visited"] {
                let r = ratio(get(text), get("--bg"));
                assert!(r >= 4.5, "{text} {} on {}: {r:.2}", get(text), get("--bg"));
            }
        }
        // Every colour declaration uses the palette (or inherits from it).
        for (at, _) in css.match_indices("color:") {
            let before = &css[..at];
            if before.ends_with("background-") || before.ends_with("border-") {
                continue;
            }
            let value = &css[at + 6..];
            let value = &value[..value.find([';', '}']).unwrap()];
            assert!(
                value.starts_with("var(--") || value == "inherit",
                "color:{value} is not from the palette"
            );
        }
        assert!(css.contains("background:var(--bg)"));
        assert!(!css.contains("GrayText"));
    }

    #[test]
    fn letters() {
        assert_eq!(letter("defence"), 'D');
        assert_eq!(letter("2020-taskforce"), '#');
    }
}
