//! Whose number a record holds: the employee's own, a spouse's or a labelled dependant's,
//! and the one-per-employee slots the first two occupy.

use crate::number::holds_my_number;
use serde::Serialize;

/// Whose number a record holds. A dependant always carries a label, so a dependant
/// without one cannot exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    /// The employee's own number (`"self"` on the wire).
    OwnNumber,
    Spouse,
    Dependent(DependentLabel),
}

crate::words::vocabulary! {
    /// A relation without its label: what the wire, the store and disposal records name.
    pub enum RelationKind {
        OwnNumber = "self",
        Spouse = "spouse",
        Dependent = "dependent",
    }
}

impl RelationKind {
    /// The relation as HR reads it (the console's labels say the same).
    pub fn label_ja(self) -> &'static str {
        match self {
            RelationKind::OwnNumber => "本人",
            RelationKind::Spouse => "配偶者",
            RelationKind::Dependent => "扶養親族",
        }
    }
}

/// The one-per-employee places a `self` and a `spouse` record occupy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Slot {
    OwnNumber,
    Spouse,
}

impl Slot {
    pub fn kind(self) -> RelationKind {
        match self {
            Slot::OwnNumber => RelationKind::OwnNumber,
            Slot::Spouse => RelationKind::Spouse,
        }
    }

    /// As in keys: the code of the relation that holds the slot.
    pub fn code(self) -> &'static str {
        self.kind().code()
    }
}

impl Relation {
    pub fn kind(&self) -> RelationKind {
        match self {
            Relation::OwnNumber => RelationKind::OwnNumber,
            Relation::Spouse => RelationKind::Spouse,
            Relation::Dependent(_) => RelationKind::Dependent,
        }
    }

    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// One employee has at most one `self` and one `spouse` record: those relations
    /// occupy a slot; dependants do not.
    pub fn slot(&self) -> Option<Slot> {
        match self {
            Relation::OwnNumber => Some(Slot::OwnNumber),
            Relation::Spouse => Some(Slot::Spouse),
            Relation::Dependent(_) => None,
        }
    }

    /// The relation a word and, for a dependant, a label make.
    pub fn from_parts(kind: RelationKind, label: Option<DependentLabel>) -> Option<Relation> {
        match (kind, label) {
            (RelationKind::OwnNumber, None) => Some(Relation::OwnNumber),
            (RelationKind::Spouse, None) => Some(Relation::Spouse),
            (RelationKind::Dependent, Some(label)) => Some(Relation::Dependent(label)),
            _ => None,
        }
    }

    pub fn label(&self) -> Option<&DependentLabel> {
        match self {
            Relation::Dependent(l) => Some(l),
            _ => None,
        }
    }
}

/// How HR names a dependant (長男, 配偶者の母, …): 1–40 characters of plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DependentLabel(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelRule {
    Length,
    Charset,
    ContainsNumber,
    /// Begins as a spreadsheet formula does (`=`, `+`, `-`, `@`): the label goes into the
    /// export file HR opens in Excel (`crate::spreadsheet`).
    Formula,
}

/// Short free text that names someone or something (a dependant's label, the company's
/// name): trimmed, 1–`max` characters, no control character, no My Number.
pub fn plain_text(s: &str, max: usize) -> Result<&str, LabelRule> {
    let s = s.trim();
    let n = s.chars().count();
    if n == 0 || n > max {
        return Err(LabelRule::Length);
    }
    if s.chars().any(char::is_control) {
        return Err(LabelRule::Charset);
    }
    if holds_my_number(s) {
        return Err(LabelRule::ContainsNumber);
    }
    Ok(s)
}

impl LabelRule {
    pub fn code(self) -> &'static str {
        match self {
            LabelRule::Length => "length",
            LabelRule::Charset => "charset",
            LabelRule::ContainsNumber => "contains_number",
            LabelRule::Formula => "formula",
        }
    }
}

impl DependentLabel {
    /// A label given at input (intake, a collection link, an import): every rule.
    pub fn parse(s: &str) -> Result<Self, LabelRule> {
        let label = Self::stored(s)?;
        if crate::spreadsheet::starts_formula(label.as_str()) {
            return Err(LabelRule::Formula);
        }
        Ok(label)
    }

    /// A label read back from storage: every rule but `Formula`, which came later, so a
    /// record stored before it stays readable (and every CSV neutralises such a label).
    pub fn stored(s: &str) -> Result<Self, LabelRule> {
        plain_text(s, 40).map(|s| DependentLabel(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
