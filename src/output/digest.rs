//! What each file of the plan is made of, as a digest, worked out before
//! anything is rendered: a file whose digest is the one its last build
//! recorded (and which nobody changed since) would come out byte for byte
//! the same, so an incremental build leaves it alone (see
//! [`crate::delivery::state`]).
//!
//! A digest covers everything the writers read to make the file, apart from
//! what every file depends on (the configuration and the pressfeed
//! executable, which the state's salt covers):
//!
//! - each item it carries or shows, by [`item_key`]: the seed's path and
//!   bytes, what grouping changed of the release (its date, id and
//!   `updated` when it shares a URL with another), and its names as the
//!   site spells them;
//! - the feed: title, description, address, dates, name and folder;
//! - the document's kind, folder and links, or the page's year, month and
//!   list of years.
//!
//! Positions in the site's lists (release and feed indexes) shift when a
//! release is added, so a digest never uses them: it uses the items' keys.
//! A new field a writer reads must be added here; the differential test
//! (`tests/incremental.rs`) compares incremental builds with full ones after
//! random changes and fails when one is missed.

use crate::site::group::Site;
use crate::site::plan::{DocumentKind, FeedInfo, HistoryPlan, Plan, Target};

/// A BLAKE3 digest.
pub type Digest = [u8; 32];

/// Length-prefixed values, hashed together when done, so that no two
/// sequences of values hash alike. (Gathered first and hashed once: BLAKE3
/// takes many tiny updates at several times the cost of one.)
struct Feed(Vec<u8>);

impl Feed {
    fn new(tag: &str) -> Feed {
        let mut f = Feed(Vec::with_capacity(512));
        f.str(tag);
        f
    }
    fn str(&mut self, s: &str) -> &mut Feed {
        self.0.extend_from_slice(&(s.len() as u64).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    fn num(&mut self, n: i64) -> &mut Feed {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }
    fn digest(&mut self, d: &Digest) -> &mut Feed {
        self.0.extend_from_slice(d);
        self
    }
    fn finish(&self) -> Digest {
        *blake3::hash(&self.0).as_bytes()
    }
}

/// The key of release `index` of `site`, whose seed's bytes hash to
/// `seed`: what every file that carries it sees of it.
pub fn item_key(site: &Site, index: u32, seed: &Digest) -> Digest {
    let mut f = Feed::new("item");
    f.digest(seed);
    // The release is what the seed's bytes and path make of it (with the
    // configuration, which the state's salt covers), but for what grouping
    // changes: the date and id of a release sharing its URL with another.
    let release = &site.releases[index as usize];
    f.str(&release.path.to_string_lossy())
        .num(release.date.timestamp())
        .num(release.date.timestamp_subsec_nanos() as i64)
        .num(release.date.offset().local_minus_utc() as i64);
    match &release.amended {
        None => f.num(0),
        Some(a) => f
            .num(1)
            .str(a.id.as_deref().unwrap_or("\0"))
            .str(&a.updated.map_or(String::new(), |u| u.to_rfc3339())),
    };
    for table in &site.names {
        f.num(-1);
        for name in table.of(index) {
            f.str(&name.slug).str(&name.display).str(&name.dir);
        }
    }
    f.finish()
}

/// The digest of the file at `path` made from what `of` digests.
pub fn file(of: &Digest, path: &str) -> Digest {
    let mut f = Feed::new("file");
    f.digest(of).str(path);
    f.finish()
}

/// What every file of a feed says of it. Not its dates or its count,
/// which only some files show (a new release changes them, and must not
/// change the digest of a file that does not show them).
fn feed_info(f: &mut Feed, info: &FeedInfo<'_>) {
    let feed = info.feed;
    f.str(&info.title)
        .str(&info.description)
        .str(&info.home_url)
        .num(feed.kind.index as i64)
        .str(&feed.slug)
        .str(&feed.name)
        .str(&feed.dir);
}

/// The digests of every document of `plan` (same order as
/// [`Plan::documents`]); `keys` are the items' keys, by release index.
pub fn documents(plan: &Plan<'_>, keys: &[Digest]) -> Vec<Digest> {
    use rayon::prelude::*;
    plan.documents
        .par_iter()
        .map(|doc| {
            let mut f = Feed::new("document");
            feed_info(&mut f, &plan.feeds[doc.feed]);
            f.str(&doc.folder);
            match doc.kind {
                DocumentKind::Subscription => {
                    f.num(0).str(&plan.feeds[doc.feed].updated.to_rfc3339())
                }
                DocumentKind::Archive { updated } => f.num(1).str(&updated.to_rfc3339()),
            };
            for link in &doc.links {
                f.str(link.rel.name());
                match &link.target {
                    Target::Document(folder) => f.num(0).str(folder),
                    Target::Url(url) => f.num(1).str(url),
                };
            }
            let list = plan.list(doc.kind);
            f.num(doc.entries.len() as i64);
            for &e in &doc.entries {
                f.digest(&keys[list[e as usize] as usize]);
            }
            f.finish()
        })
        .collect()
}

/// The years of a feed (its history pages' year pages), with how many
/// releases each has when `counts`.
fn years(f: &mut Feed, history: &[HistoryPlan], counts: bool) {
    for h in history.iter().filter(|h| h.month.is_none()) {
        f.num(h.year as i64);
        if counts {
            f.num(h.count as i64);
        }
    }
    f.num(-1);
}

/// The digests of the page of every feed of `plan` (same order as
/// [`Plan::pages`]); `None` for the global feed's page, the list of every
/// feed, which shows every feed's count and date and is always made.
pub fn pages(plan: &Plan<'_>, keys: &[Digest]) -> Vec<Option<Digest>> {
    plan.pages
        .iter()
        .map(|page| {
            let info = &plan.feeds[page.feed];
            if info.feed.kind.is_global() {
                return None;
            }
            let mut f = Feed::new("page");
            feed_info(&mut f, info);
            f.str(&page.root)
                .str(&info.newest.to_rfc3339())
                .num(info.feed.releases.len() as i64);
            years(&mut f, plan.history_of(page.feed), true);
            f.num(page.entries.len() as i64);
            for &e in &page.entries {
                f.digest(&keys[plan.carried[e as usize] as usize]);
            }
            Some(f.finish())
        })
        .collect()
}

/// The digests of every history page of `plan` (same order as
/// [`Plan::history`]).
pub fn history(plan: &Plan<'_>, keys: &[Digest]) -> Vec<Digest> {
    use rayon::prelude::*;
    plan.history
        .par_iter()
        .map(|h| {
            let mut f = Feed::new("history");
            feed_info(&mut f, &plan.feeds[h.feed]);
            f.num(h.year as i64)
                .num(h.month.map_or(0, i64::from))
                .num(h.count as i64)
                .str(&h.root);
            f.num(h.months.len() as i64);
            for &(m, n) in &h.months {
                f.num(m as i64).num(n as i64);
            }
            years(&mut f, plan.history_of(h.feed), false);
            f.num(h.entries.len() as i64);
            for &e in &h.entries {
                f.digest(&keys[plan.archived[e as usize] as usize]);
            }
            f.finish()
        })
        .collect()
}
