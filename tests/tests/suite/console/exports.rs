//! 番号の一括出力 in the console: four eyes, one download.

use super::*;

/// 番号の一括出力: a handler requests, another approves (the page offers no approval of
/// one's own), the first downloads the file once (a BOM for Excel, every digit), the auditor
/// sees who did what, and a download already spent is explained.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_export_numbers_with_four_eyes_and_download_once() {
    let c = Console::open("exports").await;
    register(&c.stack, "E7501", N1).await;
    register(&c.stack, "E7502", N2).await;
    c.as_principal("handler").await;
    c.page("exports").await;
    c.choose("#exp-purpose", "withholding_tax").await;
    c.click("#exp-submit").await;
    c.b.text_containing("#exp-requested", "2件").await;
    let row = "#exp-table tbody tr";
    c.b.text_containing(row, "自分の依頼は承認できません").await;
    let approvable = c
        .js("return document.querySelectorAll('#exp-table button[data-action=\"approve\"]').length")
        .await;
    assert_eq!(approvable, json!(0), "no approval of one's own request");
    c.shot("exports").await;

    // Another handler approves.
    c.as_principal("handler").await;
    c.fill("#dev-sub", "payroll-kato").await;
    c.click("#dev-apply").await;
    c.page("exports").await;
    c.click("#exp-table button[data-action=\"approve\"]").await;
    c.b.text_containing(row, "承認済み").await;
    c.b.text_containing(row, "payroll-kato").await;

    // The requester downloads it, once.
    c.as_principal("handler").await;
    c.page("exports").await;
    c.click("#exp-table button[data-action=\"download\"][data-format=\"csv\"]")
        .await;
    c.b.text_containing(row, "ダウンロード済み").await;
    let csv = downloaded(&c.b.downloads_dir(), "csv").await;
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("employee_id,relation,dependent_label,my_number"),
        "{text}"
    );
    assert!(text.contains(&format!("E7501,self,,{N1}")), "every digit");
    assert!(text.contains(&format!("E7502,self,,{N2}")));

    // A second export, approved, then downloaded elsewhere: the page's button meets the
    // 410, which the page explains.
    let second = request_export(
        &c.stack,
        json!({"purpose": "withholding_tax", "employee_ids": ["E7501"]}),
    )
    .await;
    approve_export(&c.stack, &second).await;
    c.click("#exp-reload").await;
    let button = format!(
        "#exp-table tr[data-export-id=\"{second}\"] button[data-action=\"download\"][data-format=\"csv\"]"
    );
    c.b.visible(&button).await;
    let r = c
        .stack
        .call(
            req("GET", &format!("/v1/exports/{second}/file"))
                .who(&Who::handler(TENANT))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200);
    c.click(&button).await;
    c.b.text_containing("#exp-list-error", "もうダウンロードできません")
        .await;

    // A third, downloaded as an Excel workbook: every number a text cell, all its digits.
    let third = request_export(
        &c.stack,
        json!({"purpose": "withholding_tax", "employee_ids": ["E7502"]}),
    )
    .await;
    approve_export(&c.stack, &third).await;
    c.click("#exp-reload").await;
    c.click(&format!(
        "#exp-table tr[data-export-id=\"{third}\"] button[data-action=\"download\"][data-format=\"xlsx\"]"
    ))
    .await;
    let xlsx = downloaded(&c.b.downloads_dir(), "xlsx").await;
    {
        use calamine::{Data, Reader, Xlsx};
        let mut book = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
        let rows: Vec<Vec<Data>> = book
            .worksheet_range("export")
            .unwrap()
            .rows()
            .map(|r| r.to_vec())
            .collect();
        assert_eq!(rows[1][0], Data::String("E7502".into()));
        assert_eq!(rows[1][3], Data::String(N2.into()), "every digit, as text");
    }

    // The auditor sees the list, and no request form.
    c.as_principal("auditor").await;
    c.page("exports").await;
    c.b.text_containing("#exp-table tbody", "payroll-kato")
        .await;
    let form_hidden = c
        .js("return document.querySelector('#exp-form').hidden")
        .await;
    assert_eq!(form_hidden, json!(true));
    c.close().await;
}
