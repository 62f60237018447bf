//! Properties that hold for any input (proptest): rendered bodies are safe
//! whatever the Markdown and raw HTML, and a build of any small folder of
//! seeds, however odd, never panics and writes only feeds that parse.

mod common;

use std::path::Path;

use proptest::prelude::*;

/// Pieces of bodies that make sanitising subtle.
const BODY_PIECES: &[&str] = &[
    "text ",
    "*em* ",
    "**strong** ",
    "\n\n",
    "\n",
    "# heading\n",
    "- item\n",
    "> quote\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "`code`",
    "```\n<script>x</script>\n```\n",
    "[link](https://example.govt.nz/a)",
    "[js](javascript:alert(1))",
    "[JS](JaVaScRiPt:alert(1))",
    "[vb](vbscript:msgbox(1))",
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "![img](data:image/png;base64,AAAA)",
    "[rel](/sites/x.pdf)",
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">a</a>",
    "<a href=\" javascript:alert(1)\">a</a>",
    "<a href=\"&#106;avascript:alert(1)\">a</a>",
    "<a href='vbscript:x'>v</a>",
    "<a href=\"data:text/html,x\">d</a>",
    "<iframe src=\"https://evil\"></iframe>",
    "<style>p{}</style>",
    "<div onclick=\"x()\">",
    "</div>",
    "<p onmouseover=x>",
    "<svg onload=alert(1)>",
    "<math><mi xlink:href=\"javascript:x\">m</mi></math>",
    "<object data=\"x\"></object>",
    "<form action=\"javascript:x\"><input></form>",
    "<!-- comment -->",
    "<![CDATA[ x ]]>",
    "]]>",
    "&amp; &lt; &#0; &#xD800;",
    "\u{b}",
    "\u{0}",
    "\u{feff}",
    "Māori ’quoted’ ",
];

fn body() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(BODY_PIECES), 0..24).prop_map(|p| p.concat())
}

/// A start tag: its name and attributes.
type Tag = (String, Vec<(String, String)>);

/// The start tags of an HTML fragment, with their attributes (entities
/// decoded), and the tokenizer's parse errors, as an HTML5 parser sees them.
fn tags(html: &str) -> (Vec<Tag>, Vec<String>) {
    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::{
        BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
    };
    use std::cell::RefCell;

    #[derive(Default)]
    struct Sink {
        tags: RefCell<Vec<Tag>>,
        errors: RefCell<Vec<String>>,
    }
    impl TokenSink for Sink {
        type Handle = ();
        fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
            match token {
                Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                    let attrs = tag
                        .attrs
                        .iter()
                        .map(|a| (a.name.local.to_string(), a.value.to_string()))
                        .collect();
                    self.tags.borrow_mut().push((tag.name.to_string(), attrs));
                }
                Token::ParseError(e) => self.errors.borrow_mut().push(e.to_string()),
                _ => {}
            }
            TokenSinkResult::Continue
        }
    }
    let tok = Tokenizer::new(Sink::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tok.feed(&input);
    tok.end();
    (tok.sink.tags.into_inner(), tok.sink.errors.into_inner())
}

/// What in rendered HTML could run script or embed active content.
fn unsafe_markup(html: &str) -> Option<String> {
    const ELEMENTS: &[&str] = &[
        "script", "iframe", "frame", "style", "object", "embed", "form", "svg", "math", "base",
        "meta", "link",
    ];
    const URL_ATTRIBUTES: &[&str] = &["href", "src", "action", "data", "formaction", "xlink:href"];
    let (tags, _) = tags(html);
    for (name, attrs) in tags {
        if ELEMENTS.contains(&name.as_str()) {
            return Some(format!("<{name}>"));
        }
        for (attr, value) in attrs {
            if attr.starts_with("on") {
                return Some(format!("<{name} {attr}=...>"));
            }
            let value: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            if URL_ATTRIBUTES.contains(&attr.as_str())
                && ["javascript:", "vbscript:", "data:"]
                    .iter()
                    .any(|s| value.starts_with(s))
            {
                return Some(format!("<{name} {attr}={value:?}>"));
            }
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn rendered_bodies_carry_no_script_handler_or_unsafe_link(md in body()) {
        let r = pressfeed::render::render(&md, "https://example.govt.nz/release/x", &[]);
        prop_assert_eq!(unsafe_markup(&r.html), None, "in {:?} from {:?}", r.html, md);
        let (_, errors) = tags(&r.html);
        prop_assert!(errors.is_empty(), "{errors:?} in {:?} from {md:?}", r.html);
        // Nothing XML forbids reaches a feed.
        let forbidden = r.html.chars().find(|&c| !(c == '\t' || c == '\n' || c == '\r' || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')));
        prop_assert_eq!(forbidden, None, "a character XML forbids, from {:?}", md);
    }
}

/// Front matter values that make YAML and the validator subtle.
const TITLES: &[&str] = &[
    "\"Plain title\"",
    "\"\"",
    "Unquoted: with colon",
    "\"A & B < C ]]> \\u00a0\"",
    "[a, list]",
    "{a: map}",
    "1e3",
    "~",
    "\"\\u000b\"",
];
const DATES: &[&str] = &[
    "2024-03-01",
    "2024-02-30",
    "0001-01-01",
    "0000-01-01",
    "-0001-01-01",
    "9999-12-31",
    "2024-03-01T10:00:00+13:00",
    "2024-03-01T10:00:00+23:59",
    "2024-04-07T02:30:00",
    "yesterday",
    "",
];
const URLS: &[&str] = &[
    "https://example.govt.nz/a",
    "https://example.govt.nz/a",
    "https://example.govt.nz/b?x=1#y",
    "/relative",
    "javascript:alert(1)",
    "https://EXAMPLE.govt.nz/%zz",
    "",
];
const NAMES: &[&str] = &[
    "Hon Jane Doe",
    "Rt Hon Jane Doe",
    "Māori Development",
    "Maori  development",
    "../../etc/passwd",
    "—",
    "clicking here",
    "A: B",
    "\"\"",
    "[nested]",
    "0x1F",
    "https://example.org/x",
    "<b>bold</b> & co",
];

fn list(values: Vec<&str>) -> String {
    values.iter().map(|v| format!("\n  - {v}")).collect()
}

fn seed() -> impl Strategy<Value = String> {
    (
        prop::sample::select(TITLES),
        prop::sample::select(DATES),
        prop::sample::select(URLS),
        prop::collection::vec(prop::sample::select(NAMES), 0..4),
        prop::collection::vec(prop::sample::select(NAMES), 0..4),
        body(),
        any::<bool>(),
    )
        .prop_map(|(title, date, url, ministers, portfolios, body, crlf)| {
            let text = format!(
                "---\ntitle: {title}\ndate: {date}\nurl: {url}\nministers:{}\nportfolios:{}\n---\n\n{body}\n",
                list(ministers),
                list(portfolios)
            );
            if crlf { text.replace('\n', "\r\n") } else { text }
        })
}

/// Parses every feed pressfeed wrote under `out` with independent parsers.
fn every_output_parses(out: &Path) -> Result<usize, TestCaseError> {
    let mut feeds = 0;
    for (path, bytes) in common::tree(out) {
        if path.ends_with(".xml") && path != "sitemap.xml" {
            feed_rs::parser::parse(bytes.as_slice())
                .map_err(|e| TestCaseError::fail(format!("{path}: {e}")))?;
            roxmltree::Document::parse(std::str::from_utf8(&bytes).unwrap())
                .map_err(|e| TestCaseError::fail(format!("{path}: {e}")))?;
            // Subscription documents; archive documents are checked too.
            if !path.starts_with("archive/") && !path.contains("/archive/") {
                feeds += 1;
            }
        } else if path.ends_with(".json") {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| TestCaseError::fail(format!("{path}: {e}")))?;
        } else if path.ends_with(".opml") {
            roxmltree::Document::parse(std::str::from_utf8(&bytes).unwrap())
                .map_err(|e| TestCaseError::fail(format!("{path}: {e}")))?;
        }
    }
    Ok(feeds)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_small_seed_folder_builds_without_panic_into_feeds_that_parse(
        seeds in prop::collection::vec(seed(), 1..6)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let seeds_dir = dir.path().join("seeds");
        std::fs::create_dir(&seeds_dir).unwrap();
        for (i, s) in seeds.iter().enumerate() {
            std::fs::write(seeds_dir.join(format!("{i}.md")), s).unwrap();
        }
        let out = dir.path().join("out");
        let options = pressfeed::Options {
            seeds: seeds_dir,
            out: out.clone(),
            config: dir.path().join("none.toml"),
            skip_invalid: true,
            use_cache: false,
            ..pressfeed::Options::default()
        };
        let checked = pressfeed::check(&options, &pressfeed::NoProgress);
        match pressfeed::build(&options, &pressfeed::NoProgress) {
            Ok(report) => {
                let (checked, ..) = checked.map_err(|e| TestCaseError::fail(e.to_string()))?;
                // check and build agree on what is an error.
                prop_assert_eq!(checked.invalid, report.checked.invalid);
                let feeds = every_output_parses(&out)?;
                prop_assert_eq!(feeds, 2 * report.feeds);
            }
            // Only possible failure: nothing valid at all is still published
            // (an empty global feed), so any error is a bug.
            Err(e) => return Err(TestCaseError::fail(format!("build failed: {e}"))),
        }
    }
}
