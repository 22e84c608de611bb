//! The JSON Schemas the node ships in `schemas/`: the published contract for
//! documents, compiled into the binary for tools and tests. The ingest path
//! does not run them: [`crate::Document::decode`] applies the typed checks,
//! which accept exactly what these schemas accept (`tests/typed_schema.rs`
//! and the fuzzing crate's `tests/typed_schema.rs` compare the two on every
//! example, every fuzz seed and tens of thousands of edits of them), and
//! refuse more only by rules between members that JSON Schema cannot state.

use jsonschema::{Registry, Validator};
use serde_json::Value;
use std::sync::OnceLock;

/// Where the schemas' `$id`s live.
pub const BASE_URI: &str = "https://deltabench.invalid/schemas/";

/// Every shipped schema: file name and text.
pub const FILES: [(&str, &str); 11] = [
    (
        "common.v1.schema.json",
        include_str!("../../../schemas/common.v1.schema.json"),
    ),
    (
        "envelope.v1.schema.json",
        include_str!("../../../schemas/envelope.v1.schema.json"),
    ),
    (
        "jurisdiction.v1.schema.json",
        include_str!("../../../schemas/jurisdiction.v1.schema.json"),
    ),
    (
        "roster.v1.schema.json",
        include_str!("../../../schemas/roster.v1.schema.json"),
    ),
    (
        "framework.v1.schema.json",
        include_str!("../../../schemas/framework.v1.schema.json"),
    ),
    (
        "summary.v1.schema.json",
        include_str!("../../../schemas/summary.v1.schema.json"),
    ),
    (
        "crosswalk.v1.schema.json",
        include_str!("../../../schemas/crosswalk.v1.schema.json"),
    ),
    (
        "endorsement.v1.schema.json",
        include_str!("../../../schemas/endorsement.v1.schema.json"),
    ),
    (
        "public_rating.v1.schema.json",
        include_str!("../../../schemas/public_rating.v1.schema.json"),
    ),
    (
        "forecast.v1.schema.json",
        include_str!("../../../schemas/forecast.v1.schema.json"),
    ),
    (
        "hotline.v1.schema.json",
        include_str!("../../../schemas/hotline.v1.schema.json"),
    ),
];

/// A validator for the named schema file (e.g. `summary.v1.schema.json`),
/// with every shipped schema available to its `$ref`s.
pub fn validator(file: &str) -> Result<Validator, String> {
    let mut registry = Registry::new();
    let mut root = None;
    for (name, text) in FILES {
        let schema: Value = serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        if name == file {
            root = Some(schema.clone());
        }
        registry = registry
            .add(format!("{BASE_URI}{name}"), schema)
            .map_err(|e| format!("{name}: {e}"))?;
    }
    let root = root.ok_or_else(|| format!("no shipped schema {file}"))?;
    let registry = registry.prepare().map_err(|e| e.to_string())?;
    jsonschema::options()
        .offline()
        .with_registry(&registry)
        .build(&root)
        .map_err(|e| format!("{file}: {e}"))
}

/// Checks a whole envelope against `envelope.v1.schema.json`; the first
/// violation, with its place, is the error. Not on the ingest path (see the
/// module documentation).
pub fn check_envelope(envelope: &Value) -> Result<(), String> {
    static ENVELOPE: OnceLock<Result<Validator, String>> = OnceLock::new();
    let v = ENVELOPE
        .get_or_init(|| validator("envelope.v1.schema.json"))
        .as_ref()
        .map_err(|e| format!("the shipped schemas do not compile: {e}"))?;
    match v.iter_errors(envelope).next() {
        None => Ok(()),
        Some(e) => Err(format!("at {}: {e}", e.instance_path())),
    }
}

/// Checks a payload against its kind's schema (`<kind>.v1.schema.json`).
/// [`crate::Document::decode`] calls it only for a payload that holds a
/// `null`, the one form the typed checks cannot judge alone.
pub fn check_payload(
    kind: deltabench_model::documents::DocKind,
    payload: &Value,
) -> Result<(), String> {
    use deltabench_model::documents::DocKind;
    static KINDS: [OnceLock<Result<Validator, String>>; 6] = [const { OnceLock::new() }; 6];
    let i = DocKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    let v = KINDS[i % 6]
        .get_or_init(|| validator(&format!("{kind}.v1.schema.json")))
        .as_ref()
        .map_err(|e| format!("the shipped schemas do not compile: {e}"))?;
    match v.iter_errors(payload).next() {
        None => Ok(()),
        Some(e) => Err(format!("at /payload{}: {e}", e.instance_path())),
    }
}
