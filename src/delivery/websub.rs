//! WebSub publishing (W3C WebSub, section 7): once changed subscription
//! documents are live, each configured hub is told which, so that the
//! readers subscribed through it (Feedly, Inoreader, NewsBlur, Feedbin...)
//! fetch them within seconds instead of at their next poll.
//!
//! Two steps, so that a caller can put the documents where readers fetch
//! them in between (a deploy to a bucket):
//!
//! 1. the build [`record`]s what each hub must be told in the [`Pending`]
//!    store, inside the output folder's hidden state, *before* the first
//!    changed document is renamed into place: a run killed while renaming or
//!    pinging leaves the next one everything to tell;
//! 2. [`notify`] tells the hubs, and the caller takes each confirmed
//!    document out of the store as it goes ([`Pending::store`]).
//!
//! The ping is the form every hub in use accepts: one `POST` per document
//! with `hub.mode=publish` and the document's URL as both `hub.topic` (W3C
//! WebSub hubs, Flask-WebSub, Switchboard) and `hub.url` (PubSubHubbub
//! 0.3/0.4, Google's hub, Superfeedr). Pinging is bounded: at most
//! [`PingSettings::concurrency`] requests at once, each bounded in time and
//! tried a bounded number of times, and the whole round bounded by
//! [`PingSettings::total`]. A hub that fails is not sent its other documents
//! this run. A redirect is never followed (it would turn the `POST` into a
//! `GET` without the form): it is a failure and the pings stay pending.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::Hub;

/// The pending store, in the output folder (hidden: never served by the
/// configuration `pressfeed server-config` prints).
pub const PENDING_FILE: &str = ".pressfeed-pings";

/// A hub that refuses the ping for good (a 4xx other than 408 and 429) in
/// this many runs in a row has its pending pings dropped, with a warning.
pub const MAX_REFUSED_RUNS: u32 = 5;

/// The most characters of a hub's answer quoted in a message.
const REASON_CHARS: usize = 200;

/// How pings are sent.
#[derive(Debug, Clone)]
pub struct PingSettings {
    /// Connecting, sending and reading the answer of one request.
    pub timeout: Duration,
    /// Tries of one request (for answers that may pass: network errors,
    /// 5xx, 408, 429) before the hub is given up on for the run.
    pub attempts: u32,
    /// Wait before the second try; doubled before each later one.
    pub backoff: Duration,
    /// Requests in flight at once, over every hub.
    pub concurrency: usize,
    /// The whole round: no request starts after it (what is left stays
    /// pending), and requests in flight end within `timeout` of it.
    pub total: Duration,
}

impl Default for PingSettings {
    fn default() -> Self {
        PingSettings {
            timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(500),
            concurrency: 8,
            total: Duration::from_secs(60),
        }
    }
}

/// Document URLs by public hub URL.
pub type ByHub = BTreeMap<String, BTreeSet<String>>;

/// A hub that could not be told about some documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubFailure {
    /// The hub's public URL (never with credentials).
    pub hub: String,
    /// Why the last try failed: one line, control characters escaped.
    pub error: String,
    /// The hub refused for good (a 4xx other than 408 and 429).
    pub refused: bool,
    /// The documents it was not told about.
    pub urls: Vec<String>,
}

/// What a round of pings did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PingReport {
    /// Document URLs a hub acknowledged, counted once per hub.
    pub sent: usize,
    /// Hub (public URL) -> the documents it acknowledged.
    pub told: BTreeMap<String, BTreeSet<String>>,
    pub failures: Vec<HubFailure>,
}

/// Tells each hub in `pending` (public hub URL -> document URLs) about its
/// documents, posting to the hub's `publish_url` from `hubs` (a hub not in
/// `hubs` is skipped). About once a second, and at the end, `checkpoint` is
/// given what the hubs have acknowledged so far, so that the caller can
/// keep the store current.
pub fn notify(
    pending: &BTreeMap<String, BTreeSet<String>>,
    hubs: &[Hub],
    settings: &PingSettings,
    checkpoint: &mut dyn FnMut(&ByHub),
) -> PingReport {
    let started = Instant::now();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(settings.timeout))
        .user_agent(concat!("pressfeed/", env!("CARGO_PKG_VERSION")))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let targets: Vec<(&String, Vec<&String>, &Hub)> = pending
        .iter()
        .filter_map(|(key, urls)| {
            let hub = hubs.iter().find(|h| h.url.as_str() == key)?;
            Some((key, urls.iter().collect(), hub))
        })
        .collect();
    let next_jobs = |first: bool| -> Vec<(usize, usize)> {
        // Round the hubs: each hub's n-th document before any hub's next,
        // so that the load spreads over the hubs.
        let longest = targets.iter().map(|t| t.1.len()).max().unwrap_or(0);
        let range = match first {
            true => 0..longest.min(1),
            false => 1.min(longest)..longest,
        };
        range
            .flat_map(|n| {
                targets
                    .iter()
                    .enumerate()
                    .filter(move |(_, t)| n < t.1.len())
                    .map(move |(h, _)| (h, n))
            })
            .collect()
    };
    let stop = AtomicBool::new(false);
    let failed: Vec<Mutex<Option<(String, bool)>>> =
        targets.iter().map(|_| Mutex::new(None)).collect();
    let told: Mutex<BTreeMap<String, BTreeSet<String>>> = Mutex::new(BTreeMap::new());
    let mut last_checkpoint = Instant::now();
    // Each hub's first document alone, then the rest to the hubs that took
    // it: a hub that fails costs one document's tries, however many
    // documents it has to be told of.
    for first in [true, false] {
        let jobs = next_jobs(first);
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let workers = settings.concurrency.clamp(1, 64).min(jobs.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(h, u)) = jobs.get(n) else { break };
                        let (key, urls, hub) = &targets[h];
                        let skip = stop.load(Ordering::Relaxed)
                            || lock(&failed[h]).is_some()
                            || started.elapsed() >= settings.total;
                        if !skip {
                            match ping(&agent, hub, urls[u], settings, &stop) {
                                Ok(()) => {
                                    lock(&told)
                                        .entry(key.to_string())
                                        .or_default()
                                        .insert(urls[u].clone());
                                }
                                Err(failure) => {
                                    let mut f = lock(&failed[h]);
                                    if f.is_none() {
                                        *f = Some(failure);
                                    }
                                }
                            }
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            // The caller's checkpoints, and the overall bound.
            while done.load(Ordering::Relaxed) < jobs.len() {
                std::thread::sleep(Duration::from_millis(20));
                if started.elapsed() >= settings.total {
                    stop.store(true, Ordering::Relaxed);
                }
                if last_checkpoint.elapsed() >= Duration::from_secs(1) {
                    let so_far = lock(&told).clone();
                    checkpoint(&so_far);
                    last_checkpoint = Instant::now();
                }
            }
        });
    }
    let told = told.into_inner().unwrap_or_else(|e| e.into_inner());
    checkpoint(&told);
    let mut report = PingReport {
        sent: told.values().map(BTreeSet::len).sum(),
        ..PingReport::default()
    };
    for ((key, urls, _), failure) in targets.iter().zip(failed) {
        let acknowledged = told.get(key.as_str());
        let left: Vec<String> = urls
            .iter()
            .filter(|u| !acknowledged.is_some_and(|t| t.contains(u.as_str())))
            .map(|u| u.to_string())
            .collect();
        if left.is_empty() {
            continue;
        }
        let (error, refused) = failure
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_else(|| {
                (
                    format!(
                        "not reached within the {} s a run gives to pinging",
                        settings.total.as_secs()
                    ),
                    false,
                )
            });
        report.failures.push(HubFailure {
            hub: key.to_string(),
            error,
            refused,
            urls: left,
        });
    }
    report.told = told;
    report
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One publish ping for `topic`, tried up to `settings.attempts` times
/// while the hub's answer may pass. Fails with the reason and whether the
/// hub refused for good.
fn ping(
    agent: &ureq::Agent,
    hub: &Hub,
    topic: &str,
    settings: &PingSettings,
    stop: &AtomicBool,
) -> Result<(), (String, bool)> {
    let (target, authorization) = split_credentials(&hub.publish_url);
    let form = [
        ("hub.mode", "publish"),
        ("hub.topic", topic),
        ("hub.url", topic),
    ];
    let mut wait = settings.backoff;
    let mut last = (String::new(), false);
    for attempt in 0..settings.attempts.max(1) {
        if attempt > 0 {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            std::thread::sleep(wait);
            wait *= 2;
        }
        let mut request = agent.post(target.as_str());
        if let Some(value) = &authorization {
            request = request.header("Authorization", value);
        }
        match request.send_form(form) {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(mut response) => {
                let code = response.status().as_u16();
                let reason = response
                    .body_mut()
                    .with_config()
                    .limit(4096)
                    .read_to_vec()
                    .map(|b| first_line(&String::from_utf8_lossy(&b)))
                    .unwrap_or_default();
                let mut message = format!("the hub answered {code}");
                if response.status().is_redirection() {
                    let to = response
                        .headers()
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .map(first_line)
                        .unwrap_or_default();
                    message.push_str(&format!(
                        " (a redirect{}, not followed: a publish ping must be posted to the hub itself)",
                        match to.is_empty() {
                            true => String::new(),
                            false => format!(" to {to}"),
                        }
                    ));
                    return Err((message, false));
                }
                if !reason.is_empty() {
                    message.push_str(": ");
                    message.push_str(&reason);
                }
                let refused = (400..500).contains(&code) && code != 408 && code != 429;
                if refused {
                    return Err((message, true));
                }
                last = (message, false);
            }
            Err(e) => last = (first_line(&e.to_string()), false),
        }
    }
    Err(last)
}

/// `url` without its credentials, and the `Authorization` header value
/// they make (HTTP basic authentication), if it has any.
fn split_credentials(url: &Url) -> (Url, Option<String>) {
    if url.username().is_empty() && url.password().is_none() {
        return (url.clone(), None);
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let pair = format!(
        "{}:{}",
        decode(url.username()),
        decode(url.password().unwrap_or(""))
    );
    let value = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    );
    (crate::config::without_credentials(url), Some(value))
}

/// The first non-blank line of `text`, trimmed, cut to [`REASON_CHARS`]
/// characters, control characters escaped.
fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut cut: String = line.chars().take(REASON_CHARS).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    crate::diag::escape_controls(&cut).into_owned()
}

/// What the hubs have yet to be told, kept in the output folder.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Public hub URL -> what it has yet to be told.
    pub hubs: BTreeMap<String, HubPending>,
}

/// What one hub has yet to be told.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubPending {
    pub urls: BTreeSet<String>,
    /// Runs in a row in which the hub refused the ping for good.
    #[serde(default)]
    pub refused_runs: u32,
}

/// The legacy location (beside the cache record) of pings kept by earlier
/// versions.
fn legacy_location(out: &Path) -> Option<PathBuf> {
    Some(crate::delivery::cache::location(out)?.with_extension("pings.json"))
}

#[derive(Deserialize)]
struct Legacy {
    pending: BTreeMap<String, BTreeSet<String>>,
}

impl Pending {
    /// The pings earlier runs left for output folder `out` (none when it
    /// has no store; a store that cannot be read counts as none).
    pub fn load(out: &Path) -> Pending {
        let mut pending: Pending = std::fs::read(out.join(PENDING_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        if let Some(legacy) = legacy_location(out)
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice::<Legacy>(&b).ok())
        {
            for (hub, urls) in legacy.pending {
                pending.hubs.entry(hub).or_default().urls.extend(urls);
            }
        }
        pending
    }

    /// Keeps the store for the next run, atomically (removes it when
    /// nothing is pending).
    pub fn store(&self, out: &Path) -> std::io::Result<()> {
        let path = out.join(PENDING_FILE);
        if self.is_empty() {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        } else {
            let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
            crate::delivery::publish::write_atomic(&path, &bytes)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        if let Some(legacy) = legacy_location(out) {
            let _ = std::fs::remove_file(legacy);
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.hubs.values().all(|h| h.urls.is_empty())
    }

    /// Document URLs pending, counted once per hub.
    pub fn len(&self) -> usize {
        self.hubs.values().map(|h| h.urls.len()).sum()
    }

    /// Forgets hubs no longer configured, and hubs told everything.
    pub fn retain_configured(&mut self, hubs: &[Hub]) {
        self.hubs
            .retain(|key, p| !p.urls.is_empty() && hubs.iter().any(|h| h.url.as_str() == key));
    }

    /// The document URLs pending, by hub.
    pub fn urls(&self) -> BTreeMap<String, BTreeSet<String>> {
        self.hubs
            .iter()
            .map(|(hub, p)| (hub.clone(), p.urls.clone()))
            .collect()
    }

    /// This store less what `told` says the hubs acknowledged.
    pub fn without(&self, told: &BTreeMap<String, BTreeSet<String>>) -> Pending {
        let mut left = self.clone();
        for (hub, urls) in told {
            if let Some(p) = left.hubs.get_mut(hub) {
                p.urls.retain(|u| !urls.contains(u));
            }
        }
        left.hubs.retain(|_, p| !p.urls.is_empty());
        left
    }
}

/// Adds `documents` (URLs of changed subscription documents) for every hub
/// in `hubs` to the store of `out`, and forgets hubs no longer configured.
/// Returns how many document URLs are pending in all.
pub fn record(out: &Path, hubs: &[Hub], documents: &[String]) -> std::io::Result<usize> {
    let mut pending = Pending::load(out);
    let before = pending.clone();
    for hub in hubs {
        if !documents.is_empty() {
            pending
                .hubs
                .entry(hub.url.to_string())
                .or_default()
                .urls
                .extend(documents.iter().cloned());
        }
    }
    pending.retain_configured(hubs);
    if pending != before || out.join(PENDING_FILE).exists() == pending.is_empty() {
        pending.store(out)?;
    }
    Ok(pending.len())
}

/// A hub whose pending pings were dropped: it refused them for good in
/// [`MAX_REFUSED_RUNS`] runs in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub hub: String,
    pub urls: usize,
    pub error: String,
}

/// What a round of pings did to the store.
#[derive(Debug, Default)]
pub struct Outcome {
    pub report: PingReport,
    /// Document URLs still pending, counted once per hub.
    pub pending: usize,
    /// For each failure, in the order of `report.failures`: the runs in a
    /// row the hub has refused for good (0 for other failures).
    pub refused_runs: Vec<u32>,
    pub dropped: Vec<Dropped>,
    /// The store could not be kept up to date: what it says.
    pub store_error: Option<String>,
}

/// Hubs that failed for one reason, for a message that says it once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureGroup {
    pub error: String,
    /// The hubs (public URLs), in the order they failed.
    pub hubs: Vec<String>,
    /// Documents they were not told about, counted once per hub.
    pub documents: usize,
    /// The hubs refused for good.
    pub refused: bool,
    /// The most runs in a row one of them has refused for good.
    pub refused_runs: u32,
}

impl Outcome {
    /// The failures grouped by reason, in the order each reason first
    /// appears.
    pub fn by_reason(&self) -> Vec<FailureGroup> {
        let mut groups: Vec<FailureGroup> = Vec::new();
        for (n, f) in self.report.failures.iter().enumerate() {
            let runs = self.refused_runs.get(n).copied().unwrap_or(0);
            match groups.iter_mut().find(|g| g.error == f.error) {
                Some(g) => {
                    g.hubs.push(f.hub.clone());
                    g.documents += f.urls.len();
                    g.refused_runs = g.refused_runs.max(runs);
                }
                None => groups.push(FailureGroup {
                    error: f.error.clone(),
                    hubs: vec![f.hub.clone()],
                    documents: f.urls.len(),
                    refused: f.refused,
                    refused_runs: runs,
                }),
            }
        }
        groups
    }
}

/// Tells the hubs what the store of `out` holds for them, keeping the store
/// current as they confirm; counts the runs each hub has refused for good
/// and drops its pings after [`MAX_REFUSED_RUNS`].
pub fn tell(out: &Path, hubs: &[Hub], settings: &PingSettings) -> Outcome {
    let mut pending = Pending::load(out);
    pending.retain_configured(hubs);
    let mut store_error = None;
    if pending.is_empty() {
        if let Err(e) = pending.store(out) {
            store_error = Some(e.to_string());
        }
        return Outcome {
            store_error,
            ..Outcome::default()
        };
    }
    let report = notify(&pending.urls(), hubs, settings, &mut |told| {
        if let Err(e) = pending.without(told).store(out) {
            store_error = Some(e.to_string());
        }
    });
    let mut left = pending.without(&report.told);
    let mut refused_runs = Vec::new();
    let mut dropped = Vec::new();
    for (key, p) in left.hubs.iter_mut() {
        if report.told.contains_key(key) {
            p.refused_runs = 0;
        }
    }
    for f in &report.failures {
        let Some(p) = left.hubs.get_mut(&f.hub) else {
            refused_runs.push(0);
            continue;
        };
        if f.refused {
            p.refused_runs += 1;
        }
        refused_runs.push(p.refused_runs);
        if p.refused_runs >= MAX_REFUSED_RUNS {
            dropped.push(Dropped {
                hub: f.hub.clone(),
                urls: p.urls.len(),
                error: f.error.clone(),
            });
            p.urls.clear();
        }
    }
    left.hubs.retain(|_, p| !p.urls.is_empty());
    if let Err(e) = left.store(out) {
        store_error = Some(e.to_string());
    }
    Outcome {
        pending: left.len(),
        report,
        refused_runs,
        dropped,
        store_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_one_line_cut_and_escaped() {
        assert_eq!(
            first_line("\n  Missing form argument: hub.topic\nmore"),
            "Missing form argument: hub.topic"
        );
        assert_eq!(first_line("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        let long = "x".repeat(500);
        assert_eq!(first_line(&long).chars().count(), REASON_CHARS + 1);
    }

    #[test]
    fn credentials_become_basic_authentication() {
        let url = Url::parse("https://us%40er:S3cr3t@hub.example/publish").unwrap();
        let (target, auth) = split_credentials(&url);
        assert_eq!(target.as_str(), "https://hub.example/publish");
        assert_eq!(auth.unwrap(), "Basic dXNAZXI6UzNjcjN0");
        let plain = Url::parse("https://hub.example/").unwrap();
        assert_eq!(split_credentials(&plain), (plain, None));
    }
}
