//! What an operator running pressfeed as a system service relies on: the
//! version names its commit, the configuration is found without flags
//! (`PRESSFEED_CONFIG`, `./pressfeed.toml`), and `--metrics`/`--report`
//! describe each run for monitoring.

mod common;

use std::path::Path;
use std::process::Command;

use common::{fixture, pressfeed, stderr, stdout};

/// `pressfeed` run in `dir` with `PRESSFEED_CONFIG` set (or removed).
fn pressfeed_env(dir: &Path, env: Option<&Path>, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pressfeed"));
    cmd.args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", common::cache_home())
        .env_remove("PRESSFEED_TEST_FAIL_AFTER");
    match env {
        Some(path) => cmd.env("PRESSFEED_CONFIG", path),
        None => cmd.env_remove("PRESSFEED_CONFIG"),
    };
    cmd.output().expect("run pressfeed")
}

/// The title of the global Atom feed a build wrote into `out`.
fn title(out: &Path) -> String {
    let feed = common::parse_feed(&std::fs::read(out.join("atom.xml")).unwrap());
    feed.title.unwrap().content
}

/// A configuration file: the fixture site's, with another title.
fn config_titled(path: &Path, title: &str) {
    let text = std::fs::read_to_string(fixture("site").join("pressfeed.toml")).unwrap();
    let text = text.replace(
        "title = \"Example Government releases\"",
        &format!("title = {title:?}"),
    );
    assert!(text.contains(title));
    std::fs::write(path, text).unwrap();
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let o = pressfeed(&common::root(), &["--version"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = stdout(&o);
    assert!(
        line.starts_with(concat!("pressfeed ", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(common::root())
        .output();
    match head {
        Ok(h) if h.status.success() => {
            let commit = String::from_utf8(h.stdout).unwrap();
            assert!(
                line.contains(&format!("({}", commit.trim())),
                "{line} does not name commit {commit}"
            );
        }
        _ => eprintln!("skipped: not built from a git checkout git can read"),
    }
}

#[test]
fn configuration_is_found_by_flag_then_environment_then_working_folder() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = fixture("site").join("seeds");
    let seeds = seeds.to_str().unwrap();
    let (env_file, flag_file) = (dir.path().join("env.toml"), dir.path().join("flag.toml"));
    config_titled(
        &dir.path().join("pressfeed.toml"),
        "From the working folder",
    );
    config_titled(&env_file, "From the environment");
    config_titled(&flag_file, "From the flag");
    let build = |env: Option<&Path>, extra: &[&str]| {
        let out = tempfile::tempdir().unwrap();
        let mut args = vec!["build", "-q", "--seeds", seeds, "--out"];
        args.push(out.path().to_str().unwrap());
        args.extend_from_slice(extra);
        let o = pressfeed_env(dir.path(), env, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        title(out.path())
    };
    let flag = ["--config", flag_file.to_str().unwrap()];
    assert_eq!(build(None, &[]), "From the working folder");
    assert_eq!(build(Some(&env_file), &[]), "From the environment");
    assert_eq!(build(Some(&env_file), &flag), "From the flag");

    // A file PRESSFEED_CONFIG names must exist, like one --config names.
    let o = pressfeed_env(
        dir.path(),
        Some(&dir.path().join("missing.toml")),
        &["check", "--seeds", seeds],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("missing.toml"), "{}", stderr(&o));
    assert!(stderr(&o).contains("PRESSFEED_CONFIG"), "{}", stderr(&o));
}

/// The samples of a metrics file, parsed by an independent parser:
/// `name{label="value"}` to value, every one a gauge.
fn metrics(path: &Path) -> std::collections::BTreeMap<String, f64> {
    let text = std::fs::read_to_string(path).unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for s in scrape.samples {
        let prometheus_parse::Value::Gauge(v) = s.value else {
            panic!("{} is not a gauge: {:?}", s.metric, s.value);
        };
        assert!(
            scrape.docs.contains_key(&s.metric),
            "{} has no HELP",
            s.metric
        );
        let mut labels: Vec<_> = s.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        labels.sort();
        let key = match labels.is_empty() {
            true => s.metric,
            false => format!("{}{{{}}}", s.metric, labels.join(",")),
        };
        assert!(out.insert(key, v).is_none(), "a sample repeated in {text}");
    }
    out
}

/// `promtool check metrics` on the file, where promtool is installed (CI
/// installs Debian's prometheus package for it).
fn promtool_accepts(path: &Path) {
    let file = std::fs::File::open(path).unwrap();
    match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(file)
        .output()
    {
        Ok(o) => assert!(
            o.status.success(),
            "promtool check metrics: {}{}",
            stdout(&o),
            stderr(&o)
        ),
        Err(_) => eprintln!("skipped: promtool is not installed (Debian package prometheus)"),
    }
}

#[test]
fn metrics_and_report_describe_each_run_and_a_failure_keeps_the_last_success() {
    let dir = tempfile::tempdir().unwrap();
    let site = fixture("site");
    let (prom, json, out) = (
        dir.path().join("pressfeed.prom"),
        dir.path().join("report.json"),
        dir.path().join("out"),
    );
    let build = |seeds: &Path| {
        pressfeed(
            dir.path(),
            &[
                "build",
                "-q",
                "--seeds",
                seeds.to_str().unwrap(),
                "--config",
                site.join("pressfeed.toml").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--metrics",
                prom.to_str().unwrap(),
                "--report",
                json.to_str().unwrap(),
            ],
        )
    };
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let o = build(&site.join("seeds"));
    assert!(o.status.success(), "{}", stderr(&o));
    promtool_accepts(&prom);
    let m = metrics(&prom);
    // Every file in the output folder but pressfeed's own manifest and lock.
    let written = common::tree(&out)
        .keys()
        .filter(|p| !p.starts_with(".pressfeed"))
        .count() as f64;
    let start = m["pressfeed_last_run_start_timestamp_seconds"];
    let end = m["pressfeed_last_run_end_timestamp_seconds"];
    assert!(before - 1.0 <= start && start <= end, "{m:?}");
    assert_eq!(m["pressfeed_last_success_timestamp_seconds"], end);
    assert_eq!(m["pressfeed_last_run_exit_status"], 0.0);
    assert_eq!(m["pressfeed_last_run_releases_read"], 10.0);
    // A first build reads every seed.
    assert_eq!(m["pressfeed_last_run_seeds_read"], 10.0);
    assert_eq!(m["pressfeed_last_run_releases_published"], 10.0);
    assert_eq!(m["pressfeed_last_run_feeds"], 15.0);
    assert_eq!(m["pressfeed_last_run_files{outcome=\"written\"}"], written);
    assert_eq!(m["pressfeed_last_run_files{outcome=\"removed\"}"], 0.0);
    assert_eq!(m["pressfeed_pings_pending"], 0.0);
    for stage in ["reading", "rendering", "writing"] {
        let key = format!("pressfeed_last_run_stage_duration_seconds{{stage=\"{stage}\"}}");
        assert!(m[&key] >= 0.0, "{key} in {m:?}");
    }
    let stages: f64 = m
        .iter()
        .filter(|(k, _)| k.starts_with("pressfeed_last_run_stage_duration_seconds"))
        .map(|(_, v)| v)
        .sum();
    assert!(stages <= m["pressfeed_last_run_duration_seconds"] + 1e-3);

    // The JSON report tells the same facts.
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["exit_status"], 0);
    assert_eq!(report["counts"]["releases_published"], 10);
    assert_eq!(report["counts"]["files_written"], written);
    assert_eq!(report["last_success_timestamp_seconds"].as_f64(), Some(end));

    // A failed run: status and end time change, the last success stays.
    let o = build(&dir.path().join("no-such-seeds"));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    promtool_accepts(&prom);
    let failed = metrics(&prom);
    assert_eq!(failed["pressfeed_last_run_exit_status"], 3.0);
    assert!(failed["pressfeed_last_run_end_timestamp_seconds"] > end);
    assert_eq!(failed["pressfeed_last_success_timestamp_seconds"], end);
    assert!(
        !failed.contains_key("pressfeed_last_run_feeds"),
        "{failed:?}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["exit_status"], 3);
    assert_eq!(report["last_success_timestamp_seconds"].as_f64(), Some(end));
    assert!(report["error"].as_str().unwrap().contains("no-such-seeds"));
    // Nothing but the two files (and the output folder) is left beside them.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn a_metrics_file_that_cannot_be_written_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let site = fixture("site");
    let prom = dir.path().join("missing-folder/pressfeed.prom");
    let o = pressfeed(
        dir.path(),
        &[
            "build",
            "-q",
            "--seeds",
            site.join("seeds").to_str().unwrap(),
            "--config",
            site.join("pressfeed.toml").to_str().unwrap(),
            "--out",
            dir.path().join("out").to_str().unwrap(),
            "--metrics",
            prom.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("pressfeed.prom: cannot write"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn man_pages_and_completions_come_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (man, completions) = (dir.path().join("man"), dir.path().join("completions"));
    for (what, to) in [("man", &man), ("completions", &completions)] {
        let o = pressfeed(dir.path(), &["generate", what, to.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let mut pages: Vec<_> = std::fs::read_dir(&man)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "pressfeed-build.1",
            "pressfeed-check.1",
            "pressfeed-deploy.1",
            "pressfeed-server-config.1",
            "pressfeed.1"
        ]
    );
    // Every flag --help shows is on the page (roff escapes each dash).
    let build = std::fs::read_to_string(man.join("pressfeed-build.1")).unwrap();
    let help = stdout(&pressfeed(dir.path(), &["build", "--help"]));
    for flag in help.split_whitespace().filter(|w| w.starts_with("--")) {
        let flag = flag.trim_end_matches(',').split('=').next().unwrap();
        assert!(
            build.contains(&flag.replace('-', "\\-")),
            "{flag} is not on the page"
        );
    }
    assert!(build.contains("PRESSFEED_CONFIG"));
    // The subcommand that writes them stays out of --help.
    assert!(!stdout(&pressfeed(dir.path(), &["--help"])).contains("generate"));
    for file in ["pressfeed.bash", "_pressfeed", "pressfeed.fish"] {
        let text = std::fs::read_to_string(completions.join(file)).unwrap();
        assert!(text.contains("--metrics"), "{file} lacks --metrics");
    }
}

#[test]
fn readme_quotes_the_alert_rules_the_package_installs() {
    let root = common::root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let path = root.join("pkg/prometheus/pressfeed.rules.yml");
    let rules = std::fs::read_to_string(&path).unwrap();
    assert!(readme.contains(&format!("```yaml\n{rules}```")));
    match Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(&path)
        .output()
    {
        Ok(o) => assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o)),
        Err(_) => eprintln!("skipped: promtool is not installed (Debian package prometheus)"),
    }
}

#[test]
fn a_run_stopped_by_its_timeout_still_updates_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let site = fixture("site");
    let (prom, out) = (dir.path().join("pressfeed.prom"), dir.path().join("out"));
    let build = |timeout: &str| {
        pressfeed(
            dir.path(),
            &[
                "build",
                "-q",
                "--seeds",
                site.join("seeds").to_str().unwrap(),
                "--config",
                site.join("pressfeed.toml").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--metrics",
                prom.to_str().unwrap(),
                "--lock-wait",
                "100",
                "--no-cache",
                "--timeout",
                timeout,
            ],
        )
    };
    let o = build("600");
    assert!(o.status.success(), "{}", stderr(&o));
    let success = metrics(&prom)["pressfeed_last_success_timestamp_seconds"];
    // Another process holds the output folder: the run waits for it until
    // its timeout stops it.
    let held = std::fs::File::open(&out).unwrap();
    held.lock().unwrap();
    let o = build("1");
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    drop(held);
    promtool_accepts(&prom);
    let m = metrics(&prom);
    assert_eq!(m["pressfeed_last_run_exit_status"], 6.0);
    assert_eq!(m["pressfeed_last_success_timestamp_seconds"], success);
    assert!(m["pressfeed_last_run_end_timestamp_seconds"] > success);
}
