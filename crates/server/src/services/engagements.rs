//! Engagements: filing one (from the form, the API's JSON or an engagement file),
//! replacing its file, deleting it; loading one for an action (the authorisation table
//! decides); and the views of it: the engagement, a page of them, the file, the check
//! report, the classification and the responsibility matrix with its confirmations.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use cloudward_domain::check::{self, CheckError};
use cloudward_domain::classify::{self, Refusal};
use cloudward_domain::engagement::{self, EngagementFile};
use cloudward_domain::responsibility::{Matrix, Override};
use cloudward_store::{Confirmation, Engagement, EngagementData, EngagementFilter, Party};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::invalid_json;
use crate::auth::Principal;
use crate::authz::{Action, Rel};
use crate::error::{ApiError, ApiResult};

/// Files a new engagement of the caller's (customer) organisation, naming `given_parties`
/// (seat → organisation id).
pub async fn create(
    state: &AppState,
    p: &Principal,
    file: &EngagementFile,
    given_parties: &BTreeMap<String, String>,
) -> ApiResult<EngagementView> {
    p.may(Action::EngagementCreate, Rel::Unscoped)?;
    file_new(state, p, file, given_parties).await
}

/// Files a new engagement from an engagement file's text (YAML or JSON, as `cloudward
/// check` reads it); a malformed file is 400 with its line and column.
pub async fn import(
    state: &AppState,
    p: &Principal,
    text: &[u8],
    given_parties: &BTreeMap<String, String>,
) -> ApiResult<EngagementView> {
    p.may(Action::EngagementImport, Rel::Unscoped)?;
    let file = parse_text(text)?;
    file_new(state, p, &file, given_parties).await
}

/// An engagement file's text as `cloudward check` reads it; a malformed file is 400 with
/// its line and column.
fn parse_text(text: &[u8]) -> ApiResult<EngagementFile> {
    let text = std::str::from_utf8(text).map_err(|_| ApiError::bad_request("api.not_utf8"))?;
    engagement::parse(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("{}:{}", l.line(), l.column()))
            .unwrap_or_else(|| "?".into());
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_file", "api.invalid_file")
            .arg("at", at)
            .arg("detail", e.to_string())
    })
}

/// Replaces the file of engagement `id` with a file's text (the console's file editor),
/// if `version` is still current. Who may is asked before the text is read: a stranger
/// learns nothing from a parse error.
pub async fn replace_text(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    text: &[u8],
) -> ApiResult<EngagementView> {
    engagement(state, p, id, Action::EngagementUpdate).await?;
    let file = parse_text(text)?;
    let document = serde_json::to_value(&file).map_err(ApiError::internal_from)?;
    // The same checks as a file sent to the API.
    let file = parse_document(&document)?;
    update(state, p, id, version, &file, None).await
}

async fn file_new(
    state: &AppState,
    p: &Principal,
    file: &EngagementFile,
    given_parties: &BTreeMap<String, String>,
) -> ApiResult<EngagementView> {
    let file = &crate::services::records::with_held_outputs(&state.content, file);
    let (phase, level) = summarise(file)?;
    let org = &p.org()?.id;
    let quota = state.config.max_engagements_per_org;
    if state.store.count_owned_engagements(org).await? >= quota {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "quota_exceeded",
            "api.engagement_quota",
        )
        .arg("limit", quota));
    }
    let parties = parties(state, given_parties).await?;
    let document = serde_json::to_value(file).map_err(ApiError::internal_from)?;
    let e = state
        .store
        .create_engagement(
            &p.actor,
            org,
            EngagementData {
                name: file.name.clone(),
                phase,
                level,
                document,
                parties,
            },
        )
        .await?;
    Ok(view(e, true))
}

/// Replaces the file of engagement `id` (and its parties, when given) if `version` is
/// still current (409 otherwise).
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    file: &EngagementFile,
    given_parties: Option<&BTreeMap<String, String>>,
) -> ApiResult<EngagementView> {
    let current = engagement(state, p, id, Action::EngagementUpdate).await?;
    let file = &crate::services::records::with_held_outputs(&state.content, file);
    let (phase, level) = summarise(file)?;
    let parties = match given_parties {
        Some(given) => parties(state, given).await?,
        None => current.parties.clone(),
    };
    let document = serde_json::to_value(file).map_err(ApiError::internal_from)?;
    // Rows of the matrix that changed wait for their parties, who are told in the same
    // transaction.
    let mut creates = Vec::new();
    if let Ok((before, _)) = export_text(&current)
        && crate::notify::events::matrix_changed(&before, file)
    {
        let after = Engagement {
            parties: parties.clone(),
            ..current.clone()
        };
        let events = crate::notify::events::matrix_rows(
            &after,
            &matrix_of(state, &before),
            &matrix_of(state, file),
            p.org.as_ref().map(|o| o.id.as_str()),
            &format!("v{}", version + 1),
        );
        creates = crate::notify::outbox_all(state, &events).await?;
    }
    let data = EngagementData {
        name: file.name.clone(),
        phase,
        level,
        document,
        parties,
    };
    let e = if creates.is_empty() {
        state
            .store
            .update_engagement(&p.actor, id, version, data)
            .await?
    } else {
        state
            .store
            .update_engagement_with(&p.actor, id, version, data, creates, Vec::new())
            .await?
            .0
    };
    Ok(view(e, true))
}

/// An engagement as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EngagementView {
    pub id: String,
    pub name: String,
    pub customer_org_id: String,
    /// planning, selection, operation, exit or closed
    #[schema(value_type = String)]
    pub phase: cloudward_store::Phase,
    /// general, enhanced or advanced
    #[schema(value_type = Option<String>)]
    pub level: Option<cloudward_store::ProtectionLevel>,
    /// Send it back when updating: a stale version gets 409.
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// provider / assessor / security_service_provider → organisation id.
    pub parties: BTreeMap<String, String>,
    /// The engagement file (see `cloudward schema engagement`); in single reads only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub document: Option<serde_json::Value>,
}

pub fn view(e: Engagement, with_document: bool) -> EngagementView {
    EngagementView {
        id: e.id,
        name: e.name,
        customer_org_id: e.customer_org_id,
        phase: e.phase,
        level: e.level,
        version: e.version,
        created_at: e.created_at,
        updated_at: e.updated_at,
        parties: e
            .parties
            .into_iter()
            .map(|(p, o)| (p.id().to_owned(), o))
            .collect(),
        document: with_document.then_some(e.document),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EngagementPage {
    pub items: Vec<EngagementView>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// The engagement file from its JSON form, naming the field that is wrong.
pub fn parse_document(doc: &serde_json::Value) -> ApiResult<EngagementFile> {
    serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e.path().to_string();
        invalid_json(&format!("document.{path}"), e.inner())
    })
}

/// Phase and level as stored for filtering; a classified system is refused.
pub fn summarise(
    file: &EngagementFile,
) -> ApiResult<(
    cloudward_store::Phase,
    Option<cloudward_store::ProtectionLevel>,
)> {
    let level = match classify::classify(&file.information, file.business) {
        Ok(r) => Some(r.level),
        Err(Refusal::Classified) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refused",
                "check.refused",
            ));
        }
        Err(Refusal::NoInformation) => None,
    };
    Ok((file.phase, level))
}

pub async fn parties(
    state: &AppState,
    given: &BTreeMap<String, String>,
) -> ApiResult<Vec<(Party, String)>> {
    let mut out = Vec::new();
    for (seat, org_id) in given {
        let Some(party) = Party::parse(seat) else {
            return Err(ApiError::bad_request("api.bad_party_seat").arg("seat", seat));
        };
        let org = state.store.get_org(org_id).await?;
        if org.as_ref().map(|o| o.kind) != Some(party.org_kind()) {
            return Err(ApiError::bad_request("api.bad_party")
                .arg("seat", seat)
                .arg("kind", party.org_kind().id()));
        }
        out.push((party, org_id.clone()));
    }
    Ok(out)
}

/// The engagement `id` for `action`, with how the caller relates to it. It is loaded with
/// the caller's organisation (another tenant's engagement does not load), then the
/// authorisation table decides: not there for the caller is 404, a seat or role without
/// the right is 403.
pub async fn engagement_for(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(Engagement, Rel)> {
    let org = p.org.as_ref().map(|o| o.id.as_str());
    let e = match org {
        Some(org) => state.store.visible_engagement(id, org).await?,
        None => None,
    };
    let rel = p.engagement_rel(e.as_ref());
    p.may(action, rel)?;
    e.map(|e| (e, rel)).ok_or_else(ApiError::not_found)
}

/// [`engagement_for`] without the relation.
pub async fn engagement(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<Engagement> {
    Ok(engagement_for(state, p, id, action).await?.0)
}

/// The engagement `id` for `action` with its file, typed and as YAML text (the console's
/// editors and pages).
pub async fn with_file(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(Engagement, EngagementFile, String)> {
    let e = engagement(state, p, id, action).await?;
    let (file, text) = export_text(&e)?;
    Ok((e, file, text))
}

/// The engagement file of a stored engagement, as YAML text.
pub fn export_text(e: &Engagement) -> ApiResult<(EngagementFile, String)> {
    let file: EngagementFile =
        serde::Deserialize::deserialize(&e.document).map_err(ApiError::internal_from)?;
    let text = serde_saphyr::to_string(&file).map_err(ApiError::internal_from)?;
    Ok((file, text))
}

/// The text of `file` with the comments `cloudward init` writes in a new file, filled in
/// for this file's classification (`text` as it is when the file does not classify).
pub fn commented(state: &AppState, file: &EngagementFile, text: &str) -> String {
    let template = cloudward_content::embedded_file("templates/engagement.yaml").unwrap_or("");
    let input = cloudward_domain::template::TemplateInput {
        file_name: "engagement.yaml",
        name: Some(&file.name),
        customer: Some(&file.customer),
        information: &file.information,
        business: file.business,
        service: file.service_category,
        lang: cloudward_domain::Lang::En,
    };
    match cloudward_domain::template::render(template, &state.content, &input) {
        Ok(t) => cloudward_domain::template::annotate(text, &t),
        Err(_) => text.to_owned(),
    }
}

/// A new engagement file for the console's "new engagement" page: the template filled in
/// for public information and general business, with the customer's name.
pub fn new_file_text(state: &AppState, customer: &str, lang: cloudward_domain::Lang) -> String {
    let template = cloudward_content::embedded_file("templates/engagement.yaml").unwrap_or("");
    let input = cloudward_domain::template::TemplateInput {
        file_name: "engagement.yaml",
        name: None,
        customer: Some(customer),
        information: &[cloudward_domain::classify::InfoType::Public],
        business: cloudward_domain::classify::BusinessType::General,
        service: cloudward_domain::catalog::ServiceCategory::Iaas,
        lang,
    };
    cloudward_domain::template::render(template, &state.content, &input).unwrap_or_default()
}

/// A row's confirmations: those of the row as it reads now, and those made before it
/// changed (older confirmations without terms count as current).
pub fn row_confirmations(
    all: &[Confirmation],
    el: &cloudward_domain::responsibility::Element,
) -> (Vec<Confirmation>, Vec<Confirmation>) {
    let terms = el.assignment.terms();
    all.iter()
        .filter(|c| c.element == el.id)
        .cloned()
        .partition(|c| c.terms.as_deref().is_none_or(|t| t == terms))
}

pub fn matrix_of(state: &AppState, file: &EngagementFile) -> Matrix {
    let overrides: Vec<Override> = file.responsibility.iter().map(check::to_override).collect();
    Matrix::build(&state.content.matrix, file.service_category, &overrides)
}

/// A stored record of one kind, by id (`None` for any other id or kind). Callers then ask
/// the authorisation table, with the relation `None` means (not there for the caller).
pub async fn record_of(
    state: &AppState,
    kind: &str,
    id: &str,
) -> ApiResult<Option<cloudward_store::Record>> {
    Ok(state.store.get_record(kind, id).await?)
}

/// One engagement with its file.
pub async fn read(state: &AppState, p: &Principal, id: &str) -> ApiResult<EngagementView> {
    Ok(view(
        engagement(state, p, id, Action::EngagementRead).await?,
        true,
    ))
}

/// The engagements the caller's organisation may see, a page at a time (1–200 a page).
pub async fn list(
    state: &AppState,
    p: &Principal,
    filter: EngagementFilter,
) -> ApiResult<EngagementPage> {
    p.may(Action::EngagementList, Rel::Unscoped)?;
    let org = p.org()?;
    if !(1..=200).contains(&filter.limit) {
        return Err(ApiError::bad_request("api.bad_limit"));
    }
    // A token limited to one engagement lists that one alone (when the filter keeps it).
    let (items, total) = match &p.engagement {
        Some(only) => {
            let e = state.store.visible_engagement(only, &org.id).await?;
            let items: Vec<_> = e
                .into_iter()
                .filter(|e| filter.phase.is_none_or(|ph| e.phase == ph))
                .filter(|e| filter.level.is_none_or(|l| e.level == Some(l)))
                .collect();
            let total = i64::try_from(items.len()).unwrap_or(0);
            let page = items
                .into_iter()
                .skip(usize::try_from(filter.offset).unwrap_or(0))
                .collect();
            (page, total)
        }
        None => state.store.list_engagements(&org.id, &filter).await?,
    };
    Ok(EngagementPage {
        items: items.into_iter().map(|e| view(e, false)).collect(),
        total,
        limit: filter.limit,
        offset: filter.offset,
    })
}

/// Deletes engagement `id` (with everything recorded about it); with `version`, only if
/// it is still current (409 otherwise).
pub async fn delete(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: Option<i64>,
) -> ApiResult<()> {
    engagement(state, p, id, Action::EngagementDelete).await?;
    state.store.delete_engagement(&p.actor, id, version).await?;
    Ok(())
}

/// The engagement file as YAML text, for git and `cloudward check`.
pub async fn export(state: &AppState, p: &Principal, id: &str) -> ApiResult<String> {
    let e = engagement(state, p, id, Action::EngagementExport).await?;
    let (file, text) = export_text(&e)?;
    Ok(commented(state, &file, &text))
}

/// The check report of engagement `id` on `date`: the same report as `cloudward check
/// --format json`, in `lang`.
pub async fn check(
    state: &AppState,
    p: &Principal,
    id: &str,
    date: chrono::NaiveDate,
    lang: cloudward_domain::Lang,
) -> ApiResult<serde_json::Value> {
    let e = engagement(state, p, id, Action::EngagementCheck).await?;
    let (_, text) = export_text(&e)?;
    // Parse what `cloudward check` would read, so the two agree to the line.
    let file = engagement::parse(&text).map_err(ApiError::internal_from)?;
    match check::check(&file, &text, &state.content, date) {
        Ok(report) => Ok(check::report_json(
            &report,
            &state.content,
            &state.messages,
            lang,
        )),
        Err(CheckError::Classified) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "check.refused",
        )),
        Err(CheckError::Invalid(errors)) => {
            let detail = errors
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e.field,
                        state.messages.render(e.key, lang, &e.args)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_engagement",
                "api.invalid_engagement",
            )
            .arg("detail", detail))
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassificationView {
    pub level: String,
    pub decisive_information: String,
    pub business: String,
    pub allowed_deployment_models: Vec<String>,
    pub chosen_deployment_model: String,
    pub deployment_allowed: bool,
}

/// The protection level of engagement `id` and what it allows (guide §6.5).
pub async fn classification(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<ClassificationView> {
    let e = engagement(state, p, id, Action::EngagementClassification).await?;
    let (file, _) = export_text(&e)?;
    let req = classify::classify(&file.information, file.business).map_err(|r| match r {
        Refusal::Classified => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", "check.refused")
        }
        Refusal::NoInformation => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_engagement",
            "input.empty_information",
        ),
    })?;
    let allowed = req.deployment_models.contains(&file.deployment_model);
    Ok(ClassificationView {
        level: req.level.id().to_owned(),
        decisive_information: req.decisive.id().to_owned(),
        business: req.business.id().to_owned(),
        allowed_deployment_models: req
            .deployment_models
            .iter()
            .map(|m| m.id().to_owned())
            .collect(),
        chosen_deployment_model: file.deployment_model.id().to_owned(),
        deployment_allowed: allowed,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponsibilityRow {
    /// `layer/FAMILY`
    pub element: String,
    pub layer: String,
    pub family: String,
    /// customer / provider / security-service-provider
    pub responsible: Vec<String>,
    /// What each party does when the row is shared, in both languages.
    #[schema(value_type = Object)]
    pub parts: BTreeMap<String, cloudward_domain::Text>,
    #[schema(value_type = Vec<Object>)]
    pub confirmations: Vec<Confirmation>,
    /// Confirmations of the row as it read before it changed: they no longer count.
    #[schema(value_type = Vec<Object>)]
    pub stale: Vec<Confirmation>,
    /// Responsible parties that have not confirmed the row as it reads now.
    pub pending: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponsibilityView {
    pub service_category: String,
    pub rows: Vec<ResponsibilityRow>,
    pub uncovered: Vec<String>,
    pub ambiguous: Vec<String>,
    pub confirmed: usize,
    pub to_confirm: usize,
}

/// The responsibility matrix of engagement `id` with who confirmed which row.
pub async fn responsibility(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<ResponsibilityView> {
    let e = engagement(state, p, id, Action::EngagementResponsibility).await?;
    let (file, _) = export_text(&e)?;
    let matrix = matrix_of(state, &file);
    let confirmations = state.store.confirmations(&e.id).await?;
    let (mut confirmed, mut to_confirm) = (0, 0);
    let rows = matrix
        .elements
        .iter()
        .map(|el| {
            let (mine, stale) = row_confirmations(&confirmations, el);
            let responsible: Vec<String> = el
                .assignment
                .parties
                .iter()
                .map(|a| a.id().to_owned())
                .collect();
            let pending: Vec<String> = responsible
                .iter()
                .filter(|r| !mine.iter().any(|c| c.party.id() == r.as_str()))
                .cloned()
                .collect();
            to_confirm += responsible.len();
            confirmed += responsible.len() - pending.len();
            ResponsibilityRow {
                element: el.id.clone(),
                layer: el.layer.clone(),
                family: el.family.clone(),
                responsible,
                parts: el
                    .assignment
                    .parts
                    .iter()
                    .map(|(a, t)| (a.id().to_owned(), t.clone()))
                    .collect(),
                confirmations: mine,
                stale,
                pending,
            }
        })
        .collect();
    Ok(ResponsibilityView {
        service_category: file.service_category.id().to_owned(),
        rows,
        uncovered: matrix.uncovered(),
        ambiguous: matrix.ambiguous(),
        confirmed,
        to_confirm,
    })
}
