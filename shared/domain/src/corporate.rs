//! The 法人番号 (corporate number, SPEC §4g): 13 digits, the check digit first. A public
//! number, so it is kept, listed and shown in clear (no cipher, no reveal); a wrong one is a
//! field error with the My Number's rule codes.

use crate::number::{NumberRule, scan_digits};
use serde::{Serialize, Serializer};
use std::fmt;

/// A valid corporate number, as its 13 ASCII digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CorporateNumber([u8; 13]);

impl CorporateNumber {
    /// Parses what HR staff type or paste, as a My Number is read: ASCII or full-width
    /// digits, spaces and hyphens ignored.
    pub fn parse(input: &str) -> Result<CorporateNumber, NumberRule> {
        let (buf, len, non_digit) = scan_digits::<13>(input);
        if non_digit {
            Err(NumberRule::NonDigit)
        } else if len != 13 {
            Err(NumberRule::Length)
        } else if check_digit(&buf[1..]) != buf[0] - b'0' {
            Err(NumberRule::CheckDigit)
        } else {
            Ok(CorporateNumber(buf))
        }
    }

    pub fn as_str(&self) -> &str {
        // The buffer only ever holds ASCII digits.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The check digit of SPEC §4g over the other 12 ASCII digits: with P_n the n-th counted
/// from the right and Q_n 1 for odd n, 2 for even n, 9 − (Σ P_n·Q_n mod 9).
pub fn check_digit(base12: &[u8]) -> u8 {
    debug_assert_eq!(base12.len(), 12);
    let sum: u32 = base12
        .iter()
        .rev()
        .zip(1u32..)
        .map(|(d, n)| u32::from(d - b'0') * if n % 2 == 1 { 1 } else { 2 })
        .sum();
    9 - (sum % 9) as u8
}

impl fmt::Debug for CorporateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CorporateNumber({})", self.as_str())
    }
}

impl fmt::Display for CorporateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CorporateNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check digit written another way than `check_digit`: weights 2, 1, 2, … from the
    /// left of the 12 digits (the 12th from the right, an even position, first), and the
    /// remainder taken digit by digit.
    fn independent_check(base: &str) -> u32 {
        let mut sum = 0u32;
        for (i, c) in base.chars().enumerate() {
            let weight = if i % 2 == 0 { 2 } else { 1 };
            sum = (sum + c.to_digit(10).unwrap() * weight) % 9;
        }
        9 - sum
    }

    #[test]
    fn the_published_example_and_known_companies_are_valid() {
        // 国税庁's own number is SPEC §4g's example; the others are well-known companies'.
        for n in ["7000012050002", "1180301018771", "5010401067252"] {
            let parsed = CorporateNumber::parse(n).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert_eq!(parsed.as_str(), n);
            assert_eq!(parsed.to_string(), n, "public: shown in clear");
        }
        let typed = CorporateNumber::parse("７０００ ０１２０-５０００２").unwrap();
        assert_eq!(typed.as_str(), "7000012050002");
    }

    #[test]
    fn check_digits_agree_with_an_independent_computation() {
        // 25 bases from a fixed linear congruential sequence, each with its right check
        // digit (valid) and every other (invalid).
        let mut x: u64 = 20261208;
        for _ in 0..25 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let base = format!("{:012}", (x >> 16) % 1_000_000_000_000);
            let check = independent_check(&base);
            assert_eq!(u32::from(check_digit(base.as_bytes())), check, "{base}");
            for d in 0..10u32 {
                let n = format!("{d}{base}");
                let parsed = CorporateNumber::parse(&n);
                if d == check {
                    assert!(parsed.is_ok(), "{n}");
                } else {
                    assert_eq!(parsed.unwrap_err(), NumberRule::CheckDigit, "{n}");
                }
            }
        }
    }

    #[test]
    fn malformed_numbers_are_refused_with_the_my_number_s_rules() {
        assert_eq!(
            CorporateNumber::parse("700001205000").unwrap_err(),
            NumberRule::Length
        );
        assert_eq!(
            CorporateNumber::parse("70000120500021").unwrap_err(),
            NumberRule::Length
        );
        assert_eq!(
            CorporateNumber::parse("7000012O50002").unwrap_err(),
            NumberRule::NonDigit
        );
        assert_eq!(
            CorporateNumber::parse("8000012050002").unwrap_err(),
            NumberRule::CheckDigit
        );
        // A My Number is not a corporate number.
        assert_eq!(
            CorporateNumber::parse("123456789018").unwrap_err(),
            NumberRule::Length
        );
    }
}
