//! `deltabench demo`: the three-node demonstration federation.
//!
//! It drives this same binary as an office would: `init` for each
//! jurisdiction, `roster new|approve|join` for the tax alliance `yrd.tax`,
//! one `deltabench run` child process per node on loopback, then the nodes'
//! HTTP APIs to load the sample data, publish the 2024 and 2025 summaries,
//! load each city's livelihood projects and have residents rate them (a few
//! hundred ratings per city, each with its own one-time code, through the
//! public route `POST /public/v1/ratings`, levels drawn from a seeded
//! generator), publish the summary of the framework scored by those ratings
//! and the `public_rating` document, publish the alliance's reference
//! frameworks (`yrd.tax`, and `yrd.public` for public satisfaction), propose
//! the crosswalks at Taicang and endorse them at Kunshan and Jiading (over
//! libp2p). Once every
//! node holds every crosswalk as recognised and all three answer the same
//! comparison, it prints the comparisons and serves until Ctrl-C, then stops
//! its nodes. Run again on the same `--data-dir`, it restarts the same nodes
//! with their data.
//!
//! With `--delta` it also starts a fourth node, the Delta coordination
//! office ([`COORDINATOR`], 319900: a code GB/T 2260 does not allocate, so it
//! meets none of the cities), generates the signed federation of the Delta's
//! 41 cities (`deltabench::delta`), names its roster as the coordinator's
//! anchor, imports the bundle over the coordinator's API and waits until it
//! answers a comparison of all 41. The time from the start of generation to
//! that answer is printed as the time to ready.

use crate::cli::DemoArgs;
use crate::config::Loaded;
use crate::import::Client;
use anyhow::{Context, Result, anyhow, bail};
use deltabench_model::comparison::Comparison;
use deltabench_wire as wire;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One demo jurisdiction and its sample data, built into the binary so the
/// demo runs from any folder.
struct Jurisdiction {
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    folder: &'static str,
    framework_id: &'static str,
    framework: &'static str,
    units: &'static str,
    /// The 2024 and 2025 values, and the monthly series the twin forecasts.
    observations: [&'static str; 3],
    /// The framework scored by public ratings (`<folder>.public`).
    public_framework: &'static str,
    /// The livelihood projects residents rate.
    projects: &'static str,
    /// How many ratings each project gets and the weights of their levels.
    ratings: &'static str,
    /// Debt figures and the bond calendar (the body of `POST /api/v1/debt`).
    debt: &'static str,
    /// A year of 12345 hotline requests, CSV with GCJ-02 coordinates.
    tickets: &'static str,
    /// The framework valued by the hotline requests (`<folder>.hotline`).
    hotline_framework: &'static str,
}

macro_rules! sample {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../node-config/samples/",
            $path
        ))
    };
}

const JURISDICTIONS: [Jurisdiction; 3] = [
    Jurisdiction {
        code: "320585",
        name_zh: "太仓市",
        name_en: "Taicang",
        folder: "taicang",
        framework_id: "taicang.hqd",
        framework: sample!("taicang/framework.json"),
        units: sample!("taicang/units.json"),
        observations: [
            sample!("taicang/observations-2024.csv"),
            sample!("taicang/observations-2025.csv"),
            sample!("taicang/observations-monthly.csv"),
        ],
        public_framework: sample!("taicang/public-framework.json"),
        projects: sample!("taicang/projects.json"),
        ratings: sample!("taicang/ratings.json"),
        debt: sample!("taicang/debt.json"),
        tickets: sample!("taicang/tickets.csv"),
        hotline_framework: sample!("taicang/hotline-framework.json"),
    },
    Jurisdiction {
        code: "320583",
        name_zh: "昆山市",
        name_en: "Kunshan",
        folder: "kunshan",
        framework_id: "kunshan.perf",
        framework: sample!("kunshan/framework.json"),
        units: sample!("kunshan/units.json"),
        observations: [
            sample!("kunshan/observations-2024.csv"),
            sample!("kunshan/observations-2025.csv"),
            sample!("kunshan/observations-monthly.csv"),
        ],
        public_framework: sample!("kunshan/public-framework.json"),
        projects: sample!("kunshan/projects.json"),
        ratings: sample!("kunshan/ratings.json"),
        debt: sample!("kunshan/debt.json"),
        tickets: sample!("kunshan/tickets.csv"),
        hotline_framework: sample!("kunshan/hotline-framework.json"),
    },
    Jurisdiction {
        code: "310114",
        name_zh: "嘉定区",
        name_en: "Jiading",
        folder: "jiading",
        framework_id: "jiading.gov",
        framework: sample!("jiading/framework.json"),
        units: sample!("jiading/units.json"),
        observations: [
            sample!("jiading/observations-2024.csv"),
            sample!("jiading/observations-2025.csv"),
            sample!("jiading/observations-monthly.csv"),
        ],
        public_framework: sample!("jiading/public-framework.json"),
        projects: sample!("jiading/projects.json"),
        ratings: sample!("jiading/ratings.json"),
        debt: sample!("jiading/debt.json"),
        tickets: sample!("jiading/tickets.csv"),
        hotline_framework: sample!("jiading/hotline-framework.json"),
    },
];

/// The coordinator of `--delta`: the Delta's regional cooperation office. It
/// publishes nothing but its declaration; it anchors on the generated
/// federation's roster without being a member and imports it as a bundle.
/// 319900 lies in Shanghai's range (31) but in no allocated block of
/// GB/T 2260, so it collides with no city or district.
const COORDINATOR: Jurisdiction = Jurisdiction {
    code: "319900",
    name_zh: "长三角区域合作办公室",
    name_en: "Yangtze River Delta Regional Cooperation Office",
    folder: "coordinator",
    framework_id: "",
    framework: "",
    units: "",
    observations: ["", "", ""],
    public_framework: "",
    projects: "",
    ratings: "",
    debt: "",
    tickets: "",
    hotline_framework: "",
};

/// The federation the coordinator imports: the 41 cities, 12 indicators,
/// five years.
fn delta_spec() -> deltabench::delta::Spec {
    deltabench::delta::Spec::default()
}

/// The reference indicator the coordinator's readiness is judged by.
const DELTA_INDICATOR: &str = "yrd.delta/service_satisfaction";

const REFERENCE: &str = sample!("yrd.tax/framework.json");

const CROSSWALKS: [(&str, &str); 18] = [
    (
        "taicang.ontime",
        sample!("yrd.tax/crosswalks/taicang.ontime.json"),
    ),
    (
        "taicang.satisfaction",
        sample!("yrd.tax/crosswalks/taicang.satisfaction.json"),
    ),
    (
        "taicang.processing",
        sample!("yrd.tax/crosswalks/taicang.processing.json"),
    ),
    (
        "kunshan.ontime",
        sample!("yrd.tax/crosswalks/kunshan.ontime.json"),
    ),
    (
        "kunshan.satisfaction",
        sample!("yrd.tax/crosswalks/kunshan.satisfaction.json"),
    ),
    (
        "kunshan.processing",
        sample!("yrd.tax/crosswalks/kunshan.processing.json"),
    ),
    (
        "jiading.ontime",
        sample!("yrd.tax/crosswalks/jiading.ontime.json"),
    ),
    (
        "jiading.satisfaction",
        sample!("yrd.tax/crosswalks/jiading.satisfaction.json"),
    ),
    (
        "jiading.processing",
        sample!("yrd.tax/crosswalks/jiading.processing.json"),
    ),
    (
        "taicang.public_satisfaction",
        sample!("yrd.public/crosswalks/taicang.public_satisfaction.json"),
    ),
    (
        "kunshan.public_satisfaction",
        sample!("yrd.public/crosswalks/kunshan.public_satisfaction.json"),
    ),
    (
        "jiading.public_satisfaction",
        sample!("yrd.public/crosswalks/jiading.public_satisfaction.json"),
    ),
    (
        "taicang.hotline_resolution_rate",
        sample!("yrd.hotline/crosswalks/taicang.hotline_resolution_rate.json"),
    ),
    (
        "taicang.hotline_within_sla",
        sample!("yrd.hotline/crosswalks/taicang.hotline_within_sla.json"),
    ),
    (
        "kunshan.hotline_resolution_rate",
        sample!("yrd.hotline/crosswalks/kunshan.hotline_resolution_rate.json"),
    ),
    (
        "kunshan.hotline_within_sla",
        sample!("yrd.hotline/crosswalks/kunshan.hotline_within_sla.json"),
    ),
    (
        "jiading.hotline_resolution_rate",
        sample!("yrd.hotline/crosswalks/jiading.hotline_resolution_rate.json"),
    ),
    (
        "jiading.hotline_within_sla",
        sample!("yrd.hotline/crosswalks/jiading.hotline_within_sla.json"),
    ),
];

/// The reference framework of public satisfaction, owned by `yrd.tax`.
const REFERENCE_PUBLIC: &str = sample!("yrd.public/framework.json");

/// The reference framework of debt risk, owned by `yrd.tax`: each city
/// publishes its own debt figures as a summary of it.
const REFERENCE_DEBT: &str = sample!("yrd.debt/framework.json");

/// The reference framework of 12345 hotline efficiency, owned by `yrd.tax`.
const REFERENCE_HOTLINE: &str = sample!("yrd.hotline/framework.json");

const INDICATORS: [&str; 7] = [
    "yrd.tax/ontime_filing_rate",
    "yrd.tax/service_satisfaction",
    "yrd.tax/avg_processing_days",
    "yrd.public/satisfaction",
    "yrd.debt/debt_ratio",
    "yrd.hotline/resolution_rate",
    "yrd.hotline/within_sla",
];

/// How many residents' ratings are sent at once: each is stored durably
/// (an fsync) before it is answered, so a few in flight keep the disk busy.
const RATING_THREADS: usize = 4;

/// How long one step may wait for the nodes.
const STEP_TIMEOUT: Duration = Duration::from_secs(90);

/// A node of the demo: its files, tokens and (once started) its process.
struct DemoNode {
    j: &'static Jurisdiction,
    api: String,
    config: PathBuf,
    admin: String,
    viewer: String,
    log: PathBuf,
    child: Option<Child>,
}

impl DemoNode {
    fn name(&self) -> String {
        format!("{} ({})", self.j.name_en, self.j.code)
    }

    fn admin(&self) -> Result<Client> {
        Client::new(&self.api, &self.admin)
    }

    fn viewer(&self) -> Result<Client> {
        Client::new(&self.api, &self.viewer)
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The last lines of the node's log, for an error message.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    }

    /// Fails when the node's process has exited.
    fn check_alive(&mut self) -> Result<()> {
        let name = self.name();
        if let Some(child) = self.child.as_mut() {
            if let Some(status) = child.try_wait()? {
                let pid = child.id();
                self.child = None;
                bail!(
                    "{name}'s node (pid {pid}, {}) exited with {status}; the end of its log ({}):\n{}",
                    self.api,
                    self.log.display(),
                    self.log_tail()
                );
            }
        }
        Ok(())
    }

    /// Starts `deltabench run` for this node and waits until its API answers.
    fn start(&mut self, exe: &Path) -> Result<()> {
        let port = self.api.rsplit(':').next().unwrap_or_default();
        if std::net::TcpListener::bind(format!("127.0.0.1:{port}")).is_err() {
            bail!(
                "port {port} for {}'s API is taken; free it or choose another --api-port-base",
                self.name()
            );
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("cannot open {}", self.log.display()))?;
        // Its own process group: a Ctrl-C in the terminal reaches the demo,
        // which then stops its nodes in order, not the nodes directly.
        let child = Command::new(exe)
            .process_group(0)
            .args(["run", "--config"])
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}'s node", self.name()))?;
        self.child = Some(child);
        let health = format!("{}/healthz", self.api);
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        wait(&format!("{}'s API to answer", self.name()), || {
            self.check_alive()?;
            Ok(http
                .get(&health)
                .send()
                .ok()
                .filter(|r| r.status().is_success())
                .map(|_| ()))
        })
    }

    /// Asks the node to stop (SIGTERM), then kills it after 10 s.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.viewer()?
            .get_as(path)
            .with_context(|| format!("{} to GET {path}", self.name()))
    }

    /// POSTs as the admin; answers the node's answer as `T` when it is `ok`.
    fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
        ok: u16,
    ) -> Result<T> {
        self.admin()?
            .post_as(path, content_type, body.to_owned().into(), ok)?
            .with_context(|| format!("{} to POST {path}", self.name()))
    }
}

impl Drop for DemoNode {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `f` every 100 ms until it gives a value, failing after
/// [`STEP_TIMEOUT`]. The nodes are other processes; their state is read over
/// HTTP, which offers no events to wait for.
fn wait<T>(what: &str, mut f: impl FnMut() -> Result<Option<T>>) -> Result<T> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        if let Some(t) = f()? {
            return Ok(t);
        }
        if Instant::now() > deadline {
            bail!(
                "timed out after {} s waiting for {what}",
                STEP_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs this binary with `args` and answers its standard output.
fn run_self(exe: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(exe)
        .args(args)
        .output()
        .with_context(|| format!("cannot run deltabench {}", args[0]))?;
    if !out.status.success() {
        bail!(
            "deltabench {} failed: {}",
            args[..2.min(args.len())].join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs the demo.
pub fn demo(a: DemoArgs) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let (dir, _temporary) = match a.data_dir {
        Some(d) => {
            std::fs::create_dir_all(&d)
                .with_context(|| format!("cannot create {}", d.display()))?;
            (d, None)
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("deltabench-demo-")
                .tempdir()
                .context("cannot create a temporary folder")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let dir = std::fs::canonicalize(&dir)?;
    let state = dir.join("demo.json");
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(stop.clone())?;

    let resume = state.exists();
    if !resume {
        if a.api_port_base > u16::MAX - 2 {
            bail!(
                "--api-port-base {} leaves no room for three ports",
                a.api_port_base
            );
        }
        for (i, j) in JURISDICTIONS.iter().enumerate() {
            let port = a.api_port_base + i as u16;
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                bail!(
                    "port {port} for {}'s API is taken; free it or choose another --api-port-base",
                    j.name_en
                );
            }
        }
    }
    // The coordinator of an earlier `--delta` run: kept in demo.json whether
    // or not this run starts it.
    let mut coordinator = if resume {
        read_coordinator(&state)?
    } else {
        None
    };
    let coordinator_port = a.api_port_base.checked_add(JURISDICTIONS.len() as u16);
    if a.delta && coordinator.is_none() {
        let Some(port) = coordinator_port else {
            bail!(
                "--api-port-base {} leaves no room for a fourth port (--delta)",
                a.api_port_base
            );
        };
        check_port(port, &COORDINATOR)?;
    }
    let mut nodes = if resume {
        println!("resuming the demo in {}", dir.display());
        read_state(&state)?
    } else {
        println!("creating the demo in {}", dir.display());
        create(&exe, &dir, a.api_port_base)?
    };
    start_all(&exe, &mut nodes)?;
    write_state(&state, &nodes, coordinator.as_ref())?;
    if !resume {
        load(&nodes)?;
    }
    let manifest = converge(&mut nodes)?;
    print_summary(&nodes, &manifest, &dir)?;
    if a.delta {
        let c = match coordinator.take() {
            Some(c) => c,
            None => {
                let port = coordinator_port.context("no port for the coordinator")?;
                let c = create_coordinator(&exe, &dir, port)?;
                write_state(&state, &nodes, Some(&c))?;
                c
            }
        };
        let c = coordinator.insert(c);
        let ready = ready_coordinator(&exe, &dir, c)?;
        write_state(&state, &nodes, Some(c))?;
        print_coordinator(c, &ready);
    }
    let running = if a.delta { "four" } else { "three" };
    println!("serving; press Ctrl-C to stop the {running} nodes");
    while !stop.load(Ordering::SeqCst) {
        for n in nodes.iter_mut().chain(coordinator.iter_mut()) {
            n.check_alive()?;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("stopping the nodes");
    for n in nodes.iter_mut().chain(coordinator.iter_mut()) {
        n.stop();
    }
    Ok(())
}

fn check_port(port: u16, j: &Jurisdiction) -> Result<()> {
    if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
        bail!(
            "port {port} for {}'s API is taken; free it or choose another --api-port-base",
            j.name_en
        );
    }
    Ok(())
}

/// Sets `stop` on SIGINT or SIGTERM.
fn watch_signals(stop: Arc<AtomicBool>) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        rt.block_on(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            stop.store(true, Ordering::SeqCst);
        });
    });
    Ok(())
}

/// Makes the three nodes and the alliance roster.
fn create(exe: &Path, dir: &Path, base: u16) -> Result<Vec<DemoNode>> {
    let mut nodes = Vec::new();
    let mut members = Vec::new();
    for (i, j) in JURISDICTIONS.iter().enumerate() {
        let port = base + i as u16;
        let folder = dir.join(j.folder);
        if folder.join("node.toml").exists() {
            bail!(
                "{} already holds a node but {} is missing; remove the folder or choose another --data-dir",
                folder.display(),
                dir.join("demo.json").display()
            );
        }
        let (node, public_key) = init_node(exe, j, &folder, port)?;
        members.push(format!(
            "{},{},{},{}",
            j.code, public_key, j.name_zh, j.name_en
        ));
        nodes.push(node);
    }
    let roster = dir.join("yrd.tax.v1.json");
    let roster_arg = roster.display().to_string();
    let mut args = vec![
        "roster",
        "new",
        "--alliance",
        "yrd.tax",
        "--threshold",
        "2",
        "--reference-framework",
        "yrd.tax",
        "--recognition-quorum",
        "2",
        "--out",
        &roster_arg,
    ];
    for m in &members {
        args.extend(["--member", m]);
    }
    run_self(exe, &args)?;
    let configs: Vec<String> = nodes
        .iter()
        .map(|n| n.config.display().to_string())
        .collect();
    for c in &configs[..2] {
        run_self(
            exe,
            &["roster", "approve", "--config", c, "--roster", &roster_arg],
        )?;
    }
    for c in &configs {
        run_self(
            exe,
            &["roster", "join", "--config", c, "--roster", &roster_arg],
        )?;
    }
    Ok(nodes)
}

/// Starts Taicang, points the others at its p2p address, starts them, and
/// waits until Taicang sees both.
fn start_all(exe: &Path, nodes: &mut [DemoNode]) -> Result<()> {
    println!("starting {} at {}", nodes[0].name(), nodes[0].api);
    nodes[0].start(exe)?;
    let first = &nodes[0];
    let addr = wait("Taicang's p2p address", || {
        let v: wire::NodeDescription = first.get("/api/v1/node")?;
        Ok(v.p2p.listen.into_iter().next())
    })?;
    for n in nodes[1..].iter_mut() {
        let mut loaded = Loaded::read(&n.config)?;
        loaded.config.p2p.bootstrap = vec![addr.clone()];
        loaded.write()?;
        println!("starting {} at {}", n.name(), n.api);
        n.start(exe)?;
    }
    let first = &mut nodes[0];
    wait("Taicang to connect to Kunshan and Jiading", || {
        first.check_alive()?;
        let v: wire::PeerList = first.get("/api/v1/peers")?;
        Ok((v.peers.len() >= 2).then_some(()))
    })
}

/// Imports the jurisdiction's 12345 requests of 2025 (GCJ-02 coordinates)
/// and prints what the heat map and the departments' figures make of them.
fn load_tickets(n: &DemoNode) -> Result<()> {
    let stored: wire::TicketsStored = n.post(
        "/api/v1/hotline/tickets?coordinates=gcj02",
        "text/csv",
        n.j.tickets,
        201,
    )?;
    let map: wire::Heatmap = n.get("/api/v1/hotline/heatmap?period=2025&resolution=8")?;
    let d: wire::Departments = n.get("/api/v1/hotline/departments?period=2025")?;
    let departments = d
        .departments
        .iter()
        .filter(|r| r.category.is_none())
        .count();
    println!(
        "{}: {} hotline requests of 2025 ({} flagged) on {} H3 cells across {departments} departments",
        n.name(),
        stored.accepted,
        stored.flagged.values().sum::<usize>(),
        map.cells.len(),
    );
    // The framework valued by the requests, and its 2025 summary: each
    // department's resolution rate and within-SLA share, averaged.
    let _: wire::FrameworkPublished = n.post(
        "/api/v1/frameworks",
        "application/json",
        n.j.hotline_framework,
        201,
    )?;
    publish_summary(n, &format!("{}.hotline", n.j.folder), "2025")?;
    // The signed hotline summary: counts per category and per H3 cell of
    // at least k requests, nothing about any one request.
    let p: wire::HotlineSummaryPublished = n.post(
        "/api/v1/hotline/summaries",
        "application/json",
        r#"{"period": "2025"}"#,
        201,
    )?;
    let s: deltabench_model::documents::HotlineSummary =
        serde_json::from_str(p.document.payload.get()).context("the hotline summary")?;
    let (closure, resolution) = closure_and_resolution(&s);
    println!(
        "{}: signs its 2025 hotline summary: {} requests in {} categories, 办结率 {closure:.1}%, 解决率 {resolution:.1}%; {} H3 cells of at least k = {} ({} cells of {} requests withheld, {} without coordinates)",
        n.name(),
        s.requests,
        s.categories.len(),
        s.cells.len(),
        s.k,
        s.withheld_cells,
        s.withheld_requests,
        s.without_coordinates
    );
    Ok(())
}

/// Publishes the summary of version 1.0.0 of the node's framework `id`
/// for `period` (`POST /api/v1/summaries`).
fn publish_summary(n: &DemoNode, id: &str, period: &str) -> Result<()> {
    let body = wire::SummaryRequest {
        framework: id.parse()?,
        version: Some("1.0.0".into()),
        period: deltabench_model::Period::parse(period)?,
        reason: None,
    };
    let _: wire::SummaryPublished = n.post(
        "/api/v1/summaries",
        "application/json",
        &serde_json::to_string(&body)?,
        201,
    )?;
    Ok(())
}

/// Signs the jurisdiction's year-end forecasts of 2025 from its months
/// January to September (`POST /api/v1/forecast-commitments`).
fn commit_forecasts(n: &DemoNode) -> Result<()> {
    let body = serde_json::json!({"framework": n.j.framework_id, "period": "2025"});
    let c: wire::CommitmentPublished = n.post(
        "/api/v1/forecast-commitments",
        "application/json",
        &body.to_string(),
        201,
    )?;
    let payload: deltabench_model::documents::ForecastCommitment =
        serde_json::from_str(c.document.payload.get())
            .context("the forecast document's payload")?;
    println!(
        "{}: commits to year-end forecasts of {} indicators as of {} ({} left out)",
        n.name(),
        payload.indicators.len(),
        payload.as_of,
        c.left_out.len()
    );
    Ok(())
}

/// Loads each jurisdiction's data, publishes its summaries, then proposes
/// and endorses the crosswalks.
fn load(nodes: &[DemoNode]) -> Result<()> {
    for n in nodes {
        println!("loading {}'s framework, units and observations", n.name());
        let _: wire::FrameworkPublished =
            n.post("/api/v1/frameworks", "application/json", n.j.framework, 201)?;
        let _: wire::UnitsStored = n.post("/api/v1/units", "application/json", n.j.units, 201)?;
        for csv in n.j.observations {
            let _: wire::ObservationsStored =
                n.post("/api/v1/observations", "text/csv", csv, 201)?;
        }
        for period in ["2024", "2025"] {
            if period == "2025" {
                // The forecast from January-September is signed before the
                // year's summary, so the chain shows it came first.
                commit_forecasts(n)?;
            }
            publish_summary(n, n.j.framework_id, period)?;
        }
        rate_and_publish(n)?;
        let stored: wire::DebtStored = n.post("/api/v1/debt", "application/json", n.j.debt, 201)?;
        let risk: wire::DebtRisk = n.get("/api/v1/debt-risk")?;
        let band = |projected: bool| {
            risk.rows
                .iter()
                .rev()
                .find(|r| r.projected == projected)
                .map_or("–".to_string(), |r| {
                    format!("{} {:.0}% ({:?})", r.period, r.debt_ratio, r.band)
                })
        };
        println!(
            "{}: debt figures for {} years and a bond calendar of {}; debt ratio {}, projected {}",
            n.name(),
            stored.actuals,
            stored.calendar,
            band(false),
            band(true)
        );
        load_tickets(n)?;
        let q = format!("?framework={}&period=2025", n.j.framework_id);
        let fc: wire::ForecastList = n.get(&format!("/api/v1/forecasts{q}"))?;
        let wl: wire::WarningList = n.get(&format!("/api/v1/warnings{q}"))?;
        println!(
            "{}: {} year-end forecasts from January-September 2025, {} early warnings",
            n.name(),
            fc.forecasts.len(),
            wl.warnings.len()
        );
        let skill: wire::ForecastSkill = n.get("/api/v1/forecast-skill?period=2025")?;
        let own = n.j.code;
        for c in skill
            .commitments
            .iter()
            .filter(|c| c.issuer.as_str() == own)
        {
            println!(
                "{}: its September forecast commitment for 2025 ({:?}) held {} of {} year-end values, mean relative interval score {}",
                n.name(),
                c.status,
                c.indicators
                    .iter()
                    .filter(|i| i.covered == Some(true))
                    .count(),
                c.scored,
                c.mean_relative_interval_score
                    .map_or("–".to_string(), |x| format!("{x:.3}"))
            );
        }
    }
    let taicang = &nodes[0];
    // The founding roster, as approved, becomes a signed document on
    // Taicang's chain: every member then holds the alliance's history as
    // documents, and anyone can check the approvals in a bundle.
    let roster_file = taicang
        .config
        .parent()
        .map(|d| d.join("yrd.tax.roster.json"))
        .context("Taicang's config folder")?;
    let roster = std::fs::read_to_string(&roster_file)
        .with_context(|| format!("reading {}", roster_file.display()))?;
    println!("Taicang publishes the founding roster of yrd.tax on its chain");
    let _: wire::Published = taicang.post("/api/v1/rosters", "application/json", &roster, 201)?;
    println!(
        "Taicang publishes the alliance's reference frameworks yrd.tax, yrd.public, yrd.debt and yrd.hotline and proposes {} crosswalks",
        CROSSWALKS.len()
    );
    for reference in [
        REFERENCE,
        REFERENCE_PUBLIC,
        REFERENCE_DEBT,
        REFERENCE_HOTLINE,
    ] {
        let _: wire::FrameworkPublished =
            taicang.post("/api/v1/frameworks", "application/json", reference, 201)?;
    }
    for other in &nodes[1..] {
        for id in [
            other.j.framework_id.to_owned(),
            format!("{}.public", other.j.folder),
            format!("{}.hotline", other.j.folder),
        ] {
            let path = format!("/api/v1/frameworks/{id}");
            wait(&format!("Taicang to hold {id}"), || {
                Ok((taicang.viewer()?.get(&path)?.0 == 200).then_some(()))
            })?;
        }
    }
    for (_, body) in CROSSWALKS {
        let _: wire::CrosswalkProposed =
            taicang.post("/api/v1/crosswalks", "application/json", body, 201)?;
    }
    for n in &nodes[1..] {
        wait(&format!("{} to receive the crosswalks", n.name()), || {
            let v: wire::CrosswalkList = n.get("/api/v1/crosswalks")?;
            Ok((v.crosswalks.len() >= CROSSWALKS.len()).then_some(()))
        })?;
        println!("{} endorses the crosswalks", n.name());
        for (id, _) in CROSSWALKS {
            let body = wire::EndorsementRequest {
                decision: wire::Decision::Accept,
                comment: None,
                version: None,
            };
            let _: wire::EndorsementPublished = n.post(
                &format!("/api/v1/crosswalks/{id}/endorsements"),
                "application/json",
                &serde_json::to_string(&body)?,
                201,
            )?;
        }
    }
    publish_debt(nodes)?;
    compare_hotline(nodes)
}

/// Taicang's node reads every city's signed hotline summary of 2025 side
/// by side (`GET /api/v1/hotline/delta`): demand by harmonised category,
/// closure beside resolution.
fn compare_hotline(nodes: &[DemoNode]) -> Result<()> {
    let d = wait("Taicang to hold every city's hotline summary", || {
        let d: deltabench_model::hotline::HotlineDelta =
            nodes[0].get("/api/v1/hotline/delta?period=2025")?;
        Ok((d.members.len() >= JURISDICTIONS.len()).then_some(d))
    })?;
    for m in &d.members {
        let s = &m.summary;
        let (closure, resolution) = closure_and_resolution(s);
        let top = s.categories.iter().max_by_key(|c| c.requests);
        println!(
            "hotline 2025 across the Delta, {}: {} requests, most of them {} ({}); 办结率 {closure:.1}%, 解决率 {resolution:.1}%",
            m.issuer,
            s.requests,
            top.map_or("–", |c| c.category.as_str()),
            top.map_or(0, |c| c.requests),
        );
    }
    Ok(())
}

/// The closure rate (办结率) and resolution rate (解决率) of a signed
/// hotline summary, in percent, from its counts.
fn closure_and_resolution(s: &deltabench_model::documents::HotlineSummary) -> (f64, f64) {
    let sum = |f: fn(&deltabench_model::documents::HotlineCategory) -> u32| {
        s.categories.iter().map(|c| u64::from(f(c))).sum::<u64>()
    };
    let share = |n: u64| 100.0 * n as f64 / f64::from(s.requests.max(1));
    (share(sum(|c| c.closed)), share(sum(|c| c.resolved)))
}

/// Each city publishes its 2025 debt figures as a summary of the reference
/// framework `yrd.debt` (`POST /api/v1/debt/summaries`), and Taicang's node
/// then compares the three debt ratios like any indicator.
fn publish_debt(nodes: &[DemoNode]) -> Result<()> {
    for n in nodes {
        wait(&format!("{} to hold yrd.debt", n.name()), || {
            Ok((n.viewer()?.get("/api/v1/frameworks/yrd.debt")?.0 == 200).then_some(()))
        })?;
        let body = serde_json::json!({"framework": "yrd.debt", "period": "2025"});
        let p: wire::SummaryPublished = n.post(
            "/api/v1/debt/summaries",
            "application/json",
            &body.to_string(),
            201,
        )?;
        let s: deltabench_model::documents::Summary =
            serde_json::from_str(p.document.payload.get()).context("the debt summary")?;
        let ratio = s
            .indicators
            .iter()
            .find(|i| i.indicator.as_str() == "debt_ratio")
            .and_then(|i| i.value)
            .map_or(f64::NAN, |v| v.get());
        println!(
            "{} publishes its 2025 debt figures as a summary of yrd.debt (debt ratio {ratio:.1}%)",
            n.name()
        );
    }
    wait("Taicang to compare the three debt ratios", || {
        let c: Comparison =
            nodes[0].get("/api/v1/comparisons?indicator=yrd.debt/debt_ratio&period=2025")?;
        Ok((c.rows.len() >= JURISDICTIONS.len()).then_some(()))
    })
}

/// The demo's plan of public ratings (`ratings.json`).
#[derive(serde::Deserialize)]
struct RatingPlan {
    seed: u64,
    projects: Vec<PlannedProject>,
}

#[derive(serde::Deserialize)]
struct PlannedProject {
    project: deltabench_model::ProjectId,
    ratings: usize,
    weights: [f64; 5],
}

/// SplitMix64 seeded from the plan's seed, the jurisdiction and the
/// project: the same levels on every run, whatever order the ratings go in.
struct Levels(u64);

impl Levels {
    fn new(seed: u64, code: &str, project: &str) -> Self {
        use sha2::{Digest, Sha256};
        let d = Sha256::new()
            .chain_update(b"deltabench/demo-ratings\0")
            .chain_update(seed.to_be_bytes())
            .chain_update(code.as_bytes())
            .chain_update([0])
            .chain_update(project.as_bytes())
            .finalize();
        let mut b = [0u8; 8];
        b.copy_from_slice(&d[..8]);
        Self(u64::from_be_bytes(b))
    }

    /// A level from 1 to 5, drawn by `weights`.
    fn draw(&mut self, weights: &[f64; 5]) -> u8 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let u = ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
        let mut at = u * weights.iter().sum::<f64>();
        for (i, w) in weights.iter().enumerate() {
            if at < *w {
                return i as u8 + 1;
            }
            at -= w;
        }
        5
    }
}

/// Public rating at one node, as its office and residents would do it: the
/// framework scored by public ratings and the projects, one-time codes per
/// project, each rating sent with its own code through `POST
/// /public/v1/ratings` (a few at once), then the summary of that framework
/// and the period's `public_rating` document.
fn rate_and_publish(n: &DemoNode) -> Result<()> {
    let _: wire::FrameworkPublished = n.post(
        "/api/v1/frameworks",
        "application/json",
        n.j.public_framework,
        201,
    )?;
    let _: wire::ProjectsStored =
        n.post("/api/v1/projects", "application/json", n.j.projects, 201)?;
    let plan: RatingPlan = serde_json::from_str(n.j.ratings).context("the rating plan")?;
    let mut ratings = Vec::new();
    for p in &plan.projects {
        let body = wire::CodesRequest { count: p.ratings };
        let issued: wire::CodesIssued = n.post(
            &format!("/api/v1/projects/{}/codes", p.project),
            "application/json",
            &serde_json::to_string(&body)?,
            201,
        )?;
        let mut levels = Levels::new(plan.seed, n.j.code, p.project.as_str());
        for code in issued.codes {
            ratings.push(wire::RatingIn {
                project: p.project.clone(),
                code,
                level: levels.draw(&p.weights),
                comment: None,
            });
        }
    }
    let started = Instant::now();
    let chunk = ratings.len().div_ceil(RATING_THREADS).max(1);
    std::thread::scope(|s| {
        let senders: Vec<_> = ratings
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || -> Result<()> {
                    // Residents need no token; the client's is not read.
                    let c = n.viewer()?;
                    for r in part {
                        let _: wire::RatingStored = c
                            .post_json("/public/v1/ratings", r, 201)?
                            .map_err(|e| anyhow!("a rating was refused: {e}"))?;
                    }
                    Ok(())
                })
            })
            .collect();
        senders
            .into_iter()
            .try_for_each(|h| h.join().map_err(|_| anyhow!("a rating thread panicked"))?)
    })
    .with_context(|| format!("{} to take the residents' ratings", n.name()))?;
    println!(
        "{}: {} projects, {} ratings through POST /public/v1/ratings in {:.1} s",
        n.name(),
        plan.projects.len(),
        ratings.len(),
        started.elapsed().as_secs_f64()
    );
    publish_summary(n, &format!("{}.public", n.j.folder), "2025")?;
    let body = wire::PublicRatingsRequest {
        period: deltabench_model::Period::parse("2025")?,
    };
    let published: wire::PublicRatingsPublished = n.post(
        "/api/v1/public-ratings",
        "application/json",
        &serde_json::to_string(&body)?,
        201,
    )?;
    let payload: deltabench_model::documents::PublicRatingSummary =
        serde_json::from_str(published.document.payload.get())
            .context("the published public_rating payload")?;
    for c in &payload.categories {
        let [lo, hi] = c.satisfied_interval.map(|v| v.get() * 100.0);
        println!(
            "  {:<13} n {:>3}  mean {:.2}  shrunk {:.2}  satisfied {:>3.0}% [{lo:.0}%, {hi:.0}%]",
            c.category.as_str(),
            c.n,
            c.raw_mean.get(),
            c.shrunk.get(),
            c.satisfied_share.get() * 100.0
        );
    }
    Ok(())
}

/// Waits until every node holds every crosswalk as recognised and all three
/// answer the same comparison; answers its manifest.
fn converge(nodes: &mut [DemoNode]) -> Result<String> {
    let path = format!(
        "/api/v1/comparisons?indicator={}&period=2025",
        INDICATORS[0]
    );
    wait("the three nodes to agree on the comparison", || {
        let mut manifests = Vec::new();
        for n in nodes.iter_mut() {
            n.check_alive()?;
            let recognised: wire::CrosswalkList = n.get("/api/v1/crosswalks?status=recognised")?;
            if recognised.crosswalks.len() < CROSSWALKS.len() {
                return Ok(None);
            }
            let c: Comparison = n.get(&path)?;
            if c.rows.len() < JURISDICTIONS.len() {
                return Ok(None);
            }
            manifests.push(c.manifest);
        }
        let same = manifests.windows(2).all(|w| w[0] == w[1]);
        Ok(same.then(|| manifests[0].clone()))
    })
}

fn print_summary(nodes: &[DemoNode], manifest: &str, dir: &Path) -> Result<()> {
    println!();
    for i in INDICATORS {
        let c: Comparison =
            nodes[0].get(&format!("/api/v1/comparisons?indicator={i}&period=2025"))?;
        println!("{}", crate::compare::table(&c));
    }
    println!("all three nodes answer the on-time filing comparison with manifest {manifest}");
    println!();
    for n in nodes {
        println!(
            "{:<20} {}  pid {}  admin token {}  viewer token {}",
            n.name(),
            n.api,
            n.pid().unwrap_or_default(),
            n.admin,
            n.viewer
        );
    }
    println!();
    println!("dashboard (each node serves its own; the link carries its viewer token):");
    for n in nodes {
        println!(
            "  {:<18} {}/#/comparison?token={}&indicator={}&period=2025",
            n.name(),
            n.api,
            n.viewer,
            INDICATORS[0]
        );
    }
    println!("node logs and demo.json are in {}", dir.display());
    Ok(())
}

fn write_state(path: &Path, nodes: &[DemoNode], coordinator: Option<&DemoNode>) -> Result<()> {
    let list: Vec<Value> = nodes
        .iter()
        .map(|n| (n, None))
        .chain(coordinator.map(|c| (c, Some("coordinator"))))
        .map(|(n, role)| {
            let mut v = json!({
                "code": n.j.code,
                "api": n.api,
                "config": n.config.display().to_string(),
                "pid": n.pid(),
                "admin_token": n.admin,
                "viewer_token": n.viewer,
            });
            if let Some(role) = role {
                v["role"] = role.into();
            }
            v
        })
        .collect();
    let text = serde_json::to_string_pretty(&json!({ "nodes": list }))?;
    crate::config::write_atomic(path, text.as_bytes(), true)
}

/// The nodes listed in demo.json.
fn state_entries(path: &Path) -> Result<Vec<Value>> {
    let mut text = String::new();
    std::fs::File::open(path)?.read_to_string(&mut text)?;
    let v: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not the demo's state", path.display()))?;
    v["nodes"]
        .as_array()
        .cloned()
        .ok_or_else(|| anyhow!("{} lists no nodes", path.display()))
}

/// The node of `j` from its demo.json entry.
fn node_from_entry(path: &Path, j: &'static Jurisdiction, n: &Value) -> Result<DemoNode> {
    let s = |k: &str| {
        n[k].as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("{} gives no {k} for {}", path.display(), j.code))
    };
    let config = PathBuf::from(s("config")?);
    Ok(DemoNode {
        j,
        api: s("api")?,
        log: config.with_file_name("node.log"),
        config,
        admin: s("admin_token")?,
        viewer: s("viewer_token")?,
        child: None,
    })
}

fn read_state(path: &Path) -> Result<Vec<DemoNode>> {
    let list = state_entries(path)?;
    let mut nodes = Vec::new();
    for j in &JURISDICTIONS {
        let n = list
            .iter()
            .find(|n| n["code"] == j.code)
            .ok_or_else(|| anyhow!("{} does not list {}", path.display(), j.code))?;
        nodes.push(node_from_entry(path, j, n)?);
    }
    Ok(nodes)
}

/// The coordinator of an earlier `--delta` run, if demo.json lists one.
fn read_coordinator(path: &Path) -> Result<Option<DemoNode>> {
    state_entries(path)?
        .iter()
        .find(|n| n["code"] == COORDINATOR.code)
        .map(|n| node_from_entry(path, &COORDINATOR, n))
        .transpose()
}

// ------------------------------------------------------------ the coordinator

/// `init` of the coordinator's node.
fn create_coordinator(exe: &Path, dir: &Path, port: u16) -> Result<DemoNode> {
    let j = &COORDINATOR;
    let folder = dir.join(j.folder);
    if folder.join("node.toml").exists() {
        bail!(
            "{} already holds a node but {} does not list it; remove the folder or choose another --data-dir",
            folder.display(),
            dir.join("demo.json").display()
        );
    }
    init_node(exe, j, &folder, port).map(|(node, _)| node)
}

/// `deltabench init` of `j`'s node in `folder`, its API on `port`: the node
/// (not started) and its public key.
fn init_node(
    exe: &Path,
    j: &'static Jurisdiction,
    folder: &Path,
    port: u16,
) -> Result<(DemoNode, String)> {
    let out = run_self(
        exe,
        &[
            "init",
            "--jurisdiction",
            j.code,
            "--name-zh",
            j.name_zh,
            "--name-en",
            j.name_en,
            "--dir",
            &folder.display().to_string(),
            "--api-listen",
            &format!("127.0.0.1:{port}"),
            "--p2p-listen",
            "/ip4/127.0.0.1/tcp/0",
            "--json",
        ],
    )?;
    let v: Value = serde_json::from_str(&out).context("init printed no JSON")?;
    let s = |k: &str| {
        v[k].as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("init gave no {k}"))
    };
    let config = PathBuf::from(s("config")?);
    // The demo's residents all rate from 127.0.0.1, a few hundred a
    // minute: the per-address limit, meant for one resident's device or a
    // script, is turned off on the demo's nodes.
    let mut loaded = crate::config::Loaded::read(&config)?;
    loaded.config.public.ratings_per_minute = 0;
    loaded.write()?;
    let node = DemoNode {
        j,
        api: format!("http://127.0.0.1:{port}"),
        config,
        admin: s("admin_token")?,
        viewer: s("viewer_token")?,
        log: folder.join("node.log"),
        child: None,
    };
    Ok((node, s("public_key")?))
}

/// How the coordinator became ready.
struct Ready {
    /// From the start of generation (or of the restart) to the first
    /// comparison of all cities answered.
    total: Duration,
    /// How long signing the federation took, when it was generated now.
    signing: Option<Duration>,
    /// The number of documents in the bundle.
    documents: usize,
    /// The import's answer and how long it took.
    import: wire::BundleReport,
    import_time: Duration,
    /// The first comparison answered.
    comparison: Comparison,
}

/// Generates the federation (unless an earlier run left it), configures the
/// coordinator to accept it, starts the coordinator, imports the bundle and
/// waits until it compares every city.
fn ready_coordinator(exe: &Path, dir: &Path, c: &mut DemoNode) -> Result<Ready> {
    use deltabench::delta::{DELTA41, Federation, Written};
    let start = Instant::now();
    let fed_dir = dir.join("delta-federation");
    let bundle = fed_dir.join("bundle.json");
    let anchor = fed_dir.join(Federation::anchor_file_name());
    // A bundle already written was made before anything was imported from
    // it; making it again would sign other documents for the same positions.
    let (written, signing) = match std::fs::metadata(&bundle) {
        Ok(meta) if anchor.exists() => (
            Written {
                bundle,
                bundle_bytes: meta.len(),
                anchor,
                manifest: fed_dir.join("federation.json"),
                stream: None,
            },
            None,
        ),
        _ => {
            println!(
                "generating the signed federation of the Delta's {} cities",
                DELTA41.len()
            );
            let g = crate::generate::generate_into(&delta_spec(), &fed_dir, false)?;
            (g.written, Some(g.signing))
        }
    };
    crate::generate::configure_coordinator(&c.config, &written)?;
    println!("starting {} at {}", c.name(), c.api);
    c.start(exe)?;
    let body = std::fs::read(&written.bundle)
        .with_context(|| format!("cannot read {}", written.bundle.display()))?;
    println!(
        "importing {} ({:.1} MB) into the coordinator",
        written.bundle.display(),
        body.len() as f64 / 1e6
    );
    let documents = {
        #[derive(serde::Deserialize)]
        struct Bundle<'a> {
            #[serde(borrow)]
            documents: Vec<&'a serde_json::value::RawValue>,
        }
        let b: Bundle<'_> = serde_json::from_slice(&body)
            .with_context(|| format!("{} is not a bundle", written.bundle.display()))?;
        b.documents.len()
    };
    let t = Instant::now();
    let import: wire::BundleReport = c.post(
        "/api/v1/bundle",
        "application/json",
        &String::from_utf8(body)?,
        200,
    )?;
    let import_time = t.elapsed();
    // A document held for its predecessor and released by the same bundle
    // counts as pending and as accepted: only the stored ones count here.
    if !import.rejected.is_empty() || import.accepted + import.duplicates != documents {
        let first: Vec<String> = import
            .rejected
            .iter()
            .take(3)
            .map(|r| format!("#{} {}: {}", r.index, r.reason, r.detail))
            .collect();
        bail!(
            "the coordinator stored {} of the federation's {documents} documents ({} refused): {}",
            import.accepted + import.duplicates,
            import.rejected.len(),
            first.join("; ")
        );
    }
    let (period, path) = {
        let last = delta_spec().periods.1;
        (
            last,
            format!("/api/v1/comparisons?indicator={DELTA_INDICATOR}&period={last}"),
        )
    };
    let comparison = wait(
        &format!(
            "the coordinator to compare the {} cities in {period}",
            DELTA41.len()
        ),
        || {
            c.check_alive()?;
            let (status, text) = c.viewer()?.get(&path)?;
            if status != 200 {
                return Ok(None);
            }
            let cmp: Comparison = serde_json::from_str(&text).context("a comparison")?;
            Ok((cmp.rows.len() >= DELTA41.len()).then_some(cmp))
        },
    )?;
    Ok(Ready {
        total: start.elapsed(),
        documents,
        signing,
        import,
        import_time,
        comparison,
    })
}

fn print_coordinator(c: &DemoNode, ready: &Ready) {
    println!();
    println!("{}", crate::compare::table(&ready.comparison));
    let documents = ready.documents;
    let secs = ready.import_time.as_secs_f64();
    println!(
        "{:<20} {}  pid {}  admin token {}  viewer token {}",
        c.name(),
        c.api,
        c.pid().unwrap_or_default(),
        c.admin,
        c.viewer
    );
    match ready.signing {
        Some(s) => println!(
            "time to ready: {:.1} s from the start of generation to the first comparison of all cities \
             (signing {:.1} s; import: {documents} documents in {secs:.1} s, {:.0} documents/s, {} new)",
            ready.total.as_secs_f64(),
            s.as_secs_f64(),
            documents as f64 / secs.max(1e-9),
            ready.import.accepted
        ),
        None => println!(
            "time to ready: {:.1} s from the restart to the first comparison of all cities \
             (import: {documents} documents in {secs:.1} s, {:.0} documents/s, {} new)",
            ready.total.as_secs_f64(),
            documents as f64 / secs.max(1e-9),
            ready.import.accepted
        ),
    }
    println!(
        "  dashboard: {}/#/comparison?token={}&indicator={DELTA_INDICATOR}&period={}",
        c.api, c.viewer, ready.comparison.period
    );
}
