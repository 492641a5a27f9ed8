//! Console administration: organisations (platform administrators), users of an
//! organisation and API tokens (organisation administrators). The handlers call the API's,
//! so the same rules apply; a new token is shown once, on the page that created it.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::pages::{Nav, nav};
use super::{Ui, Viewer, check_csrf, refused, render};
use crate::AppState;
use crate::admin as api;
use crate::api::ApiJson;
use crate::auth::OrgView;

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_orgs.html")]
pub struct OrgsPage {
    ui: Ui,
    nav: Option<Nav>,
    orgs: Vec<OrgView>,
    platform_admin: bool,
    done: Option<String>,
}

pub async fn orgs(State(state): State<AppState>, v: Viewer, Query(d): Query<Done>) -> Response {
    match api::list_orgs(State(state), v.p.clone()).await {
        Ok(axum::Json(orgs)) => render(&OrgsPage {
            nav: Some(nav(&v, "admin", "/admin/orgs")),
            ui: v.ui.clone(),
            orgs,
            platform_admin: v.p.platform_admin,
            done: d.done,
        }),
        Err(e) => refused(&v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct OrgForm {
    csrf_token: Option<String>,
    name: String,
    kind: String,
}

pub async fn create_org(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<OrgForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let body = api::CreateOrg {
        name: f.name,
        kind: f.kind,
    };
    match api::create_org(State(state), v.p.clone(), ApiJson(body)).await {
        Ok(_) => Redirect::to(&format!(
            "/admin/orgs?done={}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        Err(e) => refused(&v, &e),
    }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    ui: Ui,
    nav: Option<Nav>,
    org_id: String,
    users: Vec<api::UserView>,
    done: Option<String>,
}

pub async fn users(
    State(state): State<AppState>,
    v: Viewer,
    Path(org_id): Path<String>,
    Query(d): Query<Done>,
) -> Response {
    match api::list_users(State(state), v.p.clone(), Path(org_id.clone())).await {
        Ok(axum::Json(users)) => render(&UsersPage {
            nav: Some(nav(&v, "admin", &format!("/admin/orgs/{org_id}/users"))),
            ui: v.ui.clone(),
            org_id,
            users,
            done: d.done,
        }),
        Err(e) => refused(&v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    csrf_token: Option<String>,
    username: String,
    password: String,
    role: String,
}

pub async fn create_user(
    State(state): State<AppState>,
    v: Viewer,
    Path(org_id): Path<String>,
    Form(f): Form<UserForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let body = api::CreateUser {
        username: f.username,
        display_name: None,
        password: f.password,
        role: f.role,
    };
    match api::create_user(
        State(state),
        v.p.clone(),
        Path(org_id.clone()),
        ApiJson(body),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!(
            "/admin/orgs/{org_id}/users?done={}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        Err(e) => refused(&v, &e),
    }
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
pub struct TokensPage {
    ui: Ui,
    nav: Option<Nav>,
    tokens: Vec<cloudward_store::ApiToken>,
    created: Option<String>,
    done: Option<String>,
}

async fn tokens_page(
    state: AppState,
    v: &Viewer,
    created: Option<String>,
    done: Option<String>,
) -> Response {
    match api::list_tokens(State(state), v.p.clone()).await {
        Ok(axum::Json(tokens)) => render(&TokensPage {
            nav: Some(nav(v, "admin", "/admin/tokens")),
            ui: v.ui.clone(),
            tokens,
            created,
            done,
        }),
        Err(e) => refused(v, &e),
    }
}

pub async fn tokens(State(state): State<AppState>, v: Viewer, Query(d): Query<Done>) -> Response {
    tokens_page(state, &v, None, d.done).await
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    csrf_token: Option<String>,
    name: String,
    role: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<TokenForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let body = api::CreateToken {
        name: f.name,
        role: f.role,
    };
    match api::create_token(State(state.clone()), v.p.clone(), ApiJson(body)).await {
        Ok(r) => {
            let bytes = axum::body::to_bytes(r.into_body(), 1 << 16)
                .await
                .unwrap_or_default();
            let token = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v["token"].as_str().map(str::to_owned));
            // Shown on this page only: it is not kept anywhere in the clear.
            let mut page = tokens_page(state, &v, token, None).await;
            page.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            page
        }
        Err(e) => refused(&v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf_token: Option<String>,
}

pub async fn revoke_token(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    match api::revoke_token(State(state), v.p.clone(), Path(id)).await {
        Ok(_) => Redirect::to(&format!(
            "/admin/tokens?done={}",
            super::urlencode(&v.ui.t("ui.token_revoked"))
        ))
        .into_response(),
        Err(e) => refused(&v, &e),
    }
}
