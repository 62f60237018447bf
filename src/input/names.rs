//! Minister and portfolio names: cleaning, folding spellings into one key,
//! slugs for feed paths, spotting junk that was scraped by mistake, and
//! pairs of spellings that are probably one name.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use rustc_hash::FxHashMap;

use crate::config::{DEFAULT_POST_NOMINALS, DEFAULT_TITLES, NameRules, Taxonomy};

/// Longest slug, in bytes (a slug is ASCII). Longer ones are cut at a hyphen
/// and end with a hash of the whole slug, so two long names never share one.
pub const MAX_SLUG: usize = 80;
/// Longest display name, in characters; longer ones are cut at a word.
pub const MAX_DISPLAY_CHARS: usize = 200;
/// Most ministers, and most portfolios, one release can name; the others get
/// no feed (with a warning), so the output grows linearly in the input.
pub const MAX_NAMES_PER_RELEASE: usize = 50;
/// A name on this many releases or fewer, and in none of their texts, is
/// flagged by `check` (a real minister is nearly always named in the text).
pub const RARE_RELEASES: usize = 3;
/// The rarity test needs an archive: on a site with fewer releases than
/// this, every name is rare.
pub const RARE_MIN_SITE: usize = 100;

/// Whose names a list holds: the junk rules differ (a person's name has
/// no digits and no lower-case words; "Budget 2010" is a real portfolio).
/// A taxonomy's is [`NameKind::of`] it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// People's names (ministers): a taxonomy with `people = true`.
    Person,
    /// Names of things (portfolios, regions, topics).
    Thing,
}

impl NameKind {
    /// The kind of names `taxonomy` holds.
    pub fn of(taxonomy: &Taxonomy) -> NameKind {
        match taxonomy.people {
            true => NameKind::Person,
            false => NameKind::Thing,
        }
    }
}

/// Collapses runs of whitespace (including non-breaking spaces) to one space,
/// trims, drops characters XML cannot carry, and removes leading honorifics
/// (matched case-insensitively, as whole words).
pub fn clean(raw: &str, honorifics: &[String]) -> String {
    let mut name = crate::text::collapse_whitespace(&crate::text::xml_safe(raw));
    let start = skip_prefixes(&name, &[honorifics], false);
    name.drain(..start);
    name
}

/// A minister's name: [`clean`], then titles ("Dr", "Sir", after or among
/// the honorifics) and post-nominal letters ("KC", "ONZM") removed, so
/// "Hon Dr Lockwood Smith" and "Judith Collins KC" are "Lockwood Smith" and
/// "Judith Collins". A name is never cut to nothing: "Dr" alone stays.
pub fn clean_person(
    raw: &str,
    honorifics: &[String],
    titles: &[String],
    post: &[String],
) -> String {
    let mut name = crate::text::collapse_whitespace(&crate::text::xml_safe(raw));
    let start = skip_prefixes(&name, &[honorifics, titles], true);
    name.drain(..start);
    // Post-nominals: trailing words, each one in the list once dots are
    // removed ("Q.C."), with the comma before them ("Collins, KC").
    while let Some(space) = name.rfind(' ') {
        let last = name[space + 1..].trim_end_matches([',', '.']);
        let letters: Cow<'_, str> = if last.contains('.') {
            Cow::Owned(last.replace('.', ""))
        } else {
            Cow::Borrowed(last)
        };
        if !post.iter().any(|p| *p == letters) {
            break;
        }
        name.truncate(space);
        let trimmed = name.trim_end_matches([',', ' ']).len();
        name.truncate(trimmed);
    }
    name
}

/// A name of `taxonomy` cleaned by its rules: [`clean_person`] for
/// people's names, else [`clean`].
pub fn clean_term(raw: &str, taxonomy: &Taxonomy) -> String {
    match taxonomy.people {
        true => clean_person(
            raw,
            &taxonomy.honorifics,
            &taxonomy.titles,
            &taxonomy.post_nominals,
        ),
        false => clean(raw, &taxonomy.honorifics),
    }
}

/// Bytes at the start of `name` taken by prefixes from `lists` (any order,
/// any number), each a whole word followed by a space; with `dots`, a dot
/// after a prefix ("Dr.") is part of it.
fn skip_prefixes(name: &str, lists: &[&[String]], dots: bool) -> usize {
    let mut start = 0;
    'strip: loop {
        let rest = &name[start..];
        for h in lists.iter().flat_map(|l| l.iter()) {
            if rest.len() > h.len()
                && rest.is_char_boundary(h.len())
                && rest[..h.len()].eq_ignore_ascii_case(h)
            {
                let after = &rest[h.len()..];
                let taken = if after.starts_with(' ') {
                    1
                } else if dots && after.starts_with(". ") {
                    2
                } else {
                    continue;
                };
                // Never the last word: "Dr" alone is left as it is.
                if rest[h.len() + taken..].is_empty() {
                    continue;
                }
                start += h.len() + taken;
                continue 'strip;
            }
        }
        break;
    }
    start
}

/// The key that decides which spellings are one feed, and the folder the feed
/// is written to: lowercase ASCII words joined by `-`. Case, spacing,
/// apostrophes, macrons and `&`/"and" do not matter ("Māori Development" and
/// "Maori  development" are both `maori-development`). Never empty; never
/// anything but `[a-z0-9-]`, so it cannot leave the output folder; at most
/// [`MAX_SLUG`] bytes (see [`bound_slug`]).
pub fn slug(name: &str) -> String {
    let folded = fold(name);
    if folded.is_empty() {
        // A name with no letters or digits: derive a stable slug from its bytes.
        return format!("name-{:08x}", fnv1a(name.as_bytes()) as u32);
    }
    bound_slug(folded)
}

/// Lowercase ASCII words of `name` joined by `-` (possibly empty, unbounded).
fn fold(name: &str) -> String {
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
    out
}

/// A folded slug longer than [`MAX_SLUG`] is cut at its last hyphen that
/// leaves room for `-` and 8 hex digits of the FNV-1a hash of the whole slug
/// (cut mid-word only when the first word alone is too long). Spellings that
/// fold to one slug still share it; two long names that differ anywhere get
/// different hashes.
pub fn bound_slug(folded: String) -> String {
    if folded.len() <= MAX_SLUG {
        return folded;
    }
    let hash = fnv1a(folded.as_bytes()) as u32;
    let room = MAX_SLUG - 9;
    let cut = match folded[..=room].rfind('-') {
        Some(i) if i > 0 => i,
        _ => room,
    };
    format!("{}-{hash:08x}", folded[..cut].trim_end_matches('-'))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// `name` cut to [`MAX_DISPLAY_CHARS`] at a word boundary, with `…`; itself
/// when short enough.
pub fn bounded_display(name: &str) -> Cow<'_, str> {
    match name.char_indices().nth(MAX_DISPLAY_CHARS) {
        None => Cow::Borrowed(name),
        Some((end, _)) => {
            let head = &name[..end];
            let cut = match head.rfind(' ') {
                Some(i) if i > end / 2 => &head[..i],
                _ => {
                    // No space in the second half: cut a character earlier,
                    // to leave room for the ellipsis.
                    let last = head.char_indices().last().map_or(0, |(i, _)| i);
                    &head[..last]
                }
            };
            Cow::Owned(format!("{}…", cut.trim_end_matches([',', ';', ':', ' '])))
        }
    }
}

/// Words link texts are made of. A release's minister or portfolio is never
/// called "View PDF file" or "Download here".
const LINK_WORDS: &[&str] = &[
    "attached",
    "click",
    "clicking",
    "doc",
    "document",
    "documents",
    "docx",
    "download",
    "downloaded",
    "downloads",
    "file",
    "here",
    "pdf",
    "site",
    "statement",
    "summary",
    "view",
    "website",
    "word",
];

/// Words that are in no person's name but in link texts, document titles
/// and roles taken for ministers ("Defence Policy Framework", "No Minister").
/// "report" is here rather than in [`LINK_WORDS`] because two real portfolio
/// names are a Royal Commission's report.
const NOT_PERSON_WORDS: &[&str] = &[
    "analysis",
    "framework",
    "government",
    "list",
    "minister",
    "ministers",
    "plan",
    "policy",
    "process",
    "report",
    "speech",
    "version",
];

/// Lower-case words a person's name may have ("Georgina te Heuheu", "Brooke
/// van Velden").
const NAME_PARTICLES: &[&str] = &[
    "al", "ap", "bin", "binti", "da", "de", "del", "della", "den", "der", "di", "du", "la", "le",
    "o", "st", "te", "ten", "ter", "van", "von", "y",
];

/// Longest plausible person's name, in characters and in words.
const MAX_PERSON_CHARS: usize = 60;
const MAX_PERSON_WORDS: usize = 5;

/// Why a cleaned name looks like something scraped by mistake, if it does:
/// a URL, a link text, a sentence, digits or punctuation in a person's
/// name, one word for a person, or too long. [`mentioned`] is the other test
/// `check` makes, on rare names only.
pub fn looks_like_junk(name: &str, kind: NameKind) -> Option<String> {
    let lower = name.to_lowercase();
    if lower.contains("://")
        || lower.starts_with("www.")
        || lower.contains(".govt.nz")
        || lower.contains(".com/")
        || lower.contains('/') && !lower.contains(' ')
    {
        return Some("looks like a URL".into());
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let person = kind == NameKind::Person;
    if let Some(w) = words
        .iter()
        .find(|w| LINK_WORDS.contains(w) || (person && NOT_PERSON_WORDS.contains(w)))
    {
        return Some(format!(
            "has the word {w:?}, which link texts and titles have, not {}",
            if person {
                "people's names"
            } else {
                "the names of things"
            }
        ));
    }
    let chars = name.chars().count();
    let starts_lower = name.chars().next().is_some_and(|c| c.is_lowercase());
    let sentence_end = name.ends_with(['.', '!', '?']);
    let spaced = name.split_whitespace().count();
    // Real portfolio names run to 20 words ("Government’s Response to the
    // Royal Commission’s Report into ..."); link texts are short but start in
    // lower case or end like a sentence.
    if sentence_end || starts_lower || spaced > 24 {
        return Some("looks like a sentence or link text, not a name".into());
    }
    if chars > MAX_DISPLAY_CHARS || person && chars > MAX_PERSON_CHARS {
        return Some(format!("is {chars} characters long, too long for a name"));
    }
    if !person {
        return None;
    }
    if spaced > MAX_PERSON_WORDS {
        return Some(format!("has {spaced} words, more than a person's name has"));
    }
    if name.chars().any(|c| c.is_numeric()) {
        return Some("has digits, which a person's name does not have".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| ",;:()[]{}/\\!?\"+=@#%*<>|_".contains(*c))
    {
        return Some(format!("has {c:?}, which a person's name does not have"));
    }
    if let Some(w) = name
        .split_whitespace()
        .find(|w| !w.chars().any(char::is_alphabetic))
    {
        return Some(format!(
            "has {w:?} on its own, which a person's name does not have"
        ));
    }
    if let Some(w) = name.split_whitespace().find(|w| {
        w.chars().next().is_some_and(char::is_lowercase)
            && !NAME_PARTICLES.contains(&w.to_lowercase().as_str())
    }) {
        return Some(format!(
            "has the lower-case word {w:?}: it reads as a phrase, not a person's name"
        ));
    }
    if spaced < 2 {
        return Some("is one word: a minister's name has a given name and a surname".into());
    }
    None
}

/// Words too common in portfolio names to show that the text is about one.
const PORTFOLIO_FILLER: &[&str] = &[
    "acting",
    "affairs",
    "and",
    "associate",
    "for",
    "minister",
    "ministry",
    "new",
    "office",
    "the",
    "zealand",
];

/// Whether `text` (a release's title and body) names `name`: a minister's
/// whole name, folded as slugs fold ("Nick Smith" in "Hon Nick Smith's"); a
/// portfolio's distinctive word ("Finance" for "Associate Minister of
/// Finance").
pub fn mentioned(name: &str, kind: NameKind, text: &str) -> bool {
    mentioned_in(name, kind, &fold_text(text))
}

/// A release's text folded once for [`mentioned_in`], however many names
/// are looked for in it.
pub fn fold_text(text: &str) -> String {
    format!("-{}-", fold(&without_possessives(text)))
}

/// [`mentioned`], in a text folded by [`fold_text`].
pub fn mentioned_in(name: &str, kind: NameKind, text: &str) -> bool {
    match kind {
        NameKind::Person => {
            let name = format!("-{}-", fold(name));
            name.len() > 2 && text.contains(&name)
        }
        NameKind::Thing => {
            let folded = fold(name);
            let mut words = folded
                .split('-')
                .filter(|w| w.len() >= 3 && !PORTFOLIO_FILLER.contains(w))
                .peekable();
            if words.peek().is_none() {
                return true;
            }
            words.any(|w| text.contains(&format!("-{w}-")))
        }
    }
}

/// `text` with each possessive `'s` or `’s` made a word of its own, so
/// "Nick Smith’s" folds to `nick-smith-s` (not `nick-smiths`) and still
/// names Nick Smith.
fn without_possessives(text: &str) -> Cow<'_, str> {
    if !text.contains("'s") && !text.contains("’s") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if (c == '\'' || c == '’') && chars.peek() == Some(&'s') {
            let mut ahead = chars.clone();
            ahead.next();
            if !ahead.peek().is_some_and(|n| n.is_alphanumeric()) {
                out.push(' ');
                continue;
            }
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Why two slugs are probably one name, if they are: equal once titles,
/// post-nominals and small words are set aside, or one letter apart (an
/// edit of a digit is not a typo: "Budget 2010" and "Budget 2011" are two).
fn same_name(a: &str, b: &str) -> Option<&'static str> {
    if a == b {
        return None;
    }
    if a.len() >= 5 && b.len() >= 5 && one_letter_apart(a.as_bytes(), b.as_bytes()) {
        return Some("they are one letter apart");
    }
    if core_key(a) == core_key(b) {
        return Some("they are the same once titles, post-nominals and small words are set aside");
    }
    None
}

fn one_letter_apart(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    match long.len() - short.len() {
        0 => {
            prefix < short.len()
                && short[prefix].is_ascii_alphabetic()
                && long[prefix].is_ascii_alphabetic()
                && short[prefix + 1..] == long[prefix + 1..]
        }
        1 => long[prefix].is_ascii_alphabetic() && short[prefix..] == long[prefix + 1..],
        _ => false,
    }
}

/// A slug's words without the default titles, post-nominals and small words.
fn core_key(slug: &str) -> String {
    const SMALL: &[&str] = &["of", "for", "the", "and", "ltd", "limited", "hon", "rt"];
    slug.split('-')
        .filter(|w| {
            !SMALL.contains(w)
                && !DEFAULT_TITLES.iter().any(|t| t.eq_ignore_ascii_case(w))
                && !DEFAULT_POST_NOMINALS
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(w))
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Most names [`likely_duplicates`] compares; beyond it (no real archive
/// comes near: the beehive one has 240) the report is skipped, so a hostile
/// seed folder cannot make it costly.
pub const MAX_COMPARED_NAMES: usize = 50_000;

/// Pairs of indexes into `slugs` that are probably one name, with why
/// ([`same_name`]), in index order. Near-linear: candidates share a core key
/// or a one-letter deletion (hashed, then checked), so the work grows with
/// the number of names times their length, not with its square. Empty for
/// more than [`MAX_COMPARED_NAMES`] names.
pub fn likely_duplicates(slugs: &[&str]) -> Vec<(usize, usize, &'static str)> {
    if slugs.len() > MAX_COMPARED_NAMES {
        return Vec::new();
    }
    let hash = |tag: u8, parts: &[&[u8]]| -> u64 {
        let mut h = fnv1a(&[tag]);
        for p in parts {
            h = p
                .iter()
                .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
        }
        h
    };
    let mut buckets: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    let mut keys: Vec<u64> = Vec::new();
    for (i, s) in slugs.iter().enumerate() {
        let b = s.as_bytes();
        keys.clear();
        keys.push(hash(b'c', &[core_key(s).as_bytes()]));
        keys.push(hash(b'd', &[b]));
        for (at, c) in b.iter().enumerate() {
            if c.is_ascii_alphabetic() {
                keys.push(hash(b'd', &[&b[..at], &b[at + 1..]]));
            }
        }
        keys.sort_unstable();
        keys.dedup();
        for &k in &keys {
            buckets.entry(k).or_default().push(i as u32);
        }
    }
    let mut pairs: HashMap<(usize, usize), &'static str> = HashMap::new();
    for members in buckets.values() {
        if members.len() < 2 {
            continue;
        }
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                let (a, b) = (a as usize, b as usize);
                let key = (a.min(b), a.max(b));
                if pairs.contains_key(&key) {
                    continue;
                }
                if let Some(why) = same_name(slugs[key.0], slugs[key.1]) {
                    pairs.insert(key, why);
                }
            }
        }
    }
    let mut out: Vec<(usize, usize, &'static str)> =
        pairs.into_iter().map(|((a, b), why)| (a, b, why)).collect();
    out.sort_unstable();
    out
}

/// What the rules make of one cleaned name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Publish under this key; `fixed` is the display name an alias imposes;
    /// `kept` when the config lists the name (or its alias) as right.
    Keep {
        key: String,
        fixed: Option<String>,
        kept: bool,
    },
    /// The config drops this name.
    Dropped,
}

/// Aliases, drops and keeps of one kind of name, keyed by slug.
#[derive(Debug, Default)]
pub struct Rules {
    aliases: HashMap<String, String>,
    drop: HashSet<String>,
    keep: HashSet<String>,
}

impl Rules {
    /// `clean` is the cleaning the names of this kind get (so an alias may
    /// be written with or without "Hon").
    pub fn new(rules: &NameRules, clean: impl Fn(&str) -> String) -> Rules {
        Rules {
            aliases: rules
                .aliases
                .iter()
                .map(|(from, to)| (slug(&clean(from)), clean(to)))
                .collect(),
            drop: rules.drop.iter().map(|d| slug(&clean(d))).collect(),
            keep: rules.keep.iter().map(|d| slug(&clean(d))).collect(),
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
                        kept: true,
                        key,
                        fixed: Some(target.clone()),
                    }
                }
            }
            None => Resolved::Keep {
                kept: self.keep.contains(&key),
                key,
                fixed: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hon() -> Vec<String> {
        vec!["Rt Hon".into(), "Hon".into()]
    }

    fn person(s: &str) -> String {
        let c = crate::config::Config::default();
        let (_, ministers) = c.taxonomy("ministers").expect("a built-in taxonomy");
        clean_term(s, ministers)
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
    fn titles_and_post_nominals_go() {
        assert_eq!(person("Judith Collins KC"), "Judith Collins");
        assert_eq!(person("Hon Judith Collins, K.C."), "Judith Collins");
        assert_eq!(person("Dr Lockwood Smith"), "Lockwood Smith");
        assert_eq!(person("Hon Dr. Shane Reti"), "Shane Reti");
        assert_eq!(person("Dr Hon Shane Reti"), "Shane Reti");
        assert_eq!(person("Rt Hon Sir Jim Bolger ONZ"), "Jim Bolger");
        assert_eq!(person("Dame Jenny Shipley DNZM"), "Jenny Shipley");
        assert_eq!(person("Jo Kc"), "Jo Kc", "post-nominals are capitals");
        assert_eq!(person("Drew Smith"), "Drew Smith");
        assert_eq!(person("Dr"), "Dr");
        assert_eq!(person("Mary MP"), "Mary");
        assert_eq!(person("KC"), "KC");
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
    fn long_slugs_are_cut_at_a_word_with_a_hash() {
        let a = slug(&"word ".repeat(100));
        let b = slug(&format!("{}x", "word ".repeat(100)));
        assert!(a.len() <= MAX_SLUG && b.len() <= MAX_SLUG, "{a} {b}");
        assert_ne!(a, b);
        assert!(a.starts_with("word-word-"), "{a}");
        let stem = &a[..a.len() - 9];
        assert!(stem.split('-').all(|w| w == "word"), "cut at a hyphen: {a}");
        let chinese = slug(&"中华人民共和国".repeat(10));
        assert!(chinese.len() <= MAX_SLUG, "{chinese}");
        assert_eq!(slug(&a), a, "a bounded slug is its own slug");
        let one_word = slug(&"x".repeat(500));
        assert_eq!(one_word.len(), MAX_SLUG);
    }

    #[test]
    fn display_names_are_bounded() {
        let long = "Name ".repeat(100);
        let d = bounded_display(long.trim());
        assert!(d.chars().count() <= MAX_DISPLAY_CHARS + 1, "{d}");
        assert!(d.ends_with("Name…"), "{d}");
        assert_eq!(bounded_display("Phil Goff"), "Phil Goff");
        let solid = "x".repeat(300);
        assert_eq!(bounded_display(&solid).chars().count(), MAX_DISPLAY_CHARS);
    }

    #[test]
    fn junk_is_spotted() {
        let m = |s| looks_like_junk(s, NameKind::Person);
        let p = |s| looks_like_junk(s, NameKind::Thing);
        for junk in [
            "clicking here",
            "www.executive.govt.nz/minister/king/",
            "https://example.org",
            "View copy of the report as Word doc.",
            "View Word document of new rates",
            "Download as PDF file",
            "A full list of scholarship recipients",
            "Air New Zealand statement",
            "Mururoa",
            "No Minister",
            "Defence Policy Framework",
            "Analysis - Adults",
            "Summary Report, Children",
            "The executive summary",
            "Policy Adjustment to General Skills Category",
            "International Court of Justice in the early seventies",
            "Agent 007",
        ] {
            assert!(m(junk).is_some(), "{junk}");
        }
        for real in [
            "Phil Goff",
            "Georgina te Heuheu",
            "Brooke van Velden",
            "Peseta Sam Lotu-Iiga",
            "Damien O’Connor",
            "Laila Harré",
            "Willow-Jean Prime",
            "Iain Lees-Galloway",
        ] {
            assert_eq!(m(real), None, "{real}");
        }
        for real in [
            "Māori Crown Relations: Te Arawhiti",
            "ACC",
            "Budget 2010",
            "Y2K",
            "Associate Minister of Education (Early Childhood Education and Maori Education)",
            "Government’s Response to the Royal Commission’s Report into Historical Abuse in State Care and in the Care of Faith-based Institutions",
        ] {
            assert_eq!(p(real), None, "{real}");
        }
        assert!(p("https://www.recordedmusic.co.nz/portfolio/x/").is_some());
        assert!(p("View PDF").is_some());
    }

    #[test]
    fn mentions() {
        let body = "Hon Nick Smith’s statement: the Minister of Finance, Nick  Smith, said";
        assert!(mentioned("Nick Smith", NameKind::Person, body));
        assert!(mentioned("Nick Smith", NameKind::Person, "Nick Smith's"));
        assert!(mentioned(
            "Damien O’Connor",
            NameKind::Person,
            "Damien O'Connor’s"
        ));
        assert!(!mentioned("Nik Smith", NameKind::Person, body));
        assert!(!mentioned("Smith", NameKind::Person, "Smithers"));
        assert!(mentioned(
            "Associate Minister of Finance",
            NameKind::Thing,
            body
        ));
        assert!(!mentioned("Crown", NameKind::Thing, body));
    }

    #[test]
    fn duplicates_are_paired() {
        let slugs = [
            "nick-smith",
            "nik-smith",
            "budget-2010",
            "budget-2011",
            "radio-new-zealand",
            "radio-new-zealand-ltd",
            "associate-minister-of-the-environment",
            "associate-minister-for-the-environment",
            "judith-collins",
            "judith-collins-kc",
            "phil-goff",
        ];
        let pairs: Vec<(&str, &str)> = likely_duplicates(&slugs)
            .into_iter()
            .map(|(a, b, _)| (slugs[a], slugs[b]))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("nick-smith", "nik-smith"),
                ("radio-new-zealand", "radio-new-zealand-ltd"),
                (
                    "associate-minister-of-the-environment",
                    "associate-minister-for-the-environment"
                ),
                ("judith-collins", "judith-collins-kc"),
            ]
        );
    }

    #[test]
    fn aliases_drops_and_keeps() {
        let mut r = NameRules::default();
        r.aliases
            .insert("Maori Affairs".into(), "Māori Affairs".into());
        r.drop.push("clicking here".into());
        r.keep.push("Mururoa".into());
        let rules = Rules::new(&r, |s| clean(s, &hon()));
        assert_eq!(rules.resolve("Clicking  Here"), Resolved::Dropped);
        assert_eq!(
            rules.resolve("MAORI AFFAIRS"),
            Resolved::Keep {
                key: "maori-affairs".into(),
                fixed: Some("Māori Affairs".into()),
                kept: true,
            }
        );
        assert_eq!(
            rules.resolve("Mururoa"),
            Resolved::Keep {
                key: "mururoa".into(),
                fixed: None,
                kept: true,
            }
        );
    }
}
