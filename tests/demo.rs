//! `deltabench demo` as a newcomer runs it: three child nodes, a harmonised
//! comparison printed, demo.json written, Ctrl-C stops everything, a second
//! run on the same folder resumes, and a taken port is named.

use crate::support::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running demo. Dropping it interrupts the demo and kills whatever node
/// process demo.json names, so a failing test leaves nothing behind.
struct Demo {
    child: Child,
    lines: mpsc::Receiver<String>,
    dir: std::path::PathBuf,
    seen: Vec<String>,
}

impl Demo {
    fn start(base: u16, dir: &std::path::Path) -> Demo {
        Demo::start_with(base, dir, &[])
    }

    /// `deltabench demo` with further arguments.
    fn start_with(base: u16, dir: &std::path::Path, args: &[&str]) -> Demo {
        let mut cmd = Command::new(bin());
        cmd.args(["demo", "--api-port-base", &base.to_string(), "--data-dir"])
            .arg(dir)
            .args(args);
        Demo::spawn(cmd, dir)
    }

    /// Runs `cmd` in its own process group, reading its stdout and stderr
    /// as lines.
    fn spawn(mut cmd: Command, dir: &std::path::Path) -> Demo {
        let mut child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the demo");
        let (tx, lines) = mpsc::channel();
        for out in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Demo {
            child,
            lines,
            dir: dir.to_path_buf(),
            seen: Vec::new(),
        }
    }

    /// Reads output until a line contains `text`; the demo's own steps are
    /// bounded, so this waits on its output, not on a clock.
    fn wait_line(&mut self, text: &str) {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(300)) {
                Ok(line) => {
                    let hit = line.contains(text);
                    self.seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!(
                    "the demo ended or stalled before {text:?}:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.join("demo.json")).unwrap()).unwrap()
    }

    /// The node processes: those demo.json names, and those printed as
    /// "(pid N)" (by scripts/federation.sh).
    fn pids(&self) -> Vec<i32> {
        let mut printed: Vec<i32> = self
            .seen
            .iter()
            .filter_map(|l| l.split("(pid ").nth(1)?.split(')').next()?.parse().ok())
            .collect();
        let Ok(text) = std::fs::read_to_string(self.dir.join("demo.json")) else {
            return printed;
        };
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        v["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["pid"].as_i64())
            .map(|p| p as i32)
            .chain(printed.drain(..))
            .collect()
    }

    /// Ctrl-C: the demo stops its nodes and exits 0.
    fn interrupt(&mut self) {
        let status = self.sigint_and_wait();
        assert!(status.success(), "{status}: {}", self.seen.join("\n"));
    }

    /// Sends SIGINT and waits for the exit; whatever is still running in its
    /// process group a minute later is killed, and the test fails.
    fn sigint_and_wait(&mut self) -> std::process::ExitStatus {
        let (status, overran) = self.stop_bounded();
        assert!(
            !overran,
            "it did not stop within 60 s of SIGINT: {}",
            self.seen.join("\n")
        );
        status.expect("wait for the process")
    }

    /// SIGINT, then a wait bounded by a watchdog that kills the process
    /// group after 60 s. Never panics, so that `Drop` may call it.
    fn stop_bounded(&mut self) -> (Option<std::process::ExitStatus>, bool) {
        let group = Pid::from_raw(self.child.id() as i32);
        let _ = kill(group, Signal::SIGINT);
        let (done, wait) = mpsc::channel::<()>();
        let watchdog = std::thread::spawn(move || {
            let overran = matches!(
                wait.recv_timeout(Duration::from_secs(60)),
                Err(mpsc::RecvTimeoutError::Timeout)
            );
            if overran {
                let _ = nix::sys::signal::killpg(group, Signal::SIGKILL);
            }
            overran
        });
        let status = self.child.wait().ok();
        let _ = done.send(());
        (status, watchdog.join().unwrap_or(true))
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // Bounded: a minute, then its whole process group is killed.
            self.stop_bounded();
        }
        for pid in self.pids() {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// Three consecutive ports free on 127.0.0.1 at the time of asking. Tests
/// that run at the same time ask with different `lane`s (0 to 5), which
/// never hand out the same port.
fn free_ports_in(lane: u16) -> u16 {
    free_run_in(lane, 3)
}

/// `n` consecutive free ports in `lane`; lane 5 may take four (the others'
/// runs end before it).
fn free_run_in(lane: u16, n: u16) -> u16 {
    assert!(lane < 6 && 3 * lane + n <= 20);
    // Below the kernel's ephemeral range (32768 up), where other tests' ports
    // 127.0.0.1:0 land.
    let start = 20_000 + (std::process::id() % 500) as u16 * 20 + 3 * lane;
    (start..60_000)
        .step_by(20)
        .find(|&b| (b..b + n).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()))
        .expect("free ports")
}

fn free_ports() -> u16 {
    free_ports_in(0)
}

fn alive(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok()
}

#[test]
fn the_demo_compares_three_nodes_stops_on_ctrl_c_and_resumes() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    let base = free_ports();
    let mut demo = Demo::start(base, &dir);
    demo.wait_line("press Ctrl-C");
    let out = demo.seen.join("\n");
    assert!(out.contains("yrd.tax/ontime_filing_rate"), "{out}");
    for code in ["320585", "320583", "310114"] {
        assert!(out.contains(code), "{out}");
    }

    // demo.json is complete, and all three APIs answer the same comparison.
    let state = demo.state();
    let nodes = state["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    let mut answers = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        for k in ["code", "api", "config", "admin_token", "viewer_token"] {
            assert!(n[k].as_str().is_some_and(|s| !s.is_empty()), "{k}: {n}");
        }
        assert_eq!(n["api"], format!("http://127.0.0.1:{}", base + i as u16));
        assert!(alive(n["pid"].as_i64().unwrap() as i32));
        let resp = http()
            .get(format!(
                "{}/api/v1/comparisons?indicator=yrd.tax/ontime_filing_rate&period=2025",
                n["api"].as_str().unwrap()
            ))
            .bearer_auth(n["viewer_token"].as_str().unwrap())
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        answers.push(resp.json::<Value>().unwrap());
    }
    assert_eq!(answers[0]["rows"].as_array().unwrap().len(), 3);
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);
    let manifest = answers[0]["manifest"].as_str().unwrap().to_owned();
    assert!(out.contains(&manifest), "the printed manifest: {out}");
    let accepted = http()
        .get(format!("{}/metrics", nodes[1]["api"].as_str().unwrap()))
        .send()
        .unwrap()
        .text()
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("deltabench_documents_accepted_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(accepted > 0.0, "Kunshan accepted documents from its peers");

    // Public satisfaction: each city's residents rated its projects over
    // the public route, each city published its public_rating document,
    // and every node compares the three on yrd.public/satisfaction through
    // recognised crosswalks, each row pointing at the summary it came from.
    assert!(
        out.contains("ratings through POST /public/v1/ratings"),
        "{out}"
    );
    assert!(out.contains("yrd.public/satisfaction"), "{out}");
    // Debt: each city's own 2025 figures, signed as a summary of the
    // reference framework yrd.debt, compared like any indicator.
    for city in ["Taicang", "Kunshan", "Jiading"] {
        assert!(
            out.lines().any(|l| l.starts_with(city)
                && l.contains("publishes its 2025 debt figures as a summary of yrd.debt")),
            "{city}'s debt summary: {out}"
        );
    }
    assert!(out.contains("yrd.debt/debt_ratio"), "{out}");
    // The 12345 hotline: each city's year of requests, imported with GCJ-02
    // coordinates, on the heat map and in the departments' figures.
    for city in ["Taicang", "Kunshan", "Jiading"] {
        assert!(
            out.lines().any(|l| l.starts_with(city)
                && l.contains("2000 hotline requests of 2025")
                && l.contains("H3 cells across")),
            "{city}'s hotline requests: {out}"
        );
    }
    // Across the Delta: each city signs a hotline summary (counts only, cells
    // from k requests) and publishes its hotline framework's summary, whose
    // resolution rates every node compares through recognised crosswalks.
    for city in ["Taicang", "Kunshan", "Jiading"] {
        assert!(
            out.lines().any(|l| l.starts_with(city)
                && l.contains("signs its 2025 hotline summary: 2000 requests")
                && l.contains("办结率")
                && l.contains("解决率")),
            "{city}'s hotline summary: {out}"
        );
    }
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("hotline 2025 across the Delta"))
            .count(),
        3,
        "{out}"
    );
    // The twin: each city's monthly series are forecast, and some of the
    // forecasts warn (the counts are checked against the data in the
    // sample test).
    for city in ["Taicang", "Kunshan", "Jiading"] {
        assert!(
            out.lines().any(|l| l.contains(city)
                && l.contains("its September forecast commitment for 2025 (Scored)")),
            "{city}'s forecast commitment: {out}"
        );
        let line = out
            .lines()
            .find(|l| l.contains(city) && l.contains("early warnings"))
            .unwrap_or_else(|| panic!("{city}'s forecasts: {out}"));
        let numbers: Vec<usize> = line
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        assert!(
            numbers.len() == 2 && numbers[0] > 0 && numbers[1] > 0,
            "{line}"
        );
    }
    for n in nodes {
        let get = |path: &str| {
            let resp = http()
                .get(format!("{}{path}", n["api"].as_str().unwrap()))
                .bearer_auth(n["viewer_token"].as_str().unwrap())
                .send()
                .unwrap();
            assert_eq!(resp.status().as_u16(), 200, "{path}");
            resp.json::<Value>().unwrap()
        };
        let c = get("/api/v1/comparisons?indicator=yrd.public/satisfaction&period=2025");
        let rows = c["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 3, "{c}");
        for code in ["320585", "320583", "310114"] {
            let row = rows
                .iter()
                .find(|r| r["jurisdiction"] == code)
                .unwrap_or_else(|| panic!("no row of {code}: {c}"));
            assert_eq!(row["crosswalk"]["recognised"], true, "{row}");
            let value = row["value"].as_f64().unwrap();
            assert!((0.0..=100.0).contains(&value), "{row}");
            assert!(row["rank"].as_u64().is_some(), "{row}");
            assert!(row["document"].as_str().is_some(), "{row}");
        }
        let debt = get("/api/v1/comparisons?indicator=yrd.debt/debt_ratio&period=2025");
        assert_eq!(debt["rows"].as_array().unwrap().len(), 3, "{debt}");
        // Each city's mean department resolution rate, a ratio of its own
        // code, compared in percent through its recognised crosswalk.
        let c = get("/api/v1/comparisons?indicator=yrd.hotline/resolution_rate&period=2025");
        let rows = c["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 3, "{c}");
        for (code, local) in [
            ("320585", "taicang.hotline/hotline_jjl"),
            ("320583", "kunshan.hotline/resolved_share"),
            ("310114", "jiading.hotline/rx_resolution"),
        ] {
            let row = rows
                .iter()
                .find(|r| r["jurisdiction"] == code)
                .unwrap_or_else(|| panic!("no row of {code}: {c}"));
            assert_eq!(row["crosswalk"]["recognised"], true, "{row}");
            assert_eq!(row["source_indicator"], local, "{row}");
            let value = row["value"].as_f64().unwrap();
            let ratio = row["source_value"].as_f64().unwrap();
            assert!((value - 100.0 * ratio).abs() < 1e-9, "{row}");
            // About 70% of each city's sample requests end resolved.
            assert!((40.0..=95.0).contains(&value), "{row}");
        }
        // The signed hotline summaries of all three, as signed.
        let d = get("/api/v1/hotline/delta?period=2025");
        let members = d["members"].as_array().unwrap();
        assert_eq!(members.len(), 3, "{d}");
        for m in members {
            let s = &m["summary"];
            assert_eq!(s["requests"], 2000, "{m}");
            let k = s["k"].as_u64().unwrap();
            assert!(
                s["cells"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|c| c["count"].as_u64().unwrap() >= k),
                "{m}"
            );
        }
        let held = get("/api/v1/documents?kind=public_rating");
        let issuers: std::collections::BTreeSet<&str> = held["documents"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["issuer"].as_str())
            .collect();
        assert_eq!(issuers.len(), 3, "every city's public ratings: {held}");
        // Every city's September forecasts were signed before its 2025
        // summary, reached every node, and are scored against it.
        let skill = get("/api/v1/forecast-skill?period=2025");
        let rows = skill["commitments"].as_array().unwrap();
        let scored: std::collections::BTreeSet<&str> = rows
            .iter()
            .filter(|r| r["status"] == "scored" && r["coverage"].is_number())
            .filter_map(|r| r["issuer"].as_str())
            .collect();
        assert_eq!(scored.len(), 3, "every city's forecasts scored: {skill}");
    }

    // The dashboard link is printed, and the pages render in a browser.
    let taicang = nodes[0]["api"].as_str().unwrap();
    let viewer = nodes[0]["viewer_token"].as_str().unwrap();
    assert!(
        out.contains(&format!("{taicang}/#/comparison?token={viewer}")),
        "the dashboard link: {out}"
    );
    crate::browser::check_dashboard(taicang, viewer);

    // Ctrl-C stops the demo and its three nodes.
    let pids = demo.pids();
    demo.interrupt();
    for pid in &pids {
        assert!(!alive(*pid), "node {pid} still runs after the demo stopped");
    }

    // A second run on the same folder restarts the same nodes with their data.
    let mut again = Demo::start(base, &dir);
    again.wait_line("press Ctrl-C");
    let out = again.seen.join("\n");
    assert!(out.contains("resuming the demo"), "{out}");
    assert!(out.contains(&manifest), "the same comparison: {out}");
    again.interrupt();
}

#[test]
fn the_delta_demo_adds_a_coordinator_that_compares_the_41_cities() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    let base = free_run_in(5, 4);
    let mut demo = Demo::start_with(base, &dir, &["--delta"]);
    demo.wait_line("press Ctrl-C to stop the four nodes");
    let out = demo.seen.join("\n");
    let coordinator_api = format!("http://127.0.0.1:{}", base + 3);
    assert!(out.contains("time to ready:"), "{out}");
    assert!(out.contains("documents/s"), "{out}");
    assert!(out.contains(&coordinator_api), "{out}");

    // demo.json lists the coordinator after the three nodes.
    let state = demo.state();
    let nodes = state["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 4, "{state}");
    let c = &nodes[3];
    assert_eq!(c["code"], "319900", "{c}");
    assert_eq!(c["role"], "coordinator", "{c}");
    assert_eq!(c["api"], coordinator_api.as_str());
    for k in ["config", "admin_token", "viewer_token"] {
        assert!(c[k].as_str().is_some_and(|s| !s.is_empty()), "{k}: {c}");
    }
    assert!(alive(c["pid"].as_i64().unwrap() as i32));
    let viewer = c["viewer_token"].as_str().unwrap();
    assert!(out.contains(c["admin_token"].as_str().unwrap()), "{out}");

    // It compares all 41 cities, each through a recognised crosswalk.
    let cmp: Value = http()
        .get(format!(
            "{coordinator_api}/api/v1/comparisons?indicator=yrd.delta/service_satisfaction&period=2025"
        ))
        .bearer_auth(viewer)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let codes: Vec<&str> = deltabench::delta::DELTA41.iter().map(|c| c.code).collect();
    let rows = cmp["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 41, "{cmp}");
    for code in &codes {
        assert!(
            rows.iter().any(|r| r["jurisdiction"] == *code),
            "no row for {code}"
        );
    }
    crate::browser::check_long_dashboard(
        &coordinator_api,
        viewer,
        "yrd.delta/service_satisfaction",
        "2025",
        &codes,
        ("Suzhou", &["320500", "341300"]),
        "delta",
    );

    // Ctrl-C stops all four; a second run resumes the coordinator with its data.
    let pids = demo.pids();
    assert_eq!(pids.len(), 4);
    demo.interrupt();
    for pid in &pids {
        assert!(!alive(*pid), "node {pid} still runs after the demo stopped");
    }
    let mut again = Demo::start_with(base, &dir, &["--delta"]);
    again.wait_line("press Ctrl-C to stop the four nodes");
    let out = again.seen.join("\n");
    assert!(out.contains("resuming the demo"), "{out}");
    assert!(out.contains("time to ready:"), "{out}");
    assert!(
        out.contains(" 0 new)"),
        "the bundle was held already: {out}"
    );
    again.interrupt();
}

#[test]
fn a_taken_port_is_named() {
    let root = tempfile::tempdir().unwrap();
    let base = free_ports_in(3);
    let _taken = std::net::TcpListener::bind(("127.0.0.1", base + 1)).unwrap();
    let out = deltabench(&[
        "demo",
        "--api-port-base",
        &base.to_string(),
        "--data-dir",
        root.path().join("demo").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("port {}", base + 1)) && err.contains("Kunshan"),
        "{err}"
    );
    // Nothing was started: Taicang's port is free and no demo.json exists.
    assert!(std::net::TcpListener::bind(("127.0.0.1", base)).is_ok());
    assert!(!root.path().join("demo/demo.json").exists());
}

#[test]
fn the_federation_script_runs_the_three_offices_with_the_ordinary_commands() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("federation");
    let (api, p2p) = (free_ports_in(1), free_ports_in(2));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/federation.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(script)
        .arg(&dir)
        .env("DELTABENCH_BIN", bin())
        .env("API_PORT_BASE", api.to_string())
        .env("P2P_PORT_BASE", p2p.to_string())
        .env("WAIT_SECS", "120");
    let mut run = Demo::spawn(cmd, &dir);
    run.wait_line("press Ctrl-C");
    let out = run.seen.join("\n");
    // Each step ran, and the comparison printed by `deltabench compare` at
    // Jiading ranks all three offices.
    for step in 1..=7 {
        assert!(out.contains(&format!("== {step}.")), "step {step}: {out}");
    }
    for code in ["320585", "320583", "310114"] {
        assert!(out.contains(code), "{code}: {out}");
    }
    let (s, c) = {
        let tokens = std::fs::read_to_string(dir.join("jiading/tokens")).unwrap();
        let viewer = tokens
            .lines()
            .find_map(|l| l.strip_prefix("viewer "))
            .unwrap()
            .to_owned();
        let resp = http()
            .get(format!(
                "http://127.0.0.1:{}/api/v1/comparisons?indicator=yrd.tax/ontime_filing_rate&period=2025",
                api + 2
            ))
            .bearer_auth(viewer)
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.json::<Value>().unwrap())
    };
    assert_eq!(s, 200);
    let ranked = c["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("rank").is_some())
        .count();
    assert_eq!(ranked, 3, "{c}");
    assert!(out.contains(c["manifest"].as_str().unwrap()), "{out}");
    assert!(out.contains(&format!("http://127.0.0.1:{api}/#/comparison?token=")));

    // Ctrl-C: the script stops its three nodes.
    let pids = run.pids();
    assert_eq!(pids.len(), 3, "{out}");
    run.sigint_and_wait();
    for pid in &pids {
        assert!(
            !alive(*pid),
            "node {pid} still runs after the script stopped"
        );
    }
}
