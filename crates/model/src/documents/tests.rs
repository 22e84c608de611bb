use super::*;
use serde_json::json;

fn key(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn check<P: Payload>(v: serde_json::Value) -> Result<P, String> {
    let p: P = serde_json::from_value(v).map_err(|e| format!("decode: {e}"))?;
    p.validate().map_err(|e| e.to_string())?;
    Ok(p)
}

fn framework() -> serde_json::Value {
    json!({
        "id": "taicang.hqd", "version": "1.1.0", "owner": {"jurisdiction": "320585"},
        "name_zh": "太仓市高质量发展绩效评价", "name_en": "Taicang HQD appraisal",
        "periods": ["2024", "2025"],
        "indicators": [
            {"code": "revenue", "name_zh": "一般公共预算收入", "name_en": "Budget revenue",
             "dimension": "economic", "unit": "10k_yuan", "direction": "higher_is_better",
             "aggregation": {"rule": "sum"}},
            {"code": "satisfaction", "name_zh": "政务服务满意度", "name_en": "Service satisfaction",
             "dimension": "livelihood", "unit": "score_0_100", "direction": "higher_is_better",
             "aggregation": {"rule": "weighted_mean", "weight": "revenue"},
             "range": {"min": 0, "max": 100}}
        ],
        "categories": [{"id": "agency", "name_zh": "市级机关", "name_en": "Agencies",
                        "weights": [{"indicator": "revenue", "weight": 40},
                                    {"indicator": "satisfaction", "weight": 60}]}],
        "previous": "1.0.0",
        "changelog": [{"kind": "reweighted", "indicator": "revenue", "note": "2025 plan"}]
    })
}

#[test]
fn framework_checks() {
    assert!(check::<Framework>(framework()).is_ok());
    let mut f = framework();
    f["categories"][0]["weights"][0]["weight"] = json!(39.5);
    let err = check::<Framework>(f).unwrap_err();
    assert!(
        err.starts_with("categories[0].weights: sum to 99.5%"),
        "{err}"
    );

    let mut f = framework();
    f["indicators"][1]["aggregation"]["weight"] = json!("nope");
    let err = check::<Framework>(f).unwrap_err();
    assert!(err.starts_with("indicators[1].aggregation.weight"), "{err}");

    let mut f = framework();
    f["indicators"][1]["code"] = json!("revenue");
    assert!(
        check::<Framework>(f)
            .unwrap_err()
            .starts_with("indicators[1].code")
    );

    let mut f = framework();
    f["indicators"][1]["range"] = json!({"min": 100, "max": 0});
    assert!(
        check::<Framework>(f)
            .unwrap_err()
            .starts_with("indicators[1].range")
    );

    let mut f = framework();
    f["previous"] = json!("1.1.0");
    assert!(check::<Framework>(f).unwrap_err().starts_with("previous"));

    let mut f = framework();
    f["indicators"][0]["direction"] = json!("closest_to_target");
    assert!(
        check::<Framework>(f)
            .unwrap_err()
            .starts_with("indicators[0].target")
    );

    let mut f = framework();
    f["categories"][0]["weights"][1]["indicator"] = json!("missing");
    assert!(
        check::<Framework>(f)
            .unwrap_err()
            .starts_with("categories[0].weights[1].indicator")
    );
}

#[test]
fn unknown_fields_are_ignored_for_newer_minor_versions() {
    let mut f = framework();
    f["added_in_1_1"] = json!({"anything": true});
    assert!(check::<Framework>(f).is_ok());
}

fn roster() -> serde_json::Value {
    json!({
        "roster": {
            "alliance": "yrd.tax", "version": 1, "threshold": 2,
            "expires_at": "2030-01-01T00:00:00Z",
            "members": [
                {"code": "320585", "key": key(1), "name_zh": "太仓市", "name_en": "Taicang"},
                {"code": "320583", "key": key(2), "name_zh": "昆山市", "name_en": "Kunshan"},
                {"code": "310114", "key": key(3), "name_zh": "嘉定区", "name_en": "Jiading"}
            ]
        },
        "approvals": [{"signer": "320585", "key": key(1), "signature": "ab".repeat(64)}]
    })
}

#[test]
fn roster_content_checks() {
    assert!(check::<SignedRoster>(roster()).is_ok());
    for (path, value, field) in [
        ("threshold", json!(4), "roster.threshold"),
        ("threshold", json!(0), "roster.threshold"),
        ("version", json!(0), "roster.version"),
        ("recognition_quorum", json!(5), "roster.recognition_quorum"),
    ] {
        let mut r = roster();
        r["roster"][path] = value;
        let err = check::<SignedRoster>(r).unwrap_err();
        assert!(err.starts_with(field), "{path}: {err}");
    }
    let mut r = roster();
    r["roster"]["members"][2]["code"] = json!("320585");
    assert!(
        check::<SignedRoster>(r)
            .unwrap_err()
            .starts_with("roster.members[2].code")
    );
    let mut r = roster();
    r["roster"]["members"][2]["key"] = json!(key(1));
    assert!(
        check::<SignedRoster>(r)
            .unwrap_err()
            .starts_with("roster.members[2].key")
    );
    let mut r = roster();
    r["approvals"] = json!([]);
    assert!(
        check::<SignedRoster>(r)
            .unwrap_err()
            .starts_with("approvals")
    );
    let mut r = roster();
    r["roster"]["members"][0]["code"] = json!("32058");
    assert!(check::<SignedRoster>(r).unwrap_err().contains("6-digit"));
}

#[test]
fn summary_disclosure_rules() {
    let d = json!({"count": 3, "min": 1, "q1": 1.5, "median": 2, "q3": 2.5, "max": 3, "mean": 2, "sd": 1});
    let ok = json!({
        "framework": "taicang.hqd", "version": "1.1.0", "period": "2025", "k": 3,
        "indicators": [
            {"indicator": "revenue", "value": 6, "contributors": 3, "distribution": d},
            {"indicator": "satisfaction", "value": 90, "contributors": 2, "withheld": "fewer than k units"}
        ],
        "grades": [{"category": "agency", "counts": {"A": 1, "B": 2}}]
    });
    assert!(check::<Summary>(ok.clone()).is_ok());
    let mut s = ok.clone();
    s["k"] = json!(4);
    assert!(
        check::<Summary>(s)
            .unwrap_err()
            .starts_with("indicators[0].distribution")
    );
    let mut s = ok.clone();
    s["indicators"][1]["contributors"] = json!(5);
    s["indicators"][1]
        .as_object_mut()
        .unwrap()
        .remove("withheld");
    assert!(
        check::<Summary>(s)
            .unwrap_err()
            .starts_with("indicators[1].distribution")
    );
    let mut s = ok;
    s["indicators"][0]["withheld"] = json!("x");
    assert!(
        check::<Summary>(s)
            .unwrap_err()
            .starts_with("indicators[0].withheld")
    );
}

#[test]
fn crosswalk_and_endorsement_checks() {
    let cw = json!({
        "id": "kunshan.satisfaction", "version": 1,
        "source": {"framework": "kunshan.perf", "versions": "^2", "indicator": "svc_sat"},
        "target": "yrd.tax/service_satisfaction", "relation": "exact",
        "transform": [{"op": "rescale", "from": [1, 5], "to": [0, 100]}],
        "valid_from": "2024", "justification": "Both survey taxpayers after service.",
        "confidence": 0.9
    });
    assert!(check::<Crosswalk>(cw.clone()).is_ok());
    let mut c = cw.clone();
    c["confidence"] = json!(1.5);
    assert!(check::<Crosswalk>(c).unwrap_err().starts_with("confidence"));
    let mut c = cw.clone();
    c["transform"] = json!([{"op": "piecewise", "points": [[0, 0], [0, 1]]}]);
    assert!(
        check::<Crosswalk>(c)
            .unwrap_err()
            .starts_with("transform[0].points")
    );
    let mut c = cw.clone();
    c["valid_to"] = json!("2023");
    assert!(check::<Crosswalk>(c).unwrap_err().starts_with("valid_to"));
    let mut c = cw;
    c["relation"] = json!("similar");
    assert!(check::<Crosswalk>(c).unwrap_err().starts_with("decode"));

    let e = json!({"crosswalk": "kunshan.satisfaction", "crosswalk_hash": "0".repeat(64), "decision": "accept"});
    assert!(check::<Endorsement>(e).is_ok());
    let e = json!({"crosswalk": "kunshan.satisfaction", "crosswalk_hash": "0".repeat(64), "decision": "maybe"});
    assert!(check::<Endorsement>(e).is_err());
}

#[test]
fn kinds_round_trip() {
    for k in DocKind::ALL {
        assert_eq!(DocKind::parse(k.as_str()).unwrap(), k);
        assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
    }
    assert_eq!(DocKind::parse("nope").unwrap_err().field, "kind");
}

#[test]
fn nested_weights_and_their_effective_shares() {
    let mut f = framework();
    f["indicators"].as_array_mut().unwrap().push(json!({
        "code": "attendance", "name_zh": "出勤", "name_en": "Attendance", "dimension": "discipline",
        "unit": "%", "direction": "higher_is_better", "aggregation": {"rule": "mean"},
        "scoring": {"rule": "direct"}}));
    f["categories"][0]["weights"] = json!([
        {"group": "department", "weight": 40, "parts": [
            {"indicator": "revenue", "weight": 50}, {"indicator": "satisfaction", "weight": 50}]},
        {"group": "post", "weight": 30, "parts": [{"indicator": "attendance", "weight": 100}]},
        {"indicator": "nope", "weight": 30}
    ]);
    let err = check::<Framework>(f.clone()).unwrap_err();
    assert!(
        err.starts_with("categories[0].weights[2].indicator"),
        "{err}"
    );
    f["categories"][0]["weights"][2] = json!({"group": "discipline", "weight": 30, "parts": [
        {"indicator": "attendance", "weight": 100}]});
    let err = check::<Framework>(f.clone()).unwrap_err();
    assert!(err.contains("weighted twice"), "{err}");
    f["categories"][0]["weights"][1]["parts"][0]["weight"] = json!(90);
    let err = check::<Framework>(f.clone()).unwrap_err();
    assert!(
        err.starts_with("categories[0].weights[1].parts: sum to 90%"),
        "{err}"
    );
    f["categories"][0]["weights"][1] = json!({"group": "post", "weight": 30, "parts": [
        {"indicator": "attendance", "weight": 100}]});
    f["categories"][0]["weights"][2] = json!({"indicator": "revenue", "weight": 30});
    assert!(
        check::<Framework>(f.clone())
            .unwrap_err()
            .contains("weighted twice")
    );
    f["categories"][0]["weights"] = json!([
        {"group": "department", "weight": 70, "parts": [
            {"indicator": "revenue", "weight": 50}, {"indicator": "satisfaction", "weight": 50}]},
        {"indicator": "attendance", "weight": 30}]);
    let fw = check::<Framework>(f).unwrap();
    let mut shares = Vec::new();
    for w in &fw.categories[0].weights {
        w.effective(&mut shares);
    }
    let shares: Vec<(String, f64)> = shares
        .into_iter()
        .map(|(c, w)| (c.to_string(), w))
        .collect();
    assert_eq!(
        shares,
        vec![
            ("revenue".into(), 35.0),
            ("satisfaction".into(), 35.0),
            ("attendance".into(), 30.0)
        ]
    );
}

#[test]
fn scoring_and_grading_checks() {
    let mut f = framework();
    f["indicators"][0]["scoring"] = json!({"rule": "ratio_to_target", "cap": 120});
    f["indicators"][1]["scoring"] = json!({"rule": "linear", "floor": 60});
    let fw = check::<Framework>(f.clone()).unwrap();
    assert_eq!(
        fw.indicators[0].scoring,
        Some(ScoringRule::RatioToTarget {
            cap: Value::new(120.0).unwrap()
        })
    );
    f["indicators"][0]["scoring"] = json!({"rule": "ratio_to_target"});
    let fw = check::<Framework>(f.clone()).unwrap();
    assert_eq!(
        fw.indicators[0].scoring,
        Some(ScoringRule::RatioToTarget {
            cap: Value::new(100.0).unwrap()
        })
    );
    f["indicators"][0]["scoring"] = json!({"rule": "closeness", "tolerance": 0});
    assert!(
        check::<Framework>(f.clone())
            .unwrap_err()
            .starts_with("indicators[0].scoring.tolerance")
    );
    f["indicators"][0]["scoring"] = json!({"rule": "guess"});
    assert!(
        check::<Framework>(f.clone())
            .unwrap_err()
            .starts_with("decode")
    );
    f["indicators"][0]["scoring"] = json!({"rule": "direct"});

    let grades = |shares: [f64; 5]| {
        json!({"method": "forced", "grades": [
        {"grade": "A", "max_share": shares[0], "pay_coefficient": 1.3},
        {"grade": "B", "max_share": shares[1], "pay_coefficient": 1.1},
        {"grade": "C", "max_share": shares[2], "pay_coefficient": 1.0},
        {"grade": "D", "max_share": shares[3], "pay_coefficient": 0.9},
        {"grade": "E", "pay_coefficient": 0.7}]})
    };
    f["grading"] = grades([0.2, 0.3, 0.4, 0.1, 0.0]);
    check::<Framework>(f.clone()).unwrap();
    f["grading"] = grades([1.2, 0.3, 0.4, 0.1, 0.0]);
    assert!(
        check::<Framework>(f.clone())
            .unwrap_err()
            .starts_with("grading.grades[0].max_share")
    );
    f["grading"] = grades([0.2, 0.3, 0.4, 0.1, 0.0]);
    f["grading"]["grades"].as_array_mut().unwrap().swap(0, 1);
    assert!(
        check::<Framework>(f.clone())
            .unwrap_err()
            .starts_with("grading.grades")
    );
    f["grading"] = json!({"method": "thresholds", "grades": [
        {"grade": "A", "min_total": 90, "pay_coefficient": 1.2}, {"grade": "B", "min_total": 95, "pay_coefficient": 1.1},
        {"grade": "C", "min_total": 70, "pay_coefficient": 1}, {"grade": "D", "min_total": 60, "pay_coefficient": 0.9},
        {"grade": "E", "pay_coefficient": 0.8}]});
    assert!(
        check::<Framework>(f.clone())
            .unwrap_err()
            .starts_with("grading.grades[1].min_total")
    );
    Grading::standard().validate().unwrap();
}

#[test]
fn an_indicator_from_public_ratings_is_a_mean_score() {
    // Without `source` the indicator serialises as before: the bytes of
    // documents signed before the field existed do not change.
    let plain: Framework = check(framework()).unwrap();
    assert!(!serde_json::to_string(&plain).unwrap().contains("source"));
    assert!(!plain.indicators[1].from_public_ratings());
    let mut f = framework();
    f["indicators"][1]["source"] = json!("public_rating");
    f["indicators"][1]["range"] = json!({"min": 1, "max": 5});
    let parsed: Framework = check(f.clone()).unwrap();
    assert!(parsed.indicators[1].from_public_ratings());
    assert!(
        serde_json::to_string(&parsed)
            .unwrap()
            .contains(r#""source":"public_rating""#)
    );
    let mut narrow = f.clone();
    narrow["indicators"][1]["range"] = json!({"min": 0, "max": 4});
    let e = check::<Framework>(narrow).unwrap_err();
    assert!(e.contains("indicators[1].range"), "{e}");
    let mut summed = f.clone();
    summed["indicators"][1]["aggregation"] = json!({"rule": "sum"});
    let e = check::<Framework>(summed).unwrap_err();
    assert!(e.contains("indicators[1].aggregation"), "{e}");
    let mut bad = f;
    bad["indicators"][1]["source"] = json!("hotline");
    assert!(check::<Framework>(bad).is_err());
}

fn public_rating() -> serde_json::Value {
    serde_json::from_str(include_str!(
        "../../../../schemas/examples/valid/public_rating-taicang-2025.json"
    ))
    .unwrap()
}

#[test]
fn public_rating_rules_between_members() {
    let ok: PublicRatingSummary = check(public_rating()).unwrap();
    assert_eq!(ok.categories.len(), 2);
    type Spoil = fn(&mut serde_json::Value);
    let cases: [(Spoil, &str); 9] = [
        (|v| v["categories"][0]["n"] = json!(199), "categories[0].n"),
        (
            |v| v["categories"][0]["counts"][0] = json!(4),
            "categories[0].n",
        ),
        (|v| v["k"] = json!(201), "categories[0].n"),
        (
            |v| v["categories"][0]["raw_mean"] = json!(4.3),
            "categories[0].raw_mean",
        ),
        (
            |v| v["categories"][0]["shrunk"] = json!(4.365),
            "categories[0].shrunk",
        ),
        (
            |v| v["categories"][0]["satisfied_share"] = json!(0.85),
            "categories[0].satisfied_share",
        ),
        (
            |v| v["categories"][0]["satisfied_interval"] = json!([0.9, 0.95]),
            "categories[0].satisfied_interval",
        ),
        (
            |v| v["categories"][1]["category"] = json!("education"),
            "categories[1].category",
        ),
        (|v| v["categories"] = json!([]), "categories"),
    ];
    for (spoil, field) in cases {
        let mut v = public_rating();
        spoil(&mut v);
        let p: PublicRatingSummary = serde_json::from_value(v).unwrap();
        assert_eq!(p.validate().unwrap_err().field, field);
    }
}

fn forecast() -> serde_json::Value {
    serde_json::from_str(include_str!(
        "../../../../schemas/examples/valid/forecast-taicang-2025.json"
    ))
    .unwrap()
}

#[test]
fn forecast_rules_beyond_the_schema() {
    let ok: ForecastCommitment = check(forecast()).unwrap();
    assert_eq!(ok.as_of, Period::Month(2025, 9));
    type Spoil = fn(&mut serde_json::Value);
    let cases: [(Spoil, &str); 6] = [
        (
            |v| v["indicators"][0]["forecast"] = json!(2_000_000.0),
            "indicators[0].forecast",
        ),
        (
            |v| v["indicators"][1]["lower"] = json!(213.0),
            "indicators[1].forecast",
        ),
        (
            |v| v["indicators"][1]["indicator"] = json!("budget_revenue"),
            "indicators[1].indicator",
        ),
        (|v| v["as_of"] = json!("2024-12"), "as_of"),
        (|v| v["period"] = json!("2025-H2"), "period"),
        (|v| v["level"] = json!(0.0), "level"),
    ];
    for (spoil, field) in cases {
        let mut v = forecast();
        spoil(&mut v);
        let p: ForecastCommitment = serde_json::from_value(v).unwrap();
        assert_eq!(p.validate().unwrap_err().field, field);
    }
}

fn hotline() -> serde_json::Value {
    serde_json::from_str(include_str!(
        "../../../../schemas/examples/valid/hotline-taicang-2025.json"
    ))
    .unwrap()
}

#[test]
fn hotline_rules_beyond_the_schema() {
    let ok: HotlineSummary = check(hotline()).unwrap();
    assert_eq!((ok.requests, ok.cells.len(), ok.withheld_cells), (14, 2, 2));
    type Spoil = fn(&mut serde_json::Value);
    let cases: [(Spoil, &str); 12] = [
        // A cell below k must be withheld, not published.
        (|v| v["cells"][1]["count"] = json!(2), "cells[1].count"),
        // A cell at another resolution than the document's.
        (
            |v| v["cells"][0]["cell"] = json!("873098ad3ffffff"),
            "cells[0].cell",
        ),
        // Fifteen hex digits that are no H3 cell (mode 0).
        (
            |v| v["cells"][0]["cell"] = json!("083098ad35fffff"),
            "cells[0].cell",
        ),
        (
            |v| v["cells"][1]["cell"] = json!("883098ad35fffff"),
            "cells[1].cell",
        ),
        (
            |v| v["categories"][1]["category"] = json!("housing"),
            "categories[1].category",
        ),
        (
            |v| v["categories"][0]["resolved"] = json!(10),
            "categories[0].resolved",
        ),
        (
            |v| v["categories"][0]["within_sla"] = json!(11),
            "categories[0].within_sla",
        ),
        // Two ratings are fewer than k = 3: no mean may be given.
        (
            |v| v["categories"][1]["satisfaction"] = json!(4.5),
            "categories[1].satisfaction",
        ),
        (
            |v| {
                v["categories"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("satisfaction");
            },
            "categories[0].satisfaction",
        ),
        // Two withheld cells of 1 or 2 requests hold 2 to 4.
        (|v| v["withheld_requests"] = json!(5), "withheld_requests"),
        (|v| v["requests"] = json!(15), "requests"),
        (|v| v["without_coordinates"] = json!(3), "requests"),
    ];
    for (spoil, field) in cases {
        let mut v = hotline();
        spoil(&mut v);
        let p: HotlineSummary = serde_json::from_value(v).unwrap();
        assert_eq!(p.validate().unwrap_err().field, field);
    }
}

/// H3 cell indexes and what the typed checks make of them: valid cells at
/// every resolution (pentagons included) and the same indexes spoiled in
/// each way the schema's description names. Written to
/// `tests/golden/h3_cells.json`, which the independent verifier
/// (`scripts/verify_signing.py --h3-cases`) must judge the same way.
fn h3_cases() -> Vec<(String, Option<u8>)> {
    let mut cells: Vec<u64> = Vec::new();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for res in h3o::Resolution::range(h3o::Resolution::Zero, h3o::Resolution::Fifteen) {
        for _ in 0..8 {
            let lat = (next() % 180_000) as f64 / 1000.0 - 90.0;
            let lng = (next() % 360_000) as f64 / 1000.0 - 180.0;
            let ll = h3o::LatLng::new(lat, lng).unwrap();
            cells.push(u64::from(ll.to_cell(res)));
        }
        cells.extend(res.pentagons().take(3).map(u64::from));
    }
    let mut out = Vec::new();
    for c in cells {
        let res = (c >> 52) & 0xf;
        let mut variants = vec![c];
        // The mode (bits 59-62) 2, a reserved bit (56) set, a base cell of 122.
        variants.push((c & !(0xf << 59)) | (2 << 59));
        variants.push(c | (1 << 56));
        variants.push((c & !(0x7f << 45)) | (122 << 45));
        // A digit within the resolution 7, a digit after it not 7.
        if res > 0 {
            variants.push(c | (7 << (3 * (15 - res))));
        }
        if res < 15 {
            variants.push(c & !(7 << (3 * (14 - res))));
        }
        // On a pentagon, the first digit 1 (the deleted subsequence).
        if res > 0 {
            let shift = 3 * 14;
            variants.push((c & !(7 << shift)) | (1 << shift));
        }
        for v in variants {
            let hex = format!("{v:015x}");
            out.push((hex.clone(), h3_resolution(&hex).ok()));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn h3_cases_are_the_golden_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/h3_cells.json");
    let cases: Vec<serde_json::Value> = h3_cases()
        .into_iter()
        .map(|(cell, res)| json!({"cell": cell, "resolution": res}))
        .collect();
    let valid = cases.iter().filter(|c| !c["resolution"].is_null()).count();
    assert!(
        valid > 150 && cases.len() - valid > 300,
        "{valid} of {}",
        cases.len()
    );
    let text = serde_json::to_string_pretty(&cases).unwrap() + "\n";
    if std::env::var_os("DELTABENCH_WRITE_GOLDEN").is_some() {
        std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
        std::fs::write(path, &text).unwrap();
    }
    let held = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        held == text,
        "{path} differs from the cases (DELTABENCH_WRITE_GOLDEN=1 rewrites it)"
    );
}
