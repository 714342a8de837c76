//! The in-memory adapter lives beside the DynamoDB store (`mynumber_aws::memory`); this
//! module adds what only the tests build on it.

pub use mynumber_aws::memory::*;

/// The registrar's review use cases on a memory store, mail kept by a memory mailer.
pub fn review_on(
    core: mynumber_domain::Core,
    store: std::sync::Arc<MemoryStore>,
) -> (
    mynumber_domain::review::ReviewService,
    mynumber_domain::notify::NotificationService,
) {
    let notifier = mynumber_domain::notify::Notifier::new(
        std::sync::Arc::new(MemoryMailer::default()),
        store.clone(),
        store.clone(),
        crate::PUBLIC_BASE_URL,
    );
    (
        mynumber_domain::review::ReviewService::new(
            core.clone(),
            store,
            std::sync::Arc::new(MemoryObjects::default()),
        )
        .with_mail(notifier.clone()),
        mynumber_domain::notify::NotificationService::new(core, notifier),
    )
}
