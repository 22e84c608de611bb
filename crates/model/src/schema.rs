//! The OpenAPI (JSON Schema) shapes of the validated types.
//!
//! Each validated string is a JSON string whose pattern and length are the
//! ones its constructor checks, so that a client generated from the API
//! document refuses what the node would refuse. The structs and enums derive
//! their schemas; only the types with their own serde form are described
//! here.

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

/// A string schema with a pattern and a length bound.
pub(crate) fn string(pattern: &str, min: usize, max: usize) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .min_length(Some(min))
        .max_length(Some(max))
        .into()
}

/// Implements the schema traits for a string newtype with the given pattern
/// and maximum length.
macro_rules! string_schema {
    ($name:ty, $pattern:expr, $max:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::schema::string($pattern, 1, $max)
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use string_schema;

string_schema!(crate::DocHash, r"^[0-9a-f]{64}$", 64);
// The framework part's own bound (64 characters) cannot be stated in a
// pattern that generators can use, so the pattern states a subset of the
// references the node takes: up to four dotted segments of up to 15
// characters, which every framework named so far fits.
string_schema!(
    crate::IndicatorRef,
    r"^[a-z][a-z0-9_-]{0,14}(\.[a-z0-9_-]{1,15}){0,3}/[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
    129
);
string_schema!(
    crate::Period,
    r"^(19|2[0-9])[0-9]{2}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$",
    7
);

impl utoipa::PartialSchema for crate::Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some(
                "RFC 3339 in whole seconds, e.g. 2025-03-01T08:00:00Z; an offset other \
                 than Z is converted to UTC",
            ))
            .into()
    }
}
impl utoipa::ToSchema for crate::Timestamp {}

impl utoipa::PartialSchema for crate::Value {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
            .description(Some("a finite number"))
            .into()
    }
}
impl utoipa::ToSchema for crate::Value {}

/// The schema of a semantic version (`1.2.0`), as frameworks are numbered.
pub struct SemVer;

string_schema!(
    SemVer,
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$",
    64
);

/// The schema of a semantic version requirement (`^1.0`, `>=1.2, <2`).
pub struct SemVerReq;

impl utoipa::PartialSchema for SemVerReq {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .description(Some(
                "a semantic version requirement, e.g. ^1.0 or >=1.2, <2",
            ))
            .into()
    }
}
impl utoipa::ToSchema for SemVerReq {}
