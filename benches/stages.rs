//! Criterion benchmarks of the pipeline's stages, on a sample of the real
//! archive (unpacked by scripts/bench.sh into target/corpus) or, without it,
//! on the fixture site.
//!
//!     cargo bench --bench stages
//!
//! Whole-build timings (wall time, peak memory) are in scripts/bench.sh.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pressfeed::config::Config;
use pressfeed::input::{frontmatter, load, validate};
use pressfeed::output::{FeedFormat, Item, atom, html, jsonfeed, rss};
use pressfeed::render;
use pressfeed::site::group;

/// Up to `n` seed files, the same ones every run.
fn sample(n: usize) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("target/corpus/beehive/releases");
    let dir = if corpus.exists() {
        corpus
    } else {
        root.join("tests/fixtures/site/seeds")
    };
    let paths = load::discover(&dir).expect("seeds folder").files;
    let step = (paths.len() / n).max(1);
    paths
        .iter()
        .step_by(step)
        .take(n)
        .map(|p| {
            let bytes = std::fs::read(p).unwrap();
            (p.to_path_buf(), bytes)
        })
        .collect()
}

fn parse_one(config: &Config, path: &Path, bytes: &[u8]) -> Option<validate::Release> {
    let mut warnings = Vec::new();
    let (text, skip) = load::decode(path, bytes).ok()?;
    let split = load::split(path, text, skip).ok()?;
    let fm = frontmatter::parse(path, &split, config, &mut warnings).ok()?;
    validate::validate(path, &split, fm, config, &mut warnings).ok()?
}

fn stages(c: &mut Criterion) {
    let config = Config::default();
    let files = sample(2000);
    let bytes: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();

    let mut g = c.benchmark_group("stages");
    g.throughput(Throughput::Elements(files.len() as u64));
    g.bench_function("read", |b| {
        b.iter(|| {
            for (p, _) in &files {
                black_box(std::fs::read(p).unwrap());
            }
        })
    });
    g.bench_function("split+parse+validate", |b| {
        b.iter(|| {
            for (p, bytes) in &files {
                black_box(parse_one(&config, p, bytes));
            }
        })
    });
    let releases: Vec<std::sync::Arc<validate::Release>> = files
        .iter()
        .filter_map(|(p, b)| parse_one(&config, p, b))
        .map(std::sync::Arc::new)
        .collect();
    g.bench_function("group", |b| {
        b.iter(|| {
            let mut warnings = Vec::new();
            black_box(group::group(releases.clone(), &config, &mut warnings))
        })
    });
    let bodies: Vec<(String, &validate::Release)> = releases
        .iter()
        .map(|r| (load::read_body(&r.path, r.body_offset).unwrap(), &**r))
        .collect();
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("render", |b| {
        b.iter(|| {
            for (body, r) in &bodies {
                black_box(render::render(body, &r.url, &r.attachments));
            }
        })
    });

    // Each emitted release is serialised once per format.
    let mut warnings = Vec::new();
    let site = group::group(releases.clone(), &config, &mut warnings);
    let items: Vec<Item> = (0..site.releases.len() as u32)
        .map(|i| {
            let r = &site.releases[i as usize];
            let body = load::read_body(&r.path, r.body_offset).unwrap();
            Item::new(&site, i, r, render::render(&body, &r.url, &r.attachments))
        })
        .collect();
    g.throughput(Throughput::Elements(items.len() as u64));
    // Each format's fragment of an item, as its length in bytes.
    type Serialise<'a> = &'a dyn Fn(&Item) -> usize;
    let formats: [(&str, Serialise); 4] = [
        ("serialise rss", &|item| rss::Rss.item(item, &config).len()),
        ("serialise atom", &|item| {
            atom::Atom.item(item, &config).len()
        }),
        ("serialise json", &|item| {
            jsonfeed::JsonFeed.item(item, &config).get().len()
        }),
        ("serialise page", &|item| {
            html::item(item, pressfeed::site::paths::FEED_ROOT, &config).len()
        }),
    ];
    for (name, serialise) in formats {
        g.bench_function(name, |b| {
            b.iter(|| {
                for item in &items {
                    black_box(serialise(item));
                }
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = stages
}
criterion_main!(benches);
