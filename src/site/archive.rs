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
//! `<feed folder>archive/<k>/` ([`crate::site::paths`]), with the feed's
//! files (`atom.xml`...).
//!
//! The history pages are one per year of each feed, `<feed
//! folder>history/<year>.html`, listing every release of that year; a year
//! with more than [`MONTHS_ABOVE`] releases lists its months instead, each
//! with a page of its own, `<feed folder>history/<year>-<mm>.html`.

use chrono::{DateTime, Datelike, FixedOffset};

use crate::config::Config;
use crate::site::group::{Feed, Site};

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

/// The archive documents of a feed of `len` releases, oldest first, cut as
/// [`pages`] cuts them but also before a release that would take a
/// document's items past `room` bytes: `bytes(k)` is what release `k` of
/// [`Feed::releases`] (newest first) takes in a document. A document is
/// closed (full) by its count or by the first release that does not fit,
/// and never changes after that: it depends only on releases older than
/// the ones after it. With every document within `room`, the same
/// documents as [`pages`]; a single release bigger than `room` has a
/// document to itself.
pub fn fitted_pages(
    len: usize,
    size: usize,
    room: usize,
    bytes: impl Fn(usize) -> usize,
) -> Vec<ArchivePage> {
    let size = size.max(1);
    let page = |number: usize, from_oldest: usize, to_oldest: usize| ArchivePage {
        number,
        start: len - to_oldest,
        end: len - from_oldest,
    };
    let mut out = Vec::new();
    let (mut from, mut count, mut used) = (0, 0, 0usize);
    for j in 0..len {
        let b = bytes(len - 1 - j);
        if count == size || (count > 0 && used.saturating_add(b) > room) {
            out.push(page(out.len() + 1, from, j));
            (from, count, used) = (j, 0, 0);
        }
        count += 1;
        used = used.saturating_add(b);
    }
    if count == size {
        out.push(page(out.len() + 1, from, len));
        from = len;
    }
    // The newest document, not full (perhaps empty).
    out.push(page(out.len() + 1, from, len));
    out
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

/// The year and month of each release of a site (same index as
/// [`Site::releases`]), as its pages show them (its own date): worked out
/// once for every feed's history.
pub struct Calendar(Vec<(i32, u32)>);

impl Calendar {
    pub fn new(site: &Site) -> Calendar {
        use rayon::prelude::*;
        Calendar(
            site.releases
                .par_iter()
                .map(|r| (r.date.year(), r.date.month()))
                .collect(),
        )
    }
}

/// The years of a feed's releases, newest first (releases are newest first,
/// so each year, and each month of it, is one run of them). Years and
/// months are those of each release's own date, as its pages show it
/// (`calendar`, made from the feed's site).
pub fn years(calendar: &Calendar, feed: &Feed) -> Vec<Year> {
    let at = |i: u32| calendar.0[i as usize];
    runs(&feed.releases, 0, |i| at(i).0)
        .into_iter()
        .map(|(year, start, end)| Year {
            year,
            start,
            end,
            months: match end - start > MONTHS_ABOVE {
                true => runs(&feed.releases[start..end], start, |i| at(i).1)
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

/// Whether the archive is on for `config`.
pub fn enabled(config: &Config) -> bool {
    config.archives
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cut by size, the documents are those of [`pages`] while every one
    /// fits; otherwise each fits (or holds one release), every release is
    /// in exactly one, and full documents stay the same when a newer
    /// release arrives.
    #[test]
    fn fitted_pages_fit_cover_and_never_shift() {
        for len in 0..30 {
            for size in 1..7 {
                assert_eq!(
                    fitted_pages(len, size, usize::MAX, |_| 10),
                    pages(len, size)
                );
                for room in [5, 10, 25, 40] {
                    // Releases of 3 to 17 bytes, by their place from the oldest.
                    let bytes = |len: usize| move |k: usize| 3 + (len - 1 - k) * 7 % 15;
                    let p = fitted_pages(len, size, room, bytes(len));
                    let mut covered: Vec<usize> = p.iter().flat_map(|p| p.start..p.end).collect();
                    covered.sort();
                    assert_eq!(covered, (0..len).collect::<Vec<_>>());
                    for page in &p {
                        let used: usize = (page.start..page.end).map(bytes(len)).sum();
                        assert!(page.end - page.start <= size);
                        assert!(used <= room || page.end - page.start == 1, "{page:?}");
                    }
                    let q = fitted_pages(len + 1, size, room, bytes(len + 1));
                    // All but the newest of `p` are full, and stay as they are
                    // (counted from the oldest).
                    for (a, b) in p.iter().zip(&q).take(p.len() - 1) {
                        assert_eq!(
                            (a.number, a.end - a.start, len - a.end),
                            (b.number, b.end - b.start, len + 1 - b.end)
                        );
                    }
                }
            }
        }
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
