//! JSON Feed 1.1 (<https://www.jsonfeed.org/version/1.1/>), written with
//! `serde_json` from typed structs.
//!
//! Like the XML formats, each item is serialised once (one line of JSON) and
//! spliced into the `items` array of every feed that carries it.

use serde::Serialize;

use super::{Document, FeedInfo, Item, JSON_FILE, attachment_type};
use crate::config::Config;
use crate::render::attachment_name;
use crate::text;

/// The `version` of every feed.
pub const VERSION_URL: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
    url: String,
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    mime_type: &'static str,
    title: String,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    summary: &'a str,
    date_published: String,
    /// Set for a release updated after it was first published.
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    /// The ministers who issued the release.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    /// The portfolios it belongs to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
}

/// A feed without its items; `items` is last so they can be spliced in.
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    /// For whoever opens the file in a browser.
    user_comment: String,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    description: &'a str,
    language: &'a str,
    authors: [Author<'a>; 1],
    items: [(); 0],
}

/// One element of the `items` array, on one line.
///
/// serde_json writes it with an empty `content_html`, and the HTML, most of
/// the item, goes between those quotes escaped by [`text::escape_json_into`]:
/// the same bytes as serde_json's (tested below), several times faster.
pub fn item<'h>(item: &Item<'_>, config: &Config) -> Document<'h> {
    const EMPTY_CONTENT: &str = "\"content_html\":\"\"";
    let html = &item.rendered.html;
    // Serialising plain structs of strings cannot fail.
    let head = serde_json::to_string(&json_item(item, config, "")).unwrap_or_default();
    // The first match is the key: a `"` inside a value is written `\"`.
    let Some(at) = head.find(EMPTY_CONTENT) else {
        let whole = serde_json::to_string(&json_item(item, config, html)).unwrap_or_default();
        return Document::owned(whole);
    };
    let at = at + EMPTY_CONTENT.len() - 1;
    let mut out = String::with_capacity(head.len() + html.len() + html.len() / 16);
    out.push_str(&head[..at]);
    text::escape_json_into(&mut out, html);
    out.push_str(&head[at..]);
    Document::owned(out)
}

fn json_item<'a>(item: &'a Item<'_>, config: &Config, content_html: &'a str) -> JsonItem<'a> {
    let r = item.release;
    JsonItem {
        id: r.id(),
        url: &r.url,
        title: &r.title,
        content_html,
        summary: &item.rendered.summary,
        date_published: r.date.to_rfc3339(),
        date_modified: r.updated().map(|d| d.to_rfc3339()),
        authors: item
            .ministers
            .iter()
            .map(|m| Author {
                name: &m.display,
                url: config.output_url(&format!("ministers/{}/", m.slug)),
            })
            .collect(),
        tags: item.portfolios.iter().map(|p| p.display.as_str()).collect(),
        attachments: r
            .attachments
            .iter()
            .map(|a| Attachment {
                url: a,
                mime_type: attachment_type(a),
                title: attachment_name(a),
            })
            .collect(),
    }
}

/// A whole JSON Feed document: the feed of `info` with the given items (each
/// from [`item`]).
pub fn feed<'s>(
    info: &FeedInfo<'_>,
    items: impl Iterator<Item = &'s Document<'s>>,
    config: &Config,
) -> Document<'s> {
    let feed_url = info.url(config, JSON_FILE);
    let head = JsonFeed {
        version: VERSION_URL,
        user_comment: format!(
            "This is a feed, for feed readers: to subscribe, copy its address ({feed_url}) into your reader. To read the releases in a browser, open {}",
            info.home_url
        ),
        title: &info.title,
        home_page_url: &info.home_url,
        feed_url,
        description: &info.description,
        language: &config.language,
        authors: [Author {
            name: &config.author,
            url: config.site_url.to_string(),
        }],
        items: [],
    };
    let head = serde_json::to_string_pretty(&head).unwrap_or_default();
    // The head ends `"items": []\n}`: the items go between the brackets.
    let at = head.rfind("[]").map_or(head.len(), |i| i + 1);
    let end = head.len();
    let mut doc = Document::new(head, 2 * items.size_hint().0 + 5);
    doc.own(0..at);
    let mut empty = true;
    for item in items {
        doc.push_own(if empty { "\n    " } else { ",\n    " });
        doc.borrow_all(item);
        empty = false;
    }
    if !empty {
        doc.push_own("\n  ");
    }
    doc.own(at..end);
    doc.push_own("\n");
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An item is what serde_json writes for the whole item, whatever the
    /// title and the HTML hold.
    #[test]
    fn item_is_what_serde_json_writes() {
        let config = Config::default();
        let release = crate::testing::release("A \"content_html\":\"\" title \\ é");
        for html in ["", "<p>a \"b\"\n\t\\ \u{1} ’</p>\n", "\""] {
            let item = crate::testing::item(&release, html);
            let whole = serde_json::to_string(&json_item(&item, &config, html)).unwrap();
            assert_eq!(super::item(&item, &config).to_bytes(), whole.as_bytes());
        }
    }

    #[test]
    fn items_are_spliced_into_a_valid_document() {
        let config = Config::default();
        let site = crate::group::Site {
            releases: vec![],
            release_ministers: vec![],
            release_portfolios: vec![],
            ministers: vec![],
            portfolios: vec![],
            feeds: vec![],
        };
        let all = crate::group::Feed {
            kind: crate::group::FeedKind::All,
            slug: String::new(),
            name: String::new(),
            releases: vec![],
        };
        let info = FeedInfo::new(&site, &all, &config);
        for items in [
            vec![],
            vec![r#"{"id":"a"}"#],
            vec![r#"{"id":"a"}"#, "{\"id\":\"b\"}"],
        ] {
            let items: Vec<Document> = items
                .iter()
                .map(|i| Document::owned(i.to_string()))
                .collect();
            let bytes = feed(&info, items.iter(), &config).to_bytes();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(v["version"], VERSION_URL);
            assert_eq!(v["items"].as_array().unwrap().len(), items.len());
            assert!(bytes.ends_with(b"}\n"));
        }
    }
}
