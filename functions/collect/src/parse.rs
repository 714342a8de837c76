//! The employee's requests read field by field: every broken rule at once, under its
//! path, and no value echoed.

use super::*;

/// A number field taken out of its object so that it is zeroed however parsing ends.
fn number(f: &mut Fields, raw: Option<Value>) -> Option<MyNumber> {
    let raw: Zeroizing<String> = match raw {
        Some(Value::String(s)) => Zeroizing::new(s),
        None | Some(Value::Null) => {
            f.fail("my_number", "required");
            return None;
        }
        Some(_) => {
            f.fail("my_number", "type");
            return None;
        }
    };
    match MyNumber::parse(&raw) {
        Ok(n) => Some(n),
        Err(rule) => {
            f.fail("my_number", rule.code());
            None
        }
    }
}

/// Takes `my_number` out of a nested object of `body` before the walk reads the rest.
fn take_number(body: &mut serde_json::Map<String, Value>, path: &[&str]) -> Option<Value> {
    let mut node = body.get_mut(path[0])?;
    for key in &path[1..] {
        node = match key.parse::<usize>() {
            Ok(i) => node.get_mut(i)?,
            Err(_) => node.get_mut(*key)?,
        };
    }
    node.as_object_mut()?.remove("my_number")
}

/// `POST /v1/collect`: field by field, with paths (`self.my_number`,
/// `dependents[1].my_number`), every broken rule at once, no value echoed. The numbers are
/// taken out of the body first, so that no other step can hold one.
pub(crate) fn parse_submission(req: &Request) -> Result<SubmissionInput, ApiError> {
    let mut body = json_object(req)?;
    let own_number = take_number(&mut body, &["self"]);
    let spouse_number = take_number(&mut body, &["spouse"]);
    let dependents_len = body
        .get("dependents")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let dependent_numbers: Vec<Option<Value>> = (0..dependents_len.min(64))
        .map(|i| take_number(&mut body, &["dependents", &i.to_string()]))
        .collect();
    let mut f = Fields::new(&body, &["self", "spouse", "dependents", "documents"]);
    let own = f.object(
        "self",
        true,
        &[
            "my_number",
            "number_document",
            "identity_document",
            "refusal",
        ],
        |o| own_part(o, own_number),
    );
    let spouse = if f.present("spouse") {
        f.object(
            "spouse",
            true,
            &["my_number", "national_pension_dependent_spouse"],
            |o| spouse_part(o, spouse_number),
        )
        .map(Some)
    } else {
        Some(None)
    };
    let dependents = dependent_parts(&mut f, dependent_numbers);
    let documents = document_ids(&mut f);
    let input = match (own, spouse, dependents, documents) {
        (Some(own), Some(spouse), Some(dependents), Some(documents)) => Some(SubmissionInput {
            own,
            spouse,
            dependents,
            documents,
        }),
        _ => None,
    };
    f.finish(input)
}

/// The employee's own part: a number with the documents they hold, or a refusal.
fn own_part(o: &mut Fields, own_number: Option<Value>) -> Option<OwnPart> {
    if o.present("refusal") {
        if own_number.is_some() || o.present("number_document") || o.present("identity_document") {
            o.fail("refusal", "exclusive_with_my_number");
        }
        return o.object("refusal", true, &["reason"], |r| {
            let reason = r.str("reason", true)?;
            Some(OwnPart::Refusal {
                reason: reason.to_owned(),
            })
        });
    }
    let number = number(o, own_number);
    let number_document = o.parse("number_document", true, |s| {
        NumberCheck::parse_input(s).map_err(|r| r.code())
    });
    let identity_document = o.parse("identity_document", true, |s| {
        match IdentityCheck::parse_input(s).map_err(|r| r.code())? {
            // Only staff can know a person, or check for the employee.
            IdentityCheck::KnownInPerson | IdentityCheck::ByEmployee => Err("enum"),
            ic => Ok(ic),
        }
    });
    Some(OwnPart::Number {
        number: number?,
        number_document: number_document?,
        identity_document: identity_document?,
    })
}

fn spouse_part(o: &mut Fields, spouse_number: Option<Value>) -> Option<SpousePart> {
    let number = number(o, spouse_number);
    let npds = o.bool("national_pension_dependent_spouse").unwrap_or(false);
    Some(SpousePart {
        number: number?,
        national_pension_dependent_spouse: npds,
    })
}

/// Each dependant's label and number; a dependant's errors filed under its path.
fn dependent_parts(f: &mut Fields, mut numbers: Vec<Option<Value>>) -> Option<Vec<DependentPart>> {
    let mut dependents = Vec::new();
    let mut ok = true;
    let Some(items) = f.array("dependents", false) else {
        return Some(dependents);
    };
    for (i, item) in items.iter().enumerate() {
        let Value::Object(obj) = item else {
            f.fail(&format!("dependents[{i}]"), "type");
            ok = false;
            continue;
        };
        let raw = numbers.get_mut(i).and_then(Option::take);
        let mut d = Fields::new(obj, &["label", "my_number"]);
        let label = d.parse("label", true, |s| {
            DependentLabel::parse(s).map_err(|r| r.code())
        });
        let number = number(&mut d, raw);
        let part = label.zip(number);
        // Re-file the nested walker's errors under the dependant's path.
        match d.finish(part) {
            Ok((label, number)) => dependents.push(DependentPart { label, number }),
            Err(VaultError::Invalid(errors)) => {
                ok = false;
                for e in errors {
                    f.fail(&format!("dependents[{i}].{}", e.field), e.rule);
                }
            }
            Err(_) => ok = false,
        }
    }
    ok.then_some(dependents)
}

/// The photos the submission relies on: ids of this link's uploads, at most
/// `MAX_DOCUMENTS`.
fn document_ids(f: &mut Fields) -> Option<Vec<DocumentId>> {
    let mut documents = Vec::new();
    let mut ok = true;
    let Some(items) = f.array("documents", false) else {
        return Some(documents);
    };
    for (i, item) in items.iter().enumerate() {
        match item.as_str().map(DocumentId::parse) {
            Some(Ok(id)) => documents.push(id),
            Some(Err(_)) => {
                f.fail(&format!("documents[{i}]"), "format");
                ok = false;
            }
            None => {
                f.fail(&format!("documents[{i}]"), "type");
                ok = false;
            }
        }
    }
    if items.len() > MAX_DOCUMENTS {
        f.fail("documents", "too_many");
        ok = false;
    }
    ok.then_some(documents)
}

/// `POST /v1/collect/documents`: `{"kind", "content_type", "bytes"}`, each checked, every
/// broken rule at once.
pub(crate) fn parse_upload(req: &Request) -> Result<UploadRequest, ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(&body, &["kind", "content_type", "bytes"]);
    let kind = f.parse("kind", true, |s| DocumentKind::parse(s).ok_or("enum"));
    let content_type = f.parse("content_type", true, |s| {
        DocumentType::parse(s).ok_or("enum")
    });
    let bytes = match body.get("bytes") {
        None | Some(Value::Null) => {
            f.fail("bytes", "required");
            None
        }
        Some(v) => match v.as_u64() {
            Some(0) => {
                f.fail("bytes", "empty");
                None
            }
            Some(n) if n > MAX_DOCUMENT_BYTES => {
                f.fail("bytes", "too_large");
                None
            }
            Some(n) => Some(n),
            None => {
                f.fail("bytes", "type");
                None
            }
        },
    };
    let input = match (kind, content_type, bytes) {
        (Some(kind), Some(content_type), Some(bytes)) => Some(UploadRequest {
            kind,
            content_type,
            bytes,
        }),
        _ => None,
    };
    f.finish(input)
}
