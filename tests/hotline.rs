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

    // The signed summary from the command line: T-001 and T-002 share a
    // cell of 2 requests, fewer than k = 3, so it is withheld and counted.
    // T-002 alone is flagged (closed in 2 minutes, never acknowledged); the
    // open T-003 has no SLA to be overdue on.
    let cli = |extra: &[&str], token: &str| {
        let mut args = vec![
            "hotline", "--node", &p.api, "--token", token, "--period", "2025-03",
        ];
        args.extend_from_slice(extra);
        deltabench(&args)
    };
    let out = cli(&["--publish"], &node.viewer);
    assert!(!out.status.success(), "a viewer cannot sign");
    let out = cli(&["--publish"], &node.admin);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("hotline summary of 2025-03: signed and published")
            && text.contains(
                "3 requests; 0 H3 cells at resolution 8 of at least k = 3, 1 cells of 2 requests withheld, 1 without coordinates"
            ),
        "{text}"
    );
    let out = cli(&["--json"], &node.viewer);
    assert!(out.status.success());
    let delta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(delta["members"][0]["issuer"], "320585", "{delta}");
    assert_eq!(
        delta["members"][0]["summary"]["categories"],
        json!([
            {"category": "noise", "requests": 2, "closed": 1, "resolved": 1, "with_sla": 0,
             "within_sla": 0, "rated": 1, "flagged": 0},
            {"category": "roads", "requests": 1, "closed": 1, "resolved": 0, "with_sla": 0,
             "within_sla": 0, "rated": 1, "flagged": 1}
        ]),
        "{delta}"
    );

    // The dashboard's hotline page draws the cells as hexagons with no map
    // tiles, labels the towns, and lists each department's figures.
    if let Some(browser) = crate::browser::chromium() {
        let url = p.url(&format!(
            "/#/hotline?token={}&lang=zh&period=2025-03&resolution=7",
            node.viewer
        ));
        let mut page = crate::cdp::Page::open(&browser, &url, 1280, 900);
        page.wait_until(
            "the hotline page or an error",
            "document.body.dataset.ready === 'hotline' || document.querySelector('.error-box')",
        );
        let body = page.eval("document.body.innerText");
        assert_eq!(
            page.eval("document.body.dataset.ready || ''"),
            "hotline",
            "{body}"
        );
        assert_eq!(
            page.eval("[...document.querySelectorAll('svg.hexmap polygon.hex')].map(p => p.dataset.count).join(' ')"),
            "2"
        );
        assert_eq!(
            page.eval("document.querySelectorAll('svg.hexmap text.town-label').length"),
            1
        );
        assert_eq!(
            page.eval(
                "document.querySelectorAll('.hotline-departments tr[data-category=\"\"]').length"
            ),
            2
        );
        let u2 = page.eval("document.querySelector('.hotline-departments tr[data-department=\"u2\"][data-category=\"\"]').textContent");
        // T-002: closed in 2 minutes as explained: 办结率 100%, 解决率 0%.
        assert!(
            u2.as_str().unwrap().contains("100%") && u2.as_str().unwrap().contains("0%"),
            "{u2}"
        );
        assert!(body.as_str().unwrap().contains("数分钟内办结"), "{body}");
        // The Delta's signed summaries: the node's own, its one cell withheld.
        let own = page.eval(
            "document.querySelector('.hotline-delta tr[data-issuer=\"320585\"]').textContent",
        );
        let own = own.as_str().unwrap();
        assert!(
            own.contains("noise 2, roads 1") && own.contains("0 (1)"),
            "{own}"
        );
        drop(page);
        // Without a period, the page opens on the latest year holding
        // requests (2025 here), not on the current one.
        let bare = p.url(&format!("/#/hotline?token={}&lang=en", node.viewer));
        let mut page = crate::cdp::Page::open(&browser, &bare, 1280, 900);
        page.wait_until(
            "the hotline page or an error",
            "document.body.dataset.ready === 'hotline' || document.querySelector('.error-box')",
        );
        assert_eq!(
            page.eval("document.querySelector('[data-control=period]').value"),
            "2025"
        );
        assert_eq!(
            page.eval("document.querySelectorAll('svg.hexmap polygon.hex').length"),
            1
        );
        drop(page);
        crate::browser::screenshot(
            &browser,
            &url,
            &crate::browser::screenshot_dir().join("hotline-zh.png"),
        );
    }
    assert!(p.stop());
}
