//! `cloudward catalog …`: list, show, search and validate the control catalog.

use std::io::Write;

use cloudward_domain::ProtectionLevel;
use cloudward_domain::catalog::{Catalog, Control, Filter, Origin, Party, ServiceCategory};
use cloudward_domain::load::Content;
use serde::Serialize;

use crate::args::{CatalogCommand, ListArgs};
use crate::output::{Format, Table};
use crate::{Ctx, Failure};

pub fn run(ctx: &Ctx, cmd: CatalogCommand, out: &mut dyn Write) -> Result<(), Failure> {
    match cmd {
        CatalogCommand::List(args) => {
            if let Some(name) = &args.framework {
                return crate::oscal_cmd::list(ctx, name, &args, None, out);
            }
            let content = ctx.content()?;
            let filter = filter(ctx, &args, &content.catalog, None)?;
            list(ctx, &content.catalog, &filter, out)
        }
        CatalogCommand::Search { text, filter: args } => {
            if let Some(name) = &args.framework {
                return crate::oscal_cmd::list(ctx, name, &args, Some(&text), out);
            }
            let content = ctx.content()?;
            let filter = filter(ctx, &args, &content.catalog, Some(text))?;
            list(ctx, &content.catalog, &filter, out)
        }
        CatalogCommand::Show { id, framework } => {
            if let Some(name) = &framework {
                return crate::oscal_cmd::show(ctx, name, &id, out);
            }
            let content = ctx.content()?;
            show(ctx, &content.catalog, &id, out)
        }
        CatalogCommand::Validate { dir } => validate(ctx, dir, out),
        CatalogCommand::Map {
            from,
            to,
            level,
            item,
        } => map(ctx, &from, &to, level, item.as_deref(), out),
    }
}

/// `catalog map --from mlps --to 31168|rules|nist`.
fn map(
    ctx: &Ctx,
    from: &str,
    to: &str,
    level: Option<u8>,
    item: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    if from != "mlps" {
        return Err(ctx.bad_value("--from", from, &["mlps"]));
    }
    if !["31168", "rules", "nist"].contains(&to) {
        return Err(ctx.bad_value("--to", to, &["31168", "rules", "nist"]));
    }
    if let Some(l) = level
        && !(1..=4).contains(&l)
    {
        return Err(ctx.bad_value("--level", &l.to_string(), &["1", "2", "3", "4"]));
    }
    let content = ctx.content()?;
    let framework = &content.mlps;
    if let Some(id) = item
        && framework.item(id).is_none()
    {
        let ids: Vec<&str> = framework.items.iter().map(|i| i.id.as_str()).collect();
        return Err(ctx.bad_value("--item", id, &ids));
    }
    let rules = if to == "rules" {
        crate::scan_cmd::builtin_rules(ctx, &content)?
    } else {
        Vec::new()
    };
    let lang = ctx.lang;
    let items: Vec<&cloudward_domain::mlps::Item> = framework
        .items
        .iter()
        .filter(|i| level.is_none_or(|l| i.applies_at(l)))
        .filter(|i| item.is_none_or(|id| i.id.eq_ignore_ascii_case(id)))
        .collect();
    let clause = |i: &cloudward_domain::mlps::Item| -> String {
        let c = match level {
            Some(l) => i.clause_at(l),
            None => i.clauses.last(),
        };
        c.and_then(|c| c.cite())
            .map(|n| {
                if c.is_some_and(|c| c.verified) {
                    n
                } else {
                    format!("{n} {}", ctx.t("mlps.unverified_mark"))
                }
            })
            .unwrap_or_else(|| ctx.t("scan.mlps_unnumbered"))
    };
    let mut rows: Vec<serde_json::Value> = Vec::new();
    let mut t = Table::new(vec![
        ctx.t("scan.mlps_item"),
        ctx.t("scan.mlps_clause"),
        ctx.t("col.title"),
        ctx.t(&format!("map.to.{to}")),
        ctx.t("map.relation"),
    ]);
    for i in &items {
        let title = i.title.get(lang).to_owned();
        if i.maps.is_empty() {
            let why = i
                .none
                .as_ref()
                .map(|n| n.get(lang).to_owned())
                .unwrap_or_default();
            t.push(vec![
                i.id.clone(),
                clause(i),
                title.clone(),
                ctx.t("map.none"),
                why.clone(),
            ]);
            rows.push(serde_json::json!({ "item": i.id, "clause": clause(i), "title": title, "targets": [], "none": why }));
            continue;
        }
        match to {
            "31168" => {
                for m in &i.maps {
                    let control = content.catalog.control(&m.control);
                    let name = control
                        .map(|c| c.title.get(lang).to_owned())
                        .unwrap_or_default();
                    let relation = ctx.t(&format!("map.relation.{}", m.relation.id()));
                    let note = m.note.as_ref().map(|n| n.get(lang).to_owned());
                    t.push(vec![
                        i.id.clone(),
                        clause(i),
                        title.clone(),
                        format!("{} {name}", m.control),
                        match &note {
                            Some(n) => format!("{relation}：{n}"),
                            None => relation.clone(),
                        },
                    ]);
                    rows.push(serde_json::json!({
                        "item": i.id, "clause": clause(i), "title": title,
                        "target": m.control, "target_title": name,
                        "relation": m.relation.id(), "note": note,
                    }));
                }
            }
            "nist" => {
                let mut refs: Vec<String> = i
                    .maps
                    .iter()
                    .filter_map(|m| content.catalog.control(&m.control))
                    .flat_map(|c| c.refs.nist.iter().cloned())
                    .collect();
                refs.sort();
                refs.dedup();
                t.push(vec![
                    i.id.clone(),
                    clause(i),
                    title.clone(),
                    refs.join(", "),
                    ctx.t("map.relation.derived"),
                ]);
                rows.push(serde_json::json!({ "item": i.id, "clause": clause(i), "title": title, "nist": refs, "relation": "intersects" }));
            }
            _ => {
                let controls: Vec<&str> = i.maps.iter().map(|m| m.control.as_str()).collect();
                let ids: Vec<&str> = rules
                    .iter()
                    .filter(|r| r.controls.iter().any(|c| controls.contains(&c.as_str())))
                    .map(|r| r.id.as_str())
                    .collect();
                let shown = if ids.is_empty() {
                    ctx.t("map.no_rules")
                } else {
                    ctx.tr(
                        "map.rules_count",
                        &[("count", ids.len().to_string()), ("ids", ids.join(", "))],
                    )
                };
                t.push(vec![
                    i.id.clone(),
                    clause(i),
                    title.clone(),
                    shown,
                    ctx.tr("map.via", &[("controls", controls.join(", "))]),
                ]);
                rows.push(serde_json::json!({ "item": i.id, "clause": clause(i), "title": title, "controls": controls, "rules": ids }));
            }
        }
    }
    if ctx.format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, &rows).map_err(std::io::Error::other)?;
        writeln!(out)?;
        return Ok(());
    }
    t.write(ctx.format, out)?;
    Ok(())
}

fn filter(
    ctx: &Ctx,
    args: &ListArgs,
    catalog: &Catalog,
    text: Option<String>,
) -> Result<Filter, Failure> {
    let family = match &args.family {
        Some(f) => match catalog.family(f) {
            Some(fam) => Some(fam.id.clone()),
            None => {
                let ids: Vec<&str> = catalog.families.iter().map(|f| f.id.as_str()).collect();
                return Err(ctx.bad_value("--family", f, &ids));
            }
        },
        None => None,
    };
    let level = match &args.level {
        Some(l) => Some(
            ProtectionLevel::parse(l)
                .ok_or_else(|| ctx.bad_value("--level", l, &["general", "enhanced", "advanced"]))?,
        ),
        None => None,
    };
    let service = match &args.service {
        Some(s) => Some(
            ServiceCategory::parse(s)
                .ok_or_else(|| ctx.bad_value("--service", s, &["iaas", "paas", "saas"]))?,
        ),
        None => None,
    };
    let party = match args.party.as_deref() {
        Some("provider") => Some(Party::Provider),
        Some("customer") => Some(Party::Customer),
        Some(p) => return Err(ctx.bad_value("--party", p, &["provider", "customer"])),
        None => None,
    };
    Ok(Filter {
        family,
        level,
        service,
        party,
        text,
    })
}

fn control_level(ctx: &Ctx, level: ProtectionLevel) -> String {
    ctx.t(&format!("control_level.{}", level.id()))
}

fn party(ctx: &Ctx, p: Party) -> String {
    ctx.t(&format!("party.{}", p.id()))
}

fn list(ctx: &Ctx, catalog: &Catalog, filter: &Filter, out: &mut dyn Write) -> Result<(), Failure> {
    let controls: Vec<&Control> = catalog.select(filter).collect();
    if ctx.format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, &controls).map_err(std::io::Error::other)?;
        writeln!(out)?;
        return Ok(());
    }
    let services: Vec<ServiceCategory> = match filter.service {
        Some(s) => vec![s],
        None => ServiceCategory::ALL.to_vec(),
    };
    let mut header = vec![
        ctx.t("col.id"),
        ctx.t("col.topic"),
        ctx.t("col.level"),
        ctx.t("col.title"),
    ];
    header.extend(
        services
            .iter()
            .map(|s| s.id().to_uppercase().replace("AAS", "aaS")),
    );
    header.push(ctx.t("col.nist"));
    let mut table = Table::new(header);
    for c in &controls {
        let mut row = vec![
            c.id.clone(),
            catalog.topic_name(c, ctx.lang),
            control_level(ctx, c.level),
            c.title.get(ctx.lang).to_owned(),
        ];
        row.extend(services.iter().map(|s| party(ctx, c.parties.get(*s))));
        row.push(c.refs.nist.join(", "));
        table.push(row);
    }
    if controls.is_empty() && ctx.format == Format::Table {
        writeln!(out, "{}", ctx.t("catalog.no_results"))?;
        return Ok(());
    }
    table.write(ctx.format, out)?;
    if ctx.format == Format::Table {
        writeln!(
            out,
            "{}",
            ctx.tr("catalog.count", &[("count", controls.len().to_string())])
        )?;
    }
    Ok(())
}

/// A control with its family and topic names, for `show --format json`.
#[derive(Serialize)]
struct ShownControl<'a> {
    #[serde(flatten)]
    control: &'a Control,
    family_name: &'a cloudward_domain::Text,
    topic_name: Option<&'a cloudward_domain::Text>,
}

fn show(ctx: &Ctx, catalog: &Catalog, id: &str, out: &mut dyn Write) -> Result<(), Failure> {
    let Some(c) = catalog.control(id) else {
        return Err(Failure::Input(
            ctx.tr("error.unknown_control", &[("id", id.to_owned())]),
        ));
    };
    let family = catalog.family(&c.family);
    let topic = family.and_then(|f| f.topic(&c.topic));
    if ctx.format == Format::Json {
        if let Some(family) = family {
            let shown = ShownControl {
                control: c,
                family_name: &family.name,
                topic_name: topic.map(|t| &t.name),
            };
            serde_json::to_writer_pretty(&mut *out, &shown).map_err(std::io::Error::other)?;
        } else {
            serde_json::to_writer_pretty(&mut *out, c).map_err(std::io::Error::other)?;
        }
        writeln!(out)?;
        return Ok(());
    }
    let lang = ctx.lang;
    let std_ref = &c.refs.gbt31168;
    let clause = match &std_ref.clause {
        Some(cl) => format!("GB/T 31168-{} {cl}", std_ref.edition),
        None => format!(
            "GB/T 31168-{} ({})",
            std_ref.edition,
            ctx.t("ref.no_clause")
        ),
    };
    let verified = if std_ref.verified {
        ctx.t("ref.verified")
    } else {
        ctx.t("ref.unverified")
    };
    let parties = ServiceCategory::ALL
        .iter()
        .map(|s| format!("{}: {}", s.id(), party(ctx, c.parties.get(*s))))
        .collect::<Vec<_>>()
        .join("; ");
    let origin = match c.origin {
        Origin::Standard => ctx.t("origin.standard"),
        Origin::Cloudward => ctx.t("origin.cloudward"),
    };
    let rows = vec![
        (ctx.t("col.id"), c.id.clone()),
        (ctx.t("col.title"), c.title.get(lang).to_owned()),
        (
            ctx.t("col.family"),
            family
                .map(|f| format!("{} {}", f.id, f.name.get(lang)))
                .unwrap_or_else(|| c.family.clone()),
        ),
        (
            ctx.t("col.topic"),
            topic
                .map(|t| t.name.get(lang).to_owned())
                .unwrap_or_else(|| c.topic.clone()),
        ),
        (ctx.t("col.level"), control_level(ctx, c.level)),
        (ctx.t("col.statement"), c.statement.get(lang).to_owned()),
        (ctx.t("col.guidance"), c.guidance.get(lang).to_owned()),
        (ctx.t("col.gbt31168"), format!("{clause} — {verified}")),
        (ctx.t("col.nist"), c.refs.nist.join(", ")),
        (ctx.t("col.parties"), parties),
        (ctx.t("col.origin"), origin),
    ];
    if ctx.format == Format::Markdown {
        writeln!(out, "## {} {}\n", c.id, c.title.get(lang))?;
        for (k, v) in rows.iter().skip(2) {
            writeln!(out, "- **{k}**: {v}")?;
        }
        return Ok(());
    }
    let mut table = Table::new(vec![ctx.t("col.field"), ctx.t("col.value")]);
    for (k, v) in rows {
        table.push(vec![k, v]);
    }
    table.write(ctx.format, out)?;
    Ok(())
}

#[derive(Serialize)]
struct Summary {
    valid: bool,
    families: usize,
    topics: usize,
    controls: usize,
    general: usize,
    enhanced: usize,
    advanced: usize,
    risks: usize,
    roles: usize,
    basic_requirements: usize,
    phases: usize,
    aspects: usize,
    contract_clauses: usize,
}

fn summary(content: &Content) -> Summary {
    let cat = &content.catalog;
    let count = |l: ProtectionLevel| cat.controls.iter().filter(|c| c.level == l).count();
    let g = &content.guide;
    Summary {
        valid: true,
        families: cat.families.len(),
        topics: cat.families.iter().map(|f| f.topics.len()).sum(),
        controls: cat.controls.len(),
        general: count(ProtectionLevel::General),
        enhanced: count(ProtectionLevel::Enhanced),
        advanced: count(ProtectionLevel::Advanced),
        risks: g.risks.len(),
        roles: g.roles.len(),
        basic_requirements: g.basic_requirements.len(),
        phases: g.phases.len(),
        aspects: g.aspects.len(),
        contract_clauses: g.contract_clauses.len(),
    }
}

fn validate(
    ctx: &Ctx,
    dir: Option<std::path::PathBuf>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let dir = dir.or_else(|| ctx.catalog_dir.clone());
    let loaded = match &dir {
        Some(d) => cloudward_content::load_dir(d),
        None => cloudward_content::embedded_content(),
    };
    match loaded {
        Ok(content) => {
            let s = summary(&content);
            if ctx.format == Format::Json {
                serde_json::to_writer_pretty(&mut *out, &s).map_err(std::io::Error::other)?;
                writeln!(out)?;
            } else {
                let n = |v: usize| v.to_string();
                let text = ctx.tr(
                    "catalog.valid",
                    &[
                        ("families", n(s.families)),
                        ("topics", n(s.topics)),
                        ("controls", n(s.controls)),
                        ("general", n(s.general)),
                        ("enhanced", n(s.enhanced)),
                        ("advanced", n(s.advanced)),
                        ("risks", n(s.risks)),
                        ("roles", n(s.roles)),
                        ("requirements", n(s.basic_requirements)),
                        ("phases", n(s.phases)),
                        ("aspects", n(s.aspects)),
                        ("clauses", n(s.contract_clauses)),
                    ],
                );
                writeln!(out, "{text}")?;
            }
            Ok(())
        }
        Err(problems) => {
            if ctx.format == Format::Json {
                let rendered: Vec<serde_json::Value> = problems
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "file": p.file,
                            "line": p.line,
                            "entry": p.entry,
                            "kind": p.kind.key().trim_start_matches("problem."),
                            "message": p.render(&ctx.messages, ctx.lang),
                        })
                    })
                    .collect();
                let doc = serde_json::json!({ "valid": false, "problems": rendered });
                serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
                writeln!(out)?;
            }
            Err(Failure::Input(ctx.problems_text(dir.as_deref(), &problems)))
        }
    }
}
