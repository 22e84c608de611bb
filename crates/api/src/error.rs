//! One error type for every handler, answered as RFC 9457 problem+json.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use deltabench_wire::{Problem, RowError};

/// An error answered to the client as `application/problem+json`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A short, stable slug that becomes the problem `type`
    /// (`https://deltabench.invalid/problems/<slug>`).
    pub slug: &'static str,
    /// Details for the client. Internal errors never carry internals here.
    pub detail: String,
    /// The problem's optional members (the field, or the row and column of a
    /// bad CSV cell); its `type`, `title`, `status` and `detail` are set
    /// from the fields above when it is answered.
    pub extra: Box<Problem>,
}

impl ApiError {
    /// An error with the given status, slug and detail.
    pub fn new(status: StatusCode, slug: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            slug,
            detail: detail.into(),
            extra: Box::default(),
        }
    }

    /// 400: the request is not acceptable as sent.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    /// 404: nothing is there.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    /// 401: no valid token was given.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403: the token's role may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 503 for storage failures: the disk is full, read-only or failing. The
    /// cause is logged in full; the client learns only that storage failed.
    pub fn storage(e: impl std::fmt::Display) -> Self {
        let text = e.to_string();
        tracing::error!(error = %text, "storage failure");
        // The causes an operator can act on are named; others stay in the log.
        let cause = if text.contains("No space left") {
            "the node's disk is full"
        } else if text.contains("Read-only file system") {
            "the node's disk is read-only"
        } else {
            "the node's storage failed"
        };
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage-unavailable",
            format!(
                "{cause}; this request was not stored. Once the disk is fixed, restart \
                 the node: it reopens exactly what was acknowledged"
            ),
        )
    }

    /// 500: a bug. Logged in full; the client learns nothing of internals.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; it has been logged",
        )
    }

    /// Names the refused field and why.
    pub fn with_field(mut self, field: impl Into<String>, reason: impl Into<String>) -> Self {
        self.extra.field = Some(field.into());
        self.extra.reason = Some(reason.into());
        self
    }

    /// Gives the stable reason code of a refusal.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.extra.reason = Some(reason.into());
        self
    }

    /// Names the place in an import: the data row (0 for the header), the
    /// line, the column.
    pub fn with_place(mut self, row: usize, line: Option<u64>, column: Option<String>) -> Self {
        self.extra.row = Some(row);
        self.extra.line = line;
        self.extra.column = column;
        self
    }

    /// Lists every refused row of an import.
    pub fn with_errors(mut self, errors: Vec<RowError>) -> Self {
        self.extra.errors = Some(errors);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            type_: format!("https://deltabench.invalid/problems/{}", self.slug),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            ..*self.extra
        };
        let body = serde_json::to_string(&problem).unwrap_or_default();
        let mut resp = (self.status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        from_rejection(r.status(), r.body_text())
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(r: axum::extract::rejection::BytesRejection) -> Self {
        from_rejection(r.status(), r.body_text())
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        from_rejection(StatusCode::BAD_REQUEST, r.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        from_rejection(r.status(), r.body_text())
    }
}

fn from_rejection(status: StatusCode, text: String) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(status, "payload-too-large", text),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(status, "unsupported-media-type", text),
        s if s.is_client_error() => ApiError::new(s, "bad-request", text),
        _ => ApiError::internal(text),
    }
}
