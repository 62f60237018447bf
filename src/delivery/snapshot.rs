//! The site as the last build grouped it, kept with the build state (in
//! `site.bin`, beside the seed shards and `outputs.bin`, with the same
//! header, see [`crate::delivery::state`]), so that a run after new or
//! edited releases neither decodes every seed's entry nor groups every
//! release again ([`crate::site::regroup`]).
//!
//! It holds, in columns: every seed's path, hashed, and its stamp (what
//! the run's walk and stamps are compared with, to find the new and
//! changed seeds; the run reads a seed by its own path); per
//! release of the site, newest first, its seed, date, key
//! ([`crate::output::digest::item_key`]) and what it takes in an archive
//! document, and whole only the few releases grouping changed (those
//! sharing a URL); the name tables with what grouping settled about them
//! ([`crate::site::group::NameFacts`]); a hash of every URL; and the
//! warnings of reading and grouping. The site made from it has every
//! release's date, amendment and names, which is all planning needs; a
//! release's title, URL and body are read from its seed again when a file
//! that carries it is made.
//!
//! The whole file is written again by every run that changes the site, in
//! one pass: about a fifth of the size of the seed shards (95 MB for a
//! million releases).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeZone};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::delivery::cache::Stamp;
use crate::diag::Diagnostic;
use crate::input::paths::Paths;
use crate::input::validate::Release;
use crate::output::digest::Digest;
use crate::site::group::{NameTable, Site};
use crate::site::kinds;

/// What the last build knew of its seeds and site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Every seed's path, hashed ([`path_hash`]), in the order the walk
    /// gives them (by their bytes): 16 bytes a seed rather than its path.
    seeds: Bytes,
    /// Per seed: its stamp when it was read.
    stamps: Vec<Stamp>,
    /// Seeds read so soon after they changed that their stamp may not move
    /// with the next change: read again by the next run (sorted).
    pub racy: Vec<u32>,
    /// What the walk of the seeds folder warned about.
    pub walk: Vec<Diagnostic>,
    /// The errors and warnings of reading and grouping the seeds (not
    /// those of fitting documents, made again by every run).
    pub diagnostics: Vec<Diagnostic>,
    /// Releases held back until their date, soonest first.
    pub held: Vec<(PathBuf, DateTime<FixedOffset>)>,
    /// How many seeds could not be published.
    pub invalid: u32,
    /// Per release of the site, newest first: its seed (an index into the
    /// seeds), its date (seconds, nanoseconds, offset) and its key.
    seed_of: Vec<u32>,
    dates: Vec<(i64, u32, i32)>,
    keys: Keys,
    /// Per release, what it takes in an archive document (see
    /// [`crate::output::archive_size`]), or [`u32::MAX`] when no archive
    /// document carried it.
    sizes: Vec<u32>,
    /// The releases grouping changed (a date or an id given because they
    /// share a URL), whole, by their index in the site.
    amended: Vec<(u32, Release)>,
    /// [`crate::site::regroup::url_hash`] of every release grouping saw,
    /// sorted (a URL as many times as releases have it).
    urls: Bytes,
    /// The site's name tables, in order.
    tables: Vec<NameTable>,
}

/// How a run's seeds differ from a snapshot's.
pub struct Changes {
    /// Seeds it does not know (indexes into the run's seeds).
    pub new: Vec<usize>,
    /// Seeds whose stamp moved, or whose stamp could not be trusted:
    /// (index among its seeds, index among the run's).
    pub changed: Vec<(usize, usize)>,
    /// Per seed it knows, its index among the run's seeds.
    pub old_to_new: Vec<u32>,
}

/// What a run tells [`Snapshot::new`] besides its site.
pub struct Parts<'a> {
    /// Every seed's path, in the order of the walk, and its stamp.
    pub paths: &'a Paths,
    pub stamps: Vec<Stamp>,
    /// The seeds whose stamp cannot be trusted (see
    /// [`crate::delivery::state::racy`]), sorted.
    pub racy: Vec<u32>,
    /// Per release of the site, its seed (an index into `paths`).
    pub seed_of: Vec<u32>,
    /// Every URL grouping saw, hashed ([`crate::site::regroup::url_hash`]).
    pub urls: Vec<u64>,
    /// Per release of the site, its key and what it takes in an archive
    /// document (when one carries it).
    pub keys: Vec<Digest>,
    pub sizes: &'a [Option<u32>],
    /// What the walk warned about; the errors and warnings of reading and
    /// grouping; the releases held back; how many seeds are invalid.
    pub walk: &'a [Diagnostic],
    pub diagnostics: &'a [Diagnostic],
    pub held: Vec<(PathBuf, DateTime<FixedOffset>)>,
    pub invalid: usize,
}

impl Snapshot {
    /// The snapshot of `site`, with what `parts` tells of it.
    pub fn new(parts: Parts<'_>, site: &Site) -> Snapshot {
        let mut urls = parts.urls;
        urls.sort_unstable();
        Snapshot {
            seeds: Bytes(
                parts
                    .paths
                    .par_iter()
                    .flat_map_iter(|p| path_hash(p).to_le_bytes())
                    .collect(),
            ),
            stamps: parts.stamps,
            racy: parts.racy,
            walk: parts.walk.to_vec(),
            diagnostics: parts.diagnostics.to_vec(),
            held: parts.held,
            invalid: parts.invalid as u32,
            seed_of: parts.seed_of,
            dates: site
                .releases
                .iter()
                .map(|r| {
                    (
                        r.date.timestamp(),
                        r.date.timestamp_subsec_nanos(),
                        r.date.offset().local_minus_utc(),
                    )
                })
                .collect(),
            keys: Keys(parts.keys),
            sizes: parts.sizes.iter().map(|s| s.unwrap_or(u32::MAX)).collect(),
            amended: site
                .releases
                .iter()
                .enumerate()
                .filter(|(_, r)| r.amended.is_some())
                .map(|(i, r)| (i as u32, Release::clone(r)))
                .collect(),
            urls: Bytes(urls.iter().flat_map(|h| h.to_le_bytes()).collect()),
            tables: site.names.clone(),
        }
    }

    /// How many seeds it knows.
    pub fn seeds(&self) -> usize {
        self.seeds.0.len() / 16
    }

    /// The date of the newest release of its site.
    pub fn newest(&self) -> Option<DateTime<FixedOffset>> {
        let &(secs, nanos, offset) = self.dates.first()?;
        FixedOffset::east_opt(offset)?
            .timestamp_opt(secs, nanos)
            .single()
    }

    /// How the run's seeds (`paths`, in the walk's order, with their
    /// `stamps`) differ from its own; `None` when one of its seeds is
    /// gone. Both lists are in the order of their paths' bytes, so its
    /// seeds, when none is gone, are the run's with the new ones left out:
    /// each is the next of the run's with its path's hash. A seed changed
    /// just before the last build read it may have changed again without
    /// its stamp moving: it counts as changed.
    pub fn changes(&self, paths: &Paths, stamps: &[Stamp]) -> Option<Changes> {
        let known = self.seeds();
        let mut changes = Changes {
            new: Vec::new(),
            changed: Vec::new(),
            old_to_new: vec![0; known],
        };
        let hashes: Vec<u128> = paths.par_iter().map(path_hash).collect();
        let mut j = 0;
        for (n, (hash, stamp)) in hashes.iter().zip(stamps).enumerate() {
            if j < known && *hash == self.seed_hash(j) {
                if *stamp != self.stamps[j] || self.racy.binary_search(&(j as u32)).is_ok() {
                    changes.changed.push((j, n));
                }
                changes.old_to_new[j] = n as u32;
                j += 1;
            } else {
                changes.new.push(n);
            }
        }
        // Else one of its seeds is gone.
        (j == known).then_some(changes)
    }

    fn seed_hash(&self, j: usize) -> u128 {
        let bytes = &self.seeds.0[j * 16..(j + 1) * 16];
        u128::from_le_bytes(bytes.try_into().expect("16 bytes"))
    }

    /// How many releases its site has.
    pub fn releases(&self) -> usize {
        self.seed_of.len()
    }

    /// Every URL hash it knows, sorted.
    pub fn urls(&self) -> Vec<u64> {
        self.url_hashes().collect()
    }

    fn url_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.urls
            .0
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("eight bytes")))
    }

    /// The keys of the site's releases, moved out of it.
    pub fn take_keys(&mut self) -> Vec<Digest> {
        std::mem::take(&mut self.keys.0)
    }

    /// Per release of the site, what it takes in an archive document, if
    /// known.
    pub fn sizes(&self) -> impl Iterator<Item = Option<u32>> + '_ {
        self.sizes.iter().map(|&s| (s != u32::MAX).then_some(s))
    }

    /// What each release measured takes in an archive document, by its
    /// key.
    pub fn archive_sizes(&self) -> foldhash::HashMap<Digest, u32> {
        self.keys
            .0
            .iter()
            .copied()
            .zip(&self.sizes)
            .filter(|&(_, &s)| s != u32::MAX)
            .map(|(k, &s)| (k, s))
            .collect()
    }

    /// The release of the site each seed of `seeds` is (an index), if any.
    pub fn releases_of(&self, seeds: impl Iterator<Item = usize>) -> Vec<Option<usize>> {
        let wanted: foldhash::HashMap<u32, usize> =
            seeds.enumerate().map(|(k, j)| (j as u32, k)).collect();
        let mut at = vec![None; wanted.len()];
        if wanted.is_empty() {
            return at;
        }
        for (i, s) in self.seed_of.iter().enumerate() {
            if let Some(&k) = wanted.get(s) {
                at[k] = Some(i);
            }
        }
        at
    }

    /// Whether grouping changed release `i` (the site made from it has
    /// such a release whole).
    pub fn amended(&self, i: usize) -> bool {
        self.amended
            .binary_search_by_key(&(i as u32), |(at, _)| *at)
            .is_ok()
    }

    /// The seed of release `i` of the site.
    pub fn seed_of(&self, i: usize) -> usize {
        self.seed_of[i] as usize
    }

    /// Whether its columns agree with each other, and those it searches
    /// are in order (a file pressfeed did not write this way would not
    /// be).
    pub fn consistent(&self) -> bool {
        let seeds = self.seeds();
        let releases = self.seed_of.len();
        self.seeds.0.len().is_multiple_of(16)
            && self.stamps.len() == seeds
            && self.seed_of.iter().all(|&s| (s as usize) < seeds)
            && self.racy.iter().all(|&s| (s as usize) < seeds)
            && self.racy.windows(2).all(|w| w[0] < w[1])
            && self.dates.len() == releases
            && self.keys.0.len() == releases
            && self.sizes.len() == releases
            && self.urls.0.len().is_multiple_of(8)
            && self.url_hashes().is_sorted()
            && self.amended.iter().all(|(i, _)| (*i as usize) < releases)
            && self.amended.windows(2).all(|w| w[0].0 < w[1].0)
            && self.tables.iter().all(|t| {
                t.per_release.len() == releases
                    && t.per_release.valid(t.names.len())
                    && t.facts.uses.len() == t.names.len()
                    && t.facts.warned.len() == t.names.len()
                    && t.facts.first.len() == t.names.len()
            })
    }

    /// The site it describes: every release's date, amendment and names,
    /// its feeds, and no more (see the module's documentation); the
    /// releases grouping changed are whole. Its name tables move into the
    /// site (a run makes one site).
    pub fn take_site(&mut self, config: &Config) -> Option<Site> {
        let kinds = kinds::kinds(config);
        let named: Vec<usize> = kinds
            .iter()
            .filter_map(|k| match k.key {
                kinds::Key::Names(taxonomy) => Some(taxonomy),
                kinds::Key::Every => None,
            })
            .collect();
        if !named.iter().eq(self.tables.iter().map(|t| &t.taxonomy)) {
            return None;
        }
        let mut amended = self.amended.iter().peekable();
        let mut releases = Vec::with_capacity(self.dates.len());
        // Releases of one date (newest first, so side by side) share one
        // dated release: a few thousand allocations for a million.
        let mut last: Option<((i64, u32, i32), Arc<Release>)> = None;
        for (i, &when) in self.dates.iter().enumerate() {
            if let Some((_, whole)) = amended.next_if(|(at, _)| *at as usize == i) {
                releases.push(Arc::new(whole.clone()));
                continue;
            }
            match &last {
                Some((at, dated)) if *at == when => releases.push(Arc::clone(dated)),
                _ => {
                    let (secs, nanos, offset) = when;
                    let date = FixedOffset::east_opt(offset)?
                        .timestamp_opt(secs, nanos)
                        .single()?;
                    let dated = Arc::new(Release::dated(date));
                    releases.push(Arc::clone(&dated));
                    last = Some((when, dated));
                }
            }
        }
        let names = std::mem::take(&mut self.tables);
        let feeds = crate::site::group::feeds(&kinds, &names, releases.len());
        Some(Site {
            releases,
            names,
            kinds,
            feeds,
        })
    }
}

/// What a snapshot knows a seed's path by: 128 bits of its BLAKE3 hash,
/// which no two paths share in practice.
fn path_hash(path: &Path) -> u128 {
    let hash = blake3::hash(path.as_os_str().as_encoded_bytes());
    u128::from_le_bytes(hash.as_bytes()[..16].try_into().expect("16 bytes"))
}

/// Bytes stored as one run, not byte by byte (postcard writes a `Vec<u8>`
/// as a sequence of bytes, each on its own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_byte_buf(Visitor)
    }
}

/// The releases' keys, stored as one run of bytes (as [`Bytes`] are), not
/// byte by byte.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Keys(Vec<Digest>);

impl Serialize for Keys {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0.as_flattened())
    }
}

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("keys of 32 bytes each")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Keys, E> {
                if !v.len().is_multiple_of(32) {
                    return Err(E::custom("keys of 32 bytes each"));
                }
                let keys = v.chunks_exact(32).map(|c| c.try_into().expect("32 bytes"));
                Ok(Keys(keys.collect()))
            }
        }
        d.deserialize_bytes(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::group;
    use std::path::Path;

    fn release(n: usize, day: usize, name: &str) -> Arc<Release> {
        let mut r = crate::testing::release(&format!("Release {n}"));
        r.path = format!("seeds/r{n:02}.md").into();
        r.url = format!("https://x.nz/{n}");
        r.date = DateTime::parse_from_rfc3339(&format!("2020-01-{day:02}T00:00:00Z")).unwrap();
        r.terms = vec![vec![name.to_string()], vec!["Health".to_string()]].into_boxed_slice();
        Arc::new(r)
    }

    /// A snapshot made from a site, stored and read back, gives back the
    /// site planning sees (dates, names, feeds) and where each release's
    /// seed is; one whose columns disagree is refused.
    #[test]
    fn a_snapshot_gives_back_the_site_it_was_made_of() {
        let config = Config::default();
        let releases: Vec<Arc<Release>> = (0..6)
            .map(|n| release(n, 1 + n % 3, ["Ana Kere", "Bob Tui"][n % 2]))
            .collect();
        let mut warnings = Vec::new();
        let site = group::group(releases.clone(), &config, &mut warnings);
        let paths: Paths = releases.iter().map(|r| r.path.as_path()).collect();
        let stamps = vec![(1, 2, 3, 4); paths.len()];
        let seed_of: Vec<u32> = site
            .releases
            .iter()
            .map(|r| paths.iter().position(|p| *p == r.path).unwrap() as u32)
            .collect();
        let keys: Vec<Digest> = (0..site.releases.len()).map(|i| [i as u8; 32]).collect();
        let sizes = vec![Some(7); site.releases.len()];
        let parts = Parts {
            paths: &paths,
            stamps: stamps.clone(),
            racy: Vec::new(),
            seed_of,
            urls: Vec::new(),
            keys: keys.clone(),
            sizes: &sizes,
            walk: &[],
            diagnostics: &warnings,
            held: Vec::new(),
            invalid: 0,
        };
        let snapshot = Snapshot::new(parts, &site);
        let back: Snapshot =
            postcard::from_bytes(&postcard::to_stdvec(&snapshot).unwrap()).unwrap();
        assert_eq!(back, snapshot);
        assert!(back.consistent());
        let made = back
            .clone()
            .take_site(&config)
            .expect("the configuration's taxonomies");
        let dates = |s: &Site| s.releases.iter().map(|r| r.date).collect::<Vec<_>>();
        assert_eq!(dates(&made), dates(&site));
        assert_eq!(made.names, site.names);
        let feeds = |s: &Site| {
            s.feeds
                .iter()
                .map(|f| (f.dir.clone(), f.name.clone(), f.releases.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(feeds(&made), feeds(&site));
        for (i, r) in site.releases.iter().enumerate() {
            assert_eq!(&paths[back.seed_of(i)], r.path);
        }
        assert_eq!(back.clone().take_keys(), keys);
        // The seeds a run finds: one new, the others as they were.
        let mut run: Vec<&Path> = paths.iter().collect();
        run.insert(2, Path::new("seeds/r01a.md"));
        let run: Paths = run.into_iter().collect();
        let mut run_stamps = stamps.clone();
        run_stamps.insert(2, (9, 9, 9, 9));
        let changes = back.changes(&run, &run_stamps).expect("no seed gone");
        assert_eq!(changes.new, vec![2]);
        assert!(changes.changed.is_empty());
        assert_eq!(changes.old_to_new, vec![0, 1, 3, 4, 5, 6]);
        // One gone: not a change this path takes.
        let gone: Paths = paths.iter().skip(1).collect();
        assert!(back.changes(&gone, &stamps[1..]).is_none());
        // Columns that disagree, or out of order.
        let mut broken = back.clone();
        broken.seed_of.push(0);
        assert!(!broken.consistent());
        let mut broken = back.clone();
        broken.racy = vec![3, 1];
        assert!(!broken.consistent());
    }
}
