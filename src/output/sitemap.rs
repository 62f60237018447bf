//! `sitemap.xml`: every page of the output folder, for search engines.

use crate::config::Config;
use crate::site::paths::{PAGE_FILE, SITEMAP_FILE};

/// The most URLs one sitemap file may list (sitemaps.org).
pub const SITEMAP_MAX_URLS: usize = 50_000;
/// The most bytes one sitemap file may have (sitemaps.org: 50 MiB).
pub const SITEMAP_MAX_BYTES: usize = 50 << 20;

/// The sitemap (sitemaps.org 0.9) listing every page among `paths`
/// (relative to the output folder; a folder's `index.html` as the folder),
/// sorted, as files to write. No `lastmod`: the sitemap changes only when
/// pages come or go. Within the protocol's limits ([`SITEMAP_MAX_URLS`],
/// [`SITEMAP_MAX_BYTES`]) it is one file, `sitemap.xml`; past them,
/// `sitemap.xml` is a sitemap index listing `sitemap-1.xml`,
/// `sitemap-2.xml`... each within them.
pub fn sitemaps<'p>(
    config: &Config,
    paths: impl Iterator<Item = &'p str>,
) -> Vec<(String, Vec<u8>)> {
    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
    const TAIL: &str = "</urlset>\n";
    let mut pages: Vec<String> = paths
        .filter(|p| p.ends_with(".html"))
        .map(|p| config.output_url(p.strip_suffix(PAGE_FILE).unwrap_or(p)))
        .collect();
    pages.sort();
    pages.dedup();
    let mut files: Vec<String> = Vec::new();
    let mut out = String::from(HEAD);
    let mut urls = 0;
    for url in pages {
        let line = format!(
            "<url><loc>{}</loc></url>\n",
            quick_xml::escape::escape(url.as_str())
        );
        if urls == SITEMAP_MAX_URLS || out.len() + line.len() + TAIL.len() > SITEMAP_MAX_BYTES {
            out.push_str(TAIL);
            files.push(std::mem::replace(&mut out, String::from(HEAD)));
            urls = 0;
        }
        out.push_str(&line);
        urls += 1;
    }
    out.push_str(TAIL);
    files.push(out);
    if files.len() == 1 {
        return vec![(SITEMAP_FILE.to_string(), files.remove(0).into_bytes())];
    }
    let mut index = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut all = Vec::with_capacity(files.len() + 1);
    for (n, file) in files.into_iter().enumerate() {
        let name = format!("sitemap-{}.xml", n + 1);
        index.push_str(&format!(
            "<sitemap><loc>{}</loc></sitemap>\n",
            quick_xml::escape::escape(config.output_url(&name))
        ));
        all.push((name, file.into_bytes()));
    }
    index.push_str("</sitemapindex>\n");
    all.insert(0, (SITEMAP_FILE.to_string(), index.into_bytes()));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past 50,000 pages the sitemap is an index of files of at most
    /// 50,000 URLs each, every page in exactly one; below, one file.
    #[test]
    fn a_sitemap_past_the_protocols_limit_is_split_under_an_index() {
        let config = Config::default();
        let paths: Vec<String> = (0..120_001).map(|n| format!("p/{n}.html")).collect();
        let files = sitemaps(&config, paths.iter().map(String::as_str));
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "sitemap.xml",
                "sitemap-1.xml",
                "sitemap-2.xml",
                "sitemap-3.xml"
            ]
        );
        let index = String::from_utf8(files[0].1.clone()).unwrap();
        assert!(index.contains("<sitemapindex"), "{index}");
        assert_eq!(index.matches("<sitemap><loc>").count(), 3);
        let mut total = 0;
        for (_, bytes) in &files[1..] {
            let text = std::str::from_utf8(bytes).unwrap();
            let urls = text.matches("<url>").count();
            assert!(urls <= SITEMAP_MAX_URLS && bytes.len() <= SITEMAP_MAX_BYTES);
            total += urls;
        }
        assert_eq!(total, 120_001);
        let small = sitemaps(&config, paths[..10].iter().map(String::as_str));
        assert_eq!(small.len(), 1);
        assert!(String::from_utf8_lossy(&small[0].1).contains("<urlset"));
    }
}
