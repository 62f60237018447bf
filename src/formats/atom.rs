//! Atom 1.0 (RFC 4287), written with the `atom_syndication` crate.

use atom_syndication::{Category, Entry, Feed, Generator, Link, Person, Text, WriteConfig};

use super::{ATOM_FILE, Document, FeedInfo, GENERATOR, Item, VERSION, attachment_type, splice};
use crate::config::Config;
use crate::text;

fn link(href: &str, rel: &str, mime_type: &str) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some(mime_type.to_string()),
        ..Default::default()
    }
}

/// The `<entry>` element of one release.
pub fn entry<'h>(item: &Item<'_>, config: &Config) -> Document<'h> {
    let r = item.release;
    let mut links = vec![link(&r.url, "alternate", "text/html")];
    links.extend(
        r.attachments
            .iter()
            .map(|a| link(a, "enclosure", attachment_type(a))),
    );
    let entry = Entry {
        title: Text::plain(r.title.clone()),
        id: r.id().to_string(),
        updated: r.updated().unwrap_or(r.date),
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
        // Written below, see `with_content`.
        content: None,
        ..Default::default()
    };
    let config = WriteConfig {
        write_document_declaration: false,
        indent_size: None,
    };
    // Room for the usual entry, so the writer does not grow it step by step.
    let capacity = 1024 + 2 * item.rendered.summary.len();
    let bytes = entry
        .write_with_config(Vec::with_capacity(capacity), config)
        .unwrap_or_default();
    Document::owned(with_content(
        &String::from_utf8(bytes).unwrap_or_default(),
        &item.rendered.html,
    ))
}

/// Adds `<content type="html">` to an entry the crate wrote without it.
/// The crate writes content last, so it goes just before `</entry>`; the
/// bytes are the crate's own (tested below), but the HTML, most of a feed's
/// size, is escaped by [`text::escape_xml_into`] rather than quick_xml's
/// slower escaper.
fn with_content(entry: &str, html: &str) -> String {
    const CLOSE: &str = "</entry>";
    let at = entry.rfind(CLOSE).unwrap_or(entry.len());
    let mut out = String::with_capacity(entry.len() + html.len() + html.len() / 8 + 64);
    out.push_str(&entry[..at]);
    out.push_str("<content type=\"html\">");
    text::escape_xml_into(&mut out, html);
    out.push_str("</content>");
    out.push_str(&entry[at..]);
    out
}

/// A whole Atom document: the feed of `info` with the given entries.
pub fn feed<'s>(
    info: &FeedInfo<'_>,
    entries: impl Iterator<Item = &'s Document<'s>>,
    config: &Config,
) -> Document<'s> {
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
        String::from_utf8(head).unwrap_or_default(),
        "</feed>",
        entries,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use atom_syndication::Content;

    /// `with_content` writes exactly what the crate writes for the same
    /// content, whatever characters the HTML holds.
    #[test]
    fn content_is_written_as_the_crate_writes_it() {
        let htmls = [
            "",
            "<p>Plain</p>",
            "<p>Tom &amp; Jerry's \"quote\" <a href=\"https://x.nz/?a=1&b=2\">x</a></p>\n",
            "a > b < c ]]> d & e ' f \" g",
            "Māori ’ — \u{a0} 😀 <br />",
        ];
        for html in htmls {
            let mut entry = Entry {
                title: Text::plain("t"),
                id: "https://x.nz/a".into(),
                summary: Some(Text::plain("s")),
                ..Default::default()
            };
            let config = WriteConfig {
                write_document_declaration: false,
                indent_size: None,
            };
            let without =
                String::from_utf8(entry.write_with_config(Vec::new(), config).unwrap()).unwrap();
            entry.content = Some(Content {
                value: Some(html.to_string()),
                content_type: Some("html".to_string()),
                ..Default::default()
            });
            let with =
                String::from_utf8(entry.write_with_config(Vec::new(), config).unwrap()).unwrap();
            assert_eq!(with_content(&without, html), with, "{html:?}");
        }
    }
}
