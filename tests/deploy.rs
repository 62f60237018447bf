//! Deploying to object storage, against a real S3-protocol server: moto's
//! (`pip install 'moto[server]'`, which `.ci/run` installs; skipped with a
//! message where `moto_server` is absent). Each test starts its own server
//! on 127.0.0.1, reads its request log to count what pressfeed sent, and
//! stops it at the end. Bounded: a few hundred requests, one bucket.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::servers::{Reply, free_port, serve, wait_for};
use common::*;

const BUCKET: &str = "feeds-test";
const PREFIX: &str = "site/";
const RECORD: &str = ".pressfeed-deploy.json";

/// A moto S3 server with one bucket, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Moto {
    fn start() -> Option<Moto> {
        let found = Command::new("moto_server")
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            eprintln!("skipping: moto_server is not installed (pip install 'moto[server]')");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("moto.log");
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("PYTHONUNBUFFERED", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut moto = Moto {
            child,
            port,
            log,
            _dir: dir,
        };
        wait_for(&mut moto.child, port, "moto", Duration::from_secs(60));
        ureq::put(&moto.url("")).send_empty().unwrap();
        // The README's bucket policy for public reads (moto enforces it).
        let policy = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "PublicReadFeeds", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{BUCKET}/*"}}]}}"#
        );
        ureq::put(&format!("{}?policy", moto.url("")))
            .header("Content-Type", "application/json")
            .send(policy.as_bytes())
            .unwrap();
        Some(moto)
    }

    /// The address of `key` in the bucket (the bucket itself for "").
    fn url(&self, key: &str) -> String {
        match key {
            "" => format!("http://127.0.0.1:{}/{BUCKET}", self.port),
            key => format!("http://127.0.0.1:{}/{BUCKET}/{key}", self.port),
        }
    }

    fn put(&self, key: &str, body: &[u8]) {
        ureq::put(&self.url(key)).send(body).unwrap();
    }

    /// Status, `Content-Type`, `Cache-Control` and body of `key`.
    fn get(&self, key: &str) -> (u16, String, String, Vec<u8>) {
        let mut r = ureq::get(&self.url(key))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap();
        let header = |name: &str| {
            r.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        let (ct, cc) = (header("content-type"), header("cache-control"));
        let status = r.status().as_u16();
        (status, ct, cc, r.body_mut().read_to_vec().unwrap())
    }

    /// Every key in the bucket.
    fn keys(&self) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        let mut token: Option<String> = None;
        for _ in 0..100 {
            let mut url = format!("{}?list-type=2", self.url(""));
            if let Some(t) = &token {
                url.push_str(&format!(
                    "&continuation-token={}",
                    url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
                ));
            }
            let xml = ureq::get(&url)
                .call()
                .unwrap()
                .body_mut()
                .read_to_string()
                .unwrap();
            let doc = roxmltree::Document::parse(&xml).unwrap();
            for n in doc.descendants().filter(|n| n.has_tag_name("Key")) {
                keys.insert(n.text().unwrap_or_default().to_string());
            }
            token = doc
                .descendants()
                .find(|n| n.has_tag_name("NextContinuationToken"))
                .and_then(|n| n.text())
                .map(str::to_string);
            if token.is_none() {
                return keys;
            }
        }
        panic!("more than 100 pages of keys")
    }

    /// The keys under the prefix: relative paths, the record left out.
    fn deployed(&self) -> BTreeSet<String> {
        self.keys()
            .into_iter()
            .filter_map(|k| k.strip_prefix(PREFIX).map(str::to_string))
            .filter(|k| k != RECORD)
            .collect()
    }

    /// Every request moto logged so far: method and key, in order. Waits
    /// until the log has been quiet for half a second, so that requests a
    /// stopped run left in flight are counted before the next run's.
    fn requests(&self) -> Vec<(String, String)> {
        let mut last = 0;
        let start = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let len = std::fs::metadata(&self.log).map_or(0, |m| m.len());
            if len == last || start.elapsed() > Duration::from_secs(10) {
                break;
            }
            last = len;
        }
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines()
            .filter_map(|l| {
                let request = l.split('"').nth(1)?;
                let mut parts = request.split(' ');
                let method = parts.next()?.to_string();
                let path = parts.next()?.split('?').next()?;
                let key = path.strip_prefix(&format!("/{BUCKET}/"))?;
                let key = percent_encoding::percent_decode_str(key)
                    .decode_utf8_lossy()
                    .into_owned();
                Some((method, key))
            })
            .collect()
    }

    /// The relative paths PUT under the prefix since request `from`.
    fn puts_since(&self, from: usize) -> Vec<String> {
        self.requests()[from..]
            .iter()
            .filter(|(m, _)| m == "PUT")
            .filter_map(|(_, k)| k.strip_prefix(PREFIX).map(str::to_string))
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A copy of the fixture site whose configuration deploys to `moto`, with
/// `extra` configuration lines before the `[deploy]` table.
fn site(moto: &Moto, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = fixture("site");
    for entry in walkdir::WalkDir::new(from.join("seeds")) {
        let entry = entry.unwrap();
        let to = dir.path().join(entry.path().strip_prefix(&from).unwrap());
        match entry.file_type().is_dir() {
            true => std::fs::create_dir_all(&to).unwrap(),
            false => {
                std::fs::copy(entry.path(), &to).unwrap();
            }
        }
    }
    let config = std::fs::read_to_string(from.join("pressfeed.toml")).unwrap();
    // Top-level keys must come before the first table; a key of `extra`
    // replaces the fixture's.
    let (top, tables) = config.split_once("\n[").unwrap();
    let keys: Vec<&str> = extra
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, _)| k)
        .collect();
    let top: String = top
        .lines()
        .filter(|l| !keys.iter().any(|k| l.starts_with(&format!("{k} = "))))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        dir.path().join("pressfeed.toml"),
        format!(
            "{top}\n{extra}\n[{tables}\n[deploy]\ntarget = \"s3://{BUCKET}/{PREFIX}\"\nendpoint = \"http://127.0.0.1:{}\"\n",
            moto.port
        ),
    )
    .unwrap();
    dir
}

/// Runs pressfeed in `dir` with test credentials and `env` set.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pressfeed"));
    command
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing-secret")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_ENDPOINT")
        .env_remove("AWS_PROFILE")
        .env_remove("PRESSFEED_TEST_FAIL_AFTER")
        .env_remove("PRESSFEED_TEST_DEPLOY_FAIL_AFTER");
    for (k, v) in env {
        command.env(k, v);
    }
    let o = command.output().unwrap();
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    o
}

fn build(dir: &Path, env: &[(&str, &str)]) -> Output {
    run(
        dir,
        &["build", "--seeds", "seeds", "--out", "out", "-q"],
        env,
    )
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    o
}

/// The output folder without its hidden files.
fn published(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(&dir.join("out"))
        .into_iter()
        .filter(|(k, _)| !k.split('/').any(|part| part.starts_with('.')))
        .collect()
}

/// The bucket under the prefix holds exactly the published files, byte for
/// byte, each with its media type and `Cache-Control`.
fn assert_mirrors(moto: &Moto, dir: &Path) {
    let files = published(dir);
    assert_eq!(
        moto.deployed(),
        files.keys().cloned().collect::<BTreeSet<_>>()
    );
    for (path, bytes) in &files {
        let (status, ct, cc, body) = moto.get(&format!("{PREFIX}{path}"));
        assert_eq!(status, 200, "{path}");
        assert!(&body == bytes, "{path}: the object differs from the file");
        let file = path.rsplit('/').next().unwrap();
        let want = match file {
            "atom.xml" => "application/atom+xml; charset=utf-8",
            "rss.xml" => "application/rss+xml; charset=utf-8",
            "feed.json" => "application/feed+json; charset=utf-8",
            "feeds.opml" => "text/x-opml; charset=utf-8",
            "sitemap.xml" => "application/xml; charset=utf-8",
            f if f.ends_with(".html") => "text/html; charset=utf-8",
            f => panic!("unexpected file {f}"),
        };
        assert_eq!(ct, want, "{path}");
        assert!(!cc.is_empty(), "{path}: no Cache-Control");
    }
}

#[test]
fn the_bucket_mirrors_the_folder_and_only_changes_are_sent() {
    let Some(moto) = Moto::start() else { return };
    // Objects pressfeed did not write, inside and beside its prefix.
    let foreign = ["robots.txt", "portfolios/keep.txt"];
    for f in foreign {
        moto.put(&format!("{PREFIX}{f}"), b"x");
    }
    moto.put("elsewhere/atom.xml", b"x");
    let dir = site(&moto, "");
    let o = ok(build(dir.path(), &[]));
    assert_eq!(stdout(&o), "", "-q prints nothing");
    assert_mirrors_with_foreign(&moto, dir.path(), &foreign);
    assert_eq!(moto.get("elsewhere/atom.xml").3, b"x");
    let files = published(dir.path());
    // Full archive documents get the long Cache-Control, the newest one of
    // a feed (which changes with the next release) the short one.
    let (_, _, cc, _) = moto.get(&format!("{PREFIX}archive/1/atom.xml"));
    assert_eq!(cc, "max-age=31536000, immutable");
    let newest = files
        .keys()
        .filter(|p| p.starts_with("archive/") && p.ends_with("/atom.xml"))
        .max_by_key(|p| p.split('/').nth(1).unwrap().parse::<u32>().unwrap())
        .unwrap();
    assert_ne!(newest, "archive/1/atom.xml");
    assert_eq!(moto.get(&format!("{PREFIX}{newest}")).2, "max-age=300");
    assert_eq!(moto.get(&format!("{PREFIX}atom.xml")).2, "max-age=300");
    assert_eq!(moto.get(&format!("{PREFIX}index.html")).2, "max-age=300");

    // What pages link to went first: every archive document and history
    // page of a feed before the feed's documents and page.
    let puts = moto.puts_since(0);
    let at = |p: &str| puts.iter().position(|k| k == p).unwrap();
    for path in files.keys() {
        let (dir_of, file) = path.rsplit_once('/').unwrap_or(("", path));
        if !["atom.xml", "rss.xml", "feed.json", "index.html"].contains(&file)
            || dir_of.contains("archive/")
            || dir_of.ends_with("archive")
        {
            continue;
        }
        let prefix = match dir_of {
            "" => String::new(),
            d => format!("{d}/"),
        };
        for linked in files.keys().filter(|k| {
            k.strip_prefix(&prefix).is_some_and(|rest| {
                (rest.starts_with("archive/") || rest.starts_with("history/"))
                    && rest.matches('/').count() <= 2
            })
        }) {
            assert!(at(linked) < at(path), "{linked} was sent after {path}");
        }
    }
    // The record is written once the uploads are done.
    let record_puts: Vec<usize> = puts
        .iter()
        .enumerate()
        .filter(|(_, k)| *k == RECORD)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(*record_puts.last().unwrap(), puts.len() - 1);

    // Nothing changed: no PUT at all, by build or by deploy.
    let mark = moto.requests().len();
    ok(build(dir.path(), &[]));
    let o = ok(run(dir.path(), &["deploy", "--out", "out"], &[]));
    assert!(stdout(&o).contains("0 file(s) sent"), "{}", stdout(&o));
    assert_eq!(moto.puts_since(mark), Vec::<String>::new());
    let dry = ok(run(
        dir.path(),
        &["deploy", "--out", "out", "--dry-run"],
        &[],
    ));
    assert!(!stdout(&dry).contains("\nsend "), "{}", stdout(&dry));

    // A new release: exactly the files whose bytes changed are sent.
    let before = published(dir.path());
    std::fs::write(
        dir.path().join("seeds/2099-new.md"),
        "---\ntitle: \"A brand new release\"\ndate: 2025-06-02\nurl: https://example.govt.nz/release/brand-new\nministers:\n  - Hon Nicola Willis\nportfolios:\n  - Finance\n  - Outer Space\n---\n\nNews.\n",
    )
    .unwrap();
    ok(build(dir.path(), &[]));
    let after = published(dir.path());
    let changed: BTreeSet<String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    let sent: BTreeSet<String> = moto
        .puts_since(mark)
        .into_iter()
        .filter(|k| k != RECORD)
        .collect();
    assert!(!changed.is_empty() && changed.len() < after.len() / 2);
    assert_eq!(sent, changed);
    assert_mirrors_with_foreign(&moto, dir.path(), &foreign);

    // A feed that no longer exists is deleted; the foreign objects stay.
    let gone = "portfolios/outer-space/atom.xml";
    assert!(after.contains_key(gone));
    std::fs::remove_file(dir.path().join("seeds/2099-new.md")).unwrap();
    ok(build(dir.path(), &[]));
    assert!(!published(dir.path()).contains_key(gone));
    assert!(!moto.deployed().contains(gone));
    assert_mirrors_with_foreign(&moto, dir.path(), &foreign);
}

/// [`assert_mirrors`] with objects pressfeed did not write kept aside.
fn assert_mirrors_with_foreign(moto: &Moto, dir: &Path, foreign: &[&str]) {
    for f in foreign {
        assert_eq!(moto.get(&format!("{PREFIX}{f}")).3, b"x", "{f} was touched");
    }
    let mut keys = moto.deployed();
    for f in foreign {
        assert!(keys.remove(*f), "{f} was deleted");
    }
    assert_eq!(keys, published(dir).keys().cloned().collect());
    let files = published(dir);
    for path in files.keys() {
        assert_eq!(
            moto.get(&format!("{PREFIX}{path}")).3,
            files[path],
            "{path}"
        );
    }
}

#[test]
fn the_media_types_and_cache_control_are_set_and_dry_run_changes_nothing() {
    let Some(moto) = Moto::start() else { return };
    let dir = site(&moto, "");
    // Built, but the deploy stopped after its first upload.
    let o = build(dir.path(), &[("PRESSFEED_TEST_DEPLOY_FAIL_AFTER", "1")]);
    assert_eq!(o.status.code(), Some(8), "{}", stderr(&o));
    let mark = moto.requests().len();
    let o = ok(run(
        dir.path(),
        &["deploy", "--out", "out", "--dry-run"],
        &[],
    ));
    let sends: BTreeSet<String> = stdout(&o)
        .lines()
        .filter_map(|l| l.strip_prefix("send "))
        .map(str::to_string)
        .collect();
    assert_eq!(sends, published(dir.path()).keys().cloned().collect());
    assert!(stdout(&o).contains("dry run"), "{}", stdout(&o));
    assert_eq!(
        moto.puts_since(mark),
        Vec::<String>::new(),
        "a dry run sends nothing"
    );
    ok(run(dir.path(), &["deploy", "--out", "out", "-q"], &[]));
    assert_mirrors(&moto, dir.path());
}

#[test]
fn a_deploy_stopped_half_way_is_completed_by_the_next_run() {
    let Some(moto) = Moto::start() else { return };
    let dir = site(&moto, "");
    let o = build(dir.path(), &[("PRESSFEED_TEST_DEPLOY_FAIL_AFTER", "25")]);
    assert_eq!(o.status.code(), Some(8), "{}", stderr(&o));
    assert!(stderr(&o).contains("deploy failed"), "{}", stderr(&o));
    // The output folder is published all the same.
    assert!(dir.path().join("out/atom.xml").is_file());
    // Deepest first: what was sent is what nothing sent yet links to.
    let sent = moto.deployed();
    assert!(sent.len() >= 25, "{sent:?}");
    assert!(
        sent.iter()
            .all(|k| k.contains("/archive/") || k.contains("/history/")),
        "{sent:?}"
    );
    // Before the next run, the site stops writing archives: what the stopped
    // run sent is pressfeed's, and must go.
    let config = dir.path().join("pressfeed.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("archives = false\n{text}")).unwrap();
    ok(build(dir.path(), &[]));
    assert_mirrors(&moto, dir.path());
    assert!(!moto.deployed().iter().any(|k| k.contains("/archive/")));
}

/// Deploy sends what the publish manifest vouches for, never a file changed
/// by hand since the build: one the bucket already holds is not even read;
/// one that must be sent stops the deploy, named, and nothing of it is put.
#[test]
fn a_file_changed_by_hand_after_a_build_is_never_sent() {
    let Some(moto) = Moto::start() else { return };
    let dir = site(&moto, "");
    ok(build(dir.path(), &[]));
    assert_mirrors(&moto, dir.path());
    let page = dir.path().join("out/index.html");
    let key = format!("{PREFIX}index.html");
    let original = std::fs::read(&page).unwrap();
    let deploy = |d: &Path| run(d, &["deploy", "--out", "out"], &[]);

    // The bucket holds what pressfeed wrote: nothing is sent.
    std::fs::write(&page, b"defaced by hand").unwrap();
    let mark = moto.requests().len();
    let o = ok(deploy(dir.path()));
    assert!(stdout(&o).contains("0 file(s) sent"), "{}", stdout(&o));
    assert_eq!(moto.puts_since(mark), Vec::<String>::new());
    assert_eq!(moto.get(&key).3, original);

    // Another Cache-Control makes every file one to send: the changed one
    // is refused, whether its size changed or only its bytes, and its
    // object keeps what pressfeed wrote.
    let config = dir.path().join("pressfeed.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let cache_control = |age: u32| {
        std::fs::write(
            &config,
            format!("{text}cache_control = \"max-age={age}\"\n"),
        )
        .unwrap()
    };
    cache_control(60);
    let mut same_size = original.clone();
    same_size[0] ^= 0x20;
    for changed in [b"defaced by hand".to_vec(), same_size] {
        std::fs::write(&page, &changed).unwrap();
        let o = deploy(dir.path());
        assert!(!o.status.success(), "{}", stdout(&o));
        assert!(
            stderr(&o).contains("index.html")
                && stderr(&o).contains("changed since pressfeed wrote it"),
            "{}",
            stderr(&o)
        );
        assert_eq!(moto.get(&key).3, original);
    }

    // Put back, it is sent.
    std::fs::write(&page, &original).unwrap();
    ok(deploy(dir.path()));
    assert_mirrors(&moto, dir.path());
    assert_eq!(moto.get(&key).2, "max-age=60");

    // A link in its place is not followed: refused, naming it.
    std::fs::remove_file(&page).unwrap();
    std::os::unix::fs::symlink(dir.path().join("out/atom.xml"), &page).unwrap();
    cache_control(61);
    let o = deploy(dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("index.html"), "{}", stderr(&o));
    assert_eq!(moto.get(&key).3, original);
}

/// A manifest that lists a path with two versions (a build stopped
/// mid-rename) stops a deploy before the target is touched; so does a
/// missing manifest.
#[test]
fn an_unsettled_output_folder_is_not_deployed() {
    let Some(moto) = Moto::start() else { return };
    let dir = site(&moto, "");
    ok(build(dir.path(), &[]));
    let manifest = dir.path().join("out/.pressfeed-manifest");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("index.html "))
        .unwrap()
        .to_string();
    let (path_size, _) = line.rsplit_once(' ').unwrap();
    std::fs::write(&manifest, format!("{text}{path_size} {}\n", "0".repeat(64))).unwrap();
    let mark = moto.requests().len();
    let o = run(dir.path(), &["deploy", "--out", "out"], &[]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("stopped while it updated"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("index.html"), "{}", stderr(&o));
    assert!(moto.requests()[mark..].is_empty(), "the target was touched");

    std::fs::remove_file(&manifest).unwrap();
    let o = run(dir.path(), &["deploy", "--out", "out"], &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no manifest"), "{}", stderr(&o));
    // The deploy did not delete what the bucket holds.
    assert_eq!(
        moto.deployed(),
        published(dir.path()).keys().cloned().collect()
    );
}

/// A hub on 127.0.0.1 that, on each publish ping, fetches every topic at
/// once and records what it got: the URL and whether the body held
/// `marker`. Bounded: 500 pings, two minutes.
struct Hub {
    url: String,
    fetched: Arc<Mutex<Vec<(String, u16, bool)>>>,
}

impl Hub {
    fn start(marker: &'static str) -> Hub {
        let fetched = Arc::new(Mutex::new(Vec::new()));
        let f = fetched.clone();
        let address = serve(500, Duration::from_secs(120), move |request| {
            // A ping names its topic as `hub.topic`, `hub.url` or both:
            // each topic is fetched once.
            let topics: BTreeSet<String> = request
                .unwrap_or_default()
                .form()
                .into_iter()
                .filter(|(k, _)| k == "hub.url" || k == "hub.topic")
                .map(|(_, topic)| topic)
                .collect();
            for topic in topics {
                let mut r = ureq::get(topic.as_str())
                    .config()
                    .http_status_as_error(false)
                    .build()
                    .call()
                    .unwrap();
                let status = r.status().as_u16();
                let text = r.body_mut().read_to_string().unwrap_or_default();
                f.lock()
                    .unwrap()
                    .push((topic, status, text.contains(marker)));
            }
            Some(Reply::empty("204 No Content"))
        });
        Hub {
            url: format!("{address}/hub"),
            fetched,
        }
    }

    fn take(&self) -> Vec<(String, u16, bool)> {
        std::mem::take(&mut *self.fetched.lock().unwrap())
    }
}

#[test]
fn hubs_are_pinged_once_the_documents_are_live_in_the_bucket() {
    let Some(moto) = Moto::start() else { return };
    let hub = Hub::start("A release the hub must see");
    // The feeds are served from the bucket itself.
    let base = format!("base_url = \"{}/{PREFIX}\"", moto.url(""));
    let dir = site(&moto, &format!("{base}\nhubs = [\"{}\"]", hub.url));
    let dir = dir.path();

    // The first build: every document the hub is told of is already there.
    ok(build(dir, &[]));
    let first = hub.take();
    assert!(!first.is_empty());
    assert!(
        first.iter().all(|(_, status, _)| *status == 200),
        "{first:?}"
    );

    // A new release: the hub's first fetch of the global feed has it.
    let release = "---\ntitle: \"A release the hub must see\"\ndate: 2025-07-01\nurl: https://example.govt.nz/release/hub\nministers:\n  - Hon Nicola Willis\nportfolios:\n  - Finance\n---\n\nNews.\n";
    std::fs::write(dir.join("seeds/2099-hub.md"), release).unwrap();
    ok(build(dir, &[]));
    let fetched = hub.take();
    let global = format!("{}/{PREFIX}atom.xml", moto.url(""));
    assert!(
        fetched
            .iter()
            .any(|(url, status, seen)| *url == global && *status == 200 && *seen),
        "{fetched:?}"
    );
    assert!(
        fetched.iter().all(|(_, status, _)| *status == 200),
        "{fetched:?}"
    );

    // A deploy that fails pings nothing; the next run that deploys does.
    let release = release.replace("hub/", "hub-2/").replace("07-01", "07-02");
    std::fs::write(dir.join("seeds/2099-hub-2.md"), release).unwrap();
    let o = build(dir, &[("PRESSFEED_TEST_DEPLOY_FAIL_AFTER", "1")]);
    assert_eq!(o.status.code(), Some(8), "{}", stderr(&o));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        hub.take(),
        Vec::new(),
        "pinged before the documents were live"
    );
    ok(run(dir, &["deploy", "--out", "out", "-q"], &[]));
    std::thread::sleep(Duration::from_millis(300));
    let late = hub.take();
    assert!(
        late.iter()
            .any(|(url, status, seen)| *url == global && *status == 200 && *seen),
        "{late:?}"
    );
}

#[test]
fn deploy_needs_a_target_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("pressfeed.toml"), "title = \"x\"\n").unwrap();
    let o = run(dir.path(), &["deploy", "--out", "out"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no [deploy] table"), "{}", stderr(&o));
    std::fs::write(
        dir.path().join("pressfeed.toml"),
        "[deploy]\ntarget = \"s3://AKIA:secret@bucket/feeds/\"\n",
    )
    .unwrap();
    let o = run(dir.path(), &["deploy", "--out", "out"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("secret"), "{}", stderr(&o));
}
