//! Payloads of the signed document kinds.
//!
//! Each payload type decodes with serde (which checks shapes and the validated
//! identifiers) and then [`Payload::validate`] checks what serde cannot: that
//! weights sum to 100, that a roster's threshold fits its members, and so on.
//! Unknown fields are ignored on purpose: a document of a newer minor schema
//! version must still be readable by this node.

use crate::{
    AllianceId, CategoryId, CrosswalkId, DocHash, FrameworkId, IndicatorCode, IndicatorRef,
    InvalidField, JurisdictionCode, KeyHex, Period, SigHex, Timestamp, Value,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The kinds of signed documents. The kind is the schema name carried by every
/// envelope.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A node's self-signed declaration of who it is: the first link of its chain.
    Jurisdiction,
    /// A jurisdiction's summary of one framework version and period.
    Summary,
    /// A framework (indicator catalogue) version.
    Framework,
    /// A mapping of one framework's indicator onto another's.
    Crosswalk,
    /// An accept or reject of a crosswalk.
    Endorsement,
    /// An alliance roster version.
    Roster,
    /// A jurisdiction's public ratings of livelihood projects for one
    /// period, per project category, above the disclosure threshold.
    PublicRating,
    /// A jurisdiction's year-end forecasts of its framework's indicators,
    /// published before the year's summary so they can be scored against it.
    Forecast,
    /// A jurisdiction's 12345 hotline requests of one period, counted per
    /// harmonised category and per H3 cell holding at least k requests.
    Hotline,
}

impl DocKind {
    /// Every kind, in a fixed order.
    pub const ALL: [DocKind; 9] = [
        DocKind::Jurisdiction,
        DocKind::Summary,
        DocKind::Framework,
        DocKind::Crosswalk,
        DocKind::Endorsement,
        DocKind::Roster,
        DocKind::PublicRating,
        DocKind::Forecast,
        DocKind::Hotline,
    ];

    /// The kind's name as it appears in envelopes, URLs and schema file names.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Jurisdiction => "jurisdiction",
            DocKind::Summary => "summary",
            DocKind::Framework => "framework",
            DocKind::Crosswalk => "crosswalk",
            DocKind::Endorsement => "endorsement",
            DocKind::Roster => "roster",
            DocKind::PublicRating => "public_rating",
            DocKind::Forecast => "forecast",
            DocKind::Hotline => "hotline",
        }
    }

    /// The kind with this name.
    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| InvalidField::new("kind", format!("{s:?} is not a document kind")))
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A document payload: its kind, and the checks serde cannot make.
pub trait Payload: Serialize + DeserializeOwned {
    /// The kind of document that carries this payload.
    const KIND: DocKind;
    /// Checks the payload's internal consistency.
    fn validate(&self) -> Result<(), InvalidField>;
}

fn text(field: &str, s: &str, max: usize) -> Result<(), InvalidField> {
    let n = s.chars().count();
    if s.trim().is_empty() {
        Err(InvalidField::new(field, "must not be empty"))
    } else if n > max {
        Err(InvalidField::new(
            field,
            format!("is {n} characters long; at most {max}"),
        ))
    } else {
        Ok(())
    }
}

fn each<'a, T>(
    field: &str,
    items: &'a [T],
    mut f: impl FnMut(&'a T) -> Result<(), InvalidField>,
) -> Result<(), InvalidField> {
    for (i, item) in items.iter().enumerate() {
        f(item).map_err(|e| e.within(format!("[{i}]")).within(field))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- jurisdiction

/// A node's declaration of its jurisdiction and key (kind `jurisdiction`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JurisdictionDecl {
    /// The jurisdiction's GB/T 2260 code.
    pub code: JurisdictionCode,
    /// The name in Chinese, e.g. 太仓市.
    pub name_zh: String,
    /// The name in English, e.g. Taicang.
    pub name_en: String,
    /// The node's ed25519 public key; it must equal the envelope's issuer key.
    pub public_key: KeyHex,
}

impl Payload for JurisdictionDecl {
    const KIND: DocKind = DocKind::Jurisdiction;
    fn validate(&self) -> Result<(), InvalidField> {
        text("name_zh", &self.name_zh, 200)?;
        text("name_en", &self.name_en, 200)
    }
}

// ---------------------------------------------------------------------- roster

/// One member of an alliance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Member {
    /// The member's jurisdiction code.
    pub code: JurisdictionCode,
    /// The member's node key; documents issued under this code must carry it.
    pub key: KeyHex,
    /// The member's name in Chinese.
    pub name_zh: String,
    /// The member's name in English.
    pub name_en: String,
}

/// The content of an alliance roster version: what the approvals sign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Roster {
    /// The alliance this roster describes, e.g. `yrd.tax`.
    pub alliance: AllianceId,
    /// The roster version: 1 for the founding roster, then each change adds 1.
    pub version: u64,
    /// The members, each with its key.
    pub members: Vec<Member>,
    /// How many members of this version must approve the next one.
    pub threshold: u32,
    /// After this time the roster is no longer in force.
    pub expires_at: Timestamp,
    /// The alliance's reference framework, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_framework: Option<FrameworkId>,
    /// How many members must accept a crosswalk onto the reference framework.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recognition_quorum: Option<u32>,
    /// Every member that this or an earlier version removed (and no later
    /// version re-admitted), each with where its chain stood when it was
    /// removed. Carried forward unchanged by each later version, so that a node
    /// anchored at any version knows the whole history of membership.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former: Vec<FormerMember>,
    /// The id of the version this one follows (the SHA-256 of that
    /// version's approval message). Optional; when present, only that exact
    /// roster is accepted as the version before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<crate::DocHash>,
}

/// A member that a roster version removed, and the last document of its chain
/// that counts: what it signed while it was a member stays valid history, and
/// its documents beyond `last_seq` are refused as `not_a_member`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FormerMember {
    /// The former member's jurisdiction code.
    pub code: JurisdictionCode,
    /// Its key while it was a member.
    pub key: KeyHex,
    /// The roster version that removed it.
    pub removed_in: u64,
    /// The sequence number of the last document of its chain that counts
    /// (0: none does).
    pub last_seq: u64,
    /// The hash of that document (absent exactly when `last_seq` is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_hash: Option<crate::DocHash>,
}

impl Roster {
    /// The member with this code, if any.
    pub fn member(&self, code: &JurisdictionCode) -> Option<&Member> {
        self.members.iter().find(|m| &m.code == code)
    }

    /// Checks the roster content on its own (not its approvals).
    pub fn validate(&self) -> Result<(), InvalidField> {
        if self.version == 0 {
            return Err(InvalidField::new("version", "must be at least 1"));
        }
        if self.members.is_empty() {
            return Err(InvalidField::new("members", "must not be empty"));
        }
        if self.members.len() > 1000 {
            return Err(InvalidField::new("members", "has more than 1000 members"));
        }
        each("members", &self.members, |m| {
            text("name_zh", &m.name_zh, 200)?;
            text("name_en", &m.name_en, 200)
        })?;
        let mut codes = BTreeSet::new();
        let mut keys = BTreeSet::new();
        for (i, m) in self.members.iter().enumerate() {
            if !codes.insert(&m.code) {
                return Err(InvalidField::new(
                    format!("members[{i}].code"),
                    format!("{} is listed twice", m.code),
                ));
            }
            if !keys.insert(&m.key) {
                return Err(InvalidField::new(
                    format!("members[{i}].key"),
                    "is the key of another member",
                ));
            }
        }
        let n = self.members.len() as u32;
        // More than half: two disjoint groups of members can never both
        // approve a successor, so a fork needs someone who approved twice.
        if self.threshold > n || self.threshold * 2 <= n {
            return Err(InvalidField::new(
                "threshold",
                format!(
                    "is {}; must be more than half of the {n} members and at most {n} (at least {})",
                    self.threshold,
                    n / 2 + 1
                ),
            ));
        }
        if self.version == 1 && self.previous.is_some() {
            return Err(InvalidField::new(
                "previous",
                "version 1 follows no version",
            ));
        }
        if self.former.len() > 1000 {
            return Err(InvalidField::new("former", "has more than 1000 entries"));
        }
        let mut former_codes = BTreeSet::new();
        for (i, f) in self.former.iter().enumerate() {
            let at = |field: &str| format!("former[{i}].{field}");
            if codes.contains(&f.code) {
                return Err(InvalidField::new(
                    at("code"),
                    format!(
                        "{} is listed both as a member and as a former member",
                        f.code
                    ),
                ));
            }
            if !former_codes.insert(&f.code) {
                return Err(InvalidField::new(
                    at("code"),
                    format!("{} is listed twice", f.code),
                ));
            }
            if f.removed_in < 2 || f.removed_in > self.version {
                return Err(InvalidField::new(
                    at("removed_in"),
                    format!(
                        "is {}; must be between 2 and this version ({})",
                        f.removed_in, self.version
                    ),
                ));
            }
            if (f.last_seq == 0) != f.last_hash.is_none() {
                return Err(InvalidField::new(
                    at("last_hash"),
                    "must be present exactly when last_seq is above 0",
                ));
            }
        }
        if let Some(q) = self.recognition_quorum {
            if q == 0 || q > n {
                return Err(InvalidField::new(
                    "recognition_quorum",
                    format!("is {q}; must be between 1 and the {n} members"),
                ));
            }
        }
        Ok(())
    }
}

/// One member's signature over a roster's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Approval {
    /// The approving member's code.
    pub signer: JurisdictionCode,
    /// The key that made the signature.
    pub key: KeyHex,
    /// The ed25519 signature over the roster's domain-separated canonical bytes.
    pub signature: SigHex,
}

/// A roster with the approvals that make it valid (kind `roster`). The approvals
/// are checked by the trust crate against the previous version's members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignedRoster {
    /// The roster content.
    pub roster: Roster,
    /// Signatures of members over the content.
    pub approvals: Vec<Approval>,
}

impl Payload for SignedRoster {
    const KIND: DocKind = DocKind::Roster;
    fn validate(&self) -> Result<(), InvalidField> {
        self.roster.validate().map_err(|e| e.within("roster"))?;
        if self.approvals.is_empty() {
            return Err(InvalidField::new("approvals", "must not be empty"));
        }
        Ok(())
    }
}

// ------------------------------------------------------------------- framework

/// Who owns a framework: one jurisdiction, or an alliance (a reference framework).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    /// A jurisdiction's own framework.
    Jurisdiction(JurisdictionCode),
    /// An alliance's reference framework.
    Alliance(AllianceId),
}

/// Which way an indicator is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is better (a satisfaction score, a filing rate).
    HigherIsBetter,
    /// Less is better (processing days, a debt ratio).
    LowerIsBetter,
    /// Closest to the indicator's target is best.
    ClosestToTarget,
}

/// How unit values combine into the jurisdiction's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Aggregation {
    /// The arithmetic mean of the units' values.
    Mean,
    /// The sum of the units' values.
    Sum,
    /// The median of the units' values.
    Median,
    /// The mean weighted by each unit's value of another indicator.
    WeightedMean {
        /// The indicator whose values are the weights.
        weight: IndicatorCode,
    },
    /// The sum of one indicator over the sum of another, times `scale` (100
    /// for a percentage).
    RatioOfSums {
        /// The indicator summed in the numerator.
        numerator: IndicatorCode,
        /// The indicator summed in the denominator.
        denominator: IndicatorCode,
        /// The factor applied to the ratio; 1 when absent.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        scale: Value,
    },
}

/// The valid range of an indicator's values, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Range {
    /// The smallest valid value.
    pub min: Value,
    /// The largest valid value.
    pub max: Value,
}

impl Range {
    /// Whether `v` lies within the range.
    pub fn contains(&self, v: Value) -> bool {
        self.min.get() <= v.get() && v.get() <= self.max.get()
    }
}

/// One indicator of a framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Indicator {
    /// The indicator's code, unique within the framework.
    pub code: IndicatorCode,
    /// The name in Chinese.
    pub name_zh: String,
    /// The name in English.
    pub name_en: String,
    /// The dimension it belongs to, e.g. `economic`, `livelihood`, `ecology`.
    pub dimension: String,
    /// The unit of measure, e.g. `%`, `ratio`, `days`, `hours`, `10k_yuan`.
    pub unit: String,
    /// Which way is better.
    pub direction: Direction,
    /// How unit values become the jurisdiction's value.
    pub aggregation: Aggregation,
    /// The valid range of values, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<Range>,
    /// The target value, required when the direction is `closest_to_target`.
    /// An observation's own target takes precedence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Value>,
    /// How a unit's value becomes a score; without one the indicator is not
    /// scored (it may still be aggregated, or weight another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring: Option<ScoringRule>,
    /// Where the units' values come from: imported observations when absent.
    /// Absent from documents that do not set it, so their bytes are those
    /// of the schema before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<IndicatorSource>,
}

impl Indicator {
    /// Whether the units' values come from public ratings rather than
    /// observations.
    pub fn from_public_ratings(&self) -> bool {
        self.source == Some(IndicatorSource::PublicRating)
    }

    /// Whether the units' values come from their 12345 hotline requests.
    pub fn from_hotline(&self) -> bool {
        matches!(
            self.source,
            Some(
                IndicatorSource::HotlineWithinSla
                    | IndicatorSource::HotlineResolutionRate
                    | IndicatorSource::HotlineSatisfaction
            )
        )
    }
}

/// Where an indicator's unit values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorSource {
    /// Observations imported by the office (the default).
    Observations,
    /// Public ratings of the unit's livelihood projects of the period: the
    /// mean of the shrunk (Bayesian) scores, on the 1 to 5 scale, of its
    /// projects with at least k ratings; a unit without one has no value.
    PublicRating,
    /// The share (0 to 1) of the unit's 12345 requests of the period with
    /// an SLA that were closed within it; the unit is the responsible
    /// department.
    HotlineWithinSla,
    /// The share (0 to 1) of the unit's 12345 requests of the period closed
    /// as resolved (解决率): explained and unresolved closures count against.
    HotlineResolutionRate,
    /// The mean follow-up satisfaction (1 to 5) of the unit's rated 12345
    /// requests of the period.
    HotlineSatisfaction,
}

/// How an indicator's value becomes a score. Scores run from 0 to 100, or to
/// a rule's cap where over-achievement earns more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum ScoringRule {
    /// `100 × value / target` (higher is better) or `100 × target / value`
    /// (lower is better), capped.
    RatioToTarget {
        /// The highest score, 100 unless over-achievement counts.
        #[serde(default = "hundred")]
        cap: Value,
    },
    /// 0 at `floor`, 100 at the target, linear between, clamped. A floor above
    /// the target scores lower-is-better.
    Linear {
        /// The value that scores 0.
        floor: Value,
    },
    /// `pass` when the value reaches `threshold` (at least it, or at most it
    /// when lower is better), else `fail`.
    Threshold {
        /// The threshold.
        threshold: Value,
        /// The score when met.
        #[serde(default = "hundred")]
        pass: Value,
        /// The score when missed.
        #[serde(default = "zero")]
        fail: Value,
    },
    /// `100 × (1 − |value − target| / tolerance)`, at least 0: for
    /// closest-to-target indicators.
    Closeness {
        /// The distance from the target that scores 0.
        tolerance: Value,
    },
    /// The value is the score itself (e.g. an assessed rating from 0 to 100).
    Direct,
}

fn one() -> Value {
    Value::new(1.0).expect("finite")
}

fn is_one(v: &Value) -> bool {
    v.get() == 1.0
}

fn hundred() -> Value {
    Value::new(100.0).expect("finite")
}

fn zero() -> Value {
    Value::new(0.0).expect("finite")
}

impl ScoringRule {
    /// Whether the rule needs a target (from the observation or the indicator).
    pub fn needs_target(&self) -> bool {
        matches!(
            self,
            ScoringRule::RatioToTarget { .. }
                | ScoringRule::Linear { .. }
                | ScoringRule::Closeness { .. }
        )
    }

    fn validate(&self) -> Result<(), InvalidField> {
        match self {
            ScoringRule::RatioToTarget { cap } if !(1.0..=200.0).contains(&cap.get()) => {
                Err(InvalidField::new("cap", "must be within 1-200"))
            }
            ScoringRule::Threshold { pass, fail, .. }
                if !(0.0..=200.0).contains(&pass.get()) || !(0.0..=200.0).contains(&fail.get()) =>
            {
                Err(InvalidField::new(
                    "pass",
                    "pass and fail must be within 0-200",
                ))
            }
            ScoringRule::Closeness { tolerance } if tolerance.get() <= 0.0 => {
                Err(InvalidField::new("tolerance", "must be greater than 0"))
            }
            _ => Ok(()),
        }
    }
}

/// How totals become grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GradingMethod {
    /// A unit gets the best grade whose `min_total` its total reaches.
    Thresholds,
    /// Within each category, units are ranked by total and the best grades
    /// are handed out up to their `max_share` (e.g. at most 20% A); a
    /// `min_total`, where given, must be reached as well.
    Forced,
}

/// One grade's rule and pay coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GradeRule {
    /// The grade.
    pub grade: Grade,
    /// The lowest total that earns the grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_total: Option<Value>,
    /// The largest share of a category's units that may get the grade (0-1),
    /// for forced distributions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_share: Option<Value>,
    /// The pay coefficient tied to the grade.
    pub pay_coefficient: Value,
}

/// How a framework grades its units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Grading {
    /// Thresholds or forced distribution.
    pub method: GradingMethod,
    /// One rule per grade, A to E.
    pub grades: Vec<GradeRule>,
}

impl Grading {
    /// Thresholds A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, E below; pay coefficients
    /// 1.2, 1.1, 1.0, 0.9, 0.8. Used when a framework names no grading.
    pub fn standard() -> Self {
        let rule = |grade, min: f64, pay: f64| GradeRule {
            grade,
            min_total: Some(Value::new(min).expect("finite")),
            max_share: None,
            pay_coefficient: Value::new(pay).expect("finite"),
        };
        Self {
            method: GradingMethod::Thresholds,
            grades: vec![
                rule(Grade::A, 90.0, 1.2),
                rule(Grade::B, 80.0, 1.1),
                rule(Grade::C, 70.0, 1.0),
                rule(Grade::D, 60.0, 0.9),
                rule(Grade::E, 0.0, 0.8),
            ],
        }
    }

    /// The rule of a grade.
    pub fn rule(&self, grade: Grade) -> Option<&GradeRule> {
        self.grades.iter().find(|r| r.grade == grade)
    }

    /// Checks that all five grades appear once, in order A to E, with
    /// non-increasing minimum totals, shares within 0-1 (forced), and
    /// non-negative pay coefficients.
    pub fn validate(&self) -> Result<(), InvalidField> {
        let order = [Grade::A, Grade::B, Grade::C, Grade::D, Grade::E];
        let got: Vec<Grade> = self.grades.iter().map(|r| r.grade).collect();
        if got != order {
            return Err(InvalidField::new(
                "grades",
                "must list A, B, C, D and E once each, in that order",
            ));
        }
        let mut last_min = f64::INFINITY;
        for (i, r) in self.grades.iter().enumerate() {
            let at = |f: &str, why: &str| InvalidField::new(format!("grades[{i}].{f}"), why);
            if r.pay_coefficient.get() < 0.0 {
                return Err(at("pay_coefficient", "must not be negative"));
            }
            if let Some(m) = r.min_total {
                if m.get() > last_min {
                    return Err(at("min_total", "is above the better grade's"));
                }
                last_min = m.get();
            } else if self.method == GradingMethod::Thresholds && r.grade != Grade::E {
                return Err(at("min_total", "is required for threshold grading"));
            }
            if let Some(s) = r.max_share {
                if !(0.0..=1.0).contains(&s.get()) {
                    return Err(at("max_share", "must be within 0-1"));
                }
            }
        }
        Ok(())
    }
}

/// A weight of one indicator within a unit category, in percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Weight {
    /// The weighted indicator; absent for a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator: Option<IndicatorCode>,
    /// The name of a group of weighted parts (e.g. `department`), instead of
    /// an indicator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Its weight in percent; the weights of one level sum to 100.
    pub weight: Value,
    /// A group's parts, themselves weighted to 100.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub parts: Vec<Weight>,
}

impl Weight {
    /// A weighted indicator.
    pub fn indicator(code: IndicatorCode, weight: Value) -> Self {
        Self {
            indicator: Some(code),
            group: None,
            weight,
            parts: vec![],
        }
    }

    /// Every indicator under this weight with its effective share of the
    /// category's total, in percent (a part's weight times its group's).
    pub fn effective(&self, out: &mut Vec<(IndicatorCode, f64)>) {
        self.effective_scaled(1.0, out);
    }

    fn effective_scaled(&self, scale: f64, out: &mut Vec<(IndicatorCode, f64)>) {
        let w = self.weight.get() * scale;
        match &self.indicator {
            Some(code) => out.push((code.clone(), w)),
            None => self
                .parts
                .iter()
                .for_each(|p| p.effective_scaled(w / 100.0, out)),
        }
    }
}

/// Checks one level of a weight tree: each item an indicator of the framework
/// or a named group with parts, weights positive and summing to 100, no
/// indicator weighted twice anywhere in the category.
fn check_weights<'a>(
    items: &'a [Weight],
    codes: &BTreeSet<&IndicatorCode>,
    seen: &mut BTreeSet<&'a IndicatorCode>,
    depth: usize,
) -> Result<(), InvalidField> {
    if items.is_empty() {
        return Err(InvalidField::new("", "must not be empty"));
    }
    if depth > 4 {
        return Err(InvalidField::new("", "groups nest more than 4 levels deep"));
    }
    for (i, w) in items.iter().enumerate() {
        let at = |e: InvalidField| e.within(format!("[{i}]"));
        if w.weight.get() <= 0.0 {
            return Err(at(InvalidField::new("weight", "must be greater than 0")));
        }
        match (&w.indicator, &w.group) {
            (Some(code), None) => {
                if !w.parts.is_empty() {
                    return Err(at(InvalidField::new(
                        "parts",
                        "belong to groups, not indicators",
                    )));
                }
                if !codes.contains(code) {
                    return Err(at(InvalidField::new(
                        "indicator",
                        format!("{code} is not an indicator of this framework"),
                    )));
                }
                if !seen.insert(code) {
                    return Err(at(InvalidField::new(
                        "indicator",
                        format!("{code} is weighted twice"),
                    )));
                }
            }
            (None, Some(name)) => {
                text("group", name, 64).map_err(at)?;
                check_weights(&w.parts, codes, seen, depth + 1)
                    .map_err(|e| at(e.within("parts")))?;
            }
            _ => {
                return Err(at(InvalidField::new(
                    "indicator",
                    "each weight names either an indicator or a group",
                )));
            }
        }
    }
    let sum: f64 = items.iter().map(|w| w.weight.get()).sum();
    if (sum - 100.0).abs() > 1e-6 {
        return Err(InvalidField::new(
            "",
            format!("sum to {sum}%; they must sum to 100%"),
        ));
    }
    Ok(())
}

/// A category of appraised units (agencies, towns/streets, state-owned
/// enterprises, ...) with its own indicator subset and weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Category {
    /// The category's identifier, e.g. `agency`.
    pub id: CategoryId,
    /// The name in Chinese.
    pub name_zh: String,
    /// The name in English.
    pub name_en: String,
    /// The indicators that apply to the category, with their weights.
    pub weights: Vec<Weight>,
}

/// What kind of change a framework version made to an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The indicator is new in this version.
    Added,
    /// The indicator was dropped in this version.
    Retired,
    /// The indicator's weight changed in some category.
    Reweighted,
    /// The indicator's definition (unit, direction, range, rule) changed.
    Redefined,
}

/// One entry of a framework version's changelog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// The indicator concerned.
    pub indicator: IndicatorCode,
    /// A readable note, e.g. the decision that made the change.
    #[serde(default)]
    pub note: String,
}

/// A framework version: an indicator catalogue (kind `framework`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Framework {
    /// The framework's identifier.
    pub id: FrameworkId,
    /// The semver version of this catalogue.
    #[schema(value_type = crate::schema::SemVer)]
    pub version: semver::Version,
    /// Who owns it.
    pub owner: Owner,
    /// The name in Chinese.
    pub name_zh: String,
    /// The name in English.
    pub name_en: String,
    /// The periods this version applies to.
    pub periods: Vec<Period>,
    /// The indicators.
    pub indicators: Vec<Indicator>,
    /// The unit categories with their weights; empty for a reference framework.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// The version this one replaces, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::schema::SemVer>)]
    pub previous: Option<semver::Version>,
    /// What changed against the previous version.
    #[serde(default)]
    pub changelog: Vec<Change>,
    /// How totals become grades; the standard thresholds when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grading: Option<Grading>,
}

impl Framework {
    /// The indicator with this code, if any.
    pub fn indicator(&self, code: &IndicatorCode) -> Option<&Indicator> {
        self.indicators.iter().find(|i| &i.code == code)
    }
}

impl Payload for Framework {
    const KIND: DocKind = DocKind::Framework;
    fn validate(&self) -> Result<(), InvalidField> {
        text("name_zh", &self.name_zh, 200)?;
        text("name_en", &self.name_en, 200)?;
        if self.periods.is_empty() {
            return Err(InvalidField::new(
                "periods",
                "must name at least one period",
            ));
        }
        if self.indicators.is_empty() {
            return Err(InvalidField::new("indicators", "must not be empty"));
        }
        let mut codes = BTreeSet::new();
        for (i, ind) in self.indicators.iter().enumerate() {
            if !codes.insert(&ind.code) {
                return Err(InvalidField::new(
                    format!("indicators[{i}].code"),
                    format!("{} is defined twice", ind.code),
                ));
            }
        }
        each("indicators", &self.indicators, |ind| {
            text("name_zh", &ind.name_zh, 200)?;
            text("name_en", &ind.name_en, 200)?;
            text("dimension", &ind.dimension, 64)?;
            text("unit", &ind.unit, 32)?;
            if let Some(r) = ind.range {
                if r.min.get() > r.max.get() {
                    return Err(InvalidField::new("range", "min is greater than max"));
                }
            }
            if ind.direction == Direction::ClosestToTarget && ind.target.is_none() {
                return Err(InvalidField::new(
                    "target",
                    "is required by closest_to_target",
                ));
            }
            if let Some(rule) = &ind.scoring {
                rule.validate().map_err(|e| e.within("scoring"))?;
            }
            if ind.from_hotline()
                && matches!(
                    ind.aggregation,
                    Aggregation::Sum | Aggregation::RatioOfSums { .. }
                )
            {
                return Err(InvalidField::new(
                    "aggregation",
                    "hotline figures are shares and means: aggregate them by mean, median or weighted_mean",
                ));
            }
            if ind.from_public_ratings() {
                // A sum or a ratio of sums of mean scores means nothing.
                if matches!(
                    ind.aggregation,
                    Aggregation::Sum | Aggregation::RatioOfSums { .. }
                ) {
                    return Err(InvalidField::new(
                        "aggregation",
                        "public ratings are mean scores: aggregate them by mean, median or weighted_mean",
                    ));
                }
                if let Some(r) = ind.range {
                    if r.min.get() > 1.0 || r.max.get() < 5.0 {
                        return Err(InvalidField::new(
                            "range",
                            "must hold the rating scale 1 to 5 of a public_rating source",
                        ));
                    }
                }
            }
            let known = |c: &IndicatorCode, field: &str| {
                if codes.contains(c) {
                    Ok(())
                } else {
                    Err(InvalidField::new(
                        format!("aggregation.{field}"),
                        format!("{c} is not an indicator of this framework"),
                    ))
                }
            };
            match &ind.aggregation {
                Aggregation::WeightedMean { weight } => known(weight, "weight"),
                Aggregation::RatioOfSums {
                    numerator,
                    denominator,
                    ..
                } => known(numerator, "numerator").and(known(denominator, "denominator")),
                _ => Ok(()),
            }
        })?;
        let mut cats = BTreeSet::new();
        each("categories", &self.categories, |c| {
            text("name_zh", &c.name_zh, 200)?;
            text("name_en", &c.name_en, 200)?;
            if !cats.insert(&c.id) {
                return Err(InvalidField::new(
                    "id",
                    format!("{} is defined twice", c.id),
                ));
            }
            let mut seen = BTreeSet::new();
            check_weights(&c.weights, &codes, &mut seen, 0).map_err(|e| e.within("weights"))
        })?;
        if let Some(g) = &self.grading {
            g.validate().map_err(|e| e.within("grading"))?;
        }
        if let Some(prev) = &self.previous {
            if prev >= &self.version {
                return Err(InvalidField::new(
                    "previous",
                    format!("{prev} is not older than version {}", self.version),
                ));
            }
        }
        Ok(())
    }
}

// --------------------------------------------------------------------- summary

/// A grade of the five-level appraisal scale.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum Grade {
    /// The best grade.
    A,
    /// The second grade.
    B,
    /// The middle grade.
    C,
    /// The fourth grade.
    D,
    /// The lowest grade.
    E,
}

/// The distribution of the units' values of one indicator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Distribution {
    /// How many units contributed.
    pub count: u32,
    /// The smallest value.
    pub min: Value,
    /// The first quartile.
    pub q1: Value,
    /// The median.
    pub median: Value,
    /// The third quartile.
    pub q3: Value,
    /// The largest value.
    pub max: Value,
    /// The arithmetic mean.
    pub mean: Value,
    /// The sample standard deviation.
    pub sd: Value,
}

/// One indicator's entry in a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IndicatorSummary {
    /// The indicator's code in the summarised framework.
    pub indicator: IndicatorCode,
    /// The jurisdiction-level value by the indicator's aggregation rule; absent
    /// when no unit reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// How many units contributed.
    pub contributors: u32,
    /// The units' distribution, present only when at least k units contributed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Distribution>,
    /// Why the distribution is withheld, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<String>,
}

/// The grade distribution of one unit category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GradeDistribution {
    /// The category.
    pub category: CategoryId,
    /// How many units got each grade; absent when fewer than k units were graded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<BTreeMap<Grade, u32>>,
    /// Why the counts are withheld, when they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<String>,
}

/// Which earlier summary a corrected one replaces, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Supersedes {
    /// The hash of the replaced summary.
    pub hash: DocHash,
    /// Why it was replaced.
    pub reason: String,
}

/// A jurisdiction's summary of one framework version and period (kind `summary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Summary {
    /// The summarised framework.
    pub framework: FrameworkId,
    /// Its version.
    #[schema(value_type = crate::schema::SemVer)]
    pub version: semver::Version,
    /// The period.
    pub period: Period,
    /// The disclosure threshold in force: distributions need at least k units.
    pub k: u32,
    /// One entry per indicator.
    pub indicators: Vec<IndicatorSummary>,
    /// Grade distributions per unit category.
    #[serde(default)]
    pub grades: Vec<GradeDistribution>,
    /// The earlier summary this one corrects, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Supersedes>,
}

impl Payload for Summary {
    const KIND: DocKind = DocKind::Summary;
    fn validate(&self) -> Result<(), InvalidField> {
        if self.k == 0 {
            return Err(InvalidField::new("k", "must be at least 1"));
        }
        let mut seen = BTreeSet::new();
        each("indicators", &self.indicators, |s| {
            if !seen.insert(&s.indicator) {
                return Err(InvalidField::new("indicator", "is summarised twice"));
            }
            match (&s.distribution, &s.withheld) {
                (Some(_), Some(_)) => Err(InvalidField::new(
                    "withheld",
                    "is set although a distribution is present",
                )),
                (Some(d), None) if d.count < self.k => Err(InvalidField::new(
                    "distribution",
                    format!("has {} units, fewer than k = {}", d.count, self.k),
                )),
                (None, None) if s.contributors >= self.k => Err(InvalidField::new(
                    "distribution",
                    "is missing and no reason is given in withheld",
                )),
                _ => Ok(()),
            }
        })?;
        if let Some(s) = &self.supersedes {
            text("supersedes.reason", &s.reason, 2000)?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------- crosswalk

/// A SKOS-style mapping relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The two indicators measure the same thing.
    Exact,
    /// Close enough to compare with care.
    Close,
    /// The target is broader than the source.
    Broad,
    /// The target is narrower than the source.
    Narrow,
    /// Related, not comparable as such.
    Related,
}

/// One step of a crosswalk's value transform; steps apply in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum TransformStep {
    /// `y = scale * x + offset`.
    Linear {
        /// The factor.
        scale: Value,
        /// The offset added after scaling.
        offset: Value,
    },
    /// Conversion between units of measure from the engine's table.
    Unit {
        /// The source unit, e.g. `ratio`.
        from: String,
        /// The target unit, e.g. `%`.
        to: String,
    },
    /// Re-mapping of a scale, e.g. `[1, 5]` onto `[0, 100]`.
    Rescale {
        /// The source scale's ends.
        from: [Value; 2],
        /// The target scale's ends.
        to: [Value; 2],
    },
    /// Direction inversion on a bounded scale: `y = lo + hi - x`.
    Invert {
        /// The scale's lower end.
        lo: Value,
        /// The scale's upper end.
        hi: Value,
    },
    /// Piecewise linear through the given points, increasing in x.
    Piecewise {
        /// The `[x, y]` points, at least two.
        points: Vec<[Value; 2]>,
    },
}

/// The source side of a crosswalk: an indicator of a range of framework versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CrosswalkSource {
    /// The source framework.
    pub framework: FrameworkId,
    /// The framework versions the mapping holds for, as a semver requirement.
    #[schema(value_type = crate::schema::SemVerReq)]
    pub versions: semver::VersionReq,
    /// The source indicator.
    pub indicator: IndicatorCode,
}

/// A mapping of one indicator onto another (kind `crosswalk`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Crosswalk {
    /// The crosswalk's identifier; a newer version keeps it.
    pub id: CrosswalkId,
    /// The crosswalk's version, from 1.
    pub version: u32,
    /// What is mapped.
    pub source: CrosswalkSource,
    /// What it is mapped onto.
    pub target: IndicatorRef,
    /// How close the two are.
    pub relation: Relation,
    /// How a source value becomes a target value.
    pub transform: Vec<TransformStep>,
    /// The first period the mapping is valid for, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Period>,
    /// The last period the mapping is valid for, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Period>,
    /// Why the mapping holds.
    pub justification: String,
    /// The proposer's confidence, from 0 to 1.
    pub confidence: Value,
}

impl Payload for Crosswalk {
    const KIND: DocKind = DocKind::Crosswalk;
    fn validate(&self) -> Result<(), InvalidField> {
        if self.version == 0 {
            return Err(InvalidField::new("version", "must be at least 1"));
        }
        text("justification", &self.justification, 4000)?;
        let c = self.confidence.get();
        if !(0.0..=1.0).contains(&c) {
            return Err(InvalidField::new(
                "confidence",
                format!("{c} is not within 0-1"),
            ));
        }
        if let (Some(a), Some(b)) = (self.valid_from, self.valid_to) {
            if a > b {
                return Err(InvalidField::new("valid_to", "is before valid_from"));
            }
        }
        each("transform", &self.transform, |step| match step {
            TransformStep::Rescale { from, .. } if from[0] == from[1] => {
                Err(InvalidField::new("from", "has equal ends"))
            }
            TransformStep::Piecewise { points } => {
                if points.len() < 2 {
                    return Err(InvalidField::new("points", "needs at least two points"));
                }
                if points.windows(2).any(|w| w[0][0].get() >= w[1][0].get()) {
                    return Err(InvalidField::new("points", "x must increase strictly"));
                }
                Ok(())
            }
            TransformStep::Unit { from, to } => {
                text("from", from, 32)?;
                text("to", to, 32)
            }
            _ => Ok(()),
        })
    }
}

// ----------------------------------------------------------------- endorsement

/// An endorsement's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The endorser recognises the crosswalk.
    Accept,
    /// The endorser refuses it.
    Reject,
}

/// A jurisdiction's signed accept or reject of a crosswalk (kind `endorsement`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Endorsement {
    /// The crosswalk's identifier.
    pub crosswalk: CrosswalkId,
    /// The hash of the exact crosswalk document endorsed.
    pub crosswalk_hash: DocHash,
    /// Accept or reject.
    pub decision: Decision,
    /// An optional comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Payload for Endorsement {
    const KIND: DocKind = DocKind::Endorsement;
    fn validate(&self) -> Result<(), InvalidField> {
        if let Some(c) = &self.comment {
            if c.chars().count() > 4000 {
                return Err(InvalidField::new(
                    "comment",
                    "is longer than 4000 characters",
                ));
            }
        }
        Ok(())
    }
}

// --------------------------------------------------------------- public_rating

/// The most categories one public rating document carries.
pub const RATING_CATEGORIES_MAX: usize = 1000;

/// Ratings of one category of livelihood projects in a period: what the
/// public rated, without comments, codes or project names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CategoryRating {
    /// The project category, e.g. `education`.
    pub category: CategoryId,
    /// How many ratings gave each level: level 1 (very dissatisfied) first,
    /// level 5 (very satisfied) last.
    pub counts: [u32; 5],
    /// The number of ratings: the sum of `counts`, at least `k`.
    pub n: u32,
    /// The mean level rated.
    pub raw_mean: Value,
    /// The mean the Bayesian average is pulled toward: the mean of every
    /// counted rating of the period, all categories together.
    pub prior_mean: Value,
    /// The Bayesian average `(C·prior_mean + Σ levels) / (C + n)`, with
    /// `C` the document's `prior_weight`.
    pub shrunk: Value,
    /// The share of ratings at levels 4 and 5.
    pub satisfied_share: Value,
    /// The Wilson 95% interval of that share, lower end first.
    pub satisfied_interval: [Value; 2],
}

/// A jurisdiction's public ratings of its livelihood projects for one
/// period (kind `public_rating`): one entry per project category that
/// reached `k` counted ratings, the others left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicRatingSummary {
    /// The period rated.
    pub period: Period,
    /// The disclosure threshold: a category is published from k ratings.
    pub k: u32,
    /// The weight `C` of the prior mean, in ratings.
    pub prior_weight: Value,
    /// One entry per category, categories unique.
    pub categories: Vec<CategoryRating>,
}

const RATING_TOLERANCE: f64 = 1e-9;

impl CategoryRating {
    fn validate(&self, k: u32, prior_weight: f64) -> Result<(), InvalidField> {
        let n: u64 = self.counts.iter().map(|&c| u64::from(c)).sum();
        if n != u64::from(self.n) {
            return Err(InvalidField::new(
                "n",
                format!("is {}, but the counts sum to {n}", self.n),
            ));
        }
        if self.n < k || self.n == 0 {
            return Err(InvalidField::new(
                "n",
                format!("is {}, fewer than k = {k}", self.n),
            ));
        }
        let within = |field: &str, v: f64, lo: f64, hi: f64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(InvalidField::new(
                    field,
                    format!("{v} is not within {lo}-{hi}"),
                ))
            }
        };
        within("raw_mean", self.raw_mean.get(), 1.0, 5.0)?;
        within("prior_mean", self.prior_mean.get(), 1.0, 5.0)?;
        within("shrunk", self.shrunk.get(), 1.0, 5.0)?;
        within("satisfied_share", self.satisfied_share.get(), 0.0, 1.0)?;
        within(
            "satisfied_interval[0]",
            self.satisfied_interval[0].get(),
            0.0,
            1.0,
        )?;
        within(
            "satisfied_interval[1]",
            self.satisfied_interval[1].get(),
            0.0,
            1.0,
        )?;
        let n = n as f64;
        let level_sum: f64 = self
            .counts
            .iter()
            .zip(1u32..)
            .map(|(&c, level)| f64::from(c) * f64::from(level))
            .sum();
        let agrees = |field: &str, got: f64, want: f64| {
            if (got - want).abs() <= RATING_TOLERANCE * want.abs().max(1.0) {
                Ok(())
            } else {
                Err(InvalidField::new(
                    field,
                    format!("is {got}, but the counts give {want}"),
                ))
            }
        };
        agrees("raw_mean", self.raw_mean.get(), level_sum / n)?;
        let satisfied = f64::from(self.counts[3]) + f64::from(self.counts[4]);
        agrees("satisfied_share", self.satisfied_share.get(), satisfied / n)?;
        let prior = self.prior_mean.get();
        agrees(
            "shrunk",
            self.shrunk.get(),
            (prior_weight * prior + level_sum) / (prior_weight + n),
        )?;
        let [lo, hi] = self.satisfied_interval.map(Value::get);
        let share = self.satisfied_share.get();
        if !(lo <= share + RATING_TOLERANCE && share <= hi + RATING_TOLERANCE) {
            return Err(InvalidField::new(
                "satisfied_interval",
                format!("[{lo}, {hi}] is not an ordered interval holding the share {share}"),
            ));
        }
        Ok(())
    }
}

impl Payload for PublicRatingSummary {
    const KIND: DocKind = DocKind::PublicRating;
    fn validate(&self) -> Result<(), InvalidField> {
        if self.k == 0 {
            return Err(InvalidField::new("k", "must be at least 1"));
        }
        let c = self.prior_weight.get();
        if !(0.0..=1e6).contains(&c) {
            return Err(InvalidField::new(
                "prior_weight",
                format!("{c} is not within 0-1000000"),
            ));
        }
        if self.categories.is_empty() {
            return Err(InvalidField::new(
                "categories",
                "must not be empty: a document is published only when a category reaches k",
            ));
        }
        if self.categories.len() > RATING_CATEGORIES_MAX {
            return Err(InvalidField::new(
                "categories",
                format!("has more than {RATING_CATEGORIES_MAX} entries"),
            ));
        }
        let mut seen = BTreeSet::new();
        each("categories", &self.categories, |r| {
            if !seen.insert(&r.category) {
                return Err(InvalidField::new(
                    "category",
                    format!("{} is listed twice", r.category),
                ));
            }
            r.validate(self.k, c)
        })
    }
}

// -------------------------------------------------------------------- forecast

/// The most indicators one forecast document carries.
pub const FORECAST_INDICATORS_MAX: usize = 1000;

/// One indicator's year-end forecast at the jurisdiction level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IndicatorForecast {
    /// The indicator's code in the framework.
    pub indicator: IndicatorCode,
    /// The forecast of the jurisdiction-level value, by the indicator's
    /// aggregation rule: what the year's summary will give as `value`.
    pub forecast: Value,
    /// The interval's lower end, at most `forecast`.
    pub lower: Value,
    /// The interval's upper end, at least `forecast`.
    pub upper: Value,
    /// How many units' forecasts were aggregated.
    pub units: u32,
    /// How the forecast was made, in words (at most 200 characters).
    pub method: String,
}

/// A jurisdiction's forecasts of a framework's indicators for the end of a
/// year, made from the months observed up to `as_of` (kind `forecast`).
/// Signed on the issuer's chain before the year's summary, it commits the
/// office to the numbers: the summary later in the same chain scores them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ForecastCommitment {
    /// The framework forecast.
    pub framework: FrameworkId,
    /// Its version.
    #[schema(value_type = crate::schema::SemVer)]
    pub version: semver::Version,
    /// The year forecast.
    pub period: Period,
    /// The last month of that year observed when forecasting.
    pub as_of: Period,
    /// The intervals' nominal level, strictly between 0 and 1 (0.8 for 80%).
    pub level: Value,
    /// One entry per indicator, indicators unique.
    pub indicators: Vec<IndicatorForecast>,
}

impl Payload for ForecastCommitment {
    const KIND: DocKind = DocKind::Forecast;
    fn validate(&self) -> Result<(), InvalidField> {
        let Period::Year(year) = self.period else {
            return Err(InvalidField::new(
                "period",
                format!(
                    "{} is not a year: forecasts are of a year's end",
                    self.period
                ),
            ));
        };
        match self.as_of {
            Period::Month(y, _) if y == year => {}
            other => {
                return Err(InvalidField::new(
                    "as_of",
                    format!("{other} is not a month of {year}"),
                ));
            }
        }
        let level = self.level.get();
        if !(level > 0.0 && level < 1.0) {
            return Err(InvalidField::new(
                "level",
                format!("{level} is not strictly between 0 and 1"),
            ));
        }
        if self.indicators.is_empty() {
            return Err(InvalidField::new("indicators", "must not be empty"));
        }
        if self.indicators.len() > FORECAST_INDICATORS_MAX {
            return Err(InvalidField::new(
                "indicators",
                format!("has more than {FORECAST_INDICATORS_MAX} entries"),
            ));
        }
        let mut seen = BTreeSet::new();
        each("indicators", &self.indicators, |f| {
            if !seen.insert(&f.indicator) {
                return Err(InvalidField::new(
                    "indicator",
                    format!("{} is listed twice", f.indicator),
                ));
            }
            let (lo, x, hi) = (f.lower.get(), f.forecast.get(), f.upper.get());
            if !(lo <= x && x <= hi) {
                return Err(InvalidField::new(
                    "forecast",
                    format!("{x} is not within its interval [{lo}, {hi}]"),
                ));
            }
            if f.units == 0 {
                return Err(InvalidField::new("units", "must be at least 1"));
            }
            text("method", &f.method, 200)
        })
    }
}

// --------------------------------------------------------------------- hotline

/// The most categories or cells one hotline document carries.
pub const HOTLINE_ENTRIES_MAX: usize = 100_000;

/// The requests of one harmonised category in a period, as counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HotlineCategory {
    /// The harmonised category, e.g. `housing`.
    pub category: CategoryId,
    /// The requests accepted in the period.
    pub requests: u32,
    /// Of them, those closed (办结), at most `requests`.
    pub closed: u32,
    /// Of the closed, those whose result is resolved (解决), at most `closed`.
    pub resolved: u32,
    /// The requests with an SLA due time, at most `requests`.
    pub with_sla: u32,
    /// Of those, the ones closed by it, at most `with_sla`.
    pub within_sla: u32,
    /// The requests whose resident gave a follow-up satisfaction (1 to 5).
    pub rated: u32,
    /// The mean satisfaction given: present exactly when `rated` is at
    /// least the document's `k`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<Value>,
    /// The requests with at least one data-quality flag, at most `requests`:
    /// counted in every figure, never dropped.
    pub flagged: u32,
}

/// The requests of one H3 cell in a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HotlineCell {
    /// The H3 cell, 15 lower-case hexadecimal digits, at the document's
    /// resolution.
    #[schema(pattern = r"^[0-9a-f]{15}$")]
    pub cell: String,
    /// Its requests, at least the document's `k`.
    pub count: u32,
}

/// A jurisdiction's 12345 hotline requests of one period (kind
/// `hotline`): counts per harmonised category and per H3 cell, cells with
/// fewer than `k` requests withheld and only counted. No request-level
/// data: no ids, times, texts or points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HotlineSummary {
    /// The period of acceptance (China Standard Time).
    pub period: Period,
    /// The disclosure threshold: a cell is published from k requests.
    pub k: u32,
    /// The H3 resolution of the cells, 0 to 15.
    pub resolution: u8,
    /// Every request accepted in the period: the sum of the categories'
    /// requests, and of the cells' counts, `withheld_requests` and
    /// `without_coordinates`.
    pub requests: u32,
    /// One entry per harmonised category, categories unique.
    pub categories: Vec<HotlineCategory>,
    /// One entry per cell with at least `k` requests, cells unique.
    pub cells: Vec<HotlineCell>,
    /// How many cells had from 1 to k - 1 requests and were left out.
    pub withheld_cells: u32,
    /// The requests in those cells: from `withheld_cells` to
    /// `withheld_cells` × (k - 1).
    pub withheld_requests: u32,
    /// The requests without coordinates.
    pub without_coordinates: u32,
}

impl HotlineCategory {
    fn validate(&self, k: u32) -> Result<(), InvalidField> {
        let at_most = |field: &str, v: u32, of: &str, max: u32| {
            if v <= max {
                Ok(())
            } else {
                Err(InvalidField::new(
                    field,
                    format!("is {v}, more than {of} ({max})"),
                ))
            }
        };
        at_most("closed", self.closed, "requests", self.requests)?;
        at_most("resolved", self.resolved, "closed", self.closed)?;
        at_most("with_sla", self.with_sla, "requests", self.requests)?;
        at_most("within_sla", self.within_sla, "with_sla", self.with_sla)?;
        at_most("rated", self.rated, "requests", self.requests)?;
        at_most("flagged", self.flagged, "requests", self.requests)?;
        match (&self.satisfaction, self.rated >= k) {
            (Some(s), true) if (1.0..=5.0).contains(&s.get()) => Ok(()),
            (Some(s), true) => Err(InvalidField::new(
                "satisfaction",
                format!("{} is not within 1-5", s.get()),
            )),
            (None, false) => Ok(()),
            (Some(_), false) => Err(InvalidField::new(
                "satisfaction",
                format!("is given for {} ratings, fewer than k = {k}", self.rated),
            )),
            (None, true) => Err(InvalidField::new(
                "satisfaction",
                format!("is missing, though {} ratings reach k = {k}", self.rated),
            )),
        }
    }
}

/// The resolution of an H3 cell index, or why it is not one.
fn h3_resolution(cell: &str) -> Result<u8, String> {
    if cell.len() != 15 || !cell.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(format!("{cell:?} is not 15 lower-case hexadecimal digits"));
    }
    cell.parse::<h3o::CellIndex>()
        .map(|c| u8::from(c.resolution()))
        .map_err(|e| format!("{cell:?} is not an H3 cell: {e}"))
}

impl Payload for HotlineSummary {
    const KIND: DocKind = DocKind::Hotline;
    fn validate(&self) -> Result<(), InvalidField> {
        if self.k == 0 {
            return Err(InvalidField::new("k", "must be at least 1"));
        }
        if self.resolution > 15 {
            return Err(InvalidField::new(
                "resolution",
                format!("{} is not an H3 resolution (0 to 15)", self.resolution),
            ));
        }
        for (field, n) in [
            ("categories", self.categories.len()),
            ("cells", self.cells.len()),
        ] {
            if n > HOTLINE_ENTRIES_MAX {
                return Err(InvalidField::new(
                    field,
                    format!("has more than {HOTLINE_ENTRIES_MAX} entries"),
                ));
            }
        }
        if self.categories.is_empty() {
            return Err(InvalidField::new(
                "categories",
                "must not be empty: a document is published only for a period with requests",
            ));
        }
        let mut seen = BTreeSet::new();
        each("categories", &self.categories, |c| {
            if !seen.insert(&c.category) {
                return Err(InvalidField::new(
                    "category",
                    format!("{} is listed twice", c.category),
                ));
            }
            c.validate(self.k)
        })?;
        let mut cells = BTreeSet::new();
        each("cells", &self.cells, |c| {
            let res = h3_resolution(&c.cell).map_err(|e| InvalidField::new("cell", e))?;
            if res != self.resolution {
                return Err(InvalidField::new(
                    "cell",
                    format!(
                        "{} is at resolution {res}, not the document's {}",
                        c.cell, self.resolution
                    ),
                ));
            }
            if !cells.insert(&c.cell) {
                return Err(InvalidField::new(
                    "cell",
                    format!("{} is listed twice", c.cell),
                ));
            }
            if c.count < self.k {
                return Err(InvalidField::new(
                    "count",
                    format!(
                        "is {}, fewer than k = {}: the cell must be withheld",
                        c.count, self.k
                    ),
                ));
            }
            Ok(())
        })?;
        let (lo, hi) = (
            u64::from(self.withheld_cells),
            u64::from(self.withheld_cells) * u64::from(self.k - 1),
        );
        let withheld = u64::from(self.withheld_requests);
        if !(lo..=hi).contains(&withheld) {
            return Err(InvalidField::new(
                "withheld_requests",
                format!(
                    "is {withheld}, but {} withheld cells of 1 to k - 1 = {} requests hold {lo} to {hi}",
                    self.withheld_cells,
                    self.k - 1
                ),
            ));
        }
        let by_category: u64 = self.categories.iter().map(|c| u64::from(c.requests)).sum();
        if by_category != u64::from(self.requests) {
            return Err(InvalidField::new(
                "requests",
                format!(
                    "is {}, but the categories hold {by_category}",
                    self.requests
                ),
            ));
        }
        let by_place: u64 = self.cells.iter().map(|c| u64::from(c.count)).sum::<u64>()
            + withheld
            + u64::from(self.without_coordinates);
        if by_place != u64::from(self.requests) {
            return Err(InvalidField::new(
                "requests",
                format!(
                    "is {}, but the cells, withheld_requests and without_coordinates hold {by_place}",
                    self.requests
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

/// A signed document as it travels and is stored: the envelope around a
/// payload of one kind. The signed bytes are the RFC 8785 canonical form of
/// the envelope without `signature` (docs/SIGNING.md); the complete JSON
/// Schema is schemas/envelope.v1.schema.json. The fields are declared in
/// canonical (sorted) order.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// When the issuer says it signed.
    pub issued_at: crate::Timestamp,
    /// The issuing jurisdiction.
    pub issuer: crate::JurisdictionCode,
    /// The key that signed.
    pub issuer_key: crate::KeyHex,
    /// The document kind, which names the payload's schema.
    pub kind: DocKind,
    /// The kind's payload (schemas/KIND.v1.schema.json).
    #[schema(value_type = Object)]
    pub payload: Box<serde_json::value::RawValue>,
    /// The hash of the issuer's document at `seq - 1`; null at seq 1.
    pub prev: Option<crate::DocHash>,
    /// The payload's schema version, MAJOR.MINOR.
    #[schema(pattern = r"^[0-9]{1,6}\.[0-9]{1,6}$")]
    pub schema_version: String,
    /// The issuer's sequence number, from 1.
    #[schema(minimum = 1)]
    pub seq: u64,
    /// The issuer's ed25519 signature.
    pub signature: crate::SigHex,
}
