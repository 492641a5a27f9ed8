//! The lifecycle records of an engagement — activities done, outputs with their reference
//! and date, the five basic requirements, the provider's cloud and SLA, the security
//! service provider — entered in a form instead of the file; and the outputs the server
//! already holds, which it records by itself.
//!
//! Held outputs are written into the engagement file (reference `cloudward:…`), so that
//! the gates of `check`, the console and `cloudward check` on an export all see them:
//! - the classification record and the protection requirement, whenever the file's
//!   information and business classify (every write of the file);
//! - the contract, while the checklist has every clause the level requires;
//! - the assessment record, when the customer picks an offering with a passed assessment;
//! - the responsibility matrix, once every party has confirmed every row it has a part in;
//! - in operation, the supervision records with the first scan run, and the change notices
//!   and incident reports with the first notice of each kind;
//! - the exit outputs, with the exit steps (in `lifecycle::exit_step`).

use std::collections::{BTreeMap, BTreeSet};

use cloudward_domain::engagement::{
    Commitment, EngagementFile, OutputRecord, Phase, SecurityServiceProvider, Sla,
};
use cloudward_domain::load::Content;
use cloudward_domain::{Lang, classify};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::Action;
use crate::error::{ApiError, ApiResult};
use crate::services::engagements::{export_text, matrix_of, row_confirmations};
use crate::services::lifecycle::data_of;
use crate::services::support::{acting, invalid, stale, today, validate};

/// The prefix of a reference the server wrote: the output is a record it holds.
pub const HELD: &str = "cloudward:";

/// Whether an output's record was written by the server.
pub fn is_held(o: &OutputRecord) -> bool {
    o.reference.starts_with(HELD)
}

fn held(reference: String) -> OutputRecord {
    OutputRecord {
        reference,
        date: Some(today()),
    }
}

/// Records `output` as held (`reference`) unless it is recorded already; whether the file
/// changed.
pub(crate) fn hold(file: &mut EngagementFile, output: &str, reference: String) -> bool {
    if file.lifecycle.outputs.contains_key(output) {
        return false;
    }
    file.lifecycle
        .outputs
        .insert(output.to_owned(), held(reference));
    true
}

/// Removes `output` if the server recorded it (what it rested on no longer holds); an
/// output the user recorded stays.
fn release(file: &mut EngagementFile, output: &str) -> bool {
    if file.lifecycle.outputs.get(output).is_some_and(is_held) {
        file.lifecycle.outputs.remove(output);
        return true;
    }
    false
}

/// Records `output` as held by `reference` (replacing an earlier held record of it), or,
/// for `None`, removes a held record of it; a record the user wrote stays.
pub(crate) fn hold_as(file: &mut EngagementFile, output: &str, reference: Option<String>) {
    match reference {
        Some(r) => {
            if file.lifecycle.outputs.get(output).is_none_or(is_held) {
                file.lifecycle.outputs.insert(output.to_owned(), held(r));
            }
        }
        None => {
            release(file, output);
        }
    }
}

/// The file with the outputs that follow from the file itself: the classification record
/// and protection requirement, and the contract while the checklist is complete. Applied
/// to every file the server stores.
pub fn with_held_outputs(content: &Content, file: &EngagementFile) -> EngagementFile {
    let mut file = file.clone();
    match classify::classify(&file.information, file.business) {
        Ok(r) => {
            hold(
                &mut file,
                "classification-record",
                format!("{HELD}classification"),
            );
            hold(
                &mut file,
                "protection-requirement",
                format!("{HELD}classification#{}", r.level.id()),
            );
            let required: Vec<&str> = content
                .guide
                .contract_clauses
                .iter()
                .filter(|c| r.level >= c.required_from)
                .map(|c| c.id.as_str())
                .collect();
            let complete = !required.is_empty()
                && required
                    .iter()
                    .all(|id| file.contract.get(*id).is_some_and(|c| c.present));
            if complete {
                hold(&mut file, "contract", format!("{HELD}contract-checklist"));
            } else {
                release(&mut file, "contract");
            }
        }
        Err(_) => {
            release(&mut file, "classification-record");
            release(&mut file, "protection-requirement");
        }
    }
    file
}

/// Whether every row of the matrix is confirmed, as it reads now, by every party it names.
pub(crate) fn matrix_confirmed(
    state: &AppState,
    file: &EngagementFile,
    confirmations: &[cloudward_store::Confirmation],
) -> bool {
    let matrix = matrix_of(state, file);
    !matrix.elements.is_empty()
        && matrix.elements.iter().all(|el| {
            let (current, _) = row_confirmations(confirmations, el);
            el.assignment
                .parties
                .iter()
                .all(|party| current.iter().any(|c| c.party == *party))
        })
}

/// Records a held output of engagement `id` that an event completed (a scan, a notice, the
/// last confirmation of the matrix), if the engagement is in `phase` (any phase when
/// `None`) and does not have it yet. A write of its own, after the event's: when it fails,
/// the next such event records it.
pub(crate) async fn record_held(
    state: &AppState,
    p: &Principal,
    id: &str,
    phase: Option<Phase>,
    output: &str,
    reference: String,
) -> ApiResult<()> {
    let Some(e) = state.store.visible_engagement(id, &p.org()?.id).await? else {
        return Ok(());
    };
    let (mut file, _) = export_text(&e)?;
    if phase.is_some_and(|ph| ph != file.phase) || !hold(&mut file, output, reference) {
        return Ok(());
    }
    let file = with_held_outputs(&state.content, &file);
    state
        .store
        .update_engagement(
            &p.actor,
            &e.id,
            e.version,
            data_of(state, &file, e.parties.clone())?,
        )
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- the records form

/// The provider as the customer records it: who, which offering, which cloud, and the SLA.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderRecord {
    /// Empty (with nothing else given) for no provider yet.
    pub name: String,
    pub offering: String,
    /// alicloud, tencentcloud, huaweicloud, aws or azurerm (the region table's clouds).
    #[serde(default)]
    pub cloud: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub sla: Option<Sla>,
}

/// The lifecycle records of an engagement, as a form or the API sends them. Outputs the
/// server holds (reference `cloudward:…`) stay unless named here.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordsInput {
    /// Activity ids done (e.g. `planning.decision`).
    #[serde(default)]
    pub activities: Vec<String>,
    /// Output id → {reference, date}.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub outputs: BTreeMap<String, OutputRecord>,
    /// BR1…BR5 → {present, reference}.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub basic_requirements: BTreeMap<String, Commitment>,
    /// The provider's name, offering, cloud and SLA. The name, offering and cloud of an
    /// offering picked on the server stay as the offering says.
    #[serde(default)]
    pub provider: Option<ProviderRecord>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub security_service_provider: Option<SecurityServiceProvider>,
    /// The security service provider's organisation on the server, which then takes the
    /// engagement's security-service-provider seat ("" for none; unset: as it is).
    #[serde(default)]
    pub security_service_provider_org: Option<String>,
}

/// Organisations that can take the security service provider's seat: (id, name).
pub async fn security_service_providers(state: &AppState) -> ApiResult<Vec<(String, String)>> {
    Ok(state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == cloudward_store::OrgKind::SecurityServiceProvider)
        .map(|o| (o.id, o.name))
        .collect())
}

/// The records as saved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordsView {
    pub version: i64,
    pub activities: Vec<String>,
    #[schema(value_type = Object)]
    pub outputs: BTreeMap<String, OutputRecord>,
    #[schema(value_type = Object)]
    pub basic_requirements: BTreeMap<String, Commitment>,
}

fn field_error(key: &'static str, field: &str) -> ApiError {
    invalid(key).arg("field", field)
}

/// Checks what the form names against the content, each refusal naming its field (the
/// form's field names: `activity.ID`, `output.ID.reference`, `br.ID.reference`,
/// `provider.cloud`, `sla.NAME`, `ssp.name`).
fn check_input(state: &AppState, input: &RecordsInput) -> ApiResult<()> {
    let guide = &state.content.guide;
    for a in &input.activities {
        if guide.activity(a).is_none() {
            return Err(field_error("api.unknown_activity", &format!("activity.{a}")).arg("id", a));
        }
    }
    for (id, o) in &input.outputs {
        if guide.output(id).is_none() {
            return Err(
                field_error("api.unknown_output", &format!("output.{id}.reference")).arg("id", id),
            );
        }
        if o.reference.trim().is_empty() {
            return Err(field_error(
                "api.output_reference_missing",
                &format!("output.{id}.reference"),
            ));
        }
        if o.reference.chars().count() > 500 {
            return Err(field_error(
                "api.too_long",
                &format!("output.{id}.reference"),
            ));
        }
    }
    for id in input.basic_requirements.keys() {
        if !guide.basic_requirements.iter().any(|b| &b.id == id) {
            return Err(
                field_error("api.unknown_requirement", &format!("br.{id}.present")).arg("id", id),
            );
        }
    }
    if let Some(pr) = &input.provider {
        if let Some(c) = &pr.cloud
            && state.content.regions.cloud(c).is_none()
        {
            return Err(field_error("api.unknown_cloud", "provider.cloud").arg("id", c));
        }
        if let Some(s) = &pr.sla {
            if let Some(a) = s.availability_percent
                && !(a > 0.0 && a <= 100.0)
            {
                return Err(field_error("api.bad_percent", "sla.availability_percent"));
            }
            if let Some(h) = s.recovery_hours
                && !(h.is_finite() && h >= 0.0)
            {
                return Err(field_error("api.bad_hours", "sla.recovery_hours"));
            }
        }
        if pr.name.trim().is_empty()
            && (!pr.offering.trim().is_empty() || pr.cloud.is_some() || pr.sla.is_some())
        {
            return Err(field_error("api.provider_name_missing", "provider.name"));
        }
    }
    if let Some(s) = &input.security_service_provider
        && s.name.trim().is_empty()
        && s.scope.as_deref().is_some_and(|x| !x.trim().is_empty())
    {
        return Err(field_error("api.ssp_name_missing", "ssp.name"));
    }
    Ok(())
}

/// Replaces the lifecycle records of engagement `id` if `version` is current, under the
/// file's rules (an id the content does not know is refused, naming the field).
pub async fn put(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    input: RecordsInput,
    lang: Lang,
) -> ApiResult<RecordsView> {
    let (e, _) = acting(state, p, id, Action::RecordsPut).await?;
    if e.version != version {
        return Err(stale(e.version, version));
    }
    check_input(state, &input)?;
    let (mut file, _) = export_text(&e)?;
    // Activities in the guide's order, once each.
    let wanted: BTreeSet<&str> = input.activities.iter().map(String::as_str).collect();
    let mut activities: Vec<String> = state
        .content
        .guide
        .phases
        .iter()
        .flat_map(|ph| ph.activities.iter())
        .filter(|a| wanted.contains(a.id.as_str()))
        .map(|a| a.id.clone())
        .collect();
    // Activities the content no longer has stay as the file wrote them (check names them).
    for a in &file.lifecycle.activities {
        if state.content.guide.activity(a).is_none() && !activities.contains(a) {
            activities.push(a.clone());
        }
    }
    file.lifecycle.activities = activities;
    let mut outputs: BTreeMap<String, OutputRecord> = file
        .lifecycle
        .outputs
        .iter()
        .filter(|(_, o)| is_held(o))
        .map(|(k, o)| (k.clone(), o.clone()))
        .collect();
    for (k, o) in input.outputs {
        outputs.insert(
            k,
            OutputRecord {
                reference: o.reference.trim().to_owned(),
                date: o.date,
            },
        );
    }
    file.lifecycle.outputs = outputs;
    file.basic_requirements = input
        .basic_requirements
        .into_iter()
        .map(|(k, c)| {
            (
                k,
                Commitment {
                    present: c.present,
                    reference: c
                        .reference
                        .map(|r| r.trim().to_owned())
                        .filter(|r| !r.is_empty()),
                },
            )
        })
        .collect();
    match input.provider {
        Some(pr) if !pr.name.trim().is_empty() => {
            let picked = file.provider.as_ref().is_some_and(|p| {
                p.assessment
                    .as_ref()
                    .and_then(|a| a.reference.as_deref())
                    .is_some_and(|r| r.starts_with(HELD))
            });
            let current = file.provider.take();
            file.provider = Some(match current {
                Some(mut c) if picked => {
                    c.sla = pr.sla;
                    c
                }
                current => cloudward_domain::engagement::Provider {
                    name: pr.name.trim().to_owned(),
                    offering: pr.offering.trim().to_owned(),
                    cloud: pr.cloud,
                    assessment: current.and_then(|c| c.assessment),
                    sla: pr.sla,
                },
            });
        }
        Some(_) => file.provider = None,
        None => {}
    }
    // A security service provider with no name is none.
    if let Some(s) = input.security_service_provider {
        file.security_service_provider =
            (!s.name.trim().is_empty()).then(|| SecurityServiceProvider {
                name: s.name.trim().to_owned(),
                scope: s
                    .scope
                    .map(|x| x.trim().to_owned())
                    .filter(|x| !x.is_empty()),
            });
    }
    let mut parties = e.parties.clone();
    if let Some(org_id) = input.security_service_provider_org.as_deref() {
        parties.retain(|(seat, _)| *seat != cloudward_store::Party::SecurityServiceProvider);
        if !org_id.is_empty() {
            let org = state
                .store
                .get_org(org_id)
                .await?
                .filter(|o| o.kind == cloudward_store::OrgKind::SecurityServiceProvider)
                .ok_or_else(|| field_error("api.unknown_ssp", "ssp.org"))?;
            // Named as the organisation is, unless the form names it otherwise.
            if file.security_service_provider.is_none() {
                file.security_service_provider = Some(SecurityServiceProvider {
                    name: org.name.clone(),
                    scope: None,
                });
            }
            parties.push((cloudward_store::Party::SecurityServiceProvider, org.id));
        }
    }
    validate(state, &file, today(), lang)?;
    let file = with_held_outputs(&state.content, &file);
    let updated = state
        .store
        .update_engagement(&p.actor, &e.id, e.version, data_of(state, &file, parties)?)
        .await?;
    Ok(RecordsView {
        version: updated.version,
        activities: file.lifecycle.activities,
        outputs: file.lifecycle.outputs,
        basic_requirements: file.basic_requirements,
    })
}

/// Attaches a document as lifecycle output `output` of engagement `id`: the file is kept
/// as the engagement's evidence for that output and the output is recorded by it
/// (`cloudward:evidence/ID`), in one transaction.
pub async fn attach(
    state: &AppState,
    p: &Principal,
    id: &str,
    output: &str,
    name: &str,
    date: Option<chrono::NaiveDate>,
    bytes: Vec<u8>,
) -> ApiResult<RecordsView> {
    let (e, _) = acting(state, p, id, Action::RecordsAttach).await?;
    if state.content.guide.output(output).is_none() {
        return Err(field_error("api.unknown_output", "output").arg("id", output));
    }
    let new = crate::services::evidence::NewEvidence {
        target_kind: "output".into(),
        target: output.to_owned(),
        name: name.to_owned(),
        effective_date: date,
    };
    let (record, data) =
        crate::services::evidence::evidence_record(state, p, &e, new, bytes).await?;
    let evidence_id = cloudward_store::new_id();
    let record = record.with_id(evidence_id.clone());
    let (mut file, _) = export_text(&e)?;
    file.lifecycle.outputs.insert(
        output.to_owned(),
        OutputRecord {
            reference: format!("{HELD}evidence/{evidence_id}"),
            date: Some(data.effective_date),
        },
    );
    let file = with_held_outputs(&state.content, &file);
    let (updated, _) = state
        .store
        .update_engagement_with(
            &p.actor,
            &e.id,
            e.version,
            data_of(state, &file, e.parties.clone())?,
            vec![record],
            Vec::new(),
        )
        .await?;
    Ok(RecordsView {
        version: updated.version,
        activities: file.lifecycle.activities,
        outputs: file.lifecycle.outputs,
        basic_requirements: file.basic_requirements,
    })
}
