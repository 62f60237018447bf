//! Builds the real archive (../shared/corpus, 55,167 releases) and checks
//! what a publisher must guarantee on it. Skipped, saying why, when the
//! archive is not beside the checkout.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use common::*;

/// Unpacks the archive into target/ once; `None` when it is absent.
fn corpus() -> Option<PathBuf> {
    let tarball = root().join("../shared/corpus/beehive-releases.tar.gz");
    if !tarball.exists() {
        eprintln!(
            "skipping: {} not found (the real archive lives in ../shared/corpus)",
            tarball.display()
        );
        return None;
    }
    // The tests of this file run in parallel: one unpacks, the others wait.
    static UNPACKING: Mutex<()> = Mutex::new(());
    let _guard = UNPACKING.lock().unwrap_or_else(|e| e.into_inner());
    let dest = root().join("target/corpus-test");
    let releases = dest.join("beehive/releases");
    if !dest.join(".unpacked").exists() {
        let _ = std::fs::remove_dir_all(&dest);
        std::fs::create_dir_all(&dest).unwrap();
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(&dest)
            .status()
            .expect("run tar");
        assert!(status.success(), "tar failed");
        std::fs::write(dest.join(".unpacked"), "").unwrap();
    }
    Some(releases)
}

/// The `url:` of a seed, read the simple way (the archive always has one).
fn url_of(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .skip(1)
        .take_while(|l| l.trim_end() != "---")
        .find_map(|l| l.strip_prefix("url:"))
        .map(|u| u.trim().to_string())
}

fn seed_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "md") {
                out.push(p);
            }
        }
    }
    out
}

/// The front matter fast path reads each release it takes exactly as
/// serde_yaml does (value and key order), and takes nearly every release of
/// the archive: if a change made it decline them, builds would quietly slow
/// down to serde_yaml's pace.
#[test]
fn front_matter_fast_path_agrees_with_serde_yaml_on_the_archive() {
    use pressfeed::input::frontmatter::simple;
    use serde_yaml::Value;
    let Some(releases) = corpus() else { return };
    let files = seed_files(&releases);
    let mut fast = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let (text, skip) = pressfeed::input::load::decode(path, &bytes).unwrap();
        let split = pressfeed::input::load::split(path, text, skip).unwrap();
        let Some(value) = simple::parse(split.yaml).map(simple::to_value) else {
            continue;
        };
        let slow: Value = serde_yaml::from_str(split.yaml)
            .unwrap_or_else(|e| panic!("{}: serde_yaml rejects it: {e}", path.display()));
        assert_eq!(value, slow, "{}", path.display());
        let keys = |v: &Value| -> Vec<Value> { v.as_mapping().unwrap().keys().cloned().collect() };
        assert_eq!(keys(&value), keys(&slow), "{}", path.display());
        fast += 1;
    }
    eprintln!("fast path: {fast} of {} releases", files.len());
    assert!(
        fast * 100 >= files.len() * 99,
        "the fast path took only {fast} of {} releases",
        files.len()
    );
}

#[test]
fn the_whole_archive_builds_and_every_file_is_accounted_for() {
    let Some(releases) = corpus() else { return };
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("all.toml");
    // Every release in every feed, so each one can be found in the output
    // (no size budget, which would keep only the newest megabyte of each;
    // archives are the next test's).
    std::fs::write(
        &config,
        "items_per_feed = 0\nmax_document_bytes = 0\narchives = false\n",
    )
    .unwrap();
    let out = work.path().join("out");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "build",
            "--seeds",
            releases.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        pressfeed(work.path(), &a)
    };

    let o = run(&[]);
    let err = stderr(&o);
    assert!(
        o.status.success(),
        "build failed:\n{}",
        &err[err.len().saturating_sub(4000)..]
    );
    assert!(!err.contains("error:"), "no errors on the real archive");
    let summary = stdout(&o);
    assert!(summary.contains("read 55167 file(s)"), "{summary}");

    // Each file is either an entry (its URL is in the global feed) or named
    // in a warning.
    let global = parse_feed(&std::fs::read(out.join("atom.xml")).unwrap());
    let urls: HashSet<String> = global.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(urls.len(), global.entries.len(), "one entry per URL");
    // Every entry with a body has a summary, whatever its first block: the
    // Defence release below starts with a numbered list.
    for e in &global.entries {
        let has_body = e
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .is_some_and(|b| !b.is_empty() && !b.starts_with("<p>Attachments:</p>"));
        assert_eq!(e.summary.is_some(), has_body, "{}", e.id);
    }
    let anzmin = global
        .entries
        .iter()
        .find(|e| e.id.ends_with("/joint-statement-australia-new-zealand-foreign-and-defence-ministerial-consultations-anzmin"))
        .expect("the ANZMIN statement is published");
    assert!(
        anzmin
            .summary
            .as_ref()
            .is_some_and(|s| s.content.starts_with("Deputy Prime Minister")),
        "{:?}",
        anzmin.summary
    );
    let files = seed_files(&releases);
    assert_eq!(files.len(), 55167);
    let mut unaccounted = Vec::new();
    for f in &files {
        let in_feed =
            url_of(f).is_some_and(|u| urls.contains(&u) || urls.contains(&format!("{u}/")));
        if !in_feed && !err.contains(&f.display().to_string()) {
            unaccounted.push(f.display().to_string());
        }
    }
    assert!(
        unaccounted.is_empty(),
        "neither published nor named in a warning: {unaccounted:?}"
    );
    // Releases that share a url are all published, each with its own id,
    // but for the two corrected a day later, published once, updated.
    assert_eq!(global.entries.len(), 55164, "every distinct release");
    let derived = urls.iter().filter(|id| id.contains('#')).count();
    assert_eq!(derived, 24, "later releases with a shared url get url#date");
    let updated = global
        .entries
        .iter()
        .filter(|e| e.updated != e.published)
        .count();
    assert_eq!(updated, 2, "same title a day apart: one release, updated");
    for (what, count) in [
        ("files have the url", 26),
        ("is implausible", 2),
        ("body is empty", 58),
    ] {
        assert!(
            err.matches(what).count() >= count,
            "expected at least {count} warnings with {what:?}"
        );
    }

    // Every feed is well-formed XML and parses with an independent parser.
    let tree = tree(&out);
    let mut atom_files = Vec::new();
    for (path, bytes) in &tree {
        if path.ends_with(".xml") {
            let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
            roxmltree::Document::parse(text)
                .unwrap_or_else(|e| panic!("{path} is not well-formed: {e}"));
            let feed = parse_feed(bytes);
            assert!(!feed.entries.is_empty(), "{path}");
            // The formats' reference crates read the same number of items.
            let items = if path.ends_with("atom.xml") {
                atom_files.push(out.join(path));
                atom_syndication::Feed::read_from(bytes.as_slice())
                    .unwrap_or_else(|e| panic!("{path}: {e}"))
                    .entries()
                    .len()
            } else {
                rss::Channel::read_from(bytes.as_slice())
                    .unwrap_or_else(|e| panic!("{path}: {e}"))
                    .items()
                    .len()
            };
            assert_eq!(items, feed.entries.len(), "{path}");
        }
    }
    assert!(
        tree.contains_key("ministers/jacinda-ardern/rss.xml"),
        "Rt Hon / Hon spellings fold"
    );
    assert!(
        tree.contains_key("portfolios/maori-crown-relations-te-arawhiti/rss.xml"),
        "one-key mappings are names"
    );
    assert!(
        !tree.keys().any(|p| p.contains("/hon-")),
        "no feed keeps an honorific"
    );

    validate_atom_with_jing(&atom_files);

    // A rebuild with no change writes nothing.
    let o = run(&[]);
    assert!(o.status.success());
    assert!(stdout(&o).contains(" 0 file(s) written"), "{}", stdout(&o));
}

/// With the defaults (archives on), every feed's `prev-archive` chain
/// carries exactly its releases in each format, every release is on a page
/// a person reaches by clicking from index.html, every link between pages
/// resolves, archive documents are valid Atom (jing) and parse with
/// feed-rs, and every document is within max_document_bytes.
#[test]
fn the_whole_archive_is_within_reach_by_machine_and_by_person() {
    let Some(releases) = corpus() else { return };
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("defaults.toml");
    std::fs::write(&config, "").unwrap();
    let out = work.path().join("out");
    let o = pressfeed(
        work.path(),
        &[
            "build",
            "--seeds",
            releases.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    const BASE: &str = "https://www.beehive.govt.nz/feeds/";
    let want = feed_releases(&out, BASE);
    assert!(want[""].len() > 55_000, "{}", want[""].len());
    let mut dirs = Vec::new();
    let mut stack = vec![String::new()];
    while let Some(dir) = stack.pop() {
        if out.join(&dir).join("atom.xml").is_file() {
            dirs.push(dir.clone());
        }
        for e in std::fs::read_dir(out.join(&dir)).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            if e.file_type().unwrap().is_dir() && name != "archive" && name != "history" {
                stack.push(format!("{dir}{name}/"));
            }
        }
    }
    assert_eq!(dirs.len(), want.len());
    let mut atom_archives = Vec::new();
    let budget = 1 << 20;
    for dir in &dirs {
        // Atom has archive documents by default; RSS and JSON Feed do not
        // link to any.
        for format in ["rss.xml", "feed.json"] {
            let doc = archive_doc(&std::fs::read(out.join(format!("{dir}{format}"))).unwrap());
            assert_eq!(doc.link("prev-archive"), None, "{dir}{format}");
        }
        for format in ["atom.xml"] {
            let (ids, docs) = follow_chain(&out, BASE, &format!("{dir}{format}"));
            let got: HashSet<&String> = ids.iter().collect();
            let expected: HashSet<&String> = want[dir].iter().collect();
            assert_eq!(got, expected, "{dir}{format}");
            for d in &docs {
                let len = std::fs::metadata(out.join(d)).unwrap().len();
                assert!(len <= budget, "{d}: {len} bytes");
                if format == "atom.xml" {
                    atom_archives.push(out.join(d));
                }
            }
        }
    }
    // feed-rs reads archive documents (a sample: one in twenty).
    for p in atom_archives.iter().step_by(20) {
        let bytes = std::fs::read(p).unwrap();
        let f = parse_feed(&bytes);
        assert_eq!(f.entries.len(), archive_doc(&bytes).ids.len());
    }
    validate_atom_with_jing(&atom_archives);
    let (pages, links) = crawl(&out);
    // A later release that shares its URL with another has an id of its own
    // (`URL#date`); people reach it at the one URL the two share.
    let unreachable: Vec<&String> = want[""]
        .iter()
        .filter(|r| !links.contains(r.split('#').next().unwrap_or(r)))
        .collect();
    assert!(
        unreachable.is_empty(),
        "{} releases on no page reachable from index.html: {:?}",
        unreachable.len(),
        &unreachable[..unreachable.len().min(5)]
    );
    eprintln!("{} pages reached from index.html", pages.len());
}

/// Validates Atom files against RFC 4287's RELAX NG schema with jing, when
/// jing is installed (`.ci/run` installs it).
fn validate_atom_with_jing(files: &[PathBuf]) {
    let schema = root().join("../shared/schemas/atom.rnc");
    if Command::new("jing").arg("-h").output().is_err() {
        eprintln!("skipping the Atom schema check: jing is not installed (apt-get install jing)");
        return;
    }
    for chunk in files.chunks(200) {
        let o = Command::new("jing")
            .arg("-c")
            .arg(&schema)
            .args(chunk)
            .output()
            .expect("run jing");
        assert!(
            o.status.success(),
            "jing rejects Atom output:\n{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

/// Whether a diagnostic is `check`'s word on a minister or portfolio name.
fn about_names(message: &str) -> bool {
    ["unlikely to be a", "are probably one", "YAML reads as"]
        .iter()
        .any(|m| message.contains(m))
}

fn check_archive(
    releases: &Path,
    config: &Path,
) -> (pressfeed::Checked, pressfeed::site::group::Site) {
    let options = pressfeed::Options {
        seeds: releases.to_path_buf(),
        config: config.to_path_buf(),
        config_required: true,
        ..Default::default()
    };
    let (checked, site, _) = pressfeed::check(&options, &pressfeed::NoProgress).unwrap();
    (checked, site)
}

/// With the repository's pressfeed.toml, `check` says nothing about names,
/// and the archive publishes feeds only for real people and portfolios, one
/// per person.
#[test]
fn the_shipped_config_resolves_every_name_of_the_archive() {
    use pressfeed::input::names::{self, NameKind};
    let Some(releases) = corpus() else { return };
    let shipped = root().join("pressfeed.toml");
    let config = pressfeed::config::Config::load(&shipped, true).unwrap();
    let (checked, site) = check_archive(&releases, &shipped);
    let said: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| about_names(&d.message))
        .map(|d| d.to_string())
        .collect();
    assert!(said.is_empty(), "check is clean about names: {said:#?}");
    let slugs = |kind: &str| -> Vec<&str> {
        site.feeds
            .iter()
            .filter(|f| f.kind.id == kind)
            .map(|f| f.slug.as_str())
            .collect()
    };
    let (ministers, portfolios) = (slugs("ministers"), slugs("portfolios"));
    // 219 minister and 232 portfolio feeds before this config and the
    // folding of titles and post-nominals.
    assert_eq!((ministers.len(), portfolios.len()), (192, 227));
    for f in site.feeds.iter().filter(|f| f.kind.id == "ministers") {
        assert_eq!(
            names::looks_like_junk(&f.name, NameKind::Person),
            None,
            "{}",
            f.name
        );
    }
    let (_, taxonomy) = config.taxonomy("ministers").unwrap();
    for d in &taxonomy.rules.drop {
        let slug = names::slug(&names::clean_term(d, taxonomy));
        assert!(!ministers.contains(&slug.as_str()), "{d:?} has a feed");
    }
    for one in [
        "judith-collins",
        "lockwood-smith",
        "nick-smith",
        "jacinda-ardern",
    ] {
        assert!(ministers.contains(&one), "{one}");
    }
    for split in ["judith-collins-kc", "dr-lockwood-smith", "nik-smith"] {
        assert!(!ministers.contains(&split), "{split} is its own feed");
    }
    assert!(
        !ministers.iter().any(|m| m.starts_with("dr-")),
        "{ministers:?}"
    );
    assert!(portfolios.contains(&"nz-security-intelligence-service"));
    for merged in ["nzsis", "nz-security-service", "crown"] {
        assert!(!portfolios.contains(&merged), "{merged}");
    }
    assert_eq!(site.releases.len(), 55164, "every distinct release");
}

/// Without the config's clean-up, `check` flags every name the shipped
/// config drops and almost nothing else (its measured precision, in the
/// README), and reports exactly the pairs the config merges.
#[test]
fn the_detector_flags_every_non_person_and_few_real_ministers() {
    use pressfeed::input::names;
    let Some(releases) = corpus() else { return };
    let shipped = pressfeed::config::Config::load(&root().join("pressfeed.toml"), true).unwrap();
    let (_, ministers) = shipped.taxonomy("ministers").unwrap();
    let work = tempfile::tempdir().unwrap();
    let empty = work.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let (checked, _) = check_archive(&releases, &empty);
    let flagged = |what: &str| -> HashSet<String> {
        let prefix = format!("{what} \"");
        checked
            .diagnostics
            .iter()
            .filter(|d| d.message.contains(&format!("unlikely to be a {what}")))
            .filter_map(|d| {
                let rest = d.message.strip_prefix(&prefix)?;
                let end = rest.find("\" ")?;
                Some(names::slug(&names::clean_term(&rest[..end], ministers)))
            })
            .collect()
    };
    let dropped: HashSet<String> = ministers
        .rules
        .drop
        .iter()
        .map(|d| names::slug(&names::clean_term(d, ministers)))
        .collect();
    let ministers = flagged("minister");
    let missed: Vec<&String> = dropped.difference(&ministers).collect();
    assert!(
        missed.is_empty(),
        "non-person names not flagged: {missed:?}"
    );
    let others: HashSet<&str> = ministers.difference(&dropped).map(String::as_str).collect();
    assert_eq!(
        others,
        HashSet::from(["nik-smith", "phillida-bunkle"]),
        "a misspelling (merged by an alias) and one real minister (in keep)"
    );
    assert_eq!(dropped.len(), 42);
    let portfolios = flagged("portfolio");
    assert_eq!(portfolios.len(), 2, "{portfolios:?}");
    assert!(portfolios.contains("crown"));
    let pairs: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("are probably one"))
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(pairs.len(), 3, "{pairs:#?}");
    for alias in [
        "\"Nik Smith\" = \"Nick Smith\"",
        "\"Radio New Zealand\" = \"Radio New Zealand Ltd\"",
        "\"Associate Minister of the Environment\" = \"Associate Minister for the Environment\"",
    ] {
        assert!(
            checked
                .diagnostics
                .iter()
                .any(|d| d.hint.as_deref().is_some_and(|h| h.contains(alias))),
            "{alias}"
        );
    }
}

/// On the whole archive with the repository's configuration: after a new
/// release and a correction to an old one, an incremental build reads two
/// seeds and publishes exactly what a full build into a new folder does.
#[test]
fn an_incremental_build_of_the_archive_is_a_full_build() {
    let Some(releases) = corpus() else { return };
    let work = tempfile::tempdir().unwrap();
    // A copy of hard links: the unpacked archive itself is never changed
    // (every change below writes a new file and renames it into place).
    let seeds = work.path().join("seeds");
    let status = Command::new("cp")
        .arg("-al")
        .arg(&releases)
        .arg(&seeds)
        .status()
        .expect("run cp");
    assert!(status.success());
    // A link's change time is when it was made: a seed linked less than a
    // tenth of a second before the build reads it is read again by the
    // next build (see `state::racy`), which would count more reads than
    // the two below on a busy machine.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let config = root().join("pressfeed.toml");
    let build = |out: &Path, extra: &[&str]| {
        let mut a = vec![
            "build",
            "--seeds",
            seeds.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--no-ping",
            "--now",
            "2026-12-05T00:00:00Z",
        ];
        a.extend_from_slice(extra);
        let o = pressfeed(work.path(), &a);
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    let out = work.path().join("out");
    build(&out, &[]);
    // A new release, and a correction to one from 2005.
    let put = |path: &Path, text: &str| {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    };
    std::fs::create_dir_all(seeds.join("2026/12")).unwrap();
    put(
        &seeds.join("2026/12/2026-12-04-a-new-release.md"),
        "---\ntitle: \"A new release\"\ndate: 2026-12-04\nurl: https://www.beehive.govt.nz/release/a-new-release\nministers:\n  - Hon Nicola Willis\nportfolios:\n  - Finance\n---\n\nThe text of a new release.\n",
    );
    let old = seed_files(&seeds.join("2005"))[100].clone();
    let text = std::fs::read_to_string(&old).unwrap();
    put(&old, &text.replacen(" the ", " the corrected ", 1));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let o = build(&out, &["--timings"]);
    let summary = stdout(&o);
    assert!(summary.contains("read 2 of 55168 file(s)"), "{summary}");
    // Both put into the site the last build grouped, not grouped again
    // (see `site::regroup`).
    let timings = stderr(&o);
    assert!(
        timings.contains("timing: adding") && !timings.contains("timing: grouping"),
        "{timings}"
    );
    let full = work.path().join("full");
    let f = build(&full, &["--no-cache"]);
    // The same warnings, once the timings and the summary's clock are set
    // aside.
    let warnings = |text: String| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("timing:"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(warnings(stderr(&o)), warnings(stderr(&f)));
    // Compared file by file (the two folders hold about 900 MB).
    let diff = Command::new("diff")
        .args(["-rq", "--exclude=.*"])
        .arg(&out)
        .arg(&full)
        .output()
        .expect("run diff");
    assert!(
        diff.status.success(),
        "files differ:\n{}",
        String::from_utf8_lossy(&diff.stdout)
    );
}
