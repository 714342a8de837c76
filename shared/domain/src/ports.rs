//! The small traits the domain needs from the outside world, each sized to one
//! capability, so that a use case holds exactly what its function's IAM role allows
//! (`intake`, `lookup`, `purge`, `backstop`). AWS adapters implement them in `mynumber-aws`.

use crate::audit::AuditEvent;
use crate::collection::{Collection, CollectionFilter, CollectionId, TokenDigest};
use crate::disposal::DisposalRecord;
use crate::error::VaultError;
use crate::ids::{EmployeeId, IdempotencyKey, KeyDigest, RecordId, Subject, TenantId};
use crate::number::MyNumber;
use crate::record::{Ciphertext, Record, Slot};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A store or cipher call failed for a reason the caller cannot fix (throttling, 5xx,
/// timeouts, an item that does not parse). The text is for operators' logs; adapters
/// never put item values or numbers into it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    #[error("cipher unavailable: {0}")]
    Unavailable(String),
    /// The ciphertext does not open under this record's encryption context: it was
    /// moved, altered or encrypted under another key.
    #[error("ciphertext rejected")]
    Rejected,
}

/// Encrypts numbers under an encryption context that binds each ciphertext to its
/// tenant and record. Intake holds this port; nothing else does.
#[async_trait]
pub trait NumberEncryptor: Send + Sync {
    async fn encrypt(
        &self,
        tenant: &TenantId,
        record: &RecordId,
        number: &MyNumber,
    ) -> Result<Ciphertext, CipherError>;
}

/// Opens a ciphertext under its record's encryption context. Only the lookup function
/// (the reveal) holds this port, as only its role may call `kms:Decrypt`.
#[async_trait]
pub trait NumberDecryptor: Send + Sync {
    async fn decrypt(
        &self,
        tenant: &TenantId,
        record: &RecordId,
        ciphertext: &Ciphertext,
    ) -> Result<MyNumber, CipherError>;
}

/// Keyed MACs (never plain hashes) of what idempotency must compare without storing it.
#[async_trait]
pub trait NumberMac: Send + Sync {
    /// A keyed MAC of the number, for idempotency fingerprints. A plain hash of a
    /// 12-digit number can be reversed by trying every number, so it must be keyed.
    async fn fingerprint(
        &self,
        tenant: &TenantId,
        number: &MyNumber,
    ) -> Result<Vec<u8>, CipherError>;

    /// A keyed MAC of an `Idempotency-Key`, under which the store files its entry: the
    /// key is the client's text and may hold a number.
    async fn key_digest(
        &self,
        tenant: &TenantId,
        key: &IdempotencyKey,
    ) -> Result<KeyDigest, CipherError>;
}

/// A stored idempotent response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyEntry {
    pub key: KeyDigest,
    pub fingerprint: Vec<u8>,
    /// The created record's metadata as JSON (never a number): the replayed answer.
    pub body: String,
    pub expires_at: DateTime<Utc>,
}

/// How a new record relates to the employee's slot for its relation.
#[derive(Debug, Clone)]
pub enum SlotChange {
    /// Dependants have no slot.
    None,
    /// Take a free slot; fails with `SlotTaken` if someone holds it.
    Claim,
    /// Take over a slot whose record no longer exists (TTL deleted it before the purge
    /// could); fails with `SlotTaken` if the slot changed meanwhile.
    Reclaim { missing: RecordId },
    /// Take over the slot from `old` (explicit replace, or `old` is past due), deleting
    /// `old` and writing its disposal record in the same transaction.
    Replace {
        old: Box<Record>,
        disposal: Box<DisposalRecord>,
    },
}

/// What a new record does to its number's claim in the duplicate index (SPEC §4b): one
/// employee's live `self` record holds each number of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberClaim {
    /// Not a `self` number: its index entry is written, no claim.
    None,
    /// Take the claim if no one holds it or this employee does; fails with
    /// `DuplicateNumber` if another employee's record holds it.
    Take,
    /// Take over the claim from a record found gone (past due, or deleted by TTL);
    /// fails with `DuplicateNumber` if the claim changed meanwhile.
    TakeOver { gone: RecordId },
}

/// A record filed under a number in the duplicate index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberHolder {
    pub record_id: RecordId,
    pub employee_id: EmployeeId,
    pub relation: crate::record::RelationKind,
}

/// What the duplicate index holds for one number: the records filed under it, and the
/// `self` record that claims it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberHolders {
    pub own_number: Option<NumberHolder>,
    pub records: Vec<NumberHolder>,
}

#[derive(Debug, Clone)]
pub struct NewRecord {
    pub record: Record,
    pub slot: SlotChange,
    /// The claim on the record's number (`record.number_key`); `None` without a key.
    pub claim: NumberClaim,
    pub idempotency: Option<IdempotencyEntry>,
    /// The employee's departure as intake read it; the write fails with
    /// `DepartureChanged` if it changed meanwhile, so no record misses a due date.
    pub employee_departure: Option<crate::retention::Departure>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    #[error("the slot is taken")]
    SlotTaken,
    /// Another employee's `self` record claims the number.
    #[error("the number is another employee's")]
    DuplicateNumber,
    #[error("the idempotency key was used meanwhile")]
    IdempotencyKeyUsed,
    #[error("the replaced record changed meanwhile")]
    ReplacedChanged,
    #[error("the employee's departure changed meanwhile")]
    DepartureChanged,
    /// A submission's collection changed meanwhile (a twin submission spent the link).
    #[error("the collection changed meanwhile")]
    CollectionChanged,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// An opaque position in a listing, made by the store; `[A-Za-z0-9._~-]{1,256}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    pub fn parse(s: &str) -> Option<Cursor> {
        let ok = !s.is_empty()
            && s.len() <= 256
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-'));
        ok.then(|| Cursor(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u16,
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u16 = 50;
    pub const MAX_LIMIT: u16 = 100;
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Cursor>,
}

/// `BadCursor` is the caller's fault (a cursor from elsewhere): a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("the cursor is not one this listing made")]
    BadCursor,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Reading records. Every method of every store port is scoped by tenant: an adapter
/// builds every key from the tenant id, so one tenant's request can never address
/// another's items.
#[async_trait]
pub trait RecordReads: Send + Sync {
    async fn get_record(
        &self,
        tenant: &TenantId,
        record: &RecordId,
    ) -> Result<Option<Record>, Unavailable>;

    /// An employee's records, oldest first. Never reads another employee's items.
    async fn list_records(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
        page: &PageRequest,
    ) -> Result<Page<Record<()>>, ListError>;
}

/// The duplicate index, read by the number's key: never by decrypting (SPEC §4b).
#[async_trait]
pub trait NumberIndex: Send + Sync {
    /// Every record filed under `key` in the tenant, and the claim, strongly consistent.
    async fn number_holders(
        &self,
        tenant: &TenantId,
        key: &crate::ids::NumberKey,
    ) -> Result<NumberHolders, Unavailable>;
}

/// Registering records: the record, its slot and its idempotency entry.
#[async_trait]
pub trait RecordWrites: Send + Sync {
    /// Writes the record, its slot change and idempotency entry all at once, or nothing.
    async fn create_record(&self, new: NewRecord) -> Result<(), CreateError>;

    /// The employee's recorded departure, read consistently.
    async fn employee_departure(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
    ) -> Result<Option<crate::retention::Departure>, Unavailable>;

    /// The record holding an employee's `self` or `spouse` slot.
    async fn slot_holder(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
        slot: Slot,
    ) -> Result<Option<RecordId>, Unavailable>;

    /// The unexpired entry for a key, if any.
    async fn idempotency(
        &self,
        tenant: &TenantId,
        key: &KeyDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyEntry>, Unavailable>;
}

/// What a reveal must write before it may answer: the quota count and the durable trail,
/// in one write (a reveal costs one round trip between reading the record and Decrypt).
#[async_trait]
pub trait RevealTrail: Send + Sync {
    /// Counts one reveal against the principal's quota for the hour starting at `hour`
    /// and durably stores `trail`, both or neither; `false` (nothing written) when `limit`
    /// reveals were already made. Fails rather than count without the trail.
    async fn record_reveal(
        &self,
        tenant: &TenantId,
        sub: &Subject,
        hour: DateTime<Utc>,
        limit: u32,
        trail: &AuditEvent,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, Unavailable>;
}

crate::words::vocabulary! {
    /// Which of a principal's hourly counts of matched numbers: what their own intakes and
    /// imports matched, or what employees' submissions through their links did (kept apart,
    /// so that re-importing a file cannot stop employees' submissions).
    pub enum MatchScope {
        Intake = "intake",
        Links = "links",
    }
}

/// Each principal's hourly counts of numbers that matched a stored one (an import's
/// `unchanged` and `duplicate_number` rows, an intake's `duplicate_number` or
/// `same_number_as`, a link's `duplicate_number`): each tells whose a number is, so their
/// rate is bounded like reveals'.
#[async_trait]
pub trait MatchCounter: Send + Sync {
    /// Adds `n` to `sub`'s count of `scope` for the hour starting at `hour` unless the
    /// count would then pass `limit` (`n = 0`: unless it has reached `limit`): then
    /// `false`, nothing added.
    async fn reserve_matches(
        &self,
        tenant: &TenantId,
        sub: &Subject,
        scope: MatchScope,
        hour: DateTime<Utc>,
        n: u32,
        limit: u32,
    ) -> Result<bool, Unavailable>;

    /// `reserve_matches`, its refusal the API's 429.
    async fn admit_matches(
        &self,
        tenant: &TenantId,
        sub: &Subject,
        scope: MatchScope,
        hour: DateTime<Utc>,
        n: u32,
        limit: u32,
    ) -> Result<(), VaultError> {
        if self
            .reserve_matches(tenant, sub, scope, hour, n, limit)
            .await?
        {
            Ok(())
        } else {
            Err(VaultError::Throttled)
        }
    }

    /// Gives back `n` reserved matches that did not happen.
    async fn release_matches(
        &self,
        tenant: &TenantId,
        sub: &Subject,
        scope: MatchScope,
        hour: DateTime<Utc>,
        n: u32,
    ) -> Result<(), Unavailable>;
}

/// Whom a per-client limit counts: an IPv4 address, or an IPv6 address's /56 (a
/// subscriber's usual delegation, through which one client may rotate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(String);

impl ClientAddress {
    pub fn of(ip: std::net::IpAddr) -> Self {
        match ip {
            std::net::IpAddr::V4(v4) => ClientAddress(v4.to_string()),
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientAddress(v4.to_string()),
                None => {
                    let s = v6.segments();
                    let prefix =
                        std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3] & 0xff00, 0, 0, 0, 0);
                    ClientAddress(format!("{prefix}/56"))
                }
            },
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Requests per client address and minute on the routes anyone may call (the employee's),
/// so that one client cannot use up what every employee shares.
#[async_trait]
pub trait ClientRequests: Send + Sync {
    /// Counts one request of `client` in the minute starting at `minute`, unless `limit`
    /// were already made: then `false`, nothing counted.
    async fn count_client_request(
        &self,
        client: &ClientAddress,
        minute: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, Unavailable>;
}

/// The reveals of an export's file, written before the file is produced.
#[async_trait]
pub trait ExportTrail: Send + Sync {
    /// Durably stores every event (one per number in the file), or fails: an event that
    /// did not reach the table fails the whole call, so no file is produced without it.
    async fn record_reveals(
        &self,
        trail: &[AuditEvent],
        expires_at: DateTime<Utc>,
    ) -> Result<(), Unavailable>;
}

/// Exports for filings (SPEC §4b) and the records they select.
#[async_trait]
pub trait Exports: Send + Sync {
    /// Stores a new export; it never overwrites one.
    async fn put_export(&self, export: &crate::export::Export) -> Result<(), Unavailable>;

    async fn get_export(
        &self,
        tenant: &TenantId,
        id: &crate::export::ExportId,
    ) -> Result<Option<crate::export::Export>, Unavailable>;

    /// Stores `export` (its next version) on condition that the stored one is still at
    /// `export.version - 1`.
    async fn update_export(&self, export: &crate::export::Export) -> Result<(), UpdateError>;

    /// The tenant's exports, newest first.
    async fn list_exports(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<crate::export::Export>, ListError>;

    /// The tenant's records, metadata only, a page at a time (the tenant index).
    async fn tenant_records(
        &self,
        tenant: &TenantId,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Record<()>>, Unavailable>;

    /// The records of `ids` still there, with their ciphertexts, read consistently.
    async fn records_with_numbers(
        &self,
        tenant: &TenantId,
        ids: &[RecordId],
    ) -> Result<Vec<Record>, Unavailable>;
}

/// The durable audit trail in the table, written before a number or a document photo is
/// handed out.
#[async_trait]
pub trait AuditTrail: Send + Sync {
    /// Durably stores an audit event (the reveal trail); must fail rather than drop it.
    async fn append_audit(
        &self,
        event: &AuditEvent,
        expires_at: DateTime<Utc>,
    ) -> Result<(), Unavailable>;
}

/// A change of one record's departure, conditional on the version it was read at.
#[derive(Debug, Clone)]
pub struct DepartureChange {
    pub record: Record<()>,
    /// `None` cancels the departure (re-hire).
    pub departure: Option<crate::retention::Departure>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    #[error("a record changed meanwhile")]
    Concurrent,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// How a disposal attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposed {
    Now,
    /// Someone else (another purge, an early disposal) got there first.
    AlreadyGone,
}

/// Records whose retention has ended, across tenants, for the schedule only.
#[derive(Debug, Clone)]
pub struct DuePage {
    pub items: Vec<Record<()>>,
    /// Items the store read to find them (for the purge's cost figures).
    pub read: u64,
    pub next: Option<Cursor>,
}

/// An employee's records with the employee's revision: every intake for the employee
/// changes it, so a write conditioned on it cannot miss a record registered after this read.
#[derive(Debug, Clone, Default)]
pub struct EmployeeRecords {
    pub records: Vec<Record<()>>,
    pub revision: u64,
    /// The employee's own departure item, read consistently with the revision.
    pub departure: Option<crate::retention::Departure>,
}

/// How a departure reads an employee's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmployeeRead {
    /// In one round trip: which records there are and the revision are read consistently,
    /// their contents may come from an index that lags; a record that lagged has an older
    /// version, so the write, conditioned on the version of every record read (changed or
    /// not), refuses it.
    Quick,
    /// Every record by a consistent read: after a write was refused.
    Consistent,
}

/// Departures and re-hires: an employee's records read, and their due dates changed all at
/// once on condition that the read still holds.
#[async_trait]
pub trait Departures: Send + Sync {
    /// Every record of an employee, metadata only, and the employee's revision.
    async fn employee_records(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
        read: EmployeeRead,
    ) -> Result<EmployeeRecords, Unavailable>;

    /// Sets (or, with `None`, clears) the employee's departure and the departures of
    /// their records, all or nothing, on condition that `read` still holds: every record
    /// read (changed or left alone) at its version, and the employee's revision unchanged
    /// (no record registered since).
    async fn set_departures(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
        departure: Option<crate::retention::Departure>,
        changes: &[DepartureChange],
        read: &EmployeeRecords,
    ) -> Result<(), UpdateError>;
}

/// Deleting a record for good.
#[async_trait]
pub trait RecordDisposal: Send + Sync {
    /// Deletes the record (its ciphertext with it), frees its slot and writes the
    /// disposal record, all at once; `AlreadyGone` when the record no longer exists at
    /// the version read.
    async fn dispose(
        &self,
        record: &Record<()>,
        disposal: &DisposalRecord,
    ) -> Result<Disposed, Unavailable>;
}

/// The due-date index, across tenants, for the schedule only.
#[async_trait]
pub trait DueIndex: Send + Sync {
    /// Records gone by `today` (due before it), oldest first, from `cursor`.
    async fn due_records(
        &self,
        today: chrono::NaiveDate,
        cursor: Option<&Cursor>,
        limit: u16,
    ) -> Result<DuePage, Unavailable>;

    /// How many records are gone by `today` and not yet disposed of.
    async fn due_count(&self, today: chrono::NaiveDate) -> Result<u64, Unavailable>;

    /// Records due (last day of retention) from `from` through `until`, per tenant.
    async fn upcoming(
        &self,
        from: chrono::NaiveDate,
        until: chrono::NaiveDate,
    ) -> Result<Vec<(TenantId, u64)>, Unavailable>;
}

/// Reading the disposal records (the log of what was deleted, when and why).
#[async_trait]
pub trait DisposalLog: Send + Sync {
    async fn list_disposals(
        &self,
        tenant: &TenantId,
        employee: Option<&EmployeeId>,
        page: &PageRequest,
    ) -> Result<Page<DisposalRecord>, ListError>;
}

/// Recording what DynamoDB TTL deleted behind the vault's back (the backstop).
#[async_trait]
pub trait TtlDisposals: Send + Sync {
    /// Records a disposal that DynamoDB TTL has already carried out (the record item is
    /// gone): writes the disposal record and removes the record's membership entry and the
    /// slot that still names it. `AlreadyGone` when the disposal record exists already (a
    /// stream record delivered again).
    async fn record_ttl_disposal(
        &self,
        record: &Record<()>,
        disposal: &DisposalRecord,
    ) -> Result<Disposed, Unavailable>;
}

/// The registrar's side of collection links (the review role).
#[async_trait]
pub trait CollectionWrites: Send + Sync {
    async fn get_collection(
        &self,
        tenant: &TenantId,
        id: &CollectionId,
    ) -> Result<Option<Collection>, Unavailable>;

    /// The employee's latest collection, read consistently.
    async fn latest_collection(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
    ) -> Result<Option<CollectionId>, Unavailable>;

    /// Writes `new` (and its token's entry) as the employee's latest collection, on
    /// condition that `latest` still is; an open `previous` is cancelled at once.
    /// `Concurrent` when another link for the employee was opened meanwhile.
    async fn open_collection(
        &self,
        new: &Collection,
        latest: Option<&CollectionId>,
        previous: Option<&Collection>,
    ) -> Result<(), UpdateError>;

    /// Cancels `c`, conditional on the version read.
    async fn cancel_collection(&self, c: &Collection) -> Result<(), UpdateError>;

    /// The tenant's collections, newest first.
    async fn list_collections(
        &self,
        tenant: &TenantId,
        filter: &CollectionFilter,
        now: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<Page<Collection>, ListError>;
}

/// The employee's side of a link (the collect function's role).
#[async_trait]
pub trait CollectionAccess: Send + Sync {
    /// The collection whose token has this digest, whatever its state.
    async fn collection_by_token(
        &self,
        token: &TokenDigest,
    ) -> Result<Option<Collection>, Unavailable>;

    /// Counts an invalid submission atomically; the fifth locks the link. `Concurrent` when
    /// it was not counted: the limit was reached (by attempts in parallel) or the link is
    /// no longer in the state read.
    async fn count_invalid_attempt(&self, c: &Collection) -> Result<(), UpdateError>;

    /// Writes every record of a submission (with their slots, membership entries and
    /// the employee's revision) and marks the collection submitted, all at once or not
    /// at all, with what becomes of each uploaded document (`documents`); `CollectionChanged`
    /// when the collection is no longer as read.
    async fn submit(
        &self,
        c: &Collection,
        records: Vec<NewRecord>,
        documents: Vec<DocumentChange>,
    ) -> Result<(), CreateError>;
}

/// Confirming a self-service submission.
#[async_trait]
pub trait RecordReview: Send + Sync {
    /// Makes a pending record active with `verification`, conditional on its version.
    async fn confirm_record(
        &self,
        record: &Record<()>,
        verification: &crate::verification::Verification,
    ) -> Result<(), UpdateError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A dependency failed: logged for operators, a 503 for the caller.
impl From<Unavailable> for VaultError {
    fn from(e: Unavailable) -> Self {
        tracing::error!(error = %e, "dependency failed");
        VaultError::Unavailable
    }
}

impl From<CipherError> for VaultError {
    fn from(e: CipherError) -> Self {
        match e {
            CipherError::Rejected => {
                tracing::error!("ciphertext rejected under its encryption context");
            }
            CipherError::Unavailable(msg) => tracing::error!(error = %msg, "cipher failed"),
        }
        VaultError::Unavailable
    }
}

/// A cursor from elsewhere is the caller's fault: a 400 on the `cursor` field.
impl From<ListError> for VaultError {
    fn from(e: ListError) -> Self {
        match e {
            ListError::BadCursor => VaultError::invalid("cursor", "cursor"),
            ListError::Unavailable(e) => e.into(),
        }
    }
}

impl From<UpdateError> for VaultError {
    fn from(e: UpdateError) -> Self {
        match e {
            UpdateError::Concurrent => VaultError::Conflict(crate::error::Conflict::Concurrent),
            UpdateError::Unavailable(e) => e.into(),
        }
    }
}

/// Which document a store entry or an object is: tenant, link and the random id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    pub tenant_id: TenantId,
    pub collection_id: CollectionId,
    pub document_id: crate::document::DocumentId,
}

impl DocumentRef {
    pub fn object_key(&self) -> crate::document::ObjectKey {
        crate::document::ObjectKey::of(&self.tenant_id, &self.collection_id, &self.document_id)
    }
}

impl Collection {
    /// The document `id` uploaded through this link.
    pub fn document(&self, id: &crate::document::DocumentId) -> DocumentRef {
        DocumentRef {
            tenant_id: self.tenant_id.clone(),
            collection_id: self.collection_id.clone(),
            document_id: id.clone(),
        }
    }
}

impl crate::document::Document {
    pub fn reference(&self) -> DocumentRef {
        DocumentRef {
            tenant_id: self.tenant_id.clone(),
            collection_id: self.collection_id.clone(),
            document_id: self.document_id.clone(),
        }
    }
}

/// What a submission does to each document its link uploaded.
#[derive(Debug, Clone)]
pub enum DocumentChange {
    /// Named by the submission: kept for the record's review, until `due_on` at most.
    Attach {
        document: DocumentRef,
        record_id: RecordId,
        due_on: chrono::NaiveDate,
    },
    /// Not named: nothing needs it, so the next purge deletes it.
    Release {
        document: DocumentRef,
        due_on: chrono::NaiveDate,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddDocumentError {
    #[error("the link holds the most documents it may")]
    Limit,
    /// The link is no longer open.
    #[error("the collection changed")]
    Closed,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Document photos in object storage, as the collect function may use them: presign an
/// upload, and read what arrived (size, type; never the bytes: its role cannot decrypt).
#[async_trait]
pub trait DocumentUploads: Send + Sync {
    /// A URL to PUT the object with; the headers the PUT must carry.
    async fn presign_upload(
        &self,
        key: &crate::document::ObjectKey,
        content_type: crate::document::DocumentType,
        bytes: u64,
    ) -> Result<
        (
            crate::document::SignedUrl,
            std::collections::BTreeMap<String, String>,
        ),
        Unavailable,
    >;

    async fn inspect(
        &self,
        key: &crate::document::ObjectKey,
    ) -> Result<Option<crate::document::StoredObject>, Unavailable>;
}

/// A registrar's short-lived download of one object (intake's role).
#[async_trait]
pub trait DocumentViews: Send + Sync {
    async fn presign_view(
        &self,
        key: &crate::document::ObjectKey,
        seconds: u64,
    ) -> Result<crate::document::SignedUrl, Unavailable>;
}

/// Deleting objects: a deleted or absent object is gone either way.
#[async_trait]
pub trait DocumentErasure: Send + Sync {
    async fn delete_object(&self, key: &crate::document::ObjectKey) -> Result<(), Unavailable>;
}

/// The collect function's document entries.
#[async_trait]
pub trait DocumentEntries: Send + Sync {
    /// Writes `d` and adds it to `c`'s documents, on condition that the link is open
    /// and holds fewer than `MAX_DOCUMENTS`.
    async fn add_document(
        &self,
        c: &Collection,
        d: &crate::document::Document,
        now: DateTime<Utc>,
    ) -> Result<(), AddDocumentError>;

    async fn get_document(
        &self,
        d: &DocumentRef,
    ) -> Result<Option<crate::document::Document>, Unavailable>;

    /// Deletes the entry and takes it off its link (a refused upload frees its place).
    async fn withdraw_document(&self, d: &DocumentRef) -> Result<(), Unavailable>;
}

/// A registrar's reads of document entries, and their removal after review (the review).
#[async_trait]
pub trait RecordDocuments: Send + Sync {
    /// The documents a submission attached to `record`.
    async fn record_documents(
        &self,
        tenant: &TenantId,
        collection: &CollectionId,
        record: &RecordId,
    ) -> Result<Vec<crate::document::Document>, Unavailable>;

    async fn get_document(
        &self,
        d: &DocumentRef,
    ) -> Result<Option<crate::document::Document>, Unavailable>;

    /// Deletes the entry once its object is gone.
    async fn forget_document(&self, d: &DocumentRef) -> Result<(), Unavailable>;

    /// Makes the entry due on `day`, so that the purge retries a failed deletion.
    async fn document_due(
        &self,
        d: &DocumentRef,
        day: chrono::NaiveDate,
    ) -> Result<(), Unavailable>;
}

/// The purge's view of document entries: those due on or before `today`.
#[async_trait]
pub trait DueDocuments: Send + Sync {
    async fn due_documents(
        &self,
        today: chrono::NaiveDate,
        limit: u16,
    ) -> Result<Vec<DocumentRef>, Unavailable>;

    async fn forget_document(&self, d: &DocumentRef) -> Result<(), Unavailable>;
}
