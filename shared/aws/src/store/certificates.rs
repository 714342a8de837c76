//! Deletion certificates (SPEC §4e): the disposal records of a period, and the signed
//! documents, kept for good, in parts when larger than one item.

use super::transaction::Transaction;
use super::{ABSENT, DynamoStore, corrupt, get_consistent, page_of, unavailable};
use crate::item::{Corrupt, Item, disposal_from_item};
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::Put;
use chrono::{DateTime, Utc};
use mynumber_domain::certificate::{CertificateId, CertificateSummary, OrganizationName};
use mynumber_domain::disposal::DisposalRecord;
use mynumber_domain::ids::{EmployeeId, TenantId};
use mynumber_domain::ports::*;

/// Bytes of signed JSON one item holds (under DynamoDB's 400 KB item limit).
const PART_BYTES: usize = 350_000;
/// Items one transaction may write (DynamoDB's limit), the listing item among them.
const MAX_ITEMS: usize = 100;

/// `s` in pieces of at most `max` bytes, each cut at a character boundary.
fn parts(s: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let mut cut = rest.len().min(max);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    out
}

fn summary_from_item(item: &Item) -> Result<CertificateSummary, Corrupt> {
    item.get("summary")
        .and_then(|v| v.as_s().ok())
        .and_then(|json| serde_json::from_str(json).ok())
        .ok_or(Corrupt("summary"))
}

#[async_trait]
impl Certificates for DynamoStore {
    async fn disposals_between(
        &self,
        t: &TenantId,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        employee: Option<&EmployeeId>,
        max: usize,
    ) -> Result<Vec<DisposalRecord>, Unavailable> {
        // Disposals sort by time (`listing_sk`): from `since` up to, not including, `until`'s
        // millisecond. One employee's too from the tenant's partition, read consistently
        // (the by_owner index lags): a signed certificate must not miss a disposal made just
        // before.
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :p AND sk BETWEEN :a AND :b")
            .expression_attribute_values(":p", s(disposals_pk(t)))
            .expression_attribute_values(":a", s(listing_bound(since)))
            .expression_attribute_values(":b", s(listing_bound(until)))
            .consistent_read(true);
        if let Some(e) = employee {
            query = query
                .filter_expression("employee_id = :e")
                .expression_attribute_values(":e", s(e.as_str()));
        }
        let mut pages = query.into_paginator().items().send();
        let mut out = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(unavailable)?;
            out.push(disposal_from_item(&item).map_err(corrupt)?);
            if out.len() >= max {
                break;
            }
        }
        Ok(out)
    }

    async fn put_certificate(
        &self,
        t: &TenantId,
        summary: &CertificateSummary,
        document: &str,
    ) -> Result<(), Unavailable> {
        let id = &summary.certificate_id;
        let mut listing = certificate_key(t, id);
        listing.extend([
            ("kind".into(), s("certificate")),
            (
                "summary".into(),
                s(serde_json::to_string(summary).map_err(unavailable)?),
            ),
        ]);
        let parts = parts(document, PART_BYTES);
        // The listing item and every part in one transaction.
        if parts.len() + 1 > MAX_ITEMS {
            return Err(Unavailable("a certificate too large to store".into()));
        }
        let new = |item: Item| {
            Put::builder()
                .set_item(Some(item))
                .condition_expression(ABSENT)
        };
        let mut tx = Transaction::new(self);
        tx.put((), new(listing));
        for (i, part) in parts.into_iter().enumerate() {
            tx.put(
                (),
                new(Item::from([
                    (PK.into(), s(certificate_document_pk(t, id))),
                    (SK.into(), s(format!("{i:04}"))),
                    ("kind".into(), s("certificate_part")),
                    ("part".into(), s(part)),
                ])),
            );
        }
        // A new id: no condition can fail but by a bug, so any cancellation is unavailable.
        tx.commit().await.map_err(|e| e.unavailable())?;
        Ok(())
    }

    async fn get_certificate(
        &self,
        t: &TenantId,
        id: &CertificateId,
    ) -> Result<Option<String>, Unavailable> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(certificate_document_pk(t, id)))
            .consistent_read(true);
        let items = super::query_all(query).await?;
        if items.is_empty() {
            return Ok(None);
        }
        let mut document = String::new();
        for item in &items {
            let part = item
                .get("part")
                .and_then(|v| v.as_s().ok())
                .ok_or_else(|| corrupt(Corrupt("part")))?;
            document.push_str(part);
        }
        Ok(Some(document))
    }

    async fn list_certificates(
        &self,
        t: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<CertificateSummary>, ListError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(certificates_pk(t)))
            .consistent_read(true)
            .scan_index_forward(false)
            .limit(i32::from(page.limit));
        if let Some(cursor) = &page.cursor {
            let id = CertificateId::parse(cursor.as_str()).map_err(|_| ListError::BadCursor)?;
            query = query.set_exclusive_start_key(Some(certificate_key(t, &id)));
        }
        page_of(query, summary_from_item, |c| {
            c.certificate_id.as_str().to_owned()
        })
        .await
    }

    async fn organization_name(
        &self,
        t: &TenantId,
    ) -> Result<Option<OrganizationName>, Unavailable> {
        get_consistent(self, organization_key(t), |item| {
            item.get("display_name")
                .and_then(|v| v.as_s().ok())
                .and_then(|n| OrganizationName::parse(n).ok())
                .ok_or(Corrupt("display_name"))
        })
        .await
    }

    async fn put_organization_name(
        &self,
        t: &TenantId,
        name: &OrganizationName,
    ) -> Result<(), Unavailable> {
        let mut item = organization_key(t);
        item.extend([
            ("kind".into(), s("organization")),
            ("display_name".into(), s(name.as_str())),
        ]);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parts;

    #[test]
    fn parts_cut_at_character_boundaries_and_join_back() {
        let text = "個人番号削除証明書".repeat(5);
        for max in [3, 4, 5, 7, 100] {
            let p = parts(&text, max);
            assert!(p.iter().all(|p| p.len() <= max && !p.is_empty()));
            assert_eq!(p.concat(), text);
        }
        assert!(parts("", 10).is_empty());
    }
}
