//! The console's audit log: the entries the viewer may see, newest first, 50 a page, found
//! by days, who, what was done and to what; each in words, with a link to the object it
//! changed; the chain's verification for the platform's administrators; the same entries
//! as a CSV file.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use cloudward_store::AuditEntry;
use serde::Deserialize;

use super::pages::{Nav, nav};
use super::{Ui, Viewer, render, viewer_error};
use crate::AppState;
use crate::authz::{Action, Rel};
use crate::services::organisations::{self, AuditQuery as Filters};

/// Entries per page.
const PER_PAGE: i64 = 50;
/// The most entries one CSV export holds (the newest, when more match).
pub const EXPORT_LIMIT: i64 = 100_000;

/// The kinds of object the filter offers (the audit entries' `object_type`).
const KINDS: [&str; 20] = [
    "engagement",
    "responsibility_row",
    "transition",
    "offering",
    "offering_use",
    "assessment",
    "assessment_evidence",
    "scan_run",
    "finding",
    "notice",
    "evidence",
    "evidence_file",
    "exit",
    "user",
    "session",
    "api_token",
    "organisation",
    "framework",
    "notification_channel",
    "notification",
];

/// What was done, as the filter offers it (the verb of an action, `kind.verb`).
const VERBS: [&str; 13] = [
    "create",
    "update",
    "delete",
    "confirm",
    "revoke",
    "login",
    "logout",
    "login_failed",
    "locked",
    "file",
    "import",
    "password_change",
    "set_lang",
];

pub struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    /// The action in words, and its code.
    action: String,
    code: String,
    object: String,
    object_id: String,
    /// The page of the object changed, where there is one.
    link: Option<String>,
    hash: String,
}

/// An audit action (`notice.create`, `auth.login_failed` …) in the reader's words: what
/// was done to what; the code when the message table has no words for it.
pub fn audit_words(ui: &Ui, action: &str) -> String {
    let Some((kind, verb)) = action.split_once('.') else {
        return action.to_owned();
    };
    match (
        ui.maybe(&format!("ui.audit.kind.{kind}")),
        ui.maybe(&format!("ui.audit.verb.{verb}")),
    ) {
        (Some(k), Some(v)) => ui.targs("ui.audit.action", &[("kind", k), ("verb", v)]),
        _ => action.to_owned(),
    }
}

/// A kind of object in the reader's words (its code when there are none).
fn kind_words(ui: &Ui, kind: &str) -> String {
    ui.maybe(&format!("ui.audit.kind.{kind}"))
        .unwrap_or_else(|| kind.to_owned())
}

/// The console page of the object an entry changed.
fn link_of(e: &AuditEntry) -> Option<String> {
    let eng = e.engagement_id.as_deref();
    let id = e.object_id.as_str();
    Some(match (e.object_type.as_str(), eng) {
        ("engagement", _) => format!("/engagements/{id}"),
        ("responsibility_row", Some(g)) => format!("/engagements/{g}/responsibility"),
        ("finding" | "scan_run", Some(g)) => format!("/engagements/{g}/supervision#findings"),
        ("notice", Some(g)) => format!("/engagements/{g}/supervision#notices"),
        ("evidence" | "evidence_file", Some(g)) => {
            format!("/engagements/{g}/supervision#evidence")
        }
        ("exit", Some(g)) => format!("/engagements/{g}/exit"),
        ("assessment", _) => format!("/assessments/{id}"),
        ("offering", _) => "/offerings".to_owned(),
        ("framework", _) => "/frameworks".to_owned(),
        ("api_token", _) => "/admin/tokens".to_owned(),
        ("notification_channel" | "notification", _) => "/admin/notifications".to_owned(),
        (_, Some(g)) => format!("/engagements/{g}"),
        _ => return None,
    })
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    ui: Ui,
    nav: Option<Nav>,
    rows: Vec<AuditRow>,
    total: i64,
    page: i64,
    pages: i64,
    verification: Option<(bool, String)>,
    /// The filters as given, and the query that repeats them (for the page links and the
    /// export).
    q: AuditQuery,
    query: String,
    /// The choices of the filters: (code, in words).
    kinds: Vec<(String, String)>,
    verbs: Vec<(String, String)>,
    /// User names to pick the actor from (the viewer's organisation's).
    actors: Vec<String>,
    /// Why the filters were not taken, beside the field (`from`, `to`).
    problem: Option<(String, String)>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditQuery {
    page: Option<i64>,
    /// `full`: verify the whole chain, not only from the last signed checkpoint.
    verify: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// A user name (or `system`).
    #[serde(default)]
    actor: String,
    #[serde(default)]
    verb: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    engagement: String,
}

impl AuditQuery {
    /// The query string of the filters that have a value.
    fn query(&self) -> String {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("actor", &self.actor),
            ("verb", &self.verb),
            ("kind", &self.kind),
            ("object", &self.object),
            ("engagement", &self.engagement),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", super::urlencode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }

    /// The service's filters; the actor named by user name is looked up (a name that is no
    /// user is taken as an actor id: `system`, `token:…`).
    async fn filters(&self, state: &AppState) -> Filters {
        let actor = match self.actor.trim() {
            "" => None,
            name => match state.store.find_user(name).await {
                Ok(Some(u)) => Some(u.id),
                _ => Some(name.to_owned()),
            },
        };
        Filters {
            from: Some(self.from.clone()),
            to: Some(self.to.clone()),
            actor,
            verb: Some(self.verb.clone()),
            object_type: Some(self.kind.clone()),
            object_id: Some(self.object.clone()),
            engagement: Some(self.engagement.clone()),
        }
    }
}

/// User names by actor id, looked up once each.
struct Names<'a> {
    state: &'a AppState,
    known: HashMap<String, String>,
}

impl Names<'_> {
    async fn of(&mut self, actor: &str) -> String {
        if let Some(n) = self.known.get(actor) {
            return n.clone();
        }
        let n = match self.state.store.get_user(actor).await {
            Ok(Some(u)) => u.username,
            _ => actor.to_owned(),
        };
        self.known.insert(actor.to_owned(), n.clone());
        n
    }
}

pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<AuditQuery>,
) -> Response {
    let ui = v.ui.clone();
    let page = q.page.unwrap_or(1).max(1);
    let full = q.verify.as_deref() == Some("full");
    let verification = if v.p.can(Action::AuditVerify, Rel::Unscoped) {
        // Each view checks the chain from the last signed checkpoint; the whole chain on
        // demand.
        let checked = if full {
            cloudward_store::verify(state.store.as_ref(), &state.config.data_dir).await
        } else {
            cloudward_store::verify_since_checkpoint(state.store.as_ref(), &state.config.data_dir)
                .await
        };
        checked.ok().map(|r| match &r.broken {
            None => (
                true,
                match r.since {
                    Some(cp) => ui.targs(
                        "ui.audit_intact_since",
                        &[
                            ("count", r.entries.to_string()),
                            ("checkpoint", cp.to_string()),
                        ],
                    ),
                    None => ui.t1("ui.audit_intact", "count", &r.entries.to_string()),
                },
            ),
            Some(b) => (
                false,
                format!("{} {}: {}", ui.t("ui.audit_broken"), b.seq, b.reason),
            ),
        })
    } else {
        None
    };
    let filters = q.filters(&state).await;
    let (entries, total, problem) =
        match organisations::audit_page(&state, &v.p, &filters, PER_PAGE, (page - 1) * PER_PAGE)
            .await
        {
            Ok((l, t)) => (l, t, None),
            // Filters not taken: the page again with the error beside the field, no entries.
            Err(e) if e.status == StatusCode::BAD_REQUEST => {
                let field = e
                    .args
                    .iter()
                    .find(|(k, _)| *k == "field")
                    .map_or("from", |(_, f)| f.as_str())
                    .to_owned();
                (Vec::new(), 0, Some((field, super::problem_text(&v, &e))))
            }
            Err(e) => return super::refused(&v, &e),
        };
    let mut names = Names {
        state: &state,
        known: HashMap::new(),
    };
    let mut rows = Vec::new();
    for e in entries {
        rows.push(AuditRow {
            seq: e.seq,
            at: e.at.replace('T', " ").trim_end_matches('Z').to_owned(),
            actor: names.of(&e.actor).await,
            action: audit_words(&ui, &e.action),
            link: link_of(&e),
            code: e.action,
            object: kind_words(&ui, &e.object_type),
            object_id: e.object_id.chars().take(12).collect::<String>(),
            hash: e.hash.chars().take(16).collect(),
        });
    }
    let actors = match &v.p.org {
        Some(org) => state
            .store
            .list_users(&org.id)
            .await
            .map(|l| l.into_iter().map(|u| u.username).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let view = AuditPage {
        nav: Some(nav(&v, "audit", "/audit")),
        rows,
        total,
        page,
        pages,
        verification,
        query: q.query(),
        kinds: KINDS
            .iter()
            .map(|k| ((*k).to_owned(), kind_words(&ui, k)))
            .collect(),
        verbs: VERBS
            .iter()
            .map(|k| {
                (
                    (*k).to_owned(),
                    ui.maybe(&format!("ui.audit.verb.{k}"))
                        .unwrap_or_else(|| (*k).to_owned()),
                )
            })
            .collect(),
        actors,
        problem,
        q,
        ui,
    };
    let mut r = render(&view);
    *r.status_mut() = status;
    r
}

/// The entries the filters find (at most [`EXPORT_LIMIT`], the newest), as a CSV file in
/// the reader's language, with a byte-order mark so that spreadsheets read it as UTF-8.
pub async fn export(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<AuditQuery>,
) -> Response {
    let ui = v.ui.clone();
    let filters = q.filters(&state).await;
    let mut names = Names {
        state: &state,
        known: HashMap::new(),
    };
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let header = [
        ui.t("ui.audit_seq"),
        ui.t("ui.time"),
        ui.t("ui.actor"),
        ui.t("ui.action"),
        ui.t("ui.audit_code"),
        ui.t("ui.object"),
        ui.t("ui.audit_object_id"),
        ui.t("ui.audit_engagement_id"),
        ui.t("ui.hash"),
    ];
    if out.write_record(&header).is_err() {
        return viewer_error(&v, StatusCode::INTERNAL_SERVER_ERROR, &ui.t("api.internal"));
    }
    let mut offset = 0;
    while offset < EXPORT_LIMIT {
        let (list, _) = match organisations::audit_page(&state, &v.p, &filters, 1000, offset).await
        {
            Ok(x) => x,
            Err(e) if e.status == StatusCode::BAD_REQUEST => {
                return viewer_error(&v, e.status, &super::problem_text(&v, &e));
            }
            Err(e) => return super::refused(&v, &e),
        };
        if list.is_empty() {
            break;
        }
        offset += i64::try_from(list.len()).unwrap_or(1000);
        for e in list {
            let actor = names.of(&e.actor).await;
            let row = [
                e.seq.to_string(),
                e.at.clone(),
                actor,
                audit_words(&ui, &e.action),
                e.action.clone(),
                kind_words(&ui, &e.object_type),
                e.object_id.clone(),
                e.engagement_id.clone().unwrap_or_default(),
                e.hash.clone(),
            ];
            if out.write_record(&row).is_err() {
                return viewer_error(&v, StatusCode::INTERNAL_SERVER_ERROR, &ui.t("api.internal"));
            }
        }
    }
    let Ok(bytes) = out.into_inner() else {
        return viewer_error(&v, StatusCode::INTERNAL_SERVER_ERROR, &ui.t("api.internal"));
    };
    crate::download::attachment(
        "audit-log.csv",
        "audit-log.csv",
        "text/csv; charset=utf-8",
        bytes,
    )
}
