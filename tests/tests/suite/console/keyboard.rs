//! The console with the keyboard alone.

use super::*;

/// A registrar registers a number without the mouse (once the development picker has set the
/// principal): the skip link first, the navigation, then every field of 番号の登録 reached
/// with Tab, each with a visible focus, the choices made with Space and the arrows, sent
/// with Enter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_registers_a_number_with_the_keyboard_alone() {
    let c = Console::open("keyboard").await;
    c.as_principal("registrar").await;
    c.b.visible("#page-home").await;
    c.js("document.activeElement.blur(); window.scrollTo(0, 0);")
        .await;
    c.b.tab_to("a.skip-link").await;
    c.b.tab_to("#nav a[data-page=\"register\"]").await;
    c.b.press("\u{E007}").await;
    c.b.visible("#page-register").await;
    c.b.tab_to("#reg-employee-id").await;
    c.b.press("E7901").await;
    c.b.tab_to("#reg-relation").await;
    c.b.arrow_to("self").await;
    // One purpose more than those ticked already.
    c.b.tab_to("#reg-purposes input[value=\"employment_insurance\"]")
        .await;
    c.b.press(" ").await;
    c.b.tab_to("#reg-my-number").await;
    c.b.press(N1).await;
    c.b.tab_to("#reg-number-check").await;
    c.b.arrow_to("notification_card").await;
    c.b.tab_to("#reg-identity-check").await;
    c.b.arrow_to("photo_id").await;
    c.b.tab_to("#reg-submit").await;
    c.b.press("\u{E007}").await;
    c.b.visible("#reg-result [data-record-id]").await;
    let records = list(&c.stack, &Who::auditor(TENANT), "E7901").await;
    let items = records.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", records.raw);
    let purposes = items[0]["purposes"].as_array().unwrap();
    assert!(
        purposes.contains(&json!("employment_insurance")),
        "{purposes:?}"
    );
    c.close().await;
}
