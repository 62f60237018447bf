//! The kinds of feed, as data: the global feed, one feed per portfolio and
//! one per minister are the entries of [`KINDS`].
//!
//! Grouping ([`crate::site::group`]) makes the feeds of each kind in this order,
//! the pages ([`crate::output::html`]) give each kind a section of the
//! list of every feed (and, for kinds with one feed per name, a page of its
//! own), and the OPML list ([`crate::output::opml`]) a group. A feed refers
//! to its kind by reference, so there is no kind a page or list could fail
//! to know.
//!
//! A new kind is one more entry, and, when it keys on something releases do
//! not have yet, one more [`Key`] (or [`Field`]) variant, which the compiler
//! then makes grouping handle. The README's Development section shows a
//! per-year feed as the example.

use crate::config::{Config, NameRules};
use crate::input::validate::Release;

/// What a kind makes its feeds from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// One feed of every release (the global feed). Its page is the output
    /// folder's `index.html`, the list of every feed.
    Every,
    /// One feed per name in one of a release's lists of names.
    Names(Field),
}

/// A list of names a release carries in its front matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Ministers,
    Portfolios,
}

impl Field {
    /// The spellings of this list on `release`, as written.
    pub fn of(self, release: &Release) -> &[String] {
        match self {
            Field::Ministers => &release.ministers,
            Field::Portfolios => &release.portfolios,
        }
    }

    /// The configuration's clean-up rules (aliases, drop) for these names.
    pub fn rules(self, config: &Config) -> &NameRules {
        match self {
            Field::Ministers => &config.ministers,
            Field::Portfolios => &config.portfolios,
        }
    }

    /// One name of the list, in warnings: "minister".
    pub fn singular(self) -> &'static str {
        match self {
            Field::Ministers => "minister",
            Field::Portfolios => "portfolio",
        }
    }

    /// The configuration section of its rules: "ministers".
    pub fn section(self) -> &'static str {
        match self {
            Field::Ministers => "ministers",
            Field::Portfolios => "portfolios",
        }
    }
}

/// One kind of feed.
#[derive(Debug)]
pub struct Kind {
    /// The kind's anchor on the list of every feed (`#portfolios`), and the
    /// first part of its A–Z anchors (`#portfolios-d`).
    pub id: &'static str,
    /// Folder of the kind's feeds, relative to the output folder, ending in
    /// `/` (empty for the global feed, whose files are in the output folder).
    /// A feed of a name lives in `<folder><slug>/`.
    pub folder: &'static str,
    /// Heading of the kind's section and page ("Portfolios").
    pub heading: &'static str,
    /// Heading of the names column in its table ("Portfolio").
    pub column: &'static str,
    /// The OPML group its feeds are listed under ("Portfolios").
    pub group: &'static str,
    /// Its feeds, in the list of every kind on the front page ("each
    /// portfolio").
    pub each: &'static str,
    /// One of its feeds, in "follow only a portfolio or a minister" (empty
    /// for the global feed).
    pub one: &'static str,
    /// Feed title: `{name}` is the feed's name, `{title}` the configured
    /// `title`.
    pub title: &'static str,
    /// Feed description: `{name}` and `{title}` as in `title`,
    /// `{description}` the configured `description`.
    pub description: &'static str,
    pub key: Key,
}

impl PartialEq for Kind {
    /// Kinds are the entries of [`KINDS`]: the same kind is the same entry.
    fn eq(&self, other: &Kind) -> bool {
        std::ptr::eq(self, other)
    }
}
impl Eq for Kind {}

/// Every kind of feed, in the order of the list of every feed and of the
/// OPML groups.
pub static KINDS: [Kind; 3] = [
    Kind {
        id: "all",
        folder: "",
        heading: "All releases",
        column: "Feed",
        group: "All",
        each: "all releases",
        one: "",
        title: "{title}",
        description: "{description}",
        key: Key::Every,
    },
    Kind {
        id: "portfolios",
        folder: "portfolios/",
        heading: "Portfolios",
        column: "Portfolio",
        group: "Portfolios",
        each: "each portfolio",
        one: "a portfolio",
        title: "{name} — {title}",
        description: "Releases in the {name} portfolio",
        key: Key::Names(Field::Portfolios),
    },
    Kind {
        id: "ministers",
        folder: "ministers/",
        heading: "Ministers",
        column: "Minister",
        group: "Ministers",
        each: "each minister",
        one: "a minister",
        title: "{name} — {title}",
        description: "Releases from {name}",
        key: Key::Names(Field::Ministers),
    },
];

impl Kind {
    /// The global feed's kind: one feed of every release.
    pub fn is_global(&self) -> bool {
        self.key == Key::Every
    }

    /// Its place in [`KINDS`].
    pub fn index(&self) -> usize {
        KINDS
            .iter()
            .position(|k| k == self)
            .expect("every kind is an entry of KINDS")
    }

    /// The title of this kind's feed of `name`.
    pub fn feed_title(&self, name: &str, config: &Config) -> String {
        fill(self.title, name, config)
    }

    /// The description of this kind's feed of `name`.
    pub fn feed_description(&self, name: &str, config: &Config) -> String {
        fill(self.description, name, config)
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
        let [all, portfolios, ministers] = &KINDS;
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
        assert!(KINDS[0].is_global());
        assert_eq!(KINDS.iter().filter(|k| k.is_global()).count(), 1);
        for (i, k) in KINDS.iter().enumerate() {
            assert!(k.is_global() == k.folder.is_empty(), "{}", k.id);
            assert!(k.folder.is_empty() || k.folder.ends_with('/'));
            for other in &KINDS[i + 1..] {
                assert_ne!(k.folder, other.folder);
                assert_ne!(k.id, other.id);
                assert_ne!(k, other);
            }
        }
    }
}
