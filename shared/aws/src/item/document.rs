//! Document entries (SPEC §4a): what an uploaded photo is, which record it supports and
//! the day the purge deletes it; never its bytes, never its URL.

use super::{Corrupt, DUE_PK, DUE_SK, Item, date, get_s, n, opt_s, s};
use crate::keys::*;
use chrono::{DateTime, NaiveDate, Utc};
use mynumber_domain::collection::CollectionId;
use mynumber_domain::document::{Document, DocumentId, DocumentKind, DocumentType};
use mynumber_domain::ids::{RecordId, TenantId};
use mynumber_domain::ports::DocumentRef;
use mynumber_domain::record::timestamp;

pub fn document_ref_key(d: &DocumentRef) -> Item {
    document_key(&d.tenant_id, &d.collection_id, &d.document_id)
}

/// The due-index keys of `d`, due on `day`.
pub fn document_due_keys(
    d: &DocumentRef,
    day: NaiveDate,
) -> [(String, aws_sdk_dynamodb::types::AttributeValue); 2] {
    [
        (DUE_PK.into(), s(DOCUMENTS_DUE_PK)),
        (
            DUE_SK.into(),
            s(document_due_sk(
                day,
                &d.tenant_id,
                &d.collection_id,
                &d.document_id,
            )),
        ),
    ]
}

pub fn document_to_item(d: &Document) -> Item {
    let mut item = document_ref_key(&d.reference());
    item.extend(document_due_keys(&d.reference(), d.due_on));
    item.extend([
        ("kind".into(), s("document")),
        ("tenant_id".into(), s(d.tenant_id.as_str())),
        ("collection_id".into(), s(d.collection_id.as_str())),
        ("document_id".into(), s(d.document_id.as_str())),
        ("document_kind".into(), s(d.kind.code())),
        ("content_type".into(), s(d.content_type.code())),
        ("bytes".into(), n(d.bytes)),
        ("created_at".into(), s(timestamp(d.created_at))),
        ("due_on".into(), s(d.due_on.to_string())),
    ]);
    if let Some(r) = &d.record_id {
        item.insert("record_id".into(), s(r.as_str()));
    }
    item
}

pub fn document_from_item(item: &Item) -> Result<Document, Corrupt> {
    Ok(Document {
        document_id: DocumentId::parse(get_s(item, "document_id")?)
            .map_err(|_| Corrupt("document_id"))?,
        tenant_id: TenantId::parse(get_s(item, "tenant_id")?).map_err(|_| Corrupt("tenant_id"))?,
        collection_id: CollectionId::parse(get_s(item, "collection_id")?)
            .map_err(|_| Corrupt("collection_id"))?,
        kind: DocumentKind::parse(get_s(item, "document_kind")?).ok_or(Corrupt("document_kind"))?,
        content_type: DocumentType::parse(get_s(item, "content_type")?)
            .ok_or(Corrupt("content_type"))?,
        bytes: item
            .get("bytes")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or(Corrupt("bytes"))?,
        created_at: DateTime::parse_from_rfc3339(get_s(item, "created_at")?)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Corrupt("created_at"))?,
        record_id: opt_s(item, "record_id")
            .map(|r| RecordId::parse(r).map_err(|_| Corrupt("record_id")))
            .transpose()?,
        due_on: date(get_s(item, "due_on")?, "due_on")?,
    })
}

/// The document a due-index entry names.
pub fn document_ref_from_due(item: &Item) -> Result<DocumentRef, Corrupt> {
    let (tenant_id, collection_id, document_id) =
        parse_document_due_sk(get_s(item, DUE_SK)?).ok_or(Corrupt(DUE_SK))?;
    Ok(DocumentRef {
        tenant_id,
        collection_id,
        document_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_entry_round_trips_and_is_due_on_its_day() {
        let d = Document {
            document_id: DocumentId::new_random(),
            tenant_id: TenantId::parse("acme").unwrap(),
            collection_id: CollectionId::new_random(),
            kind: DocumentKind::NotificationCardBack,
            content_type: DocumentType::Jpeg,
            bytes: 1234,
            created_at: DateTime::parse_from_rfc3339("2026-04-01T09:00:00.000Z")
                .unwrap()
                .with_timezone(&Utc),
            record_id: Some(RecordId::new_random()),
            due_on: NaiveDate::from_ymd_opt(2026, 5, 2).unwrap(),
        };
        let item = document_to_item(&d);
        assert_eq!(document_from_item(&item).unwrap(), d);
        assert_eq!(document_ref_from_due(&item).unwrap(), d.reference());
    }
}
