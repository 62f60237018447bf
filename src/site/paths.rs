//! Where every file of the output folder goes: the one place for path
//! rules, used by the plan, the pages, the templates (through the values
//! pages are given) and the tests.
//!
//! - `index.html`: the list of every feed, and the global feed's page;
//! - `<kind folder><slug>/`: a feed's folder (`portfolios/defence/`), with
//!   its files and its page, `index.html`; the global feed's folder is the
//!   output folder itself;
//! - `<feed folder>archive/<n>/`: archive document `n` of a feed;
//! - `<feed folder>history/<year>.html`, `<year>-<mm>.html`: its history;
//! - `feeds.opml`, `sitemap.xml`: in the output folder.

/// A feed's page, and (in the output root) the list of every feed.
pub const PAGE_FILE: &str = "index.html";
/// Every feed as an OPML 2.0 subscription list, in the output root.
pub const OPML_FILE: &str = "feeds.opml";
/// The list of every page, in the output root.
pub const SITEMAP_FILE: &str = "sitemap.xml";
/// The folder of archive documents of a feed, in the feed's folder.
pub const ARCHIVE_FOLDER: &str = "archive/";
/// The folder of history pages of a feed, in the feed's folder.
pub const HISTORY_FOLDER: &str = "history/";

/// From a kind's folder (`portfolios/`: one folder name, as configuration
/// requires) back to the output folder: [`root_of`] of it.
pub const KIND_ROOT: &str = "../";
/// From the folder of a name's feed (`<kind folder><slug>/`) back to the
/// output folder: [`root_of`] of it.
pub const FEED_ROOT: &str = "../../";

/// The page of the feed (or kind) whose folder is `dir`.
pub fn page(dir: &str) -> String {
    format!("{dir}{PAGE_FILE}")
}

/// From a file in folder `dir` (relative to the output folder, ending in
/// `/` or empty) back to the output folder: `""`, `"../../"`.
pub fn root_of(dir: &str) -> String {
    "../".repeat(dir.matches('/').count())
}

/// The folder of archive document `number` of the feed in `dir`.
pub fn archive_folder(dir: &str, number: usize) -> String {
    format!("{dir}{ARCHIVE_FOLDER}{number}/")
}

/// The path of a feed's history page for `year`, or for `month` (from 1)
/// of it, relative to the output folder.
pub fn history_path(dir: &str, year: i32, month: Option<u32>) -> String {
    format!("{dir}{HISTORY_FOLDER}{}", history_file(year, month))
}

/// The name of the history page of `year`, or of `month` (from 1) of it,
/// in the feed's history folder.
pub fn history_file(year: i32, month: Option<u32>) -> String {
    match month {
        None => format!("{year}.html"),
        Some(month) => format!("{year}-{month:02}.html"),
    }
}

/// Whether `path` (relative to the output folder) is an archive document:
/// `<feed folder>archive/<n>/<file>` (a feed whose slug is `archive` has
/// its files in `<kind>/archive/`, with no number after it).
pub fn is_archive_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() >= 3
        && parts[parts.len() - 3] == ARCHIVE_FOLDER.trim_end_matches('/')
        && !parts[parts.len() - 2].is_empty()
        && parts[parts.len() - 2].bytes().all(|b| b.is_ascii_digit())
}

/// Whether `path` (relative to the output folder) is a history page:
/// `<feed folder>history/<year>.html` or `<year>-<mm>.html` (a feed whose
/// slug is `history` has its page, `index.html`, in `<kind>/history/`).
pub fn is_history_path(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let file = parts.next().unwrap_or_default();
    let stem = file.strip_suffix(".html").unwrap_or_default();
    parts.next() == Some(HISTORY_FOLDER.trim_end_matches('/'))
        && stem.bytes().any(|b| b.is_ascii_digit())
        && stem.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths() {
        assert!(is_archive_path("archive/3/atom.xml"));
        assert!(is_archive_path("portfolios/defence/archive/12/rss.xml"));
        assert!(!is_archive_path("portfolios/archive/atom.xml"));
        assert!(is_archive_path("portfolios/archive/archive/1/atom.xml"));
        assert!(!is_archive_path("atom.xml"));
    }

    #[test]
    fn history_paths() {
        assert!(is_history_path(&history_path("", 2024, None)));
        assert!(is_history_path(&history_path(
            "ministers/a/",
            2024,
            Some(3)
        )));
        assert!(!is_history_path("portfolios/history/index.html"));
        assert!(!is_history_path("history/atom.xml"));
        assert!(!is_history_path("2024.html"));
    }

    #[test]
    fn paths_of_a_feed() {
        assert_eq!(page(""), "index.html");
        assert_eq!(page("portfolios/defence/"), "portfolios/defence/index.html");
        assert_eq!(root_of("portfolios/defence/"), "../../");
        assert_eq!(root_of(""), "");
        assert_eq!(root_of("portfolios/"), KIND_ROOT);
        assert_eq!(root_of("portfolios/defence/"), FEED_ROOT);
        assert_eq!(root_of(HISTORY_FOLDER), "../");
        assert_eq!(archive_folder("ministers/a/", 3), "ministers/a/archive/3/");
        assert_eq!(history_path("", 2024, Some(3)), "history/2024-03.html");
        assert_eq!(history_file(2024, None), "2024.html");
    }
}
