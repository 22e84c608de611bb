//! The router, called without a server.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use deltabench_api::auth::{Role, TokenHash, Tokens, hash_token};
use deltabench_api::{ApiLimits, AppState, NodeInfo, router};
use deltabench_model::documents::{Member, Roster, SignedRoster};
use deltabench_model::{AllianceId, JurisdictionCode, Timestamp};
use deltabench_node::{Clock, Identity, Node, Policy, SystemClock};
use deltabench_store::Store;
use deltabench_trust::NodeKey;
use deltabench_trust::roster::{RosterDoc, approve_roster};
use http_body_util::BodyExt;
use prometheus_client::registry::Registry;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

const ADMIN: &str = "admin-token-for-tests";
const VIEWER: &str = "viewer-token-for-tests";

const PARTIES: [(u8, &str, &str); 3] = [
    (1, "320585", "Taicang"),
    (2, "320583", "Kunshan"),
    (3, "310114", "Jiading"),
];

fn code(s: &str) -> JurisdictionCode {
    JurisdictionCode::new(s).unwrap()
}

fn genesis() -> SignedRoster {
    let members = PARTIES
        .iter()
        .map(|(seed, c, name)| Member {
            code: code(c),
            key: NodeKey::from_seed([*seed; 32]).public_hex(),
            name_zh: name.to_string(),
            name_en: name.to_string(),
        })
        .collect();
    let roster = Roster {
        alliance: AllianceId::new("yrd.tax").unwrap(),
        version: 1,
        members,
        threshold: 2,
        expires_at: Timestamp::from_unix(SystemClock.now().unix() + 86_400).unwrap(),
        reference_framework: None,
        recognition_quorum: None,
        former: vec![],
        previous: None,
    };
    let approvals = PARTIES[..2]
        .iter()
        .map(|(seed, c, _)| {
            approve_roster(&NodeKey::from_seed([*seed; 32]), code(c), &roster).unwrap()
        })
        .collect();
    SignedRoster { roster, approvals }
}

fn app_with(index: usize, limits: ApiLimits) -> (axum::Router, Arc<Node>) {
    let (seed, c, name) = PARTIES[index];
    let identity = Identity {
        code: code(c),
        name_zh: name.into(),
        name_en: name.into(),
    };
    let node = Node::open(
        identity,
        NodeKey::from_seed([seed; 32]),
        Store::open_temporary().unwrap(),
        vec![RosterDoc::from_signed(&genesis()).unwrap()],
        Policy::default(),
        Arc::new(SystemClock),
    )
    .unwrap();
    node.declare().unwrap();
    let node = Arc::new(node);
    let mut registry = Registry::default();
    node.metrics().register(&mut registry);
    let state = AppState {
        node: node.clone(),
        tokens: Arc::new(Tokens::new(vec![
            TokenHash {
                role: Role::Admin,
                sha256: hash_token(ADMIN),
                name: Some("admin".into()),
            },
            TokenHash {
                role: Role::Viewer,
                sha256: hash_token(VIEWER),
                name: Some("viewer".into()),
            },
        ])),
        registry: Arc::new(registry),
        info: Arc::new(NodeInfo {
            peer_id: "12D3KooWtest".into(),
            version: "test".into(),
        }),
        limits,
        peers: Default::default(),
    };
    (router(state), node)
}

fn app(index: usize) -> (axum::Router, Arc<Node>) {
    app_with(index, ApiLimits::default())
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, String, Vec<u8>) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, ctype, bytes)
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

fn assert_problem(status: StatusCode, ctype: &str, body: &[u8], want: StatusCode) -> Value {
    assert_eq!(status, want, "{}", String::from_utf8_lossy(body));
    assert_eq!(ctype, "application/problem+json");
    let p = json(body);
    for field in ["type", "title", "status", "detail"] {
        assert!(p.get(field).is_some(), "problem without {field}: {p}");
    }
    assert_eq!(p["status"], want.as_u16());
    p
}

#[tokio::test]
async fn health_needs_no_token_and_node_shows_its_code() {
    let (app, _) = app(0);
    let (s, _, b) = call(&app, "GET", "/healthz", None, vec![]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&b)["status"], "ok");
    let (s, _, b) = call(&app, "GET", "/api/v1/node", Some(VIEWER), vec![]).await;
    assert_eq!(s, StatusCode::OK);
    let v = json(&b);
    assert_eq!(v["jurisdiction"]["code"], "320585");
    assert_eq!(v["jurisdiction"]["name_en"], "Taicang");
    assert_eq!(v["alliances"][0]["id"], "yrd.tax");
    assert_eq!(v["public_key"].as_str().unwrap().len(), 64);
}

#[tokio::test]
async fn tokens_and_roles() {
    let (app, _) = app(0);
    // Reads: no token or an unknown one is 401.
    let (s, c, b) = call(&app, "GET", "/api/v1/node", None, vec![]).await;
    assert_problem(s, &c, &b, StatusCode::UNAUTHORIZED);
    let (s, c, b) = call(&app, "GET", "/api/v1/documents", Some("wrong"), vec![]).await;
    assert_problem(s, &c, &b, StatusCode::UNAUTHORIZED);
    // Writes: no token 401, viewer 403, admin passes.
    let bundle = br#"{"documents": []}"#.to_vec();
    let (s, c, b) = call(&app, "POST", "/api/v1/bundle", None, bundle.clone()).await;
    assert_problem(s, &c, &b, StatusCode::UNAUTHORIZED);
    let (s, c, b) = call(&app, "POST", "/api/v1/bundle", Some(VIEWER), bundle.clone()).await;
    let p = assert_problem(s, &c, &b, StatusCode::FORBIDDEN);
    assert!(p["detail"].as_str().unwrap().contains("viewer"));
    let (s, _, b) = call(&app, "POST", "/api/v1/bundle", Some(ADMIN), bundle).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    // The admin role includes reading.
    let (s, _, _) = call(&app, "GET", "/api/v1/evidence", Some(ADMIN), vec![]).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let limits = ApiLimits {
        bundle_bytes_max: 1024,
        ..ApiLimits::default()
    };
    let (app, node) = app_with(0, limits);
    let big = format!(r#"{{"documents": ["{}"]}}"#, "x".repeat(4096)).into_bytes();
    let (s, c, b) = call(&app, "POST", "/api/v1/bundle", Some(ADMIN), big).await;
    assert_problem(s, &c, &b, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(node.store().document_count(), 1, "nothing was written");
}

#[tokio::test]
async fn errors_are_problems() {
    let (app, _) = app(0);
    let cases: [(&str, String, &[u8], StatusCode); 8] = [
        (
            "GET",
            "/api/v1/nothing-here".into(),
            b"",
            StatusCode::NOT_FOUND,
        ),
        (
            "DELETE",
            "/api/v1/bundle".into(),
            b"",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            "GET",
            "/api/v1/documents?kind=weather".into(),
            b"",
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            "/api/v1/documents?issuer=12".into(),
            b"",
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            "/api/v1/documents/not-a-hash".into(),
            b"",
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            format!("/api/v1/documents/{}", "0".repeat(64)),
            b"",
            StatusCode::NOT_FOUND,
        ),
        (
            "POST",
            "/api/v1/bundle".into(),
            b"{not json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            "/api/v1/bundle".into(),
            br#"{"docs": []}"#,
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (method, uri, body, want) in cases {
        let (s, c, b) = call(&app, method, &uri, Some(ADMIN), body.to_vec()).await;
        let p = assert_problem(s, &c, &b, want);
        assert!(!p["detail"].as_str().unwrap().is_empty(), "{method} {uri}");
    }
    let (_, _, b) = call(
        &app,
        "GET",
        "/api/v1/documents?kind=weather",
        Some(VIEWER),
        vec![],
    )
    .await;
    assert!(json(&b)["detail"].as_str().unwrap().contains("weather"));
}

#[tokio::test]
async fn a_bundle_moves_between_members_and_tampering_is_reported() {
    let (kunshan, _) = app(1);
    let (taicang, taicang_node) = app(0);
    let (s, c, bundle) = call(&kunshan, "GET", "/api/v1/bundle", Some(VIEWER), vec![]).await;
    assert_eq!((s, c.as_str()), (StatusCode::OK, "application/json"));
    assert_eq!(json(&bundle)["documents"].as_array().unwrap().len(), 1);

    let (s, _, b) = call(
        &taicang,
        "POST",
        "/api/v1/bundle",
        Some(ADMIN),
        bundle.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        json(&b),
        serde_json::json!({"accepted": 1, "duplicates": 0, "pending": 0, "rejected": []})
    );
    let (_, _, b) = call(
        &taicang,
        "POST",
        "/api/v1/bundle",
        Some(ADMIN),
        bundle.clone(),
    )
    .await;
    assert_eq!(json(&b)["duplicates"], 1);

    let (_, _, b) = call(
        &taicang,
        "GET",
        "/api/v1/documents?kind=jurisdiction",
        Some(VIEWER),
        vec![],
    )
    .await;
    let docs = json(&b)["documents"].as_array().unwrap().clone();
    assert_eq!(docs.len(), 2);
    let kunshan_doc = docs.iter().find(|d| d["issuer"] == "320583").unwrap();
    assert_eq!(kunshan_doc["seq"], 1);
    assert_eq!(kunshan_doc["kind"], "jurisdiction");
    let uri = format!(
        "/api/v1/documents/{}",
        kunshan_doc["hash"].as_str().unwrap()
    );
    let (s, _, one) = call(&taicang, "GET", &uri, Some(VIEWER), vec![]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&one)["payload"]["name_en"], "Kunshan");

    // A tampered copy into a fresh node: rejected with its reason.
    let (jiading, _) = app(2);
    let tampered = String::from_utf8(bundle)
        .unwrap()
        .replace("Kunshan", "Kunshen");
    let (_, _, b) = call(
        &jiading,
        "POST",
        "/api/v1/bundle",
        Some(ADMIN),
        tampered.into_bytes(),
    )
    .await;
    let report = json(&b);
    assert_eq!(report["accepted"], 0);
    assert_eq!(report["rejected"][0]["index"], 0);
    assert_eq!(report["rejected"][0]["reason"], "bad_signature");
    let (_, _, b) = call(&jiading, "GET", "/api/v1/evidence", Some(VIEWER), vec![]).await;
    assert_eq!(json(&b)["rejected_by_reason"]["bad_signature"], 1);

    // No Accept header: the classic text format, counters typed by the
    // name their samples carry.
    let (_, ctype, b) = call(&taicang, "GET", "/metrics", None, vec![]).await;
    assert_eq!(ctype, "text/plain; version=0.0.4; charset=utf-8");
    let text = String::from_utf8(b).unwrap();
    assert!(
        text.contains("# TYPE deltabench_documents_accepted_total counter\ndeltabench_documents_accepted_total 2\n"),
        "{text}"
    );
    assert!(
        text.contains("deltabench_documents_rejected_total{reason=\"bad_signature\"} 0"),
        "{text}"
    );
    assert!(!text.contains("# EOF"), "{text}");
    // Asked for OpenMetrics, as Prometheus asks.
    let req = Request::builder()
        .uri("/metrics")
        .header(
            header::ACCEPT,
            "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
        )
        .body(Body::empty())
        .unwrap();
    let resp = taicang.clone().oneshot(req).await.unwrap();
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(text.to_vec()).unwrap();
    assert!(
        text.contains(
            "# TYPE deltabench_documents_accepted counter\ndeltabench_documents_accepted_total 2\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert_eq!(text.matches("# EOF").count(), 1, "{text}");
    assert_eq!(taicang_node.store().document_count(), 2);
}

#[tokio::test]
async fn listings_stream_whole_or_page_by_cursor() {
    use deltabench_model::documents::{Decision, Endorsement};
    let (taicang, node) = app(0);
    for i in 0..6u8 {
        node.publish(&Endorsement {
            crosswalk: "kunshan.satisfaction".parse().unwrap(),
            crosswalk_hash: deltabench_model::DocHash::from_bytes([i; 32]),
            decision: Decision::Accept,
            comment: Some(format!("endorsement {i}")),
        })
        .unwrap();
    }
    let held = node.store().document_count();
    assert!(held >= 7);
    let get = |uri: String| {
        let app = taicang.clone();
        async move {
            let (s, ctype, b) = call(&app, "GET", &uri, Some(VIEWER), vec![]).await;
            assert_eq!(s, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&b));
            assert_eq!(ctype, "application/json", "{uri}");
            json(&b)
        }
    };
    // Whole, streamed: every document, and no next page.
    let whole = get("/api/v1/bundle".into()).await;
    assert_eq!(whole["documents"].as_array().unwrap().len(), held);
    assert_eq!(whole["next"], serde_json::Value::Null);
    let listed = get("/api/v1/documents".into()).await;
    assert_eq!(listed["documents"].as_array().unwrap().len(), held);
    let endorsements = get("/api/v1/documents?kind=endorsement".into()).await;
    assert_eq!(endorsements["documents"].as_array().unwrap().len(), 6);
    // Page by page, following `next`: the same documents in the same order.
    for (path, expect) in [
        ("/api/v1/bundle?", &whole),
        ("/api/v1/documents?", &listed),
        ("/api/v1/documents?kind=endorsement&", &endorsements),
    ] {
        for limit in [1, 2, 5, 1000] {
            let mut joined = Vec::new();
            let mut uri = format!("{path}limit={limit}");
            loop {
                let page = get(uri.clone()).await;
                let docs = page["documents"].as_array().unwrap();
                assert!(docs.len() <= limit);
                joined.extend(docs.iter().cloned());
                match page["next"].as_str() {
                    Some(next) => uri = format!("{path}limit={limit}&after={next}"),
                    None => break,
                }
            }
            assert_eq!(
                &serde_json::Value::Array(joined),
                &expect["documents"],
                "{path} by {limit}"
            );
        }
    }
    // A page is a bundle another node takes.
    let (kunshan, other) = app(1);
    let page = call(
        &taicang,
        "GET",
        "/api/v1/bundle?limit=3",
        Some(VIEWER),
        vec![],
    )
    .await
    .2;
    let (s, _, b) = call(&kunshan, "POST", "/api/v1/bundle", Some(ADMIN), page).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(json(&b)["accepted"], 3);
    assert_eq!(other.store().document_count(), 1 + 3);
    // Out of form: a 400 that names the parameter.
    for (uri, says) in [
        ("/api/v1/bundle?limit=0", "limit"),
        ("/api/v1/bundle?limit=1001", "limit"),
        ("/api/v1/documents?limit=x", "limit"),
        ("/api/v1/documents?limit=5&after=320585", "after"),
        ("/api/v1/bundle?limit=5&after=abc:1", "after"),
        ("/api/v1/documents?after=1:1", "after"),
    ] {
        let (s, ctype, b) = call(&taicang, "GET", uri, Some(VIEWER), vec![]).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(ctype, "application/problem+json", "{uri}");
        let detail = json(&b)["detail"].as_str().unwrap().to_string();
        assert!(detail.starts_with(says), "{uri}: {detail}");
    }
    // `after` without `limit` streams the rest of the listing from there.
    for route in ["/api/v1/bundle", "/api/v1/documents"] {
        let (s, _, b) = call(&taicang, "GET", route, Some(VIEWER), vec![]).await;
        assert_eq!(s, StatusCode::OK);
        let whole = json(&b)["documents"].as_array().unwrap().clone();
        assert!(whole.len() >= 2, "{route}: {}", whole.len());
        let first = format!(
            "{}:{}",
            whole[0]["issuer"].as_str().unwrap(),
            whole[0]["seq"]
        );
        let uri = format!("{route}?after={first}");
        let (s, _, b) = call(&taicang, "GET", &uri, Some(VIEWER), vec![]).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        let rest = json(&b);
        assert_eq!(
            rest["documents"].as_array().unwrap()[..],
            whole[1..],
            "{uri}"
        );
        assert_eq!(rest["next"], Value::Null, "{uri}");
    }
}

#[tokio::test]
async fn writes_are_not_bounded_by_the_read_timeout() {
    // A write's work finishes on the blocking pool whatever the client is told,
    // so it must not be cut at the read limit: here zero.
    let limits = ApiLimits {
        request_timeout: std::time::Duration::ZERO,
        ..ApiLimits::default()
    };
    let (kunshan, _) = app(1);
    let (_, _, bundle) = call(&kunshan, "GET", "/api/v1/bundle", Some(VIEWER), vec![]).await;
    let (taicang, node) = app_with(0, limits);
    let (s, _, b) = call(&taicang, "POST", "/api/v1/bundle", Some(ADMIN), bundle).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(json(&b)["accepted"], 1);
    assert_eq!(node.store().document_count(), 2);
}

/// Every route CONTRACT.md names, as (method, path) in OpenAPI's spelling.
const CONTRACT_ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/node"),
    ("get", "/api/v1/peers"),
    ("get", "/api/v1/frameworks"),
    ("post", "/api/v1/frameworks"),
    ("get", "/api/v1/units"),
    ("post", "/api/v1/units"),
    ("get", "/api/v1/observations"),
    ("post", "/api/v1/observations"),
    ("get", "/api/v1/appraisals"),
    ("post", "/api/v1/summaries"),
    ("post", "/api/v1/whatif"),
    ("get", "/api/v1/forecasts"),
    ("get", "/api/v1/warnings"),
    ("post", "/api/v1/warnings/{id}/acknowledgement"),
    ("post", "/api/v1/debt"),
    ("get", "/api/v1/debt-risk"),
    ("post", "/api/v1/hotline/tickets"),
    ("get", "/api/v1/hotline/heatmap"),
    ("get", "/api/v1/hotline/departments"),
    ("post", "/api/v1/hotline/summaries"),
    ("get", "/api/v1/hotline/delta"),
    ("get", "/api/v1/hotline/tickets/{id}"),
    ("get", "/api/v1/hotline/months"),
    ("get", "/api/v1/documents"),
    ("get", "/api/v1/documents/{hash}"),
    ("get", "/api/v1/bundle"),
    ("post", "/api/v1/bundle"),
    ("get", "/api/v1/crosswalks"),
    ("post", "/api/v1/crosswalks"),
    ("post", "/api/v1/crosswalks/{id}/endorsements"),
    ("get", "/api/v1/comparisons"),
    ("post", "/api/v1/composites"),
    ("get", "/api/v1/evidence"),
];

/// Routes beyond CONTRACT.md's.
const EXTRA_ROUTES: &[(&str, &str)] = &[
    ("get", "/dashboard/{file}"),
    ("get", "/api/v1/frameworks/{id}"),
    ("get", "/api/v1/observations/audit"),
    ("get", "/api/v1/periods"),
    ("get", "/api/v1/rosters"),
    ("post", "/api/v1/forecast-commitments"),
    ("get", "/api/v1/forecast-skill"),
    ("post", "/api/v1/debt/summaries"),
    ("post", "/api/v1/rosters"),
    ("get", "/api/v1/sdmx/structure"),
    ("get", "/api/v1/sdmx/structure/{id}"),
    ("get", "/api/v1/projects"),
    ("post", "/api/v1/projects"),
    ("post", "/api/v1/projects/{id}/codes"),
    ("post", "/api/v1/public-ratings"),
    ("get", "/public/v1/projects"),
    ("post", "/public/v1/ratings"),
    ("get", "/public/"),
    ("get", "/public/assets/{file}"),
    ("get", "/public/v1/projects/{id}/comments"),
    ("get", "/api/v1/ratings"),
    ("post", "/api/v1/ratings/{id}/void"),
    ("post", "/api/v1/ratings/{id}/hide"),
    ("get", "/api/v1/tasks"),
    ("post", "/api/v1/tasks/{id}/response"),
    ("post", "/api/v1/tasks/{id}/callback"),
];

/// Whether the router answered from its own fallbacks, i.e. has no such
/// route or no such method on it.
fn unrouted(status: StatusCode, body: &[u8]) -> bool {
    let detail = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_owned))
        .unwrap_or_default();
    status == StatusCode::METHOD_NOT_ALLOWED
        || (status == StatusCode::NOT_FOUND && detail.starts_with("no route"))
}

#[tokio::test]
async fn the_openapi_document_matches_the_router() {
    let (app, _) = app(0);
    let (s, c, b) = call(&app, "GET", "/api/v1/openapi.json", None, vec![]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c, "application/json");
    let doc = json(&b);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in CONTRACT_ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} is in CONTRACT.md but not in the OpenAPI document"
        );
    }
    // The parameters a route cannot do without are marked required, the
    // period with its pattern; the listings' paging is stated.
    // A parameter, its schema read through a reference to the components.
    let param = |path: &str, name: &str| {
        let mut p = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has no {name}"))
            .clone();
        if let Some(r) = p["schema"]["$ref"].as_str() {
            let name = r.trim_start_matches("#/components/schemas/");
            p["schema"] = doc["components"]["schemas"][name].clone();
        }
        p
    };
    for (path, names) in [
        ("/api/v1/comparisons", ["indicator", "period"]),
        ("/api/v1/appraisals", ["framework", "period"]),
    ] {
        for name in names {
            assert_eq!(param(path, name)["required"], true, "{path} {name}");
        }
        let pattern = param(path, "period")["schema"]["pattern"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(pattern.contains("Q[1-4]"), "{path}: {pattern}");
    }
    for path in ["/api/v1/documents", "/api/v1/bundle"] {
        let limit = param(path, "limit");
        assert_eq!(limit["required"], false, "{path}");
        assert_eq!(limit["schema"]["maximum"], 1000, "{path}: {limit}");
        assert!(
            param(path, "after")["schema"]["pattern"].is_string(),
            "{path}"
        );
    }
    // Every operation in the document is a route the router serves, and the
    // document's security says truly which need a token.
    let mut operations = std::collections::BTreeSet::new();
    for (path, item) in paths {
        let concrete = path
            .replace("{hash}", &"0".repeat(64))
            .replace("{id}", "no.such.crosswalk")
            .replace("{file}", "dashboard.js");
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            operations.insert((method.clone(), path.clone()));
            let m = method.to_uppercase();
            let (s, _, b) = call(&app, &m, &concrete, Some(ADMIN), b"{}".to_vec()).await;
            assert!(
                !unrouted(s, &b),
                "{m} {path} is documented but not routed: {s}"
            );
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            let (s, _, b) = call(&app, &m, &concrete, None, b"{}".to_vec()).await;
            assert_eq!(
                s == StatusCode::UNAUTHORIZED,
                secured,
                "{m} {path}: documented security {secured} but answered {s}: {}",
                String::from_utf8_lossy(&b)
            );
            let codes = op["responses"].as_object().unwrap();
            if secured {
                assert!(
                    codes.contains_key("401"),
                    "{m} {path} does not document 401"
                );
            }
            // A route whose security lists the viewer scheme opens to a viewer
            // token; one that lists only admin refuses it with 403.
            let schemes: Vec<String> = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .flat_map(|o| o.keys().cloned())
                .collect();
            if secured {
                let viewer_ok = schemes.iter().any(|s| s == "viewer");
                let (s, _, b) = call(&app, &m, &concrete, Some(VIEWER), b"{}".to_vec()).await;
                assert_eq!(
                    s == StatusCode::FORBIDDEN,
                    !viewer_ok,
                    "{m} {path}: documented schemes {schemes:?} but a viewer got {s}: {}",
                    String::from_utf8_lossy(&b)
                );
                assert_eq!(codes.contains_key("403"), !viewer_ok, "{m} {path} and 403");
            }
        }
    }
    let known: std::collections::BTreeSet<(String, String)> = CONTRACT_ROUTES
        .iter()
        .chain(EXTRA_ROUTES)
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(operations, known, "the operations in the document");
    // A path the document lacks is not routed: the check above can fail.
    let (s, _, b) = call(&app, "GET", "/api/v1/nothing", Some(ADMIN), vec![]).await;
    assert!(unrouted(s, &b));
    let (s, _, b) = call(&app, "DELETE", "/api/v1/node", Some(ADMIN), vec![]).await;
    assert!(unrouted(s, &b));
}

#[tokio::test]
async fn metrics_show_api_latency_by_route_template() {
    let (app, _) = app(0);
    for _ in 0..3 {
        let (s, _, _) = call(&app, "GET", "/api/v1/node", Some(VIEWER), vec![]).await;
        assert_eq!(s, StatusCode::OK);
    }
    let hash = "ab".repeat(32);
    let uri = format!("/api/v1/documents/{hash}");
    let (s, _, _) = call(&app, "GET", &uri, Some(VIEWER), vec![]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, b) = call(&app, "GET", "/metrics", None, vec![]).await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(b).unwrap();
    let count = |labels: &str| -> Option<u64> {
        let prefix = format!("deltabench_api_request_duration_seconds_count{{{labels}}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .map(|v| v.trim().parse().unwrap())
    };
    assert_eq!(
        count(r#"method="GET",route="/api/v1/node",status="200""#),
        Some(3),
        "{text}"
    );
    // The template, not the raw path, so series stay bounded.
    assert_eq!(
        count(r#"method="GET",route="/api/v1/documents/{hash}",status="404""#),
        Some(1),
        "{text}"
    );
    assert!(!text.contains(&hash));
    // Nor can a client add series with made-up methods.
    for m in ["FOO1", "FOO2", "FOO3"] {
        call(&app, m, "/healthz", None, vec![]).await;
    }
    let (_, _, b) = call(&app, "GET", "/metrics", None, vec![]).await;
    let text = String::from_utf8(b).unwrap();
    assert!(!text.contains("FOO"), "{text}");
    assert_eq!(
        text.lines()
            .find_map(|l| l.strip_prefix(
                r#"deltabench_api_request_duration_seconds_count{method="other",route="/healthz",status="405"} "#
            ))
            .map(str::trim),
        Some("3"),
        "{text}"
    );
    // The node's own counters are still there, and the classic format has
    // no end marker (OpenMetrics ends once: the test above).
    assert!(text.contains("deltabench_documents_accepted_total"));
    assert_eq!(text.matches("# EOF").count(), 0);
}

#[tokio::test]
async fn the_dashboard_is_served_without_a_token_and_loads_nothing_from_elsewhere() {
    let (app, _) = app(0);
    let (s, c, b) = call(&app, "GET", "/", None, vec![]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(c.starts_with("text/html"), "{c}");
    let html = String::from_utf8(b).unwrap();
    for file in ["dashboard.js", "dashboard.css"] {
        assert!(
            html.contains(&format!("/dashboard/{file}")),
            "{file} not linked"
        );
        let (s, c, b) = call(&app, "GET", &format!("/dashboard/{file}"), None, vec![]).await;
        assert_eq!(s, StatusCode::OK, "{file}");
        assert!(c.starts_with("text/"), "{c}");
        // The SVG namespace is a name, not a place anything is loaded from.
        let text = String::from_utf8(b)
            .unwrap()
            .replace("http://www.w3.org/2000/svg", "");
        // Nothing is fetched from another host: closed networks have none.
        for scheme in ["http://", "https://", "//cdn", "@import url("] {
            assert!(!text.contains(scheme), "{file} refers to {scheme}");
        }
    }
    assert!(!html.contains("http://") && !html.contains("https://"));
    let (s, c, b) = call(&app, "GET", "/dashboard/../Cargo.toml", None, vec![]).await;
    assert!(
        s == StatusCode::NOT_FOUND,
        "{s} {c} {}",
        String::from_utf8_lossy(&b)
    );
    let (s, c, b) = call(&app, "GET", "/dashboard/secret.txt", None, vec![]).await;
    assert_problem(s, &c, &b, StatusCode::NOT_FOUND);
}

/// Whether a response is acceptable under abuse: never a 5xx, and every
/// error an RFC 9457 problem whose `status` is the response's.
fn check_abuse_answer(what: &str, status: StatusCode, ctype: &str, body: &[u8]) {
    assert!(
        !status.is_server_error(),
        "{what}: {status}: {}",
        String::from_utf8_lossy(body)
    );
    if status.is_client_error() {
        assert_eq!(
            ctype,
            "application/problem+json",
            "{what}: {status} is not problem+json: {}",
            String::from_utf8_lossy(body)
        );
        let p: Value = serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{what}: {e}: {}", String::from_utf8_lossy(body)));
        for field in ["type", "title", "status", "detail"] {
            assert!(p.get(field).is_some(), "{what}: no {field} in {p}");
        }
        assert_eq!(p["status"], status.as_u16(), "{what}: {p}");
    }
}

/// Every route in the OpenAPI document, swept with malformed and hostile
/// input: path traversal and junk in path parameters, junk queries, bodies
/// that are not JSON, of the wrong types, deeply nested or over the size
/// limit, and bad tokens. No answer may be a 5xx, and every error must be
/// problem+json; nothing may be stored by a refused write.
#[tokio::test]
async fn every_route_survives_malformed_and_hostile_input() {
    let limits = ApiLimits {
        body_bytes_max: 64 * 1024,
        bundle_bytes_max: 256 * 1024,
        ..ApiLimits::default()
    };
    let (app, node) = app_with(0, limits);
    let held = node.store().document_count();
    let (_, _, b) = call(&app, "GET", "/api/v1/openapi.json", None, vec![]).await;
    let doc = json(&b);

    let path_values = [
        "..",
        "../../../../etc/passwd",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2fCargo.toml",
        "%00",
        "%FF%FE",
        "%E4%BD%A0%F0%9F%98%80",
        "a%20b",
        "-1",
        &"x".repeat(4096),
    ];
    let junk_query = "?indicator=%FF&period=99999-Q9&format=xml&include_flagged=maybe\
                      &kind=..%2F&issuer=%00&status=%27%3B--&limit=-1&framework=&endorse=2\
                      &version=not.semver&unit=%2e%2e";
    let deep_array = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(20_000), "}".repeat(20_000));
    let huge = format!("[{}0]", "0,".repeat(200_000));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        (
            "truncated",
            br#"{"period": "2025", "indicators": ["#.to_vec(),
        ),
        ("not json", b"period=2025&indicator=x".to_vec()),
        (
            "invalid utf-8",
            vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'],
        ),
        ("null", b"null".to_vec()),
        ("a number", b"123".to_vec()),
        ("a string", br#""decision""#.to_vec()),
        ("an array", b"[1, 2, 3]".to_vec()),
        (
            "wrong types",
            br#"{"period": 2025, "indicators": "all", "decision": true, "framework": [],
                "version": {}, "documents": "x", "roster": 1, "id": null, "weight": "1",
                "units": {"a": 1}, "draws": -5, "seed": "0", "source": 7}"#
                .to_vec(),
        ),
        (
            "huge numbers",
            br#"{"period": "2025", "indicators": [{"indicator": "yrd.tax/x", "weight": 1e308}],
                "draws": 18446744073709551616, "seed": -1, "perturbation": 1e400}"#
                .to_vec(),
        ),
        ("deeply nested array", deep_array.into_bytes()),
        ("deeply nested object", deep_object.into_bytes()),
        ("over the size limit", huge.into_bytes()),
    ];
    let tokens: [(&str, Option<&str>); 4] = [
        ("admin", Some(ADMIN)),
        ("viewer", Some(VIEWER)),
        ("unknown", Some("not-a-token")),
        ("none", None),
    ];
    let bad_headers = [
        "Bearer",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer \tx",
        "bearer x y z",
    ];

    let mut requests = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete: Vec<String> = if path.contains('{') {
            path_values
                .iter()
                .map(|v| {
                    let start = path.find('{').unwrap();
                    let end = path.find('}').unwrap();
                    format!("{}{v}{}", &path[..start], &path[end + 1..])
                })
                .collect()
        } else {
            vec![path.clone(), format!("{path}{junk_query}")]
        };
        for method in item.as_object().unwrap().keys() {
            let m = method.to_uppercase();
            for uri in &concrete {
                for (who, token) in tokens {
                    let sent: &[(&str, Vec<u8>)] = if m == "POST" { &bodies } else { &bodies[..1] };
                    for (body_kind, body) in sent {
                        let what = format!("{m} {uri} ({who} token, {body_kind} body)");
                        let (s, c, b) = call(&app, &m, uri, token, body.clone()).await;
                        check_abuse_answer(&what, s, &c, &b);
                        requests += 1;
                    }
                }
                for header in bad_headers {
                    let req = Request::builder()
                        .method(m.as_str())
                        .uri(uri.as_str())
                        .header(header::AUTHORIZATION, header)
                        .body(Body::empty())
                        .unwrap();
                    let resp = app.clone().oneshot(req).await.unwrap();
                    let (s, c) = (
                        resp.status(),
                        resp.headers()
                            .get(header::CONTENT_TYPE)
                            .map(|v| v.to_str().unwrap().to_owned())
                            .unwrap_or_default(),
                    );
                    let b = resp.into_body().collect().await.unwrap().to_bytes();
                    check_abuse_answer(&format!("{m} {uri} (Authorization: {header})"), s, &c, &b);
                    requests += 1;
                }
            }
        }
    }
    assert!(requests > 1_500, "{requests} requests");
    eprintln!("abuse sweep: {requests} requests, none answered 5xx or other than problem+json");
    // Refused writes stored nothing.
    assert_eq!(
        node.store().document_count(),
        held,
        "documents stored by junk"
    );
    let (s, _, b) = call(&app, "GET", "/api/v1/units", Some(ADMIN), vec![]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&b)["units"], serde_json::json!([]));
}

/// Every JSON body an operation takes or answers has a real schema (a
/// reference to a component type, or properties), never a bare object,
/// and the document's references all resolve; the validated strings carry
/// their patterns.
#[tokio::test]
async fn every_body_in_the_openapi_document_has_a_schema() {
    let (app, _) = app(0);
    let (_, _, b) = call(&app, "GET", "/api/v1/openapi.json", None, vec![]).await;
    let doc = json(&b);
    let components = doc["components"]["schemas"].as_object().unwrap();
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path == "/api/v1/openapi.json" {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let mut schemas = vec![];
            if let Some(s) = op["requestBody"]["content"]["application/json"].get("schema") {
                schemas.push(("request", s.clone()));
            }
            for (code, resp) in op["responses"].as_object().unwrap() {
                for (ctype, content) in resp["content"].as_object().into_iter().flatten() {
                    if ctype.contains("json") {
                        schemas.push(("response", content["schema"].clone()));
                    }
                    let _ = code;
                }
            }
            for (what, s) in schemas {
                bodies += 1;
                let real = s.get("$ref").is_some()
                    || s.get("properties").is_some()
                    || s.get("oneOf").is_some()
                    || s["items"].get("$ref").is_some();
                assert!(real, "{method} {path}: a bare {what} schema {s}");
            }
        }
    }
    assert!(bodies > 50, "only {bodies} bodies");
    // Every reference points at a component.
    let text = doc.to_string();
    for piece in text.split("\"#/components/schemas/").skip(1) {
        let name = &piece[..piece.find('"').unwrap()];
        assert!(components.contains_key(name), "no component {name}");
    }
    for (name, pattern) in [
        ("DocHash", "^[0-9a-f]{64}$"),
        ("JurisdictionCode", "^[0-9]{6}$"),
        ("Period", "Q[1-4]"),
        ("IndicatorRef", "/"),
    ] {
        let p = components[name]["pattern"].as_str().unwrap_or_default();
        assert!(p.contains(pattern), "{name}: {p}");
    }
    // The units body is an array of units or an object holding one.
    let units = &doc["paths"]["/api/v1/units"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["$ref"];
    let units = components[units.as_str().unwrap().rsplit('/').next().unwrap()].to_string();
    assert!(
        units.contains("array") && units.contains("\"units\""),
        "{units}"
    );
}
