//! Purposes (個人番号関係事務) a number may be used for (SPEC §2.3).

use serde::Serialize;
use std::collections::BTreeSet;

crate::words::vocabulary! {
    pub enum Purpose {
        /// 源泉徴収票・給与支払報告書・退職所得
        WithholdingTax = "withholding_tax",
        /// 扶養控除等申告書
        DependentsDeclaration = "dependents_declaration",
        /// 支払調書
        PaymentRecord = "payment_record",
        /// 健康保険・厚生年金
        SocialInsurance = "social_insurance",
        /// 雇用保険
        EmploymentInsurance = "employment_insurance",
        /// 国民年金第3号
        NationalPensionDependentSpouse = "national_pension_dependent_spouse",
    }
}

impl Purpose {
    /// The purpose as the employee reads it (in mail; the pages' own labels are checked
    /// against these by the pages test).
    pub fn label_ja(self) -> &'static str {
        match self {
            Purpose::WithholdingTax => "源泉徴収票・給与支払報告書・退職所得",
            Purpose::DependentsDeclaration => "扶養控除等申告書",
            Purpose::PaymentRecord => "支払調書",
            Purpose::SocialInsurance => "健康保険・厚生年金",
            Purpose::EmploymentInsurance => "雇用保険",
            Purpose::NationalPensionDependentSpouse => "国民年金第3号被保険者の届出",
        }
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
            assert_eq!(Purpose::parse(p.code()), Some(*p));
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
