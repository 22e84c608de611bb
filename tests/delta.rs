//! A generated federation of Delta jurisdictions, imported into a
//! coordinator's node as an ordinary bundle: every document accepted, and a
//! comparison with one row per member.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

/// The coordination office's code (see `deltabench demo --delta`).
const COORDINATOR: &str = "319900";

/// `deltabench generate-federation ARGS --out DIR --json`, configuring
/// `join`'s node; answers the printed JSON.
fn generate(dir: &Path, join: &NodeDir, args: &[&str]) -> Value {
    let mut all = vec![
        "generate-federation",
        "--out",
        dir.to_str().unwrap(),
        "--join",
        join.config.to_str().unwrap(),
        "--json",
    ];
    all.extend(args);
    let out = ok(&all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Imports the bundle into the running coordinator; answers the report.
fn import(p: &Proc, admin: &str, dir: &Path) -> Value {
    let body = std::fs::read(dir.join("bundle.json")).unwrap();
    let (status, report) = post(p, "/api/v1/bundle", Some(admin), body);
    assert_eq!(status, 200, "{report}");
    report
}

/// The members named in federation.json.
fn members(dir: &Path) -> Vec<String> {
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("federation.json")).unwrap())
            .unwrap();
    m["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Checks that the comparison of `indicator` in `period` has exactly one
/// ranked, recognised row per member.
fn check_comparison(p: &Proc, viewer: &str, indicator: &str, period: &str, codes: &[String]) {
    let (s, cmp) = get(
        p,
        &format!("/api/v1/comparisons?indicator={indicator}&period={period}"),
        viewer,
    );
    assert_eq!(s, 200, "{cmp}");
    let rows = cmp["rows"].as_array().unwrap();
    let mut got: Vec<String> = rows
        .iter()
        .map(|r| r["jurisdiction"].as_str().unwrap().to_owned())
        .collect();
    got.sort();
    let mut want = codes.to_vec();
    want.sort();
    assert_eq!(got, want, "one row per member: {cmp}");
    for r in rows {
        assert_eq!(r["crosswalk"]["recognised"], true, "{r}");
        assert!(r["rank"].is_u64(), "ranked: {r}");
        assert!(r["flags"].as_array().is_none_or(Vec::is_empty), "{r}");
    }
    let values: std::collections::BTreeSet<String> =
        rows.iter().map(|r| r["value"].to_string()).collect();
    assert!(values.len() > 1, "the values differ: {cmp}");
}

#[test]
fn a_synthetic_federation_is_imported_whole_and_compared() {
    let root = tempfile::tempdir().unwrap();
    let fed = root.path().join("fed");
    let c = NodeDir::init(
        root.path(),
        COORDINATOR,
        "长三角区域合作办公室",
        "Coordinator",
    );
    let out = generate(
        &fed,
        &c,
        &[
            "--synthetic",
            "5",
            "--indicators",
            "3",
            "--periods",
            "2024-2025",
            "--seed",
            "3",
        ],
    );
    let total = out["documents"]["total"].as_u64().unwrap();
    // Five members: declaration, framework, two summaries, three crosswalks
    // and six acceptances each; the roster and the reference framework.
    assert_eq!(total, 5 * (1 + 1 + 2 + 3 + 6) + 2, "{out}");
    assert_eq!(out["documents"]["crosswalk"], 15, "{out}");
    assert_eq!(out["documents"]["endorsement"], 30, "{out}");

    let p = c.start();
    let report = import(&p, &c.admin, &fed);
    assert_eq!(report["accepted"].as_u64(), Some(total), "{report}");
    assert_eq!(report["rejected"], Value::Array(vec![]), "{report}");
    assert_eq!(report["duplicates"], 0, "{report}");

    let codes = members(&fed);
    assert_eq!(codes, ["900001", "900002", "900003", "900004", "900005"]);
    let (_, node) = get(&p, "/api/v1/node", &c.viewer);
    assert_eq!(node["alliances"][0]["id"], "yrd.delta", "{node}");
    let (_, crosswalks) = get(&p, "/api/v1/crosswalks?status=recognised", &c.viewer);
    assert_eq!(crosswalks["crosswalks"].as_array().unwrap().len(), 15);
    for period in ["2024", "2025"] {
        check_comparison(
            &p,
            &c.viewer,
            "yrd.delta/service_satisfaction",
            period,
            &codes,
        );
    }
    check_comparison(
        &p,
        &c.viewer,
        "yrd.delta/hotline_response_hours",
        "2025",
        &codes,
    );

    // The same bundle again: all held already, nothing refused.
    let again = import(&p, &c.admin, &fed);
    assert_eq!(again["accepted"], 0, "{again}");
    assert_eq!(again["duplicates"].as_u64(), Some(total), "{again}");
    assert!(p.stop(), "graceful stop exits 0");
}

#[test]
fn all_41_delta_cities_are_accepted_by_their_codes() {
    let root = tempfile::tempdir().unwrap();
    let fed = root.path().join("fed");
    let c = NodeDir::init(
        root.path(),
        COORDINATOR,
        "长三角区域合作办公室",
        "Coordinator",
    );
    let out = generate(
        &fed,
        &c,
        &[
            "--cities",
            "delta41",
            "--indicators",
            "2",
            "--periods",
            "2025",
        ],
    );
    let total = out["documents"]["total"].as_u64().unwrap();
    assert_eq!(out["jurisdictions"], 41, "{out}");
    let p = c.start();
    let report = import(&p, &c.admin, &fed);
    assert_eq!(report["accepted"].as_u64(), Some(total), "{report}");
    assert_eq!(report["rejected"], Value::Array(vec![]), "{report}");

    let codes = members(&fed);
    assert_eq!(codes.len(), 41);
    for code in ["310000", "320500", "330100", "340100", "341300", "341800"] {
        assert!(codes.iter().any(|c| c == code), "{code}");
    }
    let (_, decls) = get(&p, "/api/v1/documents?kind=jurisdiction", &c.viewer);
    let declared: std::collections::BTreeSet<&str> = decls["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["issuer"].as_str().unwrap())
        .collect();
    for code in &codes {
        assert!(declared.contains(code.as_str()), "{code} declared");
    }
    check_comparison(
        &p,
        &c.viewer,
        "yrd.delta/service_satisfaction",
        "2025",
        &codes,
    );
    assert!(p.stop(), "graceful stop exits 0");
}

#[test]
fn bad_generator_arguments_are_named_without_a_panic() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("fed");
    let out = out.to_str().unwrap();
    for (args, needle) in [
        (vec!["--synthetic", "1"], "--synthetic"),
        (vec!["--synthetic", "100000"], "--synthetic"),
        (vec!["--indicators", "0"], "--indicators"),
        (vec!["--periods", "2025-2021"], "--periods"),
        (vec!["--periods", "twenty"], "--periods"),
        (vec!["--issued-at", "yesterday"], "--issued-at"),
        (
            vec!["--cities", "delta41", "--synthetic", "5"],
            "--synthetic",
        ),
        (vec!["--cities", "delta42"], "--cities"),
    ] {
        let mut all = vec!["generate-federation", "--out", out];
        all.extend(&args);
        let o = deltabench(&all);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?} names {needle}: {stderr}");
    }
    assert!(
        !root.path().join("fed").join("bundle.json").exists(),
        "nothing written"
    );
}
