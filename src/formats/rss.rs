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

/// The `<item>` element of one release.
pub fn item(item: &Item<'_>, config: &Config) -> String {
    let r = item.release;
    let rss_item = RssItem {
        title: Some(r.title.clone()),
        link: Some(r.url.clone()),
        description: Some(item.rendered.html.clone()),
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
            value: r.url.clone(),
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
    let capacity = item.rendered.html.len() + 1024;
    let bytes = channel
        .write_to(Vec::with_capacity(capacity))
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
    items: impl Iterator<Item = &'s str>,
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
