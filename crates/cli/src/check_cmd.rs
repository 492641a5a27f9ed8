//! `cloudward check`, `responsibility`, `schema` and `init`: the engagement file.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use cloudward_domain::catalog::ServiceCategory;
use cloudward_domain::check::{self, CheckError, Finding, InputError, Report};
use cloudward_domain::classify::{BusinessType, InfoType, Refusal};
use cloudward_domain::engagement::{self, EngagementFile, Phase};
use cloudward_domain::load::Content;
use cloudward_domain::responsibility::{Actor, Matrix, Override};
use serde_json::json;

use crate::args::{CheckArgs, InitArgs};
use crate::output::{Format, Table};
use crate::{Ctx, Failure};

/// Reads and parses an engagement file; a malformed file becomes a miette-style report.
fn read(ctx: &Ctx, path: &Path) -> Result<(EngagementFile, String), Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Input(ctx.tr(
            "input.unreadable",
            &[
                ("file", path.display().to_string()),
                ("detail", e.to_string()),
            ],
        ))
    })?;
    match engagement::parse(&text) {
        Ok(file) => Ok((file, text)),
        Err(err) => {
            let name = path.display().to_string();
            let options = serde_saphyr::render_options! { source_name: Some(name.as_str()) };
            let report =
                serde_saphyr::miette::to_miette_report_with_options(&err, &text, &name, options);
            let mut rendered = String::new();
            let handler = miette::GraphicalReportHandler::new_themed(
                miette::GraphicalTheme::unicode_nocolor(),
            );
            if handler
                .render_report(&mut rendered, report.as_ref())
                .is_err()
            {
                rendered = err.to_string();
            }
            let location = err
                .location()
                .map(|l| format!("{name}:{}:{}", l.line(), l.column()))
                .unwrap_or_else(|| name.clone());
            let mut msg = format!(
                "{}: {location}\n{}",
                ctx.tr("input.malformed", &[("file", name)]),
                rendered.trim_end()
            );
            let plain = err.to_string();
            if let Some(h) = unknown_field_hint(&plain) {
                msg.push_str("\n  help: ");
                msg.push_str(&ctx.tr("input.did_you_mean", &[("hint", h)]));
            }
            // `*/AU` unquoted is a YAML alias, not a pattern.
            if plain.contains("unknown anchor") {
                msg.push_str("\n  help: ");
                msg.push_str(&ctx.t("input.quote_star"));
            }
            Err(Failure::Input(msg))
        }
    }
}

/// From serde's "unknown field `x`, expected one of `a`, `b`", the closest accepted key.
fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let (field, rest) = rest.split_once('`')?;
    let list = rest.split("expected one of ").nth(1)?.lines().next()?;
    let expected: Vec<&str> = list
        .split(", ")
        .map(|e| e.trim().trim_matches('`'))
        .collect();
    let h = check::hint(field, &expected);
    (!h.is_empty()).then_some(h)
}

fn input_errors(ctx: &Ctx, path: &Path, errors: &[InputError]) -> Failure {
    let mut lines = Vec::new();
    for e in errors {
        let mut line = path.display().to_string();
        if let Some(l) = e.line {
            line.push_str(&format!(":{l}"));
        }
        line.push_str(&format!(": {}: {}", e.field, ctx.tr(e.key, &e.args)));
        if let Some((_, h)) = e.args.iter().find(|(k, v)| *k == "hint" && !v.is_empty()) {
            line.push_str(" — ");
            line.push_str(&ctx.tr("input.did_you_mean", &[("hint", h.clone())]));
        }
        lines.push(line);
    }
    Failure::Input(lines.join("\n"))
}

pub(crate) fn evaluate(
    ctx: &Ctx,
    path: &Path,
    date: NaiveDate,
) -> Result<(EngagementFile, Content, Report), Failure> {
    let (file, text) = read(ctx, path)?;
    let content = ctx.content()?;
    match check::check(&file, &text, &content, date) {
        Ok(report) => Ok((file, content, report)),
        Err(CheckError::Classified) => Err(Failure::Refused(ctx.t("check.refused"))),
        Err(CheckError::Invalid(errors)) => Err(input_errors(ctx, path, &errors)),
    }
}

pub(crate) fn parse_date(ctx: &Ctx, value: Option<&str>) -> Result<NaiveDate, Failure> {
    match value {
        None => Ok(chrono::Local::now().date_naive()),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| Failure::Input(ctx.tr("input.bad_date", &[("value", v.to_owned())]))),
    }
}

fn phase_name(ctx: &Ctx, content: &Content, phase: Phase) -> String {
    match content.guide.phase(phase.id()) {
        Some(p) => p.name.get(ctx.lang).to_owned(),
        None => ctx.t("phase.closed"),
    }
}

fn message(ctx: &Ctx, content: &Content, f: &Finding) -> String {
    f.message(content, &ctx.messages, ctx.lang)
}

pub fn check(ctx: &Ctx, args: &CheckArgs, out: &mut dyn Write) -> Result<(), Failure> {
    if matches!(ctx.format, Format::Csv | Format::Html) {
        let f = if ctx.format == Format::Csv {
            "csv"
        } else {
            "html"
        };
        return Err(ctx.bad_value("--format", f, &["table", "json", "markdown"]));
    }
    let date = parse_date(ctx, args.date.as_deref())?;
    let (_, content, report) = evaluate(ctx, &args.file, date)?;
    match ctx.format {
        Format::Json => {
            let value = check::report_json(&report, &content, &ctx.messages, ctx.lang);
            serde_json::to_writer_pretty(&mut *out, &value).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
        _ => write_report(ctx, &content, &report, out)?,
    }
    if report.blockers.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed)
    }
}

/// The human report, as Markdown or as terminal text with tables.
fn write_report(
    ctx: &Ctx,
    content: &Content,
    r: &Report,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let md = ctx.format == Format::Markdown;
    let table_format = if md { Format::Markdown } else { Format::Table };
    let h = |out: &mut dyn Write, text: String| -> std::io::Result<()> {
        if md {
            writeln!(out, "\n## {text}\n")
        } else {
            writeln!(out, "\n{text}")
        }
    };
    let level = ctx.t(&format!("level.{}", r.level.id()));
    if md {
        writeln!(
            out,
            "# {} — {}\n",
            crate::output::md(&r.name),
            crate::output::md(&r.customer)
        )?;
    } else {
        writeln!(out, "{} — {}", r.name, r.customer)?;
    }
    let next = match r.next_phase {
        Some(p) => phase_name(ctx, content, p),
        None => "—".into(),
    };
    let bullet = if md { "- " } else { "  " };
    writeln!(out, "{bullet}{}: {level}", ctx.t("classify.level"))?;
    writeln!(
        out,
        "{bullet}{}: {} → {}",
        ctx.t("check.phase"),
        phase_name(ctx, content, r.phase),
        next
    )?;
    writeln!(
        out,
        "{bullet}{}: {} / {}",
        ctx.t("check.service"),
        ctx.t(&format!("category.{}", r.service_category.id())),
        ctx.t(&format!("deployment.{}", r.deployment_model.id()))
    )?;
    writeln!(out, "{bullet}{}: {}", ctx.t("check.date"), r.checked_on)?;

    for (key, list, mark) in [
        ("check.blockers", &r.blockers, "✗"),
        ("check.warnings", &r.warnings, "!"),
        ("check.recommendations", &r.recommendations, "·"),
    ] {
        h(out, format!("{} ({})", ctx.t(key), list.len()))?;
        if list.is_empty() {
            writeln!(out, "{bullet}{}", ctx.t("check.none"))?;
        }
        for f in list {
            let text = message(ctx, content, f);
            if md {
                writeln!(out, "- **{}** `{}` {text}", mark, f.code)?;
            } else {
                writeln!(out, "  {mark} [{}] {text}", f.code)?;
            }
        }
    }

    h(out, ctx.t("check.analysis"))?;
    let answered = r.analysis.aspects.iter().filter(|a| a.answered).count();
    writeln!(
        out,
        "{bullet}{}: {answered}/{}",
        ctx.t("check.aspects_answered"),
        r.analysis.aspects.len()
    )?;
    if let Some(p) = r.analysis.migration_priority {
        let p = serde_json::to_value(p)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        writeln!(
            out,
            "{bullet}{}: {}",
            ctx.t("check.priority"),
            ctx.t(&format!("priority.{p}"))
        )?;
    }
    let yes_no = |b: bool| ctx.t(if b { "check.yes" } else { "check.no" });
    writeln!(
        out,
        "{bullet}{}: {}",
        ctx.t("check.portability_needed"),
        yes_no(r.analysis.portability_plan_needed)
    )?;

    h(out, ctx.t("check.responsibility"))?;
    writeln!(
        out,
        "{bullet}{}",
        ctx.tr(
            "check.responsibility_summary",
            &[
                ("elements", r.responsibility.elements.to_string()),
                ("uncovered", r.responsibility.uncovered.len().to_string()),
                ("ambiguous", r.responsibility.ambiguous.len().to_string()),
                ("overridden", r.responsibility.overridden.len().to_string()),
            ]
        )
    )?;

    h(out, ctx.t("check.assessment"))?;
    match (&r.assessment.level, &r.assessment.expires) {
        (Some(l), Some(e)) => writeln!(
            out,
            "{bullet}{}",
            ctx.tr(
                "check.assessment_summary",
                &[
                    ("level", ctx.t(&format!("level.{}", l.id()))),
                    ("expires", e.to_string()),
                    ("valid", yes_no(r.assessment.valid)),
                ]
            )
        )?,
        _ => writeln!(out, "{bullet}{}", ctx.t("check.no_assessment"))?,
    }

    h(out, ctx.t("check.contract"))?;
    let mut t = Table::new(vec![
        ctx.t("col.id"),
        ctx.t("check.required"),
        ctx.t("check.present"),
        ctx.t("check.reference"),
    ]);
    for item in r.basic_requirements.iter().chain(&r.contract) {
        t.push(vec![
            item.id.clone(),
            yes_no(item.required),
            yes_no(item.present),
            item.reference.clone().unwrap_or_default(),
        ]);
    }
    t.write(table_format, out)?;

    h(out, ctx.t("check.risks"))?;
    let mut t = Table::new(vec![
        ctx.t("col.id"),
        ctx.t("col.title"),
        ctx.t("check.score"),
        ctx.t("check.treated"),
        ctx.t("check.residual"),
    ]);
    for risk in &r.risks {
        let score = match (risk.likelihood, risk.impact, risk.score) {
            (Some(l), Some(i), Some(s)) => format!("{l}×{i}={s}"),
            _ => ctx.t("check.not_assessed"),
        };
        t.push(vec![
            risk.id.clone(),
            risk.name
                .as_ref()
                .map(|n| n.get(ctx.lang).to_owned())
                .unwrap_or_default(),
            score,
            yes_no(risk.treated),
            risk.residual_score
                .map(|s| s.to_string())
                .unwrap_or_default(),
        ]);
    }
    t.write(table_format, out)?;

    h(out, ctx.t("check.lifecycle"))?;
    let list = |v: &[String]| {
        if v.is_empty() {
            "—".to_owned()
        } else {
            v.join(", ")
        }
    };
    writeln!(
        out,
        "{bullet}{}: {}",
        ctx.t("check.activities_done"),
        list(&r.lifecycle.activities_done)
    )?;
    writeln!(
        out,
        "{bullet}{}: {}",
        ctx.t("check.activities_missing"),
        list(&r.lifecycle.activities_missing)
    )?;
    writeln!(
        out,
        "{bullet}{}: {}",
        ctx.t("check.outputs_present"),
        list(&r.lifecycle.outputs_present)
    )?;
    writeln!(
        out,
        "{bullet}{}: {}",
        ctx.t("check.outputs_missing"),
        list(&r.lifecycle.outputs_missing)
    )?;
    Ok(())
}

// ---------------------------------------------------------------- responsibility

const ACTOR_HEADERS: [(&str, &str); 3] = [
    ("客户", "Customer"),
    ("云服务商", "Provider"),
    ("云服务安全提供商", "Security service provider"),
];

pub fn responsibility(ctx: &Ctx, path: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let (file, content, _) = evaluate(ctx, path, chrono::Local::now().date_naive())?;
    let overrides: Vec<Override> = file.responsibility.iter().map(check::to_override).collect();
    let matrix = Matrix::build(&content.matrix, file.service_category, &overrides);
    let lang = ctx.lang;
    if ctx.format == Format::Json {
        serde_json::to_writer_pretty(
            &mut *out,
            &json!({
                "service_category": matrix.category,
                "elements": matrix.elements,
                "uncovered": matrix.uncovered(),
                "ambiguous": matrix.ambiguous(),
            }),
        )
        .map_err(std::io::Error::other)?;
        writeln!(out)?;
        return Ok(());
    }
    let mut header = vec!["层 Layer".to_owned(), "控制族 Family".to_owned()];
    header.extend(ACTOR_HEADERS.iter().map(|(zh, en)| format!("{zh} {en}")));
    header.push("分工说明 Split".to_owned());
    let mut rows = Vec::new();
    for e in &matrix.elements {
        let layer = content
            .matrix
            .layer(&e.layer)
            .map(|l| format!("{} {}", l.name.zh, l.name.en))
            .unwrap_or_else(|| e.layer.clone());
        let family = content
            .catalog
            .family(&e.family)
            .map(|f| format!("{} {} {}", f.id, f.name.zh, f.name.en))
            .unwrap_or_else(|| e.family.clone());
        let mut row = vec![layer, family];
        let shared = e.assignment.parties.len() > 1;
        for actor in Actor::ALL {
            let cell = if !e.assignment.parties.contains(&actor) {
                "—"
            } else if shared {
                "分担 Shared"
            } else {
                "负责 Responsible"
            };
            row.push(cell.to_owned());
        }
        let split = if e.assignment.is_uncovered() {
            ctx.t("check.unowned")
        } else if e.assignment.is_ambiguous() {
            ctx.t("check.split_missing")
        } else {
            e.assignment
                .parts
                .iter()
                .map(|(a, t)| format!("{}: {}", ctx.t(&format!("actor.{}", a.id())), t.get(lang)))
                .collect::<Vec<_>>()
                .join("; ")
        };
        row.push(split);
        rows.push(row);
    }
    if ctx.format == Format::Markdown {
        writeln!(
            out,
            "# {} — {} ({})\n",
            ctx.t("check.annex_title"),
            crate::output::md(&file.name),
            matrix.category.id()
        )?;
    }
    let title = format!(
        "{} — {} ({})",
        ctx.t("check.annex_title"),
        file.name,
        matrix.category.id()
    );
    if ctx.format == Format::Html {
        writeln!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\nbody {{ font-family: sans-serif; margin: 2em; }}\ntable {{ border-collapse: collapse; }}\nth, td {{ border: 1px solid #888; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}\nth {{ background: #eee; }}\n</style>\n</head>\n<body>\n<h1>{}</h1>",
            lang.code(),
            crate::output::html_escape(&title),
            crate::output::html_escape(&title)
        )?;
    }
    let mut t = Table::new(header);
    for row in rows {
        t.push(row);
    }
    t.write(ctx.format, out)?;
    if ctx.format == Format::Html {
        writeln!(out, "</body>\n</html>")?;
    }
    Ok(())
}

// ---------------------------------------------------------------- schema and init

pub fn schema(ctx: &Ctx, what: &str, out: &mut dyn Write) -> Result<(), Failure> {
    match what {
        "engagement" => {
            let schema = engagement::schema();
            serde_json::to_writer_pretty(&mut *out, &schema).map_err(std::io::Error::other)?;
            writeln!(out)?;
            Ok(())
        }
        "rule" => {
            let schema = cloudward_scan::rules::schema();
            serde_json::to_writer_pretty(&mut *out, &schema).map_err(std::io::Error::other)?;
            writeln!(out)?;
            Ok(())
        }
        other => Err(ctx.bad_value("schema", other, &["engagement", "rule"])),
    }
}

pub fn init(ctx: &Ctx, args: &InitArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let service = ServiceCategory::parse(&args.service)
        .ok_or_else(|| ctx.bad_value("--service", &args.service, &["iaas", "paas", "saas"]))?;
    let info_ids: Vec<&str> = InfoType::ALL.iter().map(|i| i.id()).collect();
    let mut infos = Vec::new();
    for raw in &args.info {
        let v = raw.trim();
        infos.push(InfoType::parse(v).ok_or_else(|| ctx.bad_value("--info", v, &info_ids))?);
    }
    let business_ids: Vec<&str> = BusinessType::ALL.iter().map(|b| b.id()).collect();
    let business = BusinessType::parse(&args.business)
        .ok_or_else(|| ctx.bad_value("--business", &args.business, &business_ids))?;
    let content = ctx.content()?;
    let file_name = if args.output.as_os_str() == "-" {
        "engagement.yaml".to_owned()
    } else {
        args.output.display().to_string()
    };
    let template =
        cloudward_content::embedded_file("templates/engagement.yaml").unwrap_or_default();
    let text = match cloudward_domain::template::render(
        template,
        &content,
        &cloudward_domain::template::TemplateInput {
            file_name: &file_name,
            name: args.name.as_deref(),
            customer: args.customer.as_deref(),
            information: &infos,
            business,
            service,
            lang: ctx.lang,
        },
    ) {
        Ok(t) => t,
        Err(Refusal::Classified) => return Err(Failure::Refused(ctx.t("classify.refused"))),
        Err(Refusal::NoInformation) => return Err(ctx.bad_value("--info", "", &info_ids)),
    };
    if args.output.as_os_str() == "-" {
        out.write_all(text.as_bytes())?;
        return Ok(());
    }
    if args.output.exists() && !args.force {
        return Err(Failure::Input(
            ctx.tr("init.exists", &[("file", file_name)]),
        ));
    }
    std::fs::write(&args.output, text).map_err(|e| {
        Failure::Input(ctx.tr(
            "input.unreadable",
            &[("file", file_name.clone()), ("detail", e.to_string())],
        ))
    })?;
    writeln!(out, "{}", ctx.tr("init.written", &[("file", file_name)]))?;
    Ok(())
}
