//! Taxonomies declared in configuration (tests/fixtures/taxonomies): a list
//! of names no code knows, `regions` (categories) and `agencies` (authors),
//! gets everything ministers and portfolios get, and every entry carries its
//! terms, read back with independent parsers. A list no taxonomy declares
//! (`topics`) is named in a warning and taken for nothing.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use proptest::prelude::*;

const BASE: &str = "https://example.govt.nz/feeds/";

/// Each release's terms in the fixture, after the config's aliases.
fn expected() -> BTreeMap<&'static str, (Vec<&'static str>, Vec<&'static str>)> {
    BTreeMap::from([
        (
            "https://example.govt.nz/release/kiwi",
            (
                vec!["Te Tai Tokerau", "Waikato"],
                vec!["Department of Conservation"],
            ),
        ),
        (
            "https://example.govt.nz/release/roads",
            (
                vec!["Tāmaki Makaurau"],
                vec!["Waka Kotahi NZ Transport Agency"],
            ),
        ),
        (
            "https://example.govt.nz/release/bridge",
            (
                vec!["Waikato"],
                vec![
                    "Waka Kotahi NZ Transport Agency",
                    "Māori Development Agency",
                ],
            ),
        ),
        ("https://example.govt.nz/release/budget", (vec![], vec![])),
    ])
}

fn build() -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let out = tempfile::tempdir().unwrap();
    build_site(&fixture("taxonomies"), out.path());
    let files = tree(out.path());
    (out, files)
}

fn text(files: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    String::from_utf8(
        files
            .get(path)
            .unwrap_or_else(|| panic!("{path} is missing"))
            .clone(),
    )
    .unwrap()
}

/// Every feed of both taxonomies, in every format, with a page, archive
/// documents and history; the section lists; OPML; sitemap; autodiscovery.
#[test]
fn a_declared_taxonomy_gets_every_kind_of_output() {
    let (_out, files) = build();
    let feeds = [
        ("regions/te-tai-tokerau/", 1),
        ("regions/waikato/", 2),
        ("regions/tamaki-makaurau/", 1),
        ("agencies/department-of-conservation/", 1),
        ("agencies/waka-kotahi-nz-transport-agency/", 2),
        ("agencies/maori-development-agency/", 1),
    ];
    let opml = text(&files, "feeds.opml");
    let sitemap = text(&files, "sitemap.xml");
    for (dir, count) in feeds {
        for file in ["rss.xml", "atom.xml", "feed.json"] {
            let feed = parse_feed(&files[&format!("{dir}{file}")]);
            assert_eq!(feed.entries.len(), count, "{dir}{file}");
            // The oldest archive document, in every format.
            assert!(
                files.contains_key(&format!("{dir}archive/1/{file}")),
                "{dir}archive/1/{file}"
            );
        }
        let page = text(&files, &format!("{dir}index.html"));
        assert!(
            page.contains("<link rel=\"alternate\" type=\"application/atom+xml\"")
                && page.contains("href=\"atom.xml\">"),
            "{dir}index.html has no autodiscovery of its Atom feed"
        );
        assert!(
            opml.contains(&format!("xmlUrl=\"{BASE}{dir}rss.xml\"")),
            "{dir} is not in feeds.opml"
        );
        assert!(
            sitemap.contains(&format!("<loc>{BASE}{dir}</loc>")),
            "{dir} is not in sitemap.xml"
        );
        assert!(
            files
                .keys()
                .any(|p| p.starts_with(&format!("{dir}history/"))),
            "{dir} has no history pages"
        );
    }
    // A section list per taxonomy, named from its plural, linked from the
    // list of every feed; an OPML group each.
    for (folder, heading) in [("regions/", "Regions"), ("agencies/", "Agencies")] {
        let list = text(&files, &format!("{folder}index.html"));
        assert!(list.contains(heading), "{folder}index.html");
        assert!(opml.contains(&format!("text=\"{heading}\"")), "{heading}");
        assert!(
            text(&files, "index.html").contains(&format!("id=\"{}\"", &folder[..folder.len() - 1]))
        );
    }
    assert!(text(&files, "index.html").contains("a portfolio, a minister, an agency or a region"));
    // The built-ins are still there; the undeclared list has nothing.
    assert!(files.contains_key("ministers/simeon-brown/atom.xml"));
    assert!(files.contains_key("portfolios/transport/atom.xml"));
    assert!(
        !files
            .keys()
            .any(|p| p.starts_with("topics/") || p.contains("birds"))
    );
}

/// In the global feed, each entry carries exactly its terms: regions as
/// Atom categories (scheme: the taxonomy's folder), RSS categories (domain:
/// the same) and JSON Feed tags; agencies as authors in every format.
#[test]
fn every_entry_carries_its_terms() {
    let (_out, files) = build();
    let regions = format!("{BASE}regions/");
    let atom = atom_syndication::Feed::read_from(&files["atom.xml"][..]).unwrap();
    let rss = rss::Channel::read_from(&files["rss.xml"][..]).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&files["feed.json"]).unwrap();
    let want = expected();
    assert_eq!(atom.entries().len(), want.len());
    for entry in atom.entries() {
        let (regions_want, agencies_want) = &want[entry.id()];
        let got: Vec<&str> = entry
            .categories()
            .iter()
            .filter(|c| c.scheme() == Some(regions.as_str()))
            .map(|c| c.label().unwrap())
            .collect();
        assert_eq!(&got, regions_want, "{}", entry.id());
        let authors: Vec<&str> = entry.authors().iter().map(|a| a.name()).collect();
        for a in agencies_want {
            assert!(authors.contains(a), "{}: {authors:?}", entry.id());
        }
        // Each agency author links to its feed.
        for a in entry
            .authors()
            .iter()
            .filter(|a| agencies_want.contains(&a.name()))
        {
            assert!(a.uri().unwrap().starts_with(&format!("{BASE}agencies/")));
        }
    }
    for item in rss.items() {
        let (regions_want, agencies_want) = &want[item.link().unwrap()];
        let got: Vec<&str> = item
            .categories()
            .iter()
            .filter(|c| c.domain() == Some(regions.as_str()))
            .map(|c| c.name())
            .collect();
        assert_eq!(&got, regions_want);
        let creators: Vec<String> = item
            .dublin_core_ext()
            .map(|dc| dc.creators().to_vec())
            .unwrap_or_default();
        for a in agencies_want {
            assert!(creators.iter().any(|c| c == a), "{creators:?}");
        }
    }
    for item in json["items"].as_array().unwrap() {
        let (regions_want, agencies_want) = &want[item["url"].as_str().unwrap()];
        let tags: BTreeSet<&str> = item["tags"]
            .as_array()
            .map(|t| t.iter().map(|t| t.as_str().unwrap()).collect())
            .unwrap_or_default();
        for r in regions_want {
            assert!(tags.contains(r), "{tags:?}");
        }
        let authors: Vec<&str> = item["authors"]
            .as_array()
            .map(|a| a.iter().map(|a| a["name"].as_str().unwrap()).collect())
            .unwrap_or_default();
        for a in agencies_want {
            assert!(authors.contains(a), "{authors:?}");
        }
    }
}

/// `check` names the list no taxonomy declares, and says how to declare it.
#[test]
fn an_undeclared_list_is_named() {
    let o = pressfeed(
        &fixture("taxonomies"),
        &["check", "--seeds", "seeds", "--config", "pressfeed.toml"],
    );
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert!(said.contains("unknown key `topics`"), "{said}");
    assert!(
        said.contains("regions"),
        "the hint lists the taxonomies: {said}"
    );
}

/// A built-in taxonomy switched off (`enabled = false`) has no feed, page,
/// section, OPML group or sitemap entry, and no entry carries its names;
/// its key in the seeds is read and left alone, without a warning.
#[test]
fn a_builtin_taxonomy_can_be_switched_off() {
    let work = tempfile::tempdir().unwrap();
    let site = work.path().join("site");
    std::fs::create_dir_all(site.join("seeds")).unwrap();
    for e in std::fs::read_dir(fixture("taxonomies").join("seeds")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), site.join("seeds").join(e.file_name())).unwrap();
    }
    let config = std::fs::read_to_string(fixture("taxonomies").join("pressfeed.toml")).unwrap();
    std::fs::write(
        site.join("pressfeed.toml"),
        format!("{config}\n[taxonomies.ministers]\nenabled = false\n"),
    )
    .unwrap();
    let out = work.path().join("out");
    build_site(&site, &out);
    let files = tree(&out);
    assert!(
        !files.keys().any(|p| p.starts_with("ministers/")),
        "{:?}",
        files.keys()
    );
    assert!(files.contains_key("portfolios/transport/atom.xml"));
    assert!(files.contains_key("agencies/waka-kotahi-nz-transport-agency/atom.xml"));
    let index = text(&files, "index.html");
    assert!(!index.contains("id=\"ministers\""));
    assert!(
        index.contains("a portfolio, an agency or a region"),
        "{index}"
    );
    assert!(!index.to_lowercase().contains("minister"), "{index}");
    for path in [
        "feeds.opml",
        "sitemap.xml",
        "atom.xml",
        "rss.xml",
        "feed.json",
    ] {
        let t = text(&files, path);
        assert!(!t.contains("ministers/"), "{path}");
        assert!(
            !t.contains("Simeon Brown"),
            "{path}: an entry carries a minister"
        );
    }
    let o = pressfeed(
        &site,
        &["check", "--seeds", "seeds", "--config", "pressfeed.toml"],
    );
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert!(o.status.success(), "{said}");
    assert!(!said.contains("ministers"), "{said}");
    assert!(said.contains("unknown key `topics`"), "{said}");
}

/// `check`'s warnings name a taxonomy's names with the right article: "an
/// agency".
#[test]
fn check_words_its_warnings_by_the_taxonomy() {
    let work = tempfile::tempdir().unwrap();
    let site = work.path();
    std::fs::create_dir_all(site.join("seeds")).unwrap();
    std::fs::write(
        site.join("pressfeed.toml"),
        "base_url = \"https://example.govt.nz/feeds/\"\n\
         [taxonomies.agencies]\nsingular = \"agency\"\nplural = \"agencies\"\n",
    )
    .unwrap();
    std::fs::write(
        site.join("seeds/a.md"),
        "---\ntitle: A\ndate: 2024-01-02\nurl: https://example.govt.nz/r/a\nagencies:\n  - Click here\n---\n\nBody.\n",
    )
    .unwrap();
    let o = pressfeed(
        site,
        &["check", "--seeds", "seeds", "--config", "pressfeed.toml"],
    );
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert!(said.contains("unlikely to be an agency"), "{said}");
    assert!(said.contains("if it is not an agency"), "{said}");
    assert!(!said.contains("a agency"), "{said}");
}

/// A bad declaration is an error naming the key and how to fix it.
#[test]
fn a_bad_declaration_is_an_error() {
    for (toml, says) in [
        ("[taxonomies.regions]\nplural = \"regions\"\n", "`singular`"),
        (
            "[taxonomies.Regions]\nsingular = \"r\"\nplural = \"rs\"\n",
            "cannot name a taxonomy",
        ),
        (
            "[taxonomies.title]\nsingular = \"t\"\nplural = \"ts\"\n",
            "not a list of names",
        ),
        (
            "[taxonomies.regions]\nsingular = \"r\"\nplural = \"rs\"\nfolder = \"ministers\"\n",
            "also the folder of ministers",
        ),
        (
            "[taxonomies.regions]\nsingular = \"r\"\nplural = \"rs\"\nfolder = \"history\"\n",
            "cannot hold its feeds",
        ),
        (
            "[taxonomies.regions]\nsingular = \"r\"\nplural = \"rs\"\nrole = \"owners\"\n",
            "owners",
        ),
        (
            "[ministers]\ndrop = [\"x\"]\n[taxonomies.ministers]\nkeep = [\"y\"]\n",
            "both give rules",
        ),
        (
            "[ministers]\ndrop = [\"x\"]\n[taxonomies.ministers]\nenabled = false\n",
            "which [taxonomies.ministers] switches off",
        ),
        (
            "[taxonomies.title]\nenabled = false\n",
            "not a list of names",
        ),
    ] {
        let e =
            pressfeed::config::Config::parse(toml, std::path::Path::new("p.toml")).expect_err(toml);
        assert!(e.to_string().contains(says), "{toml}: {e}");
    }
}

/// The seeds of a property case: releases with random terms of one
/// declared taxonomy (names with macrons, spaces and odd capitals).
fn seeds() -> impl Strategy<Value = Vec<Vec<usize>>> {
    prop::collection::vec(prop::collection::vec(0..NAMES.len(), 0..4), 1..6)
}

const NAMES: &[&str] = &[
    "Ōtautahi",
    "Te Whanganui-a-Tara",
    "Hawke's Bay",
    "Southland",
    "Māori Land Court",
    "Central Otago",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Whatever terms releases carry, each term's feed holds exactly the
    /// releases that carry it, and each entry's categories are exactly its
    /// terms.
    #[test]
    fn any_declared_lists_terms_appear_exactly_in_their_feeds(releases in seeds()) {
        let work = tempfile::tempdir().unwrap();
        let site = work.path().join("site");
        std::fs::create_dir_all(site.join("seeds")).unwrap();
        std::fs::write(
            site.join("pressfeed.toml"),
            "base_url = \"https://example.govt.nz/feeds/\"\narchives = false\n\
             [taxonomies.places]\nsingular = \"place\"\nplural = \"places\"\n",
        )
        .unwrap();
        for (n, terms) in releases.iter().enumerate() {
            let list: String = terms.iter().map(|&t| format!("  - \"{}\"\n", NAMES[t])).collect();
            std::fs::write(
                site.join(format!("seeds/r{n}.md")),
                format!(
                    "---\ntitle: \"Release {n}\"\ndate: 2024-01-{:02}\nurl: https://example.govt.nz/r/{n}\nplaces:\n{list}---\n\nBody {n}.\n",
                    n + 1
                ),
            )
            .unwrap();
        }
        let out = work.path().join("out");
        build_site(&site, &out);
        let files = tree(&out);
        let scheme = "https://example.govt.nz/feeds/places/";
        // Per term (by label), the releases its categories say carry it.
        let mut by_term: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let global = atom_syndication::Feed::read_from(&files["atom.xml"][..]).unwrap();
        for entry in global.entries() {
            let n: usize = entry.id().rsplit('/').next().unwrap().parse().unwrap();
            let mut want: Vec<&str> = Vec::new();
            for &t in &releases[n] {
                if !want.contains(&NAMES[t]) {
                    want.push(NAMES[t]);
                }
            }
            let got: Vec<&str> = entry
                .categories()
                .iter()
                .filter(|c| c.scheme() == Some(scheme))
                .map(|c| c.label().unwrap())
                .collect();
            prop_assert_eq!(&got, &want);
            for c in entry.categories().iter().filter(|c| c.scheme() == Some(scheme)) {
                by_term
                    .entry(c.term().to_string())
                    .or_default()
                    .insert(entry.id().to_string());
            }
        }
        // Each term's feed, in every format, holds exactly its releases.
        let feeds: BTreeSet<&str> = files
            .keys()
            .filter_map(|p| p.strip_prefix("places/")?.strip_suffix("/atom.xml"))
            .collect();
        prop_assert_eq!(feeds.len(), by_term.len());
        for (slug, ids) in &by_term {
            for file in ["rss.xml", "atom.xml", "feed.json"] {
                let feed = parse_feed(&files[&format!("places/{slug}/{file}")]);
                let got: BTreeSet<String> = feed
                    .entries
                    .iter()
                    .map(|e| e.links.first().map(|l| l.href.clone()).unwrap_or_default())
                    .collect();
                prop_assert_eq!(&got, ids, "places/{}/{}", slug, file);
            }
        }
    }
}
