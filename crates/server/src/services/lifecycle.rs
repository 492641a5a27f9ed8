//! An engagement's way through its life: picking an offering, moving to the next phase,
//! the contract checklist and risk register, confirming rows of the responsibility
//! matrix, and the exit. Each command writes the engagement and the records it changes in
//! one transaction (`Store::update_engagement_with`), with their audit entries.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use cloudward_domain::Lang;
use cloudward_domain::check::RiskStatus;
use cloudward_domain::engagement::{
    Assessment as FileAssessment, Commitment, EngagementFile, OutputRecord, Phase, Provider,
    RiskEntry,
};
use cloudward_domain::responsibility::Actor as MatrixActor;
use cloudward_domain::workflow::{
    self as rules, DeletionAttestation, ExitRecord, Manifest, ManifestComparison, Outcome,
    ScopeItem,
};
use cloudward_store::{
    Confirmation, Engagement, EngagementData, NewRecord, Party, Record, RecordChange, RecordFilter,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::{Action, Rel};
use crate::error::{ApiError, ApiResult};
use crate::services::assessments::published_assessment;
use crate::services::engagements::{export_text, matrix_of, summarise};
use crate::services::offerings::{offering_record, parse_offering};
use crate::services::support::{
    Seat, acting, invalid, parse_data, stale, to_value, today, validate,
};

/// The stored form of a changed file, keeping the engagement's parties unless given.
pub(crate) fn data_of(
    state: &AppState,
    file: &EngagementFile,
    parties: Vec<(Party, String)>,
) -> ApiResult<EngagementData> {
    let file = crate::services::records::with_held_outputs(&state.content, file);
    let (phase, level) = summarise(&file)?;
    Ok(EngagementData {
        name: file.name.clone(),
        phase,
        level,
        document: to_value(&file)?,
        parties,
    })
}

// ---------------------------------------------------------------- offering

/// The engagement after the customer picked an offering.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferingUseView {
    pub engagement_version: i64,
    /// The provider as the engagement file now names it (offering, cloud, assessment, SLA).
    #[schema(value_type = Object)]
    pub provider: Provider,
    /// Whether the offering has a published third-party assessment.
    pub assessed: bool,
}

/// The customer picks an offering: the provider (and the offering's assessor, unless one is
/// named) become parties, the engagement file takes the offering and its published
/// assessment, and the engagement's offering-use record follows, all in one transaction.
/// The offering must be of the service category and deployment model decided in planning.
pub async fn use_offering(
    state: &AppState,
    p: &Principal,
    id: &str,
    offering_id: &str,
) -> ApiResult<OfferingUseView> {
    let (e, _) = acting(state, p, id, Action::UseOffering).await?;
    let r = offering_record(state, p, offering_id, Action::OfferingRead).await?;
    let d: crate::services::offerings::OfferingData = parse_data(&r)?;
    let offering = parse_offering(&d.offering)?;
    let provider_org = state
        .store
        .get_org(&r.owner_org_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let assessment = published_assessment(state, &r.id).await?;
    let (mut file, _) = export_text(&e)?;
    if offering.service_category != file.service_category
        || offering.deployment_model != file.deployment_model
    {
        return Err(invalid("api.offering_mismatch")
            .arg(
                "offering",
                format!(
                    "{} / {}",
                    offering.service_category.id(),
                    offering.deployment_model.id()
                ),
            )
            .arg(
                "engagement",
                format!(
                    "{} / {}",
                    file.service_category.id(),
                    file.deployment_model.id()
                ),
            ));
    }
    let file_assessment = match &assessment {
        Some((ar, a)) => {
            let assessor_name = state
                .store
                .get_org(&a.assessor_org_id)
                .await?
                .map(|o| o.name);
            a.conclusion
                .as_ref()
                .filter(|c| c.outcome == Outcome::Pass)
                .map(|c| FileAssessment {
                    level: c.level,
                    passed: c.date,
                    expires: c.valid_until,
                    assessor: assessor_name.clone(),
                    reference: Some(format!("cloudward:assessment/{}", ar.id)),
                })
        }
        None => None,
    };
    let sla = file.provider.as_ref().and_then(|p| p.sla.clone());
    let provider = Provider {
        name: provider_org.name.clone(),
        offering: offering.name.clone(),
        cloud: offering.cloud.clone(),
        assessment: file_assessment,
        sla,
    };
    file.provider = Some(provider.clone());
    crate::services::records::hold_as(
        &mut file,
        "assessment-record",
        provider
            .assessment
            .as_ref()
            .and_then(|a| a.reference.clone()),
    );
    let mut parties: Vec<(Party, String)> = e
        .parties
        .iter()
        .filter(|(p, _)| *p != Party::Provider)
        .cloned()
        .collect();
    parties.push((Party::Provider, provider_org.id.clone()));
    if let Some((_, a)) = &assessment
        && !parties.iter().any(|(p, _)| *p == Party::Assessor)
    {
        parties.push((Party::Assessor, a.assessor_org_id.clone()));
    }
    let use_data = to_value(&UseData {
        offering_id: r.id.clone(),
        assessment_id: assessment.as_ref().map(|(ar, _)| ar.id.clone()),
    })?;
    let existing = state
        .store
        .list_records("offering_use", &RecordFilter::engagement(&e.id))
        .await?;
    let (creates, updates) = match existing.first() {
        Some(u) => (Vec::new(), vec![RecordChange::of(u, use_data)]),
        None => (
            vec![
                NewRecord::new("offering_use", e.customer_org_id.clone(), use_data)
                    .of_engagement(e.id.clone())
                    .under(r.id.clone()),
            ],
            Vec::new(),
        ),
    };
    let (updated, _) = state
        .store
        .update_engagement_with(
            &p.actor,
            &e.id,
            e.version,
            data_of(state, &file, parties)?,
            creates,
            updates,
        )
        .await?;
    Ok(OfferingUseView {
        engagement_version: updated.version,
        provider,
        assessed: assessment.is_some(),
    })
}

// ---------------------------------------------------------------- transition

/// The engagement after a transition.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransitionView {
    /// The phase the engagement is in now.
    #[schema(value_type = String)]
    pub phase: Phase,
    pub version: i64,
}

/// What stops a transition, in the caller's language (the `details` of a 409 `blocked`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Blocker {
    /// The finding's stable code.
    pub code: String,
    pub message: String,
    /// The controls, outputs or activities it concerns.
    pub ids: Vec<String>,
}

/// Moves the engagement to `to` if it is the next phase and nothing blocks it (the
/// blockers of `check` and, to close, the exit checklist); the transition record is
/// written with the engagement. A refusal is 409 `blocked` listing the blockers.
pub async fn transition(
    state: &AppState,
    p: &Principal,
    id: &str,
    to: Phase,
    lang: Lang,
) -> ApiResult<TransitionView> {
    match try_transition(state, p, id, to, lang).await? {
        Ok(done) => Ok(done),
        Err(blockers) => Err(
            ApiError::new(StatusCode::CONFLICT, "blocked", "api.blocked")
                .arg("count", blockers.len())
                .arg("to", to.id())
                .details(to_value(&blockers)?),
        ),
    }
}

/// As [`transition`], with what blocks it as a value rather than an error.
pub async fn try_transition(
    state: &AppState,
    p: &Principal,
    id: &str,
    to: Phase,
    lang: Lang,
) -> ApiResult<Result<TransitionView, Vec<Blocker>>> {
    let (e, _) = acting(state, p, id, Action::Transition).await?;
    let (mut file, _) = export_text(&e)?;
    let from = file.phase;
    if from.next() != Some(to) {
        return Err(invalid("api.bad_transition")
            .arg("from", from.id())
            .arg("to", to.id()));
    }
    let report = validate(state, &file, today(), lang)?;
    let mut blockers: Vec<Blocker> = report
        .blockers
        .iter()
        .map(|f| Blocker {
            code: f.code.to_string(),
            message: f.message(&state.content, &state.messages, lang),
            ids: f.ids.clone(),
        })
        .collect();
    if to == Phase::Closed {
        let exit = exit_record(state, &e)
            .await?
            .map(|(_, x)| x)
            .unwrap_or_default();
        for code in rules::exit_blockers(&exit) {
            blockers.push(Blocker {
                code: code.to_owned(),
                message: state.messages.render(&format!("finding.{code}"), lang, &[]),
                ids: Vec::new(),
            });
        }
    }
    if !blockers.is_empty() {
        return Ok(Err(blockers));
    }
    file.phase = to;
    let record = NewRecord::new(
        "transition",
        e.customer_org_id.clone(),
        json!({ "from": from, "to": to, "at": cloudward_store::now(), "by": p.actor.id }),
    )
    .of_engagement(e.id.clone());
    // Everyone on the engagement is told, in the same transaction.
    let event = crate::notify::events::transition(state, &e, from, to);
    let mut creates = vec![record];
    creates.extend(crate::notify::outbox(state, &event, false).await?);
    let (updated, _) = state
        .store
        .update_engagement_with(
            &p.actor,
            &e.id,
            e.version,
            data_of(state, &file, e.parties.clone())?,
            creates,
            Vec::new(),
        )
        .await?;
    Ok(Ok(TransitionView {
        phase: to,
        version: updated.version,
    }))
}

// ---------------------------------------------------------------- contract and risks

/// The contract checklist as saved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractView {
    pub version: i64,
    /// clause id → {present, reference}
    #[schema(value_type = Object)]
    pub contract: BTreeMap<String, Commitment>,
}

/// Replaces the contract checklist if `version` is current, under the file's rules.
pub async fn put_contract(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    contract: BTreeMap<String, Commitment>,
    lang: Lang,
) -> ApiResult<ContractView> {
    let (e, _) = acting(state, p, id, Action::ContractPut).await?;
    if e.version != version {
        return Err(stale(e.version, version));
    }
    let (mut file, _) = export_text(&e)?;
    file.contract = contract;
    validate(state, &file, today(), lang)?;
    let updated = save(state, p, &e, &file).await?;
    Ok(ContractView {
        version: updated.version,
        contract: file.contract,
    })
}

/// The risk register as saved, each risk rated.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RisksView {
    pub version: i64,
    #[schema(value_type = Vec<Object>)]
    pub risks: Vec<RiskStatus>,
}

/// Replaces the risk register if `version` is current, under the file's rules.
pub async fn put_risks(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    risks: Vec<RiskEntry>,
    lang: Lang,
) -> ApiResult<RisksView> {
    let (e, _) = acting(state, p, id, Action::RisksPut).await?;
    if e.version != version {
        return Err(stale(e.version, version));
    }
    let (mut file, _) = export_text(&e)?;
    file.risks = risks;
    let report = validate(state, &file, today(), lang)?;
    let updated = save(state, p, &e, &file).await?;
    Ok(RisksView {
        version: updated.version,
        risks: report.risks,
    })
}

async fn save(
    state: &AppState,
    p: &Principal,
    e: &Engagement,
    file: &EngagementFile,
) -> ApiResult<Engagement> {
    Ok(state
        .store
        .update_engagement(
            &p.actor,
            &e.id,
            e.version,
            data_of(state, file, e.parties.clone())?,
        )
        .await?)
}

// ---------------------------------------------------------------- responsibility

/// A party's confirmation of a row of the responsibility matrix.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConfirmationView {
    pub engagement_id: String,
    /// The row, `layer/FAMILY`.
    pub element: String,
    /// customer, provider or security-service-provider
    #[schema(value_type = String)]
    pub party: cloudward_store::MatrixParty,
    pub org_id: String,
    pub user_id: String,
    pub confirmed_at: chrono::DateTime<chrono::Utc>,
    /// The row's assignment as confirmed; a later change of the row makes it stale.
    pub terms: Option<String>,
}

impl From<Confirmation> for ConfirmationView {
    fn from(c: Confirmation) -> Self {
        ConfirmationView {
            engagement_id: c.engagement_id,
            element: c.element,
            party: c.party,
            org_id: c.org_id,
            user_id: c.user_id,
            confirmed_at: c.confirmed_at,
            terms: c.terms,
        }
    }
}

/// The matrix party of the caller's relation to an engagement; the table admits no other
/// relation to confirm.
pub(crate) fn matrix_party(rel: Rel) -> ApiResult<MatrixActor> {
    match rel {
        Rel::Customer => Ok(MatrixActor::Customer),
        Rel::Provider => Ok(MatrixActor::Provider),
        Rel::SecurityServiceProvider => Ok(MatrixActor::SecurityServiceProvider),
        _ => Err(ApiError::forbidden()),
    }
}

/// Confirms row `element` of the matrix for the caller's party; a row the party has no
/// part in is 403.
pub async fn confirm(
    state: &AppState,
    p: &Principal,
    id: &str,
    element: &str,
) -> ApiResult<ConfirmationView> {
    let (e, rel) =
        crate::services::engagements::engagement_for(state, p, id, Action::EngagementConfirm)
            .await?;
    let org = p.org()?;
    let actor = matrix_party(rel)?;
    let (file, _) = export_text(&e)?;
    let matrix = matrix_of(state, &file);
    let Some(el) = matrix.elements.iter().find(|el| el.id == element) else {
        return Err(ApiError::bad_request("api.unknown_element").arg("element", element));
    };
    if !el.assignment.parties.contains(&actor) {
        return Err(
            ApiError::new(StatusCode::FORBIDDEN, "forbidden", "api.not_your_row")
                .arg("element", element)
                .arg("party", actor.id()),
        );
    }
    let c = state
        .store
        .confirm(
            &p.actor,
            Confirmation {
                engagement_id: e.id.clone(),
                element: el.id.clone(),
                party: actor,
                org_id: org.id.clone(),
                user_id: p.actor.id.clone(),
                confirmed_at: cloudward_store::now(),
                terms: Some(el.assignment.terms()),
            },
        )
        .await?;
    // The last confirmation completes the matrix: it is then a record the server holds.
    let all = state.store.confirmations(&e.id).await?;
    if crate::services::records::matrix_confirmed(state, &file, &all) {
        crate::services::records::record_held(
            state,
            p,
            &e.id,
            None,
            "responsibility-matrix",
            format!("cloudward:matrix/{}", e.id),
        )
        .await?;
    }
    Ok(c.into())
}

/// Confirms every row of the matrix the caller's party takes part in and has not confirmed
/// as it reads now, in one transaction; the rows confirmed (none: an empty list).
pub async fn confirm_all(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<Vec<ConfirmationView>> {
    let (e, rel) =
        crate::services::engagements::engagement_for(state, p, id, Action::EngagementConfirmAll)
            .await?;
    let org = p.org()?;
    let actor = matrix_party(rel)?;
    let (file, _) = export_text(&e)?;
    let matrix = matrix_of(state, &file);
    let done = state.store.confirmations(&e.id).await?;
    let now = cloudward_store::now();
    let todo: Vec<Confirmation> = matrix
        .elements
        .iter()
        .filter(|el| el.assignment.parties.contains(&actor))
        .filter(|el| {
            let (current, _) = crate::services::engagements::row_confirmations(&done, el);
            !current.iter().any(|c| c.party == actor)
        })
        .map(|el| Confirmation {
            engagement_id: e.id.clone(),
            element: el.id.clone(),
            party: actor,
            org_id: org.id.clone(),
            user_id: p.actor.id.clone(),
            confirmed_at: now,
            terms: Some(el.assignment.terms()),
        })
        .collect();
    if todo.is_empty() {
        return Ok(Vec::new());
    }
    let written = state.store.confirm_all(&p.actor, todo).await?;
    let all = state.store.confirmations(&e.id).await?;
    if crate::services::records::matrix_confirmed(state, &file, &all) {
        crate::services::records::record_held(
            state,
            p,
            &e.id,
            None,
            "responsibility-matrix",
            format!("cloudward:matrix/{}", e.id),
        )
        .await?;
    }
    Ok(written.into_iter().map(Into::into).collect())
}

// ---------------------------------------------------------------- exit

/// The exit checklist: what each side recorded, how the manifests compare, and what still
/// stops the engagement from closing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExitView {
    /// The exit record's version (0 before its first step).
    pub version: i64,
    #[schema(value_type = Object)]
    pub exit: ExitRecord,
    /// Provider's manifest against the customer's, once both are there.
    #[schema(value_type = Option<Object>)]
    pub integrity: Option<ManifestComparison>,
    /// Stable codes of what still stops the engagement from closing.
    pub blockers: Vec<String>,
}

impl ExitView {
    fn of(x: ExitRecord, version: i64) -> Self {
        let integrity = match (&x.provider_manifest, &x.customer_manifest) {
            (Some(a), Some(b)) => Some(rules::compare_manifests(a, b)),
            _ => None,
        };
        ExitView {
            version,
            blockers: rules::exit_blockers(&x)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            integrity,
            exit: x,
        }
    }
}

/// The engagement's exit checklist.
pub async fn exit(state: &AppState, p: &Principal, id: &str) -> ApiResult<ExitView> {
    let e = crate::services::engagements::engagement(state, p, id, Action::ExitRead).await?;
    Ok(match exit_record(state, &e).await? {
        Some((r, x)) => ExitView::of(x, r.version),
        None => ExitView::of(ExitRecord::default(), 0),
    })
}

/// One step of the exit. Who may take it: the customer writes the plan, the scope and what
/// it received, and confirms the deletion; the provider writes what it sent and attests the
/// deletion.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case", tag = "step")]
pub enum ExitStep {
    Plan {
        plan: String,
    },
    Scope {
        #[schema(value_type = Vec<Object>)]
        scope: Vec<ScopeItem>,
    },
    ProviderManifest {
        #[schema(value_type = Object)]
        manifest: Manifest,
    },
    CustomerManifest {
        #[schema(value_type = Object)]
        manifest: Manifest,
    },
    Attestation {
        #[schema(value_type = Object)]
        attestation: DeletionAttestation,
    },
    Confirm,
}

/// Takes one exit step. The exit record and the outputs it completes in the engagement
/// file (so that the file's own gates, and `cloudward check` on an export, see them) are
/// written in one transaction.
pub async fn exit_step(
    state: &AppState,
    p: &Principal,
    id: &str,
    step: ExitStep,
) -> ApiResult<ExitView> {
    let (e, seat) = acting(state, p, id, Action::ExitStep).await?;
    if e.phase != Phase::Exit {
        return Err(invalid("api.not_in_exit"));
    }
    let existing = exit_record(state, &e).await?;
    let mut x = existing
        .as_ref()
        .map(|(_, x)| x.clone())
        .unwrap_or_default();
    let customer = seat == Seat::Customer;
    let step_action = match step {
        ExitStep::ProviderManifest { .. } | ExitStep::Attestation { .. } => {
            Action::ExitProviderStep
        }
        _ => Action::ExitCustomerStep,
    };
    p.may(step_action, p.rel_to(&e))?;
    match step {
        ExitStep::Plan { plan } if customer => x.plan = Some(plan),
        ExitStep::Scope { scope } if customer => x.scope = scope,
        ExitStep::CustomerManifest { manifest } if customer => x.customer_manifest = Some(manifest),
        ExitStep::Confirm if customer => {
            if x.attestation.is_none() {
                return Err(invalid("finding.exit-no-deletion-attestation"));
            }
            x.confirmed_at = Some(cloudward_store::stamp(cloudward_store::now()));
            x.confirmed_by = Some(p.actor.id.clone());
        }
        ExitStep::ProviderManifest { manifest } if !customer => {
            x.provider_manifest = Some(manifest)
        }
        ExitStep::Attestation { attestation } if !customer => {
            x.attestation = Some(attestation);
            // A new attestation needs a new confirmation.
            x.confirmed_at = None;
            x.confirmed_by = None;
        }
        _ => return Err(ApiError::forbidden()),
    }
    let record_id = match &existing {
        Some((r, _)) => r.id.clone(),
        None => cloudward_store::new_id(),
    };
    let (mut creates, updates) = match &existing {
        Some((r, _)) => (Vec::new(), vec![RecordChange::of(r, to_value(&x)?)]),
        None => (
            vec![
                NewRecord::new("exit", e.customer_org_id.clone(), to_value(&x)?)
                    .with_id(record_id.clone())
                    .of_engagement(e.id.clone()),
            ],
            Vec::new(),
        ),
    };
    // The other side is told of the steps it still owes, in the same transaction.
    if let Some(event) =
        crate::notify::events::exit_waiting(state, &e, &x, customer, &cloudward_store::new_id())
    {
        creates.extend(crate::notify::outbox(state, &event, false).await?);
    }
    let (mut file, _) = export_text(&e)?;
    let written = if record_exit_outputs(&mut file, &x, &record_id) {
        state
            .store
            .update_engagement_with(
                &p.actor,
                &e.id,
                e.version,
                data_of(state, &file, e.parties.clone())?,
                creates,
                updates,
            )
            .await?
            .1
    } else {
        state
            .store
            .apply_records(&p.actor, creates, updates)
            .await?
    };
    let version = written.first().map_or(1, |r| r.version);
    Ok(ExitView::of(x, version))
}

/// Adds to the file the exit outputs that the record completes; whether anything changed.
fn record_exit_outputs(file: &mut EngagementFile, x: &ExitRecord, record_id: &str) -> bool {
    let verified = match (&x.provider_manifest, &x.customer_manifest) {
        (Some(a), Some(b)) => rules::compare_manifests(a, b).verified(),
        _ => false,
    };
    let done = [
        ("exit-plan", x.plan.is_some()),
        ("data-scope-list", !x.scope.is_empty()),
        ("data-handover-record", verified),
        (
            "deletion-confirmation",
            x.attestation.is_some() && x.confirmed_at.is_some(),
        ),
    ];
    let mut changed = false;
    for (output, is_done) in done {
        if is_done && !file.lifecycle.outputs.contains_key(output) {
            file.lifecycle.outputs.insert(
                output.to_owned(),
                OutputRecord {
                    reference: format!("cloudward:exit/{record_id}#{output}"),
                    date: Some(today()),
                },
            );
            changed = true;
        }
    }
    changed
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct UseData {
    pub(crate) offering_id: String,
    pub(crate) assessment_id: Option<String>,
}

pub(crate) async fn exit_record(
    state: &AppState,
    e: &Engagement,
) -> ApiResult<Option<(Record, ExitRecord)>> {
    let list = state
        .store
        .list_records("exit", &RecordFilter::engagement(&e.id))
        .await?;
    match list.into_iter().next() {
        Some(r) => {
            let x = parse_data(&r)?;
            Ok(Some((r, x)))
        }
        None => Ok(None),
    }
}
