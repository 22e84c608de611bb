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
    let framework = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../engine/tests/data/small-framework.json"),
    )
    .unwrap();
    let (s, v) = post(&p, "/api/v1/frameworks", Some(&node.admin), framework);
    assert_eq!(s, 201, "{v}");
    let units = json!([
        {"id": "u1", "name_zh": "财政局", "name_en": "Finance Bureau", "category": "agency"},
        {"id": "u2", "name_zh": "税务局", "name_en": "Tax Bureau", "category": "agency"},
        {"id": "u3", "name_zh": "审计局", "name_en": "Audit Bureau", "category": "agency"}
    ]);
    let (s, v) = post(
        &p,
        "/api/v1/units",
        Some(&node.admin),
        units.to_string().into(),
    );
    assert_eq!(s, 201, "{v}");
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
        page.eval("document.querySelectorAll('.twin-forecasts svg.intervalchart').length"),
        3
    );
    // The warned row is marked, its chart has the interval, the forecast
    // and the target.
    let u1 = "tr[data-unit=\"u1\"][data-indicator=\"rev\"]";
    assert_eq!(
        page.eval(&format!("document.querySelector('{u1}').dataset.warned")),
        "true"
    );
    assert_eq!(
        page.eval(&format!(
            "['rect.band', 'circle.point', 'line.target'].every(q => document.querySelector('{u1} svg.intervalchart ' + q))"
        )),
        true
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
    drop(page);
    crate::browser::screenshot(
        &browser,
        &url,
        &crate::browser::screenshot_dir().join("twin-zh.png"),
    );
    assert!(p.stop());
}
