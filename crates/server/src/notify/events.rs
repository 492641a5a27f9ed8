//! The events the services raise, each put as a [`Event`] with its recipients and the
//! arguments of its message: a rule per event, kept here so that the services only say
//! what happened.

use cloudward_domain::engagement::EngagementFile;
use cloudward_domain::responsibility::{Actor as MatrixActor, Matrix};
use cloudward_domain::workflow::{ExitRecord, NoticeKind};
use cloudward_store::{Engagement, Party, Phase};

use super::{Bilingual, Event, EventKind, everyone};
use crate::AppState;

fn party_org(e: &Engagement, party: Party) -> Option<String> {
    e.parties
        .iter()
        .find(|(p, _)| *p == party)
        .map(|(_, o)| o.clone())
}

/// A provider's notice: its customer is told, with the deadline to acknowledge it.
pub fn notice(
    state: &AppState,
    e: &Engagement,
    id: &str,
    kind: NoticeKind,
    title: &str,
    ack_due: &str,
) -> Event {
    let kind_id = match kind {
        NoticeKind::Incident => "incident",
        NoticeKind::Change => "change",
    };
    Event::on(EventKind::Notice, format!("notice:{id}"), e)
        .to([e.customer_org_id.clone()])
        .arg("title", Bilingual::same(title))
        .arg(
            "kind",
            Bilingual::message(state, &format!("ui.notice.{kind_id}"), &[]),
        )
        .arg("deadline", Bilingual::same(ack_due))
        .link(format!("/engagements/{}/supervision", e.id))
}

/// A scan opened high or critical findings (`(rule, severity, address)`): the customer
/// and its security service provider are told. None when there are none.
pub fn findings(
    e: &Engagement,
    run_key: &str,
    opened: &[(String, String, String)],
) -> Option<Event> {
    let serious: Vec<&(String, String, String)> = opened
        .iter()
        .filter(|(_, s, _)| matches!(s.as_str(), "high" | "critical"))
        .collect();
    if serious.is_empty() {
        return None;
    }
    let mut list: Vec<String> = serious
        .iter()
        .take(10)
        .map(|(rule, severity, address)| format!("{rule} ({severity}) {address}"))
        .collect();
    if serious.len() > 10 {
        list.push(format!("… (+{})", serious.len() - 10));
    }
    let critical = serious.iter().filter(|(_, s, _)| s == "critical").count();
    Some(
        Event::on(EventKind::Finding, format!("finding:{}:{run_key}", e.id), e)
            .to(std::iter::once(e.customer_org_id.clone())
                .chain(party_org(e, Party::SecurityServiceProvider)))
            .arg("count", Bilingual::same(&serious.len().to_string()))
            .arg("critical", Bilingual::same(&critical.to_string()))
            .arg("list", Bilingual::same(&list.join("; ")))
            .link(format!("/engagements/{}/supervision", e.id)),
    )
}

/// The engagement moved from `from` to `to`: everyone on it is told.
pub fn transition(state: &AppState, e: &Engagement, from: Phase, to: Phase) -> Event {
    Event::on(
        EventKind::Transition,
        format!("transition:{}:{}", e.id, to.id()),
        e,
    )
    .to(everyone(e))
    .arg(
        "from",
        Bilingual::message(state, &format!("phase.{}", from.id()), &[]),
    )
    .arg(
        "to",
        Bilingual::message(state, &format!("phase.{}", to.id()), &[]),
    )
}

/// Rows of the matrix whose assignment changed (or that are new) wait for the
/// confirmation of each of their parties; each party's organisation (but `actor_org`,
/// which made the change) is told of its rows.
pub fn matrix_rows(
    e: &Engagement,
    before: &Matrix,
    after: &Matrix,
    actor_org: Option<&str>,
    key: &str,
) -> Vec<Event> {
    let mut by_org: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for el in &after.elements {
        let old = before.elements.iter().find(|b| b.id == el.id);
        if old.is_some_and(|o| o.assignment.terms() == el.assignment.terms()) {
            continue;
        }
        for actor in &el.assignment.parties {
            let org = match actor {
                MatrixActor::Customer => Some(e.customer_org_id.clone()),
                MatrixActor::Provider => party_org(e, Party::Provider),
                MatrixActor::SecurityServiceProvider => {
                    party_org(e, Party::SecurityServiceProvider)
                }
            };
            if let Some(org) = org.filter(|o| Some(o.as_str()) != actor_org) {
                by_org.entry(org).or_default().push(el.id.clone());
            }
        }
    }
    by_org
        .into_iter()
        .map(|(org, rows)| {
            Event::on(
                EventKind::MatrixRow,
                format!("matrix_row:{}:{key}:{org}", e.id),
                e,
            )
            .to([org])
            .arg("count", Bilingual::same(&rows.len().to_string()))
            .arg("rows", Bilingual::same(&rows.join(", ")))
            .link(format!("/engagements/{}/responsibility", e.id))
        })
        .collect()
}

/// The steps of the exit checklist still owed by the customer, or by the provider.
pub fn exit_owed(x: &ExitRecord, customer: bool) -> Vec<&'static str> {
    let mut owed = Vec::new();
    if customer {
        if x.plan.is_none() {
            owed.push("plan");
        }
        if x.scope.is_empty() {
            owed.push("scope");
        }
        if x.customer_manifest.is_none() {
            owed.push("customer_manifest");
        }
        if x.attestation.is_some() && x.confirmed_at.is_none() {
            owed.push("confirm");
        }
    } else {
        if x.provider_manifest.is_none() {
            owed.push("provider_manifest");
        }
        if x.attestation.is_none() {
            owed.push("attestation");
        }
    }
    owed
}

/// After a step of one side, the other side's steps wait: its organisation is told (none
/// when it owes nothing).
pub fn exit_waiting(
    state: &AppState,
    e: &Engagement,
    x: &ExitRecord,
    by_customer: bool,
    key: &str,
) -> Option<Event> {
    let owed = exit_owed(x, !by_customer);
    let org = if by_customer {
        party_org(e, Party::Provider)?
    } else {
        e.customer_org_id.clone()
    };
    if owed.is_empty() {
        return None;
    }
    let steps: Vec<Bilingual> = owed
        .iter()
        .map(|s| Bilingual::message(state, &format!("notify.step.{s}"), &[]))
        .collect();
    let join = |f: fn(&Bilingual) -> &String, sep: &str| {
        steps.iter().map(f).cloned().collect::<Vec<_>>().join(sep)
    };
    Some(
        Event::on(EventKind::ExitStep, format!("exit_step:{}:{key}", e.id), e)
            .to([org])
            .arg(
                "steps",
                Bilingual {
                    zh: join(|b| &b.zh, "、"),
                    en: join(|b| &b.en, ", "),
                },
            ),
    )
}

/// Whether the file's matrix is worth comparing (an update that changed it).
pub fn matrix_changed(before: &EngagementFile, after: &EngagementFile) -> bool {
    before.service_category != after.service_category
        || serde_json::to_value(&before.responsibility).ok()
            != serde_json::to_value(&after.responsibility).ok()
}
