//! The facts of one run, for monitoring: when it started and ended, how it
//! ended, how long each stage took and what it read, published, wrote and
//! told the hubs. [`Run`] holds them; [`Run::metrics`] writes them in the
//! Prometheus text exposition format (for node_exporter's textfile
//! collector), [`Run::json`] as JSON for other tools, and [`write_atomically`]
//! replaces a file with either so that a reader never sees half of one.
//!
//! Every metric describes the last run (gauges: a value per run, no
//! `_total`, which Prometheus keeps for counters), except
//! `pressfeed_last_success_timestamp_seconds`, which a failed run carries over
//! from the file it replaces ([`previous_success`]).

use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::BuildReport;
use crate::delivery::websub::Outcome;

/// Times the stages of a run, from the calls to [`crate::Progress::stage`]
/// that mark where each begins (and so where the one before ends).
#[derive(Debug)]
pub struct Stopwatch {
    state: Mutex<(&'static str, Instant, Vec<Stage>)>,
}

impl Default for Stopwatch {
    fn default() -> Self {
        Stopwatch {
            state: Mutex::new(("starting", Instant::now(), Vec::new())),
        }
    }
}

impl Stopwatch {
    /// Ends the current stage and starts `next`; the stage that ended and its
    /// duration.
    pub fn lap(&self, next: &'static str) -> (&'static str, Duration) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let ended = (state.0, now - state.1);
        state.2.push(Stage {
            name: ended.0,
            seconds: ended.1.as_secs_f64(),
        });
        state.0 = next;
        state.1 = now;
        ended
    }

    /// Every stage so far, the current one up to now included unless it is
    /// `done` (the last stage of a run that finished).
    pub fn stages(&self) -> Vec<Stage> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let current = (state.0 != "done").then(|| Stage {
            name: state.0,
            seconds: state.1.elapsed().as_secs_f64(),
        });
        // A stage entered twice is one stage, its times added.
        let mut stages: Vec<Stage> = Vec::new();
        for stage in state.2.iter().cloned().chain(current) {
            match stages.iter_mut().find(|s| s.name == stage.name) {
                Some(s) => s.seconds += stage.seconds,
                None => stages.push(stage),
            }
        }
        stages
    }
}

/// One stage of a run and how long it took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    pub name: &'static str,
    pub seconds: f64,
}

/// What a build that finished (published, or found nothing to do) did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Seed files read (or, when up to date, found unchanged).
    pub releases_read: usize,
    /// Seed files read from disk this run: all of them in a full build,
    /// those that changed in an incremental one, none when up to date.
    pub seeds_read: usize,
    /// Entries published (one per distinct URL).
    pub releases_published: usize,
    /// Releases held back until their date (embargoes).
    pub releases_held: usize,
    pub feeds: usize,
    pub files_written: usize,
    pub files_unchanged: usize,
    pub files_removed: usize,
    pub warnings: usize,
    pub invalid_seeds: usize,
    /// Changed documents the WebSub hubs were told about, and not told about.
    pub pings_sent: usize,
    pub pings_failed: usize,
    /// Documents hubs still have to be told about, kept for the next run.
    pub pings_pending: usize,
    /// The inputs were those of the last build: nothing was read or written.
    pub up_to_date: bool,
    /// With a `[deploy]` target: objects the last run sent to it and
    /// deleted from it (both 0 when the deploy failed or there is none).
    pub deploy_sent: usize,
    pub deploy_deleted: usize,
    /// Whether a `[deploy]` target is configured and the deploy failed.
    pub deploy_failed: bool,
}

impl Counts {
    /// What a build did, and what telling the hubs afterwards did (`None`:
    /// they were not told this run, so what the build recorded is pending).
    pub fn new(r: &BuildReport, ping: Option<&Outcome>) -> Self {
        let (deploy_sent, deploy_deleted) = match &r.deploy {
            Some(Ok(d)) => (d.sent.len(), d.deleted.len()),
            _ => (0, 0),
        };
        Counts {
            releases_read: r.checked.files,
            seeds_read: r.checked.read,
            releases_published: r.releases,
            releases_held: r.checked.held.len(),
            feeds: r.feeds,
            files_written: r.publish.written,
            files_unchanged: r.publish.unchanged,
            files_removed: r.publish.removed,
            warnings: r.checked.warnings(),
            invalid_seeds: r.checked.invalid,
            pings_sent: ping.map_or(0, |o| o.report.sent),
            pings_failed: ping.map_or(0, |o| o.report.failures.iter().map(|f| f.urls.len()).sum()),
            pings_pending: ping.map_or(r.pings_pending, |o| o.pending),
            up_to_date: r.up_to_date,
            deploy_sent,
            deploy_deleted,
            deploy_failed: matches!(r.deploy, Some(Err(_))),
        }
    }
}

/// The facts of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The version of pressfeed that ran (with its commit, when known).
    pub version: String,
    /// Seconds since the Unix epoch.
    pub start_timestamp_seconds: f64,
    pub end_timestamp_seconds: f64,
    /// The end of the last successful run: this one's when it succeeded,
    /// else carried over from the previous file (`None`: never, as far as
    /// that file tells).
    pub last_success_timestamp_seconds: Option<f64>,
    /// The process's exit status (see `pressfeed --help`).
    pub exit_status: u8,
    pub duration_seconds: f64,
    pub stages: Vec<Stage>,
    /// What the build did; `None` when it stopped before finishing.
    pub counts: Option<Counts>,
    /// Why the run failed, as printed.
    pub error: Option<String>,
}

/// Seconds since the Unix epoch.
pub fn timestamp(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Run {
    /// The facts of a run that started at `started` and ends now.
    /// `succeeded` tells whether it counts as a success; otherwise the last
    /// success is `previous_success`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        version: &str,
        started: SystemTime,
        exit_status: u8,
        succeeded: bool,
        previous_success: Option<f64>,
        stages: Vec<Stage>,
        counts: Option<Counts>,
        error: Option<String>,
    ) -> Run {
        let ended = SystemTime::now();
        let end = timestamp(ended);
        Run {
            version: version.to_string(),
            start_timestamp_seconds: timestamp(started),
            end_timestamp_seconds: end,
            last_success_timestamp_seconds: if succeeded {
                Some(end)
            } else {
                previous_success
            },
            exit_status,
            duration_seconds: ended
                .duration_since(started)
                .unwrap_or_default()
                .as_secs_f64(),
            stages,
            counts,
            error,
        }
    }

    /// The Prometheus text exposition format (version 0.0.4), metrics in a
    /// fixed order, each with its HELP and TYPE lines.
    pub fn metrics(&self) -> String {
        let mut m = Metrics::default();
        m.labelled(
            "pressfeed_build_info",
            "The version of pressfeed that ran last, as a label; always 1.",
            &[(vec![("version", self.version.as_str())], 1.0)],
        );
        m.one(
            "pressfeed_last_run_start_timestamp_seconds",
            "When the last run started, in seconds since the Unix epoch.",
            self.start_timestamp_seconds,
        );
        m.one(
            "pressfeed_last_run_end_timestamp_seconds",
            "When the last run ended, in seconds since the Unix epoch.",
            self.end_timestamp_seconds,
        );
        if let Some(t) = self.last_success_timestamp_seconds {
            m.one(
                "pressfeed_last_success_timestamp_seconds",
                "When the last successful run (exit status 0, or 7: published but a hub was not told) ended, in seconds since the Unix epoch.",
                t,
            );
        }
        m.one(
            "pressfeed_last_run_exit_status",
            "The exit status of the last run (0 success; see pressfeed --help).",
            f64::from(self.exit_status),
        );
        m.one(
            "pressfeed_last_run_duration_seconds",
            "How long the last run took.",
            self.duration_seconds,
        );
        let stages: Vec<_> = self
            .stages
            .iter()
            .map(|s| (vec![("stage", s.name)], s.seconds))
            .collect();
        m.labelled(
            "pressfeed_last_run_stage_duration_seconds",
            "How long each stage of the last run took.",
            &stages,
        );
        if let Some(c) = &self.counts {
            let n = |v: usize| v as f64;
            m.one(
                "pressfeed_last_run_releases_read",
                "Seed files the last run read (or found unchanged).",
                n(c.releases_read),
            );
            m.one(
                "pressfeed_last_run_seeds_read",
                "Seed files the last run read from disk (the others were known from the build before).",
                n(c.seeds_read),
            );
            m.one(
                "pressfeed_last_run_releases_published",
                "Releases the last run published (one per distinct URL).",
                n(c.releases_published),
            );
            m.one(
                "pressfeed_last_run_releases_held",
                "Releases held back by their date (embargo) in the last run.",
                n(c.releases_held),
            );
            m.one(
                "pressfeed_last_run_feeds",
                "Feeds the last run published.",
                n(c.feeds),
            );
            m.labelled(
                "pressfeed_last_run_files",
                "Files in the output folder the last run wrote, left unchanged and removed.",
                &[
                    (vec![("outcome", "written")], n(c.files_written)),
                    (vec![("outcome", "unchanged")], n(c.files_unchanged)),
                    (vec![("outcome", "removed")], n(c.files_removed)),
                ],
            );
            m.one(
                "pressfeed_last_run_warnings",
                "Warnings the last run reported.",
                n(c.warnings),
            );
            m.one(
                "pressfeed_last_run_invalid_seeds",
                "Seed files the last run found invalid and left out (--skip-invalid).",
                n(c.invalid_seeds),
            );
            m.labelled(
                "pressfeed_last_run_hub_pings",
                "Changed documents the last run told the WebSub hubs about (sent) or could not (failed).",
                &[
                    (vec![("outcome", "sent")], n(c.pings_sent)),
                    (vec![("outcome", "failed")], n(c.pings_failed)),
                ],
            );
            m.one(
                "pressfeed_pings_pending",
                "Changed documents the WebSub hubs have not been told about yet, kept for the next run.",
                n(c.pings_pending),
            );
            m.one(
                "pressfeed_last_run_up_to_date",
                "1 when the last run found its inputs unchanged and wrote nothing, else 0.",
                if c.up_to_date { 1.0 } else { 0.0 },
            );
            m.labelled(
                "pressfeed_last_run_deploy_objects",
                "Objects the last run sent to the [deploy] target and deleted from it.",
                &[
                    (vec![("outcome", "sent")], n(c.deploy_sent)),
                    (vec![("outcome", "deleted")], n(c.deploy_deleted)),
                ],
            );
            m.one(
                "pressfeed_last_run_deploy_failed",
                "1 when the last run could not bring the [deploy] target up to date, else 0.",
                if c.deploy_failed { 1.0 } else { 0.0 },
            );
        }
        m.text
    }

    /// The same facts as JSON, with a closing newline.
    pub fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Builds exposition text.
#[derive(Default)]
struct Metrics {
    text: String,
}

impl Metrics {
    fn one(&mut self, name: &str, help: &str, value: f64) {
        self.labelled(name, help, &[(Vec::new(), value)]);
    }

    fn labelled(&mut self, name: &str, help: &str, samples: &[(Vec<(&str, &str)>, f64)]) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} gauge");
        for (labels, value) in samples {
            self.text.push_str(name);
            if !labels.is_empty() {
                self.text.push('{');
                for (i, (k, v)) in labels.iter().enumerate() {
                    if i > 0 {
                        self.text.push(',');
                    }
                    let _ = write!(self.text, "{k}=\"{}\"", escape_label(v));
                }
                self.text.push('}');
            }
            let _ = writeln!(self.text, " {value}");
        }
    }
}

/// A label value as the exposition format quotes it.
fn escape_label(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// Files larger than this are not a metrics or report file pressfeed wrote.
const PREVIOUS_LIMIT: u64 = 1 << 20;

/// The last success time recorded in the metrics (`.prom`) or JSON report
/// file at `path`, if it is a regular file pressfeed could have written.
pub fn previous_success(path: &Path) -> Option<f64> {
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    file.take(PREVIOUS_LIMIT).read_to_string(&mut text).ok()?;
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
        return json.get("last_success_timestamp_seconds")?.as_f64();
    }
    text.lines().find_map(|line| {
        let value = line
            .strip_prefix("pressfeed_last_success_timestamp_seconds ")?
            .trim();
        value.parse::<f64>().ok().filter(|v| v.is_finite())
    })
}

/// Replaces `path` with `text`: written to a temporary file in the same
/// folder (a hidden name without `.prom`, which the textfile collector skips),
/// then renamed over it, so that a reader sees the old file or the new one.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("names a folder, not a file"))?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::File::create(&temp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&temp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: u8, succeeded: bool, previous: Option<f64>) -> Run {
        Run::new(
            "1.0 (abc)",
            SystemTime::now() - Duration::from_secs(2),
            status,
            succeeded,
            previous,
            vec![Stage {
                name: "reading",
                seconds: 1.5,
            }],
            Some(Counts {
                files_written: 3,
                ..Counts::default()
            }),
            None,
        )
    }

    #[test]
    fn a_failed_run_carries_the_last_success_over() {
        let dir = tempfile::tempdir().unwrap();
        let prom = dir.path().join("pressfeed.prom");
        let ok = run(0, true, None);
        write_atomically(&prom, &ok.metrics()).unwrap();
        let json = dir.path().join("report.json");
        write_atomically(&json, &ok.json()).unwrap();
        let success = ok.last_success_timestamp_seconds.unwrap();
        assert!(success >= ok.start_timestamp_seconds + 2.0);
        for file in [&prom, &json] {
            let carried = previous_success(file).unwrap();
            assert!((carried - success).abs() < 1e-3, "{carried} {success}");
        }
        let failed = run(3, false, previous_success(&prom));
        assert!(failed.metrics().contains(&format!(
            "pressfeed_last_success_timestamp_seconds {}\n",
            previous_success(&prom).unwrap()
        )));
        assert!(
            failed
                .metrics()
                .contains("pressfeed_last_run_exit_status 3\n")
        );
        // No temporary file is left beside them.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn label_values_are_escaped() {
        let mut r = run(0, true, None);
        r.version = "a\"b\\c\nd".into();
        assert!(
            r.metrics()
                .contains(r#"pressfeed_build_info{version="a\"b\\c\nd"} 1"#)
        );
    }

    #[test]
    fn stopwatch_records_each_stage_once() {
        let w = Stopwatch::default();
        assert_eq!(w.lap("reading").0, "starting");
        assert_eq!(w.lap("writing").0, "reading");
        assert_eq!(w.lap("reading").0, "writing");
        let names: Vec<_> = w.stages().iter().map(|s| s.name).collect();
        assert_eq!(names, ["starting", "reading", "writing"]);
        w.lap("done");
        assert_eq!(w.stages().len(), 3);
    }
}
