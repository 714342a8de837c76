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
        let (mut buf, len, non_digit) = scan_digits::<12>(input);
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

/// What HR staff type or paste, read as digits: ASCII or full-width digits, spaces and
/// hyphens (of the usual Unicode kinds) ignored. The first `N` digits as ASCII, how many
/// digits there were, and whether anything else was there. No heap copy is made.
pub(crate) fn scan_digits<const N: usize>(input: &str) -> ([u8; N], usize, bool) {
    let mut buf = [0u8; N];
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
                if len < N {
                    buf[len] = d;
                }
                len += 1;
            }
            None if is_separator(c) => {}
            None => non_digit = true,
        }
    }
    (buf, len, non_digit)
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

/// The zero of every run of General Category Nd (decimal digit) characters, sorted.
/// Every Nd character belongs to a contiguous run of ten whose first is its zero (a rule
/// Unicode keeps; Unicode Standard §4.6, Numeric Value), so its value is its distance
/// from the nearest zero at or below it. Generated from UnicodeData.txt of Unicode 18.0.0
/// (the version of `unicode_normalization::UNICODE_VERSION`; the Python `unicodedata2`
/// 18.0.0 backport) by listing the code points with field 2 = `Nd` and field 6 = `0`:
/// 77 runs, 770 characters; Unicode 16.0 has the same list less U+11DE0.
const DECIMAL_ZEROS: [u32; 77] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x10D40, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
    0x11650, 0x116C0, 0x116D0, 0x116DA, 0x11730, 0x118E0, 0x11950, 0x11BF0, 0x11C50, 0x11D50,
    0x11DA0, 0x11DE0, 0x11F50, 0x16130, 0x16A60, 0x16AC0, 0x16B50, 0x16D70, 0x1CCF0, 0x1D7CE,
    0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E5F1, 0x1E950, 0x1FBF0,
];

/// The value of a Unicode decimal digit (General Category Nd) of any script, as an ASCII
/// digit. `char::is_numeric` would be wrong here: it also admits No and Nl (½, Ⅻ, ௰).
fn decimal_digit(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8);
    }
    let cp = u32::from(c);
    let zero = DECIMAL_ZEROS[DECIMAL_ZEROS.partition_point(|&z| z <= cp).checked_sub(1)?];
    let value = cp - zero;
    (value < 10).then(|| b'0' + value as u8)
}

/// How the detectors read one character of NFKC-normalised text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A decimal digit, as its ASCII digit.
    Digit(u8),
    /// White space (newlines included). Joins digit groups into one stream, except right
    /// after a comma: `1, 2` is a list.
    Space,
    /// A comma (`,`, full-width `，`, Arabic `،`). Joins digit groups into one stream unless
    /// white space follows it.
    Comma,
    /// What else people put between the groups of one number: hyphens, dashes and minus
    /// signs, the katakana prolonged sound mark ー that Japanese IMEs type for a hyphen,
    /// dots and middle dots (・), underscores, Arabic decimal and thousands separators; and
    /// invisible characters (default-ignorable code points such as zero-width spaces and
    /// joiners, the soft hyphen, bidi controls, variation selectors, tags; combining marks
    /// that are not letters, such as the keycap U+20E3). Joins digit groups into one stream.
    Joiner,
    /// Any other non-letter (brackets, slashes, colons, the list comma 、 and full stop 。,
    /// currency signs, …): ends the digit stream, but whole groups of digits may still add
    /// up across it.
    Other,
    /// A letter: ends everything.
    Letter,
}

fn kind(c: char) -> Kind {
    if let Some(d) = decimal_digit(c) {
        return Kind::Digit(d);
    }
    if c.is_whitespace() {
        return Kind::Space;
    }
    if matches!(c, ',' | '\u{060C}') {
        return Kind::Comma;
    }
    if is_joiner(c)
        || is_default_ignorable(c)
        || (unicode_normalization::char::is_combining_mark(c) && !c.is_alphabetic())
    {
        return Kind::Joiner;
    }
    if c.is_alphabetic() {
        Kind::Letter
    } else {
        Kind::Other
    }
}

/// Visible joiners after NFKC (which already folds the full- and half-width forms).
fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            ..='\u{2015}' // hyphen, non-breaking hyphen, figure dash, en/em dash, bar
            | '\u{2212}' // minus sign
            | '\u{30FC}' // katakana-hiragana prolonged sound mark ー
            | '.' | '\u{00B7}' | '\u{2027}' | '\u{30FB}' // dots, middle dots, katakana middle dot ・
            | '\u{066B}' | '\u{066C}' // Arabic decimal and thousands separators
            | '_'
    )
}

/// Default_Ignorable_Code_Point of DerivedCoreProperties.txt (Unicode 16/18).
fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// The text's characters as the detectors read them: NFKC first, so compatibility digits
/// (full-width, mathematical, circled, superscript, segmented) become ASCII digits. The
/// normaliser streams over the text with a small inline buffer; no copy of the text is made.
fn kinds(text: &str) -> impl Iterator<Item = Kind> + '_ {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc().map(kind)
}

/// True when an id or a field name holds 12 or more digits (decimal digits of any script,
/// or characters that NFKC folds to digits) with only non-letters between them
/// (`1234.5678.9018`, `1234_5678_9018`, `1234ー5678ー9018`). Ids are key material that ends
/// up in keys, KMS contexts and CloudTrail, so the rule is strict and never depends on the
/// check digit: the same id is always refused.
pub fn holds_digit_run(text: &str) -> bool {
    let mut run = 0;
    for k in kinds(text) {
        match k {
            Kind::Digit(_) => {
                run += 1;
                if run >= 12 {
                    return true;
                }
            }
            Kind::Letter => run = 0,
            Kind::Space | Kind::Comma | Kind::Joiner | Kind::Other => {}
        }
    }
    false
}

/// True when free text holds a My Number however it is written. After NFKC, decimal digits
/// of any script count with their value. Then:
///
/// - Groups of digits joined by separators (spaces, hyphens, dots, ・, commas, newlines, …;
///   see [`Kind`]) form one digit stream: any 12 consecutive digits of the stream that pass
///   the check digit are a number, across group boundaries and at any offset
///   (`20241234-5678-9018`, `1234 5678 901899`). A list (`, ` or 、) ends the stream.
/// - Whole groups separated by anything but letters (so also `/`, `:`, brackets, 。) that
///   add up to exactly 12 digits passing the check digit are a number (`1234/5678/9018`).
///
/// Letters end both. Text with dates or amounts passes unless 12 consecutive digits of one
/// stream happen to form a valid number (about one chance in ten per window). The last 12
/// digits live in a stack buffer that is zeroed before returning; nothing goes to the heap.
pub fn holds_my_number(text: &str) -> bool {
    holds_my_number_where(text, |_| true)
}

/// True when free text holds a number, found as [`holds_my_number`] finds them, that
/// `wanted` accepts (given its 12 ASCII digits). For scans after known numbers, such as the
/// test suite's leak checks over log lines, where any valid number would also match the
/// occasional date or id.
pub fn holds_my_number_where(text: &str, wanted: impl FnMut(&[u8; 12]) -> bool) -> bool {
    let mut detector = Detector {
        last12: [0; 12],
        stream: 0,
        group: 0,
        groups: [0; 12],
        closed: 0,
        after_comma: false,
        wanted,
    };
    kinds(text).any(|k| detector.feed(k)) || detector.close_group()
}

struct Detector<F: FnMut(&[u8; 12]) -> bool> {
    /// The last 12 digits since the last letter, oldest first.
    last12: [u8; 12],
    /// Digits in the current stream.
    stream: usize,
    /// Digits in the current group.
    group: usize,
    /// Lengths (capped at 13) of the groups closed since the last letter, newest last;
    /// only the last 12 matter, as a group has at least one digit.
    groups: [u8; 12],
    closed: usize,
    /// A comma came since the last digit.
    after_comma: bool,
    /// Which valid numbers count as found.
    wanted: F,
}

impl<F: FnMut(&[u8; 12]) -> bool> Detector<F> {
    /// Reads one character; true once a number is found.
    fn feed(&mut self, k: Kind) -> bool {
        match k {
            Kind::Digit(d) => {
                self.after_comma = false;
                self.last12.copy_within(1.., 0);
                self.last12[11] = d;
                self.group += 1;
                self.stream += 1;
                self.stream >= 12 && self.last12_valid()
            }
            Kind::Space => {
                if self.after_comma {
                    self.stream = 0;
                }
                self.close_group()
            }
            Kind::Comma => {
                self.after_comma = true;
                self.close_group()
            }
            Kind::Joiner => self.close_group(),
            Kind::Other => {
                self.stream = 0;
                self.close_group()
            }
            Kind::Letter => {
                let found = self.close_group();
                self.stream = 0;
                self.closed = 0;
                found
            }
        }
    }

    /// Ends the current group, if any; true when it ends whole groups of exactly 12 digits
    /// that pass the check digit.
    fn close_group(&mut self) -> bool {
        if self.group == 0 {
            return false;
        }
        self.groups.copy_within(1.., 0);
        self.groups[11] = self.group.min(13) as u8;
        self.group = 0;
        self.closed += 1;
        let mut total = 0;
        for &len in self.groups.iter().rev().take(self.closed.min(12)) {
            total += usize::from(len);
            if total >= 12 {
                return total == 12 && self.last12_valid();
            }
        }
        false
    }

    fn last12_valid(&mut self) -> bool {
        check_digit(&self.last12[..11]) == self.last12[11] - b'0' && (self.wanted)(&self.last12)
    }
}

impl<F: FnMut(&[u8; 12]) -> bool> Drop for Detector<F> {
    fn drop(&mut self) {
        self.last12.zeroize();
    }
}

#[cfg(test)]
mod tests;
