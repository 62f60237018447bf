//! The whole archive within reach: archived feeds (RFC 5005, section 4) and
//! history pages, as a layout of each feed's releases.
//!
//! A feed's releases, counted from its oldest (position 0), are cut into
//! archive documents of [`Config::archive_page_size`] releases each:
//! document `k` (from 1) carries positions `(k - 1) * size .. k * size`. The
//! newest document is the one that is not full; when a feed's count is a
//! multiple of the size it is empty, so a full document always has a newer
//! one and never changes when a release is added with the newest date
//! (only the newest, not full, document does). Each document's folder is
//! `<feed folder>archive/<k>/`, with the feed's files (`atom.xml`...).
//!
//! The history pages are one per year of each feed, `<feed
//! folder>history/<year>.html`, listing every release of that year; a year
//! with more than [`MONTHS_ABOVE`] releases lists its months instead, each
//! with a page of its own, `<feed folder>history/<year>-<mm>.html`.

use chrono::{DateTime, Datelike, FixedOffset};

use crate::config::Config;
use crate::site::group::{Feed, Site};

/// The folder of archive documents of a feed, in the feed's folder.
pub const ARCHIVE_FOLDER: &str = "archive/";
/// The folder of history pages of a feed, in the feed's folder.
pub const HISTORY_FOLDER: &str = "history/";
/// The list of every page, in the output root.
pub const SITEMAP_FILE: &str = "sitemap.xml";

/// One archive document of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivePage {
    /// Its number, from 1 (the oldest).
    pub number: usize,
    /// The releases it carries, as a range of [`Feed::releases`] (which is
    /// newest first): `start..end`.
    pub start: usize,
    pub end: usize,
}

/// The archive documents of a feed of `len` releases, oldest first.
pub fn pages(len: usize, size: usize) -> Vec<ArchivePage> {
    let size = size.max(1);
    (0..=len / size)
        .map(|k| {
            // Positions from the oldest: k*size .. min((k+1)*size, len).
            let from_oldest = k * size;
            let to_oldest = ((k + 1) * size).min(len);
            ArchivePage {
                number: k + 1,
                start: len - to_oldest,
                end: len - from_oldest,
            }
        })
        .collect()
}

/// The folder of archive document `number` of the feed in `dir`.
pub fn page_folder(dir: &str, number: usize) -> String {
    format!("{dir}{ARCHIVE_FOLDER}{number}/")
}

/// The date an archive document gives as its `updated`: that of its newest
/// release, or for an empty one, of the newest release older than it (the
/// epoch when there is none). Never the feed's newest, so a full document
/// keeps its bytes when newer releases arrive.
pub fn page_updated(site: &Site, feed: &Feed, page: &ArchivePage) -> DateTime<FixedOffset> {
    feed.releases
        .get(page.start)
        .map(|&i| site.releases[i as usize].date)
        .unwrap_or(DateTime::UNIX_EPOCH.fixed_offset())
}

/// A year of a feed with more releases than this has a page per month, and
/// its year's page lists the months: each page stays a few hundred
/// kilobytes (a release takes about 600 bytes of a page), readable on a
/// phone. No feed of the real archive has a year this busy but the global
/// one.
pub const MONTHS_ABOVE: usize = 500;

/// One year of a feed's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Year {
    pub year: i32,
    /// Its releases, as a range of [`Feed::releases`] (newest first).
    pub start: usize,
    pub end: usize,
    /// Its months, newest first, when it has more than [`MONTHS_ABOVE`]
    /// releases; empty otherwise.
    pub months: Vec<Month>,
}

/// One month of a year of a feed's history that has a page per month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    /// From 1 (January).
    pub month: u32,
    /// Its releases, as a range of [`Feed::releases`] (newest first).
    pub start: usize,
    pub end: usize,
}

/// The years of a feed's releases, newest first (releases are newest first,
/// so each year, and each month of it, is one run of them). Years and
/// months are those of each release's own date, as its pages show it.
pub fn years(site: &Site, feed: &Feed) -> Vec<Year> {
    let date = |i: u32| site.releases[i as usize].date;
    runs(&feed.releases, 0, |i| date(i).year())
        .into_iter()
        .map(|(year, start, end)| Year {
            year,
            start,
            end,
            months: match end - start > MONTHS_ABOVE {
                true => runs(&feed.releases[start..end], start, |i| date(i).month())
                    .into_iter()
                    .map(|(month, start, end)| Month { month, start, end })
                    .collect(),
                false => Vec::new(),
            },
        })
        .collect()
}

/// The runs of releases with the same `key` in `releases`, which start at
/// position `from` of a feed's list: each as its key and its range of
/// positions, `start..end`.
fn runs<K: PartialEq>(
    releases: &[u32],
    from: usize,
    key: impl Fn(u32) -> K,
) -> Vec<(K, usize, usize)> {
    let mut start = from;
    releases
        .chunk_by(|&a, &b| key(a) == key(b))
        .map(|run| {
            let end = start + run.len();
            (key(run[0]), std::mem::replace(&mut start, end), end)
        })
        .collect()
}

/// The path of a feed's history page for `year`, or for `month` (from 1)
/// of it, relative to the output folder.
pub fn history_path(dir: &str, year: i32, month: Option<u32>) -> String {
    format!("{dir}{HISTORY_FOLDER}{}", history_file(year, month))
}

/// The name of the history page of `year`, or of `month` (from 1) of it,
/// in the feed's history folder.
pub fn history_file(year: i32, month: Option<u32>) -> String {
    match month {
        None => format!("{year}.html"),
        Some(month) => format!("{year}-{month:02}.html"),
    }
}

/// The most URLs one sitemap file may list (sitemaps.org).
pub const SITEMAP_MAX_URLS: usize = 50_000;
/// The most bytes one sitemap file may have (sitemaps.org: 50 MiB).
pub const SITEMAP_MAX_BYTES: usize = 50 << 20;

/// The sitemap (sitemaps.org 0.9) listing every page among `paths`
/// (relative to the output folder; a folder's `index.html` as the folder),
/// sorted, as files to write. No `lastmod`: the sitemap changes only when
/// pages come or go. Within the protocol's limits ([`SITEMAP_MAX_URLS`],
/// [`SITEMAP_MAX_BYTES`]) it is one file, `sitemap.xml`; past them,
/// `sitemap.xml` is a sitemap index listing `sitemap-1.xml`,
/// `sitemap-2.xml`... each within them.
pub fn sitemaps<'p>(
    config: &Config,
    paths: impl Iterator<Item = &'p str>,
) -> Vec<(String, Vec<u8>)> {
    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
    const TAIL: &str = "</urlset>\n";
    let mut pages: Vec<String> = paths
        .filter(|p| p.ends_with(".html"))
        .map(|p| config.output_url(p.strip_suffix(crate::output::PAGE_FILE).unwrap_or(p)))
        .collect();
    pages.sort();
    pages.dedup();
    let mut files: Vec<String> = Vec::new();
    let mut out = String::from(HEAD);
    let mut urls = 0;
    for url in pages {
        let line = format!("<url><loc>{}</loc></url>\n", escape_xml(&url));
        if urls == SITEMAP_MAX_URLS || out.len() + line.len() + TAIL.len() > SITEMAP_MAX_BYTES {
            out.push_str(TAIL);
            files.push(std::mem::replace(&mut out, String::from(HEAD)));
            urls = 0;
        }
        out.push_str(&line);
        urls += 1;
    }
    out.push_str(TAIL);
    files.push(out);
    if files.len() == 1 {
        return vec![(SITEMAP_FILE.to_string(), files.remove(0).into_bytes())];
    }
    let mut index = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut all = Vec::with_capacity(files.len() + 1);
    for (n, file) in files.into_iter().enumerate() {
        let name = format!("sitemap-{}.xml", n + 1);
        index.push_str(&format!(
            "<sitemap><loc>{}</loc></sitemap>\n",
            escape_xml(&config.output_url(&name))
        ));
        all.push((name, file.into_bytes()));
    }
    index.push_str("</sitemapindex>\n");
    all.insert(0, (SITEMAP_FILE.to_string(), index.into_bytes()));
    all
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `path` (relative to the output folder) is an archive document:
/// `<feed folder>archive/<n>/<file>` (a feed whose slug is `archive` has
/// its files in `<kind>/archive/`, with no number after it).
pub fn is_archive_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() >= 3
        && parts[parts.len() - 3] == ARCHIVE_FOLDER.trim_end_matches('/')
        && !parts[parts.len() - 2].is_empty()
        && parts[parts.len() - 2].bytes().all(|b| b.is_ascii_digit())
}

/// Whether the archive is on for `config`.
pub fn enabled(config: &Config) -> bool {
    config.archives
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past 50,000 pages the sitemap is an index of files of at most
    /// 50,000 URLs each, every page in exactly one; below, one file.
    #[test]
    fn a_sitemap_past_the_protocols_limit_is_split_under_an_index() {
        let config = Config::default();
        let paths: Vec<String> = (0..120_001).map(|n| format!("p/{n}.html")).collect();
        let files = sitemaps(&config, paths.iter().map(String::as_str));
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "sitemap.xml",
                "sitemap-1.xml",
                "sitemap-2.xml",
                "sitemap-3.xml"
            ]
        );
        let index = String::from_utf8(files[0].1.clone()).unwrap();
        assert!(index.contains("<sitemapindex"), "{index}");
        assert_eq!(index.matches("<sitemap><loc>").count(), 3);
        let mut total = 0;
        for (_, bytes) in &files[1..] {
            let text = std::str::from_utf8(bytes).unwrap();
            let urls = text.matches("<url>").count();
            assert!(urls <= SITEMAP_MAX_URLS && bytes.len() <= SITEMAP_MAX_BYTES);
            total += urls;
        }
        assert_eq!(total, 120_001);
        let small = sitemaps(&config, paths[..10].iter().map(String::as_str));
        assert_eq!(small.len(), 1);
        assert!(String::from_utf8_lossy(&small[0].1).contains("<urlset"));
    }

    #[test]
    fn archive_paths() {
        assert!(is_archive_path("archive/3/atom.xml"));
        assert!(is_archive_path("portfolios/defence/archive/12/rss.xml"));
        assert!(!is_archive_path("portfolios/archive/atom.xml"));
        assert!(is_archive_path("portfolios/archive/archive/1/atom.xml"));
        assert!(!is_archive_path("atom.xml"));
    }

    /// Pages never shift: adding a newest release changes only the last
    /// page, and full pages keep their releases counted from the oldest.
    #[test]
    fn pages_are_counted_from_the_oldest() {
        assert_eq!(
            pages(0, 3),
            vec![ArchivePage {
                number: 1,
                start: 0,
                end: 0
            }]
        );
        // 7 releases, newest first: indexes 0..7; the oldest three (4..7)
        // are page 1, 1..4 page 2, 0..1 page 3.
        let p = pages(7, 3);
        assert_eq!(
            p.iter()
                .map(|p| (p.number, p.start, p.end))
                .collect::<Vec<_>>(),
            vec![(1, 4, 7), (2, 1, 4), (3, 0, 1)]
        );
        // A multiple of the size: the newest page is empty.
        let p = pages(6, 3);
        assert_eq!(
            p.iter()
                .map(|p| (p.number, p.start, p.end))
                .collect::<Vec<_>>(),
            vec![(1, 3, 6), (2, 0, 3), (3, 0, 0)]
        );
        // Every release in exactly one page, whatever the count.
        for len in 0..40 {
            for size in 1..9 {
                let p = pages(len, size);
                let mut covered: Vec<usize> = p.iter().flat_map(|p| p.start..p.end).collect();
                covered.sort();
                assert_eq!(covered, (0..len).collect::<Vec<_>>());
                // Full pages are the same pages with one more release.
                let q = pages(len + 1, size);
                for (a, b) in p.iter().zip(&q) {
                    if a.end - a.start == size {
                        assert_eq!((a.end - a.start), (b.end - b.start));
                        assert_eq!(a.number, b.number);
                    }
                }
            }
        }
    }
}
