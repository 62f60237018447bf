//! pressfeed: publish feeds from a folder of Markdown press releases.
//!
//! The library runs the pipeline and never prints; the `pressfeed` binary is
//! a thin command line over it. The stages, one module each:
//!
//! 1. [`load`]: find seed files, split front matter from body;
//!    [`frontmatter`]: parse the YAML (the one module that knows the YAML
//!    library);
//! 2. [`validate`]: check fields, turn them into a [`validate::Release`];
//! 3. [`group`]: one entry per URL, newest first, feeds per portfolio and
//!    minister;
//! 4. [`render`]: Markdown to sanitised HTML, for emitted releases only;
//! 5. [`formats`]: RSS 2.0 and Atom 1.0 bytes;
//! 6. [`publish`]: atomic, minimal, owned-files-only writes.

pub mod config;
pub mod diag;
pub mod formats;
pub mod frontmatter;
pub mod group;
pub mod load;
pub mod names;
pub mod publish;
pub mod render;
pub mod text;
pub mod validate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::formats::{FeedInfo, Item, ItemFragments, OutputFile};
use crate::group::Site;
use crate::publish::{PublishOptions, PublishStats};
use crate::validate::Release;

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
    /// Test hook: fail after writing this many files.
    pub fail_after: Option<usize>,
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
            fail_after: None,
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
    #[error("{}: cannot read the seeds folder: {source}", path.display())]
    Seeds {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A seed could not be read again to render its body.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Publish(#[from] publish::PublishError),
}

/// Progress of a long run, for a progress bar. Called from several threads.
///
/// Stages, in order: `finding`, `reading` (read, parse and validate every
/// seed), `grouping`, `checked` (end of `check`), `rendering`, `serialising`,
/// `writing`, `done`. Each call to [`Progress::stage`] ends the previous
/// stage, so timing the calls gives a per-stage breakdown.
pub trait Progress: Sync {
    /// A stage with `len` steps starts (`len` is 0 when it has no steps).
    fn stage(&self, _name: &'static str, _len: u64) {}
    /// `n` more steps of the current stage are done.
    fn advance(&self, _n: u64) {}
}

/// Reports no progress.
pub struct NoProgress;
impl Progress for NoProgress {}

/// The outcome of reading and checking every seed.
#[derive(Debug, Default)]
pub struct Checked {
    /// Seed files found.
    pub files: usize,
    /// Seed files that cannot be published.
    pub invalid: usize,
    /// Errors and warnings, in report order.
    pub diagnostics: Vec<Diagnostic>,
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
}

/// Reads and validates every seed and groups them, writing nothing.
pub fn check(options: &Options, progress: &dyn Progress) -> Result<(Checked, Site, Config), Error> {
    let config = Config::load(&options.config, options.config_required).map_err(Error::Config)?;
    let (releases, mut checked) = load_all(&options.seeds, &config, progress)?;
    progress.stage("grouping", 0);
    let site = group::group(releases, &config, &mut checked.diagnostics);
    diag::sort(&mut checked.diagnostics);
    progress.stage("checked", 0);
    Ok((checked, site, config))
}

/// The whole pipeline: check, render, write every format, publish.
pub fn build(options: &Options, progress: &dyn Progress) -> Result<BuildReport, Error> {
    let (checked, site, config) = check(options, progress)?;
    if checked.invalid > 0 && !options.skip_invalid {
        return Err(Error::Invalid {
            invalid: checked.invalid,
            diagnostics: checked.diagnostics,
        });
    }
    let files = output_files(&site, &config, progress)?;
    progress.stage("writing", files.len() as u64);
    let publish = publish::publish(
        &options.out,
        &files,
        &PublishOptions {
            lock_wait: options.lock_wait,
            fail_after: options.fail_after,
        },
    )?;
    progress.stage("done", 0);
    Ok(BuildReport {
        releases: site.releases.len(),
        feeds: site.feeds.len(),
        checked,
        publish,
    })
}

/// Stages 1 and 2 for every seed, in parallel.
fn load_all(
    seeds: &Path,
    config: &Config,
    progress: &dyn Progress,
) -> Result<(Vec<Release>, Checked), Error> {
    progress.stage("finding", 0);
    let paths = load::discover(seeds).map_err(|source| Error::Seeds {
        path: seeds.to_path_buf(),
        source,
    })?;
    progress.stage("reading", paths.len() as u64);
    let results: Vec<(Loaded, Vec<Diagnostic>)> = paths
        .par_iter()
        .map(|path| {
            let r = load_one(path, config);
            progress.advance(1);
            r
        })
        .collect();
    let mut checked = Checked {
        files: paths.len(),
        ..Checked::default()
    };
    let mut releases = Vec::with_capacity(results.len());
    for (release, diags) in results {
        match release {
            Loaded::Release(r) => releases.push(r),
            Loaded::Skipped => {}
            Loaded::Invalid => checked.invalid += 1,
        }
        checked.diagnostics.extend(diags);
    }
    Ok((releases, checked))
}

/// What became of one seed file.
enum Loaded {
    Release(Release),
    /// Well-formed, but nothing to publish (reported as a warning).
    Skipped,
    Invalid,
}

/// Reads, splits, parses and validates one seed.
fn load_one(path: &Path, config: &Config) -> (Loaded, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::error(
                path,
                0,
                0,
                format!("cannot read file: {e}"),
            ));
            return (Loaded::Invalid, diags);
        }
    };
    let release = load::decode(path, &bytes)
        .and_then(|(text, skip)| load::split(path, text, skip))
        .map_err(|d| vec![d])
        .and_then(|split| {
            let fm = frontmatter::parse(path, &split, &mut diags)?;
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

/// Stages 4 and 5: render the bodies some feed emits (each once) and write
/// every feed in every format.
pub fn output_files(
    site: &Site,
    config: &Config,
    progress: &dyn Progress,
) -> Result<Vec<OutputFile>, Error> {
    let limit = config.items_per_feed;
    // Which releases some feed emits, and where their fragments will be.
    let mut slot = vec![u32::MAX; site.releases.len()];
    let mut emitted: Vec<u32> = Vec::new();
    for feed in &site.feeds {
        for &i in feed.emitted(limit) {
            if slot[i as usize] == u32::MAX {
                slot[i as usize] = 0;
                emitted.push(i);
            }
        }
    }
    emitted.sort_unstable();
    for (n, &i) in emitted.iter().enumerate() {
        slot[i as usize] = n as u32;
    }

    progress.stage("rendering", emitted.len() as u64);
    let fragments: Vec<ItemFragments> = emitted
        .par_iter()
        .map(|&i| {
            let release = &site.releases[i as usize];
            let body = load::read_body(&release.path, release.body_offset).map_err(|source| {
                Error::Read {
                    path: release.path.clone(),
                    source,
                }
            })?;
            let rendered = render::render(&body, &release.url, &release.attachments);
            let fragments = ItemFragments::new(&Item::new(site, i, rendered), config);
            progress.advance(1);
            Ok(fragments)
        })
        .collect::<Result<_, Error>>()?;

    progress.stage("serialising", site.feeds.len() as u64);
    let files = site
        .feeds
        .par_iter()
        .flat_map_iter(|feed| {
            let info = FeedInfo::new(site, feed, config);
            let items = || {
                feed.emitted(limit)
                    .iter()
                    .map(|&i| &fragments[slot[i as usize] as usize])
            };
            let rss = formats::rss::feed(&info, items().map(|f| f.rss.as_str()), config);
            let atom = formats::atom::feed(&info, items().map(|f| f.atom.as_str()), config);
            progress.advance(1);
            [
                OutputFile {
                    path: format!("{}{}", info.dir, formats::RSS_FILE),
                    bytes: rss,
                },
                OutputFile {
                    path: format!("{}{}", info.dir, formats::ATOM_FILE),
                    bytes: atom,
                },
            ]
        })
        .collect();
    Ok(files)
}
