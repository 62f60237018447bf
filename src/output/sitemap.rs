//! `sitemap.xml`: every page of the output folder, for search engines.

use crate::config::Config;
use crate::site::paths::PAGE_FILE;

/// `sitemap.xml` (sitemaps.org 0.9) listing every page among `paths`
/// (relative to the output folder; a folder's `index.html` as the folder),
/// sorted. No `lastmod`: the sitemap changes only when pages come or go.
pub fn sitemap<'p>(config: &Config, paths: impl Iterator<Item = &'p str>) -> Vec<u8> {
    let mut pages: Vec<String> = paths
        .filter(|p| p.ends_with(".html"))
        .map(|p| config.output_url(p.strip_suffix(PAGE_FILE).unwrap_or(p)))
        .collect();
    pages.sort();
    pages.dedup();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for url in pages {
        out.push_str("<url><loc>");
        for c in url.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                c => out.push(c),
            }
        }
        out.push_str("</loc></url>\n");
    }
    out.push_str("</urlset>\n");
    out.into_bytes()
}
