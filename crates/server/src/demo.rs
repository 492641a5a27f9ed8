//! `cloudward serve --demo`: the whole story of the guide, told through the server's own
//! commands. Four organisations and a user for each role; the provider publishes an
//! offering, invites the assessor, who records results with a file of evidence for each
//! control, concludes a pass, and the provider publishes it; the customer has one
//! engagement in each phase — planning (blockers left), selection (the offering picked,
//! the matrix waiting for the provider and the security service provider), operation (two
//! scans of the demo estate, a finding assigned, a notice waiting for acknowledgement),
//! exit (the provider's attestation waiting) and closed — and a second offering waits for
//! the assessor's conclusion. Every role has something in its tasks.
//!
//! Each step acts as the user of the organisation that would take it in real use, through
//! `services::*`: what the demo shows has the audit entries, held outputs and gates that
//! use would give it. Dates are relative to today.
//!
//! Passwords are random and printed at each start (there is no default password). A demo
//! started again keeps its data and gets new passwords: each part of the story is told
//! once, skipped when what it makes is there (an offering or an engagement by its name).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use cloudward_domain::catalog::ServiceCategory;
use cloudward_domain::classify::DeploymentModel;
use cloudward_domain::engagement::{self, EngagementFile, OutputRecord, Phase};
use cloudward_domain::responsibility::Actor as MatrixActor;
use cloudward_domain::workflow::{
    ControlResult, DeletionAttestation, NoticeKind, Offering, Outcome, ScopeItem,
};
use cloudward_domain::{Lang, ProtectionLevel};
use cloudward_store::{Actor, NewUser, OrgKind, RecordFilter, Role};

use crate::AppState;
use crate::auth::{Principal, hash_password, random_token};
use crate::error::ApiError;
use crate::services::{
    assessments, engagements, evidence, findings, lifecycle, notices, offerings,
};

const CUSTOMER: &str = "示例客户 Demo Customer Bureau";
const PROVIDER: &str = "示例云服务商 Demo Cloud Provider";
const ASSESSOR: &str = "示例评估机构 Demo Assessor";
const SSP: &str = "示例安全服务商 Demo Security Services";

/// The offering the story is about, and the one still being assessed.
const OFFERING: &str = "示例政务云 IaaS Demo Government Cloud IaaS";
const SECOND_OFFERING: &str = "示例协同办公 SaaS Demo Office SaaS";
/// The cloud of both, and the regions: Alibaba Cloud in mainland China, as the demo
/// estate (`demo_estate.tf`) is.
const CLOUD: &str = "alicloud";
const REGIONS: [&str; 2] = ["cn-shanghai", "cn-hangzhou"];

/// The customer's engagements, one per phase.
pub const PLANNING: &str = "市公积金网上服务大厅";
pub const SELECTION: &str = "区政府门户在线留言系统";
pub const OPERATION: &str = "市医疗保障结算系统";
pub const EXIT: &str = "旧版行政审批系统";
pub const CLOSED: &str = "疫情期间临时数据填报平台";

const FILE: &str = include_str!("demo/engagement.yaml");

/// The demo estate the server scans for the engagement in operation: as it is, and the
/// part that a month earlier was worse.
const ESTATE: &str = include_str!("demo_estate.tf");
const ESTATE_BEFORE: &str = include_str!("demo_estate_before.tf");

/// A demo login to print.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    /// Who the user is.
    pub what: &'static str,
    /// What the user finds on logging in.
    pub sees: &'static str,
}

/// The user to log in as first.
pub const FIRST: &str = "customer-admin";

struct DemoUser {
    username: &'static str,
    org: Option<&'static str>,
    role: Role,
    platform_admin: bool,
    what: &'static str,
    sees: &'static str,
}

const USERS: [DemoUser; 7] = [
    DemoUser {
        username: "customer-admin",
        org: Some(CUSTOMER),
        role: Role::OrgAdmin,
        platform_admin: false,
        what: "the customer's administrator",
        sees: "five engagements, one in each phase; a provider's notice to acknowledge, two rows of the matrix to confirm",
    },
    DemoUser {
        username: "customer-member",
        org: Some(CUSTOMER),
        role: Role::Member,
        platform_admin: false,
        what: "customer, member",
        sees: "the same engagements; a scan finding assigned to fix, the notice",
    },
    DemoUser {
        username: "customer-viewer",
        org: Some(CUSTOMER),
        role: Role::ReadOnly,
        platform_admin: false,
        what: "customer, read-only",
        sees: "the engagements, without the buttons",
    },
    DemoUser {
        username: "provider-admin",
        org: Some(PROVIDER),
        role: Role::OrgAdmin,
        platform_admin: false,
        what: "cloud service provider",
        sees: "its published, assessed offering; matrix rows to confirm; a deletion to attest",
    },
    DemoUser {
        username: "assessor-admin",
        org: Some(ASSESSOR),
        role: Role::OrgAdmin,
        platform_admin: false,
        what: "third-party assessor",
        sees: "a concluded assessment, and one in progress to conclude",
    },
    DemoUser {
        username: "ssp-admin",
        org: Some(SSP),
        role: Role::OrgAdmin,
        platform_admin: false,
        what: "security service provider",
        sees: "two engagements it serves; matrix rows to confirm",
    },
    DemoUser {
        username: "platform-admin",
        org: None,
        role: Role::OrgAdmin,
        platform_admin: true,
        what: "platform administrator",
        sees: "the audit log, its chain verified; organisations and users",
    },
];

/// Why the demo could not be seeded, in words for the terminal.
fn failed(step: &str) -> impl Fn(ApiError) -> String + '_ {
    move |e| format!("the demo could not {step}: {} ({})", e.key, e.code)
}

fn store_failed(e: cloudward_store::StoreError) -> String {
    format!("the demo could not be seeded: {e}")
}

fn password() -> Result<String, String> {
    random_token()
        .map(|t| t.chars().take(20).collect())
        .map_err(|_| "no random numbers from the operating system".to_owned())
}

/// Seeds the demo (once) and sets fresh passwords for the demo users, which it returns,
/// the first one to log in as first.
pub async fn seed(state: &AppState) -> Result<Vec<DemoLogin>, String> {
    let store = &state.store;
    let by = Actor::system();
    let orgs = store.list_orgs().await.map_err(store_failed)?;
    let mut org_ids: BTreeMap<&str, String> = BTreeMap::new();
    for (name, kind) in [
        (CUSTOMER, OrgKind::Customer),
        (PROVIDER, OrgKind::Provider),
        (ASSESSOR, OrgKind::Assessor),
        (SSP, OrgKind::SecurityServiceProvider),
    ] {
        let id = match orgs.iter().find(|o| o.name == name) {
            Some(o) => o.id.clone(),
            None => {
                store
                    .create_org(&by, name, kind)
                    .await
                    .map_err(store_failed)?
                    .id
            }
        };
        org_ids.insert(name, id);
    }
    let mut logins = Vec::new();
    for u in &USERS {
        let pw = password()?;
        let hash = hash_password(&pw)?;
        match store.find_user(u.username).await.map_err(store_failed)? {
            Some(found) => store
                .set_password(&by, &found.id, &hash, None)
                .await
                .map_err(store_failed)?,
            None => {
                store
                    .create_user(
                        &by,
                        NewUser {
                            org_id: u.org.and_then(|o| org_ids.get(o).cloned()),
                            username: u.username.to_owned(),
                            display_name: u.username.to_owned(),
                            password_hash: hash,
                            role: u.role,
                            platform_admin: u.platform_admin,
                        },
                    )
                    .await
                    .map_err(store_failed)?;
            }
        }
        logins.push(DemoLogin {
            username: u.username.to_owned(),
            password: pw,
            what: u.what,
            sees: u.sees,
        });
    }
    let cast = Cast {
        customer_admin: principal(state, "customer-admin").await?,
        customer_member: principal(state, "customer-member").await?,
        provider: principal(state, "provider-admin").await?,
        assessor: principal(state, "assessor-admin").await?,
        ssp: principal(state, "ssp-admin").await?,
        ssp_org: org_ids.get(SSP).cloned().unwrap_or_default(),
        assessor_org: org_ids.get(ASSESSOR).cloned().unwrap_or_default(),
    };
    story(state, &cast).await?;
    Ok(logins)
}

/// Who acts in the story.
struct Cast {
    customer_admin: Principal,
    customer_member: Principal,
    provider: Principal,
    assessor: Principal,
    ssp: Principal,
    ssp_org: String,
    assessor_org: String,
}

/// The demo user `username` as the server would see it after logging in.
async fn principal(state: &AppState, username: &str) -> Result<Principal, String> {
    let user = state
        .store
        .find_user(username)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| format!("the demo user {username} is missing"))?;
    let org = match &user.org_id {
        Some(id) => state.store.get_org(id).await.map_err(store_failed)?,
        None => None,
    };
    Ok(Principal {
        actor: Actor {
            id: user.id.clone(),
            org_id: user.org_id.clone(),
        },
        user_id: Some(user.id.clone()),
        username: Some(user.username.clone()),
        role: user.role,
        org,
        platform_admin: user.platform_admin,
        session: None,
        csrf: None,
        lang: None,
        engagement: None,
        must_change_password: false,
    })
}

fn today() -> NaiveDate {
    crate::services::support::today()
}

fn days_ago(n: i64) -> NaiveDate {
    today() - Duration::days(n)
}

async fn story(state: &AppState, cast: &Cast) -> Result<(), String> {
    let offering = match find_offering(state, &cast.provider, OFFERING).await? {
        Some(id) => id,
        None => assessed_offering(state, cast).await?,
    };
    if find_offering(state, &cast.provider, SECOND_OFFERING)
        .await?
        .is_none()
    {
        offering_in_assessment(state, cast).await?;
    }
    let existing: Vec<String> = engagements::list(
        state,
        &cast.customer_admin,
        cloudward_store::EngagementFilter {
            limit: 200,
            ..Default::default()
        },
    )
    .await
    .map_err(failed("list the engagements"))?
    .items
    .into_iter()
    .map(|e| e.name)
    .collect();
    let todo = |name: &str| !existing.iter().any(|n| n == name);
    if todo(PLANNING) {
        planning(state, cast).await?;
    }
    if todo(SELECTION) {
        selection(state, cast, &offering).await?;
    }
    if todo(OPERATION) {
        operation(state, cast, &offering).await?;
    }
    if todo(EXIT) {
        exit(state, cast, &offering).await?;
    }
    if todo(CLOSED) {
        closed(state, cast, &offering).await?;
    }
    Ok(())
}

async fn find_offering(
    state: &AppState,
    provider: &Principal,
    name: &str,
) -> Result<Option<String>, String> {
    Ok(offerings::list(state, provider)
        .await
        .map_err(failed("list the offerings"))?
        .into_iter()
        .find(|o| {
            o.offering.name == name
                && Some(&o.provider_org_id) == provider.org.as_ref().map(|o| &o.id)
        })
        .map(|o| o.id))
}

fn offering(name: &str, category: ServiceCategory, level: ProtectionLevel) -> Offering {
    Offering {
        name: name.to_owned(),
        service_category: category,
        deployment_model: DeploymentModel::Public,
        regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
        cloud: Some(CLOUD.to_owned()),
        claimed_level: level,
        responsibility: Vec::new(),
    }
}

/// The provider publishes the offering and invites the assessor, who records a result
/// with a file of evidence for every control of the level and concludes a pass; the
/// provider publishes the assessment. The offering's id.
async fn assessed_offering(state: &AppState, cast: &Cast) -> Result<String, String> {
    let level = ProtectionLevel::Enhanced;
    let o = offerings::create(
        state,
        &cast.provider,
        &offering(OFFERING, ServiceCategory::Iaas, level),
        true,
    )
    .await
    .map_err(failed("publish the offering"))?;
    let a = assessments::invite(
        state,
        &cast.provider,
        &o.id,
        &cast.assessor_org,
        Some(level),
    )
    .await
    .map_err(failed("invite the assessor"))?;
    let controls: Vec<String> = state
        .content
        .catalog
        .applicable(level)
        .map(|c| c.id.clone())
        .collect();
    let mut version = a.version;
    // A file of evidence for each control first, then the results they support (a
    // result said to be met needs its evidence).
    for c in &controls {
        let text = format!(
            "{c} 核查记录\n评估机构：{ASSESSOR}\n对象：{OFFERING}\n日期：{}\n结论：满足\n",
            days_ago(45)
        );
        version = evidence::attach_to_result(
            state,
            &cast.assessor,
            &a.id,
            c,
            &format!("{c}-check.txt"),
            text.into_bytes(),
        )
        .await
        .map_err(failed("attach the assessment's evidence"))?
        .assessment_version;
    }
    let results = controls
        .iter()
        .map(|c| {
            (
                c.clone(),
                assessments::ResultEntry {
                    result: ControlResult::Satisfied,
                    notes: format!("{c}: 现场核查与文档审阅一致"),
                    evidence: None,
                    waiver: None,
                },
            )
        })
        .collect();
    version = assessments::record_results(state, &cast.assessor, &a.id, version, results)
        .await
        .map_err(failed("record the assessment's results"))?
        .version;
    let date = days_ago(40);
    let concluded = assessments::conclude(
        state,
        &cast.assessor,
        &a.id,
        assessments::ConcludeBody {
            version,
            outcome: Outcome::Pass,
            level: Some(level),
            date: Some(date),
            valid_until: None,
        },
    )
    .await
    .map_err(failed("conclude the assessment"))?;
    assessments::publish(state, &cast.provider, &a.id, concluded.version)
        .await
        .map_err(failed("publish the assessment"))?;
    Ok(o.id)
}

/// A second offering, invited for assessment, with a third of its results recorded: the
/// assessor has an assessment to conclude.
async fn offering_in_assessment(state: &AppState, cast: &Cast) -> Result<(), String> {
    let level = ProtectionLevel::General;
    let o = offerings::create(
        state,
        &cast.provider,
        &offering(SECOND_OFFERING, ServiceCategory::Saas, level),
        false,
    )
    .await
    .map_err(failed("draft the second offering"))?;
    let a = assessments::invite(
        state,
        &cast.provider,
        &o.id,
        &cast.assessor_org,
        Some(level),
    )
    .await
    .map_err(failed("invite the assessor"))?;
    let controls: Vec<String> = state
        .content
        .catalog
        .applicable(level)
        .map(|c| c.id.clone())
        .collect();
    let results = controls
        .iter()
        .take(controls.len() / 3)
        .map(|c| {
            (
                c.clone(),
                assessments::ResultEntry {
                    result: ControlResult::NotApplicable,
                    notes: "SaaS：由平台统一提供".into(),
                    evidence: None,
                    waiver: None,
                },
            )
        })
        .collect();
    assessments::record_results(state, &cast.assessor, &a.id, a.version, results)
        .await
        .map_err(failed("record the second assessment's results"))?;
    Ok(())
}

/// The demo file under `name`, with or without the security service provider.
fn file(name: &str, with_ssp: bool) -> Result<EngagementFile, String> {
    let mut f = engagement::parse(FILE).map_err(|e| format!("demo/engagement.yaml: {e}"))?;
    f.name = name.to_owned();
    if !with_ssp {
        f.security_service_provider = None;
        f.responsibility
            .retain(|r| !r.split.contains_key(&MatrixActor::SecurityServiceProvider));
    }
    Ok(f)
}

fn record(f: &mut EngagementFile, outputs: &[(&str, &str, i64)], activities: &[&str]) {
    for (id, reference, ago) in outputs {
        f.lifecycle.outputs.insert(
            (*id).to_owned(),
            OutputRecord {
                reference: (*reference).to_owned(),
                date: Some(days_ago(*ago)),
            },
        );
    }
    for a in activities {
        if !f.lifecycle.activities.iter().any(|x| x == a) {
            f.lifecycle.activities.push((*a).to_owned());
        }
    }
}

/// What the customer records in planning (`ago`: how many days back).
fn planning_outputs(ago: i64) -> Vec<(&'static str, &'static str, i64)> {
    vec![
        ("benefit-assessment", "效益评估报告 v1.0", ago),
        ("requirement-analysis", "上云需求分析报告 v1.2", ago - 5),
        ("exit-plan", "退出预案 v1.0", ago - 8),
        ("decision-report", "上云决策报告（党组会议纪要）", ago - 10),
    ]
}

fn selection_outputs(ago: i64) -> Vec<(&'static str, &'static str, i64)> {
    vec![
        ("capability-requirement", "云服务商能力要求（增强级）", ago),
        ("migration-plan", "迁移实施方案 v2.0", ago - 10),
        ("deployment-record", "部署验收记录", ago - 20),
    ]
}

const SELECTION_ACTIVITIES: [&str; 4] = [
    "selection.capability-requirement",
    "selection.choose-assessed",
    "selection.contract",
    "selection.migrate-deploy",
];

fn operation_outputs(ago: i64) -> Vec<(&'static str, &'static str, i64)> {
    vec![("supervision-plan", "运行监管工作方案", ago)]
}

const OPERATION_ACTIVITIES: [&str; 3] = [
    "operation.roles",
    "operation.customer-self",
    "operation.supervise-provider",
];

/// Files an engagement as the customer's administrator.
async fn file_engagement(
    state: &AppState,
    cast: &Cast,
    f: &EngagementFile,
    with_ssp: bool,
) -> Result<String, String> {
    let mut parties = BTreeMap::new();
    if with_ssp {
        parties.insert("security_service_provider".to_owned(), cast.ssp_org.clone());
    }
    Ok(
        engagements::create(state, &cast.customer_admin, f, &parties)
            .await
            .map_err(failed("file an engagement"))?
            .id,
    )
}

/// The customer records outputs and activities in the engagement's file.
async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    change: impl FnOnce(&mut EngagementFile),
) -> Result<(), String> {
    let e = engagements::engagement(state, p, id, crate::authz::Action::EngagementUpdate)
        .await
        .map_err(failed("read an engagement"))?;
    let (mut f, _) = engagements::export_text(&e).map_err(failed("read an engagement's file"))?;
    change(&mut f);
    engagements::update(state, p, id, e.version, &f, None)
        .await
        .map_err(failed("update an engagement"))?;
    Ok(())
}

/// The customer moves the engagement on; what blocks it is a fault of the demo.
async fn advance(state: &AppState, p: &Principal, id: &str, to: Phase) -> Result<(), String> {
    match lifecycle::try_transition(state, p, id, to, Lang::En)
        .await
        .map_err(failed("move an engagement on"))?
    {
        Ok(_) => Ok(()),
        Err(blockers) => Err(format!(
            "the demo engagement cannot move to {}: {}",
            to.id(),
            blockers
                .iter()
                .map(|b| format!("{} {}", b.code, b.ids.join(",")))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

/// Planning, partly done: the benefit assessed, the requirement analysis, exit plan and
/// decision still to come, so that the gate to selection shows its blockers.
async fn planning(state: &AppState, cast: &Cast) -> Result<(), String> {
    let mut f = file(PLANNING, false)?;
    f.lifecycle.activities.retain(|a| {
        a.starts_with("planning.classify")
            || a == "planning.benefit"
            || a == "planning.protection-requirement"
    });
    record(&mut f, &planning_outputs(3)[..1], &[]);
    file_engagement(state, cast, &f, false).await?;
    Ok(())
}

/// From planning to selection with the offering picked (its assessment recorded), the
/// contract complete; returns the engagement's id.
async fn to_selection(
    state: &AppState,
    cast: &Cast,
    name: &str,
    with_ssp: bool,
    offering: &str,
    ago: i64,
) -> Result<String, String> {
    let p = &cast.customer_admin;
    let mut f = file(name, with_ssp)?;
    record(&mut f, &planning_outputs(ago), &[]);
    let id = file_engagement(state, cast, &f, with_ssp).await?;
    advance(state, p, &id, Phase::Selection).await?;
    lifecycle::use_offering(state, p, &id, offering)
        .await
        .map_err(failed("pick the offering"))?;
    Ok(id)
}

/// Every party confirms its rows of the matrix.
async fn confirm_matrix(
    state: &AppState,
    cast: &Cast,
    id: &str,
    with_ssp: bool,
) -> Result<(), String> {
    let mut who = vec![&cast.customer_admin, &cast.provider];
    if with_ssp {
        who.push(&cast.ssp);
    }
    for p in who {
        lifecycle::confirm_all(state, p, id)
            .await
            .map_err(failed("confirm the responsibility matrix"))?;
    }
    Ok(())
}

/// From planning through selection into operation; returns the engagement's id.
async fn to_operation(
    state: &AppState,
    cast: &Cast,
    name: &str,
    with_ssp: bool,
    offering: &str,
    ago: i64,
) -> Result<String, String> {
    let p = &cast.customer_admin;
    let id = to_selection(state, cast, name, with_ssp, offering, ago).await?;
    confirm_matrix(state, cast, &id, with_ssp).await?;
    update(state, p, &id, |f| {
        record(f, &selection_outputs(ago - 20), &SELECTION_ACTIVITIES)
    })
    .await?;
    advance(state, p, &id, Phase::Operation).await?;
    update(state, p, &id, |f| {
        record(f, &operation_outputs(ago - 50), &OPERATION_ACTIVITIES)
    })
    .await?;
    Ok(id)
}

/// The rows of the matrix the demo file divides itself (`demo/engagement.yaml`): in
/// selection the customer has yet to confirm them.
const DIVIDED_ROWS: [&str; 2] = ["application/AU", "data/DP"];

/// Selection: the offering picked, the customer's rows of the matrix confirmed but the two
/// its file divides; the provider and the security service provider have theirs to
/// confirm.
async fn selection(state: &AppState, cast: &Cast, offering: &str) -> Result<(), String> {
    let id = to_selection(state, cast, SELECTION, true, offering, 30).await?;
    let matrix = engagements::responsibility(state, &cast.customer_admin, &id)
        .await
        .map_err(failed("read the responsibility matrix"))?;
    for row in matrix.rows.iter().filter(|r| {
        r.responsible.iter().any(|p| p == "customer") && !DIVIDED_ROWS.contains(&r.element.as_str())
    }) {
        lifecycle::confirm(state, &cast.customer_admin, &id, &row.element)
            .await
            .map_err(failed("confirm the customer's rows"))?;
    }
    Ok(())
}

/// Operation: two scans of the demo estate (a month ago, worse; now), a finding assigned
/// to the customer's member, an incident acknowledged and a change notice waiting for
/// acknowledgement.
async fn operation(state: &AppState, cast: &Cast, offering: &str) -> Result<(), String> {
    use crate::scanning::scan_trusted_files;
    use crate::supervision::ScanFile;
    let id = to_operation(state, cast, OPERATION, true, offering, 240).await?;
    let e = engagements::engagement(
        state,
        &cast.customer_admin,
        &id,
        crate::authz::Action::EngagementRead,
    )
    .await
    .map_err(failed("read an engagement"))?;
    let file = |name: &str, content: &str| ScanFile {
        name: name.to_owned(),
        content: content.to_owned(),
    };
    // The estate as it was six weeks ago, and as it is: the trend and the time to fix
    // have a history to show.
    let now = cloudward_store::now();
    for (files, at) in [
        (
            vec![file("main.tf", ESTATE), file("exports.tf", ESTATE_BEFORE)],
            now - chrono::Duration::days(45),
        ),
        (vec![file("main.tf", ESTATE)], now),
    ] {
        let report = scan_trusted_files(&files, e.level.map(|l| l.id()))
            .map_err(failed("scan the demo estate"))?;
        crate::services::scans::ingest_dated(
            state,
            &cast.customer_admin,
            &id,
            &e.customer_org_id,
            &report,
            "server",
            at,
        )
        .await
        .map_err(failed("store a scan of the demo estate"))?;
    }
    // The most severe open finding on a resource goes to the member to fix.
    let open: Vec<cloudward_store::Record> = state
        .store
        .list_records("finding", &RecordFilter::engagement(&id))
        .await
        .map_err(store_failed)?;
    let rank = |s: &str| match s {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        _ => 3,
    };
    let pick = open
        .iter()
        .filter_map(|r| {
            let f: crate::supervision::FindingData = serde_json::from_value(r.data.clone()).ok()?;
            let on_resource = f.address.contains('.');
            (f.state == cloudward_domain::workflow::FindingState::Open)
                .then(|| ((!on_resource, rank(&f.severity)), r))
        })
        .min_by_key(|(order, _)| *order)
        .map(|(_, r)| r);
    if let Some(r) = pick {
        findings::act(
            state,
            &cast.customer_admin,
            &id,
            &r.id,
            findings::FindingAction::Assign {
                version: r.version,
                assignee: "customer-member".into(),
            },
        )
        .await
        .map_err(failed("assign a finding"))?;
    }
    let incident = notices::raise(
        state,
        &cast.provider,
        &id,
        notices::NewNotice {
            kind: NoticeKind::Incident,
            title: "对象存储访问延迟升高（已恢复）".into(),
            description: "华东 2（上海）可用区 B 存储集群延迟升高 23 分钟，未影响数据完整性。"
                .into(),
        },
    )
    .await
    .map_err(failed("raise an incident notice"))?;
    notices::acknowledge(state, &cast.customer_member, &id, &incident.id)
        .await
        .map_err(failed("acknowledge the incident"))?;
    notices::raise(
        state,
        &cast.provider,
        &id,
        notices::NewNotice {
            kind: NoticeKind::Change,
            title: "数据库版本升级维护窗口".into(),
            description:
                "计划在下周六 02:00–04:00 升级 RDS 实例的小版本，期间有一次约 30 秒的切换。".into(),
        },
    )
    .await
    .map_err(failed("raise a change notice"))?;
    Ok(())
}

/// In exit as far as the customer's side goes: the plan, the scope, both manifests
/// (verified); the provider's deletion attestation waits.
async fn to_exit(
    state: &AppState,
    cast: &Cast,
    name: &str,
    offering: &str,
    ago: i64,
) -> Result<String, String> {
    let c = &cast.customer_admin;
    let id = to_operation(state, cast, name, false, offering, ago).await?;
    update(state, c, &id, |f| {
        record(
            f,
            &[
                ("supervision-records", "月度监管记录（OA 归档）", ago - 80),
                ("change-notices", "云服务商变更通知台账", ago - 80),
                ("incident-reports", "安全事件报告台账", ago - 80),
            ],
            &[],
        )
    })
    .await?;
    advance(state, c, &id, Phase::Exit).await?;
    let manifest: BTreeMap<String, String> = [
        ("approvals.sql.gz", "9f2c4e1a7b3d5f60"),
        ("attachments.tar", "41d8cd98f00b204e"),
        ("access-log-2024.csv", "a3b1c2d4e5f60718"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let steps = [
        (
            c,
            lifecycle::ExitStep::Plan {
                plan: "按退出预案 v1.0：数据导出为开放格式，迁往新平台后校验并删除".into(),
            },
        ),
        (
            c,
            lifecycle::ExitStep::Scope {
                scope: vec![
                    ScopeItem {
                        name: "审批业务数据库".into(),
                        kind: "data".into(),
                        returned: true,
                    },
                    ScopeItem {
                        name: "申请材料附件".into(),
                        kind: "data".into(),
                        returned: true,
                    },
                    ScopeItem {
                        name: "访问日志".into(),
                        kind: "metadata".into(),
                        returned: true,
                    },
                ],
            },
        ),
        (
            &cast.provider,
            lifecycle::ExitStep::ProviderManifest {
                manifest: manifest.clone(),
            },
        ),
        (c, lifecycle::ExitStep::CustomerManifest { manifest }),
    ];
    for (p, step) in steps {
        lifecycle::exit_step(state, p, &id, step)
            .await
            .map_err(failed("take an exit step"))?;
    }
    Ok(id)
}

/// Exit: everything done but the provider's attestation of the deletion.
async fn exit(state: &AppState, cast: &Cast, offering: &str) -> Result<(), String> {
    to_exit(state, cast, EXIT, offering, 420).await?;
    Ok(())
}

/// Closed: the provider attested the deletion, the customer confirmed, the engagement
/// closed.
async fn closed(state: &AppState, cast: &Cast, offering: &str) -> Result<(), String> {
    let id = to_exit(state, cast, CLOSED, offering, 700).await?;
    lifecycle::exit_step(
        state,
        &cast.provider,
        &id,
        lifecycle::ExitStep::Attestation {
            attestation: DeletionAttestation {
                statement: "主存储、副本、备份及快照均已删除".into(),
                date: days_ago(5),
                covers: ["primary", "replicas", "backups", "snapshots"]
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                evidence: Vec::new(),
            },
        },
    )
    .await
    .map_err(failed("attest the deletion"))?;
    lifecycle::exit_step(
        state,
        &cast.customer_admin,
        &id,
        lifecycle::ExitStep::Confirm,
    )
    .await
    .map_err(failed("confirm the deletion"))?;
    advance(state, &cast.customer_admin, &id, Phase::Closed).await
}
