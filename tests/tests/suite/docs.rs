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

/// The names of the test functions in `code`: a `fn` whose attributes just above it
/// (doc comments and other attributes may sit between) include `#[test]` or
/// `#[tokio::test…]`. A helper of the same name is no proof.
fn test_functions(code: &str) -> std::collections::HashSet<String> {
    let mut names = std::collections::HashSet::new();
    let mut is_test = false;
    for line in code.lines() {
        let line = line.trim();
        if line.starts_with("#[") {
            is_test |= line == "#[test]" || line.starts_with("#[tokio::test");
            continue;
        }
        if line.starts_with("///") || line.starts_with("//") || line.is_empty() {
            continue;
        }
        if is_test {
            let rest = line.trim_start_matches("pub ").trim_start_matches("async ");
            if let Some(rest) = rest.strip_prefix("fn ")
                && let Some((name, _)) = rest.split_once('(')
            {
                names.insert(name.to_owned());
            }
        }
        is_test = false;
    }
    names
}

#[test]
fn only_a_test_function_counts_as_proof() {
    let code = "/// Helps.\nasync fn helper(x: u8) {}\n#[tokio::test(flavor = \"multi_thread\")]\n/// Proves.\nasync fn proves_it() {}\n#[test]\n#[should_panic]\nfn refuses_it() {}\n";
    let names = test_functions(code);
    assert!(names.contains("proves_it") && names.contains("refuses_it"));
    assert!(!names.contains("helper"));
}

#[test]
fn every_test_a_document_names_exists() {
    let root = root();
    let mut files = Vec::new();
    for dir in ["shared", "functions", "tools", "tests"] {
        sources(&root.join(dir), &mut files);
    }
    let tests: std::collections::HashSet<String> = files
        .iter()
        .flat_map(|f| test_functions(&std::fs::read_to_string(f).unwrap()))
        .collect();
    for doc in ["docs/architecture.md", "docs/compliance.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        let names = named_tests(&text);
        assert!(names.len() >= 10, "{doc} names only {names:?}");
        for name in names {
            assert!(
                tests.contains(&name),
                "{doc} names the test `{name}`, which is not a test function"
            );
        }
    }
}

/// The traits a domain source declares `name` to require: `pub trait Name: A + B {}`.
fn supertraits(source: &str, name: &str) -> std::collections::BTreeSet<String> {
    let start = source
        .find(&format!("pub trait {name}:"))
        .unwrap_or_else(|| panic!("{name} is declared"));
    let rest = &source[start + name.len() + "pub trait :".len()..];
    let bounds = &rest[..rest.find('{').expect("a body")];
    bounds
        .split('+')
        .map(|b| b.trim().to_owned())
        .filter(|b| !b.is_empty())
        .collect()
}

/// The backticked names in one cell of a markdown table row.
fn backticked(cell: &str) -> std::collections::BTreeSet<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The ports table of docs/architecture.md is what each use case's store and key traits
/// require, so least privilege on paper is least privilege in the types.
#[test]
fn the_ports_table_is_what_the_use_cases_require() {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let domain =
        |file: &str| std::fs::read_to_string(root().join("shared/domain/src").join(file)).unwrap();
    let set = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
    // Function → (use case's store ports, key ports), as the source declares them.
    let declared: Vec<(
        &str,
        std::collections::BTreeSet<String>,
        std::collections::BTreeSet<String>,
    )> = vec![
        (
            "intake",
            supertraits(&domain("intake.rs"), "IntakeStore"),
            supertraits(&domain("intake.rs"), "IntakeCipher"),
        ),
        (
            "review",
            supertraits(&domain("review.rs"), "ReviewStore"),
            set(&[]),
        ),
        (
            "collect",
            supertraits(&domain("submission.rs"), "SubmissionStore"),
            supertraits(&domain("intake.rs"), "IntakeCipher"),
        ),
        (
            "lookup",
            supertraits(&domain("lookup.rs"), "LookupStore"),
            set(&["NumberDecryptor"]),
        ),
        (
            "purge",
            supertraits(&domain("purge.rs"), "PurgeStore"),
            set(&[]),
        ),
        ("backstop", set(&["TtlDisposals"]), set(&[])),
        (
            "notify",
            // The reminders' store and the digest's reads.
            supertraits(&domain("remind.rs"), "NotifyStore")
                .into_iter()
                .chain(["DigestReads".to_owned()])
                .collect(),
            set(&[]),
        ),
        // The certificate function signs, and holds no number key.
        ("certify", set(&["Certificates"]), set(&[])),
    ];
    for (function, store, keys) in declared {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| {function} |")))
            .unwrap_or_else(|| panic!("docs/architecture.md has a row for {function}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // | function | use case | store ports | key ports | IAM role |
        assert_eq!(backticked(cells[3]), store, "{function}'s store ports");
        let documented_keys: std::collections::BTreeSet<String> = backticked(cells[4])
            .into_iter()
            .filter(|k| k.starts_with("Number"))
            .collect();
        assert_eq!(documented_keys, keys, "{function}'s key ports");
    }
    // Backstop's service holds the one port directly.
    assert!(domain("backstop.rs").contains("store: Arc<dyn TtlDisposals>"));
    assert!(domain("remind.rs").contains("store: Arc<dyn NotifyStore>"));
    assert!(domain("digest.rs").contains("store: Arc<dyn DigestReads>"));
    assert!(domain("certificate.rs").contains("store: Arc<dyn Certificates>"));
}

/// Lines of code: neither blank nor only a comment.
fn lines_of_code(text: &str) -> usize {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .count()
}

/// No source file of the product, its tools or its tests holds more than 600 lines of
/// code: past that, a file holds more than one thing (issue: one operation, one place).
#[test]
fn no_source_file_is_over_600_lines_of_code() {
    let mut files = Vec::new();
    for dir in ["shared", "functions", "tools", "tests"] {
        sources(&root().join(dir), &mut files);
    }
    let mut web = Vec::new();
    for dir in ["web/collect", "web/console", "web/shared"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "js") {
                web.push(path);
            }
        }
    }
    assert!(files.len() > 100 && !web.is_empty());
    let over: Vec<String> = files
        .iter()
        .chain(&web)
        .filter(|p| !p.components().any(|c| c.as_os_str() == "target"))
        .filter_map(|p| {
            let n = lines_of_code(&std::fs::read_to_string(p).unwrap());
            (n > 600).then(|| format!("{}: {n}", p.display()))
        })
        .collect();
    assert!(over.is_empty(), "{over:#?}");
}
