//! RSS 2.0 (<https://www.rssboard.org/rss-specification>), with the Atom
//! `self` link and Dublin Core creators.

use super::xml::Xml;
use super::{
    FeedFormat, FormatInfo, GENERATOR, HISTORY_NAMESPACE, Head, Item, VERSION, attachment_type,
};
use crate::config::{Config, Role};
use crate::site::plan::Target;

const DC_NAMESPACE: &str = "http://purl.org/dc/elements/1.1/";
const ATOM_NAMESPACE: &str = "http://www.w3.org/2005/Atom";

/// RSS 2.0.
pub struct Rss;

impl FeedFormat for Rss {
    const INFO: FormatInfo = FormatInfo {
        key: "rss",
        file: "rss.xml",
        media_type: "application/rss+xml",
        label: "RSS",
        short_label: "RSS",
        opml_version: "RSS2",
    };
    type Fragment = Vec<u8>;

    /// The `<item>` element of one release, the HTML as CDATA.
    fn item(&self, item: &Item<'_>, config: &Config) -> Vec<u8> {
        let r = item.release;
        let html = &item.rendered.html;
        let mut out = Vec::with_capacity(html.len() + 1024);
        let mut x = Xml::new(&mut out);
        x.start("item", &[]);
        x.element("title", &[], &r.title);
        x.element("link", &[], &r.url);
        x.cdata_element("description", html);
        // The domain of a category is its taxonomy's folder.
        for (taxonomy, names) in item.names_by_taxonomy(config, Role::Categories) {
            let domain = config.output_url(&taxonomy.folder);
            for p in names {
                x.element("category", &[("domain", &domain)], &p.display);
            }
        }
        // RSS allows one enclosure; the others are linked from the body.
        if let Some(a) = r.attachments.first() {
            x.empty(
                "enclosure",
                &[("url", a), ("length", "0"), ("type", attachment_type(a))],
            );
        }
        // `isPermaLink` defaults to true; it is said all the same, as some
        // readers only trust an explicit attribute.
        x.element("guid", &[("isPermaLink", "true")], r.id());
        x.element("pubDate", &[], &r.date.to_rfc2822());
        for (_, m) in item.names(config, Role::Authors) {
            x.element("dc:creator", &[], &m.display);
        }
        x.end("item");
        out
    }

    /// The channel, then its items, each on a line of its own.
    fn shrink(fragment: &mut Vec<u8>) {
        fragment.shrink_to_fit();
    }

    fn size(fragment: &Vec<u8>) -> usize {
        fragment.len()
    }

    /// The channel, then its items, each on a line of its own.
    fn document(&self, head: &Head<'_>, items: &[&Vec<u8>], out: &mut Vec<u8>) {
        let (info, config) = (head.info, head.config);
        let updated = head.updated.to_rfc2822();
        out.reserve(items.iter().map(|i| i.len() + 1).sum::<usize>() + 2048);
        let mut x = Xml::new(out);
        x.declaration(Some("utf-8"));
        let mut attrs = vec![
            ("version", "2.0"),
            ("xmlns:atom", ATOM_NAMESPACE),
            ("xmlns:dc", DC_NAMESPACE),
        ];
        if head.is_archive() {
            attrs.push(("xmlns:fh", HISTORY_NAMESPACE));
        }
        x.start("rss", &attrs);
        x.start("channel", &[]);
        x.element("title", &[], &info.title);
        x.element("link", &[], &info.home_url);
        x.element("description", &[], &info.description);
        x.element("language", &[], &config.language);
        x.element("pubDate", &[], &updated);
        x.element("lastBuildDate", &[], &updated);
        x.element("generator", &[], &format!("{GENERATOR} {VERSION}"));
        x.element("docs", &[], "https://www.rssboard.org/rss-specification");
        if let Some(image) = config.logo.as_ref().or(config.icon.as_ref()) {
            x.start("image", &[]);
            x.element("url", &[], image.as_str());
            x.element("title", &[], &info.title);
            x.element("link", &[], &info.home_url);
            x.end("image");
        }
        x.empty(
            "atom:link",
            &[
                ("href", &head.self_url),
                ("rel", "self"),
                ("type", Self::INFO.media_type),
            ],
        );
        for link in head.links {
            match &link.target {
                Target::Document(folder) => {
                    let href = config.output_url(&format!("{folder}{}", Self::INFO.file));
                    let attrs = [
                        ("href", href.as_str()),
                        ("rel", link.rel.name()),
                        ("type", Self::INFO.media_type),
                    ];
                    x.empty("atom:link", &attrs);
                }
                Target::Url(url) => {
                    x.empty("atom:link", &[("href", url), ("rel", link.rel.name())])
                }
            }
        }
        if head.is_archive() {
            x.empty("fh:archive", &[]);
        }
        for item in items {
            x.raw(b"\n");
            x.raw(item);
        }
        x.raw(b"\n");
        x.end("channel");
        x.end("rss");
        x.raw(b"\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The HTML is CDATA whatever it holds (`]]>` splits a section), and
    /// reads back as it was.
    #[test]
    fn description_reads_back_as_the_html() {
        let config = Config::default();
        let release = crate::testing::release("A </link> title & <b>");
        for html in [
            "",
            "<p>plain</p>\n",
            "a ]]> b",
            "]]>",
            "]]>]]>x]]",
            "x]]]>>]] >]]>",
            "<p>Māori ’ & \"q\" <a href=\"/x?a=1&b=2\">l</a></p>",
        ] {
            let item = crate::testing::item(&release, html);
            let xml = String::from_utf8(Rss.item(&item, &config)).unwrap();
            let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
            let root = doc.root_element();
            let text = |name: &str| {
                root.children()
                    .find(|n| n.has_tag_name(name))
                    .map(|n| n.children().filter_map(|c| c.text()).collect::<String>())
            };
            assert_eq!(text("description").as_deref(), Some(html), "{xml}");
            assert_eq!(text("title").as_deref(), Some(release.title.as_str()));
            assert!(xml.contains("<guid isPermaLink=\"true\">https://x.nz/a</guid>"));
        }
    }
}
