//! Stage 3: one entry per URL, newest first, and the feeds that carry them:
//! the global feed, one per portfolio and one per minister.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::config::{Config, NameRules};
use crate::diag::Diagnostic;
use crate::names::{self, Resolved, Rules};
use crate::validate::Release;

/// Which list a feed belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeedKind {
    All,
    Portfolio,
    Minister,
}

impl FeedKind {
    /// The folder the kind's feeds live in, relative to the output folder.
    pub fn dir(self) -> &'static str {
        match self {
            FeedKind::All => "",
            FeedKind::Portfolio => "portfolios/",
            FeedKind::Minister => "ministers/",
        }
    }
}

/// One feed: a name and its releases, newest first.
#[derive(Debug, Clone)]
pub struct Feed {
    pub kind: FeedKind,
    /// Empty for the global feed.
    pub slug: String,
    /// Display name; empty for the global feed.
    pub name: String,
    /// Indexes into [`Site::releases`], newest first: every release, not
    /// only the ones emitted.
    pub releases: Vec<u32>,
}

impl Feed {
    /// Folder of this feed's files relative to the output folder: `""`,
    /// `portfolios/<slug>/` or `ministers/<slug>/`.
    pub fn dir(&self) -> String {
        match self.kind {
            FeedKind::All => String::new(),
            kind => format!("{}{}/", kind.dir(), self.slug),
        }
    }

    /// The releases the feed emits, given the configured limit.
    pub fn emitted(&self, limit: Option<usize>) -> &[u32] {
        let n = limit.map_or(self.releases.len(), |l| l.min(self.releases.len()));
        &self.releases[..n]
    }
}

/// A named thing a release refers to (a minister or a portfolio).
#[derive(Debug, Clone)]
pub struct Name {
    pub slug: String,
    pub display: String,
}

/// Releases with their names resolved, and the feeds built from them.
#[derive(Debug)]
pub struct Site {
    /// Newest first; equal dates ordered by URL.
    pub releases: Vec<Release>,
    /// Per release (same index), indexes into `ministers`.
    pub release_ministers: Vec<Vec<u32>>,
    pub release_portfolios: Vec<Vec<u32>>,
    pub ministers: Vec<Name>,
    pub portfolios: Vec<Name>,
    /// The global feed first, then portfolios, then ministers, each by slug.
    pub feeds: Vec<Feed>,
}

impl Site {
    pub fn newest(&self, feed: &Feed) -> Option<DateTime<FixedOffset>> {
        feed.releases
            .first()
            .map(|&i| self.releases[i as usize].date)
    }
}

/// Groups validated releases into feeds. Duplicate URLs and junk-looking names
/// are reported on `warnings`.
pub fn group(releases: Vec<Release>, config: &Config, warnings: &mut Vec<Diagnostic>) -> Site {
    let releases = dedupe(newest_first(releases), warnings);

    // Ministers and portfolios side by side; their warnings in that order.
    let (mut minister_warnings, mut portfolio_warnings) = (Vec::new(), Vec::new());
    let ((ministers, release_ministers), (portfolios, release_portfolios)) = rayon::join(
        || {
            intern(
                &releases,
                |r| &r.ministers,
                &config.ministers,
                config,
                "minister",
                "ministers",
                &mut minister_warnings,
            )
        },
        || {
            intern(
                &releases,
                |r| &r.portfolios,
                &config.portfolios,
                config,
                "portfolio",
                "portfolios",
                &mut portfolio_warnings,
            )
        },
    );
    warnings.append(&mut minister_warnings);
    warnings.append(&mut portfolio_warnings);

    let mut feeds = vec![Feed {
        kind: FeedKind::All,
        slug: String::new(),
        name: String::new(),
        releases: (0..releases.len() as u32).collect(),
    }];
    for (kind, names, per_release) in [
        (FeedKind::Portfolio, &portfolios, &release_portfolios),
        (FeedKind::Minister, &ministers, &release_ministers),
    ] {
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); names.len()];
        for (i, ids) in per_release.iter().enumerate() {
            for &id in ids {
                members[id as usize].push(i as u32);
            }
        }
        let mut kind_feeds: Vec<Feed> = names
            .iter()
            .zip(members)
            .map(|(n, releases)| Feed {
                kind,
                slug: n.slug.clone(),
                name: n.display.clone(),
                releases,
            })
            .collect();
        kind_feeds.sort_by(|a, b| a.slug.cmp(&b.slug));
        feeds.extend(kind_feeds);
    }
    Site {
        releases,
        release_ministers,
        release_portfolios,
        ministers,
        portfolios,
        feeds,
    }
}

/// Newest first; ties by URL then path, so the order never depends on the
/// order files were read in. Sorts small keys rather than whole releases
/// (most comparisons are settled by the date alone), then moves each
/// release once.
fn newest_first(releases: Vec<Release>) -> Vec<Release> {
    let mut order: Vec<(i64, u32, u32)> = releases
        .par_iter()
        .enumerate()
        .map(|(i, r)| {
            (
                r.date.timestamp(),
                r.date.timestamp_subsec_nanos(),
                i as u32,
            )
        })
        .collect();
    order.par_sort_unstable_by(|a, b| {
        (b.0, b.1).cmp(&(a.0, a.1)).then_with(|| {
            let (x, y) = (&releases[a.2 as usize], &releases[b.2 as usize]);
            x.url.cmp(&y.url).then_with(|| x.path.cmp(&y.path))
        })
    });
    let mut slots: Vec<Option<Release>> = releases.into_iter().map(Some).collect();
    order
        .iter()
        .filter_map(|&(.., i)| slots[i as usize].take())
        .collect()
}

/// Keeps one release per URL: the newest, then the first by path. The
/// warning names every file involved.
fn dedupe(mut releases: Vec<Release>, warnings: &mut Vec<Diagnostic>) -> Vec<Release> {
    // The first release with each URL, and the others with it: one hash
    // map entry per release, one list per duplicated URL only.
    let mut first: FxHashMap<&str, usize> = FxHashMap::default();
    first.reserve(releases.len());
    let mut dups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, r) in releases.iter().enumerate() {
        let f = *first.entry(r.url.as_str()).or_insert(i);
        if f != i {
            dups.entry(f).or_insert_with(|| vec![f]).push(i);
        }
    }
    let mut dropped = vec![false; releases.len()];
    for mut group in dups.into_values() {
        // Releases are sorted newest first, ties by path: the first one wins.
        group.sort_by(|&a, &b| {
            releases[b]
                .date
                .cmp(&releases[a].date)
                .then_with(|| releases[a].path.cmp(&releases[b].path))
        });
        let keep = &releases[group[0]];
        let others: Vec<String> = group[1..]
            .iter()
            .map(|&i| crate::diag::shown(&releases[i].path).to_string())
            .collect();
        for &i in &group[1..] {
            dropped[i] = true;
        }
        warnings.push(
            Diagnostic::warning(
                &keep.path,
                0,
                0,
                format!(
                    "{} files have the url {}: this one is published, {} {} not",
                    group.len(),
                    keep.url,
                    others.join(", "),
                    if others.len() == 1 { "is" } else { "are" },
                ),
            )
            .with_hint("delete the duplicate files, or give each release its own url"),
        );
    }
    // In place: releases move only after the first one dropped.
    let mut dropped = dropped.into_iter();
    releases.retain(|_| !dropped.next().unwrap_or(false));
    releases
}

/// Maps every spelling of one kind of name to a feed. The display name is
/// the spelling on the newest release (or the alias target when an alias
/// applies). Returns the names and, per release, the ids it refers to.
fn intern(
    releases: &[Release],
    names_of: impl Fn(&Release) -> &Vec<String>,
    rules: &NameRules,
    config: &Config,
    what: &str,
    section: &str,
    warnings: &mut Vec<Diagnostic>,
) -> (Vec<Name>, Vec<Vec<u32>>) {
    let rules = Rules::new(rules, &config.honorifics);
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut table: Vec<Name> = Vec::new();
    let mut per_release = Vec::with_capacity(releases.len());
    // Spellings that look like junk: the newest file using each, how many
    // releases use it, and why it looks wrong.
    let mut junk: BTreeMap<&str, (&PathBuf, usize, &'static str)> = BTreeMap::new();
    // Each distinct spelling is resolved (slug, aliases, junk check) once:
    // its feed (None when dropped) and whether it looks like junk.
    let mut by_spelling: FxHashMap<&str, (Option<u32>, bool)> = FxHashMap::default();
    for r in releases {
        let mut mine: Vec<u32> = Vec::with_capacity(names_of(r).len());
        for spelling in names_of(r) {
            let (id, is_junk) = *by_spelling.entry(spelling.as_str()).or_insert_with(|| {
                let (key, fixed) = match rules.resolve(spelling) {
                    Resolved::Dropped => return (None, false),
                    Resolved::Keep { key, fixed } => (key, fixed),
                };
                let junk_reason = fixed
                    .is_none()
                    .then(|| names::looks_like_junk(spelling))
                    .flatten();
                if let Some(why) = junk_reason {
                    junk.insert(spelling.as_str(), (&r.path, 0, why));
                }
                let id = *ids.entry(key).or_insert_with_key(|key| {
                    table.push(Name {
                        slug: key.clone(),
                        display: fixed.unwrap_or_else(|| spelling.clone()),
                    });
                    (table.len() - 1) as u32
                });
                (Some(id), junk_reason.is_some())
            });
            if is_junk && let Some(j) = junk.get_mut(spelling.as_str()) {
                j.1 += 1;
            }
            if let Some(id) = id.filter(|id| !mine.contains(id)) {
                mine.push(id);
            }
        }
        per_release.push(mine);
    }
    for (spelling, (path, count, why)) in junk {
        warnings.push(
            Diagnostic::warning(
                path,
                0,
                0,
                format!("{what} {spelling:?} {why} (in {count} release(s))"),
            )
            .with_hint(format!(
                "in pressfeed.toml, map it to the right name under [{section}] aliases, or list it under [{section}] drop"
            )),
        );
    }
    (table, per_release)
}
