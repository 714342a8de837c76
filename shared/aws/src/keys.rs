//! Every key of the single table, and nothing else builds one. Every key starts with
//! `T#{tenant}`, so no request built from one principal's tenant can address another
//! tenant's items.
//!
//! | item        | pk                            | sk         | by_owner index (gsi1pk / gsi1sk)          |
//! |-------------|-------------------------------|------------|-------------------------------------------|
//! | record      | `T#t#R#{record_id}`           | `RECORD`   | `T#t#E#{employee}#R` / `{ms:013}#{rid}`   |
//! | slot        | `T#t#E#{employee}`            | `SLOT#self`, `SLOT#spouse` | –                         |
//! | departure   | `T#t#E#{employee}`            | `DEPARTURE` | –                                        |
//! | membership  | `T#t#E#{employee}`            | `REC#{record_id}` | –                                  |
//! | revision    | `T#t#E#{employee}`            | `REV`      | –                                         |
//! | idempotency | `T#t#I#{key}`                 | `IDEM`     | –                                         |
//! | quota       | `T#t#Q#{subject}#{yyyy-mm-ddThh}` | `QUOTA` | –                                        |
//! | matches     | `T#t#M#{subject}#{yyyy-mm-ddThh}` | `MATCHES#{scope}` | –                                      |
//! | client rate | `RL#{address}#{yyyy-mm-ddThh:mm}` | `RATE` | –                                      |
//! | reveal trail| `T#t#A#{yyyy-mm-dd}`          | `{time}#{uuid}` | –                                    |
//! | disposal    | `T#t#D`                       | `{ms:013}#{rid}` | `T#t#E#{employee}#D` / `{ms:013}#{rid}` |
//! | collection  | `T#t#C#{collection_id}`       | `COLLECTION` | `T#t#C` / `{ms:013}#{cid}`              |
//! | latest link | `T#t#E#{employee}`            | `COLLECTION` | –                                       |
//! | link token  | `CT#{sha256(token)}`          | `TOKEN`    | –                                         |
//! | document    | `T#t#C#{collection_id}`       | `DOC#{document_id}` | –                                |
//! | export      | `T#t#X`                       | `{export_id}` (time-ordered) | –                       |
//! | sent mail   | `T#t#L`                       | `{ms:013}#{notification_id}` | –                       |
//! | message     | `NM#{ses_message_id}`         | `MESSAGE`  | –                                         |
//! | settings    | `T#t#S`                       | `NOTIFICATIONS` | –                                    |
//!
//! Records also carry the `by_tenant` index keys `gsi2pk` = `T#t#R` and `gsi2sk` =
//! `{ms:013}#{rid}`: the one listing of a tenant's records, which an export of all reads.
//!
//! The link token's and the sent message's entries are the keys without a tenant: on the
//! employee's routes the token is the only credential, and a bounce names only the message;
//! each entry names its tenant.
//!
//! Departed records also carry the sparse `by_due` index keys: `due_pk` = `DUE#{0..7}` (a
//! shard from the random record id, so no index partition runs hot) and `due_sk` =
//! `{first day gone}#{tenant}#{record_id}`. Finding what is due is then one range Query per
//! shard that reads only due items, whatever the table's size. Document entries carry them
//! too, in a partition of their own: `due_pk` = `DOCS#DUE`, `due_sk` =
//! `{day due}#{tenant}#{collection_id}#{document_id}` (few, and deleted within days).

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};
use mynumber_domain::collection::{CollectionId, TokenDigest};
use mynumber_domain::document::DocumentId;
use mynumber_domain::ids::{EmployeeId, NumberKey, RecordId, Subject, TenantId};
use mynumber_domain::ports::MatchScope;
use mynumber_domain::record::Slot;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// The table's key attributes and its two indexes' names and keys.
pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1PK: &str = "gsi1pk";
pub const GSI1SK: &str = "gsi1sk";
pub const GSI2PK: &str = "gsi2pk";
pub const GSI2SK: &str = "gsi2sk";
pub const BY_TENANT: &str = "by_tenant";
pub const BY_OWNER: &str = "by_owner";
pub const BY_DUE: &str = "by_due";
pub const DUE_PK: &str = "due_pk";
pub const DUE_SK: &str = "due_sk";

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.into(), s(pk)), (SK.into(), s(sk))])
}

pub fn record_pk(t: &TenantId, r: &RecordId) -> String {
    format!("T#{t}#R#{r}")
}
pub const RECORD_SK: &str = "RECORD";

/// The primary key of a record's item.
pub fn record_key(t: &TenantId, r: &RecordId) -> Item {
    key(record_pk(t, r), RECORD_SK)
}

/// A number's partition in the duplicate index (SPEC §4b), named by the number's keyed
/// MAC: an entry per record holding it, and the claim of the `self` record that owns it.
pub fn number_pk(t: &TenantId, k: &NumberKey) -> String {
    format!("T#{t}#N#{}", k.as_str())
}
pub const NUMBER_CLAIM_SK: &str = "CLAIM";

pub fn number_entry_key(t: &TenantId, k: &NumberKey, r: &RecordId) -> Item {
    key(number_pk(t, k), member_sk(r))
}

pub fn number_claim_key(t: &TenantId, k: &NumberKey) -> Item {
    key(number_pk(t, k), NUMBER_CLAIM_SK)
}

/// The record attribute naming its number in the index.
pub const NUMBER_KEY: &str = "number_key";

/// The employee's partition: slots, departure, membership entries and revision.
pub fn employee_pk(t: &TenantId, e: &EmployeeId) -> String {
    format!("T#{t}#E#{e}")
}

pub fn slot_sk(slot: Slot) -> String {
    format!("SLOT#{}", slot.code())
}

pub fn slot_key(t: &TenantId, e: &EmployeeId, slot: Slot) -> Item {
    key(employee_pk(t, e), slot_sk(slot))
}

/// A record's entry in its employee's partition, written and deleted in the same
/// transactions as the record: a strongly consistent Query of the partition lists the
/// employee's records, which the eventually consistent `by_owner` index cannot promise.
pub fn member_sk(r: &RecordId) -> String {
    format!("{MEMBER_PREFIX}{r}")
}
pub const MEMBER_PREFIX: &str = "REC#";

pub fn member_key(t: &TenantId, e: &EmployeeId, r: &RecordId) -> Item {
    key(employee_pk(t, e), member_sk(r))
}

/// The employee's revision (`rev`): every intake adds one, and a departure's transaction
/// is conditioned on the value it read.
pub const REVISION_SK: &str = "REV";

pub fn revision_key(t: &TenantId, e: &EmployeeId) -> Item {
    key(employee_pk(t, e), REVISION_SK)
}

/// The employee's departure item: beside the slots, read consistently by intake.
pub const DEPARTURE_SK: &str = "DEPARTURE";

pub fn departure_key(t: &TenantId, e: &EmployeeId) -> Item {
    key(employee_pk(t, e), DEPARTURE_SK)
}

pub fn idempotency_key(t: &TenantId, digest: &str) -> Item {
    key(format!("T#{t}#I#{digest}"), "IDEM")
}

/// One principal's reveal count for the hour starting at `hour`.
pub fn quota_key(t: &TenantId, sub: &Subject, hour: DateTime<Utc>) -> Item {
    key(
        format!("T#{t}#Q#{sub}#{}", hour.format("%Y-%m-%dT%H")),
        "QUOTA",
    )
}

/// One principal's count of matched numbers for the hour starting at `hour`: a partition
/// of its own, so the roles that count matches cannot touch reveal quotas.
pub fn matches_key(t: &TenantId, sub: &Subject, scope: MatchScope, hour: DateTime<Utc>) -> Item {
    key(
        format!("T#{t}#M#{sub}#{}", hour.format("%Y-%m-%dT%H")),
        format!("MATCHES#{scope}"),
    )
}

/// One client address's request count for the minute starting at `minute`, on the
/// employee's routes: counted before any token is read, so without a tenant.
pub fn client_rate_key(client: &str, minute: DateTime<Utc>) -> Item {
    key(
        format!("RL#{client}#{}", minute.format("%Y-%m-%dT%H:%M")),
        "RATE",
    )
}

/// A fresh key for one event of the reveal trail, filed by tenant (`-` for none) and day.
pub fn audit_key(tenant: Option<&TenantId>, time: &str) -> Item {
    let tenant = tenant.map(TenantId::as_str).unwrap_or("-");
    let day = time.get(..10).unwrap_or("0000-00-00");
    key(
        audit_pk(tenant, day),
        format!("{time}#{}", RecordId::new_random()),
    )
}

/// The one item that says how the purge's last run ended (it serves every tenant).
pub fn purge_run_key() -> Item {
    key("PURGE#RUN".into(), "LAST")
}

/// The partition of a tenant's trail events of one UTC day (`YYYY-MM-DD`).
pub fn audit_pk(tenant: &str, day: &str) -> String {
    format!("T#{tenant}#A#{day}")
}

/// The key of one trail event, from its partition's day and its sort key.
pub fn audit_event_key(t: &TenantId, day: &str, sk: String) -> Item {
    key(audit_pk(t.as_str(), day), sk)
}

pub fn collection_pk(t: &TenantId, c: &CollectionId) -> String {
    format!("T#{t}#C#{c}")
}
pub const COLLECTION_SK: &str = "COLLECTION";

pub fn collection_key(t: &TenantId, c: &CollectionId) -> Item {
    key(collection_pk(t, c), COLLECTION_SK)
}

/// The tenant's collections in the by_owner index, newest last.
pub fn collections_pk(t: &TenantId) -> String {
    format!("T#{t}#C")
}

/// The employee's pointer to their latest collection, in the employee's partition.
pub fn latest_collection_key(t: &TenantId, e: &EmployeeId) -> Item {
    key(employee_pk(t, e), COLLECTION_SK)
}

pub fn token_key(d: &TokenDigest) -> Item {
    key(format!("CT#{}", d.as_str()), "TOKEN")
}

/// Where the tenant's collection listing resumes (a cursor names a position only).
pub fn collections_listing_start(t: &TenantId, ms: i64, c: &RecordId) -> Item {
    let id = CollectionId::parse(c.as_str()).expect("a record id is a collection id's shape");
    let mut start = collection_key(t, &id);
    start.insert(GSI1PK.into(), s(collections_pk(t)));
    start.insert(GSI1SK.into(), s(listing_sk(ms, c)));
    start
}

/// The tenant's records in the `by_tenant` index.
pub fn tenant_records_pk(t: &TenantId) -> String {
    format!("T#{t}#R")
}

/// The tenant's exports: one partition, few items (a few a year, kept 400 days), sorted
/// by their time-ordered ids.
pub fn exports_pk(t: &TenantId) -> String {
    format!("T#{t}#X")
}

pub fn export_key(t: &TenantId, id: &mynumber_domain::export::ExportId) -> Item {
    key(exports_pk(t), id.as_str())
}

/// The tenant's deletion certificates: one listing item each, sk its time-ordered id.
pub fn certificates_pk(t: &TenantId) -> String {
    format!("T#{t}#K")
}

pub fn certificate_key(t: &TenantId, id: &mynumber_domain::certificate::CertificateId) -> Item {
    key(certificates_pk(t), id.as_str())
}

/// A certificate's signed JSON, in parts (sk `0000`, `0001`, …): a document may be
/// larger than one item.
pub fn certificate_document_pk(
    t: &TenantId,
    id: &mynumber_domain::certificate::CertificateId,
) -> String {
    format!("T#{t}#K#{id}")
}

/// The tenant's display name, which certificates print.
pub fn organization_key(t: &TenantId) -> Item {
    key(format!("T#{t}#O"), "ORGANIZATION")
}

pub fn owner_records_pk(t: &TenantId, e: &EmployeeId) -> String {
    format!("T#{t}#E#{e}#R")
}

/// The sort key of a listing (records by owner, disposals): a millisecond time and the
/// record, so equal times still sort apart.
pub fn listing_sk(ms: i64, r: &RecordId) -> String {
    format!("{}#{r}", listing_ms(ms))
}

/// A listing sort key's time: zero-padded milliseconds, so that keys sort by time.
fn listing_ms(ms: i64) -> String {
    format!("{ms:013}")
}

/// Where the listing sort keys of `at` begin: each one of that millisecond sorts after it,
/// each earlier one before it (a bound for a range of times).
pub fn listing_bound(at: DateTime<Utc>) -> String {
    listing_ms(at.timestamp_millis().max(0))
}

pub fn owner_sk(at: DateTime<Utc>, r: &RecordId) -> String {
    listing_sk(at.timestamp_millis(), r)
}

pub fn disposals_pk(t: &TenantId) -> String {
    format!("T#{t}#D")
}

pub fn owner_disposals_pk(t: &TenantId, e: &EmployeeId) -> String {
    format!("T#{t}#E#{e}#D")
}

/// Where an employee's record listing resumes: the by_owner key of the record at `ms`,
/// rebuilt from the caller's own tenant and employee (a cursor names a position only).
pub fn records_listing_start(t: &TenantId, e: &EmployeeId, ms: i64, r: &RecordId) -> Item {
    let mut start = record_key(t, r);
    start.insert(GSI1PK.into(), s(owner_records_pk(t, e)));
    start.insert(GSI1SK.into(), s(listing_sk(ms, r)));
    start
}

/// Where a disposal listing resumes: the tenant's, or with `employee` the by_owner one.
pub fn disposals_listing_start(
    t: &TenantId,
    employee: Option<&EmployeeId>,
    ms: i64,
    r: &RecordId,
) -> Item {
    let sk = listing_sk(ms, r);
    let mut start = key(disposals_pk(t), &sk);
    if let Some(e) = employee {
        start.insert(GSI1PK.into(), s(owner_disposals_pk(t, e)));
        start.insert(GSI1SK.into(), s(sk));
    }
    start
}

/// A document entry, beside its collection.
pub fn document_key(t: &TenantId, c: &CollectionId, d: &DocumentId) -> Item {
    key(collection_pk(t, c), format!("{DOCUMENT_PREFIX}{d}"))
}
pub const DOCUMENT_PREFIX: &str = "DOC#";

/// The due-index partition of document entries.
pub const DOCUMENTS_DUE_PK: &str = "DOCS#DUE";

pub fn document_due_sk(day: NaiveDate, t: &TenantId, c: &CollectionId, d: &DocumentId) -> String {
    format!("{day}#{t}#{c}#{d}")
}

/// The document named by a document's `due_sk`.
pub fn parse_document_due_sk(sk: &str) -> Option<(TenantId, CollectionId, DocumentId)> {
    let mut parts = sk.splitn(4, '#');
    let _day = parts.next()?;
    let t = TenantId::parse(parts.next()?).ok()?;
    let c = CollectionId::parse(parts.next()?).ok()?;
    let d = DocumentId::parse(parts.next()?).ok()?;
    Some((t, c, d))
}

pub const DUE_SHARDS: u8 = 8;

pub fn due_shard_pk(shard: u8) -> String {
    format!("DUE#{shard}")
}

/// The due-index shard of a record, from its random id.
pub fn due_pk(r: &RecordId) -> String {
    let shard = u8::from_str_radix(&r.as_str()[..2], 16).unwrap_or(0) % DUE_SHARDS;
    due_shard_pk(shard)
}

/// `{first day gone}#{tenant}#{record}`: sorts by the day a record becomes gone.
pub fn due_sk(gone_on: NaiveDate, t: &TenantId, r: &RecordId) -> String {
    format!("{gone_on}#{t}#{r}")
}

/// No `due_sk` of a record gone on `day` or later sorts below this.
pub fn due_sk_gone_from(day: NaiveDate) -> String {
    day.to_string()
}

/// Every `due_sk` of a record gone on `day` or earlier sorts below this.
pub fn due_sk_gone_through(day: NaiveDate) -> String {
    format!("{day}#~")
}

/// The tenant and record named by a `due_sk`.
pub fn parse_due_sk(sk: &str) -> Option<(TenantId, RecordId)> {
    let mut parts = sk.splitn(3, '#');
    let _day = parts.next()?;
    let t = TenantId::parse(parts.next()?).ok()?;
    let r = RecordId::parse(parts.next()?).ok()?;
    Some((t, r))
}

/// Where a due-index query of `shard` resumes after the entry `sk`; `None` if `sk` is not
/// a `due_sk`.
pub fn due_start(shard: u8, sk: &str) -> Option<Item> {
    let (t, r) = parse_due_sk(sk)?;
    let mut start = record_key(&t, &r);
    start.insert(DUE_PK.into(), s(due_shard_pk(shard)));
    start.insert(DUE_SK.into(), s(sk));
    Some(start)
}

/// The tenant's sent log (`L`: letters; `N` is the number index), newest last: `{ms:013}#{notification_id}`.
pub fn notifications_pk(t: &TenantId) -> String {
    format!("T#{t}#L")
}

/// The provider's message id, pointing at its sent-log entry: a bounce or a complaint
/// names the message only, so, like the link token's, this key has no tenant.
pub fn message_key(id: &mynumber_domain::notification::MessageId) -> Item {
    key(format!("NM#{}", id.as_str()), "MESSAGE")
}

/// Open links with an address, in the `by_due` index: a partition of their own, sorted
/// by the day (JST) they were last emailed.
pub const REMIND_PK: &str = "LINKS#MAIL";

pub fn remind_sk(day: NaiveDate, t: &TenantId, c: &CollectionId) -> String {
    format!("{day}#{t}#{c}")
}

pub fn parse_remind_sk(sk: &str) -> Option<(TenantId, CollectionId)> {
    let mut parts = sk.splitn(3, '#');
    let (_day, t, c) = (parts.next()?, parts.next()?, parts.next()?);
    Some((TenantId::parse(t).ok()?, CollectionId::parse(c).ok()?))
}

/// Submitted collections with mail left to send (a receipt, a review notice), in the
/// `by_due` index: a partition of their own, sorted by submission time.
pub const OUTBOX_PK: &str = "MAIL#OUTBOX";

/// `{rfc3339 ms}#{tenant}#{collection}`: read back by `parse_remind_sk`.
pub fn outbox_sk(at: chrono::DateTime<chrono::Utc>, t: &TenantId, c: &CollectionId) -> String {
    format!("{}#{t}#{c}", mynumber_domain::record::timestamp(at))
}

/// When the tenant's last review notice went (`W`: waiting for review).
pub fn review_notice_key(t: &TenantId) -> Item {
    key(format!("T#{t}#W"), "REVIEW_NOTICE")
}

/// The tenants whose weekly digest falls on `weekday`, in the `by_due` index (the settings
/// item carries it while it names HR recipients; `due_sk` is the tenant).
pub fn digest_pk(weekday: mynumber_domain::notification::Weekday) -> String {
    format!("DIGEST#{}", weekday.code())
}

/// The day the tenant's last digest went (one a day however the schedule delivers).
pub fn digest_turn_key(t: &TenantId) -> Item {
    key(format!("T#{t}#W"), "DIGEST")
}

/// The tenant's notification settings.
pub fn notification_settings_key(t: &TenantId) -> Item {
    key(format!("T#{t}#S"), "NOTIFICATIONS")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pk_sk(item: &Item) -> (&str, &str) {
        let get = |k| item[k].as_s().unwrap().as_str();
        (get(PK), get(SK))
    }

    /// The layout above, as stored: these keys are in tables already.
    #[test]
    fn keys_are_the_documented_layout() {
        let t = TenantId::parse("acme").unwrap();
        let e = EmployeeId::parse("E1").unwrap();
        let r = RecordId::new_random();
        assert_eq!(
            pk_sk(&record_key(&t, &r)),
            (&*format!("T#acme#R#{r}"), "RECORD")
        );
        assert_eq!(
            pk_sk(&slot_key(&t, &e, Slot::OwnNumber)),
            ("T#acme#E#E1", "SLOT#self")
        );
        assert_eq!(
            pk_sk(&member_key(&t, &e, &r)),
            ("T#acme#E#E1", &*format!("REC#{r}"))
        );
        assert_eq!(pk_sk(&revision_key(&t, &e)), ("T#acme#E#E1", "REV"));
        assert_eq!(pk_sk(&departure_key(&t, &e)), ("T#acme#E#E1", "DEPARTURE"));
        assert_eq!(pk_sk(&idempotency_key(&t, "k")), ("T#acme#I#k", "IDEM"));
        let hour = DateTime::parse_from_rfc3339("2026-04-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let sub = Subject::parse("alice").unwrap();
        assert_eq!(
            pk_sk(&quota_key(&t, &sub, hour)),
            ("T#acme#Q#alice#2026-04-01T09", "QUOTA")
        );
        let audit = audit_key(Some(&t), "2026-04-01T09:00:00.000Z");
        assert_eq!(pk_sk(&audit).0, "T#acme#A#2026-04-01");
        assert!(pk_sk(&audit).1.starts_with("2026-04-01T09:00:00.000Z#"));
        assert_eq!(pk_sk(&audit_key(None, "x")).0, "T#-#A#0000-00-00");
        assert_eq!(listing_sk(42, &r), format!("0000000000042#{r}"));
        assert_eq!(disposals_pk(&t), "T#acme#D");
        assert_eq!(owner_records_pk(&t, &e), "T#acme#E#E1#R");
        assert_eq!(owner_disposals_pk(&t, &e), "T#acme#E#E1#D");
    }

    #[test]
    fn due_keys_sort_by_the_day_gone() {
        let t = TenantId::parse("acme").unwrap();
        let r = RecordId::new_random();
        let day = |d| NaiveDate::from_ymd_opt(2030, 1, d).unwrap();
        let sk = due_sk(day(10), &t, &r);
        assert_eq!(sk, format!("2030-01-10#acme#{r}"));
        assert_eq!(parse_due_sk(&sk), Some((t, r.clone())));
        // Gone on the 10th: within "through the 10th" and "from the 10th", not "from the 11th".
        assert!(sk < due_sk_gone_through(day(10)) && sk >= due_sk_gone_from(day(10)));
        assert!(sk < due_sk_gone_from(day(11)) && sk > due_sk_gone_through(day(9)));
        assert!(due_pk(&r).starts_with("DUE#"));
        let start = due_start(3, &sk).unwrap();
        assert_eq!(start[DUE_PK].as_s().unwrap(), "DUE#3");
        assert_eq!(start[DUE_SK].as_s().unwrap(), &sk);
        assert_eq!(pk_sk(&start).0, format!("T#acme#R#{r}"));
        assert_eq!(due_start(3, "not-a-due-key"), None);
    }

    #[test]
    fn document_keys_sit_beside_their_collection() {
        let t = TenantId::parse("acme").unwrap();
        let c = CollectionId::new_random();
        let d = DocumentId::new_random();
        assert_eq!(
            pk_sk(&document_key(&t, &c, &d)),
            (&*format!("T#acme#C#{c}"), &*format!("DOC#{d}"))
        );
        let day = NaiveDate::from_ymd_opt(2030, 1, 10).unwrap();
        let sk = document_due_sk(day, &t, &c, &d);
        assert_eq!(sk, format!("2030-01-10#acme#{c}#{d}"));
        assert_eq!(parse_document_due_sk(&sk), Some((t, c, d)));
        assert!(sk < due_sk_gone_from(day.succ_opt().unwrap()));
        assert_eq!(parse_document_due_sk("2030-01-10#acme#x"), None);
    }
}
