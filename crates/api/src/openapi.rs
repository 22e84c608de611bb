//! The OpenAPI 3 description of the API, generated from the handlers'
//! `#[utoipa::path]` annotations by the same router that serves them.
//!
//! What every route shares (the bearer scheme, the problem+json errors that
//! follow from its role, its parameters and its body) is added here once, so
//! each handler's annotation says only what is its own.

use crate::ApiLimits;
use std::sync::OnceLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, LicenseBuilder, OpenApi, Ref, ResponseBuilder, Server,
};

pub use deltabench_wire::Problem;

/// The OpenAPI document of the whole API.
pub fn openapi() -> OpenApi {
    let (_, mut doc) = crate::routes::routes(ApiLimits::default()).split_for_parts();
    doc.info = InfoBuilder::new()
        .title("deltabench node API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The HTTP API of one deltabench node: its own appraisal data, the signed \
             documents it holds, alliance rosters, crosswalks and their recognition, \
             and harmonised comparisons. Reads need a viewer or admin token, writes an \
             admin token, as `Authorization: Bearer TOKEN`. Errors are RFC 9457 \
             application/problem+json.",
        ))
        .license(Some(LicenseBuilder::new().name("Apache-2.0").build()))
        .build();
    doc.servers = Some(vec![Server::new("/")]);
    let components = doc.components.get_or_insert_with(Default::default);
    let mut problem = vec![(
        "Problem".to_string(),
        <Problem as utoipa::PartialSchema>::schema(),
    )];
    <Problem as utoipa::ToSchema>::schemas(&mut problem);
    components.schemas.extend(problem);
    // Types that only parameters name: the operations refer to them, but
    // the router collects only the schemas of bodies.
    for (name, schema) in [
        schema_of::<deltabench_wire::ComparisonFormat>(),
        schema_of::<deltabench_model::Period>(),
        schema_of::<deltabench_model::FrameworkId>(),
        schema_of::<deltabench_model::CrosswalkId>(),
        schema_of::<deltabench_model::IndicatorRef>(),
        schema_of::<deltabench_model::IndicatorCode>(),
        schema_of::<deltabench_model::UnitId>(),
        schema_of::<deltabench_model::DocHash>(),
        schema_of::<deltabench_model::JurisdictionCode>(),
        schema_of::<deltabench_model::documents::DocKind>(),
        schema_of::<deltabench_model::comparison::CrosswalkStatus>(),
        schema_of::<deltabench_model::ProjectId>(),
        schema_of::<deltabench_wire::TaskStatusFilter>(),
    ] {
        components.schemas.entry(name).or_insert(schema);
    }
    for name in ["viewer", "admin"] {
        components.security_schemes.insert(
            name.into(),
            utoipa::openapi::RefOr::T(SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer))),
        );
    }
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            add_common_responses(op);
        }
    }
    doc
}

/// A type's component name and schema.
fn schema_of<T: utoipa::ToSchema>() -> (
    String,
    utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
) {
    (T::name().into_owned(), T::schema())
}

/// The document as served, serialised once.
pub(crate) fn openapi_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    })
}

/// Adds the errors that follow from an operation's shape: 401/403 from its
/// role, 400 from its parameters or body, 413 from a body, and 503 (the
/// request timeout, or storage unavailable) for every route.
fn add_common_responses(op: &mut Operation) {
    let roles: Vec<String> = op
        .security
        .iter()
        .flatten()
        .filter_map(|s| serde_json::to_value(s).ok())
        .filter_map(|v| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
        .flatten()
        .collect();
    let secured = !roles.is_empty();
    // A route that a viewer token opens lists both schemes; one that lists
    // only "admin" refuses viewers.
    let admin_only = roles.iter().any(|r| r == "admin") && !roles.iter().any(|r| r == "viewer");
    let has_input =
        op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut add = |code: &str, description: &str| {
        if !op.responses.responses.contains_key(code) {
            let response = ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build();
            op.responses
                .responses
                .insert(code.to_string(), response.into());
        }
    };
    // The API routes check their parameters and bodies; the dashboard's
    // file name is only looked up (404).
    if has_input && secured {
        add(
            "400",
            "the request is not acceptable as sent; `detail` names the field",
        );
    }
    if secured {
        add("401", "no token, or a token this node does not know");
    }
    if admin_only {
        add("403", "a viewer token on a route that needs an admin token");
    }
    add("503", "the request timed out, or storage is unavailable");
    if op.request_body.is_some() {
        add("413", "the body is larger than the node accepts");
    }
}
