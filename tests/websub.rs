//! WebSub publishing: after a build, every configured hub is told exactly
//! which feed documents changed, never on a build that changed nothing; a
//! hub that fails is reported (exit 7), the publish stays, and the next run
//! tells it again. The hub is a small HTTP server on 127.0.0.1, run inside
//! each test, bounded in time and in the requests it answers.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::servers::{Reply, free_port, serve};
use common::*;

/// The fields of one ping's form, in order.
type Form = Vec<(String, String)>;

/// A hub on 127.0.0.1 that records every publish ping and answers with
/// `status` (changeable while it runs).
struct Hub {
    url: String,
    pings: Arc<Mutex<Vec<Form>>>,
    status: Arc<Mutex<u16>>,
    /// Extra header lines (each ending in CRLF) and the body of answers.
    reply: Arc<Mutex<(String, String)>>,
    /// The `Authorization` header of each request, if any.
    auth: Arc<Mutex<Vec<Option<String>>>>,
    /// While set, requests are read and never answered (nor recorded).
    silent: Arc<std::sync::atomic::AtomicBool>,
}

impl Hub {
    fn start(status: u16) -> Hub {
        let pings = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(Mutex::new(status));
        let reply = Arc::new(Mutex::new((String::new(), String::new())));
        let auth = Arc::new(Mutex::new(Vec::new()));
        let silent = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (p, s, r, a) = (pings.clone(), status.clone(), reply.clone(), auth.clone());
        let quiet = silent.clone();
        // Bounded: it answers at most 500 requests and stops after two
        // minutes, whatever the test does.
        let address = serve(500, Duration::from_secs(120), move |request| {
            if quiet.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            let request = request.unwrap_or_default();
            p.lock().unwrap().push(request.form());
            a.lock()
                .unwrap()
                .push(request.header("authorization").map(str::to_string));
            let (headers, body) = r.lock().unwrap().clone();
            Some(Reply {
                status: format!("{} X", *s.lock().unwrap()),
                headers,
                body: body.into_bytes(),
            })
        });
        Hub {
            url: format!("{address}/hub"),
            pings,
            status,
            reply,
            auth,
            silent,
        }
    }

    /// Answers `status` with these extra header lines and body from now on.
    fn answer(&self, status: u16, headers: &str, body: &str) {
        *self.status.lock().unwrap() = status;
        *self.reply.lock().unwrap() = (headers.to_string(), body.to_string());
    }

    /// Every document URL pinged so far, and forgets them. Each ping is
    /// checked to be the form every hub accepts: `hub.mode=publish` and one
    /// document, named both as `hub.topic` (W3C WebSub) and `hub.url`
    /// (PubSubHubbub 0.3/0.4, Google's hub).
    fn take(&self) -> Vec<String> {
        let mut urls = Vec::new();
        for form in std::mem::take(&mut *self.pings.lock().unwrap()) {
            let fields: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(fields.len(), 3, "{fields:?}");
            assert_eq!(fields[0], ("hub.mode", "publish"), "{fields:?}");
            assert_eq!(fields[1].0, "hub.topic", "{fields:?}");
            assert_eq!(fields[2], ("hub.url", fields[1].1), "{fields:?}");
            urls.push(fields[1].1.to_string());
        }
        urls.sort();
        urls
    }
}

const BASE: &str = "https://example.govt.nz/feeds/";

/// A site with two releases and a config naming `hubs`.
fn site(hubs: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("seeds")).unwrap();
    std::fs::write(dir.path().join("seeds/1.md"), release(1, "Jane Doe")).unwrap();
    std::fs::write(dir.path().join("seeds/2.md"), release(2, "John Roe")).unwrap();
    let hubs: Vec<String> = hubs.iter().map(|h| format!("{h:?}")).collect();
    std::fs::write(
        dir.path().join("pressfeed.toml"),
        format!("base_url = \"{BASE}\"\nhubs = [{}]\n", hubs.join(", ")),
    )
    .unwrap();
    dir
}

fn build(dir: &Path, extra: &[&str]) -> std::process::Output {
    build_with(dir, extra, &[])
}

/// [`build`] with more environment variables.
fn build_with(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut args = vec!["build", "--seeds", "seeds", "--out", "out", "-q"];
    args.extend(extra);
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"));
    command
        .args(&args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"));
    for (k, v) in env {
        command.env(k, v);
    }
    let o = command.output().unwrap();
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    o
}

/// The public URLs of the feed documents (not pages) that differ between
/// two trees of the output folder.
fn changed_documents(
    before: &std::collections::BTreeMap<String, Vec<u8>>,
    after: &std::collections::BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    let mut urls: Vec<String> = after
        .iter()
        .filter(|(path, bytes)| {
            // Subscription documents: archive documents (RFC 5005) are
            // not subscribed to, and the sitemap is no feed.
            let is_feed = [".xml", ".json"].iter().any(|e| path.ends_with(e))
                && !path.ends_with(".opml")
                && *path != "sitemap.xml"
                && !path.starts_with("archive/")
                && !path.contains("/archive/");
            is_feed && before.get(*path) != Some(*bytes)
        })
        .map(|(path, _)| format!("{BASE}{path}"))
        .collect();
    urls.sort();
    urls
}

#[test]
fn exactly_the_changed_documents_are_pinged_and_none_when_nothing_changed() {
    let hub = Hub::start(204);
    let dir = site(&[&hub.url]);
    let out = dir.path().join("out");

    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first = hub.take();
    assert_eq!(first, changed_documents(&Default::default(), &tree(&out)));
    // The global, one portfolio and two minister feeds, in three formats.
    assert_eq!(first.len(), 4 * 3, "{first:#?}");

    // Nothing changed: no ping (the up-to-date shortcut and a full build).
    for extra in [&[][..], &["--no-cache"][..]] {
        let o = build(dir.path(), extra);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(hub.take(), Vec::<String>::new(), "{extra:?}");
    }

    // A new release of Jane Doe's: the global, Finance and Jane Doe feeds
    // change; John Roe's does not.
    let before = tree(&out);
    std::fs::write(dir.path().join("seeds/3.md"), release(3, "Jane Doe")).unwrap();
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let pinged = hub.take();
    assert_eq!(pinged, changed_documents(&before, &tree(&out)));
    assert_eq!(pinged.len(), 3 * 3, "{pinged:#?}");
    assert!(
        pinged.iter().all(|u| !u.contains("john-roe")),
        "{pinged:#?}"
    );
}

#[test]
fn a_failing_hub_is_reported_the_publish_stays_and_the_next_run_tells_it() {
    let hub = Hub::start(500);
    let good = Hub::start(202);
    let dir = site(&[&hub.url, &good.url]);
    let out = dir.path().join("out");

    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "hub {} was not told about 12 changed document(s)",
            hub.url
        )) && err.contains("500"),
        "{err}"
    );
    assert!(err.contains("hint: the publish is complete"), "{err}");
    // Its first document tried three times, then the hub given up on for
    // the run; the publish is whole, the other hub was told.
    assert_eq!(hub.take().len(), 3);
    let mut published = tree(&out);
    // What the failing hub was not told is kept in the output folder.
    assert!(published.remove(".pressfeed-pings").is_some());
    assert!(published.contains_key("atom.xml"));
    let everything = changed_documents(&Default::default(), &published);
    assert_eq!(good.take(), everything);

    // The hub recovers; nothing changed, but the next run tells it.
    *hub.status.lock().unwrap() = 204;
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(hub.take(), everything);
    assert_eq!(good.take(), Vec::<String>::new(), "told once is enough");
    assert_eq!(
        tree(&out),
        published,
        "the output did not change, no ping is left"
    );
    // And once told, never again.
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(hub.take(), Vec::<String>::new());
}

#[test]
fn no_ping_keeps_the_pings_for_the_next_run() {
    let hub = Hub::start(204);
    let dir = site(&[&hub.url]);
    let o = build(dir.path(), &["--no-ping"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(hub.take(), Vec::<String>::new());
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let pinged: BTreeSet<String> = hub.take().into_iter().collect();
    assert_eq!(pinged.len(), 12);
}

#[test]
fn an_unreachable_hub_fails_fast_and_a_bad_hub_url_is_a_configuration_error() {
    // A port nothing listens on: refused at once.
    let url = format!("http://127.0.0.1:{}/", free_port());
    let dir = site(&[&url]);
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert!(dir.path().join("out/rss.xml").is_file());

    let dir = site(&["ftp://hub.example/"]);
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("hubs:"), "{}", stderr(&o));
}

#[test]
fn every_feed_document_declares_its_hubs_beside_self() {
    let dir = site(&["https://hub.example/", "https://other.example/websub"]);
    let o = build(dir.path(), &["--no-ping"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = tree(&dir.path().join("out"));
    let hubs = ["https://hub.example/", "https://other.example/websub"];
    let mut checked = 0;
    for (path, bytes) in &out {
        let text = std::str::from_utf8(bytes).unwrap();
        let own = format!("{BASE}{path}");
        // Archive documents do not change once full: no hub to tell.
        if path.starts_with("archive/") || path.contains("/archive/") {
            assert!(!text.contains("rel=\"hub\""), "{path}");
            continue;
        }
        if path.ends_with("rss.xml") || path.ends_with("atom.xml") {
            let doc = roxmltree::Document::parse(text).unwrap();
            let links: Vec<(&str, &str)> = doc
                .descendants()
                .filter(|n| n.tag_name().name() == "link" && n.attribute("rel").is_some())
                .map(|n| (n.attribute("rel").unwrap(), n.attribute("href").unwrap()))
                .collect();
            assert!(links.contains(&("self", own.as_str())), "{path}: {links:?}");
            for hub in hubs {
                assert!(links.contains(&("hub", hub)), "{path}: {links:?}");
            }
            checked += 1;
        } else if path.ends_with("feed.json") {
            let json: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(json["feed_url"], own.as_str(), "{path}");
            let declared: Vec<(&str, &str)> = json["hubs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| (h["type"].as_str().unwrap(), h["url"].as_str().unwrap()))
                .collect();
            assert_eq!(
                declared,
                [("WebSub", hubs[0]), ("WebSub", hubs[1])],
                "{path}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 4 * 3);
}

#[test]
fn the_hub_is_told_when_an_embargo_lifts() {
    let hub = Hub::start(204);
    let dir = site(&[&hub.url]);
    let held =
        release(9, "Jane Doe").replace("date: 2024-03-10", "date: 2026-12-02T09:00:00+13:00");
    assert!(held.contains("2026-12-02"), "{held}");
    std::fs::write(dir.path().join("seeds/9.md"), held).unwrap();
    let o = build(dir.path(), &["--now", "2026-12-02T08:00:00+13:00"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(hub.take().len(), 12);
    let out = dir.path().join("out");
    let before = tree(&out);
    let o = build(dir.path(), &["--now", "2026-12-02T09:00:00+13:00"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let pinged = hub.take();
    assert_eq!(pinged, changed_documents(&before, &tree(&out)));
    assert!(
        pinged.contains(&format!("{BASE}ministers/jane-doe/atom.xml")),
        "{pinged:#?}"
    );
    assert!(
        pinged.iter().all(|u| !u.contains("john-roe")),
        "{pinged:#?}"
    );
}

#[test]
fn the_hubs_reason_is_in_the_error_and_a_refusing_hub_is_dropped_after_five_runs() {
    let hub = Hub::start(400);
    hub.answer(
        400,
        "Content-Type: text/plain\r\n",
        "Missing form argument: hub.topic\u{1b}[31m\nsecond line\n",
    );
    let dir = site(&[&hub.url]);
    for run in 1..=4 {
        let o = build(dir.path(), &[]);
        assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!(
                "hub {} was not told about 12 changed document(s): the hub answered 400: Missing form argument: hub.topic\\u{{1b}}[31m\n",
                hub.url
            )),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "({run} run(s) in a row; its pings are dropped after 5)"
            )),
            "{err}"
        );
        assert!(!err.contains("second line"), "{err}");
        // A refusal is not tried again within the run.
        assert_eq!(hub.take().len(), 1, "run {run}");
    }
    let o = build(dir.path(), &[]);
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "warning: hub {} refused the ping in 5 runs in a row (the hub answered 400: Missing form argument: hub.topic\\u{{1b}}[31m): its 12 pending ping(s) are dropped",
            hub.url
        )),
        "{err}"
    );
    assert_eq!(hub.take().len(), 1);
    // Dropped: the next run has nothing to tell it.
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(hub.take(), Vec::<String>::new());
}

#[test]
fn a_redirecting_hub_is_not_followed_and_its_pings_stay_pending() {
    let target = Hub::start(204);
    let hub = Hub::start(302);
    hub.answer(302, &format!("Location: {}\r\n", target.url), "");
    let dir = site(&[&hub.url]);
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("the hub answered 302 (a redirect to") && err.contains("not followed"),
        "{err}"
    );
    assert_eq!(hub.take().len(), 1, "a redirect is not tried again");
    assert_eq!(target.take(), Vec::<String>::new(), "never followed");
    // Not counted as told: the hub fixed, the next run tells it everything.
    hub.answer(204, "", "");
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(hub.take().len(), 12);
}

#[test]
fn hub_credentials_authenticate_the_ping_and_are_never_published_or_printed() {
    let hub = Hub::start(500);
    let with_credentials = hub.url.replace("http://", "http://user:S3cr3t@");
    let dir = site(&[&with_credentials]);
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let printed = format!("{}{}", stderr(&o), String::from_utf8_lossy(&o.stdout));
    assert!(printed.contains(&hub.url), "{printed}");
    assert!(!printed.contains("S3cr3t"), "{printed}");
    // user:S3cr3t as HTTP basic authentication, on every try.
    let auth = hub.auth.lock().unwrap().clone();
    assert_eq!(auth.len(), 3, "{auth:?}");
    assert!(
        auth.iter()
            .all(|a| a.as_deref() == Some("Basic dXNlcjpTM2NyM3Q=")),
        "{auth:?}"
    );
    let out = tree(&dir.path().join("out"));
    let mut hubs_declared = 0;
    for (path, bytes) in &out {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("S3cr3t"), "{path}");
        hubs_declared += text.matches(&hub.url).count();
    }
    // Every subscription document declares the public URL.
    assert!(hubs_declared >= 12, "{hubs_declared}");
    let config = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .args(["server-config", "nginx"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let config = String::from_utf8_lossy(&config.stdout);
    assert!(config.contains(&format!("<{}>; rel", hub.url)), "{config}");
    assert!(!config.contains("S3cr3t"), "{config}");
}

#[test]
fn a_hub_table_declares_its_public_url_and_pings_its_publish_url() {
    let publish = Hub::start(204);
    let dir = site(&[]);
    std::fs::write(
        dir.path().join("pressfeed.toml"),
        format!(
            "base_url = \"{BASE}\"\n[[hubs]]\nurl = \"https://hub.example/\"\npublish_url = \"{}\"\n",
            publish.url
        ),
    )
    .unwrap();
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(publish.take().len(), 12);
    let atom = std::fs::read_to_string(dir.path().join("out/atom.xml")).unwrap();
    assert!(
        atom.contains("<link href=\"https://hub.example/\" rel=\"hub\"/>"),
        "{atom}"
    );
    assert!(!atom.contains(&publish.url), "{atom}");
}

#[test]
fn too_many_hubs_is_a_configuration_error_and_refusing_hubs_are_summarised() {
    let hubs: Vec<String> = (0..21)
        .map(|n| format!("https://hub{n}.example/"))
        .collect();
    let refs: Vec<&str> = hubs.iter().map(String::as_str).collect();
    let dir = site(&refs);
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("hubs: 21 hubs listed, more than 20"),
        "{}",
        stderr(&o)
    );

    // Twenty hubs that all refuse: one line names a few, counts the rest,
    // and quotes their reason; each is asked once.
    let refusing: Vec<Hub> = (0..20).map(|_| Hub::start(403)).collect();
    for h in &refusing {
        h.answer(403, "", "Forbidden");
    }
    let refs: Vec<&str> = refusing.iter().map(|h| h.url.as_str()).collect();
    let dir = site(&refs);
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("pressfeed: hub"))
        .collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains(" and 17 more were not told about 240 changed document(s): the hub answered 403: Forbidden"),
        "{err}"
    );
    assert!(!err.contains("file system"), "{err}");
    for h in &refusing {
        assert_eq!(h.take().len(), 1);
    }
}

#[test]
fn pings_are_kept_without_a_usable_cache_folder() {
    let hub = Hub::start(204);
    let dir = site(&[&hub.url]);
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "").unwrap();
    let env = [
        ("XDG_CACHE_HOME", file.to_str().unwrap()),
        ("HOME", "/nonexistent"),
    ];
    let o = build_with(dir.path(), &["--no-ping"], &env);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(hub.take(), Vec::<String>::new());
    let o = build_with(dir.path(), &[], &env);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(hub.take().len(), 12);
}

#[test]
fn a_run_stopped_while_renaming_leaves_the_next_run_every_change_to_tell() {
    let hub = Hub::start(204);
    let dir = site(&[&hub.url]);
    let out = dir.path().join("out");
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    hub.take();
    let before = tree(&out);
    std::fs::write(dir.path().join("seeds/3.md"), release(3, "Jane Doe")).unwrap();
    // The run fails after renaming two files into place (test hook).
    let o = build_with(dir.path(), &[], &[("PRESSFEED_TEST_FAIL_AFTER", "2")]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let pinged: BTreeSet<String> = hub.take().into_iter().collect();
    let changed: BTreeSet<String> = changed_documents(&before, &tree(&out))
        .into_iter()
        .collect();
    assert_eq!(changed.len(), 9, "{changed:#?}");
    assert!(changed.is_subset(&pinged), "{changed:#?} {pinged:#?}");
}

#[test]
fn a_run_stopped_by_its_timeout_while_pinging_keeps_what_was_not_told() {
    // A hub that reads every ping and never answers.
    let hub = Hub::start(204);
    hub.silent.store(true, std::sync::atomic::Ordering::Relaxed);
    let dir = site(&[&hub.url]);
    let started = Instant::now();
    let o = build(dir.path(), &["--timeout", "11"]);
    let err = stderr(&o);
    // Stopped by the run's own bound on pinging (exit 7) or by --timeout
    // (exit 6): either way well within the limit, not blaming the disk.
    assert!(matches!(o.status.code(), Some(6 | 7)), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(!err.contains("file system"), "{err}");
    assert!(dir.path().join("out/atom.xml").is_file());
    assert_eq!(hub.take(), Vec::<String>::new());

    // The hub answers again: nothing changed, and the next run tells it
    // everything.
    hub.silent
        .store(false, std::sync::atomic::Ordering::Relaxed);
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(hub.take().len(), 12);
}
