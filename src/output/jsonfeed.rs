//! JSON Feed 1.1 (<https://www.jsonfeed.org/version/1.1/>), written with
//! `serde_json` from typed structs.
//!
//! Like the XML formats, each item is serialised once (one line of JSON, a
//! [`RawValue`]) and written as it is into the `items` array of every feed
//! that carries it.

use serde::Serialize;
use serde_json::value::RawValue;

#[cfg(test)]
use super::FeedInfo;
use super::{FeedFormat, FormatInfo, Head, Item, attachment_type};
use crate::config::{Config, Role};
use crate::render::attachment_name;
use crate::site::plan::{Rel, Target};

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
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    /// Archive documents' items: the summary, as text (no HTML to repeat
    /// it).
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
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

/// A whole feed; the items are written as they were serialised.
#[derive(Serialize)]
struct JsonFeedDocument<'a> {
    version: &'static str,
    /// For whoever opens the file in a browser.
    user_comment: String,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    language: &'a str,
    /// The feed's image (the configured logo, else its icon).
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    favicon: Option<&'a str>,
    authors: [Author<'a>; 1],
    /// The next older document (RFC 5005's `prev-archive`).
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
    /// WebSub hubs (`hub` links).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub>,
    /// An archive document's RFC 5005 links (a JSON Feed extension).
    #[serde(rename = "_archive", skip_serializing_if = "Option::is_none")]
    archive: Option<ArchiveLinks>,
    items: Vec<&'a RawValue>,
}

/// RFC 5005 in a JSON Feed archive document: `archive` is `fh:archive`;
/// `current`, `prev_archive` and `next_archive` are the links (`next_url`
/// is `prev_archive` too, for readers that page with it).
#[derive(Serialize, Default)]
struct ArchiveLinks {
    about: &'static str,
    archive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    current: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev_archive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_archive: Option<String>,
}

#[derive(Serialize)]
struct Hub {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

fn json_item<'a>(item: &'a Item<'_>, config: &Config) -> JsonItem<'a> {
    let r = item.release;
    JsonItem {
        id: r.id(),
        url: &r.url,
        title: &r.title,
        content_html: Some(&item.rendered.html),
        content_text: None,
        summary: &item.rendered.summary,
        date_published: r.date.to_rfc3339(),
        date_modified: r.updated().map(|d| d.to_rfc3339()),
        authors: item
            .names(config, Role::Authors)
            .map(|(_, m)| Author {
                name: &m.display,
                url: config.output_url(&m.dir),
            })
            .collect(),
        tags: item
            .names(config, Role::Categories)
            .map(|(_, p)| p.display.as_str())
            .collect(),
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

/// JSON Feed 1.1.
pub struct JsonFeed;

impl FeedFormat for JsonFeed {
    const INFO: FormatInfo = FormatInfo {
        key: "json",
        file: "feed.json",
        media_type: "application/feed+json",
        label: "JSON Feed",
        short_label: "JSON",
        opml_version: "",
    };
    /// One element of the `items` array, serialised once on one line.
    type Fragment = Box<RawValue>;

    fn item(&self, item: &Item<'_>, config: &Config) -> Box<RawValue> {
        serde_json::value::to_raw_value(&json_item(item, config))
            .expect("a struct of strings serialises to JSON")
    }

    /// In an archive document, the summary as `content_text` (JSON Feed
    /// needs `content_html` or `content_text`), the `url` for the rest.
    fn archive_item(&self, item: &Item<'_>, config: &Config) -> Box<RawValue> {
        let json = JsonItem {
            content_html: None,
            content_text: Some(&item.rendered.summary),
            summary: "",
            ..json_item(item, config)
        };
        serde_json::value::to_raw_value(&json).expect("a struct of strings serialises to JSON")
    }

    /// The feed, pretty-printed, with each item on a line of its own.
    fn size(fragment: &Box<RawValue>) -> usize {
        fragment.get().len()
    }

    /// The feed, pretty-printed, with each item on a line of its own.
    fn document(&self, head: &Head<'_>, items: &[&Box<RawValue>], out: &mut Vec<u8>) {
        let (info, config) = (head.info, head.config);
        // JSON Feed has no list of links: `next_url` and `hubs` say what
        // the XML formats' links say.
        let mut next_url = None;
        let mut hubs = Vec::new();
        let mut archive = head.is_archive().then(|| ArchiveLinks {
            about: "https://www.rfc-editor.org/rfc/rfc5005#section-4",
            archive: true,
            ..ArchiveLinks::default()
        });
        let url = |folder: &str| config.output_url(&format!("{folder}{}", Self::INFO.file));
        for link in head.links {
            let href = match &link.target {
                Target::Document(folder) => url(folder),
                Target::Url(address) => address.clone(),
            };
            // Every relation has its place: a new one does not compile
            // until it is given one here.
            match link.rel {
                Rel::PrevArchive => {
                    if let Some(a) = &mut archive {
                        a.prev_archive = Some(href.clone());
                    }
                    next_url = Some(href);
                }
                Rel::Current => {
                    if let Some(a) = &mut archive {
                        a.current = Some(href);
                    }
                }
                Rel::NextArchive => {
                    if let Some(a) = &mut archive {
                        a.next_archive = Some(href);
                    }
                }
                Rel::Hub => hubs.push(Hub {
                    kind: "WebSub",
                    url: href,
                }),
            }
        }
        out.reserve(items.iter().map(|i| i.get().len() + 6).sum::<usize>() + 2048);
        let feed_url = &head.self_url;
        let feed = JsonFeedDocument {
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
            icon: config
                .logo
                .as_ref()
                .or(config.icon.as_ref())
                .map(|u| u.as_str()),
            favicon: config.icon.as_ref().map(|u| u.as_str()),
            authors: [Author {
                name: &config.author,
                url: config.site_url.to_string(),
            }],
            next_url,
            archive,
            hubs,
            items: items.iter().map(|item| item.as_ref()).collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &feed)
            .expect("a struct of strings serialises to JSON");
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An item is the JSON of the release, on one line, and a document is
    /// valid JSON holding every item, whatever the title and HTML hold.
    #[test]
    fn items_and_documents_are_json() {
        let config = Config::default();
        let release = crate::testing::release("A \"content_html\":\"\" title \\ é");
        let htmls = ["", "<p>a \"b\"\n\t\\ \u{1} ’</p>\n", "\""];
        let items: Vec<Box<RawValue>> = htmls
            .iter()
            .map(|html| JsonFeed.item(&crate::testing::item(&release, html), &config))
            .collect();
        for (item, html) in items.iter().zip(htmls) {
            assert!(!item.get().contains('\n'));
            let v: serde_json::Value = serde_json::from_str(item.get()).unwrap();
            assert_eq!(v["content_html"], html);
            assert_eq!(v["title"], release.title.as_str());
        }
        let site = crate::testing::empty_site();
        let all = crate::testing::global_feed();
        let info = FeedInfo::new(&site, &all, &config);
        let head = Head::plain(&info, info.url(&config, JsonFeed::INFO.file), &config);
        for n in 0..=items.len() {
            let refs: Vec<&Box<RawValue>> = items[..n].iter().collect();
            let mut bytes = Vec::new();
            JsonFeed.document(&head, &refs, &mut bytes);
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(v["version"], VERSION_URL);
            assert_eq!(v["items"].as_array().unwrap().len(), n);
            assert!(bytes.ends_with(b"}\n"));
        }
    }
}
