//! The floor under a full build on this machine: the bare system and library
//! work a build cannot avoid, timed stage by stage with nothing of pressfeed
//! in it, so BENCHMARKS.md can say how far a build is from it.
//!
//! ```text
//! cargo run --release --example floor -- SEEDS BUILT_OUTPUT SCRATCH
//! ```
//!
//! - `SEEDS`: the seeds folder of a build (the real archive);
//! - `BUILT_OUTPUT`: the output folder of a full build of those seeds (the
//!   files to write are taken from it, so the volume is the real one);
//! - `SCRATCH`: a folder to write into; a new subfolder is made in it for
//!   each run and left there (deleting it right away would slow the next
//!   run's file creation on ext4 without a journal).
//!
//! Stages, each on every core (rayon), as the build runs them:
//!
//! - read: open, read and close every seed;
//! - render: read again the newest `RENDERED` seeds (by path, which is by
//!   date in the archive) and render their Markdown with pulldown-cmark, with
//!   no link rewriting, sanitising or summary;
//! - write: create every file of `BUILT_OUTPUT` in a new folder (their bytes
//!   are read into memory first, untimed) and write it, with no temporary
//!   file, rename or comparison with an older file;
//! - sync: one `syncfs`.
//!
//! Not in the floor, though a build must do them: parsing and checking the
//! front matter, grouping, serialising three feed formats and the pages, the
//! renames and folder syncs that make publishing atomic.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

/// As many bodies as a full build of the real archive renders.
const RENDERED: usize = 13_006;

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [seeds, built, scratch] = args.as_slice() else {
        eprintln!("usage: floor SEEDS BUILT_OUTPUT SCRATCH");
        std::process::exit(2);
    };

    let outputs = files(built);
    let contents: Vec<(PathBuf, Vec<u8>)> = outputs
        .par_iter()
        .map(|p| {
            let rel = p.strip_prefix(built).expect("under the output folder");
            (
                rel.to_path_buf(),
                fs::read(p).expect("output file is readable"),
            )
        })
        .collect();
    let target = scratch.join(format!("floor-{}", std::process::id()));

    let start = Instant::now();
    let paths = pressfeed::input::load::discover(seeds)
        .expect("seeds folder is readable")
        .files;
    let find = start.elapsed();

    let start = Instant::now();
    let bytes: usize = paths
        .par_iter()
        .map_init(Vec::new, |buf, path| {
            buf.clear();
            fs::File::open(path)
                .and_then(|mut f| f.read_to_end(buf))
                .expect("seed is readable")
        })
        .sum();
    let read = start.elapsed();

    let start = Instant::now();
    let newest: Vec<&std::path::Path> = paths
        .iter()
        .skip(paths.len().saturating_sub(RENDERED))
        .collect();
    let html: usize = newest
        .par_iter()
        .map(|path| {
            let text = fs::read_to_string(path).unwrap_or_default();
            let body = text.splitn(3, "---").nth(2).unwrap_or("");
            let options = pulldown_cmark::Options::ENABLE_TABLES
                | pulldown_cmark::Options::ENABLE_STRIKETHROUGH
                | pulldown_cmark::Options::ENABLE_FOOTNOTES;
            let mut out = String::with_capacity(body.len() * 3 / 2);
            pulldown_cmark::html::push_html(
                &mut out,
                pulldown_cmark::Parser::new_ext(body, options),
            );
            out.len()
        })
        .sum();
    let render = start.elapsed();

    let start = Instant::now();
    let mut dirs: Vec<PathBuf> = contents
        .iter()
        .filter_map(|(rel, _)| rel.parent().map(|d| target.join(d)))
        .collect();
    dirs.sort();
    dirs.dedup();
    for d in &dirs {
        fs::create_dir_all(d).expect("scratch folder is writable");
    }
    let written: usize = contents
        .par_iter()
        .map(|(rel, data)| {
            let mut f = fs::File::create(target.join(rel)).expect("can create a file");
            f.write_all(data).expect("can write");
            data.len()
        })
        .sum();
    let write = start.elapsed();

    let start = Instant::now();
    let dir = fs::File::open(&target).expect("scratch folder opens");
    rustix::fs::syncfs(&dir).expect("syncfs");
    let sync = start.elapsed();

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "find {:.0} ms, read {:.0} ms ({} files, {:.0} MB), render {:.0} ms ({} bodies, {:.0} MB of HTML), write {:.0} ms ({} files, {:.0} MB), sync {:.0} ms; total {:.0} ms",
        ms(find),
        ms(read),
        paths.len(),
        bytes as f64 / 1e6,
        ms(render),
        newest.len(),
        html as f64 / 1e6,
        ms(write),
        contents.len(),
        written as f64 / 1e6,
        ms(sync),
        ms(find + read + render + write + sync),
    );
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("output folder is readable") {
            let path = entry.expect("output folder is readable").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}
