//! The findings list as people work with it: the most severe first on coloured badges,
//! current and closed apart, filtered by severity, rule, state and assignee, each with its
//! file and line, its controls and how to fix it; several changed at once, all or none,
//! with a refused batch shown again as it was ticked and typed.

use cloudward_store::{Actor, FindingFilter, NewRecord};
use serde_json::{Value, json};

use crate::common::{TestServer, databases};

/// (rule, severity, state, file line) of the seeded findings, in the order recorded.
const SEEDED: [(&str, &str, &str, u64); 6] = [
    ("ALI-ECS-01", "medium", "open", 11),
    ("ALI-SG-04", "critical", "open", 22),
    ("ALI-RAM-03", "low", "open", 33),
    ("ALI-SG-04", "critical", "closed", 44),
    ("ALI-ECS-01", "medium", "accepted", 55),
    ("ALI-SG-04", "critical", "open", 66),
];

fn seed(s: &TestServer) {
    let engagement = s.engagements["EA"].clone();
    let owner = s.orgs["A"].clone();
    let now = cloudward_store::stamp(cloudward_store::now());
    let opened: Vec<NewRecord> = SEEDED
        .iter()
        .enumerate()
        .map(|(i, (rule, severity, state, line))| {
            let address = format!("res.r{i}");
            let controls = cloudward_server::scanning::builtin_rule(rule)
                .unwrap()
                .controls
                .to_vec();
            NewRecord::new(
                "finding",
                owner.clone(),
                json!({
                    "key": format!("{rule}|{address}"), "rule_id": rule, "severity": severity,
                    "controls": controls, "address": address, "resource_type": "x",
                    "message": "stored English", "file": "envs/prod/main.tf", "line": line,
                    "state": state, "assignee": Value::Null, "first_seen": now, "history": [],
                }),
            )
            .of_engagement(engagement.clone())
        })
        .collect();
    let run = NewRecord::new(
        "scan_run",
        owner,
        json!({ "source": "upload", "failed": 6, "passed": 0, "unknown": 0, "resources": 6,
                "at": now, "uploaded_by": "system", "inputs": null, "level": "general",
                "controls_failed": [], "controls_passed": [], "controls_not_evaluated": [],
                "by_family": {}, "by_severity": {}, "opened": 6, "reopened": 0, "closed": 0 }),
    )
    .of_engagement(engagement);
    s.block_on(
        s.store
            .record_scan(&Actor::system(), run, opened, Vec::new()),
    )
    .unwrap();
}

/// The addresses of the findings rows of a page, in the order shown.
fn shown(html: &str) -> Vec<String> {
    html.split("<td class=\"res\"><code>res.r")
        .skip(1)
        .map(|rest| format!("r{}", &rest[..1]))
        .collect()
}

/// The findings' ids and versions by address.
fn ids(s: &TestServer) -> Vec<(String, String, i64)> {
    let (list, _) = s
        .block_on(
            s.store
                .list_findings(&s.engagements["EA"], &FindingFilter::default()),
        )
        .unwrap();
    list.into_iter()
        .map(|r| {
            (
                r.data["address"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("res.")
                    .to_owned(),
                r.id,
                r.version,
            )
        })
        .collect()
}

fn tick(all: &[(String, String, i64)], address: &str) -> String {
    let (_, id, version) = all.iter().find(|(a, _, _)| a == address).unwrap();
    format!("{id}:{version}")
}

fn run(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    seed(&s);
    let a = s.login("a-admin");
    let ea = s.engagements["EA"].clone();
    let path = format!("/engagements/{ea}/supervision");

    // The most severe first, then as recorded; the closed one on its own tab.
    let zh = a.get(&format!("{path}?lang=zh")).text().unwrap();
    assert_eq!(shown(&zh), ["r1", "r5", "r0", "r4", "r2"]);
    assert!(
        zh.contains("待处理 (5)") && zh.contains("已关闭 (1)"),
        "the tabs count"
    );
    assert!(zh.contains("<span class=\"badge sev-critical\">严重</span>"));
    // Where to fix it, and what it is about, in words.
    assert!(zh.contains("envs/prod/main.tf:22"), "file and line");
    let sg = cloudward_server::scanning::builtin_rule("ALI-SG-04").unwrap();
    assert!(zh.contains(&sg.title.zh));
    let control = &sg.controls[0];
    assert!(
        zh.contains(&format!("href=\"/catalog/{control}\"")),
        "a link to the rule's control"
    );
    let closed = a.get(&format!("{path}?view=closed")).text().unwrap();
    assert_eq!(shown(&closed), ["r3"]);
    assert!(
        !closed.contains("id=\"bulk\""),
        "nothing to do in bulk with closed findings"
    );
    // First seen first, when asked.
    let recorded = a.get(&format!("{path}?sort=recorded")).text().unwrap();
    assert_eq!(shown(&recorded), ["r0", "r1", "r2", "r4", "r5"]);
    // Filters by severity, rule and state, kept in the form.
    let medium = a.get(&format!("{path}?severity=medium")).text().unwrap();
    assert_eq!(shown(&medium), ["r0", "r4"]);
    assert!(medium.contains("<option value=\"medium\" selected>"));
    let ram = a.get(&format!("{path}?rule=ALI-RAM-03")).text().unwrap();
    assert_eq!(shown(&ram), ["r2"]);
    let accepted = a.get(&format!("{path}?state=accepted")).text().unwrap();
    assert_eq!(shown(&accepted), ["r4"]);
    // The rule filter names rules in words, with how many findings each has.
    let rule_zh = cloudward_server::scanning::builtin_rule("ALI-RAM-03").unwrap();
    assert!(zh.contains(&format!("{} (1)", rule_zh.title.zh)));

    // Assign three at once: every one assigned, each audited, back to the same filter.
    let all = ids(&s);
    let head = s.block_on(s.store.audit_head()).unwrap();
    let r = a
        .client
        .post(format!("{}/engagements/{ea}/findings/bulk", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::common::form(&[
            ("csrf_token", &a.csrf),
            ("filters", "severity=critical"),
            ("action", "assign"),
            ("assignee", "ops"),
            ("f", &tick(&all, "r1")),
            ("f", &tick(&all, "r5")),
            ("f", &tick(&all, "r0")),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.url().as_str().contains("severity=critical"),
        "{}",
        r.url()
    );
    let html = r.text().unwrap();
    assert!(html.contains("3 findings changed") || html.contains("已处理 3 个问题"));
    assert_eq!(s.block_on(s.store.audit_head()).unwrap(), head + 3);
    let mine = a.get(&format!("{path}?assignee=ops")).text().unwrap();
    assert_eq!(shown(&mine), ["r1", "r5", "r0"]);

    // An acceptance that ends today is refused for the batch: nothing changes, and the
    // form comes back as it was ticked and typed, the error beside the date.
    let all = ids(&s);
    let today = chrono::Utc::now().date_naive().to_string();
    let head = s.block_on(s.store.audit_head()).unwrap();
    let r = a
        .client
        .post(format!("{}/engagements/{ea}/findings/bulk?lang=en", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::common::form(&[
            ("csrf_token", &a.csrf),
            ("filters", ""),
            ("action", "accept"),
            ("reason", "compensating control in place"),
            ("until", &today),
            ("f", &tick(&all, "r1")),
            ("f", &tick(&all, "r2")),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert_eq!(
        s.block_on(s.store.audit_head()).unwrap(),
        head,
        "nothing changed"
    );
    assert!(html.contains("value=\"compensating control in place\""));
    assert!(html.contains(&format!("value=\"{today}\"")));
    assert!(
        html.contains("id=\"bulk-until-error\""),
        "the error beside the date"
    );
    assert!(html.contains("<option value=\"accept\" selected>"));
    let checked = html.matches(" checked aria-label=").count();
    assert_eq!(checked, 2, "the ticks are kept");
    // No action chosen: said beside the action.
    let r = a.post_form(
        &format!("/engagements/{ea}/findings/bulk"),
        &[("action", ""), ("f", &tick(&all, "r1"))],
    );
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("id=\"bulk-action-error\""));

    // The API: a closed finding in a batch refuses the batch and names itself.
    let all = ids(&s);
    let (_, closed_id, closed_version) = all.iter().find(|(a, _, _)| a == "r3").unwrap();
    let (_, open_id, open_version) = all.iter().find(|(a, _, _)| a == "r2").unwrap();
    let body = json!({
        "findings": [
            { "id": open_id, "version": open_version },
            { "id": closed_id, "version": closed_version },
        ],
        "change": { "action": "fix" },
    });
    let r = a.post(&format!("/api/v1/engagements/{ea}/findings/bulk"), &body);
    assert_eq!(r.status(), 409);
    let state = |id: &str| {
        s.block_on(s.store.get_record("finding", id))
            .unwrap()
            .unwrap()
            .data["state"]
            .clone()
    };
    assert_eq!(state(open_id), "open", "none of the batch changed");
    // Without the closed one: fixed.
    let body = json!({
        "findings": [{ "id": open_id, "version": open_version }],
        "change": { "action": "fix" },
    });
    let r = a.post(&format!("/api/v1/engagements/{ea}/findings/bulk"), &body);
    assert_eq!(r.status(), 200);
    assert_eq!(state(open_id), "fixed");
    // A finding of another engagement is not found; an empty batch is refused.
    let r = a.post(
        &format!("/api/v1/engagements/{}/findings/bulk", s.engagements["EB"]),
        &json!({ "findings": [{ "id": open_id, "version": 2 }], "change": { "action": "fix" } }),
    );
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());
    let r = a.post(
        &format!("/api/v1/engagements/{ea}/findings/bulk"),
        &json!({ "findings": [], "change": { "action": "fix" } }),
    );
    assert_eq!(r.status(), 400);
    // The API's list: by severity, filtered by view and rule.
    let list: Value = a
        .get(&format!(
            "/api/v1/engagements/{ea}/findings?sort=severity&view=current&rule=ALI-SG-04"
        ))
        .json()
        .unwrap();
    let addresses: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["finding"]["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, ["res.r1", "res.r5"]);
    let r = a.get(&format!("/api/v1/engagements/{ea}/findings?severity=dire"));
    assert_eq!(r.status(), 400);
}

#[test]
fn findings_sorted_filtered_and_changed_in_bulk() {
    for db in databases() {
        run(&db);
    }
}

/// Time to fix, from first seen to the scan that closed a finding: its median in all, per
/// month of closing and per severity, in the API and on the engagement's page; and the
/// failing findings over time drawn on a time axis, by severity.
#[test]
fn time_to_fix_and_findings_over_time() {
    let s = TestServer::start(&crate::common::Db::Sqlite, |_| {});
    let engagement = s.engagements["EA"].clone();
    let owner = s.orgs["A"].clone();
    let stamp = |days_ago: i64| {
        cloudward_store::stamp(chrono::Utc::now() - chrono::Duration::days(days_ago))
    };
    // Closed after 2, 4 and 9 days (two high, one low), and one still open.
    let closed = [(12, 10, "high"), (30, 26, "high"), (9, 0, "low")];
    let mut opened: Vec<NewRecord> = closed
        .iter()
        .enumerate()
        .map(|(i, (seen, fixed, severity))| {
            NewRecord::new(
                "finding",
                owner.clone(),
                json!({
                    "key": format!("ALI-SG-04|c{i}"), "rule_id": "ALI-SG-04", "severity": severity,
                    "controls": [], "address": format!("c{i}"), "resource_type": "x", "message": "",
                    "state": "closed", "first_seen": stamp(*seen),
                    "history": [["run@x", "opened"], [format!("run@{}", stamp(*fixed)), "closed"]],
                }),
            )
            .of_engagement(engagement.clone())
        })
        .collect();
    opened.push(
        NewRecord::new(
            "finding",
            owner.clone(),
            json!({
                "key": "ALI-SG-04|o", "rule_id": "ALI-SG-04", "severity": "critical",
                "controls": [], "address": "o", "resource_type": "x", "message": "",
                "state": "open", "first_seen": stamp(3), "history": [],
            }),
        )
        .of_engagement(engagement.clone()),
    );
    let run = |days_ago: i64, critical: i64, high: i64| {
        NewRecord::new(
            "scan_run",
            owner.clone(),
            json!({ "source": "upload", "failed": critical + high, "passed": 0, "unknown": 0,
                    "resources": 4, "at": stamp(days_ago), "uploaded_by": "system", "inputs": null,
                    "level": "general", "controls_failed": [], "controls_passed": [],
                    "controls_not_evaluated": [], "by_family": {},
                    "by_severity": { "critical": critical, "high": high, "medium": 0, "low": 0 },
                    "opened": 0, "reopened": 0, "closed": 0 }),
        )
        .of_engagement(engagement.clone())
    };
    s.block_on(
        s.store
            .record_scan(&Actor::system(), run(40, 0, 3), opened, Vec::new()),
    )
    .unwrap();
    s.block_on(
        s.store
            .record_scan(&Actor::system(), run(1, 1, 0), Vec::new(), Vec::new()),
    )
    .unwrap();
    let a = s.login("a-admin");
    let posture: Value = a
        .get(&format!("/api/v1/engagements/{engagement}/posture"))
        .json()
        .unwrap();
    let ttf = &posture["time_to_fix"];
    assert_eq!(ttf["closed"], 3);
    let median = ttf["median_days"].as_f64().unwrap();
    assert!((median - 4.0).abs() < 0.01, "{ttf}");
    let high = ttf["by_severity"]["high"].as_array().unwrap();
    assert_eq!(high[0], 2);
    assert!((high[1].as_f64().unwrap() - 3.0).abs() < 0.01, "{ttf}");
    let months: usize = ttf["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["closed"].as_u64().unwrap() as usize)
        .sum();
    assert_eq!(months, 3);
    assert_eq!(posture["trend"][0]["by_severity"]["high"], 3);

    let zh = a
        .get(&format!("/engagements/{engagement}?lang=zh"))
        .text()
        .unwrap();
    assert!(
        zh.contains("修复用时中位数 4.0 天（已关闭 3 个问题）"),
        "{zh}"
    );
    assert!(zh.contains("高：3.0 天，2 个"));
    // Two runs 39 days apart, placed by their dates; a line per severity that failed.
    let trend = &zh[zh.find("id=\"trend\"").unwrap()..];
    let trend = &trend[..trend.find("</figure>").unwrap()];
    assert!(
        trend.contains("class=\"line sev-critical\"") && trend.contains("class=\"line sev-high\"")
    );
    assert!(
        !trend.contains("class=\"line sev-medium\""),
        "no line for what never failed"
    );
    let first_day = (chrono::Utc::now() - chrono::Duration::days(40))
        .format("%Y-%m-%d")
        .to_string();
    assert!(trend.contains(&first_day), "dates on the axis");
}
