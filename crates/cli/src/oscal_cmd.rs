//! `cloudward oscal …`: export OSCAL documents, import catalogs and profiles as frameworks
//! (stored as OSCAL catalogs under the frameworks folder), read assessment results, and
//! map our controls to a framework. `catalog list|show --framework` browse frameworks.

use std::io::Write;
use std::path::{Path, PathBuf};

use cloudward_domain::ProtectionLevel;
use cloudward_oscal::framework::{self, Framework, FrameworkControl};
use cloudward_oscal::model::Document;
use cloudward_oscal::results::AssessmentFile;
use cloudward_oscal::{Error, export};

use crate::args::{ExportCommand, ExportOpts, ImportArgs, ListArgs, OscalCommand};
use crate::output::{Format, Table};
use crate::{Ctx, Failure};

/// The folder frameworks live in when `--frameworks-dir` is not given.
pub const DEFAULT_FRAMEWORKS_DIR: &str = "cloudward-frameworks";

pub fn run(ctx: &Ctx, cmd: OscalCommand, out: &mut dyn Write) -> Result<(), Failure> {
    match cmd {
        OscalCommand::Export(e) => export_cmd(ctx, e, out),
        OscalCommand::Import(args) => import(ctx, &args, out),
        OscalCommand::Map {
            framework,
            missing,
            reverse,
        } => {
            if reverse {
                map_reverse(ctx, &framework, out)
            } else {
                map(ctx, &framework, missing, out)
            }
        }
        OscalCommand::Frameworks => frameworks(ctx, out),
    }
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// `--timestamp` as an OSCAL date-time (UTC written `Z`); now when not given.
fn timestamp(ctx: &Ctx, value: Option<&str>) -> Result<String, Failure> {
    use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
    let Some(v) = value else {
        return Ok(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true));
    };
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(format!("{d}T00:00:00Z"));
    }
    match DateTime::parse_from_rfc3339(v) {
        Ok(t) if t.offset().local_minus_utc() == 0 => Ok(t
            .with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        Ok(t) => Ok(t.to_rfc3339_opts(SecondsFormat::AutoSi, false)),
        Err(_) => Err(Failure::Input(
            ctx.tr("oscal.bad_timestamp", &[("value", v.to_owned())]),
        )),
    }
}

fn read_text(ctx: &Ctx, path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| {
        Failure::Input(ctx.tr(
            "input.unreadable",
            &[
                ("file", path.display().to_string()),
                ("detail", e.to_string()),
            ],
        ))
    })
}

/// A scan report that does not read: file, JSON path, what is expected.
fn scan_error(ctx: &Ctx, file: &Path, e: &Error) -> Failure {
    match e {
        Error::Invalid { path, detail } => Failure::Input(ctx.tr(
            "oscal.error_scan",
            &[
                ("file", file.display().to_string()),
                ("path", path.clone()),
                ("detail", detail.clone()),
            ],
        )),
        other => error(ctx, file, other),
    }
}

/// An OSCAL error in the user's language: file, JSON path, what is accepted.
pub fn error(ctx: &Ctx, file: &Path, e: &Error) -> Failure {
    let f = file.display().to_string();
    let msg = match e {
        Error::Syntax {
            line,
            column,
            detail,
        } => ctx.tr(
            "oscal.error_syntax",
            &[
                ("file", f),
                ("line", line.to_string()),
                ("column", column.to_string()),
                ("detail", detail.clone()),
            ],
        ),
        Error::NotOscal { found } => ctx.tr(
            "oscal.error_not_oscal",
            &[
                ("file", f),
                ("found", found.clone()),
                ("accepted", cloudward_oscal::read::MODELS.join(", ")),
            ],
        ),
        Error::WrongModel { found, expected } => ctx.tr(
            "oscal.error_wrong_model",
            &[
                ("file", f),
                ("path", e.path()),
                ("found", found.clone()),
                ("accepted", expected.clone()),
            ],
        ),
        Error::MissingVersion { path } => ctx.tr(
            "oscal.error_missing_version",
            &[
                ("file", f),
                ("path", path.clone()),
                ("accepted", cloudward_oscal::read::ACCEPTED_VERSIONS.into()),
            ],
        ),
        Error::UnsupportedVersion { path, found } => ctx.tr(
            "oscal.error_version",
            &[
                ("file", f),
                ("path", path.clone()),
                ("found", found.clone()),
                ("accepted", cloudward_oscal::read::ACCEPTED_VERSIONS.into()),
            ],
        ),
        Error::Invalid { path, detail } => ctx.tr(
            "oscal.error_invalid",
            &[
                ("file", f),
                ("path", path.clone()),
                ("detail", detail.clone()),
            ],
        ),
        Error::Resolve { path, detail } => ctx.tr(
            "oscal.error_resolve",
            &[
                ("file", f),
                ("path", path.clone()),
                ("detail", detail.clone()),
            ],
        ),
    };
    Failure::Input(msg)
}

fn write_doc(
    ctx: &Ctx,
    doc: &Document,
    opts: &ExportOpts,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    write_json(ctx, doc.model(), &doc.to_json(), opts, out)
}

/// An exported document's JSON to `--output` (saying so) or to standard output.
fn write_json(
    ctx: &Ctx,
    model: &str,
    json: &str,
    opts: &ExportOpts,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    match &opts.output {
        None => out.write_all(json.as_bytes())?,
        Some(path) => {
            std::fs::write(path, json.as_bytes()).map_err(|e| {
                Failure::Input(ctx.tr(
                    "oscal.unwritable",
                    &[
                        ("file", path.display().to_string()),
                        ("detail", e.to_string()),
                    ],
                ))
            })?;
            writeln!(
                out,
                "{}",
                ctx.tr(
                    "oscal.written",
                    &[
                        ("model", model.to_owned()),
                        ("file", path.display().to_string()),
                    ]
                )
            )?;
        }
    }
    Ok(())
}

/// A YAML or JSON file into `T`; a malformed file names the line and column.
fn read_yaml<T: serde::de::DeserializeOwned>(ctx: &Ctx, path: &Path) -> Result<T, Failure> {
    let text = read_text(ctx, path)?;
    serde_saphyr::from_str(&text).map_err(|e| {
        let location = e
            .location()
            .map(|l| format!("{}:{}:{}", path.display(), l.line(), l.column()))
            .unwrap_or_else(|| path.display().to_string());
        Failure::Input(format!(
            "{}: {location}: {e}",
            ctx.tr("input.malformed", &[("file", path.display().to_string())])
        ))
    })
}

/// An assessment file (YAML or JSON) whose every control is in the catalog.
pub(crate) fn read_assessment(ctx: &Ctx, path: &Path) -> Result<AssessmentFile, Failure> {
    let a: AssessmentFile = read_yaml(ctx, path)?;
    let content = ctx.content()?;
    let unknown: Vec<&str> = a
        .results
        .keys()
        .filter(|id| content.catalog.control(id).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(Failure::Input(ctx.tr(
            "oscal.unknown_controls",
            &[
                ("file", path.display().to_string()),
                ("ids", unknown.join(", ")),
            ],
        )));
    }
    Ok(a)
}

fn date_of(ctx: &Ctx, date: Option<&str>, ts: &str) -> Result<chrono::NaiveDate, Failure> {
    match date {
        Some(_) => crate::check_cmd::parse_date(ctx, date),
        None => crate::check_cmd::parse_date(ctx, ts.get(..10)),
    }
}

fn export_cmd(ctx: &Ctx, cmd: ExportCommand, out: &mut dyn Write) -> Result<(), Failure> {
    match cmd {
        ExportCommand::Mapping { opts } => {
            let ts = timestamp(ctx, opts.timestamp.as_deref())?;
            let content = ctx.content()?;
            let doc =
                cloudward_oscal::mapping::mlps(&content.mlps, &content.catalog, &ts, version());
            let json = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)? + "\n";
            write_json(ctx, "mapping-collection", &json, &opts, out)
        }
        ExportCommand::Catalog { opts } => {
            let ts = timestamp(ctx, opts.timestamp.as_deref())?;
            let content = ctx.content()?;
            let doc = export::catalog(&content.catalog, &ts, version());
            write_doc(ctx, &doc, &opts, out)
        }
        ExportCommand::Profile { level, opts } => {
            let ts = timestamp(ctx, opts.timestamp.as_deref())?;
            let level = ProtectionLevel::parse(&level).ok_or_else(|| {
                ctx.bad_value("--level", &level, &["general", "enhanced", "advanced"])
            })?;
            let content = ctx.content()?;
            let doc = export::profile(&content.catalog, level, &ts, version());
            write_doc(ctx, &doc, &opts, out)
        }
        ExportCommand::Component { file, opts } => {
            let ts = timestamp(ctx, opts.timestamp.as_deref())?;
            let offering: cloudward_domain::workflow::Offering = read_yaml(ctx, &file)?;
            let content = ctx.content()?;
            let doc = export::component(&content, &offering, &ts, version());
            write_doc(ctx, &doc, &opts, out)
        }
        ExportCommand::Ssp { file, date, opts } => {
            let ts = timestamp(ctx, opts.timestamp.as_deref())?;
            let day = date_of(ctx, date.as_deref(), &ts)?;
            let (eng, content, report) = crate::check_cmd::evaluate(ctx, &file, day)?;
            let doc = export::ssp(&content, &eng, &report, &ts, version());
            write_doc(ctx, &doc, &opts, out)
        }
        ExportCommand::Results {
            assessment,
            scan,
            opts,
        } => {
            let ts = timestamp(ctx, opts.timestamp.as_deref())?;
            let doc = match (assessment, scan) {
                (Some(path), _) => {
                    let a = read_assessment(ctx, &path)?;
                    export::assessment_results(&a, &ts, version())
                }
                (None, Some(path)) => {
                    let text = read_text(ctx, &path)?;
                    let report = cloudward_oscal::scan::parse(&text)
                        .map_err(|e| scan_error(ctx, &path, &e))?;
                    let name = path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "scan".into());
                    cloudward_oscal::scan::assessment_results(&report, &name, &ts)
                }
                (None, None) => {
                    return Err(Failure::Input(ctx.t("oscal.results_input")));
                }
            };
            write_doc(ctx, &doc, &opts, out)
        }
        ExportCommand::Poam {
            file,
            scan,
            date,
            opts,
        } => {
            let ts = timestamp(ctx, opts.timestamp.as_deref())?;
            let day = date_of(ctx, date.as_deref(), &ts)?;
            let (eng, content, report) = crate::check_cmd::evaluate(ctx, &file, day)?;
            let scan = match &scan {
                Some(path) => {
                    let text = read_text(ctx, path)?;
                    Some(
                        cloudward_oscal::scan::parse(&text)
                            .map_err(|e| scan_error(ctx, path, &e))?,
                    )
                }
                None => None,
            };
            let render =
                |f: &cloudward_domain::check::Finding| f.message(&content, &ctx.messages, ctx.lang);
            let doc = export::poam(&eng, &report, &render, scan.as_ref(), &ts, version());
            write_doc(ctx, &doc, &opts, out)
        }
    }
}

// ------------------------------------------------------------------ frameworks

pub fn frameworks_dir(ctx: &Ctx) -> PathBuf {
    ctx.frameworks_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_FRAMEWORKS_DIR))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The names of the stored frameworks, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            (p.extension().is_some_and(|x| x == "json"))
                .then(|| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .flatten()
        })
        .collect();
    names.sort();
    names
}

/// A stored framework, by name.
pub fn load(ctx: &Ctx, name: &str) -> Result<Framework, Failure> {
    let dir = frameworks_dir(ctx);
    let path = dir.join(format!("{name}.json"));
    if !valid_name(name) || !path.is_file() {
        let known = names(&dir);
        return Err(Failure::Input(ctx.tr(
            "oscal.unknown_framework",
            &[
                ("name", name.to_owned()),
                ("dir", dir.display().to_string()),
                (
                    "accepted",
                    if known.is_empty() {
                        "—".into()
                    } else {
                        known.join(", ")
                    },
                ),
            ],
        )));
    }
    let text = read_text(ctx, &path)?;
    let catalog = cloudward_oscal::read::read_catalog(&text).map_err(|e| error(ctx, &path, &e))?;
    Ok(Framework::from_catalog(&catalog))
}

/// The catalog a profile imports: `--catalog-file`, or the JSON rlink of the back-matter
/// resource its import points to, relative to the profile, when that file exists.
fn profile_catalog(
    ctx: &Ctx,
    profile_path: &Path,
    profile: &cloudward_oscal::model::Profile,
    given: Option<&Path>,
) -> Result<Option<cloudward_oscal::model::Catalog>, Failure> {
    let path = match given {
        Some(p) => Some(p.to_path_buf()),
        None => {
            let href = profile
                .imports
                .first()
                .map(|i| i.href.as_str())
                .unwrap_or("");
            let target = match href.strip_prefix('#') {
                Some(uuid) => profile
                    .back_matter
                    .as_ref()
                    .and_then(|b| b.resources.iter().find(|r| r.uuid == uuid))
                    .and_then(|r| {
                        r.rlinks
                            .iter()
                            .find(|l| l.media_type.as_deref().is_some_and(|m| m.contains("json")))
                            .or_else(|| r.rlinks.first())
                    })
                    .map(|l| l.href.clone()),
                None => Some(href.to_owned()),
            };
            target
                .filter(|t| !t.contains("://"))
                .map(|t| profile_path.parent().unwrap_or(Path::new(".")).join(t))
                .filter(|p| p.is_file())
        }
    };
    match path {
        None => Ok(None),
        Some(p) => {
            let text = read_text(ctx, &p)?;
            cloudward_oscal::read::read_catalog(&text)
                .map(Some)
                .map_err(|e| error(ctx, &p, &e))
        }
    }
}

fn import(ctx: &Ctx, args: &ImportArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let text = read_text(ctx, &args.file)?;
    let doc = cloudward_oscal::read(&text).map_err(|e| error(ctx, &args.file, &e))?;
    match &doc {
        Document::AssessmentResults(_) => {
            let a = cloudward_oscal::results::from_document(&doc)
                .map_err(|e| error(ctx, &args.file, &e))?;
            assessment_summary(ctx, &a, args.output.as_deref(), out)
        }
        Document::Catalog(_) | Document::Profile(_) => {
            let Some(name) = &args.name else {
                return Err(Failure::Input(ctx.t("oscal.name_required")));
            };
            if !valid_name(name) {
                return Err(ctx.bad_value("--name", name, &["letters, digits, '-', '_', '.'"]));
            }
            let catalog = match &doc {
                Document::Profile(p) => {
                    profile_catalog(ctx, &args.file, p, args.catalog_file.as_deref())?
                }
                _ => None,
            };
            let fw = Framework::from_document(&doc, catalog.as_ref())
                .map_err(|e| error(ctx, &args.file, &e))?;
            let dir = frameworks_dir(ctx);
            let path = dir.join(format!("{name}.json"));
            if path.exists() && !args.force {
                return Err(Failure::Input(ctx.tr(
                    "oscal.framework_exists",
                    &[("name", name.clone()), ("file", path.display().to_string())],
                )));
            }
            let last_modified = match &doc {
                Document::Catalog(c) => c.metadata.last_modified.clone(),
                Document::Profile(p) => p.metadata.last_modified.clone(),
                _ => String::new(),
            };
            let stored = Document::Catalog(fw.to_catalog(name, &last_modified));
            std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(&path, stored.to_json()))
                .map_err(|e| {
                    Failure::Input(ctx.tr(
                        "oscal.unwritable",
                        &[
                            ("file", path.display().to_string()),
                            ("detail", e.to_string()),
                        ],
                    ))
                })?;
            if ctx.format == Format::Json {
                let v = serde_json::json!({
                    "name": name,
                    "title": fw.title,
                    "model": doc.model(),
                    "groups": fw.groups.len(),
                    "controls": fw.controls.len(),
                    "file": path.display().to_string(),
                });
                serde_json::to_writer_pretty(&mut *out, &v).map_err(std::io::Error::other)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "{}",
                    ctx.tr(
                        "oscal.imported",
                        &[
                            ("name", name.clone()),
                            ("title", fw.title.clone()),
                            ("controls", fw.controls.len().to_string()),
                            ("groups", fw.groups.len().to_string()),
                            ("file", path.display().to_string()),
                        ]
                    )
                )?;
            }
            Ok(())
        }
        other => Err(error(
            ctx,
            &args.file,
            &Error::WrongModel {
                found: other.model().into(),
                expected: "catalog, profile, assessment-results".into(),
            },
        )),
    }
}

fn result_name(ctx: &Ctx, r: cloudward_domain::workflow::ControlResult) -> String {
    ctx.t(&format!("oscal.result_{}", export::result_id(r)))
}

fn assessment_summary(
    ctx: &Ctx,
    a: &AssessmentFile,
    output: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let json = serde_json::to_string_pretty(a).map_err(std::io::Error::other)? + "\n";
    if let Some(path) = output {
        std::fs::write(path, &json).map_err(|e| {
            Failure::Input(ctx.tr(
                "oscal.unwritable",
                &[
                    ("file", path.display().to_string()),
                    ("detail", e.to_string()),
                ],
            ))
        })?;
    }
    if ctx.format == Format::Json {
        out.write_all(json.as_bytes())?;
        return Ok(());
    }
    let mut table = Table::new(vec![
        ctx.t("col.id"),
        ctx.t("oscal.col_result"),
        ctx.t("oscal.col_notes"),
        ctx.t("oscal.col_evidence"),
    ]);
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for (id, r) in &a.results {
        *counts.entry(result_name(ctx, r.result)).or_default() += 1;
        table.push(vec![
            id.clone(),
            result_name(ctx, r.result),
            r.notes.clone(),
            r.evidence.len().to_string(),
        ]);
    }
    writeln!(
        out,
        "{}",
        ctx.tr(
            "oscal.assessment_of",
            &[
                ("offering", a.offering.clone()),
                ("controls", a.results.len().to_string()),
            ]
        )
    )?;
    table.write(ctx.format, out)?;
    if ctx.format == Format::Table {
        let c: Vec<String> = counts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        writeln!(out, "{}", c.join(" · "))?;
        if let Some(path) = output {
            writeln!(
                out,
                "{}",
                ctx.tr(
                    "oscal.written",
                    &[
                        ("model", "assessment".into()),
                        ("file", path.display().to_string()),
                    ]
                )
            )?;
        }
    }
    Ok(())
}

fn map(ctx: &Ctx, name: &str, only_missing: bool, out: &mut dyn Write) -> Result<(), Failure> {
    let fw = load(ctx, name)?;
    let content = ctx.content()?;
    let m = framework::map(&content.catalog, &fw);
    if ctx.format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, &m).map_err(std::io::Error::other)?;
        writeln!(out)?;
        return Ok(());
    }
    let mut table = Table::new(vec![
        ctx.t("oscal.col_ours"),
        ctx.t("oscal.col_reference"),
        ctx.tr("oscal.col_theirs", &[("name", name.to_owned())]),
        ctx.t("col.title"),
    ]);
    let absent = ctx.t("oscal.absent");
    for r in m
        .rows
        .iter()
        .filter(|r| !only_missing || r.framework_control.is_none())
    {
        table.push(vec![
            r.control.clone(),
            r.reference.clone(),
            r.framework_control
                .clone()
                .unwrap_or_else(|| absent.clone()),
            r.framework_title.clone().unwrap_or_default(),
        ]);
    }
    table.write(ctx.format, out)?;
    if ctx.format == Format::Table {
        let found = m
            .rows
            .iter()
            .filter(|r| r.framework_control.is_some())
            .count();
        writeln!(
            out,
            "{}",
            ctx.tr(
                "oscal.map_summary",
                &[
                    ("found", found.to_string()),
                    ("refs", m.rows.len().to_string()),
                    ("name", name.to_owned()),
                    ("missing", m.missing.len().to_string()),
                    ("missing_ids", m.missing.join(", ")),
                    ("unmapped", m.unmapped.len().to_string()),
                    ("total", fw.controls.len().to_string()),
                ]
            )
        )?;
    }
    Ok(())
}

/// `oscal map --reverse`: each framework control and our controls that reference it.
fn map_reverse(ctx: &Ctx, name: &str, out: &mut dyn Write) -> Result<(), Failure> {
    let fw = load(ctx, name)?;
    let content = ctx.content()?;
    let m = framework::map(&content.catalog, &fw);
    let mut ours: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for r in &m.rows {
        if let Some(f) = &r.framework_control {
            let list = ours.entry(f.as_str()).or_default();
            if !list.contains(&r.control.as_str()) {
                list.push(&r.control);
            }
        }
    }
    if ctx.format == Format::Json {
        let v: Vec<serde_json::Value> = fw
            .controls
            .iter()
            .map(|c| {
                serde_json::json!({
                    "framework_control": c.id,
                    "label": c.label,
                    "title": c.title,
                    "controls": ours.get(c.id.as_str()).cloned().unwrap_or_default(),
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &v).map_err(std::io::Error::other)?;
        writeln!(out)?;
        return Ok(());
    }
    let mut table = Table::new(vec![
        ctx.tr("oscal.col_theirs", &[("name", name.to_owned())]),
        ctx.t("col.title"),
        ctx.t("oscal.col_ours"),
    ]);
    let absent = ctx.t("oscal.absent");
    for c in &fw.controls {
        table.push(vec![
            c.label.clone(),
            c.title.clone(),
            ours.get(c.id.as_str())
                .map(|l| l.join(", "))
                .unwrap_or_else(|| absent.clone()),
        ]);
    }
    table.write(ctx.format, out)?;
    if ctx.format == Format::Table {
        writeln!(
            out,
            "{}",
            ctx.tr(
                "oscal.map_reverse_summary",
                &[
                    ("covered", ours.len().to_string()),
                    ("total", fw.controls.len().to_string()),
                    ("name", name.to_owned()),
                ]
            )
        )?;
    }
    Ok(())
}

fn frameworks(ctx: &Ctx, out: &mut dyn Write) -> Result<(), Failure> {
    let dir = frameworks_dir(ctx);
    let mut rows = Vec::new();
    for name in names(&dir) {
        let fw = load(ctx, &name)?;
        rows.push((name, fw));
    }
    if ctx.format == Format::Json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(n, f)| {
                serde_json::json!({
                    "name": n, "title": f.title, "version": f.version,
                    "source_model": f.source_model, "controls": f.controls.len()
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &v).map_err(std::io::Error::other)?;
        writeln!(out)?;
        return Ok(());
    }
    if rows.is_empty() && ctx.format == Format::Table {
        writeln!(
            out,
            "{}",
            ctx.tr("oscal.no_frameworks", &[("dir", dir.display().to_string())])
        )?;
        return Ok(());
    }
    let mut table = Table::new(vec![
        ctx.t("oscal.col_name"),
        ctx.t("col.title"),
        ctx.t("oscal.col_version"),
        ctx.t("oscal.col_controls"),
    ]);
    for (n, f) in rows {
        table.push(vec![
            n,
            f.title.clone(),
            f.version.clone(),
            f.controls.len().to_string(),
        ]);
    }
    table.write(ctx.format, out)?;
    Ok(())
}

// ------------------------------------------------------------------ catalog --framework

fn localised<'a>(ctx: &Ctx, en: &'a str, zh: Option<&'a str>) -> &'a str {
    match (ctx.lang, zh) {
        (cloudward_domain::Lang::Zh, Some(z)) => z,
        _ => en,
    }
}

/// `catalog list|search --framework NAME`.
pub fn list(
    ctx: &Ctx,
    name: &str,
    args: &ListArgs,
    text: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let fw = load(ctx, name)?;
    if args.level.is_some() || args.service.is_some() || args.party.is_some() {
        return Err(Failure::Input(ctx.t("oscal.framework_filters")));
    }
    let group = match &args.family {
        Some(f) => match fw.group(f) {
            Some(g) => Some(g.id.clone()),
            None => {
                let ids: Vec<&str> = fw.groups.iter().map(|g| g.id.as_str()).collect();
                return Err(ctx.bad_value("--family", f, &ids));
            }
        },
        None => None,
    };
    let controls: Vec<&FrameworkControl> = fw.search(group.as_deref(), text);
    if ctx.format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, &controls).map_err(std::io::Error::other)?;
        writeln!(out)?;
        return Ok(());
    }
    if controls.is_empty() && ctx.format == Format::Table {
        writeln!(out, "{}", ctx.t("catalog.no_results"))?;
        return Ok(());
    }
    let mut table = Table::new(vec![
        ctx.t("col.id"),
        ctx.t("oscal.col_label"),
        ctx.t("col.family"),
        ctx.t("col.title"),
    ]);
    for c in &controls {
        table.push(vec![
            c.id.clone(),
            c.label.clone(),
            c.group.clone().unwrap_or_default(),
            localised(ctx, &c.title, c.title_zh.as_deref()).to_owned(),
        ]);
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

/// `catalog show ID --framework NAME`.
pub fn show(ctx: &Ctx, name: &str, id: &str, out: &mut dyn Write) -> Result<(), Failure> {
    let fw = load(ctx, name)?;
    let Some(c) = fw.control(id) else {
        return Err(Failure::Input(ctx.tr(
            "oscal.unknown_framework_control",
            &[("id", id.to_owned()), ("name", name.to_owned())],
        )));
    };
    if ctx.format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, c).map_err(std::io::Error::other)?;
        writeln!(out)?;
        return Ok(());
    }
    let group = c
        .group
        .as_ref()
        .map(|g| match fw.group(g) {
            Some(gr) => format!(
                "{} {}",
                gr.id,
                localised(ctx, &gr.title, gr.title_zh.as_deref())
            ),
            None => g.clone(),
        })
        .unwrap_or_default();
    let mut rows = vec![
        (ctx.t("col.id"), c.id.clone()),
        (ctx.t("oscal.col_label"), c.label.clone()),
        (
            ctx.t("col.title"),
            localised(ctx, &c.title, c.title_zh.as_deref()).to_owned(),
        ),
        (ctx.t("col.family"), group),
    ];
    if let Some(p) = &c.parent {
        rows.push((ctx.t("oscal.col_parent"), p.clone()));
    }
    rows.push((
        ctx.t("col.statement"),
        localised(ctx, &c.statement, c.statement_zh.as_deref()).to_owned(),
    ));
    rows.push((
        ctx.t("col.guidance"),
        localised(ctx, &c.guidance, c.guidance_zh.as_deref()).to_owned(),
    ));
    for (k, v) in &c.props {
        rows.push((k.clone(), v.clone()));
    }
    rows.push((
        ctx.t("oscal.col_framework"),
        format!("{name} — {}", fw.title),
    ));
    if ctx.format == Format::Markdown {
        writeln!(out, "## {} {}\n", c.label, c.title)?;
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
