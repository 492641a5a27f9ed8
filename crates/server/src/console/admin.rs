//! Console administration: organisations (platform administrators), users of an
//! organisation and API tokens (organisation administrators). The pages call the same
//! services as the API, so the same rules apply; a new token is shown once, on the page
//! that created it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::ConsoleForm;
use super::pages::{Nav, nav};
use super::{Echo, Ui, Viewer, check_csrf, is_form_problem, refused, render};
use crate::AppState;
use crate::auth::OrgView;
use crate::services::organisations::{
    self as service, NewMember, NewOrganisation, TokenRequest, TokenView, UserAction, UserView,
};

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// A page shown again after its form was refused: the status of the refusal, the summary.
fn again(mut page: Response, status: axum::http::StatusCode) -> Response {
    if page.status().is_success() {
        *page.status_mut() = status;
    }
    page
}

fn summary(v: &Viewer, echo: &Echo) -> Option<String> {
    match echo.error("") {
        Some(m) => Some(m.to_owned()),
        None if !echo.errors.is_empty() => Some(v.ui.t("ui.form_not_taken")),
        None => None,
    }
}

#[derive(Template)]
#[template(path = "admin_orgs.html")]
pub struct OrgsPage {
    ui: Ui,
    nav: Option<Nav>,
    orgs: Vec<OrgView>,
    platform_admin: bool,
    done: Option<String>,
    problem: Option<String>,
    echo: Echo,
}

pub async fn orgs(State(state): State<AppState>, v: Viewer, Query(d): Query<Done>) -> Response {
    orgs_page(&state, &v, d.done, Echo::default()).await
}

async fn orgs_page(state: &AppState, v: &Viewer, done: Option<String>, echo: Echo) -> Response {
    match service::list(state, &v.p).await {
        Ok(orgs) => render(&OrgsPage {
            nav: Some(nav(v, "admin", "/admin/orgs")),
            ui: v.ui.clone(),
            orgs,
            platform_admin: v.p.platform_admin,
            done,
            problem: summary(v, &echo),
            echo,
        }),
        Err(e) => refused(v, &e),
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
    ConsoleForm(f): ConsoleForm<OrgForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let created = match service::org_kind(&f.kind) {
        Ok(kind) => {
            let new = NewOrganisation {
                name: f.name.clone(),
                kind,
            };
            service::create(&state, &v.p, new).await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(_) => Redirect::to(&format!(
            "/admin/orgs?done={}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        Err(e) if is_form_problem(&e) || e.status == axum::http::StatusCode::CONFLICT => {
            let echo = Echo::from_error(&v, "org", &[("name", &f.name), ("kind", &f.kind)], &e);
            again(orgs_page(&state, &v, None, echo).await, e.status)
        }
        Err(e) => refused(&v, &e),
    }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    ui: Ui,
    nav: Option<Nav>,
    org_id: String,
    users: Vec<UserView>,
    done: Option<String>,
    problem: Option<String>,
    echo: Echo,
    /// A password the server generated for a reset: shown on this page once.
    shown_password: Option<String>,
    shown_for: String,
}

pub async fn users(
    State(state): State<AppState>,
    v: Viewer,
    Path(org_id): Path<String>,
    Query(d): Query<Done>,
) -> Response {
    users_page(&state, &v, org_id, d.done, Echo::default(), None).await
}

async fn users_page(
    state: &AppState,
    v: &Viewer,
    org_id: String,
    done: Option<String>,
    echo: Echo,
    shown: Option<(String, String)>,
) -> Response {
    match service::users(state, &v.p, &org_id).await {
        Ok(users) => {
            let (shown_for, shown_password) = match shown {
                Some((user, pw)) => (user, Some(pw)),
                None => (String::new(), None),
            };
            render(&UsersPage {
                nav: Some(nav(v, "admin", &format!("/admin/orgs/{org_id}/users"))),
                ui: v.ui.clone(),
                org_id,
                users,
                done,
                problem: summary(v, &echo),
                echo,
                shown_password,
                shown_for,
            })
        }
        Err(e) => refused(v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct UserChangeForm {
    csrf_token: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// One administrator's action on a user (`form`: which form of the user's row), the page
/// again: a note, a generated password shown once, or the refusal beside its field.
async fn act_on_user(
    state: &AppState,
    v: &Viewer,
    org_id: String,
    user_id: String,
    form: &'static str,
    f: UserChangeForm,
) -> Response {
    if let Some(r) = check_csrf(v, f.csrf_token.as_ref()) {
        return r;
    }
    let role_sent = f.role.clone().unwrap_or_default();
    let what = match form {
        "disable" => Ok(UserAction::Disable),
        "enable" => Ok(UserAction::Enable),
        "unlock" => Ok(UserAction::Unlock),
        "password" => Ok(UserAction::ResetPassword(
            f.password.filter(|p| !p.is_empty()),
        )),
        // Who may is decided before the role is read (as the API does).
        _ => UserAction::authorise(&v.p, crate::authz::Action::UserRole, &org_id)
            .and_then(|()| service::role(&role_sent))
            .map(UserAction::Role),
    };
    let done = match what {
        Ok(what) => service::change_user(state, &v.p, &org_id, &user_id, what).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(changed) => match changed.password {
            Some(pw) => {
                let mut page = users_page(
                    state,
                    v,
                    org_id,
                    Some(v.ui.t("ui.password_was_reset")),
                    Echo::default(),
                    Some((changed.user.username, pw)),
                )
                .await;
                page.headers_mut().insert(
                    axum::http::header::CACHE_CONTROL,
                    axum::http::HeaderValue::from_static("no-store"),
                );
                page
            }
            None => {
                let note = match form {
                    "disable" => "ui.user_disabled",
                    "enable" => "ui.user_enabled",
                    "unlock" => "ui.user_unlocked",
                    "password" => "ui.password_was_reset",
                    _ => "ui.role_changed",
                };
                Redirect::to(&format!(
                    "/admin/orgs/{org_id}/users?done={}",
                    super::urlencode(&v.ui.t1(note, "user", &changed.user.username))
                ))
                .into_response()
            }
        },
        Err(e) if is_form_problem(&e) || e.status == axum::http::StatusCode::CONFLICT => {
            let echo =
                Echo::from_error(v, format!("{form}:{user_id}"), &[("role", &role_sent)], &e);
            again(
                users_page(state, v, org_id, None, echo, None).await,
                e.status,
            )
        }
        Err(e) => refused(v, &e),
    }
}

macro_rules! user_action {
    ($($name:ident => $form:literal;)*) => {$(
        pub async fn $name(
            State(state): State<AppState>,
            v: Viewer,
            Path((org_id, user_id)): Path<(String, String)>,
            ConsoleForm(f): ConsoleForm<UserChangeForm>,
        ) -> Response {
            act_on_user(&state, &v, org_id, user_id, $form, f).await
        }
    )*};
}

user_action! {
    disable_user => "disable";
    enable_user => "enable";
    unlock_user => "unlock";
    reset_password => "password";
    change_role => "role";
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
    ConsoleForm(f): ConsoleForm<UserForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let created = match service::role(&f.role) {
        Ok(role) => {
            let new = NewMember {
                username: f.username.clone(),
                display_name: None,
                password: f.password.clone(),
                role,
            };
            service::add_user(&state, &v.p, &org_id, new).await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(_) => Redirect::to(&format!(
            "/admin/orgs/{org_id}/users?done={}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        // The password is not given back: it is typed again.
        Err(e) if is_form_problem(&e) || e.status == axum::http::StatusCode::CONFLICT => {
            let echo = Echo::from_error(
                &v,
                "user",
                &[("username", &f.username), ("role", &f.role)],
                &e,
            );
            again(
                users_page(&state, &v, org_id, None, echo, None).await,
                e.status,
            )
        }
        Err(e) => refused(&v, &e),
    }
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
pub struct TokensPage {
    ui: Ui,
    nav: Option<Nav>,
    tokens: Vec<TokenView>,
    /// The engagements a token may be limited to: (id, name).
    engagements: Vec<(String, String)>,
    created: Option<String>,
    done: Option<String>,
    problem: Option<String>,
    echo: Echo,
}

async fn tokens_page(
    state: AppState,
    v: &Viewer,
    created: Option<String>,
    done: Option<String>,
    echo: Echo,
) -> Response {
    let filter = cloudward_store::EngagementFilter {
        limit: 200,
        ..Default::default()
    };
    let engagements = match crate::services::engagements::list(&state, &v.p, filter).await {
        Ok(page) => page.items.into_iter().map(|e| (e.id, e.name)).collect(),
        Err(e) => return refused(v, &e),
    };
    match service::tokens(&state, &v.p).await {
        Ok(tokens) => render(&TokensPage {
            nav: Some(nav(v, "admin", "/admin/tokens")),
            ui: v.ui.clone(),
            tokens,
            engagements,
            created,
            done,
            problem: summary(v, &echo),
            echo,
        }),
        Err(e) => refused(v, &e),
    }
}

pub async fn tokens(State(state): State<AppState>, v: Viewer, Query(d): Query<Done>) -> Response {
    tokens_page(state, &v, None, d.done, Echo::default()).await
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    csrf_token: Option<String>,
    name: String,
    role: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    engagement_id: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    v: Viewer,
    ConsoleForm(f): ConsoleForm<TokenForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let created = match service::role(&f.role) {
        Ok(role) => {
            let req = TokenRequest {
                name: f.name.clone(),
                role,
                expires_on: Some(f.expires_on.clone()),
                expires_in_days: None,
                engagement_id: Some(f.engagement_id.clone()),
            };
            service::create_token(&state, &v.p, req).await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(new) => {
            // Shown on this page only: it is not kept anywhere in the clear.
            let mut page = tokens_page(state, &v, Some(new.token), None, Echo::default()).await;
            page.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            page
        }
        Err(e) if is_form_problem(&e) => {
            let echo = Echo::from_error(
                &v,
                "token",
                &[
                    ("name", &f.name),
                    ("role", &f.role),
                    ("expires_on", &f.expires_on),
                    ("engagement_id", &f.engagement_id),
                ],
                &e,
            );
            let status = e.status;
            again(tokens_page(state, &v, None, None, echo).await, status)
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
    ConsoleForm(f): ConsoleForm<CsrfOnly>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    match service::revoke_token(&state, &v.p, &id).await {
        Ok(_) => Redirect::to(&format!(
            "/admin/tokens?done={}",
            super::urlencode(&v.ui.t("ui.token_revoked"))
        ))
        .into_response(),
        Err(e) => refused(&v, &e),
    }
}
