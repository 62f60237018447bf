//! Minister and portfolio names: cleaning, folding spellings into one key,
//! slugs for feed paths, and spotting junk that was scraped by mistake.

use std::collections::HashMap;

use crate::config::NameRules;

/// Collapses runs of whitespace (including non-breaking spaces) to one space,
/// trims, drops characters XML cannot carry, and removes leading honorifics
/// (matched case-insensitively, as whole words).
pub fn clean(raw: &str, honorifics: &[String]) -> String {
    let mut name = crate::text::collapse_whitespace(&crate::text::xml_safe(raw));
    // Where the name starts once every leading honorific is skipped.
    let mut start = 0;
    'strip: loop {
        let rest = &name[start..];
        for h in honorifics {
            if rest.len() > h.len()
                && rest.is_char_boundary(h.len())
                && rest[..h.len()].eq_ignore_ascii_case(h)
                && rest[h.len()..].starts_with(' ')
            {
                start += h.len() + 1;
                continue 'strip;
            }
        }
        break;
    }
    name.drain(..start);
    name
}

/// The key that decides which spellings are one feed, and the folder the feed
/// is written to: lowercase ASCII words joined by `-`. Case, spacing,
/// apostrophes, macrons and `&`/"and" do not matter ("Māori Development" and
/// "Maori  development" are both `maori-development`). Never empty; never
/// anything but `[a-z0-9-]`, so it cannot leave the output folder.
pub fn slug(name: &str) -> String {
    let ascii = deunicode::deunicode(&name.replace('&', " and "));
    let mut out = String::with_capacity(ascii.len());
    let mut pending_dash = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
        } else if c != '\'' && c != '`' {
            pending_dash = true;
        }
    }
    if out.is_empty() {
        // A name with no letters or digits: derive a stable slug from its bytes.
        out = format!("name-{:08x}", fnv1a(name.as_bytes()) as u32);
    }
    out
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// Why a name looks like something scraped by mistake, if it does.
pub fn looks_like_junk(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    if lower.contains("://")
        || lower.starts_with("www.")
        || lower.contains(".govt.nz")
        || lower.contains(".com/")
        || lower.contains('/') && !lower.contains(' ')
    {
        return Some("looks like a URL");
    }
    let words = name.split_whitespace().count();
    let starts_lower = name.chars().next().is_some_and(|c| c.is_lowercase());
    // Real portfolio names run to 20 words ("Government’s Response to the
    // Royal Commission’s Report into ..."); link texts are short but start in
    // lower case or end like a sentence.
    if words > 24 || name.chars().count() > 200 || name.ends_with('.') || starts_lower {
        return Some("looks like a sentence or link text, not a name");
    }
    None
}

/// What the rules make of one cleaned name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Publish under this key; `fixed` is the display name an alias imposes.
    Keep { key: String, fixed: Option<String> },
    /// The config drops this name.
    Dropped,
}

/// Aliases and drops of one kind of name, keyed by slug.
#[derive(Debug, Default)]
pub struct Rules {
    aliases: HashMap<String, String>,
    drop: Vec<String>,
}

impl Rules {
    pub fn new(rules: &NameRules, honorifics: &[String]) -> Rules {
        Rules {
            aliases: rules
                .aliases
                .iter()
                .map(|(from, to)| (slug(&clean(from, honorifics)), clean(to, honorifics)))
                .collect(),
            drop: rules
                .drop
                .iter()
                .map(|d| slug(&clean(d, honorifics)))
                .collect(),
        }
    }

    pub fn resolve(&self, cleaned: &str) -> Resolved {
        let key = slug(cleaned);
        if self.drop.contains(&key) {
            return Resolved::Dropped;
        }
        match self.aliases.get(&key) {
            Some(target) => {
                let key = slug(target);
                if self.drop.contains(&key) {
                    Resolved::Dropped
                } else {
                    Resolved::Keep {
                        key,
                        fixed: Some(target.clone()),
                    }
                }
            }
            None => Resolved::Keep { key, fixed: None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hon() -> Vec<String> {
        vec!["Rt Hon".into(), "Hon".into()]
    }

    #[test]
    fn honorifics_and_spacing_go() {
        assert_eq!(
            clean("Rt Hon  Jacinda\u{a0}Ardern ", &hon()),
            "Jacinda Ardern"
        );
        assert_eq!(clean("hon Phil Goff", &hon()), "Phil Goff");
        assert_eq!(clean("Honey Bee", &hon()), "Honey Bee");
        assert_eq!(clean("Hon", &hon()), "Hon");
    }

    #[test]
    fn spellings_fold_to_one_slug() {
        assert_eq!(slug("Māori Development"), "maori-development");
        assert_eq!(slug("Maori  development"), "maori-development");
        assert_eq!(slug("Children’s Affairs"), slug("Childrens Affairs"));
        assert_eq!(slug("Children's affairs"), "childrens-affairs");
        assert_eq!(
            slug("Arts, Culture & Heritage"),
            "arts-culture-and-heritage"
        );
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        let odd = slug("—");
        assert!(odd.starts_with("name-") && odd.len() == 13, "{odd}");
    }

    #[test]
    fn junk_is_spotted() {
        assert!(looks_like_junk("clicking here").is_some());
        assert!(looks_like_junk("www.executive.govt.nz/minister/king/").is_some());
        assert!(looks_like_junk("https://example.org").is_some());
        assert!(looks_like_junk("Phil Goff").is_none());
        assert!(looks_like_junk("Māori Crown Relations: Te Arawhiti").is_none());
        assert!(looks_like_junk("ACC").is_none());
        assert!(looks_like_junk("View copy of the report as Word doc.").is_some());
        let long = "Government’s Response to the Royal Commission’s Report into Historical Abuse in State Care and in the Care of Faith-based Institutions";
        assert!(looks_like_junk(long).is_none(), "a real portfolio name");
    }

    #[test]
    fn aliases_and_drops() {
        let mut r = NameRules::default();
        r.aliases
            .insert("Maori Affairs".into(), "Māori Affairs".into());
        r.drop.push("clicking here".into());
        let rules = Rules::new(&r, &hon());
        assert_eq!(rules.resolve("Clicking  Here"), Resolved::Dropped);
        assert_eq!(
            rules.resolve("MAORI AFFAIRS"),
            Resolved::Keep {
                key: "maori-affairs".into(),
                fixed: Some("Māori Affairs".into())
            }
        );
    }
}
