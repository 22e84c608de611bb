//! The performance twin against a real node: monthly observations in,
//! forecasts and early warnings out, shown on the dashboard's twin page.

use crate::support::*;
use serde_json::json;

/// The engine's small framework (owned by Taicang, 320585) with its four
/// units, three years of monthly revenue and half of 2025: u1 runs at 7 a
/// month against 10 before, so its year-end forecast is 84 against its
/// target of 100 and it is warned of; the page shows the warning, every
/// forecast with its interval drawn against its target, and the office's
/// acknowledgement once given.
#[test]
fn the_twin_page_shows_forecasts_and_the_warnings_they_raise() {
    let Some(browser) = crate::browser::chromium() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let node = NodeDir::init(root.path(), "320585", "太仓市", "Taicang");
    let p = node.start();
    small_framework_with_units(
        &p,
        &node,
        json!([
            {"id": "u1", "name_zh": "财政局", "name_en": "Finance Bureau", "category": "agency"},
            {"id": "u2", "name_zh": "税务局", "name_en": "Tax Bureau", "category": "agency"},
            {"id": "u3", "name_zh": "审计局", "name_en": "Audit Bureau", "category": "agency"}
        ]),
    );
    let mut csv = String::from("unit,indicator,period,value,target\n");
    for (unit, past, now) in [("u1", 10, 7), ("u2", 20, 21), ("u3", 30, 30)] {
        csv.push_str(&format!("{unit},rev,2025,{},100\n", now * 6));
        for year in 2022..=2024 {
            for m in 1..=12 {
                csv.push_str(&format!("{unit},rev,{year}-{m:02},{past},\n"));
            }
        }
        for m in 1..=6 {
            csv.push_str(&format!("{unit},rev,2025-{m:02},{now},\n"));
        }
    }
    let file = root.path().join("monthly.csv");
    std::fs::write(&file, csv).unwrap();
    let out = import(&p, &node.admin, "observations", &file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (s, v) = get(
        &p,
        "/api/v1/forecasts?framework=test.small&period=2025",
        &node.viewer,
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["forecasts"].as_array().unwrap().len(), 3, "{v}");
    let url = p.url(&format!(
        "/#/twin?token={}&lang=zh&framework=test.small&period=2025",
        node.viewer
    ));
    let mut page = crate::cdp::Page::open(&browser, &url, 1280, 900);
    page.wait_until(
        "the twin page or an error",
        "document.body.dataset.ready === 'twin' || document.querySelector('.error-box')",
    );
    let body = page.eval("document.body.innerText");
    assert_eq!(
        page.eval("document.body.dataset.ready || ''"),
        "twin",
        "{body}"
    );
    let warning = "tr[data-warning=\"miss:test.small:2025:u1:rev\"]";
    assert_eq!(
        page.eval(&format!("!!document.querySelector('{warning}')")),
        true
    );
    assert_eq!(
        page.eval("document.querySelectorAll('tr[data-warning]').length"),
        1
    );
    assert_eq!(
        page.eval("document.querySelectorAll('.twin-forecasts svg.fanchart').length"),
        3
    );
    // The warned row is marked; its fan chart has the year to date, the
    // intervals (80%, then 50%), the forecast and the target. Six
    // calibration errors (three units, two past years) are too few for a
    // 95% interval, so that level is named as missing, not drawn.
    let u1 = "tr[data-unit=\"u1\"][data-indicator=\"rev\"]";
    assert_eq!(
        page.eval(&format!("document.querySelector('{u1}').dataset.warned")),
        "true"
    );
    assert_eq!(
        page.eval(&format!(
            "['circle.ytd', 'circle.point', 'line.target', 'line.path'].every(q => document.querySelector('{u1} svg.fanchart ' + q))"
        )),
        true
    );
    assert_eq!(
        page.eval(&format!(
            "[...document.querySelectorAll('{u1} svg.fanchart polygon.fan')].map(p => p.dataset.level).join(' ')"
        )),
        "0.8 0.5"
    );
    assert_eq!(
        page.eval(&format!(
            "document.querySelector('{u1} svg.fanchart').dataset.missing"
        )),
        "0.95"
    );
    assert_eq!(
        page.eval("document.querySelectorAll('.twin-skill tr[data-commitment]').length"),
        0
    );

    // The command line: the forecasts, the warnings, an acknowledgement.
    let run = |cmd: &str, token: &str, extra: &[&str]| {
        let mut args = vec![
            cmd,
            "--node",
            &p.api,
            "--token",
            token,
            "--framework",
            "test.small",
            "--period",
            "2025",
        ];
        args.extend_from_slice(extra);
        let out = deltabench(&args);
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = run("forecasts", &node.viewer, &[]);
    assert!(text.starts_with("3 forecasts of test.small"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("u1") && l.contains("forecast") && l.contains("84.0000")),
        "{text}"
    );
    let text = run("warnings", &node.viewer, &[]);
    assert!(
        text.starts_with("1 warnings") && text.contains("miss:test.small:2025:u1:rev"),
        "{text}"
    );
    let text = run(
        "warnings",
        &node.admin,
        &[
            "--acknowledge",
            "miss:test.small:2025:u1:rev",
            "--action",
            "每月调度收入进度",
            "--by",
            "财政局",
        ],
    );
    assert!(text.contains("acknowledged by 财政局"), "{text}");
    page.call("Page.reload", serde_json::json!({}));
    page.wait_until(
        "the acknowledgement",
        &format!(
            "document.body.dataset.ready === 'twin' && document.querySelector('{warning}') && document.querySelector('{warning}').dataset.acknowledged === 'true'"
        ),
    );
    let text = page.eval(&format!("document.querySelector('{warning}').textContent"));
    assert!(
        text.as_str().unwrap().contains("每月调度收入进度"),
        "{text}"
    );

    // The office commits to its year-end forecast from the command line;
    // the page lists it as awaiting the summary, then scored once the
    // summary is out.
    let text = run("forecasts", &node.admin, &["--commit"]);
    assert!(text.contains("signed and published"), "{text}");
    page.call("Page.reload", serde_json::json!({}));
    page.wait_until(
        "the commitment",
        "document.body.dataset.ready === 'twin' && document.querySelector('.twin-skill tr[data-status=\"awaiting_summary\"]')",
    );
    let (s, v) = post(
        &p,
        "/api/v1/summaries",
        Some(&node.admin),
        json!({"framework": "test.small", "period": "2025"})
            .to_string()
            .into(),
    );
    assert_eq!(s, 201, "{v}");
    let text = deltabench(&[
        "forecast-skill",
        "--node",
        &p.api,
        "--token",
        &node.viewer,
        "--period",
        "2025",
    ]);
    let out = String::from_utf8_lossy(&text.stdout);
    // Revenue: 84 + 252 + 360 = 696 forecast; the summary's 42 + 126 + 180
    // = 348 lies outside the interval.
    assert!(
        out.starts_with("1 forecast commitments for 2025")
            && out.contains("Scored")
            && out.contains("actual 348.0000 missed"),
        "{out}"
    );
    page.call("Page.reload", serde_json::json!({}));
    page.wait_until(
        "the score",
        "document.body.dataset.ready === 'twin' && document.querySelector('.twin-skill tr[data-status=\"scored\"]')",
    );

    // The what-if page: with the viewer token the node refuses, and says
    // an admin token is needed; with the admin token, the year-end
    // forecasts assumed, each unit is shown before and after.
    let whatif = |token: &str| {
        p.url(&format!(
            "/#/whatif?token={token}&lang=en&framework=test.small&period=2025"
        ))
    };
    let mut page = crate::cdp::Page::open(&browser, &whatif(&node.viewer), 1280, 900);
    page.wait_until(
        "the what-if page",
        "document.body.dataset.ready === 'whatif'",
    );
    page.click("button[data-action=\"run\"]");
    page.wait_until(
        "the refusal",
        "document.querySelector('.whatif-result').dataset.state === 'error'",
    );
    let text = page.eval("document.querySelector('.whatif-result').textContent");
    assert!(text.as_str().unwrap().contains("admin token"), "{text}");
    drop(page);
    let mut page = crate::cdp::Page::open(&browser, &whatif(&node.admin), 1280, 900);
    page.wait_until(
        "the what-if page",
        "document.body.dataset.ready === 'whatif'",
    );
    page.click("button[data-action=\"assume\"]");
    page.wait_until(
        "the forecasts assumed",
        "document.querySelector('textarea[data-control=changes]').dataset.assumed === '3'",
    );
    assert_eq!(
        page.eval("JSON.parse(document.querySelector('textarea[data-control=changes]').value).values.map(v => v.value).join(' ')"),
        "84 252 360"
    );
    page.click("button[data-action=\"run\"]");
    page.wait_until(
        "the result",
        "document.querySelector('.whatif-result').dataset.state === 'done'",
    );
    assert_eq!(
        page.eval("document.querySelectorAll('.whatif-units tr[data-unit]').length"),
        3
    );
    // The node's own answer to the same request agrees with the page.
    let changes = page.eval("document.querySelector('textarea[data-control=changes]').value");
    let body = json!({"framework": "test.small", "period": "2025", "draws": 0,
        "changes": serde_json::from_str::<serde_json::Value>(changes.as_str().unwrap()).unwrap()});
    let (s, v) = post(
        &p,
        "/api/v1/whatif",
        Some(&node.admin),
        body.to_string().into(),
    );
    assert_eq!(s, 200, "{v}");
    for u in v["units"].as_array().unwrap() {
        let row = format!("tr[data-unit=\"{}\"]", u["unit"].as_str().unwrap());
        assert_eq!(
            page.eval(&format!("document.querySelector('{row}').dataset.changed")),
            u["grade_changed"].as_bool().unwrap().to_string(),
            "{u}"
        );
        let after = page.eval(&format!("document.querySelector('{row}').textContent"));
        assert!(
            after
                .as_str()
                .unwrap()
                .contains(u["after"]["grade"].as_str().unwrap()),
            "{u} {after}"
        );
    }
    drop(page);
    crate::browser::screenshot(
        &browser,
        &url,
        &crate::browser::screenshot_dir().join("twin-zh.png"),
    );
    assert!(p.stop());
}

/// Debt risk through the command line and the dashboard: Taicang's sample
/// figures (debt ratio 105% in 2021 to 135.3% in 2025, then over the bond
/// calendar 180%, 241% and 261%) are green, then yellow from 2024, then
/// orange from 2027 (projected); the heat map colours each cell by its band,
/// marks the projected ones, lists the changes of band and names the
/// thresholds' source. A bad figure is named and nothing is stored.
#[test]
fn the_debt_heat_map_shows_bands_reported_and_projected() {
    let root = tempfile::tempdir().unwrap();
    let node = NodeDir::init(root.path(), "320585", "太仓市", "Taicang");
    let p = node.start();
    let bad = root.path().join("bad.json");
    std::fs::write(
        &bad,
        json!({"actuals": [{"jurisdiction": "320585", "period": "2025", "debt_balance": -1,
            "comprehensive_resources": 10, "debt_service_due": 1}]})
        .to_string(),
    )
    .unwrap();
    let out = import(&p, &node.admin, "debt", &bad);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("actuals[0].debt_balance"), "{err}");
    // The same figures as a table: one row a period, reported or planned.
    // A figure the node refuses is named by its row and column, and
    // nothing is stored.
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(samples("taicang").join("debt.json")).unwrap(),
    )
    .unwrap();
    let cell = |r: &serde_json::Value, c: &str| r.get(c).map_or(String::new(), |v| v.to_string());
    let mut table = String::from(
        "jurisdiction,period,debt_balance,comprehensive_resources,debt_service_due,issuance,repayment\n",
    );
    for (list, columns) in [
        (
            "actuals",
            [
                "debt_balance",
                "comprehensive_resources",
                "debt_service_due",
                "",
                "",
            ],
        ),
        (
            "calendar",
            [
                "",
                "comprehensive_resources",
                "debt_service_due",
                "issuance",
                "repayment",
            ],
        ),
    ] {
        for r in sample[list].as_array().unwrap() {
            let cells: Vec<String> = columns.iter().map(|c| cell(r, c)).collect();
            table.push_str(&format!(
                "{},{},{}\n",
                r["jurisdiction"].as_str().unwrap(),
                r["period"].as_str().unwrap(),
                cells.join(",")
            ));
        }
    }
    let csv = root.path().join("debt.csv");
    std::fs::write(&csv, table.replacen(",300,", ",0,", 1)).unwrap();
    let out = import(&p, &node.admin, "debt", &csv);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("row 2, column comprehensive_resources"),
        "{err}"
    );
    let (_, risk) = get(&p, "/api/v1/debt-risk", &node.viewer);
    assert_eq!(risk["rows"], json!([]), "nothing stored");
    std::fs::write(&csv, &table).unwrap();
    for file in [csv, samples("taicang").join("debt.json")] {
        let out = import(&p, &node.admin, "debt", &file);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .contains("stored 5 reported periods and 3 of the bond calendar")
        );
    }
    let out = deltabench(&["debt-risk", "--node", &p.api, "--token", &node.viewer]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |period: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("320585 {period} ")))
            .unwrap_or_else(|| panic!("{period}: {text}"))
            .to_string()
    };
    assert!(
        line("2021").contains("105.0%") && line("2021").contains("green"),
        "{text}"
    );
    assert!(
        line("2024").contains("yellow") && !line("2024").contains("projected"),
        "{text}"
    );
    assert!(
        line("2027").contains("orange") && line("2027").contains("projected"),
        "{text}"
    );
    assert!(
        text.contains("WARNING 320585 Yellow -> Orange in 2027 (projected)"),
        "{text}"
    );
    assert!(text.contains("财政部"), "the source: {text}");

    let Some(browser) = crate::browser::chromium() else {
        assert!(p.stop());
        return;
    };
    let url = p.url(&format!("/#/debt?token={}&lang=zh", node.viewer));
    let mut page = crate::cdp::Page::open(&browser, &url, 1280, 900);
    page.wait_until("the debt page", "document.body.dataset.ready === 'debt'");
    let bands = page.eval(
        "[...document.querySelectorAll('td[data-band]')].map(c => c.dataset.period + ':' + c.dataset.band + ':' + c.dataset.projected).join(' ')",
    );
    assert_eq!(
        bands,
        "2021:green:false 2022:green:false 2023:green:false 2024:yellow:false 2025:yellow:false \
         2026:yellow:true 2027:orange:true 2028:orange:true"
    );
    assert_eq!(
        page.eval("document.querySelector('td[data-period=\"2027\"]').classList.contains('band-orange') && document.querySelector('td[data-period=\"2027\"]').classList.contains('projected')"),
        true
    );
    assert_eq!(
        page.eval("document.querySelector('td[data-period=\"2025\"]').textContent"),
        "135.3%"
    );
    assert_eq!(
        page.eval("document.querySelectorAll('li[data-rising=\"true\"]').length"),
        2
    );
    let who =
        page.eval("document.querySelector('tr[data-jurisdiction=\"320585\"] th').textContent");
    assert_eq!(who, "太仓市 320585");
    let source = page.eval("document.querySelector('[data-source]').textContent");
    assert!(source.as_str().unwrap().contains("财政部"), "{source}");
    drop(page);
    crate::browser::screenshot(
        &browser,
        &url,
        &crate::browser::screenshot_dir().join("debt-zh.png"),
    );
    assert!(p.stop());
}
