//! What the caller has to do next, across the engagements it sees: rows of the matrix its
//! party has to confirm, notices to acknowledge with their deadlines, open findings
//! assigned to it, exit steps that wait for its side, assessments to conclude or publish,
//! and assessments relied on that expire. Each task names what it is about and where it is
//! dealt with; the console puts it in words. A bounded number of queries, whatever the
//! number of engagements.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use cloudward_domain::workflow::{self, ExitRecord, NoticeKind};
use cloudward_store::Engagement;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::{Action, Rel};
use crate::error::ApiResult;
use crate::services::assessments::AssessmentView;
use crate::services::engagements::{export_text, matrix_of, row_confirmations};
use crate::services::notices::NoticeData;
use crate::services::requests::RequestState;
use crate::supervision::FindingData;

/// One thing to do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Task {
    /// confirm_rows, acknowledge_notice, fix_finding, exit_steps, conclude_assessment,
    /// publish_assessment, answer_requests, retest_answers, assessment_expiring
    pub kind: &'static str,
    pub engagement_id: Option<String>,
    /// The engagement's name, or the offering's for an assessment.
    pub about: String,
    /// What in it: a notice's title, a finding's resource, the exit steps waiting …
    pub subject: Option<String>,
    /// A code behind the subject: a finding's rule id.
    pub code: Option<String>,
    /// How many (rows, steps).
    pub count: usize,
    /// By when (a notice's deadline, an assessment's end of validity), RFC 3339 or a date.
    pub due: Option<String>,
    /// The deadline has passed.
    pub late: bool,
    /// Where it is dealt with in the console.
    pub link: String,
}

/// The exit steps that wait for the caller's side, as message-free codes.
pub fn exit_steps_waiting(x: &ExitRecord, customer: bool) -> Vec<&'static str> {
    let mut steps = Vec::new();
    if customer {
        if x.plan.as_deref().is_none_or(|p| p.trim().is_empty()) {
            steps.push("plan");
        }
        if x.scope.is_empty() {
            steps.push("scope");
        }
        if x.customer_manifest.is_none() {
            steps.push("customer_manifest");
        }
        if x.attestation.is_some() && x.confirmed_at.is_none() {
            steps.push("confirm");
        }
    } else {
        if x.provider_manifest.is_none() {
            steps.push("provider_manifest");
        }
        if x.attestation.is_none() {
            steps.push("attestation");
        }
    }
    steps
}

/// The caller's tasks over `engagements` (those it sees) and `assessments` (its
/// organisation's), most pressing first: late ones, then by deadline.
pub async fn mine(
    state: &AppState,
    p: &Principal,
    engagements: &[Engagement],
    assessments: &[AssessmentView],
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Vec<Task>> {
    let today: NaiveDate = now.date_naive();
    let live: Vec<&Engagement> = engagements
        .iter()
        .filter(|e| e.phase != cloudward_store::Phase::Closed)
        .collect();
    let ids: Vec<String> = live.iter().map(|e| e.id.clone()).collect();
    let names: BTreeMap<&str, &str> = live
        .iter()
        .map(|e| (e.id.as_str(), e.name.as_str()))
        .collect();
    let mut tasks = Vec::new();

    // Rows of the matrix to confirm.
    let confirmations = state.store.confirmations_of(&ids).await?;
    let mut by_engagement: BTreeMap<&str, Vec<cloudward_store::Confirmation>> = BTreeMap::new();
    for c in confirmations {
        if let Some((k, _)) = names.get_key_value(c.engagement_id.as_str()) {
            by_engagement.entry(k).or_default().push(c);
        }
    }
    for e in &live {
        let rel = p.rel_to(e);
        let Ok(party) = crate::services::lifecycle::matrix_party(rel) else {
            continue;
        };
        if !p.can(Action::EngagementConfirm, rel) {
            continue;
        }
        let Ok((file, _)) = export_text(e) else {
            continue;
        };
        let done = by_engagement
            .get(e.id.as_str())
            .map_or(&[][..], Vec::as_slice);
        let waiting = matrix_of(state, &file)
            .elements
            .iter()
            .filter(|el| el.assignment.parties.contains(&party))
            .filter(|el| {
                let (current, _) = row_confirmations(done, el);
                !current.iter().any(|c| c.party == party)
            })
            .count();
        // The matrix is confirmed for the contract: from selection on.
        if waiting > 0 && e.phase != cloudward_store::Phase::Planning {
            tasks.push(Task {
                kind: "confirm_rows",
                engagement_id: Some(e.id.clone()),
                about: e.name.clone(),
                subject: None,
                code: None,
                count: waiting,
                due: None,
                late: false,
                link: format!("/engagements/{}/responsibility", e.id),
            });
        }
        // Assessments relied on that expire (the customer's to act on).
        if rel == Rel::Customer
            && workflow::relies_on_assessment(file.phase)
            && let Some(a) = file.provider.as_ref().and_then(|p| p.assessment.as_ref())
        {
            let standing = workflow::validity(a.passed, a.expires, today);
            if matches!(
                standing,
                workflow::Validity::Expiring { .. } | workflow::Validity::Expired
            ) {
                tasks.push(Task {
                    kind: "assessment_expiring",
                    engagement_id: Some(e.id.clone()),
                    about: e.name.clone(),
                    subject: file.provider.as_ref().map(|p| p.offering.clone()),
                    code: None,
                    count: 1,
                    due: Some(a.expires.to_string()),
                    late: a.expires < today,
                    link: format!("/engagements/{}", e.id),
                });
            }
        }
    }

    // Notices to acknowledge (the customer's members).
    let customer_ids: Vec<String> = live
        .iter()
        .filter(|e| p.can(Action::NoticeAck, p.rel_to(e)))
        .map(|e| e.id.clone())
        .collect();
    for r in state.store.records_of("notice", &customer_ids).await? {
        let Ok(n) = serde_json::from_value::<NoticeData>(r.data.clone()) else {
            continue;
        };
        if n.acknowledged_at.is_some() {
            continue;
        }
        let Some(eid) = r.engagement_id.clone() else {
            continue;
        };
        let late = chrono::DateTime::parse_from_rfc3339(&n.ack_due)
            .map(|d| d < now)
            .unwrap_or(false);
        tasks.push(Task {
            kind: match n.kind {
                NoticeKind::Change => "acknowledge_change",
                NoticeKind::Incident => "acknowledge_incident",
            },
            about: names
                .get(eid.as_str())
                .map(|n| (*n).to_owned())
                .unwrap_or_default(),
            link: format!("/engagements/{eid}/supervision#notices"),
            engagement_id: Some(eid),
            subject: Some(n.title.clone()),
            code: None,
            count: 1,
            due: Some(n.ack_due.clone()),
            late,
        });
    }

    // Open findings assigned to the caller, by user name.
    if let Some(username) = &p.username {
        let assignable: Vec<String> = live
            .iter()
            .filter(|e| p.can(Action::FindingAct, p.rel_to(e)))
            .map(|e| e.id.clone())
            .collect();
        for r in state
            .store
            .findings_assigned(&assignable, std::slice::from_ref(username), 20)
            .await?
        {
            let Ok(f) = serde_json::from_value::<FindingData>(r.data.clone()) else {
                continue;
            };
            let Some(eid) = r.engagement_id.clone() else {
                continue;
            };
            tasks.push(Task {
                kind: "fix_finding",
                about: names
                    .get(eid.as_str())
                    .map(|n| (*n).to_owned())
                    .unwrap_or_default(),
                link: format!("/engagements/{eid}/supervision?assignee={username}"),
                engagement_id: Some(eid),
                subject: Some(f.address.clone()),
                code: Some(f.rule_id.clone()),
                count: 1,
                due: None,
                late: false,
            });
        }
    }

    // Exit steps that wait for the caller's side.
    let in_exit: Vec<&&Engagement> = live
        .iter()
        .filter(|e| e.phase == cloudward_store::Phase::Exit && p.can(Action::ExitStep, p.rel_to(e)))
        .collect();
    let exit_ids: Vec<String> = in_exit.iter().map(|e| e.id.clone()).collect();
    let exits: BTreeMap<String, ExitRecord> = state
        .store
        .records_of("exit", &exit_ids)
        .await?
        .into_iter()
        .filter_map(|r| {
            let x = serde_json::from_value(r.data).ok()?;
            Some((r.engagement_id?, x))
        })
        .collect();
    for e in in_exit {
        let customer = p.rel_to(e) == Rel::Customer;
        let x = exits.get(&e.id).cloned().unwrap_or_default();
        let steps = exit_steps_waiting(&x, customer);
        if !steps.is_empty() {
            tasks.push(Task {
                kind: "exit_steps",
                engagement_id: Some(e.id.clone()),
                about: e.name.clone(),
                subject: Some(steps.join(",")),
                code: None,
                count: steps.len(),
                due: None,
                late: false,
                link: format!("/engagements/{}#exit", e.id),
            });
        }
    }

    // Assessments: the assessor concludes, the provider publishes; evidence requests wait
    // for the provider's answer, answers for the assessor's retest (one read of the
    // organisation's requests).
    let org = p.org.as_ref().map(|o| o.id.as_str());
    let requests = match org {
        Some(org) if !assessments.is_empty() => {
            crate::services::requests::of_organisation(state, org).await?
        }
        _ => Vec::new(),
    };
    for a in assessments {
        let about = a.offering_name.clone().unwrap_or_default();
        let link = format!("/assessments/{}", a.id);
        let waiting = |s: RequestState| {
            requests
                .iter()
                .filter(|r| r.assessment_id == a.id && r.request.state == s)
                .collect::<Vec<_>>()
        };
        let (kind, mine) = if Some(a.provider_org_id.as_str()) == org {
            ("answer_requests", waiting(RequestState::Open))
        } else {
            ("retest_answers", waiting(RequestState::Answered))
        };
        if !mine.is_empty() && a.conclusion.is_none() {
            let due = mine.iter().filter_map(|r| r.request.due).min();
            tasks.push(Task {
                kind,
                engagement_id: None,
                about: about.clone(),
                subject: None,
                code: None,
                count: mine.len(),
                due: due.map(|d| d.to_string()),
                late: due.is_some_and(|d| d < now.date_naive()),
                link: format!("{link}#requests"),
            });
        }
        if Some(a.assessor_org_id.as_str()) == org && a.conclusion.is_none() {
            tasks.push(Task {
                kind: "conclude_assessment",
                engagement_id: None,
                about,
                subject: None,
                code: None,
                count: 1,
                due: None,
                late: false,
                link,
            });
        } else if Some(a.provider_org_id.as_str()) == org && a.conclusion.is_some() && !a.published
        {
            tasks.push(Task {
                kind: "publish_assessment",
                engagement_id: None,
                about,
                subject: None,
                code: None,
                count: 1,
                due: None,
                late: false,
                link,
            });
        }
    }
    // Late first, then by deadline, then as found.
    tasks.sort_by(|a, b| {
        b.late.cmp(&a.late).then_with(|| match (&a.due, &b.due) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
    });
    Ok(tasks)
}

/// The caller's tasks, as the API gives them: over the engagements its organisation sees
/// (the 200 most recent) and its organisation's assessments.
pub async fn list(state: &AppState, p: &Principal) -> ApiResult<Vec<Task>> {
    p.may(Action::Tasks, Rel::Unscoped)?;
    let org = p.org()?;
    let (items, _) = state
        .store
        .list_engagements(
            &org.id,
            &cloudward_store::EngagementFilter {
                limit: 200,
                ..Default::default()
            },
        )
        .await?;
    let assessments = if matches!(
        org.kind,
        cloudward_store::OrgKind::Assessor | cloudward_store::OrgKind::Provider
    ) {
        crate::services::assessments::list(state, p).await?
    } else {
        Vec::new()
    };
    mine(state, p, &items, &assessments, chrono::Utc::now()).await
}
