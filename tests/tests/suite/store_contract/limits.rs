//! Quotas and counts.

use super::*;

pub(super) async fn quotas_and_counts_hold_their_limits(store: &(impl Store + ?Sized)) {
    let (t, sub) = (tenant(), by());
    let hour = now();
    let caller = mynumber_domain::audit::Caller {
        principal: Some(mynumber_domain::access::Principal {
            sub: sub.clone(),
            tenant: t.clone(),
            roles: [mynumber_domain::access::Role::Admin].into(),
        }),
        request_id: None,
        source_ip: None,
    };
    let event = mynumber_domain::audit::AuditEvent::new(
        mynumber_domain::audit::AuditKind::Reveal,
        Some(mynumber_domain::access::Action::RevealNumber),
        &caller,
        now(),
    );
    let expires = now() + Duration::days(400);
    let reveals: Vec<bool> = futures::future::join_all(
        (0..3).map(|_| store.record_reveal(&t, &sub, hour, 2, &event, expires)),
    )
    .await
    .into_iter()
    .map(Result::unwrap)
    .collect();
    assert_eq!(reveals.iter().filter(|ok| **ok).count(), 2, "{reveals:?}");
    let next_hour = hour + Duration::hours(1);
    assert!(
        store
            .record_reveal(&t, &sub, next_hour, 2, &event, expires)
            .await
            .unwrap()
    );
    store.append_audit(&event, expires).await.unwrap();

    let scope = MatchScope::Intake;
    let reserve = |n| store.reserve_matches(&t, &sub, scope, hour, n, 3);
    assert!(reserve(2).await.unwrap());
    assert!(!reserve(2).await.unwrap(), "2 + 2 > 3");
    assert!(reserve(0).await.unwrap(), "2 < 3 still admits");
    assert!(reserve(1).await.unwrap());
    assert!(!reserve(0).await.unwrap(), "3 of 3");
    store
        .release_matches(&t, &sub, scope, hour, 2)
        .await
        .unwrap();
    assert!(reserve(2).await.unwrap());
    assert!(
        store
            .reserve_matches(&t, &sub, MatchScope::Links, hour, 3, 3)
            .await
            .unwrap(),
        "another scope counts apart"
    );

    let client = ClientAddress::of("192.0.2.7".parse().unwrap());
    let minute = now();
    for _ in 0..2 {
        assert!(
            store
                .count_client_request(&client, minute, 2)
                .await
                .unwrap()
        );
    }
    assert!(
        !store
            .count_client_request(&client, minute, 2)
            .await
            .unwrap()
    );
    let other = ClientAddress::of("192.0.2.8".parse().unwrap());
    assert!(store.count_client_request(&other, minute, 2).await.unwrap());
    let next = minute + Duration::minutes(1);
    assert!(store.count_client_request(&client, next, 2).await.unwrap());
}
