//! The principal behind a request.
//!
//! In AWS the API Gateway JWT authorizer has verified the token and passes its claims in
//! `requestContext.authorizer.jwt.claims`:
//! - `sub`: the principal's id;
//! - `custom:tenant_id` (or `tenant_id`): the tenant the principal belongs to;
//! - `cognito:groups` (or `roles`): its roles — `registrar`, `handler`, `auditor`, `admin`.
//!   HTTP APIs flatten array claims to `[a b]`; `["a","b"]` and `a,b` are read too.
//!
//! Locally there is no authorizer. Only when the local scripts set `MYNUMBER_DEV_AUTH=1`
//! are the headers `x-dev-sub`, `x-dev-tenant` and `x-dev-roles` read instead; otherwise
//! they are ignored.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use mynumber_domain::{Caller, Principal, RequestId, Role, Subject, TenantId};
use std::collections::{BTreeSet, HashMap};

pub fn caller(req: &Request, dev_auth: bool) -> Caller {
    let ctx = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => Some(ctx),
        _ => None,
    };
    let request_id = ctx
        .and_then(|c| c.request_id.as_deref())
        .or_else(|| req.lambda_context_ref().map(|c| c.request_id.as_str()))
        .and_then(|id| RequestId::parse(id).ok());
    let source_ip = ctx
        .and_then(|c| c.http.source_ip.as_deref())
        .and_then(|ip| ip.parse().ok());
    let principal = if dev_auth {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        principal_from(
            header("x-dev-sub"),
            header("x-dev-tenant"),
            header("x-dev-roles"),
        )
    } else {
        ctx.and_then(|c| c.authorizer.as_ref())
            .and_then(|a| a.jwt.as_ref())
            .and_then(|jwt| from_claims(&jwt.claims))
    };
    Caller {
        principal,
        request_id,
        source_ip,
    }
}

fn from_claims(claims: &HashMap<String, String>) -> Option<Principal> {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| claims.get(*n).map(String::as_str))
    };
    principal_from(
        get(&["sub"]),
        get(&["custom:tenant_id", "tenant_id"]),
        get(&["cognito:groups", "roles"]),
    )
}

/// A principal needs a valid `sub` and tenant; unknown role names are ignored (groups
/// may hold others), so a principal may have no roles and be refused by policy.
fn principal_from(
    sub: Option<&str>,
    tenant: Option<&str>,
    roles: Option<&str>,
) -> Option<Principal> {
    let sub = Subject::parse(sub?).ok()?;
    let tenant = TenantId::parse(tenant?).ok()?;
    let roles: BTreeSet<Role> = roles
        .unwrap_or_default()
        .split([',', ' ', '[', ']', '"'])
        .filter_map(|r| Role::parse(r.trim()))
        .collect();
    Some(Principal { sub, tenant, roles })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_claim_shapes() {
        for shape in [
            "[registrar handler]",
            "[\"registrar\",\"handler\"]",
            "registrar,handler",
            "registrar, handler, other",
        ] {
            let p = principal_from(Some("u"), Some("t"), Some(shape)).unwrap();
            assert_eq!(
                p.roles,
                BTreeSet::from([Role::Registrar, Role::Handler]),
                "{shape}"
            );
        }
    }

    #[test]
    fn bad_sub_or_tenant_is_no_principal() {
        assert!(principal_from(None, Some("t"), None).is_none());
        assert!(principal_from(Some("u"), Some("bad tenant"), None).is_none());
        assert!(principal_from(Some("u"), None, Some("handler")).is_none());
    }
}
