//! The engagement file template: filled in, it is a valid file; its comments laid over a
//! file a program wrote explain that file as `cloudward init` explains a new one, without
//! changing what it says.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use cloudward_content::{embedded_content, embedded_file};
use cloudward_domain::Lang;
use cloudward_domain::catalog::ServiceCategory;
use cloudward_domain::classify::{BusinessType, InfoType};
use cloudward_domain::engagement::parse;
use cloudward_domain::template::{TemplateInput, annotate, render};

fn filled(info: &[InfoType], business: BusinessType) -> String {
    let content = embedded_content().unwrap();
    render(
        embedded_file("templates/engagement.yaml").unwrap(),
        &content,
        &TemplateInput {
            file_name: "engagement.yaml",
            name: Some("市政务服务平台"),
            customer: None,
            information: info,
            business,
            service: ServiceCategory::Iaas,
            lang: Lang::Zh,
        },
    )
    .unwrap()
}

#[test]
fn a_filled_template_is_a_valid_file() {
    for (info, business) in [
        (vec![InfoType::Public], BusinessType::General),
        (vec![InfoType::Sensitive], BusinessType::Critical),
    ] {
        let text = filled(&info, business);
        let file = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(file.name, "市政务服务平台");
        assert_eq!(file.customer, "客户单位名称（请修改）");
        assert!(!text.contains('{') || !text.contains("{name}"), "{text}");
    }
}

#[test]
fn comments_laid_over_a_written_file_explain_it_and_change_nothing() {
    let template = filled(&[InfoType::Sensitive], BusinessType::Important);
    // A file as the server writes it: no comments, the provider and lifecycle filled in.
    let mut file = parse(&template).unwrap();
    file.provider = Some(cloudward_domain::engagement::Provider {
        name: "示例云".into(),
        offering: "政务云 IaaS".into(),
        cloud: Some("alicloud".into()),
        assessment: None,
        sla: None,
    });
    file.lifecycle.activities.push("planning.decision".into());
    let written = serde_saphyr::to_string(&file).unwrap();
    assert!(!written.contains('#'));
    let annotated = annotate(&written, &template);
    // The header, a comment above a section, a comment at the end of a key's line.
    assert!(
        annotated.starts_with("# cloudward engagement file"),
        "{annotated}"
    );
    assert!(
        annotated.contains("# Requirement analysis (guide §6.6)"),
        "{annotated}"
    );
    assert!(
        annotated.contains("# planning | selection | operation | exit | closed"),
        "{annotated}"
    );
    assert!(
        annotated.contains("# The provider and its offering"),
        "{annotated}"
    );
    assert!(annotated.contains("安全管理责任不变"), "{annotated}");
    // The section the file does not have, as the template's example.
    assert!(
        annotated.contains("# security_service_provider:"),
        "{annotated}"
    );
    let a = serde_json::to_value(parse(&annotated).unwrap()).unwrap();
    let b = serde_json::to_value(parse(&written).unwrap()).unwrap();
    assert_eq!(a, b, "the comments change nothing");
}
