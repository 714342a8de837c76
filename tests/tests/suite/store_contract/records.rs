//! Records: slots and claims, listings, idempotency.

use super::*;

pub(super) async fn a_slot_and_a_number_are_claimed_once(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let first = own("E1", 1);
    store.create_record(new(first.clone())).await.unwrap();
    // The employee's own slot holds one record; the number one employee.
    let again = own("E1", 2);
    assert_eq!(
        store.create_record(new(again.clone())).await,
        Err(CreateError::SlotTaken)
    );
    let other = own("E2", 1);
    assert_eq!(
        store.create_record(new(other.clone())).await,
        Err(CreateError::DuplicateNumber)
    );
    // A dependant's record is filed under its number without claiming it.
    let dependant = child("E2", 1);
    store.create_record(new(dependant.clone())).await.unwrap();

    for refused in [&again, &other] {
        assert_eq!(
            store.get_record(&t, &refused.record_id).await.unwrap(),
            None
        );
    }
    let read = store
        .get_record(&t, &first.record_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.employee_id, first.employee_id);
    assert_eq!(read.number_key, Some(key(1)));
    let elsewhere = TenantId::parse("other").unwrap();
    assert_eq!(
        store
            .get_record(&elsewhere, &first.record_id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .slot_holder(&t, &employee("E1"), Slot::OwnNumber)
            .await
            .unwrap(),
        Some(first.record_id.clone())
    );
    let holders = store.number_holders(&t, &key(1)).await.unwrap();
    assert_eq!(
        holders.own_number.map(|h| h.record_id),
        Some(first.record_id.clone())
    );
    let mut filed: Vec<_> = holders.records.into_iter().map(|h| h.record_id).collect();
    filed.sort();
    let mut expected = vec![first.record_id, dependant.record_id];
    expected.sort();
    assert_eq!(filed, expected);
    assert_eq!(
        store.number_holders(&elsewhere, &key(1)).await.unwrap(),
        NumberHolders::default()
    );
}

pub(super) async fn an_employee_s_records_are_listed_page_by_page(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let mut written = Vec::new();
    for n in 1..=3 {
        let r = child("E1", n);
        written.push(r.record_id.clone());
        store.create_record(new(r)).await.unwrap();
    }
    store.create_record(new(child("E2", 9))).await.unwrap();
    let first = store
        .list_records(&t, &employee("E1"), &page(2, None))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.expect("a third record");
    let second = store
        .list_records(&t, &employee("E1"), &page(2, Some(cursor)))
        .await
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(second.next_cursor.is_none());
    let mut listed: Vec<_> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|r| r.record_id.clone())
        .collect();
    listed.sort();
    written.sort();
    assert_eq!(listed, written);
}

pub(super) async fn an_idempotency_key_holds_until_it_expires(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let digest = KeyDigest::from_mac(&[3; 32]);
    let entry = IdempotencyEntry {
        key: digest.clone(),
        fingerprint: vec![1, 2, 3],
        body: "{\"record_id\":\"x\"}".into(),
        expires_at: now() + Duration::hours(24),
    };
    let mut first = new(own("E1", 1));
    first.idempotency = Some(entry.clone());
    store.create_record(first).await.unwrap();
    let held = store
        .idempotency(&t, &digest, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (held.fingerprint, held.body),
        (entry.fingerprint.clone(), entry.body.clone())
    );
    // A second request under the key is refused, whatever it writes; nothing is written.
    let mut twin = new(own("E2", 2));
    twin.idempotency = Some(entry.clone());
    let twin_id = twin.record.record_id.clone();
    assert_eq!(
        store.create_record(twin).await,
        Err(CreateError::IdempotencyKeyUsed)
    );
    assert_eq!(store.get_record(&t, &twin_id).await.unwrap(), None);
    let later = now() + Duration::hours(25);
    assert_eq!(store.idempotency(&t, &digest, later).await.unwrap(), None);
    // An expired entry no longer holds the key.
    let mut after = new(own("E3", 3));
    after.record.created_at = later;
    after.idempotency = Some(IdempotencyEntry {
        expires_at: later + Duration::hours(24),
        ..entry
    });
    store.create_record(after).await.unwrap();
}

pub(super) async fn a_replaced_record_s_moved_claim_is_left_where_it_is(
    store: &(impl Store + ?Sized),
) {
    let t = tenant();
    let old = own("E1", 1);
    store.create_record(new(old.clone())).await.unwrap();
    // Once the old record fell past due, another employee's record took its claim over.
    let mut taker = new(own("E2", 1));
    taker.claim = NumberClaim::TakeOver {
        gone: old.record_id.clone(),
    };
    let taker_id = taker.record.record_id.clone();
    store.create_record(taker).await.unwrap();
    // Replacing the old record may not delete a claim that is no longer its own.
    let replacement = own("E1", 2);
    let mut replace = new(replacement.clone());
    replace.slot = SlotChange::Replace {
        old: Box::new(old.clone()),
        disposal: Box::new(disposal(&old.metadata())),
        free_claim: true,
    };
    assert_eq!(
        store.create_record(replace.clone()).await,
        Err(CreateError::OldClaimMoved)
    );
    assert_eq!(
        store.get_record(&t, &replacement.record_id).await.unwrap(),
        None,
        "nothing was written"
    );
    assert!(
        store
            .get_record(&t, &old.record_id)
            .await
            .unwrap()
            .is_some()
    );
    store
        .create_record(replace.keeping_old_claim())
        .await
        .unwrap();
    assert_eq!(store.get_record(&t, &old.record_id).await.unwrap(), None);
    let holders = store.number_holders(&t, &key(1)).await.unwrap();
    assert_eq!(holders.own_number.map(|h| h.record_id), Some(taker_id));
    assert_eq!(
        store
            .slot_holder(&t, &employee("E1"), Slot::OwnNumber)
            .await
            .unwrap(),
        Some(replacement.record_id)
    );
}

pub(super) async fn a_replace_of_a_slot_that_moved_finds_it_taken(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let first = own("E1", 1);
    store.create_record(new(first.clone())).await.unwrap();
    let replace = |old: &Record, by: Record| {
        let mut w = new(by);
        w.slot = SlotChange::Replace {
            old: Box::new(old.clone()),
            disposal: Box::new(disposal(&old.metadata())),
            free_claim: true,
        };
        w
    };
    let second = own("E1", 2);
    store
        .create_record(replace(&first, second.clone()))
        .await
        .unwrap();
    // A replace that read the first record, after another replaced it: the slot is taken.
    let late = own("E1", 3);
    assert_eq!(
        store.create_record(replace(&first, late.clone())).await,
        Err(CreateError::SlotTaken)
    );
    assert_eq!(store.get_record(&t, &late.record_id).await.unwrap(), None);
    assert!(
        store
            .get_record(&t, &second.record_id)
            .await
            .unwrap()
            .is_some()
    );
}
