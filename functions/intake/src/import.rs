//! `POST /v1/imports`: a CSV file read into rows (SPEC §4b). UTF-8 with or without a BOM,
//! or Shift_JIS (what Excel and kintone exports often are) when the Content-Type says so;
//! the header's columns in any order, by their API names or the Japanese names a kintone
//! app's fields usually carry (README, "Bulk import"). Each row is parsed alone: its
//! broken rules become its own errors, never a value.

use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request};
use mynumber_domain::import::{
    COLUMNS, ImportRequest, ImportRow, MAX_ROWS, RowRegistration, column_of,
};
use mynumber_domain::number::holds_digit_run;
use mynumber_domain::record::{DependentLabel, Relation, RelationKind};
use mynumber_domain::verification::{IdentityCheck, NumberCheck};
use mynumber_domain::{EmployeeId, FieldError, MyNumber, Purpose, PurposeSet, VaultError};
use mynumber_http::query;
use mynumber_http::{ApiError, TransportError};
use mynumber_sheet::Charset;
use zeroize::Zeroizing;

/// Lambda's synchronous request limit.
pub const MAX_IMPORT_BYTES: usize = 6 * 1024 * 1024;

/// Japanese words accepted in the cells besides the API's codes.
const VALUE_ALIASES: &[(&str, &str)] = &[
    ("本人", "self"),
    ("配偶者", "spouse"),
    ("扶養親族", "dependent"),
    ("個人番号カード", "my_number_card"),
    ("マイナンバーカード", "my_number_card"),
    ("通知カード", "notification_card"),
    ("住民票の写し", "resident_record"),
    ("写真付き身分証明書", "photo_id"),
    ("書類2点", "two_documents"),
    ("公的個人認証", "jpki"),
    ("対面で確認", "known_in_person"),
    ("従業員が確認", "by_employee"),
    ("源泉徴収", "withholding_tax"),
    ("扶養控除等申告書", "dependents_declaration"),
    ("支払調書", "payment_record"),
    ("社会保険", "social_insurance"),
    ("雇用保険", "employment_insurance"),
    ("国民年金第3号", "national_pension_dependent_spouse"),
];

fn value(cell: &str) -> &str {
    VALUE_ALIASES
        .iter()
        .find(|(ja, _)| *ja == cell)
        .map_or(cell, |(_, code)| code)
}

/// The request: `?dry_run=`, the body decoded by its charset, the header, the rows.
pub fn parse_import(req: &Request) -> Result<ImportRequest, ApiError> {
    let q = query(req, &["dry_run"])?;
    let dry_run = match q.get("dry_run").copied() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(VaultError::invalid("dry_run", "enum").into()),
    };
    let bytes: &[u8] = match req.body() {
        Body::Text(s) => s.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(TransportError::PayloadTooLarge.into());
    }
    let text = decode(content_charset(req)?, bytes)?;
    let rows = read_rows(&text)?;
    Ok(ImportRequest { dry_run, rows })
}

/// `text/csv` (or `application/csv`) with `charset` UTF-8 (the default) or Shift_JIS and
/// its Windows names; anything else is 415.
fn content_charset(req: &Request) -> Result<Charset, ApiError> {
    let Some(ct) = req.headers().get(CONTENT_TYPE) else {
        return Err(TransportError::UnsupportedMediaType.into());
    };
    let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
    let mut parts = ct.split(';').map(str::trim);
    if !matches!(parts.next(), Some("text/csv" | "application/csv")) {
        return Err(TransportError::UnsupportedMediaType.into());
    }
    let mut charset = Charset::Utf8;
    for p in parts {
        if let Some(v) = p.strip_prefix("charset=") {
            charset = match v.trim_matches('"') {
                "utf-8" | "utf8" => Charset::Utf8,
                "shift_jis" | "shift-jis" | "sjis" | "windows-31j" | "cp932" | "ms932" => {
                    Charset::ShiftJis
                }
                _ => return Err(TransportError::UnsupportedMediaType.into()),
            };
        }
    }
    Ok(charset)
}

/// The body as text, zeroed when dropped (it holds numbers). Bytes that are not the
/// declared charset are a 400, never replaced.
fn decode(charset: Charset, bytes: &[u8]) -> Result<Zeroizing<String>, ApiError> {
    let text = mynumber_sheet::decode(bytes, Some(charset))
        .map_err(|_| VaultError::invalid("body", "encoding"))?;
    if text.trim().is_empty() {
        return Err(VaultError::invalid("body", "required").into());
    }
    Ok(text)
}

/// A header name safe to repeat in an error: one that could not be a value.
fn column_name(name: &str) -> String {
    if name.chars().count() <= 40 && !holds_digit_run(name) && !name.chars().any(char::is_control) {
        name.to_owned()
    } else {
        "(unnamed)".to_owned()
    }
}

fn read_rows(text: &str) -> Result<Vec<ImportRow>, ApiError> {
    let Some(sheet) = mynumber_sheet::sheet(text) else {
        return Err(VaultError::invalid("header", "required").into());
    };
    let header = sheet.header.clone();
    // Which column each header cell names.
    let mut index: [Option<usize>; 8] = [None; 8];
    let mut errors = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().trim_start_matches('\u{feff}');
        match column_of(name) {
            Some(c) if index[c].is_some() => errors.push(FieldError::new(
                format!("header.{}", COLUMNS[c]),
                "duplicate_column",
            )),
            Some(c) => index[c] = Some(i),
            None => errors.push(FieldError::new(
                format!("header.{}", column_name(name)),
                "unknown_column",
            )),
        }
    }
    for (c, name) in COLUMNS.iter().enumerate() {
        // A file of numbers only may leave out the dependants' label.
        if index[c].is_none() && *name != "dependent_label" {
            errors.push(FieldError::new(format!("header.{name}"), "required"));
        }
    }
    if !errors.is_empty() {
        return Err(VaultError::Invalid(errors).into());
    }
    let mut rows = Vec::new();
    for (row, record) in sheet {
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                rows.push(ImportRow {
                    row,
                    parsed: Err(vec![FieldError::new("row", "csv")]),
                });
                continue;
            }
        };
        if rows.len() == MAX_ROWS {
            return Err(TransportError::PayloadTooLarge.into());
        }
        let cell = |c: usize| {
            index[c]
                .and_then(|i| record.get(i))
                .map(str::trim)
                .unwrap_or_default()
        };
        rows.push(ImportRow {
            row,
            parsed: parse_row(&cell),
        });
    }
    if rows.is_empty() {
        return Err(VaultError::invalid("body", "no_rows").into());
    }
    Ok(rows)
}

/// One row's cells by column index (`COLUMNS`), every broken rule collected.
fn parse_row<'a>(cell: &dyn Fn(usize) -> &'a str) -> Result<RowRegistration, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, rule: &'static str| errors.push(FieldError::new(field, rule));
    let required = |c: usize| Some(cell(c)).filter(|s| !s.is_empty());

    let employee_id = match required(0) {
        None => {
            fail("employee_id", "required");
            None
        }
        Some(s) => EmployeeId::parse(s)
            .map_err(|r| fail("employee_id", r.code()))
            .ok(),
    };
    let kind = match required(1) {
        None => {
            fail("relation", "required");
            None
        }
        Some(s) => RelationKind::parse(value(s))
            .ok_or_else(|| fail("relation", "enum"))
            .ok(),
    };
    let label = match required(2) {
        None => None,
        Some(s) => DependentLabel::parse(s)
            .map_err(|r| fail("dependent_label", r.code()))
            .ok(),
    };
    let relation = match kind {
        Some(RelationKind::Dependent) if required(2).is_none() => {
            fail("dependent_label", "required");
            None
        }
        Some(RelationKind::Dependent) => label.map(Relation::Dependent),
        Some(kind) if required(2).is_some() => {
            let _ = kind;
            fail("dependent_label", "only_for_dependent");
            None
        }
        Some(kind) => Relation::from_parts(kind, None),
        None => None,
    };
    let number = match required(3) {
        None => {
            fail("my_number", "required");
            None
        }
        Some(s) => MyNumber::parse(s)
            .map_err(|r| fail("my_number", r.code()))
            .ok(),
    };
    let purposes = match required(4) {
        None => {
            fail("purposes", "required");
            None
        }
        Some(s) => {
            let mut parsed = Vec::new();
            let mut ok = true;
            for (i, p) in s.split([';', '；']).map(str::trim).enumerate() {
                match Purpose::parse(value(p)) {
                    Some(p) => parsed.push(p),
                    None => {
                        ok = false;
                        fail(&format!("purposes[{i}]"), "enum");
                    }
                }
            }
            if ok {
                PurposeSet::new(parsed).ok()
            } else {
                None
            }
        }
    };
    let number_check = match required(5) {
        None => {
            fail("number_check", "required");
            None
        }
        Some(s) => NumberCheck::parse_input(value(s))
            .map_err(|r| fail("number_check", r.code()))
            .ok(),
    };
    let identity_check = match required(6) {
        None => {
            fail("identity_check", "required");
            None
        }
        Some(s) => IdentityCheck::parse_input(value(s))
            .map_err(|r| fail("identity_check", r.code()))
            .ok(),
    };
    let verified_on = match required(7) {
        None => {
            fail("verified_on", "required");
            None
        }
        // 2026-04-01, or 2026/04/01 and 2026/4/1 as spreadsheets write dates.
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| chrono::NaiveDate::parse_from_str(s, "%Y/%m/%d"))
            .map_err(|_| fail("verified_on", "date"))
            .ok(),
    };
    match (
        employee_id,
        relation,
        purposes,
        number,
        number_check,
        identity_check,
        verified_on,
    ) {
        (
            Some(employee_id),
            Some(relation),
            Some(purposes),
            Some(number),
            Some(nc),
            Some(ic),
            Some(on),
        ) if errors.is_empty() => Ok(RowRegistration {
            employee_id,
            relation,
            purposes,
            number,
            number_check: nc,
            identity_check: ic,
            verified_on: on,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::SHIFT_JIS;

    fn request(ct: &str, body: Vec<u8>) -> Request {
        lambda_http::http::Request::builder()
            .method("POST")
            .uri("/v1/imports")
            .header("content-type", ct)
            .body(Body::Binary(body))
            .unwrap()
    }

    const HEADER: &str = "employee_id,relation,dependent_label,my_number,purposes,number_check,identity_check,verified_on\n";

    #[test]
    fn a_file_in_any_column_order_with_japanese_names_and_a_bom() {
        let csv = "\u{feff}マイナンバー,社員番号,区分,続柄,利用目的,番号確認書類,身元確認書類,確認日\r\n\
                   123456789018,E1,本人,,withholding_tax;social_insurance,個人番号カード,個人番号カード,2026/4/1\r\n\
                   023456789013,E1,扶養親族,長男,源泉徴収,通知カード,by_employee,2026-04-01\r\n\r\n";
        let parsed = parse_import(&request("text/csv", csv.as_bytes().to_vec())).unwrap();
        assert!(!parsed.dry_run);
        assert_eq!(parsed.rows.len(), 2);
        let first = parsed.rows[0].parsed.as_ref().unwrap();
        assert_eq!(parsed.rows[0].row, 2);
        assert_eq!(first.employee_id.as_str(), "E1");
        assert_eq!(first.relation, Relation::OwnNumber);
        let second = parsed.rows[1].parsed.as_ref().unwrap();
        assert_eq!(second.relation.label().unwrap().as_str(), "長男");
    }

    #[test]
    fn shift_jis_is_read_when_the_content_type_says_so() {
        let csv = format!(
            "{HEADER}E2,spouse,,123456789018,withholding_tax,my_number_card,my_number_card,2026-04-01\n"
        );
        let csv = csv.replace("spouse", "配偶者");
        let (bytes, _, _) = SHIFT_JIS.encode(&csv);
        let parsed =
            parse_import(&request("text/csv; charset=Shift_JIS", bytes.into_owned())).unwrap();
        assert_eq!(
            parsed.rows[0].parsed.as_ref().unwrap().relation,
            Relation::Spouse
        );
        // The same bytes declared as UTF-8 are refused, not garbled.
        let (bytes, _, _) = SHIFT_JIS.encode(&csv);
        let err = parse_import(&request("text/csv", bytes.into_owned())).unwrap_err();
        assert_eq!(
            err,
            ApiError::Vault(VaultError::invalid("body", "encoding"))
        );
    }

    #[test]
    fn unknown_and_missing_columns_are_named_and_values_never_echoed() {
        let csv = "employee_id,relation,レコード番号,123456789018,purposes\nE1,self,1,x,y\n";
        let Err(ApiError::Vault(VaultError::Invalid(errors))) =
            parse_import(&request("text/csv", csv.into()))
        else {
            panic!("a 400")
        };
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.rule)).collect();
        assert!(fields.contains(&("header.レコード番号", "unknown_column")));
        assert!(fields.contains(&("header.(unnamed)", "unknown_column")));
        assert!(fields.contains(&("header.my_number", "required")));
        assert!(!format!("{errors:?}").contains("123456789018"));
    }

    #[test]
    fn a_bad_row_fails_alone_with_its_fields() {
        let csv = format!(
            "{HEADER}E1,self,,123456789010,withholding_tax,my_number_card,my_number_card,2026-04-01\n\
             E2,dependent,,123456789018,nothing,my_number_card,my_number_card,someday\n\
             E3,self,,123456789018,withholding_tax,my_number_card,my_number_card,2026-04-01\n"
        );
        let parsed = parse_import(&request("text/csv", csv.into())).unwrap();
        let rules = |i: usize| -> Vec<(String, &str)> {
            parsed.rows[i]
                .parsed
                .as_ref()
                .unwrap_err()
                .iter()
                .map(|e| (e.field.clone(), e.rule))
                .collect()
        };
        assert_eq!(rules(0), vec![("my_number".into(), "check_digit")]);
        assert_eq!(
            rules(1),
            vec![
                ("dependent_label".into(), "required"),
                ("purposes[0]".into(), "enum"),
                ("verified_on".into(), "date"),
            ]
        );
        assert!(parsed.rows[2].parsed.is_ok());
    }

    #[test]
    fn limits_and_media_types() {
        let row =
            "E1,self,,123456789018,withholding_tax,my_number_card,my_number_card,2026-04-01\n";
        let csv = format!("{HEADER}{}", row.repeat(MAX_ROWS + 1));
        assert_eq!(
            parse_import(&request("text/csv", csv.into())).unwrap_err(),
            ApiError::Transport(TransportError::PayloadTooLarge)
        );
        let big = vec![b'a'; MAX_IMPORT_BYTES + 1];
        assert_eq!(
            parse_import(&request("text/csv", big)).unwrap_err(),
            ApiError::Transport(TransportError::PayloadTooLarge)
        );
        assert_eq!(
            parse_import(&request("application/json", b"{}".to_vec())).unwrap_err(),
            ApiError::Transport(TransportError::UnsupportedMediaType)
        );
        assert_eq!(
            parse_import(&request("text/csv; charset=latin1", b"a".to_vec())).unwrap_err(),
            ApiError::Transport(TransportError::UnsupportedMediaType)
        );
    }
}
