//! How subscribers find the feeds: JSON Feed beside RSS and Atom, an HTML page
//! per feed with autodiscovery, the list of every feed, and the OPML list.
//!
//! Built from tests/fixtures/discovery, whose config, titles and names carry
//! `&`, `<`, quotes, macrons and a `<script>` tag. Pages are read with
//! html5ever's tokenizer (an HTML5 parser, so entities are decoded as a
//! browser would), the OPML with roxmltree, the JSON Feeds with serde_json,
//! the JSON Feed 1.1 schema and feed-rs.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;
use common::{build_site, fixture, tree};
use pressfeed::site::paths;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, DoctypeToken, EndTag, ParseError, StartTag, TagToken, Token,
    TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use serde_json::Value;

const BASE: &str = "https://example.govt.nz/feeds/";
const SITE: &str = "https://example.govt.nz/";
const TITLE: &str = "Ōtautahi \"News\" & <Views>";
const MINISTER: &str = "Nanaia \"Nan\" O'Mahuta & <Friends>";
const MINISTER_DIR: &str = "ministers/nanaia-nan-omahuta-and-friends/";
const PORTFOLIO: &str = "Māori <Crown> Relations: \"Te Arawhiti\"";
const PORTFOLIO_DIR: &str = "portfolios/maori-crown-relations-te-arawhiti/";
const SCRIPT: &str = "<script>alert(1)</script>";
const SCRIPT_DIR: &str = "portfolios/script-alert-1-script/";
const ITEMS_PER_FEED: usize = 3;
const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/schemas/jsonfeed-1.1.schema.json"
);

/// An archive document (RFC 5005) or a history page.
fn archive_or_history(path: &str) -> bool {
    paths::is_archive_path(path) || paths::is_history_path(path)
}

/// The discovery fixture site.
fn site() -> PathBuf {
    fixture("discovery")
}

struct Built {
    _dir: tempfile::TempDir,
    files: BTreeMap<String, Vec<u8>>,
}

fn build() -> Built {
    let dir = tempfile::tempdir().unwrap();
    build_site(&site(), dir.path());
    let files = tree(dir.path());
    Built { _dir: dir, files }
}

impl Built {
    fn text(&self, path: &str) -> &str {
        std::str::from_utf8(
            self.files
                .get(path)
                .unwrap_or_else(|| panic!("{path} missing")),
        )
        .unwrap()
    }

    /// Paths ending in `suffix`, but archive documents (tests/archive.rs).
    fn paths_ending(&self, suffix: &str) -> Vec<&str> {
        self.files
            .keys()
            .filter(|p| p.ends_with(suffix) && !archive_or_history(p))
            .map(String::as_str)
            .collect()
    }

    /// The folders that hold a feed (`""` for the global one).
    fn feed_dirs(&self) -> BTreeSet<String> {
        self.paths_ending("rss.xml")
            .iter()
            .map(|p| p.trim_end_matches("rss.xml").to_string())
            .collect()
    }
}

// ------------------------------------------------------------ HTML reading

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Start(String, Vec<(String, String)>),
    End(String),
    Text(String),
}

#[derive(Default)]
struct Sink {
    events: RefCell<Vec<Event>>,
    errors: RefCell<Vec<String>>,
    doctype: RefCell<Option<String>>,
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<()> {
        match token {
            TagToken(tag) => {
                let name = tag.name.to_string();
                match tag.kind {
                    StartTag => {
                        if tag.had_duplicate_attributes {
                            self.errors
                                .borrow_mut()
                                .push(format!("line {line}: duplicate attribute on <{name}>"));
                        }
                        let attrs = tag
                            .attrs
                            .iter()
                            .map(|a| (a.name.local.to_string(), a.value.to_string()))
                            .collect();
                        self.events
                            .borrow_mut()
                            .push(Event::Start(name.clone(), attrs));
                        match name.as_str() {
                            "title" | "textarea" => {
                                return TokenSinkResult::RawData(RawKind::Rcdata);
                            }
                            "style" => return TokenSinkResult::RawData(RawKind::Rawtext),
                            "script" => return TokenSinkResult::RawData(RawKind::ScriptData),
                            _ => {}
                        }
                    }
                    EndTag => self.events.borrow_mut().push(Event::End(name)),
                }
            }
            CharacterTokens(t) => {
                let mut events = self.events.borrow_mut();
                if let Some(Event::Text(s)) = events.last_mut() {
                    s.push_str(&t);
                } else {
                    events.push(Event::Text(t.to_string()));
                }
            }
            DoctypeToken(d) => {
                *self.doctype.borrow_mut() = d.name.as_ref().map(|n| n.to_string());
            }
            ParseError(e) => self.errors.borrow_mut().push(format!("line {line}: {e}")),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// A page as the HTML5 tokenizer sees it.
struct Page {
    events: Vec<Event>,
    errors: Vec<String>,
    doctype: Option<String>,
}

impl Page {
    fn parse(html: &str) -> Page {
        let tok = Tokenizer::new(Sink::default(), TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from_slice(html));
        let _ = tok.feed(&input);
        tok.end();
        let sink = tok.sink;
        Page {
            events: sink.events.into_inner(),
            errors: sink.errors.into_inner(),
            doctype: sink.doctype.into_inner(),
        }
    }

    /// Start tags named `name`, with their index in `events`.
    fn starts<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (usize, &'a [(String, String)])> + 'a {
        self.events
            .iter()
            .enumerate()
            .filter_map(move |(i, e)| match e {
                Event::Start(n, attrs) if n == name => Some((i, attrs.as_slice())),
                _ => None,
            })
    }

    /// The text inside the element that starts at `events[at]`.
    fn text_at(&self, at: usize) -> String {
        let Event::Start(name, _) = &self.events[at] else {
            panic!("not a start tag")
        };
        let mut depth = 0;
        let mut out = String::new();
        for e in &self.events[at + 1..] {
            match e {
                Event::Start(n, _) if n == name => depth += 1,
                Event::End(n) if n == name => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                Event::Text(t) => out.push_str(t),
                _ => {}
            }
        }
        out
    }

    /// Texts of every element named `name`.
    fn texts(&self, name: &str) -> Vec<String> {
        self.starts(name).map(|(i, _)| self.text_at(i)).collect()
    }

    fn ids(&self) -> BTreeSet<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Start(_, attrs) => attr(attrs, "id").map(str::to_string),
                _ => None,
            })
            .collect()
    }

    /// Every URL the page refers to: `href` and `src` of every element.
    fn links(&self) -> Vec<(String, String)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Start(name, attrs) => Some((name, attrs)),
                _ => None,
            })
            .flat_map(|(name, attrs)| {
                attrs
                    .iter()
                    .filter(|(k, _)| k == "href" || k == "src" || k == "action")
                    .map(move |(_, v)| (name.clone(), v.clone()))
            })
            .collect()
    }

    /// `(type, href, title)` of each autodiscovery link.
    fn alternates(&self) -> Vec<(String, String, String)> {
        self.starts("link")
            .filter(|(_, a)| attr(a, "rel") == Some("alternate"))
            .map(|(_, a)| {
                (
                    attr(a, "type").unwrap_or("").to_string(),
                    attr(a, "href").unwrap_or("").to_string(),
                    attr(a, "title").unwrap_or("").to_string(),
                )
            })
            .collect()
    }
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `rel` resolved against the folder of `page`, both relative to the output
/// folder; `None` if it climbs out of it.
fn resolve(page: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for seg in rel.split('/') {
        match seg {
            ".." => {
                parts.pop()?;
            }
            "." => {}
            s => parts.push(s),
        }
    }
    let mut path = parts.join("/");
    if path.is_empty() || path.ends_with('/') {
        path.push_str("index.html");
    }
    Some(path)
}

/// The release and attachment URLs of the fixture, read from the seeds'
/// front matter (kept simple: one `url:` line, attachments as a list).
fn release_urls() -> BTreeSet<String> {
    let mut urls = BTreeSet::new();
    for e in std::fs::read_dir(site().join("seeds")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        let front = text.split("---").nth(1).unwrap();
        let mut key = "";
        for line in front.lines() {
            if let Some(v) = line.strip_prefix("url:") {
                urls.insert(v.trim().to_string());
            } else if let Some(k) = line.strip_suffix(':') {
                key = k;
            } else if let Some(v) = line.trim().strip_prefix("- ") {
                if key == "attachments" {
                    urls.insert(v.trim().to_string());
                }
            } else if !line.starts_with(' ') {
                key = "";
            }
        }
    }
    urls
}

// ------------------------------------------------------------ tests

#[test]
fn every_link_in_every_page_resolves() {
    let b = build();
    let releases = release_urls();
    assert!(releases.contains("https://example.govt.nz/release/budget?id=1&lang=mi"));
    let pages = b.paths_ending(".html");
    let parsed: BTreeMap<&str, Page> = pages.iter().map(|p| (*p, Page::parse(b.text(p)))).collect();
    let mut checked = 0;
    for (page, html) in &parsed {
        for (tag, link) in html.links() {
            checked += 1;
            // The favicon that needs no request: inline, and empty.
            if link.starts_with("data:") {
                assert_eq!((tag.as_str(), link.as_str()), ("link", "data:,"), "{page}");
                continue;
            }
            let internal = if let Some(rest) = link.strip_prefix(BASE) {
                // Absolute, inside the output folder (the canonical link).
                Some(if rest.is_empty() || rest.ends_with('/') {
                    format!("{rest}index.html")
                } else {
                    rest.to_string()
                })
            } else if link.contains("://") || link.starts_with("mailto:") {
                assert!(
                    releases.contains(&link) || link == SITE,
                    "{page}: <{tag}> links to {link}, which is neither a release nor a file of the output"
                );
                None
            } else {
                let (path, fragment) = link.split_once('#').unwrap_or((&link, ""));
                let target = if path.is_empty() {
                    page.to_string()
                } else {
                    resolve(page, path)
                        .unwrap_or_else(|| panic!("{page}: {link} leaves the output folder"))
                };
                assert!(
                    b.files.contains_key(&target),
                    "{page}: <{tag}> links to {link}: {target} does not exist"
                );
                if !fragment.is_empty() {
                    let ids = parsed
                        .get(target.as_str())
                        .map(Page::ids)
                        .unwrap_or_default();
                    assert!(
                        ids.contains(fragment),
                        "{page}: {link}: no id {fragment:?} in {target}"
                    );
                }
                None
            };
            if let Some(target) = internal {
                assert!(
                    b.files.contains_key(&target),
                    "{page}: {link}: {target} does not exist"
                );
            }
        }
    }
    assert!(checked > 200, "only {checked} links checked");
}

#[test]
fn every_feed_has_a_page_with_autodiscovery_of_its_three_formats() {
    let b = build();
    let dirs = b.feed_dirs();
    assert_eq!(dirs.len(), 1 + 5 + 3, "{dirs:?}");
    for dir in &dirs {
        for file in ["rss.xml", "atom.xml", "feed.json", "index.html"] {
            assert!(
                b.files.contains_key(&format!("{dir}{file}")),
                "{dir}{file} missing"
            );
        }
        let page = Page::parse(b.text(&format!("{dir}index.html")));
        let alternates = page.alternates();
        let types: Vec<(&str, &str)> = alternates
            .iter()
            .map(|(t, h, _)| (t.as_str(), h.as_str()))
            .collect();
        assert_eq!(
            types,
            [
                ("application/rss+xml", "rss.xml"),
                ("application/atom+xml", "atom.xml"),
                ("application/feed+json", "feed.json"),
            ],
            "{dir}index.html"
        );
        // Readers show the link title when offering the feed.
        let feed: Value = serde_json::from_slice(&b.files[&format!("{dir}feed.json")]).unwrap();
        let title = feed["title"].as_str().unwrap();
        assert_eq!(alternates[0].2, format!("{title} (RSS)"));
        assert_eq!(page.texts("title"), [title]);
    }
}

#[test]
fn pages_are_html5_without_scripts_and_fit_a_phone() {
    let b = build();
    let pages = b.paths_ending(".html");
    // Every feed's page, plus the lists of portfolios and of ministers.
    assert_eq!(pages.len(), b.feed_dirs().len() + 2);
    for path in pages {
        let html = b.text(path);
        let page = Page::parse(html);
        assert!(html.starts_with("<!DOCTYPE html>\n"), "{path}");
        assert_eq!(page.doctype.as_deref(), Some("html"), "{path}");
        assert!(page.errors.is_empty(), "{path}: {:?}", page.errors);
        assert!(
            page.starts("script").next().is_none(),
            "{path} has a script"
        );
        let (_, html_attrs) = page.starts("html").next().unwrap();
        assert_eq!(attr(html_attrs, "lang"), Some("en-NZ"));
        let metas: Vec<_> = page.starts("meta").map(|(_, a)| a.to_vec()).collect();
        assert!(
            metas.iter().any(|a| attr(a, "charset") == Some("utf-8")),
            "{path}"
        );
        assert!(
            metas.iter().any(|a| attr(a, "name") == Some("viewport")
                && attr(a, "content").is_some_and(|c| c.contains("width=device-width"))),
            "{path}"
        );
        assert_eq!(page.texts("h1").len(), 1, "{path}");
        // Balanced: every element that was opened is closed (void ones aside).
        let void = ["meta", "link", "br", "wbr", "img", "hr", "input"];
        let mut stack: Vec<&str> = Vec::new();
        for e in &page.events {
            match e {
                Event::Start(n, _) if !void.contains(&n.as_str()) => stack.push(n),
                Event::End(n) => assert_eq!(
                    stack.pop(),
                    Some(n.as_str()),
                    "{path}: </{n}> closes the wrong element"
                ),
                _ => {}
            }
        }
        assert!(stack.is_empty(), "{path}: unclosed {stack:?}");
        assert!(html.ends_with("</html>\n"));
    }
}

#[test]
fn the_root_page_lists_every_feed_with_count_date_and_formats() {
    let b = build();
    let page = Page::parse(b.text("index.html"));
    // Rows: the feed's page link, then releases, latest and three formats.
    let mut listed: Vec<String> = Vec::new();
    for (i, attrs) in page.starts("a") {
        let href = attr(attrs, "href").unwrap();
        if let Some(dir) = href.strip_suffix("rss.xml")
            && page.text_at(i) == "RSS"
            && !listed.contains(&dir.to_string())
        {
            listed.push(dir.to_string());
        }
    }
    // The global feed first, then portfolios, then ministers, each by name.
    let on_disk = b.feed_dirs();
    let mut expected: Vec<String> = on_disk.iter().filter(|d| d.is_empty()).cloned().collect();
    expected.extend(
        on_disk
            .iter()
            .filter(|d| d.starts_with("portfolios/"))
            .cloned(),
    );
    expected.extend(
        on_disk
            .iter()
            .filter(|d| d.starts_with("ministers/"))
            .cloned(),
    );
    assert_eq!(listed, expected);
    for dir in &listed {
        for file in ["atom.xml", "feed.json", "index.html"] {
            let href = format!("{dir}{file}");
            let href = if dir.is_empty() && file == "index.html" {
                "index.html#latest".to_string()
            } else {
                href
            };
            assert!(
                page.links().iter().any(|(_, l)| *l == href),
                "no link to {href}"
            );
        }
    }
    // A row: name, number of releases, date of the latest.
    let row_of = |name_href: &str| -> Vec<String> {
        let (i, _) = page
            .starts("a")
            .find(|(_, a)| attr(a, "href") == Some(name_href))
            .unwrap();
        let name = page.text_at(i);
        let cells: Vec<String> = page.events[i..]
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(e, Event::Start(n, _) if n == "td"))
            .take(2)
            .map(|(j, _)| page.text_at(i + j))
            .collect();
        vec![name, cells[0].clone(), cells[1].clone()]
    };
    assert_eq!(
        row_of("ministers/aroha-te-whariki/index.html"),
        ["Aroha Te Whāriki", "5", "10 May 2023"]
    );
    assert_eq!(row_of("index.html#latest"), [TITLE, "8", "1 May 2024"]);
    assert_eq!(
        row_of(&format!("{MINISTER_DIR}index.html")),
        [MINISTER, "1", "1 May 2024"]
    );
    // Then the global feed's latest releases, as many as its feeds carry.
    assert_eq!(page.starts("article").count(), ITEMS_PER_FEED);
    assert!(page.ids().contains("latest"));
    // The lists of one kind link back to the same feeds.
    let ministers = Page::parse(b.text("ministers/index.html"));
    assert_eq!(
        ministers
            .links()
            .iter()
            .filter(|(_, l)| l.ends_with("/rss.xml"))
            .count(),
        on_disk
            .iter()
            .filter(|d| d.starts_with("ministers/"))
            .count()
    );
}

#[test]
fn a_feed_page_shows_its_latest_releases_and_how_to_subscribe() {
    let b = build();
    let page = Page::parse(b.text("ministers/aroha-te-whariki/index.html"));
    assert_eq!(page.texts("h1"), ["Aroha Te Whāriki"]);
    let articles: Vec<usize> = page.starts("article").map(|(i, _)| i).collect();
    assert_eq!(articles.len(), ITEMS_PER_FEED);
    let titles: Vec<String> = page.texts("h3");
    assert_eq!(
        titles,
        [
            "Aroha's release number 5",
            "Aroha's release number 4",
            "Aroha's release number 3"
        ]
    );
    let text = page.texts("main").concat();
    assert!(text.contains("The 3 most recent of 5."), "{text}");
    assert!(
        text.contains("Release 5 from the Minister of Defence."),
        "summary missing: {text}"
    );
    assert!(text.contains("10 May 2023"));
    // How to subscribe: each format's absolute address, to paste in a reader.
    for file in ["rss.xml", "atom.xml", "feed.json"] {
        let url = format!("{BASE}ministers/aroha-te-whariki/{file}");
        assert!(page.texts("code").contains(&url), "{url} not shown");
    }
    // Releases link to the feeds of their other names.
    assert!(
        page.links()
            .iter()
            .any(|(_, l)| l == "../../portfolios/defence/index.html")
    );

    // Attachments are listed under the release, by file name.
    let hostile = Page::parse(b.text(&format!("{MINISTER_DIR}index.html")));
    let att: Vec<(String, String)> = hostile
        .starts("a")
        .filter(|(_, a)| attr(a, "href").is_some_and(|h| h.contains("/sites/files/")))
        .map(|(i, a)| (attr(a, "href").unwrap().to_string(), hostile.text_at(i)))
        .collect();
    assert_eq!(
        att,
        [
            (
                "https://example.govt.nz/sites/files/report%20one.pdf?v=1&dl=2".to_string(),
                "report one.pdf".to_string()
            ),
            (
                "https://example.govt.nz/sites/files/data.csv".to_string(),
                "data.csv".to_string()
            ),
        ]
    );
}

#[test]
fn opml_lists_exactly_the_feeds_on_disk() {
    let b = build();
    let text = b.text("feeds.opml");
    let doc = roxmltree::Document::parse(text).expect("OPML is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "opml");
    assert_eq!(root.attribute("version"), Some("2.0"));
    let head = root.children().find(|n| n.has_tag_name("head")).unwrap();
    let title = head.children().find(|n| n.has_tag_name("title")).unwrap();
    assert_eq!(title.text(), Some(format!("{TITLE}: every feed").as_str()));
    let body = root.children().find(|n| n.has_tag_name("body")).unwrap();
    let groups: Vec<_> = body.children().filter(|n| n.is_element()).collect();
    let names: Vec<_> = groups
        .iter()
        .map(|g| g.attribute("text").unwrap())
        .collect();
    assert_eq!(names, ["All", "Portfolios", "Ministers"]);

    let mut listed = BTreeSet::new();
    for (group, prefix) in groups.iter().zip(["", "portfolios/", "ministers/"]) {
        for o in group.children().filter(|n| n.is_element()) {
            assert_eq!(o.tag_name().name(), "outline");
            assert_eq!(o.attribute("type"), Some("rss"));
            let xml_url = o.attribute("xmlUrl").unwrap();
            let html_url = o.attribute("htmlUrl").unwrap();
            let dir = xml_url
                .strip_prefix(BASE)
                .unwrap()
                .strip_suffix("rss.xml")
                .unwrap();
            assert!(
                dir.starts_with(prefix),
                "{dir} under {:?}",
                group.attribute("text")
            );
            assert_eq!(html_url, format!("{BASE}{dir}"));
            assert!(b.files.contains_key(&format!("{dir}index.html")));
            assert!(!o.attribute("text").unwrap().is_empty());
            assert!(listed.insert(dir.to_string()), "{dir} listed twice");
        }
    }
    assert_eq!(listed, b.feed_dirs());

    // Names come back exactly as written.
    let texts: BTreeSet<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("text"))
        .collect();
    for name in [
        TITLE,
        MINISTER,
        PORTFOLIO,
        SCRIPT,
        "Arts, Culture & Heritage",
    ] {
        assert!(texts.contains(name), "{name:?} not in {texts:?}");
    }
}

#[test]
fn json_feeds_validate_against_the_schema_and_parse_with_feed_rs() {
    let b = build();
    let read = |path: &Path| -> Value {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap()
    };
    let schema = read(Path::new(SCHEMA));
    // The 1.1 schema refers to definitions of the 1.0 one as `feed-1`.
    let registry = jsonschema::Registry::new()
        .add(
            "https://json.schemastore.org/feed-1",
            read(&Path::new(SCHEMA).with_file_name("jsonfeed-1.0.schema.json")),
        )
        .unwrap()
        .prepare()
        .unwrap();
    let validator = jsonschema::options()
        .with_registry(&registry)
        .build(&schema)
        .unwrap();
    // The validator does reject broken feeds, including through the 1.0
    // definitions (an attachment needs a `mime_type`).
    let item = serde_json::json!({"id": "a", "content_html": "<p>x</p>"});
    let feed = |item: Value| serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": [item]});
    assert!(validator.is_valid(&feed(item.clone())));
    assert!(!validator.is_valid(&feed(serde_json::json!({"id": "a"}))));
    let mut bad = item.clone();
    bad["attachments"] = serde_json::json!([{"url": "https://x.nz/a.pdf"}]);
    assert!(!validator.is_valid(&feed(bad)));
    let mut bad = item;
    bad["authors"] = serde_json::json!([{}]);
    assert!(!validator.is_valid(&feed(bad)));

    let paths = b.paths_ending("feed.json");
    assert_eq!(paths.len(), b.feed_dirs().len());
    for path in paths {
        let bytes = &b.files[path];
        let json: Value = serde_json::from_slice(bytes).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:?}");
        let dir = path.trim_end_matches("feed.json");
        assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(json["feed_url"], format!("{BASE}{path}"));
        assert_eq!(json["home_page_url"], format!("{BASE}{dir}"));

        let feed = feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::JSON);
        // The same items as the Atom feed, in the same order.
        let atom = feed_rs::parser::parse(&b.files[&format!("{dir}atom.xml")][..]).unwrap();
        let ids = |f: &feed_rs::model::Feed| {
            f.entries
                .iter()
                .map(|e| e.links[0].href.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&feed), ids(&atom), "{path}");
        assert!(feed.entries.len() <= ITEMS_PER_FEED);
        for e in &feed.entries {
            assert!(
                e.published.is_some() && e.title.is_some() && e.content.is_some(),
                "{path}"
            );
        }
    }

    // Archive documents too (each release as its summary and a link).
    let archives: Vec<&String> = b
        .files
        .keys()
        .filter(|p| archive_or_history(p) && p.ends_with("feed.json"))
        .collect();
    assert_eq!(archives.len(), b.feed_dirs().len());
    for path in archives {
        let json: Value = serde_json::from_slice(&b.files[path]).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:?}");
        assert_eq!(json["_archive"]["archive"], true, "{path}");
        let feed =
            feed_rs::parser::parse(&b.files[path][..]).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(!feed.entries.is_empty(), "{path}");
    }

    // Ministers are the authors, portfolios the tags, attachments typed.
    let json: Value =
        serde_json::from_slice(&b.files[&format!("{PORTFOLIO_DIR}feed.json")]).unwrap();
    let item = &json["items"][0];
    assert_eq!(
        item["id"],
        "https://example.govt.nz/release/budget?id=1&lang=mi"
    );
    assert_eq!(item["title"], "Budget: \"Tax\" & <relief> for Māori whānau");
    assert_eq!(
        item["authors"],
        serde_json::json!([{"name": MINISTER, "url": format!("{BASE}{MINISTER_DIR}")}])
    );
    assert_eq!(
        item["tags"],
        serde_json::json!(["Arts, Culture & Heritage", PORTFOLIO])
    );
    assert_eq!(item["attachments"][0]["mime_type"], "application/pdf");
    assert_eq!(
        item["attachments"][0]["url"],
        "https://example.govt.nz/sites/files/report%20one.pdf?v=1&dl=2"
    );
    assert_eq!(item["attachments"][1]["mime_type"], "text/csv");
    assert_eq!(item["date_published"], "2024-05-01T00:00:00+12:00");
    assert!(
        item["summary"]
            .as_str()
            .unwrap()
            .starts_with("Whānau get relief & \"more\"")
    );
    let parsed =
        feed_rs::parser::parse(&b.files[&format!("{PORTFOLIO_DIR}feed.json")][..]).unwrap();
    assert_eq!(parsed.entries[0].authors[0].name.as_deref(), Some(MINISTER));
    assert_eq!(
        parsed.title.unwrap().content,
        format!("{PORTFOLIO} — {TITLE}")
    );
}

#[test]
fn hostile_names_come_out_exactly_as_written() {
    let b = build();
    // No page carries markup from a name, a title or a summary.
    for path in b.paths_ending(".html") {
        let html = b.text(path);
        assert!(!html.to_lowercase().contains("<script"), "{path}");
        assert!(
            !html.contains("<Friends>") && !html.contains("<Crown>") && !html.contains("<relief>"),
            "{path}"
        );
    }
    let root = Page::parse(b.text("index.html"));
    assert_eq!(root.texts("title"), [TITLE]);
    assert_eq!(root.texts("h1"), [TITLE]);
    let names: Vec<String> = root.starts("th").map(|(i, _)| root.text_at(i)).collect();
    for name in [
        TITLE,
        MINISTER,
        PORTFOLIO,
        SCRIPT,
        "Arts, Culture & Heritage",
        "Jane O'Brien",
    ] {
        assert!(names.iter().any(|n| n == name), "{name:?} not in {names:?}");
    }
    let h3: Vec<String> = root.texts("h3");
    assert_eq!(
        h3[..2],
        [
            "Budget: \"Tax\" & <relief> for Māori whānau",
            "<script>alert('title')</script>"
        ]
    );
    // The release URL with `&` is a working link.
    assert!(
        root.links()
            .iter()
            .any(|(_, l)| l == "https://example.govt.nz/release/budget?id=1&lang=mi")
    );

    for (dir, name) in [
        (MINISTER_DIR, MINISTER),
        (PORTFOLIO_DIR, PORTFOLIO),
        (SCRIPT_DIR, SCRIPT),
    ] {
        let page = Page::parse(b.text(&format!("{dir}index.html")));
        assert_eq!(page.texts("h1"), [name]);
        assert_eq!(page.texts("title"), [format!("{name} — {TITLE}")]);
        let titles: Vec<String> = page.alternates().into_iter().map(|a| a.2).collect();
        assert_eq!(titles[2], format!("{name} — {TITLE} (JSON Feed)"));
        let (_, meta) = page
            .starts("meta")
            .find(|(_, a)| attr(a, "name") == Some("description"))
            .unwrap();
        assert!(attr(meta, "content").unwrap().contains(name));
    }
    let json: Value = serde_json::from_slice(&b.files["feed.json"]).unwrap();
    assert_eq!(json["title"], TITLE);
    assert_eq!(json["authors"][0]["name"], "Te Kāwanatanga & <Co>");
    let items = json["items"].as_array().unwrap();
    assert_eq!(items[1]["title"], "<script>alert('title')</script>");
    assert_eq!(items[1]["tags"], serde_json::json!([SCRIPT]));
}

#[test]
fn rebuilding_gives_the_same_bytes_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    build_site(&site(), dir.path());
    let first = tree(dir.path());
    let mtimes = |files: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, std::time::SystemTime> {
        files
            .keys()
            .map(|p| {
                (
                    p.clone(),
                    std::fs::metadata(dir.path().join(p))
                        .unwrap()
                        .modified()
                        .unwrap(),
                )
            })
            .collect()
    };
    let before = mtimes(&first);
    std::thread::sleep(std::time::Duration::from_millis(20));
    build_site(&site(), dir.path());
    let second = tree(dir.path());
    assert_eq!(first, second);
    assert_eq!(before, mtimes(&second), "an unchanged file was rewritten");
    // And another folder gets the very same files: nothing depends on the
    // clock or the output path.
    let other = build();
    assert_eq!(first, other.files);
    for file in [
        "feeds.opml",
        "index.html",
        "feed.json",
        "portfolios/index.html",
        "ministers/index.html",
    ] {
        assert!(first.contains_key(file), "{file} missing");
    }
}
