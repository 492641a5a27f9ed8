//! `cloudward serve --demo`: four organisations, a user for each role, two engagements,
//! and two scans of a demo estate for the engagement in operation.
//! Passwords are random and printed at each start (there is no default password); a demo
//! started again keeps its data and gets new passwords.

use cloudward_domain::engagement;
use cloudward_store::{Actor, EngagementData, NewUser, OrgKind, Party, Role, Store};

use crate::auth::{hash_password, random_token};

const CUSTOMER: &str = "示例客户 Demo Customer Bureau";
const PROVIDER: &str = "示例云服务商 Demo Cloud Provider";
const ASSESSOR: &str = "示例评估机构 Demo Assessor";
const SSP: &str = "示例安全服务商 Demo Security Services";

const ENGAGEMENTS: [&str; 2] = [
    include_str!("../../../examples/community-sensitive-critical.yaml"),
    include_str!("../../../examples/saas-public-general.yaml"),
];

/// A demo login to print.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub what: &'static str,
}

fn password() -> Result<String, String> {
    random_token()
        .map(|t| t.chars().take(20).collect())
        .map_err(|_| "no random numbers from the operating system".to_owned())
}

/// Seeds the demo data (once) and sets fresh passwords for the demo users.
pub async fn seed(store: &dyn Store) -> Result<Vec<DemoLogin>, String> {
    let by = Actor::system();
    let err = |e: cloudward_store::StoreError| e.to_string();
    let orgs = store.list_orgs().await.map_err(err)?;
    let mut ids = Vec::new();
    for (name, kind) in [
        (CUSTOMER, OrgKind::Customer),
        (PROVIDER, OrgKind::Provider),
        (ASSESSOR, OrgKind::Assessor),
        (SSP, OrgKind::SecurityServiceProvider),
    ] {
        let id = match orgs.iter().find(|o| o.name == name) {
            Some(o) => o.id.clone(),
            None => store.create_org(&by, name, kind).await.map_err(err)?.id,
        };
        ids.push(id);
    }
    let (customer, provider, assessor, ssp) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let users: [(&str, Option<&String>, Role, bool, &'static str); 7] = [
        (
            "platform-admin",
            None,
            Role::OrgAdmin,
            true,
            "platform administrator",
        ),
        (
            "customer-admin",
            Some(customer),
            Role::OrgAdmin,
            false,
            "customer, organisation administrator",
        ),
        (
            "customer-member",
            Some(customer),
            Role::Member,
            false,
            "customer, member",
        ),
        (
            "customer-viewer",
            Some(customer),
            Role::ReadOnly,
            false,
            "customer, read-only",
        ),
        (
            "provider-admin",
            Some(provider),
            Role::OrgAdmin,
            false,
            "cloud service provider",
        ),
        (
            "assessor-admin",
            Some(assessor),
            Role::OrgAdmin,
            false,
            "third-party assessor",
        ),
        (
            "ssp-admin",
            Some(ssp),
            Role::OrgAdmin,
            false,
            "security service provider",
        ),
    ];
    let mut logins = Vec::new();
    for (username, org, role, platform_admin, what) in users {
        let pw = password()?;
        let hash = hash_password(&pw)?;
        match store.find_user(username).await.map_err(err)? {
            Some(u) => store
                .set_password(&by, &u.id, &hash, None)
                .await
                .map_err(err)?,
            None => {
                store
                    .create_user(
                        &by,
                        NewUser {
                            org_id: org.cloned(),
                            username: username.to_owned(),
                            display_name: username.to_owned(),
                            password_hash: hash,
                            role,
                            platform_admin,
                        },
                    )
                    .await
                    .map_err(err)?;
            }
        }
        logins.push(DemoLogin {
            username: username.to_owned(),
            password: pw,
            what,
        });
    }
    let filter = cloudward_store::EngagementFilter {
        limit: 1,
        ..Default::default()
    };
    let (_, existing) = store
        .list_engagements(customer, &filter)
        .await
        .map_err(err)?;
    if existing == 0 {
        let customer_admin = store
            .find_user("customer-admin")
            .await
            .map_err(err)?
            .map(|u| Actor {
                id: u.id,
                org_id: u.org_id,
            })
            .unwrap_or(by);
        for text in ENGAGEMENTS {
            let file = engagement::parse(text).map_err(|e| e.to_string())?;
            let level = cloudward_domain::classify::classify(&file.information, file.business)
                .ok()
                .map(|r| r.level);
            let mut parties = vec![(Party::Provider, provider.clone())];
            if file.security_service_provider.is_some() {
                parties.push((Party::SecurityServiceProvider, ssp.clone()));
            }
            parties.push((Party::Assessor, assessor.clone()));
            store
                .create_engagement(
                    &customer_admin,
                    customer,
                    EngagementData {
                        name: file.name.clone(),
                        phase: file.phase,
                        level,
                        document: serde_json::to_value(&file).map_err(|e| e.to_string())?,
                        parties,
                    },
                )
                .await
                .map_err(err)?;
        }
    }
    Ok(logins)
}

/// The demo estate the server scans for the engagement in operation: as it is, and the
/// part that a month earlier was worse.
const ESTATE: &str = include_str!("demo_estate.tf");
const ESTATE_BEFORE: &str = include_str!("demo_estate_before.tf");

/// Two scans of the demo estate for each demo engagement in operation that has none yet —
/// the earlier one with a public bucket and SSH open to the world, the later one without —
/// so that posture, trend and findings have something to show from the first start.
pub async fn seed_supervision(state: &crate::AppState) -> Result<(), String> {
    use crate::scanning::scan_trusted_files;
    use crate::supervision::ScanFile;
    let err = |e: cloudward_store::StoreError| e.to_string();
    let store = &state.store;
    let Some(user) = store.find_user("customer-admin").await.map_err(err)? else {
        return Ok(());
    };
    let org = match &user.org_id {
        Some(id) => store.get_org(id).await.map_err(err)?,
        None => None,
    };
    let Some(org) = org else {
        return Ok(());
    };
    let filter = cloudward_store::EngagementFilter {
        limit: 200,
        ..Default::default()
    };
    let (items, _) = store
        .list_engagements(&org.id, &filter)
        .await
        .map_err(err)?;
    let principal = crate::auth::Principal {
        actor: Actor {
            id: user.id.clone(),
            org_id: Some(org.id.clone()),
        },
        user_id: Some(user.id.clone()),
        username: Some(user.username.clone()),
        role: user.role,
        org: Some(org),
        platform_admin: false,
        session: None,
        csrf: None,
        lang: None,
        engagement: None,
        must_change_password: false,
    };
    for e in items
        .iter()
        .filter(|e| e.phase == cloudward_store::Phase::Operation)
    {
        let runs = store
            .list_records(
                "scan_run",
                &cloudward_store::RecordFilter::engagement(&e.id),
            )
            .await
            .map_err(err)?;
        if !runs.is_empty() {
            continue;
        }
        let file = |name: &str, content: &str| ScanFile {
            name: name.to_owned(),
            content: content.to_owned(),
        };
        for files in [
            vec![file("main.tf", ESTATE), file("exports.tf", ESTATE_BEFORE)],
            vec![file("main.tf", ESTATE)],
        ] {
            let report = scan_trusted_files(&files, e.level.map(|l| l.id()))
                .map_err(|e| format!("the demo estate does not scan: {}", e.key))?;
            crate::services::scans::ingest(
                state,
                &principal,
                &e.id,
                &e.customer_org_id,
                &report,
                "server",
            )
            .await
            .map_err(|e| format!("the demo scan was not stored: {}", e.key))?;
        }
    }
    Ok(())
}
