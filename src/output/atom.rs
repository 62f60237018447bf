//! Atom 1.0 (RFC 4287). Entries are written without a namespace
//! declaration of their own: they are only ever read inside the feed's
//! `<feed xmlns="http://www.w3.org/2005/Atom">`.

use super::xml::Xml;
use super::{
    FeedFormat, FormatInfo, GENERATOR, HISTORY_NAMESPACE, Head, Item, VERSION, attachment_type,
};
use crate::config::{Config, Role};
use crate::site::plan::Target;

const NAMESPACE: &str = "http://www.w3.org/2005/Atom";

/// Atom 1.0.
pub struct Atom;

impl FeedFormat for Atom {
    const INFO: FormatInfo = FormatInfo {
        key: "atom",
        file: "atom.xml",
        media_type: "application/atom+xml",
        label: "Atom",
        short_label: "Atom",
        opml_version: "",
    };
    type Fragment = Vec<u8>;

    /// The `<entry>` element of one release.
    fn item(&self, item: &Item<'_>, config: &Config) -> Vec<u8> {
        let r = item.release;
        let html = &item.rendered.html;
        let date = r.date.to_rfc3339();
        let mut out = Vec::with_capacity(html.len() + html.len() / 4 + 1024);
        let mut x = Xml::new(&mut out);
        x.start("entry", &[]);
        x.element("title", &[], &r.title);
        x.element("id", &[], r.id());
        // A corrected release keeps its id: readers update the entry.
        let updated = r.updated().map(|u| u.to_rfc3339());
        x.element("updated", &[], updated.as_deref().unwrap_or(&date));
        for (_, m) in item.names(config, Role::Authors) {
            x.start("author", &[]);
            x.element("name", &[], &m.display);
            x.element("uri", &[], &config.output_url(&m.dir));
            x.end("author");
        }
        // The scheme of a category is its taxonomy's folder.
        for (taxonomy, names) in item.names_by_taxonomy(config, Role::Categories) {
            let scheme = config.output_url(&taxonomy.folder);
            for p in names {
                let attrs = [
                    ("term", p.slug.as_str()),
                    ("scheme", &scheme),
                    ("label", &p.display),
                ];
                x.empty("category", &attrs);
            }
        }
        x.empty(
            "link",
            &[
                ("href", &r.url),
                ("rel", "alternate"),
                ("type", "text/html"),
            ],
        );
        for a in &r.attachments {
            let attrs = [
                ("href", a.as_str()),
                ("rel", "enclosure"),
                ("type", attachment_type(a)),
            ];
            x.empty("link", &attrs);
        }
        x.element("published", &[], &date);
        if !item.rendered.summary.is_empty() {
            x.element("summary", &[], &item.rendered.summary);
        }
        // The HTML, most of a feed's size, escaped by pulldown-cmark's SIMD
        // escaper: `<`, `>` and `&`, all that element content needs. An
        // entry with no body has no `content` (its `alternate` link is what
        // RFC 4287 asks of one without).
        if !html.is_empty() {
            let mut escaped = String::with_capacity(html.len() + html.len() / 4);
            pulldown_cmark_escape::escape_html_body_text(&mut escaped, html)
                .expect("escaping into a String cannot fail");
            x.escaped_element("content", &[("type", "html")], &escaped);
        }
        x.end("entry");
        out
    }

    /// In an archive document, an entry without `content`: its `summary`
    /// and `alternate` link are what RFC 4287 asks of an entry without
    /// content, and the content would only repeat the summary. (`item`
    /// has no body, so [`FeedFormat::item`] writes no `content`.)
    fn archive_item(&self, item: &Item<'_>, config: &Config) -> Vec<u8> {
        self.item(item, config)
    }

    fn shrink(fragment: &mut Vec<u8>) {
        fragment.shrink_to_fit();
    }

    /// The feed's head, then its entries, each on a line of its own.
    fn size(fragment: &Vec<u8>) -> usize {
        fragment.len()
    }

    /// The feed's head, then its entries, each on a line of its own.
    fn document(&self, head: &Head<'_>, entries: &[&Vec<u8>], out: &mut Vec<u8>) {
        let (info, config) = (head.info, head.config);
        out.reserve(entries.iter().map(|e| e.len() + 1).sum::<usize>() + 2048);
        let mut x = Xml::new(out);
        x.declaration(None);
        x.raw(b"\n");
        let mut attrs = vec![("xmlns", NAMESPACE), ("xml:lang", config.language.as_str())];
        if head.is_archive() {
            attrs.push(("xmlns:fh", HISTORY_NAMESPACE));
        }
        x.start("feed", &attrs);
        x.element("title", &[], &info.title);
        // The feed's id is its own address.
        x.element("id", &[], &head.self_url);
        x.element("updated", &[], &head.updated.to_rfc3339());
        x.start("author", &[]);
        x.element("name", &[], &config.author);
        x.element("uri", &[], config.site_url.as_str());
        x.end("author");
        x.element("generator", &[("version", VERSION)], GENERATOR);
        if let Some(icon) = &config.icon {
            x.element("icon", &[], icon.as_str());
        }
        if let Some(logo) = &config.logo {
            x.element("logo", &[], logo.as_str());
        }
        let media_type = Self::INFO.media_type;
        x.empty(
            "link",
            &[
                ("href", &head.self_url),
                ("rel", "self"),
                ("type", media_type),
            ],
        );
        x.empty(
            "link",
            &[
                ("href", &info.home_url),
                ("rel", "alternate"),
                ("type", "text/html"),
            ],
        );
        for link in head.links {
            match &link.target {
                Target::Document(folder) => {
                    let href = config.output_url(&format!("{folder}{}", Self::INFO.file));
                    x.empty(
                        "link",
                        &[
                            ("href", &href),
                            ("rel", link.rel.name()),
                            ("type", media_type),
                        ],
                    );
                }
                Target::Url(url) => x.empty("link", &[("href", url), ("rel", link.rel.name())]),
            }
        }
        x.element("subtitle", &[], &info.description);
        if head.is_archive() {
            x.empty("fh:archive", &[]);
        }
        for entry in entries {
            x.raw(b"\n");
            x.raw(entry);
        }
        x.raw(b"\n");
        x.end("feed");
        x.raw(b"\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The content reads back as the HTML, whatever characters it holds, and
    /// the entry declares no namespace of its own.
    #[test]
    fn content_reads_back_as_the_html() {
        let config = Config::default();
        let release = crate::testing::release("t & 'u'");
        for html in [
            "",
            "<p>Plain</p>",
            "<p>Tom &amp; Jerry's \"quote\" <a href=\"https://x.nz/?a=1&b=2\">x</a></p>\n",
            "a > b < c ]]> d & e ' f \" g",
            "Māori ’ — \u{a0} 😀 <br />",
        ] {
            let item = crate::testing::item(&release, html);
            let xml = String::from_utf8(Atom.item(&item, &config)).unwrap();
            assert!(xml.starts_with("<entry><title>"), "{xml}");
            let doc = roxmltree::Document::parse(&xml).unwrap();
            let content = doc
                .root_element()
                .children()
                .find(|n| n.has_tag_name("content"));
            // No body, no `content`.
            let Some(content) = content else {
                assert_eq!(html, "", "{xml}");
                continue;
            };
            assert_eq!(content.text().unwrap_or(""), html);
            assert_eq!(content.attribute("type"), Some("html"));
        }
    }

    /// Wherever the characters to escape fall (pulldown-cmark-escape looks
    /// at 16 bytes at a time), the content reads back as the HTML.
    #[test]
    fn content_escaping_anywhere() {
        const PIECES: &[&str] = &[
            "a",
            "<p>",
            "bcdefghijklmnop",
            "\"",
            "'",
            "&",
            "<",
            ">",
            "]]>",
            "é",
            "’",
            "😀",
            "\n",
        ];
        let config = Config::default();
        let release = crate::testing::release("t");
        let mut next = crate::testing::rng(0x9e37_79b9_7f4a_7c15_u64);
        for _ in 0..5_000 {
            let html = crate::testing::text(&mut next, PIECES, 40);
            let item = crate::testing::item(&release, &html);
            let xml = String::from_utf8(Atom.item(&item, &config)).unwrap();
            let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
            let content = doc
                .root_element()
                .children()
                .find(|n| n.has_tag_name("content"));
            match content {
                Some(content) => assert_eq!(content.text().unwrap_or(""), html),
                None => assert_eq!(html, "", "no body, no `content`: {xml}"),
            }
        }
    }
}
