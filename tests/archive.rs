//! Archived feeds (RFC 5005) of the fixture site: every release of every
//! feed reachable along its `prev-archive` chain in every format, archive
//! documents valid and stable when a newest release is added.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use pressfeed::site::paths::is_archive_path;

const BASE: &str = "https://example.govt.nz/feeds/";
const FORMATS: [&str; 3] = ["rss.xml", "atom.xml", "feed.json"];

/// The feed folders of a built site: those with a subscription `atom.xml`.
fn feed_dirs(files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    files
        .keys()
        .filter(|p| !is_archive_path(p))
        .filter_map(|p| p.strip_suffix("atom.xml"))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_release_of_every_feed_is_on_its_archive_chain_in_every_format() {
    let out = tempfile::tempdir().unwrap();
    build_site(&fixture("site"), out.path());
    let files = tree(out.path());
    let want = feed_releases(out.path(), BASE);
    assert_eq!(want[""].len(), 10, "the fixture publishes 10 releases");
    let dirs = feed_dirs(&files);
    assert_eq!(dirs.len(), 15);
    assert_eq!(
        dirs.iter().cloned().collect::<BTreeSet<_>>(),
        want.keys().cloned().collect()
    );
    let mut archive_docs = BTreeSet::new();
    for dir in &dirs {
        for format in FORMATS {
            let (ids, docs) = follow_chain(out.path(), BASE, &format!("{dir}{format}"));
            let got: BTreeSet<String> = ids.iter().cloned().collect();
            assert_eq!(got, want[dir], "{dir}{format}");
            // The archive documents alone carry each release once.
            let mut archived = Vec::new();
            for d in &docs {
                archived.extend(archive_doc(&files[d]).ids);
            }
            assert_eq!(
                archived.len(),
                want[dir].len(),
                "{dir}{format}: {archived:?}"
            );
            // Two per document, counted from the oldest: only the newest
            // is not full.
            for (n, d) in docs.iter().enumerate() {
                let len = archive_doc(&files[d]).ids.len();
                assert!(len == 2 || n == 0 && len < 2, "{d}: {len}");
            }
            archive_docs.extend(docs);
        }
    }
    // No archive document is off every chain.
    let on_disk: BTreeSet<String> = files
        .keys()
        .filter(|p| is_archive_path(p))
        .cloned()
        .collect();
    assert_eq!(archive_docs, on_disk);
}

#[test]
fn archive_documents_parse_with_feed_rs() {
    let out = tempfile::tempdir().unwrap();
    build_site(&fixture("site"), out.path());
    let files = tree(out.path());
    let mut n = 0;
    for (path, bytes) in files.iter().filter(|(p, _)| is_archive_path(p)) {
        let f = parse_feed(bytes);
        assert_eq!(f.entries.len(), archive_doc(bytes).ids.len(), "{path}");
        n += 1;
    }
    assert_eq!(n, 26 * 3);
}

/// Without archives the build is what it was: no archive document, no
/// `prev-archive`.
#[test]
fn archives_false_switches_them_off() {
    let site = tempfile::tempdir().unwrap();
    copy_tree(&fixture("site").join("seeds"), &site.path().join("seeds"));
    let config = std::fs::read_to_string(fixture("site").join("pressfeed.toml")).unwrap();
    std::fs::write(
        site.path().join("pressfeed.toml"),
        format!("archives = false\n{config}"),
    )
    .unwrap();
    let out = site.path().join("out");
    build_site(site.path(), &out);
    let files = tree(&out);
    assert!(
        files.keys().all(|p| !is_archive_path(p)),
        "{:?}",
        files.keys()
    );
    assert!(
        files
            .keys()
            .all(|p| !p.contains("history/") && p != "sitemap.xml")
    );
    for (path, bytes) in &files {
        if FORMATS.iter().any(|f| path.ends_with(f)) {
            assert!(archive_doc(bytes).link("prev-archive").is_none(), "{path}");
        }
    }
}

/// A release with the newest date changes the subscription documents of
/// its feeds and the newest archive document of each, in each format, and
/// the pages that list it; no full archive document.
#[test]
fn a_newest_release_changes_only_what_the_stability_rule_allows() {
    let site = tempfile::tempdir().unwrap();
    copy_tree(&fixture("site").join("seeds"), &site.path().join("seeds"));
    std::fs::copy(
        fixture("site").join("pressfeed.toml"),
        site.path().join("pressfeed.toml"),
    )
    .unwrap();
    let out = site.path().join("out");
    build_site(site.path(), &out);
    let before = tree(&out);
    std::fs::write(
        site.path().join("seeds/2024-06-01-new.md"),
        "---\ntitle: A new release\ndate: 2024-06-01\nurl: https://example.govt.nz/release/new\nministers: [Hon Nicola Willis]\nportfolios: [Finance]\n---\n\nNews.\n",
    )
    .unwrap();
    build_site(site.path(), &out);
    let after = tree(&out);
    let changed: BTreeSet<&str> = after
        .iter()
        .filter(|(p, b)| before.get(*p) != Some(*b))
        .map(|(p, _)| p.as_str())
        .chain(
            before
                .keys()
                .filter(|p| !after.contains_key(*p))
                .map(String::as_str),
        )
        .filter(|p| *p != ".pressfeed-manifest")
        .collect();
    let mut want: BTreeSet<String> = BTreeSet::new();
    // Each of the three feeds gets the release in its newest archive
    // document (the one that is not full). Only when that fills it is an
    // empty newer one created (and linked); full documents never change.
    let page_size = 2;
    for dir in ["", "portfolios/finance/", "ministers/nicola-willis/"] {
        let newest = (1..)
            .take_while(|n| before.contains_key(&format!("{dir}archive/{n}/atom.xml")))
            .last()
            .expect("every feed has an archive document");
        for f in FORMATS {
            let doc = format!("{dir}archive/{newest}/{f}");
            let had = archive_doc(&before[&doc]).ids.len();
            want.insert(format!("{dir}{f}"));
            want.insert(doc);
            let created = format!("{dir}archive/{}/{f}", newest + 1);
            if had + 1 == page_size {
                assert!(!before.contains_key(&created));
                assert!(archive_doc(&after[&created]).ids.is_empty());
                want.insert(created);
            } else {
                assert!(!after.contains_key(&created), "{created}");
            }
        }
        want.insert(format!("{dir}index.html"));
    }
    let want: BTreeSet<&str> = want.iter().map(String::as_str).collect();
    let pages: BTreeSet<&str> = changed
        .iter()
        .copied()
        .filter(|p| !FORMATS.iter().any(|f| p.ends_with(f)))
        .collect();
    let documents: BTreeSet<&str> = changed.difference(&pages).copied().collect();
    let want_documents: BTreeSet<&str> = want
        .iter()
        .copied()
        .filter(|p| FORMATS.iter().any(|f| p.ends_with(f)))
        .collect();
    assert_eq!(documents, want_documents);
    // Pages: the three feeds' pages and their year's history pages (a
    // release in a year that had none would change every history page of
    // its feeds, whose lists of years grow),
    // the lists (counts, dates) and the sitemap (new pages).
    let want_pages: BTreeSet<&str> = [
        "index.html",
        "history/2024.html",
        "portfolios/index.html",
        "portfolios/finance/index.html",
        "portfolios/finance/history/2024.html",
        "ministers/index.html",
        "ministers/nicola-willis/index.html",
        "ministers/nicola-willis/history/2024.html",
        "feeds.opml",
    ]
    .into();
    assert_eq!(pages, want_pages);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}

/// Every page of the built `files` is among the `pages` a crawl from
/// index.html reached, and `sitemap.xml` lists exactly those pages.
fn every_page_is_reached_and_in_the_sitemap(
    files: &BTreeMap<String, Vec<u8>>,
    pages: &BTreeMap<String, ()>,
) {
    let on_disk: BTreeSet<&str> = files
        .keys()
        .filter(|p| p.ends_with(".html"))
        .map(String::as_str)
        .collect();
    let reached: BTreeSet<&str> = pages.keys().map(String::as_str).collect();
    assert_eq!(reached, on_disk);
    let sitemap = std::str::from_utf8(&files["sitemap.xml"]).unwrap();
    let xml = roxmltree::Document::parse(sitemap).unwrap();
    let locs: BTreeSet<String> = xml
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .map(|n| n.text().unwrap().to_string())
        .collect();
    let want: BTreeSet<String> = on_disk
        .iter()
        .map(|p| format!("{BASE}{}", p.strip_suffix("index.html").unwrap_or(p)))
        .collect();
    assert_eq!(locs, want);
}

/// Every release is linked from some page a person reaches by clicking
/// from index.html, every link between pages resolves, and every page is
/// in sitemap.xml.
#[test]
fn every_release_is_reachable_from_the_index_by_clicking() {
    let out = tempfile::tempdir().unwrap();
    build_site(&fixture("site"), out.path());
    let files = tree(out.path());
    let releases = &feed_releases(out.path(), BASE)[""];
    let (pages, links) = crawl(out.path());
    for r in releases {
        // A later release that shares its URL with another has an id of its
        // own (`URL#date`), but people reach it at the one URL they share.
        let url = r.split('#').next().unwrap_or(r);
        assert!(
            links.contains(url),
            "{r} is on no page reachable from index.html"
        );
    }
    every_page_is_reached_and_in_the_sitemap(&files, &pages);
    // A feed's page links to each year of its history.
    let arts =
        std::str::from_utf8(&files["portfolios/arts-culture-and-heritage/index.html"]).unwrap();
    for year in [2019, 2015] {
        assert!(
            arts.contains(&format!("href=\"history/{year}.html\"")),
            "{year}"
        );
    }
}

/// By default only Atom has archive documents; RSS and JSON Feed
/// subscription documents then do not link to any.
#[test]
fn by_default_atom_alone_has_archive_documents() {
    let site = tempfile::tempdir().unwrap();
    copy_tree(&fixture("site").join("seeds"), &site.path().join("seeds"));
    let config = std::fs::read_to_string(fixture("site").join("pressfeed.toml")).unwrap();
    let config: String = config
        .lines()
        .filter(|l| !l.starts_with("archive_formats"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(site.path().join("pressfeed.toml"), config).unwrap();
    let out = site.path().join("out");
    build_site(site.path(), &out);
    let files = tree(&out);
    let archives: Vec<&String> = files.keys().filter(|p| is_archive_path(p)).collect();
    assert!(!archives.is_empty());
    assert!(
        archives.iter().all(|p| p.ends_with("atom.xml")),
        "{archives:?}"
    );
    for dir in feed_dirs(&files) {
        let (ids, docs) = follow_chain(&out, BASE, &format!("{dir}atom.xml"));
        assert!(!docs.is_empty() && !ids.is_empty());
        for f in ["rss.xml", "feed.json"] {
            let doc = archive_doc(&files[&format!("{dir}{f}")]);
            assert_eq!(doc.link("prev-archive"), None, "{dir}{f}");
        }
    }
}

/// A year with more releases than a page should hold (over 500) has a page
/// per month: its year's page lists the months, each month's page every
/// release of that month, and every release is still reached by clicking.
/// A quieter feed keeps one page for the same year.
#[test]
fn a_busy_year_has_a_page_per_month() {
    let site = tempfile::tempdir().unwrap();
    let seeds = site.path().join("seeds");
    std::fs::create_dir(&seeds).unwrap();
    // 600 releases of 2023 by one minister, about 50 a month; one in ten
    // also in a quiet portfolio; and two of 2022.
    let mut urls_2023 = BTreeSet::new();
    let mut quiet = 0;
    for n in 0..600u32 {
        let (month, day) = (n % 12 + 1, n / 12 % 28 + 1);
        let url = format!("https://example.govt.nz/release/r{n}");
        let portfolios = match n % 10 {
            0 => {
                quiet += 1;
                "[Busy, Quiet]"
            }
            _ => "[Busy]",
        };
        std::fs::write(
            seeds.join(format!("r{n}.md")),
            format!(
                "---\ntitle: Release {n}\ndate: 2023-{month:02}-{day:02}T{:02}:00:00+13:00\nurl: {url}\nministers: [Jane Doe]\nportfolios: {portfolios}\n---\n\nText of release {n}.\n",
                n % 24
            ),
        )
        .unwrap();
        urls_2023.insert(url);
    }
    for n in 0..2 {
        std::fs::write(
            seeds.join(format!("old{n}.md")),
            format!("---\ntitle: Old {n}\ndate: 2022-05-0{}\nurl: https://example.govt.nz/release/old{n}\nministers: [Jane Doe]\nportfolios: [Busy]\n---\n\nOld.\n", n + 1),
        )
        .unwrap();
    }
    std::fs::write(
        site.path().join("pressfeed.toml"),
        "title = \"Busy\"\nsite_url = \"https://example.govt.nz/\"\nbase_url = \"https://example.govt.nz/feeds\"\ntime_zone = \"Pacific/Auckland\"\n",
    )
    .unwrap();
    let out = site.path().join("out");
    build_site(site.path(), &out);
    let files = tree(&out);
    let text = |p: &str| -> &str {
        std::str::from_utf8(files.get(p).unwrap_or_else(|| panic!("no {p}"))).unwrap()
    };
    let release_links = |page: &str| -> Vec<String> {
        text(page)
            .split("<article")
            .skip(1)
            .map(|a| {
                let at = a.find("href=\"https://example.govt.nz/release/").unwrap() + 6;
                a[at..at + a[at..].find('"').unwrap()].to_string()
            })
            .collect()
    };
    for dir in ["", "ministers/jane-doe/", "portfolios/busy/"] {
        // The year's page lists the twelve months, newest first, with
        // their counts, and no release.
        let year = text(&format!("{dir}history/2023.html"));
        assert!(!year.contains("<article"), "{dir}");
        assert!(year.contains("by month: 600 releases."), "{dir}");
        let months: Vec<String> = (1..=12)
            .rev()
            .map(|m| format!("2023-{m:02}.html"))
            .collect();
        let listed: Vec<&str> = year
            .match_indices("<li><a href=\"2023-")
            .map(|(at, _)| &year[at + 13..at + 13 + 12])
            .collect();
        assert_eq!(listed, months, "{dir}");
        assert!(
            year.contains(
                "<a href=\"2023-03.html\">March 2023</a> <span class=\"muted\">(50)</span>"
            )
        );
        // Each month's page lists that month's releases, and all twelve
        // together list each release of the year once.
        let mut seen = Vec::new();
        for m in &months {
            let page = format!("{dir}history/{m}");
            let links = release_links(&page);
            assert_eq!(links.len(), 50, "{page}");
            let month = text(&page);
            // It links its year (in its crumbs and its year links), the
            // year before, and the feed's list of every year: not every
            // year itself, so pages do not grow with the number of years.
            assert!(
                month.contains("› <a href=\"2023.html\">2023</a></p>"),
                "{page}"
            );
            assert!(
                month.contains("<li><a href=\"2023.html\">2023</a></li>"),
                "{page}"
            );
            assert!(
                month.contains("<li><a href=\"2022.html\" rel=\"prev\">← 2022</a></li>"),
                "{page}"
            );
            assert!(
                month.contains("<li><a href=\"../index.html#history\">Every year</a></li>"),
                "{page}"
            );
            seen.extend(links);
        }
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(
            seen.len(),
            unique.len(),
            "{dir}: a release on two month pages"
        );
        assert_eq!(unique, urls_2023, "{dir}");
        // A quiet year keeps one page.
        assert_eq!(release_links(&format!("{dir}history/2022.html")).len(), 2);
        assert!(!files.contains_key(&format!("{dir}history/2022-05.html")));
    }
    // A quiet feed's 2023 (60 releases) is one page.
    assert_eq!(
        release_links("portfolios/quiet/history/2023.html").len(),
        quiet
    );
    assert!(
        !files
            .keys()
            .any(|p| p.starts_with("portfolios/quiet/history/2023-"))
    );
    // Every release is reached by clicking from index.html, and every page
    // is reached and in the sitemap.
    let (pages, links) = crawl(&out);
    for url in &urls_2023 {
        assert!(links.contains(url), "{url}");
    }
    every_page_is_reached_and_in_the_sitemap(&files, &pages);

    // A newest release, in December, changes that month's page and the
    // year's (its count), no other month's.
    std::fs::write(
        seeds.join("new.md"),
        "---\ntitle: New\ndate: 2023-12-30\nurl: https://example.govt.nz/release/new\nministers: [Jane Doe]\nportfolios: [Busy]\n---\n\nNew.\n",
    )
    .unwrap();
    build_site(site.path(), &out);
    let after = tree(&out);
    let changed: BTreeSet<&str> = after
        .iter()
        .filter(|(p, b)| p.contains("history/") && files.get(*p) != Some(*b))
        .map(|(p, _)| p.as_str())
        .collect();
    let want: BTreeSet<String> = ["", "ministers/jane-doe/", "portfolios/busy/"]
        .iter()
        .flat_map(|d| {
            [
                format!("{d}history/2023.html"),
                format!("{d}history/2023-12.html"),
            ]
        })
        .collect();
    assert_eq!(changed, want.iter().map(String::as_str).collect());
}

/// The `<link ...>` tags of an HTML page with `rel` = `rel`, as attribute
/// maps (pressfeed writes each tag on one line, attributes double-quoted).
fn link_tags(html: &str, rel: &str) -> Vec<BTreeMap<String, String>> {
    html.lines()
        .filter(|l| l.starts_with("<link "))
        .map(|l| {
            let mut attrs = BTreeMap::new();
            let mut rest = l.trim_start_matches("<link ");
            while let Some((name, after)) = rest.split_once("=\"") {
                let (value, after) = after.split_once('"').unwrap();
                attrs.insert(name.trim().to_string(), value.to_string());
                rest = after;
            }
            attrs
        })
        .filter(|a| a.get("rel").map(String::as_str) == Some(rel))
        .collect()
}

#[test]
fn history_pages_offer_their_feed_and_pages_need_no_favicon_request() {
    let out = tempfile::tempdir().unwrap();
    build_site(&fixture("site"), out.path());
    let files = tree(out.path());
    let mut history_pages = 0;
    for (path, bytes) in &files {
        if !path.ends_with(".html") {
            continue;
        }
        let html = std::str::from_utf8(bytes).unwrap();
        // No `icon` configured: a favicon that needs no request.
        let icons = link_tags(html, "icon");
        assert_eq!(icons.len(), 1, "{path}");
        assert_eq!(icons[0]["href"], "data:,", "{path}");
        let Some((feed_dir, _)) = path.rsplit_once("history/") else {
            continue;
        };
        history_pages += 1;
        // Autodiscovery of the feed the page is the history of, in each
        // format, resolving to its subscription documents.
        let alternates = link_tags(html, "alternate");
        let hrefs: Vec<&str> = alternates.iter().map(|a| a["href"].as_str()).collect();
        assert_eq!(
            hrefs,
            ["../rss.xml", "../atom.xml", "../feed.json"],
            "{path}"
        );
        for file in FORMATS {
            assert!(files.contains_key(&format!("{feed_dir}{file}")), "{path}");
        }
        let feed: serde_json::Value =
            serde_json::from_slice(&files[&format!("{feed_dir}feed.json")]).unwrap();
        assert_eq!(
            alternates[1]["title"],
            format!("{} (Atom)", feed["title"].as_str().unwrap()),
            "{path}"
        );
        // The page's title names the site once.
        let title = html
            .split_once("<title>")
            .and_then(|(_, t)| t.split_once("</title>"))
            .unwrap()
            .0;
        assert_eq!(
            title.matches("Example Government releases").count(),
            1,
            "{path}: {title}"
        );
    }
    assert!(history_pages >= 10, "{history_pages}");
}

#[test]
fn feed_addresses_wrap_only_after_a_slash() {
    let out = tempfile::tempdir().unwrap();
    build_site(&fixture("site"), out.path());
    let html = std::fs::read_to_string(out.path().join("portfolios/finance/index.html")).unwrap();
    let codes: Vec<&str> = html
        .split("<code>")
        .skip(1)
        .map(|c| c.split_once("</code>").unwrap().0)
        .collect();
    assert_eq!(codes.len(), 3, "{html}");
    for (code, file) in codes.iter().zip(FORMATS) {
        // Copied, it is the address; on a narrow screen, it may break only
        // where a `/` ends a part.
        assert_eq!(
            code.replace("<wbr>", ""),
            format!("{BASE}portfolios/finance/{file}")
        );
        let parts: Vec<&str> = code.split("<wbr>").collect();
        assert!(parts.len() >= 4, "{code}");
        assert!(
            parts[..parts.len() - 1].iter().all(|p| p.ends_with('/')),
            "{code}"
        );
    }
    assert!(
        !html.contains("overflow-wrap:anywhere;font-size"),
        "addresses never break mid-word"
    );
}
