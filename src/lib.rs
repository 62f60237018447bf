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
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

pub use crate::progress::{NoProgress, Progress};

use crate::config::Config;
use crate::delivery::publish::PublishStats;
use crate::delivery::{cache, deploy, publish, websub};
use crate::diag::Diagnostic;
use crate::input::validate::Release;
use crate::input::{frontmatter, load, validate};
use crate::output::{FEED_FORMATS, Item, html};
use crate::site::group::Site;
use crate::site::plan::Plan;
use crate::site::{archive, group, paths};

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
    let (checked, site, _) = check_paths(&found, &config, now(options), false, progress)?;
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

/// Reads, checks and groups the seeds at `paths`; with `stamps`, also
/// returns each seed's [`cache::Stamp`], taken before it was read (`None`
/// when some seed could not be read).
fn check_paths(
    found: &load::Found,
    config: &Config,
    now: DateTime<FixedOffset>,
    stamps: bool,
    progress: &dyn Progress,
) -> Result<(Checked, Site, Option<Vec<cache::Stamp>>), Error> {
    let (releases, mut checked, stamps) = load_all(&found.files, config, stamps, progress);
    checked.diagnostics.extend(found.warnings.iter().cloned());
    // Embargoed releases are not part of the site at all until their time:
    // no feed, page, count or date shows them.
    let (releases, held): (Vec<Release>, Vec<Release>) =
        releases.into_iter().partition(|r| r.date <= now);
    checked.held = held
        .into_iter()
        .map(|r| Held {
            path: r.path,
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
    Ok((checked, site, stamps))
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
    let mut fingerprint = record.as_ref().and_then(|_| {
        let stamps = cache::stamps(paths).ok()?;
        cache::fingerprint(
            &options.seeds,
            paths,
            &stamps,
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
            },
            up_to_date: true,
        });
    }

    let want_stamps = options.use_cache && fingerprint.is_none();
    let (checked, site, stamps) = check_paths(&found, &config, now, want_stamps, progress)?;
    if let Some(stamps) = stamps {
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
    let mut checked = checked;
    let mut pings_pending = 0;
    let Written {
        publish,
        paths,
        warnings,
    } = write_outputs(
        &site,
        &config,
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
    .map_err(|e| over_budget(e, &site, &config, options))?;
    // What fitting the documents to their size took is reported with the
    // seeds' warnings (and repeated, like them, by up-to-date runs).
    checked.diagnostics.extend(warnings);
    diag::sort(&mut checked.diagnostics);
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

/// Stages 1 and 2 for every seed, in parallel; with `stamps`, the stamp of
/// each seed too.
fn load_all(
    paths: &[PathBuf],
    config: &Config,
    stamps: bool,
    progress: &dyn Progress,
) -> (Vec<Release>, Checked, Option<Vec<cache::Stamp>>) {
    progress.stage("reading", paths.len() as u64);
    let results: Vec<(Loaded, Vec<Diagnostic>, Option<cache::Stamp>)> = paths
        .par_iter()
        .map(|path| {
            let r = load_one(path, config, stamps);
            progress.advance(1);
            r
        })
        .collect();
    let mut checked = Checked {
        files: paths.len(),
        ..Checked::default()
    };
    let mut releases = Vec::with_capacity(results.len());
    let mut all_stamps = stamps.then(|| Vec::with_capacity(results.len()));
    for (release, diags, stamp) in results {
        match release {
            Loaded::Release(r) => releases.push(r),
            Loaded::Skipped => {}
            Loaded::Invalid => checked.invalid += 1,
        }
        checked.diagnostics.extend(diags);
        all_stamps = all_stamps.zip(stamp).map(|(mut all, s)| {
            all.push(s);
            all
        });
    }
    (releases, checked, all_stamps)
}

/// What became of one seed file.
enum Loaded {
    Release(Release),
    /// Well-formed, but nothing to publish (reported as a warning).
    Skipped,
    Invalid,
}

/// Reads, splits, parses and validates one seed; with `stamp`, takes its
/// stamp from the open file before reading it.
fn load_one(
    path: &Path,
    config: &Config,
    stamp: bool,
) -> (Loaded, Vec<Diagnostic>, Option<cache::Stamp>) {
    // One buffer per thread, reused for every seed it reads: no allocation
    // (and no fresh pages to fault in) per file.
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|bytes| {
        bytes.clear();
        let mut stamped = None;
        let read = load::open_seed(path).and_then(|(mut f, meta)| {
            if stamp {
                stamped = Some(cache::stamp(&meta));
            }
            load::read_rest(&mut f, bytes)
        });
        let (loaded, diags) = match read {
            Ok(_) => load_bytes(path, bytes, config),
            Err(e) => (
                Loaded::Invalid,
                vec![Diagnostic::error(
                    path,
                    0,
                    0,
                    format!("cannot read file: {e}"),
                )],
            ),
        };
        // Do not keep a buffer the size of one huge seed for the whole run.
        if bytes.capacity() > 1 << 20 {
            *bytes = Vec::new();
        }
        (loaded, diags, stamped)
    })
}

/// Splits, parses and validates the bytes of one seed.
fn load_bytes(path: &Path, bytes: &[u8], config: &Config) -> (Loaded, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let release = load::decode(path, bytes)
        .and_then(|(text, skip)| load::split(path, text, skip))
        .map_err(|d| vec![d])
        .and_then(|split| {
            let fm = frontmatter::parse(path, &split, config, &mut diags)?;
            validate::validate(path, &split, fm, config, &mut diags)
        });
    match release {
        Ok(Some(r)) => (Loaded::Release(r), diags),
        Ok(None) => (Loaded::Skipped, diags),
        Err(errors) => {
            diags.extend(errors);
            (Loaded::Invalid, diags)
        }
    }
}

/// Stages 4 to 6: plan what the build writes ([`site::plan::Plan`]), render the
/// bodies some document carries (each once), write every document in every
/// format, the pages for people and the OPML list, and publish each file as
/// soon as it is made, through the session `begin` starts with every path
/// the run writes; `before_commit` is given the subscription documents (as
/// the plan tells them apart from archive documents) that changed, after
/// the last file is written and before the first is renamed into place.
/// Returns what publishing did and those paths.
pub fn write_outputs<'l>(
    site: &Site,
    config: &Config,
    progress: &dyn Progress,
    begin: impl FnOnce(BTreeSet<String>) -> Result<publish::Session<'l>, publish::PublishError>,
    before_commit: impl FnOnce(&[String]) -> Result<(), publish::PublishError>,
) -> Result<Written, Error> {
    let mut plan = Plan::new(site, config);
    let subscriptions = output::subscription_paths(&plan);

    // Each carried body is read again and rendered once, however many
    // documents carry it.
    // With archives, every release is rendered: the archive documents
    // carry each as its summary and a link (kept), the subscription
    // documents the newest whole (kept only for those).
    let to_render = match plan.archived.is_empty() {
        true => &plan.carried,
        false => &plan.archived,
    };
    progress.stage("rendering", to_render.len() as u64);
    let both: Vec<(Option<Item>, Option<Item>)> = to_render
        .par_iter()
        .map(|&i| {
            let release = &site.releases[i as usize];
            let body = load::read_body(&release.path, release.body_offset).map_err(|source| {
                Error::Read {
                    path: release.path.clone(),
                    source,
                }
            })?;
            let whole = plan.carried.binary_search(&i).is_ok();
            // A release no subscription document carries needs only its
            // summary, which takes a fraction of rendering it.
            let rendered = match whole {
                true => render::render(&body, &release.url, &release.attachments),
                false => render::Rendered {
                    html: String::new(),
                    summary: render::summary(&body),
                },
            };
            progress.advance(1);
            let summary = (!plan.archived.is_empty()).then(|| {
                Item::new(
                    site,
                    i,
                    render::Rendered {
                        html: String::new(),
                        summary: rendered.summary.clone(),
                    },
                )
            });
            let whole = whole.then(|| Item::new(site, i, rendered));
            Ok((whole, summary))
        })
        .collect::<Result<_, Error>>()?;
    let mut items: Vec<Item> = Vec::with_capacity(plan.carried.len());
    let mut archived: Vec<Item> = Vec::with_capacity(plan.archived.len());
    for (whole, short) in both {
        items.extend(whole);
        archived.extend(short);
    }
    // Archive documents are cut so that none outgrows max_document_bytes.
    output::fit_archives(&mut plan, &archived);

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

    // One format at a time, so only one format's fragments are in memory at
    // once; each file goes to the output folder as soon as it is made, so
    // the whole output is never in memory either.
    progress.stage("writing", output::planned_files(&plan) as u64);
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
    let mut warnings = Vec::new();
    let mut shortened: BTreeMap<u32, Vec<(&str, usize)>> = BTreeMap::new();
    // Stubs, by release (index in the site): the item and the documents.
    let mut stubbed: BTreeMap<u32, (&Item, Vec<String>)> = BTreeMap::new();
    for format in FEED_FORMATS {
        let fitted = format
            .write_documents(&plan, &items, &archived, &put)
            .map_err(refused)?;
        for (n, size) in fitted.shortened {
            shortened
                .entry(n)
                .or_default()
                .push((format.info().label, size));
        }
        let stubs = fitted.stubbed.iter().map(|&n| (&items[n as usize], ""));
        let archive_stubs = fitted
            .stubbed_archived
            .iter()
            .map(|&n| (&archived[n as usize], " archive documents"));
        for (item, which) in stubs.chain(archive_stubs) {
            let labels = &mut stubbed.entry(item.index).or_insert((item, Vec::new())).1;
            labels.push(format!("{}{which}", format.info().label));
        }
        warnings.extend(fitted.trimmed.into_iter().map(|(path, carried, planned)| {
            Diagnostic::warning(
                Path::new(&config.output_url(&path)),
                0,
                0,
                format!(
                    "carries its newest {carried} of {planned} releases, to stay within max_document_bytes ({} bytes)",
                    config.max_document_bytes.unwrap_or_default()
                ),
            )
            .with_hint("readers refuse feeds much bigger than 1 MiB; lower items_per_feed to carry the same number in every document")
        }));
    }
    warnings.extend(shortened.into_iter().map(|(n, labels)| {
        let item = &items[n as usize];
        let r = item.release;
        let size = labels.iter().map(|(_, s)| *s).max().unwrap_or_default();
        Diagnostic::warning(
            &r.path,
            0,
            0,
            format!(
                "its entry is {size} bytes ({} of title, {} of rendered body, {} attachment(s)), too big for a feed document of max_document_bytes ({} bytes): {} carry its summary and a link to the full release",
                r.title.len(),
                item.rendered.html.len(),
                r.attachments.len(),
                config.max_document_bytes.unwrap_or_default(),
                labels.iter().map(|(l, _)| *l).collect::<Vec<_>>().join(", ")
            ),
        )
        .with_hint("split the release, or raise max_document_bytes in pressfeed.toml")
    }));
    warnings.extend(stubbed.into_values().map(|(item, labels)| {
        Diagnostic::warning(
            &item.release.path,
            0,
            0,
            format!(
                "too big for a feed document of max_document_bytes ({} bytes) even as its summary: {} carry a stub ({}) with a link to the full release",
                config.max_document_bytes.unwrap_or_default(),
                labels.join(", "),
                item.stub_cuts()
            ),
        )
        .with_hint("shorten its title, list fewer attachments, or raise max_document_bytes in pressfeed.toml")
    }));
    html::write_pages(&plan, &items, &directory, &put).map_err(refused)?;
    html::write_history(&plan, &archived, &put).map_err(refused)?;
    for f in &small {
        session.put(&f.path, &f.bytes)?;
    }
    drop(items);
    drop(archived);
    progress.stage("syncing", 0);
    Ok(Written {
        publish: session.finish_with(|changed| {
            let documents: Vec<String> = changed
                .iter()
                .filter(|path| subscriptions.contains(*path))
                .cloned()
                .collect();
            before_commit(&documents)
        })?,
        paths: planned,
        warnings,
    })
}

/// What [`write_outputs`] did.
pub struct Written {
    pub publish: PublishStats,
    /// Every path written or left unchanged.
    pub paths: BTreeSet<String>,
    /// What keeping feed documents within `max_document_bytes` took.
    pub warnings: Vec<Diagnostic>,
}

/// One small file of output: a path relative to the output folder (always
/// `/` separated) and its contents.
struct OutputFile {
    path: String,
    bytes: Vec<u8>,
}
