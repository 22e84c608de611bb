//! Whole-node scenarios: real `deltabench` processes on loopback, driven through
//! the command line and the HTTP API as an office would drive them.

mod browser;
mod cdp;
mod delta;
mod demo;
mod faults;
mod federation;
mod harmonise;
mod hotline;
mod public;
mod rosters;
mod support;
mod twin;

use serde_json::Value;
use support::*;

fn three(root: &std::path::Path) -> (NodeDir, NodeDir, NodeDir) {
    (
        NodeDir::init(root, "320585", "太仓市", "Taicang"),
        NodeDir::init(root, "320583", "昆山市", "Kunshan"),
        NodeDir::init(root, "310114", "嘉定区", "Jiading"),
    )
}

#[test]
fn init_then_run_serves_health_and_the_node() {
    let root = tempfile::tempdir().unwrap();
    let t = NodeDir::init(root.path(), "320585", "太仓市", "Taicang");
    let p = t.start();
    let resp = http().get(p.url("/healthz")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (s, node) = get(&p, "/api/v1/node", &t.viewer);
    assert_eq!(s, 200);
    assert_eq!(node["jurisdiction"]["code"], "320585");
    assert_eq!(node["jurisdiction"]["name_zh"], "太仓市");
    assert_eq!(node["public_key"], t.public_key.as_str());
    assert!(node["peer_id"].as_str().unwrap().starts_with("12D3KooW"));
    // init signed the declaration: the first link of the chain.
    let (_, docs) = get(&p, "/api/v1/documents?kind=jurisdiction", &t.viewer);
    assert_eq!(docs["documents"][0]["seq"], 1);
    assert_eq!(docs["documents"][0]["issuer"], "320585");
    assert!(p.stop(), "graceful stop exits 0");
}

#[test]
fn log_format_json_writes_one_json_object_per_line() {
    let root = tempfile::tempdir().unwrap();
    let t = NodeDir::init(root.path(), "320585", "太仓市", "Taicang");
    let p = Proc::start_with(&t.config, &["--log-format", "json"]);
    let (s, _) = get(&p, "/api/v1/node", &t.viewer);
    assert_eq!(s, 200);
    let first = p
        .next_stderr_line(std::time::Duration::from_secs(30))
        .expect("the node logs its start");
    let mut lines = vec![first];
    lines.extend(p.stderr_text().lines().map(str::to_owned));
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string(), "{v}");
        assert!(v["timestamp"].is_string(), "{v}");
        assert!(v["fields"].is_object(), "{v}");
    }
    assert!(p.stop(), "graceful stop exits 0");
}

#[test]
fn a_bundle_moves_between_members_and_tampered_copies_are_rejected() {
    let root = tempfile::tempdir().unwrap();
    let (t, k, j) = three(root.path());
    form_alliance(root.path(), "yrd.tax", &[&t, &k, &j], 2);
    let (pt, pk) = (t.start(), k.start());
    let (_, node) = get(&pt, "/api/v1/node", &t.viewer);
    assert_eq!(node["alliances"][0]["id"], "yrd.tax");
    assert_eq!(node["alliances"][0]["members"].as_array().unwrap().len(), 3);

    // Kunshan's chain: its declaration and five more documents.
    let (_, head) = get(&pk, "/api/v1/documents?issuer=320583", &k.viewer);
    let more = extend_chain(&k, &head["documents"][0], 5);
    let (s, report) = post(&pk, "/api/v1/bundle", Some(&k.admin), bundle_of(&more));
    assert_eq!((s, report["accepted"].as_u64()), (200, Some(5)), "{report}");
    let exported = bundle(&pk, &k.viewer);

    // Writes need an admin token.
    let (s, problem) = post(&pt, "/api/v1/bundle", None, exported.clone());
    assert_eq!(s, 401, "{problem}");
    assert_eq!(problem["status"], 401);
    let (s, problem) = post(&pt, "/api/v1/bundle", Some(&t.viewer), exported.clone());
    assert_eq!(s, 403, "{problem}");

    // A copy with a changed signed byte in every document: each rejected.
    let docs: Vec<Value> = serde_json::from_slice::<Value>(&exported).unwrap()["documents"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(docs.len(), 6);
    let tampered: Vec<Vec<u8>> = docs
        .iter()
        .map(|d| {
            let mut d = d.clone();
            match d["kind"].as_str().unwrap() {
                "jurisdiction" => d["payload"]["name_en"] = "Kunshan!".into(),
                _ => d["payload"]["comment"] = "altered".into(),
            }
            serde_json::to_vec(&d).unwrap()
        })
        .collect();
    let (s, report) = post(&pt, "/api/v1/bundle", Some(&t.admin), bundle_of(&tampered));
    assert_eq!(s, 200);
    assert_eq!(report["accepted"], 0);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 6, "{report}");
    for (i, r) in rejected.iter().enumerate() {
        assert_eq!(r["index"], i);
        assert_eq!(r["reason"], "bad_signature");
    }

    // The genuine bundle is accepted whole.
    let (s, report) = post(&pt, "/api/v1/bundle", Some(&t.admin), exported);
    assert_eq!(s, 200);
    assert_eq!(
        report,
        serde_json::json!({"accepted": 6, "duplicates": 0, "pending": 0, "rejected": []})
    );
    let (_, held) = get(&pt, "/api/v1/documents?issuer=320583", &t.viewer);
    assert_eq!(held["documents"].as_array().unwrap().len(), 6);

    // The refusals are counted by reason in /metrics and in the evidence.
    let metrics = http()
        .get(pt.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("deltabench_documents_rejected_total{reason=\"bad_signature\"} 6"),
        "{metrics}"
    );
    let (_, ev) = get(&pt, "/api/v1/evidence", &t.viewer);
    assert_eq!(ev["rejected_by_reason"]["bad_signature"], 6);
}

#[test]
fn documents_from_outside_the_alliance_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let (t, k, j) = three(root.path());
    let q = NodeDir::init(root.path(), "310118", "青浦区", "Qingpu");
    form_alliance(root.path(), "yrd.tax", &[&t, &k, &j], 2);
    let (pt, pq) = (t.start(), q.start());
    let (s, report) = post(
        &pt,
        "/api/v1/bundle",
        Some(&t.admin),
        bundle(&pq, &q.viewer),
    );
    assert_eq!(s, 200);
    assert_eq!(report["rejected"][0]["reason"], "not_a_member", "{report}");
}

#[test]
fn an_acknowledged_write_survives_kill_9() {
    let root = tempfile::tempdir().unwrap();
    let (t, k, j) = three(root.path());
    form_alliance(root.path(), "yrd.tax", &[&t, &k, &j], 2);
    let pk = k.start();
    let (_, head) = get(&pk, "/api/v1/documents?issuer=320583", &k.viewer);
    let decl = bundle(&pk, &k.viewer);
    let chain = extend_chain(&k, &head["documents"][0], 30);
    drop(pk);

    let mut acknowledged = 0;
    // Three kill -9 cycles, each right after a 200: the first imports the
    // declaration, the next two ten documents each.
    let batches: Vec<Vec<u8>> = vec![decl, bundle_of(&chain[..10]), bundle_of(&chain[10..20])];
    for body in batches {
        let p = t.start();
        let (s, report) = post(&p, "/api/v1/bundle", Some(&t.admin), body);
        assert_eq!(s, 200, "{report}");
        acknowledged += report["accepted"].as_u64().unwrap();
        p.kill_9();
        let p = t.start();
        let (_, held) = get(&p, "/api/v1/documents?issuer=320583", &t.viewer);
        assert_eq!(
            held["documents"].as_array().unwrap().len() as u64,
            acknowledged,
            "after kill -9 the node holds every acknowledged document"
        );
        p.kill_9();
    }
    assert_eq!(acknowledged, 21);
}

#[test]
fn backup_and_restore_a_node() {
    let root = tempfile::tempdir().unwrap();
    let (t, k, j) = three(root.path());
    form_alliance(root.path(), "yrd.tax", &[&t, &k, &j], 2);
    let pk = k.start();
    let kb = bundle(&pk, &k.viewer);
    let pt = t.start();
    assert_eq!(
        post(&pt, "/api/v1/bundle", Some(&t.admin), kb).1["accepted"],
        1
    );
    let backup = root.path().join("taicang.backup");

    // A running node holds its store: backup says so and writes nothing.
    let out = backup_cmd(&t.config, &backup);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is the node running?"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(!backup.exists());

    assert!(pt.stop());
    assert!(backup_cmd(&t.config, &backup).status.success());
    let restored = root.path().join("restored");
    assert!(restore_cmd(&backup, &restored).status.success());
    // Into a folder that is not empty: refused.
    let out = restore_cmd(&backup, &restored);
    assert!(!out.status.success());

    let p = Proc::start(&restored.join("node.toml"));
    let (_, node) = get(&p, "/api/v1/node", &t.viewer);
    assert_eq!(
        node["public_key"],
        t.public_key.as_str(),
        "same key, same tokens"
    );
    assert_eq!(node["alliances"][0]["id"], "yrd.tax");
    let (_, docs) = get(&p, "/api/v1/documents", &t.viewer);
    let issuers: Vec<&str> = docs["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["issuer"].as_str().unwrap())
        .collect();
    assert_eq!(issuers, vec!["320583", "320585"]);

    // A damaged backup restores nothing.
    let mut bytes = std::fs::read(&backup).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    let damaged = root.path().join("damaged.backup");
    std::fs::write(&damaged, bytes).unwrap();
    let target = root.path().join("from-damaged");
    let out = restore_cmd(&damaged, &target);
    assert!(!out.status.success());
    assert!(!target.exists());
}

#[test]
fn command_line_errors_are_one_clear_line() {
    let root = tempfile::tempdir().unwrap();
    let t = NodeDir::init(root.path(), "320585", "太仓市", "Taicang");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "init",
                "--jurisdiction",
                "320585",
                "--name-zh",
                "太仓市",
                "--name-en",
                "Taicang",
                "--dir",
                t.dir.to_str().unwrap(),
            ],
            "already holds a node",
        ),
        (
            vec![
                "init",
                "--jurisdiction",
                "32058",
                "--name-zh",
                "x",
                "--name-en",
                "y",
                "--dir",
                "/nonexistent/x",
            ],
            "6-digit",
        ),
        (
            vec![
                "init",
                "--jurisdiction",
                "320585",
                "--name-zh",
                "x",
                "--name-en",
                "y",
                "--dir",
                "/tmp/x",
                "--api-listen",
                "nowhere",
            ],
            "--api-listen",
        ),
        (
            vec!["run", "--config", "/nonexistent/node.toml"],
            "cannot read config",
        ),
    ];
    for (args, want) in cases {
        let out = deltabench(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }

    // A port already taken: the error names the address.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let text = std::fs::read_to_string(&t.config)
        .unwrap()
        .replace("127.0.0.1:0", &addr);
    std::fs::write(&t.config, text).unwrap();
    let out = deltabench(&["run", "--config", t.config.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&addr), "{err}");

    // A misspelt config key is refused, naming it.
    let text = std::fs::read_to_string(&t.config)
        .unwrap()
        .replace("request_timeout_secs", "request_timeout_sec");
    std::fs::write(&t.config, text).unwrap();
    let out = deltabench(&["run", "--config", t.config.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("request_timeout_sec"), "{err}");
}

#[test]
fn run_refuses_a_config_or_store_it_cannot_trust() {
    let root = tempfile::tempdir().unwrap();
    let t = NodeDir::init(root.path(), "320585", "太仓市", "Taicang");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(t.dir.join("node.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key is readable by its owner only");
    }
    let original = std::fs::read_to_string(&t.config).unwrap();
    let run_with = |text: &str| {
        std::fs::write(&t.config, text).unwrap();
        let out = deltabench(&["run", "--config", t.config.to_str().unwrap()]);
        assert!(!out.status.success(), "{text}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let bad_hash = original.replacen("sha256 = \"", "sha256 = \"X", 1);
    assert!(run_with(&bad_hash).contains("64 lowercase hex"));
    let zero_timeout = original.replace("request_timeout_secs = 60", "request_timeout_secs = 0");
    assert!(run_with(&zero_timeout).contains("request_timeout_secs"));
    let extra_token_key = original.replacen("role = \"admin\"", "role = \"admin\"\nexpires = 1", 1);
    assert!(run_with(&extra_token_key).contains("expires"));
    std::fs::write(&t.config, &original).unwrap();

    // A lost data folder is not silently replaced by a new chain.
    std::fs::rename(t.dir.join("data"), root.path().join("moved-data")).unwrap();
    let out = deltabench(&["run", "--config", t.config.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("restore it from a backup"), "{err}");
    assert!(!t.dir.join("data").exists(), "nothing was created");
    std::fs::rename(root.path().join("moved-data"), t.dir.join("data")).unwrap();
    let p = t.start();
    assert!(p.stop());

    // A damaged backup restored into an existing empty folder leaves it empty.
    let backup = root.path().join("t.backup");
    assert!(backup_cmd(&t.config, &backup).status.success());
    let mut bytes = std::fs::read(&backup).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&backup, bytes).unwrap();
    let target = root.path().join("empty");
    std::fs::create_dir(&target).unwrap();
    let out = restore_cmd(&backup, &target);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("checksum"));
    assert!(target.is_dir());
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0);
}

#[test]
fn each_sample_jurisdiction_loads_appraises_and_summarises() {
    let root = tempfile::tempdir().unwrap();
    let (t, k, j) = three(root.path());
    for (node, name, framework, units) in [
        (&t, "taicang", "taicang.hqd", 39),
        (&k, "kunshan", "kunshan.perf", 42),
        (&j, "jiading", "jiading.gov", 36),
    ] {
        let p = node.start();
        let dir = samples(name);
        for (kind, file) in [
            ("framework", "framework.json"),
            ("units", "units.json"),
            ("observations", "observations-2024.csv"),
            ("observations", "observations-2025.csv"),
        ] {
            let out = import(&p, &node.admin, kind, &dir.join(file));
            assert!(
                out.status.success(),
                "{name} {file}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let (s, v) = get(
            &p,
            &format!("/api/v1/appraisals?framework={framework}&period=2025"),
            &node.admin,
        );
        assert_eq!(s, 200, "{v}");
        let appraisals = v["appraisals"].as_array().unwrap();
        assert_eq!(appraisals.len(), units, "{name}: every unit is appraised");
        for a in appraisals {
            assert!(a["total"].as_f64().is_some(), "{a}");
            assert!(
                ["A", "B", "C", "D", "E"].contains(&a["grade"].as_str().unwrap()),
                "{a}"
            );
            assert!(a["pay_coefficient"].as_f64().is_some());
        }
        let grades: std::collections::BTreeSet<&str> = appraisals
            .iter()
            .map(|a| a["grade"].as_str().unwrap())
            .collect();
        assert!(
            grades.len() >= 4,
            "{name}: grades spread over the scale: {grades:?}"
        );

        // Monthly values: the twin forecasts each tracked series' year end
        // from January to September and warns where the target is likely
        // missed.
        let out = import(
            &p,
            &node.admin,
            "observations",
            &dir.join("observations-monthly.csv"),
        );
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (s, fc) = get(
            &p,
            &format!("/api/v1/forecasts?framework={framework}&period=2025"),
            &node.viewer,
        );
        assert_eq!(s, 200, "{fc}");
        let (s, wl) = get(
            &p,
            &format!("/api/v1/warnings?framework={framework}&period=2025"),
            &node.viewer,
        );
        assert_eq!(s, 200, "{wl}");
        let forecasts = fc["forecasts"].as_array().unwrap();
        assert!(!forecasts.is_empty(), "{name}");
        assert_eq!(fc["without"], serde_json::json!([]), "{name}");
        let warned: std::collections::BTreeSet<(String, String)> = wl["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["kind"] == "target_miss")
            .map(|w| {
                (
                    w["unit"].as_str().unwrap().into(),
                    w["indicator"].as_str().unwrap().into(),
                )
            })
            .collect();
        // The monthly values were drawn to sum to each unit's 2025 value:
        // a series clearly below its target (by 5%) is warned of, and one
        // clearly above is not.
        let annual = std::fs::read_to_string(dir.join("observations-2025.csv")).unwrap();
        let (mut below, mut above) = (0, 0);
        for f in forecasts {
            let key = (
                f["unit"].as_str().unwrap().to_string(),
                f["indicator"].as_str().unwrap().to_string(),
            );
            // An interval, or the reason there is none (an indicator of
            // two units has too few calibration years for 80%).
            assert!(
                f["lower"].is_number() != f["interval_note"].is_string(),
                "{f}"
            );
            assert!(f["p_miss"].is_number(), "{f}");
            let line = annual
                .lines()
                .find(|l| l.starts_with(&format!("{},{},2025,", key.0, key.1)))
                .unwrap_or_else(|| panic!("{key:?} in the 2025 sample"));
            let cells: Vec<f64> = line
                .split(',')
                .skip(3)
                .map(|c| c.parse().unwrap())
                .collect();
            let (value, target) = (cells[0], cells[1]);
            if value < 0.95 * target {
                below += 1;
                assert!(
                    warned.contains(&key),
                    "{name} {key:?}: {value} against {target}: {f}"
                );
            } else if value > 1.05 * target {
                above += 1;
                assert!(
                    !warned.contains(&key),
                    "{name} {key:?}: {value} against {target}: {f}"
                );
            }
        }
        assert!(
            below > 0 && above > 0,
            "{name}: {below} below, {above} above"
        );

        // What if every minimum were 0: every unit gets an A, and exactly
        // those that had another grade change; a change that cannot apply
        // is named, and nothing held changes.
        let dir_changes = root.path().join(format!("{name}-changes.json"));
        let zero = |g: &str, pay: f64| serde_json::json!({"grade": g, "min_total": 0, "pay_coefficient": pay});
        std::fs::write(
            &dir_changes,
            serde_json::json!({"grading": {"method": "thresholds", "grades": [
                zero("A", 1.2), zero("B", 1.1), zero("C", 1.0), zero("D", 0.9), zero("E", 0.8)]}})
            .to_string(),
        )
        .unwrap();
        let whatif = |file: &std::path::Path, json: bool| {
            let mut args = vec![
                "whatif",
                "--node",
                &p.api,
                "--token",
                &node.admin,
                "--framework",
                framework,
                "--period",
                "2025",
                "--draws",
                "100",
                "--changes",
                file.to_str().unwrap(),
            ];
            if json {
                args.push("--json");
            }
            deltabench(&args)
        };
        let out = whatif(&dir_changes, true);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let not_a = appraisals.iter().filter(|a| a["grade"] != "A").count();
        assert_eq!(v["grades_changed"].as_u64(), Some(not_a as u64), "{name}");
        assert_eq!(v["units"].as_array().unwrap().len(), units);
        for u in v["units"].as_array().unwrap() {
            assert_eq!(u["after"]["grade"], "A", "{u}");
            assert_eq!(u["before"]["total"], u["after"]["total"], "{u}");
        }
        let out = whatif(&dir_changes, false);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("{not_a} of {units} units change grade")),
            "{text}"
        );
        std::fs::write(
            &dir_changes,
            r#"{"weights": [{"category": "nowhere", "weights": []}]}"#,
        )
        .unwrap();
        let out = whatif(&dir_changes, false);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("changes.weights[0].category"), "{err}");
        let (_, again) = get(
            &p,
            &format!("/api/v1/appraisals?framework={framework}&period=2025"),
            &node.admin,
        );
        assert_eq!(again["appraisals"].as_array(), Some(appraisals), "{name}");

        for period in ["2024", "2025"] {
            let body =
                serde_json::json!({"framework": framework, "version": "1.0.0", "period": period});
            let (s, v) = post(
                &p,
                "/api/v1/summaries",
                Some(&node.admin),
                body.to_string().into_bytes(),
            );
            assert_eq!(s, 201, "{name} {period}: {v}");
            let doc = serde_json::to_vec(&v["document"]).unwrap();
            deltabench_trust::Document::decode(&doc, &Default::default())
                .expect("a signed, schema-valid summary");
        }
        if name == "taicang" {
            // Version 1.1.0 of the catalogue: published with the changelog the
            // node computes against 1.0.0, then its extra observations load.
            let out = deltabench(&[
                "import",
                "--node",
                &p.api,
                "--token",
                &node.admin,
                "--kind",
                "framework",
                "--json",
                dir.join("framework-1.1.0.json").to_str().unwrap(),
            ]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let kinds: Vec<&str> = answer["answer"]["changelog"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["kind"].as_str().unwrap())
                .collect();
            assert_eq!(kinds.len(), 3, "{answer}");
            for k in ["added", "retired", "reweighted"] {
                assert!(kinds.contains(&k), "{kinds:?}");
            }
            assert!(
                import(
                    &p,
                    &node.admin,
                    "observations",
                    &dir.join("observations-1.1.0-additions.csv")
                )
                .status
                .success()
            );
            let (s, v) = get(
                &p,
                "/api/v1/appraisals?framework=taicang.hqd&period=2025",
                &node.admin,
            );
            assert_eq!((s, v["version"].as_str()), (200, Some("1.1.0")));
        }
        if name == "jiading" {
            // gov_company has 2 units, fewer than k = 3: its grade counts are withheld.
            let (_, docs) = get(&p, "/api/v1/documents?kind=summary", &node.viewer);
            let hash = docs["documents"][1]["hash"].as_str().unwrap().to_owned();
            let (_, doc) = get(&p, &format!("/api/v1/documents/{hash}"), &node.viewer);
            let g = doc["payload"]["grades"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["category"] == "gov_company")
                .unwrap()
                .clone();
            assert!(
                g.get("counts").is_none() && g["withheld"].is_string(),
                "{g}"
            );
        }
    }
}

#[test]
fn a_spreadsheet_imports_like_its_csv_and_a_bad_cell_is_named() {
    let root = tempfile::tempdir().unwrap();
    let t = NodeDir::init(root.path(), "320585", "太仓市", "Taicang");
    let p = t.start();
    let dir = samples("taicang");
    for (kind, file) in [("framework", "framework.json"), ("units", "units.json")] {
        assert!(import(&p, &t.admin, kind, &dir.join(file)).status.success());
    }
    // The 2025 CSV written as an Excel workbook, numbers as numbers.
    let text = std::fs::read_to_string(dir.join("observations-2025.csv")).unwrap();
    let write_xlsx = |path: &std::path::Path, broken_row: Option<usize>| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("2025").unwrap();
        for (r, line) in text.lines().enumerate() {
            for (c, cell) in line.split(',').enumerate() {
                let (row, col) = (r as u32, c as u16);
                match cell.parse::<f64>() {
                    Ok(x) if r > 0 && Some(r) != broken_row => {
                        sheet.write_number(row, col, x).map(drop)
                    }
                    _ if Some(r) == broken_row && c == 3 => {
                        sheet.write_string(row, col, "n/a").map(drop)
                    }
                    _ => sheet.write_string(row, col, cell).map(drop),
                }
                .unwrap();
            }
        }
        book.save(path).unwrap();
    };
    let bad = root.path().join("bad.xlsx");
    write_xlsx(&bad, Some(5));
    let out = import(&p, &t.admin, "observations", &bad);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("row 5") && err.contains("column value"),
        "{err}"
    );
    let (_, v) = get(&p, "/api/v1/observations", &t.admin);
    assert_eq!(
        v["observations"].as_array().unwrap().len(),
        0,
        "nothing stored"
    );

    let good = root.path().join("good.xlsx");
    write_xlsx(&good, None);
    let out = deltabench(&[
        "import",
        "--node",
        &p.api,
        "--token",
        &t.admin,
        "--json",
        good.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = text.lines().count() as u64 - 1;
    assert_eq!(answer["answer"]["inserted"].as_u64(), Some(rows));
    // The CSV of the same data changes nothing.
    let out = deltabench(&[
        "import",
        "--node",
        &p.api,
        "--token",
        &t.admin,
        "--json",
        dir.join("observations-2025.csv").to_str().unwrap(),
    ]);
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        answer["answer"]["unchanged"].as_u64(),
        Some(rows),
        "{answer}"
    );
    // A viewer token may not import.
    let out = import(&p, &t.viewer, "observations", &good);
    assert!(String::from_utf8_lossy(&out.stderr).contains("403"));
}

#[test]
fn sigterm_right_after_start_is_a_graceful_stop() {
    // The signal handlers exist before the node says it listens, so a stop
    // sent at once still flushes and exits 0.
    let root = tempfile::tempdir().unwrap();
    let t = NodeDir::init(root.path(), "320585", "太仓市", "Taicang");
    for _ in 0..5 {
        assert!(t.start().stop());
    }
}

#[test]
fn the_command_line_client_publishes_moves_bundles_and_shows_evidence() {
    let root = tempfile::tempdir().unwrap();
    let (t, k, j) = three(root.path());
    form_alliance(root.path(), "yrd.tax", &[&t, &k, &j], 2);
    let (pt, pk) = (t.start(), k.start());
    let dir = samples("taicang");
    for (kind, file) in [
        ("framework", "framework.json"),
        ("units", "units.json"),
        ("observations", "observations-2025.csv"),
    ] {
        let out = import(&pt, &t.admin, kind, &dir.join(file));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let node = |p: &Proc, token: &str| {
        vec![
            "--node".to_string(),
            p.api.clone(),
            "--token".into(),
            token.into(),
        ]
    };
    let run = |args: Vec<String>| deltabench(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let summary = |token: &str, json: bool| {
        let mut a: Vec<String> = [
            "summary",
            "--framework",
            "taicang.hqd",
            "--framework-version",
            "1.0.0",
            "--period",
            "2025",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(node(&pt, token));
        if json {
            a.push("--json".into());
        }
        run(a)
    };
    let out = summary(&t.admin, true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["created"], true);
    let out = summary(&t.admin, false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("already published, unchanged"), "{text}");
    assert!(text.contains(v["hash"].as_str().unwrap()), "{text}");

    // Export from Taicang, import into Kunshan: accepted, then all duplicates.
    let file = root.path().join("taicang.bundle.json");
    let mut a = vec![
        "bundle".to_string(),
        "export".into(),
        "--out".into(),
        file.display().to_string(),
        "--json".into(),
        // Three documents in two pages: the cursor is followed.
        "--page".into(),
        "2".into(),
    ];
    a.extend(node(&pt, &t.viewer));
    let out = run(a);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["documents"], 3, "declaration, framework, summary: {e}");
    let import_bundle = |f: &std::path::Path, json: bool| {
        let mut a = vec![
            "bundle".to_string(),
            "import".into(),
            f.display().to_string(),
            // Sent in two pages.
            "--page".into(),
            "2".into(),
        ];
        a.extend(node(&pk, &k.admin));
        if json {
            a.push("--json".into());
        }
        run(a)
    };
    let out = import_bundle(&file, true);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["accepted"], 3, "{r}");
    let out = import_bundle(&file, false);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 accepted, 3 already held"));

    // A tampered copy: exit code 3, the reason printed, and counted as evidence.
    // Last in the file, so in the second page: refusals keep their index
    // in the whole file.
    let mut b: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    b["documents"][0]["payload"]["name_en"] = "Taicang!".into();
    b["documents"].as_array_mut().unwrap().reverse();
    let bad = root.path().join("tampered.json");
    std::fs::write(&bad, serde_json::to_vec(&b).unwrap()).unwrap();
    let out = import_bundle(&bad, false);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("document 2: bad_signature"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut a = vec!["evidence".to_string(), "--json".into()];
    a.extend(node(&pk, &k.viewer));
    let out = run(a);
    let ev: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ev["rejected_by_reason"]["bad_signature"], 1, "{ev}");
    let mut a = vec!["peers".to_string(), "--json".into()];
    a.extend(node(&pk, &k.viewer));
    let out = run(a);
    assert!(out.status.success());
    let peers: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(peers["peers"].is_array(), "{peers}");
    // A viewer token cannot publish: a clear error and exit code 1.
    let out = summary(&t.viewer, false);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("403"));
}
