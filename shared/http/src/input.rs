//! Fields that more than one function's requests carry: the purposes of a record or a
//! collection link, and the identity verification of an intake or a confirmation.

use crate::Fields;
use mynumber_domain::ids::IdRule;
use mynumber_domain::verification::{IdentityCheck, NumberCheck};
use mynumber_domain::{Purpose, PurposeSet, Subject};

/// `purposes`: a non-empty array of known purposes.
pub fn purposes(f: &mut Fields) -> Option<PurposeSet> {
    let items = f.array("purposes", true)?;
    let mut parsed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str().and_then(Purpose::parse) {
            Some(p) => parsed.push(p),
            None => f.fail(&format!("purposes[{i}]"), "enum"),
        }
    }
    if items.is_empty() {
        f.fail("purposes", "empty");
    }
    PurposeSet::new(parsed).ok()
}

/// How, when and by whom a number and an identity were checked.
pub struct VerificationInput {
    pub number_check: NumberCheck,
    pub identity_check: IdentityCheck,
    pub verified_on: chrono::NaiveDate,
    pub verified_by: Option<Subject>,
}

/// The `verification` object of an intake or a confirmation.
pub fn verification(f: &mut Fields) -> Option<VerificationInput> {
    f.object(
        "verification",
        true,
        &[
            "number_check",
            "identity_check",
            "verified_on",
            "verified_by",
        ],
        |o| {
            let nc = o.parse("number_check", true, |s| {
                NumberCheck::parse_input(s).map_err(|r| r.code())
            });
            let ic = o.parse("identity_check", true, |s| {
                IdentityCheck::parse_input(s).map_err(|r| r.code())
            });
            let on = o.date("verified_on", true);
            let by = o.parse("verified_by", false, |s| {
                Subject::parse(s).map_err(IdRule::code)
            });
            Some(VerificationInput {
                number_check: nc?,
                identity_check: ic?,
                verified_on: on?,
                verified_by: by,
            })
        },
    )
}
