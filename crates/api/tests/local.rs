//! Local appraisal through the API: frameworks, units, observations (JSON and
//! CSV), corrections and their audit trail, appraisals and summaries.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use deltabench_api::auth::{Role, TokenHash, Tokens, hash_token};
use deltabench_api::{ApiLimits, AppState, NodeInfo, router};
use deltabench_model::JurisdictionCode;
use deltabench_node::{Clock, Identity, Node, Policy, SystemClock};
use deltabench_store::Store;
use deltabench_trust::NodeKey;
use http_body_util::BodyExt;
use prometheus_client::registry::Registry;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

const ADMIN: &str = "admin-token";
const VIEWER: &str = "viewer-token";
const FRAMEWORK: &str = include_str!("../../engine/tests/data/small-framework.json");

fn app() -> axum::Router {
    app_with(Arc::new(SystemClock), Policy::default())
}

fn app_with(clock: Arc<dyn Clock>, policy: Policy) -> axum::Router {
    app_for("320585", "太仓市", "Taicang", clock, policy)
}

fn app_for(
    code: &str,
    name_zh: &str,
    name_en: &str,
    clock: Arc<dyn Clock>,
    policy: Policy,
) -> axum::Router {
    let identity = Identity {
        code: JurisdictionCode::new(code).unwrap(),
        name_zh: name_zh.into(),
        name_en: name_en.into(),
    };
    let node = Node::open(
        identity,
        NodeKey::from_seed([1; 32]),
        Store::open_temporary().unwrap(),
        vec![],
        policy,
        clock,
    )
    .unwrap();
    node.declare().unwrap();
    let tokens = vec![
        TokenHash {
            role: Role::Admin,
            sha256: hash_token(ADMIN),
            name: Some("Wang Fang, appraisal office".into()),
        },
        TokenHash {
            role: Role::Viewer,
            sha256: hash_token(VIEWER),
            name: None,
        },
    ];
    router(AppState {
        node: Arc::new(node),
        tokens: Arc::new(Tokens::new(tokens)),
        registry: Arc::new(Registry::default()),
        info: Arc::new(NodeInfo {
            peer_id: "p".into(),
            version: "t".into(),
        }),
        limits: ApiLimits::default(),
        peers: Default::default(),
    })
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    ctype: &str,
    body: &str,
) -> (StatusCode, Value) {
    call_with(app, method, uri, ctype, body, ADMIN).await
}

async fn call_with(
    app: &axum::Router,
    method: &str,
    uri: &str,
    ctype: &str,
    body: &str,
    token: &str,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, ctype)
        .body(Body::from(body.to_owned()))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn get(app: &axum::Router, uri: &str) -> Value {
    let (s, v) = call(app, "GET", uri, "application/json", "").await;
    assert_eq!(s, StatusCode::OK, "{uri}: {v}");
    v
}

const UNITS: &str = r#"[
  {"id": "u1", "name_zh": "财政局", "name_en": "Finance Bureau", "category": "agency"},
  {"id": "u2", "name_zh": "税务局", "name_en": "Tax Bureau", "category": "agency"},
  {"id": "u3", "name_zh": "审计局", "name_en": "Audit Bureau", "category": "agency"},
  {"id": "u4", "name_zh": "城厢镇", "name_en": "Chengxiang", "category": "town"}
]"#;

/// The engine fixture's observations, as CSV.
const CSV: &str = "unit,indicator,period,value,target
u1,rev,2025,110,100
u1,sat,2025,84,
u1,days,2025,4,
u1,att,2025,99,
u1,debt,2025,66,
u1,quality,2025,88,
u2,rev,2025,80,100
u2,sat,2025,57,
u2,days,2025,6,
u2,att,2025,97,
u2,debt,2025,50,
u2,quality,2025,76,
u3,sat,2025,90,
u3,days,2025,5,
u3,att,2025,98,
u3,debt,2025,60,
u3,quality,2025,90,
u4,sat,2025,75,
";

const HEADER: &str = "unit,indicator,period,value,target\n";

/// A CSV of monthly revenue per (unit, value in 2022-2024, value in 2025):
/// every month of 2022 to 2024 at the first value, January to June 2025 at
/// the second.
fn monthly_revenue(rows: &[(&str, i32, i32)]) -> String {
    let mut csv = String::from(HEADER);
    for (unit, past, now) in rows {
        for year in 2022..=2024 {
            for m in 1..=12 {
                csv.push_str(&format!("{unit},rev,{year}-{m:02},{past},\n"));
            }
        }
        for m in 1..=6 {
            csv.push_str(&format!("{unit},rev,2025-{m:02},{now},\n"));
        }
    }
    csv
}

async fn loaded() -> axum::Router {
    load(app()).await
}

async fn load(app: axum::Router) -> axum::Router {
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/frameworks",
        "application/json",
        FRAMEWORK,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = call(&app, "POST", "/api/v1/units", "application/json", UNITS).await;
    assert_eq!(
        (s, v["accepted"].as_u64()),
        (StatusCode::CREATED, Some(4)),
        "{v}"
    );
    let (s, v) = call(&app, "POST", "/api/v1/observations", "text/csv", CSV).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["accepted"].as_u64(), v["inserted"].as_u64()),
        (Some(18), Some(18))
    );
    app
}

async fn count(app: &axum::Router) -> usize {
    get(app, "/api/v1/observations").await["observations"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn appraisals_of_the_fixture_match_the_hand_computation() {
    let app = loaded().await;
    let v = get(&app, "/api/v1/appraisals?framework=test.small&period=2025").await;
    assert_eq!(v["version"], "1.0.0");
    let a = v["appraisals"].as_array().unwrap();
    let find = |u: &str| a.iter().find(|x| x["unit"] == u).unwrap().clone();
    assert_eq!(
        (find("u1")["total"].as_f64(), find("u1")["grade"].as_str()),
        (Some(94.85), Some("A"))
    );
    assert_eq!(find("u1")["pay_coefficient"], 1.2);
    assert_eq!(
        (find("u2")["total"].as_f64(), find("u2")["grade"].as_str()),
        (Some(59.45), Some("E"))
    );
    assert_eq!(
        (find("u3")["total"].as_f64(), find("u3")["grade"].as_str()),
        (Some(79.25), Some("C"))
    );
    assert_eq!(
        find("u3")["scores"][0]["reason"],
        "no observation: scored 0"
    );
    assert_eq!(find("u4")["total"], 50.0);
    for x in a {
        assert!(
            x["scores"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["reason"].as_str().is_some_and(|r| !r.is_empty()))
        );
    }
    // A period the framework does not cover, or an unknown framework.
    let (s, _) = call(
        &app,
        "GET",
        "/api/v1/appraisals?framework=test.small&period=2024",
        "",
        "",
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = call(
        &app,
        "GET",
        "/api/v1/appraisals?framework=nope&period=2025",
        "",
        "",
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = call(
        &app,
        "GET",
        "/api/v1/appraisals?framework=test.small&period=20x5",
        "",
        "",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// One bad-input case: the request is refused naming the row and column, and
/// nothing of it is stored (its valid rows included).
async fn refused(
    app: &axum::Router,
    ctype: &str,
    body: &str,
    row: u64,
    column: &str,
    reason: &str,
) {
    let before = count(app).await;
    let (s, p) = call(app, "POST", "/api/v1/observations", ctype, body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {p}");
    assert_eq!(p["row"], row, "{p}");
    assert_eq!(p["column"], column, "{p}");
    assert!(p["reason"].as_str().unwrap().contains(reason), "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("row {row}")),
        "{p}"
    );
    assert_eq!(
        count(app).await,
        before,
        "nothing from a refused request is stored"
    );
}

#[tokio::test]
async fn each_bad_row_is_refused_naming_row_and_column() {
    let app = loaded().await;
    let json = "application/json";
    let good = r#"{"unit": "u4", "indicator": "sat", "period": "2025", "value": 80}"#;
    let cases = [
        (
            r#"{"unit": "u9", "indicator": "sat", "period": "2025", "value": 80}"#,
            "unit",
            "unknown unit u9",
        ),
        (
            r#"{"unit": "u1", "indicator": "nope", "period": "2025", "value": 80}"#,
            "indicator",
            "unknown indicator nope",
        ),
        (
            r#"{"unit": "u1", "indicator": "sat", "period": "2025", "value": 120}"#,
            "value",
            "outside the range",
        ),
        (
            r#"{"unit": "u1", "indicator": "sat", "period": "2023", "value": 80}"#,
            "period",
            "not a period of test.small",
        ),
        (
            r#"{"unit": "u1", "indicator": "sat", "period": "2025-Q5", "value": 80}"#,
            "period",
            "quarter",
        ),
        (
            r#"{"unit": "u1", "indicator": "sat", "period": "2025", "value": "eighty"}"#,
            "value",
            "not a number",
        ),
        (
            r#"{"unit": "u1", "indicator": "sat", "period": "2025"}"#,
            "value",
            "is empty",
        ),
        (
            r#"{"unit": "u1", "indicator": "sat", "period": "2025", "value": 80, "target": "x"}"#,
            "target",
            "not a number",
        ),
    ];
    for (bad, column, reason) in cases {
        // The bad row comes second, after a valid one that must not be stored either.
        refused(&app, json, &format!("[{good}, {bad}]"), 2, column, reason).await;
    }
    // A duplicate within one request.
    refused(
        &app,
        json,
        &format!("[{good}, {good}]"),
        2,
        "unit",
        "duplicates row 1",
    )
    .await;
    // The same through CSV, where the line is named too.
    let csv = "unit,indicator,period,value\nu4,sat,2025,80\nu1,sat,2025,abc\n";
    refused(&app, "text/csv", csv, 2, "value", "not a number").await;
    let (_, p) = call(&app, "POST", "/api/v1/observations", "text/csv", csv).await;
    assert_eq!(p["line"], 3);
    // Every bad row is listed, not only the first.
    let many = "unit,indicator,period,value\nu9,sat,2025,1\nu1,nope,2025,1\nu1,sat,2025,101\n";
    let (_, p) = call(&app, "POST", "/api/v1/observations", "text/csv", many).await;
    let columns: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["column"].as_str().unwrap())
        .collect();
    assert_eq!(columns, vec!["unit", "indicator", "value"]);
    // A bad header.
    let (s, p) = call(
        &app,
        "POST",
        "/api/v1/observations",
        "text/csv",
        "unit,indicator,period\nu1,sat,2025\n",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("lacks the column value"),
        "{p}"
    );
    let (s, _) = call(&app, "POST", "/api/v1/observations", "text/plain", "x").await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn corrections_keep_their_history() {
    let app = loaded().await;
    let fix = r#"[{"unit": "u2", "indicator": "sat", "period": "2025", "value": 66},
                  {"unit": "u1", "indicator": "sat", "period": "2025", "value": 84}]"#;
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/observations",
        "application/json",
        fix,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        (
            v["corrected"].as_u64(),
            v["unchanged"].as_u64(),
            v["inserted"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    let cur = get(
        &app,
        "/api/v1/observations?unit=u2&indicator=sat&period=2025",
    )
    .await;
    assert_eq!(cur["observations"][0]["value"], 66.0);
    assert_eq!(cur["observations"][0]["by"], "Wang Fang, appraisal office");
    let audit =
        get(&app, "/api/v1/observations/audit?unit=u2&indicator=sat").await["audit"].clone();
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 1, "one correction: {audit}");
    assert_eq!(entries[0]["old"]["value"], 57.0);
    assert_eq!(entries[0]["new"]["value"], 66.0);
    for side in ["old", "new"] {
        assert_eq!(entries[0][side]["by"], "Wang Fang, appraisal office");
        assert!(entries[0][side]["at"].as_str().unwrap().ends_with('Z'));
    }
    // The unchanged re-import of u1 left no trace.
    let none = get(&app, "/api/v1/observations/audit?unit=u1").await;
    assert_eq!(none["audit"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn summaries_are_signed_withheld_below_k_and_superseded_with_a_reason() {
    let app = loaded().await;
    let req = r#"{"framework": "test.small", "version": "1.0.0", "period": "2025"}"#;
    let (s, v) = call(&app, "POST", "/api/v1/summaries", "application/json", req).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let doc = &v["document"];
    assert_eq!(
        (doc["kind"].as_str(), doc["issuer"].as_str()),
        (Some("summary"), Some("320585"))
    );
    assert_eq!(v["hash"].as_str().unwrap().len(), 64);
    let bytes = serde_json::to_vec(doc).unwrap();
    deltabench_trust::Document::decode(&bytes, &Default::default())
        .expect("signed and schema-valid");
    let payload = &doc["payload"];
    let entry = |code: &str| {
        payload["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["indicator"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(entry("rev")["value"], 190.0);
    assert!(
        entry("rev").get("distribution").is_none(),
        "2 units < k = 3"
    );
    assert!(entry("rev")["withheld"].as_str().unwrap().contains("k = 3"));
    assert_eq!(entry("sat")["distribution"]["median"], 79.5);
    assert_eq!(payload["grades"][1]["category"], "town");
    assert!(payload["grades"][1].get("counts").is_none());

    // The same again: nothing changed, the same document answers.
    assert_eq!(v["created"], true);
    let (s, again) = call(&app, "POST", "/api/v1/summaries", "application/json", req).await;
    assert_eq!((s, &again["hash"]), (StatusCode::CREATED, &v["hash"]));
    assert_eq!(again["created"], false);
    // After a correction, a new summary needs a reason, then names the old one.
    let fix =
        r#"[{"unit": "u2", "indicator": "rev", "period": "2025", "value": 90, "target": 100}]"#;
    call(
        &app,
        "POST",
        "/api/v1/observations",
        "application/json",
        fix,
    )
    .await;
    let (s, p) = call(&app, "POST", "/api/v1/summaries", "application/json", req).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(p["field"], "reason");
    let with_reason = r#"{"framework": "test.small", "version": "1.0.0", "period": "2025",
                          "reason": "Tax Bureau revenue corrected after audit"}"#;
    let (s, v2) = call(
        &app,
        "POST",
        "/api/v1/summaries",
        "application/json",
        with_reason,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v2}");
    let sup = &v2["document"]["payload"]["supersedes"];
    assert_eq!(sup["hash"], v["hash"]);
    assert_eq!(sup["reason"], "Tax Bureau revenue corrected after audit");
    assert_eq!(v2["document"]["payload"]["indicators"][0]["value"], 200.0);
    // Both stay in the history.
    let docs = get(&app, "/api/v1/documents?kind=summary").await;
    assert_eq!(docs["documents"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn framework_versions_carry_their_changelog() {
    let app = loaded().await;
    let (s, p) = call(
        &app,
        "POST",
        "/api/v1/frameworks",
        "application/json",
        FRAMEWORK,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let mut next: Value = serde_json::from_str(FRAMEWORK).unwrap();
    next["version"] = json!("1.1.0");
    next["indicators"].as_array_mut().unwrap().push(json!({"code": "green", "name_zh": "绿色", "name_en": "Green",
        "dimension": "ecology", "unit": "%", "direction": "higher_is_better", "aggregation": {"rule": "mean"}}));
    next["changelog"] =
        json!([{"kind": "added", "indicator": "green", "note": "2025 green development plan"}]);
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/frameworks",
        "application/json",
        &next.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        v["changelog"],
        json!([{"kind": "added", "indicator": "green", "note": "2025 green development plan"}])
    );
    assert_eq!(v["document"]["payload"]["previous"], "1.0.0");
    let list = get(&app, "/api/v1/frameworks").await;
    let versions: Vec<&str> = list["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, vec!["1.0.0", "1.1.0"]);
    let one = get(&app, "/api/v1/frameworks/test.small").await;
    assert_eq!(one["versions"].as_array().unwrap().len(), 2);
    // A weight error names its place.
    let mut bad: Value = serde_json::from_str(FRAMEWORK).unwrap();
    bad["version"] = json!("2.0.0");
    bad["categories"][1]["weights"][0]["weight"] = json!(90);
    let (s, p) = call(
        &app,
        "POST",
        "/api/v1/frameworks",
        "application/json",
        &bad.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(p["field"], "categories[1].weights", "{p}");
    // Units need a known category.
    let (s, p) = call(
        &app,
        "POST",
        "/api/v1/units",
        "application/json",
        r#"[{"id": "u5", "name_zh": "x", "name_en": "x", "category": "nope"}]"#,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(p["field"], "units[0].category");
}

#[tokio::test]
async fn viewers_may_read_frameworks_but_not_observations() {
    let app = loaded().await;
    let req = |uri: &str| {
        Request::builder()
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {VIEWER}"))
            .body(Body::empty())
            .unwrap()
    };
    let s = app
        .clone()
        .oneshot(req("/api/v1/frameworks"))
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::OK);
    let s = app
        .clone()
        .oneshot(req("/api/v1/units"))
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::OK);
    for uri in [
        "/api/v1/observations",
        "/api/v1/appraisals?framework=test.small&period=2025",
    ] {
        let s = app.clone().oneshot(req(uri)).await.unwrap().status();
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "{uri}: raw appraisal data stays with the office"
        );
    }
}

#[tokio::test]
async fn targets_are_checked_and_kept_when_not_sent() {
    let app = loaded().await;
    let json = "application/json";
    let good = r#"{"unit": "u4", "indicator": "sat", "period": "2025", "value": 80}"#;
    let cases = [
        // rev is scored as a ratio to target and has no target of its own.
        (
            r#"{"unit": "u1", "indicator": "rev", "period": "2025", "value": 100, "target": 0}"#,
            "a target above 0",
        ),
        (
            r#"{"unit": "u1", "indicator": "rev", "period": "2025", "value": 100, "target": null}"#,
            "is required",
        ),
        // sat: linear from 60 up, range 0..100.
        (
            r#"{"unit": "u1", "indicator": "sat", "period": "2025", "value": 80, "target": 50}"#,
            "not above the floor 60",
        ),
        (
            r#"{"unit": "u1", "indicator": "sat", "period": "2025", "value": 80, "target": 120}"#,
            "outside the range",
        ),
    ];
    for (bad, reason) in cases {
        refused(&app, json, &format!("[{good}, {bad}]"), 2, "target", reason).await;
    }
    refused(
        &app,
        json,
        &format!(
            r#"[{good}, {{"unit": "u1", "indicator": "quality", "period": "2025", "value": 1e16}}]"#
        ),
        2,
        "value",
        "larger in magnitude",
    )
    .await;
    // Without a target column, a corrected value keeps its stored target.
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/observations",
        "text/csv",
        "unit,indicator,period,value\nu1,rev,2025,120\n",
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let cur = get(&app, "/api/v1/observations?unit=u1&indicator=rev").await;
    assert_eq!(
        (
            cur["observations"][0]["value"].as_f64(),
            cur["observations"][0]["target"].as_f64()
        ),
        (Some(120.0), Some(100.0))
    );
    // With the column present but empty, the target is cleared, which rev cannot take.
    refused(
        &app,
        "text/csv",
        "unit,indicator,period,value,target\nu4,sat,2025,80,\nu1,rev,2025,120,\n",
        2,
        "target",
        "is required",
    )
    .await;
    // An empty import is refused.
    let (s, _) = call(
        &app,
        "POST",
        "/api/v1/observations",
        "text/csv",
        "unit,indicator,period,value\n",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&app, "POST", "/api/v1/observations", json, "[]").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_new_framework_version_supersedes_the_summary_of_the_same_period() {
    let app = loaded().await;
    let v1 = r#"{"framework": "test.small", "version": "1.0.0", "period": "2025"}"#;
    let (s, first) = call(&app, "POST", "/api/v1/summaries", "application/json", v1).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut next: Value = serde_json::from_str(FRAMEWORK).unwrap();
    next["version"] = json!("1.1.0");
    next["indicators"][5]["scoring"] = json!({"rule": "threshold", "threshold": 80});
    let (s, _) = call(
        &app,
        "POST",
        "/api/v1/frameworks",
        "application/json",
        &next.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    // The 1.1.0 summary of 2025 replaces the 1.0.0 one: it needs a reason and names it.
    let v2 = r#"{"framework": "test.small", "version": "1.1.0", "period": "2025"}"#;
    let (s, p) = call(&app, "POST", "/api/v1/summaries", "application/json", v2).await;
    assert_eq!(
        (s, p["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("reason")),
        "{p}"
    );
    let v2 = r#"{"framework": "test.small", "version": "1.1.0", "period": "2025", "reason": "catalogue 1.1.0 for 2025"}"#;
    let (s, second) = call(&app, "POST", "/api/v1/summaries", "application/json", v2).await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    assert_eq!(
        second["document"]["payload"]["supersedes"]["hash"],
        first["hash"]
    );
    assert_eq!(second["document"]["payload"]["version"], "1.1.0");
}

/// Public rating end to end: projects need a unit of the node, codes are
/// shown once, a code rates once (409 after), an unknown project is 404 and
/// an unknown code 400 naming `code`; the public view shows a score only
/// from k = 10 ratings, with the hand-computed shrunk score and interval.
#[tokio::test]
async fn residents_rate_projects_with_one_time_codes() {
    let app = loaded().await;
    let project = |id: &str, unit: &str| {
        json!({"id": id, "name_zh": "图书馆改造", "name_en": "Library renovation",
               "unit": unit, "place": "城厢镇", "budget": 1200000, "period": "2025",
               "category": "culture",
               "milestones": [{"name_zh": "开工", "name_en": "Start", "planned": "2025-03-01",
                               "progress": 100}]})
    };
    let body = json!([project("lib", "u1"), project("nobody", "u9")]).to_string();
    let (s, v) = call(&app, "POST", "/api/v1/projects", "application/json", &body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["field"], "projects[1].unit");
    let body = json!({"projects": [project("lib", "u1"), project("park", "u4")]}).to_string();
    let (s, v) = call(&app, "POST", "/api/v1/projects", "application/json", &body).await;
    assert_eq!(
        (s, v["accepted"].as_u64()),
        (StatusCode::CREATED, Some(2)),
        "{v}"
    );
    assert_eq!(
        get(&app, "/api/v1/projects").await["projects"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let codes = |id: &str, count: usize| {
        let app = app.clone();
        let uri = format!("/api/v1/projects/{id}/codes");
        async move {
            let body = json!({ "count": count }).to_string();
            call(&app, "POST", &uri, "application/json", &body).await
        }
    };
    let (s, v) = codes("none", 1).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = codes("lib", 0).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("count")),
        "{v}"
    );
    let (s, lib) = codes("lib", 10).await;
    assert_eq!(s, StatusCode::CREATED, "{lib}");
    assert_eq!(lib["period"], "2025");
    let (_, park) = codes("park", 2).await;
    let code = |v: &Value, i: usize| v["codes"][i].as_str().unwrap().to_owned();

    let rate = |project: &str, code: String, level: u8| {
        let app = app.clone();
        let body = json!({"project": project, "code": code, "level": level}).to_string();
        async move {
            call(
                &app,
                "POST",
                "/public/v1/ratings",
                "application/json",
                &body,
            )
            .await
        }
    };
    // Levels 5, 5, 5, 5, 5, 4, 4, 4, 3, 1: sum 41, 8 of 10 satisfied.
    for (i, level) in [5, 5, 5, 5, 5, 4, 4, 4, 3].into_iter().enumerate() {
        let (s, v) = rate("lib", code(&lib, i), level).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    // Below k = 10, nothing is shown, not even the count.
    let view = get(&app, "/public/v1/projects").await;
    assert_eq!(view["k"], 10);
    assert!(
        view["projects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["score"].is_null())
    );
    let (s, v) = rate("lib", code(&lib, 9).to_lowercase().replace('-', " "), 1).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = rate("lib", code(&lib, 9), 5).await;
    assert_eq!(
        (s, v["type"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("https://deltabench.invalid/problems/code-used")
        ),
        "{v}"
    );
    let (s, v) = rate("nowhere", code(&park, 0), 5).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = rate("lib", code(&park, 0), 5).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("code")),
        "a park code does not rate the library: {v}"
    );
    let (s, v) = rate("park", code(&park, 0), 9).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("level")),
        "{v}"
    );
    // The park's two ratings: 5 and 1.
    for (i, level) in [5, 1].into_iter().enumerate() {
        let (s, v) = rate("park", code(&park, i), level).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let view = get(&app, "/public/v1/projects").await;
    let by_id = |id: &str| {
        view["projects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["project"]["id"] == id)
            .unwrap()
            .clone()
    };
    assert!(by_id("park")["score"].is_null(), "2 ratings < k");
    let s = by_id("lib")["score"].clone();
    assert_eq!(s["n"], 10);
    assert_eq!(s["distribution"], json!([1, 0, 1, 3, 5]));
    let close = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-9;
    assert!(close(&s["raw_mean"], 4.1), "{s}");
    // The category mean weighs all 12 ratings: (41 + 6) / 12; C = 10:
    // (10 × 47/12 + 41) / 20.
    assert!(close(&s["prior_mean"], 47.0 / 12.0), "{s}");
    assert!(
        close(&s["shrunk"], (10.0 * 47.0 / 12.0 + 41.0) / 20.0),
        "{s}"
    );
    assert!(
        close(&s["satisfied_interval"][0], 0.490_162_471_536_641_8),
        "{s}"
    );
    assert!(
        close(&s["satisfied_interval"][1], 0.943_317_848_545_624_8),
        "{s}"
    );
}

/// A clock the test moves.
struct TestClock(std::sync::atomic::AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> deltabench_model::Timestamp {
        deltabench_model::Timestamp::from_unix(self.0.load(std::sync::atomic::Ordering::SeqCst))
            .unwrap()
    }
}

/// The closed loop through HTTP: bad ratings open tasks due 15 working
/// days later; a call-back before the response is refused; response and
/// call-back close a task; an unanswered task turns overdue by the node's
/// clock; an appeal voids a rating (kept in the listing with the decision,
/// gone from the public score and the public comments); a hidden comment
/// disappears from the public comments while its rating still counts.
#[tokio::test]
async fn the_closed_loop_runs_through_the_api() {
    // Monday 2025-03-03, 10:00 in Taicang.
    let monday = deltabench_model::Timestamp::parse("2025-03-03T02:00:00Z")
        .unwrap()
        .unix();
    let clock = Arc::new(TestClock(monday.into()));
    let mut policy = Policy::default();
    policy.public.k = 2;
    let app = load(app_with(clock.clone(), policy)).await;
    let project = json!([{"id": "lib", "name_zh": "路灯改造", "name_en": "Street lights",
        "unit": "u4", "place": "城厢镇", "budget": 300000, "period": "2025",
        "category": "roads"}])
    .to_string();
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/projects",
        "application/json",
        &project,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, codes) = call(
        &app,
        "POST",
        "/api/v1/projects/lib/codes",
        "application/json",
        r#"{"count": 4}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{codes}");
    let ratings = [
        (1, "路灯坏了一个月"),
        (2, "修得太慢"),
        (5, "很好"),
        (4, "请联系我 13800000000"),
    ];
    for (i, (level, comment)) in ratings.into_iter().enumerate() {
        let body = json!({"project": "lib", "code": codes["codes"][i], "level": level,
                          "comment": comment})
        .to_string();
        let (s, v) = call(
            &app,
            "POST",
            "/public/v1/ratings",
            "application/json",
            &body,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }

    // Two tasks for the unit, due Monday 03-24 (15 working days).
    let tasks = get(&app, "/api/v1/tasks").await["tasks"].clone();
    assert_eq!(tasks.as_array().unwrap().len(), 2, "{tasks}");
    let first = &tasks[0];
    assert_eq!(
        (
            &first["id"],
            &first["rating"],
            &first["project"],
            &first["unit"],
            &first["level"]
        ),
        (&json!(1), &json!(1), &json!("lib"), &json!("u4"), &json!(1))
    );
    assert_eq!(first["opened"], "2025-03-03T02:00:00Z");
    assert_eq!(first["due"], "2025-03-24");
    assert_eq!(
        (&first["status"], &first["overdue"]),
        (&json!("open"), &json!(false))
    );
    assert!(first.get("response").is_none() && first.get("callback").is_none());

    let post = |uri: String, body: Value| {
        let app = app.clone();
        async move { call(&app, "POST", &uri, "application/json", &body.to_string()).await }
    };
    // A call-back before the response is refused, saying why.
    let (s, v) = post(
        "/api/v1/tasks/1/callback".into(),
        json!({"result": "satisfied", "by": "热线 李"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("no response"), "{v}");
    // Bad input names the field.
    for (uri, body, field) in [
        (
            "/api/v1/tasks/1/response",
            json!({"text": " ", "by": "王"}),
            "text",
        ),
        (
            "/api/v1/tasks/1/response",
            json!({"text": "a\u{0}b", "by": "王"}),
            "text",
        ),
        ("/api/v1/tasks/1/response", json!({"text": "ok"}), "by"),
        (
            "/api/v1/tasks/1/response",
            json!({"text": "ok", "by": 3}),
            "by",
        ),
        (
            "/api/v1/tasks/1/response",
            json!({"text": "ok", "by": "王", "x": 1}),
            "x",
        ),
        (
            "/api/v1/tasks/x/response",
            json!({"text": "ok", "by": "王"}),
            "id",
        ),
        (
            "/api/v1/tasks/1/callback",
            json!({"result": "maybe", "by": "李"}),
            "result",
        ),
        (
            "/api/v1/tasks/1/callback",
            json!({"result": "satisfied", "by": "李", "note": "长".repeat(2001)}),
            "note",
        ),
        (
            "/api/v1/ratings/1/void",
            json!({"reason": "x"}),
            "decided_by",
        ),
        (
            "/api/v1/ratings/1/hide",
            json!({"reason": "x", "by": "a\nb"}),
            "by",
        ),
    ] {
        let (s, v) = post(uri.into(), body.clone()).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{uri} {body}: {v}"
        );
    }
    let (s, _) = post(
        "/api/v1/tasks/99/response".into(),
        json!({"text": "ok", "by": "王"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Task 1: response on time, call-back, closed.
    let (s, t) = post(
        "/api/v1/tasks/1/response".into(),
        json!({"text": "已更换灯具，恢复照明", "by": "城厢镇 王芳"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "responded");
    assert_eq!(t["response"]["text"], "已更换灯具，恢复照明");
    assert_eq!(t["response"]["by"], "城厢镇 王芳");
    assert_eq!(t["response"]["at"], "2025-03-03T02:00:00Z");
    assert_eq!(t["response"]["late"], false);
    let (s, v) = post(
        "/api/v1/tasks/1/response".into(),
        json!({"text": "again", "by": "王"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, t) = post(
        "/api/v1/tasks/1/callback".into(),
        json!({"result": "satisfied", "note": "居民确认已亮", "by": "热线 李"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "closed");
    assert_eq!(t["callback"]["result"], "satisfied");
    assert_eq!(t["callback"]["note"], "居民确认已亮");
    assert_eq!(t["callback"]["by"], "热线 李");
    let closed = get(&app, "/api/v1/tasks?status=closed").await["tasks"].clone();
    assert_eq!(closed.as_array().unwrap().len(), 1);

    // Tuesday 03-25: task 2 is overdue.
    clock
        .0
        .store(monday + 22 * 86_400, std::sync::atomic::Ordering::SeqCst);
    let overdue = get(&app, "/api/v1/tasks?status=overdue").await["tasks"].clone();
    assert_eq!(overdue.as_array().unwrap().len(), 1, "{overdue}");
    assert_eq!(
        (&overdue[0]["id"], &overdue[0]["overdue"]),
        (&json!(2), &json!(true))
    );
    assert_eq!(
        get(&app, "/api/v1/tasks?status=open").await["tasks"][0]["id"],
        2
    );
    let (s, v) = call(
        &app,
        "GET",
        "/api/v1/tasks?status=late",
        "application/json",
        "",
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("status"))
    );

    // The unit appeals rating 2; the office voids it.
    let score = || async { get(&app, "/public/v1/projects").await["projects"][0]["score"].clone() };
    let before = score().await;
    assert_eq!(
        (&before["n"], &before["raw_mean"]),
        (&json!(4), &json!(3.0))
    );
    let (s, r) = post(
        "/api/v1/ratings/2/void".into(),
        json!({"reason": "评价针对的是另一路段", "decided_by": "考核办 张伟"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((&r["id"], &r["level"]), (&json!(2), &json!(2)));
    assert_eq!(r["voided"]["reason"], "评价针对的是另一路段");
    assert_eq!(r["voided"]["decided_by"], "考核办 张伟");
    assert_eq!(r["voided"]["at"], "2025-03-25T02:00:00Z");
    let (s, v) = post(
        "/api/v1/ratings/2/void".into(),
        json!({"reason": "again", "decided_by": "张"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, _) = post(
        "/api/v1/ratings/99/void".into(),
        json!({"reason": "x", "decided_by": "张"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Levels 1, 5, 4 remain: the public score changed.
    let after = score().await;
    assert_eq!(after["n"], 3);
    assert_eq!(after["distribution"], json!([1, 0, 0, 1, 1]));
    assert!(
        get(&app, "/api/v1/tasks?status=overdue").await["tasks"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        get(&app, "/api/v1/tasks?status=voided").await["tasks"][0]["id"],
        2
    );
    // The history keeps the voided rating with the decision.
    let listed = get(&app, "/api/v1/ratings?project=lib").await["ratings"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 4);
    assert_eq!(listed[1]["comment"], "修得太慢");
    assert_eq!(listed[1]["voided"]["decided_by"], "考核办 张伟");
    assert!(listed[0].get("voided").is_none() && listed[0].get("hidden").is_none());
    let (s, _) = call(
        &app,
        "GET",
        "/api/v1/ratings?project=none",
        "application/json",
        "",
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Public comments, no token: newest first, the voided one gone.
    let public = |uri: &str| {
        let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let app = app.clone();
        async move {
            let resp = app.oneshot(req).await.unwrap();
            let s = resp.status();
            let b = resp.into_body().collect().await.unwrap().to_bytes();
            (s, serde_json::from_slice::<Value>(&b).unwrap())
        }
    };
    let comments_of = |v: &Value| -> Vec<String> {
        v["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["comment"].as_str().unwrap().to_owned())
            .collect()
    };
    let (s, v) = public("/public/v1/projects/lib/comments").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["project"], "lib");
    assert_eq!(
        comments_of(&v),
        ["请联系我 13800000000", "很好", "路灯坏了一个月"]
    );
    assert_eq!(
        (&v["comments"][0]["level"], &v["comments"][0]["at"]),
        (&json!(4), &json!("2025-03-03T02:00:00Z"))
    );
    // The phone number is hidden; the rating still counts.
    let (s, r) = post(
        "/api/v1/ratings/4/hide".into(),
        json!({"reason": "含个人电话", "by": "考核办 张伟"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (&r["hidden"]["reason"], &r["hidden"]["by"]),
        (&json!("含个人电话"), &json!("考核办 张伟"))
    );
    let (s, _) = post(
        "/api/v1/ratings/4/hide".into(),
        json!({"reason": "again", "by": "张"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, v) = public("/public/v1/projects/lib/comments").await;
    assert_eq!(comments_of(&v), ["很好", "路灯坏了一个月"]);
    assert!(!v.to_string().contains("13800000000"));
    assert_eq!(score().await["n"], 3);
    let (s, _) = public("/public/v1/projects/none/comments").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The public list of projects does not carry comments at all.
    assert!(
        !get(&app, "/public/v1/projects")
            .await
            .to_string()
            .contains("13800000000")
    );
}

/// `POST /api/v1/public-ratings`: refused (422, naming `period`) while no
/// category reaches k = 10 ratings, then signed and published as a
/// `public_rating` document, and answered with the same one while the
/// ratings stay the same.
#[tokio::test]
async fn public_ratings_are_published_only_from_k() {
    let app = loaded().await;
    let body = json!([{"id": "lib", "name_zh": "图书馆改造", "name_en": "Library renovation",
                       "unit": "u1", "place": "城厢镇", "budget": 1200000, "period": "2025",
                       "category": "culture"}])
    .to_string();
    let (s, v) = call(&app, "POST", "/api/v1/projects", "application/json", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let publish = |body: &str| {
        let app = app.clone();
        let body = body.to_owned();
        async move {
            call(
                &app,
                "POST",
                "/api/v1/public-ratings",
                "application/json",
                &body,
            )
            .await
        }
    };
    let (s, v) = publish(r#"{"period": "2025"}"#).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("period")),
        "{v}"
    );
    assert!(v["detail"].as_str().unwrap().contains("k = 10"), "{v}");
    let (s, v) = publish(r#"{"period": "2025-13"}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

    let (_, codes) = call(
        &app,
        "POST",
        "/api/v1/projects/lib/codes",
        "application/json",
        r#"{"count": 10}"#,
    )
    .await;
    for (i, level) in [5, 5, 5, 5, 5, 4, 4, 4, 3, 1].into_iter().enumerate() {
        let body = json!({"project": "lib", "code": codes["codes"][i], "level": level});
        let (s, v) = call(
            &app,
            "POST",
            "/public/v1/ratings",
            "application/json",
            &body.to_string(),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = publish(r#"{"period": "2025"}"#).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["created"], true);
    let doc = &v["document"];
    assert_eq!(doc["kind"], "public_rating");
    let c = &doc["payload"]["categories"][0];
    assert_eq!(c["category"], "culture");
    assert_eq!(c["counts"], json!([1, 0, 1, 3, 5]));
    assert_eq!(c["n"], 10);
    assert!(c.get("comment").is_none() && doc["payload"].get("projects").is_none());
    let (s, again) = publish(r#"{"period": "2025"}"#).await;
    assert_eq!((s, &again["created"]), (StatusCode::CREATED, &json!(false)));
    assert_eq!(again["hash"], v["hash"]);
    let listed = get(&app, "/api/v1/documents?kind=public_rating").await;
    assert_eq!(listed["documents"].as_array().unwrap().len(), 1);
}

/// `POST /api/v1/whatif`: Chengxiang (u4, a town weighted 100% on
/// satisfaction, linear from 60 to the target 90) has 75, so 50 points and
/// grade E; with its own target at 80 it would have 75 points (C, pay 1.0).
/// Nothing held changes, a change that cannot apply is named, and a viewer
/// may not ask.
#[tokio::test]
async fn whatif_answers_before_and_after_and_changes_nothing() {
    let app = loaded().await;
    let appraisals = get(&app, "/api/v1/appraisals?framework=test.small&period=2025").await;
    let body = json!({"framework": "test.small", "period": "2025", "draws": 200,
        "changes": {"targets": [{"indicator": "sat", "unit": "u4", "target": 80}]}})
    .to_string();
    let (s, v) = call(&app, "POST", "/api/v1/whatif", "application/json", &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["version"].as_str(), v["grades_changed"].as_u64()),
        (Some("1.0.0"), Some(1))
    );
    let units = v["units"].as_array().unwrap();
    assert_eq!(units.len(), 4);
    let u4 = units.iter().find(|u| u["unit"] == "u4").unwrap();
    assert_eq!(
        (
            &u4["before"]["total"],
            &u4["before"]["grade"],
            &u4["before"]["pay_coefficient"]
        ),
        (&json!(50.0), &json!("E"), &json!(0.8))
    );
    assert_eq!(
        (
            &u4["after"]["total"],
            &u4["after"]["grade"],
            &u4["after"]["pay_coefficient"]
        ),
        (&json!(75.0), &json!("C"), &json!(1.0))
    );
    assert_eq!(
        u4["after"]["rank_interval"],
        json!([1, 1]),
        "alone in its category"
    );
    for u in units.iter().filter(|u| u["unit"] != "u4") {
        assert_eq!(u["before"], u["after"], "{u}");
        assert_eq!(u["grade_changed"], false);
    }
    // The appraisal held is as it was.
    assert_eq!(
        get(&app, "/api/v1/appraisals?framework=test.small&period=2025").await,
        appraisals
    );

    let bad = json!({"framework": "test.small", "period": "2025",
        "changes": {"weights": [{"category": "town", "weights": [{"indicator": "sat", "weight": 90}]}]}})
    .to_string();
    let (s, v) = call(&app, "POST", "/api/v1/whatif", "application/json", &bad).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("changes.weights[0].weights")),
        "{v}"
    );
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/whatif",
        "application/json",
        &json!({"framework": "test.small", "period": "2025", "draws": 100_001}).to_string(),
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("draws")),
        "{v}"
    );
    let (s, _) = call(
        &app,
        "POST",
        "/api/v1/whatif",
        "application/json",
        &json!({"framework": "none.such", "period": "2025"}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = call_with(
        &app,
        "POST",
        "/api/v1/whatif",
        "application/json",
        &body,
        VIEWER,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// `POST /api/v1/debt` then `GET /api/v1/debt-risk`: 250 over 200 is a
/// debt ratio of 125% (yellow, from 120%); issuing 160 more in 2026 makes
/// 410 over 200, 205% (orange), a projected rising crossing. A bad row is
/// named and nothing of its request is stored.
#[tokio::test]
async fn debt_risk_bands_reported_and_projected_periods() {
    let app = loaded().await;
    let bad = json!({"actuals": [
        {"jurisdiction": "320585", "period": "2024", "debt_balance": 200, "comprehensive_resources": 200, "debt_service_due": 10},
        {"jurisdiction": "320585", "period": "2025", "debt_balance": 250, "comprehensive_resources": 0, "debt_service_due": 10}]})
    .to_string();
    let (s, v) = call(&app, "POST", "/api/v1/debt", "application/json", &bad).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("actuals[1].comprehensive_resources")
        ),
        "{v}"
    );
    assert_eq!(get(&app, "/api/v1/debt-risk").await["rows"], json!([]));

    let good = json!({
        "actuals": [
            {"jurisdiction": "320585", "period": "2024", "debt_balance": 200, "comprehensive_resources": 200, "debt_service_due": 10},
            {"jurisdiction": "320585", "period": "2025", "debt_balance": 250, "comprehensive_resources": 200, "debt_service_due": 24}],
        "calendar": [{"jurisdiction": "320585", "period": "2026", "issuance": 180, "repayment": 20}]})
    .to_string();
    let (s, v) = call(&app, "POST", "/api/v1/debt", "application/json", &good).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v, json!({"actuals": 2, "calendar": 1}));
    let r = get(&app, "/api/v1/debt-risk").await;
    let rows: Vec<(String, f64, f64, String, bool)> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["period"].as_str().unwrap().to_owned(),
                x["debt_ratio"].as_f64().unwrap(),
                x["debt_service_ratio"].as_f64().unwrap(),
                x["band"].as_str().unwrap().to_owned(),
                x["projected"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("2024".into(), 100.0, 5.0, "green".into(), false),
            ("2025".into(), 125.0, 12.0, "yellow".into(), false),
            ("2026".into(), 205.0, 10.0, "orange".into(), true),
        ]
    );
    assert_eq!(r["crossings"].as_array().unwrap().len(), 2);
    assert_eq!(r["crossings"][1]["to"], "orange");
    assert_eq!(r["crossings"][1]["projected"], true);
    assert_eq!(r["bands"]["red"], 300.0);
    assert!(r["bands"]["source"].as_str().unwrap().contains("财政部"));
    let (s, _) = call_with(
        &app,
        "POST",
        "/api/v1/debt",
        "application/json",
        &good,
        VIEWER,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// `GET /api/v1/forecasts`: monthly revenue for 2022-2024 (each month the
/// same within a year) and January to June 2025. With one profile year
/// (2024) the offset is the mean gap of 2025's months to 2024's: u1 +2, so
/// 6·12 + 6·(10 + 2) = 144; u2 240; u3 −3, so 6·27 + 6·27 = 324. Past years
/// are forecast exactly, so the interval is the point and no target is
/// missed. Satisfaction of the town has only 2025 months: the fallback,
/// without an interval, says so.
#[tokio::test]
async fn forecasts_from_monthly_observations() {
    let app = loaded().await;
    let mut csv = monthly_revenue(&[("u1", 10, 12), ("u2", 20, 20), ("u3", 30, 27)]);
    for m in 1..=3 {
        csv.push_str(&format!("u4,sat,2025-{m:02},{},\n", 70 + m));
    }
    let (s, v) = call(&app, "POST", "/api/v1/observations", "text/csv", &csv).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The annual appraisal is as it was: months are kept apart.
    let (s, _) = call(
        &app,
        "GET",
        "/api/v1/appraisals?framework=test.small&period=2025",
        "",
        "",
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    let v = get(&app, "/api/v1/forecasts?framework=test.small&period=2025").await;
    let row = |unit: &str, ind: &str| {
        v["forecasts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["unit"] == unit && r["indicator"] == ind)
            .unwrap_or_else(|| panic!("{unit} {ind} in {v}"))
            .clone()
    };
    for (unit, expected) in [("u1", 144.0), ("u2", 240.0), ("u3", 324.0)] {
        let r = row(unit, "rev");
        assert_eq!(r["forecast"].as_f64(), Some(expected), "{r}");
        assert_eq!(
            (r["lower"].as_f64(), r["upper"].as_f64()),
            (Some(expected), Some(expected)),
            "{r}"
        );
        assert_eq!(r["observed_months"], json!([1, 2, 3, 4, 5, 6]));
        assert_eq!(r["level"], 0.8);
        // Two calibration years (2023, 2024) for each of the three units.
        assert_eq!(r["calibration_points"], 6, "{r}");
        assert!(r["method"].as_str().unwrap().contains("pooled"), "{r}");
    }
    // u1's own annual target of 100 is beaten: no miss.
    let u1 = row("u1", "rev");
    assert_eq!(
        (u1["target"].as_f64(), u1["p_miss"].as_f64()),
        (Some(100.0), Some(0.0)),
        "{u1}"
    );
    assert_eq!(u1["year_to_date"].as_f64(), Some(72.0));
    // The town's satisfaction: the mean of its three months, no interval.
    let sat = row("u4", "sat");
    assert_eq!(sat["forecast"].as_f64(), Some(72.0), "{sat}");
    assert!(sat["lower"].is_null());
    assert!(
        sat["method"].as_str().unwrap().contains("fallback"),
        "{sat}"
    );
    assert!(sat["interval_note"].as_str().is_some(), "{sat}");

    let (s, v) = call(
        &app,
        "GET",
        "/api/v1/forecasts?framework=test.small&period=2025-03",
        "",
        "",
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("period")),
        "{v}"
    );
    let (s, v) = call(
        &app,
        "GET",
        "/api/v1/forecasts?framework=test.small&period=2025&level=1",
        "",
        "",
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("level")),
        "{v}"
    );
}

/// `GET /api/v1/warnings`: u1's revenue runs at 7 a month against 10 in
/// every past year, so its year-end forecast is 6·7 + 6·(10 − 3) = 84
/// against its target of 100, and every calibration error agrees: P(miss)
/// 1 > 0.5, a warning. u2 (forecast 240 against 100) has none. A debt band
/// rising in 2026 warns too. The office acknowledges the first with an
/// action, once.
#[tokio::test]
async fn warnings_come_from_forecasts_and_debt_and_are_acknowledged_once() {
    let app = loaded().await;
    let csv = monthly_revenue(&[("u1", 10, 7), ("u2", 20, 20), ("u3", 30, 30)]);
    let (s, v) = call(&app, "POST", "/api/v1/observations", "text/csv", &csv).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let debt = json!({
        "actuals": [{"jurisdiction": "320585", "period": "2025", "debt_balance": 230, "comprehensive_resources": 200, "debt_service_due": 20}],
        "calendar": [{"jurisdiction": "320585", "period": "2026", "issuance": 200, "repayment": 20}]})
    .to_string();
    let (s, v) = call(&app, "POST", "/api/v1/debt", "application/json", &debt).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    let v = get(&app, "/api/v1/warnings?framework=test.small&period=2025").await;
    let ws = v["warnings"].as_array().unwrap();
    assert_eq!(ws.len(), 2, "{v}");
    let miss = &ws[0];
    assert_eq!(miss["id"], "miss:test.small:2025:u1:rev");
    assert_eq!(
        (miss["kind"].as_str(), miss["p_miss"].as_f64()),
        (Some("target_miss"), Some(1.0))
    );
    let trigger = miss["trigger"].as_str().unwrap();
    assert!(
        trigger.contains("forecast 84") && trigger.contains("target 100"),
        "{trigger}"
    );
    assert!(miss.get("acknowledged").is_none());
    // 230/200 = 115% (green), then 410/200 = 205% (orange), projected.
    let band = &ws[1];
    assert_eq!(
        (band["id"].as_str(), band["projected"].as_bool()),
        (Some("debt:320585:2026"), Some(true))
    );
    assert!(
        band["trigger"].as_str().unwrap().contains("205.0%"),
        "{band}"
    );

    let uri = "/api/v1/warnings/miss:test.small:2025:u1:rev/acknowledgement";
    let ack = json!({"action": "加快征收进度，每月调度", "by": "财政局"}).to_string();
    let (s, v) = call(&app, "POST", uri, "application/json", &ack).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = call(&app, "POST", uri, "application/json", &ack).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let v = get(&app, "/api/v1/warnings?framework=test.small&period=2025").await;
    assert_eq!(v["warnings"][0]["acknowledged"]["by"], "财政局");
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/warnings/nonsense/acknowledgement",
        "application/json",
        &ack,
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("id")),
        "{v}"
    );
    let (s, _) = call(
        &app,
        "POST",
        "/api/v1/warnings/miss:test.small:2025:u2:rev/acknowledgement",
        "application/json",
        &ack,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "u2 has no warning");
    let blank = json!({"action": " ", "by": "x"}).to_string();
    let (s, v) = call(&app, "POST", uri, "application/json", &blank).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("action")),
        "{v}"
    );
}

/// Forecasts as commitments: the jurisdiction's year-end revenue is the
/// sum of its units' forecasts (144 + 240 + 324 = 708, each interval the
/// point, as in `forecasts_from_monthly_observations`); the town's
/// satisfaction, forecast without an interval, is left out with why. The
/// commitment is signed before the 2025 summary, whose revenue is
/// 110 + 80 = 190: missed, interval score 0 + 2/0.2 · (708 − 190) = 5180,
/// 5180 / 190 relative. A second commitment after the summary is shown but
/// not counted.
#[tokio::test]
async fn a_forecast_commitment_is_signed_first_and_scored_against_the_summary() {
    let app = loaded().await;
    let mut csv = monthly_revenue(&[("u1", 10, 12), ("u2", 20, 20), ("u3", 30, 27)]);
    for m in 1..=3 {
        csv.push_str(&format!("u4,sat,2025-{m:02},{},\n", 70 + m));
    }
    let req = r#"{"framework": "test.small", "period": "2025"}"#;
    // Before any month is observed there is nothing to commit to.
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/forecast-commitments",
        "application/json",
        req,
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("period")),
        "{v}"
    );
    let (s, v) = call(&app, "POST", "/api/v1/observations", "text/csv", &csv).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    let (s, c) = call(
        &app,
        "POST",
        "/api/v1/forecast-commitments",
        "application/json",
        req,
    )
    .await;
    assert_eq!(
        (s, &c["created"]),
        (StatusCode::CREATED, &json!(true)),
        "{c}"
    );
    let p = &c["document"]["payload"];
    assert_eq!(c["document"]["kind"], "forecast");
    assert_eq!(
        (p["period"].as_str(), p["as_of"].as_str()),
        (Some("2025"), Some("2025-06"))
    );
    assert_eq!(p["level"], 0.8);
    assert_eq!(p["indicators"].as_array().unwrap().len(), 1, "{p}");
    let rev = &p["indicators"][0];
    assert_eq!(rev["indicator"], "rev");
    assert_eq!(
        (
            rev["forecast"].as_f64(),
            rev["lower"].as_f64(),
            rev["upper"].as_f64()
        ),
        (Some(708.0), Some(708.0), Some(708.0))
    );
    assert_eq!(rev["units"], 3);
    let left = c["left_out"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{c}");
    assert_eq!(left[0]["indicator"], "sat");
    assert!(left[0]["reason"].as_str().unwrap().contains("u4"), "{c}");
    // Unchanged: the same document.
    let (s, again) = call(
        &app,
        "POST",
        "/api/v1/forecast-commitments",
        "application/json",
        req,
    )
    .await;
    assert_eq!((s, &again["created"]), (StatusCode::CREATED, &json!(false)));
    assert_eq!(again["hash"], c["hash"]);

    let skill = get(&app, "/api/v1/forecast-skill?period=2025").await;
    assert_eq!(skill["commitments"].as_array().unwrap().len(), 1);
    assert_eq!(skill["commitments"][0]["status"], "awaiting_summary");
    assert!(skill["commitments"][0]["indicators"][0]["actual"].is_null());

    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/summaries",
        "application/json",
        r#"{"framework": "test.small", "period": "2025"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let skill = get(&app, "/api/v1/forecast-skill?period=2025").await;
    let row = &skill["commitments"][0];
    assert_eq!(row["status"], "scored", "{row}");
    assert_eq!(row["commitment"], c["hash"]);
    assert_eq!(row["summary"], v["hash"]);
    assert!(row["seq"].as_u64() < row["first_summary_seq"].as_u64());
    let rev = &row["indicators"][0];
    assert_eq!(rev["actual"].as_f64(), Some(190.0), "{rev}");
    assert_eq!(rev["covered"], false);
    assert!((rev["interval_score"].as_f64().unwrap() - 5180.0).abs() < 1e-9);
    assert!((rev["relative_interval_score"].as_f64().unwrap() - 5180.0 / 190.0).abs() < 1e-9);
    assert_eq!(
        (row["coverage"].as_f64(), row["scored"].as_u64()),
        (Some(0.0), Some(1))
    );

    // July arrives; a new commitment, after the summary, is not counted.
    let (s, _) = call(
        &app,
        "POST",
        "/api/v1/observations",
        "text/csv",
        "unit,indicator,period,value,target\nu1,rev,2025-07,12,\nu2,rev,2025-07,20,\nu3,rev,2025-07,27,\n",
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, late) = call(
        &app,
        "POST",
        "/api/v1/forecast-commitments",
        "application/json",
        req,
    )
    .await;
    assert_eq!(
        (s, &late["created"]),
        (StatusCode::CREATED, &json!(true)),
        "{late}"
    );
    let skill = get(&app, "/api/v1/forecast-skill?period=2025").await;
    let rows = skill["commitments"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["status"], "after_summary");
    assert_eq!(rows[1]["as_of"], "2025-07");
    assert!(rows[1]["coverage"].is_null());

    // Refusals: not a year, a level outside (0, 1), nothing to commit to,
    // and a viewer.
    for (body, status, field) in [
        (
            r#"{"framework": "test.small", "period": "2025-Q1"}"#,
            StatusCode::BAD_REQUEST,
            "period",
        ),
        (
            r#"{"framework": "test.small", "period": "2025", "level": 1.5}"#,
            StatusCode::BAD_REQUEST,
            "level",
        ),
    ] {
        let (s, v) = call(
            &app,
            "POST",
            "/api/v1/forecast-commitments",
            "application/json",
            body,
        )
        .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (status, Some(field)),
            "{body}: {v}"
        );
    }
    let (s, _) = call_with(
        &app,
        "POST",
        "/api/v1/forecast-commitments",
        "application/json",
        req,
        VIEWER,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = call(&app, "GET", "/api/v1/forecast-skill?period=2025-06", "", "").await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("period")),
        "{v}"
    );
}

/// A grade forecast to fall warns. The framework covers 2024 and 2025, and
/// both years hold the fixture's values, so u1 was an A (94.85) in 2024.
/// Its revenue runs at 7 a month in 2025 against 10 before, so its year-end
/// forecast is 84 (as in the warnings test) in place of 110: the revenue
/// score (ratio to the target 100) falls by 26 at a weight of 40% · 50%, so
/// the total falls by 5.2 to 89.65, a B. u2's forecast (240) only raises
/// its total, and no other unit has months.
#[tokio::test]
async fn a_grade_forecast_to_fall_warns() {
    let app = app();
    let mut f: serde_json::Value = serde_json::from_str(FRAMEWORK).unwrap();
    f["periods"] = json!(["2024", "2025"]);
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/frameworks",
        "application/json",
        &f.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = call(&app, "POST", "/api/v1/units", "application/json", UNITS).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut csv = CSV.to_string();
    csv.push_str(
        &CSV.lines()
            .skip(1)
            .map(|l| l.replace(",2025,", ",2024,") + "\n")
            .collect::<String>(),
    );
    csv.push_str(&monthly_revenue(&[("u1", 10, 7), ("u2", 20, 20)])[HEADER.len()..]);
    let (s, v) = call(&app, "POST", "/api/v1/observations", "text/csv", &csv).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let last = get(&app, "/api/v1/appraisals?framework=test.small&period=2024").await;
    let u1 = last["appraisals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["unit"] == "u1")
        .unwrap()
        .clone();
    assert_eq!(
        (u1["total"].as_f64(), u1["grade"].as_str()),
        (Some(94.85), Some("A"))
    );

    let v = get(&app, "/api/v1/warnings?framework=test.small&period=2025").await;
    let falls: Vec<&serde_json::Value> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "grade_fall")
        .collect();
    assert_eq!(falls.len(), 1, "{v}");
    let w = falls[0];
    assert_eq!(
        (w["id"].as_str(), w["unit"].as_str()),
        (Some("grade:test.small:2025:u1"), Some("u1"))
    );
    let trigger = w["trigger"].as_str().unwrap();
    assert!(
        trigger.contains("grade forecast B")
            && trigger.contains("89.65")
            && trigger.contains("after A in 2024"),
        "{trigger}"
    );
    let uri = "/api/v1/warnings/grade:test.small:2025:u1/acknowledgement";
    let ack = json!({"action": "每月调度收入进度", "by": "考核办"}).to_string();
    let (s, v) = call(&app, "POST", uri, "application/json", &ack).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = call(
        &app,
        "POST",
        "/api/v1/warnings/grade:test.small:2025:u2/acknowledgement",
        "application/json",
        &ack,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "u2's grade does not fall");
}

/// Debt figures as a signed summary: a framework of debt indicators takes
/// the node's own reported figures (230 / 200 = 115%, 20 / 200 = 10%), as
/// an ordinary summary with the figure and no distribution; unchanged it is
/// answered again; a period without figures, an indicator that is not a
/// debt figure and a viewer are refused.
#[tokio::test]
async fn debt_figures_are_published_as_a_summary() {
    let app = loaded().await;
    let debt = json!({"actuals": [
        {"jurisdiction": "320585", "period": "2025", "debt_balance": 230, "comprehensive_resources": 200, "debt_service_due": 20},
        {"jurisdiction": "320583", "period": "2024", "debt_balance": 100, "comprehensive_resources": 100, "debt_service_due": 5}]})
    .to_string();
    let (s, v) = call(&app, "POST", "/api/v1/debt", "application/json", &debt).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let ind = |code: &str| {
        json!({"code": code, "name_zh": code, "name_en": code, "dimension": "fiscal", "unit": "%",
            "direction": "lower_is_better", "aggregation": {"rule": "mean"}})
    };
    let framework = json!({"id": "test.debt", "version": "1.0.0", "owner": {"jurisdiction": "320585"},
        "name_zh": "债务", "name_en": "Debt", "periods": ["2024", "2025"],
        "indicators": [ind("debt_ratio"), ind("debt_service_ratio")]});
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/frameworks",
        "application/json",
        &framework.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    let req = r#"{"framework": "test.debt", "period": "2025"}"#;
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/debt/summaries",
        "application/json",
        req,
    )
    .await;
    assert_eq!(
        (s, &v["created"]),
        (StatusCode::CREATED, &json!(true)),
        "{v}"
    );
    let doc = &v["document"];
    assert_eq!(doc["kind"], "summary");
    let rows = doc["payload"]["indicators"].as_array().unwrap();
    let value = |code: &str| {
        rows.iter().find(|r| r["indicator"] == code).map(|r| {
            (
                r["value"].as_f64(),
                r["contributors"].as_u64(),
                r["withheld"].is_string(),
            )
        })
    };
    assert_eq!(value("debt_ratio"), Some((Some(115.0), Some(1), true)));
    assert_eq!(
        value("debt_service_ratio"),
        Some((Some(10.0), Some(1), true))
    );
    let (s, again) = call(
        &app,
        "POST",
        "/api/v1/debt/summaries",
        "application/json",
        req,
    )
    .await;
    assert_eq!((s, &again["created"]), (StatusCode::CREATED, &json!(false)));
    assert_eq!(again["hash"], v["hash"]);

    // 2024 has figures of another jurisdiction only; the appraisal
    // framework's first indicator is not a debt figure.
    for (body, field) in [
        (r#"{"framework": "test.debt", "period": "2024"}"#, "period"),
        (
            r#"{"framework": "test.small", "period": "2025"}"#,
            "indicators[0]",
        ),
    ] {
        let (s, v) = call(
            &app,
            "POST",
            "/api/v1/debt/summaries",
            "application/json",
            body,
        )
        .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{body}: {v}"
        );
    }
    let (s, _) = call_with(
        &app,
        "POST",
        "/api/v1/debt/summaries",
        "application/json",
        req,
        VIEWER,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// The twin's forecasts backtested on the sample data: for each city, the
/// node holds 2023 and 2024 by month and 2025 up to month M (3, 6 or 9),
/// and each unit's year-end forecast is checked against its 2025 value,
/// which the forecast never sees (the annual observations are a separate
/// period; the months of 2025 were drawn to sum to it). Coverage is the
/// share of intervals holding the value; the interval score is over the
/// value. With two past years, the pooled calibration has one or two
/// errors per series; the 80% intervals must hold at least 70% of the
/// values in each city at September (the data is seeded, so the figures
/// are the same on every run; they are printed for the record).
#[tokio::test]
async fn sample_forecasts_hold_the_2025_values() {
    let read = |city: &str, file: &str| {
        std::fs::read_to_string(format!(
            "{}/../../node-config/samples/{city}/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let mut report = Vec::new();
    for (city, code, framework) in [
        ("taicang", "320585", "taicang.hqd"),
        ("kunshan", "320583", "kunshan.perf"),
        ("jiading", "310114", "jiading.gov"),
    ] {
        let annual: std::collections::HashMap<(String, String), f64> =
            read(city, "observations-2025.csv")
                .lines()
                .skip(1)
                .map(|l| {
                    let c: Vec<&str> = l.split(',').collect();
                    ((c[0].to_owned(), c[1].to_owned()), c[3].parse().unwrap())
                })
                .collect();
        let monthly = read(city, "observations-monthly.csv");
        for month in [3u8, 6, 9] {
            let app = app_for(code, city, city, Arc::new(SystemClock), Policy::default());
            for (uri, ctype, body) in [
                (
                    "/api/v1/frameworks",
                    "application/json",
                    read(city, "framework.json"),
                ),
                (
                    "/api/v1/units",
                    "application/json",
                    read(city, "units.json"),
                ),
                (
                    "/api/v1/observations",
                    "text/csv",
                    read(city, "observations-2024.csv"),
                ),
                (
                    "/api/v1/observations",
                    "text/csv",
                    read(city, "observations-2025.csv"),
                ),
            ] {
                let (s, v) = call(&app, "POST", uri, ctype, &body).await;
                assert_eq!(s, StatusCode::CREATED, "{city} {uri}: {v}");
            }
            let upto: String = monthly
                .lines()
                .enumerate()
                .filter(|(i, l)| {
                    *i == 0 || {
                        let period = l.split(',').nth(2).unwrap();
                        !period.starts_with("2025-") || period[5..].parse::<u8>().unwrap() <= month
                    }
                })
                .map(|(_, l)| format!("{l}\n"))
                .collect();
            let (s, v) = call(&app, "POST", "/api/v1/observations", "text/csv", &upto).await;
            assert_eq!(s, StatusCode::CREATED, "{city} months: {v}");
            for level in [0.5, 0.8] {
                let fc = get(
                    &app,
                    &format!("/api/v1/forecasts?framework={framework}&period=2025&level={level}"),
                )
                .await;
                let (mut n, mut held, mut score) = (0usize, 0usize, 0.0);
                for f in fc["forecasts"].as_array().unwrap() {
                    let key = (
                        f["unit"].as_str().unwrap().to_owned(),
                        f["indicator"].as_str().unwrap().to_owned(),
                    );
                    let actual = *annual
                        .get(&key)
                        .unwrap_or_else(|| panic!("{key:?} in 2025"));
                    let (Some(lo), Some(hi)) = (f["lower"].as_f64(), f["upper"].as_f64()) else {
                        continue;
                    };
                    n += 1;
                    held += usize::from(lo <= actual && actual <= hi);
                    let miss = (lo - actual).max(0.0) + (actual - hi).max(0.0);
                    score += (hi - lo + 2.0 / (1.0 - level) * miss) / actual.abs().max(1e-9);
                }
                assert!(n > 0, "{city} month {month}: no interval");
                let coverage = held as f64 / n as f64;
                report.push(format!(
                    "{city:<8} as of {month:>2}  level {level:.2}  n {n:>3}  coverage {coverage:.3}  mean relative interval score {:.4}",
                    score / n as f64
                ));
                if month == 9 && level == 0.8 {
                    assert!(
                        coverage >= 0.7,
                        "{city}: {coverage} at 80%\n{}",
                        report.join("\n")
                    );
                }
            }
        }
    }
    println!("{}", report.join("\n"));
}

/// 12345 requests: imported as CSV with GCJ-02 coordinates, flagged, on the
/// heat map and in the department's figures, each figure by hand (u1's six
/// requests of March 2025, times in UTC+8):
///
/// | id | category | accepted | acknowledged | closed | SLA | result | rating |
/// |---|---|---|---|---|---|---|---|
/// | a1 | noise | 03-01 09:00 | 09:30 | 11:00 (2 h) | 03-03 | resolved | 5 |
/// | a2 | noise | 03-02 09:00 | 10:00 | 12:00 (3 h) | 03-02 11:00 (late) | explained | 2 |
/// | a3 | roads | 03-03 09:00 | 09:03 | 09:03 (quick) | | resolved | 4 |
/// | a4 | noise | 03-04 09:00 | | 17:00 (8 h), reopened | | not resolved | |
/// | a5 | noise | 03-05 09:00 | | open | 03-06 (overdue) | | |
/// | a6 | roads | 03-06 09:00 | | 08:00 (before opened) | | | |
///
/// Response hours 0.05, 0.5, 1: p50 0.5, p90 0.9. Time to close by
/// Kaplan–Meier over a1-a5 (a6 is a data error), a5 censored: S falls to
/// 4/5, 3/5, 2/5, 1/5 at 0.05, 2, 3 and 8 hours, so p50 is 3 and there is no
/// p90. Within SLA 1 of 3; 办结率 5/6, 解决率 2/6; satisfaction 11/3.
#[tokio::test]
async fn hotline_requests_map_and_measure_departments() {
    let app = loaded().await;
    // The Shanghai reference point: GCJ-02 (31.17530398364597,
    // 121.531541859215) is WGS84 (31.1774276, 121.5272106).
    let gcj = "31.17530398364597,121.531541859215";
    let csv = format!(
        "service_request_id,service_name,town,agency_responsible,lat,long,requested_datetime,acknowledged_at,closed_date,reopened_at,expected_datetime,result,satisfaction\n\
         a1,noise,城厢镇,u1,{gcj},2025-03-01 09:00,2025-03-01 09:30,2025-03-01 11:00,,2025-03-03 09:00,resolved,5\n\
         a2,noise,城厢镇,u1,{gcj},2025-03-02 09:00,2025-03-02 10:00,2025-03-02 12:00,,2025-03-02 11:00,explained,2\n\
         a3,roads,浮桥镇,u1,,,2025-03-03 09:00,2025-03-03 09:03,2025-03-03 09:03,,,resolved,4\n\
         a4,noise,城厢镇,u1,,,2025-03-04 09:00,,2025-03-04 17:00,2025-03-05 09:00,,not_resolved,\n\
         a5,noise,,u1,,,2025-03-05 09:00,,,,2025-03-06 09:00,,\n\
         a6,roads,,u1,,,2025-03-06 09:00,,2025-03-06 08:00,,,,\n\
         b1,noise,城厢镇,u2,,,2025-04-01 09:00,,,,,,\n"
    );
    // Coordinates without their system are refused.
    let (s, v) = call(&app, "POST", "/api/v1/hotline/tickets", "text/csv", &csv).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("coordinates")),
        "{v}"
    );
    // A bad row names its row and column; nothing is stored.
    let bad = csv
        .replace("a3,roads,浮桥镇,u1", "a3,roads,浮桥镇,nobody")
        .replace("2025-03-04 17:00", "soon");
    let uri = "/api/v1/hotline/tickets?coordinates=gcj02";
    let (s, v) = call(&app, "POST", uri, "text/csv", &bad).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        (v["row"].as_u64(), v["column"].as_str()),
        (Some(3), Some("department")),
        "{v}"
    );
    let errors: Vec<(u64, &str)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(3, "department"), (4, "closed_at")], "{v}");
    let march = "/api/v1/hotline/departments?period=2025-03";
    assert_eq!(get(&app, march).await["departments"], json!([]));

    let (s, v) = call(&app, "POST", uri, "text/csv", &csv).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["accepted"].as_u64(), v["inserted"].as_u64()),
        (Some(7), Some(7))
    );
    assert_eq!(v["coordinates"], "gcj02");
    // b1 is open with no SLA: no acknowledgement is due yet.
    assert_eq!(
        v["flagged"],
        json!({"closed_before_opened": 1, "closed_within_minutes": 1, "reopened": 1, "no_acknowledgement": 3})
    );

    assert_eq!(
        get(&app, "/api/v1/hotline/months").await,
        json!({"months": [{"month": "2025-03", "requests": 6}, {"month": "2025-04", "requests": 1}]})
    );
    let d = get(&app, march).await;
    let rows = d["departments"].as_array().unwrap();
    // u1 over all categories, then noise and roads.
    assert_eq!(rows.len(), 3, "{d}");
    let u1 = &rows[0];
    assert_eq!(
        (u1["department"].as_str(), u1.get("category")),
        (Some("u1"), None)
    );
    assert_eq!(u1["requests"], 6);
    assert_eq!(u1["response_hours"], json!({"p50": 0.5, "p90": 0.9}));
    assert_eq!(u1["close_hours"], json!({"p50": 3.0, "p90": null}));
    assert_eq!(u1["open"], 1);
    assert_eq!(u1["within_sla"], 0.333);
    assert_eq!(
        (u1["closure_rate"].as_f64(), u1["resolution_rate"].as_f64()),
        (Some(0.833), Some(0.333))
    );
    assert_eq!(
        (u1["satisfaction"].as_f64(), u1["rated"].as_u64()),
        (Some(3.667), Some(3))
    );
    assert_eq!(
        u1["flagged"],
        json!({"closed_before_opened": 1, "closed_within_minutes": 1, "reopened": 1, "no_acknowledgement": 3})
    );
    assert_eq!(
        (rows[1]["category"].as_str(), rows[1]["requests"].as_u64()),
        (Some("noise"), Some(4))
    );
    assert_eq!(
        (rows[2]["category"].as_str(), rows[2]["requests"].as_u64()),
        (Some("roads"), Some(2))
    );

    let h = get(
        &app,
        "/api/v1/hotline/heatmap?period=2025-03&category=noise&resolution=9",
    )
    .await;
    assert_eq!(
        (h["requests"].as_u64(), h["without_coordinates"].as_u64()),
        (Some(4), Some(2))
    );
    let cells = h["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 1, "{h}");
    assert_eq!(
        (cells[0]["count"].as_u64(), cells[0]["town"].as_str()),
        (Some(2), Some("城厢镇"))
    );
    // The cell is the WGS84 point's (an edge of about 0.17 km), not the
    // GCJ-02 one's, some 500 m away.
    let (lat, long) = (
        cells[0]["lat"].as_f64().unwrap(),
        cells[0]["long"].as_f64().unwrap(),
    );
    assert!(
        (lat - 31.1774276).abs() < 0.002 && (long - 121.5272106).abs() < 0.002,
        "{lat} {long}"
    );
    assert_eq!(cells[0]["boundary"].as_array().unwrap().len(), 6);
    assert_eq!(h["towns"], json!([{"town": "城厢镇", "count": 3}]));
    let (s, v) = call(
        &app,
        "GET",
        "/api/v1/hotline/heatmap?period=2025-03&resolution=16",
        "",
        "",
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("resolution")),
        "{v}"
    );

    // A re-import updates a request (its earlier version kept) and leaves
    // the others as they were; JSON works like CSV.
    let again = json!({"coordinates": "wgs84", "tickets": [
        {"id": "a1", "category": "noise", "town": "城厢镇", "department": "u1", "lat": 31.1774276, "long": 121.5272106,
         "accepted_at": "2025-03-01T01:00:00Z", "acknowledged_at": "2025-03-01 09:30", "closed_at": "2025-03-01 11:00",
         "sla_due": "2025-03-03 09:00", "result": "resolved", "satisfaction": 4}]});
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/hotline/tickets",
        "application/json",
        &again.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["updated"].as_u64(), v["inserted"].as_u64()),
        (Some(1), Some(0)),
        "{v}"
    );
    let d = get(&app, march).await;
    assert_eq!(d["departments"][0]["satisfaction"], 3.333);
    // The request's audit trail: the version replaced, by whom and when.
    let t = get(&app, "/api/v1/hotline/tickets/a1").await;
    assert_eq!(t["ticket"]["satisfaction"], 4, "{t}");
    let history = t["history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{t}");
    assert_eq!(history[0]["previous"]["satisfaction"], 5, "{t}");
    assert!(
        history[0]["by"].as_str().is_some_and(|b| !b.is_empty()),
        "{t}"
    );
    assert_eq!(
        get(&app, "/api/v1/hotline/tickets/a2").await["history"],
        json!([])
    );
    let (s, _) = call(&app, "GET", "/api/v1/hotline/tickets/zz9", "", "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = call_with(&app, "POST", uri, "text/csv", &csv, VIEWER).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Into appraisal: an indicator whose values are each department's
    // resolution rate of the year. u1 resolved a1 and a3 of its six (1/3,
    // scored 33.33 by linear from 0 to the target 1; a3, a4, a5 and a6 are
    // flagged and count all the same); u2 resolved none of its one.
    let framework = json!({"id": "test.hotline", "version": "1.0.0", "owner": {"jurisdiction": "320585"},
        "name_zh": "热线", "name_en": "Hotline", "periods": ["2025"],
        "indicators": [{"code": "resolved_share", "name_zh": "解决率", "name_en": "Resolution rate",
            "dimension": "service", "unit": "ratio", "direction": "higher_is_better",
            "aggregation": {"rule": "mean"}, "target": 1, "scoring": {"rule": "linear", "floor": 0},
            "source": "hotline_resolution_rate"}],
        "categories": [{"id": "agency", "name_zh": "机关", "name_en": "Agencies",
            "weights": [{"indicator": "resolved_share", "weight": 100}]}]});
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/frameworks",
        "application/json",
        &framework.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let a = get(
        &app,
        "/api/v1/appraisals?framework=test.hotline&period=2025",
    )
    .await;
    let score = |unit: &str| {
        a["appraisals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["unit"] == unit)
            .unwrap_or_else(|| panic!("{unit} in {a}"))["scores"][0]
            .clone()
    };
    let u1 = score("u1");
    assert!(
        (u1["value"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12,
        "{u1}"
    );
    assert!((u1["score"].as_f64().unwrap() - 33.33).abs() < 0.01, "{u1}");
    assert_eq!(
        u1["hotline"],
        json!({"requests": 6, "counted": 6, "flagged": 4})
    );
    assert!(
        u1["reason"].as_str().unwrap().starts_with("12345 hotline"),
        "{u1}"
    );
    let u2 = score("u2");
    assert_eq!(
        (u2["value"].as_f64(), &u2["hotline"]),
        (
            Some(0.0),
            &json!({"requests": 1, "counted": 1, "flagged": 0})
        )
    );
    // u3 has no request and no other value of the framework: not appraised.
    assert_eq!(a["appraisals"].as_array().unwrap().len(), 2, "{a}");
    // A sum of shares means nothing: refused.
    let mut sum = framework.clone();
    sum["version"] = json!("1.1.0");
    sum["indicators"][0]["aggregation"] = json!({"rule": "sum"});
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/frameworks",
        "application/json",
        &sum.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["field"].as_str().unwrap().ends_with("aggregation"), "{v}");
}

/// The signed `hotline` summary, by hand. Six requests of March 2025 (UTC+8),
/// k = 3, cells at resolution 8:
///
/// | id | category | point | closed | SLA | result | rating |
/// |---|---|---|---|---|---|---|
/// | p1 | noise | A | 03-01 11:00 | 03-03 (in time) | resolved | 5 |
/// | p2 | noise | A | 03-02 12:00 | 03-02 11:00 (late) | explained | 4 |
/// | p3 | noise | A | open, never acknowledged | 03-04 (overdue) | | 3 |
/// | p4 | 城管 | B | 03-04 10:00 | | resolved | 2 |
/// | p5 | 城管 | B | 03-05 10:00 | | not resolved | |
/// | p6 | 城管 | none | open | | | |
///
/// `城管` is published as `city_appearance` by `[hotline.categories]`.
/// noise: 3 requests, 2 closed, 1 resolved, 1 of 3 within its SLA, 3 rated
/// (mean 4, given since 3 reach k), 1 flagged (p3). city_appearance: 3
/// requests, 2 closed, 1 resolved, no SLA, 1 rated (no mean), none flagged.
/// Point A's cell holds 3 and is published; point B's holds 2 and is
/// withheld; p6 has no coordinates. A request's cell is the parent of its
/// resolution-15 cell, as on the heat map: for A that is 883098ad31fffff,
/// a neighbour of the resolution-8 cell holding the point itself
/// (883098ad35fffff), since H3's cells do not nest exactly.
#[tokio::test]
async fn the_hotline_summary_withholds_cells_below_k() {
    let policy = Policy {
        hotline_categories: [(
            "城管".to_string(),
            deltabench_model::CategoryId::new("city_appearance").unwrap(),
        )]
        .into(),
        ..Policy::default()
    };
    let app = load(app_with(Arc::new(SystemClock), policy)).await;
    let uri = "/api/v1/hotline/summaries";
    // Nothing accepted in the period: nothing to publish.
    let (s, v) = call(
        &app,
        "POST",
        uri,
        "application/json",
        r#"{"period": "2025-03"}"#,
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("period")),
        "{v}"
    );
    let (a, b) = ("31.4577,121.1003", "31.5101,121.2204");
    let csv = format!(
        "id,category,department,lat,long,accepted_at,acknowledged_at,closed_at,sla_due,result,satisfaction\n\
         p1,noise,u1,{a},2025-03-01 09:00,2025-03-01 09:30,2025-03-01 11:00,2025-03-03 09:00,resolved,5\n\
         p2,noise,u1,{a},2025-03-02 09:00,2025-03-02 10:00,2025-03-02 12:00,2025-03-02 11:00,explained,4\n\
         p3,noise,u2,{a},2025-03-03 09:00,,,2025-03-04 09:00,,3\n\
         p4,城管,u2,{b},2025-03-04 09:00,2025-03-04 09:20,2025-03-04 10:00,,resolved,2\n\
         p5,城管,u2,{b},2025-03-05 09:00,2025-03-05 09:20,2025-03-05 10:00,,not_resolved,\n\
         p6,城管,u1,,,2025-03-06 09:00,,,,,\n"
    );
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/hotline/tickets?coordinates=wgs84",
        "text/csv",
        &csv,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = call(
        &app,
        "POST",
        uri,
        "application/json",
        r#"{"period": "2025-03"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (&v["document"]["kind"], &v["created"]),
        (&json!("hotline"), &json!(true))
    );
    assert_eq!(
        v["document"]["payload"],
        json!({
            "period": "2025-03", "k": 3, "resolution": 8, "requests": 6,
            "categories": [
                {"category": "city_appearance", "requests": 3, "closed": 2, "resolved": 1,
                 "with_sla": 0, "within_sla": 0, "rated": 1, "flagged": 0},
                {"category": "noise", "requests": 3, "closed": 2, "resolved": 1,
                 "with_sla": 3, "within_sla": 1, "rated": 3, "satisfaction": 4, "flagged": 1}
            ],
            "cells": [{"cell": "883098ad31fffff", "count": 3}],
            "withheld_cells": 1, "withheld_requests": 2, "without_coordinates": 1
        })
    );
    let hash = v["hash"].clone();
    // Unchanged: the same document again.
    let (s, v) = call(
        &app,
        "POST",
        uri,
        "application/json",
        r#"{"period": "2025-03"}"#,
    )
    .await;
    assert_eq!(
        (s, &v["created"], &v["hash"]),
        (StatusCode::CREATED, &json!(false), &hash)
    );
    // Another resolution is another summary: A's resolution-7 cell holds 3,
    // B's 2.
    let (s, v) = call(
        &app,
        "POST",
        uri,
        "application/json",
        r#"{"period": "2025-03", "resolution": 7}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        v["document"]["payload"]["cells"],
        json!([{"cell": "873098ad3ffffff", "count": 3}])
    );
    let hash7 = v["hash"].clone();
    let (s, v) = call(
        &app,
        "POST",
        uri,
        "application/json",
        r#"{"period": "2025-03", "resolution": 16}"#,
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("resolution")),
        "{v}"
    );
    // The Delta view holds the node's latest summary of the period.
    let d = get(&app, "/api/v1/hotline/delta?period=2025-03").await;
    let members = d["members"].as_array().unwrap();
    assert_eq!(members.len(), 1, "{d}");
    assert_eq!(
        (&members[0]["issuer"], &members[0]["hash"]),
        (&json!("320585"), &hash7)
    );
    assert_eq!(members[0]["summary"]["requests"], 6);
    assert_eq!(
        get(&app, "/api/v1/hotline/delta?period=2025-04").await["members"],
        json!([])
    );
}

/// A request category that is no category id, and not mapped onto one,
/// cannot be published: the refusal names it and the setting to use.
#[tokio::test]
async fn an_unmapped_hotline_category_is_named() {
    let app = loaded().await;
    let csv = "id,category,department,accepted_at\nq1,城管,u1,2025-03-01 09:00\n";
    let (s, v) = call(&app, "POST", "/api/v1/hotline/tickets", "text/csv", csv).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/hotline/summaries",
        "application/json",
        r#"{"period": "2025"}"#,
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("category")),
        "{v}"
    );
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains("城管") && detail.contains("[hotline.categories]"),
        "{detail}"
    );
}
