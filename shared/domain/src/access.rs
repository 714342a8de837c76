//! Roles, principals and the access policy (SPEC §1, §2.4).

use crate::ids::{Subject, TenantId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 収集担当
    Registrar,
    /// 事務取扱担当者
    Handler,
    /// 監査担当
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Registrar, Role::Handler, Role::Auditor, Role::Admin];

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "registrar" => Some(Role::Registrar),
            "handler" => Some(Role::Handler),
            "auditor" => Some(Role::Auditor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    RegisterRecord,
    ListRecords,
    RevealNumber,
    RecordDeparture,
    CancelDeparture,
    DisposeRecord,
    ListDisposals,
    CreateCollection,
    ListCollections,
    CancelCollection,
    ConfirmRecord,
    RejectRecord,
    /// List and view the document photos of a submission pending review.
    ReviewDocuments,
    RequestExport,
    /// Approve another person's export (four eyes).
    ApproveExport,
    /// Download one's own approved export.
    DownloadExport,
    ListExports,
}

impl Action {
    pub const ALL: [Action; 17] = [
        Action::RegisterRecord,
        Action::ListRecords,
        Action::RevealNumber,
        Action::RecordDeparture,
        Action::CancelDeparture,
        Action::DisposeRecord,
        Action::ListDisposals,
        Action::CreateCollection,
        Action::ListCollections,
        Action::CancelCollection,
        Action::ConfirmRecord,
        Action::RejectRecord,
        Action::ReviewDocuments,
        Action::RequestExport,
        Action::ApproveExport,
        Action::DownloadExport,
        Action::ListExports,
    ];

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
                    ConfirmRecord,
                    RejectRecord,
                    ReviewDocuments,
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
                ],
            ),
            (
                Auditor,
                &[ListRecords, ListDisposals, ListCollections, ListExports],
            ),
            (Admin, &[ApproveExport, ListExports]),
        ];
        for (role, allowed) in expected {
            for action in Action::ALL {
                assert_eq!(
                    principal(&[*role]).may(action),
                    allowed.contains(&action),
                    "{role:?} {action:?}"
                );
            }
        }
        for action in Action::ALL {
            assert!(!principal(&[]).may(action), "no roles may do {action:?}");
        }
    }

    #[test]
    fn admin_who_is_also_handler_may_reveal() {
        assert!(principal(&[Role::Admin, Role::Handler]).may(Action::RevealNumber));
    }

    #[test]
    fn role_names() {
        for r in Role::ALL {
            let name = serde_json::to_value(r).unwrap();
            assert_eq!(Role::parse(name.as_str().unwrap()), Some(r));
        }
        assert_eq!(Role::parse("Handler"), None);
    }
}
