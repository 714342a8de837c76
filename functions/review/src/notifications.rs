//! The notification routes' input (SPEC §4d): the admin's settings and the sent log's
//! filter, parsed field by field; an address is checked and never echoed.

use lambda_http::Request;
use mynumber_domain::FieldError;
use mynumber_domain::collection::CollectionId;
use mynumber_domain::notification::{
    DigestRule, EmailAddress, NotificationFilter, NotificationKind, NotificationSettings,
    ReminderRule, SenderName, Weekday,
};
use mynumber_domain::ports::PageRequest;
use mynumber_http::{ApiError, Fields, json_object, parse_page, query_param};

/// `PUT /v1/settings/notifications`: the whole settings object.
pub fn parse_settings(req: &Request) -> Result<NotificationSettings, ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(
        &body,
        &["sender_name", "hr_recipients", "reminders", "digest"],
    );
    let sender_name = f.parse("sender_name", true, |s| {
        SenderName::parse(s).ok_or("format")
    });
    let hr_recipients = f.array("hr_recipients", true).and_then(|list| {
        if list.len() > NotificationSettings::MAX_HR_RECIPIENTS {
            f.fail("hr_recipients", "too_many");
            return None;
        }
        let mut out = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            match v.as_str().map(EmailAddress::parse) {
                Some(Ok(a)) => out.push(a),
                Some(Err(rule)) => f.fail(&format!("hr_recipients[{i}]"), rule.code()),
                None => f.fail(&format!("hr_recipients[{i}]"), "type"),
            }
        }
        Some(out)
    });
    let reminders = f.object("reminders", true, &["after_days", "max"], |r| {
        let mut within = |name: &str, range: std::ops::RangeInclusive<u32>| {
            let n = r.int(name, true)?;
            match u32::try_from(n) {
                Ok(n) if range.contains(&n) => Some(n),
                _ => {
                    r.fail(name, "range");
                    None
                }
            }
        };
        let after_days = within("after_days", ReminderRule::DAYS);
        let max = within("max", ReminderRule::MAX);
        Some(ReminderRule {
            after_days: after_days?,
            max: max?,
        })
    });
    let digest = f.object("digest", true, &["weekday"], |d| {
        d.parse("weekday", true, |s| Weekday::parse(s).ok_or("enum"))
            .map(|weekday| DigestRule { weekday })
    });
    let settings = match (sender_name, hr_recipients, reminders, digest) {
        (Some(sender_name), Some(hr_recipients), Some(reminders), Some(digest)) => {
            Some(NotificationSettings {
                sender_name,
                hr_recipients,
                reminders,
                digest,
            })
        }
        _ => None,
    };
    f.finish(settings)
}

/// `GET /v1/notifications?collection_id=&kind=&since=&limit=&cursor=`.
pub fn parse_listing(req: &Request) -> Result<(NotificationFilter, PageRequest), ApiError> {
    let (_, page, filter) = parse_page(
        req,
        false,
        &["collection_id", "kind", "since"],
        |q, errors: &mut Vec<FieldError>| NotificationFilter {
            collection_id: query_param(q, "collection_id", errors, |c| {
                CollectionId::parse(c).map_err(|rule| rule.code())
            }),
            kind: query_param(q, "kind", errors, |k| {
                NotificationKind::parse(k).ok_or("enum")
            }),
            since: query_param(q, "since", errors, |s| {
                chrono::DateTime::parse_from_rfc3339(s)
                    .map(|t| t.to_utc())
                    .map_err(|_| "date_time")
            }),
        },
    )?;
    Ok((filter, page))
}
