//! `cloudward scan`: configuration checked against the rules.

use std::io::{IsTerminal, Write};
use std::path::Path;

use cloudward_domain::ProtectionLevel;
use cloudward_domain::classify;
use cloudward_domain::engagement;
use cloudward_domain::load::{Source, parse_regions};
use cloudward_scan::engine::{self, Baseline, Outcome};
use cloudward_scan::input::{self, InputType, Loaded, ReadOptions};
use cloudward_scan::model::Estate;
use cloudward_scan::packs::{self, Packs};
use cloudward_scan::report::{self, Meta};
use cloudward_scan::rules::{self, Rule, Severity, glob_match};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::ScanArgs;
use crate::output::{Format, Table};
use crate::{Ctx, Failure};

/// `cloudward rules list|validate`.
pub fn rules_cmd(
    ctx: &Ctx,
    cmd: crate::args::RulesCommand,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let content = ctx.content()?;
    let builtin = rule_sources(ctx)?;
    match cmd {
        crate::args::RulesCommand::List {
            provider,
            level,
            pack,
        } => {
            let rules = rules::load(&[&builtin], &content.catalog)
                .map_err(|p| Failure::Input(ctx.problems_text(None, &p)))?;
            let mut packs = packs::load(&[&builtin], &rules)
                .map_err(|p| Failure::Input(ctx.problems_text(None, &p)))?;
            cloudward_scan::mlps::add_packs(&mut packs, &content.mlps);
            if let Some(p) = &pack
                && !packs.names().contains(&p.as_str())
            {
                return Err(ctx.bad_value("--pack", p, &packs.names()));
            }
            let level = match level {
                Some(l) => Some(ProtectionLevel::parse(&l).ok_or_else(|| {
                    ctx.bad_value("--level", &l, &["general", "enhanced", "advanced"])
                })?),
                None => None,
            };
            if let Some(p) = &provider
                && !rules::PROVIDERS.contains(&p.as_str())
            {
                return Err(ctx.bad_value("--provider", p, &rules::PROVIDERS));
            }
            let shown: Vec<&Rule> = rules
                .iter()
                .filter(|r| provider.as_ref().is_none_or(|p| &r.provider == p))
                .filter(|r| level.is_none_or(|l| r.level <= l))
                .filter(|r| pack.as_ref().is_none_or(|p| packs.holds(p, r)))
                .collect();
            if ctx.format == Format::Json {
                let v: Vec<serde_json::Value> = shown
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id, "provider": r.provider, "resources": r.resources, "scope": r.scope,
                            "severity": r.severity, "level": r.level, "controls": &*r.controls, "title": r.title,
                            "remediation": r.remediation, "file": r.file, "packs": packs.of_rule(r),
                        })
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut *out, &v).map_err(std::io::Error::other)?;
                writeln!(out)?;
                return Ok(());
            }
            let mut t = Table::new(vec![
                ctx.t("col.id"),
                ctx.t("scan.provider"),
                ctx.t("scan.severity"),
                ctx.t("col.level"),
                ctx.t("col.title"),
                ctx.t("scan.controls"),
            ]);
            for r in &shown {
                t.push(vec![
                    r.id.clone(),
                    r.provider.clone(),
                    ctx.t(&format!("severity.{}", r.severity.id())),
                    ctx.t(&format!("control_level.{}", r.level.id())),
                    r.title.get(ctx.lang).to_owned(),
                    r.controls.join(", "),
                ]);
            }
            t.write(ctx.format, out)?;
            Ok(())
        }
        crate::args::RulesCommand::Packs => {
            let rules = rules::load(&[&builtin], &content.catalog)
                .map_err(|p| Failure::Input(ctx.problems_text(None, &p)))?;
            let mut packs = packs::load(&[&builtin], &rules)
                .map_err(|p| Failure::Input(ctx.problems_text(None, &p)))?;
            cloudward_scan::mlps::add_packs(&mut packs, &content.mlps);
            let count = |id: &str| rules.iter().filter(|r| packs.holds(id, r)).count();
            let mut rows = vec![(
                packs::DEFAULT.to_owned(),
                ctx.t("packs.default_title"),
                ctx.t("packs.default_description"),
                true,
                count(packs::DEFAULT),
            )];
            for p in &packs.packs {
                rows.push((
                    p.id.clone(),
                    p.title.get(ctx.lang).to_owned(),
                    p.description.get(ctx.lang).to_owned(),
                    p.default,
                    count(&p.id),
                ));
            }
            if ctx.format == Format::Json {
                let v: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|(id, title, description, default, n)| {
                        serde_json::json!({
                            "id": id, "title": title, "description": description,
                            "default": default, "rules": n,
                        })
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut *out, &v).map_err(std::io::Error::other)?;
                writeln!(out)?;
                return Ok(());
            }
            let mut t = Table::new(vec![
                ctx.t("col.id"),
                ctx.t("col.title"),
                ctx.t("packs.runs"),
                ctx.t("packs.rules"),
                ctx.t("packs.description"),
            ]);
            for (id, title, description, default, n) in rows {
                t.push(vec![
                    id,
                    title,
                    ctx.t(if default {
                        "packs.by_default"
                    } else {
                        "packs.when_named"
                    }),
                    n.to_string(),
                    description,
                ]);
            }
            t.write(ctx.format, out)?;
            Ok(())
        }
        crate::args::RulesCommand::Show { id } => {
            let rules = rules::load(&[&builtin], &content.catalog)
                .map_err(|p| Failure::Input(ctx.problems_text(None, &p)))?;
            let mut packs = packs::load(&[&builtin], &rules)
                .map_err(|p| Failure::Input(ctx.problems_text(None, &p)))?;
            cloudward_scan::mlps::add_packs(&mut packs, &content.mlps);
            let Some(r) = rules.iter().find(|r| r.id.eq_ignore_ascii_case(id.trim())) else {
                return Err(Failure::Input(
                    ctx.tr("scan.no_such_rule", &[("pattern", id)]),
                ));
            };
            if ctx.format == Format::Json {
                let v = serde_json::json!({
                    "id": r.id, "provider": r.provider, "resources": r.resources, "scope": r.scope,
                    "severity": r.severity, "level": r.level, "controls": &*r.controls, "title": r.title,
                    "remediation": r.remediation, "file": r.file, "packs": packs.of_rule(r),
                });
                serde_json::to_writer_pretty(&mut *out, &v).map_err(std::io::Error::other)?;
                writeln!(out)?;
                return Ok(());
            }
            writeln!(out, "{}  {}", r.id, r.title.get(ctx.lang))?;
            let scope = match r.scope {
                rules::Scope::Account => ctx.t("rules.scope_account"),
                rules::Scope::Resource => ctx.t("rules.scope_resource"),
            };
            let lines = [
                (
                    ctx.t("scan.severity"),
                    ctx.t(&format!("severity.{}", r.severity.id())),
                ),
                (
                    ctx.t("col.level"),
                    ctx.t(&format!("control_level.{}", r.level.id())),
                ),
                (
                    ctx.t("scan.provider"),
                    content
                        .regions
                        .cloud(&r.provider)
                        .map_or_else(|| r.provider.clone(), |c| c.name.get(ctx.lang).to_owned()),
                ),
                (ctx.t("rules.scope"), scope),
                (ctx.t("rules.resources"), r.resources.join(", ")),
                (ctx.t("rules.packs"), packs.of_rule(r).join(", ")),
            ];
            for (k, v) in lines {
                writeln!(out, "  {k}: {v}")?;
            }
            writeln!(out, "  {}:", ctx.t("scan.controls"))?;
            for c in r.controls.iter() {
                let title = content
                    .catalog
                    .control(c)
                    .map(|x| x.title.get(ctx.lang).to_owned())
                    .unwrap_or_default();
                writeln!(out, "    {c}  {title}")?;
            }
            writeln!(
                out,
                "\n{}:\n  {}",
                ctx.t("rules.fix"),
                r.remediation.text.get(ctx.lang)
            )?;
            if let Some(tf) = &r.remediation.terraform {
                writeln!(out, "\n{}:", ctx.t("rules.example"))?;
                for l in tf.lines() {
                    writeln!(out, "  {l}")?;
                }
            }
            Ok(())
        }
        crate::args::RulesCommand::Test { dir } => {
            let user = user_rules(ctx, dir.as_deref())?;
            let rules = rules::load(&[&builtin, &user], &content.catalog)
                .map_err(|p| Failure::Input(ctx.rule_problems(&p)))?;
            let files: std::collections::HashSet<&str> =
                user.iter().map(|s| s.path.as_str()).collect();
            let mine: Vec<usize> = rules
                .iter()
                .enumerate()
                .filter(|(_, r)| dir.is_none() || files.contains(r.file.as_str()))
                .filter(|(_, r)| !r.tests.fail.is_empty() || !r.tests.pass.is_empty())
                .map(|(i, _)| i)
                .collect();
            let scratch = tempfile::tempdir()?;
            let (mut passed, mut failed) = (0usize, 0usize);
            for i in mine {
                let problems = rule_examples(ctx, &rules, i, &content.regions, scratch.path())?;
                let rule = &rules[i];
                if problems.is_empty() {
                    passed += 1;
                    writeln!(
                        out,
                        "ok    {}  {}",
                        rule.id,
                        ctx.tr(
                            "rules.test_ok",
                            &[
                                ("fail", rule.tests.fail.len().to_string()),
                                ("pass", rule.tests.pass.len().to_string())
                            ]
                        )
                    )?;
                } else {
                    failed += 1;
                    writeln!(out, "FAIL  {}  ({})", rule.id, rule.file)?;
                    for p in problems {
                        writeln!(out, "      {p}")?;
                    }
                }
            }
            writeln!(
                out,
                "{}",
                ctx.tr(
                    "rules.test_summary",
                    &[
                        ("passed", passed.to_string()),
                        ("failed", failed.to_string())
                    ]
                )
            )?;
            if failed > 0 {
                Err(Failure::Failed)
            } else {
                Ok(())
            }
        }
        crate::args::RulesCommand::Validate { dir, provider_docs } => {
            let user = match &dir {
                Some(d) => cloudward_content::from_dir(d)
                    .map(|v| {
                        v.into_iter()
                            .map(|s| Source {
                                path: d.join(&s.path).display().to_string(),
                                text: s.text,
                            })
                            .collect()
                    })
                    .map_err(|p| Failure::Input(ctx.problems_text(Some(d), &p)))?,
                None => Vec::new(),
            };
            let rules = rules::load(&[&builtin, &user], &content.catalog)
                .map_err(|p| Failure::Input(ctx.rule_problems(&p)))?;
            packs::load(&[&builtin, &user], &rules)
                .map_err(|p| Failure::Input(ctx.rule_problems(&p)))?;
            let mine = if dir.is_some() {
                user.len()
            } else {
                builtin.len()
            };
            if let Some(docs_dir) = &provider_docs {
                let files: std::collections::HashSet<&str> =
                    user.iter().map(|s| s.path.as_str()).collect();
                let mut problems = Vec::new();
                let mut read_any = false;
                for p in rules::PROVIDERS {
                    let base = docs_dir.join(p);
                    let pages = if base.join("resources").is_dir() {
                        base.join("resources")
                    } else {
                        base
                    };
                    if !pages.is_dir() {
                        continue;
                    }
                    read_any = true;
                    let docs =
                        cloudward_scan::docs::ProviderDocs::read(&pages, p).map_err(|e| {
                            Failure::Input(ctx.tr(
                                "input.unreadable",
                                &[
                                    ("file", pages.display().to_string()),
                                    ("detail", e.to_string()),
                                ],
                            ))
                        })?;
                    for r in rules
                        .iter()
                        .filter(|r| r.provider == p)
                        .filter(|r| dir.is_none() || files.contains(r.file.as_str()))
                    {
                        for u in cloudward_scan::docs::undocumented(r, &docs) {
                            problems.push(format!(
                                "{}: {}",
                                r.file,
                                ctx.tr("rules.undocumented", &[("id", r.id.clone()), ("path", u)])
                            ));
                        }
                    }
                }
                if !read_any {
                    return Err(Failure::Input(ctx.tr(
                        "rules.no_provider_docs",
                        &[("dir", docs_dir.display().to_string())],
                    )));
                }
                if !problems.is_empty() {
                    return Err(Failure::Input(problems.join("\n")));
                }
            }
            writeln!(
                out,
                "{}",
                ctx.tr(
                    "rules.valid",
                    &[
                        ("rules", rules.len().to_string()),
                        ("files", mine.to_string())
                    ]
                )
            )?;
            Ok(())
        }
    }
}

/// The rule files of a folder, with their paths as the user gave them.
fn user_rules(ctx: &Ctx, dir: Option<&Path>) -> Result<Vec<Source>, Failure> {
    match dir {
        Some(d) => cloudward_content::from_dir(d)
            .map(|v| {
                v.into_iter()
                    .map(|s| Source {
                        path: d.join(&s.path).display().to_string(),
                        text: s.text,
                    })
                    .collect()
            })
            .map_err(|p| Failure::Input(ctx.problems_text(Some(d), &p))),
        None => Ok(Vec::new()),
    }
}

/// Runs one rule's `tests:` examples: each `fail` snippet must fail on every resource of
/// the rule's types in it (or on the account, for an account rule without them), each
/// `pass` snippet on none. What went wrong, one line each.
fn rule_examples(
    ctx: &Ctx,
    rules: &[Rule],
    index: usize,
    regions: &cloudward_domain::regions::RegionTable,
    scratch: &Path,
) -> Result<Vec<String>, Failure> {
    let rule = &rules[index];
    let mut problems = Vec::new();
    let examples = rule
        .tests
        .fail
        .iter()
        .enumerate()
        .map(|(n, t)| (true, n, t))
        .chain(
            rule.tests
                .pass
                .iter()
                .enumerate()
                .map(|(n, t)| (false, n, t)),
        );
    for (should_fail, n, text) in examples {
        let which = if should_fail { "fail" } else { "pass" };
        // A ROS rule's examples are templates; the others' Terraform.
        let ext = if rule.provider == "ros" { "yaml" } else { "tf" };
        let file = scratch.join(format!("{}-{n}-{which}.{ext}", rule.id));
        std::fs::write(&file, text)?;
        let loaded = input::read(std::slice::from_ref(&file), &ReadOptions::default());
        let _ = std::fs::remove_file(&file);
        let label = ctx.tr(
            "rules.test_example",
            &[("which", which.to_owned()), ("n", (n + 1).to_string())],
        );
        if !loaded.errors.is_empty() {
            for e in &loaded.errors {
                let at = e.line.map(|l| format!(" line {l}")).unwrap_or_default();
                problems.push(format!("{label}{at}: {}", e.message));
            }
            continue;
        }
        let typed: Vec<String> = loaded
            .resources
            .iter()
            .filter(|r| rule.resources.iter().any(|t| **t == *r.rtype))
            .map(|r| r.address.to_string())
            .collect();
        let estate = Estate::new(loaded.resources);
        let outcome = engine::run(rules, &[index], &estate, regions, None);
        let failing: Vec<String> = outcome
            .findings
            .iter()
            .chain(&outcome.suppressed)
            .map(|f| f.address(rules, &estate).into_owned())
            .collect();
        let unknown: Vec<String> = outcome
            .unknown
            .iter()
            .map(|f| f.address(rules, &estate).into_owned())
            .collect();
        if !unknown.is_empty() {
            problems.push(ctx.tr(
                "rules.test_unknown",
                &[
                    ("example", label.clone()),
                    ("addresses", unknown.join(", ")),
                ],
            ));
        }
        if should_fail {
            let expected = if typed.is_empty() && rule.scope == rules::Scope::Account {
                vec![format!("{} (account)", rule.provider)]
            } else {
                typed
            };
            let missed: Vec<&String> = expected.iter().filter(|a| !failing.contains(a)).collect();
            if expected.is_empty() {
                problems.push(ctx.tr(
                    "rules.test_no_resource",
                    &[
                        ("example", label.clone()),
                        ("types", rule.resources.join(", ")),
                    ],
                ));
            } else if !missed.is_empty() {
                problems.push(
                    ctx.tr(
                        "rules.test_passed",
                        &[
                            ("example", label.clone()),
                            (
                                "addresses",
                                missed
                                    .iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            ),
                        ],
                    ),
                );
            }
        } else if !failing.is_empty() {
            problems.push(ctx.tr(
                "rules.test_failed",
                &[
                    ("example", label.clone()),
                    ("addresses", failing.join(", ")),
                ],
            ));
        }
    }
    Ok(problems)
}

/// The rules cloudward carries (or those of `--catalog DIR`), compiled.
pub(crate) fn builtin_rules(
    ctx: &Ctx,
    content: &cloudward_domain::load::Content,
) -> Result<Vec<Rule>, Failure> {
    let builtin = rule_sources(ctx)?;
    rules::load(&[&builtin], &content.catalog)
        .map_err(|p| Failure::Input(ctx.problems_text(None, &p)))
}

fn rule_sources(ctx: &Ctx) -> Result<Vec<Source>, Failure> {
    match &ctx.catalog_dir {
        Some(dir) if dir.join("rules").is_dir() => cloudward_content::from_dir(&dir.join("rules"))
            .map(|v| {
                v.into_iter()
                    .map(|s| Source {
                        path: format!("rules/{}", s.path),
                        text: s.text,
                    })
                    .collect()
            })
            .map_err(|p| Failure::Input(ctx.problems_text(Some(dir), &p))),
        _ => Ok(cloudward_content::embedded()
            .into_iter()
            .filter(|s| s.path.starts_with("rules/"))
            .collect()),
    }
}

fn level(ctx: &Ctx, args: &ScanArgs) -> Result<ProtectionLevel, Failure> {
    if let Some(l) = &args.level {
        return ProtectionLevel::parse(l)
            .ok_or_else(|| ctx.bad_value("--level", l, &["general", "enhanced", "advanced"]));
    }
    if let Some(path) = &args.engagement {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::Input(ctx.tr(
                "input.unreadable",
                &[
                    ("file", path.display().to_string()),
                    ("detail", e.to_string()),
                ],
            ))
        })?;
        let file = engagement::parse(&text).map_err(|e| {
            Failure::Input(format!(
                "{}: {}",
                ctx.tr("input.malformed", &[("file", path.display().to_string())]),
                e
            ))
        })?;
        return match classify::classify(&file.information, file.business) {
            Ok(r) => Ok(r.level),
            Err(classify::Refusal::Classified) => Err(Failure::Refused(ctx.t("check.refused"))),
            Err(classify::Refusal::NoInformation) => {
                Err(Failure::Input(ctx.t("input.empty_information")))
            }
        };
    }
    Ok(ProtectionLevel::Advanced)
}

fn progress(quiet: bool, message: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// The formats a scan report can be written in.
const SCAN_FORMATS: [&str; 7] = ["table", "json", "sarif", "junit", "markdown", "csv", "html"];

/// Where the reports go: the `--format` report's file (else standard output), and the
/// extra reports in their formats.
type Outputs = (
    Option<std::path::PathBuf>,
    Vec<(Format, std::path::PathBuf)>,
);

/// `-o FILE` (the `--format` report) or `-o FORMAT=FILE` (one more report).
fn outputs(ctx: &Ctx, args: &ScanArgs) -> Result<Outputs, Failure> {
    let mut main = None;
    let mut extra = Vec::new();
    for o in &args.output {
        match o.split_once('=') {
            Some((f, path)) if !f.contains(['/', '\\', '.']) => {
                let format = Format::parse(f)
                    .filter(|x| SCAN_FORMATS.contains(&x.id()))
                    .ok_or_else(|| ctx.bad_value("--output", f, &SCAN_FORMATS))?;
                extra.push((format, std::path::PathBuf::from(path)));
            }
            _ => {
                if main.is_some() {
                    return Err(Failure::Input(
                        ctx.tr("scan.two_outputs", &[("file", o.clone())]),
                    ));
                }
                main = Some(std::path::PathBuf::from(o));
            }
        }
    }
    Ok((main, extra))
}

/// The rules `--check`, `--skip-check` and `--severity` keep of `selected`. A pattern
/// that matches no rule at all is an error: it is a typo, not a filter.
fn narrow(
    ctx: &Ctx,
    args: &ScanArgs,
    rules: &[Rule],
    packs: &Packs,
    selected: Vec<usize>,
) -> Result<Vec<usize>, Failure> {
    let names = packs.names();
    for p in &args.pack {
        if !names.contains(&p.as_str()) {
            return Err(ctx.bad_value("--pack", p, &names));
        }
    }
    for p in args.check.iter().chain(&args.skip_check) {
        if !rules.iter().any(|r| glob_match(p, &r.id)) {
            return Err(Failure::Input(
                ctx.tr("scan.no_such_rule", &[("pattern", p.clone())]),
            ));
        }
    }
    let mut severities = Vec::new();
    for s in &args.severity {
        severities.push(
            Severity::parse(s.trim())
                .ok_or_else(|| ctx.bad_value("--severity", s, &Severity::IDS))?,
        );
    }
    Ok(selected
        .into_iter()
        .filter(|&i| {
            let r = &rules[i];
            // `--pack` selects; without it, `--check` does, and otherwise the pack
            // `default` (every rule outside an opt-in pack).
            let in_packs = if args.pack.is_empty() {
                !args.check.is_empty() || !packs.opt_in(r)
            } else {
                args.pack.iter().any(|p| packs.holds(p, r))
            };
            in_packs
                && (args.check.is_empty() || args.check.iter().any(|p| glob_match(p, &r.id)))
                && !args.skip_check.iter().any(|p| glob_match(p, &r.id))
                && (severities.is_empty() || severities.contains(&r.severity))
        })
        .collect())
}

/// Colour on the terminal: `--color`, `NO_COLOR` (any value) and whether standard output
/// is a terminal.
fn colour(ctx: &Ctx, args: &ScanArgs) -> Result<bool, Failure> {
    match args.color.as_str() {
        "always" => Ok(true),
        "never" => Ok(false),
        "auto" => Ok(std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var("TERM").map_or(true, |t| t != "dumb")
            && std::io::stdout().is_terminal()),
        other => Err(ctx.bad_value("--color", other, &["auto", "always", "never"])),
    }
}

pub fn run(ctx: &Ctx, args: &ScanArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let (main_output, extra_outputs) = outputs(ctx, args)?;
    let coloured = colour(ctx, args)? && main_output.is_none();
    let fail_on = match args.fail_on.as_str() {
        "none" => None,
        s => Some(Severity::parse(s).ok_or_else(|| {
            ctx.bad_value(
                "--fail-on",
                s,
                &["critical", "high", "medium", "low", "none"],
            )
        })?),
    };
    let input_type = match &args.input_type {
        Some(t) => Some(
            InputType::parse(t).ok_or_else(|| ctx.bad_value("--input-type", t, &InputType::IDS))?,
        ),
        None => None,
    };
    let level = level(ctx, args)?;
    let content = ctx.content()?;
    let mut regions = content.regions.clone();
    if let Some(path) = &args.regions {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::Input(ctx.tr(
                "input.unreadable",
                &[
                    ("file", path.display().to_string()),
                    ("detail", e.to_string()),
                ],
            ))
        })?;
        let extra = parse_regions(&Source {
            path: path.display().to_string(),
            text,
        })
        .map_err(|p| Failure::Input(ctx.problems_text(None, &p)))?;
        for (cloud, region, side) in regions.extend(extra) {
            eprintln!(
                "cloudward: {}",
                ctx.tr(
                    "scan.region_moved",
                    &[("cloud", cloud), ("region", region), ("side", side)]
                )
            );
        }
    }
    let builtin = rule_sources(ctx)?;
    let mut user = Vec::new();
    for dir in &args.rules {
        let sources = cloudward_content::from_dir(dir)
            .map_err(|p| Failure::Input(ctx.problems_text(Some(dir), &p)))?;
        user.extend(sources.into_iter().map(|s| Source {
            path: dir.join(&s.path).display().to_string(),
            text: s.text,
        }));
    }
    let rules: Vec<Rule> = rules::load(&[&builtin, &user], &content.catalog)
        .map_err(|p| Failure::Input(ctx.rule_problems(&p)))?;
    let mut packs = packs::load(&[&builtin, &user], &rules)
        .map_err(|p| Failure::Input(ctx.rule_problems(&p)))?;
    cloudward_scan::mlps::add_packs(&mut packs, &content.mlps);
    let baseline = match &args.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::Input(ctx.tr(
                    "input.unreadable",
                    &[
                        ("file", path.display().to_string()),
                        ("detail", e.to_string()),
                    ],
                ))
            })?;
            Some(serde_json::from_str::<Baseline>(&text).map_err(|e| {
                Failure::Input(format!(
                    "{}:{}:{}: {e}",
                    path.display(),
                    e.line(),
                    e.column()
                ))
            })?)
        }
        None => None,
    };

    let bar = progress(args.quiet, "reading inputs");
    let mut loaded = input::read(
        &args.paths,
        &ReadOptions {
            input_type,
            var_files: args.var_file.clone(),
        },
    );
    if args.parse_only {
        bar.finish_and_clear();
        writeln!(out, "{}", loaded.resources.len())?;
        let errors = std::mem::take(&mut loaded.errors);
        // As after a scan: the process ends, the resources need not be freed one by one.
        std::mem::forget(loaded);
        let loaded = Loaded {
            errors,
            ..Loaded::default()
        };
        if loaded.errors.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
        return Err(Failure::Input(lines.join("\n")));
    }
    bar.set_message(format!("checking {} resources", loaded.resources.len()));
    let known: std::collections::HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    for (id, file, line) in &loaded.ignore_ids {
        if id != "*" && !known.contains(id.as_str()) {
            loaded.notes.push(input::InputError {
                file: file.clone(),
                line: Some(*line),
                column: None,
                message: ctx.tr("scan.ignore_unknown", &[("id", id.clone())]),
            });
        }
    }
    let covered: std::collections::HashSet<&str> =
        rules.iter().map(|r| r.provider.as_str()).collect();
    let mut others: Vec<&str> = loaded
        .resources
        .iter()
        .map(|r| &*r.provider)
        .filter(|p| !covered.contains(p))
        .collect();
    others.sort();
    others.dedup();
    if !others.is_empty() {
        let n = loaded
            .resources
            .iter()
            .filter(|r| others.contains(&&*r.provider))
            .count();
        loaded.notes.push(input::InputError {
            file: String::new(),
            line: None,
            column: None,
            message: ctx.tr(
                "scan.no_rules_for",
                &[("count", n.to_string()), ("providers", others.join(", "))],
            ),
        });
    }
    if loaded.resources.is_empty() && loaded.errors.is_empty() {
        // Nothing to check is not a pass: a wrong path or input type must not look green.
        bar.finish_and_clear();
        let mut text = ctx.tr(
            "scan.nothing",
            &[(
                "paths",
                args.paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            )],
        );
        for n in &loaded.notes {
            text.push_str(&format!("\n{n}"));
        }
        return Err(Failure::Input(text));
    }
    let estate = Estate::new(std::mem::take(&mut loaded.resources));
    let selected = narrow(ctx, args, &rules, &packs, engine::select(&rules, level))?;
    let outcome = engine::run(&rules, &selected, &estate, &regions, baseline.as_ref());
    bar.finish_and_clear();

    if let Some(path) = &args.write_baseline {
        let b = Baseline::of(&outcome.findings, &rules, &estate);
        let text = serde_json::to_string_pretty(&b).map_err(std::io::Error::other)?;
        std::fs::write(path, text + "\n").map_err(|e| {
            Failure::Input(ctx.tr(
                "input.unreadable",
                &[
                    ("file", path.display().to_string()),
                    ("detail", e.to_string()),
                ],
            ))
        })?;
    }

    // Per requirement item, for each 等保 pack named.
    let mlps_levels: Vec<u8> = args
        .pack
        .iter()
        .filter_map(|p| cloudward_scan::mlps::level_of(p))
        .collect();
    let mlps_results: Vec<(u8, Vec<cloudward_scan::mlps::ItemResult>)> = mlps_levels
        .iter()
        .map(|l| {
            (
                *l,
                cloudward_scan::mlps::results(
                    &content.mlps,
                    *l,
                    &outcome.summary.controls,
                    ctx.lang,
                ),
            )
        })
        .collect();
    let extra: Vec<(&str, serde_json::Value)> = match mlps_results.as_slice() {
        [] => Vec::new(),
        list => vec![(
            "mlps",
            serde_json::Value::Array(
                list.iter()
                    .map(|(l, items)| cloudward_scan::mlps::json(*l, items))
                    .collect(),
            ),
        )],
    };
    let meta = Meta {
        version: env!("CARGO_PKG_VERSION"),
        level,
        level_given: args.level.is_some() || args.engagement.is_some(),
        lang: ctx.lang,
        inputs: &loaded.inputs,
        errors: &loaded.errors,
        notes: &loaded.notes,
        estate: &estate,
        extra: &extra,
    };
    // The reports go straight to their destinations through a buffer, never whole in memory.
    let style = Styling {
        format: ctx.format,
        colour: coloured,
    };
    // Each report straight to its file through a buffer.
    let to_file = |path: &std::path::Path, style: Styling| -> Result<(), Failure> {
        let unwritable = |e: std::io::Error| {
            Failure::Input(ctx.tr(
                "input.unwritable",
                &[
                    ("file", path.display().to_string()),
                    ("detail", e.to_string()),
                ],
            ))
        };
        let file = std::fs::File::create(path).map_err(unwritable)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        write_report(ctx, style, &outcome, &rules, &selected, &meta, &mut w)?;
        w.flush().map_err(unwritable)
    };
    for (format, path) in &extra_outputs {
        let plain = Styling {
            format: *format,
            colour: false,
        };
        to_file(path, plain)?;
    }
    match &main_output {
        Some(path) => to_file(path, style)?,
        None => {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, &mut *out);
            write_report(ctx, style, &outcome, &rules, &selected, &meta, &mut w)?;
            w.flush()?;
        }
    }

    // The process ends next: handing a million resources back to the allocator one by one
    // would only cost time.
    let failing = fail_on.is_some_and(|t| outcome.findings.iter().any(|f| f.severity >= t));
    std::mem::forget(estate);
    std::mem::forget(outcome);
    if !loaded.errors.is_empty() {
        let lines: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
        return Err(Failure::Input(format!(
            "{}\n{}",
            ctx.tr("scan.input_errors", &[("count", lines.len().to_string())]),
            lines.join("\n")
        )));
    }
    if failing {
        Err(Failure::Failed)
    } else {
        Ok(())
    }
}

/// How a report is written: its format, and whether the table is in colour.
#[derive(Clone, Copy)]
struct Styling {
    format: Format,
    colour: bool,
}

impl Styling {
    /// `text` in the colour of a severity (or `unknown`), when colour is on.
    fn severity(self, severity: &str, text: &str) -> String {
        use anstyle::{AnsiColor, Style};
        if !self.colour {
            return text.to_owned();
        }
        let style = match severity {
            "critical" => Style::new()
                .bold()
                .fg_color(Some(AnsiColor::BrightRed.into())),
            "high" => Style::new().fg_color(Some(AnsiColor::Red.into())),
            "medium" => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
            "low" => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
            _ => Style::new().fg_color(Some(AnsiColor::Magenta.into())),
        };
        format!("{style}{text}{style:#}")
    }

    /// A heading or other emphasised text.
    fn strong(self, text: &str) -> String {
        if !self.colour {
            return text.to_owned();
        }
        let style = anstyle::Style::new().bold();
        format!("{style}{text}{style:#}")
    }

    /// Secondary text (locations, remediation).
    fn dim(self, text: &str) -> String {
        if !self.colour {
            return text.to_owned();
        }
        let style = anstyle::Style::new().dimmed();
        format!("{style}{text}{style:#}")
    }
}

fn write_report(
    ctx: &Ctx,
    style: Styling,
    o: &Outcome,
    rules: &[Rule],
    selected: &[usize],
    meta: &Meta,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    match style.format {
        Format::Json => report::write_json(out, o, rules, meta)?,
        Format::Sarif => report::write_sarif(out, o, rules, selected, meta)?,
        Format::Junit => out.write_all(report::junit(o, rules, selected, meta).as_bytes())?,
        Format::Csv => findings_csv(ctx, o, rules, meta, out)?,
        Format::Html => {
            // The scan report the server makes, from this scan's JSON.
            let mut json = Vec::new();
            report::write_json(&mut json, o, rules, meta)?;
            let scan: cloudward_report::subjects::ScanFile =
                serde_json::from_slice(&json).map_err(std::io::Error::other)?;
            let doc = crate::report_cmd::scan_html(ctx, &scan, &json)?;
            out.write_all(doc.as_bytes())?;
        }
        _ => human(ctx, style, o, rules, meta, out)?,
    }
    Ok(())
}

/// One row per finding — failing, unknown, then suppressed and baselined — for a
/// spreadsheet.
fn findings_csv(
    ctx: &Ctx,
    o: &Outcome,
    rules: &[Rule],
    meta: &Meta,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "status",
        "severity",
        "rule_id",
        "title",
        "address",
        "type",
        "file",
        "line",
        "region",
        "controls",
        "remediation",
        "note",
    ])
    .map_err(std::io::Error::other)?;
    let groups: [(&str, &[engine::Finding]); 4] = [
        ("fail", &o.findings),
        ("unknown", &o.unknown),
        ("suppressed", &o.suppressed),
        ("baselined", &o.baselined),
    ];
    for (status, list) in groups {
        for f in list {
            let rule = rules.get(f.rule_index());
            let r = f.reference(rules, meta.estate);
            let line = if r.line > 0 {
                r.line.to_string()
            } else {
                String::new()
            };
            w.write_record([
                status,
                f.severity.id(),
                f.rule_id(rules),
                rule.map(|r| r.title.get(ctx.lang)).unwrap_or_default(),
                &r.address,
                r.rtype,
                r.file,
                &line,
                r.region.unwrap_or_default(),
                &f.controls(rules).join(" "),
                rule.map(|r| r.remediation.text.get(ctx.lang))
                    .unwrap_or_default(),
                f.suppressed
                    .as_deref()
                    .map(String::as_str)
                    .unwrap_or_default(),
            ])
            .map_err(std::io::Error::other)?;
        }
    }
    w.flush()?;
    Ok(())
}

fn location(file: &str, line: u64) -> String {
    if file.is_empty() {
        String::new()
    } else if line > 0 {
        format!("{}:{line}", Path::new(file).display())
    } else {
        file.to_owned()
    }
}

fn human(
    ctx: &Ctx,
    style: Styling,
    o: &Outcome,
    rules: &[Rule],
    meta: &Meta,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let md = style.format == Format::Markdown;
    let lang = ctx.lang;
    let s = &o.summary;
    if md {
        writeln!(out, "# {}\n", ctx.t("scan.title"))?;
    }
    let header = vec![
        ctx.t("scan.severity"),
        ctx.t("scan.rule"),
        ctx.t("scan.resource"),
        ctx.t("scan.location"),
        ctx.t("col.title"),
        ctx.t("scan.controls"),
    ];
    let row = |f: &engine::Finding| {
        let rule = rules.get(f.rule_index());
        let resource = f.reference(rules, meta.estate);
        vec![
            f.severity.id().to_owned(),
            f.rule_id(rules).to_owned(),
            resource.address.into_owned(),
            location(resource.file, resource.line),
            rule.map(|r| r.title.get(lang).to_owned())
                .unwrap_or_default(),
            f.controls(rules).join(", "),
        ]
    };
    let heading = |out: &mut dyn Write, text: String| -> std::io::Result<()> {
        if md {
            writeln!(out, "\n## {text}\n")
        } else {
            writeln!(out, "\n{}", style.strong(&text))
        }
    };
    heading(
        out,
        format!("{} ({})", ctx.t("scan.findings"), o.findings.len()),
    )?;
    // Markdown as a table; the terminal grouped by rule.
    let list = |out: &mut dyn Write, findings: &[engine::Finding]| -> std::io::Result<()> {
        if md {
            let mut t = Table::new(header.clone());
            for f in findings {
                t.push(row(f));
            }
            t.write(Format::Markdown, out)
        } else {
            grouped(ctx, style, findings, rules, meta, out)
        }
    };
    if o.findings.is_empty() {
        writeln!(out, "{}", ctx.t("check.none"))?;
    } else {
        list(out, &o.findings)?;
    }
    if !o.unknown.is_empty() {
        heading(
            out,
            format!("{} ({})", ctx.t("scan.unknown"), o.unknown.len()),
        )?;
        list(out, &o.unknown)?;
    }
    if !o.suppressed.is_empty() {
        heading(
            out,
            format!("{} ({})", ctx.t("scan.suppressed"), o.suppressed.len()),
        )?;
        for f in &o.suppressed {
            writeln!(
                out,
                "- {} {} — {}",
                f.rule_id(rules),
                f.address(rules, meta.estate),
                f.suppressed
                    .as_deref()
                    .map(String::as_str)
                    .unwrap_or_default()
            )?;
        }
    }
    if !meta.notes.is_empty() {
        heading(out, ctx.t("scan.notes"))?;
        for n in meta.notes {
            writeln!(out, "- {n}")?;
        }
    }
    for (key, value) in meta.extra {
        if *key == "mlps" {
            mlps_items(ctx, style, value, out)?;
        }
    }
    heading(out, ctx.t("scan.summary"))?;
    let sev = |k: &str| s.by_severity.get(k).copied().unwrap_or(0).to_string();
    writeln!(
        out,
        "{}",
        ctx.tr(
            "scan.summary_line",
            &[
                ("resources", s.resources.to_string()),
                ("rules", s.rules.to_string()),
                (
                    "level",
                    if meta.level_given {
                        ctx.t(&format!("level.{}", meta.level.id()))
                    } else {
                        ctx.t("scan.all_levels")
                    },
                ),
                ("failed", s.failed.to_string()),
                ("critical", sev("critical")),
                ("high", sev("high")),
                ("medium", sev("medium")),
                ("low", sev("low")),
                ("unknown", s.unknown.to_string()),
                ("suppressed", s.suppressed.to_string()),
                ("baselined", s.baselined.to_string()),
                ("passed", s.passed.to_string()),
            ]
        )
    )?;
    writeln!(
        out,
        "{}",
        ctx.tr(
            if s.controls.accepted.is_empty() {
                "scan.controls_line"
            } else {
                "scan.controls_line_accepted"
            },
            &[
                ("failed", s.controls.failed.len().to_string()),
                ("accepted", s.controls.accepted.len().to_string()),
                ("passed", s.controls.passed.len().to_string()),
                ("not_evaluated", s.controls.not_evaluated.len().to_string()),
            ]
        )
    )?;
    Ok(())
}

/// The 等保 requirement items of each `mlps-lN` pack scanned: failing first, then passing,
/// then those the configuration cannot show.
fn mlps_items(
    ctx: &Ctx,
    style: Styling,
    blocks: &serde_json::Value,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let md = style.format == Format::Markdown;
    for block in blocks.as_array().into_iter().flatten() {
        let n = |k: &str| {
            block
                .get(k)
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
        };
        let title = ctx.tr(
            "scan.mlps_heading",
            &[
                ("level", n("level").to_string()),
                ("failing", n("failing").to_string()),
                ("passing", n("passing").to_string()),
                ("evidence", n("needs_evidence").to_string()),
            ],
        );
        if md {
            writeln!(out, "\n## {title}\n")?;
        } else {
            writeln!(out, "\n{}", style.strong(&title))?;
        }
        writeln!(out, "{}", ctx.t("scan.mlps_note"))?;
        let mut t = Table::new(vec![
            ctx.t("scan.mlps_result"),
            ctx.t("scan.mlps_clause"),
            ctx.t("scan.mlps_point"),
            ctx.t("scan.mlps_item"),
            ctx.t("scan.controls"),
        ]);
        let items = block.get("items").and_then(serde_json::Value::as_array);
        for status in ["failing", "passing", "needs-evidence"] {
            for item in items.into_iter().flatten() {
                let field = |k: &str| {
                    item.get(k)
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("")
                };
                if field("status") != status {
                    continue;
                }
                let controls = |k: &str| -> Vec<String> {
                    item.get(k)
                        .and_then(serde_json::Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                };
                let shown = match status {
                    "failing" => controls("failed"),
                    _ => controls("passed"),
                };
                let clause = match field("clause") {
                    "" => ctx.t("scan.mlps_unnumbered"),
                    c => c.to_owned(),
                };
                let label = ctx.t(&format!("mlps.status.{status}"));
                let label = match status {
                    "failing" => style.severity("high", &label),
                    "passing" => label,
                    _ => style.dim(&label),
                };
                t.push(vec![
                    label,
                    clause,
                    field("point").to_owned(),
                    field("title").to_owned(),
                    shown.join(", "),
                ]);
            }
        }
        t.write(if md { Format::Markdown } else { style.format }, out)?;
    }
    Ok(())
}

/// Terminal form: one line per rule, then its resources with their locations.
fn grouped(
    ctx: &Ctx,
    style: Styling,
    findings: &[engine::Finding],
    rules: &[Rule],
    meta: &Meta,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut current: Option<usize> = None;
    for f in findings {
        if current != Some(f.rule_index()) {
            current = Some(f.rule_index());
            let title = rules
                .get(f.rule_index())
                .map(|r| r.title.get(ctx.lang))
                .unwrap_or_default();
            let sev = ctx.t(&format!("severity.{}", f.severity.id()));
            // Pad by display width: Chinese labels are two columns a character.
            let width: usize = sev.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
            let pad = " ".repeat(8usize.saturating_sub(width));
            let key = if f.status == engine::Status::Unknown {
                "unknown"
            } else {
                f.severity.id()
            };
            writeln!(
                out,
                "  {}{pad} {:<14} {}  [{}]",
                style.severity(key, &sev),
                f.rule_id(rules),
                style.strong(title),
                f.controls(rules).join(", ")
            )?;
            if let Some(rule) = rules.get(f.rule_index()) {
                writeln!(
                    out,
                    "           {}",
                    style.dim(&ctx.tr(
                        "scan.fix",
                        &[
                            (
                                "remediation",
                                rule.remediation.text.get(ctx.lang).to_owned()
                            ),
                            ("id", rule.id.clone())
                        ]
                    ))
                )?;
            }
        }
        let resource = f.reference(rules, meta.estate);
        let loc = location(resource.file, resource.line);
        let why = match f.reason.as_deref() {
            Some(cloudward_scan::eval::UnknownReason::Value { path }) => {
                format!(" — {}", ctx.tr("unknown.value", &[("path", path.clone())]))
            }
            Some(cloudward_scan::eval::UnknownReason::RegionMissing) => {
                format!(" — {}", ctx.t("unknown.region_missing"))
            }
            Some(cloudward_scan::eval::UnknownReason::Jurisdiction { region }) => {
                format!(
                    " — {}",
                    ctx.tr("unknown.jurisdiction", &[("region", region.clone())])
                )
            }
            None => String::new(),
        };
        if loc.is_empty() {
            writeln!(out, "           - {}{why}", resource.address)?;
        } else {
            writeln!(
                out,
                "           - {}  {}{why}",
                resource.address,
                style.dim(&format!("({loc})"))
            )?;
        }
    }
    Ok(())
}
