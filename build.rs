//! Names the commit `pressfeed --version` was built from: `0.1.0 (abc1234)`,
//! or `0.1.0 (abc1234, modified)` when the checkout had uncommitted changes.
//! Outside a git checkout (a source tarball, `cargo install` from a copy, git
//! missing or refusing the folder) the version is the package's alone.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let described = match git(&dir, &["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) => {
            watch(&dir);
            // `--untracked-files=no`: a stray file in the checkout is not a
            // change to what was built.
            let dirty = git(&dir, &["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            match dirty {
                true => format!("{version} ({commit}, modified)"),
                false => format!("{version} ({commit})"),
            }
        }
        None => version.to_string(),
    };
    println!("cargo:rustc-env=PRESSFEED_VERSION={described}");
    // And when what is compiled changes, so that the `modified` mark follows
    // edits not yet staged (these are rebuilt then anyway).
    for path in ["build.rs", "src", "templates", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={path}");
    }
}

/// Runs git in `dir`; its trimmed output, or `None` on any failure.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    // --no-optional-locks: `git status` must not refresh the index, whose
    // change would rerun this script and so rebuild pressfeed every time.
    let out = Command::new("git")
        .arg("--no-optional-locks")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}

/// Reruns this script when HEAD moves (a checkout or a commit) or the index
/// changes (staging, committing): the files git keeps them in, found through
/// git itself, since `.git` is a file in a worktree.
fn watch(dir: &Path) {
    let mut files = Vec::new();
    if let Some(git_dir) = git(dir, &["rev-parse", "--absolute-git-dir"]) {
        let git_dir = PathBuf::from(git_dir);
        files.push(git_dir.join("HEAD"));
        files.push(git_dir.join("index"));
    }
    if let Some(name) = git(dir, &["symbolic-ref", "-q", "HEAD"])
        && let Some(path) = git(dir, &["rev-parse", "--git-path", &name])
    {
        files.push(dir.join(path));
    }
    if let Some(packed) = git(dir, &["rev-parse", "--git-path", "packed-refs"]) {
        files.push(dir.join(packed));
    }
    for file in files.into_iter().filter(|f| f.exists()) {
        println!("cargo:rerun-if-changed={}", file.display());
    }
}
