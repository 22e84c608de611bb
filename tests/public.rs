//! Public rating against a real node process: many residents rating at
//! once, a crash in the middle, and the per-address rate limit on real
//! connections.

use crate::support::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Sets `[public]` keys of a node's configuration.
fn set_public(node: &NodeDir, keys: &[(&str, toml::Value)]) {
    let text = std::fs::read_to_string(&node.config).unwrap();
    let mut v: toml::Table = toml::from_str(&text).unwrap();
    let public = v
        .entry("public")
        .or_insert_with(|| toml::Value::Table(Default::default()))
        .as_table_mut()
        .unwrap();
    for (k, val) in keys {
        public.insert((*k).into(), val.clone());
    }
    std::fs::write(&node.config, toml::to_string(&v).unwrap()).unwrap();
}

/// A node with one unit and one project, started.
fn node_with_project(root: &std::path::Path, keys: &[(&str, toml::Value)]) -> (NodeDir, Proc) {
    let node = NodeDir::init(root, "320585", "太仓市", "Taicang");
    set_public(&node, keys);
    let p = node.start();
    publish_framework(&p, &node, "taicang", 0);
    let out = import(
        &p,
        &node.admin,
        "units",
        &samples("taicang").join("units.json"),
    );
    assert!(out.status.success(), "{out:?}");
    let project = json!([{"id": "lib-2025", "name_zh": "图书馆改造", "name_en": "Library renovation",
                          "unit": "drc", "place": "城厢镇", "budget": 1200000,
                          "period": "2025", "category": "culture"}]);
    let (s, v) = post(
        &p,
        "/api/v1/projects",
        Some(&node.admin),
        project.to_string().into(),
    );
    assert_eq!(s, 201, "{v}");
    (node, p)
}

fn issue(p: &Proc, node: &NodeDir, count: usize) -> Vec<String> {
    let (s, v) = post(
        p,
        "/api/v1/projects/lib-2025/codes",
        Some(&node.admin),
        json!({"count": count}).to_string().into(),
    );
    assert_eq!(s, 201, "{v}");
    v["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

/// How many ratings the node counts for the project (k is 1 in these tests).
fn counted(p: &Proc) -> u64 {
    let v: Value = http()
        .get(p.url("/public/v1/projects"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    v["projects"][0]["score"]["n"].as_u64().unwrap_or(0)
}

/// What one attempt got: a status, or no answer (the node was gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Status(u16),
    NoAnswer,
}

fn rate(client: &reqwest::blocking::Client, api: &str, code: &str, level: u8) -> Outcome {
    let body = json!({"project": "lib-2025", "code": code, "level": level}).to_string();
    match client
        .post(format!("{api}/public/v1/ratings"))
        .header("content-type", "application/json")
        .body(body)
        .send()
    {
        Ok(r) => Outcome::Status(r.status().as_u16()),
        Err(_) => Outcome::NoAnswer,
    }
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// 50 residents rate at once, each with codes of their own, every pair of
/// neighbours also sends one shared code, and each sends one of its codes
/// twice. The node is killed with
/// SIGKILL once 100 ratings are acknowledged, while requests are in
/// flight. After the restart every acknowledged rating is there and its
/// code answers 409; sending the unanswered codes again stores each at
/// most once; in the end the node counts exactly one rating per code.
#[test]
fn fifty_raters_lose_nothing_acknowledged_across_kill_9() {
    const RATERS: usize = 50;
    const OWN: usize = 6;
    const KILL_AFTER: usize = 100;
    let root = tempfile::tempdir().unwrap();
    let (node, p) = node_with_project(
        root.path(),
        &[("k", 1.into()), ("ratings_per_minute", 0.into())],
    );
    let codes = issue(&p, &node, RATERS * OWN + RATERS);
    // Rater i first sends the codes it shares with its neighbours (both
    // send each at about the same moment), then its own codes, then its
    // first own code again.
    let plan: Vec<Vec<String>> = (0..RATERS)
        .map(|i| {
            let mut mine = vec![
                codes[RATERS * OWN + i].clone(),
                codes[RATERS * OWN + (i + RATERS - 1) % RATERS].clone(),
            ];
            mine.extend_from_slice(&codes[i * OWN..(i + 1) * OWN]);
            mine.push(codes[i * OWN].clone());
            mine
        })
        .collect();
    let acked = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(Mutex::new(Vec::<(String, Outcome, Duration)>::new()));
    let started = Instant::now();
    let api = p.api.clone();
    let raters: Vec<_> = plan
        .into_iter()
        .enumerate()
        .map(|(i, mine)| {
            let (acked, results, api) = (acked.clone(), results.clone(), api.clone());
            std::thread::spawn(move || {
                let client = http();
                for (j, code) in mine.into_iter().enumerate() {
                    let t = Instant::now();
                    let got = rate(&client, &api, &code, (1 + (i + j) % 5) as u8);
                    let took = t.elapsed();
                    if got == Outcome::Status(201) {
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    results.lock().unwrap().push((code, got, took));
                    if got == Outcome::NoAnswer {
                        break;
                    }
                }
            })
        })
        .collect();
    wait_for("100 acknowledged ratings", || {
        (acked.load(Ordering::SeqCst) >= KILL_AFTER).then_some(())
    });
    p.kill_9();
    let killed_at = started.elapsed();
    for r in raters {
        r.join().unwrap();
    }
    let results = results.lock().unwrap().clone();
    let mut by_code: BTreeMap<String, Vec<Outcome>> = BTreeMap::new();
    for (code, got, _) in &results {
        by_code.entry(code.clone()).or_default().push(*got);
    }
    let acked_codes: Vec<&String> = by_code
        .iter()
        .filter(|(_, o)| o.contains(&Outcome::Status(201)))
        .map(|(c, _)| c)
        .collect();
    // A code acknowledged once is never acknowledged twice, and every
    // answer is one of the route's.
    for (code, outcomes) in &by_code {
        let created = outcomes
            .iter()
            .filter(|o| **o == Outcome::Status(201))
            .count();
        assert!(created <= 1, "{code} was acknowledged {created} times");
        for o in outcomes {
            assert!(
                matches!(o, Outcome::Status(201 | 409) | Outcome::NoAnswer),
                "{code}: {o:?}"
            );
        }
    }
    // A code sent twice with both answered before the crash (shared by
    // neighbours, or resent): one 201 and one 409.
    let reused_both_answered = by_code
        .keys()
        .filter(|c| {
            let o = &by_code[*c];
            o.len() == 2 && !o.contains(&Outcome::NoAnswer)
        })
        .inspect(|c| {
            let mut o = by_code[*c].clone();
            o.sort_by_key(|x| format!("{x:?}"));
            assert_eq!(o, [Outcome::Status(201), Outcome::Status(409)], "{c}");
        })
        .count();
    let mut latencies: Vec<Duration> = results
        .iter()
        .filter(|(_, o, _)| matches!(o, Outcome::Status(_)))
        .map(|(_, _, t)| *t)
        .collect();
    latencies.sort();
    let answered = latencies.len();
    let acked_n = acked_codes.len();

    let p = node.start();
    let before_resend = counted(&p) as usize;
    assert!(
        before_resend >= acked_n,
        "{acked_n} ratings were acknowledged but only {before_resend} survived kill -9"
    );
    let unanswered = by_code
        .values()
        .filter(|o| o.contains(&Outcome::NoAnswer))
        .count();
    assert!(
        before_resend <= acked_n + unanswered,
        "{before_resend} stored, more than {acked_n} acknowledged and {unanswered} in flight"
    );
    let client = http();
    for code in &acked_codes {
        assert_eq!(
            rate(&client, &p.api, code, 3),
            Outcome::Status(409),
            "acknowledged code {code} after the restart"
        );
    }
    // Every code once more (the unsent, the unanswered, the acknowledged):
    // each is stored exactly once, whatever happened before.
    for code in &codes {
        let got = rate(&client, &p.api, code, 4);
        assert!(matches!(got, Outcome::Status(201 | 409)), "{code}: {got:?}");
    }
    assert_eq!(counted(&p), codes.len() as u64);
    eprintln!(
        "public rating load: {RATERS} raters, {} codes; {answered} answered before kill -9 at \
         {:.2} s ({:.0} answers/s), {acked_n} acknowledged, {before_resend} stored after restart, \
         {reused_both_answered} codes sent twice answered 201 then 409; latency p50 {:.1} ms, \
         p99 {:.1} ms",
        codes.len(),
        killed_at.as_secs_f64(),
        answered as f64 / killed_at.as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    );
    assert!(p.stop());
}

/// The rate limit counts per client address on real connections: one
/// address exhausts its allowance and gets 429 with Retry-After, another
/// address on the same machine is still served.
#[test]
fn the_rate_limit_is_per_client_address() {
    let root = tempfile::tempdir().unwrap();
    let (node, p) = node_with_project(
        root.path(),
        &[("k", 1.into()), ("ratings_per_minute", 3.into())],
    );
    let codes = issue(&p, &node, 5);
    let from = |ip: &str| {
        reqwest::blocking::Client::builder()
            .local_address(ip.parse::<IpAddr>().unwrap())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    };
    let one = from("127.0.0.1");
    // Three attempts of any outcome use the allowance: a bad code counts.
    assert_eq!(rate(&one, &p.api, "not-a-code", 5), Outcome::Status(400));
    assert_eq!(rate(&one, &p.api, &codes[0], 5), Outcome::Status(201));
    assert_eq!(rate(&one, &p.api, &codes[0], 5), Outcome::Status(409));
    let resp = one
        .post(p.url("/public/v1/ratings"))
        .header("content-type", "application/json")
        .body(json!({"project": "lib-2025", "code": codes[1], "level": 5}).to_string())
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&wait), "Retry-After {wait}");
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let problem: Value = resp.json().unwrap();
    assert_eq!(problem["status"], 429);
    // The refused code was not used: another address rates with it.
    let two = from("127.0.0.2");
    assert_eq!(rate(&two, &p.api, &codes[1], 5), Outcome::Status(201));
    assert_eq!(counted(&p), 2);
    assert!(p.stop());
}

/// Projects come from a spreadsheet like units do, one milestone a row and
/// dates as date cells; a bad cell is refused by its row and column with
/// nothing stored.
#[test]
fn projects_import_from_a_spreadsheet_and_a_bad_row_is_named() {
    let root = tempfile::tempdir().unwrap();
    let (node, p) = node_with_project(root.path(), &[]);
    let head = [
        "id",
        "name_zh",
        "name_en",
        "unit",
        "place",
        "budget",
        "period",
        "category",
        "milestone_zh",
        "milestone_en",
        "planned",
        "actual",
        "progress",
    ];
    let write = |path: &std::path::Path, unit: &str| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        for (c, h) in head.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        let rows: [[&str; 8]; 2] = [
            [
                "park-2025",
                "口袋公园",
                "Pocket park",
                unit,
                "沙溪镇",
                "",
                "2025",
                "ecology",
            ],
            ["park-2025", "", "", "", "", "", "", ""],
        ];
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    sheet.write_string(r, c as u16, *v).unwrap();
                }
            }
            let (zh, en, planned, progress) = if r == 1 {
                ("开工", "Start", (2025, 3, 1), 100.0)
            } else {
                ("竣工", "Done", (2025, 11, 30), 40.0)
            };
            sheet.write_string(r, 8, zh).unwrap();
            sheet.write_string(r, 9, en).unwrap();
            let d =
                rust_xlsxwriter::ExcelDateTime::from_ymd(planned.0, planned.1, planned.2).unwrap();
            sheet.write_datetime_with_format(r, 10, &d, &date).unwrap();
            sheet.write_number(r, 12, progress).unwrap();
        }
        sheet.write_number(1, 5, 800000.0).unwrap();
        book.save(path).unwrap();
    };
    let bad = root.path().join("bad.xlsx");
    write(&bad, "nobody");
    let out = import(&p, &node.admin, "projects", &bad);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("row 2, column unit") && err.contains("nobody"),
        "{err}"
    );
    let (_, v) = get(&p, "/api/v1/projects", &node.viewer);
    assert_eq!(v["projects"].as_array().unwrap().len(), 1, "nothing stored");

    let good = root.path().join("good.xlsx");
    write(&good, "drc");
    let out = import(&p, &node.admin, "projects", &good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, v) = get(&p, "/api/v1/projects", &node.viewer);
    let park = v["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "park-2025")
        .unwrap()
        .clone();
    assert_eq!(park["budget"], 800000.0);
    let ms = park["milestones"].as_array().unwrap();
    assert_eq!(ms.len(), 2);
    assert_eq!(ms[0]["planned"], "2025-03-01");
    assert_eq!(ms[1]["planned"], "2025-11-30");
    assert_eq!(ms[1]["progress"], 40.0);

    // A CSV with a bad budget is refused before anything is sent.
    let csv = root.path().join("bad.csv");
    std::fs::write(
        &csv,
        format!(
            "{}\nschool,学校,School,drc,城厢镇,a lot,2025,education,,,,,\n",
            head.join(",")
        ),
    )
    .unwrap();
    let out = import(&p, &node.admin, "projects", &csv);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 2, column budget"), "{err}");
    assert!(p.stop());
}

/// A resident on a phone-sized screen opens the public page, types the
/// code from their notice, chooses a level, writes a comment and sends it:
/// the page says it is recorded, the node counts it, and the same code a
/// second time is refused on the page.
#[test]
fn a_resident_rates_a_project_on_the_public_page() {
    let Some(browser) = crate::browser::chromium() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let (node, p) = node_with_project(root.path(), &[("k", 1.into())]);
    let code = issue(&p, &node, 1).remove(0);
    let mut page = crate::cdp::Page::open(&browser, &p.url("/public/#lang=zh"), 390, 844);
    page.wait_until(
        "the project list",
        "document.querySelector('main[data-ready=public] [data-project=\"lib-2025\"]')",
    );
    // Chinese first, and nothing wider than the phone's screen.
    assert_eq!(page.eval("document.documentElement.lang"), "zh-CN");
    assert_eq!(
        page.eval("document.querySelector('h1').textContent"),
        "民生项目绩效众评"
    );
    let text = page.eval("document.body.innerText");
    assert!(text.as_str().unwrap().contains("评价不足 1 条"), "{text}");
    assert_eq!(
        page.eval("document.documentElement.scrollWidth <= window.innerWidth"),
        true
    );
    // Nothing is fetched from anywhere but the node.
    let foreign = page.eval(
        "performance.getEntriesByType('resource').map(e => e.name)\
         .filter(n => !n.startsWith(location.origin)).length",
    );
    assert_eq!(foreign, 0);

    let comment = "路灯修好了 <b>谢谢</b> & 加油";
    page.click("[data-open=\"lib-2025\"]");
    page.wait_until(
        "the rating form",
        "document.querySelector('form[data-rate]')",
    );
    // The code as it might be typed from paper: lower case, with a dash.
    let typed = format!("{}-{}", &code[..6], &code[6..]).to_lowercase();
    page.type_into("form[data-rate] input[name=code]", &typed);
    page.click("label[for=\"lib-2025-l4\"]");
    page.type_into("form[data-rate] textarea", comment);
    page.click("form[data-rate] button[type=submit]");
    let result = page.wait_until(
        "the answer to the rating",
        "(() => { const s = document.querySelector('form[data-rate] .status'); \
         return s && s.dataset.result !== 'sending' && s.dataset.result; })()",
    );
    assert_eq!(result, "created");
    assert_eq!(counted(&p), 1);
    // The page reloads the scores: one rating, at level 4.
    page.wait_until(
        "the new score",
        "document.querySelector('[data-project=\"lib-2025\"] .score')",
    );
    let row = page.eval(
        "document.querySelector('[data-project=\"lib-2025\"] .dist-row[data-level=\"4\"] .dist-n').textContent",
    );
    assert_eq!(row, "1");

    // The same code again is refused, and the page says why.
    page.type_into("form[data-rate] input[name=code]", &code);
    page.click("label[for=\"lib-2025-l2\"]");
    page.click("form[data-rate] button[type=submit]");
    let result = page.wait_until(
        "the answer to the second rating",
        "(() => { const s = document.querySelector('form[data-rate] .status'); \
         return s && s.dataset.result && !['sending', 'created'].includes(s.dataset.result) && s.dataset.result; })()",
    );
    assert_eq!(result, "used");
    assert_eq!(counted(&p), 1);

    // The comment shows as the resident wrote it: as text, its markup
    // not taken for markup.
    page.click("[data-comments=\"lib-2025\"]");
    page.wait_until(
        "the comments",
        "document.querySelector('[data-project=\"lib-2025\"] .comment-box[data-loaded]')",
    );
    assert_eq!(
        page.eval(
            "document.querySelector('[data-project=\"lib-2025\"] .comment-box').dataset.loaded"
        ),
        "1"
    );
    assert_eq!(
        page.eval("document.querySelector('[data-project=\"lib-2025\"] .c-text').textContent"),
        comment
    );
    assert_eq!(
        page.eval("document.querySelectorAll('.comment-box b, .comment-box script').length"),
        0
    );

    // The English toggle.
    page.click("button[data-lang=en]");
    assert_eq!(
        page.eval("document.querySelector('h1').textContent"),
        "Public rating of livelihood projects"
    );
    drop(page);
    crate::browser::screenshot(
        &browser,
        &p.url("/public/#lang=zh"),
        &crate::browser::screenshot_dir().join("public-zh.png"),
    );
    assert!(p.stop());
}

/// The office's 众评 page on the dashboard: the project with its score and
/// distribution, the rectification task a bad rating opened, its state
/// after the unit's response, and the overdue filter.
#[test]
fn the_office_sees_scores_and_rectification_on_the_dashboard() {
    let Some(browser) = crate::browser::chromium() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let (node, p) = node_with_project(root.path(), &[("k", 2.into())]);
    let codes = issue(&p, &node, 3);
    for (code, level, comment) in [
        (&codes[0], 5, None),
        (&codes[1], 4, None),
        (&codes[2], 1, Some("阅览室太吵")),
    ] {
        let mut body = json!({"project": "lib-2025", "code": code, "level": level});
        if let Some(c) = comment {
            body["comment"] = c.into();
        }
        let (s, v) = post(&p, "/public/v1/ratings", None, body.to_string().into());
        assert_eq!(s, 201, "{v}");
    }
    let url = |extra: &str| p.url(&format!("/#/public?token={}&lang=zh{extra}", node.viewer));
    let mut page = crate::cdp::Page::open(&browser, &url(""), 1280, 900);
    page.wait_until("the 众评 page", "document.body.dataset.ready === 'public'");
    let cell = |page: &mut crate::cdp::Page, row: &str, i: usize| {
        page.eval(&format!(
            "document.querySelector('{row}').children[{i}].textContent"
        ))
    };
    let project = "tr[data-project=\"lib-2025\"]";
    // Three ratings: n, the raw mean 10/3, and the bar from level 5 to 1.
    assert_eq!(cell(&mut page, project, 3), "3");
    assert_eq!(cell(&mut page, project, 5), "3.333");
    assert_eq!(
        page.eval(&format!(
            "document.querySelector('{project} svg.levelbar').getAttribute('aria-label')"
        )),
        "1 / 1 / 0 / 0 / 1"
    );
    // The rating of 1 opened a task for the project's unit, open, not overdue.
    let task = "tr[data-task]";
    assert_eq!(
        page.eval("document.querySelectorAll('tr[data-task]').length"),
        1
    );
    assert_eq!(
        page.eval(&format!("document.querySelector('{task}').dataset.status")),
        "open"
    );
    assert_eq!(
        page.eval(&format!("document.querySelector('{task}').dataset.overdue")),
        "false"
    );
    let id = page.eval(&format!("document.querySelector('{task}').dataset.task"));
    let id = id.as_str().unwrap().to_owned();

    // The unit responds; the page shows it.
    let (s, v) = post(
        &p,
        &format!("/api/v1/tasks/{id}/response"),
        Some(&node.admin),
        json!({"text": "已设静音区", "by": "图书馆"})
            .to_string()
            .into(),
    );
    assert_eq!(s, 200, "{v}");
    page.call("Page.reload", serde_json::json!({}));
    page.wait_until(
        "the task responded",
        "document.body.dataset.ready === 'public' && \
         document.querySelector('tr[data-task]').dataset.status === 'responded'",
    );
    let shown = cell(&mut page, task, 7);
    assert!(shown.as_str().unwrap().contains("已设静音区"), "{shown}");

    // The overdue filter: nothing is overdue yet.
    page.click("a[data-filter=overdue]");
    page.wait_until(
        "the overdue view",
        "document.body.dataset.ready === 'public' && location.hash.includes('status=overdue')",
    );
    assert_eq!(
        page.eval("document.querySelectorAll('tr[data-task]').length"),
        0
    );
    assert_eq!(
        page.eval("document.querySelector('a[data-filter]').dataset.filter"),
        "all"
    );
    drop(page);
    crate::browser::screenshot(
        &browser,
        &url(""),
        &crate::browser::screenshot_dir().join("dashboard-public-zh.png"),
    );
    assert!(p.stop());
}
