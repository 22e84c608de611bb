//! Crosswalks, endorsements, comparisons and composites through the API of
//! one node that is the only member of its alliance: roles, bad input named
//! by field, versions and supersession.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use deltabench_api::auth::{Role, TokenHash, Tokens, hash_token};
use deltabench_api::{ApiLimits, AppState, NodeInfo, router};
use deltabench_model::documents::{Member, Roster, SignedRoster};
use deltabench_model::{AllianceId, FrameworkId, JurisdictionCode, Timestamp};
use deltabench_node::{Clock, Identity, Node, Policy, SystemClock};
use deltabench_store::Store;
use deltabench_trust::NodeKey;
use deltabench_trust::roster::{RosterDoc, approve_roster};
use http_body_util::BodyExt;
use prometheus_client::registry::Registry;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

const ADMIN: &str = "admin-token";
const VIEWER: &str = "viewer-token";

fn samples(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../node-config/samples/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn app() -> axum::Router {
    let code = JurisdictionCode::new("320585").unwrap();
    let key = NodeKey::from_seed([1; 32]);
    let roster = Roster {
        alliance: AllianceId::new("yrd.tax").unwrap(),
        version: 1,
        members: vec![Member {
            code: code.clone(),
            key: key.public_hex(),
            name_zh: "太仓市".into(),
            name_en: "Taicang".into(),
        }],
        threshold: 1,
        expires_at: Timestamp::from_unix(SystemClock.now().unix() + 86_400 * 365).unwrap(),
        reference_framework: Some(FrameworkId::new("yrd.tax").unwrap()),
        recognition_quorum: None,
        former: vec![],
        previous: None,
    };
    let anchor = SignedRoster {
        approvals: vec![approve_roster(&key, code.clone(), &roster).unwrap()],
        roster,
    };
    let node = Node::open(
        Identity {
            code,
            name_zh: "太仓市".into(),
            name_en: "Taicang".into(),
        },
        key,
        Store::open_temporary().unwrap(),
        vec![RosterDoc::from_signed(&anchor).unwrap()],
        Policy::default(),
        Arc::new(SystemClock),
    )
    .unwrap();
    node.declare().unwrap();
    let tokens = vec![
        TokenHash {
            role: Role::Admin,
            sha256: hash_token(ADMIN),
            name: None,
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
    token: Option<&str>,
    body: String,
) -> (StatusCode, Value, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text,
    )
}

async fn admin(app: &axum::Router, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    let (s, v, _) = call(app, method, uri, Some(ADMIN), body.to_string()).await;
    (s, v)
}

/// Loads Taicang's framework and the alliance's reference framework.
async fn loaded() -> axum::Router {
    let app = app();
    for file in ["taicang/framework.json", "yrd.tax/framework.json"] {
        let (s, _, text) = call(
            &app,
            "POST",
            "/api/v1/frameworks",
            Some(ADMIN),
            samples(file),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{file}: {text}");
    }
    app
}

fn ontime() -> Value {
    serde_json::from_str(&samples("yrd.tax/crosswalks/taicang.ontime.json")).unwrap()
}

#[tokio::test]
async fn proposing_checks_roles_and_names_bad_fields() {
    let app = loaded().await;
    let body = ontime().to_string();
    let (s, _, _) = call(&app, "POST", "/api/v1/crosswalks", None, body.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = call(&app, "POST", "/api/v1/crosswalks", Some(VIEWER), body).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/source/framework",
            json!("kunshan.perf"),
            "source.framework",
        ),
        ("/source/indicator", json!("no_such"), "source.indicator"),
        ("/source/versions", json!("^2"), "source.versions"),
        ("/target", json!("yrd.tax/no_such"), "target.indicator"),
        (
            "/transform",
            json!([{"op": "unit", "from": "ratio", "to": "furlongs"}]),
            "transform[0].to",
        ),
        (
            "/transform",
            json!([{"op": "unit", "from": "ratio", "to": "days"}]),
            "transform[0].to",
        ),
        (
            "/transform",
            json!([{"op": "linear", "scale": 0, "offset": 1}]),
            "transform[0].scale",
        ),
        ("/confidence", json!(1.5), "confidence"),
        ("/justification", json!("  "), "justification"),
    ];
    for (pointer, value, field) in cases {
        let mut c = ontime();
        *c.pointer_mut(pointer).unwrap() = value.clone();
        let (s, v) = admin(&app, "POST", "/api/v1/crosswalks", c).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{pointer} = {value}: {v}");
        assert_eq!(v["field"], field, "{pointer} = {value}: {v}");
    }
    let (s, v) = admin(&app, "POST", "/api/v1/crosswalks", json!({"id": "x"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    // Nothing was published by the refusals.
    let (_, list, _) = call(
        &app,
        "GET",
        "/api/v1/crosswalks",
        Some(VIEWER),
        String::new(),
    )
    .await;
    assert_eq!(list["crosswalks"], json!([]));
}

#[tokio::test]
async fn versions_endorsements_and_status() {
    let app = loaded().await;
    let (s, v) = admin(&app, "POST", "/api/v1/crosswalks", ontime()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["document"]["payload"]["version"], 1);
    let first = v["hash"].clone();
    assert!(v["endorsement"].is_string(), "the proposer accepts: {v}");
    // The only member owns both sides; its acceptance recognises it.
    let (_, list, _) = call(
        &app,
        "GET",
        "/api/v1/crosswalks?status=recognised",
        Some(VIEWER),
        String::new(),
    )
    .await;
    assert_eq!(list["crosswalks"][0]["hash"], first);
    assert_eq!(
        list["crosswalks"][0]["endorsements"][0]["decision"],
        "accept"
    );

    // A second proposal of the same id is the next version, unendorsed.
    let (s, v) = admin(&app, "POST", "/api/v1/crosswalks?endorse=false", ontime()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["document"]["payload"]["version"], 2);
    assert!(v["endorsement"].is_null());
    let mut old = ontime();
    old["version"] = json!(2);
    let (s, v) = admin(&app, "POST", "/api/v1/crosswalks", old).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (_, list, _) = call(
        &app,
        "GET",
        "/api/v1/crosswalks?status=superseded",
        Some(VIEWER),
        String::new(),
    )
    .await;
    assert_eq!(list["crosswalks"][0]["hash"], first);
    let (_, list, _) = call(
        &app,
        "GET",
        "/api/v1/crosswalks?status=pending",
        Some(VIEWER),
        String::new(),
    )
    .await;
    assert_eq!(list["crosswalks"][0]["crosswalk"]["version"], 2);

    // Endorsing: the current version only; bad decisions and ids are named.
    let uri = "/api/v1/crosswalks/taicang.ontime/endorsements";
    let (s, v) = admin(
        &app,
        "POST",
        uri,
        json!({"decision": "accept", "version": 1}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = admin(&app, "POST", uri, json!({"decision": "maybe"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = admin(
        &app,
        "POST",
        "/api/v1/crosswalks/no.such/endorsements",
        json!({"decision": "accept"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, _, _) = call(
        &app,
        "POST",
        uri,
        Some(VIEWER),
        json!({"decision": "accept"}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = admin(
        &app,
        "POST",
        uri,
        json!({"decision": "accept", "comment": "checked"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["crosswalk"]["status"], "recognised");
    let (s, v) = admin(&app, "POST", uri, json!({"decision": "reject"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["crosswalk"]["status"], "rejected");
    let (s, v, _) = call(
        &app,
        "GET",
        "/api/v1/crosswalks?status=sideways",
        Some(VIEWER),
        String::new(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["field"], "status");
}

#[tokio::test]
async fn comparison_and_composite_requests_are_checked() {
    let app = loaded().await;
    let get = |uri: &'static str| {
        let app = app.clone();
        async move { call(&app, "GET", uri, Some(VIEWER), String::new()).await }
    };
    let (s, v, _) = get("/api/v1/comparisons?period=2025").await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("indicator"))
    );
    let (s, v, _) = get("/api/v1/comparisons?indicator=yrd.tax&period=2025").await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("indicator"))
    );
    let (s, v, _) =
        get("/api/v1/comparisons?indicator=yrd.tax/ontime_filing_rate&period=2025-Q5").await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("period"))
    );
    let (s, v, _) =
        get("/api/v1/comparisons?indicator=yrd.tax/ontime_filing_rate&period=2025&format=xml")
            .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("format"))
    );
    let (s, _, _) = get("/api/v1/comparisons?indicator=yrd.tax/no_such&period=2025").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // No summaries yet: no rows, and the member is listed with the reason.
    let (s, v, _) =
        get("/api/v1/comparisons?indicator=yrd.tax/ontime_filing_rate&period=2025").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["rows"], json!([]));
    assert_eq!(v["missing"][0]["jurisdiction"], "320585");
    assert_eq!(v["missing"][0]["reason"], "no summary for 2025");
    let (s, _, text) =
        get("/api/v1/comparisons?indicator=yrd.tax/ontime_filing_rate&period=2025&format=sdmx-csv")
            .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        text.starts_with(
            "STRUCTURE[;],STRUCTURE_ID,ACTION,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE"
        ),
        "{text}"
    );

    let composite = |body: Value| {
        let app = app.clone();
        async move {
            call(
                &app,
                "POST",
                "/api/v1/composites",
                Some(VIEWER),
                body.to_string(),
            )
            .await
        }
    };
    let (s, v, _) = composite(json!({"period": "2025", "indicators": []})).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("indicators"))
    );
    let (s, v, _) = composite(json!({"period": "2025", "perturbation": 1.5,
        "indicators": [{"indicator": "yrd.tax/ontime_filing_rate", "weight": 1}]}))
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("perturbation"))
    );
    let (s, v, _) = composite(
        json!({"period": "2025", "normalisation": "z_score", "aggregation": "geometric",
        "indicators": [{"indicator": "yrd.tax/ontime_filing_rate", "weight": 1}]}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("geometric"), "{v}");
}

/// A comparison's ETag is the BLAKE3 hash of its bytes: a client holding it
/// gets 304 with no body until a document changes the answer.
#[tokio::test]
async fn a_comparison_is_revalidated_by_the_digest_of_its_bytes() {
    let app = loaded().await;
    let uri = "/api/v1/comparisons?indicator=yrd.tax/ontime_filing_rate&period=2025";
    let get = |tag: Option<String>| {
        let app = app.clone();
        async move {
            let mut req = Request::builder()
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {VIEWER}"));
            if let Some(t) = tag {
                req = req.header(header::IF_NONE_MATCH, t);
            }
            let resp = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
            let status = resp.status();
            let etag = resp
                .headers()
                .get(header::ETAG)
                .map(|v| v.to_str().unwrap().to_string());
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (status, etag, bytes)
        }
    };
    let (s, etag, body) = get(None).await;
    assert_eq!(s, StatusCode::OK);
    let etag = etag.expect("an ETag");
    assert_eq!(etag, format!("\"{}\"", blake3::hash(&body).to_hex()));
    let (s, again, body) = get(Some(etag.clone())).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert_eq!(again.as_deref(), Some(etag.as_str()));
    assert!(body.is_empty());
    let (s, _, _) = get(Some("\"something else\"".into())).await;
    assert_eq!(s, StatusCode::OK);
    // Taicang publishes a 2025 summary: the answer changes, so does its tag.
    let (s, v) = admin(
        &app,
        "POST",
        "/api/v1/summaries",
        json!({"framework": "taicang.hqd", "period": "2025"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _, body) = get(Some(etag.clone())).await;
    assert_eq!(s, StatusCode::OK, "a summary of the period arrived");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_ne!(v["missing"][0]["reason"], "no summary for 2025", "{v}");
}

/// A code's id and its names, each with its language.
type Code = (String, Vec<(String, String)>);

/// The codes of each codelist in an SDMX-ML structure message, by codelist
/// id, with each code's names by language.
fn codelists(xml: &str) -> std::collections::BTreeMap<String, Vec<Code>> {
    use quick_xml::events::Event;
    let attr = |e: &quick_xml::events::BytesStart, name: &str| {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
    };
    let mut out = std::collections::BTreeMap::new();
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut list, mut code, mut lang) = (None::<String>, false, None::<String>);
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == "str:Codelist" => {
                let id = attr(&e, "id").unwrap();
                out.insert(id.clone(), Vec::new());
                list = Some(id);
            }
            Event::Start(e) if e.name().as_ref() == "str:Code" => {
                let list = list.as_ref().expect("a code inside a codelist");
                out.get_mut(list)
                    .unwrap()
                    .push((attr(&e, "id").unwrap(), Vec::new()));
                code = true;
            }
            Event::End(e) if e.name().as_ref() == "str:Code" => code = false,
            Event::Start(e) if code && e.name().as_ref() == "com:Name" => {
                lang = attr(&e, "xml:lang");
            }
            Event::Text(t) if code && lang.is_some() => {
                let codes = out.get_mut(list.as_ref().unwrap()).unwrap();
                // The names checked here have no entity references.
                let name = t.xml10_content().into_owned();
                codes
                    .last_mut()
                    .unwrap()
                    .1
                    .push((lang.take().unwrap(), name));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// The SDMX structures list the members and indicators, and every
/// dimension value and flag of a comparison's SDMX-CSV is a code of them.
#[tokio::test]
async fn sdmx_structures_cover_the_comparison_data() {
    let app = loaded().await;
    let get = |uri: &'static str, token: Option<&'static str>| {
        let app = app.clone();
        async move {
            let mut req = Request::builder().uri(uri);
            if let Some(t) = token {
                req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            let resp = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
            let status = resp.status();
            let ctype = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (status, ctype, String::from_utf8(bytes.to_vec()).unwrap())
        }
    };
    // Taicang's data, its 2025 summary and its crosswalk onto the reference.
    let (s, _, text) = call(
        &app,
        "POST",
        "/api/v1/units",
        Some(ADMIN),
        samples("taicang/units.json"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/observations")
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"))
        .body(Body::from(samples("taicang/observations-2025.csv")))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let (s, v) = admin(
        &app,
        "POST",
        "/api/v1/summaries",
        json!({"framework": "taicang.hqd", "period": "2025"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = admin(&app, "POST", "/api/v1/crosswalks", ontime()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    let (s, _, _) = get("/api/v1/sdmx/structure", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, ctype, xml) = get("/api/v1/sdmx/structure", Some(VIEWER)).await;
    assert_eq!(s, StatusCode::OK, "{xml}");
    assert!(
        ctype.starts_with("application/vnd.sdmx.structure+xml; version=3.0.0"),
        "{ctype}"
    );
    for id in ["DF_COMPARISON", "DSD_COMPARISON", "CS_COMPARISON"] {
        assert!(xml.contains(&format!("id=\"{id}\"")), "{id}: {xml}");
    }
    let lists = codelists(&xml);
    let areas = &lists["CL_REF_AREA"];
    assert_eq!(
        areas[0],
        (
            "320585".to_string(),
            vec![
                ("zh".to_string(), "太仓市".to_string()),
                ("en".to_string(), "Taicang".to_string())
            ]
        ),
        "{areas:?}"
    );
    let indicators: Vec<&str> = lists["CL_INDICATOR"].iter().map(|c| c.0.as_str()).collect();
    for code in [
        "yrd$tax@ontime_filing_rate",
        "yrd$tax@service_satisfaction",
        "yrd$tax@avg_processing_days",
        "taicang$hqd@tax_ontime",
    ] {
        assert!(indicators.contains(&code), "{code} in {indicators:?}");
    }
    let flags: Vec<&str> = lists["CL_ROW_FLAG"].iter().map(|c| c.0.as_str()).collect();

    let (s, _, csv) = get(
        "/api/v1/comparisons?indicator=yrd.tax/ontime_filing_rate&period=2025&format=sdmx-csv&include_flagged=true",
        Some(VIEWER),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{csv}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[0], "STRUCTURE[;]");
    assert_eq!(header.last().unwrap(), "FLAGS[]");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty(), "{csv}");
    let area_codes: Vec<&str> = areas.iter().map(|c| c.0.as_str()).collect();
    for row in &rows {
        assert_eq!(&row[1], "DELTABENCH:DF_COMPARISON(1.0.0)");
        assert!(
            area_codes.contains(&&row[3]),
            "{:?} not in {area_codes:?}",
            &row[3]
        );
        assert!(
            indicators.contains(&&row[4]),
            "{:?} not in {indicators:?}",
            &row[4]
        );
        for flag in row[row.len() - 1].split(';').filter(|f| !f.is_empty()) {
            assert!(flags.contains(&flag), "{flag} not in {flags:?}");
        }
    }

    // One structure by its id; an unknown id is a 404 problem.
    let (s, _, one) = get("/api/v1/sdmx/structure/CL_ROW_FLAG", Some(VIEWER)).await;
    assert_eq!(s, StatusCode::OK, "{one}");
    assert_eq!(codelists(&one).keys().collect::<Vec<_>>(), ["CL_ROW_FLAG"]);
    assert!(!one.contains("DataStructure"), "{one}");
    let (s, ctype, body) = get("/api/v1/sdmx/structure/CL_NOTHING", Some(VIEWER)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert!(ctype.starts_with("application/problem+json"), "{ctype}");

    // The OpenAPI document lists both routes.
    let (_, _, doc) = get("/api/v1/openapi.json", None).await;
    let doc: Value = serde_json::from_str(&doc).unwrap();
    for path in ["/api/v1/sdmx/structure", "/api/v1/sdmx/structure/{id}"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
}
