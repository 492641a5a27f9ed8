//! Domain values as OSCAL documents: the catalog, a profile per protection level, an
//! offering as a component definition, an engagement as a system security plan, an
//! assessment as assessment results, and open check findings as a POA&M.
//!
//! Every UUID is v5 of a stable name (see [`crate::uuid_for`]) and the caller gives the
//! timestamp, so an export is byte-for-byte reproducible.

use std::collections::BTreeMap;

use cloudward_domain::ProtectionLevel;
use cloudward_domain::catalog::{Catalog, Control, Origin, Party, ServiceCategory};
use cloudward_domain::check::{Finding as CheckFinding, Report};
use cloudward_domain::engagement::EngagementFile;
use cloudward_domain::load::Content;
use cloudward_domain::responsibility::{Actor, Matrix};
use cloudward_domain::workflow::{ControlResult, Offering};

use crate::framework::text_part;
use crate::model::*;
use crate::results::AssessmentFile;
use crate::{NS, OSCAL_VERSION, one_line, prop, uuid_for};

/// The back-matter resource that stands for cloudward's catalog.
pub const CATALOG_RESOURCE: &str = "resource/cloudward-catalog";
/// The file name profiles and plans point to for the catalog (next to them).
pub const CATALOG_FILE: &str = "cloudward-catalog.json";

fn metadata(title: impl Into<String>, timestamp: &str, version: &str) -> Metadata {
    Metadata {
        title: title.into(),
        last_modified: timestamp.to_owned(),
        version: version.to_owned(),
        oscal_version: OSCAL_VERSION.into(),
        ..Default::default()
    }
}

fn plain_prop(name: &str, value: impl Into<String>) -> Prop {
    Prop {
        name: name.into(),
        ns: None,
        value: value.into(),
        class: None,
    }
}

fn catalog_resource(title: &str) -> Resource {
    Resource {
        uuid: uuid_for(CATALOG_RESOURCE),
        title: Some(title.to_owned()),
        description: None,
        props: vec![],
        rlinks: vec![Rlink {
            href: CATALOG_FILE.into(),
            media_type: Some("application/oscal.catalog+json".into()),
        }],
    }
}

fn catalog_href() -> String {
    format!("#{}", uuid_for(CATALOG_RESOURCE))
}

// ------------------------------------------------------------------ catalog

const GBT_RESOURCE: &str = "resource/gbt31168";
const NIST_RESOURCE: &str = "resource/nist-sp800-53r5";

/// The catalog: families as groups (their topics as parts), each control with its
/// statement and guidance in English and Chinese, its level, parties and origin as props,
/// and its references as links to back-matter resources and as props.
pub fn catalog(cat: &Catalog, timestamp: &str, version: &str) -> Document {
    let groups = cat
        .families
        .iter()
        .map(|f| Group {
            id: Some(f.id.clone()),
            class: Some("family".into()),
            title: f.name.en.clone(),
            props: [
                Some(prop("title-zh", one_line(&f.name.zh))),
                Some(prop("kind", kind_id(f.kind))),
                Some(prop("edition", f.edition.clone())),
                f.chapter.as_ref().map(|c| prop("chapter", c.clone())),
            ]
            .into_iter()
            .flatten()
            .collect(),
            parts: f
                .topics
                .iter()
                .map(|t| Part {
                    id: Some(format!("{}.{}", f.id, t.id)),
                    name: "topic".into(),
                    ns: Some(NS.into()),
                    class: None,
                    title: Some(t.name.en.clone()),
                    props: [
                        Some(prop("title-zh", one_line(&t.name.zh))),
                        t.clause.as_ref().map(|c| prop("clause", c.clone())),
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                    prose: None,
                    parts: vec![],
                })
                .collect(),
            groups: vec![],
            controls: cat
                .controls
                .iter()
                .filter(|c| c.family == f.id)
                .map(control)
                .collect(),
        })
        .collect();
    let mut meta = metadata(
        "cloudward control catalog (GB/T 31168, in cloudward's words)",
        timestamp,
        version,
    );
    meta.props = vec![prop(
        "title-zh",
        "cloudward 控制项目录（依据 GB/T 31168，自行表述）",
    )];
    meta.remarks = Some(
        "Controls written in cloudward's own words, organised by the families of GB/T 31168. Clause numbers marked unverified are from memory. Advanced-level controls are cloudward's own.".into(),
    );
    Document::Catalog(crate::model::Catalog {
        uuid: uuid_for("catalog"),
        metadata: meta,
        groups,
        controls: vec![],
        back_matter: Some(BackMatter {
            resources: vec![
                Resource {
                    uuid: uuid_for(GBT_RESOURCE),
                    title: Some("GB/T 31168 Information security techniques — Security capability requirements of cloud computing services".into()),
                    ..Default::default()
                },
                Resource {
                    uuid: uuid_for(NIST_RESOURCE),
                    title: Some("NIST SP 800-53 Rev. 5".into()),
                    ..Default::default()
                },
            ],
        }),
    })
}

fn kind_id(k: cloudward_domain::catalog::FamilyKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn origin_id(o: Origin) -> &'static str {
    match o {
        Origin::Standard => "standard",
        Origin::Cloudward => "cloudward",
    }
}

fn control(c: &Control) -> crate::model::Control {
    let r = &c.refs.gbt31168;
    let mut props = vec![
        plain_prop("label", c.id.clone()),
        prop("title-zh", one_line(&c.title.zh)),
        prop("level", c.level.id()),
        prop("topic", c.topic.clone()),
        prop("origin", origin_id(c.origin)),
        prop("gbt31168-edition", r.edition.clone()),
    ];
    if let Some(clause) = &r.clause {
        props.push(prop("gbt31168-clause", clause.clone()));
    }
    props.push(prop("gbt31168-verified", r.verified.to_string()));
    for s in ServiceCategory::ALL {
        props.push(prop(&format!("party-{}", s.id()), c.parties.get(s).id()));
    }
    for n in &c.refs.nist {
        props.push(prop("nist-sp800-53", n.clone()));
    }
    let mut links = vec![Link {
        href: format!("#{}", uuid_for(GBT_RESOURCE)),
        rel: Some("reference".into()),
        media_type: None,
        text: Some(match &r.clause {
            Some(cl) => format!("GB/T 31168-{} {cl}", r.edition),
            None => format!("GB/T 31168-{}", r.edition),
        }),
    }];
    for n in &c.refs.nist {
        links.push(Link {
            href: format!("#{}", uuid_for(NIST_RESOURCE)),
            rel: Some("related".into()),
            media_type: None,
            text: Some(n.clone()),
        });
    }
    crate::model::Control {
        id: c.id.clone(),
        class: Some("cloudward".into()),
        title: c.title.en.clone(),
        params: vec![],
        props,
        links,
        parts: vec![
            text_part(
                &c.id,
                "statement",
                "smt",
                &c.statement.en,
                Some(&c.statement.zh),
            ),
            text_part(
                &c.id,
                "guidance",
                "gdn",
                &c.guidance.en,
                Some(&c.guidance.zh),
            ),
        ],
        controls: vec![],
    }
}

// ------------------------------------------------------------------ profiles

/// The profile of a protection level: the catalog's controls that apply at it.
pub fn profile(cat: &Catalog, level: ProtectionLevel, timestamp: &str, version: &str) -> Document {
    let ids: Vec<String> = cat.applicable(level).map(|c| c.id.clone()).collect();
    let mut meta = metadata(
        format!("cloudward {} protection level", level.id()),
        timestamp,
        version,
    );
    meta.props = vec![prop("level", level.id())];
    Document::Profile(Profile {
        uuid: uuid_for(&format!("profile/{}", level.id())),
        metadata: meta,
        imports: vec![Import {
            href: catalog_href(),
            include_all: None,
            include_controls: vec![SelectControls {
                with_child_controls: None,
                with_ids: ids,
                matching: vec![],
            }],
            exclude_controls: vec![],
        }],
        merge: Some(Merge { as_is: true }),
        back_matter: Some(BackMatter {
            resources: vec![catalog_resource("cloudward control catalog")],
        }),
    })
}

// ------------------------------------------------------------------ responsibility

/// Who takes part in a control under a responsibility matrix: the owners of the matrix
/// elements of the control's family, with their parts; the catalog's party for the
/// category when the matrix has no element of that family.
#[derive(Debug, Clone, Default)]
pub struct ControlShare {
    /// Actor → the elements it owns (`layer/FAMILY`) with the part it takes, if stated.
    pub actors: BTreeMap<Actor, Vec<(String, Option<String>)>>,
}

impl ControlShare {
    pub fn has(&self, a: Actor) -> bool {
        self.actors.contains_key(&a)
    }

    /// The actor's share in words (English).
    pub fn describe(&self, a: Actor) -> String {
        let Some(list) = self.actors.get(&a) else {
            return String::new();
        };
        list.iter()
            .map(|(el, part)| match part {
                Some(p) => format!("{el}: {p}"),
                None => format!("{el}: owned in full"),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

pub fn share(c: &Control, matrix: &Matrix, category: ServiceCategory) -> ControlShare {
    let mut s = ControlShare::default();
    for e in matrix
        .elements
        .iter()
        .filter(|e| e.family.eq_ignore_ascii_case(&c.family))
    {
        for a in &e.assignment.parties {
            let part = e.assignment.parts.get(a).map(|t| t.en.clone());
            s.actors.entry(*a).or_default().push((e.id.clone(), part));
        }
    }
    if s.actors.is_empty() {
        let actors: &[Actor] = match c.parties.get(category) {
            Party::Provider => &[Actor::Provider],
            Party::Customer => &[Actor::Customer],
            Party::Shared => &[Actor::Provider, Actor::Customer],
        };
        for a in actors {
            s.actors
                .entry(*a)
                .or_default()
                .push((format!("catalog/{}", c.family), None));
        }
    }
    s
}

// ------------------------------------------------------------------ component definition

/// A provider's offering: one service component whose implemented requirements are the
/// controls of its claimed level in which the provider takes part, with the provider's
/// share and the customer's as props and text.
pub fn component(
    content: &Content,
    offering: &Offering,
    timestamp: &str,
    version: &str,
) -> Document {
    let overrides: Vec<_> = offering
        .responsibility
        .iter()
        .map(cloudward_domain::check::to_override)
        .collect();
    let matrix = Matrix::build(&content.matrix, offering.service_category, &overrides);
    let base = format!("offering/{}", offering.name);
    let reqs: Vec<ComponentRequirement> = content
        .catalog
        .applicable(offering.claimed_level)
        .filter_map(|c| {
            let s = share(c, &matrix, offering.service_category);
            if !s.has(Actor::Provider) {
                return None;
            }
            let mut desc = format!("Provider: {}.", s.describe(Actor::Provider));
            let mut props = vec![prop(
                "responsibility",
                if s.has(Actor::Customer) {
                    "shared"
                } else {
                    "provider"
                },
            )];
            if s.has(Actor::Customer) {
                desc.push_str(&format!("\n\nCustomer: {}.", s.describe(Actor::Customer)));
                props.push(prop(
                    "customer-responsibility",
                    one_line(&s.describe(Actor::Customer)),
                ));
            }
            Some(ComponentRequirement {
                uuid: uuid_for(&format!("{base}/requirement/{}", c.id)),
                control_id: c.id.clone(),
                description: desc,
                props,
            })
        })
        .collect();
    let mut props = vec![
        prop("service-category", offering.service_category.id()),
        prop("deployment-model", offering.deployment_model.id()),
        prop("claimed-level", offering.claimed_level.id()),
    ];
    if let Some(cloud) = &offering.cloud {
        props.push(prop("cloud", cloud.clone()));
    }
    for r in &offering.regions {
        props.push(prop("region", r.clone()));
    }
    let mut implementations = Vec::new();
    if !reqs.is_empty() {
        implementations.push(ControlImplementationSet {
            uuid: uuid_for(&format!("{base}/implementation")),
            source: catalog_href(),
            description: format!(
                "Controls of the {} protection level in which the provider takes part.",
                offering.claimed_level.id()
            ),
            props: vec![prop("level", offering.claimed_level.id())],
            implemented_requirements: reqs,
        });
    }
    Document::ComponentDefinition(ComponentDefinition {
        uuid: uuid_for(&base),
        metadata: metadata(
            format!("{} (cloud service offering)", offering.name),
            timestamp,
            version,
        ),
        components: vec![DefinedComponent {
            uuid: uuid_for(&format!("{base}/component")),
            kind: "service".into(),
            title: offering.name.clone(),
            description: format!(
                "{} cloud service, {} deployment, claimed protection level {}.",
                offering.service_category.id().to_uppercase(),
                offering.deployment_model.id(),
                offering.claimed_level.id()
            ),
            props,
            control_implementations: implementations,
        }],
        back_matter: Some(BackMatter {
            resources: vec![catalog_resource("cloudward control catalog")],
        }),
    })
}

// ------------------------------------------------------------------ system security plan

/// An engagement as a system security plan. The protection level is the sensitivity
/// level; the information types are listed; each applicable control is an implemented
/// requirement whose by-components carry the responsibility matrix: on the provider's
/// component `export` with `provided` (its share) and `responsibilities` (the customer's),
/// on this system `inherited` (what it takes from the provider) and `satisfied` (its own
/// share); a security service provider gets its own component.
pub fn ssp(
    content: &Content,
    file: &EngagementFile,
    report: &Report,
    timestamp: &str,
    version: &str,
) -> Document {
    let base = format!("engagement/{}", file.name);
    let u = |s: &str| uuid_for(&format!("{base}/{s}"));
    let overrides: Vec<_> = file
        .responsibility
        .iter()
        .map(cloudward_domain::check::to_override)
        .collect();
    let matrix = Matrix::build(&content.matrix, file.service_category, &overrides);
    let this = u("component/this-system");
    let provider = u("component/provider");
    let ssp_id = u("component/security-service-provider");
    let provider_title = file
        .provider
        .as_ref()
        .map(|p| format!("{} — {}", p.name, p.offering))
        .unwrap_or_else(|| "Cloud service provider (not chosen yet)".into());
    let mut components = vec![
        SystemComponent {
            uuid: this.clone(),
            kind: "this-system".into(),
            title: file.name.clone(),
            description: format!("The business system of {}.", file.customer),
            props: vec![prop("party", "customer")],
            status: State {
                state: if file.phase >= cloudward_domain::engagement::Phase::Operation {
                    "operational".into()
                } else {
                    "under-development".into()
                },
            },
        },
        SystemComponent {
            uuid: provider.clone(),
            kind: "service".into(),
            title: provider_title,
            description: format!(
                "The cloud service the system runs on ({}, {} deployment).",
                file.service_category.id().to_uppercase(),
                file.deployment_model.id()
            ),
            props: [
                Some(prop("party", "provider")),
                file.provider
                    .as_ref()
                    .and_then(|p| p.cloud.clone())
                    .map(|c| prop("cloud", c)),
                file.provider
                    .as_ref()
                    .and_then(|p| p.assessment.as_ref())
                    .map(|a| prop("assessed-level", a.level.id())),
            ]
            .into_iter()
            .flatten()
            .collect(),
            status: State {
                state: "operational".into(),
            },
        },
    ];
    if let Some(s) = &file.security_service_provider {
        components.push(SystemComponent {
            uuid: ssp_id.clone(),
            kind: "service".into(),
            title: s.name.clone(),
            description: s
                .scope
                .clone()
                .unwrap_or_else(|| "Security service provider.".into()),
            props: vec![prop("party", "security-service-provider")],
            status: State {
                state: "operational".into(),
            },
        });
    }
    let reqs = content
        .catalog
        .applicable(report.level)
        .map(|c| {
            let s = share(c, &matrix, file.service_category);
            let cu = |what: &str| u(&format!("control/{}/{what}", c.id));
            let mut by = Vec::new();
            let provided_uuid = cu("provided");
            let responsibility_uuid = cu("responsibility");
            if s.has(Actor::Provider) {
                let mut export = Export {
                    description: None,
                    provided: vec![Provided {
                        uuid: provided_uuid.clone(),
                        description: s.describe(Actor::Provider),
                    }],
                    responsibilities: vec![],
                };
                if s.has(Actor::Customer) {
                    export.responsibilities.push(Responsibility {
                        uuid: responsibility_uuid.clone(),
                        provided_uuid: Some(provided_uuid.clone()),
                        description: s.describe(Actor::Customer),
                    });
                }
                by.push(ByComponent {
                    component_uuid: provider.clone(),
                    uuid: cu("provider"),
                    description: format!("The provider's share: {}.", s.describe(Actor::Provider)),
                    props: vec![],
                    export: Some(export),
                    inherited: vec![],
                    satisfied: vec![],
                });
            }
            let mut mine = ByComponent {
                component_uuid: this.clone(),
                uuid: cu("this-system"),
                description: String::new(),
                props: vec![],
                export: None,
                inherited: vec![],
                satisfied: vec![],
            };
            if s.has(Actor::Provider) {
                mine.inherited.push(Inherited {
                    uuid: cu("inherited"),
                    provided_uuid: Some(provided_uuid.clone()),
                    description: format!(
                        "Inherited from the provider: {}.",
                        s.describe(Actor::Provider)
                    ),
                });
            }
            if s.has(Actor::Customer) {
                if s.has(Actor::Provider) {
                    mine.satisfied.push(Satisfied {
                        uuid: cu("satisfied"),
                        responsibility_uuid: Some(responsibility_uuid.clone()),
                        description: s.describe(Actor::Customer),
                    });
                }
                mine.description =
                    format!("The customer's share: {}.", s.describe(Actor::Customer));
            } else {
                mine.description = "Fully provided by the cloud service provider.".into();
            }
            by.push(mine);
            if s.has(Actor::SecurityServiceProvider) {
                by.push(ByComponent {
                    component_uuid: ssp_id.clone(),
                    uuid: cu("security-service-provider"),
                    description: format!(
                        "The security service provider's share: {}.",
                        s.describe(Actor::SecurityServiceProvider)
                    ),
                    props: vec![],
                    export: None,
                    inherited: vec![],
                    satisfied: vec![],
                });
            }
            let owners: Vec<&str> = s.actors.keys().map(|a| a.id()).collect();
            ImplementedRequirement {
                uuid: cu("requirement"),
                control_id: c.id.clone(),
                props: vec![prop("responsible", owners.join(" "))],
                by_components: by,
            }
        })
        .collect();
    let info = file
        .information
        .iter()
        .map(|i| InformationType {
            uuid: Some(u(&format!("information/{}", i.id()))),
            title: i.id().to_owned(),
            description: match i.id() {
                "public" => "Public information (guide §6.3): may be published.".into(),
                "sensitive" => "Sensitive information (guide §6.3): not classified, but its leak or loss harms the organisation or the public.".into(),
                other => format!("Information of type {other}."),
            },
            props: vec![prop("information-type", i.id())],
        })
        .collect();
    let mut sys_props = vec![
        prop("business-type", file.business.id()),
        prop("service-category", file.service_category.id()),
        prop("deployment-model", file.deployment_model.id()),
        prop("phase", file.phase.id()),
        prop("checked-on", report.checked_on.to_string()),
    ];
    sys_props.push(prop(
        "deployment-allowed",
        report.deployment_allowed.to_string(),
    ));
    Document::SystemSecurityPlan(SystemSecurityPlan {
        uuid: uuid_for(&base),
        metadata: {
            let mut m = metadata(format!("{} — system security plan", file.name), timestamp, version);
            m.props = vec![prop("customer", one_line(&file.customer))];
            m
        },
        import_profile: Href {
            href: format!("#{}", u("profile")),
        },
        system_characteristics: SystemCharacteristics {
            system_ids: vec![SystemId {
                identifier_type: None,
                id: one_line(&file.name),
            }],
            system_name: file.name.clone(),
            description: format!("{} of {}, assessed with cloudward.", file.name, file.customer),
            props: sys_props,
            security_sensitivity_level: Some(report.level.id().into()),
            system_information: SystemInformation {
                information_types: info,
            },
            status: State {
                state: if file.phase >= cloudward_domain::engagement::Phase::Operation {
                    "operational".into()
                } else {
                    "under-development".into()
                },
            },
            authorization_boundary: Description {
                description: "The business system and the cloud service it uses, as described in the engagement file.".into(),
            },
        },
        system_implementation: SystemImplementation {
            users: vec![],
            components,
        },
        control_implementation: ControlImplementation {
            description: format!(
                "The controls of the {} protection level, shared according to the engagement's responsibility matrix.",
                report.level.id()
            ),
            implemented_requirements: reqs,
        },
        back_matter: Some(BackMatter {
            resources: vec![
                Resource {
                    uuid: u("profile"),
                    title: Some(format!("cloudward {} protection level", report.level.id())),
                    description: None,
                    props: vec![],
                    rlinks: vec![Rlink {
                        href: format!("cloudward-profile-{}.json", report.level.id()),
                        media_type: Some("application/oscal.profile+json".into()),
                    }],
                },
                catalog_resource("cloudward control catalog"),
            ],
        }),
    })
}

// ------------------------------------------------------------------ assessment results

fn result_status(r: ControlResult) -> (ObjectiveStatus, Option<State>) {
    let st = |state: &str, reason: &str| ObjectiveStatus {
        state: state.into(),
        reason: Some(reason.into()),
        remarks: None,
    };
    match r {
        ControlResult::Satisfied => (st("satisfied", "pass"), None),
        ControlResult::PartiallySatisfied => (
            st("not-satisfied", "fail"),
            Some(State {
                state: "partial".into(),
            }),
        ),
        ControlResult::NotSatisfied => (st("not-satisfied", "fail"), None),
        ControlResult::NotApplicable => (
            st("satisfied", "other"),
            Some(State {
                state: "not-applicable".into(),
            }),
        ),
    }
}

pub fn result_id(r: ControlResult) -> &'static str {
    match r {
        ControlResult::Satisfied => "satisfied",
        ControlResult::PartiallySatisfied => "partially_satisfied",
        ControlResult::NotSatisfied => "not_satisfied",
        ControlResult::NotApplicable => "not_applicable",
    }
}

/// An assessment: one observation and one finding per assessed control (the finding's
/// target is the control's statement), the conclusion as props of the result.
pub fn assessment_results(a: &AssessmentFile, timestamp: &str, version: &str) -> Document {
    let base = format!("assessment/{}", a.offering);
    let u = |s: &str| uuid_for(&format!("{base}/{s}"));
    let start = a
        .conclusion
        .as_ref()
        .map(|c| format!("{}T00:00:00Z", c.date))
        .unwrap_or_else(|| timestamp.to_owned());
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    for (id, r) in &a.results {
        let obs = u(&format!("observation/{id}"));
        let mut props = vec![
            prop("control-id", id.clone()),
            prop("result", result_id(r.result)),
        ];
        if let Some(p) = &r.provider_response {
            props.push(prop("provider-response", one_line(p)));
        }
        observations.push(Observation {
            uuid: obs.clone(),
            title: Some(format!("Assessment of {id}")),
            description: if r.notes.is_empty() {
                format!("{id} assessed: {}.", result_id(r.result))
            } else {
                r.notes.clone()
            },
            props: props.clone(),
            methods: vec!["EXAMINE".into()],
            types: vec!["control-objective".into()],
            subjects: vec![],
            relevant_evidence: r
                .evidence
                .iter()
                .map(|e| RelevantEvidence {
                    href: None,
                    description: e.clone(),
                })
                .collect(),
            collected: start.clone(),
        });
        let (status, implementation_status) = result_status(r.result);
        findings.push(Finding {
            uuid: u(&format!("finding/{id}")),
            title: format!("{id}: {}", result_id(r.result)),
            description: if r.notes.is_empty() {
                format!("{id} assessed: {}.", result_id(r.result))
            } else {
                r.notes.clone()
            },
            props,
            target: FindingTarget {
                kind: "statement-id".into(),
                target_id: format!("{id}_smt"),
                status,
                implementation_status,
            },
            related_observations: vec![RelatedObservation {
                observation_uuid: obs,
            }],
            related_risks: vec![],
            remarks: None,
        });
    }
    let mut props = vec![prop("offering", one_line(&a.offering))];
    if let Some(x) = &a.assessor {
        props.push(prop("assessor", one_line(x)));
    }
    if let Some(c) = &a.conclusion {
        props.push(prop(
            "outcome",
            match c.outcome {
                cloudward_domain::workflow::Outcome::Pass => "pass",
                cloudward_domain::workflow::Outcome::Fail => "fail",
            },
        ));
        props.push(prop("level", c.level.id()));
        props.push(prop("date", c.date.to_string()));
        props.push(prop("valid-until", c.valid_until.to_string()));
    }
    let selections = if a.results.is_empty() {
        ControlSelection {
            description: Some("No control was assessed.".into()),
            include_all: None,
            include_controls: vec![SelectControl {
                control_id: "none".into(),
            }],
        }
    } else {
        ControlSelection {
            description: None,
            include_all: None,
            include_controls: a
                .results
                .keys()
                .map(|k| SelectControl {
                    control_id: k.clone(),
                })
                .collect(),
        }
    };
    Document::AssessmentResults(AssessmentResults {
        uuid: uuid_for(&base),
        metadata: metadata(format!("Assessment of {}", a.offering), timestamp, version),
        import_ap: Href {
            href: format!("#{}", u("plan")),
        },
        results: vec![AssessmentResult {
            uuid: u("result"),
            title: format!("Assessment of {}", a.offering),
            description: "Third-party security assessment of a cloud service offering (assess first, use after).".into(),
            start,
            end: None,
            props,
            reviewed_controls: ReviewedControls {
                control_selections: vec![selections],
            },
            observations,
            risks: vec![],
            findings,
        }],
        back_matter: Some(BackMatter {
            resources: vec![
                Resource {
                    uuid: u("plan"),
                    title: Some("Assessment plan (kept outside OSCAL by cloudward)".into()),
                    ..Default::default()
                },
                catalog_resource("cloudward control catalog"),
            ],
        }),
    })
}

// ------------------------------------------------------------------ POA&M

fn check_item(
    base: &str,
    key: &str,
    f: &CheckFinding,
    text: &str,
    severity: &str,
) -> (Risk, PoamItem) {
    let risk_uuid = uuid_for(&format!("{base}/risk/{key}"));
    let mut props = vec![prop("code", f.code), prop("severity", severity)];
    for id in &f.ids {
        props.push(prop("subject", one_line(id)));
    }
    let risk = Risk {
        uuid: risk_uuid.clone(),
        title: f.code.to_owned(),
        description: text.to_owned(),
        statement: format!("Open {severity} of cloudward check: {text}"),
        props: props.clone(),
        status: "open".into(),
        related_observations: vec![],
    };
    let item = PoamItem {
        uuid: Some(uuid_for(&format!("{base}/item/{key}"))),
        title: f.code.to_owned(),
        description: text.to_owned(),
        props,
        related_observations: vec![],
        related_risks: vec![RelatedRisk { risk_uuid }],
    };
    (risk, item)
}

/// Open findings as a POA&M: each blocker and warning of `cloudward check` is a risk with
/// an item, and each failing finding of a scan report (if given) is an observation with
/// an item. `render` turns a check finding into its sentence.
pub fn poam(
    file: &EngagementFile,
    report: &Report,
    render: &dyn Fn(&CheckFinding) -> String,
    scan: Option<&crate::scan::ScanReport>,
    timestamp: &str,
    version: &str,
) -> Document {
    let base = format!("poam/{}", file.name);
    let mut risks = Vec::new();
    let mut items = Vec::new();
    let mut seen = BTreeMap::<String, usize>::new();
    for (list, sev) in [(&report.blockers, "blocker"), (&report.warnings, "warning")] {
        for f in list {
            // The same code on the same ids twice still gets two UUIDs.
            let key = format!("{}/{}", f.code, f.ids.join(","));
            let n = seen.entry(key.clone()).or_default();
            *n += 1;
            let key = if *n == 1 { key } else { format!("{key}#{n}") };
            let (r, i) = check_item(&base, &key, f, &render(f), sev);
            risks.push(r);
            items.push(i);
        }
    }
    let mut observations = Vec::new();
    if let Some(scan) = scan {
        for (n, f) in scan.findings.iter().enumerate() {
            let (obs, item) = crate::scan::finding_observation(&base, n, f, timestamp);
            observations.push(obs);
            items.push(item);
        }
    }
    if items.is_empty() {
        // A POA&M has at least one item: say that nothing is open.
        items.push(PoamItem {
            uuid: Some(uuid_for(&format!("{base}/item/none"))),
            title: "Nothing open".into(),
            description: "cloudward check reported no blocker or warning on this date.".into(),
            props: vec![prop("status", "none-open")],
            related_observations: vec![],
            related_risks: vec![],
        });
    }
    Document::PlanOfActionAndMilestones(PlanOfActionAndMilestones {
        uuid: uuid_for(&base),
        metadata: metadata(
            format!("{} — plan of action and milestones", file.name),
            timestamp,
            version,
        ),
        system_id: Some(SystemId {
            identifier_type: None,
            id: one_line(&file.name),
        }),
        observations,
        risks,
        findings: vec![],
        poam_items: items,
    })
}
