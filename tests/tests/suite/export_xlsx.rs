//! An export's file as an Excel workbook (SPEC §4b, issue 28): what a spreadsheet reads back.

use super::*;
use crate::exports::{approve, approver, request_export, requester};

/// The export's file as an Excel workbook (`?format=xlsx`): a spreadsheet reads every number
/// as text with all twelve digits, the leading zero a CSV opened in Excel loses included;
/// it is the one download (a CSV after it is 410); a format the API does not make is 400.
#[tokio::test]
async fn the_file_as_xlsx_keeps_every_digit_as_text() {
    use calamine::{Data, Reader, Xlsx};
    let stack = Stack::new().await;
    // A number whose first digit is 0.
    let zero = "023456789013";
    let r = register(&stack, &Who::registrar("acme"), own_number("E6101", zero)).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let r = register(
        &stack,
        &Who::registrar("acme"),
        own_number("E6102", TEST_NUMBERS[0]),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let made = request_export(
        &stack,
        &requester(),
        json!({"purpose": "withholding_tax", "all": true}),
    )
    .await;
    let id = made.body["export_id"].as_str().unwrap().to_owned();
    let approved = approve(&stack, &approver(), &id).await;
    assert_eq!(approved.status, 200, "{}", approved.raw);
    let requester = requester();
    let file = |format: Option<&str>| {
        let mut r = req("GET", &format!("/v1/exports/{id}/file")).who(&requester);
        if let Some(f) = format {
            r = r.query("format", f);
        }
        stack.call(r.build())
    };
    let odd = file(Some("ods")).await;
    assert_eq!(
        odd.field_errors(),
        [("format".to_owned(), "enum".to_owned())]
    );

    let xlsx = file(Some("xlsx")).await;
    assert_eq!(xlsx.status, 200, "{}", xlsx.raw);
    assert_eq!(
        xlsx.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(xlsx.headers["cache-control"], "no-store");
    assert!(
        xlsx.headers["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with(".xlsx\""),
    );
    let mut book = Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).unwrap();
    let sheet = book.worksheet_range("export").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    let text = |s: &str| Data::String(s.to_owned());
    assert_eq!(
        rows[0],
        ["employee_id", "relation", "dependent_label", "my_number"].map(text)
    );
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[1],
        [text("E6101"), text("self"), Data::Empty, text(zero)]
    );
    assert_eq!(rows[2][3], text(TEST_NUMBERS[0]));

    // One download, whatever its form.
    assert_eq!(file(None).await.status, 410);
}
