//! The domain's store traits, each method handed to the module of its concern. Nothing
//! else lives here, so the traits can change shape without touching those modules.

use super::{
    DynamoStore, collections, documents, due_index, exports, idempotency, records, retention, trail,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use mynumber_domain::audit::AuditEvent;
use mynumber_domain::collection::{Collection, CollectionFilter, CollectionId, TokenDigest};
use mynumber_domain::disposal::DisposalRecord;
use mynumber_domain::document::Document;
use mynumber_domain::ids::{EmployeeId, KeyDigest, RecordId, Subject, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::{Record, Slot};
use mynumber_domain::verification::Verification;

#[async_trait]
impl RecordWrites for DynamoStore {
    async fn create_record(&self, new: NewRecord) -> Result<(), CreateError> {
        records::create_record(self, new).await
    }

    async fn employee_departure(
        &self,
        t: &TenantId,
        e: &EmployeeId,
    ) -> Result<Option<mynumber_domain::retention::Departure>, Unavailable> {
        records::employee_departure(self, t, e).await
    }

    async fn slot_holder(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        slot: Slot,
    ) -> Result<Option<RecordId>, Unavailable> {
        records::slot_holder(self, t, e, slot).await
    }

    async fn idempotency(
        &self,
        t: &TenantId,
        key: &KeyDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyEntry>, Unavailable> {
        idempotency::idempotency(self, t, key, now).await
    }
}

#[async_trait]
impl RecordReads for DynamoStore {
    async fn get_record(&self, t: &TenantId, id: &RecordId) -> Result<Option<Record>, Unavailable> {
        records::get_record(self, t, id).await
    }

    async fn list_records(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        page: &PageRequest,
    ) -> Result<Page<Record<()>>, ListError> {
        records::list_records(self, t, e, page).await
    }
}

#[async_trait]
impl NumberIndex for DynamoStore {
    async fn number_holders(
        &self,
        t: &TenantId,
        k: &mynumber_domain::ids::NumberKey,
    ) -> Result<NumberHolders, Unavailable> {
        records::number_holders(self, t, k).await
    }
}

#[async_trait]
impl RevealTrail for DynamoStore {
    async fn record_reveal(
        &self,
        t: &TenantId,
        sub: &Subject,
        hour: DateTime<Utc>,
        limit: u32,
        trail: &AuditEvent,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        trail::record_reveal(self, t, sub, hour, limit, trail, expires_at).await
    }
}

#[async_trait]
impl MatchCounter for DynamoStore {
    async fn reserve_matches(
        &self,
        t: &TenantId,
        sub: &Subject,
        scope: MatchScope,
        hour: DateTime<Utc>,
        n: u32,
        limit: u32,
    ) -> Result<bool, Unavailable> {
        let key = crate::keys::matches_key(t, sub, scope, hour);
        trail::reserve_matches(self, key, hour, n, limit).await
    }

    async fn release_matches(
        &self,
        t: &TenantId,
        sub: &Subject,
        scope: MatchScope,
        hour: DateTime<Utc>,
        n: u32,
    ) -> Result<(), Unavailable> {
        trail::release_matches(self, crate::keys::matches_key(t, sub, scope, hour), n).await
    }
}

#[async_trait]
impl ClientRequests for DynamoStore {
    async fn count_client_request(
        &self,
        client: &ClientAddress,
        minute: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, Unavailable> {
        trail::count_client_request(self, client.as_str(), minute, limit).await
    }
}

#[async_trait]
impl AuditTrail for DynamoStore {
    async fn append_audit(
        &self,
        event: &AuditEvent,
        expires_at: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        trail::append_audit(self, event, expires_at).await
    }
}

#[async_trait]
impl Departures for DynamoStore {
    async fn employee_records(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        read: EmployeeRead,
    ) -> Result<EmployeeRecords, Unavailable> {
        retention::employee_records(self, t, e, read).await
    }

    async fn set_departures(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        departure: Option<mynumber_domain::retention::Departure>,
        changes: &[DepartureChange],
        read: &EmployeeRecords,
    ) -> Result<(), UpdateError> {
        retention::set_departures(self, t, e, departure, changes, read).await
    }
}

#[async_trait]
impl RecordDisposal for DynamoStore {
    async fn dispose(
        &self,
        record: &Record<()>,
        disposal: &DisposalRecord,
    ) -> Result<Disposed, Unavailable> {
        retention::dispose(self, record, disposal).await
    }
}

#[async_trait]
impl TtlDisposals for DynamoStore {
    async fn record_ttl_disposal(
        &self,
        record: &Record<()>,
        disposal: &DisposalRecord,
    ) -> Result<Disposed, Unavailable> {
        retention::record_ttl_disposal(self, record, disposal).await
    }
}

#[async_trait]
impl DueIndex for DynamoStore {
    async fn due_records(
        &self,
        today: NaiveDate,
        cursor: Option<&Cursor>,
        limit: u16,
    ) -> Result<DuePage, Unavailable> {
        due_index::due_records(self, today, cursor, limit).await
    }

    async fn due_count(&self, today: NaiveDate) -> Result<u64, Unavailable> {
        due_index::due_count(self, today).await
    }

    async fn upcoming(
        &self,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<(TenantId, u64)>, Unavailable> {
        due_index::upcoming(self, from, until).await
    }
}

#[async_trait]
impl DisposalLog for DynamoStore {
    async fn list_disposals(
        &self,
        t: &TenantId,
        employee: Option<&EmployeeId>,
        page: &PageRequest,
    ) -> Result<Page<DisposalRecord>, ListError> {
        retention::list_disposals(self, t, employee, page).await
    }
}

#[async_trait]
impl CollectionWrites for DynamoStore {
    async fn get_collection(
        &self,
        t: &TenantId,
        id: &CollectionId,
    ) -> Result<Option<Collection>, Unavailable> {
        collections::get_collection(self, t, id).await
    }

    async fn latest_collection(
        &self,
        t: &TenantId,
        e: &EmployeeId,
    ) -> Result<Option<CollectionId>, Unavailable> {
        collections::latest_collection(self, t, e).await
    }

    async fn open_collection(
        &self,
        new: &Collection,
        latest: Option<&CollectionId>,
        previous: Option<&Collection>,
    ) -> Result<(), UpdateError> {
        collections::open_collection(self, new, latest, previous).await
    }

    async fn cancel_collection(&self, c: &Collection) -> Result<(), UpdateError> {
        collections::cancel_collection(self, c).await
    }

    async fn list_collections(
        &self,
        t: &TenantId,
        filter: &CollectionFilter,
        now: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<Page<Collection>, ListError> {
        collections::list_collections(self, t, filter, now, page).await
    }
}

#[async_trait]
impl CollectionAccess for DynamoStore {
    async fn collection_by_token(
        &self,
        token: &TokenDigest,
    ) -> Result<Option<Collection>, Unavailable> {
        collections::collection_by_token(self, token).await
    }

    async fn count_invalid_attempt(&self, c: &Collection) -> Result<(), UpdateError> {
        collections::count_invalid_attempt(self, c).await
    }

    async fn submit(
        &self,
        c: &Collection,
        records: Vec<NewRecord>,
        changes: Vec<DocumentChange>,
    ) -> Result<(), CreateError> {
        records::create_records(self, &records, Some(collections::submitted(c)), &changes).await
    }
}

#[async_trait]
impl RecordReview for DynamoStore {
    async fn confirm_record(
        &self,
        record: &Record<()>,
        verification: &Verification,
    ) -> Result<(), UpdateError> {
        retention::confirm_record(self, record, verification).await
    }
}

#[async_trait]
impl DocumentEntries for DynamoStore {
    async fn add_document(
        &self,
        c: &Collection,
        d: &Document,
        now: DateTime<Utc>,
    ) -> Result<(), AddDocumentError> {
        documents::add_document(self, c, d, now).await
    }

    async fn get_document(&self, d: &DocumentRef) -> Result<Option<Document>, Unavailable> {
        documents::get_document(self, d).await
    }

    async fn withdraw_document(&self, d: &DocumentRef) -> Result<(), Unavailable> {
        documents::withdraw_document(self, d).await
    }
}

#[async_trait]
impl RecordDocuments for DynamoStore {
    async fn record_documents(
        &self,
        t: &TenantId,
        c: &CollectionId,
        r: &RecordId,
    ) -> Result<Vec<Document>, Unavailable> {
        documents::record_documents(self, t, c, r).await
    }

    async fn get_document(&self, d: &DocumentRef) -> Result<Option<Document>, Unavailable> {
        documents::get_document(self, d).await
    }

    async fn forget_document(&self, d: &DocumentRef) -> Result<(), Unavailable> {
        documents::forget_document(self, d).await
    }

    async fn document_due(&self, d: &DocumentRef, day: NaiveDate) -> Result<(), Unavailable> {
        documents::document_due(self, d, day).await
    }
}

#[async_trait]
impl DueDocuments for DynamoStore {
    async fn due_documents(
        &self,
        today: NaiveDate,
        limit: u16,
    ) -> Result<Vec<DocumentRef>, Unavailable> {
        documents::due_documents(self, today, limit).await
    }

    async fn forget_document(&self, d: &DocumentRef) -> Result<(), Unavailable> {
        documents::forget_document(self, d).await
    }
}

#[async_trait]
impl ExportTrail for DynamoStore {
    async fn record_reveals(
        &self,
        trail: &[AuditEvent],
        expires_at: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        exports::record_reveals(self, trail, expires_at).await
    }
}

#[async_trait]
impl Exports for DynamoStore {
    async fn put_export(&self, e: &mynumber_domain::export::Export) -> Result<(), Unavailable> {
        exports::put_export(self, e).await
    }

    async fn get_export(
        &self,
        t: &TenantId,
        id: &mynumber_domain::export::ExportId,
    ) -> Result<Option<mynumber_domain::export::Export>, Unavailable> {
        exports::get_export(self, t, id).await
    }

    async fn update_export(&self, e: &mynumber_domain::export::Export) -> Result<(), UpdateError> {
        exports::update_export(self, e).await
    }

    async fn list_exports(
        &self,
        t: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<mynumber_domain::export::Export>, ListError> {
        exports::list_exports(self, t, page).await
    }

    async fn tenant_records(
        &self,
        t: &TenantId,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Record<()>>, Unavailable> {
        exports::tenant_records(self, t, cursor).await
    }

    async fn records_with_numbers(
        &self,
        t: &TenantId,
        ids: &[RecordId],
    ) -> Result<Vec<Record>, Unavailable> {
        exports::records_with_numbers(self, t, ids).await
    }
}

#[async_trait]
impl mynumber_domain::backfill::NumberFiling for DynamoStore {
    async fn file_number(
        &self,
        record: &mynumber_domain::record::Record,
        key: &mynumber_domain::ids::NumberKey,
    ) -> Result<mynumber_domain::backfill::Filed, Unavailable> {
        super::backfill::file_number(self, record, key).await
    }
}
