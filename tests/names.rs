//! Names and identities: bounded slugs and display names, YAML values that
//! are not text, titles and post-nominals, the junk detector and the
//! likely-duplicate report of `check`, and releases that share a URL. Every
//! test builds a small generated site in a temporary folder.

mod common;

use std::path::Path;

use common::*;
use pressfeed::config::Config;
use pressfeed::input::names::{self, MAX_SLUG};
use proptest::prelude::*;

/// One seed's text.
fn seed(
    title: &str,
    date: &str,
    url: &str,
    ministers: &[&str],
    portfolios: &[&str],
    body: &str,
) -> String {
    let list = |key: &str, items: &[&str]| -> String {
        if items.is_empty() {
            return String::new();
        }
        let mut s = format!("{key}:\n");
        for i in items {
            s.push_str(&format!("  - \"{}\"\n", i.replace('"', "\\\"")));
        }
        s
    };
    format!(
        "---\ntitle: \"{title}\"\ndate: {date}\nurl: {url}\n{}{}---\n\n{body}\n",
        list("ministers", ministers),
        list("portfolios", portfolios)
    )
}

/// A site folder with `seeds/` holding `files` and a `pressfeed.toml`.
fn site(files: &[(String, String)], config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join("seeds").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::write(
        dir.path().join("pressfeed.toml"),
        format!("base_url = \"https://x.nz/feeds/\"\nitems_per_feed = 0\n{config}"),
    )
    .unwrap();
    dir
}

fn check(dir: &Path) -> String {
    let o = pressfeed(dir, &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    stderr(&o)
}

fn build(dir: &Path) -> String {
    let o = pressfeed(dir, &["build", "--out", "out", "--no-cache"]);
    assert!(o.status.success(), "{}", stderr(&o));
    stderr(&o)
}

/// The feed folders of one kind after a build.
fn feeds(dir: &Path, kind: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir.join("out").join(kind))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n != "index.html")
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// `n` ordinary releases by "Ann Example", who is named in each body: an
/// archive big enough for the rarity test.
fn archive(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            (
                format!("r{i}.md"),
                seed(
                    &format!("Release {i}"),
                    "2020-01-01",
                    &format!("https://x.nz/r/{i}"),
                    &["Ann Example"],
                    &["Health"],
                    "Health Minister Ann Example said so.",
                ),
            )
        })
        .collect()
}

#[test]
fn long_names_get_short_distinct_slugs_and_the_build_succeeds() {
    let long_a = "Minister ".repeat(250) + "Alpha";
    let long_b = "Minister ".repeat(250) + "Beta";
    let chinese = "中华人民共和国国务院总理".repeat(6);
    assert_eq!(chinese.chars().count(), 72);
    assert!(
        deunicode::deunicode(&chinese).len() > 255,
        "longer than a file name may be"
    );
    let files = vec![
        (
            "a.md".to_string(),
            seed(
                "A",
                "2020-01-01",
                "https://x.nz/a",
                &[&long_a],
                &[&long_a],
                "a",
            ),
        ),
        (
            "b.md".to_string(),
            seed("B", "2020-01-02", "https://x.nz/b", &[&long_b], &[], "b"),
        ),
        (
            "c.md".to_string(),
            seed("C", "2020-01-03", "https://x.nz/c", &[&chinese], &[], "c"),
        ),
    ];
    let dir = site(&files, "");
    let err = check(dir.path());
    let want = format!(
        "a.md:5:1: warning: a name in `ministers` is {} characters long",
        long_a.chars().count()
    );
    assert!(err.contains(&want), "{err}");
    assert!(!err.contains(&long_a), "a long name is shown cut: {err}");
    assert!(
        err.contains("put the minister's name alone in the seed"),
        "{err}"
    );
    build(dir.path());
    let ministers = feeds(dir.path(), "ministers");
    assert_eq!(ministers.len(), 3, "{ministers:?}");
    for m in &ministers {
        assert!(m.len() <= MAX_SLUG, "{m}");
        assert!(
            m.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{m}"
        );
    }
    assert!(
        ministers.iter().any(|m| m.starts_with("zhong-hua-ren-min")),
        "{ministers:?}"
    );
    // Display names are cut at a word, with an ellipsis.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/feed.json")).unwrap()).unwrap();
    for item in json["items"].as_array().unwrap() {
        for a in item["authors"].as_array().unwrap() {
            let name = a["name"].as_str().unwrap();
            assert!(
                name.chars().count() <= names::MAX_DISPLAY_CHARS + 1,
                "{name}"
            );
        }
    }
}

#[test]
fn more_than_fifty_names_on_a_release_get_no_feeds_beyond_fifty() {
    let many: Vec<String> = (0..1000).map(|i| format!("Person Number{i:04}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let files = vec![(
        "a.md".to_string(),
        seed("A", "2020-01-01", "https://x.nz/a", &many, &many, "a"),
    )];
    let dir = site(&files, "");
    let err = build(dir.path());
    assert!(
        err.contains("a.md:5:1: warning: `ministers` has 1000 names; the first 50 are published, the other 950 get no feed"),
        "{err}"
    );
    assert!(err.contains("`portfolios` has 1000 names"), "{err}");
    assert_eq!(feeds(dir.path(), "ministers").len(), 50);
    assert_eq!(feeds(dir.path(), "portfolios").len(), 50);
    let size: usize = tree(&dir.path().join("out")).values().map(Vec::len).sum();
    // 101 feeds, each repeating the 100 names of the one release in its
    // feed documents, archive document, page and history page: bounded by
    // the cap of 50 (without it, 2,001 feeds of 2,000 names: about 1 GB).
    assert!(size < 8_000_000, "output is bounded: {size} bytes");
}

#[test]
fn yaml_numbers_booleans_and_nulls_are_not_names() {
    let text = "---\ntitle: \"A\"\ndate: 2020-01-01\nurl: https://x.nz/a\nministers:\n  - 0x1F\n  - Ann Example\n  - 1e3\n  - true\n  - ~\nportfolios:\n  - null\n  - Health\n---\nAnn Example\n";
    let dir = site(&[("a.md".to_string(), text.to_string())], "");
    let err = check(dir.path());
    for want in [
        "seeds/a.md:6:5: warning: `ministers` has \"0x1F\", which YAML reads as the number 31, not a name; it is ignored",
        "  hint: if it is a name, quote it: - \"0x1F\"",
        "seeds/a.md:8:5: warning: `ministers` has \"1e3\", which YAML reads as the number 1000.0",
        "seeds/a.md:9:5: warning: `ministers` has \"true\", which YAML reads as the boolean true",
        "seeds/a.md:10:5: warning: `ministers` has \"~\", which YAML reads as null",
        "seeds/a.md:12:5: warning: `portfolios` has \"null\", which YAML reads as null",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    build(dir.path());
    assert_eq!(feeds(dir.path(), "ministers"), ["ann-example"]);
    assert_eq!(feeds(dir.path(), "portfolios"), ["health"]);
}

#[test]
fn titles_and_post_nominals_fold_into_one_feed() {
    let files = vec![
        (
            "a.md".to_string(),
            seed(
                "A",
                "2020-01-01",
                "https://x.nz/a",
                &["Hon Judith Collins"],
                &[],
                "a",
            ),
        ),
        (
            "b.md".to_string(),
            seed(
                "B",
                "2024-01-01",
                "https://x.nz/b",
                &["Hon Judith Collins KC"],
                &[],
                "b",
            ),
        ),
        (
            "c.md".to_string(),
            seed(
                "C",
                "1998-01-01",
                "https://x.nz/c",
                &["Dr Lockwood Smith"],
                &[],
                "c",
            ),
        ),
        (
            "d.md".to_string(),
            seed(
                "D",
                "1999-01-01",
                "https://x.nz/d",
                &["Lockwood Smith"],
                &[],
                "d",
            ),
        ),
        (
            "e.md".to_string(),
            seed(
                "E",
                "1999-01-01",
                "https://x.nz/e",
                &["Rt Hon Sir Ann Example, ONZM"],
                &[],
                "e",
            ),
        ),
    ];
    let dir = site(&files, "");
    let err = check(dir.path());
    assert!(!err.contains("probably one"), "{err}");
    build(dir.path());
    assert_eq!(
        feeds(dir.path(), "ministers"),
        ["ann-example", "judith-collins", "lockwood-smith"]
    );
    let rss =
        std::fs::read_to_string(dir.path().join("out/ministers/judith-collins/rss.xml")).unwrap();
    assert!(
        rss.contains("<title>Judith Collins — "),
        "the display name has no letters: {rss}"
    );

    // Without the lists, check reports the pairs and the line that merges them.
    let dir = site(&files, "titles = []\npost_nominals = []\n");
    let err = check(dir.path());
    assert!(
        err.contains("are probably one minister: they are the same once titles, post-nominals and small words are set aside"),
        "{err}"
    );
    assert!(
        err.contains("add under [ministers] aliases in pressfeed.toml: \"Dr Lockwood Smith\" = \"Lockwood Smith\""),
        "{err}"
    );
}

#[test]
fn junk_names_are_flagged_with_their_files_and_the_fix() {
    let junk = [
        "View Word document of new rates",
        "Download as PDF file",
        "A full list of scholarship recipients",
        "Air New Zealand statement",
        "Mururoa",
        "No Minister",
        "Defence Policy Framework",
        "Analysis - Adults",
        "The executive summary",
        "www.example.govt.nz/minister/x/",
        "Agent 99",
    ];
    let mut files = archive(3);
    for (i, j) in junk.iter().enumerate() {
        files.push((
            format!("j{i}.md"),
            seed(
                "J",
                "2021-01-01",
                &format!("https://x.nz/j/{i}"),
                &["Ann Example", j],
                &["Health"],
                j,
            ),
        ));
    }
    let dir = site(&files, "");
    let err = check(dir.path());
    for (i, j) in junk.iter().enumerate() {
        let want = format!("seeds/j{i}.md: warning: minister {j:?} ");
        assert!(err.contains(&want), "missing {want:?} in:\n{err}");
        assert!(
            err.contains(&format!("(in 1 release(s): seeds/j{i}.md)")),
            "{err}"
        );
        assert!(err.contains(&format!("add {j:?} to drop")), "{err}");
    }
    assert!(
        !err.contains("\"Ann Example\""),
        "a real name is not flagged: {err}"
    );
    assert!(!err.contains("portfolio \"Health\""), "{err}");

    // Dropped in the config: no feed, and nothing to say.
    let drops: Vec<String> = junk.iter().map(|j| format!("{j:?}")).collect();
    let dir = site(
        &files,
        &format!("[ministers]\ndrop = [{}]\n", drops.join(", ")),
    );
    let err = check(dir.path());
    assert!(!err.contains("minister \""), "{err}");
    build(dir.path());
    assert_eq!(feeds(dir.path(), "ministers"), ["ann-example"]);
}

#[test]
fn rare_names_that_no_text_mentions_are_flagged_on_an_archive() {
    let mut files = archive(120);
    files.push((
        "ghost.md".to_string(),
        seed(
            "Ghost",
            "2021-01-01",
            "https://x.nz/ghost",
            &["Gil Ghostly"],
            &["Health"],
            "Nothing about anyone.",
        ),
    ));
    files.push((
        "named.md".to_string(),
        seed(
            "Named",
            "2021-01-01",
            "https://x.nz/named",
            &["Hon Nora Named"],
            &["Health"],
            "Hon Nora  Named’s view.",
        ),
    ));
    let dir = site(&files, "");
    let err = check(dir.path());
    assert!(
        err.contains("seeds/ghost.md: warning: minister \"Gil Ghostly\" is on only 1 release(s) and its text does not name it"),
        "{err}"
    );
    assert!(!err.contains("Nora Named"), "named in its body: {err}");
    // `keep` vouches for a real but rare name.
    let dir = site(&files, "[ministers]\nkeep = [\"Gil Ghostly\"]\n");
    assert!(!check(dir.path()).contains("Ghostly"));
    // A small site is not an archive: every name is rare there.
    let dir = site(&files[118..], "");
    assert!(!check(dir.path()).contains("Ghostly"));
}

#[test]
fn likely_duplicates_are_reported_with_the_alias_that_merges_them() {
    let mut files = archive(2);
    for i in 0..4 {
        files.push((
            format!("nick{i}.md"),
            seed(
                "N",
                "2020-02-01",
                &format!("https://x.nz/n/{i}"),
                &["Nick Smith"],
                &["Associate Minister for the Environment"],
                "Nick Smith",
            ),
        ));
    }
    files.push((
        "nik.md".to_string(),
        seed(
            "N",
            "2020-03-01",
            "https://x.nz/nik",
            &["Nik Smith"],
            &["Associate Minister of the Environment"],
            "Nik Smith",
        ),
    ));
    let dir = site(&files, "");
    let err = check(dir.path());
    assert!(
        err.contains("seeds/nik.md: warning: ministers \"Nik Smith\" (in 1 release(s): seeds/nik.md) and \"Nick Smith\" (in 4 release(s): "),
        "{err}"
    );
    assert!(
        err.contains("are probably one minister: they are one letter apart"),
        "{err}"
    );
    assert!(
        err.contains("if they are one, add under [ministers] aliases in pressfeed.toml: \"Nik Smith\" = \"Nick Smith\""),
        "{err}"
    );
    assert!(
        err.contains(
            "\"Associate Minister of the Environment\" = \"Associate Minister for the Environment\""
        ),
        "{err}"
    );
    let dir = site(
        &files,
        "[ministers]\naliases = { \"Nik Smith\" = \"Nick Smith\" }\n[portfolios]\nkeep = [\"Associate Minister of the Environment\", \"Associate Minister for the Environment\"]\n",
    );
    let err = check(dir.path());
    assert!(!err.contains("probably one"), "{err}");
    build(dir.path());
    assert_eq!(
        feeds(dir.path(), "ministers"),
        ["ann-example", "nick-smith"]
    );
    // Digits are not typos: Budget 2010 and Budget 2011 are two portfolios.
    let files = vec![
        (
            "a.md".to_string(),
            seed(
                "A",
                "2010-05-01",
                "https://x.nz/a",
                &[],
                &["Budget 2010"],
                "a",
            ),
        ),
        (
            "b.md".to_string(),
            seed(
                "B",
                "2011-05-01",
                "https://x.nz/b",
                &[],
                &["Budget 2011"],
                "b",
            ),
        ),
    ];
    assert!(!check(site(&files, "").path()).contains("probably one"));
}

#[test]
fn releases_sharing_a_url_are_all_published_with_stable_ids() {
    let url = "https://x.nz/release/judges";
    let files = vec![
        (
            "2000-judges.md".to_string(),
            seed(
                "Judges appointed",
                "2000-03-20",
                url,
                &["Ann Example"],
                &["Courts"],
                "The first text.",
            ),
        ),
        (
            "2025-judges.md".to_string(),
            seed(
                "Judges appointed",
                "2025-04-24",
                url,
                &["Ann Example"],
                &["Courts"],
                "The second text.",
            ),
        ),
        // The same body again: a true duplicate, merged silently.
        (
            "2026-copy.md".to_string(),
            seed(
                "Judges appointed",
                "2025-04-24",
                url,
                &["Ann Example"],
                &["Courts"],
                "The second   text.",
            ),
        ),
        // One release, corrected a day later.
        (
            "2017-pulse.md".to_string(),
            seed(
                "'Pulse' report",
                "2017-12-04",
                "https://x.nz/pulse",
                &["Ann Example"],
                &["Courts"],
                "Draft text.",
            ),
        ),
        (
            "2017-pulse-2.md".to_string(),
            seed(
                "‘Pulse’ report",
                "2017-12-05",
                "https://x.nz/pulse",
                &["Ann Example"],
                &["Courts"],
                "Corrected text.",
            ),
        ),
    ];
    let dir = site(&files, "");
    let err = build(dir.path());
    assert!(
        err.contains(&format!("warning: 2 files have the url {url} with different text: seeds/2000-judges.md (id {url}); seeds/2025-judges.md (id {url}#2025-04-24)")),
        "{err}"
    );
    assert!(
        !err.contains("2026-copy.md"),
        "same body merges silently: {err}"
    );
    assert!(
        err.contains("seeds/2017-pulse.md is the same release first published"),
        "{err}"
    );
    let atom = parse_feed(&std::fs::read(dir.path().join("out/atom.xml")).unwrap());
    let mut ids: Vec<&str> = atom.entries.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["https://x.nz/pulse", url, &format!("{url}#2025-04-24")]
    );
    let pulse = atom
        .entries
        .iter()
        .find(|e| e.id == "https://x.nz/pulse")
        .unwrap();
    assert_eq!(
        pulse.published.unwrap().to_rfc3339(),
        "2017-12-03T11:00:00+00:00"
    );
    assert_eq!(
        pulse.updated.unwrap().to_rfc3339(),
        "2017-12-04T11:00:00+00:00"
    );
    let html = pulse.content.as_ref().unwrap().body.clone().unwrap();
    assert!(html.contains("Corrected text."), "the later text: {html}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/feed.json")).unwrap()).unwrap();
    let item = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "https://x.nz/pulse")
        .unwrap();
    assert_eq!(item["date_modified"], "2017-12-05T00:00:00+13:00");
    let rss = std::fs::read_to_string(dir.path().join("out/rss.xml")).unwrap();
    assert!(
        rss.contains(&format!(
            "<guid isPermaLink=\"true\">{url}#2025-04-24</guid>"
        )),
        "{rss}"
    );
    // Ids do not depend on the order files are read in, or on a rebuild.
    let again = site(&files.iter().rev().cloned().collect::<Vec<_>>(), "");
    build(again.path());
    assert_eq!(
        std::fs::read(again.path().join("out/atom.xml")).unwrap(),
        std::fs::read(dir.path().join("out/atom.xml")).unwrap()
    );
}

/// 20,000 distinct rare names on 400 releases: the detector and the
/// duplicate report stay near-linear (each release's body is read once).
#[test]
fn many_names_are_checked_in_bounded_time() {
    let files: Vec<(String, String)> = (0..400)
        .map(|r| {
            // Letters only, so the names pass the word rules and every one
            // goes to the rarity test.
            let letters = |mut k: usize| -> String {
                let mut s = String::from("Q");
                for _ in 0..4 {
                    s.push((b'a' + (k % 26) as u8) as char);
                    k /= 26;
                }
                s
            };
            let names: Vec<String> = (0..50)
                .map(|n| format!("Person {}", letters(r * 50 + n)))
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            (
                format!("r{r}.md"),
                seed(
                    "R",
                    "2020-01-01",
                    &format!("https://x.nz/r/{r}"),
                    &names,
                    &names,
                    &"Some text. ".repeat(500),
                ),
            )
        })
        .collect();
    let dir = site(&files, "");
    let started = std::time::Instant::now();
    let err = check(dir.path());
    let took = started.elapsed();
    assert!(took.as_secs() < 60, "check took {took:?}");
    assert!(
        err.contains("is on only 1 release(s) and its text does not name it"),
        "{}",
        &err[..err.len().min(2000)]
    );
}

fn name_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Hon ".to_string()),
        Just("Rt Hon ".to_string()),
        Just("Dr ".to_string()),
        Just("Dr. ".to_string()),
        Just(" KC".to_string()),
        Just(", QC".to_string()),
        Just(" O.N.Z.M.".to_string()),
        Just("Judith ".to_string()),
        Just("Collins".to_string()),
        Just("Māori".to_string()),
        Just("中华人民共和国".to_string()),
        Just(" & ".to_string()),
        Just("-".to_string()),
        Just("’".to_string()),
        Just("\u{a0}".to_string()),
        Just("\u{b}".to_string()),
        Just("  ".to_string()),
        Just("word ".repeat(30)),
        "[a-zA-Z0-9 .,]{0,12}",
        ".{0,8}",
    ]
}

fn a_name() -> impl Strategy<Value = String> {
    prop::collection::vec(name_piece(), 0..12).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn slugs_are_non_empty_bounded_safe_and_stable(name in a_name()) {
        let s = names::slug(&name);
        prop_assert!(!s.is_empty());
        prop_assert!(s.len() <= MAX_SLUG, "{} bytes: {}", s.len(), s);
        prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{}", s);
        prop_assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"), "{}", s);
        prop_assert_eq!(names::slug(&name), s.clone(), "the same every time");
        prop_assert_eq!(names::slug(&s), s, "a slug is its own slug");
    }

    #[test]
    fn name_folding_is_idempotent(name in a_name()) {
        let config = Config::default();
        let (_, ministers) = config.taxonomy("ministers").unwrap();
        let once = names::clean_term(&name, ministers);
        prop_assert_eq!(names::clean_term(&once, ministers), once.clone());
        let portfolio = names::clean(&name, &config.honorifics);
        prop_assert_eq!(names::clean(&portfolio, &config.honorifics), portfolio.clone());
        prop_assert_eq!(names::slug(&names::slug(&once)), names::slug(&once));
        let shown = names::bounded_display(&once);
        prop_assert!(shown.chars().count() <= names::MAX_DISPLAY_CHARS + 1);
        prop_assert_eq!(names::bounded_display(&shown).chars().count(), shown.chars().count());
    }

    #[test]
    fn long_names_that_differ_get_different_slugs(stem in "[a-z ]{100,200}", a in "[a-z]{1,5}", b in "[a-z]{1,5}") {
        prop_assume!(a != b);
        prop_assert_ne!(names::slug(&format!("{stem} {a}")), names::slug(&format!("{stem} {b}")));
    }
}
