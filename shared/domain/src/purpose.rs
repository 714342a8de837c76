//! Purposes (個人番号関係事務) a number may be used for (SPEC §2.3).

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// 源泉徴収票・給与支払報告書・退職所得
    WithholdingTax,
    /// 扶養控除等申告書
    DependentsDeclaration,
    /// 支払調書
    PaymentRecord,
    /// 健康保険・厚生年金
    SocialInsurance,
    /// 雇用保険
    EmploymentInsurance,
    /// 国民年金第3号
    NationalPensionDependentSpouse,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Purpose::WithholdingTax,
        Purpose::DependentsDeclaration,
        Purpose::PaymentRecord,
        Purpose::SocialInsurance,
        Purpose::EmploymentInsurance,
        Purpose::NationalPensionDependentSpouse,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Purpose::WithholdingTax => "withholding_tax",
            Purpose::DependentsDeclaration => "dependents_declaration",
            Purpose::PaymentRecord => "payment_record",
            Purpose::SocialInsurance => "social_insurance",
            Purpose::EmploymentInsurance => "employment_insurance",
            Purpose::NationalPensionDependentSpouse => "national_pension_dependent_spouse",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.code() == s)
    }
}

/// The purposes stated at intake: never empty, no duplicates, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PurposeSet(BTreeSet<Purpose>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmptyPurposes;

impl PurposeSet {
    pub fn new(purposes: impl IntoIterator<Item = Purpose>) -> Result<Self, EmptyPurposes> {
        let set: BTreeSet<_> = purposes.into_iter().collect();
        if set.is_empty() {
            Err(EmptyPurposes)
        } else {
            Ok(PurposeSet(set))
        }
    }

    /// Purpose binding: a reveal may only name a purpose stated at intake.
    pub fn permits(&self, purpose: Purpose) -> bool {
        self.0.contains(&purpose)
    }

    pub fn iter(&self) -> impl Iterator<Item = Purpose> + '_ {
        self.0.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.code()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.code());
        }
        assert_eq!(Purpose::parse("marketing"), None);
    }

    #[test]
    fn set_is_non_empty_and_binds() {
        assert_eq!(PurposeSet::new([]), Err(EmptyPurposes));
        let set = PurposeSet::new([
            Purpose::SocialInsurance,
            Purpose::WithholdingTax,
            Purpose::WithholdingTax,
        ])
        .unwrap();
        assert_eq!(set.iter().count(), 2);
        assert!(set.permits(Purpose::WithholdingTax));
        assert!(!set.permits(Purpose::PaymentRecord));
    }
}
