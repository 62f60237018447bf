//! Incremental builds: after any sequence of changes, a build that uses the
//! state of the last one writes exactly what a full build (`--no-cache`,
//! into a new folder) writes, and reports the same warnings. The changes
//! are drawn at random (proptest): seeds added, edited, deleted, renamed,
//! touched, broken and mended, releases sharing a URL, oversized releases,
//! embargoes lifting as `--now` moves, the configuration changed, a new
//! binary, news (a release newer than every other, which a run adds to the
//! site the last build grouped rather than group every release again). A
//! build killed at any moment leaves the next one still right,
//! and a damaged state is rebuilt with a warning.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use proptest::prelude::*;

/// A site under test: its seeds, configuration, output folder and cache.
struct Site {
    dir: tempfile::TempDir,
    /// The binary this site runs (a test may switch to a copy: a new
    /// binary).
    bin: PathBuf,
    now: i64,
    config: Config,
    /// Seed names in use, for the changes that pick one.
    seeds: Vec<String>,
    next: usize,
}

#[derive(Clone, Debug)]
struct Config {
    items_per_feed: usize,
    title: &'static str,
}

const MINISTERS: [&str; 4] = [
    "Hon Ana Kere",
    "Hon Bob Tui",
    "Dr Cara Wiremu",
    "Hon Dan Ōtaki",
];
const PORTFOLIOS: [&str; 4] = ["Health", "Education", "Transport", "Māori Development"];

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("seeds")).unwrap();
        fs::create_dir_all(dir.path().join("cache")).unwrap();
        let site = Site {
            dir,
            bin: PathBuf::from(env!("CARGO_BIN_EXE_pressfeed")),
            now: 1_700_000_000,
            config: Config {
                items_per_feed: 3,
                title: "Test releases",
            },
            seeds: Vec::new(),
            next: 0,
        };
        site.write_config();
        site
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write_config(&self) {
        let c = &self.config;
        let toml = format!(
            "title = \"{}\"\nbase_url = \"https://example.org/feeds/\"\nsite_url = \"https://example.org/\"\n\
             time_zone = \"UTC\"\nitems_per_feed = {}\narchive_page_size = 4\nmax_document_bytes = 65536\n",
            c.title, c.items_per_feed
        );
        // Written anew (a new inode), as an editor saving it would.
        let tmp = self.path("pressfeed.toml.tmp");
        fs::write(&tmp, toml).unwrap();
        fs::rename(tmp, self.path("pressfeed.toml")).unwrap();
    }

    /// The text of a seed: `n` picks its names, date and text.
    fn seed_text(&self, n: usize, variant: u8, day: i64) -> String {
        let date = chrono::DateTime::from_timestamp(self.now + day * 86_400, 0)
            .unwrap()
            .format("%Y-%m-%d");
        let minister = MINISTERS[n % 4];
        let portfolio = PORTFOLIOS[(n / 2 + variant as usize) % 4];
        // Some releases share a URL (the same release published twice).
        let url = match n % 7 {
            0 => "https://example.org/release/shared".to_string(),
            _ => format!("https://example.org/release/r{n}"),
        };
        // Some are too big for a document, as a whole or even as a summary.
        let body = match (n + variant as usize) % 9 {
            0 => "Long paragraph of text. ".repeat(4000),
            _ => format!("Release {n}, version {variant}.\n\nMore text for {portfolio}.\n"),
        };
        let title = match n % 13 {
            5 => "A very long title ".repeat(4000),
            _ => format!("Release {n} v{variant}"),
        };
        format!(
            "---\ntitle: \"{title}\"\ndate: {date}\nurl: {url}\nministers:\n  - {minister}\nportfolios:\n  - {portfolio}\n---\n\n{body}"
        )
    }

    /// Writes a seed as an editor does: a new file renamed over the old.
    fn put_seed(&self, name: &str, text: &str) {
        let tmp = self.path(&format!("seeds/.{name}.tmp"));
        fs::write(&tmp, text).unwrap();
        fs::rename(tmp, self.path(&format!("seeds/{name}"))).unwrap();
    }

    fn apply(&mut self, change: &Change) {
        let pick = |site: &Site, k: usize| -> Option<String> {
            (!site.seeds.is_empty()).then(|| site.seeds[k % site.seeds.len()].clone())
        };
        match *change {
            Change::Add { day, variant } => {
                let n = self.next;
                self.next += 1;
                let name = format!("r{n:03}.md");
                self.put_seed(&name, &self.seed_text(n, variant, day));
                self.seeds.push(name);
            }
            Change::News { variant } => {
                self.now += 86_400;
                self.apply(&Change::Add { day: 0, variant });
            }
            Change::Edit { k, variant, day } => {
                if let Some(name) = pick(self, k) {
                    let n: usize = name[1..4].parse().unwrap();
                    self.put_seed(&name, &self.seed_text(n, variant, day));
                }
            }
            Change::EditInPlace { k } => {
                // Same size, same second: only the bytes differ.
                if let Some(name) = pick(self, k) {
                    let path = self.path(&format!("seeds/{name}"));
                    let mut bytes = fs::read(&path).unwrap();
                    if let Some(at) = bytes.iter().rposition(|b| b.is_ascii_lowercase()) {
                        bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
                        fs::write(&path, bytes).unwrap();
                    }
                }
            }
            Change::Delete { k } => {
                if let Some(name) = pick(self, k) {
                    fs::remove_file(self.path(&format!("seeds/{name}"))).unwrap();
                    self.seeds.retain(|s| *s != name);
                }
            }
            Change::Rename { k } => {
                if let Some(name) = pick(self, k) {
                    let new = format!("{}-moved.md", name.trim_end_matches(".md"));
                    let new = format!("r{:03}{}", self.next, &new[4..]);
                    self.next += 1;
                    fs::rename(
                        self.path(&format!("seeds/{name}")),
                        self.path(&format!("seeds/{new}")),
                    )
                    .unwrap();
                    self.seeds.retain(|s| *s != name);
                    self.seeds.push(new);
                }
            }
            Change::Touch { k } => {
                if let Some(name) = pick(self, k) {
                    let path = self.path(&format!("seeds/{name}"));
                    let bytes = fs::read(&path).unwrap();
                    self.put_seed(&name, std::str::from_utf8(&bytes).unwrap());
                }
            }
            Change::Break { k } => {
                if let Some(name) = pick(self, k) {
                    self.put_seed(&name, "---\ntitle: [unclosed\n---\nbody\n");
                }
            }
            Change::Advance { days } => self.now += days * 86_400,
            Change::ItemsPerFeed { n } => {
                self.config.items_per_feed = n;
                self.write_config();
            }
            Change::Title { other } => {
                self.config.title = if other {
                    "Other title"
                } else {
                    "Test releases"
                };
                self.write_config();
            }
            Change::NewBinary => {
                // A copy is another executable (another inode and time).
                let copy = self.path(&format!("pressfeed-{}", self.next));
                self.next += 1;
                fs::copy(&self.bin, &copy).unwrap();
                self.bin = copy;
            }
            Change::Nothing => {}
        }
    }

    fn now(&self) -> String {
        chrono::DateTime::from_timestamp(self.now, 0)
            .unwrap()
            .to_rfc3339()
    }

    /// `pressfeed build` of this site into `out`, with `extra` arguments,
    /// its own cache folder, and no failure injected.
    fn command(&self, out: &Path, extra: &[&str]) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .args([
                "build",
                "--seeds",
                "seeds",
                "--config",
                "pressfeed.toml",
                "--out",
            ])
            .arg(out)
            .args(["--skip-invalid", "--no-ping", "--now", &self.now()])
            .args(extra)
            .current_dir(self.dir.path())
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env_remove("PRESSFEED_TEST_FAIL_AFTER")
            .env_remove("PRESSFEED_TEST_RENAME_PAUSE_MS");
        command
    }

    fn run(&self, out: &Path, extra: &[&str]) -> Output {
        self.command(out, extra).output().unwrap()
    }

    /// An incremental build that puts its changes into the site the last
    /// build grouped (`--timings` shows the stage `adding`, no `grouping`).
    fn added(&self, out: &Path) -> Output {
        let o = self.run(out, &["--timings"]);
        let err = common::stderr(&o);
        assert!(o.status.success(), "{err}");
        assert!(
            err.contains("timing: adding") && !err.contains("timing: grouping"),
            "{err}"
        );
        o
    }

    /// An incremental build that groups every release again.
    fn grouped(&self, out: &Path) {
        let o = self.run(out, &["--timings"]);
        let err = common::stderr(&o);
        assert!(o.status.success(), "{err}");
        assert!(err.contains("timing: grouping"), "{err}");
    }

    /// An incremental build into `out`, and a full one into a new folder:
    /// the same files, the same warnings.
    fn check_against_full_build(&self, step: usize) {
        let out = self.path("out");
        let incremental = self.run(&out, &[]);
        let fresh = self.path(&format!("full-{step}"));
        let full = self.run(&fresh, &["--no-cache"]);
        assert_eq!(
            incremental.status.code(),
            full.status.code(),
            "step {step}: exit status\nincremental: {}\nfull: {}",
            common::stderr(&incremental),
            common::stderr(&full)
        );
        assert_eq!(
            common::stderr(&incremental),
            common::stderr(&full),
            "step {step}: the warnings differ"
        );
        let (a, b) = (published(&out), published(&fresh));
        let differ: Vec<&String> = a
            .keys()
            .chain(b.keys())
            .filter(|k| a.get(*k) != b.get(*k))
            .collect();
        assert!(differ.is_empty(), "step {step}: files differ: {differ:?}");
        fs::remove_dir_all(&fresh).unwrap();
    }
}

/// The files of an output folder, without pressfeed's own hidden state
/// (the manifest lists the same files with the same hashes either way, but
/// a full build lists no file of an earlier run).
fn published(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut tree = common::tree(out);
    tree.retain(|path, _| !path.split('/').any(|part| part.starts_with('.')));
    tree
}

#[derive(Clone, Debug)]
enum Change {
    Add {
        day: i64,
        variant: u8,
    },
    /// A day passes, and a release of that day is added.
    News {
        variant: u8,
    },
    Edit {
        k: usize,
        variant: u8,
        day: i64,
    },
    EditInPlace {
        k: usize,
    },
    Delete {
        k: usize,
    },
    Rename {
        k: usize,
    },
    Touch {
        k: usize,
    },
    Break {
        k: usize,
    },
    Advance {
        days: i64,
    },
    ItemsPerFeed {
        n: usize,
    },
    Title {
        other: bool,
    },
    NewBinary,
    Nothing,
}

fn change() -> impl Strategy<Value = Change> {
    // Days from now: some releases are embargoed until `--now` passes them.
    let day = -400i64..20;
    prop_oneof![
        6 => (day.clone(), 0u8..3).prop_map(|(day, variant)| Change::Add { day, variant }),
        4 => (0u8..3).prop_map(|variant| Change::News { variant }),
        3 => (any::<usize>(), 0u8..3, day).prop_map(|(k, variant, day)| Change::Edit { k, variant, day }),
        1 => any::<usize>().prop_map(|k| Change::EditInPlace { k }),
        2 => any::<usize>().prop_map(|k| Change::Delete { k }),
        1 => any::<usize>().prop_map(|k| Change::Rename { k }),
        1 => any::<usize>().prop_map(|k| Change::Touch { k }),
        1 => any::<usize>().prop_map(|k| Change::Break { k }),
        2 => (1i64..30).prop_map(|days| Change::Advance { days }),
        1 => (0usize..5).prop_map(|n| Change::ItemsPerFeed { n }),
        1 => any::<bool>().prop_map(|other| Change::Title { other }),
        1 => Just(Change::NewBinary),
        1 => Just(Change::Nothing),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, max_shrink_iters: 20, ..ProptestConfig::default() })]

    /// After every change of a random sequence, the incremental build is
    /// the full build.
    #[test]
    fn an_incremental_build_is_a_full_build(
        start in proptest::collection::vec((-400i64..0, 0u8..3), 5..25),
        changes in proptest::collection::vec(change(), 1..12),
    ) {
        let mut site = Site::new();
        for (day, variant) in start {
            site.apply(&Change::Add { day, variant });
        }
        site.check_against_full_build(0);
        for (n, c) in changes.iter().enumerate() {
            site.apply(c);
            site.check_against_full_build(n + 1);
        }
    }
}

/// The site every test below starts from.
fn started() -> Site {
    let mut site = Site::new();
    for n in 0..30 {
        site.apply(&Change::Add {
            day: -(n as i64) * 9,
            variant: (n % 3) as u8,
        });
    }
    // Seeds changed just before a build are read again by the next one
    // (their change time may not move if they change again at once).
    std::thread::sleep(std::time::Duration::from_millis(200));
    site
}

/// A new release reads one seed and makes only the files that carry it.
#[test]
fn a_new_release_reads_one_seed_and_writes_what_carries_it() {
    let mut site = started();
    let out = site.path("out");
    let first = site.run(&out, &[]);
    assert!(first.status.success(), "{}", common::stderr(&first));
    site.apply(&Change::Add { day: 0, variant: 1 });
    std::thread::sleep(std::time::Duration::from_millis(200));
    let o = site.run(&out, &["--timings"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let summary = common::stdout(&o);
    assert!(summary.contains("read 1 of 31 file(s)"), "{summary}");
    // Fewer files made than a full build makes.
    let made: usize = common::stderr(&o)
        .lines()
        .find(|l| l.starts_with("timing: writing"))
        .and_then(|l| l.split_whitespace().rev().nth(1)?.parse().ok())
        .expect("--timings counts the files made");
    let full = published(&out).len();
    assert!(made * 2 < full, "made {made} of {full} files");
    site.check_against_full_build(1);
}

/// News (a release newer than every other, with names the site has and a
/// URL of its own) is added to the site the last build grouped: the run
/// reads its seed alone, groups nothing again, and writes what a full
/// build writes. Anything else (here: a URL another release has) groups
/// every release again, with the same result.
#[test]
fn news_is_added_to_the_site_the_last_build_grouped() {
    let mut site = started();
    let out = site.path("out");
    assert!(site.run(&out, &[]).status.success());
    for round in 0..3u8 {
        site.apply(&Change::News { variant: round });
        std::thread::sleep(std::time::Duration::from_millis(200));
        let o = site.added(&out);
        let read = format!("read 1 of {} file(s)", 31 + round as usize);
        assert!(common::stdout(&o).contains(&read), "{}", common::stdout(&o));
        site.check_against_full_build(round as usize + 1);
    }
    // Seed 35 shares its URL with seeds 0, 7, 14...: grouped again.
    site.next = 35;
    site.apply(&Change::News { variant: 0 });
    std::thread::sleep(std::time::Duration::from_millis(200));
    site.grouped(&out);
    site.check_against_full_build(4);
    // `--now` moved back before the news: it is held again.
    site.now -= 3 * 86_400;
    site.check_against_full_build(5);
}

/// An old release edited in place (its text, not its date, URL or names)
/// takes its old place in the site the last build grouped; one whose date
/// changes groups every release again. Both write what a full build
/// writes.
#[test]
fn an_edited_release_takes_its_place_in_the_site_the_last_build_grouped() {
    let mut site = started();
    let out = site.path("out");
    assert!(site.run(&out, &[]).status.success());
    // Seed 3: a URL of its own.
    site.apply(&Change::EditInPlace { k: 3 });
    std::thread::sleep(std::time::Duration::from_millis(200));
    let o = site.added(&out);
    assert!(
        common::stdout(&o).contains("read 1 of 30 file(s)"),
        "{}",
        common::stdout(&o)
    );
    site.check_against_full_build(1);
    site.apply(&Change::Edit {
        k: 3,
        variant: 0,
        day: -100,
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    site.grouped(&out);
    site.check_against_full_build(2);
}

/// A build killed at any moment (here: during its renames, and at random
/// points of a whole run) leaves a state the next build still gets right.
#[test]
fn a_killed_build_leaves_the_next_one_right() {
    let mut site = started();
    let out = site.path("out");
    assert!(site.run(&out, &[]).status.success());
    for (round, delay_ms) in [5u64, 20, 40, 80, 150, 300].into_iter().enumerate() {
        site.apply(&Change::Add {
            day: 0,
            variant: round as u8 % 3,
        });
        site.apply(&Change::Edit {
            k: round * 7,
            variant: 2,
            day: -50,
        });
        let mut child = site
            .command(&out, &["-q"])
            .env("PRESSFEED_TEST_RENAME_PAUSE_MS", "3")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        site.check_against_full_build(round + 1);
    }
}

/// A damaged, foreign or outdated state is never trusted: the build is
/// right, and says why it did not use the state.
#[test]
fn a_damaged_state_is_rebuilt_with_a_warning() {
    let mut site = started();
    let out = site.path("out");
    assert!(site.run(&out, &[]).status.success());
    let state: PathBuf = fs::read_dir(site.path("cache/pressfeed"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "state"))
        .expect("a state folder beside the cache record");
    // Every file of the state damaged: a byte flipped in each.
    for entry in fs::read_dir(&state).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x55;
        fs::write(&path, bytes).unwrap();
    }
    site.apply(&Change::Add { day: 0, variant: 0 });
    std::thread::sleep(std::time::Duration::from_millis(200));
    let o = site.run(&out, &[]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let err = common::stderr(&o);
    assert!(
        err.contains("build state not used") && err.contains("do not match its hash"),
        "{err}"
    );
    assert!(
        common::stdout(&o).contains("read 31 file(s)"),
        "{}",
        common::stdout(&o)
    );
    // The next build trusts the state it rebuilt, and says nothing of it.
    site.apply(&Change::Add { day: 0, variant: 1 });
    std::thread::sleep(std::time::Duration::from_millis(200));
    let o = site.run(&out, &[]);
    assert!(
        !common::stderr(&o).contains("build state"),
        "{}",
        common::stderr(&o)
    );
    assert!(
        common::stdout(&o).contains("read 1 of 32 file(s)"),
        "{}",
        common::stdout(&o)
    );
    site.check_against_full_build(2);
    // Garbage in its place.
    for entry in fs::read_dir(&state).unwrap() {
        fs::write(entry.unwrap().path(), b"not a state").unwrap();
    }
    site.apply(&Change::Add { day: 0, variant: 2 });
    let err = common::stderr(&site.run(&out, &[]));
    assert!(err.contains("not a pressfeed state file"), "{err}");
    site.check_against_full_build(3);
}

/// A published file removed by hand is made again, even when its inputs
/// did not change.
#[test]
fn a_file_removed_by_hand_is_made_again() {
    let site = started();
    let out = site.path("out");
    assert!(site.run(&out, &[]).status.success());
    let page = out.join("ministers/ana-kere/index.html");
    let original = fs::read(&page).unwrap();
    fs::remove_file(&page).unwrap();
    let o = site.run(&out, &[]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(fs::read(&page).unwrap(), original);
}

/// A run that adds news but whose output would pass `max_output_bytes` is
/// run again in full, since which seeds weigh most is a question for the
/// whole site: it fails as a full build fails, with the same error, and
/// publishes nothing.
#[test]
fn news_past_the_output_budget_fails_as_a_full_build_does() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::create_dir(p.join("seeds")).unwrap();
    for n in 1..=3 {
        fs::write(
            p.join(format!("seeds/r{n}.md")),
            common::release(n, "Hon Ana Kere"),
        )
        .unwrap();
    }
    let config = "title = \"T\"\nbase_url = \"https://example.org/feeds/\"\nsite_url = \"https://example.org/\"\ntime_zone = \"UTC\"\n";
    fs::write(p.join("base.toml"), config).unwrap();
    let build = |out: &str, config: &str, extra: &[&str]| {
        let mut args = vec![
            "build",
            "--seeds",
            "seeds",
            "--config",
            config,
            "--out",
            out,
            "--no-ping",
            "--now",
            "2024-04-01T00:00:00Z",
        ];
        args.extend_from_slice(extra);
        common::pressfeed(p, &args)
    };
    assert!(
        build("sized", "base.toml", &["--no-cache"])
            .status
            .success()
    );
    // The budget: exactly what the three releases' files take.
    let total: usize = published(&p.join("sized")).values().map(Vec::len).sum();
    fs::write(
        p.join("pressfeed.toml"),
        format!("{config}max_output_bytes = {total}\n"),
    )
    .unwrap();
    assert!(build("o-inc", "pressfeed.toml", &[]).status.success());
    let before = published(&p.join("o-inc"));
    std::thread::sleep(std::time::Duration::from_millis(200));
    fs::write(p.join("seeds/r9.md"), common::release(9, "Hon Ana Kere")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let o = build("o-inc", "pressfeed.toml", &["--timings"]);
    let err = common::stderr(&o);
    assert!(
        err.contains("timing: adding") && err.contains("timing: grouping"),
        "{err}"
    );
    let full = build("o-full", "pressfeed.toml", &["--no-cache"]);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(o.status.code(), full.status.code());
    let lines = |text: String, out: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("timing:"))
            .map(|l| l.replace(out, "OUT"))
            .collect()
    };
    assert_eq!(lines(err, "o-inc"), lines(common::stderr(&full), "o-full"));
    assert_eq!(published(&p.join("o-inc")), before, "nothing is published");
}
