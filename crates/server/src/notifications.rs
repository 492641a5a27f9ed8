//! The notification settings of an organisation and its delivery log (organisation
//! administrators): extract, call `services::notifications`, render.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::services::notifications::{self as service, ChannelInput, ChannelView, DeliveryView};

/// The organisation's channels (never a secret; URLs with their query values hidden).
#[utoipa::path(get, path = "/api/v1/notifications/channels", tag = "notifications",
    responses((status = 200, body = Vec<ChannelView>)))]
pub async fn list_channels(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<ChannelView>>> {
    Ok(Json(service::channels(&state, &p).await?))
}

/// A new channel: mail to recipients, or a webhook (generic JSON, WeCom, DingTalk, Feishu)
/// with an optional signing secret, and the events it gets.
#[utoipa::path(post, path = "/api/v1/notifications/channels", tag = "notifications",
    request_body = ChannelInput,
    responses((status = 201, body = ChannelView), (status = 400, description = "a setting is refused; `field` names it")))]
pub async fn create_channel(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<ChannelInput>,
) -> ApiResult<Response> {
    let c = service::create_channel(&state, &p, req).await?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

/// New settings of a channel (the URL and the secret are kept when not given; a secret of
/// `""` removes it).
#[utoipa::path(put, path = "/api/v1/notifications/channels/{id}", tag = "notifications",
    request_body = ChannelInput,
    responses((status = 200, body = ChannelView), (status = 400, description = "a setting is refused"),
        (status = 404), (status = 409, description = "the version read is no longer current")))]
pub async fn update_channel(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ChannelInput>,
) -> ApiResult<Json<ChannelView>> {
    Ok(Json(service::update_channel(&state, &p, &id, req).await?))
}

/// Removes a channel (its delivery log stays).
#[utoipa::path(delete, path = "/api/v1/notifications/channels/{id}", tag = "notifications",
    responses((status = 204), (status = 404)))]
pub async fn delete_channel(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service::delete_channel(&state, &p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a test message to the channel now, once, and answers how it went.
#[utoipa::path(post, path = "/api/v1/notifications/channels/{id}/test", tag = "notifications",
    responses((status = 200, body = DeliveryView), (status = 404)))]
pub async fn test_channel(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<DeliveryView>> {
    Ok(Json(service::test_channel(&state, &p, &id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LogQuery {
    /// At most this many, newest first (1–500, default 100).
    pub limit: Option<i64>,
}

/// The delivery log: each notification with its state, attempts and last error.
#[utoipa::path(get, path = "/api/v1/notifications/deliveries", tag = "notifications",
    params(LogQuery), responses((status = 200, body = Vec<DeliveryView>)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LogQuery>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    Ok(Json(service::deliveries(&state, &p, q.limit).await?))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/notifications/channels",
            get(list_channels).post(create_channel),
        )
        .route(
            "/api/v1/notifications/channels/{id}",
            put(update_channel).delete(delete_channel),
        )
        .route(
            "/api/v1/notifications/channels/{id}/test",
            post(test_channel),
        )
        .route("/api/v1/notifications/deliveries", get(list_deliveries))
}
