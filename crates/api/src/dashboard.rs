//! The dashboard and the public rating page: static pages built into the
//! binary, so a node on a closed network serves them with nothing loaded
//! from elsewhere. The dashboard reads the API with the viewer token the
//! user gives it; the public page uses only the `/public/v1` routes, which
//! need none.

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

const PUBLIC_INDEX: &str = include_str!("../public/index.html");
const PUBLIC_ASSETS: &[(&str, &str, &str)] = &[
    (
        "public.js",
        "text/javascript; charset=utf-8",
        include_str!("../public/public.js"),
    ),
    (
        "public.css",
        "text/css; charset=utf-8",
        include_str!("../public/public.css"),
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
    serve(ASSETS, path, "dashboard")
}

/// The file of `assets` the path names, or 404 naming `what`'s files.
fn serve(
    assets: &[(&str, &'static str, &'static str)],
    path: Result<Path<String>, PathRejection>,
    what: &str,
) -> Result<Response, ApiError> {
    let Path(file) = path?;
    assets
        .iter()
        .find(|(name, _, _)| *name == file)
        .map(|(_, ctype, body)| page(ctype, body))
        .ok_or_else(|| ApiError::not_found(format!("no {what} file {file:?}")))
}

#[utoipa::path(
    get,
    path = "/public/",
    tag = "public rating",
    summary = "The public rating page (HTML, Chinese first with an English toggle; no token)",
    responses((status = 200, description = "the page", body = String, content_type = "text/html"))
)]
pub(crate) async fn public_index() -> Response {
    page("text/html; charset=utf-8", PUBLIC_INDEX)
}

#[utoipa::path(
    get,
    path = "/public/assets/{file}",
    tag = "public rating",
    summary = "The public page's script and style sheet",
    params(("file" = String, Path, description = "public.js or public.css", example = "public.js")),
    responses(
        (status = 200, description = "the file", content((String = "text/javascript"), (String = "text/css"))),
        (status = 404, description = "no such file", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub(crate) async fn public_asset(
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    serve(PUBLIC_ASSETS, path, "public page")
}
