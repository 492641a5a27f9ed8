//! Every operation of the OpenAPI document, called by every role of every kind of
//! organisation (with a session and with a token, and without signing in), on its own
//! tenant's objects and on other tenants', on SQLite and PostgreSQL; each answer is compared
//! with what the authorisation table (`authz::decide`) says for that caller and that
//! object. A new endpoint without a case here fails the test.
//!
//! How each caller relates to each object is written down here from how the world was
//! built (not worked out by the server's code), so a handler that asks for the wrong
//! action, computes the wrong relation, or forgets to ask shows up as a mismatch: a denial
//! must be 401, 403 or 404 exactly as the table says; an allowed call must get past access
//! control (any answer but 401/403/404, and never 5xx). Requests are built to fail
//! harmlessly once past access control (a stale version, an empty file), so the world stays
//! the same from one caller to the next.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{PASSWORD, TestServer, User, databases};
use cloudward_server::authz::{self, Action, Deny, Rel, Subject};
use cloudward_store::{Actor, NewToken, NewUser, OrgKind, Role};
use serde_json::{Value, json};

/// A caller: the organisation key of `common::world` (`None`: the platform administrator,
/// or nobody signed in), its subject as the table sees it, and its client.
struct Caller {
    label: String,
    org: Option<&'static str>,
    subject: Option<Subject>,
    user: User,
}

/// Objects of the world, by key.
#[derive(Default)]
struct World {
    ids: BTreeMap<&'static str, String>,
}

impl World {
    fn id(&self, key: &str) -> &str {
        self.ids
            .get(key)
            .unwrap_or_else(|| panic!("no object {key}"))
    }
}

enum Body {
    None,
    Json(Value),
    Bytes(Vec<u8>),
}

/// One request of an operation on one object: how to make it and how each caller relates
/// to the object.
struct Case {
    target: &'static str,
    path: String,
    body: Body,
    rel: fn(Option<&str>) -> Rel,
}

fn unscoped(_: Option<&str>) -> Rel {
    Rel::Unscoped
}
fn ea(org: Option<&str>) -> Rel {
    match org {
        Some("A") => Rel::Customer,
        Some("PA") => Rel::Provider,
        Some("AS") => Rel::Assessor,
        Some("SS") => Rel::SecurityServiceProvider,
        _ => Rel::Outsider,
    }
}
fn eb(org: Option<&str>) -> Rel {
    match org {
        Some("B") => Rel::Customer,
        Some("PB") => Rel::Provider,
        _ => Rel::Outsider,
    }
}
fn published_of_pa(org: Option<&str>) -> Rel {
    if org == Some("PA") {
        Rel::OfferingOwner
    } else {
        Rel::OfferingPublished
    }
}
fn draft_of_pa(org: Option<&str>) -> Rel {
    if org == Some("PA") {
        Rel::OfferingOwner
    } else {
        Rel::OfferingHidden
    }
}
fn published_of_pb(org: Option<&str>) -> Rel {
    if org == Some("PB") {
        Rel::OfferingOwner
    } else {
        Rel::OfferingPublished
    }
}
/// PA's published assessment by AS, granted to EA (whose customer is A).
fn assessment_aa(org: Option<&str>) -> Rel {
    match org {
        Some("PA") => Rel::AssessmentProvider,
        Some("AS") => Rel::AssessmentAssessor,
        Some("A") => Rel::AssessmentGranted,
        _ => Rel::AssessmentSummary,
    }
}
/// PA's assessment by AS, not concluded.
fn assessment_au(org: Option<&str>) -> Rel {
    match org {
        Some("PA") => Rel::AssessmentProvider,
        Some("AS") => Rel::AssessmentAssessor,
        _ => Rel::AssessmentHidden,
    }
}
/// PB's published assessment by AS, granted to nobody.
fn assessment_ab(org: Option<&str>) -> Rel {
    match org {
        Some("PB") => Rel::AssessmentProvider,
        Some("AS") => Rel::AssessmentAssessor,
        _ => Rel::AssessmentSummary,
    }
}
fn platform_framework(_: Option<&str>) -> Rel {
    Rel::PlatformFramework
}
fn framework_of_a(org: Option<&str>) -> Rel {
    if org == Some("A") {
        Rel::OwnFramework
    } else {
        Rel::OtherFramework
    }
}
fn framework_of_b(org: Option<&str>) -> Rel {
    if org == Some("B") {
        Rel::OwnFramework
    } else {
        Rel::OtherFramework
    }
}
fn org_a(org: Option<&str>) -> Rel {
    if org == Some("A") {
        Rel::OwnOrganisation
    } else {
        Rel::OtherOrganisation
    }
}
fn org_b(org: Option<&str>) -> Rel {
    if org == Some("B") {
        Rel::OwnOrganisation
    } else {
        Rel::OtherOrganisation
    }
}

/// The requests of an operation: every object it can name, with a body that fails after
/// access control (or succeeds without changing who relates to what).
fn cases(op: &str, w: &World) -> Option<Vec<Case>> {
    let case =
        |target: &'static str, path: String, body: Body, rel: fn(Option<&str>) -> Rel| Case {
            target,
            path,
            body,
            rel,
        };
    let engagements = |suffix: &str, body: &dyn Fn(&'static str) -> Body| {
        vec![
            case(
                "EA",
                format!("/api/v1/engagements/{}{suffix}", w.id("EA")),
                body("EA"),
                ea,
            ),
            case(
                "EB",
                format!("/api/v1/engagements/{}{suffix}", w.id("EB")),
                body("EB"),
                eb,
            ),
        ]
    };
    let none = |_: &'static str| Body::None;
    let json_body = |v: Value| move |_: &'static str| Body::Json(v.clone());
    let offerings = |suffix: &str, body: Body| {
        let b = || match &body {
            Body::Json(v) => Body::Json(v.clone()),
            _ => Body::None,
        };
        vec![
            case(
                "OA",
                format!("/api/v1/offerings/{}{suffix}", w.id("OA")),
                b(),
                published_of_pa,
            ),
            case(
                "OU",
                format!("/api/v1/offerings/{}{suffix}", w.id("OU")),
                b(),
                draft_of_pa,
            ),
            case(
                "OB",
                format!("/api/v1/offerings/{}{suffix}", w.id("OB")),
                b(),
                published_of_pb,
            ),
        ]
    };
    // Evidence requests, one per assessment, related to the caller as their assessment is.
    let requests = |suffix: &str, body: &dyn Fn() -> Body| {
        vec![
            case(
                "AA",
                format!("/api/v1/evidence-requests/{}{suffix}", w.id("QA")),
                body(),
                assessment_aa,
            ),
            case(
                "AU",
                format!("/api/v1/evidence-requests/{}{suffix}", w.id("QU")),
                body(),
                assessment_au,
            ),
            case(
                "AB",
                format!("/api/v1/evidence-requests/{}{suffix}", w.id("QB")),
                body(),
                assessment_ab,
            ),
        ]
    };
    let assessments = |suffix: &str, body: &dyn Fn(&'static str) -> Body| {
        vec![
            case(
                "AA",
                format!("/api/v1/assessments/{}{suffix}", w.id("AA")),
                body("AA"),
                assessment_aa,
            ),
            case(
                "AU",
                format!("/api/v1/assessments/{}{suffix}", w.id("AU")),
                body("AU"),
                assessment_au,
            ),
            case(
                "AB",
                format!("/api/v1/assessments/{}{suffix}", w.id("AB")),
                body("AB"),
                assessment_ab,
            ),
        ]
    };
    let frameworks = |suffix: &str| {
        vec![
            case(
                "FP",
                format!("/api/v1/frameworks/{}{suffix}", w.id("FP")),
                Body::None,
                platform_framework,
            ),
            case(
                "FA",
                format!("/api/v1/frameworks/{}{suffix}", w.id("FA")),
                Body::None,
                framework_of_a,
            ),
            case(
                "FB",
                format!("/api/v1/frameworks/{}{suffix}", w.id("FB")),
                Body::None,
                framework_of_b,
            ),
        ]
    };
    let runs = |suffix: &str| {
        vec![
            case(
                "RA",
                format!("/api/v1/scans/{}{suffix}", w.id("RA")),
                Body::None,
                ea,
            ),
            case(
                "RB",
                format!("/api/v1/scans/{}{suffix}", w.id("RB")),
                Body::None,
                eb,
            ),
        ]
    };
    let one = |path: &str, body: Body| vec![case("-", path.to_owned(), body, unscoped)];
    let channels = |suffix: &str, body: &dyn Fn() -> Body| {
        vec![
            case(
                "channel A",
                format!(
                    "/api/v1/notifications/channels/{}{suffix}",
                    w.id("channel A")
                ),
                body(),
                org_a,
            ),
            case(
                "channel B",
                format!(
                    "/api/v1/notifications/channels/{}{suffix}",
                    w.id("channel B")
                ),
                body(),
                org_b,
            ),
        ]
    };
    let engagement_of = |t: &str| if t == "EA" { "EA" } else { "EB" };
    Some(match op {
        "GET /healthz" => one("/healthz", Body::None),
        "GET /readyz" => one("/readyz", Body::None),
        // Login and logout are called separately (they change who is signed in).
        "POST /api/v1/auth/login" | "POST /api/v1/auth/logout" => Vec::new(),
        "GET /api/v1/auth/me" => one("/api/v1/auth/me", Body::None),
        // The right password and a new one that is too short: 400 once allowed.
        "POST /api/v1/auth/password" => one(
            "/api/v1/auth/password",
            Body::Json(json!({ "current_password": PASSWORD, "new_password": "short" })),
        ),

        "GET /api/v1/engagements" => one("/api/v1/engagements", Body::None),
        "POST /api/v1/engagements" => {
            one("/api/v1/engagements", Body::Json(json!({ "document": {} })))
        }
        "POST /api/v1/engagements/import" => {
            one("/api/v1/engagements/import", Body::Bytes(Vec::new()))
        }
        "GET /api/v1/engagements/{id}" => engagements("", &none),
        "PUT /api/v1/engagements/{id}" => {
            engagements("", &json_body(json!({ "version": 0, "document": {} })))
        }
        "DELETE /api/v1/engagements/{id}" => engagements("?version=0", &none),
        "GET /api/v1/engagements/{id}/export" => engagements("/export", &none),
        "GET /api/v1/engagements/{id}/check" => engagements("/check?date=2026-11-28", &none),
        "GET /api/v1/engagements/{id}/classification" => engagements("/classification", &none),
        "GET /api/v1/engagements/{id}/responsibility" => engagements("/responsibility", &none),
        "POST /api/v1/engagements/{id}/responsibility/confirm-all" => {
            engagements("/responsibility/confirm-all", &none)
        }
        "POST /api/v1/engagements/{id}/responsibility/confirm" => engagements(
            "/responsibility/confirm",
            &json_body(json!({ "element": "nowhere/XX" })),
        ),

        "GET /api/v1/orgs" => one("/api/v1/orgs", Body::None),
        "POST /api/v1/orgs" => one(
            "/api/v1/orgs",
            Body::Json(json!({ "name": " ", "kind": "customer" })),
        ),
        "GET /api/v1/directory" => one("/api/v1/directory", Body::None),
        "GET /api/v1/orgs/{org_id}/users" => vec![
            case(
                "A",
                format!("/api/v1/orgs/{}/users", w.id("org A")),
                Body::None,
                org_a,
            ),
            case(
                "B",
                format!("/api/v1/orgs/{}/users", w.id("org B")),
                Body::None,
                org_b,
            ),
        ],
        "POST /api/v1/orgs/{org_id}/users" => {
            let body =
                || Body::Json(json!({ "username": "mole", "password": "short", "role": "member" }));
            vec![
                case(
                    "A",
                    format!("/api/v1/orgs/{}/users", w.id("org A")),
                    body(),
                    org_a,
                ),
                case(
                    "B",
                    format!("/api/v1/orgs/{}/users", w.id("org B")),
                    body(),
                    org_b,
                ),
            ]
        }
        // Disabling or demoting each organisation's only administrator: 409 once allowed.
        "POST /api/v1/orgs/{org_id}/users/{user_id}/disable" => {
            users_of(w, "admin", "/disable", &|| Body::None)
        }
        "PUT /api/v1/orgs/{org_id}/users/{user_id}/role" => users_of(w, "admin", "/role", &|| {
            Body::Json(json!({ "role": "member" }))
        }),
        // Enabling an enabled user and unlocking change nothing; a short password is 400.
        "POST /api/v1/orgs/{org_id}/users/{user_id}/enable" => {
            users_of(w, "other", "/enable", &|| Body::None)
        }
        "POST /api/v1/orgs/{org_id}/users/{user_id}/unlock" => {
            users_of(w, "other", "/unlock", &|| Body::None)
        }
        "POST /api/v1/orgs/{org_id}/users/{user_id}/password" => {
            users_of(w, "other", "/password", &|| {
                Body::Json(json!({ "password": "short" }))
            })
        }
        "GET /api/v1/tokens" => one("/api/v1/tokens", Body::None),
        "POST /api/v1/tokens" => one(
            "/api/v1/tokens",
            Body::Json(json!({ "name": " ", "role": "read_only" })),
        ),
        // Revoking is called separately, on tokens made for the purpose.
        "DELETE /api/v1/tokens/{id}" => Vec::new(),
        "GET /api/v1/audit" => one("/api/v1/audit?limit=1000", Body::None),
        "GET /api/v1/admin/audit/verify" => one("/api/v1/admin/audit/verify", Body::None),

        "GET /api/v1/offerings" => one("/api/v1/offerings", Body::None),
        "POST /api/v1/offerings" => one("/api/v1/offerings", Body::Json(json!({ "offering": {} }))),
        "GET /api/v1/offerings/{id}" => offerings("", Body::None),
        "PUT /api/v1/offerings/{id}" => offerings("", Body::Json(json!({ "offering": {} }))),
        "POST /api/v1/offerings/{id}/assessments" => offerings(
            "/assessments",
            Body::Json(json!({ "assessor_org_id": "nope", "level": "general" })),
        ),
        "GET /api/v1/offerings/{id}/oscal/component" => offerings("/oscal/component", Body::None),

        "GET /api/v1/assessments" => one("/api/v1/assessments", Body::None),
        "GET /api/v1/tasks" => one("/api/v1/tasks", Body::None),
        "GET /api/v1/assessments/{id}" => assessments("", &none),
        "PUT /api/v1/assessments/{id}/results" => assessments(
            "/results",
            &json_body(json!({ "version": 0, "results": {} })),
        ),
        "POST /api/v1/assessments/{id}/responses" => assessments(
            "/responses",
            &json_body(json!({ "version": 0, "control": "nope", "response": "x" })),
        ),
        "POST /api/v1/assessments/{id}/conclusion" => assessments(
            "/conclusion",
            &json_body(json!({ "version": 0, "outcome": "fail",
                "date": "2025-01-02", "valid_until": "2025-01-01" })),
        ),
        "POST /api/v1/assessments/{id}/publish" => {
            assessments("/publish", &json_body(json!({ "version": 0 })))
        }
        "POST /api/v1/assessments/{id}/grants" => assessments("/grants", &|t| {
            // An engagement the assessment's provider serves.
            let e = if t == "AB" { "EB" } else { "EA" };
            Body::Json(json!({ "version": 0, "engagement_id": w.id(e) }))
        }),
        "POST /api/v1/assessments/{id}/evidence" => {
            assessments("/evidence?control=AC-01&name=a.txt", &|_| {
                Body::Bytes(Vec::new())
            })
        }
        "GET /api/v1/assessments/{id}/evidence" => assessments("/evidence", &none),
        "GET /api/v1/assessment-evidence/{id}/content" => vec![
            case(
                "AA",
                format!("/api/v1/assessment-evidence/{}/content", w.id("XA")),
                Body::None,
                assessment_aa,
            ),
            case(
                "AU",
                format!("/api/v1/assessment-evidence/{}/content", w.id("XU")),
                Body::None,
                assessment_au,
            ),
            case(
                "AB",
                format!("/api/v1/assessment-evidence/{}/content", w.id("XB")),
                Body::None,
                assessment_ab,
            ),
        ],
        "GET /api/v1/assessments/{id}/oscal/results" => assessments("/oscal/results", &none),
        // DOCX: the same decision without typesetting a PDF.
        "GET /api/v1/assessments/{id}/report" => assessments("/report?format=docx", &none),
        "GET /api/v1/assessments/{id}/results/workbook" => assessments("/results/workbook", &none),
        // Not a workbook: 422 once allowed.
        "POST /api/v1/assessments/{id}/results/workbook" => {
            assessments("/results/workbook", &|_| Body::Bytes(Vec::new()))
        }
        // An unknown control (400) or a concluded assessment (409) once allowed.
        "POST /api/v1/assessments/{id}/requests" => assessments(
            "/requests",
            &json_body(json!({ "control": "nope", "text": "x" })),
        ),
        "GET /api/v1/assessments/{id}/requests" => assessments("/requests", &none),
        // A stale version, a request not answered or a concluded assessment: 409.
        "POST /api/v1/evidence-requests/{id}/answer" => requests("/answer", &|| {
            Body::Json(json!({ "version": 0, "text": "x" }))
        }),
        "POST /api/v1/evidence-requests/{id}/evidence" => {
            requests("/evidence?name=a.txt", &|| Body::Bytes(Vec::new()))
        }
        "POST /api/v1/evidence-requests/{id}/close" => requests("/close", &|| {
            Body::Json(json!({ "version": 0, "result": "not_satisfied" }))
        }),
        "POST /api/v1/evidence-requests/{id}/reopen" => requests("/reopen", &|| {
            Body::Json(json!({ "version": 0, "note": "x" }))
        }),
        "POST /api/v1/assessments/{id}/oscal/import" => {
            assessments("/oscal/import", &|_| Body::Bytes(Vec::new()))
        }

        // An offering of another service category: 422 once allowed.
        "POST /api/v1/engagements/{id}/offering" => engagements("/offering", &|_| {
            Body::Json(json!({ "offering_id": w.id("OX") }))
        }),
        "POST /api/v1/engagements/{id}/transition" => {
            engagements("/transition", &json_body(json!({ "to": "planning" })))
        }
        "PUT /api/v1/engagements/{id}/contract" => engagements(
            "/contract",
            &json_body(json!({ "version": 0, "contract": {} })),
        ),
        "PUT /api/v1/engagements/{id}/records" => engagements(
            "/records",
            &json_body(json!({ "version": 0, "records": {} })),
        ),
        // An empty file: 400 once allowed.
        "POST /api/v1/engagements/{id}/records/{output}/document" => {
            engagements("/records/exit-plan/document?name=a.pdf", &|_| {
                Body::Bytes(Vec::new())
            })
        }
        "PUT /api/v1/engagements/{id}/risks" => {
            engagements("/risks", &json_body(json!({ "version": 0, "risks": [] })))
        }
        "POST /api/v1/engagements/{id}/notices" => engagements(
            "/notices",
            &json_body(json!({ "kind": "change", "title": " " })),
        ),
        "GET /api/v1/engagements/{id}/notices" => engagements("/notices", &none),
        // The first allowed caller acknowledges (200); the others find it done (409).
        "POST /api/v1/engagements/{id}/notices/{notice}/ack" => vec![
            case(
                "EA",
                format!(
                    "/api/v1/engagements/{}/notices/{}/ack",
                    w.id("EA"),
                    w.id("NA")
                ),
                Body::None,
                ea,
            ),
            case(
                "EB",
                format!(
                    "/api/v1/engagements/{}/notices/{}/ack",
                    w.id("EB"),
                    w.id("NB")
                ),
                Body::None,
                eb,
            ),
        ],
        "GET /api/v1/engagements/{id}/alerts" => engagements("/alerts?date=2026-11-28", &none),
        "GET /api/v1/engagements/{id}/exit" => engagements("/exit", &none),
        // The engagements are in operation: 422 once allowed.
        "POST /api/v1/engagements/{id}/exit" => {
            engagements("/exit", &json_body(json!({ "step": "confirm" })))
        }
        "POST /api/v1/engagements/{id}/evidence" => {
            engagements("/evidence?target_kind=risk&target=R1&name=a.txt", &|_| {
                Body::Bytes(Vec::new())
            })
        }
        "GET /api/v1/engagements/{id}/evidence" => engagements("/evidence", &none),
        "POST /api/v1/engagements/{id}/documents" => engagements(
            "/documents",
            &json_body(json!({ "kind": "no-such-kind", "format": "docx" })),
        ),
        "GET /api/v1/engagements/{id}/documents" => engagements("/documents", &none),
        "GET /api/v1/documents/{id}/content" => vec![
            case(
                "EA",
                format!("/api/v1/documents/{}/content", w.id("DA")),
                Body::None,
                ea,
            ),
            case(
                "EB",
                format!("/api/v1/documents/{}/content", w.id("DB")),
                Body::None,
                eb,
            ),
        ],
        "GET /api/v1/documents/verify/{sha256}" => one(
            &format!("/api/v1/documents/verify/{}", w.id("SA")),
            Body::None,
        ),
        "GET /api/v1/evidence/{id}/content" => vec![
            case(
                "EA",
                format!("/api/v1/evidence/{}/content", w.id("VA")),
                Body::None,
                ea,
            ),
            case(
                "EB",
                format!("/api/v1/evidence/{}/content", w.id("VB")),
                Body::None,
                eb,
            ),
        ],
        "POST /api/v1/engagements/{id}/scans" => engagements("/scans", &json_body(json!({}))),
        "POST /api/v1/engagements/{id}/scans/run" => {
            engagements("/scans/run", &json_body(json!({ "files": [] })))
        }
        "GET /api/v1/engagements/{id}/posture" => engagements("/posture", &none),
        "GET /api/v1/engagements/{id}/supervision" => engagements("/supervision", &none),
        "GET /api/v1/engagements/{id}/tables/{kind}" => {
            engagements("/tables/contract-annex?format=csv", &none)
        }
        "GET /api/v1/engagements/{id}/findings" => engagements("/findings", &none),
        "GET /api/v1/engagements/{id}/findings/export" => {
            engagements("/findings/export?format=csv", &none)
        }
        "POST /api/v1/engagements/{id}/findings/bulk" => engagements(
            "/findings/bulk",
            &json_body(json!({ "findings": [], "change": { "action": "fix" } })),
        ),
        "POST /api/v1/engagements/{id}/findings/{finding}" => {
            let body = || Body::Json(json!({ "action": "fix", "version": 0 }));
            vec![
                case(
                    "EA",
                    format!(
                        "/api/v1/engagements/{}/findings/{}",
                        w.id(engagement_of("EA")),
                        w.id("FIA")
                    ),
                    body(),
                    ea,
                ),
                case(
                    "EB",
                    format!(
                        "/api/v1/engagements/{}/findings/{}",
                        w.id(engagement_of("EB")),
                        w.id("FIB")
                    ),
                    body(),
                    eb,
                ),
            ]
        }
        "GET /api/v1/scans/{id}" => runs(""),
        "GET /api/v1/scans/{id}/report" => runs("/report"),
        "GET /api/v1/scans/{id}/document" => runs("/document?format=docx"),
        "GET /api/v1/scans/{id}/oscal/results" => runs("/oscal/results"),
        "GET /api/v1/engagements/{id}/oscal/ssp" => engagements("/oscal/ssp", &none),
        "GET /api/v1/engagements/{id}/oscal/poam" => engagements("/oscal/poam", &none),

        "GET /api/v1/oscal/catalog" => one("/api/v1/oscal/catalog", Body::None),
        "GET /api/v1/oscal/profiles/{level}" => one("/api/v1/oscal/profiles/general", Body::None),

        "POST /api/v1/frameworks" => one("/api/v1/frameworks?name=x", Body::Bytes(Vec::new())),
        "GET /api/v1/frameworks" => one("/api/v1/frameworks", Body::None),
        "GET /api/v1/frameworks/{id}" => frameworks(""),
        "GET /api/v1/frameworks/{id}/controls" => frameworks("/controls"),
        "GET /api/v1/frameworks/{id}/controls/{control}" => frameworks("/controls/s1.1.1"),
        "GET /api/v1/frameworks/{id}/mapping" => frameworks("/mapping"),
        // Deleting is called separately, on frameworks made for the purpose.
        "DELETE /api/v1/frameworks/{id}" => Vec::new(),

        "GET /api/v1/notifications/channels" => one("/api/v1/notifications/channels", Body::None),
        "POST /api/v1/notifications/channels" => one(
            "/api/v1/notifications/channels",
            Body::Json(json!({ "name": " ", "kind": "generic", "events": ["notice"] })),
        ),
        "PUT /api/v1/notifications/channels/{id}" => channels("", &|| {
            Body::Json(json!({ "name": " ", "kind": "generic", "events": ["notice"] }))
        }),
        "POST /api/v1/notifications/channels/{id}/test" => channels("/test", &|| Body::None),
        // Removing is called in tests/notifications.rs (another tenant's: 404).
        "DELETE /api/v1/notifications/channels/{id}" => Vec::new(),
        "GET /api/v1/notifications/deliveries" => {
            one("/api/v1/notifications/deliveries", Body::None)
        }
        _ => return None,
    })
}

/// A user of organisation A and one of B (`admin`: each one's only administrator; else a
/// viewer of A and a member of B), with `suffix`.
fn users_of(w: &World, who: &str, suffix: &str, body: &dyn Fn() -> Body) -> Vec<Case> {
    let (a, b) = if who == "admin" {
        ("admin of A", "admin of B")
    } else {
        ("viewer of A", "member of B")
    };
    vec![
        Case {
            target: "a user of A",
            path: format!("/api/v1/orgs/{}/users/{}{suffix}", w.id("org A"), w.id(a)),
            body: body(),
            rel: org_a,
        },
        Case {
            target: "a user of B",
            path: format!("/api/v1/orgs/{}/users/{}{suffix}", w.id("org B"), w.id(b)),
            body: body(),
            rel: org_b,
        },
    ]
}

fn send(u: &User, method: &str, path: &str, body: &Body) -> reqwest::blocking::Response {
    let url = format!("{}{path}", u.base);
    let c = &u.client;
    let mut r = match method {
        "GET" => c.get(&url),
        "POST" => c.post(&url),
        "PUT" => c.put(&url),
        "DELETE" => c.delete(&url),
        other => panic!("method {other}"),
    };
    r = match &u.token {
        Some(t) => r.bearer_auth(t),
        None if !u.csrf.is_empty() => r.header("x-csrf-token", &u.csrf),
        None => r,
    };
    r = match body {
        Body::None => r,
        Body::Json(v) => r.json(v),
        Body::Bytes(b) => r.header("content-type", "application/json").body(b.clone()),
    };
    r.send().unwrap()
}

/// Does the answer agree with the table's decision?
fn agrees(decision: Result<(), Deny>, status: u16) -> bool {
    match decision {
        Ok(()) => !matches!(status, 401 | 403 | 404) && status < 500,
        Err(Deny::Unauthenticated) => status == 401,
        Err(Deny::NotFound) => status == 404,
        Err(Deny::NoOrganisation | Deny::Role(_) | Deny::Forbidden | Deny::PasswordChange) => {
            status == 403
        }
    }
}

fn action_of(op: &str) -> Action {
    *Action::ALL
        .iter()
        .find(|a| a.operation() == Some(op))
        .unwrap_or_else(|| panic!("{op} is in the OpenAPI document but not in authz::Action"))
}

fn ok(r: reqwest::blocking::Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let text = r.text().unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

const CATALOG: &[u8] = include_bytes!("../../oscal/tests/data/basic-catalog.json");

/// A published offering of `provider` (or a draft), with an assessment by AS; when
/// `conclude`, every applicable control passes, AC-01 gets a file first, and the provider
/// publishes it. (offering id, assessment id, assessment file id)
fn offering_with_assessment(
    s: &TestServer,
    provider: &User,
    assessor: &User,
    category: &str,
    published: bool,
    conclude: bool,
) -> (String, String, String, String) {
    let o = ok(
        provider.post(
            "/api/v1/offerings",
            &json!({ "published": published, "offering": {
                "name": format!("{category} of {}", provider.name), "service_category": category,
                "deployment_model": "community", "regions": ["cn-north-4"], "cloud": "huaweicloud",
                "claimed_level": "advanced" } }),
        ),
        201,
    );
    let oid = o["id"].as_str().unwrap().to_owned();
    let a = ok(
        provider.post(
            &format!("/api/v1/offerings/{oid}/assessments"),
            &json!({ "assessor_org_id": s.orgs["AS"], "level": "advanced" }),
        ),
        201,
    );
    let aid = a["id"].as_str().unwrap().to_owned();
    let results = common::all_satisfied();
    ok(
        assessor.put(
            &format!("/api/v1/assessments/{aid}/results"),
            &json!({ "version": a["version"], "results": results }),
        ),
        200,
    );
    let file = ok(
        assessor.post_bytes(
            &format!("/api/v1/assessments/{aid}/evidence?control=AC-01&name=policy.txt"),
            b"password policy: 14 characters".to_vec(),
        ),
        201,
    );
    let file_id = file["id"].as_str().unwrap().to_owned();
    let request = ok(
        assessor.post(
            &format!("/api/v1/assessments/{aid}/requests"),
            &json!({ "control": "AC-01", "text": "the account list" }),
        ),
        201,
    );
    let request_id = request["id"].as_str().unwrap().to_owned();
    if conclude {
        let a: Value = assessor
            .get(&format!("/api/v1/assessments/{aid}"))
            .json()
            .unwrap();
        let a = ok(
            assessor.post(
                &format!("/api/v1/assessments/{aid}/conclusion"),
                &json!({ "version": a["version"], "outcome": "pass",
                    "date": "2026-11-01", "valid_until": "2027-11-01" }),
            ),
            200,
        );
        ok(
            provider.post(
                &format!("/api/v1/assessments/{aid}/publish"),
                &json!({ "version": a["version"] }),
            ),
            200,
        );
    }
    (oid, aid, file_id, request_id)
}

/// The objects every case refers to, made through the API by their owners.
fn build_world(s: &TestServer) -> World {
    let mut w = World::default();
    w.ids.insert("EA", s.engagements["EA"].clone());
    w.ids.insert("EB", s.engagements["EB"].clone());
    w.ids.insert("org A", s.orgs["A"].clone());
    w.ids.insert("org B", s.orgs["B"].clone());
    for (key, name) in [
        ("admin of A", "a-admin"),
        ("admin of B", "b-admin"),
        ("viewer of A", "a-viewer"),
        ("member of B", "b-member"),
    ] {
        let u = s.block_on(s.store.find_user(name)).unwrap().unwrap();
        w.ids.insert(key, u.id);
    }
    let (a, b) = (s.login("a-admin"), s.login("b-admin"));
    let (pa, pb, asr) = (
        s.login("pa-admin"),
        s.login("pb-admin"),
        s.login("as-admin"),
    );
    let root = s.login("root");

    let (oa, aa, xa, qa) = offering_with_assessment(s, &pa, &asr, "iaas", true, true);
    let (ou, au, xu, qu) = offering_with_assessment(s, &pa, &asr, "iaas", false, false);
    let (ob, ab, xb, qb) = offering_with_assessment(s, &pb, &asr, "iaas", true, true);
    let (ox, _, _, _) = offering_with_assessment(s, &pa, &asr, "saas", true, false);
    for (k, v) in [
        ("OA", oa),
        ("OU", ou),
        ("OB", ob),
        ("OX", ox),
        ("AA", aa.clone()),
        ("AU", au),
        ("AB", ab),
        ("XA", xa),
        ("XU", xu),
        ("XB", xb),
        ("QA", qa),
        ("QU", qu),
        ("QB", qb),
    ] {
        w.ids.insert(k, v);
    }
    let a_now: Value = pa.get(&format!("/api/v1/assessments/{aa}")).json().unwrap();
    ok(
        pa.post(
            &format!("/api/v1/assessments/{aa}/grants"),
            &json!({ "version": a_now["version"], "engagement_id": w.id("EA") }),
        ),
        200,
    );

    let plan = include_str!("../../cli/tests/fixtures/scan/plan/plan.json");
    for (customer, provider, e, ev, run, finding, notice, doc, sha) in [
        (&a, &pa, "EA", "VA", "RA", "FIA", "NA", "DA", "SA"),
        (&b, &pb, "EB", "VB", "RB", "FIB", "NB", "DB", "SB"),
    ] {
        let id = w.id(e).to_owned();
        let v = ok(
            customer.post_bytes(
                &format!(
                    "/api/v1/engagements/{id}/evidence?target_kind=control&target=AC-01&name=p.txt"
                ),
                b"our password policy".to_vec(),
            ),
            201,
        );
        w.ids.insert(ev, v["id"].as_str().unwrap().to_owned());
        let r = ok(
            customer.post(
                &format!("/api/v1/engagements/{id}/scans/run"),
                &json!({ "files": [{ "name": "plan.json", "content": plan }] }),
            ),
            201,
        );
        w.ids.insert(run, r["id"].as_str().unwrap().to_owned());
        let f: Value = customer
            .get(&format!("/api/v1/engagements/{id}/findings?limit=1"))
            .json()
            .unwrap();
        let first = f
            .as_array()
            .and_then(|a| a.first())
            .unwrap_or_else(|| panic!("no finding on {e}: {f}"));
        w.ids
            .insert(finding, first["id"].as_str().unwrap().to_owned());
        let n = ok(
            provider.post(
                &format!("/api/v1/engagements/{id}/notices"),
                &json!({ "kind": "change", "title": "Maintenance window" }),
            ),
            201,
        );
        w.ids.insert(notice, n["id"].as_str().unwrap().to_owned());
        let d = ok(
            customer.post(
                &format!("/api/v1/engagements/{id}/documents"),
                &json!({ "kind": "exit-plan", "format": "docx" }),
            ),
            201,
        );
        w.ids.insert(doc, d["id"].as_str().unwrap().to_owned());
        w.ids
            .insert(sha, d["document"]["sha256"].as_str().unwrap().to_owned());
    }

    for (owner, key) in [(&root, "FP"), (&a, "FA"), (&b, "FB")] {
        let f = ok(
            owner.post_bytes(
                &format!("/api/v1/frameworks?name=basic-{key}"),
                CATALOG.to_vec(),
            ),
            201,
        );
        w.ids.insert(key, f["id"].as_str().unwrap().to_owned());
    }
    // A notification channel of each customer, to a port nothing listens on (a test sent
    // to it fails at once).
    for (owner, key) in [(&a, "channel A"), (&b, "channel B")] {
        let c = ok(
            owner.post(
                "/api/v1/notifications/channels",
                &json!({ "name": key, "kind": "generic", "url": "http://127.0.0.1:9/hook", "events": ["notice"] }),
            ),
            201,
        );
        w.ids.insert(key, c["id"].as_str().unwrap().to_owned());
    }
    w
}

/// Every role of the four kinds (a session and a token each), the second customer and
/// provider, the platform administrator, and someone not signed in.
fn callers(s: &TestServer) -> Vec<Caller> {
    let sys = Actor::system();
    let hash = cloudward_server::auth::hash_password(PASSWORD).unwrap();
    let kinds = [
        ("A", "a", OrgKind::Customer),
        ("PA", "pa", OrgKind::Provider),
        ("AS", "as", OrgKind::Assessor),
        ("SS", "ss", OrgKind::SecurityServiceProvider),
    ];
    let roles = [
        (Role::OrgAdmin, "admin"),
        (Role::Member, "member"),
        (Role::ReadOnly, "viewer"),
    ];
    let mut out = Vec::new();
    let mut add = |org: &'static str, prefix: &str, kind: OrgKind, role: Role, name: &str| {
        let username = format!("{prefix}-{name}");
        if s.block_on(s.store.find_user(&username)).unwrap().is_none() {
            s.block_on(s.store.create_user(
                &sys,
                NewUser {
                    org_id: Some(s.orgs[org].clone()),
                    username: username.clone(),
                    display_name: username.clone(),
                    password_hash: hash.clone(),
                    role,
                    platform_admin: false,
                },
            ))
            .unwrap();
        }
        let subject = Subject::of(Some(kind), role, false);
        let user = s.login(&username);
        let secret = format!("cwt_test_{username}");
        s.block_on(s.store.create_token(
            &sys,
            NewToken {
                org_id: s.orgs[org].clone(),
                name: username.clone(),
                role,
                token_hash: cloudward_server::auth::sha256_hex(&secret),
                prefix: secret.chars().take(12).collect(),
                ..Default::default()
            },
        ))
        .unwrap();
        let token = user.token_user(&format!("token of {username}"), &secret);
        out.push(Caller {
            label: format!("{username} (session)"),
            org: Some(org),
            subject: Some(subject),
            user,
        });
        out.push(Caller {
            label: format!("{username} (token)"),
            org: Some(org),
            subject: Some(Subject {
                token: true,
                ..subject
            }),
            user: token,
        });
    };
    for (org, prefix, kind) in kinds {
        for (role, name) in roles {
            add(org, prefix, kind, role, name);
        }
    }
    add("B", "b", OrgKind::Customer, Role::OrgAdmin, "admin");
    add("PB", "pb", OrgKind::Provider, Role::OrgAdmin, "admin");
    // Tokens of A's administrator and of a provider member limited to EA: EA as ever,
    // other engagements not there, nothing of the organisation.
    for (org, kind, role) in [
        ("A", OrgKind::Customer, Role::OrgAdmin),
        ("PA", OrgKind::Provider, Role::Member),
    ] {
        let secret = format!("cwt_test_limited_{org}");
        s.block_on(s.store.create_token(
            &sys,
            NewToken {
                org_id: s.orgs[org].clone(),
                name: format!("limited to EA ({org})"),
                role,
                token_hash: cloudward_server::auth::sha256_hex(&secret),
                prefix: secret.chars().take(12).collect(),
                engagement_id: Some(s.engagements["EA"].clone()),
                ..Default::default()
            },
        ))
        .unwrap();
        out.push(Caller {
            label: format!("{org} {role:?} token limited to EA"),
            org: Some(org),
            subject: Some(Subject {
                limited: true,
                ..Subject::of(Some(kind), role, true)
            }),
            user: User {
                client: s.anonymous(),
                csrf: String::new(),
                base: s.base.clone(),
                name: secret.clone(),
                token: Some(secret),
            },
        });
    }
    out.push(Caller {
        label: "root (platform administrator)".into(),
        org: None,
        subject: Some(Subject {
            platform_admin: true,
            ..Subject::of(None, Role::OrgAdmin, false)
        }),
        user: s.login("root"),
    });
    out.push(Caller {
        label: "nobody signed in".into(),
        org: None,
        subject: None,
        user: User {
            client: s.anonymous(),
            csrf: String::new(),
            base: s.base.clone(),
            name: "nobody".into(),
            token: None,
        },
    });
    out
}

/// The operations of the OpenAPI document, as `METHOD /path`.
fn operations(s: &TestServer) -> Vec<String> {
    let doc: Value = reqwest::blocking::get(format!("{}/api/openapi.json", s.base))
        .unwrap()
        .json()
        .unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    ops.sort();
    ops
}

fn run(db: &common::Db) {
    let s = TestServer::start(db, |_| {});
    let w = build_world(&s);
    let callers = callers(&s);
    let ops = operations(&s);
    assert!(ops.len() >= 75, "{} operations", ops.len());
    let mut failures = Vec::new();
    let mut calls = 0;
    for op in &ops {
        let action = action_of(op);
        let Some(cases) = cases(op, &w) else {
            panic!("{op} has no case in tests/authorisation.rs: add one");
        };
        let (method, _) = op.split_once(' ').unwrap();
        for case in &cases {
            for c in &callers {
                let decision = authz::decide(c.subject.as_ref(), action, (case.rel)(c.org));
                let r = send(&c.user, method, &case.path, &case.body);
                calls += 1;
                let status = r.status().as_u16();
                if !agrees(decision, status) {
                    let body = r.text().unwrap_or_default();
                    failures.push(format!(
                        "{op} on {} by {}: the table says {decision:?}, the server answered {status} {}",
                        case.target,
                        c.label,
                        body.chars().take(160).collect::<String>()
                    ));
                } else if status >= 400 && status != 404 && method != "HEAD" {
                    // Refusals are JSON errors with a code (the health probes answer text).
                    let body: Value = r.json().unwrap_or(Value::Null);
                    if !body["error"]["code"].is_string() {
                        failures.push(format!(
                            "{op} on {} by {}: {status} without a JSON error",
                            case.target, c.label
                        ));
                    }
                }
            }
        }
    }

    // Revoking: a fresh token of the caller's organisation, and one of another's (which the
    // caller cannot find: 404 once the table allows revoking at all).
    let sys = Actor::system();
    let op = "DELETE /api/v1/tokens/{id}";
    assert!(ops.iter().any(|o| o == op));
    for (i, c) in callers.iter().enumerate() {
        for (own, org) in [(true, c.org.unwrap_or("A")), (false, "B")] {
            if own && c.org.is_none() || !own && c.org == Some("B") {
                continue;
            }
            let t = s
                .block_on(s.store.create_token(
                    &sys,
                    NewToken {
                        org_id: s.orgs[org].clone(),
                        name: format!("throwaway {i}"),
                        role: Role::ReadOnly,
                        token_hash: cloudward_server::auth::sha256_hex(&format!("x{i}{own}")),
                        prefix: "cwt_x".into(),
                        ..Default::default()
                    },
                ))
                .unwrap();
            let decision = authz::decide(c.subject.as_ref(), Action::TokenRevoke, Rel::Unscoped)
                .and(if own { Ok(()) } else { Err(Deny::NotFound) }); // scoped in SQL
            let status = send(
                &c.user,
                "DELETE",
                &format!("/api/v1/tokens/{}", t.id),
                &Body::None,
            )
            .status()
            .as_u16();
            calls += 1;
            if !agrees(decision, status) {
                failures.push(format!(
                    "{op} (own organisation's token: {own}) by {}: the table says {decision:?}, the server answered {status}",
                    c.label
                ));
            }
        }
    }

    // Deleting frameworks: a fresh one of each owner per caller.
    let op = "DELETE /api/v1/frameworks/{id}";
    assert!(ops.iter().any(|o| o == op));
    let owners = [
        (
            "platform",
            s.login("root"),
            platform_framework as fn(Option<&str>) -> Rel,
        ),
        ("A", s.login("a-admin"), framework_of_a),
        ("B", s.login("b-admin"), framework_of_b),
    ];
    for (i, c) in callers.iter().enumerate() {
        for (owner, u, rel) in &owners {
            let f = ok(
                u.post_bytes(
                    &format!("/api/v1/frameworks?name=throwaway-{i}"),
                    CATALOG.to_vec(),
                ),
                201,
            );
            let id = f["id"].as_str().unwrap();
            let decision = authz::decide(c.subject.as_ref(), Action::FrameworkDelete, rel(c.org));
            let status = send(
                &c.user,
                "DELETE",
                &format!("/api/v1/frameworks/{id}"),
                &Body::None,
            )
            .status()
            .as_u16();
            calls += 1;
            if !agrees(decision, status) {
                failures.push(format!(
                    "{op} on a framework of {owner} by {}: the table says {decision:?}, the server answered {status}",
                    c.label
                ));
            }
            if status != 204 {
                u.delete(&format!("/api/v1/frameworks/{id}"));
            }
        }
    }

    // Logging out, last: every caller signed in may (tokens: nothing to end).
    for c in &callers {
        let decision = authz::decide(c.subject.as_ref(), Action::Logout, Rel::Unscoped);
        let status = send(&c.user, "POST", "/api/v1/auth/logout", &Body::None)
            .status()
            .as_u16();
        calls += 1;
        if !agrees(decision, status) {
            failures.push(format!(
                "POST /api/v1/auth/logout by {}: the table says {decision:?}, the server answered {status}",
                c.label
            ));
        }
    }
    let r = s.try_login(&s.anonymous(), "a-admin", PASSWORD);
    assert!(agrees(
        authz::decide(None, Action::Login, Rel::Unscoped),
        r.status().as_u16()
    ));
    assert!(
        failures.is_empty(),
        "{} of {calls} calls disagree with the table:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What lists, counts, audit entries and the console's dashboard show: nothing of objects
/// the caller may not see.
fn lists_show_only_what_the_caller_sees(db: &common::Db) {
    let s = TestServer::start(db, |_| {});
    let w = build_world(&s);
    let a = s.login("a-member");
    let b = s.login("b-admin");
    let pb = s.login("pb-admin");
    let names = |v: &Value, key: &str| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x[key].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // Engagements: one's own and those one is a party to.
    for (u, want) in [(&a, vec!["EA"]), (&b, vec!["EB"]), (&pb, vec!["EB"])] {
        let page: Value = u.get("/api/v1/engagements").json().unwrap();
        let got: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "{}", u.name);
        assert_eq!(page["total"], want.len(), "{}", u.name);
    }
    // Offerings: published ones and one's own; a draft stays its provider's.
    let offerings: Value = pb.get("/api/v1/offerings").json().unwrap();
    let ids = names(&offerings, "id");
    assert!(!ids.contains(w.id("OU")) && ids.contains(w.id("OA")) && ids.contains(w.id("OB")));
    // Assessments: those one owns or runs.
    let list: Value = pb.get("/api/v1/assessments").json().unwrap();
    assert_eq!(names(&list, "id"), BTreeSet::from([w.id("AB").to_owned()]));
    // Frameworks: the platform's and one's own.
    let list: Value = a.get("/api/v1/frameworks").json().unwrap();
    let ids = names(&list, "id");
    assert!(ids.contains(w.id("FP")) && ids.contains(w.id("FA")) && !ids.contains(w.id("FB")));
    // Audit entries: none of another tenant's engagement or organisation.
    for (u, hidden, org) in [(&a, "EB", "B"), (&b, "EA", "A")] {
        let audit: Value = u.get("/api/v1/audit?limit=1000").json().unwrap();
        let items = audit["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert_eq!(audit["total"], items.len());
        for e in items {
            assert_ne!(e["engagement_id"], w.id(hidden), "{} sees {e}", u.name);
            assert_ne!(e["org_id"], s.orgs[org].as_str(), "{} sees {e}", u.name);
        }
    }
    // The console's dashboard (its tiles and lists) names only one's own engagements.
    for (u, mine, theirs) in [(&a, "EA", "EB"), (&b, "EB", "EA")] {
        let html = u
            .client
            .get(format!("{}/dashboard", s.base))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(
            html.contains(w.id(mine)),
            "{}'s dashboard lacks its own",
            u.name
        );
        assert!(
            !html.contains(w.id(theirs)),
            "{}'s dashboard shows another's",
            u.name
        );
    }
}

#[test]
fn every_operation_answers_as_the_authorisation_table_says() {
    for db in databases() {
        run(&db);
    }
}

#[test]
fn lists_counts_and_pages_show_nothing_of_other_tenants() {
    for db in databases() {
        lists_show_only_what_the_caller_sees(&db);
    }
}
