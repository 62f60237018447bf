//! Helpers shared by the integration tests: run the binary, read trees.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture folder under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// The build cache folder of this test process (`XDG_CACHE_HOME` for every
/// run), never the developer's `~/.cache`; removed when the process ends.
pub fn cache_home() -> &'static Path {
    static CACHE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    CACHE
        .get_or_init(|| tempfile::tempdir().expect("a temporary cache folder"))
        .path()
}

/// Runs `pressfeed` with `args` from `dir`, with the cache in
/// [`cache_home`] and no failure injected.
pub fn pressfeed(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", cache_home())
        .env_remove("PRESSFEED_TEST_FAIL_AFTER")
        .output()
        .expect("run pressfeed")
}

/// Runs `pressfeed build` on the fixture site into `out`; panics unless it succeeds.
pub fn build_site(site: &Path, out: &Path) -> Output {
    let out_s = out.to_str().unwrap();
    let o = pressfeed(
        site,
        &[
            "build",
            "--seeds",
            "seeds",
            "--config",
            "pressfeed.toml",
            "--out",
            out_s,
            "-q",
        ],
    );
    assert!(
        o.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Every file under `dir`, by `/`-separated relative path.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Parses a feed with feed-rs, an independent parser.
pub fn parse_feed(bytes: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(bytes).expect("feed-rs parses the feed")
}
