//! The retention clock: departures, disposal and its log, due days.

use super::*;

pub(super) async fn a_departure_changes_every_record_on_condition_nothing_changed(
    store: &(impl Store + ?Sized),
) {
    let (t, e) = (tenant(), employee("E1"));
    let mine = own("E1", 1);
    let theirs = child("E1", 2);
    store.create_record(new(mine.clone())).await.unwrap();
    store.create_record(new(theirs.clone())).await.unwrap();
    let read = store
        .employee_records(&t, &e, EmployeeRead::Consistent)
        .await
        .unwrap();
    assert_eq!(read.records.len(), 2);
    assert_eq!(read.departure, None);
    let left = departure(today() + Duration::days(400));
    let changes: Vec<_> = read
        .records
        .iter()
        .map(|r| DepartureChange {
            record: r.clone(),
            departure: Some(left),
        })
        .collect();
    store
        .set_departures(&t, &e, Some(left), &changes, &read)
        .await
        .unwrap();
    assert_eq!(store.employee_departure(&t, &e).await.unwrap(), Some(left));
    for r in [&mine, &theirs] {
        let now_held = store.get_record(&t, &r.record_id).await.unwrap().unwrap();
        assert_eq!(now_held.departure, Some(left));
        assert!(now_held.version > r.version);
    }
    // The read is stale now: the same change again is refused.
    assert_eq!(
        store.set_departures(&t, &e, None, &changes, &read).await,
        Err(UpdateError::Concurrent)
    );
    // A record registered as if the employee had not left is refused too.
    assert_eq!(
        store.create_record(new(child("E1", 3))).await,
        Err(CreateError::DepartureChanged)
    );
    let mut knowing = new(child("E1", 3));
    knowing.employee_departure = Some(left);
    knowing.record.departure = Some(left);
    store.create_record(knowing).await.unwrap();
    // A record registered after the read makes the read stale.
    let reread = store
        .employee_records(&t, &e, EmployeeRead::Consistent)
        .await
        .unwrap();
    assert_eq!(reread.records.len(), 3);
    let mut late = new(child("E1", 4));
    late.employee_departure = Some(left);
    late.record.departure = Some(left);
    store.create_record(late).await.unwrap();
    let back: Vec<_> = reread
        .records
        .iter()
        .map(|r| DepartureChange {
            record: r.clone(),
            departure: None,
        })
        .collect();
    assert_eq!(
        store.set_departures(&t, &e, None, &back, &reread).await,
        Err(UpdateError::Concurrent)
    );
}

pub(super) async fn a_disposal_deletes_once_and_is_logged(store: &(impl Store + ?Sized)) {
    let (t, e) = (tenant(), employee("E1"));
    let r = own("E1", 1);
    store.create_record(new(r.clone())).await.unwrap();
    let d = disposal(&r.metadata());
    assert_eq!(
        store.dispose(&r.metadata(), &d).await.unwrap(),
        Disposed::Now
    );
    assert_eq!(store.get_record(&t, &r.record_id).await.unwrap(), None);
    assert_eq!(
        store.slot_holder(&t, &e, Slot::OwnNumber).await.unwrap(),
        None
    );
    assert_eq!(
        store.number_holders(&t, &key(1)).await.unwrap(),
        NumberHolders::default()
    );
    assert_eq!(
        store.dispose(&r.metadata(), &d).await.unwrap(),
        Disposed::AlreadyGone
    );
    let log = store
        .list_disposals(&t, Some(&e), &page(10, None))
        .await
        .unwrap();
    assert_eq!(log.items.len(), 1);
    assert_eq!(log.items[0].record_id, r.record_id);
    assert_eq!(log.items[0].reason, DisposalReason::NoLongerNeeded);
    let all = store
        .list_disposals(&t, None, &page(10, None))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
    // The log pages: a second disposal, one a page.
    let other = child("E2", 5);
    store.create_record(new(other.clone())).await.unwrap();
    store
        .dispose(&other.metadata(), &disposal(&other.metadata()))
        .await
        .unwrap();
    let first = store
        .list_disposals(&t, None, &page(1, None))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 1);
    let rest = store
        .list_disposals(&t, None, &page(1, first.next_cursor))
        .await
        .unwrap();
    let mut paged: Vec<_> = first
        .items
        .iter()
        .chain(&rest.items)
        .map(|d| d.record_id.clone())
        .collect();
    paged.sort();
    let mut expected = vec![r.record_id.clone(), other.record_id.clone()];
    expected.sort();
    assert_eq!(paged, expected);
    // The slot and the number are free again.
    store.create_record(new(own("E1", 1))).await.unwrap();
}

pub(super) async fn records_fall_due_the_day_after_their_last_day(store: &(impl Store + ?Sized)) {
    let last_day = today() + Duration::days(30);
    let mut due = Vec::new();
    for t in ["acme", "globex"] {
        let t = TenantId::parse(t).unwrap();
        let e = employee("E1");
        let r = record(&t, "E1", Relation::OwnNumber, Some(1));
        due.push(r.record_id.clone());
        store.create_record(new(r)).await.unwrap();
        let read = store
            .employee_records(&t, &e, EmployeeRead::Consistent)
            .await
            .unwrap();
        let changes: Vec<_> = read
            .records
            .iter()
            .map(|r| DepartureChange {
                record: r.clone(),
                departure: Some(departure(last_day)),
            })
            .collect();
        store
            .set_departures(&t, &e, Some(departure(last_day)), &changes, &read)
            .await
            .unwrap();
    }
    store.create_record(new(own("E2", 2))).await.unwrap();
    assert!(
        store
            .due_records(last_day, None, 100)
            .await
            .unwrap()
            .items
            .is_empty(),
        "not due on its last day"
    );
    assert_eq!(store.due_count(last_day).await.unwrap(), 0);
    let day_after = last_day + Duration::days(1);
    let mut found = Vec::new();
    let mut cursor = None;
    loop {
        // One at a time: the schedule's paging, page by page.
        let page = store
            .due_records(day_after, cursor.as_ref(), 1)
            .await
            .unwrap();
        found.extend(page.items.into_iter().map(|r| r.record_id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    found.sort();
    due.sort();
    assert_eq!(found, due);
    assert_eq!(store.due_count(day_after).await.unwrap(), 2);
    let mut upcoming = store.upcoming(today(), last_day).await.unwrap();
    upcoming.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    assert_eq!(
        upcoming,
        vec![
            (TenantId::parse("acme").unwrap(), 1),
            (TenantId::parse("globex").unwrap(), 1)
        ]
    );
    assert!(
        store
            .upcoming(today(), last_day - Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
}
