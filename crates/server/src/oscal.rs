//! OSCAL exports over HTTP: the catalog, the profile of a level, and an engagement as a
//! system security plan or a POA&M — the documents `cloudward oscal export` writes, from
//! the same functions. Engagements are read through `visible`, so another tenant's id
//! answers 404 as everywhere else.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use cloudward_domain::ProtectionLevel;
use cloudward_domain::check::{self, CheckError};
use cloudward_domain::engagement;
use cloudward_oscal::export;
use cloudward_oscal::model::Document;
use serde::Deserialize;

use crate::AppState;
use crate::api::{export_text, visible};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
pub struct OscalQuery {
    /// The document's last-modified time (RFC 3339 or YYYY-MM-DD); now by default.
    pub timestamp: Option<String>,
    /// Evaluate the engagement as of this date (YYYY-MM-DD); the timestamp's date by default.
    pub date: Option<String>,
    pub lang: Option<String>,
}

fn timestamp(q: &OscalQuery) -> ApiResult<String> {
    use chrono::{DateTime, SecondsFormat, Utc};
    match q.timestamp.as_deref() {
        None => Ok(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)),
        Some(v) => {
            if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                return Ok(format!("{d}T00:00:00Z"));
            }
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                .map_err(|_| ApiError::bad_request("oscal.bad_timestamp").arg("value", v))
        }
    }
}

fn json(doc: &Document) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        doc.to_json(),
    )
        .into_response()
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

async fn catalog(
    State(state): State<AppState>,
    _p: Principal,
    Query(q): Query<OscalQuery>,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    Ok(json(&export::catalog(
        &state.content.catalog,
        &ts,
        version(),
    )))
}

async fn profile(
    State(state): State<AppState>,
    _p: Principal,
    Path(level): Path<String>,
    Query(q): Query<OscalQuery>,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    let Some(level) = ProtectionLevel::parse(&level) else {
        return Err(ApiError::not_found());
    };
    Ok(json(&export::profile(
        &state.content.catalog,
        level,
        &ts,
        version(),
    )))
}

/// The engagement, checked as `cloudward check` checks its exported file.
async fn evaluated(
    state: &AppState,
    p: &Principal,
    id: &str,
    q: &OscalQuery,
    ts: &str,
) -> ApiResult<(engagement::EngagementFile, check::Report)> {
    let e = visible(state, p, id).await?;
    let day = q
        .date
        .as_deref()
        .unwrap_or(ts.get(..10).unwrap_or_default());
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request("input.bad_date").arg("value", day))?;
    let (_, text) = export_text(&e)?;
    let file = engagement::parse(&text).map_err(|_| ApiError::internal())?;
    match check::check(&file, &text, &state.content, date) {
        Ok(report) => Ok((file, report)),
        Err(CheckError::Classified) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "check.refused",
        )),
        Err(CheckError::Invalid(_)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_engagement",
            "api.invalid_engagement",
        )
        .arg("detail", "cloudward check")),
    }
}

async fn ssp(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<OscalQuery>,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    let (file, report) = evaluated(&state, &p, &id, &q, &ts).await?;
    Ok(json(&export::ssp(
        &state.content,
        &file,
        &report,
        &ts,
        version(),
    )))
}

async fn poam(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<OscalQuery>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    let (file, report) = evaluated(&state, &p, &id, &q, &ts).await?;
    let lang = crate::request_lang(uri.query(), &headers);
    let render = |f: &check::Finding| state.messages.render(&f.key(), lang, &f.args);
    Ok(json(&export::poam(
        &file,
        &report,
        &render,
        None,
        &ts,
        version(),
    )))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/oscal/catalog", get(catalog))
        .route("/api/v1/oscal/profiles/{level}", get(profile))
        .route("/api/v1/engagements/{id}/oscal/ssp", get(ssp))
        .route("/api/v1/engagements/{id}/oscal/poam", get(poam))
}
