//! The dashboard in a real browser: headless Chromium loads each page from a
//! running node, the test reads the rendered DOM, and a screenshot of every
//! page is left under `target/dashboard/`.
//!
//! Chromium is found as `$DELTABENCH_CHROMIUM`, `chromium`,
//! `chromium-browser` or `google-chrome`. Without one the check is skipped
//! with a message, unless `DELTABENCH_REQUIRE_BROWSER` is set (as `.ci/run`
//! sets it, after installing Debian's `chromium`), in which case it fails.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long one page may take to load and render before the test fails.
const PAGE_TIMEOUT: Duration = Duration::from_secs(120);

/// The jurisdictions of the demo federation.
pub const CODES: [&str; 3] = ["320585", "320583", "310114"];

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DELTABENCH_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// The browser, or None when the check may be skipped.
pub fn chromium() -> Option<PathBuf> {
    match find_chromium() {
        Some(p) => Some(p),
        None if std::env::var_os("DELTABENCH_REQUIRE_BROWSER").is_some() => {
            panic!("DELTABENCH_REQUIRE_BROWSER is set but no Chromium was found")
        }
        None => {
            eprintln!(
                "SKIPPED the dashboard browser check: no chromium on PATH \
                 (install Debian's chromium, or set DELTABENCH_CHROMIUM)"
            );
            None
        }
    }
}

/// Where screenshots go: `target/dashboard/`, beside the test binary's
/// `target/debug`.
pub fn screenshot_dir() -> PathBuf {
    let bin = Path::new(crate::support::bin());
    let target = bin
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map(Path::to_path_buf)
        .unwrap_or_else(|| bin.parent().unwrap().to_path_buf());
    let dir = target.join("dashboard");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs Chromium headless on `url` with `mode` (`--dump-dom` or
/// `--screenshot=FILE`), bounded by [`PAGE_TIMEOUT`]; the browser is killed
/// if it overruns, and the test fails.
fn run(browser: &Path, url: &str, mode: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--no-pdf-header-footer",
            "--disable-crash-reporter",
            "--disable-breakpad",
            "--window-size=1280,1100",
            // Time for the page's requests to the node and its rendering.
            "--virtual-time-budget=30000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(mode)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a browser that overruns is killed
        // with every helper process it started.
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(PAGE_TIMEOUT) {
        Ok(out) => {
            let out = out.expect("chromium output");
            assert!(
                out.status.success(),
                "chromium failed on {url}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
        Err(_) => {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            panic!("chromium did not finish {url} within {PAGE_TIMEOUT:?}");
        }
    }
}

/// How many pages a page prints on (A4, by the dashboard's print
/// stylesheet): Chromium prints it to a PDF, whose page objects are counted.
pub fn printed_pages(browser: &Path, url: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("page.pdf");
    run(browser, url, &format!("--print-to-pdf={}", pdf.display()));
    let bytes = std::fs::read(&pdf).expect("the printed PDF");
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    // Each page is an object of `/Type /Page` (the tree's root is `/Pages`).
    bytes
        .windows(10)
        .enumerate()
        .filter(|(i, w)| {
            *w == b"/Type /Pag"
                && bytes.get(i + 10) == Some(&b'e')
                && bytes.get(i + 11) != Some(&b's')
        })
        .count()
}

/// The rendered DOM of a page.
pub fn dom(browser: &Path, url: &str) -> String {
    run(browser, url, "--dump-dom")
}

/// Saves a screenshot of a page to `file`. Chromium writes to a name of
/// this process's own, renamed into place once checked, so that two runs of
/// the suite at once never read each other's half-written file.
pub fn screenshot(browser: &Path, url: &str, file: &Path) {
    let own = file.with_extension(format!("{}.png", std::process::id()));
    let _ = std::fs::remove_file(&own);
    run(browser, url, &format!("--screenshot={}", own.display()));
    let size = std::fs::metadata(&own).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "{} is {size} bytes", own.display());
    std::fs::rename(&own, file).expect("move the screenshot into place");
}

/// Checks every page of the dashboard of the node at `api`, reading with a
/// viewer token, and leaves a screenshot of each under `target/dashboard/`.
pub fn check_dashboard(api: &str, viewer: &str) {
    let Some(browser) = chromium() else { return };
    let shots = screenshot_dir();
    let indicator = "yrd.tax/ontime_filing_rate";
    let page = |name: &str, lang: &str| {
        format!("{api}/#/{name}?token={viewer}&lang={lang}&indicator={indicator}&period=2025")
    };

    // The comparison page shows all three jurisdictions, each with a row in
    // the comparison table and a bar in the SVG chart.
    let html = dom(&browser, &page("comparison", "en"));
    assert!(
        html.contains(r#"data-ready="comparison""#),
        "the comparison page did not finish loading: {}",
        tail(&html)
    );
    assert!(!html.contains("data-error="), "{}", tail(&html));
    let table = element(&html, "comparison-table", "table")
        .unwrap_or_else(|| panic!("no comparison table: {}", tail(&html)));
    let chart = element(&html, r#"class="chart""#, "svg")
        .unwrap_or_else(|| panic!("no SVG chart: {}", tail(&html)));
    assert_eq!(table.matches("<tr ").count(), 3, "{table}");
    assert_eq!(chart.matches(r#"<g class="bar"#).count(), 3, "{chart}");
    for code in CODES {
        let attr = format!(r#"data-jurisdiction="{code}""#);
        assert!(table.contains(&attr), "no table row for {code}: {table}");
        assert!(chart.contains(&attr), "no bar for {code}: {chart}");
    }
    // Bars start from zero (the axis has a 0 tick), so that their lengths
    // compare as the values do.
    assert!(
        chart.contains(r#"class="tick">0</text>"#),
        "the bar chart's axis does not start at 0: {chart}"
    );
    // The frontier the card states is drawn, beside the median.
    for mark in ["frontier", "median"] {
        assert!(
            chart.contains(&format!(r#"class="{mark}""#)),
            "no {mark} line: {chart}"
        );
    }
    // The card counts the ranked members only; flagged rows are not ranked.
    let cmp: serde_json::Value = crate::support::http()
        .get(format!(
            "{api}/api/v1/comparisons?indicator={indicator}&period=2025"
        ))
        .bearer_auth(viewer)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let answer_rows = cmp["rows"].as_array().unwrap();
    let ranked = answer_rows.iter().filter(|r| r["rank"].is_u64()).count();
    let all = answer_rows.len() + cmp["missing"].as_array().map_or(0, Vec::len);
    let card = format!(
        r#"<div class="kpi-label">Ranked</div><div class="kpi-value">{ranked}<span class="kpi-unit"> / {all}</span>"#
    );
    assert!(html.contains(&card), "no {card} in {}", tail(&html));

    // A link may sort the table and filter it; the chart follows the filter.
    for (dir, want) in [
        ("asc", ["310114", "320583", "320585"]),
        ("desc", ["320585", "320583", "310114"]),
    ] {
        let html = dom(
            &browser,
            &format!("{}&sort=jurisdiction&dir={dir}", page("comparison", "en")),
        );
        let table = loaded_table(&html, "comparison");
        let order: Vec<String> = rows(table).into_iter().map(|(code, _)| code).collect();
        assert_eq!(order, want, "sorted by name, {dir}: {table}");
        let sort = if dir == "asc" {
            "ascending"
        } else {
            "descending"
        };
        assert!(
            table.contains(&format!(r#"data-sort="jurisdiction" aria-sort="{sort}""#))
                || table.contains(&format!(r#"aria-sort="{sort}" data-sort="jurisdiction""#)),
            "the sorted column says so: {table}"
        );
    }
    let html = dom(&browser, &format!("{}&q=kunshan", page("comparison", "en")));
    let table = loaded_table(&html, "comparison");
    assert_eq!(visible(table), ["320583"], "{table}");
    let chart = element(&html, r#"class="chart""#, "svg").expect("a chart");
    assert_eq!(chart.matches(r#"<g class="bar"#).count(), 1, "{chart}");
    assert!(html.contains(r#"id="filter-rows""#), "the search box");

    // Every other page loads without an error, in both languages.
    for (name, lang) in [
        ("overview", "en"),
        ("trend", "en"),
        ("recognition", "en"),
        ("composite", "en"),
        ("composite", "zh"),
        ("comparison", "zh"),
        ("twin", "zh"),
        ("whatif", "en"),
        ("hotline", "zh"),
    ] {
        let html = dom(&browser, &page(name, lang));
        assert!(
            html.contains(&format!(r#"data-ready="{name}""#)),
            "the {name} page ({lang}) did not finish loading: {}",
            tail(&html)
        );
        assert!(!html.contains("data-error="), "{name}: {}", tail(&html));
        let (html_lang, label) = match lang {
            "zh" => (r#"<html lang="zh-CN""#, "横向比较"),
            _ => (r#"<html lang="en""#, "Comparison"),
        };
        assert!(
            html.contains(html_lang),
            "{name} in {lang}: {}",
            tail(&html)
        );
        assert!(html.contains(label), "{name} in {lang} lacks {label:?}");
        match name {
            "overview" => {}
            // The twin draws a fan chart per forecast; the what-if page
            // has its form until it is run.
            "twin" => assert!(
                element(&html, r#"class="fanchart"#, "svg").is_some(),
                "no fan chart on the twin page"
            ),
            "whatif" => assert!(
                html.contains(r#"data-action="run""#),
                "no run button on the what-if page"
            ),
            // Without a period the hotline page shows the latest year with
            // requests (the demo's 2025): the hexagons, and every city's
            // signed summary.
            "hotline" => {
                assert!(
                    element(&html, r#"class="hexmap"#, "svg").is_some(),
                    "no heat map on the hotline page: {}",
                    tail(&html)
                );
                assert_eq!(
                    html.matches("<tr data-issuer=").count(),
                    3,
                    "every city's hotline summary: {}",
                    tail(&html)
                );
            }
            _ => assert!(
                element(&html, r#"class="chart"#, "svg").is_some(),
                "no chart on the {name} page"
            ),
        }
        if name == "overview" {
            // A kind the node holds no document of has no column: the
            // roster in force from the configuration is no document.
            let rosters: serde_json::Value = crate::support::http()
                .get(format!("{api}/api/v1/documents?kind=roster"))
                .bearer_auth(viewer)
                .send()
                .unwrap()
                .json()
                .unwrap();
            let held = !rosters["documents"].as_array().unwrap().is_empty();
            assert_eq!(
                html.contains(">Roster<"),
                held,
                "roster documents held: {held}"
            );
            assert!(html.contains(">Summary<"), "{}", tail(&html));
        }
        if name == "composite" && lang == "en" {
            // Jiading has only a flagged satisfaction value: it is left out
            // for that flag, not said to lack the value.
            let left_out = element(&html, r#"data-jurisdiction="310114""#, "li")
                .unwrap_or_else(|| panic!("Jiading is not left out: {}", tail(&html)));
            assert!(
                left_out.contains("only a flagged value") && !left_out.contains("lacks"),
                "{left_out}"
            );
            // Two members: the intervals and their indices sit together,
            // not spread over the chart's whole width (960 units; the
            // labels stood at 826 before).
            let chart = element(&html, r#"class="chart"#, "svg").unwrap();
            let xs: Vec<f64> = chart
                .split("<text ")
                .filter(|t| t.contains(r#"class="value""#))
                .filter_map(|t| t.split(r#"x=""#).nth(1)?.split('"').next()?.parse().ok())
                .collect();
            assert_eq!(xs.len(), 2, "{chart}");
            assert!(xs.iter().all(|x| *x < 600.0), "index labels at {xs:?}");
        }
        if name == "composite" {
            // The method sentence in the page's language.
            let method = element(&html, r#"class="method""#, "div")
                .unwrap_or_else(|| panic!("no method on the composite page: {}", tail(&html)));
            let (want, not) = match lang {
                "zh" => ("排名区间为", "rank intervals are"),
                _ => ("rank intervals are", "排名区间为"),
            };
            assert!(
                method.contains(want) && !method.contains(not),
                "{lang}: {method}"
            );
        }
    }

    // A comparison prints on one A4 page, in both languages.
    for lang in ["en", "zh"] {
        let pages = printed_pages(&browser, &page("comparison", lang));
        assert_eq!(pages, 1, "the {lang} comparison prints on {pages} pages");
    }

    for (name, lang) in [
        ("overview", "en"),
        ("comparison", "en"),
        ("comparison", "zh"),
        ("trend", "en"),
        ("recognition", "en"),
        ("composite", "en"),
    ] {
        screenshot(
            &browser,
            &page(name, lang),
            &shots.join(format!("{name}-{lang}.png")),
        );
    }
}

/// Checks the comparison and composite pages of a node that compares many
/// members (`codes`, at least a dozen): one row and one bar per member, a
/// name query that matches `found`, and the composite's rank intervals.
/// Screenshots go to `target/dashboard/PREFIX-*.png`.
pub fn check_long_dashboard(
    api: &str,
    viewer: &str,
    indicator: &str,
    period: &str,
    codes: &[&str],
    (query, found): (&str, &[&str]),
    prefix: &str,
) {
    let Some(browser) = chromium() else { return };
    let shots = screenshot_dir();
    let page = |name: &str, extra: &str| {
        format!(
            "{api}/#/{name}?token={viewer}&lang=en&indicator={indicator}&period={period}{extra}"
        )
    };
    let html = dom(&browser, &page("comparison", ""));
    let table = loaded_table(&html, "comparison");
    let chart = element(&html, r#"class="chart""#, "svg")
        .unwrap_or_else(|| panic!("no SVG chart: {}", tail(&html)));
    assert_eq!(table.matches("<tr ").count(), codes.len(), "{table}");
    assert_eq!(
        chart.matches(r#"<g class="bar"#).count(),
        codes.len(),
        "one bar per member"
    );
    assert!(html.contains(r#"class="scroll-y""#), "a long chart scrolls");
    for code in codes {
        let attr = format!(r#"data-jurisdiction="{code}""#);
        assert!(table.contains(&attr), "no table row for {code}");
        assert!(chart.contains(&attr), "no bar for {code}");
    }

    let html = dom(&browser, &page("comparison", &format!("&q={query}")));
    let table = loaded_table(&html, "comparison");
    let mut shown = visible(table);
    shown.sort();
    let mut want: Vec<String> = found.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(shown, want, "the rows matching {query:?}");
    let chart = element(&html, r#"class="chart""#, "svg").expect("a chart");
    assert_eq!(chart.matches(r#"<g class="bar"#).count(), found.len());

    let html = dom(&browser, &page("composite", ""));
    assert!(
        html.contains(r#"data-ready="composite""#),
        "the composite page did not finish loading: {}",
        tail(&html)
    );
    assert!(!html.contains("data-error="), "{}", tail(&html));
    let intervals = html.matches(r#"<g class="interval""#).count();
    assert_eq!(intervals, codes.len(), "one rank interval per member");

    screenshot(
        &browser,
        &page("comparison", ""),
        &shots.join(format!("{prefix}-comparison-en.png")),
    );
    screenshot(
        &browser,
        &page("composite", ""),
        &shots.join(format!("{prefix}-composite-en.png")),
    );
}

/// The comparison (or composite) table of a page that finished loading.
fn loaded_table<'a>(html: &'a str, page: &str) -> &'a str {
    assert!(
        html.contains(&format!(r#"data-ready="{page}""#)),
        "the {page} page did not finish loading: {}",
        tail(html)
    );
    assert!(!html.contains("data-error="), "{}", tail(html));
    element(html, &format!("{page}-table"), "table")
        .unwrap_or_else(|| panic!("no {page} table: {}", tail(html)))
}

/// The rows of a table in order: each one's jurisdiction and whether it is
/// hidden by the filter.
fn rows(table: &str) -> Vec<(String, bool)> {
    table
        .split("<tr ")
        .skip(1)
        .filter_map(|row| {
            let attrs = &row[..row.find('>')?];
            let code = attrs
                .split(r#"data-jurisdiction=""#)
                .nth(1)?
                .split('"')
                .next()?;
            Some((code.to_owned(), attrs.contains("hidden")))
        })
        .collect()
}

/// The jurisdictions of the rows the filter shows, in order.
fn visible(table: &str) -> Vec<String> {
    rows(table)
        .into_iter()
        .filter(|(_, hidden)| !hidden)
        .map(|(code, _)| code)
        .collect()
}

/// The whole element `<tag ...>...</tag>` whose opening tag holds `marker`
/// (elements of the same tag are not nested in the ones looked for here).
fn element<'a>(html: &'a str, marker: &str, tag: &str) -> Option<&'a str> {
    let at = html.find(marker)?;
    let start = html[..at].rfind(&format!("<{tag}"))?;
    let close = format!("</{tag}>");
    let end = html[at..].find(&close)? + at + close.len();
    Some(&html[start..end])
}

fn tail(html: &str) -> &str {
    let start = html.len().saturating_sub(3000);
    let start = (start..html.len())
        .find(|&i| html.is_char_boundary(i))
        .unwrap_or(html.len());
    &html[start..]
}
