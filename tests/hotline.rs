//! 12345 hotline requests against a real node: a CSV with Open311 column
//! names and GCJ-02 coordinates imported from the command line, a refused
//! file named by row and column, and the heat map and department figures
//! read back.

use crate::support::*;
use serde_json::json;

#[test]
fn hotline_requests_are_imported_from_the_command_line() {
    let root = tempfile::tempdir().unwrap();
    let node = NodeDir::init(root.path(), "320585", "太仓市", "Taicang");
    let p = node.start();
    small_framework_with_units(
        &p,
        &node,
        json!([
            {"id": "u1", "name_zh": "城管局", "name_en": "City Management", "category": "agency"},
            {"id": "u2", "name_zh": "住建局", "name_en": "Housing", "category": "agency"}
        ]),
    );

    let file = root.path().join("tickets.csv");
    let header = "service_request_id,service_name,town,agency_responsible,lat,long,requested_datetime,acknowledged_at,closed_date,result,satisfaction\n";
    std::fs::write(
        &file,
        format!(
            "{header}\
             T-001,noise,城厢镇,u1,31.17530398364597,121.531541859215,2025-03-01 09:00,2025-03-01 09:20,2025-03-01 15:00,resolved,5\n\
             T-002,roads,浮桥镇,u2,31.17530398364597,121.531541859215,2025-03-02 09:00,,2025-03-02 09:02,explained,2\n\
             T-003,noise,城厢镇,u1,,,2025-03-03 09:00,,,,\n"
        ),
    )
    .unwrap();
    let args = |file: &std::path::Path| {
        deltabench(&[
            "import",
            "--node",
            &p.api,
            "--token",
            &node.admin,
            "--kind",
            "tickets",
            "--coordinates",
            "gcj02",
            file.to_str().unwrap(),
        ])
    };
    let out = args(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("stored 3 hotline requests: 3 new, 0 updated, 0 unchanged")
            && text.contains("1 ClosedWithinMinutes"),
        "{text}"
    );

    // A department that is not a unit: the row and column, nothing stored.
    let bad = root.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("{header}T-004,noise,城厢镇,nobody,,,2025-03-04 09:00,,,,\n"),
    )
    .unwrap();
    let out = args(&bad);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 1") && err.contains("department"), "{err}");

    let (s, d) = get(&p, "/api/v1/hotline/departments?period=2025", &node.viewer);
    assert_eq!(s, 200, "{d}");
    let total: u64 = d["departments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("category").is_none())
        .map(|r| r["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 3, "T-004 was not stored: {d}");
    let (s, h) = get(
        &p,
        "/api/v1/hotline/heatmap?period=2025-03&resolution=7",
        &node.viewer,
    );
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["cells"][0]["count"], 2, "{h}");
    assert_eq!(h["without_coordinates"], 1);
    assert!(p.stop());
}
