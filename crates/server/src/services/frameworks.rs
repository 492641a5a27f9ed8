//! Imported frameworks: an OSCAL catalog, or a profile resolved against a framework already
//! imported, kept as the OSCAL catalog `cloudward oscal import` writes. The platform
//! administrator imports frameworks for every organisation; an organisation's administrator
//! imports its own, which no other organisation sees (another's id is 404). Anyone who sees
//! a framework browses and searches its controls and maps our catalog's references onto it.

use std::sync::Arc;

use cloudward_oscal::framework::{self, Framework, FrameworkControl, FrameworkGroup};
use cloudward_oscal::model::Document;
use cloudward_store::{FrameworkInfo, NewFramework};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::{self, Action, Rel};
use crate::error::{ApiError, ApiResult};

/// What to import a framework as.
#[derive(Debug, Clone)]
pub struct FrameworkImport {
    /// The framework's short name (see [`valid_name`]).
    pub name: String,
    /// For a profile: the id of the imported framework it selects from.
    pub catalog: Option<String>,
    /// Replace a framework of the same name and owner (else 409).
    pub replace: bool,
}

/// A framework name as the CLI accepts it.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.')
}

/// The framework `id` for `action`, with its document: the platform's, or the caller's
/// organisation's (another organisation's is not found).
pub(crate) async fn visible_framework(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(FrameworkInfo, String)> {
    let found = state.store.get_framework(id).await?;
    let rel = authz::framework_rel(
        p.org.as_ref().map(|o| o.id.as_str()),
        found.as_ref().map(|(info, _)| info.owner_org_id.as_deref()),
    );
    p.may(action, rel)?;
    found.ok_or_else(ApiError::not_found)
}

/// How many frameworks stay read in memory.
const CACHED: usize = 8;

/// A visible framework, read back from its stored catalog (kept read for the next request).
pub(crate) async fn load(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(FrameworkInfo, Arc<Framework>)> {
    let (info, doc) = visible_framework(state, p, id, action).await?;
    if let Some(fw) = state
        .frameworks
        .lock()
        .ok()
        .and_then(|c| c.get(id).cloned())
    {
        return Ok((info, fw));
    }
    let catalog = cloudward_oscal::read::read_catalog(&doc).map_err(|e| {
        tracing::error!(error = %e, framework = %info.id, "stored framework unreadable");
        ApiError::internal()
    })?;
    let fw = Arc::new(Framework::from_catalog(&catalog));
    if let Ok(mut cache) = state.frameworks.lock() {
        if cache.len() >= CACHED {
            cache.clear();
        }
        cache.insert(id.to_owned(), fw.clone());
    }
    Ok((info, fw))
}

/// The frameworks the caller sees: the platform's and its organisation's.
pub(crate) async fn visible_list(state: &AppState, p: &Principal) -> ApiResult<Vec<FrameworkInfo>> {
    p.may(Action::FrameworkList, Rel::Unscoped)?;
    let org = p.org.as_ref().map(|o| o.id.as_str());
    Ok(state.store.list_frameworks(org).await?)
}

fn import_failed(e: &cloudward_oscal::read::Error) -> ApiError {
    ApiError::bad_request("api.framework_import_failed").arg("detail", e.to_string())
}

/// Reads, resolves and stores a framework for the caller (the platform's for the platform
/// administrator, else the caller's organisation's, which needs its administrator).
pub(crate) async fn import_document(
    state: &AppState,
    p: &Principal,
    q: &FrameworkImport,
    body: &[u8],
) -> ApiResult<FrameworkInfo> {
    p.may(Action::FrameworkImport, Rel::Unscoped)?;
    // The table lets a platform administrator import for the platform, and an
    // organisation's administrator for the organisation.
    let owner = if p.platform_admin {
        None
    } else {
        Some(p.org()?.id.clone())
    };
    if !valid_name(&q.name) {
        return Err(ApiError::bad_request("api.bad_framework_name").arg("value", &q.name));
    }
    let text = std::str::from_utf8(body).map_err(|_| ApiError::bad_request("api.not_utf8"))?;
    let doc = cloudward_oscal::read::read(text).map_err(|e| import_failed(&e))?;
    let base = match (&doc, q.catalog.as_deref()) {
        (Document::Profile(_), Some(id)) => {
            let (_, stored) = visible_framework(state, p, id, Action::FrameworkRead)
                .await
                .map_err(|_| ApiError::bad_request("api.unknown_framework").arg("value", id))?;
            Some(cloudward_oscal::read::read_catalog(&stored).map_err(ApiError::internal_from)?)
        }
        (Document::Profile(_), None) => {
            return Err(ApiError::bad_request("api.profile_needs_catalog"));
        }
        _ => None,
    };
    let fw = Framework::from_document(&doc, base.as_ref()).map_err(|e| import_failed(&e))?;
    let last_modified = match &doc {
        Document::Catalog(c) => c.metadata.last_modified.clone(),
        Document::Profile(p) => p.metadata.last_modified.clone(),
        _ => String::new(),
    };
    let stored = Document::Catalog(fw.to_catalog(&q.name, &last_modified)).to_json();
    let count = |n: usize| i64::try_from(n).map_err(ApiError::internal_from);
    Ok(state
        .store
        .create_framework(
            &p.actor,
            NewFramework {
                owner_org_id: owner,
                name: q.name.clone(),
                title: fw.title.clone(),
                version: fw.version.clone(),
                source_model: fw.source_model.clone(),
                group_count: count(fw.groups.len())?,
                control_count: count(fw.controls.len())?,
                document: stored,
            },
            q.replace,
        )
        .await?)
}

/// A framework as kept: its name, title, version and size.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FrameworkView {
    pub id: String,
    /// `None`: the platform's, visible to every organisation.
    pub owner_org_id: Option<String>,
    pub name: String,
    pub title: String,
    pub version: String,
    /// `catalog` or `profile`
    pub source_model: String,
    pub group_count: i64,
    pub control_count: i64,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<FrameworkInfo> for FrameworkView {
    fn from(i: FrameworkInfo) -> Self {
        FrameworkView {
            id: i.id,
            owner_org_id: i.owner_org_id,
            name: i.name,
            title: i.title,
            version: i.version,
            source_model: i.source_model,
            group_count: i.group_count,
            control_count: i.control_count,
            created_by: i.created_by,
            created_at: i.created_at,
        }
    }
}

/// A framework's groups and the controls matching a search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ControlsView {
    pub framework: FrameworkView,
    /// id, title, title_zh
    #[schema(value_type = Vec<Object>)]
    pub groups: Vec<FrameworkGroup>,
    /// id, label, title, group, parent, statement, guidance (and their `_zh`), props
    #[schema(value_type = Vec<Object>)]
    pub controls: Vec<FrameworkControl>,
}

/// One of our controls, as a framework control's page names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OurControl {
    pub id: String,
    /// In both languages.
    #[schema(value_type = Object)]
    pub title: cloudward_domain::Text,
    pub family: String,
}

/// A framework control, its enhancements, and our controls that reference it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ControlView {
    #[schema(value_type = Object)]
    pub control: FrameworkControl,
    #[schema(value_type = Vec<Object>)]
    pub enhancements: Vec<FrameworkControl>,
    pub referenced_by: Vec<OurControl>,
}

/// Our catalog's references against a framework.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MappingView {
    /// control, reference, framework_control, framework_title
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<framework::MappingRow>,
    /// Referenced ids the framework lacks, each once.
    pub missing: Vec<String>,
    /// Framework controls no control of ours references.
    pub unmapped: Vec<String>,
}

/// The group id a filter names, or a 400 listing those there are.
pub(crate) fn checked_group(fw: &Framework, group: Option<&str>) -> ApiResult<Option<String>> {
    match group.filter(|g| !g.is_empty()) {
        None => Ok(None),
        Some(g) => match fw.group(g) {
            Some(found) => Ok(Some(found.id.clone())),
            None => Err(ApiError::bad_request("api.bad_filter")
                .arg("name", "group")
                .arg("value", g)
                .arg(
                    "accepted",
                    fw.groups
                        .iter()
                        .map(|g| g.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                )),
        },
    }
}

/// Our controls whose references name a framework control.
pub(crate) fn ours_for<'a>(
    state: &'a AppState,
    control: &FrameworkControl,
) -> Vec<&'a cloudward_domain::catalog::Control> {
    let key = framework::normalise_id(&control.id);
    state
        .content
        .catalog
        .controls
        .iter()
        .filter(|c| {
            c.refs
                .nist
                .iter()
                .any(|r| framework::normalise_id(r) == key)
        })
        .collect()
}

/// Checks the caller may delete a framework it sees, and deletes it.
pub(crate) async fn delete_visible(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    visible_framework(state, p, id, Action::FrameworkDelete).await?;
    if state.store.delete_framework(&p.actor, id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// The frameworks the caller sees, as views.
pub async fn list(state: &AppState, p: &Principal) -> ApiResult<Vec<FrameworkView>> {
    Ok(visible_list(state, p)
        .await?
        .into_iter()
        .map(FrameworkView::from)
        .collect())
}

/// A framework as the OSCAL catalog (JSON) it is kept as.
pub async fn document(state: &AppState, p: &Principal, id: &str) -> ApiResult<String> {
    let (_, doc) = visible_framework(state, p, id, Action::FrameworkRead).await?;
    Ok(doc)
}

/// A framework's groups and the controls matching a search (`q`) within a group.
pub async fn controls(
    state: &AppState,
    p: &Principal,
    id: &str,
    group: Option<&str>,
    q: Option<&str>,
) -> ApiResult<ControlsView> {
    let (info, fw) = load(state, p, id, Action::FrameworkControls).await?;
    let group = checked_group(&fw, group)?;
    let controls = fw
        .search(group.as_deref(), q)
        .into_iter()
        .cloned()
        .collect();
    Ok(ControlsView {
        framework: info.into(),
        groups: fw.groups.clone(),
        controls,
    })
}

/// One control of a framework, its enhancements, and our controls that reference it.
pub async fn control(
    state: &AppState,
    p: &Principal,
    id: &str,
    control: &str,
) -> ApiResult<ControlView> {
    let (_, fw) = load(state, p, id, Action::FrameworkControl).await?;
    let c = fw.control(control).ok_or_else(ApiError::not_found)?;
    let enhancements = fw
        .controls
        .iter()
        .filter(|e| e.parent.as_deref() == Some(c.id.as_str()))
        .cloned()
        .collect();
    let referenced_by = ours_for(state, c)
        .into_iter()
        .map(|o| OurControl {
            id: o.id.clone(),
            title: o.title.clone(),
            family: o.family.clone(),
        })
        .collect();
    Ok(ControlView {
        control: c.clone(),
        enhancements,
        referenced_by,
    })
}

/// Our catalog's references (`refs.nist`) against the framework.
pub async fn mapping(state: &AppState, p: &Principal, id: &str) -> ApiResult<MappingView> {
    let (_, fw) = load(state, p, id, Action::FrameworkMapping).await?;
    let m = framework::map(&state.content.catalog, &fw);
    Ok(MappingView {
        rows: m.rows,
        missing: m.missing,
        unmapped: m.unmapped,
    })
}
