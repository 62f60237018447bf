//! Bad seeds: every problem is reported in one run as `path:line:col`, with
//! a hint, and the output folder is left exactly as it was.

mod common;

use std::time::SystemTime;

use common::*;

/// Each bad seed with the position and message pressfeed must report.
const EXPECTED: &[&str] = &[
    "seeds/bad-date.md:3:7: error: cannot read date \"31/06/2021\"",
    "seeds/missing-title.md:1:1: error: front matter has no `title`",
    "seeds/no-front-matter.md:1:1: error: no front matter",
    "seeds/relative-url.md:4:6: error: url \"/release/relative\" is relative, not absolute",
    "seeds/unclosed.md:1:1: error: front matter is not closed",
    "seeds/wrong-type.md:2:1: error: `title` must be a single value, not a list",
    "seeds/wrong-type.md:7:1: error: `ministers` must be a list of names, not a mapping",
    "seeds/yaml-syntax.md:2:8: error: front matter is not valid YAML",
];

#[test]
fn check_reports_every_bad_seed_with_position_and_hint() {
    let o = pressfeed(&fixture("bad"), &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    for want in EXPECTED {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    assert_eq!(err.matches("error:").count(), EXPECTED.len(), "{err}");
    assert_eq!(
        err.matches("  hint: ").count(),
        EXPECTED.len(),
        "every error has a hint:\n{err}"
    );
    assert!(!err.contains("good.md"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn build_with_bad_seeds_leaves_the_output_folder_as_it_was() {
    let out = tempfile::tempdir().unwrap();
    // A previous good build, plus a file of the user's.
    build_site(&fixture("site"), out.path());
    std::fs::write(out.path().join("robots.txt"), "User-agent: *\n").unwrap();
    let before = tree(out.path());
    let mtimes = |dir: &std::path::Path| -> Vec<(String, SystemTime)> {
        tree(dir)
            .keys()
            .map(|p| {
                (
                    p.clone(),
                    std::fs::metadata(dir.join(p)).unwrap().modified().unwrap(),
                )
            })
            .collect()
    };
    let before_mtimes = mtimes(out.path());

    let o = pressfeed(
        &fixture("bad"),
        &["build", "--out", out.path().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for want in EXPECTED {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(tree(out.path()), before, "every byte is as it was");
    assert_eq!(mtimes(out.path()), before_mtimes, "no file was touched");
}

#[test]
fn bad_config_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("seeds")).unwrap();
    std::fs::write(
        dir.path().join("pressfeed.toml"),
        "title = \"x\"\nitems_per_fed = 3\n",
    )
    .unwrap();
    let o = pressfeed(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("pressfeed.toml:2:1: error:") && err.contains("items_per_fed"),
        "{err}"
    );

    let o = pressfeed(dir.path(), &["check", "--config", "missing.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.toml"), "{}", stderr(&o));
}

#[test]
fn missing_seeds_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = pressfeed(dir.path(), &["build", "--seeds", "nowhere"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("nowhere: cannot read the seeds folder"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("feeds").exists());
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = pressfeed(dir.path(), &["build", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    let o = pressfeed(dir.path(), &["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Exit status"));
}

#[test]
fn a_site_file_in_the_way_is_never_overwritten() {
    let out = tempfile::tempdir().unwrap();
    std::fs::write(
        out.path().join("index.html"),
        "<p>the site's own page</p>\n",
    )
    .unwrap();
    std::fs::write(out.path().join("robots.txt"), "User-agent: *\n").unwrap();
    let before = tree(out.path());
    let site = fixture("site");
    let o = pressfeed(
        &site,
        &[
            "build",
            "--seeds",
            "seeds",
            "--config",
            "pressfeed.toml",
            "--out",
            out.path().to_str().unwrap(),
            "--no-cache",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("would write over or through entries it did not write: index.html (a file pressfeed did not write)"),
        "{err}"
    );
    assert!(
        err.contains("hint: nothing was published; move those entries"),
        "{err}"
    );
    assert_eq!(tree(out.path()), before, "nothing written, nothing touched");
}
