//! Stage 4: Markdown bodies to safe HTML, and a plain-text summary.
//!
//! Bodies are CommonMark plus tables, strikethrough and footnotes
//! (pulldown-cmark). Links and images are made absolute against the release
//! URL while the Markdown is parsed; a link with a scheme that is not on the
//! allow list (`javascript:`, `data:`...) loses its link. Raw HTML in a body is
//! passed through ammonia, which removes scripts, styles, frames, event
//! handlers and unsafe URLs. Bodies without raw HTML never contain markup that
//! pulldown-cmark did not write, so they skip that (slower) step.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use url::Url;

use crate::text::{MAX_HTML_DEPTH, raw_html_depth, xml_safe};

/// A rendered body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// Full HTML, including the list of attachments.
    pub html: String,
    /// Plain text of the opening paragraph.
    pub summary: String,
}

/// URL schemes a link or image may use.
const ALLOWED_SCHEMES: &[&str] = &["http", "https", "mailto", "tel", "ftp", "ftps"];

thread_local! {
    /// The release URL relative links in raw HTML are resolved against.
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
    static SANITISER: ammonia::Builder<'static> = sanitiser();
}

fn sanitiser() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.url_relative(ammonia::UrlRelative::Custom(Box::new(relative_to_base)));
    b.add_generic_attributes(["id"]);
    b
}

/// Resolves a relative URL found in raw HTML against this thread's release URL.
fn relative_to_base(url: &str) -> Option<Cow<'_, str>> {
    BASE.with(|base| {
        base.borrow()
            .as_ref()
            .and_then(|base| base.join(url).ok())
            .map(|u| Cow::Owned(u.to_string()))
    })
}

/// Renders a Markdown body. `url` is the release URL (the base for relative
/// links); `attachments` are listed as links after the body.
pub fn render(markdown: &str, url: &str, attachments: &[String]) -> Rendered {
    let markdown = xml_safe(markdown);
    // Parsed only for a body with a relative link or raw HTML.
    let base = OnceCell::new();
    let base = || base.get_or_init(|| Url::parse(url).ok()).as_ref();
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;

    // Raw HTML nested deeper than a real release's costs the sanitiser
    // more than linear time: its tags are dropped, its text kept.
    let flatten = raw_html_depth(&markdown) > MAX_HTML_DEPTH;
    let mut has_raw_html = false;
    let mut summary = Summary::default();
    // For each open link or image: whether its Start event was kept.
    let mut kept: Vec<bool> = Vec::new();

    let events = Parser::new_ext(&markdown, options).filter_map(|event| {
        summary.see(&event);
        if let Event::Html(_) | Event::InlineHtml(_) = &event {
            // Flattened HTML is text: nothing for the sanitiser to do.
            has_raw_html = !flatten;
        }
        let mut event = event;
        match &mut event {
            Event::Html(html) | Event::InlineHtml(html) if flatten => {
                Some(Event::Text(strip_tags(html).into()))
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                let fixed = fix_url(dest_url, base);
                kept.push(fixed.is_some());
                *dest_url = fixed?;
                Some(event)
            }
            Event::End(TagEnd::Link | TagEnd::Image) => kept.pop().unwrap_or(true).then_some(event),
            _ => Some(event),
        }
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);

    if has_raw_html {
        BASE.with(|b| *b.borrow_mut() = base().cloned());
        html = SANITISER.with(|s| s.clean(&html).to_string());
    }
    append_attachments(&mut html, attachments);
    Rendered {
        html,
        summary: summary.finish(),
    }
}

/// The summary [`render`] gives `markdown`, without rendering it: the
/// parser stops once the first block with text is read. What archive
/// documents and history pages need of a release no feed carries whole.
pub fn summary(markdown: &str) -> String {
    let markdown = xml_safe(markdown);
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    let mut summary = Summary::default();
    for event in Parser::new_ext(&markdown, options) {
        summary.see(&event);
        if summary.done {
            break;
        }
    }
    summary.finish()
}

/// The text of a piece of raw HTML without its tags.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The most characters a summary has; a longer text is cut at the last
/// word boundary before it, and ends with `…`.
pub const SUMMARY_CHARS: usize = 500;

/// The summary of a body, gathered as it is parsed: the text of its first
/// top-level block that has any, whatever the block (paragraph, heading,
/// list, table, quote, code), without markup.
#[derive(Default)]
struct Summary {
    text: String,
    /// How many blocks and inline elements are open.
    depth: usize,
    done: bool,
}

impl Summary {
    fn see(&mut self, event: &Event<'_>) {
        if self.done {
            return;
        }
        match event {
            Event::Start(tag) => {
                // Words in different blocks (cells, items) stay apart;
                // emphasis and links run on.
                if !is_inline(tag) {
                    self.text.push(' ');
                }
                self.depth += 1;
            }
            Event::End(end) => {
                self.depth = self.depth.saturating_sub(1);
                if !is_inline_end(end) {
                    self.text.push(' ');
                }
                if self.depth == 0 {
                    // A block with no text (an image without alt text, raw
                    // HTML) gives way to the next.
                    self.done = !self.text.trim().is_empty();
                }
            }
            Event::Text(t) | Event::Code(t) if self.depth > 0 => self.text.push_str(t),
            Event::SoftBreak | Event::HardBreak => self.text.push(' '),
            _ => {}
        }
    }

    fn finish(self) -> String {
        cut_at_word(crate::text::collapse_whitespace(&self.text), SUMMARY_CHARS)
    }
}

/// Whether `tag` is markup within a block's text.
fn is_inline(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

/// Whether `end` closes markup within a block's text.
fn is_inline_end(end: &TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// `text` (words joined by single spaces) cut to at most `max` characters
/// at a word boundary, with `…` when cut. A first word longer than `max`
/// is cut where the limit falls.
pub fn cut_at_word(text: String, max: usize) -> String {
    let Some((at, _)) = text.char_indices().nth(max) else {
        return text;
    };
    let end = match text[at..].starts_with(' ') {
        true => at,
        false => text[..at].rfind(' ').unwrap_or(at),
    };
    format!("{}…", text[..end].trim_end())
}

/// What a feed carries of a release whose body is too big for a feed
/// document: its summary, a link to the full release and its attachments.
pub fn shortened(summary: &str, url: &str, attachments: &[String]) -> Rendered {
    let mut html = String::new();
    if !summary.is_empty() {
        html.push_str("<p>");
        escape_into(&mut html, summary);
        html.push_str("</p>\n");
    }
    html.push_str("<p><a href=\"");
    escape_into(&mut html, url);
    html.push_str("\">Read the full release</a></p>\n");
    append_attachments(&mut html, attachments);
    Rendered {
        html,
        summary: summary.to_string(),
    }
}

/// Makes a link target absolute against the release URL. `None` when its
/// scheme is not allowed (the link is then dropped, its text kept).
fn fix_url<'a, 'b>(
    dest: &CowStr<'a>,
    base: impl FnOnce() -> Option<&'b Url>,
) -> Option<CowStr<'a>> {
    if crate::text::is_plain_http_url(dest) {
        return Some(dest.clone());
    }
    match Url::parse(dest) {
        Ok(u) => ALLOWED_SCHEMES.contains(&u.scheme()).then(|| dest.clone()),
        Err(url::ParseError::RelativeUrlWithoutBase) => match base() {
            Some(base) => base.join(dest).ok().map(|u| CowStr::from(String::from(u))),
            None => Some(dest.clone()),
        },
        Err(_) => None,
    }
}

/// Appends `text` to `html`, escaped for an attribute or text.
fn escape_into(html: &mut String, text: &str) {
    pulldown_cmark_escape::escape_html(html, text).expect("escaping into a String cannot fail")
}

/// Appends "Attachments:" and a list of links, one per attachment, named by
/// the file name in the URL.
fn append_attachments(html: &mut String, attachments: &[String]) {
    if attachments.is_empty() {
        return;
    }
    html.push_str("<p>Attachments:</p>\n<ul>\n");
    for a in attachments {
        html.push_str("<li><a href=\"");
        escape_into(html, a);
        html.push_str("\">");
        escape_into(html, &attachment_name(a));
        html.push_str("</a></li>\n");
    }
    html.push_str("</ul>\n");
}

/// The decoded last path segment of an attachment URL, or the URL itself.
pub fn attachment_name(url: &str) -> String {
    let segment = Url::parse(url)
        .ok()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next_back().map(str::to_string))
        })
        .filter(|s| !s.is_empty());
    match segment {
        Some(s) => {
            xml_safe(&percent_encoding::percent_decode_str(&s).decode_utf8_lossy()).into_owned()
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://www.beehive.govt.nz/release/x";

    #[test]
    fn markdown_features() {
        let r = render(
            "Hello *world*\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~ [^1]\n\n[^1]: note\n",
            URL,
            &[],
        );
        assert!(r.html.contains("<em>world</em>"));
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("<del>gone</del>"));
        assert!(r.html.contains("footnote"));
        assert_eq!(r.summary, "Hello world");
    }

    #[test]
    fn relative_links_become_absolute_mailto_stays() {
        let r = render(
            "[a](/sites/f.pdf) ![i](/sites/i.png) [m](mailto:x@y.nz)",
            URL,
            &[],
        );
        assert!(
            r.html
                .contains("href=\"https://www.beehive.govt.nz/sites/f.pdf\""),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("src=\"https://www.beehive.govt.nz/sites/i.png\"")
        );
        assert!(r.html.contains("href=\"mailto:x@y.nz\""));
    }

    #[test]
    fn unsafe_markdown_link_loses_its_link() {
        let r = render("[click](javascript:alert(1))", URL, &[]);
        assert!(!r.html.contains("javascript"), "{}", r.html);
        assert!(r.html.contains("click"));
    }

    #[test]
    fn raw_html_is_sanitised_and_absolutised() {
        let md = "<script>alert(1)</script>\n\n<p onclick=\"x()\">hi <a href=\"/sites/a\">a</a> <a href=\"javascript:x\">b</a></p>\n\n<iframe src=\"https://evil\"></iframe><style>p{}</style>";
        let r = render(md, URL, &[]);
        for bad in ["<script", "onclick", "javascript", "<iframe", "<style"] {
            assert!(!r.html.contains(bad), "{bad} in {}", r.html);
        }
        assert!(
            r.html
                .contains("href=\"https://www.beehive.govt.nz/sites/a\""),
            "{}",
            r.html
        );
    }

    #[test]
    fn summary_is_the_text_of_the_first_block() {
        let summary = |md: &str| {
            let s = render(md, URL, &[]).summary;
            assert_eq!(super::summary(md), s, "{md:?}");
            s
        };
        assert_eq!(
            summary("First `code` line\nsecond  \nthird\n\nSecond para"),
            "First code line second third"
        );
        assert_eq!(
            summary("# The *main* heading\n\nFirst para"),
            "The main heading"
        );
        assert_eq!(
            summary("- one [link](/a)\n- two\n  - nested\n\nAfter"),
            "one link two nested"
        );
        assert_eq!(
            summary("| Fund | Amount |\n|---|---|\n| Arts | $5m |\n\nAfter"),
            "Fund Amount Arts $5m"
        );
        assert_eq!(summary("> quoted\n> text\n\nAfter"), "quoted text");
        // Blocks without text give way to the next.
        assert_eq!(
            summary("![](/i.png)\n\n<div>raw</div>\n\n---\n\nText"),
            "Text"
        );
        assert_eq!(summary(""), "");
        assert_eq!(summary("<p>only raw html</p>"), "");
    }

    #[test]
    fn long_summaries_are_cut_at_a_word() {
        let words = "word ".repeat(200);
        let s = render(&words, URL, &[]).summary;
        assert!(s.ends_with("word…"), "{s}");
        assert!(s.chars().count() <= SUMMARY_CHARS + 1);
        assert_eq!(cut_at_word("ab cd".to_string(), 4), "ab…");
        assert_eq!(cut_at_word("ab cd".to_string(), 3), "ab…");
        assert_eq!(cut_at_word("ab cd".to_string(), 5), "ab cd");
        assert_eq!(cut_at_word("abcdef".to_string(), 3), "abc…");
        assert_eq!(cut_at_word("Māori ōō".to_string(), 7), "Māori…");
    }

    #[test]
    fn attachments_are_listed() {
        let r = render(
            "Body",
            URL,
            &["https://x.nz/sites/My%20File.pdf".to_string()],
        );
        assert!(
            r.html
                .contains("<a href=\"https://x.nz/sites/My%20File.pdf\">My File.pdf</a>"),
            "{}",
            r.html
        );
    }

    #[test]
    fn nesting_depth_of_raw_html() {
        assert_eq!(raw_html_depth("no html, a < b"), 0);
        assert_eq!(
            raw_html_depth("<div><p>a<br>b<img src=x/></p></div><div>"),
            2
        );
        assert_eq!(raw_html_depth("</div></div><b>x</b>"), 1);
        let deep = "<div>".repeat(MAX_HTML_DEPTH + 1);
        assert_eq!(raw_html_depth(&deep), MAX_HTML_DEPTH + 1);
    }

    #[test]
    fn deeply_nested_raw_html_is_flattened_to_text() {
        let n = MAX_HTML_DEPTH + 1;
        let md = format!(
            "{}hello <b>world</b>{}",
            "<div>".repeat(n),
            "</div>".repeat(n)
        );
        let r = render(&md, URL, &[]);
        assert!(!r.html.contains("<div"), "{}", r.html);
        assert!(r.html.contains("hello world"), "{}", r.html);
        let shallow = render("<div><b>x</b></div>", URL, &[]);
        assert!(shallow.html.contains("<b>x</b>"), "{}", shallow.html);
    }

    #[test]
    fn forbidden_characters_are_removed() {
        let r = render("a\u{b}b", URL, &[]);
        assert!(!r.html.contains('\u{b}'));
        assert!(r.html.contains("a b"));
    }
}
