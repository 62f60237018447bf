//! Stage 3: one entry per URL, newest first, and the feeds that carry them:
//! the feeds of each kind of [`KINDS`] (the global feed, one per portfolio
//! and one per minister).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::kinds::{Field, KINDS, Key, Kind};
use crate::names::{self, Resolved, Rules};
use crate::validate::Release;

/// One feed: a name and its releases, newest first.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The entry of [`KINDS`] this feed is of.
    pub kind: &'static Kind,
    /// Empty for the global feed.
    pub slug: String,
    /// Display name; empty for the global feed.
    pub name: String,
    /// Folder of this feed's files relative to the output folder: `""` for
    /// the global feed, else `<kind folder><slug>/` (`portfolios/defence/`).
    pub dir: String,
    /// Indexes into [`Site::releases`], newest first: every release, not
    /// only the ones emitted.
    pub releases: Vec<u32>,
}

impl Feed {
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
    /// The folder of the name's feed, relative to the output folder
    /// (`ministers/phil-goff/`).
    pub dir: String,
}

/// The names of one kind keyed on a list of names, and which of them each
/// release refers to.
#[derive(Debug)]
pub struct NameTable {
    pub field: Field,
    pub names: Vec<Name>,
    /// Per release (same index as [`Site::releases`]), indexes into `names`.
    pub per_release: Vec<Vec<u32>>,
}

/// Releases with their names resolved, and the feeds built from them.
#[derive(Debug)]
pub struct Site {
    /// Newest first; equal dates ordered by URL.
    pub releases: Vec<Release>,
    /// One table per kind of [`KINDS`] that keys on names, in that order.
    pub names: Vec<NameTable>,
    /// The feeds of each kind of [`KINDS`], in that order; within a kind, by
    /// slug.
    pub feeds: Vec<Feed>,
}

impl Site {
    pub fn newest(&self, feed: &Feed) -> Option<DateTime<FixedOffset>> {
        feed.releases
            .first()
            .map(|&i| self.releases[i as usize].date)
    }

    /// The names in `field` of release `index` (none when no kind keys on
    /// that list).
    pub fn names_of(&self, field: Field, index: u32) -> impl Iterator<Item = &Name> {
        self.names
            .iter()
            .filter(move |t| t.field == field)
            .flat_map(move |t| {
                t.per_release[index as usize]
                    .iter()
                    .map(|&n| &t.names[n as usize])
            })
    }
}

/// Groups validated releases into feeds. Duplicate URLs and junk-looking names
/// are reported on `warnings`.
pub fn group(releases: Vec<Release>, config: &Config, warnings: &mut Vec<Diagnostic>) -> Site {
    let releases = dedupe(newest_first(releases), warnings);

    // The names of every kind keyed on names, side by side; their warnings
    // in the kinds' order.
    let named: Vec<(&'static Kind, Field)> = KINDS
        .iter()
        .filter_map(|kind| match kind.key {
            Key::Names(field) => Some((kind, field)),
            Key::Every => None,
        })
        .collect();
    let interned: Vec<(NameTable, Vec<Diagnostic>)> = named
        .par_iter()
        .map(|&(kind, field)| {
            let mut kind_warnings = Vec::new();
            let (names, per_release) = intern(&releases, kind, field, config, &mut kind_warnings);
            let table = NameTable {
                field,
                names,
                per_release,
            };
            (table, kind_warnings)
        })
        .collect();
    let mut names = Vec::with_capacity(interned.len());
    for (table, mut kind_warnings) in interned {
        warnings.append(&mut kind_warnings);
        names.push(table);
    }

    let mut feeds = Vec::new();
    let mut tables = names.iter();
    for kind in &KINDS {
        match kind.key {
            Key::Every => feeds.push(Feed {
                kind,
                slug: String::new(),
                name: String::new(),
                dir: kind.folder.to_string(),
                releases: (0..releases.len() as u32).collect(),
            }),
            Key::Names(_) => {
                let table = tables
                    .next()
                    .expect("one name table per kind keyed on names, in order");
                let mut members: Vec<Vec<u32>> = vec![Vec::new(); table.names.len()];
                for (i, ids) in table.per_release.iter().enumerate() {
                    for &id in ids {
                        members[id as usize].push(i as u32);
                    }
                }
                let mut kind_feeds: Vec<Feed> = table
                    .names
                    .iter()
                    .zip(members)
                    .map(|(n, releases)| Feed {
                        kind,
                        slug: n.slug.clone(),
                        name: n.display.clone(),
                        dir: n.dir.clone(),
                        releases,
                    })
                    .collect();
                kind_feeds.sort_by(|a, b| a.slug.cmp(&b.slug));
                feeds.extend(kind_feeds);
            }
        }
    }
    Site {
        releases,
        names,
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
    kind: &Kind,
    field: Field,
    config: &Config,
    warnings: &mut Vec<Diagnostic>,
) -> (Vec<Name>, Vec<Vec<u32>>) {
    let (what, section) = (field.singular(), field.section());
    let rules = Rules::new(field.rules(config), &config.honorifics);
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
        let mut mine: Vec<u32> = Vec::with_capacity(field.of(r).len());
        for spelling in field.of(r) {
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
                        dir: format!("{}{key}/", kind.folder),
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
