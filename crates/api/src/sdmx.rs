//! The SDMX 3.0 structures that a comparison's SDMX-CSV refers to, served as
//! SDMX-ML 3.0 structure messages.
//!
//! `GET /api/v1/sdmx/structure` answers every structure in one message;
//! `GET /api/v1/sdmx/structure/{id}` answers one of them by its id:
//!
//! | id | what |
//! |---|---|
//! | `CL_REF_AREA` | the jurisdictions the node knows (its own, every roster member, every declaration held): GB/T 2260 codes with names in zh and en |
//! | `CL_INDICATOR` | every indicator of every framework held, the codes that a comparison's `INDICATOR` takes |
//! | `CL_ROW_FLAG` | why a row is set apart from the ranking (`not_exact`, `unrecognised`, ...) |
//! | `CS_COMPARISON` | a concept for each component, named in zh and en |
//! | `DSD_COMPARISON` | the data structure: dimensions `REF_AREA`, `INDICATOR`, `TIME_PERIOD`, measure `OBS_VALUE`, and the observation-level attributes |
//! | `DF_COMPARISON` | the dataflow, `DELTABENCH:DF_COMPARISON(1.0.0)`: the `STRUCTURE_ID` of every SDMX-CSV row |
//!
//! All are maintained by the agency `DELTABENCH` at version `1.0.0`. The
//! codelists of areas and indicators follow what the node holds, so they grow
//! as documents arrive; the data structure and the dataflow do not change.
//!
//! SDMX-ML rather than SDMX-JSON: both pysdmx and sdmx1 read SDMX-ML 3.0
//! structure messages, while sdmx1 reads SDMX-JSON only for data.
//!
//! **Indicator codes.** An SDMX code id takes only `A-Z a-z 0-9 _ @ $ -`, so
//! the reference `FRAMEWORK/CODE` cannot be a code as it is. Its code is the
//! framework with each `.` written `$`, then `@`, then the indicator code:
//! `yrd.tax/ontime_filing_rate` is `yrd$tax@ontime_filing_rate`
//! ([`indicator_code`]; [`indicator_ref`] reads it back). Neither `$` nor
//! `@` can occur in a framework id or an indicator code, so the mapping is
//! one to one. Each code also carries the reference as an annotation of
//! type `DELTABENCH_INDICATOR`.
//!
//! **The list attribute.** `FLAGS` may hold several codes of `CL_ROW_FLAG`:
//! its representation says `minOccurs="0" maxOccurs="unbounded"`, and the
//! SDMX-CSV header declares it as SDMX-CSV 2.0 asks, the sub-field
//! separator in the first column's header (`STRUCTURE[;]`) and `[]` after the
//! component's id (`FLAGS[]`); the cell holds the codes joined by `;`.
//!
//! **Precision.** Indicators declare no precision of their own, so every
//! number of the SDMX-CSV (the measure and the numeric attributes) is
//! rounded to 10 significant digits ([`crate::export::round10`]). The data
//! structure says so in an annotation of type `ROUNDING`, and the concept
//! `OBS_VALUE` in its description.

use crate::auth::Viewer;
use crate::{ApiError, AppState, blocking};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use deltabench_model::comparison::RowFlag;
use deltabench_model::documents::JurisdictionDecl;
use deltabench_model::{IndicatorRef, JurisdictionCode};
use deltabench_node::Node;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::collections::BTreeMap;
use std::io;

/// The agency that maintains the structures.
pub const AGENCY: &str = "DELTABENCH";
/// The version of every structure.
pub const VERSION: &str = "1.0.0";
/// The dataflow's id.
pub const DATAFLOW: &str = "DF_COMPARISON";
/// The data structure definition's id.
pub const DATA_STRUCTURE: &str = "DSD_COMPARISON";
/// The concept scheme's id.
pub const CONCEPT_SCHEME: &str = "CS_COMPARISON";
/// The codelist of jurisdictions.
pub const CL_REF_AREA: &str = "CL_REF_AREA";
/// The codelist of indicators.
pub const CL_INDICATOR: &str = "CL_INDICATOR";
/// The codelist of row flags.
pub const CL_ROW_FLAG: &str = "CL_ROW_FLAG";
/// The separator of the values of a multi-valued component in SDMX-CSV.
pub const SUB_SEPARATOR: char = ';';
/// The media type of an SDMX-ML 3.0 structure message.
pub const STRUCTURE_MEDIA_TYPE: &str =
    "application/vnd.sdmx.structure+xml; version=3.0.0; charset=utf-8";

/// The precision every number of the SDMX-CSV is rounded to.
const ROUNDING_EN: &str = "Every number (OBS_VALUE and the numeric attributes) is rounded to \
    10 significant digits: indicators declare no precision of their own.";
const ROUNDING_ZH: &str =
    "所有数值（OBS_VALUE 及数值型属性）均保留 10 位有效数字：指标本身未声明精度。";

/// `AGENCY:DF_COMPARISON(VERSION)`: the `STRUCTURE_ID` of SDMX-CSV rows.
pub fn dataflow_ref() -> String {
    format!("{AGENCY}:{DATAFLOW}({VERSION})")
}

/// The SDMX code of an indicator reference: `yrd.tax/ontime_filing_rate`
/// is `yrd$tax@ontime_filing_rate`.
pub fn indicator_code(r: &IndicatorRef) -> String {
    format!("{}@{}", r.framework.as_str().replace('.', "$"), r.code)
}

/// The indicator reference of an SDMX code that [`indicator_code`] made.
pub fn indicator_ref(code: &str) -> Option<IndicatorRef> {
    let (framework, code) = code.split_once('@')?;
    IndicatorRef::parse(&format!("{}/{code}", framework.replace('$', "."))).ok()
}

/// How a component's values are represented.
#[derive(Clone, Copy)]
enum Repr {
    /// Codes of a codelist.
    Codes(&'static str),
    /// Text of an SDMX data type (`String`, `Double`, ...).
    Text(&'static str),
}

/// A component of the data structure, and the concept it stands for.
pub(crate) struct Component {
    /// Its id, which is also its concept's id and its SDMX-CSV column.
    pub(crate) id: &'static str,
    en: &'static str,
    zh: &'static str,
    repr: Repr,
    /// Whether it may hold several values (SDMX-CSV writes `ID[]`).
    pub(crate) multi: bool,
}

const fn component(id: &'static str, en: &'static str, zh: &'static str, repr: Repr) -> Component {
    Component {
        id,
        en,
        zh,
        repr,
        multi: false,
    }
}

/// The dimensions, in key order (`TIME_PERIOD` last).
pub(crate) const DIMENSIONS: [Component; 3] = [
    component(
        "REF_AREA",
        "Jurisdiction (GB/T 2260 code)",
        "行政区划（GB/T 2260 代码）",
        Repr::Codes(CL_REF_AREA),
    ),
    component(
        "INDICATOR",
        "Reference indicator",
        "参照指标",
        Repr::Codes(CL_INDICATOR),
    ),
    component(
        "TIME_PERIOD",
        "Period",
        "期间",
        Repr::Text("ObservationalTimePeriod"),
    ),
];

/// The measure.
pub(crate) const MEASURE: Component = component(
    "OBS_VALUE",
    "Harmonised value, in the reference indicator's unit",
    "统一口径值（参照指标的单位）",
    Repr::Text("Double"),
);

/// The attributes, in SDMX-CSV column order: `UNIT_MEASURE`, then the
/// columns of the plain CSV after `jurisdiction` and `value`.
pub(crate) const ATTRIBUTES: [Component; 17] = [
    component(
        "UNIT_MEASURE",
        "Unit of the reference indicator",
        "参照指标的单位",
        Repr::Text("String"),
    ),
    component(
        "SOURCE_VALUE",
        "Value as the jurisdiction reported it",
        "原始报送值",
        Repr::Text("Double"),
    ),
    component(
        "SOURCE_INDICATOR",
        "Indicator it was reported under (FRAMEWORK/CODE)",
        "原始指标（框架/代码）",
        Repr::Text("String"),
    ),
    component(
        "SOURCE_VERSION",
        "Version of the framework it was reported under",
        "原始指标体系版本",
        Repr::Text("String"),
    ),
    component(
        "RANK",
        "Rank among ranked rows, 1 best",
        "排名（1 为最优）",
        Repr::Text("Integer"),
    ),
    component(
        "Z_SCORE",
        "z-score, above 0 better than the mean",
        "标准分（大于 0 优于均值）",
        Repr::Text("Double"),
    ),
    component(
        "MINMAX",
        "Min-max score, 0-100, 100 best",
        "极差标准化得分（0-100，100 为最优）",
        Repr::Text("Double"),
    ),
    component(
        "DISTANCE_TO_FRONTIER",
        "Distance to the best ranked value",
        "与最优值的差距",
        Repr::Text("Double"),
    ),
    component(
        "PEER_MEDIAN",
        "Median of the ranked values",
        "排名行的中位数",
        Repr::Text("Double"),
    ),
    component(
        "PREVIOUS_VALUE",
        "Harmonised value of the previous period",
        "上一期统一口径值",
        Repr::Text("Double"),
    ),
    component(
        "CHANGE",
        "Change from the previous period",
        "较上一期的变化",
        Repr::Text("Double"),
    ),
    component(
        "CROSSWALK",
        "Crosswalk used",
        "所用指标对照",
        Repr::Text("String"),
    ),
    component(
        "CROSSWALK_VERSION",
        "Version of the crosswalk",
        "指标对照版本",
        Repr::Text("Integer"),
    ),
    component(
        "RELATION",
        "Relation of the crosswalk (exact, close, ...)",
        "对照关系类型",
        Repr::Text("String"),
    ),
    component(
        "RECOGNISED",
        "Whether the crosswalk is recognised",
        "指标对照是否已互认",
        Repr::Text("Boolean"),
    ),
    component(
        "DOCUMENT",
        "SHA-256 hash of the summary document the value comes from",
        "数值来源汇总文件的 SHA-256 哈希",
        Repr::Text("String"),
    ),
    Component {
        multi: true,
        ..component(
            "FLAGS",
            "Why the row is set apart from the ranking",
            "未参与排名的原因",
            Repr::Codes(CL_ROW_FLAG),
        )
    },
];

/// Every row flag, with its names in zh and en.
const FLAGS: [RowFlag; 4] = [
    RowFlag::NotExact,
    RowFlag::Unrecognised,
    RowFlag::VersionOutOfRange,
    RowFlag::OutsideRange,
];

fn flag_names(f: RowFlag) -> (&'static str, &'static str) {
    match f {
        RowFlag::NotExact => (
            "对照关系并非完全等同",
            "The crosswalk's relation is not exact",
        ),
        RowFlag::Unrecognised => ("指标对照未获互认", "The crosswalk is not recognised"),
        RowFlag::VersionOutOfRange => (
            "原始指标体系版本超出对照适用范围",
            "The source framework version is outside the crosswalk's range",
        ),
        RowFlag::OutsideRange => (
            "统一口径值超出参照指标的有效范围",
            "The harmonised value is outside the reference indicator's valid range",
        ),
    }
}

/// A code of a codelist: its id and names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// The code's id.
    pub id: String,
    /// The name in Chinese.
    pub name_zh: String,
    /// The name in English.
    pub name_en: String,
    /// For an indicator, its reference `FRAMEWORK/CODE` and unit.
    pub indicator: Option<(IndicatorRef, String)>,
}

/// What the codelists that follow the node's documents hold.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// The jurisdictions, by code.
    pub areas: Vec<Code>,
    /// The indicators, by framework and code.
    pub indicators: Vec<Code>,
    /// The node's jurisdiction code: the message's sender.
    pub sender: String,
    /// When the message was prepared (RFC 3339).
    pub prepared: String,
}

impl Catalogue {
    /// Gathers the jurisdictions and indicators the node knows. A
    /// jurisdiction is named as its own node names it, else as the first
    /// roster that lists it, else as its declaration says; an indicator as
    /// the newest version of its framework that defines it.
    pub fn gather(node: &Node) -> Result<Self, deltabench_store::StoreError> {
        let mut areas: BTreeMap<JurisdictionCode, (String, String)> = BTreeMap::new();
        let me = node.identity();
        areas.insert(me.code.clone(), (me.name_zh.clone(), me.name_en.clone()));
        for signed in node.membership().rosters() {
            for m in &signed.roster.members {
                areas
                    .entry(m.code.clone())
                    .or_insert_with(|| (m.name_zh.clone(), m.name_en.clone()));
            }
        }
        for (_, decl) in node.held::<JurisdictionDecl>(None)? {
            areas
                .entry(decl.code)
                .or_insert((decl.name_zh, decl.name_en));
        }
        let mut indicators: BTreeMap<IndicatorRef, Code> = BTreeMap::new();
        {
            let view = node.view();
            for id in view.owners().keys() {
                for held in view.framework_versions(id) {
                    for ind in &held.payload.indicators {
                        let r = IndicatorRef {
                            framework: id.clone(),
                            code: ind.code.clone(),
                        };
                        let code = Code {
                            id: indicator_code(&r),
                            name_zh: ind.name_zh.clone(),
                            name_en: ind.name_en.clone(),
                            indicator: Some((r.clone(), ind.unit.clone())),
                        };
                        indicators.insert(r, code);
                    }
                }
            }
        }
        Ok(Catalogue {
            areas: areas
                .into_iter()
                .map(|(code, (zh, en))| Code {
                    id: code.to_string(),
                    name_zh: zh,
                    name_en: en,
                    indicator: None,
                })
                .collect(),
            indicators: indicators.into_values().collect(),
            sender: me.code.to_string(),
            prepared: node.now().to_string(),
        })
    }
}

/// One of the structures served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artefact {
    /// `CL_REF_AREA`.
    RefAreas,
    /// `CL_INDICATOR`.
    Indicators,
    /// `CL_ROW_FLAG`.
    RowFlags,
    /// `CS_COMPARISON`.
    Concepts,
    /// `DSD_COMPARISON`.
    DataStructure,
    /// `DF_COMPARISON`.
    Dataflow,
}

impl Artefact {
    /// Every structure, in the order a structure message lists them.
    pub const ALL: [Artefact; 6] = [
        Artefact::RefAreas,
        Artefact::Indicators,
        Artefact::RowFlags,
        Artefact::Concepts,
        Artefact::Dataflow,
        Artefact::DataStructure,
    ];

    /// The structure's id.
    pub fn id(self) -> &'static str {
        match self {
            Artefact::RefAreas => CL_REF_AREA,
            Artefact::Indicators => CL_INDICATOR,
            Artefact::RowFlags => CL_ROW_FLAG,
            Artefact::Concepts => CONCEPT_SCHEME,
            Artefact::DataStructure => DATA_STRUCTURE,
            Artefact::Dataflow => DATAFLOW,
        }
    }

    /// The structure with this id, if it is one served.
    pub fn parse(id: &str) -> Option<Artefact> {
        Artefact::ALL.into_iter().find(|a| a.id() == id)
    }
}

const MES: &str = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message";
const STR: &str = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure";
const COM: &str = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common";

fn urn(package: &str, class: &str, id: &str) -> String {
    format!("urn:sdmx:org.sdmx.infomodel.{package}.{class}={AGENCY}:{id}({VERSION})")
}

fn codelist_urn(id: &str) -> String {
    urn("codelist", "Codelist", id)
}

fn concept_urn(id: &str) -> String {
    format!("{}.{id}", urn("conceptscheme", "Concept", CONCEPT_SCHEME))
}

type W = Writer<Vec<u8>>;

fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn names(w: &mut W, element: &str, zh: &str, en: &str) -> io::Result<()> {
    for (lang, value) in [("zh", zh), ("en", en)] {
        w.create_element(element)
            .with_attribute(("xml:lang", lang))
            .write_text_content(BytesText::new(value))?;
    }
    Ok(())
}

/// `com:Annotations` with one annotation.
fn annotation(w: &mut W, kind: &str, title: &str, zh: &str, en: &str) -> io::Result<()> {
    w.create_element("com:Annotations")
        .write_inner_content(|w| {
            w.create_element("com:Annotation")
                .write_inner_content(|w| {
                    text(w, "com:AnnotationTitle", title)?;
                    text(w, "com:AnnotationType", kind)?;
                    if !en.is_empty() {
                        names(w, "com:AnnotationText", zh, en)?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    Ok(())
}

/// A maintainable artefact: `<str:ELEMENT id agencyID version urn>` with
/// `content` inside.
fn maintainable(
    w: &mut W,
    element: &str,
    id: &str,
    urn: &str,
    content: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<()> {
    w.create_element(element)
        .with_attributes([
            ("id", id),
            ("urn", urn),
            ("agencyID", AGENCY),
            ("version", VERSION),
        ])
        .write_inner_content(content)?;
    Ok(())
}

fn codelist(w: &mut W, id: &str, zh: &str, en: &str, codes: &[Code]) -> io::Result<()> {
    let list_urn = codelist_urn(id);
    maintainable(w, "str:Codelist", id, &list_urn, |w| {
        names(w, "com:Name", zh, en)?;
        for c in codes {
            let code_urn = format!("{}.{}", urn("codelist", "Code", id), c.id);
            w.create_element("str:Code")
                .with_attributes([("id", c.id.as_str()), ("urn", code_urn.as_str())])
                .write_inner_content(|w| {
                    if let Some((r, unit)) = &c.indicator {
                        annotation(
                            w,
                            "DELTABENCH_INDICATOR",
                            &r.to_string(),
                            &format!("指标 {r}，单位 {unit}"),
                            &format!("indicator {r}, in {unit}"),
                        )?;
                    }
                    names(w, "com:Name", &c.name_zh, &c.name_en)
                })?;
        }
        Ok(())
    })
}

fn representation(w: &mut W, c: &Component) -> io::Result<()> {
    let mut rep = w.create_element("str:LocalRepresentation");
    if c.multi {
        rep = rep.with_attributes([("minOccurs", "0"), ("maxOccurs", "unbounded")]);
    }
    rep.write_inner_content(|w| {
        match c.repr {
            Repr::Codes(list) => text(w, "str:Enumeration", &codelist_urn(list))?,
            Repr::Text(kind) => {
                w.create_element("str:TextFormat")
                    .with_attribute(("textType", kind))
                    .write_empty()?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

fn component_element(
    w: &mut W,
    element: &str,
    c: &Component,
    extra: &[(&str, &str)],
    after: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<()> {
    w.create_element(element)
        .with_attribute(("id", c.id))
        .with_attributes(extra.iter().copied())
        .write_inner_content(|w| {
            text(w, "str:ConceptIdentity", &concept_urn(c.id))?;
            representation(w, c)?;
            after(w)
        })?;
    Ok(())
}

fn data_structure(w: &mut W) -> io::Result<()> {
    let dsd_urn = urn("datastructure", "DataStructure", DATA_STRUCTURE);
    maintainable(w, "str:DataStructure", DATA_STRUCTURE, &dsd_urn, |w| {
        annotation(
            w,
            "ROUNDING",
            "10 significant digits",
            ROUNDING_ZH,
            ROUNDING_EN,
        )?;
        names(w, "com:Name", "统一口径比较", "Harmonised comparison")?;
        names(
            w,
            "com:Description",
            "参照指标在一个期间内各成员的统一口径值，附排名、标准化得分与来源。",
            "One reference indicator in one period: each member's harmonised value, \
             with its rank, scores and provenance.",
        )?;
        w.create_element("str:DataStructureComponents")
            .write_inner_content(|w| {
                w.create_element("str:DimensionList")
                    .with_attribute(("id", "DimensionDescriptor"))
                    .write_inner_content(|w| {
                        for (i, d) in DIMENSIONS.iter().enumerate() {
                            let position = (i + 1).to_string();
                            let element = if d.id == "TIME_PERIOD" {
                                "str:TimeDimension"
                            } else {
                                "str:Dimension"
                            };
                            let extra: &[(&str, &str)] = if d.id == "TIME_PERIOD" {
                                &[]
                            } else {
                                &[("position", position.as_str())]
                            };
                            component_element(w, element, d, extra, |_| Ok(()))?;
                        }
                        Ok(())
                    })?;
                w.create_element("str:AttributeList")
                    .with_attribute(("id", "AttributeDescriptor"))
                    .write_inner_content(|w| {
                        for a in &ATTRIBUTES {
                            component_element(
                                w,
                                "str:Attribute",
                                a,
                                &[("usage", "optional")],
                                |w| {
                                    w.create_element("str:AttributeRelationship")
                                        .write_inner_content(|w| {
                                            w.create_element("str:Observation").write_empty()?;
                                            Ok(())
                                        })?;
                                    Ok(())
                                },
                            )?;
                        }
                        Ok(())
                    })?;
                w.create_element("str:MeasureList")
                    .with_attribute(("id", "MeasureDescriptor"))
                    .write_inner_content(|w| {
                        component_element(
                            w,
                            "str:Measure",
                            &MEASURE,
                            &[("usage", "mandatory")],
                            |_| Ok(()),
                        )
                    })?;
                Ok(())
            })?;
        Ok(())
    })
}

fn concept_scheme(w: &mut W) -> io::Result<()> {
    let cs_urn = urn("conceptscheme", "ConceptScheme", CONCEPT_SCHEME);
    maintainable(w, "str:ConceptScheme", CONCEPT_SCHEME, &cs_urn, |w| {
        names(
            w,
            "com:Name",
            "统一口径比较的概念",
            "Concepts of a harmonised comparison",
        )?;
        for c in DIMENSIONS.iter().chain([&MEASURE]).chain(ATTRIBUTES.iter()) {
            let concept_urn = concept_urn(c.id);
            w.create_element("str:Concept")
                .with_attributes([("id", c.id), ("urn", concept_urn.as_str())])
                .write_inner_content(|w| {
                    names(w, "com:Name", c.zh, c.en)?;
                    if c.id == MEASURE.id {
                        names(w, "com:Description", ROUNDING_ZH, ROUNDING_EN)?;
                    }
                    Ok(())
                })?;
        }
        Ok(())
    })
}

fn dataflow(w: &mut W) -> io::Result<()> {
    let df_urn = urn("datastructure", "Dataflow", DATAFLOW);
    maintainable(w, "str:Dataflow", DATAFLOW, &df_urn, |w| {
        names(
            w,
            "com:Name",
            "统一口径比较",
            "Harmonised comparisons of reference indicators",
        )?;
        text(
            w,
            "str:Structure",
            &urn("datastructure", "DataStructure", DATA_STRUCTURE),
        )
    })
}

/// The SDMX-ML 3.0 structure message with `artefacts` (in the order of
/// [`Artefact::ALL`]).
pub fn structure_message(cat: &Catalogue, artefacts: &[Artefact]) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing to a Vec cannot fail.
    let _ = write_message(&mut w, cat, artefacts);
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

fn write_message(w: &mut W, cat: &Catalogue, artefacts: &[Artefact]) -> io::Result<()> {
    let has = |a: Artefact| artefacts.contains(&a);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("mes:Structure")
        .with_attributes([("xmlns:mes", MES), ("xmlns:str", STR), ("xmlns:com", COM)])
        .write_inner_content(|w| {
            w.create_element("mes:Header").write_inner_content(|w| {
                text(w, "mes:ID", "DELTABENCH_STRUCTURE")?;
                text(w, "mes:Test", "false")?;
                text(w, "mes:Prepared", &cat.prepared)?;
                w.create_element("mes:Sender")
                    .with_attribute(("id", cat.sender.as_str()))
                    .write_empty()?;
                Ok(())
            })?;
            w.create_element("mes:Structures")
                .write_inner_content(|w| {
                    if has(Artefact::RefAreas)
                        || has(Artefact::Indicators)
                        || has(Artefact::RowFlags)
                    {
                        w.create_element("str:Codelists").write_inner_content(|w| {
                            if has(Artefact::RefAreas) {
                                codelist(
                                    w,
                                    CL_REF_AREA,
                                    "行政区划（GB/T 2260）",
                                    "Jurisdictions (GB/T 2260)",
                                    &cat.areas,
                                )?;
                            }
                            if has(Artefact::Indicators) {
                                codelist(w, CL_INDICATOR, "指标", "Indicators", &cat.indicators)?;
                            }
                            if has(Artefact::RowFlags) {
                                let flags: Vec<Code> = FLAGS
                                    .iter()
                                    .map(|&f| {
                                        let (zh, en) = flag_names(f);
                                        Code {
                                            id: f.as_str().to_string(),
                                            name_zh: zh.into(),
                                            name_en: en.into(),
                                            indicator: None,
                                        }
                                    })
                                    .collect();
                                codelist(
                                    w,
                                    CL_ROW_FLAG,
                                    "未参与排名的原因",
                                    "Why a row is set apart from the ranking",
                                    &flags,
                                )?;
                            }
                            Ok(())
                        })?;
                    }
                    if has(Artefact::Concepts) {
                        w.create_element("str:ConceptSchemes")
                            .write_inner_content(concept_scheme)?;
                    }
                    if has(Artefact::Dataflow) {
                        w.create_element("str:Dataflows")
                            .write_inner_content(dataflow)?;
                    }
                    if has(Artefact::DataStructure) {
                        w.create_element("str:DataStructures")
                            .write_inner_content(data_structure)?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    Ok(())
}

fn xml_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, STRUCTURE_MEDIA_TYPE)], body).into_response()
}

#[utoipa::path(
    get,
    path = "/sdmx/structure",
    tag = "comparison",
    summary = "The SDMX 3.0 structures of the comparisons' SDMX-CSV, as one SDMX-ML 3.0 structure message",
    description = "Codelists CL_REF_AREA (the jurisdictions the node knows, named in zh and en), \
        CL_INDICATOR (every indicator held; the code of FRAMEWORK/CODE is the framework with '.' \
        written '$', then '@', then the code) and CL_ROW_FLAG, the concept scheme CS_COMPARISON, \
        the data structure DSD_COMPARISON (FLAGS is multi-valued: maxOccurs unbounded; numbers \
        are rounded to 10 significant digits) and the dataflow DELTABENCH:DF_COMPARISON(1.0.0) \
        that every SDMX-CSV row names.",
    security(("viewer" = []), ("admin" = [])),
    responses((status = 200, description = "the structure message", content((String = "application/vnd.sdmx.structure+xml; version=3.0.0"))))
)]
pub(crate) async fn structure(
    _: Viewer,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let node = state.node.clone();
    let cat = blocking(move || Catalogue::gather(&node).map_err(ApiError::storage)).await?;
    Ok(xml_response(structure_message(&cat, &Artefact::ALL)))
}

#[utoipa::path(
    get,
    path = "/sdmx/structure/{id}",
    tag = "comparison",
    summary = "One SDMX 3.0 structure by its id, as an SDMX-ML 3.0 structure message",
    security(("viewer" = []), ("admin" = [])),
    params(("id" = String, Path, description = "CL_REF_AREA, CL_INDICATOR, CL_ROW_FLAG, CS_COMPARISON, DSD_COMPARISON or DF_COMPARISON")),
    responses((status = 200, description = "the structure message", content((String = "application/vnd.sdmx.structure+xml; version=3.0.0"))), (status = 404, description = "no structure with that id", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn structure_one(
    _: Viewer,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let artefact = Artefact::parse(&id).ok_or_else(|| {
        let known: Vec<&str> = Artefact::ALL.iter().map(|a| a.id()).collect();
        ApiError::not_found(format!(
            "no structure {id:?}; the structures are {}",
            known.join(", ")
        ))
    })?;
    let node = state.node.clone();
    let cat = blocking(move || Catalogue::gather(&node).map_err(ApiError::storage)).await?;
    Ok(xml_response(structure_message(&cat, &[artefact])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicator_codes_are_sdmx_ids_and_read_back() {
        for text in [
            "yrd.tax/ontime_filing_rate",
            "taicang.hqd-2/T01-a",
            "a_b.c-d/X_1",
        ] {
            let r = IndicatorRef::parse(text).unwrap();
            let code = indicator_code(&r);
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_@$-".contains(&b)),
                "{code}"
            );
            assert_eq!(indicator_ref(&code), Some(r), "{code}");
        }
        assert_eq!(
            indicator_code(&IndicatorRef::parse("yrd.tax/ontime_filing_rate").unwrap()),
            "yrd$tax@ontime_filing_rate"
        );
        assert_eq!(indicator_ref("no_at_sign"), None);
        assert_eq!(indicator_ref("bad$$fw@x"), None);
    }

    #[test]
    fn every_artefact_is_found_by_its_id() {
        for a in Artefact::ALL {
            assert_eq!(Artefact::parse(a.id()), Some(a));
        }
        assert_eq!(Artefact::parse("CL_NOTHING"), None);
    }

    #[test]
    fn the_message_declares_the_list_attribute_and_escapes_names() {
        let cat = Catalogue {
            areas: vec![Code {
                id: "320585".into(),
                name_zh: "太仓市".into(),
                name_en: "Taicang <&>".into(),
                indicator: None,
            }],
            indicators: vec![],
            sender: "320585".into(),
            prepared: "2025-01-01T00:00:00Z".into(),
        };
        let xml = structure_message(&cat, &Artefact::ALL);
        assert!(xml.contains("Taicang &lt;&amp;&gt;"), "{xml}");
        assert!(xml.contains("太仓市"), "{xml}");
        assert!(
            xml.contains(r#"<str:LocalRepresentation minOccurs="0" maxOccurs="unbounded">"#),
            "{xml}"
        );
        assert_eq!(xml.matches("<str:Attribute ").count(), ATTRIBUTES.len());
        let only = structure_message(&cat, &[Artefact::RefAreas]);
        assert!(only.contains("CL_REF_AREA") && !only.contains("DataStructure"));
    }
}
