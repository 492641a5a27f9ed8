//! API errors: `{"error": {"code", "message"}}` with the right status. The message is
//! rendered in the request's language by the `localise` middleware, which finds the error
//! in the response's extensions.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cloudward_store::StoreError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine code, e.g. `not_found`.
    pub code: &'static str,
    /// Message key in `content/i18n/messages.yaml` and its arguments.
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// Structured detail for clients (the blockers of a refused transition, say).
    pub details: Option<serde_json::Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, key: &'static str) -> ApiError {
        ApiError {
            status,
            code,
            key,
            args: Vec::new(),
            details: None,
        }
    }

    pub fn details(mut self, details: serde_json::Value) -> ApiError {
        self.details = Some(details);
        self
    }

    pub fn arg(mut self, name: &'static str, value: impl ToString) -> ApiError {
        self.args.push((name, value.to_string()));
        self
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "api.not_found")
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "api.forbidden")
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "api.unauthenticated",
        )
    }

    pub fn bad_request(key: &'static str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", key)
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "api.internal",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict(detail) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", "api.conflict")
                    .arg("detail", detail)
            }
            other => {
                tracing::error!(error = %other, "storage failed");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The body is written by `localise`, which knows the language.
        let mut r = (
            self.status,
            axum::Json(serde_json::json!({ "error": { "code": self.code, "message": self.key } })),
        )
            .into_response();
        r.extensions_mut().insert(self);
        r
    }
}
