//! The signed-in user's own account: who they are, and changing their password (the
//! current one first; their other sessions end, this one goes on). A user whose password
//! an administrator reset is sent here before anything else.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::ConsoleForm;
use super::pages::{Nav, nav};
use super::{Echo, Ui, Viewer, check_csrf, is_form_problem, problem_text, refused, render};
use crate::AppState;

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    ui: Ui,
    nav: Option<Nav>,
    username: String,
    org: Option<String>,
    role: String,
    must_change: bool,
    done: Option<String>,
    problem: Option<String>,
    echo: Echo,
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn page(v: &Viewer, done: Option<String>, echo: Echo) -> Response {
    let n = nav(v, "account", "/account");
    let problem = match echo.error("") {
        Some(m) => Some(m.to_owned()),
        None if !echo.errors.is_empty() => Some(v.ui.t("ui.form_not_taken")),
        None => None,
    };
    render(&AccountPage {
        ui: v.ui.clone(),
        username: n.user.clone(),
        org: (!n.org.is_empty()).then(|| n.org.clone()),
        role: n.role.clone(),
        nav: Some(n),
        must_change: v.p.must_change_password,
        done,
        problem,
        echo,
    })
}

pub async fn show(v: Viewer, Query(d): Query<Done>) -> Response {
    page(&v, d.done, Echo::default())
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    csrf_token: Option<String>,
    current_password: String,
    new_password: String,
    new_password_again: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    v: Viewer,
    ConsoleForm(f): ConsoleForm<PasswordForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    // Passwords are never given back: the form comes back empty, the reason by its field.
    if f.new_password != f.new_password_again {
        let echo = Echo::refused(
            "password",
            &[],
            "new_password_again",
            v.ui.t("ui.passwords_differ"),
        );
        let mut r = page(&v, None, echo);
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    }
    match crate::auth::change_own_password(&state, &v.p, f.current_password, f.new_password).await {
        Ok(()) => {
            let note = super::urlencode(&v.ui.t("ui.password_changed"));
            // After a reset, the user is free to go on to the dashboard.
            let to = if v.p.must_change_password {
                format!("/dashboard?done={note}")
            } else {
                format!("/account?done={note}")
            };
            Redirect::to(&to).into_response()
        }
        Err(e) if is_form_problem(&e) => {
            let field = e
                .args
                .iter()
                .find(|(k, _)| *k == "field")
                .map(|(_, f)| f.as_str())
                .unwrap_or("");
            let echo = Echo::refused("password", &[], field, problem_text(&v, &e));
            let mut r = page(&v, None, echo);
            *r.status_mut() = e.status;
            r
        }
        Err(e) => refused(&v, &e),
    }
}
