//! Roles, principals and the access policy (SPEC §1, §2.4).

use crate::ids::{Subject, TenantId};
use std::collections::BTreeSet;

crate::words::vocabulary! {
    pub enum Role {
        /// 収集担当
        Registrar = "registrar",
        /// 事務取扱担当者
        Handler = "handler",
        /// 監査担当
        Auditor = "auditor",
        Admin = "admin",
    }
}

crate::words::vocabulary! {
    pub enum Action {
        RegisterRecord = "register_record",
        ListRecords = "list_records",
        RevealNumber = "reveal_number",
        RecordDeparture = "record_departure",
        CancelDeparture = "cancel_departure",
        DisposeRecord = "dispose_record",
        ListDisposals = "list_disposals",
        CreateCollection = "create_collection",
        ListCollections = "list_collections",
        CancelCollection = "cancel_collection",
        /// Email an open link again to the address it was sent to.
        ResendLink = "resend_link",
        ConfirmRecord = "confirm_record",
        RejectRecord = "reject_record",
        /// List and view the document photos of a submission pending review.
        ReviewDocuments = "review_documents",
        RequestExport = "request_export",
        /// Approve another person's export (four eyes).
        ApproveExport = "approve_export",
        /// Download one's own approved export.
        DownloadExport = "download_export",
        ListExports = "list_exports",
        /// Read and change the tenant's notification settings (SPEC §4d).
        ManageNotifications = "manage_notifications",
        /// Read the sent log (masked addresses).
        ListNotifications = "list_notifications",
        /// Issue a deletion certificate (SPEC §4e).
        IssueCertificate = "issue_certificate",
        /// List and download deletion certificates, and read the tenant's display name.
        ReadCertificates = "read_certificates",
        /// Set the tenant's display name, which certificates print.
        ManageOrganization = "manage_organization",
        /// Read the record of handling (取扱状況): the durable trail of reveals, document
        /// views, exports' numbers and refused reveals.
        ReadHandling = "read_handling",
        /// Read the home page's counts: what needs doing and what falls due (no list,
        /// no number).
        ReadSummary = "read_summary",
    }
}

impl Action {
    /// The one place that says which role may do what. Only handlers see numbers;
    /// an admin configures the tenant and sees no record unless given another role too.
    pub fn allowed_roles(self) -> &'static [Role] {
        match self {
            Action::RegisterRecord
            | Action::RecordDeparture
            | Action::CancelDeparture
            | Action::DisposeRecord
            | Action::CreateCollection
            | Action::CancelCollection
            | Action::ResendLink
            | Action::ConfirmRecord
            | Action::RejectRecord
            | Action::ReviewDocuments => &[Role::Registrar],
            Action::ListCollections => &[Role::Registrar, Role::Auditor],
            Action::ListRecords => &[Role::Registrar, Role::Handler, Role::Auditor],
            Action::RevealNumber | Action::RequestExport | Action::DownloadExport => {
                &[Role::Handler]
            }
            // An admin may be the second pair of eyes without seeing a number: the file
            // is the requester's alone.
            Action::ApproveExport => &[Role::Handler, Role::Admin],
            Action::ListExports => &[Role::Handler, Role::Auditor, Role::Admin],
            Action::ListDisposals => &[Role::Auditor, Role::Registrar],
            Action::ManageNotifications | Action::ManageOrganization => &[Role::Admin],
            Action::IssueCertificate | Action::ReadCertificates => &[Role::Auditor, Role::Admin],
            Action::ListNotifications => &[Role::Registrar, Role::Auditor],
            Action::ReadHandling => &[Role::Auditor],
            Action::ReadSummary => &[Role::Registrar, Role::Handler, Role::Auditor, Role::Admin],
        }
    }
}

/// Who is calling, from the authorizer's claims: always bound to exactly one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub sub: Subject,
    pub tenant: TenantId,
    pub roles: BTreeSet<Role>,
}

impl Principal {
    pub fn may(&self, action: Action) -> bool {
        action
            .allowed_roles()
            .iter()
            .any(|r| self.roles.contains(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(roles: &[Role]) -> Principal {
        Principal {
            sub: Subject::parse("u1").unwrap(),
            tenant: TenantId::parse("t1").unwrap(),
            roles: roles.iter().copied().collect(),
        }
    }

    #[test]
    fn every_role_by_every_action() {
        use Action::*;
        use Role::*;
        let expected: &[(Role, &[Action])] = &[
            (
                Registrar,
                &[
                    RegisterRecord,
                    ListRecords,
                    RecordDeparture,
                    CancelDeparture,
                    DisposeRecord,
                    ListDisposals,
                    CreateCollection,
                    ListCollections,
                    CancelCollection,
                    ResendLink,
                    ConfirmRecord,
                    RejectRecord,
                    ReviewDocuments,
                    ListNotifications,
                    ReadSummary,
                ],
            ),
            (
                Handler,
                &[
                    ListRecords,
                    RevealNumber,
                    RequestExport,
                    ApproveExport,
                    DownloadExport,
                    ListExports,
                    ReadSummary,
                ],
            ),
            (
                Auditor,
                &[
                    ListRecords,
                    ListDisposals,
                    ListCollections,
                    ListExports,
                    ListNotifications,
                    IssueCertificate,
                    ReadCertificates,
                    ReadHandling,
                    ReadSummary,
                ],
            ),
            (
                Admin,
                &[
                    ApproveExport,
                    ListExports,
                    ManageNotifications,
                    IssueCertificate,
                    ReadCertificates,
                    ManageOrganization,
                    ReadSummary,
                ],
            ),
        ];
        for (role, allowed) in expected {
            for &action in Action::ALL {
                assert_eq!(
                    principal(&[*role]).may(action),
                    allowed.contains(&action),
                    "{role:?} {action:?}"
                );
            }
        }
        for &action in Action::ALL {
            assert!(!principal(&[]).may(action), "no roles may do {action:?}");
        }
    }

    #[test]
    fn admin_who_is_also_handler_may_reveal() {
        assert!(principal(&[Role::Admin, Role::Handler]).may(Action::RevealNumber));
    }

    #[test]
    fn role_names() {
        for &r in Role::ALL {
            let name = serde_json::to_value(r).unwrap();
            assert_eq!(Role::parse(name.as_str().unwrap()), Some(r));
        }
        assert_eq!(Role::parse("Handler"), None);
    }
}
