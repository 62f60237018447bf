//! The output budget (`max_output_bytes`): a build whose files would add up
//! to more is refused before anything is published
//! ([`crate::delivery::publish::Session::with_budget`] counts every planned
//! file as it is put, written or unchanged), and the error names the seeds
//! that weigh most on the output, so the operator knows what to fix.
//!
//! A seed's weight is its size times the number of output files that carry
//! it (each feed document in each format, each archive document, each page
//! and history page listing it): what it costs the output, give or take
//! each format's markup. A seed listing a hundred names no other release
//! has is carried by hundreds of files, one feed each; a huge seed carried
//! by a few feeds weighs its size a few times over.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::output::{FEED_FORMATS, archives_in};
use crate::site::group::Site;
use crate::site::plan::Plan;

/// How many seeds an over-budget error names.
pub const NAMED: usize = 5;

/// One seed's weight on the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weight {
    pub path: PathBuf,
    /// The seed file's size.
    pub seed_bytes: u64,
    /// The output files that carry it.
    pub files: u64,
    /// The feeds that carry it.
    pub feeds: usize,
}

impl Weight {
    /// What it costs the output, roughly: its size in every file.
    pub fn bytes(&self) -> u64 {
        self.seed_bytes.saturating_mul(self.files)
    }
}

/// The `top` seeds of `site` that weigh most on its output, heaviest first
/// (ties by path).
pub fn heaviest(site: &Site, config: &Config, top: usize) -> Vec<Weight> {
    let plan = Plan::new(site, config);
    let mut files = vec![0u64; site.releases.len()];
    for doc in &plan.documents {
        let formats = FEED_FORMATS
            .iter()
            .filter(|f| !doc.kind.is_archive() || archives_in(config, f.info()))
            .count() as u64;
        let list = plan.list(doc.kind);
        for &e in &doc.entries {
            files[list[e as usize] as usize] += formats;
        }
    }
    for page in &plan.pages {
        for &e in &page.entries {
            files[plan.carried[e as usize] as usize] += 1;
        }
    }
    for page in &plan.history {
        for &e in &page.entries {
            files[plan.archived[e as usize] as usize] += 1;
        }
    }
    let mut feeds = vec![0usize; site.releases.len()];
    for feed in &site.feeds {
        for &i in &feed.releases {
            feeds[i as usize] += 1;
        }
    }
    let mut weights: Vec<Weight> = site
        .releases
        .iter()
        .enumerate()
        .map(|(i, r)| Weight {
            path: r.path.clone(),
            // The seed as it is on disk; without it, what the site knows.
            seed_bytes: std::fs::metadata(&r.path)
                .map_or_else(|_| (r.title.len() + r.url.len()) as u64, |m| m.len()),
            files: files[i],
            feeds: feeds[i],
        })
        .collect();
    weights.sort_by(|a, b| b.bytes().cmp(&a.bytes()).then_with(|| a.path.cmp(&b.path)));
    weights.truncate(top);
    weights
}

/// The error of a build refused for its size: one diagnostic at the
/// configuration (`config_path`) with what the output would be (`what`,
/// the refusal's own words), then one per seed of `heaviest`.
pub fn diagnostics(what: &str, heaviest: &[Weight], config_path: &Path) -> Vec<Diagnostic> {
    let named: Vec<String> = heaviest
        .iter()
        .map(|w| crate::diag::shown(&w.path).to_string())
        .collect();
    let mut out = vec![
        Diagnostic::error(config_path, 0, 0, what.to_string()).with_hint(format!(
            "fix the seeds that weigh most ({}), or raise max_output_bytes in pressfeed.toml (0 for no limit)",
            named.join(", ")
        )),
    ];
    out.extend(heaviest.iter().map(|w| {
        Diagnostic::error(
            &w.path,
            0,
            0,
            format!(
                "one of the seeds that weigh most on the output: its {} bytes are carried by {} files of {} feed(s), about {} bytes",
                w.seed_bytes,
                w.files,
                w.feeds,
                w.bytes()
            ),
        )
        .with_hint("shorten it, or list fewer names that no other release has (each is a feed of its own)")
    }));
    out
}
