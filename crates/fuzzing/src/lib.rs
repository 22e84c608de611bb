//! The input checks that face other offices and the network, as functions
//! that take arbitrary bytes: each must refuse bad input with an error and
//! never panic, and what it accepts must satisfy the invariants asserted
//! here. A panic is a finding.
//!
//! The cargo-fuzz targets in `fuzz/` call these functions; the test suite
//! runs them on [`seeds`], on the saved regressions in `regressions/`, and on
//! random inputs, so a target cannot rot between fuzzing campaigns.
//!
//! | target | what it drives |
//! |---|---|
//! | `document` | [`Document::decode`]: size, JSON, shape, strict signature, schema |
//! | `bundle` | [`parse_bundle`] then [`Node::ingest_bundle`] on a fresh node: membership, chains, equivocation, pending documents |
//! | `roster` | a signed roster as JSON: content, expiry, approvals, succession |
//! | `csv_import` | [`rows_from_csv`] then the row checks of an observation import |
//! | `comparison_query` | `GET /api/v1/comparisons?QUERY` through the router of a node holding two members' data |

mod fixture;

pub use fixture::{Fixture, fixture, fresh_jiading};

use axum::body::Body;
use axum::http::{Request, StatusCode, Uri, header};
use deltabench_api::local_routes::rows_from_csv;
use deltabench_api::parse_bundle;
use deltabench_node::local::{ROW_ERRORS_MAX, StoredTargets, check_rows};
use deltabench_node::{Clock, SystemClock};
use deltabench_trust::canonical::parse_strict;
use deltabench_trust::roster::{RosterDoc, check_anchor, check_link};
use deltabench_trust::{Document, Limits, Membership};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The fuzz targets, by name.
pub const TARGETS: [&str; 5] = [
    "document",
    "bundle",
    "roster",
    "csv_import",
    "comparison_query",
];

/// Runs the target named `name` on `data`. Panics on an unknown name.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "document" => document(data),
        "bundle" => bundle(data),
        "roster" => roster(data),
        "csv_import" => csv_import(data),
        "comparison_query" => comparison_query(data),
        other => panic!("no fuzz target {other:?}"),
    }
}

/// Decodes an envelope as received. An accepted document's canonical bytes
/// decode again to the same document (hash and bytes).
pub fn document(data: &[u8]) {
    let limits = Limits::default();
    if let Ok(doc) = Document::decode(data, &limits) {
        let again = Document::decode(doc.bytes(), &limits)
            .expect("the canonical bytes of an accepted document decode");
        assert_eq!(again.hash(), doc.hash(), "re-decoding changed the hash");
        assert_eq!(again.bytes(), doc.bytes(), "re-decoding changed the bytes");
    }
}

/// The most envelopes one bundle input may hold, to keep executions fast.
const BUNDLE_DOCUMENTS_MAX: usize = 64;

/// Imports a bundle into a fresh node of the alliance. The first byte picks
/// the mode: even, the rest is the request body as sent; odd, the rest
/// assembles a bundle from the fixture's signed documents (see
/// [`assemble_bundle`]), so that valid signatures reach the chain and
/// membership checks.
///
/// Every document is counted once (accepted, duplicate, pending or
/// rejected), the store grows by exactly the accepted ones, and importing
/// the same bundle again accepts nothing.
pub fn bundle(data: &[u8]) {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let assembled;
    let body = if mode % 2 == 1 {
        assembled = assemble_bundle(&fixture().pool, rest);
        &assembled[..]
    } else {
        rest
    };
    let Ok(envelopes) = parse_bundle(body) else {
        return;
    };
    if envelopes.len() > BUNDLE_DOCUMENTS_MAX {
        return;
    }
    let node = fixture::fresh_jiading();
    let store = node.store();
    let before = store.document_count();
    let report = node
        .ingest_bundle(&envelopes, "fuzz")
        .expect("a temporary store does not fail");
    assert_eq!(
        report.accepted + report.duplicates + report.pending + report.rejected.len(),
        envelopes.len(),
        "every document is counted once: {report:?}"
    );
    for r in &report.rejected {
        assert!(r.index < envelopes.len(), "rejection index out of range");
        assert!(!r.detail.is_empty(), "a rejection without a detail");
    }
    assert_eq!(
        store.document_count(),
        before + report.accepted,
        "the store grew by other than the accepted documents"
    );
    let again = node
        .ingest_bundle(&envelopes, "fuzz")
        .expect("a temporary store does not fail");
    assert_eq!(again.accepted, 0, "a second import accepted documents");
    assert_eq!(store.document_count(), before + report.accepted);
}

/// Builds a bundle body from signed documents: each byte picks one
/// (`byte & 0x3f`, modulo their number); when `byte & 0x40` is set, the next
/// byte changes one letter or digit of that copy, so that its signature or a
/// field no longer matches.
pub fn assemble_bundle(pool: &[Vec<u8>], choices: &[u8]) -> Vec<u8> {
    let mut out = b"{\"documents\":[".to_vec();
    let mut bytes = choices.iter();
    let mut first = true;
    while let Some(&b) = bytes.next() {
        if pool.is_empty() {
            break;
        }
        let mut doc = pool[usize::from(b & 0x3f) % pool.len()].clone();
        if b & 0x40 != 0 {
            let at = usize::from(*bytes.next().unwrap_or(&0));
            let alnum: Vec<usize> = doc
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_ascii_alphanumeric())
                .map(|(i, _)| i)
                .collect();
            if let Some(&i) = alnum.get(at * alnum.len() / 256) {
                doc[i] = match doc[i] {
                    b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => doc[i] + 1,
                    b'9' => b'0',
                    b'z' => b'a',
                    _ => b'A',
                };
            }
        }
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(&doc);
    }
    out.extend_from_slice(b"]}");
    out
}

/// Checks a signed roster as JSON: as a trust anchor, as the successor of
/// the alliance's roster in force, and placed in a membership anchored at
/// that roster. A roster reads the same through the strict parser and the
/// roster types; an accepted anchor has valid content; a valid successor is
/// exactly the next version; placing never panics, and what it places it
/// can apply.
pub fn roster(data: &[u8]) {
    let f = fixture();
    let Ok(raw) = parse_strict(data) else {
        return;
    };
    let Ok(doc) = RosterDoc::from_payload(raw) else {
        return;
    };
    let signed = doc.signed();
    assert!(
        signed.roster.validate().is_ok(),
        "a roster document with bad content"
    );
    let now = SystemClock.now();
    if check_anchor(&doc, Some(now)).is_ok() {
        assert!(signed.roster.expires_at > now, "an expired anchor");
    }
    let current = RosterDoc::from_payload(
        serde_json::to_value(&f.roster).expect("the fixture's roster serializes"),
    )
    .expect("the fixture's roster is valid");
    match check_link(&current, &doc) {
        Ok(()) => {
            assert_eq!(signed.roster.version, f.roster.roster.version + 1);
            assert_eq!(signed.roster.alliance, f.roster.roster.alliance);
        }
        Err(r) => assert!(!r.detail.is_empty(), "a refusal without a detail"),
    }
    let member = &f.roster.roster.members[0];
    let mut membership = Membership::new(member.code.clone(), member.key.clone());
    membership
        .anchor(current, None)
        .expect("the fixture's roster anchors");
    let hash = deltabench_model::DocHash::from_bytes([0; 32]);
    if let Ok(placement) = membership.place_roster(&member.code, &member.key, 2, &hash, &doc, now) {
        membership.apply(doc, &placement);
    }
}

/// Reads an observation CSV and checks its rows against Taicang's framework
/// and units. Rows are numbered from 1 in order; an accepted import yields
/// one observation per row; a refused one names existing rows, each with a
/// reason, and at most [`ROW_ERRORS_MAX`] of them.
pub fn csv_import(data: &[u8]) {
    let f = fixture();
    let rows = match rows_from_csv(data) {
        Ok(rows) => rows,
        Err(e) => {
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{}", e.detail);
            assert!(!e.detail.is_empty(), "a refusal without a detail");
            return;
        }
    };
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.row, i + 1, "rows are numbered in order");
    }
    match check_rows(&rows, &f.units, &f.frameworks, &StoredTargets::new()) {
        Ok(observations) => assert_eq!(observations.len(), rows.len()),
        Err(errors) => {
            assert!(!errors.is_empty() && errors.len() <= ROW_ERRORS_MAX);
            for e in &errors {
                assert!(
                    (1..=rows.len()).contains(&e.row),
                    "row {} is not a row",
                    e.row
                );
                assert!(!e.reason.is_empty(), "a row error without a reason");
            }
        }
    }
}

/// Asks Taicang's router for `/api/v1/comparisons?QUERY` with a viewer
/// token. Never a 5xx; a 4xx is problem+json with its own status; a 200 is a
/// comparison in the format asked for.
pub fn comparison_query(data: &[u8]) {
    let f = fixture();
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(uri) = format!("/api/v1/comparisons?{query}").parse::<Uri>() else {
        return;
    };
    let (status, ctype, body) = f.rt.block_on(async {
        let req = Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", fixture::VIEWER))
            .body(Body::empty())
            .expect("a request from a parsed URI");
        let resp = f
            .taicang
            .clone()
            .oneshot(req)
            .await
            .expect("the router is infallible");
        let status = resp.status();
        let ctype = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("an in-memory body")
            .to_bytes();
        (status, ctype, body)
    });
    assert!(!status.is_server_error(), "{status} for {query:?}");
    if status.is_client_error() {
        assert!(
            ctype.starts_with("application/problem+json"),
            "{status} as {ctype:?} for {query:?}"
        );
        let problem: Value = serde_json::from_slice(&body).expect("a problem is JSON");
        assert_eq!(problem["status"], status.as_u16());
        return;
    }
    assert_eq!(status, StatusCode::OK, "{query:?}");
    if ctype.starts_with("application/json") {
        let v: Value = serde_json::from_slice(&body).expect("a comparison is JSON");
        assert!(v["rows"].is_array(), "a comparison without rows");
    } else {
        assert!(
            ctype.starts_with("text/csv") || ctype.starts_with("application/vnd.sdmx.data+csv"),
            "{ctype:?}"
        );
        let text = std::str::from_utf8(&body).expect("CSV is UTF-8");
        assert!(text.lines().next().is_some_and(|h| h.contains(',')));
    }
}

/// Inputs to start fuzzing `target` from: valid ones, so that mutations reach
/// past the first check.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let f = fixture();
    match target {
        "document" => f.pool.clone(),
        "bundle" => {
            let all: Vec<u8> = (0..f.pool.len() as u8).collect();
            let mut reversed = all.clone();
            reversed.reverse();
            let mut raw = vec![0];
            raw.extend(assemble_bundle(&f.pool, &all));
            vec![
                raw,
                [&[1u8][..], &all].concat(),
                [&[1u8][..], &reversed].concat(),
                vec![1, 0x45, 17, 3, 3, 0x47, 200],
            ]
        }
        "roster" => [&f.roster, &f.next_roster]
            .iter()
            .map(|r| serde_json::to_vec_pretty(r).expect("a roster serializes"))
            .collect(),
        "csv_import" => fixture::TAICANG_CSV
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect(),
        "comparison_query" => [
            "indicator=yrd.tax/ontime_filing_rate&period=2025",
            "indicator=yrd.tax/service_satisfaction&period=2024&format=csv",
            "indicator=yrd.tax/avg_processing_days&period=2025&format=sdmx-csv&include_flagged=true",
            "indicator=taicang.hqd/tax_ontime&period=2025",
            "indicator=yrd.tax/nothing&period=2025",
            "period=2025",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect(),
        other => panic!("no fuzz target {other:?}"),
    }
}
