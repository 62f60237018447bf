//! Stage 3: one entry per URL, newest first, and the feeds that carry them:
//! the feeds of each kind of [`kinds`] (the global feed, then one per name
//! of each taxonomy: portfolios, ministers, and those declared).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::config::{Config, Taxonomy};
use crate::diag::Diagnostic;
use crate::input::names::{self, Resolved, Rules};
use crate::input::validate::Release;
use crate::site::kinds::{self, Key, Kind, kinds};
use crate::text::with_article;

/// One feed: a name and its releases, newest first.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The kind this feed is of, an entry of [`Site::kinds`].
    pub kind: Arc<Kind>,
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Name {
    pub slug: String,
    pub display: String,
    /// The folder of the name's feed, relative to the output folder
    /// (`ministers/phil-goff/`).
    pub dir: String,
}

/// The names of one kind keyed on a list of names, and which of them each
/// release refers to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NameTable {
    /// The taxonomy's place in [`Config::taxonomies`].
    pub taxonomy: usize,
    pub names: Vec<Name>,
    /// Per release (same index as [`Site::releases`]), indexes into `names`.
    pub per_release: Lists,
    /// What grouping settled about these names, beyond the site itself.
    pub facts: NameFacts,
}

/// What grouping settled about the names of one taxonomy that the site
/// does not show: kept with the build state, so that a later run can tell
/// whether a new release changes any of it (see [`crate::site::regroup`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NameFacts {
    /// Per name: how many releases have it.
    pub uses: Vec<u32>,
    /// Per name: whether a warning of grouping (`check`'s word on names)
    /// is about it.
    pub warned: Vec<bool>,
    /// Per name: the first spelling grouping met (on the newest release),
    /// which its display name and its warnings are made from.
    pub first: Vec<String>,
    /// Every spelling grouping met, sorted, with the name it stands for
    /// (`None`: dropped by the configuration).
    pub spellings: Vec<(String, Option<u32>)>,
}

impl NameTable {
    /// The names release `index` refers to.
    pub fn of(&self, index: u32) -> impl Iterator<Item = &Name> {
        self.per_release
            .get(index as usize)
            .iter()
            .map(|&n| &self.names[n as usize])
    }
}

/// A list of numbers per release, kept in two flat vectors: a million
/// releases' names are two allocations, not a million.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lists {
    items: Vec<u32>,
    /// Where each list ends in `items`.
    ends: Vec<u32>,
}

impl Lists {
    pub fn with_capacity(lists: usize) -> Lists {
        Lists {
            items: Vec::with_capacity(lists * 2),
            ends: Vec::with_capacity(lists),
        }
    }

    /// Adds a list after the others.
    pub fn push(&mut self, list: &[u32]) {
        self.items.extend_from_slice(list);
        self.ends.push(self.items.len() as u32);
    }

    /// List `i`.
    pub fn get(&self, i: usize) -> &[u32] {
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] as usize,
        };
        &self.items[start..self.ends[i] as usize]
    }

    /// How many lists it holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every list, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u32]> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Every number of every list.
    pub fn flat(&self) -> &[u32] {
        &self.items
    }

    /// `front`'s lists, then these.
    pub fn after(mut front: Lists, rest: &Lists) -> Lists {
        let shift = front.items.len() as u32;
        front.items.extend_from_slice(&rest.items);
        front.ends.extend(rest.ends.iter().map(|e| e + shift));
        front
    }

    /// Whether its ends are in order and within its items, and every
    /// number is below `bound`.
    pub fn valid(&self, bound: usize) -> bool {
        self.ends.windows(2).all(|w| w[0] <= w[1])
            && self.ends.last().map_or(0, |&e| e as usize) == self.items.len()
            && self.items.iter().all(|&n| (n as usize) < bound)
    }
}

/// Releases with their names resolved, and the feeds built from them.
#[derive(Debug)]
pub struct Site {
    /// Newest first; equal dates ordered by URL.
    /// Shared with the state's table of seeds (see
    /// [`crate::delivery::state`]): grouping copies only the few it changes.
    pub releases: Vec<Arc<Release>>,
    /// One table per kind of [`Site::kinds`] that keys on names, in that
    /// order.
    pub names: Vec<NameTable>,
    /// Every kind of feed ([`kinds::kinds`]).
    pub kinds: Vec<Arc<Kind>>,
    /// The feeds of each kind of [`Site::kinds`], in that order; within a
    /// kind, by slug.
    pub feeds: Vec<Feed>,
}

impl Site {
    pub fn newest(&self, feed: &Feed) -> Option<DateTime<FixedOffset>> {
        feed.releases
            .first()
            .map(|&i| self.releases[i as usize].date)
    }

    /// The names of taxonomy `taxonomy` (its place in
    /// [`Config::taxonomies`]) on release `index`.
    pub fn names_of(&self, taxonomy: usize, index: u32) -> impl Iterator<Item = &Name> {
        self.names
            .iter()
            .filter(move |t| t.taxonomy == taxonomy)
            .flat_map(move |t| t.of(index))
    }
}

/// Groups validated releases into feeds. Duplicate URLs and junk-looking names
/// are reported on `warnings`.
pub fn group(releases: Vec<Arc<Release>>, config: &Config, warnings: &mut Vec<Diagnostic>) -> Site {
    let releases = dedupe(newest_first(releases), warnings);

    // The names of every kind keyed on names, side by side; their warnings
    // in the kinds' order.
    let kinds = kinds(config);
    let named: Vec<(&Kind, usize)> = kinds
        .iter()
        .filter_map(|kind| match kind.key {
            Key::Names(taxonomy) => Some((&**kind, taxonomy)),
            Key::Every => None,
        })
        .collect();
    let interned: Vec<(NameTable, Vec<Diagnostic>)> = named
        .par_iter()
        .map(|&(kind, taxonomy)| {
            let mut kind_warnings = Vec::new();
            let (names, per_release, facts) = intern(
                &releases,
                kind,
                taxonomy,
                &config.taxonomies[taxonomy],
                &mut kind_warnings,
            );
            let table = NameTable {
                taxonomy,
                names,
                per_release,
                facts,
            };
            (table, kind_warnings)
        })
        .collect();
    let mut names = Vec::with_capacity(interned.len());
    for (table, mut kind_warnings) in interned {
        warnings.append(&mut kind_warnings);
        names.push(table);
    }

    report_new_names(&releases, &names, config, warnings);

    let feeds = feeds(&kinds, &names, releases.len());
    Site {
        releases,
        names,
        kinds,
        feeds,
    }
}

/// The feeds of every kind of `kinds`, from the name tables of a site of
/// `len` releases (one table per kind keyed on names, in order): the
/// global feed holds every release; a name's feed, the releases that have
/// it; within a kind, feeds are ordered by slug.
pub fn feeds(kinds: &[Arc<Kind>], names: &[NameTable], len: usize) -> Vec<Feed> {
    let mut feeds = Vec::new();
    let mut tables = names.iter();
    for kind in kinds {
        match kind.key {
            Key::Every => feeds.push(Feed {
                kind: kind.clone(),
                slug: String::new(),
                name: String::new(),
                dir: kind.folder.to_string(),
                releases: (0..len as u32).collect(),
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
                        kind: kind.clone(),
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
    feeds
}

/// A release that brings more names no other release has than
/// [`Config::max_new_names_per_seed`] is a warning naming it: each such
/// name is a feed of its own (documents, archive, page, history), so one
/// seed listing a hundred made-up names adds hundreds of files. Linear in
/// the names of every release.
fn report_new_names(
    releases: &[Arc<Release>],
    tables: &[NameTable],
    config: &Config,
    warnings: &mut Vec<Diagnostic>,
) {
    let Some(max) = config.max_new_names_per_seed else {
        return;
    };
    let uses: Vec<&[u32]> = tables.iter().map(|t| &t.facts.uses[..]).collect();
    let alone = |t: usize, i: usize| {
        tables[t]
            .per_release
            .get(i)
            .iter()
            .filter(|&&id| uses[t][id as usize] == 1)
            .count()
    };
    for (i, r) in releases.iter().enumerate() {
        let total: usize = (0..tables.len()).map(|t| alone(t, i)).sum();
        if total <= max {
            continue;
        }
        let parts: Vec<String> = (0..tables.len())
            .map(|t| (alone(t, i), &config.taxonomies[tables[t].taxonomy].plural))
            .filter(|(n, _)| *n > 0)
            .map(|(n, plural)| format!("{n} {plural}"))
            .collect();
        warnings.push(
            Diagnostic::warning(
                &r.path,
                0,
                0,
                format!(
                    "brings {total} names no other release has ({}), more than max_new_names_per_seed ({max}): each is a feed of its own, with its documents and pages",
                    parts.join(", ")
                ),
            )
            .with_hint("list only the names the release is about: map other spellings to existing names with aliases, or leave junk out with drop (under [ministers], [portfolios] or [taxonomies.<key>] in pressfeed.toml); if they are right, raise max_new_names_per_seed"),
        );
    }
}

/// Newest first; ties by URL then path, so the order never depends on the
/// order files were read in. Sorts small keys rather than whole releases
/// (most comparisons are settled by the date alone), then moves each
/// release once.
pub fn newest_first(releases: Vec<Arc<Release>>) -> Vec<Arc<Release>> {
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
    let mut slots: Vec<Option<Arc<Release>>> = releases.into_iter().map(Some).collect();
    order
        .iter()
        .filter_map(|&(.., i)| slots[i as usize].take())
        .collect()
}

/// Two releases with one URL, the same title (as slugs fold titles) and
/// dates at most this many days apart are one release, updated.
pub const UPDATE_DAYS: i64 = 7;

/// Releases that share a URL. True duplicates (the same body, whitespace
/// aside) are one entry, silently: the newest, then the first by path. Of
/// the others, a release with the same title as the one before it and a date
/// at most [`UPDATE_DAYS`] later is that release updated: published once,
/// with the later text, the earlier date and `updated` set to the later
/// date. Every other release is published on its own: the earliest keeps
/// the URL as its entry id, each later one gets the id `URL#YYYY-MM-DD`
/// (its date; `-2`, `-3` after it if two share a day), which never changes
/// as long as no earlier release with that URL is added. A warning names the
/// files, so the owner can give them their own URLs.
fn dedupe(mut releases: Vec<Arc<Release>>, warnings: &mut Vec<Diagnostic>) -> Vec<Arc<Release>> {
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
    let mut redated = false;
    for group in dups.into_values() {
        // Bodies are read for these few files only (26 URLs in the archive).
        let body = |i: usize| {
            let r: &Release = &releases[i];
            crate::input::load::read_body(&r.path, r.body_offset)
                .map(|b| crate::text::collapse_whitespace(&b))
                .ok()
        };
        let bodies: Vec<Option<String>> = group.iter().map(|&i| body(i)).collect();
        // True duplicates: one per body, the newest then the first by path.
        let mut distinct: Vec<usize> = Vec::new();
        let mut order: Vec<usize> = (0..group.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&releases[group[a]], &releases[group[b]]);
            y.date.cmp(&x.date).then_with(|| x.path.cmp(&y.path))
        });
        // One hash lookup per release: linear in the group, however many
        // releases share the URL.
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        for &k in &order {
            let same = bodies[k].as_deref().is_some_and(|b| !seen.insert(b));
            if same {
                dropped[group[k]] = true;
            } else {
                distinct.push(k);
            }
        }
        if distinct.len() < 2 {
            continue;
        }
        // Oldest first, ties by path.
        let mut kept: Vec<usize> = distinct.iter().map(|&k| group[k]).collect();
        kept.sort_by(|&a, &b| {
            let (x, y) = (&releases[a], &releases[b]);
            x.date.cmp(&y.date).then_with(|| x.path.cmp(&y.path))
        });
        // A same-title release at most a few days after the first version
        // of the entry before it replaces that entry: the later text under
        // the first date and id. The window is measured from the first
        // version, never from the last update, so a series of releases
        // sharing a title and URL over months is not folded into one.
        let mut published: Vec<usize> = Vec::new();
        let mut updates: Vec<(usize, usize)> = Vec::new();
        // The date and title slug of the first version of the last entry.
        let mut first_of_last: Option<(DateTime<FixedOffset>, String)> = None;
        for i in kept {
            let r = &releases[i];
            let slug = names::slug(&r.title);
            if let (Some(&prev), Some((first, first_slug))) = (published.last(), &first_of_last) {
                let close = (r.date - *first).num_days() <= UPDATE_DAYS;
                if close && *first_slug == slug {
                    updates.push((prev, i));
                    published.pop();
                    published.push(i);
                    continue;
                }
            }
            first_of_last = Some((r.date, slug));
            published.push(i);
        }
        for &(earlier, later) in &updates {
            dropped[earlier] = true;
            let (date, first_date) = (releases[later].date, releases[earlier].date);
            let r = Arc::make_mut(&mut releases[later]);
            r.amended.get_or_insert_default().updated = Some(date);
            r.date = first_date;
            redated = true;
        }
        // Ids: the earliest keeps the URL; later ones get their date.
        // Each date's stem and how many ids it has given: `-2`, `-3`...
        // follow without a search, however many releases share a day.
        let mut taken: FxHashMap<String, usize> = FxHashMap::default();
        for (n, &i) in published.iter().enumerate() {
            let r = &releases[i];
            let id = if n == 0 {
                None
            } else {
                let stem = format!("{}#{}", r.url, r.date.format("%Y-%m-%d"));
                let count = taken.entry(stem.clone()).or_insert(0);
                *count += 1;
                Some(match *count {
                    1 => stem,
                    k => format!("{stem}-{k}"),
                })
            };
            if id.is_some() {
                Arc::make_mut(&mut releases[i])
                    .amended
                    .get_or_insert_default()
                    .id = id;
            }
        }
        let url = releases[published[0]].url.clone();
        let mut parts: Vec<String> = published
            .iter()
            .map(|&i| {
                let r = &releases[i];
                format!("{} (id {})", crate::diag::shown(&r.path), r.id())
            })
            .collect();
        for &(earlier, later) in &updates {
            parts.push(format!(
                "{} is the same release first published, so the two are one entry with the date of the first, the text of the second, and `updated` {}",
                crate::diag::shown(&releases[earlier].path),
                releases[later]
                    .updated()
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            ));
        }
        warnings.push(
            Diagnostic::warning(
                &releases[published[0]].path,
                0,
                0,
                format!(
                    "{} files have the url {url} with different text: {}",
                    distinct.len(),
                    parts.join("; "),
                ),
            )
            .with_hint("give each release its own url; a later release is published under the id shown, which stays as long as no earlier release with this url is added"),
        );
    }
    // In place: releases move only after the first one dropped. The few
    // releases given an earlier date move to their place in the order.
    let mut dropped = dropped.into_iter();
    releases.retain(|_| !dropped.next().unwrap_or(false));
    if redated {
        let mut moved = Vec::new();
        let mut i = 0;
        while i < releases.len() {
            if releases[i].updated().is_some() {
                moved.push(releases.remove(i));
            } else {
                i += 1;
            }
        }
        for r in moved {
            let at = releases.partition_point(|x| newer(x, &r));
            releases.insert(at, r);
        }
    }
    releases
}

/// Whether `a` comes before `b` in the order of [`newest_first`].
fn newer(a: &Release, b: &Release) -> bool {
    b.date
        .cmp(&a.date)
        .then_with(|| a.url.cmp(&b.url))
        .then_with(|| a.path.cmp(&b.path))
        .is_lt()
}

/// The feeds of one kind of name, and what `check` says about them.
struct Interned<'r> {
    names: Vec<Name>,
    per_release: Lists,
    /// Per name: its distinct spellings, and whether each is one the config
    /// vouches for (an alias, or listed under `keep`).
    spellings: Vec<Vec<(&'r str, bool)>>,
}

/// Maps every spelling of one kind of name to a feed. The display name is
/// the spelling on the newest release (or the alias target when an alias
/// applies), cut to [`names::MAX_DISPLAY_CHARS`]. Returns the names and, per
/// release, the ids it refers to; names that look like junk, and pairs that
/// look like one name, are reported on `warnings`.
fn intern(
    releases: &[Arc<Release>],
    kind: &Kind,
    n: usize,
    taxonomy: &Taxonomy,
    warnings: &mut Vec<Diagnostic>,
) -> (Vec<Name>, Lists, NameFacts) {
    let rules = Rules::new(&taxonomy.rules, |name| names::clean_term(name, taxonomy));
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut out = Interned {
        names: Vec::new(),
        per_release: Lists::with_capacity(releases.len()),
        spellings: Vec::new(),
    };
    // Each distinct spelling is resolved (slug, aliases) once: its feed
    // (None when dropped).
    let mut by_spelling: FxHashMap<&str, Option<u32>> = FxHashMap::default();
    for r in releases {
        let written = kinds::terms(r, n);
        let mut mine: Vec<u32> = Vec::with_capacity(written.len());
        for spelling in written {
            let id = *by_spelling.entry(spelling.as_str()).or_insert_with(|| {
                let (key, fixed, kept) = match rules.resolve(spelling) {
                    Resolved::Dropped => return None,
                    Resolved::Keep { key, fixed, kept } => (key, fixed, kept),
                };
                let id = *ids.entry(key).or_insert_with_key(|key| {
                    let display = fixed.as_deref().unwrap_or(spelling);
                    out.names.push(Name {
                        dir: format!("{}{key}/", kind.folder),
                        slug: key.clone(),
                        display: names::bounded_display(display).into_owned(),
                    });
                    out.spellings.push(Vec::new());
                    (out.names.len() - 1) as u32
                });
                out.spellings[id as usize].push((spelling.as_str(), kept));
                Some(id)
            });
            if let Some(id) = id.filter(|id| !mine.contains(id)) {
                mine.push(id);
            }
        }
        out.per_release.push(&mine);
    }
    let mut uses = vec![0u32; out.names.len()];
    for &id in out.per_release.flat() {
        uses[id as usize] += 1;
    }
    let warned = match taxonomy.check {
        true => report(releases, &out, &uses, taxonomy, warnings),
        false => vec![false; out.names.len()],
    };
    let mut spellings: Vec<(String, Option<u32>)> = by_spelling
        .into_iter()
        .map(|(spelling, id)| (spelling.to_string(), id))
        .collect();
    spellings.sort_unstable();
    let facts = NameFacts {
        uses,
        warned,
        first: out.spellings.iter().map(|s| s[0].0.to_string()).collect(),
        spellings,
    };
    (out.names, out.per_release, facts)
}

/// Most files a warning about a name lists.
const FILES_LISTED: usize = 5;
/// Most likely-duplicate pairs one run lists, per kind of name.
const MAX_PAIRS_REPORTED: usize = 200;

/// `check`'s word on the names of one kind: those that are unlikely to be
/// names (see [`names::looks_like_junk`], and a name on at most
/// [`names::RARE_RELEASES`] releases that none of their texts mentions),
/// and pairs that are probably one name. Each warning names the files and
/// the line of pressfeed.toml that settles it. Only the few rare names'
/// bodies are read.
fn report(
    releases: &[Arc<Release>],
    interned: &Interned<'_>,
    uses: &[u32],
    taxonomy: &Taxonomy,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<bool> {
    let kind = names::NameKind::of(taxonomy);
    let (what, section) = (taxonomy.singular.as_str(), taxonomy.section.as_str());
    // Per name, its releases (newest first), up to what the report needs.
    let count = interned.names.len();
    let uses: Vec<usize> = uses.iter().map(|&u| u as usize).collect();
    let mut files: Vec<Vec<u32>> = vec![Vec::new(); count];
    for (i, ids) in interned.per_release.iter().enumerate() {
        for &id in ids {
            let f = &mut files[id as usize];
            if f.len() < FILES_LISTED.max(names::RARE_RELEASES) {
                f.push(i as u32);
            }
        }
    }
    let listed = |id: usize| -> String {
        let shown: Vec<String> = files[id]
            .iter()
            .take(FILES_LISTED)
            .map(|&i| crate::diag::shown(&releases[i as usize].path).to_string())
            .collect();
        let more = uses[id].saturating_sub(shown.len());
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    // Names the config vouches for in every spelling are not examined.
    let vouched: Vec<bool> = interned
        .spellings
        .iter()
        .map(|s| s.iter().all(|&(_, kept)| kept))
        .collect();
    // The junk rules, per spelling; then the rare names left, whose
    // releases are read (each once, however many rare names it has).
    let mut flags: Vec<Option<(&str, String)>> = vec![None; count];
    let mut rare: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for id in 0..count {
        if vouched[id] || uses[id] == 0 {
            continue;
        }
        flags[id] = interned.spellings[id]
            .iter()
            .filter(|(_, kept)| !kept)
            .find_map(|&(s, _)| names::looks_like_junk(s, kind).map(|why| (s, why)));
        if flags[id].is_none()
            && uses[id] <= names::RARE_RELEASES
            && releases.len() >= names::RARE_MIN_SITE
        {
            for &i in &files[id] {
                rare.entry(i).or_default().push(id);
            }
        }
    }
    let mut said = vec![false; count];
    for (&i, ids) in &rare {
        let r = &releases[i as usize];
        match crate::input::load::read_body(&r.path, r.body_offset) {
            Ok(body) => {
                let text = names::fold_text(&format!("{}\n{body}", r.title));
                for &id in ids {
                    said[id] |= names::mentioned_in(&interned.names[id].display, kind, &text);
                }
            }
            // An unreadable body is no evidence against the name.
            Err(_) => ids.iter().for_each(|&id| said[id] = true),
        }
    }
    let unsaid: std::collections::BTreeSet<usize> = rare
        .values()
        .flatten()
        .copied()
        .filter(|&id| !said[id])
        .collect();
    for id in unsaid {
        flags[id] = Some((
            interned.spellings[id][0].0,
            format!(
                "is on only {} release(s) and {}",
                uses[id],
                if uses[id] == 1 {
                    "its text does not name it"
                } else {
                    "none of their texts names it"
                }
            ),
        ));
    }
    let mut warned: Vec<bool> = flags.iter().map(Option::is_some).collect();
    for (id, flag) in flags.into_iter().enumerate() {
        let Some((spelling, why)) = flag else {
            continue;
        };
        let newest = &releases[files[id][0] as usize];
        // A name too long to be one is shown cut, and fixed in the seed.
        let shown = names::bounded_display(spelling);
        let hint = if shown.len() < spelling.len() {
            format!(
                "put the {what}'s name alone in the seed, or list the whole text under [{section}] drop in pressfeed.toml"
            )
        } else {
            format!(
                "in pressfeed.toml, under [{section}]: if it is not {}, add {spelling:?} to drop; if it is a misspelling, add {spelling:?} = \"<the right name>\" to aliases; if it is right, add {spelling:?} to keep",
                with_article(what)
            )
        };
        warnings.push(
            Diagnostic::warning(
                &newest.path,
                0,
                0,
                format!(
                    "{what} {shown:?} {why}; it is unlikely to be {} (in {} release(s): {})",
                    with_article(what),
                    uses[id],
                    listed(id)
                ),
            )
            .with_hint(hint),
        );
    }
    let usage = Usage {
        uses: &uses,
        files: &files,
        vouched: &vouched,
    };
    report_pairs(
        releases,
        interned,
        taxonomy,
        &usage,
        &listed,
        &mut warned,
        warnings,
    );
    warned
}

/// How often each name of one taxonomy is used: by how many releases, in
/// which (the first few, newest first), and whether the configuration
/// vouches for every spelling of it.
struct Usage<'a> {
    uses: &'a [usize],
    files: &'a [Vec<u32>],
    vouched: &'a [bool],
}

/// `check`'s likely duplicates among the names of one taxonomy, at most
/// [`MAX_PAIRS_REPORTED`] of them, each with the files it is in
/// (`listed`) and the line of pressfeed.toml that settles it. The names a
/// warning is about are marked in `warned`.
fn report_pairs(
    releases: &[Arc<Release>],
    interned: &Interned<'_>,
    taxonomy: &Taxonomy,
    u: &Usage<'_>,
    listed: &dyn Fn(usize) -> String,
    warned: &mut [bool],
    warnings: &mut Vec<Diagnostic>,
) {
    let (what, section) = (taxonomy.singular.as_str(), taxonomy.section.as_str());
    let plural = taxonomy.plural.as_str();
    let slugs: Vec<&str> = interned.names.iter().map(|n| n.slug.as_str()).collect();
    let pairs: Vec<(usize, usize, &str)> = names::likely_duplicates(&slugs)
        .into_iter()
        .filter(|&(a, b, _)| !(u.vouched[a] && u.vouched[b] || u.uses[a] == 0 || u.uses[b] == 0))
        .collect();
    if pairs.len() > MAX_PAIRS_REPORTED {
        warned[pairs[MAX_PAIRS_REPORTED].0] = true;
        let first = &releases[u.files[pairs[MAX_PAIRS_REPORTED].0][0] as usize];
        warnings.push(
            Diagnostic::warning(
                &first.path,
                0,
                0,
                format!(
                    "{} more pairs of {plural} names are probably one {what} each; only the first {MAX_PAIRS_REPORTED} are listed",
                    pairs.len() - MAX_PAIRS_REPORTED
                ),
            )
            .with_hint("settle the pairs listed, then run check again"),
        );
    }
    for &(a, b, why) in pairs.iter().take(MAX_PAIRS_REPORTED) {
        warned[a] = true;
        warned[b] = true;
        // The rarer spelling is mapped to the commoner one.
        let (rare, common) = if (u.uses[a], b) < (u.uses[b], a) {
            (a, b)
        } else {
            (b, a)
        };
        let (from, to) = (
            &interned.names[rare].display,
            &interned.names[common].display,
        );
        let newest = &releases[u.files[rare][0] as usize];
        warnings.push(
            Diagnostic::warning(
                &newest.path,
                0,
                0,
                format!(
                    "{plural} {from:?} (in {} release(s): {}) and {to:?} (in {} release(s): {}) are probably one {what}: {why}",
                    u.uses[rare],
                    listed(rare),
                    u.uses[common],
                    listed(common),
                ),
            )
            .with_hint(format!(
                "if they are one, add under [{section}] aliases in pressfeed.toml: {from:?} = {to:?}; if they are two, add both to [{section}] keep"
            )),
        );
    }
}
