//! The page files of the employee's form and the HR console, and what they share
//! (`web/shared/`): one copy of each shared file, served by both functions; every module a
//! page imports and every file it links is one its function serves; and the shared labels
//! (`web/shared/labels.js`) name every code of the vocabularies they label, and no other.

use mynumber_domain::access::Role;
use mynumber_domain::collection::CollectionStatus;
use mynumber_domain::disposal::{DisposalReason, Disposer};
use mynumber_domain::document::DocumentKind;
use mynumber_domain::export::ExportStatus;
use mynumber_domain::notification::{DeliveryStatus, NotificationKind, Weekday};
use mynumber_domain::purpose::Purpose;
use mynumber_domain::record::{Source, Status};
use mynumber_domain::relation::RelationKind;
use mynumber_domain::verification::{IdentityCheck, NumberCheck};
use mynumber_http::assets::Asset;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn web(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../web")
        .join(dir)
}

fn find<'a>(pages: &'a [Asset], name: &str) -> &'a Asset {
    pages
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("{name} is not served"))
}

fn labels() -> &'static str {
    find(console::PAGES, "labels.js").text
}

/// The keys of `export const {name} = { … };` in `script`, one `key: value,` a line.
fn map_keys(script: &str, name: &str) -> Vec<String> {
    let head = format!("export const {name} = {{\n");
    let start = script
        .find(&head)
        .unwrap_or_else(|| panic!("labels.js has no map {name}"))
        + head.len();
    let body = &script[start..];
    let end = body
        .find("\n};")
        .unwrap_or_else(|| panic!("{name} has no end"));
    body[..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| {
            let key = match l.strip_prefix('\'') {
                Some(rest) => rest.split('\'').next().unwrap(),
                None => l.split(':').next().unwrap(),
            };
            key.trim().to_owned()
        })
        .collect()
}

/// The codes of `export const {name} = ['a', 'b'];` in `script`.
fn list(script: &str, name: &str) -> Vec<String> {
    let head = format!("export const {name} = [");
    let start = script
        .find(&head)
        .unwrap_or_else(|| panic!("labels.js has no list {name}"))
        + head.len();
    let body = &script[start..];
    body[..body.find(']').unwrap()]
        .split(',')
        .map(|c| c.trim().trim_matches('\'').to_owned())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Every map of labels.js that labels an API vocabulary, with that vocabulary's codes.
fn vocabularies() -> Vec<(&'static str, Vec<String>)> {
    fn codes<T: Copy>(all: &[T], code: fn(T) -> &'static str) -> Vec<String> {
        all.iter().map(|v| code(*v).to_owned()).collect()
    }
    let disposers = [
        Disposer::Principal(mynumber_domain::Subject::parse("hr-sato").unwrap()),
        Disposer::Schedule,
        Disposer::DynamodbTtl,
    ]
    .iter()
    .map(|d| {
        serde_json::to_value(d).unwrap()["kind"]
            .as_str()
            .unwrap()
            .to_owned()
    })
    .collect();
    vec![
        ("PURPOSES", codes(Purpose::ALL, Purpose::code)),
        ("RELATIONS", codes(RelationKind::ALL, RelationKind::code)),
        ("STATUSES", codes(Status::ALL, Status::code)),
        (
            "COLLECTION_STATUSES",
            codes(CollectionStatus::ALL, CollectionStatus::code),
        ),
        ("NUMBER_CHECKS", codes(NumberCheck::ALL, NumberCheck::code)),
        (
            "IDENTITY_CHECKS",
            codes(IdentityCheck::ALL, IdentityCheck::code),
        ),
        (
            "DISPOSAL_REASONS",
            codes(DisposalReason::ALL, DisposalReason::code),
        ),
        ("DISPOSERS", disposers),
        (
            "DOCUMENT_KINDS",
            codes(DocumentKind::ALL, DocumentKind::code),
        ),
        ("SOURCES", codes(Source::ALL, Source::code)),
        ("ROLES", codes(Role::ALL, Role::code)),
        (
            "NOTIFICATION_KINDS",
            codes(NotificationKind::ALL, NotificationKind::code),
        ),
        (
            "DELIVERY_STATUSES",
            codes(DeliveryStatus::ALL, DeliveryStatus::code),
        ),
        ("WEEKDAYS", codes(Weekday::ALL, Weekday::code)),
        (
            "EXPORT_STATUSES",
            codes(ExportStatus::ALL, ExportStatus::code),
        ),
    ]
}

#[test]
fn the_shared_labels_name_every_code_of_their_vocabulary_and_no_other() {
    let script = labels();
    let mut wrong = Vec::new();
    for (name, codes) in vocabularies() {
        let keys = map_keys(script, name);
        let keyset: BTreeSet<&String> = keys.iter().collect();
        assert_eq!(keyset.len(), keys.len(), "{name} names a code twice");
        let missing: Vec<&String> = codes.iter().filter(|c| !keyset.contains(c)).collect();
        let unknown: Vec<&String> = keys.iter().filter(|k| !codes.contains(k)).collect();
        if !missing.is_empty() || !unknown.is_empty() {
            wrong.push(format!(
                "{name}: no label for {missing:?}; labels for unknown codes {unknown:?}"
            ));
        }
        // The pages list the choices in the vocabulary's order.
        if missing.is_empty() && unknown.is_empty() {
            assert_eq!(keys, codes, "{name}: not in the vocabulary's order");
        }
    }
    assert!(wrong.is_empty(), "labels.js:\n  {}", wrong.join("\n  "));
    let reasons: Vec<String> = DisposalReason::ALL
        .iter()
        .map(|r| r.code().to_owned())
        .collect();
    for r in list(script, "EARLY_DISPOSAL_REASONS") {
        assert!(reasons.contains(&r), "EARLY_DISPOSAL_REASONS: unknown {r}");
    }
}

/// The value of `attr="…"` in `tag` (one element's start tag), if any.
fn attr<'a>(tag: &'a str, attr: &str) -> Option<&'a str> {
    let key = format!(" {attr}=\"");
    let start = tag.find(&key)? + key.len();
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// The start tags of `html` that hold `needle`.
fn tags_with<'a>(html: &'a str, needle: &'a str) -> impl Iterator<Item = &'a str> {
    html.match_indices(needle).map(move |(at, _)| {
        let start = html[..at].rfind('<').unwrap();
        &html[start..at + html[at..].find('>').unwrap()]
    })
}

#[test]
fn the_choices_a_page_fills_from_the_labels_name_known_codes() {
    let script = labels();
    let known: Vec<(&str, Vec<String>)> = vocabularies();
    let mut filled = 0;
    for (pages, page) in [
        (collect::PAGES, "index.html"),
        (console::PAGES, "index.html"),
    ] {
        let html = find(pages, page).text;
        for tag in tags_with(html, "data-labels=\"") {
            filled += 1;
            let name = attr(tag, "data-labels").unwrap();
            let codes = &known
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{tag}: no vocabulary map {name} in labels.js"))
                .1;
            assert_eq!(&map_keys(script, name), codes);
            for list in ["data-only", "data-checked"] {
                for code in attr(tag, list).unwrap_or_default().split_whitespace() {
                    assert!(
                        codes.iter().any(|c| c == code),
                        "{tag}: {code} is not in {name}"
                    );
                }
            }
        }
    }
    assert!(filled >= 8, "the pages fill their choices from the labels");
}

#[test]
fn both_functions_serve_one_copy_of_each_shared_file() {
    let mut shared = 0;
    for entry in std::fs::read_dir(web("shared")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        for (function, pages) in [("collect", collect::PAGES), ("console", console::PAGES)] {
            assert_eq!(find(pages, name).text, text, "{function} serves {name}");
            // Nowhere else: a shared file is not copied into an app's folder.
            assert!(
                !web(function).join(name).exists(),
                "web/{function}/{name} copies web/shared/{name}"
            );
        }
        shared += 1;
    }
    assert!(shared >= 5, "web/shared holds the shared files");
    // What the two pages share is not kept twice inside them either.
    for (function, pages) in [("collect", collect::PAGES), ("console", console::PAGES)] {
        for asset in pages {
            if !asset.name.ends_with(".js") || asset.name == "dom.js" {
                continue;
            }
            assert!(
                !asset.text.contains("function h(") && !asset.text.contains("createElement(tag)"),
                "{function}/{} has its own h()",
                asset.name
            );
        }
    }
}

/// Every name a page or a script of `pages` loads: `<script src>`, `<link href>`, static
/// and dynamic `import`s, under `prefix` (`/collect/`) or relative (`./`).
fn loads(asset: &Asset, prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    let text = asset.text;
    for quote in ['\'', '"'] {
        for opener in [format!("{quote}{prefix}"), format!("{quote}./")] {
            for (at, _) in text.match_indices(&opener) {
                let start = at + opener.len();
                let Some(len) = text[start..].find(quote) else {
                    continue;
                };
                let name = &text[start..start + len];
                if name.ends_with(".js") || name.ends_with(".css") {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names
}

#[test]
fn every_file_a_page_loads_is_served_by_its_function() {
    let dev_picker = std::fs::read_to_string(web("console").join("dev.js")).unwrap();
    let dev = Asset::script("dev.js", Box::leak(dev_picker.into_boxed_str()));
    for (prefix, pages, extra) in [
        ("/collect/", collect::PAGES, None),
        ("/console/", console::PAGES, Some(dev)),
    ] {
        let mut seen = 0;
        for asset in pages.iter().chain(extra.iter()) {
            for name in loads(asset, prefix) {
                seen += 1;
                let served = pages.iter().any(|a| a.name == name)
                    || (name == "dev.js" && asset.name == "app.js");
                assert!(served, "{prefix}{}: {name} is not served", asset.name);
            }
        }
        assert!(seen > 10, "{prefix}: the check reads the imports");
    }
}

/// `docs/openapi.json` names exactly the files each function serves under `{asset}` (the
/// page itself is served at the function's root, and the console adds its sign-in
/// settings), so the contract fuzzer asks for every file and no other.
#[test]
fn the_documented_asset_names_are_the_files_served() {
    let doc = crate::openapi::doc();
    let documented = |path: &str| -> BTreeSet<String> {
        doc["paths"][path]["get"]["parameters"][0]["schema"]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} lists its assets"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let served = |pages: &[Asset], extra: &[&str]| -> BTreeSet<String> {
        pages
            .iter()
            .map(|a| a.name.to_owned())
            .filter(|n| n != "index.html")
            .chain(extra.iter().map(|n| (*n).to_owned()))
            .collect()
    };
    assert_eq!(documented("/collect/{asset}"), served(collect::PAGES, &[]));
    assert_eq!(
        documented("/console/{asset}"),
        served(console::PAGES, &["config.json"])
    );
}

/// The digest's mail and the console name a disposal reason alike.
#[test]
fn mail_and_console_name_disposal_reasons_alike() {
    let script = labels();
    for r in DisposalReason::ALL {
        let line = format!("  {}: '{}',", r.code(), r.label_ja());
        assert!(
            script.contains(&line),
            "labels.js and DisposalReason::label_ja differ on {}",
            r.code()
        );
    }
    // The certificate's PDF names relations as the console does.
    for r in mynumber_domain::relation::RelationKind::ALL {
        let line = format!("  {}: '{}',", r.code(), r.label_ja());
        assert!(
            script.contains(&line),
            "labels.js and RelationKind::label_ja differ on {}",
            r.code()
        );
    }
}
