//! Mutual recognition and harmonised comparison across three real nodes of
//! the tax alliance, with the sample data: crosswalks proposed by Taicang,
//! endorsed by the others over the network, comparisons that agree on every
//! node, exports and the command-line table.

use crate::support::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const CROSSWALKS: [&str; 9] = [
    "taicang.ontime",
    "taicang.satisfaction",
    "taicang.processing",
    "kunshan.ontime",
    "kunshan.satisfaction",
    "kunshan.processing",
    "jiading.ontime",
    "jiading.satisfaction",
    "jiading.processing",
];

struct Alliance {
    nodes: Vec<NodeDir>,
    procs: Vec<Proc>,
}

impl Alliance {
    /// Taicang, Kunshan and Jiading in yrd.tax (reference framework yrd.tax,
    /// recognition quorum 2 of 3), connected, each with its sample data
    /// loaded and its 2024 and 2025 summaries published.
    fn start(root: &std::path::Path) -> Alliance {
        let nodes = vec![
            NodeDir::init(root, "320585", "太仓市", "Taicang"),
            NodeDir::init(root, "320583", "昆山市", "Kunshan"),
            NodeDir::init(root, "310114", "嘉定区", "Jiading"),
        ];
        let refs: Vec<&NodeDir> = nodes.iter().collect();
        form_alliance_with(
            root,
            "yrd.tax",
            &refs,
            2,
            &[
                "--reference-framework",
                "yrd.tax",
                "--recognition-quorum",
                "2",
            ],
        );
        set_p2p(&nodes[0], &[]);
        let first = nodes[0].start();
        let bootstrap = p2p_addr(&first, &nodes[0].viewer);
        for n in &nodes[1..] {
            set_p2p(n, std::slice::from_ref(&bootstrap));
        }
        let mut procs = vec![first];
        for n in &nodes[1..] {
            procs.push(n.start());
        }
        let a = Alliance { nodes, procs };
        wait_for("Taicang to see both peers", || {
            let (_, v) = get(&a.procs[0], "/api/v1/peers", &a.nodes[0].viewer);
            (v["peers"].as_array().map_or(0, Vec::len) >= 2).then_some(())
        });
        for (i, (name, framework)) in [
            ("taicang", "taicang.hqd"),
            ("kunshan", "kunshan.perf"),
            ("jiading", "jiading.gov"),
        ]
        .into_iter()
        .enumerate()
        {
            a.load(i, name, framework);
        }
        a
    }

    fn load(&self, i: usize, name: &str, framework: &str) {
        let (p, node) = (&self.procs[i], &self.nodes[i]);
        for (kind, file) in [
            ("framework", "framework.json"),
            ("units", "units.json"),
            ("observations", "observations-2024.csv"),
            ("observations", "observations-2025.csv"),
        ] {
            let out = import(p, &node.admin, kind, &samples(name).join(file));
            assert!(
                out.status.success(),
                "{name} {file}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        for period in ["2024", "2025"] {
            let body = json!({"framework": framework, "version": "1.0.0", "period": period});
            let (s, v) = post(
                p,
                "/api/v1/summaries",
                Some(&node.admin),
                body.to_string().into_bytes(),
            );
            assert_eq!(s, 201, "{name} {period}: {v}");
        }
    }

    fn cli(&self, i: usize, args: &[&str]) -> String {
        let mut all: Vec<&str> = args.to_vec();
        all.extend([
            "--node",
            &self.procs[i].api,
            "--token",
            &self.nodes[i].admin,
        ]);
        ok(&all)
    }

    fn endorse(&self, i: usize, ids: &[&str], decision: &str) {
        let mut args = vec!["crosswalk", "endorse", "--json", "--decision", decision];
        for id in ids {
            args.extend(["--id", id]);
        }
        // --json: one answer per line, each the signed endorsement and the
        // crosswalk's state after it.
        let out = self.cli(i, &args);
        let answered: Vec<String> = out
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
                assert_eq!(v["document"]["payload"]["decision"], decision, "{v}");
                v["crosswalk"]["crosswalk"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(answered, ids, "{out}");
    }

    fn comparison(&self, i: usize, query: &str) -> Value {
        let (s, v) = get(
            &self.procs[i],
            &format!("/api/v1/comparisons?{query}"),
            &self.nodes[i].viewer,
        );
        assert_eq!(s, 200, "{v}");
        v
    }

    fn statuses(&self, i: usize) -> Vec<(String, String)> {
        let (s, v) = get(&self.procs[i], "/api/v1/crosswalks", &self.nodes[i].viewer);
        assert_eq!(s, 200, "{v}");
        v["crosswalks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["crosswalk"]["id"].as_str().unwrap().to_owned(),
                    c["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn wait_recognised(&self, i: usize, n: usize) {
        wait_for(
            &format!("{} to see {n} recognised crosswalks", self.nodes[i].code),
            || {
                let recognised = self
                    .statuses(i)
                    .iter()
                    .filter(|(_, s)| s == "recognised")
                    .count();
                (recognised == n).then_some(())
            },
        );
    }

    /// Waits until every node holds the same documents.
    fn wait_same_documents(&self) -> BTreeSet<String> {
        wait_for("every node to hold the same documents", || {
            let sets: Vec<BTreeSet<String>> = (0..3)
                .map(|i| held(&self.procs[i], &self.nodes[i].viewer, None))
                .collect();
            (sets[0] == sets[1] && sets[1] == sets[2]).then(|| sets[0].clone())
        })
    }
}

fn rows(c: &Value) -> Vec<&Value> {
    c["rows"].as_array().unwrap().iter().collect()
}

fn row<'a>(c: &'a Value, code: &str) -> &'a Value {
    rows(c)
        .into_iter()
        .find(|r| r["jurisdiction"] == code)
        .unwrap_or_else(|| panic!("no row for {code} in {c}"))
}

const ONTIME: &str = "indicator=yrd.tax/ontime_filing_rate&period=2025";

#[test]
fn crosswalks_are_recognised_and_every_node_gives_the_same_comparison() {
    let root = tempfile::tempdir().unwrap();
    let a = Alliance::start(root.path());

    // Taicang publishes the alliance's reference framework and, once it holds
    // the others' frameworks, proposes the nine crosswalks.
    let reference = std::fs::read(samples("yrd.tax").join("framework.json")).unwrap();
    let (s, v) = post(
        &a.procs[0],
        "/api/v1/frameworks",
        Some(&a.nodes[0].admin),
        reference,
    );
    assert_eq!(s, 201, "{v}");
    for f in ["kunshan.perf", "jiading.gov"] {
        wait_for(&format!("Taicang to hold {f}"), || {
            let (s, _) = get(
                &a.procs[0],
                &format!("/api/v1/frameworks/{f}"),
                &a.nodes[0].viewer,
            );
            (s == 200).then_some(())
        });
    }
    let files: Vec<String> = CROSSWALKS
        .iter()
        .map(|id| {
            samples("yrd.tax")
                .join("crosswalks")
                .join(format!("{id}.json"))
                .display()
                .to_string()
        })
        .collect();
    let mut args = vec!["crosswalk", "propose", "--json"];
    for f in &files {
        args.extend(["--file", f]);
    }
    let out = a.cli(0, &args);
    let proposed: Vec<String> = out
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            assert_eq!(v["hash"].as_str().map(str::len), Some(64), "{v}");
            v["document"]["payload"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(proposed, CROSSWALKS, "{out}");

    // Proposed and accepted by Taicang alone, each is pending: the source
    // owner (or, for Taicang's own, a second member) has not accepted.
    let statuses = a.statuses(0);
    assert_eq!(statuses.len(), 9);
    assert!(statuses.iter().all(|(_, s)| s == "pending"), "{statuses:?}");

    // Kunshan and Jiading endorse, Kunshan all but its on-time mapping.
    for i in 1..3 {
        wait_for(
            &format!("{} to hold the crosswalks", a.nodes[i].code),
            || (a.statuses(i).len() == 9).then_some(()),
        );
    }
    let all_but: Vec<&str> = CROSSWALKS
        .iter()
        .copied()
        .filter(|id| *id != "kunshan.ontime")
        .collect();
    a.endorse(1, &all_but, "accept");
    a.endorse(2, &CROSSWALKS, "accept");
    a.wait_recognised(0, 8);

    // Without Kunshan's endorsement its row is flagged and unranked.
    let before = a.comparison(0, ONTIME);
    let k = row(&before, "320583");
    assert_eq!(k["flags"], json!(["unrecognised"]), "{k}");
    assert!(k.get("rank").is_none(), "{k}");
    assert_eq!(k["crosswalk"]["status"], "pending");
    let ranked_before: Vec<&Value> = rows(&before)
        .into_iter()
        .filter(|r| r.get("rank").is_some())
        .collect();
    assert_eq!(ranked_before.len(), 2);

    // With it, all three rank.
    a.endorse(1, &["kunshan.ontime"], "accept");
    for i in 0..3 {
        a.wait_recognised(i, 9);
    }
    a.wait_same_documents();
    let c = a.comparison(0, ONTIME);
    assert_eq!(c["unit"], "%");
    assert_eq!(c["direction"], "higher_is_better");
    let ranked: Vec<&Value> = rows(&c);
    assert_eq!(ranked.len(), 3);
    let mut ranks: Vec<u64> = ranked.iter().map(|r| r["rank"].as_u64().unwrap()).collect();
    ranks.sort();
    assert_eq!(ranks, [1, 2, 3], "{c}");
    assert_ne!(
        before["manifest"], c["manifest"],
        "the endorsement is an input"
    );
    // The ranking changed: Kunshan entered it, and the others' ranks or
    // scores moved with it.
    assert_ne!(
        ranked_before
            .iter()
            .map(|r| (
                r["jurisdiction"].clone(),
                r["rank"].clone(),
                r["minmax"].clone()
            ))
            .collect::<Vec<_>>(),
        ranked
            .iter()
            .filter(|r| r["jurisdiction"] != "320583")
            .map(|r| (
                r["jurisdiction"].clone(),
                r["rank"].clone(),
                r["minmax"].clone()
            ))
            .collect::<Vec<_>>()
    );
    // Rank 1 has the highest value (higher is better), and each row's
    // z-scores and min-max agree with the values.
    let values: Vec<f64> = ranked
        .iter()
        .map(|r| r["value"].as_f64().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    assert_eq!(ranked[0]["minmax"], 100.0);
    assert_eq!(ranked[2]["minmax"], 0.0);
    let z: f64 = ranked.iter().map(|r| r["z_score"].as_f64().unwrap()).sum();
    assert!(z.abs() < 1e-9, "z-scores sum to 0: {z}");
    // Real conversions: Taicang's ratio becomes %, the others are in % already.
    let t = row(&c, "320585");
    let ratio = t["source_value"].as_f64().unwrap();
    assert!(ratio <= 1.0, "Taicang reports a ratio: {t}");
    assert!((t["value"].as_f64().unwrap() - 100.0 * ratio).abs() < 1e-9);
    assert_eq!(t["source_indicator"], "taicang.hqd/tax_ontime");
    assert_eq!(t["crosswalk"]["relation"], "exact");
    assert_eq!(t["crosswalk"]["recognised"], true);
    for code in ["320583", "310114"] {
        let r = row(&c, code);
        assert_eq!(r["value"], r["source_value"], "{r}");
        assert!(r["previous_value"].as_f64().is_some(), "2024 is held: {r}");
    }
    // Provenance: each row's document is that member's signed 2025 summary.
    for r in &ranked {
        let (s, d) = get(
            &a.procs[0],
            &format!("/api/v1/documents/{}", r["document"].as_str().unwrap()),
            &a.nodes[0].viewer,
        );
        assert_eq!(s, 200);
        assert_eq!(d["issuer"], r["jurisdiction"]);
        assert_eq!(d["payload"]["period"], "2025");
    }
    // Every node gives the same answer, manifest included.
    for i in 1..3 {
        assert_eq!(a.comparison(i, ONTIME), c, "node {}", a.nodes[i].code);
    }

    // CSV and SDMX-CSV carry the same rows.
    for (format, first, value_col) in [("csv", "jurisdiction", 1), ("sdmx-csv", "STRUCTURE", 6)] {
        let resp = http()
            .get(a.procs[1].url(&format!("/api/v1/comparisons?{ONTIME}&format={format}")))
            .bearer_auth(&a.nodes[1].viewer)
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let text = resp.text().unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with(first), "{text}");
        assert_eq!(lines.len(), 4, "{text}");
        let code_col = if format == "csv" { 0 } else { 3 };
        for (line, r) in lines[1..].iter().zip(&ranked) {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells[code_col], r["jurisdiction"].as_str().unwrap());
            // Rounded to 10 significant digits (the JSON has the double).
            let v: f64 = cells[value_col].parse().unwrap();
            let exact = r["value"].as_f64().unwrap();
            assert_eq!(
                cells[value_col],
                deltabench_api::export::round10(exact),
                "{line}"
            );
            assert!((v - exact).abs() <= exact.abs() * 5e-10, "{line}");
        }
    }

    // Every node offers the two periods published.
    for i in 0..3 {
        let (s, v) = get(&a.procs[i], "/api/v1/periods", &a.nodes[i].viewer);
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["periods"], json!(["2024", "2025"]), "{v}");
    }

    // The command line prints the same comparison as JSON and as a table.
    let printed = ok(&[
        "compare",
        "--json",
        "--node",
        &a.procs[2].api,
        "--token",
        &a.nodes[2].viewer,
        "--indicator",
        "yrd.tax/ontime_filing_rate",
        "--period",
        "2025",
    ]);
    let printed: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(printed, c);
    let table = ok(&[
        "compare",
        "--node",
        &a.procs[2].api,
        "--token",
        &a.nodes[2].viewer,
        "--indicator",
        "yrd.tax/ontime_filing_rate",
        "--period",
        "2025",
    ]);
    assert!(table.contains(c["manifest"].as_str().unwrap()), "{table}");
    for r in &ranked {
        let line = table
            .lines()
            .find(|l| l.contains(r["jurisdiction"].as_str().unwrap()))
            .unwrap_or_else(|| panic!("{table}"));
        assert!(line.starts_with(&r["rank"].to_string()), "{line} vs {r}");
    }

    // Satisfaction: Kunshan's 1-5 survey rescaled; Jiading's dissatisfaction
    // share is only a close match, so its row is flagged and unranked.
    let sat = a.comparison(0, "indicator=yrd.tax/service_satisfaction&period=2025");
    let k = row(&sat, "320583");
    let x = k["source_value"].as_f64().unwrap();
    assert!(
        (k["value"].as_f64().unwrap() - (x - 1.0) * 25.0).abs() < 1e-9,
        "{k}"
    );
    let j = row(&sat, "310114");
    assert_eq!(j["flags"], json!(["not_exact"]));
    assert!(j.get("rank").is_none());
    assert!(
        (j["value"].as_f64().unwrap() - (100.0 - j["source_value"].as_f64().unwrap())).abs() < 1e-9
    );
    // Processing: Kunshan's hours become days; lower is better.
    let days = a.comparison(0, "indicator=yrd.tax/avg_processing_days&period=2025");
    assert_eq!(days["direction"], "lower_is_better");
    let k = row(&days, "320583");
    assert!(
        (k["value"].as_f64().unwrap() - k["source_value"].as_f64().unwrap() / 24.0).abs() < 1e-9
    );
    let best = rows(&days).into_iter().find(|r| r["rank"] == 1).unwrap();
    let lowest = rows(&days)
        .iter()
        .map(|r| r["value"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(best["value"].as_f64().unwrap(), lowest);

    // A composite of the three: Jiading has only a flagged satisfaction
    // value, so by default it is excluded, said to be for that flag (not as
    // lacking the value); with flagged rows it takes part.
    let spec = |extra: Value| {
        let mut s = json!({"period": "2025", "indicators": [
            {"indicator": "yrd.tax/ontime_filing_rate", "weight": 2},
            {"indicator": "yrd.tax/service_satisfaction", "weight": 1},
            {"indicator": "yrd.tax/avg_processing_days", "weight": 1}],
            "draws": 500, "seed": 7});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s.to_string().into_bytes()
    };
    let (s, comp) = post(
        &a.procs[0],
        "/api/v1/composites",
        Some(&a.nodes[0].viewer),
        spec(json!({})),
    );
    assert_eq!(s, 200, "{comp}");
    assert_eq!(comp["rows"].as_array().unwrap().len(), 2, "{comp}");
    assert_eq!(comp["excluded"][0]["jurisdiction"], "310114");
    assert_eq!(comp["excluded"][0]["lacks"], json!([]), "{comp}");
    assert_eq!(
        comp["excluded"][0]["flagged"],
        json!(["yrd.tax/service_satisfaction"]),
        "{comp}"
    );
    let all = spec(json!({"include_flagged": true}));
    let (s, comp) = post(
        &a.procs[0],
        "/api/v1/composites",
        Some(&a.nodes[0].viewer),
        all.clone(),
    );
    assert_eq!(s, 200, "{comp}");
    let crows = comp["rows"].as_array().unwrap();
    assert_eq!(crows.len(), 3, "{comp}");
    for r in crows {
        let (rank, lo, hi) = (
            r["rank"].as_u64().unwrap(),
            r["rank_interval"][0].as_u64().unwrap(),
            r["rank_interval"][1].as_u64().unwrap(),
        );
        assert!(
            (1..=3).contains(&rank) && 1 <= lo && lo <= hi && hi <= 3,
            "{r}"
        );
        assert!(r["index"].as_f64().is_some());
    }
    // The same seed gives the same result, on another node too.
    let (_, again) = post(
        &a.procs[2],
        "/api/v1/composites",
        Some(&a.nodes[2].viewer),
        all,
    );
    assert_eq!(again, comp);

    // Kunshan withdraws its acceptance: the crosswalk is rejected, stops being
    // used, and the comparison says why Kunshan has no row.
    a.endorse(1, &["kunshan.ontime"], "reject");
    wait_for("Taicang to see the rejection", || {
        a.statuses(0)
            .iter()
            .any(|(id, s)| id == "kunshan.ontime" && s == "rejected")
            .then_some(())
    });
    let after = a.comparison(0, ONTIME);
    assert_eq!(rows(&after).len(), 2, "{after}");
    let missing = &after["missing"][0];
    assert_eq!(missing["jurisdiction"], "320583");
    assert!(
        missing["reason"].as_str().unwrap().contains("rejected"),
        "{missing}"
    );
    let (s, rejected) = get(
        &a.procs[0],
        "/api/v1/crosswalks?status=rejected",
        &a.nodes[0].viewer,
    );
    assert_eq!(s, 200);
    assert_eq!(rejected["crosswalks"].as_array().unwrap().len(), 1);
    let (s, bad) = get(
        &a.procs[0],
        "/api/v1/crosswalks?status=maybe",
        &a.nodes[0].viewer,
    );
    assert_eq!(s, 400, "{bad}");
}
