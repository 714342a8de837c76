//! The number's parsing, check digit and secrecy.

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

#[test]
fn a_scan_for_known_numbers_finds_only_those_however_written() {
    let only = |want: &'static [u8; 12]| move |d: &[u8; 12]| d == want;
    for text in [
        "1234-5678-9018",
        "１２３４　５６７８　９０１８",
        "\"１２３４５６７８９０１８\"",
        "١٢٣٤٥٦٧٨٩٠١٨",
    ] {
        assert!(
            holds_my_number_where(text, only(b"123456789018")),
            "{text:?}"
        );
        assert!(
            !holds_my_number_where(text, only(b"023456789013")),
            "{text:?}"
        );
    }
}

/// The zero of each digit script the detector must read: ASCII, full-width,
/// mathematical bold, Arabic-Indic, Devanagari.
const SCRIPT_ZEROS: [u32; 5] = [0x30, 0xFF10, 0x1D7CE, 0x660, 0x966];

fn in_script(ascii_digit: u8, script: usize) -> char {
    char::from_u32(SCRIPT_ZEROS[script] + u32::from(ascii_digit - b'0')).unwrap()
}

fn written_in(ascii: &str, script: usize) -> String {
    ascii.bytes().map(|d| in_script(d, script)).collect()
}

/// What people put between groups of digits: spaces, hyphens and dashes, dots, middle
/// dots, commas, underscores, newlines (and the full- and half-width forms of these).
const STREAM_SEPARATORS: [&str; 21] = [
    " ", "\u{3000}", "\t", "\n", "\r\n", "-", "\u{2010}", "\u{2013}", "\u{2014}", "\u{2212}", "－",
    "ー", ".", "・", "･", ",", "，", "_", "\u{00A0}", "．", "\u{200B}",
];

/// Anything else that is not a letter, which only whole groups may span; and lists.
const OTHER_SEPARATORS: [&str; 9] = ["/", ": ", "(", ")", "。", "#", "、", ", ", "，\n"];

/// One to three stream separators, never a comma followed by white space (a list).
fn separator() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(&STREAM_SEPARATORS[..]), 1..=3)
        .prop_map(|parts| parts.concat())
        .prop_filter("a list", |sep| {
            sep.find([',', '，'])
                .is_none_or(|i| !sep[i..].chars().any(char::is_whitespace))
        })
}

fn any_separator() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => separator(),
        1 => proptest::sample::select(&OTHER_SEPARATORS[..]).prop_map(str::to_string),
    ]
}

/// Japanese and ASCII prose without any digit.
fn prose() -> impl Strategy<Value = String> {
    "[a-zA-Zぁ-んァ-ヶ一-龥 、。：（）!?「」]{0,12}"
}

#[test]
fn reported_gaps_are_detected() {
    for text in [
        "20241234-5678-9018",
        "1234 5678 901899",
        "𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗𝟎𝟏𝟖",
        "𝟷𝟸𝟹𝟺𝟻𝟼𝟽𝟾𝟿𝟶𝟷𝟾",
        "١٢٣٤٥٦٧٨٩٠١٨",
        "١٢٣٤-٥٦٧٨-٩٠١٨",
        "۱۲۳۴۵۶۷۸۹۰۱۸",
        "१२३४५६७८९०१८",
        "理由: १२३४ ५६७८ ९०१८ です",
        "①②③④⑤⑥⑦⑧⑨⓪①⑧",
        "2024.1234.5678.9018",
        "番号は 0000 1234-5678-9018 です",
        "1234ー5678ー9018",
        "1234\u{200B}5678\u{200B}901899",
        "1234\u{00AD}5678\u{00AD}9018",
    ] {
        assert!(holds_my_number(text), "{text:?}");
    }
}

#[test]
fn unicode_digit_runs_in_ids() {
    for id in [
        "١٢٣٤٥٦٧٨٩٠١٢",
        "E-१२३४५६७८९०१२",
        "𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗𝟎𝟏𝟐",
        "①②③④⑤⑥⑦⑧⑨⓪①②",
        "1234ー5678ー9012",
        "1234\u{200B}5678\u{200B}9012",
    ] {
        assert!(holds_digit_run(id), "{id:?}");
    }
}

/// Numeric characters that are not decimal digits (No, Nl) and that NFKC does not map
/// to digits are not digits: Tamil and Malayalam ten, Ethiopic numbers, counting rods.
#[test]
fn non_decimal_numerics_are_not_digits() {
    let text = "௰௱൰፲፳𝍠𝍡𝍢𝍣𝍤𝍥𝍦";
    assert!(text.chars().all(char::is_numeric));
    assert!(!holds_digit_run(text));
    assert!(!holds_my_number(text));
    // Roman numerals fold to letters.
    assert!(!holds_digit_run("ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"));
}

#[test]
fn decimal_digit_table_is_sound() {
    assert!(DECIMAL_ZEROS.windows(2).all(|w| w[0] + 10 <= w[1]));
    let mut count = 0;
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let Some(d) = decimal_digit(c) else { continue };
        count += 1;
        // Nd digits are numeric and never letters…
        assert!(c.is_numeric() && !c.is_alphabetic(), "{c:?}");
        // …and where NFKC folds one, it folds it to the ASCII digit of the same value.
        use unicode_normalization::UnicodeNormalization;
        let folded: String = std::iter::once(c).nfkc().collect();
        assert!(
            folded == c.to_string() || folded == (d as char).to_string(),
            "{c:?}"
        );
    }
    assert_eq!(count, 770);
    assert_eq!(decimal_digit('/'), None);
    assert_eq!(decimal_digit(':'), None);
    assert_eq!(decimal_digit('\u{065F}'), None);
    assert_eq!(decimal_digit('\u{066A}'), None);
    assert_eq!(decimal_digit('٩'), Some(b'9'));
    assert_eq!(decimal_digit('\u{1FBF9}'), Some(b'9'));
    assert_eq!(decimal_digit('\u{1E5FA}'), Some(b'9'));
    assert_eq!(decimal_digit('½'), None);
    assert_eq!(decimal_digit('Ⅻ'), None);
}

/// The detector as it was before digit streams and Unicode digits, kept to prove that
/// whatever it found is still found.
fn previous_holds_my_number(text: &str) -> bool {
    fn ascii_digit(c: char) -> Option<u8> {
        match c {
            '0'..='9' => Some(c as u8),
            '０'..='９' => Some(b'0' + (c as u32 - '０' as u32) as u8),
            _ => None,
        }
    }
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

/// Dates, amounts, phone numbers and postcodes in ordinary prose.
#[test]
fn ordinary_prose_passes() {
    for text in [
        "2026-04-01, 2026-05-01に依頼",
        "2026年4月1日に本人確認書類を依頼、5月1日に再依頼",
        "本人が提出を拒否（2026/04/01 10:30）",
        "電話 03-1234-5678 で確認済み",
        "〒100-0001 東京都千代田区千代田1-1",
        "扶養者 長男 2015-06-30生",
        "金額 1,234,567円",
        "Refused on 2026-04-01 by phone, call ref 4471",
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

    /// (1) A valid number, split anywhere with any separators, each digit in any of the
    /// scripts, inside digit-free prose, is found.
    #[test]
    fn a_valid_number_is_found_however_written(
        d in proptest::array::uniform11(0u8..10),
        scripts in proptest::collection::vec(0..SCRIPT_ZEROS.len(), 12),
        cuts in proptest::collection::vec(proptest::option::weighted(0.3, any_separator()), 11),
        before in prose(),
        after in prose(),
    ) {
        let valid = with_check_digit(&d);
        let mut text = before.clone();
        for (i, digit) in valid.bytes().enumerate() {
            text.push(in_script(digit, scripts[i]));
            if let Some(Some(sep)) = cuts.get(i) {
                text.push_str(sep);
            }
        }
        text.push_str(&after);
        prop_assert!(holds_my_number(&text), "{:?}", text);
    }

    /// (2) A valid number anywhere inside a longer stream of digit groups is found,
    /// whatever the groups' boundaries.
    #[test]
    fn a_valid_number_is_found_inside_a_longer_digit_stream(
        d in proptest::array::uniform11(0u8..10),
        head in proptest::collection::vec(0u8..10, 0..16),
        tail in proptest::collection::vec(0u8..10, 0..16),
        scripts in proptest::collection::vec(0..SCRIPT_ZEROS.len(), 44),
        cuts in proptest::collection::vec(proptest::option::weighted(0.4, separator()), 44),
        before in prose(),
        after in prose(),
    ) {
        let valid = with_check_digit(&d);
        let stream: Vec<u8> = head
            .iter()
            .map(|d| b'0' + d)
            .chain(valid.bytes())
            .chain(tail.iter().map(|d| b'0' + d))
            .collect();
        let mut text = before.clone();
        for (i, &digit) in stream.iter().enumerate() {
            text.push(in_script(digit, scripts[i]));
            if i + 1 < stream.len()
                && let Some(sep) = &cuts[i]
            {
                text.push_str(sep);
            }
        }
        text.push_str(&after);
        prop_assert!(holds_my_number(&text), "{:?}", text);
    }

    /// (3) Text without any digit (even after NFKC) is never flagged.
    #[test]
    fn text_without_digits_is_never_flagged(raw in prop_oneof!["\\PC{0,80}", "[a-zA-Zぁ-んァ-ヶ一-龥 、。・ー－,.\\-\n]{0,80}"]) {
        use unicode_normalization::UnicodeNormalization;
        let text: String = raw
            .chars()
            .filter(|c| !std::iter::once(*c).nfkc().any(char::is_numeric))
            .collect();
        prop_assert!(!holds_my_number(&text), "{:?}", text);
        prop_assert!(!holds_digit_run(&text), "{:?}", text);
    }

    /// Whatever the previous detector found (ASCII and full-width digits, whole groups
    /// across any non-letter) is still found.
    #[test]
    fn nothing_found_before_is_missed_now(tokens in proptest::collection::vec(prop_oneof![
        8 => proptest::char::range('0', '9').prop_map(String::from),
        2 => proptest::char::range('０', '９').prop_map(String::from),
        3 => proptest::sample::select(&STREAM_SEPARATORS[..]).prop_map(str::to_string),
        2 => proptest::sample::select(&OTHER_SEPARATORS[..]).prop_map(str::to_string),
        1 => proptest::sample::select(&["a", "番", "ー", "\u{200B}", "\u{00AD}"][..]).prop_map(str::to_string),
    ], 0..48)) {
        let text = tokens.concat();
        if previous_holds_my_number(&text) {
            prop_assert!(holds_my_number(&text), "{:?}", text);
        }
    }

    #[test]
    fn whole_scripts_render_the_same_number(d in proptest::array::uniform11(0u8..10), script in 0..SCRIPT_ZEROS.len()) {
        let valid = with_check_digit(&d);
        prop_assert!(holds_my_number(&written_in(&valid, script)));
        prop_assert!(holds_digit_run(&written_in(&valid, script)));
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
