//! The documents that name tests as proof (docs/architecture.md's legal-rule table,
//! docs/compliance.md's measures) name tests that exist.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file below `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The backticked test names in the "Proved by" column of `doc`'s tables: snake case with
/// an underscore, no path or file.
fn named_tests(doc: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut proof_table = false;
    let mut header = true;
    for line in doc.lines() {
        if !line.starts_with('|') {
            header = true;
            continue;
        }
        let cells: Vec<&str> = line.trim_end_matches('|').split('|').collect();
        let last = cells.last().copied().unwrap_or_default();
        if header {
            proof_table = last.trim() == "Proved by";
            header = false;
            continue;
        }
        if !proof_table || line.starts_with("|---") {
            continue;
        }
        for (i, part) in last.split('`').enumerate() {
            let name = part.trim();
            if i % 2 == 1
                && name.contains('_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                names.push(name.to_owned());
            }
        }
    }
    names
}

#[test]
fn every_test_a_document_names_exists() {
    let root = root();
    let mut files = Vec::new();
    for dir in ["shared", "functions", "tools", "tests"] {
        sources(&root.join(dir), &mut files);
    }
    let code: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    for doc in ["docs/architecture.md", "docs/compliance.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        let names = named_tests(&text);
        assert!(names.len() >= 10, "{doc} names only {names:?}");
        for name in names {
            assert!(
                code.contains(&format!("fn {name}(")),
                "{doc} names the test `{name}`, which does not exist"
            );
        }
    }
}
