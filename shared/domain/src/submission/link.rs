//! The employee's side has no principal: a link's token is its credential. A request is
//! admitted once its link is found open, then parsed; the open link is the guard the use
//! case runs under, and emits the request's one audit event however it ends.

use super::*;
use crate::audit::Reason;
use crate::usecase::Refusal;
use std::marker::PhantomData;

impl SubmissionService {
    /// Opens the link a request's credential names for operation `O`, then parses the
    /// request with `parse`: nothing is parsed before the link is known open, and a
    /// refusal or a parse failure is audited here as `O`'s event (a submission's invalid
    /// input counts against the link first). What comes back is the plain input and the
    /// open link the operation runs on.
    pub async fn admit<'a, O: LinkOperation, I, E: Refusal + From<VaultError>>(
        &'a self,
        caller: &'a Caller,
        credential: &LinkCredential,
        parse: impl FnOnce() -> Result<I, E>,
    ) -> Result<(OpenLink<'a, O>, I), E> {
        let now = self.core.now();
        let mut event = AuditEvent::new(O::KIND, None, caller, now);
        let collection = match self.open(caller, credential, now).await {
            Ok(c) => c,
            Err(e) => return Err(E::from(self.core.refused(event, e))),
        };
        name_collection(&mut event, &collection);
        let link = OpenLink {
            service: self,
            collection,
            now,
            event: Some(event),
            op: PhantomData,
        };
        match parse() {
            Ok(input) => Ok((link, input)),
            Err(e) => Err(link.refuse(e).await),
        }
    }
}

/// An operation on a link: its audit event, and whether a request that does not parse
/// counts against the link (a submission's does, so a guesser gets five answers).
pub trait LinkOperation {
    const KIND: AuditKind;
    const COUNTS_INVALID: bool;
}

/// The employee's operations, each a type, so that a use case takes only a link opened
/// for it.
pub mod link_ops {
    use super::LinkOperation;
    use crate::audit::AuditKind;

    pub struct View;
    pub struct Upload;
    pub struct Submit;

    impl LinkOperation for View {
        const KIND: AuditKind = AuditKind::CollectionViewed;
        const COUNTS_INVALID: bool = false;
    }
    impl LinkOperation for Upload {
        const KIND: AuditKind = AuditKind::DocumentUpload;
        const COUNTS_INVALID: bool = false;
    }
    impl LinkOperation for Submit {
        const KIND: AuditKind = AuditKind::Submission;
        const COUNTS_INVALID: bool = true;
    }
}

/// A link found open for one request of operation `O`, and `O`'s audit event, which goes
/// out exactly once however the call ends (a cancelled request is audited as failed).
pub struct OpenLink<'a, O: LinkOperation> {
    service: &'a SubmissionService,
    collection: Collection,
    now: DateTime<Utc>,
    event: Option<AuditEvent>,
    op: PhantomData<fn() -> O>,
}

impl<O: LinkOperation> OpenLink<'_, O> {
    /// Audits `e` (a parse failure) as the operation's outcome, counting it against the
    /// link first where the operation says so, and gives back the answer.
    async fn refuse<E: Refusal + From<VaultError>>(mut self, e: E) -> E {
        // Fields that break their rules are an attempt; a transport refusal (a body too
        // large, a media type) is not.
        let invalid_fields =
            e.outcome() == Outcome::Invalid && e.reason() == Reason::InvalidRequest;
        let e = if invalid_fields && O::COUNTS_INVALID {
            match self.service.count_invalid_attempt(&self.collection).await {
                Ok(()) => e,
                Err(unusable) => E::from(unusable),
            }
        } else {
            e
        };
        let event = self.event.take().expect("emitted once");
        self.service.core.refused(event, e)
    }

    pub(super) async fn run<T>(
        mut self,
        body: impl AsyncFnOnce(&mut AuditEvent, &Collection, DateTime<Utc>) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        // The event stays in the guard while the work runs: a request dropped half-way
        // is still audited (as failed) by `Drop`.
        let result = {
            let event = self.event.as_mut().expect("run once");
            body(event, &self.collection, self.now).await
        };
        let event = self.event.take().expect("run once");
        self.service
            .core
            .finish(event, result.as_ref().err().map(|e| e as &dyn Refusal));
        result
    }
}

impl<O: LinkOperation> Drop for OpenLink<'_, O> {
    fn drop(&mut self) {
        if let Some(event) = self.event.take() {
            self.service.core.refused(event, VaultError::Unavailable);
        }
    }
}
