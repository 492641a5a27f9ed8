//! Console pages as a user reads them: the findings of an engagement come a page at a time
//! with their total and links that keep the filters; a form value the list does not have
//! is refused, not guessed.

use cloudward_store::{Actor, NewRecord};
use serde_json::{Value, json};

use crate::common::{TestServer, databases, form};

/// `n` tracked findings in engagement `key`, every third one accepted, written as a scan
/// that opened them writes them.
fn seed_findings(s: &TestServer, key: &str, n: usize) {
    let engagement = s.engagements[key].clone();
    let owner = s.orgs["A"].clone();
    let now = cloudward_store::stamp(cloudward_store::now());
    let opened: Vec<NewRecord> = (0..n)
        .map(|i| {
            let address = format!("alicloud_oss_bucket.b{i:04}");
            NewRecord::new(
                "finding",
                owner.clone(),
                json!({
                    "key": format!("ALI-OSS-01|{address}"), "rule_id": "ALI-OSS-01",
                    "severity": "high", "controls": ["SC-11"], "address": address,
                    "resource_type": "alicloud_oss_bucket", "message": "bucket is public",
                    "state": if i % 3 == 0 { "accepted" } else { "open" },
                    "assignee": Value::Null, "accepted_reason": null, "accepted_until": null,
                    "first_seen": now, "history": [],
                }),
            )
            .of_engagement(engagement.clone())
        })
        .collect();
    let run = cloudward_server::supervision::RunData {
        at: now.clone(),
        uploaded_by: "system".into(),
        source: "upload".into(),
        inputs: Value::Null,
        level: Some("advanced".into()),
        failed: i64::try_from(n).unwrap(),
        passed: 0,
        unknown: 0,
        resources: i64::try_from(n).unwrap(),
        controls_failed: vec!["SC-11".into()],
        controls_passed: Vec::new(),
        controls_not_evaluated: Vec::new(),
        by_family: Default::default(),
        by_severity: Default::default(),
        opened: n,
        reopened: 0,
        closed: 0,
        report_sha256: None,
    };
    let run = NewRecord::new("scan_run", owner, serde_json::to_value(&run).unwrap())
        .of_engagement(engagement);
    s.block_on(
        s.store
            .record_scan(&Actor::system(), run, opened, Vec::new()),
    )
    .unwrap();
}

/// How many findings rows a supervision page shows.
fn rows(html: &str) -> usize {
    html.matches("<td class=\"res\"><code>alicloud_oss_bucket.b")
        .count()
}

fn run(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    seed_findings(&s, "EA", 120);
    let a = s.login("a-admin");
    let path = format!("/engagements/{}/supervision", s.engagements["EA"]);

    let first = a.get(&path);
    assert_eq!(first.status(), 200);
    let html = first.text().unwrap();
    // Each finding in the reader's language: the rule's title and how to fix it, the
    // severity in words on a coloured badge (not the English stored with the finding).
    let zh = a.get(&format!("{path}?lang=zh")).text().unwrap();
    let rule = cloudward_server::scanning::builtin_rule("ALI-OSS-01").unwrap();
    assert!(zh.contains(&rule.title.zh), "the title in Chinese");
    // (Attribute names and values in it are marked as code.)
    assert!(
        zh.replace("<code>", "")
            .replace("</code>", "")
            .contains(&rule.remediation.text.zh),
        "how to fix it, in Chinese"
    );
    assert!(zh.contains("<span class=\"badge sev-high\">高</span>"));
    assert!(
        !zh.contains("bucket is public"),
        "not the stored English message"
    );
    assert!(html.contains("(120)"), "the total is shown");
    assert_eq!(rows(&html), 50);
    assert!(html.contains("b0000") && !html.contains("b0050"));
    assert!(
        html.contains(&format!("{path}?page=2#findings")),
        "a link to the next page"
    );
    assert!(
        !html.contains("rel=\"prev\""),
        "no previous page on the first"
    );

    let last = a.get(&format!("{path}?page=3")).text().unwrap();
    assert_eq!(rows(&last), 20);
    assert!(last.contains("b0119") && !last.contains("b0099"));
    assert!(last.contains(&format!("{path}?page=2#findings")));
    assert!(!last.contains("rel=\"next\""), "no next page on the last");

    // A page past the last shows the last; one that is not a number, the first.
    assert_eq!(a.get(&format!("{path}?page=99")).text().unwrap(), last);
    let odd = a.get(&format!("{path}?page=x")).text().unwrap();
    assert_eq!(rows(&odd), 50);
    assert!(odd.contains("b0000"));

    // A filter is applied in the database and kept by the links: 80 open findings.
    let open = a.get(&format!("{path}?state=open")).text().unwrap();
    assert!(open.contains("(80)"), "the filtered total");
    assert_eq!(rows(&open), 50);
    assert!(
        open.replace("&#38;", "&")
            .contains(&format!("{path}?state=open&page=2#findings"))
    );
    let open2 = a.get(&format!("{path}?state=open&page=2")).text().unwrap();
    assert_eq!(rows(&open2), 30);
    assert!(!open2.contains("b0000"), "b0000 is accepted");

    // A notice of a kind the form does not offer is refused and the page shown again (to
    // the provider, who raises notices).
    let pa = s.login("pa-admin");
    let head = s.block_on(s.store.audit_head()).unwrap();
    let r = pa
        .client
        .post(format!(
            "{}/engagements/{}/notices",
            s.base, s.engagements["EA"]
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf_token", &pa.csrf),
            ("kind", "rumour"),
            ("title", "Maintenance"),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(html.contains("id=\"problem\""), "the reason is on the page");
    assert!(html.contains("id=\"n-kind-error\""), "and beside the field");
    assert!(
        html.contains("value=\"Maintenance\""),
        "the title typed is kept"
    );
    assert_eq!(s.block_on(s.store.audit_head()).unwrap(), head);
    // A notice without a title: the form again, the description kept.
    let r = pa
        .client
        .post(format!(
            "{}/engagements/{}/notices",
            s.base, s.engagements["EA"]
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf_token", &pa.csrf),
            ("kind", "change"),
            ("title", "  "),
            ("description", "Database upgrade on Sunday night"),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(html.contains("id=\"n-title-error\""), "beside the title");
    assert!(html.contains(">Database upgrade on Sunday night</textarea>"));
    assert!(
        html.contains("<option value=\"change\" selected>"),
        "the kind chosen is kept"
    );

    // Accepting a finding until a day already past: the form again, open, with the reason
    // kept and why beside the date.
    let list = s
        .block_on(s.store.list_findings(
            &s.engagements["EA"],
            &cloudward_store::FindingFilter {
                state: Some("open".into()),
                limit: Some(1),
                ..Default::default()
            },
        ))
        .unwrap()
        .0;
    let f = &list[0];
    let v = f.version.to_string();
    let r = a
        .client
        .post(format!(
            "{}/engagements/{}/findings/{}",
            s.base, s.engagements["EA"], f.id
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf_token", &a.csrf),
            ("version", &v),
            ("action", "accept"),
            ("reason", "a compensating control in the gateway"),
            ("until", "2001-01-01"),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(
        html.contains(&format!("id=\"until-{}-error\"", f.id)),
        "beside the date"
    );
    assert!(html.contains("value=\"a compensating control in the gateway\""));
    assert!(html.contains("value=\"2001-01-01\""));
    assert!(
        html.contains("<details class=\"accept\" open>"),
        "the form is open"
    );
    assert_eq!(s.block_on(s.store.audit_head()).unwrap(), head);

    // The requirement analysis: an answer that does not read is refused beside its field,
    // with everything typed kept; nothing is saved until it reads.
    let req_path = format!(
        "{}/engagements/{}/requirements",
        s.base, s.engagements["EA"]
    );
    let version = s
        .block_on(
            s.store
                .visible_engagement(&s.engagements["EA"], &s.orgs["A"]),
        )
        .unwrap()
        .unwrap()
        .version;
    let post = |pairs: &[(&str, &str)]| {
        a.client
            .post(&req_path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .unwrap()
    };
    let v = version.to_string();
    let r = post(&[
        ("csrf_token", &a.csrf),
        ("version", &v),
        ("continuity.rto_hours", "four"),
        ("latency.expected_ms", "20"),
        ("portability.open_formats", "perhaps"),
    ]);
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(
        html.contains("id=\"continuity.rto_hours-error\""),
        "the error is beside the field"
    );
    assert!(html.contains("id=\"portability.open_formats-error\""));
    assert!(html.contains("value=\"four\""), "what was typed is kept");
    assert!(html.contains("value=\"20\""), "the other answers are kept");
    assert_eq!(s.block_on(s.store.audit_head()).unwrap(), head);
    let r = a
        .client
        .post(&req_path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf_token", &a.csrf),
            ("version", &v),
            ("continuity.rto_hours", "4"),
            ("latency.expected_ms", "20"),
            ("portability.open_formats", "yes"),
            ("data_location.regions", "cn-beijing, cn-shanghai"),
        ]))
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let e = s
        .block_on(
            s.store
                .visible_engagement(&s.engagements["EA"], &s.orgs["A"]),
        )
        .unwrap()
        .unwrap();
    let req = &e.document["requirements"];
    assert_eq!(req["continuity"]["rto_hours"], 4.0);
    assert_eq!(req["latency"]["expected_ms"], 20.0);
    assert_eq!(req["portability"]["open_formats"], true);
    assert_eq!(
        req["data_location"]["regions"],
        json!(["cn-beijing", "cn-shanghai"])
    );
}

#[test]
fn findings_come_a_page_at_a_time_with_their_total_and_filters() {
    for db in databases() {
        run(&db);
    }
}

/// A refusal keeps the console around it: the header, the status in words, and a way back
/// to the page of the form that was sent.
fn refusals(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    let a = s.login("a-admin");
    let ea = &s.engagements["EA"];
    // A phase the form does not offer: refused, back to the engagement's page.
    let r = a
        .client
        .post(format!("{}/engagements/{ea}/transition", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf_token", &a.csrf),
            ("version", "1"),
            ("to", "limbo"),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(html.contains("<nav"), "the header stays");
    assert!(
        html.contains(&format!("id=\"back\" href=\"/engagements/{ea}\"")),
        "back to the form's page: {html}"
    );
    assert!(html.contains("未能办理") || html.contains("Not taken"));
    assert!(!html.contains("<h1>400</h1>"), "not a bare status");
    // A forged form token: not allowed, and back to the dashboard.
    let r = a
        .client
        .post(format!("{}/engagements/{ea}/transition", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf_token", "forged"),
            ("version", "1"),
            ("to", "selection"),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    let html = r.text().unwrap();
    assert!(html.contains("<nav"));
    assert!(html.contains("id=\"back\" href=\"/dashboard\""));
    assert!(html.contains("无权办理") || html.contains("Not allowed"));
    // A finding's form goes back to the supervision page.
    let r = a
        .client
        .post(format!("{}/engagements/{ea}/findings/nope", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf_token", &a.csrf),
            ("version", "1"),
            ("action", "reject"),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(
        html.contains(&format!("href=\"/engagements/{ea}/supervision\"")),
        "{html}"
    );
    // A form that arrives without a field it needs: the console's page in words, with the
    // header and the way back, not a bare status.
    let r = a
        .client
        .post(format!("{}/engagements/{ea}/notices?lang=en", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf_token", &a.csrf), ("kind", "change")]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().unwrap();
    assert!(html.contains("<nav"), "the header stays");
    assert!(html.contains("The form arrived incomplete"), "{html}");
    assert!(html.contains(&format!(
        "id=\"back\" href=\"/engagements/{ea}/supervision\""
    )));
    assert!(!html.contains("missing field"), "not serde's words");
    // Another organisation's engagement: not found, with the header, back to the dashboard.
    let r = a.get(&format!("/engagements/{}", s.engagements["EB"]));
    assert_eq!(r.status(), 404);
    let html = r.text().unwrap();
    assert!(html.contains("<nav"));
    assert!(html.contains("id=\"back\" href=\"/dashboard\""));
    assert!(html.contains("找不到") || html.contains("Not found"));
}

#[test]
fn a_refusal_keeps_the_header_and_leads_back_to_the_form() {
    for db in databases() {
        refusals(&db);
    }
}

/// Administration forms refused: shown again with what was typed (never the password) and
/// the reason beside the field.
fn admin_forms(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    let a = s.login("a-admin");
    let root = s.login("root");
    let head = s.block_on(s.store.audit_head()).unwrap();
    let post = |u: &crate::common::User, path: &str, pairs: &[(&str, &str)]| {
        u.client
            .post(format!("{}{path}", s.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .unwrap()
    };
    let users = format!("/admin/orgs/{}/users", s.orgs["A"]);
    let r = post(
        &a,
        &users,
        &[
            ("csrf_token", &a.csrf),
            ("username", "wang.fang"),
            ("password", "short"),
            ("role", "read_only"),
        ],
    );
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(html.contains("id=\"u-pw-error\""), "beside the password");
    assert!(html.contains("value=\"wang.fang\""), "the name kept");
    assert!(
        !html.contains("value=\"short\""),
        "the password is not given back"
    );
    assert!(
        html.contains("<option value=\"read_only\" selected>"),
        "the role kept"
    );
    assert!(html.contains("id=\"problem\""));
    let r = post(
        &a,
        &users,
        &[
            ("csrf_token", &a.csrf),
            ("username", "wang fang!"),
            ("password", "a long enough passphrase 42"),
            ("role", "member"),
        ],
    );
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("id=\"u-name-error\""));
    let r = post(
        &a,
        "/admin/tokens",
        &[("csrf_token", &a.csrf), ("name", "   "), ("role", "member")],
    );
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("id=\"t-name-error\""));
    let r = post(
        &root,
        "/admin/orgs",
        &[
            ("csrf_token", &root.csrf),
            ("name", ""),
            ("kind", "assessor"),
        ],
    );
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(html.contains("id=\"org-name-error\""));
    assert!(html.contains("<option value=\"assessor\" selected>"));
    assert_eq!(
        s.block_on(s.store.audit_head()).unwrap(),
        head,
        "nothing written"
    );
}

#[test]
fn refused_administration_forms_keep_what_was_typed() {
    for db in databases() {
        admin_forms(&db);
    }
}

/// A file that does not read is the editor again with the text as sent and where it fails.
fn file_editor(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    let a = s.login("a-admin");
    let head = s.block_on(s.store.audit_head()).unwrap();
    let text = "name: 市政务云\nphase: planning\ninformation: [public\n";
    let r = a
        .client
        .post(format!(
            "{}/engagements/{}/edit",
            s.base, s.engagements["EA"]
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf_token", &a.csrf),
            ("version", "1"),
            ("file", text),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(html.contains("id=\"problem\""), "why is on the page");
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(
        html.contains("information: [public"),
        "the text as sent, nothing typed lost"
    );
    assert!(html.contains("市政务云"));
    assert_eq!(s.block_on(s.store.audit_head()).unwrap(), head);
}

#[test]
fn a_file_that_does_not_read_comes_back_in_the_editor() {
    for db in databases() {
        file_editor(&db);
    }
}

/// The visible words of a page: no tags, and no code or small print (where an id may follow
/// its name).
fn visible_text(html: &str) -> String {
    let mut rest = html.to_owned();
    for tag in ["code", "small", "script", "style", "title", "header"] {
        let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
        let mut kept = String::new();
        let mut at = rest.as_str();
        while let Some(i) = at.find(&open) {
            kept.push_str(&at[..i]);
            at = at[i..]
                .find(&close)
                .map_or("", |j| &at[i + j + close.len()..]);
        }
        kept.push_str(at);
        rest = kept;
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in rest.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// Ids as the content and the file spell them: `audit-cooperation`, `operation.reassessment`,
/// `SAAS`.
fn ids_in(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "，。：；（）()、,;:“”\"'".contains(c))
        .filter(|w| {
            let lower_id = w.len() > 3
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c == '.')
                && (w.contains('-') || w.contains('.'))
                && !w.starts_with('.')
                && !w.ends_with('.');
            lower_id || matches!(*w, "SAAS" | "IAAS" | "PAAS")
        })
        .map(str::to_owned)
        .collect()
}

fn engagement_page_in_words(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    let a = s.login("a-admin");
    for lang in ["zh", "en"] {
        let html = a
            .get(&format!("/engagements/{}?lang={lang}", s.engagements["EA"]))
            .text()
            .unwrap();
        let ids = ids_in(&visible_text(&html));
        assert!(ids.is_empty(), "{lang}: ids shown as they are: {ids:?}");
    }
}

#[test]
fn the_engagement_page_names_what_the_check_finds_in_words() {
    for db in databases() {
        engagement_page_in_words(&db);
    }
}

fn stepper_and_actions(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    let a = s.login("a-admin");
    let ea = &s.engagements["EA"];
    let html = a.get(&format!("/engagements/{ea}?lang=zh")).text().unwrap();
    // Five steps, the engagement's phase (operation) the current one, two behind it.
    assert_eq!(html.matches("<li class=\"step ").count(), 5);
    assert!(html.contains("<li class=\"step current\" aria-current=\"step\">"));
    assert_eq!(html.matches("<li class=\"step done\"").count(), 2);
    // A warning of a missing activity leads to where it is recorded.
    assert!(
        html.contains(&format!(
            "<a class=\"do\" href=\"/engagements/{ea}/records#phase-operation\">"
        )),
        "{html}"
    );
    // Another party sees the stepper, not the customer's links.
    let p = s.login("pa-admin");
    let html = p.get(&format!("/engagements/{ea}?lang=zh")).text().unwrap();
    assert!(html.contains("aria-current=\"step\""));
    assert!(!html.contains(&format!("href=\"/engagements/{ea}/edit\"")));
    // From operation the next move is to exit: not the page's primary button.
    let html = a.get(&format!("/engagements/{ea}")).text().unwrap();
    assert!(
        html.contains("<button type=\"submit\" id=\"advance\">"),
        "{html}"
    );
}

#[test]
fn the_engagement_page_shows_where_it_stands_and_what_to_do_next() {
    for db in databases() {
        stepper_and_actions(&db);
    }
}

fn share_form(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    let a = s.login("a-admin");
    let ea = &s.engagements["EA"];
    let head = s.block_on(s.store.audit_head()).unwrap();
    // One party alone is no share: the matrix again, that row's form open as it was sent.
    let r = a
        .client
        .post(format!("{}/engagements/{ea}/responsibility/share", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf_token", &a.csrf),
            ("element", "data/DP"),
            ("mode", "shared"),
            ("share_customer", "on"),
            ("part_customer", "数据分类分级与访问审批"),
            ("part_provider", ""),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(
        html.contains("id=\"share-data/DP-error\""),
        "why, in the row"
    );
    assert!(
        html.contains("value=\"数据分类分级与访问审批\""),
        "the part typed is kept"
    );
    assert!(
        html.contains("<details class=\"share\" open>"),
        "the row's form is open"
    );
    assert!(html.contains("id=\"share-data/DP-customer\" name=\"share_customer\" checked"));
    assert_eq!(
        s.block_on(s.store.audit_head()).unwrap(),
        head,
        "nothing written"
    );
}

#[test]
fn a_refused_share_of_a_matrix_row_keeps_what_was_typed() {
    for db in databases() {
        share_form(&db);
    }
}

fn assessments_by_name(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    let pa = s.login("pa-admin");
    let (_, assessment) = crate::common::offering_under_assessment(&s, &pa);
    // The assessor and the provider see the assessment by what it assesses, not its id.
    for who in ["as-admin", "pa-admin"] {
        let u = s.login(who);
        let html = u.get("/dashboard?lang=en").text().unwrap();
        assert!(
            html.contains(&format!(
                "<a href=\"/assessments/{assessment}\">Gov IaaS</a>"
            )),
            "{who}: {html}"
        );
        assert!(html.contains("<td>Provider A</td>"), "{who}");
        assert!(
            !html.contains(&format!(">{assessment}<")),
            "{who}: no bare id"
        );
    }
}

#[test]
fn the_dashboard_names_each_assessment_by_its_offering_and_provider() {
    for db in databases() {
        assessments_by_name(&db);
    }
}

/// The lifecycle records as a form: a value that does not read is the form again with
/// everything typed and why beside the field; what is saved is what the gates read; the
/// outputs the server holds are recorded by themselves; a document attached is an output.
fn records_form(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    let a = s.login("a-admin");
    let ea = s.engagements["EA"].clone();
    let path = format!("/engagements/{ea}/records");
    let html = a.get(&format!("{path}?lang=zh")).text().unwrap();
    assert!(html.contains("生命周期记录"), "{html}");
    // Every phase reached (EA is in operation): its activities and outputs in words.
    assert!(html.contains("id=\"phase-planning\"") && html.contains("id=\"phase-operation\""));
    assert!(!html.contains("id=\"phase-exit\""));
    assert!(html.contains("形成决策报告") && html.contains("安全服务商名称"));
    let ids = ids_in(&visible_text(&html));
    assert!(ids.is_empty(), "ids shown as they are: {ids:?}");

    // Two values that do not read: nothing is saved, every value comes back.
    let head = s.block_on(s.store.audit_head()).unwrap();
    let r = a.post_form(
        &format!("{path}?lang=en"),
        &[
            ("version", "1"),
            ("activity.operation.reassessment", "1"),
            (
                "output.reassessment-record.reference",
                "Reassessment 2026/01",
            ),
            ("output.reassessment-record.date", "2026-13-01"),
            ("sla.availability_percent", "ninety-nine"),
            ("ssp.name", "SecOps Ltd"),
        ],
    );
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(html.contains("id=\"problem\""));
    for field in [
        "output.reassessment-record.date",
        "sla.availability_percent",
    ] {
        assert!(
            html.contains(&format!("aria-describedby=\"{field}-error\"")),
            "{field} marked: {html}"
        );
        assert!(html.contains(&format!(
            "<span class=\"field-error\" id=\"{field}-error\">"
        )));
    }
    assert!(html.contains("value=\"ninety-nine\"") && html.contains("value=\"2026-13-01\""));
    assert!(
        html.contains("value=\"Reassessment 2026/01\"") && html.contains("value=\"SecOps Ltd\"")
    );
    assert!(html.contains("name=\"activity.operation.reassessment\" value=\"1\" checked"));
    assert!(html.contains("YYYY-MM-DD"), "what is accepted is said");
    assert_eq!(s.block_on(s.store.audit_head()).unwrap(), head);

    // As corrected: saved, and the check reads it.
    let mut fields = vec![
        ("version", "1"),
        ("activity.operation.reassessment", "1"),
        (
            "output.reassessment-record.reference",
            "Reassessment 2026/01",
        ),
        ("output.reassessment-record.date", "2026-01-15"),
        ("output.exit-plan.reference", "Exit plan v2.0"),
        ("provider.name", "Provider A"),
        ("provider.offering", "Gov Cloud"),
        ("provider.cloud", "alicloud"),
        ("sla.availability_percent", "99.95"),
        ("sla.incident_ack_hours", "12"),
        ("ssp.name", "SecOps Ltd"),
        ("ssp.scope", "log audit"),
    ];
    let brs: Vec<(String, String)> = (1..=5)
        .flat_map(|i| {
            [
                (format!("br.BR{i}.present"), "1".to_owned()),
                (format!("br.BR{i}.reference"), format!("Contract §{i}")),
            ]
        })
        .collect();
    fields.extend(brs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = a.post_form(&path, &fields);
    assert_eq!(r.status(), 200);
    let doc = a
        .get(&format!("/api/v1/engagements/{ea}"))
        .json::<Value>()
        .unwrap()["document"]
        .clone();
    let lifecycle = &doc["lifecycle"];
    assert!(
        lifecycle["activities"]
            .as_array()
            .unwrap()
            .contains(&json!("operation.reassessment"))
    );
    assert_eq!(
        lifecycle["outputs"]["reassessment-record"],
        json!({"reference": "Reassessment 2026/01", "date": "2026-01-15"})
    );
    // A field emptied is a record removed; the classification is recorded by the server.
    assert!(lifecycle["outputs"].get("supervision-plan").is_none());
    assert_eq!(
        lifecycle["outputs"]["classification-record"]["reference"],
        "cloudward:classification"
    );
    assert_eq!(
        doc["basic_requirements"]["BR3"],
        json!({"present": true, "reference": "Contract §3"})
    );
    assert_eq!(doc["provider"]["name"], "Provider A");
    assert_eq!(doc["provider"]["cloud"], "alicloud");
    assert_eq!(doc["provider"]["sla"]["availability_percent"], json!(99.95));
    assert_eq!(doc["provider"]["sla"]["incident_ack_hours"], json!(12));
    assert_eq!(
        doc["security_service_provider"],
        json!({"name": "SecOps Ltd", "scope": "log audit"})
    );
    let check = a
        .get(&format!("/api/v1/engagements/{ea}/check"))
        .json::<Value>()
        .unwrap();
    let codes = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["code"].as_str().unwrap(), f["ids"]))
            .collect()
    };
    let all = [codes(&check["blockers"]), codes(&check["warnings"])].concat();
    assert!(
        !all.iter().any(
            |c| c.contains("operation.reassessment") || c.contains("basic-requirement-missing")
        ),
        "{all:?}"
    );
    assert!(
        all.iter().any(|c| c.contains("supervision-plan")),
        "{all:?}"
    );
    let html = a.get(&format!("{path}?lang=zh")).text().unwrap();
    assert!(html.contains("已由 cloudward 记录") && html.contains("来自本系统的信息和业务分类"));

    // A document attached as an output: kept as evidence of it, the output recorded by it.
    let r = a.post_file(
        &format!("{path}/document"),
        &[("output", "supervision-plan"), ("date", "2026-02-01")],
        "监管工作方案.pdf",
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    );
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("监管工作方案.pdf"), "{html}");
    let evidence = a
        .get(&format!("/api/v1/engagements/{ea}/evidence"))
        .json::<Value>()
        .unwrap();
    let doc_id = evidence
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["evidence"]["target_kind"] == "output")
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .unwrap();
    let doc = a
        .get(&format!("/api/v1/engagements/{ea}"))
        .json::<Value>()
        .unwrap()["document"]
        .clone();
    assert_eq!(
        doc["lifecycle"]["outputs"]["supervision-plan"],
        json!({"reference": format!("cloudward:evidence/{doc_id}"), "date": "2026-02-01"})
    );
    // A file of no accepted type: the page again with why, beside the upload.
    let r = a.post_file(
        &format!("{path}/document"),
        &[("output", "incident-reports")],
        "x.bin",
        &[0u8, 1, 2, 3, 0xff, 0xfe],
    );
    assert_eq!(r.status(), 415);
    assert!(r.text().unwrap().contains("attach-file-error"));

    // The API names the field of what it refuses; other parties may read, not write.
    let version = a
        .get(&format!("/api/v1/engagements/{ea}"))
        .json::<Value>()
        .unwrap()["version"]
        .clone();
    let r = a.put(
        &format!("/api/v1/engagements/{ea}/records"),
        &json!({"version": version, "records": {"activities": ["operation.nope"]}}),
    );
    assert_eq!(r.status(), 422);
    let p = s.login("pa-admin");
    assert_eq!(p.get(&path).status(), 200);
    let r = p.put(
        &format!("/api/v1/engagements/{ea}/records"),
        &json!({"version": version, "records": {}}),
    );
    assert_eq!(r.status(), 403);
    let b = s.login("b-admin");
    assert_eq!(b.get(&path).status(), 404);
}

#[test]
fn the_lifecycle_records_are_a_form_that_keeps_what_was_typed() {
    for db in databases() {
        records_form(&db);
    }
}

/// Text as a page shows it in a form field (askama escapes these).
fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// "New engagement" shows a filled, valid file that creates an engagement as it stands; a
/// file that does not read comes back as sent; a file written by the console exports with
/// the comments of `cloudward init`.
fn new_and_commented(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    let a = s.login("a-member");
    let html = a.get("/engagements/new?lang=zh").text().unwrap();
    let start = html.find("spellcheck=\"false\">").unwrap() + "spellcheck=\"false\">".len();
    let end = start + html[start..].find("</textarea>").unwrap();
    let text = unescape(&html[start..end]);
    assert!(
        !text.contains("{name}") && !text.contains("{level}"),
        "{text}"
    );
    assert!(
        text.contains("业务系统名称（请修改）") && text.contains("Customer A"),
        "{text}"
    );
    let file = cloudward_domain::engagement::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(file.customer, "Customer A");

    let bad = text.replace("business: general", "business: generall");
    let r = a.post_form("/engagements/import", &[("file", &bad)]);
    assert_eq!(r.status(), 400);
    let page = r.text().unwrap();
    assert!(
        page.contains("id=\"problem\"") && page.contains("generall"),
        "{page}"
    );

    let r = a.post_form("/engagements/import", &[("file", &text)]);
    assert_eq!(r.status(), 200);
    let id = r.url().path().rsplit('/').next().unwrap().to_owned();
    let export = a
        .get(&format!("/api/v1/engagements/{id}/export"))
        .text()
        .unwrap();
    assert!(
        export.starts_with("# cloudward engagement file"),
        "{export}"
    );
    assert!(
        export.contains("# planning | selection | operation | exit | closed"),
        "{export}"
    );
    assert!(
        export.contains("# The five basic requirements (guide §5.5)"),
        "{export}"
    );
    let back = cloudward_domain::engagement::parse(&export).unwrap();
    assert_eq!(back.name, file.name);
    // The expert's editor shows the same comments.
    let editor = a.get(&format!("/engagements/{id}/edit")).text().unwrap();
    assert!(editor.contains("# cloudward engagement file"));
}

#[test]
fn a_new_engagement_starts_from_a_valid_file_and_keeps_its_comments() {
    for db in databases() {
        new_and_commented(&db);
    }
}

/// "My tasks" on the dashboard: each party sees what waits for it, in words, with the
/// deadline, and a link to where it is done; another organisation sees none of it.
fn my_tasks(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    seed_findings(&s, "EA", 3);
    let ea = s.engagements["EA"].clone();
    let provider = s.login("pa-admin");
    let r = provider.post(
        &format!("/api/v1/engagements/{ea}/notices"),
        &json!({"kind": "change", "title": "机房迁移"}),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let admin = s.login("a-admin");
    let findings = admin
        .get(&format!("/api/v1/engagements/{ea}/findings"))
        .json::<Value>()
        .unwrap();
    let f = &findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["finding"]["state"] == "open")
        .unwrap()
        .clone();
    let r = admin.post(
        &format!(
            "/api/v1/engagements/{ea}/findings/{}",
            f["id"].as_str().unwrap()
        ),
        &json!({"action": "assign", "version": f["version"], "assignee": "a-member"}),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());

    let html = admin.get("/dashboard?lang=zh").text().unwrap();
    assert!(html.contains("id=\"tasks\""));
    assert!(
        html.contains("请确认云服务商的变更通知“机房迁移”"),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"/engagements/{ea}/supervision#notices\"")));
    assert!(html.contains("责任矩阵中有"), "rows to confirm: {html}");
    assert!(html.contains("期限 20"), "the deadline: {html}");
    let ids = ids_in(&visible_text(&html));
    assert!(ids.is_empty(), "ids shown as they are: {ids:?}");
    // The finding is the member's task, by its rule's title.
    let member = s.login("a-member");
    let html = member.get("/dashboard?lang=en").text().unwrap();
    let rule = cloudward_server::scanning::builtin_rule("ALI-OSS-01").unwrap();
    assert!(
        html.contains("deal with the finding assigned to you"),
        "{html}"
    );
    assert!(html.contains(rule.title.get(cloudward_domain::Lang::En)));
    // The provider confirms its rows; the customer acknowledges; another tenant sees nothing.
    let html = provider.get("/dashboard?lang=en").text().unwrap();
    assert!(
        html.contains("rows of the responsibility matrix wait for your confirmation"),
        "{html}"
    );
    assert!(!html.contains("acknowledge the provider"));
    let other = s.login("b-admin");
    let html = other.get("/dashboard").text().unwrap();
    assert!(
        !html.contains("机房迁移") && !html.contains("EA:"),
        "{html}"
    );
    // The audit log of all this reads in words: each action and what it acted on.
    for who in ["root", "a-admin"] {
        let html = s.login(who).get("/audit?lang=zh").text().unwrap();
        assert!(html.contains("服务商通知：新建"), "{who}: {html}");
        // User names are names.
        let mut ids = ids_in(&visible_text(&html));
        ids.retain(|w| !w.ends_with("-admin") && !w.ends_with("-member"));
        assert!(ids.is_empty(), "{who}: audit actions as codes: {ids:?}");
    }
    // The API gives the same list.
    let tasks = admin.get("/api/v1/tasks").json::<Value>().unwrap();
    let kinds: Vec<&str> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"acknowledge_change") && kinds.contains(&"confirm_rows"),
        "{kinds:?}"
    );
}

#[test]
fn the_dashboard_lists_what_each_party_has_to_do_next() {
    for db in databases() {
        my_tasks(&db);
    }
}

/// The matrix as a matrix: a grid of layers by party and each party's progress; "confirm
/// all my rows" confirms the caller's side at once; once every side has, the matrix is a
/// lifecycle output the server holds.
fn matrix_grid(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    let ea = s.engagements["EA"].clone();
    let path = format!("/engagements/{ea}/responsibility");
    let provider = s.login("pa-admin");
    let html = provider.get(&format!("{path}?lang=zh")).text().unwrap();
    assert!(html.contains("id=\"matrix-grid\"") && html.contains("id=\"party-summary\""));
    assert!(
        html.contains("独立承担") && html.contains("<progress"),
        "{html}"
    );
    assert!(html.contains("id=\"confirm-all\""));
    let ids = ids_in(&visible_text(&html));
    assert!(ids.is_empty(), "ids shown as they are: {ids:?}");
    let r = provider.post_form(&format!("{path}/confirm-all?lang=en"), &[]);
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("rows confirmed."), "{html}");
    assert!(
        !html.contains("id=\"confirm-all\""),
        "nothing left for the provider"
    );
    // Again: nothing to do.
    let again = provider
        .post(
            &format!("/api/v1/engagements/{ea}/responsibility/confirm-all"),
            &json!(null),
        )
        .json::<Value>()
        .unwrap();
    assert_eq!(again, json!([]));
    let doc = |u: &crate::common::User| {
        u.get(&format!("/api/v1/engagements/{ea}"))
            .json::<Value>()
            .unwrap()["document"]["lifecycle"]["outputs"]["responsibility-matrix"]
            .clone()
    };
    let customer = s.login("a-member");
    let before = doc(&customer);
    for who in ["a-member", "ss-admin"] {
        let u = s.login(who);
        let r = u.post(
            &format!("/api/v1/engagements/{ea}/responsibility/confirm-all"),
            &json!(null),
        );
        assert_eq!(r.status(), 200, "{who}");
    }
    let after = doc(&customer);
    assert_ne!(before, after);
    assert_eq!(after["reference"], format!("cloudward:matrix/{ea}"));
    // A party with no seat on the engagement cannot.
    let other = s.login("pb-admin");
    let r = other.post(
        &format!("/api/v1/engagements/{ea}/responsibility/confirm-all"),
        &json!(null),
    );
    assert_eq!(r.status(), 404);
}

#[test]
fn the_matrix_is_a_grid_and_each_side_confirms_its_rows_at_once() {
    for db in databases() {
        matrix_grid(&db);
    }
}

/// A refused exit step is the engagement page again with that step's form as it was sent
/// and why beside it; a manifest line that is not a file and its hash is refused by number.
fn exit_refusals(db: &crate::common::Db) {
    let s = TestServer::start(db, |_| {});
    let ea = s.engagements["EA"].clone();
    let a = s.login("a-admin");
    let r = a.post(
        &format!("/api/v1/engagements/{ea}/transition"),
        &json!({"to": "exit"}),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let head = s.block_on(s.store.audit_head()).unwrap();
    let r = a.post_form(
        &format!("/engagements/{ea}/exit?lang=en"),
        &[
            ("step", "customer_manifest"),
            ("manifest", "db.sql aa11\njust-a-name"),
        ],
    );
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(html.contains("id=\"x-customer_manifest-error\""), "{html}");
    assert!(html.contains("line 2: write one file name and its hash"));
    assert!(
        html.contains("db.sql aa11\njust-a-name"),
        "what was typed is kept"
    );
    assert!(html.contains("<header"), "the page keeps its header");
    // Confirming a deletion nobody attested: refused beside the button.
    let r = a.post_form(
        &format!("/engagements/{ea}/exit?lang=zh"),
        &[("step", "confirm")],
    );
    assert!(r.status().is_client_error());
    let html = r.text().unwrap();
    assert!(html.contains("id=\"x-confirm-error\""), "{html}");
    assert_eq!(
        s.block_on(s.store.audit_head()).unwrap(),
        head,
        "nothing was written"
    );
}

#[test]
fn a_refused_exit_step_keeps_what_was_typed() {
    for db in databases() {
        exit_refusals(&db);
    }
}

/// The catalog a page at a time, with the search and filters kept by the page links, and
/// each control's family by its name.
#[test]
fn the_catalog_comes_a_page_at_a_time() {
    let s = TestServer::start(&crate::common::Db::Sqlite, |_| {});
    let a = s.login("a-admin");
    let rows = |html: &str| html.matches("<tr><td><a href=\"/catalog/").count();
    let first = a.get("/catalog?lang=en").text().unwrap();
    let all = s.state.content.catalog.controls.len();
    assert!(all > 50, "{all} controls");
    assert_eq!(rows(&first), 50);
    assert!(
        first.contains("href=\"/catalog?page=2\""),
        "a link to the next page"
    );
    let last_page = all.div_ceil(50);
    let last = a
        .get(&format!("/catalog?page={last_page}&lang=en"))
        .text()
        .unwrap();
    assert_eq!(rows(&last), all - (last_page - 1) * 50);
    assert!(!last.contains("rel=\"next\""));
    // The family by its name, not its code.
    let c = &s.state.content.catalog.controls[0];
    let family = s.state.content.catalog.family(&c.family).unwrap();
    assert!(first.contains(&format!("<td>{}</td>", family.name.en)));
    // A filter that finds more than a page keeps itself in the links.
    let general = s
        .state
        .content
        .catalog
        .controls
        .iter()
        .filter(|c| c.level.id() == "general")
        .count();
    if general > 50 {
        let html = a.get("/catalog?level=general").text().unwrap();
        assert!(
            html.replace("&#38;", "&")
                .contains("href=\"/catalog?level=general&page=2\""),
            "the filter is kept"
        );
    }
}

/// A refused risk register comes back as it was typed: the new risk's fields with the
/// reason beside each, a treatment's unknown control beside its field (the treatment open),
/// the scores chosen kept; nothing is saved.
#[test]
fn a_refused_risk_register_keeps_what_was_typed() {
    for db in databases() {
        let s = TestServer::start(&db, |_| {});
        let a = s.login("a-admin");
        let ea = s.engagements["EA"].clone();
        let path = format!("/engagements/{ea}/risks");
        let page = a.get(&path).text().unwrap();
        let version = page
            .split("name=\"version\" value=\"")
            .nth(1)
            .and_then(|v| v.split('"').next())
            .unwrap()
            .to_owned();
        let head = s.block_on(s.store.audit_head()).unwrap();
        let r = a.post_form(
            &format!("{path}?lang=en"),
            &[
                ("version", &version),
                ("likelihood.R1", "4"),
                ("impact.R1", "3"),
                ("treat.R1", "1"),
                ("controls.R1", "DP-04, ZZ-99"),
                ("residual_likelihood.R1", "2"),
                ("residual_impact.R1", "1"),
                ("new_id", "R1"),
                ("new_name", ""),
                ("new_likelihood", "3"),
                ("new_impact", "0"),
            ],
        );
        assert_eq!(r.status(), 400);
        let html = r.text().unwrap();
        assert_eq!(
            s.block_on(s.store.audit_head()).unwrap(),
            head,
            "nothing saved"
        );
        assert!(html.contains("id=\"problem\""), "why, at the top");
        assert!(html.contains("there is already a risk R1"), "{html}");
        assert!(html.contains("id=\"new-id-error\"") && html.contains("value=\"R1\""));
        assert!(html.contains("id=\"new-name-error\""));
        assert!(html.contains("id=\"new-impact-error\""));
        assert!(
            !html.contains("id=\"new-likelihood-error\""),
            "the likelihood was given"
        );
        assert!(html.contains("the catalog has no control ZZ-99"));
        assert!(
            html.contains("value=\"DP-04, ZZ-99\""),
            "the treatment as typed"
        );
        assert!(html.contains("<details class=\"treatment\" open>"));
        let r1 = html.split("name=\"likelihood.R1\"").nth(1).unwrap();
        assert!(r1[..r1.find("</select>").unwrap()].contains("<option value=\"4\" selected>"));
        // Fixed: saved.
        let r = a.post_form(
            &path,
            &[
                ("version", &version),
                ("likelihood.R1", "4"),
                ("impact.R1", "3"),
                ("treat.R1", "1"),
                ("controls.R1", "DP-04"),
                ("new_id", "C9"),
                ("new_name", "lock-in"),
                ("new_likelihood", "3"),
                ("new_impact", "2"),
            ],
        );
        assert_eq!(r.status(), 200);
        assert!(r.text().unwrap().contains("C9"));
        assert!(s.block_on(s.store.audit_head()).unwrap() > head);
    }
}

/// While an engagement is set up, each step's page shows the five steps as links, what is
/// done ticked, its own step marked, and the way on to the next step; in operation they go.
#[test]
fn the_setup_steps_lead_from_one_page_to_the_next() {
    let s = TestServer::start(&crate::common::Db::Sqlite, |_| {});
    let a = s.login("a-admin");
    let mut doc = crate::common::document("Setup");
    doc["phase"] = json!("planning");
    let r = a.post("/api/v1/engagements", &json!({ "document": doc }));
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let id = r.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let steps = |html: &str| -> String {
        let start = html.find("id=\"setup-steps\"").expect("the setup steps");
        html[start..html[start..].find("</nav>").unwrap() + start].to_owned()
    };
    let analysis = a
        .get(&format!("/engagements/{id}/requirements?lang=en"))
        .text()
        .unwrap();
    let nav = steps(&analysis);
    for page in ["requirements", "responsibility", "contract"] {
        assert!(
            nav.contains(&format!("href=\"/engagements/{id}/{page}\"")),
            "{nav}"
        );
    }
    assert!(
        nav.contains("aria-current=\"step\" class=\""),
        "its own step marked"
    );
    let current = nav.split("aria-current=\"step\"").nth(1).unwrap();
    assert!(current[..current.find("</li>").unwrap()].contains("Requirement analysis"));
    assert!(nav.contains("Next step: Responsibility matrix →"), "{nav}");
    assert!(nav.contains(&format!(
        "href=\"/engagements/{id}/responsibility\" id=\"next-step\""
    )));
    // Classification is done from the start; the matrix is not until confirmed.
    let engagement = a.get(&format!("/engagements/{id}?lang=en")).text().unwrap();
    let nav = steps(&engagement);
    let li = |name: &str| -> String {
        let at = nav.find(name).unwrap();
        let start = nav[..at].rfind("<li").unwrap();
        nav[start..at].to_owned()
    };
    assert!(li("Classification").contains("class=\"done\""), "{nav}");
    assert!(
        li("Responsibility matrix").contains("class=\"todo\""),
        "{nav}"
    );
    // In operation, set up: no steps.
    let ea = a
        .get(&format!("/engagements/{}", s.engagements["EA"]))
        .text()
        .unwrap();
    assert!(!ea.contains("id=\"setup-steps\""));
    // The wizard shows them before there is an engagement, the first marked.
    let wizard = a.get("/engagements/wizard?lang=en").text().unwrap();
    assert!(steps(&wizard).contains("aria-current=\"step\""));
}

/// The offerings list searched by name or provider and filtered by category, claimed level
/// and whether assessed, the filters kept in the form.
#[test]
fn offerings_are_searched_and_filtered() {
    let s = TestServer::start(&crate::common::Db::Sqlite, |_| {});
    let pa = s.login("pa-admin");
    for (name, category, level) in [
        ("Gov IaaS hosts", "iaas", "general"),
        ("Gov mail SaaS", "saas", "enhanced"),
        ("Gov database PaaS", "paas", "enhanced"),
    ] {
        let r = pa.post(
            "/api/v1/offerings",
            &json!({ "published": true, "offering": {
                "name": name, "service_category": category, "deployment_model": "community",
                "claimed_level": level } }),
        );
        assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    }
    let names = |html: &str| -> Vec<String> {
        ["Gov IaaS hosts", "Gov mail SaaS", "Gov database PaaS"]
            .iter()
            .filter(|n| html.contains(&format!("<td>{n}</td>")))
            .map(|n| (*n).to_owned())
            .collect()
    };
    let all = pa.get("/offerings?lang=en").text().unwrap();
    assert_eq!(names(&all).len(), 3);
    let enhanced = pa.get("/offerings?level=enhanced&lang=en").text().unwrap();
    assert_eq!(names(&enhanced), ["Gov mail SaaS", "Gov database PaaS"]);
    assert!(enhanced.contains("<option value=\"enhanced\" selected>"));
    assert!(enhanced.contains("2 offerings"));
    let saas = pa.get("/offerings?category=saas").text().unwrap();
    assert_eq!(names(&saas), ["Gov mail SaaS"]);
    let search = pa.get("/offerings?q=DATABASE").text().unwrap();
    assert_eq!(names(&search), ["Gov database PaaS"]);
    let assessed = pa.get("/offerings?assessed=yes").text().unwrap();
    assert!(names(&assessed).is_empty(), "none is assessed yet");
    assert!(assessed.contains("id=\"no-offerings\""));
}
