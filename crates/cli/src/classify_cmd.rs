//! `cloudward classify`: the protection requirement of guide §6.5.

use std::io::Write;

use cloudward_domain::ProtectionLevel;
use cloudward_domain::classify::{self, BusinessType, InfoType, Refusal};
use serde::Serialize;

use crate::args::ClassifyArgs;
use crate::output::{Format, Table};
use crate::{Ctx, Failure};

#[derive(Serialize)]
struct PerInfo {
    information: InfoType,
    level: ProtectionLevel,
}

#[derive(Serialize)]
struct Classification {
    level: ProtectionLevel,
    deployment_models: Vec<classify::DeploymentModel>,
    controls: usize,
    reason: String,
    information: Vec<InfoType>,
    business: BusinessType,
    per_information: Vec<PerInfo>,
    clause: &'static str,
}

pub fn run(ctx: &Ctx, args: &ClassifyArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let info_ids: Vec<&str> = InfoType::ALL.iter().map(|i| i.id()).collect();
    let mut infos = Vec::new();
    for raw in &args.info {
        let value = raw.trim();
        if value.is_empty() {
            continue;
        }
        infos
            .push(InfoType::parse(value).ok_or_else(|| ctx.bad_value("--info", value, &info_ids))?);
    }
    let business_ids: Vec<&str> = BusinessType::ALL.iter().map(|b| b.id()).collect();
    let business = BusinessType::parse(args.business.trim())
        .ok_or_else(|| ctx.bad_value("--business", &args.business, &business_ids))?;

    let req = match classify::classify(&infos, business) {
        Ok(req) => req,
        Err(Refusal::Classified) => {
            let reason = ctx.t("classify.refused");
            if ctx.format == Format::Json {
                let doc = serde_json::json!({ "refused": true, "level": null, "reason": reason });
                serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
                writeln!(out)?;
            }
            return Err(Failure::Refused(reason));
        }
        Err(Refusal::NoInformation) => {
            return Err(Failure::Input(ctx.tr(
                "error.missing_value",
                &[("flag", "--info".into()), ("accepted", info_ids.join(", "))],
            )));
        }
    };
    let content = ctx.content()?;
    let controls = content.catalog.applicable(req.level).count();

    let level_name = |l: ProtectionLevel| ctx.t(&format!("level.{}", l.id()));
    let info_name = |i: InfoType| ctx.t(&format!("info.{}", i.id()));
    let mut reason = ctx.tr(
        "classify.reason_cell",
        &[
            ("info", info_name(req.decisive)),
            ("business", ctx.t(&format!("business.{}", business.id()))),
            ("level", level_name(req.level)),
        ],
    );
    if req.per_info.len() > 1 {
        let list = req
            .per_info
            .iter()
            .map(|(i, l)| format!("{} → {}", info_name(*i), level_name(*l)))
            .collect::<Vec<_>>()
            .join(if ctx.lang == cloudward_domain::Lang::Zh {
                "；"
            } else {
                "; "
            });
        reason.push(' ');
        reason.push_str(&ctx.tr("classify.reason_strictest", &[("list", list)]));
    }
    if req.level == ProtectionLevel::Advanced {
        reason.push(' ');
        reason.push_str(&ctx.t("classify.reason_advanced"));
    }
    if ctx.lang == cloudward_domain::Lang::Zh {
        reason = reason.replace("。 ", "。");
    } else {
        reason = capitalise(&reason);
    }

    if ctx.format == Format::Json {
        let doc = Classification {
            level: req.level,
            deployment_models: req.deployment_models.clone(),
            controls,
            reason,
            information: req.per_info.iter().map(|(i, _)| *i).collect(),
            business,
            per_information: req
                .per_info
                .iter()
                .map(|(i, l)| PerInfo {
                    information: *i,
                    level: *l,
                })
                .collect(),
            clause: "GB/T 31167 6.5",
        };
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
        writeln!(out)?;
        return Ok(());
    }
    let models = req
        .deployment_models
        .iter()
        .map(|m| ctx.t(&format!("deployment.{}", m.id())))
        .collect::<Vec<_>>()
        .join(", ");
    let mut table = Table::new(vec![ctx.t("col.field"), ctx.t("col.value")]);
    table.push(vec![ctx.t("classify.level"), level_name(req.level)]);
    table.push(vec![ctx.t("classify.models"), models]);
    table.push(vec![ctx.t("classify.controls"), controls.to_string()]);
    table.push(vec![ctx.t("classify.reason"), reason]);
    table.write(ctx.format, out)?;
    Ok(())
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
