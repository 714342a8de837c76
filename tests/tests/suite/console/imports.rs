//! CSVの取り込み in the console, through the local gateway as `make dev` runs it: a
//! Shift_JIS kintone export checked, fixed and imported.

use super::*;
use crate::imports::{FIXTURE, fixed_fixture};
use mynumber_tests::local::Local;

/// `text` as Excel and kintone write it for Japanese Windows.
fn shift_jis(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable, "the fixture is all JIS X 0208");
    bytes.into_owned()
}

/// The rows of the failed-rows table: (row, column, reason).
async fn failures(c: &Console) -> Vec<(String, String, String)> {
    let v = c
        .js(
            "return [...document.querySelectorAll('#imp-table tbody tr')]\
             .map(tr => [...tr.cells].map(td => td.textContent))",
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let cell = |i: usize| r[i].as_str().unwrap().to_owned();
            (cell(0), cell(1), cell(2))
        })
        .collect()
}

/// A registrar imports a Shift_JIS kintone export through the page, served by the local
/// gateway with the functions' own binaries (the local router refused such bodies with its
/// own 500): the dry run lists the failed rows without a number, the fixed file checks
/// clean, the import registers it, and the report of failures is formula-safe CSV.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_imports_a_shift_jis_kintone_file_through_the_local_gateway() {
    let stack = Arc::new(Stack::with_dev_headers().await);
    let local = Local::start(&stack).await;
    let c = Console::at(
        stack.clone(),
        local.origin.clone(),
        "imports",
        Browser::start_desktop().await,
    )
    .await;
    c.b.visible("#dev-panel").await;
    c.as_principal("registrar").await;
    c.page("imports").await;

    let dir = std::env::temp_dir().join(format!("mynumber-import-{}", mynumber_tests::uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = dir.join("kintone-export.csv");
    let utf8 = String::from_utf8(FIXTURE.to_vec()).unwrap();
    std::fs::write(&first, shift_jis(utf8.trim_start_matches('\u{feff}'))).unwrap();
    c.b.visible("#imp-file")
        .await
        .send_keys(first.to_str().unwrap())
        .await
        .unwrap();
    c.b.text_containing("#imp-file-info", "Shift_JIS").await;
    c.click("#imp-check").await;
    c.b.text_containing("#imp-result", "まだ何も登録していません")
        .await;
    let result = c.b.text_of("#imp-result").await;
    assert!(result.contains("登録される行 3"), "{result}");
    assert!(result.contains("エラー 3"), "{result}");
    let rows = failures(&c).await;
    let short: Vec<_> = rows
        .iter()
        .map(|(r, f, _)| (r.as_str(), f.as_str()))
        .collect();
    assert_eq!(
        short,
        [
            ("4", "マイナンバー（my_number）"),
            ("5", "身元確認書類（identity_check）"),
            ("6", "マイナンバー（my_number）"),
        ],
        "{rows:?}"
    );
    assert!(
        rows[2].2.contains("E1001"),
        "the duplicate names its employee: {rows:?}"
    );
    c.shot("imports-dry-run").await;
    crate::accessibility::assert_accessible(&c.b, "console imports, failed rows").await;

    // The failures as CSV: no number, and formula-looking text neutralised.
    c.click("#imp-report").await;
    let report = downloaded(&c.b.downloads_dir(), "csv").await;
    let report = String::from_utf8(report[3..].to_vec()).unwrap();
    assert!(report.starts_with("行,項目,規則,理由"), "{report}");
    assert!(report.contains("4,my_number,length,"), "{report}");
    for n in ["123456789018", "3141", "1234-5678"] {
        assert!(!report.contains(n), "the report holds a number");
    }

    // HR fixes the file and checks it again: no failure, then imports it.
    let fixed = dir.join("kintone-export-fixed.csv");
    std::fs::write(
        &fixed,
        shift_jis(fixed_fixture().trim_start_matches('\u{feff}')),
    )
    .unwrap();
    c.b.visible("#imp-file")
        .await
        .send_keys(fixed.to_str().unwrap())
        .await
        .unwrap();
    c.b.text_containing("#imp-file-info", "kintone-export-fixed.csv")
        .await;
    c.click("#imp-check").await;
    c.b.text_containing("#imp-result", "問題はありません").await;
    assert_eq!(failures(&c).await, []);
    c.click("#imp-run").await;
    c.b.text_containing("#imp-result", "取り込みました").await;
    let done = c.b.text_of("#imp-result").await;
    assert!(done.contains("登録 5行"), "{done}");
    c.shot("imports-done").await;

    // A file over one request's 1,000 rows goes in two parts, with progress, and the
    // failed rows keep their rows in the file (the second part's too).
    let mut big = String::from(
        "社員番号,区分,続柄,マイナンバー,利用目的,番号確認書類,身元確認書類,確認日\r\n",
    );
    for i in 0..1005 {
        // A wrong check digit: every row fails on its own, before any KMS call.
        big.push_str(&format!(
            "E3{i:04},本人,,123456789010,withholding_tax,個人番号カード,個人番号カード,2026/04/01\r\n"
        ));
    }
    let big_file = dir.join("big.csv");
    std::fs::write(&big_file, shift_jis(&big)).unwrap();
    c.b.visible("#imp-file")
        .await
        .send_keys(big_file.to_str().unwrap())
        .await
        .unwrap();
    c.b.text_containing("#imp-file-info", "2回に分けて送ります")
        .await;
    c.click("#imp-check").await;
    c.b.text_containing("#imp-result", "エラー 1005").await;
    assert_eq!(c.b.text_of("#imp-progress-text").await, "1005 / 1005行");
    let rows = failures(&c).await;
    assert_eq!(rows.len(), 1005);
    assert_eq!(
        rows[1004].0, "1006",
        "the last row of the file, in the second part"
    );
    assert!(
        rows[1004].2.contains("チェックデジット"),
        "{:?}",
        rows[1004]
    );
    assert!(
        c.b.visible("#imp-run")
            .await
            .attr("disabled")
            .await
            .unwrap()
            .is_some(),
        "nothing to import"
    );

    // What the page imported is there, through the API as any client reads it.
    let listed = c
        .stack
        .call(
            req("GET", "/v1/records")
                .query("employee_id", "E1001")
                .who(&Who::auditor(TENANT))
                .build(),
        )
        .await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        listed.raw
    );
    // The functions' logs hold no number of the file.
    let log = local.log_text();
    assert!(
        log.contains("\"event\":\"import\""),
        "the functions logged the imports"
    );
    for n in [
        "123456789018",
        "023456789013",
        "161803398872",
        "314159265352",
    ] {
        assert!(!log.contains(n), "a function logged a number");
    }
    c.close().await;
}
