//! `feeds/` is committed as the output of `seeds/` with the repository's
//! `pressfeed.toml`: this test fails when it is stale.

mod common;

use common::*;

#[test]
fn committed_feeds_are_the_output_of_the_seeds() {
    let out = tempfile::tempdir().unwrap();
    let o = pressfeed(
        &root(),
        &["build", "--out", out.path().to_str().unwrap(), "--quiet"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let built = tree(out.path());
    let committed = tree(&root().join("feeds"));
    let built_paths: Vec<&String> = built.keys().collect();
    let committed_paths: Vec<&String> = committed.keys().collect();
    assert_eq!(
        committed_paths, built_paths,
        "feeds/ is stale: run `cargo run --release -- build` and commit feeds/"
    );
    for (path, bytes) in &built {
        assert!(
            committed[path] == *bytes,
            "feeds/{path} is stale: run `cargo run --release -- build` and commit feeds/"
        );
    }
}
