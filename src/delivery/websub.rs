//! WebSub publishing (W3C WebSub, section 7): after a build has put changed
//! feed documents in place, each configured hub is told which, so that the
//! readers subscribed through it (Feedly, Inoreader, NewsBlur, Feedbin...)
//! fetch them within seconds instead of at their next poll.
//!
//! The ping is the one hubs accept: an HTTP `POST` of a form with
//! `hub.mode=publish` and one `hub.url` per changed document, up to
//! [`URLS_PER_PING`] in one request. Pinging never undoes or delays what was
//! published: it runs after publishing, every request is bounded in time and
//! retried a bounded number of times, and a hub that cannot be reached is
//! given up on for the run. What a hub was not told is kept beside the cache
//! record ([`load_pending`], [`store_pending`]) and sent on the next run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// At most this many `hub.url` fields in one ping.
pub const URLS_PER_PING: usize = 50;

/// How pings are sent.
#[derive(Debug, Clone)]
pub struct PingSettings {
    /// Connecting, sending and reading the answer of one request.
    pub timeout: Duration,
    /// Tries of one request before the hub is given up on for the run.
    pub attempts: u32,
    /// Wait before the second try; doubled before each later one.
    pub backoff: Duration,
}

impl Default for PingSettings {
    fn default() -> Self {
        PingSettings {
            timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// A hub that could not be told about some documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubFailure {
    pub hub: String,
    /// Why the last try failed.
    pub error: String,
    /// The documents it was not told about (kept for the next run).
    pub urls: Vec<String>,
}

/// What a round of pings did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PingReport {
    /// Document URLs a hub acknowledged, counted once per hub.
    pub sent: usize,
    pub failures: Vec<HubFailure>,
}

/// Tells every hub in `pending` about its documents (hub URL -> document
/// URLs), in order, batch by batch. A hub whose request fails every try is
/// not sent its remaining batches this run: they are in its failure.
pub fn notify(pending: &BTreeMap<String, BTreeSet<String>>, settings: &PingSettings) -> PingReport {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(settings.timeout))
        .user_agent(concat!("pressfeed/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut report = PingReport::default();
    for (hub, urls) in pending {
        let urls: Vec<&String> = urls.iter().collect();
        for (n, batch) in urls.chunks(URLS_PER_PING).enumerate() {
            match ping(&agent, hub, batch, settings) {
                Ok(()) => report.sent += batch.len(),
                Err(error) => {
                    report.failures.push(HubFailure {
                        hub: hub.clone(),
                        error,
                        urls: urls[n * URLS_PER_PING..]
                            .iter()
                            .map(|u| u.to_string())
                            .collect(),
                    });
                    break;
                }
            }
        }
    }
    report
}

/// One publish ping, tried up to `settings.attempts` times.
fn ping(
    agent: &ureq::Agent,
    hub: &str,
    urls: &[&String],
    settings: &PingSettings,
) -> Result<(), String> {
    let mut form: Vec<(&str, &str)> = vec![("hub.mode", "publish")];
    form.extend(urls.iter().map(|u| ("hub.url", u.as_str())));
    let mut wait = settings.backoff;
    let mut last = String::new();
    for attempt in 0..settings.attempts.max(1) {
        if attempt > 0 {
            std::thread::sleep(wait);
            wait *= 2;
        }
        match agent.post(hub).send_form(form.iter().copied()) {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => last = format!("the hub answered {}", response.status()),
            Err(ureq::Error::StatusCode(code)) => last = format!("the hub answered {code}"),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// Pings not yet delivered, hub URL -> document URLs, as stored.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Pending {
    pending: BTreeMap<String, BTreeSet<String>>,
}

/// Where the pings not yet delivered for output folder `out` are kept: beside
/// its cache record.
fn pending_location(out: &Path) -> Option<PathBuf> {
    Some(crate::delivery::cache::location(out)?.with_extension("pings.json"))
}

/// The pings a previous run could not deliver for `out`.
pub fn load_pending(out: &Path) -> BTreeMap<String, BTreeSet<String>> {
    pending_location(out)
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|bytes| serde_json::from_slice::<Pending>(&bytes).ok())
        .map(|p| p.pending)
        .unwrap_or_default()
}

/// Keeps `pending` for the next run (removes the file when it is empty).
/// Returns whether it was kept: without a cache folder it cannot be.
pub fn store_pending(out: &Path, pending: BTreeMap<String, BTreeSet<String>>) -> bool {
    let Some(path) = pending_location(out) else {
        return pending.is_empty();
    };
    if pending.is_empty() {
        return match std::fs::remove_file(&path) {
            Ok(()) => true,
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        };
    }
    let bytes = serde_json::to_vec(&Pending { pending }).expect("a map of strings serialises");
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    crate::delivery::publish::write_atomic(&path, &bytes).is_ok()
}
