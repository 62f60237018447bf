//! The fixture site in tests/fixtures/site: golden output, parsed back with
//! an independent parser (feed-rs), and the archive's quirks in miniature.

mod common;

use std::collections::BTreeMap;

use common::*;
use feed_rs::model::{Entry, Feed, FeedType};
use pressfeed::site::paths::is_archive_path;

fn build() -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let out = tempfile::tempdir().unwrap();
    build_site(&fixture("site"), out.path());
    let files = tree(out.path());
    (out, files)
}

fn feed(files: &BTreeMap<String, Vec<u8>>, path: &str) -> Feed {
    parse_feed(files.get(path).unwrap_or_else(|| panic!("{path} missing")))
}

fn titles(f: &Feed) -> Vec<String> {
    f.entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect()
}

fn text(s: &[u8]) -> &str {
    std::str::from_utf8(s).unwrap()
}

/// Golden files: the whole output tree equals tests/fixtures/site/expected.
/// After an intended change, regenerate with `UPDATE_GOLDEN=1 cargo test --test site`.
#[test]
fn output_matches_golden_files() {
    let (_out, files) = build();
    let expected_dir = fixture("site").join("expected");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(&expected_dir);
        for (path, bytes) in &files {
            let p = expected_dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
    }
    let expected = tree(&expected_dir);
    let got: Vec<&String> = files.keys().collect();
    let want: Vec<&String> = expected.keys().collect();
    assert_eq!(got, want, "the set of files differs from the golden files");
    for (path, bytes) in &files {
        assert!(
            expected[path] == *bytes,
            "{path} differs from tests/fixtures/site/expected/{path}; if intended, run UPDATE_GOLDEN=1 cargo test --test site"
        );
    }
}

#[test]
fn every_feed_parses_back_with_the_right_items() {
    let (_out, files) = build();
    let xml: Vec<&String> = files
        .keys()
        .filter(|p| p.ends_with(".xml") && !is_archive_path(p) && *p != "sitemap.xml")
        .collect();
    // Global + 7 ministers + 7 portfolios, two formats each.
    assert_eq!(xml.len(), 30, "{xml:?}");
    for path in xml {
        let f = feed(&files, path);
        let kind = if path.ends_with("rss.xml") {
            FeedType::RSS2
        } else {
            FeedType::Atom
        };
        assert_eq!(f.feed_type, kind, "{path}");
        assert!(f.entries.len() <= 3, "{path}: items_per_feed is 3");
        assert!(!f.entries.is_empty(), "{path}");
        // Newest first.
        let dates: Vec<_> = f.entries.iter().map(|e| e.published.unwrap()).collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{path}: {dates:?}");
        // The rss and atom_syndication crates, the reference models of the
        // two formats, read the same items with the same ids.
        let ids: Vec<&str> = f.entries.iter().map(|e| e.id.as_str()).collect();
        let bytes = files[path].as_slice();
        let theirs: Vec<String> = if kind == FeedType::RSS2 {
            let channel = rss::Channel::read_from(bytes).expect("the rss crate reads it");
            assert_eq!(channel.title(), f.title.as_ref().unwrap().content, "{path}");
            channel
                .items()
                .iter()
                .map(|i| i.guid().expect("every item has a guid").value().to_string())
                .collect()
        } else {
            let atom = atom_syndication::Feed::read_from(bytes).expect("atom_syndication reads it");
            assert_eq!(atom.id(), f.id, "{path}");
            atom.entries().iter().map(|e| e.id().to_string()).collect()
        };
        assert_eq!(theirs, ids, "{path}");
    }
}

#[test]
fn global_feed_is_newest_first_with_ties_in_a_fixed_order() {
    let (_out, files) = build();
    for path in ["rss.xml", "atom.xml"] {
        let f = feed(&files, path);
        assert_eq!(
            titles(&f),
            [
                "Budget 2024: Tax relief & <more> for families",
                "Prime Minister visits Wellington",
                "Investment in Māori housing"
            ],
            "{path}"
        );
    }
    let rss = text(&files["rss.xml"]);
    // lastBuildDate is the newest release, not the clock.
    assert!(rss.contains("<lastBuildDate>Fri, 1 Mar 2024 14:30:00 +1300</lastBuildDate>"));
    assert!(rss.contains(r#"<atom:link href="https://example.govt.nz/feeds/rss.xml" rel="self""#));
    assert!(rss.contains(
        r#"<guid isPermaLink="true">https://example.govt.nz/release/budget-2024</guid>"#
    ));
    let atom = feed(&files, "atom.xml");
    assert_eq!(atom.id, "https://example.govt.nz/feeds/atom.xml");
    assert_eq!(
        atom.updated.unwrap().to_rfc3339(),
        "2024-03-01T01:30:00+00:00"
    );
    assert!(
        atom.links.iter().any(|l| l.rel.as_deref() == Some("self")
            && l.href == "https://example.govt.nz/feeds/atom.xml")
    );
    assert!(
        atom.links
            .iter()
            .any(|l| l.rel.as_deref() == Some("alternate"))
    );
    assert_eq!(atom.authors[0].name.as_deref(), Some("Example Government"));
    assert_eq!(atom.generator.as_ref().unwrap().content, "pressfeed");
}

fn entry<'f>(f: &'f Feed, title: &str) -> &'f Entry {
    f.entries
        .iter()
        .find(|e| e.title.as_ref().unwrap().content == title)
        .unwrap_or_else(|| panic!("no entry {title:?} in {:?}", titles(f)))
}

#[test]
fn entries_carry_every_field() {
    let (_out, files) = build();
    let budget = "Budget 2024: Tax relief & <more> for families";
    for path in ["portfolios/finance/atom.xml", "portfolios/finance/rss.xml"] {
        let f = feed(&files, path);
        let e = entry(&f, budget);
        assert_eq!(
            e.links[0].href, "https://example.govt.nz/release/budget-2024",
            "{path}"
        );
        assert_eq!(
            e.published.unwrap().to_rfc3339(),
            "2024-03-01T01:30:00+00:00",
            "{path}"
        );
        let authors: Vec<&str> = e.authors.iter().filter_map(|a| a.name.as_deref()).collect();
        assert_eq!(
            authors,
            ["Nicola Willis", "Christopher Luxon"],
            "{path}: honorifics removed"
        );
        let cats: Vec<String> = e
            .categories
            .iter()
            .map(|c| c.label.clone().unwrap_or(c.term.clone()))
            .collect();
        assert_eq!(cats, ["Finance"], "{path}");
        let html = match &e.content {
            Some(c) => c.body.clone().unwrap(),
            None => e.summary.as_ref().unwrap().content.clone(),
        };
        assert!(
            html.contains(r#"href="https://example.govt.nz/sites/default/files/families.pdf""#),
            "{path}: relative link made absolute"
        );
        assert!(
            html.contains(r#"src="https://example.govt.nz/sites/default/files/chart.png""#),
            "{path}: relative image made absolute"
        );
        assert!(
            html.contains(r#"href="mailto:office@example.govt.nz""#),
            "{path}: mailto kept"
        );
        assert!(
            html.contains("fact-sheet.pdf</a>"),
            "{path}: attachments listed after the body"
        );
    }
    let atom = feed(&files, "portfolios/finance/atom.xml");
    let e = entry(&atom, budget);
    let enclosures: Vec<&str> = e
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
        .map(|l| l.href.as_str())
        .collect();
    assert_eq!(
        enclosures,
        [
            "https://example.govt.nz/sites/default/files/budget%20summary.pdf",
            "https://example.govt.nz/sites/default/files/fact-sheet.pdf"
        ]
    );
    assert_eq!(
        e.summary.as_ref().unwrap().content,
        "The Budget delivers tax relief, said the Minister."
    );
    let atom_text = text(&files["portfolios/finance/atom.xml"]);
    assert!(atom_text.contains(r#"<category term="finance" scheme="https://example.govt.nz/feeds/portfolios/" label="Finance"/>"#));
    // Date-only releases are midnight in the configured zone.
    let goff = feed(&files, "ministers/phil-goff/rss.xml");
    assert_eq!(
        goff.entries[0].published.unwrap().to_rfc3339(),
        "2008-09-29T11:00:00+00:00"
    );
    assert!(
        text(&files["ministers/phil-goff/rss.xml"])
            .contains("<pubDate>Tue, 30 Sep 2008 00:00:00 +1300</pubDate>")
    );
}

/// Every entry with a body has a summary, the text of its first block
/// whatever it is (the arts release starts with a table), and Atom entries
/// share the feed's namespace declaration.
#[test]
fn every_entry_with_a_body_has_a_summary() {
    let (_out, files) = build();
    let dir = "portfolios/arts-culture-and-heritage/";
    let atom = feed(&files, &format!("{dir}atom.xml"));
    let arts = entry(&atom, "Arts funding announced");
    assert_eq!(
        arts.summary.as_ref().map(|s| s.content.as_str()),
        Some("Fund Amount Arts $5m")
    );
    for (path, bytes) in &files {
        // Archive documents carry summaries (tests/archive.rs).
        if !path.ends_with("atom.xml") || is_archive_path(path) {
            continue;
        }
        for e in &parse_feed(bytes).entries {
            let has_body = e
                .content
                .as_ref()
                .and_then(|c| c.body.as_deref())
                .is_some_and(|b| !b.is_empty() && !b.starts_with("<p>Attachments:</p>"));
            assert_eq!(e.summary.is_some(), has_body, "{path}: {}", e.id);
        }
    }
    let json: serde_json::Value =
        serde_json::from_slice(&files[&format!("{dir}feed.json")]).unwrap();
    let arts = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "Arts funding announced")
        .unwrap();
    assert_eq!(arts["summary"], "Fund Amount Arts $5m");
    for (path, bytes) in &files {
        if path.ends_with("atom.xml") {
            assert_eq!(text(bytes).matches("xmlns=").count(), 1, "{path}");
        }
    }
}

#[test]
fn spellings_of_one_name_are_one_feed() {
    let (_out, files) = build();
    let ministers: Vec<&str> = files
        .keys()
        .filter(|p| !is_archive_path(p))
        .filter_map(|p| p.strip_prefix("ministers/"))
        .filter_map(|p| p.strip_suffix("/rss.xml"))
        .collect();
    assert_eq!(
        ministers,
        [
            "christopher-luxon",
            "jacinda-ardern",
            "mark-mitchell",
            "nicola-willis",
            "phil-goff",
            "pita-sharples",
            "tama-potaka"
        ],
        "Hon/Rt Hon, double spaces and aliases fold; dropped names get no feed"
    );
    let portfolios: Vec<&str> = files
        .keys()
        .filter(|p| !is_archive_path(p))
        .filter_map(|p| p.strip_prefix("portfolios/"))
        .filter_map(|p| p.strip_suffix("/rss.xml"))
        .collect();
    assert_eq!(
        portfolios,
        [
            "arts-culture-and-heritage",
            "defence",
            "finance",
            "maori-crown-relations-te-arawhiti",
            "maori-development",
            "police",
            "prime-minister"
        ]
    );
    // Display name: the spelling on the newest release.
    let maori = feed(&files, "portfolios/maori-development/atom.xml");
    assert_eq!(
        maori.title.unwrap().content,
        "Māori Development — Example Government releases"
    );
    assert_eq!(
        maori.entries.len(),
        2,
        "Māori and Maori spellings share one feed"
    );
    let arts = feed(&files, "portfolios/arts-culture-and-heritage/rss.xml");
    assert_eq!(
        arts.title.unwrap().content,
        "Arts, Culture and Heritage — Example Government releases"
    );
    assert_eq!(arts.entries.len(), 3);
    let ardern = feed(&files, "ministers/jacinda-ardern/atom.xml");
    assert_eq!(
        ardern.entries.len(),
        3,
        "Hon, Rt Hon and double-spaced spellings are one person"
    );
    // The alias maps "Chris Luxon" to "Christopher Luxon".
    assert_eq!(
        feed(&files, "ministers/christopher-luxon/rss.xml")
            .entries
            .len(),
        2
    );
}

#[test]
fn hostile_content_comes_out_safe_and_the_same() {
    let (_out, files) = build();
    let arts = feed(&files, "portfolios/arts-culture-and-heritage/atom.xml");
    let e = entry(&arts, "Non\u{a0}breaking \"quoted\" title");
    let html = e.content.as_ref().unwrap().body.clone().unwrap();
    for bad in ["<script", "onclick", "javascript:", "<iframe", "\u{b}"] {
        assert!(!html.contains(bad), "{bad:?} in {html}");
    }
    assert!(html.contains("vertical tab"), "{html}");
    assert!(
        html.contains(r#"href="https://example.govt.nz/sites/raw.html""#),
        "raw HTML links made absolute: {html}"
    );
    assert!(
        html.contains("Markdown trap"),
        "the text of an unsafe link stays"
    );
    for (path, bytes) in &files {
        assert!(!bytes.contains(&0x0b), "{path} holds a vertical tab");
        if path.ends_with(".xml") {
            roxmltree::Document::parse(text(bytes)).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}

#[test]
fn duplicates_odd_dates_and_empty_bodies_are_published() {
    let (_out, files) = build();
    let defence = feed(&files, "portfolios/defence/atom.xml");
    let mut ids: Vec<&str> = defence.entries.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "https://example.govt.nz/release/defence-deployment",
            "https://example.govt.nz/release/defence-deployment#2008-09-30"
        ],
        "two files with one url and different text are two entries, each with its own id"
    );
    for e in &defence.entries {
        assert_eq!(
            e.links[0].href, "https://example.govt.nz/release/defence-deployment",
            "both link to the url"
        );
    }
    let police = feed(&files, "portfolios/police/rss.xml");
    assert_eq!(titles(&police), ["A release with an odd date"]);
    let ardern = feed(&files, "ministers/jacinda-ardern/rss.xml");
    assert!(titles(&ardern).contains(&"A release with no body".to_string()));
}

#[test]
fn two_builds_are_byte_identical_whatever_the_file_order() {
    let (_a, first) = build();
    // Copy the seeds in reverse order into a fresh folder: directory order
    // differs, output must not.
    let site = tempfile::tempdir().unwrap();
    let seeds = fixture("site").join("seeds");
    let mut files: Vec<(String, Vec<u8>)> = tree(&seeds).into_iter().collect();
    files.reverse();
    for (rel, bytes) in files {
        let p = site.path().join("seeds").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    std::fs::copy(
        fixture("site").join("pressfeed.toml"),
        site.path().join("pressfeed.toml"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    build_site(site.path(), out.path());
    // Paths inside diagnostics differ; feeds must not.
    assert_eq!(tree(out.path()), first);
}

#[test]
fn check_lists_every_warning_and_writes_nothing() {
    let site = fixture("site");
    let o = pressfeed(
        &site,
        &["check", "--seeds", "seeds", "--config", "pressfeed.toml"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    for want in [
        "seeds/0001-01-01-odd.md:3:7: warning: date 0001-01-01 is implausible",
        "seeds/0001-01-01-odd.md:5:7: warning: unknown key `tags` is ignored",
        "seeds/2020/2019-02-02-empty.md:10: warning: body is empty",
        "seeds/2020/2015-07-01-quoted.markdown: warning: 1 control character(s)",
        "seeds/archive/2008-09-30-defence-copy.md: warning: 2 files have the url https://example.govt.nz/release/defence-deployment with different text: seeds/archive/2008-09-30-defence-copy.md (id https://example.govt.nz/release/defence-deployment); seeds/archive/2008-09-30-defence.md (id https://example.govt.nz/release/defence-deployment#2008-09-30)",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    assert!(
        stdout(&o).contains("10 file(s): 10 release(s)"),
        "{}",
        stdout(&o)
    );
    assert!(!site.join("feeds").exists(), "check writes nothing");
}

#[test]
fn check_flags_junk_names_that_the_config_does_not_handle() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("seeds")).unwrap();
    std::fs::write(
        dir.path().join("seeds/a.md"),
        "---\ntitle: \"A\"\ndate: 2020-01-01\nurl: https://x.nz/a\nministers:\n  - clicking here\n  - www.executive.govt.nz/minister/king/\nportfolios:\n  - Health\n---\nBody\n",
    )
    .unwrap();
    let o = pressfeed(dir.path(), &["check"]);
    assert!(o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains(r#"minister "clicking here" has the word "clicking""#),
        "{err}"
    );
    assert!(
        err.contains(r#"minister "www.executive.govt.nz/minister/king/" looks like a URL"#),
        "{err}"
    );
    assert!(
        err.contains("under [ministers]: if it is not a minister, add \"clicking here\" to drop"),
        "the hint says how to fix it: {err}"
    );
}

/// Every Atom feed of the fixture site is valid against RFC 4287's RELAX NG
/// schema (../shared/schemas/atom.rnc), checked with jing where installed.
#[test]
fn atom_feeds_are_valid_against_the_rfc_4287_schema() {
    let schema = root().join("../shared/schemas/atom.rnc");
    if !schema.exists() {
        eprintln!("skipping: {} not found", schema.display());
        return;
    }
    if std::process::Command::new("jing")
        .arg("-h")
        .output()
        .is_err()
    {
        eprintln!("skipping the Atom schema check: jing is not installed (apt-get install jing)");
        return;
    }
    let (out, files) = build();
    let atom: Vec<std::path::PathBuf> = files
        .keys()
        .filter(|p| p.ends_with("atom.xml"))
        .map(|p| out.path().join(p))
        .collect();
    // 15 subscription documents and their archive documents.
    assert_eq!(atom.len(), 41);
    let o = std::process::Command::new("jing")
        .arg("-c")
        .arg(&schema)
        .args(&atom)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "jing rejects Atom output:\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
