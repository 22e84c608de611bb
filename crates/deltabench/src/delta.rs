//! A generated, signed federation of Yangtze River Delta jurisdictions.
//!
//! [`generate`] builds, for every jurisdiction of a [`Spec`], its own chain of
//! signed documents, each chain under the jurisdiction's own ed25519 key
//! (derived from the seed, so the same seed gives the same keys and values):
//!
//! 1. its jurisdiction declaration;
//! 2. on the first member's chain only: the alliance roster of [`ALLIANCE`]
//!    (every jurisdiction a member, approved by the first `threshold` of them)
//!    and the alliance's reference framework [`REFERENCE_FRAMEWORK`];
//! 3. its own framework, measuring the reference indicators in its own units
//!    and scales (a ratio where the reference has %, minutes or days where it
//!    has hours, a 1–5 survey where it has 0–100, ...);
//! 4. a summary for every period;
//! 5. for every indicator, a crosswalk onto the reference indicator with the
//!    transform that converts, each followed by its owner's acceptance;
//! 6. the acceptances of the previous member's crosswalks, so that every
//!    crosswalk has two acceptances and the roster's recognition quorum of 2
//!    recognises it.
//!
//! The documents are signed directly (not through a node), on all cores; the
//! result is a bundle that a node configured with the roster as its anchor
//! imports with exactly the checks any other bundle gets. Issue times end at
//! [`Spec::issued_at`] (default: now) and go back one second per document of
//! the longest chain, so nothing lies in the future of the importing node.
//!
//! Values are plausible and varied: each jurisdiction has an overall level, a
//! level per indicator and a trend of its own, and every value carries noise,
//! so that ranks, z-scores and composite rank intervals mean something.
//!
//! [`DELTA41`] lists the 41 prefecture-level cities of the Delta with their
//! GB/T 2260 codes; [`Cities::Synthetic`] makes any number of generated
//! jurisdictions for scale runs (codes 900001 onwards, a range GB/T 2260
//! does not allocate).

use deltabench_model::documents::{
    Aggregation, Crosswalk, CrosswalkSource, Decision, Direction, Distribution, DocKind,
    Endorsement, Framework, Indicator, IndicatorSummary, JurisdictionDecl, Member, Owner, Range,
    Relation, Roster, Summary, TransformStep,
};
use deltabench_model::{
    AllianceId, CrosswalkId, DocHash, FrameworkId, IndicatorCode, IndicatorRef, InvalidField,
    JurisdictionCode, Period, Timestamp, Value,
};
use deltabench_trust::roster::{RosterDoc, sign_roster};
use deltabench_trust::{Document, Header, Limits, NodeKey, SignError};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The alliance every generated jurisdiction belongs to.
pub const ALLIANCE: &str = "yrd.delta";
/// The alliance's reference framework, owned by the alliance.
pub const REFERENCE_FRAMEWORK: &str = "yrd.delta";
/// How many members must accept a crosswalk onto the reference framework.
pub const RECOGNITION_QUORUM: u32 = 2;
/// The most indicators a framework may have here: a framework or summary of
/// more would approach the 256 KiB document limit.
pub const INDICATORS_MAX: usize = 400;
/// The most synthetic jurisdictions: the roster names every member and must
/// stay within the document limit.
pub const SYNTHETIC_MAX: usize = 600;
/// The most periods (years) a federation covers.
pub const PERIODS_MAX: usize = 20;
/// The first code of synthetic jurisdictions.
const SYNTHETIC_CODE_BASE: u32 = 900_000;
/// What the roster's key derivation and value streams are separated by, so
/// that no other use of the same seed yields the same keys.
const DOMAIN: &[u8] = b"deltabench/delta-federation/v1\0";

/// A province-level division of the Delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Province {
    /// 上海市 (code prefix 31).
    Shanghai,
    /// 江苏省 (32).
    Jiangsu,
    /// 浙江省 (33).
    Zhejiang,
    /// 安徽省 (34).
    Anhui,
}

impl Province {
    /// The first two digits of its GB/T 2260 codes.
    pub fn prefix(self) -> &'static str {
        match self {
            Province::Shanghai => "31",
            Province::Jiangsu => "32",
            Province::Zhejiang => "33",
            Province::Anhui => "34",
        }
    }
}

/// A prefecture-level city of the Delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct City {
    /// The six-digit GB/T 2260 code.
    pub code: &'static str,
    /// The name in Chinese.
    pub name_zh: &'static str,
    /// The name in English (pinyin, as the city writes it).
    pub name_en: &'static str,
    /// Its province (Shanghai is a municipality and counts as one city).
    pub province: Province,
}

const fn city(code: &'static str, zh: &'static str, en: &'static str, p: Province) -> City {
    City {
        code,
        name_zh: zh,
        name_en: en,
        province: p,
    }
}

/// The 41 prefecture-level cities of the Yangtze River Delta: Shanghai (one
/// municipality, 310000), Jiangsu's 13, Zhejiang's 11 and Anhui's 16
/// prefecture-level cities, with their administrative division codes of
/// GB/T 2260 (Codes for the administrative divisions of the People's Republic
/// of China). The two Suzhous (苏州 320500, 宿州 341300) and two Taizhous (泰州
/// 321200, 台州 331000) share a romanised name, so their English names carry
/// the province, as in "Suzhou (Jiangsu)".
pub const DELTA41: [City; 41] = {
    use Province::*;
    [
        city("310000", "上海市", "Shanghai", Shanghai),
        city("320100", "南京市", "Nanjing", Jiangsu),
        city("320200", "无锡市", "Wuxi", Jiangsu),
        city("320300", "徐州市", "Xuzhou", Jiangsu),
        city("320400", "常州市", "Changzhou", Jiangsu),
        city("320500", "苏州市", "Suzhou (Jiangsu)", Jiangsu),
        city("320600", "南通市", "Nantong", Jiangsu),
        city("320700", "连云港市", "Lianyungang", Jiangsu),
        city("320800", "淮安市", "Huai'an", Jiangsu),
        city("320900", "盐城市", "Yancheng", Jiangsu),
        city("321000", "扬州市", "Yangzhou", Jiangsu),
        city("321100", "镇江市", "Zhenjiang", Jiangsu),
        city("321200", "泰州市", "Taizhou (Jiangsu)", Jiangsu),
        city("321300", "宿迁市", "Suqian", Jiangsu),
        city("330100", "杭州市", "Hangzhou", Zhejiang),
        city("330200", "宁波市", "Ningbo", Zhejiang),
        city("330300", "温州市", "Wenzhou", Zhejiang),
        city("330400", "嘉兴市", "Jiaxing", Zhejiang),
        city("330500", "湖州市", "Huzhou", Zhejiang),
        city("330600", "绍兴市", "Shaoxing", Zhejiang),
        city("330700", "金华市", "Jinhua", Zhejiang),
        city("330800", "衢州市", "Quzhou", Zhejiang),
        city("330900", "舟山市", "Zhoushan", Zhejiang),
        city("331000", "台州市", "Taizhou (Zhejiang)", Zhejiang),
        city("331100", "丽水市", "Lishui", Zhejiang),
        city("340100", "合肥市", "Hefei", Anhui),
        city("340200", "芜湖市", "Wuhu", Anhui),
        city("340300", "蚌埠市", "Bengbu", Anhui),
        city("340400", "淮南市", "Huainan", Anhui),
        city("340500", "马鞍山市", "Ma'anshan", Anhui),
        city("340600", "淮北市", "Huaibei", Anhui),
        city("340700", "铜陵市", "Tongling", Anhui),
        city("340800", "安庆市", "Anqing", Anhui),
        city("341000", "黄山市", "Huangshan", Anhui),
        city("341100", "滁州市", "Chuzhou", Anhui),
        city("341200", "阜阳市", "Fuyang", Anhui),
        city("341300", "宿州市", "Suzhou (Anhui)", Anhui),
        city("341500", "六安市", "Lu'an", Anhui),
        city("341600", "亳州市", "Bozhou", Anhui),
        city("341700", "池州市", "Chizhou", Anhui),
        city("341800", "宣城市", "Xuancheng", Anhui),
    ]
};

/// Which jurisdictions a federation has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cities {
    /// The 41 cities of [`DELTA41`].
    Delta41,
    /// This many generated jurisdictions, codes 900001 onwards.
    Synthetic(usize),
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The jurisdictions.
    pub cities: Cities,
    /// Indicators of the reference framework and of every member's framework.
    pub indicators: usize,
    /// The first and last year with a summary.
    pub periods: (u16, u16),
    /// Seeds the keys and the values.
    pub seed: u64,
    /// The issue time of the newest document; earlier documents are issued
    /// one second apart before it. `None`: now.
    pub issued_at: Option<Timestamp>,
    /// How many days the roster stays in force.
    pub roster_days: u32,
    /// Further documents continuing the members' chains after the
    /// federation (`stream.json`), for feeding a node that already holds it:
    /// each member in turn accepts again one of the previous member's
    /// crosswalks (spread over the indicators), with a review note.
    pub stream: usize,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            cities: Cities::Delta41,
            indicators: 12,
            periods: (2021, 2025),
            seed: 1,
            issued_at: None,
            roster_days: 365,
            stream: 0,
        }
    }
}

/// Why a federation could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The request itself is out of bounds.
    #[error("{0}")]
    Spec(String),
    /// A generated payload failed its own checks (a defect of the generator).
    #[error("signing a generated document: {0}")]
    Sign(#[from] SignError),
    /// A generated value or identifier is invalid (a defect of the generator).
    #[error("a generated field is invalid: {0}")]
    Field(#[from] InvalidField),
    /// The roster could not be approved.
    #[error("the roster: {0}")]
    Roster(String),
    /// A document is larger than a node accepts.
    #[error("{0}")]
    TooLarge(String),
}

/// Parses `--periods`: one year (`2025`) or a range of years (`2021-2025`).
pub fn parse_periods(s: &str) -> Result<(u16, u16), String> {
    let year = |t: &str| -> Result<u16, String> {
        let t = t.trim();
        match t.parse::<u16>() {
            Ok(y) if t.len() == 4 && (1900..=2999).contains(&y) => Ok(y),
            _ => Err(format!(
                "{t:?} is not a year from 1900 to 2999 (give e.g. 2021-2025 or 2025)"
            )),
        }
    };
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (year(a)?, year(b)?),
        None => {
            let y = year(s)?;
            (y, y)
        }
    };
    if a > b {
        return Err(format!("{s:?}: the first year is after the last"));
    }
    if usize::from(b - a) >= PERIODS_MAX {
        return Err(format!(
            "{s:?} spans {} years; at most {PERIODS_MAX}",
            b - a + 1
        ));
    }
    Ok((a, b))
}

impl Spec {
    /// Checks the bounds, naming the command-line flag at fault.
    pub fn check(&self) -> Result<(), GenerateError> {
        let bad = |s: String| Err(GenerateError::Spec(s));
        if self.indicators == 0 || self.indicators > INDICATORS_MAX {
            return bad(format!(
                "--indicators {} is outside 1-{INDICATORS_MAX}",
                self.indicators
            ));
        }
        if let Cities::Synthetic(n) = self.cities {
            if !(2..=SYNTHETIC_MAX).contains(&n) {
                return bad(format!(
                    "--synthetic {n} is outside 2-{SYNTHETIC_MAX} (every crosswalk is endorsed by a second member; the roster must fit in one document)"
                ));
            }
        }
        let (a, b) = self.periods;
        if a > b || usize::from(b - a) >= PERIODS_MAX || !(1900..=2999).contains(&a) {
            return bad(format!(
                "--periods {a}-{b} is not a range of 1-{PERIODS_MAX} years"
            ));
        }
        if self.roster_days == 0 {
            return bad("the roster must stay in force at least one day".into());
        }
        Ok(())
    }

    /// The number of documents the federation will have.
    pub fn document_count(&self) -> usize {
        let n = self.jurisdictions().len();
        let k = self.indicators;
        let p = self.years().len();
        // Declaration, framework, summaries, crosswalks and two acceptances
        // each; the roster and the reference framework once.
        n * (2 + p + 3 * k) + 2
    }

    fn years(&self) -> Vec<u16> {
        (self.periods.0..=self.periods.1).collect()
    }

    /// The jurisdictions as (code, name_zh, name_en).
    pub fn jurisdictions(&self) -> Vec<(String, String, String)> {
        match self.cities {
            Cities::Delta41 => DELTA41
                .iter()
                .map(|c| (c.code.into(), c.name_zh.into(), c.name_en.into()))
                .collect(),
            Cities::Synthetic(n) => (1..=n)
                .map(|i| {
                    (
                        format!("{}", SYNTHETIC_CODE_BASE + i as u32),
                        format!("合成辖区{i:04}"),
                        format!("Synthetic {i:04}"),
                    )
                })
                .collect(),
        }
    }
}

// ------------------------------------------------------------------ indicators

/// How a member reports a reference indicator: in the reference's own unit,
/// or in another unit or scale that its crosswalk converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Report {
    Same,
    /// A share as a ratio in [0, 1] where the reference has %.
    Ratio,
    /// A share in ‰ where the reference has %.
    Permille,
    /// Minutes where the reference has hours.
    Minutes,
    /// Days where the reference has hours.
    Days,
    /// Hours where the reference has days.
    Hours,
    /// A five-point survey where the reference has a 0–100 score.
    FivePoint,
    /// Million yuan where the reference has 10k yuan.
    MillionYuan,
}

impl Report {
    /// The member's unit, given the reference's.
    fn unit(self, reference: &'static str) -> &'static str {
        match self {
            Report::Same => reference,
            Report::Ratio => "ratio",
            Report::Permille => "permille",
            Report::Minutes => "minutes",
            Report::Days => "days",
            Report::Hours => "hours",
            Report::FivePoint => "score_1_5",
            Report::MillionYuan => "million_yuan",
        }
    }

    /// The suffix of the member's indicator code.
    fn suffix(self) -> &'static str {
        match self {
            Report::Same => "",
            Report::Ratio => "_ratio",
            Report::Permille => "_permille",
            Report::Minutes => "_min",
            Report::Days => "_days",
            Report::Hours => "_hours",
            Report::FivePoint => "_5pt",
            Report::MillionYuan => "_myuan",
        }
    }

    /// A reference-unit value in the member's unit (increasing in `v`).
    fn to_member(self, v: f64) -> f64 {
        match self {
            Report::Same => v,
            Report::Ratio => v / 100.0,
            Report::Permille => v * 10.0,
            Report::Minutes => v * 60.0,
            Report::Days => v / 24.0,
            Report::Hours => v * 24.0,
            Report::FivePoint => 1.0 + v / 25.0,
            Report::MillionYuan => v / 100.0,
        }
    }

    /// Decimal places of the member's values, given the reference's.
    fn decimals(self, reference: u32) -> u32 {
        match self {
            Report::Same => reference,
            Report::Ratio => reference + 2,
            Report::Permille => reference.saturating_sub(1),
            Report::Minutes => reference.saturating_sub(1),
            Report::Days | Report::FivePoint | Report::MillionYuan => reference + 2,
            Report::Hours => reference.saturating_sub(1),
        }
    }

    /// The crosswalk's transform from the member's unit to the reference's.
    fn transform(self, reference: &'static str) -> Result<Vec<TransformStep>, InvalidField> {
        Ok(match self {
            Report::Same => vec![],
            Report::FivePoint => vec![TransformStep::Rescale {
                from: [Value::new(1.0)?, Value::new(5.0)?],
                to: [Value::new(0.0)?, Value::new(100.0)?],
            }],
            other => vec![TransformStep::Unit {
                from: other.unit(reference).into(),
                to: reference.into(),
            }],
        })
    }

    fn justification(self, reference: &'static str) -> String {
        match self {
            Report::Same => format!("The same definition, reported in {reference}."),
            Report::FivePoint => "The same survey question answered on a five-point scale; its mean maps linearly onto 0-100 ((x - 1) x 25).".into(),
            other => format!(
                "The same definition, reported in {} and converted to {reference}.",
                other.unit(reference)
            ),
        }
    }
}

/// One indicator of the reference framework, with how its values are made.
#[derive(Debug, Clone)]
struct RefIndicator {
    code: String,
    name_zh: String,
    name_en: String,
    dimension: &'static str,
    unit: &'static str,
    direction: Direction,
    range: (f64, f64),
    /// Typical level.
    base: f64,
    /// How far members spread around it (about one standard deviation).
    spread: f64,
    /// Typical change per year in the good direction.
    trend: f64,
    decimals: u32,
    reports: &'static [Report],
}

/// A named reference indicator: code, names (zh, en), dimension, unit,
/// higher is better, valid range, typical level, spread, yearly trend in the
/// good direction, decimals, and the ways members report it (the first is
/// always the reference's own unit).
type Named = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    (f64, f64),
    f64,
    f64,
    f64,
    u32,
    &'static [Report],
);

/// The indicators of the appraisal practice that the reference framework
/// starts with, in this order.
#[rustfmt::skip]
const NAMED: [Named; 14] = {
    use Report::*;
    [
        ("service_satisfaction", "政务服务满意度", "Government service satisfaction",
            "livelihood", "score_0_100", true, (0.0, 100.0), 88.0, 3.5, 0.6, 1, &[Same, FivePoint]),
        ("hotline_response_hours", "12345热线平均响应时长", "12345 hotline average response time",
            "governance", "hours", false, (0.0, 240.0), 6.0, 1.8, 0.35, 2, &[Same, Minutes, Days]),
        ("hotline_resolution_rate", "12345热线办结率", "12345 hotline resolution rate",
            "governance", "%", true, (0.0, 100.0), 93.0, 2.5, 0.5, 2, &[Same, Ratio]),
        ("ontime_filing_rate", "企业所得税按期申报率", "On-time corporate income tax filing rate",
            "tax", "%", true, (0.0, 100.0), 97.6, 0.9, 0.15, 2, &[Same, Ratio, Permille]),
        ("gpb_revenue_growth", "一般公共预算收入增长率", "General public budget revenue growth",
            "economic", "%", true, (-30.0, 50.0), 5.0, 3.0, -0.3, 2, &[Same, Ratio]),
        ("debt_ratio", "政府债务率", "Government debt ratio",
            "fiscal", "%", false, (0.0, 400.0), 95.0, 22.0, 2.0, 1, &[Same, Ratio]),
        ("debt_service_ratio", "政府偿债率", "Government debt-service ratio",
            "fiscal", "%", false, (0.0, 100.0), 12.0, 3.5, 0.4, 2, &[Same, Ratio]),
        ("avg_processing_days", "涉税事项平均办理天数", "Average processing time of tax matters",
            "tax", "days", false, (0.0, 60.0), 3.5, 0.9, 0.2, 2, &[Same, Hours]),
        ("key_enterprises_served", "服务重点企业数", "Key enterprises served",
            "economic", "count", true, (0.0, 10000.0), 110.0, 35.0, 6.0, 0, &[Same]),
        ("audit_rectifications", "审计发现内控问题整改数", "Internal-control issues rectified after audit",
            "governance", "count", true, (0.0, 1000.0), 16.0, 5.0, 1.0, 0, &[Same]),
        ("recovered_state_assets", "追回国有资产金额", "Recovered state assets",
            "fiscal", "10k_yuan", true, (0.0, 1.0e6), 1200.0, 450.0, 60.0, 1, &[Same, MillionYuan]),
        ("good_air_days_rate", "空气质量优良天数比率", "Share of days with good air quality",
            "ecology", "%", true, (0.0, 100.0), 83.0, 4.5, 0.8, 1, &[Same, Ratio]),
        ("surface_water_good_rate", "地表水国控断面水质优良比例", "Share of surface-water sections of good quality",
            "ecology", "%", true, (0.0, 100.0), 88.0, 6.0, 1.0, 1, &[Same, Ratio]),
        ("business_registration_days", "企业开办平均时间", "Average time to register a business",
            "economic", "days", false, (0.0, 30.0), 1.6, 0.45, 0.1, 2, &[Same, Hours]),
    ]
};

fn named(n: &Named) -> RefIndicator {
    let (code, zh, en, dimension, unit, higher, range, base, spread, trend, decimals, reports) = *n;
    RefIndicator {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        dimension,
        unit,
        direction: if higher {
            Direction::HigherIsBetter
        } else {
            Direction::LowerIsBetter
        },
        range,
        base,
        spread,
        trend,
        decimals,
        reports,
    }
}

/// The reference indicators: the named ones of the appraisal practice first,
/// then numbered ones up to `k`.
fn reference_indicators(k: usize) -> Vec<RefIndicator> {
    let mut out: Vec<RefIndicator> = NAMED.iter().take(k).map(named).collect();
    const DIMENSIONS: [&str; 5] = ["economic", "livelihood", "ecology", "governance", "fiscal"];
    for i in out.len()..k {
        let n = i + 1;
        out.push(RefIndicator {
            code: format!("indicator_{n:03}"),
            name_zh: format!("绩效指标{n:03}"),
            name_en: format!("Performance indicator {n:03}"),
            dimension: DIMENSIONS[i % DIMENSIONS.len()],
            unit: "%",
            direction: if i % 3 == 0 {
                Direction::LowerIsBetter
            } else {
                Direction::HigherIsBetter
            },
            range: (0.0, 100.0),
            base: 60.0 + (i % 7) as f64 * 4.0,
            spread: 8.0,
            trend: 0.6,
            decimals: 2,
            reports: &[Report::Same, Report::Ratio],
        });
    }
    out
}

// ------------------------------------------------------------------- randomness

/// SplitMix64: a small, well-mixed deterministic stream.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    /// A stream for `parts` under `seed`, independent of every other.
    fn new(seed: u64, parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(b"values\0");
        h.update(seed.to_be_bytes());
        for p in parts {
            h.update((p.len() as u64).to_be_bytes());
            h.update(p);
        }
        let d = h.finalize();
        let mut b = [0u8; 8];
        b.copy_from_slice(&d[..8]);
        Self(u64::from_be_bytes(b))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// The key of a jurisdiction: from the seed and its code.
pub fn key_for(seed: u64, code: &str) -> NodeKey {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(b"key\0");
    h.update(seed.to_be_bytes());
    h.update(code.as_bytes());
    NodeKey::from_seed(h.finalize().into())
}

fn round(v: f64, decimals: u32) -> f64 {
    let f = 10f64.powi(decimals as i32);
    (v * f).round() / f
}

// ------------------------------------------------------------------ the result

/// A generated federation: the bundle's documents in chain order, and what a
/// node needs to accept them.
pub struct Federation {
    /// The signed documents as their canonical bytes, each chain in order.
    pub documents: Vec<Vec<u8>>,
    /// Further documents continuing the chains (`Spec::stream`), in the
    /// order to send them.
    pub stream: Vec<Vec<u8>>,
    /// The alliance roster as published, approved by a threshold of members:
    /// the anchor a coordinator's configuration names.
    pub roster: RosterDoc,
    /// What was generated, for people and programs.
    pub manifest: Manifest,
}

/// A description of a generated federation (`federation.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// The alliance every member belongs to.
    pub alliance: String,
    /// Its reference framework.
    pub reference_framework: String,
    /// The reference indicators, as `FRAMEWORK/CODE`.
    pub indicators: Vec<String>,
    /// The periods with summaries.
    pub periods: Vec<String>,
    /// The seed of keys and values.
    pub seed: u64,
    /// The members, in roster order.
    pub members: Vec<ManifestMember>,
    /// How many members approved the roster (its threshold).
    pub threshold: u32,
    /// How many members must accept a crosswalk onto the reference.
    pub recognition_quorum: u32,
    /// When the roster stops being in force.
    pub roster_expires_at: Timestamp,
    /// The documents, by kind and in total.
    pub documents: DocumentCounts,
    /// The issue time of the newest document.
    pub issued_at: Timestamp,
}

/// A member of a generated federation.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestMember {
    /// Its code.
    pub code: String,
    /// Its name in Chinese.
    pub name_zh: String,
    /// Its name in English.
    pub name_en: String,
    /// Its public key (the private key follows from the seed).
    pub public_key: String,
    /// Its own framework.
    pub framework: String,
}

/// Documents by kind.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct DocumentCounts {
    /// Every document.
    pub total: usize,
    /// Jurisdiction declarations.
    pub jurisdiction: usize,
    /// Rosters.
    pub roster: usize,
    /// Frameworks, the reference included.
    pub framework: usize,
    /// Summaries.
    pub summary: usize,
    /// Crosswalks.
    pub crosswalk: usize,
    /// Endorsements.
    pub endorsement: usize,
}

impl DocumentCounts {
    fn add(&mut self, kind: DocKind) {
        self.total += 1;
        match kind {
            DocKind::Jurisdiction => self.jurisdiction += 1,
            DocKind::Roster => self.roster += 1,
            DocKind::Framework => self.framework += 1,
            DocKind::Summary => self.summary += 1,
            DocKind::Crosswalk => self.crosswalk += 1,
            DocKind::Endorsement => self.endorsement += 1,
            DocKind::PublicRating | DocKind::Forecast | DocKind::Hotline => {}
        }
    }
}

// ------------------------------------------------------------------- building

/// One member's chain as it is being signed.
struct Chain {
    code: JurisdictionCode,
    key: NodeKey,
    seq: u64,
    prev: Option<DocHash>,
    /// The issue time of seq 0 (the first document is one second later).
    time_base: i64,
    documents: Vec<Vec<u8>>,
    counts: DocumentCounts,
}

impl Chain {
    fn header(&mut self) -> Result<Header, InvalidField> {
        self.seq += 1;
        Ok(Header {
            issuer: self.code.clone(),
            seq: self.seq,
            prev: self.prev.clone(),
            issued_at: Timestamp::from_unix(self.time_base + self.seq as i64)?,
        })
    }

    fn push(&mut self, doc: Document) -> Result<DocHash, GenerateError> {
        let limit = Limits::default().document_bytes_max;
        if doc.bytes().len() > limit {
            return Err(GenerateError::TooLarge(format!(
                "{} seq {} ({}) is {} bytes, over the {limit}-byte document limit; use fewer indicators or jurisdictions",
                self.code,
                doc.seq,
                doc.kind,
                doc.bytes().len()
            )));
        }
        let hash = doc.hash().clone();
        self.prev = Some(hash.clone());
        self.counts.add(doc.kind);
        self.documents.push(doc.bytes().to_vec());
        Ok(hash)
    }

    fn sign<P: deltabench_model::documents::Payload>(
        &mut self,
        payload: &P,
    ) -> Result<DocHash, GenerateError> {
        let header = self.header()?;
        let doc = Document::sign(&self.key, header, payload)?;
        self.push(doc)
    }
}

/// A member's part after the first pass: its chain so far and its crosswalks.
struct FirstPass {
    chain: Chain,
    crosswalks: Vec<(CrosswalkId, DocHash)>,
}

/// Everything that is the same for every member.
struct Common {
    spec: Spec,
    jurisdictions: Vec<(String, String, String)>,
    indicators: Vec<RefIndicator>,
    years: Vec<u16>,
    /// The issue time of seq 0 of every chain.
    time_base: i64,
    reference: Framework,
    roster: RosterDoc,
}

/// The value of `ind` for member `m` in `year`, in the reference's unit.
fn value(c: &Common, m: usize, k: usize, year: u16) -> f64 {
    let ind = &c.indicators[k];
    let code = c.jurisdictions[m].0.as_bytes();
    // Overall level and pace of the member (shared by its indicators), its
    // level and pace on this indicator, and this year's noise.
    let mut overall = Rng::new(c.spec.seed, &[code]);
    let level = overall.normal();
    let pace = overall.normal();
    let mut own = Rng::new(c.spec.seed, &[code, ind.code.as_bytes()]);
    let own_level = own.normal();
    let own_pace = own.normal();
    let mut noise = Rng::new(
        c.spec.seed,
        &[code, ind.code.as_bytes(), &year.to_be_bytes()],
    );
    let years = f64::from(year - c.years[0]);
    let good = 0.65 * level + 0.55 * own_level + 0.35 * noise.normal();
    let trend = ind.trend * years * (1.0 + 0.4 * pace + 0.3 * own_pace);
    let sign = match ind.direction {
        Direction::LowerIsBetter => -1.0,
        _ => 1.0,
    };
    let mut v = ind.base + sign * (ind.spread * good + trend);
    // Keep values off the range's ends, and positive where the reference
    // counts or times something.
    let (lo, hi) = ind.range;
    let floor = if lo >= 0.0 { ind.base * 0.05 } else { lo };
    let span = hi - lo;
    v = v.clamp(floor.max(lo), hi - span * 0.002);
    round(v, ind.decimals)
}

/// How member `m` reports indicator `k`: decided once per member and indicator.
fn report_of(c: &Common, m: usize, k: usize) -> Report {
    let ind = &c.indicators[k];
    let mut r = Rng::new(
        c.spec.seed,
        &[
            c.jurisdictions[m].0.as_bytes(),
            ind.code.as_bytes(),
            b"unit",
        ],
    );
    // Half report in the reference's unit, the rest in another.
    if ind.reports.len() == 1 || r.unit() < 0.5 {
        Report::Same
    } else {
        ind.reports[1 + r.below(ind.reports.len() - 1)]
    }
}

fn framework_id(code: &str) -> Result<FrameworkId, InvalidField> {
    FrameworkId::new(format!("j{code}.perf"))
}

fn member_framework(c: &Common, m: usize) -> Result<Framework, InvalidField> {
    let (code, zh, en) = &c.jurisdictions[m];
    let indicators = c
        .indicators
        .iter()
        .enumerate()
        .map(|(k, ind)| {
            let rep = report_of(c, m, k);
            let (lo, hi) = ind.range;
            Ok(Indicator {
                code: IndicatorCode::new(format!("{}{}", ind.code, rep.suffix()))?,
                name_zh: ind.name_zh.clone(),
                name_en: ind.name_en.clone(),
                dimension: ind.dimension.into(),
                unit: rep.unit(ind.unit).into(),
                direction: ind.direction,
                aggregation: if ind.unit == "count" || ind.unit == "10k_yuan" {
                    Aggregation::Sum
                } else {
                    Aggregation::Mean
                },
                range: Some(Range {
                    min: Value::new(rep.to_member(lo))?,
                    max: Value::new(rep.to_member(hi))?,
                }),
                target: None,
                scoring: None,
                source: None,
            })
        })
        .collect::<Result<Vec<_>, InvalidField>>()?;
    Ok(Framework {
        id: framework_id(code)?,
        version: semver::Version::new(1, 0, 0),
        owner: Owner::Jurisdiction(JurisdictionCode::new(code)?),
        name_zh: format!("{zh}高质量发展绩效考核指标体系"),
        name_en: format!("{en} high-quality development appraisal framework"),
        periods: c.years.iter().map(|y| Period::Year(*y)).collect(),
        indicators,
        categories: vec![],
        previous: None,
        changelog: vec![],
        grading: None,
    })
}

fn reference_framework(
    indicators: &[RefIndicator],
    years: &[u16],
) -> Result<Framework, InvalidField> {
    Ok(Framework {
        id: FrameworkId::new(REFERENCE_FRAMEWORK)?,
        version: semver::Version::new(1, 0, 0),
        owner: Owner::Alliance(AllianceId::new(ALLIANCE)?),
        name_zh: "长三角一体化绩效互认参照指标体系".into(),
        name_en: "Yangtze River Delta reference indicators for mutual recognition".into(),
        periods: years.iter().map(|y| Period::Year(*y)).collect(),
        indicators: indicators
            .iter()
            .map(|ind| {
                Ok(Indicator {
                    code: IndicatorCode::new(ind.code.clone())?,
                    name_zh: ind.name_zh.clone(),
                    name_en: ind.name_en.clone(),
                    dimension: ind.dimension.into(),
                    unit: ind.unit.into(),
                    direction: ind.direction,
                    aggregation: Aggregation::Mean,
                    range: Some(Range {
                        min: Value::new(ind.range.0)?,
                        max: Value::new(ind.range.1)?,
                    }),
                    target: None,
                    scoring: None,
                    source: None,
                })
            })
            .collect::<Result<Vec<_>, InvalidField>>()?,
        categories: vec![],
        previous: None,
        changelog: vec![],
        grading: None,
    })
}

fn summary(c: &Common, m: usize, year: u16) -> Result<Summary, InvalidField> {
    let code = c.jurisdictions[m].0.as_bytes();
    let detailed = matches!(c.spec.cities, Cities::Delta41);
    let indicators = c
        .indicators
        .iter()
        .enumerate()
        .map(|(k, ind)| {
            let rep = report_of(c, m, k);
            let d = rep.decimals(ind.decimals);
            let v = round(rep.to_member(value(c, m, k, year)), d);
            let mut r = Rng::new(
                c.spec.seed,
                &[code, ind.code.as_bytes(), &year.to_be_bytes(), b"units"],
            );
            let contributors = 8 + r.below(30) as u32;
            let (distribution, withheld) = if detailed {
                // The units' spread around the jurisdiction's value.
                let sd = (rep.to_member(ind.base + ind.spread) - rep.to_member(ind.base)).abs()
                    * (0.6 + 0.8 * r.unit());
                let (lo, hi) = (rep.to_member(ind.range.0), rep.to_member(ind.range.1));
                let at = |z: f64| Value::new(round((v + z * sd).clamp(lo, hi), d));
                (
                    Some(Distribution {
                        count: contributors,
                        min: at(-2.1)?,
                        q1: at(-0.67)?,
                        median: at(0.0)?,
                        q3: at(0.67)?,
                        max: at(2.1)?,
                        mean: Value::new(v)?,
                        sd: Value::new(round(sd, d + 1))?,
                    }),
                    None,
                )
            } else {
                (
                    None,
                    Some("generated federation: unit values not published".into()),
                )
            };
            Ok(IndicatorSummary {
                indicator: IndicatorCode::new(format!("{}{}", ind.code, rep.suffix()))?,
                value: Some(Value::new(v)?),
                contributors,
                distribution,
                withheld,
            })
        })
        .collect::<Result<Vec<_>, InvalidField>>()?;
    Ok(Summary {
        framework: framework_id(&c.jurisdictions[m].0)?,
        version: semver::Version::new(1, 0, 0),
        period: Period::Year(year),
        k: 3,
        indicators,
        grades: vec![],
        supersedes: None,
    })
}

fn crosswalk(c: &Common, m: usize, k: usize) -> Result<Crosswalk, InvalidField> {
    let ind = &c.indicators[k];
    let rep = report_of(c, m, k);
    let code = &c.jurisdictions[m].0;
    Ok(Crosswalk {
        id: CrosswalkId::new(format!("j{code}.{}", ind.code))?,
        version: 1,
        source: CrosswalkSource {
            framework: framework_id(code)?,
            versions: semver::VersionReq::parse("^1")
                .map_err(|e| InvalidField::new("versions", e.to_string()))?,
            indicator: IndicatorCode::new(format!("{}{}", ind.code, rep.suffix()))?,
        },
        target: IndicatorRef::parse(&format!("{REFERENCE_FRAMEWORK}/{}", ind.code))?,
        relation: Relation::Exact,
        transform: rep.transform(ind.unit)?,
        valid_from: None,
        valid_to: None,
        justification: rep.justification(ind.unit),
        confidence: Value::new(0.9)?,
    })
}

fn accept(id: &CrosswalkId, hash: &DocHash) -> Endorsement {
    Endorsement {
        crosswalk: id.clone(),
        crosswalk_hash: hash.clone(),
        decision: Decision::Accept,
        comment: None,
    }
}

/// Signs member `m`'s chain up to its own crosswalks and acceptances.
fn first_pass(
    c: &Common,
    m: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<FirstPass, GenerateError> {
    let (code, zh, en) = &c.jurisdictions[m];
    let mut chain = Chain {
        code: JurisdictionCode::new(code)?,
        key: key_for(c.spec.seed, code),
        seq: 0,
        prev: None,
        time_base: c.time_base,
        documents: Vec::new(),
        counts: DocumentCounts::default(),
    };
    let decl = JurisdictionDecl {
        code: chain.code.clone(),
        name_zh: zh.clone(),
        name_en: en.clone(),
        public_key: chain.key.public_hex(),
    };
    chain.sign(&decl)?;
    if m == 0 {
        // The founding roster, as approved, on the first member's chain: every
        // holder of the bundle can check the approvals; then the reference.
        let header = chain.header()?;
        let doc = Document::sign_value(
            &chain.key,
            header,
            DocKind::Roster,
            c.roster.payload().clone(),
        )?;
        chain.push(doc)?;
        chain.sign(&c.reference)?;
    }
    chain.sign(&member_framework(c, m)?)?;
    for &year in &c.years {
        chain.sign(&summary(c, m, year)?)?;
    }
    progress(chain.documents.len());
    let mut crosswalks = Vec::with_capacity(c.indicators.len());
    for k in 0..c.indicators.len() {
        let x = crosswalk(c, m, k)?;
        let hash = chain.sign(&x)?;
        chain.sign(&accept(&x.id, &hash))?;
        crosswalks.push((x.id, hash));
        progress(2);
    }
    Ok(FirstPass { chain, crosswalks })
}

/// Generates the federation of `spec`. `progress` is called (from several
/// threads) with the number of documents signed since its last call.
pub fn generate(
    spec: &Spec,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Federation, GenerateError> {
    spec.check()?;
    let jurisdictions = spec.jurisdictions();
    let years = spec.years();
    let indicators = reference_indicators(spec.indicators);
    let now = match spec.issued_at {
        Some(t) => t.unix(),
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    };
    // The longest chain is the first member's: two more documents, and its
    // share of the stream.
    let n_members = jurisdictions.len().max(1);
    let longest =
        (2 + years.len() + 3 * indicators.len() + 2 + spec.stream.div_ceil(n_members)) as i64;
    let time_base = now - longest;

    let keys: Vec<NodeKey> = jurisdictions
        .iter()
        .map(|(code, _, _)| key_for(spec.seed, code))
        .collect();
    let members = jurisdictions
        .iter()
        .zip(&keys)
        .map(|((code, zh, en), key)| {
            Ok(Member {
                code: JurisdictionCode::new(code)?,
                key: key.public_hex(),
                name_zh: zh.clone(),
                name_en: en.clone(),
            })
        })
        .collect::<Result<Vec<_>, InvalidField>>()?;
    let threshold = (members.len() / 2 + 1) as u32;
    let roster = Roster {
        alliance: AllianceId::new(ALLIANCE)?,
        version: 1,
        members,
        threshold,
        expires_at: Timestamp::from_unix(now + i64::from(spec.roster_days) * 86_400)?,
        reference_framework: Some(FrameworkId::new(REFERENCE_FRAMEWORK)?),
        recognition_quorum: Some(RECOGNITION_QUORUM),
        former: vec![],
        previous: None,
    };
    roster
        .validate()
        .map_err(|e| GenerateError::Roster(e.to_string()))?;
    let approvers: Vec<(&NodeKey, JurisdictionCode)> = keys
        .iter()
        .zip(&roster.members)
        .take(threshold as usize)
        .map(|(k, m)| (k, m.code.clone()))
        .collect();
    let roster_doc = sign_roster(&roster, &approvers)
        .map_err(|r| GenerateError::Roster(format!("{}: {}", r.reason, r.detail)))?;
    let common = Common {
        reference: reference_framework(&indicators, &years)?,
        spec: spec.clone(),
        jurisdictions,
        indicators,
        years,
        time_base,
        roster: roster_doc,
    };

    let n = common.jurisdictions.len();
    let mut parts = (0..n)
        .into_par_iter()
        .map(|m| first_pass(&common, m, progress))
        .collect::<Result<Vec<_>, GenerateError>>()?;
    // Second pass: each member accepts the previous member's crosswalks,
    // which gives every crosswalk the quorum of two.
    let theirs: Vec<Vec<(CrosswalkId, DocHash)>> =
        parts.iter().map(|p| p.crosswalks.clone()).collect();
    parts
        .par_iter_mut()
        .enumerate()
        .try_for_each(|(m, part)| -> Result<(), GenerateError> {
            let previous = &theirs[(m + n - 1) % n];
            for (id, hash) in previous {
                part.chain.sign(&accept(id, hash))?;
            }
            progress(previous.len());
            Ok(())
        })?;

    // The stream: each member in turn accepts again one of the previous
    // member's crosswalks.
    let mut stream = Vec::with_capacity(spec.stream);
    for j in 0..spec.stream {
        let m = j % n;
        let round = j / n;
        let previous = &theirs[(m + n - 1) % n];
        // Spread over the indicators, as reviews of many crosswalks would.
        let (id, hash) = &previous[(m + round * 37) % previous.len()];
        let chain = &mut parts[m].chain;
        let before = chain.documents.len();
        chain.sign(&Endorsement {
            comment: Some(format!("reviewed again, round {}", round + 1)),
            ..accept(id, hash)
        })?;
        stream.push(chain.documents.remove(before));
        chain.counts.total -= 1;
        chain.counts.endorsement -= 1;
    }

    let mut counts = DocumentCounts::default();
    let mut documents = Vec::with_capacity(spec.document_count());
    let mut manifest_members = Vec::with_capacity(n);
    for (m, part) in parts.into_iter().enumerate() {
        let c = &part.chain.counts;
        counts.total += c.total;
        counts.jurisdiction += c.jurisdiction;
        counts.roster += c.roster;
        counts.framework += c.framework;
        counts.summary += c.summary;
        counts.crosswalk += c.crosswalk;
        counts.endorsement += c.endorsement;
        let (code, zh, en) = &common.jurisdictions[m];
        manifest_members.push(ManifestMember {
            code: code.clone(),
            name_zh: zh.clone(),
            name_en: en.clone(),
            public_key: part.chain.key.public_hex().to_string(),
            framework: framework_id(code)?.to_string(),
        });
        documents.extend(part.chain.documents);
    }
    let manifest = Manifest {
        alliance: ALLIANCE.into(),
        reference_framework: REFERENCE_FRAMEWORK.into(),
        indicators: common
            .indicators
            .iter()
            .map(|i| format!("{REFERENCE_FRAMEWORK}/{}", i.code))
            .collect(),
        periods: common.years.iter().map(u16::to_string).collect(),
        seed: spec.seed,
        members: manifest_members,
        threshold,
        recognition_quorum: RECOGNITION_QUORUM,
        roster_expires_at: common.roster.roster().expires_at,
        documents: counts,
        issued_at: Timestamp::from_unix(now)?,
    };
    Ok(Federation {
        documents,
        stream,
        roster: common.roster,
        manifest,
    })
}

// -------------------------------------------------------------------- writing

/// The files [`Federation::write`] made.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    /// `DIR/bundle.json`: `{"documents": [ENVELOPE, ...]}`.
    pub bundle: PathBuf,
    /// Its size in bytes.
    pub bundle_bytes: u64,
    /// `DIR/yrd.delta.roster.json`: the roster as published, the anchor a
    /// coordinator's `[[alliances]] roster` names.
    pub anchor: PathBuf,
    /// `DIR/federation.json`: the [`Manifest`].
    pub manifest: PathBuf,
    /// `DIR/stream.json` (`{"documents": [...]}`), when a stream was asked for.
    pub stream: Option<PathBuf>,
}

impl Federation {
    /// The anchor file's name.
    pub fn anchor_file_name() -> String {
        format!("{ALLIANCE}.roster.json")
    }

    /// The bundle body, as `POST /api/v1/bundle` takes it.
    pub fn write_bundle(&self, out: &mut impl Write) -> std::io::Result<()> {
        write_documents(out, &self.documents)
    }

    /// Writes the bundle, the anchor roster and the manifest into `dir`
    /// (created if missing); each file is written whole or not at all.
    pub fn write(&self, dir: &Path) -> std::io::Result<Written> {
        std::fs::create_dir_all(dir)?;
        let bundle = dir.join("bundle.json");
        let bundle_bytes = write_file(&bundle, |w| self.write_bundle(w))?;
        let anchor = dir.join(Self::anchor_file_name());
        write_file(&anchor, |w| {
            serde_json::to_writer_pretty(&mut *w, self.roster.payload())?;
            w.write_all(b"\n")
        })?;
        let manifest = dir.join("federation.json");
        write_file(&manifest, |w| {
            serde_json::to_writer_pretty(&mut *w, &self.manifest)?;
            w.write_all(b"\n")
        })?;
        let stream = if self.stream.is_empty() {
            None
        } else {
            let path = dir.join("stream.json");
            write_file(&path, |w| write_documents(w, &self.stream))?;
            Some(path)
        };
        Ok(Written {
            bundle,
            bundle_bytes,
            anchor,
            manifest,
            stream,
        })
    }
}

/// `{"documents": [...]}` of the envelopes as signed.
fn write_documents(out: &mut impl Write, documents: &[Vec<u8>]) -> std::io::Result<()> {
    out.write_all(b"{\"documents\":[")?;
    for (i, d) in documents.iter().enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        out.write_all(d)?;
    }
    out.write_all(b"]}\n")
}

/// Writes `path` through a temporary file renamed into place; answers the size.
fn write_file(
    path: &Path,
    f: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<u64> {
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp)?;
    let mut w = std::io::BufWriter::new(file);
    let result = f(&mut w).and_then(|()| w.flush());
    let result = result.and_then(|()| {
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        file.metadata().map(|m| m.len())
    });
    match result {
        Ok(len) => {
            std::fs::rename(&tmp, path)?;
            Ok(len)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_city_table_has_41_unique_codes_by_province() {
        let codes: BTreeSet<&str> = DELTA41.iter().map(|c| c.code).collect();
        assert_eq!(codes.len(), 41, "codes are unique");
        for c in &DELTA41 {
            assert!(
                c.code.len() == 6 && c.code.bytes().all(|b| b.is_ascii_digit()),
                "{c:?}"
            );
            assert!(c.code.starts_with(c.province.prefix()), "{c:?}");
            // Prefecture level: the last two digits are 00.
            assert!(c.code.ends_with("00"), "{c:?}");
            assert!(JurisdictionCode::new(c.code).is_ok());
            assert!(c.name_zh.ends_with('市'), "{c:?}");
            assert!(!c.name_en.is_empty());
        }
        let count = |p: Province| DELTA41.iter().filter(|c| c.province == p).count();
        assert_eq!(
            [
                count(Province::Shanghai),
                count(Province::Jiangsu),
                count(Province::Zhejiang),
                count(Province::Anhui)
            ],
            [1, 13, 11, 16]
        );
        let find = |code: &str| DELTA41.iter().find(|c| c.code == code).unwrap();
        assert_eq!(
            (find("320500").name_zh, find("320500").name_en),
            ("苏州市", "Suzhou (Jiangsu)")
        );
        // Two pairs of cities share an English name; the province tells
        // them apart, so every English name is unique.
        let names: std::collections::BTreeSet<&str> = DELTA41.iter().map(|c| c.name_en).collect();
        assert_eq!(names.len(), DELTA41.len());
        assert_eq!(
            (find("330100").name_zh, find("330100").name_en),
            ("杭州市", "Hangzhou")
        );
        assert_eq!(
            (find("340100").name_zh, find("340100").name_en),
            ("合肥市", "Hefei")
        );
        assert_eq!(find("310000").name_zh, "上海市");
        let names: BTreeSet<&str> = DELTA41.iter().map(|c| c.name_zh).collect();
        assert_eq!(names.len(), 41, "Chinese names are unique");
    }

    #[test]
    fn periods_parse_as_a_year_or_a_range() {
        assert_eq!(parse_periods("2021-2025"), Ok((2021, 2025)));
        assert_eq!(parse_periods("2025"), Ok((2025, 2025)));
        for bad in [
            "",
            "25",
            "2025-2021",
            "abc",
            "2021-",
            "1800-1801",
            "2000-2030",
        ] {
            assert!(parse_periods(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bad_specs_are_refused_with_the_flag_named() {
        for (spec, flag) in [
            (
                Spec {
                    indicators: 0,
                    ..Spec::default()
                },
                "--indicators",
            ),
            (
                Spec {
                    indicators: INDICATORS_MAX + 1,
                    ..Spec::default()
                },
                "--indicators",
            ),
            (
                Spec {
                    cities: Cities::Synthetic(1),
                    ..Spec::default()
                },
                "--synthetic",
            ),
            (
                Spec {
                    cities: Cities::Synthetic(SYNTHETIC_MAX + 1),
                    ..Spec::default()
                },
                "--synthetic",
            ),
        ] {
            let e = generate(&spec, &|_| {}).err().expect("refused");
            assert!(e.to_string().contains(flag), "{e}");
        }
    }

    fn small(cities: Cities) -> Spec {
        Spec {
            cities,
            indicators: 14,
            periods: (2024, 2025),
            seed: 7,
            issued_at: Some(Timestamp::from_unix(1_767_225_600).unwrap()),
            roster_days: 365,
            stream: 7,
        }
    }

    #[test]
    fn every_document_decodes_and_chains_link() {
        let spec = small(Cities::Synthetic(3));
        let done = std::sync::atomic::AtomicUsize::new(0);
        let fed = generate(&spec, &|n| {
            done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(fed.documents.len(), spec.document_count());
        assert_eq!(fed.manifest.documents.total, fed.documents.len());
        assert_eq!(done.into_inner(), fed.documents.len(), "progress adds up");
        let c = &fed.manifest.documents;
        assert_eq!(
            (
                c.jurisdiction,
                c.roster,
                c.framework,
                c.summary,
                c.crosswalk,
                c.endorsement
            ),
            (3, 1, 4, 6, 42, 84)
        );
        let mut heads: std::collections::BTreeMap<String, (u64, DocHash)> = Default::default();
        for bytes in &fed.documents {
            let doc = Document::decode(bytes, &Limits::default()).expect("decodes");
            assert!(doc.issued_at <= spec.issued_at.unwrap());
            let head = heads.get(doc.issuer.as_str());
            match head {
                None => assert_eq!((doc.seq, doc.prev.as_ref()), (1, None)),
                Some((seq, hash)) => {
                    assert_eq!(doc.seq, seq + 1);
                    assert_eq!(doc.prev.as_ref(), Some(hash));
                }
            }
            heads.insert(doc.issuer.to_string(), (doc.seq, doc.hash().clone()));
        }
        assert_eq!(heads.len(), 3);
        // The stream continues the chains: endorsements of held crosswalks.
        assert_eq!(fed.stream.len(), 7);
        for bytes in &fed.stream {
            let doc = Document::decode(bytes, &Limits::default()).expect("decodes");
            assert_eq!(doc.kind, DocKind::Endorsement);
            let (seq, hash) = &heads[doc.issuer.as_str()];
            assert_eq!((doc.seq, doc.prev.as_ref()), (seq + 1, Some(hash)));
            assert!(doc.issued_at <= spec.issued_at.unwrap());
            heads.insert(doc.issuer.to_string(), (doc.seq, doc.hash().clone()));
        }
        deltabench_trust::roster::check_anchor(&fed.roster, spec.issued_at).unwrap();
        assert_eq!(fed.roster.roster().threshold, 2);
    }

    #[test]
    fn the_same_seed_gives_the_same_bundle_and_another_seed_another() {
        let spec = small(Cities::Synthetic(2));
        let a = generate(&spec, &|_| {}).unwrap();
        let b = generate(&spec, &|_| {}).unwrap();
        assert!(a.documents == b.documents);
        let c = generate(&Spec { seed: 8, ..spec }, &|_| {}).unwrap();
        assert!(a.documents[0] != c.documents[0]);
    }

    #[test]
    fn values_convert_back_to_plausible_reference_values() {
        let spec = small(Cities::Delta41);
        let fed = generate(&spec, &|_| {}).unwrap();
        assert_eq!(fed.manifest.members.len(), 41);
        assert_eq!(fed.roster.roster().threshold, 21);
        // The satisfaction values, harmonised by hand, spread over a
        // plausible band and differ between cities.
        let mut seen = BTreeSet::new();
        for bytes in &fed.documents {
            let doc = Document::decode(bytes, &Limits::default()).unwrap();
            if doc.kind != DocKind::Summary {
                continue;
            }
            let s: Summary = doc.payload_as().unwrap();
            for i in &s.indicators {
                let v = i.value.unwrap().get();
                let harmonised = match i.indicator.as_str() {
                    "service_satisfaction" => v,
                    "service_satisfaction_5pt" => (v - 1.0) * 25.0,
                    _ => continue,
                };
                assert!((60.0..=100.0).contains(&harmonised), "{harmonised}");
                seen.insert((harmonised * 10.0).round() as i64);
                assert!(i.distribution.is_some());
            }
        }
        assert!(seen.len() > 30, "values vary: {seen:?}");
    }
}
