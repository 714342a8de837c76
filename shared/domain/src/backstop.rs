//! The backstop function's use case: a record DynamoDB TTL deleted before the purge
//! could gets its disposal record anyway. No cipher, no reads of numbers.

use crate::audit::{AuditEvent, Caller};
use crate::disposal::{DisposalReason, DisposalRecord, Disposer};
use crate::error::VaultError;
use crate::ports::{Disposed, TtlDisposals};
use crate::record::Record;
use crate::usecase::Core;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub struct BackstopService {
    core: Core,
    store: Arc<dyn TtlDisposals>,
}

impl BackstopService {
    pub fn new(core: Core, store: Arc<dyn TtlDisposals>) -> Self {
        BackstopService { core, store }
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    /// A record DynamoDB TTL deleted (seen on the table's stream): its disposal record
    /// (reason `ttl_backstop`, by `dynamodb_ttl`, at the deletion's time) and a disposal
    /// audit event. A stream record delivered again writes nothing new.
    pub async fn record_ttl_deletion(
        &self,
        caller: &Caller,
        record: &Record<()>,
        deleted_at: DateTime<Utc>,
    ) -> Result<Disposed, VaultError> {
        let disposal = DisposalRecord::for_record(
            record,
            DisposalReason::TtlBackstop,
            Disposer::DynamodbTtl,
            deleted_at,
            self.core.config.backup_window_days,
        );
        let outcome = self.store.record_ttl_disposal(record, &disposal).await?;
        if outcome == Disposed::Now {
            self.core.emit(&AuditEvent::disposal(
                &disposal,
                caller,
                None,
                self.core.now(),
            ));
        }
        Ok(outcome)
    }
}
