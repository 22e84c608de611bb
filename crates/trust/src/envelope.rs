//! Signed documents: the envelope every published thing travels in.
//!
//! On the wire an envelope is one JSON object:
//!
//! ```json
//! {"kind": "summary", "schema_version": "1.0", "issuer": "320585",
//!  "issuer_key": "<64 hex>", "seq": 7, "prev": "<64 hex>" | null,
//!  "issued_at": "2025-03-01T08:00:00Z", "payload": {...},
//!  "signature": "<128 hex>"}
//! ```
//!
//! The signed message is [`DOCUMENT_DOMAIN`] (`deltabench/document/v2` and a
//! NUL byte) followed by the RFC 8785 canonical bytes (see [`crate::canonical`])
//! of the object without its `signature` member. The document's hash is the
//! lowercase hex SHA-256 of that same message, so the hash names the content,
//! not the signature. A document is stored and served as the canonical bytes of
//! the whole object. `docs/SIGNING.md` specifies all of it for implementers in
//! other languages.

use crate::canonical::{CanonicalError, canonical_shape, parse_strict, write_canonical_map};
use crate::keys::{DOCUMENT_DOMAIN, NodeKey, verify_prefixed};
use crate::reason::{Reason, Rejection};
use deltabench_model::documents::{
    Crosswalk, DocKind, Endorsement, ForecastCommitment, Framework, HotlineSummary,
    JurisdictionDecl, Payload, PublicRatingSummary, SignedRoster, Summary,
};
use deltabench_model::{DocHash, JurisdictionCode, KeyHex, SigHex, Timestamp};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// A payload read into its kind's type by the checks, kept so that no
/// reader parses it a second time: a `JurisdictionDecl`, `Summary`,
/// `Framework`, `Crosswalk`, `Endorsement` or `SignedRoster`, by kind.
type Typed = Arc<dyn Any + Send + Sync>;

/// A payload schema version, `MAJOR.MINOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SchemaVersion {
    /// Incremented for changes old readers cannot understand.
    pub major: u32,
    /// Incremented for additions old readers can ignore.
    pub minor: u32,
}

impl SchemaVersion {
    /// The version this node writes for every kind, and the major it reads.
    pub const CURRENT: SchemaVersion = SchemaVersion { major: 1, minor: 0 };

    /// Parses `MAJOR.MINOR`.
    pub fn parse(s: &str) -> Option<Self> {
        let (a, b) = s.split_once('.')?;
        let num = |t: &str| {
            (!t.is_empty() && t.len() <= 6 && t.bytes().all(|c| c.is_ascii_digit()))
                .then(|| t.parse().ok())
                .flatten()
        };
        Some(Self {
            major: num(a)?,
            minor: num(b)?,
        })
    }
}

impl fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Bounds applied to every incoming document.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest accepted envelope, in bytes, as received.
    pub document_bytes_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            document_bytes_max: 256 * 1024,
        }
    }
}

/// The envelope fields other than the payload and the signature.
const HEADER_FIELDS: [&str; 7] = [
    "kind",
    "schema_version",
    "issuer",
    "issuer_key",
    "seq",
    "prev",
    "issued_at",
];

/// A verified signed document: its header, payload, hash and canonical bytes.
///
/// A `Document` exists only after its signature verified strictly and its
/// payload passed its kind's checks; the stateful checks (membership, chain) are
/// in [`crate::validate`].
#[derive(Clone)]
pub struct Document {
    /// The kind, which is the payload's schema name.
    pub kind: DocKind,
    /// The payload's schema version.
    pub schema_version: SchemaVersion,
    /// The issuing jurisdiction.
    pub issuer: JurisdictionCode,
    /// The key that signed.
    pub issuer_key: KeyHex,
    /// The issuer's sequence number, from 1.
    pub seq: u64,
    /// The hash of the issuer's document at `seq - 1`; `None` at seq 1.
    pub prev: Option<DocHash>,
    /// When the issuer says it signed.
    pub issued_at: Timestamp,
    /// The signature.
    pub signature: SigHex,
    hash: DocHash,
    bytes: Arc<[u8]>,
    typed: Typed,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Document({} {}#{} {})",
            self.kind,
            self.issuer,
            self.seq,
            &self.hash.as_str()[..12]
        )
    }
}

/// Why signing failed: the payload did not pass its own checks.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign an invalid {kind} payload: {detail}")]
pub struct SignError {
    /// The kind being signed.
    pub kind: DocKind,
    /// What was wrong.
    pub detail: String,
}

/// What to sign: everything but the payload.
#[derive(Debug, Clone)]
pub struct Header {
    /// The issuing jurisdiction.
    pub issuer: JurisdictionCode,
    /// The issuer's next sequence number.
    pub seq: u64,
    /// The hash of the issuer's previous document.
    pub prev: Option<DocHash>,
    /// The issue time.
    pub issued_at: Timestamp,
}

impl Document {
    /// Signs `payload` as the next document of the issuer's chain.
    pub fn sign<P: Payload>(key: &NodeKey, header: Header, payload: &P) -> Result<Self, SignError> {
        let fail = |detail: String| SignError {
            kind: P::KIND,
            detail,
        };
        payload.validate().map_err(|e| fail(e.to_string()))?;
        let payload_value = serde_json::to_value(payload).map_err(|e| fail(e.to_string()))?;
        Self::sign_value(key, header, P::KIND, payload_value)
    }

    /// Signs a payload given as JSON, as it will travel: members the payload
    /// types do not know (a newer minor schema version's, say) are kept and
    /// signed. The payload must pass its kind's checks.
    pub fn sign_value(
        key: &NodeKey,
        header: Header,
        kind: DocKind,
        payload_value: Value,
    ) -> Result<Self, SignError> {
        let fail = |detail: String| SignError { kind, detail };
        // A non-finite float would have become `null`: reading the value back
        // through the validating types catches that before anything is signed.
        let typed = check_payload(kind, &payload_value, &header.issuer, &key.public_hex())
            .map_err(|r| fail(r.detail))?;

        let mut body = Map::new();
        body.insert("kind".into(), Value::from(kind.as_str()));
        body.insert(
            "schema_version".into(),
            Value::from(SchemaVersion::CURRENT.to_string()),
        );
        body.insert("issuer".into(), Value::from(header.issuer.as_str()));
        body.insert("issuer_key".into(), Value::from(key.public_hex().as_str()));
        body.insert("seq".into(), Value::from(header.seq));
        body.insert(
            "prev".into(),
            header
                .prev
                .as_ref()
                .map_or(Value::Null, |h| Value::from(h.as_str())),
        );
        body.insert(
            "issued_at".into(),
            Value::from(header.issued_at.to_string()),
        );
        body.insert("payload".into(), payload_value);
        let message = signed_message(&body).map_err(|e| fail(e.to_string()))?;
        let signature = key.sign_prefixed(&message);
        let hash = DocHash::from_bytes(Sha256::digest(&message).into());
        let bytes = envelope_bytes(&message, &signature);
        Ok(Document {
            kind,
            schema_version: SchemaVersion::CURRENT,
            issuer: header.issuer,
            issuer_key: key.public_hex(),
            seq: header.seq,
            prev: header.prev,
            issued_at: header.issued_at,
            signature,
            hash,
            bytes,
            typed,
        })
    }

    /// Decodes and verifies an envelope as received: size, JSON, shape, the
    /// signature (strictly), the kind and schema version, the chain link's form,
    /// and the payload's checks. Nothing here depends on what the node holds.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, Rejection> {
        check_size(bytes, limits)?;
        if let Some(decided) = Self::decode_canonical(bytes) {
            return decided;
        }
        Self::decode_general(bytes, limits)
    }

    /// [`Document::decode`] without its shortcut for canonical bytes: parse
    /// into JSON, write the signed message in canonical form, check. It
    /// gives the same result as `decode` for every input (the fuzzing
    /// crate's tests compare the two) and the reason for every refusal.
    pub fn decode_general(bytes: &[u8], limits: &Limits) -> Result<Self, Rejection> {
        check_size(bytes, limits)?;
        let value: Value = parse_strict(bytes).map_err(json_rejection)?;
        Self::from_value(value)
    }

    /// The shortcut for an envelope in canonical form, as every node sends
    /// it: the bytes are checked to be canonical in one scan, so the signed
    /// message is the bytes without their last member (`signature` sorts
    /// after every other envelope member), and the payload is read straight
    /// into its type, with no JSON value built and nothing written again.
    /// `None` when a check before the signature fails, or one after it: the
    /// general path then decides, and names the reason. A signature that
    /// does not verify is final here (the general path would reach the
    /// same verdict on the same message), so it is checked once.
    fn decode_canonical(bytes: &[u8]) -> Option<Result<Self, Rejection>> {
        /// The envelope's members, all nine required (the scan counts
        /// them), nothing else. The payload is read from its own bytes.
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire<'a> {
            kind: &'a str,
            schema_version: &'a str,
            issuer: JurisdictionCode,
            issuer_key: KeyHex,
            seq: u64,
            prev: Option<DocHash>,
            issued_at: Timestamp,
            #[allow(dead_code)]
            payload: serde::de::IgnoredAny,
            signature: SigHex,
        }
        const SIGNATURE: &[u8] = b",\"signature\":\"";
        let shape = canonical_shape(bytes)?;
        if shape.top_members != HEADER_FIELDS.len() + 2 {
            return None;
        }
        // The header alone, with the payload's value cut down to `0`: the
        // payload is most of the bytes, and the scan has checked all of them.
        let (start, end) = shape.payload?;
        let payload = std::str::from_utf8(&bytes[start..end]).ok()?;
        let mut header = Vec::with_capacity(bytes.len() - (end - start) + 1);
        header.extend_from_slice(&bytes[..start]);
        header.push(b'0');
        header.extend_from_slice(&bytes[end..]);
        let wire: Wire = serde_json::from_slice(&header).ok()?;
        // The canonical envelope ends with its signature member.
        let sig = wire.signature.as_str().as_bytes();
        let cut = bytes.len().checked_sub(SIGNATURE.len() + sig.len() + 2)?;
        let tail = &bytes[cut..];
        if !(tail.starts_with(SIGNATURE) && tail.ends_with(b"\"}"))
            || &tail[SIGNATURE.len()..tail.len() - 2] != sig
        {
            return None;
        }
        // A null in the payload is for the schema to judge: general path.
        if shape.nulls != usize::from(wire.prev.is_none()) {
            return None;
        }
        let parts = Parts {
            kind_name: String::new(),
            schema_version: SchemaVersion::parse(wire.schema_version)?,
            issuer: wire.issuer,
            issuer_key: wire.issuer_key,
            seq: wire.seq,
            prev: wire.prev,
            issued_at: wire.issued_at,
        };
        let kind = DocKind::parse(wire.kind).ok()?;
        if parts.schema_version.major != SchemaVersion::CURRENT.major {
            return None;
        }
        parts.check_link(kind).ok()?;
        let mut message = Vec::with_capacity(DOCUMENT_DOMAIN.len() + cut + 1);
        message.extend_from_slice(DOCUMENT_DOMAIN);
        message.extend_from_slice(&bytes[..cut]);
        message.push(b'}');
        if !verify_prefixed(&parts.issuer_key, &message, &wire.signature) {
            return Some(Err(bad_signature(&parts.issuer_key)));
        }
        let typed = check_payload_text(kind, payload, &parts.issuer, &parts.issuer_key)?;
        let hash = DocHash::from_bytes(Sha256::digest(&message).into());
        Some(Ok(parts.into_document(
            kind,
            wire.signature,
            hash,
            bytes.into(),
            typed,
        )))
    }

    /// Verifies an envelope already parsed as JSON. The size limit is the
    /// caller's to apply, and so is refusing duplicate member names (parse
    /// with [`crate::canonical::parse_strict`]): [`Document::decode`] does both.
    ///
    /// The checks are typed (serde types and the payloads' own `validate`),
    /// in a fixed order so that a document with several faults always gets
    /// the same reason: the envelope's shape (`malformed`), the signature,
    /// the kind, the schema version, the chain link's form, the payload. They
    /// accept exactly what `schemas/envelope.v1.schema.json` accepts (see
    /// [`Document::check_form`]), so the generic JSON Schema pass is not run
    /// here.
    pub fn from_value(value: Value) -> Result<Self, Rejection> {
        let Value::Object(mut body) = value else {
            return Err(Rejection::new(
                Reason::Malformed,
                "an envelope must be a JSON object",
            ));
        };
        let signature: SigHex = field(&body, "signature")?;
        body.remove("signature");
        let parts = Parts::read(&body)?;

        let message = signed_message(&body).map_err(canonical_rejection)?;
        if !verify_prefixed(&parts.issuer_key, &message, &signature) {
            return Err(bad_signature(&parts.issuer_key));
        }
        let hash = DocHash::from_bytes(Sha256::digest(&message).into());

        let kind = parts.kind()?;
        if parts.schema_version.major != SchemaVersion::CURRENT.major {
            return Err(Rejection::new(
                Reason::UnsupportedSchemaVersion,
                format!(
                    "{kind} schema {}; this node reads major version {}",
                    parts.schema_version,
                    SchemaVersion::CURRENT.major
                ),
            ));
        }
        parts.check_link(kind)?;
        let payload = body.get("payload").unwrap_or(&Value::Null);
        let typed = check_payload(kind, payload, &parts.issuer, &parts.issuer_key)?;
        let bytes = envelope_bytes(&message, &signature);
        Ok(parts.into_document(kind, signature, hash, bytes, typed))
    }

    /// The typed checks of [`Document::from_value`] that
    /// `schemas/envelope.v1.schema.json` expresses too, without the
    /// signature: the envelope's members and their forms, the kind, the chain
    /// link's form and, for major version 1, the payload against its kind.
    /// It accepts exactly the envelopes the schema accepts
    /// (`crates/trust/tests/typed_schema.rs` and the fuzzing crate's tests
    /// compare the two on every example, seed and many edits of them).
    ///
    /// Left out because JSON Schema cannot say them (the schema's description
    /// lists them): the signature, another major version
    /// (`unsupported_schema_version`; the schema then checks only that the
    /// payload is an object) and a jurisdiction payload's code and key
    /// against `issuer` and `issuer_key`.
    pub fn check_form(value: &Value) -> Result<(), Rejection> {
        let Value::Object(body) = value else {
            return Err(Rejection::new(
                Reason::Malformed,
                "an envelope must be a JSON object",
            ));
        };
        field::<SigHex>(body, "signature")?;
        let parts = Parts::read(body)?;
        let kind = parts.kind()?;
        parts.check_link(kind)?;
        let payload = body.get("payload").unwrap_or(&Value::Null);
        if parts.schema_version.major == SchemaVersion::CURRENT.major {
            check_payload_form(kind, payload).map(drop)
        } else if payload.is_object() {
            Ok(())
        } else {
            Err(Rejection::new(
                Reason::InvalidPayload,
                "the payload must be a JSON object",
            ))
        }
    }

    /// A payload against its kind's types and their checks alone: what
    /// `<kind>.v1.schema.json` accepts. [`Document::from_value`] adds, for a
    /// jurisdiction declaration, that it names the envelope's issuer and key.
    pub fn check_payload_form(kind: DocKind, payload: &Value) -> Result<(), Rejection> {
        check_payload_form(kind, payload).map(drop)
    }

    /// The document's hash: SHA-256 of its signed message.
    pub fn hash(&self) -> &DocHash {
        &self.hash
    }

    /// The canonical bytes of the whole envelope, as stored and sent.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The canonical bytes, shared.
    pub fn shared_bytes(&self) -> Arc<[u8]> {
        self.bytes.clone()
    }

    /// The payload as JSON, read from the canonical bytes, with any members
    /// the payload types do not know (a newer minor version's). This parses;
    /// readers of a known kind use [`Document::payload_ref`], which does not.
    pub fn payload(&self) -> Value {
        parse_strict(&self.bytes)
            .ok()
            .and_then(|mut v| v.get_mut("payload").map(Value::take))
            .unwrap_or(Value::Null)
    }

    /// The payload as `P`, a copy of the one the checks read. It fails only
    /// when `P` is not the document's kind.
    pub fn payload_as<P: Payload + Clone + 'static>(&self) -> Result<P, Rejection> {
        self.payload_ref::<P>().cloned().ok_or_else(|| {
            Rejection::new(
                Reason::InvalidPayload,
                format!("a {} document is not a {}", self.kind, P::KIND),
            )
        })
    }

    /// The payload as `P`, as the checks read it (no parse), or `None` when
    /// `P` is not the document's kind.
    pub fn payload_ref<P: Payload + 'static>(&self) -> Option<&P> {
        self.typed.downcast_ref::<P>()
    }
}

fn bad_signature(issuer_key: &KeyHex) -> Rejection {
    Rejection::new(
        Reason::BadSignature,
        format!("signature does not verify under issuer key {issuer_key}"),
    )
}

fn check_size(bytes: &[u8], limits: &Limits) -> Result<(), Rejection> {
    if bytes.len() > limits.document_bytes_max {
        return Err(Rejection::new(
            Reason::Oversized,
            format!(
                "{} bytes; the limit is {}",
                bytes.len(),
                limits.document_bytes_max
            ),
        ));
    }
    Ok(())
}

fn chain_link(detail: &str) -> Rejection {
    Rejection::new(Reason::BadChainLink, detail)
}

/// The envelope's members other than the payload and the signature, read
/// with their types.
struct Parts {
    kind_name: String,
    schema_version: SchemaVersion,
    issuer: JurisdictionCode,
    issuer_key: KeyHex,
    seq: u64,
    prev: Option<DocHash>,
    issued_at: Timestamp,
}

impl Parts {
    /// Reads the header from `body` (with or without its signature): no
    /// unknown member, each field present and of its form, a payload.
    fn read(body: &Map<String, Value>) -> Result<Self, Rejection> {
        let malformed = |detail: String| Rejection::new(Reason::Malformed, detail);
        for key in body.keys() {
            if key != "payload" && key != "signature" && !HEADER_FIELDS.contains(&key.as_str()) {
                return Err(malformed(format!("unknown envelope field {key:?}")));
            }
        }
        let kind_name: String = field(body, "kind")?;
        let version_text: String = field(body, "schema_version")?;
        let issuer: JurisdictionCode = field(body, "issuer")?;
        let issuer_key: KeyHex = field(body, "issuer_key")?;
        let seq: u64 = field(body, "seq")?;
        let prev: Option<DocHash> = field(body, "prev")?;
        let issued_at: Timestamp = field(body, "issued_at")?;
        if !body.contains_key("payload") {
            return Err(malformed("missing field \"payload\"".into()));
        }
        let schema_version = SchemaVersion::parse(&version_text).ok_or_else(|| {
            malformed(format!(
                "schema_version {version_text:?} is not MAJOR.MINOR"
            ))
        })?;
        Ok(Self {
            kind_name,
            schema_version,
            issuer,
            issuer_key,
            seq,
            prev,
            issued_at,
        })
    }

    /// The verified document these parts head.
    fn into_document(
        self,
        kind: DocKind,
        signature: SigHex,
        hash: DocHash,
        bytes: Arc<[u8]>,
        typed: Typed,
    ) -> Document {
        Document {
            kind,
            schema_version: self.schema_version,
            issuer: self.issuer,
            issuer_key: self.issuer_key,
            seq: self.seq,
            prev: self.prev,
            issued_at: self.issued_at,
            signature,
            hash,
            bytes,
            typed,
        }
    }

    fn kind(&self) -> Result<DocKind, Rejection> {
        DocKind::parse(&self.kind_name)
            .map_err(|_| Rejection::new(Reason::UnknownKind, format!("kind {:?}", self.kind_name)))
    }

    /// The chain link's form: seq 1 is the jurisdiction declaration without
    /// predecessor, later documents name one.
    fn check_link(&self, kind: DocKind) -> Result<(), Rejection> {
        match (self.seq, &self.prev, kind) {
            (0, _, _) => Err(chain_link("seq starts at 1")),
            (1, Some(_), _) => Err(chain_link("seq 1 has no predecessor")),
            (1, None, k) if k != DocKind::Jurisdiction => Err(chain_link(
                "seq 1 must be the issuer's jurisdiction declaration",
            )),
            (2.., None, _) => Err(chain_link("seq > 1 must name its predecessor")),
            _ => Ok(()),
        }
    }
}

/// `DOCUMENT_DOMAIN || JCS(body)`, where `body` holds no signature.
fn signed_message(body: &Map<String, Value>) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(DOCUMENT_DOMAIN);
    write_canonical_map(body, &mut out)?;
    Ok(out)
}

fn canonical_rejection(e: CanonicalError) -> Rejection {
    match e {
        CanonicalError::NonFinite => Rejection::new(Reason::NonFiniteNumber, e.to_string()),
        CanonicalError::IntegerOutOfRange(_) => Rejection::new(Reason::Malformed, e.to_string()),
    }
}

/// The canonical bytes of a whole envelope, from its signed message and
/// signature. The envelope's keys are fixed and `signature` sorts after all the
/// others (in UTF-16 order too: they are ASCII), so the canonical envelope is the signed canonical body with the
/// signature appended as its last member: no second canonicalisation.
fn envelope_bytes(message: &[u8], signature: &SigHex) -> Arc<[u8]> {
    let body = &message[DOCUMENT_DOMAIN.len()..message.len() - 1];
    let mut out = Vec::with_capacity(body.len() + 150);
    out.extend_from_slice(body);
    out.extend_from_slice(b",\"signature\":\"");
    out.extend_from_slice(signature.as_str().as_bytes());
    out.extend_from_slice(b"\"}");
    out.into()
}

/// Maps a JSON parse error to its reason: a number that overflows `f64` is the
/// one way JSON text can carry a non-finite value.
pub(crate) fn json_rejection(e: serde_json::Error) -> Rejection {
    if e.to_string().contains("number out of range") {
        Rejection::new(Reason::NonFiniteNumber, e.to_string())
    } else {
        Rejection::new(Reason::Malformed, format!("not valid JSON: {e}"))
    }
}

fn field<T: DeserializeOwned>(body: &Map<String, Value>, name: &str) -> Result<T, Rejection> {
    let v = body
        .get(name)
        .ok_or_else(|| Rejection::new(Reason::Malformed, format!("missing field {name:?}")))?;
    T::deserialize(v).map_err(|e| Rejection::new(Reason::Malformed, format!("field {name:?}: {e}")))
}

fn decode_payload<P: Payload>(payload: &Value) -> Result<P, Rejection> {
    let p = P::deserialize(payload)
        .map_err(|e| Rejection::new(Reason::InvalidPayload, format!("{} payload: {e}", P::KIND)))?;
    p.validate()
        .map_err(|e| Rejection::new(Reason::InvalidPayload, format!("{} payload: {e}", P::KIND)))?;
    Ok(p)
}

/// A payload against its kind's types and checks, nothing else. The types
/// read a `null` member as absent, which the schemas refuse, so a payload
/// holding a `null` anywhere (rare: no writer makes one) is also checked
/// against its schema.
fn check_payload_form(kind: DocKind, payload: &Value) -> Result<Typed, Rejection> {
    let typed = typed_payload_form(kind, payload)?;
    check_nulls(kind, payload)?;
    Ok(typed)
}

/// The schema check for a payload holding a `null`, which the types read
/// as absent.
fn check_nulls(kind: DocKind, payload: &Value) -> Result<(), Rejection> {
    if holds_null(payload) {
        crate::schemas::check_payload(kind, payload)
            .map_err(|e| Rejection::new(Reason::InvalidPayload, format!("schema: {e}")))?;
    }
    Ok(())
}

fn holds_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(holds_null),
        Value::Object(m) => m.values().any(holds_null),
        _ => false,
    }
}

fn typed_payload_form(kind: DocKind, payload: &Value) -> Result<Typed, Rejection> {
    fn typed<P: Payload + Send + Sync + 'static>(payload: &Value) -> Result<Typed, Rejection> {
        decode_payload::<P>(payload).map(|p| Arc::new(p) as Typed)
    }
    match kind {
        DocKind::Jurisdiction => typed::<JurisdictionDecl>(payload),
        DocKind::Summary => typed::<Summary>(payload),
        DocKind::Framework => typed::<Framework>(payload),
        DocKind::Crosswalk => typed::<Crosswalk>(payload),
        DocKind::Endorsement => typed::<Endorsement>(payload),
        DocKind::Roster => typed::<SignedRoster>(payload),
        DocKind::PublicRating => typed::<PublicRatingSummary>(payload),
        DocKind::Forecast => typed::<ForecastCommitment>(payload),
        DocKind::Hotline => typed::<HotlineSummary>(payload),
    }
}

/// [`check_payload`] for a payload given as canonical JSON text holding no
/// `null`: read straight into its type. `None` when it does not pass.
fn check_payload_text(
    kind: DocKind,
    text: &str,
    issuer: &JurisdictionCode,
    issuer_key: &KeyHex,
) -> Option<Typed> {
    fn typed<P: Payload + Send + Sync + 'static>(text: &str) -> Option<P> {
        let p: P = serde_json::from_str(text).ok()?;
        p.validate().ok()?;
        Some(p)
    }
    Some(match kind {
        DocKind::Jurisdiction => {
            let decl = typed::<JurisdictionDecl>(text)?;
            if &decl.code != issuer || &decl.public_key != issuer_key {
                return None;
            }
            Arc::new(decl)
        }
        DocKind::Summary => Arc::new(typed::<Summary>(text)?),
        DocKind::Framework => Arc::new(typed::<Framework>(text)?),
        DocKind::Crosswalk => Arc::new(typed::<Crosswalk>(text)?),
        DocKind::Endorsement => Arc::new(typed::<Endorsement>(text)?),
        DocKind::Roster => Arc::new(typed::<SignedRoster>(text)?),
        DocKind::PublicRating => Arc::new(typed::<PublicRatingSummary>(text)?),
        DocKind::Forecast => Arc::new(typed::<ForecastCommitment>(text)?),
        DocKind::Hotline => Arc::new(typed::<HotlineSummary>(text)?),
    })
}

/// A payload against its kind, and a jurisdiction declaration against the
/// envelope that carries it.
fn check_payload(
    kind: DocKind,
    payload: &Value,
    issuer: &JurisdictionCode,
    issuer_key: &KeyHex,
) -> Result<Typed, Rejection> {
    if kind != DocKind::Jurisdiction {
        return check_payload_form(kind, payload);
    }
    let decl: JurisdictionDecl = decode_payload(payload)?;
    if &decl.code != issuer {
        return Err(Rejection::new(
            Reason::InvalidPayload,
            format!("declares code {} but is issued by {issuer}", decl.code),
        ));
    }
    if &decl.public_key != issuer_key {
        return Err(Rejection::new(
            Reason::KeyMismatch,
            "declares a key other than the one that signed it",
        ));
    }
    // As in check_payload_form, after the checks with their own reasons.
    check_nulls(kind, payload)?;
    Ok(Arc::new(decl))
}
