//! What the services share: the caller's seat on an engagement it loads, a stored
//! record's typed data, today's date, and the check of a file as it would be saved.

use axum::http::StatusCode;
use chrono::NaiveDate;
use cloudward_domain::check::{self, CheckError};
use cloudward_domain::engagement::EngagementFile;
use cloudward_store::{Engagement, Record};
use serde::Serialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Principal;
use crate::authz::{Action, Rel};
use crate::error::{ApiError, ApiResult};
use crate::services::engagements::engagement_for;

/// What the caller is on an engagement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seat {
    Customer,
    Provider,
    Assessor,
    SecurityServiceProvider,
}

impl Seat {
    pub(crate) fn of(rel: Rel) -> Option<Seat> {
        match rel {
            Rel::Customer => Some(Seat::Customer),
            Rel::Provider => Some(Seat::Provider),
            Rel::Assessor => Some(Seat::Assessor),
            Rel::SecurityServiceProvider => Some(Seat::SecurityServiceProvider),
            _ => None,
        }
    }
}

/// Where the caller sits on an engagement it has loaded (for what a page offers; access
/// itself is decided by [`Principal::may`]).
pub(crate) fn seat(p: &Principal, e: &Engagement) -> Option<Seat> {
    Seat::of(p.rel_to(e))
}

/// The engagement for `action`, with the caller's seat on it.
pub(crate) async fn acting(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(Engagement, Seat)> {
    let (e, rel) = engagement_for(state, p, id, action).await?;
    let seat = Seat::of(rel).ok_or_else(ApiError::not_found)?;
    Ok((e, seat))
}

pub(crate) fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

pub(crate) fn parse_data<T: serde::de::DeserializeOwned>(r: &Record) -> ApiResult<T> {
    // The server-error log line names the record and the cause; the client sees neither.
    // Read from the stored value in place, without copying it first.
    T::deserialize(&r.data).map_err(|e| {
        ApiError::internal_from(format!("record {} does not match its type: {e}", r.id))
    })
}

pub(crate) fn to_value<T: Serialize>(v: &T) -> ApiResult<Value> {
    serde_json::to_value(v).map_err(ApiError::internal_from)
}

pub(crate) fn invalid(key: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", key)
}

/// Runs `check` on the file as it would be saved; input errors become 422 with details.
pub(crate) fn validate(
    state: &AppState,
    file: &EngagementFile,
    date: NaiveDate,
    lang: cloudward_domain::Lang,
) -> ApiResult<check::Report> {
    let text = serde_saphyr::to_string(file).map_err(ApiError::internal_from)?;
    match check::check(file, &text, &state.content, date) {
        Ok(r) => Ok(r),
        Err(CheckError::Classified) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "check.refused",
        )),
        Err(CheckError::Invalid(errors)) => {
            let details: Vec<Value> = errors
                .iter()
                .map(|e| {
                    json!({
                        "field": e.field,
                        "message": state.messages.render(e.key, lang, &e.args),
                    })
                })
                .collect();
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_engagement",
                "api.invalid_engagement",
            )
            .arg(
                "detail",
                errors
                    .iter()
                    .map(|e| e.field.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
            .details(Value::Array(details)))
        }
    }
}

/// The answer to a change made against a version no longer current: 409.
pub(crate) fn stale(current: i64, given: i64) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "conflict", "api.conflict").arg(
        "detail",
        format!("the engagement is at version {current}, not {given}: read it again and retry"),
    )
}

/// The format of a table for Excel users: `xlsx` (the default) or `csv`; anything else is
/// refused with what is accepted.
pub(crate) fn table_format(asked: Option<&str>) -> ApiResult<cloudward_report::Format> {
    use cloudward_report::Format;
    let id = asked.unwrap_or("xlsx");
    Format::parse(id)
        .filter(|f| matches!(f, Format::Xlsx | Format::Csv))
        .ok_or_else(|| {
            invalid("api.unknown_value")
                .arg("field", "format")
                .arg("value", id)
                .arg("accepted", "xlsx, csv")
        })
}
