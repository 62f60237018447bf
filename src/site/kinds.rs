//! The kinds of feed, as data: the global feed, then one kind per taxonomy
//! of the configuration ([`crate::config::Taxonomy`]: the built-in
//! portfolios and ministers, then those declared), each with one feed per
//! name. [`kinds`] makes the list.
//!
//! Grouping ([`crate::site::group`]) makes the feeds of each kind in this order,
//! the pages ([`crate::output::html`]) give each kind a section of the
//! list of every feed (and, for kinds with one feed per name, a page of its
//! own), and the OPML list ([`crate::output::opml`]) a group. A feed refers
//! to its kind, so there is no kind a page or list could fail to know.
//!
//! A new taxonomy is configuration alone. A new kind that keys on something
//! else than a list of names (a feed per year) is one more [`Key`] variant,
//! which the compiler then makes grouping handle, and one more entry made
//! by [`kinds`]. The README's Development section shows both.

use std::sync::Arc;

use crate::config::{Config, Role, Taxonomy};
use crate::input::validate::Release;
use crate::text::with_article;

/// What a kind makes its feeds from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// One feed of every release (the global feed). Its page is the output
    /// folder's `index.html`, the list of every feed.
    Every,
    /// One feed per name in a taxonomy's list: its place in
    /// [`Config::taxonomies`] (and in each [`Release::terms`]).
    Names(usize),
}

/// One kind of feed.
#[derive(Debug)]
pub struct Kind {
    /// Its place in the list [`kinds`] makes.
    pub index: usize,
    /// The kind's anchor on the list of every feed (`#portfolios`), and the
    /// first part of its A–Z anchors (`#portfolios-d`).
    pub id: String,
    /// Folder of the kind's feeds, relative to the output folder, ending in
    /// `/` (empty for the global feed, whose files are in the output folder).
    /// A feed of a name lives in `<folder><slug>/`.
    pub folder: String,
    /// Heading of the kind's section and page ("Portfolios").
    pub heading: String,
    /// Heading of the names column in its table ("Portfolio").
    pub column: String,
    /// The OPML group its feeds are listed under ("Portfolios").
    pub group: String,
    /// Its feeds, in the list of every kind on the front page ("each
    /// portfolio").
    pub each: String,
    /// One of its feeds, in "follow only a portfolio or a minister" (empty
    /// for the global feed).
    pub one: String,
    /// What its names are to an entry, and what the list is called in a
    /// sentence ("portfolios"); `None` for the global feed.
    pub names: Option<(Role, String)>,
    /// Feed title: `{name}` is the feed's name, `{title}` the configured
    /// `title`.
    pub title: String,
    /// Feed description: `{name}` and `{title}` as in `title`,
    /// `{description}` the configured `description`.
    pub description: String,
    pub key: Key,
}

impl PartialEq for Kind {
    /// Kinds are the entries of one list: the same kind is the same entry.
    fn eq(&self, other: &Kind) -> bool {
        std::ptr::eq(self, other)
    }
}
impl Eq for Kind {}

/// Every kind of feed, in the order of the list of every feed and of the
/// OPML groups: the global feed, then one per taxonomy.
pub fn kinds(config: &Config) -> Vec<Arc<Kind>> {
    let global = Kind {
        index: 0,
        id: "all".to_string(),
        folder: String::new(),
        heading: "All releases".to_string(),
        column: "Feed".to_string(),
        group: "All".to_string(),
        each: "all releases".to_string(),
        one: String::new(),
        names: None,
        title: "{title}".to_string(),
        description: "{description}".to_string(),
        key: Key::Every,
    };
    let named = config
        .taxonomies
        .iter()
        .enumerate()
        .map(|(n, t)| of_taxonomy(n, t));
    std::iter::once(global)
        .chain(named)
        .enumerate()
        .map(|(index, kind)| Arc::new(Kind { index, ..kind }))
        .collect()
}

/// The kind of a taxonomy's feeds, its wording from its singular and plural.
fn of_taxonomy(n: usize, t: &Taxonomy) -> Kind {
    Kind {
        index: 0,
        id: t.key.clone(),
        folder: t.folder.clone(),
        heading: capitalised(&t.plural),
        column: capitalised(&t.singular),
        group: capitalised(&t.plural),
        each: format!("each {}", t.singular),
        one: with_article(&t.singular),
        names: Some((t.role, t.plural.clone())),
        title: t.title.clone(),
        description: t.description.clone(),
        key: Key::Names(n),
    }
}

/// `word` with its first letter in capitals ("Māori regions" as it is).
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The terms of taxonomy `n` on `release`, as written.
pub fn terms(release: &Release, n: usize) -> &[String] {
    release.terms.get(n).map_or(&[], Vec::as_slice)
}

impl Kind {
    /// The global feed's kind: one feed of every release.
    pub fn is_global(&self) -> bool {
        self.key == Key::Every
    }

    /// The title of this kind's feed of `name`.
    pub fn feed_title(&self, name: &str, config: &Config) -> String {
        fill(&self.title, name, config)
    }

    /// The description of this kind's feed of `name`.
    pub fn feed_description(&self, name: &str, config: &Config) -> String {
        fill(&self.description, name, config)
    }
}

/// `pattern` with `{name}`, `{title}` and `{description}` replaced, in one
/// pass (a name holding `{title}` stays as it is).
fn fill(pattern: &str, name: &str, config: &Config) -> String {
    let mut out = String::with_capacity(pattern.len() + name.len() + config.title.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let (value, len) = [
            ("{name}", name),
            ("{title}", config.title.as_str()),
            ("{description}", config.description.as_str()),
        ]
        .into_iter()
        .find(|(p, _)| after.starts_with(p))
        .map_or(("{", 1), |(p, v)| (v, p.len()));
        out.push_str(value);
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_descriptions_are_filled_in_once() {
        let config = Config {
            title: "T {name}".to_string(),
            description: "D".to_string(),
            ..Config::default()
        };
        let kinds = kinds(&config);
        let [all, portfolios, ministers] = &kinds[..] else {
            panic!("the defaults have two taxonomies")
        };
        assert_eq!(all.feed_title("", &config), "T {name}");
        assert_eq!(all.feed_description("", &config), "D");
        assert_eq!(
            portfolios.feed_title("Arts {title}", &config),
            "Arts {title} — T {name}"
        );
        assert_eq!(
            portfolios.feed_description("Arts", &config),
            "Releases in the Arts portfolio"
        );
        assert_eq!(
            ministers.feed_description("A B", &config),
            "Releases from A B"
        );
        assert_eq!(fill("{x} {", "n", &config), "{x} {");
    }

    /// One global kind, first; folders distinct, each ending in `/`.
    #[test]
    fn kinds_are_well_formed() {
        let kinds = kinds(&Config::default());
        assert!(kinds[0].is_global());
        assert_eq!(kinds.iter().filter(|k| k.is_global()).count(), 1);
        for (i, k) in kinds.iter().enumerate() {
            assert_eq!(k.index, i);
            assert!(k.is_global() == k.folder.is_empty(), "{}", k.id);
            assert!(k.folder.is_empty() || k.folder.ends_with('/'));
            for other in &kinds[i + 1..] {
                assert_ne!(k.folder, other.folder);
                assert_ne!(k.id, other.id);
                assert_ne!(k, other);
            }
        }
    }
}
