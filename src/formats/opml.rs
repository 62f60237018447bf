//! OPML 2.0 (<http://opml.org/spec2.opml>): every feed as a subscription
//! list a reader imports in one step, grouped under All, Portfolios and
//! Ministers. Written from `templates/feeds.opml` by askama, which escapes
//! every value for XML.

use askama::Template;

use super::{FeedInfo, RSS_FILE};
use crate::config::Config;
use crate::group::{FeedKind, Site};
use crate::text::xml_safe;

struct Outline {
    /// What a reader shows: the name, as the group says what kind it is.
    text: String,
    /// The feed's own title.
    title: String,
    description: String,
    xml_url: String,
    html_url: String,
}

struct Group {
    text: &'static str,
    outlines: Vec<Outline>,
}

#[derive(Template)]
#[template(path = "feeds.opml", escape = "html")]
struct Opml {
    title: String,
    owner: String,
    /// The date of the newest release (RFC 822), never the clock.
    modified: Option<String>,
    groups: Vec<Group>,
}

/// The OPML document listing every feed of `site`.
pub fn document(site: &Site, config: &Config) -> Vec<u8> {
    let mut groups = vec![
        Group {
            text: "All",
            outlines: Vec::new(),
        },
        Group {
            text: "Portfolios",
            outlines: Vec::new(),
        },
        Group {
            text: "Ministers",
            outlines: Vec::new(),
        },
    ];
    for feed in &site.feeds {
        let info = FeedInfo::new(site, feed, config);
        let (group, text) = match feed.kind {
            FeedKind::All => (&mut groups[0], info.title.clone()),
            FeedKind::Portfolio => (&mut groups[1], feed.name.clone()),
            FeedKind::Minister => (&mut groups[2], feed.name.clone()),
        };
        group.outlines.push(Outline {
            text: xml_safe(&text).into_owned(),
            title: xml_safe(&info.title).into_owned(),
            description: xml_safe(&info.description).into_owned(),
            xml_url: info.url(config, RSS_FILE),
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
