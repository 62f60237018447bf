//! Atom 1.0 (RFC 4287), written with the `atom_syndication` crate.

use atom_syndication::{
    Category, Content, Entry, Feed, Generator, Link, Person, Text, WriteConfig,
};

use super::{ATOM_FILE, FeedInfo, GENERATOR, Item, VERSION, attachment_type, splice};
use crate::config::Config;

fn link(href: &str, rel: &str, mime_type: &str) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some(mime_type.to_string()),
        ..Default::default()
    }
}

/// The `<entry>` element of one release.
pub fn entry(item: &Item<'_>, config: &Config) -> String {
    let r = item.release;
    let mut links = vec![link(&r.url, "alternate", "text/html")];
    links.extend(
        r.attachments
            .iter()
            .map(|a| link(a, "enclosure", attachment_type(a))),
    );
    let entry = Entry {
        title: Text::plain(r.title.clone()),
        id: r.url.clone(),
        updated: r.date,
        published: Some(r.date),
        authors: item
            .ministers
            .iter()
            .map(|m| Person {
                name: m.display.clone(),
                uri: Some(config.output_url(&format!("ministers/{}/", m.slug))),
                ..Default::default()
            })
            .collect(),
        categories: item
            .portfolios
            .iter()
            .map(|p| Category {
                term: p.slug.clone(),
                scheme: Some(config.output_url("portfolios/")),
                label: Some(p.display.clone()),
            })
            .collect(),
        links,
        summary: (!item.rendered.summary.is_empty())
            .then(|| Text::plain(item.rendered.summary.clone())),
        content: Some(Content {
            value: Some(item.rendered.html.clone()),
            content_type: Some("html".to_string()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let config = WriteConfig {
        write_document_declaration: false,
        indent_size: None,
    };
    let bytes = entry
        .write_with_config(Vec::new(), config)
        .unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A whole Atom document: the feed of `info` with the given entries.
pub fn feed<'s>(
    info: &FeedInfo<'_>,
    entries: impl Iterator<Item = &'s str>,
    config: &Config,
) -> Vec<u8> {
    let self_url = info.url(config, ATOM_FILE);
    let feed = Feed {
        title: Text::plain(info.title.clone()),
        id: self_url.clone(),
        updated: info.updated,
        authors: vec![Person {
            name: config.author.clone(),
            uri: Some(config.site_url.to_string()),
            ..Default::default()
        }],
        generator: Some(Generator {
            value: GENERATOR.to_string(),
            uri: None,
            version: Some(VERSION.to_string()),
        }),
        links: vec![
            link(&self_url, "self", "application/atom+xml"),
            link(&info.home_url, "alternate", "text/html"),
        ],
        subtitle: Some(Text::plain(info.description.clone())),
        lang: Some(config.language.clone()),
        ..Default::default()
    };
    let mut head = Vec::new();
    let _ = feed.write_to(&mut head);
    splice(
        &String::from_utf8(head).unwrap_or_default(),
        "</feed>",
        entries,
    )
}
