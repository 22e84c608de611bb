//! Domain types of deltabench and their validation.
//!
//! Every value that enters the node from outside (a config file, an HTTP body, a
//! document from another node) is turned into one of these types through a
//! validating constructor, so the rest of the code never sees a seven-digit
//! jurisdiction code, a period of `2025-Q5`, or a NaN. A failure is an
//! [`InvalidField`] that names the field and says why.
//!
//! The core identifiers are [`JurisdictionCode`], [`Period`], [`Value`],
//! [`AllianceId`], [`FrameworkId`], [`IndicatorCode`], [`UnitId`] and
//! [`DocHash`]. The payloads of the signed document kinds are in [`documents`]:
//! [`documents::JurisdictionDecl`], [`documents::SignedRoster`],
//! [`documents::Framework`], [`documents::Summary`], [`documents::Crosswalk`],
//! [`documents::Endorsement`], [`documents::PublicRatingSummary`] and
//! [`documents::ForecastCommitment`]. Local-only records (units, observations, appraisals) are in [`local`],
//! public rating in [`public`] and its closed loop of rectification in
//! [`rectify`], 12345 hotline requests in [`hotline`]; what the comparison engine answers is in
//! [`comparison`].
//!
//! ```
//! use deltabench_model::{JurisdictionCode, Period};
//! let code = JurisdictionCode::new("320585").unwrap();
//! assert_eq!(code.as_str(), "320585");
//! assert!(JurisdictionCode::new("32058").is_err());
//! let q = Period::parse("2025-Q3").unwrap();
//! assert_eq!(q.year(), 2025);
//! ```
//!
//! This crate does no IO and is not async.
#![deny(missing_docs)]

pub mod comparison;
pub mod debt;
pub mod documents;
mod error;
pub mod hotline;
mod ids;
pub mod local;
mod period;
pub mod public;
pub mod rectify;
mod schema;
mod time;
pub mod twin;
mod value;
pub mod whatif;

pub use error::InvalidField;
pub use ids::{
    AllianceId, CategoryId, CrosswalkId, DocHash, FrameworkId, IndicatorCode, IndicatorRef,
    JurisdictionCode, KeyHex, ProjectId, SigHex, UnitId,
};
pub use period::Period;
pub use time::Timestamp;
pub use value::Value;
