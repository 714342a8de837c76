//! axe-core over every console page of every role, at both widths.

use super::*;

/// Every page of the console, as every role sees it, with something on it (a record, a
/// departure, a disposal, a submission, a link, an export, a certificate), at a laptop's
/// 1280 px and a phone's 390 px: axe-core's WCAG 2.1 A and AA rules find nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_page_has_no_axe_violation_at_both_widths() {
    use crate::accessibility::assert_accessible;
    for phone in [false, true] {
        let c = if phone {
            Console::open_phone("axe-phone").await
        } else {
            Console::open("axe").await
        };
        let width = if phone { 390 } else { 1280 };
        register(&c.stack, "E7601", N1).await;
        let (_, token) = super::collections::open_link(&c.stack, "E7602", false).await;
        let r = super::collections::submit(
            &c.stack,
            &token,
            json!({"self": super::collections::own(N2)}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.raw);
        request_export(&c.stack, json!({"purpose": "withholding_tax", "all": true})).await;
        assert_accessible(&c.b, &format!("console {width} px signed out")).await;
        for role in ["registrar", "handler", "auditor", "admin"] {
            c.as_principal(role).await;
            for page in c.nav().await {
                c.page(&page).await;
                // Let the page's lists load before they are judged.
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                assert_accessible(&c.b, &format!("console {width} px {role} {page}")).await;
            }
        }
        c.close().await;
    }
}

/// Every console form sent empty (or, for the record of handling, with a period that runs
/// backwards), as each role meets it, shows its errors with no axe violation, at both
/// widths: the field errors beside their fields, the page's problem box.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_form_with_its_errors_has_no_axe_violation_at_both_widths() {
    use crate::accessibility::assert_accessible;
    // (role, page, the button that sends the form, what shows once the answer is in)
    let forms = [
        (
            "registrar",
            "employees",
            "#employee-submit",
            ".field-error:not([hidden])",
        ),
        (
            "registrar",
            "register",
            "#reg-submit",
            ".field-error:not([hidden])",
        ),
        (
            "registrar",
            "imports",
            "#imp-check",
            "#err-imp-file:not([hidden])",
        ),
        (
            "registrar",
            "collections",
            "#col-submit",
            ".field-error:not([hidden])",
        ),
        (
            "registrar",
            "departures",
            "#dep-submit",
            ".field-error:not([hidden])",
        ),
        (
            "handler",
            "exports",
            "#exp-submit",
            ".field-error:not([hidden])",
        ),
        (
            "handler",
            "reveal",
            "#rev-find",
            ".field-error:not([hidden])",
        ),
        (
            "auditor",
            "handling",
            "#hand-load",
            "#err-hand-from:not([hidden])",
        ),
        (
            "auditor",
            "certificates",
            "#cert-submit",
            ".field-error:not([hidden])",
        ),
    ];
    for phone in [false, true] {
        let c = if phone {
            Console::open_phone("axe-errors-phone").await
        } else {
            Console::open("axe-errors").await
        };
        let width = if phone { 390 } else { 1280 };
        for (role, page, send, shown) in forms {
            c.as_principal(role).await;
            c.page(page).await;
            if page == "handling" {
                c.js("document.getElementById('hand-from').value = '2026-04-02';\
                      document.getElementById('hand-to').value = '2026-04-01';")
                    .await;
            }
            if page == "exports" {
                // A list of employees, left empty.
                c.js(
                    "document.querySelector('input[name=\"exp-scope\"][value=\"list\"]').click();",
                )
                .await;
            }
            if page == "certificates" {
                c.js("document.getElementById('cert-from').value = '';")
                    .await;
            }
            c.click(send).await;
            c.b.visible(&format!("#page-{page} {shown}")).await;
            assert_accessible(
                &c.b,
                &format!("console {width} px {role} {page} with errors"),
            )
            .await;
        }
        c.close().await;
    }
}
