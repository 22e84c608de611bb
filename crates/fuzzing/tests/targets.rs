//! The fuzz targets on their seeds, on the inputs saved from earlier
//! campaigns (`regressions/<target>/`), and on random bytes, so that every
//! test run exercises what fuzzing exercises.

use deltabench_fuzzing::{TARGETS, fixture, fresh_jiading, run, seeds};
use deltabench_trust::Reason;
use proptest::prelude::*;
use std::path::Path;

#[test]
fn the_fixture_holds_two_members_with_a_comparison_between_them() {
    let f = fixture();
    // Both chains, plus the three documents a member must refuse.
    assert!(f.pool.len() > 20, "{} documents", f.pool.len());
    let query = b"indicator=yrd.tax/ontime_filing_rate&period=2025";
    run("comparison_query", query);
    let ranked = f.rt.block_on(async {
        use axum::body::Body;
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let req = axum::http::Request::get(format!(
            "/api/v1/comparisons?{}",
            std::str::from_utf8(query).unwrap()
        ))
        .header("authorization", "Bearer fuzz-viewer")
        .body(Body::empty())
        .unwrap();
        let resp = f.taicang.clone().oneshot(req).await.unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rank"].is_u64())
            .count()
    });
    assert_eq!(ranked, 2, "Taicang and Kunshan are both ranked");
}

#[test]
fn the_pool_reaches_the_chain_and_membership_checks() {
    let f = fixture();
    let node = fresh_jiading();
    let docs: Vec<&[u8]> = f.pool.iter().map(Vec::as_slice).collect();
    let report = node.ingest_bundle(&docs, "test").unwrap();
    // Everything but the three documents made to be refused.
    assert_eq!(report.accepted, docs.len() - 3, "{report:?}");
    let reasons: Vec<Reason> = report.rejected.iter().map(|r| r.reason).collect();
    for expected in [
        Reason::Equivocation,
        Reason::IssuedInFuture,
        Reason::NotAMember,
    ] {
        assert!(
            reasons.contains(&expected),
            "{expected:?} not in {reasons:?}"
        );
    }
}

#[test]
fn every_target_accepts_its_seeds() {
    for target in TARGETS {
        let seeds = seeds(target);
        assert!(!seeds.is_empty(), "{target} has no seeds");
        for seed in seeds {
            run(target, &seed);
        }
    }
}

#[test]
fn saved_regressions_still_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut count = 0;
    for target in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            run(target, &std::fs::read(&path).unwrap());
            count += 1;
        }
    }
    eprintln!("{count} saved inputs replayed");
}

/// Random edits of a seed: bytes replaced, inserted and removed.
fn mutated(target: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let seeds = seeds(target);
    (
        0..seeds.len(),
        prop::collection::vec((any::<u16>(), any::<u8>(), 0u8..3), 0..8),
    )
        .prop_map(move |(i, edits)| {
            let mut s = seeds[i].clone();
            for (at, byte, op) in edits {
                let at = usize::from(at) % (s.len() + 1);
                match op {
                    0 if at < s.len() => s[at] = byte,
                    1 => s.insert(at, byte),
                    _ if at < s.len() => {
                        s.remove(at);
                    }
                    _ => {}
                }
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn document_survives_edits(data in mutated("document")) {
        run("document", &data);
    }

    #[test]
    fn bundle_survives_edits(data in mutated("bundle")) {
        run("bundle", &data);
    }

    #[test]
    fn bundle_survives_any_selection(data in prop::collection::vec(any::<u8>(), 1..40)) {
        let mut input = vec![1];
        input.extend(data);
        run("bundle", &input);
    }

    #[test]
    fn roster_survives_edits(data in mutated("roster")) {
        run("roster", &data);
    }

    #[test]
    fn csv_import_survives_edits(data in mutated("csv_import")) {
        run("csv_import", &data);
    }

    #[test]
    fn comparison_query_survives_edits(data in mutated("comparison_query")) {
        run("comparison_query", &data);
    }

    #[test]
    fn every_target_survives_random_bytes(data in prop::collection::vec(any::<u8>(), 0..256)) {
        for target in TARGETS {
            run(target, &data);
        }
    }
}
