//! Skipping a build whose inputs did not change.
//!
//! After a successful build, pressfeed records in the user's cache folder
//! (`$XDG_CACHE_HOME/pressfeed/` or `~/.cache/pressfeed/`, one file per
//! output folder) a fingerprint of everything the output depends on: the
//! pressfeed executable, the configuration, the seeds folder, and the path,
//! size, inode and change time of every seed. It also records the size,
//! inode and change time of every file it published (each reached without
//! following a link, and of a size the output folder's manifest lists) and
//! the warnings it reported.
//!
//! The next build works out the fingerprint again, which takes one `stat` per
//! seed and reads none. (A build into a folder with no record takes the
//! stamps from the files it opens, before reading them, and saves the
//! separate pass.) When it matches and every published file is still
//! exactly as recorded, the output is already what a full build would write:
//! the run reports the same warnings and writes nothing. Any difference (a
//! seed edited, added, removed or touched, the configuration or the binary
//! changed, a published file edited or deleted by hand) means a full build.
//!
//! The record is kept out of the output folder, which holds only published,
//! deterministic files. Without a cache folder (no `HOME`), or with
//! `--no-cache`, every build is a full one.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};
#[cfg(not(unix))]
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::delivery::publish::{self, FileStamp};
use crate::diag::Diagnostic;
use crate::input::paths::Paths;

/// Where the record for the output folder `out` lives, if anywhere.
pub fn location(out: &Path) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|d| !d.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    let out = fs::canonicalize(out).ok()?;
    let mut h = DefaultHasher::new();
    out.hash(&mut h);
    Some(
        base.join("pressfeed")
            .join(format!("{:016x}.json", h.finish())),
    )
}
/// Bumped whenever the record's meaning changes.
pub const FORMAT: u32 = 3;

/// What a successful build leaves for the next one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Record {
    pub format: u32,
    pub fingerprint: String,
    pub files: usize,
    pub releases: usize,
    pub feeds: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// The releases held back by their date, soonest first, with the
    /// moment each is due (RFC 3339), and the date of the newest release
    /// published: the output stays what it is while the clock is between
    /// the two.
    pub held: Vec<(PathBuf, String)>,
    pub newest: Option<String>,
    /// Each published file: path relative to the output folder, and its
    /// size, inode and change time ([`publish::owned_stamps`]).
    pub outputs: Vec<(String, FileStamp)>,
}

/// What the fingerprint knows of one seed (see [`stamp`]).
pub type Stamp = (u64, u64, i64, i64);

/// The stamp of every seed, one `stat` each, in parallel.
pub fn stamps(seeds: &Paths) -> io::Result<Vec<Stamp>> {
    seeds
        .par_iter()
        .map(|path| fs::metadata(path).map(|m| stamp(&m)))
        .collect()
}

/// The fingerprint of a build's inputs; `stamps` are those of `seeds`, in
/// the same order, each taken before the seed was read. `skipped` are the
/// walk's warnings about entries it did not read (a link added or removed
/// changes them, not the seeds).
pub fn fingerprint(
    seeds_root: &Path,
    seeds: &Paths,
    stamps: &[Stamp],
    skipped: &[Diagnostic],
    config: &Path,
) -> io::Result<String> {
    let mut h = DefaultHasher::new();
    FORMAT.hash(&mut h);
    env!("CARGO_PKG_VERSION").hash(&mut h);
    // The executable itself, so a rebuilt binary never reuses old output.
    if let Ok(m) = std::env::current_exe().and_then(fs::metadata) {
        stamp(&m).hash(&mut h);
    }
    match fs::read(config) {
        Ok(bytes) => bytes.hash(&mut h),
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0u8.hash(&mut h),
        Err(e) => return Err(e),
    }
    seeds_root.hash(&mut h);
    seeds.len().hash(&mut h);
    // In fixed runs of seeds, hashed side by side, then in order.
    const RUN: usize = 4096;
    let runs: Vec<u64> = stamps
        .par_chunks(RUN)
        .enumerate()
        .map(|(run, stamps)| {
            let mut h = DefaultHasher::new();
            for (n, stamp) in (run * RUN..).zip(stamps) {
                // Its bytes: a `Path` hashes component by component, slowly.
                seeds[n].as_os_str().hash(&mut h);
                stamp.hash(&mut h);
            }
            h.finish()
        })
        .collect();
    runs.hash(&mut h);
    for d in skipped {
        d.to_string().hash(&mut h);
    }
    Ok(format!("{:016x}", h.finish()))
}

/// Size, inode and change time: any write to a file changes its ctime, and
/// unlike the mtime it cannot be set back by tools that preserve times.
pub fn stamp(m: &fs::Metadata) -> Stamp {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (m.len(), m.ino(), m.ctime(), m.ctime_nsec())
    }
    #[cfg(not(unix))]
    {
        (m.len(), 0, 0, mtime(m) as i64)
    }
}

#[cfg(not(unix))]
fn mtime(m: &fs::Metadata) -> u128 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// The record for `out`, if there is a readable one of this format.
pub fn load(out: &Path) -> Option<Record> {
    let bytes = fs::read(location(out)?).ok()?;
    let record: Record = serde_json::from_slice(&bytes).ok()?;
    (record.format == FORMAT).then_some(record)
}

impl Record {
    /// Whether a build at `now` publishes the releases this record's build
    /// did: no held release has come due, and none it published is later
    /// than `now` (a `--now` in the past).
    pub fn same_releases_at(&self, now: chrono::DateTime<chrono::FixedOffset>) -> bool {
        // A date that cannot be read makes the record stale.
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
        let none_due = match self.held.first() {
            None => true,
            Some((_, due)) => at(due).is_some_and(|due| now < due),
        };
        let all_due = match &self.newest {
            None => true,
            Some(newest) => at(newest).is_some_and(|newest| now >= newest),
        };
        none_due && all_due
    }
}

/// Whether every published file is as the record says: the same regular
/// file (size, inode and change time), reached without following a link,
/// of a size the manifest lists for it. A file replaced, edited (whatever
/// its modification time is set back to) or swapped for a link is not, and
/// the build is a full one.
pub fn outputs_intact(out: &Path, record: &Record) -> bool {
    let paths = record.outputs.iter().map(|(path, _)| path.as_str());
    publish::owned_stamps(out, paths).is_ok_and(|found| {
        found
            .iter()
            .zip(&record.outputs)
            .all(|(found, (_, recorded))| found.as_ref() == Some(recorded))
    })
}

/// Describes the files just published in `out`.
pub fn describe_outputs<'a>(
    out: &Path,
    paths: impl Iterator<Item = &'a str>,
) -> io::Result<Vec<(String, FileStamp)>> {
    let paths: Vec<&str> = paths.collect();
    let found = publish::owned_stamps(out, paths.iter().copied()).map_err(io::Error::other)?;
    paths
        .into_iter()
        .zip(found)
        .map(|(path, stamp)| {
            let stamp =
                stamp.ok_or_else(|| io::Error::other(format!("{path}: not as published")))?;
            Ok((path.to_string(), stamp))
        })
        .collect()
}

/// Stores `record` for `out`. The cache is an optimisation: when it cannot
/// be written, the next build is simply a full one.
pub fn store(out: &Path, record: &Record) {
    let Some(path) = location(out) else { return };
    let Ok(bytes) = serde_json::to_vec(record) else {
        return;
    };
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    let _ = crate::delivery::publish::write_atomic(&path, &bytes);
}

/// Forgets the record for `out`, before a run changes the output folder.
pub fn invalidate(out: &Path) {
    if let Some(path) = location(out) {
        let _ = fs::remove_file(path);
    }
}
