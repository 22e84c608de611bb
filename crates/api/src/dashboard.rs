//! The dashboard: static pages built into the binary, so a node on a closed
//! network serves it with nothing loaded from elsewhere. The pages read the
//! API with the viewer token the user gives them.

use crate::ApiError;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("../dashboard/index.html");
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "dashboard.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/dashboard.js"),
    ),
    (
        "dashboard.css",
        "text/css; charset=utf-8",
        include_str!("../dashboard/dashboard.css"),
    ),
];

fn page(content_type: &'static str, body: &'static str) -> Response {
    let mut resp = body.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The pages talk only to this node; nothing else may be loaded or framed.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; \
             script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

#[utoipa::path(
    get,
    path = "/",
    tag = "dashboard",
    summary = "The dashboard (HTML); its pages ask for a viewer token",
    responses((status = 200, description = "the dashboard page", body = String, content_type = "text/html"))
)]
pub(crate) async fn index() -> Response {
    page("text/html; charset=utf-8", INDEX)
}

#[utoipa::path(
    get,
    path = "/dashboard/{file}",
    tag = "dashboard",
    summary = "The dashboard's script and style sheet",
    params(("file" = String, Path, description = "dashboard.js or dashboard.css", example = "dashboard.js")),
    responses(
        (status = 200, description = "the file", content((String = "text/javascript"), (String = "text/css"))),
        (status = 404, description = "no such file", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn asset(path: Result<Path<String>, PathRejection>) -> Result<Response, ApiError> {
    let Path(file) = path?;
    ASSETS
        .iter()
        .find(|(name, _, _)| *name == file)
        .map(|(_, ctype, body)| page(ctype, body))
        .ok_or_else(|| ApiError::not_found(format!("no dashboard file {file:?}")))
}
