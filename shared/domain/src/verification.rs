//! Identity verification at intake (本人確認, SPEC §2.2): a number check (番号確認) and an
//! identity check (身元確認), and the refusal record (未提供理由) when a person declines.

use crate::ids::Subject;
use crate::number::holds_my_number;
use crate::purpose::{Purpose, PurposeSet};
use crate::relation::Relation;
use chrono::NaiveDate;
use serde::Serialize;

crate::words::vocabulary! {
    /// Documents that prove the number. A 個人番号通知書 is not one of them (see
    /// `parse_input`).
    pub enum NumberCheck {
        /// 個人番号カード: proves the number and the identity.
        MyNumberCard = "my_number_card",
        /// 通知カード, only while its details still match the resident record.
        NotificationCard = "notification_card",
        /// 住民票の写し（番号付き）
        ResidentRecord = "resident_record",
    }
}

crate::words::vocabulary! {
    /// How the person's identity was established.
    pub enum IdentityCheck {
        MyNumberCard = "my_number_card",
        /// One photo ID: driver's licence, passport, residence card, special permanent
        /// resident certificate, disability handbooks, …
        PhotoId = "photo_id",
        /// Two non-photo documents.
        TwoDocuments = "two_documents",
        /// デジタル認証アプリ (JPKI): the four basic facts, no number check.
        Jpki = "jpki",
        /// An employee the staff know in person.
        KnownInPerson = "known_in_person",
        /// A dependant declared on the employee's own tax forms: the employee verified.
        ByEmployee = "by_employee",
    }
}

/// The rule codes an unacceptable verification reports, with the field they concern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationRule {
    /// `number_check`: 個人番号通知書 never proves the number.
    NotANumberCheck,
    /// `number_check` / `identity_check`: not a known value.
    UnknownValue,
    /// `identity_check`: the employee's own number must be verified by the employer.
    EmployerMustVerify,
    /// `identity_check`: a spouse for 国民年金第3号 is verified by the employer.
    EmployerMustVerifySpouse,
    /// `verified_on`: later than today.
    FutureDate,
}

impl VerificationRule {
    pub fn code(self) -> &'static str {
        match self {
            VerificationRule::NotANumberCheck => "not_a_number_check",
            VerificationRule::UnknownValue => "enum",
            VerificationRule::EmployerMustVerify => "employer_must_verify",
            VerificationRule::EmployerMustVerifySpouse => "employer_must_verify_spouse",
            VerificationRule::FutureDate => "future_date",
        }
    }
}

impl NumberCheck {
    /// What a registrar typed, with the reason it is refused.
    pub fn parse_input(s: &str) -> Result<Self, VerificationRule> {
        match s {
            // HR staff often hold this letter; say plainly why it does not count.
            "individual_number_notice" | "kojin_bango_tsuchisho" => {
                Err(VerificationRule::NotANumberCheck)
            }
            _ => NumberCheck::parse(s).ok_or(VerificationRule::UnknownValue),
        }
    }
}

impl IdentityCheck {
    /// What a registrar typed, with the reason it is refused.
    pub fn parse_input(s: &str) -> Result<Self, VerificationRule> {
        IdentityCheck::parse(s).ok_or(VerificationRule::UnknownValue)
    }
}

/// A verification that satisfies §2.2 for the relation and purposes it was checked
/// against; only `Verification::check` makes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub number_check: NumberCheck,
    pub identity_check: IdentityCheck,
    pub verified_by: Subject,
    pub verified_on: NaiveDate,
    /// When a registrar confirmed a submission with this verification, from which the
    /// number may be revealed and exported; `None` for a number registered active.
    #[serde(skip)]
    pub confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Verification {
    /// Checks the combination. A My Number card does both checks; a notification card or
    /// a resident-record copy needs a separate identity check, which every
    /// `IdentityCheck` except `ByEmployee` is. The employee's own number is always
    /// verified by the employer; a dependant's may be verified by the employee, except a
    /// number collected for 国民年金第3号 (a spouse's), which the employer verifies.
    pub fn check(
        relation: &Relation,
        purposes: &PurposeSet,
        number_check: NumberCheck,
        identity_check: IdentityCheck,
        verified_by: Subject,
        verified_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<Self, (&'static str, VerificationRule)> {
        if verified_on > today {
            return Err(("verification.verified_on", VerificationRule::FutureDate));
        }
        if identity_check == IdentityCheck::ByEmployee {
            match relation {
                Relation::OwnNumber => {
                    return Err((
                        "verification.identity_check",
                        VerificationRule::EmployerMustVerify,
                    ));
                }
                // 国民年金第3号 is a spouse's matter whatever relation the body names.
                _ if purposes.permits(Purpose::NationalPensionDependentSpouse) => {
                    return Err((
                        "verification.identity_check",
                        VerificationRule::EmployerMustVerifySpouse,
                    ));
                }
                _ => {}
            }
        }
        Ok(Verification {
            number_check,
            identity_check,
            verified_by,
            verified_on,
            confirmed_at: None,
        })
    }
}

/// A person declined to give the number: what was asked, when, and why (未提供理由), so
/// that payroll can show it asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    reason: String,
    requested_on: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalRule {
    /// `refusal.reason`: empty or over 500 characters.
    Length,
    /// `refusal.reason`: holds a control character.
    Charset,
    /// `refusal.reason`: holds what looks like a My Number.
    ContainsNumber,
    /// `refusal.requested_on`: later than today.
    FutureDate,
}

impl RefusalRule {
    pub fn code(self) -> &'static str {
        match self {
            RefusalRule::Length => "length",
            RefusalRule::Charset => "charset",
            RefusalRule::ContainsNumber => "contains_number",
            RefusalRule::FutureDate => "future_date",
        }
    }
}

impl Refusal {
    pub fn new(
        reason: &str,
        requested_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<Self, (&'static str, RefusalRule)> {
        let reason = reason.trim();
        let chars = reason.chars().count();
        if chars == 0 || chars > 500 {
            return Err(("refusal.reason", RefusalRule::Length));
        }
        if reason
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(("refusal.reason", RefusalRule::Charset));
        }
        if holds_my_number(reason) {
            return Err(("refusal.reason", RefusalRule::ContainsNumber));
        }
        if requested_on > today {
            return Err(("refusal.requested_on", RefusalRule::FutureDate));
        }
        Ok(Refusal {
            reason: reason.to_owned(),
            requested_on,
        })
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }

    pub fn requested_on(&self) -> NaiveDate {
        self.requested_on
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::DependentLabel;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
    }

    fn who() -> Subject {
        Subject::parse("hr-1").unwrap()
    }

    /// Every number check × identity check × relation (with and without 第3号), with
    /// the expected outcome spelled out.
    #[test]
    fn every_combination() {
        let number_checks = [
            NumberCheck::MyNumberCard,
            NumberCheck::NotificationCard,
            NumberCheck::ResidentRecord,
        ];
        let identity_checks = [
            IdentityCheck::MyNumberCard,
            IdentityCheck::PhotoId,
            IdentityCheck::TwoDocuments,
            IdentityCheck::Jpki,
            IdentityCheck::KnownInPerson,
            IdentityCheck::ByEmployee,
        ];
        let child = Relation::Dependent(DependentLabel::parse("長男").unwrap());
        let tax = PurposeSet::new([Purpose::WithholdingTax]).unwrap();
        let pension = PurposeSet::new([Purpose::NationalPensionDependentSpouse]).unwrap();
        for nc in number_checks {
            for ic in identity_checks {
                for (relation, purposes, expected) in [
                    (
                        &Relation::OwnNumber,
                        &tax,
                        (ic == IdentityCheck::ByEmployee)
                            .then_some(VerificationRule::EmployerMustVerify),
                    ),
                    (&Relation::Spouse, &tax, None),
                    (
                        &Relation::Spouse,
                        &pension,
                        (ic == IdentityCheck::ByEmployee)
                            .then_some(VerificationRule::EmployerMustVerifySpouse),
                    ),
                    (&child, &tax, None),
                    (
                        &child,
                        &pension,
                        (ic == IdentityCheck::ByEmployee)
                            .then_some(VerificationRule::EmployerMustVerifySpouse),
                    ),
                ] {
                    let got =
                        Verification::check(relation, purposes, nc, ic, who(), today(), today());
                    assert_eq!(
                        got.as_ref().err().map(|e| e.1),
                        expected,
                        "{nc:?} {ic:?} {relation:?} {purposes:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn codes_match_the_wire_names() {
        for c in IdentityCheck::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.code());
        }
        for c in [
            NumberCheck::MyNumberCard,
            NumberCheck::NotificationCard,
            NumberCheck::ResidentRecord,
        ] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.code());
            assert_eq!(NumberCheck::parse_input(c.code()), Ok(c));
        }
    }

    #[test]
    fn a_number_notice_is_never_a_number_check() {
        assert_eq!(
            NumberCheck::parse_input("individual_number_notice"),
            Err(VerificationRule::NotANumberCheck)
        );
        assert_eq!(
            NumberCheck::parse_input("passport"),
            Err(VerificationRule::UnknownValue)
        );
        assert_eq!(IdentityCheck::parse_input("jpki"), Ok(IdentityCheck::Jpki));
        assert_eq!(
            IdentityCheck::parse_input("selfie"),
            Err(VerificationRule::UnknownValue)
        );
    }

    #[test]
    fn verified_on_cannot_be_in_the_future() {
        let tax = PurposeSet::new([Purpose::WithholdingTax]).unwrap();
        let tomorrow = today().succ_opt().unwrap();
        let err = Verification::check(
            &Relation::OwnNumber,
            &tax,
            NumberCheck::MyNumberCard,
            IdentityCheck::MyNumberCard,
            who(),
            tomorrow,
            today(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            ("verification.verified_on", VerificationRule::FutureDate)
        );
    }

    #[test]
    fn refusal_rules() {
        assert!(Refusal::new("本人が提供を拒否", today(), today()).is_ok());
        assert_eq!(
            Refusal::new("  ", today(), today()).unwrap_err().1,
            RefusalRule::Length
        );
        assert_eq!(
            Refusal::new(&"あ".repeat(501), today(), today())
                .unwrap_err()
                .1,
            RefusalRule::Length
        );
        assert_eq!(
            Refusal::new("番号は1234 5678 9018", today(), today())
                .unwrap_err()
                .1,
            RefusalRule::ContainsNumber
        );
        assert_eq!(
            Refusal::new("x", today().succ_opt().unwrap(), today())
                .unwrap_err()
                .1,
            RefusalRule::FutureDate
        );
    }
}
