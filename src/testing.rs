//! Helpers shared by the unit tests.

use crate::input::validate::Release;
use crate::output::Item;
use crate::render::Rendered;
use crate::site::group::{Feed, Site};

/// A small deterministic random generator (xorshift64): each call gives a
/// number below its argument.
pub fn rng(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    }
}

/// Text of fewer than `max` pieces, each drawn from `pieces`.
pub fn text(next: &mut impl FnMut(usize) -> usize, pieces: &[&str], max: usize) -> String {
    let mut s = String::new();
    for _ in 0..next(max) {
        s.push_str(pieces[next(pieces.len())]);
    }
    s
}

/// A release titled `title`, with one attachment.
pub fn release(title: &str) -> Release {
    Release {
        path: "a.md".into(),
        title: title.to_string(),
        date: chrono::DateTime::parse_from_rfc3339("2020-01-02T03:04:05+13:00")
            .expect("a valid date"),
        url: "https://x.nz/a".to_string(),
        amended: None,
        terms: Box::new([]),
        attachments: vec!["https://x.nz/a.pdf".to_string()],
        body_offset: 0,
    }
}

/// `release` as an item whose body rendered to `html`.
pub fn item<'a>(release: &'a Release, html: &str) -> Item<'a> {
    Item {
        index: 0,
        release,
        terms: vec![],
        rendered: Rendered {
            html: html.to_string(),
            summary: "s\"".to_string(),
        },
    }
}

/// A site with no releases and no feeds.
pub fn empty_site() -> Site {
    Site {
        releases: vec![],
        names: vec![],
        kinds: crate::site::kinds::kinds(&crate::config::Config::default()),
        feeds: vec![],
    }
}

/// An empty feed of the first kind (the global feed).
pub fn global_feed() -> Feed {
    Feed {
        kind: crate::site::kinds::kinds(&crate::config::Config::default())[0].clone(),
        slug: String::new(),
        name: String::new(),
        dir: String::new(),
        releases: vec![],
    }
}
