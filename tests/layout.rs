//! The layout's one rule, checked: no module of the library imports one
//! that imports it back (directly or around a longer circle). Shared pieces
//! belong in a leaf module instead (docs/architecture.md). Imports are read
//! from the `use` lines and `crate::`/`super::` paths of src/ (tests and
//! comments left out).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Module path (`rules::engine`; "" for the crate root) -> its source.
fn modules(root: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "bin") {
                    stack.push(path);
                }
                continue;
            }
            let Some(rel) = path.strip_prefix(root).ok().and_then(|p| p.to_str()) else {
                continue;
            };
            let Some(rel) = rel.strip_suffix(".rs") else {
                continue;
            };
            let mut parts: Vec<&str> = rel.split('/').collect();
            if parts.last() == Some(&"mod") || parts == ["lib"] {
                parts.pop();
            }
            if parts.last() == Some(&"tests") || rel == "main" {
                continue;
            }
            let text = fs::read_to_string(&path).expect("a source file");
            found.insert(parts.join("::"), without_tests_and_comments(&text));
        }
    }
    found
}

fn without_tests_and_comments(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The longest module path that `path` (as written in `module`) names.
fn resolve(modules: &BTreeMap<String, String>, module: &str, path: &str) -> Option<String> {
    let mut base: Vec<&str> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    match segments.first() {
        Some(&"crate") => {
            base.clear();
            segments.remove(0);
        }
        Some(&"super") => {
            while segments.first() == Some(&"super") {
                base.pop();
                segments.remove(0);
            }
        }
        Some(&"self") => {
            segments.remove(0);
        }
        _ => {}
    }
    let mut best = None;
    for n in 0..=segments.len() {
        let candidate: Vec<&str> = base.iter().chain(&segments[..n]).copied().collect();
        let name = candidate.join("::");
        if modules.contains_key(&name) {
            best = Some(name);
        }
    }
    best
}

/// Paths a source names: `crate::a::b`, `super::x`, and the first path of
/// each `use` line (`use engine::{...}`).
fn named_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (i, _) in text
        .match_indices("crate::")
        .chain(text.match_indices("super::"))
    {
        let path: String = text[i..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        paths.push(path);
    }
    for line in text.lines() {
        let line = line.trim_start();
        let line = line
            .strip_prefix("pub use ")
            .or_else(|| line.strip_prefix("pub(crate) use "))
            .or_else(|| line.strip_prefix("use "));
        if let Some(rest) = line {
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(path);
        }
    }
    paths
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&root);
    assert!(modules.len() > 20, "src/ was not read: {modules:?}");
    let mut imports: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &modules {
        let targets = imports.entry(module).or_default();
        for path in named_paths(text) {
            if let Some(target) = resolve(&modules, module, &path)
                && target != *module
                && !target.is_empty()
            {
                targets.insert(target);
            }
        }
    }
    // A circle exists when a module reaches itself through its imports.
    for start in imports.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> = imports[start]
            .iter()
            .map(|t| (t.clone(), vec![start.to_string(), t.clone()]))
            .collect();
        while let Some((module, trail)) = stack.pop() {
            assert!(
                module != *start,
                "import circle: {} (move what they share into a leaf module)",
                trail.join(" -> ")
            );
            if !seen.insert(module.clone()) {
                continue;
            }
            for next in imports.get(module.as_str()).into_iter().flatten() {
                let mut trail = trail.clone();
                trail.push(next.clone());
                stack.push((next.clone(), trail));
            }
        }
    }
}
