//! Bodies intake refuses: each field's rule named, the number never echoed.

use super::*;

#[tokio::test]
async fn invalid_bodies_name_the_field_and_rule_and_never_echo_the_number() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = own_number("E0009", N1);
        f(&mut b);
        b
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            with(&|b| b["my_number"] = json!("123456789010")),
            "my_number",
            "check_digit",
        ),
        (
            with(&|b| b["my_number"] = json!("12345678901")),
            "my_number",
            "length",
        ),
        (
            with(&|b| b["my_number"] = json!("12345678901X")),
            "my_number",
            "non_digit",
        ),
        (
            with(&|b| b["my_number"] = json!(123456789018u64)),
            "my_number",
            "type",
        ),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("my_number");
            }),
            "my_number",
            "required",
        ),
        (
            with(&|b| b["relation"] = json!("child")),
            "relation",
            "enum",
        ),
        (
            with(&|b| b["relation"] = json!("dependent")),
            "dependent_label",
            "required",
        ),
        (
            with(&|b| b["dependent_label"] = json!("長男")),
            "dependent_label",
            "only_for_dependent",
        ),
        (
            with(&|b| b["employee_id"] = json!("E 1")),
            "employee_id",
            "charset",
        ),
        (
            with(&|b| b["employee_id"] = json!(N2)),
            "employee_id",
            "contains_number",
        ),
        (
            with(&|b| b["employee_id"] = json!("")),
            "employee_id",
            "length",
        ),
        (with(&|b| b["purposes"] = json!([])), "purposes", "empty"),
        (
            with(&|b| b["purposes"] = json!(["marketing"])),
            "purposes[0]",
            "enum",
        ),
        (
            with(&|b| b["nickname"] = json!("x")),
            "nickname",
            "unknown_field",
        ),
        (
            with(&|b| b["verification"]["verified_on"] = json!("2025-02-30")),
            "verification.verified_on",
            "date",
        ),
        (
            with(&|b| b["verification"]["verified_on"] = json!("2099-01-01")),
            "verification.verified_on",
            "future_date",
        ),
        (
            with(&|b| b["verification"]["number_check"] = json!("individual_number_notice")),
            "verification.number_check",
            "not_a_number_check",
        ),
        (
            with(&|b| b["verification"]["identity_check"] = json!("by_employee")),
            "verification.identity_check",
            "employer_must_verify",
        ),
        (
            with(&|b| b["verification"]["extra"] = json!(1)),
            "verification.extra",
            "unknown_field",
        ),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("verification");
            }),
            "verification",
            "required",
        ),
        (
            with(&|b| b["refusal"] = json!({"reason": "x", "requested_on": "2026-01-01"})),
            "refusal",
            "exclusive_with_my_number",
        ),
        (with(&|b| b["replace"] = json!("yes")), "replace", "type"),
        // A number written any way HR might, in a field that is stored in plaintext.
        (
            with(&|b| b["employee_id"] = json!("1234.5678.9018")),
            "employee_id",
            "contains_number",
        ),
        (
            with(&|b| b["verification"]["verified_by"] = json!("1234_5678_9018")),
            "verification.verified_by",
            "contains_number",
        ),
        (
            with(&|b| {
                b["relation"] = json!("dependent");
                b["dependent_label"] = json!("長男 1234・5678・9018");
            }),
            "dependent_label",
            "contains_number",
        ),
        (
            with(&|b| b["1234_5678_9018"] = json!(1)),
            "(unnamed)",
            "unknown_field",
        ),
    ];
    for (body, field, rule) in cases {
        let r = register(&stack, &hr, body.clone()).await;
        assert_problem(&r, 400, "invalid_request");
        assert!(
            r.field_errors()
                .contains(&(field.to_owned(), rule.to_owned())),
            "{body} → {:?}",
            r.field_errors()
        );
    }
    for (reason, rule) in [
        ("番号1234.5678.9018", "contains_number"),
        ("１２３４，５６７８，９０１８", "contains_number"),
        ("1234\n5678\n9018", "contains_number"),
        ("ベル\u{7}", "charset"),
    ] {
        let body = json!({"employee_id": "E0009", "relation": "self", "purposes": ["withholding_tax"],
                          "refusal": {"reason": reason, "requested_on": "2026-04-01"}});
        let r = register(&stack, &hr, body).await;
        assert!(
            r.field_errors()
                .contains(&("refusal.reason".into(), rule.into())),
            "{reason:?}: {:?}",
            r.field_errors()
        );
    }
    let idem = stack
        .call(
            req("POST", "/v1/records")
                .who(&hr)
                .header("Idempotency-Key", "1234-5678-9018")
                .json(own_number("E0009", N1))
                .build(),
        )
        .await;
    assert!(
        idem.field_errors()
            .contains(&("Idempotency-Key".into(), "contains_number".into()))
    );
    // Spouse for 国民年金第3号 is verified by the employer.
    let mut spouse = own_number("E0009", N1);
    spouse["relation"] = json!("spouse");
    spouse["purposes"] = json!(["national_pension_dependent_spouse"]);
    spouse["verification"]["identity_check"] = json!("by_employee");
    let r = register(&stack, &hr, spouse).await;
    assert!(r.field_errors().contains(&(
        "verification.identity_check".into(),
        "employer_must_verify_spouse".into()
    )));

    for (raw, ct, status, code) in [
        ("{not json", "application/json", 400, "invalid_request"),
        ("[1,2]", "application/json", 400, "invalid_request"),
        ("", "application/json", 400, "invalid_request"),
        (
            "employee_id=E1",
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type",
        ),
    ] {
        let r = stack
            .call(
                req("POST", "/v1/records")
                    .who(&hr)
                    .header("content-type", ct)
                    .raw_body(raw)
                    .build(),
            )
            .await;
        assert_problem(&r, status, code);
    }
    let r = stack
        .call(
            req("POST", "/v1/records")
                .who(&hr)
                .header("Idempotency-Key", "bad key!")
                .json(own_number("E0009", N1))
                .build(),
        )
        .await;
    assert!(
        r.field_errors()
            .contains(&("Idempotency-Key".into(), "charset".into()))
    );
    // Nothing was written by any of them.
    assert!(stack.all_items().await.is_empty());
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let stack = Stack::new().await;
    let mut body = own_number("E0010", N1);
    body["pad"] = json!("x".repeat(17 * 1024));
    let r = register(&stack, &Who::registrar("acme"), body).await;
    assert_problem(&r, 413, "payload_too_large");
}
