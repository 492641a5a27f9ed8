//! Third-party assessments of offerings: the provider invites an assessor, the assessor
//! records results and concludes, the provider answers findings, publishes a pass and
//! grants customers the details.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::NaiveDate;
use cloudward_domain::ProtectionLevel;
use cloudward_domain::workflow::{
    self as rules, AssessmentSummary, Conclusion, ControlAssessment, ControlResult, Outcome, Waiver,
};
use cloudward_store::{NewRecord, OrgKind, Record, RecordChange, RecordFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::{self, Action, Rel};
use crate::error::{ApiError, ApiResult};
use crate::services::offerings::{OfferingData, offering_record};
use crate::services::support::{invalid, parse_data, to_value, today};

/// An assessment. `results` and `grants` are there for its provider, its assessor and the
/// customers it was granted to; others see the conclusion and the summary once published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: String,
    pub version: i64,
    pub offering_id: String,
    /// The name of the offering assessed (its provider and assessor see it, published or
    /// not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offering_name: Option<String>,
    pub provider_org_id: String,
    /// The provider organisation's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    pub assessor_org_id: String,
    /// The assessor organisation's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessor_name: Option<String>,
    /// The level assessed: general, enhanced or advanced.
    #[schema(value_type = String)]
    pub level: ProtectionLevel,
    /// outcome, level, date, valid_until
    #[schema(value_type = Option<Object>)]
    pub conclusion: Option<Conclusion>,
    pub published: bool,
    /// Counts per result, overall (`total`) and per family (`by_family`).
    #[schema(value_type = Object)]
    pub summary: AssessmentSummary,
    /// control id → result, notes, evidence ids, the provider's response
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub results: Option<BTreeMap<String, ControlAssessment>>,
    /// Engagements whose customers may read the details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grants: Option<Vec<String>>,
}

pub(crate) fn view(state: &AppState, r: &Record, details: bool) -> ApiResult<AssessmentView> {
    let a: AssessmentData = parse_data(r)?;
    Ok(AssessmentView {
        id: r.id.clone(),
        version: r.version,
        offering_id: a.offering_id,
        offering_name: None,
        provider_org_id: r.owner_org_id.clone(),
        provider_name: None,
        assessor_org_id: a.assessor_org_id,
        assessor_name: None,
        level: a.level,
        summary: rules::summarise(&state.content.catalog, &a.results),
        conclusion: a.conclusion,
        published: a.published,
        results: details.then_some(a.results),
        grants: details.then_some(a.grants),
    })
}

async fn save(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    a: &AssessmentData,
) -> ApiResult<AssessmentView> {
    let r = state
        .store
        .update_record(
            &p.actor,
            RecordChange::at("assessment", id, version, to_value(a)?),
        )
        .await?;
    view(state, &r, true)
}

/// The provider invites an assessor organisation to assess offering `offering_id` at
/// `level`, by default the level the offering claims.
pub async fn invite(
    state: &AppState,
    p: &Principal,
    offering_id: &str,
    assessor_org_id: &str,
    level: Option<ProtectionLevel>,
) -> ApiResult<AssessmentView> {
    let offering = offering_record(state, p, offering_id, Action::AssessorInvite).await?;
    let level = match level {
        Some(l) => l,
        None => {
            crate::services::offerings::parse_offering(
                &parse_data::<OfferingData>(&offering)?.offering,
            )?
            .claimed_level
        }
    };
    let assessor = state.store.get_org(assessor_org_id).await?;
    if assessor.as_ref().map(|o| o.kind) != Some(OrgKind::Assessor) {
        return Err(ApiError::bad_request("api.bad_party")
            .arg("seat", "assessor_org_id")
            .arg("kind", OrgKind::Assessor.id()));
    }
    let r = state
        .store
        .create_record(
            &p.actor,
            NewRecord::new(
                "assessment",
                offering.owner_org_id.clone(),
                to_value(&AssessmentData {
                    offering_id: offering.id.clone(),
                    assessor_org_id: assessor_org_id.to_owned(),
                    level,
                    results: BTreeMap::new(),
                    conclusion: None,
                    published: false,
                    grants: Vec::new(),
                })?,
            )
            .under(offering.id)
            .concerning(assessor_org_id.to_owned()),
        )
        .await?;
    let mut v = view(state, &r, true)?;
    name_all(state, std::slice::from_mut(&mut v)).await?;
    Ok(v)
}

/// One assessment, with the details when the caller may see them, and what it assesses
/// and who takes part by name.
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<AssessmentView> {
    let (r, _, rel) = assessment_access(state, p, id, Action::AssessmentRead).await?;
    let mut v = view(state, &r, rel != Rel::AssessmentSummary)?;
    name_all(state, std::slice::from_mut(&mut v)).await?;
    Ok(v)
}

/// Fills in the names of the offering, the provider and the assessor of each view: one
/// read per offering and per organisation, whatever the number of views. The callers are
/// the provider or the assessor (who may know the offering while it is a draft) or a
/// reader of a published assessment (whose offering is published).
async fn name_all(state: &AppState, list: &mut [AssessmentView]) -> ApiResult<()> {
    let mut offerings: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut orgs: BTreeMap<String, Option<String>> = BTreeMap::new();
    for a in list.iter_mut() {
        if !offerings.contains_key(&a.offering_id) {
            let name = match state.store.get_record("offering", &a.offering_id).await? {
                Some(r) => parse_data::<OfferingData>(&r)?
                    .offering
                    .get("name")
                    .and_then(|n| n.as_str())
                    .map(str::to_owned),
                None => None,
            };
            offerings.insert(a.offering_id.clone(), name);
        }
        for org in [&a.provider_org_id, &a.assessor_org_id] {
            if !orgs.contains_key(org) {
                let name = state.store.get_org(org).await?.map(|o| o.name);
                orgs.insert(org.clone(), name);
            }
        }
        a.offering_name = offerings.get(&a.offering_id).cloned().flatten();
        a.provider_name = orgs.get(&a.provider_org_id).cloned().flatten();
        a.assessor_name = orgs.get(&a.assessor_org_id).cloned().flatten();
    }
    Ok(())
}

/// The assessments the caller's organisation owns (as provider) or runs (as assessor).
pub async fn list(state: &AppState, p: &Principal) -> ApiResult<Vec<AssessmentView>> {
    p.may(Action::AssessmentList, Rel::Unscoped)?;
    let org = p.org()?;
    let mut list = organisation_assessments(state, &org.id)
        .await?
        .iter()
        .map(|r| view(state, r, false))
        .collect::<ApiResult<Vec<_>>>()?;
    // What each assesses and who takes part, by name.
    name_all(state, &mut list).await?;
    Ok(list)
}

/// The assessor's result for one control.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultEntry {
    /// satisfied, partially_satisfied, not_satisfied, not_applicable
    #[schema(value_type = String)]
    pub result: ControlResult,
    #[serde(default)]
    pub notes: String,
    /// Ids of the assessment's evidence (`POST …/evidence`); omitted, the control keeps
    /// the evidence it has and gains the files attached to it since.
    #[serde(default)]
    pub evidence: Option<Vec<String>>,
    /// Why the result stands without evidence: recorded as the control's waiver, with
    /// who and when. Omitted, the control keeps its waiver; empty, the waiver is removed.
    #[serde(default)]
    pub waiver: Option<String>,
}

/// The assessor records results per control, until it concludes. Unknown controls and
/// evidence that is not the assessment's are refused (400); a control recorded as
/// satisfied or partially satisfied with neither evidence nor a waiver is refused (422
/// `api.result_needs_evidence`, the controls in `details`), and nothing is saved.
pub async fn record_results(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    results: BTreeMap<String, ResultEntry>,
) -> ApiResult<AssessmentView> {
    record_results_as(state, p, id, version, results, Action::AssessmentResults).await
}

async fn record_results_as(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    results: BTreeMap<String, ResultEntry>,
    action: Action,
) -> ApiResult<AssessmentView> {
    let (_, mut a) = assessor_editing(state, p, id, action).await?;
    let files = files_by_control(state, id).await?;
    let mut bare = Vec::new();
    for (control, entry) in results {
        if state.content.catalog.control(&control).is_none() {
            return Err(ApiError::bad_request("api.unknown_control").arg("id", control));
        }
        let previous = a.results.get(&control);
        let response = previous.and_then(|r| r.provider_response.clone());
        let evidence = match entry.evidence {
            None => {
                let mut ids = previous.map(|r| r.evidence.clone()).unwrap_or_default();
                for f in files.get(&control).into_iter().flatten() {
                    if !ids.contains(f) {
                        ids.push(f.clone());
                    }
                }
                ids
            }
            Some(ids) => {
                for e in &ids {
                    let known = state
                        .store
                        .get_record("assessment_evidence", e)
                        .await?
                        .is_some_and(|r| r.parent_id.as_deref() == Some(id));
                    if !known {
                        return Err(
                            ApiError::bad_request("api.unknown_assessment_evidence").arg("id", e)
                        );
                    }
                }
                ids
            }
        };
        let waiver = match entry.waiver.as_deref().map(str::trim) {
            None => previous.and_then(|r| r.waiver.clone()),
            Some("") => None,
            // The same reason again keeps who gave it and when.
            Some(reason) => match previous.and_then(|r| r.waiver.as_ref()) {
                Some(w) if w.reason == reason => Some(w.clone()),
                _ => Some(Waiver {
                    reason: reason.to_owned(),
                    by: p.actor.id.clone(),
                    at: cloudward_store::now(),
                }),
            },
        };
        let entry = ControlAssessment {
            result: entry.result,
            notes: entry.notes,
            evidence,
            provider_response: response,
            waiver,
        };
        if !entry.supported() {
            bare.push(control.clone());
        }
        a.results.insert(control, entry);
    }
    if !bare.is_empty() {
        return Err(needs_evidence(&bare)?);
    }
    save(state, p, id, version, &a).await
}

/// The refusal of results said to be met with neither evidence nor a waiver.
fn needs_evidence(controls: &[String]) -> ApiResult<ApiError> {
    Ok(invalid("api.result_needs_evidence")
        .arg("controls", controls.join(", "))
        .arg("field", controls.first().cloned().unwrap_or_default())
        .details(to_value(&controls)?))
}

/// The controls a refusal of `record_results` names as needing evidence or a waiver
/// (none for any other error): for a form to show each beside its row.
pub fn refused_controls(e: &ApiError) -> Vec<String> {
    if e.key != "api.result_needs_evidence" {
        return Vec::new();
    }
    e.details
        .clone()
        .and_then(|d| serde_json::from_value(d).ok())
        .unwrap_or_default()
}

/// The ids of the assessment's files, by the control each was attached to (in the order
/// they were attached).
pub(crate) async fn files_by_control(
    state: &AppState,
    id: &str,
) -> ApiResult<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let files = state
        .store
        .list_records(
            "assessment_evidence",
            &RecordFilter {
                parent_id: Some(id.to_owned()),
                ..Default::default()
            },
        )
        .await?;
    for r in &files {
        let f: crate::services::evidence::AssessmentFileData = parse_data(r)?;
        if let Some(c) = f.control {
            out.entry(c).or_default().push(r.id.clone());
        }
    }
    Ok(out)
}

/// The provider answers the assessor's finding on a control, until the assessment is
/// concluded (409 after: what was concluded on does not change under the conclusion).
pub async fn respond(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    control: &str,
    response: String,
) -> ApiResult<AssessmentView> {
    let (_, mut a, _) = assessment_access(state, p, id, Action::AssessmentRespond).await?;
    if a.conclusion.is_some() {
        return Err(crate::services::assessments::concluded());
    }
    let Some(entry) = a.results.get_mut(control) else {
        return Err(ApiError::bad_request("api.unknown_control").arg("id", control));
    };
    entry.provider_response = Some(response);
    save(state, p, id, version, &a).await
}

/// What the assessor concludes; level, date and validity default to the invited level,
/// today and three years on.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcludeBody {
    pub version: i64,
    /// pass or fail
    #[schema(value_type = String)]
    pub outcome: Outcome,
    /// The level concluded; the invited level by default.
    #[schema(value_type = Option<String>)]
    pub level: Option<ProtectionLevel>,
    /// YYYY-MM-DD; today by default.
    #[schema(value_type = Option<String>)]
    pub date: Option<NaiveDate>,
    /// YYYY-MM-DD; three years after `date` by default.
    #[schema(value_type = Option<String>)]
    pub valid_until: Option<NaiveDate>,
}

/// The assessor concludes: pass or fail at a level, with a date and a validity. A pass
/// with controls not assessed or not satisfied is refused (422, the problems in details);
/// a conclusion is final.
pub async fn conclude(
    state: &AppState,
    p: &Principal,
    id: &str,
    body: ConcludeBody,
) -> ApiResult<AssessmentView> {
    let (_, mut a) = assessor_editing(state, p, id, Action::AssessmentConclude).await?;
    let date = body.date.unwrap_or_else(today);
    let conclusion = Conclusion {
        outcome: body.outcome,
        level: body.level.unwrap_or(a.level),
        date,
        valid_until: body
            .valid_until
            .unwrap_or_else(|| rules::default_validity(date)),
    };
    let problems = rules::check_conclusion(&state.content.catalog, &a.results, &conclusion);
    if !problems.is_empty() {
        return Err(invalid("api.conclusion_refused")
            .arg(
                "codes",
                problems
                    .iter()
                    .map(|p| p.code)
                    .collect::<Vec<_>>()
                    .join(", "),
            )
            .details(to_value(&problems)?));
    }
    a.conclusion = Some(conclusion);
    save(state, p, id, body.version, &a).await
}

/// The provider publishes a passed assessment to customers.
pub async fn publish(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
) -> ApiResult<AssessmentView> {
    let (_, mut a, _) = assessment_access(state, p, id, Action::AssessmentPublish).await?;
    if a.conclusion.as_ref().map(|c| c.outcome) != Some(Outcome::Pass) {
        return Err(invalid("api.not_passed"));
    }
    a.published = true;
    save(state, p, id, version, &a).await
}

/// The provider lets the customer of one of its engagements read the details.
pub async fn grant(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    engagement_id: &str,
) -> ApiResult<AssessmentView> {
    let (_, mut a, _) = assessment_access(state, p, id, Action::AssessmentGrant).await?;
    // Only engagements the provider serves.
    let e =
        crate::services::engagements::engagement(state, p, engagement_id, Action::GrantTo).await?;
    if !a.grants.contains(&e.id) {
        a.grants.push(e.id);
    }
    save(state, p, id, version, &a).await
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AssessmentData {
    pub(crate) offering_id: String,
    pub(crate) assessor_org_id: String,
    pub(crate) level: ProtectionLevel,
    pub(crate) results: BTreeMap<String, ControlAssessment>,
    pub(crate) conclusion: Option<Conclusion>,
    pub(crate) published: bool,
    /// Engagements whose customers may read the details.
    pub(crate) grants: Vec<String>,
}

pub(crate) async fn published_assessment(
    state: &AppState,
    offering_id: &str,
) -> ApiResult<Option<(Record, AssessmentData)>> {
    match state.store.published_assessment(offering_id).await? {
        Some(r) => {
            let a = parse_data(&r)?;
            Ok(Some((r, a)))
        }
        None => Ok(None),
    }
}

/// The assessment `id` for `action`, with how the caller relates to it: its provider, its
/// assessor, a customer it was granted to, anyone (summary, once published).
pub(crate) async fn assessment_access(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(Record, AssessmentData, Rel)> {
    let org = p.org.as_ref().map(|o| o.id.as_str());
    let found = match crate::services::engagements::record_of(state, "assessment", id).await? {
        Some(r) => {
            let a: AssessmentData = parse_data(&r)?;
            Some((r, a))
        }
        None => None,
    };
    let mut granted = false;
    if let (Some(org), Some((r, a))) = (org, &found)
        && a.published
    {
        granted = state.store.assessment_granted_to(&r.id, org).await?;
    }
    let rel = authz::assessment_rel(
        org,
        found.as_ref().map(|(r, a)| authz::AssessmentFacts {
            provider_org_id: &r.owner_org_id,
            assessor_org_id: &a.assessor_org_id,
            published: a.published,
            granted_to_caller: granted,
        }),
    );
    p.may(action, rel)?;
    let (r, a) = found.ok_or_else(ApiError::not_found)?;
    Ok((r, a, rel))
}

/// An assessment its assessor may still change, for `action`: not concluded (409 once it
/// is).
pub(crate) async fn assessor_editing(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(Record, AssessmentData)> {
    let (r, a, _) = assessment_access(state, p, id, action).await?;
    if a.conclusion.is_some() {
        return Err(concluded());
    }
    Ok((r, a))
}

/// The answer to a change of a concluded assessment: 409, a conclusion is final.
pub(crate) fn concluded() -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "conflict", "api.assessment_concluded")
}

/// The assessments an organisation owns (as provider) or runs (as assessor), oldest first.
pub(crate) async fn organisation_assessments(
    state: &AppState,
    org_id: &str,
) -> ApiResult<Vec<Record>> {
    let mut out = state
        .store
        .list_records(
            "assessment",
            &RecordFilter {
                owner_org_id: Some(org_id.to_owned()),
                ..Default::default()
            },
        )
        .await?;
    let runs = state
        .store
        .list_records(
            "assessment",
            &RecordFilter {
                party_org_id: Some(org_id.to_owned()),
                ..Default::default()
            },
        )
        .await?;
    out.extend(runs.into_iter().filter(|r| r.owner_org_id != org_id));
    out.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    Ok(out)
}

/// The assessment's results as a workbook to fill in (评估结果登记表): every requirement of
/// the level assessed, with what is recorded so far, for those who may see the details.
/// Returns a readable file name and the XLSX.
pub async fn results_workbook(
    state: &AppState,
    p: &Principal,
    id: &str,
    lang: cloudward_domain::Lang,
    format: Option<&str>,
) -> ApiResult<(String, cloudward_report::Format, Vec<u8>)> {
    use cloudward_report::Format;
    let (_, a, _) = assessment_access(state, p, id, Action::AssessmentWorkbook).await?;
    let format = crate::services::support::table_format(format)?;
    let offering = match state.store.get_record("offering", &a.offering_id).await? {
        Some(o) => crate::services::offerings::offering_of(&o)?.name,
        None => a.offering_id.clone(),
    };
    // Each control's evidence by name: what its result cites, and what was attached to it.
    let mut names = BTreeMap::new();
    let mut attached: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in state
        .store
        .list_records(
            "assessment_evidence",
            &RecordFilter {
                parent_id: Some(id.to_owned()),
                ..Default::default()
            },
        )
        .await?
    {
        let f: crate::services::evidence::AssessmentFileData = parse_data(&r)?;
        if let Some(c) = &f.control {
            attached.entry(c.clone()).or_default().push(r.id.clone());
        }
        names.insert(r.id.clone(), f.name);
    }
    let mut evidence_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (control, r) in &a.results {
        attached
            .entry(control.clone())
            .or_default()
            .extend(r.evidence.iter().cloned());
    }
    for (control, mut ids) in attached {
        ids.sort();
        ids.dedup();
        evidence_of.insert(
            control,
            ids.iter()
                .map(|e| names.get(e).cloned().unwrap_or_else(|| e.clone()))
                .collect(),
        );
    }
    let date = today();
    let form = cloudward_report::workbook::results_form(
        &state.content,
        &state.messages,
        lang,
        &cloudward_report::workbook::Assessed {
            level: a.level,
            results: &a.results,
            evidence_of: &evidence_of,
            offering: &offering,
        },
        date,
    );
    let bytes = match format {
        Format::Csv => cloudward_report::tables::export(
            cloudward_report::tables::Export {
                title: &form.title,
                subject: &offering,
                about: Vec::new(),
                columns: form.columns.iter().map(|c| c.header.clone()).collect(),
                widths: vec![1; form.columns.len()],
                rows: form.rows.clone(),
                date: &date.to_string(),
            },
            Format::Csv,
        ),
        _ => cloudward_report::workbook::write_form(&form),
    }
    .map_err(ApiError::internal_from)?;
    let clean: String = offering
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_（）()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        format!(
            "{}-{}-{date}.{}",
            form.title.split(" · ").next().unwrap_or_default(),
            clean.trim(),
            format.extension()
        ),
        format,
        bytes,
    ))
}

/// What an import of the results workbook did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkbookImportView {
    /// How many results the workbook gave (rows left empty are not counted).
    pub recorded: usize,
    pub assessment: AssessmentView,
}

/// The assessor gives the results workbook back: every row with a result is recorded as
/// `PUT …/results` would record it (its evidence kept), all or nothing. A workbook that
/// does not read is refused (422 `api.workbook_problems`), each problem with its sheet,
/// row and column in `details`, the first in the message.
pub async fn import_workbook(
    state: &AppState,
    p: &Principal,
    id: &str,
    bytes: &[u8],
    lang: cloudward_domain::Lang,
) -> ApiResult<WorkbookImportView> {
    let (r, _) = assessor_editing(state, p, id, Action::AssessmentWorkbookImport).await?;
    let read =
        cloudward_report::workbook::read_results(bytes, &state.content, &state.messages, lang)
            .map_err(|problems| workbook_refusal(state, lang, &problems))?;
    let recorded = read.len();
    let results = read
        .into_iter()
        .map(|(control, r)| {
            (
                control,
                ResultEntry {
                    result: r.result,
                    notes: r.notes,
                    evidence: None,
                    waiver: r.waiver,
                },
            )
        })
        .collect();
    let assessment = record_results_as(
        state,
        p,
        id,
        r.version,
        results,
        Action::AssessmentWorkbookImport,
    )
    .await?;
    Ok(WorkbookImportView {
        recorded,
        assessment,
    })
}

/// The refusal of a workbook that does not read: the first problem in words, how many
/// there are, and each in `details` (sheet, row, column, message).
pub fn workbook_refusal(
    state: &AppState,
    lang: cloudward_domain::Lang,
    problems: &[cloudward_report::workbook::CellProblem],
) -> ApiError {
    let first = problems
        .first()
        .map(|p| cloudward_report::workbook::problem_line(&state.messages, lang, p))
        .unwrap_or_default();
    let mut e = invalid("api.workbook_problems")
        .arg("field", "file")
        .arg("count", problems.len().to_string())
        .arg("first", first);
    if let Ok(v) = to_value(&problems) {
        e = e.details(v);
    }
    e
}

/// The problems a workbook refusal carries, for a form to list each by row and column.
pub fn workbook_problems(e: &ApiError) -> Vec<cloudward_report::workbook::CellProblem> {
    if e.key != "api.workbook_problems" {
        return Vec::new();
    }
    e.details
        .clone()
        .and_then(|d| serde_json::from_value(d).ok())
        .unwrap_or_default()
}
