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
    /// For the log only, never sent: what went wrong underneath a server error.
    pub detail: Option<String>,
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
            detail: None,
        }
    }

    pub fn details(mut self, details: serde_json::Value) -> ApiError {
        self.details = Some(details);
        self
    }

    /// What a person reads of the details: each one's message, or its code when it has
    /// none.
    pub fn detail_messages(&self) -> Vec<String> {
        let Some(list) = self.details.as_ref().and_then(|d| d.as_array()) else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|d| {
                d.get("message")
                    .and_then(|m| m.as_str())
                    .or_else(|| d.get("code").and_then(|c| c.as_str()))
                    .map(str::to_owned)
            })
            .collect()
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

    /// A server error caused by `cause`, which the log shows (with the request) and the
    /// client never sees.
    pub fn internal_from(cause: impl std::fmt::Display) -> ApiError {
        let mut e = ApiError::internal();
        e.detail = Some(cause.to_string());
        e
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
            // Logged with the request by `localise`.
            other => ApiError::internal_from(format!("storage failed: {other}")),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storage_failure_is_a_500_that_keeps_its_cause_for_the_log() {
        let e = ApiError::from(StoreError::Other("disk full".into()));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.code, "internal");
        assert!(
            e.detail.as_deref().is_some_and(|d| d.contains("disk full")),
            "{:?}",
            e.detail
        );
        assert!(e.args.is_empty(), "the cause is not rendered to the client");
        let e = ApiError::from(StoreError::NotFound);
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        assert!(e.detail.is_none());
    }
}
