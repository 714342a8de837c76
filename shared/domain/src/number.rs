//! The My Number (個人番号): 12 ASCII digits whose last is a check digit (SPEC §2.1).

use std::fmt;
use zeroize::Zeroize;

/// Which validity rule an input broke. The variant names are the stable `rule` codes
/// the API reports; none of them carries any part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumberRule {
    #[error("a My Number has exactly 12 digits")]
    Length,
    #[error("a My Number holds digits only (spaces and hyphens are ignored)")]
    NonDigit,
    #[error("the check digit does not match")]
    CheckDigit,
}

impl NumberRule {
    pub fn code(self) -> &'static str {
        match self {
            NumberRule::Length => "length",
            NumberRule::NonDigit => "non_digit",
            NumberRule::CheckDigit => "check_digit",
        }
    }
}

/// A validated My Number. Its digits live in a fixed buffer that is zeroed on drop;
/// `Debug` and `Display` never show them, and it deliberately implements no `Serialize`,
/// `Clone` or `PartialEq` (a comparison would invite timing games and accidental copies).
pub struct MyNumber([u8; 12]);

impl MyNumber {
    /// Parses what HR staff type or paste: ASCII or full-width digits, with spaces and
    /// hyphens (of the usual Unicode kinds) ignored. No heap copy of the input is made.
    pub fn parse(input: &str) -> Result<MyNumber, NumberRule> {
        let mut buf = [0u8; 12];
        let mut len = 0usize;
        let mut non_digit = false;
        for c in input.chars() {
            let digit = match c {
                '0'..='9' => Some(c as u8),
                '０'..='９' => Some(b'0' + (c as u32 - '０' as u32) as u8),
                _ => None,
            };
            match digit {
                Some(d) => {
                    if len < 12 {
                        buf[len] = d;
                    }
                    len += 1;
                }
                None if is_separator(c) => {}
                None => non_digit = true,
            }
        }
        let result = if non_digit {
            Err(NumberRule::NonDigit)
        } else if len != 12 {
            Err(NumberRule::Length)
        } else if check_digit(&buf[..11]) != buf[11] - b'0' {
            Err(NumberRule::CheckDigit)
        } else {
            return Ok(MyNumber(buf));
        };
        buf.zeroize();
        result
    }

    /// The 12 ASCII digits. Call sites are the cipher (to encrypt) and the reveal
    /// response, nothing else.
    pub fn expose_digits(&self) -> &str {
        // The buffer only ever holds ASCII digits.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Rebuilds a number from decrypted bytes, zeroing the caller's buffer either way.
    pub fn from_decrypted(mut bytes: Vec<u8>) -> Result<MyNumber, NumberRule> {
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|_| NumberRule::NonDigit)
            .and_then(MyNumber::parse);
        bytes.zeroize();
        parsed
    }
}

impl Drop for MyNumber {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for MyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MyNumber(<redacted>)")
    }
}

impl fmt::Display for MyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted My Number>")
    }
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{3000}' // ideographic space
            | '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}'
            | '\u{FF0D}' // full-width hyphen-minus
    )
}

/// The check digit of SPEC §2.1 over the first 11 ASCII digits.
pub fn check_digit(first11: &[u8]) -> u8 {
    debug_assert_eq!(first11.len(), 11);
    let sum: u32 = (1..=11u32)
        .map(|n| {
            let p = u32::from(first11[11 - n as usize] - b'0');
            let q = if n <= 6 { n + 1 } else { n - 5 };
            p * q
        })
        .sum();
    let r = sum % 11;
    if r <= 1 { 0 } else { (11 - r) as u8 }
}

fn ascii_digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8),
        '０'..='９' => Some(b'0' + (c as u32 - '０' as u32) as u8),
        _ => None,
    }
}

/// True when an id or a field name holds 12 or more digits (ASCII or full-width) with only
/// non-letters between them (`1234.5678.9018`, `1234_5678_9018`). Ids are key material that
/// ends up in keys, KMS contexts and CloudTrail, so the rule is strict and never depends on
/// the check digit: the same id is always refused.
pub fn holds_digit_run(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        if ascii_digit(c).is_some() {
            run += 1;
            if run >= 12 {
                return true;
            }
        } else if c.is_alphabetic() {
            run = 0;
        }
    }
    false
}

/// True when free text holds a My Number however it is written: whole groups of digits
/// separated by anything but letters (spaces, hyphens, dots, ・, commas, newlines, …) that
/// add up to 12 digits passing the check digit, or 12 such digits inside a longer group.
/// Text with dates or amounts passes unless they happen to form a valid number.
pub fn holds_my_number(text: &str) -> bool {
    let mut segments: Vec<Vec<Vec<u8>>> = vec![vec![Vec::new()]];
    for c in text.chars() {
        let segment = segments.last_mut().expect("never empty");
        if let Some(d) = ascii_digit(c) {
            segment.last_mut().expect("never empty").push(d);
        } else if c.is_alphabetic() {
            segments.push(vec![Vec::new()]);
        } else if !segment.last().expect("never empty").is_empty() {
            segment.push(Vec::new());
        }
    }
    let valid =
        |digits: &[u8]| digits.len() == 12 && check_digit(&digits[..11]) == digits[11] - b'0';
    for groups in &segments {
        for start in 0..groups.len() {
            let mut span: Vec<u8> = Vec::new();
            for g in &groups[start..] {
                if g.len() >= 12 && span.is_empty() && g.windows(12).any(valid) {
                    return true;
                }
                span.extend_from_slice(g);
                if span.len() >= 12 {
                    if valid(&span) {
                        return true;
                    }
                    break;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spec_examples() {
        assert!(MyNumber::parse("123456789018").is_ok());
        assert!(MyNumber::parse("023456789013").is_ok());
        assert_eq!(
            MyNumber::parse("123456789010").unwrap_err(),
            NumberRule::CheckDigit
        );
    }

    #[test]
    fn leading_zero_is_kept() {
        let n = MyNumber::parse("023456789013").unwrap();
        assert_eq!(n.expose_digits(), "023456789013");
    }

    #[test]
    fn pasted_forms_are_normalised() {
        for s in [
            "1234-5678-9018",
            "1234 5678 9018",
            "１２３４５６７８９０１８",
            "１２３４－５６７８－９０１８",
            "1234\u{3000}5678\u{3000}9018",
            " 123456789018 ",
        ] {
            assert_eq!(MyNumber::parse(s).unwrap().expose_digits(), "123456789018");
        }
    }

    #[test]
    fn rules_by_input() {
        use NumberRule::*;
        for (s, rule) in [
            ("", Length),
            ("12345678901", Length),
            ("1234567890180", Length),
            ("12345678901a", NonDigit),
            ("123456789O18", NonDigit),
            ("１２３４５６７８９０１x", NonDigit),
            ("123456789019", CheckDigit),
            ("١٢٣٤٥٦٧٨٩٠١٨", NonDigit), // Arabic-Indic digits are not normalised
        ] {
            assert_eq!(MyNumber::parse(s).unwrap_err(), rule, "{s:?}");
        }
    }

    #[test]
    fn debug_and_display_hide_digits() {
        let n = MyNumber::parse("123456789018").unwrap();
        let shown = format!("{n:?} {n} {:#?}", n);
        assert!(!shown.chars().any(|c| c.is_ascii_digit()), "{shown}");
    }

    #[test]
    fn from_decrypted_round_trip() {
        let n = MyNumber::from_decrypted(b"023456789013".to_vec()).unwrap();
        assert_eq!(n.expose_digits(), "023456789013");
        assert!(MyNumber::from_decrypted(vec![0xff; 12]).is_err());
    }

    #[test]
    fn digit_runs_in_ids() {
        for id in [
            "123456789018",
            "1234.5678.9018",
            "1234_5678_9018",
            "E-2026-04-01-0001",
        ] {
            assert!(holds_digit_run(id), "{id}");
        }
        for id in ["E00012345678", "E0001", "A123456B123456"] {
            assert!(!holds_digit_run(id), "{id}");
        }
    }

    #[test]
    fn my_numbers_in_free_text_however_written() {
        for text in [
            "番号 1234-5678-9018",
            "１２３４５６７８９０１８",
            "番号1234.5678.9018",
            "1234・5678・9018",
            "1234_5678_9018",
            "１２３４，５６７８，９０１８",
            "1234\n5678\n9018",
            "x 1023456789013 y", // inside a longer group
        ] {
            assert!(holds_my_number(text), "{text:?}");
        }
        for text in [
            "長男",
            "2026-04-01, 2026-05-01に依頼",
            "1234-5678-9010",       // fails the check digit
            "12345 678901",         // 11 digits
            "番号1234は5678と9018", // letters between the groups
        ] {
            assert!(!holds_my_number(text), "{text:?}");
        }
    }

    fn with_check_digit(first11: &[u8; 11]) -> String {
        let mut s: String = first11.iter().map(|d| (b'0' + d) as char).collect();
        let ascii: Vec<u8> = s.bytes().collect();
        s.push((b'0' + check_digit(&ascii)) as char);
        s
    }

    fn remainder(digits: &[u8]) -> u32 {
        (1..=11u32)
            .map(|n| u32::from(digits[11 - n as usize] - b'0') * if n <= 6 { n + 1 } else { n - 5 })
            .sum::<u32>()
            % 11
    }

    proptest! {
        #[test]
        fn every_eleven_digits_have_exactly_one_valid_check_digit(d in proptest::array::uniform11(0u8..10)) {
            let valid = with_check_digit(&d);
            prop_assert!(MyNumber::parse(&valid).is_ok());
            for wrong in 0..10u8 {
                let mut s = valid[..11].to_string();
                s.push((b'0' + wrong) as char);
                if s != valid {
                    prop_assert_eq!(MyNumber::parse(&s).unwrap_err(), NumberRule::CheckDigit);
                }
            }
        }

        /// Mod 11 with remainders 0 and 1 both mapped to check digit 0 misses exactly the
        /// typos that move the remainder between 0 and 1; every other one is caught.
        #[test]
        fn a_single_digit_typo_is_caught_unless_the_remainder_collapses(d in proptest::array::uniform11(0u8..10), pos in 0usize..11, delta in 1u8..10) {
            let valid = with_check_digit(&d);
            let mut bytes = valid.clone().into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).unwrap();
            let collapses = remainder(valid.as_bytes()) <= 1 && remainder(typo.as_bytes()) <= 1;
            prop_assert_eq!(MyNumber::parse(&typo).is_err(), !collapses);
        }

        #[test]
        fn parser_never_panics_and_errors_name_a_rule(s in "\\PC{0,40}") {
            match MyNumber::parse(&s) {
                Ok(n) => prop_assert_eq!(n.expose_digits().len(), 12),
                Err(rule) => prop_assert!(["length", "non_digit", "check_digit"].contains(&rule.code())),
            }
        }

        #[test]
        fn separators_and_width_do_not_change_the_number(d in proptest::array::uniform11(0u8..10), seps in proptest::collection::vec(prop_oneof![Just(" "), Just("-"), Just("－"), Just("\u{3000}")], 12)) {
            let valid = with_check_digit(&d);
            let mut noisy = String::new();
            for (i, c) in valid.chars().enumerate() {
                if i % 2 == 0 {
                    noisy.push(char::from_u32('０' as u32 + c.to_digit(10).unwrap()).unwrap());
                } else {
                    noisy.push(c);
                }
                noisy.push_str(seps[i]);
            }
            let n = MyNumber::parse(&noisy).unwrap();
            prop_assert_eq!(n.expose_digits(), valid.as_str());
        }
    }
}
