//! The bodies of the node's HTTP API: every request a route takes and every
//! answer it gives, as Rust types that the node serialises and its clients
//! (the `deltabench` commands) deserialise.
//!
//! The OpenAPI document at `GET /api/v1/openapi.json` is generated from these
//! types (and the domain types they hold), so the document, the server and
//! the client cannot disagree on a field. The JSON field names are the ones
//! CONTRACT.md fixes. Errors are not here: every error is an RFC 9457
//! problem, [`Problem`].
//!
//! A few answers are written by the node as bytes rather than through these
//! types, because they are stored signed bytes or too large to build in
//! memory (`GET /api/v1/documents/{hash}`, `GET /api/v1/bundle`, an unpaged
//! `GET /api/v1/documents`); their types here describe exactly what is
//! written, and clients read them with these types.
#![deny(missing_docs)]

use deltabench_model::comparison::CrosswalkRecord;
use deltabench_model::documents::{Change, Framework, Owner, SignedRoster};
use deltabench_model::local::{Appraisal, Unit};
use deltabench_model::public::Project;
use deltabench_model::rectify::{
    Callback, CallbackResult, Day, Hidden, Response, TaskStatus, Voided,
};
use deltabench_model::{
    AllianceId, DocHash, FrameworkId, IndicatorCode, JurisdictionCode, Period, ProjectId,
    Timestamp, UnitId, Value,
};
use deltabench_node::Identity;
use deltabench_store::local::AuditEntry;
use deltabench_store::{DocMeta, Equivocation, RejectionRecord, RosterForkRecord};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub use deltabench_model::comparison::{Comparison, Composite, CompositeSpec};
pub use deltabench_model::debt::DebtRisk;
pub use deltabench_model::documents::{Crosswalk, Decision, Envelope};
pub use deltabench_model::hotline::{Departments, Heatmap, TicketsStored};
pub use deltabench_model::twin::{
    Acknowledgement, AcknowledgementRequest, CommitmentRequest, ForecastList, ForecastSkill,
    LeftOut, WarningList,
};
pub use deltabench_model::whatif::{WhatIf, WhatIfRequest};
pub use deltabench_node::{BundleRejection, BundleReport};

/// The pattern of a period: `2025`, `2025-H1`, `2025-Q3` or `2025-07`.
pub const PERIOD_PATTERN: &str = r"^(19|2[0-9])[0-9]{2}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$";

/// The pattern of a listing cursor, `ISSUER:SEQ`.
pub const CURSOR_PATTERN: &str = r"^[0-9]{6}:[0-9]+$";

// ------------------------------------------------------------------ errors

/// An RFC 9457 problem, the body of every error
/// (`application/problem+json`). The members after `detail` are present
/// only for the errors that have them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem,
    /// `https://deltabench.invalid/problems/SLUG`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The HTTP reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// The field of the request that was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why the field or row was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The data row of an import that was refused, from 1 (0: the header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The line of a CSV file where that row starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The column (CSV header name or JSON field) that was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Every refused row of an import, when more than one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<RowError>>,
}

/// One refused row of an observation import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// The data row, from 1.
    pub row: usize,
    /// The line of the CSV file where it starts, for CSV.
    #[serde(default)]
    pub line: Option<usize>,
    /// The column at fault.
    pub column: String,
    /// Why.
    pub reason: String,
}

// -------------------------------------------------------------- operations

/// The answer of `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `ok` while the node answers.
    pub status: String,
}

// -------------------------------------------------------------------- node

/// The answer of `GET /api/v1/node`: who this node is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NodeDescription {
    /// The jurisdiction the node speaks for.
    pub jurisdiction: Identity,
    /// Its ed25519 public key, 64 hex digits.
    pub public_key: deltabench_model::KeyHex,
    /// Its libp2p peer id.
    pub peer_id: String,
    /// The deltabench version it runs.
    pub version: String,
    /// The alliances whose rosters are in force here.
    pub alliances: Vec<AllianceInfo>,
    /// Its peer-to-peer endpoint.
    pub p2p: P2pInfo,
}

/// An alliance as the node holds it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AllianceInfo {
    /// The alliance id.
    pub id: AllianceId,
    /// The roster version in force.
    pub version: u64,
    /// The members' codes.
    pub members: Vec<JurisdictionCode>,
    /// How many members must approve the next roster.
    pub threshold: u32,
    /// When the roster in force expires.
    pub expires_at: Timestamp,
}

/// The node's peer-to-peer endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct P2pInfo {
    /// The multiaddresses it listens on, with its peer id.
    pub listen: Vec<String>,
}

/// The answer of `GET /api/v1/peers`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PeerList {
    /// The connected peers.
    pub peers: Vec<Peer>,
}

/// One connected peer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Peer {
    /// Its libp2p peer id.
    pub peer_id: String,
    /// The jurisdiction whose roster key it holds, if any.
    pub jurisdiction: Option<JurisdictionCode>,
    /// The alliances it is a member of.
    pub member_of: Vec<AllianceId>,
    /// Its ed25519 public key (hex), when its peer id holds one.
    pub public_key: Option<String>,
    /// The remote addresses of its connections.
    pub addresses: Vec<String>,
    /// When its first connection opened (RFC 3339).
    pub connected_at: String,
}

/// The answer of `GET /api/v1/rosters`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RosterList {
    /// The rosters in force, each as signed (payload and approvals, with
    /// any member this node's version does not know kept as it is).
    #[schema(value_type = Vec<SignedRoster>)]
    pub rosters: Vec<Box<RawValue>>,
    /// Every roster version held, oldest first per alliance.
    pub history: Vec<RosterVersion>,
}

/// One version of an alliance's roster.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RosterVersion {
    /// The alliance.
    pub alliance: AllianceId,
    /// The version.
    pub version: u64,
    /// The roster document's id (its hash).
    pub id: DocHash,
    /// Whether this version came into force when it arrived (false: kept as
    /// history only).
    pub came_into_force: bool,
    /// Whether it is the version in force now.
    pub in_force: bool,
}

// --------------------------------------------------------------- documents

/// The answer of a publication: the new document's hash and envelope.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Published {
    /// The document's hash.
    pub hash: DocHash,
    /// The signed envelope.
    pub document: Envelope,
}

/// The answer of `GET /api/v1/documents`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentPage {
    /// The documents of this page.
    pub documents: Vec<DocMeta>,
    /// The cursor of the next page (`ISSUER:SEQ`), null on the last.
    #[schema(pattern = r"^[0-9]{6}:[0-9]+$")]
    pub next: Option<String>,
}

/// A bundle: signed envelopes, as `GET /api/v1/bundle` gives them and
/// `POST /api/v1/bundle` takes them. A page of a bundle is a bundle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Bundle {
    /// The envelopes, each as stored (its signed bytes), issuer by issuer
    /// in chain order.
    pub documents: Vec<Envelope>,
    /// The cursor of the next page (`ISSUER:SEQ`), null on the last. Not
    /// read on import.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{6}:[0-9]+$")]
    pub next: Option<String>,
}

/// The answer of `GET /api/v1/evidence`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    /// How many documents were refused, by reason code.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// The latest refusals, newest first (at most 100).
    pub recent_rejections: Vec<RejectionRecord>,
    /// Two documents signed for one issuer's sequence number.
    pub equivocations: Vec<Equivocation>,
    /// Two rosters approved for one alliance version.
    pub roster_forks: Vec<RosterForkRecord>,
}

// --------------------------------------------------------------- appraisal

/// The answer of `GET /api/v1/frameworks`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FrameworkList {
    /// Every framework version held, own and received.
    pub frameworks: Vec<FrameworkEntry>,
}

/// One framework version in a listing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FrameworkEntry {
    /// The framework id.
    pub id: FrameworkId,
    /// Its version (semver).
    #[schema(value_type = String)]
    pub version: String,
    /// Whose framework it is.
    pub owner: Owner,
    /// Its name in Chinese.
    pub name_zh: String,
    /// Its name in English.
    pub name_en: String,
    /// The periods it appraises.
    pub periods: Vec<Period>,
    /// How many indicators it has.
    pub indicators: usize,
    /// How many unit categories it has.
    pub categories: usize,
    /// The jurisdiction that signed it.
    pub issuer: JurisdictionCode,
    /// The document's hash.
    pub hash: DocHash,
    /// What changed from the version before.
    pub changelog: Vec<Change>,
}

/// The answer of `GET /api/v1/frameworks/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FrameworkVersions {
    /// The framework id.
    pub id: FrameworkId,
    /// Every version held.
    pub versions: Vec<HeldFramework>,
}

/// One framework version as held.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HeldFramework {
    /// The document's hash.
    pub hash: DocHash,
    /// The jurisdiction that signed it.
    pub issuer: JurisdictionCode,
    /// The framework.
    pub framework: Framework,
}

/// The answer of `POST /api/v1/frameworks`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FrameworkPublished {
    /// The document's hash.
    pub hash: DocHash,
    /// The signed envelope.
    pub document: Envelope,
    /// What changed from the version before, as computed here.
    pub changelog: Vec<Change>,
}

/// The answer of `GET /api/v1/units`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitList {
    /// The appraised units.
    pub units: Vec<Unit>,
}

/// The body of `POST /api/v1/units`: an array of units, or an object
/// holding one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum UnitsBody {
    /// `[UNIT, ...]`
    List(Vec<Unit>),
    /// `{"units": [UNIT, ...]}`
    Wrapped {
        /// The units.
        units: Vec<Unit>,
    },
}

/// The answer of `POST /api/v1/units`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitsStored {
    /// How many units were stored (added or updated).
    pub accepted: usize,
}

/// One observation as `POST /api/v1/observations` takes it in JSON (the CSV
/// form has the same columns).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationIn {
    /// The appraised unit's id.
    pub unit: UnitId,
    /// The indicator's code in the unit's framework.
    pub indicator: IndicatorCode,
    /// The period.
    pub period: Period,
    /// The value.
    pub value: Value,
    /// The target, if the indicator scores against one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Value>,
}

/// The answer of `POST /api/v1/observations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ObservationsStored {
    /// How many rows were sent.
    pub accepted: usize,
    /// Observations new to the node.
    pub inserted: usize,
    /// Observations whose value or target changed (each in the audit trail).
    pub corrected: usize,
    /// Observations sent again unchanged.
    pub unchanged: usize,
}

/// The answer of `GET /api/v1/observations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ObservationList {
    /// The current observations.
    pub observations: Vec<ObservationOut>,
}

/// A current observation, with who stored it and when.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ObservationOut {
    /// The unit.
    pub unit: UnitId,
    /// The indicator.
    pub indicator: IndicatorCode,
    /// The period.
    pub period: Period,
    /// The value.
    pub value: Value,
    /// The target, if any.
    pub target: Option<Value>,
    /// When it was stored.
    pub at: Timestamp,
    /// Who stored it (the token's name).
    pub by: String,
}

/// The answer of `GET /api/v1/observations/audit`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditList {
    /// The corrections, oldest first.
    pub audit: Vec<AuditEntry>,
}

/// The answer of `GET /api/v1/appraisals`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppraisalList {
    /// The framework applied.
    pub framework: FrameworkId,
    /// Its version.
    #[schema(value_type = String)]
    pub version: String,
    /// The period.
    pub period: Period,
    /// Each unit's scores, total and grade.
    pub appraisals: Vec<Appraisal>,
}

/// The body of `POST /api/v1/summaries`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryRequest {
    /// The framework id.
    pub framework: FrameworkId,
    /// A framework version (semver); default the latest held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")]
    pub version: Option<String>,
    /// The period.
    pub period: Period,
    /// Why a summary is published again (a correction), kept in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer of `POST /api/v1/summaries`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SummaryPublished {
    /// The summary document's hash.
    pub hash: DocHash,
    /// The signed envelope.
    pub document: Envelope,
    /// False when an unchanged summary was asked for again, and this is the
    /// one already published.
    pub created: bool,
}

// ------------------------------------------------------------- recognition

/// The answer of `GET /api/v1/crosswalks`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CrosswalkList {
    /// The crosswalks, with their status and endorsements.
    pub crosswalks: Vec<CrosswalkRecord>,
}

/// The answer of `POST /api/v1/crosswalks`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CrosswalkProposed {
    /// The crosswalk document's hash.
    pub hash: DocHash,
    /// The signed envelope.
    pub document: Envelope,
    /// The hash of the proposer's own acceptance, unless `endorse=false`.
    pub endorsement: Option<DocHash>,
}

/// The body of `POST /api/v1/crosswalks/{id}/endorsements`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndorsementRequest {
    /// Accept or reject.
    pub decision: Decision,
    /// Why, for the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The crosswalk version meant; default the current one. Another
    /// version is refused with 409.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_number"
    )]
    #[schema(value_type = Option<u32>, minimum = 0)]
    pub version: Option<u32>,
}

/// The answer of `POST /api/v1/crosswalks/{id}/endorsements`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EndorsementPublished {
    /// The endorsement document's hash.
    pub hash: DocHash,
    /// The signed envelope.
    pub document: Envelope,
    /// The crosswalk after it.
    pub crosswalk: CrosswalkRecord,
}

/// The answer of `GET /api/v1/periods`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PeriodList {
    /// The periods that summaries are held for, in time order.
    pub periods: Vec<Period>,
}

/// The body of `POST /api/v1/bundle`: signed envelopes, as a bundle or a
/// page of one gives them. Other members (a page's `next`) are ignored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BundleUpload {
    /// The envelopes ([`Envelope`]), in any order: each is checked as one
    /// from the network would be, and held until its predecessor arrives.
    /// Any JSON value is taken here: one that is not a valid signed
    /// envelope is refused on its own, in the answer's `rejected`, and does
    /// not fail the request.
    pub documents: Vec<serde_json::Value>,
}

/// The forms `GET /api/v1/comparisons` answers in (`format=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ComparisonFormat {
    /// The comparison as JSON, with its ETag (the default).
    #[serde(rename = "json")]
    Json,
    /// The rows as CSV.
    #[serde(rename = "csv")]
    Csv,
    /// The rows as SDMX-CSV 2.0.
    #[serde(rename = "sdmx-csv")]
    SdmxCsv,
}

/// A whole number from 0 to `u32::MAX` written as JSON allows it, `3` or
/// `3.0`.
fn whole<E: serde::de::Error>(x: f64) -> Result<u32, E> {
    if x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&x) {
        Ok(x as u32)
    } else {
        Err(E::custom(format!(
            "{x} is not a whole number from 0 to {}",
            u32::MAX
        )))
    }
}

/// Reads an optional whole number, `3` or `3.0`.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Option::<f64>::deserialize(d)?.map(whole).transpose()
}

/// Reads a count, `3` or `3.0`.
fn whole_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    whole(f64::deserialize(d)?).map(|n| n as usize)
}

// ---------------------------------------------------------- public rating

/// The answer of `GET /api/v1/projects`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectList {
    /// Every livelihood project, by id.
    pub projects: Vec<Project>,
}

/// The body of `POST /api/v1/projects`: an array of projects, or an object
/// holding one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ProjectsBody {
    /// `[PROJECT, ...]`
    List(Vec<Project>),
    /// `{"projects": [PROJECT, ...]}`
    Wrapped {
        /// The projects.
        projects: Vec<Project>,
    },
}

/// The answer of `POST /api/v1/projects`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectsStored {
    /// How many projects were stored (added or replaced).
    pub accepted: usize,
}

/// The body of `POST /api/v1/projects/{id}/codes`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodesRequest {
    /// How many one-time codes to issue (1 to 10,000).
    #[serde(deserialize_with = "whole_count")]
    #[schema(value_type = u32, minimum = 1, maximum = 10_000)]
    pub count: usize,
}

/// The answer of `POST /api/v1/projects/{id}/codes`: the codes, shown this
/// once; the node keeps only their keyed digests.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CodesIssued {
    /// The project they rate.
    pub project: ProjectId,
    /// The period they rate it in.
    pub period: Period,
    /// The codes, each `XXXX-XXXX-XXXX`.
    pub codes: Vec<String>,
}

/// The body of `POST /public/v1/ratings`: one resident's rating.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingIn {
    /// The project rated.
    pub project: ProjectId,
    /// The one-time code the office handed out, as typed (case, spaces and
    /// hyphens do not matter).
    #[schema(min_length = 12, max_length = 64)]
    pub code: String,
    /// 5 非常满意 (very satisfied), 4 满意, 3 基本满意, 2 不满意,
    /// 1 非常不满意 (very dissatisfied).
    #[schema(minimum = 1, maximum = 5)]
    pub level: u8,
    /// A comment, plain text of at most 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

/// The answer of `POST /public/v1/ratings`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatingStored {
    /// The rating's number on this node.
    pub id: u64,
}

/// The answer of `GET /public/v1/projects`: what the public sees.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicProjectList {
    /// The jurisdiction whose projects these are.
    pub jurisdiction: Identity,
    /// A score is shown only from this many ratings.
    pub k: u64,
    /// The weight, in ratings, of the category mean in a shown score.
    pub prior_weight: f64,
    /// The projects.
    pub projects: Vec<PublicProject>,
}

/// A project with its public score.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicProject {
    /// The project as the office describes it.
    pub project: Project,
    /// The responsible unit's name in Chinese.
    pub unit_name_zh: String,
    /// The responsible unit's name in English.
    pub unit_name_en: String,
    /// Its score; null below k ratings (then not even the count is shown).
    pub score: Option<PublicScore>,
}

/// A project's public score.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicScore {
    /// The number of ratings.
    pub n: u64,
    /// Ratings per level, level 1 first.
    pub distribution: [u64; 5],
    /// The mean level.
    pub raw_mean: f64,
    /// The Bayesian average toward the category's mean: the score to rank by.
    pub shrunk: f64,
    /// The category's mean.
    pub prior_mean: f64,
    /// The share rated 4 or 5.
    pub satisfied_share: f64,
    /// The Wilson 95% interval of that share, low then high.
    pub satisfied_interval: [f64; 2],
}

// ------------------------------------------- the closed loop of public rating
//
// The patterns of the free texts state what `rectify::check_text` checks:
// one line (names) or lines (reasons, responses, notes) holding a
// character other than white space, and no control character but line
// breaks in the latter. A blank note is no note.

/// The answer of `GET /api/v1/ratings`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatingList {
    /// The ratings, oldest first, voided ones included.
    pub ratings: Vec<RatingRecord>,
}

/// A rating as the office sees it: with its hidden comment and its void
/// decision, if any.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatingRecord {
    /// Its number on this node.
    pub id: u64,
    /// The project rated.
    pub project: ProjectId,
    /// The period rated.
    pub period: Period,
    /// The level, 5 (very satisfied) to 1 (very dissatisfied).
    #[schema(minimum = 1, maximum = 5)]
    pub level: u8,
    /// The resident's comment (also when hidden from the public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When it was given.
    pub at: Timestamp,
    /// Why, by whom and when its comment was hidden from the public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Hidden>,
    /// Why, by whom and when it was voided on appeal: it then counts in no
    /// score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided: Option<Voided>,
}

impl From<deltabench_store::public::RatingRecord> for RatingRecord {
    fn from(r: deltabench_store::public::RatingRecord) -> Self {
        Self {
            id: r.id,
            project: r.rating.project,
            period: r.rating.period,
            level: r.rating.level,
            comment: r.rating.comment,
            at: r.rating.at,
            hidden: r.moderation.hidden,
            voided: r.moderation.voided,
        }
    }
}

/// The body of `POST /api/v1/ratings/{id}/void`: the office's decision on
/// the responsible unit's appeal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    /// Why the appeal is upheld (plain text, at most 2000 characters).
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub reason: String,
    /// Who decided (one line, at most 100 characters).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub decided_by: String,
}

/// The body of `POST /api/v1/ratings/{id}/hide`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HideRequest {
    /// Why the comment is hidden (plain text, at most 2000 characters).
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub reason: String,
    /// Who hid it (one line, at most 100 characters).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub by: String,
}

/// The states `GET /api/v1/tasks` selects by (`status=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatusFilter {
    /// Waiting for the unit's response.
    Open,
    /// Responded, waiting for the call-back.
    Responded,
    /// Called back.
    Closed,
    /// Its rating was voided on appeal.
    Voided,
    /// Open past its due date without a response.
    Overdue,
}

/// The answer of `GET /api/v1/tasks`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaskList {
    /// The tasks, oldest first.
    pub tasks: Vec<TaskRecord>,
}

/// A rectification task, opened by a rating of level 1 or 2.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaskRecord {
    /// Its number on this node.
    pub id: u64,
    /// The rating that opened it.
    pub rating: u64,
    /// The project rated.
    pub project: ProjectId,
    /// The unit that responds (the project's responsible unit).
    pub unit: UnitId,
    /// The rating's level (1 or 2).
    #[schema(minimum = 1, maximum = 5)]
    pub level: u8,
    /// When it was opened: the rating's time.
    pub opened: Timestamp,
    /// The last day of the response (working days counted from the day of
    /// the rating, China Standard Time).
    pub due: Day,
    /// `open`, `responded`, `closed` (called back) or `voided` (its rating
    /// was voided on appeal).
    pub status: TaskStatus,
    /// No response, and today (the node's clock) is after `due`.
    pub overdue: bool,
    /// The unit's response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
    /// The call-back to the resident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
}

impl From<deltabench_node::public::TaskView> for TaskRecord {
    fn from(v: deltabench_node::public::TaskView) -> Self {
        let t = v.task;
        Self {
            id: t.id,
            rating: t.rating,
            project: t.project,
            unit: t.unit,
            level: t.level,
            opened: t.opened,
            due: t.due,
            status: t.status,
            overdue: v.overdue,
            response: t.response,
            callback: t.callback,
        }
    }
}

/// The body of `POST /api/v1/tasks/{id}/response`: the unit's response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseRequest {
    /// What the unit did or will do (plain text, at most 2000 characters).
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub text: String,
    /// Who records it (one line, at most 100 characters).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub by: String,
}

/// The body of `POST /api/v1/tasks/{id}/callback`: the call-back to the
/// resident, which closes the task.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackRequest {
    /// `satisfied`, `unsatisfied` or `unreachable`.
    pub result: CallbackResult,
    /// A note (plain text, at most 2000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub note: Option<String>,
    /// Who called back (one line, at most 100 characters).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub by: String,
}

/// The answer of `GET /public/v1/projects/{id}/comments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicComments {
    /// The project.
    pub project: ProjectId,
    /// Its comments that are neither hidden nor voided, newest first.
    pub comments: Vec<PublicComment>,
}

/// A resident's comment as the public sees it: no id, nothing about who.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicComment {
    /// The level it came with.
    #[schema(minimum = 1, maximum = 5)]
    pub level: u8,
    /// The comment.
    pub comment: String,
    /// When it was given.
    pub at: Timestamp,
}

/// The answer of `GET /api/v1/hotline/tickets/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketHistory {
    /// The request as held now (coordinates in WGS84).
    pub ticket: deltabench_model::hotline::Ticket,
    /// The versions re-imports replaced, oldest first, each with who
    /// replaced it and when.
    pub history: Vec<deltabench_store::hotline::Replaced>,
}

/// The body of `POST /api/v1/hotline/summaries`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HotlineSummaryRequest {
    /// The period whose requests are summarised (by their day of
    /// acceptance in China Standard Time).
    pub period: Period,
    /// The H3 resolution of the cells, 0 to 15; 8 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 15)]
    pub resolution: Option<u8>,
}

/// The answer of `POST /api/v1/hotline/summaries`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HotlineSummaryPublished {
    /// The `hotline` document's hash.
    pub hash: DocHash,
    /// The signed envelope.
    pub document: Envelope,
    /// False when nothing had changed since the node's latest summary of
    /// the period, and this is that one.
    pub created: bool,
}

/// The body of `POST /api/v1/public-ratings`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicRatingsRequest {
    /// The period whose public ratings are published.
    pub period: Period,
}

/// The answer of `POST /api/v1/public-ratings`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicRatingsPublished {
    /// The `public_rating` document's hash.
    pub hash: DocHash,
    /// The signed envelope.
    pub document: Envelope,
    /// False when the ratings had not changed since the node's latest
    /// document for the period, and this is that one.
    pub created: bool,
}

/// The answer of `POST /api/v1/forecast-commitments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommitmentPublished {
    /// The `forecast` document's hash.
    pub hash: DocHash,
    /// The signed envelope.
    pub document: Envelope,
    /// False when the forecasts had not changed since the node's latest
    /// commitment of the framework and year, and this is that one.
    pub created: bool,
    /// The indicators with monthly values left out, and why.
    pub left_out: Vec<LeftOut>,
}

/// The body of `POST /api/v1/debt`: reported debt figures and the bond
/// calendar ahead, stored whole or not at all.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DebtUpload {
    /// Reported periods.
    #[serde(default)]
    pub actuals: Vec<deltabench_model::debt::DebtActual>,
    /// Planned periods after the last reported one.
    #[serde(default)]
    pub calendar: Vec<deltabench_model::debt::DebtPlan>,
}

/// The answer of `POST /api/v1/debt`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DebtStored {
    /// Reported periods stored.
    pub actuals: usize,
    /// Planned periods stored.
    pub calendar: usize,
}
