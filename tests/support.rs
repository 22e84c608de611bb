//! Helpers for whole-node tests: nodes made with `deltabench init`, run as real
//! processes on loopback, and stopped when the test ends, pass or fail.

use deltabench_model::DocHash;
use deltabench_model::documents::{Decision, Endorsement};
use deltabench_model::{JurisdictionCode, Timestamp};
use deltabench_trust::{Document, Header, NodeKey};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a node may take to start before the test fails.
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_deltabench")
}

/// Runs the binary to completion.
pub fn deltabench(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("run deltabench")
}

/// `deltabench backup --config CONFIG --out OUT`.
pub fn backup_cmd(config: &Path, out: &Path) -> Output {
    deltabench(&[
        "backup",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

/// `deltabench restore --from FROM --dir DIR`.
pub fn restore_cmd(from: &Path, dir: &Path) -> Output {
    deltabench(&[
        "restore",
        "--from",
        from.to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
    ])
}

/// Runs the binary and fails the test if it fails.
pub fn ok(args: &[&str]) -> String {
    let out = deltabench(args);
    assert!(
        out.status.success(),
        "deltabench {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A node made by `deltabench init`.
#[derive(Debug, Clone)]
pub struct NodeDir {
    pub dir: PathBuf,
    pub code: String,
    pub config: PathBuf,
    pub public_key: String,
    pub admin: String,
    pub viewer: String,
}

impl NodeDir {
    pub fn init(root: &Path, code: &str, name_zh: &str, name_en: &str) -> NodeDir {
        let dir = root.join(name_en.to_lowercase());
        let out = ok(&[
            "init",
            "--jurisdiction",
            code,
            "--name-zh",
            name_zh,
            "--name-en",
            name_en,
            "--dir",
            dir.to_str().unwrap(),
            "--api-listen",
            "127.0.0.1:0",
            "--p2p-listen",
            "/ip4/127.0.0.1/tcp/0",
            "--json",
        ]);
        let v: Value = serde_json::from_str(&out).unwrap();
        NodeDir {
            dir,
            code: code.into(),
            config: PathBuf::from(v["config"].as_str().unwrap()),
            public_key: v["public_key"].as_str().unwrap().into(),
            admin: v["admin_token"].as_str().unwrap().into(),
            viewer: v["viewer_token"].as_str().unwrap().into(),
        }
    }

    /// `CODE,KEY,NAME,NAME` for `roster new --member`.
    pub fn member_arg(&self) -> String {
        format!(
            "{},{},{},{}",
            self.code, self.public_key, self.code, self.code
        )
    }

    pub fn key(&self) -> NodeKey {
        NodeKey::from_pem(&std::fs::read_to_string(self.dir.join("node.key")).unwrap()).unwrap()
    }

    pub fn start(&self) -> Proc {
        Proc::start(&self.config)
    }
}

/// Drafts version `version` of alliance `id`'s roster with `members` and
/// `threshold`, approved by `approvers`; returns the file.
pub fn draft_roster(
    root: &Path,
    id: &str,
    version: u64,
    members: &[&NodeDir],
    threshold: u32,
    approvers: &[&NodeDir],
) -> PathBuf {
    draft_roster_with(root, id, version, members, threshold, approvers, &[])
}

/// [`draft_roster`] with further `roster new` arguments.
pub fn draft_roster_with(
    root: &Path,
    id: &str,
    version: u64,
    members: &[&NodeDir],
    threshold: u32,
    approvers: &[&NodeDir],
    extra: &[&str],
) -> PathBuf {
    let file = root.join(format!("{id}.v{version}.json"));
    let mut args: Vec<String> = vec![
        "roster".into(),
        "new".into(),
        "--alliance".into(),
        id.into(),
        "--roster-version".into(),
        version.to_string(),
        "--threshold".into(),
        threshold.to_string(),
        "--out".into(),
        file.display().to_string(),
    ];
    for n in members {
        args.push("--member".into());
        args.push(n.member_arg());
    }
    args.extend(extra.iter().map(|a| a.to_string()));
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    for (i, n) in approvers.iter().enumerate() {
        let out = ok(&[
            "roster",
            "approve",
            "--json",
            "--config",
            n.config.to_str().unwrap(),
            "--roster",
            file.to_str().unwrap(),
        ]);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(v["approved_by"], n.code.as_str(), "{v}");
        assert_eq!(v["approvals"], i + 1, "{v}");
    }
    file
}

/// `deltabench roster join` of `file` by `node`.
pub fn join_roster(node: &NodeDir, file: &Path) {
    ok(&[
        "roster",
        "join",
        "--config",
        node.config.to_str().unwrap(),
        "--roster",
        file.to_str().unwrap(),
    ]);
}

/// Forms an alliance of `nodes` with the given threshold: a roster drafted,
/// approved by the first `threshold` members, and joined by all.
pub fn form_alliance(root: &Path, id: &str, nodes: &[&NodeDir], threshold: u32) -> PathBuf {
    form_alliance_with(root, id, nodes, threshold, &[])
}

/// [`form_alliance`] with further `roster new` arguments.
pub fn form_alliance_with(
    root: &Path,
    id: &str,
    nodes: &[&NodeDir],
    threshold: u32,
    extra: &[&str],
) -> PathBuf {
    let approvers = &nodes[..threshold as usize];
    let file = draft_roster_with(root, id, 1, nodes, threshold, approvers, extra);
    for n in nodes {
        join_roster(n, &file);
    }
    file
}

/// A running `deltabench run`. Dropping it kills the process.
pub struct Proc {
    child: Option<Child>,
    pub api: String,
    stderr: mpsc::Receiver<String>,
}

impl Proc {
    pub fn start(config: &Path) -> Proc {
        Proc::start_with(config, &[])
    }

    /// `deltabench GLOBAL_ARGS run --config CONFIG`.
    pub fn start_with(config: &Path, global_args: &[&str]) -> Proc {
        Proc::spawn(config, global_args, &[])
    }

    /// [`Proc::start_with`], with `env` set for the process.
    fn spawn(config: &Path, global_args: &[&str], env: &[(&str, &str)]) -> Proc {
        let mut child = Command::new(bin())
            .args(global_args)
            .args(["run", "--config", config.to_str().unwrap()])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn deltabench run");
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("deltabench: api listening on ") {
                    let _ = tx.send(addr.to_string());
                }
            }
        });
        let (etx, erx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = etx.send(line);
            }
        });
        let mut proc = Proc {
            child: Some(child),
            api: String::new(),
            stderr: erx,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(api) => proc.api = api,
            Err(_) => {
                let status = proc.child.as_mut().unwrap().try_wait().ok().flatten();
                panic!(
                    "node did not start (exit {status:?}): {}",
                    proc.stderr_text()
                );
            }
        }
        proc
    }

    /// The next line the process writes to stderr, waiting up to `limit`.
    pub fn next_stderr_line(&self, limit: Duration) -> Option<String> {
        self.stderr.recv_timeout(limit).ok()
    }

    /// Everything the process wrote to stderr so far.
    pub fn stderr_text(&self) -> String {
        self.stderr.try_iter().collect::<Vec<_>>().join("\n")
    }

    /// SIGKILL, with no chance to flush or clean up.
    pub fn kill_9(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// SIGTERM, then wait for the graceful exit; returns whether it exited 0.
    pub fn stop(mut self) -> bool {
        let mut child = self.child.take().unwrap();
        let pid = child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Ok(s)) => s.success(),
            _ => {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
                panic!("node did not stop within 20 s of SIGTERM");
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub fn get(p: &Proc, path: &str, token: &str) -> (u16, Value) {
    let resp = http().get(p.url(path)).bearer_auth(token).send().unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

pub fn post(p: &Proc, path: &str, token: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut req = http()
        .post(p.url(path))
        .header("content-type", "application/json")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

/// The node's bundle, as raw bytes.
pub fn bundle(p: &Proc, token: &str) -> Vec<u8> {
    let resp = http()
        .get(p.url("/api/v1/bundle"))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.bytes().unwrap().to_vec()
}

/// Signs `n` further documents on a node's chain with its key, as the node
/// would: endorsements following its current head.
pub fn extend_chain(node: &NodeDir, head: &Value, n: u64) -> Vec<Vec<u8>> {
    let key = node.key();
    let mut seq = head["seq"].as_u64().unwrap();
    let mut prev = DocHash::new(head["hash"].as_str().unwrap()).unwrap();
    let mut out = Vec::new();
    for i in 0..n {
        seq += 1;
        let header = Header {
            issuer: JurisdictionCode::new(&node.code).unwrap(),
            seq,
            prev: Some(prev.clone()),
            issued_at: Timestamp::from_unix(1_767_225_600 + i as i64).unwrap(),
        };
        let payload = Endorsement {
            crosswalk: "test.crosswalk".parse().unwrap(),
            crosswalk_hash: DocHash::from_bytes([i as u8; 32]),
            decision: Decision::Accept,
            comment: Some(format!("document {seq}")),
        };
        let doc = Document::sign(&key, header, &payload).unwrap();
        prev = doc.hash().clone();
        out.push(doc.bytes().to_vec());
    }
    out
}

/// A bundle body from envelope bytes.
pub fn bundle_of(docs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"{\"documents\":[".to_vec();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(d);
    }
    out.extend_from_slice(b"]}");
    out
}

/// Sets a node's bootstrap peers and short network timers for tests.
pub fn set_p2p(node: &NodeDir, bootstrap: &[String]) {
    let text = std::fs::read_to_string(&node.config).unwrap();
    let mut v: toml::Table = toml::from_str(&text).unwrap();
    let p2p = v
        .entry("p2p")
        .or_insert_with(|| toml::Value::Table(Default::default()))
        .as_table_mut()
        .unwrap();
    p2p.insert(
        "bootstrap".into(),
        toml::Value::Array(bootstrap.iter().map(|b| b.clone().into()).collect()),
    );
    p2p.insert("redial_secs".into(), 1.into());
    p2p.insert("anti_entropy_secs".into(), 2.into());
    std::fs::write(&node.config, toml::to_string(&v).unwrap()).unwrap();
}

/// The p2p address a running node listens on.
pub fn p2p_addr(p: &Proc, token: &str) -> String {
    wait_for("the node to listen on p2p", || {
        let (_, node) = get(p, "/api/v1/node", token);
        node["p2p"]["listen"][0].as_str().map(str::to_owned)
    })
}

/// How long a network condition may take before the test fails.
pub const NET_TIMEOUT: Duration = Duration::from_secs(60);

/// Polls `f` until it gives a value (the state is in other processes, which
/// tell no events over HTTP), failing after [`NET_TIMEOUT`].
pub fn wait_for<T>(what: &str, f: impl FnMut() -> Option<T>) -> T {
    wait_for_or(what, f, String::new)
}

/// [`wait_for`], adding `diagnose()` to the failure message.
pub fn wait_for_or<T>(
    what: &str,
    mut f: impl FnMut() -> Option<T>,
    diagnose: impl Fn() -> String,
) -> T {
    let deadline = std::time::Instant::now() + NET_TIMEOUT;
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}\n{}",
            diagnose()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The hashes of the documents a node holds, optionally of one issuer.
pub fn held(p: &Proc, token: &str, issuer: Option<&str>) -> std::collections::BTreeSet<String> {
    let path = match issuer {
        Some(i) => format!("/api/v1/documents?issuer={i}"),
        None => "/api/v1/documents".into(),
    };
    let (s, v) = get(p, &path, token);
    assert_eq!(s, 200, "{v}");
    v["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["hash"].as_str().unwrap().to_owned())
        .collect()
}

/// One sample of a Prometheus counter or gauge, by its full name with labels.
pub fn metric(p: &Proc, name: &str) -> f64 {
    let text = http()
        .get(p.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Publishes the node's sample framework again as version 9.0.`n`: a new
/// signed document on its chain. Returns its hash.
pub fn publish_framework(p: &Proc, node: &NodeDir, sample: &str, n: u32) -> String {
    publish_framework_at(&p.api, node, sample, n)
}

/// [`publish_framework`] by the node's API address.
pub fn publish_framework_at(api: &str, node: &NodeDir, sample: &str, n: u32) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../node-config/samples")
        .join(sample)
        .join("framework.json");
    let mut f: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    f["version"] = format!("9.0.{n}").into();
    // Another node may publish the same indicators as its own framework.
    if f["owner"]["jurisdiction"] != node.code.as_str() {
        f["owner"]["jurisdiction"] = node.code.as_str().into();
        f["id"] = format!("j{}.{sample}", node.code).into();
    }
    let resp = http()
        .post(format!("{api}/api/v1/frameworks"))
        .bearer_auth(&node.admin)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&f).unwrap())
        .send()
        .unwrap();
    let s = resp.status().as_u16();
    let v: Value = resp.json().unwrap_or(Value::Null);
    assert_eq!(s, 201, "{v}");
    v["hash"].as_str().unwrap().to_owned()
}

/// The sample data folder of a jurisdiction.
pub fn samples(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../node-config/samples")
        .join(name)
}

pub fn import(p: &Proc, token: &str, kind: &str, file: &std::path::Path) -> std::process::Output {
    deltabench(&[
        "import",
        "--node",
        &p.api,
        "--token",
        token,
        "--kind",
        kind,
        file.to_str().unwrap(),
    ])
}

/// [`Proc::start`] with further environment variables for the node process
/// (e.g. `DELTABENCH_CLOCK_OFFSET_SECS`).
pub fn start_with_env(config: &Path, env: &[(&str, &str)]) -> Proc {
    Proc::spawn(config, &[], env)
}

/// `deltabench roster publish [--json]` of `file` through the node `p`.
pub fn roster_publish(p: &Proc, admin: &str, file: &Path, json: bool) -> std::process::Output {
    let mut args = vec!["roster", "publish"];
    if json {
        args.push("--json");
    }
    args.extend([
        "--node",
        &p.api,
        "--token",
        admin,
        "--roster",
        file.to_str().unwrap(),
    ]);
    deltabench(&args)
}

/// Publishes the engine's small framework (`test.small`, owned by Taicang)
/// on a running node and stores `units`, each `{"id", "name_zh", "name_en",
/// "category"}`.
pub fn small_framework_with_units(p: &Proc, node: &NodeDir, units: serde_json::Value) {
    let framework = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../engine/tests/data/small-framework.json"),
    )
    .unwrap();
    let (s, v) = post(p, "/api/v1/frameworks", Some(&node.admin), framework);
    assert_eq!(s, 201, "{v}");
    let (s, v) = post(
        p,
        "/api/v1/units",
        Some(&node.admin),
        units.to_string().into(),
    );
    assert_eq!(s, 201, "{v}");
}
