//! Imports run one way: from the command line down to the stages, and from
//! a later stage to an earlier one, never back. Read from the `crate::`
//! paths of every source file (outside comments and `#[cfg(test)]` code),
//! this test fails on a stage that uses a later one and on any circle of
//! files, naming the lines. See README.md, "Layout".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The stages in pipeline order, each with the modules it is made of; a
/// module may use its own stage and earlier ones. `text`, `diag` and
/// `config` serve every stage; the crate root (`lib.rs`) and `main.rs` run
/// the pipeline.
const STAGES: &[(&str, &[&str])] = &[
    ("shared helpers", &["text", "diag", "progress"]),
    ("configuration", &["config"]),
    ("input", &["input"]),
    ("site", &["site"]),
    ("render", &["render"]),
    ("output", &["output"]),
    ("delivery", &["delivery"]),
    ("the pipeline", &["lib", "main"]),
    // What a run did, for monitoring: made from the pipeline's report.
    ("run reports", &["report"]),
];

/// Test-only helpers, used by unit tests anywhere.
const TEST_ONLY: &[&str] = &["testing"];

/// The stage of a module path (`output::html`), by its first segment.
fn stage(module: &str) -> Option<usize> {
    let first = module.split("::").next().unwrap_or(module);
    STAGES.iter().position(|(_, mods)| mods.contains(&first))
}

/// A source file's module path: `src/output/html.rs` is `output::html`,
/// `src/output/mod.rs` is `output`, `src/lib.rs` is `lib`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|c| c != "mod")
        .collect();
    parts.join("::")
}

/// The code of a file without comments and without what follows its first
/// `#[cfg(test)]` (unit tests, which may use anything).
fn code(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        let line = match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        out.push((n + 1, line.to_string()));
    }
    out
}

/// The paths a line names through `crate::`, a brace group expanded one
/// level (`use crate::output::{html, FEED_FORMATS}` names `output::html`
/// and `output::FEED_FORMATS`). Multi-line `use` groups are joined by
/// [`uses`].
fn named(line: &str) -> Vec<String> {
    let is_path = |c: &char| c.is_alphanumeric() || *c == '_' || *c == ':';
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let prefix: String = rest.chars().take_while(is_path).collect();
        rest = &rest[prefix.len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let item: String = item.trim().chars().take_while(is_path).collect();
                    match item.as_str() {
                        "" | "self" => out.push(prefix.trim_end_matches(':').to_string()),
                        _ => out.push(format!("{prefix}{item}")),
                    }
                }
                rest = &group[end..];
            }
            None => out.push(prefix),
        }
    }
    out
}

/// Every `crate::` path of a file's code, with its line: `use` statements
/// spanning lines are read as one.
fn uses(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let lines = code(text);
    let mut i = 0;
    while i < lines.len() {
        let (n, ref line) = lines[i];
        let mut joined = line.clone();
        if line.trim_start().starts_with("use crate::")
            || line.trim_start().starts_with("pub use crate::")
        {
            while !joined.contains(';') && i + 1 < lines.len() {
                i += 1;
                joined.push_str(&lines[i].1);
            }
        }
        for path in named(&joined) {
            out.push((n, path));
        }
        i += 1;
    }
    out
}

/// The module a path names, as a file of `modules`: the longest prefix of
/// the path that is a module (`output::html::page` is `output::html`).
fn target(path: &str, modules: &BTreeMap<String, PathBuf>) -> Option<String> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    (1..=segments.len())
        .rev()
        .map(|k| segments[..k].join("::"))
        .find(|m| modules.contains_key(m))
        .or_else(|| Some("lib".to_string()))
}

fn sources(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut files = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.insert(module_of(src, &path), path);
            }
        }
    }
    files
}

/// Each file's imports of other files: (line, module); and each module's
/// file.
type Graph = BTreeMap<String, Vec<(usize, String)>>;

fn graph(src: &Path) -> (Graph, BTreeMap<String, PathBuf>) {
    let modules = sources(src);
    let graph = modules
        .iter()
        .map(|(module, path)| {
            let text = std::fs::read_to_string(path).unwrap();
            let mut edges: Vec<(usize, String)> = uses(&text)
                .into_iter()
                .filter_map(|(n, p)| Some((n, target(&p, &modules)?)))
                .filter(|(_, m)| m != module)
                .collect();
            edges.dedup_by(|a, b| a.1 == b.1);
            (module.clone(), edges)
        })
        .collect();
    (graph, modules)
}

/// What is wrong with `graph`: stages using later ones, then circles.
fn problems((graph, files): &(Graph, BTreeMap<String, PathBuf>), src: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let file = |m: &str| {
        let path = files[m].strip_prefix(src).unwrap_or(&files[m]);
        format!("src/{}", path.display())
    };
    for (module, edges) in graph {
        if TEST_ONLY.contains(&module.as_str()) {
            continue;
        }
        let Some(from) = stage(module) else {
            out.push(format!(
                "{}: module {module} is in no stage; add it to STAGES in tests/layers.rs",
                file(module)
            ));
            continue;
        };
        for (line, to) in edges {
            if TEST_ONLY.contains(&to.as_str()) {
                continue;
            }
            match stage(to) {
                Some(t) if t > from => out.push(format!(
                    "{}:{line}: {module} ({}) uses {to} ({}), a later stage",
                    file(module),
                    STAGES[from].0,
                    STAGES[t].0
                )),
                _ => {}
            }
        }
    }
    // Circles of files: a depth-first search that meets a file on its path.
    fn visit<'g>(
        m: &'g str,
        graph: &'g BTreeMap<String, Vec<(usize, String)>>,
        path: &mut Vec<&'g str>,
        done: &mut std::collections::BTreeSet<&'g str>,
        out: &mut Vec<String>,
    ) {
        if let Some(i) = path.iter().position(|p| *p == m) {
            let mut circle: Vec<&str> = path[i..].to_vec();
            circle.push(m);
            out.push(format!("a circle of imports: {}", circle.join(" -> ")));
            return;
        }
        if !done.insert(m) {
            return;
        }
        path.push(m);
        for (_, to) in graph.get(m).into_iter().flatten() {
            if !TEST_ONLY.contains(&to.as_str()) && to != "lib" {
                visit(to, graph, path, done, out);
            }
        }
        path.pop();
    }
    let mut done = std::collections::BTreeSet::new();
    for m in graph.keys() {
        visit(m, graph, &mut Vec::new(), &mut done, &mut out);
    }
    out
}

#[test]
fn imports_run_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = problems(&graph(&src), &src);
    assert!(
        found.is_empty(),
        "imports that run against the pipeline:\n{}",
        found.join("\n")
    );
}

/// The check finds what it is for: a stage that uses a later one, and a
/// circle.
#[test]
fn the_check_finds_a_backward_import_and_a_circle() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path();
    std::fs::create_dir_all(src.join("site")).unwrap();
    std::fs::create_dir_all(src.join("output")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod site;\npub mod output;\n").unwrap();
    std::fs::write(src.join("site/mod.rs"), "pub mod plan;\n").unwrap();
    std::fs::write(
        src.join("site/plan.rs"),
        "// crate::output in a comment is no import\nuse crate::output::{FEED_FORMATS, html};\n",
    )
    .unwrap();
    std::fs::write(src.join("output/mod.rs"), "pub mod html;\n").unwrap();
    std::fs::write(
        src.join("output/html.rs"),
        "use crate::site::plan::Plan;\n#[cfg(test)]\nmod tests { use crate::lib; }\n",
    )
    .unwrap();
    let found = problems(&graph(src), src);
    assert!(
        found
            .iter()
            .any(|p| p
                == "src/site/plan.rs:2: site::plan (site) uses output (output), a later stage"),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("a circle of imports:") && p.contains("output::html")),
        "{found:#?}"
    );
    // Without the backward import, nothing is found.
    std::fs::write(src.join("site/plan.rs"), "use crate::config::Config;\n").unwrap();
    std::fs::write(src.join("config.rs"), "").unwrap();
    assert_eq!(problems(&graph(src), src), Vec::<String>::new());
}
