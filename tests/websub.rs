//! WebSub publishing: after a build, every configured hub is told exactly
//! which feed documents changed, never on a build that changed nothing; a
//! hub that fails is reported (exit 7), the publish stays, and the next run
//! tells it again. The hub is a small HTTP server on 127.0.0.1, run inside
//! each test, bounded in time and in the requests it answers.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// The fields of one ping's form, in order.
type Form = Vec<(String, String)>;

/// A hub on 127.0.0.1 that records every publish ping and answers with
/// `status` (changeable while it runs).
struct Hub {
    url: String,
    pings: Arc<Mutex<Vec<Form>>>,
    status: Arc<Mutex<u16>>,
}

impl Hub {
    fn start(status: u16) -> Hub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/hub", listener.local_addr().unwrap());
        let pings = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(Mutex::new(status));
        let (p, s) = (pings.clone(), status.clone());
        // Bounded: it answers at most 500 requests and stops after two
        // minutes, whatever the test does.
        std::thread::spawn(move || {
            let start = Instant::now();
            let mut answered = 0;
            while answered < 500 && start.elapsed() < Duration::from_secs(120) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let form = url::form_urlencoded::parse(&body).into_owned().collect();
                p.lock().unwrap().push(form);
                let code = *s.lock().unwrap();
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                answered += 1;
            }
        });
        Hub { url, pings, status }
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

fn release(n: usize, minister: &str) -> String {
    format!(
        "---\ntitle: \"Release {n}\"\ndate: 2024-03-{:02}\nurl: https://example.govt.nz/release/{n}\nministers:\n  - {minister}\nportfolios:\n  - Finance\n---\n\nRelease {n} says something.\n",
        1 + n % 28
    )
}

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
    let mut args = vec!["build", "--seeds", "seeds", "--out", "out", "-q"];
    args.extend(extra);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .args(&args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .output()
        .unwrap();
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
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
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
