//! The in-memory adapter lives beside the DynamoDB store (`mynumber_aws::memory`); this
//! module adds what only the tests build on it.

pub use mynumber_aws::memory::*;

/// The registrar's review use case on a memory store.
pub fn review_on(
    core: mynumber_domain::Core,
    store: std::sync::Arc<MemoryStore>,
) -> mynumber_domain::review::ReviewService {
    mynumber_domain::review::ReviewService::new(
        core,
        store,
        std::sync::Arc::new(MemoryObjects::default()),
    )
}
