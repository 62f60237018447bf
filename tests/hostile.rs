//! Hostile and odd input: pressfeed runs unattended, so no seed folder may
//! make a run panic, hang, walk forever or leave debris behind. One test per
//! kind of input, each on a small folder made here.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A run that has not ended after this long is taken to hang (the test
/// kills it and fails). A guard against hangs, not a timing target.
const HANG: Duration = Duration::from_secs(120);

/// A seed with these front matter lines and body.
fn seed(front: &str, body: &str) -> String {
    format!("---\n{front}\n---\n\n{body}\n")
}

fn good_seed(n: usize) -> String {
    seed(
        &format!(
            "title: \"Release {n}\"\ndate: 2024-03-0{}\nurl: https://example.govt.nz/release/{n}\nministers:\n  - Jane Doe\nportfolios:\n  - Finance",
            1 + n % 9
        ),
        &format!("Release {n} says something."),
    )
}

/// A temporary site: `seeds/` with `files`, and a cache folder of its own.
fn site(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds");
    std::fs::create_dir(&seeds).unwrap();
    for (name, text) in files {
        let path = seeds.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Runs pressfeed in `dir` with `args`, killing it (and failing) if it has
/// not ended within [`HANG`].
fn run(dir: &Path, args: &[&str]) -> Output {
    run_env(dir, args, &[])
}

fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env_remove("PRESSFEED_TEST_FAIL_AFTER")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pressfeed");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > HANG {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!(
                "pressfeed {args:?} did not end within {HANG:?}; stderr:\n{}",
                stderr(&o)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    assert!(
        !stderr(&o).contains("panicked"),
        "pressfeed {args:?} panicked:\n{}",
        stderr(&o)
    );
    o
}

fn check(dir: &Path) -> Output {
    check_with(dir, &[])
}

/// Runs `check` on `seeds` with the `extra` arguments.
fn check_with(dir: &Path, extra: &[&str]) -> Output {
    run(dir, &[&["check", "--seeds", "seeds"], extra].concat())
}

/// The arguments of a build of `seeds` into `out`, then `extra`.
fn build_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    [&["build", "--seeds", "seeds", "--out", "out"], extra].concat()
}

fn build(dir: &Path) -> Output {
    build_with(dir, &[])
}

/// Runs a build of `seeds` into `out` with the `extra` arguments.
fn build_with(dir: &Path, extra: &[&str]) -> Output {
    run(dir, &build_args(extra))
}

/// Every file under `dir` whose name marks it as a temporary file.
fn temp_files(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_keys()
        .filter(|p| p.ends_with(".pressfeed-tmp"))
        .collect()
}

#[test]
fn dates_no_format_can_carry_are_errors_in_check_and_build_alike() {
    // The last two are in range in their own offset, not in UTC.
    for date in [
        "-0001-01-01",
        "+12345-06-07",
        "0000-01-01",
        "9999-12-31T23:00:00-05:00",
    ] {
        let dir = site(&[
            ("good.md", good_seed(1)),
            (
                "far.md",
                seed(
                    &format!("title: \"Far\"\ndate: {date}\nurl: https://example.govt.nz/far"),
                    "Body.",
                ),
            ),
        ]);
        for o in [check(dir.path()), build(dir.path())] {
            assert_eq!(o.status.code(), Some(1), "{date}: {}", stderr(&o));
            let err = stderr(&o);
            assert!(
                err.contains("seeds/far.md:3:7: error: date")
                    && err.contains("outside the years 0000 to 9999"),
                "{date}: {err}"
            );
            assert!(err.contains("hint: write a four-digit year"), "{err}");
        }
        assert!(!dir.path().join("out").exists(), "nothing was written");
    }
    // Year 0 in the zone's own time is still representable, and published.
    let dir = site(&[(
        "zero.md",
        seed(
            "title: \"Zero\"\ndate: 0001-01-01\nurl: https://example.govt.nz/zero",
            "Body.",
        ),
    )]);
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    parse_feed(&std::fs::read(dir.path().join("out/rss.xml")).unwrap());
}

#[cfg(unix)]
#[test]
fn a_named_pipe_among_the_seeds_is_skipped_not_waited_on() {
    let dir = site(&[("good.md", good_seed(1))]);
    let fifo = dir.path().join("seeds/x.md");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for o in [check(dir.path()), build(dir.path())] {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("seeds/x.md: warning: a named pipe (FIFO) is not a regular file; skipped"),
            "{err}"
        );
        assert!(err.contains("hint:"), "{err}");
    }
    assert!(stdout(&build(dir.path())).contains("1 release(s)"));
}

#[cfg(unix)]
#[test]
fn links_are_never_followed_loops_are_reported_and_each_file_is_read_once() {
    use std::os::unix::fs::symlink;
    let dir = site(&[("good.md", good_seed(1)), ("2024/other.md", good_seed(2))]);
    let seeds = dir.path().join("seeds");
    symlink(".", seeds.join("a")).unwrap();
    symlink(".", seeds.join("b")).unwrap();
    symlink("..", seeds.join("2024/up")).unwrap();
    // A second way to the same folder and to the same file.
    symlink("2024", seeds.join("latest")).unwrap();
    symlink("good.md", seeds.join("same.md")).unwrap();
    let o = check(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    for link in ["seeds/a", "seeds/b", "seeds/2024/up"] {
        assert!(
            err.contains(&format!("{link}: warning: symbolic link leads back to"))
                && err.contains("a folder it is inside; not followed"),
            "{link}: {err}"
        );
    }
    assert!(
        stdout(&o).contains("checked 2 file(s): 2 release(s)"),
        "{}",
        stdout(&o)
    );
    assert!(!err.contains("same url"), "no file read twice: {err}");
}

#[cfg(unix)]
#[test]
fn links_out_of_the_seeds_folder_are_not_followed() {
    use std::os::unix::fs::symlink;
    let dir = site(&[("good.md", good_seed(1))]);
    let outside = dir.path().join("elsewhere");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.md"), good_seed(9)).unwrap();
    symlink(&outside, dir.path().join("seeds/elsewhere")).unwrap();
    symlink("/etc/passwd", dir.path().join("seeds/passwd.md")).unwrap();
    symlink("../nowhere.md", dir.path().join("seeds/broken.md")).unwrap();
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("seeds/elsewhere: warning: symbolic link points outside the seeds folder"),
        "{err}"
    );
    assert!(
        err.contains("seeds/passwd.md: warning: symbolic link points outside the seeds folder (to /etc/passwd)"),
        "{err}"
    );
    assert!(
        err.contains("seeds/broken.md: warning: broken symbolic link"),
        "{err}"
    );
    assert!(stdout(&o).contains("read 1 file(s)"), "{}", stdout(&o));
    let rss = std::fs::read_to_string(dir.path().join("out/rss.xml")).unwrap();
    assert!(
        !rss.contains("release/9") && !rss.contains("root:"),
        "{rss}"
    );
}

#[test]
fn deeply_nested_raw_html_is_flattened_with_a_warning() {
    let n = 100_000;
    let body = format!("{}deep text{}", "<div>".repeat(n), "</div>".repeat(n));
    let dir = site(&[(
        "deep.md",
        seed(
            "title: \"Deep\"\ndate: 2024-01-01\nurl: https://example.govt.nz/deep",
            &body,
        ),
    )]);
    for o in [check(dir.path()), build(dir.path())] {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(
                "seeds/deep.md:6: warning: raw HTML in the body nests 100000 levels deep"
            ),
            "{}",
            stderr(&o)
        );
    }
    let feed = parse_feed(&std::fs::read(dir.path().join("out/atom.xml")).unwrap());
    let content = feed.entries[0]
        .content
        .as_ref()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert!(
        content.contains("deep text") && !content.contains("<div"),
        "{content}"
    );
}

#[test]
fn many_unknown_keys_are_counted_not_each_reported() {
    let keys: String = (0..100_000).map(|i| format!("key{i}: x\n")).collect();
    let dir = site(&[(
        "keys.md",
        seed(
            &format!(
                "title: \"Keys\"\ndate: 2024-01-01\nurl: https://example.govt.nz/keys\n{keys}"
            ),
            "Body.",
        ),
    )]);
    let o = check(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("unknown key `").count(), 10, "{err}");
    assert!(
        err.contains("seeds/keys.md:2: warning: 99990 more unknown keys are ignored"),
        "{err}"
    );
}

#[test]
fn a_failed_build_leaves_no_temporary_files() {
    let files: Vec<(&str, String)> = vec![
        ("a.md", good_seed(1)),
        ("b.md", good_seed(2)),
        ("c.md", good_seed(3)),
    ];
    let dir = site(&files);
    // The test hook fails the run after renaming 2 files into place: what a
    // full disk or a vanished folder does half-way through publishing.
    let o = run_env(
        dir.path(),
        &build_args(&[]),
        &[("PRESSFEED_TEST_FAIL_AFTER", "2")],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());
    // The next run finishes the job.
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.path().join("out/rss.xml").is_file());
}

#[cfg(unix)]
#[test]
fn a_run_past_its_timeout_stops_with_status_6_and_publishes_nothing() {
    let dir = site(&[("a.md", good_seed(1))]);
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(dir.path().join("seeds/b.md"), good_seed(2)).unwrap();
    let before = tree(&dir.path().join("out"));
    // Another process holds the output folder for longer than the run may
    // take: the run, still waiting for it, is stopped by its timeout.
    let out = std::fs::File::open(dir.path().join("out")).unwrap();
    out.lock().unwrap();
    let start = Instant::now();
    let o = build_with(dir.path(), &["--lock-wait", "100", "--timeout", "1"]);
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "stopped long before its lock wait ended"
    );
    let err = stderr(&o);
    assert!(err.contains("longer than --timeout 1s"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    drop(out);
    assert_eq!(tree(&dir.path().join("out")), before, "nothing published");
}

#[test]
fn a_base_url_with_a_query_or_fragment_is_a_configuration_error() {
    for base in [
        "https://x.nz/f?q=1",
        "https://x.nz/f#x",
        "https://x.nz/f?q=1#x",
    ] {
        let dir = site(&[("a.md", good_seed(1))]);
        std::fs::write(
            dir.path().join("pressfeed.toml"),
            format!("base_url = \"{base}\"\n"),
        )
        .unwrap();
        let o = build(dir.path());
        assert_eq!(o.status.code(), Some(2), "{base}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("pressfeed.toml: error: base_url:") && err.contains("query or fragment"),
            "{err}"
        );
        assert!(err.contains("without `?` or `#`"), "{err}");
        assert!(!dir.path().join("out").exists());
    }
}

#[cfg(unix)]
#[test]
fn control_characters_in_the_configuration_are_refused_with_their_position() {
    for (toml, key, at) in [
        ("title = \"Releases\\u0007\"\n", "title", "1:9"),
        (
            "language = \"en\"\ndescription = \"ok\\tfine\"\nauthor = \"A\\bB\"\n",
            "author",
            "3:10",
        ),
        (
            "[ministers]\naliases = { \"X\\u001b[2J\" = \"Y\" }\n",
            "ministers.aliases.X",
            "2:13",
        ),
        (
            "honorifics = [\"Hon\", \"Rt\\u0000Hon\"]\n",
            "honorifics",
            "1:22",
        ),
    ] {
        let dir = site(&[("a.md", good_seed(1))]);
        std::fs::write(dir.path().join("pressfeed.toml"), toml).unwrap();
        let o = build(dir.path());
        assert_eq!(o.status.code(), Some(2), "{toml}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("pressfeed.toml:{at}: error: {key}"))
                && err.contains("control character"),
            "{toml}: {err}"
        );
        assert!(err.contains("hint:"), "{err}");
        assert!(!dir.path().join("out").exists());
    }
}

#[test]
fn spaces_around_a_configured_url_are_trimmed() {
    let dir = site(&[("a.md", good_seed(1))]);
    std::fs::write(
        dir.path().join("pressfeed.toml"),
        "base_url = \" https://x.nz/feeds   \"\nsite_url = \"https://x.nz/ \"\n",
    )
    .unwrap();
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let atom = std::fs::read_to_string(dir.path().join("out/atom.xml")).unwrap();
    assert!(atom.contains("https://x.nz/feeds/atom.xml"), "{atom}");
    assert!(!atom.contains("%20"), "{atom}");
}

#[test]
fn control_characters_in_file_names_cannot_forge_diagnostics() {
    let name = "bad\nforged.md:1:1: error: forged.md";
    let dir = site(&[(name, "no front matter\n".to_string())]);
    let o = check(dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("seeds/bad\\nforged.md:1:1: error: forged.md:1:1: error: no front matter"),
        "{err}"
    );
    assert!(
        !err.lines().any(|l| l.starts_with("forged.md")),
        "no line starts with the forged path: {err}"
    );
}

/// Every feed document under `out`, with its size.
fn feed_documents(out: &Path) -> Vec<(String, usize)> {
    tree(out)
        .into_iter()
        .filter(|(p, _)| {
            p.ends_with("rss.xml") || p.ends_with("atom.xml") || p.ends_with("feed.json")
        })
        .map(|(p, b)| (p, b.len()))
        .collect()
}

#[test]
fn a_huge_body_is_carried_as_its_summary_within_the_size_budget() {
    // A 19 MB body: every format would hold one 19 MB text node.
    let paragraph = "A sentence of a very long release. ".repeat(30);
    let body = format!("{paragraph}\n\n").repeat(19 << 20 >> 10);
    let dir = site(&[
        (
            "huge.md",
            seed(
                "title: \"Huge\"\ndate: 2024-02-01\nurl: https://example.govt.nz/huge",
                &body,
            ),
        ),
        ("small.md", good_seed(1)),
    ]);
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("seeds/huge.md: warning: its entry is")
            && err
                .contains("RSS, Atom, JSON Feed carry its summary and a link to the full release"),
        "{err}"
    );
    let out = dir.path().join("out");
    let documents = feed_documents(&out);
    assert!(!documents.is_empty());
    for (path, size) in &documents {
        assert!(*size <= 1 << 20, "{path} is {size} bytes");
    }
    let feed = parse_feed(&std::fs::read(out.join("atom.xml")).unwrap());
    assert_eq!(feed.entries.len(), 2, "both releases are carried");
    let huge = feed
        .entries
        .iter()
        .find(|e| e.id == "https://example.govt.nz/huge")
        .unwrap();
    let content = huge.content.as_ref().unwrap().body.clone().unwrap();
    assert!(
        content.contains("A sentence of a very long release.")
            && content
                .contains("<a href=\"https://example.govt.nz/huge\">Read the full release</a>"),
        "{content}"
    );
}

#[test]
fn a_feed_carries_fewer_items_to_stay_within_the_budget_never_dropping_the_newest() {
    // 30 releases of about 100 KB each: 3 MB a feed, unless trimmed.
    let body = "Words of a long release that goes on. ".repeat(2600);
    let files: Vec<(String, String)> = (0..30)
        .map(|n| {
            (
                format!("{n:02}.md"),
                seed(
                    &format!(
                        "title: \"Long {n}\"\ndate: 2024-01-01T10:{n:02}:00+13:00\nurl: https://example.govt.nz/long/{n}\nministers:\n  - Jane Doe"
                    ),
                    &body,
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let dir = site(&refs);
    std::fs::write(
        dir.path().join("pressfeed.toml"),
        "max_document_bytes = 500000\n",
    )
    .unwrap();
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("ministers/jane-doe/atom.xml: warning: carries its newest")
            && err.contains("of 30 releases, to stay within max_document_bytes (500000 bytes)"),
        "{err}"
    );
    let out = dir.path().join("out");
    for (path, size) in feed_documents(&out) {
        assert!(size <= 500_000, "{path} is {size} bytes");
    }
    let feed = parse_feed(&std::fs::read(out.join("ministers/jane-doe/atom.xml")).unwrap());
    assert!(
        feed.entries.len() >= 3 && feed.entries.len() < 30,
        "{}",
        feed.entries.len()
    );
    assert_eq!(
        feed.entries[0].id, "https://example.govt.nz/long/29",
        "the newest stays"
    );
    // The budget is checked like every other key.
    std::fs::write(
        dir.path().join("pressfeed.toml"),
        "max_document_bytes = 1000\n",
    )
    .unwrap();
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("max_document_bytes: 1000 is too small"),
        "{}",
        stderr(&o)
    );
}

/// 40 releases with one title and one URL, 5 days apart over 200 days,
/// each with its own text: the same-title rule (an update within 7 days)
/// is measured from the first version of an entry, not chained from update
/// to update, so they are 20 entries (each first version and its update
/// five days later), each under its own id, not one release updated 39
/// times.
#[test]
fn releases_sharing_a_url_and_title_for_months_are_not_chained_into_one() {
    let files: Vec<(String, String)> = (0..40)
        .map(|n| {
            let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
                + chrono::Duration::days(5 * n);
            (
                format!("r{n:02}.md"),
                seed(
                    &format!(
                        "title: \"Weekly update\"\ndate: {date}\nurl: https://example.govt.nz/weekly\nministers:\n  - Jane Doe"
                    ),
                    &format!("Week {n} news."),
                ),
            )
        })
        .collect();
    let named: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let dir = site(&named);
    std::fs::write(
        dir.path().join("pressfeed.toml"),
        "items_per_feed = 0\narchives = false\n",
    )
    .unwrap();
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let feed = parse_feed(&std::fs::read(dir.path().join("out/atom.xml")).unwrap());
    let ids: std::collections::BTreeSet<&str> =
        feed.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(feed.entries.len(), 20, "{ids:?}");
    assert_eq!(ids.len(), 20, "ids are not unique: {ids:?}");
    // Each entry carries the text of the later of its two versions.
    for n in (1..40).step_by(2) {
        let text = format!("Week {n} news.");
        assert!(
            feed.entries.iter().any(|e| e
                .content
                .as_ref()
                .and_then(|c| c.body.as_deref())
                .is_some_and(|b| b.contains(&text))),
            "{text} is in no entry"
        );
    }
}

/// A valid release with a 2 MB title (the newest of six) and one with
/// 20,000 attachments (the oldest): neither fits a document even as its
/// summary, so each is carried as a stub (title cut, attachments left out,
/// a link to the release) with a warning saying so; every document stays
/// within the budget, every feed document carries all six, and every
/// release is in exactly one archive document.
#[test]
fn a_release_too_big_even_as_its_summary_is_carried_as_a_stub_and_none_is_lost() {
    let title = "Long title words ".repeat(2 << 20 >> 4);
    let attachments: String = (0..20_000)
        .map(|n| format!("\n  - https://example.govt.nz/files/attachment-{n}.pdf"))
        .collect();
    let mut files = vec![
        (
            "title.md",
            seed(
                &format!(
                    "title: \"{title}\"\ndate: 2024-03-28\nurl: https://example.govt.nz/title\nministers:\n  - Jane Doe"
                ),
                "A short body.",
            ),
        ),
        (
            "attachments.md",
            seed(
                &format!(
                    "title: \"Many files\"\ndate: 2024-01-01\nurl: https://example.govt.nz/files\nministers:\n  - Jane Doe\nattachments:{attachments}"
                ),
                "A short body.",
            ),
        ),
    ];
    for n in 1..=4 {
        files.push((["a.md", "b.md", "c.md", "d.md"][n - 1], good_seed(n)));
    }
    let dir = site(&files);
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("seeds/title.md: warning: too big for a feed document")
            && err.contains("carry a stub (title cut from"),
        "{err}"
    );
    assert!(
        err.contains("seeds/attachments.md: warning: too big")
            && err.contains("20000 attachment(s) left out"),
        "{err}"
    );
    assert!(!err.contains("rendered body is"), "{err}");
    let out = dir.path().join("out");
    for (path, size) in feed_documents(&out) {
        assert!(size <= 1 << 20, "{path} is {size} bytes");
    }
    for doc in [
        "atom.xml",
        "rss.xml",
        "feed.json",
        "ministers/jane-doe/atom.xml",
    ] {
        let feed = parse_feed(&std::fs::read(out.join(doc)).unwrap());
        assert_eq!(feed.entries.len(), 6, "{doc} lost releases");
    }
    let mut archived: Vec<String> = Vec::new();
    for (path, bytes) in tree(&out.join("archive")) {
        if path.ends_with("atom.xml") {
            archived.extend(parse_feed(&bytes).entries.into_iter().map(|e| e.id));
        }
    }
    archived.sort();
    let mut unique = archived.clone();
    unique.dedup();
    assert_eq!(archived.len(), 6, "{archived:?}");
    assert_eq!(unique, archived, "a release is in two archive documents");
}

/// 300 releases in 300 years: each year's history page links the years
/// either side and the feed's list of years, not all 300 years, so the
/// pages stay small and the output grows linearly with the years (2,000
/// seeds in 2,000 years wrote 889 MB when every page listed every year).
#[test]
fn history_pages_do_not_grow_with_the_number_of_years() {
    let files: Vec<(String, String)> = (0..300)
        .map(|n| {
            (
                format!("r{n}.md"),
                seed(
                    &format!(
                        "title: \"Release {n}\"\ndate: {}-06-01\nurl: https://example.govt.nz/r/{n}\nministers:\n  - Jane Doe",
                        1700 + n
                    ),
                    "Text.",
                ),
            )
        })
        .collect();
    let named: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let dir = site(&named);
    let o = build(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("out");
    let pages: Vec<(String, usize)> = tree(&out)
        .into_iter()
        .filter(|(p, _)| p.contains("history/"))
        .map(|(p, b)| (p, b.len()))
        .collect();
    assert_eq!(pages.len(), 2 * 300, "a page per year of each of 2 feeds");
    for (path, size) in &pages {
        assert!(*size < 8 << 10, "{path} is {size} bytes");
    }
    let page = std::fs::read_to_string(out.join("history/1850.html")).unwrap();
    assert!(
        page.contains("<a href=\"1849.html\" rel=\"prev\">← 1849</a>"),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"1851.html\" rel=\"next\">1851 →</a>"),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"../index.html#history\">Every year</a>"),
        "{page}"
    );
}

/// Every folder under `dir`, by `/`-separated relative path.
fn folders(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                out.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A seed naming `count` ministers and `count` portfolios that no other
/// release names.
fn seed_with_new_names(count: usize) -> String {
    let word = |k: usize| {
        format!(
            "{}{}",
            (b'A' + (k / 26) as u8) as char,
            (b'a' + (k % 26) as u8) as char
        )
    };
    let list = |what: &str| -> String {
        (0..count)
            .map(|k| format!("\n  - {what} {}", word(k)))
            .collect()
    };
    seed(
        &format!(
            "title: \"Many names\"\ndate: 2024-03-05\nurl: https://example.govt.nz/many\nministers:{}\nportfolios:{}",
            list("Minister"),
            list("Area")
        ),
        "A release that names many people and areas.",
    )
}

/// A configuration of `extra` lines that does not look into names (a seed
/// of made-up names would otherwise be reported name by name).
fn names_unchecked(dir: &Path, file: &str, extra: &str) {
    std::fs::write(
        dir.join(file),
        format!("{extra}\n[taxonomies.ministers]\ncheck = false\n[taxonomies.portfolios]\ncheck = false\n"),
    )
    .unwrap();
}

#[test]
fn a_build_past_max_output_bytes_publishes_nothing_and_names_the_heaviest_seed() {
    let files: Vec<(String, String)> = (0..6).map(|n| (format!("r{n}.md"), good_seed(n))).collect();
    let files: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let dir = site(&files);
    names_unchecked(dir.path(), "small.toml", "");
    let o = build_with(dir.path(), &["--config", "small.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("out");
    let (before, before_folders) = (tree(&out), folders(&out));
    std::fs::write(dir.path().join("seeds/many.md"), seed_with_new_names(30)).unwrap();
    names_unchecked(dir.path(), "small.toml", "max_output_bytes = 10000");
    let o = build_with(dir.path(), &["--config", "small.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "small.toml: error: the output in out would be more than max_output_bytes (10000 bytes)"
        ) && err.contains("hint: fix the seeds that weigh most (seeds/many.md")
            && err.contains("raise max_output_bytes"),
        "{err}"
    );
    assert!(
        err.contains("seeds/many.md: error: one of the seeds that weigh most on the output"),
        "{err}"
    );
    // Nothing in the output folder changed: no file, no folder, no
    // temporary file, not the manifest.
    assert_eq!(tree(&out), before);
    assert_eq!(folders(&out), before_folders);
    assert!(temp_files(&out).is_empty());
    // Without the limit (0), the same build publishes.
    names_unchecked(dir.path(), "small.toml", "max_output_bytes = 0");
    let o = build_with(dir.path(), &["--config", "small.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_seed_naming_many_new_names_is_a_warning_naming_it() {
    let dir = site(&[
        ("a.md", good_seed(1)),
        ("b.md", good_seed(2)),
        ("many.md", seed_with_new_names(15)),
    ]);
    names_unchecked(dir.path(), "default.toml", "");
    let o = check_with(dir.path(), &["--config", "default.toml"]);
    let err = stderr(&o);
    assert!(
        err.contains("seeds/many.md: warning: brings 30 names no other release has (15 portfolios, 15 ministers), more than max_new_names_per_seed (20)")
            && err.contains("raise max_new_names_per_seed"),
        "{err}"
    );
    assert!(!err.contains("seeds/a.md: warning: brings"), "{err}");
    names_unchecked(dir.path(), "more.toml", "max_new_names_per_seed = 30");
    let o = check_with(dir.path(), &["--config", "more.toml"]);
    assert!(
        !stderr(&o).contains("max_new_names_per_seed"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn every_release_is_in_exactly_one_archive_document_within_the_budget() {
    let attachments: String = (0..12)
        .map(|k| {
            format!("\n  - https://example.govt.nz/files/an-attachment-with-a-long-name-{k}.pdf")
        })
        .collect();
    let body = "A sentence of a release that goes on for a while. ".repeat(40);
    let files: Vec<(String, String)> = (0..60)
        .map(|n| {
            let front = format!(
                "title: \"Release {n}\"\ndate: 2024-{:02}-{:02}\nurl: https://example.govt.nz/release/{n}\nministers:\n  - Jane Doe\nportfolios:\n  - Finance\nattachments:{attachments}",
                1 + n / 28,
                1 + n % 28
            );
            (format!("r{n:02}.md"), seed(&front, &body))
        })
        .collect();
    let files: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let dir = site(&files);
    std::fs::write(
        dir.path().join("tight.toml"),
        "archive_page_size = 1000\nmax_document_bytes = 65536\narchive_formats = [\"atom\", \"rss\", \"json\"]\n",
    )
    .unwrap();
    let o = build_with(dir.path(), &["--config", "tight.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    // Subscription documents carry fewer than 50 to fit; archive
    // documents leave none out.
    assert!(
        !err.lines()
            .any(|l| l.contains("/archive/") && l.contains("carries its newest")),
        "{err}"
    );
    let files = tree(&dir.path().join("out"));
    for (path, bytes) in &files {
        if path.contains("archive/") {
            assert!(bytes.len() <= 65536, "{path} is {} bytes", bytes.len());
        }
    }
    for feed in ["", "ministers/jane-doe/", "portfolios/finance/"] {
        for file in ["atom.xml", "rss.xml", "feed.json"] {
            let mut titles: Vec<String> = Vec::new();
            let mut documents = 0;
            for (path, bytes) in &files {
                let Some(rest) = path.strip_prefix(&format!("{feed}archive/")) else {
                    continue;
                };
                if rest.split('/').nth(1) != Some(file) {
                    continue;
                }
                documents += 1;
                titles.extend(
                    parse_feed(bytes)
                        .entries
                        .into_iter()
                        .map(|e| e.title.map(|t| t.content).unwrap_or_default()),
                );
            }
            assert!(documents > 2, "{feed}{file}: {documents} archive documents");
            titles.sort();
            let mut want: Vec<String> = (0..60).map(|n| format!("Release {n}")).collect();
            want.sort();
            assert_eq!(titles, want, "{feed}archive/*/{file}");
        }
    }
}
