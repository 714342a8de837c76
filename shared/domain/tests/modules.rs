//! The domain's modules form a tree of dependencies, not a web: no module reaches back,
//! through any path, to one that depends on it. A cycle makes a change to one module a
//! change to all of them (issue: one operation, one place).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Removes `#[cfg(test)] mod tests { … }` blocks: tests may use anything.
fn without_tests(src: &str) -> String {
    let mut out = src.to_owned();
    while let Some(i) = out.find("#[cfg(test)]\nmod tests {") {
        let open = i + out[i..].find('{').expect("a block");
        let mut depth = 0usize;
        let mut end = out.len();
        for (k, c) in out[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.replace_range(i..end, "");
    }
    out
}

/// The top-level modules a source names through `crate::m` or `crate::{m, …}`.
fn uses(src: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<String>()
    };
    for (i, _) in src.match_indices("crate::") {
        let rest = &src[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            // Each entry's first segment; a nested group's types are not modules, and
            // names no module has are ignored by the search.
            for entry in group.split(',') {
                let name = ident(entry.trim());
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found
}

/// The names `lib.rs` re-exports at the crate root, by the module that defines them: a
/// `crate::Name` is an edge to that module.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for line in lib.lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let rest = rest.trim_end_matches(';');
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        let items = items.trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let name = item.trim().rsplit("::").next().unwrap_or_default().trim();
            if !name.is_empty() {
                names.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    names
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let roots = reexports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let top = rel.components().next().unwrap().as_os_str();
            let module = top.to_string_lossy().trim_end_matches(".rs").to_owned();
            if module == "lib" {
                continue;
            }
            let text = without_tests(&std::fs::read_to_string(&path).unwrap());
            let deps = graph.entry(module.clone()).or_default();
            let named = uses(&text)
                .into_iter()
                .map(|d| roots.get(&d).cloned().unwrap_or(d));
            deps.extend(named.filter(|d| *d != module));
        }
    }
    graph
}

#[test]
fn the_domain_s_modules_have_no_import_cycle() {
    let graph = graph();
    assert!(graph.contains_key("ports") && graph["intake"].contains("ports"));
    // A name re-exported at the crate root counts as its module.
    assert_eq!(
        reexports("pub use error::{FieldError, VaultError};\npub use usecase::Core;").get("Core"),
        Some(&"usecase".to_owned())
    );
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(at) = path.iter().position(|p| *p == m) {
            panic!("import cycle: {} -> {m}", path[at..].join(" -> "));
        }
        path.push(m);
        for d in graph.get(m).into_iter().flatten() {
            visit(d, graph, path, done);
        }
        path.pop();
        done.insert(m);
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}
