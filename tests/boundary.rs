//! The output folder is a boundary: pressfeed never writes, renames or
//! removes through a symbolic link planted in it, never replaces or deletes
//! a file it did not write (whatever its manifest says), and a damaged
//! manifest never blocks a run. Each test runs the binary on a small site
//! made here; the property tests plant random trees and random manifests.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Output;

use common::*;
use proptest::prelude::*;

const MANIFEST: &str = ".pressfeed-manifest";

fn release(n: usize, minister: &str) -> String {
    format!(
        "---\ntitle: \"Release {n}\"\ndate: 2024-03-{:02}\nurl: https://example.govt.nz/release/{n}\nministers:\n  - {minister}\nportfolios:\n  - Finance\n---\n\nRelease {n} says something.\n",
        1 + n % 28
    )
}

/// A site folder: `seeds/` with releases by Jane Doe and John Roe.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("seeds")).unwrap();
    seed(dir.path(), "a.md", &release(1, "Hon Jane Doe"));
    seed(dir.path(), "b.md", &release(2, "Hon John Roe"));
    dir
}

fn seed(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join("seeds").join(name), text).unwrap();
}

fn build(dir: &Path) -> Output {
    pressfeed(
        dir,
        &["build", "--seeds", "seeds", "--out", "out", "--no-cache"],
    )
}

fn build_ok(dir: &Path) -> Output {
    let o = build(dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    o
}

/// What a folder holds, links not followed: each path with its kind and
/// contents (a link's target, a file's bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir,
    File(Vec<u8>),
    Link(std::path::PathBuf),
}

fn snapshot(root: &Path) -> BTreeMap<String, Node> {
    let mut all = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = fs::symlink_metadata(&path).unwrap();
            let node = if meta.file_type().is_symlink() {
                Node::Link(fs::read_link(&path).unwrap())
            } else if meta.is_dir() {
                stack.push(path.clone());
                Node::Dir
            } else {
                Node::File(fs::read(&path).unwrap())
            };
            all.insert(rel, node);
        }
    }
    all
}

/// A folder of the user's own files, outside the output folder.
fn users_folder(dir: &Path) -> std::path::PathBuf {
    let user = dir.join("user");
    fs::create_dir_all(user.join("sub")).unwrap();
    for f in [
        "rss.xml",
        "atom.xml",
        "feed.json",
        "index.html",
        "sub/keep.txt",
    ] {
        fs::write(user.join(f), format!("the user's own {f}\n")).unwrap();
    }
    user
}

#[test]
fn a_link_planted_before_the_first_build_is_not_written_through() {
    let dir = site();
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::create_dir(dir.path().join("out")).unwrap();
    symlink(&elsewhere, dir.path().join("out/ministers")).unwrap();

    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("ministers (a symbolic link)"),
        "the error names the link: {}",
        stderr(&o)
    );
    assert_eq!(
        snapshot(&elsewhere),
        BTreeMap::new(),
        "written through the link"
    );
    // Nothing was published: only the planted link is in the folder.
    let out = snapshot(&dir.path().join("out"));
    assert_eq!(out.len(), 1, "{out:?}");
}

#[test]
fn a_feed_folder_swapped_for_a_link_is_neither_overwritten_nor_emptied() {
    let dir = site();
    build_ok(dir.path());
    let user = users_folder(dir.path());
    let before = snapshot(&user);
    let feed = dir.path().join("out/ministers/john-roe");
    fs::remove_dir_all(&feed).unwrap();
    symlink(&user, &feed).unwrap();

    // A change that rewrites John Roe's feed: refused, nothing written.
    seed(dir.path(), "c.md", &release(3, "Hon John Roe"));
    let out_before = snapshot(&dir.path().join("out"));
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("ministers/john-roe (a symbolic link)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(snapshot(&user), before, "the user's files were changed");
    assert_eq!(
        snapshot(&dir.path().join("out")),
        out_before,
        "something was published"
    );

    // His feed goes away: its files are behind the link, so they are left
    // alone (with a warning), and the rest of the site is published.
    fs::remove_file(dir.path().join("seeds/b.md")).unwrap();
    fs::remove_file(dir.path().join("seeds/c.md")).unwrap();
    let o = build_ok(dir.path());
    assert!(
        stderr(&o).contains("ministers/john-roe/rss.xml (behind a link or file)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(snapshot(&user), before, "the user's files were deleted");
    assert!(
        fs::symlink_metadata(&feed)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_manifest_line_naming_a_file_pressfeed_never_writes_is_not_trusted() {
    let dir = site();
    build_ok(dir.path());
    let out = dir.path().join("out");
    fs::write(out.join("robots.txt"), "User-agent: *\n").unwrap();
    fs::write(out.join("about.html"), "<p>the team's own page</p>\n").unwrap();
    let user = users_folder(dir.path());
    symlink(&user, out.join("linked")).unwrap();
    let mut manifest = fs::read_to_string(out.join(MANIFEST)).unwrap();
    let zeros = "0".repeat(64);
    manifest.push_str("robots.txt\n");
    manifest.push_str(&format!("robots.txt 15 {zeros}\n"));
    // A path pressfeed could write, but not the file it wrote there.
    manifest.push_str(&format!("about.html 29 {zeros}\n"));
    manifest.push_str(&format!("linked/index.html 27 {zeros}\n"));
    manifest.push_str(&format!("ministers/../robots.txt 15 {zeros}\n"));
    fs::write(out.join(MANIFEST), manifest).unwrap();
    let user_before = snapshot(&user);

    let o = build_ok(dir.path());
    assert!(stderr(&o).contains("warning"), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(out.join("robots.txt")).unwrap(),
        "User-agent: *\n"
    );
    assert!(out.join("about.html").is_file(), "about.html was deleted");
    assert_eq!(snapshot(&user), user_before);
    assert!(stdout(&o).contains(" 0 removed"), "{}", stdout(&o));
    // The manifest no longer lists them.
    let manifest = fs::read_to_string(out.join(MANIFEST)).unwrap();
    for gone in ["robots.txt", "about.html", "linked/"] {
        assert!(!manifest.contains(gone), "{gone} still listed:\n{manifest}");
    }
}

#[test]
fn a_corrupt_manifest_is_reported_and_rebuilt_never_blocking_later_runs() {
    let dir = site();
    build_ok(dir.path());
    let out = dir.path().join("out");
    fs::create_dir(out.join("folder.xml")).unwrap();
    let mut bytes = fs::read(out.join(MANIFEST)).unwrap();
    bytes.extend_from_slice(b"rss.xml\0 1 2\n\xff\xfe/atom.xml\nfolder.xml\n");
    bytes.extend_from_slice(format!("{}.xml\n", "a".repeat(300)).as_bytes());
    fs::write(out.join(MANIFEST), &bytes).unwrap();

    let o = build_ok(dir.path());
    assert!(stderr(&o).contains(".pressfeed-manifest"), "{}", stderr(&o));
    assert!(out.join("folder.xml").is_dir());
    // Rebuilt: the next run has nothing to report and nothing to do.
    let o = build_ok(dir.path());
    assert!(!stderr(&o).contains("manifest"), "{}", stderr(&o));
    assert!(stdout(&o).contains(" 0 file(s) written"), "{}", stdout(&o));
}

#[test]
fn a_published_file_edited_by_hand_is_not_replaced() {
    let dir = site();
    build_ok(dir.path());
    let page = dir.path().join("out/index.html");
    fs::write(&page, "<p>edited by hand</p>\n").unwrap();
    seed(dir.path(), "c.md", &release(3, "Hon Jane Doe"));
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("index.html"), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(&page).unwrap(),
        "<p>edited by hand</p>\n"
    );
    assert!(
        tree(&dir.path().join("out"))
            .keys()
            .all(|p| !p.ends_with(".pressfeed-tmp"))
    );
}

/// A manifest of the first format (one path a line) is read, and replaced
/// by one with sizes and hashes, without a rebuild touching any file.
#[test]
fn a_manifest_of_the_first_format_is_upgraded() {
    let dir = site();
    build_ok(dir.path());
    let out = dir.path().join("out");
    let paths: String = fs::read_to_string(out.join(MANIFEST))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{}\n", l.split(' ').next().unwrap()))
        .collect();
    fs::write(
        out.join(MANIFEST),
        format!("# Files written by pressfeed.\n{paths}"),
    )
    .unwrap();
    let o = build_ok(dir.path());
    assert!(stdout(&o).contains(" 0 file(s) written"), "{}", stdout(&o));
    assert!(
        fs::read_to_string(out.join(MANIFEST))
            .unwrap()
            .starts_with("# pressfeed manifest 2\n")
    );
    // A stale path it lists is still removed.
    fs::remove_file(dir.path().join("seeds/b.md")).unwrap();
    let o = build_ok(dir.path());
    assert!(
        !out.join("ministers/john-roe/rss.xml").exists(),
        "{}",
        stdout(&o)
    );
}

/// Whether a folder on the way to `rel` below `root` is a link (or a file).
fn through_link(root: &Path, rel: &str) -> bool {
    let mut path = root.to_path_buf();
    let names: Vec<&str> = rel.split('/').collect();
    for name in &names[..names.len() - 1] {
        path.push(name);
        match fs::symlink_metadata(&path) {
            Ok(m) if !m.is_dir() => return true,
            _ => {}
        }
    }
    false
}

/// One planted entry: where (below the output folder) and what.
#[derive(Debug, Clone)]
enum Plant {
    File(String),
    Dir(String),
    /// A link to the user's folder outside, or to a file in it.
    LinkOut(String, bool),
    /// A link to another place inside the output folder.
    LinkIn(String, String),
}

fn place() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "ministers",
        "portfolios",
        "jane-doe",
        "john-roe",
        "finance",
        "rss.xml",
        "atom.xml",
        "feed.json",
        "index.html",
        "feeds.opml",
        "archive",
        "history",
    ]);
    prop::collection::vec(names, 1..4).prop_map(|v| v.join("/"))
}

fn plant() -> impl Strategy<Value = Plant> {
    prop_oneof![
        place().prop_map(Plant::File),
        place().prop_map(Plant::Dir),
        (place(), any::<bool>()).prop_map(|(p, dir)| Plant::LinkOut(p, dir)),
        (place(), place()).prop_map(|(p, t)| Plant::LinkIn(p, t)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever is planted in the output folder (before the first build or
    /// after it), a build never changes a planted entry or anything outside
    /// the folder: it publishes (exit 0) or refuses with exit 3 and
    /// publishes nothing.
    #[test]
    fn planted_links_files_and_folders_are_never_written_through_or_removed(
        plants in prop::collection::vec(plant(), 1..6),
        first_build in any::<bool>(),
    ) {
        let dir = site();
        let user = users_folder(dir.path());
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        if first_build {
            build_ok(dir.path());
        }
        let mut planted = Vec::new();
        for p in &plants {
            let rel = match p {
                Plant::File(r) | Plant::Dir(r) | Plant::LinkOut(r, _) | Plant::LinkIn(r, _) => r,
            };
            // Planted in place of whatever is there (a feed's folder swapped
            // for a link, a feed for a file), but never through a link.
            if through_link(&out, rel) {
                continue;
            }
            let path = out.join(rel);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => fs::remove_dir_all(&path).unwrap(),
                Ok(_) => fs::remove_file(&path).unwrap(),
                Err(_) => {}
            }
            let (rel, made) = match p {
                Plant::File(rel) => {
                    let path = out.join(rel);
                    let ok = path.parent().is_some_and(|d| fs::create_dir_all(d).is_ok())
                        && fs::symlink_metadata(&path).is_err()
                        && fs::write(&path, b"planted\n").is_ok();
                    (rel, ok)
                }
                Plant::Dir(rel) => (rel, fs::symlink_metadata(out.join(rel)).is_err()
                    && fs::create_dir_all(out.join(rel)).is_ok()),
                Plant::LinkOut(rel, to_dir) => {
                    let path = out.join(rel);
                    let target = match to_dir { true => user.clone(), false => user.join("rss.xml") };
                    (rel, path.parent().is_some_and(|d| fs::create_dir_all(d).is_ok())
                        && fs::symlink_metadata(&path).is_err()
                        && symlink(target, &path).is_ok())
                }
                Plant::LinkIn(rel, to) => {
                    let path = out.join(rel);
                    (rel, path.parent().is_some_and(|d| fs::create_dir_all(d).is_ok())
                        && fs::symlink_metadata(&path).is_err()
                        && symlink(out.join(to), &path).is_ok())
                }
            };
            if made {
                planted.push(rel.clone());
            }
        }
        // What was planted, as it is now (links not followed).
        let everything = snapshot(&out);
        let kept: BTreeMap<String, Node> = everything
            .iter()
            .filter(|(p, n)| planted.iter().any(|r| *p == r) && !matches!(n, Node::Dir))
            .map(|(p, n)| (p.clone(), n.clone()))
            .collect();
        let user_before = snapshot(&user);
        seed(dir.path(), "c.md", &release(3, "Hon Jane Doe"));
        let o = build(dir.path());
        let code = o.status.code();
        prop_assert!(code == Some(0) || code == Some(3), "{:?}: {}", code, stderr(&o));
        prop_assert_eq!(snapshot(&user), user_before, "outside the folder changed");
        let after = snapshot(&out);
        for (p, n) in &kept {
            prop_assert_eq!(after.get(p), Some(n), "{} changed", p);
        }
        if code == Some(3) {
            prop_assert_eq!(&after, &everything, "a refused build changed the folder");
        }
        prop_assert!(after.keys().all(|p| !p.ends_with(".pressfeed-tmp")));
    }

    /// Any bytes appended to the manifest: the run publishes (exit 0),
    /// files pressfeed did not write survive, and the next run is clean.
    #[test]
    fn random_manifest_lines_never_block_a_run_or_remove_a_foreign_file(
        lines in prop::collection::vec(
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..80),
                (place(), 0u64..100, "[0-9a-f]{64}")
                    .prop_map(|(p, n, h)| format!("{p} {n} {h}").into_bytes()),
                place().prop_map(String::into_bytes),
            ],
            1..8,
        ),
    ) {
        let dir = site();
        build_ok(dir.path());
        let out = dir.path().join("out");
        fs::write(out.join("robots.txt"), "mine\n").unwrap();
        fs::create_dir_all(out.join("custom")).unwrap();
        fs::write(out.join("custom/index.html"), "mine too\n").unwrap();
        let mut bytes = fs::read(out.join(MANIFEST)).unwrap();
        for l in &lines {
            bytes.extend_from_slice(l);
            bytes.push(b'\n');
        }
        fs::write(out.join(MANIFEST), &bytes).unwrap();
        fs::remove_file(dir.path().join("seeds/b.md")).unwrap();
        let o = build(dir.path());
        prop_assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        prop_assert_eq!(fs::read_to_string(out.join("robots.txt")).unwrap(), "mine\n");
        prop_assert_eq!(fs::read_to_string(out.join("custom/index.html")).unwrap(), "mine too\n");
        let o = build(dir.path());
        prop_assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        prop_assert!(stdout(&o).contains(" 0 file(s) written"), "{}", stdout(&o));
    }
}

/// Every file under `dir` (links not followed) but pressfeed's hidden state
/// (the manifest, the pings owed to hubs).
fn published(dir: &Path) -> BTreeMap<String, Node> {
    snapshot(dir)
        .into_iter()
        .filter(|(p, n)| !p.starts_with(".pressfeed-") && !matches!(n, Node::Dir))
        .collect()
}

/// A signal sent while a large build renames its files into place: the
/// batch is finished, no temporary file is left, the site is the new one,
/// the documents that changed are kept for the hubs, and the run exits with
/// 128 + the signal's number.
#[cfg(target_os = "linux")]
#[test]
fn sigterm_and_sigint_during_the_renames_leave_a_consistent_site_and_the_pings_owed() {
    for (signal, number, code) in [("TERM", libc::SIGTERM, 143), ("INT", libc::SIGINT, 130)] {
        let dir = tempfile::tempdir().unwrap();
        let seeds = dir.path().join("seeds");
        fs::create_dir(&seeds).unwrap();
        for n in 0..800 {
            let text = release(n, &format!("Hon Person {}", n % 200));
            fs::write(seeds.join(format!("r{n}.md")), text).unwrap();
        }
        let config = |title: &str| {
            fs::write(
                dir.path().join("pressfeed.toml"),
                format!("title = \"{title}\"\nbase_url = \"https://example.govt.nz/feeds/\"\nhubs = [\"http://127.0.0.1:9/hub\"]\n"),
            )
            .unwrap();
        };
        let cache = dir.path().join(".cache");
        let cmd = |out: &str| {
            let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"));
            c.args([
                "build",
                "--seeds",
                "seeds",
                "--out",
                out,
                "--no-cache",
                "--no-ping",
                "-q",
            ])
            .current_dir(dir.path())
            .env("XDG_CACHE_HOME", &cache)
            .env_remove("PRESSFEED_TEST_FAIL_AFTER");
            c
        };
        // What the hubs are owed, from the output folder's store.
        let pings = || -> Vec<String> {
            let Ok(bytes) = fs::read(dir.path().join("out/.pressfeed-pings")) else {
                return Vec::new();
            };
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let mut urls = Vec::new();
            for hub in v["hubs"].as_object().unwrap().values() {
                urls.extend(
                    hub["urls"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|u| u.as_str().unwrap().to_string()),
                );
            }
            urls.sort();
            urls
        };
        config("Old title");
        assert!(cmd("out").status().unwrap().success());
        // Only what the interrupted run changes is owed.
        fs::remove_file(dir.path().join("out/.pressfeed-pings")).unwrap();
        config("New title");
        assert!(cmd("want").status().unwrap().success());
        let want = published(&dir.path().join("want"));
        // Every subscription document changes with the title.
        let owed: Vec<String> = want
            .keys()
            .filter(|p| {
                ["atom.xml", "rss.xml", "feed.json"]
                    .iter()
                    .any(|f| p.ends_with(f))
                    && !p.contains("archive/")
            })
            .map(|p| format!("https://example.govt.nz/feeds/{p}"))
            .collect();
        assert!(owed.len() > 600, "{}", owed.len());

        let out = dir.path().join("out");
        let manifest_before = fs::read(out.join(MANIFEST)).unwrap();
        let mut child = cmd("out")
            .env("PRESSFEED_TEST_RENAME_PAUSE_MS", "1")
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        // The manifest changes just before the renames start.
        while fs::read(out.join(MANIFEST)).unwrap() == manifest_before {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the run ended before renaming"
            );
            assert!(
                start.elapsed() < std::time::Duration::from_secs(120),
                "no renames"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        // (Read file by file: the folder changes while it is read.)
        let renamed = want
            .iter()
            .filter(|(p, n)| fs::read(out.join(p)).ok().map(Node::File).as_ref() == Some(*n))
            .count();
        assert!(
            renamed < want.len(),
            "{signal}: the renames were over before the signal"
        );
        // SAFETY: kill only reads its two integer arguments; the child is
        // ours and not yet waited for, so its id is not reused.
        let sent = unsafe { libc::kill(child.id() as libc::pid_t, number) };
        assert_eq!(sent, 0, "kill -{signal}");
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "SIG{signal}");
        let got = published(&out);
        let temps: Vec<&String> = got
            .keys()
            .filter(|p| p.ends_with(".pressfeed-tmp"))
            .collect();
        assert!(
            temps.is_empty(),
            "SIG{signal} left {} temporary files",
            temps.len()
        );
        assert!(got == want, "SIG{signal}: the site is not the new one");
        assert_eq!(pings(), owed, "SIG{signal}: the documents owed to the hub");
        // The next run has nothing left to write, and still owes the hub.
        let o = cmd("out").output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(published(&out), want);
        assert_eq!(pings(), owed);
    }
}

/// A published file replaced by hand (other bytes of the same size, its
/// modification time set back) is not taken for pressfeed's: the next
/// build is not skipped as up to date, and the boundary then refuses to
/// write over it, naming it; a published file swapped for a link likewise.
#[test]
fn a_published_file_replaced_by_hand_is_not_taken_for_up_to_date() {
    let dir = site();
    let cached = |dir: &Path| pressfeed(dir, &["build", "--seeds", "seeds", "--out", "out"]);
    let o = cached(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = cached(dir.path());
    assert!(
        stdout(&o).contains("nothing changed since the last build"),
        "{}",
        stdout(&o)
    );
    let feed = dir.path().join("out/rss.xml");
    let bytes = fs::read(&feed).unwrap();
    let modified = fs::metadata(&feed).unwrap().modified().unwrap();
    let mut tampered = bytes.clone();
    let at = tampered.len() / 2;
    tampered[at] = if tampered[at] == b'x' { b'y' } else { b'x' };
    // Replaced by another file (a new inode), as `cp` or `rsync` would.
    let staged = dir.path().join("staged");
    fs::write(&staged, &tampered).unwrap();
    fs::File::options()
        .write(true)
        .open(&staged)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    fs::rename(&staged, &feed).unwrap();
    assert_eq!(fs::metadata(&feed).unwrap().len(), bytes.len() as u64);
    assert_eq!(fs::metadata(&feed).unwrap().modified().unwrap(), modified);
    let o = cached(dir.path());
    assert!(
        !stdout(&o).contains("nothing changed"),
        "a replaced file was taken for up to date: {}",
        stdout(&o)
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("rss.xml"), "{}", stderr(&o));
    assert_eq!(fs::read(&feed).unwrap(), tampered);

    // Put back as pressfeed wrote it: the next run is a full one (the
    // record was dropped) and finds everything in place.
    fs::write(&feed, &bytes).unwrap();
    build_ok(dir.path());
    let o = cached(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A file swapped for a link to a copy of itself is not pressfeed's.
    let copy = dir.path().join("copy.xml");
    fs::copy(&feed, &copy).unwrap();
    fs::remove_file(&feed).unwrap();
    symlink(&copy, &feed).unwrap();
    let o = cached(dir.path());
    assert!(!stdout(&o).contains("nothing changed"), "{}", stdout(&o));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("rss.xml"), "{}", stderr(&o));
    assert_eq!(fs::read_link(&feed).unwrap(), copy);
}
