//! The five steps of setting an engagement up — classification, requirement analysis,
//! responsibility matrix, contract checklist, choice of the cloud service — shown on each
//! of their pages while the engagement is in planning or selection: each step a link, what
//! is done ticked, the page's own step marked, and a link on to the next one.

use cloudward_domain::check::{self, Report};
use cloudward_domain::engagement::EngagementFile;
use cloudward_store::{Engagement, Phase};

use super::Ui;
use crate::AppState;

/// One step: its name, its page (none before the engagement exists) and whether done.
pub struct Step {
    pub name: String,
    pub href: Option<String>,
    pub done: bool,
    pub current: bool,
}

/// The steps, and the one after the page's own.
pub struct Setup {
    pub steps: Vec<Step>,
    pub next: Option<(String, String)>,
}

/// The steps in order: (id, name's message key).
const STEPS: [(&str, &str); 5] = [
    ("classification", "ui.step.classification"),
    ("analysis", "ui.step.analysis"),
    ("matrix", "ui.responsibility_matrix"),
    ("contract", "ui.step.contract"),
    ("provider", "ui.step.provider"),
];

/// The steps on the wizard's page: the first is where one is; the others open once the
/// engagement exists.
pub fn before_creation(ui: &Ui) -> Setup {
    Setup {
        steps: STEPS
            .iter()
            .enumerate()
            .map(|(i, (_, key))| Step {
                name: ui.t(key),
                href: None,
                done: false,
                current: i == 0,
            })
            .collect(),
        next: None,
    }
}

fn has(report: &Report, code: &str) -> bool {
    report
        .blockers
        .iter()
        .chain(&report.warnings)
        .chain(&report.recommendations)
        .any(|f| f.code == code)
}

/// The steps of engagement `e` seen from the page of step `here`; none once it is in
/// operation (set up) or for a file that does not check.
pub async fn of(
    state: &AppState,
    ui: &Ui,
    e: &Engagement,
    file: &EngagementFile,
    text: &str,
    here: &str,
) -> Option<Setup> {
    if !matches!(e.phase, Phase::Planning | Phase::Selection) {
        return None;
    }
    let report = check::check(file, text, &state.content, chrono::Utc::now().date_naive()).ok()?;
    // The customer's own rows of the matrix, all confirmed.
    let matrix_done = match state.store.confirmations(&e.id).await {
        Ok(done) => {
            let matrix = crate::services::engagements::matrix_of(state, file);
            let customer = cloudward_domain::responsibility::Actor::Customer;
            matrix
                .elements
                .iter()
                .filter(|el| el.assignment.parties.contains(&customer))
                .all(|el| {
                    let (current, _) = crate::services::engagements::row_confirmations(&done, el);
                    current.iter().any(|c| c.party == customer)
                })
        }
        Err(_) => false,
    };
    let id = &e.id;
    let done = |step: &str| match step {
        "classification" => true,
        "analysis" => !has(&report, "requirement-analysis-incomplete"),
        "matrix" => matrix_done,
        "contract" => !has(&report, "clause-missing") && !has(&report, "basic-requirement-missing"),
        "provider" => file
            .provider
            .as_ref()
            .is_some_and(|p| !p.offering.is_empty()),
        _ => false,
    };
    let href = |step: &str| match step {
        "analysis" => format!("/engagements/{id}/requirements"),
        "matrix" => format!("/engagements/{id}/responsibility"),
        "contract" => format!("/engagements/{id}/contract"),
        "provider" => format!("/engagements/{id}#use-offering-form"),
        _ => format!("/engagements/{id}"),
    };
    let steps: Vec<Step> = STEPS
        .iter()
        .map(|(step, key)| Step {
            name: ui.t(key),
            href: Some(href(step)),
            done: done(step),
            current: *step == here,
        })
        .collect();
    let next = STEPS
        .iter()
        .position(|(s, _)| *s == here)
        .and_then(|i| STEPS.get(i + 1))
        .map(|(step, key)| (ui.t(key), href(step)));
    Some(Setup { steps, next })
}
