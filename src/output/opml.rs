//! OPML 2.0 (<http://opml.org/spec2.opml>): every feed as a subscription
//! list a reader imports in one step, a group per kind of feed ([`Site::kinds`]),
//! each outline subscribing to the first of [`FEED_FORMATS`]. Written from
//! `templates/feeds.opml` by askama, which escapes every value for XML.

use askama::Template;

use super::{FEED_FORMATS, FeedInfo};
use crate::config::Config;
use crate::site::group::Site;
use crate::text::xml_safe;

struct Outline {
    /// What a reader shows: the name, as the group says what kind it is.
    text: String,
    /// The feed's own title.
    title: String,
    description: String,
    /// The OPML `version` of the format subscribed to.
    version: &'static str,
    xml_url: String,
    html_url: String,
}

struct Group<'a> {
    text: &'a str,
    outlines: Vec<Outline>,
}

#[derive(Template)]
#[template(path = "feeds.opml", escape = "html")]
struct Opml<'a> {
    title: String,
    owner: String,
    /// The date of the newest release (RFC 822), never the clock.
    modified: Option<String>,
    groups: Vec<Group<'a>>,
}

/// The OPML document listing every feed of `site`.
pub fn document(site: &Site, config: &Config) -> Vec<u8> {
    let mut groups: Vec<Group> = site
        .kinds
        .iter()
        .map(|kind| Group {
            text: &kind.group,
            outlines: Vec::new(),
        })
        .collect();
    let format = FEED_FORMATS
        .first()
        .expect("there is at least one feed format")
        .info();
    for feed in &site.feeds {
        let info = FeedInfo::new(site, feed, config);
        let text = match feed.kind.is_global() {
            true => &info.title,
            false => &feed.name,
        };
        groups[feed.kind.index].outlines.push(Outline {
            text: xml_safe(text).into_owned(),
            title: xml_safe(&info.title).into_owned(),
            description: xml_safe(&info.description).into_owned(),
            version: format.opml_version,
            xml_url: info.url(config, format.file),
            html_url: info.home_url.clone(),
        });
    }
    groups.retain(|g| !g.outlines.is_empty());
    let opml = Opml {
        title: xml_safe(&format!("{}: every feed", config.title)).into_owned(),
        owner: xml_safe(&config.author).into_owned(),
        modified: site
            .feeds
            .first()
            .and_then(|f| site.newest(f))
            .map(|d| d.to_rfc2822()),
        groups,
    };
    super::html::finish(opml.render())
}
