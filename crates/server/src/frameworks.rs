//! The frameworks API: thin handlers over `services::frameworks`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::services::frameworks::{self, ControlView, ControlsView, FrameworkView, MappingView};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The framework's short name: letters, digits, `-`, `_`, `.` (at most 64).
    pub name: String,
    /// For a profile: the id of the imported framework it selects from.
    pub catalog: Option<String>,
    /// Replace a framework of the same name and owner (else 409).
    #[serde(default)]
    pub replace: bool,
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ControlQuery {
    /// Text searched in ids, labels, titles, statements and guidance, either language.
    pub q: Option<String>,
    /// A group (family) id.
    pub group: Option<String>,
    pub lang: Option<String>,
}

/// Import an OSCAL catalog, or a profile resolved against an imported framework (`catalog`).
#[utoipa::path(post, path = "/api/v1/frameworks", tag = "oscal", params(ImportQuery),
    request_body(content = Object, description = "an OSCAL 1.x catalog or profile"),
    responses((status = 201, body = FrameworkView), (status = 400, description = "not an OSCAL catalog or profile; the JSON path is named"),
        (status = 403, description = "not an organisation administrator or the platform administrator"),
        (status = 409, description = "a framework of that name exists (use replace=true)")))]
pub async fn import(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let input = frameworks::FrameworkImport {
        name: q.name,
        catalog: q.catalog,
        replace: q.replace,
    };
    let info = frameworks::import_document(&state, &p, &input, &body).await?;
    Ok((StatusCode::CREATED, Json(FrameworkView::from(info))).into_response())
}

/// The frameworks the caller sees.
#[utoipa::path(get, path = "/api/v1/frameworks", tag = "oscal", responses((status = 200, body = Vec<FrameworkView>)))]
pub async fn list(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<FrameworkView>>> {
    Ok(Json(frameworks::list(&state, &p).await?))
}

/// A framework as the OSCAL catalog it is kept as.
#[utoipa::path(get, path = "/api/v1/frameworks/{id}", tag = "oscal", responses((status = 200, body = Object, description = "the framework as the OSCAL 1.2.1 catalog it is kept as (NIST's oscal_catalog_schema.json)"), (status = 404, description = "no such framework, or not visible")))]
pub async fn document(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let doc = frameworks::document(&state, &p, &id).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        doc,
    )
        .into_response())
}

/// A framework's groups and the controls matching a search.
#[utoipa::path(get, path = "/api/v1/frameworks/{id}/controls", tag = "oscal", params(ControlQuery), responses((status = 200, body = ControlsView)))]
pub async fn controls(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<ControlQuery>,
) -> ApiResult<Json<ControlsView>> {
    Ok(Json(
        frameworks::controls(&state, &p, &id, q.group.as_deref(), q.q.as_deref()).await?,
    ))
}

/// One control of a framework, its enhancements, and our controls that reference it.
#[utoipa::path(get, path = "/api/v1/frameworks/{id}/controls/{control}", tag = "oscal", responses((status = 200, body = ControlView), (status = 404, description = "no such framework or control")))]
pub async fn control(
    State(state): State<AppState>,
    p: Principal,
    Path((id, control)): Path<(String, String)>,
) -> ApiResult<Json<ControlView>> {
    Ok(Json(frameworks::control(&state, &p, &id, &control).await?))
}

/// Our catalog's references (`refs.nist`) against the framework: each reference and the
/// framework control it names, the references it lacks, and its controls we do not cover.
#[utoipa::path(get, path = "/api/v1/frameworks/{id}/mapping", tag = "oscal", responses((status = 200, body = MappingView)))]
pub async fn mapping(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<MappingView>> {
    Ok(Json(frameworks::mapping(&state, &p, &id).await?))
}

/// Delete a framework (the platform's: the platform administrator; an organisation's: its
/// administrator).
#[utoipa::path(delete, path = "/api/v1/frameworks/{id}", tag = "oscal", responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    frameworks::delete_visible(&state, &p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes(limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/frameworks",
            get(list)
                .post(import)
                .layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .route("/api/v1/frameworks/{id}", get(document).delete(delete))
        .route("/api/v1/frameworks/{id}/controls", get(controls))
        .route("/api/v1/frameworks/{id}/controls/{control}", get(control))
        .route("/api/v1/frameworks/{id}/mapping", get(mapping))
}
