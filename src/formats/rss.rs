//! RSS 2.0, written with the `rss` crate.

use std::collections::BTreeMap;

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Enclosure, Guid, Item as RssItem};

use super::{Document, FeedInfo, GENERATOR, Item, RSS_FILE, VERSION, attachment_type, splice};
use crate::config::Config;

const DC_NAMESPACE: &str = "http://purl.org/dc/elements/1.1/";
const ATOM_NAMESPACE: &str = "http://www.w3.org/2005/Atom";

fn namespaces() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("atom".to_string(), ATOM_NAMESPACE.to_string()),
        ("dc".to_string(), DC_NAMESPACE.to_string()),
    ])
}

/// The `<item>` element of one release. The crate writes it without its
/// description, and the description goes after `<link>`, where the crate puts
/// it, as the crate writes it (tested below): the HTML in CDATA sections,
/// borrowed rather than copied.
pub fn item<'h>(item: &'h Item<'_>, config: &Config) -> Document<'h> {
    let xml = crate_item(item, config, None);
    // The title is escaped text: the first `</link>` closes the link.
    const LINK_END: &str = "</link>";
    let at = xml.find(LINK_END).map_or(xml.len(), |i| i + LINK_END.len());
    let end = xml.len();
    let mut doc = Document::new(xml, 8);
    doc.own(0..at);
    doc.push_own("<description>");
    // A CDATA section cannot hold `]]>`: a new section starts at its `>`,
    // as quick_xml (under the crate) does it.
    let html = item.rendered.html.as_str();
    let mut rest = html;
    // After a split, `rest` starts with the `>` of the last `]]>`.
    let mut search = 0;
    while let Some(i) = cdata_end(&rest[search..]) {
        let gt = search + i + 2;
        doc.push_own("<![CDATA[");
        doc.borrowed(&rest[..gt]);
        doc.push_own("]]>");
        rest = &rest[gt..];
        search = 1;
    }
    doc.push_own("<![CDATA[");
    doc.borrowed(rest);
    doc.push_own("]]></description>");
    doc.own(at..end);
    doc
}

/// Where `]]>` is in `html`. A search for `]`, rare in HTML, is several
/// times faster than one for the three bytes.
fn cdata_end(html: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = html[from..].find(']') {
        let at = from + i;
        if html[at..].starts_with("]]>") {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The `<item>` element the crate writes, with `description` if given.
fn crate_item(item: &Item<'_>, config: &Config, description: Option<String>) -> String {
    let r = item.release;
    let rss_item = RssItem {
        title: Some(r.title.clone()),
        link: Some(r.url.clone()),
        description,
        categories: item
            .portfolios
            .iter()
            .map(|p| Category {
                name: p.display.clone(),
                domain: Some(config.output_url("portfolios/")),
            })
            .collect(),
        // RSS allows one enclosure; the others are linked from the body.
        enclosure: r.attachments.first().map(|a| Enclosure {
            url: a.clone(),
            length: "0".to_string(),
            mime_type: attachment_type(a).to_string(),
        }),
        guid: Some(Guid {
            value: r.id().to_string(),
            permalink: true,
        }),
        pub_date: Some(r.date.to_rfc2822()),
        dublin_core_ext: (!item.ministers.is_empty()).then(|| DublinCoreExtension {
            creators: item.ministers.iter().map(|m| m.display.clone()).collect(),
            ..Default::default()
        }),
        ..Default::default()
    };
    // The crate writes items as part of a channel: write a channel holding
    // only this item and keep the `<item>` element.
    let channel = Channel {
        items: vec![rss_item],
        ..Default::default()
    };
    let bytes = channel
        .write_to(Vec::with_capacity(2048))
        .unwrap_or_default();
    let xml = String::from_utf8(bytes).unwrap_or_default();
    let start = xml.find("<item>").unwrap_or(0);
    let end = xml
        .rfind("</item>")
        .map_or(xml.len(), |i| i + "</item>".len());
    let xml = &xml[start..end];
    // `isPermaLink` defaults to true and the crate leaves it out; say it, as
    // some readers only trust an explicit attribute. The guid is the last
    // `<guid>` in the item (the body before it is CDATA of sanitised HTML).
    let mut fragment = String::with_capacity(xml.len() + 32);
    match xml.rfind("<guid>") {
        Some(at) => {
            fragment.push_str(&xml[..at]);
            fragment.push_str("<guid isPermaLink=\"true\">");
            fragment.push_str(&xml[at + "<guid>".len()..]);
        }
        None => fragment.push_str(xml),
    }
    fragment
}

/// A whole RSS document: the channel of `info` with the given items.
pub fn feed<'s>(
    info: &FeedInfo<'_>,
    items: impl Iterator<Item = &'s Document<'s>>,
    config: &Config,
) -> Document<'s> {
    let updated = info.updated.to_rfc2822();
    let channel = Channel {
        title: info.title.clone(),
        link: info.home_url.clone(),
        description: info.description.clone(),
        language: Some(config.language.clone()),
        last_build_date: Some(updated.clone()),
        pub_date: Some(updated),
        generator: Some(format!("{GENERATOR} {VERSION}")),
        docs: Some("https://www.rssboard.org/rss-specification".to_string()),
        atom_ext: Some(AtomExtension {
            links: vec![Link {
                href: info.url(config, RSS_FILE),
                rel: "self".to_string(),
                mime_type: Some("application/rss+xml".to_string()),
                ..Default::default()
            }],
        }),
        namespaces: namespaces(),
        ..Default::default()
    };
    splice(channel.to_string(), "</channel>", items)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An item is what the crate writes with the description in it, whatever
    /// the HTML holds (`]]>` splits a CDATA section).
    #[test]
    fn item_is_what_the_crate_writes() {
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
            let whole = crate_item(&item, &config, Some(html.to_string()));
            assert_eq!(
                String::from_utf8(super::item(&item, &config).to_bytes()).unwrap(),
                whole,
                "{html:?}"
            );
        }
    }
}
