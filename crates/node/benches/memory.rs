//! Resident memory against the documents held, at Delta scale.
//!
//! The benchmark signs, on all cores, the Delta-scale federation
//! (`common/delta.rs`): an alliance of 300 members, each with its own key,
//! under a roster approved by 151 of them, the alliance's 200-indicator
//! reference framework and, per member, its framework, summaries for 5
//! periods, 200 crosswalks onto the reference and the endorsements (owner and
//! next member): 182,102 documents. It then goes on to 250,000 documents with
//! corrected summaries and further endorsements.
//!
//! A child process (the same executable, so that the signed data set is not
//! in the memory measured) then opens member 0's node on an on-disk store in
//! a temporary directory and takes the documents in as the network brings
//! them: [`Node::ingest_bundle`] in batches of 2,000, each flushed. Every
//! 10,000 documents (and at the end of the base set) it prints:
//!
//! - `docs`: documents held; `view`: documents the harmonised view took in;
//! - `rss`: VmRSS, MiB; `peak`: the highest RSS so far (VmHWM), MiB;
//!   `heap`: bytes live in Rust allocations (a counting global allocator),
//!   MiB; `free`: bytes glibc holds free in its arenas
//!   (`mallinfo2().fordblks`), MiB; `trim`: VmRSS after `malloc_trim(0)`,
//!   with `MEMORY_TRIM=1`;
//! - `json_ms`: one comparison through `Node::comparison_json` (the view
//!   changed since the last one, so it is computed and serialised),
//!   `cached_ms`: the same again (from the answer cache), `compare_ms`:
//!   `node.view().compare(..)`, uncached;
//! - `KiB/doc`: RSS growth since the node opened, per document held.
//!
//! Then the documents stop: 10 rounds of comparisons for all 200 reference
//! indicators (period cycling over the 5 years, so the answer cache fills and
//! evicts), RSS after each, to show whether memory stays flat. Then an export
//! of every document held, streamed as `GET /api/v1/bundle` streams it and,
//! to compare, built whole, with the peak RSS growth of each. Last come the
//! store's size on disk and one JSON line with every figure (`"bench":
//! "memory"`).
//!
//! Run (release; a few minutes on 2 cores):
//!
//! ```text
//! cargo bench -p deltabench-node --bench memory [-- TOTAL [BATCH [STEP]]]
//! ```
//!
//! (defaults 250000 2000 10000). Switches, to find what grows:
//!
//! - `MEMORY_MODE=node` (default): the whole node. `store`: only the store
//!   (`Store::put_document` of the decoded documents, flushed per batch: no
//!   validation state, no view). `view`: only the harmonised view
//!   (`View::apply` of the decoded documents, no store).
//! - `MEMORY_COMPARE=0`: no comparisons (the view is kept but not consulted,
//!   the answer cache stays empty).
//! - `MEMORY_TRIM=1`: `malloc_trim(0)` at each step, to show how much of RSS
//!   is memory glibc holds free. `MALLOC_ARENA_MAX=2` (glibc's own switch)
//!   limits the per-thread arenas.
//! - `MEMORY_DATA=FILE`: keep the signed data set in FILE and reuse it on the
//!   next run (signing takes about a minute on 2 cores).
//!
//! `scripts/memory.sh` runs the variants one after the other. Not part of any
//! test run: `cargo test` does not run benchmarks.

use deltabench_engine::Held;
use deltabench_engine::view::{Doc, View};
use deltabench_model::Period;
use deltabench_model::documents::{DocKind, Payload};
use deltabench_node::Node;
use deltabench_store::Store;
use deltabench_trust::{Document, Limits};
use rayon::prelude::*;
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

#[path = "common/delta.rs"]
mod delta;

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    /// glibc's `struct mallinfo2`.
    #[repr(C)]
    pub struct MallInfo2 {
        pub arena: usize,
        pub ordblks: usize,
        pub smblks: usize,
        pub hblks: usize,
        pub hblkhd: usize,
        pub usmblks: usize,
        pub fsmblks: usize,
        pub uordblks: usize,
        pub fordblks: usize,
        pub keepcost: usize,
    }
    unsafe extern "C" {
        pub fn mallinfo2() -> MallInfo2;
        pub fn malloc_trim(pad: usize) -> i32;
    }
}

/// Bytes glibc holds free in its arenas.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn malloc_free() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    unsafe { glibc::mallinfo2() }.fordblks
}

/// Gives the memory glibc holds free back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim may be called at any time.
    unsafe { glibc::malloc_trim(0) };
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn malloc_free() -> usize {
    0
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

/// A `/proc/self/status` figure of this process (VmRSS, VmHWM), in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// An export of every document held, as `GET /api/v1/bundle` writes it:
/// streamed (read one at a time through `Store::documents_after`, gathered
/// in 64 KiB chunks and passed on, here to a sink), and, to compare, whole
/// (the bundle built in one buffer first, as the route did before it
/// streamed). For each, the growth of peak RSS above RSS before it (VmHWM
/// is reset through `/proc/self/clear_refs` first), in MiB.
fn export_figures(store: &Store) -> serde_json::Value {
    use std::io::Write;
    let reset_peak = || std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let mib = |kib: u64| kib as f64 / 1024.0;
    trim();
    let reset = reset_peak();
    let before = status_kib("VmRSS:");
    let t = Instant::now();
    let (mut docs, mut bytes) = (0u64, 0u64);
    let mut sink = std::io::sink();
    let mut chunk: Vec<u8> = Vec::with_capacity(64 * 1024);
    for doc in store.documents_after(None) {
        let (_, d) = doc.unwrap();
        chunk.extend_from_slice(&d);
        chunk.push(b',');
        docs += 1;
        if chunk.len() >= 64 * 1024 {
            bytes += chunk.len() as u64;
            sink.write_all(&chunk).unwrap();
            chunk.clear();
        }
    }
    bytes += chunk.len() as u64;
    let streamed_s = t.elapsed().as_secs_f64();
    let streamed_growth = mib(status_kib("VmHWM:").saturating_sub(before));
    drop(chunk);
    trim();
    reset_peak();
    let before = status_kib("VmRSS:");
    let t = Instant::now();
    let mut whole = b"{\"documents\":[".to_vec();
    for d in store.all_documents() {
        whole.extend_from_slice(&d.unwrap());
        whole.push(b',');
    }
    let whole_s = t.elapsed().as_secs_f64();
    let whole_growth = mib(status_kib("VmHWM:").saturating_sub(before));
    drop(whole);
    println!(
        "export of {docs} documents ({:.1} MiB): streamed {streamed_s:.2} s, peak RSS +{streamed_growth:.1} MiB; \
         built whole {whole_s:.2} s, peak RSS +{whole_growth:.1} MiB{}",
        bytes as f64 / (1024.0 * 1024.0),
        if reset {
            ""
        } else {
            " (peak not reset: figures are upper bounds)"
        }
    );
    json!({
        "documents": docs,
        "mib": (bytes as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0,
        "streamed_s": (streamed_s * 100.0).round() / 100.0,
        "streamed_peak_growth_mib": (streamed_growth * 10.0).round() / 10.0,
        "whole_s": (whole_s * 100.0).round() / 100.0,
        "whole_peak_growth_mib": (whole_growth * 10.0).round() / 10.0,
        "peak_reset": reset,
    })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Memory at one moment, MiB.
#[derive(Debug, Clone, Copy, Default)]
struct Probe {
    rss: f64,
    /// The highest RSS so far (VmHWM).
    peak: f64,
    heap: f64,
    free: f64,
}

fn probe() -> Probe {
    Probe {
        rss: status_kib("VmRSS:") as f64 / 1024.0,
        peak: status_kib("VmHWM:") as f64 / 1024.0,
        heap: LIVE.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0),
        free: malloc_free() as f64 / (1024.0 * 1024.0),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Node,
    Store,
    View,
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    total: usize,
    batch: usize,
    step: usize,
    mode: Mode,
    compare: bool,
    trim: bool,
    rounds: usize,
}

fn settings() -> Settings {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let env = |k: &str| std::env::var(k).ok();
    let mode = match env("MEMORY_MODE").as_deref() {
        None | Some("node") => Mode::Node,
        Some("store") => Mode::Store,
        Some("view") => Mode::View,
        Some(other) => panic!("MEMORY_MODE={other}: node, store or view"),
    };
    Settings {
        total: args.first().copied().unwrap_or(250_000).max(delta::BASE),
        batch: args.get(1).copied().unwrap_or(2_000),
        step: args.get(2).copied().unwrap_or(10_000),
        mode,
        compare: env("MEMORY_COMPARE").as_deref() != Some("0") && mode != Mode::Store,
        trim: env("MEMORY_TRIM").as_deref() == Some("1"),
        rounds: 10,
    }
}

fn main() {
    let s = settings();
    if let Some(path) = std::env::var_os("MEMORY_CHILD") {
        measure(Path::new(&path), s);
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = std::env::var_os("MEMORY_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("delta.bin"));
    let reusable = delta::Reader::open(&path).is_ok_and(|r| r.total == s.total);
    if reusable {
        println!("signed data set: {} (reused)", path.display());
    } else {
        let t = Instant::now();
        let set = delta::generate(s.total);
        let bytes: usize = set.docs.iter().map(Vec::len).sum();
        println!(
            "signed {} documents ({} in the base set), {:.0} MiB of envelopes, in {:.1} s on {} threads",
            set.docs.len(),
            set.base,
            bytes as f64 / (1024.0 * 1024.0),
            t.elapsed().as_secs_f64(),
            rayon::current_num_threads()
        );
        delta::write(&path, &set).unwrap();
    }
    // The measuring process holds none of the data set.
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(std::env::args().skip(1))
        .env("MEMORY_CHILD", &path)
        .status()
        .unwrap();
    assert!(status.success(), "the measuring process failed: {status}");
}

/// A document as the view takes it in, as the node reads it on acceptance.
fn view_doc(doc: &Document) -> Option<Doc> {
    fn held<P: Payload + Clone + 'static>(doc: &Document) -> Held<P> {
        Held {
            hash: doc.hash().clone(),
            issuer: doc.issuer.clone(),
            seq: doc.seq,
            issued_at: doc.issued_at,
            payload: doc.payload_as().unwrap(),
        }
    }
    Some(match doc.kind {
        DocKind::Framework => Doc::Framework(held(doc)),
        DocKind::Summary => Doc::Summary(held(doc)),
        DocKind::Crosswalk => Doc::Crosswalk(held(doc)),
        DocKind::Endorsement => Doc::Endorsement(held(doc)),
        _ => return None,
    })
}

fn decode(batch: &[&[u8]]) -> Vec<Document> {
    batch
        .par_iter()
        .map(|b| Document::decode(b, &Limits::default()).unwrap())
        .collect()
}

/// What is measured: the node, or one of its parts.
enum Subject {
    Node(Box<Node>),
    Store(Store),
    View(Box<View>),
}

impl Subject {
    fn take(&mut self, batch: &[&[u8]]) {
        match self {
            Subject::Node(node) => {
                let r = node.ingest_bundle(batch, "bench").unwrap();
                assert!(
                    r.accepted == batch.len() && r.rejected.is_empty(),
                    "{:?}",
                    r.rejected.first()
                );
            }
            Subject::Store(store) => {
                for doc in decode(batch) {
                    store.put_document(&doc).unwrap();
                }
                store.flush().unwrap();
            }
            Subject::View(view) => {
                for doc in decode(batch) {
                    if let Some(d) = view_doc(&doc) {
                        view.apply(d);
                    }
                }
            }
        }
    }

    fn view_documents(&self) -> Option<usize> {
        match self {
            Subject::Node(node) => Some(node.view().documents()),
            Subject::Store(_) => None,
            Subject::View(view) => Some(view.documents()),
        }
    }

    /// (comparison_json, the same again, view.compare), ms.
    fn compare(&self, k: usize, period: Period) -> (Option<f64>, Option<f64>, f64) {
        let r = delta::reference(k);
        let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
        match self {
            Subject::Node(node) => {
                let t = Instant::now();
                std::hint::black_box(node.comparison_json(&r, period, false).ok());
                let json = ms(t);
                let t = Instant::now();
                std::hint::black_box(node.comparison_json(&r, period, false).ok());
                let cached = ms(t);
                let t = Instant::now();
                std::hint::black_box(node.view().compare(&r, period, false).ok());
                (Some(json), Some(cached), ms(t))
            }
            Subject::View(view) => {
                let t = Instant::now();
                std::hint::black_box(view.compare(&r, period, false).ok());
                (None, None, ms(t))
            }
            Subject::Store(_) => (None, None, 0.0),
        }
    }

    /// One round of questions after the documents stopped: every reference
    /// indicator for `period`.
    fn round(&self, period: Period) {
        for k in 0..delta::INDICATORS {
            let r = delta::reference(k);
            match self {
                Subject::Node(node) => {
                    std::hint::black_box(node.comparison_json(&r, period, false).ok());
                }
                Subject::View(view) => {
                    std::hint::black_box(view.compare(&r, period, false).ok());
                }
                Subject::Store(_) => {}
            }
        }
    }
}

fn dir_bytes(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn opt(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

/// One printed step.
#[derive(Debug, Clone, Copy)]
struct Row {
    docs: usize,
    at: Probe,
    json_ms: Option<f64>,
    compare_ms: f64,
}

fn measure(path: &Path, s: Settings) {
    let load_start = loadavg();
    let mut reader = delta::Reader::open(path).unwrap();
    let roster = delta::roster();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "mode {:?}; comparisons {}; trim {}; MALLOC_ARENA_MAX {}; {} threads; load average {load_start}",
        s.mode,
        if s.compare { "yes" } else { "no" },
        if s.trim { "yes" } else { "no" },
        std::env::var("MALLOC_ARENA_MAX").unwrap_or_else(|_| "unset".into()),
        rayon::current_num_threads(),
    );
    let before = probe();
    let mut subject = match s.mode {
        Mode::Node => Subject::Node(Box::new(delta::node(
            Store::open(dir.path()).unwrap(),
            roster,
        ))),
        Mode::Store => Subject::Store(Store::open(dir.path()).unwrap()),
        Mode::View => Subject::View(Box::new(View::new(delta::alliance_views(&roster)))),
    };
    let start = probe();
    println!(
        "before: rss {:.1} MiB, heap {:.1} MiB; opened: rss {:.1} MiB, heap {:.1} MiB",
        before.rss, before.heap, start.rss, start.heap
    );
    println!(
        "{:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>6} {:>8} {:>9} {:>10} {:>7}",
        "docs",
        "view",
        "rss",
        "peak",
        "heap",
        "free",
        "trim",
        "json_ms",
        "cached_ms",
        "compare_ms",
        "KiB/doc"
    );
    let mut rows: Vec<Row> = Vec::new();
    let mut next = s.step;
    let period = Period::Year(*delta::PERIODS.last().unwrap());
    let t_ingest = Instant::now();
    let mut ingest_s = 0.0;
    while reader.read < reader.total {
        let t = Instant::now();
        let batch = reader.batch(s.batch);
        let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
        subject.take(&refs);
        drop(refs);
        drop(batch);
        ingest_s += t.elapsed().as_secs_f64();
        let docs = reader.read;
        if docs < next && docs != reader.base && docs != reader.total {
            continue;
        }
        while next <= docs {
            next += s.step;
        }
        let (json, cached, compare) = if s.compare {
            subject.compare(rows.len() * 37, period)
        } else {
            (None, None, 0.0)
        };
        let at = probe();
        let trimmed = s.trim.then(|| {
            trim();
            probe().rss
        });
        println!(
            "{docs:>7} {:>7} {:>7.1} {:>7.1} {:>7.1} {:>6.1} {:>6} {:>8} {:>9} {:>10.2} {:>7.2}",
            subject
                .view_documents()
                .map_or("-".into(), |n| n.to_string()),
            at.rss,
            at.peak,
            at.heap,
            at.free,
            opt(trimmed),
            opt(json),
            cached.map_or("-".into(), |v| format!("{v:.3}")),
            compare,
            (at.rss - start.rss) * 1024.0 / docs as f64
        );
        rows.push(Row {
            docs,
            at,
            json_ms: json,
            compare_ms: compare,
        });
    }
    let wall_s = t_ingest.elapsed().as_secs_f64();
    println!(
        "ingested {} documents in {ingest_s:.1} s ({:.0} documents/s; {wall_s:.1} s with the probes)",
        reader.total,
        reader.total as f64 / ingest_s
    );

    println!(
        "documents stop: {} rounds of comparisons of all {} reference indicators",
        s.rounds,
        delta::INDICATORS
    );
    println!(
        "{:>5} {:>6} {:>9} {:>7} {:>7} {:>6}",
        "round", "period", "round_ms", "rss", "heap", "free"
    );
    let mut after = Vec::new();
    let mut round_ms = Vec::new();
    for i in 0..s.rounds {
        let p = delta::PERIODS[i % delta::PERIODS.len()];
        let t = Instant::now();
        if s.compare {
            subject.round(Period::Year(p));
        }
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let at = probe();
        println!(
            "{i:>5} {p:>6} {ms:>9.1} {:>7.1} {:>7.1} {:>6.1}",
            at.rss, at.heap, at.free
        );
        after.push(at);
        round_ms.push(ms);
    }
    let last = *rows.last().unwrap();
    let at = |n: usize| rows.iter().find(|r| r.docs >= n).copied().unwrap_or(last);
    let base = at(reader.base);
    let at_180k = at(180_000);
    let min = |f: fn(&Probe) -> f64| after.iter().map(f).fold(f64::INFINITY, f64::min);
    let max = |f: fn(&Probe) -> f64| after.iter().map(f).fold(0.0, f64::max);

    trim();
    let trimmed = probe();
    let (disk, sled_disk, held) = match &subject {
        Subject::Node(node) => (
            dir_bytes(dir.path()),
            node.store().db().size_on_disk().unwrap(),
            Some(node.store().document_count()),
        ),
        Subject::Store(store) => (
            dir_bytes(dir.path()),
            store.db().size_on_disk().unwrap(),
            Some(store.document_count()),
        ),
        Subject::View(_) => (0, 0, None),
    };
    let mib = |b: u64| (b as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0;
    println!(
        "after malloc_trim(0): rss {:.1} MiB, heap {:.1} MiB, free {:.1} MiB",
        trimmed.rss, trimmed.heap, trimmed.free
    );
    let export = match &subject {
        Subject::Node(node) => Some(export_figures(node.store())),
        Subject::Store(store) => Some(export_figures(store)),
        Subject::View(_) => None,
    };
    println!(
        "store on disk: {:.1} MiB (sled size_on_disk {:.1} MiB); documents held {}",
        mib(disk),
        mib(sled_disk),
        held.map_or("-".into(), |n| n.to_string())
    );
    if let Some(n) = held {
        assert_eq!(n, reader.total, "documents held");
    }
    let r1 = |v: f64| (v * 10.0).round() / 10.0;
    let r2 = |v: f64| (v * 100.0).round() / 100.0;
    let line = json!({
        "bench": "memory",
        "mode": format!("{:?}", s.mode).to_lowercase(),
        "comparisons": s.compare,
        "trim_each_step": s.trim,
        "malloc_arena_max": std::env::var("MALLOC_ARENA_MAX").ok(),
        "threads": rayon::current_num_threads(),
        "documents": reader.total,
        "base_documents": reader.base,
        "rss_mib_opened": r1(start.rss),
        "rss_mib_at_180k": r1(at_180k.at.rss),
        "docs_at_180k_row": at_180k.docs,
        "rss_mib_at_base": r1(base.at.rss),
        "heap_mib_at_base": r1(base.at.heap),
        "free_mib_at_base": r1(base.at.free),
        "rss_mib_at_end": r1(last.at.rss),
        "peak_rss_mib": r1(probe().peak),
        "heap_mib_at_end": r1(last.at.heap),
        "free_mib_at_end": r1(last.at.free),
        "kib_per_document": r2((last.at.rss - start.rss) * 1024.0 / reader.total as f64),
        "kib_per_document_base_to_end": r2(
            (last.at.rss - base.at.rss) * 1024.0 / (reader.total - reader.base).max(1) as f64
        ),
        "heap_kib_per_document": r2((last.at.heap - start.heap) * 1024.0 / reader.total as f64),
        "after_stop_rss_mib_min": r1(min(|p| p.rss)),
        "after_stop_rss_mib_max": r1(max(|p| p.rss)),
        "after_stop_heap_mib_min": r1(min(|p| p.heap)),
        "after_stop_heap_mib_max": r1(max(|p| p.heap)),
        "after_stop_round_ms_first": r1(round_ms[0]),
        "after_stop_round_ms_last": r1(*round_ms.last().unwrap()),
        "rss_mib_after_trim": r1(trimmed.rss),
        "json_ms_at_end": last.json_ms.map(r2),
        "compare_ms_at_end": r2(last.compare_ms),
        "disk_mib": mib(disk),
        "sled_size_on_disk_mib": mib(sled_disk),
        "ingest_s": r1(ingest_s),
        "documents_per_s": (reader.total as f64 / ingest_s).round(),
        "loadavg_start": load_start,
        "loadavg_end": loadavg(),
        "export": export,
    });
    println!("{line}");
}
