//! pressfeed: publish feeds from a folder of Markdown press releases.
//!
//! The library runs the pipeline and never prints; the `pressfeed` binary is
//! a thin command line over it. The stages, one folder or module each, in
//! the order a build runs them:
//!
//! 1. [`input`]: find seed files and split front matter from body
//!    ([`input::load`]), parse the YAML ([`input::frontmatter`], the one
//!    module that knows the YAML library), check the fields into a
//!    [`input::validate::Release`] ([`input::validate`], with the name rules
//!    of [`input::names`]);
//! 2. [`site`]: one entry per URL, newest first, the feeds of each kind of
//!    [`site::kinds::kinds`] ([`site::group`]); which documents each feed has
//!    and which items each carries ([`site::plan`], [`site::archive`]);
//! 3. [`render`]: Markdown to sanitised HTML, for emitted releases only;
//! 4. [`output`]: each of [`output::FEED_FORMATS`] (RSS 2.0, Atom 1.0,
//!    JSON Feed 1.1) writes the planned documents, then an HTML page per
//!    feed with the list of every feed, and an OPML list of every feed;
//! 5. [`delivery`]: atomic, minimal, owned-files-only writes
//!    ([`delivery::publish`]), the record that lets a build whose inputs did
//!    not change finish without reading a seed ([`delivery::cache`]), the
//!    mirror of the folder in an object store ([`delivery::deploy`]), and
//!    the WebSub pings ([`delivery::websub`]).
//!
//! [`config`], [`diag`] and [`text`] serve every stage; [`report`] describes
//! a run for monitoring (Prometheus metrics, JSON).

pub mod config;
pub mod delivery;
pub mod diag;
pub mod input;
pub mod output;
pub mod progress;
pub mod render;
pub mod report;
pub mod site;
pub mod text;

#[cfg(test)]
mod testing;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

pub use crate::progress::{NoProgress, Progress};

use crate::config::Config;
use crate::delivery::publish::PublishStats;
use crate::delivery::snapshot::{Changes, Parts, Snapshot};
use crate::delivery::{cache, deploy, publish, state, websub};
use crate::diag::Diagnostic;
use crate::input::paths::Paths;
use crate::input::validate::Release;
use crate::input::{frontmatter, load, validate};
use crate::output::{Chosen, FEED_FORMATS, Item, html};
use crate::site::group::Site;
use crate::site::plan::Plan;
use crate::site::{archive, group, paths, regroup};

/// Where a run reads from and writes to.
#[derive(Debug, Clone)]
pub struct Options {
    pub seeds: PathBuf,
    pub out: PathBuf,
    pub config: PathBuf,
    /// Whether `config` was named by the user (then it must exist).
    pub config_required: bool,
    /// Publish the valid releases even when some seeds are invalid.
    pub skip_invalid: bool,
    /// How long to wait for another run to finish with the output folder.
    pub lock_wait: Duration,
    /// Test hook: fail after renaming this many files into place (only with
    /// the `test-hooks` feature, which the tests enable).
    #[cfg(feature = "test-hooks")]
    pub fail_after: Option<usize>,
    /// Test hook: stop a deploy after this many uploads.
    #[cfg(feature = "test-hooks")]
    pub deploy_fail_after: Option<usize>,
    /// Skip the pipeline when the inputs are those of the last build (see
    /// [`cache`]).
    pub use_cache: bool,
    /// Add new seeds to the site the last build grouped when nothing else
    /// changed (see [`regroup`]), rather than group every release again.
    /// A run that cannot finish that way (its output is over budget, which
    /// the whole site must say why) runs again without.
    pub regroup: bool,
    /// The moment the run takes as now (`--now`), or `None` for the clock:
    /// it decides only which embargoed releases are due.
    pub now: Option<DateTime<FixedOffset>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seeds: PathBuf::from("seeds"),
            out: PathBuf::from("feeds"),
            config: PathBuf::from("pressfeed.toml"),
            config_required: false,
            skip_invalid: false,
            lock_wait: Duration::from_secs(60),
            #[cfg(feature = "test-hooks")]
            fail_after: None,
            #[cfg(feature = "test-hooks")]
            deploy_fail_after: None,
            use_cache: true,
            regroup: true,
            now: None,
        }
    }
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file is missing (when named) or wrong.
    #[error("{0}")]
    Config(Diagnostic),
    /// Some seeds are invalid; nothing was written.
    #[error("{} seed file(s) are invalid; nothing was written", invalid)]
    Invalid {
        invalid: usize,
        diagnostics: Vec<Diagnostic>,
    },
    /// The seeds folder cannot be read.
    #[error("{}: cannot read the seeds folder: {source}", crate::diag::shown(path))]
    Seeds {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A seed could not be read again to render its body.
    #[error("{}: cannot read: {source}", crate::diag::shown(path))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Publish(#[from] publish::PublishError),
    /// The output would pass `max_output_bytes`; nothing was published.
    /// The diagnostics say by how much and name the seeds that weigh most.
    #[error("the output would pass max_output_bytes; nothing was published")]
    OverBudget { diagnostics: Vec<Diagnostic> },
    /// Mirroring the output folder into the `[deploy]` target failed; the
    /// output folder itself is published.
    #[error(transparent)]
    Deploy(#[from] deploy::DeployError),
}

/// The outcome of reading and checking every seed.
#[derive(Debug, Default)]
pub struct Checked {
    /// Seed files found.
    pub files: usize,
    /// Seed files read this run: all of them, but in an incremental build
    /// (those whose stamp changed) or an up-to-date one (none).
    pub read: usize,
    /// Seed files that cannot be published.
    pub invalid: usize,
    /// Errors and warnings, in report order.
    pub diagnostics: Vec<Diagnostic>,
    /// Releases dated later than now: held back from every output until
    /// then, soonest first.
    pub held: Vec<Held>,
}

/// A release under embargo: its seed and the moment it is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub path: PathBuf,
    pub due: DateTime<FixedOffset>,
}

impl Checked {
    /// When the next held release is due.
    pub fn next_due(&self) -> Option<DateTime<FixedOffset>> {
        self.held.first().map(|h| h.due)
    }
}

impl Checked {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// What a build did.
#[derive(Debug, Default)]
pub struct BuildReport {
    pub checked: Checked,
    /// Entries published (one per distinct URL).
    pub releases: usize,
    pub feeds: usize,
    pub publish: PublishStats,
    /// The inputs were those of the last build and its output was intact:
    /// nothing was read or written.
    pub up_to_date: bool,
    /// Documents the WebSub hubs are yet to be told about, counted once per
    /// hub: recorded in the output folder before the changed documents were
    /// put in place; [`ping`] tells them.
    pub pings_pending: usize,
    /// With a `[deploy]` target: what mirroring the output folder into it
    /// did. When it failed, the hubs were told nothing (see [`deploy`]).
    pub deploy: Option<Result<deploy::DeployReport, deploy::DeployError>>,
}

/// Reads and validates every seed and groups them, writing nothing.
pub fn check(options: &Options, progress: &dyn Progress) -> Result<(Checked, Site, Config), Error> {
    let config = load_config(options)?;
    let found = find(&options.seeds, progress)?;
    let (checked, site, _) = check_paths(&found, &config, now(options), None, progress)?;
    Ok((checked, site, config))
}

/// The configuration `options` names, checked by every stage that reads it
/// (the formats check the names of `archive_formats`).
fn load_config(options: &Options) -> Result<Config, Error> {
    let config = Config::load(&options.config, options.config_required).map_err(Error::Config)?;
    output::check_config(&config, &options.config).map_err(Error::Config)?;
    Ok(config)
}

fn find(seeds: &Path, progress: &dyn Progress) -> Result<load::Found, Error> {
    progress.stage("finding", 0);
    load::discover(seeds).map_err(|source| Error::Seeds {
        path: seeds.to_path_buf(),
        source,
    })
}

/// Reads, checks and groups the seeds `found`. With `memo` (what the last
/// build knew of each seed, see [`state`]), a seed whose stamp did not
/// change is not read again. Returns, beside the check and the site, what
/// this run knows of each seed (same order as `found.files`) and whether it
/// read it.
fn check_paths(
    found: &load::Found,
    config: &Config,
    now: DateTime<FixedOffset>,
    memo: Option<Memo>,
    progress: &dyn Progress,
) -> Result<(Checked, Site, Seeds), Error> {
    let (releases, mut checked, seeds) = load_all(&found.files, config, memo, progress);
    checked.diagnostics.extend(found.warnings.iter().cloned());
    // Embargoed releases are not part of the site at all until their time:
    // no feed, page, count or date shows them.
    let (releases, held): (Vec<Arc<Release>>, Vec<Arc<Release>>) =
        releases.into_iter().partition(|r| r.date <= now);
    checked.held = held
        .into_iter()
        .map(|r| Held {
            path: r.path.clone(),
            due: r.date,
        })
        .collect();
    checked
        .held
        .sort_by(|a, b| (a.due, &a.path).cmp(&(b.due, &b.path)));
    progress.stage("grouping", 0);
    let site = group::group(releases, config, &mut checked.diagnostics);
    diag::sort(&mut checked.diagnostics);
    progress.stage("checked", 0);
    Ok((checked, site, seeds))
}

/// What a run may take from the last build instead of reading a seed: the
/// state's entry of each seed of the run (same order as its paths), and
/// their stamps if already taken this run (to compare with the cache
/// record).
struct Memo<'a> {
    seeds: Vec<Option<state::Seed>>,
    stamps: Option<&'a [cache::Stamp]>,
}

/// What a run knows of each of its seeds, and whether it read it.
struct Seeds {
    seeds: Vec<state::Seed>,
    read: Vec<bool>,
}

/// What a run read of its seeds.
enum Read {
    /// Every seed, read or taken from the state.
    All(Seeds),
    /// Only new and changed seeds, put into the site the last build
    /// grouped.
    Added(AddedSeeds),
}

impl Read {
    /// The seeds whose stamp cannot be trusted (see [`state::racy`]).
    fn racy(&self) -> Vec<u32> {
        match self {
            Read::All(seeds) => seeds
                .seeds
                .iter()
                .enumerate()
                .filter(|(_, s)| s.racy)
                .map(|(n, _)| n as u32)
                .collect(),
            Read::Added(added) => added.racy.clone(),
        }
    }

    /// The hash of every URL grouping saw ([`regroup::url_hash`]).
    fn urls(&self) -> Vec<u64> {
        match self {
            Read::All(seeds) => seeds
                .seeds
                .par_iter()
                .filter_map(|s| match &s.loaded {
                    state::Loaded::Release { release, .. } => Some(regroup::url_hash(&release.url)),
                    _ => None,
                })
                .collect(),
            Read::Added(added) => added.urls.clone(),
        }
    }
}

/// The new and changed seeds a run read (by their index among the run's
/// seeds), and what the next run needs to know of every seed besides.
struct AddedSeeds {
    /// The seeds read: those changed, then those new.
    seeds: Vec<(usize, state::Seed)>,
    /// The releases of the site read this run: (index in the site, index
    /// in `seeds`).
    read: Vec<(usize, usize)>,
    /// Per release of the site, its seed.
    seed_of: Vec<u32>,
    racy: Vec<u32>,
    urls: Vec<u64>,
}

/// A run after new and changed seeds only (see [`regroup`]).
struct Added {
    checked: Checked,
    site: Site,
    seeds: AddedSeeds,
}

impl Added {
    /// Reads the new and changed seeds of `found` (those `snapshot` does
    /// not know, or whose stamp moved) and adds their releases to the site
    /// it describes; `None` when anything else changed (a seed gone, what
    /// the walk warned about, a release held back or due) or the releases
    /// cannot simply be added or replaced (see [`regroup`] and
    /// [`Added::replace`]): then the run reads and groups every seed.
    fn read(
        found: &load::Found,
        stamps: &[cache::Stamp],
        config: &Config,
        now: DateTime<FixedOffset>,
        snapshot: &mut Snapshot,
        state: &state::State,
        progress: &dyn Progress,
    ) -> Option<Added> {
        // Embargoes: none lifts, and none falls again on a release the
        // site has (`--now` moved back).
        if snapshot.walk != found.warnings
            || snapshot.invalid > 0
            || snapshot.held.iter().any(|(_, due)| *due <= now)
            || snapshot.newest().is_some_and(|newest| newest > now)
        {
            return None;
        }
        let Changes {
            new,
            changed,
            old_to_new,
        } = snapshot.changes(&found.files, stamps)?;
        let paths = &found.files;
        progress.stage("reading", (new.len() + changed.len()) as u64);
        let changed_paths: Vec<&Path> = changed.iter().map(|&(_, n)| &paths[n]).collect();
        let olds = state.entries(&changed_paths);
        let read_at = now_nanos();
        let summaries = archive::enabled(config);
        let to_read: Vec<usize> = changed
            .iter()
            .map(|&(_, n)| n)
            .chain(new.iter().copied())
            .collect();
        let seeds: Vec<(usize, state::Seed)> = to_read
            .par_iter()
            .map(|&n| {
                let seed = load_one(&paths[n], config, summaries, read_at);
                progress.advance(1);
                (n, seed)
            })
            .collect();
        let mut site = snapshot.take_site(config)?;
        let mut diagnostics = snapshot.diagnostics.clone();
        let mut racy = Vec::new();
        // The changed seeds first: each release keeps its place.
        let mut read = Vec::new();
        let urls = snapshot.urls();
        let places = snapshot.releases_of(changed.iter().map(|&(j, _)| j));
        for (k, ((_, seed), old)) in seeds.iter().zip(olds).enumerate().take(changed.len()) {
            let old = old?;
            for d in &old.diagnostics {
                let at = diagnostics.iter().position(|x| x == d)?;
                diagnostics.remove(at);
            }
            match (&old.loaded, &seed.loaded) {
                (
                    state::Loaded::Release { release: was, .. },
                    state::Loaded::Release { release: is, .. },
                ) => {
                    let i = places[k]?;
                    if !Added::replace(&site, snapshot, &urls, i, was, is, now) {
                        return None;
                    }
                    site.releases[i] = Arc::clone(is);
                    read.push((i, k));
                }
                (state::Loaded::Skipped, state::Loaded::Skipped) => {}
                _ => return None,
            }
        }
        let mut releases = Vec::new();
        for (_, seed) in &seeds[changed.len()..] {
            match &seed.loaded {
                state::Loaded::Release { release, .. } if release.date <= now => {
                    releases.push(Arc::clone(release));
                }
                state::Loaded::Skipped => {}
                // Held back, or not publishable.
                _ => return None,
            }
        }
        for (n, seed) in &seeds {
            if seed.racy {
                racy.push(*n as u32);
            }
            diagnostics.extend(seed.diagnostics.iter().cloned());
        }
        racy.sort_unstable();
        progress.stage("adding", 0);
        let before = site.releases.len();
        let site = regroup::add(site, &urls, releases)?;
        let added = site.releases.len() - before;
        // The new releases come first, then the snapshot's, in its order.
        let mut seed_of: Vec<u32> = site.releases[..added]
            .iter()
            .map(|r| {
                let at = paths.find_sorted(&r.path);
                at.expect("a new release's seed is one of the run's") as u32
            })
            .collect();
        seed_of.extend((0..snapshot.releases()).map(|i| old_to_new[snapshot.seed_of(i)]));
        // The replaced releases moved down by the new ones.
        for (i, _) in &mut read {
            *i += added;
        }
        for (i, &n) in seed_of[..added].iter().enumerate() {
            let k = seeds.iter().position(|(m, _)| *m == n as usize)?;
            read.push((i, k));
        }
        let mut urls = urls;
        urls.reserve_exact(added);
        urls.extend(
            site.releases[..added]
                .iter()
                .map(|r| regroup::url_hash(&r.url)),
        );
        diag::sort(&mut diagnostics);
        let checked = Checked {
            files: paths.len(),
            read: seeds.len(),
            invalid: 0,
            diagnostics,
            held: snapshot
                .held
                .iter()
                .map(|(path, due)| Held {
                    path: path.clone(),
                    due: *due,
                })
                .collect(),
        };
        Some(Added {
            checked,
            site,
            seeds: AddedSeeds {
                seeds,
                seed_of,
                racy,
                urls,
                read,
            },
        })
    }
}

impl Added {
    /// Whether release `i` of the site `snapshot` describes (`was`) can be
    /// replaced by `is`, its seed changed, with the site kept as it is
    /// otherwise: same date, URL and names (spelled the same), a URL no
    /// other release has (so grouping neither amends it nor finds it a
    /// duplicate), due, and no name `check` reads the text of (a rare one
    /// on a site big enough to look for them).
    fn replace(
        site: &Site,
        snapshot: &Snapshot,
        urls: &[u64],
        i: usize,
        was: &Release,
        is: &Release,
        now: DateTime<FixedOffset>,
    ) -> bool {
        let hash = regroup::url_hash(&is.url);
        let sharing = urls.partition_point(|&h| h <= hash) - urls.partition_point(|&h| h < hash);
        let rare = site.releases.len() >= crate::input::names::RARE_MIN_SITE
            && site.names.iter().any(|t| {
                t.per_release.get(i).iter().any(|&id| {
                    t.facts.uses[id as usize] as usize <= crate::input::names::RARE_RELEASES
                })
            });
        was.date == is.date
            && is.date <= now
            && was.url == is.url
            && was.terms == is.terms
            && sharing == 1
            && !snapshot.amended(i)
            && !rare
    }
}

/// The moment a run takes as now.
fn now(options: &Options) -> DateTime<FixedOffset> {
    options
        .now
        .unwrap_or_else(|| chrono::Utc::now().fixed_offset())
}

/// The whole pipeline: check, render, write every format, publish. When the
/// inputs are those of the last successful build and its output is intact,
/// nothing is read or written (see [`cache`]).
pub fn build(options: &Options, progress: &dyn Progress) -> Result<BuildReport, Error> {
    let config = load_config(options)?;
    // One run at a time, from before the seeds are read to after the cache
    // record is stored: a run never publishes seeds older than those another
    // run already published. An output folder that does not exist yet is
    // created (and locked) only once the input is known to be valid.
    let mut lock = match options.out.is_dir() {
        true => Some(publish::lock(&options.out, options.lock_wait)?),
        false => None,
    };
    let found = find(&options.seeds, progress)?;
    let paths = &found.files;
    // With a record of the last build, the seeds' stamps (one `stat` each)
    // decide whether there is anything to do. Without one, the stamps are
    // taken from the seeds as they are opened, which saves a pass.
    progress.stage("fingerprint", 0);
    let record = match options.use_cache {
        true => cache::load(&options.out),
        false => None,
    };
    let stamps_taken = record.as_ref().and_then(|_| cache::stamps(paths).ok());
    let mut fingerprint = stamps_taken.as_ref().and_then(|stamps| {
        cache::fingerprint(
            &options.seeds,
            paths,
            stamps,
            &found.warnings,
            &options.config,
        )
        .ok()
    });
    let now = now(options);
    let cached = record.filter(|r| {
        fingerprint.as_ref() == Some(&r.fingerprint)
            && r.same_releases_at(now)
            && cache::outputs_intact(&options.out, r)
    });
    if let Some(record) = cached {
        // Nothing changed; hubs no longer configured are forgotten.
        let pings_pending = match &lock {
            Some(lock) => websub::record(lock.path(), &config.hubs, &[])
                .map_err(|e| pending_error(lock.path(), e))?,
            None => 0,
        };
        let deploy = deploy_after_publish(options, &config, progress);
        progress.stage("done", 0);
        return Ok(BuildReport {
            deploy,
            pings_pending,
            checked: Checked {
                files: record.files,
                read: 0,
                invalid: 0,
                diagnostics: record.diagnostics,
                held: record
                    .held
                    .into_iter()
                    .filter_map(|(path, due)| {
                        let due = DateTime::parse_from_rfc3339(&due).ok()?;
                        Some(Held { path, due })
                    })
                    .collect(),
            },
            releases: record.releases,
            feeds: record.feeds,
            publish: PublishStats {
                written: 0,
                unchanged: record
                    .outputs
                    .iter()
                    .filter(|(path, ..)| path != publish::MANIFEST)
                    .count(),
                removed: 0,
                changed: Vec::new(),
                warnings: Vec::new(),
                files: BTreeMap::new(),
            },
            up_to_date: true,
        });
    }

    // An incremental build: what the last build knew of each seed and
    // each file it wrote, as far as it can be trusted (see [`state`]).
    progress.stage("state", 0);
    let salt = state::salt(&options.config)
        .ok()
        .filter(|_| options.use_cache);
    let mut state = salt.map_or_else(state::State::default, |salt| {
        state::State::open(&options.out, salt)
    });
    // After new or edited seeds only, the site the last build grouped,
    // with their releases put in (see [`regroup`]); else every seed, read
    // or taken from the state, grouped again.
    let mut snapshot = salt.and_then(|_| state.snapshot());
    let stamps = fingerprint.as_ref().and(stamps_taken.as_deref());
    let added = match (&mut snapshot, stamps, options.regroup) {
        (Some(snapshot), Some(stamps), true) => {
            Added::read(&found, stamps, &config, now, snapshot, &state, progress)
        }
        _ => None,
    };
    let (checked, site, read) = match added {
        Some(added) => (added.checked, added.site, Read::Added(added.seeds)),
        None => {
            state.read_seeds();
            let memo = Memo {
                seeds: state.take_all(paths),
                stamps,
            };
            let (checked, site, seeds) = check_paths(&found, &config, now, Some(memo), progress)?;
            (checked, site, Read::All(seeds))
        }
    };
    let state_warnings = std::mem::take(&mut state.distrusted);
    if fingerprint.is_none()
        && options.use_cache
        && let Read::All(seeds) = &read
    {
        let stamps: Vec<cache::Stamp> = seeds.seeds.iter().map(|s| s.stamp).collect();
        fingerprint = cache::fingerprint(
            &options.seeds,
            paths,
            &stamps,
            &found.warnings,
            &options.config,
        )
        .ok();
    }
    if checked.invalid > 0 && !options.skip_invalid {
        return Err(Error::Invalid {
            invalid: checked.invalid,
            diagnostics: checked.diagnostics,
        });
    }
    let lock = match lock.take() {
        Some(lock) => lock,
        None => publish::lock(&options.out, options.lock_wait)?,
    };
    cache::invalidate(&options.out);
    progress.stage("keys", 0);
    let last_outputs = std::mem::take(&mut state.outputs);
    let last = options.use_cache.then_some(&last_outputs);
    let known = match &read {
        Read::All(seeds) => Known::new(&site, paths, &seeds.seeds, last, snapshot.as_ref()),
        Read::Added(added) => Known::added(
            &site,
            snapshot
                .as_mut()
                .expect("new seeds are added to a snapshot"),
            &found.files,
            added,
            last,
        ),
    };
    // What the last build's site was is now in the run's own.
    drop(snapshot);
    // Grouping's warnings, without those of fitting documents.
    let grouped = checked.diagnostics.clone();
    let mut checked = checked;
    let mut pings_pending = 0;
    // What this run knows of its seeds is stored while it makes its files
    // (the state's shards: 25 MB for the real archive after a full build),
    // on the cores that making them leaves idle.
    let written = std::thread::scope(|scope| {
        if options.use_cache {
            scope.spawn(|| match &read {
                Read::All(seeds) => state.store_seeds(&found.files, &seeds.seeds, &seeds.read),
                Read::Added(seeds) => {
                    let added: Vec<(&Path, &state::Seed)> = seeds
                        .seeds
                        .iter()
                        .map(|(n, seed)| (&found.files[*n], seed))
                        .collect();
                    state.add_seeds(&added);
                }
            });
        }
        write_outputs(
            &site,
            &config,
            &known,
            progress,
            |planned| {
                #[cfg(feature = "test-hooks")]
                let fail_after = options.fail_after;
                #[cfg(not(feature = "test-hooks"))]
                let fail_after = None;
                publish::Session::begin(&lock, planned, fail_after)
                    .map(|s| s.with_budget(config.max_output_bytes))
            },
            |changed| {
                // What the hubs must be told is kept before the first changed
                // document is in place: a run stopped from here on (killed,
                // timed out) leaves the next run all of it to tell.
                let documents: Vec<String> =
                    changed.iter().map(|path| config.output_url(path)).collect();
                pings_pending = websub::record(&options.out, &config.hubs, &documents)
                    .map_err(|e| pending_error(&options.out, e))?;
                Ok(())
            },
        )
    });
    let Written {
        publish,
        paths,
        warnings,
        outputs,
        archive_sizes,
    } = match written {
        // Which seeds weigh most is a question for the whole site.
        Err(Error::Publish(publish::PublishError::OverBudget { .. }))
            if matches!(read, Read::Added(_)) =>
        {
            drop(lock);
            let again = Options {
                regroup: false,
                ..options.clone()
            };
            return build(&again, progress);
        }
        written => written.map_err(|e| over_budget(e, &site, &config, options))?,
    };
    let Known { keys, seed_of, .. } = known;
    let kept = options.use_cache.then(|| {
        let stamps = match &read {
            Read::All(seeds) => seeds.seeds.iter().map(|s| s.stamp).collect(),
            Read::Added(_) => stamps_taken.unwrap_or_default(),
        };
        let parts = Parts {
            paths: &found.files,
            stamps,
            racy: read.racy(),
            seed_of,
            urls: read.urls(),
            keys,
            sizes: &archive_sizes,
            walk: &found.warnings,
            diagnostics: &grouped,
            held: checked
                .held
                .iter()
                .map(|h| (h.path.clone(), h.due))
                .collect(),
            invalid: checked.invalid,
        };
        Snapshot::new(parts, &site)
    });
    // What fitting the documents to their size took is reported with the
    // seeds' warnings (and repeated, like them, by up-to-date runs).
    checked.diagnostics.extend(warnings);
    diag::sort(&mut checked.diagnostics);
    progress.stage("storing", 0);
    if let (Some(fingerprint), 0) = (fingerprint, checked.invalid) {
        let record = cache::Record {
            format: cache::FORMAT,
            fingerprint,
            files: checked.files,
            releases: site.releases.len(),
            feeds: site.feeds.len(),
            diagnostics: checked.diagnostics.clone(),
            held: checked
                .held
                .iter()
                .map(|h| (h.path.clone(), h.due.to_rfc3339()))
                .collect(),
            newest: site.releases.first().map(|r| r.date.to_rfc3339()),
            // The manifest too: without it, the next full build would take
            // every feed for a file pressfeed did not write.
            // A published file that cannot be described leaves no record:
            // the next build is a full one, which is always correct.
            outputs: cache::describe_outputs(
                &options.out,
                paths.iter().map(String::as_str).chain([publish::MANIFEST]),
            )
            .unwrap_or_default(),
        };
        if !record.outputs.is_empty() {
            cache::store(&options.out, &record);
        }
    }
    if options.use_cache {
        state.store_outputs(&outputs);
    }
    if let Some(kept) = kept {
        state.store_snapshot(&kept);
    }
    // A state that could not be trusted is said once, by the run that
    // replaced it (an up-to-date run does not repeat it).
    checked.diagnostics.extend(state_warnings);
    // The manifest's warnings concern this run's publishing, not the seeds:
    // an up-to-date run does not repeat them.
    checked.diagnostics.extend(publish.warnings.iter().cloned());
    let deploy = deploy_after_publish(options, &config, progress);
    drop(lock);
    progress.stage("done", 0);
    Ok(BuildReport {
        deploy,
        releases: site.releases.len(),
        feeds: site.feeds.len(),
        checked,
        publish,
        up_to_date: false,
        pings_pending,
    })
}

/// With a `[deploy]` target, mirrors the output folder into it, while the
/// folder is still locked; `None` without one. The hubs are told by
/// [`ping`] only once this has succeeded: until then the documents are not
/// live where readers fetch them, and the pings stay recorded for the next
/// run that deploys.
fn deploy_after_publish(
    options: &Options,
    config: &Config,
    progress: &dyn Progress,
) -> Option<Result<deploy::DeployReport, deploy::DeployError>> {
    config.deploy.as_ref().map(|target| {
        deploy::deploy(
            &options.out,
            target,
            &deploy_options(options, false),
            progress,
        )
    })
}

fn deploy_options(options: &Options, dry_run: bool) -> deploy::DeployOptions {
    deploy::DeployOptions {
        dry_run,
        #[cfg(feature = "test-hooks")]
        fail_after: options.deploy_fail_after,
        #[cfg(not(feature = "test-hooks"))]
        fail_after: {
            let _ = options;
            None
        },
    }
}

/// Mirrors the output folder into the `[deploy]` target of the
/// configuration, without building (with `dry_run`, works out what would be
/// sent and deleted and changes nothing). The caller then tells the hubs
/// what earlier runs kept ([`ping`]), unless it was a dry run.
pub fn deploy(
    options: &Options,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<deploy::DeployReport, Error> {
    let config = Config::load(&options.config, options.config_required).map_err(Error::Config)?;
    let Some(target) = &config.deploy else {
        return Err(Error::Config(
            Diagnostic::error(&options.config, 0, 0, "no [deploy] table: nowhere to deploy to")
                .with_hint("add `[deploy]` with `target = \"s3://BUCKET/PREFIX/\"` (see README.md, Deploy to object storage)"),
        ));
    };
    if !options.out.is_dir() {
        return Err(Error::Deploy(deploy::DeployError::Read {
            path: options.out.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such folder; run pressfeed build first",
            ),
        }));
    }
    let lock = publish::lock(&options.out, options.lock_wait)?;
    let report = deploy::deploy(
        &options.out,
        target,
        &deploy_options(options, dry_run),
        progress,
    )?;
    drop(lock);
    progress.stage("done", 0);
    Ok(report)
}

/// A build refused by the output budget, as the error that names the seeds
/// weighing most on the output ([`delivery::budget`]); any other error as
/// it is.
fn over_budget(e: Error, site: &Site, config: &Config, options: &Options) -> Error {
    let Error::Publish(publish::PublishError::OverBudget {
        path,
        max,
        total,
        files,
        planned,
    }) = &e
    else {
        return e;
    };
    let what = format!(
        "the output in {} would be more than max_output_bytes ({max} bytes): {total} bytes in the first {files} of {planned} files; nothing was published",
        diag::shown(path)
    );
    let heaviest = delivery::budget::heaviest(site, config, delivery::budget::NAMED);
    Error::OverBudget {
        diagnostics: delivery::budget::diagnostics(&what, &heaviest, &options.config),
    }
}

/// The pending pings of `out` could not be kept: nothing is published.
fn pending_error(out: &Path, source: std::io::Error) -> publish::PublishError {
    publish::PublishError::Io {
        path: out.join(websub::PENDING_FILE),
        source,
    }
}

/// Tells the configured WebSub hubs what earlier builds into `options.out`
/// recorded for them (see [`websub`]), keeping what they were not told for
/// the next run. Call it once the documents are live where readers fetch
/// them: after [`build`], or after copying the output folder to where it is
/// served. Holds the output folder's lock while it runs, so that two runs
/// never both send, or both keep, the same pings.
pub fn ping(options: &Options, settings: &websub::PingSettings) -> Result<websub::Outcome, Error> {
    let config = Config::load(&options.config, options.config_required).map_err(Error::Config)?;
    if !options.out.is_dir() {
        return Ok(websub::Outcome::default());
    }
    let lock = publish::lock(&options.out, options.lock_wait)?;
    let outcome = websub::tell(lock.path(), &config.hubs, settings);
    drop(lock);
    Ok(outcome)
}

/// Stages 1 and 2 for every seed, in parallel: what this run knows of each
/// seed (same order as `paths`), taken from `memo` when its stamp did not
/// change, else read.
fn load_all(
    paths: &Paths,
    config: &Config,
    memo: Option<Memo>,
    progress: &dyn Progress,
) -> (Vec<Arc<Release>>, Checked, Seeds) {
    progress.stage("reading", paths.len() as u64);
    let summaries = archive::enabled(config);
    let read_at = now_nanos();
    let (mut olds, stamps) = memo.map_or((Vec::new(), None), |m| (m.seeds, m.stamps));
    olds.resize_with(paths.len(), || None);
    let seeds: Vec<(state::Seed, bool)> = paths
        .par_iter()
        .zip(olds)
        .enumerate()
        .map(|(n, (path, old))| {
            let known = old.and_then(|seed| {
                let stamp = match stamps {
                    Some(stamps) => stamps[n],
                    None => cache::stamp(&std::fs::metadata(path).ok()?),
                };
                seed.fresh(&stamp).then_some(seed)
            });
            let r = match known {
                Some(seed) => (seed, false),
                None => (load_one(path, config, summaries, read_at), true),
            };
            progress.advance(1);
            r
        })
        .collect();
    let mut checked = Checked {
        files: paths.len(),
        ..Checked::default()
    };
    let mut releases = Vec::with_capacity(seeds.len());
    let mut all = Vec::with_capacity(seeds.len());
    let mut was_read = Vec::with_capacity(seeds.len());
    for (seed, read) in seeds {
        checked.read += usize::from(read);
        was_read.push(read);
        match &seed.loaded {
            state::Loaded::Release { release, .. } => releases.push(Arc::clone(release)),
            state::Loaded::Skipped => {}
            state::Loaded::Invalid => checked.invalid += 1,
        }
        checked.diagnostics.extend(seed.diagnostics.iter().cloned());
        all.push(seed);
    }
    (
        releases,
        checked,
        Seeds {
            seeds: all,
            read: was_read,
        },
    )
}

/// Nanoseconds since the Unix epoch, now.
fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// Reads, splits, parses and validates one seed, with one read of its
/// bytes; with `summary`, makes the summary of its body (what archive
/// documents and history pages carry), so that it is never read again for
/// them.
fn load_one(path: &Path, config: &Config, summary: bool, read_at: i128) -> state::Seed {
    // One buffer per thread, reused for every seed it reads: no allocation
    // (and no fresh pages to fault in) per file.
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|bytes| {
        bytes.clear();
        let mut stamp = (0, 0, 0, 0);
        let read = load::open_seed(path).and_then(|(mut f, meta)| {
            stamp = cache::stamp(&meta);
            load::read_known(&mut f, meta.len(), bytes)
        });
        let (loaded, diagnostics) = match read {
            Ok(_) => {
                let (mut loaded, diags) = load_bytes(path, bytes, config);
                if let (
                    state::Loaded::Release {
                        release,
                        summary: s,
                    },
                    true,
                ) = (&mut loaded, summary)
                {
                    let body = bytes.get(release.body_offset..).unwrap_or_default();
                    // UTF-8, as decoding the whole seed found: checked
                    // again the fast way (a lossy copy only if that fails).
                    let body = simdutf8::basic::from_utf8(body)
                        .map_or_else(|_| String::from_utf8_lossy(body), Into::into);
                    *s = Some(render::summary(&body));
                }
                (loaded, diags)
            }
            Err(e) => (
                state::Loaded::Invalid,
                vec![Diagnostic::error(
                    path,
                    0,
                    0,
                    format!("cannot read file: {e}"),
                )],
            ),
        };
        let seed = state::Seed {
            stamp,
            hash: *blake3::hash(bytes).as_bytes(),
            racy: state::racy(&stamp, read_at),
            loaded,
            diagnostics,
        };
        // Do not keep a buffer the size of one huge seed for the whole run.
        if bytes.capacity() > 1 << 20 {
            *bytes = Vec::new();
        }
        seed
    })
}

/// Splits, parses and validates the bytes of one seed (a release without
/// its summary).
fn load_bytes(path: &Path, bytes: &[u8], config: &Config) -> (state::Loaded, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let release = load::decode(path, bytes)
        .and_then(|(text, skip)| load::split(path, text, skip))
        .map_err(|d| vec![d])
        .and_then(|split| {
            let fm = frontmatter::parse(path, &split, config, &mut diags)?;
            validate::validate(path, &split, fm, config, &mut diags)
        });
    match release {
        Ok(Some(release)) => (
            state::Loaded::Release {
                release: Arc::new(release),
                summary: None,
            },
            diags,
        ),
        Ok(None) => (state::Loaded::Skipped, diags),
        Err(errors) => {
            diags.extend(errors);
            (state::Loaded::Invalid, diags)
        }
    }
}

/// What a build knows of the site's releases besides the releases
/// themselves, and what its last build wrote (see [`state`]).
pub struct Known<'a> {
    /// Per release of the site (same index): its key
    /// ([`output::digest::item_key`]).
    pub keys: Vec<state::Digest>,
    /// Per release of the site: the summary of its body, when it was made
    /// while the seed was read.
    pub summaries: Vec<Option<&'a str>>,
    /// Per release of the site: its seed (an index into the run's seeds).
    pub seed_of: Vec<u32>,
    /// Per release of the site: what it takes in an archive document
    /// (see [`output::archive_size`]), when the last build measured it.
    pub archive_sizes: Vec<Option<u32>>,
    /// What the last build wrote, or `None` to write every file.
    pub outputs: Option<&'a state::Outputs>,
    /// When the site has only the date of some releases (see
    /// [`Release::dated`]): the run's seeds, which they are read from
    /// (by [`Known::seed_of`]).
    pub dated: Option<&'a Paths>,
}

impl<'a> Known<'a> {
    /// What `seeds` (one per path of `paths`) tell of the releases of
    /// `site`; `outputs` as for [`Known::outputs`].
    fn new(
        site: &Site,
        paths: &Paths,
        seeds: &'a [state::Seed],
        outputs: Option<&'a state::Outputs>,
        last: Option<&Snapshot>,
    ) -> Known<'a> {
        // What each release the last build measured takes in an archive
        // document, by its key.
        let measured: foldhash::HashMap<state::Digest, u32> = match (outputs, last) {
            (Some(_), Some(last)) => last.archive_sizes(),
            _ => Default::default(),
        };
        // Keyed by the path's bytes: a `Path` hashes component by component.
        let at: foldhash::HashMap<&std::ffi::OsStr, u32> = paths
            .iter()
            .enumerate()
            .map(|(n, p)| (p.as_os_str(), n as u32))
            .collect();
        let per_release: Vec<(state::Digest, Option<&str>, u32)> = (0..site.releases.len() as u32)
            .into_par_iter()
            .map(|i| {
                let n = at.get(site.releases[i as usize].path.as_os_str()).copied();
                let seed = n.map(|n| &seeds[n as usize]);
                let hash = seed.map_or([0; 32], |s| s.hash);
                let summary = seed.and_then(|s| match &s.loaded {
                    state::Loaded::Release { summary, .. } => summary.as_deref(),
                    _ => None,
                });
                (
                    output::digest::item_key(site, i, &hash),
                    summary,
                    n.unwrap_or(u32::MAX),
                )
            })
            .collect();
        let mut known = Known {
            keys: Vec::with_capacity(per_release.len()),
            summaries: Vec::with_capacity(per_release.len()),
            seed_of: Vec::with_capacity(per_release.len()),
            archive_sizes: Vec::with_capacity(per_release.len()),
            outputs,
            dated: None,
        };
        for (key, summary, seed) in per_release {
            known.archive_sizes.push(measured.get(&key).copied());
            known.keys.push(key);
            known.summaries.push(summary);
            known.seed_of.push(seed);
        }
        known
    }

    /// What a run that added new seeds (see [`Added`]) knows of the
    /// releases of `site`: the new ones (first) from their seeds, the
    /// others from `snapshot`.
    fn added(
        site: &Site,
        snapshot: &mut Snapshot,
        paths: &'a Paths,
        added: &'a AddedSeeds,
        outputs: Option<&'a state::Outputs>,
    ) -> Known<'a> {
        let new = site.releases.len() - snapshot.releases();
        let mut keys = vec![[0; 32]; new];
        keys.append(&mut snapshot.take_keys());
        let mut summaries = vec![None; site.releases.len()];
        let mut archive_sizes = vec![None; new];
        if outputs.is_some() {
            archive_sizes.extend(snapshot.sizes());
        }
        archive_sizes.resize(site.releases.len(), None);
        // The releases read this run: their keys from their seeds' bytes.
        for &(i, k) in &added.read {
            let seed = &added.seeds[k].1;
            keys[i] = output::digest::item_key(site, i as u32, &seed.hash);
            if let state::Loaded::Release { summary, .. } = &seed.loaded {
                summaries[i] = summary.as_deref();
            }
            archive_sizes[i] = None;
        }
        Known {
            keys,
            summaries,
            seed_of: added.seed_of.clone(),
            archive_sizes,
            outputs,
            dated: Some(paths),
        }
    }

    /// Release `i` of `site` whole, read again from its seed (with the
    /// summary of its body, when `summary`), if the site has only its
    /// date.
    fn whole(
        &self,
        site: &Site,
        config: &Config,
        i: u32,
        summary: bool,
    ) -> Result<Option<Reread>, Error> {
        let release = &site.releases[i as usize];
        let Some(paths) = self.dated.filter(|_| release.path.as_os_str().is_empty()) else {
            return Ok(None);
        };
        let path = paths[self.seed_of[i as usize] as usize].to_path_buf();
        let seed = load_one(&path, config, summary, 0);
        match seed.loaded {
            state::Loaded::Release {
                release: whole,
                summary,
            } if whole.date == release.date => Ok(Some((whole, summary))),
            _ => Err(Error::Read {
                path,
                source: std::io::Error::other(
                    "it changed while pressfeed was building; run the build again",
                ),
            }),
        }
    }
}

/// A release read again whole, with the summary of its body when it was
/// asked for.
type Reread = (Arc<Release>, Option<String>);

/// The releases of a site that a run read again whole (see
/// [`Known::whole`]), by their index in the site.
struct Whole(foldhash::HashMap<u32, Reread>);

impl Whole {
    /// Reads again those of the releases `indexes` of `site` that it has
    /// only the date of; with `summaries`, makes their summaries from the
    /// same read.
    fn read(
        site: &Site,
        config: &Config,
        known: &Known<'_>,
        indexes: impl IntoParallelIterator<Item = u32>,
        summaries: bool,
    ) -> Result<Whole, Error> {
        if known.dated.is_none() {
            return Ok(Whole(Default::default()));
        }
        let read: Vec<(u32, Reread)> = indexes
            .into_par_iter()
            .filter_map(|i| {
                known
                    .whole(site, config, i, summaries)
                    .map(|w| w.map(|w| (i, w)))
                    .transpose()
            })
            .collect::<Result<_, Error>>()?;
        Ok(Whole(read.into_iter().collect()))
    }

    /// Release `i` of `site`, whole.
    fn get<'s>(&'s self, site: &'s Site, i: u32) -> &'s Release {
        self.0
            .get(&i)
            .map_or(&site.releases[i as usize], |(r, _)| r)
    }

    /// The summary of release `i`'s body, if it was read again with one.
    fn summary(&self, i: u32) -> Option<&str> {
        self.0.get(&i).and_then(|(_, s)| s.as_deref())
    }
}

/// Stages 4 to 6: plan what the build writes ([`site::plan::Plan`]), work
/// out which of those files must be made ([`output::Scope`]: all, or in an
/// incremental build those whose digest or file changed since the last
/// build, as `known` tells), render the bodies those files carry (each
/// once), write them in every format, the pages for people and the OPML
/// list, and publish each file as soon as it is made, through the session
/// `begin` starts with every path the run writes; the files not made are
/// kept as they are. `before_commit` is given the subscription documents
/// (as the plan tells them apart from archive documents) that changed,
/// after the last file is written and before the first is renamed into
/// place. Returns what publishing did, those paths, and what the next
/// build needs to know.
pub fn write_outputs<'l>(
    site: &Site,
    config: &Config,
    known: &Known<'_>,
    progress: &dyn Progress,
    begin: impl FnOnce(BTreeSet<String>) -> Result<publish::Session<'l>, publish::PublishError>,
    before_commit: impl FnOnce(&[String]) -> Result<(), publish::PublishError>,
) -> Result<Written, Error> {
    progress.stage("planning", 0);
    let mut plan = Plan::new(site, config);
    // Archive documents are cut so that none outgrows max_document_bytes,
    // by what each release takes in one: measured once, then known by its
    // key.
    let mut archive_sizes = Vec::new();
    if let Some(room) = output::archive_room(config).filter(|_| !plan.archived.is_empty()) {
        let stored = |i: u32| known.archive_sizes[i as usize].map(|s| s as usize);
        let unsized_: Vec<u32> = plan
            .archived
            .par_iter()
            .copied()
            .filter(|&i| stored(i).is_none())
            .collect();
        let whole = Whole::read(site, config, known, unsized_, true)?;
        archive_sizes = plan
            .archived
            .par_iter()
            .map(|&i| {
                if let Some(size) = stored(i) {
                    return Ok(size);
                }
                let item = summary_item(site, &whole, known, i)?;
                Ok(output::archive_size(config, &item))
            })
            .collect::<Result<Vec<usize>, Error>>()?;
        plan.fit_archives(&archive_sizes, room);
    }
    let subscriptions = output::subscription_paths(&plan);

    progress.stage("lists", 0);
    // The lists and the OPML are small and made from the site alone: with
    // them, every path this run writes is known, which publishing needs
    // before the first file appears.
    let directory = html::Directory::new(site, config);
    let mut small: Vec<OutputFile> = html::section_pages(&directory, config)
        .into_iter()
        .map(|(path, bytes)| OutputFile { path, bytes })
        .collect();
    small.push(OutputFile {
        path: paths::OPML_FILE.to_string(),
        bytes: output::opml::document(site, config),
    });
    let mut planned = output::planned_paths(&plan);
    planned.extend(small.iter().map(|f| f.path.clone()));
    if archive::enabled(config) {
        let sitemaps = output::sitemap::sitemaps(config, planned.iter().map(String::as_str));
        for (path, bytes) in sitemaps {
            planned.insert(path.clone());
            small.push(OutputFile { path, bytes });
        }
    }
    progress.stage("preparing", 0);
    let session = begin(planned.clone())?;

    progress.stage("digests", 0);
    // Which files to make: each file's digest, against what the last build
    // made of the same path, if the file is still as it left it.
    let made = Made::new(&plan, known, &session);

    // Each carried body is read again and rendered once, however many
    // documents carry it; archive documents and history pages carry the
    // summaries made when the seeds were read.
    let carried = made.scope.needed(&plan, false);
    let archived_needed = made.scope.needed(&plan, true);
    let to_render =
        carried.iter().filter(|&&n| n).count() + archived_needed.iter().filter(|&&n| n).count();
    progress.stage("rendering", to_render as u64);
    let needed = |list: &[u32], needed: &[bool]| -> Vec<u32> {
        list.iter()
            .zip(needed)
            .filter(|(_, n)| **n)
            .map(|(&i, _)| i)
            .collect()
    };
    // Releases the site has only the date of: read again whole, those
    // archive documents and history pages carry with their summary.
    let whole = Whole::read(site, config, known, needed(&plan.carried, &carried), false)?;
    let summarised = Whole::read(
        site,
        config,
        known,
        needed(&plan.archived, &archived_needed),
        true,
    )?;
    let items = Chosen::try_make(&carried, |n| {
        let i = plan.carried[n];
        let release = whole.get(site, i);
        let body = read_body(release)?;
        progress.advance(1);
        Ok::<_, Error>(Item::new(
            site,
            i,
            release,
            render::render(&body, &release.url, &release.attachments),
        ))
    })?;
    let archived = Chosen::try_make(&archived_needed, |n| {
        let item = summary_item(site, &summarised, known, plan.archived[n])?;
        progress.advance(1);
        Ok::<_, Error>(item)
    })?;

    // One format at a time, so only one format's fragments are in memory at
    // once; each file goes to the output folder as soon as it is made, so
    // the whole output is never in memory either.
    progress.stage("writing", made.files as u64);
    // Publishing keeps why it refused a file; the writers stop.
    let refusal: std::sync::Mutex<Option<publish::PublishError>> = std::sync::Mutex::new(None);
    let put = |path: &str, bytes: &[u8]| {
        session.put(path, bytes).map_err(|e| {
            let mut first = refusal.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert(e);
            output::Refused
        })?;
        progress.advance(1);
        Ok(())
    };
    let refused = |_: output::Refused| -> Error {
        let why = refusal.lock().unwrap_or_else(|p| p.into_inner()).take();
        Error::Publish(why.expect("a refused file has its reason kept"))
    };
    // How each release was fitted to the document budget, by format: made
    // now for the items of the documents made, else as the last build made
    // them.
    let mut cuts: BTreeMap<u32, Vec<(String, state::Cut)>> = BTreeMap::new();
    let mut trimmed: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let made_carried = made.scope.carried_by_documents(&plan, false);
    let made_archived = made.scope.carried_by_documents(&plan, true);
    for format in FEED_FORMATS {
        let label = format.info().label;
        let fitted = format
            .write_documents(&plan, &made.scope, &items, &archived, &put)
            .map_err(refused)?;
        let shortened = fitted.shortened.iter().map(|&(n, size)| {
            let item = &items[n as usize];
            let body = item.rendered.html.len();
            (item, state::Cut::Shortened { size, body })
        });
        let stubbed = fitted.stubbed.iter().map(|&n| {
            let item = &items[n as usize];
            (
                item,
                state::Cut::Stub {
                    cuts: item.stub_cuts(),
                },
            )
        });
        let stubbed_archived = fitted.stubbed_archived.iter().map(|&n| {
            let item = &archived[n as usize];
            (
                item,
                state::Cut::ArchiveStub {
                    cuts: item.stub_cuts(),
                },
            )
        });
        for (item, cut) in shortened.chain(stubbed).chain(stubbed_archived) {
            cuts.entry(item.index)
                .or_default()
                .push((label.to_string(), cut));
        }
        trimmed.extend(
            fitted
                .trimmed
                .into_iter()
                .map(|(path, carried, planned)| (path, (carried, planned))),
        );
        // The items of documents not made: as the last build fitted them
        // (a subscription document's cuts for the releases such documents
        // carry, an archive document's for those archive documents carry).
        if let Some(last) = known.outputs {
            let lists = [
                (&plan.carried, &made_carried, false),
                (&plan.archived, &made_archived, true),
            ];
            for (list, made_now, archive) in lists {
                for (&i, _) in list.iter().zip(made_now.iter()).filter(|(_, m)| !**m) {
                    let Some(was) = last.cuts.get(&known.keys[i as usize]) else {
                        continue;
                    };
                    let replayed = was.iter().filter(|(l, cut)| {
                        l == label && matches!(cut, state::Cut::ArchiveStub { .. }) == archive
                    });
                    for (l, cut) in replayed {
                        cuts.entry(i).or_default().push((l.clone(), cut.clone()));
                    }
                }
            }
        }
    }
    for (n, doc) in plan.documents.iter().enumerate() {
        if made.scope.document(n) {
            continue;
        }
        for path in output::document_files(&plan, doc) {
            if let Some(t) = known.outputs.and_then(|o| o.files.get(&path)?.trimmed) {
                trimmed.insert(path, t);
            }
        }
    }
    let cut = Whole::read(
        site,
        config,
        known,
        cuts.keys().copied().collect::<Vec<_>>(),
        false,
    )?;
    let warnings = fitting_warnings(site, &cut, config, &cuts, &trimmed);
    html::write_pages(&plan, &made.scope, &items, &directory, &put).map_err(refused)?;
    html::write_history(&plan, &made.scope, &archived, &put).map_err(refused)?;
    for f in &small {
        session.put(&f.path, &f.bytes)?;
    }
    for path in &made.kept {
        session.keep(path)?;
    }
    drop(items);
    drop(archived);
    progress.stage("syncing", 0);
    let publish = session.finish_with(|changed| {
        let documents: Vec<String> = changed
            .iter()
            .filter(|path| subscriptions.contains(*path))
            .cloned()
            .collect();
        before_commit(&documents)
    })?;
    // What the next build needs to know of this one's files.
    let mut outputs = state::Outputs::default();
    for (path, digest) in made.digests {
        if let Some(&on_disk) = publish.files.get(&path) {
            let trimmed = trimmed.get(&path).copied();
            outputs.files.insert(
                path,
                state::Output {
                    digest,
                    on_disk,
                    trimmed,
                },
            );
        }
    }
    for (i, c) in cuts {
        outputs.cuts.insert(known.keys[i as usize], c);
    }
    // Per release of the site, what it takes in an archive document.
    let mut sizes = vec![None; site.releases.len()];
    for (&i, &size) in plan.archived.iter().zip(&archive_sizes) {
        sizes[i as usize] = u32::try_from(size).ok();
    }
    Ok(Written {
        publish,
        paths: planned,
        warnings,
        outputs,
        archive_sizes: sizes,
    })
}

/// Release `i` of `site` (whole, from `whole` when the site has only its
/// date) as archive documents and history pages carry it: its summary
/// (made when its seed was read, or else from its body, read again) and
/// no body.
fn summary_item<'s>(
    site: &'s Site,
    whole: &'s Whole,
    known: &Known<'_>,
    i: u32,
) -> Result<Item<'s>, Error> {
    let release = whole.get(site, i);
    let summary = match known.summaries[i as usize].or_else(|| whole.summary(i)) {
        Some(summary) => summary.to_string(),
        None => render::summary(&read_body(release)?),
    };
    let rendered = render::Rendered {
        html: String::new(),
        summary,
    };
    Ok(Item::new(site, i, release, rendered))
}

/// The body of `release`, read again from its seed.
fn read_body(release: &Release) -> Result<String, Error> {
    load::read_body(&release.path, release.body_offset).map_err(|source| Error::Read {
        path: release.path.clone(),
        source,
    })
}

/// Which files of a plan a build makes, and the digest of each file made
/// from the plan.
struct Made {
    scope: output::Scope,
    /// Every document's and page's file, with its digest (see
    /// [`output::digest`]); not the lists of every feed, the OPML list or
    /// the sitemaps, which are always made.
    digests: Vec<(String, state::Digest)>,
    /// The files kept as they are.
    kept: Vec<String>,
    /// How many files are made from the plan.
    files: usize,
}

impl Made {
    fn new(plan: &Plan<'_>, known: &Known<'_>, session: &publish::Session<'_>) -> Made {
        let keys = &known.keys;
        let mut digests = Vec::new();
        let mut kept = Vec::new();
        // A file is kept when the last build made it from the same inputs
        // and nobody changed it since; a document is made whole, in every
        // format, when any of its files is not kept.
        let mut decide = |paths: Vec<(String, state::Digest)>| -> bool {
            let fresh = known.outputs.is_some()
                && paths.iter().all(|(path, digest)| {
                    known
                        .outputs
                        .and_then(|o| o.files.get(path))
                        .is_some_and(|o| {
                            o.digest == *digest && session.on_disk(path) == Some(o.on_disk)
                        })
                });
            if fresh {
                kept.extend(paths.iter().map(|(p, _)| p.clone()));
            }
            digests.extend(paths);
            !fresh
        };
        let documents = output::digest::documents(plan, keys)
            .iter()
            .zip(&plan.documents)
            .map(|(digest, doc)| {
                decide(
                    output::document_files(plan, doc)
                        .map(|path| {
                            let d = output::digest::file(digest, &path);
                            (path, d)
                        })
                        .collect(),
                )
            })
            .collect();
        let page_digests = output::digest::pages(plan, keys);
        // The list of every feed has no digest: it is always made.
        let always = page_digests.iter().filter(|d| d.is_none()).count();
        let pages = page_digests
            .iter()
            .zip(&plan.pages)
            .map(|(digest, page)| {
                let path = plan.page_path(page);
                match digest {
                    Some(digest) => {
                        let d = output::digest::file(digest, &path);
                        decide(vec![(path, d)])
                    }
                    None => true,
                }
            })
            .collect();
        let history = output::digest::history(plan, keys)
            .iter()
            .zip(&plan.history)
            .map(|(digest, h)| {
                let path = h.path(plan);
                let d = output::digest::file(digest, &path);
                decide(vec![(path, d)])
            })
            .collect();
        Made {
            scope: match known.outputs {
                None => output::Scope::All,
                Some(_) => output::Scope::Some {
                    documents,
                    pages,
                    history,
                },
            },
            files: digests.len() - kept.len() + always,
            digests,
            kept,
        }
    }
}

/// The warnings of what keeping feed documents within
/// `max_document_bytes` took: `cuts` by release, `trimmed` by document.
fn fitting_warnings(
    site: &Site,
    whole: &Whole,
    config: &Config,
    cuts: &BTreeMap<u32, Vec<(String, state::Cut)>>,
    trimmed: &BTreeMap<String, (usize, usize)>,
) -> Vec<Diagnostic> {
    let budget = config.max_document_bytes.unwrap_or_default();
    let mut warnings: Vec<Diagnostic> = trimmed
        .iter()
        .map(|(path, (carried, planned))| {
            Diagnostic::warning(
                Path::new(&config.output_url(path)),
                0,
                0,
                format!(
                    "carries its newest {carried} of {planned} releases, to stay within max_document_bytes ({budget} bytes)"
                ),
            )
            .with_hint("readers refuse feeds much bigger than 1 MiB; lower items_per_feed to carry the same number in every document")
        })
        .collect();
    // In the order of the formats, whatever order the cuts were found in.
    let order = |label: &str| FEED_FORMATS.iter().position(|f| f.info().label == label);
    for (&i, cuts) in cuts {
        let r = whole.get(site, i);
        let mut shortened: Vec<(&str, usize, usize)> = cuts
            .iter()
            .filter_map(|(l, c)| match c {
                state::Cut::Shortened { size, body } => Some((l.as_str(), *size, *body)),
                _ => None,
            })
            .collect();
        shortened.sort_by_key(|(l, ..)| order(l));
        if !shortened.is_empty() {
            let size = shortened.iter().map(|s| s.1).max().unwrap_or_default();
            let body = shortened.iter().map(|s| s.2).max().unwrap_or_default();
            warnings.push(Diagnostic::warning(
                &r.path,
                0,
                0,
                format!(
                    "its entry is {size} bytes ({} of title, {body} of rendered body, {} attachment(s)), too big for a feed document of max_document_bytes ({budget} bytes): {} carry its summary and a link to the full release",
                    r.title.len(),
                    r.attachments.len(),
                    shortened.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
                ),
            )
            .with_hint("split the release, or raise max_document_bytes in pressfeed.toml"));
        }
        let mut stubs: Vec<(&str, &str, &str)> = cuts
            .iter()
            .filter_map(|(l, c)| match c {
                state::Cut::Stub { cuts } => Some((l.as_str(), "", cuts.as_str())),
                state::Cut::ArchiveStub { cuts } => {
                    Some((l.as_str(), " archive documents", cuts.as_str()))
                }
                _ => None,
            })
            .collect();
        stubs.sort_by_key(|(l, which, _)| (order(l), !which.is_empty()));
        if let Some((_, _, what)) = stubs.first() {
            warnings.push(Diagnostic::warning(
                &r.path,
                0,
                0,
                format!(
                    "too big for a feed document of max_document_bytes ({budget} bytes) even as its summary: {} carry a stub ({what}) with a link to the full release",
                    stubs.iter().map(|(l, w, _)| format!("{l}{w}")).collect::<Vec<_>>().join(", "),
                ),
            )
            .with_hint("shorten its title, list fewer attachments, or raise max_document_bytes in pressfeed.toml"));
        }
    }
    warnings
}

/// What [`write_outputs`] did.
pub struct Written {
    pub publish: PublishStats,
    /// Every path written or left unchanged.
    pub paths: BTreeSet<String>,
    /// What keeping feed documents within `max_document_bytes` took.
    pub warnings: Vec<Diagnostic>,
    /// What the next build needs to know of the files made from the plan.
    pub outputs: state::Outputs,
    /// Per release of the site, what it takes in an archive document, when
    /// one carries it.
    pub archive_sizes: Vec<Option<u32>>,
}

/// One small file of output: a path relative to the output folder (always
/// `/` separated) and its contents.
struct OutputFile {
    path: String,
    bytes: Vec<u8>,
}
