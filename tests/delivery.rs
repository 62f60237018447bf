//! News reaches subscribers when it is published: corrections (`updated:`)
//! reach every format and page, embargoed releases appear nowhere until
//! their time (and then at once, even when no seed changed), and the feed
//! icon and logo are in every format.

mod common;

use std::path::Path;

use common::*;

const BASE: &str = "https://example.govt.nz/feeds/";

fn seed(n: usize, date: &str, extra: &str) -> String {
    format!(
        "---\ntitle: \"Release {n}\"\ndate: {date}\nurl: https://example.govt.nz/release/{n}\n{extra}ministers:\n  - Jane Doe\nportfolios:\n  - Finance\n---\n\nRelease {n} says something.\n"
    )
}

fn site(files: &[(&str, String)], config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("seeds")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join("seeds").join(name), text).unwrap();
    }
    std::fs::write(
        dir.path().join("pressfeed.toml"),
        format!("base_url = \"{BASE}\"\n{config}"),
    )
    .unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .output()
        .unwrap();
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    o
}

fn build(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["build", "--seeds", "seeds", "--out", "out"];
    args.extend(extra);
    run(dir, &args)
}

fn text(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join("out").join(path)).unwrap()
}

#[test]
fn a_correction_reaches_every_format_and_page_and_keeps_its_id() {
    let dir = site(
        &[
            (
                "1.md",
                seed(1, "2024-03-01", "updated: 2024-03-05T10:00:00+13:00\n"),
            ),
            ("2.md", seed(2, "2024-03-02", "")),
        ],
        "",
    );
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let d = dir.path();

    let atom = parse_feed(text(d, "atom.xml").as_bytes());
    let one = atom
        .entries
        .iter()
        .find(|e| e.id == "https://example.govt.nz/release/1")
        .expect("the corrected release keeps its id");
    assert_eq!(
        one.updated.unwrap().to_rfc3339(),
        "2024-03-04T21:00:00+00:00",
        "Atom updated is the correction"
    );
    assert_eq!(
        one.published.unwrap().to_rfc3339(),
        "2024-02-29T11:00:00+00:00",
        "published is still the date"
    );
    // The feed's own updated is the newest of every date and correction.
    let raw = text(d, "atom.xml");
    assert!(
        raw.contains("<id>https://example.govt.nz/feeds/atom.xml</id><updated>2024-03-05T10:00:00+13:00</updated>"),
        "{raw}"
    );
    let rss = text(d, "rss.xml");
    assert!(
        rss.contains("<lastBuildDate>Tue, 5 Mar 2024 10:00:00 +1300</lastBuildDate>"),
        "{rss}"
    );
    let json: serde_json::Value = serde_json::from_str(&text(d, "feed.json")).unwrap();
    let item = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "https://example.govt.nz/release/1")
        .unwrap();
    assert_eq!(item["date_modified"], "2024-03-05T10:00:00+13:00");
    assert_eq!(item["date_published"], "2024-03-01T00:00:00+13:00");
    for page in ["index.html", "ministers/jane-doe/index.html"] {
        let html = text(d, page);
        assert!(
            html.contains("Updated <time datetime=\"2024-03-05\">5 Mar 2024</time>"),
            "{page}: {html}"
        );
    }
}

#[test]
fn a_correction_dated_before_the_release_is_an_error() {
    let dir = site(
        &[("1.md", seed(1, "2024-03-01", "updated: 2024-02-01\n"))],
        "",
    );
    for args in [
        &["check", "--seeds", "seeds"][..],
        &["build", "--seeds", "seeds", "--out", "out"][..],
    ] {
        let o = run(dir.path(), args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(
                "seeds/1.md:5:10: error: `updated` 2024-02-01 is earlier than `date` 2024-03-01"
            ),
            "{err}"
        );
        assert!(
            err.contains("hint: `updated` is when a published release was corrected"),
            "{err}"
        );
    }
}

#[test]
fn an_embargoed_release_is_nowhere_until_its_time_then_everywhere() {
    let dir = site(
        &[
            ("1.md", seed(1, "2026-11-30", "")),
            ("2.md", seed(2, "2026-12-02T09:00:00+13:00", "")),
        ],
        "",
    );
    let d = dir.path();
    let before = "2026-12-02T08:59:59+13:00";
    let o = run(d, &["check", "--seeds", "seeds", "--now", before]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("seeds/2.md: held until 2026-12-02T09:00:00+13:00 (embargo)"),
        "{out}"
    );
    assert!(
        out.contains("1 release(s), 3 feed(s), 1 held until their time (the next at 2026-12-02T09:00:00+13:00)"),
        "{out}"
    );

    let o = build(d, &["--now", before]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("published 1 release(s) in 3 feed(s), 1 held until their time"),
        "{}",
        stdout(&o)
    );
    let held = tree(&d.join("out"));
    for (path, bytes) in &held {
        let t = String::from_utf8_lossy(bytes);
        assert!(
            !t.contains("release/2") && !t.contains("Release 2"),
            "{path} shows the embargoed release"
        );
    }
    // Not even in the counts: one release in each list.
    assert!(
        text(d, "index.html").contains(": 1 release,")
            || text(d, "index.html").contains(": 1 release.")
    );

    // The same moment again: nothing to do.
    let o = build(d, &["--now", before]);
    assert!(stdout(&o).contains("nothing changed"), "{}", stdout(&o));
    // Its time comes; no seed changed, yet the shortcut does not hide it.
    let o = build(d, &["--now", "2026-12-02T09:00:00+13:00"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("published 2 release(s)") && !stdout(&o).contains("held"),
        "{}",
        stdout(&o)
    );
    for path in [
        "rss.xml",
        "atom.xml",
        "feed.json",
        "index.html",
        "ministers/jane-doe/atom.xml",
    ] {
        assert!(
            text(d, path).contains("https://example.govt.nz/release/2"),
            "{path}"
        );
    }
    // Output is a function of seeds, config and which embargoes lifted:
    // the same bytes whatever later moment is taken as now.
    let lifted = tree(&d.join("out"));
    let o = build(d, &["--now", "2030-01-01T00:00:00Z", "--no-cache"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(tree(&d.join("out")), lifted);
}

#[test]
fn icon_and_logo_are_in_every_format_and_page() {
    let dir = site(
        &[("1.md", seed(1, "2024-03-01", ""))],
        "icon = \"https://example.govt.nz/icon.png\"\nlogo = \"https://example.govt.nz/logo.png\"\n",
    );
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let d = dir.path();
    for feed in ["", "ministers/jane-doe/", "portfolios/finance/"] {
        let atom = parse_feed(text(d, &format!("{feed}atom.xml")).as_bytes());
        assert_eq!(atom.icon.unwrap().uri, "https://example.govt.nz/icon.png");
        assert_eq!(atom.logo.unwrap().uri, "https://example.govt.nz/logo.png");
        let rss = parse_feed(text(d, &format!("{feed}rss.xml")).as_bytes());
        assert_eq!(rss.logo.unwrap().uri, "https://example.govt.nz/logo.png");
        let json: serde_json::Value =
            serde_json::from_str(&text(d, &format!("{feed}feed.json"))).unwrap();
        assert_eq!(json["icon"], "https://example.govt.nz/logo.png");
        assert_eq!(json["favicon"], "https://example.govt.nz/icon.png");
        let page = text(d, &format!("{feed}index.html"));
        assert!(
            page.contains("<link rel=\"icon\" href=\"https://example.govt.nz/icon.png\">"),
            "{page}"
        );
    }
    // Not an address: a configuration error.
    std::fs::write(d.join("pressfeed.toml"), "icon = \"icon.png\"\n").unwrap();
    let o = build(d, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("icon:"), "{}", stderr(&o));
}
