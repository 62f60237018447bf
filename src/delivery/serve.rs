//! How a web server must serve the output folder (`pressfeed server-config
//! nginx|apache`): every kind of file pressfeed writes with its own media
//! type and `charset=utf-8`, the WebSub `Link` headers (W3C WebSub, section
//! 4: `rel="hub"` for each configured hub and `rel="self"` with the
//! document's canonical URL, `base_url` + path) on every subscription
//! document, and the hidden state (manifest, pending pings) never served.
//!
//! The kinds of file are data ([`kinds`]): a new format, or a new kind of
//! file, is one more entry, and both servers' configurations follow.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::Config;
use crate::output::{FEED_FORMATS, FormatInfo};
use crate::site::paths::{ARCHIVE_FOLDER, OPML_FILE, SITEMAP_FILE};

/// The web servers `pressfeed server-config` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Nginx,
    Apache,
}

/// One kind of file in the output folder: the paths it has (a regular
/// expression, PCRE as both servers read it, over the path below
/// `base_url`), its media type, and whether it is a subscription document
/// (which carries the WebSub `Link` headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    pub pattern: String,
    pub media_type: String,
    pub subscription: bool,
}

/// The media types of the files pressfeed writes other than the feed
/// documents (whose types are their formats', see [`feed_type`]): one
/// table for the server configuration and for deploying to a bucket.
pub const HTML_TYPE: &str = "text/html; charset=utf-8";
pub const OPML_TYPE: &str = "text/x-opml; charset=utf-8";
pub const SITEMAP_TYPE: &str = "application/xml; charset=utf-8";

/// The media type a feed document of format `info` is served with.
pub fn feed_type(info: &FormatInfo) -> String {
    format!("{}; charset=utf-8", info.media_type)
}

/// Every kind of file pressfeed writes.
pub fn kinds() -> Vec<Kind> {
    let archive = format!(
        "(?:.+/)?{}/[0-9]+/",
        regex_escape(ARCHIVE_FOLDER.trim_end_matches('/'))
    );
    let mut kinds = Vec::new();
    for format in FEED_FORMATS {
        let info = format.info();
        let file = regex_escape(info.file);
        // Archive documents (RFC 5005) are not subscribed to: no hub.
        kinds.push(Kind {
            pattern: format!("{archive}{file}"),
            media_type: feed_type(info),
            subscription: false,
        });
        kinds.push(Kind {
            pattern: format!("(?!{archive}[^/]+$)(?:.+/)?{file}"),
            media_type: feed_type(info),
            subscription: true,
        });
    }
    kinds.push(Kind {
        pattern: "(?:.+/)?[^/]+\\.html".to_string(),
        media_type: HTML_TYPE.to_string(),
        subscription: false,
    });
    kinds.push(Kind {
        pattern: regex_escape(OPML_FILE),
        media_type: OPML_TYPE.to_string(),
        subscription: false,
    });
    // `sitemap.xml`, and past the protocol's limits the `sitemap-N.xml`
    // files it indexes.
    let (stem, extension) = SITEMAP_FILE.rsplit_once('.').unwrap_or((SITEMAP_FILE, ""));
    kinds.push(Kind {
        pattern: format!(
            "{}(?:-[0-9]+)?\\.{}",
            regex_escape(stem),
            regex_escape(extension)
        ),
        media_type: SITEMAP_TYPE.to_string(),
        subscription: false,
    });
    kinds
}

/// The server configuration for the output folder as `config` describes
/// it; with `out`, it also maps `base_url`'s path to that folder.
pub fn server_config(config: &Config, server: Server, out: Option<&Path>) -> String {
    let base = config.base_url.path();
    let origin = config.base_url.origin().ascii_serialization();
    let hubs: Vec<String> = config
        .hubs
        .iter()
        .map(|h| h.url.as_str().replace('$', "%24"))
        .collect();
    let at = regex_escape(base);
    let mut s = String::new();
    let kinds = kinds();
    match server {
        Server::Nginx => {
            let _ = writeln!(
                s,
                "# pressfeed server-config nginx: the output folder served at {}\n# Goes inside the `server` block for {origin}.",
                config.base_url
            );
            let _ = writeln!(s, "location {base} {{");
            match out {
                Some(out) => {
                    let _ = writeln!(s, "    alias {}/;", nginx_path(out));
                }
                None => {
                    let _ = writeln!(
                        s,
                        "    # Map {base} to the output folder: `alias /path/to/out/;` here, or the server's `root`."
                    );
                }
            }
            let _ = writeln!(
                s,
                "    # pressfeed's hidden state (manifest, pending pings)."
            );
            let _ = writeln!(s, "    location ~ \"^{at}(?:.*/)?\\.\" {{ return 404; }}");
            for k in &kinds {
                let _ = write!(
                    s,
                    "    location ~ \"^{at}{}$\" {{ types {{ }} default_type \"{}\";",
                    k.pattern, k.media_type
                );
                if k.subscription {
                    for hub in &hubs {
                        let _ = write!(s, " add_header Link \"<{hub}>; rel=\\\"hub\\\"\";");
                    }
                    let _ = write!(s, " add_header Link \"<{origin}$uri>; rel=\\\"self\\\"\";");
                }
                s.push_str(" }\n");
            }
            s.push_str("}\n");
        }
        Server::Apache => {
            let _ = writeln!(
                s,
                "# pressfeed server-config apache: the output folder served at {}\n# Goes inside the <VirtualHost> for {origin}; needs mod_mime, mod_headers\n# and mod_alias (`a2enmod headers`).",
                config.base_url
            );
            match out {
                Some(out) => {
                    let _ = writeln!(
                        s,
                        "Alias \"{base}\" \"{}/\"\n<Directory \"{}\">\n    Require all granted\n    Options None\n    AllowOverride None\n    DirectoryIndex index.html\n</Directory>",
                        apache_path(out),
                        apache_path(out)
                    );
                }
                None => {
                    let _ = writeln!(
                        s,
                        "# Map {base} to the output folder: `Alias \"{base}\" \"/path/to/out/\"`, or the DocumentRoot."
                    );
                }
            }
            let _ = writeln!(
                s,
                "# pressfeed's hidden state (manifest, pending pings).\n<LocationMatch \"^{at}(?:.*/)?\\.\">\n    Require all denied\n</LocationMatch>"
            );
            for k in &kinds {
                let _ = writeln!(
                    s,
                    "<LocationMatch \"^{at}{}$\">\n    ForceType \"{}\"",
                    k.pattern, k.media_type
                );
                if k.subscription {
                    for hub in &hubs {
                        let _ = writeln!(
                            s,
                            "    Header append Link \"<{}>; rel=\\\"hub\\\"\"",
                            hub.replace('%', "%%")
                        );
                    }
                    let _ = writeln!(
                        s,
                        "    Header append Link \"expr=<{origin}%{{REQUEST_URI}}>; rel=\\\"self\\\"\""
                    );
                }
                s.push_str("</LocationMatch>\n");
            }
        }
    }
    s
}

/// `text` with the characters regular expressions give a meaning escaped.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~\"".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An absolute folder path as nginx reads it (no trailing `/`).
fn nginx_path(out: &Path) -> String {
    let abs = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    abs.to_string_lossy()
        .trim_end_matches('/')
        .replace('"', "\\\"")
}

fn apache_path(out: &Path) -> String {
    nginx_path(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_an_archive_and_a_subscription_kind() {
        let kinds = kinds();
        for f in FEED_FORMATS {
            let of: Vec<&Kind> = kinds
                .iter()
                .filter(|k| k.pattern.ends_with(&regex_escape(f.info().file)))
                .collect();
            assert_eq!(of.len(), 2, "{}", f.info().file);
            assert_eq!(of.iter().filter(|k| k.subscription).count(), 1);
        }
    }

    #[test]
    fn hub_credentials_never_reach_the_configuration() {
        let config = Config::parse(
            "hubs = [\"https://user:S3cr3t@hub.example/publish\"]",
            Path::new("p.toml"),
        )
        .unwrap();
        for server in [Server::Nginx, Server::Apache] {
            let text = server_config(&config, server, None);
            assert!(!text.contains("S3cr3t") && !text.contains("user"), "{text}");
            assert!(text.contains("<https://hub.example/publish>"), "{text}");
        }
    }
}
