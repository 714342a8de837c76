//! Collection links, their photos, their submissions and the review's confirmation.

use super::*;

pub(super) fn document(c: &Collection, kind: DocumentKind) -> Document {
    Document {
        document_id: DocumentId::new_random(),
        tenant_id: c.tenant_id.clone(),
        collection_id: c.collection_id.clone(),
        kind,
        content_type: DocumentType::Jpeg,
        bytes: 1_000,
        created_at: now(),
        record_id: None,
        due_on: c.expires_at.date_naive(),
    }
}

pub(super) async fn a_link_replaces_the_last_one_and_locks_after_five_invalid_attempts(
    store: &(impl Store + ?Sized),
) {
    let (t, e) = (tenant(), employee("E1"));
    let first = link("E1", now());
    store.open_collection(&first, None, None).await.unwrap();
    let second = link("E1", now() + Duration::minutes(1));
    assert_eq!(
        store.open_collection(&second, None, None).await,
        Err(UpdateError::Concurrent),
        "the pointer names the first link now"
    );
    assert_eq!(
        store.latest_collection(&t, &e).await.unwrap(),
        Some(first.collection_id.clone())
    );
    let opened = store.collection_by_token(&first.token).await.unwrap();
    assert_eq!(
        opened.map(|c| c.collection_id),
        Some(first.collection_id.clone())
    );
    let unknown = CollectionToken::new_random().digest();
    assert!(store.collection_by_token(&unknown).await.unwrap().is_none());

    store
        .open_collection(&second, Some(&first.collection_id), Some(&first))
        .await
        .unwrap();
    let replaced = store
        .get_collection(&t, &first.collection_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(replaced.state, CollectionState::Cancelled);
    assert_eq!(
        store.cancel_collection(&first).await,
        Err(UpdateError::Concurrent),
        "cancelled already: the version read is stale"
    );

    for n in 1..=4 {
        store.count_invalid_attempt(&second).await.unwrap();
        let c = store
            .get_collection(&t, &second.collection_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((c.attempts, c.state), (n, CollectionState::Open));
    }
    store.count_invalid_attempt(&second).await.unwrap();
    let locked = store
        .get_collection(&t, &second.collection_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(locked.state, CollectionState::Locked);
    assert!(locked.version > second.version);
    assert_eq!(
        store.count_invalid_attempt(&second).await,
        Err(UpdateError::Concurrent)
    );

    let all = CollectionFilter::default();
    let first_page = store
        .list_collections(&t, &all, now(), &page(1, None))
        .await
        .unwrap();
    assert_eq!(first_page.items.len(), 1);
    assert_eq!(
        first_page.items[0].collection_id, second.collection_id,
        "newest first"
    );
    let rest = store
        .list_collections(&t, &all, now(), &page(1, first_page.next_cursor))
        .await
        .unwrap();
    assert_eq!(
        rest.items
            .iter()
            .map(|c| &c.collection_id)
            .collect::<Vec<_>>(),
        vec![&first.collection_id]
    );
}

pub(super) async fn documents_fill_an_open_link_and_follow_its_submission(
    store: &(impl Store + ?Sized),
) {
    let t = tenant();
    let c = link("E1", now());
    store.open_collection(&c, None, None).await.unwrap();
    let mut docs = Vec::new();
    for _ in 0..MAX_DOCUMENTS {
        let d = document(&c, DocumentKind::PhotoId);
        store.add_document(&c, &d, now()).await.unwrap();
        docs.push(d);
    }
    let extra = document(&c, DocumentKind::Other);
    assert_eq!(
        store.add_document(&c, &extra, now()).await,
        Err(AddDocumentError::Limit)
    );
    let withdrawn = docs.pop().unwrap();
    store
        .withdraw_document(&withdrawn.reference())
        .await
        .unwrap();
    assert!(
        DocumentEntries::get_document(store, &withdrawn.reference())
            .await
            .unwrap()
            .is_none()
    );
    store.add_document(&c, &extra, now()).await.unwrap();
    docs.push(extra);
    assert_eq!(
        store
            .get_collection(&t, &c.collection_id)
            .await
            .unwrap()
            .unwrap()
            .document_ids
            .len(),
        MAX_DOCUMENTS
    );

    // The submission: one pending record, the first photo attached to it, the rest released.
    let mut pending = child("E1", 1);
    pending.source = Source::SelfService;
    pending.content = Content::Pending {
        submitted: Submitted {
            collection_id: c.collection_id.clone(),
            number_document: Some(NumberCheck::MyNumberCard),
            identity_document: Some(IdentityCheck::MyNumberCard),
        },
        ciphertext: Ciphertext(vec![7; 20]),
    };
    let review_due = today() + Duration::days(30);
    let released_on = today();
    let changes: Vec<_> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| match i {
            0 => DocumentChange::Attach {
                document: d.reference(),
                record_id: pending.record_id.clone(),
                due_on: review_due,
            },
            _ => DocumentChange::Release {
                document: d.reference(),
                due_on: released_on,
            },
        })
        .collect();
    store
        .submit(&c, vec![new(pending.clone())], changes.clone(), None)
        .await
        .unwrap();
    let submitted = store
        .get_collection(&t, &c.collection_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(submitted.state, CollectionState::Submitted);
    assert!(
        store
            .get_record(&t, &pending.record_id)
            .await
            .unwrap()
            .is_some()
    );
    let attached = store
        .record_documents(&t, &c.collection_id, &pending.record_id)
        .await
        .unwrap();
    assert_eq!(
        attached.iter().map(|d| &d.document_id).collect::<Vec<_>>(),
        vec![&docs[0].document_id]
    );
    assert_eq!(attached[0].due_on, review_due);

    // Once is all: the link read before is no longer as it was.
    let mut twice = child("E1", 2);
    twice.source = Source::SelfService;
    assert_eq!(
        store
            .submit(&c, vec![new(twice.clone())], Vec::new(), None)
            .await,
        Err(CreateError::CollectionChanged)
    );
    assert_eq!(store.get_record(&t, &twice.record_id).await.unwrap(), None);
    assert_eq!(
        store
            .add_document(&c, &document(&c, DocumentKind::Other), now())
            .await,
        Err(AddDocumentError::Closed)
    );

    // The purge finds the released photos due, and the attached one when its day comes.
    let mut due: Vec<_> = store
        .due_documents(released_on, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.document_id)
        .collect();
    due.sort();
    let mut released: Vec<_> = docs[1..].iter().map(|d| d.document_id.clone()).collect();
    released.sort();
    assert_eq!(due, released);
    for d in &docs[1..] {
        DueDocuments::forget_document(store, &d.reference())
            .await
            .unwrap();
    }
    assert!(
        store
            .due_documents(released_on, 100)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .document_due(&docs[0].reference(), released_on)
        .await
        .unwrap();
    assert_eq!(
        store.due_documents(released_on, 100).await.unwrap().len(),
        1
    );
}

pub(super) async fn a_pending_record_is_confirmed_once(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let c = link("E1", now());
    store.open_collection(&c, None, None).await.unwrap();
    let mut pending = own("E1", 1);
    pending.source = Source::SelfService;
    pending.content = Content::Pending {
        submitted: Submitted {
            collection_id: c.collection_id.clone(),
            number_document: Some(NumberCheck::MyNumberCard),
            identity_document: Some(IdentityCheck::MyNumberCard),
        },
        ciphertext: Ciphertext(vec![7; 20]),
    };
    store
        .submit(&c, vec![new(pending.clone())], Vec::new(), None)
        .await
        .unwrap();
    let read = store
        .get_record(&t, &pending.record_id)
        .await
        .unwrap()
        .unwrap();
    store
        .confirm_record(&read.metadata(), &verification())
        .await
        .unwrap();
    let confirmed = store
        .get_record(&t, &pending.record_id)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(confirmed.content, Content::Active { .. }));
    assert!(confirmed.version > read.version);
    assert_eq!(
        store
            .confirm_record(&read.metadata(), &verification())
            .await,
        Err(UpdateError::Concurrent)
    );
    // A twin submission of the same link is told the link changed, though its own
    // number's slot is taken too: the link decides.
    let mut twin = own("E1", 3);
    twin.source = Source::SelfService;
    assert_eq!(
        store.submit(&c, vec![new(twin)], Vec::new(), None).await,
        Err(CreateError::CollectionChanged)
    );
}

pub(super) async fn a_submission_s_mail_waits_in_the_outbox_with_its_address_until_settled(
    store: &(impl Store + ?Sized),
) {
    use mynumber_domain::notification::{EmailAddress, Outbox, Received};
    let t = tenant();
    let mut c = link("E1", now());
    c.email = Some(EmailAddress::parse("taro@example.co.jp").unwrap());
    c.mailed_at = Some(now());
    store.open_collection(&c, None, None).await.unwrap();
    let mut pending = child("E1", 1);
    pending.source = Source::SelfService;
    let outbox = Outbox {
        submitted_at: now() + Duration::minutes(5),
        receipt: Some(Received {
            own_number: true,
            spouse: false,
            dependents: 1,
            photos: 0,
        }),
        review: true,
    };
    store
        .submit(&c, vec![new(pending)], Vec::new(), Some(&outbox))
        .await
        .unwrap();
    assert_eq!(
        store.outbox().await.unwrap(),
        vec![(t.clone(), c.collection_id.clone())]
    );
    let read = store
        .reminder_link(&t, &c.collection_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.outbox.as_ref(), Some(&outbox));
    assert!(
        read.email.is_some(),
        "the receipt's address is kept until it is sent"
    );
    assert!(
        store
            .links_to_remind(today() + Duration::days(30))
            .await
            .unwrap()
            .is_empty()
    );

    // The receipt goes: the address with it; the review notice is still owed.
    let left = outbox.after(true, false);
    assert_eq!(
        store.settle_outbox(&c, left.as_ref()).await,
        Err(UpdateError::Concurrent)
    );
    store.settle_outbox(&read, left.as_ref()).await.unwrap();
    let read = store
        .reminder_link(&t, &c.collection_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.email, None);
    assert_eq!(read.outbox, left);
    assert_eq!(store.outbox().await.unwrap().len(), 1);
    store.settle_outbox(&read, None).await.unwrap();
    assert!(store.outbox().await.unwrap().is_empty());

    // One review notice an hour a tenant.
    assert!(store.review_notice_turn(&t, now()).await.unwrap());
    assert!(
        !store
            .review_notice_turn(&t, now() + Duration::minutes(59))
            .await
            .unwrap()
    );
    assert!(
        store
            .review_notice_turn(&TenantId::parse("other").unwrap(), now())
            .await
            .unwrap()
    );
    assert!(
        store
            .review_notice_turn(&t, now() + Duration::minutes(60))
            .await
            .unwrap()
    );
}
