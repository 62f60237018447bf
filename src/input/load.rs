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
use crate::input::paths::Paths;

/// File extensions read as releases.
pub const EXTENSIONS: &[&str] = &["md", "markdown", "txt"];

/// The seed files found under a seeds folder, and what the walk skipped.
#[derive(Debug, Default)]
pub struct Found {
    /// Seed files in byte order of their paths.
    pub files: Paths,
    /// Warnings about entries that were not read: links that leave the
    /// seeds folder or loop back into a folder above them, named pipes,
    /// sockets and devices, broken links.
    pub warnings: Vec<Diagnostic>,
}

/// Every seed file under `root`, at any depth, hidden files and folders
/// skipped, in a fixed (sorted) order whatever the directory order is.
///
/// The walk is bounded whatever the folder holds: symbolic links are never
/// followed. A link to a file or folder inside `root` adds nothing (what it
/// points at is read under its own path, once); a link out of `root`, back
/// to a folder above it, or to nothing is reported. Only regular files are
/// seeds: named pipes, sockets and devices are reported and never opened.
pub fn discover(root: &Path) -> io::Result<Found> {
    let meta = fs::metadata(root)?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            "not a directory",
        ));
    }
    let inside = fs::canonicalize(root)?;
    // The folders directly under `root` (a year each, in the usual layout)
    // are walked side by side; their findings are put together in the
    // order of the folders, so the result (and the error reported, if
    // any) does not depend on which walk ends first.
    let mut found = Walked::default();
    let mut folders = Vec::new();
    walk(
        walkdir::WalkDir::new(root).max_depth(1),
        root,
        &inside,
        &mut found,
        Some(&mut folders),
    )?;
    folders.sort();
    let walked: Vec<io::Result<Walked>> = folders
        .par_iter()
        .map(|folder| {
            let mut found = Walked::default();
            walk(
                walkdir::WalkDir::new(folder),
                folder,
                &inside,
                &mut found,
                None,
            )?;
            Ok(found)
        })
        .collect();
    let walked = walked.into_iter().collect::<io::Result<Vec<Walked>>>()?;
    let mut files: Vec<PathBuf> =
        Vec::with_capacity(found.files.len() + walked.iter().map(|w| w.files.len()).sum::<usize>());
    files.append(&mut found.files);
    for part in walked {
        files.extend(part.files);
        found.warnings.extend(part.warnings);
    }
    crate::diag::sort(&mut found.warnings);
    // Byte order, not `Path` component order: the same result, much faster.
    files.par_sort_unstable_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    let bytes = files.iter().map(|f| f.as_os_str().len()).sum();
    let mut packed = Paths::with_capacity(files.len(), bytes);
    for file in files {
        packed.push(&file);
    }
    Ok(Found {
        files: packed,
        warnings: found.warnings,
    })
}

/// What one walk found, before the walks' findings are put together.
#[derive(Default)]
struct Walked {
    files: Vec<PathBuf>,
    warnings: Vec<Diagnostic>,
}

/// Adds the seeds and warnings of one walk from `top` to `found`. With
/// `folders`, the walk's folders (but `top`) are not entered but listed
/// there, for walks of their own.
fn walk(
    walk: walkdir::WalkDir,
    top: &Path,
    inside: &Path,
    found: &mut Walked,
    mut folders: Option<&mut Vec<PathBuf>>,
) -> io::Result<()> {
    let mut walk = walk.into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(top).to_path_buf();
            let io = e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("walk failed"));
            io::Error::new(io.kind(), format!("{}: {io}", crate::diag::shown(&path)))
        })?;
        let file_type = entry.file_type();
        if entry.depth() > 0 && name_of(entry.path()).starts_with(b".") {
            if file_type.is_dir() {
                walk.skip_current_dir();
            }
            continue;
        }
        if file_type.is_dir() {
            if let (Some(folders), 1..) = (folders.as_deref_mut(), entry.depth()) {
                folders.push(entry.into_path());
            }
            continue;
        }
        if file_type.is_symlink() {
            if let Some(warning) = link_warning(entry.path(), inside) {
                found.warnings.push(warning);
            }
            continue;
        }
        if !has_seed_extension(entry.path()) {
            continue;
        }
        if !file_type.is_file() {
            found.warnings.push(
                Diagnostic::warning(
                    entry.path(),
                    0,
                    0,
                    format!("{} is not a regular file; skipped", file_kind(&file_type)),
                )
                .with_hint("seeds are regular files; move it out of the seeds folder"),
            );
            continue;
        }
        found.files.push(entry.into_path());
    }
    Ok(())
}

/// What to say of a symbolic link in the seeds folder (`inside`, canonical):
/// nothing for one to a file or folder inside it, which is read under its
/// own path anyway; a warning for one that leads out, back up, or nowhere.
fn link_warning(link: &Path, inside: &Path) -> Option<Diagnostic> {
    let target = match fs::canonicalize(link) {
        Ok(target) => target,
        // A broken link matters only where a seed was meant to be.
        Err(_) => {
            return has_seed_extension(link).then(|| {
                Diagnostic::warning(link, 0, 0, "broken symbolic link; skipped")
                    .with_hint("remove the link or restore the file it points at")
            });
        }
    };
    if !target.starts_with(inside) {
        let is_seed = has_seed_extension(link) || target.is_dir();
        return is_seed.then(|| {
            Diagnostic::warning(
                link,
                0,
                0,
                format!(
                    "symbolic link points outside the seeds folder (to {}); not followed",
                    crate::diag::shown(&target)
                ),
            )
            .with_hint("copy the releases into the seeds folder, or pass their folder with --seeds")
        });
    }
    let folder = link
        .parent()
        .and_then(|p| fs::canonicalize(p).ok())
        .unwrap_or_default();
    folder.starts_with(&target).then(|| {
        Diagnostic::warning(
            link,
            0,
            0,
            format!(
                "symbolic link leads back to {}, a folder it is inside; not followed",
                crate::diag::shown(&target)
            ),
        )
        .with_hint("remove the link: links in the seeds folder are never followed")
    })
}

/// What a file that is not a regular file is, for a warning.
fn file_kind(file_type: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    let _ = file_type;
    "it"
}

/// Opens a seed for reading without ever blocking on it: a named pipe or
/// device put in place of a seed after the walk is refused, not waited on.
/// Returns the file and what `fstat` says of it.
pub fn open_seed(path: &Path) -> io::Result<(fs::File, fs::Metadata)> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok((file, meta))
}

fn has_seed_extension(path: &Path) -> bool {
    let name = name_of(path);
    // As `Path::extension` has it: after the last dot, but not a leading one.
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) if dot > 0 => {
            let extension = &name[dot + 1..];
            EXTENSIONS
                .iter()
                .any(|x| extension.eq_ignore_ascii_case(x.as_bytes()))
        }
        _ => false,
    }
}

/// The last name of `path`, as bytes: what follows its last `/` (a `Path`
/// parses its components each time it is asked for one, which a walk of a
/// million seeds notices).
fn name_of(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_encoded_bytes();
    let bytes = bytes.strip_suffix(b"/").unwrap_or(bytes);
    match bytes.iter().rposition(|&b| b == b'/') {
        Some(at) => &bytes[at + 1..],
        None => bytes,
    }
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

/// Reads the rest of `file`, whose size is `size`, into `buf`: with one
/// `read` call when the file is that size (a short read of a regular file
/// is its end), reading on only if it grew since its size was taken.
pub fn read_known(file: &mut fs::File, size: u64, buf: &mut Vec<u8>) -> io::Result<usize> {
    use std::io::Read;
    let Ok(size) = usize::try_from(size) else {
        return read_rest(file, buf);
    };
    // One byte more than the size, so a file that grew is noticed. A read
    // of a regular file that gives less than asked for has reached its end.
    let start = buf.len();
    buf.resize(start + size + 1, 0);
    let n = loop {
        match file.read(&mut buf[start..]) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        }
    };
    buf.truncate(start + n);
    if n > size {
        // It grew since its size was taken: the rest, however much.
        return Ok(n + read_rest(file, buf)?);
    }
    Ok(n)
}

/// Reads the body of a seed again, from `body_offset` to the end.
pub fn read_body(path: &Path, body_offset: usize) -> io::Result<String> {
    use std::io::{Seek, SeekFrom};
    let (mut file, _) = open_seed(path)?;
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

    #[test]
    fn seed_extensions_are_those_path_extension_sees() {
        for name in [
            "a.md",
            "A.MD",
            "x/y/a.Markdown",
            "a.txt",
            ".md",
            "x/.md",
            "..md",
            "a.b.md",
            "a.",
            "a",
            "x.md/",
            "x/y",
            "a.mdx",
            "a.md.bak",
            "./a.md",
            "x/y.md",
        ] {
            let path = Path::new(name);
            let by_path = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)));
            assert_eq!(has_seed_extension(path), by_path, "{name}");
        }
    }

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
