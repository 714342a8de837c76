//! The review function: the registrar's side of self-service collection (SPEC §4a).
//! `/v1/collections` opens, lists and cancels links; `POST /v1/records/{id}/confirm|reject`
//! decides on what an employee submitted; `GET /v1/records/{id}/documents[/{doc}]` lists
//! a pending record's photos and hands out a short-lived download. Its role reaches the
//! table and the documents bucket, and no KMS key: it never sees a number.

mod notifications;

use lambda_http::{Body, Request, Response};
use mynumber_domain::collection::{
    CollectionFilter, CollectionId, CollectionRequest, CollectionStatus,
};
use mynumber_domain::document::DocumentId;
use mynumber_domain::ids::IdRule;
use mynumber_domain::notification::{Delivery, EmailAddress};
use mynumber_domain::notify::NotificationService;
use mynumber_domain::ports::PageRequest;
use mynumber_domain::review::{ConfirmInput, RejectInput, ReviewService};
use mynumber_domain::{Caller, EmployeeId, RecordId, VaultError};
use mynumber_http::input::{purposes, verification};
use mynumber_http::{
    Api, ApiError, Authenticator, Fields, Route, json_object, json_value, page_response, parse_page,
};

/// What the review does on each of its routes.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    CreateCollection,
    ListCollections,
    CancelCollection,
    ResendLink,
    Confirm,
    Reject,
    ListDocuments,
    ViewDocument,
    ReadNotificationSettings,
    ChangeNotificationSettings,
    ListNotifications,
}

/// The review's routes: its router, its 405s and the tests' dispatch all read this.
pub const ROUTES: &[Route<Op>] = &[
    Route::new("POST", "/v1/collections", Op::CreateCollection),
    Route::new("GET", "/v1/collections", Op::ListCollections),
    Route::new(
        "DELETE",
        "/v1/collections/{collection_id}",
        Op::CancelCollection,
    ),
    Route::new(
        "POST",
        "/v1/collections/{collection_id}/resend",
        Op::ResendLink,
    ),
    Route::new("POST", "/v1/records/{record_id}/confirm", Op::Confirm),
    Route::new("POST", "/v1/records/{record_id}/reject", Op::Reject),
    Route::new(
        "GET",
        "/v1/records/{record_id}/documents",
        Op::ListDocuments,
    ),
    Route::new(
        "GET",
        "/v1/records/{record_id}/documents/{document_id}",
        Op::ViewDocument,
    ),
    Route::new(
        "GET",
        "/v1/settings/notifications",
        Op::ReadNotificationSettings,
    ),
    Route::new(
        "PUT",
        "/v1/settings/notifications",
        Op::ChangeNotificationSettings,
    ),
    Route::new("GET", "/v1/notifications", Op::ListNotifications),
];

pub struct Review {
    review: ReviewService,
    notifications: NotificationService,
    auth: Authenticator,
    /// Where the employee's form is served: a link is `{base}/collect#{token}`.
    public_base_url: String,
}

impl Review {
    pub fn new(
        (review, notifications): (ReviewService, NotificationService),
        auth: Authenticator,
        public_base_url: &str,
    ) -> Self {
        Review {
            review,
            notifications,
            auth,
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
        }
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        mynumber_http::handle(self, req).await
    }
}

impl Api for Review {
    type Op = Op;

    fn routes(&self) -> &'static [Route<Op>] {
        ROUTES
    }

    async fn caller(&self, req: &Request) -> Caller {
        self.auth.caller(req).await
    }

    async fn call(
        &self,
        op: Op,
        params: &[&str],
        req: &Request,
        caller: &Caller,
    ) -> Result<Response<Body>, ApiError> {
        match op {
            Op::CreateCollection => {
                let (auth, input) = self.review.core().admit(caller, || parse_collection(req))?;
                let opened = self.review.create_collection(auth, input).await?;
                // The token goes into the link here, once; it is stored only as a digest.
                let url = opened.token.url(&self.public_base_url);
                let qr_svg = qr_svg(&url);
                Ok(json_value(
                    201,
                    &Created {
                        view: opened.view,
                        url,
                        qr_svg,
                        delivery: opened.delivery,
                    },
                ))
            }
            Op::ListCollections => {
                let (auth, input) = self
                    .review
                    .core()
                    .admit(caller, || parse_collection_listing(req))?;
                let page = self.review.list_collections(auth, input).await?;
                Ok(page_response(page))
            }
            Op::CancelCollection => {
                let (auth, input) = self.review.core().admit(caller, || {
                    CollectionId::parse(params[0])
                        .map_err(|r| VaultError::invalid("collection_id", r.code()))
                })?;
                let view = self.review.cancel_collection(auth, input).await?;
                Ok(json_value(200, &view))
            }
            Op::ResendLink => {
                let (auth, input) = self.review.core().admit(caller, || {
                    CollectionId::parse(params[0])
                        .map_err(|r| VaultError::invalid("collection_id", r.code()))
                })?;
                let delivery = self.review.resend_link(auth, input).await?;
                Ok(json_value(
                    200,
                    &serde_json::json!({ "delivery": delivery }),
                ))
            }
            Op::Confirm => {
                let (auth, input) = self
                    .review
                    .core()
                    .admit(caller, || parse_confirm(req, params[0]))?;
                let view = self.review.confirm(auth, input).await?;
                Ok(json_value(200, &view))
            }
            Op::Reject => {
                let (auth, input) = self
                    .review
                    .core()
                    .admit(caller, || parse_reject(req, params[0]))?;
                let disposal = self.review.reject(auth, input).await?;
                Ok(json_value(200, &disposal))
            }
            Op::ListDocuments => {
                let (auth, input) = self.review.core().admit(caller, || {
                    RecordId::parse(params[0])
                        .map_err(|r| VaultError::invalid("record_id", r.code()))
                })?;
                let items = self.review.list_documents(auth, input).await?;
                Ok(json_value(200, &serde_json::json!({ "items": items })))
            }
            Op::ViewDocument => {
                let (auth, input) = self.review.core().admit(caller, || {
                    match (RecordId::parse(params[0]), DocumentId::parse(params[1])) {
                        (Ok(r), Ok(d)) => Ok((r, d)),
                        (Err(r), _) => Err(VaultError::invalid("record_id", r.code())),
                        (_, Err(r)) => Err(VaultError::invalid("document_id", r.code())),
                    }
                })?;
                let link = self.review.view_document(auth, input).await?;
                Ok(json_value(200, &link))
            }
            Op::ReadNotificationSettings => {
                let (auth, _) = self
                    .notifications
                    .core()
                    .admit(caller, || mynumber_http::query(req, &[]))?;
                Ok(json_value(
                    200,
                    &self.notifications.read_settings(auth).await?,
                ))
            }
            Op::ChangeNotificationSettings => {
                let (auth, input) = self
                    .notifications
                    .core()
                    .admit(caller, || notifications::parse_settings(req))?;
                let settings = self.notifications.change_settings(auth, input).await?;
                Ok(json_value(200, &settings))
            }
            Op::ListNotifications => {
                let (auth, input) = self
                    .notifications
                    .core()
                    .admit(caller, || notifications::parse_listing(req))?;
                Ok(page_response(self.notifications.list(auth, input).await?))
            }
        }
    }
}

/// The 201 of `POST /v1/collections`: the collection, its link, and the link drawn as a QR
/// code, so the token is never sent anywhere again to be drawn.
#[derive(serde::Serialize)]
struct Created {
    #[serde(flatten)]
    view: mynumber_domain::collection::CollectionView,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_svg: Option<String>,
    /// When the link was emailed (SPEC §4d).
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery: Option<Delivery>,
}

/// The link as an SVG QR code: level M (it survives a smudged or partly covered screen),
/// each row's runs of dark modules one subpath, so the answer stays a few KiB. A link that
/// does not fit (a very long base URL) is answered without a code rather than lost: the
/// console then says to copy the link.
fn qr_svg(url: &str) -> Option<String> {
    use std::fmt::Write;
    const QUIET: usize = 4;
    let code =
        qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let dark: Vec<bool> = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    let mut path = String::new();
    for (y, row) in dark.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if !row[x] {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] {
                x += 1;
            }
            let run = x - start;
            let _ = write!(path, "M{} {}h{run}v1h-{run}z", start + QUIET, y + QUIET);
        }
    }
    let size = width + 2 * QUIET;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"240\" \
         height=\"240\" shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" \
         fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

/// `POST /v1/collections`.
fn parse_collection(req: &Request) -> Result<CollectionRequest, ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(
        &body,
        &[
            "employee_id",
            "purposes",
            "include_family",
            "expires_in_days",
            "email",
        ],
    );
    let email = f.parse("email", false, |s| {
        EmailAddress::parse(s).map_err(|rule| rule.code())
    });
    let employee_id = f.parse("employee_id", true, |s| {
        EmployeeId::parse(s).map_err(IdRule::code)
    });
    let purposes = purposes(&mut f);
    let include_family = f.bool("include_family").unwrap_or(false);
    let days = match f.int("expires_in_days", false) {
        None => Some(CollectionRequest::DEFAULT_DAYS),
        Some(d) => match u32::try_from(d) {
            Ok(d) if (1..=CollectionRequest::MAX_DAYS).contains(&d) => Some(d),
            _ => {
                f.fail("expires_in_days", "range");
                None
            }
        },
    };
    let request = match (employee_id, purposes, days) {
        (Some(employee_id), Some(purposes), Some(expires_in_days)) => Some(CollectionRequest {
            employee_id,
            purposes,
            include_family,
            expires_in_days,
            email,
        }),
        _ => None,
    };
    f.finish(request)
}

/// `GET /v1/collections?status=&employee_id=&limit=&cursor=`.
fn parse_collection_listing(req: &Request) -> Result<(CollectionFilter, PageRequest), ApiError> {
    let (employee_id, page, status) = parse_page(req, false, &["status"], |q, errors| {
        mynumber_http::query_param(q, "status", errors, |s| {
            CollectionStatus::parse(s).ok_or("enum")
        })
    })?;
    Ok((
        CollectionFilter {
            status,
            employee_id,
        },
        page,
    ))
}

/// `POST /v1/records/{id}/confirm` with `{"verification": {…}}` as at intake.
fn parse_confirm(req: &Request, id: &str) -> Result<ConfirmInput, ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(&body, &["verification"]);
    let record_id = RecordId::parse(id);
    if let Err(rule) = &record_id {
        f.fail("record_id", rule.code());
    }
    let verification = verification(&mut f);
    let input = record_id
        .ok()
        .zip(verification)
        .map(|(record_id, v)| ConfirmInput {
            record_id,
            number_check: v.number_check,
            identity_check: v.identity_check,
            verified_by: v.verified_by,
            verified_on: v.verified_on,
        });
    f.finish(input)
}

/// `POST /v1/records/{id}/reject` with `{"reason": "…"}`.
fn parse_reject(req: &Request, id: &str) -> Result<RejectInput, ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(&body, &["reason"]);
    let record_id = RecordId::parse(id);
    if let Err(rule) = &record_id {
        f.fail("record_id", rule.code());
    }
    let reason = f.str("reason", true).map(str::to_owned);
    let input = record_id
        .ok()
        .zip(reason)
        .map(|(record_id, reason)| RejectInput { record_id, reason });
    f.finish(input)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_link_is_drawn_in_a_few_kib_and_not_written() {
        let token = "0123456789abcdef".repeat(4);
        let url =
            format!("https://abcdefgh12.execute-api.ap-northeast-1.amazonaws.com/collect#{token}");
        let svg = super::qr_svg(&url).unwrap();
        assert!(
            svg.starts_with("<svg ") && svg.contains("<path"),
            "{svg:.80}"
        );
        assert!(!svg.contains(&token) && !svg.contains("collect#"));
        // Small enough for any proxy in front (the local router loses bodies over ~8 KiB).
        assert!(svg.len() < 7 * 1024, "{} bytes", svg.len());
        assert!(
            super::qr_svg(&"x".repeat(4000)).is_none(),
            "too long for a code"
        );
    }
}
