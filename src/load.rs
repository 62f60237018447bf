//! Stage 1: find the seed files and split each into front matter and body.
//!
//! Files are read in parallel. Only the front matter and a few facts about the
//! body (where it starts, whether it is empty) are kept: bodies are read again
//! by the render stage for the releases some feed actually emits, so memory
//! does not grow with the size of the archive's text.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diag::Diagnostic;

/// File extensions read as releases.
pub const EXTENSIONS: &[&str] = &["md", "markdown", "txt"];

/// Every seed file under `root`, recursively, hidden files and folders
/// skipped, in a fixed (sorted) order whatever the directory order is.
pub fn discover(root: &Path) -> io::Result<Vec<PathBuf>> {
    let meta = fs::metadata(root)?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            "not a directory",
        ));
    }
    let mut files = walk(root)?;
    // Byte order, not `Path` component order: the same result, much faster.
    files.par_sort_unstable_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    Ok(files)
}

/// The seed files under `dir`, its subfolders walked in parallel.
fn walk(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type()?;
        // Follow symlinks to find out what they point at.
        let is_dir = file_type.is_dir()
            || (file_type.is_symlink() && fs::metadata(&path).is_ok_and(|m| m.is_dir()));
        if is_dir {
            dirs.push(path);
        } else if has_seed_extension(&path) {
            files.push(path);
        }
    }
    let nested: Vec<Vec<PathBuf>> = dirs
        .par_iter()
        .map(|d| walk(d))
        .collect::<io::Result<_>>()?;
    files.extend(nested.into_iter().flatten());
    Ok(files)
}

fn has_seed_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// A seed file split at its front matter.
#[derive(Debug)]
pub struct Split<'a> {
    /// The YAML between the `---` lines.
    pub yaml: &'a str,
    /// 1-based line of the file on which `yaml` starts.
    pub yaml_line: usize,
    /// Byte offset in the file (including any byte-order mark) where the
    /// body starts.
    pub body_offset: usize,
    /// 1-based line on which the body starts.
    pub body_line: usize,
    pub body: &'a str,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes a seed file's bytes as UTF-8, without its byte-order mark.
/// Returns the text and the number of bytes skipped.
pub fn decode<'a>(path: &Path, bytes: &'a [u8]) -> Result<(&'a str, usize), Diagnostic> {
    let skip = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let rest = &bytes[skip..];
    // Every byte of every seed is checked: a SIMD validator does it several
    // times faster than the standard library on text that is not all ASCII.
    if let Ok(text) = simdutf8::basic::from_utf8(rest) {
        return Ok((text, skip));
    }
    // Invalid: the standard library says where.
    match std::str::from_utf8(rest) {
        Ok(text) => Ok((text, skip)),
        Err(e) => {
            let good = &rest[..e.valid_up_to()];
            // The valid prefix is UTF-8 by definition.
            let good = std::str::from_utf8(good).expect("the bytes before `valid_up_to` are UTF-8");
            let (line, col) = crate::text::line_col(good, good.len());
            Err(
                Diagnostic::error(path, line, col, "file is not valid UTF-8")
                    .with_hint("save the file as UTF-8"),
            )
        }
    }
}

/// Splits a decoded seed at its front matter. `skip` is the number of bytes
/// `decode` removed from the front of the file.
pub fn split<'a>(path: &Path, text: &'a str, skip: usize) -> Result<Split<'a>, Diagnostic> {
    let mut lines = LineIter { text, pos: 0 };
    let Some((_, first)) = lines.next() else {
        return Err(no_front_matter(path, "the file is empty"));
    };
    if first.trim_end() != "---" {
        return Err(no_front_matter(
            path,
            "the file does not start with a `---` line",
        ));
    }
    let yaml_start = lines.pos;
    let mut line_no = 1;
    while let Some((start, line)) = lines.next() {
        line_no += 1;
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let body_offset = lines.pos;
            return Ok(Split {
                yaml: &text[yaml_start..start],
                yaml_line: 2,
                body_offset: skip + body_offset,
                body_line: line_no + 1,
                body: &text[body_offset..],
            });
        }
    }
    Err(Diagnostic::error(path, 1, 1, "front matter is not closed")
        .with_hint("end the front matter with a line holding only `---`"))
}

fn no_front_matter(path: &Path, why: &str) -> Diagnostic {
    Diagnostic::error(path, 1, 1, format!("no front matter: {why}")).with_hint(
        "start the file with a `---` line, then `title:`, `date:` and `url:`, then another `---` line",
    )
}

/// Lines with their byte offsets, without their line endings (`\n` or `\r\n`).
struct LineIter<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for LineIter<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.text[start..];
        // Front matter lines are short: a plain byte loop beats a searcher.
        let (line, advance) = match rest.bytes().position(|b| b == b'\n') {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        self.pos += advance;
        Some((start, line.strip_suffix('\r').unwrap_or(line)))
    }
}

/// Appends the rest of `file` to `buf`. The standard library's
/// `File::read_to_end` first asks for the file's size and position (two
/// system calls) to size the buffer; through `Take` it reads straight into
/// the room `buf` already has, which for a reused buffer is enough: two
/// `read` calls for a seed instead of four calls.
pub fn read_rest(file: &mut fs::File, buf: &mut Vec<u8>) -> io::Result<usize> {
    use std::io::Read;
    buf.reserve(8192);
    file.take(u64::MAX).read_to_end(buf)
}

/// Reads the body of a seed again, from `body_offset` to the end.
pub fn read_body(path: &Path, body_offset: usize) -> io::Result<String> {
    use std::io::{Seek, SeekFrom};
    let mut file = fs::File::open(path)?;
    file.seek(SeekFrom::Start(body_offset as u64))?;
    let mut bytes = Vec::new();
    read_rest(&mut file, &mut bytes)?;
    // Valid UTF-8 (checked when the seed was first read) unless the file
    // changed since: then a replacement character rather than an error.
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_str(s: &str) -> Result<Split<'_>, Diagnostic> {
        split(Path::new("x.md"), s, 0)
    }

    #[test]
    fn splits_lf_and_crlf() {
        let s = split_str("---\ntitle: a\n---\nbody\n").unwrap();
        assert_eq!(s.yaml, "title: a\n");
        assert_eq!(s.body, "body\n");
        assert_eq!(s.body_line, 4);
        let s = split_str("---\r\ntitle: a\r\n---\r\nbody\r\n").unwrap();
        assert_eq!(s.yaml, "title: a\r\n");
        assert_eq!(s.body, "body\r\n");
    }

    #[test]
    fn bom_is_skipped_and_counted() {
        let bytes = b"\xEF\xBB\xBF---\ntitle: a\n---\nbody";
        let (text, skip) = decode(Path::new("x"), bytes).unwrap();
        let s = split(Path::new("x"), text, skip).unwrap();
        assert_eq!(&bytes[s.body_offset..], b"body");
    }

    #[test]
    fn missing_or_unclosed_front_matter() {
        assert!(
            split_str("title: a\n")
                .unwrap_err()
                .message
                .contains("no front matter")
        );
        assert!(split_str("").unwrap_err().message.contains("empty"));
        assert!(
            split_str("---\ntitle: a\n")
                .unwrap_err()
                .message
                .contains("not closed")
        );
    }

    #[test]
    fn invalid_utf8_is_located() {
        let e = decode(Path::new("x"), b"---\nab\xff").unwrap_err();
        assert_eq!((e.line, e.col), (2, 3));
    }
}
