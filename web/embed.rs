//! The build script of the two functions that serve pages (`collect`, `console`: each
//! names it as `build` in its Cargo.toml). Every file of `web/<function>/` and of
//! `web/shared/` (what both use) becomes an `Asset` of the `PAGES` table written to
//! `$OUT_DIR/pages.rs`, which `src/lib.rs` includes. No hand-kept list: a file added to
//! either folder is served, one removed is gone. Both folders are served flat under
//! `/<function>/`, so a name may not be in both.
//!
//! `dev.js`, the console's development principal picker, is left out: its `src/lib.rs`
//! embeds it by hand, only with the `dev-auth` feature (`DEV_PICKER`), so a release build
//! never holds it (scripts/check-binaries.sh).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The folder every page function embeds besides its own (`web/<function>`).
const SHARED: &str = "web/shared";
/// Files of those folders that are not in `PAGES`.
const LEFT_OUT: &[&str] = &["dev.js"];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest.join("../..");
    let function = std::env::var("CARGO_PKG_NAME").expect("cargo sets it");
    let own = format!("web/{function}");
    println!(
        "cargo:rerun-if-changed={}",
        root.join("web/embed.rs").display()
    );
    let mut entries: Vec<(String, PathBuf)> = Vec::new();
    for folder in [own.as_str(), SHARED] {
        let dir = root.join(folder);
        // A directory: cargo looks at every file under it (added, removed or changed).
        println!("cargo:rerun-if-changed={}", dir.display());
        for path in files(&dir) {
            let file = path
                .file_name()
                .unwrap()
                .to_str()
                .expect("UTF-8 file names");
            if LEFT_OUT.contains(&file) {
                continue;
            }
            let name = served_name(file);
            if let Some((_, other)) = entries.iter().find(|(n, _)| *n == name) {
                panic!(
                    "{} and {} would both be served as /{function}/{name}",
                    other.display(),
                    path.display()
                );
            }
            entries.push((name, path));
        }
    }
    let mut out = String::from(
        "/// The function's page files (`web/<function>/` and `web/shared/`, written by\n\
         /// web/embed.rs), served from its own origin (no CDN, no third party).\n\
         pub const PAGES: &[Asset] = &[\n",
    );
    for (name, path) in &entries {
        let constructor = constructor(path);
        let path = path.canonicalize().expect("a file just listed");
        let path = path.to_str().expect("a UTF-8 path");
        writeln!(
            out,
            "    Asset::{constructor}({name:?}, include_str!({path:?})),"
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("pages.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// The files of `dir`, by name (no sub-folders: pages are served flat).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a readable folder").path())
        .collect();
    files.sort();
    for path in &files {
        assert!(
            path.is_file(),
            "{}: pages are served flat, no sub-folders",
            path.display()
        );
    }
    files
}

/// The name a file is served under: pages other than `index.html` without `.html`
/// (the console's `callback.html` is `/console/callback`, the sign-in's redirect URI).
fn served_name(file: &str) -> String {
    match file.strip_suffix(".html") {
        Some(stem) if file != "index.html" => stem.to_owned(),
        _ => file.to_owned(),
    }
}

/// The `Asset` constructor for a file's type (its media type comes with it).
fn constructor(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "html",
        Some("js") => "script",
        Some("css") => "style",
        _ => panic!("{}: no media type for this file", path.display()),
    }
}
