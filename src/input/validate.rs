//! Stage 2: check the front matter and turn it into a [`Release`].
//!
//! Everything that makes a seed unusable is an error with its position and a
//! hint; everything that is odd but publishable is a warning.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use url::Url;

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::input::frontmatter::{Field, FrontMatter};
use crate::input::load::Split;
use crate::input::names::{MAX_DISPLAY_CHARS, MAX_NAMES_PER_RELEASE};
use crate::text;

/// A release ready to be grouped. The body is not kept: it is read again from
/// `path` at `body_offset` when some feed emits the release. It is kept
/// between runs in the build state (`delivery::state`), hence serde.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Release {
    pub path: PathBuf,
    pub title: String,
    pub date: DateTime<FixedOffset>,
    /// Absolute http(s) URL.
    pub url: String,
    /// For the few releases that share a URL with another: their own id
    /// and when they were updated (see `group::dedupe`); `None` for nearly
    /// all, and boxed so that every other release stays small. Use
    /// [`Release::id`] and [`Release::updated`].
    pub amended: Option<Box<Amended>>,
    /// The names of each taxonomy, by its place in
    /// [`Config::taxonomies`]: cleaned (whitespace collapsed; honorifics
    /// removed, and from people's names titles and post-nominals), at most
    /// [`crate::input::names::MAX_NAMES_PER_RELEASE`] of each.
    pub terms: Box<[Vec<String>]>,
    pub attachments: Vec<String>,
    pub body_offset: usize,
}

/// Whether every format can write `date`: RFC 2822 (RSS) and RFC 3339
/// (Atom, JSON Feed) have four-digit years, so the year must be 0000 to 9999
/// both in the date's own offset and in UTC (which a reader converts to).
pub fn representable(date: &DateTime<FixedOffset>) -> bool {
    const YEARS: std::ops::RangeInclusive<i32> = 0..=9999;
    YEARS.contains(&date.year()) && YEARS.contains(&date.naive_utc().year())
}

/// What a release that shares its URL with others has of its own.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Amended {
    /// The entry's id, when it is not the URL (a later release).
    pub id: Option<String>,
    /// When the release was updated after `date` (a corrected release that
    /// the archive holds twice under one URL).
    pub updated: Option<DateTime<FixedOffset>>,
}

impl Release {
    /// A release known only by its date, as the site made from the build
    /// state holds most releases (see `crate::delivery::snapshot`):
    /// planning needs no more of it, and a file that carries it reads its
    /// seed again.
    pub fn dated(date: DateTime<FixedOffset>) -> Release {
        Release {
            path: PathBuf::new(),
            title: String::new(),
            date,
            url: String::new(),
            amended: None,
            terms: Box::new([]),
            attachments: Vec::new(),
            body_offset: 0,
        }
    }

    /// The entry's id in every feed: the URL, or the derived id of a later
    /// release that shares its URL.
    pub fn id(&self) -> &str {
        self.amended
            .as_ref()
            .and_then(|s| s.id.as_deref())
            .unwrap_or(&self.url)
    }

    /// When the release was updated after it was first published, if it was.
    pub fn updated(&self) -> Option<DateTime<FixedOffset>> {
        self.amended.as_ref().and_then(|s| s.updated)
    }
}

/// Years outside this range are published but flagged.
const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Checks one seed's front matter. Warnings go to `warnings`; errors are
/// returned all together. `Ok(None)` is a well-formed seed with nothing to
/// publish (no title and no body), left out with a warning.
pub fn validate(
    path: &Path,
    split: &Split<'_>,
    fm: FrontMatter,
    config: &Config,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Option<Release>, Vec<Diagnostic>> {
    let pos = |f: &Field| crate::input::frontmatter::key_position(split, f.key);
    let mut errors = Vec::new();
    let missing = |key: &str, example: &str| {
        Diagnostic::error(path, 1, 1, format!("front matter has no `{key}`")).with_hint(format!(
            "add a line `{key}: {example}` between the `---` lines"
        ))
    };

    let (title, skip) = match &fm.title {
        None => {
            errors.push(missing("title", "\"...\""));
            (None, false)
        }
        Some(f) => read_title(path, split, f, warnings),
    };

    let date = match &fm.date {
        None => {
            errors.push(missing("date", "YYYY-MM-DD"));
            None
        }
        Some(f) => read_date(path, "date", f, pos(f), config, &mut errors, warnings),
    };
    // A correction: when the published release was last changed.
    let updated = fm
        .updated
        .as_ref()
        .and_then(|f| {
            let u = read_date(path, "updated", f, pos(f), config, &mut errors, warnings)?;
            Some((f, u))
        })
        .and_then(|(f, u)| match date {
            Some(d) if u < d => {
                errors.push(
                    Diagnostic::at(
                        path,
                        pos(f),
                        format!(
                            "`updated` {} is earlier than `date` {}",
                            f.value.trim(),
                            fm.date.as_ref().map_or("", |d| d.value.trim())
                        ),
                    )
                    .with_hint("`updated` is when a published release was corrected: on or after its `date`; remove it if the release was not corrected"),
                );
                None
            }
            _ => Some(u),
        });

    let url = match &fm.url {
        None => {
            errors.push(missing("url", "https://..."));
            None
        }
        Some(f) => {
            match absolute_url(&f.value) {
                Ok(u) => Some(u),
                Err(why) => {
                    errors.push(
                    Diagnostic::at(path, pos(f), format!("url {:?} {why}", f.value.trim()))
                        .with_hint("give the release's full address, starting with https:// or http://"),
                );
                    None
                }
            }
        }
    };

    let attachments = read_attachments(path, split, &fm.attachments, url.as_deref(), &mut errors);

    body_warnings(path, split, fm.title.as_ref(), skip, warnings);

    if !errors.is_empty() {
        return Err(errors);
    }
    if skip {
        return Ok(None);
    }
    // Each taxonomy's names, cleaned by its rules; none for a list the
    // front matter does not have.
    let terms: Box<[Vec<String>]> = config
        .taxonomies
        .iter()
        .zip(fm.terms.iter().chain(std::iter::repeat(&Vec::new())))
        .map(|(taxonomy, written)| {
            bounded_names(
                path,
                split,
                &taxonomy.key,
                written
                    .iter()
                    .map(|n| crate::input::names::clean_term(n, taxonomy)),
                warnings,
            )
        })
        .collect();
    let url = url.expect("a release without errors has a url");
    Ok(Some(Release {
        path: path.to_path_buf(),
        // Each is `None` only with an error (returned above) or `skip`.
        title: title.expect("a release without errors or skip has a title"),
        date: date.expect("a release without errors has a date"),
        amended: updated.map(|u| {
            Box::new(Amended {
                id: None,
                updated: Some(u),
            })
        }),
        url,
        terms,
        attachments,
        body_offset: split.body_offset,
    }))
}

/// A release's title: the front matter's, or when it is empty, one from
/// the body (a warning); `(None, true)` when the body is empty too: the
/// seed has nothing to publish.
fn read_title(
    path: &Path,
    split: &Split<'_>,
    f: &Field,
    warnings: &mut Vec<Diagnostic>,
) -> (Option<String>, bool) {
    let pos = crate::input::frontmatter::key_position(split, f.key);
    let t = text::xml_safe(f.value.trim()).into_owned();
    if !t.trim().is_empty() {
        (Some(t), false)
    } else if let Some(derived) = title_from_body(split.body) {
        warnings.push(
            Diagnostic::at(
                path,
                pos,
                format!("`title` is empty; published as {derived:?}, from the body"),
            )
            .warn()
            .with_hint("give the release a title: title: \"...\""),
        );
        (Some(derived), false)
    } else {
        warnings.push(
            Diagnostic::at(path, pos, "`title` is empty and so is the body: there is nothing to publish, so the release is left out").warn()
                .with_hint("give the release a title and a body, or delete the file"),
        );
        (None, true)
    }
}

/// The attachments' URLs, each resolved against the release's `url` (an
/// error for one that is not a usable http(s) URL).
fn read_attachments(
    path: &Path,
    split: &Split<'_>,
    written: &[Field],
    url: Option<&str>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let pos = |f: &Field| crate::input::frontmatter::key_position(split, f.key);
    let mut attachments = Vec::with_capacity(written.len());
    for f @ Field { value, .. } in written {
        if text::is_plain_http_url(value.trim()) {
            // What joining it to any base gives: itself.
            attachments.push(value.trim().to_owned());
            continue;
        }
        let resolved = match url {
            Some(base) => Url::parse(base).and_then(|b| b.join(value.trim())),
            None => Url::parse(value.trim()),
        };
        match resolved {
            Ok(u) if matches!(u.scheme(), "http" | "https") => attachments.push(u.into()),
            _ => errors.push(
                Diagnostic::at(
                    path,
                    pos(f),
                    format!("attachment {:?} is not a usable URL", value.trim()),
                )
                .with_hint("list each attachment as a full https:// address"),
            ),
        }
    }
    attachments
}

/// Warnings about what the feeds leave out of the title and body, or the
/// body's absence: odd, but publishable.
fn body_warnings(
    path: &Path,
    split: &Split<'_>,
    title: Option<&Field>,
    skip: bool,
    warnings: &mut Vec<Diagnostic>,
) {
    let forbidden = title.map_or(0, |f| text::count_xml_forbidden(&f.value))
        + text::count_xml_forbidden(split.body);
    if forbidden > 0 {
        warnings.push(
            Diagnostic::warning(path, 0, 0, format!("{forbidden} control character(s) that XML does not allow (such as vertical tab) are left out of the feeds"))
                .with_hint("remove them from the file"),
        );
    }
    let depth = crate::text::raw_html_depth(split.body);
    if depth > crate::text::MAX_HTML_DEPTH {
        warnings.push(
            Diagnostic::warning(
                path,
                split.body_line,
                0,
                format!(
                    "raw HTML in the body nests {depth} levels deep; its tags are left out of the feeds and only its text is published"
                ),
            )
            .with_hint(format!(
                "nest HTML at most {} levels deep, or write the body in Markdown",
                crate::text::MAX_HTML_DEPTH
            )),
        );
    }
    if split.body.trim().is_empty() && !skip {
        warnings.push(
            Diagnostic::warning(
                path,
                split.body_line,
                0,
                "body is empty; the release is published with its title only",
            )
            .with_hint("add the release text after the closing `---`"),
        );
    }
}

/// Cleaned names of one list, without empty ones: at most
/// [`MAX_NAMES_PER_RELEASE`], and a warning for the others and for names
/// longer than [`MAX_DISPLAY_CHARS`] (their feeds show them cut at a word).
fn bounded_names(
    path: &Path,
    split: &Split<'_>,
    key: &str,
    cleaned: impl Iterator<Item = String>,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut extra = 0;
    for name in cleaned.filter(|n| !n.is_empty()) {
        if names.len() == MAX_NAMES_PER_RELEASE {
            extra += 1;
            continue;
        }
        let chars = name.chars().count();
        if chars > MAX_DISPLAY_CHARS {
            warnings.push(
                Diagnostic::at(
                    path,
                    crate::input::frontmatter::key_position(split, key),
                    format!(
                        "a name in `{key}` is {chars} characters long; feeds show its first {MAX_DISPLAY_CHARS}, cut at a word: {:?}",
                        crate::input::names::bounded_display(&name)
                    ),
                )
                .warn()
                .with_hint(format!("give `{key}` the name alone, not a sentence or a document title")),
            );
        }
        names.push(name);
    }
    if extra > 0 {
        warnings.push(
            Diagnostic::at(
                path,
                crate::input::frontmatter::key_position(split, key),
                format!(
                    "`{key}` has {} names; the first {MAX_NAMES_PER_RELEASE} are published, the other {extra} get no feed",
                    MAX_NAMES_PER_RELEASE + extra
                ),
            )
            .warn()
            .with_hint(format!("list only the release's real {key}")),
        );
    }
    names
}

/// Reads the date-time of `key` (`date`, `updated`): an error when it cannot
/// be read or no format can carry it, a warning when it is implausible.
fn read_date(
    path: &Path,
    key: &str,
    f: &Field,
    at: (usize, usize),
    config: &Config,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<DateTime<FixedOffset>> {
    let value = f.value.trim();
    match parse_date(value, config.time_zone) {
        Some(d) if !representable(&d) => {
            errors.push(
                Diagnostic::at(
                    path,
                    at,
                    format!(
                        "{key} {value} is outside the years 0000 to 9999 that RSS, Atom and JSON Feed can carry"
                    ),
                )
                .with_hint("write a four-digit year, as YYYY-MM-DD"),
            );
            None
        }
        Some(d) => {
            if !PLAUSIBLE_YEARS.contains(&d.year()) {
                warnings.push(
                    Diagnostic::at(
                        path,
                        at,
                        format!("{key} {value} is implausible; the release is published with it"),
                    )
                    .warn()
                    .with_hint("check the date in the front matter"),
                );
            }
            Some(d)
        }
        None => {
            errors.push(
                Diagnostic::at(path, at, format!("cannot read {key} {:?}", f.value))
                    .with_hint("write the date as YYYY-MM-DD or as an RFC 3339 date-time such as 2008-09-30T14:00:00+13:00"),
            );
            None
        }
    }
}

/// A stand-in title for a release whose title is empty: the first line of
/// text in the body, without Markdown emphasis, cut at a word boundary.
fn title_from_body(body: &str) -> Option<String> {
    const MAX: usize = 80;
    let line = body
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches(['#', '>', '-', '*', ' '])
                .replace(['*', '_', '`'], "")
        })
        .map(|l| text::xml_safe(l.trim()).into_owned())
        .find(|l| !l.is_empty())?;
    if line.chars().count() <= MAX {
        return Some(line);
    }
    let cut: String = line.chars().take(MAX).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > MAX / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    Some(format!("{}…", cut.trim_end_matches([',', ';', ':', ' '])))
}

fn absolute_url(raw: &str) -> Result<String, &'static str> {
    let raw = raw.trim();
    if text::is_plain_http_url(raw) {
        return Ok(raw.to_owned());
    }
    match Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(u.into()),
        Ok(_) => Err("is not an http or https address"),
        Err(url::ParseError::RelativeUrlWithoutBase) => Err("is relative, not absolute"),
        Err(_) => Err("is not a valid URL"),
    }
}

/// `YYYY-MM-DD` (midnight in `tz`), an RFC 3339 date-time, or a date-time
/// without offset (local time in `tz`).
pub fn parse_date(s: &str, tz: Tz) -> Option<DateTime<FixedOffset>> {
    // Nearly every seed: exactly `YYYY-MM-DD`, read without chrono's format
    // parser (the same date, or the same `None` for a day that does not exist).
    if let Some((y, m, d)) = plain_date(s.as_bytes()) {
        return NaiveDate::from_ymd_opt(y, m, d).map(|d| local(d.and_time(NaiveTime::MIN), tz));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(local(d.and_time(NaiveTime::MIN), tz));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(local(d, tz));
        }
    }
    None
}

/// A wall-clock time in `tz` as a fixed offset. Times that fall in a
/// daylight-saving gap move forward an hour; ambiguous ones take the earlier.
/// Historic offsets with seconds (local mean time) are rounded to whole
/// minutes, since RFC 3339 and RFC 822 cannot express seconds.
/// Year, month and day of exactly `DDDD-DD-DD`.
fn plain_date(b: &[u8]) -> Option<(i32, u32, u32)> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |ds: &[u8]| ds.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    Some((n(&digits[..4]) as i32, n(&digits[4..6]), n(&digits[6..])))
}

fn local(naive: NaiveDateTime, tz: Tz) -> DateTime<FixedOffset> {
    let dt = tz
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            let later = naive.checked_add_signed(chrono::Duration::hours(1))?;
            tz.from_local_datetime(&later).earliest()
        })
        .map(|d| d.fixed_offset())
        .unwrap_or_else(|| naive.and_utc().fixed_offset());
    let secs = dt.offset().local_minus_utc();
    if secs % 60 == 0 {
        return dt;
    }
    let rounded = FixedOffset::east_opt((secs as f64 / 60.0).round() as i32 * 60)
        .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
    rounded
        .from_local_datetime(&dt.naive_local())
        .single()
        .unwrap_or(dt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_only_is_local_midnight() {
        let d = parse_date("2008-09-30", chrono_tz::Pacific::Auckland).unwrap();
        assert_eq!(d.to_rfc3339(), "2008-09-30T00:00:00+13:00");
        let d = parse_date("2008-06-30", chrono_tz::Pacific::Auckland).unwrap();
        assert_eq!(d.to_rfc3339(), "2008-06-30T00:00:00+12:00");
    }

    #[test]
    fn other_forms() {
        let tz = chrono_tz::Pacific::Auckland;
        assert_eq!(
            parse_date("2020-01-02T03:04:05Z", tz).unwrap().to_rfc3339(),
            "2020-01-02T03:04:05+00:00"
        );
        assert_eq!(
            parse_date("2020-01-02 10:00", tz).unwrap().to_rfc3339(),
            "2020-01-02T10:00:00+13:00"
        );
        assert!(parse_date("30/09/2008", tz).is_none());
        assert!(parse_date("2008-13-01", tz).is_none());
    }

    /// The `YYYY-MM-DD` shortcut reads the same dates chrono's `%Y-%m-%d`
    /// does, and rejects the same days that do not exist.
    #[test]
    fn plain_dates_read_as_chrono_reads_them() {
        let mut checked = 0;
        for year in [
            "0000", "0001", "1996", "2000", "2023", "2024", "2100", "9999",
        ] {
            for month in 0..=13 {
                for day in 0..=32 {
                    let s = format!("{year}-{month:02}-{day:02}");
                    let fast = plain_date(s.as_bytes())
                        .and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
                    assert_eq!(fast, NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok(), "{s}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 8 * 14 * 33);
        for other in [
            "2021-6-24",
            "2021-06-24 ",
            "+2021-06-24",
            "2021/06/24",
            "20210-06-2",
            "２０２１-06-24",
        ] {
            assert_eq!(plain_date(other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn year_one_has_a_whole_minute_offset() {
        let d = parse_date("0001-01-01", chrono_tz::Pacific::Auckland).unwrap();
        assert_eq!(d.offset().local_minus_utc() % 60, 0);
        assert_eq!(d.year(), 1);
    }

    #[test]
    fn empty_title_comes_from_the_body() {
        assert_eq!(
            title_from_body("\n\n**Minister** says hi\n"),
            Some("Minister says hi".into())
        );
        let long = "word ".repeat(40);
        let t = title_from_body(&long).unwrap();
        assert!(t.ends_with('…') && t.chars().count() <= 81, "{t}");
        assert_eq!(title_from_body(" \n"), None);
    }

    #[test]
    fn urls() {
        assert!(absolute_url("https://x.nz/a").is_ok());
        assert_eq!(absolute_url("/release/a"), Err("is relative, not absolute"));
        assert!(absolute_url("ftp://x.nz/a").is_err());
    }
}
