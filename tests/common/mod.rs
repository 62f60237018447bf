//! Helpers shared by the integration tests: run the binary, read trees.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod servers;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture folder under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// The build cache folder of this test process (`XDG_CACHE_HOME` for every
/// run), never the developer's `~/.cache`; removed when the process ends.
pub fn cache_home() -> &'static Path {
    static CACHE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    CACHE
        .get_or_init(|| tempfile::tempdir().expect("a temporary cache folder"))
        .path()
}

/// A small valid seed: release `n` of 2024 (its day from `n`), by
/// `minister`, in Finance.
pub fn release(n: usize, minister: &str) -> String {
    format!(
        "---\ntitle: \"Release {n}\"\ndate: 2024-03-{:02}\nurl: https://example.govt.nz/release/{n}\nministers:\n  - {minister}\nportfolios:\n  - Finance\n---\n\nRelease {n} says something.\n",
        1 + n % 28
    )
}

/// Runs `pressfeed` with `args` from `dir`, with the cache in
/// [`cache_home`] and no failure injected.
pub fn pressfeed(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", cache_home())
        .env_remove("PRESSFEED_TEST_FAIL_AFTER")
        .output()
        .expect("run pressfeed")
}

/// Runs `pressfeed build` on the fixture site into `out`; panics unless it succeeds.
pub fn build_site(site: &Path, out: &Path) -> Output {
    let out_s = out.to_str().unwrap();
    let o = pressfeed(
        site,
        &[
            "build",
            "--seeds",
            "seeds",
            "--config",
            "pressfeed.toml",
            "--out",
            out_s,
            "-q",
        ],
    );
    assert!(
        o.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Every file under `dir`, by `/`-separated relative path.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Parses a feed with feed-rs, an independent parser.
pub fn parse_feed(bytes: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(bytes).expect("feed-rs parses the feed")
}

/// One feed document as far as RFC 5005 goes: its links and entry ids.
#[derive(Debug, Default)]
pub struct ArchiveDoc {
    /// `rel` and `href` of each link (atom:link in RSS, the `_archive`
    /// extension and `next_url` in JSON Feed).
    pub links: Vec<(String, String)>,
    /// Atom `id`, RSS `guid`, JSON Feed `id`, in order.
    pub ids: Vec<String>,
    /// `fh:archive` (RSS, Atom) or `_archive.archive` (JSON Feed).
    pub archive: bool,
}

impl ArchiveDoc {
    pub fn link(&self, rel: &str) -> Option<&str> {
        self.links
            .iter()
            .find(|(r, _)| r == rel)
            .map(|(_, h)| h.as_str())
    }
}

pub const HISTORY_NS: &str = "http://purl.org/syndication/history/1.0";

/// Reads an RSS, Atom or JSON Feed document's links and ids.
pub fn archive_doc(bytes: &[u8]) -> ArchiveDoc {
    const ATOM: &str = "http://www.w3.org/2005/Atom";
    let text = std::str::from_utf8(bytes).unwrap();
    if text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut doc = ArchiveDoc::default();
        if let Some(n) = v["next_url"].as_str() {
            doc.links.push(("prev-archive".into(), n.into()));
        }
        if let Some(a) = v.get("_archive") {
            doc.archive = a["archive"] == true;
            for (key, rel) in [("current", "current"), ("next_archive", "next-archive")] {
                if let Some(h) = a[key].as_str() {
                    doc.links.push((rel.into(), h.into()));
                }
            }
            assert_eq!(a["prev_archive"], v["next_url"]);
        }
        if let Some(u) = v["feed_url"].as_str() {
            doc.links.push(("self".into(), u.into()));
        }
        doc.ids = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect();
        return doc;
    }
    let xml = roxmltree::Document::parse(text).unwrap();
    let root = xml.root_element();
    let rss = root.has_tag_name("rss");
    let head = match rss {
        true => root.children().find(|n| n.has_tag_name("channel")).unwrap(),
        false => root,
    };
    let mut doc = ArchiveDoc::default();
    for n in head.children().filter(|n| n.is_element()) {
        if n.has_tag_name((ATOM, "link")) {
            if let (Some(r), Some(h)) = (n.attribute("rel"), n.attribute("href")) {
                doc.links.push((r.into(), h.into()));
            }
        } else if n.has_tag_name((HISTORY_NS, "archive")) {
            doc.archive = true;
        } else if rss && n.has_tag_name("item") || !rss && n.has_tag_name((ATOM, "entry")) {
            let id = n
                .children()
                .find(|c| match rss {
                    true => c.has_tag_name("guid"),
                    false => c.has_tag_name((ATOM, "id")),
                })
                .and_then(|c| c.text())
                .unwrap();
            doc.ids.push(id.to_string());
        }
    }
    doc
}

/// Follows `prev-archive` from the subscription document at `path` (in
/// the output folder `out`, served at `base`) to the oldest archive
/// document, checking RFC 5005 on the way: each archive document says it is
/// one, links `self` to itself, `current` to the subscription document, and
/// `next-archive` back to the document that led to it. Returns every entry
/// id along the chain, and the paths of the archive documents, newest
/// first.
pub fn follow_chain(out: &Path, base: &str, path: &str) -> (Vec<String>, Vec<String>) {
    let local = |url: &str| -> String {
        url.strip_prefix(base)
            .unwrap_or_else(|| panic!("{url} is not under {base}"))
            .to_string()
    };
    let read = |p: &str| std::fs::read(out.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let current = archive_doc(&read(path));
    assert!(!current.archive, "{path} is a subscription document");
    let mut ids = current.ids.clone();
    let mut docs = Vec::new();
    let mut from = format!("{base}{path}");
    let mut next = current.link("prev-archive").map(str::to_string);
    while let Some(url) = next {
        let p = local(&url);
        assert!(!docs.contains(&p), "{path}: a loop at {p}");
        let doc = archive_doc(&read(&p));
        assert!(doc.archive, "{p} lacks fh:archive");
        assert_eq!(doc.link("self"), Some(url.as_str()), "{p}: self");
        assert_eq!(
            doc.link("current"),
            Some(format!("{base}{path}").as_str()),
            "{p}: current"
        );
        if docs.is_empty() {
            assert_eq!(
                doc.link("next-archive"),
                None,
                "{p}: the newest archive document"
            );
        } else {
            assert_eq!(
                doc.link("next-archive"),
                Some(from.as_str()),
                "{p}: next-archive"
            );
        }
        ids.extend(doc.ids.iter().cloned());
        next = doc.link("prev-archive").map(str::to_string);
        from = url;
        docs.push(p);
    }
    (ids, docs)
}

/// Follows every link a person can click from `index.html` in the output
/// folder `out`, through the pages (`.html`) it reaches. Panics on a
/// relative link to a file that does not exist. Returns the pages reached
/// and every absolute `http(s)` link on them (unescaped).
pub fn crawl(out: &Path) -> (BTreeMap<String, ()>, std::collections::BTreeSet<String>) {
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    let mut external = std::collections::BTreeSet::new();
    let mut queue = vec!["index.html".to_string()];
    seen.insert("index.html".into(), ());
    while let Some(page) = queue.pop() {
        let text =
            std::fs::read_to_string(out.join(&page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        let folder = match page.rfind('/') {
            Some(i) => &page[..=i],
            None => "",
        };
        for (at, _) in text.match_indices(" href=\"") {
            let rest = &text[at + 7..];
            let href = rest[..rest.find('"').unwrap()]
                .replace("&amp;", "&")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">");
            if href.starts_with("http://")
                || href.starts_with("https://")
                || href.starts_with("mailto:")
            {
                external.insert(href);
                continue;
            }
            // Inline (the favicon that needs no request).
            if href.starts_with("data:") {
                continue;
            }
            let href = href.split('#').next().unwrap();
            if href.is_empty() {
                continue;
            }
            // Resolve `../` against the page's folder.
            let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
            for seg in href.split('/') {
                match seg {
                    ".." => {
                        assert!(
                            parts.pop().is_some(),
                            "{page}: {href} leaves the output folder"
                        );
                    }
                    "." | "" => {}
                    s => parts.push(s),
                }
            }
            let target = parts.join("/");
            assert!(
                out.join(&target).is_file(),
                "{page}: {href} ({target}) does not exist"
            );
            if target.ends_with(".html") && !seen.contains_key(&target) {
                seen.insert(target.clone(), ());
                queue.push(target);
            }
        }
    }
    (seen, external)
}

/// The releases each feed carries, read from the global feed's whole chain
/// (every release) and each entry's authors and categories: a portfolio
/// feed has the entries with its category, a minister's those with them as
/// author.
pub fn feed_releases(
    out: &Path,
    base: &str,
) -> BTreeMap<String, std::collections::BTreeSet<String>> {
    const ATOM: &str = "http://www.w3.org/2005/Atom";
    let (_, docs) = follow_chain(out, base, "atom.xml");
    let mut feeds: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for p in std::iter::once("atom.xml".to_string()).chain(docs) {
        let text = std::fs::read_to_string(out.join(&p)).unwrap();
        let xml = roxmltree::Document::parse(&text).unwrap();
        for e in xml
            .descendants()
            .filter(|n| n.has_tag_name((ATOM, "entry")))
        {
            let id = e
                .children()
                .find(|c| c.has_tag_name((ATOM, "id")))
                .and_then(|c| c.text())
                .unwrap()
                .to_string();
            feeds.entry(String::new()).or_default().insert(id.clone());
            for c in e.children() {
                let dir = if c.has_tag_name((ATOM, "category")) {
                    format!("portfolios/{}/", c.attribute("term").unwrap())
                } else if c.has_tag_name((ATOM, "author")) {
                    let uri = c
                        .children()
                        .find(|u| u.has_tag_name((ATOM, "uri")))
                        .and_then(|u| u.text())
                        .unwrap();
                    uri.strip_prefix(base).unwrap().to_string()
                } else {
                    continue;
                };
                feeds.entry(dir).or_default().insert(id.clone());
            }
        }
    }
    feeds
}
