//! Exports and the records they select.

use super::*;

pub(super) fn export(at: DateTime<Utc>) -> Export {
    Export {
        tenant_id: tenant(),
        export_id: ExportId::new_at(at),
        purpose: Purpose::WithholdingTax,
        selection: Selection::All,
        record_count: 2,
        requested_by: by(),
        requested_at: at,
        stage: Stage::PendingApproval,
        version: 1,
    }
}

pub(super) async fn exports_change_on_condition_of_their_version(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let e = export(now());
    store.put_export(&e).await.unwrap();
    assert_eq!(
        store.get_export(&t, &e.export_id).await.unwrap(),
        Some(e.clone())
    );
    let approval = Approval {
        by: Subject::parse("hr-b").unwrap(),
        at: now() + Duration::minutes(5),
    };
    let approved = e.with_stage(Stage::Approved(approval));
    store.update_export(&approved).await.unwrap();
    assert_eq!(
        store.update_export(&approved).await,
        Err(UpdateError::Concurrent),
        "the second approval read the first version"
    );
    assert_eq!(
        store.get_export(&t, &e.export_id).await.unwrap(),
        Some(approved)
    );
    let later = export(now() + Duration::hours(1));
    store.put_export(&later).await.unwrap();
    let first = store.list_exports(&t, &page(1, None)).await.unwrap();
    assert_eq!(first.items[0].export_id, later.export_id, "newest first");
    let rest = store
        .list_exports(&t, &page(1, first.next_cursor))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].export_id, e.export_id);

    let a = own("E1", 1);
    let b = child("E2", 2);
    store.create_record(new(a.clone())).await.unwrap();
    store.create_record(new(b.clone())).await.unwrap();
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.tenant_records(&t, cursor.as_ref()).await.unwrap();
        all.extend(page.items.into_iter().map(|r| r.record_id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    all.sort();
    let mut expected = vec![a.record_id.clone(), b.record_id.clone()];
    expected.sort();
    assert_eq!(all, expected);
    let with_numbers = store
        .records_with_numbers(&t, std::slice::from_ref(&a.record_id))
        .await
        .unwrap();
    assert_eq!(with_numbers.len(), 1);
    assert!(matches!(
        &with_numbers[0].content,
        Content::Active { ciphertext, .. } if ciphertext.0 == vec![7; 20]
    ));
}
